//! `portflow status`: one row per port with its stage and next action; with git, time in
//! stage and the SLA clock.

use std::collections::BTreeMap;

use super::RunError;
use crate::cli::StatusFormat;
use crate::engine::{Checked, Scope};
use crate::git::past::check_work_tree;
use crate::git::scan::timelines;
use crate::git::{Git, GitError};
use crate::model::Date;
use crate::repo::{Repo, WorkTree};
use crate::report::{self, Counts};
use crate::{Environment, Exit, Output};

/// Runs `portflow status`.
pub fn run(format: StatusFormat, env: &Environment) -> Result<Output, RunError> {
    let tree = WorkTree::discover(&env.cwd)?;
    let checked = check_work_tree(&tree, &Scope::all(), env.today)?;
    if checked.repo.policy.is_none() {
        return Err(RunError::PolicyInvalid);
    }
    let (times, note) = times(&tree, &checked, env.today);
    let rows: Vec<report::status::Row> = checked
        .reports
        .iter()
        .map(|r| {
            let port = checked.repo.ports.iter().find(|p| p.dir == r.dir);
            let request = port.and_then(|p| p.request.as_ref()).map(|l| &l.value);
            let counts = Counts::of(checked.in_port(&r.dir));
            report::status::Row {
                port: r.id.clone(),
                dir: r.dir.clone(),
                country: request
                    .map(|q| q.country.clone())
                    .or_else(|| lenient(&checked.repo, &r.dir).0),
                numbers: request
                    .map(|q| q.numbers.len())
                    .unwrap_or_else(|| lenient(&checked.repo, &r.dir).1),
                stage: r.stage,
                next_action: r
                    .fold
                    .as_ref()
                    .map_or_else(|| r.stage.next_action().to_owned(), |f| f.next_action()),
                errors: counts.errors,
                warnings: counts.warnings,
                times: times.get(&r.dir).cloned(),
            }
        })
        .collect();
    let stdout = match format {
        StatusFormat::Table => report::status::table(&rows),
        StatusFormat::Json => report::status::json(&rows),
    };
    Ok(Output {
        stdout,
        stderr: note,
        exit: Exit::Clean,
    })
}

/// Country and number count of a request that failed its schema, read as plain TOML when
/// it parses, so `status` still says what the invalid port is about.
fn lenient(repo: &Repo, dir: &str) -> (Option<String>, usize) {
    let table = repo
        .sources
        .get(&format!("{dir}/request.toml"))
        .and_then(|file| toml::from_str::<toml::Table>(&file.text).ok());
    let Some(table) = table else {
        return (None, 0);
    };
    let country = table
        .get("country")
        .and_then(|c| c.as_str())
        .map(str::to_owned);
    let numbers = table
        .get("numbers")
        .and_then(|n| n.as_array())
        .map_or(0, Vec::len);
    (country, numbers)
}

/// Times for `status`, by port folder, and a note for standard error. Without git there
/// are no times and no note; with a shallow clone or a git failure the note says why.
fn times(
    tree: &WorkTree,
    checked: &Checked,
    today: Date,
) -> (BTreeMap<String, report::status::Times>, String) {
    let result = Git::open(&tree.root).and_then(|git| timelines(&git, tree, checked, today));
    match result {
        Ok(lines) => (
            lines
                .iter()
                .map(|t| (t.dir.clone(), report::status::Times::of(t)))
                .collect(),
            String::new(),
        ),
        Err(GitError::NotGit(_) | GitError::NoCommits) => (BTreeMap::new(), String::new()),
        Err(err) => (
            BTreeMap::new(),
            format!("note: no times in stage or SLA clocks: {err}\n"),
        ),
    }
}
