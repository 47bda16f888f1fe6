//! `portflow new` and `portflow record` taking a port from nothing to completed, voids, and
//! every illegal event refused with nothing written.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{TempRepo, json_findings};
use portflow::{Exit, Output};
use serde_json::Value;

const PORT: &str = "2026-11-acme-dental";
const DIR: &str = "ports/2026-11-acme-dental";
/// A PDF as far as portflow looks at one: its magic bytes.
const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";

/// Runs one command, with `--today`, and returns the output.
fn at(repo: &TempRepo, today: &str, args: &[&str]) -> Output {
    let mut argv = args.to_vec();
    argv.extend_from_slice(&["--today", today]);
    repo.run(&argv)
}

/// `record PORT <args> --by … --today <today>`.
fn record(repo: &TempRepo, today: &str, args: &[&str]) -> Output {
    let mut argv = vec!["record", PORT];
    argv.extend_from_slice(args);
    argv.extend_from_slice(&["--by", "ops@example.com"]);
    at(repo, today, &argv)
}

/// The findings of `check` on the whole repo as JSON; asserts there are no errors.
fn assert_clean(repo: &TempRepo, today: &str) -> Vec<Value> {
    let out = at(repo, today, &["check", "--format", "json"]);
    let findings = json_findings(&out);
    let errors: Vec<&Value> = findings
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    assert!(errors.is_empty(), "errors on {today}: {errors:#?}");
    assert_eq!(out.exit, Exit::Clean);
    findings
}

/// The stage of the port per `status --format json`.
fn stage(repo: &TempRepo) -> String {
    let out = repo.run(&["status", "--format", "json"]);
    let doc: Value = serde_json::from_str(&out.stdout).expect("status json");
    doc["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .find(|p| p["port"] == PORT)
        .map(|p| p["stage"].as_str().expect("stage").to_owned())
        .expect("the port is listed")
}

/// Every file under the repo's `ports/` with its bytes.
fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.join("ports")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).expect("inside").to_string_lossy();
                files.insert(rel.into_owned(), std::fs::read(&path).expect("read"));
            }
        }
    }
    files
}

fn event_names(repo: &TempRepo) -> Vec<String> {
    let dir = repo.path().join(DIR).join("events");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Replaces the first `from` in the scaffolded request with `to`.
fn fill(text: &mut String, from: &str, to: &str) {
    assert!(text.contains(from), "the scaffold has no `{from}`:\n{text}");
    *text = text.replacen(from, to, 1);
}

/// Scaffolds the port with `new` on 2026-11-02 and fills it in the way staff would: by
/// uncommenting the guidance lines and adding a number and a bill. The port is then
/// awaiting signature.
fn scaffold_and_fill(repo: &TempRepo) {
    let out = at(
        repo,
        "2026-11-02",
        &[
            "new",
            PORT,
            "--country",
            "US",
            "--account",
            "acme-dental",
            "--requested-by",
            "maria.lopez@example.com",
            "--type",
            "full",
            "--losing-carrier",
            "Comcast Business",
        ],
    );
    assert_eq!(out.exit, Exit::Clean, "{out:?}");
    assert_eq!(
        out.stdout.lines().next(),
        Some(&*format!("created `{DIR}/request.toml`"))
    );

    // A draft: every error says what to fill in.
    let draft = json_findings(&at(repo, "2026-11-02", &["check", "--format", "json"]));
    assert!(!draft.is_empty());
    for f in &draft {
        assert_eq!(f["code"], "loa::missing-field", "{f:#}");
    }
    assert_eq!(stage(repo), "draft");

    let path = repo.path().join(DIR).join("request.toml");
    let mut text = std::fs::read_to_string(&path).expect("request");
    fill(&mut text, "# type = \"business\"", "type = \"business\"");
    fill(&mut text, "# name = \"…\"", "name = \"Acme Dental LLC\"");
    fill(
        &mut text,
        "# authorized_person = \"…\"",
        "authorized_person = \"Maria Lopez\"",
    );
    fill(
        &mut text,
        "# billing_number = \"+12065550143\"",
        "billing_number = \"+12065550143\"",
    );
    for line in [
        "street = \"1200 Lakeside Ave\"",
        "locality = \"Seattle\"",
        "region = \"WA\"",
        "postal_code = \"98101\"",
        "country = \"US\"",
    ] {
        fill(&mut text, &format!("# {line}"), line);
    }
    text.push_str(
        "\n[[numbers]]\nnumber = \"+12065550143\"\ntype = \"landline\"\n\
         tracking_source = \"Google Ads\"\nreceiving_number = \"+12065550100\"\n\
         \n[[documents]]\nkind = \"bill\"\npath = \"documents/bill-2026-11.pdf\"\ndated = 2026-11-01\n",
    );
    std::fs::write(&path, text).expect("write request");
    repo.write(&format!("{DIR}/documents/bill-2026-11.pdf"), PDF);
    repo.write(&format!("{DIR}/documents/loa-signed.pdf"), PDF);
    assert_clean(repo, "2026-11-02");
    assert_eq!(stage(repo), "awaiting-signature");
}

/// A filled-in port, signed: `ready`.
fn ready_port() -> TempRepo {
    let repo = TempRepo::new();
    scaffold_and_fill(&repo);
    let out = record(
        &repo,
        "2026-11-03",
        &[
            "signed",
            "--method",
            "e-sign",
            "--document",
            "documents/loa-signed.pdf",
        ],
    );
    assert_eq!(out.exit, Exit::Clean, "{out:?}");
    assert_eq!(stage(&repo), "ready");
    repo
}

/// Records, expecting success; then the repo checks clean and the port has `stage`.
fn step(repo: &TempRepo, today: &str, args: &[&str], file: &str, expect: &str) {
    let out = record(repo, today, args);
    assert_eq!(out.exit, Exit::Clean, "{args:?}: {out:?}");
    assert_eq!(
        out.stdout.lines().last(),
        Some(&*format!(
            "recorded `{DIR}/events/{file}`: the port is now {expect}"
        )),
        "{out:?}"
    );
    assert!(repo.path().join(DIR).join("events").join(file).is_file());
    assert_clean(repo, today);
    assert_eq!(stage(repo), expect);
}

#[test]
fn new_then_record_every_step_to_completed() {
    let repo = TempRepo::new();
    scaffold_and_fill(&repo);
    step(
        &repo,
        "2026-11-03",
        &[
            "signed",
            "--method",
            "e-sign",
            "--document",
            "documents/loa-signed.pdf",
        ],
        "001-signed.toml",
        "ready",
    );
    // The digest is the one `digest` prints, and the signer defaults to the authorized person.
    let digest = repo.run(&["digest", PORT]).stdout;
    let signed = std::fs::read_to_string(repo.path().join(DIR).join("events/001-signed.toml"))
        .expect("signed");
    assert_eq!(
        signed,
        format!(
            "#:schema ../../../schemas/event.schema.json\nkind = \"signed\"\non = 2026-11-03\n\
             by = \"ops@example.com\"\nsigner = \"Maria Lopez\"\nmethod = \"e-sign\"\n\
             document = \"documents/loa-signed.pdf\"\nloa_digest = \"{}\"\n\
             document_sha256 = \"{}\"\n",
            digest.trim().split(' ').nth(1).expect("digest"),
            // The file prints no digest, so it is bound by its hash.
            portflow::signed::sha256_hex(PDF)
        )
    );
    step(
        &repo,
        "2026-11-04",
        &[
            "submitted",
            "--carrier",
            "Partner Carrier",
            "--carrier-order-id",
            "PC-1001",
            "--requested-foc",
            "2026-11-19",
        ],
        "002-submitted.toml",
        "submitted",
    );
    step(
        &repo,
        "2026-11-06",
        &[
            "rejected",
            "--reason",
            "btn-mismatch=BTN does not match the account",
            "--reason",
            "number-not-on-account=not on this account@(206) 555-0143",
            "--instructions",
            "Please send us your most recent bill.",
        ],
        "003-rejected.toml",
        "rejected",
    );
    let rejected = std::fs::read_to_string(repo.path().join(DIR).join("events/003-rejected.toml"))
        .expect("rejected");
    assert!(
        rejected.ends_with(
            "[[reasons]]\ncode = \"number-not-on-account\"\ndetail = \"not on this account\"\n\
             numbers = [\"+12065550143\"]\n"
        ),
        "{rejected}"
    );
    // A resubmission after a rejection, with the signature still current.
    step(
        &repo,
        "2026-11-09",
        &[
            "submitted",
            "--carrier",
            "Partner Carrier",
            "--requested-foc",
            "2026-11-20",
        ],
        "004-submitted.toml",
        "submitted",
    );
    step(
        &repo,
        "2026-11-10",
        &[
            "scheduled",
            "--foc",
            "2026-11-20",
            "--foc-time",
            "09:00",
            "--foc-timezone",
            "America/Los_Angeles",
            "--carrier-order-id",
            "PC-1002",
        ],
        "005-scheduled.toml",
        "scheduled",
    );
    step(
        &repo,
        "2026-11-20",
        &["completed"],
        "006-completed.toml",
        "completed",
    );
    assert_eq!(
        event_names(&repo),
        [
            "001-signed.toml",
            "002-submitted.toml",
            "003-rejected.toml",
            "004-submitted.toml",
            "005-scheduled.toml",
            "006-completed.toml"
        ]
    );
}

#[test]
fn void_of_a_mistyped_event() {
    let repo = ready_port();
    step(
        &repo,
        "2026-11-04",
        &[
            "submitted",
            "--carrier",
            "Partner Carrier",
            "--requested-foc",
            "2026-11-19",
        ],
        "002-submitted.toml",
        "submitted",
    );
    // The FOC month is mistyped: a legal event, so it is recorded.
    step(
        &repo,
        "2026-11-06",
        &["scheduled", "--foc", "2026-12-18"],
        "003-scheduled.toml",
        "scheduled",
    );
    // `--voids` takes the number as people type it.
    step(
        &repo,
        "2026-11-06",
        &["void", "--voids", "3", "--reason", "FOC month mistyped"],
        "004-void.toml",
        "submitted",
    );
    let void =
        std::fs::read_to_string(repo.path().join(DIR).join("events/004-void.toml")).expect("void");
    assert!(
        void.contains("voids = \"003\"\nreason = \"FOC month mistyped\"\n"),
        "{void}"
    );
    step(
        &repo,
        "2026-11-06",
        &["scheduled", "--foc", "2026-11-19"],
        "005-scheduled.toml",
        "scheduled",
    );
    // A void of a void, or of the same event twice, is refused.
    for target in ["4", "003"] {
        let before = snapshot(repo.path());
        let out = record(
            &repo,
            "2026-11-06",
            &["void", "--voids", target, "--reason", "again"],
        );
        assert_eq!(out.exit, Exit::Findings, "{out:?}");
        assert!(out.stdout.contains("event::illegal"), "{}", out.stdout);
        assert_eq!(snapshot(repo.path()), before);
    }
    step(
        &repo,
        "2026-11-19",
        &["completed"],
        "006-completed.toml",
        "completed",
    );
}

/// Report text with miette's line wrapping undone, so messages can be matched whole.
fn unwrapped(text: &str) -> String {
    text.lines()
        .map(|l| l.trim_start().trim_start_matches('│').trim())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs a record that must be refused: exit, the code shown, nothing written.
fn refused(repo: &TempRepo, today: &str, args: &[&str], exit: Exit, shows: &str) {
    let before = snapshot(repo.path());
    let out = record(repo, today, args);
    assert_eq!(out.exit, exit, "{args:?}: {out:?}");
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        unwrapped(&all).contains(shows),
        "{args:?} should show `{shows}`:\n{all}"
    );
    if exit == Exit::Findings {
        assert!(out.stderr.contains("nothing was written"), "{}", out.stderr);
    }
    assert_eq!(snapshot(repo.path()), before, "{args:?} wrote something");
}

#[test]
fn illegal_records_are_refused_with_nothing_written() {
    let repo = TempRepo::new();
    scaffold_and_fill(&repo);
    // Awaiting signature: no submission yet, and no carrier answers.
    refused(
        &repo,
        "2026-11-04",
        &[
            "submitted",
            "--carrier",
            "Partner Carrier",
            "--requested-foc",
            "2026-11-19",
        ],
        Exit::Findings,
        "× a `submitted` event is not allowed here: a port is submitted only from",
    );
    refused(
        &repo,
        "2026-11-04",
        &["completed"],
        Exit::Findings,
        "a completion is recorded only after a submission",
    );
    // A signer who is not the authorized person.
    refused(
        &repo,
        "2026-11-04",
        &[
            "signed",
            "--signer",
            "Someone Else",
            "--method",
            "wet-ink",
            "--document",
            "documents/loa-signed.pdf",
        ],
        Exit::Findings,
        "event::signer-mismatch",
    );
    // A signed LOA that is not there.
    refused(
        &repo,
        "2026-11-04",
        &[
            "signed",
            "--method",
            "wet-ink",
            "--document",
            "documents/missing.pdf",
        ],
        Exit::Findings,
        "document::missing",
    );

    let out = record(
        &repo,
        "2026-11-03",
        &[
            "signed",
            "--method",
            "e-sign",
            "--document",
            "documents/loa-signed.pdf",
        ],
    );
    assert_eq!(out.exit, Exit::Clean, "{out:?}");
    // A date in the future, a completion before submission, an unknown carrier, an FOC
    // inside the lead time.
    refused(
        &repo,
        "2026-11-04",
        &[
            "submitted",
            "--carrier",
            "Partner Carrier",
            "--requested-foc",
            "2026-11-19",
            "--on",
            "2026-11-05",
        ],
        Exit::Findings,
        "`2026-11-05` is in the future (today is 2026-11-04)",
    );
    refused(
        &repo,
        "2026-11-04",
        &["completed"],
        Exit::Findings,
        "a completion is recorded only after a submission, and the port is ready",
    );
    refused(
        &repo,
        "2026-11-04",
        &[
            "submitted",
            "--carrier",
            "CallRail",
            "--requested-foc",
            "2026-11-19",
        ],
        Exit::Findings,
        "event::unknown-carrier",
    );
    refused(
        &repo,
        "2026-11-04",
        &[
            "submitted",
            "--carrier",
            "Partner Carrier",
            "--requested-foc",
            "2026-11-06",
        ],
        Exit::Findings,
        "event::foc-date",
    );
    // Two partners in porting.toml and no `desired_foc`: both must be given.
    refused(
        &repo,
        "2026-11-04",
        &["submitted", "--requested-foc", "2026-11-19"],
        Exit::Failure,
        "pass `--carrier`: one of `International Partner Desk`, `Partner Carrier`",
    );
    refused(
        &repo,
        "2026-11-04",
        &["submitted", "--carrier", "Partner Carrier"],
        Exit::Failure,
        "the earliest the lead time allows is 2026-11-16",
    );

    let out = record(
        &repo,
        "2026-11-04",
        &[
            "submitted",
            "--carrier",
            "Partner Carrier",
            "--requested-foc",
            "2026-11-19",
        ],
    );
    assert_eq!(out.exit, Exit::Clean, "{out:?}");
    // Submitted: an unknown reason code, a malformed one, numbers not in the port, an FOC
    // on a weekend, an event dated before the previous one.
    refused(
        &repo,
        "2026-11-06",
        &[
            "rejected",
            "--reason",
            "btn-mismatched=BTN wrong",
            "--instructions",
            "Send a bill.",
        ],
        Exit::Findings,
        "help: did you mean `btn-mismatch`?",
    );
    refused(
        &repo,
        "2026-11-06",
        &[
            "rejected",
            "--reason",
            "BTN=BTN wrong",
            "--instructions",
            "Send a bill.",
        ],
        Exit::Findings,
        "schema::violation",
    );
    refused(
        &repo,
        "2026-11-06",
        &[
            "rejected",
            "--reason",
            "btn-mismatch",
            "--instructions",
            "Send a bill.",
        ],
        Exit::Failure,
        "write `CODE=DETAIL`",
    );
    refused(
        &repo,
        "2026-11-06",
        &[
            "scheduled",
            "--foc",
            "2026-11-20",
            "--numbers",
            "206-555-0199",
        ],
        Exit::Failure,
        "`+12065550199` is not one of this port's numbers",
    );
    // A weekend FOC from the carrier is a fact: recorded with a warning (see
    // tests/events_are_facts.rs), so it is not among the refusals.
    refused(
        &repo,
        "2026-11-06",
        &["scheduled", "--foc", "2026-11-20", "--on", "2026-11-01"],
        Exit::Findings,
        "`2026-11-01` is before the previous event's date `2026-11-04`",
    );
    refused(
        &repo,
        "2026-11-06",
        &[
            "submitted",
            "--carrier",
            "Partner Carrier",
            "--requested-foc",
            "2026-11-20",
        ],
        Exit::Findings,
        "the port is already submitted",
    );
    // Nothing after a terminal event.
    let out = record(
        &repo,
        "2026-11-06",
        &["cancelled", "--reason", "customer stays"],
    );
    assert_eq!(out.exit, Exit::Clean, "{out:?}");
    assert_eq!(stage(&repo), "cancelled");
    refused(
        &repo,
        "2026-11-09",
        &["scheduled", "--foc", "2026-11-20"],
        Exit::Findings,
        "the port is cancelled: nothing may follow a terminal event",
    );
    assert_eq!(
        event_names(&repo),
        [
            "001-signed.toml",
            "002-submitted.toml",
            "003-cancelled.toml"
        ]
    );
}

#[test]
fn drafts_invalid_ports_and_unknown_ports_are_refused() {
    let repo = TempRepo::new();
    let out = at(
        &repo,
        "2026-11-02",
        &[
            "new",
            PORT,
            "--country",
            "US",
            "--account",
            "acme-dental",
            "--requested-by",
            "maria.lopez@example.com",
            // Every value a prompt would ask for: no run waits for input on a terminal.
            "--losing-carrier",
            "Comcast Business",
            "--type",
            "full",
        ],
    );
    assert_eq!(out.exit, Exit::Clean, "{out:?}");
    refused(
        &repo,
        "2026-11-03",
        &[
            "signed",
            "--method",
            "e-sign",
            "--document",
            "documents/loa.pdf",
        ],
        Exit::Findings,
        "is a draft: its LOA data is incomplete, so there is nothing to sign yet",
    );
    // A draft may still be cancelled: its missing fields are not the event's doing.
    let out = record(
        &repo,
        "2026-11-03",
        &["cancelled", "--reason", "customer went elsewhere"],
    );
    assert_eq!(out.exit, Exit::Clean, "{out:?}");
    assert!(
        out.stderr
            .starts_with(&format!("note: `{PORT}` already had ")),
        "{out:?}"
    );
    assert_eq!(stage(&repo), "cancelled");

    repo.write(&format!("{DIR}/request.toml"), "account = [\n");
    refused(
        &repo,
        "2026-11-03",
        &["cancelled", "--reason", "x"],
        Exit::Findings,
        "has files that do not parse or fail their schema",
    );
    refused(
        &repo,
        "2026-11-03",
        &["cancelled", "--reason", "x"],
        Exit::Findings,
        "toml::syntax",
    );

    let out = at(
        &repo,
        "2026-11-03",
        &[
            "record",
            "2026-11-nobody",
            "cancelled",
            "--reason",
            "x",
            "--by",
            "ops@example.com",
        ],
    );
    assert_eq!(out.exit, Exit::Failure);
    assert_eq!(
        out.stderr,
        "error: no port `2026-11-nobody` in this repo (see `portflow status`)\n"
    );
}

#[test]
fn recorder_defaults_to_the_repos_git_user_email() {
    if std::env::var_os(portflow::commands::record::USER_VAR).is_some() {
        return; // the variable would win over git's configuration
    }
    let repo = ready_port();
    let git = git2::Repository::init(repo.path()).expect("git init");
    git.config()
        .expect("config")
        .open_level(git2::ConfigLevel::Local)
        .expect("local config")
        .set_str("user.email", "jordan.hale@example.com")
        .expect("set user.email");
    let out = at(
        &repo,
        "2026-11-04",
        &[
            "record",
            PORT,
            "submitted",
            "--carrier",
            "Partner Carrier",
            "--requested-foc",
            "2026-11-19",
        ],
    );
    assert_eq!(out.exit, Exit::Clean, "{out:?}");
    let text = std::fs::read_to_string(repo.path().join(DIR).join("events/002-submitted.toml"))
        .expect("event");
    assert!(
        text.contains("by = \"jordan.hale@example.com\"\n"),
        "{text}"
    );
}

#[test]
fn ports_under_a_year_folder_get_deeper_directives() {
    let repo = TempRepo::new();
    let out = at(
        &repo,
        "2026-11-02",
        &[
            "new",
            PORT,
            "--year",
            "2026",
            "--country",
            "US",
            "--account",
            "acme-dental",
            "--requested-by",
            "maria.lopez@example.com",
            // Every value a prompt would ask for: no run waits for input on a terminal.
            "--losing-carrier",
            "Comcast Business",
            "--type",
            "full",
        ],
    );
    assert_eq!(out.exit, Exit::Clean, "{out:?}");
    let out = record(
        &repo,
        "2026-11-03",
        &["cancelled", "--reason", "customer stays"],
    );
    assert_eq!(out.exit, Exit::Clean, "{out:?}");
    let text = std::fs::read_to_string(
        repo.path()
            .join("ports/2026")
            .join(PORT)
            .join("events/001-cancelled.toml"),
    )
    .expect("event");
    assert!(
        text.starts_with("#:schema ../../../../schemas/event.schema.json\n"),
        "{text}"
    );
    let findings = json_findings(&at(&repo, "2026-11-03", &["check", "--format", "json"]));
    assert!(
        findings
            .iter()
            .all(|f| f["code"] != "repo::schema-directive"),
        "{findings:#?}"
    );
}
