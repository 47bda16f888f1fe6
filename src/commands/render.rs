//! `portflow render`: every selected port's LOA as a PDF, and a notice for each of its
//! `rejected` and `completed` events, written into an output folder. A port whose files
//! have errors is not rendered; the command says which findings stop it.
//!
//! Output layout (under `--out`, default `target/portflow/render/` in the repo):
//! `<port-id>/loa.pdf` (`loa-carrier-copy.pdf` with `--identity`), and for each notice
//! `<port-id>/NNN-<kind>-notice.eml` plus `NNN-<kind>-notice.txt`.
//!
//! No file that differs from what is rendered now is replaced without `--force`, with one
//! exception in the default folder: a file still exactly as portflow last wrote it there
//! (its SHA-256 is in the port folder's `.portflow-rendered` record) is portflow's own
//! output and is replaced. A file the user changed since is refused.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use age::secrecy::ExposeSecret;
use rayon::prelude::*;

use crate::atomic;
use crate::cli::{PaperArg, RenderArgs};
use crate::diag::{Finding, Severity};
use crate::engine::{Checked, Scope};
use crate::git;
use crate::git::past::check_work_tree_reusing;
use crate::loa::digest::{self, LoaData};
use crate::loa::letter::{self, MASK, Paper, Presentation};
use crate::loa::template::{Kind, Templates};
use crate::model::policy::{Policy, RequirementType};
use crate::model::request::Request;
use crate::notice::{self, NoticeEvent};
use crate::plural::count;
use crate::repo::{Port, RepoError, Tree, WorkTree};
use crate::report::terminal::Progress;
use crate::rules::events::resolve_voids;
use crate::secret::{SecretError, decrypt, load_identities};
use crate::signed::sha256_hex;
use crate::{Environment, Exit, Output};

/// The default output folder, relative to the repo root (git-ignored with `target/`).
pub const DEFAULT_OUT: &str = "target/portflow/render";

/// Failures that stop `render` as a whole.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The repo could not be read.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// A port id that no folder has.
    #[error("no port `{0}` in this repo (see `portflow status`)")]
    UnknownPort(String),
    /// porting.toml is invalid, so no LOA can be built.
    #[error(
        "`porting.toml` has errors, so no LOA can be rendered: run `portflow check porting.toml`"
    )]
    Policy,
    /// The identity file cannot be used.
    #[error(transparent)]
    Identity(#[from] SecretError),
    /// A carrier copy would be written inside the repo.
    #[error(
        "with `--identity` the carrier copy holds the decrypted PIN, so it must not be written inside the repo (`{0}`): pass `--out DIR` with a folder outside it"
    )]
    OutInsideRepo(PathBuf),
}

/// The record of what portflow wrote into a port's folder of the default output.
pub const RECORD: &str = ".portflow-rendered";

/// The most bytes of an existing output file read to see whether it is portflow's own.
const OWN_OUTPUT_MAX_BYTES: u64 = 256 << 20;

/// Why one file could not be written.
#[derive(Debug, thiserror::Error)]
enum WriteError {
    #[error(
        "`{0}` exists and differs from what was rendered now: remove it, choose another `--out`, or pass `--force` to replace it"
    )]
    Clobber(PathBuf),
    #[error(
        "`{0}` was changed since portflow rendered it: not replaced; copy your edit elsewhere, or pass `--force` to replace it with what is rendered now"
    )]
    Edited(PathBuf),
    #[error(
        "`{0}` exists and is not a regular file (a link, FIFO or device): portflow neither reads nor replaces it; remove it or choose another `--out`"
    )]
    NotAFile(PathBuf),
    #[error("cannot write `{path}`: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What happened to one output file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
    New,
    Unchanged,
    Replaced,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_owned(),
        source,
    }
}

/// What portflow last wrote into one port folder of the default output: file name → the
/// SHA-256 of its bytes, kept in [`RECORD`] as `sha256sum` lines.
#[derive(Debug, Default)]
struct Record {
    hashes: BTreeMap<String, String>,
    changed: bool,
}

impl Record {
    /// The record in `dir`; empty when there is none or it cannot be read.
    fn load(dir: &Path) -> Record {
        let text = crate::repo::read_regular_file(&dir.join(RECORD), 1 << 20)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let hashes = text
            .lines()
            .filter_map(|l| l.split_once("  "))
            .map(|(hash, name)| (name.to_owned(), hash.to_owned()))
            .collect();
        Record {
            hashes,
            changed: false,
        }
    }

    /// Notes that `name` now holds `bytes`, as portflow wrote (or found) it.
    fn note(&mut self, name: &str, bytes: &[u8]) {
        let hash = sha256_hex(bytes);
        if self.hashes.get(name) != Some(&hash) {
            self.hashes.insert(name.to_owned(), hash);
            self.changed = true;
        }
    }

    fn text(&self) -> String {
        self.hashes
            .iter()
            .map(|(name, hash)| format!("{hash}  {name}\n"))
            .collect()
    }

    /// Writes the record into `dir`.
    fn save(&self, dir: &Path) -> Result<(), WriteError> {
        let path = dir.join(RECORD);
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if !meta.is_file() => Err(WriteError::NotAFile(path)),
            Ok(_) => atomic::replace(&path, self.text().as_bytes(), None).map_err(io_err(&path)),
            Err(_) => atomic::write_new(&path, self.text().as_bytes(), None).map_err(io_err(&path)),
        }
    }
}

/// How a write treats an existing file that differs from what is rendered now.
#[derive(Debug, Clone, Copy)]
enum Replace<'a> {
    /// `--force`: replace it.
    Always,
    /// A folder named with `--out`: refuse.
    Never,
    /// The default folder: replace it only when it is exactly what portflow last wrote
    /// there (this SHA-256, from the record), refuse it when the user changed it.
    IfOwn(Option<&'a str>),
}

/// How the write of `name` treats a differing file.
fn replace_mode<'a>(force: bool, default_out: bool, record: &'a Record, name: &str) -> Replace<'a> {
    if force {
        Replace::Always
    } else if default_out {
        Replace::IfOwn(record.hashes.get(name).map(String::as_str))
    } else {
        Replace::Never
    }
}

/// Writes atomically (a temporary file in the same folder, then a link or rename) and never
/// replaces a different file unless `replace` allows it. An existing output that is not a
/// regular file (a FIFO, a link to `/dev/zero`) is never read nor replaced. `mode` sets the
/// permissions (the carrier copy, which holds the decrypted PIN, is the owner's only).
fn write_file(
    path: &Path,
    bytes: &[u8],
    replace: Replace<'_>,
    mode: Option<u32>,
) -> Result<Written, WriteError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let existing = match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_err(path)(e)),
        Ok(meta) if !meta.is_file() => return Err(WriteError::NotAFile(path.to_owned())),
        // Only a file of the same size can be the same file: nothing else is read.
        Ok(meta) if meta.len() != bytes.len() as u64 => Some(false),
        Ok(_) => Some(
            crate::repo::read_regular_file(path, bytes.len() as u64).is_ok_and(|old| old == bytes),
        ),
    };
    match existing {
        Some(true) => {
            if let Some(mode) = mode {
                set_mode(path, mode).map_err(io_err(path))?;
            }
            Ok(Written::Unchanged)
        }
        Some(false) => {
            match replace {
                Replace::Always => {}
                Replace::Never | Replace::IfOwn(None) => {
                    return Err(WriteError::Clobber(path.to_owned()));
                }
                Replace::IfOwn(Some(own)) => {
                    let unchanged = crate::repo::read_regular_file(path, OWN_OUTPUT_MAX_BYTES)
                        .is_ok_and(|old| sha256_hex(&old) == own);
                    if !unchanged {
                        return Err(WriteError::Edited(path.to_owned()));
                    }
                }
            }
            atomic::replace(path, bytes, mode).map_err(io_err(path))?;
            Ok(Written::Replaced)
        }
        None => match atomic::write_new(path, bytes, mode) {
            Ok(()) => Ok(Written::New),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(WriteError::Clobber(path.to_owned()))
            }
            Err(e) => Err(io_err(path)(e)),
        },
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// An absolute, `..`-free form of `path` (resolving links of the part that exists), so it
/// can be compared with the repo root.
fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    let joined = cwd.join(path);
    let mut clean = PathBuf::new();
    for part in joined.components() {
        match part {
            Component::ParentDir => {
                clean.pop();
            }
            Component::CurDir => {}
            other => clean.push(other),
        }
    }
    let mut existing = clean.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (
            existing.file_name().map(ToOwned::to_owned),
            existing.parent(),
        ) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_owned();
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize().unwrap_or(existing);
    for name in rest.into_iter().rev() {
        out.push(name);
    }
    out
}

/// The PIN and secret country values: masked, or decrypted with the identities.
fn secrets(
    policy: &Policy,
    request: &Request,
    presentation: &mut Presentation,
    identities: Option<&[Box<dyn age::Identity + Send + Sync>]>,
) -> Result<(), String> {
    let reveal = |name: &str, armored: &str| -> Result<String, String> {
        match identities {
            Some(ids) => decrypt(armored, ids)
                .map(|value| value.expose_secret().trim().to_owned())
                .map_err(|e| format!("cannot decrypt {name}: {e}")),
            None => Ok(MASK.to_owned()),
        }
    };
    if let Some(pin) = request.end_user.as_ref().and_then(|u| u.pin.as_deref()) {
        presentation.pin = Some(reveal("the PIN", pin)?);
    }
    let secret_keys: Vec<&str> = policy
        .country(&request.country)
        .map(|c| {
            c.requirements
                .iter()
                .filter(|r| r.kind == RequirementType::Field && r.secret)
                .map(|r| r.key.as_str())
                .collect()
        })
        .unwrap_or_default();
    for (key, value) in &request.requirements {
        if secret_keys.contains(&key.as_str()) {
            let shown = reveal(&format!("`{key}`"), value)?;
            presentation.secrets.insert(key.clone(), shown);
        }
    }
    presentation.carrier_copy = identities.is_some();
    Ok(())
}

/// The LOA a customer signs (PIN and secret values masked) as a PDF, with its digest:
/// what a signature request attaches.
pub(crate) fn customer_loa(
    templates: &Templates,
    policy: &Policy,
    port: &str,
    request: &Request,
) -> Result<(String, Vec<u8>), String> {
    let data = LoaData::new(policy, port, request);
    let paper = Paper::for_country(&request.country);
    let digest = digest::digest(&data);
    let mut presentation = Presentation::new(&request.country, paper, digest.clone());
    secrets(policy, request, &mut presentation, None)?;
    let letter =
        letter::render(templates, &data, &presentation, paper).map_err(|e| e.to_string())?;
    Ok((digest, letter.pdf.bytes))
}

/// How a path is shown: relative to the repo root when inside it.
fn shown(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .map_or_else(|_| path.display().to_string(), |p| p.display().to_string())
}

fn kib(bytes: usize) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}

fn select<'a>(ports: &'a [Port], wanted: &[String]) -> Result<Vec<&'a Port>, RenderError> {
    if wanted.is_empty() {
        return Ok(ports.iter().collect());
    }
    // By id and by folder, the first port of each (as a scan in path order would find).
    let mut known: HashMap<&str, &Port> = HashMap::new();
    for port in ports {
        known.entry(port.id.as_str()).or_insert(port);
        known.entry(port.dir.as_str()).or_insert(port);
    }
    wanted
        .iter()
        .map(|w| {
            let w = w.trim_end_matches('/');
            known
                .get(w)
                .copied()
                .ok_or_else(|| RenderError::UnknownPort(w.to_owned()))
        })
        .collect()
}

/// Runs `portflow render`.
pub fn run(args: &RenderArgs, env: &Environment) -> Result<Output, RenderError> {
    let tree = WorkTree::discover(&env.cwd)?;
    let root = tree.root.clone();
    // The ports to render are read; the others are judged from the verdict cache when it
    // can (a number another open port holds still refuses an LOA).
    let wanted: HashSet<&str> = args.ports.iter().map(|w| w.trim_end_matches('/')).collect();
    let read = |dir: &str| {
        wanted.is_empty()
            || wanted.contains(dir)
            || dir.rsplit('/').next().is_some_and(|id| wanted.contains(id))
    };
    let checked = check_work_tree_reusing(&tree, &Scope::all(), env.today, &read, true)?;
    let repo = &checked.repo;
    let policy = repo
        .policy
        .as_ref()
        .map(|p| &p.value)
        .ok_or(RenderError::Policy)?;
    let selected = select(&repo.ports, &args.ports)?;
    let cwd = env.cwd.canonicalize().unwrap_or_else(|_| env.cwd.clone());
    let out_dir = match &args.out {
        Some(out) => absolute(&cwd, out),
        None => root.join(DEFAULT_OUT),
    };
    // In the default folder (git-ignored build artefacts) re-rendering replaces portflow's
    // own earlier output, never a file the user changed since; a folder the user named is
    // never replaced without `--force`.
    let default_out = args.out.is_none();
    let identities = match &args.identity {
        Some(path) => {
            // A carrier copy holds the decrypted PIN: never inside the ports repo, nor inside
            // the git work tree around it (a ports repo may sit in a subfolder).
            let work_tree = git::work_tree_of(&root);
            if out_dir.starts_with(&root) || work_tree.is_some_and(|w| out_dir.starts_with(w)) {
                return Err(RenderError::OutInsideRepo(out_dir));
            }
            Some(load_identities(std::slice::from_ref(path), &cwd)?)
        }
        None => None,
    };
    let loa_templates = Templates::for_repo(&root, Kind::Loa);
    let email_templates = Templates::for_repo(&root, Kind::Email);
    let progress = Progress::new(selected.len(), env.stdout_is_terminal && selected.len() > 1);

    let mut by_port: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in checked
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
    {
        let file = f.file.to_string_lossy();
        if let Some(port) = repo.port_for_file(&file) {
            by_port.entry(port.dir.as_str()).or_default().push(f);
        }
    }
    let job = Job {
        args,
        tree: &tree,
        root: &root,
        policy,
        out_dir: &out_dir,
        default_out,
        identities: identities.as_deref(),
        loa_templates: &loa_templates,
        email_templates: &email_templates,
    };
    // Ports are rendered and written on all cores (each into its own folder: port ids are
    // unique in a repo without errors), and reported in the order they were asked for.
    let started = AtomicUsize::new(0);
    let outcomes: Vec<Outcome> = selected
        .par_iter()
        .map(|port| {
            progress.step(started.fetch_add(1, Ordering::Relaxed), &port.id);
            let errors = by_port.get(port.dir.as_str()).cloned().unwrap_or_default();
            job.port(port, &errors, &checked)
        })
        .collect();

    let mut stdout = String::new();
    let mut stderr = String::new();
    let mut exit = Exit::Clean;
    let (mut letters, mut notices, mut refused, mut failed) = (0, 0, 0, 0);
    for (port, outcome) in selected.iter().zip(outcomes) {
        match outcome {
            Outcome::Refused(why) => {
                refused += 1;
                if exit == Exit::Clean {
                    exit = Exit::Findings;
                }
                stderr.push_str(&why);
            }
            Outcome::Rendered(done) => {
                letters += done.letters;
                notices += done.notices;
                stdout.push_str(&done.written);
                if !done.problems.is_empty() {
                    failed += 1;
                    exit = Exit::Failure;
                    for p in done.problems {
                        stderr.push_str(&format!("error: `{}`: {p}\n", port.id));
                    }
                }
            }
        }
    }
    progress.finish();
    stdout.push_str(&format!(
        "{}, {} in {}",
        count(letters, "LOA", "LOAs"),
        count(notices, "notice", "notices"),
        shown(&root, &out_dir)
    ));
    if refused > 0 {
        stdout.push_str(&format!(
            "; {} not rendered",
            count(refused, "port", "ports")
        ));
    }
    if failed > 0 {
        stdout.push_str(&format!("; {failed} failed"));
    }
    stdout.push('\n');
    Ok(Output {
        stdout,
        stderr,
        exit,
    })
}

/// What every port's rendering shares.
#[derive(Clone, Copy)]
struct Job<'a> {
    args: &'a RenderArgs,
    tree: &'a WorkTree,
    root: &'a Path,
    policy: &'a Policy,
    out_dir: &'a Path,
    default_out: bool,
    identities: Option<&'a [Box<dyn age::Identity + Send + Sync>]>,
    loa_templates: &'a Templates,
    email_templates: &'a Templates,
}

/// What rendering one port came to.
enum Outcome {
    /// Not rendered: why, with its error findings.
    Refused(String),
    /// Rendered, or tried to.
    Rendered(Rendered),
}

/// The files a port's rendering wrote, and what failed.
#[derive(Default)]
struct Rendered {
    letters: usize,
    notices: usize,
    /// A line per file written.
    written: String,
    problems: Vec<String>,
}

impl Job<'_> {
    /// Renders one port's LOA and notices into its folder (`errors`: its error findings).
    fn port(&self, port: &Port, errors: &[&Finding], checked: &Checked) -> Outcome {
        let Job {
            args,
            tree,
            root,
            policy,
            out_dir,
            default_out,
            identities,
            loa_templates,
            email_templates,
        } = *self;
        let request = port.request.as_ref().map(|r| &r.value);
        let (Some(request), true) = (request, errors.is_empty()) else {
            return Outcome::Refused(refusal(port, errors, checked));
        };
        let mut done = Rendered::default();
        let port_out = out_dir.join(&port.id);
        let mut record = if default_out {
            Record::load(&port_out)
        } else {
            Record::default()
        };

        let data = LoaData::new(policy, &port.id, request);
        let paper = args
            .paper
            .map(|p| match p {
                PaperArg::Letter => Paper::Letter,
                PaperArg::A4 => Paper::A4,
            })
            .unwrap_or_else(|| Paper::for_country(&request.country));
        let mut presentation = Presentation::new(&request.country, paper, digest::digest(&data));
        match secrets(policy, request, &mut presentation, identities) {
            Err(reason) => done.problems.push(reason),
            Ok(()) => match letter::render(loa_templates, &data, &presentation, paper) {
                Err(e) => done.problems.push(e.to_string()),
                Ok(letter) => {
                    let name = if identities.is_some() {
                        "loa-carrier-copy.pdf"
                    } else {
                        "loa.pdf"
                    };
                    let path = port_out.join(name);
                    let mode = identities.is_some().then_some(atomic::PRIVATE);
                    let replace = replace_mode(args.force, default_out, &record, name);
                    match write_file(&path, &letter.pdf.bytes, replace, mode) {
                        Err(e) => done.problems.push(e.to_string()),
                        Ok(written) => {
                            record.note(name, &letter.pdf.bytes);
                            done.letters += 1;
                            done.written.push_str(&format!(
                                "{} {} ({}, {}{})\n",
                                verb(written),
                                shown(root, &path),
                                count(letter.pdf.pages, "page", "pages"),
                                kib(letter.pdf.bytes.len()),
                                if letter.pdf.embedded {
                                    ", DejaVu Sans embedded"
                                } else {
                                    ""
                                },
                            ));
                        }
                    }
                }
            },
        }

        let (events, _) = resolve_voids(port);
        // The numbers moved by earlier completions: a partial completion's notice names
        // the ones still to come.
        let mut moved: Vec<String> = Vec::new();
        for ev in events {
            let moved_before = moved.clone();
            moved.extend(notice::numbers_moved(ev.event, request));
            if notice::stem(ev.number, ev.event.kind()).is_none() {
                continue;
            }
            let bytes = match tree.read(ev.path(), policy.documents.max_toml_bytes) {
                Ok(bytes) => bytes,
                Err(e) => {
                    done.problems.push(e.to_string());
                    continue;
                }
            };
            let input = NoticeEvent {
                number: ev.number,
                event: ev.event,
                moved_before: &moved_before,
            };
            match notice::render(email_templates, &port.id, request, policy, &input, &bytes) {
                Err(e) => done
                    .problems
                    .push(format!("notice for `{}`: {e}", ev.file.name)),
                Ok(None) => {}
                Ok(Some(n)) => {
                    let mut written_all = true;
                    for (ext, content) in [("eml", n.eml.as_slice()), ("txt", n.txt.as_bytes())] {
                        let name = format!("{}.{ext}", n.stem);
                        let path = port_out.join(&name);
                        let replace = replace_mode(args.force, default_out, &record, &name);
                        match write_file(&path, content, replace, None) {
                            Err(e) => {
                                written_all = false;
                                done.problems.push(e.to_string());
                            }
                            Ok(written) => {
                                record.note(&name, content);
                                done.written.push_str(&format!(
                                    "{} {}\n",
                                    verb(written),
                                    shown(root, &path)
                                ));
                            }
                        }
                    }
                    if written_all {
                        done.notices += 1;
                    }
                }
            }
        }
        if default_out && record.changed {
            if let Err(e) = record.save(&port_out) {
                done.problems.push(e.to_string());
            }
        }
        Outcome::Rendered(done)
    }
}

fn verb(written: Written) -> &'static str {
    match written {
        Written::New => "wrote",
        Written::Unchanged => "unchanged",
        Written::Replaced => "replaced",
    }
}

/// Why a port is not rendered, with its error findings.
fn refusal(port: &Port, errors: &[&Finding], checked: &Checked) -> String {
    let mut out = format!(
        "`{}` not rendered: its files have {} (see `portflow check {}`)\n",
        port.id,
        count(errors.len(), "error", "errors"),
        port.dir
    );
    if errors.is_empty() {
        out = format!(
            "`{}` not rendered: its `request.toml` cannot be read (see `portflow check {}`)\n",
            port.id, port.dir
        );
    }
    for f in errors.iter().take(10) {
        let file = f.file.to_string_lossy();
        let (line, col) = checked
            .repo
            .sources
            .get(file.as_ref())
            .map_or((1, 1), |s| s.line_col(f.span.start));
        out.push_str(&format!(
            "  {} {file}:{line}:{col}: {}\n",
            f.code.as_str(),
            f.message
        ));
    }
    if errors.len() > 10 {
        out.push_str(&format!("  … and {} more\n", errors.len() - 10));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_paths_resolve_dots() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canon");
        let p = absolute(&root, Path::new("a/../b/./c"));
        assert_eq!(p, root.join("b/c"));
    }

    #[test]
    fn writes_refuse_to_clobber() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x/loa.pdf");
        assert_eq!(
            write_file(&path, b"one", Replace::Never, None).expect("new"),
            Written::New
        );
        assert_eq!(
            write_file(&path, b"one", Replace::Never, None).expect("same"),
            Written::Unchanged
        );
        assert!(matches!(
            write_file(&path, b"two", Replace::Never, None),
            Err(WriteError::Clobber(_))
        ));
        assert_eq!(std::fs::read(&path).expect("read"), b"one");
        assert_eq!(
            write_file(&path, b"two", Replace::Always, None).expect("force"),
            Written::Replaced
        );
        assert_eq!(std::fs::read(&path).expect("read"), b"two");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("x"))
            .expect("dir")
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(atomic::TEMP_PREFIX)
            })
            .collect();
        assert!(leftovers.is_empty());
    }
}
