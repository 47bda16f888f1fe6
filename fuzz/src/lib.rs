//! What the fuzz targets share: the bundled example repo held in memory, one file of it
//! replaced by the fuzzer's bytes, and the whole of `portflow check` run over it (load,
//! parse, schemas, every rule, the stage fold, digests and all four report formats).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use portflow::engine::{Scope, check_tree};
use portflow::model::Date;
use portflow::model::event::EventKind;
use portflow::repo::{Listing, PROBE_HEAD_BYTES, Probe, RepoError, Tree, lexical_outside};
use portflow::report::{self, Context};
use portflow::rules::NoHistory;

/// The port whose request.toml the `check_request` target replaces: it has the longest
/// lifecycle of the bundled examples (signed, submitted, rejected, re-signed, resubmitted,
/// scheduled twice), so the stage-dependent rules run on the fuzzed request.
pub const REQUEST_PORT: &str = "ports/2026-11-queen-west-physio";

/// The port that the `check_event` target adds its event file to: ready to submit, with one
/// `signed` event, so the fuzzed event is number 002.
pub const EVENT_PORT: &str = "ports/2026-11-pinecrest-plumbing";

/// The ports each target keeps of the bundled repo. Every port costs time on every input, so
/// each target keeps what its file is judged with: the request's port and one more (rules
/// across ports), the event's port, and for porting.toml a port of each kind of country
/// (self-serve, assisted with requirements, a mobile number with its credentials).
fn ports_of(target: Target) -> &'static [&'static str] {
    match target {
        Target::Request => &[REQUEST_PORT, "ports/2026-11-lakeside-dental"],
        Target::Event => &[EVENT_PORT],
        Target::Policy => &[
            REQUEST_PORT,
            "ports/2026-11-thameside-gallery",
            "ports/2026-11-okafor-prepaid",
        ],
    }
}

/// Which file of the repo the fuzzer's bytes become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `REQUEST_PORT/request.toml`.
    Request,
    /// `EVENT_PORT/events/002-<kind>.toml`, the kind named in the bytes (`signed` if none).
    Event,
    /// `porting.toml`.
    Policy,
}

/// A ports repo held in memory: regular files only, keyed by repo-relative path with `/`.
#[derive(Debug, Clone, Default)]
pub struct MemTree {
    /// Every file.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Tree for MemTree {
    fn files(&self) -> Result<Cow<'_, Listing>, RepoError> {
        Ok(Cow::Owned(Listing {
            files: self.files.keys().cloned().collect(),
            ..Listing::default()
        }))
    }

    fn read(&self, path: &str, cap: u64) -> Result<Vec<u8>, RepoError> {
        match self.files.get(path) {
            Some(bytes) if bytes.len() as u64 > cap => Err(RepoError::Refused {
                path: path.to_owned(),
                refusal: portflow::repo::Refusal::TooLarge {
                    size: bytes.len() as u64,
                    cap,
                },
            }),
            Some(bytes) => Ok(bytes.clone()),
            None => Err(RepoError::Io {
                path: PathBuf::from(path),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            }),
        }
    }

    fn probe(&self, port_dir: &str, rel: &str) -> Probe {
        if let Some(reason) = lexical_outside(rel) {
            return Probe::Outside { reason };
        }
        // As the working tree sees it: empty and `.` components are skipped.
        let parts: Vec<&str> = rel
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .collect();
        let path = format!("{port_dir}/{}", parts.join("/"));
        if let Some(bytes) = self.files.get(&path) {
            return Probe::File {
                size: bytes.len() as u64,
                head: bytes.iter().take(PROBE_HEAD_BYTES).copied().collect(),
            };
        }
        let folder = format!("{path}/");
        if self.files.keys().any(|k| k.starts_with(&folder)) {
            return Probe::NotAFile { what: "a folder" };
        }
        Probe::Missing
    }
}

/// The project root, where the bundled example repo lives.
fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

/// The bundled example repo (porting.toml, schema copies, every port under ports/), read
/// once.
pub fn bundled() -> &'static MemTree {
    static TREE: OnceLock<MemTree> = OnceLock::new();
    TREE.get_or_init(|| {
        let root = project_root();
        let mut tree = MemTree::default();
        let mut add = |path: &Path| {
            let Ok(rel) = path.strip_prefix(&root) else {
                return;
            };
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            match std::fs::read(path) {
                Ok(bytes) => {
                    tree.files.insert(rel, bytes);
                }
                Err(err) => panic!("the fuzz harness cannot read {}: {err}", path.display()),
            }
        };
        add(&root.join("porting.toml"));
        for name in ["request", "event", "porting"] {
            add(&root.join(format!("schemas/{name}.schema.json")));
        }
        let mut stack = vec![root.join("ports")];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.is_file() {
                    add(&path);
                }
            }
        }
        assert!(
            tree.files
                .contains_key(&format!("{REQUEST_PORT}/request.toml")),
            "the bundled example repo is not at {}",
            root.display()
        );
        tree
    })
}

/// The event kind an event file names (`kind = "…"`), so that the file is named after it
/// and the rules of that kind run; `signed` when it names none.
fn event_kind_in(bytes: &[u8]) -> EventKind {
    let text = String::from_utf8_lossy(bytes);
    EventKind::ALL
        .into_iter()
        .filter_map(|kind| {
            text.find(&format!("\"{}\"", kind.as_str()))
                .map(|at| (at, kind))
        })
        .min_by_key(|(at, _)| *at)
        .map_or(EventKind::Signed, |(_, kind)| kind)
}

/// The bundled repo with `bytes` as the file `target` names, and that file's path.
pub fn tree_with(target: Target, bytes: &[u8]) -> (MemTree, String) {
    let keep = ports_of(target);
    let mut tree = MemTree {
        files: bundled()
            .files
            .iter()
            .filter(|(path, _)| {
                !path.starts_with("ports/")
                    || keep.iter().any(|dir| path.starts_with(&format!("{dir}/")))
            })
            .map(|(path, bytes)| (path.clone(), bytes.clone()))
            .collect(),
    };
    let path = match target {
        Target::Request => format!("{REQUEST_PORT}/request.toml"),
        Target::Event => format!(
            "{EVENT_PORT}/events/002-{}.toml",
            event_kind_in(bytes).as_str()
        ),
        Target::Policy => "porting.toml".to_owned(),
    };
    tree.files.insert(path.clone(), bytes.to_vec());
    (tree, path)
}

/// Runs the whole check on the bundled repo with `bytes` as the `target` file, and renders
/// the findings in every format. Panics (the fuzzer's crash) only when portflow does.
pub fn check(target: Target, bytes: &[u8]) {
    let (tree, _) = tree_with(target, bytes);
    let today = Date::new(2026, 11, 25).unwrap_or_default();
    // A failure that is not a finding is exit 2: allowed, as long as it does not panic.
    let Ok(checked) = check_tree(&tree, &Scope::all(), today, &NoHistory) else {
        return;
    };
    let ctx = Context::of(
        &checked.repo.sources,
        checked.repo.sources.len(),
        checked.ports,
    );
    let style = report::human::Style {
        color: false,
        width: 80,
    };
    let human = report::human::render(&checked.findings, &ctx, style);
    let json = report::json::render(&checked.findings, &ctx);
    let github = report::github::render(&checked.findings, &ctx);
    let sarif = report::sarif::render(&checked.findings, &ctx);
    // Every format is well formed, whatever the input.
    for (format, text) in [("json", &json), ("sarif", &sarif)] {
        if let Err(err) = serde_json::from_str::<serde_json::Value>(text) {
            panic!("the {format} report is not JSON: {err}");
        }
    }
    // Nothing of a file reaches a terminal as a control character (an escape sequence).
    if let Some(c) = human
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        panic!("the human report prints the control character {c:?}");
    }
    std::hint::black_box(github);
}
