//! Every rule fires on its fixture at the exact span, and stays quiet on its near miss.
//!
//! Layout: `tests/fixtures/rules/<code-anchor>/` holds `expect.toml` (code, file, line, column
//! and the exact source text of the span), `fires/` and `near-miss/`. Each of those is a port
//! folder (it has a request.toml) or a folder of port folders (for rules across ports). Each
//! case is checked alone in a fresh temp repo with the bundled porting.toml, on 2026-11-25.

mod common;

use std::path::Path;

use common::{TempRepo, copy_dir, json_findings};

const TODAY: &str = "2026-11-25";

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    code: String,
    file: String,
    line: u64,
    column: u64,
    text: Option<String>,
    severity: Option<String>,
}

/// Places a case in a new repo; returns the repo and the repo-relative prefix of `file`.
fn place(case: &Path, name: &str) -> (TempRepo, String) {
    let repo = TempRepo::new();
    if case.join("request.toml").is_file() {
        let rel = format!("ports/{name}");
        copy_dir(case, &repo.path().join(&rel));
        (repo, format!("{rel}/"))
    } else {
        copy_dir(case, &repo.path().join("ports"));
        (repo, "ports/".to_owned())
    }
}

/// Plaintext secret values written in a case (a PIN or PAC that is not age-encrypted).
fn plaintext_secrets(case: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(case) {
        let entry = entry.expect("walk");
        if entry.file_name() != "request.toml" {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for line in text.lines() {
            let line = line.trim();
            for key in ["pin", "pac_code"] {
                if let Some(rest) = line.strip_prefix(key) {
                    if let Some(value) = rest.trim_start().strip_prefix('=') {
                        let value = value.trim().trim_matches('"').trim_matches('\'');
                        if value.len() >= 3 && !value.contains("AGE ENCRYPTED") {
                            out.push(value.to_owned());
                        }
                    }
                }
            }
        }
    }
    out
}

fn assert_no_secret(case: &Path, repo: &TempRepo) {
    let secrets = plaintext_secrets(case);
    if secrets.is_empty() {
        return;
    }
    for format in ["json", "human"] {
        let out = repo.run(&["check", "--today", TODAY, "--format", format]);
        for secret in &secrets {
            assert!(
                !out.stdout.contains(secret.as_str()) && !out.stderr.contains(secret.as_str()),
                "{}: secret `{secret}` leaked in {format} output:\n{}",
                case.display(),
                out.stdout
            );
        }
    }
}

#[test]
fn every_rule_fixture_fires_and_its_near_miss_does_not() {
    let root = common::project_root().join("tests/fixtures/rules");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .expect("fixtures/rules")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty());
    let mut failures = Vec::new();
    for case in &cases {
        let anchor = case.file_name().unwrap().to_string_lossy().into_owned();
        let expect: Expect = toml::from_str(
            &std::fs::read_to_string(case.join("expect.toml")).expect("expect.toml"),
        )
        .unwrap_or_else(|e| panic!("{anchor}/expect.toml: {e}"));
        assert_eq!(
            expect.code.replace("::", "-"),
            anchor,
            "folder name is the code's anchor"
        );

        // It fires, at the exact place.
        let (repo, prefix) = place(&case.join("fires"), &format!("{anchor}-fires"));
        let out = repo.run(&["check", "--today", TODAY, "--format", "json"]);
        let findings = json_findings(&out);
        let file = format!("{prefix}{}", expect.file);
        let hit = findings.iter().find(|f| {
            f["code"] == expect.code.as_str()
                && f["file"] == file.as_str()
                && f["line"] == expect.line
                && f["column"] == expect.column
        });
        match hit {
            None => failures.push(format!(
                "{anchor}: no `{}` at {file}:{}:{}; got {:#?}",
                expect.code,
                expect.line,
                expect.column,
                findings
                    .iter()
                    .map(|f| format!(
                        "{} {}:{}:{} {}",
                        f["code"], f["file"], f["line"], f["column"], f["message"]
                    ))
                    .collect::<Vec<_>>()
            )),
            Some(f) => {
                if let Some(text) = &expect.text {
                    let source = std::fs::read(repo.path().join(&file)).expect("file");
                    let start = f["offset"].as_u64().unwrap() as usize;
                    let len = f["length"].as_u64().unwrap() as usize;
                    let got = String::from_utf8_lossy(&source[start..start + len]).into_owned();
                    if &got != text {
                        failures.push(format!("{anchor}: span text {got:?}, expected {text:?}"));
                    }
                }
                if let Some(sev) = &expect.severity {
                    if f["severity"] != sev.as_str() {
                        failures.push(format!(
                            "{anchor}: severity {}, expected {sev}",
                            f["severity"]
                        ));
                    }
                }
                if f["help"].as_str().unwrap_or("").is_empty() {
                    failures.push(format!("{anchor}: finding has no help"));
                }
            }
        }
        assert_no_secret(&case.join("fires"), &repo);

        // Its near miss stays quiet.
        let (repo, _) = place(&case.join("near-miss"), &format!("{anchor}-near"));
        let out = repo.run(&["check", "--today", TODAY, "--format", "json"]);
        let noisy: Vec<_> = json_findings(&out)
            .into_iter()
            .filter(|f| f["code"] == expect.code.as_str())
            .collect();
        if !noisy.is_empty() {
            failures.push(format!("{anchor}: near miss fired: {noisy:#?}"));
        }
        assert_no_secret(&case.join("near-miss"), &repo);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
