//! `portflow summary --base REF`: Markdown for a pull request: stage changes, new events,
//! LOA changes since signing, a checklist per submission, and the findings.

use crate::diag::Severity;
use crate::loa::diff::FieldChange;
use crate::model::Date;
use crate::model::event::EventKind;
use crate::plural::count;
use crate::stage::Stage;

/// The whole summary.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The revision the change is compared with.
    pub base_ref: String,
    /// The merge base's id.
    pub base_commit: String,
    /// Whether porting.toml changed (then every port's findings block).
    pub policy_changed: bool,
    /// The ports the change touches.
    pub ports: Vec<ChangedPort>,
    /// All errors.
    pub errors: usize,
    /// All warnings.
    pub warnings: usize,
    /// Errors that fail the check.
    pub blocking_errors: usize,
    /// Warnings that fail it with `--deny-warnings`.
    pub blocking_warnings: usize,
    /// Every finding, in report order.
    pub findings: Vec<FindingLine>,
}

/// One port the change touches.
#[derive(Debug, Clone)]
pub struct ChangedPort {
    /// Port id.
    pub id: String,
    /// Its folder now (or on the base, when deleted).
    pub dir: String,
    /// Its stage on the base; `None` for a new port.
    pub before: Option<Stage>,
    /// Its stage now; `None` when it is gone.
    pub after: Option<Stage>,
    /// Events the change adds.
    pub new_events: Vec<NewEvent>,
    /// The LOA since its latest signature.
    pub loa: Option<LoaSinceSigning>,
    /// One checklist per new submission.
    pub checklists: Vec<Checklist>,
    /// Errors in the port.
    pub errors: usize,
    /// Warnings in the port.
    pub warnings: usize,
}

/// An event the change adds.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The file name.
    pub file: String,
    /// Its kind, from the name.
    pub kind: Option<EventKind>,
    /// Its typed date.
    pub on: Option<Date>,
    /// Who recorded it.
    pub by: Option<String>,
    /// Its key fields in words.
    pub detail: String,
    /// The merged event it renumbers, byte for byte (after two changes took one number).
    pub renumbered_from: Option<String>,
}

/// What changed in the LOA data since it was last signed.
#[derive(Debug, Clone)]
pub struct LoaSinceSigning {
    /// The latest live `signed` event.
    pub event: String,
    /// Its typed date.
    pub on: Date,
    /// The commit that brought it; `None` when it is new in this change.
    pub commit: Option<String>,
    /// The fields changed since that commit; `None` when that version cannot be read.
    pub changes: Option<Vec<FieldChange>>,
    /// Whether a signature covers the current LOA digest.
    pub covers_current: bool,
}

/// A reviewer's checklist for one submission.
#[derive(Debug, Clone)]
pub struct Checklist {
    /// The `submitted` event file.
    pub event: String,
    /// The items.
    pub items: Vec<CheckItem>,
}

/// One item of a checklist.
#[derive(Debug, Clone)]
pub struct CheckItem {
    /// Whether portflow found it satisfied.
    pub ok: bool,
    /// What is checked.
    pub label: &'static str,
    /// Why portflow thinks so.
    pub detail: String,
}

/// One finding, as the summary lists it.
#[derive(Debug, Clone)]
pub struct FindingLine {
    /// The rule code.
    pub code: &'static str,
    /// Its severity.
    pub severity: Severity,
    /// Whether it fails the check.
    pub blocking: bool,
    /// Repo-relative file.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// The message (secrets already masked).
    pub message: String,
}

/// Escapes text for Markdown: table pipes, HTML and line breaks.
fn text(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

/// Inline code that survives backticks in the value.
fn code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ");
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

fn stage_or(stage: Option<Stage>, none: &str) -> String {
    stage.map_or_else(|| none.to_owned(), |s| format!("`{s}`"))
}

/// Renders the summary; the first line is a stable marker so CI can update one comment.
pub fn render(s: &Summary) -> String {
    let mut out = String::from("<!-- portflow-summary -->\n## portflow\n\n");
    let short = s.base_commit.get(..8).unwrap_or(&s.base_commit);
    out.push_str(&format!(
        "Compared with {} (merge base `{short}`): {} changed.",
        code(&s.base_ref),
        count(s.ports.len(), "port", "ports")
    ));
    if s.blocking_errors == 0 {
        out.push_str(" **No blocking errors.**\n\n");
    } else {
        out.push_str(&format!(
            " **{} must be fixed before merging.**\n\n",
            count(s.blocking_errors, "blocking error", "blocking errors")
        ));
    }
    if s.policy_changed {
        out.push_str("`porting.toml` changed: every port's findings count for this change.\n\n");
    }
    if !s.ports.is_empty() {
        out.push_str("| port | stage before | stage after | new events | findings |\n");
        out.push_str("| --- | --- | --- | --- | --- |\n");
        for p in &s.ports {
            let events: Vec<String> = p.new_events.iter().map(|e| code(&e.file)).collect();
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                code(&p.id),
                stage_or(p.before, "new"),
                stage_or(p.after, "deleted"),
                if events.is_empty() {
                    "-".to_owned()
                } else {
                    events.join(", ")
                },
                match (p.errors, p.warnings) {
                    (0, 0) => "-".to_owned(),
                    (e, w) => format!("{e} E, {w} W"),
                }
            ));
        }
        out.push('\n');
    }
    for p in &s.ports {
        port_section(&mut out, p);
    }
    out.push_str("### Findings\n\n");
    out.push_str(&format!(
        "{}, {}; blocking: {}, {}.\n",
        count(s.errors, "error", "errors"),
        count(s.warnings, "warning", "warnings"),
        count(s.blocking_errors, "error", "errors"),
        count(s.blocking_warnings, "warning", "warnings"),
    ));
    if !s.findings.is_empty() {
        out.push_str("\n<details><summary>every finding</summary>\n\n");
        out.push_str("| severity | code | where | message | blocking |\n");
        out.push_str("| --- | --- | --- | --- | --- |\n");
        for f in &s.findings {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                f.severity.as_str(),
                code(f.code),
                code(&format!("{}:{}", f.file, f.line)),
                text(&f.message),
                if f.blocking {
                    "yes"
                } else {
                    "no (already on the base)"
                }
            ));
        }
        out.push_str("\n</details>\n");
    }
    out
}

fn port_section(out: &mut String, p: &ChangedPort) {
    out.push_str(&format!(
        "### {}: {} → {}\n\n",
        code(&p.id),
        stage_or(p.before, "new"),
        stage_or(p.after, "deleted")
    ));
    if !p.new_events.is_empty() {
        for e in &p.new_events {
            let mut line = format!("- {}", code(&e.file));
            if let Some(on) = e.on {
                line.push_str(&format!(" on {on}"));
            }
            if let Some(by) = &e.by {
                line.push_str(&format!(" by {}", text(by)));
            }
            line.push_str(&format!(": {}", text(&e.detail)));
            if let Some(from) = &e.renumbered_from {
                line.push_str(&format!(" (renumbered from {}, unchanged)", code(from)));
            }
            out.push_str(&line);
            out.push('\n');
        }
        out.push('\n');
    }
    if let Some(loa) = &p.loa {
        let at = loa.commit.as_deref().map_or_else(
            || "in this change".to_owned(),
            |c| format!("at `{}`", c.get(..8).unwrap_or(c)),
        );
        match &loa.changes {
            Some(changes) if changes.is_empty() => out.push_str(&format!(
                "LOA data unchanged since {} (signed {}, landed {at}).\n\n",
                code(&loa.event),
                loa.on
            )),
            Some(changes) => {
                out.push_str(&format!(
                    "LOA data changed since {} (signed {}, landed {at}){}:\n\n```diff\n",
                    code(&loa.event),
                    loa.on,
                    if loa.covers_current {
                        ""
                    } else {
                        "; **the signature no longer covers it**"
                    }
                ));
                for c in changes {
                    let value = |v: &str| v.replace(['\n', '\r'], " ").replace("```", "'''");
                    if let Some(before) = &c.before {
                        out.push_str(&format!("- {} = {}\n", c.field, value(before)));
                    }
                    if let Some(after) = &c.after {
                        out.push_str(&format!("+ {} = {}\n", c.field, value(after)));
                    }
                }
                out.push_str("```\n\n");
            }
            None => out.push_str(&format!(
                "The LOA data signed in {} is in no committed version of the request, so its changes cannot be shown{}.\n\n",
                code(&loa.event),
                if loa.covers_current {
                    ""
                } else {
                    "; **the signature does not cover the current LOA data**"
                }
            )),
        }
    }
    for list in &p.checklists {
        out.push_str(&format!(
            "Reviewer checklist for the submission {}:\n\n",
            code(&list.event)
        ));
        for item in &list.items {
            out.push_str(&format!(
                "- [{}] {}: {}\n",
                if item.ok { "x" } else { " " },
                item.label,
                text(&item.detail)
            ));
        }
        out.push('\n');
    }
}
