//! `check --format github`: workflow commands read back the way the Actions runner parses them.

mod common;

use std::collections::BTreeMap;

use common::{TempRepo, VALID_REQUEST, json_findings};
use portflow::Exit;
use portflow::diag::{Code, Finding, Severity};
use portflow::report::Context;
use portflow::report::github::{RUNNER_LIMIT, annotation, escape_data, escape_property, render};
use portflow::source::SourceFile;
use serde_json::Value;

const TODAY: &str = "2026-11-25";

/// One workflow command as the runner sees it.
#[derive(Debug)]
struct Command {
    name: String,
    properties: BTreeMap<String, String>,
    data: String,
}

/// The runner's unescaping of a property value (`%25` last, so escapes survive).
fn unescape_property(value: &str) -> String {
    value
        .replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

/// The runner's unescaping of the message.
fn unescape_data(value: &str) -> String {
    value
        .replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%25", "%")
}

/// Parses one line as the Actions runner does (`::name k=v,k=v::data`): the command info
/// ends at the first `::` after the leading one, properties split on `,`, then on the first
/// `=`. `None` when the line is no command.
fn parse(line: &str) -> Option<Command> {
    let line = line.trim_start();
    let rest = line.strip_prefix("::")?;
    let end = rest.find("::")?;
    let info = &rest[..end];
    let (name, props) = match info.split_once(' ') {
        Some((name, props)) => (name, props.trim()),
        None => (info, ""),
    };
    let mut properties = BTreeMap::new();
    for pair in props.split(',').filter(|p| !p.is_empty()) {
        if let Some((k, v)) = pair.split_once('=')
            && !k.is_empty()
            && !v.is_empty()
        {
            properties.insert(k.to_owned(), unescape_property(v));
        }
    }
    Some(Command {
        name: name.to_owned(),
        properties,
        data: unescape_data(&rest[end + 2..]),
    })
}

/// The runner's checks on an annotation's position: it drops (with a warning) columns without
/// a line, columns on a span over several lines, and ends before starts. None may apply.
fn assert_position_accepted(cmd: &Command) {
    let num = |k: &str| {
        cmd.properties
            .get(k)
            .map(|v| v.parse::<usize>().expect("a number"))
    };
    let (line, end_line, col, end_col) =
        (num("line"), num("endLine"), num("col"), num("endColumn"));
    if end_line.is_some() {
        assert!(line.is_some(), "endLine without line: {cmd:?}");
    }
    if col.is_some() || end_col.is_some() {
        assert!(line.is_some(), "columns without line: {cmd:?}");
        assert_eq!(line, end_line, "columns on a span over lines: {cmd:?}");
        assert!(
            col.is_some() && end_col.is_some(),
            "half a column range: {cmd:?}"
        );
    }
    if let (Some(l), Some(e)) = (line, end_line) {
        assert!(l <= e && l >= 1, "{cmd:?}");
    }
    if let (Some(c), Some(e)) = (col, end_col) {
        assert!(c <= e && c >= 1, "{cmd:?}");
    }
}

fn source(path: &str, text: &str) -> SourceFile {
    SourceFile::from_bytes(path, text.as_bytes(), &[]).0
}

fn context<'a>(files: &'a [SourceFile]) -> Context<'a> {
    Context {
        sources: files
            .iter()
            .map(|f| (f.path.to_string_lossy().into_owned(), f))
            .collect(),
        files_checked: files.len(),
        ports_checked: 1,
        checkout_prefix: String::new(),
    }
}

#[test]
fn property_escaping_covers_every_character_the_runner_splits_on() {
    for code in Code::ALL {
        let escaped = escape_property(code.as_str());
        assert!(!escaped.contains(':'), "{escaped}");
        assert_eq!(escaped, code.as_str().replace("::", "%3A%3A"));
    }
    assert_eq!(escape_property("a%b,c:d\r\ne=f"), "a%25b%2Cc%3Ad%0D%0Ae=f");
    // The message keeps `:` and `,`: the runner splits only the part before the second `::`.
    assert_eq!(
        escape_data("50% off, see: a\r\nb"),
        "50%25 off, see: a%0D%0Ab"
    );
}

#[test]
fn escaping_round_trips_through_the_runner_unescaping() {
    // Text that looks like an escape must come back as written, not as what it spells.
    for text in [
        "",
        "%",
        "%0A",
        "%250A",
        "%3A%2C",
        "::error::x",
        "a,b=c:d",
        "line one\nline two\r\nthree",
        "ports/2026-11-x/events/004-submitted.toml",
        "Ünïcødé, 100%: done",
    ] {
        assert_eq!(unescape_property(&escape_property(text)), text, "{text:?}");
        assert_eq!(unescape_data(&escape_data(text)), text, "{text:?}");
        assert!(!escape_property(text).contains(['\n', '\r', ':', ',']));
        assert!(!escape_data(text).contains(['\n', '\r']));
    }
}

#[test]
fn hostile_message_stays_one_command_with_every_part_intact() {
    let text = "key = \"x\"\nname = \"Café, 100%: ok\"\n";
    let files = [source("ports/a,b:c%d/request.toml", text)];
    let ctx = context(&files);
    let start = text.find("\"Café").expect("value");
    let end = text.len() - 1;
    let finding = Finding::new(
        Code::EventSequence,
        "ports/a,b:c%d/request.toml",
        start..end,
        "name `Café, 100%: ok` is wrong:\nsee below",
    )
    .label("here")
    .help("write it as 50%25, not 50%\r\nthen run `portflow check`")
    .related("ports/a,b:c%d/request.toml", 0..3, "first::seen, here");
    let line = annotation(&finding, &ctx);
    assert!(!line.contains(['\n', '\r']), "{line}");
    let cmd = parse(&line).expect("a workflow command");
    assert_eq!(cmd.name, "error");
    assert_eq!(cmd.properties["file"], "ports/a,b:c%d/request.toml");
    assert_eq!(cmd.properties["title"], "event::sequence");
    assert_eq!(cmd.properties["line"], "2");
    assert_eq!(cmd.properties["endLine"], "2");
    // Columns count Unicode scalar values: `é` is one column, two bytes.
    assert_eq!(cmd.properties["col"], "8");
    assert_eq!(cmd.properties["endColumn"], "24");
    assert_position_accepted(&cmd);
    assert_eq!(
        cmd.data,
        "name `Café, 100%: ok` is wrong:\nsee below\n\
         help: write it as 50%25, not 50%\r\nthen run `portflow check`\n\
         note: ports/a,b:c%d/request.toml:1:1: first::seen, here\n\
         see https://github.com/portflow/portflow/blob/main/docs/rules.md#event-sequence"
    );
}

#[test]
fn warnings_multi_line_spans_and_files_without_text() {
    let text = "a = [\n  1,\n  2,\n]\nb = 1\n";
    let files = [source("ports/p/request.toml", text)];
    let ctx = context(&files);

    let multi = Finding::new(Code::SchemaViolation, "ports/p/request.toml", 4..17, "m");
    let cmd = parse(&annotation(&multi, &ctx)).expect("command");
    assert_eq!(
        (cmd.properties.get("line"), cmd.properties.get("endLine")),
        (Some(&"1".to_owned()), Some(&"4".to_owned()))
    );
    assert!(!cmd.properties.contains_key("col") && !cmd.properties.contains_key("endColumn"));
    assert_position_accepted(&cmd);

    let empty = Finding::new(Code::RepoPortId, "ports/p/request.toml", 18..18, "e");
    let cmd = parse(&annotation(&empty, &ctx)).expect("command");
    assert_eq!(cmd.properties["line"], "5");
    assert!(!cmd.properties.contains_key("col"));
    assert_position_accepted(&cmd);

    let warning =
        Finding::new(Code::RepoStray, "ports/notes", 0..0, "stray").severity(Severity::Warning);
    let cmd = parse(&annotation(&warning, &ctx)).expect("command");
    assert_eq!(cmd.name, "warning");
    let keys: Vec<&str> = cmd.properties.keys().map(String::as_str).collect();
    assert_eq!(keys, ["file", "title"], "a folder has no lines");
}

#[test]
fn summary_line_follows_and_names_the_runner_limit_only_past_it() {
    let files = [source("ports/p/request.toml", "a = 1\n")];
    let ctx = context(&files);
    let finding = |i: usize| {
        Finding::new(
            Code::NumberInvalid,
            "ports/p/request.toml",
            0..1,
            format!("n{i}"),
        )
    };
    let few: Vec<Finding> = (0..RUNNER_LIMIT).map(finding).collect();
    let out = render(&few, &ctx);
    let last = out.lines().last().expect("summary");
    assert_eq!(out.lines().count(), RUNNER_LIMIT + 1);
    assert_eq!(last, "portflow: 10 errors, 0 warnings in 1 port (1 file)");
    assert!(parse(last).is_none(), "the summary is plain text");

    let many: Vec<Finding> = (0..=RUNNER_LIMIT).map(finding).collect();
    let out = render(&many, &ctx);
    let last = out.lines().last().expect("summary");
    assert!(
        last.starts_with(
            "portflow: 11 errors, 0 warnings in 1 port (1 file); GitHub annotates only the first 10"
        ),
        "{last}"
    );

    assert_eq!(
        render(&[], &ctx),
        "portflow: no findings in 1 port (1 file)\n"
    );
}

/// 1-based line and column (Unicode scalar values) of a byte offset, counted independently.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, col)
}

/// A repo whose findings have related places in other files, non-ASCII text before the bad
/// value, a folder name with a space, a plaintext PIN and a span over several lines.
fn messy_repo() -> TempRepo {
    let repo = TempRepo::new();
    let messy = VALID_REQUEST
        .replace(
            "[end_user.service_address]\nstreet = \"1200 Lakeside Ave\"\nlocality = \"Seattle\"\n\
             region = \"WA\"\npostal_code = \"98101\"\ncountry = \"US\"\n",
            "service_address = { street = \"Ünïcødé Straße 1\", locality = \"Seattle\", \
             region = \"WA\", postal_code = \"9810\", country = \"US\" }\n",
        )
        .replace(
            "billing_number = \"+12065550143\"\n",
            "billing_number = \"+12065550143\"\naccount_number = \"8812-5521\"\npin = \"73519\"\n",
        )
        + "\n[[numbers]]\nnumber = \"+12065550143\"\ntype = \"landline\"\n\
           tracking_source = \"Google Ads\"\nreceiving_number = \"+12065550100\"\n";
    assert!(
        messy.contains("postal_code = \"9810\""),
        "the fixture edit applied"
    );
    repo.write("ports/2026-11-messy/request.toml", &messy);
    repo.write("ports/Bad Port/request.toml", VALID_REQUEST);
    repo.write(
        "ports/2026-11-multiline/request.toml",
        "#:schema ../../schemas/request.schema.json\naccount = \"acme-dental\"\n\
         requested_by = \"maria.lopez@example.com\"\ncountry = \"US\"\n\
         desired_foc = [\n  2026,\n  12,\n]\n",
    );
    repo
}

#[test]
fn every_finding_of_a_real_repo_is_one_annotation_at_its_place() {
    let repo = messy_repo();
    let json = repo.run(&["check", "--today", TODAY, "--format", "json"]);
    let findings = json_findings(&json);
    let out = repo.run(&["check", "--today", TODAY, "--format", "github"]);
    assert_eq!(out.exit, Exit::Findings);
    assert_eq!(out.exit, json.exit);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert!(
        !out.stdout.contains("73519"),
        "the PIN leaked:\n{}",
        out.stdout
    );

    let lines: Vec<&str> = out.stdout.lines().collect();
    let (summary, annotations) = lines.split_last().expect("output");
    assert!(summary.starts_with("portflow: "), "{summary}");
    assert_eq!(annotations.len(), findings.len());
    let codes: Vec<&str> = findings.iter().filter_map(|f| f["code"].as_str()).collect();
    for code in [
        "secret::plaintext",
        "loa::postal-code",
        "number::duplicate",
        "number::in-other-port",
        "repo::port-id",
        "schema::violation",
    ] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }

    let mut multi_line = 0;
    for (line, finding) in annotations.iter().zip(&findings) {
        let cmd = parse(line).expect("every line but the last is a command");
        assert_position_accepted(&cmd);
        assert_eq!(cmd.name, finding["severity"], "{line}");
        assert_eq!(cmd.properties["title"], finding["code"], "{line}");
        let file = finding["file"].as_str().expect("file");
        assert_eq!(cmd.properties["file"], file);
        // Positions counted here from the file itself, not by the code under test.
        let text = std::fs::read_to_string(repo.path().join(file)).expect("read");
        let offset = finding["offset"].as_u64().expect("offset") as usize;
        let end = offset + finding["length"].as_u64().expect("length") as usize;
        let (l, c) = line_col(&text, offset);
        let (el, ec) = line_col(&text, end);
        assert_eq!(cmd.properties["line"], l.to_string(), "{line}");
        assert_eq!(cmd.properties["endLine"], el.to_string(), "{line}");
        if l == el && end > offset {
            assert_eq!(cmd.properties["col"], c.to_string(), "{line}");
            assert_eq!(cmd.properties["endColumn"], ec.to_string(), "{line}");
        } else {
            multi_line += usize::from(l != el);
        }
        let message = finding["message"].as_str().expect("message");
        let help = finding["help"].as_str().expect("help");
        assert!(
            cmd.data.starts_with(&format!("{message}\nhelp: {help}")),
            "{line}"
        );
        for related in finding["related"].as_array().expect("related") {
            let note = format!(
                "note: {}:{}:{}: {}",
                related["file"].as_str().expect("file"),
                related["line"],
                related["column"],
                related["message"].as_str().expect("message")
            );
            assert!(cmd.data.contains(&note), "{note} not in {line}");
        }
        assert!(
            cmd.data
                .ends_with(finding["docs_url"].as_str().expect("url"))
        );
    }
    assert_eq!(multi_line, 1, "the fixture has one span over several lines");
    let unicode = findings
        .iter()
        .position(|f| f["code"] == "loa::postal-code")
        .expect("postal code finding");
    let cmd = parse(annotations[unicode]).expect("command");
    let text = std::fs::read_to_string(repo.path().join("ports/2026-11-messy/request.toml"))
        .expect("read");
    let at = text.find("\"9810\"").expect("value");
    assert!(
        cmd.properties["col"].parse::<usize>().expect("col")
            < at - text[..at].rfind('\n').expect("nl"),
        "columns count characters, not bytes"
    );
}

#[test]
fn clean_repo_prints_only_the_summary_and_exits_zero() {
    let repo = TempRepo::new();
    repo.copy_port("ports/2026-11-lakeside-dental");
    let out = repo.run(&["check", "--today", TODAY, "--format", "github"]);
    assert_eq!(out.exit, Exit::Clean, "{}", out.stdout);
    assert_eq!(out.stdout, "portflow: no findings in 1 port (2 files)\n");
}

#[test]
fn deny_warnings_fails_on_a_warning_annotation() {
    let repo = TempRepo::new();
    repo.copy_port("ports/2026-11-thameside-gallery");
    // Before submission an assisted country is a warning (`country::assisted`).
    std::fs::remove_dir_all(repo.path().join("ports/2026-11-thameside-gallery/events"))
        .expect("remove events");
    let out = repo.run(&["check", "--today", TODAY, "--format", "github"]);
    let warnings: Vec<Command> = out.stdout.lines().filter_map(parse).collect();
    assert!(!warnings.is_empty(), "{}", out.stdout);
    assert!(
        warnings.iter().all(|c| c.name == "warning"),
        "{}",
        out.stdout
    );
    assert_eq!(out.exit, Exit::Clean);
    let denied = repo.run(&[
        "check",
        "--today",
        TODAY,
        "--format",
        "github",
        "--deny-warnings",
    ]);
    assert_eq!(denied.exit, Exit::Findings);
    assert_eq!(denied.stdout, out.stdout);
}

#[test]
fn json_and_github_agree_on_the_bundled_repo() {
    let root = common::project_root();
    let json: Value = serde_json::from_str(
        &common::run_in(&root, &["check", "--today", TODAY, "--format", "json"]).stdout,
    )
    .expect("json");
    let out = common::run_in(&root, &["check", "--today", TODAY, "--format", "github"]);
    let commands: Vec<Command> = out.stdout.lines().filter_map(parse).collect();
    assert_eq!(
        commands.len(),
        json["findings"].as_array().expect("findings").len()
    );
    let ports = json["summary"]["ports"].as_u64().expect("ports");
    assert!(
        out.stdout
            .lines()
            .last()
            .expect("summary")
            .contains(&format!("in {ports} ports")),
        "{}",
        out.stdout
    );
}

/// Commits every file of the repo as its first commit, with a fixed author and time.
fn commit_all(dir: &std::path::Path) {
    let repo = git2::Repository::init(dir).expect("git init");
    let mut index = repo.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    index.write().expect("write index");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("find tree");
    let who = git2::Signature::new(
        "Porting Desk",
        "desk@example.com",
        &git2::Time::new(1_795_000_000, 0),
    )
    .expect("signature");
    repo.commit(Some("HEAD"), &who, &who, "base", &tree, &[])
        .expect("commit");
}

#[test]
fn findings_inherited_from_the_base_are_notices_that_do_not_fail() {
    let repo = TempRepo::new();
    repo.copy_port("ports/2026-11-lakeside-dental");
    // Already broken on the base, and the change does not touch it.
    repo.write(
        "ports/2026-11-old-broken/request.toml",
        "#:schema ../../schemas/request.schema.json\naccount = \"acme-dental\"\n\
         requested_by = \"maria.lopez@example.com\"\ncountry = \"US\"\ndesired_foc = 12\n",
    );
    commit_all(repo.path());
    let request = "ports/2026-11-lakeside-dental/request.toml";
    let text = std::fs::read_to_string(repo.path().join(request)).expect("read");

    // The change touches only lakeside-dental, cleanly: the inherited error is a notice.
    repo.write(request, format!("{text}# reviewed\n"));
    let out = repo.run(&[
        "check", "--today", TODAY, "--base", "HEAD", "--format", "github",
    ]);
    assert_eq!(out.exit, Exit::Clean, "{}{}", out.stdout, out.stderr);
    let commands: Vec<Command> = out.stdout.lines().filter_map(parse).collect();
    assert_eq!(commands.len(), 1, "{}", out.stdout);
    assert_eq!(commands[0].name, "notice");
    assert_eq!(
        commands[0].properties["file"],
        "ports/2026-11-old-broken/request.toml"
    );
    assert!(
        commands[0]
            .data
            .contains("\nnot blocking: this error is already on the base"),
        "{}",
        commands[0].data
    );
    assert!(
        out.stdout.lines().last().expect("summary").ends_with(
            "; 1 already on the base, in ports this change does not touch: not blocking"
        ),
        "{}",
        out.stdout
    );

    // The change breaks the port it touches: that one is an error and fails the run.
    repo.write(
        request,
        text.replace("postal_code = \"98101\"", "postal_code = \"9810\""),
    );
    let out = repo.run(&[
        "check", "--today", TODAY, "--base", "HEAD", "--format", "github",
    ]);
    assert_eq!(out.exit, Exit::Findings, "{}", out.stdout);
    let names: Vec<(String, String)> = out
        .stdout
        .lines()
        .filter_map(parse)
        .map(|c| (c.name, c.properties["title"].clone()))
        .collect();
    assert_eq!(
        names,
        [
            ("error".to_owned(), "loa::postal-code".to_owned()),
            ("notice".to_owned(), "schema::violation".to_owned()),
        ]
    );
}
