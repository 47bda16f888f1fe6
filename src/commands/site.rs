//! `portflow site --out DIR`: the desk's board as a static site. The site is written into a
//! new folder beside DIR and moved into place whole, so a reader (or a Pages upload) never
//! sees half a site; a DIR that is not a site portflow made is never replaced.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

use super::RunError;
use super::report::analytics_of;
use super::status::board;
use crate::atomic::TEMP_PREFIX;
use crate::cli::SiteArgs;
use crate::engine::Scope;
use crate::git::Git;
use crate::git::past::check_work_tree;
use crate::repo::WorkTree;
use crate::report::site::{self, Page, PortInput, SiteError, SiteInput};
use crate::{Environment, Exit, Output};

/// The file that marks a folder as a site portflow wrote, listing the files it wrote.
pub const MANIFEST: &str = ".portflow-site";

/// Failures of `portflow site`.
#[derive(Debug, thiserror::Error)]
pub enum SiteRunError {
    /// The repo or git could not be read.
    #[error(transparent)]
    Run(#[from] RunError),
    /// A template failed.
    #[error(transparent)]
    Site(#[from] SiteError),
    /// `--out` names something that must not be replaced.
    #[error(
        "`{path}` {why}: portflow replaces only a site it wrote; choose another `--out`, or move it away"
    )]
    Refused {
        /// The folder.
        path: String,
        /// What is there.
        why: String,
    },
    /// Writing failed.
    #[error("cannot write the site to `{path}`: {source}")]
    Write {
        /// Where.
        path: String,
        /// Why.
        #[source]
        source: io::Error,
    },
}

/// Runs `portflow site`.
pub fn run(args: &SiteArgs, env: &Environment) -> Result<Output, SiteRunError> {
    let tree = WorkTree::discover(&env.cwd).map_err(RunError::from)?;
    let checked = check_work_tree(&tree, &Scope::all(), env.today).map_err(RunError::from)?;
    if checked.repo.policy.is_none() {
        return Err(RunError::PolicyInvalid.into());
    }
    let out = if args.out.is_absolute() {
        args.out.clone()
    } else {
        env.cwd.join(&args.out)
    };
    // Checked before the work: a refusal comes at once.
    allowed(&out)?;
    let git = Git::open(&tree.root);
    let board = board(&tree, &git, None, &checked, env.today, |_| true);
    let ports = checked.repo.ports_by_dir();
    let lines: BTreeMap<&str, _> = board.lines.iter().map(|l| (l.dir.as_str(), l)).collect();
    let analytics = analytics_of(&checked, &board.lines, env.today);
    let input = SiteInput {
        today: env.today,
        ports: board
            .rows
            .iter()
            .map(|row| PortInput {
                row,
                request: ports
                    .get(row.dir.as_str())
                    .and_then(|p| p.request.as_ref())
                    .map(|r| &r.value),
                timeline: lines.get(row.dir.as_str()).map(|line| &***line),
                findings: checked
                    .in_port(&row.dir)
                    .map(|f| {
                        let line = checked
                            .repo
                            .sources
                            .get(f.file.to_string_lossy().as_ref())
                            .filter(|_| !f.span.is_empty())
                            .map(|s| s.line_col(f.span.start).0);
                        (f, line)
                    })
                    .collect(),
            })
            .collect(),
        analytics: &analytics,
        commit_link: args.commit_link.as_deref(),
    };
    let pages = site::render(&input)?;
    publish(&out, &pages)?;
    Ok(Output {
        stdout: format!(
            "wrote {} pages for {} ports to {}\n",
            pages.len(),
            board.rows.len(),
            out.display()
        ),
        stderr: board.note,
        exit: Exit::Clean,
    })
}

fn refused(path: &Path, why: impl Into<String>) -> SiteRunError {
    SiteRunError::Refused {
        path: path.display().to_string(),
        why: why.into(),
    }
}

fn write_error(path: &Path) -> impl FnOnce(io::Error) -> SiteRunError + '_ {
    move |source| SiteRunError::Write {
        path: path.display().to_string(),
        source,
    }
}

/// Whether `out` may be written: it does not exist, is an empty folder, or holds a site
/// portflow wrote and nothing else.
fn allowed(out: &Path) -> Result<(), SiteRunError> {
    let meta = match std::fs::symlink_metadata(out) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(write_error(out)(err)),
        Ok(meta) => meta,
    };
    if !meta.is_dir() {
        return Err(refused(out, "exists and is not a folder"));
    }
    let manifest = out.join(MANIFEST);
    let listed: BTreeSet<String> = match std::fs::symlink_metadata(&manifest) {
        Ok(m) if m.is_file() && m.len() < 16 << 20 => std::fs::read_to_string(&manifest)
            .map_err(write_error(&manifest))?
            .lines()
            .map(str::to_owned)
            .collect(),
        _ => {
            let empty = std::fs::read_dir(out)
                .map_err(write_error(out))?
                .next()
                .is_none();
            return if empty {
                Ok(())
            } else {
                Err(refused(out, "is a folder that portflow did not write"))
            };
        }
    };
    // Anything there that the last site did not write was put there by someone else.
    for entry in walkdir::WalkDir::new(out).min_depth(1) {
        let entry = entry.map_err(|e| write_error(out)(io::Error::other(e)))?;
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(out)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        if rel != MANIFEST && !listed.contains(&rel) {
            return Err(refused(
                out,
                format!("holds `{rel}`, which portflow did not write there"),
            ));
        }
    }
    Ok(())
}

/// Writes the pages into a new folder beside `out`, then puts it in `out`'s place.
fn publish(out: &Path, pages: &[Page]) -> Result<(), SiteRunError> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(write_error(parent))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "site".to_owned());
    let fresh = temp_beside(parent, &name, "new");
    let written = write_pages(&fresh, pages);
    if let Err(err) = written {
        let _ = std::fs::remove_dir_all(&fresh);
        return Err(write_error(&fresh)(err));
    }
    // Checked again right before the swap: what is replaced must still be portflow's.
    if let Err(err) = allowed(out) {
        let _ = std::fs::remove_dir_all(&fresh);
        return Err(err);
    }
    if std::fs::symlink_metadata(out).is_err() {
        return std::fs::rename(&fresh, out).map_err(|e| {
            let _ = std::fs::remove_dir_all(&fresh);
            write_error(out)(e)
        });
    }
    let old = temp_beside(parent, &name, "old");
    std::fs::rename(out, &old).map_err(|e| {
        let _ = std::fs::remove_dir_all(&fresh);
        write_error(out)(e)
    })?;
    if let Err(err) = std::fs::rename(&fresh, out) {
        // Put the old site back: a failed run leaves what was there.
        let _ = std::fs::rename(&old, out);
        let _ = std::fs::remove_dir_all(&fresh);
        return Err(write_error(out)(err));
    }
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

fn temp_beside(parent: &Path, name: &str, what: &str) -> PathBuf {
    parent.join(format!("{TEMP_PREFIX}{}.{what}.{name}", std::process::id()))
}

fn write_pages(dir: &Path, pages: &[Page]) -> io::Result<()> {
    if std::fs::symlink_metadata(dir).is_ok() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir(dir)?;
    let mut manifest = String::new();
    for page in pages {
        let path = dir.join(&page.path);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)?;
        }
        new_file(&path, page.html.as_bytes())?;
        manifest.push_str(&page.path);
        manifest.push('\n');
    }
    new_file(&dir.join(MANIFEST), manifest.as_bytes())
}

/// Writes a file that must not exist yet. The folder is this run's own and moves into
/// place whole, so a file needs no temp name of its own.
fn new_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?
        .write_all(bytes)
}
