//! An event's own time: whether the change being checked adds it, and the porting.toml
//! and request of the commit that did. Events are facts, judged by the data of their time.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;
use std::thread::JoinHandle;

use git2::{ObjectType, Oid};
use rayon::prelude::*;

use super::cache::Cache;
use super::scan::{Added, Line, Scan};
use super::tree::read_blob;
use super::work::ListedWork;
use super::{Git, GitError, HeadKind};
use crate::engine::verdicts;
use crate::engine::{Checked, EachBatch, Reuse, Scope, check_tree, check_tree_with};
use crate::model::Date;
use crate::repo::{CONFIG_MAX_BYTES, POLICY_FILE, PolicyThen, Repo, RepoError, WorkTree};
use crate::rules::{DataThen, NoHistory, Past, PortReport, Recorded};

/// The most data of an event's time a history keeps loaded at once.
const LOADED_MAX: usize = 2048;

/// A porting.toml blob and its file mode.
type PolicyBlob = (Oid, u32);

/// The history before a change: events in the `boundary` commit are recorded facts; any
/// other event is added by the change and judged on its files.
pub struct GitPast<'g> {
    git: &'g Git,
    /// The last commit before the change; `None` when the change is the first commit.
    boundary: Option<Oid>,
    /// Where the scan's first-parent line ends: HEAD for the working tree (so the scan
    /// `status` reads next is the one kept), else the boundary.
    tip: Option<Oid>,
    /// Its tree, read once (`None` also when it cannot be read).
    boundary_tree: Option<git2::Tree<'g>>,
    /// Folders of the boundary's tree by path, read once each: libgit2 does not keep a
    /// large tree (a desk's `ports/`) parsed between lookups.
    folders: RefCell<HashMap<String, Option<git2::Tree<'g>>>>,
    /// A shallow clone cuts the history off: every event's time is then unknown.
    shallow: bool,
    /// Per commit and port folder: porting.toml and the request there.
    loaded: RefCell<HashMap<(Oid, String), DataThen>>,
    /// Per porting.toml blob (id, mode): its policy (`None` when it does not load).
    policies: RefCell<HashMap<PolicyBlob, Option<Rc<PolicyThen>>>>,
    /// What each commit changed, read (and cached) the first time an event's commit is
    /// looked for; `Some(None)` when it cannot be read.
    scan: RefCell<Option<Option<Scan<'g>>>>,
    /// The line the scan starts from, read from the history cache on a thread of its own
    /// from the start (with the repository opened again): it is first needed once the
    /// repo is loaded and its events are dated. `None` in it when it could not be read.
    line_ahead: RefCell<Option<JoinHandle<Option<Line>>>>,
}

impl<'g> GitPast<'g> {
    /// Everything in `boundary` is recorded.
    pub fn before(git: &'g Git, boundary: Option<Oid>) -> GitPast<'g> {
        GitPast::ending_at(git, boundary, boundary, false)
    }

    /// [`GitPast::before`], its scan reading the first-parent line up to `tip` (which has
    /// the boundary on it); with the stages cached too when `stages` says the run will
    /// judge stages over time.
    fn ending_at(
        git: &'g Git,
        boundary: Option<Oid>,
        tip: Option<Oid>,
        stages: bool,
    ) -> GitPast<'g> {
        let mut past = GitPast::at(git, boundary);
        past.tip = tip;
        if !past.shallow
            && boundary.is_some()
            && let Some(tip) = tip
        {
            let (path, prefix) = (git.repo.path().to_owned(), git.prefix.clone());
            *past.line_ahead.borrow_mut() = std::thread::Builder::new()
                .name("portflow-history".to_owned())
                .spawn(move || {
                    let git = Git::at(&path, &prefix)?;
                    let mut cache = Cache::load(git.repo.commondir(), &prefix);
                    if stages {
                        cache.stages();
                    }
                    Line::read(&git, tip, cache).ok()
                })
                .ok();
        }
        past
    }

    /// [`GitPast::before`], without reading the history cache ahead: for the lookups of
    /// one thread.
    fn at(git: &'g Git, boundary: Option<Oid>) -> GitPast<'g> {
        let boundary_tree = boundary
            .and_then(|id| git.repo.find_commit(id).ok())
            .and_then(|c| c.tree().ok());
        GitPast {
            git,
            boundary,
            tip: boundary,
            boundary_tree,
            folders: RefCell::new(HashMap::new()),
            shallow: git.is_shallow(),
            loaded: RefCell::new(HashMap::new()),
            policies: RefCell::new(HashMap::new()),
            scan: RefCell::new(None),
            line_ahead: RefCell::new(None),
        }
    }

    /// For the working tree: the change is HEAD's commit and whatever is not committed, so
    /// the boundary is HEAD's first parent (a push to main is judged as its own change).
    pub fn before_head(git: &'g Git) -> Result<GitPast<'g>, GitError> {
        GitPast::before_head_judging(git, false)
    }

    /// [`GitPast::before_head`] for a run that judges stages over time (`status`,
    /// `report`, `history`): the cached stages are read ahead with the line.
    pub fn before_head_judging(git: &'g Git, stages: bool) -> Result<GitPast<'g>, GitError> {
        let (boundary, tip) = match git.head() {
            Ok(head) => (head.parent_ids().next(), Some(head.id())),
            Err(GitError::NoCommits) => (None, None),
            Err(err) => return Err(err),
        };
        Ok(GitPast::ending_at(git, boundary, tip, stages))
    }

    /// The commit that added the event file at `event_path` (seen from the boundary), with
    /// the port's folder and tree and porting.toml there.
    fn landing(&self, event_path: &str) -> Option<Added> {
        let (dir, name) = event_path.split_once("/events/")?;
        let id = dir.rsplit('/').next()?;
        self.with_scan(|scan, boundary| scan.added_at(boundary, id, name))?
    }

    /// Runs `f` on the scan of the first-parent line that ends at the tip and has the
    /// boundary on it (a branch that merged its base in is still measured along the base's
    /// history), read the first time.
    fn with_scan<T>(&self, f: impl FnOnce(&mut Scan<'g>, Oid) -> T) -> Option<T> {
        let boundary = self.boundary?;
        let tip = self.tip.unwrap_or(boundary);
        let mut scan = self.scan.borrow_mut();
        let scan = scan
            .get_or_insert_with(|| {
                let ahead = self.line_ahead.borrow_mut().take();
                scan_of(self.git, tip, ahead)
            })
            .as_mut()?;
        Some(f(scan, boundary))
    }

    /// porting.toml and the request of the landing, read straight from their blobs and
    /// loaded as a check of that commit would load them.
    fn load(&self, added: &Added) -> DataThen {
        let policy = self.policy_then(added.policy?)?;
        let port = self.git.repo.find_tree(added.tree).ok()?;
        let entry = port.get_name("request.toml")?;
        if entry.kind() != Some(ObjectType::Blob) {
            return None;
        }
        let path = format!("{}/request.toml", added.dir);
        let mode = entry.filemode() as u32;
        let bytes = read_blob(self.git, entry.id(), mode, &path, policy.request_cap()).ok()?;
        let request = policy.load_request(&path, &bytes)?;
        Some((Arc::clone(&policy.policy), request))
    }

    /// The policy in a porting.toml blob, loaded once per blob: most commits share one.
    fn policy_then(&self, (blob, mode): PolicyBlob) -> Option<Rc<PolicyThen>> {
        if let Some(known) = self.policies.borrow().get(&(blob, mode)) {
            return known.clone();
        }
        let loaded = read_blob(self.git, blob, mode, POLICY_FILE, CONFIG_MAX_BYTES)
            .ok()
            .and_then(|bytes| PolicyThen::load(&bytes))
            .map(Rc::new);
        self.policies
            .borrow_mut()
            .insert((blob, mode), loaded.clone());
        loaded
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
    /// The scan of the first-parent line up to the tip (HEAD, for the working tree), for
    /// what reads the history next: read once, not again from the cache. The caller saves
    /// it. `None` when this history has none to give (no commit before HEAD, a shallow
    /// clone).
    pub fn into_scan(self) -> Option<Scan<'g>> {
        let tip = self.tip?;
        if let Some(read) = self.scan.into_inner() {
            return read;
        }
        scan_of(self.git, tip, Some(self.line_ahead.into_inner()?))
    }
}

/// The scan of the line that ends at `tip`: from the line read ahead, or read now when
/// there is none or it could not be read.
fn scan_of<'g>(
    git: &'g Git,
    tip: Oid,
    ahead: Option<JoinHandle<Option<Line>>>,
) -> Option<Scan<'g>> {
    match ahead.and_then(|reading| reading.join().ok().flatten()) {
        Some(line) => Some(Scan::of_line(git, line)),
        None => Scan::from_tip(git, tip).ok(),
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

    /// The events' folders are looked up in the boundary on every core, each share with
    /// the repository opened again (a handle is not shared across threads); a share that
    /// cannot open it is looked up here.
    fn recorded_all(&self, event_paths: &[&str]) -> Vec<Recorded> {
        let share = event_paths
            .len()
            .div_ceil(rayon::current_num_threads())
            .max(1);
        let shares: Vec<&[&str]> = event_paths.chunks(share).collect();
        let (dir, prefix) = (self.git.repo.path().to_owned(), self.git.prefix.clone());
        let boundary = self.boundary;
        let done: Vec<Option<Vec<Recorded>>> = shares
            .par_iter()
            .map(|paths| {
                let git = Git::at(&dir, &prefix)?;
                let past = GitPast::at(&git, boundary);
                Some(paths.iter().map(|path| past.recorded(path)).collect())
            })
            .collect();
        done.into_iter()
            .zip(shares)
            .flat_map(|(done, paths)| {
                done.unwrap_or_else(|| paths.iter().map(|path| self.recorded(path)).collect())
            })
            .collect()
    }

    /// The last commit up to the boundary, on its first-parent line, that changed the
    /// port's folder: its id fixes the history before it (which events the boundary has,
    /// the commits that added them and the data of their time), and nothing of the port
    /// changed after it. A port the line never had is `absent`.
    fn port_keys(&self, ids: &[&str]) -> Vec<Option<String>> {
        let all = |key: Option<&str>| vec![key.map(str::to_owned); ids.len()];
        if self.shallow {
            return all(Some("shallow"));
        }
        if self.boundary.is_none() {
            return all(Some("first commit"));
        }
        if self.boundary_tree.is_none() {
            return all(None);
        }
        self.with_scan(|scan, boundary| {
            let Some(at) = scan.position(boundary) else {
                return all(None);
            };
            ids.iter()
                .map(|id| {
                    Some(match scan.changed_last(id, at) {
                        Some(commit) => format!("since {commit}"),
                        None => "absent".to_owned(),
                    })
                })
                .collect()
        })
        .unwrap_or_else(|| all(None))
    }

    fn data_when_added(&self, event_path: &str) -> DataThen {
        if self.shallow {
            return None;
        }
        let landing = self.landing(event_path)?;
        let key = (landing.commit, landing.dir.clone());
        if let Some(hit) = self.loaded.borrow().get(&key) {
            return hit.clone();
        }
        let data = self.load(&landing);
        let mut loaded = self.loaded.borrow_mut();
        // Bounded: a port's events are judged together, so what an earlier port needed is
        // rarely asked for again.
        if loaded.len() >= LOADED_MAX {
            loaded.clear();
        }
        loaded.insert(key, data.clone());
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

/// [`check_work_tree`] for a report of findings and stages: the ports whose files are
/// HEAD's, unchanged, are judged from the verdict cache when it has them (the checked repo
/// then lacks them; [`Checked::cached`] has their verdicts), but for the port folders
/// `read` names, which are always read. With `batches`, the ports the cache lacks may be
/// judged a batch at a time and then be missing from the checked repo too
/// ([`Reuse::batches`]).
pub fn check_work_tree_reusing(
    work: &WorkTree,
    scope: &Scope,
    today: Date,
    read: &dyn Fn(&str) -> bool,
    batches: bool,
) -> Result<Checked, RepoError> {
    let git = Git::open(&work.root).ok();
    let batches = if batches { Batches::On } else { Batches::Off };
    let (checked, past) =
        check_work_tree_with_history(git.as_ref(), work, scope, today, read, batches)?;
    if let Some(past) = past {
        past.save();
    }
    Ok(checked)
}

/// How a check of the working tree judges the ports the verdict cache lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batches {
    /// All at once: the checked repo holds every port read.
    Off,
    /// A batch at a time, each let go once judged ([`Reuse::batches`]).
    On,
    /// A batch at a time, each port's timeline folded from its files before they are let
    /// go, for the scan to hand over ([`Scan::fold_ahead`]): `status` and `report`.
    FoldingTimelines,
}

/// [`check_work_tree_reusing`] in the repository `git` (`None` outside one), with the
/// history it read, unsaved: a command that reads the history next takes its scan
/// ([`GitPast::into_scan`]); `None` without git or when HEAD cannot be read.
pub fn check_work_tree_with_history<'g>(
    git: Option<&'g Git>,
    work: &WorkTree,
    scope: &Scope,
    today: Date,
    read: &dyn Fn(&str) -> bool,
    batches: Batches,
) -> Result<(Checked, Option<GitPast<'g>>), RepoError> {
    // Without git, or without a HEAD to read, no event's time is known.
    let stages = batches == Batches::FoldingTimelines;
    let Some(past) = git.and_then(|git| GitPast::before_head_judging(git, stages).ok()) else {
        return Ok((check_tree(work, scope, today, &NoHistory)?, None));
    };
    let git = past.git;
    // The index and the verdicts are read while the working tree is listed.
    let index = git.read_index_ahead();
    verdicts::read_ahead(git.repo.commondir());
    let listed = ListedWork {
        work,
        listing: git.listing(work)?,
    };
    let content = match git.head() {
        Ok(head) => git
            .work_changes(&head, work, &listed.listing, index)
            .ok()
            .flatten()
            .or_else(|| git.changed_paths(&head, HeadKind::WorkTree).ok())
            .map(|changed| git.unchanged_ports(&head, HeadKind::WorkTree, &changed))
            .unwrap_or_default(),
        Err(_) => HashMap::new(),
    };
    if batches == Batches::FoldingTimelines {
        // The timelines are read once the desk is checked: their cache is read meanwhile.
        crate::git::scan::read_timelines_ahead(git);
    }
    let mut verdicts = verdicts::load(git.repo.commondir());
    let mut fold = |repo: &Repo, reports: &[PortReport]| {
        past.with_scan(|scan, _| scan.fold_ahead(&listed, repo, reports, today));
    };
    let checked = check_tree_with(
        &listed,
        scope,
        today,
        &past,
        Some(Reuse {
            content: &content,
            verdicts: &mut verdicts,
            read,
            batches: batches != Batches::Off,
            each_batch: (batches == Batches::FoldingTimelines)
                .then_some(&mut fold as &mut EachBatch<'_>),
        }),
    );
    verdicts::save(verdicts);
    Ok((checked?, Some(past)))
}

#[cfg(test)]
mod tests {
    use git2::Repository;

    use super::*;
    use crate::git::testing::{bundled, commit, copy_bundled_desk, write};
    use crate::git::tree::GitTree;

    const BAYVIEW: &str = "ports/2026-11-bayview-bistro/request.toml";

    /// A git repository with the bundled porting.toml, nothing committed yet.
    fn ports_repo() -> (tempfile::TempDir, Repository) {
        let temp = tempfile::tempdir().expect("tempdir");
        let repo = Repository::init(temp.path()).expect("git init");
        write(temp.path(), "porting.toml", &bundled("porting.toml"));
        (temp, repo)
    }

    /// What a check of the landing commit loads: the port alone, with the whole loader.
    fn as_a_check_loads_it(git: &Git, added: &Added) -> DataThen {
        let root = git.repo.find_commit(added.commit).ok()?.tree().ok()?;
        let tree = GitTree::build(git, &root, Some(&added.dir)).ok()?;
        let repo = Repo::load(&tree).ok()?;
        let policy = Arc::new(repo.policy.as_ref()?.value.clone());
        let port = repo.ports.iter().find(|p| p.dir == added.dir)?;
        Some((policy, port.request.as_ref()?.value.clone()))
    }

    // Guards reading the data of an event's time from its blobs: it is what loading that
    // commit's port gives, for requests that load, load in part, or do not load at all.
    #[test]
    fn the_data_of_an_events_time_is_what_a_check_of_its_commit_loads() {
        let (temp, repo) = ports_repo();
        let root = temp.path();
        for kind in crate::schema::SchemaKind::ALL {
            let rel = format!("schemas/{}", kind.file_name());
            write(root, &rel, &bundled(&rel));
        }
        let request = String::from_utf8(bundled(BAYVIEW)).expect("UTF-8");
        let ports = [
            ("ports/valid", request.clone()),
            // An unknown key fails the schema, but the typed request still builds.
            (
                "ports/unknown-key",
                format!("{request}\n[extra]\nnote = \"x\"\n"),
            ),
            ("ports/2026/by-year", request.clone()),
            ("ports/broken", "country = \"US\n".to_owned()),
            (
                "ports/no-model",
                "#:schema ../../schemas/request.schema.json\nx = 1\n".to_owned(),
            ),
        ];
        for (dir, text) in &ports {
            write(root, &format!("{dir}/request.toml"), text.as_bytes());
        }
        write(root, "ports/linked/elsewhere.toml", request.as_bytes());
        std::os::unix::fs::symlink("elsewhere.toml", root.join("ports/linked/request.toml"))
            .expect("symlink");
        // A valid request, over the size a request may have.
        let big = format!("{request}#{}\n", "x".repeat(2 << 20));
        write(root, "ports/big/request.toml", big.as_bytes());
        commit(&repo, 1_800_000_000);
        let mut dirs: Vec<&str> = ports.iter().map(|(dir, _)| *dir).collect();
        dirs.extend(["ports/linked", "ports/big"]);
        for dir in &dirs {
            write(
                root,
                &format!("{dir}/events/001-signed.toml"),
                b"kind = \"signed\"\n",
            );
        }
        commit(&repo, 1_800_000_100);
        // porting.toml broken from here on: an event added now has no data of its time.
        write(root, "porting.toml", b"[countries\n");
        write(
            root,
            "ports/valid/events/002-submitted.toml",
            b"kind = \"submitted\"\n",
        );
        let boundary = commit(&repo, 1_800_000_200);

        let git = Git::open(root).expect("open");
        let past = GitPast::before(&git, Some(boundary));
        let mut loaded = 0;
        let events = dirs
            .iter()
            .map(|dir| format!("{dir}/events/001-signed.toml"))
            .chain(["ports/valid/events/002-submitted.toml".to_owned()]);
        for event in events {
            let landing = past.landing(&event).expect("the event has a landing");
            let expected = as_a_check_loads_it(&git, &landing);
            let data = past.data_when_added(&event);
            assert_eq!(data, expected, "{event}");
            loaded += usize::from(data.is_some());
        }
        // valid, unknown-key and by-year load; the rest do not.
        assert_eq!(loaded, 3);
    }

    // Guards looking events up in the boundary on several threads: each answer is the one
    // looked up alone.
    #[test]
    fn events_looked_up_together_are_recorded_as_alone() {
        let (temp, repo) = ports_repo();
        let root = temp.path();
        let mut paths = Vec::new();
        for port in 0..40 {
            let event = format!("ports/port-{port:02}/events/001-signed.toml");
            write(root, &event, b"kind = \"signed\"\n");
            paths.push(event);
        }
        let boundary = commit(&repo, 1_800_000_000);
        for port in (0..40).step_by(3) {
            paths.push(format!("ports/port-{port:02}/events/002-submitted.toml"));
        }
        paths.push("ports/port-99/events/001-signed.toml".to_owned());
        let paths: Vec<&str> = paths.iter().map(String::as_str).collect();

        let git = Git::open(root).expect("open");
        let past = GitPast::before(&git, Some(boundary));
        let alone: Vec<Recorded> = paths.iter().map(|path| past.recorded(path)).collect();
        assert_eq!(past.recorded_all(&paths), alone);
        assert_eq!(alone.iter().filter(|r| **r == Recorded::Before).count(), 40);
    }

    // Guards judging a cold run's ports in batches: the findings and stages are those of
    // one read of every port, and the ports of the batches are judged from their verdicts.
    #[test]
    fn a_check_in_batches_finds_what_one_read_finds() {
        let (temp, repo) = ports_repo();
        let root = temp.path();
        copy_bundled_desk(root);
        // A port with a finding is never kept: the last read judges it again.
        let request = String::from_utf8(bundled(BAYVIEW)).expect("UTF-8");
        write(
            root,
            "ports/2026-11-extra-key/request.toml",
            format!("{request}\n[extra]\nnote = \"x\"\n").as_bytes(),
        );
        commit(&repo, 1_764_000_000);
        let work = WorkTree {
            root: root.to_owned(),
        };
        let today = Date::new(2026, 11, 25).expect("date");
        let cold = |batch: Option<usize>| {
            crate::store::wait_for_writes();
            let _ = std::fs::remove_dir_all(repo.path().join("portflow"));
            crate::engine::BATCH_FOR_TESTS.set(batch);
            let checked = check_work_tree_reusing(&work, &Scope::all(), today, &|_| false, true)
                .expect("check");
            crate::engine::BATCH_FOR_TESTS.set(None);
            let seen = format!("{:?}\n{:?}", checked.findings, checked.reports);
            (seen, checked.cached.len(), checked.ports)
        };
        let (once, cached, ports) = cold(None);
        assert_eq!(cached, 0, "a cold run without batches reads every port");
        assert!(ports >= 12, "{ports}");
        assert!(once.contains("2026-11-extra-key"), "{once}");
        let (batched, cached, _) = cold(Some(2));
        assert_eq!(batched, once);
        // Every port but those with findings and the last batch (at most 2).
        assert!(cached > ports / 2, "{cached} of {ports} from the batches");
    }
}
