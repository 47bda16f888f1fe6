//! The text of a new port's request.toml: the values staff gave and, as comments, every
//! field the LOA prints and every requirement of the country from porting.toml. A scaffold
//! is a draft: the only errors it may have are the ones that say what to fill in.

use crate::diag::Code;
use crate::model::Date;
use crate::model::policy::{Channel, Country, Credential, Policy, RequirementType};
use crate::model::request::OBTAINED_ON;
use crate::plural::count;
use crate::source::toml_string;

/// The values a scaffold is made from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values {
    /// Our customer account.
    pub account: Option<String>,
    /// Who asked for the port.
    pub requested_by: Option<String>,
    /// ISO code of the numbers.
    pub country: Option<String>,
    /// The losing carrier.
    pub losing_carrier: Option<String>,
    /// `full` or `partial`.
    pub port_type: Option<&'static str>,
}

/// Codes a fresh scaffold is expected to have: they list what staff still have to fill in.
pub const DRAFT_CODES: &[Code] = &[Code::LoaMissingField, Code::CountryRequirementMissing];

/// The column comments start at, so the guidance reads as one column.
const COMMENT_COLUMN: usize = 40;

/// Appends `code` lines, each with its `# comment` at the comment column (or two spaces after).
fn lines(out: &mut String, rows: &[(String, &str)]) {
    for (code, comment) in rows {
        out.push_str(code);
        if !comment.is_empty() {
            let width = code.chars().count();
            let pad = if width + 2 <= COMMENT_COLUMN {
                COMMENT_COLUMN - width
            } else {
                2
            };
            out.push_str(&" ".repeat(pad));
            out.push_str("# ");
            out.push_str(comment);
        }
        out.push('\n');
    }
}

/// Appends `text` as `#` comment lines wrapped to fit the file's width.
fn comment(out: &mut String, text: &str) {
    const WIDTH: usize = 92;
    // Code in backticks stays on one line, so a command can be copied whole.
    let mut words: Vec<String> = Vec::new();
    let mut open = false;
    for word in text.split_whitespace() {
        match words.last_mut() {
            Some(last) if open => {
                last.push(' ');
                last.push_str(word);
            }
            _ => words.push(word.to_owned()),
        }
        open ^= word.matches('`').count() % 2 == 1;
    }
    let mut current = String::from("#");
    for word in &words {
        if current.len() > 1 && current.chars().count() + 1 + word.chars().count() > WIDTH {
            out.push_str(&current);
            out.push('\n');
            current = String::from("#");
        }
        current.push(' ');
        current.push_str(word);
    }
    out.push_str(&current);
    out.push('\n');
}

/// An example number of the country in fictional ranges, for the commented examples.
fn example_number(country: &Country, last: &str) -> String {
    let first_region = country
        .regions()
        .first()
        .map_or(country.code.as_str(), String::as_str);
    match first_region {
        // NANP 555-01XX numbers are reserved for fiction.
        "US" | "PR" | "VI" | "GU" | "MP" | "AS" => format!("+1206555{last}"),
        "CA" => format!("+1416555{last}"),
        // Ofcom's drama range 020 7946 0XXX.
        "GB" => format!("+4420794600{}", &last[last.len().saturating_sub(2)..]),
        // ACMA's fictional range 02 5550 XXXX.
        "AU" => format!("+6125550{last}"),
        code => {
            let calling = code
                .parse::<phonenumber::country::Id>()
                .ok()
                .and_then(|id| phonenumber::metadata::DATABASE.by_id(id.as_ref()))
                .map_or_else(
                    || "<country code>".to_owned(),
                    |m| m.country_code().to_string(),
                );
            format!("+{calling}…")
        }
    }
}

/// The text of a new request.toml at `dir` (repo-relative) with guidance in comments.
pub fn render(
    id: &str,
    dir: &str,
    values: &Values,
    policy: &Policy,
    country: &Country,
    today: Date,
) -> String {
    let code = country.code.as_str();
    let n = |last: &str| toml_string(&example_number(country, last));
    let q = toml_string;
    let mut out = format!(
        "#:schema {}schemas/request.schema.json\n",
        "../".repeat(dir.split('/').count())
    );
    comment(
        &mut out,
        &format!("Port request `{id}`, started with `portflow new`."),
    );
    out.push_str("#\n");
    comment(
        &mut out,
        &format!(
            "Fill in the commented lines (remove the leading `#`), then run `portflow check {dir}`: \
             until the LOA data is complete the port is a draft, and check lists what is missing. \
             Everything the LOA prints must match the losing carrier's records exactly; the \
             carrier's Customer Service Record (CSR), when you can get it, is the best evidence."
        ),
    );
    out.push('\n');

    // A value staff gave is written; one they did not is a commented example.
    let set = |key: &str, value: Option<&str>, example: &str| match value {
        Some(v) => format!("{key} = {}", q(v)),
        None => format!("# {key} = {example}"),
    };
    lines(
        &mut out,
        &[
            (
                set("account", values.account.as_deref(), "\"…\""),
                "our customer account, or agency/sub-account",
            ),
            (
                set("requested_by", values.requested_by.as_deref(), "\"…\""),
                "receives the rejection and completion notices",
            ),
            (
                set("country", Some(code), ""),
                "ISO 3166-1 alpha-2 code of every number in this port",
            ),
            (
                set("losing_carrier", values.losing_carrier.as_deref(), "\"…\""),
                "where the numbers are today, as printed on the bill",
            ),
            (
                set("port_type", values.port_type, "\"full\""),
                "full (the whole account moves) | partial (some numbers)",
            ),
            (
                // Three weeks out, moved to a business day: an example the FOC rules accept.
                format!(
                    "# desired_foc = {}",
                    policy.business_day_from(code, today.add_days(21).unwrap_or(today))
                ),
                "optional: the port date the customer would like",
            ),
            (
                "# split_from = \"…\"".to_owned(),
                "optional: the port this one was split off from",
            ),
        ],
    );
    out.push('\n');
    country_terms(&mut out, policy, country);

    let partial = values.port_type == Some("partial");
    if !partial {
        comment(
            &mut out,
            "Only for port_type = \"partial\": what happens to the numbers that stay behind.",
        );
    }
    lines(
        &mut out,
        &[
            (
                format!("{}[partial]", if partial { "" } else { "# " }),
                if partial {
                    "what happens to the numbers that stay behind"
                } else {
                    ""
                },
            ),
            (
                "# remaining_numbers = \"keep\"".to_owned(),
                "keep | disconnect: the numbers not ported",
            ),
            (
                format!("# new_billing_number = {}", n("0188")),
                "when keeping them while porting the BTN itself:",
            ),
            ("#".to_owned(), "a number that stays on the losing account"),
        ],
    );
    out.push('\n');

    lines(
        &mut out,
        &[
            (
                "[end_user]".to_owned(),
                "printed on the LOA, exactly as the losing carrier has it",
            ),
            ("# type = \"business\"".to_owned(), "business | residential"),
            (
                "# name = \"…\"".to_owned(),
                "the business name, or the resident's full name",
            ),
            (
                "# authorized_person = \"…\"".to_owned(),
                "who may sign the LOA (the `signed` event's signer)",
            ),
            (
                "# authorized_title = \"…\"".to_owned(),
                "optional: their job title",
            ),
            (
                "# signer_email = \"…\"".to_owned(),
                "optional: where an e-mailed LOA is sent",
            ),
            (
                format!("# billing_number = {}", n("0143")),
                "the billing telephone number (BTN), E.164",
            ),
            (
                "# account_number = \"…\"".to_owned(),
                if country.needs(Credential::AccountNumber) {
                    "at the losing carrier; needed with mobile numbers"
                } else {
                    "at the losing carrier"
                },
            ),
        ],
    );
    // Countries whose mobile ports carry another credential (a GB PAC) ask for no PIN.
    if country.needs(Credential::Pin) {
        comment(
            &mut out,
            &format!(
                "pin: the transfer PIN, needed with mobile numbers. Never type it here: run \
                 `portflow secret set {id} pin`, which stores it age-encrypted."
            ),
        );
        lines(
            &mut out,
            &[(
                format!("# pin_obtained_on = {today}"),
                &format!(
                    "when the customer got the PIN (stale after {})",
                    count(policy.documents.pin_max_age_days, "day", "days")
                ),
            )],
        );
    }
    out.push('\n');

    // Addresses in fictional places for the countries staff see most; placeholders elsewhere.
    let (street, locality, region, postal) = match code {
        "CA" => ("480 Lanternfield Ave", "Toronto", "ON", "M5V 2T6"),
        "GB" => ("12 Thameside Row", "London", "", "SE1 9GF"),
        "US" => ("1200 Lakeside Ave", "Seattle", "WA", "98101"),
        _ => ("…", "…", "…", "…"),
    };
    let mut address = vec![
        (
            "[end_user.service_address]".to_owned(),
            "the physical service address, not a PO box",
        ),
        (
            format!("# street = {}", q(street)),
            "house number and street",
        ),
        (
            "# extended = \"Suite 4\"".to_owned(),
            "optional: suite, floor, unit or building",
        ),
        (format!("# locality = {}", q(locality)), "city or town"),
    ];
    if !region.is_empty() {
        address.push((
            format!("# region = {}", q(region)),
            "state, province or territory",
        ));
    }
    address.extend([
        (
            format!("# postal_code = {}", q(postal)),
            "ZIP or postal code",
        ),
        (
            format!("# country = {}", q(code)),
            "ISO code of the address's country",
        ),
    ]);
    lines(&mut out, &address);
    out.push('\n');

    comment(
        &mut out,
        "Optional: the losing carrier's Customer Service Record, as the carrier sent it; the LOA \
         data is checked against it.",
    );
    lines(
        &mut out,
        &[
            ("# [csr]".to_owned(), ""),
            ("# name = \"…\"".to_owned(), "account name on the CSR"),
            ("# street = \"…\"".to_owned(), "service street on the CSR"),
            ("# postal_code = \"…\"".to_owned(), ""),
            (format!("# billing_number = {}", n("0143")), ""),
            ("# account_number = \"…\"".to_owned(), ""),
            (
                format!("# numbers = [{}, {}]", n("0143"), n("0144")),
                "every number on the account",
            ),
        ],
    );
    out.push('\n');

    if country.has_fee() {
        comment(
            &mut out,
            &format!(
                "{code} ports cost {} {} per number: record the customer's acceptance before \
                 submitting.",
                country.fee_per_number.unwrap_or_default(),
                country.currency.as_deref().unwrap_or("")
            ),
        );
        lines(
            &mut out,
            &[
                ("# [fee]".to_owned(), ""),
                ("# accepted_by = \"…\"".to_owned(), "the customer's e-mail"),
                (format!("# accepted_on = {today}"), ""),
            ],
        );
        out.push('\n');
    }

    let fields: Vec<_> = country
        .requirements
        .iter()
        .filter(|r| r.kind == RequirementType::Field)
        .collect();
    if !fields.is_empty() {
        lines(
            &mut out,
            &[(
                "[requirements]".to_owned(),
                &format!("what {code} needs besides the LOA (porting.toml)"),
            )],
        );
        for req in fields {
            let mut text = format!(
                "{}{}: {}.",
                req.key,
                applies_text(&req.applies_to),
                req.description.trim_end_matches('.')
            );
            if let Some(pattern) = &req.pattern {
                text.push_str(&format!(" Format: `{pattern}`."));
            }
            if req.secret {
                text.push_str(&format!(
                    " Secret: never type it here; run `portflow secret set {id} {}`, which stores \
                     it age-encrypted.",
                    req.key
                ));
            }
            comment(&mut out, &text);
            if !req.secret {
                out.push_str(&format!("# {} = \"…\"\n", req.key));
            }
            if let Some(max) = req.max_age_days {
                lines(
                    &mut out,
                    &[(
                        format!("# {}{OBTAINED_ON} = {today}", req.key),
                        &format!(
                            "when the customer got it (stale after {})",
                            count(max, "day", "days")
                        ),
                    )],
                );
            }
        }
        out.push('\n');
    }

    comment(
        &mut out,
        "One [[numbers]] table per number to port (remove the `#`, copy it for each number).",
    );
    lines(
        &mut out,
        &[
            ("# [[numbers]]".to_owned(), ""),
            (format!("# number = {}", n("0143")), "E.164"),
            (
                "# type = \"landline\"".to_owned(),
                "landline | mobile | voip | toll-free",
            ),
            (
                "# tracking_source = \"Google Ads\"".to_owned(),
                "routing once ported: what the number tracks",
            ),
            (
                format!("# receiving_number = {}", n("0100")),
                "routing: the number that rings",
            ),
            (
                format!("# target_number = {}", n("0101")),
                "optional: the final destination",
            ),
        ],
    );
    out.push('\n');

    comment(
        &mut out,
        &format!(
            "One [[documents]] table per file you put in documents/. Proof of ownership is a bill \
             (at most {} old at submission) or a receipt; a tracking-screenshot only when \
             the losing carrier is a call-tracking service.",
            count(policy.documents.bill_max_age_days, "day", "days")
        ),
    );
    for req in country
        .requirements
        .iter()
        .filter(|r| r.kind == RequirementType::Document)
    {
        comment(
            &mut out,
            &format!(
                "{code} also needs a document of kind = \"{}\"{}: {}.",
                req.key,
                applies_text(&req.applies_to),
                req.description.trim_end_matches('.')
            ),
        );
    }
    lines(
        &mut out,
        &[
            ("# [[documents]]".to_owned(), ""),
            (
                "# kind = \"bill\"".to_owned(),
                "bill | receipt | tracking-screenshot | csr | id |",
            ),
            ("#".to_owned(), "company-registration | signed-loa | other"),
            (
                format!(
                    "# path = \"documents/bill-{:04}-{:02}.pdf\"",
                    today.year(),
                    today.month()
                ),
                "PDF, PNG or JPEG, inside this port's folder",
            ),
            (
                format!("# dated = {today}"),
                "the statement or receipt date",
            ),
        ],
    );
    out
}

/// " (for mobile numbers)" when limited to some number types.
fn applies_text(applies_to: &Option<Vec<crate::model::request::NumberType>>) -> String {
    match applies_to {
        Some(types) if !types.is_empty() => {
            let names: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
            format!(" (for {} numbers)", names.join(" and "))
        }
        _ => String::new(),
    }
}

/// A comment block with the country's terms from porting.toml.
fn country_terms(out: &mut String, policy: &Policy, country: &Country) {
    let code = &country.code;
    let mut lines = Vec::new();
    match country.channel {
        Channel::SelfServe => lines.push(format!(
            "{code} ports are self-serve: we submit them to the partner carrier."
        )),
        Channel::Assisted => lines.push(format!(
            "{code} ports are assisted: handled by e-mail exchange{}.",
            country
                .contact
                .as_deref()
                .map(|c| format!(" with {c}"))
                .unwrap_or_default()
        )),
    }
    if let Some(lead) = country.min_lead_business_days {
        lines.push(format!(
            "The requested FOC must be at least {lead} business days after submission."
        ));
    }
    let sla = match country.channel {
        Channel::SelfServe => policy.sla.domestic,
        Channel::Assisted => policy.sla.international,
    };
    lines.push(format!(
        "Expect {} to {} days from submission to completion.",
        sla[0], sla[1]
    ));
    for l in lines {
        out.push_str("# ");
        out.push_str(&l);
        out.push('\n');
    }
    out.push('\n');
}
