//! `portflow check`: load the repo, run every rule, narrow to the requested paths, report.

use std::path::{Path, PathBuf};

use crate::cli::{CheckArgs, Format};
use crate::diag::{self, Finding, Severity};
use crate::repo::{Repo, RepoError, WorkTree};
use crate::report::{self, Context, Counts};
use crate::{Environment, Exit, Output};

/// Failures of `check` that are not findings.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The repo could not be read.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// A PATH argument does not exist or lies outside the repo.
    #[error("`{0}` is not a file or folder of this ports repo")]
    BadPath(PathBuf),
}

/// Everything `check` found, ready to report.
pub struct Checked {
    /// The loaded repo.
    pub repo: Repo,
    /// Findings, sorted, narrowed to the requested paths.
    pub findings: Vec<Finding>,
    /// Number of ports in scope.
    pub ports: usize,
}

/// Loads the repo at `root` and runs every rule; findings are narrowed to `scope` (repo-relative).
pub fn check_tree(tree: &WorkTree, scope: &[String]) -> Result<Checked, CheckError> {
    let mut repo = Repo::load(tree)?;
    let mut findings = std::mem::take(&mut repo.findings);
    let in_scope = |file: &str| {
        scope.is_empty()
            || scope
                .iter()
                .any(|s| s.is_empty() || file == s || file.starts_with(&format!("{s}/")))
    };
    findings.retain(|f| in_scope(&f.file.to_string_lossy()));
    diag::sort(&mut findings);
    let ports = repo
        .ports
        .iter()
        .filter(|p| {
            scope.is_empty()
                || scope.iter().any(|s| {
                    in_scope(&p.dir)
                        || p.dir.starts_with(&format!("{s}/"))
                        || s.starts_with(&format!("{}/", p.dir))
                        || *s == p.dir
                })
        })
        .count();
    Ok(Checked {
        repo,
        findings,
        ports,
    })
}

fn scope_of(root: &Path, cwd: &Path, paths: &[PathBuf]) -> Result<Vec<String>, CheckError> {
    paths
        .iter()
        .map(|p| {
            let full = cwd.join(p);
            let canon = full
                .canonicalize()
                .map_err(|_| CheckError::BadPath(p.clone()))?;
            let rel = canon
                .strip_prefix(root)
                .map_err(|_| CheckError::BadPath(p.clone()))?;
            Ok(rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/"))
        })
        .collect()
}

/// Runs `portflow check`.
pub fn run(args: &CheckArgs, env: &Environment) -> Result<Output, CheckError> {
    let tree = WorkTree::discover(&env.cwd)?;
    let cwd = env.cwd.canonicalize().unwrap_or_else(|_| env.cwd.clone());
    let scope = scope_of(&tree.root, &cwd, &args.paths)?;
    let checked = check_tree(&tree, &scope)?;
    let ctx = Context {
        sources: checked
            .repo
            .sources
            .iter()
            .map(|(k, v)| (k.clone(), v))
            .collect(),
        files_checked: checked
            .repo
            .sources
            .keys()
            .filter(|k| {
                scope.is_empty()
                    || scope
                        .iter()
                        .any(|s| s.is_empty() || *k == s || k.starts_with(&format!("{s}/")))
            })
            .count(),
        ports_checked: checked.ports,
    };
    let stdout = match args.format {
        Format::Human => report::human::render(&checked.findings, &ctx, env.style()),
        Format::Json => report::json::render(&checked.findings, &ctx),
    };
    let counts = Counts::of(&checked.findings);
    let failing = counts.errors > 0
        || (args.deny_warnings
            && checked
                .findings
                .iter()
                .any(|f| f.severity == Severity::Warning));
    Ok(Output {
        stdout,
        stderr: String::new(),
        exit: if failing { Exit::Findings } else { Exit::Clean },
    })
}
