//! `portflow secret rewrap`: key rotation re-encrypts every stored secret to the current
//! recipients, keeps layout and LOA digests, skips terminal ports and writes nothing when a
//! value cannot be decrypted.

mod common;

use std::path::PathBuf;

use age::secrecy::{ExposeSecret, SecretString};
use common::{TempRepo, project_root};
use portflow::{Exit, Output};

const TODAY: &str = "2026-11-25";
const DEMO_RECIPIENT: &str = "age1z5tqqflgnp4slj8xvgsgwm5arw3nrd0ehydphpjkc2snf2tpagls6rl4ch";

const US_PORT: &str = "2026-11-harbor-cafe";
const US_REQUEST: &str = "ports/2026-11-harbor-cafe/request.toml";
const GB_PORT: &str = "2026-11-regent-florist";
const GB_REQUEST: &str = "ports/2026/2026-11-regent-florist/request.toml";
const DONE_PORT: &str = "2026-11-gull-tours";
const DONE_REQUEST: &str = "ports/2026-11-gull-tours/request.toml";
const PLAIN_REQUEST: &str = "ports/2026-11-oak-bakery/request.toml";

const US_PIN: &str = "K7Q2M9X4T1";
const GB_PAC: &str = "PAC123456";
const DONE_PIN: &str = "9Z8Y7X6W";

/// A US mobile request; `{PIN}` is replaced by the stored value.
const MOBILE_REQUEST: &str = r#"#:schema ../../schemas/request.schema.json
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

[[numbers]]
number = "+12065550160"
type = "mobile"
tracking_source = "Menu flyers"
receiving_number = "+12065550100"
"#;

/// A GB mobile request in a year folder; `{PAC}` is replaced by the stored PAC.
const GB_MOBILE_REQUEST: &str = r#"#:schema ../../../schemas/request.schema.json
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
account_number = "RF-1200"

[end_user.service_address]
street = "8 Primrose Row"
locality = "London"
postal_code = "EC1A 1BB"
country = "GB"

[fee]
accepted_by = "amelia@regent.example"
accepted_on = 2026-11-20

[requirements]
# The PAC from the losing network.
pac_code = """{PAC}"""

[[numbers]]
number = "+447700900123"
type = "mobile"
tracking_source = "Shop window"
receiving_number = "+442079460100"
"#;

fn demo_identity() -> PathBuf {
    project_root().join("keys/demo-identity.txt")
}

fn demo_identity_arg() -> String {
    demo_identity().to_str().expect("utf-8 path").to_owned()
}

fn demo_recipient() -> age::x25519::Recipient {
    DEMO_RECIPIENT.parse().expect("the demo recipient")
}

fn encrypted_to(recipients: &[age::x25519::Recipient], value: &str) -> String {
    portflow::secret::encrypt(recipients, &SecretString::from(value.to_owned())).expect("encrypts")
}

fn read(repo: &TempRepo, rel: &str) -> String {
    std::fs::read_to_string(repo.path().join(rel)).expect("read")
}

fn value_span(text: &str, table: &str, key: &str) -> std::ops::Range<usize> {
    let doc = toml_edit::Document::parse(text).expect("toml");
    doc[table][key].span().expect("span")
}

fn outside(text: &str, table: &str, key: &str) -> (String, String) {
    let span = value_span(text, table, key);
    (text[..span.start].to_owned(), text[span.end..].to_owned())
}

fn all(out: &Output) -> String {
    format!("{}{}", out.stdout, out.stderr)
}

/// A new identity written to `name` in the repo; returns it.
fn new_identity(repo: &TempRepo, name: &str) -> age::x25519::Identity {
    let identity = age::x25519::Identity::generate();
    repo.write(
        name,
        format!(
            "# a second desk key for the rotation test\n{}\n",
            identity.to_string().expose_secret()
        ),
    );
    identity
}

/// Sets porting.toml's recipients, keeping the rest of the file.
fn set_recipients(repo: &TempRepo, recipients: &[String]) {
    let policy = read(repo, "porting.toml");
    let list = recipients
        .iter()
        .map(|r| format!("\"{r}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let updated = policy.replace(
        &format!("recipients = [\"{DEMO_RECIPIENT}\"]"),
        &format!("recipients = [{list}]"),
    );
    assert_ne!(updated, policy, "porting.toml lists the demo recipient");
    repo.write("porting.toml", updated);
}

/// Three ports with secrets (one of them cancelled) and one without, all encrypted to the demo key.
fn rotation_repo() -> TempRepo {
    let repo = TempRepo::new();
    let demo = [demo_recipient()];
    repo.write(
        US_REQUEST,
        MOBILE_REQUEST.replace("{PIN}", &encrypted_to(&demo, US_PIN)),
    );
    repo.write(
        GB_REQUEST,
        GB_MOBILE_REQUEST.replace("{PAC}", &encrypted_to(&demo, GB_PAC)),
    );
    repo.write(
        DONE_REQUEST,
        MOBILE_REQUEST
            .replace("{PIN}", &encrypted_to(&demo, DONE_PIN))
            .replace("harbor-cafe", "gull-tours")
            .replace("+12065550160", "+12065550170"),
    );
    repo.write(
        "ports/2026-11-gull-tours/events/001-cancelled.toml",
        "kind = \"cancelled\"\non = 2026-11-24\nby = \"ops@example.com\"\nreason = \"the customer stays\"\n",
    );
    repo.write(PLAIN_REQUEST, common::VALID_REQUEST);
    repo
}

fn show(repo: &TempRepo, port: &str, key: &str, identity: &str) -> Output {
    repo.run(&["secret", "show", port, key, "--identity", identity])
}

fn digests(repo: &TempRepo) -> String {
    let out = repo.run(&["digest"]);
    assert_eq!(out.exit, Exit::Clean, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 4, "every port has a digest");
    out.stdout
}

#[test]
fn rewrap_moves_every_secret_to_the_new_key_and_keeps_digests_and_layout() {
    let repo = rotation_repo();
    let before_digests = digests(&repo);
    let us_before = read(&repo, US_REQUEST);
    let gb_before = read(&repo, GB_REQUEST);
    let done_before = read(&repo, DONE_REQUEST);
    let plain_before = read(&repo, PLAIN_REQUEST);

    let new_key = new_identity(&repo, "desk.key");
    set_recipients(&repo, &[new_key.to_public().to_string()]);
    let out = repo.run(&[
        "--today",
        TODAY,
        "secret",
        "rewrap",
        "--identity",
        &demo_identity_arg(),
    ]);
    assert_eq!(out.exit, Exit::Clean, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!(
            "re-encrypted `end_user.pin` in `{US_REQUEST}`\n\
             re-encrypted `requirements.pac_code` in `{GB_REQUEST}`\n\
             2 secrets in 2 requests re-encrypted to 1 recipient\n"
        )
    );
    assert_eq!(
        out.stderr,
        format!(
            "skipped `{DONE_REQUEST}`: the port is cancelled, and nothing in a terminal port changes\n"
        )
    );
    for secret in [US_PIN, GB_PAC, DONE_PIN] {
        assert!(!all(&out).contains(secret));
    }

    // The LOA digest never includes a secret: re-encrypting changes nothing signed.
    assert_eq!(digests(&repo), before_digests);

    // Only the values changed.
    let us_after = read(&repo, US_REQUEST);
    let gb_after = read(&repo, GB_REQUEST);
    assert_ne!(us_after, us_before);
    assert_ne!(gb_after, gb_before);
    assert_eq!(
        outside(&us_before, "end_user", "pin"),
        outside(&us_after, "end_user", "pin")
    );
    assert_eq!(
        outside(&gb_before, "requirements", "pac_code"),
        outside(&gb_after, "requirements", "pac_code")
    );
    assert_eq!(
        read(&repo, DONE_REQUEST),
        done_before,
        "terminal port untouched"
    );
    assert_eq!(
        show(&repo, DONE_PORT, "pin", &demo_identity_arg()).stdout,
        format!("{DONE_PIN}\n"),
        "the cancelled port keeps its old ciphertext"
    );
    assert_eq!(read(&repo, PLAIN_REQUEST), plain_before);

    // The new key reads them; the removed demo key no longer does.
    assert_eq!(
        show(&repo, US_PORT, "pin", "desk.key").stdout,
        format!("{US_PIN}\n")
    );
    assert_eq!(
        show(&repo, GB_PORT, "pac_code", "desk.key").stdout,
        format!("{GB_PAC}\n")
    );
    for (port, key, rel, slot) in [
        (US_PORT, "pin", US_REQUEST, "end_user.pin"),
        (GB_PORT, "pac_code", GB_REQUEST, "requirements.pac_code"),
    ] {
        let out = show(&repo, port, key, &demo_identity_arg());
        assert_eq!(out.exit, Exit::Failure);
        assert_eq!(out.stdout, "");
        assert_eq!(
            out.stderr,
            format!(
                "error: cannot decrypt `{slot}` in `{rel}`: no identity given matches a recipient it was encrypted to\n"
            )
        );
    }
}

#[test]
fn rewrap_to_two_recipients_lets_both_keys_decrypt() {
    let repo = rotation_repo();
    let second = new_identity(&repo, "second.key");
    set_recipients(
        &repo,
        &[DEMO_RECIPIENT.to_owned(), second.to_public().to_string()],
    );
    let out = repo.run(&["secret", "rewrap", "-i", &demo_identity_arg()]);
    assert_eq!(out.exit, Exit::Clean, "{}", out.stderr);
    assert!(
        out.stdout
            .ends_with("2 secrets in 2 requests re-encrypted to 2 recipients\n")
    );
    for identity in [demo_identity_arg(), "second.key".to_owned()] {
        assert_eq!(
            show(&repo, US_PORT, "pin", &identity).stdout,
            format!("{US_PIN}\n")
        );
        assert_eq!(
            show(&repo, GB_PORT, "pac_code", &identity).stdout,
            format!("{GB_PAC}\n")
        );
    }
}

#[test]
fn a_value_that_cannot_be_decrypted_leaves_every_file_untouched() {
    let repo = rotation_repo();
    let stranger = new_identity(&repo, "stranger.key");
    // The GB PAC is encrypted to a key the operator does not hold.
    repo.write(
        GB_REQUEST,
        GB_MOBILE_REQUEST.replace("{PAC}", &encrypted_to(&[stranger.to_public()], GB_PAC)),
    );
    std::fs::remove_file(repo.path().join("stranger.key")).expect("remove");
    let us_before = read(&repo, US_REQUEST);
    let gb_before = read(&repo, GB_REQUEST);

    let out = repo.run(&["secret", "rewrap", "--identity", &demo_identity_arg()]);
    assert_eq!(out.exit, Exit::Failure);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        format!(
            "error: cannot decrypt `requirements.pac_code` in `{GB_REQUEST}`: no identity given matches a recipient it was encrypted to; nothing was written\n"
        )
    );
    assert_eq!(read(&repo, US_REQUEST), us_before, "nothing written");
    assert_eq!(read(&repo, GB_REQUEST), gb_before);
}

#[test]
fn plaintext_secrets_are_reported_not_rewrapped_and_never_printed() {
    let repo = rotation_repo();
    repo.write(GB_REQUEST, GB_MOBILE_REQUEST.replace("{PAC}", "PLN654321"));
    let gb_before = read(&repo, GB_REQUEST);
    let out = repo.run(&["secret", "rewrap", "--identity", &demo_identity_arg()]);
    assert_eq!(out.exit, Exit::Findings);
    assert_eq!(
        out.stdout,
        format!(
            "re-encrypted `end_user.pin` in `{US_REQUEST}`\n\
             1 secret in 1 request re-encrypted to 1 recipient\n"
        )
    );
    assert!(out.stderr.contains(&format!(
        "`requirements.pac_code` in `{GB_REQUEST}` is not age-encrypted (`secret::plaintext`), left as it is"
    )));
    assert!(!all(&out).contains("PLN654321"));
    assert_eq!(read(&repo, GB_REQUEST), gb_before);
}

#[test]
fn rewrap_needs_an_identity_only_when_there_is_something_to_decrypt() {
    let repo = rotation_repo();
    let out = repo.run(&["secret", "rewrap"]);
    assert_eq!(out.exit, Exit::Failure);
    assert!(
        out.stderr
            .starts_with("error: `portflow secret rewrap` needs `--identity FILE`")
    );

    let empty = TempRepo::new();
    empty.write(PLAIN_REQUEST, common::VALID_REQUEST);
    let out = empty.run(&["secret", "rewrap"]);
    assert_eq!(out.exit, Exit::Clean, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "0 secrets in 0 requests re-encrypted to 1 recipient\n"
    );
}
