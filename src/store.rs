//! Keyed caches under `.git/portflow/` (binary, `postcard`): what a run concluded, each
//! entry under a key that stands for everything it was concluded from, so an entry can
//! never be stale (a key that differs in anything is another entry). An unreadable, foreign
//! or older-format file is ignored and replaced; deleting one is always safe.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::atomic;
use crate::repo::read_regular_file;

/// The largest cache file read.
const MAX_BYTES: u64 = 256 << 20;
/// Entries kept beyond the ones a run used, per entry it used (older keys of ports that
/// changed, another branch's base): enough for a few branches, bounded by the desk.
const SPARE_PER_USED: usize = 3;

#[derive(Deserialize)]
struct FileRecord<V> {
    format: u32,
    version: String,
    entries: Vec<(String, V)>,
}

/// [`FileRecord`] as written, borrowing the entries.
#[derive(Serialize)]
struct FileRecordRef<'a, V> {
    format: u32,
    version: &'a str,
    entries: Vec<(&'a str, &'a V)>,
}

/// The entries of earlier runs, and those of this run to keep. An entry is shared, not
/// copied, with whoever asks for it: a warm run holds each verdict once.
#[derive(Debug)]
pub struct Store<V> {
    path: PathBuf,
    format: u32,
    entries: HashMap<String, Arc<V>>,
    /// Keys asked for or added by this run.
    used: Vec<String>,
    /// Whether this run added an entry.
    dirty: bool,
}

impl<V> Default for Store<V> {
    fn default() -> Self {
        Store {
            path: PathBuf::new(),
            format: 0,
            entries: HashMap::new(),
            used: Vec::new(),
            dirty: false,
        }
    }
}

/// A key from its parts: each part is hashed with its length, so no two lists of parts
/// give the same key.
pub fn key_of(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.len().to_le_bytes());
        hash.update(part);
    }
    hex(&hash.finalize())
}

/// How a cache file starts: this mark, then the CRC-32 and the length of the record that
/// follows (little-endian), so a file a crash tore or another program wrote is never read.
const MARK: &[u8; 8] = b"portflow";
/// The mark, the checksum and the length.
const HEADER: usize = MARK.len() + 4 + 8;

/// The record in the cache file `path`: `None` unless it is a regular file of at most
/// `cap` bytes, whole (its checksum and length hold), that decodes (a missing, torn,
/// foreign or broken file is never trusted).
pub fn read_record<T: DeserializeOwned>(path: &Path, cap: u64) -> Option<T> {
    let bytes = read_regular_file(path, cap).ok()?;
    let (head, record) = bytes.split_at_checked(HEADER)?;
    let (mark, sums) = head.split_at(MARK.len());
    let (crc, len) = sums.split_at(4);
    let whole = mark == MARK
        && u64::from_le_bytes(len.try_into().ok()?) == record.len() as u64
        && u32::from_le_bytes(crc.try_into().ok()?) == crc32fast::hash(record);
    whole.then(|| postcard::from_bytes(record).ok())?
}

/// Writes `record` to the cache file `path`, whole and atomically, readable by its owner
/// alone; a failure to write only loses the speed-up. The disk is not waited for: a crash
/// may tear the file, and [`read_record`] then ignores it.
pub fn write_record<T: Serialize>(path: &Path, record: &T) {
    let Ok(mut bytes) = postcard::to_extend(record, vec![0; HEADER]) else {
        return;
    };
    let (head, body) = bytes.split_at_mut(HEADER);
    head[..MARK.len()].copy_from_slice(MARK);
    head[MARK.len()..MARK.len() + 4].copy_from_slice(&crc32fast::hash(body).to_le_bytes());
    head[MARK.len() + 4..].copy_from_slice(&(body.len() as u64).to_le_bytes());
    if let Some(dir) = path.parent()
        && std::fs::create_dir_all(dir).is_ok()
    {
        let _ = atomic::replace_unsynced(path, &bytes, Some(0o600));
    }
}

thread_local! {
    /// The cache writes this thread started and has not waited for.
    static WRITING: RefCell<Vec<JoinHandle<()>>> = const { RefCell::new(Vec::new()) };
}

/// Runs `write` (a cache write) on a thread of its own, so the run goes on while it
/// encodes and writes; [`wait_for_writes`] waits for it. Run inline when no thread can be
/// started.
pub fn write_later(write: impl FnOnce() + Send + 'static) {
    /// Runs the write unless the other side has.
    fn run<F: FnOnce()>(job: &std::sync::Mutex<Option<F>>) {
        if let Some(write) = job.lock().ok().and_then(|mut w| w.take()) {
            write();
        }
    }
    let job = Arc::new(std::sync::Mutex::new(Some(write)));
    let theirs = Arc::clone(&job);
    let started = std::thread::Builder::new()
        .name("portflow-cache".to_owned())
        .spawn(move || run(&theirs));
    match started {
        Ok(handle) => WRITING.with_borrow_mut(|writing| writing.push(handle)),
        Err(_) => run(&job),
    }
}

/// Waits for the cache writes this thread started: a command returns only once its
/// caches are on disk.
pub fn wait_for_writes() {
    for handle in WRITING.with_borrow_mut(std::mem::take) {
        let _ = handle.join();
    }
}

/// Lowercase hex of some bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl<V: Serialize + DeserializeOwned + Clone> Store<V> {
    /// The cache `name` of the git directory `git_dir`, written in `format` by this version
    /// of portflow (empty when there is none, or it cannot be read).
    pub fn load(git_dir: &Path, name: &str, format: u32) -> Store<V> {
        let path = git_dir.join("portflow").join(name);
        let record = read_record::<FileRecord<V>>(&path, MAX_BYTES)
            .filter(|r| r.format == format && r.version == env!("CARGO_PKG_VERSION"));
        Store {
            path,
            format,
            entries: record
                .map(|r| {
                    let mut entries = HashMap::with_capacity(r.entries.len());
                    entries.extend(r.entries.into_iter().map(|(k, v)| (k, Arc::new(v))));
                    entries
                })
                .unwrap_or_default(),
            used: Vec::new(),
            dirty: false,
        }
    }

    /// How many entries the cache holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache holds no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Changes every entry with `edit`, to be saved (for tools that repair or inspect a
    /// cache, and for tests that prove an answer comes from it).
    pub fn edit_all(&mut self, mut edit: impl FnMut(&mut V)) {
        for (key, value) in &mut self.entries {
            edit(Arc::make_mut(value));
            self.used.push(key.clone());
        }
        self.dirty = true;
    }

    /// An empty cache that is never saved.
    pub fn none() -> Store<V> {
        Store::default()
    }

    /// The entry under `key`.
    pub fn get(&mut self, key: &str) -> Option<Arc<V>> {
        self.used.push(key.to_owned());
        self.entries.get(key).cloned()
    }

    /// Keeps an entry under `key`.
    pub fn insert(&mut self, key: String, value: V) {
        self.insert_shared(key, Arc::new(value));
    }

    /// Keeps an entry under `key` that the caller holds too.
    pub fn insert_shared(&mut self, key: String, value: Arc<V>) {
        self.used.push(key.clone());
        self.entries.insert(key, value);
        self.dirty = true;
    }

    /// Writes the cache when this run added to it: the entries it used, and as many older
    /// ones as [`SPARE_PER_USED`] allows ([`write_record`]).
    pub fn save(mut self) {
        if !self.dirty || self.path.as_os_str().is_empty() {
            return;
        }
        let mut used: Vec<String> = std::mem::take(&mut self.used);
        used.sort_unstable();
        used.dedup();
        let spare = used.len().max(1) * SPARE_PER_USED;
        let mut entries: Vec<(&str, &V)> = Vec::with_capacity(used.len() + spare);
        let mut spares = spare;
        for (key, value) in &self.entries {
            if used.binary_search(key).is_ok() {
                entries.push((key.as_str(), &**value));
            } else if spares > 0 {
                spares -= 1;
                entries.push((key.as_str(), &**value));
            }
        }
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let record = FileRecordRef {
            format: self.format,
            version: env!("CARGO_PKG_VERSION"),
            entries,
        };
        write_record(&self.path, &record);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Guards the cache files' checksum: a file is read back whole, and a torn, flipped,
    // grown or unmarked one is never trusted, even where what is left would decode.
    #[test]
    fn a_cache_file_is_read_only_when_whole() {
        let temp = tempfile::tempdir().expect("tempdir");
        let path = temp.path().join("portflow").join("test.bin");
        let record: Vec<(String, u32)> = (0..500).map(|i| (format!("key {i}"), i)).collect();
        write_record(&path, &record);
        let read = |path: &Path| read_record::<Vec<(String, u32)>>(path, MAX_BYTES);
        assert_eq!(read(&path).as_ref(), Some(&record));
        let whole = std::fs::read(&path).expect("read");

        let mut flipped = whole.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        let mut grown = whole.clone();
        grown.push(0);
        let mut unmarked = whole.clone();
        unmarked[0] = b'P';
        for (what, bytes) in [
            ("torn", whole[..whole.len() / 2].to_vec()),
            ("flipped", flipped),
            ("grown", grown),
            ("unmarked", unmarked),
            ("bare record", postcard::to_stdvec(&record).expect("encode")),
        ] {
            std::fs::write(&path, &bytes).expect("write");
            assert_eq!(read(&path), None, "{what}");
        }
    }

    // Guards writing caches while the run goes on: what a thread started is on disk once
    // it waits, and another thread's wait does not wait for it.
    #[test]
    fn cache_writes_started_are_on_disk_after_the_wait() {
        let temp = tempfile::tempdir().expect("tempdir");
        let path = temp.path().join("later.bin");
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let written = path.clone();
        write_later(move || {
            let _ = rx.recv();
            write_record(&written, &7u32);
        });
        std::thread::spawn(wait_for_writes)
            .join()
            .expect("other thread");
        assert!(!path.exists());
        tx.send(()).expect("send");
        wait_for_writes();
        assert_eq!(read_record::<u32>(&path, MAX_BYTES), Some(7));
    }
}
