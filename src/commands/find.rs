//! `portflow find`: which ports hold a telephone number, and their stage; the exit status
//! says whether any port holds it in its `[[numbers]]`.

use crate::cli::{FindArgs, StatusFormat};
use crate::engine::Scope;
use crate::engine::find::{NumberError, Role, find_in, normalize};
use crate::git::past::check_work_tree;
use crate::repo::{RepoError, WorkTree};
use crate::report;
use crate::{Environment, Exit, Output};

/// Failures of `portflow find`.
#[derive(Debug, thiserror::Error)]
pub enum FindError {
    /// The repo could not be read.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// The number cannot be read.
    #[error(transparent)]
    Number(#[from] NumberError),
}

/// Runs `portflow find`.
pub fn run(args: &FindArgs, env: &Environment) -> Result<Output, FindError> {
    let tree = WorkTree::discover(&env.cwd)?;
    let region = args.country.as_deref().unwrap_or("US");
    let e164 = normalize(&args.number, region)?;
    let checked = check_work_tree(&tree, &Scope::all(), env.today)?;
    let matches = find_in(&checked, &e164);
    let held = matches.iter().any(|m| m.role == Role::Number);
    let stdout = match args.format {
        StatusFormat::Table => report::find::table(&e164, &matches),
        StatusFormat::Json => report::find::json(&e164, held, &matches),
    };
    let stderr = if held || args.format == StatusFormat::Json {
        String::new()
    } else if matches.is_empty() {
        format!("no port holds `{e164}`\n")
    } else {
        format!("no port holds `{e164}` in its `[[numbers]]`\n")
    };
    Ok(Output {
        stdout,
        stderr,
        exit: if held { Exit::Clean } else { Exit::Findings },
    })
}
