//! `--format json`: one JSON document with every finding and a summary.

use serde::Serialize;

use super::{Context, Counts};
use crate::diag::Finding;

#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    findings: Vec<JsonFinding<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct Summary {
    errors: usize,
    warnings: usize,
    ports: usize,
    files: usize,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'static str,
    severity: &'static str,
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    offset: usize,
    length: usize,
    message: &'a str,
    label: &'a str,
    help: &'a str,
    docs_url: String,
    related: Vec<JsonRelated<'a>>,
    /// Present (and false) only for a finding a change inherited from its base (`--base`).
    #[serde(skip_serializing_if = "is_true")]
    blocking: bool,
}

fn is_true(value: &bool) -> bool {
    *value
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    file: String,
    line: usize,
    column: usize,
    offset: usize,
    length: usize,
    message: &'a str,
}

/// Renders the findings as a pretty-printed JSON document with a trailing newline.
pub fn render(findings: &[Finding], ctx: &Context<'_>) -> String {
    let counts = Counts::of(findings);
    let out = Output {
        version: 1,
        findings: findings
            .iter()
            .map(|f| {
                let file = f.file.to_string_lossy().into_owned();
                let (line, column) = ctx.line_col(&file, f.span.start);
                let (end_line, end_column) = ctx.line_col(&file, f.span.end);
                JsonFinding {
                    code: f.code.as_str(),
                    severity: f.severity.as_str(),
                    line,
                    column,
                    end_line,
                    end_column,
                    offset: f.span.start,
                    length: f.span.len(),
                    message: &f.message,
                    label: &f.label,
                    help: &f.help,
                    docs_url: f.code.docs_url(),
                    related: f
                        .related
                        .iter()
                        .map(|r| {
                            let rfile = r.file.to_string_lossy().into_owned();
                            let (line, column) = ctx.line_col(&rfile, r.span.start);
                            JsonRelated {
                                file: rfile,
                                line,
                                column,
                                offset: r.span.start,
                                length: r.span.len(),
                                message: &r.label,
                            }
                        })
                        .collect(),
                    blocking: f.blocking,
                    file,
                }
            })
            .collect(),
        summary: Summary {
            errors: counts.errors,
            warnings: counts.warnings,
            ports: ctx.ports_checked,
            files: ctx.files_checked,
        },
    };
    let mut text = serde_json::to_string_pretty(&out).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}
