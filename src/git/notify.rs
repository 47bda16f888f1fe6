//! Which customer notices are due, from what landed on the first-parent line, and the
//! ledger of deliveries kept in git notes.
//!
//! A notice is due when a commit on HEAD's first-parent line lands what it announces: a
//! `scheduled` (with a new FOC date), `rejected` or `completed` event, a port reaching
//! `awaiting-signature` (again when its LOA data changed), or a new port from an assisted
//! country; and porting.toml *of that commit* sends that kind. Events are facts: each
//! notice is written from the request and policy of the commit it became due in.
//!
//! The ledger is a note on the commit each run ended at (`refs/notes/portflow-notices`):
//! the notices it delivered and the ones it still owes. The newest such commit on the line
//! is where the next run starts; what it owes is tried again.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::Rc;

use git2::Oid;
use serde::{Deserialize, Serialize};

use super::scan::Scan;
use super::tree::{GitTree, read_blob};
use super::{Git, GitError};
use crate::engine::{Checked, Scope, check_tree};
use crate::model::Date;
use crate::model::event::EventBody;
use crate::model::policy::{Channel, NoticeKind};
use crate::notice;
use crate::repo::{CONFIG_MAX_BYTES, POLICY_FILE, PolicyThen};
use crate::rules::NoHistory;
use crate::rules::events::resolve_voids;
use crate::stage::Stage;

/// The notes ref that holds the ledger.
pub const NOTES_REF: &str = "refs/notes/portflow-notices";

/// One notice delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    /// The notice (see [`Due::id`]).
    pub notice: String,
    /// Its Message-ID.
    pub message_id: String,
    /// The customer's address.
    pub to: String,
    /// When the server took it, UTC (RFC 3339).
    pub at: String,
}

/// One notice due and not delivered: tried again by the next run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owed {
    /// The notice (see [`Due::id`]).
    pub notice: String,
    /// The commit it became due in.
    pub commit: String,
    /// Why the last attempt failed.
    pub error: String,
}

/// The ledger note of one commit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// Delivered by runs that ended at this commit.
    #[serde(default)]
    pub sent: Vec<Sent>,
    /// Still owed after the last run that ended at this commit.
    #[serde(default)]
    pub owed: Vec<Owed>,
}

impl Note {
    /// The note as it is stored: TOML, with a line saying what it is.
    pub fn to_text(&self) -> String {
        let body = toml::to_string(self).unwrap_or_default();
        format!("# Customer notices delivered by `portflow notify` (docs/workflow.md).\n{body}")
    }
}

/// Every ledger note, by the commit it is on.
pub fn read_ledger(git: &Git) -> Result<Vec<(Oid, Note)>, GitError> {
    let repo = &git.repo;
    let notes = match repo.notes(Some(NOTES_REF)) {
        Ok(notes) => notes,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    for entry in notes {
        let (_, annotated) = entry?;
        let note = repo.find_note(Some(NOTES_REF), annotated)?;
        let text = note.message().unwrap_or_default();
        let parsed: Note = toml::from_str(text).map_err(|e| {
            GitError::Ledger(format!(
                "the note on commit {annotated} in {NOTES_REF} is not a notice ledger: {}",
                e.message()
            ))
        })?;
        out.push((annotated, parsed));
    }
    Ok(out)
}

/// Writes the ledger note of `commit`, replacing the one there.
pub fn write_note(git: &Git, commit: Oid, note: &Note) -> Result<(), GitError> {
    let signature = git2::Signature::now("portflow", "portflow@localhost")?;
    git.repo.note(
        &signature,
        &signature,
        Some(NOTES_REF),
        commit,
        &note.to_text(),
        true,
    )?;
    Ok(())
}

/// `--since REF` as a commit on HEAD's first-parent line.
pub fn on_line(git: &Git, scan: &Scan<'_>, rev: &str) -> Result<Oid, GitError> {
    let commit = git
        .repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|_| GitError::UnknownRevision(rev.to_owned()))?;
    match scan.position(commit.id()) {
        Some(_) => Ok(commit.id()),
        None => Err(GitError::Ledger(format!(
            "`{rev}` is not on the first-parent line of HEAD, so notify cannot start after it"
        ))),
    }
}

/// A notice due, with the port as the commit it became due in had it.
pub struct Due {
    /// Stable identity: `<port>/<kind>` plus the event number (`/004`) or, for a signature
    /// request, the first 12 hex digits of the LOA digest.
    pub id: String,
    /// The kind.
    pub kind: NoticeKind,
    /// The port id.
    pub port: String,
    /// The commit it became due in.
    pub commit: Oid,
    /// That commit's time (seconds since the epoch).
    pub time: i64,
    /// The event file (`NNN-kind.toml`) for event notices.
    pub event: Option<String>,
    /// A scheduled notice: the FOC it replaces.
    pub previous_foc: Option<Date>,
    /// The port checked alone at that commit, on that commit's date.
    pub then: Rc<Checked>,
}

impl Due {
    /// The file name stem of its `.eml`: `004-scheduled`, `signature-request-<hex>`,
    /// `assisted`.
    pub fn stem(&self) -> String {
        let rest = self.id.rsplit_once('/').map(|(_, r)| r).unwrap_or_default();
        match self.kind {
            NoticeKind::Assisted => "assisted".to_owned(),
            NoticeKind::SignatureRequest => format!("signature-request-{rest}"),
            kind => format!("{rest}-{}", kind.as_str()),
        }
    }
}

/// Where this run starts, and what the ledger already holds.
pub struct Window {
    /// Commits after this line position are new (`None`: from the first commit).
    pub after: Option<usize>,
    /// Notices delivered by any run.
    pub sent: HashSet<String>,
    /// Notices owed by the last run, with the line position they became due at.
    pub owed: Vec<(Owed, usize)>,
    /// The commit of the newest ledger note on the line, and that note.
    pub last: Option<(Oid, Note)>,
}

/// The window from the ledger: after the newest noted commit on the line, or after
/// `since` when given.
pub fn window(scan: &Scan<'_>, ledger: Vec<(Oid, Note)>, since: Option<Oid>) -> Window {
    let sent = ledger
        .iter()
        .flat_map(|(_, n)| n.sent.iter().map(|s| s.notice.clone()))
        .collect();
    let last = ledger
        .into_iter()
        .filter_map(|(id, note)| scan.position(id).map(|at| (at, id, note)))
        .max_by_key(|(at, _, _)| *at);
    let owed = last
        .as_ref()
        .map(|(_, _, note)| {
            note.owed
                .iter()
                .filter_map(|o| {
                    let id = Oid::from_str(&o.commit).ok()?;
                    Some((o.clone(), scan.position(id)?))
                })
                .collect()
        })
        .unwrap_or_default();
    let after = match since {
        Some(id) => scan.position(id),
        None => last.as_ref().map(|(at, _, _)| *at),
    };
    Window {
        after,
        sent,
        owed,
        last: last.map(|(_, id, note)| (id, note)),
    }
}

/// The port in `dir` with tree `tree`, checked alone at line position `at`, on that
/// commit's own date and porting.toml.
fn port_at(git: &Git, scan: &Scan<'_>, at: usize, dir: &str, tree: Oid) -> Option<Checked> {
    let step = scan.step(at);
    let date = step.info.local_date()?;
    let built = GitTree::of_ports(git, step.policy, step.schemas, &[(dir, tree)]).ok()?;
    check_tree(&built, &Scope::all(), date, &NoHistory).ok()
}

/// Whether each porting.toml blob (file mode included) has `[notices]`: read once per
/// blob, so the commits of a desk that sends none are passed over without checking a port.
type NoticesOn = HashMap<(Oid, u32), bool>;

fn notices_on(git: &Git, known: &mut NoticesOn, policy: Option<(Oid, u32)>) -> bool {
    let Some((blob, mode)) = policy else {
        return false;
    };
    *known.entry((blob, mode)).or_insert_with(|| {
        read_blob(git, blob, mode, POLICY_FILE, CONFIG_MAX_BYTES)
            .ok()
            .and_then(|bytes| PolicyThen::load(&bytes))
            .is_some_and(|then| then.policy.notices.is_some())
    })
}

/// The notices that became due at line position `at`.
fn due_at(
    git: &Git,
    scan: &mut Scan<'_>,
    at: usize,
    on: &mut NoticesOn,
    out: &mut Vec<Due>,
) -> Result<(), GitError> {
    if !notices_on(git, on, scan.step(at).policy) {
        return Ok(());
    }
    let step = scan.step(at).clone();
    for change in &step.changes {
        let Some(tree) = change.tree else { continue };
        let Some(then) = port_at(git, scan, at, &change.dir, tree) else {
            continue;
        };
        let before = at
            .checked_sub(1)
            .and_then(|p| scan.place_at(&change.id, p).map(|place| (p, place)));
        let before_events: BTreeSet<String> = match &before {
            Some((_, (_, t))) => scan.events_of(*t)?.iter().map(|(n, _)| n.clone()).collect(),
            None => BTreeSet::new(),
        };
        let then = Rc::new(then);
        let (Some(policy), Some(port), Some(report)) = (
            then.repo.policy.as_ref().map(|p| &p.value),
            then.repo.ports.first(),
            then.reports.first(),
        ) else {
            continue;
        };
        let Some(notices) = &policy.notices else {
            continue;
        };
        let Some(request) = port.request.as_ref().map(|r| &r.value) else {
            continue;
        };
        let due =
            |kind: NoticeKind, id: String, event: Option<String>, previous: Option<Date>| Due {
                id,
                kind,
                port: port.id.clone(),
                commit: step.id,
                time: step.info.time,
                event,
                previous_foc: previous,
                then: then.clone(),
            };
        if before.is_none()
            && notices.sends(NoticeKind::Assisted)
            && policy
                .country(&request.country)
                .is_some_and(|c| c.channel == Channel::Assisted)
        {
            out.push(due(
                NoticeKind::Assisted,
                format!("{}/assisted", port.id),
                None,
                None,
            ));
        }
        if report.stage == Stage::AwaitingSignature && notices.sends(NoticeKind::SignatureRequest) {
            let digest = report.digest.clone().unwrap_or_default();
            let asked_before = before.as_ref().is_some_and(|(p, (dir, t))| {
                port_at(git, scan, *p, dir, *t).is_some_and(|c| {
                    c.reports.first().is_some_and(|r| {
                        r.stage == Stage::AwaitingSignature && r.digest.as_ref() == Some(&digest)
                    })
                })
            });
            if !asked_before {
                let hex = digest.trim_start_matches("sha256:");
                out.push(due(
                    NoticeKind::SignatureRequest,
                    format!(
                        "{}/signature-request/{}",
                        port.id,
                        &hex[..hex.len().min(12)]
                    ),
                    None,
                    None,
                ));
            }
        }
        let (live, _) = resolve_voids(port);
        let mut last_foc: Option<Date> = None;
        for ev in &live {
            let foc = match &ev.event.body {
                EventBody::Scheduled { foc, .. } => Some(*foc),
                _ => None,
            };
            let new = !before_events.contains(&ev.file.name);
            if let Some(kind) = notice::kind_of(ev.event.kind()).filter(|_| new)
                && notices.sends(kind)
                && (foc.is_none() || foc != last_foc)
            {
                out.push(due(
                    kind,
                    format!("{}/{}/{:03}", port.id, kind.as_str(), ev.number),
                    Some(ev.file.name.clone()),
                    last_foc.filter(|_| foc.is_some()),
                ));
            }
            if foc.is_some() {
                last_foc = foc;
            }
        }
    }
    Ok(())
}

/// The notices due in the window and not delivered: those of the commits after it, and
/// those the last run owes. A notice whose event was voided since is not due.
pub fn plan(git: &Git, scan: &mut Scan<'_>, window: &Window) -> Result<Vec<Due>, GitError> {
    let mut due = Vec::new();
    let mut on = NoticesOn::new();
    let from = window.after.map_or(0, |a| a + 1);
    let owed: BTreeSet<usize> = window
        .owed
        .iter()
        .map(|(_, at)| *at)
        .filter(|at| *at < from)
        .collect();
    for at in owed {
        let mut found = Vec::new();
        due_at(git, scan, at, &mut on, &mut found)?;
        due.extend(
            found
                .into_iter()
                .filter(|d| window.owed.iter().any(|(o, _)| o.notice == d.id)),
        );
    }
    for at in from..scan.len() {
        due_at(git, scan, at, &mut on, &mut due)?;
    }
    due.retain(|d| !window.sent.contains(&d.id));
    let mut seen = HashSet::new();
    due.retain(|d| seen.insert(d.id.clone()));
    // An event voided since it landed is not announced.
    let head = scan.len().checked_sub(1);
    let voided: HashSet<String> = due
        .iter()
        .filter(|d| d.event.is_some())
        .map(|d| d.port.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter_map(|port| {
            let head = head?;
            let (dir, tree) = scan.place_at(&port, head)?;
            let now = port_at(git, scan, head, &dir, tree)?;
            let files = now.repo.ports.first()?;
            let (live, _) = resolve_voids(files);
            let live: HashSet<&str> = live.iter().map(|e| e.file.name.as_str()).collect();
            Some(
                files
                    .events
                    .iter()
                    .filter(|e| !live.contains(e.name.as_str()))
                    .map(|e| format!("{port}/{}", e.name))
                    .collect::<Vec<_>>(),
            )
        })
        .flatten()
        .collect();
    due.retain(|d| {
        d.event
            .as_ref()
            .is_none_or(|name| !voided.contains(&format!("{}/{name}", d.port)))
    });
    Ok(due)
}
