//! Running one measured child process: wall time and peak memory, under a memory cap and a
//! timeout, so a runaway command is reported ("timed out", "killed (memory)") instead of
//! taking the machine down.
//!
//! The children are started by a [`Launcher`], a small process of its own started before
//! the repo is generated: a forked child's peak RSS (`ru_maxrss`) starts at the memory it
//! shares with the process it was forked from, and the generator's would be counted too.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// A command to run, as the launcher receives it (one JSON line).
#[derive(Debug, Serialize, Deserialize)]
struct Request {
    program: PathBuf,
    args: Vec<String>,
    cwd: Option<PathBuf>,
    /// Variables to set (`Some`) or remove (`None`).
    env: Vec<(String, Option<String>)>,
    limits: Limits,
    out: PathBuf,
    label: String,
}

/// The process that starts the measured commands.
pub struct Launcher {
    child: Child,
    requests: BufWriter<ChildStdin>,
    replies: BufReader<ChildStdout>,
}

impl Launcher {
    /// Starts `program args…` as the launcher: a program that calls [`serve`].
    pub fn start(program: &Path, args: &[&str]) -> io::Result<Launcher> {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(io::Error::other("the launcher has no pipes"));
        };
        Ok(Launcher {
            child,
            requests: BufWriter::new(stdin),
            replies: BufReader::new(stdout),
        })
    }

    /// Runs a command through the launcher (see [`run`]).
    pub fn run(
        &mut self,
        cmd: &Command,
        limits: Limits,
        out: &Path,
        label: &str,
    ) -> io::Result<Sample> {
        let text = |s: &OsStr| s.to_string_lossy().into_owned();
        let request = Request {
            program: PathBuf::from(cmd.get_program()),
            args: cmd.get_args().map(text).collect(),
            cwd: cmd.get_current_dir().map(Path::to_path_buf),
            env: cmd
                .get_envs()
                .map(|(k, v)| (text(k), v.map(text)))
                .collect(),
            limits,
            out: out.to_path_buf(),
            label: label.to_owned(),
        };
        serde_json::to_writer(&mut self.requests, &request)?;
        writeln!(self.requests)?;
        self.requests.flush()?;
        let mut line = String::new();
        if self.replies.read_line(&mut line)? == 0 {
            return Err(io::Error::other("the launcher stopped"));
        }
        let reply: Result<Sample, String> = serde_json::from_str(&line)?;
        reply.map_err(io::Error::other)
    }
}

impl Drop for Launcher {
    fn drop(&mut self) {
        // Closing its stdin ends the launcher's loop.
        let _ = self.requests.flush();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The launcher's loop: one JSON request per line on stdin, one JSON reply per line on
/// stdout, until stdin closes.
pub fn serve() -> io::Result<()> {
    let stdin = io::stdin().lock();
    let mut stdout = io::stdout().lock();
    for line in stdin.lines() {
        let request: Request = serde_json::from_str(&line?)?;
        let mut cmd = Command::new(&request.program);
        cmd.args(&request.args);
        if let Some(cwd) = &request.cwd {
            cmd.current_dir(cwd);
        }
        for (key, value) in &request.env {
            match value {
                Some(value) => cmd.env(key, value),
                None => cmd.env_remove(key),
            };
        }
        let reply =
            run(&mut cmd, request.limits, &request.out, &request.label).map_err(|e| e.to_string());
        serde_json::to_writer(&mut stdout, &reply)?;
        writeln!(stdout)?;
        stdout.flush()?;
    }
    Ok(())
}

/// What every measured child may use.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Limits {
    /// RLIMIT_DATA in bytes: heap and other private writable memory.
    pub memory: u64,
    /// Wall time after which the child's process group is killed.
    pub timeout: Duration,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Exited(i32),
    TimedOut,
    OutOfMemory,
    Signalled(i32),
}

impl Outcome {
    /// Whether the run finished on its own (any exit status).
    pub fn finished(self) -> bool {
        matches!(self, Outcome::Exited(_))
    }
}

/// One run of one command.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sample {
    pub wall: Duration,
    /// User plus system CPU time.
    pub cpu: Duration,
    /// The child's RSS high-water mark (`ru_maxrss`), in KiB.
    pub peak_kib: u64,
    pub outcome: Outcome,
    /// The last line the child wrote to stdout, or else to stderr.
    pub last_line: String,
}

/// Runs `cmd` with its output in `out/<label>.out|.err`, waits for it (killing its process
/// group at the timeout) and reads its rusage.
pub fn run(cmd: &mut Command, limits: Limits, out: &Path, label: &str) -> io::Result<Sample> {
    let stdout_path = out.join(format!("{label}.out"));
    let stderr_path = out.join(format!("{label}.err"));
    cmd.stdin(Stdio::null())
        .stdout(File::create(&stdout_path)?)
        .stderr(File::create(&stderr_path)?)
        .process_group(0);
    let memory = limits.memory;
    // SAFETY: setrlimit is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: memory,
                rlim_max: memory,
            };
            if libc::setrlimit(libc::RLIMIT_DATA, &limit) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let start = Instant::now();
    let child = cmd.spawn()?;
    let pid = child.id() as libc::pid_t;

    // The watchdog kills the group at the timeout, unless the child has exited; the child
    // is reaped only after `exited` is set, so its pid cannot have been reused by then.
    let exited = Arc::new((Mutex::new(false), Condvar::new()));
    let timed_out = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let exited = exited.clone();
        let timed_out = timed_out.clone();
        let timeout = limits.timeout;
        std::thread::spawn(move || {
            let (lock, cv) = &*exited;
            let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
            let (guard, _) = cv
                .wait_timeout_while(guard, timeout, |done| !*done)
                .unwrap_or_else(|e| e.into_inner());
            if !*guard {
                timed_out.store(true, Ordering::SeqCst);
                // SAFETY: plain syscall on the child's own process group.
                unsafe { libc::kill(-pid, libc::SIGKILL) };
            }
        })
    };
    // Wait for the exit without reaping (WNOWAIT), so the clock stops at the exit.
    loop {
        // SAFETY: `info` is a plain C struct the kernel fills in.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if r == 0 {
            break;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    let wall = start.elapsed();
    {
        let (lock, cv) = &*exited;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cv.notify_all();
    }
    let _ = watchdog.join();
    let mut status = 0;
    // SAFETY: `usage` is a plain C struct the kernel fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::wait4(pid, &mut status, 0, &mut usage) } < 0 {
        return Err(io::Error::last_os_error());
    }
    drop(child);

    let stderr_tail = tail(&stderr_path)?;
    let out_of_memory = [
        "memory allocation of",
        "MemoryError",
        "out of memory",
        "Cannot allocate memory",
    ]
    .iter()
    .any(|m| stderr_tail.to_lowercase().contains(&m.to_lowercase()));
    let outcome = if timed_out.load(Ordering::SeqCst) {
        Outcome::TimedOut
    } else if libc::WIFEXITED(status) {
        let code = libc::WEXITSTATUS(status);
        if code != 0 && out_of_memory {
            Outcome::OutOfMemory
        } else {
            Outcome::Exited(code)
        }
    } else {
        let signal = libc::WTERMSIG(status);
        // An allocation failure aborts a Rust program; a SIGKILL we did not send is the
        // kernel's out-of-memory killer.
        if out_of_memory || signal == libc::SIGKILL {
            Outcome::OutOfMemory
        } else {
            Outcome::Signalled(signal)
        }
    };
    let stdout_tail = tail(&stdout_path)?;
    let last_line = last_line(&stdout_tail)
        .or_else(|| last_line(&stderr_tail))
        .unwrap_or_default();
    Ok(Sample {
        wall,
        cpu: timeval(usage.ru_utime) + timeval(usage.ru_stime),
        peak_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
        outcome,
        last_line,
    })
}

fn timeval(t: libc::timeval) -> Duration {
    let secs = u64::try_from(t.tv_sec).unwrap_or(0);
    let micros = u64::try_from(t.tv_usec).unwrap_or(0);
    Duration::from_secs(secs) + Duration::from_micros(micros)
}

/// The last 4 KiB of a file, as text.
fn tail(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    file.seek(SeekFrom::Start(len.saturating_sub(4096)))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn last_line(text: &str) -> Option<String> {
    text.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .map(|l| l.chars().take(80).collect())
}
