//! What changed between two versions of a port's LOA data, field by field.

use std::collections::{BTreeMap, BTreeSet};

use crate::loa::digest::LoaData;

/// One field of the LOA data that differs between two versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// The field, dotted (`end_user.name`, `numbers`).
    pub field: String,
    /// The value before, when it had one.
    pub before: Option<String>,
    /// The value after, when it has one.
    pub after: Option<String>,
}

impl FieldChange {
    /// The JSON pointer of the field in request.toml, for a span.
    pub fn pointer(&self) -> String {
        if self.field.starts_with("organization") {
            return String::new();
        }
        format!("/{}", self.field.replace('.', "/"))
    }
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut BTreeMap<String, String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        serde_json::Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

/// Every LOA field but the numbers, by dotted name (`end_user.service_address.street`).
pub fn loa_fields(data: &LoaData) -> BTreeMap<String, String> {
    let mut value = serde_json::to_value(data).unwrap_or_default();
    if let Some(obj) = value.as_object_mut() {
        obj.remove("numbers");
        obj.remove("format");
    }
    value_fields(&value)
}

/// Every leaf of a JSON value by dotted name; arrays are one value, in JSON.
pub fn value_fields(value: &serde_json::Value) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    flatten("", value, &mut map);
    map
}

/// The keys whose values differ between two flattened maps, in key order.
pub fn map_changes(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> Vec<FieldChange> {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|key| a.get(*key) != b.get(*key))
        .map(|key| FieldChange {
            field: key.clone(),
            before: a.get(key).cloned(),
            after: b.get(key).cloned(),
        })
        .collect()
}

/// The LOA fields that differ, field by field; numbers are compared as a set.
pub fn loa_changes(before: &LoaData, after: &LoaData) -> Vec<FieldChange> {
    let mut out = map_changes(&loa_fields(before), &loa_fields(after));
    let numbers = |data: &LoaData| -> BTreeSet<String> {
        data.numbers
            .iter()
            .map(|n| match &n.kind {
                Some(kind) => format!("{} ({kind})", n.number),
                None => n.number.clone(),
            })
            .collect()
    };
    let (x, y) = (numbers(before), numbers(after));
    for gone in x.difference(&y) {
        out.push(FieldChange {
            field: "numbers".to_owned(),
            before: Some(gone.clone()),
            after: None,
        });
    }
    for new in y.difference(&x) {
        out.push(FieldChange {
            field: "numbers".to_owned(),
            before: None,
            after: Some(new.clone()),
        });
    }
    out
}

// ── Timelines ────────────────────────────────────────────────────────────────

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_pointers_follow_the_request_layout() {
        let change = |field: &str| FieldChange {
            field: field.to_owned(),
            before: None,
            after: None,
        };
        assert_eq!(
            change("end_user.service_address.street").pointer(),
            "/end_user/service_address/street"
        );
        assert_eq!(change("organization.name").pointer(), "");
    }
}
