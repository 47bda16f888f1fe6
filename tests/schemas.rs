//! The JSON Schemas and the Rust model must not drift: the embedded schemas are valid
//! draft 2020-12, every valid file passes both the schema and the model, and every
//! structurally invalid one fails both.
//!
//! Fixtures: `tests/fixtures/valid/` (must pass both), `tests/fixtures/invalid/schema-violation/`
//! (must fail both) and `tests/fixtures/invalid/schema-only/` (values the model keeps as a
//! plain string or number, so only the schema's pattern, format or bound refuses them).
//! A file's name says its kind: `request-*.toml`, `event-*.toml`, `porting-*.toml`. Each
//! invalid fixture names the instance path its error is reported at in a
//! `# fails at: <JSON pointer>` line (`(root)` for the file itself).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use jsonschema::{Draft, Validator};
use portflow::model::event::{Event, EventKind};
use portflow::model::policy::Policy;
use portflow::model::request::Request;
use portflow::schema::SchemaKind;
use portflow::source::{Document, SourceFile};
use serde_json::Value;

const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// A validator as strict as portflow's own: draft 2020-12, formats checked.
fn validator(kind: SchemaKind) -> Validator {
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .build(kind.json())
        .unwrap_or_else(|e| panic!("{} schema does not compile: {e}", kind.name()))
}

/// The schema kind of a fixture, from its file name.
fn kind_of(path: &Path) -> SchemaKind {
    let name = path.file_name().unwrap().to_string_lossy();
    if name == "porting.toml" || name.starts_with("porting-") {
        SchemaKind::Porting
    } else if name == "request.toml" || name.starts_with("request-") {
        SchemaKind::Request
    } else if name.starts_with("event-") || path.parent().is_some_and(|p| p.ends_with("events")) {
        SchemaKind::Event
    } else {
        panic!("{}: cannot tell its kind from its name", path.display())
    }
}

/// A TOML file as the validator hands it to the schema and the model.
struct Loaded {
    path: PathBuf,
    kind: SchemaKind,
    text: String,
    doc: Document,
    json: Value,
}

fn load(path: &Path) -> Loaded {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (file, utf8) = SourceFile::from_bytes(path.to_path_buf(), &bytes, &[]);
    assert!(utf8.is_none(), "{}: not UTF-8", path.display());
    let text = file.text.clone();
    let doc = Document::parse(file)
        .unwrap_or_else(|f| panic!("{}: not valid TOML: {}", path.display(), f.message));
    let json = doc.to_json();
    Loaded {
        path: path.to_path_buf(),
        kind: kind_of(path),
        text,
        doc,
        json,
    }
}

/// Schema errors as `pointer: message`, checked by the raw validator.
fn schema_errors(file: &Loaded) -> Vec<(String, String)> {
    validator(file.kind)
        .iter_errors(&file.json)
        .map(|e| (e.instance_path().as_str().to_owned(), e.to_string()))
        .collect()
}

/// Deserializes into the model type of the file's kind.
fn model(file: &Loaded) -> Result<(), String> {
    let json = file.json.clone();
    let result = match file.kind {
        SchemaKind::Request => serde_json::from_value::<Request>(json).map(drop),
        SchemaKind::Event => serde_json::from_value::<Event>(json).map(drop),
        SchemaKind::Porting => serde_json::from_value::<Policy>(json).map(drop),
    };
    result.map_err(|e| e.to_string())
}

/// portflow's own schema check (what `check` reports): its findings' messages.
fn portflow_violations(file: &Loaded) -> Vec<String> {
    portflow::schema::validate(&file.doc, file.kind, &["pin"])
        .into_iter()
        .map(|f| f.message)
        .collect()
}

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let dir = common::project_root().join("tests/fixtures").join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

/// The instance path a fixture says its error is at.
fn fails_at(file: &Loaded) -> String {
    let line = file
        .text
        .lines()
        .find_map(|l| l.strip_prefix("# fails at:"))
        .unwrap_or_else(|| panic!("{}: no `# fails at:` line", file.path.display()));
    match line.trim() {
        "(root)" => String::new(),
        pointer => pointer.to_owned(),
    }
}

fn name(file: &Loaded) -> String {
    file.path
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

// ── The embedded schemas ─────────────────────────────────────────────────────

#[test]
fn embedded_schemas_are_valid_draft_2020_12() {
    for kind in SchemaKind::ALL {
        let schema = kind.json();
        assert_eq!(schema["$schema"], DRAFT_2020_12, "{}", kind.name());
        if let Err(e) = jsonschema::meta::validate(schema) {
            panic!("{} schema is not a valid schema: {e}", kind.name());
        }
        if let Err(e) = jsonschema::draft202012::meta::validate(schema) {
            panic!("{} schema is not valid draft 2020-12: {e}", kind.name());
        }
        // The text parses to what `json()` returns (it is not the fallback `true`).
        let reparsed: Value = serde_json::from_str(kind.text()).expect("schema text is JSON");
        assert_eq!(&reparsed, schema);
        assert!(schema.is_object(), "{}", kind.name());
        validator(kind);
    }
}

#[test]
fn meta_validation_catches_a_broken_schema() {
    // Guards the test above: a schema with a misspelt type does fail the meta-schema.
    let mut broken = SchemaKind::Request.json().clone();
    broken["properties"]["account"]["type"] = Value::from("strnig");
    assert!(jsonschema::meta::validate(&broken).is_err());
}

// ── The bundled example repo ─────────────────────────────────────────────────

/// porting.toml, every request.toml and every event file of the bundled repo.
fn bundled_files() -> Vec<PathBuf> {
    let root = common::project_root();
    let mut files = vec![root.join("porting.toml")];
    for entry in walkdir::WalkDir::new(root.join("ports")).sort_by_file_name() {
        let entry = entry.expect("walk ports/");
        let path = entry.path();
        let is_event = path.parent().is_some_and(|p| p.ends_with("events"))
            && path.extension().is_some_and(|x| x == "toml");
        if entry.file_name() == "request.toml" || is_event {
            files.push(path.to_path_buf());
        }
    }
    files
}

#[test]
fn bundled_files_pass_their_schema_and_the_model() {
    let files = bundled_files();
    let requests = files.iter().filter(|p| p.ends_with("request.toml")).count();
    assert!(requests >= 2, "the bundled repo holds example ports");
    let mut failures = Vec::new();
    for path in &files {
        let file = load(path);
        let errors = schema_errors(&file);
        if !errors.is_empty() {
            failures.push(format!("{}: schema: {errors:?}", path.display()));
        }
        if let Err(e) = model(&file) {
            failures.push(format!("{}: model: {e}", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ── Fixtures: the schema and the model agree ─────────────────────────────────

#[test]
fn valid_fixtures_pass_the_schema_and_the_model() {
    let mut failures = Vec::new();
    for path in fixtures("valid") {
        let file = load(&path);
        let errors = schema_errors(&file);
        if !errors.is_empty() {
            failures.push(format!("{}: schema: {errors:?}", name(&file)));
        }
        let violations = portflow_violations(&file);
        if !violations.is_empty() {
            failures.push(format!("{}: portflow: {violations:?}", name(&file)));
        }
        if let Err(e) = model(&file) {
            failures.push(format!("{}: model: {e}", name(&file)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn schema_violation_fixtures_fail_the_schema_and_the_model() {
    let mut failures = Vec::new();
    for path in fixtures("invalid/schema-violation") {
        let file = load(&path);
        let expected = fails_at(&file);
        let errors = schema_errors(&file);
        if !errors.iter().any(|(at, _)| *at == expected) {
            failures.push(format!(
                "{}: no schema error at `{expected}`: {errors:?}",
                name(&file)
            ));
        }
        if portflow_violations(&file).is_empty() {
            failures.push(format!("{}: portflow reports no violation", name(&file)));
        }
        if model(&file).is_ok() {
            failures.push(format!("{}: the model accepts it", name(&file)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn schema_only_fixtures_fail_the_schema_but_fit_the_model() {
    let mut failures = Vec::new();
    for path in fixtures("invalid/schema-only") {
        let file = load(&path);
        let expected = fails_at(&file);
        let errors = schema_errors(&file);
        if !errors.iter().any(|(at, _)| *at == expected) {
            failures.push(format!(
                "{}: no schema error at `{expected}`: {errors:?}",
                name(&file)
            ));
        }
        if portflow_violations(&file).is_empty() {
            failures.push(format!("{}: portflow reports no violation", name(&file)));
        }
        // If the model starts refusing it too, move the fixture to schema-violation/.
        if let Err(e) = model(&file) {
            failures.push(format!(
                "{}: the model refuses it too ({e}); it belongs in schema-violation/",
                name(&file)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ── Fixture coverage ─────────────────────────────────────────────────────────

#[test]
fn valid_event_fixtures_cover_every_kind() {
    let kinds: BTreeSet<EventKind> = fixtures("valid")
        .iter()
        .filter(|p| kind_of(p) == SchemaKind::Event)
        .map(|p| {
            let file = load(p);
            serde_json::from_value::<Event>(file.json)
                .expect("valid event")
                .kind()
        })
        .collect();
    assert_eq!(kinds, EventKind::ALL.into_iter().collect::<BTreeSet<_>>());
}

/// Every property path the schema names: `/a/b`, `*` for any key of a map, `[]` for an
/// array item. Conditional branches (`allOf`, `anyOf`, `then`, `else`) add their properties
/// at the same place.
fn schema_paths(schema: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    let Some(obj) = schema.as_object() else {
        return;
    };
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        for (key, sub) in props {
            let path = format!("{prefix}/{key}");
            out.insert(path.clone());
            schema_paths(sub, &path, out);
        }
    }
    if let Some(map) = obj.get("additionalProperties").filter(|v| v.is_object()) {
        let path = format!("{prefix}/*");
        out.insert(path.clone());
        schema_paths(map, &path, out);
    }
    if let Some(items) = obj.get("items") {
        schema_paths(items, &format!("{prefix}/[]"), out);
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for branch in obj.get(key).and_then(Value::as_array).into_iter().flatten() {
            schema_paths(branch, prefix, out);
        }
    }
    for key in ["then", "else"] {
        if let Some(branch) = obj.get(key) {
            schema_paths(branch, prefix, out);
        }
    }
}

/// Every key path of an instance, in the notation of [`schema_paths`] (keys as written).
fn instance_paths(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, sub) in map {
                let path = format!("{prefix}/{key}");
                out.insert(path.clone());
                instance_paths(sub, &path, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                instance_paths(item, &format!("{prefix}/[]"), out);
            }
        }
        _ => {}
    }
}

fn covers(schema_path: &str, instance_path: &str) -> bool {
    let s: Vec<&str> = schema_path.split('/').collect();
    let i: Vec<&str> = instance_path.split('/').collect();
    s.len() == i.len()
        && s.iter()
            .zip(&i)
            .all(|(s, i)| s == i || (*s == "*" && *i != "[]"))
}

#[test]
fn valid_fixtures_use_every_key_the_schemas_know() {
    let files: Vec<Loaded> = fixtures("valid").iter().map(|p| load(p)).collect();
    let mut missing = Vec::new();
    for kind in SchemaKind::ALL {
        let mut wanted = BTreeSet::new();
        schema_paths(kind.json(), "", &mut wanted);
        let mut used = BTreeSet::new();
        for file in files.iter().filter(|f| f.kind == kind) {
            instance_paths(&file.json, "", &mut used);
        }
        for path in wanted {
            if !used.iter().any(|u| covers(&path, u)) {
                missing.push(format!("{}: {path}", kind.name()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "no valid fixture uses:\n{}",
        missing.join("\n")
    );
}
