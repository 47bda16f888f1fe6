//! `check --staged`: the pre-commit view checks what is staged in the index, including
//! documents probed from their blobs, whatever the working tree shows.

mod common;
mod history_git;

use common::{VALID_REQUEST, json_findings, project_root};
use history_git::{ANA, GitRepo, codes, nov};
use portflow::Exit;

const TODAY: &str = "2026-11-25";
const PORT: &str = "ports/2026-11-acme-dental";
const PIN: &str = "482913";

fn request() -> String {
    format!("{PORT}/request.toml")
}

fn with_pin() -> String {
    VALID_REQUEST.replace(
        "billing_number = \"+12065550143\"\n",
        &format!("billing_number = \"+12065550143\"\npin = \"{PIN}\"\n"),
    )
}

fn with_bill() -> String {
    format!(
        "{VALID_REQUEST}\n[[documents]]\nkind = \"bill\"\npath = \"documents/bill.pdf\"\ndated = 2026-11-04\n"
    )
}

fn real_pdf() -> Vec<u8> {
    std::fs::read(project_root().join("ports/2026-11-bayview-bistro/documents/bill-2026-11.pdf"))
        .expect("bundled bill")
}

#[test]
fn staged_plaintext_pin_is_refused_though_the_working_tree_no_longer_shows_it() {
    let repo = GitRepo::new();
    repo.write(&request(), VALID_REQUEST);
    repo.commit("Acme", ANA, nov(20, 9));
    // Staged with a plaintext PIN, then removed from the file on disk only.
    repo.write(&request(), with_pin());
    repo.stage(&request());
    repo.write(&request(), VALID_REQUEST);

    let staged = repo.run(&["check", "--staged", "--today", TODAY, "--format", "json"]);
    assert_eq!(staged.exit, Exit::Findings, "{}", staged.stdout);
    assert_eq!(
        codes(&staged),
        [("secret::plaintext".to_owned(), request())]
    );
    // The snippet is the staged text, masked.
    let human = repo.run(&["check", "--staged", "--today", TODAY, "--color", "never"]);
    assert!(
        human.stdout.contains("secret::plaintext"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("pin = \"******\""),
        "{}",
        human.stdout
    );
    for out in [&staged, &human] {
        assert!(!out.stdout.contains(PIN) && !out.stderr.contains(PIN));
    }

    let work = repo.run(&["check", "--today", TODAY, "--format", "json"]);
    assert_eq!(work.exit, Exit::Clean, "{}", work.stdout);
    assert_eq!(codes(&work), []);

    // Against a base too: the staged PIN is in a port the change touches, so it blocks.
    let pr = repo.run(&[
        "check", "--staged", "--base", "main", "--today", TODAY, "--format", "json",
    ]);
    assert_eq!(pr.exit, Exit::Findings);
    assert_eq!(codes(&pr), [("secret::plaintext".to_owned(), request())]);
}

#[test]
fn staged_symlink_document_is_outside_the_port() {
    let repo = GitRepo::new();
    repo.write(&request(), with_bill());
    let bill = format!("{PORT}/documents/bill.pdf");
    std::fs::create_dir_all(repo.path().join(PORT).join("documents")).expect("mkdir");
    std::os::unix::fs::symlink("../../../porting.toml", repo.path().join(&bill)).expect("ln -s");
    repo.stage_all();
    // On disk it is now a real PDF; the index still holds the link (mode 120000).
    std::fs::remove_file(repo.path().join(&bill)).expect("rm");
    repo.write(&bill, real_pdf());

    let staged = repo.run(&["check", "--staged", "--today", TODAY, "--format", "json"]);
    let findings = json_findings(&staged);
    let outside: Vec<_> = findings
        .iter()
        .filter(|f| f["code"] == "document::outside-port")
        .collect();
    assert_eq!(outside.len(), 1, "{}", staged.stdout);
    assert!(
        outside[0]["message"]
            .as_str()
            .unwrap()
            .contains("symbolic link")
    );

    let work = repo.run(&["check", "--today", TODAY, "--format", "json"]);
    assert!(
        !codes(&work)
            .iter()
            .any(|(c, _)| c == "document::outside-port"),
        "{}",
        work.stdout
    );
}

#[test]
fn staged_documents_are_probed_from_their_blobs() {
    let repo = GitRepo::new();
    repo.write(&request(), with_bill());
    let bill = format!("{PORT}/documents/bill.pdf");
    repo.write(&bill, "not a pdf\n");
    repo.stage_all();
    repo.write(&bill, real_pdf());

    let staged = repo.run(&["check", "--staged", "--today", TODAY, "--format", "json"]);
    assert!(
        codes(&staged).contains(&("document::bad-type".to_owned(), request())),
        "{}",
        staged.stdout
    );
    let work = repo.run(&["check", "--today", TODAY, "--format", "json"]);
    assert!(
        !codes(&work).iter().any(|(c, _)| c == "document::bad-type"),
        "{}",
        work.stdout
    );

    // A document only on disk is missing from the index's point of view.
    repo.stage(&request());
    let missing_bill = format!("{PORT}/documents/other.pdf");
    repo.write(&missing_bill, real_pdf());
    repo.write(
        &request(),
        with_bill().replace("documents/bill.pdf", "documents/other.pdf"),
    );
    repo.stage(&request());
    let staged = repo.run(&["check", "--staged", "--today", TODAY, "--format", "json"]);
    assert!(
        codes(&staged).contains(&("document::missing".to_owned(), request())),
        "{}",
        staged.stdout
    );
}

#[test]
fn staged_outside_git_cannot_run() {
    let repo = common::TempRepo::new();
    let out = repo.run(&["check", "--staged"]);
    assert_eq!(out.exit, Exit::Failure);
    assert!(
        out.stderr.contains("not inside a git repository"),
        "{}",
        out.stderr
    );
}
