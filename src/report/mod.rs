//! Rendering findings for people and machines; the only place (with main.rs) that writes output.

pub mod human;
pub mod json;
pub mod status;

use std::collections::BTreeMap;

use crate::diag::{Finding, Severity};
use crate::source::SourceFile;

/// Counts of findings by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Number of errors.
    pub errors: usize,
    /// Number of warnings.
    pub warnings: usize,
}

impl Counts {
    /// Counts a list of findings.
    pub fn of(findings: &[Finding]) -> Counts {
        let errors = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        Counts {
            errors,
            warnings: findings.len() - errors,
        }
    }
}

/// What a report needs besides the findings: the files they point into.
#[derive(Debug, Default)]
pub struct Context<'a> {
    /// Files by repo-relative path (their masked text is what snippets show).
    pub sources: BTreeMap<String, &'a SourceFile>,
    /// How many files were checked.
    pub files_checked: usize,
    /// How many ports were checked.
    pub ports_checked: usize,
}

impl Context<'_> {
    /// 1-based line and column of a byte offset in a file (1:1 when the file is unknown).
    pub fn line_col(&self, file: &str, offset: usize) -> (usize, usize) {
        self.sources
            .get(file)
            .map_or((1, 1), |s| s.line_col(offset))
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The closing line of a human report, e.g. `2 errors, 1 warning in 14 ports (53 files)`.
pub fn summary_line(counts: Counts, ctx: &Context<'_>) -> String {
    let scope = format!(
        "{} ({})",
        plural(ctx.ports_checked, "port", "ports"),
        plural(ctx.files_checked, "file", "files")
    );
    if counts.errors == 0 && counts.warnings == 0 {
        format!("no findings in {scope}")
    } else {
        format!(
            "{}, {} in {scope}",
            plural(counts.errors, "error", "errors"),
            plural(counts.warnings, "warning", "warnings")
        )
    }
}
