//! Sanity of porting.toml beyond its schema: values that parse but cannot work.
//!
//! - `[sla]` windows are `[min, max]` with min ≤ max (a reversed window makes every port
//!   late or none).
//! - A requirement's `pattern` compiles as a regular expression; a pattern that does not
//!   would otherwise be skipped silently and accept every value.
//! - `[organization]` is the desk's own, not the placeholder `portflow init` wrote: every
//!   LOA prints it as the new provider (`policy::placeholder`, a warning).

use regex::Regex;

use crate::diag::{Code, Finding};
use crate::model::policy::{Organization, Policy};
use crate::repo::{Loaded, POLICY_FILE};

/// `policy::invalid` and `policy::placeholder` findings on porting.toml.
pub fn check(policy: &Loaded<Policy>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let doc = &policy.doc;
    let organization = &policy.value.organization;
    for (key, value, placeholder) in [
        ("name", &organization.name, Organization::PLACEHOLDER_NAME),
        (
            "address",
            &organization.address,
            Organization::PLACEHOLDER_ADDRESS,
        ),
    ] {
        if value.trim() == placeholder {
            findings.push(
                Finding::new(
                    Code::PolicyPlaceholder,
                    POLICY_FILE,
                    doc.span(&format!("/organization/{key}")),
                    format!("`[organization] {key}` is still the placeholder `{placeholder}` that `portflow init` wrote"),
                )
                .label("placeholder")
                .help(format!(
                    "put your organization's own legal {key} in porting.toml `[organization]`: every LOA prints it as the new provider, and carriers reject an LOA naming someone else"
                )),
            );
        }
    }
    for (key, [min, max]) in [
        ("domestic", policy.value.sla.domestic),
        ("international", policy.value.sla.international),
    ] {
        if min > max {
            findings.push(
                Finding::new(
                    Code::PolicyInvalid,
                    POLICY_FILE,
                    doc.span(&format!("/sla/{key}")),
                    format!("the `[sla] {key}` window starts after it ends: `[{min}, {max}]`"),
                )
                .label("minimum first, then maximum")
                .help(format!(
                    "write the window as `[min, max]`, e.g. `{key} = [{max}, {min}]`"
                )),
            );
        }
    }
    for (code, country) in &policy.value.countries {
        for (i, req) in country.requirements.iter().enumerate() {
            let Some(pattern) = &req.pattern else {
                continue;
            };
            if let Err(err) = Regex::new(pattern) {
                let reason = match err {
                    regex::Error::Syntax(text) => text
                        .lines()
                        .rev()
                        .find(|l| l.starts_with("error:"))
                        .map_or_else(
                            || "invalid syntax".to_owned(),
                            |l| l.trim_start_matches("error: ").to_owned(),
                        ),
                    regex::Error::CompiledTooBig(_) => {
                        "it compiles to too large a program".to_owned()
                    }
                    _ => "it is not a valid regular expression".to_owned(),
                };
                findings.push(
                    Finding::new(
                        Code::PolicyInvalid,
                        POLICY_FILE,
                        doc.span(&format!("/countries/{code}/requirements/{i}/pattern")),
                        format!("the `{}` requirement of `{code}` has a pattern that is not a regular expression: {reason}", req.key),
                    )
                    .label("not a regular expression")
                    .help("fix the pattern (the `regex` crate's syntax, like a JSON Schema `pattern`); until then no value can be checked against it"),
                );
            }
        }
    }
    findings
}
