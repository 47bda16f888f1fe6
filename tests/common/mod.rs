//! Shared helpers for integration tests: temp ports repos and running the CLI in-process.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use portflow::{Environment, Output};
use tempfile::TempDir;

/// The project root (the bundled example repo).
pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temp ports repo with the bundled porting.toml and schema copies, and no ports.
pub struct TempRepo {
    pub dir: TempDir,
}

impl TempRepo {
    pub fn new() -> TempRepo {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = project_root();
        std::fs::copy(root.join("porting.toml"), dir.path().join("porting.toml")).expect("copy");
        std::fs::create_dir_all(dir.path().join("schemas")).expect("mkdir");
        for name in ["request", "event", "porting"] {
            let file = format!("schemas/{name}.schema.json");
            std::fs::copy(root.join(&file), dir.path().join(&file)).expect("copy schema");
        }
        std::fs::create_dir_all(dir.path().join("ports")).expect("mkdir");
        TempRepo { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (creating folders), relative to the repo root.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> &Self {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write");
        self
    }

    /// Copies a bundled example port into this repo under the same relative folder.
    pub fn copy_port(&self, rel_dir: &str) -> &Self {
        copy_dir(
            &project_root().join(rel_dir),
            &self.dir.path().join(rel_dir),
        );
        self
    }

    /// Runs the CLI in-process in the repo root with a fixed environment.
    pub fn run(&self, args: &[&str]) -> Output {
        run_in(self.dir.path(), args)
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// Runs `portflow <args>` in-process in `dir` with no terminal, no colour, width 80.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    let mut argv = vec!["portflow"];
    argv.extend_from_slice(args);
    portflow::run(argv, &Environment::fixed(dir))
}

/// The findings of `check --format json` as JSON values.
pub fn json_findings(out: &Output) -> Vec<serde_json::Value> {
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("json output");
    doc["findings"].as_array().expect("findings").clone()
}

/// A complete, valid US landline request for a port at `ports/<id>/`.
pub const VALID_REQUEST: &str = r#"#:schema ../../schemas/request.schema.json
account = "acme-dental"
requested_by = "maria.lopez@example.com"
country = "US"
losing_carrier = "Comcast Business"
port_type = "full"

[end_user]
type = "business"
name = "Acme Dental LLC"
authorized_person = "Maria Lopez"
billing_number = "+12065550143"

[end_user.service_address]
street = "1200 Lakeside Ave"
locality = "Seattle"
region = "WA"
postal_code = "98101"
country = "US"

[[numbers]]
number = "+12065550143"
type = "landline"
tracking_source = "Google Ads"
receiving_number = "+12065550100"
"#;

/// What a run of the built binary printed and how it exited.
#[derive(Debug)]
pub struct BinRun {
    /// The exit code.
    pub code: i32,
    /// Standard output (lossy UTF-8).
    pub stdout: String,
    /// Standard error (lossy UTF-8).
    pub stderr: String,
}

impl BinRun {
    /// Standard output and standard error together.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// The heap a child portflow may use: far above any real run, far below the machine.
pub const CHILD_MAX_DATA_BYTES: u64 = 2 << 30;

/// How long a child portflow may run before the test fails.
pub const CHILD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// The one way tests run the built binary: in `dir`, not on a terminal, colour off, width 80,
/// standard input from `stdin` (empty when `None`), its heap capped (`RLIMIT_DATA`) and killed
/// after [`CHILD_TIMEOUT`], so a regression that hangs or balloons fails the test with a clear
/// message instead of freezing the machine.
pub fn bin(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> BinRun {
    bin_with_env(dir, args, stdin, &[])
}

/// [`bin`] with extra environment variables.
pub fn bin_with_env(
    dir: &Path,
    args: &[&str],
    stdin: Option<&[u8]>,
    env: &[(&str, &str)],
) -> BinRun {
    use std::io::{Read, Write};
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    use std::process::{Command, Stdio};

    let mut command = Command::new(env!("CARGO_BIN_EXE_portflow"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "80")
        .env_remove("PORTFLOW_USER")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: CHILD_MAX_DATA_BYTES as libc::rlim_t,
                rlim_max: CHILD_MAX_DATA_BYTES as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_DATA, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn().expect("run the portflow binary");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        let input = input.to_vec();
        // A writer thread: a child that never reads must not block the test.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    let mut out_pipe = child.stdout.take().expect("stdout pipe");
    let mut err_pipe = child.stderr.take().expect("stderr pipe");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out_pipe.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err_pipe.read_to_end(&mut buf);
        buf
    });
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for portflow") {
            break status;
        }
        if started.elapsed() > CHILD_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "portflow {args:?} in {} ran longer than {CHILD_TIMEOUT:?} and was killed: it hangs",
                dir.display()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let stdout = String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    let Some(code) = status.code() else {
        panic!(
            "portflow {args:?} was killed by signal {:?} (over the {} MiB heap cap?)\nstdout:\n{stdout}\nstderr:\n{stderr}",
            status.signal(),
            CHILD_MAX_DATA_BYTES >> 20
        );
    };
    BinRun {
        code,
        stdout,
        stderr,
    }
}

/// Decodes quoted-printable text (soft line breaks and `=XX` escapes).
pub fn unqp(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).expect("utf-8")
}
