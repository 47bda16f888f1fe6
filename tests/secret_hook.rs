//! The `portflow-check` pre-commit hook: its declaration, and its entry run as pre-commit
//! runs it, on a real git index holding a plaintext PIN the working tree no longer shows.

mod common;

use std::path::Path;

use age::secrecy::SecretString;
use common::{TempRepo, project_root};

const PORT_REQUEST: &str = "ports/2026-11-harbor-cafe/request.toml";
const PLAINTEXT_PIN: &str = "K7Q2M9X4T1";

fn hooks_yaml() -> String {
    std::fs::read_to_string(project_root().join(".pre-commit-hooks.yaml"))
        .expect(".pre-commit-hooks.yaml at the project root")
}

/// The value of `key:` in the hook declaration (one hook, flat keys).
fn field<'a>(yaml: &'a str, key: &str) -> Option<&'a str> {
    yaml.lines()
        .map(|l| l.trim_start_matches("- ").trim())
        .find_map(|l| l.strip_prefix(&format!("{key}:")))
        .map(str::trim)
}

#[test]
fn the_hook_runs_check_staged_once_for_ports_and_policy_changes() {
    let yaml = hooks_yaml();
    assert_eq!(field(&yaml, "id"), Some("portflow-check"));
    assert_eq!(
        field(&yaml, "entry"),
        Some("portflow check --staged --only secret::plaintext,toml::syntax,schema::violation")
    );
    assert_eq!(field(&yaml, "language"), Some("system"));
    // The whole index is checked once, not file by file.
    assert_eq!(field(&yaml, "pass_filenames"), Some("false"));
    let files = field(&yaml, "files").expect("a files pattern");
    let files = regex::Regex::new(files).expect("a valid pattern");
    for path in ["ports/2026-11-a/request.toml", "porting.toml"] {
        assert!(files.is_match(path), "{path}");
    }
    for path in ["README.md", "porting.toml.orig", "src/lib.rs"] {
        assert!(!files.is_match(path), "{path}");
    }
}

/// A request whose PIN line is `pin = <value>`.
fn request(pin: &str) -> String {
    common::VALID_REQUEST
        .replace(
            "billing_number = \"+12065550143\"\n",
            &format!(
                "billing_number = \"+12065550143\"\naccount_number = \"5550-0143\"\npin = {pin}\npin_obtained_on = 2026-11-24\n"
            ),
        )
        .replace("type = \"landline\"", "type = \"mobile\"")
}

/// Stages every file of the temp repo in a new git index (no commit needed).
fn stage_all(dir: &Path) {
    let repo = git2::Repository::init(dir).expect("git init");
    let mut index = repo.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("git add");
    index.write().expect("write index");
}

#[test]
fn the_hook_entry_refuses_a_staged_plaintext_pin_without_printing_it() {
    let repo = TempRepo::new();
    repo.write(PORT_REQUEST, request(&format!("\"{PLAINTEXT_PIN}\"")));
    stage_all(repo.path());
    // The working tree is fixed afterwards, but the fix is not staged.
    let recipient: age::x25519::Recipient =
        "age1z5tqqflgnp4slj8xvgsgwm5arw3nrd0ehydphpjkc2snf2tpagls6rl4ch"
            .parse()
            .expect("demo recipient");
    let armored =
        portflow::secret::encrypt(&[recipient], &SecretString::from(PLAINTEXT_PIN.to_owned()))
            .expect("encrypts");
    repo.write(PORT_REQUEST, request(&format!("\"\"\"{armored}\"\"\"")));

    let entry = field(&hooks_yaml(), "entry").expect("entry").to_owned();
    let mut words = entry.split_whitespace();
    assert_eq!(words.next(), Some("portflow"));
    let args: Vec<&str> = words.collect();
    let run = |extra: &[&str]| {
        let mut argv = args.clone();
        argv.extend_from_slice(extra);
        let out = common::bin(repo.path(), &argv, None);
        (Some(out.code), out.stdout, out.stderr)
    };
    let (code, stdout, stderr) = run(&["--today", "2026-11-25", "--format", "json"]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let plaintext: Vec<&serde_json::Value> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "secret::plaintext")
        .collect();
    assert_eq!(plaintext.len(), 1, "{stdout}");
    assert_eq!(plaintext[0]["file"], PORT_REQUEST);
    let (_, human, human_err) = run(&["--today", "2026-11-25"]);
    for text in [&stdout, &stderr, &human, &human_err] {
        assert!(!text.contains(PLAINTEXT_PIN), "the PIN leaked: {text}");
    }

    // The working tree itself is clean of it: the hook judged what the commit would hold.
    let work = common::run_in(
        repo.path(),
        &["check", "--today", "2026-11-25", "--format", "json"],
    );
    assert!(
        !common::json_findings(&work)
            .iter()
            .any(|f| f["code"] == "secret::plaintext")
    );
}

// A draft (incomplete LOA data) must stay committable: the hook guards secrets and broken
// files, and CI judges completeness.
#[test]
fn the_hook_entry_lets_a_staged_draft_through() {
    let repo = TempRepo::new();
    let draft = common::VALID_REQUEST.replace("name = \"Acme Dental LLC\"\n", "");
    repo.write(PORT_REQUEST, draft);
    stage_all(repo.path());
    let entry = field(&hooks_yaml(), "entry").expect("entry").to_owned();
    let args: Vec<&str> = entry.split_whitespace().skip(1).collect();
    let mut argv = args.clone();
    argv.extend(["--today", "2026-11-25"]);
    let out = common::bin(repo.path(), &argv, None);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let full = common::run_in(repo.path(), &["check", "--staged", "--today", "2026-11-25"]);
    assert_eq!(
        full.exit,
        portflow::Exit::Findings,
        "the draft does have LOA findings"
    );
}
