//! Which ports hold a telephone number, typed in any format, and their stage.
//!
//! A port *holds* a number when it is in its `[[numbers]]`. Other places a number shows up
//! are listed too, each by what it is there: the billing number, the new billing number of
//! a partial port, a number on the losing carrier's CSR. Ports whose request fails its
//! schema are still searched (leniently) and show as `invalid`.

use phonenumber::Mode;
use serde::Serialize;

use super::Checked;
use crate::stage::Stage;

/// A number that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum NumberError {
    /// The text is no telephone number.
    #[error(
        "`{0}` is not a valid telephone number: type it in full, with `+` and the country code or with `--country` for a national number"
    )]
    NotANumber(String),
    /// `--country` is not an ISO code the numbering plan knows.
    #[error(
        "`{0}` is not a country code known to the numbering plan (use ISO 3166-1 alpha-2, e.g. `US`)"
    )]
    UnknownCountry(String),
}

/// The E.164 form of a number as a person types it; `region` is the country assumed when
/// the text has no country code (`+…`).
pub fn normalize(text: &str, region: &str) -> Result<String, NumberError> {
    let id = region
        .trim()
        .to_ascii_uppercase()
        .parse::<phonenumber::country::Id>()
        .map_err(|_| NumberError::UnknownCountry(region.to_owned()))?;
    // What people write around a number: a national trunk `(0)` after the country code
    // (`+44 (0)20 …`), and `00` as the international prefix (`00 44 20 …`).
    let mut cleaned = text.trim().replace("(0)", "");
    if let Some(rest) = cleaned.strip_prefix("00") {
        cleaned = format!("+{rest}");
    }
    let number = phonenumber::parse(Some(id), cleaned.trim())
        .map_err(|_| NumberError::NotANumber(text.to_owned()))?;
    // A wrong answer ("no port holds it") is worse than a refusal: only valid numbers.
    if !phonenumber::is_valid(&number) {
        return Err(NumberError::NotANumber(text.to_owned()));
    }
    Ok(number.format().mode(Mode::E164).to_string())
}

/// Where in a request a number was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// In `[[numbers]]`: the port moves it.
    Number,
    /// `end_user.billing_number`: the account's BTN.
    BillingNumber,
    /// `partial.new_billing_number`: stays on the losing account as its new BTN.
    NewBillingNumber,
    /// In `csr.numbers`: on the losing account, per the carrier's record.
    Csr,
}

impl Role {
    /// How the table shows it.
    pub fn describe(self) -> &'static str {
        match self {
            Role::Number => "[[numbers]]",
            Role::BillingNumber => "billing number",
            Role::NewBillingNumber => "new billing number",
            Role::Csr => "on the CSR",
        }
    }
}

/// One place the number was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Match {
    /// The port id.
    pub port: String,
    /// Repo-relative folder.
    pub dir: String,
    /// The port's stage.
    pub stage: Stage,
    /// What the number is there.
    pub role: Role,
    /// The declared number type, for `[[numbers]]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_type: Option<String>,
}

/// Strings under `path` (dotted keys; `[]` steps into every element of an array).
fn strings_at<'a>(value: &'a toml::Value, path: &[&str]) -> Vec<&'a toml::Value> {
    let Some((first, rest)) = path.split_first() else {
        return vec![value];
    };
    if *first == "[]" {
        return value
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|v| strings_at(v, rest))
            .collect();
    }
    value
        .get(*first)
        .map_or_else(Vec::new, |v| strings_at(v, rest))
}

/// Every place in a request's TOML text where `e164` appears (compared in E.164, read
/// leniently so requests that fail their schema are searched too).
fn places(text: &str, e164: &str) -> Vec<(Role, Option<String>)> {
    let Ok(table) = toml::from_str::<toml::Table>(text) else {
        return Vec::new();
    };
    let root = toml::Value::Table(table);
    let country = root
        .get("country")
        .and_then(|c| c.as_str())
        .unwrap_or("US")
        .to_owned();
    let same = |value: &toml::Value| {
        value.as_str().is_some_and(|s| {
            s == e164 || normalize(s, &country).is_ok_and(|normalized| normalized == e164)
        })
    };
    let mut out = Vec::new();
    for entry in strings_at(&root, &["numbers", "[]"]) {
        if entry.get("number").is_some_and(same) {
            let kind = entry
                .get("type")
                .and_then(|t| t.as_str())
                .map(str::to_owned);
            out.push((Role::Number, kind));
        }
    }
    let singles = [
        (Role::BillingNumber, &["end_user", "billing_number"][..]),
        (
            Role::NewBillingNumber,
            &["partial", "new_billing_number"][..],
        ),
        (Role::Csr, &["csr", "numbers", "[]"][..]),
    ];
    for (role, path) in singles {
        if strings_at(&root, path).into_iter().any(same) {
            out.push((role, None));
        }
    }
    out
}

/// Every place in a checked repo that holds `e164`, with the ports' stages.
pub fn find_in(checked: &Checked, e164: &str) -> Vec<Match> {
    let mut matches = Vec::new();
    for port in &checked.repo.ports {
        let stage = checked.stage_of(&port.dir);
        let Some(source) = checked.repo.sources.get(&port.request_path()) else {
            continue;
        };
        for (role, number_type) in places(&source.text, e164) {
            matches.push(Match {
                port: port.id.clone(),
                dir: port.dir.clone(),
                stage,
                role,
                number_type,
            });
        }
    }
    matches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_what_people_type() {
        for typed in [
            "(206) 555-0143",
            "+1 206 555 0143",
            "206.555.0143",
            "12065550143",
            "+12065550143",
            "1-206-555-0143",
        ] {
            assert_eq!(normalize(typed, "US").unwrap(), "+12065550143", "{typed}");
        }
        assert_eq!(normalize("020 7946 0143", "GB").unwrap(), "+442079460143");
        // Regression: international spellings and numbers that are no number at all.
        assert_eq!(
            normalize("+44 (0)20 7946 0143", "US").unwrap(),
            "+442079460143"
        );
        assert_eq!(
            normalize("00 44 20 7946 0143", "US").unwrap(),
            "+442079460143"
        );
        assert!(matches!(
            normalize("555-0144", "US"),
            Err(NumberError::NotANumber(_))
        ));
        assert!(matches!(
            normalize("999", "US"),
            Err(NumberError::NotANumber(_))
        ));
        assert!(matches!(
            normalize("call me", "US"),
            Err(NumberError::NotANumber(_))
        ));
        assert!(matches!(
            normalize("2065550143", "ZZ"),
            Err(NumberError::UnknownCountry(_))
        ));
    }

    #[test]
    fn finds_every_role_leniently() {
        let text = r#"
country = "US"
bogus_key = 1
[end_user]
billing_number = "+12065550143"
[csr]
numbers = ["+12065550143", "+12065550144"]
[[numbers]]
number = "+12065550143"
type = "landline"
"#;
        let roles: Vec<Role> = places(text, "+12065550143")
            .into_iter()
            .map(|(r, _)| r)
            .collect();
        assert_eq!(roles, vec![Role::Number, Role::BillingNumber, Role::Csr]);
        assert_eq!(places(text, "+12065550144").len(), 1);
        assert!(places(text, "+12065550199").is_empty());
    }
}
