//! An event's own time: whether the change being checked adds it, and the porting.toml
//! and request of the commit that did. Events are facts, judged by the data of their time.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

use git2::Oid;

use super::tree::GitTree;
use super::{Git, GitError};
use crate::engine::{Checked, Scope, check_tree};
use crate::model::Date;
use crate::model::policy::Policy;
use crate::model::request::Request;
use crate::repo::{Repo, RepoError, WorkTree};
use crate::rules::{NoHistory, Past, Recorded};

/// porting.toml and a port's request, as one commit had them.
type DataThen = Option<(Policy, Request)>;

/// The history before a change: events in the `boundary` commit are recorded facts; any
/// other event is added by the change and judged on its files.
pub struct GitPast<'g> {
    git: &'g Git,
    /// The last commit before the change; `None` when the change is the first commit.
    boundary: Option<Oid>,
    /// Its tree, read once (`None` also when it cannot be read).
    boundary_tree: Option<git2::Tree<'g>>,
    /// A shallow clone cuts the history off: every event's time is then unknown.
    shallow: bool,
    /// Per commit and port folder: porting.toml and the request there.
    loaded: RefCell<HashMap<(Oid, String), DataThen>>,
}

impl<'g> GitPast<'g> {
    /// Everything in `boundary` is recorded.
    pub fn before(git: &'g Git, boundary: Option<Oid>) -> GitPast<'g> {
        let boundary_tree = boundary
            .and_then(|id| git.repo.find_commit(id).ok())
            .and_then(|c| c.tree().ok());
        GitPast {
            git,
            boundary,
            boundary_tree,
            shallow: git.is_shallow(),
            loaded: RefCell::new(HashMap::new()),
        }
    }

    /// For the working tree: the change is HEAD's commit and whatever is not committed, so
    /// the boundary is HEAD's first parent (a push to main is judged as its own change).
    pub fn before_head(git: &'g Git) -> Result<GitPast<'g>, GitError> {
        let boundary = match git.head() {
            Ok(head) => head.parent_ids().next(),
            Err(GitError::NoCommits) => None,
            Err(err) => return Err(err),
        };
        Ok(GitPast::before(git, boundary))
    }

    fn has(&self, commit: &git2::Commit<'_>, path: &str) -> bool {
        commit.tree().is_ok_and(|t| {
            t.get_path(Path::new(&format!("{}{path}", self.git.prefix)))
                .is_ok()
        })
    }

    /// The oldest commit of the unbroken first-parent run from the boundary that has `path`.
    fn landing(&self, path: &str) -> Option<git2::Commit<'g>> {
        let mut commit = self.git.repo.find_commit(self.boundary?).ok()?;
        if !self.has(&commit, path) {
            return None;
        }
        while let Ok(parent) = commit.parent(0) {
            if !self.has(&parent, path) {
                break;
            }
            commit = parent;
        }
        Some(commit)
    }

    fn load(&self, commit: &git2::Commit<'_>, dir: &str) -> Option<(Policy, Request)> {
        let tree = GitTree::build(self.git, &commit.tree().ok()?, Some(dir)).ok()?;
        let repo = Repo::load(&tree).ok()?;
        let policy = repo.policy.as_ref()?.value.clone();
        let port = repo.ports.iter().find(|p| p.dir == dir)?;
        Some((policy, port.request.as_ref()?.value.clone()))
    }
}

impl Past for GitPast<'_> {
    fn recorded(&self, event_path: &str) -> Recorded {
        if self.shallow {
            return Recorded::Unknown;
        }
        if self.boundary.is_none() {
            return Recorded::Now;
        }
        let Some(tree) = &self.boundary_tree else {
            return Recorded::Unknown;
        };
        let path = format!("{}{event_path}", self.git.prefix);
        if tree.get_path(Path::new(&path)).is_ok() {
            Recorded::Before
        } else {
            Recorded::Now
        }
    }

    fn data_when_added(&self, event_path: &str) -> Option<(Policy, Request)> {
        if self.shallow {
            return None;
        }
        let (dir, _) = event_path.split_once("/events/")?;
        let commit = self.landing(event_path)?;
        let key = (commit.id(), dir.to_owned());
        if let Some(hit) = self.loaded.borrow().get(&key) {
            return hit.clone();
        }
        let data = self.load(&commit, dir);
        self.loaded.borrow_mut().insert(key, data.clone());
        data
    }
}

/// Runs `f` with the history of the ports repo at `root` before HEAD's commit (see
/// [`GitPast::before_head`]); without git, with [`NoHistory`].
pub fn with_history<T>(root: &Path, f: impl FnOnce(&dyn Past) -> T) -> T {
    let git = Git::open(root).ok();
    match git.as_ref().and_then(|g| GitPast::before_head(g).ok()) {
        Some(past) => f(&past),
        None => f(&NoHistory),
    }
}

/// Checks the working tree; inside a git repo with full history, events committed before
/// HEAD's commit are judged by the data of their own time.
pub fn check_work_tree(work: &WorkTree, scope: &Scope, today: Date) -> Result<Checked, RepoError> {
    with_history(&work.root, |past| check_tree(work, scope, today, past))
}
