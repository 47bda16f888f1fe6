//! `--format github`: GitHub Actions workflow commands that annotate the changed files.
//!
//! Each finding becomes one `::error` or `::warning` line that the runner turns into an
//! annotation on the file and line; a finding a change inherited from its base (`--base`)
//! becomes a `::notice`, since it does not fail the change. The runner shows only the first
//! 10 annotations of each kind per step, so a plain summary line follows with the totals.

use super::{Context, Counts, summary_line};
use crate::diag::{Finding, Severity};

/// How many annotations of one severity the runner shows per step; the rest are dropped.
pub const RUNNER_LIMIT: usize = 10;

/// Escapes a property value (`file=…`, `title=…`) as the runner unescapes it.
///
/// `%` goes first so that the escapes themselves survive the round trip.
pub fn escape_property(value: &str) -> String {
    // Data escaping never produces `:` or `,`, so those can follow.
    escape_data(value).replace(':', "%3A").replace(',', "%2C")
}

/// Escapes the message after `::` as the runner unescapes it.
pub fn escape_data(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for ch in value.chars() {
        match ch {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            _ => out.push(ch),
        }
    }
    out
}

/// The workflow command of one finding, without the trailing newline.
pub fn annotation(finding: &Finding, ctx: &Context<'_>) -> String {
    // A finding the change inherited from its base must not read as a failure of the change.
    let command = match (finding.blocking, finding.severity) {
        (false, _) => "notice",
        (true, Severity::Error) => "error",
        (true, Severity::Warning) => "warning",
    };
    let file = finding.file.to_string_lossy().into_owned();
    let mut props = vec![format!(
        "file={}",
        escape_property(&ctx.checkout_path(&file))
    )];
    // A folder or a binary file has no lines: annotate the file alone.
    if ctx.sources.contains_key(&file) {
        let (line, col) = ctx.line_col(&file, finding.span.start);
        let (end_line, end_col) = ctx.line_col(&file, finding.span.end);
        // The runner drops columns on spans over several lines, with a warning in the log.
        let columns = end_line == line && !finding.span.is_empty();
        props.push(format!("line={line}"));
        if columns {
            props.push(format!("col={col}"));
        }
        props.push(format!("endLine={end_line}"));
        if columns {
            props.push(format!("endColumn={end_col}"));
        }
    }
    props.push(format!("title={}", escape_property(finding.code.as_str())));

    let mut message = finding.message.clone();
    if !finding.help.is_empty() {
        message.push_str("\nhelp: ");
        message.push_str(&finding.help);
    }
    for related in &finding.related {
        let rfile = related.file.to_string_lossy();
        message.push_str(&format!("\nnote: {}", ctx.checkout_path(&rfile)));
        if ctx.sources.contains_key(rfile.as_ref()) {
            let (line, col) = ctx.line_col(&rfile, related.span.start);
            message.push_str(&format!(":{line}:{col}"));
        }
        if !related.label.is_empty() {
            message.push_str(": ");
            message.push_str(&related.label);
        }
    }
    if !finding.blocking {
        message.push_str(&format!(
            "\nnot blocking: this {} is already on the base, in a port this change does not touch",
            finding.severity.as_str()
        ));
    }
    message.push_str(&format!("\nsee {}", finding.code.docs_url()));

    format!("::{command} {}::{}", props.join(","), escape_data(&message))
}

/// Renders every finding as a workflow command, then one plain summary line.
pub fn render(findings: &[Finding], ctx: &Context<'_>) -> String {
    let mut out = String::new();
    for finding in findings {
        out.push_str(&annotation(finding, ctx));
        out.push('\n');
    }
    let counts = Counts::of(findings);
    out.push_str("portflow: ");
    out.push_str(&summary_line(counts, ctx));
    let inherited = findings.iter().filter(|f| !f.blocking).count();
    if inherited > 0 {
        out.push_str(&format!(
            "; {inherited} already on the base, in ports this change does not touch: not blocking"
        ));
    }
    // The runner counts each command separately: errors, warnings and notices.
    let shown = |command: Option<Severity>| {
        findings
            .iter()
            .filter(|f| match command {
                Some(severity) => f.blocking && f.severity == severity,
                None => !f.blocking,
            })
            .count()
    };
    if [Some(Severity::Error), Some(Severity::Warning), None]
        .into_iter()
        .any(|command| shown(command) > RUNNER_LIMIT)
    {
        out.push_str(&format!(
            "; GitHub annotates only the first {RUNNER_LIMIT} of each severity, \
             run `portflow check` for the full list"
        ));
    }
    out.push('\n');
    out
}
