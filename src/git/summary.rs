//! What a pull request changes, for its reviewers: stage changes, new events, the LOA
//! fields changed since the latest signature and a checklist per submission.

use std::collections::{BTreeMap, BTreeSet};

use git2::Oid;

use super::GitError;
use super::pull::PullRequest;
use super::scan::Scan;
use crate::diag::{Code, Finding, Severity};
use crate::loa::diff::loa_changes;
use crate::loa::digest::{self, LoaData};
use crate::model::event::{EventBody, EventKind};
use crate::model::policy::{Channel, Policy};
use crate::model::request::{DocumentKind, Request};
use crate::plural::count;
use crate::repo::{EventFile, POLICY_FILE, Port};
use crate::report::{Counts, markdown};
use crate::rules::PortReport;
use crate::rules::events::resolve_voids;
use crate::source::SourceFile;

/// How many commits back `summary` looks for the LOA data a signature covers.
const SIGNED_SEARCH_DEPTH: usize = 500;

/// Document codes that make a submission's proof of ownership doubtful.
const PROOF_CODES: [Code; 8] = [
    Code::DocumentStale,
    Code::DocumentNoProof,
    Code::DocumentMissing,
    Code::DocumentBadType,
    Code::DocumentTooLarge,
    Code::DocumentLfsPointer,
    Code::DocumentOutsidePort,
    Code::DocumentScreenshotNotAllowed,
];

impl PullRequest<'_> {
    /// What changed, for the pull request's reviewers.
    pub fn summary(&self) -> Result<markdown::Summary, GitError> {
        let mut scan = Scan::new(self.git)?;
        let head = &self.head;
        let policy = head.repo.policy.as_ref().map(|p| &p.value);
        let mut ports = Vec::new();
        for id in &self.changed_ports {
            let hport = head.repo.ports.iter().find(|p| &p.id == id);
            let base = self.base.as_ref();
            let bport = base.and_then(|b| b.repo.ports.iter().find(|p| &p.id == id));
            let before = match (base, bport) {
                (Some(b), Some(p)) => Some(b.stage_of(&p.dir)),
                _ => None,
            };
            let report = hport.and_then(|p| head.reports.iter().find(|r| r.dir == p.dir));
            let dir = hport.or(bport).map_or_else(String::new, |p| p.dir.clone());
            let in_port = |f: &&Finding| {
                let file = f.file.to_string_lossy();
                file == dir
                    || file.starts_with(&format!("{dir}/"))
                    || bport
                        .is_some_and(|b| file == b.dir || file.starts_with(&format!("{}/", b.dir)))
            };
            let findings: Vec<&Finding> = head.findings.iter().filter(in_port).collect();
            let counts = Counts::of(findings.iter().copied());
            let mut changed = markdown::ChangedPort {
                id: id.clone(),
                dir: dir.clone(),
                before,
                after: report.map(|r| r.stage),
                new_events: Vec::new(),
                loa: None,
                checklists: Vec::new(),
                errors: counts.errors,
                warnings: counts.warnings,
            };
            if let (Some(hport), Some(report)) = (hport, report) {
                let base_events: Vec<&EventFile> =
                    bport.map(|b| b.events.iter().collect()).unwrap_or_default();
                for e in &hport.events {
                    if base_events.iter().any(|b| b.name == e.name) {
                        continue;
                    }
                    let renumbered_from = base_events
                        .iter()
                        .find(|b| {
                            matches!(
                                (self.base_tree.id(&b.path), self.head_files.id(&e.path)),
                                (Some(x), Some(y)) if x == y
                            )
                        })
                        .map(|b| b.name.clone());
                    changed.new_events.push(new_event(e, renumbered_from));
                }
                if let (Some(request), Some(policy)) = (&hport.request, policy) {
                    changed.loa = self.loa_since_signing(&mut scan, hport, report, policy)?;
                    let codes: BTreeSet<Code> = findings.iter().map(|f| f.code).collect();
                    for e in &changed.new_events {
                        if e.kind == Some(EventKind::Submitted) && e.renumbered_from.is_none() {
                            changed.checklists.push(checklist(
                                e,
                                &request.value,
                                report,
                                &changed.loa,
                                &codes,
                                policy,
                            ));
                        }
                    }
                }
            }
            ports.push(changed);
        }
        let count = |blocking: bool, severity: Severity| {
            head.findings
                .iter()
                .filter(|f| f.severity == severity && (!blocking || f.blocking))
                .count()
        };
        let sources: BTreeMap<String, &SourceFile> = head
            .repo
            .sources
            .iter()
            .map(|(k, v)| (k.clone(), &**v))
            .collect();
        let findings = head
            .findings
            .iter()
            .map(|f| {
                let file = f.file.to_string_lossy().into_owned();
                let line = sources.get(&file).map_or(1, |s| s.line_col(f.span.start).0);
                markdown::FindingLine {
                    code: f.code.as_str(),
                    severity: f.severity,
                    blocking: f.blocking,
                    file,
                    line,
                    message: f.message.clone(),
                }
            })
            .collect();
        scan.save();
        Ok(markdown::Summary {
            base_ref: self.base_ref.clone(),
            base_commit: self.base_commit.to_string(),
            policy_changed: self.changed_files.contains(POLICY_FILE),
            ports,
            errors: count(false, Severity::Error),
            warnings: count(false, Severity::Warning),
            blocking_errors: count(true, Severity::Error),
            blocking_warnings: count(true, Severity::Warning),
            findings,
        })
    }

    /// The committed LOA data whose digest is `loa_digest`, searched from `start` back along
    /// first parents (a bounded walk: signatures are recent).
    fn signed_data(
        &self,
        scan: &mut Scan<'_>,
        start: Oid,
        id: &str,
        loa_digest: &str,
    ) -> Result<Option<LoaData>, GitError> {
        let mut commit = self.git.repo.find_commit(start)?;
        for _ in 0..SIGNED_SEARCH_DEPTH {
            if let Some((data, _)) = scan.request_at(commit.id(), id)?
                && digest::digest(&data) == loa_digest
            {
                return Ok(Some(data));
            }
            match commit.parent(0) {
                Ok(parent) => commit = parent,
                Err(_) => break,
            }
        }
        Ok(None)
    }

    /// The LOA fields changed since the commit that brought the latest live signature.
    fn loa_since_signing(
        &self,
        scan: &mut Scan<'_>,
        hport: &Port,
        report: &PortReport,
        policy: &Policy,
    ) -> Result<Option<markdown::LoaSinceSigning>, GitError> {
        let Some(request) = &hport.request else {
            return Ok(None);
        };
        let (live, _) = resolve_voids(hport);
        let Some(signed) = live
            .iter()
            .rev()
            .find(|e| e.event.kind() == EventKind::Signed)
        else {
            return Ok(None);
        };
        let blob = self.head_files.id(signed.path()).unwrap_or(Oid::ZERO_SHA1);
        let current: BTreeSet<String> = hport.events.iter().map(|e| e.name.clone()).collect();
        let landing = scan.landings(&hport.id, &[(signed.file.name.clone(), blob)], &current)?;
        let now = LoaData::new(policy, &hport.id, &request.value);
        let EventBody::Signed { loa_digest, .. } = &signed.event.body else {
            return Ok(None);
        };
        let landed = landing.first().copied().flatten();
        // The reference is the LOA data whose digest the signature records, not whatever the
        // files held when the signature landed (the LOA may have been edited in that commit).
        let changes = if digest::digest(&now) == *loa_digest {
            Some(Vec::new())
        } else {
            let start = match landed {
                Some(commit) => Some(commit),
                None => self.git.head().ok().map(|c| c.id()),
            };
            match start {
                Some(start) => self
                    .signed_data(scan, start, &hport.id, loa_digest)?
                    .map(|data| loa_changes(&data, &now)),
                None => None,
            }
        };
        let commit = landed.map(|c| c.to_string());
        Ok(Some(markdown::LoaSinceSigning {
            event: signed.file.name.clone(),
            on: signed.event.on,
            commit,
            changes,
            covers_current: report.fold.as_ref().is_some_and(|f| f.signed_current),
        }))
    }
}

fn new_event(file: &EventFile, renumbered_from: Option<String>) -> markdown::NewEvent {
    let event = file.loaded.as_ref().map(|l| &l.value);
    let detail = event.map_or_else(
        || "does not parse or fails its schema".to_owned(),
        |e| match &e.body {
            EventBody::Signed { signer, method, .. } => {
                format!("signed by {signer} ({})", method.as_str())
            }
            EventBody::Submitted {
                carrier,
                requested_foc,
                ..
            } => format!("to {carrier}, requested FOC {requested_foc}"),
            EventBody::Rejected { reasons, .. } => {
                let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
                format!("reasons: {}", codes.join(", "))
            }
            EventBody::Scheduled { foc, .. } => format!("FOC {foc}"),
            EventBody::Completed { numbers } => match numbers {
                Some(n) => count(n.len(), "number", "numbers"),
                None => "all numbers".to_owned(),
            },
            EventBody::Cancelled { reason } => reason.clone(),
            EventBody::Void { voids, reason } => format!("voids {voids}: {reason}"),
        },
    );
    markdown::NewEvent {
        file: file.name.clone(),
        kind: file.name_kind,
        on: event.map(|e| e.on),
        by: event.map(|e| e.by.clone()),
        detail,
        renumbered_from,
    }
}

fn checklist(
    event: &markdown::NewEvent,
    request: &Request,
    report: &PortReport,
    loa: &Option<markdown::LoaSinceSigning>,
    codes: &BTreeSet<Code>,
    policy: &Policy,
) -> markdown::Checklist {
    let mut items = Vec::new();
    let signed_current = report.fold.as_ref().is_some_and(|f| f.signed_current)
        && !codes.contains(&Code::EventStaleSignature);
    items.push(markdown::CheckItem {
        ok: signed_current,
        label: "signature current",
        detail: match (signed_current, loa) {
            (true, Some(l)) => format!(
                "`{}` (signed {}) covers the current LOA data",
                l.event, l.on
            ),
            (true, None) => "a signature covers the current LOA data".to_owned(),
            (false, _) => {
                "no `signed` event covers the current LOA data: have the LOA signed again"
                    .to_owned()
            }
        },
    });
    let bad: Vec<&str> = PROOF_CODES
        .iter()
        .filter(|c| codes.contains(c))
        .map(|c| c.as_str())
        .collect();
    let submitted_on = event.on;
    let proofs: Vec<String> = request
        .documents
        .iter()
        .filter(|d| {
            matches!(
                d.kind,
                DocumentKind::Bill | DocumentKind::Receipt | DocumentKind::TrackingScreenshot
            )
        })
        .map(|d| match (d.dated, submitted_on) {
            (Some(dated), Some(on)) => format!(
                "{} `{}` dated {dated}, {} before the submission",
                d.kind.as_str(),
                d.path,
                count(
                    on.days_since_epoch() - dated.days_since_epoch(),
                    "day",
                    "days"
                )
            ),
            _ => format!("{} `{}`", d.kind.as_str(), d.path),
        })
        .collect();
    items.push(markdown::CheckItem {
        ok: bad.is_empty() && !proofs.is_empty(),
        label: "proof fresh",
        detail: if bad.is_empty() {
            if proofs.is_empty() {
                "no proof of ownership listed".to_owned()
            } else {
                proofs.join("; ")
            }
        } else {
            format!("see the findings: `{}`", bad.join("`, `"))
        },
    });
    let csr_bad = codes.contains(&Code::LoaCsrMismatch) || codes.contains(&Code::LoaPortType);
    items.push(markdown::CheckItem {
        ok: request.csr.is_some() && !csr_bad,
        label: "CSR matched",
        detail: match (&request.csr, csr_bad) {
            (None, _) => "no `[csr]` in the request: compare the LOA with the losing carrier's records by hand".to_owned(),
            (Some(_), true) => "the LOA data differs from the CSR: see `loa::csr-mismatch` / `loa::port-type`".to_owned(),
            (Some(_), false) => "the LOA data matches the CSR".to_owned(),
        },
    });
    let country = policy.country(&request.country);
    let fee = match country {
        Some(c) if c.channel == Channel::Assisted && c.has_fee() => {
            let total = c.fee_per_number.unwrap_or_default() * request.numbers.len() as f64;
            let currency = c.currency.clone().unwrap_or_default();
            match (&request.fee, codes.contains(&Code::CountryFeeNotAccepted)) {
                (Some(f), false) => markdown::CheckItem {
                    ok: true,
                    label: "fee accepted",
                    detail: format!(
                        "{total:.2} {currency} for {}, accepted by {} on {}",
                        count(request.numbers.len(), "number", "numbers"),
                        f.accepted_by,
                        f.accepted_on
                    ),
                },
                _ => markdown::CheckItem {
                    ok: false,
                    label: "fee accepted",
                    detail: format!(
                        "{total:.2} {currency} for {}, not accepted by the customer (`[fee]`)",
                        count(request.numbers.len(), "number", "numbers")
                    ),
                },
            }
        }
        Some(c) if c.channel == Channel::Assisted => markdown::CheckItem {
            ok: true,
            label: "fee accepted",
            detail: format!("no fee for {} (assisted)", c.code),
        },
        Some(c) => markdown::CheckItem {
            ok: true,
            label: "fee accepted",
            detail: format!("not applicable: {} is self-serve and free", c.code),
        },
        None => markdown::CheckItem {
            ok: false,
            label: "fee accepted",
            detail: format!("`{}` is not configured in porting.toml", request.country),
        },
    };
    items.push(fee);
    markdown::Checklist {
        event: event.file.clone(),
        items,
    }
}
