//! `portflow report`: the desk analytics (SLA breaches, stuck ports, time per stage,
//! rejection reasons) as Markdown, JSON or CSV.

use std::sync::Arc;

use super::RunError;
use super::status::check_desk;
use crate::cli::ReportFormat;
use crate::engine::Checked;
use crate::git::Git;
use crate::git::scan::timelines;
use crate::model::Date;
use crate::model::analytics::{Analytics, PortFacts, Waits};
use crate::model::policy::Sla;
use crate::model::timeline::PortTimeline;
use crate::repo::WorkTree;
use crate::report::analytics;
use crate::{Environment, Exit, Output};

/// Runs `portflow report`.
pub fn run(format: ReportFormat, env: &Environment) -> Result<Output, RunError> {
    let tree = WorkTree::discover(&env.cwd)?;
    // As `status`: unchanged ports from the verdict and timeline caches.
    let git = Git::open(&tree.root);
    let (checked, scan) = check_desk(&tree, &git, env.today)?;
    let lines = match git.as_ref() {
        Ok(opened) => timelines(opened, scan, &tree, &checked, env.today)?,
        // Not a repository git opens: the reason, as opening it again gives it.
        Err(_) => timelines(&Git::open(&tree.root)?, None, &tree, &checked, env.today)?,
    };
    let data = analytics_of(&checked, &lines, env.today);
    let stdout = match format {
        ReportFormat::Md => analytics::markdown(&data),
        ReportFormat::Json => analytics::json(&data),
        ReportFormat::Csv => analytics::csv(&data),
    };
    crate::store::free_later((lines, checked, data));
    Ok(Output {
        stdout,
        stderr: String::new(),
        exit: Exit::Clean,
    })
}

/// The desk analytics of the ports whose timelines are `lines`.
pub(crate) fn analytics_of(
    checked: &Checked,
    lines: &[Arc<PortTimeline>],
    today: Date,
) -> Analytics {
    let mut abouts = checked.abouts();
    let facts: Vec<PortFacts<'_>> = lines
        .iter()
        .map(|line| {
            let about = abouts.remove(line.dir.as_str());
            let (country, account) = match &about {
                Some(a) => (Some(a.country.clone()), Some(a.account.clone())),
                None => (None, None),
            };
            let events = about.map(|a| a.into_owned().events).unwrap_or_default();
            PortFacts {
                timeline: line,
                country,
                account,
                rejection_codes: events.rejection_codes,
                latest_rejection: events.latest_rejection,
                carrier: events.carrier,
                foc: events.foc,
            }
        })
        .collect();
    // An unreadable porting.toml leaves the defaults: `check` reports the file itself.
    let sla = checked
        .repo
        .policy
        .as_ref()
        .map_or_else(Sla::default, |p| p.value.sla);
    let waits = Waits {
        customer_days: sla.customer_wait_days,
        carrier_days: sla.carrier_wait_days,
    };
    Analytics::compute(&facts, today, waits)
}
