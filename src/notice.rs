//! Customer notices: a rejection notice for every `rejected` event and a completion notice
//! for every `completed` event, to the request's `requested_by`, from
//! `templates/email/*.j2`. Written as RFC 5322 `.eml` files (multipart text and HTML,
//! built with lettre) plus a plain-text preview. Message-ID, MIME boundary and Date come
//! from the event (a hash of its file and its `on` date), so one event always yields the
//! same notice, byte for byte.

use std::time::{Duration, SystemTime};

use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use minijinja::Value;
use serde_json::json;

use crate::loa::template::{TemplateError, Templates};
use crate::model::Date;
use crate::model::event::{Event, EventBody, EventKind};
use crate::model::policy::{Channel, NoticeKind, Policy};
use crate::model::request::{PortType, Request};
use crate::signed::sha256_hex;

/// Why a notice could not be written.
#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    /// The template failed.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// An address is not one an e-mail can carry.
    #[error("`{address}` ({role}) is not a usable e-mail address: {reason}")]
    Address {
        /// The address.
        address: String,
        /// Where it comes from.
        role: &'static str,
        /// Why it is refused.
        reason: String,
    },
    /// lettre refused to build the message.
    #[error("cannot build the e-mail: {0}")]
    Build(String),
}

/// One event a notice is written for.
#[derive(Debug, Clone, Copy)]
pub struct NoticeEvent<'a> {
    /// The event's number (NNN).
    pub number: u32,
    /// The event.
    pub event: &'a Event,
    /// The numbers earlier `completed` events of the port (not voided) already moved: a
    /// completion notice says which numbers are still to come.
    pub moved_before: &'a [String],
}

/// The numbers an event moves: a `completed` event's subset, or every number of the
/// request when it names none; nothing for any other event.
pub fn numbers_moved(event: &Event, request: &Request) -> Vec<String> {
    match &event.body {
        EventBody::Completed {
            numbers: Some(subset),
        } => subset.clone(),
        EventBody::Completed { numbers: None } => {
            request.numbers.iter().map(|n| n.number.clone()).collect()
        }
        _ => Vec::new(),
    }
}

/// A rendered notice.
#[derive(Debug, Clone)]
pub struct Notice {
    /// The file name without extension: `NNN-<kind>-notice`, e.g. `003-rejected-notice`.
    pub stem: String,
    /// The RFC 5322 message.
    pub eml: Vec<u8>,
    /// A plain-text preview: the main headers and the text body.
    pub txt: String,
    /// The message, to send.
    pub message: Message,
}

/// The customer-facing meaning of a rejection reason code (SPEC §4).
pub fn reason_summary(code: &str) -> &'static str {
    match code {
        "account-number-mismatch" => {
            "The account number we gave does not match the one your current provider has on file."
        }
        "account-number-required" => {
            "Your current provider needs the account number of the account these numbers are on."
        }
        "authorized-person-mismatch" => {
            "The person who signed the authorization is not listed as authorized on the account."
        }
        "btn-mismatch" => {
            "The billing telephone number (the account's main number) does not match your current provider's records."
        }
        "name-mismatch" => {
            "The account name we gave does not match the name your current provider has on file."
        }
        "address-mismatch" => {
            "The service address we gave does not match your current provider's records."
        }
        "postal-code-mismatch" => {
            "The ZIP or postal code we gave does not match your current provider's records."
        }
        "pin-invalid" => "The transfer PIN (port-out PIN) was not accepted.",
        "pin-expired" => "The transfer PIN (port-out PIN) has expired; a new one is needed.",
        "number-not-portable" => "A number cannot be moved to us from where it is today.",
        "number-not-on-account" => "A number is not on the account we gave your current provider.",
        "rate-center-not-portable" => {
            "A number belongs to an area our carrier partner cannot serve yet."
        }
        "pending-order" => {
            "There is an open order on your account with your current provider; no number can move until it is finished or cancelled."
        }
        "port-type-incorrect" => {
            "The request moved the wrong set of numbers: all numbers on the account (a full port) versus only some of them (a partial port)."
        }
        "split-required" => "Your current provider needs these numbers moved in separate requests.",
        "number-inactive" => "A number is not in service with your current provider.",
        "special-feature" => {
            "A feature on a number (such as special call routing, a hunt group or a data line) must be removed before it can move."
        }
        "carrier-freeze" => {
            "Your account has a port freeze (port-out protection) that must be lifted before numbers can move."
        }
        "customer-retained" => "Your current provider reports that you chose to stay with them.",
        "loa-illegible" => "The carrier could not read the signed Letter of Authorization.",
        "loa-missing" => "The carrier did not receive the signed Letter of Authorization.",
        "foc-rejected" => "The requested port date could not be accepted.",
        "foc-expired" => "The confirmed port date passed before the port could be completed.",
        "losing-carrier-unresponsive" => {
            "Your current provider did not answer the port request in time."
        }
        "other" => "The carrier gave another reason, quoted below.",
        _ => "The carrier gave a reason, quoted below.",
    }
}

/// The file name stem of an event's notice, when its kind has one.
pub fn stem(number: u32, kind: EventKind) -> Option<String> {
    matches!(kind, EventKind::Rejected | EventKind::Completed)
        .then(|| format!("{number:03}-{}-notice", kind.as_str()))
}

/// An address as a mailbox; `role` says where it comes from in the error.
pub fn mailbox(
    name: Option<&str>,
    address: &str,
    role: &'static str,
) -> Result<Mailbox, NoticeError> {
    let parsed = address
        .parse()
        .map_err(|e: lettre::address::AddressError| NoticeError::Address {
            address: address.to_owned(),
            role,
            reason: e.to_string(),
        })?;
    Ok(Mailbox::new(name.map(str::to_owned), parsed))
}

/// Noon UTC of the event's day: the calendar date a reader sees in nearly every time zone.
fn noon(on: Date) -> SystemTime {
    let secs = on.days_since_epoch().saturating_mul(86_400) + 12 * 3600;
    SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or(0))
}

/// The RFC 5322 date of an instant, in UTC, for the preview.
fn rfc5322(time: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let Some(on) = Date::from_days(secs.div_euclid(86_400)) else {
        return String::new();
    };
    let clock = secs.rem_euclid(86_400);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} +0000",
        DAYS[usize::from(on.weekday()) % 7],
        on.day(),
        MONTHS[usize::from(on.month().saturating_sub(1)) % 12],
        on.year(),
        clock / 3600,
        clock / 60 % 60,
        clock % 60
    )
}

/// Wraps lines longer than 76 characters at spaces, keeping their indentation, and tidies
/// blank lines (templates leave some around their tags).
fn tidy(text: &str) -> String {
    let mut out = String::new();
    let mut blank_run = 0;
    for line in text.trim().lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            if blank_run == 1 {
                out.push('\n');
            }
            continue;
        }
        blank_run = 0;
        let indent: String = line.chars().take_while(|c| *c == ' ').collect();
        // A list item's continuation lines align with its text.
        let hang = if line.trim_start().starts_with("* ") {
            format!("{indent}  ")
        } else {
            indent.clone()
        };
        let mut current = String::new();
        for word in line.split(' ').filter(|w| !w.is_empty()) {
            let prefix = if current.is_empty() {
                indent.as_str()
            } else {
                " "
            };
            if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > 76 {
                out.push_str(&current);
                out.push('\n');
                current = format!("{hang}{word}");
            } else {
                current.push_str(prefix);
                current.push_str(word);
            }
        }
        out.push_str(&current);
        out.push('\n');
    }
    out
}

/// Escapes text for HTML content and attribute values.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The HTML part: the text body's paragraphs, escaped.
fn html(subject: &str, body: &str) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n</head>\n<body>\n",
        html_escape(subject)
    );
    for paragraph in body.split("\n\n").filter(|p| !p.trim().is_empty()) {
        let lines: Vec<String> = paragraph.lines().map(|l| html_escape(l.trim())).collect();
        out.push_str("<p>");
        out.push_str(&lines.join("<br>\n"));
        out.push_str("</p>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn sorted_numbers(request: &Request) -> Vec<String> {
    let mut numbers: Vec<String> = request.numbers.iter().map(|n| n.number.clone()).collect();
    numbers.sort();
    numbers.dedup();
    numbers
}

/// Whether a completion notice may tell the customer to end the service with the losing
/// carrier: only when the port is a full one (every number on the account moves) and every
/// number of the request has moved. Ending it early disconnects numbers that are still to
/// move, or that a partial port keeps with the losing carrier.
fn may_end_service(request: &Request, pending: &[String]) -> bool {
    request.port_type == Some(PortType::Full) && pending.is_empty()
}

/// The template context of a notice.
fn context_json(
    port: &str,
    request: &Request,
    policy: &Policy,
    ev: Option<&NoticeEvent<'_>>,
) -> serde_json::Value {
    let end_user = request.end_user.as_ref();
    let mut ctx = json!({
        "port": port,
        "organization": {
            "name": policy.organization.name,
            "address": policy.organization.address,
        },
        "request": {
            "requested_by": request.requested_by,
            "account": request.account,
            "country": request.country,
            "losing_carrier": request.losing_carrier.clone().unwrap_or_default(),
            "port_type": request.port_type.map_or("", |t| t.as_str()),
            "remaining_numbers": request
                .partial
                .as_ref()
                .and_then(|p| p.remaining_numbers)
                .map_or("", |r| r.as_str()),
        },
        "end_user": {
            "name": end_user.and_then(|u| u.name.clone()).unwrap_or_default(),
            "authorized_person": end_user.and_then(|u| u.authorized_person.clone()).unwrap_or_default(),
        },
        "numbers": sorted_numbers(request),
    });
    let (Some(map), Some(ev)) = (ctx.as_object_mut(), ev) else {
        return ctx;
    };
    map.insert(
        "event".to_owned(),
        json!({
            "kind": ev.event.kind().as_str(),
            "number": format!("{:03}", ev.number),
            "on": ev.event.on.to_string(),
            "by": ev.event.by,
        }),
    );
    match &ev.event.body {
        EventBody::Rejected {
            reasons,
            instructions,
        } => {
            let reasons: Vec<serde_json::Value> = reasons
                .iter()
                .map(|r| {
                    json!({
                        "code": r.code,
                        "summary": reason_summary(&r.code),
                        "detail": r.detail,
                        "numbers": r.numbers.clone().unwrap_or_default(),
                    })
                })
                .collect();
            map.insert("reasons".to_owned(), json!(reasons));
            map.insert("instructions".to_owned(), json!(instructions));
        }
        EventBody::Completed { numbers } => {
            let mut done = numbers.clone().unwrap_or_else(|| sorted_numbers(request));
            done.sort();
            let pending: Vec<String> = sorted_numbers(request)
                .into_iter()
                .filter(|n| !done.contains(n) && !ev.moved_before.contains(n))
                .collect();
            map.insert(
                "may_end_service".to_owned(),
                json!(may_end_service(request, &pending)),
            );
            map.insert("completed_numbers".to_owned(), json!(done));
            map.insert("pending_numbers".to_owned(), json!(pending));
        }
        _ => {}
    }
    ctx
}

/// The template of each kind of notice.
fn template_of(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::SignatureRequest => "signature-request.j2",
        NoticeKind::Assisted => "assisted.j2",
        NoticeKind::Scheduled => "scheduled.j2",
        NoticeKind::Rejected => "rejection.j2",
        NoticeKind::Completed => "completion.j2",
    }
}

/// The notice kind an event sends, if any.
pub fn kind_of(kind: EventKind) -> Option<NoticeKind> {
    match kind {
        EventKind::Scheduled => Some(NoticeKind::Scheduled),
        EventKind::Rejected => Some(NoticeKind::Rejected),
        EventKind::Completed => Some(NoticeKind::Completed),
        _ => None,
    }
}

/// What a notice says: its kind, the port as it was when the notice became due, and what
/// the kind needs besides.
#[derive(Debug, Clone, Copy)]
pub struct Content<'a> {
    /// The kind.
    pub kind: NoticeKind,
    /// The port id.
    pub port: &'a str,
    /// The request.
    pub request: &'a Request,
    /// porting.toml.
    pub policy: &'a Policy,
    /// The event the notice is for (scheduled, rejected, completed).
    pub event: Option<NoticeEvent<'a>>,
    /// A scheduled notice: the FOC date it replaces, when the date moved.
    pub previous_foc: Option<Date>,
    /// A signature request: the LOA's digest, file name and PDF, attached.
    pub loa: Option<(&'a str, &'a str, &'a [u8])>,
}

/// Who a notice goes to and from, when, and its place in the port's thread.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// The sender.
    pub from: Mailbox,
    /// Where replies go.
    pub reply_to: Option<Mailbox>,
    /// The customer.
    pub to: Mailbox,
    /// Blind copies.
    pub bcc: Vec<Mailbox>,
    /// The `Date` header.
    pub date: SystemTime,
    /// The `Message-ID`, with its angle brackets.
    pub message_id: String,
    /// The thread the notice belongs to (`In-Reply-To` and `References`), with brackets.
    pub thread: Option<String>,
    /// The MIME boundary: derived from the notice, so the same notice is the same bytes.
    pub boundary: String,
}

/// A long date as the customer's country writes it: `Tuesday, December 15, 2026` in the
/// US and Canada, `Tuesday 15 December 2026` elsewhere.
pub fn long_date(date: Date, country: &str) -> String {
    const DAYS: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let day = DAYS[usize::from(date.weekday()) % 7];
    let month = MONTHS[usize::from(date.month().saturating_sub(1)) % 12];
    match country {
        "US" | "CA" => format!("{day}, {month} {}, {}", date.day(), date.year()),
        _ => format!("{day} {} {month} {}", date.day(), date.year()),
    }
}

/// What a kind adds to the template context.
fn kind_context(content: &Content<'_>, map: &mut serde_json::Map<String, serde_json::Value>) {
    let country = content.request.country.as_str();
    map.insert("kind".to_owned(), json!(content.kind.as_str()));
    if let Some(ev) = &content.event {
        if let Some(event) = map.get_mut("event").and_then(|e| e.as_object_mut()) {
            event.insert("on_long".to_owned(), json!(long_date(ev.event.on, country)));
        }
        if let EventBody::Scheduled {
            foc,
            foc_time,
            foc_timezone,
            numbers,
            ..
        } = &ev.event.body
        {
            let previous = content.previous_foc;
            map.insert(
                "foc".to_owned(),
                json!({
                    "date": foc.to_string(),
                    "long": long_date(*foc, country),
                    "time": foc_time.clone().unwrap_or_default(),
                    "timezone": foc_timezone.clone().unwrap_or_default(),
                    "previous": previous.map(|d| d.to_string()).unwrap_or_default(),
                    "previous_long": previous.map(|d| long_date(d, country)).unwrap_or_default(),
                }),
            );
            let mut scheduled = numbers
                .clone()
                .unwrap_or_else(|| sorted_numbers(content.request));
            scheduled.sort();
            map.insert("scheduled_numbers".to_owned(), json!(scheduled));
        }
    }
    if let Some((digest, file, _)) = content.loa {
        map.insert("loa".to_owned(), json!({ "digest": digest, "file": file }));
    }
    let policy_country = content.policy.country(country);
    let count = content.request.numbers.len();
    map.insert(
        "country".to_owned(),
        json!({
            "code": country,
            "fee_per_number": policy_country.and_then(|c| c.fee_per_number).unwrap_or(0.0),
            "fee_total": policy_country
                .and_then(|c| c.fee_per_number)
                .map_or(0.0, |fee| fee * count as f64),
            "currency": policy_country.and_then(|c| c.currency.clone()).unwrap_or_default(),
            "contact": policy_country.and_then(|c| c.contact.clone()).unwrap_or_default(),
            "requirements": policy_country
                .map(|c| {
                    c.requirements
                        .iter()
                        .map(|r| json!({
                            "key": r.key,
                            "type": r.kind.as_str(),
                            "description": r.description,
                        }))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default(),
        }),
    );
    let sla = if policy_country.is_some_and(|c| c.channel == Channel::Assisted) {
        content.policy.sla.international
    } else {
        content.policy.sla.domestic
    };
    map.insert("sla".to_owned(), json!(sla));
    if let Some(user) = &content.request.end_user {
        if let Some(end_user) = map.get_mut("end_user").and_then(|e| e.as_object_mut()) {
            end_user.insert(
                "signer_email".to_owned(),
                json!(user.signer_email.clone().unwrap_or_default()),
            );
        }
    }
}

/// Writes the notice: its text from the kind's template, then the RFC 5322 message.
pub fn compose(
    templates: &Templates,
    content: &Content<'_>,
    envelope: &Envelope,
    stem: String,
) -> Result<Notice, NoticeError> {
    let name = templates.pick(&[template_of(content.kind).to_owned()])?;
    let mut ctx = context_json(
        content.port,
        content.request,
        content.policy,
        content.event.as_ref(),
    );
    if let Some(map) = ctx.as_object_mut() {
        kind_context(content, map);
    }
    let ctx = Value::from(minijinja::value::Serde(ctx));
    let mut parts = templates
        .render_blocks(&name, &ctx, &["subject", "body"])?
        .into_iter();
    let subject: String = parts
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let body = tidy(&parts.next().unwrap_or_default());

    let boundary = envelope.boundary.clone();
    let mut builder = Message::builder().from(envelope.from.clone());
    if let Some(reply_to) = &envelope.reply_to {
        builder = builder.reply_to(reply_to.clone());
    }
    builder = builder
        .to(envelope.to.clone())
        .subject(subject.clone())
        .date(envelope.date)
        .message_id(Some(envelope.message_id.clone()));
    for bcc in &envelope.bcc {
        builder = builder.bcc(bcc.clone());
    }
    if let Some(thread) = &envelope.thread {
        builder = builder
            .in_reply_to(thread.clone())
            .references(thread.clone());
    }
    let text = MultiPart::alternative()
        .boundary(boundary.clone())
        .singlepart(SinglePart::plain(body.clone()))
        .singlepart(SinglePart::html(html(&subject, &body)));
    let message = match content.loa {
        Some((_, file, pdf)) => builder.multipart(
            MultiPart::mixed()
                .boundary(format!("{boundary}-mixed"))
                .multipart(text)
                .singlepart(
                    Attachment::new(file.to_owned()).body(
                        pdf.to_vec(),
                        ContentType::parse("application/pdf")
                            .map_err(|e| NoticeError::Build(e.to_string()))?,
                    ),
                ),
        ),
        None => builder.multipart(text),
    }
    .map_err(|e| NoticeError::Build(e.to_string()))?;
    let txt = format!(
        "From: {}\nTo: {}\nDate: {}\nSubject: {subject}\nMessage-ID: {}\n\n{body}",
        envelope.from,
        envelope.to,
        rfc5322(envelope.date),
        envelope.message_id
    );
    Ok(Notice {
        stem,
        eml: message.formatted(),
        txt,
        message,
    })
}

/// Renders the notice of one event as `portflow render` writes it; `None` when its kind
/// sends none. From the event's `by` (on behalf of the organization), dated noon of the
/// event's day, with a Message-ID and boundary hashed from the event file's `bytes`.
pub fn render(
    templates: &Templates,
    port: &str,
    request: &Request,
    policy: &Policy,
    ev: &NoticeEvent<'_>,
    bytes: &[u8],
) -> Result<Option<Notice>, NoticeError> {
    let kind = ev.event.kind();
    let Some(stem) = stem(ev.number, kind) else {
        return Ok(None);
    };
    let Some(notice_kind) = kind_of(kind) else {
        return Ok(None);
    };
    let hex = sha256_hex(bytes);
    let domain = ev
        .event
        .by
        .rsplit_once('@')
        .map_or("portflow.invalid", |(_, d)| d);
    let from = mailbox(
        Some(&policy.organization.name),
        &ev.event.by,
        "the event's `by`",
    )?;
    let envelope = Envelope {
        reply_to: Some(from.clone()),
        from,
        to: mailbox(None, &request.requested_by, "the request's `requested_by`")?,
        bcc: Vec::new(),
        date: noon(ev.event.on),
        message_id: format!(
            "<{}.{:03}-{}.{port}@{domain}>",
            &hex[..24],
            ev.number,
            kind.as_str()
        ),
        thread: None,
        boundary: format!("portflow-{}", &hex[24..48]),
    };
    let content = Content {
        kind: notice_kind,
        port,
        request,
        policy,
        event: Some(*ev),
        previous_foc: None,
        loa: None,
    };
    compose(templates, &content, &envelope, stem).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spec_reason_has_its_own_summary() {
        let codes = crate::rules::events::REASON_CODES;
        let fallback = reason_summary("no-such-code");
        let mut seen = std::collections::BTreeSet::new();
        for code in codes {
            let summary = reason_summary(code);
            assert_ne!(summary, fallback, "{code}");
            assert!(seen.insert(summary), "{code} repeats another summary");
        }
    }

    #[test]
    fn dates_and_wrapping() {
        let on = Date::new(2026, 11, 23).expect("date");
        assert_eq!(rfc5322(noon(on)), "Mon, 23 Nov 2026 12:00:00 +0000");
        let text = tidy(&format!("* {}\n\n\n\nend", "word ".repeat(30)));
        for line in text.lines() {
            assert!(line.chars().count() <= 76, "{line}");
        }
        assert!(text.lines().nth(1).is_some_and(|l| l.starts_with("  word")));
        assert!(text.ends_with("\n\nend\n"), "{text:?}");
    }
}
