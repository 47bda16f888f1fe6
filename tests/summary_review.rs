//! What a reviewer reads in `portflow summary`: what each submission sends, the facts
//! checked for it, what a resubmission changed against the rejection's reasons, a moved FOC
//! and what a change of porting.toml changes; snapshots of the whole Markdown, on real git
//! repos with pinned signatures and times.

mod common;
mod history_git;

use history_git::{ANA, BEN, GitRepo, nov};
use portflow::Exit;

const BAYVIEW: &str = "ports/2026-11-bayview-bistro";
const LAKESIDE: &str = "ports/2026-11-lakeside-dental";
const LINK: &str = "https://github.com/example/ports/actions/runs/42";

/// Bayview's request, bill and signature, committed on `main` on Nov 19.
fn signed_bayview() -> GitRepo {
    let repo = GitRepo::new();
    repo.copy_file(&format!("{BAYVIEW}/request.toml"))
        .copy_file(&format!("{BAYVIEW}/documents/bill-2026-11.pdf"))
        .copy_file(&format!("{BAYVIEW}/documents/loa-signed-2026-11-19.pdf"))
        .copy_file(&format!("{BAYVIEW}/events/001-signed.toml"));
    repo.commit("Bayview signed", BEN, nov(19, 15));
    repo
}

/// Bayview signed, submitted Nov 20, merged.
fn submitted_bayview() -> GitRepo {
    let repo = signed_bayview();
    repo.branch("submit");
    repo.copy_file(&format!("{BAYVIEW}/events/002-submitted.toml"));
    repo.commit("Submit Bayview", ANA, nov(20, 10));
    repo.checkout("main");
    repo.merge("submit", nov(20, 12));
    repo
}

fn summary(repo: &GitRepo, today: &str) -> String {
    let out = repo.run(&[
        "summary",
        "--base",
        "main",
        "--today",
        today,
        "--loa-link",
        LINK,
    ]);
    assert_eq!(out.exit, Exit::Clean, "{}{}", out.stdout, out.stderr);
    out.stdout
}

/// The summary with its short commit ids as `<commit>`: they change with every fixture
/// the repos are made of, while what a snapshot guards is the text around them.
fn stable(md: &str) -> String {
    regex::Regex::new("`[0-9a-f]{8}`")
        .expect("regex")
        .replace_all(md, "`<commit>`")
        .into_owned()
}

/// Runs `portflow record <port> ...` as of Dec 1 (events dated up to then).
fn record(repo: &GitRepo, port: &str, args: &[&str]) {
    let mut all = vec!["record", port, "--today", "2026-12-01"];
    all.extend_from_slice(args);
    let out = repo.run(&all);
    assert_eq!(out.exit, Exit::Clean, "{}{}", out.stdout, out.stderr);
}

#[test]
fn a_first_submission_shows_what_the_carrier_receives() {
    let repo = signed_bayview();
    repo.branch("submit");
    repo.copy_file(&format!("{BAYVIEW}/events/002-submitted.toml"));
    repo.commit("Submit Bayview", ANA, nov(20, 10));
    let md = summary(&repo, "2026-11-25");
    // The LOA as approved: end user, address, BTN, account, carrier, numbers, type.
    for line in [
        "| `end_user.name` | Bayview Bistro Inc |",
        "| `end_user.billing_number` | +14155550130 |",
        "| `end_user.account_number` | VZB-310-22875 |",
        "| `end_user.service_address.street` | 2210 Seaglass Blvd |",
        "| `losing_carrier` | Verizon Business |",
        "| `port_type` | partial |",
        "| `partial.remaining_numbers` | disconnect |",
        "| 2 numbers | `+14155550130` (landline), `+14155550131` (landline) |",
        "| fee | none: US is self-serve and free |",
    ] {
        assert!(md.contains(line), "{line}\n{md}");
    }
    assert!(
        md.contains(&format!(
            "| rendered LOA | [in the run's artifacts]({LINK}) |"
        )),
        "{md}"
    );
    // Facts are ticked by portflow (✓/✗), never pre-ticked boxes; a person's checks stay open.
    assert!(!md.contains("- [x]"), "{md}");
    assert!(
        md.contains("- ✗ CSR matched: no `[csr]` in the request"),
        "{md}"
    );
    assert!(
        md.contains("- [ ] the bill `documents/bill-2026-11.pdf` shows Bayview Bistro Inc"),
        "{md}"
    );
    insta::assert_snapshot!("first_submission", stable(&md));
}

/// The rejection of Nov 21: the BTN, the account number, and words of the carrier's.
const REJECTED: &str = r#"#:schema ../../../schemas/event.schema.json
kind = "rejected"
on = 2026-11-21
by = "ana.souza@example.com"
instructions = "Please confirm the billing number and send us your most recent bill."

[[reasons]]
code = "btn-mismatch"
detail = "BTN does not match account <VZB-310-22875>"

[[reasons]]
code = "account-number-mismatch"
detail = "Account number does not match | check the bill"

[[reasons]]
code = "other"
detail = "Call the porting desk before resubmitting"
"#;

#[test]
fn a_resubmission_answers_the_rejection_reasons() {
    let repo = submitted_bayview();
    repo.branch("reject");
    repo.write(&format!("{BAYVIEW}/events/003-rejected.toml"), REJECTED);
    repo.commit("Bayview rejected", BEN, nov(21, 16));
    repo.checkout("main");
    repo.merge("reject", nov(22, 9));

    // The fix: the BTN is the other number and the customer signs again; the account
    // number stays as it was.
    repo.branch("resubmit");
    let path = format!("{BAYVIEW}/request.toml");
    let text = repo.read(&path).replace(
        "billing_number = \"+14155550130\"",
        "billing_number = \"+14155550131\"",
    );
    repo.write(&path, text);
    // What the customer signs again: the LOA rendered from the corrected request.
    sign_rendered(
        &repo,
        "2026-11-bayview-bistro",
        "documents/loa-signed-2026-11-24.pdf",
        "2026-11-24",
    );
    record(
        &repo,
        "2026-11-bayview-bistro",
        &[
            "--on",
            "2026-11-24",
            "--by",
            "ana.souza@example.com",
            "signed",
            "--method",
            "wet-ink",
            "--document",
            "documents/loa-signed-2026-11-24.pdf",
        ],
    );
    record(
        &repo,
        "2026-11-bayview-bistro",
        &[
            "--on",
            "2026-11-25",
            "--by",
            "ana.souza@example.com",
            "submitted",
            "--carrier",
            "Partner Carrier",
            "--requested-foc",
            "2026-12-10",
        ],
    );
    repo.commit("Resubmit Bayview", ANA, nov(25, 10));
    let md = summary(&repo, "2026-11-25");
    assert!(
        md.contains("A resubmission after `003-rejected.toml`"),
        "{md}"
    );
    assert!(
        md.contains(
            "- end_user.billing_number = +14155550130\n+ end_user.billing_number = +14155550131"
        ),
        "{md}"
    );
    assert!(md.contains("| `btn-mismatch` | BTN does not match account &lt;VZB-310-22875&gt; | ✓ `end_user.billing_number` |"), "{md}");
    assert!(md.contains("| `account-number-mismatch` | Account number does not match \\| check the bill | ⚠ nothing: no change to `end_user.account_number` |"), "{md}");
    assert!(md.contains("| `other` | Call the porting desk before resubmitting | ? no field is known for this code"), "{md}");
    assert!(md.contains("> **Warning:** 1 rejection reason has no change that answers it: `account-number-mismatch`."), "{md}");
    insta::assert_snapshot!("resubmission", stable(&md));
}

const SCHEDULED_DEC_3: &str = r#"#:schema ../../../schemas/event.schema.json
kind = "scheduled"
on = 2026-11-24
by = "ben.okafor@example.com"
foc = 2026-12-03
"#;

const SCHEDULED_DEC_8: &str = r#"#:schema ../../../schemas/event.schema.json
kind = "scheduled"
on = 2026-11-26
by = "ben.okafor@example.com"
foc = 2026-12-08
"#;

#[test]
fn a_new_foc_shows_the_old_and_the_new_date() {
    let repo = submitted_bayview();
    repo.write(
        &format!("{BAYVIEW}/events/003-scheduled.toml"),
        SCHEDULED_DEC_3,
    );
    repo.commit("Bayview FOC", BEN, nov(24, 10));
    repo.branch("foc");
    repo.write(
        &format!("{BAYVIEW}/events/004-scheduled.toml"),
        SCHEDULED_DEC_8,
    );
    repo.commit("Bayview FOC moved", BEN, nov(26, 10));
    let md = summary(&repo, "2026-11-26");
    assert!(md.contains(
        "**FOC moved** 2026-12-03 → 2026-12-08 (+5 days): `004-scheduled.toml` replaces `003-scheduled.toml`."
    ), "{md}");
    insta::assert_snapshot!("foc_change", stable(&md));
}

#[test]
fn a_policy_change_shows_its_keys_and_the_ports_it_changes() {
    let repo = submitted_bayview();
    repo.copy_port(LAKESIDE);
    repo.commit("Lakeside", ANA, nov(21, 10));
    repo.branch("policy");
    let text = repo
        .read("porting.toml")
        .replace("bill_max_age_days = 30", "bill_max_age_days = 10");
    assert!(
        text.contains("bill_max_age_days = 10"),
        "the fixture policy changed shape"
    );
    let renamed = text.replacen(
        "name = \"Example Telecom\"",
        "name = \"Example Telecom Inc\"",
        1,
    );
    assert_ne!(renamed, text, "the fixture policy changed shape");
    repo.write("porting.toml", renamed);
    repo.commit("Bills age faster; the company name", BEN, nov(25, 10));
    let out = repo.run(&["summary", "--base", "main", "--today", "2026-11-25"]);
    let md = out.stdout;
    assert!(md.contains("### `porting.toml`"), "{md}");
    assert!(
        md.contains("- documents.bill_max_age_days = 30\n+ documents.bill_max_age_days = 10"),
        "{md}"
    );
    assert!(md.contains("| `2026-11-lakeside-dental` | `awaiting-signature` | changed: have it signed again | `document::stale` | - |"), "{md}");
    assert!(md.contains("| `2026-11-bayview-bistro` | `submitted` | changed; the carrier has the signed one | - | - |"), "{md}");
    insta::assert_snapshot!("policy_change", stable(&md));
}

const OKAFOR: &str = "ports/2026-11-okafor-prepaid";

/// The LOA rendered now, saved as the port's signed copy.
fn sign_rendered(repo: &GitRepo, port: &str, document: &str, today: &str) {
    let out = tempfile::tempdir().expect("tempdir");
    let render = repo.run(&[
        "render",
        port,
        "--out",
        out.path().to_str().expect("utf-8 path"),
        "--today",
        today,
    ]);
    assert_eq!(
        render.exit,
        Exit::Clean,
        "{}{}",
        render.stdout,
        render.stderr
    );
    let pdf = std::fs::read(out.path().join(port).join("loa.pdf")).expect("loa");
    repo.write(&format!("ports/{port}/{document}"), pdf);
}

// A mobile port: the PIN's age at submission is a checked fact, and a new PIN answers a
// `pin-expired` rejection without its (encrypted) text ever showing.
#[test]
fn a_mobile_submission_checks_the_pin_age_and_never_shows_the_pin() {
    let repo = GitRepo::new();
    repo.copy_port(OKAFOR);
    repo.commit("Okafor", ANA, nov(24, 9));
    sign_rendered(
        &repo,
        "2026-11-okafor-prepaid",
        "documents/loa-signed.pdf",
        "2026-11-25",
    );
    record(
        &repo,
        "2026-11-okafor-prepaid",
        &[
            "--on",
            "2026-11-25",
            "--by",
            "ana.souza@example.com",
            "signed",
            "--method",
            "e-sign",
            "--document",
            "documents/loa-signed.pdf",
        ],
    );
    repo.commit("Okafor signed", ANA, nov(25, 9));
    repo.branch("submit");
    record(
        &repo,
        "2026-11-okafor-prepaid",
        &[
            "--on",
            "2026-11-26",
            "--by",
            "ana.souza@example.com",
            "submitted",
            "--carrier",
            "Partner Carrier",
            "--requested-foc",
            "2026-12-10",
        ],
    );
    repo.commit("Submit Okafor", ANA, nov(26, 9));
    let md = summary(&repo, "2026-11-26");
    assert!(md.contains("- ✓ PIN age: the transfer PIN obtained 2026-11-24, 2 days before the submission (at most 7 days)"), "{md}");
    let pin_text = "1M5naMZNNFWh4Vfd2bmXQ";
    assert!(
        repo.read(&format!("{OKAFOR}/request.toml"))
            .contains(pin_text)
    );
    assert!(!md.contains(pin_text), "{md}");

    repo.checkout("main");
    repo.merge("submit", nov(26, 12));
    record(
        &repo,
        "2026-11-okafor-prepaid",
        &[
            "--on",
            "2026-11-27",
            "--by",
            "ben.okafor@example.com",
            "rejected",
            "--reason",
            "pin-expired=Transfer PIN expired",
            "--instructions",
            "Please get a new transfer PIN.",
        ],
    );
    repo.commit("Okafor rejected", BEN, nov(27, 9));
    repo.branch("resubmit");
    let path = format!("{OKAFOR}/request.toml");
    let text = repo
        .read(&path)
        .replace(pin_text, "2M5naMZNNFWh4Vfd2bmXQ")
        .replace(
            "pin_obtained_on = 2026-11-24",
            "pin_obtained_on = 2026-11-30",
        );
    repo.write(&path, text);
    record(
        &repo,
        "2026-11-okafor-prepaid",
        &[
            "--on",
            "2026-12-01",
            "--by",
            "ana.souza@example.com",
            "submitted",
            "--carrier",
            "Partner Carrier",
            "--requested-foc",
            "2026-12-10",
        ],
    );
    repo.commit("Resubmit Okafor with a new PIN", ANA, nov(30, 12) + 86_400);
    let md = summary(&repo, "2026-12-01");
    assert!(
        md.contains("- end_user.pin = (encrypted)\n+ end_user.pin = (encrypted, a new value)"),
        "{md}"
    );
    assert!(md.contains("| `pin-expired` | Transfer PIN expired | ✓ `end_user.pin`, `end_user.pin_obtained_on` |"), "{md}");
    assert!(md.contains("- ✓ PIN age: the transfer PIN obtained 2026-11-30, 1 day before the submission (at most 7 days)"), "{md}");
    assert!(!md.contains("M5naMZNNFWh4Vfd2bmXQ"), "{md}");
    assert!(!md.contains("Warning"), "{md}");
}
