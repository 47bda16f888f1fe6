//! `portflow notify`: sends the customer notices that became due on the main line since
//! the last run, over SMTP, at most once each; records each delivery in git notes.
//!
//! The SMTP server comes from `PORTFLOW_SMTP_URL` only (`smtps://user:pass@host:465`,
//! `smtp://host:587?tls=required`); neither it nor its credentials are ever printed.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use lettre::{SmtpTransport, Transport};

use crate::atomic;
use crate::cli::NotifyArgs;
use crate::git::notify::{self as ledger, Due, Note, Owed, Sent};
use crate::git::scan::Scan;
use crate::git::{Git, GitError};
use crate::loa::template::{Kind, TemplateError, Templates};
use crate::model::policy::{NoticeKind, Notices};
use crate::notice::{self, Content, Envelope, Notice, NoticeEvent, mailbox};
use crate::plural::count;
use crate::repo::{RepoError, WorkTree};
use crate::report::text::fmt_utc;
use crate::rules::events::resolve_voids;
use crate::signed::sha256_hex;
use crate::{Environment, Exit, Output};

/// The environment variable that names the SMTP server.
pub const SMTP_URL_VAR: &str = "PORTFLOW_SMTP_URL";

/// How long one SMTP exchange may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Failures that stop `portflow notify` before it sends anything.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The repo could not be read.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// Git could not be read.
    #[error(transparent)]
    Git(#[from] GitError),
    /// Notices are due, but no server is configured.
    #[error(
        "{due} due, but {SMTP_URL_VAR} is not set: set it to the SMTP server (e.g. `smtps://user:password@smtp.example.com:465`), or pass --dry-run to write the messages without sending"
    )]
    NoServer {
        /// How many notices are due.
        due: String,
    },
    /// The SMTP URL does not parse (it is not repeated: it may hold a password).
    #[error(
        "{SMTP_URL_VAR} is not a usable SMTP URL (`smtp://host:587?tls=required` or `smtps://user:password@host:465`): {0}"
    )]
    BadServer(String),
    /// `--out` cannot be written.
    #[error("cannot write `{path}`: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// One notice ready to go.
struct Ready {
    due: Due,
    to: String,
    notice: Notice,
}

/// Runs `portflow notify`.
pub fn run(args: &NotifyArgs, env: &Environment) -> Result<Output, NotifyError> {
    let work = WorkTree::discover(&env.cwd)?;
    let git = Git::open(&work.root)?;
    let mut scan = Scan::new(&git)?;
    let since = match &args.since {
        Some(rev) => Some(ledger::on_line(&git, &scan, rev)?),
        None => None,
    };
    let window = ledger::window(&scan, ledger::read_ledger(&git)?, since);
    let due = ledger::plan(&git, &mut scan, &window)?;
    scan.save();

    let templates = Templates::for_repo(&work.root, Kind::Email);
    let loa_templates = Templates::for_repo(&work.root, Kind::Loa);
    let mut stdout = String::new();
    let mut stderr = String::new();
    let mut failures: Vec<(Due, String)> = Vec::new();
    let mut ready = Vec::new();
    for d in due {
        match prepare(&templates, &loa_templates, &d) {
            Ok(r) => ready.push(Ready {
                due: d,
                to: r.0,
                notice: r.1,
            }),
            Err(why) => failures.push((d, why)),
        }
    }

    if let Some(out) = &args.out {
        for r in &ready {
            let path = out.join(&r.due.port).join(format!("{}.eml", r.notice.stem));
            write_new(&path, &r.notice.eml)?;
            stdout.push_str(&format!("wrote {}\n", path.display()));
        }
    }
    if args.dry_run {
        for r in &ready {
            stdout.push_str(&format!(
                "due {} {} to {}\n",
                r.due.port,
                label(&r.due),
                r.to
            ));
        }
        for (d, why) in &failures {
            stderr.push_str(&format!("error: {} {}: {why}\n", d.port, label(d)));
        }
        stdout.push_str(&format!(
            "{} due; nothing sent (--dry-run)\n",
            count(ready.len() + failures.len(), "notice", "notices")
        ));
        let exit = if failures.is_empty() {
            Exit::Clean
        } else {
            Exit::Findings
        };
        return Ok(Output {
            stdout,
            stderr,
            exit,
        });
    }

    let mut sent: Vec<Sent> = Vec::new();
    if !ready.is_empty() {
        let url = std::env::var(SMTP_URL_VAR).ok().filter(|u| !u.is_empty());
        let Some(url) = url else {
            return Err(NotifyError::NoServer {
                due: count(ready.len(), "notice is", "notices are"),
            });
        };
        let transport = SmtpTransport::from_url(&url)
            .map_err(|e| NotifyError::BadServer(masked(&e.to_string(), &url)))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        for r in ready {
            match transport.send(&r.notice.message) {
                Ok(_) => {
                    stdout.push_str(&format!(
                        "sent {} {} to {}\n",
                        r.due.port,
                        label(&r.due),
                        r.to
                    ));
                    sent.push(Sent {
                        notice: r.due.id.clone(),
                        message_id: message_id_of(&r.notice),
                        to: r.to.clone(),
                        at: fmt_utc(
                            SystemTime::now()
                                .duration_since(SystemTime::UNIX_EPOCH)
                                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0)),
                        ),
                    });
                }
                Err(e) => failures.push((r.due, masked(&e.to_string(), &url))),
            }
        }
    }
    for (d, why) in &failures {
        stderr.push_str(&format!("error: {} {}: {why}\n", d.port, label(d)));
    }

    // A run that delivered nothing because of failures records nothing: the next one
    // starts from the same place and tries again. A run that found nothing due records
    // that it got this far, so the next one starts here.
    let head = git.head()?.id();
    let advanced = window.last.as_ref().is_none_or(|(id, _)| *id != head);
    if !sent.is_empty() || (failures.is_empty() && advanced && since.is_none()) {
        let mut note = match &window.last {
            Some((id, note)) if *id == head => note.clone(),
            _ => Note::default(),
        };
        note.sent.extend(sent.iter().cloned());
        note.owed = failures
            .iter()
            .map(|(d, why)| Owed {
                notice: d.id.clone(),
                commit: d.commit.to_string(),
                error: why.clone(),
            })
            .collect();
        ledger::write_note(&git, head, &note)?;
    }
    stdout.push_str(&format!(
        "{} sent{}\n",
        count(sent.len(), "notice", "notices"),
        if failures.is_empty() {
            String::new()
        } else {
            format!(", {} failed (tried again by the next run)", failures.len())
        }
    ));
    Ok(Output {
        stdout,
        stderr,
        exit: if failures.is_empty() {
            Exit::Clean
        } else {
            Exit::Findings
        },
    })
}

/// How a notice is named in output: `scheduled 004`, `signature-request`.
fn label(due: &Due) -> String {
    match &due.event {
        Some(name) => format!("{} ({name})", due.kind.as_str()),
        None => due.kind.as_str().to_owned(),
    }
}

/// An error text with the URL's password and user name masked, in case a server or
/// library repeats them.
fn masked(text: &str, url: &str) -> String {
    let mut out = text.to_owned();
    if let Some((creds, _)) = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
    {
        for part in creds.split(':').filter(|p| p.len() >= 3) {
            out = out.replace(part, "****");
        }
    }
    out.replace(url, "****")
}

/// The Message-ID header's value.
fn message_id_of(notice: &Notice) -> String {
    notice
        .message
        .headers()
        .get_raw("Message-ID")
        .unwrap_or_default()
        .to_owned()
}

/// Writes a new file atomically; an existing file is never replaced.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), NotifyError> {
    let fail = |source| NotifyError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    atomic::write_new(path, bytes, None).map_err(fail)
}

/// The recipient and the message of a notice due; why not, when it cannot be written.
fn prepare(
    templates: &Templates,
    loa_templates: &Templates,
    due: &Due,
) -> Result<(String, Notice), String> {
    let then = &due.then;
    let (Some(policy), Some(port)) = (
        then.repo.policy.as_ref().map(|p| &p.value),
        then.repo.ports.first(),
    ) else {
        return Err("the port cannot be read at the commit it became due in".to_owned());
    };
    let Some(request) = port.request.as_ref().map(|r| &r.value) else {
        return Err("its request is not valid at the commit it became due in".to_owned());
    };
    let Some(notices) = &policy.notices else {
        return Err("porting.toml has no [notices] there".to_owned());
    };
    let to = match due.kind {
        NoticeKind::SignatureRequest => request
            .end_user
            .as_ref()
            .and_then(|u| u.signer_email.clone())
            .unwrap_or_else(|| request.requested_by.clone()),
        _ => request.requested_by.clone(),
    };
    let envelope = envelope(notices, due, &to).map_err(|e| e.to_string())?;

    let (live, _) = resolve_voids(port);
    let mut moved: Vec<String> = Vec::new();
    let mut event = None;
    for ev in &live {
        if Some(&ev.file.name) == due.event.as_ref() {
            event = Some(*ev);
            break;
        }
        moved.extend(notice::numbers_moved(ev.event, request));
    }
    if due.event.is_some() && event.is_none() {
        return Err("its event is no longer there".to_owned());
    }
    let loa = match due.kind {
        NoticeKind::SignatureRequest => Some(
            crate::commands::render::customer_loa(loa_templates, policy, &port.id, request)
                .map_err(|e| format!("cannot render the LOA to attach: {e}"))?,
        ),
        _ => None,
    };
    let loa_file = format!("{}-loa.pdf", port.id);
    let content = Content {
        kind: due.kind,
        port: &port.id,
        request,
        policy,
        event: event.map(|ev| NoticeEvent {
            number: ev.number,
            event: ev.event,
            moved_before: &moved,
        }),
        previous_foc: due.previous_foc,
        loa: loa
            .as_ref()
            .map(|(digest, pdf)| (digest.as_str(), loa_file.as_str(), pdf.as_slice())),
    };
    let notice = compose_with_fallback(templates, &content, &envelope, due.stem())
        .map_err(|e| e.to_string())?;
    Ok((to, notice))
}

/// Composes with the repo's templates; a kind the repo's `templates/email/` lacks (a
/// folder written before that kind existed) uses the built-in template.
fn compose_with_fallback(
    templates: &Templates,
    content: &Content<'_>,
    envelope: &Envelope,
    stem: String,
) -> Result<Notice, notice::NoticeError> {
    match notice::compose(templates, content, envelope, stem.clone()) {
        Err(notice::NoticeError::Template(TemplateError::Missing { .. })) => {
            notice::compose(&Templates::builtin(Kind::Email), content, envelope, stem)
        }
        other => other,
    }
}

/// From the desk's mailbox, dated when the notice became due, in the port's thread.
fn envelope(notices: &Notices, due: &Due, to: &str) -> Result<Envelope, notice::NoticeError> {
    let from = parse_mailbox(&notices.from, "[notices] from")?;
    let domain = from.email.domain().to_owned();
    let reply_to = notices
        .reply_to
        .as_deref()
        .map(|r| parse_mailbox(r, "[notices] reply_to"))
        .transpose()?;
    let bcc = notices
        .bcc
        .iter()
        .map(|b| parse_mailbox(b, "[notices] bcc"))
        .collect::<Result<Vec<_>, _>>()?;
    let local = due.id.replace('/', ".");
    Ok(Envelope {
        from,
        reply_to,
        to: mailbox(None, to, "the notice's recipient")?,
        bcc,
        date: SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(due.time).unwrap_or(0)),
        message_id: format!("<{local}@{domain}>"),
        thread: Some(format!("<{}@{domain}>", due.port)),
        boundary: format!("portflow-{}", &sha256_hex(due.id.as_bytes())[..24]),
    })
}

/// A mailbox written `Name <address>` or as a bare address.
fn parse_mailbox(
    text: &str,
    role: &'static str,
) -> Result<lettre::message::Mailbox, notice::NoticeError> {
    text.parse().map_err(
        |e: lettre::address::AddressError| notice::NoticeError::Address {
            address: text.to_owned(),
            role,
            reason: e.to_string(),
        },
    )
}
