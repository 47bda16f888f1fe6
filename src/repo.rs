//! The ports repo: finding its root, reading porting.toml and every port's files into validated models.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashSet;
use serde::de::DeserializeOwned;
use walkdir::WalkDir;

use crate::diag::{Code, Finding};
use crate::model::event::{Event, EventBody, EventKind};
use crate::model::policy::Policy;
use crate::model::request::Request;
use crate::schema::{self, SchemaKind};
use crate::signed::SignedFile;
use crate::source::{ALWAYS_SECRET_KEYS, Document, SourceFile};

mod remembered;

/// The policy file at the repo root.
pub const POLICY_FILE: &str = "porting.toml";
/// The folder that holds the ports.
pub const PORTS_DIR: &str = "ports";

/// Failures that stop a command (not findings about the user's files).
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// No ancestor holds porting.toml.
    #[error(
        "no `porting.toml` in {0} or any parent folder: run portflow inside a ports repo (or create one with `portflow init`)"
    )]
    NotARepo(PathBuf),
    /// Reading a file or folder failed.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// What was being read.
        path: PathBuf,
        /// Why it failed.
        source: io::Error,
    },
    /// A path that portflow refuses to read: a link, a special file or too large.
    #[error("portflow does not read `{path}`: {refusal}")]
    Refused {
        /// Repo-relative path.
        path: String,
        /// Why.
        refusal: Refusal,
    },
}

/// Why a file of the ports repo is not read: portflow reads regular files only, never
/// through a link, and never more than a cap, so a committed link to `/proc/self/environ`
/// or `/dev/zero`, or a FIFO, can neither leak the runner's files nor hang a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A symbolic link (followed by nobody).
    Link,
    /// Not a regular file: a folder, FIFO, socket, device or submodule.
    NotAFile(&'static str),
    /// Larger than the cap.
    TooLarge {
        /// The file's size, when known.
        size: u64,
        /// The cap in bytes.
        cap: u64,
    },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Link => f.write_str("it is a symbolic link, and portflow never follows links"),
            Refusal::NotAFile(what) => write!(f, "it is {what}, not a regular file"),
            Refusal::TooLarge { size, cap } => {
                write!(f, "it has {size} bytes, more than the {cap} bytes allowed")
            }
        }
    }
}

/// The most bytes read of porting.toml, a schema copy or a template.
pub const CONFIG_MAX_BYTES: u64 = 1 << 20;

/// What a kind of file system entry is called in messages.
fn file_type_name(file_type: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_block_device() || file_type.is_char_device() {
            return "a device";
        }
    }
    if file_type.is_dir() {
        return "a folder";
    }
    if file_type.is_symlink() {
        return "a symbolic link";
    }
    "a special file"
}

/// Reads a regular file of at most `cap` bytes, never through a symbolic link in any
/// component below `root`, never blocking on a FIFO. `rel` (repo-relative, `/`-separated)
/// names it in errors.
pub fn read_regular(root: &Path, rel: &str, cap: u64) -> Result<Vec<u8>, RepoError> {
    use std::io::Read;
    let refused = |refusal| RepoError::Refused {
        path: rel.to_owned(),
        refusal,
    };
    let io_err = |source| RepoError::Io {
        path: PathBuf::from(rel),
        source,
    };
    let mut full = root.to_owned();
    let parts: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
    for (i, part) in parts.iter().enumerate() {
        full.push(part);
        let meta = std::fs::symlink_metadata(&full).map_err(io_err)?;
        if meta.file_type().is_symlink() {
            return Err(refused(Refusal::Link));
        }
        if i + 1 < parts.len() && !meta.is_dir() {
            return Err(io_err(io::Error::from(io::ErrorKind::NotFound)));
        }
        if i + 1 == parts.len() && !meta.is_file() {
            return Err(refused(Refusal::NotAFile(file_type_name(meta.file_type()))));
        }
    }
    let file = open_no_follow(&full).map_err(|err| {
        // ELOOP: the last component became a link after it was looked at.
        if err.raw_os_error() == Some(ELOOP) {
            refused(Refusal::Link)
        } else {
            io_err(err)
        }
    })?;
    // Judge what was opened, not what was looked at: nothing can be swapped in between.
    let meta = file.metadata().map_err(io_err)?;
    if !meta.is_file() {
        return Err(refused(Refusal::NotAFile(file_type_name(meta.file_type()))));
    }
    if meta.len() > cap {
        return Err(refused(Refusal::TooLarge {
            size: meta.len(),
            cap,
        }));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(cap + 1).read_to_end(&mut bytes).map_err(io_err)?;
    if bytes.len() as u64 > cap {
        return Err(refused(Refusal::TooLarge {
            size: bytes.len() as u64,
            cap,
        }));
    }
    Ok(bytes)
}

/// [`read_regular`] for a file named by its own path (its folder is taken as given; only
/// the file itself must not be a link).
pub fn read_regular_file(path: &Path, cap: u64) -> Result<Vec<u8>, RepoError> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    read_regular(dir, &name, cap)
}

#[cfg(unix)]
const ELOOP: i32 = libc::ELOOP;
#[cfg(not(unix))]
const ELOOP: i32 = -1;

/// Opens for reading without following a final symbolic link and without blocking on a FIFO.
#[cfg(unix)]
fn open_no_follow(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// A path under ports/ that a listing saw but does not hand out as a file, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Repo-relative path, `/`-separated (a name that is not UTF-8 shown with U+FFFD).
    pub path: String,
    /// Why, for the warning.
    pub why: String,
    /// What to do.
    pub help: String,
}

/// The files of a tree and the paths it passed over.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Every file under `ports/`, the policy and the schema copies, repo-relative with `/`.
    pub files: Vec<String>,
    /// Hidden entries, names that are not UTF-8: never read, each worth a warning.
    pub skipped: Vec<Skipped>,
    /// The files that are symbolic links (also in `files`), never followed.
    pub links: BTreeSet<String>,
    /// Each file's stat data as the listing saw it, in the order of `files` (`None`: it
    /// could not be read), when the listing took it (a working tree's listing for git's
    /// index, [`WorkTree::files_remembered`]); empty otherwise.
    pub stats: Vec<Option<FileStat>>,
}

/// A file's stat data, a link not followed: what git's index compares to tell a changed
/// file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    /// Type and permission bits (`st_mode`).
    pub mode: u32,
    /// Size in bytes.
    pub size: u64,
    /// Modification time: seconds, nanoseconds.
    pub mtime: (i64, i64),
    /// Change time: seconds, nanoseconds.
    pub ctime: (i64, i64),
    /// Inode number.
    pub ino: u64,
    /// Device number.
    pub dev: u64,
    /// Owner's user id.
    pub uid: u32,
    /// Owner's group id.
    pub gid: u32,
}

impl FileStat {
    /// The type bits of a symbolic link and of a regular file in `mode`.
    const TYPE: u32 = 0o170_000;
    const LINK: u32 = 0o120_000;
    const FILE: u32 = 0o100_000;

    /// The stat data of a `stat` call's answer.
    // The fields' types differ by target.
    #[allow(clippy::unnecessary_cast)]
    pub fn of(stat: &rustix::fs::Stat) -> FileStat {
        FileStat {
            mode: stat.st_mode,
            size: stat.st_size as u64,
            mtime: (stat.st_mtime as i64, stat.st_mtime_nsec as i64),
            ctime: (stat.st_ctime as i64, stat.st_ctime_nsec as i64),
            ino: stat.st_ino as u64,
            dev: stat.st_dev as u64,
            uid: stat.st_uid,
            gid: stat.st_gid,
        }
    }

    /// The stat data of the file at `path`, a link not followed.
    pub fn read(path: &Path) -> Option<FileStat> {
        rustix::fs::lstat(path).ok().map(|s| FileStat::of(&s))
    }

    /// Whether it is a symbolic link.
    pub fn is_link(&self) -> bool {
        self.mode & Self::TYPE == Self::LINK
    }

    /// Whether it is a regular file.
    pub fn is_file(&self) -> bool {
        self.mode & Self::TYPE == Self::FILE
    }
}

impl Listing {
    /// Adds the listing of a later part of the tree (its files come after these).
    pub fn append(&mut self, part: Listing) {
        self.files.extend(part.files);
        self.skipped.extend(part.skipped);
        self.links.extend(part.links);
        self.stats.extend(part.stats);
    }

    /// Sorts out one entry under ports/ by its name: `Some` when it is skipped.
    pub fn skip_reason(rel: &str) -> Option<Skipped> {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        if name.contains('\u{fffd}') {
            return Some(Skipped {
                path: rel.to_owned(),
                why: "its name is not valid UTF-8, so portflow cannot name it in reports".to_owned(),
                help: "rename it with a UTF-8 name (port ids are lowercase letters, digits and hyphens)".to_owned(),
            });
        }
        if !name.starts_with('.') || QUIET_HIDDEN.contains(&name) {
            return None;
        }
        if crate::atomic::temp_owner(name).is_some() {
            return Some(Skipped {
                path: rel.to_owned(),
                why: "it is a temp file left by an interrupted portflow write".to_owned(),
                help: "delete it (the next portflow write into this folder removes it too)"
                    .to_owned(),
            });
        }
        Some(Skipped {
            path: rel.to_owned(),
            why: "it is hidden (its name starts with `.`), so portflow skips it".to_owned(),
            help: "rename it without the leading `.` if it belongs to the port, or delete it"
                .to_owned(),
        })
    }

    /// Whether a path under ports/ is where portflow reads a TOML file: a port's
    /// `request.toml`, or a `.toml` file directly in a port's `events/` folder. A folder at
    /// such a path is listed as a file, so that reading it is refused with a finding instead
    /// of the port (or the event) silently going missing.
    pub fn is_toml_slot(rel: &str) -> bool {
        let mut parts = rel.rsplit('/');
        let name = parts.next().unwrap_or_default();
        name == "request.toml" || (name.ends_with(".toml") && parts.next() == Some("events"))
    }
}

/// Hidden names that are ordinary in a repo and skipped without a word.
const QUIET_HIDDEN: &[&str] = &[
    ".gitkeep",
    ".keep",
    ".gitignore",
    ".gitattributes",
    ".DS_Store",
];

/// How many leading bytes of a document are read to tell its type.
pub const PROBE_HEAD_BYTES: usize = 1024;

/// The first bytes of the file types a document may have: PDF, PNG and JPEG.
pub const DOCUMENT_SIGNATURES: [&[u8]; 3] = [b"%PDF-", b"\x89PNG\r\n\x1a\n", b"\xFF\xD8\xFF"];

/// What is at a document path: learnt without following links and without reading
/// anything but the head of a regular file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// Nothing is there.
    Missing,
    /// The path leaves the port folder (absolute, `..`) or passes through a symbolic link.
    Outside {
        /// Why, for the message.
        reason: String,
    },
    /// Something that is not a regular file (a folder, FIFO, socket or device); never read.
    NotAFile {
        /// What it is.
        what: &'static str,
    },
    /// A regular file.
    File {
        /// Its size in bytes.
        size: u64,
        /// Its first bytes (at most [`PROBE_HEAD_BYTES`]; a loaded repo keeps only the
        /// signature of a PDF, PNG or JPEG, see [`Probe::shrink`]).
        head: Vec<u8>,
    },
}

impl Probe {
    /// Keeps of a file's head only its signature when it has one of
    /// [`DOCUMENT_SIGNATURES`]: nothing past it is ever looked at, and a desk's worth of
    /// kilobyte heads is a good part of what a check holds in memory.
    pub fn shrink(&mut self) {
        if let Probe::File { head, .. } = self
            && let Some(signature) = DOCUMENT_SIGNATURES.iter().find(|s| head.starts_with(s))
        {
            head.truncate(signature.len());
            head.shrink_to_fit();
        }
    }
}

/// A set of files to check: the working tree, or (later) a git tree.
pub trait Tree {
    /// Every file under `ports/` and the policy and schema files, repo-relative with `/`,
    /// and the paths under `ports/` passed over.
    fn files(&self) -> Result<Cow<'_, Listing>, RepoError>;
    /// The bytes of a repo-relative regular file of at most `cap` bytes; a link, a special
    /// file or a larger file is [`RepoError::Refused`].
    fn read(&self, path: &str, cap: u64) -> Result<Vec<u8>, RepoError>;
    /// What is at `rel` inside the port folder `port_dir` (both `/`-separated).
    fn probe(&self, port_dir: &str, rel: &str) -> Probe;
    /// The same tree when several threads may read it at once (a repo's ports are then
    /// read in parallel too); `None` keeps reading to one thread.
    fn sync(&self) -> Option<&(dyn Tree + Sync)> {
        None
    }
}

/// Checks a document path lexically: relative, no `..`, no empty or `.` tricks.
pub fn lexical_outside(rel: &str) -> Option<String> {
    if rel.is_empty() {
        return Some("the path is empty".to_owned());
    }
    if rel.starts_with('/') || rel.starts_with('\\') || rel.get(1..2) == Some(":") {
        return Some("the path is absolute".to_owned());
    }
    if rel.contains('\\') {
        return Some("the path uses `\\`; write folders with `/`".to_owned());
    }
    if rel.split('/').any(|c| c == "..") {
        return Some("the path climbs out with `..`".to_owned());
    }
    None
}

/// The files of a working tree on disk.
#[derive(Debug, Clone)]
pub struct WorkTree {
    /// The repo root.
    pub root: PathBuf,
}

impl WorkTree {
    /// The nearest ancestor of `start` (inclusive) that holds `porting.toml`.
    pub fn discover(start: &Path) -> Result<WorkTree, RepoError> {
        let start = start.canonicalize().map_err(|source| RepoError::Io {
            path: start.to_owned(),
            source,
        })?;
        start
            .ancestors()
            // Anything named porting.toml marks the root; reading it refuses a link or FIFO.
            .find(|dir| std::fs::symlink_metadata(dir.join(POLICY_FILE)).is_ok_and(|m| !m.is_dir()))
            .map(|root| WorkTree {
                root: root.to_owned(),
            })
            .ok_or(RepoError::NotARepo(start))
    }
}

impl WorkTree {
    /// Lists one entry below ports/ into `out`; whether it is a folder to walk into (a
    /// hidden or unnameable one is not).
    fn take(&self, entry: &walkdir::DirEntry, out: &mut Listing) -> bool {
        let Ok(rel) = entry.path().strip_prefix(&self.root) else {
            return false;
        };
        let kind = if entry.path_is_symlink() {
            EntryKind::Link
        } else if entry.file_type().is_dir() {
            EntryKind::Folder
        } else {
            EntryKind::Other
        };
        take_entry(rel_string(rel), kind, out).is_some()
    }

    /// The listing of [`Tree::files`] with only the files under the folder `top` (e.g. one
    /// port) walked under `ports/`.
    pub fn files_under(&self, top: &str) -> Result<Listing, RepoError> {
        self.listing(Some(top))
    }

    /// A listing with porting.toml and the schema copies: what every listing starts with.
    fn listing_heads(&self) -> Listing {
        let mut listing = Listing {
            files: vec![POLICY_FILE.to_owned()],
            ..Listing::default()
        };
        for kind in SchemaKind::ALL {
            let rel = format!("schemas/{}", kind.file_name());
            // Listed when anything is there: reading refuses what is not a regular file.
            if std::fs::symlink_metadata(self.root.join(&rel)).is_ok() {
                listing.files.push(rel);
            }
        }
        listing
    }

    fn listing(&self, top: Option<&str>) -> Result<Listing, RepoError> {
        let mut listing = self.listing_heads();
        let ports = self.root.join(top.unwrap_or(PORTS_DIR));
        if std::fs::symlink_metadata(&ports).is_ok_and(|m| m.is_dir()) {
            // Each folder directly under ports/ is walked on its own, in parallel; the parts
            // are joined in name order, as one walk of ports/ would list them.
            let entries: Vec<walkdir::Result<walkdir::DirEntry>> =
                walker(&ports).max_depth(1).into_iter().collect();
            let parts: Vec<Result<Listing, RepoError>> = entries
                .into_par_iter()
                .map(|entry| {
                    let entry = entry.map_err(|err| walk_error(err, &ports))?;
                    let mut part = Listing::default();
                    if self.take(&entry, &mut part) {
                        let mut walk = walker(entry.path()).into_iter();
                        while let Some(inner) = walk.next() {
                            let inner = inner.map_err(|err| walk_error(err, &ports))?;
                            if !self.take(&inner, &mut part) && inner.file_type().is_dir() {
                                walk.skip_current_dir();
                            }
                        }
                    }
                    Ok(part)
                })
                .collect();
            for part in parts {
                listing.append(part?);
            }
        }
        Ok(listing)
    }
}

/// What a folder entry is, as listing it tells (links are never followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum EntryKind {
    /// A folder.
    Folder,
    /// A symbolic link.
    Link,
    /// A file, or anything else (a FIFO, a socket, a device).
    Other,
}

/// Sorts out one entry under ports/ (`rel`, repo-relative) into `out`: `rel` back when it
/// is a folder to walk into (a hidden or unnameable one is not).
pub(crate) fn take_entry(rel: String, kind: EntryKind, out: &mut Listing) -> Option<String> {
    if let Some(skipped) = Listing::skip_reason(&rel) {
        // Hidden or unnameable: never read, never descended into.
        out.skipped.push(skipped);
        return None;
    }
    // Directories are implied by their files; links and special files are listed so
    // that reading (or the document rules) refuses them with a finding.
    if kind == EntryKind::Link {
        out.links.insert(rel.clone());
    }
    if kind == EntryKind::Folder && !Listing::is_toml_slot(&rel) {
        return Some(rel);
    }
    // A folder named `request.toml` (or an event's name) is listed as that file, not
    // walked into: reading refuses it.
    out.files.push(rel);
    None
}

/// The entries below `dir` in name order, never through a link.
fn walker(dir: &Path) -> WalkDir {
    WalkDir::new(dir)
        .follow_links(false)
        .follow_root_links(false)
        .sort_by_file_name()
        .min_depth(1)
}

fn walk_error(err: walkdir::Error, ports: &Path) -> RepoError {
    RepoError::Io {
        path: err.path().unwrap_or(ports).to_owned(),
        source: err.into(),
    }
}

impl Tree for WorkTree {
    fn files(&self) -> Result<Cow<'_, Listing>, RepoError> {
        self.listing(None).map(Cow::Owned)
    }

    fn read(&self, path: &str, cap: u64) -> Result<Vec<u8>, RepoError> {
        read_regular(&self.root, path, cap)
    }

    fn sync(&self) -> Option<&(dyn Tree + Sync)> {
        Some(self)
    }

    fn probe(&self, port_dir: &str, rel: &str) -> Probe {
        if let Some(reason) = lexical_outside(rel) {
            return Probe::Outside { reason };
        }
        let base = self.root.join(port_dir);
        let mut path = base.clone();
        let parts: Vec<&str> = rel
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .collect();
        for (i, part) in parts.iter().enumerate() {
            path.push(part);
            let meta = match std::fs::symlink_metadata(&path) {
                Ok(meta) => meta,
                Err(_) => return Probe::Missing,
            };
            let file_type = meta.file_type();
            if file_type.is_symlink() {
                return Probe::Outside {
                    reason: format!("`{}` is a symbolic link", parts[..=i].join("/")),
                };
            }
            if i + 1 < parts.len() {
                if !file_type.is_dir() {
                    return Probe::Missing;
                }
                continue;
            }
            if file_type.is_dir() {
                return Probe::NotAFile { what: "a folder" };
            }
            if !file_type.is_file() {
                return Probe::NotAFile {
                    what: "a special file (FIFO, socket or device)",
                };
            }
            let mut head = Vec::with_capacity(PROBE_HEAD_BYTES);
            // Opened without following a link swapped in since the look above.
            if let Ok(file) = open_no_follow(&path)
                && file.metadata().is_ok_and(|m| m.is_file())
            {
                use std::io::Read;
                let _ = file.take(PROBE_HEAD_BYTES as u64).read_to_end(&mut head);
            }
            return Probe::File {
                size: meta.len(),
                head,
            };
        }
        Probe::NotAFile { what: "a folder" }
    }
}

fn rel_string(path: &Path) -> String {
    // The common case, a UTF-8 path of plain names, is already written that way.
    #[cfg(unix)]
    if let Some(text) = path.to_str()
        && text
            .split('/')
            .all(|name| !name.is_empty() && name != "." && name != "..")
    {
        return text.to_owned();
    }
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// A file that parsed, passed its schema and became a typed value.
#[derive(Debug, Clone)]
pub struct Loaded<T> {
    /// The parsed document (spans for every key and value).
    pub doc: Document,
    /// The validated value.
    pub value: T,
}

/// One event file of a port.
#[derive(Debug, Clone)]
pub struct EventFile {
    /// Repo-relative path.
    pub path: String,
    /// The file name, e.g. `003-rejected.toml`.
    pub name: String,
    /// The number from the name, when the name has one.
    pub number: Option<u32>,
    /// The kind from the name, when the name has one.
    pub name_kind: Option<EventKind>,
    /// The validated event, when it parsed and passed its schema.
    pub loaded: Option<Loaded<Event>>,
}

/// One port folder.
#[derive(Debug, Clone)]
pub struct Port {
    /// The port id (its folder name).
    pub id: String,
    /// Repo-relative folder, e.g. `ports/2026/2026-11-lakeside-dental`.
    pub dir: String,
    /// The typed request, when it parsed and its model builds (it may still have failed
    /// its schema: then `invalid` is set and the schema findings say why).
    pub request: Option<Loaded<Request>>,
    /// Event files in name order.
    pub events: Vec<EventFile>,
    /// Other files of the port (documents), repo-relative.
    pub files: Vec<String>,
    /// Whether any of the port's files failed to parse or failed its schema.
    pub invalid: bool,
    /// What is at every document path the request and its `signed` events name, keyed by
    /// the path as written (relative to the port folder).
    pub probes: BTreeMap<String, Probe>,
    /// The signed LOA files its `signed` events name (regular files within the size cap),
    /// keyed by the path as written; not read for a port with a `completed` or `cancelled`
    /// event, whose files never change.
    pub signed_files: BTreeMap<String, SignedFile>,
}

impl Port {
    /// Repo-relative path of the request file.
    pub fn request_path(&self) -> String {
        format!("{}/request.toml", self.dir)
    }
}

/// Everything read from a repo, plus the findings made while reading it.
#[derive(Debug, Default)]
pub struct Repo {
    /// The validated policy, when porting.toml is valid.
    pub policy: Option<Loaded<Policy>>,
    /// Every port, in path order.
    pub ports: Vec<Port>,
    /// Findings from parsing, schemas and layout.
    pub findings: Vec<Finding>,
    /// Every TOML file read, by repo-relative path (masked text is what reports show).
    pub sources: BTreeMap<String, Arc<SourceFile>>,
    /// Port folders left unread ([`Repo::load_with`]), sorted: their verdicts are known.
    pub unread: Vec<String>,
}

/// What [`Repo::load_with`] has read when it asks which ports to leave unread.
#[derive(Debug)]
pub struct Listed<'a> {
    /// porting.toml's bytes.
    pub policy: &'a [u8],
    /// The repo's schema copies ([`SchemaKind::ALL`] order; `None` when absent or refused).
    pub schemas: &'a [Option<String>],
    /// Every port folder with its files, in path order.
    pub ports: &'a [(String, Vec<String>)],
}

/// Whether a folder name is a valid port id.
pub fn is_port_id(name: &str) -> bool {
    let len = name.len();
    (3..=64).contains(&len)
        && name
            .bytes()
            .enumerate()
            .all(|(i, b)| b.is_ascii_lowercase() || b.is_ascii_digit() || (i > 0 && b == b'-'))
}

/// Whether a folder name under `ports/` is a year (`ports/2026/<id>`), not a port id.
pub fn is_year(name: &str) -> bool {
    name.len() == 4 && name.bytes().all(|b| b.is_ascii_digit())
}

/// Whether a folder directly under `ports/` holds ports by year (`ports/2026/<id>`): a
/// year's name and no request.toml of its own (a folder that has one is a port).
pub fn is_year_folder(name: &str, has_own_request: bool) -> bool {
    is_year(name) && !has_own_request
}

/// Adds `file` to the files of the port folder `dir`, which come in folder order.
fn push_file(port_dirs: &mut BTreeMap<String, Vec<String>>, dir: &str, file: &str) {
    match port_dirs.last_entry() {
        Some(mut last) if last.key() == dir => last.get_mut().push(file.to_owned()),
        _ => port_dirs
            .entry(dir.to_owned())
            .or_default()
            .push(file.to_owned()),
    }
}

impl Repo {
    /// Reads every file of the tree; findings are collected, only I/O failures are errors.
    /// Ports are independent, so they are loaded in parallel: read and parsed together when
    /// the tree may be read from several threads ([`Tree::sync`]), otherwise read in turn and
    /// parsed in parallel. Findings and sources come out in the same order either way.
    pub fn load(tree: &dyn Tree) -> Result<Repo, RepoError> {
        Repo::load_with(tree, &mut |_| BTreeSet::new())
    }

    /// [`Repo::load`], reading only the ports `unread` does not name: it is asked once
    /// porting.toml and the schema copies are read and the port folders are known, and
    /// returns the folders to leave unread (kept in [`Repo::unread`]).
    pub fn load_with(
        tree: &dyn Tree,
        unread: &mut dyn FnMut(&Listed<'_>) -> BTreeSet<String>,
    ) -> Result<Repo, RepoError> {
        let listing = tree.files()?;
        let files = &listing.files;
        let mut repo = Repo::default();
        let file_set: FxHashSet<&str> = files.iter().map(String::as_str).collect();

        // The policy is read before anything else and cannot be a finding: without it
        // nothing can be judged, so a link or special file here stops the run (exit 2).
        let policy_bytes = tree.read(POLICY_FILE, CONFIG_MAX_BYTES)?;
        let secret_keys = secret_keys_of(&policy_bytes);
        let secret_refs: Vec<&str> = secret_keys.iter().map(String::as_str).collect();
        let mut loader = Loader {
            file_set: &file_set,
            secret_keys: &secret_refs,
            toml_cap: crate::model::policy::DocumentPolicy::default_max_toml_bytes(),
            document_cap: crate::model::policy::DocumentPolicy::default_max_document_bytes(),
        };
        let mut sink = Sink::default();
        repo.policy = loader.load_file::<Policy>(
            POLICY_FILE,
            &policy_bytes,
            SchemaKind::Porting,
            &[],
            &mut sink,
        );
        if let Some(policy) = &repo.policy {
            loader.toml_cap = policy.value.documents.max_toml_bytes;
            loader.document_cap = policy.value.documents.max_document_bytes;
        }

        let mut schema_copies = Vec::new();
        for kind in SchemaKind::ALL {
            let rel = format!("schemas/{}", kind.file_name());
            let copy = if file_set.contains(rel.as_str()) {
                match loader.read(tree, &rel, CONFIG_MAX_BYTES)? {
                    Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
                    Err(refused) => {
                        sink.findings.push(refused);
                        schema_copies.push(None);
                        continue;
                    }
                }
            } else {
                None
            };
            sink.findings.extend(schema::drift(kind, copy.as_deref()));
            schema_copies.push(copy);
        }
        repo.absorb(sink);

        for skipped in &listing.skipped {
            repo.findings.push(
                Finding::new(
                    Code::RepoStray,
                    skipped.path.clone(),
                    0..0,
                    format!("`{}` is skipped: {}", skipped.path, skipped.why),
                )
                .help(skipped.help.clone()),
            );
        }
        // Links are never followed. Those portflow would read as a request or an event are
        // refused when read; a document's link is the document rules' to report.
        for link in &listing.links {
            let read_later = link.ends_with("/request.toml") || link.contains("/events/");
            if !read_later && !link.contains("/documents/") {
                repo.findings.push(refused_finding(link, &Refusal::Link));
            }
        }

        // Group files by port folder: ports/<id>/… or ports/<year>/<id>/….
        let mut port_dirs: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut stray: BTreeSet<String> = BTreeSet::new();
        // A folder's files are listed together: whether it has a request is asked once, for
        // the folder under ports/ and for the one under a year folder.
        let has_request = |asked: &mut (String, bool), dir: &str| {
            if asked.0 != dir {
                let answer = file_set.contains(format!("{dir}/request.toml").as_str());
                *asked = (dir.to_owned(), answer);
            }
            asked.1
        };
        let (mut top_asked, mut inner_asked) = Default::default();
        for file in files.iter().filter(|f| f.starts_with("ports/")) {
            let mut parts = file.splitn(4, '/').skip(1);
            let (Some(name), Some(below)) = (parts.next(), parts.next()) else {
                continue; // a loose file directly under ports/ (a link is reported above)
            };
            let top = &file[..PORTS_DIR.len() + 1 + name.len()];
            let top_has_request = has_request(&mut top_asked, top);
            if !is_year_folder(name, top_has_request) {
                if top_has_request {
                    push_file(&mut port_dirs, top, file);
                } else {
                    stray.insert(top.to_owned());
                }
            } else if parts.next().is_some() {
                let dir = &file[..top.len() + 1 + below.len()];
                if has_request(&mut inner_asked, dir) {
                    push_file(&mut port_dirs, dir, file);
                } else {
                    stray.insert(dir.to_owned());
                }
            }
        }
        for dir in stray {
            repo.findings.push(
                Finding::new(
                    Code::RepoStray,
                    dir.clone(),
                    0..0,
                    format!("`{dir}` is not a port: it has no `request.toml`"),
                )
                .help("add a request.toml (`portflow new`), move the folder out of ports/, or delete it"),
            );
        }
        let mut port_dirs: Vec<(String, Vec<String>)> = port_dirs.into_iter().collect();
        repo.unread = unread(&Listed {
            policy: &policy_bytes,
            schemas: &schema_copies,
            ports: &port_dirs,
        })
        .into_iter()
        .collect();
        if !repo.unread.is_empty() {
            port_dirs.retain(|(dir, _)| repo.unread.binary_search(dir).is_err());
        }
        // Ports are boxed until they are taken in, so the list of results stays small.
        let loaded: Vec<Result<(Box<Port>, Sink), RepoError>> = match tree.sync() {
            Some(tree) => port_dirs
                .into_par_iter()
                .map(|(dir, files)| {
                    let mut sink = Sink::default();
                    let read = loader.read_port(tree, dir, files)?;
                    let mut port = Box::new(loader.parse_port(read, &mut sink));
                    loader.finish_port(tree, &mut port);
                    Ok((port, sink))
                })
                .collect(),
            None => {
                let mut read = Vec::with_capacity(port_dirs.len());
                for (dir, files) in port_dirs {
                    read.push(loader.read_port(tree, dir, files)?);
                }
                let parsed: Vec<(Box<Port>, Sink)> = read
                    .into_par_iter()
                    .map(|read| {
                        let mut sink = Sink::default();
                        (Box::new(loader.parse_port(read, &mut sink)), sink)
                    })
                    .collect();
                parsed
                    .into_iter()
                    .map(|(mut port, sink)| {
                        loader.finish_port(tree, &mut port);
                        Ok((port, sink))
                    })
                    .collect()
            }
        };
        let mut seen_ids: BTreeMap<String, String> = BTreeMap::new();
        repo.ports.reserve_exact(loaded.len());
        for result in loaded {
            // The first failure in port order, as when the ports are read in turn.
            let (port, sink) = result?;
            repo.absorb(sink);
            let id = &port.id;
            if !is_port_id(id) {
                repo.findings.push(
                    Finding::new(
                        Code::RepoPortId,
                        port.request_path(),
                        0..0,
                        format!("`{id}` is not a valid port id"),
                    )
                    .help("rename the folder: 3–64 lowercase letters, digits and hyphens, starting with a letter or digit, e.g. `2026-11-lakeside-dental`"),
                );
            }
            if let Some(first) = seen_ids.get(id) {
                repo.findings.push(
                    Finding::new(
                        Code::RepoDuplicatePort,
                        port.request_path(),
                        0..0,
                        format!("port id `{id}` is used twice"),
                    )
                    .label("second port with this id")
                    .related(
                        format!("{first}/request.toml"),
                        0..0,
                        "first port with this id",
                    )
                    .help("port ids are unique across the repo: rename one of the folders"),
                );
            } else {
                seen_ids.insert(id.clone(), port.dir.clone());
            }
            repo.ports.push(*port);
        }
        Ok(repo)
    }

    /// Takes in what loading some files found.
    fn absorb(&mut self, sink: Sink) {
        self.findings.extend(sink.findings);
        self.sources.extend(sink.sources);
    }

    /// Every port by its folder, for looking many up.
    pub fn ports_by_dir(&self) -> HashMap<&str, &Port> {
        self.ports.iter().map(|p| (p.dir.as_str(), p)).collect()
    }

    /// The port whose folder is the repo-relative `file` or holds it. Each folder on the
    /// file's path is looked up in turn among the ports, which are in path order: a lookup
    /// per finding stays cheap when a desk has thousands of ports and of findings.
    pub fn port_for_file(&self, file: &str) -> Option<&Port> {
        let ends = file
            .match_indices('/')
            .map(|(at, _)| at)
            .chain([file.len()]);
        ends.filter_map(|end| {
            let dir = &file[..end];
            self.ports
                .binary_search_by(|p| p.dir.as_str().cmp(dir))
                .ok()
        })
        .map(|i| &self.ports[i])
        .next()
    }
}

/// porting.toml of a past commit, loaded alone as [`Repo::load`] loads it, and that commit's
/// requests loaded under it: the data an event of that time is judged by. Findings are not
/// kept; what does not load is `None`, as it is for [`Repo::load`].
#[derive(Debug, Clone)]
pub struct PolicyThen {
    /// The validated policy.
    pub policy: Arc<Policy>,
    /// Its secret requirement keys, masked in a request.
    secret_keys: Vec<String>,
}

impl PolicyThen {
    /// `None` when porting.toml does not parse, fails its schema or does not build the model.
    pub fn load(bytes: &[u8]) -> Option<PolicyThen> {
        let policy = load_alone::<Policy>(POLICY_FILE, bytes, SchemaKind::Porting, &[])?;
        Some(PolicyThen {
            policy: Arc::new(policy),
            secret_keys: secret_keys_of(bytes),
        })
    }

    /// The most bytes read of a request file under this policy.
    pub fn request_cap(&self) -> u64 {
        self.policy.documents.max_toml_bytes
    }

    /// The request at `path` (repo-relative): `None` when it does not parse or does not
    /// build the typed model. A request that fails its schema but builds it loads, as it
    /// does for [`Repo::load`].
    pub fn load_request(&self, path: &str, bytes: &[u8]) -> Option<Request> {
        let keys: Vec<&str> = self.secret_keys.iter().map(String::as_str).collect();
        load_alone::<Request>(path, bytes, SchemaKind::Request, &keys)
    }
}

/// One file loaded by the loader's own steps (parse, schema, typed model), outside a repo.
fn load_alone<T: DeserializeOwned>(
    path: &str,
    bytes: &[u8],
    kind: SchemaKind,
    secret_keys: &[&str],
) -> Option<T> {
    let no_files = FxHashSet::default();
    let loader = Loader {
        file_set: &no_files,
        secret_keys,
        toml_cap: u64::MAX,
        document_cap: u64::MAX,
    };
    let mut sink = Sink::default();
    loader
        .load_file::<T>(path, bytes, kind, secret_keys, &mut sink)
        .map(|loaded| loaded.value)
}

/// What loading files found, kept apart per port so that ports load in parallel and the
/// repo takes them in, in port order.
#[derive(Debug, Default)]
struct Sink {
    findings: Vec<Finding>,
    sources: Vec<(String, Arc<SourceFile>)>,
    /// Requests that fail their schema but still make a typed request (an unknown key, one
    /// value in a wrong format): the other rules run on them, so one typo hides nothing.
    partial: Vec<String>,
}

/// A request or event file as read: its bytes, or the finding for a file portflow refuses.
type Read = Result<Vec<u8>, Finding>;

/// A port's request and event files as read, in listing order: the part of loading a port
/// that needs the tree, kept apart from parsing, which needs only the bytes.
struct PortRead {
    dir: String,
    id: String,
    request: Read,
    /// Each event file's path, name and bytes.
    events: Vec<(String, String, Read)>,
    /// The port's other files.
    others: Vec<String>,
}

/// What loading every file shares: the listing, the secret keys and the size caps. Holds
/// nothing mutable, so any number of threads may load with it.
struct Loader<'a> {
    file_set: &'a FxHashSet<&'a str>,
    secret_keys: &'a [&'a str],
    /// The most bytes read of a request or event file.
    toml_cap: u64,
    /// The most bytes read of a signed LOA file.
    document_cap: u64,
}

impl Loader<'_> {
    /// The bytes of a file, or (`Ok(Err(..))`) the `repo::not-a-file` or `repo::too-large`
    /// finding when portflow refuses to read it. Other I/O failures stop the load.
    fn read(&self, tree: &dyn Tree, path: &str, cap: u64) -> Result<Read, RepoError> {
        match tree.read(path, cap) {
            Ok(bytes) => Ok(Ok(bytes)),
            Err(RepoError::Refused { path, refusal }) => Ok(Err(refused_finding(&path, &refusal))),
            Err(err) => Err(err),
        }
    }

    /// Reads a port's request and event files.
    fn read_port(
        &self,
        tree: &dyn Tree,
        dir: String,
        files: Vec<String>,
    ) -> Result<PortRead, RepoError> {
        let id = dir.rsplit('/').next().unwrap_or_default().to_owned();
        let request_path = format!("{dir}/request.toml");
        let request = self.read(tree, &request_path, self.toml_cap)?;
        let mut events = Vec::new();
        let mut others = Vec::new();
        let events_prefix = format!("{dir}/events/");
        for file in files {
            if file == request_path {
                continue;
            }
            match file.strip_prefix(&events_prefix) {
                Some(name) if !name.contains('/') && name.ends_with(".toml") => {
                    let name = name.to_owned();
                    let read = self.read(tree, &file, self.toml_cap)?;
                    events.push((file, name, read));
                }
                _ => others.push(file),
            }
        }
        Ok(PortRead {
            dir,
            id,
            request,
            events,
            others,
        })
    }

    /// Parses a port's files: the port without what its documents hold (see
    /// [`Loader::finish_port`]).
    fn parse_port(&self, read: PortRead, sink: &mut Sink) -> Port {
        let request_path = format!("{}/request.toml", read.dir);
        let request =
            self.read_and_load::<Request>(&request_path, read.request, SchemaKind::Request, sink);
        let mut invalid = request.is_none() || sink.partial.contains(&request_path);
        let mut events = Vec::with_capacity(read.events.len());
        for (path, name, bytes) in read.events {
            let loaded = self.read_and_load::<Event>(&path, bytes, SchemaKind::Event, sink);
            invalid |= loaded.is_none();
            let (number, name_kind) = parse_event_name(&name);
            events.push(EventFile {
                path,
                name,
                number,
                name_kind,
                loaded,
            });
        }
        Port {
            id: read.id,
            dir: read.dir,
            request,
            events,
            files: read.others,
            invalid,
            probes: BTreeMap::new(),
            signed_files: BTreeMap::new(),
        }
    }

    /// Looks at every document path the request and its `signed` events name, and reads
    /// the signed LOA files of a port that is not finished.
    fn finish_port(&self, tree: &dyn Tree, port: &mut Port) {
        let dir = port.dir.as_str();
        let mut paths: Vec<&str> = Vec::new();
        if let Some(req) = &port.request {
            paths.extend(req.value.documents.iter().map(|d| d.path.as_str()));
        }
        let signed_from = paths.len();
        for ev in &port.events {
            if let Some(Loaded {
                value:
                    Event {
                        body: EventBody::Signed { document, .. },
                        ..
                    },
                ..
            }) = &ev.loaded
            {
                paths.push(document.as_str());
            }
        }
        let signed_paths: Vec<&str> = paths[signed_from..].to_vec();
        let mut probes = BTreeMap::new();
        for path in paths {
            probes.entry(path.to_owned()).or_insert_with(|| {
                let mut probe = tree.probe(dir, path);
                probe.shrink();
                probe
            });
        }
        let finished = port.events.iter().any(|e| {
            matches!(
                e.name_kind,
                Some(EventKind::Completed | EventKind::Cancelled)
            )
        });
        let mut signed_files = BTreeMap::new();
        if !finished {
            for path in signed_paths {
                if signed_files.contains_key(path)
                    || !matches!(probes.get(path), Some(Probe::File { .. }))
                {
                    continue;
                }
                // The probe saw a regular file inside the port; the read refuses anything else.
                if let Ok(bytes) = tree.read(&format!("{dir}/{path}"), self.document_cap) {
                    signed_files.insert(path.to_owned(), SignedFile::of(&bytes));
                }
            }
        }
        port.probes = probes;
        port.signed_files = signed_files;
    }

    /// Loads a request or event file as read; `None` (with a finding) when it was refused
    /// or does not load.
    fn read_and_load<T: DeserializeOwned>(
        &self,
        path: &str,
        read: Read,
        kind: SchemaKind,
        sink: &mut Sink,
    ) -> Option<Loaded<T>> {
        match read {
            Ok(bytes) => self.load_file::<T>(path, &bytes, kind, self.secret_keys, sink),
            Err(refused) => {
                sink.findings.push(refused);
                None
            }
        }
    }

    /// parse -> schema -> typed model; a failing stage stops this file only.
    fn load_file<T: DeserializeOwned>(
        &self,
        path: &str,
        bytes: &[u8],
        kind: SchemaKind,
        secret_keys: &[&str],
        sink: &mut Sink,
    ) -> Option<Loaded<T>> {
        let mut keys: Vec<&str> = ALWAYS_SECRET_KEYS.to_vec();
        keys.extend_from_slice(secret_keys);
        let (file, utf8_error) = SourceFile::from_bytes(path, bytes, &keys);
        if let Some(finding) = utf8_error {
            sink.sources.push((path.to_owned(), Arc::new(file)));
            sink.findings.push(finding);
            return None;
        }
        let (mut doc, instance) = match Document::parse_json(file.clone()) {
            Ok((doc, instance)) => {
                sink.sources.push((path.to_owned(), Arc::clone(&doc.file)));
                (doc, instance)
            }
            Err(finding) => {
                sink.sources.push((path.to_owned(), Arc::new(file)));
                sink.findings.push(*finding);
                return None;
            }
        };
        // The directive is checked only on files that parse: a broken file's other checks stop.
        self.check_directive(&doc.file, kind, kind == SchemaKind::Request, sink);
        let violations = schema::validate_json(&doc, &instance, kind, &keys);
        if !violations.is_empty() {
            sink.findings.extend(violations);
            // A request whose typed model still builds is judged by every other rule too;
            // an event or porting.toml that fails its schema is not used at all.
            if kind != SchemaKind::Request {
                return None;
            }
            let known = schema::known_keys_only(kind, &instance);
            let value = serde_json::from_value::<T>(known).ok()?;
            sink.partial.push(path.to_owned());
            doc.shed_tree();
            return Some(Loaded { doc, value });
        }
        doc.shed_tree();
        match serde_json::from_value::<T>(instance) {
            Ok(value) => Some(Loaded { doc, value }),
            Err(err) => {
                // The schema and the model are kept in step by tests; this is the safety net.
                sink.findings.push(
                    Finding::new(
                        Code::SchemaViolation,
                        path,
                        0..0,
                        format!("the file passes the schema but not portflow's model: {err}"),
                    )
                    .help("report this to the portflow maintainers with the file attached"),
                );
                None
            }
        }
    }

    /// `repo::schema-directive`: the leading `#:schema` comment must reach the schema copy.
    fn check_directive(
        &self,
        file: &SourceFile,
        kind: SchemaKind,
        required: bool,
        sink: &mut Sink,
    ) {
        let expected = format!("schemas/{}", kind.file_name());
        let dir_depth = file.path.to_string_lossy().matches('/').count();
        let suggestion = format!("{}{expected}", "../".repeat(dir_depth));
        let mut offset = 0;
        for line in file.text.split_inclusive('\n') {
            // A byte-order mark before the first line is not content.
            let trimmed = line.trim_start_matches('\u{feff}').trim_start();
            if let Some(rest) = trimmed.strip_prefix("#:schema") {
                let target = rest.trim();
                let start = offset
                    + (line.len() - trimmed.len())
                    + "#:schema".len()
                    + (rest.len() - rest.trim_start().len());
                let span = start..start + target.len();
                let resolved = resolve(&file.path.to_string_lossy(), target);
                let reaches = resolved.as_deref() == Some(expected.as_str());
                if !reaches || !self.file_set.contains(expected.as_str()) {
                    let why = if reaches { "which is missing" } else { "not" };
                    sink.findings.push(
                        Finding::new(
                            Code::RepoSchemaDirective,
                            file.path.clone(),
                            span,
                            if reaches {
                                format!("the `#:schema` directive points at `{expected}`, {why}")
                            } else {
                                format!("the `#:schema` directive does not reach `{expected}`")
                            },
                        )
                        .label("this path")
                        .help(format!(
                            "write `#:schema {suggestion}` so editors check the file while you type"
                        )),
                    );
                }
                return;
            }
            if !(trimmed.is_empty() || trimmed.starts_with('#')) {
                break;
            }
            offset += line.len();
        }
        if required {
            sink.findings.push(
                Finding::new(
                    Code::RepoSchemaDirective,
                    file.path.clone(),
                    0..0,
                    "the file does not start with a `#:schema` directive".to_owned(),
                )
                .help(format!("add `#:schema {suggestion}` as the first line so editors check the file while you type")),
            );
        }
    }
}

/// The finding for a file portflow refuses to read (`repo::not-a-file`, `repo::too-large`).
fn refused_finding(path: &str, refusal: &Refusal) -> Finding {
    let (code, help) = match refusal {
        Refusal::TooLarge { cap, .. } => (
            Code::RepoTooLarge,
            format!(
                "split the port, or raise `[documents] max_toml_bytes` in porting.toml (now {cap} bytes) if the file is genuine"
            ),
        ),
        Refusal::Link => (
            Code::RepoNotAFile,
            "commit the file itself instead of a symbolic link: a ports repo holds regular files only".to_owned(),
        ),
        Refusal::NotAFile(_) => (
            Code::RepoNotAFile,
            "replace it with a regular file (or remove it): a ports repo holds regular files only".to_owned(),
        ),
    };
    Finding::new(code, path, 0..0, format!("`{path}` is not read: {refusal}")).help(help)
}

/// Resolves a relative path against a file's folder, repo-relative; `None` when it leaves the repo.
fn resolve(from_file: &str, target: &str) -> Option<String> {
    if target.contains("://") || target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = from_file.split('/').collect();
    parts.pop();
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// `003-rejected.toml` -> (Some(3), Some(Rejected)).
pub fn parse_event_name(name: &str) -> (Option<u32>, Option<EventKind>) {
    let Some(stem) = name.strip_suffix(".toml") else {
        return (None, None);
    };
    let Some((num, kind)) = stem.split_once('-') else {
        return (None, None);
    };
    let number = (num.len() == 3 && num.bytes().all(|b| b.is_ascii_digit()))
        .then(|| num.parse().ok())
        .flatten();
    (number, kind.parse().ok())
}

/// The keys of secret country requirements, read leniently so masking works even when
/// porting.toml does not pass its schema.
fn secret_keys_of(policy: &[u8]) -> Vec<String> {
    let Ok(text) = std::str::from_utf8(policy) else {
        return Vec::new();
    };
    let Ok(table) = toml::from_str::<toml::Table>(text) else {
        return Vec::new();
    };
    let mut keys = BTreeSet::new();
    if let Some(countries) = table.get("countries").and_then(|c| c.as_table()) {
        for country in countries.values() {
            let reqs = country.get("requirements").and_then(|r| r.as_array());
            for req in reqs.into_iter().flatten() {
                let secret = req.get("secret").and_then(|s| s.as_bool()).unwrap_or(false);
                if let (true, Some(key)) = (secret, req.get("key").and_then(|k| k.as_str())) {
                    keys.insert(key.to_owned());
                }
            }
        }
    }
    keys.into_iter().collect()
}

/// A tree plus in-memory files laid over it: how a port would look after a write, checked
/// before anything touches the disk (`portflow new` and `portflow record`).
pub struct OverlayTree<'a> {
    /// The files underneath.
    pub base: &'a dyn Tree,
    /// Extra or replaced files, by repo-relative path with `/`.
    pub extra: BTreeMap<String, Vec<u8>>,
}

impl<'a> OverlayTree<'a> {
    /// `base` with no extra files yet.
    pub fn new(base: &'a dyn Tree) -> OverlayTree<'a> {
        OverlayTree {
            base,
            extra: BTreeMap::new(),
        }
    }

    /// Adds (or replaces) a file.
    pub fn with(mut self, path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> OverlayTree<'a> {
        self.extra.insert(path.into(), bytes.into());
        self
    }
}

impl Tree for OverlayTree<'_> {
    fn files(&self) -> Result<Cow<'_, Listing>, RepoError> {
        let mut listing = self.base.files()?.into_owned();
        let known: BTreeSet<String> = listing.files.iter().cloned().collect();
        // Order does not matter to `Repo::load`: it groups files by port folder and rules
        // order events by number.
        listing
            .files
            .extend(self.extra.keys().filter(|p| !known.contains(*p)).cloned());
        for path in self.extra.keys() {
            listing.links.remove(path);
        }
        // The base's stat data is not the overlaid files'.
        listing.stats.clear();
        Ok(Cow::Owned(listing))
    }

    fn read(&self, path: &str, cap: u64) -> Result<Vec<u8>, RepoError> {
        match self.extra.get(path) {
            Some(bytes) if bytes.len() as u64 > cap => Err(RepoError::Refused {
                path: path.to_owned(),
                refusal: Refusal::TooLarge {
                    size: bytes.len() as u64,
                    cap,
                },
            }),
            Some(bytes) => Ok(bytes.clone()),
            None => self.base.read(path, cap),
        }
    }

    fn probe(&self, port_dir: &str, rel: &str) -> Probe {
        let path = format!("{port_dir}/{rel}");
        match self.extra.get(&path) {
            Some(bytes) if lexical_outside(rel).is_none() => Probe::File {
                size: bytes.len() as u64,
                head: bytes.iter().take(PROBE_HEAD_BYTES).copied().collect(),
            },
            _ => self.base.probe(port_dir, rel),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Guards looking a file's port up by its folders: it names the port a scan of every
    // port names, for names that sort between a port and its files (`a-b` before `a/`).
    #[test]
    fn a_files_port_is_the_one_whose_folder_holds_it() {
        let dirs = [
            "ports/2026/x",
            "ports/a",
            "ports/a-b",
            "ports/a.b",
            "ports/ab",
        ];
        let repo = Repo {
            ports: dirs
                .iter()
                .map(|dir| Port {
                    id: dir.rsplit('/').next().unwrap_or_default().to_owned(),
                    dir: (*dir).to_owned(),
                    request: None,
                    events: Vec::new(),
                    files: Vec::new(),
                    invalid: false,
                    probes: BTreeMap::new(),
                    signed_files: BTreeMap::new(),
                })
                .collect(),
            ..Repo::default()
        };
        let scanned = |file: &str| {
            repo.ports
                .iter()
                .find(|p| file == p.dir || file.starts_with(&format!("{}/", p.dir)))
                .map(|p| p.dir.as_str())
        };
        for file in [
            "ports/a",
            "ports/a/request.toml",
            "ports/a-b/events/001-signed.toml",
            "ports/a.b/request.toml",
            "ports/ab/documents/bill.pdf",
            "ports/abc/request.toml",
            "ports/2026/x/request.toml",
            "ports/2026/y/request.toml",
            "ports/2026",
            "ports",
            "porting.toml",
        ] {
            let found = repo.port_for_file(file).map(|p| p.dir.as_str());
            assert_eq!(found, scanned(file), "{file}");
        }
        assert_eq!(
            repo.port_for_file("ports/a-b/request.toml")
                .map(|p| p.dir.as_str()),
            Some("ports/a-b")
        );
    }

    #[test]
    fn port_ids() {
        assert!(is_port_id("2026-11-lakeside-dental"));
        assert!(!is_port_id("-abc"));
        assert!(!is_port_id("ab"));
        assert!(!is_port_id("Lakeside"));
        assert!(!is_port_id(&"a".repeat(65)));
    }

    #[test]
    fn directive_paths_resolve() {
        assert_eq!(
            resolve("ports/x/request.toml", "../../schemas/request.schema.json").as_deref(),
            Some("schemas/request.schema.json")
        );
        assert_eq!(resolve("ports/x/request.toml", "../../../a"), None);
    }

    #[test]
    fn event_names() {
        assert_eq!(
            parse_event_name("003-rejected.toml"),
            (Some(3), Some(EventKind::Rejected))
        );
        assert_eq!(parse_event_name("3-rejected.toml").0, None);
        assert_eq!(parse_event_name("003-bogus.toml").1, None);
    }

    #[test]
    fn toml_slots() {
        assert!(Listing::is_toml_slot("ports/x/request.toml"));
        assert!(Listing::is_toml_slot("ports/2026/x/events/001-signed.toml"));
        assert!(Listing::is_toml_slot("ports/x/events/notes.toml"));
        assert!(!Listing::is_toml_slot("ports/x/documents/notes.toml"));
        assert!(!Listing::is_toml_slot("ports/x/events"));
    }
}
