//! `portflow report`: the desk analytics as Markdown, JSON or CSV.

use serde_json::{Value, json};

use super::printable;
use super::text::{fmt_utc, fmt_utc_minutes};
use crate::model::analytics::{Analytics, STUCK_AFTER_DAYS, Waiting};
use crate::plural::count;

/// The version of the JSON document's shape (`"version"`), raised when a field changes
/// meaning or goes away; `schemas/output/report.schema.json` describes it.
pub const VERSION: u32 = 1;

/// Escapes text for a Markdown table cell; control characters from a user's file (an
/// escape sequence in a carrier's name) print as placeholders.
fn cell(text: &str) -> String {
    printable(text)
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
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

/// Days to one decimal, half away from zero, the same in every format (`{:.1}` alone
/// rounds 3.25 to 3.2 while JSON said 3.3).
fn tenths(days: f64) -> f64 {
    (days * 10.0).round() / 10.0
}

fn waiting_json(w: &Waiting) -> Value {
    json!({
        "port": w.port,
        "account": w.account,
        "country": w.country,
        "stage": w.stage,
        "days": w.days,
        "since": fmt_utc(w.since),
        "reasons": w.reasons,
        "carrier": w.carrier,
    })
}

/// The report as Markdown.
pub fn markdown(a: &Analytics) -> String {
    let mut out = format!(
        "# Porting report, {}\n\n{}. Durations come from git commit times; see `portflow history <port>` for one port's timeline.\n\n",
        a.today,
        count(a.ports, "port", "ports")
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
                    format!("{} (max {})", b.window, count(b.max_days, "day", "days")),
                    b.elapsed_days.to_string(),
                    b.state.to_owned(),
                ]
            })
            .collect(),
    );
    out.push_str(&format!(
        "## Waiting on the customer\n\nRejected for more than {}: the customer has to resolve the rejection before we resubmit.\n\n",
        count(a.waits.customer_days, "day", "days")
    ));
    md_table(
        &mut out,
        &["port", "account", "rejected for", "since (UTC)", "reasons"],
        a.waiting_on_customer
            .iter()
            .map(|w| {
                vec![
                    format!("`{}`", w.port),
                    w.account.clone().unwrap_or_else(|| "-".to_owned()),
                    count(w.days, "day", "days"),
                    fmt_utc_minutes(w.since),
                    if w.reasons.is_empty() {
                        "-".to_owned()
                    } else {
                        w.reasons
                            .iter()
                            .map(|r| format!("`{r}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                ]
            })
            .collect(),
    );
    out.push_str(&format!(
        "## Waiting on the carrier\n\nSubmitted more than {} ago with no FOC or rejection yet: chase the carrier.\n\n",
        count(a.waits.carrier_days, "day", "days")
    ));
    md_table(
        &mut out,
        &["port", "account", "carrier", "submitted for", "since (UTC)"],
        a.waiting_on_carrier
            .iter()
            .map(|w| {
                vec![
                    format!("`{}`", w.port),
                    w.account.clone().unwrap_or_else(|| "-".to_owned()),
                    w.carrier.clone().unwrap_or_else(|| "-".to_owned()),
                    count(w.days, "day", "days"),
                    fmt_utc_minutes(w.since),
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
                    format!("{:.1}", tenths(t.median_days)),
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
        "version": VERSION,
        "today": a.today.to_string(),
        "ports": a.ports,
        "stuck_after_days": STUCK_AFTER_DAYS,
        "customer_wait_days": a.waits.customer_days,
        "carrier_wait_days": a.waits.carrier_days,
        "sla_breaches": a.breaches.iter().map(|b| json!({
            "port": b.port,
            "country": b.country,
            "stage": b.stage,
            "window": b.window,
            "max_days": b.max_days,
            "elapsed_days": b.elapsed_days,
            "state": b.state,
        })).collect::<Vec<Value>>(),
        "waiting_on_customer": a.waiting_on_customer.iter().map(waiting_json).collect::<Vec<Value>>(),
        "waiting_on_carrier": a.waiting_on_carrier.iter().map(waiting_json).collect::<Vec<Value>>(),
        "stuck": a.stuck.iter().map(|s| json!({
            "port": s.port,
            "stage": s.stage,
            "days": s.days,
            "reason": s.reason,
        })).collect::<Vec<Value>>(),
        "median_days_per_stage": a.stage_times.iter().map(|t| json!({
            "stage": t.stage,
            "median_days": tenths(t.median_days),
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
            format!(
                "{} window, max {}, {}",
                b.window,
                count(b.max_days, "day", "days"),
                b.state
            ),
        ]);
    }
    for w in &a.waiting_on_customer {
        let reasons = if w.reasons.is_empty() {
            String::new()
        } else {
            format!("; reasons: {}", w.reasons.join(" "))
        };
        rows.push([
            "waiting-on-customer".to_owned(),
            w.port.clone(),
            w.stage.to_string(),
            w.days.to_string(),
            format!(
                "rejected since {}, more than {}{reasons}",
                fmt_utc(w.since),
                count(a.waits.customer_days, "day", "days")
            ),
        ]);
    }
    for w in &a.waiting_on_carrier {
        let carrier = w
            .carrier
            .as_ref()
            .map_or_else(String::new, |c| format!(" to {c}"));
        rows.push([
            "waiting-on-carrier".to_owned(),
            w.port.clone(),
            w.stage.to_string(),
            w.days.to_string(),
            format!(
                "submitted{carrier} since {}, no answer for more than {}",
                fmt_utc(w.since),
                count(a.waits.carrier_days, "day", "days")
            ),
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
            format!("{:.1}", tenths(t.median_days)),
            count(t.stays, "finished stay", "finished stays"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_cells_keep_to_one_row_and_off_the_terminal() {
        assert_eq!(
            cell("Partner | Carrier\n\u{1b}[31mred"),
            "Partner \\| Carrier ?[31mred"
        );
    }

    #[test]
    fn medians_round_half_away_from_zero() {
        assert_eq!(format!("{:.1}", tenths(3.25)), "3.3");
        assert_eq!(format!("{:.1}", tenths(0.875)), "0.9");
    }
}
