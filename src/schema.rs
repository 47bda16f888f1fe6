//! The embedded JSON Schemas, validation, and mapping validator errors back to TOML spans.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{Draft, Validator};
use serde_json::Value;

use crate::diag::{Code, Finding};
use crate::plural::count;
use crate::source::{Document, NodeValue};

/// The three file kinds that have a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SchemaKind {
    /// `ports/<id>/request.toml`.
    Request,
    /// `ports/<id>/events/NNN-<kind>.toml`.
    Event,
    /// `porting.toml`.
    Porting,
}

impl SchemaKind {
    /// Every schema kind.
    pub const ALL: [SchemaKind; 3] = [SchemaKind::Request, SchemaKind::Event, SchemaKind::Porting];

    /// The schema's file name under `schemas/`.
    pub fn file_name(self) -> &'static str {
        match self {
            SchemaKind::Request => "request.schema.json",
            SchemaKind::Event => "event.schema.json",
            SchemaKind::Porting => "porting.schema.json",
        }
    }

    /// The short name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            SchemaKind::Request => "request",
            SchemaKind::Event => "event",
            SchemaKind::Porting => "porting",
        }
    }

    /// The authoritative schema text built into the binary.
    pub fn text(self) -> &'static str {
        match self {
            SchemaKind::Request => include_str!("../schemas/request.schema.json"),
            SchemaKind::Event => include_str!("../schemas/event.schema.json"),
            SchemaKind::Porting => include_str!("../schemas/porting.schema.json"),
        }
    }

    /// The parsed schema.
    pub fn json(self) -> &'static Value {
        static CELLS: [OnceLock<Value>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
        CELLS[self as usize].get_or_init(|| {
            // The embedded schemas are checked by the test suite; failing here is a build bug.
            serde_json::from_str(self.text()).unwrap_or(Value::Bool(true))
        })
    }

    fn validator(self) -> Option<&'static Validator> {
        static CELLS: [OnceLock<Option<Validator>>; 3] =
            [OnceLock::new(), OnceLock::new(), OnceLock::new()];
        CELLS[self as usize]
            .get_or_init(|| {
                jsonschema::options()
                    .with_draft(Draft::Draft202012)
                    .should_validate_formats(true)
                    .build(self.json())
                    .ok()
            })
            .as_ref()
    }
}

/// The instance without the keys its schema does not know (objects whose schema says
/// `additionalProperties: false`, at any depth): what is left of a request with a misspelt
/// key, so the other rules can still judge the rest of it.
pub fn known_keys_only(kind: SchemaKind, instance: &Value) -> Value {
    fn strip(schema: &Value, value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let props = schema.get("properties").and_then(Value::as_object);
                let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
                map.iter()
                    .filter(|(k, _)| !closed || props.is_some_and(|p| p.contains_key(*k)))
                    .map(|(k, v)| {
                        let sub = props.and_then(|p| p.get(k)).unwrap_or(&Value::Null);
                        (k.clone(), strip(sub, v))
                    })
                    .collect::<serde_json::Map<_, _>>()
                    .into()
            }
            Value::Array(items) => {
                let sub = schema.get("items").unwrap_or(&Value::Null);
                Value::Array(items.iter().map(|v| strip(sub, v)).collect())
            }
            other => other.clone(),
        }
    }
    strip(kind.json(), instance)
}

/// Validates a document; every violation becomes a `schema::violation` finding at its span.
/// `secret_keys` names keys whose values must never be quoted in a message.
pub fn validate(doc: &Document, kind: SchemaKind, secret_keys: &[&str]) -> Vec<Finding> {
    validate_json(doc, &doc.to_json(), kind, secret_keys)
}

/// [`validate`] with the document's JSON form (`doc.to_json()`) at hand.
pub fn validate_json(
    doc: &Document,
    instance: &Value,
    kind: SchemaKind,
    secret_keys: &[&str],
) -> Vec<Finding> {
    let Some(validator) = kind.validator() else {
        return vec![Finding::new(
            Code::SchemaViolation,
            &doc.file.path,
            0..0,
            format!("the built-in {} schema does not compile", kind.name()),
        )];
    };
    // Most files are valid, and saying so is much cheaper than listing no errors.
    if validator.is_valid(instance) {
        return Vec::new();
    }
    let errors: Vec<_> = validator.iter_errors(instance).collect();
    // A bad `kind` makes every kind-specific key unevaluated (in a schema closed with
    // `unevaluatedProperties`); the enum error says it all.
    let kind_is_bad = errors.iter().any(|e| {
        e.instance_path().as_str() == "/kind"
            && !matches!(e.kind(), ValidationErrorKind::Required { .. })
    });
    let mut findings = Vec::new();
    let mut seen = BTreeSet::new();
    for error in &errors {
        let pointer = error.instance_path().as_str().to_owned();
        let schema_path = error.schema_path().as_str().to_owned();
        let ctx = Ctx {
            doc,
            kind,
            pointer: &pointer,
            schema_path: &schema_path,
            instance: error.instance(),
            secret_keys,
        };
        let produced = match error.kind() {
            ValidationErrorKind::UnevaluatedProperties { unexpected }
            | ValidationErrorKind::AdditionalProperties { unexpected } => {
                if kind_is_bad
                    && matches!(
                        error.kind(),
                        ValidationErrorKind::UnevaluatedProperties { .. }
                    )
                {
                    continue;
                }
                unexpected.iter().map(|key| ctx.unknown_key(key)).collect()
            }
            other => vec![ctx.finding(other, &error.to_string())],
        };
        for f in produced {
            if seen.insert((f.span.start, f.span.end, f.message.clone())) {
                findings.push(f);
            }
        }
    }
    findings
}

struct Ctx<'a> {
    doc: &'a Document,
    kind: SchemaKind,
    pointer: &'a str,
    schema_path: &'a str,
    instance: &'a Value,
    secret_keys: &'a [&'a str],
}

impl Ctx<'_> {
    fn key(&self) -> String {
        toml_path(self.pointer)
    }

    fn last_key(&self) -> &str {
        self.pointer.rsplit('/').next().unwrap_or("")
    }

    fn value(&self) -> String {
        if crate::source::is_secret_key(self.last_key(), self.secret_keys) {
            return "the value".to_owned();
        }
        let text = match self.instance {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let mut short: String = text.chars().take(40).collect();
        if short.len() < text.len() {
            short.push('…');
        }
        format!("`{short}`")
    }

    fn description(&self, schema_pointer: &str) -> Option<String> {
        let node = self.kind.json().pointer(schema_pointer)?;
        node.get("description")?.as_str().map(str::to_owned)
    }

    fn with_description(&self, help: String) -> String {
        let own = self
            .schema_path
            .rsplit_once('/')
            .map(|(parent, _)| parent)
            .unwrap_or("");
        match self.description(own) {
            Some(d) => format!("{help} ({})", lower_first(d.trim_end_matches('.'))),
            None => help,
        }
    }

    fn finding(&self, kind: &ValidationErrorKind, raw: &str) -> Finding {
        let span = self.doc.span(self.pointer);
        let key = self.key();
        let (message, label, help) = match kind {
            ValidationErrorKind::Type { kind } => {
                let expected = match kind {
                    TypeKind::Single(t) => toml_type(t.as_str()).to_owned(),
                    TypeKind::Multiple(set) => set
                        .iter()
                        .map(|t| toml_type(t.as_str()))
                        .collect::<Vec<_>>()
                        .join(" or "),
                };
                let found = self.found_type();
                (
                    format!(
                        "`{key}` must be {} {expected}, not {found}",
                        article(&expected)
                    ),
                    format!("this is {found}"),
                    self.with_description(format!(
                        "write `{key}` as {} {expected}",
                        article(&expected)
                    )),
                )
            }
            ValidationErrorKind::Enum { options } => {
                let list = options
                    .as_array()
                    .map(|o| {
                        o.iter()
                            .map(|v| {
                                format!(
                                    "`{}`",
                                    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                                )
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                (
                    format!("{} is not a valid `{key}`", self.value()),
                    "not one of the allowed values".to_owned(),
                    format!("use one of {list}"),
                )
            }
            ValidationErrorKind::Constant { expected_value } => (
                format!("`{key}` must be `{expected_value}`"),
                "unexpected value".to_owned(),
                format!("set `{key}` to `{expected_value}`"),
            ),
            ValidationErrorKind::Pattern { pattern } => {
                let (what, how, known) = pattern_help(pattern);
                (
                    format!("{} is not {what}", self.value()),
                    format!("not {what}"),
                    if known {
                        how
                    } else {
                        self.with_description(how)
                    },
                )
            }
            ValidationErrorKind::Format { format } => {
                let (what, how) = match format.as_str() {
                    "date" => (
                        "a valid date",
                        "write a date as YYYY-MM-DD, e.g. `2026-11-20` (a TOML date or a quoted string)",
                    ),
                    "email" => (
                        "a valid e-mail address",
                        "write an e-mail address such as `maria@example.com`",
                    ),
                    _ => ("in the expected format", "check the value's format"),
                };
                (
                    format!("{} in `{key}` is not {what}", self.value()),
                    format!("not {what}"),
                    how.to_owned(),
                )
            }
            ValidationErrorKind::Required { property } => {
                let prop = property
                    .as_str()
                    .map_or_else(|| property.to_string(), str::to_owned);
                let table = if self.pointer.is_empty() {
                    "the file".to_owned()
                } else {
                    format!("`{key}`")
                };
                let parent = self
                    .schema_path
                    .rsplit_once('/')
                    .map(|(p, _)| p)
                    .unwrap_or("");
                let desc = self
                    .description(&format!("{parent}/properties/{prop}"))
                    .map(|d| format!(": {}", lower_first(d.trim_end_matches('.'))))
                    .unwrap_or_default();
                let span = self.doc.table_span(self.pointer);
                return Finding::new(
                    Code::SchemaViolation,
                    &self.doc.file.path,
                    span,
                    format!("{table} lacks the required key `{prop}`"),
                )
                .label(format!("`{prop}` is missing here"))
                .help(format!("add `{prop} = …`{desc}"));
            }
            ValidationErrorKind::MinLength { limit } if *limit <= 1 => (
                format!("`{key}` must not be empty"),
                "empty".to_owned(),
                self.with_description(format!("fill in `{key}` or remove the key")),
            ),
            ValidationErrorKind::MinLength { limit } => (
                format!("`{key}` must be at least {limit} characters"),
                "too short".to_owned(),
                self.with_description(format!("lengthen `{key}`")),
            ),
            ValidationErrorKind::MaxLength { limit } => (
                format!("`{key}` must be at most {limit} characters"),
                "too long".to_owned(),
                format!("shorten `{key}`"),
            ),
            ValidationErrorKind::Minimum { limit }
            | ValidationErrorKind::ExclusiveMinimum { limit } => (
                format!(
                    "{} is too small for `{key}` (minimum {limit})",
                    self.value()
                ),
                "too small".to_owned(),
                format!("use a value of at least {limit}"),
            ),
            ValidationErrorKind::Maximum { limit }
            | ValidationErrorKind::ExclusiveMaximum { limit } => (
                format!(
                    "{} is too large for `{key}` (maximum {limit})",
                    self.value()
                ),
                "too large".to_owned(),
                format!("use a value of at most {limit}"),
            ),
            ValidationErrorKind::MinItems { limit } => (
                format!(
                    "`{key}` needs at least {}",
                    count(*limit, "entry", "entries")
                ),
                "too few entries".to_owned(),
                self.with_description(format!("add entries to `{key}`")),
            ),
            ValidationErrorKind::MaxItems { limit } => (
                format!(
                    "`{key}` allows at most {}",
                    count(*limit, "entry", "entries")
                ),
                "too many entries".to_owned(),
                format!("remove entries from `{key}`"),
            ),
            ValidationErrorKind::UniqueItems => (
                format!("`{key}` lists a value twice"),
                "repeated value".to_owned(),
                "list each value once".to_owned(),
            ),
            ValidationErrorKind::PropertyNames { error } => {
                let name = error.instance().as_str().unwrap_or_default().to_owned();
                let span = match &self.doc.node(self.pointer).map(|n| &n.value) {
                    Some(NodeValue::Table(entries)) => entries
                        .iter()
                        .find(|e| e.key == name)
                        .map_or(span.clone(), |e| e.key_span.clone()),
                    _ => span.clone(),
                };
                let within = if self.pointer.is_empty() {
                    "the file".to_owned()
                } else {
                    format!("`{key}`")
                };
                let how = match error.kind() {
                    ValidationErrorKind::Pattern { pattern } => pattern_help(pattern).1,
                    _ => "rename the key".to_owned(),
                };
                return Finding::new(
                    Code::SchemaViolation,
                    &self.doc.file.path,
                    span,
                    format!("`{name}` is not a valid key in {within}"),
                )
                .label("invalid key")
                .help(how);
            }
            ValidationErrorKind::FalseSchema => (
                format!("`{key}` is not allowed here"),
                "not allowed".to_owned(),
                "remove this key".to_owned(),
            ),
            _ => (
                format!("`{key}`: {}", raw.replace('"', "`")),
                "does not match the schema".to_owned(),
                format!("see the description of `{key}` in docs/format.md"),
            ),
        };
        Finding::new(Code::SchemaViolation, &self.doc.file.path, span, message)
            .label(label)
            .help(help)
    }

    fn found_type(&self) -> &'static str {
        let node = self.doc.node(self.pointer).map(|n| &n.value);
        match node {
            Some(NodeValue::String(_)) => "a string",
            Some(NodeValue::Integer(_)) => "an integer",
            Some(NodeValue::Float(_)) => "a float",
            Some(NodeValue::Bool(_)) => "a boolean",
            Some(NodeValue::Datetime(_)) => "a date",
            Some(NodeValue::Array(_)) => "an array",
            Some(NodeValue::Table(_)) => "a table",
            None => "something else",
        }
    }

    fn unknown_key(&self, key: &str) -> Finding {
        let pointer = format!(
            "{}/{}",
            self.pointer,
            key.replace('~', "~0").replace('/', "~1")
        );
        let span = self
            .doc
            .entry(&pointer)
            .map_or_else(|| self.doc.span(self.pointer), |e| e.key_span.clone());
        let known = self.known_keys();
        let within = if self.pointer.is_empty() {
            match self.kind {
                SchemaKind::Request => "a request".to_owned(),
                SchemaKind::Event => self
                    .event_kind()
                    .map_or("an event".to_owned(), |k| format!("a `{k}` event")),
                SchemaKind::Porting => "porting.toml".to_owned(),
            }
        } else {
            format!("`{}`", self.key())
        };
        let suggestion = known
            .iter()
            .map(|k| (strsim::jaro_winkler(k, key), k))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, k)| k.clone());
        let help = match (suggestion, known.is_empty()) {
            (Some(s), _) => format!("did you mean `{s}`? remove or rename the key"),
            (None, false) => format!(
                "remove the key; the keys allowed here are {}",
                known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            (None, true) => "remove the key".to_owned(),
        };
        if crate::source::key_is_credential_like(key) {
            // The key may be a PIN or PAC typed in the wrong place: name only its line.
            let (line, _) = self.doc.file.line_col(span.start);
            return Finding::new(
                Code::SchemaViolation,
                &self.doc.file.path,
                span,
                format!("an unknown key on line {line} in {within}"),
            )
            .label("unknown key")
            .help("remove the key; if it is a PIN or code typed in the wrong place, store it with `portflow secret set` instead");
        }
        Finding::new(
            Code::SchemaViolation,
            &self.doc.file.path,
            span,
            format!("unknown key `{key}` in {within}"),
        )
        .label("unknown key")
        .help(help)
    }

    fn event_kind(&self) -> Option<String> {
        self.doc.to_json().get("kind")?.as_str().map(str::to_owned)
    }

    /// The keys the schema allows at this place (for events: the common keys and the kind's own).
    fn known_keys(&self) -> Vec<String> {
        let mut keys = BTreeSet::new();
        let own = self
            .schema_path
            .rsplit_once('/')
            .map(|(p, _)| p)
            .unwrap_or("");
        if let Some(props) = self
            .kind
            .json()
            .pointer(&format!("{own}/properties"))
            .and_then(Value::as_object)
        {
            keys.extend(props.keys().cloned());
        }
        if self.kind == SchemaKind::Event && self.pointer.is_empty() {
            let kind = self.event_kind();
            if let Some(all) = self.kind.json().get("allOf").and_then(Value::as_array) {
                for branch in all {
                    let matches = branch
                        .pointer("/if/properties/kind/const")
                        .and_then(Value::as_str)
                        .is_some_and(|k| Some(k) == kind.as_deref());
                    if let (true, Some(props)) = (
                        matches,
                        branch
                            .pointer("/then/properties")
                            .and_then(Value::as_object),
                    ) {
                        keys.extend(props.keys().cloned());
                    }
                }
            }
        }
        keys.into_iter().collect()
    }
}

/// `/end_user/service_address/postal_code` -> `end_user.service_address.postal_code`;
/// array items read as `numbers[2]`.
pub fn toml_path(pointer: &str) -> String {
    let mut out = String::new();
    for token in pointer.split('/').skip(1) {
        if token.parse::<usize>().is_ok() && !out.is_empty() {
            out.push_str(&format!("[{token}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            let key = token.replace("~1", "/").replace("~0", "~");
            if crate::source::key_is_credential_like(&key) {
                // A key that may be a PIN typed in the wrong place is never echoed.
                out.push('…');
            } else {
                out.push_str(&key);
            }
        }
    }
    out
}

fn toml_type(json: &str) -> &'static str {
    match json {
        "object" => "table",
        "array" => "array",
        "string" => "string",
        "integer" => "integer",
        "number" => "number",
        "boolean" => "boolean",
        "null" => "null",
        _ => "value",
    }
}

fn article(noun: &str) -> &'static str {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// Lowercases the first letter unless the first word is an acronym (`ZIP`, `E.164`).
fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match (chars.next(), s.chars().nth(1)) {
        (Some(c), Some(d)) if !d.is_uppercase() => c.to_lowercase().chain(chars).collect(),
        _ => s.to_owned(),
    }
}

/// What a pattern means, for people: (noun phrase, how to fix, whether it is a known pattern).
fn pattern_help(pattern: &str) -> (String, String, bool) {
    let known: &[(&str, &str, &str)] = &[
        (
            r"^\+[1-9][0-9]{6,14}$",
            "an E.164 number",
            "write the number in E.164 form: `+`, country code and number, no spaces, e.g. `+12065550143`",
        ),
        (
            r"^[a-z0-9][a-z0-9-]{2,63}$",
            "a valid port id",
            "a port id is 3–64 lowercase letters, digits and hyphens, e.g. `2026-11-lakeside-dental`",
        ),
        (
            r"^[A-Z]{2}$",
            "an ISO 3166-1 alpha-2 country code",
            "use a two-letter upper-case country code such as `US`, `CA` or `GB`",
        ),
        (
            r"^sha256:[0-9a-f]{64}$",
            "a LOA digest",
            "copy the digest printed by `portflow digest <port>` (`sha256:` and 64 hex digits)",
        ),
        (
            r"^[0-9]{3}$",
            "an event number",
            "name the event by its three-digit number, e.g. `\"003\"`",
        ),
        (
            r"^age1[0-9a-z]{58}$",
            "an age public key",
            "use an age X25519 recipient (`age1…`, 62 characters) from `age-keygen -y`",
        ),
        (
            r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
            "a time of day",
            "write the time as 24-hour `HH:MM`, e.g. `09:30`",
        ),
    ];
    for (p, what, how) in known {
        if *p == pattern {
            return ((*what).to_owned(), (*how).to_owned(), true);
        }
    }
    (
        "in the expected form".to_owned(),
        format!("the value must match the pattern `{pattern}`"),
        false,
    )
}

/// Compares a schema copy under `schemas/` with the built-in one.
pub fn drift(kind: SchemaKind, copy: Option<&str>) -> Option<Finding> {
    let path = format!("schemas/{}", kind.file_name());
    let help = format!(
        "refresh the copies from the binary with `portflow init --update-schemas` (or `portflow schema {} > {path}`)",
        kind.name()
    );
    match copy {
        None => Some(
            Finding::new(
                Code::SchemaDrift,
                path.clone(),
                0..0,
                format!("`{path}` is missing, so editors cannot check files against it"),
            )
            .help(help),
        ),
        Some(text) => {
            let same = serde_json::from_str::<Value>(text).is_ok_and(|v| &v == kind.json());
            (!same).then(|| {
                Finding::new(
                    Code::SchemaDrift,
                    path.clone(),
                    0..text.len().min(text.find('\n').unwrap_or(text.len())),
                    format!("`{path}` differs from the schema built into portflow, which is authoritative"),
                )
                .label("this copy is out of date")
                .help(help)
            })
        }
    }
}
