//! `portflow new`: scaffold a port's request.toml with guidance, and the atomic, no-clobber
//! file writes that the staff commands share.
//!
//! The scaffold is a draft: it holds the values staff gave and, as comments, every field the
//! LOA prints and every requirement of the country from porting.toml. Before anything is
//! written it goes through the same loading and rules as `check`; the only errors it may have
//! are the ones that say what to fill in.

use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use crate::check::{self, CheckError};
use crate::cli::{NewArgs, PortTypeArg};
use crate::diag::{Code, Finding, Severity};
use crate::model::Date;
use crate::model::policy::{Channel, Country, Policy, RequirementType};
use crate::repo::{self, OverlayTree, PORTS_DIR, Repo, RepoError, WorkTree};
use crate::report::{self, Context};
use crate::{Environment, Exit, Output};

/// Failures of `portflow new` (findings about the scaffold are reported, not returned).
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// The repo could not be read.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// Loading and checking the repo failed.
    #[error(transparent)]
    Check(#[from] CheckError),
    /// The port id breaks the naming rule.
    #[error(
        "`{0}` is not a valid port id: use 3–64 lowercase letters, digits and hyphens, starting with a letter or digit, e.g. `2026-11-lakeside-dental`"
    )]
    InvalidId(String),
    /// `--year` is not a four-digit year.
    #[error("`{0}` is not a year folder name: use four digits, e.g. `--year 2026`")]
    BadYear(String),
    /// A folder with the id exists already.
    #[error(
        "port id `{id}` is taken: `{dir}` already exists (port ids are unique across the repo)"
    )]
    Taken {
        /// The id.
        id: String,
        /// The folder that has it, repo-relative.
        dir: String,
    },
    /// Required values were neither given nor asked for.
    #[error(
        "missing {}: pass {} (portflow asks for them only when standard input is a terminal)",
        if .0.len() == 1 { "a required value" } else { "required values" },
        .0.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
    )]
    Missing(Vec<&'static str>),
    /// porting.toml does not load, so the country's terms are unknown.
    #[error("`porting.toml` has errors, so the country's terms are unknown: run `portflow check`")]
    PolicyInvalid,
    /// The country is not configured.
    #[error("country `{code}` is not in porting.toml `[countries]`; configured: {known}")]
    UnknownCountry {
        /// The code given.
        code: String,
        /// The configured codes, formatted.
        known: String,
    },
    /// Reading an answer from the terminal failed.
    #[error("cannot read the answer from the terminal: {0}")]
    Input(io::Error),
    /// Writing the port failed.
    #[error("cannot write `{path}`: {source}")]
    Write {
        /// What was being written.
        path: PathBuf,
        /// Why it failed.
        source: io::Error,
    },
}

/// The values a scaffold is made from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values {
    /// Our customer account.
    pub account: Option<String>,
    /// Who asked for the port.
    pub requested_by: Option<String>,
    /// ISO code of the numbers.
    pub country: Option<String>,
    /// The losing carrier.
    pub losing_carrier: Option<String>,
    /// `full` or `partial`.
    pub port_type: Option<&'static str>,
}

/// Codes a fresh scaffold is expected to have: they list what staff still have to fill in.
pub const DRAFT_CODES: &[Code] = &[Code::LoaMissingField, Code::CountryRequirementMissing];

/// Runs `portflow new`.
pub fn run(args: &NewArgs, env: &Environment) -> Result<Output, ScaffoldError> {
    let tree = WorkTree::discover(&env.cwd)?;
    if !repo::is_port_id(&args.port) {
        return Err(ScaffoldError::InvalidId(args.port.clone()));
    }
    if let Some(year) = &args.year {
        if !(year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit())) {
            return Err(ScaffoldError::BadYear(year.clone()));
        }
    }
    if let Some(dir) = existing_port_dir(&tree.root, &args.port) {
        return Err(ScaffoldError::Taken {
            id: args.port.clone(),
            dir,
        });
    }
    let dir = match &args.year {
        Some(year) => format!("{PORTS_DIR}/{year}/{}", args.port),
        None => format!("{PORTS_DIR}/{}", args.port),
    };

    let loaded = Repo::load(&tree)?;
    let policy = loaded
        .policy
        .as_ref()
        .map(|p| &p.value)
        .ok_or(ScaffoldError::PolicyInvalid)?;

    let mut values = Values {
        account: args.account.clone(),
        requested_by: args.requested_by.clone(),
        country: args.country.as_ref().map(|c| c.trim().to_ascii_uppercase()),
        losing_carrier: args.losing_carrier.clone(),
        port_type: args.port_type.map(PortTypeArg::as_str),
    };
    if let Some(asked) =
        report::terminal::ask(|input, prompt| ask_missing(&mut values, policy, input, prompt))
    {
        asked?;
    }
    let missing: Vec<&'static str> = [
        ("--country", values.country.is_none()),
        ("--account", values.account.is_none()),
        ("--requested-by", values.requested_by.is_none()),
    ]
    .into_iter()
    .filter_map(|(flag, absent)| absent.then_some(flag))
    .collect();
    if !missing.is_empty() {
        return Err(ScaffoldError::Missing(missing));
    }
    let code = values.country.clone().unwrap_or_default();
    let country = policy
        .country(&code)
        .ok_or_else(|| ScaffoldError::UnknownCountry {
            code: code.clone(),
            known: policy
                .countries
                .keys()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", "),
        })?;

    let text = render(&args.port, &dir, &values, policy, country, env.today);
    let request_path = format!("{dir}/request.toml");

    // The scaffold goes through the same loading and rules as `check` before it is written.
    let overlay = OverlayTree::new(&tree).with(request_path.clone(), text.clone());
    let checked = check::check_tree(&overlay, std::slice::from_ref(&dir), env.today)?;
    let unexpected: Vec<&Finding> = checked
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error && !DRAFT_CODES.contains(&f.code))
        .collect();
    if !unexpected.is_empty() {
        let shown: Vec<Finding> = unexpected.into_iter().cloned().collect();
        let ctx = Context::of(&checked.repo.sources, 1, 1);
        return Ok(Output {
            stdout: report::human::render(&shown, &ctx, env.style()),
            stderr: format!(
                "error: `{}` not created: the values given do not pass the checks above; nothing was written\n",
                args.port
            ),
            exit: Exit::Findings,
        });
    }

    let port_dir = tree.root.join(&dir);
    if let Some(parent) = port_dir.parent() {
        std::fs::create_dir_all(parent).map_err(|source| ScaffoldError::Write {
            path: parent.to_owned(),
            source,
        })?;
    }
    // `create_dir` fails when the folder appeared since the check above: never clobber.
    std::fs::create_dir(&port_dir).map_err(|source| match source.kind() {
        io::ErrorKind::AlreadyExists => ScaffoldError::Taken {
            id: args.port.clone(),
            dir: dir.clone(),
        },
        _ => ScaffoldError::Write {
            path: port_dir.clone(),
            source,
        },
    })?;
    let full = tree.root.join(&request_path);
    if let Err(source) = crate::atomic::write_new(&full, text.as_bytes(), None) {
        // Leave no half-made port behind; the folder is empty, so this removes only it.
        let _ = std::fs::remove_dir(&port_dir);
        return Err(ScaffoldError::Write { path: full, source });
    }

    let to_fill = checked
        .findings
        .iter()
        .filter(|f| DRAFT_CODES.contains(&f.code))
        .count();
    let mut stdout = format!("created `{request_path}`\n");
    stdout.push_str(&format!(
        "the port is a draft with {to_fill} required {} still to fill in: edit the file, then run `portflow check {dir}`\n",
        if to_fill == 1 { "value" } else { "values" },
    ));
    Ok(Output {
        stdout,
        stderr: String::new(),
        exit: Exit::Clean,
    })
}

/// The folder that already uses `id` as a port id: `ports/<id>` or `ports/<year>/<id>`.
pub fn existing_port_dir(root: &Path, id: &str) -> Option<String> {
    let ports = root.join(PORTS_DIR);
    if std::fs::symlink_metadata(ports.join(id)).is_ok() {
        return Some(format!("{PORTS_DIR}/{id}"));
    }
    let mut years: Vec<String> = std::fs::read_dir(&ports)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.len() == 4 && name.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    years.sort();
    years
        .into_iter()
        .find(|year| std::fs::symlink_metadata(ports.join(year).join(id)).is_ok())
        .map(|year| format!("{PORTS_DIR}/{year}/{id}"))
}

/// Asks on the terminal for every value the flags did not give. Prompts go to `prompt`
/// (standard error) because standard output is the command's result.
pub fn ask_missing(
    values: &mut Values,
    policy: &Policy,
    input: &mut dyn BufRead,
    prompt: &mut dyn Write,
) -> Result<(), ScaffoldError> {
    if values.country.is_none() {
        let known: Vec<&str> = policy.countries.keys().map(String::as_str).collect();
        let question = format!("country ({})", known.join(", "));
        values.country = ask(input, prompt, &question, true, |answer| {
            let code = answer.to_ascii_uppercase();
            if policy.country(&code).is_some() {
                Ok(code)
            } else {
                Err(format!("`{answer}` is not in porting.toml `[countries]`"))
            }
        })?;
    }
    if values.account.is_none() {
        values.account = ask(
            input,
            prompt,
            "account (our customer account, or agency/sub-account)",
            true,
            |a| Ok(a.to_owned()),
        )?;
    }
    if values.requested_by.is_none() {
        values.requested_by = ask(
            input,
            prompt,
            "requested by (e-mail that receives the notices)",
            true,
            |a| Ok(a.to_owned()),
        )?;
    }
    if values.losing_carrier.is_none() {
        values.losing_carrier = ask(
            input,
            prompt,
            "losing carrier, as printed on the bill (Enter to fill in later)",
            false,
            |a| Ok(a.to_owned()),
        )?;
    }
    if values.port_type.is_none() {
        values.port_type = ask(
            input,
            prompt,
            "port type: full or partial (Enter to fill in later)",
            false,
            |a| match a {
                "full" => Ok("full"),
                "partial" => Ok("partial"),
                other => Err(format!("`{other}` is neither `full` nor `partial`")),
            },
        )?;
    }
    Ok(())
}

/// Asks one question until the answer is accepted; an empty answer skips an optional value.
fn ask<T>(
    input: &mut dyn BufRead,
    prompt: &mut dyn Write,
    question: &str,
    required: bool,
    accept: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, ScaffoldError> {
    loop {
        write!(prompt, "{question}: ").map_err(ScaffoldError::Input)?;
        prompt.flush().map_err(ScaffoldError::Input)?;
        let mut line = String::new();
        // End of input: stop asking; the caller reports what is still missing.
        if input.read_line(&mut line).map_err(ScaffoldError::Input)? == 0 {
            let _ = writeln!(prompt);
            return Ok(None);
        }
        let answer = line.trim();
        if answer.is_empty() {
            if required {
                let _ = writeln!(prompt, "  this value is required");
                continue;
            }
            return Ok(None);
        }
        match accept(answer) {
            Ok(value) => return Ok(Some(value)),
            Err(why) => {
                let _ = writeln!(prompt, "  {why}");
            }
        }
    }
}

/// A TOML basic string holding `text`, escaped as needed.
pub fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// The column comments start at, so the guidance reads as one column.
const COMMENT_COLUMN: usize = 40;

/// Appends `code` lines, each with its `# comment` at the comment column (or two spaces after).
fn lines(out: &mut String, rows: &[(String, &str)]) {
    for (code, comment) in rows {
        out.push_str(code);
        if !comment.is_empty() {
            let width = code.chars().count();
            let pad = if width + 2 <= COMMENT_COLUMN {
                COMMENT_COLUMN - width
            } else {
                2
            };
            out.push_str(&" ".repeat(pad));
            out.push_str("# ");
            out.push_str(comment);
        }
        out.push('\n');
    }
}

/// Appends `text` as `#` comment lines wrapped to fit the file's width.
fn comment(out: &mut String, text: &str) {
    const WIDTH: usize = 92;
    // Code in backticks stays on one line, so a command can be copied whole.
    let mut words: Vec<String> = Vec::new();
    let mut open = false;
    for word in text.split_whitespace() {
        match words.last_mut() {
            Some(last) if open => {
                last.push(' ');
                last.push_str(word);
            }
            _ => words.push(word.to_owned()),
        }
        open ^= word.matches('`').count() % 2 == 1;
    }
    let mut current = String::from("#");
    for word in &words {
        if current.len() > 1 && current.chars().count() + 1 + word.chars().count() > WIDTH {
            out.push_str(&current);
            out.push('\n');
            current = String::from("#");
        }
        current.push(' ');
        current.push_str(word);
    }
    out.push_str(&current);
    out.push('\n');
}

/// An example number of the country in fictional ranges, for the commented examples.
fn example_number(country: &Country, last: &str) -> String {
    let first_region = country
        .regions()
        .first()
        .map_or(country.code.as_str(), String::as_str);
    match first_region {
        // NANP 555-01XX numbers are reserved for fiction.
        "US" | "PR" | "VI" | "GU" | "MP" | "AS" => format!("+1206555{last}"),
        "CA" => format!("+1416555{last}"),
        // Ofcom's drama range 020 7946 0XXX.
        "GB" => format!("+4420794600{}", &last[last.len().saturating_sub(2)..]),
        // ACMA's fictional range 02 5550 XXXX.
        "AU" => format!("+6125550{last}"),
        code => {
            let calling = code
                .parse::<phonenumber::country::Id>()
                .ok()
                .and_then(|id| phonenumber::metadata::DATABASE.by_id(id.as_ref()))
                .map_or_else(
                    || "<country code>".to_owned(),
                    |m| m.country_code().to_string(),
                );
            format!("+{calling}…")
        }
    }
}

/// The text of a new request.toml at `dir` (repo-relative) with guidance in comments.
pub fn render(
    id: &str,
    dir: &str,
    values: &Values,
    policy: &Policy,
    country: &Country,
    today: Date,
) -> String {
    let code = country.code.as_str();
    let n = |last: &str| toml_string(&example_number(country, last));
    let q = toml_string;
    let mut out = format!(
        "#:schema {}schemas/request.schema.json\n",
        "../".repeat(dir.split('/').count())
    );
    comment(
        &mut out,
        &format!("Port request `{id}`, started with `portflow new`."),
    );
    out.push_str("#\n");
    comment(
        &mut out,
        &format!(
            "Fill in the commented lines (remove the leading `#`), then run `portflow check {dir}`: \
             until the LOA data is complete the port is a draft, and check lists what is missing. \
             Everything the LOA prints must match the losing carrier's records exactly; the \
             carrier's Customer Service Record (CSR), when you can get it, is the best evidence."
        ),
    );
    out.push('\n');

    // A value staff gave is written; one they did not is a commented example.
    let set = |key: &str, value: Option<&str>, example: &str| match value {
        Some(v) => format!("{key} = {}", q(v)),
        None => format!("# {key} = {example}"),
    };
    lines(
        &mut out,
        &[
            (
                set("account", values.account.as_deref(), "\"…\""),
                "our customer account, or agency/sub-account",
            ),
            (
                set("requested_by", values.requested_by.as_deref(), "\"…\""),
                "receives the rejection and completion notices",
            ),
            (
                set("country", Some(code), ""),
                "ISO 3166-1 alpha-2 code of every number in this port",
            ),
            (
                set("losing_carrier", values.losing_carrier.as_deref(), "\"…\""),
                "where the numbers are today, as printed on the bill",
            ),
            (
                set("port_type", values.port_type, "\"full\""),
                "full (the whole account moves) | partial (some numbers)",
            ),
            (
                format!("# desired_foc = {}", today.add_days(21).unwrap_or(today)),
                "optional: the port date the customer would like",
            ),
            (
                "# split_from = \"…\"".to_owned(),
                "optional: the port this one was split off from",
            ),
        ],
    );
    out.push('\n');
    country_terms(&mut out, policy, country);

    let partial = values.port_type == Some("partial");
    if !partial {
        comment(
            &mut out,
            "Only for port_type = \"partial\": what happens to the numbers that stay behind.",
        );
    }
    lines(
        &mut out,
        &[
            (
                format!("{}[partial]", if partial { "" } else { "# " }),
                if partial {
                    "what happens to the numbers that stay behind"
                } else {
                    ""
                },
            ),
            (
                "# remaining_numbers = \"keep\"".to_owned(),
                "keep | disconnect: the numbers not ported",
            ),
            (
                format!("# new_billing_number = {}", n("0188")),
                "when keeping them while porting the BTN itself:",
            ),
            ("#".to_owned(), "a number that stays on the losing account"),
        ],
    );
    out.push('\n');

    lines(
        &mut out,
        &[
            (
                "[end_user]".to_owned(),
                "printed on the LOA, exactly as the losing carrier has it",
            ),
            ("# type = \"business\"".to_owned(), "business | residential"),
            (
                "# name = \"…\"".to_owned(),
                "the business name, or the resident's full name",
            ),
            (
                "# authorized_person = \"…\"".to_owned(),
                "who may sign the LOA (the `signed` event's signer)",
            ),
            (
                "# authorized_title = \"…\"".to_owned(),
                "optional: their job title",
            ),
            (
                "# signer_email = \"…\"".to_owned(),
                "optional: where an e-mailed LOA is sent",
            ),
            (
                format!("# billing_number = {}", n("0143")),
                "the billing telephone number (BTN), E.164",
            ),
            (
                "# account_number = \"…\"".to_owned(),
                "at the losing carrier; needed with mobile numbers",
            ),
        ],
    );
    comment(
        &mut out,
        &format!(
            "pin: the transfer PIN, needed with mobile numbers. Never type it here: run \
             `portflow secret set {id} pin`, which stores it age-encrypted."
        ),
    );
    lines(
        &mut out,
        &[(
            format!("# pin_obtained_on = {today}"),
            &format!(
                "when the customer got the PIN (stale after {} days)",
                policy.documents.pin_max_age_days
            ),
        )],
    );
    out.push('\n');

    // Addresses in fictional places for the countries staff see most; placeholders elsewhere.
    let (street, locality, region, postal) = match code {
        "CA" => ("480 Lanternfield Ave", "Toronto", "ON", "M5V 2T6"),
        "GB" => ("12 Thameside Row", "London", "", "SE1 9GF"),
        "US" => ("1200 Lakeside Ave", "Seattle", "WA", "98101"),
        _ => ("…", "…", "…", "…"),
    };
    let mut address = vec![
        (
            "[end_user.service_address]".to_owned(),
            "the physical service address, not a PO box",
        ),
        (
            format!("# street = {}", q(street)),
            "house number and street",
        ),
        (
            "# extended = \"Suite 4\"".to_owned(),
            "optional: suite, floor, unit or building",
        ),
        (format!("# locality = {}", q(locality)), "city or town"),
    ];
    if !region.is_empty() {
        address.push((
            format!("# region = {}", q(region)),
            "state, province or territory",
        ));
    }
    address.extend([
        (
            format!("# postal_code = {}", q(postal)),
            "ZIP or postal code",
        ),
        (
            format!("# country = {}", q(code)),
            "ISO code of the address's country",
        ),
    ]);
    lines(&mut out, &address);
    out.push('\n');

    comment(
        &mut out,
        "Optional: the losing carrier's Customer Service Record, as the carrier sent it; the LOA \
         data is checked against it.",
    );
    lines(
        &mut out,
        &[
            ("# [csr]".to_owned(), ""),
            ("# name = \"…\"".to_owned(), "account name on the CSR"),
            ("# street = \"…\"".to_owned(), "service street on the CSR"),
            ("# postal_code = \"…\"".to_owned(), ""),
            (format!("# billing_number = {}", n("0143")), ""),
            ("# account_number = \"…\"".to_owned(), ""),
            (
                format!("# numbers = [{}, {}]", n("0143"), n("0144")),
                "every number on the account",
            ),
        ],
    );
    out.push('\n');

    if country.has_fee() {
        comment(
            &mut out,
            &format!(
                "{code} ports cost {} {} per number: record the customer's acceptance before \
                 submitting.",
                country.fee_per_number.unwrap_or_default(),
                country.currency.as_deref().unwrap_or("")
            ),
        );
        lines(
            &mut out,
            &[
                ("# [fee]".to_owned(), ""),
                ("# accepted_by = \"…\"".to_owned(), "the customer's e-mail"),
                (format!("# accepted_on = {today}"), ""),
            ],
        );
        out.push('\n');
    }

    let fields: Vec<_> = country
        .requirements
        .iter()
        .filter(|r| r.kind == RequirementType::Field)
        .collect();
    if !fields.is_empty() {
        lines(
            &mut out,
            &[(
                "[requirements]".to_owned(),
                &format!("what {code} needs besides the LOA (porting.toml)"),
            )],
        );
        for req in fields {
            let mut text = format!(
                "{}{}: {}.",
                req.key,
                applies_text(&req.applies_to),
                req.description.trim_end_matches('.')
            );
            if let Some(pattern) = &req.pattern {
                text.push_str(&format!(" Format: `{pattern}`."));
            }
            if req.secret {
                text.push_str(&format!(
                    " Secret: never type it here; run `portflow secret set {id} {}`, which stores \
                     it age-encrypted.",
                    req.key
                ));
            }
            comment(&mut out, &text);
            if !req.secret {
                out.push_str(&format!("# {} = \"…\"\n", req.key));
            }
        }
        out.push('\n');
    }

    comment(
        &mut out,
        "One [[numbers]] table per number to port (remove the `#`, copy it for each number).",
    );
    lines(
        &mut out,
        &[
            ("# [[numbers]]".to_owned(), ""),
            (format!("# number = {}", n("0143")), "E.164"),
            (
                "# type = \"landline\"".to_owned(),
                "landline | mobile | voip | toll-free",
            ),
            (
                "# tracking_source = \"Google Ads\"".to_owned(),
                "routing once ported: what the number tracks",
            ),
            (
                format!("# receiving_number = {}", n("0100")),
                "routing: the number that rings",
            ),
            (
                format!("# target_number = {}", n("0101")),
                "optional: the final destination",
            ),
        ],
    );
    out.push('\n');

    comment(
        &mut out,
        &format!(
            "One [[documents]] table per file you put in documents/. Proof of ownership is a bill \
             (at most {} days old at submission) or a receipt; a tracking-screenshot only when \
             the losing carrier is a call-tracking service.",
            policy.documents.bill_max_age_days
        ),
    );
    for req in country
        .requirements
        .iter()
        .filter(|r| r.kind == RequirementType::Document)
    {
        comment(
            &mut out,
            &format!(
                "{code} also needs a document of kind = \"{}\"{}: {}.",
                req.key,
                applies_text(&req.applies_to),
                req.description.trim_end_matches('.')
            ),
        );
    }
    lines(
        &mut out,
        &[
            ("# [[documents]]".to_owned(), ""),
            (
                "# kind = \"bill\"".to_owned(),
                "bill | receipt | tracking-screenshot | csr | id |",
            ),
            ("#".to_owned(), "company-registration | signed-loa | other"),
            (
                format!(
                    "# path = \"documents/bill-{:04}-{:02}.pdf\"",
                    today.year(),
                    today.month()
                ),
                "PDF, PNG or JPEG, inside this port's folder",
            ),
            (
                format!("# dated = {today}"),
                "the statement or receipt date",
            ),
        ],
    );
    out
}

/// " (for mobile numbers)" when limited to some number types.
fn applies_text(applies_to: &Option<Vec<crate::model::request::NumberType>>) -> String {
    match applies_to {
        Some(types) if !types.is_empty() => {
            let names: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
            format!(" (for {} numbers)", names.join(" and "))
        }
        _ => String::new(),
    }
}

/// A comment block with the country's terms from porting.toml.
fn country_terms(out: &mut String, policy: &Policy, country: &Country) {
    let code = &country.code;
    let mut lines = Vec::new();
    match country.channel {
        Channel::SelfServe => lines.push(format!(
            "{code} ports are self-serve: we submit them to the partner carrier."
        )),
        Channel::Assisted => lines.push(format!(
            "{code} ports are assisted: handled by e-mail exchange{}.",
            country
                .contact
                .as_deref()
                .map(|c| format!(" with {c}"))
                .unwrap_or_default()
        )),
    }
    if let Some(lead) = country.min_lead_business_days {
        lines.push(format!(
            "The requested FOC must be at least {lead} business days after submission."
        ));
    }
    let sla = match country.channel {
        Channel::SelfServe => policy.sla.domestic,
        Channel::Assisted => policy.sla.international,
    };
    lines.push(format!(
        "Expect {} to {} days from submission to completion.",
        sla[0], sla[1]
    ));
    for l in lines {
        out.push_str("# ");
        out.push_str(&l);
        out.push('\n');
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_until_answered_and_stops_at_end_of_input() {
        let policy: Policy = toml::from_str(
            "[organization]\nname = \"Example Telecom\"\naddress = \"1 Example Plaza\"\n\
             [countries.US]\nchannel = \"self-serve\"\n",
        )
        .unwrap();
        let mut values = Values::default();
        let mut input: &[u8] = b"xx\nus\n\nacme\nops@example.com\n\nhalf\npartial\n";
        let mut prompts = Vec::new();
        ask_missing(&mut values, &policy, &mut input, &mut prompts).unwrap();
        assert_eq!(values.country.as_deref(), Some("US"));
        assert_eq!(values.account.as_deref(), Some("acme"));
        assert_eq!(values.requested_by.as_deref(), Some("ops@example.com"));
        assert_eq!(values.losing_carrier, None);
        assert_eq!(values.port_type, Some("partial"));
        let prompts = String::from_utf8(prompts).unwrap();
        assert!(prompts.contains("`xx` is not in porting.toml"), "{prompts}");
        assert!(prompts.contains("this value is required"), "{prompts}");

        let mut values = Values::default();
        let mut empty: &[u8] = b"";
        ask_missing(&mut values, &policy, &mut empty, &mut Vec::new()).unwrap();
        assert_eq!(values, Values::default());
    }
}
