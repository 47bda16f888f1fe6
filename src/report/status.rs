//! `portflow status`: one row per port, as a table or JSON; with git, time in stage, the
//! SLA clock and who recorded the latest event.

use rayon::prelude::*;
use serde::Serialize;

use super::printable;
use super::text::{align, fmt_utc};
use crate::model::Date;
use crate::model::eta::Eta;
use crate::model::timeline::{DAY, PortTimeline};
use crate::stage::Stage;

/// The version of the JSON document's shape (`"version"`), raised when a field changes
/// meaning or goes away; `schemas/output/status.schema.json` describes it.
pub const VERSION: u32 = 1;

/// One port's line in the status report.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Port id.
    pub port: String,
    /// Repo-relative folder.
    pub dir: String,
    /// Our customer account, `account` or `agency/sub-account`.
    pub account: Option<String>,
    /// The agency, when the account is an agency's sub-account.
    pub agency: Option<String>,
    /// Country of the numbers.
    pub country: Option<String>,
    /// The losing carrier, as printed on the bill.
    pub losing_carrier: Option<String>,
    /// How many numbers.
    pub numbers: usize,
    /// Stage.
    pub stage: Stage,
    /// The FOC date of the latest `scheduled` event, while it stands.
    pub foc: Option<Date>,
    /// Days from `--today` to the FOC (negative once it passed); only for open ports.
    pub days_to_foc: Option<i64>,
    /// What to do next.
    pub next_action: String,
    /// Error findings in the port.
    pub errors: usize,
    /// Warning findings in the port.
    pub warnings: usize,
    /// Times from git; absent when git history is unavailable.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub times: Option<Times>,
    /// When an open port should complete, learned from the completed ports of its country
    /// and losing carrier; `None` when git history is unavailable or nothing was learned.
    pub eta: Option<EtaOut>,
}

/// An estimate as reported.
#[derive(Debug, Clone, Serialize)]
pub struct EtaOut {
    /// Median days left after `--today`.
    pub p50_days: i64,
    /// 90th percentile of the days left.
    pub p90_days: i64,
    /// The median's day.
    pub p50_date: String,
    /// The 90th percentile's day.
    pub p90_date: String,
    /// `country+carrier`, or `country` when no port of the carrier completed from this stage.
    pub basis: &'static str,
    /// How many completed ports the figures come from.
    pub completed_ports: usize,
}

impl EtaOut {
    /// The reported form of an estimate.
    pub fn of(eta: &Eta) -> EtaOut {
        EtaOut {
            p50_days: eta.p50_days,
            p90_days: eta.p90_days,
            p50_date: eta.p50_date.to_string(),
            p90_date: eta.p90_date.to_string(),
            basis: eta.basis.as_str(),
            completed_ports: eta.ports,
        }
    }
}

/// The agency part of an account path: `northwind-agency` of
/// `northwind-agency/lakeside-dental`; `None` for an account of its own.
pub fn agency_of(account: &str) -> Option<&str> {
    account.split_once('/').map(|(agency, _)| agency)
}

impl Row {
    /// Sets the FOC and, for a port still open, the days from `today` to it.
    pub fn with_foc(mut self, foc: Option<Date>, today: Date) -> Row {
        self.foc = foc;
        self.days_to_foc = foc
            .filter(|_| !self.stage.is_terminal())
            .map(|d| d.days_since_epoch() - today.days_since_epoch());
        self
    }

    fn foc_cell(&self) -> String {
        let Some(foc) = self.foc else {
            return "-".to_owned();
        };
        match self.days_to_foc {
            None => foc.to_string(),
            Some(0) => format!("{foc} today"),
            Some(d) if d > 0 => format!("{foc} in {d}d"),
            Some(d) => format!("{foc} {}d ago", -d),
        }
    }
}

/// Who recorded an event: the author of the commit that created its file.
#[derive(Debug, Clone, Serialize)]
pub struct Owner {
    /// The author's name.
    pub name: String,
    /// The author's e-mail address.
    pub email: String,
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
    /// Who recorded the latest event; `None` without events or while the latest is not
    /// committed.
    pub owner: Option<Owner>,
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
            // A file named out of the NNN-<kind> pattern is not part of the log.
            owner: line
                .events
                .iter()
                .rev()
                .find(|e| e.number.is_some() && e.kind.is_some())
                .and_then(|e| e.created.as_ref())
                .map(|c| Owner {
                    name: c.author.name.clone(),
                    email: c.author.email.clone(),
                }),
        }
    }

    fn owner_cell(&self) -> String {
        self.owner
            .as_ref()
            .map_or_else(|| "-".to_owned(), |o| o.name.clone())
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

/// An aligned plain-text table; the time and owner columns appear when git history is
/// available.
pub fn table(rows: &[Row]) -> String {
    let timed = rows.iter().any(|r| r.times.is_some());
    let mut header = vec![
        "PORT", "ACCOUNT", "COUNTRY", "CARRIER", "NUMBERS", "STAGE", "FOC",
    ];
    if timed {
        header.extend(["IN STAGE", "SLA", "OWNER"]);
    }
    header.extend(["FINDINGS", "NEXT ACTION"]);
    let dash = || "-".to_owned();
    let cells: Vec<Vec<String>> = rows
        .par_iter()
        .map(|r| {
            let mut row = vec![
                r.port.clone(),
                r.account.clone().unwrap_or_else(dash),
                r.country.clone().unwrap_or_else(dash),
                r.losing_carrier.clone().unwrap_or_else(dash),
                r.numbers.to_string(),
                r.stage.to_string(),
                r.foc_cell(),
            ];
            if timed {
                match &r.times {
                    Some(t) => row.extend([t.in_stage_cell(), t.sla_cell(), t.owner_cell()]),
                    None => row.extend([dash(), dash(), dash()]),
                }
            }
            row.push(match (r.errors, r.warnings) {
                (0, 0) => dash(),
                (e, 0) => format!("{e}E"),
                (0, w) => format!("{w}W"),
                (e, w) => format!("{e}E {w}W"),
            });
            row.push(r.next_action.clone());
            // Carrier names and commit authors are free text: a line break or an escape
            // sequence in one must not break the table or reach the terminal.
            row.into_iter().map(one_line).collect()
        })
        .collect();
    let header: Vec<String> = header.into_iter().map(str::to_owned).collect();
    align(&header, &cells)
}

/// A cell's text on one line: line breaks and tabs as spaces, escape sequences made harmless.
fn one_line(cell: String) -> String {
    let harmless = |c: char| !c.is_control();
    if cell.chars().all(harmless) {
        return cell;
    }
    printable(&cell).replace(['\n', '\r', '\t'], " ")
}

/// One JSON document: `{ "version": 1, "today": …, "ports": [...] }`.
pub fn json(rows: &[Row], today: Date) -> String {
    let doc = serde_json::json!({
        "version": VERSION,
        "today": today.to_string(),
        "ports": rows,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agencies_are_the_first_part_of_an_account_path() {
        assert_eq!(
            agency_of("northwind-agency/lakeside-dental"),
            Some("northwind-agency")
        );
        assert_eq!(agency_of("lakeside-dental"), None);
    }
}
