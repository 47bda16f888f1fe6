//! `portflow new`: scaffolds that pass check as drafts for every configured country, the
//! guidance they carry, and the ids, flags and values it refuses.

mod common;

use std::path::Path;

use common::{TempRepo, json_findings};
use portflow::{Exit, Output};
use serde_json::Value;

const TODAY: &str = "2026-11-25";

fn new(repo: &TempRepo, args: &[&str]) -> Output {
    let mut argv = vec!["new"];
    argv.extend_from_slice(args);
    argv.extend_from_slice(&["--today", TODAY]);
    repo.run(&argv)
}

/// `new <id>` in-process with every value a prompt would ask for, so no run waits for input
/// when the tests run on a terminal.
fn new_full(repo: &TempRepo, id: &str, country: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        id,
        "--country",
        country,
        "--account",
        "acme",
        "--requested-by",
        "maria.lopez@example.com",
        "--losing-carrier",
        "Example Cable Business",
        "--type",
        "partial",
    ];
    args.extend_from_slice(extra);
    new(repo, &args)
}

/// Runs the built binary with standard input from /dev/null: not a terminal, so nothing is
/// asked and nothing may wait for an answer.
fn binary(dir: &Path, args: &[&str]) -> common::BinRun {
    let mut argv = args.to_vec();
    argv.extend(["--today", TODAY]);
    common::bin(dir, &argv, None)
}

fn check(repo: &TempRepo) -> Vec<Value> {
    json_findings(&repo.run(&["check", "--today", TODAY, "--format", "json"]))
}

fn read(repo: &TempRepo, rel: &str) -> String {
    std::fs::read_to_string(repo.path().join(rel)).expect("read")
}

#[test]
fn scaffolds_are_drafts_for_every_configured_country() {
    let repo = TempRepo::new();
    for country in ["US", "CA", "GB", "DE", "FR", "AU", "MX"] {
        let id = format!("2026-11-scaffold-{}", country.to_ascii_lowercase());
        let out = new_full(&repo, &id, country, &[]);
        assert_eq!(out.exit, Exit::Clean, "{country}: {out:?}");
        let text = read(&repo, &format!("ports/{id}/request.toml"));
        assert!(
            text.starts_with("#:schema ../../schemas/request.schema.json\n"),
            "{text}"
        );
        assert!(text.contains(&format!("country = \"{country}\"")), "{text}");
        assert!(text.contains("account = \"acme\""), "{text}");
        assert!(text.contains("losing_carrier = \"Example Cable Business\""));
        assert!(text.contains("\n[partial]"), "{text}");
    }
    // The only errors say what to fill in; warnings are the assisted channel and its fee.
    let findings = check(&repo);
    for f in &findings {
        let code = f["code"].as_str().expect("code");
        match f["severity"].as_str() {
            Some("error") => assert!(
                ["loa::missing-field", "country::requirement-missing"].contains(&code),
                "{f:#}"
            ),
            _ => assert!(
                ["country::assisted", "country::fee-not-accepted"].contains(&code),
                "{f:#}"
            ),
        }
    }
    // FR needs its SIRET from every port: the scaffold names it.
    assert!(
        findings
            .iter()
            .any(|f| f["code"] == "country::requirement-missing"
                && f["file"] == "ports/2026-11-scaffold-fr/request.toml")
    );
    let status = repo.run(&["status", "--format", "json"]);
    let doc: Value = serde_json::from_str(&status.stdout).expect("json");
    for port in doc["ports"].as_array().expect("ports") {
        assert_eq!(port["stage"], "draft", "{port:#}");
    }
}

#[test]
fn the_scaffold_guides_through_the_countrys_requirements() {
    let repo = TempRepo::new();
    assert_eq!(
        new_full(&repo, "2026-11-thames-cafe", "GB", &[]).exit,
        Exit::Clean
    );
    let gb = read(&repo, "ports/2026-11-thames-cafe/request.toml");
    for expected in [
        // Every LOA field, commented.
        "# type = \"business\"",
        "# authorized_person = \"…\"",
        "# billing_number = \"+442079460043\"",
        "# postal_code = \"SE1 9GF\"",
        // The secret requirement: description, pattern, scope, and how to set it.
        "[requirements]",
        "# pac_code (for mobile numbers): Porting Authorisation Code (PAC)",
        "Format: `^[A-Z]{3}[0-9]{6}$`",
        "`portflow secret set 2026-11-thames-cafe pac_code`",
        // A PAC expires: its date goes beside it.
        "# pac_code_obtained_on = ",
        // The assisted channel and its fee.
        "# GB ports are assisted: handled by e-mail exchange with intl-porting@example.com.",
        "# GB ports cost 25 USD per number",
        "# [fee]",
        // Examples of numbers and documents, commented out.
        "# [[numbers]]\n",
        "# [[documents]]\n",
    ] {
        assert!(gb.contains(expected), "missing `{expected}` in:\n{gb}");
    }
    // A secret requirement never gets an example value to type in.
    assert!(!gb.contains("# pac_code = "), "{gb}");
    // GB mobile ports need the PAC, not a transfer PIN.
    assert!(!gb.contains("secret set 2026-11-thames-cafe pin`"), "{gb}");
    assert!(!gb.contains("pin_obtained_on"), "{gb}");

    assert_eq!(
        new_full(&repo, "2026-11-berlin-bakery", "DE", &[]).exit,
        Exit::Clean
    );
    let de = read(&repo, "ports/2026-11-berlin-bakery/request.toml");
    assert!(
        de.contains("# DE also needs a document of kind = \"company-registration\": Commercial register extract"),
        "{de}"
    );
    assert_eq!(
        new_full(&repo, "2026-11-lyon-studio", "FR", &[]).exit,
        Exit::Clean
    );
    let fr = read(&repo, "ports/2026-11-lyon-studio/request.toml");
    assert!(
        fr.contains(
            "# siret: SIRET of the business end user. Format: `^[0-9]{14}$`.\n# siret = \"…\"\n"
        ),
        "{fr}"
    );

    // Without `--type partial` the `[partial]` table is only an example.
    // Run by the binary with no terminal, so the values left out are not asked for.
    let out = binary(
        repo.path(),
        &[
            "new",
            "2026-11-plain",
            "--country",
            "us",
            "--account",
            "acme",
            "--requested-by",
            "maria.lopez@example.com",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let us = read(&repo, "ports/2026-11-plain/request.toml");
    assert!(us.contains("\n# [partial]\n"), "{us}");
    assert!(us.contains("\n# losing_carrier = \"…\""), "{us}");
    assert!(us.contains("\n# port_type = \"full\""), "{us}");
    assert!(!us.contains("[requirements]"), "{us}");
    assert!(!us.contains("[fee]"), "{us}");
}

#[test]
fn a_year_folder_deepens_the_schema_directive() {
    let repo = TempRepo::new();
    let out = new_full(&repo, "2026-11-cafe-sol", "US", &["--year", "2026"]);
    assert_eq!(out.exit, Exit::Clean, "{out:?}");
    assert_eq!(
        out.stdout.lines().next(),
        Some("created `ports/2026/2026-11-cafe-sol/request.toml`")
    );
    let text = read(&repo, "ports/2026/2026-11-cafe-sol/request.toml");
    assert!(text.starts_with("#:schema ../../../schemas/request.schema.json\n"));
    let findings = check(&repo);
    assert!(
        findings.iter().all(|f| f["code"] == "loa::missing-field"),
        "{findings:#?}"
    );

    let out = new_full(&repo, "2026-11-cafe-luna", "US", &["--year", "26"]);
    assert_eq!(out.exit, Exit::Failure);
    assert!(
        out.stderr.contains("`26` is not a year folder name"),
        "{out:?}"
    );
}

/// Every file under `ports/`, to prove a refusal wrote nothing.
fn listing(root: &Path) -> Vec<String> {
    walk(&root.join("ports"))
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        out.push(path.to_string_lossy().into_owned());
        if path.is_dir() {
            out.extend(walk(&path));
        }
    }
    out.sort();
    out
}

#[test]
fn refuses_taken_duplicate_and_invalid_ids() {
    let repo = TempRepo::new();
    assert_eq!(new_full(&repo, "2026-11-acme", "US", &[]).exit, Exit::Clean);
    let original = read(&repo, "ports/2026-11-acme/request.toml");

    // The same id again, in the same place or under a year folder.
    for extra in [&[][..], &["--year", "2026"][..]] {
        let before = listing(repo.path());
        let out = new_full(&repo, "2026-11-acme", "GB", extra);
        assert_eq!(out.exit, Exit::Failure, "{out:?}");
        assert_eq!(
            out.stderr,
            "error: port id `2026-11-acme` is taken: `ports/2026-11-acme` already exists (port ids are unique across the repo)\n"
        );
        assert_eq!(listing(repo.path()), before);
    }
    assert_eq!(read(&repo, "ports/2026-11-acme/request.toml"), original);

    // An id used under a year folder is taken at the top level too.
    assert_eq!(
        new_full(&repo, "2026-11-dune", "US", &["--year", "2025"]).exit,
        Exit::Clean
    );
    let out = new_full(&repo, "2026-11-dune", "US", &[]);
    assert_eq!(out.exit, Exit::Failure);
    assert!(
        out.stderr
            .contains("`ports/2025/2026-11-dune` already exists"),
        "{out:?}"
    );

    // A folder without a request still holds the name.
    std::fs::create_dir_all(repo.path().join("ports/2026-11-stray")).expect("mkdir");
    let out = new_full(&repo, "2026-11-stray", "US", &[]);
    assert_eq!(out.exit, Exit::Failure);

    for bad in ["Acme", "ab", "café-acme", "acme_dental", "acme/dental"] {
        let before = listing(repo.path());
        let out = new_full(&repo, bad, "US", &[]);
        assert_eq!(out.exit, Exit::Failure, "{bad}: {out:?}");
        assert!(
            out.stderr
                .starts_with(&format!("error: `{bad}` is not a valid port id")),
            "{out:?}"
        );
        assert_eq!(listing(repo.path()), before, "{bad}");
    }
}

#[test]
fn refuses_values_check_would_reject() {
    let repo = TempRepo::new();
    let before = listing(repo.path());
    let out = new(
        &repo,
        &[
            "2026-11-acme",
            "--country",
            "US",
            "--account",
            "acme",
            "--requested-by",
            "not an e-mail",
            "--losing-carrier",
            "X",
            "--type",
            "full",
        ],
    );
    assert_eq!(out.exit, Exit::Findings, "{out:?}");
    assert!(out.stdout.contains("schema::violation"), "{}", out.stdout);
    assert!(
        out.stdout.contains("requested_by = \"not an e-mail\""),
        "{}",
        out.stdout
    );
    assert_eq!(
        out.stderr,
        "error: `2026-11-acme` not created: the values given do not pass the checks above; nothing was written\n"
    );
    assert_eq!(listing(repo.path()), before);

    let out = new_full(&repo, "2026-11-acme", "ZZ", &[]);
    assert_eq!(out.exit, Exit::Failure);
    assert_eq!(
        out.stderr,
        "error: country `ZZ` is not in porting.toml `[countries]`; configured: `AU`, `CA`, `DE`, `FR`, `GB`, `MX`, `US`\n"
    );
    assert_eq!(listing(repo.path()), before);
}

#[test]
fn never_prompts_when_stdin_is_not_a_terminal() {
    let repo = TempRepo::new();
    let out = binary(repo.path(), &["new", "2026-11-acme", "--country", "US"]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "error: missing required values: pass `--account`, `--requested-by` (portflow asks for them only when standard input is a terminal)\n"
    );
    assert!(!repo.path().join("ports/2026-11-acme").exists());
}

// The example `desired_foc` is a business day: never a weekend or a porting.toml holiday.
#[test]
fn the_example_desired_foc_is_a_business_day_of_the_country() {
    use portflow::model::Date;
    let policy: toml::Table = toml::from_str(
        &std::fs::read_to_string(common::project_root().join("porting.toml")).expect("policy"),
    )
    .expect("porting.toml parses");
    let holidays: Vec<Date> = policy["holidays"]["US"]
        .as_array()
        .expect("US holidays")
        .iter()
        .map(|d| d.to_string().parse().expect("a date"))
        .collect();
    assert!(holidays.len() >= 5, "{holidays:?}");
    let repo = TempRepo::new();
    // Days whose three-weeks-out example falls on a holiday, or on a Saturday or Sunday.
    let mut todays: Vec<Date> = holidays.iter().filter_map(|h| h.add_days(-21)).collect();
    todays.extend(["2026-11-14", "2026-11-15"].map(|d| d.parse::<Date>().expect("date")));
    for (i, today) in todays.iter().enumerate() {
        let id = format!("2026-foc-{i}");
        let today = today.to_string();
        let out = repo.run(&[
            "new",
            &id,
            "--country",
            "US",
            "--account",
            "acme",
            "--requested-by",
            "maria.lopez@example.com",
            "--losing-carrier",
            "Example Cable Business",
            "--type",
            "full",
            "--today",
            &today,
        ]);
        assert_eq!(out.exit, Exit::Clean, "{}{}", out.stdout, out.stderr);
        let text = read(&repo, &format!("ports/{id}/request.toml"));
        let foc: Date = text
            .lines()
            .find_map(|l| l.strip_prefix("# desired_foc = "))
            .and_then(|rest| rest.split_whitespace().next())
            .expect("an example desired_foc")
            .parse()
            .expect("a date");
        assert!(!foc.is_weekend(), "today {today}: {foc} is a weekend");
        assert!(
            !holidays.contains(&foc),
            "today {today}: {foc} is a holiday"
        );
        let three_weeks = today
            .parse::<Date>()
            .expect("date")
            .add_days(21)
            .expect("date");
        assert!(foc >= three_weeks, "today {today}: {foc}");
    }
}
