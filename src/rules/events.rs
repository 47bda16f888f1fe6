//! Event rules: names and numbering, voids, order, dates, signers, carriers and reasons.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::diag::{Code, Finding, Severity};
use crate::loa::digest::{LoaData, digest as loa_digest};
use crate::model::Date;
use crate::model::event::{EventBody, EventKind};
use crate::model::policy::CarrierKind;
use crate::repo::{EventFile, Port};
use crate::rules::history::loa_changed;
use crate::rules::{Ctx, EventRef, PortView, Recorded};
use crate::stage::{Fold, Stage, Verdict};

/// Whether a name is an IANA time zone (a zone or link of the tz database).
pub fn is_time_zone(name: &str) -> bool {
    static ZONES: std::sync::LazyLock<BTreeSet<&'static str>> = std::sync::LazyLock::new(|| {
        include_str!("../../assets/tz/zones.txt")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .collect()
    });
    ZONES.contains(name)
}

/// Rejection reason codes from industry practice (SPEC §4).
pub const REASON_CODES: &[&str] = &[
    "account-number-mismatch",
    "account-number-required",
    "authorized-person-mismatch",
    "btn-mismatch",
    "name-mismatch",
    "address-mismatch",
    "postal-code-mismatch",
    "pin-invalid",
    "pin-expired",
    "number-not-portable",
    "number-not-on-account",
    "rate-center-not-portable",
    "pending-order",
    "port-type-incorrect",
    "split-required",
    "number-inactive",
    "special-feature",
    "carrier-freeze",
    "customer-retained",
    "loa-illegible",
    "loa-missing",
    "foc-rejected",
    "foc-expired",
    "losing-carrier-unresponsive",
    "other",
];

fn event_finding(
    file: &EventFile,
    pointer: &str,
    code: Code,
    message: impl Into<String>,
) -> Finding {
    let span = file.loaded.as_ref().map_or(0..0, |l| l.doc.span(pointer));
    Finding::new(code, file.path.clone(), span, message)
}

/// The name a misnamed event file should have: its number (or 001) and its `kind`, or the
/// kind nearest to the misspelt one.
fn suggested_name(file: &EventFile) -> Option<String> {
    let stem = file.name.strip_suffix(".toml").unwrap_or(&file.name);
    let (num, written) = stem.split_once('-').unwrap_or((stem, ""));
    let number: u32 = num.parse().ok().or(file.number)?;
    let kind = match &file.loaded {
        Some(loaded) => loaded.value.kind(),
        None => {
            EventKind::ALL
                .iter()
                .copied()
                .map(|k| (strsim::jaro_winkler(k.as_str(), written), k))
                .filter(|(score, _)| *score > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0))?
                .1
        }
    };
    Some(format!("{number:03}-{kind}.toml"))
}

/// `event::bad-name` and `event::sequence`: they run on every port, even an invalid one.
pub fn check_names(port: &Port) -> Vec<Finding> {
    let mut out = Vec::new();
    let events_dir = format!("{}/events/", port.dir);
    for other in port.files.iter().filter(|f| f.starts_with(&events_dir)) {
        out.push(
            Finding::new(
                Code::EventBadName,
                other.clone(),
                0..0,
                format!(
                    "`{}` is not an event file",
                    other.strip_prefix(&events_dir).unwrap_or(other)
                ),
            )
            .help("events/ holds only `NNN-<kind>.toml` files; move anything else to documents/ or out of the port"),
        );
    }
    let mut by_number: BTreeMap<u32, Vec<&EventFile>> = BTreeMap::new();
    for file in &port.events {
        // A numbered file counts for the numbering even when its kind is misspelt.
        if let Some(n) = file.number {
            by_number.entry(n).or_default().push(file);
        }
        match (file.number, file.name_kind) {
            (Some(n), Some(kind)) => {
                if let Some(loaded) = &file.loaded {
                    let actual = loaded.value.kind();
                    if actual != kind {
                        out.push(
                            event_finding(
                                file,
                                "/kind",
                                Code::EventBadName,
                                format!("the file is named for a `{kind}` event but holds `kind = \"{actual}\"`"),
                            )
                            .label("does not match the file name")
                            .help(format!(
                                "rename the file to `{:03}-{actual}.toml`, or fix `kind`",
                                n
                            )),
                        );
                    }
                }
            }
            _ => {
                let suggestion = suggested_name(file)
                    .map(|s| format!("rename it to `{s}`; "))
                    .unwrap_or_default();
                out.push(
                    Finding::new(
                        Code::EventBadName,
                        file.path.clone(),
                        0..0,
                        format!("`{}` is not named `NNN-<kind>.toml`", file.name),
                    )
                    .help(format!("{suggestion}name events with a three-digit number and their kind, e.g. `003-rejected.toml` (kinds: signed, submitted, rejected, scheduled, completed, cancelled, void)")),
                );
            }
        }
    }
    let mut expected = 1;
    for (&n, files) in &by_number {
        if n != expected {
            let first = files[0];
            let message = if n < expected {
                format!("event numbering starts at 001, not {n:03}")
            } else if expected + 1 == n {
                format!("event {expected:03} is missing: the numbering jumps to {n:03}")
            } else {
                format!(
                    "events {expected:03} to {:03} are missing: the numbering jumps to {n:03}",
                    n - 1
                )
            };
            out.push(
                Finding::new(Code::EventSequence, first.path.clone(), 0..0, message)
                    .help("events are numbered 001, 002, … without gaps: renumber this file (never rewrite a merged event's content)"),
            );
        }
        for dup in files.iter().skip(1) {
            out.push(
                Finding::new(
                    Code::EventSequence,
                    dup.path.clone(),
                    0..0,
                    format!("event number {n:03} is used twice"),
                )
                .related(files[0].path.clone(), 0..0, "also numbered here")
                .help(format!("two changes added the same number (e.g. two PRs merged at once): rename the one that merged last, byte for byte, to the next free number (`portflow history {}` shows when each landed)", port.id)),
            );
        }
        expected = n + 1;
    }
    out
}

/// The valid events that are not voided, in NNN order, and findings about the voids.
pub fn resolve_voids(port: &Port) -> (Vec<EventRef<'_>>, Vec<Finding>) {
    let mut findings = Vec::new();
    let mut valid: Vec<EventRef<'_>> = port
        .events
        .iter()
        .filter_map(|file| {
            // A misnamed file is reported by name; it is not part of the log until renamed.
            file.name_kind?;
            let loaded = file.loaded.as_ref()?;
            Some(EventRef {
                file,
                number: file.number?,
                event: &loaded.value,
                doc: &loaded.doc,
            })
        })
        .collect();
    valid.sort_by(|a, b| (a.number, &a.file.name).cmp(&(b.number, &b.file.name)));
    let numbers: BTreeSet<u32> = port.events.iter().filter_map(|e| e.number).collect();
    let mut voided: BTreeMap<u32, &EventFile> = BTreeMap::new();
    for ev in &valid {
        let EventBody::Void { voids, .. } = &ev.event.body else {
            continue;
        };
        let target: Option<u32> = voids.parse().ok();
        let problem = match target {
            None => Some(format!("`{voids}` is not an event number")),
            Some(t) if t >= ev.number => Some(format!(
                "a void may only cancel an earlier event, and {t:03} is not before {:03}",
                ev.number
            )),
            Some(t) if !numbers.contains(&t) => Some(format!("there is no event {t:03} to void")),
            Some(t)
                if valid
                    .iter()
                    .any(|o| o.number == t && matches!(o.event.body, EventBody::Void { .. })) =>
            {
                Some(format!(
                    "event {t:03} is itself a void; voids cannot be voided"
                ))
            }
            Some(t) => match voided.get(&t) {
                Some(first) => Some(format!(
                    "event {t:03} is already voided by `{}`",
                    first.name
                )),
                None => {
                    voided.insert(t, ev.file);
                    None
                }
            },
        };
        if let Some(message) = problem {
            findings.push(
                Finding::new(Code::EventIllegal, ev.path(), ev.doc.span("/voids"), message)
                    .label("nothing valid to void")
                    .help("set `voids` to the three-digit number of the earlier event that was recorded in error"),
            );
        }
    }
    valid.retain(|ev| !voided.contains_key(&ev.number));
    (valid, findings)
}

/// Normalizes a person's name for comparison: NFC, case, and whitespace.
fn person_key(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    name.nfc()
        .collect::<String>()
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a date is a weekend day or a holiday of the country.
fn is_non_business(ctx: &Ctx<'_>, country: &str, date: Date) -> Option<&'static str> {
    if date.is_weekend() {
        Some("a weekend")
    } else if ctx.policy.holidays_of(country).contains(&date) {
        Some("a holiday in porting.toml")
    } else {
        None
    }
}

/// The first date at least `lead` business days after `from`.
pub fn earliest_foc(ctx: &Ctx<'_>, country: &str, from: Date, lead: u32) -> Date {
    let mut date = from;
    let mut counted = 0;
    while counted < lead {
        match date.add_days(1) {
            Some(next) => date = next,
            None => break,
        }
        if is_non_business(ctx, country, date).is_none() {
            counted += 1;
        }
    }
    date
}

/// Whether event `i` is judged on today's files and policy: it is being added now, or,
/// with no history at hand, it is the pending submission or an event of an open port
/// that is not an answered submission.
fn judged_now(ctx: &Ctx<'_>, view: &PortView<'_>, fold: &Fold, i: usize) -> bool {
    match ctx.past.recorded(view.events[i].path()) {
        Recorded::Now => true,
        Recorded::Before => false,
        Recorded::Unknown => {
            let pending = fold.pending.is_some_and(|p| p.submission == i);
            let submission = view.events[i].event.kind() == EventKind::Submitted;
            pending || (!submission && !fold.stage.is_terminal())
        }
    }
}

/// The rules on events of a port with a valid request.
pub fn check(
    ctx: &Ctx<'_>,
    view: &PortView<'_>,
    fold: &Fold,
    digest: &str,
    out: &mut Vec<Finding>,
) {
    let country = view.request.country.as_str();
    pending_submission(ctx, view, fold, digest, out);
    let mut backing: BTreeMap<&str, (&str, &EventRef<'_>)> = BTreeMap::new();
    let mut previous: Option<(Date, &EventRef<'_>)> = None;
    for (i, ev) in view.events.iter().enumerate() {
        let path = ev.path();
        let now = judged_now(ctx, view, fold, i);
        signed_document(view, ev, &mut backing, out);
        // Order in the lifecycle.
        match fold.verdicts.get(i) {
            Some(Verdict::Illegal(why)) => out.push(
                Finding::new(
                    Code::EventIllegal,
                    path,
                    ev.doc.span("/kind"),
                    format!("a `{}` event is not allowed here: {why}", ev.event.kind()),
                )
                .label(format!("the port was {}", fold.before.get(i).map_or("?", |s| s.as_str())))
                .help("record events in lifecycle order (see `portflow status`); if this one was typed in error, add a `void` event for it"),
            ),
            Some(Verdict::Unusual(why)) => out.push(
                Finding::new(
                    Code::EventUnusualOrder,
                    path,
                    ev.doc.span("/kind"),
                    format!("unusual order: {why}"),
                )
                .label("carrier event out of the usual order")
                .help("carrier events are facts, so this is allowed; check the dates and whether an event is missing"),
            ),
            _ => {}
        }
        // Dates.
        let on = ev.event.on;
        if on > ctx.today {
            out.push(
                Finding::new(
                    Code::EventDate,
                    path,
                    ev.doc.span("/on"),
                    format!("`{on}` is in the future (today is {})", ctx.today),
                )
                .label("in the future")
                .help("record events when they have happened, with the date they happened"),
            );
        }
        if let Some((prev_on, prev)) = previous {
            if on < prev_on {
                out.push(
                    Finding::new(
                        Code::EventDate,
                        path,
                        ev.doc.span("/on"),
                        format!("`{on}` is before the previous event's date `{prev_on}`"),
                    )
                    .label("earlier than the event before it")
                    .related(prev.path().to_owned(), prev.doc.span("/on"), "the previous event")
                    .help("events are recorded in the order they happened: fix the date or the numbering"),
                );
            }
        }
        previous = Some((on, ev));
        // Numbers an event names must be numbers of this port.
        let named: Vec<(String, &String)> = match &ev.event.body {
            EventBody::Rejected { reasons, .. } => reasons
                .iter()
                .enumerate()
                .flat_map(|(j, r)| {
                    r.numbers
                        .iter()
                        .flatten()
                        .enumerate()
                        .map(move |(k, n)| (format!("/reasons/{j}/numbers/{k}"), n))
                })
                .collect(),
            EventBody::Scheduled { numbers, .. } | EventBody::Completed { numbers } => numbers
                .iter()
                .flatten()
                .enumerate()
                .map(|(k, n)| (format!("/numbers/{k}"), n))
                .collect(),
            _ => Vec::new(),
        };
        for (pointer, number) in named {
            if !view.request.numbers.iter().any(|n| n.number == *number) {
                out.push(
                    Finding::new(
                        Code::EventIllegal,
                        path,
                        ev.doc.span(&pointer),
                        format!("`{number}` is not a number of this port"),
                    )
                    .label("not in request.toml")
                    .help("list only numbers of this port's `[[numbers]]`; leave `numbers` out when the event covers them all"),
                );
            }
        }
        // Kind-specific fields.
        match &ev.event.body {
            // A signature is judged against the LOA data whose digest it records: when that
            // is today's data, against today's request; an older signature is simply not
            // current, whoever the request names now.
            EventBody::Signed {
                signer, loa_digest, ..
            } if loa_digest == digest => {
                let expected = view
                    .request
                    .end_user
                    .as_ref()
                    .and_then(|u| u.authorized_person.as_deref());
                if let Some(expected) = expected {
                    if person_key(signer) != person_key(expected) {
                        out.push(
                            Finding::new(
                                Code::EventSignerMismatch,
                                path,
                                ev.doc.span("/signer"),
                                format!("the LOA was signed by `{signer}`, not by the authorized person `{expected}`"),
                            )
                            .label("not the authorized person")
                            .related(view.path(), view.doc.span("/end_user/authorized_person"), "the authorized person")
                            .help("the LOA must be signed by the end user's authorized person: have them sign, or correct `authorized_person` and sign again"),
                        );
                    }
                }
            }
            // Policy questions (partner carriers, lead times, holidays) are asked of a
            // submission in its own time; a recorded one is not re-judged by today's policy.
            EventBody::Submitted {
                carrier,
                requested_foc,
                ..
            } if now => {
                let partner = ctx.policy.carriers.get(carrier);
                if partner.is_none_or(|c| c.kind != CarrierKind::Partner) {
                    let partners: Vec<String> = ctx
                        .policy
                        .carriers
                        .iter()
                        .filter(|(_, c)| c.kind == CarrierKind::Partner)
                        .map(|(n, _)| format!("`{n}`"))
                        .collect();
                    let why = if partner.is_some() {
                        "is not a partner"
                    } else {
                        "is not in porting.toml"
                    };
                    out.push(
                        Finding::new(
                            Code::EventUnknownCarrier,
                            path,
                            ev.doc.span("/carrier"),
                            format!("carrier `{carrier}` {why}"),
                        )
                        .label("not a partner carrier")
                        .help(format!(
                            "submit to a partner from porting.toml `[carriers]`: {}",
                            partners.join(", ")
                        )),
                    );
                }
                foc_day(
                    ctx,
                    country,
                    ev,
                    "/requested_foc",
                    *requested_foc,
                    Severity::Error,
                    out,
                );
                let lead = ctx
                    .policy
                    .country(country)
                    .and_then(|c| c.min_lead_business_days)
                    .unwrap_or(0);
                let earliest = earliest_foc(ctx, country, on, lead);
                if *requested_foc < earliest {
                    out.push(
                        Finding::new(
                            Code::EventFocDate,
                            path,
                            ev.doc.span("/requested_foc"),
                            format!("`{requested_foc}` is inside the lead time: {country} needs {lead} business days, so the earliest FOC is {earliest}"),
                        )
                        .label("too soon")
                        .help(format!("request an FOC on or after {earliest}")),
                    );
                }
            }
            EventBody::Rejected { reasons, .. } => {
                for (j, reason) in reasons.iter().enumerate() {
                    if !REASON_CODES.contains(&reason.code.as_str()) {
                        let pointer = format!("/reasons/{j}/code");
                        let near = REASON_CODES
                            .iter()
                            .map(|c| (strsim::jaro_winkler(c, &reason.code), c))
                            .filter(|(s, _)| *s > 0.85)
                            .max_by(|a, b| a.0.total_cmp(&b.0))
                            .map(|(_, c)| format!("did you mean `{c}`? "))
                            .unwrap_or_default();
                        out.push(
                            Finding::new(Code::EventUnknownReason, path, ev.doc.span(&pointer), format!("`{}` is not a known rejection reason", reason.code))
                                .label("unknown reason code")
                                .help(format!("{near}use a code from docs/rules.md#event-unknown-reason, or `other` with the carrier's words in `detail`")),
                        );
                    }
                }
            }
            // The carrier's FOC is a fact: an odd date is worth a look, never an error.
            EventBody::Scheduled {
                foc, foc_timezone, ..
            } if now => {
                foc_day(ctx, country, ev, "/foc", *foc, Severity::Warning, out);
                if let Some(zone) = foc_timezone.as_deref().filter(|z| !is_time_zone(z)) {
                    out.push(
                        Finding::new(
                            Code::EventFocDate,
                            ev.path(),
                            ev.doc.span("/foc_timezone"),
                            format!("`{zone}` is not an IANA time zone"),
                        )
                        .label("unknown time zone")
                        .help("write the carrier's time zone as an IANA name, e.g. `America/New_York`, `America/Chicago`, `America/Toronto` or `Europe/London`"),
                    );
                }
            }
            _ => {}
        }
    }
}

/// `event::foc-date` on a date that is no business day (an error on our own
/// `requested_foc`, a warning on the carrier's FOC), and a warning when porting.toml lists
/// no holidays for the country in that year, so a holiday would go unnoticed.
fn foc_day(
    ctx: &Ctx<'_>,
    country: &str,
    ev: &EventRef<'_>,
    pointer: &str,
    date: Date,
    severity: Severity,
    out: &mut Vec<Finding>,
) {
    let span = ev.doc.span(pointer);
    if let Some(what) = is_non_business(ctx, country, date) {
        let finding = Finding::new(
            Code::EventFocDate,
            ev.path(),
            span.clone(),
            format!("`{date}` is {what}"),
        )
        .label("not a business day");
        out.push(if severity == Severity::Error {
            finding.help("ports happen on business days: request a weekday that is not a holiday (porting.toml `[holidays]`)")
        } else {
            finding
                .severity(Severity::Warning)
                .help("the carrier gave this date, so it is recorded as given: confirm it with the carrier, and plan the cut-over for that day")
        });
    }
    let year = date.year();
    let listed = ctx
        .policy
        .holidays_of(country)
        .iter()
        .any(|h| h.year() == year);
    if !listed {
        out.push(
            Finding::new(
                Code::EventFocDate,
                ev.path(),
                span,
                format!("porting.toml lists no {country} holidays for {year}, so `{date}` cannot be checked against them"),
            )
            .severity(Severity::Warning)
            .label("holidays unknown for this year")
            .help(format!("add {country}'s {year} holidays to porting.toml: `[holidays] {country} = [{year}-01-01, …]`")),
        );
    }
}

/// `document::loa-mismatch`: a `signed` event's file is the LOA it records. A file that
/// prints a digest must print the event's `loa_digest`; a file that prints none (a scan)
/// must still have the `document_sha256` recorded with it; and one file backs one digest.
fn signed_document<'a>(
    view: &PortView<'a>,
    ev: &'a EventRef<'a>,
    backing: &mut BTreeMap<&'a str, (&'a str, &'a EventRef<'a>)>,
    out: &mut Vec<Finding>,
) {
    let EventBody::Signed {
        document,
        loa_digest,
        document_sha256,
        ..
    } = &ev.event.body
    else {
        return;
    };
    let mismatch = |message: String, help: String| {
        Finding::new(
            Code::DocumentLoaMismatch,
            ev.path(),
            ev.doc.span("/document"),
            message,
        )
        .label("not the LOA this signature records")
        .help(help)
    };
    if let Some((first_digest, first)) = backing.get(document.as_str()) {
        if *first_digest != loa_digest.as_str() {
            out.push(
                mismatch(
                    format!("`{document}` already backs the signature of {first_digest}; one signed file backs one LOA"),
                    format!("a new signature is a new file: save the LOA signed for {loa_digest} under its own name in documents/ and point `document` at it"),
                )
                .related(first.path().to_owned(), first.doc.span("/document"), "the signature this file backs"),
            );
        }
    } else {
        backing.insert(document, (loa_digest, ev));
    }
    let Some(file) = view.port.signed_files.get(document) else {
        return;
    };
    if let Some(printed) = file.printed_digest.as_deref().filter(|p| p != loa_digest) {
        out.push(mismatch(
            format!("`{document}` prints LOA digest {printed}, but this signature records {loa_digest}"),
            format!("the file is another LOA (one signed before a fix?): render the current LOA (`portflow render {}`), have the authorized person sign it, and record that signature", view.port.id),
        ));
    } else if let Some(recorded) = document_sha256.as_deref().filter(|h| *h != file.sha256) {
        out.push(mismatch(
            format!("`{document}` has changed since it was signed: it was sha256 {recorded}, it is {}", file.sha256),
            "a signed file is never replaced: restore the signed file from git history; a new signature goes in a new file with its own `signed` event".to_owned(),
        ));
    }
}

/// The pending submission against the data of its own time: added now, it needs a current
/// signature and a `ready` port; recorded before, its signature had to cover the LOA data
/// of that commit, and since then the request's LOA data may not have changed (a policy
/// change is no edit of the port).
fn pending_submission(
    ctx: &Ctx<'_>,
    view: &PortView<'_>,
    fold: &Fold,
    digest: &str,
    out: &mut Vec<Finding>,
) {
    let Some(pending) = fold.pending else {
        return;
    };
    let ev = &view.events[pending.submission];
    let Some(sig) = pending.signature.map(|g| &view.events[g]) else {
        return;
    };
    let EventBody::Signed {
        loa_digest: signed, ..
    } = &sig.event.body
    else {
        return;
    };
    let stale = |why: String, help: String| {
        Finding::new(
            Code::EventStaleSignature,
            ev.path(),
            ev.doc.span("/kind"),
            format!("this submission is not covered by a current signature: {why}"),
        )
        .label("stale signature")
        .related(
            sig.path().to_owned(),
            sig.doc.span("/loa_digest"),
            "the signature it submits",
        )
        .help(help)
    };
    let recorded = ctx.past.recorded(ev.path());
    match recorded {
        Recorded::Now | Recorded::Unknown => {
            let now = recorded == Recorded::Now;
            if signed != digest || !fold.signed_current {
                let how = if now {
                    "while this submission is not merged, "
                } else {
                    ""
                };
                out.push(stale(
                    "the LOA data changed after it was signed".to_owned(),
                    format!("the carrier would get an LOA nobody signed: restore the LOA data that was signed, or, {how}have the customer sign the current LOA and record that `signed` event (`loa_digest = \"{digest}\"`) before the `submitted` one"),
                ));
                return;
            }
            let before = fold.before[pending.submission];
            // Whether a port was ready is asked of a submission being added; without
            // history, today's request findings already say what is missing.
            if now && !before.is_after_submission() && before != Stage::Ready {
                out.push(
                    Finding::new(
                        Code::EventIllegal,
                        ev.path(),
                        ev.doc.span("/kind"),
                        format!("a `submitted` event is not allowed here: a port is submitted only from `ready`, and this one is {before}"),
                    )
                    .label(format!("the port is {before}"))
                    .help(format!("first {}; if this event was typed in error, add a `void` event for it", before.next_action())),
                );
            }
        }
        Recorded::Before => {
            let Some((policy, request)) = ctx.past.data_when_added(ev.path()) else {
                return;
            };
            let then = LoaData::new(&policy, &view.port.id, &request);
            let then_digest = loa_digest(&then);
            if *signed != then_digest {
                out.push(stale(
                    format!("when it was recorded the LOA data had digest {then_digest}, and the signature covers {signed}"),
                    "the carrier got an LOA nobody signed: if it was never sent, add a `void` event for it; otherwise ask the carrier to reject it, record the rejection, have the current LOA signed and resubmit".to_owned(),
                ));
                return;
            }
            // Today's request under the policy of that time: a difference is an edit of
            // the port, not of porting.toml.
            let now = LoaData::new(&policy, &view.port.id, view.request);
            let when = format!("after the port was submitted ({})", ev.file.name);
            if let Some(finding) = loa_changed(&then, &now, &view.path(), view.doc, &when) {
                out.push(finding.related(
                    ev.path().to_owned(),
                    ev.doc.span("/kind"),
                    "the submission the carrier is processing",
                ));
            }
        }
    }
}

/// What `status` and `report` read from a port's live events (voided ones left out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventFacts {
    /// The FOC of the latest `scheduled` event, while it stands: a later submission,
    /// rejection or cancellation withdraws it; a completion keeps it (the day it ported).
    pub foc: Option<Date>,
    /// Every reason code of every rejection, one per reason.
    pub rejection_codes: Vec<String>,
    /// The reason codes of the latest rejection.
    pub latest_rejection: Vec<String>,
    /// The partner carrier of the latest submission.
    pub carrier: Option<String>,
}

impl EventFacts {
    /// Reads a port's live events in NNN order.
    pub fn of(port: &Port) -> EventFacts {
        let mut facts = EventFacts::default();
        let (live, _) = resolve_voids(port);
        for e in live {
            match &e.event.body {
                EventBody::Submitted { carrier, .. } => {
                    facts.carrier = Some(carrier.clone());
                    facts.foc = None;
                }
                EventBody::Rejected { reasons, .. } => {
                    facts.latest_rejection = reasons.iter().map(|r| r.code.clone()).collect();
                    facts
                        .rejection_codes
                        .extend(facts.latest_rejection.iter().cloned());
                    facts.foc = None;
                }
                EventBody::Scheduled { foc, .. } => facts.foc = Some(*foc),
                EventBody::Cancelled { .. } => facts.foc = None,
                EventBody::Signed { .. } | EventBody::Completed { .. } | EventBody::Void { .. } => {
                }
            }
        }
        facts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones_are_iana_names() {
        for zone in [
            "America/Los_Angeles",
            "America/Toronto",
            "Europe/London",
            "UTC",
        ] {
            assert!(is_time_zone(zone), "{zone}");
        }
        for zone in ["Mars/Olympus", "America/Los_Angles", "america/chicago", ""] {
            assert!(!is_time_zone(zone), "{zone}");
        }
    }
}
