//! Command-line interface: commands, options and their help.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::model::Date;

/// Phone-number port-ins kept as files in a git repo: validate, render and track them.
#[derive(Debug, Parser)]
#[command(name = "portflow", version, about, long_about = None)]
pub struct Cli {
    /// Run as if started in DIR (the repo root is the nearest folder above holding porting.toml).
    #[arg(short = 'C', long = "directory", value_name = "DIR", global = true)]
    pub directory: Option<PathBuf>,

    /// Today's date for rules that need it (YYYY-MM-DD), so results are reproducible.
    #[arg(long, value_name = "YYYY-MM-DD", global = true)]
    pub today: Option<Date>,

    /// When to use colour in human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Colour in human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless NO_COLOR is set.
    Auto,
    /// Colour even when not on a terminal, and even with NO_COLOR set: asked for by name.
    Always,
    /// Never colour.
    Never,
}

/// portflow's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the ports repo (or the given ports and files) and report every finding.
    ///
    /// Exit status: 0 clean (warnings allowed), 1 findings, 2 could not run.
    ///
    /// Example: `portflow check ports/2026-11-lakeside-dental --format json`
    Check(CheckArgs),
    /// Every port: account, country, losing carrier, numbers, stage, FOC date, next action
    /// and findings; with git, days in stage, the SLA clock and who recorded the latest event.
    ///
    /// Filters narrow the ports listed, in every format: a port is listed when it matches
    /// every filter given, and one of the values of each.
    ///
    /// Example: `portflow status --stage submitted,rejected --account northwind-agency --format json`
    Status(StatusArgs),
    /// Print the current LOA digest of each port (`<port> sha256:<hex>`), as a `signed` event records it.
    ///
    /// Example: `portflow digest 2026-11-lakeside-dental`
    Digest {
        /// Port ids (all ports when none).
        ports: Vec<String>,
    },
    /// Print a built-in JSON Schema (the authoritative copy; refresh `schemas/` from it).
    ///
    /// Example: `portflow schema request > schemas/request.schema.json`
    Schema {
        /// Which schema.
        #[arg(value_enum)]
        name: SchemaName,
    },
    /// Create a new ports repo: porting.toml with commented defaults, schemas, templates,
    /// the GitHub pipeline, CODEOWNERS, .gitignore and a README for the team.
    ///
    /// Refuses to overwrite anything. `--update-schemas` only refreshes the schema copies
    /// of an existing repo from this binary (the fix for `schema::drift`).
    ///
    /// Example: `portflow init ports-repo && cd ports-repo && git init`
    Init {
        /// The folder (created when missing; default the current folder).
        dir: Option<PathBuf>,
        /// Only rewrite `schemas/*.schema.json` from the built-in schemas.
        #[arg(long)]
        update_schemas: bool,
    },
    /// Start a port: scaffold `ports/<port>/request.toml` with guidance for the country.
    ///
    /// On a terminal it asks for what the options did not give; otherwise `--country`,
    /// `--account` and `--requested-by` are required. The new request is a draft: check lists
    /// what the LOA still needs.
    ///
    /// Example: `portflow new 2026-11-lakeside-dental --country US --account lakeside-dental --requested-by maria@lakeside.example --type full`
    New(NewArgs),
    /// Append the next event to a port's log, refusing one that check would reject.
    ///
    /// The port is checked as it would be with the new `events/NNN-<kind>.toml`; when that
    /// brings any new error, nothing is written and the errors are shown as check shows them.
    ///
    /// Example: `portflow record 2026-11-lakeside-dental submitted --carrier "Partner Carrier" --requested-foc 2026-12-15`
    Record(RecordArgs),
    /// Which ports hold a telephone number, in any format a person types, and their stage.
    ///
    /// Exit status: 0 when a port holds it in `[[numbers]]`, 1 when none does.
    ///
    /// Example: `portflow find "(206) 555-0143"`
    Find(FindArgs),
    /// Encrypt a PIN or secret requirement with age, show one with an identity, or re-encrypt all.
    ///
    /// Values are age-encrypted to porting.toml `[secrets] recipients`; CI never needs an identity.
    ///
    /// Example: `portflow secret set 2026-11-pinecrest-plumbing pin`
    Secret {
        /// What to do.
        #[command(subcommand)]
        command: SecretCommand,
    },
    /// Print a shell completion script to standard output.
    ///
    /// Example: `portflow completions bash > ~/.local/share/bash-completion/completions/portflow`
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// A port's event timeline from git: when each event landed, who recorded it, and how
    /// long the port spent in each stage.
    ///
    /// Needs the full git history (`history::shallow` otherwise, exit 2).
    ///
    /// Example: `portflow history 2026-11-lakeside-dental --format json`
    History {
        /// The port id (or its folder, e.g. `ports/2026/2026-11-cafe-coqui`).
        port: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = HistoryFormat::Table)]
        format: HistoryFormat,
    },
    /// SLA breaches, ports waiting on the customer or the carrier, stuck ports, median time
    /// per stage, rejection reasons by frequency and ports per country and stage, with times
    /// from git.
    ///
    /// How long a port may wait comes from porting.toml `[sla]`: `customer_wait_days` for a
    /// rejected port, `carrier_wait_days` for a submitted one.
    ///
    /// Example: `portflow report --format csv > report.csv`
    Report {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Md)]
        format: ReportFormat,
    },
    /// Markdown for a pull request: each changed port's stage before and after, its new
    /// events, LOA changes since signing; for each submission what the carrier receives and
    /// the facts checked (for a resubmission, what answers each rejection reason); moved FOC
    /// dates; what a porting.toml change changes; and the findings.
    ///
    /// Example: `portflow summary --base origin/main >> "$GITHUB_STEP_SUMMARY"`
    Summary {
        /// The branch the pull request goes into; compared from its merge base with HEAD.
        #[arg(long, value_name = "REF")]
        base: String,
        /// Where reviewers download the rendered LOAs (in CI, the run's page with its
        /// artifacts); linked from each submission.
        #[arg(long, value_name = "URL")]
        loa_link: Option<String>,
    },
    /// Render each port's LOA as a PDF, and a notice for each rejection and completion.
    ///
    /// Writes `<port>/loa.pdf` and `<port>/NNN-<kind>-notice.eml` (+ `.txt`) under
    /// `--out` (default `target/portflow/render/`). A port whose files have errors is
    /// not rendered. Exit status: 0 all rendered, 1 some ports have errors, 2 failure.
    ///
    /// Example: `portflow render 2026-11-lakeside-dental --out /tmp/loas`
    Render(RenderArgs),
    /// Send the customer notices due since the last run: signature requests, FOC dates,
    /// rejections, completions and assisted-country openers, each at most once.
    ///
    /// The SMTP server comes from the PORTFLOW_SMTP_URL environment variable
    /// (`smtps://user:password@host:465`, `smtp://host:587?tls=required`). Each delivery is
    /// recorded in git notes (`refs/notes/portflow-notices`); push that ref so the next run
    /// knows. Exit status: 0 all sent, 1 some could not be sent (tried again next run), 2
    /// could not run.
    ///
    /// Example: `portflow notify --dry-run --out /tmp/notices`
    Notify(NotifyArgs),
    /// The desk's board as a static web site: every port by stage with its time in stage,
    /// FOC, SLA clock, estimated completion and next action; this week's FOC dates; a page
    /// per port (request without secrets, events with their commits, stages, findings); and
    /// charts. No script and nothing fetched: it works from `file://` and on GitHub Pages.
    ///
    /// `--out` is written whole, into a new folder moved into place; a folder there that is
    /// not a site portflow wrote (or holds files it did not write) is never replaced.
    ///
    /// Example: `portflow site --out public --commit-link "https://github.com/acme/ports/commit/{commit}"`
    Site(SiteArgs),
}

/// Options of `portflow site`.
#[derive(Debug, clap::Args)]
pub struct SiteArgs {
    /// The folder to write the site into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Link each commit to this address, `{commit}` standing for the full commit id.
    #[arg(long, value_name = "URL")]
    pub commit_link: Option<String>,
}

/// Options of `portflow status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatusFormat::Table)]
    pub format: StatusFormat,

    /// Only ports in these stages (comma-separated or repeated).
    #[arg(long, value_enum, value_name = "STAGE,…", value_delimiter = ',')]
    pub stage: Vec<StageArg>,

    /// Only ports of these accounts: an account path (`agency/sub-account`) matches itself,
    /// an agency matches all its sub-accounts (comma-separated or repeated).
    #[arg(long, value_name = "ACCOUNT,…", value_delimiter = ',')]
    pub account: Vec<String>,

    /// Only ports of these countries, ISO 3166-1 alpha-2 codes (comma-separated or repeated).
    #[arg(long, value_name = "CC,…", value_delimiter = ',', value_parser = country_code)]
    pub country: Vec<String>,
}

/// A stage, as `--stage` names it (the stages of `stage::Stage`, which the command line does
/// not import).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StageArg {
    /// A file does not parse or fails its schema.
    Invalid,
    /// LOA data incomplete.
    Draft,
    /// No signature of the current LOA.
    AwaitingSignature,
    /// Proof of ownership or a country document missing.
    AwaitingDocuments,
    /// Ready to submit.
    Ready,
    /// Submitted, no answer yet.
    Submitted,
    /// Rejected by the carrier.
    Rejected,
    /// FOC received.
    Scheduled,
    /// Ported.
    Completed,
    /// Abandoned.
    Cancelled,
}

/// `--country`: two letters, compared in capitals.
fn country_code(text: &str) -> Result<String, String> {
    if text.len() == 2 && text.chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(text.to_ascii_uppercase())
    } else {
        Err("a country is its two-letter ISO 3166-1 code, e.g. `US`".to_owned())
    }
}

/// Options of `portflow notify`.
#[derive(Debug, clap::Args)]
pub struct NotifyArgs {
    /// Consider what landed after REF on the first-parent line (default: after the last
    /// run recorded in the ledger; the whole line when there is none).
    #[arg(long, value_name = "REF")]
    pub since: Option<String>,
    /// Write and list the notices due, send nothing, record nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also write each notice as `<port>/<notice>.eml` under DIR (never replacing a file).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Options of `portflow check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Ports (folders) or files to report on; the whole repo is read either way.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Exit 1 on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,

    /// Compare with this branch (from its merge base with HEAD): history rules run, and only
    /// findings in the ports the change touches (or caused by it) fail the check.
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,

    /// Check what is staged in the index (the pre-commit view), not the working tree.
    #[arg(long)]
    pub staged: bool,

    /// Report only these rule codes (comma-separated), e.g. the pre-commit hook's
    /// `--only secret::plaintext,toml::syntax`, so a draft can still be committed.
    #[arg(long, value_name = "CODE,…", value_delimiter = ',')]
    pub only: Vec<String>,
}

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// miette's graphical report.
    Human,
    /// One JSON document.
    Json,
    /// GitHub Actions workflow commands: annotations on the files, then a summary line.
    Github,
    /// A SARIF 2.1.0 log for code scanning.
    Sarif,
}

/// Output formats of `history`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HistoryFormat {
    /// Aligned text tables.
    Table,
    /// One JSON document.
    Json,
}

/// Output formats of `report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Markdown tables.
    Md,
    /// One JSON document.
    Json,
    /// One row per fact: `section,subject,stage,value,detail`.
    Csv,
}

/// Output formats of `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    /// An aligned text table.
    Table,
    /// One JSON document.
    Json,
}

/// The built-in schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaName {
    /// request.schema.json
    Request,
    /// event.schema.json
    Event,
    /// porting.schema.json
    Porting,
}

/// Options of `portflow new`.
#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The new port's id: 3–64 lowercase letters, digits and hyphens.
    pub port: String,

    /// ISO 3166-1 alpha-2 code of the numbers (a country in porting.toml).
    #[arg(long, value_name = "CC")]
    pub country: Option<String>,

    /// Our customer account (`account` or `agency/sub-account`).
    #[arg(long, value_name = "ACCOUNT")]
    pub account: Option<String>,

    /// The losing carrier, as printed on the bill.
    #[arg(long, value_name = "NAME")]
    pub losing_carrier: Option<String>,

    /// Full or partial port.
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub port_type: Option<PortTypeArg>,

    /// E-mail of who asked for the port; receives the notices.
    #[arg(long, value_name = "EMAIL")]
    pub requested_by: Option<String>,

    /// Put the port under `ports/<YEAR>/` instead of `ports/`.
    #[arg(long, value_name = "YEAR")]
    pub year: Option<String>,
}

/// `--type` of `portflow new`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PortTypeArg {
    /// Every number on the losing account moves; the account closes.
    Full,
    /// Only some numbers move.
    Partial,
}

impl PortTypeArg {
    /// The name used in request.toml.
    pub fn as_str(self) -> &'static str {
        match self {
            PortTypeArg::Full => "full",
            PortTypeArg::Partial => "partial",
        }
    }
}

/// Options of `portflow record`.
#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    /// The port id.
    pub port: String,

    /// The date it happened (default: today).
    #[arg(long, value_name = "YYYY-MM-DD", global = true)]
    pub on: Option<Date>,

    /// E-mail of who records it (default: `PORTFLOW_USER`, else git's `user.email`).
    #[arg(long, value_name = "EMAIL", global = true)]
    pub by: Option<String>,

    /// A note for colleagues (never sent to the customer).
    #[arg(long, value_name = "TEXT", global = true)]
    pub note: Option<String>,

    /// The kind of event and its fields.
    #[command(subcommand)]
    pub event: RecordEvent,
}

/// The events `portflow record` appends.
#[derive(Debug, Subcommand)]
pub enum RecordEvent {
    /// The customer signed the current LOA; its digest is recorded for you.
    ///
    /// Example: `portflow record 2026-11-lakeside-dental signed --method e-sign --document documents/loa-signed.pdf`
    Signed {
        /// Who signed (default: the request's `authorized_person`, whom it must be).
        #[arg(long, value_name = "NAME")]
        signer: Option<String>,
        /// How it was signed.
        #[arg(long, value_parser = ["e-sign", "wet-ink", "emailed-to-signee"])]
        method: String,
        /// The signed LOA, under the port's `documents/`.
        #[arg(long, value_name = "PATH")]
        document: String,
    },
    /// We submitted the port to a partner carrier (a change a reviewer approves).
    ///
    /// Example: `portflow record 2026-11-lakeside-dental submitted --carrier "Partner Carrier" --requested-foc 2026-12-15`
    Submitted {
        /// The partner carrier (default: the only partner in porting.toml, when there is one).
        #[arg(long, value_name = "NAME")]
        carrier: Option<String>,
        /// The carrier's order id.
        #[arg(long, value_name = "ID")]
        carrier_order_id: Option<String>,
        /// The port date requested (default: the request's `desired_foc`).
        #[arg(long, value_name = "YYYY-MM-DD")]
        requested_foc: Option<Date>,
    },
    /// The carrier rejected the port.
    ///
    /// Example: `portflow record 2026-11-lakeside-dental rejected --reason "btn-mismatch=BTN does not match the account" --instructions "Please send us your latest bill."`
    Rejected {
        /// A reason, `CODE=DETAIL`, or `CODE=DETAIL@NUMBER,NUMBER` when only some numbers are
        /// affected; repeat for several.
        #[arg(long = "reason", value_name = "CODE=DETAIL", required = true)]
        reasons: Vec<String>,
        /// Customer-facing instructions: how to resolve it.
        #[arg(long, value_name = "TEXT")]
        instructions: String,
    },
    /// The carrier confirmed a port date (FOC); a later one changes it.
    ///
    /// Example: `portflow record 2026-11-lakeside-dental scheduled --foc 2026-12-15 --foc-time 09:00 --foc-timezone America/Los_Angeles`
    Scheduled {
        /// The FOC date.
        #[arg(long, value_name = "YYYY-MM-DD")]
        foc: Date,
        /// Time of day, `HH:MM` (with `--foc-timezone`).
        #[arg(long, value_name = "HH:MM", requires = "foc_timezone")]
        foc_time: Option<String>,
        /// IANA time zone of the time, e.g. `America/Los_Angeles`.
        #[arg(long, value_name = "ZONE", requires = "foc_time")]
        foc_timezone: Option<String>,
        /// The carrier's order id.
        #[arg(long, value_name = "ID")]
        carrier_order_id: Option<String>,
        /// Only these numbers (default: all); comma-separated or repeated.
        #[arg(long, value_name = "NUMBER", value_delimiter = ',')]
        numbers: Vec<String>,
    },
    /// The port completed; triggers the completion notice.
    ///
    /// Example: `portflow record 2026-11-lakeside-dental completed`
    Completed {
        /// Only these numbers completed (default: all); comma-separated or repeated.
        #[arg(long, value_name = "NUMBER", value_delimiter = ',')]
        numbers: Vec<String>,
    },
    /// The port will not happen.
    ///
    /// Example: `portflow record 2026-11-lakeside-dental cancelled --reason "customer stays with their carrier"`
    Cancelled {
        /// Why.
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// An earlier event was recorded in error and no longer counts.
    ///
    /// Example: `portflow record 2026-11-lakeside-dental void --voids 004 --reason "FOC month mistyped"`
    Void {
        /// The NNN of the event recorded in error.
        #[arg(long, value_name = "NNN")]
        voids: String,
        /// Why it is void.
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
}

/// Options of `portflow find`.
#[derive(Debug, clap::Args)]
pub struct FindArgs {
    /// The number, as typed: `(206) 555-0143`, `+1 206 555 0143`, `206.555.0143`, …
    pub number: String,

    /// Country for numbers typed without a country code (default: US).
    #[arg(long, value_name = "CC")]
    pub country: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = StatusFormat::Table)]
    pub format: StatusFormat,
}

/// `portflow secret` subcommands.
#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Encrypt a value to porting.toml `[secrets] recipients` and store it in the port's request.toml.
    ///
    /// The value is read from the terminal without echo, or from standard input when that is
    /// piped (then nothing is prompted). KEY `pin` is `[end_user] pin` (4–10 letters or digits)
    /// and also sets `pin_obtained_on`; any other KEY is a secret country requirement under
    /// `[requirements]`, checked against its `pattern` before it is encrypted (and dated in
    /// `<KEY>_obtained_on` when it expires, like a GB PAC).
    ///
    /// Example: `portflow secret set 2026-11-pinecrest-plumbing pin`
    Set(SecretSetArgs),
    /// Decrypt and print one stored value: the only command that prints a secret.
    ///
    /// Example: `portflow secret show 2026-11-pinecrest-plumbing pin --identity ~/.config/portflow/desk.key`
    Show(SecretShowArgs),
    /// Re-encrypt every stored secret to the current recipients, after adding or removing a key.
    ///
    /// Completed and cancelled ports are left as they are: they never change.
    ///
    /// Example: `portflow secret rewrap --identity ~/.config/portflow/desk.key`
    Rewrap(SecretRewrapArgs),
}

/// Options of `portflow secret set`.
#[derive(Debug, clap::Args)]
pub struct SecretSetArgs {
    /// The port id.
    pub port: String,

    /// `pin`, or the key of a secret country requirement (e.g. `pac_code`).
    pub key: String,

    /// The day the customer got the PIN, or a requirement that expires (default: today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub obtained_on: Option<Date>,

    /// Replace a value the request already holds (otherwise refused, so a PIN is never
    /// overwritten by mistake).
    #[arg(long)]
    pub force: bool,
}

/// Options of `portflow secret show`.
#[derive(Debug, clap::Args)]
pub struct SecretShowArgs {
    /// The port id.
    pub port: String,

    /// `pin`, or the key of a secret country requirement (e.g. `pac_code`).
    pub key: String,

    /// An age identity file (`AGE-SECRET-KEY-1…`) that can decrypt the value; may be repeated.
    #[arg(short, long, value_name = "FILE")]
    pub identity: Vec<PathBuf>,
}

/// Options of `portflow secret rewrap`.
#[derive(Debug, clap::Args)]
pub struct SecretRewrapArgs {
    /// An age identity file that can decrypt the stored values (a key they were encrypted
    /// to); may be repeated.
    #[arg(short, long, value_name = "FILE")]
    pub identity: Vec<PathBuf>,
}

/// Options of `portflow render`.
#[derive(Debug, Clone, clap::Args)]
pub struct RenderArgs {
    /// Ports to render, by id or folder (all ports when none).
    #[arg(value_name = "PORT")]
    pub ports: Vec<String>,

    /// Folder to write into [default: target/portflow/render in the repo].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Paper size [default: letter for US and CA ports, a4 elsewhere].
    #[arg(long, value_enum)]
    pub paper: Option<PaperArg>,

    /// An age identity file: render the carrier copy, with the decrypted PIN and secret
    /// country values. `--out` must then name a folder outside the repo.
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,

    /// Replace output files that differ from what is rendered now. Without it a differing
    /// file is refused, except, in the default folder, a file still exactly as portflow
    /// last rendered it there.
    #[arg(long)]
    pub force: bool,
}

/// Paper size of the LOA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PaperArg {
    /// US Letter, 8.5 × 11 in (the default for US and CA ports).
    Letter,
    /// ISO A4, 210 × 297 mm (the default elsewhere).
    A4,
}
