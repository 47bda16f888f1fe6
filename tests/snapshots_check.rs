//! Snapshots of what users read: `check` in human and JSON form on a broken repo, and the
//! list of rule codes (an interface: a change here is a change users see).

mod common;

use common::TempRepo;
use portflow::Exit;
use portflow::diag::Code;

/// A request with several schema mistakes at once: a bad enum, a missing required key, an
/// unknown key, a wrong type and a bad pattern. It fails its schema, so no other rule runs
/// on it and the snapshot does not move when rules are added.
const BROKEN_REQUEST: &str = r#"#:schema ../../schemas/request.schema.json
account = "acme-dental"
country = "US"
losing_carrier = "Comcast Business"
port_type = "whole"

[end_user]
type = "business"
name = "Acme Dental LLC"
authorised_person = "Maria Lopez"
billing_number = "206-555-0143"

[end_user.service_address]
street = "1200 Lakeside Ave"
locality = "Seattle"
region = "WA"
postal_code = 98101
country = "US"

[[numbers]]
number = "+12065550143"
type = "landline"
tracking_source = "Google Ads"
receiving_number = "+12065550100"
"#;

/// A request that does not parse: a key without `=`.
const UNPARSABLE_REQUEST: &str = r#"#:schema ../../schemas/request.schema.json
account = "acme-plumbing"
requested_by = "ops@example.com"
country = "US"
losing_carrier "AT&T"
"#;

fn broken_repo() -> TempRepo {
    let repo = TempRepo::new();
    repo.write("ports/2026-11-broken-request/request.toml", BROKEN_REQUEST);
    repo.write(
        "ports/2026-11-syntax-error/request.toml",
        UNPARSABLE_REQUEST,
    );
    repo
}

/// Runs `check` on the broken repo and returns stdout with the temp dir path replaced.
fn check(format: &str) -> String {
    let repo = broken_repo();
    let out = repo.run(&["check", "--today", "2026-11-25", "--format", format]);
    assert_eq!(out.exit, Exit::Findings, "{}", out.stdout);
    assert_eq!(out.stderr, "");
    let root = repo.path().to_string_lossy().into_owned();
    out.stdout.replace(&root, "[REPO]")
}

#[test]
fn check_human_output() {
    let stdout = check("human");
    assert!(!stdout.contains('\x1b'), "colour in a no-colour run");
    insta::assert_snapshot!("check_human", stdout);
}

#[test]
fn check_json_output() {
    let stdout = check("json");
    // The snapshot is the exact text; it must also be one JSON document.
    serde_json::from_str::<serde_json::Value>(&stdout).expect("valid json");
    insta::assert_snapshot!("check_json", stdout);
}

#[test]
fn rule_codes() {
    let list: String = Code::ALL
        .iter()
        .map(|c| {
            format!(
                "{}\t{}\t{}\n",
                c.as_str(),
                c.severity().as_str(),
                c.summary()
            )
        })
        .collect();
    insta::assert_snapshot!("rule_codes", list);
}
