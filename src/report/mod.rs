//! Rendering findings for people and machines; the only place (with main.rs) that writes output.

pub mod analytics;
pub mod charts;
pub mod find;
pub mod github;
pub mod human;
pub mod json;
pub mod markdown;
pub mod sarif;
pub mod site;
pub mod status;
pub mod terminal;
pub mod text;
pub mod timeline;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::diag::{Finding, Severity};
use crate::plural::count;
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
    /// Counts findings.
    pub fn of<'f>(findings: impl IntoIterator<Item = &'f Finding>) -> Counts {
        let mut counts = Counts::default();
        for f in findings {
            match f.severity {
                Severity::Error => counts.errors += 1,
                Severity::Warning => counts.warnings += 1,
            }
        }
        counts
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
    /// The ports repo's folder in its git checkout, with a trailing `/` (`""` at the top):
    /// CI resolves the paths of annotations and SARIF from the checkout's root, so in a
    /// monorepo they are prefixed with it.
    pub checkout_prefix: String,
}

impl<'a> Context<'a> {
    /// A context over every file a repo read, with the given counts for the summary line.
    pub fn of(
        sources: &'a BTreeMap<String, Arc<SourceFile>>,
        files_checked: usize,
        ports_checked: usize,
    ) -> Context<'a> {
        Context {
            sources: sources.iter().map(|(k, v)| (k.clone(), &**v)).collect(),
            files_checked,
            ports_checked,
            checkout_prefix: String::new(),
        }
    }

    /// The same context, for a ports repo at `prefix` (`telecom/ports/`) in its checkout.
    pub fn in_checkout(self, prefix: String) -> Context<'a> {
        Context {
            checkout_prefix: prefix,
            ..self
        }
    }

    /// A repo-relative path as CI resolves it: from the root of the git checkout.
    pub fn checkout_path(&self, file: &str) -> String {
        format!("{}{file}", self.checkout_prefix)
    }

    /// 1-based line and column of a byte offset in a file (1:1 when the file is unknown).
    pub fn line_col(&self, file: &str, offset: usize) -> (usize, usize) {
        self.sources
            .get(file)
            .map_or((1, 1), |s| s.line_col(offset))
    }
}

/// Text from a user's file made safe to print on a terminal: every control character but
/// tab and line breaks (a NUL, an escape that would start a terminal sequence, DEL, the C1
/// controls) shows as `?` (`¿` for a C1 control, also two bytes), so byte offsets, line
/// breaks and columns stay as they were in the file.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| match c {
            c if !unsafe_char(c) => c,
            c if c.len_utf8() == 1 => '?',
            _ => '\u{bf}',
        })
        .collect()
}

/// The closing line of a human report, e.g. `2 errors, 1 warning in 14 ports (53 files)`.
pub fn summary_line(counts: Counts, ctx: &Context<'_>) -> String {
    let scope = format!(
        "{} ({})",
        count(ctx.ports_checked, "port", "ports"),
        count(ctx.files_checked, "file", "files")
    );
    if counts.errors == 0 && counts.warnings == 0 {
        format!("no findings in {scope}")
    } else {
        format!(
            "{}, {} in {scope}",
            count(counts.errors, "error", "errors"),
            count(counts.warnings, "warning", "warnings")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_print_as_placeholders_of_the_same_size() {
        let text = "a\0b\x1b[31mc\u{9b}d\te\r\nf";
        let shown = printable(text);
        assert_eq!(shown, "a?b?[31mc\u{bf}d\te\r\nf");
        assert_eq!(shown.len(), text.len());
        assert_eq!(shown.chars().count(), text.chars().count());
        assert!(matches!(printable("plain"), std::borrow::Cow::Borrowed(_)));
    }
}
