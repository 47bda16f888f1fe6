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

/// The LOA fields that differ, field by field; numbers are compared as a set.
pub fn loa_changes(before: &LoaData, after: &LoaData) -> Vec<FieldChange> {
    let fields = |data: &LoaData| {
        let mut map = BTreeMap::new();
        let mut value = serde_json::to_value(data).unwrap_or_default();
        if let Some(obj) = value.as_object_mut() {
            obj.remove("numbers");
            obj.remove("format");
        }
        flatten("", &value, &mut map);
        map
    };
    let (a, b) = (fields(before), fields(after));
    let mut out = Vec::new();
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for key in keys {
        let (x, y) = (a.get(key), b.get(key));
        if x != y {
            out.push(FieldChange {
                field: key.clone(),
                before: x.cloned(),
                after: y.cloned(),
            });
        }
    }
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
