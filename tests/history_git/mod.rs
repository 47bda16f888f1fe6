//! Real git repos for the history tests: commits made with git2 under explicit names,
//! e-mails and times (never the machine's identity or clock), and the git CLI for clones
//! and for reading the log back.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use git2::build::CheckoutBuilder;
use git2::{IndexAddOption, Oid, Repository, RepositoryInitOptions, Signature, Time};

use crate::common::TempRepo;

/// 2026-11-01T00:00:00Z.
pub const NOV_1: i64 = 1_793_491_200;
/// Seconds in a day.
pub const DAY: i64 = 86_400;
/// Seconds in an hour.
pub const HOUR: i64 = 3_600;

/// The time `day` (1-based) of November 2026 at `hour`:00 UTC.
pub fn nov(day: i64, hour: i64) -> i64 {
    NOV_1 + (day - 1) * DAY + hour * HOUR
}

/// Bayview's rejection for a billing-number mismatch, typed `on` Nov 21.
pub const BAYVIEW_REJECTED: &str = r#"#:schema ../../../schemas/event.schema.json
kind = "rejected"
on = 2026-11-21
by = "ana.souza@example.com"
instructions = "Please send us your most recent bill so we can match the billing number."

[[reasons]]
code = "btn-mismatch"
detail = "BTN does not match account"
"#;

/// Who makes a commit.
#[derive(Debug, Clone, Copy)]
pub struct Who {
    pub name: &'static str,
    pub email: &'static str,
}

pub const ANA: Who = Who {
    name: "Ana Souza",
    email: "ana.souza@example.com",
};
pub const BEN: Who = Who {
    name: "Ben Okafor",
    email: "ben.okafor@example.com",
};
/// The merge button.
pub const MERGER: Who = Who {
    name: "Merge Bot",
    email: "merge-bot@example.com",
};

/// A ports repo (bundled porting.toml and schemas) that is also a git repo on `main`.
pub struct GitRepo {
    pub temp: TempRepo,
    pub repo: Repository,
}

fn signature(who: Who, when: i64) -> Signature<'static> {
    Signature::new(who.name, who.email, &Time::new(when, 0)).expect("signature")
}

impl GitRepo {
    pub fn new() -> GitRepo {
        let temp = TempRepo::new();
        let mut opts = RepositoryInitOptions::new();
        opts.initial_head("main");
        let repo = Repository::init_opts(temp.path(), &opts).expect("git init");
        GitRepo { temp, repo }
    }

    pub fn path(&self) -> &Path {
        self.temp.path()
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> &Self {
        self.temp.write(rel, contents);
        self
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).expect("read")
    }

    pub fn copy_port(&self, rel_dir: &str) -> &Self {
        self.temp.copy_port(rel_dir);
        self
    }

    /// Copies one file of a bundled port into the same place here.
    pub fn copy_file(&self, rel: &str) -> &Self {
        let from = crate::common::project_root().join(rel);
        let bytes = std::fs::read(&from).unwrap_or_else(|e| panic!("{rel}: {e}"));
        self.temp.write(rel, bytes);
        self
    }

    pub fn remove(&self, rel: &str) -> &Self {
        let path = self.path().join(rel);
        if path.is_dir() {
            std::fs::remove_dir_all(path).expect("rm -r");
        } else {
            std::fs::remove_file(path).expect("rm");
        }
        self
    }

    pub fn rename(&self, from: &str, to: &str) -> &Self {
        let to_path = self.path().join(to);
        std::fs::create_dir_all(to_path.parent().expect("parent")).expect("mkdir");
        std::fs::rename(self.path().join(from), to_path).expect("mv");
        self
    }

    /// Stages every change of the working tree, like `git add -A`.
    pub fn stage_all(&self) {
        let mut index = self.repo.index().expect("index");
        index
            .add_all(["*"], IndexAddOption::DEFAULT, None)
            .expect("add");
        index.update_all(["*"], None).expect("update");
        index.write().expect("write index");
    }

    /// Stages one path as it is on disk.
    pub fn stage(&self, rel: &str) {
        let mut index = self.repo.index().expect("index");
        index.add_path(Path::new(rel)).expect("add path");
        index.write().expect("write index");
    }

    /// Commits everything in the working tree on the current branch.
    pub fn commit(&self, message: &str, who: Who, when: i64) -> Oid {
        self.stage_all();
        self.commit_index(message, who, who, when)
    }

    fn commit_index(&self, message: &str, author: Who, committer: Who, when: i64) -> Oid {
        let mut index = self.repo.index().expect("index");
        let tree_id = index.write_tree().expect("write tree");
        let tree = self.repo.find_tree(tree_id).expect("tree");
        let parent = self.repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        self.repo
            .commit(
                Some("HEAD"),
                &signature(author, when),
                &signature(committer, when),
                message,
                &tree,
                &parents,
            )
            .expect("commit")
    }

    pub fn head(&self) -> Oid {
        self.repo
            .head()
            .expect("head")
            .peel_to_commit()
            .expect("commit")
            .id()
    }

    /// Creates a branch at HEAD and switches to it.
    pub fn branch(&self, name: &str) {
        let head = self.repo.find_commit(self.head()).expect("commit");
        self.repo.branch(name, &head, false).expect("branch");
        self.checkout(name);
    }

    /// Switches to a branch; the working tree becomes exactly its tree.
    pub fn checkout(&self, name: &str) {
        self.repo
            .set_head(&format!("refs/heads/{name}"))
            .expect("set head");
        self.repo
            .checkout_head(Some(CheckoutBuilder::new().force().remove_untracked(true)))
            .expect("checkout");
    }

    /// Merges `branch` into the current branch with a merge commit (`--no-ff`), the way a
    /// pull request is merged; the merge commit's author is the merge button.
    pub fn merge(&self, branch: &str, when: i64) -> Oid {
        let ours = self.repo.find_commit(self.head()).expect("ours");
        let theirs = self
            .repo
            .find_branch(branch, git2::BranchType::Local)
            .expect("branch")
            .get()
            .peel_to_commit()
            .expect("theirs");
        let mut index = self
            .repo
            .merge_commits(&ours, &theirs, None)
            .expect("merge");
        assert!(!index.has_conflicts(), "merge of {branch} conflicts");
        let tree_id = index.write_tree_to(&self.repo).expect("tree");
        let tree = self.repo.find_tree(tree_id).expect("tree");
        let sig = signature(MERGER, when);
        let id = self
            .repo
            .commit(
                Some("HEAD"),
                &sig,
                &sig,
                &format!("Merge branch '{branch}'"),
                &tree,
                &[&ours, &theirs],
            )
            .expect("merge commit");
        self.repo
            .checkout_head(Some(CheckoutBuilder::new().force().remove_untracked(true)))
            .expect("checkout");
        id
    }

    /// Runs `portflow <args>` in the repo.
    pub fn run(&self, args: &[&str]) -> portflow::Output {
        self.temp.run(args)
    }

    /// Runs the git CLI here, isolated from the machine's configuration.
    pub fn git(&self, args: &[&str]) -> String {
        git_in(self.path(), args)
    }
}

/// Runs the git CLI in `dir` with no global or system configuration.
pub fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The JSON findings of an output, as (code, file) pairs.
pub fn codes(out: &portflow::Output) -> Vec<(String, String)> {
    crate::common::json_findings(out)
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or_default().to_owned(),
                f["file"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The codes of an output's findings in one family (`history::`).
pub fn family(out: &portflow::Output, prefix: &str) -> Vec<(String, String)> {
    codes(out)
        .into_iter()
        .filter(|(c, _)| c.starts_with(prefix))
        .collect()
}
