//! Checking a tree of files: load the repo, run every rule, narrow the findings to a scope
//! and mask secrets. Knows nothing of git or of the command line: a [`Tree`] may be the
//! working tree, a commit or the staged index.

pub mod find;
pub mod narrow;
pub mod verdicts;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use aho_corasick::AhoCorasick;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::diag::{self, Finding};
use crate::model::Date;
use serde::{Deserialize, Serialize};

use crate::repo::{Listed, Port, Repo, RepoError, Tree, is_port_id};
use crate::rules::events::EventFacts;
use crate::rules::numbers::{self, Holder};
use crate::rules::{self, Past, PortReport};
use crate::source::{Stars, mask_spans};
use crate::stage::Stage;
use verdicts::{Verdict, Verdicts};

/// Repo-relative paths a run is narrowed to; empty means the whole repo.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope(Vec<String>);

impl Scope {
    /// The whole repo.
    pub fn all() -> Scope {
        Scope::default()
    }

    /// The files and folders under these repo-relative paths (`""` is the whole repo).
    pub fn of(paths: Vec<String>) -> Scope {
        Scope(paths)
    }

    /// Whether a repo-relative file (or folder) falls under the scope.
    pub fn contains(&self, file: &str) -> bool {
        self.0.is_empty()
            || self
                .0
                .iter()
                .any(|s| s.is_empty() || file == s || file.starts_with(&format!("{s}/")))
    }

    /// Whether the scope covers any part of the port in `dir` (a path inside it counts).
    pub fn touches_port(&self, dir: &str) -> bool {
        self.contains(dir) || self.0.iter().any(|s| s.starts_with(&format!("{dir}/")))
    }
}

/// What the board, the analytics and the site show of a port beside its stage: read from
/// its request and live events, or kept with its verdict when the port was not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct About {
    /// Our customer account.
    pub account: String,
    /// The request's country.
    pub country: String,
    /// The losing carrier, as printed on the bill.
    pub losing_carrier: Option<String>,
    /// How many numbers the request lists.
    pub numbers: usize,
    /// What its live events say.
    pub events: EventFacts,
}

impl About {
    /// What a loaded port's request and events say; `None` when its request did not load.
    pub fn of(port: &Port) -> Option<About> {
        let request = &port.request.as_ref()?.value;
        Some(About {
            account: request.account.clone(),
            country: request.country.clone(),
            losing_carrier: request.losing_carrier.clone(),
            numbers: request.numbers.len(),
            events: EventFacts::of(port),
        })
    }
}

/// Everything a check found, ready to report.
pub struct Checked {
    /// The loaded repo (without the ports whose verdict came from the cache).
    pub repo: Repo,
    /// Findings, sorted, narrowed to the scope.
    pub findings: Vec<Finding>,
    /// Number of ports in scope.
    pub ports: usize,
    /// Stage and digest of every port, in path order.
    pub reports: Vec<PortReport>,
    /// The ports not read, by folder: their verdicts, from the cache.
    pub cached: BTreeMap<String, Arc<Verdict>>,
    /// The verdict key of each port judged from the cache or kept in it by this run, by
    /// folder: it stands for all the port was judged on (its files are HEAD's).
    pub verdict_keys: BTreeMap<String, String>,
    /// The numbers of every open port read (the cached ones' are in their verdicts), in
    /// port order: what the rule across ports was judged on, with the cached ones'.
    pub holders: Vec<Holder>,
}

/// The numbers of the open ports read (`read`) and of the cached ones, by folder in path
/// order: what the rule across ports is judged on.
pub(crate) fn open_in_path_order<'a>(
    read: &'a [Holder],
    cached: &'a BTreeMap<String, Arc<Verdict>>,
) -> Vec<(&'a str, &'a Holder)> {
    let mut holders: Vec<(&str, &Holder)> = read
        .iter()
        .map(|h| (h.path.strip_suffix("/request.toml").unwrap_or(&h.path), h))
        .chain(
            cached
                .iter()
                .filter_map(|(dir, v)| v.holder.as_ref().map(|h| (dir.as_str(), h))),
        )
        .collect();
    holders.sort_by(|a, b| a.0.cmp(b.0));
    holders
}

impl Checked {
    /// The stage of the port in `dir` (`invalid` when there is none).
    pub fn stage_of(&self, dir: &str) -> Stage {
        rules::stage_of(&self.reports, dir)
    }

    /// What each port is about, by folder: from its request and events when it was read,
    /// from its verdict when it was not. A port whose request did not load has none.
    pub fn abouts(&self) -> FxHashMap<&str, Cow<'_, About>> {
        let read = self
            .repo
            .ports
            .iter()
            .filter_map(|p| Some((p.dir.as_str(), Cow::Owned(About::of(p)?))));
        let cached = self
            .cached
            .iter()
            .map(|(dir, v)| (dir.as_str(), Cow::Borrowed(&v.about)));
        read.chain(cached).collect()
    }

    /// The findings on the port folder `dir` and its files.
    pub fn in_port<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        // The findings are sorted by file, a path's folders first: a port's are together.
        let dir = Path::new(dir);
        let start = self.findings.partition_point(|f| f.file.as_path() < dir);
        self.findings[start..]
            .iter()
            .take_while(move |f| f.file.starts_with(dir))
    }

    /// How many TOML files under `scope` were checked (read now, or judged before).
    pub fn files_in(&self, scope: &Scope) -> usize {
        let read = self
            .repo
            .sources
            .keys()
            .filter(|k| scope.contains(k))
            .count();
        let cached: usize = self
            .cached
            .iter()
            .map(|(dir, verdict)| {
                verdict
                    .files
                    .iter()
                    .filter(|f| scope.contains(&format!("{dir}/{f}")))
                    .count()
            })
            .sum();
        read + cached
    }
}

/// What a check may take from the verdict cache, and adds to it.
pub struct Reuse<'a> {
    /// Port folders whose files are known to be those of a commit, with that commit's tree
    /// id of the folder: only these may be judged from the cache.
    pub content: &'a HashMap<String, String>,
    /// The cache.
    pub verdicts: &'a mut Verdicts,
    /// Port folders to read whatever the cache has (the ports a command works on).
    pub read: &'a dyn Fn(&str) -> bool,
    /// Whether the ports the cache lacks may be judged in batches ([`PORTS_PER_BATCH`]),
    /// which the checked repo then lacks too: a command that goes on to read every port's
    /// files does that reading in `each_batch`.
    pub batches: bool,
    /// Called with each batch once it is judged, while its files are held: the repo read
    /// and its ports' reports (`status` and `report` fold their timelines then).
    pub each_batch: Option<&'a mut EachBatch<'a>>,
}

/// What [`Reuse::each_batch`] calls.
pub type EachBatch<'a> = dyn FnMut(&Repo, &[PortReport]) + 'a;

/// How many ports the cache lacks that a check reads at once, when it lacks more: a cold
/// run at desk scale holds one batch of parsed files, not every port's.
const PORTS_PER_BATCH: usize = 1000;

#[cfg(test)]
thread_local! {
    /// A smaller batch for the tests of this thread.
    pub(crate) static BATCH_FOR_TESTS: std::cell::Cell<Option<usize>> =
        const { std::cell::Cell::new(None) };
}

fn ports_per_batch() -> usize {
    #[cfg(test)]
    if let Some(batch) = BATCH_FOR_TESTS.get() {
        return batch;
    }
    PORTS_PER_BATCH
}

/// Loads the repo in `tree` and runs every rule, judging recorded events by the data of
/// their time (`past`); findings are narrowed to `scope`.
pub fn check_tree(
    tree: &dyn Tree,
    scope: &Scope,
    today: Date,
    past: &dyn Past,
) -> Result<Checked, RepoError> {
    check_tree_with(tree, scope, today, past, None)
}

/// [`check_tree`], taking the verdicts of unchanged ports from the cache (`reuse`) instead
/// of reading them, and keeping the verdicts of ports read without findings.
pub fn check_tree_with(
    tree: &dyn Tree,
    scope: &Scope,
    today: Date,
    past: &dyn Past,
    mut reuse: Option<Reuse<'_>>,
) -> Result<Checked, RepoError> {
    // Ports that must be read: they share a number with another open port, so the rule
    // across ports has a finding on their request.
    let mut read_anyway: BTreeSet<String> = BTreeSet::new();
    // Ports judged in an earlier batch of this run.
    let mut batched: BTreeSet<String> = BTreeSet::new();
    loop {
        let mut keys: BTreeMap<String, String> = BTreeMap::new();
        let mut cached: BTreeMap<String, Arc<Verdict>> = BTreeMap::new();
        let mut batch: Option<Vec<String>> = None;
        let mut repo = Repo::load_with(tree, &mut |listed| {
            let unread = match reuse.as_mut() {
                Some(reuse) => {
                    let LookedUp {
                        keys: found,
                        hits,
                        misses,
                    } = look_up(listed, today, past, reuse, &read_anyway);
                    let missing: Vec<&String> = misses
                        .iter()
                        .filter(|dir| !batched.contains(*dir))
                        .collect();
                    let unread = if reuse.batches && missing.len() > ports_per_batch() {
                        let chosen: BTreeSet<&str> = missing[..ports_per_batch()]
                            .iter()
                            .map(|dir| dir.as_str())
                            .collect();
                        let unread = listed
                            .ports
                            .iter()
                            .map(|(dir, _)| dir)
                            .filter(|dir| !chosen.contains(dir.as_str()))
                            .cloned()
                            .collect();
                        batch = Some(chosen.into_iter().map(str::to_owned).collect());
                        unread
                    } else {
                        hits.keys().cloned().collect()
                    };
                    keys = found;
                    cached = hits;
                    unread
                }
                None => BTreeSet::new(),
            };
            // The rules read numbers: a pool thread loads the numbering plan while the
            // ports to judge are read.
            if unread.len() < listed.ports.len() {
                rayon::spawn(crate::numbering::prepare);
            }
            unread
        })?;
        let mut findings = std::mem::take(&mut repo.findings);
        let judged = rules::check(&repo, today, past);
        // A value the schema already refused is not reported again by a rule.
        let refused: BTreeSet<(std::path::PathBuf, usize, usize)> = findings
            .iter()
            .filter(|f| f.code == diag::Code::SchemaViolation)
            .map(|f| (f.file.clone(), f.span.start, f.span.end))
            .collect();
        findings.extend(
            judged
                .findings
                .into_iter()
                .filter(|f| !refused.contains(&(f.file.clone(), f.span.start, f.span.end))),
        );
        // A batch of the ports the cache lacks: their verdicts are kept, and the files read
        // for them let go before the next batch (a port with findings is read again at the
        // end, with the ports that cannot be kept).
        if let (Some(chosen), Some(reuse)) = (batch, reuse.as_mut()) {
            keep(
                &repo,
                &findings,
                &judged.reports,
                &judged.holders,
                keys,
                reuse,
            );
            if let Some(each) = reuse.each_batch.as_mut() {
                each(&repo, &judged.reports);
            }
            batched.extend(chosen);
            continue;
        }
        // The rule across ports, over the numbers of every open port in path order.
        let holders = open_in_path_order(&judged.holders, &cached);
        let open: Vec<Holder> = holders.iter().map(|(_, h)| (*h).clone()).collect();
        let unread_sharing: Vec<String> = numbers::sharing(&open)
            .into_iter()
            .map(|i| holders[i].0.to_owned())
            .filter(|dir| cached.contains_key(dir))
            .collect();
        if !unread_sharing.is_empty() {
            read_anyway.extend(unread_sharing);
            continue;
        }
        let mut across = Vec::new();
        numbers::check_across(&open, &mut across);
        let mut verdict_keys: BTreeMap<String, String> = cached
            .keys()
            .filter_map(|dir| Some((dir.clone(), keys.get(dir)?.clone())))
            .collect();
        if let Some(reuse) = reuse.as_mut() {
            verdict_keys.extend(keep(
                &repo,
                &findings,
                &judged.reports,
                &judged.holders,
                keys,
                reuse,
            ));
        }
        findings.extend(across);
        findings.retain(|f| scope.contains(&f.file.to_string_lossy()));
        redact(&mut findings, &repo);
        diag::sort(&mut findings);
        let ports = repo
            .ports
            .iter()
            .map(|p| p.dir.as_str())
            .chain(cached.keys().map(String::as_str))
            .filter(|dir| scope.touches_port(dir))
            .count();
        let mut reports = judged.reports;
        reports.extend(cached.values().map(|v| v.report.clone()));
        reports.sort_by(|a, b| a.dir.cmp(&b.dir));
        return Ok(Checked {
            repo,
            findings,
            ports,
            reports,
            cached,
            verdict_keys,
            holders: judged.holders,
        });
    }
}

/// A port's id: the name of its folder.
fn id_of(dir: &str) -> &str {
    dir.rsplit('/').next().unwrap_or_default()
}

/// What the verdict cache holds of a check's ports, by folder.
struct LookedUp {
    /// The keys of the ports that may come from the cache.
    keys: BTreeMap<String, String>,
    /// The verdicts found.
    hits: BTreeMap<String, Arc<Verdict>>,
    /// The folders with a key but no verdict, in folder order.
    misses: Vec<String>,
}

/// The cache keys of the ports that may come from the cache, the verdicts found, and the
/// folders with a key but no verdict.
/// A port is read whatever when its content is not known, when its id is not unique or not
/// valid (the findings about it name other ports), or when it is in `read_anyway`.
fn look_up(
    listed: &Listed<'_>,
    today: Date,
    past: &dyn Past,
    reuse: &mut Reuse<'_>,
    read_anyway: &BTreeSet<String>,
) -> LookedUp {
    let context = verdicts::context_key(listed.policy, listed.schemas, today);
    let mut seen: FxHashMap<&str, usize> = FxHashMap::default();
    for (dir, _) in listed.ports {
        *seen.entry(id_of(dir)).or_default() += 1;
    }
    let candidates: Vec<(&str, &str, &str)> = listed
        .ports
        .iter()
        .filter(|(dir, _)| !read_anyway.contains(dir) && !(reuse.read)(dir))
        .filter_map(|(dir, _)| {
            let id = id_of(dir);
            let content = reuse.content.get(dir)?;
            (seen.get(id) == Some(&1) && is_port_id(id)).then_some((
                dir.as_str(),
                content.as_str(),
                id,
            ))
        })
        .collect();
    let ids: Vec<&str> = candidates.iter().map(|(_, _, id)| *id).collect();
    let history = if ids.is_empty() {
        Vec::new()
    } else {
        past.port_keys(&ids)
    };
    // Each key hashes the port's content and history: computed in parallel.
    let found: Vec<(&str, String)> = candidates
        .par_iter()
        .zip(history)
        .filter_map(|((dir, content, _), history)| {
            Some((*dir, verdicts::port_key(&context, dir, content, &history?)))
        })
        .collect();
    // In folder order, as the ports are listed: the maps are built from sorted lists whole.
    let (mut keys, mut hits, mut misses) =
        (Vec::with_capacity(found.len()), Vec::new(), Vec::new());
    for (dir, key) in found {
        match reuse.verdicts.get(&key) {
            Some(verdict) => hits.push((dir.to_owned(), verdict)),
            None => misses.push(dir.to_owned()),
        }
        keys.push((dir.to_owned(), key));
    }
    LookedUp {
        keys: keys.into_iter().collect(),
        hits: hits.into_iter().collect(),
        misses,
    }
}

/// Adds to the cache the verdict of every port read that has a key and no finding but the
/// rule across ports (which is judged on every run); returns their keys by folder.
fn keep(
    repo: &Repo,
    findings: &[Finding],
    reports: &[PortReport],
    holders: &[Holder],
    mut keys: BTreeMap<String, String>,
    reuse: &mut Reuse<'_>,
) -> BTreeMap<String, String> {
    let with_findings: HashSet<&str> = findings
        .iter()
        .filter_map(|f| repo.port_for_file(&f.file.to_string_lossy()))
        .map(|port| port.dir.as_str())
        .collect();
    let holder_of: HashMap<&str, &Holder> = holders.iter().map(|h| (h.path.as_str(), h)).collect();
    let report_of: HashMap<&str, &PortReport> =
        reports.iter().map(|r| (r.dir.as_str(), r)).collect();
    let mut kept = BTreeMap::new();
    for port in &repo.ports {
        if with_findings.contains(port.dir.as_str()) || repo.unread.contains(&port.dir) {
            continue;
        }
        let (Some(key), Some(about), Some(report)) = (
            keys.remove(&port.dir),
            About::of(port),
            report_of.get(port.dir.as_str()),
        ) else {
            continue;
        };
        let prefix = format!("{}/", port.dir);
        let files = std::iter::once(port.request_path())
            .chain(port.events.iter().map(|e| e.path.clone()))
            .filter(|path| repo.sources.contains_key(path))
            .filter_map(|path| path.strip_prefix(&prefix).map(str::to_owned))
            .collect();
        kept.insert(port.dir.clone(), key.clone());
        reuse.verdicts.insert(
            key,
            Verdict {
                report: (*report).clone(),
                holder: holder_of
                    .get(port.request_path().as_str())
                    .map(|h| (*h).clone()),
                about,
                files,
            },
        );
    }
    kept
}

/// Defence in depth: no message, label or help may quote a secret value of any file.
fn redact(findings: &mut [Finding], repo: &Repo) {
    if findings.is_empty() {
        return;
    }
    let mut secrets: Vec<&str> = repo
        .sources
        .values()
        .flat_map(|file| {
            file.secret_spans
                .iter()
                .filter_map(|s| file.text.get(s.clone()))
        })
        .flat_map(|value| value.split(['\n', '\r']))
        .map(str::trim)
        .filter(|v| v.len() >= 2)
        .collect();
    secrets.sort_unstable();
    secrets.dedup();
    if secrets.is_empty() {
        return;
    }
    let secrets = Secrets::new(secrets);
    for f in findings {
        secrets.mask(&mut f.message);
        secrets.mask(&mut f.label);
        secrets.mask(&mut f.help);
        for related in &mut f.related {
            secrets.mask(&mut related.label);
        }
    }
}

/// Secret values to find in a text: all at once in one pass, or (should the automaton be
/// too large to build) one after the other.
enum Secrets<'a> {
    Automaton(AhoCorasick),
    Each(Vec<&'a str>),
}

impl<'a> Secrets<'a> {
    fn new(secrets: Vec<&'a str>) -> Secrets<'a> {
        match AhoCorasick::new(&secrets) {
            Ok(automaton) => Secrets::Automaton(automaton),
            Err(_) => Secrets::Each(secrets),
        }
    }

    /// Replaces every character of every occurrence of a secret by `*` (occurrences may
    /// overlap: every character any of them covers is masked).
    fn mask(&self, text: &mut String) {
        let covered: Vec<Range<usize>> = match self {
            Secrets::Automaton(automaton) => automaton
                .find_overlapping_iter(text.as_str())
                .map(|m| m.range())
                .collect(),
            Secrets::Each(secrets) => secrets
                .iter()
                .flat_map(|secret| {
                    text.match_indices(secret)
                        .map(|(at, found)| at..at + found.len())
                })
                .collect(),
        };
        if !covered.is_empty() {
            *text = mask_spans(text, &covered, Stars::PerChar);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_holds_its_files_and_touches_the_port_around_them() {
        let scope = Scope::of(vec!["ports/acme".to_owned()]);
        assert!(scope.contains("ports/acme/request.toml"));
        assert!(!scope.contains("ports/acme-2/request.toml"));
        let inner = Scope::of(vec!["ports/acme/events".to_owned()]);
        assert!(inner.touches_port("ports/acme"));
        assert!(!inner.touches_port("ports/other"));
        assert!(Scope::all().contains("porting.toml"));
    }

    // Guards taking a port's findings from the sorted list: they are those a filter over
    // every finding keeps, for folders whose names sort between a port and its files.
    #[test]
    fn a_ports_findings_are_those_under_its_folder() {
        let files = [
            "porting.toml",
            "ports/a",
            "ports/a-b/request.toml",
            "ports/a/events/001-signed.toml",
            "ports/a/request.toml",
            "ports/a.b/request.toml",
            "ports/ab/request.toml",
            "ports/2026/a/request.toml",
        ];
        let mut findings: Vec<Finding> = files
            .iter()
            .flat_map(|file| {
                [3..4, 0..1]
                    .map(|span| Finding::new(diag::Code::SecretPlaintext, *file, span, "finding"))
            })
            .collect();
        diag::sort(&mut findings);
        let checked = Checked {
            repo: Repo::default(),
            findings,
            ports: 0,
            reports: Vec::new(),
            cached: BTreeMap::new(),
            verdict_keys: BTreeMap::new(),
            holders: Vec::new(),
        };
        for dir in [
            "ports/a",
            "ports/a-b",
            "ports/a.b",
            "ports/ab",
            "ports/2026/a",
            "ports/b",
        ] {
            let prefix = format!("{dir}/");
            let filtered: Vec<&Finding> = checked
                .findings
                .iter()
                .filter(|f| {
                    let file = f.file.to_string_lossy();
                    file == dir || file.starts_with(&prefix)
                })
                .collect();
            let taken: Vec<&Finding> = checked.in_port(dir).collect();
            assert_eq!(taken.len(), filtered.len(), "{dir}");
            assert!(
                taken
                    .iter()
                    .zip(&filtered)
                    .all(|(a, b)| std::ptr::eq(*a, *b)),
                "{dir}"
            );
        }
        assert_eq!(checked.in_port("ports/a").count(), 6);
    }

    fn repo_with(files: &[(&str, &str)]) -> Repo {
        let mut repo = Repo::default();
        for (path, text) in files {
            let (file, _) = crate::source::SourceFile::from_bytes(*path, text.as_bytes(), &["pin"]);
            repo.sources
                .insert((*path).to_owned(), std::sync::Arc::new(file));
        }
        repo
    }

    fn finding(message: &str) -> Finding {
        Finding::new(diag::Code::SecretPlaintext, "a.toml", 0..0, message)
            .label(message)
            .help(message)
            .related("b.toml", 0..0, message)
    }

    // Guards masking every secret of every file in one pass: each occurrence, overlapping
    // or not, becomes one `*` per character, and the rest of the text stays.
    #[test]
    fn redact_masks_every_occurrence_of_every_secret() {
        let repo = repo_with(&[
            ("a.toml", "pin = \"4821\"\n"),
            ("b.toml", "pin = \"\"\"\nabcd\nbcdé\n\"\"\"\n"),
        ]);
        let mut findings = vec![
            finding("pins `4821` and `4821`, then abcdé and 48214821"),
            finding("no secret here: 482 and abc"),
        ];
        redact(&mut findings, &repo);
        let masked = "pins `****` and `****`, then ***** and ********";
        for text in [
            &findings[0].message,
            &findings[0].label,
            &findings[0].help,
            &findings[0].related[0].label,
        ] {
            assert_eq!(text, masked);
        }
        assert_eq!(findings[1].message, "no secret here: 482 and abc");

        // Without the automaton, one secret after the other masks the same.
        let mut text = "pins `4821` and `4821`, then abcdé and 48214821".to_owned();
        Secrets::Each(vec!["4821", "abcd", "bcdé"]).mask(&mut text);
        assert_eq!(text, masked);
    }
}
