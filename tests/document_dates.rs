//! A document's `dated` is never after today, nor after the pending submission that used it
//! (`document::future-date`).

mod common;

use common::{TempRepo, copy_dir, json_findings, project_root};
use portflow::Exit;
use serde_json::Value;

const TODAY: &str = "2026-12-07";

/// A temp repo holding the fixture folder `case` as port `id`, its request.toml edited.
fn repo_with(case: &str, id: &str, edit: impl FnOnce(String) -> String) -> TempRepo {
    let repo = TempRepo::new();
    let dir = repo.path().join("ports").join(id);
    copy_dir(&project_root().join("tests/fixtures").join(case), &dir);
    let request = dir.join("request.toml");
    let text = std::fs::read_to_string(&request).expect("request.toml");
    std::fs::write(&request, edit(text)).expect("write request.toml");
    repo
}

/// The findings of `check --today TODAY`, with how the run exited.
fn check(repo: &TempRepo) -> (Exit, Vec<Value>) {
    let out = repo.run(&["check", "--today", TODAY, "--format", "json"]);
    let findings = json_findings(&out);
    (out.exit, findings)
}

/// `code line:column message` of each finding of one code.
fn of_code(findings: &[Value], code: &str) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f["code"] == code)
        .map(|f| {
            format!(
                "{}:{} {}",
                f["line"],
                f["column"],
                f["message"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

/// Replaces the one line `from` of a request with `to`.
fn replace_line(text: String, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "`{from}` once in:\n{text}");
    text.replace(from, to)
}

#[test]
fn a_bill_dated_after_today_is_an_error() {
    let repo = repo_with(
        "rules/document-future-date/fires",
        "2026-11-acme-dental",
        |text| text,
    );
    let (exit, findings) = check(&repo);
    assert_eq!(
        of_code(&findings, "document::future-date"),
        ["31:9 `documents/bill-2026-12.pdf` is dated `2026-12-20`, after today (2026-12-07)"]
    );
    let future = findings
        .iter()
        .find(|f| f["code"] == "document::future-date")
        .expect("finding");
    assert_eq!(future["severity"], "error");
    // Its only bill proves nothing yet, but it is not called stale with a negative age.
    assert_eq!(of_code(&findings, "document::stale"), Vec::<String>::new());
    assert_eq!(exit, Exit::Findings);

    // The day itself is not in the future.
    let repo = repo_with(
        "rules/document-future-date/fires",
        "2026-11-acme-dental",
        |text| replace_line(text, "dated = 2026-12-20\n", "dated = 2026-12-07\n"),
    );
    let (_, findings) = check(&repo);
    assert_eq!(
        of_code(&findings, "document::future-date"),
        Vec::<String>::new()
    );
}

/// The GB mobile port of tests/fixtures/credentials: submitted 2026-12-01, pending.
const SUBMITTED: &str = "credentials/gb-mobile-pac";
const SUBMITTED_ID: &str = "2026-11-regent-mobile";

#[test]
fn a_document_dated_after_the_pending_submission_is_an_error() {
    let bill = "dated = 2026-11-20\n";
    let repo = repo_with(SUBMITTED, SUBMITTED_ID, |text| {
        replace_line(text, bill, "dated = 2026-12-03\n")
    });
    let (exit, findings) = check(&repo);
    assert_eq!(
        of_code(&findings, "document::future-date"),
        [
            "59:9 `documents/bill-2026-11.pdf` is dated `2026-12-03`, after the submission of \
             `2026-12-01` that is pending with the carrier"
        ]
    );
    assert_eq!(exit, Exit::Findings);

    // Dated the day of the submission: it may have been part of it.
    let repo = repo_with(SUBMITTED, SUBMITTED_ID, |text| {
        replace_line(text, bill, "dated = 2026-12-01\n")
    });
    let (exit, findings) = check(&repo);
    assert_eq!(findings, Vec::<Value>::new());
    assert_eq!(exit, Exit::Clean);
}
