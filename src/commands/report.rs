//! `portflow report`: the desk analytics (SLA breaches, stuck ports, time per stage,
//! rejection reasons) as Markdown, JSON or CSV.

use super::RunError;
use crate::cli::ReportFormat;
use crate::engine::Scope;
use crate::git::Git;
use crate::git::past::check_work_tree;
use crate::git::scan::timelines;
use crate::model::analytics::{Analytics, PortFacts};
use crate::model::event::EventBody;
use crate::repo::WorkTree;
use crate::report::analytics;
use crate::rules::events::resolve_voids;
use crate::{Environment, Exit, Output};

/// Runs `portflow report`.
pub fn run(format: ReportFormat, env: &Environment) -> Result<Output, RunError> {
    let tree = WorkTree::discover(&env.cwd)?;
    let checked = check_work_tree(&tree, &Scope::all(), env.today)?;
    let git = Git::open(&tree.root)?;
    let lines = timelines(&git, &tree, &checked, env.today)?;
    let facts: Vec<PortFacts<'_>> = lines
        .iter()
        .map(|line| {
            let port = checked.repo.ports.iter().find(|p| p.dir == line.dir);
            let mut facts = PortFacts {
                timeline: line,
                country: port
                    .and_then(|p| p.request.as_ref())
                    .map(|r| r.value.country.clone()),
                rejection_codes: Vec::new(),
                foc: None,
            };
            if let Some(port) = port {
                let (live, _) = resolve_voids(port);
                for e in live {
                    match &e.event.body {
                        EventBody::Rejected { reasons, .. } => facts
                            .rejection_codes
                            .extend(reasons.iter().map(|r| r.code.clone())),
                        EventBody::Scheduled { foc, .. } => facts.foc = Some(*foc),
                        _ => {}
                    }
                }
            }
            facts
        })
        .collect();
    let data = Analytics::compute(&facts, env.today);
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
