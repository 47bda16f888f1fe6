//! `portflow digest`: each port's LOA digest, the value a `signed` event records.

use super::RunError;
use crate::engine::Scope;
use crate::git::past::check_work_tree;
use crate::repo::WorkTree;
use crate::{Environment, Exit, Output};

/// Runs `portflow digest`.
pub fn run(ports: &[String], env: &Environment) -> Result<Output, RunError> {
    let tree = WorkTree::discover(&env.cwd)?;
    let checked = check_work_tree(&tree, &Scope::all(), env.today)?;
    if checked.repo.policy.is_none() {
        return Err(RunError::PolicyInvalid);
    }
    for id in ports {
        if !checked.reports.iter().any(|r| &r.id == id) {
            return Err(RunError::UnknownPort(id.clone()));
        }
    }
    let mut stdout = String::new();
    let mut stderr = String::new();
    for r in &checked.reports {
        if !ports.is_empty() && !ports.contains(&r.id) {
            continue;
        }
        match &r.digest {
            Some(d) => stdout.push_str(&format!("{} {d}\n", r.id)),
            None => stderr.push_str(&format!(
                "{}: no digest: its request.toml does not parse or fails its schema (run `portflow check`)\n",
                r.id
            )),
        }
    }
    let exit = if stderr.is_empty() {
        Exit::Clean
    } else {
        Exit::Findings
    };
    Ok(Output {
        stdout,
        stderr,
        exit,
    })
}
