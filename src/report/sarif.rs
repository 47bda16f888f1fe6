//! `--format sarif`: SARIF 2.1.0 for code scanning, one run with a rule per stable code.
//!
//! Locations are URIs against `%SRCROOT%`, the root of the git checkout (the ports repo may
//! be a folder of it); each result has a fingerprint of its code, port and field that
//! survives edits moving its line. Columns count Unicode code points,
//! as every other output does, and the run says so in `columnKind`. No source text is
//! copied into the log (no `snippet`), so a secret cannot leak through it.

use std::collections::HashMap;

use serde::Serialize;

use super::Context;
use crate::diag::{Code, Finding, Severity};
use crate::repo::is_year;
use crate::signed::sha256_hex;
use crate::source::{Document, FieldIndex};

/// The SARIF schema the output conforms to (OASIS 2.1.0 with Errata 01).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Where portflow lives; the rule docs are under it.
pub const INFORMATION_URI: &str = "https://github.com/portflow/portflow";

/// The base id every artifact location is relative to: the root of the git checkout.
pub const SRCROOT: &str = "%SRCROOT%";

/// The base id of the ports repo's folder, when it is not the checkout's root.
pub const PORTSROOT: &str = "PORTSROOT";

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
    invocations: [Invocation; 1],
    original_uri_base_ids: serde_json::Value,
    column_kind: &'static str,
    results: Vec<SarifResult>,
}

/// The run itself: it completed (a run that could not check exits 2 with no log).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
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
    partial_fingerprints: Fingerprints,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<ResultProperties>,
}

/// What identifies a finding across commits, whatever line it moves to: its code, its port,
/// the file in the port and the field (a JSON pointer), hashed. Code scanning matches
/// results by it, so an edit above a finding does not close it and open another.
#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "portflowField/v1")]
    field: String,
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

/// The port a repo-relative path is in (`ports/2026/<id>/...` or `ports/<id>/...`) and the
/// path inside it; `None` outside `ports/`.
fn port_and_rest(file: &str) -> Option<(&str, &str)> {
    let rest = file.strip_prefix("ports/")?;
    let (first, after) = rest.split_once('/').unwrap_or((rest, ""));
    if is_year(first)
        && let Some((id, inner)) = after.split_once('/')
    {
        return Some((id, inner));
    }
    Some((first, after))
}

/// Each TOML file's field index, built once for all its findings.
#[derive(Default)]
struct Fields(HashMap<String, Option<FieldIndex>>);

impl Fields {
    /// The field a finding is about: the JSON pointer at its span in a TOML file it read.
    fn of(&mut self, file: &str, span: &std::ops::Range<usize>, ctx: &Context<'_>) -> String {
        if !file.ends_with(".toml") || (span.is_empty() && span.start == 0) {
            return String::new();
        }
        let index = self.0.entry(file.to_owned()).or_insert_with(|| {
            let source = ctx.sources.get(file)?;
            Document::parse((*source).clone())
                .ok()
                .map(|doc| doc.fields())
        });
        index
            .as_ref()
            .map_or_else(String::new, |i| i.pointer_at(span.start).to_owned())
    }
}

fn fingerprint(finding: &Finding, ctx: &Context<'_>, fields: &mut Fields) -> String {
    let file = finding.file.to_string_lossy();
    let (port, rest) = port_and_rest(&file).unwrap_or(("", &file));
    let field = fields.of(&file, &finding.span, ctx);
    sha256_hex(format!("{}\0{port}\0{rest}\0{field}", finding.code.as_str()).as_bytes())
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
            uri: path_uri(&ctx.checkout_path(file)),
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

fn result(finding: &Finding, ctx: &Context<'_>, fields: &mut Fields) -> SarifResult {
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
        partial_fingerprints: Fingerprints {
            field: fingerprint(finding, ctx, fields),
        },
        properties: (!finding.blocking).then_some(ResultProperties { blocking: false }),
    }
}

/// `%SRCROOT%`, the root of the git checkout every location is relative to; in a monorepo
/// also `PORTSROOT`, the ports repo's folder in it.
fn base_ids(ctx: &Context<'_>) -> serde_json::Value {
    let mut ids = serde_json::json!({
        SRCROOT: { "description": { "text": "the root of the git checkout" } }
    });
    if !ctx.checkout_prefix.is_empty() {
        ids[PORTSROOT] = serde_json::json!({
            "uri": path_uri(&ctx.checkout_prefix),
            "uriBaseId": SRCROOT,
            "description": { "text": "the ports repo (the folder of porting.toml)" }
        });
    }
    ids
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
            invocations: [Invocation {
                execution_successful: true,
            }],
            original_uri_base_ids: base_ids(ctx),
            column_kind: "unicodeCodePoints",
            results: {
                let mut fields = Fields::default();
                findings
                    .iter()
                    .map(|f| result(f, ctx, &mut fields))
                    .collect()
            },
        }],
    };
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}
