//! What a pull request changes, for its reviewers: stage changes, new events, the LOA
//! fields changed since the latest signature, what each submission sends and the facts
//! checked for it, what a resubmission changed against the rejection's reasons, moved FOC
//! dates, and what a change of porting.toml changes.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use git2::Oid;

use super::pull::PullRequest;
use super::scan::Scan;
use super::{COMPARE_MAX_BYTES, GitError};
use crate::diag::{Code, Finding, Severity};
use crate::engine::Checked;
use crate::loa::diff::{FieldChange, loa_changes, loa_fields, map_changes, value_fields};
use crate::loa::digest::{self, LoaData};
use crate::model::Date;
use crate::model::event::{EventBody, EventKind, RejectReason};
use crate::model::policy::{Channel, Credential, Policy, RequirementType};
use crate::model::request::{Document, DocumentKind, NumberType, Request};
use crate::plural::count;
use crate::repo::{EventFile, POLICY_FILE, Port, Tree};
use crate::report::{Counts, markdown};
use crate::rules::PortReport;
use crate::rules::events::resolve_voids;
use crate::rules::{EventRef, country};
use crate::signed::sha256_hex;
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
    /// What changed, for the pull request's reviewers; `loa_link` is where the rendered
    /// LOAs can be downloaded (the CI run's artifacts).
    pub fn summary(&self, loa_link: Option<&str>) -> Result<markdown::Summary, GitError> {
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
                submissions: Vec::new(),
                foc_changes: Vec::new(),
                errors: counts.errors,
                warnings: counts.warnings,
            };
            if let (Some(hport), Some(report)) = (hport, report) {
                let base_events: Vec<&EventFile> =
                    bport.map(|b| b.events.iter().collect()).unwrap_or_default();
                let mut added = Vec::new();
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
                    if renumbered_from.is_none() {
                        added.push(e.name.clone());
                    }
                    changed.new_events.push(new_event(e, renumbered_from));
                }
                let (live, _) = resolve_voids(hport);
                changed.foc_changes = foc_changes(&live, &added);
                if let (Some(request), Some(policy)) = (&hport.request, policy) {
                    changed.loa =
                        self.loa_since_signing(&mut scan, hport, &live, report, policy)?;
                    let codes: BTreeSet<Code> = findings.iter().map(|f| f.code).collect();
                    for (i, e) in live.iter().enumerate() {
                        if !added.contains(&e.file.name) {
                            continue;
                        }
                        let EventBody::Submitted {
                            carrier,
                            requested_foc,
                            ..
                        } = &e.event.body
                        else {
                            continue;
                        };
                        let answers = self.answers(
                            &mut scan,
                            hport,
                            bport,
                            &live[..i],
                            *requested_foc,
                            policy,
                        )?;
                        let loa = LoaData::new(policy, &hport.id, &request.value);
                        let fee = fee_item(&request.value, &codes, policy);
                        let signed = live[..i]
                            .iter()
                            .rev()
                            .find(|e| e.event.kind() == EventKind::Signed);
                        changed.submissions.push(markdown::Submission {
                            event: e.file.name.clone(),
                            carrier: carrier.clone(),
                            requested_foc: *requested_foc,
                            fields: in_loa_order(customer_fields(&loa)),
                            numbers: loa
                                .numbers
                                .iter()
                                .map(|n| (n.number.clone(), n.kind.clone()))
                                .collect(),
                            fee: fee.detail.clone(),
                            digest: report.digest.clone(),
                            loa_link: loa_link.map(str::to_owned),
                            answers,
                            facts: facts(
                                e.event.on,
                                signed,
                                &request.value,
                                report,
                                &changed.loa,
                                &codes,
                                policy,
                            )
                            .into_iter()
                            .chain([fee])
                            .collect(),
                            to_look_at: to_look_at(&request.value, signed),
                        });
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
            policy: self
                .changed_files
                .contains(POLICY_FILE)
                .then(|| self.policy_change()),
            ports,
            errors: count(false, Severity::Error),
            warnings: count(false, Severity::Warning),
            blocking_errors: count(true, Severity::Error),
            blocking_warnings: count(true, Severity::Warning),
            findings,
        })
    }

    /// The keys of porting.toml that differ from the base, and the ports whose LOA digest
    /// or rule codes differ between the base's check and the head's.
    fn policy_change(&self) -> markdown::PolicyChange {
        let fields = |bytes: Option<Vec<u8>>| {
            let value = bytes
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|text| toml::from_str::<toml::Value>(&text).ok())
                .and_then(|v| serde_json::to_value(v).ok())
                .unwrap_or_default();
            value_fields(&value)
        };
        let before = fields(self.base_tree.read(POLICY_FILE, COMPARE_MAX_BYTES).ok());
        let after = fields(self.head_files.read(POLICY_FILE));
        let keys = map_changes(&before, &after);
        let mut ports = Vec::new();
        let mut compared = 0;
        if let Some(base) = &self.base {
            let then_by_id: HashMap<&str, &PortReport> =
                base.reports.iter().map(|r| (r.id.as_str(), r)).collect();
            let (codes_then, codes_now) = (codes_by_port(base), codes_by_port(&self.head));
            let none = BTreeSet::new();
            for now in &self.head.reports {
                let Some(then) = then_by_id.get(now.id.as_str()) else {
                    continue;
                };
                compared += 1;
                let was = codes_then.get(then.dir.as_str()).unwrap_or(&none);
                let is = codes_now.get(now.dir.as_str()).unwrap_or(&none);
                let digest_changed = then.digest != now.digest;
                if !digest_changed && was == is {
                    continue;
                }
                ports.push(markdown::PolicyEffect {
                    id: now.id.clone(),
                    stage: now.stage,
                    digest_changed,
                    new_codes: is.difference(was).copied().collect(),
                    gone_codes: was.difference(is).copied().collect(),
                    also_edited: self.changed_ports.contains(&now.id),
                });
            }
        }
        markdown::PolicyChange {
            keys,
            ports,
            compared,
        }
    }

    /// What a resubmission changed against the rejection it answers: the request's fields
    /// then (when the rejection landed; the base's, when it is new in this change) and now,
    /// a signature recorded since, and a new requested FOC.
    fn answers(
        &self,
        scan: &mut Scan<'_>,
        hport: &Port,
        bport: Option<&Port>,
        before: &[EventRef<'_>],
        requested_foc: Date,
        policy: &Policy,
    ) -> Result<Option<markdown::Answers>, GitError> {
        let Some((rejected, reasons)) = answered_rejection(before) else {
            return Ok(None);
        };
        let blob = self
            .head_files
            .id(rejected.path())
            .unwrap_or(Oid::ZERO_SHA1);
        let current: BTreeSet<String> = hport.events.iter().map(|e| e.name.clone()).collect();
        let landed = scan
            .landings(&hport.id, &[(rejected.file.name.clone(), blob)], &current)?
            .first()
            .copied()
            .flatten();
        let then = match landed {
            Some(commit) => scan
                .loaded_at(commit, &hport.id, |policy, request| {
                    request_fields(policy, &hport.id, request)
                })?
                .map(|(fields, _)| fields),
            None => match (bport, self.base.as_ref()) {
                (Some(b), Some(base)) => match (&b.request, &base.repo.policy) {
                    (Some(r), Some(p)) => Some(request_fields(&p.value, &b.id, &r.value)),
                    _ => None,
                },
                _ => None,
            },
        };
        let now = hport
            .request
            .as_ref()
            .map(|r| request_fields(policy, &hport.id, &r.value));
        let changes = match (then, now) {
            (Some(then), Some(now)) => {
                let mut changes = map_changes(&then.values, &now.values);
                let secret: BTreeSet<String> = then.secret.union(&now.secret).cloned().collect();
                redact(&mut changes, &secret);
                // A signature recorded after the rejection answers signature reasons.
                let signed_after = before
                    .iter()
                    .rev()
                    .find(|e| e.event.kind() == EventKind::Signed && e.number > rejected.number);
                if let Some(signed) = signed_after {
                    let earlier = before.iter().rev().find(|e| {
                        e.event.kind() == EventKind::Signed && e.number < rejected.number
                    });
                    changes.push(FieldChange {
                        field: "signature".to_owned(),
                        before: earlier.map(|e| e.file.name.clone()),
                        after: Some(signed.file.name.clone()),
                    });
                }
                // A new date asked of the carrier answers FOC reasons.
                let rejected_submission = before.iter().rev().find_map(|e| match &e.event.body {
                    EventBody::Submitted { requested_foc, .. } if e.number < rejected.number => {
                        Some(*requested_foc)
                    }
                    _ => None,
                });
                if let Some(asked) = rejected_submission
                    && asked != requested_foc
                {
                    changes.push(FieldChange {
                        field: "requested_foc".to_owned(),
                        before: Some(asked.to_string()),
                        after: Some(requested_foc.to_string()),
                    });
                }
                Some(changes)
            }
            _ => None,
        };
        let changed: Vec<&str> = changes.iter().flatten().map(|c| c.field.as_str()).collect();
        let reasons = reasons
            .iter()
            .map(|r| {
                let watches = watched_fields(&r.code);
                markdown::ReasonAnswer {
                    code: r.code.clone(),
                    detail: r.detail.clone(),
                    changed: changed
                        .iter()
                        .filter(|f| watches.iter().any(|w| covers(w, f)))
                        .map(|f| (*f).to_owned())
                        .collect::<BTreeSet<String>>()
                        .into_iter()
                        .collect(),
                    watches,
                }
            })
            .collect();
        Ok(Some(markdown::Answers {
            rejected: rejected.file.name.clone(),
            on: rejected.event.on,
            landed: landed.map(|c| c.to_string()),
            changes,
            reasons,
        }))
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

    /// The LOA fields changed since the commit that brought the latest live signature
    /// (`live`: the port's live events).
    fn loa_since_signing(
        &self,
        scan: &mut Scan<'_>,
        hport: &Port,
        live: &[EventRef<'_>],
        report: &PortReport,
        policy: &Policy,
    ) -> Result<Option<markdown::LoaSinceSigning>, GitError> {
        let Some(request) = &hport.request else {
            return Ok(None);
        };
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

/// The order a reviewer reads an LOA in: who, their account, where, from whom, what kind of
/// port; then the rest by name. The organization (ours) and the port id are left out.
const LOA_ORDER: [&str; 11] = [
    "end_user.name",
    "end_user.type",
    "end_user.authorized_person",
    "end_user.authorized_title",
    "end_user.billing_number",
    "end_user.account_number",
    "end_user.service_address",
    "losing_carrier",
    "port_type",
    "partial",
    "country",
];

/// The rule codes found in each port, by its folder: every finding read once.
fn codes_by_port(checked: &Checked) -> HashMap<&str, BTreeSet<&'static str>> {
    let dirs: HashSet<&str> = checked.reports.iter().map(|r| r.dir.as_str()).collect();
    let mut codes: HashMap<&str, BTreeSet<&'static str>> = HashMap::new();
    for f in &checked.findings {
        let lossy = f.file.to_string_lossy();
        let file: &str = &lossy;
        // The port's folder is the file itself or one of the folders above it.
        let dir = file
            .match_indices('/')
            .map(|(i, _)| &file[..i])
            .chain([file])
            .find_map(|prefix| dirs.get(prefix).copied());
        if let Some(dir) = dir {
            codes.entry(dir).or_default().insert(f.code.as_str());
        }
    }
    codes
}

/// The LOA fields about the customer's side: all but the organization (ours) and the port id.
fn customer_fields(loa: &LoaData) -> BTreeMap<String, String> {
    loa_fields(loa)
        .into_iter()
        .filter(|(k, _)| !k.starts_with("organization.") && k != "port")
        .collect()
}

fn in_loa_order(fields: BTreeMap<String, String>) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = fields.into_iter().collect();
    let rank = |field: &str| {
        LOA_ORDER
            .iter()
            .position(|f| covers(f, field))
            .unwrap_or(LOA_ORDER.len())
    };
    // Stable: within a rank, by name.
    fields.sort_by_key(|(k, _)| rank(k));
    fields
}

/// For each added `scheduled` event, the FOC of the live `scheduled` event before it that
/// covers some of the same numbers, when the date moved.
fn foc_changes(live: &[EventRef<'_>], added: &[String]) -> Vec<markdown::FocChange> {
    let mut out = Vec::new();
    for (i, e) in live.iter().enumerate() {
        let EventBody::Scheduled { foc, numbers, .. } = &e.event.body else {
            continue;
        };
        if !added.contains(&e.file.name) {
            continue;
        }
        let overlaps = |other: &Option<Vec<String>>| match (numbers, other) {
            (Some(a), Some(b)) => a.iter().any(|n| b.contains(n)),
            _ => true,
        };
        let previous = live[..i].iter().rev().find_map(|p| match &p.event.body {
            EventBody::Scheduled {
                foc: before,
                numbers: theirs,
                ..
            } if overlaps(theirs) => Some((p, *before)),
            _ => None,
        });
        if let Some((p, before)) = previous
            && before != *foc
        {
            out.push(markdown::FocChange {
                event: e.file.name.clone(),
                replaces: p.file.name.clone(),
                before,
                after: *foc,
            });
        }
    }
    out
}

/// The rejection a submission answers, with its reasons: the latest live `rejected` event
/// before it with no submission between them.
fn answered_rejection<'a, 'b>(
    before: &'a [EventRef<'b>],
) -> Option<(&'a EventRef<'b>, &'b [RejectReason])> {
    before
        .iter()
        .rev()
        .take_while(|e| e.event.kind() != EventKind::Submitted)
        .find_map(|e| match &e.event.body {
            EventBody::Rejected { reasons, .. } => Some((e, reasons.as_slice())),
            _ => None,
        })
}

/// A request's fields by dotted name, and which of them are secret.
struct RequestFields {
    values: BTreeMap<String, String>,
    /// Fields whose value is a secret's stored text, hashed: compared, never shown.
    secret: BTreeSet<String>,
}

/// The request's fields a carrier looks at, by dotted name: the LOA's (without the
/// organization), each number with its type, each document, the CSR, the fee and the
/// country's values. Secrets are hashed here and redacted before anything is shown.
fn request_fields(policy: &Policy, id: &str, request: &Request) -> RequestFields {
    let loa = LoaData::new(policy, id, request);
    let mut fields = customer_fields(&loa);
    let mut secret = BTreeSet::new();
    for n in &loa.numbers {
        fields.insert(
            format!("numbers.{}", n.number),
            n.kind.clone().unwrap_or_default(),
        );
    }
    for d in &request.documents {
        let dated = d.dated.map(|d| format!(", dated {d}")).unwrap_or_default();
        fields.insert(
            format!("documents.{}", d.path),
            format!("{}{dated}", d.kind.as_str()),
        );
    }
    if let Some(csr) = &request.csr {
        let parts = [
            ("name", &csr.name),
            ("street", &csr.street),
            ("postal_code", &csr.postal_code),
            ("billing_number", &csr.billing_number),
            ("account_number", &csr.account_number),
        ];
        for (key, value) in parts {
            if let Some(value) = value {
                fields.insert(format!("csr.{key}"), value.clone());
            }
        }
        if !csr.numbers.is_empty() {
            fields.insert("csr.numbers".to_owned(), csr.numbers.join(", "));
        }
    }
    if let Some(fee) = &request.fee {
        fields.insert(
            "fee".to_owned(),
            format!("accepted by {} on {}", fee.accepted_by, fee.accepted_on),
        );
    }
    if let Some(user) = &request.end_user {
        if let Some(pin) = &user.pin {
            fields.insert("end_user.pin".to_owned(), fingerprint(pin));
            secret.insert("end_user.pin".to_owned());
        }
        if let Some(on) = user.pin_obtained_on {
            fields.insert("end_user.pin_obtained_on".to_owned(), on.to_string());
        }
    }
    let secret_keys = policy.secret_keys();
    for (key, value) in &request.requirements {
        let field = format!("requirements.{key}");
        let value = if secret_keys.contains(&key.as_str()) {
            secret.insert(field.clone());
            fingerprint(value)
        } else {
            value.clone()
        };
        fields.insert(field, value);
    }
    RequestFields {
        values: fields,
        secret,
    }
}

/// Stands for a secret in a comparison: its stored (encrypted) text, hashed.
fn fingerprint(stored: &str) -> String {
    sha256_hex(stored.as_bytes())
}

/// Secrets never show: a changed PIN or secret country value reads "a new value (encrypted)".
fn redact(changes: &mut [FieldChange], secret: &BTreeSet<String>) {
    for c in changes {
        if secret.contains(&c.field) {
            let hide = |v: &mut Option<String>, words: &str| {
                if v.is_some() {
                    *v = Some(words.to_owned());
                }
            };
            hide(&mut c.before, "(encrypted)");
            hide(&mut c.after, "(encrypted, a new value)");
        }
    }
}

/// The request fields each rejection reason code (docs/rules.md#event-unknown-reason) is
/// about; `signature` stands for a new `signed` event and `requested_foc` for a new date
/// asked of the carrier. Empty for reasons the customer or carrier settles outside the
/// request (`pending-order`, `carrier-freeze`, `other`, ...).
fn watched_fields(reason: &str) -> Vec<&'static str> {
    let fields: &[&'static str] = match reason {
        "account-number-mismatch" | "account-number-required" => &["end_user.account_number"],
        "authorized-person-mismatch" => &[
            "end_user.authorized_person",
            "end_user.authorized_title",
            "signature",
        ],
        "btn-mismatch" => &["end_user.billing_number", "partial.new_billing_number"],
        "name-mismatch" => &["end_user.name", "end_user.type"],
        "address-mismatch" => &["end_user.service_address"],
        "postal-code-mismatch" => &["end_user.service_address.postal_code"],
        "pin-invalid" | "pin-expired" => {
            &["end_user.pin", "end_user.pin_obtained_on", "requirements"]
        }
        "number-not-portable"
        | "number-not-on-account"
        | "number-inactive"
        | "rate-center-not-portable"
        | "split-required" => &["numbers"],
        "port-type-incorrect" => &["port_type", "partial"],
        "loa-illegible" | "loa-missing" => &["signature"],
        "foc-rejected" | "foc-expired" => &["requested_foc"],
        _ => &[],
    };
    fields.to_vec()
}

/// Whether a watched field (or folder of fields) covers a changed field.
fn covers(watch: &str, field: &str) -> bool {
    field == watch
        || field
            .strip_prefix(watch)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// The fee a submission carries, as a checked fact.
fn fee_item(request: &Request, codes: &BTreeSet<Code>, policy: &Policy) -> markdown::CheckItem {
    let numbers = count(request.numbers.len(), "number", "numbers");
    let (ok, detail) = match policy.country(&request.country) {
        Some(c) if c.channel == Channel::Assisted && c.has_fee() => {
            let total = c.fee_per_number.unwrap_or_default() * request.numbers.len() as f64;
            let currency = c.currency.clone().unwrap_or_default();
            match (&request.fee, codes.contains(&Code::CountryFeeNotAccepted)) {
                (Some(f), false) => (
                    true,
                    format!(
                        "{total:.2} {currency} for {numbers}, accepted by {} on {}",
                        f.accepted_by, f.accepted_on
                    ),
                ),
                _ => (
                    false,
                    format!(
                        "{total:.2} {currency} for {numbers}, not accepted by the customer (`[fee]`)"
                    ),
                ),
            }
        }
        Some(c) if c.channel == Channel::Assisted => {
            (true, format!("no fee for {} (assisted)", c.code))
        }
        Some(c) => (true, format!("none: {} is self-serve and free", c.code)),
        None => (
            false,
            format!("`{}` is not configured in porting.toml", request.country),
        ),
    };
    markdown::CheckItem {
        ok,
        label: "fee",
        detail,
    }
}

/// Days from `from` to `to`.
fn days(from: Date, to: Date) -> i64 {
    to.days_since_epoch() - from.days_since_epoch()
}

/// The facts portflow checks for a submission made on `on` (the fee is the caller's).
fn facts(
    on: Date,
    signed: Option<&EventRef<'_>>,
    request: &Request,
    report: &PortReport,
    loa: &Option<markdown::LoaSinceSigning>,
    codes: &BTreeSet<Code>,
    policy: &Policy,
) -> Vec<markdown::CheckItem> {
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
    if let Some(signed) = signed {
        let max = policy.documents.signature_max_age_days;
        let age = days(signed.event.on, on);
        items.push(markdown::CheckItem {
            ok: age <= i64::from(max),
            label: "signature age",
            detail: format!(
                "signed {}, {} before the submission (at most {})",
                signed.event.on,
                count(age, "day", "days"),
                count(max, "day", "days")
            ),
        });
    }
    let bad: Vec<&str> = PROOF_CODES
        .iter()
        .filter(|c| codes.contains(c))
        .map(|c| c.as_str())
        .collect();
    let proofs: Vec<String> = proofs(request)
        .map(|d| match d.dated {
            Some(dated) => format!(
                "{} `{}` dated {dated}, {} before the submission",
                d.kind.as_str(),
                d.path,
                count(days(dated, on), "day", "days")
            ),
            None => format!("{} `{}`", d.kind.as_str(), d.path),
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
    items.extend(credential_ages(on, request, policy));
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
    items
}

/// The documents that prove ownership.
fn proofs(request: &Request) -> impl Iterator<Item = &Document> {
    request.documents.iter().filter(|d| {
        matches!(
            d.kind,
            DocumentKind::Bill | DocumentKind::Receipt | DocumentKind::TrackingScreenshot
        )
    })
}

/// The age at submission of each credential that expires: the transfer PIN of a mobile port
/// (`pin_max_age_days`) and country values with `max_age_days` (a PAC).
fn credential_ages(on: Date, request: &Request, policy: &Policy) -> Vec<markdown::CheckItem> {
    let mut items = Vec::new();
    let country = policy.country(&request.country);
    let mobile = request
        .numbers
        .iter()
        .any(|n| n.kind == Some(NumberType::Mobile));
    let age = |label: &'static str, obtained: Option<Date>, max: u32, what: &str| {
        let max_days = count(max, "day", "days");
        match obtained {
            Some(obtained) => {
                let age = days(obtained, on);
                markdown::CheckItem {
                    ok: age <= i64::from(max),
                    label,
                    detail: format!(
                        "{what} obtained {obtained}, {} before the submission (at most {max_days})",
                        count(age, "day", "days")
                    ),
                }
            }
            None => markdown::CheckItem {
                ok: false,
                label,
                detail: format!(
                    "{what} has no date obtained, so its age cannot be checked (at most {max_days})"
                ),
            },
        }
    };
    if mobile && country.is_none_or(|c| c.needs(Credential::Pin)) {
        let user = request.end_user.as_ref();
        items.push(age(
            "PIN age",
            user.and_then(|u| u.pin_obtained_on),
            policy.documents.pin_max_age_days,
            "the transfer PIN",
        ));
    }
    for req in country::applicable(policy, request, RequirementType::Field) {
        let Some(max) = req.max_age_days else {
            continue;
        };
        let obtained = request.obtained_on(&req.key);
        let what = format!("`{}`", req.key);
        let mut item = age("code age", obtained, max, &what);
        if !request.requirements.contains_key(&req.key) {
            item.ok = false;
            item.detail = format!("`{}` is missing", req.key);
        }
        items.push(item);
    }
    items
}

/// What only a person can judge: each proof of ownership against the LOA, and the signature.
fn to_look_at(request: &Request, signed: Option<&EventRef<'_>>) -> Vec<String> {
    let user = request.end_user.as_ref();
    let name = user
        .and_then(|u| u.name.as_deref())
        .unwrap_or("the end user");
    let mut items: Vec<String> = proofs(request)
        .map(|d| {
            format!(
                "the {} `{}` shows {name}, the service address and the numbers as above",
                d.kind.as_str().replace('-', " "),
                d.path
            )
        })
        .collect();
    if let Some(signed) = signed
        && let EventBody::Signed {
            signer, document, ..
        } = &signed.event.body
    {
        let person = user
            .and_then(|u| u.authorized_person.as_deref())
            .unwrap_or("none given");
        items.push(format!(
            "the signature on `{document}` is {signer}'s (the LOA's authorized person: {person})"
        ));
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::events::REASON_CODES;

    /// Reasons the customer or the carrier settles outside the request.
    const OUTSIDE_THE_REQUEST: [&str; 6] = [
        "pending-order",
        "special-feature",
        "carrier-freeze",
        "customer-retained",
        "losing-carrier-unresponsive",
        "other",
    ];

    #[test]
    fn every_reason_code_is_tied_to_fields_or_known_to_be_outside_the_request() {
        for code in REASON_CODES {
            let fields = watched_fields(code);
            assert_eq!(
                fields.is_empty(),
                OUTSIDE_THE_REQUEST.contains(code),
                "{code}: {fields:?}"
            );
        }
    }

    #[test]
    fn a_watched_folder_covers_its_fields_only() {
        assert!(covers(
            "end_user.service_address",
            "end_user.service_address.street"
        ));
        assert!(covers("numbers", "numbers.+14155550130"));
        assert!(covers("end_user.name", "end_user.name"));
        assert!(!covers("end_user.name", "end_user.names"));
        assert!(!covers("partial", "partial_x"));
    }
}
