//! `check --format sarif`: valid SARIF 2.1.0 (the OASIS schema in tests/fixtures/sarif), a
//! rule per stable code, and every result at the same place the JSON report gives.

mod common;

use common::{TempRepo, VALID_REQUEST, json_findings, project_root, run_in};
use portflow::Exit;
use portflow::diag::{Code, Severity};
use portflow::report::sarif::path_uri;
use serde_json::Value;

const TODAY: &str = "2026-11-25";

fn validator() -> jsonschema::Validator {
    let path = project_root().join("tests/fixtures/sarif/sarif-schema-2.1.0.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read the SARIF schema"))
            .expect("the SARIF schema is JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn assert_valid(validator: &jsonschema::Validator, log: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
}

/// A repo with related places in other files, non-ASCII text before a bad value, a folder
/// name with a space (a URI must encode it), a plaintext PIN and a warning.
fn messy_repo() -> TempRepo {
    let repo = TempRepo::new();
    let messy = VALID_REQUEST
        .replace(
            "[end_user.service_address]\nstreet = \"1200 Lakeside Ave\"\nlocality = \"Seattle\"\n\
             region = \"WA\"\npostal_code = \"98101\"\ncountry = \"US\"\n",
            "service_address = { street = \"Ünïcødé Straße 1\", locality = \"Seattle\", \
             region = \"WA\", postal_code = \"9810\", country = \"US\" }\n",
        )
        .replace(
            "billing_number = \"+12065550143\"\n",
            "billing_number = \"+12065550143\"\naccount_number = \"8812-5521\"\npin = \"73519\"\n",
        )
        + "\n[[numbers]]\nnumber = \"+12065550143\"\ntype = \"landline\"\n\
           tracking_source = \"Google Ads\"\nreceiving_number = \"+12065550100\"\n";
    assert!(
        messy.contains("postal_code = \"9810\""),
        "the fixture edit applied"
    );
    repo.write("ports/2026-11-messy/request.toml", &messy);
    repo.write("ports/Bad Port/request.toml", VALID_REQUEST);
    repo.copy_port("ports/2026-11-thameside-gallery");
    repo
}

fn sarif(repo: &TempRepo) -> (Value, Exit) {
    let out = repo.run(&["check", "--today", TODAY, "--format", "sarif"]);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert!(
        !out.stdout.contains("73519"),
        "the PIN leaked:\n{}",
        out.stdout
    );
    (
        serde_json::from_str(&out.stdout).expect("SARIF is JSON"),
        out.exit,
    )
}

#[test]
fn output_is_valid_sarif_and_the_validator_rejects_a_broken_log() {
    let validator = validator();
    let (log, exit) = sarif(&messy_repo());
    assert_eq!(exit, Exit::Findings);
    assert_valid(&validator, &log);
    assert!(
        log["runs"][0]["results"].as_array().expect("results").len() >= 5,
        "the fixture has findings to validate"
    );

    // Guards against a validator that accepts anything: each edit breaks the schema.
    let mut bad_level = log.clone();
    bad_level["runs"][0]["results"][0]["level"] = "fatal".into();
    let mut bad_column_kind = log.clone();
    bad_column_kind["runs"][0]["columnKind"] = "bytes".into();
    let mut bad_line = log.clone();
    bad_line["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    let mut no_message = log.clone();
    no_message["runs"][0]["results"][0]
        .as_object_mut()
        .expect("result")
        .remove("message");
    for (name, broken) in [
        ("level", bad_level),
        ("columnKind", bad_column_kind),
        ("startLine", bad_line),
        ("no message", no_message),
    ] {
        assert!(!validator.is_valid(&broken), "{name} should be invalid");
    }
}

#[test]
fn bundled_repo_and_an_empty_repo_are_valid_sarif() {
    let validator = validator();
    let out = run_in(
        &project_root(),
        &["check", "--today", TODAY, "--format", "sarif"],
    );
    let log: Value = serde_json::from_str(&out.stdout).expect("json");
    assert_valid(&validator, &log);

    let empty = TempRepo::new();
    let (log, exit) = sarif(&empty);
    assert_eq!(exit, Exit::Clean);
    assert_valid(&validator, &log);
    assert_eq!(log["runs"][0]["results"], Value::Array(Vec::new()));
}

#[test]
fn one_run_with_a_rule_per_code() {
    let (log, _) = sarif(&TempRepo::new());
    assert_eq!(log["version"], "2.1.0");
    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert!(run["originalUriBaseIds"]["%SRCROOT%"].is_object());
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "portflow");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let info = driver["informationUri"].as_str().expect("informationUri");
    assert!(portflow::diag::DOCS_BASE.starts_with(info), "{info}");

    let rules = driver["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), Code::ALL.len());
    for (rule, code) in rules.iter().zip(Code::ALL) {
        assert_eq!(rule["id"], code.as_str());
        assert_eq!(rule["shortDescription"]["text"], code.summary());
        assert_eq!(rule["helpUri"], code.docs_url());
        let level = match code.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        assert_eq!(rule["defaultConfiguration"]["level"], level, "{code}");
    }
    let warnings = rules
        .iter()
        .filter(|r| r["defaultConfiguration"]["level"] == "warning")
        .count();
    assert!(warnings > 0 && warnings < rules.len());
}

#[test]
fn results_point_where_the_json_report_does() {
    let repo = messy_repo();
    let findings = json_findings(&repo.run(&["check", "--today", TODAY, "--format", "json"]));
    let (log, _) = sarif(&repo);
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), findings.len());

    let mut related_seen = 0;
    for (result, finding) in results.iter().zip(&findings) {
        assert_eq!(result["ruleId"], finding["code"]);
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert_eq!(result["level"], finding["severity"]);
        let text = result["message"]["text"].as_str().expect("message");
        assert_eq!(
            text,
            format!(
                "{}\nhelp: {}",
                finding["message"].as_str().expect("message"),
                finding["help"].as_str().expect("help")
            )
        );

        let locations = result["locations"].as_array().expect("locations");
        assert_eq!(locations.len(), 1);
        let physical = &locations[0]["physicalLocation"];
        let file = finding["file"].as_str().expect("file");
        assert_eq!(physical["artifactLocation"]["uri"], path_uri(file));
        assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let region = &physical["region"];
        assert_eq!(region["startLine"], finding["line"], "{file}");
        assert_eq!(region["startColumn"], finding["column"], "{file}");
        assert_eq!(region["endLine"], finding["end_line"], "{file}");
        assert_eq!(region["endColumn"], finding["end_column"], "{file}");
        assert_eq!(region["byteOffset"], finding["offset"], "{file}");
        assert_eq!(region["byteLength"], finding["length"], "{file}");
        assert!(region.get("snippet").is_none(), "no source text in the log");

        let related = finding["related"].as_array().expect("related");
        let locations = result["relatedLocations"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        assert_eq!(locations.len(), related.len(), "{}", finding["code"]);
        for (i, (loc, rel)) in locations.iter().zip(related).enumerate() {
            related_seen += 1;
            assert_eq!(loc["id"], i);
            assert_eq!(loc["message"]["text"], rel["message"]);
            let physical = &loc["physicalLocation"];
            assert_eq!(
                physical["artifactLocation"]["uri"],
                path_uri(rel["file"].as_str().expect("file"))
            );
            assert_eq!(physical["region"]["startLine"], rel["line"]);
            assert_eq!(physical["region"]["startColumn"], rel["column"]);
            assert_eq!(physical["region"]["byteOffset"], rel["offset"]);
        }
    }
    assert!(related_seen >= 2, "the fixture has related places");

    // The folder with a space is one URI reference, percent-encoded.
    let bad_port = results
        .iter()
        .find(|r| r["ruleId"] == "repo::port-id")
        .expect("repo::port-id");
    assert_eq!(
        bad_port["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "ports/Bad%20Port/request.toml"
    );
}

#[test]
fn path_uris_encode_what_a_uri_reference_cannot_hold() {
    assert_eq!(
        path_uri("ports/2026-11-a_b.c~d/request.toml"),
        "ports/2026-11-a_b.c~d/request.toml"
    );
    assert_eq!(
        path_uri("ports/x/documents/bill #1 (nov).pdf"),
        "ports/x/documents/bill%20%231%20%28nov%29.pdf"
    );
    assert_eq!(path_uri("ports/é/%"), "ports/%C3%A9/%25");
}

#[test]
fn findings_inherited_from_the_base_say_so_and_stay_valid() {
    let repo = TempRepo::new();
    repo.copy_port("ports/2026-11-lakeside-dental");
    repo.write(
        "ports/2026-11-old-broken/request.toml",
        "#:schema ../../schemas/request.schema.json\naccount = \"acme-dental\"\n\
         requested_by = \"maria.lopez@example.com\"\ncountry = \"US\"\ndesired_foc = 12\n",
    );
    let git = git2::Repository::init(repo.path()).expect("git init");
    let mut index = git.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    index.write().expect("write index");
    let tree = git
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let who = git2::Signature::new(
        "Porting Desk",
        "desk@example.com",
        &git2::Time::new(1_795_000_000, 0),
    )
    .expect("signature");
    git.commit(Some("HEAD"), &who, &who, "base", &tree, &[])
        .expect("commit");
    let request = "ports/2026-11-lakeside-dental/request.toml";
    let text = std::fs::read_to_string(repo.path().join(request)).expect("read");
    repo.write(
        request,
        text.replace("postal_code = \"98101\"", "postal_code = \"9810\""),
    );

    let out = repo.run(&[
        "check", "--today", TODAY, "--base", "HEAD", "--format", "sarif",
    ]);
    assert_eq!(out.exit, Exit::Findings);
    let log: Value = serde_json::from_str(&out.stdout).expect("json");
    assert_valid(&validator(), &log);
    let results = log["runs"][0]["results"].as_array().expect("results");
    let inherited: Vec<&Value> = results
        .iter()
        .filter(|r| r["properties"]["blocking"] == false)
        .collect();
    assert_eq!(inherited.len(), 1, "{results:#?}");
    assert_eq!(
        inherited[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "ports/2026-11-old-broken/request.toml"
    );
    assert!(
        inherited[0]["message"]["text"]
            .as_str()
            .expect("text")
            .ends_with("\nnot blocking: this error is already on the base, in a port this change does not touch")
    );
    let new = results
        .iter()
        .find(|r| r["ruleId"] == "loa::postal-code")
        .expect("the change's own finding");
    assert!(
        new.get("properties").is_none(),
        "a blocking result has no marker"
    );
}
