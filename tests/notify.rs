//! `portflow notify` against a real SMTP server on 127.0.0.1 (aiosmtpd, started by each
//! test from tests/fixtures/smtp/server.py): each notice delivered once, to the right
//! people, threaded per port, dated when it landed; failures retried by the next run and
//! nothing recorded twice; no credential in any output.

mod common;
mod history_git;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use base64::Engine;
use common::{BinRun, bin_with_env, project_root, unqp};
use history_git::{ANA, GitRepo, MERGER, nov};

const USER: &str = "desk-user";
const PASSWORD: &str = "Sm7p-pa55word";

const NOTICES: &str = r#"
[notices]
from = "Example Telecom porting desk <porting@example.com>"
reply_to = "porting-replies@example.com"
bcc = ["archive@example.com"]
"#;

/// A real SMTP server on a free port of 127.0.0.1, writing what it accepts to a folder.
struct Smtp {
    child: Child,
    port: u16,
    mail: tempfile::TempDir,
}

impl Smtp {
    fn start(defer: &[&str]) -> Smtp {
        let mail = tempfile::tempdir().expect("tempdir");
        let script = project_root().join("tests/fixtures/smtp/server.py");
        let mut command = Command::new("python3");
        command
            .arg(&script)
            .arg("--dir")
            .arg(mail.path())
            .arg("--login")
            .arg(format!("{USER}:{PASSWORD}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for address in defer {
            command.arg("--defer").arg(address);
        }
        let mut child = command
            .spawn()
            .expect("start python3 tests/fixtures/smtp/server.py (python3 with aiosmtpd: `pip install aiosmtpd`, as .ci/run does)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the port");
        let port = line.trim().parse().unwrap_or_else(|_| {
            panic!("the SMTP test server did not start (is aiosmtpd installed? `pip install aiosmtpd`): {line:?}")
        });
        Smtp { child, port, mail }
    }

    fn url(&self) -> String {
        format!("smtp://{USER}:{PASSWORD}@127.0.0.1:{}", self.port)
    }

    /// Every message accepted so far, oldest first: (envelope, message).
    fn messages(&self) -> Vec<(String, String)> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.mail.path())
            .expect("mail dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| {
                (
                    std::fs::read_to_string(p.with_extension("envelope")).expect("envelope"),
                    std::fs::read_to_string(p).expect("message"),
                )
            })
            .collect()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `portflow notify` (the built binary) with the SMTP URL in its environment.
fn notify(dir: &Path, url: &str, args: &[&str]) -> BinRun {
    let mut argv = vec!["notify"];
    argv.extend_from_slice(args);
    let run = bin_with_env(dir, &argv, None, &[("PORTFLOW_SMTP_URL", url)]);
    for secret in [PASSWORD, USER] {
        assert!(
            !run.all().contains(secret),
            "notify printed a credential:\n{}",
            run.all()
        );
    }
    run
}

/// The ledger notes, as text.
fn ledger(repo: &GitRepo) -> String {
    let list = repo.git(&["notes", "--ref", "portflow-notices", "list"]);
    list.lines()
        .map(|l| {
            let commit = l.split_whitespace().nth(1).expect("annotated commit");
            repo.git(&["notes", "--ref", "portflow-notices", "show", commit])
        })
        .collect()
}

fn has_notes(repo: &GitRepo) -> bool {
    repo.repo
        .find_reference("refs/notes/portflow-notices")
        .is_ok()
}

/// A header's value (unfolded) in a message.
fn header(message: &str, name: &str) -> Option<String> {
    let (head, _) = message.split_once("\r\n\r\n")?;
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded
        .split("\r\n")
        .find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_owned))
}

/// The message (envelope, message) whose Message-ID is `id`, or starts with it when
/// `id` ends in `.`.
fn by_id<'m>(mail: &'m [(String, String)], id: &str) -> &'m (String, String) {
    mail.iter()
        .find(|(_, m)| {
            header(m, "Message-ID")
                .is_some_and(|found| found == id || (id.ends_with('.') && found.starts_with(id)))
        })
        .unwrap_or_else(|| {
            let ids: Vec<Option<String>> =
                mail.iter().map(|(_, m)| header(m, "Message-ID")).collect();
            panic!("no message {id} among {ids:#?}")
        })
}

/// The plain-text part, quoted-printable decoded (soft line breaks removed, `=XX` bytes).
fn text_of(message: &str) -> String {
    let start = message
        .find("Content-Type: text/plain")
        .expect("a text part");
    let rest = &message[start..];
    let body = rest.split_once("\r\n\r\n").expect("part body").1;
    let body = body.split("\r\n--").next().expect("until the boundary");
    // Words only: the text is wrapped at 76 columns.
    unqp(body).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The notices of the bundled ports, as a desk's month: porting.toml with `[notices]`,
/// then Lakeside (to sign), Thameside (assisted, GB) and Copperleaf (scheduled with a
/// voided FOC, then completed) in one commit, then Queen West event by event.
fn desk() -> GitRepo {
    let repo = GitRepo::new();
    let policy = std::fs::read_to_string(project_root().join("porting.toml")).expect("policy");
    repo.write("porting.toml", format!("{policy}{NOTICES}"));
    for port in [
        "ports/2026-11-lakeside-dental",
        "ports/2026-11-thameside-gallery",
        "ports/2026-11-copperleaf-law",
    ] {
        repo.copy_port(port);
    }
    repo.stage_all();
    repo.commit("Three ports", ANA, nov(20, 15));
    let qw = "ports/2026-11-queen-west-physio";
    for file in [
        "request.toml",
        "events/001-signed.toml",
        "events/002-submitted.toml",
    ] {
        repo.copy_file(&format!("{qw}/{file}"));
    }
    for entry in std::fs::read_dir(project_root().join(qw).join("documents")).expect("docs") {
        let name = entry.expect("entry").file_name();
        repo.copy_file(&format!("{qw}/documents/{}", name.to_string_lossy()));
    }
    repo.stage_all();
    repo.commit("Queen West submitted", ANA, nov(21, 15));
    repo.copy_file(&format!("{qw}/events/003-rejected.toml"));
    repo.stage_all();
    repo.commit("Queen West rejected", ANA, nov(22, 15));
    repo
}

#[test]
fn each_notice_is_delivered_once_threaded_and_dated_when_it_landed() {
    let repo = desk();
    let smtp = Smtp::start(&[]);
    let run = notify(repo.path(), &smtp.url(), &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    let mail = smtp.messages();
    let subjects: Vec<String> = mail
        .iter()
        .map(|(_, m)| header(m, "Subject").expect("subject"))
        .collect();
    assert_eq!(mail.len(), 5, "{subjects:#?}\n{}", run.all());
    assert!(run.stdout.ends_with("5 notices sent\n"), "{}", run.stdout);

    let find = |id: &str| by_id(&mail, id);
    // The signature request goes to the signer, with the LOA attached as a real PDF.
    let (envelope, message) = find("<2026-11-lakeside-dental.signature-request.");
    assert!(
        envelope.contains("RCPT TO: maria.lopez@example.org\n"),
        "{envelope}"
    );
    assert!(
        envelope.contains("RCPT TO: archive@example.com\n"),
        "{envelope}"
    );
    assert!(envelope.starts_with("MAIL FROM: porting@example.com\n"));
    assert!(
        header(message, "Bcc").is_none(),
        "Bcc must not be in the message"
    );
    assert_eq!(
        header(message, "From").as_deref(),
        Some("\"Example Telecom porting desk\" <porting@example.com>")
    );
    assert_eq!(
        header(message, "Reply-To").as_deref(),
        Some("porting-replies@example.com")
    );
    // Nov 20, 15:00 UTC: the commit that landed the port.
    assert_eq!(
        header(message, "Date").as_deref(),
        Some("Fri, 20 Nov 2026 15:00:00 +0000")
    );
    let pdf_at = message
        .find("Content-Type: application/pdf")
        .expect("an attached PDF");
    let part = &message[pdf_at..];
    let body = part.split_once("\r\n\r\n").expect("attachment body").1;
    let b64: String = body
        .split("\r\n--")
        .next()
        .expect("until the boundary")
        .split("\r\n")
        .collect();
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .expect("base64 PDF");
    let doc = lopdf::Document::load_mem(&pdf).expect("the attachment is a PDF");
    assert!(!doc.get_pages().is_empty());
    assert!(
        text_of(message).contains("Hello Maria Lopez"),
        "{}",
        text_of(message)
    );

    // The assisted opener lists GB's requirements and fee.
    let (_, opener) = find("<2026-11-thameside-gallery.assisted@example.com>");
    let text = text_of(opener);
    assert!(text.contains("per number"), "{text}");
    assert!(text.contains("Porting Authorisation Code"), "{text}");

    // Copperleaf: the voided FOC is not announced; the FOC and the completion are, in one
    // thread.
    let (_, scheduled) = find("<2026-11-copperleaf-law.scheduled.005@example.com>");
    let (_, completed) = find("<2026-11-copperleaf-law.completed.006@example.com>");
    assert!(
        !subjects.iter().any(|s| s.contains("December 19")),
        "the voided FOC was announced: {subjects:#?}"
    );
    for message in [scheduled, completed] {
        assert_eq!(
            header(message, "In-Reply-To").as_deref(),
            Some("<2026-11-copperleaf-law@example.com>")
        );
        assert_eq!(
            header(message, "References").as_deref(),
            Some("<2026-11-copperleaf-law@example.com>")
        );
    }
    assert!(
        header(scheduled, "Subject").is_some_and(|s| s.contains("Thursday, November 19, 2026")),
        "{subjects:#?}"
    );

    // Queen West's rejection, from its own commit, with the customer's instructions.
    let (envelope, rejected) = find("<2026-11-queen-west-physio.rejected.003@example.com>");
    assert!(envelope.contains("RCPT TO: front.desk@example.com\n"));
    assert_eq!(
        header(rejected, "Date").as_deref(),
        Some("Sun, 22 Nov 2026 15:00:00 +0000")
    );

    // The ledger says what went out, with no credential.
    let notes = ledger(&repo);
    assert_eq!(notes.matches("[[sent]]").count(), 5, "{notes}");
    assert!(!notes.contains(PASSWORD));

    // Nothing twice: the same run again sends nothing.
    let again = notify(repo.path(), &smtp.url(), &[]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert_eq!(smtp.messages().len(), 5);
    assert!(again.stdout.contains("0 notices sent"), "{}", again.stdout);

    // A commit that makes nothing due moves the start of the next run to it.
    repo.write("README.md", "desk\n");
    repo.stage_all();
    let quiet = repo.commit("Readme", ANA, nov(23, 9));
    let run = notify(repo.path(), &smtp.url(), &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(smtp.messages().len(), 5);
    let noted = repo.git(&["notes", "--ref", "portflow-notices", "list"]);
    assert!(noted.contains(&quiet.to_string()), "{noted}");
}

#[test]
fn an_foc_change_is_announced_again_and_the_same_date_is_not() {
    let repo = desk();
    let smtp = Smtp::start(&[]);
    assert_eq!(notify(repo.path(), &smtp.url(), &[]).code, 0);
    let before = smtp.messages().len();
    let qw = "ports/2026-11-queen-west-physio";
    for file in [
        "004-signed.toml",
        "005-submitted.toml",
        "006-scheduled.toml",
    ] {
        repo.copy_file(&format!("{qw}/events/{file}"));
    }
    repo.stage_all();
    repo.commit("Queen West scheduled", ANA, nov(23, 15));
    // The carrier confirms the same date again: no new notice.
    let same = repo
        .read(&format!("{qw}/events/006-scheduled.toml"))
        .replace("on = 2026-11-20", "on = 2026-11-23");
    repo.write(&format!("{qw}/events/007-scheduled.toml"), same);
    repo.stage_all();
    repo.commit("Queen West FOC confirmed again", MERGER, nov(24, 15));
    let run = notify(repo.path(), &smtp.url(), &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    let mail = smtp.messages();
    assert_eq!(mail.len(), before + 1, "{}", run.all());
    let text = text_of(&mail[before].1);
    assert!(text.contains("has confirmed the date"), "{text}");
    assert!(text.contains("Monday, December 14, 2026"), "{text}");

    // A new date is announced, saying which one it replaces.
    repo.copy_file(&format!("{qw}/events/007-scheduled.toml"));
    repo.write(
        &format!("{qw}/events/008-scheduled.toml"),
        repo.read(&format!("{qw}/events/007-scheduled.toml"))
            .replace("on = 2026-11-24", "on = 2026-11-25"),
    );
    repo.copy_file(&format!("{qw}/events/007-scheduled.toml"));
    let seventh = repo
        .read(&format!("{qw}/events/006-scheduled.toml"))
        .replace("on = 2026-11-20", "on = 2026-11-23");
    repo.write(&format!("{qw}/events/007-scheduled.toml"), seventh);
    repo.stage_all();
    repo.commit("Queen West FOC moved", ANA, nov(25, 15));
    let run = notify(repo.path(), &smtp.url(), &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    let mail = smtp.messages();
    assert_eq!(mail.len(), before + 2, "{}", run.all());
    let (_, moved) = &mail[before + 1];
    assert_eq!(
        header(moved, "Message-ID").as_deref(),
        Some("<2026-11-queen-west-physio.scheduled.008@example.com>")
    );
    let text = text_of(moved);
    assert!(text.contains("has moved the date"), "{text}");
    assert!(
        text.contains("Wednesday, December 16, 2026, at 09:00 (America/Toronto), instead of Monday, December 14, 2026"),
        "{text}"
    );
}

#[test]
fn a_server_that_is_down_records_nothing_and_the_next_run_delivers() {
    let repo = desk();
    // A port nothing listens on: bound, then closed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let down = format!("smtp://{USER}:{PASSWORD}@127.0.0.1:{port}");
    let run = notify(repo.path(), &down, &[]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(
        run.stderr.lines().count(),
        5,
        "one line per notice:\n{}",
        run.stderr
    );
    assert!(run.stderr.lines().all(|l| l.starts_with("error: 2026-11-")));
    assert!(
        !has_notes(&repo),
        "a run that delivered nothing recorded something"
    );

    let smtp = Smtp::start(&[]);
    let run = notify(repo.path(), &smtp.url(), &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(smtp.messages().len(), 5);
}

#[test]
fn a_deferred_recipient_is_retried_alone_by_the_next_run() {
    let repo = desk();
    let smtp = Smtp::start(&["front.desk@example.com"]);
    let run = notify(repo.path(), &smtp.url(), &[]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(smtp.messages().len(), 4, "{}", run.all());
    let failed: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(failed.len(), 1, "{}", run.stderr);
    assert!(
        failed[0].contains("2026-11-queen-west-physio rejected"),
        "{}",
        failed[0]
    );
    assert!(failed[0].contains("450"), "{}", failed[0]);
    assert!(ledger(&repo).contains("[[owed]]"));

    // The mailbox is back; a new commit lands meanwhile. Only the owed notice goes out
    // (nothing else is due).
    repo.write("README.md", "desk\n");
    repo.stage_all();
    repo.commit("Readme", ANA, nov(23, 9));
    let smtp2 = Smtp::start(&[]);
    let run = notify(repo.path(), &smtp2.url(), &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    let mail = smtp2.messages();
    assert_eq!(mail.len(), 1, "{}", run.all());
    assert_eq!(
        header(&mail[0].1, "Message-ID").as_deref(),
        Some("<2026-11-queen-west-physio.rejected.003@example.com>")
    );
    // And then nothing more.
    let run = notify(repo.path(), &smtp2.url(), &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(smtp2.messages().len(), 1);
}

#[test]
fn a_dry_run_writes_the_messages_and_sends_and_records_nothing() {
    let repo = desk();
    let out = tempfile::tempdir().expect("tempdir");
    let out_dir = out.path().join("notices");
    let run = notify(
        repo.path(),
        "smtp://127.0.0.1:9",
        &["--dry-run", "--out", &out_dir.to_string_lossy()],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout
            .ends_with("5 notices due; nothing sent (--dry-run)\n"),
        "{}",
        run.stdout
    );
    let written = |p: &str| out_dir.join(p);
    for file in [
        "2026-11-copperleaf-law/005-scheduled.eml",
        "2026-11-copperleaf-law/006-completed.eml",
        "2026-11-thameside-gallery/assisted.eml",
        "2026-11-queen-west-physio/003-rejected.eml",
    ] {
        assert!(written(file).is_file(), "{file}: {}", run.stdout);
    }
    assert!(!has_notes(&repo));
    // Written files are never replaced.
    let again = notify(
        repo.path(),
        "smtp://127.0.0.1:9",
        &["--dry-run", "--out", &out_dir.to_string_lossy()],
    );
    assert_eq!(again.code, 2, "{}", again.all());
    assert!(again.stderr.contains("cannot write"), "{}", again.stderr);
}

#[test]
fn without_a_server_due_notices_are_an_error_that_says_what_to_set() {
    let repo = desk();
    let run = bin_with_env(repo.path(), &["notify"], None, &[("PORTFLOW_SMTP_URL", "")]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("PORTFLOW_SMTP_URL is not set"),
        "{}",
        run.stderr
    );
    assert!(!has_notes(&repo));
}

#[test]
fn a_partial_completion_says_which_numbers_are_still_to_come() {
    let repo = desk();
    let qw = "ports/2026-11-queen-west-physio";
    for file in [
        "004-signed.toml",
        "005-submitted.toml",
        "006-scheduled.toml",
    ] {
        repo.copy_file(&format!("{qw}/events/{file}"));
    }
    repo.write(
        &format!("{qw}/events/007-completed.toml"),
        "#:schema ../../../schemas/event.schema.json\nkind = \"completed\"\non = 2026-11-24\nby = \"ana.souza@example.com\"\nnumbers = [\"+14165550110\"]\n",
    );
    repo.stage_all();
    repo.commit("Queen West: one number moved", ANA, nov(24, 15));
    let smtp = Smtp::start(&[]);
    let run = notify(repo.path(), &smtp.url(), &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    let mail = smtp.messages();
    let (_, completed) = by_id(
        &mail,
        "<2026-11-queen-west-physio.completed.007@example.com>",
    );
    assert!(
        header(completed, "Subject").is_some_and(|s| s.starts_with("Part of your number port")),
        "{completed}"
    );
    let text = text_of(completed);
    assert!(
        text.contains("+14165550111, +14165550112"),
        "the numbers still to come: {text}"
    );
    assert!(text.contains("do not close your account"), "{text}");
}

#[test]
fn a_repo_from_init_delivers_each_notice_exactly_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let init = bin_with_env(dir.path(), &["init", "desk"], None, &[]);
    assert_eq!(init.code, 0, "{}", init.all());
    let root = dir.path().join("desk");
    common::copy_dir(
        &project_root().join("ports/2026-11-copperleaf-law"),
        &root.join("ports/2026-11-copperleaf-law"),
    );
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    let repo = git2::Repository::init_opts(&root, &opts).expect("git init");
    let mut index = repo.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    let tree = repo
        .find_tree(index.write_tree().expect("write tree"))
        .expect("tree");
    let who = git2::Signature::new(ANA.name, ANA.email, &git2::Time::new(nov(20, 15), 0))
        .expect("signature");
    repo.commit(
        Some("HEAD"),
        &who,
        &who,
        "A new desk and its first port",
        &tree,
        &[],
    )
    .expect("commit");
    let smtp = Smtp::start(&[]);
    for _ in 0..3 {
        let run = notify(&root, &smtp.url(), &[]);
        assert_eq!(run.code, 0, "{}", run.all());
    }
    let ids: Vec<String> = smtp
        .messages()
        .iter()
        .map(|(_, m)| header(m, "Message-ID").expect("id"))
        .collect();
    assert_eq!(
        ids,
        [
            "<2026-11-copperleaf-law.scheduled.005@example.com>",
            "<2026-11-copperleaf-law.completed.006@example.com>",
        ]
    );
}
