//! Country rules: eligibility, the assisted channel and its fee, country-specific requirements.
//!
//! Decisions the SPEC leaves open:
//!
//! - A requirement with `applies_to` applies when any number declares one of those types;
//!   a number without `type` matches none (the `loa::*` rules ask for the type).
//! - `pattern` is a regular expression (the `regex` crate's syntax) matched as written, like a
//!   JSON Schema `pattern`: anchor it with `^…$` to match the whole value. An invalid
//!   pattern in porting.toml is skipped here (it is the policy's problem, not the port's).
//! - Secret values are age-encrypted: only their presence is checked, never their pattern,
//!   and they are never quoted.
//! - The fee is the number of distinct numbers × `fee_per_number`, counted in cents.
//! - Stage-dependent findings (the fee) are not made for terminal ports: their files may no
//!   longer change, so such a finding could never be fixed.
//! - Missing country-required documents are reported by the document rules, once submitted.

use std::collections::BTreeSet;

use regex::Regex;

use crate::diag::{Code, Finding, Severity};
use crate::model::policy::{Channel, Country, Policy, Requirement, RequirementType};
use crate::model::request::Request;
use crate::plural;
use crate::rules::{Ctx, PortView, Progress};

/// The country's requirements of one type that apply to the request (none when the country
/// is not configured).
pub fn applicable<'p>(
    policy: &'p Policy,
    request: &Request,
    kind: RequirementType,
) -> Vec<&'p Requirement> {
    let Some(country) = policy.country(&request.country) else {
        return Vec::new();
    };
    country
        .requirements
        .iter()
        .filter(|req| req.kind == kind)
        .filter(|req| {
            req.applies_to.is_none()
                || request
                    .numbers
                    .iter()
                    .any(|n| n.kind.is_some_and(|t| req.applies(t)))
        })
        .collect()
}

/// " for mobile numbers" when a requirement is limited to some number types, else "".
pub fn scope(req: &Requirement) -> String {
    match &req.applies_to {
        Some(types) if !types.is_empty() => {
            let names: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
            format!(" for {} numbers", names.join(" and "))
        }
        _ => String::new(),
    }
}

/// A field requirement the request does not meet.
enum FieldProblem<'p> {
    /// The `[requirements]` key is absent.
    Missing(&'p Requirement),
    /// The (non-secret) value does not match the pattern.
    Malformed(&'p Requirement, &'p str),
}

fn field_problems<'p>(ctx: &Ctx<'p>, request: &'p Request) -> Vec<FieldProblem<'p>> {
    let mut out = Vec::new();
    for req in applicable(ctx.policy, request, RequirementType::Field) {
        match request.requirements.get(&req.key) {
            None => out.push(FieldProblem::Missing(req)),
            Some(value) if !req.secret => {
                let pattern = req.pattern.as_deref().and_then(|p| Regex::new(p).ok());
                if pattern.is_some_and(|re| !re.is_match(value)) {
                    out.push(FieldProblem::Malformed(req, value));
                }
            }
            Some(_) => {}
        }
    }
    out
}

/// "4–6 weeks" (or "30–45 days" when the SLA is not in whole weeks).
fn duration(days: [u32; 2]) -> String {
    if days.iter().all(|d| d % 7 == 0) {
        format!("{}–{} weeks", days[0] / 7, days[1] / 7)
    } else {
        format!("{}–{} days", days[0], days[1])
    }
}

/// Cents as `1234.50`.
fn money(cents: i64, currency: Option<&str>) -> String {
    let amount = format!("{}.{:02}", cents / 100, (cents % 100).abs());
    match currency {
        Some(c) => format!("{amount} {c}"),
        None => amount,
    }
}

/// "2 numbers × 25.00 USD = 50.00 USD", or `None` when the country charges nothing.
fn fee_text(country: &Country, request: &Request) -> Option<String> {
    let fee = country.fee_per_number.filter(|f| *f > 0.0)?;
    let numbers = request
        .numbers
        .iter()
        .map(|n| n.number.as_str())
        .collect::<BTreeSet<_>>()
        .len();
    // The schema bounds the fee; rounding to cents keeps 0.1 × 3 from printing 0.30000000000000004.
    let cents = (fee * 100.0).round() as i64;
    let count = i64::try_from(numbers).unwrap_or(i64::MAX);
    let currency = country.currency.as_deref();
    Some(format!(
        "{} × {} = {}",
        plural::count(numbers, "number", "numbers"),
        money(cents, currency),
        money(cents.saturating_mul(count), currency)
    ))
}

/// Stage-independent country rules.
pub fn check(ctx: &Ctx<'_>, view: &PortView<'_>, out: &mut Vec<Finding>) {
    let request = view.request;
    let code = request.country.as_str();
    if ctx.policy.country(code).is_none() {
        let configured: Vec<String> = ctx
            .policy
            .countries
            .keys()
            .map(|c| format!("`{c}`"))
            .collect();
        let near = ctx
            .policy
            .countries
            .keys()
            .find(|c| c.eq_ignore_ascii_case(code.trim()))
            .map(|c| format!("did you mean `{c}`? "))
            .unwrap_or_default();
        let listed = if configured.is_empty() {
            "no country yet".to_owned()
        } else {
            configured.join(", ")
        };
        let help = format!(
            "{near}`country` is the ISO 3166-1 alpha-2 code of the numbers; ports are accepted from {listed} only (porting.toml `[countries]`); to port from another country, the porting desk adds it to porting.toml first"
        );
        let message = format!("we do not port numbers from `{code}`");
        out.push(
            view.at(Code::CountryIneligible, "/country", message)
                .label("not a country in porting.toml")
                .help(help),
        );
        return;
    }

    for problem in field_problems(ctx, request) {
        out.push(field_finding(view, code, &problem));
    }
}

/// `country::assisted`: the e-mail exchange, the duration and the fee.
fn assisted(
    ctx: &Ctx<'_>,
    view: &PortView<'_>,
    code: &str,
    country: &Country,
    request: &Request,
    out: &mut Vec<Finding>,
) {
    if country.channel == Channel::Assisted {
        let contact = country
            .contact
            .as_deref()
            .map(|c| format!(" with `{c}`"))
            .unwrap_or_default();
        let cost = match fee_text(country, request) {
            Some(text) => format!("costs {text}"),
            None => "has no fee".to_owned(),
        };
        let accept = if country.has_fee() && request.fee.is_none() {
            ", and record their acceptance of the fee in `[fee]` before submission"
        } else {
            ""
        };
        let duration = duration(ctx.policy.sla.international);
        out.push(
            view.at(
                Code::CountryAssisted,
                "/country",
                format!(
                    "`{code}` is an assisted country: the port is handled by e-mail exchange{contact}, takes longer ({duration}) and {cost}"
                ),
            )
            .label("assisted country")
            .help(format!(
                "nothing to change in the files: tell the customer the port runs by e-mail through the porting desk and takes {duration}{accept}"
            ))
            .severity(Severity::Warning),
        );
    }
}

fn field_finding(view: &PortView<'_>, country: &str, problem: &FieldProblem<'_>) -> Finding {
    match *problem {
        FieldProblem::Missing(req) => {
            let key = &req.key;
            let how = if req.secret {
                format!(
                    "it is secret: store it age-encrypted with `portflow secret set <port> {key}`, never in plain text"
                )
            } else {
                match &req.pattern {
                    Some(p) => format!("the value must match `{p}`"),
                    None => "write it as the customer gave it".to_owned(),
                }
            };
            view.at_table(
                Code::CountryRequirementMissing,
                "/requirements",
                format!(
                    "`{country}` requires `{key}`{}, and `[requirements]` has none",
                    scope(req)
                ),
            )
            .label(format!("no `{key}`"))
            .help(format!(
                "add `{key} = \"…\"` under `[requirements]`: {}; {how}",
                req.description
            ))
        }
        FieldProblem::Malformed(req, value) => {
            let key = &req.key;
            let pattern = req.pattern.as_deref().unwrap_or_default();
            view.at(
                Code::CountryRequirementMissing,
                &format!("/requirements/{key}"),
                format!("`{key}` value `{value}` does not have the form `{country}` requires"),
            )
            .label(format!("does not match `{pattern}`"))
            .help(format!(
                "correct it so it matches `{pattern}`: {}",
                req.description
            ))
        }
    }
}

/// Whether a required country field is missing (the LOA is then incomplete).
pub fn fields_missing(ctx: &Ctx<'_>, view: &PortView<'_>) -> bool {
    !field_problems(ctx, view.request).is_empty()
}

/// Country rules that depend on the stage (the fee must be accepted before submission).
pub fn check_progress(
    ctx: &Ctx<'_>,
    view: &PortView<'_>,
    progress: &Progress,
    out: &mut Vec<Finding>,
) {
    if progress.stage.is_terminal() {
        return;
    }
    let code = view.request.country.as_str();
    let Some(country) = ctx.policy.country(code) else {
        return;
    };
    let request = view.request;
    // What the assisted channel means is news while the port is prepared; once it is
    // submitted the desk is in the e-mail exchange, and a warning would never go away.
    if !progress.submitted() {
        assisted(ctx, view, code, country, request, out);
    }
    if request.fee.is_some() {
        return;
    }
    let Some(fee) = fee_text(country, view.request) else {
        return;
    };
    let (severity, when) = if progress.submitted() {
        (Severity::Error, "the port was submitted, but ")
    } else {
        (Severity::Warning, "")
    };
    out.push(
        view.at(
            Code::CountryFeeNotAccepted,
            "/country",
            format!("{when}the customer has not accepted the `{code}` porting fee ({fee})"),
        )
        .label("fee not accepted")
        .help(
            "record the customer's acceptance in `[fee]`: `accepted_by = \"<the customer's e-mail>\"` and `accepted_on = YYYY-MM-DD`, before the port is submitted",
        )
        .severity(severity),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::documents::testing::*;
    use crate::stage::Stage;

    fn request(country: &str, numbers: &[(&str, &str)], extra: &str) -> String {
        let mut text = format!(
            "account = \"a\"\nrequested_by = \"ops@example.com\"\ncountry = \"{country}\"\n{extra}\n"
        );
        for (number, kind) in numbers {
            text.push_str(&format!(
                "\n[[numbers]]\nnumber = \"{number}\"\ntype = \"{kind}\"\n"
            ));
        }
        text
    }

    fn run(text: &str) -> Vec<(String, String)> {
        let policy = policy();
        let p = port(text, &[], &[]);
        let v = view(&p);
        let mut out = Vec::new();
        check(&ctx(&policy), &v, &mut out);
        spans(&v, &out)
    }

    fn pair(code: &str, text: &str) -> (String, String) {
        (code.to_owned(), text.to_owned())
    }

    #[test]
    fn unknown_countries_are_ineligible() {
        let found = run(&request("NZ", &[("+6491234567", "landline")], ""));
        assert_eq!(found, [pair("country::ineligible", "\"NZ\"")]);
        let policy = policy();
        let p = port(&request("us", &[], ""), &[], &[]);
        let mut out = Vec::new();
        check(&ctx(&policy), &view(&p), &mut out);
        assert!(
            out[0].help.starts_with("did you mean `US`?"),
            "{}",
            out[0].help
        );
        assert!(out[0].help.contains("`AU`, `CA`, `DE`"), "{}", out[0].help);
    }

    #[test]
    fn self_serve_countries_are_quiet() {
        assert!(run(&request("US", &[("+12065550143", "landline")], "")).is_empty());
    }

    #[test]
    fn assisted_countries_state_the_channel_and_fee() {
        let policy = policy();
        let text = request(
            "GB",
            &[("+442079460123", "landline"), ("+442079460124", "landline")],
            "",
        );
        let p = port(&text, &[], &[]);
        let v = view(&p);
        let mut out = Vec::new();
        check(&ctx(&policy), &v, &mut out);
        assert!(out.is_empty(), "{out:?}");
        check_progress(&ctx(&policy), &v, &progress(Stage::Ready, None), &mut out);
        let assisted: Vec<_> = out
            .iter()
            .filter(|f| f.code == Code::CountryAssisted)
            .collect();
        assert_eq!(assisted.len(), 1);
        assert_eq!(assisted[0].severity, Severity::Warning);
        assert_eq!(
            assisted[0].message,
            "`GB` is an assisted country: the port is handled by e-mail exchange with `intl-porting@example.com`, takes longer (4–6 weeks) and costs 2 numbers × 25.00 USD = 50.00 USD"
        );
        // Once submitted the desk is in the e-mail exchange: no lasting warning.
        let mut after = Vec::new();
        check_progress(
            &ctx(&policy),
            &v,
            &progress(Stage::Submitted, Some("2026-11-20")),
            &mut after,
        );
        assert!(
            after.iter().all(|f| f.code != Code::CountryAssisted),
            "{after:?}"
        );
    }

    #[test]
    fn fees_are_counted_in_cents() {
        assert_eq!(money(5000, Some("USD")), "50.00 USD");
        assert_eq!(money(30, None), "0.30");
        assert_eq!(duration([28, 42]), "4–6 weeks");
        assert_eq!(duration([30, 45]), "30–45 days");
        let mut country = policy().countries["GB"].clone();
        country.fee_per_number = Some(0.1);
        let p = port(
            &request(
                "GB",
                &[
                    ("+442079460123", "landline"),
                    ("+442079460124", "landline"),
                    ("+442079460125", "landline"),
                    ("+442079460123", "landline"),
                ],
                "",
            ),
            &[],
            &[],
        );
        // Three distinct numbers; the duplicate is `number::duplicate`'s business.
        assert_eq!(
            fee_text(&country, view(&p).request).as_deref(),
            Some("3 numbers × 0.10 USD = 0.30 USD")
        );
        country.fee_per_number = Some(0.0);
        assert_eq!(fee_text(&country, view(&p).request), None);
    }

    #[test]
    fn field_requirements_apply_by_number_type() {
        // GB asks for a PAC with mobile numbers only.
        let landline = request("GB", &[("+442079460123", "landline")], "");
        assert!(
            !run(&landline)
                .iter()
                .any(|(c, _)| c == "country::requirement-missing")
        );
        let mobile = request("GB", &[("+447700900123", "mobile")], "");
        let found = run(&mobile);
        assert!(
            found.contains(&pair("country::requirement-missing", "")),
            "{found:?}"
        );
        let policy = policy();
        let p = port(&mobile, &[], &[]);
        assert!(fields_missing(&ctx(&policy), &view(&p)));
        let p = port(&landline, &[], &[]);
        assert!(!fields_missing(&ctx(&policy), &view(&p)));
    }

    #[test]
    fn missing_fields_point_at_the_requirements_table() {
        let text = request(
            "FR",
            &[("+33142685300", "landline")],
            "\n[requirements]\nother = \"x\"\n",
        );
        let found = run(&text);
        assert!(
            found.contains(&pair("country::requirement-missing", "[requirements]")),
            "{found:?}"
        );
    }

    #[test]
    fn patterns_are_checked_on_plain_values_only() {
        let siret = |value: &str| {
            request(
                "FR",
                &[("+33142685300", "landline")],
                &format!("\n[requirements]\nsiret = \"{value}\"\n"),
            )
        };
        let found = run(&siret("1234"));
        assert!(
            found.contains(&pair("country::requirement-missing", "\"1234\"")),
            "{found:?}"
        );
        let found = run(&siret("73282932000074"));
        assert!(
            !found
                .iter()
                .any(|(c, _)| c == "country::requirement-missing"),
            "{found:?}"
        );
        // A secret value is never matched (it is ciphertext) and never quoted.
        let pac = request(
            "GB",
            &[("+447700900123", "mobile")],
            "\n[requirements]\npac_code = \"-----BEGIN AGE ENCRYPTED FILE-----\"\n",
        );
        assert!(
            !run(&pac)
                .iter()
                .any(|(c, _)| c == "country::requirement-missing")
        );
    }

    #[test]
    fn invalid_patterns_are_skipped() {
        let mut policy = policy();
        let fr = policy.countries.get_mut("FR").unwrap();
        fr.requirements[0].pattern = Some("([0-9".to_owned());
        let text = request(
            "FR",
            &[("+33142685300", "landline")],
            "\n[requirements]\nsiret = \"x\"\n",
        );
        let p = port(&text, &[], &[]);
        assert!(!fields_missing(&ctx(&policy), &view(&p)));
    }

    #[test]
    fn the_fee_must_be_accepted_by_submission() {
        let policy = policy();
        let text = request("GB", &[("+442079460123", "landline")], "");
        let p = port(&text, &[], &[]);
        let v = view(&p);
        let run = |progress: &Progress| {
            let mut out = Vec::new();
            check_progress(&ctx(&policy), &v, progress, &mut out);
            out
        };
        let before: Vec<Finding> = run(&progress(Stage::Ready, None))
            .into_iter()
            .filter(|f| f.code != Code::CountryAssisted)
            .collect();
        assert_eq!(
            spans(&v, &before),
            [pair("country::fee-not-accepted", "\"GB\"")]
        );
        assert_eq!(before[0].severity, Severity::Warning);
        let after = run(&progress(Stage::Submitted, Some("2026-11-20")));
        assert_eq!(after[0].severity, Severity::Error);
        assert!(run(&progress(Stage::Cancelled, None)).is_empty());

        let accepted =
            format!("{text}\n[fee]\naccepted_by = \"c@example.com\"\naccepted_on = 2026-11-19\n");
        let p = port(&accepted, &[], &[]);
        let mut out = Vec::new();
        check_progress(
            &ctx(&policy),
            &view(&p),
            &progress(Stage::Submitted, Some("2026-11-20")),
            &mut out,
        );
        assert!(out.is_empty());
        // Free countries need no acceptance.
        let p = port(
            &request("US", &[("+12065550143", "landline")], ""),
            &[],
            &[],
        );
        let mut out = Vec::new();
        check_progress(
            &ctx(&policy),
            &view(&p),
            &progress(Stage::Submitted, Some("2026-11-20")),
            &mut out,
        );
        assert!(out.is_empty());
    }
}
