//! `portflow status`: one row per port, as a table or JSON.

use serde::Serialize;

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
}

/// An aligned plain-text table.
pub fn table(rows: &[Row]) -> String {
    let header = [
        "PORT",
        "COUNTRY",
        "NUMBERS",
        "STAGE",
        "FINDINGS",
        "NEXT ACTION",
    ];
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.port.clone(),
                r.country.clone().unwrap_or_else(|| "-".to_owned()),
                r.numbers.to_string(),
                r.stage.to_string(),
                match (r.errors, r.warnings) {
                    (0, 0) => "-".to_owned(),
                    (e, 0) => format!("{e}E"),
                    (0, w) => format!("{w}W"),
                    (e, w) => format!("{e}E {w}W"),
                },
                r.next_action.clone(),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cols: [&str; 6]| {
        let mut s = String::new();
        for (i, (c, w)) in cols.iter().zip(widths).enumerate() {
            if i == 5 {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  "));
            }
        }
        s.trim_end().to_owned() + "\n"
    };
    let mut out = line(header);
    for row in &cells {
        out.push_str(&line([
            &row[0], &row[1], &row[2], &row[3], &row[4], &row[5],
        ]));
    }
    out
}

/// One JSON document: `{ "ports": [...] }`.
pub fn json(rows: &[Row]) -> String {
    let mut text =
        serde_json::to_string_pretty(&serde_json::json!({ "ports": rows })).unwrap_or_default();
    text.push('\n');
    text
}
