//! A pull request: the head side (working tree or staged index) checked against the
//! merge base of a revision and HEAD, with the history rules run and every finding marked
//! blocking or not.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use git2::{Commit, ObjectType, Oid};

use super::COMPARE_MAX_BYTES;
use super::past::GitPast;
use super::tree::{GitTree, IndexTree};
use super::work::ListedWork;
use super::{Git, GitError, HeadKind};
use crate::diag::{self, Code, Finding, Severity};
use crate::engine::verdicts::{self, Verdicts};
use crate::engine::{Checked, Reuse, Scope, check_tree_with, open_in_path_order};
use crate::model::Date;
use crate::repo::{POLICY_FILE, PORTS_DIR, Tree, WorkTree, is_year_folder};
use crate::rules::history::{self, Contents, Side};
use crate::rules::numbers::{self, Holder};

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
            each_batch: None,
        }),
    )?;
    past.save();
    verdicts::save(verdicts);
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
    /// The base checked (`None` when the base has no porting.toml yet): all of it, or for
    /// a check that reuses verdicts only the folders [`narrow_base`] reads.
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
    /// (the head's repo then lacks them) and the base is read only where the head was
    /// (unless porting.toml or a schema copy changed): for a check, not for a summary of
    /// every port.
    pub fn open(
        git: &'g Git,
        work: &WorkTree,
        rev: &str,
        head_kind: HeadKind,
        scope: &Scope,
        today: Date,
        reuse: bool,
    ) -> Result<PullRequest<'g>, GitError> {
        // The ports read on either side have numbers to check: a thread of its own reads the
        // readings remembered (or, without them, loads the numbering plan) while git is read
        // and the working tree listed. The readings are remembered where the verdict cache
        // is, which is loaded later.
        if reuse {
            crate::numbering::remember_in(git.repo.commondir());
        }
        let _ = std::thread::Builder::new().spawn(crate::numbering::prepare);
        git.require_history()?;
        let base_commit = git.base_of(rev)?;
        let base_root = base_commit.tree()?;
        // The change is what the base lacks: events in the base are recorded facts.
        let past = GitPast::before(git, Some(base_commit.id()));
        // For a check of the working tree, one listing serves both the comparison with
        // the base (from the index's stat data) and the check.
        // The index is read while the working tree is listed.
        let listed = match (reuse, head_kind) {
            (true, HeadKind::WorkTree) => {
                let index = git.read_index_ahead();
                Some((
                    ListedWork {
                        work,
                        listing: git.listing(work)?,
                    },
                    index,
                ))
            }
            _ => None,
        };
        let (listed, quick) = match listed {
            Some((listed, index)) => {
                let quick = git.work_changes(&base_commit, work, &listed.listing, index)?;
                (Some(listed), quick)
            }
            None => (None, None),
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
                    each_batch: None,
                }),
            )
        };
        // A check reads of the base only the folders it needs (see `narrow_base`), unless
        // porting.toml or a schema copy changed: then every port may be judged otherwise.
        let narrow = reuse
            && !changed_files
                .iter()
                .any(|p| p == POLICY_FILE || p.starts_with("schemas/"));
        let (mut base_tree, mut base) = (None, None);
        if !narrow {
            let tree = GitTree::build(git, &base_root, None)?;
            if tree.has(POLICY_FILE) {
                base = Some(check(&tree, &Scope::all())?);
            }
            base_tree = Some(tree);
        }
        let (mut head, index) = match head_kind {
            HeadKind::WorkTree => (
                match &listed {
                    Some(listed) => check(listed, scope)?,
                    None => check(work, scope)?,
                },
                None,
            ),
            HeadKind::Index => {
                let index = IndexTree::of_index(git)?;
                (check(&index, scope)?, Some(index))
            }
        };
        let base_tree = match base_tree {
            Some(tree) => tree,
            None => {
                let (tree, checked) =
                    narrow_base(git, &base_root, &head, &changed_files, &past, today)?;
                base = checked;
                tree
            }
        };
        let files = match index {
            Some(index) => HeadFiles::Index(index),
            None => HeadFiles::Work {
                root: work.root.clone(),
                autocrlf: git.autocrlf(),
                changed: changed_files.clone(),
                base: base_tree.ids(),
            },
        };
        past.save();
        verdicts::save(verdicts);

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
            let port = head.repo.port_for_file(&file);
            let in_port = port.is_some();
            let touched = match port {
                Some(port) => changed_ports.contains(&port.id),
                None => changed_files
                    .iter()
                    .any(|c| *c == file || c.starts_with(&format!("{file}/"))),
            };
            // Narrowed, the base was read only in ports: a file under ports/ outside every
            // port (a stray folder, a link) that the change does not touch is the base's.
            let outside_ports = narrow && file.starts_with("ports/") && !in_port;
            f.blocking =
                policy_changed || touched || !(outside_ports || on_base.contains(&key_of(f)));
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

/// The base of a check, read only where the head was: the folders of the base that the
/// change touches and those of every port the head's check read (the ports with findings,
/// or sharing a number, whose verdicts were not taken from the cache). Each other port is
/// the same on both sides and was judged from its verdict, without findings; its numbers,
/// the head's, join the rule across ports, which is judged again over the base's open
/// ports. So every finding of the head in a port it does not touch is found here exactly
/// when a check of the whole base finds it. `None` for the check when the base has no
/// porting.toml.
fn narrow_base<'g>(
    git: &'g Git,
    root: &git2::Tree<'_>,
    head: &Checked,
    changed: &BTreeSet<String>,
    past: &GitPast<'_>,
    today: Date,
) -> Result<(GitTree<'g>, Option<Checked>), GitError> {
    let mut folders: BTreeSet<String> = head.repo.ports.iter().map(|p| p.dir.clone()).collect();
    folders.extend(
        changed
            .iter()
            .filter_map(|path| base_folder(git, root, path)),
    );
    let tree = GitTree::of_folders(git, root, &folders)?;
    if !tree.has(POLICY_FILE) {
        return Ok((tree, None));
    }
    let mut base = check_tree_with(&tree, &Scope::all(), today, past, None)?;
    // The ports read here and the head's cached ones are apart: a cached port is neither
    // touched by the change nor read by the head's check.
    let open: Vec<Holder> = open_in_path_order(&base.holders, &head.cached)
        .into_iter()
        .map(|(_, h)| h.clone())
        .collect();
    let mut across = Vec::new();
    numbers::check_across(&open, &mut across);
    base.findings.retain(|f| f.code != Code::NumberInOtherPort);
    base.findings.extend(across);
    Ok((tree, Some(base)))
}

/// The folder of the base that holds `path` when it is under ports/: the port folder
/// (`ports/<id>` or `ports/<year>/<id>`), or the stray folder it is in.
fn base_folder(git: &Git, root: &git2::Tree<'_>, path: &str) -> Option<String> {
    let mut parts = path.split('/');
    if parts.next() != Some(PORTS_DIR) {
        return None;
    }
    let (top, below) = (parts.next()?, parts.next()?);
    let dir = format!("{PORTS_DIR}/{top}");
    let own_request = root
        .get_path(Path::new(&format!("{}{dir}/request.toml", git.prefix)))
        .is_ok();
    if is_year_folder(top, own_request) {
        // A file directly in a year folder is in no port.
        parts.next()?;
        Some(format!("{dir}/{below}"))
    } else {
        Some(dir)
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

#[cfg(test)]
mod tests {
    use git2::Repository;

    use super::*;
    use crate::git::testing::{commit, copy_bundled_desk, write};

    const LAKESIDE: &str = "ports/2026-11-lakeside-dental/request.toml";
    const PINECREST: &str = "ports/2026-11-pinecrest-plumbing/request.toml";
    const BAYVIEW: &str = "ports/2026-11-bayview-bistro/request.toml";
    const OKAFOR: &str = "ports/2026-11-okafor-prepaid";

    /// A number entry holding Lakeside Dental's second number.
    const LAKESIDES_NUMBER: &str = "\n[[numbers]]\nnumber = \"+12065550144\"\ntype = \"landline\"\nreceiving_number = \"+12065550101\"\n";

    fn append(root: &Path, rel: &str, text: &str) {
        let mut bytes = std::fs::read(root.join(rel)).expect("read");
        bytes.extend_from_slice(text.as_bytes());
        write(root, rel, &bytes);
    }

    fn copy_folder(root: &Path, from: &str, to: &str) {
        for entry in walkdir::WalkDir::new(root.join(from)) {
            let entry = entry.expect("walk");
            if entry.file_type().is_file() {
                let rel = entry.path().strip_prefix(root.join(from)).expect("inside");
                let bytes = std::fs::read(entry.path()).expect("read");
                write(root, &format!("{to}/{}", rel.to_string_lossy()), &bytes);
            }
        }
    }

    /// A change: its name, what the base has besides the bundled desk, the change made in
    /// the working tree, and a request with a finding another port decides and whether
    /// it blocks.
    struct Case(
        &'static str,
        fn(&Path),
        fn(&Path),
        Option<(&'static str, bool)>,
    );

    /// Every finding of the head with whether it blocks.
    fn gate(pr: &PullRequest<'_>) -> Vec<(FindingKey, bool)> {
        pr.head
            .findings
            .iter()
            .map(|f| (key_of(f), f.blocking))
            .collect()
    }

    // Guards reading of the base only what a check needs: for every kind of change, and
    // with the verdict cache empty and then full, a check gates each finding as a check
    // against the whole base does, including findings in ports the change does not touch
    // that another port's numbers or id decide.
    #[test]
    fn a_check_against_part_of_the_base_gates_as_against_all_of_it() {
        let base_too: fn(&Path) = |root| {
            append(root, PINECREST, LAKESIDES_NUMBER);
            write(root, "ports/junk/notes.txt", b"not a port\n");
        };
        let nothing: fn(&Path) = |_| {};
        let cases: [Case; 6] = [
            Case(
                "a number an untouched port holds",
                nothing,
                |root| append(root, PINECREST, LAKESIDES_NUMBER),
                Some((LAKESIDE, true)),
            ),
            Case(
                "a shared number and a stray folder already on the base",
                base_too,
                |root| append(root, BAYVIEW, "# reviewed\n"),
                Some((LAKESIDE, false)),
            ),
            Case(
                "a third port with the shared number",
                base_too,
                |root| {
                    copy_folder(
                        root,
                        "ports/2026-11-pinecrest-plumbing",
                        "ports/2027-01-pinecrest-two",
                    )
                },
                Some((LAKESIDE, true)),
            ),
            Case(
                "a port id now used twice",
                nothing,
                |root| copy_folder(root, OKAFOR, "ports/2025/2026-11-okafor-prepaid"),
                Some(("ports/2026-11-okafor-prepaid/request.toml", true)),
            ),
            Case(
                "a port deleted",
                base_too,
                |root| {
                    std::fs::remove_dir_all(root.join("ports/2026-11-bayview-bistro")).expect("rm")
                },
                None,
            ),
            Case(
                "a port moved under a year",
                nothing,
                |root| {
                    copy_folder(root, OKAFOR, "ports/2026/2026-11-okafor-prepaid");
                    std::fs::remove_dir_all(root.join(OKAFOR)).expect("rm");
                },
                None,
            ),
        ];
        let today = Date::new(2026, 12, 7).expect("date");
        for Case(name, before, change, expected) in cases {
            let temp = tempfile::tempdir().expect("tempdir");
            let root = temp.path();
            let repo = Repository::init(root).expect("git init");
            copy_bundled_desk(root);
            before(root);
            let base = commit(&repo, 1_764_000_000);
            repo.branch("main", &repo.find_commit(base).expect("base"), true)
                .expect("branch");
            change(root);
            let git = Git::open(root).expect("git");
            let work = WorkTree {
                root: root.to_owned(),
            };
            let pr = |reuse| {
                PullRequest::open(
                    &git,
                    &work,
                    "main",
                    HeadKind::WorkTree,
                    &Scope::all(),
                    today,
                    reuse,
                )
                .expect("pull request")
            };
            let whole = pr(false);
            let whole_gate = gate(&whole);
            for run in ["cache empty", "cache full"] {
                let part = pr(true);
                assert_eq!(gate(&part), whole_gate, "{name}, {run}");
                assert_eq!(part.changed_ports, whole.changed_ports, "{name}, {run}");
            }
            if let Some((file, blocking)) = expected {
                let found: Vec<bool> = whole
                    .head
                    .findings
                    .iter()
                    .filter(|f| {
                        f.file == Path::new(file)
                            && matches!(f.code, Code::NumberInOtherPort | Code::RepoDuplicatePort)
                    })
                    .map(|f| f.blocking)
                    .collect();
                assert!(
                    !found.is_empty() && found.iter().all(|b| *b == blocking),
                    "{name}: {file} {found:?}"
                );
            }
            let stray = whole
                .head
                .findings
                .iter()
                .find(|f| f.file == Path::new("ports/junk"));
            assert!(
                stray.is_none_or(|f| !f.blocking),
                "{name}: the stray folder"
            );
        }
    }
}
