//! `check --base REF`: the history rules on real git repos, the sanctioned renumbering after
//! an event-number race, year-folder moves, shallow clones, and the pull-request gate.

mod common;
mod history_git;

use common::{VALID_REQUEST, json_findings};
use history_git::{ANA, BEN, GitRepo, codes, family, git_in, nov};
use portflow::Exit;
use serde_json::Value;

const TODAY: &str = "2026-11-25";
const BAYVIEW: &str = "ports/2026-11-bayview-bistro";
const COPPERLEAF: &str = "ports/2026-11-copperleaf-law";
const SUMMIT: &str = "ports/2026-11-summit-outdoor-tollfree";

const REJECTED_003: &str = r#"#:schema ../../../schemas/event.schema.json
kind = "rejected"
on = 2026-11-23
by = "ana.souza@example.com"
instructions = "Please send us your most recent bill so we can match the billing number."

[[reasons]]
code = "btn-mismatch"
detail = "BTN does not match account"
"#;

const SCHEDULED_003: &str = r#"#:schema ../../../schemas/event.schema.json
kind = "scheduled"
on = 2026-11-24
by = "ben.okafor@example.com"
foc = 2026-12-03
"#;

/// `check --base <base> --format json` with today pinned.
fn check_base(repo: &GitRepo, base: &str) -> portflow::Output {
    repo.run(&[
        "check", "--base", base, "--today", TODAY, "--format", "json",
    ])
}

/// A repo whose `main` holds the given bundled ports, committed on 2026-11-21.
fn main_with(ports: &[&str]) -> GitRepo {
    let repo = GitRepo::new();
    for port in ports {
        repo.copy_port(port);
    }
    repo.commit("Add ports", ANA, nov(21, 9));
    repo
}

fn finding<'a>(findings: &'a [Value], code: &str) -> Vec<&'a Value> {
    findings.iter().filter(|f| f["code"] == code).collect()
}

// ── history::rewritten ───────────────────────────────────────────────────────

#[test]
fn editing_a_merged_event_is_rewritten() {
    let repo = main_with(&[BAYVIEW]);
    let path = format!("{BAYVIEW}/events/002-submitted.toml");
    let text = repo.read(&path).replace("PC-20977", "PC-20978");
    repo.write(&path, &text);

    let out = check_base(&repo, "main");
    assert_eq!(out.exit, Exit::Findings, "{}", out.stdout);
    assert_eq!(
        family(&out, "history::"),
        [("history::rewritten".to_owned(), path.clone())]
    );
    let findings = json_findings(&out);
    let f = finding(&findings, "history::rewritten")[0];
    assert!(
        f["message"].as_str().unwrap().contains("has been changed"),
        "{f}"
    );
    // The finding points at the line that changed, not at the top of the file.
    let line = text
        .lines()
        .position(|l| l.contains("PC-20978"))
        .expect("the edited line")
        + 1;
    assert_eq!(f["line"], line, "{f}");
    assert!(line > 1);
    // The same edit committed on a branch is caught the same way.
    let edited = repo.read(&path);
    repo.branch("edit");
    repo.write(&path, edited);
    repo.commit("Fix the order id", BEN, nov(22, 9));
    let out = check_base(&repo, "main");
    assert_eq!(
        family(&out, "history::"),
        [("history::rewritten".to_owned(), path)]
    );
}

#[test]
fn removing_a_merged_event_is_rewritten() {
    let repo = main_with(&[BAYVIEW]);
    let path = format!("{BAYVIEW}/events/002-submitted.toml");
    repo.remove(&path);
    let out = check_base(&repo, "main");
    assert_eq!(out.exit, Exit::Findings);
    let findings = json_findings(&out);
    let f = finding(&findings, "history::rewritten");
    assert_eq!(f.len(), 1, "{}", out.stdout);
    assert_eq!(f[0]["file"], path.as_str());
    assert!(f[0]["message"].as_str().unwrap().contains("removed"));
}

#[test]
fn adding_the_next_event_is_clean() {
    let repo = main_with(&[BAYVIEW]);
    repo.write(&format!("{BAYVIEW}/events/003-rejected.toml"), REJECTED_003);
    let out = check_base(&repo, "main");
    assert_eq!(out.exit, Exit::Clean, "{}", out.stdout);
    assert_eq!(family(&out, "history::"), []);
    assert_eq!(family(&out, "event::sequence"), []);
}

// ── the race of two branches, and its sanctioned fix ─────────────────────────

/// main: bayview submitted; branches `rejected` and `scheduled` both add event 003 and are
/// merged one after the other (neither conflicts: the file names differ).
fn raced() -> GitRepo {
    let repo = main_with(&[BAYVIEW]);
    repo.branch("rejected");
    repo.write(&format!("{BAYVIEW}/events/003-rejected.toml"), REJECTED_003);
    repo.commit("Record the rejection", ANA, nov(23, 10));
    repo.checkout("main");
    repo.branch("scheduled");
    repo.write(
        &format!("{BAYVIEW}/events/003-scheduled.toml"),
        SCHEDULED_003,
    );
    repo.commit("Record the FOC", BEN, nov(24, 10));
    repo.checkout("main");
    repo.merge("rejected", nov(24, 11));
    repo.merge("scheduled", nov(24, 12));
    repo
}

#[test]
fn two_branches_adding_the_same_number_show_as_event_sequence_on_main() {
    let repo = raced();
    let out = repo.run(&["check", "--today", TODAY, "--format", "json"]);
    assert_eq!(out.exit, Exit::Findings);
    let seq = family(&out, "event::sequence");
    assert_eq!(seq.len(), 1, "{}", out.stdout);
    assert!(seq[0].1.starts_with(&format!("{BAYVIEW}/events/003-")));
}

#[test]
fn renumbering_a_collided_event_byte_for_byte_is_sanctioned() {
    let repo = raced();
    repo.branch("renumber");
    repo.rename(
        &format!("{BAYVIEW}/events/003-scheduled.toml"),
        &format!("{BAYVIEW}/events/004-scheduled.toml"),
    );
    let out = check_base(&repo, "main");
    assert_eq!(family(&out, "history::"), [], "{}", out.stdout);
    assert_eq!(family(&out, "event::sequence"), []);
    // Only the warning that an FOC followed a rejection without a resubmission remains.
    assert_eq!(out.exit, Exit::Clean, "{}", out.stdout);
}

#[test]
fn renumbering_with_an_edit_is_rewritten() {
    let repo = raced();
    let from = format!("{BAYVIEW}/events/003-scheduled.toml");
    let to = format!("{BAYVIEW}/events/004-scheduled.toml");
    let text = repo.read(&from).replace("2026-12-03", "2026-12-04");
    repo.remove(&from).write(&to, text);
    let out = check_base(&repo, "main");
    assert_eq!(out.exit, Exit::Findings);
    assert_eq!(
        family(&out, "history::"),
        [("history::rewritten".to_owned(), from)]
    );
}

#[test]
fn renumbering_an_event_that_did_not_collide_is_rewritten() {
    let repo = main_with(&[BAYVIEW]);
    let from = format!("{BAYVIEW}/events/002-submitted.toml");
    let to = format!("{BAYVIEW}/events/003-submitted.toml");
    repo.rename(&from, &to);
    let out = check_base(&repo, "main");
    assert_eq!(out.exit, Exit::Findings);
    let findings = json_findings(&out);
    let f = finding(&findings, "history::rewritten");
    assert_eq!(f.len(), 1, "{}", out.stdout);
    assert_eq!(f[0]["file"], to.as_str());
    assert!(f[0]["message"].as_str().unwrap().contains("renamed"));
}

// ── history::port-deleted ────────────────────────────────────────────────────

#[test]
fn deleting_a_port_folder_is_port_deleted() {
    let repo = main_with(&[BAYVIEW, "ports/2026-11-lakeside-dental"]);
    repo.remove(BAYVIEW);
    let out = check_base(&repo, "main");
    assert_eq!(out.exit, Exit::Findings);
    assert_eq!(
        family(&out, "history::"),
        [("history::port-deleted".to_owned(), BAYVIEW.to_owned())]
    );
}

#[test]
fn renaming_a_port_folder_is_port_deleted() {
    let repo = main_with(&[BAYVIEW]);
    repo.rename(BAYVIEW, "ports/2026-11-bayview-bistro-sf");
    let out = check_base(&repo, "main");
    assert_eq!(
        family(&out, "history::"),
        [("history::port-deleted".to_owned(), BAYVIEW.to_owned())]
    );
}

#[test]
fn moving_a_port_under_a_year_folder_is_not_a_deletion() {
    let repo = main_with(&[BAYVIEW]);
    let moved = "ports/2026/2026-11-bayview-bistro";
    repo.rename(BAYVIEW, moved);
    // Bare `git mv`: the directives no longer reach the schemas (warnings), nothing else.
    let out = check_base(&repo, "main");
    assert_eq!(family(&out, "history::"), [], "{}", out.stdout);
    assert_eq!(out.exit, Exit::Clean, "{}", out.stdout);

    // With every `#:schema` line given its extra `../`, it is entirely clean.
    for rel in [
        "request.toml",
        "events/001-signed.toml",
        "events/002-submitted.toml",
    ] {
        let path = format!("{moved}/{rel}");
        let text = repo
            .read(&path)
            .replacen("#:schema ../", "#:schema ../../", 1);
        repo.write(&path, text);
    }
    let out = check_base(&repo, "main");
    assert_eq!(codes(&out), [], "{}", out.stdout);
    assert_eq!(out.exit, Exit::Clean);
}

// Regression: on a checkout with `core.autocrlf=true` (Git for Windows' default) the work
// tree has CRLF where git stores LF; a moved port must not read as rewritten events.
#[test]
fn moving_a_port_on_a_crlf_checkout_is_not_a_rewrite() {
    let repo = main_with(&[BAYVIEW]);
    repo.git(&["config", "core.autocrlf", "true"]);
    let moved = "ports/2026/2026-11-bayview-bistro";
    repo.rename(BAYVIEW, moved);
    for rel in [
        "request.toml",
        "events/001-signed.toml",
        "events/002-submitted.toml",
    ] {
        let path = format!("{moved}/{rel}");
        let text = repo
            .read(&path)
            .replacen("#:schema ../", "#:schema ../../", 1)
            .replace('\n', "\r\n");
        repo.write(&path, text);
    }
    let out = check_base(&repo, "main");
    assert_eq!(family(&out, "history::"), [], "{}", out.stdout);
    assert_eq!(out.exit, Exit::Clean, "{}", out.stdout);
}

// ── history::terminal-changed ────────────────────────────────────────────────

#[test]
fn changing_a_completed_port_is_terminal_changed() {
    let repo = main_with(&[COPPERLEAF]);
    let request = format!("{COPPERLEAF}/request.toml");
    let text = repo.read(&request);
    let edited = text.replacen("tracking_source = \"", "tracking_source = \"New ", 1);
    assert_ne!(text, edited, "the fixture has routing to edit");
    repo.write(&request, edited);
    repo.write(
        &format!("{COPPERLEAF}/documents/extra.pdf"),
        b"%PDF-1.4\n%%EOF\n",
    );

    let out = check_base(&repo, "main");
    assert_eq!(out.exit, Exit::Findings);
    let mut found = family(&out, "history::");
    found.sort();
    assert_eq!(
        found,
        [
            (
                "history::terminal-changed".to_owned(),
                format!("{COPPERLEAF}/documents/extra.pdf")
            ),
            ("history::terminal-changed".to_owned(), request),
        ]
    );
}

#[test]
fn voiding_the_terminal_event_is_allowed() {
    let repo = main_with(&[COPPERLEAF]);
    repo.write(
        &format!("{COPPERLEAF}/events/007-void.toml"),
        r#"kind = "void"
on = 2026-11-24
by = "ana.souza@example.com"
voids = "006"
reason = "completion recorded for the wrong port"
"#,
    );
    let out = check_base(&repo, "main");
    assert_eq!(family(&out, "history::"), [], "{}", out.stdout);
}

// ── history::loa-changed ─────────────────────────────────────────────────────

#[test]
fn editing_loa_data_of_a_submitted_port_is_loa_changed() {
    let repo = main_with(&[BAYVIEW]);
    let request = format!("{BAYVIEW}/request.toml");
    let text = repo.read(&request);
    repo.write(
        &request,
        text.replace(
            "name = \"Bayview Bistro Inc\"",
            "name = \"Bayview Bistro LLC\"",
        ),
    );
    let out = check_base(&repo, "main");
    assert_eq!(out.exit, Exit::Findings);
    let findings = json_findings(&out);
    let f = finding(&findings, "history::loa-changed");
    assert_eq!(f.len(), 1, "{}", out.stdout);
    assert_eq!(f[0]["file"], request.as_str());
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap()
            .contains("`end_user.name`")
    );
    // The span is the changed value.
    let line = text.lines().position(|l| l.starts_with("name = ")).unwrap() + 1;
    assert_eq!(f[0]["line"], line);
}

#[test]
fn routing_may_change_after_submission() {
    let repo = main_with(&[BAYVIEW]);
    let request = format!("{BAYVIEW}/request.toml");
    let text = repo.read(&request);
    repo.write(
        &request,
        text.replace("\"Catering flyers\"", "\"Catering flyers 2027\""),
    );
    let out = check_base(&repo, "main");
    assert_eq!(family(&out, "history::"), [], "{}", out.stdout);
    assert_eq!(out.exit, Exit::Clean, "{}", out.stdout);
}

#[test]
fn loa_data_may_change_while_rejected() {
    let repo = main_with(&[SUMMIT]);
    let request = format!("{SUMMIT}/request.toml");
    let text = repo.read(&request);
    repo.write(
        &request,
        text.replace("Summit Outdoor Supply", "Summit Outdoor Supply Co"),
    );
    let out = check_base(&repo, "main");
    assert_eq!(family(&out, "history::"), [], "{}", out.stdout);
}

#[test]
fn recording_the_rejection_with_the_fix_is_allowed() {
    let repo = main_with(&[BAYVIEW]);
    let request = format!("{BAYVIEW}/request.toml");
    let text = repo.read(&request);
    repo.write(
        &request,
        text.replace(
            "name = \"Bayview Bistro Inc\"",
            "name = \"Bayview Bistro LLC\"",
        ),
    );
    repo.write(&format!("{BAYVIEW}/events/003-rejected.toml"), REJECTED_003);
    let out = check_base(&repo, "main");
    assert_eq!(family(&out, "history::"), [], "{}", out.stdout);
}

// ── the gate ─────────────────────────────────────────────────────────────────

/// A draft port (no `losing_carrier`): it has a `loa::missing-field` error.
fn draft_request() -> String {
    VALID_REQUEST.replace("losing_carrier = \"Comcast Business\"\n", "")
}

#[test]
fn findings_already_on_the_base_in_untouched_ports_do_not_block() {
    let repo = GitRepo::new();
    repo.write("ports/2026-11-acme-draft/request.toml", draft_request());
    repo.commit("A draft", ANA, nov(20, 9));
    repo.branch("pinecrest");
    repo.copy_port("ports/2026-11-pinecrest-plumbing");
    repo.commit("Pinecrest is ready", BEN, nov(24, 9));

    let out = check_base(&repo, "main");
    assert_eq!(out.exit, Exit::Clean, "{}", out.stdout);
    let findings = json_findings(&out);
    let inherited = finding(&findings, "loa::missing-field");
    assert_eq!(inherited.len(), 1, "{}", out.stdout);
    assert_eq!(inherited[0]["blocking"], false);
    // Without --base the same finding fails the check.
    let plain = repo.run(&["check", "--today", TODAY, "--format", "json"]);
    assert_eq!(plain.exit, Exit::Findings);
    assert!(
        json_findings(&plain)
            .iter()
            .all(|f| f.get("blocking").is_none())
    );
    // People see why it does not block.
    let human = repo.run(&[
        "check", "--base", "main", "--today", TODAY, "--color", "never",
    ]);
    assert!(human.stdout.contains("not blocking"), "{}", human.stdout);

    // Touching the draft port makes its findings count.
    let path = "ports/2026-11-acme-draft/request.toml";
    let text = repo
        .read(path)
        .replace("Acme Dental LLC", "Acme Dental PLLC");
    repo.write(path, text);
    let out = check_base(&repo, "main");
    assert_eq!(out.exit, Exit::Findings);
    assert!(
        json_findings(&out)
            .iter()
            .all(|f| f.get("blocking").is_none())
    );
}

#[test]
fn a_new_finding_in_an_untouched_port_blocks() {
    let repo = GitRepo::new();
    repo.write("ports/2026-11-acme-dental/request.toml", VALID_REQUEST);
    repo.commit("Acme", ANA, nov(20, 9));
    repo.branch("second");
    // Another open port with the same number: both sides get `number::in-other-port`.
    repo.write(
        "ports/2026-11-acme-dental-annex/request.toml",
        VALID_REQUEST.replace("acme-dental", "acme-dental-annex"),
    );
    let out = check_base(&repo, "main");
    assert_eq!(out.exit, Exit::Findings);
    let findings = json_findings(&out);
    let cross = finding(&findings, "number::in-other-port");
    assert_eq!(cross.len(), 2, "{}", out.stdout);
    for f in cross {
        assert!(f.get("blocking").is_none(), "{f}");
    }
}

#[test]
fn a_policy_change_makes_every_finding_count() {
    let repo = GitRepo::new();
    repo.write("ports/2026-11-acme-draft/request.toml", draft_request());
    repo.commit("A draft", ANA, nov(20, 9));
    let policy = repo.read("porting.toml");
    repo.write("porting.toml", format!("{policy}\n# reviewed\n"));
    let out = check_base(&repo, "main");
    assert_eq!(out.exit, Exit::Findings, "{}", out.stdout);
}

// ── failures ─────────────────────────────────────────────────────────────────

#[test]
fn a_shallow_clone_cannot_run_history_checks() {
    let repo = main_with(&[BAYVIEW]);
    repo.write(&format!("{BAYVIEW}/events/003-rejected.toml"), REJECTED_003);
    repo.commit("Rejected", BEN, nov(23, 9));
    let clone = tempfile::tempdir().expect("tempdir");
    let dest = clone.path().join("shallow");
    git_in(
        clone.path(),
        &[
            "clone",
            "--quiet",
            "--depth",
            "1",
            &format!("file://{}", repo.path().display()),
            "shallow",
        ],
    );
    for args in [
        vec!["check", "--base", "origin/main", "--today", TODAY],
        vec!["history", "2026-11-bayview-bistro", "--today", TODAY],
        vec!["summary", "--base", "origin/main", "--today", TODAY],
        vec!["report", "--today", TODAY],
    ] {
        let out = common::run_in(&dest, &args);
        assert_eq!(out.exit, Exit::Failure, "{args:?}: {}", out.stdout);
        assert!(out.stderr.contains("history::shallow"), "{}", out.stderr);
        assert!(out.stderr.contains("fetch-depth: 0"), "{}", out.stderr);
    }
    // status still works, without the git columns, and says why.
    let out = common::run_in(&dest, &["status", "--today", TODAY, "--format", "json"]);
    assert_eq!(out.exit, Exit::Clean);
    let doc: Value = serde_json::from_str(&out.stdout).expect("json");
    assert!(doc["ports"][0].get("in_stage_days").is_none());
    assert!(out.stderr.contains("history::shallow"), "{}", out.stderr);
}

#[test]
fn an_unknown_base_cannot_run() {
    let repo = main_with(&[BAYVIEW]);
    let out = check_base(&repo, "no-such-branch");
    assert_eq!(out.exit, Exit::Failure);
    assert!(out.stderr.contains("`no-such-branch`"), "{}", out.stderr);
}

#[test]
fn base_outside_git_cannot_run() {
    let repo = common::TempRepo::new();
    let out = repo.run(&["check", "--base", "main"]);
    assert_eq!(out.exit, Exit::Failure);
    assert!(out.stderr.contains("git"), "{}", out.stderr);
}

#[test]
fn a_ports_repo_in_a_subfolder_of_the_git_repo() {
    let repo = GitRepo::new();
    repo.copy_port(BAYVIEW);
    for item in ["porting.toml", "schemas", "ports"] {
        repo.rename(item, &format!("desk/{item}"));
    }
    repo.write("README.md", "the desk's repo\n");
    repo.commit("A desk in a subfolder", ANA, nov(21, 9));
    let path = format!("desk/{BAYVIEW}/events/002-submitted.toml");
    let text = repo.read(&path).replace("PC-20977", "PC-20978");
    repo.write(&path, text);

    let out = repo.run(&[
        "-C", "desk", "check", "--base", "main", "--today", TODAY, "--format", "json",
    ]);
    assert_eq!(out.exit, Exit::Findings, "{}{}", out.stdout, out.stderr);
    // Paths stay relative to the ports repo (where porting.toml is).
    assert_eq!(
        family(&out, "history::"),
        [(
            "history::rewritten".to_owned(),
            format!("{BAYVIEW}/events/002-submitted.toml")
        )]
    );
    let out = repo.run(&[
        "-C",
        "desk",
        "history",
        "2026-11-bayview-bistro",
        "--format",
        "json",
    ]);
    assert_eq!(out.exit, Exit::Clean, "{}", out.stderr);
    let doc: Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(doc["stage"], "submitted");
    assert_eq!(doc["events"][0]["landed"]["time"], "2026-11-21T09:00:00Z");
}
