//! The first-parent scan: when each event landed, who recorded it, and each port's stages
//! and SLA clock over time.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use rustc_hash::{FxHashMap, FxHashSet};
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use git2::{ObjectType, Oid, Sort};
use rayon::prelude::*;

use super::cache::{Cache, Change, StageKey, Step};
use super::tree::{GitTree, Roots};
use super::{COMPARE_MAX_BYTES, Git, GitError};
use crate::engine::{Checked, Scope, check_tree};
use crate::loa::digest::LoaData;
use crate::model::Date;
use crate::model::policy::{Channel, Policy};
use crate::model::request::Request;
use crate::model::timeline::{
    CommitInfo, EventLine, Period, PortTimeline, SlaKind, end_of, sla_clock,
};
use crate::repo::{POLICY_FILE, PORTS_DIR, Port, Repo, Tree, WorkTree, is_year, is_year_folder};
use crate::rules::events::resolve_voids;
use crate::rules::{NoHistory, PortReport};
use crate::stage::Stage;
use crate::store::{Store, key_of};

/// Where an event file was added: the commit, the port's folder and tree there, and
/// porting.toml (blob, mode) of that commit.
#[derive(Debug, Clone)]
pub(crate) struct Added {
    pub commit: Oid,
    pub dir: String,
    pub tree: Oid,
    pub policy: Option<(Oid, u32)>,
}

/// How many ports a timeline run reads from git at once.
const PORTS_PER_BATCH: usize = 500;

/// Bumped whenever what a cached timeline holds changes meaning.
const TIMELINES_FORMAT: u32 = 1;

/// The most port folders checked together when judging stages.
const GROUP_MAX: usize = 256;

/// A stage judged for a key (`None`: the port could not be read there).
type Judged = (StageKey, Option<Stage>);

/// A port folder's place and content from one line position on (`None`: no such port).
#[derive(Debug, Clone)]
struct State {
    /// Position on the line (oldest first).
    at: usize,
    place: Option<(String, Oid)>,
}

/// Walks HEAD's first-parent line once, from what each commit changed: each port's
/// timeline is folded from the commits that touched it (and those that changed the policy
/// or the schemas), so the cost follows the changes, not commits × ports.
pub struct Scan<'g> {
    git: &'g Git,
    /// HEAD's first-parent line, oldest first, with what each commit changed.
    steps: Vec<Step>,
    /// Line position of each commit.
    index: FxHashMap<Oid, usize>,
    /// Each port's states, oldest first.
    states: FxHashMap<String, Vec<State>>,
    /// Positions where porting.toml or the schemas changed, the first commit included.
    globals: Vec<usize>,
    cache: Cache,
    /// The event files of port trees, for the port being dated.
    events: FxHashMap<Oid, Rc<Vec<(String, Oid)>>>,
    /// Timelines folded while a check held the ports' files ([`Scan::fold_ahead`]), by
    /// port folder, with the stage each was folded for.
    folded: FxHashMap<String, (Stage, Arc<PortTimeline>)>,
    /// Whether [`Scan::fold_ahead`] has judged every port's stages.
    judged_ahead: bool,
}

/// A first-parent line read, with what each commit changed: what a [`Scan`] starts from.
pub(crate) struct Line {
    steps: Vec<Step>,
    index: FxHashMap<Oid, usize>,
    states: FxHashMap<String, Vec<State>>,
    globals: Vec<usize>,
    cache: Cache,
}

impl Line {
    /// Reads the first-parent line that ends at `tip` from the history cache, reading the
    /// commits it lacks from git.
    pub(crate) fn read(git: &Git, tip: Oid, mut cache: Cache) -> Result<Line, GitError> {
        git.require_history()?;
        let mut line = Vec::new();
        let mut next = Some(tip);
        while let Some(id) = next {
            line.push(id);
            next = match cache.step(id) {
                Some(step) => step.parent,
                None => {
                    let commit = git.repo.find_commit(id)?;
                    match commit.parent_count() {
                        0 => None,
                        _ => Some(commit.parent_id(0)?),
                    }
                }
            };
        }
        line.reverse();
        let mut known: Vec<Option<Step>> = line.iter().map(|id| cache.take_step(*id)).collect();
        let missing: Vec<usize> = (0..line.len()).filter(|&i| known[i].is_none()).collect();
        if !missing.is_empty() {
            for (at, step) in steps_at(git, &line, &known, &missing)? {
                cache.learnt_step(step.id);
                known[at] = Some(step);
            }
        }
        let steps: Vec<Step> = known.into_iter().flatten().collect();
        let mut states: FxHashMap<String, Vec<State>> = FxHashMap::default();
        let mut globals = Vec::new();
        for (at, step) in steps.iter().enumerate() {
            let previous = at.checked_sub(1).map(|p| &steps[p]);
            if previous.is_none_or(|p| (p.policy, p.schemas) != (step.policy, step.schemas)) {
                globals.push(at);
            }
            for change in &step.changes {
                // Most ports change more than once: their id is copied only the first time.
                let list = match states.get_mut(change.id.as_str()) {
                    Some(list) => list,
                    None => states.entry(change.id.clone()).or_default(),
                };
                let place = change.tree.map(|t| (change.dir.clone(), t));
                match list.last_mut() {
                    Some(last) if last.at == at => last.place = place,
                    Some(last) if last.place == place => {}
                    _ => list.push(State { at, place }),
                }
            }
        }
        let index = steps.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
        Ok(Line {
            steps,
            index,
            states,
            globals,
            cache,
        })
    }
}

impl<'g> Scan<'g> {
    /// Reads HEAD's first-parent line (from the cache where it can); `history::shallow`
    /// when the line is cut off.
    pub fn new(git: &'g Git) -> Result<Scan<'g>, GitError> {
        Scan::from_tip(git, git.head()?.id())
    }

    /// Reads the first-parent line that ends at `tip`.
    pub fn from_tip(git: &'g Git, tip: Oid) -> Result<Scan<'g>, GitError> {
        git.require_history()?;
        let cache = Cache::load(git.repo.commondir(), &git.prefix);
        Ok(Scan::of_line(git, Line::read(git, tip, cache)?))
    }

    /// The scan of a line read (perhaps on another thread, with the repository opened
    /// again).
    pub(crate) fn of_line(git: &'g Git, line: Line) -> Scan<'g> {
        let Line {
            steps,
            index,
            states,
            globals,
            cache,
        } = line;
        Scan {
            git,
            steps,
            index,
            states,
            globals,
            cache,
            events: FxHashMap::default(),
            folded: FxHashMap::default(),
            judged_ahead: false,
        }
    }

    pub(crate) fn info(&mut self, id: Oid) -> Result<CommitInfo, GitError> {
        match self.index.get(&id) {
            Some(&at) => Ok(self.steps[at].info.clone()),
            None => self.git.commit_info(id),
        }
    }

    /// The number of commits on the line.
    pub(crate) fn len(&self) -> usize {
        self.steps.len()
    }

    /// What the commit at a line position changed.
    pub(crate) fn step(&self, at: usize) -> &Step {
        &self.steps[at]
    }

    /// The line position of a commit, when it is on the line.
    pub(crate) fn position(&self, id: Oid) -> Option<usize> {
        self.index.get(&id).copied()
    }

    /// The port's folder and tree at a line position.
    pub(crate) fn place_at(&self, id: &str, at: usize) -> Option<(String, Oid)> {
        let states = self.states.get(id)?;
        let i = states.partition_point(|s| s.at <= at).checked_sub(1)?;
        states[i].place.clone()
    }

    /// The last commit on the line that changed the port's folder, porting.toml or the
    /// schemas: with it, the port's timeline up to the tip is fixed but for what the run
    /// brings (`--today`, the files on disk, today's porting.toml). `None` when the line
    /// never had the port.
    pub(crate) fn anchor(&self, id: &str) -> Option<Oid> {
        let port = self.states.get(id)?.last()?.at;
        let global = self.globals.last().copied().unwrap_or(0);
        Some(self.steps[port.max(global)].id)
    }

    /// The last commit up to a line position that changed the port's folder (added,
    /// changed, moved or removed it); `None` when none did.
    pub(crate) fn changed_last(&self, id: &str, at: usize) -> Option<Oid> {
        let states = self.states.get(id)?;
        let i = states.partition_point(|s| s.at <= at).checked_sub(1)?;
        Some(self.steps[states[i].at].id)
    }

    /// The event files (name, blob) of a port folder's tree.
    pub(crate) fn events_of(&mut self, port_tree: Oid) -> Result<Rc<Vec<(String, Oid)>>, GitError> {
        if let Some(list) = self.events.get(&port_tree) {
            return Ok(list.clone());
        }
        let repo = &self.git.repo;
        let mut list = Vec::new();
        let tree = repo.find_tree(port_tree)?;
        if let Some(events) = tree.get_name("events")
            && let Ok(events) = repo.find_tree(events.id())
        {
            for e in events.iter() {
                if let (Some(name), Some(ObjectType::Blob)) = (e.name().ok(), e.kind()) {
                    list.push((name.to_owned(), e.id()));
                }
            }
        }
        let list = Rc::new(list);
        self.events.insert(port_tree, list.clone());
        Ok(list)
    }

    /// Whether a port tree has the event: a file of the same name, or one with the same
    /// bytes under a name the port no longer uses (`current` are the names it uses now),
    /// so a sanctioned renumbering keeps its landing while two identical events keep their
    /// own.
    fn tree_has_event(
        &mut self,
        tree: Oid,
        (name, blob): (&str, Oid),
        current: &BTreeSet<String>,
    ) -> Result<bool, GitError> {
        let events = self.events_of(tree)?;
        Ok(events
            .iter()
            .any(|(n, b)| n == name || (*b == blob && !current.contains(n))))
    }

    /// For each event (name, blob) of a port: the first commit of the unbroken run of
    /// first-parent commits, ending at HEAD, that contain it.
    pub(crate) fn landings(
        &mut self,
        id: &str,
        events: &[(String, Oid)],
        current: &BTreeSet<String>,
    ) -> Result<Vec<Option<Oid>>, GitError> {
        let mut landed: Vec<Option<Oid>> = vec![None; events.len()];
        let states = self.states.get(id).cloned().unwrap_or_default();
        let mut active: Vec<usize> = (0..events.len()).collect();
        // Between two states the port's tree is the same: a state stands for its commits.
        for state in states.iter().rev() {
            let Some((_, tree)) = state.place else {
                break;
            };
            if active.is_empty() {
                break;
            }
            let mut still = Vec::new();
            for i in active {
                let (name, blob) = &events[i];
                if self.tree_has_event(tree, (name, *blob), current)? {
                    landed[i] = Some(self.steps[state.at].id);
                    still.push(i);
                }
            }
            active = still;
        }
        self.events.clear();
        Ok(landed)
    }

    /// The commit that created an event file: on a merge, the oldest commit of the merged
    /// branch that has it; otherwise the landing commit itself.
    fn creator(
        &mut self,
        landing: Oid,
        id: &str,
        event: (&str, Oid),
        current: &BTreeSet<String>,
    ) -> Result<Oid, GitError> {
        let commit = self.git.repo.find_commit(landing)?;
        if commit.parent_count() < 2 {
            return Ok(landing);
        }
        let Some(dir) = self
            .index
            .get(&landing)
            .and_then(|&at| self.place_at(id, at))
            .map(|(dir, _)| dir)
        else {
            return Ok(landing);
        };
        let mut walk = self.git.repo.revwalk()?;
        walk.push(landing)?;
        walk.hide(commit.parent_id(0)?)?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
        for oid in walk {
            let oid = oid?;
            if oid == landing {
                continue;
            }
            let root = self.git.repo.find_commit(oid)?.tree()?;
            let Ok(entry) = root.get_path(Path::new(&format!("{}{dir}", self.git.prefix))) else {
                continue;
            };
            if self.tree_has_event(entry.id(), event, current)? {
                self.events.clear();
                return Ok(oid);
            }
        }
        self.events.clear();
        Ok(landing)
    }

    /// The commits where a port's stage is judged, with what it is judged on: each commit
    /// that changed its folder, porting.toml or the schemas while the port existed.
    fn checkpoints(&self, id: &str) -> Vec<(usize, StageKey)> {
        let Some(states) = self.states.get(id) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, state) in states.iter().enumerate() {
            let Some((dir, tree)) = &state.place else {
                continue;
            };
            let end = states.get(i + 1).map_or(self.steps.len(), |s| s.at);
            let from = self.globals.partition_point(|&g| g <= state.at);
            let policy_changes = self.globals[from..].iter().take_while(|&&g| g < end);
            for at in std::iter::once(state.at).chain(policy_changes.copied()) {
                let step = &self.steps[at];
                let Some(date) = step.info.local_date() else {
                    continue;
                };
                out.push((
                    at,
                    StageKey {
                        dir: dir.clone(),
                        tree: *tree,
                        policy: step.policy,
                        schemas: step.schemas,
                        date,
                    },
                ));
            }
        }
        out
    }

    /// Judges every stage the ports `ids` need that the cache does not hold, on all cores.
    fn judge(&mut self, ids: &[&str]) {
        let keys: Vec<StageKey> = ids
            .iter()
            .flat_map(|id| self.checkpoints(id))
            .map(|(_, key)| key)
            .collect();
        self.judge_keys(keys);
    }

    /// Judges the keys the cache does not hold, on all cores.
    fn judge_keys(&mut self, keys: Vec<StageKey>) {
        let known = self.cache.stages();
        let mut wanted: Vec<StageKey> = keys
            .into_iter()
            .filter(|key| !known.contains_key(key))
            .collect();
        wanted.sort_by(|a, b| {
            (a.date, a.policy, a.schemas, &a.dir, a.tree)
                .cmp(&(b.date, b.policy, b.schemas, &b.dir, b.tree))
        });
        wanted.dedup();
        if wanted.is_empty() {
            return;
        }
        // Each share opens the repository again (a handle is not shared across threads); a
        // share that cannot is judged here.
        let (path, prefix) = (self.git.repo.path().to_owned(), self.git.prefix.clone());
        let shares: Vec<&[StageKey]> = wanted.chunks(GROUP_MAX).collect();
        let done: Vec<Option<Vec<Judged>>> = shares
            .par_iter()
            .map(|keys| Git::at(&path, &prefix).map(|git| stages_of(&git, keys)))
            .collect();
        let judged: Vec<Judged> = done
            .into_iter()
            .zip(shares)
            .flat_map(|(done, keys)| done.unwrap_or_else(|| stages_of(self.git, keys)))
            .collect();
        self.cache.add_stages(judged);
    }

    /// The stage of one port at every first-parent commit that changed it (or the policy),
    /// as periods, oldest first. A commit where the port is `invalid` keeps the stage before.
    fn periods(&mut self, id: &str, today: Date) -> Result<Vec<Period>, GitError> {
        let now = end_of(today);
        let points = self.checkpoints(id);
        self.judge_keys(points.iter().map(|(_, key)| key.clone()).collect());
        let mut marks: Vec<(Stage, usize)> = Vec::new();
        for (at, key) in points {
            let Some(Some(stage)) = self.cache.stages().get(&key).copied() else {
                continue;
            };
            if stage != Stage::Invalid && marks.last().is_none_or(|(s, _)| *s != stage) {
                marks.push((stage, at));
            }
        }
        let mut periods = Vec::new();
        for (i, (stage, at)) in marks.iter().enumerate() {
            let from = self.steps[*at].info.clone();
            let to = marks
                .get(i + 1)
                .map(|(_, next)| self.steps[*next].info.clone());
            let end = to.as_ref().map_or(now, |t| t.time);
            periods.push(Period {
                stage: *stage,
                seconds: (end - from.time).max(0),
                from,
                to,
            });
        }
        Ok(periods)
    }

    /// Where the event file `name` of port `id` was added, seen from `boundary` (a commit
    /// on the line): the oldest commit of the unbroken first-parent run ending at
    /// `boundary` whose port has a file of that name, with the port's folder and tree and the
    /// policy there. `None` when `boundary` is not on the line or its port
    /// has no such file.
    pub(crate) fn added_at(&mut self, boundary: Oid, id: &str, name: &str) -> Option<Added> {
        let at = *self.index.get(&boundary)?;
        let states = self.states.get(id)?.clone();
        let mut i = states.partition_point(|s| s.at <= at).checked_sub(1)?;
        let has = |scan: &mut Scan<'_>, state: &State| match &state.place {
            Some((_, tree)) => scan
                .events_of(*tree)
                .is_ok_and(|events| events.iter().any(|(n, _)| n == name)),
            None => false,
        };
        if !has(self, &states[i]) {
            self.events.clear();
            return None;
        }
        while i > 0 && has(self, &states[i - 1]) {
            i -= 1;
        }
        self.events.clear();
        let (dir, tree) = states[i].place.clone()?;
        let step = &self.steps[states[i].at];
        Some(Added {
            commit: step.id,
            dir,
            tree,
            policy: step.policy,
        })
    }

    /// Keeps what was learnt for the next run (see [`Cache`]).
    pub fn save(&self) {
        if !self.cache.steps_dirty && !self.cache.stages_dirty {
            return;
        }
        save_cache(&self.cache, &self.steps, &self.states);
    }

    /// [`Scan::save`] while the run goes on ([`crate::store::write_later`]), for a run
    /// done with the scan.
    pub fn save_later(self) {
        if !self.cache.steps_dirty && !self.cache.stages_dirty {
            return;
        }
        let (cache, steps, states) = (self.cache, self.steps, self.states);
        crate::store::write_later(move || save_cache(&cache, &steps, &states));
    }

    /// The timeline of a port whose files `tree` holds, `stage` being the stage they give
    /// now and `policy` today's porting.toml (it says which SLA window applies).
    pub fn timeline(
        &mut self,
        tree: &dyn Tree,
        port: &Port,
        policy: Option<&Policy>,
        stage: Stage,
        today: Date,
    ) -> Result<PortTimeline, GitError> {
        let (live, _) = resolve_voids(port);
        let live: BTreeSet<&str> = live.iter().map(|e| e.path()).collect();
        let keys: Vec<(String, Oid)> = port
            .events
            .iter()
            .map(|e| {
                let blob = tree
                    .read(&e.path, COMPARE_MAX_BYTES)
                    .ok()
                    .and_then(|b| Oid::hash_object(ObjectType::Blob, &b).ok())
                    .unwrap_or(Oid::ZERO_SHA1);
                (e.name.clone(), blob)
            })
            .collect();
        let current: BTreeSet<String> = keys.iter().map(|(n, _)| n.clone()).collect();
        let landings = self.landings(&port.id, &keys, &current)?;
        let mut events = Vec::new();
        let mut previous: Option<i64> = None;
        for ((file, (name, blob)), landing) in port.events.iter().zip(&keys).zip(landings) {
            let (landed, created) = match landing {
                Some(commit) => {
                    let creator = self.creator(commit, &port.id, (name, *blob), &current)?;
                    (Some(self.info(commit)?), Some(self.info(creator)?))
                }
                None => (None, None),
            };
            let on = file.loaded.as_ref().map(|l| l.value.on);
            let since_previous = match (&landed, previous) {
                (Some(l), Some(p)) => Some(l.time - p),
                _ => None,
            };
            if let Some(l) = &landed {
                previous = Some(l.time);
            }
            let on_to_landed_days = match (on, landed.as_ref().and_then(CommitInfo::local_date)) {
                (Some(on), Some(day)) => Some(day.days_since_epoch() - on.days_since_epoch()),
                _ => None,
            };
            events.push(EventLine {
                file: file.name.clone(),
                number: file.number,
                kind: file.name_kind,
                on,
                voided: file.loaded.is_some() && !live.contains(file.path.as_str()),
                landed,
                created,
                since_previous,
                on_to_landed_days,
            });
        }
        let periods = self.periods(&port.id, today)?;
        let uncommitted_stage =
            stage != Stage::Invalid && periods.last().is_some_and(|p| p.stage != stage);
        let channel = policy.and_then(|p| {
            let country = &port.request.as_ref()?.value.country;
            Some((p.country(country)?.channel, p.sla))
        });
        let sla = channel.and_then(|(channel, sla)| {
            let (kind, window) = match channel {
                Channel::SelfServe => (SlaKind::Domestic, sla.domestic),
                Channel::Assisted => (SlaKind::International, sla.international),
            };
            sla_clock(&periods, kind, window)
        });
        Ok(PortTimeline {
            id: port.id.clone(),
            dir: port.dir.clone(),
            stage,
            events,
            periods,
            uncommitted_stage,
            sla,
        })
    }

    /// Folds the timelines of ports a check has judged, while it holds their files (`tree`
    /// reads them, `repo` has them loaded): [`timelines_of`] takes these rather than read
    /// the ports again. A timeline that cannot be folded is left for it to fold.
    pub(crate) fn fold_ahead(
        &mut self,
        tree: &dyn Tree,
        repo: &Repo,
        reports: &[PortReport],
        today: Date,
    ) {
        // Every port's stages at once, the first time: judged a batch at a time, the ports
        // of one day and policy would be checked in as many groups as batches.
        if !self.judged_ahead {
            self.judged_ahead = true;
            let ids: Vec<String> = self
                .states
                .iter()
                .filter(|(_, states)| states.last().is_some_and(|s| s.place.is_some()))
                .map(|(id, _)| id.clone())
                .collect();
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            self.judge(&ids);
        }
        let ids: Vec<&str> = reports.iter().map(|r| r.id.as_str()).collect();
        self.judge(&ids);
        let policy = repo.policy.as_ref().map(|p| &p.value);
        let ports = repo.ports_by_dir();
        for r in reports {
            let Some(port) = ports.get(r.dir.as_str()) else {
                continue;
            };
            if let Ok(line) = self.timeline(tree, port, policy, r.stage, today) {
                self.folded.insert(r.dir.clone(), (r.stage, Arc::new(line)));
            }
        }
    }

    /// The port's request and the policy as they were at a commit.
    pub(crate) fn request_at(
        &mut self,
        commit: Oid,
        id: &str,
    ) -> Result<Option<(LoaData, String)>, GitError> {
        self.loaded_at(commit, id, |policy, request| {
            LoaData::new(policy, id, request)
        })
    }

    /// What `read` makes of porting.toml and the port's request at `commit`, and the
    /// port's folder there.
    pub(crate) fn loaded_at<T>(
        &mut self,
        commit: Oid,
        id: &str,
        read: impl FnOnce(&Policy, &Request) -> T,
    ) -> Result<Option<(T, String)>, GitError> {
        let tree = match self.index.get(&commit) {
            Some(&at) => {
                let Some((dir, tree)) = self.place_at(id, at) else {
                    return Ok(None);
                };
                let step = &self.steps[at];
                GitTree::of_ports(self.git, step.policy, step.schemas, &[(&dir, tree)])?
            }
            None => {
                let root = self.git.repo.find_commit(commit)?.tree()?;
                let Some(dir) = port_dir(self.git, &root, id) else {
                    return Ok(None);
                };
                GitTree::build(self.git, &root, Some(&dir))?
            }
        };
        if !tree.has(POLICY_FILE) {
            return Ok(None);
        }
        let repo = Repo::load(&tree)?;
        let (Some(policy), Some(port)) = (&repo.policy, repo.ports.iter().find(|p| p.id == id))
        else {
            return Ok(None);
        };
        Ok(port
            .request
            .as_ref()
            .map(|r| (read(&policy.value, &r.value), port.dir.clone())))
    }
}

/// The folder of port `id` in a commit's tree: `ports/<id>` or `ports/<year>/<id>`.
fn port_dir(git: &Git, root: &git2::Tree<'_>, id: &str) -> Option<String> {
    let ports = root
        .get_path(Path::new(&format!("{}{PORTS_DIR}", git.prefix)))
        .ok()?;
    let ports = git.repo.find_tree(ports.id()).ok()?;
    for e in ports.iter() {
        let (Some(name), Some(ObjectType::Tree)) = (e.name().ok(), e.kind()) else {
            continue;
        };
        if name == id {
            return Some(format!("{PORTS_DIR}/{id}"));
        }
        if is_year(name)
            && let Ok(sub) = git.repo.find_tree(e.id())
            && sub.get_name("request.toml").is_none()
            && sub.get_name(id).is_some()
        {
            return Some(format!("{PORTS_DIR}/{name}/{id}"));
        }
    }
    None
}

/// The stages port folders had, each judged on its commit's own date (`None` when it
/// cannot be read). Keys that share the policy, the schemas and the date are checked
/// together, each port alone: cross-port findings count for today's stage only, and a
/// port's stage does not depend on them.
fn stages_of(git: &Git, keys: &[StageKey]) -> Vec<Judged> {
    // Keys come sorted by date, policy and schemas: a group is a run of those, split where
    // a port repeats (one folder, one tree per check) and at a bounded size.
    let mut groups: Vec<Vec<&StageKey>> = Vec::new();
    let mut dirs: FxHashSet<&str> = FxHashSet::default();
    for key in keys {
        let fits = groups.last().is_some_and(|g: &Vec<&StageKey>| {
            let first = g[0];
            (first.policy, first.schemas, first.date) == (key.policy, key.schemas, key.date)
                && g.len() < GROUP_MAX
                && !dirs.contains(key.dir.as_str())
        });
        if !fits {
            groups.push(Vec::new());
            dirs.clear();
        }
        dirs.insert(&key.dir);
        if let Some(group) = groups.last_mut() {
            group.push(key);
        }
    }
    let mut out = Vec::with_capacity(keys.len());
    for group in groups {
        let ports: Vec<(&str, Oid)> = group.iter().map(|k| (k.dir.as_str(), k.tree)).collect();
        let first = group[0];
        let checked = GitTree::of_ports(git, first.policy, first.schemas, &ports)
            .ok()
            .filter(|tree| tree.has(POLICY_FILE))
            .and_then(|tree| check_tree(&tree, &Scope::all(), first.date, &NoHistory).ok());
        for key in group {
            let stage = checked
                .as_ref()
                .and_then(|c| c.reports.iter().find(|r| r.dir == key.dir).map(|r| r.stage));
            out.push((key.clone(), stage));
        }
    }
    out
}

/// The fewest commits one share of [`steps_at`] reads.
const SHARE_MIN: usize = 256;

/// The steps one share read, by line position.
type Read = Result<Vec<(usize, Step)>, GitError>;

/// What the commits at the line positions `missing` changed, on all cores: the positions
/// are cut into runs of consecutive commits, each read in order by a share that opens the
/// repository again (a run's first commit is compared with its parent's `ports/` tree,
/// from `known` or from git). A share that cannot open the repository is read here.
fn steps_at(git: &Git, line: &[Oid], known: &[Option<Step>], missing: &[usize]) -> Read {
    let share = missing
        .len()
        .div_ceil(rayon::current_num_threads() * 4)
        .max(SHARE_MIN);
    let mut runs: Vec<&[usize]> = Vec::new();
    let mut start = 0;
    for i in 1..=missing.len() {
        let cut = i == missing.len() || missing[i] != missing[i - 1] + 1 || i - start >= share;
        if cut {
            runs.push(&missing[start..i]);
            start = i;
        }
    }
    let read = |git: &Git, run: &[usize]| -> Read {
        let Some(&first) = run.first() else {
            return Ok(Vec::new());
        };
        let mut before = match first.checked_sub(1) {
            None => None,
            Some(parent) => match &known[parent] {
                Some(step) => step.ports,
                None => Roots::of(git, &git.repo.find_commit(line[parent])?.tree()?).ports,
            },
        };
        let odb = git.repo.odb()?;
        let mut held = None;
        let mut out = Vec::with_capacity(run.len());
        for &at in run {
            let step = step_of(git, &odb, line[at], &mut held, before)?;
            before = step.ports;
            out.push((at, step));
        }
        Ok(out)
    };
    if runs.len() == 1 {
        return read(git, runs[0]);
    }
    let (path, prefix) = (git.repo.path().to_owned(), git.prefix.clone());
    let done: Vec<Option<Read>> = runs
        .par_iter()
        .map(|run| Git::at(&path, &prefix).map(|git| read(&git, run)))
        .collect();
    let mut steps = Vec::with_capacity(missing.len());
    for (done, run) in done.into_iter().zip(&runs) {
        steps.extend(done.unwrap_or_else(|| read(git, run))?);
    }
    Ok(steps)
}

/// What a commit changed against its first parent, whose `ports/` tree is `before` (the
/// previous step's, kept read so each tree is read once along the line); `before` then
/// holds this commit's.
fn step_of<'o>(
    git: &Git,
    odb: &'o git2::Odb<'_>,
    id: Oid,
    before: &mut Option<HeldTree<'o>>,
    before_id: Option<Oid>,
) -> Result<Step, GitError> {
    let commit = git.repo.find_commit(id)?;
    let roots = Roots::of(git, &commit.tree()?);
    let mut changes = Vec::new();
    if before.as_ref().map(|t| t.object.id()) != before_id {
        *before = before_id.map(|t| HeldTree::read(odb, t)).transpose()?;
    }
    if roots.ports != before_id {
        let new = roots.ports.map(|t| odb.read(t)).transpose()?;
        *before = match (before.take(), new) {
            (Some(old), Some(new)) => {
                let (held, old_part, new_part) = old.followed_by(new)?;
                diff_level(
                    odb,
                    Some(old_part.as_slice()),
                    Some(new_part.as_slice()),
                    PORTS_DIR,
                    true,
                    &mut changes,
                )?;
                Some(held)
            }
            (old, new) => {
                diff_level(
                    odb,
                    old.as_ref().map(|t| t.object.data()),
                    new.as_ref().map(git2::OdbObject::data),
                    PORTS_DIR,
                    true,
                    &mut changes,
                )?;
                new.map(HeldTree::of).transpose()?
            }
        };
    }
    // Removals first, so a port moved between folders in one commit ends up moved.
    changes.sort_by_key(|c| c.tree.is_some());
    Ok(Step {
        id,
        parent: match commit.parent_count() {
            0 => None,
            _ => Some(commit.parent_id(0)?),
        },
        info: git.commit_info(id)?,
        ports: roots.ports,
        policy: roots.policy,
        schemas: roots.schemas,
        changes,
    })
}

/// git's order of tree entries: by name, a folder's name read with a trailing `/`.
fn git_order(a: &[u8], a_tree: bool, b: &[u8], b_tree: bool) -> Ordering {
    let n = a.len().min(b.len());
    match a[..n].cmp(&b[..n]) {
        Ordering::Equal => {
            let tail = |name: &[u8], tree: bool| name.get(n).copied().or(tree.then_some(b'/'));
            tail(a, a_tree).cmp(&tail(b, b_tree))
        }
        other => other,
    }
}

/// One entry of a tree object as git stores it: `<mode> <name>` NUL `<id>`.
#[derive(Clone, Copy)]
struct RawEntry<'a> {
    /// The whole entry: two entries with the same bytes are the same entry.
    bytes: &'a [u8],
    name: &'a [u8],
    folder: bool,
    id: &'a [u8],
}

/// The entries of a tree object's bytes, in stored order, read in place: a desk's
/// `ports/` holds thousands, and a history compares it at every commit.
struct RawEntries<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for RawEntries<'a> {
    type Item = Result<RawEntry<'a>, GitError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let entry = (|| {
            let space = self.rest.iter().position(|&b| b == b' ')?;
            let nul = space + 1 + self.rest[space + 1..].iter().position(|&b| b == 0)?;
            let end = nul + 1 + OID_BYTES;
            let bytes = self.rest.get(..end)?;
            Some(RawEntry {
                bytes,
                name: &bytes[space + 1..nul],
                folder: &bytes[..space] == b"40000",
                id: &bytes[nul + 1..],
            })
        })();
        match entry {
            Some(entry) => {
                self.rest = &self.rest[entry.bytes.len()..];
                Some(Ok(entry))
            }
            None => {
                self.rest = &[];
                Some(Err(malformed_tree()))
            }
        }
    }
}

/// A tree object as stored, with where each of its entries starts (and its length last).
struct HeldTree<'o> {
    object: git2::OdbObject<'o>,
    starts: Vec<usize>,
}

impl<'o> HeldTree<'o> {
    fn read(odb: &'o git2::Odb<'_>, id: Oid) -> Result<HeldTree<'o>, GitError> {
        HeldTree::of(odb.read(id)?)
    }

    /// Every entry of `object` read to find where it starts.
    fn of(object: git2::OdbObject<'o>) -> Result<HeldTree<'o>, GitError> {
        let data = object.data();
        let mut starts = Vec::new();
        for entry in raw_entries(Some(data)) {
            let entry = entry?;
            starts.push(entry.bytes.as_ptr() as usize - data.as_ptr() as usize);
        }
        starts.push(data.len());
        Ok(HeldTree { object, starts })
    }

    /// `next` (the next commit's tree) held in turn, with the entries where the two differ:
    /// from the last entry both start alike to the first both end alike, found by comparing
    /// bytes. Only that part of `next` is read entry by entry; its other entries start where
    /// this tree's do, shifted by the change in length.
    fn followed_by(
        self,
        next: git2::OdbObject<'o>,
    ) -> Result<(HeldTree<'o>, Vec<u8>, Vec<u8>), GitError> {
        let (old, new) = (self.object.data(), next.data());
        let prefix = common_prefix(old, new);
        let shortest = old.len().min(new.len());
        let suffix = common_suffix(old, new).min(shortest - prefix);
        // The last entry starting at or before the first differing byte.
        let first = self.starts.partition_point(|&s| s <= prefix) - 1;
        let mut starts: Vec<usize> = self.starts[..first].to_vec();
        let mut at = self.starts[first];
        let same_from = new.len() - suffix;
        let last = loop {
            // Past the first byte of the common end, at a start this tree has: the rest
            // is entry for entry this tree's rest.
            if at >= same_from
                && let Some(old_at) = (at + old.len()).checked_sub(new.len())
                && let Ok(i) = self.starts.binary_search(&old_at)
            {
                break i;
            }
            starts.push(at);
            let entry = raw_entries(Some(&new[at..]))
                .next()
                .unwrap_or_else(|| Err(malformed_tree()))?;
            at += entry.bytes.len();
        };
        let new_end = at;
        starts.extend(
            self.starts[last..]
                .iter()
                .map(|&s| s + new.len() - old.len()),
        );
        let old_part = old[self.starts[first]..self.starts[last]].to_vec();
        let new_part = new[self.starts[first]..new_end].to_vec();
        Ok((
            HeldTree {
                object: next,
                starts,
            },
            old_part,
            new_part,
        ))
    }
}

/// How many bytes `a` and `b` start with alike.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const CHUNK: usize = 512;
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + CHUNK <= n && a[i..i + CHUNK] == b[i..i + CHUNK] {
        i += CHUNK;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// How many bytes `a` and `b` end with alike.
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    const CHUNK: usize = 512;
    let n = a.len().min(b.len());
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    let mut i = 0;
    while i + CHUNK <= n && a[n - i - CHUNK..n - i] == b[n - i - CHUNK..n - i] {
        i += CHUNK;
    }
    while i < n && a[n - i - 1] == b[n - i - 1] {
        i += 1;
    }
    i
}

/// The error of a tree object whose bytes are not entries.
fn malformed_tree() -> GitError {
    GitError::Git(git2::Error::from_str("a tree object that does not parse"))
}

/// The bytes of a SHA-1 object id.
const OID_BYTES: usize = 20;

/// The entries of the tree object `data` (none for no tree).
fn raw_entries(data: Option<&[u8]>) -> RawEntries<'_> {
    RawEntries {
        rest: data.unwrap_or_default(),
    }
}

/// The port folders that differ between two tree objects of `base` (`ports/`, or a year
/// folder under it when `top` is false), given as stored: walked side by side, unchanged
/// entries skipped by their bytes, no unchanged folder read.
fn diff_level(
    odb: &git2::Odb<'_>,
    old: Option<&[u8]>,
    new: Option<&[u8]>,
    base: &str,
    top: bool,
    out: &mut Vec<Change>,
) -> Result<(), GitError> {
    let (mut olds, mut news) = (raw_entries(old), raw_entries(new));
    let (mut a, mut b) = (olds.next().transpose()?, news.next().transpose()?);
    while a.is_some() || b.is_some() {
        let order = match (&a, &b) {
            (Some(x), Some(y)) if x.bytes == y.bytes => {
                a = olds.next().transpose()?;
                b = news.next().transpose()?;
                continue;
            }
            (Some(x), Some(y)) => git_order(x.name, x.folder, y.name, y.folder),
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        let (x, y) = match order {
            Ordering::Less => (a.take(), None),
            Ordering::Greater => (None, b.take()),
            Ordering::Equal => (a.take(), b.take()),
        };
        if a.is_none() && x.is_some() {
            a = olds.next().transpose()?;
        }
        if b.is_none() && y.is_some() {
            b = news.next().transpose()?;
        }
        let (x, y) = (x.filter(|e| e.folder), y.filter(|e| e.folder));
        if x.map(|e| e.id) == y.map(|e| e.id) {
            continue;
        }
        let Some(name) = x.or(y).and_then(|e| std::str::from_utf8(e.name).ok()) else {
            continue;
        };
        if top && name.starts_with('.') {
            continue;
        }
        let read = |e: Option<RawEntry<'_>>| -> Result<Option<git2::OdbObject<'_>>, GitError> {
            Ok(e.map(|e| odb.read(Oid::from_bytes(e.id)?)).transpose()?)
        };
        let (old_sub, new_sub) = (read(x)?, read(y)?);
        let year = |t: &Option<git2::OdbObject<'_>>| -> Result<bool, GitError> {
            if !top || !is_year(name) {
                return Ok(false);
            }
            let Some(t) = t else { return Ok(false) };
            let mut has_request = false;
            for e in raw_entries(Some(t.data())) {
                has_request |= e?.name == b"request.toml";
            }
            Ok(is_year_folder(name, has_request))
        };
        let (old_year, new_year) = (year(&old_sub)?, year(&new_sub)?);
        let dir = format!("{base}/{name}");
        if old_year || new_year {
            diff_level(
                odb,
                old_sub
                    .as_ref()
                    .filter(|_| old_year)
                    .map(git2::OdbObject::data),
                new_sub
                    .as_ref()
                    .filter(|_| new_year)
                    .map(git2::OdbObject::data),
                &dir,
                false,
                out,
            )?;
        }
        let (old_port, new_port) = (x.filter(|_| !old_year), y.filter(|_| !new_year));
        if old_port.is_some() || new_port.is_some() {
            out.push(Change {
                id: name.to_owned(),
                dir,
                tree: new_port.map(|e| Oid::from_bytes(e.id)).transpose()?,
            });
        }
    }
    Ok(())
}

/// Saves the history cache of a line: its steps, and the stages of the port folders and
/// trees the line still has (see [`Cache::save`]).
fn save_cache(cache: &Cache, steps: &[Step], states: &FxHashMap<String, Vec<State>>) {
    let live: FxHashSet<(&str, Oid)> = states
        .values()
        .flatten()
        .filter_map(|s| s.place.as_ref().map(|(d, t)| (d.as_str(), *t)))
        .collect();
    cache.save(steps, |k| live.contains(&(k.dir.as_str(), k.tree)));
}

/// Starts reading the timeline cache on a thread of its own, for a run that will read
/// timelines once it has checked the desk.
pub fn read_timelines_ahead(git: &Git) {
    Store::<PortTimeline>::read_ahead(git.repo.commondir(), "timelines.bin", TIMELINES_FORMAT);
}

/// The timeline of every port, in the order `status` lists them.
pub fn timelines<'g>(
    git: &'g Git,
    scan: Option<Scan<'g>>,
    tree: &WorkTree,
    checked: &Checked,
    today: Date,
) -> Result<Vec<Arc<PortTimeline>>, GitError> {
    timelines_of(git, scan, tree, checked, today, |_| true)
}

/// The timelines of the ports `keep` selects, in the order `status` lists them; the other
/// ports' histories are not read. A port with a verdict (its files are HEAD's) finds its
/// timeline in `.git/portflow/timelines.bin` under its verdict's key and the
/// last commit that changed it, porting.toml or the schemas ([`Scan::anchor`]): together
/// they fix everything the timeline says. `scan` is HEAD's first-parent line when the
/// check already read it ([`crate::git::past::GitPast::into_scan`]).
pub fn timelines_of<'g>(
    git: &'g Git,
    scan: Option<Scan<'g>>,
    tree: &WorkTree,
    checked: &Checked,
    today: Date,
    keep: impl Fn(&PortReport) -> bool,
) -> Result<Vec<Arc<PortTimeline>>, GitError> {
    timelines_in_batches(git, scan, tree, checked, today, keep, PORTS_PER_BATCH)
}

/// [`timelines_of`], reading at most `batch` ports from git at once.
fn timelines_in_batches<'g>(
    git: &'g Git,
    scan: Option<Scan<'g>>,
    tree: &WorkTree,
    checked: &Checked,
    today: Date,
    keep: impl Fn(&PortReport) -> bool,
    batch: usize,
) -> Result<Vec<Arc<PortTimeline>>, GitError> {
    let mut scan = match scan {
        Some(scan) => scan,
        None => Scan::new(git)?,
    };
    let mut store: Store<PortTimeline> =
        Store::load(git.repo.commondir(), "timelines.bin", TIMELINES_FORMAT);
    let reports: Vec<&PortReport> = checked.reports.iter().filter(|r| keep(r)).collect();
    let parts: Vec<Option<(&String, Oid)>> = reports
        .iter()
        .map(|r| Some((checked.verdict_keys.get(&r.dir)?, scan.anchor(&r.id)?)))
        .collect();
    // Each key hashes its parts: computed in parallel.
    let keys: Vec<Option<String>> = parts
        .par_iter()
        .map(|parts| parts.map(|(verdict, anchor)| key_of(&[verdict, &anchor.to_string()])))
        .collect();
    // Shared with the cache, not copied: each timeline is held once.
    let mut lines: Vec<Option<Arc<PortTimeline>>> = keys
        .iter()
        .map(|k| k.as_ref().and_then(|k| store.get(k)))
        .collect();
    let missing: Vec<usize> = (0..reports.len()).filter(|&i| lines[i].is_none()).collect();
    // Folded while the check held the ports' files, for the stage it gave them.
    let mut folded = std::mem::take(&mut scan.folded);
    let unfolded: Vec<usize> = missing
        .iter()
        .copied()
        .filter(|&i| match folded.remove(&reports[i].dir) {
            Some((stage, line)) if stage == reports[i].stage => {
                lines[i] = Some(line);
                false
            }
            _ => true,
        })
        .collect();
    drop(folded);
    let ids: Vec<&str> = unfolded.iter().map(|&i| reports[i].id.as_str()).collect();
    scan.judge(&ids);
    let policy = checked.repo.policy.as_ref().map(|p| &p.value);
    // The ports the check read: their files as they are on disk.
    let read = checked.repo.ports_by_dir();
    let mut unread = Vec::new();
    for &i in &unfolded {
        let r = reports[i];
        match read.get(r.dir.as_str()) {
            Some(port) => {
                lines[i] = Some(Arc::new(scan.timeline(tree, port, policy, r.stage, today)?));
            }
            None => unread.push(i),
        }
    }
    // The ports judged from their verdicts: their files are HEAD's, read from git, a
    // bounded batch at a time (a desk's every port read at once would hold them all).
    if let Some(head) = scan.len().checked_sub(1) {
        let (policy_blob, schemas) = {
            let step = scan.step(head);
            (step.policy, step.schemas)
        };
        for batch in unread.chunks(batch) {
            let places: Vec<(String, Oid)> = batch
                .iter()
                .filter_map(|&i| scan.place_at(&reports[i].id, head))
                .collect();
            let places: Vec<(&str, Oid)> = places.iter().map(|(d, t)| (d.as_str(), *t)).collect();
            let at_head = GitTree::of_ports(git, policy_blob, schemas, &places)?;
            let repo = Repo::load(&at_head)?;
            let loaded = repo.ports_by_dir();
            for &i in batch {
                let r = reports[i];
                let port = loaded
                    .get(r.dir.as_str())
                    .ok_or_else(|| GitError::UnknownPort(r.id.clone()))?;
                lines[i] = Some(Arc::new(
                    scan.timeline(&at_head, port, policy, r.stage, today)?,
                ));
            }
        }
    }
    for &i in &missing {
        if let (Some(key), Some(line)) = (&keys[i], &lines[i]) {
            store.insert_shared(key.clone(), Arc::clone(line));
        }
    }
    scan.save_later();
    crate::store::write_later(move || store.save());
    Ok(lines.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use git2::{Repository, Signature, Time};

    use super::*;
    use crate::git::testing::copy_bundled_desk;

    /// A repository of `n` commits on one line, each adding or changing a port (some moved
    /// into a year folder, some removed), with porting.toml changed now and then.
    fn long_line(n: usize) -> (tempfile::TempDir, Vec<Oid>) {
        let temp = tempfile::tempdir().expect("tempdir");
        let repo = Repository::init(temp.path()).expect("init");
        let mut index = repo.index().expect("index");
        let mut parent: Option<Oid> = None;
        let mut line = Vec::new();
        for i in 0..n {
            let add = |index: &mut git2::Index, path: &str, text: String| {
                let blob = repo.blob(text.as_bytes()).expect("blob");
                let entry = git2::IndexEntry {
                    ctime: git2::IndexTime::new(0, 0),
                    mtime: git2::IndexTime::new(0, 0),
                    dev: 0,
                    ino: 0,
                    mode: 0o100644,
                    uid: 0,
                    gid: 0,
                    file_size: 0,
                    id: blob,
                    flags: 0,
                    flags_extended: 0,
                    path: path.as_bytes().to_vec(),
                };
                index.add(&entry).expect("add");
            };
            add(
                &mut index,
                &format!("ports/p-{}/request.toml", i % 40),
                format!("n = {i}\n"),
            );
            if i % 97 == 0 {
                add(&mut index, "porting.toml", format!("version = {i}\n"));
            }
            if i % 53 == 0 {
                let from = format!("ports/p-{}/request.toml", (i + 7) % 40);
                let _ = index.remove_path(Path::new(&from));
                add(
                    &mut index,
                    &format!("ports/2026/p-{}/request.toml", (i + 7) % 40),
                    format!("y = {i}\n"),
                );
            }
            let tree = repo
                .find_tree(index.write_tree().expect("tree"))
                .expect("tree");
            let who = Signature::new(
                "Ana",
                "ana@example.com",
                &Time::new(1_800_000_000 + i as i64, 0),
            )
            .expect("signature");
            let parents: Vec<git2::Commit<'_>> = parent
                .iter()
                .map(|p| repo.find_commit(*p).expect("parent"))
                .collect();
            let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
            let id = repo
                .commit(None, &who, &who, "change", &tree, &parents)
                .expect("commit");
            parent = Some(id);
            line.push(id);
        }
        (temp, line)
    }

    fn shape(step: &Step) -> (Oid, Option<Oid>, Option<Oid>, Vec<Change>) {
        (step.id, step.parent, step.ports, step.changes.clone())
    }

    // Guards comparing `ports/` trees as stored: each commit's changes are the port
    // folders git's own diff of the commit names, with their new trees, moves into and out
    // of year folders and removals included.
    #[test]
    fn the_changes_of_each_commit_are_those_gits_diff_names() {
        let (temp, line) = long_line(300);
        let git = Git::open(temp.path()).expect("open");
        let odb = git.repo.odb().expect("odb");
        let (mut held, mut before) = (None, None);
        let mut moved = 0;
        for id in &line {
            let step = step_of(&git, &odb, *id, &mut held, before).expect("step");
            before = step.ports;
            let commit = git.repo.find_commit(*id).expect("commit");
            let tree = commit.tree().expect("tree");
            let parent = commit.parent(0).ok().map(|p| p.tree().expect("tree"));
            let diff = git
                .repo
                .diff_tree_to_tree(parent.as_ref(), Some(&tree), None)
                .expect("diff");
            let mut expected: Vec<(String, Option<Oid>)> = diff
                .deltas()
                .flat_map(|d| [d.old_file().path(), d.new_file().path()])
                .flatten()
                .filter_map(|path| {
                    let dir = path.parent()?.to_str()?.to_owned();
                    dir.starts_with("ports/").then_some(dir)
                })
                .collect::<BTreeSet<String>>()
                .into_iter()
                .map(|dir| {
                    let now = tree.get_path(Path::new(&dir)).ok().map(|e| e.id());
                    (dir, now)
                })
                .collect();
            let mut found: Vec<(String, Option<Oid>)> = step
                .changes
                .iter()
                .map(|c| (c.dir.clone(), c.tree))
                .collect();
            expected.sort();
            found.sort();
            assert_eq!(found, expected, "commit {id}");
            moved += step.changes.iter().filter(|c| c.tree.is_none()).count();
        }
        assert!(moved > 0, "the line moves ports away");
    }

    // Guards reading only where two trees differ: for trees that differ anywhere (at the
    // start, the end, in one entry or many, in length or not), the next tree's entry starts
    // are those a full read finds, and the parts compared give the changes the whole trees
    // give.
    #[test]
    fn the_differing_part_of_two_trees_gives_what_the_whole_trees_give() {
        let temp = tempfile::tempdir().expect("tempdir");
        let repo = Repository::init(temp.path()).expect("init");
        let git = Git::open(temp.path()).expect("open");
        let odb = git.repo.odb().expect("odb");
        let blob = repo.blob(b"x = 1\n").expect("blob");
        // Folders of one file, one per content: names alike at the start or the end.
        let folders: Vec<Oid> = (0..4)
            .map(|i| {
                let content = repo.blob(format!("n = {i}\n").as_bytes()).expect("blob");
                let mut b = repo.treebuilder(None).expect("builder");
                b.insert("request.toml", content, 0o100644).expect("insert");
                b.write().expect("tree")
            })
            .collect();
        let names = [
            "a", "ab", "abc", "b", "b-1", "b-10", "b-2", "bb", "port-1", "port-11", "port-111",
            "z", "zz",
        ];
        let mut rng = fastrand::Rng::with_seed(7);
        let tree_of = |rng: &mut fastrand::Rng| {
            let mut b = repo.treebuilder(None).expect("builder");
            for name in names {
                match rng.u8(0..6) {
                    0 => {}
                    1 => b.insert(name, blob, 0o100644).map(|_| ()).expect("file"),
                    n => b
                        .insert(name, folders[usize::from(n - 2)], 0o040000)
                        .map(|_| ())
                        .expect("folder"),
                }
            }
            b.write().expect("tree")
        };
        let mut compared = 0;
        for _ in 0..400 {
            let (a, mut b) = (tree_of(&mut rng), tree_of(&mut rng));
            // Mostly one change, as along a desk's line.
            if rng.bool() {
                let mut edit = repo
                    .treebuilder(Some(&repo.find_tree(a).expect("a")))
                    .expect("builder");
                let name = names[rng.usize(..names.len())];
                if edit.get(name).expect("get").is_some() && rng.bool() {
                    edit.remove(name).expect("remove");
                } else {
                    edit.insert(name, folders[rng.usize(..4)], 0o040000)
                        .expect("insert");
                }
                b = edit.write().expect("tree");
            }
            let whole = |old: Oid, new: Oid| {
                let (old, new) = (odb.read(old).expect("old"), odb.read(new).expect("new"));
                let mut out = Vec::new();
                diff_level(
                    &odb,
                    Some(old.data()),
                    Some(new.data()),
                    PORTS_DIR,
                    true,
                    &mut out,
                )
                .expect("diff");
                out.into_iter().map(|c| (c.dir, c.tree)).collect::<Vec<_>>()
            };
            let held = HeldTree::read(&odb, a).expect("held");
            let (next, old_part, new_part) =
                held.followed_by(odb.read(b).expect("b")).expect("followed");
            assert_eq!(next.starts, HeldTree::read(&odb, b).expect("b").starts);
            let mut parts = Vec::new();
            diff_level(
                &odb,
                Some(&old_part),
                Some(&new_part),
                PORTS_DIR,
                true,
                &mut parts,
            )
            .expect("diff");
            let parts: Vec<_> = parts.into_iter().map(|c| (c.dir, c.tree)).collect();
            assert_eq!(parts, whole(a, b), "{a} then {b}");
            compared += usize::from(!parts.is_empty());
        }
        assert!(compared > 300, "{compared} pairs with changes");
    }

    // Guards reading the line on all cores: the steps of any set of missing positions are
    // the ones a read of the whole line in order gives.
    #[test]
    fn steps_read_in_shares_are_the_steps_read_in_order() {
        let (temp, line) = long_line(700);
        let git = Git::open(temp.path()).expect("open");
        let odb = git.repo.odb().expect("odb");
        let mut held = None;
        let mut before = None;
        let mut in_order = Vec::new();
        for id in &line {
            let step = step_of(&git, &odb, *id, &mut held, before).expect("step");
            before = step.ports;
            in_order.push(step);
        }
        let all: Vec<usize> = (0..line.len()).collect();
        let none: Vec<Option<Step>> = vec![None; line.len()];
        let mut shared = steps_at(&git, &line, &none, &all).expect("shares");
        shared.sort_by_key(|(at, _)| *at);
        assert_eq!(shared.len(), line.len());
        for (at, step) in &shared {
            assert_eq!(shape(step), shape(&in_order[*at]), "position {at}");
        }

        // Some already known: the runs between them start from the known parent's tree.
        let known: Vec<Option<Step>> = in_order
            .iter()
            .enumerate()
            .map(|(i, s)| ((100..200).contains(&i) || (450..460).contains(&i)).then(|| s.clone()))
            .collect();
        let missing: Vec<usize> = (0..line.len()).filter(|&i| known[i].is_none()).collect();
        let shared = steps_at(&git, &line, &known, &missing).expect("shares");
        assert_eq!(shared.len(), missing.len());
        for (at, step) in &shared {
            assert_eq!(shape(step), shape(&in_order[*at]), "position {at}");
        }
        assert!(
            in_order
                .iter()
                .any(|s| s.changes.iter().any(|c| c.tree.is_none()))
        );
        assert!(
            in_order
                .iter()
                .any(|s| s.changes.iter().any(|c| c.dir.starts_with("ports/2026/")))
        );
    }

    // Guards reading HEAD's ports for their timelines a batch at a time: the timelines are
    // the ones read all at once, in the same order.
    #[test]
    fn timelines_read_in_batches_are_the_timelines_read_at_once() {
        let temp = tempfile::tempdir().expect("tempdir");
        let root = temp.path();
        copy_bundled_desk(root);
        let repo = Repository::init(root).expect("init");
        crate::git::testing::commit(&repo, 1_764_000_000);

        let work = WorkTree {
            root: root.to_owned(),
        };
        let today = Date::new(2026, 11, 25).expect("date");
        let check = || {
            crate::git::past::check_work_tree_reusing(
                &work,
                &crate::engine::Scope::all(),
                today,
                &|_| false,
                false,
            )
            .expect("check")
        };
        check();
        crate::store::wait_for_writes();
        // The second run judges the ports from their verdicts: their files come from git.
        let checked = check();
        assert!(checked.cached.len() >= 3, "{}", checked.cached.len());
        let git = Git::open(root).expect("open");
        let cache = repo.path().join("portflow").join("timelines.bin");
        let json = |batch: usize| {
            crate::store::wait_for_writes();
            let _ = std::fs::remove_file(&cache);
            let lines = timelines_in_batches(&git, None, &work, &checked, today, |_| true, batch)
                .expect("timelines");
            assert_eq!(lines.len(), checked.reports.len());
            let lines: Vec<&PortTimeline> = lines.iter().map(|line| &**line).collect();
            serde_json::to_string(&lines).expect("json")
        };
        assert_eq!(json(1), json(1000));
    }

    // Guards folding the timelines of a cold check's batches while it holds their files:
    // they are the timelines read after a check that held every port, and no port is read
    // again for them.
    #[test]
    fn timelines_folded_in_a_checks_batches_are_those_read_after_it() {
        use crate::git::past::{Batches, GitPast, check_work_tree_with_history};
        let temp = tempfile::tempdir().expect("tempdir");
        let root = temp.path();
        copy_bundled_desk(root);
        let repo = Repository::init(root).expect("init");
        // porting.toml and the schemas first, then a commit per port.
        let held = tempfile::tempdir().expect("tempdir");
        std::fs::rename(root.join(PORTS_DIR), held.path().join(PORTS_DIR)).expect("hold");
        crate::git::testing::commit(&repo, 1_764_000_000);
        let mut names: Vec<_> = std::fs::read_dir(held.path().join(PORTS_DIR))
            .expect("ports")
            .map(|e| e.expect("entry").file_name())
            .collect();
        names.sort();
        std::fs::create_dir(root.join(PORTS_DIR)).expect("ports/");
        for (i, name) in names.iter().enumerate() {
            let from = held.path().join(PORTS_DIR).join(name);
            std::fs::rename(from, root.join(PORTS_DIR).join(name)).expect("port");
            crate::git::testing::commit(&repo, 1_764_000_000 + 3600 * (i as i64 + 1));
        }

        let work = WorkTree {
            root: root.to_owned(),
        };
        let today = Date::new(2026, 11, 25).expect("date");
        let git = Git::open(root).expect("open");
        let cold = |batches: Batches| {
            crate::store::wait_for_writes();
            let _ = std::fs::remove_dir_all(repo.path().join("portflow"));
            crate::engine::BATCH_FOR_TESTS.set(Some(2));
            let (checked, past) = check_work_tree_with_history(
                Some(&git),
                &work,
                &Scope::all(),
                today,
                &|_| false,
                batches,
            )
            .expect("check");
            crate::engine::BATCH_FOR_TESTS.set(None);
            let scan = past.and_then(GitPast::into_scan).expect("a history");
            let folded = scan.folded.len();
            let lines = timelines(&git, Some(scan), &work, &checked, today).expect("timelines");
            assert_eq!(lines.len(), checked.reports.len());
            let lines: Vec<&PortTimeline> = lines.iter().map(|line| &**line).collect();
            (serde_json::to_string(&lines).expect("json"), folded)
        };
        let (once, folded) = cold(Batches::Off);
        assert_eq!(folded, 0, "a check without batches folds nothing ahead");
        assert!(once.contains("\"landed\":{"), "{once}");
        let (batched, folded) = cold(Batches::FoldingTimelines);
        assert_eq!(batched, once);
        assert!(folded >= 8, "{folded} timelines folded in the batches");
    }
}
