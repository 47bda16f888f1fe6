//! Each schema-error shape yields one `schema::violation` at the exact line and column.

mod common;

use common::{TempRepo, VALID_REQUEST, json_findings};
use portflow::Exit;

/// 1-based (line, column) of the first occurrence of `needle` in `text`.
fn pos(text: &str, needle: &str) -> (u64, u64) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in text"));
    let line = text[..at].matches('\n').count() as u64 + 1;
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    (line, text[start..at].chars().count() as u64 + 1)
}

/// Checks one request and returns its single error finding.
fn only_finding(request: &str) -> serde_json::Value {
    let repo = TempRepo::new();
    repo.write("ports/shape-test/request.toml", request);
    let out = repo.run(&["check", "--format", "json"]);
    assert_eq!(out.exit, Exit::Findings, "{}", out.stdout);
    let findings: Vec<_> = json_findings(&out)
        .into_iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = findings[0].clone();
    assert_eq!(f["code"], "schema::violation");
    assert_eq!(f["file"], "ports/shape-test/request.toml");
    f
}

fn at(f: &serde_json::Value) -> (u64, u64) {
    (f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap())
}

#[test]
fn valid_request_is_clean() {
    let repo = TempRepo::new();
    repo.write("ports/shape-test/request.toml", VALID_REQUEST);
    let out = repo.run(&["check", "--format", "json"]);
    let errors: Vec<_> = json_findings(&out)
        .into_iter()
        .filter(|f| f["file"] == "ports/shape-test/request.toml")
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn wrong_type_points_at_the_value() {
    let text = VALID_REQUEST.replace("postal_code = \"98101\"", "postal_code = 98101");
    let f = only_finding(&text);
    assert_eq!(at(&f), pos(&text, "98101"));
    assert_eq!(f["length"], 5);
    assert_eq!(
        f["message"],
        "`end_user.service_address.postal_code` must be a string, not an integer"
    );
}

#[test]
fn bad_enum_names_the_allowed_values() {
    let text = VALID_REQUEST.replace("port_type = \"full\"", "port_type = \"whole\"");
    let f = only_finding(&text);
    assert_eq!(at(&f), pos(&text, "\"whole\""));
    assert_eq!(f["message"], "`whole` is not a valid `port_type`");
    assert!(
        f["help"].as_str().unwrap().contains("`full`, `partial`"),
        "{f}"
    );
}

#[test]
fn bad_pattern_explains_e164() {
    let text = VALID_REQUEST.replace(
        "receiving_number = \"+12065550100\"",
        "receiving_number = \"(206) 555-0100\"",
    );
    let f = only_finding(&text);
    assert_eq!(at(&f), pos(&text, "\"(206) 555-0100\""));
    assert_eq!(f["message"], "`(206) 555-0100` is not an E.164 number");
    assert!(f["help"].as_str().unwrap().contains("+12065550143"));
}

#[test]
fn bad_date_in_a_quoted_string() {
    let text = VALID_REQUEST.replace(
        "port_type = \"full\"",
        "port_type = \"full\"\ndesired_foc = \"2026-02-30\"",
    );
    let f = only_finding(&text);
    assert_eq!(at(&f), pos(&text, "\"2026-02-30\""));
    assert_eq!(
        f["message"],
        "`2026-02-30` in `desired_foc` is not a valid date"
    );
}

#[test]
fn toml_date_and_quoted_date_mean_the_same() {
    let repo = TempRepo::new();
    for (id, value) in [
        ("date-toml", "2026-12-15"),
        ("date-quoted", "\"2026-12-15\""),
    ] {
        let text = VALID_REQUEST
            .replace(
                "port_type = \"full\"",
                &format!("port_type = \"full\"\ndesired_foc = {value}"),
            )
            .replace(
                "+12065550143",
                if id == "date-toml" {
                    "+12065550143"
                } else {
                    "+12065550144"
                },
            );
        repo.write(&format!("ports/{id}/request.toml"), text);
    }
    let out = repo.run(&["check", "--format", "json"]);
    let errors: Vec<_> = json_findings(&out)
        .into_iter()
        .filter(|f| f["code"] == "schema::violation")
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn unknown_key_points_at_the_key_and_suggests() {
    let text = VALID_REQUEST.replace("locality = \"Seattle\"", "localty = \"Seattle\"");
    let repo = TempRepo::new();
    repo.write("ports/shape-test/request.toml", &text);
    let out = repo.run(&["check", "--format", "json"]);
    let findings = json_findings(&out);
    let schema: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| f["code"] == "schema::violation")
        .collect();
    assert_eq!(schema.len(), 1, "{findings:#?}");
    // The rest of the request is judged too: the LOA lacks its locality.
    assert!(
        findings.iter().any(|f| f["code"] == "loa::missing-field"
            && f["message"].as_str().unwrap().contains("locality")),
        "{findings:#?}"
    );
    let f = schema[0].clone();
    assert_eq!(at(&f), pos(&text, "localty"));
    assert_eq!(f["length"], 7);
    assert_eq!(
        f["message"],
        "unknown key `localty` in `end_user.service_address`"
    );
    assert!(
        f["help"]
            .as_str()
            .unwrap()
            .contains("did you mean `locality`?"),
        "{f}"
    );
}

#[test]
fn missing_key_points_at_the_table_and_names_the_key() {
    let text = VALID_REQUEST.replace("number = \"+12065550143\"\ntype", "type");
    let f = only_finding(&text);
    assert_eq!(at(&f), pos(&text, "[[numbers]]"));
    assert_eq!(f["message"], "`numbers[0]` lacks the required key `number`");
}

#[test]
fn missing_top_level_key_names_the_key() {
    let text = VALID_REQUEST.replace("requested_by = \"maria.lopez@example.com\"\n", "");
    let f = only_finding(&text);
    assert_eq!(
        f["message"],
        "the file lacks the required key `requested_by`"
    );
    assert_eq!(at(&f), pos(&text, "account"));
}

#[test]
fn wrong_array_item_points_at_the_item() {
    let text = VALID_REQUEST.replace(
        "[[numbers]]",
        "[csr]\nnumbers = [\"+12065550143\", 2065550144]\n\n[[numbers]]",
    );
    let f = only_finding(&text);
    assert_eq!(at(&f), pos(&text, "2065550144]"));
    assert_eq!(
        f["message"],
        "`csr.numbers[1]` must be a string, not an integer"
    );
}

#[test]
fn bad_event_field_gives_one_readable_finding() {
    let repo = TempRepo::new();
    repo.write("ports/shape-test/request.toml", VALID_REQUEST);
    let event = "kind = \"cancelled\"\non = 2026-11-20\nby = \"ops@example.com\"\nreson = \"customer withdrew\"\n";
    repo.write("ports/shape-test/events/001-cancelled.toml", event);
    let out = repo.run(&["check", "--format", "json"]);
    let findings: Vec<_> = json_findings(&out)
        .into_iter()
        .filter(|f| f["file"] == "ports/shape-test/events/001-cancelled.toml")
        .collect();
    assert_eq!(findings.len(), 2, "{findings:#?}");
    let messages: Vec<_> = findings
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.contains(&"unknown key `reson` in a `cancelled` event"),
        "{messages:?}"
    );
    assert!(
        messages.contains(&"the file lacks the required key `reason`"),
        "{messages:?}"
    );
}

/// One typo does not hide the rest: a request whose schema errors still leave a typed
/// request (a misspelt key, one value in a wrong format) gets every other rule's findings in
/// the same run, and its port is `invalid` until the schema passes.
#[test]
fn schema_errors_do_not_hide_the_other_findings() {
    let request = VALID_REQUEST
        .replace("locality = \"Seattle\"", "locality = \"Seattle\"\nlocalty = \"Seattle\"")
        .replace("postal_code = \"98101\"", "postal_code = \"9810\"")
        .replace(
            "receiving_number = \"+12065550100\"",
            "receiving_number = \"+12065550100\"\n\n[[numbers]]\nnumber = \"+12065550143\"\ntype = \"landline\"",
        );
    let repo = TempRepo::new();
    repo.write("ports/shape-test/request.toml", &request);
    let out = repo.run(&["check", "--format", "json"]);
    assert_eq!(out.exit, Exit::Findings, "{}", out.stdout);
    let codes: Vec<String> = json_findings(&out)
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| f["code"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(codes.contains(&"schema::violation".to_owned()), "{codes:?}");
    // The rules ran on the rest of the request.
    assert!(codes.contains(&"number::duplicate".to_owned()), "{codes:?}");
    // The postal code is refused once: by whichever of the schema or the rule saw it
    // first, never by both at the same span.
    let postal: Vec<serde_json::Value> = json_findings(&out)
        .into_iter()
        .filter(|f| f["line"] == pos(&request, "postal_code = \"9810\"").0)
        .collect();
    assert_eq!(postal.len(), 1, "{postal:#?}");
    let status = repo.run(&["status", "--format", "json"]);
    assert!(
        status.stdout.contains("\"stage\": \"invalid\""),
        "{}",
        status.stdout
    );
}
