//! `portflow history <port>`: a port's events with when they landed in git, who recorded
//! them, and its stages over time, as a table or JSON.

use serde_json::{Value, json};

use super::text::{align, fmt_duration, fmt_utc, fmt_utc_minutes};
use crate::model::timeline::{CommitInfo, DAY, PortTimeline, SlaClock};
use crate::plural::count;

/// The version of the JSON document's shape (`"version"`), raised when a field changes
/// meaning or goes away; `schemas/output/history.schema.json` describes it.
pub const VERSION: u32 = 1;

fn short_id(commit: &CommitInfo) -> String {
    commit.id.get(..8).unwrap_or(&commit.id).to_owned()
}

/// How the typed date compares with the landing, for the CHECK column.
fn date_check(days: Option<i64>) -> String {
    match days {
        None => "-".to_owned(),
        Some(d) if d.abs() <= 1 => "ok".to_owned(),
        Some(d) if d > 0 => format!("landed {d}d after `on`"),
        Some(d) => format!("landed {}d before `on`", -d),
    }
}

/// An SLA clock in words: `domestic window 14-28 days; 6 days counted since 2026-11-20
/// 12:00 UTC (0 days paused while rejected): running`.
pub fn sla_sentence(s: &SlaClock) -> String {
    format!(
        "{} window {}-{} days; {} counted since {} UTC ({} paused while rejected): {}",
        s.kind.as_str(),
        s.window[0],
        s.window[1],
        count(s.elapsed_days(), "day", "days"),
        fmt_utc_minutes(s.started.time),
        count(s.paused.div_euclid(DAY), "day", "days"),
        s.state.as_str()
    )
}

/// The history as text: a heading, the SLA line, the events, and the stages.
pub fn table(line: &PortTimeline) -> String {
    let mut out = format!("port {} ({})\n", line.id, line.dir);
    match line.current() {
        Some(p) => out.push_str(&format!(
            "stage: {} for {} (since {} UTC, commit {})\n",
            line.stage,
            fmt_duration(p.seconds),
            fmt_utc_minutes(p.from.time),
            short_id(&p.from)
        )),
        None if line.uncommitted_stage => {
            out.push_str(&format!("stage: {} (not committed yet)\n", line.stage))
        }
        None => out.push_str(&format!("stage: {}\n", line.stage)),
    }
    match &line.sla {
        Some(s) => out.push_str(&format!("sla: {}\n", sla_sentence(s))),
        None => {
            out.push_str("sla: no clock (not submitted, cancelled, or no SLA for the country)\n")
        }
    }
    out.push('\n');

    let header: Vec<String> = [
        "EVENT",
        "ON",
        "LANDED (UTC)",
        "COMMIT",
        "RECORDED BY",
        "AFTER PREVIOUS",
        "CHECK",
    ]
    .map(str::to_owned)
    .to_vec();
    let rows: Vec<Vec<String>> = line
        .events
        .iter()
        .map(|e| {
            let name = if e.voided {
                format!("{} (voided)", e.file)
            } else {
                e.file.clone()
            };
            vec![
                name,
                e.on.map_or_else(|| "-".to_owned(), |d| d.to_string()),
                e.landed
                    .as_ref()
                    .map_or_else(|| "not committed".to_owned(), |c| fmt_utc_minutes(c.time)),
                e.landed.as_ref().map_or_else(|| "-".to_owned(), short_id),
                e.created
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |c| c.author.name.clone()),
                e.since_previous
                    .map_or_else(|| "-".to_owned(), fmt_duration),
                date_check(e.on_to_landed_days),
            ]
        })
        .collect();
    if rows.is_empty() {
        out.push_str("no events\n");
    } else {
        out.push_str(&align(&header, &rows));
    }
    out.push('\n');

    let header: Vec<String> = ["STAGE", "FROM (UTC)", "TO (UTC)", "DURATION"]
        .map(str::to_owned)
        .to_vec();
    let rows: Vec<Vec<String>> = line
        .periods
        .iter()
        .map(|p| {
            vec![
                p.stage.to_string(),
                format!("{} {}", fmt_utc_minutes(p.from.time), short_id(&p.from)),
                p.to.as_ref().map_or_else(
                    || "now".to_owned(),
                    |t| format!("{} {}", fmt_utc_minutes(t.time), short_id(t)),
                ),
                fmt_duration(p.seconds),
            ]
        })
        .collect();
    if rows.is_empty() {
        out.push_str("no committed stages\n");
    } else {
        out.push_str(&align(&header, &rows));
    }
    out
}

fn commit_json(c: &CommitInfo) -> Value {
    json!({
        "commit": c.id,
        "time": fmt_utc(c.time),
        "author": { "name": c.author.name, "email": c.author.email },
    })
}

/// The history as one JSON document.
pub fn json(line: &PortTimeline) -> String {
    let events: Vec<Value> = line
        .events
        .iter()
        .map(|e| {
            json!({
                "file": e.file,
                "number": e.number,
                "kind": e.kind.map(|k| k.as_str()),
                "on": e.on.map(|d| d.to_string()),
                "voided": e.voided,
                "landed": e.landed.as_ref().map(commit_json),
                "created": e.created.as_ref().map(commit_json),
                "seconds_since_previous": e.since_previous,
                "on_to_landed_days": e.on_to_landed_days,
                "dates_disagree": e.dates_disagree(),
            })
        })
        .collect();
    let periods: Vec<Value> = line
        .periods
        .iter()
        .map(|p| {
            json!({
                "stage": p.stage,
                "from": commit_json(&p.from),
                "to": p.to.as_ref().map(commit_json),
                "seconds": p.seconds,
            })
        })
        .collect();
    let doc = json!({
        "version": VERSION,
        "port": line.id,
        "dir": line.dir,
        "stage": line.stage,
        "stage_committed": !line.uncommitted_stage,
        "stage_since": line.current().map(|p| fmt_utc(p.from.time)),
        "in_stage_days": line.days_in_stage(),
        "sla": line.sla.as_ref().map(|s| json!({
            "window": s.kind.as_str(),
            "min_days": s.window[0],
            "max_days": s.window[1],
            "started": commit_json(&s.started),
            "elapsed_days": s.elapsed_days(),
            "paused_days": s.paused.div_euclid(DAY),
            "state": s.state.as_str(),
            "overdue": s.overdue(),
        })),
        "events": events,
        "stages": periods,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
