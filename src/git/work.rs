//! The working tree against a commit, the way `git status` compares them: what the index
//! says of each file (its blob and the file's stat data when it was staged) decides which
//! files are unchanged without reading them, from the one listing of the working tree the
//! check makes anyway. A file whose stat data differs, or that changed too close to when
//! the index was written to tell, is hashed and compared by content.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use git2::{Commit, ObjectType, Oid};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use super::{COMPARE_MAX_BYTES, Git, GitError};
use crate::repo::{
    FileStat, Listing, POLICY_FILE, Probe, RepoError, Tree, WorkTree, read_regular_file,
};
use crate::schema::SchemaKind;

/// A folder's mode in a tree.
const TREE_MODE: u32 = 0o040000;

/// The working tree with its listing already made.
pub(crate) struct ListedWork<'a> {
    pub work: &'a WorkTree,
    pub listing: Listing,
}

impl Tree for ListedWork<'_> {
    fn files(&self) -> Result<Cow<'_, Listing>, RepoError> {
        Ok(Cow::Borrowed(&self.listing))
    }

    fn read(&self, path: &str, cap: u64) -> Result<Vec<u8>, RepoError> {
        self.work.read(path, cap)
    }

    fn probe(&self, port_dir: &str, rel: &str) -> Probe {
        self.work.probe(port_dir, rel)
    }

    fn sync(&self) -> Option<&(dyn Tree + Sync)> {
        Some(self)
    }
}

/// Whether a repo-relative path is one a check lists: porting.toml, the schema copies,
/// anything under ports/.
fn checked_path(rel: &str) -> bool {
    rel == POLICY_FILE
        || rel.starts_with("ports/")
        || rel
            .strip_prefix("schemas/")
            .is_some_and(|name| SchemaKind::ALL.iter().any(|k| k.file_name() == name))
}

/// The index read on a thread of its own ([`Git::read_index_ahead`]).
pub(crate) type IndexAhead = Option<std::thread::JoinHandle<Result<StagedIndex, git2::Error>>>;

/// What the index holds of the files a check lists (repo-relative, `prefix` taken off), the
/// tree it gives, and when it was written.
pub(crate) struct StagedIndex {
    /// In the index's order: by path, byte by byte.
    staged: Vec<Staged>,
    /// The paths of `staged`, one after another.
    paths: String,
    root: Option<Oid>,
    mtime: (i64, i64),
}

/// The most one allocation reading an index may take (the largest part of a desk's index,
/// its entries, is a few MB).
const INDEX_MAX_ALLOCATION: usize = 1 << 30;

impl StagedIndex {
    /// Reads the index file `path` of a ports repo at `prefix` (an index not there yet is
    /// empty). Its checksum is not recomputed: git replaces the file whole, by renaming a
    /// finished one over it, so it is never read half-written.
    fn read(path: &Path, prefix: &str) -> Result<StagedIndex, git2::Error> {
        let options = gix_index::decode::Options {
            thread_limit: Some(1),
            alloc_limit_bytes: Some(INDEX_MAX_ALLOCATION),
            ..Default::default()
        };
        let index =
            gix_index::File::at_or_default(path, gix_index::hash::Kind::Sha1, true, options)
                .map_err(|e| git2::Error::from_str(&format!("cannot read the index: {e}")))?;
        let root = index
            .tree()
            .filter(|tree| tree.num_entries.is_some())
            .and_then(|tree| Oid::from_bytes(tree.id.as_bytes()).ok());
        let mtime = std::fs::metadata(path)
            .map(|m| (m.mtime(), m.mtime_nsec()))
            .unwrap_or((0, 0));
        let mut staged = Vec::with_capacity(index.entries().len());
        let mut paths = String::new();
        for entry in index.entries() {
            let Ok(full) = std::str::from_utf8(entry.path(&index)) else {
                continue;
            };
            let Some(rel) = full.strip_prefix(prefix).filter(|rel| checked_path(rel)) else {
                continue;
            };
            let Ok(id) = Oid::from_bytes(entry.id.as_bytes()) else {
                continue;
            };
            let start = paths.len();
            paths.push_str(rel);
            staged.push(Staged::of(entry, id, start..paths.len()));
        }
        Ok(StagedIndex {
            staged,
            paths,
            root,
            mtime,
        })
    }

    /// What the index holds of the file `rel`.
    fn get(&self, rel: &str) -> Option<&Staged> {
        self.staged
            .binary_search_by(|s| self.paths[s.path.clone()].as_bytes().cmp(rel.as_bytes()))
            .ok()
            .map(|i| &self.staged[i])
    }

    /// Every file, with its path.
    fn iter(&self) -> impl Iterator<Item = (&str, &Staged)> {
        self.staged.iter().map(|s| (&self.paths[s.path.clone()], s))
    }
}

/// What the index holds of one file.
struct Staged {
    /// Where its path is in [`StagedIndex::paths`].
    path: std::ops::Range<usize>,
    id: Oid,
    mode: u32,
    size: u32,
    mtime: (i32, u32),
    ctime: (i32, u32),
    ino: u32,
    uid: u32,
    gid: u32,
    /// A merge conflict, or flags that tell git to trust the entry without looking.
    unusual: bool,
}

impl Staged {
    fn of(entry: &gix_index::Entry, id: Oid, path: std::ops::Range<usize>) -> Staged {
        use gix_index::entry::{Flags, Stage};
        let stat = &entry.stat;
        Staged {
            path,
            id,
            mode: entry.mode.bits(),
            size: stat.size,
            // The index keeps seconds as 32 bits; git compares them as such.
            mtime: (stat.mtime.secs as i32, stat.mtime.nsecs),
            ctime: (stat.ctime.secs as i32, stat.ctime.nsecs),
            ino: stat.ino,
            uid: stat.uid,
            gid: stat.gid,
            unusual: entry.stage() != Stage::Unconflicted
                || entry
                    .flags
                    .intersects(Flags::ASSUME_VALID | Flags::SKIP_WORKTREE | Flags::INTENT_TO_ADD),
        }
    }

    /// Whether the file on disk is the staged one: by stat data when it can tell (and the
    /// file did not change in the index's last second), else by content.
    /// `stat` is the file's stat data as listed (read now when the listing did not take it).
    fn matches(
        &self,
        root: &Path,
        rel: &str,
        stat: Option<FileStat>,
        index_mtime: (i64, i64),
    ) -> bool {
        if self.unusual {
            return false;
        }
        let path = || root.join(rel);
        let Some(meta) = stat.or_else(|| FileStat::read(&path())) else {
            return false;
        };
        let link = meta.is_link();
        let kind_matches = match self.mode {
            0o120000 => link,
            0o100644 | 0o100755 => {
                meta.is_file() && (self.mode == 0o100755) == (meta.mode & 0o100 != 0)
            }
            _ => false,
        };
        if !kind_matches {
            return false;
        }
        let racy = meta.mtime >= index_mtime;
        // The index keeps the low 32 bits of each.
        let stat_matches = meta.size as u32 == self.size
            && (meta.mtime.0 as i32, meta.mtime.1 as u32) == self.mtime
            && (meta.ctime.0 as i32, meta.ctime.1 as u32) == self.ctime
            && meta.ino as u32 == self.ino
            && meta.uid == self.uid
            && meta.gid == self.gid;
        if stat_matches && !racy {
            return true;
        }
        let bytes = if link {
            std::fs::read_link(path())
                .ok()
                .map(|t| t.as_os_str().as_encoded_bytes().to_vec())
        } else {
            read_regular_file(&path(), COMPARE_MAX_BYTES).ok()
        };
        bytes.is_some_and(|b| Oid::hash_object(ObjectType::Blob, &b).is_ok_and(|id| id == self.id))
    }
}

impl Git {
    /// The index file.
    fn index_path(&self) -> std::path::PathBuf {
        self.repo.path().join("index")
    }

    /// Starts reading the index on a thread of its own, for a run that lists the working
    /// tree first ([`Git::work_changes`] takes it).
    pub(crate) fn read_index_ahead(&self) -> IndexAhead {
        let (path, prefix) = (self.index_path(), self.prefix.clone());
        std::thread::Builder::new()
            .name("portflow-index".to_owned())
            .spawn(move || StagedIndex::read(&path, &prefix))
            .ok()
    }

    /// The paths a check reads that differ between `base`'s tree and the working tree,
    /// from `listing` (the working tree's, as [`WorkTree`] lists it) and the index (read
    /// ahead, or now when `ahead` is `None`). `None` when git would filter what it stores
    /// (`core.autocrlf`, attributes files): then only git's own diff can tell.
    pub(crate) fn work_changes(
        &self,
        base: &Commit<'_>,
        work: &WorkTree,
        listing: &Listing,
        ahead: IndexAhead,
    ) -> Result<Option<BTreeSet<String>>, GitError> {
        let Some(top) = self.repo.workdir() else {
            return Ok(None);
        };
        if self.autocrlf() || self.has_attributes(top, listing) {
            return Ok(None);
        }
        let staged = match ahead.and_then(|handle| handle.join().ok()) {
            Some(read) => read?,
            None => StagedIndex::read(&self.index_path(), &self.prefix)?,
        };
        let (staged_root, index_mtime) = (staged.root, staged.mtime);
        let staged_is_base = staged_root == Some(base.tree_id());
        let mut changed = BTreeSet::new();
        // Staged against the commit: nothing when the index's tree is the commit's.
        if !staged_is_base {
            self.staged_changes(base, staged_root, &staged, &mut changed)?;
        }
        // Links are among the files.
        let on_disk: Vec<&str> = listing.files.iter().map(String::as_str).collect();
        let taken = listing.stats.len() == listing.files.len();
        let stat = |i: usize| listing.stats.get(i).copied().flatten().filter(|_| taken);
        // Each file listed: whether the index holds it, and whether it differs.
        let compared: Vec<(bool, bool)> = on_disk
            .par_iter()
            .enumerate()
            .map(|(i, rel)| match staged.get(rel) {
                Some(entry) => (true, !entry.matches(&work.root, rel, stat(i), index_mtime)),
                None => (false, true),
            })
            .collect();
        let differ = on_disk.iter().zip(&compared).filter(|(_, c)| c.1);
        changed.extend(differ.map(|(rel, _)| (*rel).to_owned()));
        // Hidden or unnameable entries are never read, but they are not git's files
        // either: a port holding one is read rather than trusted.
        changed.extend(listing.skipped.iter().map(|s| s.path.clone()));
        // Staged files not on disk: none when every staged path was listed (the listing
        // names each file once; a conflict stages a path more than once).
        let found = compared.iter().filter(|c| c.0).count();
        if found != staged.staged.len() {
            let listed: FxHashSet<&str> = on_disk.iter().copied().collect();
            changed.extend(
                staged
                    .iter()
                    .filter(|(rel, _)| !listed.contains(rel))
                    .map(|(rel, _)| rel.to_owned()),
            );
        }
        Ok(Some(changed))
    }

    /// The paths whose staged blob differs from `base`'s: porting.toml and the schema
    /// copies compared by blob, `ports/` by tree ids (the index's own tree when git keeps
    /// it valid, else hashed from the index the way `git write-tree` would), descending
    /// only where they differ (so a clean index reads one tree of the commit).
    fn staged_changes(
        &self,
        base: &Commit<'_>,
        staged_root: Option<Oid>,
        staged: &StagedIndex,
        changed: &mut BTreeSet<String>,
    ) -> Result<(), GitError> {
        let root = base.tree()?;
        let at = |rel: &str| {
            root.get_path(Path::new(&format!("{}{rel}", self.prefix)))
                .ok()
        };
        let mut singles: Vec<String> = vec![POLICY_FILE.to_owned()];
        singles.extend(
            SchemaKind::ALL
                .iter()
                .map(|k| format!("schemas/{}", k.file_name())),
        );
        for rel in singles {
            let committed = at(&rel).map(|e| (e.id(), e.filemode() as u32));
            let indexed = staged.get(&rel).map(|s| (s.id, s.mode));
            if committed != indexed {
                changed.insert(rel);
            }
        }
        let committed = at("ports")
            .filter(|e| e.kind() == Some(ObjectType::Tree))
            .and_then(|e| self.repo.find_tree(e.id()).ok());
        // The index's own tree when git keeps it valid (usually HEAD's), else its folders'
        // ids hashed from its entries.
        let ours = match staged_root.and_then(|id| self.repo.find_tree(id).ok()) {
            Some(tree) => IndexSide::Tree(tree),
            None => IndexSide::Hashed(IndexTrees::of(staged, "ports")),
        };
        self.diff_folder(committed.as_ref(), "ports", &ours, changed);
        Ok(())
    }

    /// The paths under the folder `dir` that differ between the commit's tree there and
    /// the index's, descending only where the two differ.
    fn diff_folder(
        &self,
        committed: Option<&git2::Tree<'_>>,
        dir: &str,
        index: &IndexSide<'_>,
        changed: &mut BTreeSet<String>,
    ) {
        let (id, mine) = index.folder(self, dir);
        if committed.map(git2::Tree::id) == id {
            return;
        }
        let mut names: BTreeSet<String> = mine.keys().cloned().collect();
        if let Some(tree) = committed {
            names.extend(tree.iter().filter_map(|e| e.name().ok().map(str::to_owned)));
        }
        for name in names {
            let path = format!("{dir}/{name}");
            let theirs = committed
                .and_then(|t| t.get_name(&name))
                .map(|e| (e.id(), e.filemode() as u32));
            let ours = mine.get(name.as_str()).copied();
            if theirs == ours {
                continue;
            }
            changed.insert(path.clone());
            let their_tree = theirs
                .filter(|(_, mode)| *mode == TREE_MODE)
                .and_then(|(id, _)| self.repo.find_tree(id).ok());
            if their_tree.is_some() || ours.is_some_and(|(_, mode)| mode == TREE_MODE) {
                self.diff_folder(their_tree.as_ref(), &path, index, changed);
            }
        }
    }

    /// Whether any attributes file could make git store other bytes than the working tree
    /// holds (a filter, an end-of-line conversion).
    fn has_attributes(&self, top: &Path, listing: &Listing) -> bool {
        let configured = self
            .repo
            .config()
            .is_ok_and(|c| c.get_path("core.attributesFile").is_ok());
        // git's default global attributes file.
        let global = std::env::var_os("XDG_CONFIG_HOME")
            .map(std::path::PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")))
            .is_some_and(|config| config.join("git/attributes").exists());
        let mut dir = top.to_owned();
        let mut found = configured || global || self.repo.path().join("info/attributes").exists();
        for part in std::iter::once("").chain(self.prefix.split('/').filter(|p| !p.is_empty())) {
            dir.push(part);
            found |= dir.join(".gitattributes").exists();
        }
        found
            || dir.join("schemas/.gitattributes").exists()
            || listing
                .skipped
                .iter()
                .any(|s| s.path.ends_with(".gitattributes"))
    }
}

/// The index's side of a comparison with a commit's tree.
enum IndexSide<'r> {
    /// The index's tree as git keeps it (its cache tree), whole.
    Tree(git2::Tree<'r>),
    /// Its folders hashed from its entries, as `git write-tree` would.
    Hashed(IndexTrees),
}

impl IndexSide<'_> {
    /// The folder `dir`'s tree id and its entries by name (id, mode); `None` and none when
    /// the index has no such folder.
    fn folder(&self, git: &Git, dir: &str) -> (Option<Oid>, FxHashMap<String, (Oid, u32)>) {
        match self {
            IndexSide::Tree(root) => {
                let tree = root
                    .get_path(Path::new(&format!("{}{dir}", git.prefix)))
                    .ok()
                    .filter(|e| e.kind() == Some(ObjectType::Tree))
                    .and_then(|e| git.repo.find_tree(e.id()).ok());
                let entries = tree
                    .iter()
                    .flat_map(|t| t.iter())
                    .filter_map(|e| {
                        Some((e.name().ok()?.to_owned(), (e.id(), e.filemode() as u32)))
                    })
                    .collect();
                (tree.map(|t| t.id()), entries)
            }
            IndexSide::Hashed(index) => {
                let entries = index
                    .children
                    .get(dir)
                    .map(|c| {
                        c.iter()
                            .map(|(name, mode, id)| (name.clone(), (*id, *mode)))
                            .collect()
                    })
                    .unwrap_or_default();
                (index.ids.get(dir).copied(), entries)
            }
        }
    }
}

/// The folders under one top folder as the index would write them: each folder's entries
/// (name, mode, id) and its tree id.
struct IndexTrees {
    children: FxHashMap<String, Vec<(String, u32, Oid)>>,
    ids: FxHashMap<String, Oid>,
}

impl IndexTrees {
    fn of(staged: &StagedIndex, top: &str) -> IndexTrees {
        let mut children: FxHashMap<String, Vec<(String, u32, Oid)>> = FxHashMap::default();
        let mut folders: FxHashSet<String> = FxHashSet::default();
        let prefix = format!("{top}/");
        for (rel, entry) in staged.iter().filter(|(rel, _)| rel.starts_with(&prefix)) {
            let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
            children.entry(dir.to_owned()).or_default().push((
                name.to_owned(),
                entry.mode,
                entry.id,
            ));
            let mut folder = dir;
            while folder.len() >= top.len() && !folders.contains(folder) {
                folders.insert(folder.to_owned());
                match folder.rsplit_once('/') {
                    Some((parent, _)) => folder = parent,
                    None => break,
                }
            }
        }
        // Deepest first, so every folder's subfolders have their ids.
        let mut order: Vec<(usize, String)> = folders
            .into_iter()
            .map(|f| (f.matches('/').count(), f))
            .collect();
        order.sort_unstable_by_key(|f| std::cmp::Reverse(f.0));
        let order = order.into_iter().map(|(_, f)| f);
        let mut ids = FxHashMap::default();
        for folder in order {
            let mut entries = children.remove(&folder).unwrap_or_default();
            entries.sort_by(git_order);
            let mut raw = Vec::new();
            for (name, mode, id) in &entries {
                raw.extend_from_slice(format!("{mode:o} {name}\0").as_bytes());
                raw.extend_from_slice(id.as_bytes());
            }
            let Ok(id) = Oid::hash_object(ObjectType::Tree, &raw) else {
                continue;
            };
            ids.insert(folder.clone(), id);
            if let Some((parent, name)) = folder.rsplit_once('/')
                && folder.len() > top.len()
            {
                children.entry(parent.to_owned()).or_default().push((
                    name.to_owned(),
                    TREE_MODE,
                    id,
                ));
            }
            children.insert(folder, entries);
        }
        IndexTrees { children, ids }
    }
}

/// git's order of tree entries: by name, a folder's name compared as if it ended in `/`.
fn git_order(a: &(String, u32, Oid), b: &(String, u32, Oid)) -> std::cmp::Ordering {
    let key = |(name, mode, _): &(String, u32, Oid)| {
        let mut bytes = name.as_bytes().to_vec();
        if *mode == TREE_MODE {
            bytes.push(b'/');
        }
        bytes
    };
    key(a).cmp(&key(b))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use git2::{IndexAddOption, Repository, Signature, Time};

    use super::*;

    fn write(root: &Path, rel: &str, bytes: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, bytes).expect("write");
    }

    fn stage_all(repo: &Repository) {
        let mut index = repo.index().expect("index");
        index
            .add_all(["*"], IndexAddOption::DEFAULT, None)
            .expect("add");
        index.update_all(["*"], None).expect("update");
        index.write().expect("write index");
    }

    fn commit(repo: &Repository) {
        stage_all(repo);
        let mut index = repo.index().expect("index");
        let tree = repo
            .find_tree(index.write_tree().expect("tree"))
            .expect("tree");
        // As `git commit` does, the index keeps the tree it wrote (its cache tree).
        index.write().expect("write index");
        let who = Signature::new("Ana Souza", "ana@example.com", &Time::new(1_800_000_000, 0))
            .expect("signature");
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        repo.commit(Some("HEAD"), &who, &who, "change", &tree, &parents)
            .expect("commit");
    }

    /// The quick comparison and git's own diff, limited to what a check lists.
    fn both(root: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
        let git = Git::open(root).expect("open");
        let work = WorkTree {
            root: root.to_owned(),
        };
        let listing = work.files().expect("listing");
        let head = git.head().expect("head");
        let quick = git
            .work_changes(&head, &work, &listing, None)
            .expect("compare")
            .expect("no filters here");
        // The remembered listing takes each file's stat data as it lists it: the same answer.
        let listed = git.listing(&work).expect("remembered listing");
        assert_eq!(listed.stats.len(), listed.files.len());
        let with_stats = git
            .work_changes(&head, &work, &listed, None)
            .expect("compare")
            .expect("no filters here");
        assert_eq!(
            quick, with_stats,
            "the listing's stat data and stat calls agree"
        );
        let slow: BTreeSet<String> = git
            .changed_paths(&head, crate::git::HeadKind::WorkTree)
            .expect("diff")
            .into_iter()
            .filter(|p| checked_path(p))
            .collect();
        (quick, slow)
    }

    // Guards the comparison that decides which ports come from the verdict cache: a clean
    // tree has no change (so the index's hashed folders are the commit's trees), and every
    // file git's diff reports is reported, staged or not, added, removed or re-moded.
    #[test]
    fn the_index_comparison_finds_what_gits_diff_finds() {
        let temp = tempfile::tempdir().expect("tempdir");
        let root = temp.path();
        let repo = Repository::init(root).expect("init");
        write(root, "porting.toml", "[desk]\n");
        for port in [
            "ports/a-port",
            "ports/b-port",
            "ports/2026/c-port",
            "ports/d-port",
        ] {
            write(root, &format!("{port}/request.toml"), "country = \"US\"\n");
            write(
                root,
                &format!("{port}/events/001-signed.toml"),
                "kind = \"signed\"\n",
            );
            write(root, &format!("{port}/documents/bill.pdf"), "%PDF-1.4\n");
        }
        commit(&repo);
        let (quick, slow) = both(root);
        assert_eq!(quick, BTreeSet::new());
        assert_eq!(slow, BTreeSet::new());

        // Edited (same size, so only the content tells), staged, added, removed.
        write(root, "ports/a-port/request.toml", "country = \"CA\"\n");
        write(
            root,
            "ports/2026/c-port/events/002-submitted.toml",
            "kind = \"x\"\n",
        );
        stage_all(&repo);
        write(
            root,
            "ports/b-port/events/002-rejected.toml",
            "kind = \"rejected\"\n",
        );
        std::fs::remove_file(root.join("ports/d-port/documents/bill.pdf")).expect("rm");
        write(root, "ports/e-port/request.toml", "country = \"US\"\n");
        write(root, "porting.toml", "[desk]\nname = \"x\"\n");
        let (quick, slow) = both(root);
        for path in &slow {
            assert!(quick.contains(path), "{path} changed: {quick:?}");
        }
        let ports = |set: &BTreeSet<String>| -> BTreeSet<String> {
            set.iter()
                .filter_map(|p| {
                    let parts: Vec<&str> = p.split('/').collect();
                    match parts.as_slice() {
                        ["ports", "2026", id, ..] => Some(format!("2026/{id}")),
                        ["ports", id, _, ..] => Some((*id).to_owned()),
                        _ => None,
                    }
                })
                .collect()
        };
        assert_eq!(ports(&quick), ports(&slow));
        assert_eq!(
            ports(&quick),
            BTreeSet::from(
                ["a-port", "b-port", "2026/c-port", "d-port", "e-port"].map(str::to_owned)
            )
        );
        assert!(quick.contains("porting.toml"));
    }

    // Guards trusting the index's cache tree: a clean index is known without hashing, and
    // an index whose tree is valid but another commit's (a soft reset) still shows what it
    // stages.
    #[test]
    fn the_index_tree_is_trusted_only_when_it_is_the_commits() {
        let temp = tempfile::tempdir().expect("tempdir");
        let root = temp.path();
        let repo = Repository::init(root).expect("init");
        write(root, "porting.toml", "[desk]\n");
        write(root, "ports/a-port/request.toml", "country = \"US\"\n");
        commit(&repo);
        let first = repo.head().expect("head").peel_to_commit().expect("commit");
        let index_root = || {
            StagedIndex::read(&root.join(".git/index"), "")
                .expect("index")
                .root
        };
        assert_eq!(index_root(), Some(first.tree_id()));

        write(
            root,
            "ports/a-port/events/001-signed.toml",
            "kind = \"signed\"\n",
        );
        commit(&repo);
        repo.reset(first.as_object(), git2::ResetType::Soft, None)
            .expect("soft reset");
        let staged = index_root();
        assert!(staged.is_some_and(|id| id != first.tree_id()), "{staged:?}");
        let (quick, slow) = both(root);
        assert!(slow.iter().all(|path| quick.contains(path)), "{quick:?}");
        assert!(
            quick.contains("ports/a-port/events/001-signed.toml"),
            "{quick:?}"
        );

        // Staged since: the cache tree is not valid, and asking writes no object.
        write(root, "ports/b-port/request.toml", "country = \"CA\"\n");
        stage_all(&repo);
        let objects = || {
            walkdir::WalkDir::new(root.join(".git/objects"))
                .into_iter()
                .count()
        };
        let before = objects();
        assert_eq!(index_root(), None);
        assert_eq!(objects(), before, "nothing written");
        let (quick, slow) = both(root);
        assert!(quick.contains("ports/b-port/request.toml"), "{quick:?}");
        for path in &slow {
            assert!(quick.contains(path), "{path} changed: {quick:?}");
        }
    }
}
