//! Events are facts, judged by the data of their own time: each case is a month of a porting
//! desk in a real git repo (commits with pinned names and times), checked the way CI checks
//! main after every push.

mod common;
mod history_git;

use std::path::{Path, PathBuf};

use common::json_findings;
use history_git::{ANA, BEN, GitRepo, nov};
use portflow::{Exit, Output};
use serde_json::Value;

const PINECREST: &str = "2026-11-pinecrest-plumbing";
const PINECREST_DIR: &str = "ports/2026-11-pinecrest-plumbing";
const BAYVIEW: &str = "ports/2026-11-bayview-bistro";
const COPPERLEAF: &str = "ports/2026-11-copperleaf-law";
const QUEEN_WEST: &str = "ports/2026-11-queen-west-physio";
const SUMMIT: &str = "ports/2026-11-summit-outdoor-tollfree";
const LAKESIDE: &str = "ports/2026-11-lakeside-dental";

/// Runs a command with `--today`.
fn at(repo: &GitRepo, today: &str, args: &[&str]) -> Output {
    let mut argv = args.to_vec();
    argv.extend_from_slice(&["--today", today]);
    repo.run(&argv)
}

/// `record <port> <args> --by … --today …`.
fn record(repo: &GitRepo, today: &str, port: &str, args: &[&str]) -> Output {
    let mut argv = vec!["record", port];
    argv.extend_from_slice(args);
    argv.extend_from_slice(&["--by", "ana.souza@example.com"]);
    at(repo, today, &argv)
}

/// The findings of `check --format json`.
fn check(repo: &GitRepo, today: &str) -> (Output, Vec<Value>) {
    let out = at(repo, today, &["check", "--format", "json"]);
    let findings = json_findings(&out);
    (out, findings)
}

/// (code, file) of every error.
fn errors(findings: &[Value]) -> Vec<(String, String)> {
    findings
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| {
            (
                f["code"].as_str().unwrap_or_default().to_owned(),
                f["file"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The `status --format json` row of a port folder.
fn status_of(repo: &GitRepo, today: &str, dir: &str) -> Value {
    let out = at(repo, today, &["status", "--format", "json"]);
    let doc: Value = serde_json::from_str(&out.stdout).expect("status json");
    doc["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .find(|p| p["dir"] == dir)
        .cloned()
        .unwrap_or_else(|| panic!("{dir} is not listed: {}", out.stdout))
}

fn stage(repo: &GitRepo, today: &str, dir: &str) -> String {
    status_of(repo, today, dir)["stage"]
        .as_str()
        .expect("stage")
        .to_owned()
}

/// Renders one port's LOA into a temp folder and returns the PDF's bytes.
fn render_loa(repo: &GitRepo, today: &str, port: &str) -> Vec<u8> {
    let out_dir = tempfile::tempdir().expect("tempdir");
    let out = at(
        repo,
        today,
        &[
            "render",
            port,
            "--out",
            out_dir.path().to_str().expect("utf-8"),
        ],
    );
    assert_eq!(out.exit, Exit::Clean, "{out:?}");
    let pdf = find_pdf(out_dir.path()).expect("a rendered LOA");
    std::fs::read(pdf).expect("read the LOA")
}

fn find_pdf(dir: &Path) -> Option<PathBuf> {
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.ok()?;
        if entry.path().extension().is_some_and(|e| e == "pdf") {
            return Some(entry.into_path());
        }
    }
    None
}

fn event_files(repo: &GitRepo, dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo.path().join(dir).join("events"))
        .expect("events")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Records Pinecrest's submission to the partner carrier, which must be accepted.
fn submit(repo: &GitRepo, today: &str, requested_foc: &str) {
    let out = record(
        repo,
        today,
        PINECREST,
        &[
            "submitted",
            "--carrier",
            "Partner Carrier",
            "--requested-foc",
            requested_foc,
        ],
    );
    assert_eq!(out.exit, Exit::Clean, "{out:?}");
}

/// Pinecrest (ready, signed by Dale Whitcomb) submitted and then rejected because the
/// carrier's records name another authorized person; every step merged on main.
fn pinecrest_rejected_for_the_signer() -> GitRepo {
    let repo = GitRepo::new();
    repo.copy_port(PINECREST_DIR);
    repo.commit("Add Pinecrest", ANA, nov(24, 9));
    submit(&repo, "2026-11-25", "2026-12-08");
    repo.commit("Submit Pinecrest", ANA, nov(25, 9));
    let out = record(
        &repo,
        "2026-11-27",
        PINECREST,
        &[
            "rejected",
            "--reason",
            "authorized-person-mismatch=the account holder is Dana Whitcomb",
            "--instructions",
            "The LOA must be signed by Dana Whitcomb, the account holder.",
        ],
    );
    assert_eq!(out.exit, Exit::Clean, "{out:?}");
    repo.commit("Pinecrest rejected", BEN, nov(27, 9));
    repo
}

/// Writes Pinecrest's `004-signed.toml` by hand (bypassing `record`): Dana's signature of
/// the current LOA, backed by `document`. Returns the digest it records.
fn sign_by_hand(repo: &GitRepo, document: &str) -> String {
    let digest = repo.run(&["digest", PINECREST]).stdout;
    let digest = digest.split_whitespace().nth(1).expect("digest").to_owned();
    repo.write(
        &format!("{PINECREST_DIR}/events/004-signed.toml"),
        format!(
            "kind = \"signed\"\non = 2026-11-30\nby = \"ana.souza@example.com\"\n\
             signer = \"Dana Whitcomb\"\nmethod = \"e-sign\"\n\
             document = \"{document}\"\nloa_digest = \"{digest}\"\n"
        ),
    );
    digest
}

fn fix_authorized_person(repo: &GitRepo) {
    let request = format!("{PINECREST_DIR}/request.toml");
    let text = repo.read(&request);
    repo.write(
        &request,
        text.replace(
            "authorized_person = \"Dale Whitcomb\"",
            "authorized_person = \"Dana Whitcomb\"",
        ),
    );
}

#[test]
fn the_authorized_person_is_fixed_after_a_rejection_and_the_port_resubmitted() {
    let repo = pinecrest_rejected_for_the_signer();
    let old_loa = render_loa(&repo, "2026-11-27", PINECREST);
    fix_authorized_person(&repo);
    repo.commit(
        "Pinecrest: the account holder is Dana Whitcomb",
        ANA,
        nov(30, 9),
    );

    // The merged signature of Dale's LOA is a fact: no signer-mismatch, no illegal event.
    let (out, findings) = check(&repo, "2026-11-30");
    assert_eq!(errors(&findings), [], "{}", out.stdout);
    assert_eq!(out.exit, Exit::Clean);
    let row = status_of(&repo, "2026-11-30", PINECREST_DIR);
    assert_eq!(row["stage"], "rejected");
    let next = row["next_action"].as_str().expect("next action");
    assert!(next.contains("sign the corrected LOA"), "{next}");

    // The LOA signed before the fix cannot back the new signature.
    let signed = format!("{PINECREST_DIR}/documents/loa-signed-2026-11-30.pdf");
    repo.write(&signed, &old_loa);
    let args = [
        "signed",
        "--method",
        "e-sign",
        "--document",
        "documents/loa-signed-2026-11-30.pdf",
    ];
    let before = event_files(&repo, PINECREST_DIR);
    let out = record(&repo, "2026-11-30", PINECREST, &args);
    assert_eq!(out.exit, Exit::Findings, "{out:?}");
    assert!(
        out.stdout.contains("document::loa-mismatch"),
        "{}",
        out.stdout
    );
    assert_eq!(
        event_files(&repo, PINECREST_DIR),
        before,
        "nothing recorded"
    );

    // Dana signs the current LOA: recorded, then resubmitted.
    let current_loa = render_loa(&repo, "2026-11-30", PINECREST);
    repo.write(&signed, &current_loa);
    let out = record(&repo, "2026-11-30", PINECREST, &args);
    assert_eq!(out.exit, Exit::Clean, "{out:?}");
    let event = repo.read(&format!("{PINECREST_DIR}/events/004-signed.toml"));
    assert!(event.contains("signer = \"Dana Whitcomb\""), "{event}");
    assert!(
        !event.contains("document_sha256"),
        "a file that prints its digest is bound by it: {event}"
    );
    repo.commit("Pinecrest signed by Dana", ANA, nov(30, 12));
    submit(&repo, "2026-11-30", "2026-12-10");
    repo.commit("Resubmit Pinecrest", ANA, nov(30, 15));

    let (out, findings) = check(&repo, "2026-11-30");
    assert_eq!(errors(&findings), [], "{}", out.stdout);
    assert_eq!(stage(&repo, "2026-11-30", PINECREST_DIR), "submitted");
    // The LOA renders, and a typo event can still be voided.
    render_loa(&repo, "2026-11-30", PINECREST);
    let out = record(
        &repo,
        "2026-11-30",
        PINECREST,
        &["void", "--voids", "005", "--reason", "recorded twice"],
    );
    assert_eq!(out.exit, Exit::Clean, "{out:?}");
}

#[test]
fn a_new_organization_address_re_signs_only_unsubmitted_and_rejected_ports() {
    let repo = GitRepo::new();
    for port in [
        BAYVIEW,
        COPPERLEAF,
        QUEEN_WEST,
        SUMMIT,
        LAKESIDE,
        PINECREST_DIR,
    ] {
        repo.copy_port(port);
    }
    repo.commit("Add ports", ANA, nov(24, 9));
    let today = "2026-11-30";
    let stages: Vec<String> = [BAYVIEW, COPPERLEAF, QUEEN_WEST, SUMMIT, PINECREST_DIR]
        .iter()
        .map(|d| stage(&repo, today, d))
        .collect();
    assert_eq!(
        stages,
        ["submitted", "completed", "scheduled", "rejected", "ready"]
    );

    let policy = repo.read("porting.toml");
    repo.write(
        "porting.toml",
        policy.replace(
            "address = \"1 Example Plaza, Austin, TX 78701\"",
            "address = \"200 Congress Ave, Austin, TX 78701\"",
        ),
    );
    repo.commit("We moved", BEN, nov(30, 9));

    let (out, findings) = check(&repo, today);
    assert_eq!(errors(&findings), [], "{}", out.stdout);
    assert_eq!(out.exit, Exit::Clean);
    assert_eq!(stage(&repo, today, BAYVIEW), "submitted");
    assert_eq!(stage(&repo, today, COPPERLEAF), "completed");
    assert_eq!(stage(&repo, today, QUEEN_WEST), "scheduled");
    // The rejected port's resubmission needs the new LOA signed; the ready one too.
    let summit = status_of(&repo, today, SUMMIT);
    assert_eq!(summit["stage"], "rejected");
    assert!(
        summit["next_action"]
            .as_str()
            .is_some_and(|a| a.contains("sign the corrected LOA")),
        "{summit}"
    );
    assert_eq!(stage(&repo, today, PINECREST_DIR), "awaiting-signature");
    assert_eq!(stage(&repo, today, LAKESIDE), "awaiting-signature");

    // The same change as a pull request: nothing to fix either.
    let out = at(
        &repo,
        today,
        &["check", "--base", "HEAD~1", "--format", "json"],
    );
    assert_eq!(errors(&json_findings(&out)), [], "{}", out.stdout);
}

#[test]
fn a_typo_on_a_scheduled_port_is_one_finding_on_the_request() {
    let repo = GitRepo::new();
    repo.copy_port(QUEEN_WEST);
    repo.commit("Add Queen West", ANA, nov(24, 9));
    let request = format!("{QUEEN_WEST}/request.toml");
    let text = repo.read(&request);
    let postal = text
        .lines()
        .find(|l| l.starts_with("postal_code = "))
        .expect("a postal code")
        .to_owned();
    repo.write(&request, text.replacen(&postal, "postal_code = \"M5V\"", 1));
    repo.commit("Typo", BEN, nov(30, 9));

    let (out, findings) = check(&repo, "2026-11-30");
    let errs = errors(&findings);
    assert_eq!(
        errs,
        [("loa::postal-code".to_owned(), request.clone())],
        "{}",
        out.stdout
    );
    assert_eq!(stage(&repo, "2026-11-30", QUEEN_WEST), "scheduled");
}

/// Pinecrest re-signed by wet ink: a scan that prints no digest, bound by its hash.
#[test]
fn a_replaced_wet_ink_scan_no_longer_backs_its_signature() {
    let repo = pinecrest_rejected_for_the_signer();
    fix_authorized_person(&repo);
    repo.commit(
        "Pinecrest: the account holder is Dana Whitcomb",
        ANA,
        nov(30, 9),
    );
    // A PNG as far as portflow looks at one (its magic bytes), with content of its own.
    let png = |tag: &[u8]| {
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        bytes.extend_from_slice(tag);
        bytes
    };
    let path = format!("{PINECREST_DIR}/documents/loa-wet-ink-2026-11-30.png");
    repo.write(&path, png(b"signed by Dana"));
    let out = record(
        &repo,
        "2026-11-30",
        PINECREST,
        &[
            "signed",
            "--method",
            "wet-ink",
            "--document",
            "documents/loa-wet-ink-2026-11-30.png",
        ],
    );
    assert_eq!(out.exit, Exit::Clean, "{out:?}");
    let event = repo.read(&format!("{PINECREST_DIR}/events/004-signed.toml"));
    let recorded = portflow::signed::sha256_hex(&png(b"signed by Dana"));
    assert!(
        event.contains(&format!("document_sha256 = \"{recorded}\"")),
        "{event}"
    );
    repo.commit("Pinecrest signed on paper", ANA, nov(30, 12));
    let (out, findings) = check(&repo, "2026-11-30");
    assert_eq!(errors(&findings), [], "{}", out.stdout);

    // Someone replaces the scan with another page.
    repo.write(&path, png(b"another page"));
    repo.commit("Better scan", BEN, nov(30, 15));
    let (out, findings) = check(&repo, "2026-11-30");
    assert_eq!(
        errors(&findings),
        [(
            "document::loa-mismatch".to_owned(),
            format!("{PINECREST_DIR}/events/004-signed.toml")
        )],
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("has changed since it was signed"));
}

#[test]
fn a_signed_pdf_printing_another_digest_is_a_mismatch_on_the_event() {
    let repo = pinecrest_rejected_for_the_signer();
    let old_loa = render_loa(&repo, "2026-11-27", PINECREST);
    fix_authorized_person(&repo);
    // Written by hand, bypassing `record`: the old LOA filed as the new signature.
    repo.write(
        &format!("{PINECREST_DIR}/documents/loa-signed-2026-11-30.pdf"),
        &old_loa,
    );
    let digest = sign_by_hand(&repo, "documents/loa-signed-2026-11-30.pdf");
    let (out, findings) = check(&repo, "2026-11-30");
    let mismatch: Vec<&Value> = findings
        .iter()
        .filter(|f| f["code"] == "document::loa-mismatch")
        .collect();
    assert_eq!(mismatch.len(), 1, "{}", out.stdout);
    assert_eq!(
        mismatch[0]["file"],
        format!("{PINECREST_DIR}/events/004-signed.toml")
    );
    let message = mismatch[0]["message"].as_str().expect("message");
    assert!(message.contains("prints LOA digest sha256:"), "{message}");
    assert!(message.contains(&digest), "{message}");
}

#[test]
fn a_carrier_foc_on_a_weekend_is_recorded_with_a_warning() {
    let repo = GitRepo::new();
    repo.copy_port(BAYVIEW);
    repo.commit("Add Bayview", ANA, nov(24, 9));
    // 2026-12-12 is a Saturday.
    let out = record(
        &repo,
        "2026-11-30",
        "2026-11-bayview-bistro",
        &["scheduled", "--foc", "2026-12-12"],
    );
    assert_eq!(out.exit, Exit::Clean, "{out:?}");
    let (out, findings) = check(&repo, "2026-11-30");
    assert_eq!(out.exit, Exit::Clean, "{}", out.stdout);
    let foc: Vec<&Value> = findings
        .iter()
        .filter(|f| f["code"] == "event::foc-date")
        .collect();
    assert_eq!(foc.len(), 1, "{}", out.stdout);
    assert_eq!(foc[0]["severity"], "warning");
    assert!(foc[0]["message"].as_str().unwrap().contains("a weekend"));
    assert_eq!(stage(&repo, "2026-11-30", BAYVIEW), "scheduled");
}

#[test]
fn an_foc_in_a_year_without_holidays_warns_to_add_them() {
    let repo = GitRepo::new();
    repo.copy_port(BAYVIEW);
    // The desk listed no 2027 holidays yet.
    let policy = repo.read("porting.toml");
    let without_2027: String = policy
        .lines()
        .filter(|l| !l.trim_start().starts_with("2027-"))
        .map(|l| format!("{l}\n"))
        .collect();
    repo.write("porting.toml", without_2027);
    repo.commit("Add Bayview", ANA, nov(24, 9));
    let out = record(
        &repo,
        "2026-12-20",
        "2026-11-bayview-bistro",
        &["scheduled", "--foc", "2027-01-01"],
    );
    assert_eq!(out.exit, Exit::Clean, "{out:?}");
    let (out, findings) = check(&repo, "2026-12-20");
    let foc: Vec<String> = findings
        .iter()
        .filter(|f| f["code"] == "event::foc-date")
        .map(|f| format!("{} {}", f["severity"], f["message"]))
        .collect();
    assert_eq!(foc.len(), 1, "{}", out.stdout);
    assert!(
        foc[0].contains("warning") && foc[0].contains("no US holidays for 2027"),
        "{foc:?}"
    );
}

/// Bayview's end user renamed: LOA data its signature does not cover.
fn rename_bayview(repo: &GitRepo) {
    let request = format!("{BAYVIEW}/request.toml");
    let text = repo.read(&request);
    repo.write(
        &request,
        text.replace(
            "name = \"Bayview Bistro Inc\"",
            "name = \"Bayview Bistro LLC\"",
        ),
    );
}

#[test]
fn a_stale_submission_is_judged_by_the_commit_that_recorded_it() {
    let repo = GitRepo::new();
    repo.copy_port(BAYVIEW);
    // The submission merged with a request its signature did not cover.
    rename_bayview(&repo);
    repo.commit("Add Bayview", ANA, nov(24, 9));
    repo.write("ports/README.md", "Ports of the desk.\n");
    repo.commit("Readme", BEN, nov(25, 9));
    let (out, findings) = check(&repo, "2026-11-30");
    let stale: Vec<&Value> = findings
        .iter()
        .filter(|f| f["code"] == "event::stale-signature")
        .collect();
    assert_eq!(stale.len(), 1, "{}", out.stdout);
    let message = stale[0]["message"].as_str().expect("message");
    let help = stale[0]["help"].as_str().expect("help");
    assert!(message.contains("when it was recorded"), "{message}");
    assert!(!help.contains("not merged"), "{help}");
    assert!(help.contains("void"), "{help}");

    // The same submission not yet committed: judged on today's files, and still fixable
    // before it merges.
    let repo = GitRepo::new();
    repo.copy_port(BAYVIEW);
    repo.remove(&format!("{BAYVIEW}/events/002-submitted.toml"));
    repo.commit("Add Bayview", ANA, nov(24, 9));
    repo.write("ports/README.md", "Ports of the desk.\n");
    repo.commit("Readme", BEN, nov(25, 9));
    repo.copy_file(&format!("{BAYVIEW}/events/002-submitted.toml"));
    rename_bayview(&repo);
    let (out, findings) = check(&repo, "2026-11-30");
    let help: Vec<&str> = findings
        .iter()
        .filter(|f| f["code"] == "event::stale-signature")
        .filter_map(|f| f["help"].as_str())
        .collect();
    assert_eq!(help.len(), 1, "{}", out.stdout);
    assert!(
        help[0].contains("while this submission is not merged"),
        "{}",
        help[0]
    );
}

#[test]
fn a_branch_that_merged_its_base_in_judges_recorded_events_along_the_base() {
    let repo = GitRepo::new();
    repo.copy_port(BAYVIEW);
    rename_bayview(&repo);
    repo.commit("Add Bayview", ANA, nov(24, 9));
    repo.branch("pr");
    repo.write("ports/README.md", "Ports of the desk.\n");
    repo.commit("Readme", BEN, nov(25, 9));
    repo.checkout("main");
    repo.write("ports/CONTRIBUTING.md", "Open a pull request per port.\n");
    repo.commit("Contributing", ANA, nov(25, 10));
    // "Update branch": main merged into the pull request, so the merge base is not on the
    // branch's first-parent line.
    repo.checkout("pr");
    repo.merge("main", nov(25, 11));
    let out = at(
        &repo,
        "2026-11-30",
        &["check", "--base", "main", "--format", "json"],
    );
    let findings = json_findings(&out);
    let stale: Vec<&Value> = findings
        .iter()
        .filter(|f| f["code"] == "event::stale-signature")
        .collect();
    assert_eq!(stale.len(), 1, "{}", out.stdout);
    let message = stale[0]["message"].as_str().expect("message");
    assert!(message.contains("when it was recorded"), "{message}");
}

#[test]
fn a_new_country_requirement_applies_to_ports_not_yet_with_the_carrier() {
    let repo = GitRepo::new();
    for port in [BAYVIEW, COPPERLEAF, SUMMIT, PINECREST_DIR] {
        repo.copy_port(port);
    }
    repo.commit("Add ports", ANA, nov(24, 9));
    let policy = repo.read("porting.toml");
    let at = policy.find("[countries.US]").expect("US");
    let end = at + policy[at..].find("\n\n").expect("end of the US table");
    repo.write(
        "porting.toml",
        format!(
            "{}\n\n[[countries.US.requirements]]\nkey = \"customer_ref\"\ntype = \"field\"\n\
             description = \"The customer's reference\"{}",
            &policy[..end],
            &policy[end..]
        ),
    );
    repo.commit("US ports need a customer reference", BEN, nov(30, 9));
    let (out, findings) = check(&repo, "2026-11-30");
    let mut missing: Vec<String> = findings
        .iter()
        .filter(|f| f["code"] == "country::requirement-missing")
        .map(|f| f["file"].as_str().unwrap_or_default().to_owned())
        .collect();
    missing.sort();
    // The rejected port's resubmission and the unsubmitted port need it; the submitted
    // and the completed ones were judged under the policy of their time.
    assert_eq!(
        missing,
        [
            format!("{PINECREST_DIR}/request.toml"),
            format!("{SUMMIT}/request.toml")
        ],
        "{}",
        out.stdout
    );
    assert!(
        !findings.iter().any(|f| f["code"] == "event::illegal"),
        "{}",
        out.stdout
    );
}

#[test]
fn every_loa_field_may_be_fixed_while_rejected_and_needs_a_new_signature() {
    let fixes = [
        (
            "name = \"Summit Outdoor Supply\"",
            "name = \"Summit Outdoor Supply Co\"",
        ),
        (
            "street = \"600 Granite Ridge Pkwy\"",
            "street = \"600 Granite Ridge Parkway\"",
        ),
        (
            "billing_number = \"+18005550142\"",
            "billing_number = \"+18005550143\"",
        ),
        (
            "account_number = \"LMN-88310472\"",
            "account_number = \"LMN-88310473\"",
        ),
    ];
    for (from, to) in fixes {
        let repo = GitRepo::new();
        repo.copy_port(SUMMIT);
        repo.commit("Add Summit", ANA, nov(24, 9));
        repo.branch("fix");
        let request = format!("{SUMMIT}/request.toml");
        let text = repo.read(&request);
        assert!(text.contains(from), "{from}");
        repo.write(&request, text.replace(from, to));
        repo.commit("Fix the LOA data", BEN, nov(30, 9));
        // As a pull request and on main after the merge: nothing to fix but the signature.
        let pr = at(
            &repo,
            "2026-11-30",
            &["check", "--base", "main", "--format", "json"],
        );
        assert_eq!(errors(&json_findings(&pr)), [], "{from}: {}", pr.stdout);
        repo.checkout("main");
        repo.merge("fix", nov(30, 10));
        let (out, findings) = check(&repo, "2026-11-30");
        assert_eq!(errors(&findings), [], "{from}: {}", out.stdout);
        let row = status_of(&repo, "2026-11-30", SUMMIT);
        assert_eq!(row["stage"], "rejected", "{from}");
        assert!(
            row["next_action"]
                .as_str()
                .is_some_and(|a| a.contains("sign the corrected LOA")),
            "{from}: {row}"
        );
    }
}

#[test]
fn one_signed_file_backs_one_digest() {
    let repo = pinecrest_rejected_for_the_signer();
    fix_authorized_person(&repo);
    // The new signature names the file that backs Dale's signature of the old LOA.
    sign_by_hand(&repo, "documents/loa-signed-2026-11-24.pdf");
    let (out, findings) = check(&repo, "2026-11-30");
    let messages: Vec<&str> = findings
        .iter()
        .filter(|f| f["code"] == "document::loa-mismatch")
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("already backs the signature of")),
        "{}",
        out.stdout
    );
}
