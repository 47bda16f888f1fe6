//! `portflow report`: the desk analytics (SLA breaches, stuck ports, time per stage,
//! rejection reasons) as Markdown, JSON or CSV.

use super::{EventFacts, RunError};
use crate::cli::ReportFormat;
use crate::engine::{Checked, Scope};
use crate::git::Git;
use crate::git::past::check_work_tree;
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
    let checked = check_work_tree(&tree, &Scope::all(), env.today)?;
    let git = Git::open(&tree.root)?;
    let lines = timelines(&git, &tree, &checked, env.today)?;
    let data = analytics_of(&checked, &lines, env.today);
    let stdout = match format {
        ReportFormat::Md => analytics::markdown(&data),
        ReportFormat::Json => analytics::json(&data),
        ReportFormat::Csv => analytics::csv(&data),
    };
    Ok(Output {
        stdout,
        stderr: String::new(),
        exit: Exit::Clean,
    })
}

/// The desk analytics of the ports whose timelines are `lines`.
pub(crate) fn analytics_of(checked: &Checked, lines: &[PortTimeline], today: Date) -> Analytics {
    let ports = checked.repo.ports_by_dir();
    let facts: Vec<PortFacts<'_>> = lines
        .iter()
        .map(|line| {
            let port = ports.get(line.dir.as_str()).copied();
            let request = port.and_then(|p| p.request.as_ref()).map(|r| &r.value);
            let events = port.map(EventFacts::of).unwrap_or_default();
            PortFacts {
                timeline: line,
                country: request.map(|r| r.country.clone()),
                account: request.map(|r| r.account.clone()),
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
