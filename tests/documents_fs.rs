//! Document paths that fixtures cannot hold: symbolic links, folders, FIFOs and huge files.
//!
//! Each is built in a temp repo at test time; the FIFO guards that a document is never opened
//! for reading unless it is a regular file (reading a FIFO blocks until a writer comes).
#![cfg(unix)]

mod common;

use std::sync::mpsc;
use std::time::Duration;

use common::{TempRepo, VALID_REQUEST, json_findings};

const PDF: &[u8] = b"%PDF-1.4\n%fixture\n";

/// The `[[documents]]` entries of the test request, one per path.
fn documents(paths: &[&str]) -> String {
    paths
        .iter()
        .map(|p| format!("\n[[documents]]\nkind = \"other\"\npath = \"{p}\"\n"))
        .collect()
}

/// Runs `check --format json` on another thread; fails when it does not return promptly.
fn check_promptly(repo: TempRepo) -> (TempRepo, Vec<serde_json::Value>) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let out = repo.run(&["check", "--today", "2026-11-25", "--format", "json"]);
        let findings = json_findings(&out);
        let _ = tx.send((repo, findings));
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("check did not return: a document path was opened for reading")
}

/// The code of each finding at a `path = "…"` value, keyed by that value.
fn codes_by_path(repo: &TempRepo, findings: &[serde_json::Value]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = findings
        .iter()
        .filter(|f| {
            f["code"]
                .as_str()
                .is_some_and(|c| c.starts_with("document::"))
        })
        .map(|f| {
            let file = f["file"].as_str().expect("file");
            let text = std::fs::read(repo.path().join(file)).expect("finding's file");
            let start = f["offset"].as_u64().expect("offset") as usize;
            let len = f["length"].as_u64().expect("length") as usize;
            let span = String::from_utf8_lossy(&text[start..start + len]).into_owned();
            (
                span.trim_matches('"').to_owned(),
                f["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

fn mkfifo(path: &std::path::Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

#[test]
fn links_folders_and_fifos_are_refused_without_being_read() {
    let repo = TempRepo::new();
    let port = repo.path().join("ports/acme");
    let paths = [
        "documents/link.pdf",
        "linked/bill.pdf",
        "documents/folder.pdf",
        "documents/fifo.pdf",
        "documents/bill.pdf",
    ];
    repo.write(
        "ports/acme/request.toml",
        format!("{VALID_REQUEST}{}", documents(&paths)),
    );
    repo.write("outside.pdf", PDF);
    repo.write("ports/acme/documents/bill.pdf", PDF);
    // A link to a real PDF outside the port, and a folder link to the port's own documents.
    std::os::unix::fs::symlink("../../../outside.pdf", port.join("documents/link.pdf"))
        .expect("symlink");
    std::os::unix::fs::symlink("documents", port.join("linked")).expect("symlink");
    std::fs::create_dir(port.join("documents/folder.pdf")).expect("mkdir");
    mkfifo(&port.join("documents/fifo.pdf"));
    // A signed LOA that is a FIFO is refused on the event, never read either.
    repo.write(
        "ports/acme/events/001-signed.toml",
        format!(
            "kind = \"signed\"\non = 2026-11-20\nby = \"ops@example.com\"\nsigner = \"Maria Lopez\"\nmethod = \"e-sign\"\ndocument = \"documents/fifo.pdf\"\nloa_digest = \"sha256:{}\"\n",
            "0".repeat(64)
        ),
    );

    let (repo, findings) = check_promptly(repo);
    let found = codes_by_path(&repo, &findings);
    let expected = [
        ("documents/fifo.pdf", "document::bad-type"),
        ("documents/fifo.pdf", "document::bad-type"),
        ("documents/folder.pdf", "document::bad-type"),
        ("documents/link.pdf", "document::outside-port"),
        ("linked/bill.pdf", "document::outside-port"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(p, c)| ((*p).to_owned(), (*c).to_owned()))
        .collect();
    assert_eq!(found, expected, "{findings:#?}");
    let on_event = findings
        .iter()
        .filter(|f| f["file"] == "ports/acme/events/001-signed.toml")
        .filter(|f| f["code"] == "document::bad-type")
        .count();
    assert_eq!(on_event, 1, "{findings:#?}");
    let fifo = findings
        .iter()
        .find(|f| f["file"] == "ports/acme/request.toml" && f["code"] == "document::bad-type")
        .expect("a bad-type finding");
    assert!(
        fifo["message"]
            .as_str()
            .unwrap_or_default()
            .contains("never read"),
        "{fifo:#?}"
    );
}

#[test]
fn a_document_over_the_size_limit_is_too_large() {
    let repo = TempRepo::new();
    repo.write(
        "ports/acme/request.toml",
        format!(
            "{VALID_REQUEST}{}",
            documents(&["documents/huge.pdf", "documents/limit.pdf"])
        ),
    );
    // Sparse files: the size is what counts, and nothing big is written to disk.
    for (name, size) in [("huge.pdf", 20_000_001), ("limit.pdf", 20_000_000)] {
        repo.write(&format!("ports/acme/documents/{name}"), PDF);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(repo.path().join(format!("ports/acme/documents/{name}")))
            .expect("open");
        file.set_len(size).expect("set_len");
    }
    let (repo, findings) = check_promptly(repo);
    assert_eq!(
        codes_by_path(&repo, &findings),
        [(
            "documents/huge.pdf".to_owned(),
            "document::too-large".to_owned()
        )],
        "{findings:#?}"
    );
}
