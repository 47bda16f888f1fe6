//! The verdict cache under `.git/portflow/`: `check` judges a port whose files are a
//! commit's, unchanged, from what an earlier run concluded, and says exactly what a run
//! without the cache says: after an edit, a rewritten history, a new port sharing a number,
//! a deleted ignored file, on a pull request, and with a broken cache file.

mod common;
mod history_git;

use std::path::PathBuf;

use history_git::{ANA, BEN, GitRepo, nov};
use portflow::Exit;

const BAYVIEW: &str = "ports/2026-11-bayview-bistro";
const LAKESIDE: &str = "ports/2026-11-lakeside-dental";
const SUMMIT: &str = "ports/2026-11-summit-outdoor-tollfree";
const QUEEN_WEST: &str = "ports/2026-11-queen-west-physio";
const TODAY: &str = "2026-11-30";

fn cache_file(repo: &GitRepo) -> PathBuf {
    repo.path().join(".git/portflow/verdicts.bin")
}

/// `check` as JSON and as text, with the cache as it is: (exit, json, text).
fn check(repo: &GitRepo, extra: &[&str]) -> (Exit, String, String) {
    let mut json = vec!["check", "--today", TODAY, "--format", "json"];
    json.extend_from_slice(extra);
    let mut text = vec!["check", "--today", TODAY, "--color", "never"];
    text.extend_from_slice(extra);
    let a = repo.run(&json);
    let b = repo.run(&text);
    assert_eq!(a.exit, b.exit, "{}{}", b.stdout, b.stderr);
    (a.exit, a.stdout, b.stdout)
}

/// The same with no verdict cache at all (and none left behind).
fn cold(repo: &GitRepo, extra: &[&str]) -> (Exit, String, String) {
    let _ = std::fs::remove_file(cache_file(repo));
    let out = check(repo, extra);
    let _ = std::fs::remove_file(cache_file(repo));
    out
}

/// Four bundled ports in two commits.
fn desk() -> GitRepo {
    let repo = GitRepo::new();
    repo.copy_port(BAYVIEW).copy_port(LAKESIDE);
    repo.commit("Bayview and Lakeside", ANA, nov(24, 9));
    repo.copy_port(SUMMIT).copy_port(QUEEN_WEST);
    repo.commit("Summit and Queen West", BEN, nov(25, 9));
    repo
}

/// The keys of the cache file's entries.
fn entries(repo: &GitRepo) -> usize {
    assert!(cache_file(repo).is_file(), "the check writes the cache");
    portflow::engine::verdicts::load(&repo.path().join(".git")).len()
}

#[test]
fn a_rerun_judges_unchanged_ports_from_the_cache() {
    let repo = desk();
    let first = cold(&repo, &[]);
    check(&repo, &[]);
    assert!(entries(&repo) >= 1, "ports without findings are kept");
    assert_eq!(
        check(&repo, &[]),
        first,
        "a warm run answers like a cold one"
    );

    // What the rerun says comes from the cache: a file count changed in it shows up.
    let mut cache = portflow::engine::verdicts::load(&repo.path().join(".git"));
    let mut edited = 0;
    cache.edit_all(|verdict| {
        if edited == 0 {
            verdict.files.push("events/999-x.toml".to_owned());
            edited += 1;
        }
    });
    assert_eq!(edited, 1);
    cache.save();
    let count = |out: &str| {
        let tail = out.rsplit('(').next().unwrap_or_default();
        tail.split_whitespace()
            .next()
            .and_then(|n| n.parse::<usize>().ok())
    };
    let (_, _, warm) = check(&repo, &[]);
    assert_eq!(count(&warm), count(&first.2).map(|n| n + 1), "{warm}");
}

#[test]
fn a_file_changed_since_the_commit_is_judged_again() {
    let repo = desk();
    check(&repo, &[]);
    check(&repo, &[]);
    let request = format!("{LAKESIDE}/request.toml");
    let text = repo.read(&request);
    let number = text
        .lines()
        .find_map(|l| l.strip_prefix("number = \""))
        .and_then(|l| l.split('"').next())
        .expect("a number")
        .to_owned();
    // Not committed: the working tree differs from HEAD in one port (its BTN, here).
    repo.write(&request, text.replacen(&number, "+1206555", 1));
    let warm = check(&repo, &[]);
    assert_eq!(warm.0, Exit::Findings, "{}", warm.1);
    assert_eq!(warm, cold(&repo, &[]));

    // Staged, then checked as staged.
    repo.stage(&request);
    check(&repo, &["--staged"]);
    let warm = check(&repo, &["--staged"]);
    assert_eq!(warm.0, Exit::Findings, "{}", warm.1);
    assert_eq!(warm, cold(&repo, &["--staged"]));
}

/// porting.toml with a new US requirement every port not yet with the carrier must meet.
fn with_requirement(policy: &str) -> String {
    let at = policy.find("[countries.US]").expect("US");
    let end = at + policy[at..].find("\n\n").expect("end of the US table");
    format!(
        "{}\n\n[[countries.US.requirements]]\nkey = \"customer_ref\"\ntype = \"field\"\n\
         description = \"The customer's reference\"{}",
        &policy[..end],
        &policy[end..]
    )
}

#[test]
fn rewritten_history_is_never_judged_from_the_cache() {
    // Bayview submitted in its own commit, then a new US requirement: the submission was
    // judged under the policy of its time, so the port has no finding.
    let repo = GitRepo::new();
    repo.copy_port(BAYVIEW);
    let submitted = format!("{BAYVIEW}/events/002-submitted.toml");
    repo.remove(&submitted);
    let first = repo.commit("Bayview", ANA, nov(20, 9));
    repo.copy_file(&submitted);
    repo.commit("Bayview: submitted", ANA, nov(21, 9));
    let policy = with_requirement(&repo.read("porting.toml"));
    repo.write("porting.toml", &policy);
    repo.commit("US ports need a customer reference", BEN, nov(24, 9));
    let clean = check(&repo, &[]);
    check(&repo, &[]);
    assert!(
        !clean.1.contains("country::requirement-missing"),
        "{}",
        clean.1
    );

    // The same files, another history: the submission and the requirement in one commit,
    // so the submission is part of the change and meets today's policy.
    repo.git(&["reset", "--hard", &first.to_string()]);
    repo.copy_file(&submitted);
    repo.write("porting.toml", &policy);
    repo.commit(
        "Bayview: submitted, and a customer reference",
        BEN,
        nov(24, 9),
    );
    let warm = check(&repo, &[]);
    assert!(
        warm.1.contains("country::requirement-missing"),
        "{}",
        warm.1
    );
    assert_eq!(warm, cold(&repo, &[]));
}

#[test]
fn a_new_port_sharing_a_number_is_reported_in_both_ports() {
    let repo = desk();
    check(&repo, &[]);
    check(&repo, &[]);
    // A second port for Lakeside's numbers, not committed.
    let request = repo.read(&format!("{LAKESIDE}/request.toml"));
    repo.write("ports/2026-11-lakeside-again/request.toml", request);
    let warm = check(&repo, &[]);
    let cold = cold(&repo, &[]);
    assert_eq!(warm, cold);
    let findings: serde_json::Value = serde_json::from_str(&warm.1).expect("JSON");
    let files: Vec<&str> = findings["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "number::in-other-port")
        .filter_map(|f| f["file"].as_str())
        .collect();
    assert!(
        files.contains(&"ports/2026-11-lakeside-dental/request.toml"),
        "{files:?}"
    );
    assert!(
        files.contains(&"ports/2026-11-lakeside-again/request.toml"),
        "{files:?}"
    );
}

#[test]
fn a_deleted_ignored_file_is_missed_as_a_cold_run_misses_it() {
    let repo = GitRepo::new();
    repo.write(".gitignore", "*.pdf\n");
    repo.copy_port(LAKESIDE);
    repo.commit("Lakeside; its documents are not committed", ANA, nov(24, 9));
    let with_documents = check(&repo, &[]);
    check(&repo, &[]);
    repo.remove(&format!("{LAKESIDE}/documents"));
    let warm = check(&repo, &[]);
    assert_ne!(warm, with_documents, "the documents are gone");
    assert_eq!(warm, cold(&repo, &[]));
}

#[test]
fn a_pull_request_is_judged_as_without_the_cache() {
    let repo = desk();
    repo.branch("change");
    let request = format!("{BAYVIEW}/request.toml");
    let text = repo.read(&request);
    repo.write(
        &request,
        text.replace(
            "name = \"Bayview Bistro Inc\"",
            "name = \"Bayview Bistro LLC\"",
        ),
    );
    repo.copy_port("ports/2026-11-pinecrest-plumbing");
    repo.commit("Bayview renamed; Pinecrest", ANA, nov(26, 9));
    let base = ["--base", "main"];
    check(&repo, &base);
    let warm = check(&repo, &base);
    assert!(warm.1.contains(BAYVIEW), "{}", warm.1);
    assert_eq!(warm, cold(&repo, &base));
    // The cache the pull request left serves a check of the branch too.
    check(&repo, &[]);
    assert_eq!(check(&repo, &[]), cold(&repo, &[]));
}

#[test]
fn a_broken_cache_file_is_ignored_and_replaced() {
    let repo = desk();
    let expected = cold(&repo, &[]);
    let path = cache_file(&repo);
    std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
    for junk in [
        &b""[..],
        b"{",
        b"{\"format\": 1, \"version\": \"0.0.0\", \"entries\": []}",
        b"{\"format\": 1, \"entries\": [[\"x\", {\"report\": 1}]]}",
        &[0xff, 0xfe, 0x00][..],
    ] {
        std::fs::write(&path, junk).expect("junk");
        assert_eq!(check(&repo, &[]), expected);
        assert!(entries(&repo) >= 1, "replaced with a readable cache");
    }
    // A folder where the file would be: neither read nor a failure.
    std::fs::remove_file(&path).expect("rm");
    std::fs::create_dir(&path).expect("mkdir");
    assert_eq!(check(&repo, &[]), expected);
}
