//! The desk-scale benchmark: a synthetic ports repo with real git history, and portflow's
//! commands timed on it beside the tools people compare it with.
//!
//! ```text
//! cargo bench --bench desk                               # 500 ports
//! cargo bench --bench desk -- --ports 10000              # the reference size
//! cargo bench --bench desk -- --ports 10000 --generate /tmp/desk   # only write the repo
//! ```
//!
//! Every command runs as a child process under a memory cap and a timeout; the figures are
//! the median wall time of `--runs` runs and the highest peak RSS. docs/performance.md says
//! what is measured and why, and lists the targets printed at the end.

mod generate;
mod git;
mod measure;
mod targets;
mod words;

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use clap::Parser;
use portflow::model::Date;

use generate::{Desk, MAIN, PR_BRANCH};
use measure::{Launcher, Limits, Outcome, Sample};
use targets::{Bound, Figure, Goal, Unit};

/// Row names the targets refer to.
const BASELINE: &str = "baseline: `true`";
const CJS: &str = "check-jsonschema (schema only)";
const TAPLO: &str = "taplo check (schema only)";
const FLOOR: &str = "bare read+parse (toml crate)";
const GIT_LOG: &str = "git log --name-status -- ports";

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Generate a synthetic ports repo and time portflow on it.
#[derive(Debug, Parser)]
#[command(name = "desk")]
struct Args {
    /// Ports in the generated repo (the reference size is 10000).
    #[arg(long, default_value_t = 500)]
    ports: usize,
    /// The same as `--ports`, so that `cargo bench -- 2000` sizes every benchmark.
    #[arg(hide = true, value_name = "PORTS")]
    ports_positional: Option<usize>,
    /// Runs of each measurement; the median time is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Seed of the generator: the same seed gives the same repo.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The desk's today: the last day of its history, passed to every portflow run.
    #[arg(long, default_value = "2027-03-31")]
    today: Date,
    /// Only write the repo into DIR (new or empty) and stop, e.g. for profiling.
    #[arg(long, visible_alias = "keep", value_name = "DIR")]
    generate: Option<PathBuf>,
    /// Kill a measured command after this many seconds ("timed out").
    #[arg(long, default_value_t = 120, value_name = "SECONDS")]
    timeout: u64,
    /// Cap each measured command's heap at this many GiB ("killed (memory)").
    #[arg(long, default_value_t = 4, value_name = "GIB")]
    memory_cap: u64,
    /// The portflow binary to measure [default: the release build of this checkout].
    #[arg(long, value_name = "PATH")]
    portflow: Option<PathBuf>,
    /// LOAs to render in the render measurement.
    #[arg(long, default_value_t = 1000)]
    render: usize,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
    /// Internal: the bare read+parse floor, run as a child of this program.
    #[arg(long, hide = true, value_name = "DIR")]
    floor: Option<PathBuf>,
    /// Internal: start the measured commands (see `measure::Launcher`).
    #[arg(long, hide = true)]
    launcher: bool,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let result = match &args.floor {
        _ if args.launcher => measure::serve().map_err(Into::into),
        Some(dir) => floor(dir),
        None => bench(&args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("desk: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Generates the repo, and unless `--generate` was given, measures everything.
fn bench(args: &Args) -> Result<()> {
    // Started first, while this process is small (see `measure::Launcher`).
    let launcher = match args.generate {
        Some(_) => None,
        None => Some(Launcher::start(&std::env::current_exe()?, &["--launcher"])?),
    };
    let started = Instant::now();
    let ports = args.ports_positional.unwrap_or(args.ports);
    let mut desk = Desk::plan(ports, args.seed, args.today)?;
    let planned = started.elapsed();
    let temp;
    let repo = match &args.generate {
        Some(dir) => dir.clone(),
        None => {
            temp = tempfile::Builder::new()
                .prefix("portflow-desk-")
                .tempdir()?;
            temp.path().join("repo")
        }
    };
    desk.write(&repo)?;
    let s = &desk.summary;
    eprintln!(
        "generated {} ports, {} commits, {} events, {} numbers in {:.1} s ({:.1} s planning): {}",
        s.ports,
        s.commits,
        s.events,
        s.numbers,
        started.elapsed().as_secs_f64(),
        planned.as_secs_f64(),
        repo.display()
    );
    if args.generate.is_some() {
        println!("repo            {}", repo.display());
        println!("ports           {}", s.ports);
        println!("commits         {} on `{MAIN}`", s.commits);
        println!("events          {}", s.events);
        println!("numbers         {}", s.numbers);
        let stages: Vec<String> = s.stages.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!("stages          {}", stages.join(", "));
        println!("history port    {}", s.history_port);
        println!(
            "pull request    branch `{PR_BRANCH}` touches {} (check it out, then `portflow check --base {MAIN}`)",
            s.pr_ports.join(", ")
        );
        println!(
            "today           {} (pass `--today {}`)",
            args.today, args.today
        );
        return Ok(());
    }
    let scratch = repo.with_file_name("scratch");
    std::fs::create_dir_all(&scratch)?;
    let mut bench = Bench {
        args,
        launcher: launcher.ok_or("no launcher")?,
        repo: &repo,
        scratch: &scratch,
        portflow: portflow_binary(args)?,
        limits: Limits {
            memory: args.memory_cap << 30,
            timeout: Duration::from_secs(args.timeout),
        },
        rows: Vec::new(),
    };
    bench.measure_all(&mut desk)?;
    print!("{}", bench.report(&desk));
    Ok(())
}

/// The portflow binary: `--portflow`, else the one cargo built with this bench.
fn portflow_binary(args: &Args) -> Result<PathBuf> {
    let path = args
        .portflow
        .clone()
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_portflow")));
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("no portflow binary at {}", path.display()).into())
    }
}

/// One line of the figures table.
struct Row {
    name: String,
    /// Finished runs (or the one that did not finish, which ends the series).
    samples: Vec<Sample>,
    /// Why it was not measured, when it was not.
    skipped: Option<String>,
    /// Whether the result shows the command's last line (a summary such as "no findings
    /// in 500 ports").
    note: bool,
}

impl Row {
    /// The first run that did not finish, if any.
    fn failure(&self) -> Option<Outcome> {
        self.samples
            .iter()
            .map(|s| s.outcome)
            .find(|o| !o.finished())
    }

    /// Median wall time of the runs, when every run finished.
    fn median(&self) -> Option<Duration> {
        if self.samples.is_empty() || self.failure().is_some() {
            return None;
        }
        Some(median(self.samples.iter().map(|s| s.wall).collect()))
    }

    /// Median CPU time (user + system) of the runs, when every run finished.
    fn cpu(&self) -> Option<Duration> {
        self.median()?;
        Some(median(self.samples.iter().map(|s| s.cpu).collect()))
    }

    /// Highest peak RSS of the runs, in MB (10^6 bytes, as the targets are written).
    fn peak_mb(&self) -> Option<f64> {
        self.samples
            .iter()
            .map(|s| s.peak_kib)
            .max()
            .map(|kib| kib as f64 * 1024.0 / 1e6)
    }

    /// The median wall time, or at least the time of a stopped run, or `-`.
    fn wall_text(&self) -> String {
        match (self.median(), self.samples.last()) {
            (Some(median), _) => seconds(median),
            (None, Some(last)) if !last.outcome.finished() => format!("≥ {}", seconds(last.wall)),
            _ => "-".to_owned(),
        }
    }

    /// The peak memory, a lower bound (`≥`) when a run was stopped, or `-`.
    fn peak_text(&self) -> String {
        let at_least = if self.failure().is_some() { "≥ " } else { "" };
        self.peak_mb()
            .map_or("-".to_owned(), |mb| format!("{at_least}{mb:.0} MB"))
    }

    fn result(&self) -> String {
        if let Some(why) = &self.skipped {
            return format!("skipped: {why}");
        }
        let Some(last) = self.samples.last() else {
            return "not run".to_owned();
        };
        match last.outcome {
            Outcome::TimedOut => "timed out".to_owned(),
            Outcome::OutOfMemory => "killed (memory)".to_owned(),
            Outcome::Signalled(s) => format!("killed by signal {s}"),
            Outcome::Exited(code) => {
                let line = last.last_line.replace('|', "/");
                if line.is_empty() || !self.note {
                    format!("exit {code}")
                } else {
                    format!("exit {code}: {line}")
                }
            }
        }
    }
}

/// The measurements of one benchmark run.
struct Bench<'a> {
    args: &'a Args,
    launcher: Launcher,
    repo: &'a Path,
    scratch: &'a Path,
    portflow: PathBuf,
    limits: Limits,
    rows: Vec<Row>,
}

impl Bench<'_> {
    /// `portflow --today … --color never ARGS` in the repo, with no colour and a fixed width.
    fn portflow(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.portflow);
        cmd.current_dir(self.repo)
            .env("NO_COLOR", "1")
            .env("COLUMNS", "100")
            .args(["--today", &self.args.today.to_string(), "--color", "never"])
            .args(args);
        cmd
    }

    /// Runs `commands` (one after the other, as one measurement) `--runs` times; `before`
    /// runs before each run, untimed. A run that does not finish ends the series.
    fn measure(
        &mut self,
        name: &str,
        note: bool,
        commands: &dyn Fn(&Bench<'_>) -> Vec<Command>,
        before: &mut dyn FnMut(&Bench<'_>) -> Result<()>,
    ) -> Result<()> {
        let label: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let mut samples = Vec::new();
        for run in 0..self.args.runs.max(1) {
            before(self)?;
            let mut total = Sample {
                wall: Duration::ZERO,
                cpu: Duration::ZERO,
                peak_kib: 0,
                outcome: Outcome::Exited(0),
                last_line: String::new(),
            };
            for (i, cmd) in commands(self).into_iter().enumerate() {
                let s = self.launcher.run(
                    &cmd,
                    self.limits,
                    self.scratch,
                    &format!("{label}-{run}-{i}"),
                )?;
                total.wall += s.wall;
                total.cpu += s.cpu;
                total.peak_kib = total.peak_kib.max(s.peak_kib);
                if total.outcome == Outcome::Exited(0) {
                    total.outcome = s.outcome;
                }
                total.last_line = s.last_line;
                if !s.outcome.finished() {
                    break;
                }
            }
            let finished = total.outcome.finished();
            samples.push(total);
            if !finished {
                break;
            }
        }
        let row = Row {
            name: name.to_owned(),
            samples,
            skipped: None,
            note,
        };
        eprintln!(
            "  {:<34} {:>9} {:>9} {:>9}  {}",
            row.name,
            row.wall_text(),
            row.cpu().map_or("-".to_owned(), seconds),
            row.peak_text(),
            row.result()
        );
        self.rows.push(row);
        Ok(())
    }

    fn skip(&mut self, name: &str, why: &str) {
        eprintln!("  {name:<34} skipped: {why}");
        self.rows.push(Row {
            name: name.to_owned(),
            samples: Vec::new(),
            skipped: Some(why.to_owned()),
            note: false,
        });
    }

    fn row(&self, name: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.name == name)
    }

    fn measure_all(&mut self, desk: &mut Desk) -> Result<()> {
        let s = desk.summary.clone();
        let mut nothing = |_: &Bench<'_>| Ok(());
        eprintln!(
            "measuring ({} runs each, timeout {} s, memory cap {} GiB):",
            self.args.runs, self.args.timeout, self.args.memory_cap
        );

        // What any child's peak reads at least: the pages it shares with this process.
        self.measure(
            BASELINE,
            false,
            &|_| vec![Command::new("true")],
            &mut nothing,
        )?;
        // Cold: no cache in .git/portflow/, as in a fresh clone. Then warm: the caches the
        // cold run left (as CI restores them), nothing changed since.
        self.measure(
            "portflow check cold",
            true,
            &|b| vec![b.portflow(&["check"])],
            &mut |b| drop_cache(b.repo),
        )?;
        self.measure(
            "portflow check",
            true,
            &|b| vec![b.portflow(&["check"])],
            &mut nothing,
        )?;
        git::run(git::git(self.repo).args(["checkout", "-q", PR_BRANCH]))?;
        let base = format!("check --base (PR, {} ports)", s.pr_ports.len());
        self.measure(
            &base,
            true,
            &|b| vec![b.portflow(&["check", "--base", MAIN])],
            &mut nothing,
        )?;
        git::run(git::git(self.repo).args(["checkout", "-q", MAIN]))?;
        self.measure(
            FLOOR,
            true,
            &|b| {
                let mut cmd = Command::new(std::env::current_exe().unwrap_or_default());
                cmd.arg("--floor").arg(b.repo);
                vec![cmd]
            },
            &mut nothing,
        )?;
        let (requests, events) = toml_files(self.repo)?;
        let schema = |name: &str| self.repo.join(format!("schemas/{name}.schema.json"));
        if tool_exists("check-jsonschema") {
            let groups = [
                (schema("request"), requests.clone()),
                (schema("event"), events.clone()),
                (schema("porting"), vec!["porting.toml".to_owned()]),
            ];
            self.measure(
                CJS,
                true,
                &|b| {
                    let mut out = Vec::new();
                    for (schema, files) in &groups {
                        for chunk in chunks(files) {
                            let mut cmd = Command::new("check-jsonschema");
                            cmd.current_dir(b.repo)
                                .arg("--schemafile")
                                .arg(schema)
                                .args(chunk);
                            out.push(cmd);
                        }
                    }
                    out
                },
                &mut nothing,
            )?;
        } else {
            self.skip(CJS, "not installed (`pip install check-jsonschema`)");
        }
        if tool_exists("taplo") {
            let groups = [
                (schema("request"), requests.clone()),
                (schema("event"), events.clone()),
                (schema("porting"), vec!["porting.toml".to_owned()]),
            ];
            self.measure(
                TAPLO,
                false,
                &|b| {
                    let mut out = Vec::new();
                    for (schema, files) in &groups {
                        for chunk in chunks(files) {
                            let mut cmd = Command::new("taplo");
                            cmd.current_dir(b.repo)
                                .env("RUST_LOG", "warn")
                                .args([
                                    "check",
                                    "--no-auto-config",
                                    "--colors",
                                    "never",
                                    "--schema",
                                ])
                                .arg(format!("file://{}", schema.display()))
                                .args(chunk);
                            out.push(cmd);
                        }
                    }
                    out
                },
                &mut nothing,
            )?;
        } else {
            self.skip(TAPLO, "not installed (`pip install taplo`)");
        }
        self.measure(
            GIT_LOG,
            false,
            &|b| {
                let mut cmd = git::git(b.repo);
                cmd.args(["log", "--name-status", "--", "ports"]);
                vec![cmd]
            },
            &mut nothing,
        )?;

        let ids: Vec<String> = s.port_ids.iter().take(self.args.render).cloned().collect();
        let render = format!("render {} LOAs", ids.len());
        self.measure(
            &render,
            true,
            &|b| {
                let out = b.scratch.join("render");
                let mut cmd = b.portflow(&["render", "--out"]);
                cmd.arg(&out).args(&ids);
                vec![cmd]
            },
            &mut |b| {
                let out = b.scratch.join("render");
                if out.exists() {
                    std::fs::remove_dir_all(&out)?;
                }
                Ok(())
            },
        )?;

        // Cold: no cache in .git/portflow/. Warm: the cache a previous run left, and one
        // new commit since.
        let history = s.history_port.clone();
        let commands: [(&str, Vec<String>); 3] = [
            ("status", vec!["status".to_owned()]),
            ("report", vec!["report".to_owned()]),
            ("history", vec!["history".to_owned(), history.clone()]),
        ];
        for (name, argv) in &commands {
            let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
            let label = format!("{name} cold");
            self.measure(&label, false, &|b| vec![b.portflow(&argv)], &mut |b| {
                drop_cache(b.repo)
            })?;
        }
        for (name, argv) in &commands {
            let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
            let label = format!("{name} warm (+1 commit)");
            let cold = self.row(&format!("{name} cold")).and_then(Row::failure);
            if let Some(outcome) = cold {
                let why = match outcome {
                    Outcome::TimedOut => "the cold run timed out",
                    _ => "the cold run did not finish",
                };
                self.skip(&label, why);
                continue;
            }
            // Leave a cache behind, then measure runs that each follow one new commit.
            let prime = self.portflow(&argv);
            self.launcher
                .run(&prime, self.limits, self.scratch, &format!("{name}-prime"))?;
            self.measure(&label, false, &|b| vec![b.portflow(&argv)], &mut |b| {
                desk.commit_new_port(b.repo).map(drop)
            })?;
        }
        Ok(())
    }

    /// The figures and the targets, as Markdown.
    fn report(&self, desk: &Desk) -> String {
        let s = &desk.summary;
        let mut t = String::new();
        t.push_str(&format!(
            "\n## Desk benchmark: {} ports, {} commits\n\n",
            s.ports, s.commits
        ));
        t.push_str(&machine());
        let stages: Vec<String> = s.stages.iter().map(|(k, v)| format!("{k} {v}")).collect();
        t.push_str(&format!(
            "Repo: {} ports, {} commits on `{MAIN}`, {} events, {} numbers; stages: {}.\n`--today {}`, {} runs each (median), timeout {} s, memory cap {} GiB.\n\n",
            s.ports, s.commits, s.events, s.numbers, stages.join(", "), self.args.today, self.args.runs, self.args.timeout, self.args.memory_cap
        ));
        t.push_str("| measurement | median wall | CPU | peak RSS | result |\n| --- | ---: | ---: | ---: | --- |\n");
        for row in &self.rows {
            t.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                row.name,
                row.wall_text(),
                row.cpu().map_or("-".to_owned(), seconds),
                row.peak_text(),
                row.result()
            ));
        }
        t.push_str("\n| target | goal | measured | |\n| --- | --- | --- | --- |\n");
        for target in self.targets(s.pr_ports.len()) {
            t.push_str(&target);
        }
        t
    }

    /// A row's time: the median when every run finished, else at least the stopped run's.
    fn time(&self, name: &str) -> Option<Figure> {
        let row = self.row(name)?;
        if let Some(median) = row.median() {
            return Some(Figure::exact(median.as_secs_f64()));
        }
        let stopped = row.samples.last().filter(|s| !s.outcome.finished())?;
        Some(Figure {
            value: stopped.wall.as_secs_f64(),
            bound: Bound::AtLeast,
        })
    }

    /// A row's peak memory in MB: exact when every run finished, else a lower bound.
    fn peak(&self, name: &str) -> Option<Figure> {
        let row = self.row(name)?;
        let bound = if row.failure().is_some() {
            Bound::AtLeast
        } else {
            Bound::Exact
        };
        row.peak_mb().map(|value| Figure { value, bound })
    }

    /// One Markdown row per target: goal, measured value and whether it is met.
    fn targets(&self, pr_ports: usize) -> Vec<String> {
        let why = |name: &str| self.row(name).map_or("not run".to_owned(), Row::result);
        let check = "portflow check";
        let vs_check = |other: &str| self.time(other)?.over(self.time(check)?);
        let mut out = vec![
            targets::row(
                "check vs check-jsonschema",
                "≥ 10× faster",
                Goal::AtLeast(10.0),
                Unit::Faster,
                vs_check(CJS),
                &why(check),
            ),
            targets::row(
                "check vs taplo",
                "≥ 7× faster",
                Goal::AtLeast(7.0),
                Unit::Faster,
                vs_check(TAPLO),
                &why(check),
            ),
            targets::row(
                "check vs bare read+parse",
                "≤ 1.5×",
                Goal::AtMost(1.5),
                Unit::Times,
                self.time(check)
                    .zip(self.time(FLOOR))
                    .and_then(|(c, f)| c.over(f)),
                &why(check),
            ),
            targets::row(
                "check peak memory",
                "≤ 100 MB",
                Goal::AtMost(100.0),
                Unit::Megabytes,
                self.peak(check),
                &why(check),
            ),
        ];
        let base = format!("check --base (PR, {pr_ports} ports)");
        out.push(targets::row(
            &format!("check --base, PR touching {pr_ports} ports"),
            "≤ 0.5 s",
            Goal::AtMost(0.5),
            Unit::Seconds,
            self.time(&base),
            &why(&base),
        ));
        for name in ["status", "report", "history"] {
            let cold = format!("{name} cold");
            let vs_log = self
                .time(&cold)
                .zip(self.time(GIT_LOG))
                .and_then(|(c, g)| c.over(g));
            out.push(targets::row(
                &format!("{name} cold vs git log"),
                "≤ 1× (no slower)",
                Goal::AtMost(1.0),
                Unit::Times,
                vs_log,
                &why(&cold),
            ));
            out.push(targets::row(
                &format!("{name} peak memory"),
                "≤ 300 MB",
                Goal::AtMost(300.0),
                Unit::Megabytes,
                self.peak(&cold),
                &why(&cold),
            ));
            let warm = format!("{name} warm (+1 commit)");
            out.push(targets::row(
                &format!("{name} warm (cache, +1 commit)"),
                "≤ 0.3 s",
                Goal::AtMost(0.3),
                Unit::Seconds,
                self.time(&warm),
                &why(&warm),
            ));
        }
        // Rendering is linear in the LOAs: a smaller repo's figure is scaled to 1000.
        let render = self
            .rows
            .iter()
            .find(|r| r.name.starts_with("render "))
            .map(|r| r.name.clone())
            .unwrap_or_default();
        let rendered: f64 = render
            .split(' ')
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or(1000.0);
        let per_1000 = self.time(&render).map(|t| t.scaled(1000.0 / rendered));
        out.push(targets::row(
            "render, per 1000 LOAs",
            "≤ 2 s",
            Goal::AtMost(2.0),
            Unit::Seconds,
            per_1000,
            &why(&render),
        ));
        out
    }
}

/// `1.23 s`, `45 ms`.
fn seconds(d: Duration) -> String {
    targets::seconds(d.as_secs_f64())
}

/// Deletes portflow's cache in the repo's git directory, when there is one.
fn drop_cache(repo: &Path) -> Result<()> {
    let cache = repo.join(".git/portflow");
    if cache.exists() {
        std::fs::remove_dir_all(cache)?;
    }
    Ok(())
}

/// Repo-relative paths of every request.toml and every event file, sorted.
fn toml_files(repo: &Path) -> Result<(Vec<String>, Vec<String>)> {
    let mut requests = Vec::new();
    let mut events = Vec::new();
    for entry in walkdir::WalkDir::new(repo.join("ports")).sort_by_file_name() {
        let entry = entry?;
        let rel = entry
            .path()
            .strip_prefix(repo)?
            .to_string_lossy()
            .into_owned();
        if entry.file_name() == "request.toml" {
            requests.push(rel);
        } else if rel.contains("/events/") && rel.ends_with(".toml") {
            events.push(rel);
        }
    }
    Ok((requests, events))
}

/// File lists cut to fit a command line (Linux allows 2 MiB of arguments and environment).
fn chunks(files: &[String]) -> Vec<&[String]> {
    const MAX_BYTES: usize = 1 << 20;
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, f) in files.iter().enumerate() {
        if bytes + f.len() + 9 > MAX_BYTES && i > start {
            out.push(&files[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += f.len() + 9;
    }
    if start < files.len() {
        out.push(&files[start..]);
    }
    out
}

/// Whether a program is on the PATH and runs.
fn tool_exists(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The machine, for the figures: cores, memory, CPU model.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or("?".to_owned(), |kib| {
            format!("{:.1} GiB", kib / (1 << 20) as f64)
        });
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map_or("unknown CPU", |v| v.trim_start_matches([' ', '\t', ':']));
    let version = |program: &str| {
        Command::new(program)
            .arg("--version")
            .output()
            .ok()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_owned()
            })
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "not installed".to_owned())
    };
    format!(
        "Machine: {cores} cores, {mem_gib} RAM, {cpu}. Tools: {}, {}, {}.\n\n",
        version("git"),
        version("check-jsonschema"),
        version("taplo")
    )
}

/// The floor: read every TOML file of the repo and parse it with the `toml` crate, on one
/// thread, as any validator must at least do.
fn floor(repo: &Path) -> Result<()> {
    let mut files = 0;
    let mut bytes = 0;
    let policy = repo.join("porting.toml");
    let walk = walkdir::WalkDir::new(repo.join("ports")).sort_by_file_name();
    let ports = walk
        .into_iter()
        .filter_map(|e| e.ok())
        .map(|e| e.into_path());
    for path in std::iter::once(policy).chain(ports) {
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path)?;
            toml::from_str::<toml::Table>(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            files += 1;
            bytes += text.len();
        }
    }
    println!("parsed {files} TOML files ({bytes} bytes)");
    Ok(())
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}
