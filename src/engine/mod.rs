//! Checking a tree of files: load the repo, run every rule, narrow the findings to a scope
//! and mask secrets. Knows nothing of git or of the command line: a [`Tree`] may be the
//! working tree, a commit or the staged index.

pub mod find;
pub mod narrow;

use crate::diag::{self, Finding};
use crate::model::Date;
use crate::repo::{Repo, RepoError, Tree};
use crate::rules::{self, Past, PortReport};
use crate::stage::Stage;

/// Repo-relative paths a run is narrowed to; empty means the whole repo.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope(Vec<String>);

impl Scope {
    /// The whole repo.
    pub fn all() -> Scope {
        Scope::default()
    }

    /// The files and folders under these repo-relative paths (`""` is the whole repo).
    pub fn of(paths: Vec<String>) -> Scope {
        Scope(paths)
    }

    /// Whether a repo-relative file (or folder) falls under the scope.
    pub fn contains(&self, file: &str) -> bool {
        self.0.is_empty()
            || self
                .0
                .iter()
                .any(|s| s.is_empty() || file == s || file.starts_with(&format!("{s}/")))
    }

    /// Whether the scope covers any part of the port in `dir` (a path inside it counts).
    pub fn touches_port(&self, dir: &str) -> bool {
        self.contains(dir) || self.0.iter().any(|s| s.starts_with(&format!("{dir}/")))
    }
}

/// Everything a check found, ready to report.
pub struct Checked {
    /// The loaded repo.
    pub repo: Repo,
    /// Findings, sorted, narrowed to the scope.
    pub findings: Vec<Finding>,
    /// Number of ports in scope.
    pub ports: usize,
    /// Stage and digest of every port.
    pub reports: Vec<PortReport>,
}

impl Checked {
    /// The stage of the port in `dir` (`invalid` when there is none).
    pub fn stage_of(&self, dir: &str) -> Stage {
        rules::stage_of(&self.reports, dir)
    }

    /// The findings on the port folder `dir` and its files.
    pub fn in_port<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        let prefix = format!("{dir}/");
        self.findings.iter().filter(move |f| {
            let file = f.file.to_string_lossy();
            file == dir || file.starts_with(&prefix)
        })
    }
}

/// Loads the repo in `tree` and runs every rule, judging recorded events by the data of
/// their time (`past`); findings are narrowed to `scope`.
pub fn check_tree(
    tree: &dyn Tree,
    scope: &Scope,
    today: Date,
    past: &dyn Past,
) -> Result<Checked, RepoError> {
    // The rules read numbers; a pool thread loads the numbering plan while files are read.
    rayon::spawn(crate::numbering::prepare);
    let mut repo = Repo::load(tree)?;
    let mut findings = std::mem::take(&mut repo.findings);
    let (rule_findings, reports) = rules::check(&repo, today, past);
    // A value the schema already refused is not reported again by a rule.
    let refused: std::collections::BTreeSet<(std::path::PathBuf, usize, usize)> = findings
        .iter()
        .filter(|f| f.code == diag::Code::SchemaViolation)
        .map(|f| (f.file.clone(), f.span.start, f.span.end))
        .collect();
    findings.extend(
        rule_findings
            .into_iter()
            .filter(|f| !refused.contains(&(f.file.clone(), f.span.start, f.span.end))),
    );
    findings.retain(|f| scope.contains(&f.file.to_string_lossy()));
    redact(&mut findings, &repo);
    diag::sort(&mut findings);
    let ports = repo
        .ports
        .iter()
        .filter(|p| scope.touches_port(&p.dir))
        .count();
    Ok(Checked {
        repo,
        findings,
        ports,
        reports,
    })
}

/// Defence in depth: no message, label or help may quote a secret value of any file.
fn redact(findings: &mut [Finding], repo: &Repo) {
    let secrets: Vec<&str> = repo
        .sources
        .values()
        .flat_map(|file| {
            file.secret_spans
                .iter()
                .filter_map(|s| file.text.get(s.clone()))
        })
        .flat_map(|value| value.split(['\n', '\r']))
        .map(str::trim)
        .filter(|v| v.len() >= 2)
        .collect();
    if secrets.is_empty() {
        return;
    }
    let mask = |text: &mut String| {
        for secret in &secrets {
            if text.contains(secret) {
                *text = text.replace(secret, &"*".repeat(secret.chars().count()));
            }
        }
    };
    for f in findings {
        mask(&mut f.message);
        mask(&mut f.label);
        mask(&mut f.help);
        for related in &mut f.related {
            mask(&mut related.label);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_holds_its_files_and_touches_the_port_around_them() {
        let scope = Scope::of(vec!["ports/acme".to_owned()]);
        assert!(scope.contains("ports/acme/request.toml"));
        assert!(!scope.contains("ports/acme-2/request.toml"));
        let inner = Scope::of(vec!["ports/acme/events".to_owned()]);
        assert!(inner.touches_port("ports/acme"));
        assert!(!inner.touches_port("ports/other"));
        assert!(Scope::all().contains("porting.toml"));
    }
}
