//! `portflow init` starts a ports repo that checks clean, refuses to overwrite anything, and
//! takes a port from nothing to completed with portflow commands (plus editing the request).

mod common;

use std::path::Path;

use portflow::schema::SchemaKind;

const PORT: &str = "2026-11-acme-dental";
const DEMO_RECIPIENT: &str = "age1z5tqqflgnp4slj8xvgsgwm5arw3nrd0ehydphpjkc2snf2tpagls6rl4ch";

/// Runs the real binary in `dir` with no colour and a pinned date; returns (exit, stdout, stderr).
fn portflow(dir: &Path, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut argv = args.to_vec();
    argv.extend(["--today", "2026-11-25"]);
    let run = common::bin(dir, &argv, stdin.map(str::as_bytes));
    (run.code, run.stdout, run.stderr)
}

fn assert_check_clean(dir: &Path, step: &str) {
    let (code, stdout, stderr) = portflow(dir, &["check"], None);
    assert_eq!(code, 0, "check after {step}:\n{stdout}{stderr}");
}

#[test]
fn init_writes_a_repo_that_checks_clean_and_refuses_to_overwrite() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (code, stdout, stderr) = portflow(tmp.path(), &["init", "desk"], None);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let root = tmp.path().join("desk");
    for rel in [
        "porting.toml",
        "README.md",
        ".gitignore",
        ".pre-commit-config.yaml",
        ".github/workflows/ports.yml",
        ".github/CODEOWNERS",
        "templates/loa/default.j2",
        "templates/email/rejection.j2",
        "templates/email/completion.j2",
    ] {
        assert!(root.join(rel).is_file(), "init did not write {rel}");
    }
    for kind in SchemaKind::ALL {
        let copy =
            std::fs::read_to_string(root.join("schemas").join(kind.file_name())).expect("schema");
        assert_eq!(
            copy,
            kind.text(),
            "{} differs from the built-in schema",
            kind.file_name()
        );
    }
    let workflow =
        std::fs::read_to_string(root.join(".github/workflows/ports.yml")).expect("workflow");
    // The pipeline runs portflow's action pinned to this binary's release.
    let pinned = format!("uses: portflow/portflow@v{}\n", env!("CARGO_PKG_VERSION"));
    assert_eq!(workflow.matches(&pinned).count(), 4, "{workflow}");
    assert!(workflow.contains("  schedule:\n"), "a nightly run");
    assert!(workflow.contains("overwrite: true"), "{workflow}");
    assert!(
        !workflow.contains("cargo "),
        "a team repo has no portflow source to build"
    );
    assert_check_clean(&root, "init");

    // A second init changes nothing, not even a file the team edited.
    let edited =
        "# ours\n".to_owned() + &std::fs::read_to_string(root.join("porting.toml")).expect("read");
    std::fs::write(root.join("porting.toml"), &edited).expect("write");
    let (code, _, stderr) = portflow(&root, &["init"], None);
    assert_eq!(code, 2);
    assert!(stderr.contains("refusing to overwrite"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(root.join("porting.toml")).expect("read"),
        edited
    );

    // --update-schemas is the fix for schema::drift.
    std::fs::write(root.join("schemas/event.schema.json"), "{}\n").expect("write");
    let (code, stdout, _) = portflow(&root, &["check", "--format", "json"], None);
    assert_eq!(code, 0, "drift is a warning");
    assert!(stdout.contains("schema::drift"), "{stdout}");
    let (code, stdout, _) = portflow(&root, &["init", "--update-schemas"], None);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("updated schemas/event.schema.json"),
        "{stdout}"
    );
    let (_, stdout, _) = portflow(&root, &["check", "--format", "json"], None);
    assert!(!stdout.contains("schema::drift"), "{stdout}");
}

#[test]
fn a_team_takes_a_port_from_nothing_to_completed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("desk");
    assert_eq!(portflow(tmp.path(), &["init", "desk"], None).0, 0);
    // The team configures who may read PINs (here the bundled demo key).
    let policy = std::fs::read_to_string(root.join("porting.toml")).expect("read");
    let policy = policy.replace(
        "# [secrets]\n# recipients = [\"age1…\"]",
        &format!("[secrets]\nrecipients = [\"{DEMO_RECIPIENT}\"]"),
    );
    assert!(policy.contains(DEMO_RECIPIENT));
    std::fs::write(root.join("porting.toml"), policy).expect("write");
    assert_check_clean(&root, "configuring secrets");

    let (code, stdout, stderr) = portflow(
        &root,
        &[
            "new",
            PORT,
            "--country",
            "US",
            "--account",
            "acme-dental",
            "--requested-by",
            "maria.lopez@example.com",
            "--losing-carrier",
            "Verizon Wireless",
            "--type",
            "full",
        ],
        None,
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let dir = root.join("ports").join(PORT);
    let (code, _, _) = portflow(&root, &["check"], None);
    assert_eq!(
        code, 1,
        "a fresh scaffold is a draft with missing LOA fields"
    );

    // Staff fill in the LOA data and attach the proof of ownership.
    let scaffold = std::fs::read_to_string(dir.join("request.toml")).expect("scaffold");
    let head: String = scaffold
        .lines()
        .take_while(|l| !l.starts_with('['))
        .map(|l| format!("{l}\n"))
        .collect();
    let request = format!(
        "{head}
[end_user]
type = \"business\"
name = \"Acme Dental LLC\"
authorized_person = \"Maria Lopez\"
billing_number = \"+12065550143\"
account_number = \"8812-5521\"

[end_user.service_address]
street = \"1200 Quillfeather Ave\"
locality = \"Seattle\"
region = \"WA\"
postal_code = \"98101\"
country = \"US\"

[[numbers]]
number = \"+12065550143\"
type = \"mobile\"
tracking_source = \"Google Ads\"
receiving_number = \"+12065550100\"

[[documents]]
kind = \"bill\"
path = \"documents/bill.pdf\"
dated = 2026-11-10

[[documents]]
kind = \"signed-loa\"
path = \"documents/loa-signed.pdf\"
"
    );
    std::fs::write(dir.join("request.toml"), request).expect("write request");
    std::fs::create_dir_all(dir.join("documents")).expect("mkdir");
    let sample = first_pdf(&common::project_root().join("ports/2026-11-copperleaf-law/documents"));
    std::fs::copy(&sample, dir.join("documents/bill.pdf")).expect("copy bill");
    std::fs::copy(&sample, dir.join("documents/loa-signed.pdf")).expect("copy loa");

    // Mobile: the PIN goes in through `secret set`, encrypted; plaintext never in the file.
    let (code, stdout, stderr) = portflow(&root, &["secret", "set", PORT, "pin"], Some("482913\n"));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(!stdout.contains("482913") && !stderr.contains("482913"));
    let stored = std::fs::read_to_string(dir.join("request.toml")).expect("read");
    assert!(stored.contains("-----BEGIN AGE ENCRYPTED FILE-----") && !stored.contains("482913"));
    assert_check_clean(&root, "filling in the request");

    let steps: &[&[&str]] = &[
        &[
            "signed",
            "--signer",
            "Maria Lopez",
            "--method",
            "e-sign",
            "--document",
            "documents/loa-signed.pdf",
            "--on",
            "2026-11-25",
        ],
        &[
            "submitted",
            "--carrier",
            "Partner Carrier",
            "--requested-foc",
            "2026-12-08",
            "--on",
            "2026-11-25",
        ],
        &["scheduled", "--foc", "2026-12-08", "--on", "2026-11-25"],
        &["completed", "--on", "2026-11-25"],
    ];
    for step in steps {
        let mut args = vec!["record", PORT];
        args.extend_from_slice(&step[..1]);
        args.extend_from_slice(&["--by", "ops@example.com"]);
        args.extend_from_slice(&step[1..]);
        let (code, stdout, stderr) = portflow(&root, &args, None);
        assert_eq!(code, 0, "record {}: {stdout}{stderr}", step[0]);
        assert_check_clean(&root, step[0]);
    }
    let (_, stdout, _) = portflow(&root, &["status", "--format", "json"], None);
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("status json");
    assert_eq!(doc["ports"][0]["stage"], "completed", "{stdout}");
}

fn first_pdf(dir: &Path) -> std::path::PathBuf {
    let mut pdfs: Vec<_> = std::fs::read_dir(dir)
        .expect("documents")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    pdfs.sort();
    pdfs.into_iter().next().expect("a bundled PDF")
}

// A new repo's placeholder organization would print on every LOA: check says so.
#[test]
fn a_fresh_repo_warns_until_the_organization_is_the_desks_own() {
    let tmp = tempfile::tempdir().expect("tempdir");
    assert_eq!(portflow(tmp.path(), &["init", "desk"], None).0, 0);
    let root = tmp.path().join("desk");
    let codes = |root: &Path| {
        let (code, stdout, stderr) = portflow(root, &["check", "--format", "json"], None);
        assert_eq!(code, 0, "warnings only: {stdout}{stderr}");
        let doc: serde_json::Value = serde_json::from_str(&stdout).expect("json");
        doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                (
                    f["code"].as_str().expect("code").to_owned(),
                    f["severity"].as_str().expect("severity").to_owned(),
                    f["message"].as_str().expect("message").to_owned(),
                )
            })
            .collect::<Vec<_>>()
    };
    let found = codes(&root);
    assert_eq!(found.len(), 2, "{found:?}");
    for (code, severity, _) in &found {
        assert_eq!(
            (code.as_str(), severity.as_str()),
            ("policy::placeholder", "warning")
        );
    }
    assert!(found[0].2.contains("`[organization] name`"), "{found:?}");
    let (_, human, _) = portflow(&root, &["check"], None);
    assert!(
        human.contains("put your organization's own legal name in porting.toml"),
        "{human}"
    );

    let policy = std::fs::read_to_string(root.join("porting.toml")).expect("read");
    let named = policy.replace("name = \"Your Company\"", "name = \"Northwind Voice LLC\"");
    std::fs::write(root.join("porting.toml"), &named).expect("write");
    let found = codes(&root);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].2.contains("`[organization] address`"), "{found:?}");

    let addressed = named.replace(
        "address = \"1 Main Street, Springfield, ST 00000\"",
        "address = \"500 Pine St, Seattle, WA 98101\"",
    );
    std::fs::write(root.join("porting.toml"), addressed).expect("write");
    assert_eq!(codes(&root), []);
}
