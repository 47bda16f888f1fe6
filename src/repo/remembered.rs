//! The listing of a working tree's `ports/`, remembered between runs: a folder whose stat
//! data (its times, inode and device) is what it was when it was last read holds the same
//! entries, so it is not read again, as git's untracked cache trusts a folder's times.
//! Adding, removing or renaming an entry changes its folder's modification time; a folder
//! modified in the seconds before it was read is never remembered, since its time could not
//! tell a later change within the same tick. Files are not trusted by this: whether a file changed
//! is for git's index to tell (`git::work`).

use std::borrow::Cow;
use std::ffi::OsString;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use rustix::fs::{AtFlags, Mode, OFlags};
use serde::{Deserialize, Serialize};

use super::{EntryKind, FileStat, Listing, PORTS_DIR, RepoError, WorkTree, take_entry};
use crate::store::{append_record, appends, free_later, read_appended, write_later, write_record};

/// Bumped whenever what is stored changes meaning.
const FORMAT: u32 = 1;
/// The largest file read.
const MAX_BYTES: u64 = 256 << 20;
/// A folder changed less than this many seconds before it was read is not remembered.
const RACY_SECONDS: i64 = 2;

/// What a folder held when it was read, and its stat data then.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Seen {
    /// Modification and change times (seconds, nanoseconds), inode and device.
    stat: [i64; 6],
    /// Its entries in name order (a name that is not UTF-8 with U+FFFD).
    entries: Vec<(String, EntryKind)>,
}

#[derive(Serialize, Deserialize)]
struct FileRecord {
    format: u32,
    version: String,
    root: String,
    folders: Vec<(String, Seen)>,
}

/// Folders as this listing saw them, by repo-relative path (a remembered folder's borrowed
/// from what was remembered): their stat data, and their entries when they were read
/// (`None`: as remembered).
type SeenFolders<'a> = Vec<(Cow<'a, str>, [i64; 6], Option<Entries>)>;

/// A folder's entries in name order.
type Entries = Vec<(String, EntryKind)>;

/// One listing of `ports/` with the folders remembered by an earlier one.
struct Walk<'a> {
    root: &'a Path,
    /// `ports/`, open: everything below it is stat'ed relative to it, a short path to
    /// resolve rather than the whole of each.
    ports: OwnedFd,
    before: &'a FxHashMap<String, Seen>,
    /// Folders changed at or after this time (seconds since the epoch) are not remembered.
    cutoff: i64,
}

impl<'a> Walk<'a> {
    /// Lists the folder `rel` (repo-relative) and everything below it into `out`, keeping
    /// what may be remembered in `seen`.
    fn folder(
        &self,
        rel: &str,
        out: &mut Listing,
        seen: &mut SeenFolders<'a>,
    ) -> Result<(), RepoError> {
        for (name, kind) in self.entries(rel, seen)?.iter() {
            let mut child = String::with_capacity(rel.len() + 1 + name.len());
            child.push_str(rel);
            child.push('/');
            child.push_str(name);
            self.entry(child, *kind, out, seen)?;
        }
        Ok(())
    }

    /// Lists the entry `rel` (repo-relative) into `out`: a folder with everything below
    /// it, a file with its stat data.
    fn entry(
        &self,
        rel: String,
        kind: EntryKind,
        out: &mut Listing,
        seen: &mut SeenFolders<'a>,
    ) -> Result<(), RepoError> {
        let files = out.files.len();
        if let Some(folder) = take_entry(rel, kind, out) {
            self.folder(&folder, out, seen)?;
        } else if out.files.len() > files {
            let stat = out.files.last().and_then(|file| self.stat(file).ok());
            out.stats.push(stat.map(|s| FileStat::of(&s)));
        }
        Ok(())
    }

    /// The stat data of `rel` (repo-relative, under `ports/`), a link not followed.
    fn stat(&self, rel: &str) -> rustix::io::Result<rustix::fs::Stat> {
        match rel
            .strip_prefix(PORTS_DIR)
            .and_then(|r| r.strip_prefix('/'))
        {
            Some(below) => rustix::fs::statat(&self.ports, below, AtFlags::SYMLINK_NOFOLLOW),
            None => rustix::fs::fstat(&self.ports),
        }
    }

    /// The entries of the folder `rel`: remembered when its stat data is unchanged, read
    /// otherwise.
    fn entries(
        &self,
        rel: &str,
        seen: &mut SeenFolders<'a>,
    ) -> Result<Cow<'a, Entries>, RepoError> {
        let path = || self.root.join(rel);
        let io = |source| RepoError::Io {
            path: path(),
            source,
        };
        let meta = FileStat::of(&self.stat(rel).map_err(|e| io(e.into()))?);
        let stat = [
            meta.mtime.0,
            meta.mtime.1,
            meta.ctime.0,
            meta.ctime.1,
            meta.ino as i64,
            meta.dev as i64,
        ];
        let rememberable = meta.mtime.0 < self.cutoff;
        if let Some((key, known)) = self
            .before
            .get_key_value(rel)
            .filter(|(_, k)| k.stat == stat)
        {
            if rememberable {
                seen.push((Cow::Borrowed(key.as_str()), stat, None));
            }
            return Ok(Cow::Borrowed(&known.entries));
        }
        let entries = read_folder(&path()).map_err(io)?;
        if rememberable {
            seen.push((Cow::Owned(rel.to_owned()), stat, Some(entries.clone())));
        }
        Ok(Cow::Owned(entries))
    }
}

/// A folder's entries in name order, links not followed.
fn read_folder(path: &Path) -> std::io::Result<Entries> {
    let mut found: Vec<(OsString, EntryKind)> = Vec::new();
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let kind = if kind.is_symlink() {
            EntryKind::Link
        } else if kind.is_dir() {
            EntryKind::Folder
        } else {
            EntryKind::Other
        };
        found.push((entry.file_name(), kind));
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(found
        .into_iter()
        .map(|(name, kind)| (name.to_string_lossy().into_owned(), kind))
        .collect())
}

impl WorkTree {
    /// [`Tree::files`](super::Tree::files), with the folders under `ports/` remembered in
    /// the file `memory` (read when it is this tree's, rewritten when a folder changed):
    /// the same listing, with only the changed folders read.
    pub fn files_remembered(&self, memory: &Path) -> Result<Listing, RepoError> {
        let root = self.root.to_string_lossy().into_owned();
        let read =
            read_appended::<FileRecord, Vec<(String, Seen)>>(memory, MAX_BYTES).filter(|r| {
                let first = &r.first;
                first.format == FORMAT
                    && first.version == env!("CARGO_PKG_VERSION")
                    && first.root == root
            });
        let appended = read.as_ref().and_then(|r| r.whole.then_some(r.appends));
        // Later records over earlier ones: a folder read again is appended.
        let before: FxHashMap<String, Seen> = read
            .map(|r| {
                r.first
                    .folders
                    .into_iter()
                    .chain(r.appended.into_iter().flatten())
                    .collect()
            })
            .unwrap_or_default();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let mut listing = self.listing_heads();
        listing.stats = listing
            .files
            .iter()
            .map(|rel| FileStat::read(&self.root.join(rel)))
            .collect();
        let mut seen: SeenFolders = Vec::new();
        let open = rustix::fs::open(
            self.root.join(PORTS_DIR),
            OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        );
        if let Ok(ports) = open {
            let walk = Walk {
                root: &self.root,
                ports,
                before: &before,
                cutoff: now - RACY_SECONDS,
            };
            // Each folder directly under ports/ is walked on its own, in parallel; the parts
            // are joined in name order.
            let top = walk.entries(PORTS_DIR, &mut seen)?;
            let parts: Vec<Result<(Listing, SeenFolders), RepoError>> = top
                .par_iter()
                .map(|(name, kind)| {
                    let (mut part, mut seen) = (Listing::default(), Vec::new());
                    walk.entry(format!("{PORTS_DIR}/{name}"), *kind, &mut part, &mut seen)?;
                    Ok((part, seen))
                })
                .collect();
            // The parts are joined into lists made as long as they all need at once.
            let done = parts.iter().filter_map(|p| p.as_ref().ok());
            let (files, folders) = done.fold((0, 0), |(f, s), (part, part_seen)| {
                (f + part.files.len(), s + part_seen.len())
            });
            listing.files.reserve(files);
            listing.stats.reserve(files);
            seen.reserve(folders);
            for part in parts {
                let (part, part_seen) = part?;
                listing.append(part);
                seen.extend(part_seen);
            }
        }
        let read = seen.iter().filter(|(_, _, read)| read.is_some()).count();
        // The folders read again are appended when they are few; a folder no longer there
        // stays in the file until it is written anew, never listed (its parent does not
        // list it).
        if appends(read, before.len(), appended) {
            let record: Vec<(String, Seen)> = seen
                .into_iter()
                .filter_map(|(rel, stat, read)| {
                    Some((
                        rel.into_owned(),
                        Seen {
                            stat,
                            entries: read?,
                        },
                    ))
                })
                .collect();
            free_later(before);
            let memory = memory.to_owned();
            write_later(move || {
                append_record(&memory, &record);
            });
            return Ok(listing);
        }
        let changed = seen.len() != before.len() || read > 0;
        if changed {
            let folders = seen
                .into_iter()
                .filter_map(|(rel, stat, read)| {
                    let entries = match read {
                        Some(entries) => entries,
                        None => before.get(rel.as_ref())?.entries.clone(),
                    };
                    Some((rel.into_owned(), Seen { stat, entries }))
                })
                .collect();
            remember(memory, root, folders);
        }
        free_later(before);
        Ok(listing)
    }
}

/// Writes what the listing saw ([`write_record`]), while the run goes on
/// ([`write_later`]).
fn remember(memory: &Path, root: String, folders: Vec<(String, Seen)>) {
    let memory = memory.to_owned();
    write_later(move || {
        let record = FileRecord {
            format: FORMAT,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            root,
            folders,
        };
        write_record(&memory, &record);
    });
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::repo::Tree;
    use crate::store::read_record;

    fn write(root: &Path, rel: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, "x = 1\n").expect("write");
    }

    /// Every folder under ports/ modified an hour ago, so a listing may remember it.
    fn age(root: &Path) {
        let then = SystemTime::now() - Duration::from_secs(3600);
        for entry in walkdir::WalkDir::new(root.join(PORTS_DIR)) {
            let entry = entry.expect("entry");
            if entry.file_type().is_dir() {
                let dir = std::fs::File::open(entry.path()).expect("open folder");
                dir.set_modified(then).expect("set time");
            }
        }
    }

    /// The listing that remembers, with what it remembers written.
    fn remembered(work: &WorkTree, memory: &Path) -> Result<Listing, RepoError> {
        let listing = work.files_remembered(memory);
        crate::store::wait_for_writes();
        listing
    }

    fn same(a: &Listing, b: &Listing) {
        assert_eq!(a.files, b.files);
        assert_eq!(a.links, b.links);
        assert_eq!(a.skipped, b.skipped);
    }

    // Guards remembering folders: a listing that remembers gives what a walk gives, after
    // every kind of change, and what it remembers is what it lists while a folder is
    // unchanged.
    #[test]
    fn a_remembered_listing_is_the_walk_and_follows_every_change() {
        let temp = tempfile::tempdir().expect("tempdir");
        let root = temp.path();
        write(root, "porting.toml");
        for rel in [
            "ports/a/request.toml",
            "ports/a/events/001-signed.toml",
            "ports/b/request.toml",
            "ports/b/documents/bill.pdf",
            "ports/2026/c/request.toml",
            "ports/.hidden",
        ] {
            write(root, rel);
        }
        std::os::unix::fs::symlink("a", root.join("ports/d")).expect("link");
        age(root);
        let work = WorkTree {
            root: root.to_owned(),
        };
        let memory = root.join(".git/portflow/listing.bin");
        let walked = work.files().expect("walk");
        same(&remembered(&work, &memory).expect("first"), &walked);
        same(&remembered(&work, &memory).expect("again"), &walked);

        // What is remembered is what is listed: a made-up entry in an unchanged folder.
        let bytes = std::fs::read(&memory).expect("remembered");
        let mut record: FileRecord = read_record(&memory, MAX_BYTES).expect("decode");
        let (_, a) = record
            .folders
            .iter_mut()
            .find(|(rel, _)| rel == "ports/a")
            .expect("ports/a is remembered");
        a.entries.push(("ghost.toml".to_owned(), EntryKind::Other));
        write_record(&memory, &record);
        let listed = remembered(&work, &memory).expect("from memory");
        assert!(listed.files.contains(&"ports/a/ghost.toml".to_owned()));
        std::fs::write(&memory, &bytes).expect("restore");

        // Each change is seen, as a walk sees it.
        let changes: [&dyn Fn(); 6] = [
            &|| write(root, "ports/a/events/002-submitted.toml"),
            &|| std::fs::remove_file(root.join("ports/b/documents/bill.pdf")).expect("rm"),
            &|| std::fs::rename(root.join("ports/b"), root.join("ports/b2")).expect("mv"),
            &|| {
                std::fs::remove_file(root.join("ports/2026/c/request.toml")).expect("rm");
                std::os::unix::fs::symlink(
                    "../../a/request.toml",
                    root.join("ports/2026/c/request.toml"),
                )
                .expect("link");
            },
            &|| {
                std::fs::remove_file(root.join("ports/d")).expect("rm link");
                write(root, "ports/d/request.toml");
            },
            &|| write(root, "ports/a/.portflow-tmp.1.2.request.toml"),
        ];
        for (i, change) in changes.iter().enumerate() {
            change();
            same(
                &remembered(&work, &memory).expect("after a change"),
                &work.files().expect("walk"),
            );
            age(root);
            same(
                &remembered(&work, &memory).expect("aged"),
                &work.files().expect("walk"),
            );
            assert!(memory.is_file(), "change {i}");
        }

        // Another tree's memory is not used.
        let other = tempfile::tempdir().expect("tempdir");
        write(other.path(), "ports/z/request.toml");
        let elsewhere = WorkTree {
            root: other.path().to_owned(),
        };
        same(
            &remembered(&elsewhere, &memory).expect("other tree"),
            &elsewhere.files().expect("walk"),
        );
    }
}
