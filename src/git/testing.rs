//! Test helpers the git modules share: real repositories in temporary folders.

use std::path::Path;

use git2::{IndexAddOption, Oid, Repository, Signature, Time};

/// A bundled file of this project (the example ports repo), by repo-relative path.
pub(crate) fn bundled(rel: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).expect("bundled file")
}

/// Writes `bytes` at `rel` under `root`, making its folders.
pub(crate) fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
}

/// Copies the bundled example ports repo (porting.toml, the schema copies and every port)
/// into `root`.
pub(crate) fn copy_bundled_desk(root: &Path) {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    for top in ["porting.toml", "schemas", "ports"] {
        for entry in walkdir::WalkDir::new(here.join(top)) {
            let entry = entry.expect("walk");
            if entry.file_type().is_file() {
                let rel = entry.path().strip_prefix(here).expect("inside");
                let rel = rel.to_string_lossy();
                write(root, &rel, &bundled(&rel));
            }
        }
    }
}

/// Commits the whole work tree on HEAD, by a fixed author at the time `when`.
pub(crate) fn commit(repo: &Repository, when: i64) -> Oid {
    let mut index = repo.index().expect("index");
    index
        .add_all(["*"], IndexAddOption::DEFAULT, None)
        .expect("add");
    index.write().expect("write index");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let who = Signature::new("Ana Souza", "ana@example.com", &Time::new(when, 0)).expect("who");
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    repo.commit(Some("HEAD"), &who, &who, "change", &tree, &parents)
        .expect("commit")
}
