//! Document rules: files exist inside the port, have an allowed type and size, and proof is fresh.
//!
//! Decisions the SPEC leaves open, kept here so the rule reference can quote them:
//!
//! - A file's type is judged by its first bytes only (PDF `%PDF-`, PNG, JPEG), never by its
//!   name; an empty file is `document::bad-type`. A Git LFS pointer is reported only as
//!   `document::lfs-pointer`, since its real content may well be a fine PDF.
//! - A document is *usable* when its path holds a regular file inside the port, of an
//!   allowed type, within `max_document_bytes`. Proof of ownership and country-required
//!   documents count only when usable. Staleness never makes a document unusable: the stage
//!   does not depend on today's date.
//! - Bills are judged together: when one dated bill is fresh, older bills are history and
//!   raise nothing. Otherwise every bill is reported, and a bill without `dated` is
//!   reported as `document::stale` too, because its age cannot be shown to the carrier's
//!   satisfaction. Receipts and tracking screenshots never age.
//! - A mobile port whose PIN has no `pin_obtained_on` is reported the same way: transfer
//!   PINs expire, so an undated one cannot be trusted at submission.
//! - Ages count whole days; exactly the limit is still fresh. Before submission they are
//!   measured at today (warnings); once submitted, at the latest submission's date (errors),
//!   so the verdict never changes afterwards. Terminal ports are not judged at all: their
//!   files may no longer change, so a finding there could never be fixed.
//! - `document::no-proof` and missing country-required documents are errors once the port
//!   has been submitted; before that the stage (`awaiting-documents`) already says so.
//! - A `dated` after today is `document::future-date`, and so is one after the pending
//!   submission (stage `submitted`): that submission cannot have carried it. Such a bill is
//!   never the fresh one, and is not reported as stale with a negative age.

use crate::diag::{Code, Finding, Severity};
use crate::model::Date;
use crate::model::event::EventBody;
use crate::model::policy::{CarrierKind, Credential, Requirement, RequirementType};
use crate::model::request::{DocumentKind, NumberType, OBTAINED_ON};
use crate::plural::count;
use crate::repo::{DOCUMENT_SIGNATURES, Probe};
use crate::rules::{Ctx, EventRef, PortView, Progress, country};
use crate::stage::Stage;

/// The first bytes of a Git LFS pointer file.
const LFS_POINTER: &[u8] = b"version https://git-lfs.github.com/spec/v1";

/// A file type documents may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileType {
    Pdf,
    Png,
    Jpeg,
}

/// The allowed type of a file, by its magic bytes.
fn sniff(head: &[u8]) -> Option<FileType> {
    let [pdf, png, jpeg] = DOCUMENT_SIGNATURES;
    if head.starts_with(pdf) {
        Some(FileType::Pdf)
    } else if head.starts_with(png) {
        Some(FileType::Png)
    } else if head.starts_with(jpeg) {
        Some(FileType::Jpeg)
    } else {
        None
    }
}

fn is_lfs_pointer(head: &[u8]) -> bool {
    head.starts_with(LFS_POINTER)
}

/// What a refused file looks like, for the message ("it looks like …").
fn looks_like(head: &[u8]) -> &'static str {
    let starts = |magic: &[u8]| head.starts_with(magic);
    if head.is_empty() {
        "an empty file"
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        "a GIF image"
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        "a WebP image"
    } else if head.len() >= 12
        && &head[4..8] == b"ftyp"
        && [b"heic", b"heix", b"hevc", b"mif1", b"msf1"]
            .contains(&&[head[8], head[9], head[10], head[11]])
    {
        "a HEIC image (the iPhone photo format)"
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        "a TIFF image"
    } else if starts(b"PK\x03\x04") {
        "a ZIP archive (Word, Excel and OpenDocument files are ZIP archives)"
    } else if starts(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        "an old Microsoft Office document"
    } else if starts(b"{\\rtf") {
        "an RTF document"
    } else if let Some(text) = utf8_prefix(head) {
        let lower = text.trim_start().to_ascii_lowercase();
        if lower.starts_with("<!doctype html") || lower.starts_with("<html") {
            "an HTML page"
        } else if text.contains('\0') {
            "an unknown binary format"
        } else {
            "plain text"
        }
    } else {
        "an unknown binary format"
    }
}

/// The head as text when it is UTF-8, allowing a character cut off by the head's end.
fn utf8_prefix(head: &[u8]) -> Option<&str> {
    match std::str::from_utf8(head) {
        Ok(text) => Some(text),
        Err(err) if err.error_len().is_none() => {
            std::str::from_utf8(&head[..err.valid_up_to()]).ok()
        }
        Err(_) => None,
    }
}

/// `20000000` -> `20 MB`, `25300000` -> `25.3 MB`: sizes as people read them.
fn human_size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1_000_000_000, "GB"), (1_000_000, "MB"), (1_000, "kB")];
    for (unit, name) in UNITS {
        if bytes >= unit {
            let tenths = (bytes * 10 + unit / 2) / unit;
            return if tenths % 10 == 0 {
                format!("{} {name}", tenths / 10)
            } else {
                format!("{}.{} {name}", tenths / 10, tenths % 10)
            };
        }
    }
    format!("{bytes} bytes")
}

/// One problem with the file at a document path.
struct FileProblem {
    code: Code,
    message: String,
    label: &'static str,
    help: String,
}

impl FileProblem {
    fn new(code: Code, message: String, label: &'static str, help: impl Into<String>) -> Self {
        FileProblem {
            code,
            message,
            label,
            help: help.into(),
        }
    }
}

const HELP_MISSING: &str = "add the file to the port's `documents/` folder and commit it, or correct `path` (relative to the port folder, case-sensitive)";
const HELP_OUTSIDE: &str = "keep documents as regular files (not symbolic links) in the port's `documents/` folder, and write `path` relative to the port folder, e.g. `documents/bill-2026-10.pdf`";
const HELP_NOT_A_FILE: &str = "point `path` at the PDF, PNG or JPEG file itself";
const HELP_LFS: &str = "CI must fetch LFS content before checking: set `lfs: true` on actions/checkout (locally, run `git lfs pull`)";
const HELP_BAD_TYPE: &str = "carriers take PDF, PNG and JPEG only: export or scan the document to PDF (photos to JPEG or PNG) and point `path` at that file";

/// What is wrong with the file a document path names (empty when it is usable).
fn file_problems(
    ctx: &Ctx<'_>,
    view: &PortView<'_>,
    path: &str,
    probe: &Probe,
) -> Vec<FileProblem> {
    let max = ctx.policy.documents.max_document_bytes;
    match probe {
        Probe::Missing => {
            let help = match near_file(view, path) {
                Some(near) => format!(
                    "did you mean `{near}`? paths are relative to the port folder and case-sensitive"
                ),
                None => HELP_MISSING.to_owned(),
            };
            let message = format!("`{path}` does not exist");
            vec![FileProblem::new(
                Code::DocumentMissing,
                message,
                "no such file in the port folder",
                help,
            )]
        }
        Probe::Outside { reason } => vec![FileProblem::new(
            Code::DocumentOutsidePort,
            format!("`{path}` is not inside the port folder: {reason}"),
            "outside the port folder",
            HELP_OUTSIDE,
        )],
        Probe::NotAFile { what } => vec![FileProblem::new(
            Code::DocumentBadType,
            format!("`{path}` is {what}, not a file: it is refused, never read"),
            "not a regular file",
            HELP_NOT_A_FILE,
        )],
        // A pointer's real content may be fine: report only what to fix, not its type.
        Probe::File { head, .. } if is_lfs_pointer(head) => vec![FileProblem::new(
            Code::DocumentLfsPointer,
            format!("`{path}` is a Git LFS pointer, not the document itself"),
            "Git LFS pointer",
            HELP_LFS,
        )],
        Probe::File { size, head } => {
            let mut out = Vec::new();
            if sniff(head).is_none() {
                out.push(FileProblem::new(
                    Code::DocumentBadType,
                    format!(
                        "`{path}` is not a PDF, PNG or JPEG: it looks like {}",
                        looks_like(head)
                    ),
                    "not a PDF, PNG or JPEG",
                    HELP_BAD_TYPE,
                ));
            }
            if *size > max {
                out.push(FileProblem::new(
                    Code::DocumentTooLarge,
                    format!(
                        "`{path}` is {} ({size} bytes), over the {} limit",
                        human_size(*size),
                        human_size(max)
                    ),
                    "too large",
                    format!(
                        "shrink the file to at most {max} bytes (porting.toml `max_document_bytes`): scan at 150–200 dpi in greyscale, or keep only the pages that show the account holder, the address and the numbers"
                    ),
                ));
            }
            out
        }
    }
}

/// A file of the port whose path differs from `path` only in case, or that has its name.
fn near_file(view: &PortView<'_>, path: &str) -> Option<String> {
    let prefix = format!("{}/", view.port.dir);
    let rels = view
        .port
        .files
        .iter()
        .filter_map(|f| f.strip_prefix(&prefix));
    let name = path.rsplit('/').next().unwrap_or(path).to_lowercase();
    let mut by_name = None;
    for rel in rels {
        if rel.eq_ignore_ascii_case(path) {
            return Some(rel.to_owned());
        }
        if by_name.is_none() && rel.rsplit('/').next().unwrap_or(rel).to_lowercase() == name {
            by_name = Some(rel.to_owned());
        }
    }
    by_name
}

/// Whether the file at a path is usable: a regular file of an allowed type within the limit.
fn usable(ctx: &Ctx<'_>, view: &PortView<'_>, path: &str) -> bool {
    view.port
        .probes
        .get(path)
        .is_some_and(|p| is_usable(ctx, p))
}

/// Whether a probed document is usable: a regular file of an allowed type within the limit.
pub fn is_usable(ctx: &Ctx<'_>, probe: &Probe) -> bool {
    matches!(
        probe,
        Probe::File { size, head }
            if sniff(head).is_some() && *size <= ctx.policy.documents.max_document_bytes
    )
}

/// Whether the losing carrier is a call-tracking service (a screenshot may then prove ownership).
fn losing_is_call_tracking(ctx: &Ctx<'_>, view: &PortView<'_>) -> bool {
    view.request
        .losing_carrier
        .as_ref()
        .and_then(|name| ctx.policy.carriers.get(name))
        .is_some_and(|c| c.kind == CarrierKind::CallTracking)
}

/// Whether a document of this kind may prove ownership of the numbers.
fn proves_ownership(kind: DocumentKind, call_tracking: bool) -> bool {
    match kind {
        DocumentKind::Bill | DocumentKind::Receipt => true,
        DocumentKind::TrackingScreenshot => call_tracking,
        _ => false,
    }
}

/// Whether the port holds usable proof of ownership.
fn has_proof(ctx: &Ctx<'_>, view: &PortView<'_>) -> bool {
    let call_tracking = losing_is_call_tracking(ctx, view);
    view.request
        .documents
        .iter()
        .any(|d| proves_ownership(d.kind, call_tracking) && usable(ctx, view, &d.path))
}

/// The country's document requirements that apply to the request and have no usable document.
fn missing_required<'p>(ctx: &Ctx<'p>, view: &PortView<'_>) -> Vec<&'p Requirement> {
    country::applicable(ctx.policy, view.request, RequirementType::Document)
        .into_iter()
        .filter(|req| {
            !view
                .request
                .documents
                .iter()
                .any(|d| d.kind.as_str() == req.key && usable(ctx, view, &d.path))
        })
        .collect()
}

/// Rules on the document files themselves.
pub fn check_files(ctx: &Ctx<'_>, view: &PortView<'_>, out: &mut Vec<Finding>) {
    let call_tracking = losing_is_call_tracking(ctx, view);
    for (i, doc) in view.request.documents.iter().enumerate() {
        let pointer = format!("/documents/{i}/path");
        if let Some(probe) = view.port.probes.get(&doc.path) {
            for p in file_problems(ctx, view, &doc.path, probe) {
                out.push(
                    view.at(p.code, &pointer, p.message)
                        .label(p.label)
                        .help(p.help),
                );
            }
        }
        if doc.kind == DocumentKind::TrackingScreenshot && !call_tracking {
            out.push(screenshot_not_allowed(ctx, view, i));
        }
    }
    for ev in &view.events {
        if let EventBody::Signed { document, .. } = &ev.event.body {
            if let Some(probe) = view.port.probes.get(document) {
                for p in file_problems(ctx, view, document, probe) {
                    out.push(
                        Finding::new(p.code, ev.path(), ev.doc.span("/document"), p.message)
                            .label(p.label)
                            .help(p.help),
                    );
                }
            }
        }
    }
}

fn screenshot_not_allowed(ctx: &Ctx<'_>, view: &PortView<'_>, i: usize) -> Finding {
    let services: Vec<&str> = ctx
        .policy
        .carriers
        .iter()
        .filter(|(_, c)| c.kind == CarrierKind::CallTracking)
        .map(|(name, _)| name.as_str())
        .collect();
    let listed = services
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let losing = view.request.losing_carrier.as_deref();
    let message = match losing {
        Some(losing) => format!(
            "a tracking screenshot is no proof of ownership here: the losing carrier `{losing}` is not a call-tracking service"
        ),
        None => "a tracking screenshot is no proof of ownership without a call-tracking `losing_carrier`"
            .to_owned(),
    };
    // `Callrail` for `CallRail`: the carrier is right, only its spelling is not.
    let near = losing.and_then(|l| services.iter().find(|s| s.eq_ignore_ascii_case(l.trim())));
    let hint = near.map_or(String::new(), |name| {
        format!(
            "if the numbers come from {name}, write `losing_carrier = \"{name}\"` exactly as in porting.toml; otherwise "
        )
    });
    let mut finding = view
        .at(Code::DocumentScreenshotNotAllowed, &format!("/documents/{i}/kind"), message)
        .label("screenshot not accepted as proof")
        .help(format!(
            "{hint}attach the most recent bill or a receipt of purchase instead (a screenshot of the tracking-number list proves ownership only for numbers coming from a call-tracking service in porting.toml: {listed}); keep the screenshot as kind `other` if it is still useful"
        ));
    if view.request.losing_carrier.is_some() {
        finding = finding.related(
            view.path(),
            view.doc.span("/losing_carrier"),
            "the losing carrier",
        );
    }
    finding
}

/// Whether proof of ownership and every country-required document are present and usable.
pub fn complete(ctx: &Ctx<'_>, view: &PortView<'_>) -> bool {
    has_proof(ctx, view) && missing_required(ctx, view).is_empty()
}

/// Rules that depend on the stage: proof from submission on, ages at submission.
pub fn check_progress(
    ctx: &Ctx<'_>,
    view: &PortView<'_>,
    progress: &Progress,
    out: &mut Vec<Finding>,
) {
    if progress.stage.is_terminal() {
        return;
    }
    future_dates(ctx, view, progress, out);
    if progress.submitted() {
        if !has_proof(ctx, view) {
            out.push(no_proof(ctx, view));
        }
        for req in missing_required(ctx, view) {
            out.push(requirement_missing(view, req));
        }
    }
    let Some((as_of, severity)) = progress.as_of(ctx.today) else {
        return;
    };
    stale_bills(ctx, view, as_of, severity, out);
    stale_signature(ctx, view, as_of, severity, out);
    stale_pin(ctx, view, as_of, severity, out);
    stale_requirements(ctx, view, as_of, severity, out);
}

/// `document::future-date`: no document is dated after today, nor, while a submission is
/// pending, after that submission (it cannot have carried a document that did not exist).
fn future_dates(ctx: &Ctx<'_>, view: &PortView<'_>, progress: &Progress, out: &mut Vec<Finding>) {
    let pending = match (progress.stage, progress.submitted_on) {
        (Stage::Submitted, Some(on)) => Some(on),
        _ => None,
    };
    for (i, doc) in view.request.documents.iter().enumerate() {
        let Some(dated) = doc.dated else {
            continue;
        };
        let path = &doc.path;
        let pointer = format!("/documents/{i}/dated");
        let finding = if dated > ctx.today {
            view.at(
                Code::DocumentFutureDate,
                &pointer,
                format!("`{path}` is dated `{dated}`, after today ({})", ctx.today),
            )
            .label("in the future")
            .help(
                "write in `dated` the date printed on the document (a bill's statement date, a \
                 receipt's date), as YYYY-MM-DD; a document cannot be dated in the future",
            )
        } else if let Some(on) = pending.filter(|on| dated > *on) {
            view.at(
                Code::DocumentFutureDate,
                &pointer,
                format!(
                    "`{path}` is dated `{dated}`, after the submission of `{on}` that is \
                     pending with the carrier"
                ),
            )
            .label(format!("after the submission of {on}"))
            .help(
                "the submission can only have carried documents that existed when it was \
                 made: correct `dated` if it is wrong; a document that really is newer was not \
                 part of it, so list it once the carrier has answered (after a `rejected` \
                 event, for the resubmission)",
            )
        } else {
            continue;
        };
        out.push(finding);
    }
}

/// Where a finding about the documents as a whole goes: the first `[[documents]]`, else the
/// file's first key.
fn documents_at(view: &PortView<'_>, code: Code, message: String) -> Finding {
    if view.request.documents.is_empty() {
        view.at_table(code, "", message)
    } else {
        view.at_table(code, "/documents/0", message)
    }
}

fn no_proof(ctx: &Ctx<'_>, view: &PortView<'_>) -> Finding {
    let call_tracking = losing_is_call_tracking(ctx, view);
    // Bills, receipts (and allowed screenshots) that are listed but not usable, by index.
    let candidates: Vec<(usize, &str)> = view
        .request
        .documents
        .iter()
        .enumerate()
        .filter(|(_, d)| proves_ownership(d.kind, call_tracking))
        .map(|(i, d)| (i, d.path.as_str()))
        .collect();
    let message = if candidates.is_empty() {
        "the port was submitted without proof of ownership".to_owned()
    } else {
        let list = candidates
            .iter()
            .map(|(_, p)| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ");
        format!("the port was submitted without usable proof of ownership: {list} cannot be used")
    };
    let screenshot = if call_tracking {
        ", or the screenshot of the call-tracking service's number list (`tracking-screenshot`)"
    } else {
        ""
    };
    let fix = if candidates.is_empty() {
        ""
    } else {
        "fix the findings on the listed files, or "
    };
    let finding = match candidates.first() {
        Some((i, _)) => view
            .at(
                Code::DocumentNoProof,
                &format!("/documents/{i}/path"),
                message,
            )
            .label("listed as proof, but not usable"),
        None => documents_at(view, Code::DocumentNoProof, message).label("no bill or receipt"),
    };
    finding
        .help(format!(
            "{fix}attach the most recent bill (`kind = \"bill\"`, with `dated`) or a receipt of purchase (`receipt`){screenshot} as a `[[documents]]` entry: carriers reject ports without proof"
        ))
}

fn requirement_missing(view: &PortView<'_>, req: &Requirement) -> Finding {
    let country = &view.request.country;
    let scope = country::scope(req);
    documents_at(
        view,
        Code::CountryRequirementMissing,
        format!(
            "`{country}` requires a `{}` document{scope}, and the port was submitted without one",
            req.key
        ),
    )
    .label(format!("no usable `{}` document", req.key))
    .help(format!(
        "attach it as a `[[documents]]` entry with `kind = \"{}\"` (PDF, PNG or JPEG): {}",
        req.key, req.description
    ))
}

/// Days from `date` to `as_of` (negative when `date` is later).
fn age(date: Date, as_of: Date) -> i64 {
    as_of.days_since_epoch() - date.days_since_epoch()
}

/// Whether something dated `date` is more than `max_days` old at `as_of`.
fn too_old(date: Date, as_of: Date, max_days: u32) -> bool {
    age(date, as_of) > i64::from(max_days)
}

/// "at submission (2026-11-16)" or "today (2026-11-25)".
fn when(severity: Severity, as_of: Date) -> String {
    match severity {
        Severity::Error => format!("at submission ({as_of})"),
        Severity::Warning => format!("today ({as_of})"),
    }
}

fn stale_bills(
    ctx: &Ctx<'_>,
    view: &PortView<'_>,
    as_of: Date,
    severity: Severity,
    out: &mut Vec<Finding>,
) {
    let max = ctx.policy.documents.bill_max_age_days;
    let max_days = count(max, "day", "days");
    let bills: Vec<(usize, Option<Date>)> = view
        .request
        .documents
        .iter()
        .enumerate()
        .filter(|(_, d)| d.kind == DocumentKind::Bill)
        .map(|(i, d)| (i, d.dated))
        .collect();
    // A bill dated after `as_of` proves nothing at `as_of`: `document::future-date` says so.
    let fresh = bills
        .iter()
        .any(|(_, dated)| dated.is_some_and(|d| d <= as_of && !too_old(d, as_of, max)));
    if fresh {
        return;
    }
    let renew = if severity == Severity::Error {
        "get the customer's most recent bill and resubmit"
    } else {
        "get the customer's most recent bill before submitting"
    };
    for (i, dated) in bills {
        if dated.is_some_and(|d| d > as_of) {
            continue;
        }
        let path = &view.request.documents[i].path;
        let finding = match dated {
            Some(dated) => view
                .at(
                    Code::DocumentStale,
                    &format!("/documents/{i}/dated"),
                    format!(
                        "bill `{path}` is {} old {}; bills may be at most {max_days} old",
                        count(age(dated, as_of), "day", "days"),
                        when(severity, as_of)
                    ),
                )
                .label(format!("more than {max_days} before {as_of}"))
                .help(format!(
                    "carriers reject old statements: {renew}, and list it with its statement date in `dated`"
                )),
            None => view
                .at_table(
                    Code::DocumentStale,
                    &format!("/documents/{i}"),
                    format!("bill `{path}` has no `dated`, so its age cannot be checked"),
                )
                .label("bill without a statement date")
                .help(format!(
                    "add `dated = YYYY-MM-DD`, the statement date printed on the bill; an undated bill counts as stale because bills may be at most {max_days} old at submission"
                )),
        };
        out.push(finding.severity(severity));
    }
}

fn stale_signature(
    ctx: &Ctx<'_>,
    view: &PortView<'_>,
    as_of: Date,
    severity: Severity,
    out: &mut Vec<Finding>,
) {
    let max = ctx.policy.documents.signature_max_age_days;
    let max_days = count(max, "day", "days");
    let newest: Option<&EventRef<'_>> = view
        .events
        .iter()
        .rev()
        .find(|e| matches!(e.event.body, EventBody::Signed { .. }));
    let Some(ev) = newest else { return };
    let on = ev.event.on;
    if too_old(on, as_of, max) {
        let renew = if severity == Severity::Error {
            "have the authorized person sign the LOA again, record a new `signed` event and resubmit"
        } else {
            "have the authorized person sign the LOA again and record a new `signed` event before submitting"
        };
        out.push(
            Finding::new(
                Code::DocumentStale,
                ev.path(),
                ev.doc.span("/on"),
                format!(
                    "the LOA signature of `{on}` is {} old {}; signatures may be at most {max_days} old",
                    count(age(on, as_of), "day", "days"),
                    when(severity, as_of)
                ),
            )
            .label(format!("more than {max_days} before {as_of}"))
            .help(format!("carriers reject old LOAs: {renew}"))
            .severity(severity),
        );
    }
}

fn stale_pin(
    ctx: &Ctx<'_>,
    view: &PortView<'_>,
    as_of: Date,
    severity: Severity,
    out: &mut Vec<Finding>,
) {
    let mobile = view
        .request
        .numbers
        .iter()
        .any(|n| n.kind == Some(NumberType::Mobile));
    let Some(user) = view.request.end_user.as_ref() else {
        return;
    };
    // A country whose mobile ports need no PIN (a GB PAC instead) has no PIN to age.
    let needs_pin = ctx
        .policy
        .country(&view.request.country)
        .is_none_or(|c| c.needs(Credential::Pin));
    if !mobile || !needs_pin {
        return;
    }
    let max = ctx.policy.documents.pin_max_age_days;
    let max_days = count(max, "day", "days");
    let renew = if severity == Severity::Error {
        "ask the customer for a new transfer PIN from the losing carrier, store it with `portflow secret set`, update `pin_obtained_on` and resubmit"
    } else {
        "ask the customer for a new transfer PIN from the losing carrier shortly before submitting, store it with `portflow secret set` and update `pin_obtained_on`"
    };
    let finding = match user.pin_obtained_on {
        Some(obtained) if too_old(obtained, as_of, max) => view
            .at(
                Code::DocumentStale,
                "/end_user/pin_obtained_on",
                format!(
                    "the transfer PIN obtained on `{obtained}` is {} old {}; PINs may be at most {max_days} old",
                    count(age(obtained, as_of), "day", "days"),
                    when(severity, as_of)
                ),
            )
            .label(format!("more than {max_days} before {as_of}"))
            .help(format!("transfer PINs expire: {renew}")),
        Some(_) => return,
        None if user.pin.is_some() => view
            .at_table(
                Code::DocumentStale,
                "/end_user",
                "the transfer PIN has no `pin_obtained_on`, so its age cannot be checked".to_owned(),
            )
            .label("PIN without a date")
            .help(format!(
                "add `pin_obtained_on = YYYY-MM-DD`, the day the customer got the PIN; an undated PIN counts as stale because PINs may be at most {max_days} old at submission"
            )),
        None => return,
    };
    out.push(finding.severity(severity));
}

/// Country field requirements with `max_age_days` (a GB PAC) age like a PIN, from the
/// request's `<key>_obtained_on`.
fn stale_requirements(
    ctx: &Ctx<'_>,
    view: &PortView<'_>,
    as_of: Date,
    severity: Severity,
    out: &mut Vec<Finding>,
) {
    let request = view.request;
    let country = &request.country;
    for req in country::applicable(ctx.policy, request, RequirementType::Field) {
        let Some(max) = req.max_age_days else {
            continue;
        };
        let max_days = count(max, "day", "days");
        // A missing value is `country::requirement-missing`'s business.
        if !request.requirements.contains_key(&req.key) {
            continue;
        }
        let key = &req.key;
        let dated = format!("{key}{OBTAINED_ON}");
        let store = if req.secret {
            format!(
                "store it with `portflow secret set {} {key}`, which also sets `{dated}`",
                view.port.id
            )
        } else {
            format!("write it in `{key}` and the day it was obtained in `{dated}`")
        };
        let renew = if severity == Severity::Error {
            format!("ask the customer for a new one, {store}, and resubmit")
        } else {
            format!("ask the customer for a new one shortly before submitting, and {store}")
        };
        let finding = match request.obtained_on(key) {
            Some(obtained) if too_old(obtained, as_of, max) => view
                .at(
                    Code::DocumentStale,
                    &format!("/requirements/{dated}"),
                    format!(
                        "`{key}` obtained on `{obtained}` is {} old {}; `{country}` accepts it for at most {max_days}",
                        count(age(obtained, as_of), "day", "days"),
                        when(severity, as_of)
                    ),
                )
                .label(format!("more than {max_days} before {as_of}"))
                .help(format!(
                    "`{key}` expires after {max_days} (porting.toml `max_age_days`): {renew}"
                )),
            Some(_) => continue,
            None => view
                .at_table(
                    Code::DocumentStale,
                    "/requirements",
                    format!("`{key}` has no `{dated}`, so its age cannot be checked"),
                )
                .label(format!("`{key}` without a date"))
                .help(format!(
                    "add `{dated} = YYYY-MM-DD` under `[requirements]`, the day the customer got it; an undated `{key}` counts as stale because `{country}` accepts it for at most {max_days} at submission"
                )),
        };
        out.push(finding.severity(severity));
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Builds rule inputs from TOML text, for the unit tests of the rule modules.

    use std::collections::BTreeMap;

    use crate::diag::Finding;
    use crate::model::Date;
    use crate::model::event::Event;
    use crate::model::policy::Policy;
    use crate::model::request::Request;
    use crate::repo::{EventFile, Loaded, Port, Probe, parse_event_name};
    use crate::rules::{Ctx, EventRef, PortView, Progress};
    use crate::source::{Document, SourceFile};
    use crate::stage::Stage;

    /// Parses TOML text into a document and its typed value.
    pub(crate) fn load<T: serde::de::DeserializeOwned>(path: &str, text: &str) -> Loaded<T> {
        let (file, err) = SourceFile::from_bytes(path, text.as_bytes(), &["pin"]);
        assert!(err.is_none());
        let doc = Document::parse(file).expect("parses");
        let value = serde_json::from_value(doc.to_json()).expect("valid");
        Loaded { doc, value }
    }

    /// The bundled porting.toml.
    pub(crate) fn policy() -> Policy {
        load::<Policy>("porting.toml", include_str!("../../porting.toml")).value
    }

    pub(crate) fn date(text: &str) -> Date {
        text.parse().expect("date")
    }

    /// A port `ports/t` with a request, events (`name`, text) and document probes.
    pub(crate) fn port(request: &str, events: &[(&str, &str)], probes: &[(&str, Probe)]) -> Port {
        let dir = "ports/t".to_owned();
        let events = events
            .iter()
            .map(|(name, text)| {
                let (number, name_kind) = parse_event_name(name);
                EventFile {
                    path: format!("{dir}/events/{name}"),
                    name: (*name).to_owned(),
                    number,
                    name_kind,
                    loaded: Some(load::<Event>(&format!("{dir}/events/{name}"), text)),
                }
            })
            .collect();
        Port {
            id: "t".to_owned(),
            dir: dir.clone(),
            request: Some(load::<Request>(&format!("{dir}/request.toml"), request)),
            events,
            files: probes.iter().map(|(p, _)| format!("{dir}/{p}")).collect(),
            invalid: false,
            probes: probes
                .iter()
                .map(|(p, probe)| ((*p).to_owned(), probe.clone()))
                .collect::<BTreeMap<_, _>>(),
            signed_files: BTreeMap::new(),
        }
    }

    /// The view rules see of a port built by [`port`].
    pub(crate) fn view(port: &Port) -> PortView<'_> {
        let loaded = port.request.as_ref().expect("request");
        PortView {
            port,
            request: &loaded.value,
            doc: &loaded.doc,
            events: port
                .events
                .iter()
                .map(|file| {
                    let loaded = file.loaded.as_ref().expect("event");
                    EventRef {
                        file,
                        number: file.number.expect("number"),
                        event: &loaded.value,
                        doc: &loaded.doc,
                    }
                })
                .collect(),
        }
    }

    pub(crate) fn ctx(policy: &Policy) -> Ctx<'_> {
        Ctx {
            policy,
            today: date("2026-11-25"),
            past: &crate::rules::NoHistory,
        }
    }

    pub(crate) fn progress(stage: Stage, submitted_on: Option<&str>) -> Progress {
        Progress {
            stage,
            submitted_on: submitted_on.map(date),
            settled: false,
        }
    }

    /// The codes of findings, with the source text of each span.
    pub(crate) fn spans(view: &PortView<'_>, findings: &[Finding]) -> Vec<(String, String)> {
        findings
            .iter()
            .map(|f| {
                let text = if f.file.to_string_lossy() == view.path() {
                    view.doc.file.text[f.span.clone()].to_owned()
                } else {
                    let ev = view
                        .events
                        .iter()
                        .find(|e| f.file.to_string_lossy() == e.path())
                        .expect("finding on a known file");
                    ev.doc.file.text[f.span.clone()].to_owned()
                };
                (f.code.as_str().to_owned(), text)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use crate::stage::Stage;

    const PDF: &[u8] = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";

    fn file(head: &[u8]) -> Probe {
        Probe::File {
            size: head.len() as u64,
            head: head.to_vec(),
        }
    }

    const REQUEST: &str = r#"account = "acme"
requested_by = "ops@example.com"
country = "US"
losing_carrier = "Comcast Business"

[end_user]
name = "Acme Dental LLC"

[[numbers]]
number = "+12065550143"
type = "landline"
"#;

    fn with_docs(docs: &str) -> String {
        format!("{REQUEST}{docs}")
    }

    fn run_files(request: &str, probes: &[(&str, Probe)]) -> Vec<(String, String)> {
        let policy = policy();
        let port = port(request, &[], probes);
        let view = view(&port);
        let mut out = Vec::new();
        check_files(&ctx(&policy), &view, &mut out);
        spans(&view, &out)
    }

    #[test]
    fn magic_bytes_decide_the_type() {
        assert_eq!(sniff(PDF), Some(FileType::Pdf));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(FileType::Png));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF"), Some(FileType::Jpeg));
        assert_eq!(sniff(b"\xFF\xD8\xFF"), Some(FileType::Jpeg));
        // Near misses: a truncated PNG signature, text mentioning PDF, a BOM before `%PDF`.
        assert_eq!(sniff(b"\x89PNG\r\n"), None);
        assert_eq!(sniff(b"this is %PDF-1.4"), None);
        assert_eq!(sniff(b"\xEF\xBB\xBF%PDF-1.4"), None);
        assert_eq!(sniff(b"%PDF"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn refused_files_are_described() {
        assert_eq!(looks_like(b""), "an empty file");
        assert_eq!(looks_like(b"GIF89a\x01\0"), "a GIF image");
        assert_eq!(
            looks_like(b"PK\x03\x04\x14\0"),
            "a ZIP archive (Word, Excel and OpenDocument files are ZIP archives)"
        );
        assert_eq!(
            looks_like(b"\0\0\0\x18ftypheic\0\0"),
            "a HEIC image (the iPhone photo format)"
        );
        assert_eq!(looks_like(b"  <!DOCTYPE html><html>"), "an HTML page");
        assert_eq!(looks_like(b"Account 8812-5521\nTotal due"), "plain text");
        assert_eq!(looks_like(b"\xC3\x28\xA0"), "an unknown binary format");
        // A head of 1024 bytes may cut a character in two: still text.
        assert_eq!(
            looks_like("Montant dû".as_bytes().split_last().unwrap().1),
            "plain text"
        );
    }

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(human_size(999), "999 bytes");
        assert_eq!(human_size(20_000_000), "20 MB");
        assert_eq!(human_size(25_300_000), "25.3 MB");
        assert_eq!(human_size(20_000_001), "20 MB");
        assert_eq!(human_size(1_500), "1.5 kB");
    }

    #[test]
    fn ages_count_whole_days_and_the_limit_itself_is_fresh() {
        let as_of = date("2026-11-16");
        assert_eq!(age(date("2026-10-17"), as_of), 30);
        assert!(!too_old(date("2026-10-17"), as_of, 30));
        assert!(too_old(date("2026-10-16"), as_of, 30));
        // Across a year and a leap day.
        assert_eq!(age(date("2027-12-31"), date("2028-03-01")), 61);
        // Later than the as-of date: negative, never stale.
        assert_eq!(age(date("2026-11-20"), as_of), -4);
        assert!(!too_old(date("2026-11-20"), as_of, 0));
    }

    #[test]
    fn each_file_problem_has_its_code_at_the_path_value() {
        let request = with_docs(
            r#"
[[documents]]
kind = "bill"
path = "documents/missing.pdf"

[[documents]]
kind = "receipt"
path = "../outside.pdf"

[[documents]]
kind = "other"
path = "documents/folder"

[[documents]]
kind = "other"
path = "documents/notes.txt"

[[documents]]
kind = "other"
path = "documents/lfs.pdf"

[[documents]]
kind = "other"
path = "documents/huge.pdf"

[[documents]]
kind = "csr"
path = "documents/ok.pdf"
"#,
        );
        let lfs = b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 12345\n";
        let found = run_files(
            &request,
            &[
                ("documents/missing.pdf", Probe::Missing),
                (
                    "../outside.pdf",
                    Probe::Outside {
                        reason: "the path climbs out with `..`".to_owned(),
                    },
                ),
                ("documents/folder", Probe::NotAFile { what: "a folder" }),
                ("documents/notes.txt", file(b"account 1234")),
                ("documents/lfs.pdf", file(lfs)),
                (
                    "documents/huge.pdf",
                    Probe::File {
                        size: 20_000_001,
                        head: PDF.to_vec(),
                    },
                ),
                ("documents/ok.pdf", file(PDF)),
            ],
        );
        let expect = [
            ("document::missing", "\"documents/missing.pdf\""),
            ("document::outside-port", "\"../outside.pdf\""),
            ("document::bad-type", "\"documents/folder\""),
            ("document::bad-type", "\"documents/notes.txt\""),
            ("document::lfs-pointer", "\"documents/lfs.pdf\""),
            ("document::too-large", "\"documents/huge.pdf\""),
        ];
        let expect: Vec<(String, String)> = expect
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect();
        assert_eq!(found, expect);
    }

    #[test]
    fn the_size_limit_itself_is_allowed() {
        let request = with_docs("\n[[documents]]\nkind = \"bill\"\npath = \"documents/b.pdf\"\n");
        let found = run_files(
            &request,
            &[(
                "documents/b.pdf",
                Probe::File {
                    size: 20_000_000,
                    head: PDF.to_vec(),
                },
            )],
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn a_missing_file_suggests_a_near_name() {
        let policy = policy();
        let request =
            with_docs("\n[[documents]]\nkind = \"bill\"\npath = \"documents/Bill.pdf\"\n");
        let mut port = port(&request, &[], &[("documents/Bill.pdf", Probe::Missing)]);
        port.files = vec!["ports/t/documents/bill.pdf".to_owned()];
        let view = view(&port);
        let mut out = Vec::new();
        check_files(&ctx(&policy), &view, &mut out);
        assert_eq!(out.len(), 1);
        assert!(
            out[0].help.contains("did you mean `documents/bill.pdf`?"),
            "{}",
            out[0].help
        );
    }

    #[test]
    fn screenshots_prove_ownership_only_from_call_tracking_services() {
        let policy = policy();
        let ctx = ctx(&policy);
        let docs = "\n[[documents]]\nkind = \"tracking-screenshot\"\npath = \"documents/s.png\"\n";
        let png = file(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
        let comcast = with_docs(docs);
        let callrail = comcast.replace("Comcast Business", "CallRail");
        let lower = comcast.replace("Comcast Business", "callrail");

        let p = port(&callrail, &[], &[("documents/s.png", png.clone())]);
        let v = view(&p);
        let mut out = Vec::new();
        check_files(&ctx, &v, &mut out);
        assert!(out.is_empty(), "{out:?}");
        assert!(complete(&ctx, &v));

        let p = port(&comcast, &[], &[("documents/s.png", png.clone())]);
        let v = view(&p);
        let mut out = Vec::new();
        check_files(&ctx, &v, &mut out);
        assert_eq!(
            spans(&v, &out),
            [(
                "document::screenshot-not-allowed".to_owned(),
                "\"tracking-screenshot\"".to_owned()
            )]
        );
        assert!(!complete(&ctx, &v));

        let p = port(&lower, &[], &[("documents/s.png", png)]);
        let v = view(&p);
        let mut out = Vec::new();
        check_files(&ctx, &v, &mut out);
        assert!(
            out[0].help.contains("`losing_carrier = \"CallRail\"`"),
            "{}",
            out[0].help
        );
    }

    #[test]
    fn proof_counts_only_when_usable() {
        let policy = policy();
        let ctx = ctx(&policy);
        let request = with_docs("\n[[documents]]\nkind = \"bill\"\npath = \"documents/b.pdf\"\n");
        for (probe, ok) in [
            (file(PDF), true),
            (Probe::Missing, false),
            (file(b"version https://git-lfs.github.com/spec/v1\n"), false),
            (
                Probe::File {
                    size: 20_000_001,
                    head: PDF.to_vec(),
                },
                false,
            ),
            (Probe::NotAFile { what: "a folder" }, false),
        ] {
            let p = port(&request, &[], &[("documents/b.pdf", probe.clone())]);
            assert_eq!(complete(&ctx, &view(&p)), ok, "{probe:?}");
        }
        // A CSR is no proof of ownership.
        let csr = request.replace("\"bill\"", "\"csr\"");
        let p = port(&csr, &[], &[("documents/b.pdf", file(PDF))]);
        assert!(!complete(&ctx, &view(&p)));
    }

    #[test]
    fn country_documents_are_required_when_they_apply() {
        let policy = policy();
        let ctx = ctx(&policy);
        let au = |number_type: &str, docs: &str| {
            format!(
                "account = \"a\"\nrequested_by = \"ops@example.com\"\ncountry = \"AU\"\n\n[[numbers]]\nnumber = \"+61412345678\"\ntype = \"{number_type}\"\n\n[[documents]]\nkind = \"bill\"\npath = \"documents/b.pdf\"\ndated = 2026-11-10\n{docs}"
            )
        };
        let probes = [
            ("documents/b.pdf", file(PDF)),
            ("documents/id.jpg", file(b"\xFF\xD8\xFF\xE0")),
        ];
        // AU asks for an ID with mobile numbers only.
        let p = port(&au("landline", ""), &[], &probes);
        assert!(complete(&ctx, &view(&p)));
        let p = port(&au("mobile", ""), &[], &probes);
        assert!(!complete(&ctx, &view(&p)));
        let id = "\n[[documents]]\nkind = \"id\"\npath = \"documents/id.jpg\"\n";
        let p = port(&au("mobile", id), &[], &probes);
        assert!(complete(&ctx, &view(&p)));

        // After submission a missing one is an error, reported once.
        let p = port(&au("mobile", ""), &[], &probes);
        let v = view(&p);
        let mut out = Vec::new();
        check_progress(
            &ctx,
            &v,
            &progress(Stage::Submitted, Some("2026-11-20")),
            &mut out,
        );
        let codes: Vec<&str> = out.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, ["country::requirement-missing"]);
        assert_eq!(out[0].severity, Severity::Error);
        // Before submission the stage says it.
        let mut out = Vec::new();
        check_progress(
            &ctx,
            &v,
            &progress(Stage::AwaitingDocuments, None),
            &mut out,
        );
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn no_proof_is_an_error_only_once_submitted() {
        let policy = policy();
        let ctx = ctx(&policy);
        let p = port(REQUEST, &[], &[]);
        let v = view(&p);
        let mut out = Vec::new();
        check_progress(
            &ctx,
            &v,
            &progress(Stage::AwaitingDocuments, None),
            &mut out,
        );
        assert!(out.is_empty());
        check_progress(
            &ctx,
            &v,
            &progress(Stage::Submitted, Some("2026-11-20")),
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].code, Code::DocumentNoProof);
        assert_eq!(out[0].severity, Severity::Error);
        // No documents at all: the file's first key.
        assert_eq!(
            &v.doc.file.text[out[0].span.start..out[0].span.start + 7],
            "account"
        );
        // Terminal ports are left alone.
        let mut out = Vec::new();
        check_progress(
            &ctx,
            &v,
            &progress(Stage::Completed, Some("2026-11-20")),
            &mut out,
        );
        assert!(out.is_empty());
    }

    #[test]
    fn no_proof_points_at_an_unusable_bill() {
        let policy = policy();
        let request = with_docs(&format!(
            "{}{}",
            "\n[[documents]]\nkind = \"csr\"\npath = \"documents/csr.pdf\"\n",
            bill("2026-11-10")
        ));
        let p = port(
            &request,
            &[],
            &[
                ("documents/csr.pdf", file(PDF)),
                ("documents/b.pdf", file(b"<html>")),
            ],
        );
        let v = view(&p);
        let mut out = Vec::new();
        check_progress(
            &ctx(&policy),
            &v,
            &progress(Stage::Submitted, Some("2026-11-20")),
            &mut out,
        );
        assert_eq!(
            spans(&v, &out),
            [(
                "document::no-proof".to_owned(),
                "\"documents/b.pdf\"".to_owned()
            )]
        );
        assert!(out[0].message.contains("`documents/b.pdf` cannot be used"));
    }

    const SIGNED: &str = r#"kind = "signed"
on = 2026-08-01
by = "ops@example.com"
signer = "Maria Lopez"
method = "e-sign"
document = "documents/loa.pdf"
loa_digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
"#;

    fn stale_findings(
        request: &str,
        events: &[(&str, &str)],
        progress: &Progress,
    ) -> Vec<(String, String, Severity)> {
        let policy = policy();
        let p = port(
            request,
            events,
            &[
                ("documents/b.pdf", file(PDF)),
                ("documents/loa.pdf", file(PDF)),
            ],
        );
        let v = view(&p);
        let mut out = Vec::new();
        check_progress(&ctx(&policy), &v, progress, &mut out);
        let sev: Vec<Severity> = out.iter().map(|f| f.severity).collect();
        spans(&v, &out)
            .into_iter()
            .zip(sev)
            .map(|((c, t), s)| (c, t, s))
            .collect()
    }

    fn bill(dated: &str) -> String {
        format!("\n[[documents]]\nkind = \"bill\"\npath = \"documents/b.pdf\"\ndated = {dated}\n")
    }

    #[test]
    fn bills_age_at_submission_and_warn_before() {
        let request = with_docs(&bill("2026-10-20"));
        // Submitted 27 days after the statement: fresh for good, whatever today is.
        let out = stale_findings(
            &request,
            &[],
            &progress(Stage::Scheduled, Some("2026-11-16")),
        );
        assert!(out.is_empty(), "{out:?}");
        // Not submitted: measured today (36 days), a warning.
        let out = stale_findings(&request, &[], &progress(Stage::Ready, None));
        assert_eq!(
            out,
            [(
                "document::stale".to_owned(),
                "2026-10-20".to_owned(),
                Severity::Warning
            )]
        );
        // Submitted 37 days after the statement: an error.
        let out = stale_findings(
            &with_docs(&bill("2026-10-10")),
            &[],
            &progress(Stage::Submitted, Some("2026-11-16")),
        );
        assert_eq!(
            out,
            [(
                "document::stale".to_owned(),
                "2026-10-10".to_owned(),
                Severity::Error
            )]
        );
        // Terminal: never judged.
        let out = stale_findings(
            &with_docs(&bill("2026-01-10")),
            &[],
            &progress(Stage::Completed, Some("2026-11-16")),
        );
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn a_bill_dated_after_the_day_of_judgement_is_not_the_fresh_one() {
        // Pending submission of 2026-11-16: the bill of 2026-11-20 was not part of it, so
        // the stale one of 2026-10-10 is still reported, and the newer one is misdated.
        let request = with_docs(&format!("{}{}", bill("2026-10-10"), bill("2026-11-20")));
        let out = stale_findings(
            &request,
            &[],
            &progress(Stage::Submitted, Some("2026-11-16")),
        );
        assert_eq!(
            out,
            [
                (
                    "document::future-date".to_owned(),
                    "2026-11-20".to_owned(),
                    Severity::Error
                ),
                (
                    "document::stale".to_owned(),
                    "2026-10-10".to_owned(),
                    Severity::Error
                ),
            ]
        );
        // Once the carrier has answered, a newer document is for the resubmission.
        let out = stale_findings(
            &request,
            &[],
            &progress(Stage::Rejected, Some("2026-11-16")),
        );
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn an_older_bill_beside_a_fresh_one_is_history() {
        let request = with_docs(&format!("{}{}", bill("2026-08-20"), bill("2026-11-10")));
        assert!(stale_findings(&request, &[], &progress(Stage::Ready, None)).is_empty());
    }

    #[test]
    fn receipts_never_age_and_undated_bills_are_stale() {
        let receipt = with_docs(
            "\n[[documents]]\nkind = \"receipt\"\npath = \"documents/b.pdf\"\ndated = 2024-01-01\n",
        );
        assert!(
            stale_findings(
                &receipt,
                &[],
                &progress(Stage::Submitted, Some("2026-11-16"))
            )
            .is_empty()
        );
        let undated = with_docs("\n[[documents]]\nkind = \"bill\"\npath = \"documents/b.pdf\"\n");
        let out = stale_findings(&undated, &[], &progress(Stage::Ready, None));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].1, "[[documents]]");
        assert_eq!(out[0].2, Severity::Warning);
    }

    #[test]
    fn the_newest_signature_ages() {
        let request = with_docs(&bill("2026-11-10"));
        let newer = SIGNED.replace("2026-08-01", "2026-11-01");
        // Signed 2026-08-01, 116 days before today.
        let out = stale_findings(
            &request,
            &[("001-signed.toml", SIGNED)],
            &progress(Stage::Ready, None),
        );
        assert_eq!(
            out,
            [(
                "document::stale".to_owned(),
                "2026-08-01".to_owned(),
                Severity::Warning
            )]
        );
        // Submitted 2026-10-30 (with the bill of that time): 90 days exactly, fresh.
        let out = stale_findings(
            &with_docs(&bill("2026-10-20")),
            &[("001-signed.toml", SIGNED)],
            &progress(Stage::Submitted, Some("2026-10-30")),
        );
        assert!(out.is_empty(), "{out:?}");
        // A newer signature replaces the old one.
        let out = stale_findings(
            &request,
            &[("001-signed.toml", SIGNED), ("002-signed.toml", &newer)],
            &progress(Stage::Ready, None),
        );
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn mobile_pins_age() {
        let mobile = |extra: &str| {
            with_docs(&bill("2026-11-10"))
                .replace("type = \"landline\"", "type = \"mobile\"")
                .replace("name = \"Acme Dental LLC\"\n", &format!("name = \"Acme Dental LLC\"\npin = \"-----BEGIN AGE ENCRYPTED FILE-----\"\n{extra}"))
        };
        let out = stale_findings(
            &mobile("pin_obtained_on = 2026-11-10\n"),
            &[],
            &progress(Stage::Ready, None),
        );
        assert_eq!(
            out,
            [(
                "document::stale".to_owned(),
                "2026-11-10".to_owned(),
                Severity::Warning
            )]
        );
        let out = stale_findings(
            &mobile("pin_obtained_on = 2026-11-10\n"),
            &[],
            &progress(Stage::Submitted, Some("2026-11-17")),
        );
        assert!(out.is_empty(), "{out:?}");
        let out = stale_findings(&mobile(""), &[], &progress(Stage::Ready, None));
        assert_eq!(
            out,
            [(
                "document::stale".to_owned(),
                "[end_user]".to_owned(),
                Severity::Warning
            )]
        );
        // Landlines have no PIN to age.
        let landline = mobile("pin_obtained_on = 2026-01-10\n")
            .replace("type = \"mobile\"", "type = \"landline\"");
        assert!(stale_findings(&landline, &[], &progress(Stage::Ready, None)).is_empty());
    }

    #[test]
    fn a_pin_ages_only_where_the_country_asks_for_one() {
        // GB mobile ports need a PAC (`mobile_credentials = []`): a PIN kept anyway never ages.
        let gb = format!(
            "account = \"a\"\nrequested_by = \"ops@example.com\"\ncountry = \"GB\"\n\n[end_user]\nname = \"A Ltd\"\npin = \"-----BEGIN AGE ENCRYPTED FILE-----\"\npin_obtained_on = 2026-01-10\n\n[[numbers]]\nnumber = \"+447400123456\"\ntype = \"mobile\"\n{}",
            bill("2026-11-10")
        );
        assert!(stale_findings(&gb, &[], &progress(Stage::Ready, None)).is_empty());
    }

    #[test]
    fn signed_loa_files_are_checked_on_the_event() {
        let policy = policy();
        let p = port(
            REQUEST,
            &[("001-signed.toml", SIGNED)],
            &[("documents/loa.pdf", file(b"hello"))],
        );
        let v = view(&p);
        let mut out = Vec::new();
        check_files(&ctx(&policy), &v, &mut out);
        assert_eq!(
            spans(&v, &out),
            [(
                "document::bad-type".to_owned(),
                "\"documents/loa.pdf\"".to_owned()
            )]
        );
        assert_eq!(
            out[0].file.to_string_lossy(),
            "ports/t/events/001-signed.toml"
        );
    }
}
