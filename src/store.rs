//! Keyed caches under `.git/portflow/` (binary, `postcard`): what a run concluded, each
//! entry under a key that stands for everything it was concluded from, so an entry can
//! never be stale (a key that differs in anything is another entry). An unreadable, foreign
//! or older-format file is ignored and replaced; deleting one is always safe.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use rustc_hash::FxHashMap;
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
/// Records appended to a cache file before it is written anew.
const MAX_APPENDED: usize = 32;
/// A run appends the entries it added when there is at most one for this many the file
/// holds; more are written with the file anew.
const APPEND_SHARE: usize = 8;

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
///
/// The file holds a record of entries, then the records of the entries later runs added,
/// each framed on its own: a run that adds a few entries appends them (a desk's caches are
/// megabytes, a new commit's entries a few hundred bytes), and one that adds many, finds
/// the file torn, or comes after [`MAX_APPENDED`] appends writes it anew, keeping the
/// entries it used and as many older ones as [`SPARE_PER_USED`] allows.
#[derive(Debug)]
pub struct Store<V> {
    path: PathBuf,
    format: u32,
    entries: FxHashMap<String, Arc<V>>,
    /// Keys asked for or added by this run.
    used: Vec<String>,
    /// Keys added by this run.
    added: Vec<String>,
    /// Whether this run changed entries it did not add: the file is written anew.
    edited: bool,
    /// How many records were appended to the file as it was read, when every frame of it
    /// was whole; `None` when there is no file to append to.
    appended: Option<usize>,
}

impl<V> Default for Store<V> {
    fn default() -> Self {
        Store {
            path: PathBuf::new(),
            format: 0,
            entries: FxHashMap::default(),
            used: Vec::new(),
            added: Vec::new(),
            edited: false,
            appended: None,
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

/// How each record of a cache file starts: this mark, then the CRC-32 and the length of
/// the record that follows (little-endian), so a record a crash tore or another program
/// wrote is never read.
const MARK: &[u8; 8] = b"portflow";
/// The mark, the checksum and the length.
const HEADER: usize = MARK.len() + 4 + 8;

/// The record in the cache file `path`: `None` unless it is a regular file of at most
/// `cap` bytes, whole (its checksum and length hold), that decodes (a missing, torn,
/// foreign or broken file is never trusted).
pub fn read_record<T: DeserializeOwned>(path: &Path, cap: u64) -> Option<T> {
    let bytes = read_regular_file(path, cap).ok()?;
    match framed(&bytes) {
        (records, end) if records.len() == 1 && end == bytes.len() => {
            postcard::from_bytes(records[0]).ok()
        }
        _ => None,
    }
}

/// The records of a cache file, one framed after another, up to the first frame that is
/// not whole; and where that is (the file's length when every frame is whole).
fn framed(bytes: &[u8]) -> (Vec<&[u8]>, usize) {
    let mut records = Vec::new();
    let mut at = 0;
    while let Some(record) = frame_at(&bytes[at..]) {
        records.push(record);
        at += HEADER + record.len();
    }
    (records, at)
}

/// The record framed at the start of `bytes`, when its frame is whole.
fn frame_at(bytes: &[u8]) -> Option<&[u8]> {
    let (head, rest) = bytes.split_at_checked(HEADER)?;
    let (mark, sums) = head.split_at(MARK.len());
    let (crc, len) = sums.split_at(4);
    let len = usize::try_from(u64::from_le_bytes(len.try_into().ok()?)).ok()?;
    let record = rest.get(..len)?;
    (mark == MARK && u32::from_le_bytes(crc.try_into().ok()?) == crc32fast::hash(record))
        .then_some(record)
}

/// A cache file that records are appended to: its first record, then those appended, up
/// to the first that is not whole or does not decode.
pub struct Appended<T, A> {
    /// The record the file was written with.
    pub first: T,
    /// The records appended since, oldest first.
    pub appended: Vec<A>,
    /// How many records were appended, every one whole and read.
    pub appends: usize,
    /// Whether every record of the file was whole and read: only then may another be
    /// appended (one after a torn record would never be read).
    pub whole: bool,
}

/// The cache file `path` with the records appended to it ([`append_record`]); `None`
/// unless it is a regular file of at most `cap` bytes whose first record is whole and
/// decodes.
pub fn read_appended<T: DeserializeOwned, A: DeserializeOwned>(
    path: &Path,
    cap: u64,
) -> Option<Appended<T, A>> {
    let bytes = read_regular_file(path, cap).ok()?;
    let (records, end) = framed(&bytes);
    let first = postcard::from_bytes(records.first()?).ok()?;
    let appended: Vec<A> = records[1..]
        .iter()
        .map_while(|record| postcard::from_bytes(record).ok())
        .collect();
    Some(Appended {
        first,
        appends: appended.len(),
        whole: end == bytes.len() && appended.len() + 1 == records.len(),
        appended,
    })
}

/// Whether a run that adds `added` entries to a cache file of `held` entries, to which
/// `appends` records were appended (`None`: it is not whole, or there is none), appends
/// them rather than write the file anew.
pub fn appends(added: usize, held: usize, appends: Option<usize>) -> bool {
    added > 0 && added * APPEND_SHARE <= held && appends.is_some_and(|n| n < MAX_APPENDED)
}

/// `record` encoded and framed: the mark, its CRC-32 and length, then the record.
fn frame<T: Serialize>(record: &T) -> Option<Vec<u8>> {
    let mut bytes = postcard::to_extend(record, vec![0; HEADER]).ok()?;
    let (head, body) = bytes.split_at_mut(HEADER);
    head[..MARK.len()].copy_from_slice(MARK);
    head[MARK.len()..MARK.len() + 4].copy_from_slice(&crc32fast::hash(body).to_le_bytes());
    head[MARK.len() + 4..].copy_from_slice(&(body.len() as u64).to_le_bytes());
    Some(bytes)
}

/// Writes `record` to the cache file `path`, whole and atomically, readable by its owner
/// alone; a failure to write only loses the speed-up. The disk is not waited for: a crash
/// may tear the file, and [`read_record`] then ignores it.
pub fn write_record<T: Serialize>(path: &Path, record: &T) {
    let Some(bytes) = frame(record) else {
        return;
    };
    if let Some(dir) = path.parent()
        && std::fs::create_dir_all(dir).is_ok()
    {
        let _ = atomic::replace_unsynced(path, &bytes, Some(0o600));
    }
}

/// Appends `record`, framed, to the cache file `path`, which must be a regular file
/// (a link is not followed). One write: a reader sees the frame whole or not at all.
pub fn append_record<T: Serialize>(path: &Path, record: &T) -> Option<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let bytes = frame(record)?;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    file.write_all(&bytes).ok()
}

/// A cache file being read on a thread of its own, by path: [`Store::load`] takes it.
type ReadAhead = JoinHandle<Box<dyn std::any::Any + Send>>;

thread_local! {
    /// The cache files this thread started reading ahead.
    static READING: RefCell<HashMap<PathBuf, ReadAhead>> = RefCell::new(HashMap::new());
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

/// Lets a desk-sized value go on a thread of its own: it holds up to millions of small
/// allocations, tens of milliseconds to free one by one, and the run need not wait for that
/// (a process that ends first leaves them to the system).
pub(crate) fn free_later<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("portflow-free".to_owned())
        .spawn(move || drop(value));
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
    base16ct::lower::encode_string(bytes)
}

impl<V: Serialize + DeserializeOwned + Clone + Send + Sync + 'static> Store<V> {
    /// Starts reading the cache `name` on a thread of its own, for a run that will
    /// [`Store::load`] it later and has work to do first.
    pub fn read_ahead(git_dir: &Path, name: &str, format: u32) {
        let path = git_dir.join("portflow").join(name);
        let reading = path.clone();
        let started = std::thread::Builder::new()
            .name("portflow-cache".to_owned())
            .spawn(move || {
                Box::new(Store::<V>::read(reading, format)) as Box<dyn std::any::Any + Send>
            });
        if let Ok(handle) = started {
            READING.with_borrow_mut(|reading| reading.insert(path, handle));
        }
    }

    /// The cache `name` of the git directory `git_dir`, written in `format` by this version
    /// of portflow (empty when there is none, or it cannot be read): its first record's
    /// entries, then those of each record appended, up to the first that is not whole.
    /// Taken from [`Store::read_ahead`] when this thread started reading it.
    pub fn load(git_dir: &Path, name: &str, format: u32) -> Store<V> {
        let path = git_dir.join("portflow").join(name);
        let ahead = READING.with_borrow_mut(|reading| reading.remove(&path));
        if let Some(read) = ahead
            .and_then(|handle| handle.join().ok())
            .and_then(|read| read.downcast::<Store<V>>().ok())
            .filter(|store| store.format == format)
        {
            return *read;
        }
        Store::read(path, format)
    }

    /// [`Store::load`] from the file `path`.
    fn read(path: PathBuf, format: u32) -> Store<V> {
        let mut store = Store {
            path,
            format,
            ..Store::default()
        };
        let Some(read) = read_appended::<FileRecord<V>, Vec<(String, V)>>(&store.path, MAX_BYTES)
            .filter(|r| r.first.format == format && r.first.version == env!("CARGO_PKG_VERSION"))
        else {
            return store;
        };
        let mut entries =
            FxHashMap::with_capacity_and_hasher(read.first.entries.len(), Default::default());
        let added = read.appended.into_iter().flatten();
        entries.extend(
            read.first
                .entries
                .into_iter()
                .chain(added)
                .map(|(k, v)| (k, Arc::new(v))),
        );
        store.entries = entries;
        store.appended = read.whole.then_some(read.appends);
        store
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
        self.edited = true;
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
        self.added.push(key.clone());
        self.entries.insert(key, value);
    }

    /// Writes what this run added to the cache: appended, when they are few and the file
    /// is whole, else the file anew with the entries the run used, and as many older ones
    /// as [`SPARE_PER_USED`] allows ([`write_record`]).
    pub fn save(mut self) {
        if (self.added.is_empty() && !self.edited) || self.path.as_os_str().is_empty() {
            return;
        }
        if !self.edited && appends(self.added.len(), self.entries.len(), self.appended) {
            let mut added: Vec<&str> = self.added.iter().map(String::as_str).collect();
            added.sort_unstable();
            added.dedup();
            let record: Vec<(&str, &V)> = added
                .into_iter()
                .filter_map(|key| Some((key, &**self.entries.get(key)?)))
                .collect();
            if append_record(&self.path, &record).is_some() {
                return;
            }
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

    /// The cache `name` in `dir` as a run would load it.
    fn load(dir: &Path) -> Store<u32> {
        Store::load(dir, "test.bin", 1)
    }

    // Guards appending to a cache: a run that adds a few entries appends them, and the
    // next run reads them (a later one over an earlier); a torn tail loses only itself and
    // makes the next save write the file anew; many entries, an edit or a long chain of
    // appends write it anew too, keeping what was used.
    #[test]
    fn a_few_new_entries_are_appended_and_read_back() {
        let temp = tempfile::tempdir().expect("tempdir");
        let dir = temp.path();
        let path = dir.join("portflow").join("test.bin");
        let frames = || {
            let bytes = std::fs::read(&path).expect("file");
            let (records, end) = framed(&bytes);
            assert_eq!(end, bytes.len(), "every frame whole");
            records.len()
        };
        let mut first = load(dir);
        for i in 0..100 {
            first.insert(format!("k{i}"), i);
        }
        first.save();
        assert_eq!(frames(), 1);

        let mut second = load(dir);
        assert_eq!(second.len(), 100);
        second.insert("k5".to_owned(), 500);
        second.insert("new".to_owned(), 1);
        second.save();
        assert_eq!(frames(), 2, "appended");
        let mut third = load(dir);
        assert_eq!(third.len(), 101);
        assert_eq!(third.get("k5").as_deref(), Some(&500), "the later entry");
        assert_eq!(third.get("new").as_deref(), Some(&1));

        // A torn tail: the entries before it are read, and the file is written anew.
        let bytes = std::fs::read(&path).expect("file");
        std::fs::write(&path, &bytes[..bytes.len() - 1]).expect("tear");
        let mut torn = load(dir);
        assert_eq!(torn.len(), 100);
        assert_eq!(torn.get("k5").as_deref(), Some(&5));
        torn.insert("after".to_owned(), 2);
        torn.save();
        assert_eq!(frames(), 1, "written anew");
        assert_eq!(load(dir).get("after").as_deref(), Some(&2));

        // Many entries at once are written anew.
        let mut many = load(dir);
        for i in 0..50 {
            many.insert(format!("m{i}"), i);
        }
        many.save();
        assert_eq!(frames(), 1);

        // After the longest chain of appends, the file is written anew, with what that
        // run used.
        for i in 0..=MAX_APPENDED {
            let mut run = load(dir);
            run.insert(format!("run{i}"), 0);
            run.save();
        }
        assert_eq!(frames(), 1);
        let all = load(dir);
        assert!(all.entries.contains_key(&format!("run{MAX_APPENDED}")));
        assert_eq!(
            all.len(),
            1 + SPARE_PER_USED,
            "what the run used, and spares"
        );

        // An edit of entries the run did not add is written anew.
        let mut edited = load(dir);
        for i in 0..20 {
            edited.insert(format!("e{i}"), i);
        }
        edited.save();
        let mut edited = load(dir);
        edited.insert("one more".to_owned(), 3);
        edited.save();
        assert_eq!(frames(), 2);
        let mut edited = load(dir);
        edited.edit_all(|v| *v += 1);
        edited.save();
        assert_eq!(frames(), 1);
        assert_eq!(load(dir).get("one more").as_deref(), Some(&4));
    }

    // Guards reading a cache ahead: the store a run loads is the one read on the other
    // thread, and it is the file's.
    #[test]
    fn a_cache_read_ahead_is_the_one_loaded() {
        let temp = tempfile::tempdir().expect("tempdir");
        let mut first = load(temp.path());
        first.insert("k".to_owned(), 7);
        first.save();
        Store::<u32>::read_ahead(temp.path(), "test.bin", 1);
        assert!(READING.with_borrow(|r| r.len()) == 1);
        let mut read = load(temp.path());
        assert!(READING.with_borrow(|r| r.is_empty()), "taken");
        assert_eq!(read.get("k").as_deref(), Some(&7));
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
