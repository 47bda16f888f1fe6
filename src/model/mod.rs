//! Typed data of the three file kinds: requests, events and the porting policy.
//!
//! The validator converts each TOML file to JSON (TOML dates become `YYYY-MM-DD` strings)
//! and checks it against its JSON Schema before deserializing into these types, so the
//! types mirror the schemas in `schemas/` field for field and reject unknown keys too.
//! `timeline` and `analytics` hold what git history adds: when things happened, and the
//! desk's figures computed from that.

/// `Display` for enums that have an `as_str()` giving their name in files.
macro_rules! display_as_str {
    ($($name:ident),*) => {$(
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}

pub mod analytics;
pub mod eta;
pub mod event;
pub mod policy;
pub mod request;
pub mod timeline;

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::{Serialize, Serializer};

/// Why a text is not a `YYYY-MM-DD` calendar date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// The text is not four digits, `-`, two digits, `-`, two digits.
    #[error("`{0}` is not a date in the form YYYY-MM-DD")]
    Format(String),
    /// The parts are digits but name no day of the calendar (e.g. `2026-02-30`).
    #[error("`{0}` is not a calendar date")]
    Calendar(String),
}

/// A calendar date (proleptic Gregorian, years 1 to 9999), written `YYYY-MM-DD`.
///
/// Ordering is chronological. Day arithmetic goes through [`Date::days_since_epoch`],
/// counted from 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    // Field order matters: the derived `Ord` compares year, then month, then day.
    year: u16,
    month: u8,
    day: u8,
}

impl Default for Date {
    /// 1970-01-01, the epoch of [`Date::days_since_epoch`].
    fn default() -> Date {
        Date {
            year: 1970,
            month: 1,
            day: 1,
        }
    }
}

/// Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar.
const EPOCH_SHIFT: i64 = 719_468;
/// Days in one 400-year Gregorian cycle.
const DAYS_PER_ERA: i64 = 146_097;

impl Date {
    /// The date `year-month-day`, or `None` when that day is not in the calendar.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        let valid = (1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month);
        valid.then_some(Date { year, month, day })
    }

    /// The year, 1 to 9999.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1 (January) to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, from 1.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil: years start on March 1 so the leap day is last.
        let (month, day) = (i64::from(self.month), i64::from(self.day));
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * DAYS_PER_ERA + day_of_era - EPOCH_SHIFT
    }

    /// The date `days` after 1970-01-01, or `None` outside years 1 to 9999.
    pub fn from_days(days: i64) -> Option<Date> {
        // Hinnant's civil_from_days, the inverse of `days_since_epoch`.
        let z = days.checked_add(EPOCH_SHIFT)?;
        let era = z.div_euclid(DAYS_PER_ERA);
        let day_of_era = z - era * DAYS_PER_ERA;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let mp = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Date::new(
            u16::try_from(year).ok()?,
            u8::try_from(month).ok()?,
            u8::try_from(day).ok()?,
        )
    }

    /// Day of the week: 0 = Monday … 6 = Sunday.
    pub fn weekday(self) -> u8 {
        // 1970-01-01 was a Thursday (3); the result of rem_euclid(7) always fits in a u8.
        (self.days_since_epoch() + 3).rem_euclid(7) as u8
    }

    /// Whether the date is a Saturday or a Sunday.
    pub fn is_weekend(self) -> bool {
        self.weekday() >= 5
    }

    /// The date `days` later (earlier when negative), or `None` outside years 1 to 9999.
    pub fn add_days(self, days: i64) -> Option<Date> {
        Date::from_days(self.days_since_epoch().checked_add(days)?)
    }
}

fn is_leap_year(year: u16) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(text: &str) -> Result<Date, DateError> {
        let bytes = text.as_bytes();
        let shape_ok = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shape_ok {
            return Err(DateError::Format(text.to_owned()));
        }
        // Only ASCII digits remain in these slices, so the parses cannot fail.
        let number = |range: std::ops::Range<usize>| text[range].parse::<u16>().unwrap_or(0);
        let (year, month, day) = (number(0..4), number(5..7), number(8..10));
        u8::try_from(month)
            .ok()
            .zip(u8::try_from(day).ok())
            .and_then(|(month, day)| Date::new(year, month, day))
            .ok_or_else(|| DateError::Calendar(text.to_owned()))
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        struct DateVisitor;

        impl Visitor<'_> for DateVisitor {
            type Value = Date;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date string YYYY-MM-DD")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Date, E> {
                text.parse().map_err(E::custom)
            }
        }

        deserializer.deserialize_str(DateVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        text.parse().unwrap()
    }

    #[test]
    fn parses_and_displays_round_trip() {
        for text in ["2026-11-20", "0001-01-01", "9999-12-31", "2024-02-29"] {
            assert_eq!(date(text).to_string(), text);
        }
        let d = date("2026-07-04");
        assert_eq!((d.year(), d.month(), d.day()), (2026, 7, 4));
    }

    #[test]
    fn rejects_malformed_text() {
        for text in [
            "",
            "2026-1-20",
            "2026/11/20",
            "20261120",
            "2026-11-20 ",
            "+026-11-20",
            "２０２６-11-20",
        ] {
            assert!(
                matches!(text.parse::<Date>(), Err(DateError::Format(_))),
                "{text:?}"
            );
        }
    }

    #[test]
    fn rejects_days_not_in_the_calendar() {
        for text in [
            "2026-02-29",
            "1900-02-29",
            "2026-04-31",
            "2026-13-01",
            "2026-00-10",
            "2026-01-00",
            "0000-01-01",
        ] {
            assert!(
                matches!(text.parse::<Date>(), Err(DateError::Calendar(_))),
                "{text:?}"
            );
        }
        // Leap years: divisible by 4, except centuries not divisible by 400.
        assert!("2000-02-29".parse::<Date>().is_ok());
        assert!("2028-02-29".parse::<Date>().is_ok());
    }

    #[test]
    fn orders_chronologically() {
        assert!(date("2026-11-30") < date("2026-12-01"));
        assert!(date("2025-12-31") < date("2026-01-01"));
        assert!(date("2026-02-09") < date("2026-02-10"));
    }

    #[test]
    fn counts_days_from_the_epoch() {
        assert_eq!(date("1970-01-01").days_since_epoch(), 0);
        assert_eq!(date("1969-12-31").days_since_epoch(), -1);
        assert_eq!(date("2000-03-01").days_since_epoch(), 11_017);
        assert_eq!(date("2026-11-20").days_since_epoch(), 20_777);
        assert_eq!(date("0001-01-01").days_since_epoch(), -719_162);
        for text in [
            "0001-01-01",
            "1600-02-29",
            "1970-01-01",
            "2024-02-29",
            "2026-12-31",
            "9999-12-31",
        ] {
            let d = date(text);
            assert_eq!(Date::from_days(d.days_since_epoch()), Some(d), "{text}");
        }
        assert_eq!(
            Date::from_days(date("9999-12-31").days_since_epoch() + 1),
            None
        );
        assert_eq!(
            Date::from_days(date("0001-01-01").days_since_epoch() - 1),
            None
        );
        assert_eq!(Date::from_days(i64::MAX), None);
        assert_eq!(Date::from_days(i64::MIN), None);
    }

    #[test]
    fn from_days_walks_every_day_in_order() {
        let start = date("1999-12-25").days_since_epoch();
        let mut previous = Date::from_days(start - 1).unwrap();
        for days in start..start + 3 * 366 {
            let d = Date::from_days(days).unwrap();
            assert!(d > previous);
            assert_eq!(d.days_since_epoch(), days);
            previous = d;
        }
    }

    #[test]
    fn knows_the_weekday() {
        assert_eq!(date("1970-01-01").weekday(), 3); // Thursday
        assert_eq!(date("2026-11-23").weekday(), 0); // Monday
        assert_eq!(date("2026-11-26").weekday(), 3); // Thanksgiving, a Thursday
        assert_eq!(date("2026-11-29").weekday(), 6); // Sunday
        assert_eq!(date("1969-12-28").weekday(), 6); // Sunday, before the epoch
        assert!(date("2026-11-28").is_weekend());
        assert!(!date("2026-11-27").is_weekend());
    }

    #[test]
    fn adds_days_across_months_years_and_leap_days() {
        assert_eq!(date("2026-11-20").add_days(11), Some(date("2026-12-01")));
        assert_eq!(date("2026-12-31").add_days(1), Some(date("2027-01-01")));
        assert_eq!(date("2028-02-28").add_days(1), Some(date("2028-02-29")));
        assert_eq!(date("2027-02-28").add_days(1), Some(date("2027-03-01")));
        assert_eq!(date("2026-03-01").add_days(-1), Some(date("2026-02-28")));
        assert_eq!(date("2026-11-20").add_days(0), Some(date("2026-11-20")));
        assert_eq!(date("9999-12-31").add_days(1), None);
        assert_eq!(date("2026-01-01").add_days(i64::MAX), None);
    }

    #[test]
    fn serde_uses_the_text_form() {
        let d: Date = serde_json::from_value(serde_json::json!("2026-12-15")).unwrap();
        assert_eq!(d, date("2026-12-15"));
        assert_eq!(
            serde_json::to_value(d).unwrap(),
            serde_json::json!("2026-12-15")
        );
        let err = serde_json::from_value::<Date>(serde_json::json!("2026-02-30")).unwrap_err();
        assert_eq!(err.to_string(), "`2026-02-30` is not a calendar date");
        assert!(serde_json::from_value::<Date>(serde_json::json!(20261215)).is_err());
    }
}

/// Test helpers that hold the model and the JSON Schemas to the same contract.
#[cfg(test)]
pub(crate) mod testing {
    use serde_json::Value;

    /// The request schema, as shipped in `schemas/`.
    pub(crate) const REQUEST_SCHEMA: &str = include_str!("../../schemas/request.schema.json");
    /// The event schema, as shipped in `schemas/`.
    pub(crate) const EVENT_SCHEMA: &str = include_str!("../../schemas/event.schema.json");
    /// The porting.toml schema, as shipped in `schemas/`.
    pub(crate) const PORTING_SCHEMA: &str = include_str!("../../schemas/porting.schema.json");

    /// The schema's error messages for `instance`, formats checked; empty when it passes.
    pub(crate) fn schema_errors(schema: &str, instance: &Value) -> Vec<String> {
        let schema: Value = serde_json::from_str(schema).unwrap();
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap();
        validator
            .iter_errors(instance)
            .map(|err| format!("{}: {err}", err.instance_path()))
            .collect()
    }

    /// The `enum` at `pointer` in `schema`, as strings.
    pub(crate) fn schema_enum(schema: &str, pointer: &str) -> Vec<String> {
        let schema: Value = serde_json::from_str(schema).unwrap();
        let values = schema.pointer(pointer).and_then(Value::as_array);
        let values = values.unwrap_or_else(|| panic!("no enum at {pointer}"));
        values
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    }

    /// The `as_str` names of every variant.
    pub(crate) fn names<T: Copy>(all: &[T], as_str: fn(T) -> &'static str) -> Vec<String> {
        all.iter().map(|&v| as_str(v).to_owned()).collect()
    }
}
