//! Loading a repo and running every rule, and the commands built on that: check, status, digest.

use std::path::{Path, PathBuf};

use crate::cli::{CheckArgs, Format, StatusFormat};
use crate::diag::{self, Code, Finding, Severity};
use crate::model::Date;
use crate::repo::{Repo, RepoError, Tree, WorkTree};
use crate::report::{self, Context, Counts};
use crate::rules::{self, PortReport};
use crate::{Environment, Exit, Output};

/// Failures of `check` that are not findings.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The repo could not be read.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// A port id that no folder has.
    #[error("no port `{0}` in this repo (see `portflow status`)")]
    UnknownPort(String),
    /// `--only` names a code that does not exist.
    #[error("`{0}` is not a rule code (see docs/rules.md)")]
    UnknownCode(String),
    /// porting.toml does not parse or fails its schema, so no port can be judged.
    #[error(
        "porting.toml does not pass its checks, so no port's stage can be judged: run `portflow check porting.toml` and fix it first"
    )]
    PolicyInvalid,
    /// A PATH argument does not exist or lies outside the repo.
    #[error("`{0}` is not a file or folder of this ports repo")]
    BadPath(PathBuf),
    /// `--base` or `--staged` could not read git.
    #[error(transparent)]
    History(#[from] Box<crate::history::HistoryError>),
}

/// Everything `check` found, ready to report.
pub struct Checked {
    /// The loaded repo.
    pub repo: Repo,
    /// Findings, sorted, narrowed to the requested paths.
    pub findings: Vec<Finding>,
    /// Number of ports in scope.
    pub ports: usize,
    /// Stage and digest of every port.
    pub reports: Vec<PortReport>,
}

/// Loads the repo at `root` and runs every rule; findings are narrowed to `scope` (repo-relative).
pub fn check_tree(tree: &dyn Tree, scope: &[String], today: Date) -> Result<Checked, CheckError> {
    let mut repo = Repo::load(tree)?;
    let mut findings = std::mem::take(&mut repo.findings);
    let (rule_findings, reports) = rules::check(&repo, today);
    findings.extend(rule_findings);
    let in_scope = |file: &str| {
        scope.is_empty()
            || scope
                .iter()
                .any(|s| s.is_empty() || file == s || file.starts_with(&format!("{s}/")))
    };
    findings.retain(|f| in_scope(&f.file.to_string_lossy()));
    redact(&mut findings, &repo);
    diag::sort(&mut findings);
    let ports = repo
        .ports
        .iter()
        .filter(|p| {
            scope.is_empty()
                || scope.iter().any(|s| {
                    in_scope(&p.dir)
                        || p.dir.starts_with(&format!("{s}/"))
                        || s.starts_with(&format!("{}/", p.dir))
                        || *s == p.dir
                })
        })
        .count();
    Ok(Checked {
        repo,
        findings,
        ports,
        reports,
    })
}

/// Defence in depth: no message, label or help may quote a secret value of any file.
fn redact(findings: &mut [Finding], repo: &Repo) {
    let secrets: Vec<&str> = repo
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
    if secrets.is_empty() {
        return;
    }
    let mask = |text: &mut String| {
        for secret in &secrets {
            if text.contains(secret) {
                *text = text.replace(secret, &"*".repeat(secret.chars().count()));
            }
        }
    };
    for f in findings {
        mask(&mut f.message);
        mask(&mut f.label);
        mask(&mut f.help);
        for related in &mut f.related {
            mask(&mut related.label);
        }
    }
}

fn scope_of(root: &Path, cwd: &Path, paths: &[PathBuf]) -> Result<Vec<String>, CheckError> {
    paths
        .iter()
        .map(|p| {
            let full = cwd.join(p);
            let canon = full
                .canonicalize()
                .map_err(|_| CheckError::BadPath(p.clone()))?;
            let rel = canon
                .strip_prefix(root)
                .map_err(|_| CheckError::BadPath(p.clone()))?;
            Ok(rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/"))
        })
        .collect()
}

/// Runs `portflow check`.
pub fn run(args: &CheckArgs, env: &Environment) -> Result<Output, CheckError> {
    let tree = WorkTree::discover(&env.cwd)?;
    let cwd = env.cwd.canonicalize().unwrap_or_else(|_| env.cwd.clone());
    let scope = scope_of(&tree.root, &cwd, &args.paths)?;
    let history = |err| CheckError::History(Box::new(err));
    let checked = match (&args.base, args.staged) {
        (Some(base), staged) => {
            let head = if staged {
                crate::history::HeadKind::Index
            } else {
                crate::history::HeadKind::WorkTree
            };
            crate::history::check_base(&tree, base, head, &scope, env.today).map_err(history)?
        }
        (None, true) => crate::history::check_staged(&tree, &scope, env.today).map_err(history)?,
        (None, false) => check_tree(&tree, &scope, env.today)?,
    };
    let mut checked = checked;
    if !args.only.is_empty() {
        let mut codes = Vec::new();
        for name in &args.only {
            codes.push(
                Code::from_name(name.trim())
                    .ok_or_else(|| CheckError::UnknownCode(name.clone()))?,
            );
        }
        checked.findings.retain(|f| codes.contains(&f.code));
    }
    let ctx = Context::of(
        &checked.repo.sources,
        checked
            .repo
            .sources
            .keys()
            .filter(|k| {
                scope.is_empty()
                    || scope
                        .iter()
                        .any(|s| s.is_empty() || *k == s || k.starts_with(&format!("{s}/")))
            })
            .count(),
        checked.ports,
    );
    // Findings a change inherited from its base are reported but do not fail it.
    let inherited = checked.findings.iter().filter(|f| !f.blocking).count();
    let stdout = match args.format {
        Format::Human if inherited > 0 => {
            let mut findings = checked.findings.clone();
            for f in findings.iter_mut().filter(|f| !f.blocking) {
                f.help.push_str(
                    " (not blocking: already on the base, in a port this change does not touch)",
                );
            }
            let mut text = report::human::render(&findings, &ctx, env.style());
            text.push_str(&if inherited == 1 {
                "1 finding was already on the base, in a port this change does not touch: reported, not blocking\n".to_owned()
            } else {
                format!("{inherited} findings were already on the base, in ports this change does not touch: reported, not blocking\n")
            });
            text
        }
        Format::Human => report::human::render(&checked.findings, &ctx, env.style()),
        Format::Json => report::json::render(&checked.findings, &ctx),
        Format::Github => report::github::render(&checked.findings, &ctx),
        Format::Sarif => report::sarif::render(&checked.findings, &ctx),
    };
    let blocking_warnings = checked
        .findings
        .iter()
        .any(|f| f.blocking && f.severity == Severity::Warning);
    let failing = checked
        .findings
        .iter()
        .any(|f| f.blocking && f.severity == Severity::Error)
        || (args.deny_warnings && blocking_warnings);
    Ok(Output {
        stdout,
        stderr: String::new(),
        exit: if failing { Exit::Findings } else { Exit::Clean },
    })
}

/// Runs `portflow status`.
pub fn status(format: StatusFormat, env: &Environment) -> Result<Output, CheckError> {
    let tree = WorkTree::discover(&env.cwd)?;
    let checked = check_tree(&tree, &[], env.today)?;
    if checked.repo.policy.is_none() {
        return Err(CheckError::PolicyInvalid);
    }
    let (times, note) = crate::history::status_times(&tree, &checked, env.today);
    let rows: Vec<report::status::Row> = checked
        .reports
        .iter()
        .map(|r| {
            let port = checked.repo.ports.iter().find(|p| p.dir == r.dir);
            let request = port.and_then(|p| p.request.as_ref()).map(|l| &l.value);
            let in_port = |f: &&Finding| {
                let file = f.file.to_string_lossy();
                file.starts_with(&format!("{}/", r.dir))
            };
            let counts = Counts::of(checked.findings.iter().filter(in_port));
            report::status::Row {
                port: r.id.clone(),
                dir: r.dir.clone(),
                country: request
                    .map(|q| q.country.clone())
                    .or_else(|| lenient(&checked.repo, &r.dir).0),
                numbers: request
                    .map(|q| q.numbers.len())
                    .unwrap_or_else(|| lenient(&checked.repo, &r.dir).1),
                stage: r.stage,
                next_action: r.stage.next_action().to_owned(),
                errors: counts.errors,
                warnings: counts.warnings,
                times: times.get(&r.dir).cloned(),
            }
        })
        .collect();
    let stdout = match format {
        StatusFormat::Table => report::status::table(&rows),
        StatusFormat::Json => report::status::json(&rows),
    };
    Ok(Output {
        stdout,
        stderr: note,
        exit: Exit::Clean,
    })
}

/// Country and number count of a request that failed its schema, read as plain TOML when
/// it parses, so `status` still says what the invalid port is about.
fn lenient(repo: &Repo, dir: &str) -> (Option<String>, usize) {
    let table = repo
        .sources
        .get(&format!("{dir}/request.toml"))
        .and_then(|file| toml::from_str::<toml::Table>(&file.text).ok());
    let Some(table) = table else {
        return (None, 0);
    };
    let country = table
        .get("country")
        .and_then(|c| c.as_str())
        .map(str::to_owned);
    let numbers = table
        .get("numbers")
        .and_then(|n| n.as_array())
        .map_or(0, Vec::len);
    (country, numbers)
}

/// Runs `portflow digest`.
pub fn digest(ports: &[String], env: &Environment) -> Result<Output, CheckError> {
    let tree = WorkTree::discover(&env.cwd)?;
    let checked = check_tree(&tree, &[], env.today)?;
    if checked.repo.policy.is_none() {
        return Err(CheckError::PolicyInvalid);
    }
    for id in ports {
        if !checked.reports.iter().any(|r| &r.id == id) {
            return Err(CheckError::UnknownPort(id.clone()));
        }
    }
    let mut stdout = String::new();
    let mut stderr = String::new();
    for r in &checked.reports {
        if !ports.is_empty() && !ports.contains(&r.id) {
            continue;
        }
        match &r.digest {
            Some(d) => stdout.push_str(&format!("{} {d}\n", r.id)),
            None => stderr.push_str(&format!(
                "{}: no digest: its request.toml does not parse or fails its schema (run `portflow check`)\n",
                r.id
            )),
        }
    }
    let exit = if stderr.is_empty() {
        Exit::Clean
    } else {
        Exit::Findings
    };
    Ok(Output {
        stdout,
        stderr,
        exit,
    })
}
