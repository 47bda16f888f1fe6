//! The status site's charts as inline SVG: ports per stage over time, time to completion by
//! country, rejection reasons by frequency. Colours come from the page's stylesheet (a class
//! per stage), so the charts follow light and dark mode and print; every chart has a title
//! for screen readers, and the page has its figures as a table too.

use std::fmt::Write as _;

use crate::notice::html_escape as escape;
use crate::stage::Stage;

/// The figure of one week: the date and how many ports were in each stage at its end.
#[derive(Debug, Clone)]
pub struct WeekCounts {
    /// The week's last day.
    pub date: String,
    /// Ports per stage, in [`Stage::ALL`] order.
    pub counts: Vec<usize>,
}

/// One labelled bar pair: a median and a 90th percentile.
#[derive(Debug, Clone)]
pub struct Spread {
    /// What the bar is about (a country code).
    pub label: String,
    /// Median days.
    pub p50: i64,
    /// 90th percentile, in days.
    pub p90: i64,
    /// How many ports.
    pub ports: usize,
}

const WIDTH: f64 = 720.0;

fn open_svg(out: &mut String, id: &str, title: &str, height: f64) {
    let _ = write!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-labelledby=\"{id}-title\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{id}-title\">{}</title>",
        escape(title)
    );
}

/// Stacked areas of the open stages, week by week, with a legend.
pub fn stages_over_time(id: &str, title: &str, weeks: &[WeekCounts], stages: &[Stage]) -> String {
    let (left, right, top, plot_h) = (48.0, 16.0, 16.0, 220.0);
    let legend_h = 24.0 * stages.len().div_ceil(4) as f64;
    let height = top + plot_h + 40.0 + legend_h;
    let mut out = String::new();
    open_svg(&mut out, id, title, height);
    let column = |s: &Stage| Stage::ALL.iter().position(|x| x == s).unwrap_or(0);
    let totals: Vec<usize> = weeks
        .iter()
        .map(|w| stages.iter().map(|s| w.counts[column(s)]).sum())
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1);
    let plot_w = WIDTH - left - right;
    let x = |i: usize| {
        if weeks.len() <= 1 {
            left + plot_w / 2.0
        } else {
            left + plot_w * i as f64 / (weeks.len() - 1) as f64
        }
    };
    let y = |v: usize| top + plot_h - plot_h * v as f64 / max as f64;
    // Grid lines and the count axis.
    for tick in ticks(max) {
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/><text class=\"axis\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{tick}</text>",
            WIDTH - right,
            left - 6.0,
            y(tick) + 4.0,
            y = y(tick),
        );
    }
    let mut below = vec![0usize; weeks.len()];
    for stage in stages {
        let col = column(stage);
        let above: Vec<usize> = weeks
            .iter()
            .zip(&below)
            .map(|(w, b)| b + w.counts[col])
            .collect();
        let mut points = String::new();
        for (i, v) in above.iter().enumerate() {
            let _ = write!(points, "{:.1},{:.1} ", x(i), y(*v));
        }
        for (i, v) in below.iter().enumerate().rev() {
            let _ = write!(points, "{:.1},{:.1} ", x(i), y(*v));
        }
        let _ = write!(
            out,
            "<polygon class=\"area stage-{}\" points=\"{}\"><title>{}</title></polygon>",
            stage.as_str(),
            points.trim_end(),
            escape(&stage_label(*stage))
        );
        below = above;
    }
    // Dates under the first, middle and last week.
    let mut labelled: Vec<usize> = vec![0, weeks.len() / 2, weeks.len().saturating_sub(1)];
    labelled.dedup();
    for i in labelled {
        if let Some(w) = weeks.get(i) {
            let anchor = if i == 0 {
                "start"
            } else if i + 1 == weeks.len() {
                "end"
            } else {
                "middle"
            };
            let _ = write!(
                out,
                "<text class=\"axis\" x=\"{:.1}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
                x(i),
                top + plot_h + 18.0,
                escape(&w.date)
            );
        }
    }
    for (i, stage) in stages.iter().enumerate() {
        let lx = left + (i % 4) as f64 * 168.0;
        let ly = top + plot_h + 40.0 + (i / 4) as f64 * 24.0;
        let _ = write!(
            out,
            "<rect class=\"area stage-{}\" x=\"{lx}\" y=\"{}\" width=\"14\" height=\"14\"/><text class=\"legend\" x=\"{}\" y=\"{}\">{}</text>",
            stage.as_str(),
            ly - 11.0,
            lx + 20.0,
            ly,
            escape(&stage_label(*stage))
        );
    }
    out.push_str("</svg>");
    out
}

/// Horizontal bars: the median as a solid bar, the 90th percentile as a lighter bar behind
/// it, the figures written beside.
pub fn spreads(id: &str, title: &str, rows: &[Spread]) -> String {
    let (left, top, bar_h, gap) = (64.0, 12.0, 22.0, 14.0);
    let height = top * 2.0 + rows.len() as f64 * (bar_h + gap);
    let mut out = String::new();
    open_svg(&mut out, id, title, height);
    let max = rows.iter().map(|r| r.p90).max().unwrap_or(0).max(1) as f64;
    let plot_w = WIDTH - left - 250.0;
    for (i, row) in rows.iter().enumerate() {
        let y = top + i as f64 * (bar_h + gap);
        let w = |days: i64| (plot_w * days as f64 / max).max(2.0);
        let _ = write!(
            out,
            "<text class=\"label\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text><rect class=\"bar p90\" x=\"{left}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bar_h}\"/><rect class=\"bar p50\" x=\"{left}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bar_h}\"/><text class=\"figure\" x=\"{:.1}\" y=\"{:.1}\">p50 {} d · p90 {} d · {} {}</text>",
            left - 8.0,
            y + 16.0,
            escape(&row.label),
            w(row.p90),
            w(row.p50),
            left + w(row.p90) + 8.0,
            y + 16.0,
            row.p50,
            row.p90,
            row.ports,
            if row.ports == 1 { "port" } else { "ports" },
        );
    }
    out.push_str("</svg>");
    out
}

/// Horizontal bars of counts, most frequent first.
pub fn counts(id: &str, title: &str, rows: &[(String, usize)]) -> String {
    let (left, top, bar_h, gap) = (200.0, 12.0, 20.0, 10.0);
    let height = top * 2.0 + rows.len() as f64 * (bar_h + gap);
    let mut out = String::new();
    open_svg(&mut out, id, title, height);
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1) as f64;
    let plot_w = WIDTH - left - 60.0;
    for (i, (label, n)) in rows.iter().enumerate() {
        let y = top + i as f64 * (bar_h + gap);
        let w = (plot_w * *n as f64 / max).max(2.0);
        let _ = write!(
            out,
            "<text class=\"label\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text><rect class=\"bar p50\" x=\"{left}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{bar_h}\"/><text class=\"figure\" x=\"{:.1}\" y=\"{:.1}\">{n}</text>",
            left - 8.0,
            y + 15.0,
            escape(label),
            left + w + 8.0,
            y + 15.0,
        );
    }
    out.push_str("</svg>");
    out
}

/// A stage as people read it: `Awaiting signature`.
pub fn stage_label(stage: Stage) -> String {
    let name = stage.as_str().replace('-', " ");
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => name,
    }
}

/// Up to five round values from 0 to `max` for an axis.
fn ticks(max: usize) -> Vec<usize> {
    let raw = max.div_ceil(4).max(1);
    let magnitude = 10usize.pow(raw.ilog10());
    let step = [1, 2, 5, 10]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(raw);
    (0..=max).step_by(step).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_ticks_are_round_and_within_the_maximum() {
        assert_eq!(ticks(1), vec![0, 1]);
        assert_eq!(ticks(7), vec![0, 2, 4, 6]);
        assert_eq!(ticks(40), vec![0, 10, 20, 30, 40]);
        assert_eq!(ticks(1234), vec![0, 500, 1000]);
    }

    #[test]
    fn text_in_charts_is_escaped() {
        let svg = counts("c", "Reasons <all>", &[("a<b>&\"".to_owned(), 3)]);
        assert!(svg.contains("a&lt;b&gt;&amp;&quot;"), "{svg}");
        assert!(svg.contains("Reasons &lt;all&gt;"), "{svg}");
        assert!(!svg.contains("<b>"));
    }

    #[test]
    fn stage_labels_read_as_words() {
        assert_eq!(stage_label(Stage::AwaitingSignature), "Awaiting signature");
        assert_eq!(stage_label(Stage::Ready), "Ready");
    }
}
