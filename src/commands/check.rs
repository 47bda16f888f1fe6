//! `portflow check`: every rule on the working tree, the staged index or a pull request
//! against its base, reported in one of four formats.

use std::path::{Path, PathBuf};

use crate::cli::{CheckArgs, Format};
use crate::diag::{Code, Severity};
use crate::engine::Scope;
use crate::git::past::check_work_tree_reusing;
use crate::git::pull::{check_base, check_staged};
use crate::git::{Git, GitError, HeadKind};
use crate::repo::{RepoError, WorkTree};
use crate::report::{self, Context};
use crate::{Environment, Exit, Output};

/// Failures of `check` that are not findings.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The repo could not be read.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// `--only` names a code that does not exist.
    #[error("`{0}` is not a rule code (see docs/rules.md)")]
    UnknownCode(String),
    /// A PATH argument does not exist or lies outside the repo.
    #[error("`{0}` is not a file or folder of this ports repo")]
    BadPath(PathBuf),
    /// `--base` or `--staged` could not read git.
    #[error(transparent)]
    Git(#[from] GitError),
}

/// The repo-relative paths the PATH arguments name.
fn scope_of(root: &Path, cwd: &Path, paths: &[PathBuf]) -> Result<Scope, CheckError> {
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
        .collect::<Result<Vec<_>, _>>()
        .map(Scope::of)
}

/// The ports repo's folder in its git work tree (`""` at the top, or outside git), for the
/// formats whose paths CI resolves from the checkout's root; the others need no git.
fn checkout_prefix(root: &Path, format: Format) -> String {
    match format {
        Format::Github | Format::Sarif => Git::open(root)
            .map(|git| git.prefix().to_owned())
            .unwrap_or_default(),
        Format::Human | Format::Json => String::new(),
    }
}

/// Runs `portflow check`.
pub fn run(args: &CheckArgs, env: &Environment) -> Result<Output, CheckError> {
    let tree = WorkTree::discover(&env.cwd)?;
    let cwd = env.cwd.canonicalize().unwrap_or_else(|_| env.cwd.clone());
    let scope = scope_of(&tree.root, &cwd, &args.paths)?;
    let checked = match (&args.base, args.staged) {
        (Some(base), staged) => {
            let head = if staged {
                HeadKind::Index
            } else {
                HeadKind::WorkTree
            };
            check_base(&tree, base, head, &scope, env.today)?
        }
        (None, true) => check_staged(&tree, &scope, env.today)?,
        (None, false) => check_work_tree_reusing(&tree, &scope, env.today, &|_| false, true)?,
    };
    let mut checked = checked;
    if !args.only.is_empty() {
        let mut codes = Vec::new();
        for name in &args.only {
            codes.push(
                Code::from_name(name.trim())
                    .ok_or_else(|| CheckError::UnknownCode(name.clone()))?,
            );
        }
        checked.findings.retain(|f| codes.contains(&f.code));
    }
    let ctx = Context::of(
        &checked.repo.sources,
        checked.files_in(&scope),
        checked.ports,
    )
    .in_checkout(checkout_prefix(&tree.root, args.format));
    // Findings a change inherited from its base are reported but do not fail it.
    let inherited = checked.findings.iter().filter(|f| !f.blocking).count();
    let stdout = match args.format {
        Format::Human if inherited > 0 => {
            let mut findings = checked.findings.clone();
            for f in findings.iter_mut().filter(|f| !f.blocking) {
                f.help.push_str(
                    " (not blocking: already on the base, in a port this change does not touch)",
                );
            }
            let mut text = report::human::render(&findings, &ctx, env.style());
            text.push_str(&if inherited == 1 {
                "1 finding was already on the base, in a port this change does not touch: reported, not blocking\n".to_owned()
            } else {
                format!("{inherited} findings were already on the base, in ports this change does not touch: reported, not blocking\n")
            });
            text
        }
        Format::Human => report::human::render(&checked.findings, &ctx, env.style()),
        Format::Json => report::json::render(&checked.findings, &ctx),
        Format::Github => report::github::render(&checked.findings, &ctx),
        Format::Sarif => report::sarif::render(&checked.findings, &ctx),
    };
    let blocking_warnings = checked
        .findings
        .iter()
        .any(|f| f.blocking && f.severity == Severity::Warning);
    let failing = checked
        .findings
        .iter()
        .any(|f| f.blocking && f.severity == Severity::Error)
        || (args.deny_warnings && blocking_warnings);
    // Freeing a desk's worth of parsed files takes a while: a pool thread does it.
    drop(ctx);
    rayon::spawn(move || drop(checked));
    Ok(Output {
        stdout,
        stderr: String::new(),
        exit: if failing { Exit::Findings } else { Exit::Clean },
    })
}
