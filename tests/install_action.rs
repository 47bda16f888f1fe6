//! The action a team's pipeline runs (action.yml), its steps' scripts run here as the runner
//! runs them: the install takes a release archive only when its SHA-256 matches, on a platform
//! the release has, and the inputs reach `portflow` as the docs say. A local folder stands in
//! for the GitHub release (`file://`), and a stand-in script for the portflow binary.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const TARGET: &str = "x86_64-unknown-linux-musl";

/// A stand-in for portflow: logs its arguments, prints what each command would, and exits
/// with `STUB_EXIT` for `check`.
const STUB: &str = r##"#!/bin/sh
printf '%s\n' "$*" >> "$STUB_LOG"
case "$1" in
  --version) echo "portflow ${STUB_VERSION:-0.1.0}" ;;
  check) echo "checked: $*"; exit "${STUB_EXIT:-0}" ;;
  summary) printf '<!-- portflow-summary -->\nthe change\n' ;;
  report) echo "# Porting report" ;;
  status) echo "PORT  STAGE" ;;
esac
"##;

/// The `run` script of the action's step with this id.
fn script(id: &str) -> String {
    let text = std::fs::read_to_string(common::project_root().join("action.yml")).expect("read");
    let action: Value = serde_norway::from_str(&text).expect("action.yml is YAML");
    action["runs"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["id"] == id)
        .and_then(|s| s["run"].as_str())
        .unwrap_or_else(|| panic!("action.yml has a step `{id}` with a script"))
        .to_owned()
}

/// A runner's job in a temp folder: RUNNER_TEMP, the workspace, the files the runner reads
/// back (GITHUB_PATH, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY), a folder of executables on PATH
/// and a log of the stand-in's calls.
struct Job {
    dir: tempfile::TempDir,
}

/// How a step ended.
struct StepRun {
    code: i32,
    output: String,
}

impl Job {
    fn new() -> Job {
        let job = Job {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        for dir in ["temp", "workspace", "bin", "releases"] {
            std::fs::create_dir_all(job.path(dir)).expect("mkdir");
        }
        for file in ["path", "output", "step-summary", "log"] {
            std::fs::write(job.path(file), "").expect("write");
        }
        job
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_default()
    }

    /// Puts the stand-in on PATH as `portflow`.
    fn stub_on_path(&self) {
        write_executable(&self.path("bin/portflow"), STUB);
    }

    /// Publishes a release `v<version>` holding a stand-in that prints `printed` as its
    /// version, with the archive's SHA-256 beside it; returns the archive's path.
    fn publish(&self, version: &str, printed: &str) -> PathBuf {
        let name = format!("portflow-{version}-{TARGET}");
        let staging = self.path("staging").join(&name);
        std::fs::create_dir_all(&staging).expect("mkdir");
        write_executable(
            &staging.join("portflow"),
            &format!("#!/bin/sh\necho \"portflow {printed}\"\n"),
        );
        let release = self.path("releases").join(format!("v{version}"));
        std::fs::create_dir_all(&release).expect("mkdir");
        let archive = release.join(format!("{name}.tar.gz"));
        let tar = Command::new("tar")
            .arg("-czf")
            .arg(&archive)
            .arg("-C")
            .arg(self.path("staging"))
            .arg(&name)
            .status()
            .expect("run tar");
        assert!(tar.success());
        let sum = sha256_hex(&std::fs::read(&archive).expect("read archive"));
        std::fs::write(
            release.join(format!("{name}.tar.gz.sha256")),
            format!("{sum}  {name}.tar.gz\n"),
        )
        .expect("write .sha256");
        archive
    }

    /// Runs the action's step `id` as the runner does (`bash --noprofile --norc -eo pipefail
    /// FILE` in the workspace) with the step's environment `env`.
    fn step(&self, id: &str, env: &[(&str, &str)]) -> StepRun {
        let file = self.path(&format!("{id}.sh"));
        std::fs::write(&file, script(id)).expect("write script");
        let path = format!(
            "{}:{}",
            self.path("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut command = Command::new("bash");
        command
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&file)
            .current_dir(self.path("workspace"))
            .env_clear()
            .env("PATH", path)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("RUNNER_TEMP", self.path("temp"))
            .env("GITHUB_PATH", self.path("path"))
            .env("GITHUB_OUTPUT", self.path("output"))
            .env("GITHUB_STEP_SUMMARY", self.path("step-summary"))
            .env("STUB_LOG", self.path("log"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        run_capped(command)
    }

    /// The install step with the release folder standing in for GitHub's.
    fn install(&self, env: &[(&str, &str)]) -> StepRun {
        let releases = format!("file://{}", self.path("releases").display());
        let mut all = vec![
            ("INSTALL", "true"),
            ("CHECK", "true"),
            ("RELEASES", releases.as_str()),
        ];
        all.extend_from_slice(env);
        self.step("install", &all)
    }
}

fn write_executable(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).expect("write");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Runs a step's shell, killed after a minute so a hanging script fails the test.
fn run_capped(mut command: Command) -> StepRun {
    let mut child = command.spawn().expect("run bash");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the action's step ran longer than a minute and was killed");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let output = format!(
        "{}{}",
        out_reader.join().unwrap_or_default(),
        err_reader.join().unwrap_or_default()
    );
    StepRun {
        code: status.code().unwrap_or(-1),
        output,
    }
}

#[test]
fn the_action_installs_a_release_whose_checksum_matches() {
    let job = Job::new();
    job.publish("0.1.0", "0.1.0");
    // `v0.1.0` names the same release as `0.1.0`.
    for version in ["0.1.0", "v0.1.0"] {
        let run = job.install(&[("VERSION", version)]);
        assert_eq!(run.code, 0, "{}", run.output);
        assert!(
            run.output.contains("installed portflow 0.1.0"),
            "{}",
            run.output
        );
    }
    let dir = job.path(&format!("temp/portflow-0.1.0/portflow-0.1.0-{TARGET}"));
    assert_eq!(
        job.read("path").lines().last(),
        Some(dir.to_str().expect("utf-8"))
    );
    assert!(job.read("output").contains("version=0.1.0\n"));
    let installed = Command::new(dir.join("portflow"))
        .arg("--version")
        .output()
        .expect("run the installed stand-in");
    assert_eq!(
        String::from_utf8_lossy(&installed.stdout),
        "portflow 0.1.0\n"
    );
}

// A damaged download or a replaced asset must never reach PATH.
#[test]
fn the_action_refuses_an_archive_whose_checksum_differs() {
    let job = Job::new();
    let archive = job.publish("0.1.0", "0.1.0");
    let mut bytes = std::fs::read(&archive).expect("read");
    bytes.extend_from_slice(b"tampered");
    std::fs::write(&archive, bytes).expect("write");
    let run = job.install(&[("VERSION", "0.1.0")]);
    assert_eq!(run.code, 1, "{}", run.output);
    assert!(
        run.output.contains(&format!(
            "::error title=portflow::checksum mismatch for portflow-0.1.0-{TARGET}.tar.gz"
        )),
        "{}",
        run.output
    );
    assert!(
        run.output.contains("nothing was installed"),
        "{}",
        run.output
    );
    assert_eq!(job.read("path"), "");

    let sha = archive.with_file_name(format!("portflow-0.1.0-{TARGET}.tar.gz.sha256"));
    std::fs::write(&sha, "not a checksum\n").expect("write");
    let run = job.install(&[("VERSION", "0.1.0")]);
    assert_eq!(run.code, 1, "{}", run.output);
    assert!(run.output.contains("holds no SHA-256"), "{}", run.output);
    assert_eq!(job.read("path"), "");
}

#[test]
fn the_action_says_what_it_cannot_install() {
    let job = Job::new();
    job.publish("0.1.0", "0.0.9");
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("VERSION", "0.1.0"), ("RUNNER_OS", "Windows")],
            "portflow has no release binary for Windows on X64",
        ),
        (
            &[("VERSION", "0.1.0"), ("RUNNER_ARCH", "ARM")],
            "portflow has no release binary for Linux on ARM",
        ),
        (
            &[("VERSION", "main")],
            "version is a portflow release such as 0.1.0, not `main`: pin a release, never a branch",
        ),
        (
            &[("VERSION", "0.2.0")],
            "is 0.2.0 a published portflow release?",
        ),
        (
            &[("VERSION", "0.1.0")],
            "holds `portflow 0.0.9`, not portflow 0.1.0",
        ),
        (
            &[("VERSION", "0.1.0"), ("CHECK", "yes")],
            "the input check is `true` or `false`, not `yes`",
        ),
    ];
    for (env, message) in cases {
        let run = job.install(env);
        assert_eq!(run.code, 1, "{env:?}: {}", run.output);
        assert!(
            run.output.contains("::error title=portflow::") && run.output.contains(message),
            "{env:?}: {}",
            run.output
        );
        assert_eq!(job.read("path"), "", "{env:?}");
    }
}

#[test]
fn the_action_uses_the_portflow_on_path_when_install_is_false() {
    let job = Job::new();
    let run = job.install(&[("VERSION", "0.1.0"), ("INSTALL", "false")]);
    assert_eq!(run.code, 1, "{}", run.output);
    assert!(
        run.output.contains("no portflow is on PATH"),
        "{}",
        run.output
    );

    job.stub_on_path();
    let run = job.install(&[("VERSION", "0.1.0"), ("INSTALL", "false")]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(job.read("output").contains("version=0.1.0\n"));
    assert_eq!(job.read("path"), "", "nothing downloaded, nothing added");
    assert_eq!(job.read("log"), "--version\n");
}

#[test]
fn the_action_checks_with_the_base_and_arguments_given() {
    let job = Job::new();
    job.stub_on_path();
    let run = job.step(
        "check",
        &[
            ("CHECK", "true"),
            ("BASE", "origin/main"),
            ("ARGS", "--deny-warnings  --only secret::plaintext"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.output);
    let run = job.step("check", &[("CHECK", "true"), ("BASE", ""), ("ARGS", "")]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert_eq!(
        job.read("log"),
        "check --base origin/main --format github --deny-warnings --only secret::plaintext\n\
         check --format github\n"
    );

    // Findings fail the step, and so the action; `check: false` runs nothing.
    let run = job.step(
        "check",
        &[
            ("CHECK", "true"),
            ("BASE", ""),
            ("ARGS", ""),
            ("STUB_EXIT", "1"),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.output);
    std::fs::write(job.path("log"), "").expect("clear");
    let run = job.step("check", &[("CHECK", "false"), ("BASE", ""), ("ARGS", "")]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert_eq!(job.read("log"), "");
}

#[test]
fn the_action_writes_the_summary_the_workflow_asks_for() {
    let job = Job::new();
    job.stub_on_path();
    // A pull request: the reviewer summary of the change, in the file and the job summary.
    let run = job.step(
        "summary",
        &[
            ("SUMMARY", "summary.md"),
            ("BASE", "origin/main"),
            // Set by the runner in every job.
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "example/ports"),
            ("GITHUB_RUN_ID", "42"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.output);
    let summary = job.read("workspace/summary.md");
    assert_eq!(summary, "<!-- portflow-summary -->\nthe change\n");
    assert_eq!(job.read("step-summary"), summary);
    assert_eq!(
        job.read("log"),
        "summary --base origin/main --loa-link https://github.com/example/ports/actions/runs/42\n"
    );

    // No base (a push, a nightly run): the report and every port's status.
    std::fs::write(job.path("log"), "").expect("clear");
    let run = job.step("summary", &[("SUMMARY", "status.md"), ("BASE", "")]);
    assert_eq!(run.code, 0, "{}", run.output);
    let status = job.read("workspace/status.md");
    assert!(
        status.starts_with("# Porting report\n") && status.contains("```\nPORT  STAGE\n```"),
        "{status}"
    );
    assert_eq!(job.read("log"), "report\nstatus\n");

    // No file asked for: nothing runs.
    std::fs::write(job.path("log"), "").expect("clear");
    let run = job.step("summary", &[("SUMMARY", ""), ("BASE", "origin/main")]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert_eq!(job.read("log"), "");
}

#[test]
fn the_action_writes_sarif_with_findings_and_fails_when_portflow_cannot_run() {
    let job = Job::new();
    job.stub_on_path();
    let run = job.step("sarif", &[("SARIF", "portflow.sarif"), ("STUB_EXIT", "1")]);
    assert_eq!(
        run.code, 0,
        "exit 1 is findings, which the log holds: {}",
        run.output
    );
    assert_eq!(
        job.read("workspace/portflow.sarif"),
        "checked: check --format sarif\n"
    );

    std::fs::remove_file(job.path("workspace/portflow.sarif")).expect("remove");
    let run = job.step("sarif", &[("SARIF", "portflow.sarif"), ("STUB_EXIT", "2")]);
    assert_ne!(run.code, 0, "{}", run.output);
    assert!(
        !job.path("workspace/portflow.sarif").exists(),
        "no upload of a broken log"
    );

    std::fs::write(job.path("log"), "").expect("clear");
    let run = job.step("sarif", &[("SARIF", "")]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert_eq!(job.read("log"), "");
}
