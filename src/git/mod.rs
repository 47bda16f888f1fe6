//! Git with git2: opening the repo that holds the ports, the trees of a commit and of the
//! staged index, pull requests measured against their base, and the first-parent scan
//! that dates every event and stage.
//!
//! Times come from git, never from the typed `on` dates: an event lands with the first
//! commit on HEAD's first-parent line that contains it (on a merge-based workflow, the merge
//! of its pull request), and a port's stage at any commit is the stage its files had there.

mod cache;
pub mod notify;
pub mod past;
pub mod pull;
pub mod scan;
pub mod summary;
#[cfg(test)]
mod testing;
pub mod tree;
pub mod work;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use git2::{Commit, DiffOptions, ErrorCode, ObjectType, Oid, Repository};

use crate::model::timeline::{CommitInfo, Person};
use crate::repo::{Listing, RepoError, WorkTree, is_year};

/// The most bytes read of one file to compare its base and head versions.
pub(crate) const COMPARE_MAX_BYTES: u64 = 1 << 30;

/// Failures of the git-backed commands (not findings).
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The ports repo is not inside a git work tree.
    #[error("`{0}` is not inside a git repository: this needs the repo's git history")]
    NotGit(PathBuf),
    /// There is a git repository, but git refuses to open it (e.g. "dubious ownership").
    #[error("cannot open the git repository of `{path}`: {source}")]
    Open {
        /// The ports repo's root.
        path: PathBuf,
        /// git's own reason.
        source: git2::Error,
    },
    /// The clone has no full history (`history::shallow`).
    #[error(
        "history::shallow: this clone is shallow, so the git history is unavailable; fetch the full history (`fetch-depth: 0` with actions/checkout, or `git fetch --unshallow`)"
    )]
    Shallow,
    /// `--base` names nothing.
    #[error(
        "unknown revision `{0}`: pass a branch, tag or commit that exists in this clone (e.g. `origin/main`, fetched first)"
    )]
    UnknownRevision(String),
    /// The base and HEAD share no history.
    #[error("`{0}` and HEAD have no commit in common, so there is no base to compare with")]
    NoMergeBase(String),
    /// HEAD points at no commit yet.
    #[error("the repository has no commit yet")]
    NoCommits,
    /// The index holds a merge conflict.
    #[error(
        "the index has an unresolved conflict in `{0}`: resolve it before checking what is staged"
    )]
    Conflict(String),
    /// A port id or folder that the repo does not have.
    #[error("no port `{0}` in this repo (see `portflow status`)")]
    UnknownPort(String),
    /// The notice ledger (git notes) cannot be read.
    #[error("{0}: fix or remove that note (`git notes --ref portflow-notices`) before sending")]
    Ledger(String),
    /// libgit2 failed.
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    /// Reading the repo failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// The top folder of the git work tree around `path`, when there is one.
pub fn work_tree_of(path: &Path) -> Option<PathBuf> {
    Repository::discover(path)
        .ok()
        .and_then(|r| r.workdir().and_then(|w| w.canonicalize().ok()))
}

/// A ports repo inside a git work tree.
pub struct Git {
    repo: Repository,
    /// Where the ports repo sits in the work tree: `""`, or `sub/dir/`.
    prefix: String,
}

impl Git {
    /// Opens the git repository that holds the ports repo at `root`.
    pub fn open(root: &Path) -> Result<Git, GitError> {
        // Objects are not re-hashed on every read (as git itself does not): at desk scale,
        // hashing what the scan reads cost more than reading it.
        git2::opts::strict_hash_verification(false);
        let not_git = || GitError::NotGit(root.to_owned());
        // Only "no repository here" is not-a-repository; anything else keeps git's cause.
        let repo = Repository::discover(root).map_err(|source| match source.code() {
            ErrorCode::NotFound => not_git(),
            _ => GitError::Open {
                path: root.to_owned(),
                source,
            },
        })?;
        let workdir = repo
            .workdir()
            .and_then(|w| w.canonicalize().ok())
            .ok_or_else(not_git)?;
        let root = root.canonicalize().map_err(|_| not_git())?;
        let rel = root.strip_prefix(&workdir).map_err(|_| not_git())?;
        let mut prefix: String = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        if !prefix.is_empty() {
            prefix.push('/');
        }
        Ok(Git { repo, prefix })
    }

    /// Where the ports repo sits in the work tree: `""`, or `sub/dir/`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The same repository opened again (from its git folder), for another thread.
    pub(crate) fn at(git_dir: &Path, prefix: &str) -> Option<Git> {
        Some(Git {
            repo: Repository::open(git_dir).ok()?,
            prefix: prefix.to_owned(),
        })
    }

    /// The working tree's listing, with its folders remembered under `.git/portflow/`
    /// (see [`WorkTree::files_remembered`]).
    pub(crate) fn listing(&self, work: &WorkTree) -> Result<Listing, RepoError> {
        work.files_remembered(&self.repo.commondir().join("portflow").join("listing.bin"))
    }

    /// Whether the clone is shallow (its history is cut off).
    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow()
    }

    /// Whether `core.autocrlf` is `true` or `input` (work-tree CRLF is stored as LF).
    fn autocrlf(&self) -> bool {
        let Ok(config) = self.repo.config() else {
            return false;
        };
        config.get_bool("core.autocrlf").unwrap_or(false)
            || config
                .get_string("core.autocrlf")
                .is_ok_and(|v| v.eq_ignore_ascii_case("input"))
    }

    /// Fails with `history::shallow` when the history is cut off.
    pub fn require_history(&self) -> Result<(), GitError> {
        if self.is_shallow() {
            Err(GitError::Shallow)
        } else {
            Ok(())
        }
    }

    /// The commit HEAD points at.
    pub fn head(&self) -> Result<Commit<'_>, GitError> {
        let head = self.repo.head().map_err(|_| GitError::NoCommits)?;
        head.peel_to_commit().map_err(|_| GitError::NoCommits)
    }

    /// The merge base of `rev` and HEAD: what a pull request from HEAD into `rev` changes
    /// is measured from there, so commits that reached `rev` later are not the PR's.
    pub fn base_of(&self, rev: &str) -> Result<Commit<'_>, GitError> {
        let target = self
            .repo
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map_err(|_| GitError::UnknownRevision(rev.to_owned()))?;
        let head = self.head()?;
        let base = self
            .repo
            .merge_base(target.id(), head.id())
            .map_err(|_| GitError::NoMergeBase(rev.to_owned()))?;
        Ok(self.repo.find_commit(base)?)
    }

    /// Repo-relative paths whose content differs between `base` and the head side.
    fn changed_paths(
        &self,
        base: &Commit<'_>,
        head: HeadKind,
    ) -> Result<BTreeSet<String>, GitError> {
        let base_tree = base.tree()?;
        let mut opts = DiffOptions::new();
        // Ignored files are files a check reads too (a port's folder is read whole).
        opts.include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(true)
            .include_typechange(true)
            .ignore_submodules(true);
        if !self.prefix.is_empty() {
            opts.pathspec(&self.prefix);
        }
        let diff = match head {
            HeadKind::WorkTree => self
                .repo
                .diff_tree_to_workdir_with_index(Some(&base_tree), Some(&mut opts))?,
            HeadKind::Index => {
                self.repo
                    .diff_tree_to_index(Some(&base_tree), None, Some(&mut opts))?
            }
        };
        let mut out = BTreeSet::new();
        for delta in diff.deltas() {
            for path in [delta.old_file().path(), delta.new_file().path()]
                .into_iter()
                .flatten()
            {
                if let Some(rel) = path.to_str().and_then(|p| p.strip_prefix(&self.prefix)) {
                    out.insert(rel.to_owned());
                }
            }
        }
        Ok(out)
    }

    /// The port folders of `commit` whose files the head side (the working tree or the
    /// index) still has unchanged, by repo-relative folder, with the folder's tree id: a
    /// content id for the verdict cache that costs no read of the files. `changed` is what
    /// [`Git::changed_paths`] says differs. With `core.autocrlf` on, a working tree file
    /// may hold other bytes than git stores, so its content ids are marked apart.
    fn unchanged_ports(
        &self,
        commit: &Commit<'_>,
        head: HeadKind,
        changed: &BTreeSet<String>,
    ) -> HashMap<String, String> {
        let mut trees = HashMap::new();
        let Ok(root) = commit.tree() else {
            return trees;
        };
        let ports = root
            .get_path(Path::new(&format!("{}ports", self.prefix)))
            .ok()
            .and_then(|e| self.repo.find_tree(e.id()).ok());
        let Some(ports) = ports else {
            return trees;
        };
        let mark = if head == HeadKind::WorkTree && self.autocrlf() {
            " crlf"
        } else {
            ""
        };
        for entry in ports.iter() {
            let (Ok(name), Some(ObjectType::Tree)) = (entry.name(), entry.kind()) else {
                continue;
            };
            let dir = format!("ports/{name}");
            // A year folder's ports are one level down (a port named like a year has its
            // own subfolders listed too, harmlessly: they are never port folders).
            if is_year(name)
                && let Ok(sub) = self.repo.find_tree(entry.id())
            {
                for inner in sub.iter() {
                    if let (Ok(inner_name), Some(ObjectType::Tree)) = (inner.name(), inner.kind()) {
                        trees.insert(
                            format!("{dir}/{inner_name}"),
                            format!("{}{mark}", inner.id()),
                        );
                    }
                }
            }
            trees.insert(dir, format!("{}{mark}", entry.id()));
        }
        for path in changed {
            let mut end = 0;
            for _ in 0..3 {
                match path[end..].find('/') {
                    Some(at) => {
                        end += at + 1;
                        trees.remove(&path[..end - 1]);
                    }
                    None => {
                        trees.remove(path.as_str());
                        break;
                    }
                }
            }
        }
        trees
    }

    fn commit_info(&self, id: Oid) -> Result<CommitInfo, GitError> {
        let commit = self.repo.find_commit(id)?;
        let author = commit.author();
        let time = commit.time();
        Ok(CommitInfo {
            id: id.to_string(),
            time: time.seconds(),
            offset_minutes: time.offset_minutes(),
            author: Person {
                name: author.name().unwrap_or_default().to_owned(),
                email: author.email().unwrap_or_default().to_owned(),
            },
        })
    }
}

/// Which side of a pull request is checked: the working tree (before committing) or the
/// staged index (the pre-commit view).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadKind {
    /// Files on disk, committed or not.
    WorkTree,
    /// What `git commit` would record now.
    Index,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_without_git_is_not_a_repository_but_a_broken_one_keeps_its_cause() {
        let plain = tempfile::tempdir().unwrap();
        assert!(matches!(Git::open(plain.path()), Err(GitError::NotGit(_))));

        let broken = tempfile::tempdir().unwrap();
        std::fs::create_dir(broken.path().join(".git")).unwrap();
        std::fs::write(broken.path().join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::write(broken.path().join(".git/config"), "[core\nbroken").unwrap();
        std::fs::create_dir(broken.path().join(".git/objects")).unwrap();
        std::fs::create_dir(broken.path().join(".git/refs")).unwrap();
        let err = Git::open(broken.path())
            .err()
            .expect("a broken repository does not open");
        let text = err.to_string();
        assert!(matches!(err, GitError::Open { .. }), "{text}");
        assert!(text.contains("cannot open the git repository"), "{text}");
    }
}
