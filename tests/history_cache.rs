//! The history cache under `.git/portflow/`: a rerun reads it instead of git, rewritten
//! history is never answered from it, and a broken cache file is ignored, never trusted.

mod common;
mod history_git;

use std::path::PathBuf;

use history_git::{ANA, BAYVIEW_REJECTED as REJECTED, BEN, GitRepo, nov};
use portflow::Exit;

const BAYVIEW: &str = "ports/2026-11-bayview-bistro";

/// Bayview requested, signed, submitted and rejected, one commit each.
fn bayview() -> GitRepo {
    let repo = GitRepo::new();
    repo.copy_file(&format!("{BAYVIEW}/request.toml"))
        .copy_file(&format!("{BAYVIEW}/documents/bill-2026-11.pdf"));
    repo.commit("Bayview: the request", ANA, nov(16, 9));
    repo.copy_file(&format!("{BAYVIEW}/documents/loa-signed-2026-11-19.pdf"))
        .copy_file(&format!("{BAYVIEW}/events/001-signed.toml"));
    repo.commit("Bayview: signed", BEN, nov(19, 15));
    repo.copy_file(&format!("{BAYVIEW}/events/002-submitted.toml"));
    repo.commit("Bayview: submitted", ANA, nov(20, 10));
    repo.write(&format!("{BAYVIEW}/events/003-rejected.toml"), REJECTED);
    repo.commit("Bayview: rejected", BEN, nov(24, 9));
    repo
}

/// What each commit changed.
fn cache_file(repo: &GitRepo) -> PathBuf {
    repo.path().join(".git/portflow/history.bin")
}

/// The stages judged, read only by the commands that show stages.
fn stages_file(repo: &GitRepo) -> PathBuf {
    repo.path().join(".git/portflow/stages.bin")
}

/// Whether `bytes` hold `part`.
fn holds(bytes: &[u8], part: &[u8]) -> bool {
    bytes.windows(part.len()).any(|w| w == part)
}

/// The cache file `bytes` with every `from` replaced by `to`, of the same length (so the
/// record keeps its shape), and its checksum made to fit (a cache file starts with
/// `portflow`, the CRC-32 of the record and its length).
fn replaced(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    assert_eq!(&bytes[..8], b"portflow", "a cache file");
    let mut out = bytes.to_vec();
    let mut at = 20;
    while let Some(found) = out[at..].windows(from.len()).position(|w| w == from) {
        out[at + found..at + found + to.len()].copy_from_slice(to);
        at += found + to.len();
    }
    let crc = crc32fast::hash(&out[20..]);
    out[8..12].copy_from_slice(&crc.to_le_bytes());
    out
}

/// What a run that must succeed prints.
fn clean_run(repo: &GitRepo, args: &[&str]) -> String {
    let out = repo.run(args);
    assert_eq!(out.exit, Exit::Clean, "{}{}", out.stdout, out.stderr);
    out.stdout
}

/// What `views` gives with no cache at all (and none left behind).
fn without_cache<T>(repo: &GitRepo, views: impl Fn(&GitRepo) -> T) -> T {
    let dir = repo.path().join(".git/portflow");
    let _ = std::fs::remove_dir_all(&dir);
    let out = views(repo);
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// `history` and `status` as JSON, with the cache as it is.
fn views(repo: &GitRepo) -> (String, String) {
    let run = |args: &[&str]| clean_run(repo, args);
    (
        run(&[
            "history",
            "2026-11-bayview-bistro",
            "--today",
            "2026-11-25",
            "--format",
            "json",
        ]),
        run(&["status", "--today", "2026-11-25", "--format", "json"]),
    )
}

/// The same views with no cache at all (and none left behind).
fn cold_views(repo: &GitRepo) -> (String, String) {
    without_cache(repo, views)
}

#[test]
fn a_rerun_answers_from_the_cache_it_wrote() {
    let repo = bayview();
    let first = views(&repo);
    let cache = cache_file(&repo);
    let bytes = std::fs::read(&cache).expect("status writes the cache");
    assert!(holds(&bytes, repo.head().as_bytes()));
    assert_eq!(views(&repo), first, "a warm run answers like a cold one");

    // What the rerun says comes from the cache, not from git: a changed name in the cached
    // commits shows up (commit ids are what the cache trusts).
    std::fs::write(&cache, replaced(&bytes, b"Ben Okafor", b"Ben Cached")).expect("edit");
    let (history, _) = views(&repo);
    assert!(history.contains("Ben Cached"), "{history}");
}

#[test]
fn rewritten_history_is_never_answered_from_the_cache() {
    let repo = bayview();
    let before = views(&repo);
    // Rewrite the last commit: the rejection now arrives on Nov 23 from Ana.
    repo.git(&["reset", "--hard", "HEAD~1"]);
    repo.write(&format!("{BAYVIEW}/events/003-rejected.toml"), REJECTED);
    repo.commit("Bayview: rejected", ANA, nov(23, 9));
    let warm = views(&repo);
    assert_ne!(warm, before, "the rewrite changes the timeline");
    assert_eq!(
        warm,
        cold_views(&repo),
        "the cache gives the rewritten answer"
    );
    assert!(warm.0.contains("Ana Souza"));

    // Rewritten deeper: the signature and everything after it are gone.
    views(&repo);
    repo.git(&["reset", "--hard", "HEAD~3"]);
    let warm = views(&repo);
    assert_eq!(warm, cold_views(&repo));
    assert!(!warm.0.contains("signed"), "{}", warm.0);
}

#[test]
fn one_new_commit_is_added_to_what_the_cache_knows() {
    let repo = bayview();
    views(&repo);
    let resubmitted = repo
        .read(&format!("{BAYVIEW}/events/002-submitted.toml"))
        .replace("2026-11-20", "2026-11-25")
        .replace("PC-20977", "PC-21003");
    repo.write(&format!("{BAYVIEW}/events/004-submitted.toml"), resubmitted);
    repo.commit("Bayview: resubmitted", ANA, nov(25, 9));
    let warm = views(&repo);
    assert!(warm.0.contains("004-submitted.toml"), "{}", warm.0);
    let bytes = std::fs::read(cache_file(&repo)).expect("cache");
    assert!(
        holds(&bytes, repo.head().as_bytes()),
        "the new commit is cached"
    );
    assert_eq!(warm, cold_views(&repo));
}

#[test]
fn a_broken_cache_file_is_ignored_and_replaced() {
    let repo = bayview();
    let cold = cold_views(&repo);
    for (cache, holds_head) in [(cache_file(&repo), true), (stages_file(&repo), false)] {
        std::fs::create_dir_all(cache.parent().expect("dir")).expect("mkdir");
        for junk in [
            &b"not json at all"[..],
            b"{\"format\": 1, \"version\": \"0\"",
            b"\xff\xfe\x00garbage",
            br#"{"format":1,"version":"0.1.0","prefix":"","steps":[{"id":"zz"}],"stages":[]}"#,
        ] {
            std::fs::write(&cache, junk).expect("junk");
            assert_eq!(views(&repo), cold, "{}", String::from_utf8_lossy(junk));
            let bytes = std::fs::read(&cache).expect("rewritten");
            assert_ne!(bytes, junk);
            assert_eq!(holds(&bytes, repo.head().as_bytes()), holds_head);
        }
    }
}

#[test]
fn a_cache_path_that_is_not_a_file_is_neither_read_nor_a_failure() {
    let repo = bayview();
    let cold = cold_views(&repo);
    let cache = cache_file(&repo);
    let args = [
        "history",
        "2026-11-bayview-bistro",
        "--today",
        "2026-11-25",
        "--format",
        "json",
    ];
    let expected = common::bin(repo.path(), &args, None);
    assert_eq!(expected.stdout, cold.0);
    for cache in [cache, stages_file(&repo)] {
        std::fs::remove_file(&cache).expect("the run wrote the cache");
        // A FIFO (a read would block), a link to /dev/zero (a read would never end), a folder.
        let fifo = std::ffi::CString::new(cache.to_str().expect("utf-8")).expect("path");
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let run = common::bin(repo.path(), &args, None);
        assert_eq!(run.stdout, cold.0, "{}", run.stderr);
        std::fs::remove_file(&cache).expect("rm fifo");
        std::os::unix::fs::symlink("/dev/zero", &cache).expect("link");
        let run = common::bin(repo.path(), &args, None);
        assert_eq!(run.stdout, cold.0, "{}", run.stderr);
        std::fs::remove_file(&cache).expect("rm link");
        std::fs::create_dir(&cache).expect("folder");
        let run = common::bin(repo.path(), &args, None);
        assert_eq!(run.stdout, cold.0, "{}", run.stderr);
        std::fs::remove_dir(&cache).expect("rm folder");
        common::bin(repo.path(), &args, None);
    }
}

#[test]
fn history_reads_only_its_port() {
    let repo = bayview();
    let (alone, _) = views(&repo);
    // Another port, broken beyond parsing, and Bayview moved into a year folder.
    repo.write(
        "ports/2026-11-broken/request.toml",
        "this is = = not toml\n",
    );
    repo.rename(BAYVIEW, "ports/2026/2026-11-bayview-bistro");
    for path in ["request.toml", "events/001-signed.toml"] {
        let file = format!("ports/2026/2026-11-bayview-bistro/{path}");
        let text = repo.read(&file).replace("#:schema ../", "#:schema ../../");
        repo.write(&file, text);
    }
    repo.commit("Bayview into 2026", ANA, nov(25, 9));
    for wanted in [
        "2026-11-bayview-bistro",
        "ports/2026/2026-11-bayview-bistro",
        "ports/2026/2026-11-bayview-bistro/",
    ] {
        let out = repo.run(&[
            "history",
            wanted,
            "--today",
            "2026-11-25",
            "--format",
            "json",
        ]);
        assert_eq!(out.exit, Exit::Clean, "{wanted}: {}", out.stderr);
        let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
        assert_eq!(doc["dir"], "ports/2026/2026-11-bayview-bistro", "{wanted}");
        let before: serde_json::Value = serde_json::from_str(&alone).expect("json");
        assert_eq!(
            doc["events"].as_array().map(Vec::len),
            before["events"].as_array().map(Vec::len)
        );
    }
    for outside in ["ports/..", "ports/../..", "ports/2026/../..", "../ports"] {
        let out = repo.run(&["history", outside, "--today", "2026-11-25"]);
        assert_ne!(out.exit, Exit::Clean, "{outside}: {}", out.stdout);
    }
    let out = repo.run(&["history", "2026", "--today", "2026-11-25"]);
    assert_ne!(out.exit, Exit::Clean, "a year folder is not a port");
    let out = repo.run(&["history", "2026-11-nowhere", "--today", "2026-11-25"]);
    assert_ne!(out.exit, Exit::Clean);
    assert!(out.stderr.contains("2026-11-nowhere"), "{}", out.stderr);
}

/// `status` and `report` as JSON, with the caches as they are.
fn desk_views(repo: &GitRepo) -> (String, String) {
    let run = |args: &[&str]| clean_run(repo, args);
    (
        run(&["status", "--today", "2026-11-27", "--format", "json"]),
        run(&["report", "--today", "2026-11-27", "--format", "json"]),
    )
}

/// The same with no cache at all (and none left behind).
fn cold_desk_views(repo: &GitRepo) -> (String, String) {
    without_cache(repo, desk_views)
}

// Guards the timeline cache: a port whose files are HEAD's keeps its timeline from an
// earlier run, and what changes it (an edit on disk, a commit to the port, a new
// porting.toml, a rewritten history, another day) folds it again, as a cold run would.
#[test]
fn unchanged_ports_keep_their_timelines_and_what_changes_one_folds_it_again() {
    let repo = bayview();
    repo.copy_port("ports/2026-11-lakeside-dental");
    repo.commit("Lakeside: the request", BEN, nov(26, 9));
    let cold = cold_desk_views(&repo);
    // The first run keeps the verdicts and the timelines of the ports kept; the second
    // answers from them.
    assert_eq!(desk_views(&repo), cold);
    let timelines = repo.path().join(".git/portflow/timelines.bin");
    assert!(timelines.is_file(), "one run keeps the timelines");
    assert_eq!(desk_views(&repo), cold);
    let bytes = std::fs::read(&timelines).expect("status keeps the timelines");
    assert!(holds(&bytes, b"Ben Okafor"));

    // What the rerun says comes from the cache: a changed name and time in it show up.
    let lakeside_since = |status: &str| {
        let doc: serde_json::Value = serde_json::from_str(status).expect("json");
        let port = |id: &str| {
            doc["ports"]
                .as_array()
                .and_then(|ports| ports.iter().find(|p| p["port"] == id).cloned())
                .expect("the port is listed")
        };
        let bayview = port("2026-11-bayview-bistro");
        (
            port("2026-11-lakeside-dental")["stage_since"].clone(),
            bayview["stage"].clone(),
            bayview["owner"]["name"].clone(),
        )
    };
    // Times as the cache stores them.
    let time = |at: i64| postcard::to_stdvec(&at).expect("encode");
    let edited = replaced(&bytes, b"Ben Okafor", b"Ben Cached");
    let edited = replaced(&edited, &time(nov(26, 9)), &time(nov(26, 8)));
    std::fs::write(&timelines, edited).expect("edit");
    let (status, _) = desk_views(&repo);
    assert_eq!(
        lakeside_since(&status),
        (
            "2026-11-26T08:00:00Z".into(),
            "rejected".into(),
            "Ben Cached".into()
        )
    );

    // An uncommitted event: Bayview is read and folded again; Lakeside still is not.
    let resubmitted = repo
        .read(&format!("{BAYVIEW}/events/002-submitted.toml"))
        .replace("2026-11-20", "2026-11-26")
        .replace("PC-20977", "PC-21003");
    repo.write(
        &format!("{BAYVIEW}/events/004-submitted.toml"),
        &resubmitted,
    );
    let (status, _) = desk_views(&repo);
    assert_eq!(
        lakeside_since(&status),
        (
            "2026-11-26T08:00:00Z".into(),
            "submitted".into(),
            serde_json::Value::Null
        )
    );
    std::fs::write(&timelines, &bytes).expect("restore");
    assert_eq!(
        desk_views(&repo),
        cold_desk_views(&repo),
        "an uncommitted event"
    );

    // Each later change gives what a cold run gives.
    repo.commit("Bayview: resubmitted", ANA, nov(26, 15));
    desk_views(&repo);
    assert_eq!(
        desk_views(&repo),
        cold_desk_views(&repo),
        "a commit to the port"
    );
    desk_views(&repo);
    let policy = repo
        .read("porting.toml")
        .replace("domestic = [", "domestic = [ ");
    repo.write("porting.toml", policy);
    repo.commit("porting.toml: spacing", ANA, nov(26, 16));
    desk_views(&repo);
    assert_eq!(
        desk_views(&repo),
        cold_desk_views(&repo),
        "a new porting.toml"
    );
    desk_views(&repo);
    repo.git(&["reset", "--hard", "HEAD~2"]);
    repo.commit("Bayview: resubmitted", BEN, nov(26, 11));
    assert_eq!(
        desk_views(&repo),
        cold_desk_views(&repo),
        "a rewritten history"
    );
    desk_views(&repo);
    let later = |repo: &GitRepo| {
        clean_run(
            repo,
            &["status", "--today", "2026-12-03", "--format", "json"],
        )
    };
    let warm = later(&repo);
    assert_eq!(warm, without_cache(&repo, later), "another day");
}
