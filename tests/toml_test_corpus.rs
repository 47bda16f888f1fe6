//! Every invalid case of the toml-test corpus, used as a request.toml: a clean finding, never a panic.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::{TempRepo, json_findings};
use portflow::Exit;
use walkdir::WalkDir;

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = common::project_root().join("tests/fixtures/toml-test");
    let mut cases = Vec::new();
    for entry in WalkDir::new(dir.join("invalid")).sort_by_file_name() {
        let entry = entry.expect("walk");
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(&dir).expect("prefix");
            let rel = rel.to_string_lossy().replace('\\', "/");
            cases.push((rel, std::fs::read(entry.path()).expect("read")));
        }
    }
    cases
}

fn toml_11_invalid() -> BTreeSet<String> {
    let list = common::project_root().join("tests/fixtures/toml-test/files-toml-1.1.0");
    std::fs::read_to_string(list)
        .expect("manifest")
        .lines()
        .filter(|l| l.starts_with("invalid/"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_invalid_toml_test_case_is_a_finding_never_a_panic() {
    let cases = corpus();
    assert_eq!(cases.len(), 509);
    let listed = toml_11_invalid();
    assert_eq!(listed.len(), 492);

    // One repo, one port per case: one run reads them all.
    let repo = TempRepo::new();
    let mut port_of = BTreeMap::new();
    for (i, (name, bytes)) in cases.iter().enumerate() {
        let id = format!("case-{i:03}");
        repo.write(&format!("ports/{id}/request.toml"), bytes);
        port_of.insert(format!("ports/{id}/request.toml"), name.clone());
    }
    let out = repo.run(&["check", "--format", "json"]);
    assert_eq!(out.exit, Exit::Findings, "{}", out.stderr);

    let mut codes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in json_findings(&out) {
        let file = f["file"].as_str().unwrap().to_owned();
        if f["severity"] == "error" {
            codes
                .entry(file)
                .or_default()
                .insert(f["code"].as_str().unwrap().to_owned());
        }
    }
    let mut syntax = 0;
    for (file, name) in &port_of {
        let found = codes
            .get(file)
            .unwrap_or_else(|| panic!("{name}: no error finding"));
        if listed.contains(name) {
            assert!(
                found.contains("toml::syntax"),
                "{name}: expected toml::syntax, got {found:?}"
            );
            syntax += 1;
        } else {
            // Valid TOML 1.1: the document parses and fails the request schema instead.
            assert!(
                found.contains("schema::violation") || found.contains("toml::syntax"),
                "{name}: {found:?}"
            );
        }
    }
    assert_eq!(syntax, 492);
}

#[test]
fn a_single_invalid_case_exits_1_through_the_binary() {
    let repo = TempRepo::new();
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/toml-test/invalid/encoding/bad-utf8-in-string.toml"),
    )
    .expect("case");
    repo.write("ports/bad-utf8/request.toml", &bytes);
    let out = common::bin(repo.path(), &["check", "--format", "json"], None);
    assert_eq!(out.code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let f = &doc["findings"][0];
    assert_eq!(f["code"], "toml::syntax");
    assert_eq!(f["file"], "ports/bad-utf8/request.toml");
}
