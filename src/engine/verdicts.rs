//! The verdict cache under `.git/portflow/verdicts.json`: what a check concluded about a
//! port that had no finding, so a rerun reads only the ports whose verdict may differ.
//!
//! A verdict is keyed by everything it was judged on: portflow's version, porting.toml's
//! bytes, the repo's schema copies, the date, the port's folder and its content (the git
//! tree id of the folder, known without reading it when git says the files are those of a
//! commit), and what the history says of its events (see [`crate::rules::Past::port_keys`]).
//! A key that differs in any of them is a different entry, so an entry can never be
//! stale; an unreadable, foreign or older-format file is ignored and replaced. Only ports
//! without findings are kept: a port with findings is read again, so its findings are
//! always shown with the file they are about. The rule across ports (a number in two open
//! ports) is not part of a verdict: it is judged on every run from each open port's
//! numbers, which the verdict keeps.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::atomic;
use crate::model::Date;
use crate::repo::read_regular_file;
use crate::rules::PortReport;
use crate::rules::numbers::Holder;

/// Bumped whenever what is stored changes meaning.
const FORMAT: u32 = 1;
/// The largest cache file read.
const MAX_BYTES: u64 = 256 << 20;
/// Entries kept beyond the ones a run used, per port of that run (older keys of ports that
/// changed, another branch's base): enough for a few branches, bounded by the desk.
const SPARE_PER_PORT: usize = 3;

/// What a check concluded about a port without findings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verdict {
    /// Stage, digest and fold.
    pub report: PortReport,
    /// Its numbers, when it is open.
    pub holder: Option<Holder>,
    /// The request's country.
    pub country: String,
    /// How many numbers the request lists.
    pub numbers: usize,
    /// The TOML files read (request and events), relative to the port's folder.
    pub files: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct FileRecord {
    format: u32,
    version: String,
    entries: Vec<(String, Verdict)>,
}

/// The verdicts of earlier runs, and those of this run to keep.
#[derive(Debug, Default)]
pub struct Verdicts {
    path: PathBuf,
    entries: HashMap<String, Verdict>,
    /// Keys asked for or added by this run.
    used: Vec<String>,
    /// Whether this run added an entry.
    dirty: bool,
}

/// The part of every key this run shares: the version, porting.toml, the schema copies
/// and the date.
pub fn context_key(policy: &[u8], schemas: &[Option<String>], today: Date) -> String {
    let mut hash = Sha256::new();
    hash.update(format!("portflow {} {FORMAT}\0", env!("CARGO_PKG_VERSION")));
    hash.update(policy.len().to_le_bytes());
    hash.update(policy);
    for copy in schemas {
        match copy {
            Some(text) => {
                hash.update([1]);
                hash.update(text.len().to_le_bytes());
                hash.update(text.as_bytes());
            }
            None => hash.update([0]),
        }
    }
    hash.update(today.to_string());
    hex(&hash.finalize())
}

/// The key of a port's verdict: the run's context, the folder, its content id and what
/// the history says of it.
pub fn port_key(context: &str, dir: &str, content: &str, history: &str) -> String {
    let mut hash = Sha256::new();
    for part in [context, dir, content, history] {
        hash.update(part.len().to_le_bytes());
        hash.update(part);
    }
    hex(&hash.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Verdicts {
    /// The cache of the git directory `git_dir` (empty when there is none, or it cannot
    /// be read).
    pub fn load(git_dir: &Path) -> Verdicts {
        let path = git_dir.join("portflow").join("verdicts.json");
        let record = read_regular_file(&path, MAX_BYTES)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<FileRecord>(&bytes).ok())
            .filter(|r| r.format == FORMAT && r.version == env!("CARGO_PKG_VERSION"));
        Verdicts {
            path,
            entries: record
                .map(|r| r.entries.into_iter().collect())
                .unwrap_or_default(),
            used: Vec::new(),
            dirty: false,
        }
    }

    /// An empty cache that is never saved.
    pub fn none() -> Verdicts {
        Verdicts::default()
    }

    /// The verdict under `key`.
    pub fn get(&mut self, key: &str) -> Option<&Verdict> {
        self.used.push(key.to_owned());
        self.entries.get(key)
    }

    /// Keeps a verdict under `key`.
    pub fn insert(&mut self, key: String, verdict: Verdict) {
        self.used.push(key.clone());
        self.entries.insert(key, verdict);
        self.dirty = true;
    }

    /// Writes the cache when this run added to it: the entries it used, and as many older
    /// ones as [`SPARE_PER_PORT`] allows. Written whole, atomically; a failure to write
    /// only loses the speed-up.
    pub fn save(mut self) {
        if !self.dirty || self.path.as_os_str().is_empty() {
            return;
        }
        let mut used: Vec<String> = std::mem::take(&mut self.used);
        used.sort_unstable();
        used.dedup();
        let spare = used.len().max(1) * SPARE_PER_PORT;
        let mut entries: Vec<(String, Verdict)> = Vec::with_capacity(used.len() + spare);
        for key in &used {
            if let Some(verdict) = self.entries.remove(key) {
                entries.push((key.clone(), verdict));
            }
        }
        entries.extend(self.entries.into_iter().take(spare));
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let record = FileRecord {
            format: FORMAT,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            entries,
        };
        let Ok(bytes) = serde_json::to_vec(&record) else {
            return;
        };
        if let Some(dir) = self.path.parent()
            && std::fs::create_dir_all(dir).is_ok()
        {
            let _ = atomic::replace(&self.path, &bytes, Some(0o600));
        }
    }
}
