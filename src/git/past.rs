//! An event's own time: whether the change being checked adds it, and the porting.toml
//! and request of the commit that did. Events are facts, judged by the data of their time.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

use git2::Oid;

use super::scan::{Added, Scan};
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
    /// Folders of the boundary's tree by path, read once each: libgit2 does not keep a
    /// large tree (a desk's `ports/`) parsed between lookups.
    folders: RefCell<HashMap<String, Option<git2::Tree<'g>>>>,
    /// A shallow clone cuts the history off: every event's time is then unknown.
    shallow: bool,
    /// Per commit and port folder: porting.toml and the request there.
    loaded: RefCell<HashMap<(Oid, String), DataThen>>,
    /// What each commit changed, read (and cached) the first time an event's commit is
    /// looked for; `Some(None)` when it cannot be read.
    scan: RefCell<Option<Option<Scan<'g>>>>,
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
            folders: RefCell::new(HashMap::new()),
            shallow: git.is_shallow(),
            loaded: RefCell::new(HashMap::new()),
            scan: RefCell::new(None),
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

    /// The commit that added the event file at `event_path` (seen from the boundary), with
    /// the port's folder and tree, porting.toml and the schemas there.
    fn landing(&self, event_path: &str) -> Option<Added> {
        let (dir, name) = event_path.split_once("/events/")?;
        let id = dir.rsplit('/').next()?;
        // The boundary's own first-parent line: a branch that merged its base in is still
        // measured along the base's history.
        let boundary = self.boundary?;
        let mut scan = self.scan.borrow_mut();
        let scan = scan
            .get_or_insert_with(|| Scan::from_tip(self.git, boundary).ok())
            .as_mut()?;
        scan.added_at(boundary, id, name)
    }

    fn load(&self, added: &Added) -> DataThen {
        let ports = [(added.dir.as_str(), added.tree)];
        let tree = GitTree::of_ports(self.git, added.policy, added.schemas, &ports).ok()?;
        let repo = Repo::load(&tree).ok()?;
        let policy = repo.policy.as_ref()?.value.clone();
        let port = repo.ports.iter().find(|p| p.dir == added.dir)?;
        Some((policy, port.request.as_ref()?.value.clone()))
    }

    /// The folder at `dir` (from the top of the work tree; `""` is the top) in the
    /// boundary's tree.
    fn folder(&self, dir: &str) -> Option<git2::Tree<'g>> {
        if dir.is_empty() {
            return self.boundary_tree.clone();
        }
        if let Some(known) = self.folders.borrow().get(dir) {
            return known.clone();
        }
        let (parent, name) = dir.rsplit_once('/').unwrap_or(("", dir));
        let tree = self.folder(parent).and_then(|p| {
            let id = p.get_name(name)?.id();
            self.git.repo.find_tree(id).ok()
        });
        self.folders
            .borrow_mut()
            .insert(dir.to_owned(), tree.clone());
        tree
    }

    /// Keeps what the scan learnt for the next run.
    pub fn save(&self) {
        if let Some(Some(scan)) = self.scan.borrow().as_ref() {
            scan.save();
        }
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
        if self.boundary_tree.is_none() {
            return Recorded::Unknown;
        }
        let path = format!("{}{event_path}", self.git.prefix);
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", &path));
        if self.folder(dir).is_some_and(|t| t.get_name(name).is_some()) {
            Recorded::Before
        } else {
            Recorded::Now
        }
    }

    fn data_when_added(&self, event_path: &str) -> Option<(Policy, Request)> {
        if self.shallow {
            return None;
        }
        let landing = self.landing(event_path)?;
        let key = (landing.commit, landing.dir.clone());
        if let Some(hit) = self.loaded.borrow().get(&key) {
            return hit.clone();
        }
        let data = self.load(&landing);
        self.loaded.borrow_mut().insert(key, data.clone());
        data
    }
}

/// Runs `f` with the history of the ports repo at `root` before HEAD's commit (see
/// [`GitPast::before_head`]); without git, with [`NoHistory`].
pub fn with_history<T>(root: &Path, f: impl FnOnce(&dyn Past) -> T) -> T {
    let git = Git::open(root).ok();
    match git.as_ref().and_then(|g| GitPast::before_head(g).ok()) {
        Some(past) => {
            let out = f(&past);
            past.save();
            out
        }
        None => f(&NoHistory),
    }
}

/// Checks the working tree; inside a git repo with full history, events committed before
/// HEAD's commit are judged by the data of their own time.
pub fn check_work_tree(work: &WorkTree, scope: &Scope, today: Date) -> Result<Checked, RepoError> {
    with_history(&work.root, |past| check_tree(work, scope, today, past))
}
