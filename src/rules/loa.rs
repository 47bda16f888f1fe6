//! LOA rules: every printed field present and plausible, wireless credentials, partial BTN, CSR match.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::diag::{Code, Finding};
use crate::model::policy::{Country, Credential};
use crate::model::request::{NumberType, PortType, RemainingNumbers};
use crate::rules::{Ctx, PortView, numbers};

/// Rules on the LOA data of one request.
pub fn check(ctx: &Ctx<'_>, view: &PortView<'_>, out: &mut Vec<Finding>) {
    missing_fields(view, out);
    wireless_credentials(ctx, view, out);
    partial_btn(view, out);
    btn_invalid(ctx, view, out);
    postal_code(view, out);
    po_box(view, out);
    field_too_long(view, out);
    csr_mismatch(view, out);
    port_type(view, out);
}

// ── loa::missing-field ───────────────────────────────────────────────────────

/// Countries whose postal addresses need a state, province or territory.
const REGION_COUNTRIES: &[&str] = &["US", "CA", "AU", "MX"];

/// Reports every field the LOA prints that the request lacks, at the table that lacks it.
fn missing_fields(view: &PortView<'_>, out: &mut Vec<Finding>) {
    let request = view.request;
    let mut need = |table: &str, key: &str, value: Option<&str>, what: &str| {
        if let Some(finding) = require(view, table, key, value, what) {
            out.push(finding);
        }
    };
    need(
        "",
        "losing_carrier",
        request.losing_carrier.as_deref(),
        "the carrier the numbers are with today, as printed on the bill",
    );
    need(
        "",
        "port_type",
        request.port_type.map(PortType::as_str),
        "`full` when every number on the losing account moves, `partial` when only some do",
    );
    if request.port_type == Some(PortType::Partial) {
        match &request.partial {
            None => need(
                "",
                "[partial]",
                None,
                "a `[partial]` table with `remaining_numbers = \"keep\"` or `\"disconnect\"`, \
                 which a partial port needs",
            ),
            Some(partial) => need(
                "/partial",
                "remaining_numbers",
                partial.remaining_numbers.map(RemainingNumbers::as_str),
                "`keep` or `disconnect`: what happens to the account's numbers that are not ported",
            ),
        }
    }
    match &request.end_user {
        None => need(
            "",
            "[end_user]",
            None,
            "an `[end_user]` table with the end user as the losing carrier has them on record",
        ),
        Some(end_user) => {
            let table = "/end_user";
            need(
                table,
                "type",
                end_user.kind.map(|k| k.as_str()),
                "`business` or `residential`, as the account is at the losing carrier",
            );
            need(
                table,
                "name",
                end_user.name.as_deref(),
                "the business name, or the resident's full name, exactly as on the losing account",
            );
            need(
                table,
                "authorized_person",
                end_user.authorized_person.as_deref(),
                "the person who may sign the LOA for the account",
            );
            need(
                table,
                "billing_number",
                end_user.billing_number.as_deref(),
                "the account's billing telephone number (BTN) in E.164, e.g. `+12065550143`",
            );
            match &end_user.service_address {
                None => need(
                    table,
                    "[end_user.service_address]",
                    None,
                    "an `[end_user.service_address]` table with the physical service address",
                ),
                Some(address) => {
                    let table = "/end_user/service_address";
                    need(
                        table,
                        "street",
                        address.street.as_deref(),
                        "house number and street, e.g. `1200 Lakeside Ave`",
                    );
                    need(
                        table,
                        "locality",
                        address.locality.as_deref(),
                        "city or town",
                    );
                    let country = address.country.as_deref().unwrap_or(&request.country);
                    if REGION_COUNTRIES.contains(&country) {
                        need(
                            table,
                            "region",
                            address.region.as_deref(),
                            "the state, province or territory as written in addresses, \
                             e.g. `WA`; addresses in the US, Canada, Australia and Mexico need it",
                        );
                    }
                    need(
                        table,
                        "postal_code",
                        address.postal_code.as_deref(),
                        "the ZIP or postal code",
                    );
                    need(
                        table,
                        "country",
                        address.country.as_deref(),
                        "the address's ISO 3166-1 alpha-2 country code, e.g. `US`",
                    );
                }
            }
        }
    }
    if request.numbers.is_empty() {
        out.push(
            view.at_table(
                Code::LoaMissingField,
                "",
                "the request has no `[[numbers]]`, and the LOA lists the numbers to port",
            )
            .label("no `[[numbers]]` in this request")
            .help(
                "add a `[[numbers]]` table for each number to port, with `number` in E.164 \
                 and its `type`",
            ),
        );
    }
    for (i, number) in request.numbers.iter().enumerate() {
        if number.kind.is_none() {
            out.push(
                view.at_table(
                    Code::LoaMissingField,
                    &format!("/numbers/{i}"),
                    format!(
                        "number `{}` lacks `type`, which the LOA prints",
                        number.number
                    ),
                )
                .label("lacks `type`")
                .help(
                    "add `type` to this `[[numbers]]` table: `landline`, `mobile`, `voip` \
                     or `toll-free`",
                ),
            );
        }
    }
}

/// A `loa::missing-field` finding when `value` is absent (at its table) or blank (at it).
///
/// `key` is written `[table]` for a whole missing table; `what` says what belongs there.
fn require(
    view: &PortView<'_>,
    table: &str,
    key: &str,
    value: Option<&str>,
    what: &str,
) -> Option<Finding> {
    match value {
        Some(text) if !text.trim().is_empty() => None,
        Some(_) => {
            let pointer = format!("{table}/{key}");
            Some(
                view.at(
                    Code::LoaMissingField,
                    &pointer,
                    format!("`{}` is blank, and the LOA prints it", dotted(&pointer)),
                )
                .label("blank")
                .help(format!("fill in `{key}`: {what}")),
            )
        }
        None => {
            let (owner, place) = if table.is_empty() {
                (
                    "the request".to_owned(),
                    "the top of the file, before the first table".to_owned(),
                )
            } else {
                (
                    format!("`{}`", dotted(table)),
                    format!("`[{}]`", dotted(table)),
                )
            };
            Some(
                view.at_table(
                    Code::LoaMissingField,
                    table,
                    format!("{owner} lacks `{key}`, which the LOA prints"),
                )
                .label(format!("lacks `{key}`"))
                .help(format!("add `{key}` to {place}: {what}")),
            )
        }
    }
}

/// `/end_user/service_address` -> `end_user.service_address`.
fn dotted(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

// ── loa::wireless-credentials ────────────────────────────────────────────────

/// Mobile numbers need what the country's `mobile_credentials` name in `[end_user]`: by
/// default the losing carrier's account number and the transfer PIN with its date. A
/// country that is not configured gets the default (`country::ineligible` says the rest).
fn wireless_credentials(ctx: &Ctx<'_>, view: &PortView<'_>, out: &mut Vec<Finding>) {
    let request = view.request;
    let Some(first) = request
        .numbers
        .iter()
        .position(|n| n.kind == Some(NumberType::Mobile))
    else {
        return;
    };
    let needed = ctx
        .policy
        .country(&request.country)
        .map_or(&Credential::ALL[..], Country::credentials);
    let account = needed.contains(&Credential::AccountNumber);
    let pin = needed.contains(&Credential::Pin);
    let (what, short, ask, rejections) = match (account, pin) {
        (false, false) => return,
        (true, true) => (
            "the losing carrier's account number and transfer PIN",
            "account number and PIN",
            "the wireless account number and a transfer PIN from the losing carrier",
            "account-number-required, pin-invalid",
        ),
        (true, false) => (
            "the losing carrier's account number",
            "account number",
            "the wireless account number",
            "account-number-required",
        ),
        (false, true) => (
            "a transfer PIN from the losing carrier",
            "PIN",
            "a transfer PIN from the losing carrier",
            "pin-invalid",
        ),
    };
    let store = if pin {
        ", store the PIN encrypted with `portflow secret set`, and record the day it was \
         obtained in `pin_obtained_on`"
    } else {
        ""
    };
    let them = if account && pin { "them" } else { "it" };
    let help = format!(
        "ask the customer for {ask}{store}; wireless carriers reject ports without {them} \
         ({rejections})"
    );
    let Some(end_user) = &request.end_user else {
        let number = &request.numbers[first].number;
        out.push(
            view.at(
                Code::LoaWirelessCredentials,
                &format!("/numbers/{first}/type"),
                format!(
                    "mobile number `{number}` needs {what}, and the request has no `[end_user]`"
                ),
            )
            .label(format!("mobile: needs {short}"))
            .help(help),
        );
        return;
    };
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
    let mut missing = Vec::new();
    if account && blank(&end_user.account_number) {
        missing.push("account_number");
    }
    if pin && blank(&end_user.pin) {
        missing.push("pin");
    }
    if pin && end_user.pin_obtained_on.is_none() {
        missing.push("pin_obtained_on");
    }
    if missing.is_empty() {
        return;
    }
    let mobiles = request
        .numbers
        .iter()
        .filter(|n| n.kind == Some(NumberType::Mobile))
        .count();
    let subject = if mobiles == 1 {
        format!("mobile number `{}` needs", request.numbers[first].number)
    } else {
        format!("{mobiles} mobile numbers need")
    };
    let names = ticked(missing.iter().copied());
    out.push(
        view.at_table(
            Code::LoaWirelessCredentials,
            "/end_user",
            format!("{subject} {what}; `end_user` lacks {names}"),
        )
        .label(format!("lacks {names}"))
        .related(
            view.path(),
            view.doc.span(&format!("/numbers/{first}/type")),
            "a mobile number",
        )
        .help(help),
    );
}

// ── loa::partial-btn ─────────────────────────────────────────────────────────

/// A partial port that keeps the rest of the account but ports its BTN needs a new BTN that
/// stays behind.
fn partial_btn(view: &PortView<'_>, out: &mut Vec<Finding>) {
    let request = view.request;
    if request.port_type != Some(PortType::Partial) {
        return;
    }
    let Some(partial) = &request.partial else {
        return;
    };
    if partial.remaining_numbers != Some(RemainingNumbers::Keep) {
        return;
    }
    let Some(btn) = request
        .end_user
        .as_ref()
        .and_then(|e| e.billing_number.as_deref())
    else {
        return;
    };
    let ported = |number: &str| request.numbers.iter().position(|n| n.number == number);
    let Some(btn_index) = ported(btn) else {
        return;
    };
    let help = "set `new_billing_number` in `[partial]` to a number that stays on the losing \
                account: it becomes the account's new BTN, since the numbers that are kept \
                need an account to bill to";
    match partial.new_billing_number.as_deref() {
        None => out.push(
            view.at(
                Code::LoaPartialBtn,
                "/end_user/billing_number",
                format!(
                    "the BTN `{btn}` is ported while the account's other numbers stay with the \
                     losing carrier, and `[partial]` has no `new_billing_number`"
                ),
            )
            .label("the BTN is being ported")
            .related(
                view.path(),
                view.doc.span(&format!("/numbers/{btn_index}/number")),
                "ported here",
            )
            .help(help),
        ),
        Some(new) => {
            if let Some(index) = ported(new) {
                out.push(
                    view.at(
                        Code::LoaPartialBtn,
                        "/partial/new_billing_number",
                        format!(
                            "the new BTN `{new}` is itself being ported, so it cannot stay on \
                             the losing account"
                        ),
                    )
                    .label("ported too")
                    .related(
                        view.path(),
                        view.doc.span(&format!("/numbers/{index}/number")),
                        "ported here",
                    )
                    .help(help),
                );
                return;
            }
            let csr_numbers = request.csr.as_ref().map_or(&[][..], |c| &c.numbers[..]);
            if !csr_numbers.is_empty() && !csr_numbers.iter().any(|n| n == new) {
                out.push(
                    view.at(
                        Code::LoaPartialBtn,
                        "/partial/new_billing_number",
                        format!("the new BTN `{new}` is not on the losing account per the CSR"),
                    )
                    .label("not on the CSR")
                    .related(
                        view.path(),
                        view.doc.span("/csr/numbers"),
                        "the CSR lists the account's numbers here",
                    )
                    .help(help),
                );
            }
        }
    }
}

// ── loa::btn-invalid ─────────────────────────────────────────────────────────

/// The BTN and the new BTN of a partial port must be valid numbers of the request's country.
fn btn_invalid(ctx: &Ctx<'_>, view: &PortView<'_>, out: &mut Vec<Finding>) {
    let request = view.request;
    let country = request.country.as_str();
    let values = [
        (
            "/end_user/billing_number",
            "BTN",
            request
                .end_user
                .as_ref()
                .and_then(|e| e.billing_number.as_deref()),
        ),
        (
            "/partial/new_billing_number",
            "new BTN",
            request
                .partial
                .as_ref()
                .and_then(|p| p.new_billing_number.as_deref()),
        ),
    ];
    for (pointer, name, value) in values {
        let Some(number) = value else {
            continue;
        };
        if numbers::fits_country(ctx, country, number) {
            continue;
        }
        let (message, label) = if !numbers::is_valid(number) {
            (
                format!("{name} `{number}` is not a valid phone number"),
                "not a valid number".to_owned(),
            )
        } else if let Some(region) = numbers::region_of(number) {
            (
                format!("{name} `{number}` is a `{region}` number, not a number of `{country}`"),
                format!("a `{region}` number"),
            )
        } else {
            (
                format!(
                    "{name} `{number}` is a non-geographic number, not a number of `{country}`"
                ),
                "a non-geographic number".to_owned(),
            )
        };
        out.push(
            view.at(Code::LoaBtnInvalid, pointer, message)
                .label(label)
                .help(format!(
                    "write the billing telephone number of the losing account as on its bill, \
                     in E.164 (`+`, country code, number, e.g. `+12065550143`); it must be a \
                     number of the request's country `{country}`"
                )),
        );
    }
}

// ── loa::postal-code ─────────────────────────────────────────────────────────

/// Postal code formats by country: ISO code, pattern, and the expected form with an example.
const POSTAL_FORMATS: &[(&str, &str, &str)] = &[
    (
        "US",
        r"^\d{5}(?:-\d{4})?$",
        "a ZIP code of 5 digits or ZIP+4, e.g. `98101` or `98101-2304`",
    ),
    (
        "CA",
        r"^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d$",
        "`A1A 1A1` in capital letters, e.g. `K1A 0B1`",
    ),
    (
        "GB",
        r"(?i)^(?:GIR ?0AA|[A-PR-UWYZ](?:\d{1,2}|[A-HK-Y]\d{1,2}|\d[A-HJKPSTUW]|[A-HK-Y]\d[ABEHMNPRV-Y]) ?\d[ABD-HJLNP-UW-Z]{2})$",
        "an outward code, an optional space and an inward code of a digit and two letters, \
         e.g. `SW1A 1AA` or `M1 1AE`",
    ),
    (
        "IE",
        r"(?i)^(?:[AC-FHKNPRTV-Y]\d{2}|D6W) ?[0-9AC-FHKNPRTV-Y]{4}$",
        "an Eircode: a 3-character routing key and a 4-character identifier, e.g. `D02 X285`",
    ),
    ("DE", r"^(?:0[1-9]|[1-9]\d)\d{3}$", "5 digits, e.g. `10115`"),
    ("FR", r"^\d{5}$", "5 digits, e.g. `75008`"),
    ("MX", r"^\d{5}$", "5 digits, e.g. `06600`"),
    ("IT", r"^\d{5}$", "5 digits, e.g. `00184`"),
    ("FI", r"^\d{5}$", "5 digits, e.g. `00100`"),
    (
        "ES",
        r"^(?:0[1-9]|[1-4]\d|5[0-2])\d{3}$",
        "5 digits starting with a province number 01 to 52, e.g. `28013`",
    ),
    ("AU", r"^\d{4}$", "4 digits, e.g. `2000`"),
    ("NZ", r"^\d{4}$", "4 digits, e.g. `6011`"),
    ("DK", r"^\d{4}$", "4 digits, e.g. `1050`"),
    ("NO", r"^\d{4}$", "4 digits, e.g. `0150`"),
    ("BE", r"^[1-9]\d{3}$", "4 digits, e.g. `1000`"),
    ("AT", r"^[1-9]\d{3}$", "4 digits, e.g. `1010`"),
    ("CH", r"^[1-9]\d{3}$", "4 digits, e.g. `8001`"),
    (
        "NL",
        r"(?i)^[1-9]\d{3} ?[A-Z]{2}$",
        "4 digits, an optional space and 2 letters, e.g. `1012 AB`",
    ),
    (
        "SE",
        r"^[1-9]\d{2} ?\d{2}$",
        "5 digits, usually written `NNN NN`, e.g. `111 22`",
    ),
    ("PT", r"^[1-9]\d{3}-\d{3}$", "`NNNN-NNN`, e.g. `1100-148`"),
    ("PL", r"^\d{2}-\d{3}$", "`NN-NNN`, e.g. `00-950`"),
    (
        "BR",
        r"^\d{5}-?\d{3}$",
        "a CEP of 8 digits, `NNNNN-NNN`, e.g. `01310-100`",
    ),
    (
        "IN",
        r"^[1-9]\d{2} ?\d{3}$",
        "a 6-digit PIN code, e.g. `110001`",
    ),
    ("SG", r"^\d{6}$", "6 digits, e.g. `018956`"),
    ("JP", r"^\d{3}-?\d{4}$", "`NNN-NNNN`, e.g. `100-0001`"),
];

/// US territories use US ZIP codes.
const ZIP_COUNTRIES: &[&str] = &["US", "PR", "VI", "GU", "MP", "AS"];

/// The compiled formats, built once.
static POSTAL_REGEXES: LazyLock<Vec<(&'static str, Regex, &'static str)>> = LazyLock::new(|| {
    POSTAL_FORMATS
        .iter()
        .map(|&(country, pattern, expected)| {
            // The patterns are constants, checked by a unit test.
            let regex = Regex::new(pattern).expect("postal code pattern compiles");
            (country, regex, expected)
        })
        .collect()
});

/// The postal code format of a country, when portflow knows it.
fn postal_format(country: &str) -> Option<(&'static Regex, &'static str)> {
    let country = if ZIP_COUNTRIES.contains(&country) {
        "US"
    } else {
        country
    };
    POSTAL_REGEXES
        .iter()
        .find(|(code, _, _)| *code == country)
        .map(|(_, regex, expected)| (regex, *expected))
}

/// The service address's postal code must have its country's format.
fn postal_code(view: &PortView<'_>, out: &mut Vec<Finding>) {
    let request = view.request;
    let Some(address) = request
        .end_user
        .as_ref()
        .and_then(|e| e.service_address.as_ref())
    else {
        return;
    };
    let Some(code) = address.postal_code.as_deref() else {
        return;
    };
    // Without the address country (itself a missing field) the request's country is the
    // best guess: a port's numbers and service address are normally in one country.
    let country = address.country.as_deref().unwrap_or(&request.country);
    let Some((regex, expected)) = postal_format(country) else {
        return;
    };
    if code.trim().is_empty() || regex.is_match(code) {
        return;
    }
    out.push(
        view.at(
            Code::LoaPostalCode,
            "/end_user/service_address/postal_code",
            format!("postal code `{code}` does not have the `{country}` format"),
        )
        .label(format!("not a `{country}` postal code"))
        .help(format!(
            "write the postal code as on the losing carrier's account; a `{country}` postal \
             code is {expected}"
        )),
    );
}

// ── loa::po-box ──────────────────────────────────────────────────────────────

/// PO boxes and their equivalents in other languages, as whole words; the bare
/// abbreviations (`POB`, `BP`, `POBox`) only with a box number, so `Pobox Street` passes.
static PO_BOX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)\b(?:
            (?:G\.?\s*)?P\.\s*O\.?\s*BOX\b          # P.O. Box, P.O.Box, G.P.O. Box
          | (?:G\s*)?P\s?O\.?\s+BOX\b                # PO Box, P O Box, GPO Box
          | POBOX\s*\#?\s*\d                         # POBox 12
          | POB\.?\s*\#?\s*\d                        # POB 12
          | POST\s+OFFICE\s+BOX\b
          | POSTFACH\b                               # German
          | POSTBUS\s*\d                             # Dutch
          | BO[IÎ]TE\s+POSTALE\b                     # French
          | B\.?P\.?\s*\d                            # French: BP 12
          | APARTADO\b | APDO\b                      # Spanish, Portuguese
          | CASILLA\s+(?:DE\s+CORREOS?|POSTAL)\b     # Latin America
          | CAIXA\s+POSTAL\b                         # Brazil
          | (?:LOCKED|PRIVATE)\s+BAG\b               # Australia, New Zealand
        )",
    )
    .expect("PO box pattern compiles")
});

/// The service address must be a physical location, not a PO box.
fn po_box(view: &PortView<'_>, out: &mut Vec<Finding>) {
    let Some(address) = view
        .request
        .end_user
        .as_ref()
        .and_then(|e| e.service_address.as_ref())
    else {
        return;
    };
    for (key, value) in [("street", &address.street), ("extended", &address.extended)] {
        let Some(text) = value.as_deref() else {
            continue;
        };
        if !PO_BOX.is_match(text) {
            continue;
        }
        out.push(
            view.at(
                Code::LoaPoBox,
                &format!("/end_user/service_address/{key}"),
                format!("service address `{text}` is a PO box"),
            )
            .label("a PO box, not a physical location")
            .help(
                "carriers match the physical location where the service is installed, not a \
                 mailing address: write the street address the losing carrier has on the \
                 account (the CSR or the service address on the bill)",
            ),
        );
    }
}

// ── loa::field-too-long ──────────────────────────────────────────────────────

/// Longest end user name a port order carries (the end user `NAME` field of the industry LSR).
const NAME_MAX: usize = 25;
/// Longest authorized person a port order carries (the LSR's `AUTHNM` field).
const AUTHORIZED_PERSON_MAX: usize = 15;

/// Fields longer than the port order fields carriers fill from the LOA.
fn field_too_long(view: &PortView<'_>, out: &mut Vec<Finding>) {
    let Some(end_user) = &view.request.end_user else {
        return;
    };
    let fields = [
        (
            "/end_user/name",
            "end user name",
            &end_user.name,
            NAME_MAX,
            "port orders carry the end user name in a 25-character field, and carriers reject \
             or truncate longer ones: write the name as the losing carrier has it on the \
             account, abbreviated the same way (e.g. `Co` for `Company`, `Assoc` for \
             `Associates`)",
        ),
        (
            "/end_user/authorized_person",
            "authorized person",
            &end_user.authorized_person,
            AUTHORIZED_PERSON_MAX,
            "port orders carry the authorized person in a 15-character field: drop middle \
             names or use initials (e.g. `M Lopez-Garcia`)",
        ),
    ];
    for (pointer, name, value, max, help) in fields {
        let Some(text) = value.as_deref() else {
            continue;
        };
        // Counted as the LOA prints it: NFC-normalized Unicode scalar values.
        let length = text.nfc().count();
        if length <= max {
            continue;
        }
        out.push(
            view.at(
                Code::LoaFieldTooLong,
                pointer,
                format!("{name} `{text}` is {length} characters, over the {max} carriers accept"),
            )
            .label(format!("{length} characters; at most {max}"))
            .help(help),
        );
    }
}

// ── loa::csr-mismatch ────────────────────────────────────────────────────────

/// Compares the LOA data with the CSR; each difference is a likely rejection.
fn csr_mismatch(view: &PortView<'_>, out: &mut Vec<Finding>) {
    let request = view.request;
    let Some(csr) = &request.csr else {
        return;
    };
    let end_user = request.end_user.as_ref();
    let address = end_user.and_then(|e| e.service_address.as_ref());
    let mismatch =
        |pointer: &str, csr_pointer: &str, what: &str, ours: &str, theirs: &str, reason: &str| {
            view.at(
                Code::LoaCsrMismatch,
                pointer,
                format!("{what} `{ours}` does not match the CSR's `{theirs}`"),
            )
            .label("differs from the CSR")
            .related(
                view.path(),
                view.doc.span(csr_pointer),
                format!("the CSR has `{theirs}`"),
            )
            .help(format!(
                "write the value exactly as the losing carrier has it on the CSR, or correct \
             `[csr]` if it was copied wrongly; carriers reject the port otherwise ({reason})"
            ))
        };

    if let (Some(theirs), Some(ours)) =
        (&csr.name, filled(end_user.and_then(|e| e.name.as_deref())))
    {
        if !same_text(ours, theirs) {
            out.push(mismatch(
                "/end_user/name",
                "/csr/name",
                "end user name",
                ours,
                theirs,
                "name-mismatch",
            ));
        }
    }

    if let (Some(theirs), Some(street)) = (
        &csr.street,
        filled(address.and_then(|a| a.street.as_deref())),
    ) {
        let extended = address.and_then(|a| a.extended.as_deref());
        let full = match extended {
            Some(extended) => format!("{street} {extended}"),
            None => street.to_owned(),
        };
        // A CSR that records no unit still names the same place as street + unit.
        if !same_text(&full, theirs) && !same_text(street, theirs) {
            let shown = match extended {
                Some(extended) => format!("{street}, {extended}"),
                None => street.to_owned(),
            };
            out.push(mismatch(
                "/end_user/service_address/street",
                "/csr/street",
                "service address",
                &shown,
                theirs,
                "address-mismatch",
            ));
        }
    }

    if let (Some(theirs), Some(ours)) = (
        &csr.postal_code,
        filled(address.and_then(|a| a.postal_code.as_deref())),
    ) {
        let country = address
            .and_then(|a| a.country.as_deref())
            .unwrap_or(&request.country);
        if !same_postal_code(country, ours, theirs) {
            out.push(mismatch(
                "/end_user/service_address/postal_code",
                "/csr/postal_code",
                "postal code",
                ours,
                theirs,
                "postal-code-mismatch",
            ));
        }
    }

    if let (Some(theirs), Some(ours)) = (
        &csr.billing_number,
        end_user.and_then(|e| e.billing_number.as_deref()),
    ) {
        if ours != theirs {
            out.push(mismatch(
                "/end_user/billing_number",
                "/csr/billing_number",
                "BTN",
                ours,
                theirs,
                "btn-mismatch",
            ));
        }
    }

    if let Some(theirs) = &csr.account_number {
        match filled(end_user.and_then(|e| e.account_number.as_deref())) {
            Some(ours) if alphanumeric_upper(ours) != alphanumeric_upper(theirs) => {
                out.push(mismatch(
                    "/end_user/account_number",
                    "/csr/account_number",
                    "account number",
                    ours,
                    theirs,
                    "account-number-mismatch",
                ));
            }
            // The LOA prints the account number: with the CSR's at hand, leaving it out
            // only invites an account-number-required rejection.
            None if end_user.is_some() => out.push(
                view.at_table(
                    Code::LoaCsrMismatch,
                    "/end_user",
                    format!("`end_user` lacks `account_number`, which the CSR has as `{theirs}`"),
                )
                .label("lacks `account_number`")
                .related(
                    view.path(),
                    view.doc.span("/csr/account_number"),
                    format!("the CSR has `{theirs}`"),
                )
                .help(
                    "add `account_number` to `[end_user]` as the CSR has it; carriers reject \
                     ports without the account number (account-number-required)",
                ),
            ),
            _ => {}
        }
    }

    if !csr.numbers.is_empty() {
        let on_account: BTreeSet<&str> = csr.numbers.iter().map(String::as_str).collect();
        for (i, number) in request.numbers.iter().enumerate() {
            if on_account.contains(number.number.as_str()) {
                continue;
            }
            out.push(
                view.at(
                    Code::LoaCsrMismatch,
                    &format!("/numbers/{i}/number"),
                    format!(
                        "number `{}` is not on the losing account per the CSR",
                        number.number
                    ),
                )
                .label("not on the CSR")
                .related(
                    view.path(),
                    view.doc.span("/csr/numbers"),
                    "the CSR lists the account's numbers here",
                )
                .help(
                    "carriers reject numbers that are not on the account (number-not-on-account): \
                     check the number against the CSR, add it to `csr.numbers` if the CSR was \
                     copied incompletely, or port it in its own request with the account it \
                     belongs to",
                ),
            );
        }
    }
}

/// A value that is present and not blank (a blank LOA value is a missing field, not a
/// mismatch).
fn filled(value: Option<&str>) -> Option<&str> {
    value.filter(|s| !s.trim().is_empty())
}

/// Words the CSR and the LOA commonly write in full on one side and abbreviated on the other.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("STREET", "ST"),
    ("AVENUE", "AVE"),
    ("AV", "AVE"),
    ("SUITE", "STE"),
    ("ROAD", "RD"),
    ("BOULEVARD", "BLVD"),
    ("DRIVE", "DR"),
    ("LANE", "LN"),
    ("COURT", "CT"),
    ("PLACE", "PL"),
    ("PARKWAY", "PKWY"),
    ("HIGHWAY", "HWY"),
    ("APARTMENT", "APT"),
    ("FLOOR", "FL"),
    ("BUILDING", "BLDG"),
    ("ROOM", "RM"),
    ("TERRACE", "TER"),
    ("CIRCLE", "CIR"),
    ("SQUARE", "SQ"),
    ("NORTH", "N"),
    ("SOUTH", "S"),
    ("EAST", "E"),
    ("WEST", "W"),
    ("NORTHEAST", "NE"),
    ("NORTHWEST", "NW"),
    ("SOUTHEAST", "SE"),
    ("SOUTHWEST", "SW"),
    ("COMPANY", "CO"),
    ("CORPORATION", "CORP"),
    ("INCORPORATED", "INC"),
    ("LIMITED", "LTD"),
];

/// Unit designators a bare `#` may stand for (`#4` = `STE 4` = `APT 4`).
const UNIT_DESIGNATORS: &[&str] = &["#", "STE", "APT", "UNIT", "RM"];

/// Normalized words of a name or address line: diacritics dropped, uppercase, periods and
/// apostrophes removed, `&` as `AND`, `#` its own word, other punctuation as spaces, common
/// abbreviations applied.
fn words(text: &str) -> Vec<String> {
    let mut cleaned = String::with_capacity(text.len());
    for ch in text.nfd().filter(|&c| !is_combining_mark(c)) {
        match ch {
            '.' | '\'' | '\u{2019}' | '\u{2018}' | '`' => {}
            '#' => cleaned.push_str(" # "),
            '&' => cleaned.push_str(" AND "),
            c if c.is_alphanumeric() => cleaned.extend(c.to_uppercase()),
            _ => cleaned.push(' '),
        }
    }
    cleaned
        .split_whitespace()
        .map(|word| {
            ABBREVIATIONS
                .iter()
                .find(|(long, _)| *long == word)
                .map_or(word, |(_, short)| short)
                .to_owned()
        })
        .collect()
}

/// The normalized form of a name or address line, as compared with the CSR.
#[cfg(test)]
fn normalize(text: &str) -> String {
    words(text).join(" ")
}

/// Whether two names or address lines are the same after normalization, a bare `#` matching
/// any unit designator.
fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (words(a), words(b));
    a.len() == b.len()
        && a.iter().zip(&b).all(|(x, y)| {
            x == y
                || ((x == "#" || y == "#")
                    && UNIT_DESIGNATORS.contains(&x.as_str())
                    && UNIT_DESIGNATORS.contains(&y.as_str()))
        })
}

/// Letters and digits only, uppercase: how carriers compare account numbers and postal codes.
fn alphanumeric_upper(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// Whether two postal codes are the same; a US ZIP matches a ZIP+4 that starts with it.
fn same_postal_code(country: &str, a: &str, b: &str) -> bool {
    let (a, b) = (alphanumeric_upper(a), alphanumeric_upper(b));
    if ZIP_COUNTRIES.contains(&country) && a.len() != b.len() {
        let zip = |s: &str| {
            s.get(..5)
                .map(str::to_owned)
                .unwrap_or_else(|| s.to_owned())
        };
        return zip(&a) == zip(&b);
    }
    a == b
}

// ── loa::port-type ───────────────────────────────────────────────────────────

/// Numbers shown in one message before the rest are counted.
const LISTED_MAX: usize = 5;

/// The port type must fit what the CSR says is on the account.
fn port_type(view: &PortView<'_>, out: &mut Vec<Finding>) {
    let request = view.request;
    let Some(csr) = &request.csr else {
        return;
    };
    if csr.numbers.is_empty() {
        return;
    }
    let ported: BTreeSet<&str> = request.numbers.iter().map(|n| n.number.as_str()).collect();
    let mut seen = BTreeSet::new();
    let left: Vec<&str> = csr
        .numbers
        .iter()
        .map(String::as_str)
        .filter(|n| !ported.contains(n) && seen.insert(*n))
        .collect();
    match request.port_type {
        Some(PortType::Full) if !left.is_empty() => {
            let list = if left.len() > LISTED_MAX {
                let shown: Vec<String> = left[..LISTED_MAX]
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect();
                format!("{} and {} more", shown.join(", "), left.len() - LISTED_MAX)
            } else {
                ticked(left.iter().copied())
            };
            let (them, are) = if left.len() == 1 {
                ("it", "is")
            } else {
                ("them", "are")
            };
            out.push(
                view.at(
                    Code::LoaPortType,
                    "/port_type",
                    format!(
                        "a full port closes the losing account, but the CSR also lists {list}, \
                         which {are} not being ported and would be disconnected"
                    ),
                )
                .label(if left.len() == 1 {
                    "a full port leaves 1 CSR number behind".to_owned()
                } else {
                    format!("a full port leaves {} CSR numbers behind", left.len())
                })
                .related(
                    view.path(),
                    view.doc.span("/csr/numbers"),
                    "the CSR lists the account's numbers here",
                )
                .help(format!(
                    "add {them} to `[[numbers]]` to port {them} too, or make it \
                     `port_type = \"partial\"` with `[partial] remaining_numbers = \"keep\"` \
                     (or `\"disconnect\"`) to say what happens to {them}"
                )),
            );
        }
        Some(PortType::Partial) if left.is_empty() => out.push(
            view.at(
                Code::LoaPortType,
                "/port_type",
                "a partial port, but the request ports every number the CSR lists",
            )
            .label("every number on the account is ported")
            .related(
                view.path(),
                view.doc.span("/csr/numbers"),
                "the CSR lists the account's numbers here",
            )
            .help(
                "make it `port_type = \"full\"` (and remove `[partial]`): carriers reject a \
                 partial port that takes every number on the account (port-type-incorrect)",
            ),
        ),
        _ => {}
    }
}

/// `` `a`, `b` and `c` ``.
fn ticked<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.map(|s| format!("`{s}`")).collect();
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_folds_case_punctuation_and_abbreviations() {
        assert_eq!(
            normalize("1200 Lakeside Avenue, Suite 4"),
            "1200 LAKESIDE AVE STE 4"
        );
        assert_eq!(normalize("  77  Wrenhollow   St. "), "77 WRENHOLLOW ST");
        assert_eq!(normalize("Smith & Jones, L.L.C."), "SMITH AND JONES LLC");
        assert_eq!(normalize("O'Brien Co."), "OBRIEN CO");
        assert_eq!(normalize("North Main Street #4"), "N MAIN ST # 4");
        assert_eq!(normalize("Café Zoë"), "CAFE ZOE");
        assert_eq!(
            normalize("1 Harbor Parkway Building C Floor 2 Apartment 3"),
            "1 HARBOR PKWY BLDG C FL 2 APT 3"
        );
        assert_eq!(normalize("12 South-West Road"), "12 S W RD");
        for (long, short) in ABBREVIATIONS {
            assert_eq!(normalize(long), *short, "{long}");
        }
    }

    #[test]
    fn a_bare_hash_stands_for_any_unit_designator() {
        assert!(same_text(
            "1200 Lakeside Ave Suite 4",
            "1200 LAKESIDE AVE #4"
        ));
        assert!(same_text(
            "1200 Lakeside Ave # 4",
            "1200 LAKESIDE AVE APT 4"
        ));
        assert!(same_text("Lakeside Dental LLC", "LAKESIDE DENTAL L.L.C."));
        assert!(!same_text(
            "1200 Lakeside Ave Suite 4",
            "1200 LAKESIDE AVE APT 4"
        ));
        assert!(!same_text(
            "1200 Lakeside Ave Suite 4",
            "1200 LAKESIDE AVE STE 5"
        ));
        assert!(!same_text("1200 Lakeside Ave #4", "1200 LAKESIDE AVE FL 4"));
        assert!(!same_text("Lakeside Dental LLC", "LAKESIDE DENTAL GROUP"));
    }

    #[test]
    fn postal_codes_compare_like_carriers_do() {
        assert!(same_postal_code("US", "98101", "98101-2304"));
        assert!(same_postal_code("US", "98101-2304", "98101"));
        assert!(!same_postal_code("US", "98101-2304", "98101-2399"));
        assert!(!same_postal_code("US", "98101", "98109"));
        assert!(same_postal_code("PR", "00901", "00901-1234"));
        assert!(same_postal_code("GB", "sw1a 1aa", "SW1A1AA"));
        assert!(same_postal_code("CA", "K1A 0B1", "K1A0B1"));
        assert!(!same_postal_code("CA", "K1A 0B1", "K1A 0B2"));
        assert!(same_postal_code("JP", "100-0001", "1000001"));
    }

    #[test]
    fn postal_code_patterns_compile_and_have_examples() {
        for (country, _, expected) in POSTAL_FORMATS {
            let (regex, _) = postal_format(country).expect("format");
            // Every example in the help text is itself valid.
            for example in expected.split('`').skip(1).step_by(2) {
                if example.chars().any(|c| c.is_ascii_digit()) && !example.contains('N') {
                    assert!(regex.is_match(example), "{country}: {example}");
                }
            }
        }
    }

    fn fits(country: &str, code: &str) -> bool {
        postal_format(country)
            .expect("known country")
            .0
            .is_match(code)
    }

    #[test]
    fn postal_code_patterns_accept_real_codes() {
        let good = [
            ("US", "98101"),
            ("US", "98101-2304"),
            ("PR", "00901"),
            ("CA", "K1A 0B1"),
            ("CA", "M5V3L9"),
            ("GB", "SW1A 1AA"),
            ("GB", "sw1a1aa"),
            ("GB", "M1 1AE"),
            ("GB", "B33 8TH"),
            ("GB", "CR2 6XH"),
            ("GB", "DN55 1PT"),
            ("GB", "W1A 0AX"),
            ("GB", "EC1A 1BB"),
            ("GB", "GIR 0AA"),
            ("IE", "D02 X285"),
            ("IE", "A65F4E2"),
            ("IE", "D6W 1234"),
            ("DE", "10115"),
            ("DE", "01067"),
            ("FR", "75008"),
            ("MX", "06600"),
            ("AU", "2000"),
            ("AU", "0800"),
            ("NZ", "6011"),
            ("NL", "1012 AB"),
            ("NL", "1012ab"),
            ("ES", "28013"),
            ("ES", "52001"),
            ("IT", "00184"),
            ("BE", "1000"),
            ("JP", "100-0001"),
            ("JP", "1000001"),
            ("SE", "111 22"),
            ("PT", "1100-148"),
            ("BR", "01310-100"),
        ];
        for (country, code) in good {
            assert!(fits(country, code), "{country} {code}");
        }
    }

    #[test]
    fn postal_code_patterns_refuse_malformed_codes() {
        let bad = [
            ("US", "9810"),
            ("US", "98101-23"),
            ("US", "981012304"),
            ("US", "98101 "),
            ("CA", "k1a 0b1"),
            ("CA", "D1A 0B1"),
            ("CA", "K1A  0B1"),
            ("CA", "K1A-0B1"),
            ("GB", "SW1A  1AA"),
            ("GB", "Q1 1AA"),
            ("GB", "SW1A 1CA"),
            ("GB", "12345"),
            ("IE", "B02 X285"),
            ("DE", "1011"),
            ("DE", "00115"),
            ("FR", "7500"),
            ("MX", "066000"),
            ("AU", "20000"),
            ("NL", "0123 AB"),
            ("ES", "53001"),
            ("JP", "100-00001"),
        ];
        for (country, code) in bad {
            assert!(!fits(country, code), "{country} {code}");
        }
        assert!(postal_format("ZZ").is_none());
    }

    #[test]
    fn po_boxes_are_recognized_precisely() {
        for street in [
            "P.O. Box 4471",
            "PO Box 12",
            "po box 12",
            "P O Box 12",
            "P.O.Box 12",
            "POB 12",
            "POBox 12",
            "Post Office Box 77",
            "GPO Box 1234",
            "Postfach 10 20 30",
            "Boîte postale 12",
            "BOITE POSTALE 12",
            "BP 12",
            "B.P. 12",
            "Apartado 45",
            "Apdo. 45",
            "Locked Bag 9",
            "Casilla de Correo 12",
        ] {
            assert!(PO_BOX.is_match(street), "{street}");
        }
        for street in [
            "Pobox Street 12",
            "12 Hippo Box Rd",
            "1200 Lakeside Ave",
            "1 Post Office Square",
            "Postfachweg 3",
            "12 BP Station Rd",
            "Depot Boxwood Ln",
            "4 Apartadero Way",
            "Bob Marley Blvd 5",
        ] {
            assert!(!PO_BOX.is_match(street), "{street}");
        }
    }

    #[test]
    fn lists_read_as_prose() {
        assert_eq!(ticked(["a"].into_iter()), "`a`");
        assert_eq!(ticked(["a", "b"].into_iter()), "`a` and `b`");
        assert_eq!(ticked(["a", "b", "c"].into_iter()), "`a`, `b` and `c`");
    }
}
