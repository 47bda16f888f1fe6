//! Port events (`ports/<id>/events/NNN-<kind>.toml`), mirroring `schemas/event.schema.json`.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::Date;

/// One event of a port's append-only log.
///
/// In the file the common fields (`kind`, `on`, `by`, `note`) sit beside the kind's own
/// fields; `body` holds the kind and its fields.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Event {
    /// The date it happened.
    pub on: Date,
    /// E-mail of the staff member who recorded it.
    pub by: String,
    /// Free-text note for colleagues.
    pub note: Option<String>,
    /// The kind and its fields.
    // Unknown keys end up in the flattened body, whose variants deny them: serde cannot
    // combine `deny_unknown_fields` with `flatten` on this struct itself.
    #[serde(flatten)]
    pub body: EventBody,
}

impl Event {
    /// The kind of the event.
    pub fn kind(&self) -> EventKind {
        self.body.kind()
    }
}

/// What happened, with the fields of that kind; `kind` in the file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum EventBody {
    /// The customer signed the LOA.
    Signed {
        /// Who signed; must be the end user's authorized person.
        signer: String,
        /// How it was signed.
        method: SignMethod,
        /// Path of the signed LOA, under `documents/`.
        document: String,
        /// Digest of the LOA that was signed, `sha256:<hex>`.
        loa_digest: String,
        /// sha256 (hex) of the signed file, recorded when it prints no readable digest
        /// (a scan of a wet-ink signature), so a replaced file is noticed.
        #[serde(default)]
        document_sha256: Option<String>,
    },
    /// We submitted the port to a partner carrier.
    Submitted {
        /// The partner carrier, a name from porting.toml `[carriers]`.
        carrier: String,
        /// The carrier's order id.
        carrier_order_id: Option<String>,
        /// The port date requested.
        requested_foc: Date,
    },
    /// The carrier rejected the port.
    Rejected {
        /// The carrier's reasons.
        reasons: Vec<RejectReason>,
        /// Customer-facing instructions to resolve it.
        instructions: String,
    },
    /// The carrier confirmed a port date (FOC).
    Scheduled {
        /// The Firm Order Confirmation date.
        foc: Date,
        /// Time of day, `HH:MM`; always with `foc_timezone`.
        foc_time: Option<String>,
        /// IANA time zone of `foc_time`.
        foc_timezone: Option<String>,
        /// The carrier's order id.
        carrier_order_id: Option<String>,
        /// The numbers it covers, in E.164; `None` means all.
        numbers: Option<Vec<String>>,
    },
    /// The port completed.
    Completed {
        /// The numbers that completed, in E.164; `None` means all.
        numbers: Option<Vec<String>>,
    },
    /// The port was cancelled.
    Cancelled {
        /// Why.
        reason: String,
    },
    /// An earlier event was recorded in error and no longer counts.
    Void {
        /// The `NNN` of the voided event file, e.g. `004`.
        voids: String,
        /// Why.
        reason: String,
    },
}

impl EventBody {
    /// The kind of the event.
    pub fn kind(&self) -> EventKind {
        match self {
            EventBody::Signed { .. } => EventKind::Signed,
            EventBody::Submitted { .. } => EventKind::Submitted,
            EventBody::Rejected { .. } => EventKind::Rejected,
            EventBody::Scheduled { .. } => EventKind::Scheduled,
            EventBody::Completed { .. } => EventKind::Completed,
            EventBody::Cancelled { .. } => EventKind::Cancelled,
            EventBody::Void { .. } => EventKind::Void,
        }
    }
}

/// One reason of a `rejected` event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectReason {
    /// Kebab-case reason code, e.g. `btn-mismatch`.
    pub code: String,
    /// The carrier's wording.
    pub detail: String,
    /// The affected numbers, in E.164; `None` means all.
    pub numbers: Option<Vec<String>>,
}

/// How the LOA was signed (`method` of a `signed` event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignMethod {
    /// An electronic signature.
    ESign,
    /// Signed on paper and scanned.
    WetInk,
    /// E-mailed to the authorized signee, who signed it.
    EmailedToSignee,
}

impl SignMethod {
    /// Every variant, in schema order.
    pub const ALL: [SignMethod; 3] = [
        SignMethod::ESign,
        SignMethod::WetInk,
        SignMethod::EmailedToSignee,
    ];

    /// The name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            SignMethod::ESign => "e-sign",
            SignMethod::WetInk => "wet-ink",
            SignMethod::EmailedToSignee => "emailed-to-signee",
        }
    }
}

/// The kind of an event, as in `kind` and in the file name `NNN-<kind>.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// The LOA was signed.
    Signed,
    /// Submitted to a partner carrier.
    Submitted,
    /// Rejected by the carrier.
    Rejected,
    /// FOC received.
    Scheduled,
    /// The port completed.
    Completed,
    /// The port was cancelled.
    Cancelled,
    /// An earlier event is void.
    Void,
}

impl EventKind {
    /// Every variant, in schema order.
    pub const ALL: [EventKind; 7] = [
        EventKind::Signed,
        EventKind::Submitted,
        EventKind::Rejected,
        EventKind::Scheduled,
        EventKind::Completed,
        EventKind::Cancelled,
        EventKind::Void,
    ];

    /// The name used in `kind` and in file names.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Signed => "signed",
            EventKind::Submitted => "submitted",
            EventKind::Rejected => "rejected",
            EventKind::Scheduled => "scheduled",
            EventKind::Completed => "completed",
            EventKind::Cancelled => "cancelled",
            EventKind::Void => "void",
        }
    }
}

/// A name that is no event kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an event kind")]
pub struct UnknownEventKind(pub String);

impl FromStr for EventKind {
    type Err = UnknownEventKind;

    fn from_str(name: &str) -> Result<EventKind, UnknownEventKind> {
        EventKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
            .ok_or_else(|| UnknownEventKind(name.to_owned()))
    }
}

display_as_str!(SignMethod, EventKind);

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn parse(value: Value) -> Result<Event, serde_json::Error> {
        serde_json::from_value(value)
    }

    /// One valid event of every kind, with the SPEC §4 fields.
    fn examples() -> Vec<Value> {
        vec![
            json!({
                "kind": "signed", "on": "2026-11-21", "by": "ops@example.com",
                "signer": "Maria Lopez", "method": "emailed-to-signee",
                "document": "documents/loa-signed.pdf",
                "loa_digest": format!("sha256:{}", "0f".repeat(32))
            }),
            json!({
                "kind": "submitted", "on": "2026-11-23", "by": "ops@example.com",
                "carrier": "Partner Carrier", "carrier_order_id": "PC-1042", "requested_foc": "2026-12-15"
            }),
            json!({
                "kind": "rejected", "on": "2026-11-25", "by": "ops@example.com",
                "reasons": [
                    { "code": "btn-mismatch", "detail": "BTN does not match the account" },
                    { "code": "number-not-on-account", "detail": "not on this account", "numbers": ["+12065550145"] }
                ],
                "instructions": "Please send us your most recent bill."
            }),
            json!({
                "kind": "scheduled", "on": "2026-11-27", "by": "ops@example.com",
                "foc": "2026-12-15", "foc_time": "09:00", "foc_timezone": "America/Los_Angeles",
                "carrier_order_id": "PC-1042", "numbers": ["+12065550143"], "note": "FOC by e-mail"
            }),
            json!({ "kind": "completed", "on": "2026-12-15", "by": "ops@example.com" }),
            json!({ "kind": "cancelled", "on": "2026-12-01", "by": "ops@example.com", "reason": "customer stays" }),
            json!({
                "kind": "void", "on": "2026-12-01", "by": "ops@example.com",
                "voids": "004", "reason": "recorded in the wrong port"
            }),
        ]
    }

    #[test]
    fn reads_every_kind() {
        let events: Vec<Event> = examples().into_iter().map(|v| parse(v).unwrap()).collect();
        let kinds: Vec<EventKind> = events.iter().map(Event::kind).collect();
        assert_eq!(kinds, EventKind::ALL);
        assert_eq!(events[0].on, "2026-11-21".parse().unwrap());
        assert_eq!(events[0].by, "ops@example.com");
        assert!(matches!(
            &events[0].body,
            EventBody::Signed { method: SignMethod::EmailedToSignee, signer, .. } if signer == "Maria Lopez"
        ));
        let EventBody::Rejected { reasons, .. } = &events[2].body else {
            panic!("not rejected: {:?}", events[2]);
        };
        assert_eq!(reasons[0].numbers, None);
        assert_eq!(
            reasons[1].numbers.as_deref(),
            Some(&["+12065550145".to_owned()][..])
        );
        assert_eq!(events[3].note.as_deref(), Some("FOC by e-mail"));
        assert_eq!(events[4].body, EventBody::Completed { numbers: None });
        assert!(matches!(&events[6].body, EventBody::Void { voids, .. } if voids == "004"));
    }

    #[test]
    fn rejects_unknown_and_foreign_keys() {
        let mut unknown = examples().remove(4);
        unknown["colour"] = json!("red");
        assert!(
            parse(unknown)
                .unwrap_err()
                .to_string()
                .contains("unknown field `colour`")
        );

        // `carrier` belongs to `submitted`, not to `signed`.
        let mut foreign = examples().remove(0);
        foreign["carrier"] = json!("Partner Carrier");
        assert!(
            parse(foreign)
                .unwrap_err()
                .to_string()
                .contains("unknown field `carrier`")
        );

        let mut nested = examples().remove(2);
        nested["reasons"][0]["extra"] = json!(1);
        assert!(parse(nested).is_err());
    }

    #[test]
    fn rejects_missing_fields_and_unknown_kinds() {
        let mut missing = examples().remove(5);
        missing.as_object_mut().unwrap().remove("reason");
        assert!(
            parse(missing)
                .unwrap_err()
                .to_string()
                .contains("missing field `reason`")
        );

        let mut no_by = examples().remove(4);
        no_by.as_object_mut().unwrap().remove("by");
        assert!(parse(no_by).is_err());

        let mut kind = examples().remove(4);
        kind["kind"] = json!("done");
        assert!(parse(kind).is_err());
    }

    #[test]
    fn agrees_with_the_schema() {
        use crate::model::testing::{EVENT_SCHEMA, names, schema_enum, schema_errors};

        let mut full = examples();
        full[4]["numbers"] = json!(["+12065550143"]);
        for valid in examples().into_iter().chain(full) {
            assert_eq!(
                schema_errors(EVENT_SCHEMA, &valid),
                Vec::<String>::new(),
                "{valid}"
            );
            parse(valid).unwrap();
        }

        // Structurally wrong: both the schema and the model refuse it.
        let invalid: [(usize, &str, Value); 7] = [
            (4, "colour", json!("red")),
            (0, "carrier", json!("Partner Carrier")),
            (0, "method", json!("fax")),
            (1, "requested_foc", json!("2026-02-30")),
            (4, "kind", json!("done")),
            (5, "reason", Value::Null),
            (4, "by", Value::Null),
        ];
        for (example, key, value) in invalid {
            let mut instance = examples().remove(example);
            let object = instance.as_object_mut().unwrap();
            if value.is_null() {
                object.remove(key);
            } else {
                object.insert(key.to_owned(), value);
            }
            let errors = schema_errors(EVENT_SCHEMA, &instance);
            // One mistake, one schema error: the schema is built so errors do not pile up.
            assert_eq!(errors.len(), 1, "{key}: {errors:?}");
            assert!(parse(instance).is_err(), "model takes {key}");
        }
        assert_eq!(
            schema_enum(EVENT_SCHEMA, "/properties/kind/enum"),
            names(&EventKind::ALL, EventKind::as_str)
        );
        assert_eq!(
            schema_enum(EVENT_SCHEMA, "/allOf/0/then/properties/method/enum"),
            names(&SignMethod::ALL, SignMethod::as_str)
        );
    }

    #[test]
    fn kind_names_round_trip() {
        for kind in EventKind::ALL {
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.as_str()));
            assert_eq!(kind.to_string(), kind.as_str());
        }
        assert_eq!(
            "Signed".parse::<EventKind>(),
            Err(UnknownEventKind("Signed".to_owned()))
        );
        for method in SignMethod::ALL {
            assert_eq!(
                serde_json::to_value(method).unwrap(),
                json!(method.as_str())
            );
        }
    }
}
