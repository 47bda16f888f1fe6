//! A hostile pull request: links to the runner's files, `/dev/zero` and FIFOs where portflow
//! reads, pathological sizes, PINs under misspelt keys or typed as key names, runaway
//! templates and booby-trapped output paths. Every run goes through the capped child helper,
//! so a regression fails here (killed after 20 s, heap capped) instead of hanging CI.

mod common;
mod history_git;

use std::os::unix::fs::symlink;
use std::path::Path;

use common::{BinRun, TempRepo, VALID_REQUEST, bin, bin_with_env};
use history_git::{ANA, BEN, GitRepo, nov};

const TODAY: &str = "2026-11-25";
const REQUEST: &str = "ports/2026-11-acme/request.toml";

/// What the runner holds that a pull request must never print.
const TOKEN: &str = "ghs_CanaryToken4242";

/// Every output format of `check`.
const FORMATS: &[&str] = &["human", "json", "github", "sarif"];

fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

fn link(target: &str, at: &Path) {
    std::fs::create_dir_all(at.parent().expect("parent")).expect("mkdir");
    symlink(target, at).expect("symlink");
}

/// `render --today TODAY --out <out> [extra]` in `repo`, through the capped binary.
fn render_to(repo: &TempRepo, out: &Path, extra: &[&str]) -> BinRun {
    let out = out.to_string_lossy();
    let mut args = vec!["render", "--today", TODAY, "--out", &out];
    args.extend_from_slice(extra);
    bin(repo.path(), &args, None)
}

/// Makes `path` a FIFO (`"fifo"`) or a link to `/dev/zero` (`"zero"`).
fn special_file(kind: &str, path: &Path) {
    match kind {
        "fifo" => mkfifo(path),
        "zero" => link("/dev/zero", path),
        other => panic!("no special file `{other}`"),
    }
}

/// `check` in every format, through the capped binary.
fn check_all_formats(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Vec<BinRun> {
    FORMATS
        .iter()
        .map(|format| {
            let mut args = vec!["check", "--today", TODAY, "--format", format];
            args.extend_from_slice(extra);
            bin_with_env(dir, &args, None, env)
        })
        .collect()
}

/// The findings of a JSON run as (code, file).
fn codes(run: &BinRun) -> Vec<(String, String)> {
    let doc: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.all()));
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or_default().to_owned(),
                f["file"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn has(run: &BinRun, code: &str, file: &str) -> bool {
    codes(run).iter().any(|(c, f)| c == code && f == file)
}

fn assert_absent(runs: &[BinRun], secret: &str) {
    for run in runs {
        assert!(
            !run.all().contains(secret),
            "`{secret}` leaked:\n{}",
            run.all()
        );
    }
}

/// A repo on `main` with one clean port committed, switched to branch `pr`.
fn pr_repo() -> GitRepo {
    let git = GitRepo::new();
    git.write(REQUEST, VALID_REQUEST);
    git.commit("Add acme", ANA, nov(2, 9));
    git.branch("pr");
    git
}

// Attack 1: `request.toml` committed as a link to the runner's environment. Its content
// must appear in no output, in the work tree, the index and git trees alike.
#[test]
fn a_request_linked_to_the_runner_environment_is_never_read() {
    let repo = TempRepo::new();
    link("/proc/self/environ", &repo.path().join(REQUEST));
    let env = [("GITHUB_TOKEN", TOKEN)];
    let runs = check_all_formats(repo.path(), &[], &env);
    assert_eq!(runs[0].code, 1, "{}", runs[0].all());
    assert!(
        has(&runs[1], "repo::not-a-file", REQUEST),
        "{}",
        runs[1].stdout
    );
    assert_absent(&runs, TOKEN);

    // Outside the repo, a file of the runner's: same refusal, nothing of it printed.
    let outside = tempfile::tempdir().expect("tempdir");
    let secret_file = outside.path().join("credentials.toml");
    std::fs::write(&secret_file, format!("token = \"{TOKEN}\"\n")).expect("write");
    let event = "ports/2026-11-acme/events/001-signed.toml";
    link(&secret_file.to_string_lossy(), &repo.path().join(event));
    let runs = check_all_formats(repo.path(), &[], &[]);
    assert!(
        has(&runs[1], "repo::not-a-file", event),
        "{}",
        runs[1].stdout
    );
    assert_absent(&runs, TOKEN);
}

#[test]
fn a_committed_link_is_refused_in_pr_mode_staged_and_summary() {
    let git = pr_repo();
    let outside = tempfile::tempdir().expect("tempdir");
    let secret_file = outside.path().join("environ");
    std::fs::write(&secret_file, format!("GITHUB_TOKEN={TOKEN}\n")).expect("write");
    std::fs::remove_file(git.path().join(REQUEST)).expect("rm");
    link(&secret_file.to_string_lossy(), &git.path().join(REQUEST));
    git.stage_all();
    let staged = bin(
        git.path(),
        &["check", "--staged", "--today", TODAY, "--format", "json"],
        None,
    );
    assert!(
        has(&staged, "repo::not-a-file", REQUEST),
        "{}",
        staged.all()
    );
    git.commit("Point the request elsewhere", BEN, nov(3, 9));

    let mut runs = check_all_formats(git.path(), &["--base", "main"], &[]);
    assert_eq!(runs[0].code, 1, "{}", runs[0].all());
    assert!(
        has(&runs[1], "repo::not-a-file", REQUEST),
        "{}",
        runs[1].stdout
    );
    runs.push(bin(
        git.path(),
        &["summary", "--base", "main", "--today", TODAY],
        None,
    ));
    runs.push(bin(git.path(), &["status", "--today", TODAY], None));
    runs.push(bin(
        git.path(),
        &["history", "2026-11-acme", "--today", TODAY],
        None,
    ));
    runs.push(staged);
    assert_absent(&runs, TOKEN);
}

// Attack 2: `/dev/zero` and FIFOs where a request or an event is read: a finding in
// seconds, not a hang or a runaway heap.
#[test]
fn dev_zero_and_fifos_are_findings_not_hangs() {
    let repo = TempRepo::new();
    link("/dev/zero", &repo.path().join(REQUEST));
    mkfifo(&repo.path().join("ports/2026-11-other/request.toml"));
    repo.write(
        "ports/2026-11-third/request.toml",
        VALID_REQUEST.replace("+12065550143", "+12065550147"),
    );
    mkfifo(
        &repo
            .path()
            .join("ports/2026-11-third/events/001-signed.toml"),
    );
    let runs = check_all_formats(repo.path(), &[], &[]);
    assert_eq!(runs[0].code, 1, "{}", runs[0].all());
    for file in [
        REQUEST,
        "ports/2026-11-other/request.toml",
        "ports/2026-11-third/events/001-signed.toml",
    ] {
        assert!(
            has(&runs[1], "repo::not-a-file", file),
            "{file}: {}",
            runs[1].stdout
        );
    }
    let status = bin(repo.path(), &["status", "--today", TODAY], None);
    assert_eq!(status.code, 0, "{}", status.all());
}

/// `check --base` reports the request as `repo::not-a-file` and `summary` still runs.
fn assert_pr_refuses_the_request(git: &GitRepo) {
    let check = bin(
        git.path(),
        &[
            "check", "--base", "main", "--today", TODAY, "--format", "json",
        ],
        None,
    );
    assert_eq!(check.code, 1, "{}", check.all());
    assert!(has(&check, "repo::not-a-file", REQUEST), "{}", check.stdout);
    let summary = bin(
        git.path(),
        &["summary", "--base", "main", "--today", TODAY],
        None,
    );
    assert!(summary.code <= 1, "{}", summary.all());
}

#[test]
fn dev_zero_committed_in_a_pull_request_is_a_finding_for_check_and_summary() {
    let git = pr_repo();
    std::fs::remove_file(git.path().join(REQUEST)).expect("rm");
    link("/dev/zero", &git.path().join(REQUEST));
    link(
        "/dev/zero",
        &git.path().join("ports/2026-11-acme/events/001-signed.toml"),
    );
    git.commit("Zero", BEN, nov(3, 9));
    assert_pr_refuses_the_request(&git);

    // A FIFO cannot be committed, but it can sit in the work tree a PR check reads.
    std::fs::remove_file(git.path().join(REQUEST)).expect("rm");
    mkfifo(&git.path().join(REQUEST));
    assert_pr_refuses_the_request(&git);
}

#[test]
fn a_request_over_the_size_cap_is_not_read() {
    let repo = TempRepo::new();
    let mut big = VALID_REQUEST.to_owned();
    big.push_str(&format!("# {}\n", "x".repeat(3 << 20)));
    repo.write(REQUEST, big);
    let run = bin(
        repo.path(),
        &["check", "--today", TODAY, "--format", "json"],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(has(&run, "repo::too-large", REQUEST), "{}", run.stdout);
}

// Attack 3: 20,000 duplicate numbers. Every format finishes well inside the helper's
// limit: positions come from a line index, snippets from the lines around each span.
#[test]
fn twenty_thousand_duplicates_report_in_linear_time() {
    let repo = TempRepo::new();
    let mut text = VALID_REQUEST.to_owned();
    for _ in 0..20_000 {
        text.push_str("\n[[numbers]]\nnumber = \"+12065550143\"\ntype = \"landline\"\n");
    }
    repo.write(REQUEST, text);
    for format in FORMATS {
        let run = bin(
            repo.path(),
            &["check", "--today", TODAY, "--format", format],
            None,
        );
        assert_eq!(run.code, 1, "{format}");
        assert!(
            run.stdout.matches("number::duplicate").count()
                + run.stdout.matches("number%3A%3Aduplicate").count()
                >= 20_000,
            "{format}: {}",
            &run.stdout[..run.stdout.len().min(2000)]
        );
    }
}

// Attack 4: a plaintext PIN under keys that are not spelt `pin`, and a PIN typed as a key
// name, appear in no output of any format, nor in the summary or render's refusal.
#[test]
fn misspelt_pin_keys_never_show_the_pin() {
    for (i, key) in [
        "pinCode",
        "transferpin",
        "pni",
        "pinnumber",
        "security_code",
        "PIN",
        "Pass Code",
    ]
    .iter()
    .enumerate()
    {
        let pin = format!("93{i}7154");
        let repo = TempRepo::new();
        let quoted = if key.contains(' ') {
            format!("\"{key}\"")
        } else {
            (*key).to_owned()
        };
        let request = VALID_REQUEST.replace(
            "billing_number = \"+12065550143\"\n",
            &format!("billing_number = \"+12065550143\"\n{quoted} = \"{pin}\"\n"),
        );
        repo.write(REQUEST, request);
        let mut runs = check_all_formats(repo.path(), &[], &[]);
        assert_eq!(runs[0].code, 1, "{key}: {}", runs[0].all());
        runs.push(bin(repo.path(), &["render", "--today", TODAY], None));
        runs.push(bin(
            repo.path(),
            &["status", "--today", TODAY, "--format", "json"],
            None,
        ));
        assert_absent(&runs, &pin);
    }
}

#[test]
fn a_pin_typed_as_a_key_name_is_never_echoed() {
    let pin = "48213579";
    let git = pr_repo();
    let request = VALID_REQUEST.replace(
        "billing_number = \"+12065550143\"\n",
        &format!("billing_number = \"+12065550143\"\n{pin} = \"the transfer pin\"\n"),
    );
    git.write(REQUEST, request);
    git.commit("Add the PIN", BEN, nov(3, 9));
    let mut runs = check_all_formats(git.path(), &[], &[]);
    let json = &runs[1];
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    let messages: Vec<&str> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "schema::violation")
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("an unknown key on line 13")),
        "{messages:?}"
    );
    runs.extend(check_all_formats(git.path(), &["--base", "main"], &[]));
    runs.push(bin(
        git.path(),
        &["summary", "--base", "main", "--today", TODAY],
        None,
    ));
    runs.push(bin(git.path(), &["render", "--today", TODAY], None));
    assert_absent(&runs, pin);
}

// Attack 5: templates without limits. Each stops with exit 2 naming the template.
#[test]
fn runaway_templates_stop_with_an_error_naming_the_template() {
    let cases: &[(&str, &str)] = &[
        (
            "nested loops",
            "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
        ),
        (
            "huge strings",
            "{% for a in range(100000) %}{{ 'x' * 10000000 }}{% endfor %}",
        ),
    ];
    for (what, template) in cases {
        let repo = TempRepo::new();
        repo.copy_port("ports/2026-11-pinecrest-plumbing");
        repo.write("templates/loa/default.j2", template);
        let out = tempfile::tempdir().expect("tempdir");
        let run = render_to(&repo, out.path(), &[]);
        assert_eq!(run.code, 2, "{what}: {}", run.all());
        assert!(
            run.stderr.contains("templates/loa/default.j2"),
            "{what}: {}",
            run.stderr
        );
    }
    for special in ["fifo", "zero"] {
        let repo = TempRepo::new();
        repo.copy_port("ports/2026-11-pinecrest-plumbing");
        let path = repo.path().join("templates/loa/default.j2");
        special_file(special, &path);
        let out = tempfile::tempdir().expect("tempdir");
        let run = render_to(&repo, out.path(), &[]);
        assert_eq!(run.code, 2, "{special}: {}", run.all());
        assert!(
            run.stderr.contains("templates/loa/default.j2"),
            "{special}: {}",
            run.stderr
        );
    }
}

// Attack 6: output paths. An existing output that is a FIFO or a link to `/dev/zero` is
// refused, not read; temp files a killed run left behind are swept and ignored by git.
#[test]
fn render_refuses_special_files_at_its_output_paths() {
    for special in ["fifo", "zero"] {
        let repo = TempRepo::new();
        repo.copy_port("ports/2026-11-pinecrest-plumbing");
        let out = tempfile::tempdir().expect("tempdir");
        let target = out.path().join("2026-11-pinecrest-plumbing/loa.pdf");
        special_file(special, &target);
        let run = render_to(&repo, out.path(), &["--force"]);
        assert_ne!(run.code, 0, "{special}: {}", run.all());
        assert!(
            run.stderr.contains("not a regular file"),
            "{special}: {}",
            run.stderr
        );
        assert!(
            std::fs::symlink_metadata(&target).is_ok_and(|m| !m.is_file()),
            "{special}: the special file is left as it was"
        );
    }
}

#[test]
fn temp_files_of_a_killed_write_are_swept_and_ignored() {
    let repo = TempRepo::new();
    repo.copy_port("ports/2026-11-pinecrest-plumbing");
    let out = tempfile::tempdir().expect("tempdir");
    let folder = out.path().join("2026-11-pinecrest-plumbing");
    std::fs::create_dir_all(&folder).expect("mkdir");
    // A pid no process has (above the kernel's pid_max).
    let leftover = folder.join(".portflow-tmp.99999999.0.loa.pdf");
    std::fs::write(&leftover, b"half a pdf").expect("write");
    let run = render_to(&repo, out.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(!leftover.exists(), "the next write removes the leftover");

    // In a port folder, a leftover is named by a warning; init's .gitignore ignores it.
    let port_leftover =
        "ports/2026-11-pinecrest-plumbing/events/.portflow-tmp.99999999.0.004-scheduled.toml";
    repo.write(port_leftover, "kind = \"scheduled\"\n");
    let check = bin(
        repo.path(),
        &["check", "--today", TODAY, "--format", "json"],
        None,
    );
    assert!(
        has(&check, "repo::stray", port_leftover),
        "{}",
        check.stdout
    );

    let desk = tempfile::tempdir().expect("tempdir");
    let init = bin(desk.path(), &["init", "repo"], None);
    assert_eq!(init.code, 0, "{}", init.all());
    let root = desk.path().join("repo");
    history_git::git_in(&root, &["init", "-q"]);
    let ignored = history_git::git_in(
        &root,
        &[
            "check-ignore",
            "ports/x/events/.portflow-tmp.123.0.001-signed.toml",
        ],
    );
    assert!(ignored.contains(".portflow-tmp."), "{ignored}");
}

// Attack 7, the smaller ones.
#[test]
fn carrier_copies_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let repo = TempRepo::new();
    repo.copy_port("ports/2026-11-okafor-prepaid");
    let out = tempfile::tempdir().expect("tempdir");
    let identity = common::project_root().join("keys/demo-identity.txt");
    let run = render_to(
        &repo,
        out.path(),
        &[
            "2026-11-okafor-prepaid",
            "--identity",
            &identity.to_string_lossy(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let copy = out
        .path()
        .join("2026-11-okafor-prepaid/loa-carrier-copy.pdf");
    let mode = std::fs::metadata(&copy).expect("copy").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
}

#[test]
fn policy_values_that_cannot_work_are_findings() {
    let repo = TempRepo::new();
    let policy = std::fs::read_to_string(repo.path().join("porting.toml")).expect("read");
    let policy = regex_replace(&policy, r"domestic = \[[^\]]*\]", "domestic = [28, 14]");
    let policy = regex_replace(
        &policy,
        r#"pattern = "[^"]*""#,
        r#"pattern = "^[A-Z{3}[0-9]{6}$""#,
    );
    repo.write("porting.toml", policy);
    let run = bin(
        repo.path(),
        &["check", "--today", TODAY, "--format", "json"],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.all());
    let policy_findings: Vec<_> = codes(&run)
        .into_iter()
        .filter(|(c, f)| c == "policy::invalid" && f == "porting.toml")
        .collect();
    assert_eq!(policy_findings.len(), 2, "{}", run.stdout);
}

fn regex_replace(text: &str, pattern: &str, with: &str) -> String {
    let re = regex::Regex::new(pattern).expect("regex");
    assert!(re.is_match(text), "{pattern} not in the policy");
    re.replace(text, regex::NoExpand(with)).into_owned()
}

#[test]
fn skipped_paths_are_named() {
    let repo = TempRepo::new();
    repo.write(REQUEST, VALID_REQUEST);
    repo.write(
        "ports/2026-11-acme/events/.001-signed.toml",
        "kind = \"signed\"\n",
    );
    // A port folder that is a link to another one.
    link("2026-11-acme", &repo.path().join("ports/2026-11-mirror"));
    // A folder whose name is not UTF-8.
    let bad = std::ffi::OsStr::from_encoded_bytes_unchecked_safe(b"2026-11-caf\xe9");
    std::fs::create_dir_all(repo.path().join("ports").join(bad)).expect("mkdir");
    std::fs::write(
        repo.path().join("ports").join(bad).join("request.toml"),
        VALID_REQUEST,
    )
    .expect("write");
    let run = bin(
        repo.path(),
        &["check", "--today", TODAY, "--format", "json"],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.all());
    let found = codes(&run);
    assert!(
        found.contains(&(
            "repo::stray".to_owned(),
            "ports/2026-11-acme/events/.001-signed.toml".to_owned()
        )),
        "{found:?}"
    );
    assert!(
        found.contains(&(
            "repo::not-a-file".to_owned(),
            "ports/2026-11-mirror".to_owned()
        )),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(c, f)| c == "repo::stray" && f == "ports/2026-11-caf\u{fffd}"),
        "{found:?}"
    );
}

/// `OsStr` from bytes on Unix, where any bytes make a file name.
trait FromBytes {
    fn from_encoded_bytes_unchecked_safe(bytes: &[u8]) -> &std::ffi::OsStr;
}

impl FromBytes for std::ffi::OsStr {
    fn from_encoded_bytes_unchecked_safe(bytes: &[u8]) -> &std::ffi::OsStr {
        use std::os::unix::ffi::OsStrExt;
        std::ffi::OsStr::from_bytes(bytes)
    }
}
