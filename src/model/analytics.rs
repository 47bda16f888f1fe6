//! Desk analytics computed from every port's timeline: SLA breaches, stuck ports, median
//! time per stage, rejection reasons and ports per country and stage.

use std::collections::BTreeMap;

use crate::model::Date;
use crate::model::timeline::{DAY, PortTimeline, SlaState};
use crate::plural::count;
use crate::stage::Stage;

/// A port waiting for a signature or for documents longer than this many days is stuck.
pub const STUCK_AFTER_DAYS: i64 = 7;

/// What the report needs to know about one port.
#[derive(Debug, Clone)]
pub struct PortFacts<'a> {
    /// Its timeline from git.
    pub timeline: &'a PortTimeline,
    /// Its country, when the request is valid.
    pub country: Option<String>,
    /// Its customer account (`account` or `agency/sub-account`), when the request is valid.
    pub account: Option<String>,
    /// The reason codes of its rejections (voided ones left out), one per reason.
    pub rejection_codes: Vec<String>,
    /// The reason codes of its latest live rejection.
    pub latest_rejection: Vec<String>,
    /// The partner carrier of its latest live submission.
    pub carrier: Option<String>,
    /// The FOC of its latest live `scheduled` event.
    pub foc: Option<Date>,
}

/// How long a port may wait on someone else before the report lists it, from porting.toml
/// `[sla]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waits {
    /// Days a `rejected` port may wait on the customer.
    pub customer_days: u32,
    /// Days a `submitted` port may wait for the carrier's answer.
    pub carrier_days: u32,
}

/// Who a waiting port is waiting on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitingOn {
    /// The customer, to resolve a rejection (`rejected`).
    Customer,
    /// The carrier, to answer a submission (`submitted`).
    Carrier,
}

/// A port waiting on the customer or the carrier for longer than porting.toml allows.
#[derive(Debug, Clone)]
pub struct Waiting {
    /// Port id.
    pub port: String,
    /// Its customer account.
    pub account: Option<String>,
    /// Its country.
    pub country: Option<String>,
    /// Its stage (`rejected` or `submitted`).
    pub stage: Stage,
    /// Whole days in the stage, up to the end of `--today`.
    pub days: i64,
    /// When the stage began: committer time of the commit that brought it, in seconds.
    pub since: i64,
    /// For the customer: the reason codes of the rejection. Empty for the carrier.
    pub reasons: Vec<String>,
    /// For the carrier: the partner carrier the port was submitted to.
    pub carrier: Option<String>,
}

/// A port past its SLA window.
#[derive(Debug, Clone)]
pub struct Breach {
    /// Port id.
    pub port: String,
    /// Its country.
    pub country: Option<String>,
    /// Its stage now.
    pub stage: Stage,
    /// `domestic` or `international`.
    pub window: &'static str,
    /// The window's maximum, in days.
    pub max_days: u32,
    /// Days counted.
    pub elapsed_days: i64,
    /// `overdue` (still open) or `late` (completed after the window).
    pub state: &'static str,
}

/// A port that is not moving.
#[derive(Debug, Clone)]
pub struct Stuck {
    /// Port id.
    pub port: String,
    /// Its stage.
    pub stage: Stage,
    /// Days in the stage, or days since the FOC passed.
    pub days: i64,
    /// Why it counts as stuck.
    pub reason: String,
}

/// The median length of one stage over every finished stay in it.
#[derive(Debug, Clone)]
pub struct StageTime {
    /// The stage.
    pub stage: Stage,
    /// How many finished stays were measured.
    pub stays: usize,
    /// Their median, in days.
    pub median_days: f64,
}

/// Everything the report shows.
#[derive(Debug, Clone)]
pub struct Analytics {
    /// The `--today` the report was made for.
    pub today: Date,
    /// Number of ports.
    pub ports: usize,
    /// SLA breaches, open ones first.
    pub breaches: Vec<Breach>,
    /// Stuck ports.
    pub stuck: Vec<Stuck>,
    /// The waits the report was made with.
    pub waits: Waits,
    /// Ports `rejected` for more than `waits.customer_days`, longest first.
    pub waiting_on_customer: Vec<Waiting>,
    /// Ports `submitted` for more than `waits.carrier_days`, longest first.
    pub waiting_on_carrier: Vec<Waiting>,
    /// Median time per stage, in lifecycle order.
    pub stage_times: Vec<StageTime>,
    /// Rejection reason codes by frequency, most frequent first.
    pub reasons: Vec<(String, usize)>,
    /// Ports per country and stage.
    pub by_country: BTreeMap<String, BTreeMap<Stage, usize>>,
}

/// Who a port in this stage waits on, when it waits on someone outside the desk.
pub fn waiting_on(stage: Stage) -> Option<WaitingOn> {
    match stage {
        Stage::Rejected => Some(WaitingOn::Customer),
        Stage::Submitted => Some(WaitingOn::Carrier),
        _ => None,
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

impl Analytics {
    /// Computes the report from every port's facts.
    pub fn compute(ports: &[PortFacts<'_>], today: Date, waits: Waits) -> Analytics {
        let mut breaches = Vec::new();
        let mut stuck = Vec::new();
        let mut waiting_on_customer = Vec::new();
        let mut waiting_on_carrier = Vec::new();
        let mut stays: BTreeMap<Stage, Vec<f64>> = BTreeMap::new();
        let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
        let mut by_country: BTreeMap<String, BTreeMap<Stage, usize>> = BTreeMap::new();
        for facts in ports {
            let line = facts.timeline;
            if let Some(sla) = &line.sla
                && sla.state.breached()
            {
                breaches.push(Breach {
                    port: line.id.clone(),
                    country: facts.country.clone(),
                    stage: line.stage,
                    window: sla.kind.as_str(),
                    max_days: sla.window[1],
                    elapsed_days: sla.elapsed_days(),
                    state: sla.state.as_str(),
                });
            }
            if matches!(
                line.stage,
                Stage::AwaitingSignature | Stage::AwaitingDocuments
            ) && let Some(days) = line.days_in_stage()
                && days > STUCK_AFTER_DAYS
            {
                let waiting = if line.stage == Stage::AwaitingSignature {
                    "a signature"
                } else {
                    "documents"
                };
                stuck.push(Stuck {
                    port: line.id.clone(),
                    stage: line.stage,
                    days,
                    reason: format!(
                        "waiting for {waiting} for {} (more than {STUCK_AFTER_DAYS})",
                        count(days, "day", "days")
                    ),
                });
            }
            if line.stage == Stage::Scheduled
                && let Some(foc) = facts.foc
                && foc < today
            {
                let days = today.days_since_epoch() - foc.days_since_epoch();
                stuck.push(Stuck {
                    port: line.id.clone(),
                    stage: line.stage,
                    days,
                    reason: format!(
                        "the FOC {foc} passed {} ago without a completion",
                        count(days, "day", "days")
                    ),
                });
            }
            if let Some(on) = waiting_on(line.stage)
                && let Some(current) = line.current()
            {
                let days = current.seconds.div_euclid(DAY);
                let (limit, list) = match on {
                    WaitingOn::Customer => (waits.customer_days, &mut waiting_on_customer),
                    WaitingOn::Carrier => (waits.carrier_days, &mut waiting_on_carrier),
                };
                if days > i64::from(limit) {
                    list.push(Waiting {
                        port: line.id.clone(),
                        account: facts.account.clone(),
                        country: facts.country.clone(),
                        stage: line.stage,
                        days,
                        since: current.from.time,
                        reasons: match on {
                            WaitingOn::Customer => facts.latest_rejection.clone(),
                            WaitingOn::Carrier => Vec::new(),
                        },
                        carrier: match on {
                            WaitingOn::Customer => None,
                            WaitingOn::Carrier => facts.carrier.clone(),
                        },
                    });
                }
            }
            // A cancelled port's stays say how long abandoned ports lingered, not how long
            // ports take: a submission that ended in a cancellation was never answered.
            let measured = if line.stage == Stage::Cancelled {
                &[][..]
            } else {
                &line.periods[..]
            };
            for p in measured {
                if p.to.is_some() && !p.stage.is_terminal() {
                    stays
                        .entry(p.stage)
                        .or_default()
                        .push(p.seconds as f64 / DAY as f64);
                }
            }
            for code in &facts.rejection_codes {
                *reasons.entry(code.clone()).or_default() += 1;
            }
            let country = facts.country.clone().unwrap_or_else(|| "-".to_owned());
            *by_country
                .entry(country)
                .or_default()
                .entry(line.stage)
                .or_default() += 1;
        }
        // Open breaches first (someone can still act), then the longest.
        breaches.sort_by(|a, b| {
            (
                a.state != SlaState::Overdue.as_str(),
                -a.elapsed_days,
                &a.port,
            )
                .cmp(&(
                    b.state != SlaState::Overdue.as_str(),
                    -b.elapsed_days,
                    &b.port,
                ))
        });
        stuck.sort_by(|a, b| (-a.days, &a.port).cmp(&(-b.days, &b.port)));
        for list in [&mut waiting_on_customer, &mut waiting_on_carrier] {
            list.sort_by(|a, b| (-a.days, &a.port).cmp(&(-b.days, &b.port)));
        }
        let stage_times = Stage::ALL
            .iter()
            .filter_map(|stage| {
                let values = stays.get_mut(stage)?;
                Some(StageTime {
                    stage: *stage,
                    stays: values.len(),
                    median_days: median(values),
                })
            })
            .collect();
        let mut reasons: Vec<(String, usize)> = reasons.into_iter().collect();
        reasons.sort_by(|a, b| (b.1, &a.0).cmp(&(a.1, &b.0)));
        Analytics {
            today,
            ports: ports.len(),
            breaches,
            stuck,
            waits,
            waiting_on_customer,
            waiting_on_carrier,
            stage_times,
            reasons,
            by_country,
        }
    }

    /// The stages that occur in the country table, in lifecycle order.
    pub fn stages_present(&self) -> Vec<Stage> {
        Stage::ALL
            .iter()
            .copied()
            .filter(|s| self.by_country.values().any(|m| m.contains_key(s)))
            .collect()
    }
}
