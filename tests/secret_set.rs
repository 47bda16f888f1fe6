//! `portflow secret set` and `secret show` through the built binary with piped standard
//! input: the age round trip, byte-for-byte layout, refusals that write nothing, and no
//! secret in any output.

mod common;

use std::path::{Path, PathBuf};

use age::secrecy::SecretString;
use common::{TempRepo, json_findings, project_root};

const TODAY: &str = "2026-11-25";
const PORT: &str = "2026-11-harbor-cafe";
const REQUEST: &str = "ports/2026-11-harbor-cafe/request.toml";
const GB_PORT: &str = "2026-11-regent-florist";
const GB_REQUEST: &str = "ports/2026-11-regent-florist/request.toml";

/// A mobile request with comments, odd spacing and trailing comments on the secret lines.
/// `{PIN}` is replaced by an armored value (or the two PIN lines are dropped).
const MOBILE_REQUEST: &str = r#"#:schema ../../schemas/request.schema.json
# A mobile port: the PIN below is age-encrypted.
account = "harbor-cafe"            # the account
requested_by = "ops@harbor.example"
country = "US"
losing_carrier = "Example Wireless"
port_type = "full"

[end_user]   # exactly as the carrier has it
type = "business"
name = "Harbor Cafe LLC"
authorized_person = "Rosa Diaz"
billing_number = "+12065550160"
account_number   =   "5550-0160"      # from the bill
pin = """{PIN}"""   # set with portflow secret set
pin_obtained_on = 2026-11-20   # PINs expire after 7 days

[end_user.service_address]
street = "400 Pier Ave"
locality = "Seattle"
region = "WA"
postal_code = "98101"
country = "US"

# Numbers and routing.
[[numbers]]
number = "+12065550160"
type = "mobile"
tracking_source = "Menu flyers"
receiving_number = "+12065550100"
"#;

/// A GB mobile request: its country requires a secret `pac_code`, which it lacks.
const GB_MOBILE_REQUEST: &str = r#"#:schema ../../schemas/request.schema.json
account = "regent-florist"
requested_by = "ops@regent.example"
country = "GB"
losing_carrier = "Example Mobile UK"
port_type = "full"

[end_user]
type = "business"
name = "Regent Florist Ltd"
authorized_person = "Amelia Hart"
billing_number = "+447700900123"

[end_user.service_address]
street = "8 Primrose Row"
locality = "London"
postal_code = "EC1A 1BB"
country = "GB"

[fee]
accepted_by = "amelia@regent.example"
accepted_on = 2026-11-20

# The number to port.
[[numbers]]
number = "+447700900123"
type = "mobile"
tracking_source = "Shop window"
receiving_number = "+442079460100"
"#;

/// What a run of the built binary printed and how it exited.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Runs the built binary in `dir`; `stdin` is piped in when given, else stdin is empty.
fn portflow(dir: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let out = common::bin(dir, args, stdin.map(str::as_bytes));
    Run {
        code: out.code,
        stdout: out.stdout,
        stderr: out.stderr,
    }
}

/// `secret set` with the value piped in.
fn set(dir: &Path, port: &str, key: &str, value: &str, extra: &[&str]) -> Run {
    let mut args = vec!["--today", TODAY, "secret", "set", port, key];
    args.extend_from_slice(extra);
    portflow(dir, &args, Some(value))
}

fn demo_identity() -> PathBuf {
    project_root().join("keys/demo-identity.txt")
}

/// The public key of the committed demo identity (porting.toml's recipient).
fn demo_recipient() -> age::x25519::Recipient {
    let text = std::fs::read_to_string(demo_identity()).expect("demo identity");
    let line = text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .expect("an identity line");
    line.parse::<age::x25519::Identity>()
        .expect("identity")
        .to_public()
}

/// `value` encrypted to the demo recipient, armored.
fn encrypted(value: &str) -> String {
    portflow::secret::encrypt(&[demo_recipient()], &SecretString::from(value.to_owned()))
        .expect("encrypts")
}

/// `secret show` in-process with the demo identity.
fn show(repo: &TempRepo, port: &str, key: &str) -> portflow::Output {
    let identity = demo_identity();
    let identity = identity.to_str().expect("utf-8 path");
    repo.run(&["secret", "show", port, key, "--identity", identity])
}

fn read(repo: &TempRepo, rel: &str) -> String {
    std::fs::read_to_string(repo.path().join(rel)).expect("read")
}

/// The byte span of `table.key`'s value in a TOML text.
fn value_span(text: &str, table: &str, key: &str) -> std::ops::Range<usize> {
    let doc = toml_edit::Document::parse(text).expect("toml");
    doc[table][key].span().expect("span")
}

/// Everything but the value of `table.key`: the text before it and after it.
fn outside(text: &str, table: &str, key: &str) -> (String, String) {
    let span = value_span(text, table, key);
    (text[..span.start].to_owned(), text[span.end..].to_owned())
}

/// The names of the files in a folder (to prove no temp file is left behind).
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn mobile_repo(pin: Option<&str>) -> TempRepo {
    let repo = TempRepo::new();
    let text = match pin {
        Some(pin) => MOBILE_REQUEST.replace("{PIN}", pin),
        None => MOBILE_REQUEST
            .lines()
            .filter(|l| !l.starts_with("pin"))
            .map(|l| format!("{l}\n"))
            .collect(),
    };
    repo.write(REQUEST, text);
    repo
}

/// Asserts an armored age block and nothing else.
fn assert_only_armor(value: &str) {
    let lines: Vec<&str> = value.split('\n').collect();
    assert_eq!(lines.first(), Some(&"-----BEGIN AGE ENCRYPTED FILE-----"));
    assert_eq!(lines.last(), Some(&"-----END AGE ENCRYPTED FILE-----"));
    let body = &lines[1..lines.len() - 1];
    assert!(!body.is_empty());
    for line in body {
        assert!(
            (1..=64).contains(&line.len())
                && line
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)),
            "not an armor line: {line:?}"
        );
    }
}

#[test]
fn pin_round_trips_through_age_and_the_file_holds_only_the_armored_block() {
    let repo = mobile_repo(None);
    let pin = "K7Q2M9X4T1";
    let out = set(repo.path(), PORT, "pin", &format!("{pin}\n"), &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!(
            "encrypted `end_user.pin` of `{PORT}` to 1 recipient in `{REQUEST}`\n\
             set `end_user.pin_obtained_on` to {TODAY}\n"
        )
    );
    assert!(!out.all().contains(pin));

    let text = read(&repo, REQUEST);
    assert!(!text.contains(pin), "plaintext PIN in the file");
    let table: toml::Table = toml::from_str(&text).expect("still TOML");
    let stored = table["end_user"]["pin"].as_str().expect("a string");
    assert_only_armor(stored);
    assert!(text.contains("pin = \"\"\"-----BEGIN AGE ENCRYPTED FILE-----\n"));
    assert_eq!(
        table["end_user"]["pin_obtained_on"].to_string(),
        TODAY,
        "pin_obtained_on defaults to --today"
    );

    let shown = show(&repo, PORT, "pin");
    assert_eq!(shown.stderr, "");
    assert_eq!(shown.stdout, format!("{pin}\n"));

    // The validator accepts what `set` wrote.
    let check = repo.run(&["check", "--today", TODAY, "--format", "json"]);
    let findings = json_findings(&check);
    assert!(
        !findings
            .iter()
            .any(|f| f["code"] == "secret::plaintext" || f["code"] == "toml::syntax"),
        "{findings:?}"
    );
    assert!(!check.stdout.contains(pin));
}

#[test]
fn the_bundled_pins_decrypt_with_the_demo_identity() {
    let repo = TempRepo::new();
    repo.copy_port("ports/2026-11-pinecrest-plumbing");
    let out = show(&repo, "2026-11-pinecrest-plumbing", "pin");
    assert_eq!(out.exit, portflow::Exit::Clean, "{}", out.stderr);
    let pin = out.stdout.trim_end_matches('\n');
    assert!(portflow::secret::is_valid_pin(pin), "a PIN, not {out:?}");
}

#[test]
fn replacing_a_pin_changes_nothing_outside_the_value() {
    let repo = mobile_repo(Some(&encrypted("OLD0PIN1")));
    let before = read(&repo, REQUEST);
    // Without `--force` an existing PIN is never replaced, and nothing is asked or written.
    let refused = set(
        repo.path(),
        PORT,
        "pin",
        "N3WP1N\n",
        &["--obtained-on", "2026-11-20"],
    );
    assert_eq!(refused.code, 2, "{}", refused.all());
    assert!(refused.stderr.contains("--force"), "{}", refused.stderr);
    assert_eq!(read(&repo, REQUEST), before);
    let out = set(
        repo.path(),
        PORT,
        "pin",
        "N3WP1N\n",
        &["--obtained-on", "2026-11-20", "--force"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let after = read(&repo, REQUEST);
    assert_ne!(before, after);
    assert_eq!(
        outside(&before, "end_user", "pin"),
        outside(&after, "end_user", "pin"),
        "comments and layout outside the PIN's value changed"
    );
    assert_eq!(show(&repo, PORT, "pin").stdout, "N3WP1N\n");
}

#[test]
fn crlf_files_keep_their_line_endings_byte_for_byte() {
    let repo = TempRepo::new();
    let crlf = MOBILE_REQUEST
        .replace("{PIN}", &encrypted("OLD0PIN1"))
        .replace('\n', "\r\n");
    repo.write(REQUEST, &crlf);
    let out = set(
        repo.path(),
        PORT,
        "pin",
        "N3WP1N\r\n",
        &["--obtained-on", "2026-11-20", "--force"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let after = read(&repo, REQUEST);
    assert_eq!(
        outside(&crlf, "end_user", "pin"),
        outside(&after, "end_user", "pin")
    );
    let span = value_span(&after, "end_user", "pin");
    assert!(
        !after[span].replace("\r\n", "").contains('\n'),
        "the new value uses the file's CRLF line endings"
    );
    assert_eq!(show(&repo, PORT, "pin").stdout, "N3WP1N\n");
}

#[test]
fn a_missing_pin_is_added_after_the_account_number_and_nothing_else_moves() {
    let repo = mobile_repo(None);
    let before = read(&repo, REQUEST);
    let out = set(
        repo.path(),
        PORT,
        "pin",
        "4821\n",
        &["--obtained-on", "2026-11-21"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let after = read(&repo, REQUEST);
    let span = value_span(&after, "end_user", "pin");
    let added = format!(
        "pin = {}\npin_obtained_on = 2026-11-21\n",
        &after[span.clone()]
    );
    let anchor = "account_number   =   \"5550-0160\"      # from the bill\n";
    let expected = before.replace(anchor, &format!("{anchor}{added}"));
    assert_eq!(after, expected);
}

#[test]
fn a_secret_requirement_is_encrypted_into_a_new_requirements_table() {
    let repo = TempRepo::new();
    repo.write(GB_REQUEST, GB_MOBILE_REQUEST);
    let before_check = json_findings(&repo.run(&["check", "--today", TODAY, "--format", "json"]));
    assert!(
        before_check
            .iter()
            .any(|f| f["code"] == "country::requirement-missing"
                && f["message"].as_str().unwrap_or("").contains("pac_code")),
        "the fixture lacks its PAC: {before_check:?}"
    );

    let out = set(repo.path(), GB_PORT, "pac_code", "PAC123456\n", &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!(
            "encrypted `requirements.pac_code` of `{GB_PORT}` to 1 recipient in `{GB_REQUEST}`\n\
             set `requirements.pac_code_obtained_on` to {TODAY}\n"
        ),
        "a PAC expires (porting.toml max_age_days), so it is dated like a PIN"
    );
    let after = read(&repo, GB_REQUEST);
    assert!(!after.contains("PAC123456"));
    let span = value_span(&after, "requirements", "pac_code");
    let expected = GB_MOBILE_REQUEST.replace(
        "# The number to port.\n",
        &format!(
            "[requirements]\npac_code = {}\npac_code_obtained_on = {TODAY}\n\n# The number to port.\n",
            &after[span]
        ),
    );
    assert_eq!(
        after, expected,
        "the table goes before [[numbers]] and its comment"
    );
    assert_eq!(show(&repo, GB_PORT, "pac_code").stdout, "PAC123456\n");

    let findings = json_findings(&repo.run(&["check", "--today", TODAY, "--format", "json"]));
    assert!(
        !findings.iter().any(|f| f["code"] == "secret::plaintext"
            || (f["code"] == "country::requirement-missing"
                && f["message"].as_str().unwrap_or("").contains("pac_code"))),
        "{findings:?}"
    );
}

#[test]
fn obtained_on_dates_a_requirement_only_when_it_expires() {
    let repo = TempRepo::new();
    repo.write(GB_REQUEST, GB_MOBILE_REQUEST);
    let args = ["--obtained-on", "2026-11-20"];
    let out = set(repo.path(), GB_PORT, "pac_code", "PAC123456\n", &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        read(&repo, GB_REQUEST).contains("\npac_code_obtained_on = 2026-11-20\n"),
        "{}",
        read(&repo, GB_REQUEST)
    );

    // Without `max_age_days` the PAC never expires, and has no date to set.
    let repo = TempRepo::new();
    repo.write(GB_REQUEST, GB_MOBILE_REQUEST);
    let policy = read(&repo, "porting.toml");
    let limit = "max_age_days = 30";
    let line = policy
        .lines()
        .find(|l| l.starts_with(limit))
        .expect("the PAC's limit");
    repo.write("porting.toml", policy.replace(&format!("{line}\n"), ""));
    let out = set(repo.path(), GB_PORT, "pac_code", "PAC123456\n", &args);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "error: `--obtained-on` applies to `pin` and to requirements that expire (`max_age_days` in porting.toml) only\n"
        )
    );
    assert_eq!(read(&repo, GB_REQUEST), GB_MOBILE_REQUEST);
}

#[test]
fn a_pac_that_breaks_its_pattern_is_refused_with_nothing_written() {
    let repo = TempRepo::new();
    repo.write(GB_REQUEST, GB_MOBILE_REQUEST);
    let dir = repo.path().join("ports").join(GB_PORT);
    let files = names_in(&dir);
    for bad in ["pac123456", "PAC12345", "PAC1234567", "PAC 123456"] {
        let out = set(repo.path(), GB_PORT, "pac_code", &format!("{bad}\n"), &[]);
        assert_eq!(out.code, 2, "{bad}: {}", out.all());
        assert_eq!(
            out.stderr,
            "error: the value read does not match the pattern `^[A-Z]{3}[0-9]{6}$` of `pac_code` in porting.toml; nothing was written\n"
        );
        assert!(!out.all().contains(bad));
        assert_eq!(read(&repo, GB_REQUEST), GB_MOBILE_REQUEST);
        assert_eq!(names_in(&dir), files, "no temp file left");
    }
}

#[test]
fn a_value_that_is_no_pin_is_refused_and_never_echoed() {
    let repo = mobile_repo(None);
    let before = read(&repo, REQUEST);
    for bad in ["482", "PIN-4821", "12345678901", "48 21"] {
        let out = set(repo.path(), PORT, "pin", &format!("{bad}\n"), &[]);
        assert_eq!(out.code, 2, "{bad}");
        assert_eq!(
            out.stderr,
            "error: the value read is not a transfer PIN: expected 4–10 letters or digits; nothing was written\n"
        );
        assert!(!out.all().contains(bad));
    }
    for (input, message) in [
        ("", "no value was given"),
        ("\n", "no value was given"),
        ("4821\n9999\n", "spans more than one line"),
    ] {
        let out = set(repo.path(), PORT, "pin", input, &[]);
        assert_eq!(out.code, 2);
        assert!(out.stderr.contains(message), "{input:?}: {}", out.stderr);
        assert!(!out.all().contains("4821"));
    }
    assert_eq!(read(&repo, REQUEST), before);
}

#[test]
fn unknown_ports_and_keys_are_refused_before_any_value_is_read() {
    let repo = TempRepo::new();
    repo.write(GB_REQUEST, GB_MOBILE_REQUEST);
    // Standard input is empty: a command that tried to read a value would fail differently.
    let cases: [(&[&str], &str); 4] = [
        (
            &["secret", "set", "2026-11-nowhere", "pin"],
            "error: no port `2026-11-nowhere` in this repo (see `portflow status`)\n",
        ),
        (
            &["secret", "set", GB_PORT, "pac"],
            "error: `pac` is not a secret of port `2026-11-regent-florist`: use one of `pin`, `pac_code`\n",
        ),
        (
            &["secret", "set", GB_PORT, "siret"],
            "error: `siret` is not a secret of port `2026-11-regent-florist`: use one of `pin`, `pac_code`\n",
        ),
        (
            &[
                "--today",
                TODAY,
                "secret",
                "set",
                GB_PORT,
                "pin",
                "--obtained-on",
                "2026-11-26",
            ],
            "error: `--obtained-on` 2026-11-26 is after today (2026-11-25)\n",
        ),
    ];
    for (args, stderr) in cases {
        let out = portflow(repo.path(), args, None);
        assert_eq!((out.code, out.stderr.as_str()), (2, stderr), "{args:?}");
        assert_eq!(out.stdout, "");
    }
    // A requirement that exists but is not secret: the FR SIRET.
    repo.write(
        "ports/2026-11-rue-verte/request.toml",
        GB_MOBILE_REQUEST.replace("country = \"GB\"", "country = \"FR\""),
    );
    let out = portflow(
        repo.path(),
        &["secret", "set", "2026-11-rue-verte", "siret"],
        None,
    );
    assert_eq!(
        out.stderr,
        "error: `siret` is not a secret requirement in porting.toml: write its value as plain text under `[requirements]` in request.toml\n"
    );
    assert_eq!(read(&repo, GB_REQUEST), GB_MOBILE_REQUEST);
}

#[test]
fn a_terminal_port_is_refused() {
    let repo = mobile_repo(None);
    repo.write(
        "ports/2026-11-harbor-cafe/events/001-cancelled.toml",
        "kind = \"cancelled\"\non = 2026-11-24\nby = \"ops@example.com\"\nreason = \"the customer stays\"\n",
    );
    let before = read(&repo, REQUEST);
    let out = set(repo.path(), PORT, "pin", "4821\n", &[]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "error: port `2026-11-harbor-cafe` is cancelled: nothing in a terminal port changes\n"
        )
    );
    assert_eq!(read(&repo, REQUEST), before);
}

#[test]
fn show_needs_an_identity_that_matches() {
    let repo = mobile_repo(Some(&encrypted("OLD0PIN1")));
    let out = repo.run(&["secret", "show", PORT, "pin"]);
    assert_eq!(out.exit, portflow::Exit::Failure);
    assert!(
        out.stderr
            .starts_with("error: `portflow secret show` needs `--identity FILE`"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "");

    let other = age::x25519::Identity::generate();
    use age::secrecy::ExposeSecret;
    repo.write(
        "other.key",
        format!("{}\n", other.to_string().expose_secret()),
    );
    let out = repo.run(&["secret", "show", PORT, "pin", "--identity", "other.key"]);
    assert_eq!(
        out.stderr,
        format!(
            "error: cannot decrypt `end_user.pin` in `{REQUEST}`: no identity given matches a recipient it was encrypted to\n"
        )
    );
    assert_eq!(out.stdout, "");

    // A public key is not an identity, and the message never quotes the file.
    repo.write("public.txt", format!("{}\n", other.to_public()));
    let out = repo.run(&["secret", "show", PORT, "pin", "--identity", "public.txt"]);
    assert_eq!(out.exit, portflow::Exit::Failure);
    assert!(out.stderr.contains("cannot use identity file `public.txt`"));
    assert!(!out.stderr.contains(&other.to_public().to_string()));

    // A plaintext PIN is not shown: it is a finding to fix, not a value to print.
    let repo = mobile_repo(Some("4821"));
    let out = show(&repo, PORT, "pin");
    assert!(
        out.stderr
            .contains("is not age-encrypted (`secret::plaintext`)")
    );
    assert!(!out.all_text().contains("4821"));
}

trait AllText {
    fn all_text(&self) -> String;
}

impl AllText for portflow::Output {
    fn all_text(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}
