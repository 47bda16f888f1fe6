//! `portflow status`: one row per port with its stage, FOC and next action; with git, time
//! in stage, the SLA clock and who recorded the latest event. Filters narrow the rows.

use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use super::RunError;
use crate::cli::{StageArg, StatusArgs, StatusFormat};
use crate::engine::{Checked, Scope};
use crate::git::past::{Batches, GitPast, check_work_tree_with_history};
use crate::git::scan::{Scan, timelines_of};
use crate::git::{Git, GitError};
use crate::model::Date;
use crate::model::eta::{Learned, Sample};
use crate::model::timeline::PortTimeline;
use crate::repo::{Repo, RepoError, WorkTree};
use crate::report::status::{Row, agency_of};
use crate::report::{self, Counts};
use crate::stage::Stage;
use crate::{Environment, Exit, Output};

/// Runs `portflow status`.
pub fn run(args: &StatusArgs, env: &Environment) -> Result<Output, RunError> {
    let tree = WorkTree::discover(&env.cwd)?;
    let git = Git::open(&tree.root);
    let (checked, scan) = check_desk(&tree, &git, env.today)?;
    if checked.repo.policy.is_none() {
        return Err(RunError::PolicyInvalid);
    }
    let mut board = board(&tree, &git, scan, &checked, env.today, |row| {
        keeps(args, row)
    });
    let stdout = match args.format {
        StatusFormat::Table => report::status::table(&board.rows),
        StatusFormat::Json => report::status::json(&board.rows, env.today),
    };
    let stderr = std::mem::take(&mut board.note);
    crate::store::free_later((board, checked));
    Ok(Output {
        stdout,
        stderr,
        exit: Exit::Clean,
    })
}

/// Every port checked for the board: the ports whose files are HEAD's are judged from the
/// verdict cache (and their timelines come from the timeline cache), so a rerun reads what
/// changed; the ports the cache lacks are judged in batches, their timelines folded as
/// each batch is read. With the scan of the history the check read, which the timelines
/// read next.
pub(crate) fn check_desk<'g>(
    tree: &WorkTree,
    git: &'g Result<Git, GitError>,
    today: Date,
) -> Result<(Checked, Option<Scan<'g>>), RepoError> {
    let (checked, past) = check_work_tree_with_history(
        git.as_ref().ok(),
        tree,
        &Scope::all(),
        today,
        &|_| false,
        Batches::FoldingTimelines,
    )?;
    Ok((checked, past.and_then(GitPast::into_scan)))
}

/// The desk's board: a row for each port `keep` lists, with its times and estimate from git.
pub(crate) struct Board {
    /// The listed ports, in folder order.
    pub rows: Vec<Row>,
    /// The timelines read: the listed ports' and every completed port's (estimates learn
    /// from them); none without git.
    pub lines: Vec<Arc<PortTimeline>>,
    /// A note for standard error when git could not give times.
    pub note: String,
}

/// The rows of the ports that `keep` lists; only their histories are read, and the
/// completed ports' that estimates learn from.
pub(crate) fn board<'g>(
    tree: &WorkTree,
    git: &'g Result<Git, GitError>,
    scan: Option<Scan<'g>>,
    checked: &Checked,
    today: Date,
    keep: impl Fn(&Row) -> bool + Sync,
) -> Board {
    let abouts = checked.abouts();
    let mut rows: Vec<Row> = checked
        .reports
        .par_iter()
        .map(|r| {
            let known = abouts.get(r.dir.as_str());
            let about = match known {
                Some(a) => About {
                    account: Some(a.account.clone()),
                    country: Some(a.country.clone()),
                    losing_carrier: a.losing_carrier.clone(),
                    numbers: a.numbers,
                },
                None => lenient(&checked.repo, &r.dir),
            };
            let counts = Counts::of(checked.in_port(&r.dir));
            let foc = known.and_then(|a| a.events.foc);
            Row {
                port: r.id.clone(),
                dir: r.dir.clone(),
                agency: about
                    .account
                    .as_deref()
                    .and_then(agency_of)
                    .map(str::to_owned),
                account: about.account,
                country: about.country,
                losing_carrier: about.losing_carrier,
                numbers: about.numbers,
                stage: r.stage,
                foc: None,
                days_to_foc: None,
                next_action: r
                    .fold
                    .as_ref()
                    .map_or_else(|| r.stage.next_action().to_owned(), |f| f.next_action()),
                errors: counts.errors,
                warnings: counts.warnings,
                times: None,
                eta: None,
            }
            .with_foc(foc, today)
        })
        .filter(|row| keep(row))
        .collect();
    let listed: FxHashSet<&str> = rows.iter().map(|r| r.dir.as_str()).collect();
    let (lines, note) = timelines(tree, git, scan, checked, today, &listed);
    // Times and estimates borrow the timelines, which the board then keeps.
    {
        let samples: Vec<Sample<'_>> = lines
            .iter()
            .map(|line| {
                let about = abouts.get(line.dir.as_str());
                Sample {
                    timeline: line,
                    country: about.map(|a| a.country.as_str()),
                    losing_carrier: about.and_then(|a| a.losing_carrier.as_deref()),
                }
            })
            .collect();
        let learned = Learned::from(&samples);
        let by_dir: FxHashMap<&str, &Sample<'_>> = samples
            .iter()
            .filter(|s| listed.contains(s.timeline.dir.as_str()))
            .map(|s| (s.timeline.dir.as_str(), s))
            .collect();
        rows.par_iter_mut().for_each(|row| {
            if let Some(sample) = by_dir.get(row.dir.as_str()) {
                row.times = Some(report::status::Times::of(sample.timeline));
                row.eta = learned
                    .eta(sample, today)
                    .map(|e| report::status::EtaOut::of(&e));
            }
        });
    }
    Board { rows, lines, note }
}

/// Whether a row passes the filters of the command line: each filter given must match, by
/// any of its values. An account filter matches the account path or its agency.
fn keeps(args: &StatusArgs, row: &Row) -> bool {
    let account = |wanted: &String| {
        row.account.as_deref() == Some(wanted.as_str())
            || row.agency.as_deref() == Some(wanted.as_str())
    };
    let country = |wanted: &String| row.country.as_deref() == Some(wanted.as_str());
    (args.stage.is_empty() || args.stage.iter().any(|s| stage(*s) == row.stage))
        && (args.account.is_empty() || args.account.iter().any(account))
        && (args.country.is_empty() || args.country.iter().any(country))
}

/// The stage a `--stage` value names.
fn stage(arg: StageArg) -> Stage {
    match arg {
        StageArg::Invalid => Stage::Invalid,
        StageArg::Draft => Stage::Draft,
        StageArg::AwaitingSignature => Stage::AwaitingSignature,
        StageArg::AwaitingDocuments => Stage::AwaitingDocuments,
        StageArg::Ready => Stage::Ready,
        StageArg::Submitted => Stage::Submitted,
        StageArg::Rejected => Stage::Rejected,
        StageArg::Scheduled => Stage::Scheduled,
        StageArg::Completed => Stage::Completed,
        StageArg::Cancelled => Stage::Cancelled,
    }
}

/// What a port is about, from its request.
struct About {
    account: Option<String>,
    country: Option<String>,
    losing_carrier: Option<String>,
    numbers: usize,
}

/// Account, country, losing carrier and number count of a request that failed its schema,
/// read as plain TOML when it parses, so `status` still says what the invalid port is about.
fn lenient(repo: &Repo, dir: &str) -> About {
    let table = repo
        .sources
        .get(&format!("{dir}/request.toml"))
        .and_then(|file| toml::from_str::<toml::Table>(&file.text).ok());
    let text = |key: &str| {
        table
            .as_ref()
            .and_then(|t| t.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    About {
        account: text("account"),
        country: text("country"),
        losing_carrier: text("losing_carrier"),
        numbers: table
            .as_ref()
            .and_then(|t| t.get("numbers"))
            .and_then(|n| n.as_array())
            .map_or(0, Vec::len),
    }
}

/// The timelines of the folders `listed` and of the completed ports, and a note for
/// standard error. Without git there are none and no note; with a shallow clone or a git
/// failure the note says why.
fn timelines<'g>(
    tree: &WorkTree,
    git: &'g Result<Git, GitError>,
    scan: Option<Scan<'g>>,
    checked: &Checked,
    today: Date,
    listed: &FxHashSet<&str>,
) -> (Vec<Arc<PortTimeline>>, String) {
    let none = |err: &GitError| match err {
        GitError::NotGit(_) | GitError::NoCommits => (Vec::new(), String::new()),
        err => (
            Vec::new(),
            format!("note: no times in stage, SLA clocks or estimates: {err}\n"),
        ),
    };
    let git = match git {
        Ok(git) => git,
        Err(err) => return none(err),
    };
    let read = timelines_of(git, scan, tree, checked, today, |r| {
        listed.contains(r.dir.as_str()) || r.stage == Stage::Completed
    });
    match read {
        Ok(lines) => (lines, String::new()),
        Err(err) => none(&err),
    }
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum;

    use super::*;

    #[test]
    fn every_stage_has_its_own_name_on_the_command_line() {
        let args = StageArg::value_variants();
        let named: Vec<(String, Stage)> = args
            .iter()
            .map(|a| {
                let name = a.to_possible_value().map(|v| v.get_name().to_owned());
                (name.unwrap_or_default(), stage(*a))
            })
            .collect();
        let all: Vec<(String, Stage)> = Stage::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), *s))
            .collect();
        assert_eq!(named, all);
    }
}
