//! `portflow find`: the ports that hold a number, as a table or JSON.

use super::text::align;
use crate::engine::find::{Match, Role};

/// One line per port: its stage and every place the number is in it.
pub fn table(e164: &str, matches: &[Match]) -> String {
    if matches.is_empty() {
        return String::new();
    }
    let header = ["PORT", "STAGE", "WHERE"].map(str::to_owned).to_vec();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut dirs: Vec<&str> = matches.iter().map(|m| m.dir.as_str()).collect();
    dirs.dedup();
    for dir in dirs {
        let here: Vec<&Match> = matches.iter().filter(|m| m.dir == dir).collect();
        let mut places: Vec<String> = here
            .iter()
            .map(|m| match &m.number_type {
                Some(kind) => format!("{} ({kind})", m.role.describe()),
                None => m.role.describe().to_owned(),
            })
            .collect();
        if !here.iter().any(|m| m.role == Role::Number) {
            places.push("not ported".to_owned());
        }
        rows.push(vec![
            here[0].port.clone(),
            here[0].stage.to_string(),
            places.join(", "),
        ]);
    }
    format!("{e164}\n{}", align(&header, &rows))
}

/// The matches as one JSON document.
pub fn json(e164: &str, held: bool, matches: &[Match]) -> String {
    let doc = serde_json::json!({
        "number": e164,
        "held": held,
        "matches": matches,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
