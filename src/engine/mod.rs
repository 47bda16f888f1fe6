//! Checking a tree of files: load the repo, run every rule, narrow the findings to a scope
//! and mask secrets. Knows nothing of git or of the command line: a [`Tree`] may be the
//! working tree, a commit or the staged index.

pub mod find;
pub mod narrow;

use std::ops::Range;

use aho_corasick::AhoCorasick;

use crate::diag::{self, Finding};
use crate::model::Date;
use crate::repo::{Repo, RepoError, Tree};
use crate::rules::{self, Past, PortReport};
use crate::source::{Stars, mask_spans};
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
    if findings.is_empty() {
        return;
    }
    let mut secrets: Vec<&str> = repo
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
    secrets.sort_unstable();
    secrets.dedup();
    if secrets.is_empty() {
        return;
    }
    let secrets = Secrets::new(secrets);
    for f in findings {
        secrets.mask(&mut f.message);
        secrets.mask(&mut f.label);
        secrets.mask(&mut f.help);
        for related in &mut f.related {
            secrets.mask(&mut related.label);
        }
    }
}

/// Secret values to find in a text: all at once in one pass, or (should the automaton be
/// too large to build) one after the other.
enum Secrets<'a> {
    Automaton(AhoCorasick),
    Each(Vec<&'a str>),
}

impl<'a> Secrets<'a> {
    fn new(secrets: Vec<&'a str>) -> Secrets<'a> {
        match AhoCorasick::new(&secrets) {
            Ok(automaton) => Secrets::Automaton(automaton),
            Err(_) => Secrets::Each(secrets),
        }
    }

    /// Replaces every character of every occurrence of a secret by `*` (occurrences may
    /// overlap: every character any of them covers is masked).
    fn mask(&self, text: &mut String) {
        let covered: Vec<Range<usize>> = match self {
            Secrets::Automaton(automaton) => automaton
                .find_overlapping_iter(text.as_str())
                .map(|m| m.range())
                .collect(),
            Secrets::Each(secrets) => secrets
                .iter()
                .flat_map(|secret| {
                    text.match_indices(secret)
                        .map(|(at, found)| at..at + found.len())
                })
                .collect(),
        };
        if !covered.is_empty() {
            *text = mask_spans(text, &covered, Stars::PerChar);
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

    fn repo_with(files: &[(&str, &str)]) -> Repo {
        let mut repo = Repo::default();
        for (path, text) in files {
            let (file, _) = crate::source::SourceFile::from_bytes(*path, text.as_bytes(), &["pin"]);
            repo.sources
                .insert((*path).to_owned(), std::sync::Arc::new(file));
        }
        repo
    }

    fn finding(message: &str) -> Finding {
        Finding::new(diag::Code::SecretPlaintext, "a.toml", 0..0, message)
            .label(message)
            .help(message)
            .related("b.toml", 0..0, message)
    }

    // Guards masking every secret of every file in one pass: each occurrence, overlapping
    // or not, becomes one `*` per character, and the rest of the text stays.
    #[test]
    fn redact_masks_every_occurrence_of_every_secret() {
        let repo = repo_with(&[
            ("a.toml", "pin = \"4821\"\n"),
            ("b.toml", "pin = \"\"\"\nabcd\nbcdé\n\"\"\"\n"),
        ]);
        let mut findings = vec![
            finding("pins `4821` and `4821`, then abcdé and 48214821"),
            finding("no secret here: 482 and abc"),
        ];
        redact(&mut findings, &repo);
        let masked = "pins `****` and `****`, then ***** and ********";
        for text in [
            &findings[0].message,
            &findings[0].label,
            &findings[0].help,
            &findings[0].related[0].label,
        ] {
            assert_eq!(text, masked);
        }
        assert_eq!(findings[1].message, "no secret here: 482 and abc");

        // Without the automaton, one secret after the other masks the same.
        let mut text = "pins `4821` and `4821`, then abcdé and 48214821".to_owned();
        Secrets::Each(vec!["4821", "abcd", "bcdé"]).mask(&mut text);
        assert_eq!(text, masked);
    }
}
