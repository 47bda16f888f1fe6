//! The history cache under `.git/portflow/`: what each first-parent commit changed, and the
//! stage of a port folder's content, so a rerun after one new commit reads one commit.
//!
//! Every entry is keyed by what cannot change under it: a commit id (a commit's changes are
//! measured against its first parent, which is part of its id), or the ids of the port's
//! tree, porting.toml and the schemas with the date it was judged on. Rewritten history has
//! new ids, so it is read afresh; an unreadable, foreign or older-format file is ignored and
//! replaced. The file is written whole, atomically.

use std::path::{Path, PathBuf};

use git2::Oid;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::model::Date;
use crate::model::timeline::{CommitInfo, Person};
use crate::stage::Stage;
use crate::store::{append_record, appends, read_appended, write_record};

/// Bumped whenever what is stored, or how a stage is judged, changes meaning.
const FORMAT: u32 = 3;
/// The largest cache file read (a desk of 100,000 commits stays well below).
const MAX_BYTES: u64 = 512 << 20;

/// A port folder's place and content from one commit on: `tree` is `None` when the commit
/// removed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The port id (its folder name).
    pub id: String,
    /// Its repo-relative folder.
    pub dir: String,
    /// Its tree id.
    pub tree: Option<Oid>,
}

/// What one commit on the first-parent line changed against its first parent.
#[derive(Debug, Clone)]
pub struct Step {
    /// The commit.
    pub id: Oid,
    /// Its first parent.
    pub parent: Option<Oid>,
    /// Time and author.
    pub info: CommitInfo,
    /// The `ports/` tree.
    pub ports: Option<Oid>,
    /// porting.toml as a regular file: blob id and mode.
    pub policy: Option<(Oid, u32)>,
    /// The `schemas/` tree.
    pub schemas: Option<Oid>,
    /// Port folders added, changed or removed (removals first).
    pub changes: Vec<Change>,
}

/// What a port's stage at a commit depends on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StageKey {
    /// The port's folder.
    pub dir: String,
    /// Its tree.
    pub tree: Oid,
    /// porting.toml (blob, mode).
    pub policy: Option<(Oid, u32)>,
    /// The schemas folder.
    pub schemas: Option<Oid>,
    /// The day it is judged on: the commit's own date.
    pub date: Date,
}

/// The cache as loaded: steps by commit (`history.bin`), and stages by key (`stages.bin`),
/// read when a run first asks for a stage: a check never does.
#[derive(Debug, Default)]
pub struct Cache {
    /// The folder of the cache files.
    dir: PathBuf,
    prefix: String,
    steps: FxHashMap<Oid, Step>,
    /// `None` until read; in it, `None` is a port that could not be read at that commit.
    stages: Option<FxHashMap<StageKey, Option<Stage>>>,
    /// Whether steps were learnt since loading (history.bin is then written).
    pub steps_dirty: bool,
    /// Whether stages were judged since loading (stages.bin is then written).
    pub stages_dirty: bool,
    /// The commits whose steps were learnt since loading.
    new_steps: FxHashSet<Oid>,
    /// The stages judged since loading.
    new_stages: Vec<StageKey>,
    /// What history.bin and stages.bin held as they were read.
    steps_read: AsRead,
    stages_read: AsRead,
}

/// What a cache file held as it was read: how many entries, and how many records were
/// appended to it (`None` when it is not whole or there is none: it is written anew).
#[derive(Debug, Default, Clone, Copy)]
struct AsRead {
    held: usize,
    appends: Option<usize>,
}

/// A commit or object id as stored: its 20 bytes.
type Id = [u8; 20];

/// What either file holds: `T` is `Vec<StepRecord>` in history.bin and `Vec<StageRecord>`
/// in stages.bin.
#[derive(Serialize, Deserialize)]
struct FileRecord<T> {
    format: u32,
    version: String,
    prefix: String,
    entries: T,
}

const STEPS_FILE: &str = "history.bin";
const STAGES_FILE: &str = "stages.bin";

#[derive(Serialize, Deserialize)]
struct StepRecord {
    id: Id,
    parent: Option<Id>,
    time: i64,
    offset: i32,
    author: String,
    email: String,
    ports: Option<Id>,
    policy: Option<(Id, u32)>,
    schemas: Option<Id>,
    changes: Vec<(String, String, Option<Id>)>,
}

#[derive(Serialize, Deserialize)]
struct StageRecord {
    dir: String,
    tree: Id,
    policy: Option<(Id, u32)>,
    schemas: Option<Id>,
    date: Date,
    stage: Option<Stage>,
}

fn id_of(oid: Oid) -> Id {
    let mut id = [0; 20];
    id.copy_from_slice(oid.as_bytes());
    id
}

fn oid(id: &Id) -> Option<Oid> {
    Oid::from_bytes(id).ok()
}

fn opt_oid(id: Option<&Id>) -> Option<Option<Oid>> {
    match id {
        None => Some(None),
        Some(id) => oid(id).map(Some),
    }
}

fn opt_blob(blob: Option<&(Id, u32)>) -> Option<Option<(Oid, u32)>> {
    match blob {
        None => Some(None),
        Some((id, mode)) => oid(id).map(|o| Some((o, *mode))),
    }
}

impl StepRecord {
    fn of(step: &Step) -> StepRecord {
        StepRecord {
            id: id_of(step.id),
            parent: step.parent.map(id_of),
            time: step.info.time,
            offset: step.info.offset_minutes,
            author: step.info.author.name.clone(),
            email: step.info.author.email.clone(),
            ports: step.ports.map(id_of),
            policy: step.policy.map(|(o, m)| (id_of(o), m)),
            schemas: step.schemas.map(id_of),
            changes: step
                .changes
                .iter()
                .map(|c| (c.id.clone(), c.dir.clone(), c.tree.map(id_of)))
                .collect(),
        }
    }

    fn step(self) -> Option<Step> {
        let id = oid(&self.id)?;
        let changes = self
            .changes
            .into_iter()
            .map(|(id, dir, tree)| {
                Some(Change {
                    id,
                    dir,
                    tree: opt_oid(tree.as_ref())?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Step {
            id,
            parent: opt_oid(self.parent.as_ref())?,
            info: CommitInfo {
                id: id.to_string(),
                time: self.time,
                offset_minutes: self.offset,
                author: Person {
                    name: self.author,
                    email: self.email,
                },
            },
            ports: opt_oid(self.ports.as_ref())?,
            policy: opt_blob(self.policy.as_ref())?,
            schemas: opt_oid(self.schemas.as_ref())?,
            changes,
        })
    }
}

impl StageRecord {
    fn entry(self) -> Option<(StageKey, Option<Stage>)> {
        Some((
            StageKey {
                dir: self.dir,
                tree: oid(&self.tree)?,
                policy: opt_blob(self.policy.as_ref())?,
                schemas: opt_oid(self.schemas.as_ref())?,
                date: self.date,
            },
            self.stage,
        ))
    }
}

impl Cache {
    /// The cache files of the repository at `git_dir` for the ports repo at `prefix`;
    /// empty (and written afresh later) when they are missing or cannot be used.
    pub fn load(git_dir: &Path, prefix: &str) -> Cache {
        let mut cache = Cache {
            dir: git_dir.join("portflow"),
            prefix: prefix.to_owned(),
            ..Cache::default()
        };
        let Some((records, appended)) = cache.read::<StepRecord>(STEPS_FILE) else {
            return cache;
        };
        // One unreadable entry makes the whole file suspect. The map is sized up front: a
        // map grown by doubling holds its old table and the new one at once.
        let mut steps = FxHashMap::with_capacity_and_hasher(records.len(), Default::default());
        for r in records {
            let Some(step) = r.step() else {
                return cache;
            };
            steps.insert(step.id, step);
        }
        cache.steps_read = AsRead {
            held: steps.len(),
            appends: appended,
        };
        cache.steps = steps;
        cache
    }

    /// The entries of the cache file `name`, when it is this version's, for this prefix,
    /// with those appended to it; and how many records were appended, when all were whole.
    fn read<T: serde::de::DeserializeOwned>(&self, name: &str) -> Option<(Vec<T>, Option<usize>)> {
        let read = read_appended::<FileRecord<Vec<T>>, Vec<T>>(&self.dir.join(name), MAX_BYTES)?;
        let first = read.first;
        (first.format == FORMAT
            && first.version == env!("CARGO_PKG_VERSION")
            && first.prefix == self.prefix)
            .then(|| {
                let mut entries = first.entries;
                entries.extend(read.appended.into_iter().flatten());
                (entries, read.whole.then_some(read.appends))
            })
    }

    /// Appends `entries` to the cache file `name` when they are few beside what it held
    /// and it takes appends; whether it did.
    fn append<T: Serialize>(&self, name: &str, entries: &[T], read: AsRead) -> bool {
        appends(entries.len(), read.held, read.appends)
            && append_record(&self.dir.join(name), &entries).is_some()
    }

    fn write<T: Serialize>(&self, name: &str, entries: T) {
        let record = FileRecord {
            format: FORMAT,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            prefix: self.prefix.clone(),
            entries,
        };
        write_record(&self.dir.join(name), &record);
    }

    /// The stages by key, read from their file on first use; a file with an entry that
    /// does not decode is dropped whole (those stages are judged again).
    pub fn stages(&mut self) -> &mut FxHashMap<StageKey, Option<Stage>> {
        if self.stages.is_none() {
            let (records, appended) = self.read::<StageRecord>(STAGES_FILE).unwrap_or_default();
            let mut stages = FxHashMap::with_capacity_and_hasher(records.len(), Default::default());
            for r in records {
                let Some((key, stage)) = r.entry() else {
                    stages.clear();
                    break;
                };
                stages.insert(key, stage);
            }
            self.stages_read = AsRead {
                held: stages.len(),
                appends: appended,
            };
            self.stages = Some(stages);
        }
        self.stages.get_or_insert_default()
    }

    /// Keeps the stages judged by this run.
    pub fn add_stages(&mut self, judged: impl IntoIterator<Item = (StageKey, Option<Stage>)>) {
        let judged: Vec<(StageKey, Option<Stage>)> = judged.into_iter().collect();
        self.new_stages
            .extend(judged.iter().map(|(key, _)| key.clone()));
        self.stages().extend(judged);
        self.stages_dirty = true;
    }

    /// Notes that the step of commit `id` was learnt by this run.
    pub fn learnt_step(&mut self, id: Oid) {
        self.new_steps.insert(id);
        self.steps_dirty = true;
    }

    /// The cached changes of a commit.
    pub fn step(&self, id: Oid) -> Option<&Step> {
        self.steps.get(&id)
    }

    /// Takes the cached changes of a commit out of the cache.
    pub fn take_step(&mut self, id: Oid) -> Option<Step> {
        self.steps.remove(&id)
    }

    /// Writes the line's steps and the stages worth keeping, when anything is new. A cache
    /// that cannot be written is not an error: the next run reads git again.
    pub fn save(&self, steps: &[Step], keep: impl Fn(&StageKey) -> bool) {
        if self.steps_dirty {
            let new: Vec<StepRecord> = steps
                .iter()
                .filter(|s| self.new_steps.contains(&s.id))
                .map(StepRecord::of)
                .collect();
            if !self.append(STEPS_FILE, &new, self.steps_read) {
                self.write(
                    STEPS_FILE,
                    steps.iter().map(StepRecord::of).collect::<Vec<_>>(),
                );
            }
        }
        // Stages never judged this run are as they are on disk.
        if let Some(stages) = self.stages.as_ref().filter(|_| self.stages_dirty) {
            let record = |(k, stage): (&StageKey, &Option<Stage>)| StageRecord {
                dir: k.dir.clone(),
                tree: id_of(k.tree),
                policy: k.policy.map(|(o, m)| (id_of(o), m)),
                schemas: k.schemas.map(id_of),
                date: k.date,
                stage: *stage,
            };
            let new: Vec<StageRecord> = self
                .new_stages
                .iter()
                .filter(|k| keep(k))
                .filter_map(|k| stages.get_key_value(k).map(record))
                .collect();
            if self.append(STAGES_FILE, &new, self.stages_read) {
                return;
            }
            let mut records: Vec<StageRecord> =
                stages.iter().filter(|(k, _)| keep(k)).map(record).collect();
            records.sort_by(|a, b| (&a.dir, &a.tree, a.date).cmp(&(&b.dir, &b.tree, b.date)));
            self.write(STAGES_FILE, records);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(dir: &str, day: u8) -> StageKey {
        StageKey {
            dir: dir.to_owned(),
            tree: Oid::from_bytes(&[day; 20]).expect("id"),
            policy: Some((Oid::from_bytes(&[7; 20]).expect("id"), 0o100_644)),
            schemas: None,
            date: Date::new(2026, 11, day).expect("date"),
        }
    }

    fn saved(git_dir: &Path, stages: &[(StageKey, Option<Stage>)]) {
        let mut cache = Cache::load(git_dir, "");
        cache.stages().extend(stages.iter().cloned());
        cache.stages_dirty = true;
        cache.save(&[], |_| true);
    }

    // Guards the stages a run never asks for: a save leaves them as they are, and a later
    // run that asks reads what was saved.
    #[test]
    fn stages_left_undecoded_survive_a_save() {
        let temp = tempfile::tempdir().expect("tempdir");
        let stages = vec![
            (key("ports/a", 1), Some(Stage::Draft)),
            (key("ports/b", 2), None),
        ];
        saved(temp.path(), &stages);

        let mut untouched = Cache::load(temp.path(), "");
        untouched.steps_dirty = true;
        untouched.save(&[], |_| false);
        // Read but not added to: left as it is too.
        let mut read = Cache::load(temp.path(), "");
        read.stages();
        read.steps_dirty = true;
        read.save(&[], |_| false);

        let mut again = Cache::load(temp.path(), "");
        let mut got: Vec<(StageKey, Option<Stage>)> = again
            .stages()
            .iter()
            .map(|(k, s)| (k.clone(), *s))
            .collect();
        got.sort_by(|a, b| a.0.dir.cmp(&b.0.dir));
        assert_eq!(got, stages);
        // Another ports repo's prefix is another cache.
        assert!(Cache::load(temp.path(), "desk/").stages().is_empty());
    }

    // Guards appending to the history cache: a run that judges a few stages and learns a
    // commit's step appends them, and the next run reads them with the rest.
    #[test]
    fn a_few_new_stages_and_steps_are_appended() {
        let temp = tempfile::tempdir().expect("tempdir");
        let many: Vec<(StageKey, Option<Stage>)> = (1..=20)
            .map(|day| (key(&format!("ports/p{day}"), day), Some(Stage::Draft)))
            .collect();
        saved(temp.path(), &many);
        let step = |n: u8, parent: Option<Oid>| Step {
            id: Oid::from_bytes(&[n; 20]).expect("id"),
            parent,
            info: CommitInfo {
                id: Oid::from_bytes(&[n; 20]).expect("id").to_string(),
                time: i64::from(n),
                offset_minutes: 0,
                author: Person {
                    name: "A".to_owned(),
                    email: "a@example.com".to_owned(),
                },
            },
            ports: None,
            policy: None,
            schemas: None,
            changes: Vec::new(),
        };
        let line: Vec<Step> = (1..=20u8)
            .map(|n| {
                step(
                    n,
                    (n > 1).then(|| Oid::from_bytes(&[n - 1; 20]).expect("id")),
                )
            })
            .collect();
        let mut first = Cache::load(temp.path(), "");
        for s in &line {
            first.learnt_step(s.id);
        }
        first.save(&line, |_| true);

        let size = |name: &str| {
            std::fs::metadata(temp.path().join("portflow").join(name))
                .expect("file")
                .len()
        };
        let (steps_before, stages_before) = (size(STEPS_FILE), size(STAGES_FILE));
        let mut next = Cache::load(temp.path(), "");
        let longer: Vec<Step> = line
            .iter()
            .cloned()
            .chain([step(21, Some(line[19].id))])
            .collect();
        next.learnt_step(longer[20].id);
        next.add_stages([(key("ports/new", 21), Some(Stage::Submitted))]);
        next.save(&longer, |_| true);
        // Appended: the files grew by a record, the rest left as it was.
        let (steps_after, stages_after) = (size(STEPS_FILE), size(STAGES_FILE));
        assert!(steps_after > steps_before && steps_after - steps_before < 200);
        assert!(stages_after > stages_before && stages_after - stages_before < 120);

        let mut again = Cache::load(temp.path(), "");
        assert_eq!(again.steps.len(), 21);
        assert!(again.step(longer[20].id).is_some());
        assert_eq!(again.stages().len(), 21);
        assert_eq!(
            again.stages().get(&key("ports/new", 21)),
            Some(&Some(Stage::Submitted))
        );
    }

    // Guards a stored part that does not decode: its stages are dropped, not half-read.
    #[test]
    fn undecodable_stages_are_judged_again() {
        let temp = tempfile::tempdir().expect("tempdir");
        saved(temp.path(), &[(key("ports/a", 1), Some(Stage::Draft))]);
        let path = temp.path().join("portflow").join(STAGES_FILE);
        let mut bytes = std::fs::read(&path).expect("stages.bin");
        let last = bytes.len() - 1;
        bytes[last] = 0xff;
        std::fs::write(&path, bytes).expect("write");
        assert!(Cache::load(temp.path(), "").stages().is_empty());
    }
}
