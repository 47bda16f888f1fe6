//! `portflow history <port>`: a port's events with when they landed in git and who
//! recorded them, and its stages over time.

use super::RunError;
use crate::cli::HistoryFormat;
use crate::engine::Scope;
use crate::git::Git;
use crate::git::past::check_work_tree;
use crate::git::scan::Scan;
use crate::repo::WorkTree;
use crate::report::timeline;
use crate::{Environment, Exit, Output};

/// Runs `portflow history <port>`.
pub fn run(port: &str, format: HistoryFormat, env: &Environment) -> Result<Output, RunError> {
    let tree = WorkTree::discover(&env.cwd)?;
    let checked = check_work_tree(&tree, &Scope::all(), env.today)?;
    let wanted = port.trim_end_matches('/');
    let report = checked
        .reports
        .iter()
        .find(|r| r.id == wanted || r.dir == wanted)
        .ok_or_else(|| RunError::UnknownPort(port.to_owned()))?;
    let git = Git::open(&tree.root)?;
    let mut scan = Scan::new(&git)?;
    let line = scan.timeline(&tree, &checked.repo, report, env.today)?;
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
