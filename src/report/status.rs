//! `portflow status`: one row per port, as a table or JSON; with git, time in stage and the
//! SLA clock.

use serde::Serialize;

use super::text::{align, fmt_utc};
use crate::model::timeline::{DAY, PortTimeline};
use crate::stage::Stage;

/// One port's line in the status report.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Port id.
    pub port: String,
    /// Repo-relative folder.
    pub dir: String,
    /// Country of the numbers.
    pub country: Option<String>,
    /// How many numbers.
    pub numbers: usize,
    /// Stage.
    pub stage: Stage,
    /// What to do next.
    pub next_action: String,
    /// Error findings in the port.
    pub errors: usize,
    /// Warning findings in the port.
    pub warnings: usize,
    /// Times from git; absent when git history is unavailable.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub times: Option<Times>,
}

/// What git says about a port's clock.
#[derive(Debug, Clone, Serialize)]
pub struct Times {
    /// When the current stage began (committer time, UTC); `None` when the stage is not
    /// committed yet.
    pub stage_since: Option<String>,
    /// Whole days in the current stage, up to the end of `--today`.
    pub in_stage_days: Option<i64>,
    /// The SLA clock, once the port has been submitted.
    pub sla: Option<Sla>,
    /// Whether the port is open and past its SLA window.
    pub overdue: bool,
}

/// The SLA clock as reported.
#[derive(Debug, Clone, Serialize)]
pub struct Sla {
    /// `domestic` or `international`.
    pub window: &'static str,
    /// Fewest expected days.
    pub min_days: u32,
    /// Most allowed days.
    pub max_days: u32,
    /// Days counted since the first submission (rejected time excluded).
    pub elapsed_days: i64,
    /// Days the clock was paused while rejected.
    pub paused_days: i64,
    /// When the clock started (the first submission's commit, UTC).
    pub started: String,
    /// `running`, `paused`, `overdue`, `met` or `late`.
    pub state: &'static str,
}

impl Times {
    /// The times of a port's timeline.
    pub fn of(line: &PortTimeline) -> Times {
        Times {
            stage_since: line.current().map(|p| fmt_utc(p.from.time)),
            in_stage_days: line.days_in_stage(),
            sla: line.sla.as_ref().map(|s| Sla {
                window: s.kind.as_str(),
                min_days: s.window[0],
                max_days: s.window[1],
                elapsed_days: s.elapsed_days(),
                paused_days: s.paused.div_euclid(DAY),
                started: fmt_utc(s.started.time),
                state: s.state.as_str(),
            }),
            overdue: line.sla.as_ref().is_some_and(|s| s.overdue()),
        }
    }

    fn in_stage_cell(&self) -> String {
        self.in_stage_days
            .map_or_else(|| "-".to_owned(), |d| format!("{d}d"))
    }

    fn sla_cell(&self) -> String {
        match &self.sla {
            None => "-".to_owned(),
            Some(s) => {
                // Upper case for the one state that needs someone to act.
                let flag = match s.state {
                    "overdue" => " OVERDUE",
                    "running" => "",
                    other => other,
                };
                let flag = if flag.is_empty() || flag.starts_with(' ') {
                    flag.to_owned()
                } else {
                    format!(" {flag}")
                };
                format!("{}/{}d{flag}", s.elapsed_days, s.max_days)
            }
        }
    }
}

/// An aligned plain-text table; the time columns appear when git history is available.
pub fn table(rows: &[Row]) -> String {
    let timed = rows.iter().any(|r| r.times.is_some());
    let mut header = vec!["PORT", "COUNTRY", "NUMBERS", "STAGE"];
    if timed {
        header.extend(["IN STAGE", "SLA"]);
    }
    header.extend(["FINDINGS", "NEXT ACTION"]);
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut row = vec![
                r.port.clone(),
                r.country.clone().unwrap_or_else(|| "-".to_owned()),
                r.numbers.to_string(),
                r.stage.to_string(),
            ];
            if timed {
                match &r.times {
                    Some(t) => row.extend([t.in_stage_cell(), t.sla_cell()]),
                    None => row.extend(["-".to_owned(), "-".to_owned()]),
                }
            }
            row.push(match (r.errors, r.warnings) {
                (0, 0) => "-".to_owned(),
                (e, 0) => format!("{e}E"),
                (0, w) => format!("{w}W"),
                (e, w) => format!("{e}E {w}W"),
            });
            row.push(r.next_action.clone());
            row
        })
        .collect();
    let header: Vec<String> = header.into_iter().map(str::to_owned).collect();
    align(&header, &cells)
}

/// One JSON document: `{ "ports": [...] }`.
pub fn json(rows: &[Row]) -> String {
    let mut text =
        serde_json::to_string_pretty(&serde_json::json!({ "ports": rows })).unwrap_or_default();
    text.push('\n');
    text
}
