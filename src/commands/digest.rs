//! `portflow digest`: each port's LOA digest, the value a `signed` event records.

use crate::engine::{Scope, check_tree};
use crate::repo::{RepoError, WorkTree};
use crate::{Environment, Exit, Output};

/// Failures of `digest` (not findings).
#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    /// The repo could not be read.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// A port id that no folder has.
    #[error("no port `{0}` in this repo (see `portflow status`)")]
    UnknownPort(String),
    /// porting.toml does not parse or fails its schema, so no port can be judged.
    #[error(
        "porting.toml does not pass its checks, so no port's stage can be judged: run `portflow check porting.toml` and fix it first"
    )]
    PolicyInvalid,
}

/// Runs `portflow digest`.
pub fn run(ports: &[String], env: &Environment) -> Result<Output, DigestError> {
    let tree = WorkTree::discover(&env.cwd)?;
    let checked = check_tree(&tree, &Scope::all(), env.today)?;
    if checked.repo.policy.is_none() {
        return Err(DigestError::PolicyInvalid);
    }
    for id in ports {
        if !checked.reports.iter().any(|r| &r.id == id) {
            return Err(DigestError::UnknownPort(id.clone()));
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
