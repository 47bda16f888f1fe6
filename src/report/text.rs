//! Plain-text building blocks the reports share: aligned columns, UTC times and durations.

use rayon::prelude::*;

use crate::model::Date;
use crate::model::timeline::DAY;

/// A desk's table is laid out in parts of this many rows at once.
const ROWS_PER_PART: usize = 1024;

/// Columns padded to their widest cell, two spaces apart; the last column is not padded.
pub fn align(header: &[String], rows: &[Vec<String>]) -> String {
    let widest = |mut widths: Vec<usize>, row: &Vec<String>| {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
        widths
    };
    let headers: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    let widths = rows.par_iter().fold(|| headers.clone(), widest).reduce(
        || headers.clone(),
        |a, b| a.iter().zip(&b).map(|(x, y)| *x.max(y)).collect(),
    );
    let line = |out: &mut String, cols: &[String]| {
        let start = out.len();
        for (i, (c, w)) in cols.iter().zip(&widths).enumerate() {
            out.push_str(c);
            if i + 1 < cols.len() {
                let pad = w.saturating_sub(c.chars().count()) + 2;
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        let end = start + out[start..].trim_end().len();
        out.truncate(end);
        out.push('\n');
    };
    let width = widths.iter().sum::<usize>() + 32;
    let parts: Vec<String> = rows
        .par_chunks(ROWS_PER_PART)
        .map(|part| {
            let mut out = String::with_capacity(part.len() * width);
            for cols in part {
                line(&mut out, cols);
            }
            out
        })
        .collect();
    let mut out = String::with_capacity((rows.len() + 1) * width);
    line(&mut out, header);
    for part in parts {
        out.push_str(&part);
    }
    out
}

/// `2026-11-20 14:03` (UTC): the time format of tables.
pub fn fmt_utc_minutes(secs: i64) -> String {
    let full = fmt_utc(secs);
    full.get(..16).unwrap_or(&full).replace('T', " ")
}

/// `2026-11-20T14:03:00Z`.
pub fn fmt_utc(secs: i64) -> String {
    let date = Date::from_days(secs.div_euclid(DAY)).unwrap_or_default();
    let s = secs.rem_euclid(DAY);
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        s / 3600,
        (s % 3600) / 60,
        s % 60
    )
}

/// A duration for people: `3d 4h`, `5h 12m`, `40m`.
pub fn fmt_duration(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m) = (secs / DAY, (secs % DAY) / 3600, (secs % 3600) / 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else {
        format!("{m}m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_durations_print_for_people() {
        assert_eq!(
            fmt_utc(1_795_132_800 + 14 * 3600 + 3 * 60),
            "2026-11-20T14:03:00Z"
        );
        assert_eq!(fmt_duration(3 * DAY + 4 * 3600 + 59), "3d 4h");
        assert_eq!(fmt_duration(5 * 3600 + 12 * 60), "5h 12m");
        assert_eq!(fmt_duration(-5), "0m");
    }

    #[test]
    fn columns_align_and_the_last_is_not_padded() {
        let header = vec!["PORT".to_owned(), "STAGE".to_owned()];
        let rows = vec![vec!["p-1".to_owned(), "draft".to_owned()]];
        assert_eq!(align(&header, &rows), "PORT  STAGE\np-1   draft\n");
    }
}
