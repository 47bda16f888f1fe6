//! The files of a commit, or of the staged index, as a [`Tree`] a check can read.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

use git2::{Commit, ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};

use super::{Git, GitError};
use crate::repo::{
    Listing, POLICY_FILE, PORTS_DIR, PROBE_HEAD_BYTES, Probe, Refusal, RepoError, Skipped, Tree,
    lexical_outside,
};
use crate::schema::SchemaKind;

const MODE_TYPE_MASK: u32 = 0o170_000;
const MODE_SYMLINK: u32 = 0o120_000;
const MODE_GITLINK: u32 = 0o160_000;

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

/// What a check reads of a commit's tree besides the port folders: the `ports/` tree,
/// porting.toml (blob id and mode) and the `schemas/` tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Roots {
    pub ports: Option<Oid>,
    pub policy: Option<(Oid, u32)>,
    pub schemas: Option<Oid>,
}

impl Roots {
    /// The roots of the ports repo in a commit's tree (under the repo's prefix).
    pub(crate) fn of(git: &Git, root: &git2::Tree<'_>) -> Roots {
        let entry = |rel: &str, kind: ObjectType| {
            root.get_path(Path::new(&format!("{}{rel}", git.prefix)))
                .ok()
                .filter(|e| e.kind() == Some(kind))
        };
        Roots {
            ports: entry(PORTS_DIR, ObjectType::Tree).map(|e| e.id()),
            policy: entry(POLICY_FILE, ObjectType::Blob).map(|e| (e.id(), e.filemode() as u32)),
            schemas: entry("schemas", ObjectType::Tree).map(|e| e.id()),
        }
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
    pub fn of_commit(git: &'r Git, commit: &Commit<'_>) -> Result<GitTree<'r>, GitError> {
        GitTree::build(git, &commit.tree()?, None)
    }

    /// The policy, the schema copies, and the files under `only` (a folder, e.g. one port).
    pub(crate) fn build(
        git: &'r Git,
        tree: &git2::Tree<'_>,
        only: Option<&str>,
    ) -> Result<GitTree<'r>, GitError> {
        let roots = Roots::of(git, tree);
        let top = only.unwrap_or(PORTS_DIR);
        let folder = tree
            .get_path(Path::new(&format!("{}{top}", git.prefix)))
            .ok()
            .filter(|e| e.kind() == Some(ObjectType::Tree))
            .map(|e| e.id());
        let ports: Vec<(&str, Oid)> = folder.map(|id| (top, id)).into_iter().collect();
        GitTree::of_ports(git, roots.policy, roots.schemas, &ports)
    }

    /// The policy, the schema copies and the files under each of `folders` (repo-relative)
    /// of the commit tree `root`; a folder it lacks is passed over.
    pub(crate) fn of_folders(
        git: &'r Git,
        root: &git2::Tree<'_>,
        folders: &BTreeSet<String>,
    ) -> Result<GitTree<'r>, GitError> {
        let roots = Roots::of(git, root);
        let found: Vec<(&str, Oid)> = folders
            .iter()
            .filter_map(|dir| {
                let entry = root
                    .get_path(Path::new(&format!("{}{dir}", git.prefix)))
                    .ok()?;
                (entry.kind() == Some(ObjectType::Tree)).then(|| (dir.as_str(), entry.id()))
            })
            .collect();
        GitTree::of_ports(git, roots.policy, roots.schemas, &found)
    }

    /// Port folders (`dir`, tree) with the policy blob and the schemas folder of a commit,
    /// without reading the commit's other ports.
    pub(crate) fn of_ports(
        git: &'r Git,
        policy: Option<(Oid, u32)>,
        schemas: Option<Oid>,
        ports: &[(&str, Oid)],
    ) -> Result<GitTree<'r>, GitError> {
        let mut built = GitTree {
            repo: &git.repo,
            entries: BTreeMap::new(),
            skipped: Vec::new(),
        };
        if let Some((id, mode)) = policy {
            built
                .entries
                .insert(POLICY_FILE.to_owned(), Entry { id, mode });
        }
        if let Some(schemas) = schemas {
            let tree = git.repo.find_tree(schemas)?;
            for kind in SchemaKind::ALL {
                if let Some(e) = tree.get_name(kind.file_name())
                    && e.kind() == Some(ObjectType::Blob)
                {
                    built.entries.insert(
                        format!("schemas/{}", kind.file_name()),
                        Entry {
                            id: e.id(),
                            mode: e.filemode() as u32,
                        },
                    );
                }
            }
        }
        for (dir, port) in ports {
            built.add_folder(dir, *port)?;
        }
        Ok(built)
    }

    /// Adds every file under the folder `top` (repo-relative), whose tree is `id`; hidden
    /// and unnameable paths are skipped (and named), never descended into.
    fn add_folder(&mut self, top: &str, id: Oid) -> Result<(), GitError> {
        let sub = self.repo.find_tree(id)?;
        let (entries, skipped) = (&mut self.entries, &mut self.skipped);
        sub.walk(TreeWalkMode::PreOrder, |root, entry| {
            let name = String::from_utf8_lossy(entry.name_bytes());
            let rel = format!("{top}/{root}{name}");
            let is_tree = entry.kind() == Some(ObjectType::Tree);
            if let Some(why) = Listing::skip_reason(&rel) {
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
        Ok(())
    }

    /// Whether the tree has this repo-relative file.
    pub fn has(&self, path: &str) -> bool {
        self.entries.contains_key(path)
    }

    /// The blob id of a repo-relative file.
    pub fn id(&self, path: &str) -> Option<Oid> {
        self.entries.get(path).map(|e| e.id)
    }

    /// Every file's blob id.
    pub fn ids(&self) -> BTreeMap<String, Oid> {
        self.entries
            .iter()
            .map(|(k, e)| (k.clone(), e.id))
            .collect()
    }

    fn is_dir(&self, path: &str) -> bool {
        let prefix = format!("{path}/");
        self.entries
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&prefix))
    }
}

/// The bytes of the file `path` (repo-relative, for messages) with blob `id` and `mode`,
/// refused as the working tree refuses it: a link, a submodule, more than `cap` bytes.
pub(crate) fn read_blob(
    git: &Git,
    id: Oid,
    mode: u32,
    path: &str,
    cap: u64,
) -> Result<Vec<u8>, RepoError> {
    read_entry(&git.repo, Entry { id, mode }, path, cap)
}

fn read_entry(repo: &Repository, entry: Entry, path: &str, cap: u64) -> Result<Vec<u8>, RepoError> {
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
    let size = repo
        .odb()
        .and_then(|odb| odb.read_header(entry.id))
        .map_err(|e| io_error(path, e.message().to_owned()))?
        .0 as u64;
    if size > cap {
        return Err(refused(Refusal::TooLarge { size, cap }));
    }
    let blob = repo
        .find_blob(entry.id)
        .map_err(|e| io_error(path, e.message().to_owned()))?;
    Ok(blob.content().to_vec())
}

fn io_error(path: &str, message: String) -> RepoError {
    RepoError::Io {
        path: PathBuf::from(path),
        source: io::Error::other(message),
    }
}

impl Tree for GitTree<'_> {
    fn files(&self) -> Result<Cow<'_, Listing>, RepoError> {
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
        Ok(Cow::Owned(listing))
    }

    fn read(&self, path: &str, cap: u64) -> Result<Vec<u8>, RepoError> {
        let entry = self.entries.get(path).ok_or_else(|| RepoError::Io {
            path: PathBuf::from(path),
            source: io::Error::from(io::ErrorKind::NotFound),
        })?;
        read_entry(self.repo, *entry, path, cap)
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
    pub fn of_index(git: &'r Git) -> Result<IndexTree<'r>, GitError> {
        let index = git.repo.index()?;
        let mut entries = BTreeMap::new();
        let wanted = root_files();
        let mut skipped = Vec::new();
        for entry in index.iter() {
            let path = String::from_utf8_lossy(&entry.path).into_owned();
            let stage = (entry.flags >> 12) & 0x3;
            if stage != 0 {
                return Err(GitError::Conflict(path));
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

impl IndexTree<'_> {
    /// The blob id of a repo-relative file.
    pub fn id(&self, path: &str) -> Option<Oid> {
        self.0.id(path)
    }
}

impl Tree for IndexTree<'_> {
    fn files(&self) -> Result<Cow<'_, Listing>, RepoError> {
        self.0.files()
    }
    fn read(&self, path: &str, cap: u64) -> Result<Vec<u8>, RepoError> {
        self.0.read(path, cap)
    }
    fn probe(&self, port_dir: &str, rel: &str) -> Probe {
        self.0.probe(port_dir, rel)
    }
}
