//! `portflow report`: SLA breaches, stuck ports, median time per stage, rejection reasons
//! and ports per country and stage, as Markdown, JSON or CSV.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::history::{DAY, PortTimeline, SlaState};
use crate::model::Date;
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
    /// The reason codes of its rejections (voided ones left out), one per reason.
    pub rejection_codes: Vec<String>,
    /// The FOC of its latest live `scheduled` event.
    pub foc: Option<Date>,
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
    /// Median time per stage, in lifecycle order.
    pub stage_times: Vec<StageTime>,
    /// Rejection reason codes by frequency, most frequent first.
    pub reasons: Vec<(String, usize)>,
    /// Ports per country and stage.
    pub by_country: BTreeMap<String, BTreeMap<Stage, usize>>,
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
    pub fn compute(ports: &[PortFacts<'_>], today: Date) -> Analytics {
        let mut breaches = Vec::new();
        let mut stuck = Vec::new();
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
                        "waiting for {waiting} for {days} days (more than {STUCK_AFTER_DAYS})"
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
                    reason: format!("the FOC {foc} passed {days} days ago without a completion"),
                });
            }
            for p in &line.periods {
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
            stage_times,
            reasons,
            by_country,
        }
    }

    /// The stages that occur in the country table, in lifecycle order.
    fn stages_present(&self) -> Vec<Stage> {
        Stage::ALL
            .iter()
            .copied()
            .filter(|s| self.by_country.values().any(|m| m.contains_key(s)))
            .collect()
    }
}

/// Escapes text for a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn md_table(out: &mut String, header: &[&str], rows: Vec<Vec<String>>) {
    if rows.is_empty() {
        out.push_str("None.\n\n");
        return;
    }
    out.push_str(&format!("| {} |\n", header.join(" | ")));
    out.push_str(&format!(
        "|{}\n",
        header.iter().map(|_| " --- |").collect::<String>()
    ));
    for row in rows {
        let row: Vec<String> = row.iter().map(|c| cell(c)).collect();
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out.push('\n');
}

/// The report as Markdown.
pub fn markdown(a: &Analytics) -> String {
    let mut out = format!(
        "# Porting report, {}\n\n{} ports. Durations come from git commit times; see `portflow history <port>` for one port's timeline.\n\n",
        a.today, a.ports
    );
    out.push_str("## SLA breaches\n\n");
    md_table(
        &mut out,
        &[
            "port",
            "country",
            "stage",
            "window",
            "days counted",
            "state",
        ],
        a.breaches
            .iter()
            .map(|b| {
                vec![
                    format!("`{}`", b.port),
                    b.country.clone().unwrap_or_else(|| "-".to_owned()),
                    b.stage.to_string(),
                    format!("{} (max {} days)", b.window, b.max_days),
                    b.elapsed_days.to_string(),
                    b.state.to_owned(),
                ]
            })
            .collect(),
    );
    out.push_str("## Stuck ports\n\n");
    md_table(
        &mut out,
        &["port", "stage", "why"],
        a.stuck
            .iter()
            .map(|s| {
                vec![
                    format!("`{}`", s.port),
                    s.stage.to_string(),
                    s.reason.clone(),
                ]
            })
            .collect(),
    );
    out.push_str("## Median time per stage\n\n");
    md_table(
        &mut out,
        &["stage", "median days", "finished stays"],
        a.stage_times
            .iter()
            .map(|t| {
                vec![
                    t.stage.to_string(),
                    format!("{:.1}", t.median_days),
                    t.stays.to_string(),
                ]
            })
            .collect(),
    );
    out.push_str("## Rejection reasons\n\n");
    md_table(
        &mut out,
        &["reason", "count"],
        a.reasons
            .iter()
            .map(|(code, n)| vec![format!("`{code}`"), n.to_string()])
            .collect(),
    );
    out.push_str("## Ports by country and stage\n\n");
    let stages = a.stages_present();
    let mut header: Vec<&str> = vec!["country"];
    header.extend(stages.iter().map(|s| s.as_str()));
    header.push("total");
    md_table(
        &mut out,
        &header,
        a.by_country
            .iter()
            .map(|(country, counts)| {
                let mut row = vec![country.clone()];
                row.extend(
                    stages
                        .iter()
                        .map(|s| counts.get(s).copied().unwrap_or(0).to_string()),
                );
                row.push(counts.values().sum::<usize>().to_string());
                row
            })
            .collect(),
    );
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// The report as one JSON document.
pub fn json(a: &Analytics) -> String {
    let doc = json!({
        "today": a.today.to_string(),
        "ports": a.ports,
        "stuck_after_days": STUCK_AFTER_DAYS,
        "sla_breaches": a.breaches.iter().map(|b| json!({
            "port": b.port,
            "country": b.country,
            "stage": b.stage,
            "window": b.window,
            "max_days": b.max_days,
            "elapsed_days": b.elapsed_days,
            "state": b.state,
        })).collect::<Vec<Value>>(),
        "stuck": a.stuck.iter().map(|s| json!({
            "port": s.port,
            "stage": s.stage,
            "days": s.days,
            "reason": s.reason,
        })).collect::<Vec<Value>>(),
        "median_days_per_stage": a.stage_times.iter().map(|t| json!({
            "stage": t.stage,
            "median_days": (t.median_days * 10.0).round() / 10.0,
            "finished_stays": t.stays,
        })).collect::<Vec<Value>>(),
        "rejection_reasons": a.reasons.iter().map(|(code, n)| json!({
            "code": code,
            "count": n,
        })).collect::<Vec<Value>>(),
        "ports_by_country": a.by_country.iter().map(|(country, counts)| {
            let stages: serde_json::Map<String, Value> = counts
                .iter()
                .map(|(s, n)| (s.as_str().to_owned(), json!(n)))
                .collect();
            (country.clone(), Value::Object(stages))
        }).collect::<serde_json::Map<String, Value>>(),
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// Quotes a CSV field when it needs it (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The report as CSV, one row per fact: `section,subject,stage,value,detail`.
pub fn csv(a: &Analytics) -> String {
    let mut rows: Vec<[String; 5]> = Vec::new();
    for b in &a.breaches {
        rows.push([
            "sla-breach".to_owned(),
            b.port.clone(),
            b.stage.to_string(),
            b.elapsed_days.to_string(),
            format!("{} window, max {} days, {}", b.window, b.max_days, b.state),
        ]);
    }
    for s in &a.stuck {
        rows.push([
            "stuck".to_owned(),
            s.port.clone(),
            s.stage.to_string(),
            s.days.to_string(),
            s.reason.clone(),
        ]);
    }
    for t in &a.stage_times {
        rows.push([
            "median-days-in-stage".to_owned(),
            String::new(),
            t.stage.to_string(),
            format!("{:.1}", t.median_days),
            format!("{} finished stays", t.stays),
        ]);
    }
    for (code, n) in &a.reasons {
        rows.push([
            "rejection-reason".to_owned(),
            code.clone(),
            String::new(),
            n.to_string(),
            String::new(),
        ]);
    }
    for (country, counts) in &a.by_country {
        for (stage, n) in counts {
            rows.push([
                "ports-by-country".to_owned(),
                country.clone(),
                stage.to_string(),
                n.to_string(),
                String::new(),
            ]);
        }
    }
    let mut out = "section,subject,stage,value,detail\n".to_owned();
    for row in rows {
        let fields: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}
