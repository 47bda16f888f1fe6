//! `portflow history <port>`: a port's events with when they landed in git and who
//! recorded them, and its stages over time.

use super::RunError;
use crate::cli::HistoryFormat;
use crate::engine::narrow::OnePort;
use crate::engine::{Scope, check_tree};
use crate::git::Git;
use crate::git::past::GitPast;
use crate::git::scan::Scan;
use crate::repo::WorkTree;
use crate::report::timeline;
use crate::rules::NoHistory;
use crate::{Environment, Exit, Output};

/// Runs `portflow history <port>`.
pub fn run(port: &str, format: HistoryFormat, env: &Environment) -> Result<Output, RunError> {
    let tree = WorkTree::discover(&env.cwd)?;
    // Only this port (with the policy and the schemas) is read and checked: a port's stage
    // and events do not depend on the other ports.
    let one = OnePort::in_work_tree(&tree, port)?
        .ok_or_else(|| RunError::UnknownPort(port.to_owned()))?;
    let git = Git::open(&tree.root)?;
    // The history the check reads is the one the timeline reads next.
    let (checked, scan) = match GitPast::before_head_judging(&git, true) {
        Ok(past) => {
            let checked = check_tree(&one, &Scope::all(), env.today, &past)?;
            (checked, past.into_scan())
        }
        Err(_) => (
            check_tree(&one, &Scope::all(), env.today, &NoHistory)?,
            None,
        ),
    };
    let report = checked
        .reports
        .iter()
        .find(|r| r.dir == one.dir)
        .ok_or_else(|| RunError::UnknownPort(port.to_owned()))?;
    let mut scan = match scan {
        Some(scan) => scan,
        None => Scan::new(&git)?,
    };
    let port = checked
        .repo
        .ports
        .iter()
        .find(|p| p.dir == one.dir)
        .ok_or_else(|| RunError::UnknownPort(port.to_owned()))?;
    let policy = checked.repo.policy.as_ref().map(|p| &p.value);
    let line = scan.timeline(&one, port, policy, report.stage, env.today)?;
    scan.save();
    let stdout = match format {
        HistoryFormat::Table => timeline::table(&line),
        HistoryFormat::Json => timeline::json(&line),
    };
    Ok(Output {
        stdout,
        stderr: String::new(),
        exit: Exit::Clean,
    })
}
