//! When an open port should complete, learned from the repo's own history: the p50 and p90
//! of the time left, from the ports of the same country and losing carrier that completed.

use std::collections::BTreeMap;

use crate::model::Date;
use crate::model::timeline::{DAY, PortTimeline};
use crate::stage::Stage;

/// Where an estimate's figures come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// Completed ports of the same country and losing carrier.
    CountryAndCarrier,
    /// Completed ports of the same country, any losing carrier: no port of this carrier has
    /// completed through this stage yet.
    Country,
}

impl Basis {
    /// The name in JSON and on the board.
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::CountryAndCarrier => "country+carrier",
            Basis::Country => "country",
        }
    }
}

/// An open port's estimate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eta {
    /// Median days left (whole days, rounded up).
    pub p50_days: i64,
    /// 90th percentile of the days left.
    pub p90_days: i64,
    /// The day of `p50_days` after `--today`.
    pub p50_date: Date,
    /// The day of `p90_days` after `--today`.
    pub p90_date: Date,
    /// Which completed ports the figures come from.
    pub basis: Basis,
    /// How many completed ports they come from.
    pub ports: usize,
}

/// A port as the estimate sees it: its timeline and what it is grouped by.
#[derive(Debug, Clone, Copy)]
pub struct Sample<'a> {
    /// The port's timeline from git.
    pub timeline: &'a PortTimeline,
    /// Its country.
    pub country: Option<&'a str>,
    /// Its losing carrier, as the request names it.
    pub losing_carrier: Option<&'a str>,
}

/// A carrier name as grouped: case, spaces and punctuation around words do not count
/// ("AT&T Mobility" and "at&t  mobility" are one carrier).
fn carrier_key(name: &str) -> String {
    name.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// How long each completed port took from first entering each stage to its completion,
/// in seconds, by country and carrier; each list of durations sorted.
#[derive(Debug, Default)]
pub struct Learned {
    /// (country, carrier key) → stage → durations.
    by_carrier: BTreeMap<(String, String), BTreeMap<Stage, Vec<i64>>>,
    /// country → stage → durations.
    by_country: BTreeMap<String, BTreeMap<Stage, Vec<i64>>>,
}

impl Learned {
    /// Learns from every completed port among `ports`.
    pub fn from(ports: &[Sample<'_>]) -> Learned {
        let mut learned = Learned::default();
        for port in ports {
            let line = port.timeline;
            if line.stage != Stage::Completed {
                continue;
            }
            let Some(country) = port.country else {
                continue;
            };
            let Some(done) = line
                .periods
                .iter()
                .find(|p| p.stage == Stage::Completed)
                .map(|p| p.from.time)
            else {
                continue;
            };
            let mut entered: BTreeMap<Stage, i64> = BTreeMap::new();
            for p in line
                .periods
                .iter()
                .take_while(|p| p.stage != Stage::Completed)
            {
                entered.entry(p.stage).or_insert(p.from.time);
            }
            for (stage, since) in entered {
                let took = done - since;
                if let Some(carrier) = port.losing_carrier {
                    learned
                        .by_carrier
                        .entry((country.to_owned(), carrier_key(carrier)))
                        .or_default()
                        .entry(stage)
                        .or_default()
                        .push(took);
                }
                learned
                    .by_country
                    .entry(country.to_owned())
                    .or_default()
                    .entry(stage)
                    .or_default()
                    .push(took);
            }
        }
        let lists = learned
            .by_carrier
            .values_mut()
            .chain(learned.by_country.values_mut())
            .flat_map(BTreeMap::values_mut);
        for durations in lists {
            durations.sort_unstable();
        }
        learned
    }

    /// The estimate for an open port, `None` for a finished one, one whose current stage is
    /// not committed, or one no completed port says anything about. Of the completed ports
    /// that went through the port's stage, only those that spent longer from there than the
    /// port has spent in it so far count: the time left is what they took beyond that.
    pub fn eta(&self, port: &Sample<'_>, today: Date) -> Option<Eta> {
        let line = port.timeline;
        if line.stage.is_terminal() {
            return None;
        }
        let spent = line.current()?.seconds;
        let country = port.country?;
        let by_carrier = port.losing_carrier.and_then(|carrier| {
            let durations = self
                .by_carrier
                .get(&(country.to_owned(), carrier_key(carrier)))?
                .get(&line.stage)?;
            longer(durations, spent).map(|left| (left, Basis::CountryAndCarrier))
        });
        let (longer, basis) = by_carrier.or_else(|| {
            let durations = self.by_country.get(country)?.get(&line.stage)?;
            longer(durations, spent).map(|left| (left, Basis::Country))
        })?;
        // The time left is what each took beyond `spent`: the order is the same.
        let p50_days = days_up(percentile(longer, 50) - spent);
        let p90_days = days_up(percentile(longer, 90) - spent);
        Some(Eta {
            p50_days,
            p90_days,
            p50_date: today.add_days(p50_days)?,
            p90_date: today.add_days(p90_days)?,
            basis,
            ports: longer.len(),
        })
    }
}

/// The durations longer than `spent`, of sorted `durations`; `None` when none is.
fn longer(durations: &[i64], spent: i64) -> Option<&[i64]> {
    let longer = &durations[durations.partition_point(|d| *d <= spent)..];
    (!longer.is_empty()).then_some(longer)
}

/// The nearest-rank percentile of sorted, non-empty values: the smallest value that at
/// least `p` percent of the values are no greater than.
pub fn percentile(sorted: &[i64], p: usize) -> i64 {
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

/// Whole days, rounded up: time left is counted from the end of `--today`, so anything
/// left lands on a later day.
pub fn days_up(seconds: i64) -> i64 {
    (seconds + DAY - 1).div_euclid(DAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&values, 50), 5);
        assert_eq!(percentile(&values, 90), 9);
        assert_eq!(percentile(&[7], 90), 7);
        assert_eq!(percentile(&[1, 2, 3], 50), 2);
        assert_eq!(percentile(&[1, 2, 3], 90), 3);
    }

    #[test]
    fn only_durations_longer_than_the_time_spent_count() {
        assert_eq!(longer(&[5, 10, 20, 30], 8), Some(&[10, 20, 30][..]));
        assert_eq!(longer(&[5, 10], 10), None);
    }

    #[test]
    fn days_left_round_up() {
        assert_eq!(days_up(1), 1);
        assert_eq!(days_up(DAY), 1);
        assert_eq!(days_up(DAY + 1), 2);
    }

    #[test]
    fn carriers_group_without_case_or_spacing() {
        assert_eq!(
            carrier_key("  AT&T   Mobility "),
            carrier_key("at&t mobility")
        );
    }
}
