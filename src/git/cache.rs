//! The history cache under `.git/portflow/`: what each first-parent commit changed, and the
//! stage of a port folder's content, so a rerun after one new commit reads one commit.
//!
//! Every entry is keyed by what cannot change under it: a commit id (a commit's changes are
//! measured against its first parent, which is part of its id), or the ids of the port's
//! tree, porting.toml and the schemas with the date it was judged on. Rewritten history has
//! new ids, so it is read afresh; an unreadable, foreign or older-format file is ignored and
//! replaced. The file is written whole, atomically.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use git2::Oid;
use serde::{Deserialize, Serialize};

use crate::model::Date;
use crate::model::timeline::{CommitInfo, Person};
use crate::stage::Stage;
use crate::store::{read_record, write_record};

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
    steps: HashMap<Oid, Step>,
    /// `None` until read; in it, `None` is a port that could not be read at that commit.
    stages: Option<HashMap<StageKey, Option<Stage>>>,
    /// Whether steps were learnt since loading (history.bin is then written).
    pub steps_dirty: bool,
    /// Whether stages were judged since loading (stages.bin is then written).
    pub stages_dirty: bool,
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
        let Some(records) = cache.read::<Vec<StepRecord>>(STEPS_FILE) else {
            return cache;
        };
        // One unreadable entry makes the whole file suspect. The map is sized up front: a
        // map grown by doubling holds its old table and the new one at once.
        let mut steps = HashMap::with_capacity(records.len());
        for r in records {
            let Some(step) = r.step() else {
                return cache;
            };
            steps.insert(step.id, step);
        }
        cache.steps = steps;
        cache
    }

    /// The entries of the cache file `name`, when it is this version's, for this prefix.
    fn read<T: serde::de::DeserializeOwned>(&self, name: &str) -> Option<T> {
        let record = read_record::<FileRecord<T>>(&self.dir.join(name), MAX_BYTES)?;
        (record.format == FORMAT
            && record.version == env!("CARGO_PKG_VERSION")
            && record.prefix == self.prefix)
            .then_some(record.entries)
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
    pub fn stages(&mut self) -> &mut HashMap<StageKey, Option<Stage>> {
        if self.stages.is_none() {
            let records = self
                .read::<Vec<StageRecord>>(STAGES_FILE)
                .unwrap_or_default();
            let mut stages = HashMap::with_capacity(records.len());
            for r in records {
                let Some((key, stage)) = r.entry() else {
                    stages.clear();
                    break;
                };
                stages.insert(key, stage);
            }
            self.stages = Some(stages);
        }
        self.stages.get_or_insert_default()
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
            self.write(
                STEPS_FILE,
                steps.iter().map(StepRecord::of).collect::<Vec<_>>(),
            );
        }
        // Stages never judged this run are as they are on disk.
        if let Some(stages) = self.stages.as_ref().filter(|_| self.stages_dirty) {
            let mut records: Vec<StageRecord> = stages
                .iter()
                .filter(|(k, _)| keep(k))
                .map(|(k, stage)| StageRecord {
                    dir: k.dir.clone(),
                    tree: id_of(k.tree),
                    policy: k.policy.map(|(o, m)| (id_of(o), m)),
                    schemas: k.schemas.map(id_of),
                    date: k.date,
                    stage: *stage,
                })
                .collect();
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
