//! Notices from `portflow render`: a rejection notice per `rejected` event and a completion
//! notice per `completed` event, as RFC 5322 `.eml` plus a `.txt` preview, with
//! Message-ID, boundary and Date derived from the event; and the bundled examples.

mod common;
mod render_support;

use std::collections::BTreeSet;

use common::{TempRepo, project_root, run_in, unqp};
use portflow::Exit;
use sha2::{Digest, Sha256};

const TODAY: &str = "2026-11-25";
const PORT: &str = "2026-11-summit-outdoor-tollfree";

const REJECTED: &str = r#"#:schema ../../../schemas/event.schema.json
kind = "rejected"
on = 2026-11-23
by = "ops@example.com"
instructions = "Please send us your latest bill <b>as a PDF</b> & confirm the BTN."

[[reasons]]
code = "btn-mismatch"
detail = "BTN does not match account"

[[reasons]]
code = "number-not-on-account"
detail = "Number not found on this account"
numbers = ["+18665550175"]
"#;

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The bundled rejected port with its rejection replaced by ours, a second rejection that
/// is voided, and a partial completion.
fn repo_with_events() -> TempRepo {
    let repo = TempRepo::new();
    repo.copy_port(&format!("ports/{PORT}"));
    let events = format!("ports/{PORT}/events");
    repo.write(&format!("{events}/003-rejected.toml"), REJECTED);
    repo.write(
        &format!("{events}/004-rejected.toml"),
        REJECTED.replace("2026-11-23", "2026-11-24"),
    );
    repo.write(
        &format!("{events}/005-void.toml"),
        "kind = \"void\"\non = 2026-11-24\nby = \"ops@example.com\"\nvoids = \"004\"\nreason = \"recorded twice\"\n",
    );
    repo.write(
        &format!("{events}/006-completed.toml"),
        "kind = \"completed\"\non = 2026-11-25\nby = \"ops@example.com\"\nnumbers = [\"+18005550142\"]\n",
    );
    repo
}

#[test]
fn rejected_and_completed_events_get_notices_and_voided_ones_do_not() {
    let repo = repo_with_events();
    let check = repo.run(&["check", "--today", TODAY]);
    assert_eq!(check.exit, Exit::Clean, "{}", check.stdout);
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().to_string_lossy().into_owned();
    let out = repo.run(&["render", "--today", TODAY, "--out", &out_dir]);
    assert_eq!(out.exit, Exit::Clean, "{}{}", out.stdout, out.stderr);
    let files: BTreeSet<String> = render_support::files(dir.path()).into_keys().collect();
    let expected: BTreeSet<String> = [
        "loa.pdf",
        "003-rejected-notice.eml",
        "003-rejected-notice.txt",
        "006-completed-notice.eml",
        "006-completed-notice.txt",
    ]
    .iter()
    .map(|f| format!("{PORT}/{f}"))
    .collect();
    assert_eq!(files, expected);
    assert!(
        out.stdout.contains("\n1 LOA, 2 notices in "),
        "{}",
        out.stdout
    );
}

#[test]
fn a_rejection_notice_is_a_standard_message_derived_from_its_event() {
    let repo = repo_with_events();
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().to_string_lossy().into_owned();
    let out = repo.run(&["render", PORT, "--today", TODAY, "--out", &out_dir]);
    assert_eq!(out.exit, Exit::Clean, "{}", out.stderr);
    let eml = std::fs::read_to_string(dir.path().join(format!("{PORT}/003-rejected-notice.eml")))
        .expect("eml");
    let hash = hex(REJECTED.as_bytes());
    let (head, body) = eml
        .split_once("\r\n\r\n")
        .expect("headers, blank line, body");
    let headers: Vec<&str> = head.split("\r\n").collect();
    assert_eq!(
        headers[..3],
        [
            "From: \"Example Telecom\" <ops@example.com>",
            "Reply-To: \"Example Telecom\" <ops@example.com>",
            "To: kim.arendt@example.com",
        ]
    );
    assert!(head.contains(&format!(
        "Subject: Action needed: your number port {PORT} was\r\n rejected"
    )));
    assert!(
        head.contains("\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\n"),
        "{head}"
    );
    assert!(head.contains(&format!(
        "\r\nMessage-ID: <{}.003-rejected.{PORT}@example.com>\r\n",
        &hash[..24]
    )));
    assert!(head.contains("\r\nMIME-Version: 1.0\r\n"));
    let boundary = format!("portflow-{}", &hash[24..48]);
    assert!(head.contains(&format!("boundary=\"{boundary}\"")), "{head}");
    // RFC 5322: CRLF line ends, no line over 998 characters.
    assert!(!eml.replace("\r\n", "").contains('\n'));
    assert!(eml.split("\r\n").all(|l| l.len() <= 998));

    let parts: Vec<&str> = body.split(&format!("--{boundary}")).collect();
    assert_eq!(parts.len(), 4, "preamble, text, html, epilogue: {body}");
    assert!(parts[3].starts_with("--"), "closing boundary");
    let text = unqp(parts[1]);
    assert!(text.contains("Content-Type: text/plain; charset=utf-8"));
    for expected in [
        "The billing telephone number (the account's main number) does not match",
        "The carrier wrote: \"BTN does not match account\"",
        "A number is not on the account we gave your current provider. Affected:\r\n  +18665550175.",
        "Please send us your latest bill <b>as a PDF</b> & confirm the BTN.",
        "reference 2026-11-summit-outdoor-tollfree",
    ] {
        assert!(
            text.contains(expected),
            "`{expected}` missing from:\n{text}"
        );
    }
    let html = unqp(parts[2]);
    assert!(html.contains("Content-Type: text/html; charset=utf-8"));
    assert!(
        html.contains("&lt;b&gt;as a PDF&lt;/b&gt; &amp; confirm"),
        "{html}"
    );
    assert!(!html.contains("<b>"));

    let txt = std::fs::read_to_string(dir.path().join(format!("{PORT}/003-rejected-notice.txt")))
        .expect("txt");
    assert!(txt.starts_with(
        "From: Example Telecom <ops@example.com>\nTo: kim.arendt@example.com\nDate: Mon, 23 Nov 2026 12:00:00 +0000\nSubject: Action needed: your number port 2026-11-summit-outdoor-tollfree was rejected\n"
    ), "{txt}");
    assert!(
        txt.contains("\n\nHello,\n\nWe asked Lumen to release your 3 numbers"),
        "{txt}"
    );
    let (_, body) = txt.split_once("\n\n").expect("headers and body");
    assert!(body.lines().all(|l| l.chars().count() <= 76), "{txt}");
}

#[test]
fn a_completion_notice_lists_the_numbers_that_moved() {
    let repo = repo_with_events();
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().to_string_lossy().into_owned();
    let out = repo.run(&["render", PORT, "--today", TODAY, "--out", &out_dir]);
    assert_eq!(out.exit, Exit::Clean, "{}", out.stderr);
    let txt = std::fs::read_to_string(dir.path().join(format!("{PORT}/006-completed-notice.txt")))
        .expect("txt");
    assert!(txt.contains(&format!(
        "Subject: Part of your number port {PORT} is complete\n"
    )));
    assert!(
        txt.contains("Date: Wed, 25 Nov 2026 12:00:00 +0000\n"),
        "{txt}"
    );
    assert!(
        txt.contains("your number moved from Lumen to Example Telecom:\n\n* +18005550142\n"),
        "{txt}"
    );
    // Only the number that moved is listed as moved; the others are named as still to come.
    assert!(!txt.contains("* +18665550175"), "{txt}");
    let flowing = flowing(&txt);
    assert!(flowing.contains(
        "now reach you through Example Telecom. The other numbers of this request are still on their way"
    ), "{txt}");
    // Two numbers are still with Lumen: the customer must not end that service yet.
    assert!(!flowing.contains("may now end"), "{txt}");
    assert!(
        flowing.contains("do not close your account with Lumen and do not end its service"),
        "{txt}"
    );
}

#[test]
fn notice_templates_in_the_repo_replace_the_built_in_ones() {
    let repo = repo_with_events();
    repo.write(
        "templates/email/rejection.j2",
        "{% block subject %}Port {{ port }} rejected{% endblock %}\n{% block body %}{% for r in reasons %}{{ r.code }}: {{ r.summary }}\n{% endfor %}{% endblock %}\n",
    );
    repo.write(
        "templates/email/completion.j2",
        "{% block subject %}Done{% endblock %}{% block body %}{{ completed_numbers|join(\" \") }} {{ event.nmae }}{% endblock %}",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().to_string_lossy().into_owned();
    let out = repo.run(&["render", "--today", TODAY, "--out", &out_dir]);
    // The completion template names a value that does not exist: strict, with file and line.
    assert_eq!(out.exit, Exit::Failure, "{}", out.stdout);
    assert!(
        out.stderr.contains(
            "notice for `006-completed.toml`: templates/email/completion.j2 line 1: undefined value"
        ),
        "{}",
        out.stderr
    );
    let txt = std::fs::read_to_string(dir.path().join(format!("{PORT}/003-rejected-notice.txt")))
        .expect("txt");
    assert!(txt.contains("Subject: Port 2026-11-summit-outdoor-tollfree rejected\n"));
    assert!(txt.ends_with("\n\nbtn-mismatch: The billing telephone number (the account's main number) does\nnot match your current provider's records.\nnumber-not-on-account: A number is not on the account we gave your current\nprovider.\n"), "{txt:?}");
}

#[test]
fn bundled_examples_past_draft_render_with_their_notices() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().to_string_lossy().into_owned();
    let out = run_in(
        &project_root(),
        &["render", "--today", TODAY, "--out", &out_dir],
    );
    assert_eq!(out.exit, Exit::Clean, "{}{}", out.stdout, out.stderr);
    let status = run_in(
        &project_root(),
        &["status", "--format", "json", "--today", TODAY],
    );
    let doc: serde_json::Value = serde_json::from_str(&status.stdout).expect("status json");
    let ports = doc["ports"].as_array().expect("ports");
    assert!(ports.len() >= 10);
    let files = render_support::files(dir.path());
    for port in ports {
        let id = port["port"].as_str().expect("id");
        let stage = port["stage"].as_str().expect("stage");
        if stage == "draft" || stage == "invalid" {
            continue;
        }
        let pdf = files
            .get(&format!("{id}/loa.pdf"))
            .unwrap_or_else(|| panic!("no LOA for `{id}` ({stage})"));
        let text = render_support::text(pdf);
        assert!(text.contains(&format!("Port {id}")), "{id}");
        assert!(text.contains("Page 1 of"), "{id}");
    }
    // The rejected and completed examples come with their notices.
    let rejected = files
        .get(&format!("{PORT}/003-rejected-notice.txt"))
        .expect("rejection notice");
    assert!(String::from_utf8_lossy(rejected).contains("was rejected"));
    let completed = files
        .get("2026-11-copperleaf-law/006-completed-notice.txt")
        .expect("completion notice");
    assert!(String::from_utf8_lossy(completed).contains("is complete"));
}

/// The `.txt` preview of a port's notice `stem`, after `check` (clean) and `render`.
fn notice_text(repo: &TempRepo, port: &str, stem: &str, today: &str) -> String {
    let check = repo.run(&["check", "--today", today]);
    assert_eq!(check.exit, Exit::Clean, "{}", check.stdout);
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().to_string_lossy().into_owned();
    let out = repo.run(&["render", port, "--today", today, "--out", &out_dir]);
    assert_eq!(out.exit, Exit::Clean, "{}{}", out.stdout, out.stderr);
    std::fs::read_to_string(dir.path().join(format!("{port}/{stem}.txt"))).expect("notice")
}

/// The text with line breaks folded into spaces, for phrases that may wrap.
fn flowing(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

const BAYVIEW: &str = "2026-11-bayview-bistro";

/// The bundled partial port (the rest disconnected), scheduled and then completed.
fn bayview_completed() -> TempRepo {
    let repo = TempRepo::new();
    repo.copy_port(&format!("ports/{BAYVIEW}"));
    let events = format!("ports/{BAYVIEW}/events");
    repo.write(
        &format!("{events}/003-scheduled.toml"),
        "kind = \"scheduled\"\non = 2026-11-24\nby = \"ana.souza@example.com\"\nfoc = 2026-12-03\n",
    );
    repo.write(
        &format!("{events}/004-completed.toml"),
        "kind = \"completed\"\non = 2026-12-03\nby = \"ana.souza@example.com\"\n",
    );
    repo
}

// Only a full port whose every number moved may tell the customer to end the old service.
#[test]
fn completion_notice_of_a_full_port_lets_the_customer_end_the_old_service() {
    let repo = TempRepo::new();
    repo.copy_port("ports/2026-11-copperleaf-law");
    let txt = notice_text(
        &repo,
        "2026-11-copperleaf-law",
        "006-completed-notice",
        "2026-12-07",
    );
    let text = flowing(&txt);
    assert!(text.contains("you may now end it"), "{txt}");
    assert!(!text.contains("do not close"), "{txt}");
    insta::assert_snapshot!("completion_full_port", txt);
}

// A partial port keeps numbers with the losing carrier: closing the account would cut them.
#[test]
fn completion_notice_of_a_partial_port_keeping_numbers_says_keep_the_account() {
    let repo = bayview_completed();
    let request = format!("ports/{BAYVIEW}/request.toml");
    let text = std::fs::read_to_string(repo.path().join(&request)).expect("request");
    repo.write(
        &request,
        text.replace(
            "remaining_numbers = \"disconnect\"",
            "remaining_numbers = \"keep\"\nnew_billing_number = \"+14155550139\"",
        ),
    );
    // The customer signed the LOA of this partial port: its signature records its digest.
    let digest = repo.run(&["digest", BAYVIEW]);
    let (_, digest) = digest
        .stdout
        .trim()
        .split_once(' ')
        .expect("port and digest");
    let signed = format!("ports/{BAYVIEW}/events/001-signed.toml");
    let text = std::fs::read_to_string(repo.path().join(&signed)).expect("signed");
    repo.write(
        &signed,
        text.replace(
            "sha256:0fb07c5842ce6e8c407d0eb32382d1a86bbf4868331f37a6d2cfc19974d9bab1",
            digest,
        ),
    );
    let txt = notice_text(&repo, BAYVIEW, "004-completed-notice", "2026-12-07");
    let text = flowing(&txt);
    assert!(!text.contains("may now end"), "{txt}");
    assert!(
        text.contains("the other numbers on your account stay in service with Verizon Business"),
        "{txt}"
    );
    assert!(
        text.contains("do not close your account with Verizon Business and do not end its service"),
        "{txt}"
    );
    insta::assert_snapshot!("completion_partial_keep", txt);
}

// A partial port whose rest is disconnected: no claim that the old service may end.
#[test]
fn completion_notice_of_a_partial_port_disconnecting_the_rest_makes_no_claim_to_end_service() {
    let txt = notice_text(
        &bayview_completed(),
        BAYVIEW,
        "004-completed-notice",
        "2026-12-07",
    );
    let text = flowing(&txt);
    assert!(!text.contains("may now end"), "{txt}");
    assert!(
        text.contains("Verizon Business disconnects the other numbers on your account"),
        "{txt}"
    );
    insta::assert_snapshot!("completion_partial_disconnect", txt);
}

// A completion of only some numbers of a full port: the rest are still on the old account.
#[test]
fn completion_notice_of_some_numbers_of_a_full_port_says_keep_the_account() {
    let port = "2026-11-cafe-coqui";
    let repo = TempRepo::new();
    repo.copy_port(&format!("ports/2026/{port}"));
    repo.write(
        &format!("ports/2026/{port}/events/004-completed.toml"),
        "kind = \"completed\"\non = 2026-12-11\nby = \"ana.souza@example.com\"\nnumbers = [\"+17875550141\"]\n",
    );
    let txt = notice_text(&repo, port, "004-completed-notice", "2026-12-14");
    let text = flowing(&txt);
    assert!(!text.contains("may now end"), "{txt}");
    assert!(
        text.contains("Subject: Part of your number port 2026-11-cafe-coqui is complete"),
        "{txt}"
    );
    assert!(
        text.contains("The other number of this request is still on its way: +17875550140."),
        "{txt}"
    );
    assert!(text.contains("do not close your account with"), "{txt}");
    insta::assert_snapshot!("completion_subset_of_full_port", txt);
}

// The completion that moves the last numbers of a full port names no pending numbers.
#[test]
fn the_last_completion_of_a_full_port_counts_the_earlier_ones() {
    let port = "2026-11-cafe-coqui";
    let repo = TempRepo::new();
    repo.copy_port(&format!("ports/2026/{port}"));
    let events = format!("ports/2026/{port}/events");
    repo.write(
        &format!("{events}/004-completed.toml"),
        "kind = \"completed\"\non = 2026-12-11\nby = \"ana.souza@example.com\"\nnumbers = [\"+17875550141\"]\n",
    );
    repo.write(
        &format!("{events}/005-completed.toml"),
        "kind = \"completed\"\non = 2026-12-14\nby = \"ana.souza@example.com\"\nnumbers = [\"+17875550140\"]\n",
    );
    let txt = notice_text(&repo, port, "005-completed-notice", "2026-12-14");
    let text = flowing(&txt);
    assert!(text.contains("Subject: Your number port"), "{txt}");
    assert!(!text.contains("still on"), "{txt}");
    assert!(text.contains("you may now end it"), "{txt}");
}
