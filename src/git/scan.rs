//! The first-parent scan: when each event landed, who recorded it, and each port's stages
//! and SLA clock over time.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::rc::Rc;

use git2::{ObjectType, Oid, Sort};

use super::pull::COMPARE_MAX_BYTES;
use super::tree::GitTree;
use super::{Git, GitError};
use crate::engine::{Checked, Scope, check_tree};
use crate::loa::digest::LoaData;
use crate::model::Date;
use crate::model::policy::Channel;
use crate::model::timeline::{
    CommitInfo, EventLine, Period, PortTimeline, SlaKind, end_of, sla_clock,
};
use crate::repo::{POLICY_FILE, PORTS_DIR, Repo, Tree, WorkTree, is_year_folder};
use crate::rules::events::resolve_voids;
use crate::rules::{NoHistory, PortReport};
use crate::stage::Stage;

type PortsMap = Rc<BTreeMap<String, (String, Oid)>>;

/// Walks HEAD's first-parent line, caching what it reads.
pub struct Scan<'g> {
    git: &'g Git,
    /// HEAD's first-parent line, newest first.
    line: Vec<Oid>,
    roots: HashMap<Oid, (Option<Oid>, Option<Oid>)>,
    ports: HashMap<Oid, PortsMap>,
    events: HashMap<Oid, Rc<Vec<(String, Oid)>>>,
    infos: HashMap<Oid, CommitInfo>,
}

impl<'g> Scan<'g> {
    /// Reads HEAD's first-parent line; `history::shallow` when it is cut off.
    pub fn new(git: &'g Git) -> Result<Scan<'g>, GitError> {
        git.require_history()?;
        let mut line = Vec::new();
        let mut commit = git.head()?;
        loop {
            line.push(commit.id());
            if commit.parent_count() == 0 {
                break;
            }
            commit = commit.parent(0)?;
        }
        Ok(Scan {
            git,
            line,
            roots: HashMap::new(),
            ports: HashMap::new(),
            events: HashMap::new(),
            infos: HashMap::new(),
        })
    }

    pub(crate) fn info(&mut self, id: Oid) -> Result<CommitInfo, GitError> {
        if let Some(info) = self.infos.get(&id) {
            return Ok(info.clone());
        }
        let info = self.git.commit_info(id)?;
        self.infos.insert(id, info.clone());
        Ok(info)
    }

    /// Port id -> (folder, tree id) at a commit.
    /// The ids of a commit's `ports/` tree and porting.toml, read once per commit.
    fn roots_of(&mut self, commit: Oid) -> Result<(Option<Oid>, Option<Oid>), GitError> {
        if let Some(roots) = self.roots.get(&commit) {
            return Ok(*roots);
        }
        let tree = self.git.repo.find_commit(commit)?.tree()?;
        let id = |rel: &str| {
            tree.get_path(Path::new(&format!("{}{rel}", self.git.prefix)))
                .ok()
                .map(|e| e.id())
        };
        let roots = (id(PORTS_DIR), id(POLICY_FILE));
        self.roots.insert(commit, roots);
        Ok(roots)
    }

    fn ports_at(&mut self, commit: Oid) -> Result<PortsMap, GitError> {
        let Some(ports_tree) = self.roots_of(commit)?.0 else {
            return Ok(Rc::default());
        };
        if let Some(map) = self.ports.get(&ports_tree) {
            return Ok(map.clone());
        }
        let repo = &self.git.repo;
        let mut map = BTreeMap::new();
        if let Ok(ports) = repo.find_tree(ports_tree) {
            for e in ports.iter() {
                let (Some(name), Some(ObjectType::Tree)) = (e.name().ok(), e.kind()) else {
                    continue;
                };
                if name.starts_with('.') {
                    continue;
                }
                let sub = repo.find_tree(e.id())?;
                if is_year_folder(name, sub.get_name("request.toml").is_some()) {
                    for p in sub.iter() {
                        if let (Some(id), Some(ObjectType::Tree)) = (p.name().ok(), p.kind()) {
                            map.entry(id.to_owned())
                                .or_insert((format!("{PORTS_DIR}/{name}/{id}"), p.id()));
                        }
                    }
                } else {
                    map.entry(name.to_owned())
                        .or_insert((format!("{PORTS_DIR}/{name}"), e.id()));
                }
            }
        }
        let map = Rc::new(map);
        self.ports.insert(ports_tree, map.clone());
        Ok(map)
    }

    /// The event files (name, blob) of a port folder's tree.
    fn events_of(&mut self, port_tree: Oid) -> Result<Rc<Vec<(String, Oid)>>, GitError> {
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

    /// Whether the port has the event at a commit: a file of the same name, or one with
    /// the same bytes under a name the port no longer uses (`current` are the names it
    /// uses now), so a sanctioned renumbering keeps its landing while two identical
    /// events keep their own.
    fn has_event(
        &mut self,
        commit: Oid,
        id: &str,
        (name, blob): (&str, Oid),
        current: &BTreeSet<String>,
    ) -> Result<bool, GitError> {
        let ports = self.ports_at(commit)?;
        let Some((_, tree)) = ports.get(id) else {
            return Ok(false);
        };
        let events = self.events_of(*tree)?;
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
        let mut active: Vec<usize> = (0..events.len()).collect();
        let line = self.line.clone();
        for commit in line {
            if active.is_empty() {
                break;
            }
            let mut still = Vec::new();
            for i in active {
                let (name, blob) = &events[i];
                if self.has_event(commit, id, (name, *blob), current)? {
                    landed[i] = Some(commit);
                    still.push(i);
                }
            }
            active = still;
        }
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
        let mut walk = self.git.repo.revwalk()?;
        walk.push(landing)?;
        walk.hide(commit.parent_id(0)?)?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
        for oid in walk {
            let oid = oid?;
            if oid != landing && self.has_event(oid, id, event, current)? {
                return Ok(oid);
            }
        }
        Ok(landing)
    }

    /// The stage of one port at every first-parent commit that changed it (or the policy),
    /// as periods, oldest first. A commit where the port is `invalid` keeps the stage before.
    fn periods(&mut self, id: &str, today: Date) -> Result<Vec<Period>, GitError> {
        let now = end_of(today);
        let mut marks: Vec<(Stage, Oid)> = Vec::new();
        let mut last_key: Option<(Oid, Option<Oid>)> = None;
        let line: Vec<Oid> = self.line.iter().rev().copied().collect();
        for commit in line {
            let ports = self.ports_at(commit)?;
            let Some((dir, tree)) = ports.get(id).cloned() else {
                last_key = None;
                continue;
            };
            let policy = self.roots_of(commit)?.1;
            let key = (tree, policy);
            if last_key == Some(key) {
                continue;
            }
            last_key = Some(key);
            let root = self.git.repo.find_commit(commit)?.tree()?;
            let Some(stage) = self.stage_at(&root, &dir, today) else {
                continue;
            };
            if stage != Stage::Invalid && marks.last().is_none_or(|(s, _)| *s != stage) {
                marks.push((stage, commit));
            }
        }
        let mut periods = Vec::new();
        for (i, (stage, commit)) in marks.iter().enumerate() {
            let from = self.info(*commit)?;
            let to = match marks.get(i + 1) {
                Some((_, next)) => Some(self.info(*next)?),
                None => None,
            };
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

    /// The stage a port folder had in a commit's tree (`None` when it cannot be read).
    fn stage_at(&self, root: &git2::Tree<'_>, dir: &str, today: Date) -> Option<Stage> {
        let tree = GitTree::build(self.git, root, Some(dir)).ok()?;
        if !tree.has(POLICY_FILE) {
            return None;
        }
        let checked = check_tree(&tree, &Scope::all(), today, &NoHistory).ok()?;
        checked
            .reports
            .iter()
            .find(|r| r.dir == dir)
            .map(|r| r.stage)
    }

    /// The timeline of a port as it is on disk (`repo` is the checked working tree).
    pub fn timeline(
        &mut self,
        tree: &dyn Tree,
        repo: &Repo,
        report: &PortReport,
        today: Date,
    ) -> Result<PortTimeline, GitError> {
        let port = repo
            .ports
            .iter()
            .find(|p| p.dir == report.dir)
            .ok_or_else(|| GitError::UnknownPort(report.id.clone()))?;
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
        let uncommitted_stage = report.stage != Stage::Invalid
            && periods.last().is_some_and(|p| p.stage != report.stage);
        let channel = repo.policy.as_ref().and_then(|p| {
            let country = &port.request.as_ref()?.value.country;
            Some((p.value.country(country)?.channel, p.value.sla))
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
            stage: report.stage,
            events,
            periods,
            uncommitted_stage,
            sla,
        })
    }

    /// The port's request and the policy as they were at a commit.
    pub(crate) fn request_at(
        &mut self,
        commit: Oid,
        id: &str,
    ) -> Result<Option<(LoaData, String)>, GitError> {
        let ports = self.ports_at(commit)?;
        let Some((dir, _)) = ports.get(id).cloned() else {
            return Ok(None);
        };
        let root = self.git.repo.find_commit(commit)?.tree()?;
        let tree = GitTree::build(self.git, &root, Some(&dir))?;
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
            .map(|r| (LoaData::new(&policy.value, id, &r.value), dir)))
    }
}

/// The timeline of every port, in the order `status` lists them.
pub fn timelines(
    git: &Git,
    tree: &WorkTree,
    checked: &Checked,
    today: Date,
) -> Result<Vec<PortTimeline>, GitError> {
    let mut scan = Scan::new(git)?;
    checked
        .reports
        .iter()
        .map(|r| scan.timeline(tree, &checked.repo, r, today))
        .collect()
}
