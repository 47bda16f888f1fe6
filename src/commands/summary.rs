//! `portflow summary --base REF`: Markdown for a pull request's reviewers.

use crate::engine::Scope;
use crate::git::pull::PullRequest;
use crate::git::{Git, GitError, HeadKind};
use crate::repo::{RepoError, WorkTree};
use crate::report::markdown;
use crate::{Environment, Exit, Output};

/// Failures of `summary` (not findings).
#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    /// The repo could not be read.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// Git could not be read.
    #[error(transparent)]
    Git(#[from] GitError),
}

/// Runs `portflow summary --base REF`: Markdown for the pull request.
pub fn run(rev: &str, env: &Environment) -> Result<Output, SummaryError> {
    let tree = WorkTree::discover(&env.cwd)?;
    let git = Git::open(&tree.root)?;
    let pr = PullRequest::open(
        &git,
        &tree,
        rev,
        HeadKind::WorkTree,
        &Scope::all(),
        env.today,
    )?;
    let summary = pr.summary()?;
    Ok(Output {
        stdout: markdown::render(&summary),
        stderr: String::new(),
        exit: Exit::Clean,
    })
}
