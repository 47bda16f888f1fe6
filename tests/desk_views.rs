//! What the desk reads: `status` (columns and filters), `report` (ports waiting on the
//! customer or the carrier, time per stage) and the JSON of `status`, `report` and
//! `history` against their published schemas, on a real git repo with pinned authors and
//! times and a pinned `--today`.

mod common;
mod history_git;

use history_git::{ANA, BEN, GitRepo, nov};
use portflow::Exit;
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
