//! `portflow summary --base REF`: Markdown for a pull request's reviewers.

use super::RunError;
use crate::engine::Scope;
use crate::git::pull::PullRequest;
use crate::git::{Git, HeadKind};
use crate::repo::WorkTree;
use crate::report::markdown;
use crate::{Environment, Exit, Output};

/// Runs `portflow summary --base REF [--loa-link URL]`: Markdown for the pull request.
pub fn run(rev: &str, loa_link: Option<&str>, env: &Environment) -> Result<Output, RunError> {
    let tree = WorkTree::discover(&env.cwd)?;
    let git = Git::open(&tree.root)?;
    let pr = PullRequest::open(
        &git,
        &tree,
        rev,
        HeadKind::WorkTree,
        &Scope::all(),
        env.today,
        false,
    )?;
    let summary = pr.summary(loa_link)?;
    Ok(Output {
        stdout: markdown::render(&summary),
        stderr: String::new(),
        exit: Exit::Clean,
    })
}
