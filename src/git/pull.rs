//! A pull request: the head side (working tree or staged index) checked against the
//! merge base of a revision and HEAD, with the history rules run and every finding marked
//! blocking or not.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use git2::{Commit, ObjectType, Oid};

use super::COMPARE_MAX_BYTES;
use super::past::GitPast;
use super::tree::{GitTree, IndexTree};
use super::work::ListedWork;
use super::{Git, GitError, HeadKind};
use crate::diag::{self, Code, Finding, Severity};
use crate::engine::verdicts::{self, Verdicts};
use crate::engine::{Checked, Reuse, Scope, check_tree_with};
use crate::model::Date;
use crate::repo::{POLICY_FILE, Tree, WorkTree};
use crate::rules::history::{self, Contents, Side};

/// `check --staged` without a base: the index, checked like a working tree.
pub fn check_staged(work: &WorkTree, scope: &Scope, today: Date) -> Result<Checked, GitError> {
    let git = Git::open(&work.root)?;
    let index = IndexTree::of_index(&git)?;
    // What is staged is the change: everything in HEAD is recorded.
    let head = git.head().ok();
    let past = GitPast::before(&git, head.as_ref().map(Commit::id));
    let content = match &head {
        Some(head) => git
            .changed_paths(head, HeadKind::Index)
            .map(|changed| git.unchanged_ports(head, HeadKind::Index, &changed))
            .unwrap_or_default(),
        None => HashMap::new(),
    };
    let mut verdicts = verdicts::load(git.repo.commondir());
    let checked = check_tree_with(
        &index,
        scope,
        today,
        &past,
        Some(Reuse {
            content: &content,
            verdicts: &mut verdicts,
            read: &|_| false,
            batches: true,
        }),
    )?;
    past.save();
    verdicts.save();
    Ok(checked)
}

/// `check --base REF` (with `--staged`, the index instead of the working tree).
pub fn check_base(
    work: &WorkTree,
    rev: &str,
    head: HeadKind,
    scope: &Scope,
    today: Date,
) -> Result<Checked, GitError> {
    let git = Git::open(&work.root)?;
    let pr = PullRequest::open(&git, work, rev, head, scope, today, true)?;
    Ok(pr.head)
}

// ── Pull requests ────────────────────────────────────────────────────────────

/// A change measured against its base: both sides checked, history rules run, and every
/// finding marked blocking or not.
pub struct PullRequest<'g> {
    pub(crate) git: &'g Git,
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
    pub(crate) base_tree: GitTree<'g>,
    pub(crate) head_files: HeadFiles<'g>,
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

/// The head side's files, for comparing them with the base by blob id.
pub(crate) enum HeadFiles<'g> {
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
    pub(crate) fn id(&self, path: &str) -> Option<Oid> {
        match self {
            HeadFiles::Index(tree) => tree.id(path),
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
    pub(crate) fn read(&self, path: &str) -> Option<Vec<u8>> {
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

impl<'g> PullRequest<'g> {
    /// Checks the head side against the merge base of `rev` and HEAD. With `reuse`, the
    /// ports the change does not touch are judged from the verdict cache when it has them
    /// (both sides' repos then lack them): for a check, not for a summary of every port.
    pub fn open(
        git: &'g Git,
        work: &WorkTree,
        rev: &str,
        head_kind: HeadKind,
        scope: &Scope,
        today: Date,
        reuse: bool,
    ) -> Result<PullRequest<'g>, GitError> {
        git.require_history()?;
        let base_commit = git.base_of(rev)?;
        let base_tree = GitTree::of_commit(git, &base_commit)?;
        // The change is what the base lacks: events in the base are recorded facts.
        let past = GitPast::before(git, Some(base_commit.id()));
        // For a check of the working tree, one listing serves both the comparison with
        // the base (from the index's stat data) and the check.
        let listed = match (reuse, head_kind) {
            (true, HeadKind::WorkTree) => Some(ListedWork {
                work,
                listing: git.listing(work)?,
            }),
            _ => None,
        };
        let quick = match &listed {
            Some(listed) => git.work_changes(&base_commit, work, &listed.listing)?,
            None => None,
        };
        let changed_files = match quick {
            Some(changed) => changed,
            None => git.changed_paths(&base_commit, head_kind)?,
        };
        // The ports the change does not touch have the base's files on both sides.
        let content = if reuse {
            git.unchanged_ports(&base_commit, head_kind, &changed_files)
        } else {
            HashMap::new()
        };
        let mut verdicts = if reuse {
            verdicts::load(git.repo.commondir())
        } else {
            Verdicts::none()
        };
        let mut check = |tree: &dyn Tree, scope: &Scope| {
            check_tree_with(
                tree,
                scope,
                today,
                &past,
                reuse.then_some(Reuse {
                    content: &content,
                    verdicts: &mut verdicts,
                    read: &|_| false,
                    batches: true,
                }),
            )
        };
        let base = if base_tree.has(POLICY_FILE) {
            Some(check(&base_tree, &Scope::all())?)
        } else {
            None
        };
        let (mut head, files) = match head_kind {
            HeadKind::WorkTree => (
                match &listed {
                    Some(listed) => check(listed, scope)?,
                    None => check(work, scope)?,
                },
                HeadFiles::Work {
                    root: work.root.clone(),
                    autocrlf: git.autocrlf(),
                    changed: changed_files.clone(),
                    base: base_tree.ids(),
                },
            ),
            HeadKind::Index => {
                let index = IndexTree::of_index(git)?;
                (check(&index, scope)?, HeadFiles::Index(index))
            }
        };
        past.save();
        verdicts.save();

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
            Some(base) => history::check(
                Side {
                    repo: &base.repo,
                    reports: &base.reports,
                },
                Side {
                    repo: &head.repo,
                    reports: &head.reports,
                },
                &Sides {
                    base: &base_tree,
                    head: &files,
                },
                rev,
            ),
            None => Vec::new(),
        };
        history.retain(|f| scope.contains(&f.file.to_string_lossy()));

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
        // The history rule says it with the base at hand; the event rule's word on the
        // same request (LOA data changed since the submission) would repeat it.
        let compared: HashSet<PathBuf> = history
            .iter()
            .filter(|f| f.code == Code::HistoryLoaChanged)
            .map(|f| f.file.clone())
            .collect();
        head.findings
            .retain(|f| !(f.code == Code::HistoryLoaChanged && compared.contains(&f.file)));
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

/// Both sides of a change, for the history rules.
struct Sides<'a, 'g> {
    base: &'a GitTree<'g>,
    head: &'a HeadFiles<'g>,
}

impl Contents for Sides<'_, '_> {
    fn same(&self, base_path: &str, head_path: &str) -> bool {
        match (self.base.id(base_path), self.head.id(head_path)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }

    fn base_bytes(&self, path: &str) -> Option<Vec<u8>> {
        self.base.read(path, COMPARE_MAX_BYTES).ok()
    }

    fn head_bytes(&self, path: &str) -> Option<Vec<u8>> {
        self.head.read(path)
    }
}
