//! `portflow record`: append the next event to a port's log, refusing one that check would reject.
//!
//! The new `events/NNN-<kind>.toml` is laid over the working tree in memory and the whole
//! repo is checked as `check` checks it. When the port then has an error it did not have
//! before, nothing is written and those errors are shown as `check` shows them. Errors the
//! port already had are not the new event's doing: they do not block it (so a broken draft
//! can still be cancelled), and a note says they are there.

use std::collections::BTreeMap;
use std::path::Path;

use crate::cli::{RecordArgs, RecordEvent};
use crate::diag::{Code, Finding, Severity};
use crate::engine::find::{NumberError, normalize};
use crate::engine::{Checked, Scope, check_tree};
use crate::git::past::{check_work_tree, with_history};
use crate::model::Date;
use crate::model::policy::CarrierKind;
use crate::model::request::Request;
use crate::repo::{OverlayTree, Port, RepoError, WorkTree, read_regular};
use crate::report::{self, Context};
use crate::rules::{self, Ctx, NoHistory};
use crate::signed::SignedFile;
use crate::source::toml_string;
use crate::stage::Stage;
use crate::{Environment, Exit, Output};

/// The environment variable naming who records events, before git's `user.email`.
pub const USER_VAR: &str = "PORTFLOW_USER";

/// Failures of `portflow record` (an event the rules refuse is reported, not returned).
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The repo could not be read.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// No port has the id.
    #[error("no port `{0}` in this repo (see `portflow status`)")]
    UnknownPort(String),
    /// porting.toml does not load, so no rule can judge the event.
    #[error("`porting.toml` has errors, so events cannot be checked: run `portflow check`")]
    PolicyInvalid,
    /// Nobody to put in `by`.
    #[error(
        "who is recording this? pass `--by EMAIL`, set `{USER_VAR}`, or set git's `user.email`"
    )]
    NoRecorder,
    /// A value on the command line cannot make the event.
    #[error("{0}")]
    BadValue(String),
    /// Events are numbered with three digits.
    #[error("the port has 999 events; no number is left for another")]
    NumbersExhausted,
    /// Writing the event failed.
    #[error("cannot write `{path}`: {source}")]
    Write {
        /// The event file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

impl From<NumberError> for RecordError {
    fn from(err: NumberError) -> RecordError {
        RecordError::BadValue(err.to_string())
    }
}

/// Runs `portflow record`.
pub fn run(args: &RecordArgs, env: &Environment) -> Result<Output, RecordError> {
    let tree = WorkTree::discover(&env.cwd)?;
    let before = check_work_tree(&tree, &Scope::all(), env.today)?;
    let port = before
        .repo
        .ports
        .iter()
        .find(|p| p.id == args.port)
        .ok_or_else(|| RecordError::UnknownPort(args.port.clone()))?;
    let policy = &before
        .repo
        .policy
        .as_ref()
        .ok_or(RecordError::PolicyInvalid)?
        .value;
    let stage = before.stage_of(&port.dir);
    let request = match (&port.request, port.invalid) {
        (Some(request), false) => &request.value,
        _ => {
            return Ok(refuse(
                &before,
                env,
                before
                    .in_port(&port.dir)
                    .filter(|f| f.severity == Severity::Error)
                    .cloned()
                    .collect(),
                format!(
                    "`{}` has files that do not parse or fail their schema; fix them first",
                    port.id
                ),
            ));
        }
    };

    let by = match &args.by {
        Some(by) => by.clone(),
        None => recorder(&tree.root).ok_or(RecordError::NoRecorder)?,
    };
    let on = args.on.unwrap_or(env.today);
    let kind = kind_name(&args.event);
    if kind == "signed" && stage == Stage::Draft {
        return Ok(refuse(
            &before,
            env,
            Vec::new(),
            format!(
                "`{}` is a draft: its LOA data is incomplete, so there is nothing to sign yet (see `portflow check {}`)",
                port.id, port.dir
            ),
        ));
    }
    let digest = before
        .reports
        .iter()
        .find(|r| r.dir == port.dir)
        .and_then(|r| r.digest.clone())
        .unwrap_or_default();
    let ctx = Ctx {
        policy,
        today: env.today,
        past: &NoHistory,
    };
    let fields = fields(
        &args.event,
        &ctx,
        port,
        request,
        &digest,
        on,
        env,
        &tree.root,
    )?;

    let number = port
        .events
        .iter()
        .filter_map(|e| e.number)
        .max()
        .unwrap_or(0)
        + 1;
    if number > 999 {
        return Err(RecordError::NumbersExhausted);
    }
    let path = format!("{}/events/{number:03}-{kind}.toml", port.dir);
    let text = event_text(&path, kind, on, &by, args.note.as_deref(), &fields);

    let overlay = OverlayTree::new(&tree).with(path.clone(), text.clone());
    let after = with_history(&tree.root, |past| {
        check_tree(&overlay, &Scope::all(), env.today, past)
    })?;
    let new = new_findings(&before, &after, &port.dir);
    let new_errors = new.iter().filter(|f| f.severity == Severity::Error).count();
    if new_errors > 0 {
        return Ok(refuse(
            &after,
            env,
            new,
            format!(
                "`{}` not recorded: it would bring {new_errors} new {} to `{}`",
                path.rsplit('/').next().unwrap_or(&path),
                if new_errors == 1 { "error" } else { "errors" },
                port.id
            ),
        ));
    }

    let full = tree.root.join(&path);
    if let Some(dir) = full.parent() {
        std::fs::create_dir_all(dir).map_err(|source| RecordError::Write {
            path: path.clone(),
            source,
        })?;
    }
    crate::atomic::write_new(&full, text.as_bytes(), None).map_err(|source| {
        RecordError::Write {
            path: path.clone(),
            source,
        }
    })?;

    let mut stdout = String::new();
    if !new.is_empty() {
        stdout.push_str(&render(&after, env, &new));
    }
    stdout.push_str(&format!(
        "recorded `{path}`: the port is now {}\n",
        after.stage_of(&port.dir)
    ));
    let had = before
        .in_port(&port.dir)
        .filter(|f| f.severity == Severity::Error)
        .count();
    let stderr = if had > 0 {
        format!(
            "note: `{}` already had {had} {} before this event (see `portflow check {}`)\n",
            port.id,
            if had == 1 { "error" } else { "errors" },
            port.dir
        )
    } else {
        String::new()
    };
    Ok(Output {
        stdout,
        stderr,
        exit: Exit::Clean,
    })
}

/// The kind's name, as in `kind` and the file name.
fn kind_name(event: &RecordEvent) -> &'static str {
    match event {
        RecordEvent::Signed { .. } => "signed",
        RecordEvent::Submitted { .. } => "submitted",
        RecordEvent::Rejected { .. } => "rejected",
        RecordEvent::Scheduled { .. } => "scheduled",
        RecordEvent::Completed { .. } => "completed",
        RecordEvent::Cancelled { .. } => "cancelled",
        RecordEvent::Void { .. } => "void",
    }
}

/// Who records the event: `PORTFLOW_USER`, else git's `user.email` for the repo.
fn recorder(root: &Path) -> Option<String> {
    if let Ok(user) = std::env::var(USER_VAR) {
        if !user.trim().is_empty() {
            return Some(user.trim().to_owned());
        }
    }
    let repo = git2::Repository::discover(root).ok()?;
    let email = repo.config().ok()?.get_string("user.email").ok()?;
    let email = email.trim();
    (!email.is_empty()).then(|| email.to_owned())
}

/// A value of an event file, written as TOML.
#[derive(Debug, Clone)]
enum Value {
    Text(String),
    Date(Date),
    Numbers(Vec<String>),
}

/// The kind's own fields, in file order, and the `[[reasons]]` of a rejection.
#[derive(Debug, Default)]
struct Fields {
    values: Vec<(&'static str, Value)>,
    reasons: Vec<(String, String, Vec<String>)>,
}

impl Fields {
    fn text(&mut self, key: &'static str, value: &str) {
        self.values.push((key, Value::Text(value.to_owned())));
    }

    fn maybe(&mut self, key: &'static str, value: Option<&str>) {
        if let Some(value) = value {
            self.text(key, value);
        }
    }
}

/// Builds the kind's fields from the options, with the defaults the port allows.
#[allow(clippy::too_many_arguments)]
fn fields(
    event: &RecordEvent,
    ctx: &Ctx<'_>,
    port: &Port,
    request: &Request,
    digest: &str,
    on: Date,
    env: &Environment,
    root: &Path,
) -> Result<Fields, RecordError> {
    let mut f = Fields::default();
    let numbers = |typed: &[String]| port_numbers(request, typed);
    match event {
        RecordEvent::Signed {
            signer,
            method,
            document,
        } => {
            let authorized = request
                .end_user
                .as_ref()
                .and_then(|u| u.authorized_person.as_deref());
            let signer = signer.as_deref().or(authorized).ok_or_else(|| {
                RecordError::BadValue(
                    "pass `--signer`: the request names no `end_user.authorized_person`".to_owned(),
                )
            })?;
            let document = document_path(document, env, root, &port.dir);
            f.text("signer", signer);
            f.text("method", method);
            f.text("document", &document);
            f.text("loa_digest", digest);
            // A file that prints no digest (a scan) is bound by its hash instead; a missing
            // or unreadable file is left to the check that follows.
            let cap = ctx.policy.documents.max_document_bytes;
            if let Ok(bytes) = read_regular(root, &format!("{}/{document}", port.dir), cap) {
                let file = SignedFile::of(&bytes);
                if file.printed_digest.is_none() {
                    f.text("document_sha256", &file.sha256);
                }
            }
        }
        RecordEvent::Submitted {
            carrier,
            carrier_order_id,
            requested_foc,
        } => {
            let partners: Vec<&String> = ctx
                .policy
                .carriers
                .iter()
                .filter(|(_, c)| c.kind == CarrierKind::Partner)
                .map(|(name, _)| name)
                .collect();
            let carrier = match (carrier, partners.as_slice()) {
                (Some(carrier), _) => carrier.clone(),
                (None, [only]) => (*only).clone(),
                (None, _) => {
                    return Err(RecordError::BadValue(format!(
                        "pass `--carrier`: one of {}",
                        partners
                            .iter()
                            .map(|p| format!("`{p}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            };
            let foc = match requested_foc.or(request.desired_foc) {
                Some(foc) => foc,
                None => {
                    let lead = ctx
                        .policy
                        .country(&request.country)
                        .and_then(|c| c.min_lead_business_days)
                        .unwrap_or(0);
                    let earliest = rules::events::earliest_foc(ctx, &request.country, on, lead);
                    return Err(RecordError::BadValue(format!(
                        "pass `--requested-foc YYYY-MM-DD`: the request has no `desired_foc` (the earliest the lead time allows is {earliest})"
                    )));
                }
            };
            f.text("carrier", &carrier);
            f.maybe("carrier_order_id", carrier_order_id.as_deref());
            f.values.push(("requested_foc", Value::Date(foc)));
        }
        RecordEvent::Rejected {
            reasons,
            instructions,
        } => {
            for reason in reasons {
                let (code, detail, typed) = parse_reason(reason)?;
                f.reasons.push((code, detail, numbers(&typed)?));
            }
            f.text("instructions", instructions);
        }
        RecordEvent::Scheduled {
            foc,
            foc_time,
            foc_timezone,
            carrier_order_id,
            numbers: typed,
        } => {
            f.values.push(("foc", Value::Date(*foc)));
            f.maybe("foc_time", foc_time.as_deref());
            f.maybe("foc_timezone", foc_timezone.as_deref());
            f.maybe("carrier_order_id", carrier_order_id.as_deref());
            let subset = numbers(typed)?;
            if !subset.is_empty() {
                f.values.push(("numbers", Value::Numbers(subset)));
            }
        }
        RecordEvent::Completed { numbers: typed } => {
            let subset = numbers(typed)?;
            if !subset.is_empty() {
                f.values.push(("numbers", Value::Numbers(subset)));
            }
        }
        RecordEvent::Cancelled { reason } => f.text("reason", reason),
        RecordEvent::Void { voids, reason } => {
            let digits = voids.trim();
            let number: u32 = digits
                .parse()
                .ok()
                .filter(|n| (1..=999).contains(n) && digits.len() <= 3)
                .ok_or_else(|| {
                    RecordError::BadValue(format!(
                        "`--voids {voids}`: give the number of the event to void, e.g. `004`"
                    ))
                })?;
            f.text("voids", &format!("{number:03}"));
            f.text("reason", reason);
        }
    }
    Ok(f)
}

/// `CODE=DETAIL` or `CODE=DETAIL@NUMBER,NUMBER` -> (code, detail, numbers as typed).
fn parse_reason(text: &str) -> Result<(String, String, Vec<String>), RecordError> {
    let (code, rest) = text.split_once('=').ok_or_else(|| {
        RecordError::BadValue(format!(
            "`--reason {text}`: write `CODE=DETAIL`, e.g. `btn-mismatch=BTN does not match the account`"
        ))
    })?;
    // `@` may be part of the detail (an e-mail address): only a trailing list of what looks
    // like telephone numbers counts.
    let looks_like_number = |n: &str| {
        n.chars()
            .all(|c| c.is_ascii_digit() || " +-.()".contains(c))
            && n.chars().filter(char::is_ascii_digit).count() >= 7
    };
    let (detail, numbers) = match rest.rsplit_once('@') {
        Some((detail, list)) if list.split(',').all(|n| looks_like_number(n.trim())) => (
            detail,
            list.split(',').map(|n| n.trim().to_owned()).collect(),
        ),
        _ => (rest, Vec::new()),
    };
    Ok((code.trim().to_owned(), detail.trim().to_owned(), numbers))
}

/// Numbers as typed -> E.164, each one of the request's numbers.
fn port_numbers(request: &Request, typed: &[String]) -> Result<Vec<String>, RecordError> {
    let mut out = Vec::new();
    for text in typed.iter().filter(|t| !t.trim().is_empty()) {
        let e164 = normalize(text, &request.country).or_else(|_| normalize(text, "US"))?;
        if !request.numbers.iter().any(|n| n.number == e164) {
            return Err(RecordError::BadValue(format!(
                "`{e164}` is not one of this port's numbers"
            )));
        }
        if !out.contains(&e164) {
            out.push(e164);
        }
    }
    Ok(out)
}

/// The document path relative to the port folder: a path given from the working directory
/// that lands inside the port is rewritten; anything else is kept for the rules to judge.
fn document_path(typed: &str, env: &Environment, root: &Path, port_dir: &str) -> String {
    let port_root = root.join(port_dir);
    let port_root = port_root.canonicalize().unwrap_or(port_root);
    env.cwd
        .join(typed)
        .canonicalize()
        .ok()
        .and_then(|full| {
            full.strip_prefix(&port_root).ok().map(|rel| {
                rel.components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/")
            })
        })
        .unwrap_or_else(|| typed.to_owned())
}

/// The text of an event file at `path` (repo-relative).
fn event_text(
    path: &str,
    kind: &str,
    on: Date,
    by: &str,
    note: Option<&str>,
    fields: &Fields,
) -> String {
    let depth = path.matches('/').count();
    let mut out = format!(
        "#:schema {}schemas/event.schema.json\nkind = {}\non = {on}\nby = {}\n",
        "../".repeat(depth),
        toml_string(kind),
        toml_string(by)
    );
    if let Some(note) = note {
        out.push_str(&format!("note = {}\n", toml_string(note)));
    }
    for (key, value) in &fields.values {
        let value = match value {
            Value::Text(text) => toml_string(text),
            Value::Date(date) => date.to_string(),
            Value::Numbers(numbers) => list(numbers),
        };
        out.push_str(&format!("{key} = {value}\n"));
    }
    for (code, detail, numbers) in &fields.reasons {
        out.push_str(&format!(
            "\n[[reasons]]\ncode = {}\ndetail = {}\n",
            toml_string(code),
            toml_string(detail)
        ));
        if !numbers.is_empty() {
            out.push_str(&format!("numbers = {}\n", list(numbers)));
        }
    }
    out
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| toml_string(s)).collect();
    format!("[{}]", quoted.join(", "))
}

/// Findings on the port after the event that it did not have before (compared by code,
/// file and message, counting repeats).
fn new_findings(before: &Checked, after: &Checked, dir: &str) -> Vec<Finding> {
    let mut seen: BTreeMap<(Code, String, String), usize> = BTreeMap::new();
    for f in before.in_port(dir) {
        *seen.entry(key(f)).or_insert(0) += 1;
    }
    after
        .in_port(dir)
        .filter(|f| match seen.get_mut(&key(f)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .cloned()
        .collect()
}

fn key(f: &Finding) -> (Code, String, String) {
    (
        f.code,
        f.file.to_string_lossy().into_owned(),
        f.message.clone(),
    )
}

/// Findings rendered as `check` renders them.
fn render(checked: &Checked, env: &Environment, findings: &[Finding]) -> String {
    let ctx = Context::of(&checked.repo.sources, 1, 1);
    report::human::render(findings, &ctx, env.style())
}

/// A refusal: the findings that cause it on stdout, why on stderr, exit 1, nothing written.
fn refuse(checked: &Checked, env: &Environment, findings: Vec<Finding>, why: String) -> Output {
    Output {
        stdout: if findings.is_empty() {
            String::new()
        } else {
            render(checked, env, &findings)
        },
        stderr: format!("error: {why}; nothing was written\n"),
        exit: Exit::Findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_split_code_detail_and_numbers() {
        assert_eq!(
            parse_reason("btn-mismatch=BTN does not match").unwrap(),
            (
                "btn-mismatch".to_owned(),
                "BTN does not match".to_owned(),
                vec![]
            )
        );
        assert_eq!(
            parse_reason("number-not-on-account=not on the account@+12065550144, +1 206 555 0145")
                .unwrap()
                .2,
            vec!["+12065550144".to_owned(), "+1 206 555 0145".to_owned()]
        );
        // An e-mail address in the detail is not a list of numbers.
        assert_eq!(
            parse_reason("other=write to ports@carrier.example")
                .unwrap()
                .1,
            "write to ports@carrier.example"
        );
        assert!(parse_reason("btn-mismatch").is_err());
    }

    #[test]
    fn event_files_have_the_directive_of_their_depth() {
        let mut fields = Fields::default();
        fields.text("reason", "customer stays \"as is\"");
        let text = event_text(
            "ports/2026/x-port/events/002-cancelled.toml",
            "cancelled",
            Date::new(2026, 11, 25).unwrap(),
            "ops@example.com",
            None,
            &fields,
        );
        assert_eq!(
            text,
            "#:schema ../../../../schemas/event.schema.json\nkind = \"cancelled\"\non = 2026-11-25\nby = \"ops@example.com\"\nreason = 'customer stays \"as is\"'\n"
        );
    }
}
