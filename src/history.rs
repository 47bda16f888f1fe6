//! Git history with git2: trees of a commit and of the staged index, pull-request checks
//! against a base, when each event landed, stage timelines and SLA clocks.
//!
//! Times come from git, never from the typed `on` dates: an event lands with the first
//! commit on HEAD's first-parent line that contains it (on a merge-based workflow, the merge
//! of its pull request), and a port's stage at any commit is the stage its files had there.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use git2::{Commit, DiffOptions, ObjectType, Oid, Repository, Sort, TreeWalkMode, TreeWalkResult};

use crate::check::{CheckError, Checked, check_tree};
use crate::cli::{HistoryFormat, ReportFormat};
use crate::diag::{self, Code, Finding, Severity};
use crate::loa::digest::{self, LoaData};
use crate::model::Date;
use crate::model::event::{EventBody, EventKind};
use crate::model::policy::{Channel, Policy};
use crate::repo::{
    EventFile, Listing, POLICY_FILE, PORTS_DIR, PROBE_HEAD_BYTES, Port, Probe, Refusal, Repo,
    RepoError, Skipped, Tree, WorkTree, lexical_outside,
};
use crate::report::{Counts, analytics, markdown, status, timeline};
use crate::rules::PortReport;
use crate::rules::events::resolve_voids;
use crate::schema::SchemaKind;
use crate::stage::Stage;
use crate::{Environment, Exit, Output};

const MODE_TYPE_MASK: u32 = 0o170_000;
const MODE_SYMLINK: u32 = 0o120_000;
const MODE_GITLINK: u32 = 0o160_000;

/// The most bytes read of one file to compare its base and head versions.
const COMPARE_MAX_BYTES: u64 = 1 << 30;

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// Failures of the git-backed commands (not findings).
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The ports repo is not inside a git work tree.
    #[error("`{0}` is not inside a git repository: this needs the repo's git history")]
    NotGit(PathBuf),
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
    /// libgit2 failed.
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    /// Reading the repo failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// Checking a tree failed.
    #[error(transparent)]
    Check(Box<CheckError>),
}

impl From<CheckError> for HistoryError {
    fn from(err: CheckError) -> HistoryError {
        HistoryError::Check(Box::new(err))
    }
}

/// How many commits back `summary` looks for the LOA data a signature covers.
const SIGNED_SEARCH_DEPTH: usize = 500;

/// A ports repo inside a git work tree.
pub struct Git {
    repo: Repository,
    /// Where the ports repo sits in the work tree: `""`, or `sub/dir/`.
    prefix: String,
}

impl Git {
    /// Opens the git repository that holds the ports repo at `root`.
    pub fn open(root: &Path) -> Result<Git, HistoryError> {
        let not_git = || HistoryError::NotGit(root.to_owned());
        let repo = Repository::discover(root).map_err(|_| not_git())?;
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
    pub fn require_history(&self) -> Result<(), HistoryError> {
        if self.is_shallow() {
            Err(HistoryError::Shallow)
        } else {
            Ok(())
        }
    }

    /// The commit HEAD points at.
    pub fn head(&self) -> Result<Commit<'_>, HistoryError> {
        let head = self.repo.head().map_err(|_| HistoryError::NoCommits)?;
        head.peel_to_commit().map_err(|_| HistoryError::NoCommits)
    }

    /// The merge base of `rev` and HEAD: what a pull request from HEAD into `rev` changes
    /// is measured from there, so commits that reached `rev` later are not the PR's.
    pub fn base_of(&self, rev: &str) -> Result<Commit<'_>, HistoryError> {
        let target = self
            .repo
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map_err(|_| HistoryError::UnknownRevision(rev.to_owned()))?;
        let head = self.head()?;
        let base = self
            .repo
            .merge_base(target.id(), head.id())
            .map_err(|_| HistoryError::NoMergeBase(rev.to_owned()))?;
        Ok(self.repo.find_commit(base)?)
    }

    /// Repo-relative paths whose content differs between `base` and the head side.
    fn changed_paths(
        &self,
        base: &Commit<'_>,
        head: HeadKind,
    ) -> Result<BTreeSet<String>, HistoryError> {
        let base_tree = base.tree()?;
        let mut opts = DiffOptions::new();
        opts.include_untracked(true)
            .recurse_untracked_dirs(true)
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

    fn commit_info(&self, id: Oid) -> Result<CommitInfo, HistoryError> {
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

#[derive(Debug, Clone, Copy)]
struct Entry {
    id: Oid,
    mode: u32,
}

impl Entry {
    fn is_symlink(self) -> bool {
        self.mode & MODE_TYPE_MASK == MODE_SYMLINK
    }

    fn is_gitlink(self) -> bool {
        self.mode & MODE_TYPE_MASK == MODE_GITLINK
    }
}

/// The files of one commit (or of the index) as a [`Tree`]: documents are probed from
/// their blobs, and a symbolic link (mode 120000) is never followed.
pub struct GitTree<'r> {
    repo: &'r Repository,
    entries: BTreeMap<String, Entry>,
    /// Paths under ports/ passed over (hidden, or names that are not UTF-8).
    skipped: Vec<Skipped>,
}

/// The schema copies and the policy file: the files outside `ports/` that a check reads.
fn root_files() -> Vec<String> {
    let mut files = vec![POLICY_FILE.to_owned()];
    files.extend(
        SchemaKind::ALL
            .iter()
            .map(|k| format!("schemas/{}", k.file_name())),
    );
    files
}

impl<'r> GitTree<'r> {
    /// Every file of `commit` that a check reads.
    pub fn of_commit(git: &'r Git, commit: &Commit<'_>) -> Result<GitTree<'r>, HistoryError> {
        GitTree::build(git, &commit.tree()?, None)
    }

    /// The policy, the schema copies, and the files under `only` (a folder, e.g. one port).
    fn build(
        git: &'r Git,
        tree: &git2::Tree<'_>,
        only: Option<&str>,
    ) -> Result<GitTree<'r>, HistoryError> {
        let mut entries = BTreeMap::new();
        let mut skipped = Vec::new();
        for rel in root_files() {
            if let Ok(e) = tree.get_path(Path::new(&format!("{}{rel}", git.prefix)))
                && e.kind() == Some(ObjectType::Blob)
            {
                entries.insert(
                    rel,
                    Entry {
                        id: e.id(),
                        mode: e.filemode() as u32,
                    },
                );
            }
        }
        let top = only.unwrap_or(PORTS_DIR);
        if let Ok(e) = tree.get_path(Path::new(&format!("{}{top}", git.prefix)))
            && e.kind() == Some(ObjectType::Tree)
        {
            let sub = git.repo.find_tree(e.id())?;
            sub.walk(TreeWalkMode::PreOrder, |root, entry| {
                let name = String::from_utf8_lossy(entry.name_bytes());
                let rel = format!("{top}/{root}{name}");
                let is_tree = entry.kind() == Some(ObjectType::Tree);
                if let Some(why) = Listing::skip_reason(&rel) {
                    // Hidden or unnameable: never read, never descended into.
                    skipped.push(why);
                    return TreeWalkResult::Skip;
                }
                if !is_tree {
                    entries.insert(
                        rel,
                        Entry {
                            id: entry.id(),
                            mode: entry.filemode() as u32,
                        },
                    );
                }
                TreeWalkResult::Ok
            })?;
        }
        Ok(GitTree {
            repo: &git.repo,
            entries,
            skipped,
        })
    }

    /// Whether the tree has this repo-relative file.
    pub fn has(&self, path: &str) -> bool {
        self.entries.contains_key(path)
    }

    fn id(&self, path: &str) -> Option<Oid> {
        self.entries.get(path).map(|e| e.id)
    }

    fn is_dir(&self, path: &str) -> bool {
        let prefix = format!("{path}/");
        self.entries
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&prefix))
    }
}

fn io_error(path: &str, message: String) -> RepoError {
    RepoError::Io {
        path: PathBuf::from(path),
        source: io::Error::other(message),
    }
}

impl Tree for GitTree<'_> {
    fn files(&self) -> Result<Listing, RepoError> {
        // Like the working tree: the policy always (reading it reports when it is missing),
        // schema copies that exist, and every file under ports/ except hidden ones.
        let mut listing = Listing {
            files: vec![POLICY_FILE.to_owned()],
            skipped: self.skipped.clone(),
            ..Listing::default()
        };
        let mut ports: Vec<&String> = Vec::new();
        for (path, entry) in &self.entries {
            if path == POLICY_FILE {
                continue;
            }
            if path.starts_with("ports/") {
                ports.push(path);
                if entry.is_symlink() {
                    listing.links.insert(path.clone());
                }
            } else {
                listing.files.push(path.clone());
            }
        }
        ports.sort_by(|a, b| a.split('/').cmp(b.split('/')));
        listing.files.extend(ports.into_iter().cloned());
        Ok(listing)
    }

    fn read(&self, path: &str, cap: u64) -> Result<Vec<u8>, RepoError> {
        let entry = self.entries.get(path).ok_or_else(|| RepoError::Io {
            path: PathBuf::from(path),
            source: io::Error::from(io::ErrorKind::NotFound),
        })?;
        let refused = |refusal| RepoError::Refused {
            path: path.to_owned(),
            refusal,
        };
        // A link's blob is its target's name: never read as the file it points at.
        if entry.is_symlink() {
            return Err(refused(Refusal::Link));
        }
        if entry.is_gitlink() {
            return Err(refused(Refusal::NotAFile("a submodule")));
        }
        // The size from the object header, so an oversized blob is never loaded.
        let size = self
            .repo
            .odb()
            .and_then(|odb| odb.read_header(entry.id))
            .map_err(|e| io_error(path, e.message().to_owned()))?
            .0 as u64;
        if size > cap {
            return Err(refused(Refusal::TooLarge { size, cap }));
        }
        let blob = self
            .repo
            .find_blob(entry.id)
            .map_err(|e| io_error(path, e.message().to_owned()))?;
        Ok(blob.content().to_vec())
    }

    fn probe(&self, port_dir: &str, rel: &str) -> Probe {
        if let Some(reason) = lexical_outside(rel) {
            return Probe::Outside { reason };
        }
        let parts: Vec<&str> = rel
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .collect();
        let mut path = port_dir.to_owned();
        for (i, part) in parts.iter().enumerate() {
            path.push('/');
            path.push_str(part);
            let last = i + 1 == parts.len();
            match self.entries.get(&path) {
                Some(e) if e.is_symlink() => {
                    return Probe::Outside {
                        reason: format!("`{}` is a symbolic link", parts[..=i].join("/")),
                    };
                }
                Some(_) if !last => return Probe::Missing,
                Some(e) if e.is_gitlink() => {
                    return Probe::NotAFile {
                        what: "a submodule",
                    };
                }
                Some(e) => {
                    let Ok(blob) = self.repo.find_blob(e.id) else {
                        return Probe::Missing;
                    };
                    let content = blob.content();
                    return Probe::File {
                        size: content.len() as u64,
                        head: content[..content.len().min(PROBE_HEAD_BYTES)].to_vec(),
                    };
                }
                None if self.is_dir(&path) => {
                    if last {
                        return Probe::NotAFile { what: "a folder" };
                    }
                }
                None => return Probe::Missing,
            }
        }
        Probe::NotAFile { what: "a folder" }
    }
}

/// The staged index as a [`Tree`]: what `git commit` would record now.
pub struct IndexTree<'r>(GitTree<'r>);

impl<'r> IndexTree<'r> {
    /// Reads the index; a merge conflict is an error (there is no single staged version).
    pub fn of_index(git: &'r Git) -> Result<IndexTree<'r>, HistoryError> {
        let index = git.repo.index()?;
        let mut entries = BTreeMap::new();
        let wanted = root_files();
        let mut skipped = Vec::new();
        for entry in index.iter() {
            let path = String::from_utf8_lossy(&entry.path).into_owned();
            let stage = (entry.flags >> 12) & 0x3;
            if stage != 0 {
                return Err(HistoryError::Conflict(path));
            }
            let Some(rel) = path.strip_prefix(&git.prefix) else {
                continue;
            };
            if rel.starts_with("ports/")
                && let Some(why) = rel
                    .split('/')
                    .scan(String::new(), |prefix, part| {
                        if !prefix.is_empty() {
                            prefix.push('/');
                        }
                        prefix.push_str(part);
                        Some(prefix.clone())
                    })
                    .find_map(|p| Listing::skip_reason(&p))
            {
                if !skipped.contains(&why) {
                    skipped.push(why);
                }
                continue;
            }
            if rel.starts_with("ports/") || wanted.iter().any(|w| w == rel) {
                entries.insert(
                    rel.to_owned(),
                    Entry {
                        id: entry.id,
                        mode: entry.mode,
                    },
                );
            }
        }
        Ok(IndexTree(GitTree {
            repo: &git.repo,
            entries,
            skipped,
        }))
    }
}

impl Tree for IndexTree<'_> {
    fn files(&self) -> Result<Listing, RepoError> {
        self.0.files()
    }
    fn read(&self, path: &str, cap: u64) -> Result<Vec<u8>, RepoError> {
        self.0.read(path, cap)
    }
    fn probe(&self, port_dir: &str, rel: &str) -> Probe {
        self.0.probe(port_dir, rel)
    }
}

/// `check --staged` without a base: the index, checked like a working tree.
pub fn check_staged(
    work: &WorkTree,
    scope: &[String],
    today: Date,
) -> Result<Checked, HistoryError> {
    let git = Git::open(&work.root)?;
    let index = IndexTree::of_index(&git)?;
    Ok(check_tree(&index, scope, today)?)
}

/// `check --base REF` (with `--staged`, the index instead of the working tree).
pub fn check_base(
    work: &WorkTree,
    rev: &str,
    head: HeadKind,
    scope: &[String],
    today: Date,
) -> Result<Checked, HistoryError> {
    let git = Git::open(&work.root)?;
    let pr = PullRequest::open(&git, work, rev, head, scope, today)?;
    Ok(pr.head)
}

// ── Pull requests ────────────────────────────────────────────────────────────

/// A change measured against its base: both sides checked, history rules run, and every
/// finding marked blocking or not.
pub struct PullRequest<'g> {
    git: &'g Git,
    /// The revision the user named.
    pub base_ref: String,
    /// The merge base of that revision and HEAD.
    pub base_commit: Oid,
    /// The base checked (`None` when the base has no porting.toml yet).
    pub base: Option<Checked>,
    /// The head checked, with the history findings and the gate applied.
    pub head: Checked,
    /// Repo-relative paths that differ between the base and the head.
    pub changed_files: BTreeSet<String>,
    /// Ids of the ports the change touches.
    pub changed_ports: BTreeSet<String>,
    base_tree: GitTree<'g>,
    head_files: HeadFiles<'g>,
}

/// The identity of a finding, for "was it already on the base".
type FindingKey = (Code, Severity, String, usize, usize, String);

fn key_of(f: &Finding) -> FindingKey {
    (
        f.code,
        f.severity,
        f.file.to_string_lossy().into_owned(),
        f.span.start,
        f.span.end,
        f.message.clone(),
    )
}

/// Whether a repo-relative file falls under the scope (all when the scope is empty).
fn in_scope(scope: &[String], file: &str) -> bool {
    scope.is_empty()
        || scope
            .iter()
            .any(|s| s.is_empty() || file == s || file.starts_with(&format!("{s}/")))
}

/// The head side's files, for comparing them with the base by blob id.
enum HeadFiles<'g> {
    Work {
        root: PathBuf,
        changed: BTreeSet<String>,
        base: BTreeMap<String, Oid>,
        /// `core.autocrlf` is on: git stores the file with LF where the work tree has CRLF.
        autocrlf: bool,
    },
    Index(IndexTree<'g>),
}

impl HeadFiles<'_> {
    /// The blob id the file would have in git, without following links.
    fn id(&self, path: &str) -> Option<Oid> {
        match self {
            HeadFiles::Index(tree) => tree.0.id(path),
            HeadFiles::Work {
                root,
                changed,
                base,
                autocrlf,
            } => {
                // Unchanged per git's own diff (which knows about filters and the stat cache).
                if !changed.contains(path)
                    && let Some(id) = base.get(path)
                {
                    return Some(*id);
                }
                let full = root.join(path);
                let meta = std::fs::symlink_metadata(&full).ok()?;
                if meta.file_type().is_symlink() {
                    let target = std::fs::read_link(&full).ok()?;
                    Oid::hash_object(ObjectType::Blob, target.to_string_lossy().as_bytes()).ok()
                } else if meta.is_file() {
                    let bytes = crate::repo::read_regular(root, path, COMPARE_MAX_BYTES).ok()?;
                    // What `git add` would store: CRLF turned into LF when autocrlf is on.
                    let stored = if *autocrlf { crlf_to_lf(&bytes) } else { bytes };
                    Oid::hash_object(ObjectType::Blob, &stored).ok()
                } else {
                    None
                }
            }
        }
    }

    /// The bytes of a regular file (never through a link).
    fn read(&self, path: &str) -> Option<Vec<u8>> {
        match self {
            HeadFiles::Index(tree) => tree.read(path, COMPARE_MAX_BYTES).ok(),
            HeadFiles::Work { root, autocrlf, .. } => {
                let bytes = crate::repo::read_regular(root, path, COMPARE_MAX_BYTES).ok()?;
                Some(if *autocrlf { crlf_to_lf(&bytes) } else { bytes })
            }
        }
    }
}

/// `\r\n` as `\n`, as git's autocrlf stores text.
fn crlf_to_lf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for (i, &b) in bytes.iter().enumerate() {
        if !(b == b'\r' && bytes.get(i + 1) == Some(&b'\n')) {
            out.push(b);
        }
    }
    out
}

/// The bytes without `#:schema` lines: a port moved to or from a year folder needs its
/// directives' `../` adjusted, and that alone is no edit.
fn without_directive(bytes: &[u8]) -> Vec<u8> {
    bytes
        .split_inclusive(|b| *b == b'\n')
        .filter(|line| {
            let text = String::from_utf8_lossy(line);
            !text
                .trim_start_matches('\u{feff}')
                .trim_start()
                .starts_with("#:schema")
        })
        .flatten()
        .copied()
        .collect()
}

impl<'g> PullRequest<'g> {
    /// Checks the head side against the merge base of `rev` and HEAD.
    pub fn open(
        git: &'g Git,
        work: &WorkTree,
        rev: &str,
        head_kind: HeadKind,
        scope: &[String],
        today: Date,
    ) -> Result<PullRequest<'g>, HistoryError> {
        git.require_history()?;
        let base_commit = git.base_of(rev)?;
        let base_tree = GitTree::of_commit(git, &base_commit)?;
        let base = if base_tree.has(POLICY_FILE) {
            Some(check_tree(&base_tree, &[], today)?)
        } else {
            None
        };
        let changed_files = git.changed_paths(&base_commit, head_kind)?;
        let (mut head, files) = match head_kind {
            HeadKind::WorkTree => (
                check_tree(work, scope, today)?,
                HeadFiles::Work {
                    root: work.root.clone(),
                    autocrlf: git.autocrlf(),
                    changed: changed_files.clone(),
                    base: base_tree
                        .entries
                        .iter()
                        .map(|(k, e)| (k.clone(), e.id))
                        .collect(),
                },
            ),
            HeadKind::Index => {
                let index = IndexTree::of_index(git)?;
                (check_tree(&index, scope, today)?, HeadFiles::Index(index))
            }
        };

        let mut changed_ports = BTreeSet::new();
        for path in &changed_files {
            if let Some(p) = head.repo.port_for_file(path) {
                changed_ports.insert(p.id.clone());
            }
            if let Some(p) = base.as_ref().and_then(|b| b.repo.port_for_file(path)) {
                changed_ports.insert(p.id.clone());
            }
        }

        let mut history = match &base {
            Some(base) => {
                let cmp = Compare {
                    base,
                    head: &head,
                    base_tree: &base_tree,
                    head_files: &files,
                    rev,
                };
                cmp.findings()
            }
            None => Vec::new(),
        };
        history.retain(|f| in_scope(scope, &f.file.to_string_lossy()));

        // The gate: a policy change can affect every port, so then everything blocks.
        let policy_changed = changed_files.contains(POLICY_FILE);
        let on_base: HashSet<FindingKey> = base
            .as_ref()
            .map(|b| b.findings.iter().map(key_of).collect())
            .unwrap_or_default();
        for f in &mut head.findings {
            let file = f.file.to_string_lossy().into_owned();
            let touched = match head.repo.port_for_file(&file) {
                Some(port) => changed_ports.contains(&port.id),
                None => changed_files
                    .iter()
                    .any(|c| *c == file || c.starts_with(&format!("{file}/"))),
            };
            f.blocking = policy_changed || touched || !on_base.contains(&key_of(f));
        }
        head.findings.extend(history);
        diag::sort(&mut head.findings);
        Ok(PullRequest {
            git,
            base_ref: rev.to_owned(),
            base_commit: base_commit.id(),
            base,
            head,
            changed_files,
            changed_ports,
            base_tree,
            head_files: files,
        })
    }
}

/// The history rules: the base and the head side of a change, compared.
struct Compare<'a, 'g> {
    base: &'a Checked,
    head: &'a Checked,
    base_tree: &'a GitTree<'g>,
    head_files: &'a HeadFiles<'g>,
    rev: &'a str,
}

/// Every file of a port, relative to its folder.
fn port_files(port: &Port) -> BTreeSet<String> {
    let strip = |p: &str| {
        p.strip_prefix(&format!("{}/", port.dir))
            .unwrap_or(p)
            .to_owned()
    };
    let mut out = BTreeSet::new();
    out.insert("request.toml".to_owned());
    out.extend(port.events.iter().map(|e| strip(&e.path)));
    out.extend(port.files.iter().map(|f| strip(f)));
    out
}

fn stage_of(reports: &[PortReport], dir: &str) -> Stage {
    reports
        .iter()
        .find(|r| r.dir == dir)
        .map_or(Stage::Invalid, |r| r.stage)
}

impl Compare<'_, '_> {
    /// Whether the base file and the head file hold the same bytes.
    fn same(&self, base_path: &str, head_path: &str) -> bool {
        match (self.base_tree.id(base_path), self.head_files.id(head_path)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }

    /// Like [`Compare::same`]; when the port moved folders, its `#:schema` lines may differ.
    fn same_file(&self, base_path: &str, head_path: &str, moved: bool) -> bool {
        if self.same(base_path, head_path) {
            return true;
        }
        if !moved {
            return false;
        }
        match (
            self.base_tree.read(base_path, COMPARE_MAX_BYTES),
            self.head_files.read(head_path),
        ) {
            (Ok(a), Some(b)) => without_directive(&a) == without_directive(&b),
            _ => false,
        }
    }

    fn findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        let policy = self
            .head
            .repo
            .policy
            .as_ref()
            .or(self.base.repo.policy.as_ref())
            .map(|p| &p.value);
        for bport in &self.base.repo.ports {
            let Some(hport) = self.head.repo.ports.iter().find(|p| p.id == bport.id) else {
                out.push(self.port_deleted(bport));
                continue;
            };
            let renumbered = self.events(bport, hport, &mut out);
            let stage = stage_of(&self.base.reports, &bport.dir);
            if stage.is_terminal() {
                self.terminal(bport, hport, stage, &renumbered, &mut out);
            } else if matches!(stage, Stage::Submitted | Stage::Scheduled)
                && !rejection_added(bport, hport)
                && let Some(policy) = policy
            {
                self.loa(bport, hport, stage, policy, &mut out);
            }
        }
        out
    }

    fn port_deleted(&self, bport: &Port) -> Finding {
        Finding::new(
            Code::HistoryPortDeleted,
            bport.dir.clone(),
            0..0,
            format!(
                "port `{}` exists on the base (`{}`) but its folder is gone",
                bport.id, bport.dir
            ),
        )
        .help(format!(
            "a port's folder is its permanent record: restore it (`git checkout {} -- {}`); to stop the port, record a `cancelled` event. Moving it to or from a year folder (`ports/<year>/{}`) keeps it; renaming it does not",
            self.rev, bport.dir, bport.id
        ))
    }

    /// `history::rewritten`; returns the head names that are sanctioned renumberings.
    fn events(&self, bport: &Port, hport: &Port, out: &mut Vec<Finding>) -> BTreeSet<String> {
        let base_names: BTreeSet<&str> = bport.events.iter().map(|e| e.name.as_str()).collect();
        let head_paths: BTreeSet<&str> = hport.events.iter().map(|e| e.path.as_str()).collect();
        let mut renumbered = BTreeSet::new();
        for bev in &bport.events {
            let hpath = format!("{}/events/{}", hport.dir, bev.name);
            if self.same_file(&bev.path, &hpath, bport.dir != hport.dir) {
                continue;
            }
            let moved_to = hport
                .events
                .iter()
                .find(|h| !base_names.contains(h.name.as_str()) && self.same(&bev.path, &h.path));
            let restore = format!(
                "restore it from the base (`git checkout {} -- {}`); to correct a merged event, record a `void` event for it and then the correct event",
                self.rev, bev.path
            );
            let finding = match moved_to {
                Some(h) if sanctioned_renumbering(bport, bev, h) => {
                    renumbered.insert(h.name.clone());
                    continue;
                }
                Some(h) => Finding::new(
                    Code::HistoryRewritten,
                    h.path.clone(),
                    0..0,
                    format!(
                        "event `{}` was merged on the base and has been renamed to `{}`",
                        bev.name, h.name
                    ),
                )
                .help(format!(
                    "only an event whose number collided with another merged at the same time may be renumbered (to a higher, free number, byte for byte): rename it back to `{}`",
                    bev.name
                )),
                None if head_paths.contains(hpath.as_str()) => Finding::new(
                    Code::HistoryRewritten,
                    hpath.clone(),
                    0..0,
                    format!(
                        "event `{}` was merged on the base and has been changed",
                        bev.name
                    ),
                )
                .label("merged events are never edited")
                .help(restore),
                None => Finding::new(
                    Code::HistoryRewritten,
                    hpath.clone(),
                    0..0,
                    format!(
                        "event `{}` was merged on the base and has been removed",
                        bev.name
                    ),
                )
                .help(restore),
            };
            out.push(finding);
        }
        renumbered
    }

    /// `history::terminal-changed`: nothing but a `void` event may change in a finished port.
    fn terminal(
        &self,
        bport: &Port,
        hport: &Port,
        stage: Stage,
        renumbered: &BTreeSet<String>,
        out: &mut Vec<Finding>,
    ) {
        let base_files = port_files(bport);
        let head_files = port_files(hport);
        let help = "a finished port never changes: revert this. To port more numbers or restart, create a new port; if the terminal event itself was recorded in error, the only change allowed is a `void` event for it (ask a reviewer)";
        let mut push = |rel: &str, what: &str| {
            out.push(
                Finding::new(
                    Code::HistoryTerminalChanged,
                    format!("{}/{rel}", hport.dir),
                    0..0,
                    format!(
                        "`{rel}` {what} port `{}`, which is {stage} on the base",
                        hport.id
                    ),
                )
                .help(help),
            );
        };
        for rel in &base_files {
            // Merged events are `history::rewritten`'s business.
            if rel.starts_with("events/") {
                continue;
            }
            let bpath = format!("{}/{rel}", bport.dir);
            let hpath = format!("{}/{rel}", hport.dir);
            if !head_files.contains(rel) {
                push(rel, "was removed from");
            } else if !self.same_file(&bpath, &hpath, bport.dir != hport.dir) {
                push(rel, "was changed in");
            }
        }
        for rel in head_files.difference(&base_files) {
            if let Some(name) = rel.strip_prefix("events/") {
                let kind = hport
                    .events
                    .iter()
                    .find(|e| e.name == name)
                    .and_then(|e| e.name_kind);
                if kind == Some(EventKind::Void) || renumbered.contains(name) {
                    continue;
                }
            }
            push(rel, "was added to");
        }
    }

    /// `history::loa-changed`: the LOA the carrier is processing may not change.
    fn loa(
        &self,
        bport: &Port,
        hport: &Port,
        stage: Stage,
        policy: &Policy,
        out: &mut Vec<Finding>,
    ) {
        let (Some(breq), Some(hreq)) = (&bport.request, &hport.request) else {
            return;
        };
        // One policy for both sides: a change to porting.toml is not an edit of this port.
        let before = LoaData::new(policy, &bport.id, &breq.value);
        let after = LoaData::new(policy, &hport.id, &hreq.value);
        let changes = loa_changes(&before, &after);
        let Some(first) = changes.first() else {
            return;
        };
        let fields: Vec<String> = changes
            .iter()
            .map(|c| format!("`{}`", c.field))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        out.push(
            Finding::new(
                Code::HistoryLoaChanged,
                hport.request_path(),
                hreq.doc.span(&first.pointer()),
                format!(
                    "LOA data changed while the port is {stage}: {}",
                    fields.join(", ")
                ),
            )
            .label("changed after submission")
            .help("the carrier is processing the submitted LOA: revert the change. To correct the data, record the carrier's rejection first (or ask the carrier to reject), then edit, have the LOA signed again and resubmit"),
        );
    }
}

/// Whether `bev` collided with another merged event and `h` renumbers it upwards, same kind.
fn sanctioned_renumbering(bport: &Port, bev: &EventFile, h: &EventFile) -> bool {
    let collided = bev.number.is_some()
        && bport
            .events
            .iter()
            .filter(|e| e.number == bev.number)
            .count()
            > 1;
    let upwards = matches!((bev.number, h.number), (Some(a), Some(b)) if b > a);
    collided && upwards && bev.name_kind.is_some() && h.name_kind == bev.name_kind
}

/// Whether the head adds a `rejected` event: the LOA may then be corrected in the same change.
fn rejection_added(bport: &Port, hport: &Port) -> bool {
    hport.events.iter().any(|h| {
        h.name_kind == Some(EventKind::Rejected)
            && h.loaded.is_some()
            && !bport.events.iter().any(|b| b.name == h.name)
    })
}

/// One field of the LOA data that differs between two versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// The field, dotted (`end_user.name`, `numbers`).
    pub field: String,
    /// The value before, when it had one.
    pub before: Option<String>,
    /// The value after, when it has one.
    pub after: Option<String>,
}

impl FieldChange {
    /// The JSON pointer of the field in request.toml, for a span.
    pub fn pointer(&self) -> String {
        if self.field.starts_with("organization") {
            return String::new();
        }
        format!("/{}", self.field.replace('.', "/"))
    }
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut BTreeMap<String, String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        serde_json::Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

/// The LOA fields that differ, field by field; numbers are compared as a set.
pub fn loa_changes(before: &LoaData, after: &LoaData) -> Vec<FieldChange> {
    let fields = |data: &LoaData| {
        let mut map = BTreeMap::new();
        let mut value = serde_json::to_value(data).unwrap_or_default();
        if let Some(obj) = value.as_object_mut() {
            obj.remove("numbers");
            obj.remove("format");
        }
        flatten("", &value, &mut map);
        map
    };
    let (a, b) = (fields(before), fields(after));
    let mut out = Vec::new();
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for key in keys {
        let (x, y) = (a.get(key), b.get(key));
        if x != y {
            out.push(FieldChange {
                field: key.clone(),
                before: x.cloned(),
                after: y.cloned(),
            });
        }
    }
    let numbers = |data: &LoaData| -> BTreeSet<String> {
        data.numbers
            .iter()
            .map(|n| match &n.kind {
                Some(kind) => format!("{} ({kind})", n.number),
                None => n.number.clone(),
            })
            .collect()
    };
    let (x, y) = (numbers(before), numbers(after));
    for gone in x.difference(&y) {
        out.push(FieldChange {
            field: "numbers".to_owned(),
            before: Some(gone.clone()),
            after: None,
        });
    }
    for new in y.difference(&x) {
        out.push(FieldChange {
            field: "numbers".to_owned(),
            before: None,
            after: Some(new.clone()),
        });
    }
    out
}

// ── Timelines ────────────────────────────────────────────────────────────────

/// Who made a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The name.
    pub name: String,
    /// The e-mail address.
    pub email: String,
}

/// A commit, as timelines show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// Full hex id.
    pub id: String,
    /// Committer time, seconds since the epoch.
    pub time: i64,
    /// The committer's UTC offset in minutes.
    pub offset_minutes: i32,
    /// The author.
    pub author: Person,
}

impl CommitInfo {
    /// The committer's local calendar date.
    pub fn local_date(&self) -> Option<Date> {
        let local = self.time + i64::from(self.offset_minutes) * 60;
        Date::from_days(local.div_euclid(DAY))
    }
}

/// One event of a port with where git says it came from.
#[derive(Debug, Clone)]
pub struct EventLine {
    /// The file name, e.g. `003-rejected.toml`.
    pub file: String,
    /// Its NNN, when the name has one.
    pub number: Option<u32>,
    /// Its kind, from the name.
    pub kind: Option<EventKind>,
    /// The typed date, when the file is valid.
    pub on: Option<Date>,
    /// Whether a `void` event voids it.
    pub voided: bool,
    /// The first commit on HEAD's first-parent line that contains it; `None` when it is
    /// not committed yet.
    pub landed: Option<CommitInfo>,
    /// The commit that created the file (its author is who recorded the event).
    pub created: Option<CommitInfo>,
    /// Seconds from the previous event's landing to this one's.
    pub since_previous: Option<i64>,
    /// Days from the typed `on` date to the landing's local date (positive: landed later).
    pub on_to_landed_days: Option<i64>,
}

impl EventLine {
    /// Whether the typed date and the landing disagree by more than a day.
    pub fn dates_disagree(&self) -> bool {
        self.on_to_landed_days.is_some_and(|d| d.abs() > 1)
    }
}

/// A stretch of time a port spent in one stage.
#[derive(Debug, Clone)]
pub struct Period {
    /// The stage.
    pub stage: Stage,
    /// The commit that brought the port into it.
    pub from: CommitInfo,
    /// The commit that took it out, `None` while it lasts.
    pub to: Option<CommitInfo>,
    /// Its length in seconds (up to the end of `--today` while it lasts).
    pub seconds: i64,
}

/// Which SLA window applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaKind {
    /// Self-serve countries.
    Domestic,
    /// Assisted countries.
    International,
}

impl SlaKind {
    /// The name in porting.toml's `[sla]`.
    pub fn as_str(self) -> &'static str {
        match self {
            SlaKind::Domestic => "domestic",
            SlaKind::International => "international",
        }
    }
}

/// Where a port stands against its SLA window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaState {
    /// Open, within the window.
    Running,
    /// Open and rejected: the clock is paused.
    Paused,
    /// Open past the window's end.
    Overdue,
    /// Completed within the window.
    Met,
    /// Completed after the window's end.
    Late,
}

impl SlaState {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            SlaState::Running => "running",
            SlaState::Paused => "paused",
            SlaState::Overdue => "overdue",
            SlaState::Met => "met",
            SlaState::Late => "late",
        }
    }

    /// Whether the window was or is exceeded.
    pub fn breached(self) -> bool {
        matches!(self, SlaState::Overdue | SlaState::Late)
    }
}

/// The SLA clock of a submitted port: from the first submission to completion, time spent
/// `rejected` excluded.
#[derive(Debug, Clone)]
pub struct SlaClock {
    /// Domestic or international.
    pub kind: SlaKind,
    /// The window, `[min, max]` days.
    pub window: [u32; 2],
    /// The commit of the first submission.
    pub started: CommitInfo,
    /// Seconds counted so far (or until completion).
    pub elapsed: i64,
    /// Seconds spent rejected (not counted).
    pub paused: i64,
    /// Where it stands.
    pub state: SlaState,
}

impl SlaClock {
    /// Whole days counted.
    pub fn elapsed_days(&self) -> i64 {
        self.elapsed.div_euclid(DAY)
    }

    /// Whether the port is still open and past the window.
    pub fn overdue(&self) -> bool {
        self.state == SlaState::Overdue
    }
}

/// A port's history: its events with their landings and its stages over time.
#[derive(Debug, Clone)]
pub struct PortTimeline {
    /// Port id.
    pub id: String,
    /// Repo-relative folder.
    pub dir: String,
    /// The stage now (from the files on disk).
    pub stage: Stage,
    /// Events in file order.
    pub events: Vec<EventLine>,
    /// Committed stages, oldest first.
    pub periods: Vec<Period>,
    /// Whether the files on disk give a stage the last commit did not (uncommitted change).
    pub uncommitted_stage: bool,
    /// The SLA clock, once submitted (not for cancelled ports or unknown countries).
    pub sla: Option<SlaClock>,
}

impl PortTimeline {
    /// The current stage's period, when it is committed.
    pub fn current(&self) -> Option<&Period> {
        if self.uncommitted_stage {
            return None;
        }
        self.periods.last().filter(|p| p.stage == self.stage)
    }

    /// Whole days in the current stage.
    pub fn days_in_stage(&self) -> Option<i64> {
        self.current().map(|p| p.seconds.div_euclid(DAY))
    }
}

/// The end of `today` (UTC), the "now" of every duration.
pub fn end_of(today: Date) -> i64 {
    (today.days_since_epoch() + 1) * DAY
}

/// `2026-11-20T14:03:00Z`.
pub fn fmt_utc(secs: i64) -> String {
    let date = Date::from_days(secs.div_euclid(DAY)).unwrap_or_default();
    let s = secs.rem_euclid(DAY);
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        s / 3600,
        (s % 3600) / 60,
        s % 60
    )
}

/// A duration for people: `3d 4h`, `5h 12m`, `40m`.
pub fn fmt_duration(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m) = (secs / DAY, (secs % DAY) / 3600, (secs % 3600) / 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else {
        format!("{m}m")
    }
}

type PortsMap = Rc<BTreeMap<String, (String, Oid)>>;

/// Walks HEAD's first-parent line, caching what it reads.
pub struct Scan<'g> {
    git: &'g Git,
    /// HEAD's first-parent line, newest first.
    line: Vec<Oid>,
    roots: HashMap<Oid, (Option<Oid>, Option<Oid>)>,
    ports: HashMap<Oid, PortsMap>,
    events: HashMap<Oid, Rc<Vec<(String, Oid)>>>,
    infos: HashMap<Oid, CommitInfo>,
}

fn is_year(name: &str) -> bool {
    name.len() == 4 && name.bytes().all(|b| b.is_ascii_digit())
}

impl<'g> Scan<'g> {
    /// Reads HEAD's first-parent line; `history::shallow` when it is cut off.
    pub fn new(git: &'g Git) -> Result<Scan<'g>, HistoryError> {
        git.require_history()?;
        let mut line = Vec::new();
        let mut commit = git.head()?;
        loop {
            line.push(commit.id());
            if commit.parent_count() == 0 {
                break;
            }
            commit = commit.parent(0)?;
        }
        Ok(Scan {
            git,
            line,
            roots: HashMap::new(),
            ports: HashMap::new(),
            events: HashMap::new(),
            infos: HashMap::new(),
        })
    }

    fn info(&mut self, id: Oid) -> Result<CommitInfo, HistoryError> {
        if let Some(info) = self.infos.get(&id) {
            return Ok(info.clone());
        }
        let info = self.git.commit_info(id)?;
        self.infos.insert(id, info.clone());
        Ok(info)
    }

    /// Port id -> (folder, tree id) at a commit.
    /// The ids of a commit's `ports/` tree and porting.toml, read once per commit.
    fn roots_of(&mut self, commit: Oid) -> Result<(Option<Oid>, Option<Oid>), HistoryError> {
        if let Some(roots) = self.roots.get(&commit) {
            return Ok(*roots);
        }
        let tree = self.git.repo.find_commit(commit)?.tree()?;
        let id = |rel: &str| {
            tree.get_path(Path::new(&format!("{}{rel}", self.git.prefix)))
                .ok()
                .map(|e| e.id())
        };
        let roots = (id(PORTS_DIR), id(POLICY_FILE));
        self.roots.insert(commit, roots);
        Ok(roots)
    }

    fn ports_at(&mut self, commit: Oid) -> Result<PortsMap, HistoryError> {
        let Some(ports_tree) = self.roots_of(commit)?.0 else {
            return Ok(Rc::default());
        };
        if let Some(map) = self.ports.get(&ports_tree) {
            return Ok(map.clone());
        }
        let repo = &self.git.repo;
        let mut map = BTreeMap::new();
        if let Ok(ports) = repo.find_tree(ports_tree) {
            for e in ports.iter() {
                let (Some(name), Some(ObjectType::Tree)) = (e.name().ok(), e.kind()) else {
                    continue;
                };
                if name.starts_with('.') {
                    continue;
                }
                let sub = repo.find_tree(e.id())?;
                if is_year(name) && sub.get_name("request.toml").is_none() {
                    for p in sub.iter() {
                        if let (Some(id), Some(ObjectType::Tree)) = (p.name().ok(), p.kind()) {
                            map.entry(id.to_owned())
                                .or_insert((format!("{PORTS_DIR}/{name}/{id}"), p.id()));
                        }
                    }
                } else {
                    map.entry(name.to_owned())
                        .or_insert((format!("{PORTS_DIR}/{name}"), e.id()));
                }
            }
        }
        let map = Rc::new(map);
        self.ports.insert(ports_tree, map.clone());
        Ok(map)
    }

    /// The event files (name, blob) of a port folder's tree.
    fn events_of(&mut self, port_tree: Oid) -> Result<Rc<Vec<(String, Oid)>>, HistoryError> {
        if let Some(list) = self.events.get(&port_tree) {
            return Ok(list.clone());
        }
        let repo = &self.git.repo;
        let mut list = Vec::new();
        let tree = repo.find_tree(port_tree)?;
        if let Some(events) = tree.get_name("events")
            && let Ok(events) = repo.find_tree(events.id())
        {
            for e in events.iter() {
                if let (Some(name), Some(ObjectType::Blob)) = (e.name().ok(), e.kind()) {
                    list.push((name.to_owned(), e.id()));
                }
            }
        }
        let list = Rc::new(list);
        self.events.insert(port_tree, list.clone());
        Ok(list)
    }

    /// Whether the port has the event at a commit: a file of the same name, or one with
    /// the same bytes under a name the port no longer uses (`current` are the names it
    /// uses now), so a sanctioned renumbering keeps its landing while two identical
    /// events keep their own.
    fn has_event(
        &mut self,
        commit: Oid,
        id: &str,
        (name, blob): (&str, Oid),
        current: &BTreeSet<String>,
    ) -> Result<bool, HistoryError> {
        let ports = self.ports_at(commit)?;
        let Some((_, tree)) = ports.get(id) else {
            return Ok(false);
        };
        let events = self.events_of(*tree)?;
        Ok(events
            .iter()
            .any(|(n, b)| n == name || (*b == blob && !current.contains(n))))
    }

    /// For each event (name, blob) of a port: the first commit of the unbroken run of
    /// first-parent commits, ending at HEAD, that contain it.
    fn landings(
        &mut self,
        id: &str,
        events: &[(String, Oid)],
        current: &BTreeSet<String>,
    ) -> Result<Vec<Option<Oid>>, HistoryError> {
        let mut landed: Vec<Option<Oid>> = vec![None; events.len()];
        let mut active: Vec<usize> = (0..events.len()).collect();
        let line = self.line.clone();
        for commit in line {
            if active.is_empty() {
                break;
            }
            let mut still = Vec::new();
            for i in active {
                let (name, blob) = &events[i];
                if self.has_event(commit, id, (name, *blob), current)? {
                    landed[i] = Some(commit);
                    still.push(i);
                }
            }
            active = still;
        }
        Ok(landed)
    }

    /// The commit that created an event file: on a merge, the oldest commit of the merged
    /// branch that has it; otherwise the landing commit itself.
    fn creator(
        &mut self,
        landing: Oid,
        id: &str,
        event: (&str, Oid),
        current: &BTreeSet<String>,
    ) -> Result<Oid, HistoryError> {
        let commit = self.git.repo.find_commit(landing)?;
        if commit.parent_count() < 2 {
            return Ok(landing);
        }
        let mut walk = self.git.repo.revwalk()?;
        walk.push(landing)?;
        walk.hide(commit.parent_id(0)?)?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
        for oid in walk {
            let oid = oid?;
            if oid != landing && self.has_event(oid, id, event, current)? {
                return Ok(oid);
            }
        }
        Ok(landing)
    }

    /// The stage of one port at every first-parent commit that changed it (or the policy),
    /// as periods, oldest first. A commit where the port is `invalid` keeps the stage before.
    fn periods(&mut self, id: &str, today: Date) -> Result<Vec<Period>, HistoryError> {
        let now = end_of(today);
        let mut marks: Vec<(Stage, Oid)> = Vec::new();
        let mut last_key: Option<(Oid, Option<Oid>)> = None;
        let line: Vec<Oid> = self.line.iter().rev().copied().collect();
        for commit in line {
            let ports = self.ports_at(commit)?;
            let Some((dir, tree)) = ports.get(id).cloned() else {
                last_key = None;
                continue;
            };
            let policy = self.roots_of(commit)?.1;
            let key = (tree, policy);
            if last_key == Some(key) {
                continue;
            }
            last_key = Some(key);
            let root = self.git.repo.find_commit(commit)?.tree()?;
            let Some(stage) = self.stage_at(&root, &dir, today) else {
                continue;
            };
            if stage != Stage::Invalid && marks.last().is_none_or(|(s, _)| *s != stage) {
                marks.push((stage, commit));
            }
        }
        let mut periods = Vec::new();
        for (i, (stage, commit)) in marks.iter().enumerate() {
            let from = self.info(*commit)?;
            let to = match marks.get(i + 1) {
                Some((_, next)) => Some(self.info(*next)?),
                None => None,
            };
            let end = to.as_ref().map_or(now, |t| t.time);
            periods.push(Period {
                stage: *stage,
                seconds: (end - from.time).max(0),
                from,
                to,
            });
        }
        Ok(periods)
    }

    /// The stage a port folder had in a commit's tree (`None` when it cannot be read).
    fn stage_at(&self, root: &git2::Tree<'_>, dir: &str, today: Date) -> Option<Stage> {
        let tree = GitTree::build(self.git, root, Some(dir)).ok()?;
        if !tree.has(POLICY_FILE) {
            return None;
        }
        let checked = check_tree(&tree, &[], today).ok()?;
        checked
            .reports
            .iter()
            .find(|r| r.dir == dir)
            .map(|r| r.stage)
    }

    /// The timeline of a port as it is on disk (`repo` is the checked working tree).
    pub fn timeline(
        &mut self,
        tree: &dyn Tree,
        repo: &Repo,
        report: &PortReport,
        today: Date,
    ) -> Result<PortTimeline, HistoryError> {
        let port = repo
            .ports
            .iter()
            .find(|p| p.dir == report.dir)
            .ok_or_else(|| HistoryError::UnknownPort(report.id.clone()))?;
        let (live, _) = resolve_voids(port);
        let live: BTreeSet<&str> = live.iter().map(|e| e.path()).collect();
        let keys: Vec<(String, Oid)> = port
            .events
            .iter()
            .map(|e| {
                let blob = tree
                    .read(&e.path, COMPARE_MAX_BYTES)
                    .ok()
                    .and_then(|b| Oid::hash_object(ObjectType::Blob, &b).ok())
                    .unwrap_or(Oid::ZERO_SHA1);
                (e.name.clone(), blob)
            })
            .collect();
        let current: BTreeSet<String> = keys.iter().map(|(n, _)| n.clone()).collect();
        let landings = self.landings(&port.id, &keys, &current)?;
        let mut events = Vec::new();
        let mut previous: Option<i64> = None;
        for ((file, (name, blob)), landing) in port.events.iter().zip(&keys).zip(landings) {
            let (landed, created) = match landing {
                Some(commit) => {
                    let creator = self.creator(commit, &port.id, (name, *blob), &current)?;
                    (Some(self.info(commit)?), Some(self.info(creator)?))
                }
                None => (None, None),
            };
            let on = file.loaded.as_ref().map(|l| l.value.on);
            let since_previous = match (&landed, previous) {
                (Some(l), Some(p)) => Some(l.time - p),
                _ => None,
            };
            if let Some(l) = &landed {
                previous = Some(l.time);
            }
            let on_to_landed_days = match (on, landed.as_ref().and_then(CommitInfo::local_date)) {
                (Some(on), Some(day)) => Some(day.days_since_epoch() - on.days_since_epoch()),
                _ => None,
            };
            events.push(EventLine {
                file: file.name.clone(),
                number: file.number,
                kind: file.name_kind,
                on,
                voided: file.loaded.is_some() && !live.contains(file.path.as_str()),
                landed,
                created,
                since_previous,
                on_to_landed_days,
            });
        }
        let periods = self.periods(&port.id, today)?;
        let uncommitted_stage = report.stage != Stage::Invalid
            && periods.last().is_some_and(|p| p.stage != report.stage);
        let channel = repo.policy.as_ref().and_then(|p| {
            let country = &port.request.as_ref()?.value.country;
            Some((p.value.country(country)?.channel, p.value.sla))
        });
        let sla = channel.and_then(|(channel, sla)| {
            let (kind, window) = match channel {
                Channel::SelfServe => (SlaKind::Domestic, sla.domestic),
                Channel::Assisted => (SlaKind::International, sla.international),
            };
            sla_clock(&periods, kind, window)
        });
        Ok(PortTimeline {
            id: port.id.clone(),
            dir: port.dir.clone(),
            stage: report.stage,
            events,
            periods,
            uncommitted_stage,
            sla,
        })
    }

    /// The port's request and the policy as they were at a commit.
    fn request_at(
        &mut self,
        commit: Oid,
        id: &str,
    ) -> Result<Option<(LoaData, String)>, HistoryError> {
        let ports = self.ports_at(commit)?;
        let Some((dir, _)) = ports.get(id).cloned() else {
            return Ok(None);
        };
        let root = self.git.repo.find_commit(commit)?.tree()?;
        let tree = GitTree::build(self.git, &root, Some(&dir))?;
        if !tree.has(POLICY_FILE) {
            return Ok(None);
        }
        let repo = Repo::load(&tree)?;
        let (Some(policy), Some(port)) = (&repo.policy, repo.ports.iter().find(|p| p.id == id))
        else {
            return Ok(None);
        };
        Ok(port
            .request
            .as_ref()
            .map(|r| (LoaData::new(&policy.value, id, &r.value), dir.clone())))
    }
}

/// The SLA clock from a port's periods: starts at the first submission, pauses while
/// rejected, stops at completion; none before submission or once cancelled.
fn sla_clock(periods: &[Period], kind: SlaKind, window: [u32; 2]) -> Option<SlaClock> {
    let start = periods.iter().position(|p| p.stage.is_after_submission())?;
    let mut elapsed = 0;
    let mut paused = 0;
    let mut completed = false;
    for p in &periods[start..] {
        match p.stage {
            Stage::Completed => {
                completed = true;
                break;
            }
            Stage::Cancelled => return None,
            Stage::Rejected => paused += p.seconds,
            _ => elapsed += p.seconds,
        }
    }
    let over = elapsed > i64::from(window[1]) * DAY;
    let rejected_now = periods.last().is_some_and(|p| p.stage == Stage::Rejected);
    let state = match (completed, over) {
        (true, false) => SlaState::Met,
        (true, true) => SlaState::Late,
        (false, true) => SlaState::Overdue,
        (false, false) if rejected_now => SlaState::Paused,
        (false, false) => SlaState::Running,
    };
    Some(SlaClock {
        kind,
        window,
        started: periods[start].from.clone(),
        elapsed,
        paused,
        state,
    })
}

// ── Commands ─────────────────────────────────────────────────────────────────

fn working(env: &Environment) -> Result<(WorkTree, Checked), HistoryError> {
    let tree = WorkTree::discover(&env.cwd)?;
    let checked = check_tree(&tree, &[], env.today)?;
    Ok((tree, checked))
}

/// The timeline of every port, in the order `status` lists them.
pub fn timelines(
    git: &Git,
    tree: &WorkTree,
    checked: &Checked,
    today: Date,
) -> Result<Vec<PortTimeline>, HistoryError> {
    let mut scan = Scan::new(git)?;
    checked
        .reports
        .iter()
        .map(|r| scan.timeline(tree, &checked.repo, r, today))
        .collect()
}

/// Times for `status`, by port folder, and a note for standard error. Without git there
/// are no times and no note; with a shallow clone or a git failure the note says why.
pub fn status_times(
    tree: &WorkTree,
    checked: &Checked,
    today: Date,
) -> (BTreeMap<String, status::Times>, String) {
    let result = Git::open(&tree.root).and_then(|git| timelines(&git, tree, checked, today));
    match result {
        Ok(lines) => (
            lines
                .iter()
                .map(|t| (t.dir.clone(), status::Times::of(t)))
                .collect(),
            String::new(),
        ),
        Err(HistoryError::NotGit(_) | HistoryError::NoCommits) => (BTreeMap::new(), String::new()),
        Err(err) => (
            BTreeMap::new(),
            format!("note: no times in stage or SLA clocks: {err}\n"),
        ),
    }
}

/// Runs `portflow history <port>`.
pub fn run_history(
    port: &str,
    format: HistoryFormat,
    env: &Environment,
) -> Result<Output, HistoryError> {
    let (tree, checked) = working(env)?;
    let wanted = port.trim_end_matches('/');
    let report = checked
        .reports
        .iter()
        .find(|r| r.id == wanted || r.dir == wanted)
        .ok_or_else(|| HistoryError::UnknownPort(port.to_owned()))?;
    let git = Git::open(&tree.root)?;
    let mut scan = Scan::new(&git)?;
    let line = scan.timeline(&tree, &checked.repo, report, env.today)?;
    let stdout = match format {
        HistoryFormat::Table => timeline::table(&line),
        HistoryFormat::Json => timeline::json(&line),
    };
    Ok(Output {
        stdout,
        stderr: String::new(),
        exit: Exit::Clean,
    })
}

/// Runs `portflow report`.
pub fn run_report(format: ReportFormat, env: &Environment) -> Result<Output, HistoryError> {
    let (tree, checked) = working(env)?;
    let git = Git::open(&tree.root)?;
    let lines = timelines(&git, &tree, &checked, env.today)?;
    let facts: Vec<analytics::PortFacts<'_>> = lines
        .iter()
        .map(|line| {
            let port = checked.repo.ports.iter().find(|p| p.dir == line.dir);
            let mut facts = analytics::PortFacts {
                timeline: line,
                country: port
                    .and_then(|p| p.request.as_ref())
                    .map(|r| r.value.country.clone()),
                rejection_codes: Vec::new(),
                foc: None,
            };
            if let Some(port) = port {
                let (live, _) = resolve_voids(port);
                for e in live {
                    match &e.event.body {
                        EventBody::Rejected { reasons, .. } => facts
                            .rejection_codes
                            .extend(reasons.iter().map(|r| r.code.clone())),
                        EventBody::Scheduled { foc, .. } => facts.foc = Some(*foc),
                        _ => {}
                    }
                }
            }
            facts
        })
        .collect();
    let data = analytics::Analytics::compute(&facts, env.today);
    let stdout = match format {
        ReportFormat::Md => analytics::markdown(&data),
        ReportFormat::Json => analytics::json(&data),
        ReportFormat::Csv => analytics::csv(&data),
    };
    Ok(Output {
        stdout,
        stderr: String::new(),
        exit: Exit::Clean,
    })
}

/// Runs `portflow summary --base REF`: Markdown for the pull request.
pub fn run_summary(rev: &str, env: &Environment) -> Result<Output, HistoryError> {
    let tree = WorkTree::discover(&env.cwd)?;
    let git = Git::open(&tree.root)?;
    let pr = PullRequest::open(&git, &tree, rev, HeadKind::WorkTree, &[], env.today)?;
    let summary = pr.summary()?;
    Ok(Output {
        stdout: markdown::render(&summary),
        stderr: String::new(),
        exit: Exit::Clean,
    })
}

/// Document codes that make a submission's proof of ownership doubtful.
const PROOF_CODES: [Code; 8] = [
    Code::DocumentStale,
    Code::DocumentNoProof,
    Code::DocumentMissing,
    Code::DocumentBadType,
    Code::DocumentTooLarge,
    Code::DocumentLfsPointer,
    Code::DocumentOutsidePort,
    Code::DocumentScreenshotNotAllowed,
];

impl PullRequest<'_> {
    /// What changed, for the pull request's reviewers.
    pub fn summary(&self) -> Result<markdown::Summary, HistoryError> {
        let mut scan = Scan::new(self.git)?;
        let head = &self.head;
        let policy = head.repo.policy.as_ref().map(|p| &p.value);
        let mut ports = Vec::new();
        for id in &self.changed_ports {
            let hport = head.repo.ports.iter().find(|p| &p.id == id);
            let base = self.base.as_ref();
            let bport = base.and_then(|b| b.repo.ports.iter().find(|p| &p.id == id));
            let before = match (base, bport) {
                (Some(b), Some(p)) => Some(stage_of(&b.reports, &p.dir)),
                _ => None,
            };
            let report = hport.and_then(|p| head.reports.iter().find(|r| r.dir == p.dir));
            let dir = hport.or(bport).map_or_else(String::new, |p| p.dir.clone());
            let in_port = |f: &&Finding| {
                let file = f.file.to_string_lossy();
                file == dir
                    || file.starts_with(&format!("{dir}/"))
                    || bport
                        .is_some_and(|b| file == b.dir || file.starts_with(&format!("{}/", b.dir)))
            };
            let findings: Vec<&Finding> = head.findings.iter().filter(in_port).collect();
            let counts = Counts::of(findings.iter().copied());
            let mut changed = markdown::ChangedPort {
                id: id.clone(),
                dir: dir.clone(),
                before,
                after: report.map(|r| r.stage),
                new_events: Vec::new(),
                loa: None,
                checklists: Vec::new(),
                errors: counts.errors,
                warnings: counts.warnings,
            };
            if let (Some(hport), Some(report)) = (hport, report) {
                let base_events: Vec<&EventFile> =
                    bport.map(|b| b.events.iter().collect()).unwrap_or_default();
                for e in &hport.events {
                    if base_events.iter().any(|b| b.name == e.name) {
                        continue;
                    }
                    let renumbered_from = base_events
                        .iter()
                        .find(|b| {
                            matches!(
                                (self.base_tree.id(&b.path), self.head_files.id(&e.path)),
                                (Some(x), Some(y)) if x == y
                            )
                        })
                        .map(|b| b.name.clone());
                    changed.new_events.push(new_event(e, renumbered_from));
                }
                if let (Some(request), Some(policy)) = (&hport.request, policy) {
                    changed.loa = self.loa_since_signing(&mut scan, hport, report, policy)?;
                    let codes: BTreeSet<Code> = findings.iter().map(|f| f.code).collect();
                    for e in &changed.new_events {
                        if e.kind == Some(EventKind::Submitted) && e.renumbered_from.is_none() {
                            changed.checklists.push(checklist(
                                e,
                                &request.value,
                                report,
                                &changed.loa,
                                &codes,
                                policy,
                            ));
                        }
                    }
                }
            }
            ports.push(changed);
        }
        let count = |blocking: bool, severity: Severity| {
            head.findings
                .iter()
                .filter(|f| f.severity == severity && (!blocking || f.blocking))
                .count()
        };
        let sources: BTreeMap<String, &crate::source::SourceFile> = head
            .repo
            .sources
            .iter()
            .map(|(k, v)| (k.clone(), v))
            .collect();
        let findings = head
            .findings
            .iter()
            .map(|f| {
                let file = f.file.to_string_lossy().into_owned();
                let line = sources.get(&file).map_or(1, |s| s.line_col(f.span.start).0);
                markdown::FindingLine {
                    code: f.code.as_str(),
                    severity: f.severity,
                    blocking: f.blocking,
                    file,
                    line,
                    message: f.message.clone(),
                }
            })
            .collect();
        Ok(markdown::Summary {
            base_ref: self.base_ref.clone(),
            base_commit: self.base_commit.to_string(),
            policy_changed: self.changed_files.contains(POLICY_FILE),
            ports,
            errors: count(false, Severity::Error),
            warnings: count(false, Severity::Warning),
            blocking_errors: count(true, Severity::Error),
            blocking_warnings: count(true, Severity::Warning),
            findings,
        })
    }

    /// The committed LOA data whose digest is `loa_digest`, searched from `start` back along
    /// first parents (a bounded walk: signatures are recent).
    fn signed_data(
        &self,
        scan: &mut Scan<'_>,
        start: Oid,
        id: &str,
        loa_digest: &str,
    ) -> Result<Option<LoaData>, HistoryError> {
        let mut commit = self.git.repo.find_commit(start)?;
        for _ in 0..SIGNED_SEARCH_DEPTH {
            if let Some((data, _)) = scan.request_at(commit.id(), id)?
                && digest::digest(&data) == loa_digest
            {
                return Ok(Some(data));
            }
            match commit.parent(0) {
                Ok(parent) => commit = parent,
                Err(_) => break,
            }
        }
        Ok(None)
    }

    /// The LOA fields changed since the commit that brought the latest live signature.
    fn loa_since_signing(
        &self,
        scan: &mut Scan<'_>,
        hport: &Port,
        report: &PortReport,
        policy: &Policy,
    ) -> Result<Option<markdown::LoaSinceSigning>, HistoryError> {
        let Some(request) = &hport.request else {
            return Ok(None);
        };
        let (live, _) = resolve_voids(hport);
        let Some(signed) = live
            .iter()
            .rev()
            .find(|e| e.event.kind() == EventKind::Signed)
        else {
            return Ok(None);
        };
        let blob = self.head_files.id(signed.path()).unwrap_or(Oid::ZERO_SHA1);
        let current: BTreeSet<String> = hport.events.iter().map(|e| e.name.clone()).collect();
        let landing = scan.landings(&hport.id, &[(signed.file.name.clone(), blob)], &current)?;
        let now = LoaData::new(policy, &hport.id, &request.value);
        let EventBody::Signed { loa_digest, .. } = &signed.event.body else {
            return Ok(None);
        };
        let landed = landing.first().copied().flatten();
        // The reference is the LOA data whose digest the signature records, not whatever the
        // files held when the signature landed (the LOA may have been edited in that commit).
        let changes = if digest::digest(&now) == *loa_digest {
            Some(Vec::new())
        } else {
            let start = match landed {
                Some(commit) => Some(commit),
                None => self.git.head().ok().map(|c| c.id()),
            };
            match start {
                Some(start) => self
                    .signed_data(scan, start, &hport.id, loa_digest)?
                    .map(|data| loa_changes(&data, &now)),
                None => None,
            }
        };
        let commit = landed.map(|c| c.to_string());
        Ok(Some(markdown::LoaSinceSigning {
            event: signed.file.name.clone(),
            on: signed.event.on,
            commit,
            changes,
            covers_current: report.fold.as_ref().is_some_and(|f| f.signed_current),
        }))
    }
}

fn new_event(file: &EventFile, renumbered_from: Option<String>) -> markdown::NewEvent {
    let event = file.loaded.as_ref().map(|l| &l.value);
    let detail = event.map_or_else(
        || "does not parse or fails its schema".to_owned(),
        |e| match &e.body {
            EventBody::Signed { signer, method, .. } => {
                format!("signed by {signer} ({})", method.as_str())
            }
            EventBody::Submitted {
                carrier,
                requested_foc,
                ..
            } => format!("to {carrier}, requested FOC {requested_foc}"),
            EventBody::Rejected { reasons, .. } => {
                let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
                format!("reasons: {}", codes.join(", "))
            }
            EventBody::Scheduled { foc, .. } => format!("FOC {foc}"),
            EventBody::Completed { numbers } => match numbers {
                Some(n) => format!("{} numbers", n.len()),
                None => "all numbers".to_owned(),
            },
            EventBody::Cancelled { reason } => reason.clone(),
            EventBody::Void { voids, reason } => format!("voids {voids}: {reason}"),
        },
    );
    markdown::NewEvent {
        file: file.name.clone(),
        kind: file.name_kind,
        on: event.map(|e| e.on),
        by: event.map(|e| e.by.clone()),
        detail,
        renumbered_from,
    }
}

fn checklist(
    event: &markdown::NewEvent,
    request: &crate::model::request::Request,
    report: &PortReport,
    loa: &Option<markdown::LoaSinceSigning>,
    codes: &BTreeSet<Code>,
    policy: &Policy,
) -> markdown::Checklist {
    use crate::model::request::DocumentKind;
    let mut items = Vec::new();
    let signed_current = report.fold.as_ref().is_some_and(|f| f.signed_current)
        && !codes.contains(&Code::EventStaleSignature);
    items.push(markdown::CheckItem {
        ok: signed_current,
        label: "signature current",
        detail: match (signed_current, loa) {
            (true, Some(l)) => format!(
                "`{}` (signed {}) covers the current LOA data",
                l.event, l.on
            ),
            (true, None) => "a signature covers the current LOA data".to_owned(),
            (false, _) => {
                "no `signed` event covers the current LOA data: have the LOA signed again"
                    .to_owned()
            }
        },
    });
    let bad: Vec<&str> = PROOF_CODES
        .iter()
        .filter(|c| codes.contains(c))
        .map(|c| c.as_str())
        .collect();
    let submitted_on = event.on;
    let proofs: Vec<String> = request
        .documents
        .iter()
        .filter(|d| {
            matches!(
                d.kind,
                DocumentKind::Bill | DocumentKind::Receipt | DocumentKind::TrackingScreenshot
            )
        })
        .map(|d| match (d.dated, submitted_on) {
            (Some(dated), Some(on)) => format!(
                "{} `{}` dated {dated}, {} days before the submission",
                d.kind.as_str(),
                d.path,
                on.days_since_epoch() - dated.days_since_epoch()
            ),
            _ => format!("{} `{}`", d.kind.as_str(), d.path),
        })
        .collect();
    items.push(markdown::CheckItem {
        ok: bad.is_empty() && !proofs.is_empty(),
        label: "proof fresh",
        detail: if bad.is_empty() {
            if proofs.is_empty() {
                "no proof of ownership listed".to_owned()
            } else {
                proofs.join("; ")
            }
        } else {
            format!("see the findings: `{}`", bad.join("`, `"))
        },
    });
    let csr_bad = codes.contains(&Code::LoaCsrMismatch) || codes.contains(&Code::LoaPortType);
    items.push(markdown::CheckItem {
        ok: request.csr.is_some() && !csr_bad,
        label: "CSR matched",
        detail: match (&request.csr, csr_bad) {
            (None, _) => "no `[csr]` in the request: compare the LOA with the losing carrier's records by hand".to_owned(),
            (Some(_), true) => "the LOA data differs from the CSR: see `loa::csr-mismatch` / `loa::port-type`".to_owned(),
            (Some(_), false) => "the LOA data matches the CSR".to_owned(),
        },
    });
    let country = policy.country(&request.country);
    let fee = match country {
        Some(c) if c.channel == Channel::Assisted && c.has_fee() => {
            let total = c.fee_per_number.unwrap_or_default() * request.numbers.len() as f64;
            let currency = c.currency.clone().unwrap_or_default();
            match (&request.fee, codes.contains(&Code::CountryFeeNotAccepted)) {
                (Some(f), false) => markdown::CheckItem {
                    ok: true,
                    label: "fee accepted",
                    detail: format!(
                        "{total:.2} {currency} for {} numbers, accepted by {} on {}",
                        request.numbers.len(),
                        f.accepted_by,
                        f.accepted_on
                    ),
                },
                _ => markdown::CheckItem {
                    ok: false,
                    label: "fee accepted",
                    detail: format!(
                        "{total:.2} {currency} for {} numbers, not accepted by the customer (`[fee]`)",
                        request.numbers.len()
                    ),
                },
            }
        }
        Some(c) if c.channel == Channel::Assisted => markdown::CheckItem {
            ok: true,
            label: "fee accepted",
            detail: format!("no fee for {} (assisted)", c.code),
        },
        Some(c) => markdown::CheckItem {
            ok: true,
            label: "fee accepted",
            detail: format!("not applicable: {} is self-serve and free", c.code),
        },
        None => markdown::CheckItem {
            ok: false,
            label: "fee accepted",
            detail: format!("`{}` is not configured in porting.toml", request.country),
        },
    };
    items.push(fee);
    markdown::Checklist {
        event: event.file.clone(),
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(time: i64) -> CommitInfo {
        CommitInfo {
            id: format!("{time:040x}"),
            time,
            offset_minutes: 0,
            author: Person {
                name: "Ana Souza".to_owned(),
                email: "ana.souza@example.com".to_owned(),
            },
        }
    }

    /// Periods from (stage, start day) marks, the last one lasting until `now_day`.
    fn periods(marks: &[(Stage, i64)], now_day: i64) -> Vec<Period> {
        marks
            .iter()
            .enumerate()
            .map(|(i, (stage, day))| {
                let end = marks.get(i + 1).map_or(now_day, |(_, d)| *d);
                Period {
                    stage: *stage,
                    from: info(day * DAY),
                    to: marks.get(i + 1).map(|(_, d)| info(d * DAY)),
                    seconds: (end - day) * DAY,
                }
            })
            .collect()
    }

    #[test]
    fn sla_clock_pauses_while_rejected_and_stops_at_completion() {
        let marks = [
            (Stage::Ready, 0),
            (Stage::Submitted, 2),
            (Stage::Rejected, 10),
            (Stage::Submitted, 30),
            (Stage::Completed, 40),
        ];
        let clock = sla_clock(&periods(&marks, 100), SlaKind::Domestic, [14, 28]).unwrap();
        assert_eq!(clock.elapsed_days(), 18);
        assert_eq!(clock.paused, 20 * DAY);
        assert_eq!(clock.state, SlaState::Met);
        assert_eq!(clock.started.time, 2 * DAY);

        let open = sla_clock(&periods(&marks[..4], 50), SlaKind::Domestic, [14, 28]).unwrap();
        assert_eq!(open.elapsed_days(), 28);
        assert_eq!(open.state, SlaState::Running);
        // One second past the window's end is overdue.
        let mut over = periods(&marks[..4], 50);
        over[3].seconds += 1;
        let over = sla_clock(&over, SlaKind::Domestic, [14, 28]).unwrap();
        assert_eq!(over.state, SlaState::Overdue);
        assert!(over.overdue());

        let paused = sla_clock(&periods(&marks[..3], 50), SlaKind::Domestic, [14, 28]).unwrap();
        assert_eq!(paused.state, SlaState::Paused);
    }

    #[test]
    fn no_sla_clock_before_submission_or_once_cancelled() {
        let before = periods(&[(Stage::Draft, 0), (Stage::Ready, 3)], 60);
        assert!(sla_clock(&before, SlaKind::Domestic, [14, 28]).is_none());
        let cancelled = periods(&[(Stage::Submitted, 0), (Stage::Cancelled, 3)], 60);
        assert!(sla_clock(&cancelled, SlaKind::Domestic, [14, 28]).is_none());
    }

    #[test]
    fn directive_lines_are_ignored_only_for_the_comparison() {
        let a = b"# note\n#:schema ../../../schemas/event.schema.json\nkind = \"void\"\n";
        let b = b"# note\n#:schema ../../../../schemas/event.schema.json\nkind = \"void\"\n";
        assert_eq!(without_directive(a), without_directive(b));
        assert_ne!(
            without_directive(a),
            without_directive(b"kind = \"void\"\n# x\n")
        );
    }

    #[test]
    fn times_and_durations_print_for_people() {
        assert_eq!(
            fmt_utc(1_795_132_800 + 14 * 3600 + 3 * 60),
            "2026-11-20T14:03:00Z"
        );
        assert_eq!(fmt_duration(3 * DAY + 4 * 3600 + 59), "3d 4h");
        assert_eq!(fmt_duration(5 * 3600 + 12 * 60), "5h 12m");
        assert_eq!(fmt_duration(-5), "0m");
        assert_eq!(end_of(Date::new(2026, 11, 25).unwrap()), 1_795_651_200);
    }

    #[test]
    fn field_pointers_follow_the_request_layout() {
        let change = |field: &str| FieldChange {
            field: field.to_owned(),
            before: None,
            after: None,
        };
        assert_eq!(
            change("end_user.service_address.street").pointer(),
            "/end_user/service_address/street"
        );
        assert_eq!(change("organization.name").pointer(), "");
    }
}
