//! `--format sarif`: SARIF 2.1.0 for code scanning, one run with a rule per stable code.
//!
//! Locations are repo-relative URIs against `%SRCROOT%`; columns count Unicode code points,
//! as every other output does, and the run says so in `columnKind`. No source text is
//! copied into the log (no `snippet`), so a secret cannot leak through it.

use serde::Serialize;

use super::Context;
use crate::diag::{Code, Finding, Severity};

/// The SARIF schema the output conforms to (OASIS 2.1.0 with Errata 01).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Where portflow lives; the rule docs are under it.
pub const INFORMATION_URI: &str = "https://github.com/portflow/portflow";

/// The base id every artifact location is relative to: the root of the checked-out repo.
pub const SRCROOT: &str = "%SRCROOT%";

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    original_uri_base_ids: serde_json::Value,
    column_kind: &'static str,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    short_description: Text,
    help_uri: String,
    help: Help,
    default_configuration: Configuration,
    properties: Properties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Properties {
    tags: Vec<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: [Location; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<ResultProperties>,
}

/// Set only on a finding a change inherited from its base (`--base`): it does not fail the run.
#[derive(Serialize)]
struct ResultProperties {
    blocking: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    byte_offset: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    byte_length: Option<usize>,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// Percent-encodes a repo-relative path into a URI reference (`/` kept, RFC 3986 unreserved
/// characters kept, every other byte of the UTF-8 encoded).
pub fn path_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(char::from(byte));
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn physical(file: &str, span: &std::ops::Range<usize>, ctx: &Context<'_>) -> PhysicalLocation {
    // Code scanning needs a start line on every location; a folder or a binary file gets
    // line 1 and nothing else, since lines and columns mean nothing there.
    let region = if ctx.sources.contains_key(file) {
        let (start_line, start_column) = ctx.line_col(file, span.start);
        let (end_line, end_column) = ctx.line_col(file, span.end);
        Region {
            start_line,
            start_column: Some(start_column),
            end_line: Some(end_line),
            end_column: Some(end_column),
            byte_offset: Some(span.start),
            byte_length: Some(span.len()),
        }
    } else {
        Region {
            start_line: 1,
            ..Region::default()
        }
    };
    PhysicalLocation {
        artifact_location: ArtifactLocation {
            uri: path_uri(file),
            uri_base_id: SRCROOT,
        },
        region,
    }
}

fn rule(code: Code) -> Rule {
    let family = code.as_str().split("::").next().unwrap_or_default();
    let mut tags = vec!["portflow", family];
    // Secrets in plaintext are a security matter; code scanning files them there.
    if code == Code::SecretPlaintext {
        tags.push("security");
    }
    Rule {
        id: code.as_str(),
        short_description: Text {
            text: code.summary().to_owned(),
        },
        help_uri: code.docs_url(),
        help: Help {
            text: format!("{}; see {}", code.summary(), code.docs_url()),
            markdown: format!(
                "{}. See [`{}`]({}) in the rule reference.",
                code.summary(),
                code.as_str(),
                code.docs_url()
            ),
        },
        default_configuration: Configuration {
            level: level(code.severity()),
        },
        properties: Properties { tags },
    }
}

fn result(finding: &Finding, ctx: &Context<'_>) -> SarifResult {
    let file = finding.file.to_string_lossy().into_owned();
    let mut text = finding.message.clone();
    if !finding.help.is_empty() {
        text.push_str("\nhelp: ");
        text.push_str(&finding.help);
    }
    if !finding.blocking {
        text.push_str(&format!(
            "\nnot blocking: this {} is already on the base, in a port this change does not touch",
            finding.severity.as_str()
        ));
    }
    SarifResult {
        rule_id: finding.code.as_str(),
        rule_index: Code::ALL
            .iter()
            .position(|c| *c == finding.code)
            .unwrap_or_default(),
        level: level(finding.severity),
        message: Text { text },
        locations: [Location {
            id: None,
            physical_location: physical(&file, &finding.span, ctx),
            message: None,
        }],
        related_locations: finding
            .related
            .iter()
            .enumerate()
            .map(|(i, r)| Location {
                id: Some(i),
                physical_location: physical(&r.file.to_string_lossy(), &r.span, ctx),
                message: (!r.label.is_empty()).then(|| Text {
                    text: r.label.clone(),
                }),
            })
            .collect(),
        properties: (!finding.blocking).then_some(ResultProperties { blocking: false }),
    }
}

/// Renders the findings as one SARIF 2.1.0 log, pretty-printed, with a trailing newline.
pub fn render(findings: &[Finding], ctx: &Context<'_>) -> String {
    let log = Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "portflow",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: INFORMATION_URI,
                    rules: Code::ALL.iter().copied().map(rule).collect(),
                },
            },
            original_uri_base_ids: serde_json::json!({
                SRCROOT: { "description": { "text": "the root of the ports repo" } }
            }),
            column_kind: "unicodeCodePoints",
            results: findings.iter().map(|f| result(f, ctx)).collect(),
        }],
    };
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}
