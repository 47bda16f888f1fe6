//! Semantic rules over validated ports, one module per concern; rules never do I/O.
//!
//! Per port: request rules (numbers, LOA, country, secrets, document files) decide whether
//! the LOA is complete; with the LOA digest and the events that gives the stage (a pure
//! fold); then the rules that depend on the stage (event order, staleness at submission,
//! routing, fees); last the rules across ports (a number in two open ports).

pub mod country;
pub mod documents;
pub mod events;
pub mod history;
pub mod loa;
pub mod numbers;
pub mod policy;
pub mod routing;
pub mod secrets;

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use rayon::prelude::*;

use crate::diag::{Code, Finding, Severity};
use crate::loa::digest::{self, LoaData};
use crate::model::Date;
use crate::model::event::Event;
use crate::model::policy::Policy;
use crate::model::request::Request;
use crate::repo::{EventFile, Port, Repo};
use crate::source::Document;
use crate::stage::{self, Facts, Fold, Stage, Step};

/// What every rule may consult besides the port: the policy, today's date and the history.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    /// The validated porting.toml.
    pub policy: &'a Policy,
    /// Today (from `--today`, else the system date); only rules that say so use it.
    pub today: Date,
    /// When each event was recorded, and the data of that time.
    pub past: &'a dyn Past,
}

impl std::fmt::Debug for Ctx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("policy", &self.policy)
            .field("today", &self.today)
            .finish_non_exhaustive()
    }
}

/// Whether an event is part of the recorded history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Added by the change being checked (or not committed): judged on today's files.
    Now,
    /// Recorded before the change being checked: a fact, judged when it was added.
    Before,
    /// No history at hand (no git, or a shallow clone).
    Unknown,
}

/// What the repository's history knows about an event's own time. Events are facts: each
/// is judged by the data of the time it was recorded, never re-judged by today's files.
pub trait Past {
    /// Whether the event file at this repo-relative path was recorded before the change
    /// being checked.
    fn recorded(&self, event_path: &str) -> Recorded;
    /// porting.toml and the port's request as they were in the commit that added the
    /// event file (`None` when that cannot be read).
    fn data_when_added(&self, event_path: &str) -> DataThen;
    /// [`Past::recorded`] of each of these events (a history may answer them in parallel).
    fn recorded_all(&self, event_paths: &[&str]) -> Vec<Recorded> {
        event_paths.iter().map(|path| self.recorded(path)).collect()
    }
    /// [`Past::data_when_added`] of each of these events.
    fn data_when_added_all(&self, event_paths: &[&str]) -> Vec<DataThen> {
        event_paths
            .iter()
            .map(|path| self.data_when_added(path))
            .collect()
    }
    /// For each port id, a text that determines everything this history answers about the
    /// events of that port (which are recorded, and the data of their time), whatever its
    /// files: equal texts, equal answers. `None` when there is no such text; the port's
    /// verdict is then not cached.
    fn port_keys(&self, ids: &[&str]) -> Vec<Option<String>> {
        vec![None; ids.len()]
    }
}

/// porting.toml and a port's request as one commit had them (`None`: they cannot be read).
/// The policy is shared: most commits have the same porting.toml.
pub type DataThen = Option<(Arc<Policy>, Request)>;

/// No history: every event's time is unknown.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHistory;

impl Past for NoHistory {
    fn recorded(&self, _: &str) -> Recorded {
        Recorded::Unknown
    }

    fn data_when_added(&self, _: &str) -> DataThen {
        None
    }

    fn port_keys(&self, ids: &[&str]) -> Vec<Option<String>> {
        vec![Some("no history".to_owned()); ids.len()]
    }
}

/// A valid event of a port, not voided.
#[derive(Debug, Clone, Copy)]
pub struct EventRef<'a> {
    /// The file.
    pub file: &'a EventFile,
    /// Its NNN.
    pub number: u32,
    /// The event.
    pub event: &'a Event,
    /// Its parsed document, for spans.
    pub doc: &'a Document,
}

impl EventRef<'_> {
    /// Repo-relative path of the event file.
    pub fn path(&self) -> &str {
        &self.file.path
    }
}

/// A port whose request is valid, as rules see it.
#[derive(Debug, Clone)]
pub struct PortView<'a> {
    /// The port's files.
    pub port: &'a Port,
    /// The validated request.
    pub request: &'a Request,
    /// The request document, for spans (`doc.span("/numbers/0/number")`).
    pub doc: &'a Document,
    /// Valid events, voided ones removed, in NNN order.
    pub events: Vec<EventRef<'a>>,
}

impl PortView<'_> {
    /// Repo-relative path of request.toml.
    pub fn path(&self) -> String {
        self.port.request_path()
    }

    /// A finding on request.toml at the value a JSON pointer names.
    pub fn at(&self, code: Code, pointer: &str, message: impl Into<String>) -> Finding {
        Finding::new(code, self.path(), self.doc.span(pointer), message)
    }

    /// A finding on request.toml at the `[table]` a pointer names (for missing keys).
    pub fn at_table(&self, code: Code, pointer: &str, message: impl Into<String>) -> Finding {
        Finding::new(code, self.path(), self.doc.table_span(pointer), message)
    }
}

/// Where a port stands, for rules that depend on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The stage now.
    pub stage: Stage,
    /// The `on` date of the latest `submitted` event, if any.
    pub submitted_on: Option<Date>,
    /// The pending submission was recorded before the change being checked: its papers
    /// were judged then, under the policy of its time.
    pub settled: bool,
}

impl Progress {
    /// Whether the port has been submitted (checks "at submission" apply).
    pub fn submitted(&self) -> bool {
        self.submitted_on.is_some()
    }

    /// When and how document ages are judged: at the pending submission's date as errors
    /// (the reviewer approves that submission), unless it was recorded before this change
    /// (it was judged then); today as warnings before submission and
    /// while rejected (a resubmission will need fresh papers); not at all once the carrier
    /// has scheduled the port or it is terminal (the papers served).
    pub fn as_of(&self, today: Date) -> Option<(Date, Severity)> {
        match (self.stage, self.submitted_on) {
            (Stage::Submitted, _) if self.settled => None,
            (Stage::Submitted, Some(on)) => Some((on, Severity::Error)),
            (Stage::Scheduled | Stage::Completed | Stage::Cancelled, _) => None,
            _ => Some((today, Severity::Warning)),
        }
    }
}

/// The outcome of checking one port.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PortReport {
    /// The port id.
    pub id: String,
    /// Repo-relative folder.
    pub dir: String,
    /// The stage.
    pub stage: Stage,
    /// The current LOA digest, when the request is valid.
    pub digest: Option<String>,
    /// The fold, when the request is valid.
    pub fold: Option<Fold>,
}

impl PortReport {
    /// The report of a port that cannot be judged: `invalid`, no digest, no fold.
    fn invalid(port: &Port) -> PortReport {
        PortReport {
            id: port.id.clone(),
            dir: port.dir.clone(),
            stage: Stage::Invalid,
            digest: None,
            fold: None,
        }
    }
}

/// Codes whose errors mean the LOA data is incomplete (the `draft` stage).
pub fn blocks_loa(code: Code) -> bool {
    let name = code.as_str();
    name.starts_with("loa::")
        || name.starts_with("number::")
        || matches!(code, Code::CountryIneligible | Code::SecretPlaintext)
}

/// Codes whose verdict a change of porting.toml can flip on an unchanged request (country
/// requirements, fees, eligibility and regions, per-country credentials, what counts as
/// proof, size caps): they judge ports not yet submitted and rejected ones, never a port the
/// carrier is working on or one that is finished. `secret::plaintext` is not among them: a
/// secret in the clear is reported whatever the stage.
pub fn follows_policy(code: Code) -> bool {
    matches!(
        code,
        Code::CountryIneligible
            | Code::CountryRequirementMissing
            | Code::CountryFeeNotAccepted
            | Code::CountryAssisted
            | Code::LoaWirelessCredentials
            | Code::NumberCountryMismatch
            | Code::DocumentNoProof
            | Code::DocumentScreenshotNotAllowed
            | Code::DocumentTooLarge
            | Code::DocumentStale
    )
}

/// The stage of the port in `dir` (`invalid` when no report has it).
pub fn stage_of(reports: &[PortReport], dir: &str) -> Stage {
    reports
        .iter()
        .find(|r| r.dir == dir)
        .map_or(Stage::Invalid, |r| r.stage)
}

/// Runs every rule on every port. Returns the findings, one report per port and the
/// numbers of every open port, for the rule across ports ([`numbers::check_across`]),
/// which the caller runs once it knows every port's numbers.
///
/// Ports are judged in parallel. A git-backed history is not shared between threads, so
/// what it says of every event's time is asked first, all at once; the ports whose rules
/// need more of it (the request and policy of the commit that added an event) are judged
/// again, in parallel, once it has answered that too. A port that then needs still more is
/// judged in turn with the history itself.
pub fn check(repo: &Repo, today: Date, past: &dyn Past) -> Judgement {
    let mut findings = Vec::new();
    let mut reports = Vec::new();
    if let Some(policy) = &repo.policy {
        findings.extend(policy::check(policy));
    }
    let Some(policy) = repo.policy.as_ref().map(|p| &p.value) else {
        // Without a valid policy no semantic rule can run; the policy's findings say why.
        reports.extend(repo.ports.iter().map(PortReport::invalid));
        return Judgement {
            findings,
            reports,
            holders: Vec::new(),
        };
    };
    let paths: Vec<&str> = repo
        .ports
        .iter()
        .flat_map(|port| &port.events)
        .map(|event| event.path.as_str())
        .collect();
    let recorded: HashMap<&str, Recorded> = paths
        .iter()
        .copied()
        .zip(past.recorded_all(&paths))
        .collect();
    let no_data = HashMap::new();
    let mut judged: Vec<Result<Judged, Vec<String>>> = repo
        .ports
        .par_iter()
        .map(|port| judge_answered(policy, today, &recorded, &no_data, port))
        .collect();
    let mut asked: Vec<&str> = judged
        .iter()
        .filter_map(|j| j.as_ref().err())
        .flatten()
        .map(String::as_str)
        .collect();
    if !asked.is_empty() {
        asked.sort_unstable();
        asked.dedup();
        let data: HashMap<String, DataThen> = asked
            .iter()
            .map(|path| (*path).to_owned())
            .zip(past.data_when_added_all(&asked))
            .collect();
        judged
            .par_iter_mut()
            .zip(&repo.ports)
            .filter(|(slot, _)| slot.is_err())
            .for_each(|(slot, port)| {
                *slot = judge_answered(policy, today, &recorded, &data, port);
            });
    }
    let ctx = Ctx {
        policy,
        today,
        past,
    };
    for (slot, port) in judged.iter_mut().zip(&repo.ports) {
        if slot.is_err() {
            *slot = Ok(judge(&ctx, port));
        }
    }
    let mut holders = Vec::new();
    for (port_findings, report, open) in judged.into_iter().flatten() {
        findings.extend(port_findings);
        holders.extend(open);
        reports.push(report);
    }
    Judgement {
        findings,
        reports,
        holders,
    }
}

/// What [`check`] found.
#[derive(Debug, Default)]
pub struct Judgement {
    /// Every finding but the rule across ports.
    pub findings: Vec<Finding>,
    /// One report per port, in port order.
    pub reports: Vec<PortReport>,
    /// The numbers of every open port, in port order.
    pub holders: Vec<numbers::Holder>,
}

/// Every rule of one port, with what the history has answered so far; `Err` with the
/// events whose data the rules asked for when they asked for more than that.
fn judge_answered(
    policy: &Policy,
    today: Date,
    recorded: &HashMap<&str, Recorded>,
    data: &HashMap<String, DataThen>,
    port: &Port,
) -> Result<Judged, Vec<String>> {
    let answers = Answers {
        recorded,
        data,
        asked: RefCell::new(Vec::new()),
        asked_more: Cell::new(false),
    };
    let ctx = Ctx {
        policy,
        today,
        past: &answers,
    };
    let judged = judge(&ctx, port);
    if answers.asked_more.get() {
        Err(answers.asked.into_inner())
    } else {
        Ok(judged)
    }
}

/// One port's findings and report, and its numbers when it is open.
type Judged = (Vec<Finding>, PortReport, Option<numbers::Holder>);

/// Every rule of one port.
fn judge(ctx: &Ctx<'_>, port: &Port) -> Judged {
    let mut findings = events::check_names(port);
    let Some(request) = &port.request else {
        return (findings, PortReport::invalid(port), None);
    };
    let (events, void_findings) = events::resolve_voids(port);
    // An invalid port runs no event rule but naming and numbering (SPEC §5).
    if !port.invalid {
        findings.extend(void_findings);
    }
    let view = PortView {
        port,
        request: &request.value,
        doc: &request.doc,
        events,
    };
    let (report, port_findings) = check_port(ctx, &view);
    findings.extend(port_findings);
    let open = (!report.stage.is_terminal()).then(|| numbers::Holder::of(&view, report.stage));
    (findings, report, open)
}

/// What a history said of every event's time (and of the data of some events' time), for
/// one port's rules on any thread; notes when the rules ask for more than that, and which
/// events' data they asked for.
struct Answers<'a> {
    recorded: &'a HashMap<&'a str, Recorded>,
    data: &'a HashMap<String, DataThen>,
    asked: RefCell<Vec<String>>,
    asked_more: Cell<bool>,
}

impl Past for Answers<'_> {
    fn recorded(&self, event_path: &str) -> Recorded {
        self.recorded.get(event_path).copied().unwrap_or_else(|| {
            self.asked_more.set(true);
            Recorded::Unknown
        })
    }

    fn data_when_added(&self, event_path: &str) -> DataThen {
        self.data.get(event_path).cloned().unwrap_or_else(|| {
            self.asked_more.set(true);
            self.asked.borrow_mut().push(event_path.to_owned());
            None
        })
    }
}

/// Checks one port with a valid request; returns its report and findings.
pub fn check_port(ctx: &Ctx<'_>, view: &PortView<'_>) -> (PortReport, Vec<Finding>) {
    let mut out = Vec::new();
    numbers::check(ctx, view, &mut out);
    loa::check(ctx, view, &mut out);
    country::check(ctx, view, &mut out);
    secrets::check(ctx, view, &mut out);
    documents::check_files(ctx, view, &mut out);
    let loa_complete = !out
        .iter()
        .any(|f| f.severity == Severity::Error && blocks_loa(f.code))
        && !country::fields_missing(ctx, view);
    let data = LoaData::new(ctx.policy, &view.port.id, view.request);
    let digest = digest::digest(&data);
    let invalid = view.port.invalid;
    let events_invalid = view.port.events.iter().any(|e| e.loaded.is_none());
    let facts = Facts {
        invalid,
        events_invalid,
        loa_complete,
        documents_complete: documents::complete(ctx, view),
        digest: digest.clone(),
        numbers: view
            .request
            .numbers
            .iter()
            .map(|n| n.number.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        unusable_documents: view
            .port
            .probes
            .iter()
            .filter(|(_, probe)| !documents::is_usable(ctx, probe))
            .map(|(path, _)| path.clone())
            .collect(),
    };
    let steps: Vec<Step<'_>> = view
        .events
        .iter()
        .map(|e| Step {
            number: e.number,
            event: e.event,
        })
        .collect();
    let fold = stage::fold(&facts, &steps);
    let progress = Progress {
        stage: fold.stage,
        submitted_on: fold.last_submission.map(|i| steps[i].event.on),
        settled: fold.pending.is_some_and(|p| {
            ctx.past.recorded(view.events[p.submission].path()) == Recorded::Before
        }),
    };
    if !events_invalid {
        events::check(ctx, view, &fold, &digest, &mut out);
        documents::check_progress(ctx, view, &progress, &mut out);
        country::check_progress(ctx, view, &progress, &mut out);
        routing::check(ctx, view, &progress, &mut out);
    }
    // A port the carrier is working on (or that is finished) was judged under the policy
    // of its submission: a later porting.toml does not re-judge it.
    let settled = matches!(
        fold.stage,
        Stage::Scheduled | Stage::Completed | Stage::Cancelled
    ) || (fold.stage == Stage::Submitted && progress.settled);
    if settled {
        out.retain(|f| !follows_policy(f.code));
    }
    let report = PortReport {
        id: view.port.id.clone(),
        dir: view.port.dir.clone(),
        stage: fold.stage,
        digest: Some(digest),
        fold: Some(fold),
    };
    (report, out)
}
