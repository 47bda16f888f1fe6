//! Routing rules: every number knows where it goes once ported.

use crate::diag::{Code, Finding, Severity};
use crate::rules::{Ctx, PortView, Progress};
use crate::stage::Stage;

/// `routing::missing`: a warning from submission on, an error once scheduled.
pub fn check(_ctx: &Ctx<'_>, view: &PortView<'_>, progress: &Progress, out: &mut Vec<Finding>) {
    // A terminal port can no longer change, so there is nothing left to ask for.
    let severity = match progress.stage {
        Stage::Scheduled => Severity::Error,
        Stage::Submitted | Stage::Rejected => Severity::Warning,
        _ => return,
    };
    for (i, number) in view.request.numbers.iter().enumerate() {
        let mut missing = Vec::new();
        if number
            .tracking_source
            .as_deref()
            .is_none_or(|s| s.trim().is_empty())
        {
            missing.push("`tracking_source`");
        }
        if number.receiving_number.is_none() {
            missing.push("`receiving_number`");
        }
        if missing.is_empty() {
            continue;
        }
        let when = if severity == Severity::Error {
            "the port is scheduled"
        } else {
            "the port is submitted"
        };
        out.push(
            view.at(
                Code::RoutingMissing,
                &format!("/numbers/{i}/number"),
                format!("`{}` has no {} and {when}", number.number, missing.join(" or ")),
            )
            .severity(severity)
            .label("routing incomplete")
            .help("set where calls go once the number is ported: `tracking_source` and `receiving_number` on this `[[numbers]]` entry"),
        );
    }
}
