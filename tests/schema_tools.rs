//! The published schemas as other tools read them: taplo (the TOML editor tooling a desk's
//! staff see squiggles from) agrees with portflow on every valid and invalid fixture, and
//! check-jsonschema accepts the JSON that `status`, `report` and `history` print. Both tools
//! come from PyPI; .ci/run installs them.

mod common;
mod history_git;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::project_root;
use history_git::{ANA, BAYVIEW_REJECTED, BEN, GitRepo, nov};
use portflow::Exit;

/// Runs a tool from PyPI, failing with how to install it when it is missing.
fn tool(name: &str, package: &str, args: &[&str], dir: &Path) -> (bool, String) {
    match Command::new(name).args(args).current_dir(dir).output() {
        Ok(out) => (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        ),
        Err(e) => panic!(
            "cannot run {name} ({e}): install it with `python3 -m pip install {package}`, as .ci/run does"
        ),
    }
}

const TAPLO: &str = "taplo==0.9.3";
const CHECK_JSONSCHEMA: &str = "check-jsonschema==0.39.0";

/// Every TOML fixture under `tests/fixtures/<dir>`, sorted.
fn fixtures(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(project_root().join("tests/fixtures").join(dir))
            .expect("fixture folder")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
    files.sort();
    files
}

/// The schema a fixture is checked against, from its name (`event-…`, `request-…`,
/// `porting-…`).
fn schema_of(file: &Path) -> PathBuf {
    let name = file.file_name().unwrap().to_string_lossy();
    let kind = name.split('-').next().unwrap();
    assert!(
        ["event", "request", "porting"].contains(&kind),
        "{name}: a fixture's name starts with its kind"
    );
    project_root().join(format!("schemas/{kind}.schema.json"))
}

fn taplo_check(file: &Path) -> (bool, String) {
    let schema = format!("file://{}", schema_of(file).display());
    let path = file.to_str().expect("utf-8 path");
    tool(
        "taplo",
        TAPLO,
        &[
            "check",
            "--no-auto-config",
            "--colors",
            "never",
            "--schema",
            &schema,
            path,
        ],
        &project_root(),
    )
}

#[test]
fn taplo_agrees_with_portflow_on_every_fixture() {
    let mut disagreements = Vec::new();
    let valid = fixtures("valid");
    let invalid: Vec<PathBuf> = ["invalid/schema-violation", "invalid/schema-only"]
        .iter()
        .flat_map(|d| fixtures(d))
        .collect();
    assert!(
        valid
            .iter()
            .filter(|f| schema_of(f).ends_with("event.schema.json"))
            .count()
            >= 10
    );
    assert!(
        invalid
            .iter()
            .filter(|f| schema_of(f).ends_with("event.schema.json"))
            .count()
            >= 20
    );
    for file in &valid {
        let (ok, out) = taplo_check(file);
        if !ok {
            disagreements.push(format!(
                "{}: portflow accepts it, taplo refuses it:\n{out}",
                file.display()
            ));
        }
    }
    for file in &invalid {
        // The file is TOML; only its schema refuses it (tests/schemas.rs: and portflow too).
        let text = std::fs::read_to_string(file).expect("read");
        if let Err(e) = text.parse::<toml::Table>() {
            panic!("{}: not TOML: {e}", file.display());
        }
        let (ok, _) = taplo_check(file);
        if ok {
            disagreements.push(format!(
                "{}: portflow refuses it, taplo accepts it",
                file.display()
            ));
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

// An event with a misspelt key of its kind (`signr`): portflow refused it, taplo did not,
// since taplo does not know `unevaluatedProperties`.
#[test]
fn taplo_refuses_a_key_that_does_not_belong_to_the_events_kind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let signed =
        std::fs::read_to_string(project_root().join("tests/fixtures/valid/event-signed.toml"))
            .expect("read")
            .replace("signer = ", "signr = ");
    let submitted_with_foc =
        std::fs::read_to_string(project_root().join("tests/fixtures/valid/event-submitted.toml"))
            .expect("read")
            + "foc = 2026-12-15\n";
    for (name, text) in [
        ("event-signr.toml", signed),
        ("event-submitted-foc.toml", submitted_with_foc),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, text).expect("write");
        let (ok, out) = taplo_check(&file);
        assert!(!ok, "{name}: taplo accepts it:\n{out}");
        assert!(
            out.contains("Additional properties are not allowed"),
            "{name}:\n{out}"
        );
    }
}

/// A repo with ports in several stages: Bayview rejected, Lakeside ready, Okafor a draft.
fn desk() -> GitRepo {
    let repo = GitRepo::new();
    let bayview = "ports/2026-11-bayview-bistro";
    repo.copy_port("ports/2026-11-lakeside-dental")
        .copy_port("ports/2026-11-okafor-prepaid")
        .copy_file(&format!("{bayview}/request.toml"))
        .copy_file(&format!("{bayview}/documents/bill-2026-11.pdf"))
        .copy_file(&format!("{bayview}/documents/loa-signed-2026-11-19.pdf"))
        .copy_file(&format!("{bayview}/events/001-signed.toml"));
    repo.commit("The desk", ANA, nov(19, 15));
    repo.copy_file(&format!("{bayview}/events/002-submitted.toml"));
    repo.commit("Bayview submitted", ANA, nov(20, 10));
    repo.write(
        &format!("{bayview}/events/003-rejected.toml"),
        BAYVIEW_REJECTED,
    );
    repo.commit("Bayview rejected", BEN, nov(21, 10));
    repo
}

#[test]
fn check_jsonschema_accepts_the_json_of_status_report_and_history() {
    let repo = desk();
    let out_dir = tempfile::tempdir().expect("tempdir");
    let runs: [(&str, Vec<&str>); 3] = [
        ("status", vec!["status", "--format", "json"]),
        ("report", vec!["report", "--format", "json"]),
        (
            "history",
            vec!["history", "2026-11-bayview-bistro", "--format", "json"],
        ),
    ];
    for (name, args) in runs {
        let mut args = args;
        args.extend(["--today", "2026-11-25"]);
        let out = repo.run(&args);
        assert_eq!(
            out.exit,
            Exit::Clean,
            "{name}: {}{}",
            out.stdout,
            out.stderr
        );
        let file = out_dir.path().join(format!("{name}.json"));
        std::fs::write(&file, &out.stdout).expect("write");
        let schema = project_root().join(format!("schemas/output/{name}.schema.json"));
        let check = |file: &Path| {
            tool(
                "check-jsonschema",
                CHECK_JSONSCHEMA,
                &[
                    "--schemafile",
                    schema.to_str().expect("utf-8 path"),
                    file.to_str().expect("utf-8 path"),
                ],
                out_dir.path(),
            )
        };
        let (ok, log) = check(&file);
        assert!(ok, "{name}: {log}");
        // The same document with its version gone must fail: the validator does validate.
        let mut doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
        doc.as_object_mut().expect("an object").remove("version");
        let broken = out_dir.path().join(format!("{name}-broken.json"));
        std::fs::write(&broken, doc.to_string()).expect("write");
        let (ok, log) = check(&broken);
        assert!(!ok, "{name}: a document without its version passes:\n{log}");
    }
}
