//! The CLI end to end: exit codes through the built binary, PATH narrowing, the repo-layout
//! rules, schema copies, secret redaction, and exact positions for text TOML cannot hold.

mod common;

use std::path::Path;

use common::{TempRepo, VALID_REQUEST, json_findings, run_in};
use portflow::Exit;
use serde_json::Value;

const TODAY: &str = "2026-11-25";

/// A bundled example port that the self-check keeps free of findings.
const CLEAN_PORT: &str = "ports/2026-11-lakeside-dental";

/// Runs the built binary in `cwd` as CI would, through the capped helper.
fn bin(cwd: &Path, args: &[&str]) -> common::BinRun {
    common::bin(cwd, args, None)
}

/// `check --today TODAY --format json [args]` in-process; the findings.
fn check_json(repo: &TempRepo, args: &[&str]) -> Vec<Value> {
    let mut argv = vec!["check", "--today", TODAY, "--format", "json"];
    argv.extend_from_slice(args);
    json_findings(&repo.run(&argv))
}

/// The findings of one code.
fn with_code<'a>(findings: &'a [Value], code: &str) -> Vec<&'a Value> {
    findings.iter().filter(|f| f["code"] == code).collect()
}

/// VALID_REQUEST for a port one level deeper, under a year folder.
fn in_year_folder(request: &str) -> String {
    request.replace("#:schema ../../schemas/", "#:schema ../../../schemas/")
}

/// 1-based (line, column in Unicode scalar values) of a byte offset in valid UTF-8.
fn line_col(text: &str, offset: usize) -> (u64, u64) {
    let before = &text[..offset];
    let line = before.matches('\n').count() as u64 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() as u64 + 1)
}

fn at(f: &Value) -> (u64, u64) {
    (f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap())
}

// ── The bundled example repo ─────────────────────────────────────────────────

#[test]
fn bundled_repo_checks_clean() {
    let root = common::project_root();
    let out = run_in(&root, &["check", "--today", TODAY]);
    assert_eq!(out.exit, Exit::Clean, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

#[test]
fn bundled_status_lists_every_port_including_year_folders() {
    let root = common::project_root();
    let mut expected: Vec<String> = walkdir::WalkDir::new(root.join("ports"))
        .into_iter()
        .map(|e| e.expect("walk ports/"))
        .filter(|e| e.file_name() == "request.toml")
        .map(|e| {
            let dir = e.path().parent().unwrap().strip_prefix(&root).unwrap();
            dir.to_string_lossy().replace('\\', "/")
        })
        .collect();
    expected.sort();

    let out = run_in(&root, &["status", "--today", TODAY, "--format", "json"]);
    assert_eq!(out.exit, Exit::Clean, "{}", out.stderr);
    let doc: Value = serde_json::from_str(&out.stdout).expect("status json");
    let rows = doc["ports"].as_array().expect("ports");
    let mut dirs: Vec<String> = rows
        .iter()
        .map(|r| r["dir"].as_str().unwrap().to_owned())
        .collect();
    dirs.sort();
    assert_eq!(dirs, expected);
    for dir in [
        "ports/2026/2026-11-cafe-coqui",
        "ports/2026/2026-11-driftwood-yoga",
    ] {
        let row = rows.iter().find(|r| r["dir"] == dir);
        let row = row.unwrap_or_else(|| panic!("{dir} missing from status"));
        // A port's id is its folder name, wherever it sits.
        assert_eq!(row["port"], dir.rsplit('/').next().unwrap());
    }
}

// ── Exit codes through the real binary ───────────────────────────────────────

#[test]
fn binary_exits_0_on_a_clean_repo() {
    let repo = TempRepo::new();
    repo.copy_port(CLEAN_PORT);
    let out = bin(repo.path(), &["check", "--today", TODAY]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.ends_with("no findings in 1 port (2 files)\n"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert!(!out.stdout.contains('\x1b'), "colour with NO_COLOR set");
}

#[test]
fn binary_exits_1_on_an_error_finding() {
    let repo = TempRepo::new();
    repo.copy_port(CLEAN_PORT);
    repo.write(
        "ports/broken-port/request.toml",
        VALID_REQUEST.replace("port_type = \"full\"", "port_type = \"whole\""),
    );
    let out = bin(repo.path(), &["check", "--today", TODAY]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("schema::violation"), "{}", out.stdout);
    assert!(
        out.stdout.contains("ports/broken-port/request.toml"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert!(!out.stdout.contains('\x1b'), "colour with NO_COLOR set");
}

#[test]
fn binary_fails_on_a_warning_only_with_deny_warnings() {
    let repo = TempRepo::new();
    repo.copy_port(CLEAN_PORT);
    repo.write("ports/notes/readme.txt", "not a port\n");

    let out = bin(repo.path(), &["check", "--today", TODAY]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("repo::stray"), "{}", out.stdout);
    assert!(out.stdout.contains("0 errors, 1 warning"), "{}", out.stdout);

    let out = bin(repo.path(), &["check", "--today", TODAY, "--deny-warnings"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("repo::stray"), "{}", out.stdout);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

#[test]
fn binary_exits_2_outside_a_repo() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The test means "no porting.toml anywhere above"; make sure the machine agrees.
    let canonical = dir.path().canonicalize().unwrap();
    if let Some(found) = canonical
        .ancestors()
        .find(|d| d.join("porting.toml").is_file())
    {
        panic!(
            "test precondition: {} holds a porting.toml",
            found.display()
        );
    }
    let out = bin(dir.path(), &["check", "--today", TODAY]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.contains("porting.toml"), "{}", out.stderr);
}

#[test]
fn binary_exits_2_for_a_path_that_does_not_exist() {
    let repo = TempRepo::new();
    repo.copy_port(CLEAN_PORT);
    let out = bin(repo.path(), &["check", "--today", TODAY, "no/such/path"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.contains("no/such/path"), "{}", out.stderr);
}

// ── check PATH narrows the report ────────────────────────────────────────────

/// Two broken ports; `port-a2` shares `port-a`'s name as a prefix, so narrowing must
/// compare whole path segments.
fn two_broken_ports() -> TempRepo {
    let repo = TempRepo::new();
    repo.write(
        "ports/port-a/request.toml",
        VALID_REQUEST.replace("port_type = \"full\"", "port_type = \"whole\""),
    );
    repo.write(
        "ports/port-a2/request.toml",
        VALID_REQUEST.replace("postal_code = \"98101\"", "postal_code = 98101"),
    );
    repo
}

fn files_of(findings: &[Value]) -> Vec<&str> {
    findings
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect()
}

#[test]
fn check_path_reports_only_that_port() {
    let repo = two_broken_ports();
    let all = check_json(&repo, &[]);
    assert_eq!(
        files_of(&all),
        ["ports/port-a/request.toml", "ports/port-a2/request.toml"]
    );
    let port_a: Vec<Value> = all
        .iter()
        .filter(|f| f["file"] == "ports/port-a/request.toml")
        .cloned()
        .collect();

    for path in ["ports/port-a", "ports/port-a/", "ports/port-a/request.toml"] {
        let out = repo.run(&["check", "--today", TODAY, "--format", "json", path]);
        assert_eq!(out.exit, Exit::Findings, "{path}: {}", out.stdout);
        assert_eq!(json_findings(&out), port_a, "check {path}");
        let doc: Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(doc["summary"]["ports"], 1, "check {path}");
        assert_eq!(doc["summary"]["files"], 1, "check {path}");
    }
}

#[test]
fn directory_option_runs_as_if_started_there() {
    let repo = two_broken_ports();
    let files = |findings: &[Value]| -> Vec<String> {
        files_of(findings).iter().map(|s| (*s).to_owned()).collect()
    };
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let root = repo.path().to_str().expect("utf-8 temp path");

    // From an unrelated folder, -C names the repo; PATH is relative to it.
    let out = bin(
        elsewhere.path(),
        &[
            "-C",
            root,
            "check",
            "--today",
            TODAY,
            "--format",
            "json",
            "ports/port-a",
        ],
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let doc: Value = serde_json::from_str(&out.stdout).expect("json");
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(files(findings), ["ports/port-a/request.toml"]);

    // -C relative to the working folder, into a port; `.` is then that port.
    let out = bin(
        repo.path(),
        &[
            "-C",
            "ports/port-a2",
            "check",
            "--today",
            TODAY,
            "--format",
            "json",
            ".",
        ],
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let doc: Value = serde_json::from_str(&out.stdout).expect("json");
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(files(findings), ["ports/port-a2/request.toml"]);

    // In-process too: the same run through the library.
    let out = run_in(
        elsewhere.path(),
        &[
            "-C",
            root,
            "check",
            "--today",
            TODAY,
            "--format",
            "json",
            "ports/port-a",
        ],
    );
    assert_eq!(out.exit, Exit::Findings);
    assert_eq!(files(&json_findings(&out)), ["ports/port-a/request.toml"]);
}

// ── Repo layout rules ────────────────────────────────────────────────────────

#[test]
fn duplicate_port_id_points_at_the_first_folder() {
    let repo = TempRepo::new();
    repo.write("ports/dup-port/request.toml", VALID_REQUEST);
    repo.write(
        "ports/2026/dup-port/request.toml",
        in_year_folder(VALID_REQUEST).replace("+12065550143", "+12065550144"),
    );
    let findings = check_json(&repo, &[]);
    let dups = with_code(&findings, "repo::duplicate-port");
    assert_eq!(dups.len(), 1, "{findings:#?}");
    let f = dups[0];
    assert_eq!(f["severity"], "error");
    assert_eq!(f["message"], "port id `dup-port` is used twice");
    // Ports are read in path order, so the year folder's copy comes first.
    assert_eq!(f["file"], "ports/dup-port/request.toml");
    let related = f["related"].as_array().expect("related");
    assert_eq!(related.len(), 1, "{f:#}");
    assert_eq!(related[0]["file"], "ports/2026/dup-port/request.toml");
    assert_eq!(related[0]["message"], "first port with this id");
}

#[test]
fn stray_folders_warn_but_year_folders_holding_ports_do_not() {
    let repo = TempRepo::new();
    repo.write("ports/notes/readme.txt", "meeting notes\n");
    repo.write(
        "ports/2026/year-port/request.toml",
        in_year_folder(VALID_REQUEST),
    );
    repo.write("ports/2026/junk/file.txt", "junk\n");
    let findings = check_json(&repo, &[]);
    let stray = with_code(&findings, "repo::stray");
    let files: Vec<&str> = stray.iter().map(|f| f["file"].as_str().unwrap()).collect();
    assert_eq!(files, ["ports/2026/junk", "ports/notes"], "{findings:#?}");
    for f in &stray {
        assert_eq!(f["severity"], "warning");
        assert!(!f["help"].as_str().unwrap().is_empty());
    }
    assert!(
        findings.iter().all(|f| f["file"] != "ports/2026"),
        "a year folder holding ports is not stray: {findings:#?}"
    );
    assert!(
        !findings
            .iter()
            .any(|f| f["file"] == "ports/2026/year-port/request.toml"
                && f["code"].as_str().unwrap().starts_with("repo::")),
        "{findings:#?}"
    );
}

#[test]
fn port_id_must_be_lowercase_letters_digits_and_hyphens() {
    let repo = TempRepo::new();
    repo.write("ports/Bad_Name/request.toml", VALID_REQUEST);
    let findings = check_json(&repo, &[]);
    let bad = with_code(&findings, "repo::port-id");
    assert_eq!(bad.len(), 1, "{findings:#?}");
    assert_eq!(bad[0]["file"], "ports/Bad_Name/request.toml");
    assert_eq!(bad[0]["severity"], "error");
    assert_eq!(bad[0]["message"], "`Bad_Name` is not a valid port id");
}

#[test]
fn schema_directive_missing_or_at_the_wrong_depth_warns() {
    let repo = TempRepo::new();
    let missing = VALID_REQUEST
        .strip_prefix("#:schema ../../schemas/request.schema.json\n")
        .expect("VALID_REQUEST starts with its directive");
    repo.write("ports/no-directive/request.toml", missing);
    let shallow = VALID_REQUEST.replace("../../schemas/", "../schemas/");
    repo.write("ports/wrong-depth/request.toml", &shallow);
    // Right for ports/<id>/, one level short under a year folder.
    repo.write("ports/2026/year-short/request.toml", VALID_REQUEST);
    repo.write(
        "ports/2026/year-right/request.toml",
        in_year_folder(VALID_REQUEST),
    );
    repo.write("ports/right-depth/request.toml", VALID_REQUEST);

    let findings = check_json(&repo, &[]);
    let directive = with_code(&findings, "repo::schema-directive");
    let files: Vec<&str> = directive
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "ports/2026/year-short/request.toml",
            "ports/no-directive/request.toml",
            "ports/wrong-depth/request.toml",
        ],
        "{directive:#?}"
    );
    for f in &directive {
        assert_eq!(f["severity"], "warning");
    }

    let [year_short, no_directive, wrong_depth] = directive[..] else {
        unreachable!()
    };
    assert_eq!(
        no_directive["message"],
        "the file does not start with a `#:schema` directive"
    );
    assert!(
        no_directive["help"]
            .as_str()
            .unwrap()
            .contains("#:schema ../../schemas/request.schema.json"),
        "{no_directive:#}"
    );

    // The finding underlines the path written in the directive.
    let offset = wrong_depth["offset"].as_u64().unwrap() as usize;
    let length = wrong_depth["length"].as_u64().unwrap() as usize;
    assert_eq!(
        &shallow[offset..offset + length],
        "../schemas/request.schema.json"
    );
    assert_eq!(at(wrong_depth), (1, 10));

    // Under a year folder the suggestion climbs one level more.
    assert!(
        year_short["help"]
            .as_str()
            .unwrap()
            .contains("#:schema ../../../schemas/request.schema.json"),
        "{year_short:#}"
    );
}

#[test]
fn schema_copy_that_differs_from_the_built_in_one_warns() {
    let repo = TempRepo::new();
    // The copies TempRepo makes are the bundled ones: identical, no drift.
    let findings = check_json(&repo, &[]);
    assert!(
        with_code(&findings, "schema::drift").is_empty(),
        "{findings:#?}"
    );

    let path = repo.path().join("schemas/request.schema.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text.replacen("\"description\": \"", "\"description\": \"Edited. ", 1);
    assert_ne!(edited, text);
    std::fs::write(&path, edited).unwrap();
    std::fs::remove_file(repo.path().join("schemas/event.schema.json")).unwrap();

    let findings = check_json(&repo, &[]);
    let drift = with_code(&findings, "schema::drift");
    let files: Vec<&str> = drift.iter().map(|f| f["file"].as_str().unwrap()).collect();
    assert_eq!(
        files,
        ["schemas/event.schema.json", "schemas/request.schema.json"],
        "{findings:#?}"
    );
    for f in &drift {
        assert_eq!(f["severity"], "warning");
        assert!(
            f["help"].as_str().unwrap().contains("portflow schema "),
            "{f:#}"
        );
    }
}

#[test]
fn schema_command_prints_the_bundled_copy_byte_for_byte() {
    let root = common::project_root();
    for name in ["request", "event", "porting"] {
        let out = run_in(&root, &["schema", name]);
        assert_eq!(out.exit, Exit::Clean, "{}", out.stderr);
        let file = std::fs::read_to_string(root.join(format!("schemas/{name}.schema.json")))
            .expect("schema copy");
        assert!(
            out.stdout == file,
            "`portflow schema {name}` differs from schemas/{name}.schema.json"
        );
    }
}

// ── Secrets never appear ─────────────────────────────────────────────────────

const PIN: &str = "73519";

/// VALID_REQUEST with a plaintext PIN, written on the line after `billing_number`.
fn request_with_pin(pin_line: &str, after_pin: &str) -> String {
    VALID_REQUEST.replacen(
        "billing_number = \"+12065550143\"\n",
        &format!(
            "billing_number = \"+12065550143\"\naccount_number = \"8812-5521\"\n{pin_line}\n{after_pin}"
        ),
        1,
    )
}

/// Every output a user could see for the repo: check in both formats, and status.
fn all_outputs(repo: &TempRepo) -> Vec<(String, String)> {
    let mut outputs = Vec::new();
    for args in [
        ["check", "--today", TODAY, "--format", "json"],
        ["check", "--today", TODAY, "--format", "human"],
        ["status", "--today", TODAY, "--format", "json"],
    ] {
        let out = repo.run(&args);
        outputs.push((args.join(" "), format!("{}{}", out.stdout, out.stderr)));
    }
    outputs
}

#[test]
fn plaintext_pin_never_appears_in_any_output() {
    let pin_line = format!("pin = \"{PIN}\"");
    let cases = [
        // A file that parses (secret::plaintext may or may not report it).
        ("parses", request_with_pin(&pin_line, ""), None),
        // Unterminated string on the PIN line itself.
        (
            "error-on-pin-line",
            request_with_pin(&format!("pin = \"{PIN}"), ""),
            Some("pin = \"*****\n"),
        ),
        // A syntax error on the next line: the snippet shows the PIN line as context.
        (
            "error-after-pin",
            request_with_pin(&pin_line, "authorized_title = \"Owner\n"),
            Some("pin = \"*****\"\n"),
        ),
        // A syntax error far from the PIN.
        (
            "error-elsewhere",
            request_with_pin(&pin_line, "").replace(
                "receiving_number = \"+12065550100\"",
                "receiving_number \"+12065550100\"",
            ),
            None,
        ),
    ];
    for (name, text, masked_line) in cases {
        assert!(text.contains(PIN), "{name}: the case must hold the PIN");
        let repo = TempRepo::new();
        repo.write("ports/pin-port/request.toml", &text);
        for (args, output) in all_outputs(&repo) {
            assert!(
                !output.contains(PIN),
                "{name}: `{args}` shows the PIN:\n{output}"
            );
        }
        let human = repo.run(&["check", "--today", TODAY, "--format", "human"]);
        if name != "parses" {
            assert!(
                human.stdout.contains("toml::syntax"),
                "{name}: {}",
                human.stdout
            );
        }
        // Wherever a snippet shows the PIN line, the value is masked, same length.
        for line in human.stdout.lines().filter(|l| l.contains("pin =")) {
            assert!(line.contains("pin = \"*****"), "{name}: {line}");
        }
        if let Some(masked) = masked_line {
            assert!(
                human.stdout.contains(masked),
                "{name}: no masked PIN line in the snippet:\n{}",
                human.stdout
            );
        }
    }
}

// Guards masking by the parsed tree and in parser messages: a literal-quoted or escaped key,
// a dotted key, and an integer too large for TOML whose parser message would quote it.
#[test]
fn pin_is_masked_however_it_is_written() {
    for pin_line in [
        format!("'pin' = \"{PIN}\""),
        format!("\"p\\u0069n\" = \"{PIN}\""),
        format!("pin.x = \"{PIN}\""),
        format!("pin = {PIN}00000000000000000000"),
    ] {
        let repo = TempRepo::new();
        repo.write(
            "ports/pin-port/request.toml",
            request_with_pin(&pin_line, ""),
        );
        for (args, output) in all_outputs(&repo) {
            assert!(
                !output.contains(PIN),
                "`{pin_line}`: `{args}` shows the PIN:\n{output}"
            );
        }
    }
}

// ── Text TOML cannot hold, and columns ───────────────────────────────────────

#[test]
fn invalid_utf8_is_a_syntax_finding_at_the_exact_byte() {
    let text = VALID_REQUEST.replace("name = \"Acme Dental LLC\"", "name = \"Café X Dental\"");
    let at_byte = text.find("Café X").unwrap() + "Café ".len();
    let mut bytes = text.into_bytes();
    bytes[at_byte] = 0xFF;
    let valid_prefix = std::str::from_utf8(&bytes[..at_byte]).unwrap();
    let (line, column) = line_col(valid_prefix, at_byte);

    let repo = TempRepo::new();
    repo.write("ports/utf8-port/request.toml", &bytes);
    let findings = check_json(&repo, &[]);
    let in_file: Vec<&Value> = findings
        .iter()
        .filter(|f| f["file"] == "ports/utf8-port/request.toml")
        .collect();
    assert_eq!(in_file.len(), 1, "{findings:#?}");
    let f = in_file[0];
    assert_eq!(f["code"], "toml::syntax");
    assert_eq!(f["offset"], at_byte);
    assert_eq!(f["length"], 1);
    assert_eq!(at(f), (line, column));
    // `é` is two bytes: the column counts it once.
    assert_eq!(column, 14);
}

#[test]
fn nan_and_inf_are_syntax_findings_at_the_value() {
    for value in ["nan", "+inf", "-inf"] {
        let text = VALID_REQUEST.replace(
            "port_type = \"full\"",
            &format!("port_type = \"full\"\nratio = {value}"),
        );
        let repo = TempRepo::new();
        repo.write("ports/float-port/request.toml", &text);
        let findings = check_json(&repo, &[]);
        assert_eq!(findings.len(), 1, "{value}: {findings:#?}");
        let f = &findings[0];
        assert_eq!(f["code"], "toml::syntax", "{value}");
        let offset = text.find(&format!("= {value}\n")).unwrap() + 2;
        assert_eq!(f["offset"], offset, "{value}");
        assert_eq!(f["length"], value.len(), "{value}");
        assert_eq!(at(f), line_col(&text, offset), "{value}");
    }
}

/// VALID_REQUEST with `[end_user]` as an inline table whose name is not ASCII and that has
/// a misspelt key after it, on one line.
fn request_with_unicode_inline_table() -> (String, usize) {
    let start = VALID_REQUEST.find("[end_user]").unwrap();
    let end = VALID_REQUEST.find("[[numbers]]").unwrap();
    let text = format!(
        "{}end_user = {{ name = \"Café Ünïcode\", nmae = \"x\" }}\n\n{}",
        &VALID_REQUEST[..start],
        &VALID_REQUEST[end..]
    );
    let offset = text.find("nmae").unwrap();
    (text, offset)
}

#[test]
fn columns_count_unicode_scalar_values_not_bytes() {
    let (text, offset) = request_with_unicode_inline_table();
    let repo = TempRepo::new();
    repo.write("ports/unicode-port/request.toml", &text);
    // The rest of the request is judged too (the LOA lacks fields): only the schema's
    // finding is about columns.
    let findings: Vec<serde_json::Value> = check_json(&repo, &[])
        .into_iter()
        .filter(|f| f["code"] == "schema::violation")
        .collect();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f["code"], "schema::violation");
    assert_eq!(f["message"], "unknown key `nmae` in `end_user`");
    assert_eq!(f["offset"], offset);
    let line_start = text[..offset].rfind('\n').unwrap() + 1;
    let byte_column = offset - line_start + 1;
    let (line, column) = line_col(&text, offset);
    assert_eq!((line, column), (8, 37));
    assert_ne!(
        column as usize, byte_column,
        "the line must hold multibyte characters"
    );
    assert_eq!(at(f), (line, column));
    assert_eq!(f["end_line"], 8);
    assert_eq!(f["end_column"], column + 4);
}

// Guards the human header `file:line:column`: miette counts bytes, SPEC §7 scalar values.
#[test]
fn human_header_column_counts_unicode_scalar_values() {
    let (text, _) = request_with_unicode_inline_table();
    let repo = TempRepo::new();
    repo.write("ports/unicode-port/request.toml", &text);
    let out = repo.run(&["check", "--today", TODAY]);
    assert!(
        out.stdout
            .contains("[ports/unicode-port/request.toml:8:37]"),
        "{}",
        out.stdout
    );
}
