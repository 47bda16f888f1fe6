//! The ports repo: finding its root, reading porting.toml and every port's files into validated models.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use walkdir::WalkDir;

use crate::diag::{Code, Finding};
use crate::model::event::{Event, EventBody, EventKind};
use crate::model::policy::Policy;
use crate::model::request::Request;
use crate::schema::{self, SchemaKind};
use crate::source::{ALWAYS_SECRET_KEYS, Document, SourceFile};

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
}

/// How many leading bytes of a document are read to tell its type.
pub const PROBE_HEAD_BYTES: usize = 1024;

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
        /// Its first bytes (at most [`PROBE_HEAD_BYTES`]).
        head: Vec<u8>,
    },
}

/// A set of files to check: the working tree, or (later) a git tree.
pub trait Tree {
    /// Every file under `ports/` and the policy and schema files, repo-relative with `/`.
    fn files(&self) -> Result<Vec<String>, RepoError>;
    /// The bytes of a repo-relative file.
    fn read(&self, path: &str) -> Result<Vec<u8>, RepoError>;
    /// What is at `rel` inside the port folder `port_dir` (both `/`-separated).
    fn probe(&self, port_dir: &str, rel: &str) -> Probe;
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
            .find(|dir| dir.join(POLICY_FILE).is_file())
            .map(|root| WorkTree {
                root: root.to_owned(),
            })
            .ok_or(RepoError::NotARepo(start))
    }
}

impl Tree for WorkTree {
    fn files(&self) -> Result<Vec<String>, RepoError> {
        let mut files = vec![POLICY_FILE.to_owned()];
        for kind in SchemaKind::ALL {
            let rel = format!("schemas/{}", kind.file_name());
            if self.root.join(&rel).is_file() {
                files.push(rel);
            }
        }
        let ports = self.root.join(PORTS_DIR);
        if ports.is_dir() {
            let walker = WalkDir::new(&ports)
                .follow_links(false)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| {
                    e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.')
                });
            for entry in walker {
                let entry = entry.map_err(|err| RepoError::Io {
                    path: err.path().unwrap_or(&ports).to_owned(),
                    source: err.into(),
                })?;
                // Directories are implied by their files; symlinks are listed so rules can refuse them.
                if entry.file_type().is_dir() {
                    continue;
                }
                if let Ok(rel) = entry.path().strip_prefix(&self.root) {
                    files.push(rel_string(rel));
                }
            }
        }
        Ok(files)
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, RepoError> {
        let full = self.root.join(path);
        std::fs::read(&full).map_err(|source| RepoError::Io { path: full, source })
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
            if let Ok(file) = std::fs::File::open(&path) {
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
    /// The validated request, when it parsed and passed its schema.
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
    pub sources: BTreeMap<String, SourceFile>,
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

fn is_year(name: &str) -> bool {
    name.len() == 4 && name.bytes().all(|b| b.is_ascii_digit())
}

impl Repo {
    /// Reads every file of the tree; findings are collected, only I/O failures are errors.
    pub fn load(tree: &dyn Tree) -> Result<Repo, RepoError> {
        let files = tree.files()?;
        let mut repo = Repo::default();
        let file_set: BTreeSet<&str> = files.iter().map(String::as_str).collect();

        let policy_bytes = tree.read(POLICY_FILE)?;
        let secret_keys = secret_keys_of(&policy_bytes);
        let secret_refs: Vec<&str> = secret_keys.iter().map(String::as_str).collect();
        repo.policy = repo.load_file::<Policy>(
            POLICY_FILE,
            &policy_bytes,
            SchemaKind::Porting,
            &[],
            &file_set,
        );

        for kind in SchemaKind::ALL {
            let rel = format!("schemas/{}", kind.file_name());
            let copy = if file_set.contains(rel.as_str()) {
                Some(String::from_utf8_lossy(&tree.read(&rel)?).into_owned())
            } else {
                None
            };
            repo.findings.extend(schema::drift(kind, copy.as_deref()));
        }

        // Group files by port folder: ports/<id>/… or ports/<year>/<id>/….
        let mut port_dirs: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut stray: BTreeSet<String> = BTreeSet::new();
        for file in files.iter().filter(|f| f.starts_with("ports/")) {
            let parts: Vec<&str> = file.split('/').collect();
            if parts.len() < 3 {
                continue; // a loose file directly under ports/
            }
            let top = format!("ports/{}", parts[1]);
            if file_set.contains(format!("{top}/request.toml").as_str()) {
                port_dirs.entry(top).or_default().push(file.clone());
            } else if is_year(parts[1]) && parts.len() >= 4 {
                let dir = format!("{top}/{}", parts[2]);
                if file_set.contains(format!("{dir}/request.toml").as_str()) {
                    port_dirs.entry(dir).or_default().push(file.clone());
                } else {
                    stray.insert(dir);
                }
            } else if !is_year(parts[1]) {
                stray.insert(top);
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

        let mut seen_ids: BTreeMap<String, String> = BTreeMap::new();
        for (dir, port_files) in port_dirs {
            let id = dir.rsplit('/').next().unwrap_or_default().to_owned();
            let port = repo.load_port(tree, &dir, &id, port_files, &secret_refs, &file_set)?;
            if !is_port_id(&id) {
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
            if let Some(first) = seen_ids.get(&id) {
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
                seen_ids.insert(id.clone(), dir.clone());
            }
            repo.ports.push(port);
        }
        Ok(repo)
    }

    fn load_port(
        &mut self,
        tree: &dyn Tree,
        dir: &str,
        id: &str,
        files: Vec<String>,
        secret_keys: &[&str],
        file_set: &BTreeSet<&str>,
    ) -> Result<Port, RepoError> {
        let request_path = format!("{dir}/request.toml");
        let bytes = tree.read(&request_path)?;
        let request = self.load_file::<Request>(
            &request_path,
            &bytes,
            SchemaKind::Request,
            secret_keys,
            file_set,
        );
        let mut invalid = request.is_none();
        let mut events = Vec::new();
        let mut others = Vec::new();
        let events_prefix = format!("{dir}/events/");
        for file in files {
            if file == request_path {
                continue;
            }
            match file.strip_prefix(&events_prefix) {
                Some(name) if !name.contains('/') && name.ends_with(".toml") => {
                    let bytes = tree.read(&file)?;
                    let loaded = self.load_file::<Event>(
                        &file,
                        &bytes,
                        SchemaKind::Event,
                        secret_keys,
                        file_set,
                    );
                    invalid |= loaded.is_none();
                    let (number, name_kind) = parse_event_name(name);
                    events.push(EventFile {
                        path: file.clone(),
                        name: name.to_owned(),
                        number,
                        name_kind,
                        loaded,
                    });
                }
                _ => others.push(file),
            }
        }
        let mut probes = BTreeMap::new();
        let mut paths: Vec<&str> = Vec::new();
        if let Some(req) = &request {
            paths.extend(req.value.documents.iter().map(|d| d.path.as_str()));
        }
        for ev in &events {
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
        for path in paths {
            probes
                .entry(path.to_owned())
                .or_insert_with(|| tree.probe(dir, path));
        }
        Ok(Port {
            id: id.to_owned(),
            dir: dir.to_owned(),
            request,
            events,
            files: others,
            invalid,
            probes,
        })
    }

    /// parse -> schema -> typed model; a failing stage stops this file only.
    fn load_file<T: DeserializeOwned>(
        &mut self,
        path: &str,
        bytes: &[u8],
        kind: SchemaKind,
        secret_keys: &[&str],
        file_set: &BTreeSet<&str>,
    ) -> Option<Loaded<T>> {
        let mut keys: Vec<&str> = ALWAYS_SECRET_KEYS.to_vec();
        keys.extend_from_slice(secret_keys);
        let (file, utf8_error) = SourceFile::from_bytes(path, bytes, &keys);
        self.sources.insert(path.to_owned(), file.clone());
        if let Some(finding) = utf8_error {
            self.findings.push(finding);
            return None;
        }
        let doc = match Document::parse(file) {
            Ok(doc) => {
                self.sources.insert(path.to_owned(), doc.file.clone());
                doc
            }
            Err(finding) => {
                self.findings.push(*finding);
                return None;
            }
        };
        // The directive is checked only on files that parse: a broken file's other checks stop.
        self.check_directive(&doc.file, kind, kind == SchemaKind::Request, file_set);
        let violations = schema::validate(&doc, kind, &keys);
        if !violations.is_empty() {
            self.findings.extend(violations);
            return None;
        }
        match serde_json::from_value::<T>(doc.to_json()) {
            Ok(value) => Some(Loaded { doc, value }),
            Err(err) => {
                // The schema and the model are kept in step by tests; this is the safety net.
                self.findings.push(
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
        &mut self,
        file: &SourceFile,
        kind: SchemaKind,
        required: bool,
        file_set: &BTreeSet<&str>,
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
                if !reaches || !file_set.contains(expected.as_str()) {
                    let why = if reaches { "which is missing" } else { "not" };
                    self.findings.push(
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
            self.findings.push(
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

    /// The ports whose files fall under the given repo-relative paths (all when empty).
    pub fn port_for_file(&self, file: &str) -> Option<&Port> {
        self.ports
            .iter()
            .find(|p| file == p.dir || file.starts_with(&format!("{}/", p.dir)))
    }
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
    fn files(&self) -> Result<Vec<String>, RepoError> {
        let mut files = self.base.files()?;
        let known: BTreeSet<String> = files.iter().cloned().collect();
        // Order does not matter to `Repo::load`: it groups files by port folder and rules
        // order events by number.
        files.extend(self.extra.keys().filter(|p| !known.contains(*p)).cloned());
        Ok(files)
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, RepoError> {
        match self.extra.get(path) {
            Some(bytes) => Ok(bytes.clone()),
            None => self.base.read(path),
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
}
