//! A port's history as data: commits, events with their landings, stages over time and
//! the SLA clock. Built from git by `git::scan`; rendered by `report`.

use serde::{Deserialize, Serialize};

use crate::model::Date;
use crate::model::event::EventKind;
use crate::stage::Stage;

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// Who made a commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// The name.
    pub name: String,
    /// The e-mail address.
    pub email: String,
}

/// A commit, as timelines show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitInfo {
    /// Full hex id.
    pub id: String,
    /// Committer time, seconds since the epoch.
    pub time: i64,
    /// The committer's UTC offset in minutes.
    pub offset_minutes: i32,
    /// The author.
    pub author: Person,
}

impl CommitInfo {
    /// The committer's local calendar date.
    pub fn local_date(&self) -> Option<Date> {
        let local = self.time + i64::from(self.offset_minutes) * 60;
        Date::from_days(local.div_euclid(DAY))
    }
}

/// One event of a port with where git says it came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventLine {
    /// The file name, e.g. `003-rejected.toml`.
    pub file: String,
    /// Its NNN, when the name has one.
    pub number: Option<u32>,
    /// Its kind, from the name.
    pub kind: Option<EventKind>,
    /// The typed date, when the file is valid.
    pub on: Option<Date>,
    /// Whether a `void` event voids it.
    pub voided: bool,
    /// The first commit on HEAD's first-parent line that contains it; `None` when it is
    /// not committed yet.
    pub landed: Option<CommitInfo>,
    /// The commit that created the file (its author is who recorded the event).
    pub created: Option<CommitInfo>,
    /// Seconds from the previous event's landing to this one's.
    pub since_previous: Option<i64>,
    /// Days from the typed `on` date to the landing's local date (positive: landed later).
    pub on_to_landed_days: Option<i64>,
}

impl EventLine {
    /// Whether the typed date and the landing disagree by more than a day.
    pub fn dates_disagree(&self) -> bool {
        self.on_to_landed_days.is_some_and(|d| d.abs() > 1)
    }
}

/// A stretch of time a port spent in one stage.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Period {
    /// The stage.
    pub stage: Stage,
    /// The commit that brought the port into it.
    pub from: CommitInfo,
    /// The commit that took it out, `None` while it lasts.
    pub to: Option<CommitInfo>,
    /// Its length in seconds (up to the end of `--today` while it lasts).
    pub seconds: i64,
}

/// Which SLA window applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SlaKind {
    /// Self-serve countries.
    Domestic,
    /// Assisted countries.
    International,
}

impl SlaKind {
    /// The name in porting.toml's `[sla]`.
    pub fn as_str(self) -> &'static str {
        match self {
            SlaKind::Domestic => "domestic",
            SlaKind::International => "international",
        }
    }
}

/// Where a port stands against its SLA window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SlaState {
    /// Open, within the window.
    Running,
    /// Open and rejected: the clock is paused.
    Paused,
    /// Open past the window's end.
    Overdue,
    /// Completed within the window.
    Met,
    /// Completed after the window's end.
    Late,
}

impl SlaState {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            SlaState::Running => "running",
            SlaState::Paused => "paused",
            SlaState::Overdue => "overdue",
            SlaState::Met => "met",
            SlaState::Late => "late",
        }
    }

    /// Whether the window was or is exceeded.
    pub fn breached(self) -> bool {
        matches!(self, SlaState::Overdue | SlaState::Late)
    }
}

/// The SLA clock of a submitted port: from the first submission to completion, time spent
/// `rejected` excluded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SlaClock {
    /// Domestic or international.
    pub kind: SlaKind,
    /// The window, `[min, max]` days.
    pub window: [u32; 2],
    /// The commit of the first submission.
    pub started: CommitInfo,
    /// Seconds counted so far (or until completion).
    pub elapsed: i64,
    /// Seconds spent rejected (not counted).
    pub paused: i64,
    /// Where it stands.
    pub state: SlaState,
}

impl SlaClock {
    /// Whole days counted.
    pub fn elapsed_days(&self) -> i64 {
        self.elapsed.div_euclid(DAY)
    }

    /// Whether the port is still open and past the window.
    pub fn overdue(&self) -> bool {
        self.state == SlaState::Overdue
    }
}

/// A port's history: its events with their landings and its stages over time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PortTimeline {
    /// Port id.
    pub id: String,
    /// Repo-relative folder.
    pub dir: String,
    /// The stage now (from the files on disk).
    pub stage: Stage,
    /// Events in file order.
    pub events: Vec<EventLine>,
    /// Committed stages, oldest first.
    pub periods: Vec<Period>,
    /// Whether the files on disk give a stage the last commit did not (uncommitted change).
    pub uncommitted_stage: bool,
    /// The SLA clock, once submitted (not for cancelled ports or unknown countries).
    pub sla: Option<SlaClock>,
}

impl PortTimeline {
    /// The current stage's period, when it is committed.
    pub fn current(&self) -> Option<&Period> {
        if self.uncommitted_stage {
            return None;
        }
        self.periods.last().filter(|p| p.stage == self.stage)
    }

    /// Whole days in the current stage.
    pub fn days_in_stage(&self) -> Option<i64> {
        self.current().map(|p| p.seconds.div_euclid(DAY))
    }
}

/// The end of `today` (UTC), the "now" of every duration.
pub fn end_of(today: Date) -> i64 {
    (today.days_since_epoch() + 1) * DAY
}

/// The SLA clock from a port's periods: starts at the first submission, pauses while
/// rejected, stops at completion; none before submission or once cancelled.
pub fn sla_clock(periods: &[Period], kind: SlaKind, window: [u32; 2]) -> Option<SlaClock> {
    let start = periods.iter().position(|p| p.stage.is_after_submission())?;
    let mut elapsed = 0;
    let mut paused = 0;
    let mut completed = false;
    for p in &periods[start..] {
        match p.stage {
            Stage::Completed => {
                completed = true;
                break;
            }
            Stage::Cancelled => return None,
            Stage::Rejected => paused += p.seconds,
            _ => elapsed += p.seconds,
        }
    }
    let over = elapsed > i64::from(window[1]) * DAY;
    let rejected_now = periods.last().is_some_and(|p| p.stage == Stage::Rejected);
    let state = match (completed, over) {
        (true, false) => SlaState::Met,
        (true, true) => SlaState::Late,
        (false, true) => SlaState::Overdue,
        (false, false) if rejected_now => SlaState::Paused,
        (false, false) => SlaState::Running,
    };
    Some(SlaClock {
        kind,
        window,
        started: periods[start].from.clone(),
        elapsed,
        paused,
        state,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(time: i64) -> CommitInfo {
        CommitInfo {
            id: format!("{time:040x}"),
            time,
            offset_minutes: 0,
            author: Person {
                name: "Ana Souza".to_owned(),
                email: "ana.souza@example.com".to_owned(),
            },
        }
    }

    /// Periods from (stage, start day) marks, the last one lasting until `now_day`.
    fn periods(marks: &[(Stage, i64)], now_day: i64) -> Vec<Period> {
        marks
            .iter()
            .enumerate()
            .map(|(i, (stage, day))| {
                let end = marks.get(i + 1).map_or(now_day, |(_, d)| *d);
                Period {
                    stage: *stage,
                    from: info(day * DAY),
                    to: marks.get(i + 1).map(|(_, d)| info(d * DAY)),
                    seconds: (end - day) * DAY,
                }
            })
            .collect()
    }

    #[test]
    fn sla_clock_pauses_while_rejected_and_stops_at_completion() {
        let marks = [
            (Stage::Ready, 0),
            (Stage::Submitted, 2),
            (Stage::Rejected, 10),
            (Stage::Submitted, 30),
            (Stage::Completed, 40),
        ];
        let clock = sla_clock(&periods(&marks, 100), SlaKind::Domestic, [14, 28]).unwrap();
        assert_eq!(clock.elapsed_days(), 18);
        assert_eq!(clock.paused, 20 * DAY);
        assert_eq!(clock.state, SlaState::Met);
        assert_eq!(clock.started.time, 2 * DAY);

        let open = sla_clock(&periods(&marks[..4], 50), SlaKind::Domestic, [14, 28]).unwrap();
        assert_eq!(open.elapsed_days(), 28);
        assert_eq!(open.state, SlaState::Running);
        // One second past the window's end is overdue.
        let mut over = periods(&marks[..4], 50);
        over[3].seconds += 1;
        let over = sla_clock(&over, SlaKind::Domestic, [14, 28]).unwrap();
        assert_eq!(over.state, SlaState::Overdue);
        assert!(over.overdue());

        let paused = sla_clock(&periods(&marks[..3], 50), SlaKind::Domestic, [14, 28]).unwrap();
        assert_eq!(paused.state, SlaState::Paused);
    }

    #[test]
    fn no_sla_clock_before_submission_or_once_cancelled() {
        let before = periods(&[(Stage::Draft, 0), (Stage::Ready, 3)], 60);
        assert!(sla_clock(&before, SlaKind::Domestic, [14, 28]).is_none());
        let cancelled = periods(&[(Stage::Submitted, 0), (Stage::Cancelled, 3)], 60);
        assert!(sla_clock(&cancelled, SlaKind::Domestic, [14, 28]).is_none());
    }

    #[test]
    fn the_end_of_today_is_the_next_midnight() {
        assert_eq!(end_of(Date::new(2026, 11, 25).unwrap()), 1_795_651_200);
    }
}
