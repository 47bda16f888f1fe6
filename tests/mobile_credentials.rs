//! Mobile ports need what their country's `mobile_credentials` name, and an expiring country
//! requirement (a GB PAC) ages by its own `max_age_days`, not by the PIN's limit.
//!
//! Fixtures: `tests/fixtures/credentials/`, each case a port folder placed in a temp repo with
//! the bundled porting.toml.

mod common;

use common::{TempRepo, copy_dir, json_findings, project_root};
use portflow::Exit;
use serde_json::Value;

/// After the GB fixture's submission on 2026-12-01.
const TODAY: &str = "2026-12-07";

/// The GB fixture's port id: its signed event records the digest of the LOA of this id.
const GB_PORT: &str = "2026-11-regent-mobile";

/// A temp repo holding the fixture `case` as port `id`, its request.toml edited by `edit`.
fn repo_with(case: &str, id: &str, edit: impl FnOnce(String) -> String) -> TempRepo {
    let repo = TempRepo::new();
    let dir = repo.path().join("ports").join(id);
    copy_dir(
        &project_root().join("tests/fixtures/credentials").join(case),
        &dir,
    );
    let request = dir.join("request.toml");
    let text = std::fs::read_to_string(&request).expect("request.toml");
    std::fs::write(&request, edit(text)).expect("write request.toml");
    repo
}

/// The GB fixture with its PAC obtained on `obtained` (`None`: no date at all).
fn gb_with_pac_obtained(obtained: Option<&str>) -> TempRepo {
    repo_with("gb-mobile-pac", GB_PORT, |text| {
        let line = "pac_code_obtained_on = 2026-11-11\n";
        assert!(text.contains(line));
        match obtained {
            Some(date) => text.replace(line, &format!("pac_code_obtained_on = {date}\n")),
            None => text.replace(line, ""),
        }
    })
}

fn check(repo: &TempRepo) -> (Exit, Vec<Value>) {
    let out = repo.run(&["check", "--today", TODAY, "--format", "json"]);
    let findings = json_findings(&out);
    (out.exit, findings)
}

/// `code file:line:column` of each finding.
fn places(findings: &[Value]) -> Vec<String> {
    findings
        .iter()
        .map(|f| format!("{} {}:{}:{}", f["code"], f["file"], f["line"], f["column"]))
        .collect()
}

#[test]
fn a_gb_mobile_port_with_a_pac_and_no_pin_or_account_number_checks_clean() {
    let repo = gb_with_pac_obtained(Some("2026-11-11"));
    let (exit, findings) = check(&repo);
    assert_eq!(places(&findings), Vec::<String>::new());
    assert_eq!(exit, Exit::Clean);
    let status = repo.run(&["status", "--today", TODAY, "--format", "json"]);
    let doc: Value = serde_json::from_str(&status.stdout).expect("status json");
    assert_eq!(doc["ports"][0]["stage"], "submitted", "{doc:#}");
}

#[test]
fn a_us_mobile_port_without_a_pin_still_needs_one() {
    let repo = repo_with("us-mobile-no-pin", "2026-11-lakeside-mobile", |t| t);
    let (exit, findings) = check(&repo);
    let wireless: Vec<&Value> = findings
        .iter()
        .filter(|f| f["code"] == "loa::wireless-credentials")
        .collect();
    assert_eq!(wireless.len(), 1, "{findings:#?}");
    let f = wireless[0];
    assert_eq!(
        (&f["file"], &f["line"], &f["column"]),
        (
            &Value::from("ports/2026-11-lakeside-mobile/request.toml"),
            &Value::from(10),
            &Value::from(1)
        )
    );
    assert_eq!(
        f["message"],
        "mobile number `+12065550143` needs the losing carrier's account number and transfer \
         PIN; `end_user` lacks `pin` and `pin_obtained_on`"
    );
    assert_eq!(exit, Exit::Findings);
}

#[test]
fn a_country_may_ask_for_the_account_number_alone() {
    let repo = repo_with("us-mobile-no-pin", "2026-11-lakeside-mobile", |t| t);
    let policy = repo.path().join("porting.toml");
    let text = std::fs::read_to_string(&policy).expect("porting.toml");
    let us = "[countries.US]\n";
    assert!(text.contains(us));
    let text = text.replace(
        us,
        &format!("{us}mobile_credentials = [\"account_number\"]\n"),
    );
    std::fs::write(&policy, text).expect("write porting.toml");
    let (_, findings) = check(&repo);
    assert!(
        findings
            .iter()
            .all(|f| f["code"] != "loa::wireless-credentials" && f["code"] != "document::stale"),
        "{findings:#?}"
    );
    // Without the account number the same country asks for just that.
    let request = repo
        .path()
        .join("ports/2026-11-lakeside-mobile/request.toml");
    let text = std::fs::read_to_string(&request).expect("request.toml");
    std::fs::write(
        &request,
        text.replace("account_number = \"672014853-00001\"\n", ""),
    )
    .expect("write request.toml");
    let (_, findings) = check(&repo);
    let messages: Vec<&Value> = findings
        .iter()
        .filter(|f| f["code"] == "loa::wireless-credentials")
        .map(|f| &f["message"])
        .collect();
    assert_eq!(
        messages,
        [
            "mobile number `+12065550143` needs the losing carrier's account number; `end_user` \
             lacks `account_number`"
        ]
    );
}

#[test]
fn a_pac_ages_by_its_own_limit_at_submission() {
    // Submitted 2026-12-01: 20 and 30 days old are fresh, 31 days is not.
    for fresh in ["2026-11-11", "2026-11-01"] {
        let (exit, findings) = check(&gb_with_pac_obtained(Some(fresh)));
        assert_eq!(places(&findings), Vec::<String>::new(), "{fresh}");
        assert_eq!(exit, Exit::Clean, "{fresh}");
    }
    let (exit, findings) = check(&gb_with_pac_obtained(Some("2026-10-31")));
    assert_eq!(
        places(&findings),
        [format!(
            "\"document::stale\" \"ports/{GB_PORT}/request.toml\":42:24"
        )]
    );
    let stale = &findings[0];
    assert_eq!(stale["severity"], "error");
    assert_eq!(
        stale["message"],
        "`pac_code` obtained on `2026-10-31` is 31 days old at submission (2026-12-01); `GB` \
         accepts it for at most 30 days"
    );
    assert_eq!(exit, Exit::Findings);
}

#[test]
fn an_undated_pac_cannot_be_shown_fresh() {
    let (_, findings) = check(&gb_with_pac_obtained(None));
    assert_eq!(
        places(&findings),
        [format!(
            "\"document::stale\" \"ports/{GB_PORT}/request.toml\":32:1"
        )]
    );
    assert!(
        findings[0]["help"]
            .as_str()
            .unwrap_or_default()
            .contains("add `pac_code_obtained_on = YYYY-MM-DD`"),
        "{:#}",
        findings[0]
    );
}
