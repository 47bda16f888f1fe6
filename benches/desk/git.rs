//! Git for the synthetic desk: a `git fast-import` stream for the generated history, and
//! plain `git` commands that never read the machine's or the user's git configuration.

use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

use super::words::STAFF;

/// One commit: who made it and when, its message and the files it adds or replaces.
#[derive(Debug, Clone)]
pub struct Commit {
    /// Seconds since the Unix epoch.
    pub utc: i64,
    /// Index into [`STAFF`]: author and committer.
    pub staff: usize,
    pub message: String,
    /// Repo-relative path and content.
    pub files: Vec<(String, Vec<u8>)>,
}

impl Commit {
    /// `1767225600 -0500`: git's raw date format, in the staff member's own time zone.
    pub fn raw_date(&self) -> String {
        let offset = STAFF[self.staff].2;
        let sign = if offset < 0 { '-' } else { '+' };
        let abs = offset.abs();
        format!("{} {sign}{:02}{:02}", self.utc, abs / 60, abs % 60)
    }

    /// `Name <email>`.
    fn identity(&self) -> String {
        let (name, email, _) = STAFF[self.staff];
        format!("{name} <{email}>")
    }
}

/// A `git` command run in `dir` that sees no system or global configuration (no hooks,
/// no signing, no identity from the machine) and never runs `gc` on its own.
pub fn git(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .args(["-c", "gc.auto=0", "-c", "commit.gpgsign=false"]);
    cmd
}

/// Runs a git command to completion; an error carries its stderr.
pub fn run(cmd: &mut Command) -> io::Result<()> {
    let out = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// A running `git fast-import`, fed commit by commit.
pub struct FastImport {
    child: Child,
    stream: BufWriter<ChildStdin>,
    /// The last mark handed out.
    marks: usize,
}

impl FastImport {
    /// Starts `git fast-import` in an initialized repository.
    pub fn start(dir: &Path) -> io::Result<FastImport> {
        let mut child = git(dir)
            .args(["fast-import", "--quiet", "--done", "--date-format=raw"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| io::Error::other("git fast-import has no stdin"))?;
        Ok(FastImport {
            child,
            stream: BufWriter::with_capacity(1 << 20, stdin),
            marks: 0,
        })
    }

    /// Writes one commit onto `branch` (after its previous commit, or after `from`, a mark
    /// or ref, for the first commit of a new branch) and returns its mark.
    pub fn commit(&mut self, branch: &str, from: Option<&str>, c: &Commit) -> io::Result<String> {
        self.marks += 1;
        let mark = format!(":{}", self.marks);
        let w = &mut self.stream;
        writeln!(w, "commit refs/heads/{branch}")?;
        writeln!(w, "mark {mark}")?;
        writeln!(w, "author {} {}", c.identity(), c.raw_date())?;
        writeln!(w, "committer {} {}", c.identity(), c.raw_date())?;
        data(w, c.message.as_bytes())?;
        if let Some(from) = from {
            writeln!(w, "from {from}")?;
        }
        for (path, bytes) in &c.files {
            writeln!(w, "M 100644 inline {path}")?;
            data(w, bytes)?;
        }
        writeln!(w)?;
        Ok(mark)
    }

    /// Ends the stream and waits for git to write the pack and refs.
    pub fn finish(mut self) -> io::Result<()> {
        writeln!(self.stream, "done")?;
        self.stream.flush()?;
        drop(self.stream);
        let status = self.child.wait()?;
        if status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "git fast-import failed: {status}"
            )))
        }
    }
}

/// A `data` block: its exact length, the bytes, a newline.
fn data(w: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    writeln!(w, "data {}", bytes.len())?;
    w.write_all(bytes)?;
    writeln!(w)
}
