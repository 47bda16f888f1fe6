//! The GitHub pipeline files: workflows valid against SchemaStore's workflow schema (a copy in
//! tests/fixtures/schemastore) and wired as docs/workflow.md says, and CODEOWNERS that gives
//! each file the owners it should have.

mod common;

use std::path::Path;

use common::project_root;
use regex::Regex;
use serde_json::Value;

fn workflow_validator() -> jsonschema::Validator {
    let path = project_root().join("tests/fixtures/schemastore/github-workflow.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("read"))
        .expect("the workflow schema is JSON");
    jsonschema::validator_for(&schema).expect("the workflow schema compiles")
}

/// A workflow file as JSON. YAML 1.2, so the key `on` stays the string `on`.
fn load(name: &str) -> Value {
    let path = project_root().join(".github/workflows").join(name);
    let text = std::fs::read_to_string(&path).expect("read the workflow");
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{name} is not YAML: {e}"))
}

fn workflow_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(project_root().join(".github/workflows"))
        .expect("workflows folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yml") || n.ends_with(".yaml"))
        .collect();
    names.sort();
    names
}

/// Every step of every job, with its job's id.
fn steps(workflow: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (job, body) in workflow["jobs"].as_object().expect("jobs") {
        for step in body["steps"].as_array().expect("steps") {
            out.push((job.clone(), step.clone()));
        }
    }
    out
}

fn uses(step: &Value) -> &str {
    step["uses"].as_str().unwrap_or("")
}

fn run(step: &Value) -> &str {
    step["run"].as_str().unwrap_or("")
}

#[test]
fn workflows_are_valid_against_the_schemastore_schema() {
    let validator = workflow_validator();
    let names = workflow_names();
    assert_eq!(names, ["ci.yml", "ports.yml"]);
    for name in &names {
        let workflow = load(name);
        let errors: Vec<String> = validator
            .iter_errors(&workflow)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}:\n{}", errors.join("\n"));
    }
    // Guards against a validator that accepts anything: a misspelt key breaks the schema.
    let mut broken = load("ports.yml");
    let job = broken["jobs"]["check"].as_object_mut().expect("check job");
    let runs_on = job.remove("runs-on").expect("runs-on");
    job.insert("runs_on".to_owned(), runs_on);
    assert!(!validator.is_valid(&broken));
}

#[test]
fn ports_workflow_checks_pull_requests_with_full_history_and_main_after_merge() {
    let workflow = load("ports.yml");
    let on = &workflow["on"];
    assert!(on.get("pull_request").is_some() && on.get("merge_group").is_some());
    assert_eq!(on["push"]["branches"], serde_json::json!(["main"]));

    // Least privilege: the workflow reads; each job asks for exactly what it writes.
    assert_eq!(
        workflow["permissions"],
        serde_json::json!({ "contents": "read" })
    );
    let check = &workflow["jobs"]["check"];
    assert_eq!(
        check["permissions"],
        serde_json::json!({
            "contents": "read",
            "pull-requests": "write",
            "security-events": "write",
            "actions": "read",
        })
    );
    assert_eq!(
        workflow["jobs"]["main"]["permissions"]["pull-requests"],
        Value::Null,
        "main comments on nothing"
    );
    // Notices: after main is checked, one run at a time, and write access only to push
    // the ledger of deliveries.
    let notices = &workflow["jobs"]["notices"];
    assert_eq!(notices["needs"], "main");
    assert_eq!(
        notices["permissions"],
        serde_json::json!({ "contents": "write" })
    );
    assert_eq!(notices["concurrency"]["cancel-in-progress"], false);
    let notice_steps = notices["steps"].as_array().expect("steps");
    let send = notice_steps
        .iter()
        .find(|s| s["id"] == "notify")
        .expect("the notify step");
    assert_eq!(
        send["env"]["PORTFLOW_SMTP_URL"],
        "${{ secrets.PORTFLOW_SMTP_URL }}"
    );
    assert!(
        notice_steps.iter().any(|s| s["run"]
            .as_str()
            .is_some_and(|r| r.contains("git push origin refs/notes/portflow-notices"))),
        "the ledger is pushed"
    );

    let all = steps(&workflow);
    let checkouts: Vec<&Value> = all
        .iter()
        .map(|(_, s)| s)
        .filter(|s| uses(s).starts_with("actions/checkout@"))
        .collect();
    assert_eq!(checkouts.len(), 3);
    for step in checkouts {
        assert_eq!(step["with"]["fetch-depth"], 0, "history needs every commit");
        assert_eq!(step["with"]["lfs"], true, "documents may be in LFS");
    }

    let in_job = |job: &str| -> Vec<Value> {
        all.iter()
            .filter(|(j, _)| j == job)
            .map(|(_, s)| s.clone())
            .collect()
    };
    let pr = in_job("check");
    let gate = pr
        .iter()
        .find(|s| run(s).contains("portflow check --base"))
        .expect("the gate step");
    assert_eq!(
        run(gate).trim(),
        "portflow check --base \"$BASE\" --format github"
    );
    assert!(gate.get("if").is_none() && gate.get("continue-on-error").is_none());
    let base = pr
        .iter()
        .find(|s| s["id"] == "base")
        .expect("the base step");
    assert_eq!(base["env"]["BASE_REF"], "${{ github.base_ref }}");
    assert!(run(base).contains("origin/$BASE_REF"));

    let summary = pr
        .iter()
        .find(|s| run(s).contains("portflow summary --base \"$BASE\""))
        .expect("summary step");
    assert!(run(summary).contains("$GITHUB_STEP_SUMMARY"));

    let comment = pr
        .iter()
        .find(|s| uses(s).starts_with("actions/github-script@"))
        .expect("comment step");
    let script = comment["with"]["script"].as_str().expect("script");
    for needle in [
        "<!-- portflow-summary -->",
        "updateComment",
        "createComment",
        "paginate",
    ] {
        assert!(script.contains(needle), "{needle}");
    }

    let render = pr
        .iter()
        .find(|s| run(s).contains("portflow render"))
        .expect("render step");
    assert!(run(render).contains("--out loa"));
    let upload = pr
        .iter()
        .find(|s| uses(s).starts_with("actions/upload-artifact@"))
        .expect("artifact upload");
    assert_eq!(upload["with"]["path"], "loa/");

    // Code scanning needs Advanced Security on private repos: opt-in and never the gate.
    for job in ["check", "main"] {
        let steps = in_job(job);
        let sarif = steps
            .iter()
            .find(|s| run(s).contains("portflow check --format sarif"))
            .expect("SARIF step");
        let upload = steps
            .iter()
            .find(|s| uses(s).starts_with("github/codeql-action/upload-sarif@"))
            .expect("SARIF upload");
        assert_eq!(upload["continue-on-error"], true);
        for step in [sarif, upload] {
            let cond = step["if"].as_str().expect("a condition");
            assert!(
                cond.contains("vars.PORTFLOW_CODE_SCANNING == 'true'"),
                "{cond}"
            );
        }
    }

    let main = in_job("main");
    assert!(
        main.iter()
            .any(|s| run(s).trim() == "portflow check --format github")
    );
    assert!(main.iter().any(|s| run(s).contains("portflow status")));
}

#[test]
fn ci_workflow_runs_the_projects_own_checks() {
    let workflow = load("ci.yml");
    assert_eq!(
        workflow["permissions"],
        serde_json::json!({ "contents": "read" })
    );
    let all = steps(&workflow);
    assert!(all.iter().any(|(_, s)| run(s).trim() == "bash .ci/run"));
    let ci = std::fs::read_to_string(project_root().join(".ci/run")).expect(".ci/run");
    for command in [
        "cargo fmt --check",
        "cargo clippy --all-targets -- -D warnings",
        "cargo test",
        "actionlint .github/workflows/*.yml",
    ] {
        assert!(ci.lines().any(|l| l.trim() == command), "{command}");
    }
}

#[test]
fn every_repository_variable_a_workflow_reads_is_documented() {
    let docs = std::fs::read_to_string(project_root().join("docs/workflow.md")).expect("docs");
    let var = Regex::new(r"vars\.([A-Z0-9_]+)").expect("regex");
    let mut seen = 0;
    for name in workflow_names() {
        let text = std::fs::read_to_string(project_root().join(".github/workflows").join(&name))
            .expect("read");
        for cap in var.captures_iter(&text) {
            seen += 1;
            assert!(
                docs.contains(&format!("`{}`", &cap[1])),
                "{name}: `{}` undocumented",
                &cap[1]
            );
        }
    }
    assert!(seen > 0);
}

/// A CODEOWNERS pattern as a regex over repo-relative paths (the gitignore rules GitHub
/// uses: a leading `/` anchors, a trailing `/` owns everything below, `**` spans folders).
fn pattern_regex(pattern: &str) -> Regex {
    let anchored = pattern.starts_with('/') || pattern.trim_end_matches('/').contains('/');
    let body = pattern.trim_start_matches('/');
    let dir = body.ends_with('/');
    let body = body.trim_end_matches('/');
    let mut re = String::from(if anchored { "^" } else { "^(?:.*/)?" });
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                    re.push_str("(?:.*/)?");
                } else {
                    re.push_str(".*");
                }
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push_str(if dir { "/.*$" } else { "(?:/.*)?$" });
    Regex::new(&re).expect("pattern regex")
}

/// The owners of a path: the last matching line wins, as on GitHub.
fn owners(codeowners: &str, path: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in codeowners.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let pattern = parts.next().expect("pattern");
        if pattern_regex(pattern).is_match(path) {
            found = parts.map(str::to_owned).collect();
        }
    }
    found
}

fn files_under(dir: &Path, root: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files_under(&path, root, out);
        } else {
            let rel = path.strip_prefix(root).expect("under root");
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

#[test]
fn codeowners_gives_submissions_to_reviewers_and_policy_to_maintainers() {
    let text =
        std::fs::read_to_string(project_root().join(".github/CODEOWNERS")).expect("CODEOWNERS");
    let team = Regex::new(r"^@[a-z0-9-]+/[a-z0-9-]+$").expect("regex");
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let owners: Vec<&str> = line.split_whitespace().skip(1).collect();
        assert!(!owners.is_empty(), "{line}");
        assert!(owners.iter().all(|o| team.is_match(o)), "{line}");
    }
    let reviewers = ["@example-org/porting-reviewers".to_owned()];
    let maintainers = ["@example-org/portflow-maintainers".to_owned()];

    // Every file of the bundled ports: only submissions need a reviewer.
    let root = project_root();
    let mut files = Vec::new();
    files_under(&root.join("ports"), &root, &mut files);
    let mut submissions = 0;
    for file in &files {
        let expected: &[String] = if file.contains("/events/") && file.ends_with("-submitted.toml")
        {
            submissions += 1;
            &reviewers
        } else {
            &[]
        };
        assert_eq!(owners(&text, file), expected, "{file}");
    }
    assert!(
        submissions >= 2,
        "the bundled repo has submissions, also under a year folder"
    );
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("ports/2026/") && f.ends_with("-submitted.toml"))
    );

    for path in [
        "ports/2026-12-new-port/events/004-submitted.toml",
        "ports/2027/2027-01-deep/events/002-submitted.toml",
    ] {
        assert_eq!(owners(&text, path), reviewers, "{path}");
    }
    for path in [
        "ports/2026-12-new-port/events/003-signed.toml",
        "ports/2026-12-new-port/request.toml",
        "ports/2026-12-new-port/documents/submitted.toml",
        "README.md",
    ] {
        assert!(owners(&text, path).is_empty(), "{path}");
    }
    for path in [
        "porting.toml",
        "schemas/request.schema.json",
        "templates/loa/default.j2",
        "templates/email/completed.j2",
        ".github/workflows/ports.yml",
        ".github/CODEOWNERS",
        "src/rules/events.rs",
        "Cargo.lock",
    ] {
        assert_eq!(owners(&text, path), maintainers, "{path}");
    }
}

/// The `portflow …` commands a run script calls, with shell variables given sample values.
fn invocations(script: &str) -> Vec<Vec<String>> {
    let call = Regex::new(r"(?:^|[\s(;&])portflow\s+([^|>;)\n]*)").expect("regex");
    let mut out = Vec::new();
    for line in script.lines().filter(|l| !l.trim_start().starts_with('#')) {
        for cap in call.captures_iter(line) {
            let words = cap[1]
                .split_whitespace()
                .map(|w| match w.trim_matches('"') {
                    "$BASE" => "origin/main".to_owned(),
                    "${ports[@]}" => "2026-11-lakeside-dental".to_owned(),
                    other => other.to_owned(),
                })
                .collect();
            out.push(words);
        }
    }
    out
}

#[test]
fn every_portflow_command_in_the_workflows_parses() {
    use clap::Parser;
    let mut commands = std::collections::BTreeSet::new();
    for name in workflow_names() {
        for (job, step) in steps(&load(&name)) {
            for words in invocations(run(&step)) {
                let argv = std::iter::once("portflow".to_owned()).chain(words.iter().cloned());
                if let Err(err) = portflow::cli::Cli::try_parse_from(argv) {
                    panic!("{name} job {job}: `portflow {}`:\n{err}", words.join(" "));
                }
                commands.insert(words[0].clone());
            }
        }
    }
    let commands: Vec<&str> = commands.iter().map(String::as_str).collect();
    assert_eq!(commands, ["check", "notify", "render", "status", "summary"]);
}
