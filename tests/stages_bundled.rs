//! The bundled example repo shows every stage: its ports carry real event histories, and
//! the two stages a clean repo cannot hold (`invalid`, `draft`) come from
//! `tests/fixtures/repos/unfinished/`, merged into a copy of the bundled repo.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::{TempRepo, copy_dir, project_root, run_in};
use portflow::Exit;
use serde_json::Value;

const TODAY: &str = "2026-11-25";

/// Every stage of SPEC §5.
const ALL_STAGES: [&str; 10] = [
    "invalid",
    "draft",
    "awaiting-signature",
    "awaiting-documents",
    "ready",
    "submitted",
    "rejected",
    "scheduled",
    "completed",
    "cancelled",
];

/// The stage each bundled port is written to show (see its request.toml and events/).
const BUNDLED: [(&str, &str); 11] = [
    ("2026-11-lakeside-dental", "awaiting-signature"),
    ("2026-11-okafor-prepaid", "awaiting-signature"),
    ("2026-11-driftwood-yoga", "awaiting-documents"),
    ("2026-11-pinecrest-plumbing", "ready"),
    ("2026-11-bayview-bistro", "submitted"),
    ("2026-11-thameside-gallery", "submitted"),
    ("2026-11-summit-outdoor-tollfree", "rejected"),
    ("2026-11-queen-west-physio", "scheduled"),
    ("2026-11-cafe-coqui", "scheduled"),
    ("2026-11-copperleaf-law", "completed"),
    ("2026-11-sunrise-roofing", "cancelled"),
];

/// The ports of tests/fixtures/repos/unfinished/.
const UNFINISHED: [(&str, &str); 2] = [
    ("2026-11-broken-invalid", "invalid"),
    ("2026-11-harbor-draft", "draft"),
];

/// Stages in which a port has not been submitted and is not terminal.
const BEFORE_SUBMISSION: [&str; 3] = ["awaiting-signature", "awaiting-documents", "ready"];

/// `status --today TODAY --format json` in `dir`: port id → stage.
fn stages(dir: &Path) -> BTreeMap<String, String> {
    let out = run_in(dir, &["status", "--today", TODAY, "--format", "json"]);
    assert_ne!(out.exit, Exit::Failure, "{}", out.stderr);
    let doc: Value = serde_json::from_str(&out.stdout).expect("status json");
    let rows = doc["ports"].as_array().expect("ports");
    let mut stages = BTreeMap::new();
    for row in rows {
        let port = row["port"].as_str().expect("port").to_owned();
        let stage = row["stage"].as_str().expect("stage").to_owned();
        assert!(
            stages.insert(port.clone(), stage).is_none(),
            "{port} listed twice"
        );
    }
    stages
}

/// A copy of the bundled repo with the unfinished ports merged into its ports/.
fn bundled_with_unfinished() -> TempRepo {
    let repo = TempRepo::new();
    let root = project_root();
    copy_dir(&root.join("ports"), &repo.path().join("ports"));
    copy_dir(
        &root.join("tests/fixtures/repos/unfinished/ports"),
        &repo.path().join("ports"),
    );
    repo
}

#[test]
fn bundled_and_unfinished_ports_show_every_stage() {
    let repo = bundled_with_unfinished();
    let stages = stages(repo.path());

    let seen: BTreeSet<&str> = stages.values().map(String::as_str).collect();
    let all: BTreeSet<&str> = ALL_STAGES.into_iter().collect();
    assert_eq!(seen, all, "{stages:#?}");

    for (port, expected) in BUNDLED.iter().chain(&UNFINISHED) {
        let actual = stages.get(*port).map(String::as_str);
        assert_eq!(actual, Some(*expected), "stage of {port}: {stages:#?}");
    }
}

#[test]
fn unfinished_ports_fail_only_their_own_checks() {
    // The merged repo has errors only in the two unfinished ports.
    let repo = bundled_with_unfinished();
    let out = repo.run(&["check", "--today", TODAY, "--format", "json"]);
    assert_eq!(out.exit, Exit::Findings, "{}", out.stderr);
    let errors: BTreeSet<(String, String)> = common::json_findings(&out)
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_owned(),
                f["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        (
            "ports/2026-11-broken-invalid/request.toml",
            "schema::violation",
        ),
        (
            "ports/2026-11-harbor-draft/request.toml",
            "loa::missing-field",
        ),
    ]
    .into_iter()
    .map(|(f, c)| (f.to_owned(), c.to_owned()))
    .collect();
    assert_eq!(errors, expected);
}

#[test]
fn bundled_repo_with_histories_checks_clean() {
    let root = project_root();
    let out = run_in(&root, &["check", "--today", TODAY, "--format", "json"]);
    assert_eq!(out.exit, Exit::Clean, "{}{}", out.stdout, out.stderr);
    let errors: Vec<Value> = common::json_findings(&out)
        .into_iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // The bundled repo's stages do not depend on the fixtures.
    let stages = stages(&root);
    for (port, expected) in BUNDLED {
        assert_eq!(
            stages.get(port).map(String::as_str),
            Some(expected),
            "stage of {port}"
        );
    }
}

/// The events of a port folder that are not voided, in NNN order, as TOML tables.
fn live_events(port_dir: &Path) -> Vec<(String, toml::Table)> {
    let dir = port_dir.join("events");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut events: Vec<(String, toml::Table)> = entries
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&p).expect("read event");
            let table: toml::Table =
                toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (name, table)
        })
        .collect();
    events.sort_by(|a, b| a.0.cmp(&b.0));
    let voided: BTreeSet<String> = events
        .iter()
        .filter(|(_, t)| t["kind"].as_str() == Some("void"))
        .map(|(_, t)| t["voids"].as_str().expect("voids").to_owned())
        .collect();
    events.retain(|(name, _)| !voided.contains(&name[..3]));
    events
}

#[test]
fn signatures_of_unsubmitted_bundled_ports_cover_the_current_loa() {
    let root = project_root();
    let stages = stages(&root);
    let mut checked = 0;
    for entry in walkdir::WalkDir::new(root.join("ports")) {
        let entry = entry.expect("walk ports/");
        if entry.file_name() != "request.toml" {
            continue;
        }
        let port_dir = entry.path().parent().unwrap();
        let port = port_dir.file_name().unwrap().to_string_lossy().into_owned();
        let events = live_events(port_dir);
        let submitted = events
            .iter()
            .any(|(_, t)| t["kind"].as_str() == Some("submitted"));
        let stage = stages.get(&port).map(String::as_str);
        if submitted || !stage.is_some_and(|s| BEFORE_SUBMISSION.contains(&s)) {
            continue;
        }
        let out = run_in(&root, &["digest", &port]);
        assert_eq!(out.exit, Exit::Clean, "{}", out.stderr);
        let line = out.stdout.trim();
        let current = line
            .strip_prefix(&format!("{port} "))
            .unwrap_or_else(|| panic!("unexpected digest output: {line}"));
        for (name, event) in &events {
            if event["kind"].as_str() != Some("signed") {
                continue;
            }
            assert_eq!(
                event["loa_digest"].as_str(),
                Some(current),
                "{port}/events/{name} signs an LOA that is not the current one"
            );
            let document = event["document"].as_str().expect("document");
            let bytes = std::fs::read(port_dir.join(document))
                .unwrap_or_else(|e| panic!("{port}: signed LOA {document}: {e}"));
            assert!(bytes.starts_with(b"%PDF-"), "{port}: {document} is no PDF");
            checked += 1;
        }
    }
    assert!(
        checked >= 2,
        "expected signed, unsubmitted bundled ports (awaiting-documents, ready)"
    );
}

// Regression: an invalid port still shows its country and number count in `status`.
#[test]
fn status_shows_what_an_invalid_port_is_about() {
    let repo = bundled_with_unfinished();
    let out = run_in(
        repo.path(),
        &["status", "--today", TODAY, "--format", "json"],
    );
    let doc: Value = serde_json::from_str(&out.stdout).expect("status json");
    let row = doc["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .find(|r| r["port"] == "2026-11-broken-invalid")
        .expect("the invalid port is listed")
        .clone();
    assert_eq!(row["stage"], "invalid");
    assert_eq!(row["country"], "US", "{row}");
    assert!(row["numbers"].as_u64().expect("numbers") > 0, "{row}");
}
