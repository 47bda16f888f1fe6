//! Timelines from git: `history`, the times in `status`, `report` and `summary`, on real
//! repos whose pull requests are merged with merge commits, compared with what the git CLI
//! says about the same history.

mod common;
mod history_git;

use history_git::{ANA, BAYVIEW_REJECTED as REJECTED_003, BEN, GitRepo, nov};
use portflow::Exit;
use serde_json::Value;

const BAYVIEW: &str = "ports/2026-11-bayview-bistro";

struct Story {
    repo: GitRepo,
    /// The merge commits of the `sign`, `submit` and (when made) `reject` branches.
    merges: Vec<String>,
    /// The first commit, which added the request.
    start: String,
}

/// Bayview's life as pull requests: the request lands on Nov 16 09:00; Ben's `sign` branch
/// (Nov 19 15:00) merges Nov 19 18:00; Ana's `submit` branch (Nov 20 10:00) merges Nov 20
/// 12:00; with `reject`, Ben's rejection (typed `on` Nov 21) merges Nov 24 12:00.
fn story(reject: bool) -> Story {
    let repo = GitRepo::new();
    repo.copy_file(&format!("{BAYVIEW}/request.toml"))
        .copy_file(&format!("{BAYVIEW}/documents/bill-2026-11.pdf"));
    let start = repo.commit("Bayview: the request", ANA, nov(16, 9));

    repo.branch("sign");
    repo.copy_file(&format!("{BAYVIEW}/documents/loa-signed-2026-11-19.pdf"))
        .copy_file(&format!("{BAYVIEW}/events/001-signed.toml"));
    repo.commit("Bayview: signed", BEN, nov(19, 15));
    repo.checkout("main");
    let sign = repo.merge("sign", nov(19, 18));

    repo.branch("submit");
    repo.copy_file(&format!("{BAYVIEW}/events/002-submitted.toml"));
    repo.commit("Bayview: submit", ANA, nov(20, 10));
    repo.checkout("main");
    let submit = repo.merge("submit", nov(20, 12));

    let mut merges = vec![sign.to_string(), submit.to_string()];
    if reject {
        repo.branch("reject");
        repo.write(&format!("{BAYVIEW}/events/003-rejected.toml"), REJECTED_003);
        repo.commit("Bayview: rejected", BEN, nov(24, 9));
        repo.checkout("main");
        merges.push(repo.merge("reject", nov(24, 12)).to_string());
    }
    Story {
        repo,
        merges,
        start: start.to_string(),
    }
}

fn json(out: &portflow::Output) -> Value {
    assert_eq!(out.exit, Exit::Clean, "{}{}", out.stdout, out.stderr);
    serde_json::from_str(&out.stdout).expect("json")
}

#[test]
fn landings_and_creators_match_git_log() {
    let story = story(true);
    let repo = &story.repo;
    let doc = json(&repo.run(&[
        "history",
        "2026-11-bayview-bistro",
        "--today",
        "2026-11-25",
        "--format",
        "json",
    ]));
    let events = doc["events"].as_array().expect("events");
    assert_eq!(events.len(), 3);
    for (event, merge) in events.iter().zip(&story.merges) {
        let path = format!("{BAYVIEW}/events/{}", event["file"].as_str().unwrap());
        // Landing: the first-parent commit that added the file.
        let landed = repo.git(&[
            "log",
            "--first-parent",
            "--diff-filter=A",
            "--format=%H",
            "--",
            &path,
        ]);
        assert_eq!(event["landed"]["commit"], landed.trim(), "{path}");
        assert_eq!(event["landed"]["commit"], merge.as_str());
        // Creator: the commit on the merged branch that added it.
        let created = repo.git(&["log", "--diff-filter=A", "--format=%H %an", "--", &path]);
        let oldest = created.lines().last().expect("a commit");
        let (id, name) = oldest.split_once(' ').expect("id and name");
        assert_eq!(event["created"]["commit"], id, "{path}");
        assert_eq!(event["created"]["author"]["name"], name, "{path}");
    }
    assert_eq!(events[0]["created"]["author"]["name"], "Ben Okafor");
    assert_eq!(events[1]["created"]["author"]["name"], "Ana Souza");
    // Typed dates against landings: 001 and 002 landed the day they say; 003 says Nov 21
    // but landed Nov 24.
    assert_eq!(events[0]["dates_disagree"], false);
    assert_eq!(events[1]["dates_disagree"], false);
    assert_eq!(events[2]["on_to_landed_days"], 3);
    assert_eq!(events[2]["dates_disagree"], true);
    // 002 landed 18 hours after 001.
    assert_eq!(events[1]["seconds_since_previous"], 18 * 3600);

    // Stages: each began with the commit that brought it, on the first-parent line.
    let first_parent: Vec<String> = repo
        .git(&["log", "--first-parent", "--reverse", "--format=%H"])
        .lines()
        .map(str::to_owned)
        .collect();
    let stages: Vec<(String, String)> = doc["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| {
            (
                s["stage"].as_str().unwrap().to_owned(),
                s["from"]["commit"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        stages,
        [
            ("awaiting-signature".to_owned(), story.start.clone()),
            ("ready".to_owned(), story.merges[0].clone()),
            ("submitted".to_owned(), story.merges[1].clone()),
            ("rejected".to_owned(), story.merges[2].clone()),
        ]
    );
    for (_, commit) in &stages {
        assert!(first_parent.contains(commit));
    }
    assert_eq!(doc["stage"], "rejected");
    assert_eq!(doc["stage_since"], "2026-11-24T12:00:00Z");
    // From Nov 24 12:00 to the end of Nov 25.
    assert_eq!(doc["in_stage_days"], 1);
    // Four days submitted (Nov 20 12:00 to Nov 24 12:00), then paused while rejected.
    assert_eq!(doc["sla"]["elapsed_days"], 4);
    assert_eq!(doc["sla"]["paused_days"], 1);
    assert_eq!(doc["sla"]["state"], "paused");
    assert_eq!(doc["sla"]["window"], "domestic");
}

#[test]
fn history_table_shows_commits_authors_and_durations() {
    let story = story(true);
    let out = story
        .repo
        .run(&["history", "2026-11-bayview-bistro", "--today", "2026-11-25"]);
    assert_eq!(out.exit, Exit::Clean, "{}", out.stderr);
    let short = |id: &str| id[..8].to_owned();
    assert!(
        out.stdout.contains("stage: rejected for 1d 12h"),
        "{}",
        out.stdout
    );
    let signed = out
        .stdout
        .lines()
        .find(|l| l.starts_with("001-signed.toml"))
        .expect("001 row");
    assert!(signed.contains("2026-11-19 18:00"), "{signed}");
    assert!(signed.contains(&short(&story.merges[0])), "{signed}");
    assert!(signed.contains("Ben Okafor"), "{signed}");
    let rejected = out
        .stdout
        .lines()
        .find(|l| l.starts_with("003-rejected.toml"))
        .expect("003 row");
    assert!(rejected.contains("landed 3d after `on`"), "{rejected}");
    assert!(rejected.contains("4d 0h"), "{rejected}");
}

#[test]
fn uncommitted_events_have_no_landing() {
    let story = story(false);
    story
        .repo
        .write(&format!("{BAYVIEW}/events/003-rejected.toml"), REJECTED_003);
    let doc = json(&story.repo.run(&[
        "history",
        BAYVIEW,
        "--today",
        "2026-11-25",
        "--format",
        "json",
    ]));
    assert_eq!(doc["events"][2]["landed"], Value::Null);
    assert_eq!(doc["stage"], "rejected");
    assert_eq!(doc["stage_committed"], false);
    assert_eq!(doc["in_stage_days"], Value::Null);
}

#[test]
fn status_gains_time_in_stage_and_the_sla_clock() {
    let story = story(false);
    let doc = json(
        &story
            .repo
            .run(&["status", "--today", "2026-11-25", "--format", "json"]),
    );
    let row = &doc["ports"][0];
    assert_eq!(row["stage"], "submitted");
    assert_eq!(row["in_stage_days"], 5);
    assert_eq!(row["sla"]["elapsed_days"], 5);
    assert_eq!(row["sla"]["max_days"], 28);
    assert_eq!(row["overdue"], false);

    // 28 days after Nov 20 12:00 is Dec 18 12:00: overdue from then on.
    let doc = json(
        &story
            .repo
            .run(&["status", "--today", "2026-12-18", "--format", "json"]),
    );
    assert_eq!(doc["ports"][0]["overdue"], true);
    assert_eq!(doc["ports"][0]["sla"]["state"], "overdue");
    let doc = json(
        &story
            .repo
            .run(&["status", "--today", "2026-12-17", "--format", "json"]),
    );
    assert_eq!(doc["ports"][0]["overdue"], false);

    let out = story
        .repo
        .run(&["status", "--today", "2026-12-18", "--format", "table"]);
    let header = out.stdout.lines().next().expect("header");
    assert!(
        header.contains("IN STAGE") && header.contains("SLA"),
        "{header}"
    );
    assert!(out.stdout.contains("28/28d OVERDUE"), "{}", out.stdout);
}

#[test]
fn status_without_git_has_no_time_columns() {
    let repo = common::TempRepo::new();
    repo.copy_port(BAYVIEW);
    let out = repo.run(&["status", "--today", "2026-11-25", "--format", "table"]);
    assert_eq!(out.exit, Exit::Clean);
    assert!(!out.stdout.contains("IN STAGE"), "{}", out.stdout);
    assert_eq!(out.stderr, "");
    let out = repo.run(&["history", "2026-11-bayview-bistro"]);
    assert_eq!(out.exit, Exit::Failure);
    assert!(
        out.stderr.contains("not inside a git repository"),
        "{}",
        out.stderr
    );
}

/// Bayview's story plus ports added whole on Nov 24 12:00: lakeside (awaiting signature),
/// summit (rejected), copperleaf (completed), cafe-coqui (scheduled for Dec 11) and
/// thameside (GB, submitted).
fn desk() -> GitRepo {
    let story = story(false);
    let repo = story.repo;
    for port in [
        "ports/2026-11-lakeside-dental",
        "ports/2026-11-summit-outdoor-tollfree",
        "ports/2026-11-copperleaf-law",
        "ports/2026/2026-11-cafe-coqui",
        "ports/2026-11-thameside-gallery",
    ] {
        repo.copy_port(port);
    }
    repo.commit("More ports", BEN, nov(24, 12));
    repo
}

#[test]
fn report_finds_breaches_stuck_ports_and_rejection_reasons() {
    let repo = desk();
    let doc = json(&repo.run(&["report", "--today", "2026-12-31", "--format", "json"]));
    let breaches: Vec<(&str, &str)> = doc["sla_breaches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["port"].as_str().unwrap(), b["state"].as_str().unwrap()))
        .collect();
    // Bayview: submitted Nov 20 12:00, 41 days; cafe-coqui: scheduled since Nov 24, 37 days.
    assert_eq!(
        breaches,
        [
            ("2026-11-bayview-bistro", "overdue"),
            ("2026-11-cafe-coqui", "overdue")
        ]
    );
    let stuck: Vec<(&str, &str)> = doc["stuck"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["port"].as_str().unwrap(), s["stage"].as_str().unwrap()))
        .collect();
    assert_eq!(
        stuck,
        [
            ("2026-11-lakeside-dental", "awaiting-signature"),
            ("2026-11-cafe-coqui", "scheduled")
        ]
    );
    assert!(
        doc["stuck"][1]["reason"]
            .as_str()
            .unwrap()
            .contains("2026-12-11")
    );
    let reasons: Vec<(&str, u64)> = doc["rejection_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["code"].as_str().unwrap(), r["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(reasons, [("pending-order", 1), ("special-feature", 1)]);
    assert_eq!(doc["ports_by_country"]["US"]["submitted"], 1);
    assert_eq!(doc["ports_by_country"]["GB"]["submitted"], 1);
    // Bayview's finished stays: 3d 9h awaiting signature, 18h ready.
    let medians = doc["median_days_per_stage"].as_array().unwrap();
    assert_eq!(medians[0]["stage"], "awaiting-signature");
    assert_eq!(medians[0]["median_days"], 3.4);
    assert_eq!(medians[1]["stage"], "ready");
    assert_eq!(medians[1]["median_days"], 0.8);

    // Nothing is stuck or late a week earlier.
    let early = json(&repo.run(&["report", "--today", "2026-11-30", "--format", "json"]));
    assert_eq!(early["sla_breaches"], serde_json::json!([]));
    assert_eq!(early["stuck"], serde_json::json!([]));
}

#[test]
fn report_renders_markdown_and_csv() {
    let repo = desk();
    let md = repo.run(&["report", "--today", "2026-12-31"]);
    assert_eq!(md.exit, Exit::Clean, "{}", md.stderr);
    for heading in [
        "## SLA breaches",
        "## Stuck ports",
        "## Median time per stage",
        "## Rejection reasons",
        "## Ports by country and stage",
    ] {
        assert!(md.stdout.contains(heading), "{heading}\n{}", md.stdout);
    }
    assert!(
        md.stdout.contains(
            "| `2026-11-bayview-bistro` | US | submitted | domestic (max 28 days) | 41 | overdue |"
        ),
        "{}",
        md.stdout
    );

    let csv = repo.run(&["report", "--today", "2026-12-31", "--format", "csv"]);
    let lines: Vec<&str> = csv.stdout.lines().collect();
    assert_eq!(lines[0], "section,subject,stage,value,detail");
    assert!(lines.contains(&"sla-breach,2026-11-bayview-bistro,submitted,41,\"domestic window, max 28 days, overdue\""), "{}", csv.stdout);
    assert!(
        lines.contains(&"rejection-reason,pending-order,,1,"),
        "{}",
        csv.stdout
    );
    assert!(
        lines.contains(&"ports-by-country,GB,submitted,1,"),
        "{}",
        csv.stdout
    );
    assert!(lines.iter().all(|l| l.split(',').count() >= 5));
}

// ── summary ──────────────────────────────────────────────────────────────────

#[test]
fn summary_shows_stage_changes_new_events_and_a_checklist() {
    let repo = GitRepo::new();
    repo.copy_file(&format!("{BAYVIEW}/request.toml"))
        .copy_file(&format!("{BAYVIEW}/documents/bill-2026-11.pdf"))
        .copy_file(&format!("{BAYVIEW}/documents/loa-signed-2026-11-19.pdf"))
        .copy_file(&format!("{BAYVIEW}/events/001-signed.toml"));
    repo.commit("Bayview signed", BEN, nov(19, 15));
    repo.branch("submit");
    repo.copy_file(&format!("{BAYVIEW}/events/002-submitted.toml"));
    repo.commit("Submit Bayview", ANA, nov(20, 10));

    let out = repo.run(&["summary", "--base", "main", "--today", "2026-11-25"]);
    assert_eq!(out.exit, Exit::Clean, "{}", out.stderr);
    let md = &out.stdout;
    assert!(md.starts_with("<!-- portflow-summary -->\n"), "{md}");
    assert!(
        md.contains("| `2026-11-bayview-bistro` | `ready` | `submitted` | `002-submitted.toml` |"),
        "{md}"
    );
    assert!(
        md.contains("### `2026-11-bayview-bistro`: `ready` → `submitted`"),
        "{md}"
    );
    assert!(md.contains("- `002-submitted.toml` on 2026-11-20 by ana.souza@example.com: to Partner Carrier, requested FOC 2026-12-03"), "{md}");
    assert!(
        md.contains("LOA data unchanged since `001-signed.toml`"),
        "{md}"
    );
    assert!(
        md.contains(
            "#### Submission `002-submitted.toml` to Partner Carrier, requested FOC 2026-12-03"
        ),
        "{md}"
    );
    assert!(md.contains("- ✓ signature current: `001-signed.toml` (signed 2026-11-19) covers the current LOA data"), "{md}");
    assert!(md.contains("- ✓ proof fresh: bill `documents/bill-2026-11.pdf` dated 2026-11-06, 14 days before the submission"), "{md}");
    assert!(
        md.contains("- ✗ CSR matched: no `[csr]` in the request"),
        "{md}"
    );
    assert!(
        md.contains("- ✓ fee: none: US is self-serve and free"),
        "{md}"
    );
    assert!(
        md.contains("0 errors, 0 warnings; new in this change: 0 errors (blocking), 0 warnings (blocking only with `--deny-warnings`)."),
        "{md}"
    );
}

#[test]
fn summary_diffs_the_loa_since_the_signature() {
    let repo = GitRepo::new();
    repo.copy_file(&format!("{BAYVIEW}/request.toml"))
        .copy_file(&format!("{BAYVIEW}/documents/bill-2026-11.pdf"))
        .copy_file(&format!("{BAYVIEW}/documents/loa-signed-2026-11-19.pdf"))
        .copy_file(&format!("{BAYVIEW}/events/001-signed.toml"));
    repo.commit("Bayview signed", BEN, nov(19, 15));
    repo.branch("fix");
    let path = format!("{BAYVIEW}/request.toml");
    let text = repo
        .read(&path)
        .replace("\"2210 Seaglass Blvd\"", "\"2212 Seaglass Blvd\"");
    repo.write(&path, text);
    repo.commit("Fix the street", ANA, nov(20, 10));

    let out = repo.run(&["summary", "--base", "main", "--today", "2026-11-25"]);
    let md = &out.stdout;
    assert!(md.contains("`ready` → `awaiting-signature`"), "{md}");
    assert!(md.contains("**the signature no longer covers it**"), "{md}");
    assert!(md.contains(
        "```diff\n- end_user.service_address.street = 2210 Seaglass Blvd\n+ end_user.service_address.street = 2212 Seaglass Blvd\n```"
    ), "{md}");
}

// Regression: the LOA data is edited in the same commit that lands the signature; the
// summary must diff against what was signed (by digest), not against that commit's files.
#[test]
fn summary_diffs_against_the_signed_digest_when_the_edit_lands_with_the_signature() {
    let repo = GitRepo::new();
    repo.copy_file(&format!("{BAYVIEW}/request.toml"))
        .copy_file(&format!("{BAYVIEW}/documents/bill-2026-11.pdf"));
    repo.commit("Bayview request", BEN, nov(18, 15));
    repo.branch("sign");
    repo.copy_file(&format!("{BAYVIEW}/documents/loa-signed-2026-11-19.pdf"))
        .copy_file(&format!("{BAYVIEW}/events/001-signed.toml"));
    let path = format!("{BAYVIEW}/request.toml");
    let text = repo
        .read(&path)
        .replace("\"2210 Seaglass Blvd\"", "\"2212 Seaglass Blvd\"");
    repo.write(&path, text);
    repo.commit("Signed, and the street edited", ANA, nov(20, 10));

    let out = repo.run(&["summary", "--base", "main", "--today", "2026-11-25"]);
    let md = &out.stdout;
    assert!(!md.contains("LOA data unchanged"), "{md}");
    assert!(md.contains("**the signature no longer covers it**"), "{md}");
    assert!(md.contains(
        "- end_user.service_address.street = 2210 Seaglass Blvd\n+ end_user.service_address.street = 2212 Seaglass Blvd"
    ), "{md}");
}

const SCHEDULED: &str = r#"#:schema ../../../schemas/event.schema.json
kind = "scheduled"
on = 2026-11-24
by = "ben.okafor@example.com"
foc = 2026-12-03
"#;

/// Landing of each event file of bayview, by file name.
fn landed(repo: &GitRepo) -> Vec<(String, String)> {
    let doc = json(&repo.run(&[
        "history",
        "2026-11-bayview-bistro",
        "--today",
        "2026-11-25",
        "--format",
        "json",
    ]));
    doc["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["file"].as_str().unwrap().to_owned(),
                e["landed"]["commit"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_renumbered_event_keeps_its_landing() {
    let story = story(false);
    let repo = &story.repo;
    repo.branch("rejected");
    repo.write(&format!("{BAYVIEW}/events/003-rejected.toml"), REJECTED_003);
    repo.commit("Rejected", ANA, nov(23, 10));
    repo.checkout("main");
    repo.branch("scheduled");
    repo.write(&format!("{BAYVIEW}/events/003-scheduled.toml"), SCHEDULED);
    repo.commit("Scheduled", BEN, nov(24, 10));
    repo.checkout("main");
    let first = repo.merge("rejected", nov(24, 11)).to_string();
    let second = repo.merge("scheduled", nov(24, 12)).to_string();
    repo.rename(
        &format!("{BAYVIEW}/events/003-scheduled.toml"),
        &format!("{BAYVIEW}/events/004-scheduled.toml"),
    );
    repo.commit("Renumber the FOC after the race", ANA, nov(24, 13));
    let landed = landed(repo);
    assert_eq!(landed[2], ("003-rejected.toml".to_owned(), first));
    assert_eq!(landed[3], ("004-scheduled.toml".to_owned(), second));
}

#[test]
fn identical_events_land_separately() {
    let story = story(false);
    let repo = &story.repo;
    repo.write(&format!("{BAYVIEW}/events/003-scheduled.toml"), SCHEDULED);
    let third = repo.commit("FOC", BEN, nov(24, 10)).to_string();
    // The carrier confirms the same FOC again: the same bytes under the next number.
    repo.write(&format!("{BAYVIEW}/events/004-scheduled.toml"), SCHEDULED);
    let fourth = repo.commit("FOC again", BEN, nov(25, 10)).to_string();
    let landed = landed(repo);
    assert_eq!(landed[2].1, third);
    assert_eq!(landed[3].1, fourth);
}

// ── counts ───────────────────────────────────────────────────────────────────

// A count of one takes the singular: "1 day", "1 port", "1 number", never "1 days".
#[test]
fn counts_of_one_are_singular_in_history_report_and_summary() {
    let story = story(false);
    // Submitted Nov 20 12:00; by the end of Nov 21 one day counts.
    let history = story
        .repo
        .run(&["history", "2026-11-bayview-bistro", "--today", "2026-11-21"]);
    assert_eq!(history.exit, Exit::Clean, "{}", history.stderr);
    assert!(
        history
            .stdout
            .contains("; 1 day counted since 2026-11-20 12:00 UTC (0 days paused while rejected)"),
        "{}",
        history.stdout
    );
    let report = story.repo.run(&["report", "--today", "2026-11-21"]);
    assert_eq!(report.exit, Exit::Clean, "{}", report.stderr);
    assert!(
        report
            .stdout
            .contains("\n\n1 port. Durations come from git"),
        "{}",
        report.stdout
    );

    // A pull request that submits, schedules and completes one of two numbers, with a bill
    // dated the day before the submission.
    let repo = GitRepo::new();
    let request =
        std::fs::read_to_string(common::project_root().join(format!("{BAYVIEW}/request.toml")))
            .expect("request");
    repo.write(
        &format!("{BAYVIEW}/request.toml"),
        request.replace("dated = 2026-11-06", "dated = 2026-11-19"),
    )
    .copy_file(&format!("{BAYVIEW}/documents/bill-2026-11.pdf"))
    .copy_file(&format!("{BAYVIEW}/documents/loa-signed-2026-11-19.pdf"))
    .copy_file(&format!("{BAYVIEW}/events/001-signed.toml"));
    repo.commit("Bayview signed", BEN, nov(19, 15));
    repo.branch("done");
    repo.copy_file(&format!("{BAYVIEW}/events/002-submitted.toml"))
        .write(
            &format!("{BAYVIEW}/events/003-scheduled.toml"),
            "kind = \"scheduled\"\non = 2026-11-24\nby = \"ana.souza@example.com\"\nfoc = 2026-12-03\n",
        )
        .write(
            &format!("{BAYVIEW}/events/004-completed.toml"),
            "kind = \"completed\"\non = 2026-12-03\nby = \"ana.souza@example.com\"\nnumbers = [\"+14155550131\"]\n",
        );
    repo.commit("Bayview: one number moved", ANA, nov(30, 10));
    let out = repo.run(&["summary", "--base", "main", "--today", "2026-12-04"]);
    assert_eq!(out.exit, Exit::Clean, "{}", out.stderr);
    let md = &out.stdout;
    assert!(
        md.contains("- `004-completed.toml` on 2026-12-03 by ana.souza@example.com: 1 number"),
        "{md}"
    );
    assert!(
        md.contains("dated 2026-11-19, 1 day before the submission"),
        "{md}"
    );
    assert!(
        !md.contains(" 1 numbers") && !md.contains(" 1 days"),
        "{md}"
    );
}
