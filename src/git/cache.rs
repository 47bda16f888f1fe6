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
const FORMAT: u32 = 2;
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

/// The cache as loaded: steps by commit, stages by key.
#[derive(Debug, Default)]
pub struct Cache {
    path: PathBuf,
    prefix: String,
    steps: HashMap<Oid, Step>,
    /// `None`: the port could not be read at that commit.
    pub stages: HashMap<StageKey, Option<Stage>>,
    /// Whether anything new was learnt since loading.
    pub dirty: bool,
}

/// A commit or object id as stored: its 20 bytes.
type Id = [u8; 20];

#[derive(Serialize, Deserialize)]
struct FileRecord {
    format: u32,
    version: String,
    prefix: String,
    steps: Vec<StepRecord>,
    stages: Vec<StageRecord>,
}

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
    /// The cache file of the repository at `git_dir` for the ports repo at `prefix`;
    /// empty (and written afresh later) when it is missing or cannot be used.
    pub fn load(git_dir: &Path, prefix: &str) -> Cache {
        let path = git_dir.join("portflow").join("history.bin");
        let record = read_record::<FileRecord>(&path, MAX_BYTES);
        let mut cache = Cache {
            path,
            prefix: prefix.to_owned(),
            ..Cache::default()
        };
        let Some(record) = record else {
            return cache;
        };
        if record.format != FORMAT
            || record.version != env!("CARGO_PKG_VERSION")
            || record.prefix != prefix
        {
            return cache;
        }
        // One unreadable entry makes the whole file suspect.
        let steps: Option<HashMap<Oid, Step>> = record
            .steps
            .into_iter()
            .map(|r| r.step().map(|s| (s.id, s)))
            .collect();
        let stages: Option<HashMap<StageKey, Option<Stage>>> =
            record.stages.into_iter().map(StageRecord::entry).collect();
        if let (Some(steps), Some(stages)) = (steps, stages) {
            cache.steps = steps;
            cache.stages = stages;
        }
        cache
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
        let path = &self.path;
        if !self.dirty {
            return;
        }
        let mut stages: Vec<StageRecord> = self
            .stages
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
        stages.sort_by(|a, b| (&a.dir, &a.tree, a.date).cmp(&(&b.dir, &b.tree, b.date)));
        let record = FileRecord {
            format: FORMAT,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            prefix: self.prefix.clone(),
            steps: steps.iter().map(StepRecord::of).collect(),
            stages,
        };
        write_record(path, &record);
    }
}
