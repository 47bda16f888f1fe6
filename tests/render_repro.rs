//! `portflow render` is byte-reproducible: the same repo renders to identical files in one
//! process, in another process, and in any port order; PDFs carry no time and a content
//! hash for `/ID`.

mod common;
mod render_support;

use std::collections::BTreeMap;
use std::path::Path;

use common::TempRepo;
use portflow::Exit;
use render_support::{files, request};

const TODAY: &str = "2026-11-25";

/// A repo with a WinAnsi port, a port that embeds DejaVu, a GB port, and the bundled
/// rejected and completed ports (so notices are rendered too).
fn repo() -> TempRepo {
    let repo = TempRepo::new();
    repo.write(
        "ports/2026-11-plain/request.toml",
        request(
            "Acme Dental LLC",
            "Maria Lopez",
            "1 Main St",
            &[("+12065550143", "landline")],
        ),
    );
    repo.write(
        "ports/2026-11-polish/request.toml",
        request(
            "Łukasz Żółć",
            "Εύα Κάππα",
            "Улица 5",
            &[("+12065550144", "voip")],
        ),
    );
    repo.copy_port("ports/2026-11-thameside-gallery");
    repo.copy_port("ports/2026-11-summit-outdoor-tollfree");
    repo.copy_port("ports/2026-11-copperleaf-law");
    repo
}

fn render_in_process(repo: &TempRepo, out: &Path, ports: &[&str]) -> BTreeMap<String, Vec<u8>> {
    let out_dir = out.to_string_lossy().into_owned();
    let mut args = vec!["render", "--today", TODAY, "--out", out_dir.as_str()];
    args.extend_from_slice(ports);
    let result = repo.run(&args);
    assert_eq!(
        result.exit,
        Exit::Clean,
        "{}{}",
        result.stdout,
        result.stderr
    );
    files(out)
}

fn render_in_child(repo: &TempRepo, out: &Path) -> BTreeMap<String, Vec<u8>> {
    let root = repo.path().to_string_lossy().into_owned();
    let out_dir = out.to_string_lossy().into_owned();
    let run = common::bin(
        repo.path(),
        &["-C", &root, "render", "--today", TODAY, "--out", &out_dir],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.all());
    files(out)
}

fn assert_same(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>, what: &str) {
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "{what}: the same files"
    );
    for (name, bytes) in a {
        assert!(b[name] == *bytes, "{what}: `{name}` differs");
    }
}

#[test]
fn two_renders_in_one_process_are_byte_identical_in_any_port_order() {
    let repo = repo();
    let (one, two, three) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let first = render_in_process(&repo, one.path(), &[]);
    assert_eq!(first.keys().filter(|k| k.ends_with(".pdf")).count(), 5);
    assert_eq!(first.keys().filter(|k| k.ends_with(".eml")).count(), 2);
    let second = render_in_process(&repo, two.path(), &[]);
    assert_same(&first, &second, "second render");
    let reversed = render_in_process(
        &repo,
        three.path(),
        &[
            "2026-11-summit-outdoor-tollfree",
            "2026-11-polish",
            "2026-11-copperleaf-law",
            "2026-11-thameside-gallery",
            "2026-11-plain",
        ],
    );
    assert_same(&first, &reversed, "render in another order");

    // Rendering again into the same folder finds every file unchanged.
    let again = repo.run(&[
        "render",
        "--today",
        TODAY,
        "--out",
        one.path().to_str().expect("utf-8 path"),
    ]);
    assert_eq!(again.exit, Exit::Clean);
    assert!(!again.stdout.contains("wrote "), "{}", again.stdout);
    assert_eq!(again.stdout.matches("unchanged ").count(), first.len());
}

#[test]
fn renders_in_two_processes_are_byte_identical_to_each_other_and_in_process() {
    let repo = repo();
    let (a, b, c) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let first = render_in_child(&repo, a.path());
    let second = render_in_child(&repo, b.path());
    assert_same(&first, &second, "second process");
    let in_process = render_in_process(&repo, c.path(), &[]);
    assert_same(&first, &in_process, "in-process render");
}

#[test]
fn pdfs_hold_no_time_and_their_id_follows_the_content() {
    let repo = repo();
    let dir = tempfile::tempdir().expect("tempdir");
    let rendered = render_in_process(&repo, dir.path(), &[]);
    let mut ids = Vec::new();
    for (name, bytes) in rendered.iter().filter(|(k, _)| k.ends_with(".pdf")) {
        for stamp in [&b"CreationDate"[..], b"ModDate", b"D:19", b"D:20"] {
            assert!(
                !bytes.windows(stamp.len()).any(|w| w == stamp),
                "`{name}` holds `{}`",
                String::from_utf8_lossy(stamp)
            );
        }
        let doc = lopdf::Document::load_mem(bytes).expect("pdf");
        let id = doc
            .trailer
            .get(b"ID")
            .and_then(|o| o.as_array())
            .expect("/ID");
        let first = id[0].as_str().expect("id string").to_vec();
        assert_eq!(first.len(), 16, "{name}");
        assert_eq!(id[1].as_str().expect("id string"), first.as_slice());
        assert_ne!(first, vec![0; 16]);
        ids.push(first);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5, "every document has its own /ID");
}
