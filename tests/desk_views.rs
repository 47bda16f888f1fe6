//! What the desk reads: `status` (columns and filters), `report` (ports waiting on the
//! customer or the carrier, time per stage) and the JSON of `status`, `report` and
//! `history` against their published schemas, on a real git repo with pinned authors and
//! times and a pinned `--today`.

mod common;
mod history_git;

use history_git::{ANA, BEN, GitRepo, nov};
use jsonschema::{Draft, Validator};
use portflow::Exit;
use portflow::model::event::EventKind;
use portflow::stage::Stage;
use serde_json::{Value, json};

const TODAY: &str = "2026-12-01";

const BAYVIEW: &str = "ports/2026-11-bayview-bistro";
const SUMMIT: &str = "ports/2026-11-summit-outdoor-tollfree";
const SUNRISE: &str = "ports/2026-11-sunrise-roofing";
const THAMESIDE: &str = "ports/2026-11-thameside-gallery";
const CAFE: &str = "ports/2026/2026-11-cafe-coqui";
const QUEEN_WEST: &str = "ports/2026-11-queen-west-physio";

/// Thameside's rejection, typed the day it landed.
const THAMESIDE_REJECTED: &str = r#"#:schema ../../schemas/event.schema.json
kind = "rejected"
on = 2026-11-26
by = "ben.okafor@example.com"
instructions = "Please send the gallery's latest BT bill so we can match the account name."

[[reasons]]
code = "name-mismatch"
detail = "end user name differs from the account"
"#;

/// Copies the given files of a bundled port.
fn files(repo: &GitRepo, dir: &str, names: &[&str]) {
    for name in names {
        repo.copy_file(&format!("{dir}/{name}"));
    }
}

/// A desk on Dec 1 whose ports sit in every stage that matters, each brought there by its
/// own commit (times UTC; the end of Dec 1 is Dec 2 00:00):
///
/// - summit: ready Nov 16 09:00, submitted Nov 17 09:00, rejected by Ana on a branch merged
///   Nov 25 12:00: 6 whole days waiting on the customer (over the default 5);
/// - thameside (GB): submitted Nov 24 12:00, rejected Nov 26 12:00: 5 whole days (not over);
/// - bayview: awaiting signature Nov 16 09:00, ready Nov 19 15:00, submitted Nov 20 12:00:
///   11 whole days waiting on the carrier (over the default 10);
/// - cafe-coqui: submitted Nov 21 12:00: 10 whole days (not over);
/// - sunrise-roofing (northwind-agency): ready Nov 20 12:00, cancelled Nov 24 12:00;
/// - added whole on Nov 24 12:00: lakeside (northwind-agency, awaiting signature),
///   copperleaf (completed, FOC Nov 19), queen-west (CA, scheduled for Dec 16).
fn desk() -> GitRepo {
    let repo = GitRepo::new();
    files(&repo, SUMMIT, &["request.toml", "events/001-signed.toml"]);
    copy_documents(&repo, SUMMIT);
    files(
        &repo,
        BAYVIEW,
        &["request.toml", "documents/bill-2026-11.pdf"],
    );
    repo.commit("Summit signed; Bayview's request", ANA, nov(16, 9));

    files(&repo, SUMMIT, &["events/002-submitted.toml"]);
    repo.commit("Submit Summit", BEN, nov(17, 9));

    files(
        &repo,
        BAYVIEW,
        &[
            "documents/loa-signed-2026-11-19.pdf",
            "events/001-signed.toml",
        ],
    );
    repo.commit("Bayview signed", BEN, nov(19, 15));

    files(&repo, BAYVIEW, &["events/002-submitted.toml"]);
    files(&repo, SUNRISE, &["request.toml", "events/001-signed.toml"]);
    copy_documents(&repo, SUNRISE);
    repo.commit("Submit Bayview; Sunrise signed", ANA, nov(20, 12));

    files(
        &repo,
        CAFE,
        &[
            "request.toml",
            "events/001-signed.toml",
            "events/002-submitted.toml",
        ],
    );
    copy_documents(&repo, CAFE);
    repo.commit("Cafe Coqui submitted", BEN, nov(21, 12));

    files(&repo, SUNRISE, &["events/002-cancelled.toml"]);
    files(
        &repo,
        THAMESIDE,
        &[
            "request.toml",
            "events/001-signed.toml",
            "events/002-submitted.toml",
        ],
    );
    copy_documents(&repo, THAMESIDE);
    for port in [
        "ports/2026-11-lakeside-dental",
        "ports/2026-11-copperleaf-law",
        QUEEN_WEST,
    ] {
        repo.copy_port(port);
    }
    repo.commit("Sunrise cancelled; more ports", BEN, nov(24, 12));

    repo.branch("reject");
    files(&repo, SUMMIT, &["events/003-rejected.toml"]);
    repo.commit("Summit rejected", ANA, nov(25, 10));
    repo.checkout("main");
    repo.merge("reject", nov(25, 12));

    repo.write(
        &format!("{THAMESIDE}/events/003-rejected.toml"),
        THAMESIDE_REJECTED,
    );
    repo.commit("Thameside rejected", BEN, nov(26, 12));
    repo
}

/// Copies a bundled port's `documents/` folder.
fn copy_documents(repo: &GitRepo, dir: &str) {
    common::copy_dir(
        &common::project_root().join(dir).join("documents"),
        &repo.path().join(dir).join("documents"),
    );
}

fn json(out: &portflow::Output) -> Value {
    assert_eq!(out.exit, Exit::Clean, "{}{}", out.stdout, out.stderr);
    serde_json::from_str(&out.stdout).expect("json")
}

/// The `port` of every row (or entry) of a JSON list.
fn ports(list: &Value) -> Vec<&str> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|r| r["port"].as_str().expect("port"))
        .collect()
}

fn row<'a>(doc: &'a Value, port: &str) -> &'a Value {
    doc["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .find(|r| r["port"] == port)
        .unwrap_or_else(|| panic!("no row for {port}"))
}

fn status(repo: &GitRepo, extra: &[&str]) -> Value {
    let mut args = vec!["status", "--today", TODAY, "--format", "json"];
    args.extend_from_slice(extra);
    json(&repo.run(&args))
}

// ── status: columns ──────────────────────────────────────────────────────────

#[test]
fn status_json_has_foc_carrier_account_and_owner() {
    let repo = desk();
    let doc = status(&repo, &[]);
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["today"], TODAY);

    let queen = row(&doc, "2026-11-queen-west-physio");
    // 007-scheduled moved the FOC from Dec 14 to Dec 16: the latest one counts.
    assert_eq!(queen["foc"], "2026-12-16");
    assert_eq!(queen["days_to_foc"], 15);
    assert_eq!(queen["losing_carrier"], "Bell Canada");
    assert_eq!(queen["account"], "queen-west-physio");
    assert_eq!(queen["agency"], Value::Null);
    assert_eq!(
        queen["owner"],
        json!({ "name": "Ben Okafor", "email": "ben.okafor@example.com" })
    );

    // A completed port keeps the date it ported on; there are no days to go.
    let copperleaf = row(&doc, "2026-11-copperleaf-law");
    assert_eq!(copperleaf["foc"], "2026-11-19");
    assert_eq!(copperleaf["days_to_foc"], Value::Null);

    let lakeside = row(&doc, "2026-11-lakeside-dental");
    assert_eq!(lakeside["account"], "northwind-agency/lakeside-dental");
    assert_eq!(lakeside["agency"], "northwind-agency");
    assert_eq!(lakeside["losing_carrier"], "Comcast Business");
    assert_eq!(lakeside["foc"], Value::Null);
    // No events, so nobody recorded one.
    assert_eq!(lakeside["owner"], Value::Null);

    // Summit's rejection came in by a pull request: the owner is who wrote it on the
    // branch, not the merge button.
    let summit = row(&doc, "2026-11-summit-outdoor-tollfree");
    assert_eq!(summit["owner"]["name"], "Ana Souza");
    assert_eq!(summit["owner"]["email"], "ana.souza@example.com");
    assert_eq!(summit["foc"], Value::Null);
    let sunrise = row(&doc, "2026-11-sunrise-roofing");
    assert_eq!(sunrise["owner"]["name"], "Ben Okafor");
    assert_eq!(sunrise["agency"], "northwind-agency");
}

#[test]
fn status_table_has_foc_carrier_account_and_owner_columns() {
    let repo = desk();
    let out = repo.run(&[
        "status",
        "--today",
        TODAY,
        "--account",
        "northwind-agency,queen-west-physio",
    ]);
    assert_eq!(out.exit, Exit::Clean, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "\
PORT                       ACCOUNT                           COUNTRY  CARRIER           NUMBERS  STAGE               FOC                IN STAGE  SLA    OWNER       FINDINGS  NEXT ACTION
2026-11-lakeside-dental    northwind-agency/lakeside-dental  US       Comcast Business  3        awaiting-signature  -                  7d        -      -           -         have the authorized person sign the LOA
2026-11-queen-west-physio  queen-west-physio                 CA       Bell Canada       3        scheduled           2026-12-16 in 15d  7d        7/28d  Ben Okafor  -         confirm completion on the FOC date
2026-11-sunrise-roofing    northwind-agency/sunrise-roofing  US       CallRail          4        cancelled           -                  7d        -      Ben Okafor  -         none
"
    );
}

#[test]
fn days_to_the_foc_count_from_today_and_go_negative_once_it_passed() {
    let repo = desk();
    for (today, days, cell) in [
        ("2026-12-15", 1, "2026-12-16 in 1d"),
        ("2026-12-16", 0, "2026-12-16 today"),
        ("2026-12-19", -3, "2026-12-16 3d ago"),
    ] {
        let doc = json(&repo.run(&[
            "status",
            "--today",
            today,
            "--format",
            "json",
            "--country",
            "CA",
        ]));
        assert_eq!(doc["ports"][0]["days_to_foc"], days, "{today}");
        let table = repo.run(&["status", "--today", today, "--country", "CA"]);
        assert!(table.stdout.contains(cell), "{today}\n{}", table.stdout);
    }
}

// A rejection after an FOC withdraws it; an event not committed yet has no author.
#[test]
fn a_later_rejection_withdraws_the_foc_and_an_uncommitted_event_has_no_owner() {
    let repo = desk();
    repo.write(
        &format!("{QUEEN_WEST}/events/008-rejected.toml"),
        "#:schema ../../schemas/event.schema.json\nkind = \"rejected\"\non = 2026-11-30\nby = \"ana.souza@example.com\"\ninstructions = \"We will ask the carrier for a new date.\"\n\n[[reasons]]\ncode = \"foc-rejected\"\ndetail = \"the FOC date is not available\"\n",
    );
    let doc = status(&repo, &["--country", "CA"]);
    let queen = row(&doc, "2026-11-queen-west-physio");
    assert_eq!(queen["stage"], "rejected");
    assert_eq!(queen["foc"], Value::Null);
    assert_eq!(queen["days_to_foc"], Value::Null);
    assert_eq!(queen["owner"], Value::Null);
    assert_eq!(queen["stage_since"], Value::Null);
}

// A committed file named out of the NNN-<kind> pattern is no event: it names no owner.
#[test]
fn the_owner_comes_from_the_latest_file_of_the_event_log() {
    let repo = desk();
    repo.write(
        &format!("{QUEEN_WEST}/events/notes.toml"),
        "kind = \"void\"\n",
    );
    repo.commit("A note among the events", ANA, nov(27, 9));
    let doc = status(&repo, &["--country", "CA"]);
    assert_eq!(
        row(&doc, "2026-11-queen-west-physio")["owner"]["name"],
        "Ben Okafor"
    );
}

#[test]
fn status_without_git_has_the_request_columns_but_no_owner() {
    let repo = common::TempRepo::new();
    repo.copy_port("ports/2026-11-lakeside-dental");
    let out = repo.run(&["status", "--today", TODAY, "--format", "json"]);
    assert_eq!(out.exit, Exit::Clean, "{}", out.stderr);
    let doc: Value = serde_json::from_str(&out.stdout).expect("json");
    let lakeside = &doc["ports"][0];
    assert_eq!(lakeside["agency"], "northwind-agency");
    assert_eq!(lakeside["losing_carrier"], "Comcast Business");
    assert!(lakeside.get("owner").is_none(), "{lakeside}");
    let table = repo.run(&["status", "--today", TODAY]);
    let header = table.stdout.lines().next().expect("header");
    assert!(
        header.contains("ACCOUNT") && header.contains("CARRIER") && header.contains("FOC"),
        "{header}"
    );
    assert!(!header.contains("OWNER"), "{header}");
}

// A losing carrier typed with a line break or a terminal escape must neither break the
// table's rows nor reach the terminal; JSON keeps the text as it is.
#[test]
fn free_text_in_the_status_table_stays_on_its_row_and_off_the_terminal() {
    let repo = common::TempRepo::new();
    repo.write(
        "ports/2026-11-acme-dental/request.toml",
        common::VALID_REQUEST.replace(
            "losing_carrier = \"Comcast Business\"",
            "losing_carrier = \"Comcast\\nBusiness \\u001b[31mred\"",
        ),
    );
    let out = repo.run(&["status", "--today", TODAY]);
    assert_eq!(out.exit, Exit::Clean, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 2, "{}", out.stdout);
    assert!(!out.stdout.contains('\x1b'), "{}", out.stdout);
    assert!(
        out.stdout.contains("Comcast Business ?[31mred"),
        "{}",
        out.stdout
    );
    let doc = json(&repo.run(&["status", "--today", TODAY, "--format", "json"]));
    assert_eq!(
        doc["ports"][0]["losing_carrier"],
        "Comcast\nBusiness \u{1b}[31mred"
    );
}

// ── status: filters ──────────────────────────────────────────────────────────

#[test]
fn status_filters_by_stage_account_and_country_in_json_and_table() {
    let repo = desk();
    let rejected_or_scheduled = [
        "2026-11-queen-west-physio",
        "2026-11-summit-outdoor-tollfree",
        "2026-11-thameside-gallery",
    ];
    for args in [
        &["--stage", "rejected,scheduled"][..],
        &["--stage", "rejected", "--stage", "scheduled"],
    ] {
        assert_eq!(
            ports(&status(&repo, args)["ports"]),
            rejected_or_scheduled,
            "{args:?}"
        );
    }
    for (args, expected) in [
        (
            &["--account", "northwind-agency"][..],
            &["2026-11-lakeside-dental", "2026-11-sunrise-roofing"][..],
        ),
        (
            &["--account", "northwind-agency/lakeside-dental"],
            &["2026-11-lakeside-dental"],
        ),
        // An agency matches whole path segments, not a prefix of one.
        (&["--account", "northwind"], &[]),
        (&["--account", "lakeside-dental"], &[]),
        (&["--country", "gb"], &["2026-11-thameside-gallery"]),
        (
            &["--country", "CA,GB"],
            &["2026-11-queen-west-physio", "2026-11-thameside-gallery"],
        ),
        (&["--country", "FR"], &[]),
        // Filters combine: every one must match.
        (
            &["--stage", "cancelled", "--account", "northwind-agency"],
            &["2026-11-sunrise-roofing"],
        ),
        (
            &["--stage", "submitted", "--country", "US"],
            &["2026-11-bayview-bistro", "2026-11-cafe-coqui"],
        ),
        (
            &["--stage", "rejected", "--country", "US"],
            &["2026-11-summit-outdoor-tollfree"],
        ),
    ] {
        assert_eq!(ports(&status(&repo, args)["ports"]), expected, "{args:?}");
    }

    let table = repo.run(&["status", "--today", TODAY, "--stage", "rejected"]);
    let listed: Vec<&str> = table
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap_or_default())
        .collect();
    assert_eq!(
        listed,
        [
            "2026-11-summit-outdoor-tollfree",
            "2026-11-thameside-gallery"
        ]
    );
    // Nothing matches: the header alone.
    let none = repo.run(&["status", "--today", TODAY, "--country", "FR"]);
    assert_eq!(none.stdout.lines().count(), 1, "{}", none.stdout);
}

#[test]
fn an_unknown_stage_or_country_is_refused_with_the_names_that_exist() {
    let repo = desk();
    let out = common::bin(
        repo.path(),
        &["status", "--today", TODAY, "--stage", "rejected,submited"],
        None,
    );
    assert_eq!(out.code, 2, "{}", out.all());
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .contains("invalid value 'submited' for '--stage <STAGE,…>'"),
        "{}",
        out.stderr
    );
    let names = Stage::ALL.map(Stage::as_str).join(", ");
    assert!(
        out.stderr.contains(&format!("[possible values: {names}]")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("a similar value exists: 'submitted'"),
        "{}",
        out.stderr
    );

    let out = common::bin(repo.path(), &["status", "--country", "USA"], None);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr.contains("two-letter ISO 3166-1 code"),
        "{}",
        out.stderr
    );
}

// ── report: waiting on the customer or the carrier ───────────────────────────

#[test]
fn report_lists_ports_waiting_longer_than_porting_toml_allows() {
    let repo = desk();
    let doc = json(&repo.run(&["report", "--today", TODAY, "--format", "json"]));
    assert_eq!(
        (
            doc["customer_wait_days"].as_u64(),
            doc["carrier_wait_days"].as_u64()
        ),
        (Some(5), Some(10))
    );
    // Summit: rejected 6 whole days, over 5; thameside: 5, not over.
    assert_eq!(
        doc["waiting_on_customer"],
        json!([{
            "port": "2026-11-summit-outdoor-tollfree",
            "account": "summit-outdoor",
            "country": "US",
            "stage": "rejected",
            "days": 6,
            "since": "2026-11-25T12:00:00Z",
            "reasons": ["pending-order", "special-feature"],
            "carrier": null,
        }])
    );
    // Bayview: submitted 11 whole days, over 10; cafe-coqui: 10, not over.
    assert_eq!(
        doc["waiting_on_carrier"],
        json!([{
            "port": "2026-11-bayview-bistro",
            "account": "bayview-bistro",
            "country": "US",
            "stage": "submitted",
            "days": 11,
            "since": "2026-11-20T12:00:00Z",
            "reasons": [],
            "carrier": "Partner Carrier",
        }])
    );
    // A day earlier neither is over.
    let earlier = json(&repo.run(&["report", "--today", "2026-11-30", "--format", "json"]));
    assert_eq!(earlier["waiting_on_customer"], json!([]));
    assert_eq!(earlier["waiting_on_carrier"], json!([]));

    let md = repo.run(&["report", "--today", TODAY]);
    assert!(
        md.stdout
            .contains("## Waiting on the customer\n\nRejected for more than 5 days"),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout.contains("| `2026-11-summit-outdoor-tollfree` | summit-outdoor | 6 days | 2026-11-25 12:00 | `pending-order`, `special-feature` |"),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout.contains("| `2026-11-bayview-bistro` | bayview-bistro | Partner Carrier | 11 days | 2026-11-20 12:00 |"),
        "{}",
        md.stdout
    );
    let csv = repo.run(&["report", "--today", TODAY, "--format", "csv"]);
    let lines: Vec<&str> = csv.stdout.lines().collect();
    assert!(lines.contains(&"waiting-on-customer,2026-11-summit-outdoor-tollfree,rejected,6,\"rejected since 2026-11-25T12:00:00Z, more than 5 days; reasons: pending-order special-feature\""), "{}", csv.stdout);
    assert!(lines.contains(&"waiting-on-carrier,2026-11-bayview-bistro,submitted,11,\"submitted to Partner Carrier since 2026-11-20T12:00:00Z, no answer for more than 10 days\""), "{}", csv.stdout);
    assert!(
        !csv.stdout.contains("thameside") && !csv.stdout.contains("cafe-coqui,submitted"),
        "{}",
        csv.stdout
    );
}

#[test]
fn the_waits_come_from_porting_toml() {
    let repo = desk();
    let policy = repo
        .read("porting.toml")
        .replace("customer_wait_days = 5", "customer_wait_days = 4")
        .replace("carrier_wait_days = 10", "carrier_wait_days = 9");
    assert!(policy.contains("customer_wait_days = 4") && policy.contains("carrier_wait_days = 9"));
    repo.write("porting.toml", policy);
    let doc = json(&repo.run(&["report", "--today", TODAY, "--format", "json"]));
    assert_eq!(doc["customer_wait_days"], 4);
    assert_eq!(
        ports(&doc["waiting_on_customer"]),
        [
            "2026-11-summit-outdoor-tollfree",
            "2026-11-thameside-gallery"
        ]
    );
    assert_eq!(
        ports(&doc["waiting_on_carrier"]),
        ["2026-11-bayview-bistro", "2026-11-cafe-coqui"]
    );
    let md = repo.run(&["report", "--today", TODAY]);
    assert!(
        md.stdout.contains("Submitted more than 9 days ago"),
        "{}",
        md.stdout
    );
}

// ── report: time per stage ───────────────────────────────────────────────────

// Regression: a cancelled port's stays counted in the medians, so ports abandoned after
// weeks in `ready` made every port look slow.
#[test]
fn cancelled_ports_are_left_out_of_the_median_time_per_stage() {
    let repo = desk();
    // Sunrise was ready four days before it was cancelled: a finished stay of its own.
    let sunrise = json(&repo.run(&[
        "history",
        "2026-11-sunrise-roofing",
        "--today",
        TODAY,
        "--format",
        "json",
    ]));
    let stays: Vec<(&str, i64)> = sunrise["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["stage"].as_str().unwrap(), s["seconds"].as_i64().unwrap()))
        .collect();
    assert_eq!(stays[0], ("ready", 4 * 86_400));
    assert_eq!(stays[1].0, "cancelled");

    let doc = json(&repo.run(&["report", "--today", TODAY, "--format", "json"]));
    // Ready: summit 1 day, bayview 21 hours; sunrise's 4 days are not among them.
    assert_eq!(
        doc["median_days_per_stage"],
        json!([
            { "stage": "awaiting-signature", "median_days": 3.3, "finished_stays": 1 },
            { "stage": "ready", "median_days": 0.9, "finished_stays": 2 },
            { "stage": "submitted", "median_days": 5.1, "finished_stays": 2 },
        ])
    );
    // Markdown and CSV round the same way as JSON (3.25 days is 3.3 everywhere).
    let md = repo.run(&["report", "--today", TODAY]);
    assert!(
        md.stdout.contains("| awaiting-signature | 3.3 | 1 |"),
        "{}",
        md.stdout
    );
    let csv = repo.run(&["report", "--today", TODAY, "--format", "csv"]);
    assert!(
        csv.stdout
            .contains("median-days-in-stage,,awaiting-signature,3.3,1 finished stay\n"),
        "{}",
        csv.stdout
    );
}

// ── the published JSON Schemas of the outputs ────────────────────────────────

fn output_schema(name: &str) -> Value {
    let path = common::project_root().join(format!("schemas/output/{name}.schema.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn output_validator(name: &str) -> Validator {
    let schema = output_schema(name);
    assert_eq!(
        schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
        "{name}"
    );
    if let Err(e) = jsonschema::draft202012::meta::validate(&schema) {
        panic!("{name}.schema.json is not valid draft 2020-12: {e}");
    }
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{name}.schema.json does not compile: {e}"))
}

fn assert_valid(validator: &Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}:\n{}", errors.join("\n"));
}

/// A change to a valid output, and what it is.
type Mutation = (&'static str, fn(&mut Value));

/// Each mutation of `doc` (valid) fails the schema.
fn refuses(validator: &Validator, doc: &Value, mutations: &[Mutation]) {
    assert_valid(validator, doc, "the unchanged output");
    for (what, mutate) in mutations {
        let mut bad = doc.clone();
        mutate(&mut bad);
        assert!(!validator.is_valid(&bad), "the schema takes {what}");
    }
}

#[test]
fn status_report_and_history_json_validate_against_their_schemas() {
    let repo = desk();
    // A port not committed yet (its stage and its event have no commit), and one whose
    // request fails its schema, with an event file named out of pattern (no kind).
    repo.copy_port("ports/2026-11-pinecrest-plumbing");
    repo.write(
        "ports/2026-11-half-typed/request.toml",
        "#:schema ../../schemas/request.schema.json\naccount = \"half-typed\"\ncountry = \"US\"\n",
    )
    .write(
        "ports/2026-11-half-typed/events/notes.toml",
        "kind = \"signed\"\n",
    );

    let status_schema = output_validator("status");
    let doc = status(&repo, &[]);
    let stages: Vec<&str> = doc["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["stage"].as_str().unwrap())
        .collect();
    for stage in [
        "rejected",
        "scheduled",
        "cancelled",
        "completed",
        "submitted",
        "awaiting-signature",
        "ready",
        "invalid",
    ] {
        assert!(
            stages.contains(&stage),
            "the desk has no {stage} port: {stages:?}"
        );
    }
    assert_valid(&status_schema, &doc, "status");
    let plain = common::TempRepo::new();
    plain.copy_port("ports/2026-11-lakeside-dental");
    let out = plain.run(&["status", "--today", TODAY, "--format", "json"]);
    assert_valid(
        &status_schema,
        &serde_json::from_str(&out.stdout).unwrap(),
        "status without git",
    );

    let report_schema = output_validator("report");
    for today in [TODAY, "2026-12-31"] {
        let doc = json(&repo.run(&["report", "--today", today, "--format", "json"]));
        assert_valid(&report_schema, &doc, &format!("report on {today}"));
    }

    let history_schema = output_validator("history");
    for port in [
        "2026-11-summit-outdoor-tollfree",
        "2026-11-copperleaf-law",
        "2026-11-lakeside-dental",
        "2026-11-sunrise-roofing",
        "2026-11-pinecrest-plumbing",
        "2026-11-half-typed",
    ] {
        let doc = json(&repo.run(&["history", port, "--today", TODAY, "--format", "json"]));
        assert_eq!(doc["version"], 1);
        assert_valid(&history_schema, &doc, port);
        if port == "2026-11-half-typed" {
            assert_eq!(doc["stage"], "invalid");
            assert_eq!(doc["events"][0]["kind"], Value::Null, "{doc}");
        }
    }
}

#[test]
fn the_schemas_refuse_a_missing_or_misspelled_field() {
    let repo = desk();
    let status_schema = output_validator("status");
    let doc = status(&repo, &[]);
    let mutations: [Mutation; 6] = [
        ("no version", |d| {
            d.as_object_mut().unwrap().remove("version");
        }),
        ("version 2", |d| d["version"] = json!(2)),
        ("a misspelled field", |d| {
            let row = d["ports"][0].as_object_mut().unwrap();
            let carrier = row.remove("losing_carrier").unwrap();
            row.insert("losing_carier".to_owned(), carrier);
        }),
        ("a missing field", |d| {
            d["ports"][1].as_object_mut().unwrap().remove("foc");
        }),
        ("an unknown stage", |d| {
            d["ports"][0]["stage"] = json!("submited")
        }),
        ("half of the git fields", |d| {
            d["ports"][0].as_object_mut().unwrap().remove("owner");
        }),
    ];
    refuses(&status_schema, &doc, &mutations);

    let report_schema = output_validator("report");
    let doc = json(&repo.run(&["report", "--today", TODAY, "--format", "json"]));
    let mutations: [Mutation; 4] = [
        ("no waiting_on_carrier", |d| {
            d.as_object_mut().unwrap().remove("waiting_on_carrier");
        }),
        ("a misspelled entry field", |d| {
            let entry = d["waiting_on_customer"][0].as_object_mut().unwrap();
            let days = entry.remove("days").unwrap();
            entry.insert("day".to_owned(), days);
        }),
        ("a submitted port waiting on the customer", |d| {
            d["waiting_on_customer"][0]["stage"] = json!("submitted")
        }),
        ("an unknown stage in the country table", |d| {
            d["ports_by_country"]["US"]["shipped"] = json!(1)
        }),
    ];
    refuses(&report_schema, &doc, &mutations);

    let history_schema = output_validator("history");
    let doc = json(&repo.run(&[
        "history",
        "2026-11-summit-outdoor-tollfree",
        "--today",
        TODAY,
        "--format",
        "json",
    ]));
    let mutations: [Mutation; 3] = [
        ("no version", |d| {
            d.as_object_mut().unwrap().remove("version");
        }),
        ("a short commit id", |d| {
            d["events"][0]["landed"]["commit"] = json!("abc123")
        }),
        ("an extra event field", |d| {
            d["events"][0]["author"] = json!("Ana Souza")
        }),
    ];
    refuses(&history_schema, &doc, &mutations);
}

#[test]
fn the_schemas_know_every_stage_and_event_kind() {
    let stages: Vec<Value> = Stage::ALL.iter().map(|s| json!(s.as_str())).collect();
    for name in ["status", "report", "history"] {
        assert_eq!(
            output_schema(name)["$defs"]["stage"]["enum"],
            json!(stages),
            "{name}"
        );
    }
    let mut kinds: Vec<Value> = EventKind::ALL.iter().map(|k| json!(k.as_str())).collect();
    kinds.push(Value::Null);
    assert_eq!(
        output_schema("history")["properties"]["events"]["items"]["properties"]["kind"]["enum"],
        json!(kinds)
    );
}
