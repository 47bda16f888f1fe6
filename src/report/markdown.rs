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
    /// What a change of porting.toml changes, when it changed (then every port's findings
    /// block).
    pub policy: Option<PolicyChange>,
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
    /// What each new submission sends, for approval.
    pub submissions: Vec<Submission>,
    /// FOC dates the change moves.
    pub foc_changes: Vec<FocChange>,
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

/// What a new `submitted` event sends to the carrier: the reviewer approves this.
#[derive(Debug, Clone)]
pub struct Submission {
    /// The `submitted` event file.
    pub event: String,
    /// The carrier it goes to.
    pub carrier: String,
    /// The port date asked for.
    pub requested_foc: Date,
    /// The LOA fields as they will be sent, by dotted name, in LOA order.
    pub fields: Vec<(String, String)>,
    /// The numbers, in E.164, with their type.
    pub numbers: Vec<(String, Option<String>)>,
    /// The fee, in words.
    pub fee: String,
    /// The LOA digest the carrier will see in the footer.
    pub digest: Option<String>,
    /// Where the rendered LOA can be downloaded (the CI run's artifacts).
    pub loa_link: Option<String>,
    /// For a resubmission: the rejection it answers.
    pub answers: Option<Answers>,
    /// Facts portflow checked, each satisfied or not.
    pub facts: Vec<CheckItem>,
    /// What only a person can check, left unticked.
    pub to_look_at: Vec<String>,
}

/// A resubmission's answer to the rejection before it.
#[derive(Debug, Clone)]
pub struct Answers {
    /// The `rejected` event file.
    pub rejected: String,
    /// Its typed date.
    pub on: Date,
    /// The commit the rejection landed in; `None` when it is new in this change.
    pub landed: Option<String>,
    /// What changed in the request since the rejection; `None` when that version cannot be
    /// read.
    pub changes: Option<Vec<FieldChange>>,
    /// Each reason, with the changes that answer it.
    pub reasons: Vec<ReasonAnswer>,
}

/// One rejection reason and what answers it.
#[derive(Debug, Clone)]
pub struct ReasonAnswer {
    /// The carrier's reason code.
    pub code: String,
    /// The carrier's words.
    pub detail: String,
    /// The fields portflow ties to the reason; empty when it cannot tie the code to any.
    pub watches: Vec<&'static str>,
    /// The changed fields among them.
    pub changed: Vec<String>,
}

impl ReasonAnswer {
    /// Whether nothing answers the reason: its fields are known and none changed, or nothing
    /// changed at all.
    pub fn unanswered(&self, any_change: bool) -> bool {
        self.changed.is_empty() && (!self.watches.is_empty() || !any_change)
    }
}

/// A new `scheduled` event that moves an earlier FOC date.
#[derive(Debug, Clone)]
pub struct FocChange {
    /// The new `scheduled` event.
    pub event: String,
    /// The event it supersedes.
    pub replaces: String,
    /// The FOC before.
    pub before: Date,
    /// The FOC now.
    pub after: Date,
}

/// What a change of porting.toml changes.
#[derive(Debug, Clone)]
pub struct PolicyChange {
    /// The keys that differ, dotted (`documents.bill_max_age_days`).
    pub keys: Vec<FieldChange>,
    /// The ports whose LOA digest or findings differ between the base and the head.
    pub ports: Vec<PolicyEffect>,
    /// The ports compared.
    pub compared: usize,
}

/// One port whose LOA or findings differ after a change of porting.toml.
#[derive(Debug, Clone)]
pub struct PolicyEffect {
    /// Port id.
    pub id: String,
    /// Its stage now.
    pub stage: Stage,
    /// Whether its LOA digest differs (the LOA must be signed again).
    pub digest_changed: bool,
    /// Rule codes found now and not on the base.
    pub new_codes: Vec<&'static str>,
    /// Rule codes found on the base and not now.
    pub gone_codes: Vec<&'static str>,
    /// Whether the change also edits the port's own files.
    pub also_edited: bool,
}

/// One fact portflow checked for a submission.
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

/// Escapes text for a Markdown table cell: pipes, line breaks, and HTML outside code spans.
fn text(s: &str) -> String {
    line(&s.replace('|', "\\|"))
}

/// Escapes text for a Markdown line outside tables: line breaks, and HTML outside code
/// spans (inside one, `&lt;` would show literally).
fn line(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ");
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    while !rest.is_empty() {
        let Some(open) = rest.find('`') else {
            out.push_str(&escape_html(rest));
            break;
        };
        out.push_str(&escape_html(&rest[..open]));
        let ticks = rest[open..].len() - rest[open..].trim_start_matches('`').len();
        let fence = &rest[open..open + ticks];
        let body = &rest[open + ticks..];
        // A span closes at the next run of exactly as many backticks; without one, the
        // backticks are literal text.
        match closing(body, ticks) {
            Some(close) => {
                out.push_str(fence);
                out.push_str(&body[..close + ticks]);
                rest = &body[close + ticks..];
            }
            None => {
                out.push_str(fence);
                rest = body;
            }
        }
    }
    out
}

/// Where the run of exactly `ticks` backticks that closes a code span starts in `body`.
fn closing(body: &str, ticks: usize) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
            if run == ticks {
                return Some(i);
            }
            i += run;
        } else {
            i += 1;
        }
    }
    None
}

fn escape_html(s: &str) -> String {
    s.replace('<', "&lt;").replace('>', "&gt;")
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
        out.push_str(" **No blocking errors.**");
    } else {
        out.push_str(&format!(
            " **{} must be fixed before merging.**",
            count(s.blocking_errors, "blocking error", "blocking errors")
        ));
    }
    if s.blocking_warnings > 0 {
        out.push_str(&format!(
            " {} new in this change {} the check only with `--deny-warnings`.",
            count(s.blocking_warnings, "warning", "warnings"),
            if s.blocking_warnings == 1 {
                "fails"
            } else {
                "fail"
            }
        ));
    }
    out.push_str("\n\n");
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
    if let Some(policy) = &s.policy {
        policy_section(&mut out, policy);
    }
    for p in &s.ports {
        port_section(&mut out, p);
    }
    out.push_str("### Findings\n\n");
    out.push_str(&format!(
        "{}, {}; new in this change: {} (blocking), {} (blocking only with `--deny-warnings`).\n",
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
                match (f.blocking, f.severity) {
                    (false, _) => "no (already on the base)",
                    (true, Severity::Error) => "yes",
                    (true, _) => "only with `--deny-warnings`",
                }
            ));
        }
        out.push_str("\n</details>\n");
    }
    out
}

/// One value in a diff block: on one line, unable to close the block.
fn diff_value(v: &str) -> String {
    v.replace(['\n', '\r'], " ").replace("```", "'''")
}

fn diff_block(out: &mut String, changes: &[FieldChange]) {
    out.push_str("```diff\n");
    for c in changes {
        if let Some(before) = &c.before {
            out.push_str(&format!("- {} = {}\n", c.field, diff_value(before)));
        }
        if let Some(after) = &c.after {
            out.push_str(&format!("+ {} = {}\n", c.field, diff_value(after)));
        }
    }
    out.push_str("```\n\n");
}

fn codes_or_dash(codes: &[&str]) -> String {
    if codes.is_empty() {
        "-".to_owned()
    } else {
        codes.iter().map(|c| code(c)).collect::<Vec<_>>().join(", ")
    }
}

fn policy_section(out: &mut String, policy: &PolicyChange) {
    out.push_str("### `porting.toml`\n\n");
    if policy.keys.is_empty() {
        out.push_str("`porting.toml` changed, but none of its values did.\n\n");
    } else {
        out.push_str(&format!(
            "{} changed; every port's findings count for this change:\n\n",
            count(policy.keys.len(), "key", "keys")
        ));
        diff_block(out, &policy.keys);
    }
    if policy.ports.is_empty() {
        out.push_str(&format!(
            "No port's LOA digest or findings change ({} compared with the base).\n\n",
            count(policy.compared, "port", "ports")
        ));
        return;
    }
    out.push_str(&format!(
        "{} of {} compared with the base {} a different LOA digest or other findings:\n\n",
        count(policy.ports.len(), "port", "ports"),
        policy.compared,
        if policy.ports.len() == 1 {
            "gets"
        } else {
            "get"
        }
    ));
    out.push_str("| port | stage | LOA digest | new findings | findings gone |\n");
    out.push_str("| --- | --- | --- | --- | --- |\n");
    for p in &policy.ports {
        out.push_str(&format!(
            "| {}{} | `{}` | {} | {} | {} |\n",
            code(&p.id),
            if p.also_edited {
                " (its files change too)"
            } else {
                ""
            },
            p.stage,
            match (p.digest_changed, p.stage) {
                (false, _) => "same",
                (true, Stage::Rejected) => "changed: have it signed again before resubmitting",
                (true, Stage::Submitted | Stage::Scheduled) => {
                    "changed; the carrier has the signed one"
                }
                (true, Stage::Completed | Stage::Cancelled) => "changed (the port is closed)",
                (true, _) => "changed: have it signed again",
            },
            codes_or_dash(&p.new_codes),
            codes_or_dash(&p.gone_codes),
        ));
    }
    out.push('\n');
}

/// Where a commit is, in words: `at `abcd1234`` or `in this change`.
fn landed(commit: Option<&str>) -> String {
    commit.map_or_else(
        || "in this change".to_owned(),
        |c| format!("at `{}`", c.get(..8).unwrap_or(c)),
    )
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
            let mut item = format!("- {}", code(&e.file));
            if let Some(on) = e.on {
                item.push_str(&format!(" on {on}"));
            }
            if let Some(by) = &e.by {
                item.push_str(&format!(" by {}", line(by)));
            }
            item.push_str(&format!(": {}", line(&e.detail)));
            if let Some(from) = &e.renumbered_from {
                item.push_str(&format!(" (renumbered from {}, unchanged)", code(from)));
            }
            out.push_str(&item);
            out.push('\n');
        }
        out.push('\n');
    }
    for foc in &p.foc_changes {
        let days = foc.after.days_since_epoch() - foc.before.days_since_epoch();
        out.push_str(&format!(
            "**FOC moved** {} → {} ({}{}): {} replaces {}.\n\n",
            foc.before,
            foc.after,
            if days >= 0 { "+" } else { "−" },
            count(days.unsigned_abs(), "day", "days"),
            code(&foc.event),
            code(&foc.replaces)
        ));
    }
    if let Some(loa) = &p.loa {
        let at = landed(loa.commit.as_deref());
        match &loa.changes {
            Some(changes) if changes.is_empty() => out.push_str(&format!(
                "LOA data unchanged since {} (signed {}, landed {at}).\n\n",
                code(&loa.event),
                loa.on
            )),
            Some(changes) => {
                out.push_str(&format!(
                    "LOA data changed since {} (signed {}, landed {at}){}:\n\n",
                    code(&loa.event),
                    loa.on,
                    if loa.covers_current {
                        ""
                    } else {
                        "; **the signature no longer covers it**"
                    }
                ));
                diff_block(out, changes);
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
    for sub in &p.submissions {
        submission_section(out, sub);
    }
}

fn submission_section(out: &mut String, sub: &Submission) {
    out.push_str(&format!(
        "#### Submission {} to {}, requested FOC {}\n\n",
        code(&sub.event),
        line(&sub.carrier),
        sub.requested_foc
    ));
    if let Some(answers) = &sub.answers {
        answers_section(out, answers);
    }
    out.push_str("What the carrier receives (approve this):\n\n");
    out.push_str("| LOA field | value |\n| --- | --- |\n");
    for (field, value) in &sub.fields {
        out.push_str(&format!("| {} | {} |\n", code(field), text(value)));
    }
    let numbers: Vec<String> = sub
        .numbers
        .iter()
        .map(|(number, kind)| match kind {
            Some(kind) => format!("{} ({kind})", code(number)),
            None => code(number),
        })
        .collect();
    out.push_str(&format!(
        "| {} | {} |\n",
        count(sub.numbers.len(), "number", "numbers"),
        numbers.join(", ")
    ));
    out.push_str(&format!("| fee | {} |\n", text(&sub.fee)));
    out.push_str(&format!(
        "| LOA digest | {} |\n",
        sub.digest
            .as_deref()
            .map_or_else(|| "none: the request does not make an LOA".to_owned(), code)
    ));
    out.push_str(&format!(
        "| rendered LOA | {} |\n\n",
        match &sub.loa_link {
            Some(link) => format!("[in the run's artifacts]({link})"),
            None => "`portflow render` (no link given to `summary --loa-link`)".to_owned(),
        }
    ));
    out.push_str("Checked by portflow:\n\n");
    for item in &sub.facts {
        out.push_str(&format!(
            "- {} {}: {}\n",
            if item.ok { "✓" } else { "✗" },
            item.label,
            line(&item.detail)
        ));
    }
    out.push('\n');
    if !sub.to_look_at.is_empty() {
        out.push_str("For the reviewer to look at:\n\n");
        for item in &sub.to_look_at {
            out.push_str(&format!("- [ ] {}\n", line(item)));
        }
        out.push('\n');
    }
}

fn answers_section(out: &mut String, a: &Answers) {
    out.push_str(&format!(
        "A resubmission after {} ({}, landed {}).",
        code(&a.rejected),
        a.on,
        landed(a.landed.as_deref())
    ));
    let any_change = a.changes.as_ref().is_some_and(|c| !c.is_empty());
    match &a.changes {
        Some(changes) if changes.is_empty() => {
            out.push_str(" **Nothing in the request changed since the rejection.**\n\n")
        }
        Some(changes) => {
            out.push_str(" What changed in the request since then:\n\n");
            diff_block(out, changes);
        }
        None => out.push_str(
            " The request at the rejection cannot be read, so its changes cannot be shown.\n\n",
        ),
    }
    out.push_str("| reason | the carrier's words | answered by |\n| --- | --- | --- |\n");
    let fields = |fields: &[String]| {
        fields
            .iter()
            .map(|f| code(f))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for r in &a.reasons {
        let answer = if !r.changed.is_empty() {
            format!("✓ {}", fields(&r.changed))
        } else if !r.unanswered(any_change) {
            "? no field is known for this code: compare the changes above by hand".to_owned()
        } else if r.watches.is_empty() {
            "⚠ nothing changed".to_owned()
        } else {
            let watched: Vec<String> = r.watches.iter().map(|f| (*f).to_owned()).collect();
            format!("⚠ nothing: no change to {}", fields(&watched))
        };
        out.push_str(&format!(
            "| {} | {} | {answer} |\n",
            code(&r.code),
            text(&r.detail)
        ));
    }
    out.push('\n');
    let open: Vec<String> = a
        .reasons
        .iter()
        .filter(|r| r.unanswered(any_change))
        .map(|r| code(&r.code))
        .collect();
    if !open.is_empty() {
        out.push_str(&format!(
            "> **Warning:** {} {} no change that answers {}: {}. The carrier will likely reject the port again.\n\n",
            count(open.len(), "rejection reason", "rejection reasons"),
            if open.len() == 1 { "has" } else { "have" },
            if open.len() == 1 { "it" } else { "them" },
            open.join(", ")
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_outside_code_spans_only() {
        assert_eq!(
            line("`<none>` is not <b>bold</b>"),
            "`<none>` is not &lt;b&gt;bold&lt;/b&gt;"
        );
        // A double-backtick span holds single backticks; an unclosed backtick is text.
        assert_eq!(line("``a`<b>`` <c>"), "``a`<b>`` &lt;c&gt;");
        assert_eq!(line("a ` <b>"), "a ` &lt;b&gt;");
        assert_eq!(line("two\nlines"), "two lines");
    }

    #[test]
    fn table_cells_escape_pipes_inside_code_spans_too() {
        assert_eq!(text("`a|b` | <c>"), "`a\\|b` \\| &lt;c&gt;");
    }

    #[test]
    fn a_reason_is_unanswered_when_its_fields_did_not_change() {
        let reason = |watches: Vec<&'static str>, changed: Vec<String>| ReasonAnswer {
            code: "x".to_owned(),
            detail: String::new(),
            watches,
            changed,
        };
        assert!(reason(vec!["end_user.name"], vec![]).unanswered(true));
        assert!(!reason(vec!["end_user.name"], vec!["end_user.name".to_owned()]).unanswered(true));
        // A code tied to no field: unanswered only when nothing changed at all.
        assert!(!reason(vec![], vec![]).unanswered(true));
        assert!(reason(vec![], vec![]).unanswered(false));
    }
}
