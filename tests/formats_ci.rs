//! What CI reads from `check`: SARIF fingerprints that survive an edit moving a finding's
//! line, SARIF and annotation paths from the checkout's root when the ports repo is a
//! folder of a larger repo, an annotation when the check cannot run, and `--color always`
//! over NO_COLOR. Real git repos, real binary where the environment matters.

mod common;
mod history_git;

use std::collections::BTreeMap;

use common::{VALID_REQUEST, bin, project_root, run_in};
use history_git::{ANA, GitRepo, nov};
use portflow::Exit;
use serde_json::Value;

const TODAY: &str = "2026-11-25";

/// A request with findings in two fields: a bad postal code and a receiving number that is
/// not a phone number.
fn flawed_request() -> String {
    let text = VALID_REQUEST
        .replace("postal_code = \"98101\"", "postal_code = \"9810\"")
        .replace(
            "receiving_number = \"+12065550100\"",
            "receiving_number = \"+1206555\"",
        );
    assert_ne!(text, VALID_REQUEST, "the fixture edit applied");
    text
}

fn sarif_in(dir: &std::path::Path) -> Value {
    let out = run_in(dir, &["check", "--today", TODAY, "--format", "sarif"]);
    assert_eq!(out.exit, Exit::Findings, "{}{}", out.stdout, out.stderr);
    serde_json::from_str(&out.stdout).expect("SARIF is JSON")
}

/// Each result's fingerprint, with its rule and start line.
fn fingerprints(log: &Value) -> Vec<(String, String, u64)> {
    let mut out: Vec<(String, String, u64)> = log["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["partialFingerprints"]["portflowField/v1"]
                    .as_str()
                    .expect("a fingerprint")
                    .to_owned(),
                r["ruleId"].as_str().expect("rule").to_owned(),
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .expect("line"),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn sarif_fingerprints_survive_a_commit_that_moves_the_findings_lines() {
    let repo = GitRepo::new();
    let path = "ports/2026-11-flawed/request.toml";
    repo.write(path, flawed_request());
    repo.commit("A flawed request", ANA, nov(20, 9));
    let before = fingerprints(&sarif_in(repo.path()));
    assert!(before.len() >= 2, "{before:?}");

    // Three comment lines on top: every finding moves down three lines.
    repo.write(path, format!("# a\n# b\n# c\n{}", flawed_request()));
    repo.commit("Notes on top", ANA, nov(21, 9));
    let after = fingerprints(&sarif_in(repo.path()));

    let by_print = |v: &[(String, String, u64)]| -> BTreeMap<String, (String, u64)> {
        v.iter()
            .map(|(f, r, l)| (f.clone(), (r.clone(), *l)))
            .collect()
    };
    let (b, a) = (by_print(&before), by_print(&after));
    assert_eq!(b.len(), before.len(), "fingerprints are unique: {before:?}");
    assert_eq!(
        b.keys().collect::<Vec<_>>(),
        a.keys().collect::<Vec<_>>(),
        "same fingerprints after the lines moved"
    );
    for (print, (rule, line)) in &b {
        assert_eq!(a[print], (rule.clone(), line + 3), "{rule}");
    }

    // A finding in another field gets another fingerprint.
    repo.write(
        path,
        flawed_request().replace("postal_code = \"9810\"", "postal_code = \"98101\""),
    );
    let fewer = fingerprints(&sarif_in(repo.path()));
    assert_eq!(fewer.len(), before.len() - 1, "{fewer:?}");
    assert!(fewer.iter().all(|f| b.contains_key(&f.0)));
}

#[test]
fn sarif_has_an_invocation_and_its_base_ids() {
    let repo = GitRepo::new();
    repo.write("ports/2026-11-flawed/request.toml", flawed_request());
    let log = sarif_in(repo.path());
    let run = &log["runs"][0];
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    assert!(run["originalUriBaseIds"]["%SRCROOT%"].is_object(), "{run}");
    assert!(
        run["originalUriBaseIds"].get("PORTSROOT").is_none(),
        "{run}"
    );
}

/// A git repo whose ports repo is the folder `telecom/port desk/` of it.
fn monorepo() -> (tempfile::TempDir, std::path::PathBuf) {
    let top = tempfile::tempdir().expect("tempdir");
    git2::Repository::init(top.path()).expect("git init");
    let desk = top.path().join("telecom/port desk");
    let root = project_root();
    std::fs::create_dir_all(desk.join("schemas")).expect("mkdir");
    std::fs::copy(root.join("porting.toml"), desk.join("porting.toml")).expect("copy");
    for name in ["request", "event", "porting"] {
        let file = format!("schemas/{name}.schema.json");
        std::fs::copy(root.join(&file), desk.join(&file)).expect("copy schema");
    }
    let port = desk.join("ports/2026-11-flawed");
    std::fs::create_dir_all(&port).expect("mkdir");
    std::fs::write(port.join("request.toml"), flawed_request()).expect("write");
    (top, desk)
}

#[test]
fn in_a_monorepo_paths_start_at_the_checkout_root() {
    let (_top, desk) = monorepo();
    let out = run_in(&desk, &["check", "--today", TODAY, "--format", "github"]);
    assert_eq!(out.exit, Exit::Findings, "{}{}", out.stdout, out.stderr);
    let annotations: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert!(!annotations.is_empty(), "{}", out.stdout);
    for line in annotations {
        assert!(
            line.contains("file=telecom/port desk/ports/2026-11-flawed/request.toml"),
            "{line}"
        );
    }

    let log = sarif_in(&desk);
    let run = &log["runs"][0];
    for result in run["results"].as_array().expect("results") {
        let location = &result["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(
            location["uri"], "telecom/port%20desk/ports/2026-11-flawed/request.toml",
            "{result}"
        );
        assert_eq!(location["uriBaseId"], "%SRCROOT%");
    }
    assert_eq!(
        run["originalUriBaseIds"]["PORTSROOT"]["uri"],
        "telecom/port%20desk/"
    );
    assert_eq!(
        run["originalUriBaseIds"]["PORTSROOT"]["uriBaseId"],
        "%SRCROOT%"
    );
}

#[test]
fn a_check_that_cannot_run_is_an_error_annotation_too() {
    let empty = tempfile::tempdir().expect("tempdir");
    let out = bin(
        empty.path(),
        &["check", "--today", TODAY, "--format", "github"],
        None,
    );
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .starts_with("::error title=portflow check failed::"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    // Other formats keep standard output for their report alone.
    let out = bin(empty.path(), &["check", "--today", TODAY], None);
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn color_always_wins_over_no_color() {
    let repo = GitRepo::new();
    repo.write("ports/2026-11-flawed/request.toml", flawed_request());
    // The helper sets NO_COLOR=1 for every run.
    let plain = bin(repo.path(), &["check", "--today", TODAY], None);
    assert!(!plain.stdout.contains('\x1b'), "{}", plain.stdout);
    let always = bin(
        repo.path(),
        &["check", "--today", TODAY, "--color", "always"],
        None,
    );
    assert_eq!(always.code, 1, "{}{}", always.stdout, always.stderr);
    assert!(always.stdout.contains('\x1b'), "{}", always.stdout);
}
