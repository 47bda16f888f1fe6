//! Files of hostile size, encoding and shape in a pull request: a 50 MB request, 100,000
//! numbers, nesting 100,000 levels deep, NUL bytes, invalid UTF-8, a byte-order mark, CRLF
//! line endings, links that loop, folders where files belong, and what the fuzz targets
//! (fuzz/) found. Each is a finding (or a clean exit 2) within seconds, never a panic, an
//! abort or a runaway heap, and no file of the repo is touched. Every run goes through the
//! capped child helper (killed after 20 s, heap capped).

mod common;
mod history_git;

use std::collections::BTreeMap;
use std::path::Path;

use common::{BinRun, TempRepo, VALID_REQUEST, bin};
use history_git::{ANA, BEN, GitRepo, nov};

const TODAY: &str = "2026-11-25";
const REQUEST: &str = "ports/2026-11-acme/request.toml";
const EVENT: &str = "ports/2026-11-acme/events/001-signed.toml";

/// `check --format json` (and `extra`) through the capped binary.
fn check_json(dir: &Path, extra: &[&str]) -> BinRun {
    let mut args = vec!["check", "--today", TODAY, "--format", "json"];
    args.extend_from_slice(extra);
    bin(dir, &args, None)
}

/// The findings of a JSON run as (code, file).
fn codes(run: &BinRun) -> Vec<(String, String)> {
    let doc: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", &run.all()[..run.all().len().min(2000)]));
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or_default().to_owned(),
                f["file"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn assert_has(run: &BinRun, code: &str, file: &str) {
    let found = codes(run);
    assert!(
        found.iter().any(|(c, f)| c == code && f == file),
        "no `{code}` on `{file}` in {found:?}"
    );
}

/// A hash of every regular file under `dir` (links and special files by their kind), to
/// show that a run wrote nothing.
fn snapshot(dir: &Path) -> BTreeMap<String, u64> {
    use std::hash::{Hash, Hasher};
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(false) {
        let entry = entry.expect("walk");
        let rel = entry
            .path()
            .strip_prefix(dir)
            .expect("under dir")
            .to_string_lossy()
            .into_owned();
        if rel.starts_with(".git") {
            continue;
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        if entry.file_type().is_file() {
            std::fs::read(entry.path()).expect("read").hash(&mut hasher);
        } else {
            format!("{:?}", entry.file_type()).hash(&mut hasher);
        }
        out.insert(rel, hasher.finish());
    }
    out
}

/// Runs `f` and asserts that no file under `dir` changed.
fn untouched<T>(dir: &Path, f: impl FnOnce() -> T) -> T {
    let before = snapshot(dir);
    let out = f();
    assert_eq!(before, snapshot(dir), "a check changed the repo's files");
    out
}

/// `depth` nested arrays as the value of `key`: `key = [[[…]]]`.
fn nested_arrays(key: &str, depth: usize) -> String {
    format!("{key} = {}{}\n", "[".repeat(depth), "]".repeat(depth))
}

// A 50 MB request is never read: refused by its size in the working tree, in the index and
// in a commit (git's object header gives the size without loading the blob).
#[test]
fn a_fifty_megabyte_request_is_refused_unread_everywhere() {
    let git = GitRepo::new();
    git.write(REQUEST, VALID_REQUEST);
    git.commit("Add acme", ANA, nov(2, 9));
    git.branch("pr");
    let mut big = VALID_REQUEST.to_owned();
    big.reserve(50 << 20);
    while big.len() < 50_000_000 {
        big.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    git.write(REQUEST, &big);
    let started = std::time::Instant::now();
    untouched(git.path(), || {
        let work = check_json(git.path(), &[]);
        assert_eq!(work.code, 1, "{}", work.all());
        assert_has(&work, "repo::too-large", REQUEST);
        git.stage_all();
        let staged = check_json(git.path(), &["--staged"]);
        assert_eq!(staged.code, 1, "{}", staged.all());
        assert_has(&staged, "repo::too-large", REQUEST);
    });
    git.commit("Grow the request", BEN, nov(3, 9));
    let pr = untouched(git.path(), || check_json(git.path(), &["--base", "main"]));
    assert_eq!(pr.code, 1, "{}", pr.all());
    assert_has(&pr, "repo::too-large", REQUEST);
    // Three runs of a file portflow never reads: nowhere near the helper's limit.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

/// A request of `count` distinct, valid US numbers, each with its routing.
fn many_numbers(count: usize) -> String {
    let mut text = VALID_REQUEST.to_owned();
    // VALID_REQUEST lists +12065550143 already: these start elsewhere in the 206 area.
    for i in 0..count {
        text.push_str(&format!(
            "\n[[numbers]]\nnumber = \"+1206{:03}{:04}\"\ntype = \"landline\"\ntracking_source = \"Google Ads\"\nreceiving_number = \"+12065550100\"\n",
            201 + i / 10_000,
            i % 10_000
        ));
    }
    text
}

// 100,000 numbers make a 12 MB request: the default `max_toml_bytes` (2 MiB) refuses it
// unread; raised in porting.toml, the whole request is checked within the helper's limit and
// found to have too many numbers.
#[test]
fn a_hundred_thousand_numbers_are_refused_by_the_cap_or_checked_in_seconds() {
    let repo = TempRepo::new();
    repo.write(REQUEST, many_numbers(100_000));
    let capped = untouched(repo.path(), || check_json(repo.path(), &[]));
    assert_eq!(capped.code, 1, "{}", capped.all());
    assert_eq!(
        codes(&capped),
        [("repo::too-large".to_owned(), REQUEST.to_owned())]
    );

    let policy = std::fs::read_to_string(repo.path().join("porting.toml")).expect("policy");
    assert!(policy.contains("\n[documents]\n"), "{policy}");
    repo.write(
        "porting.toml",
        policy.replace(
            "\n[documents]\n",
            "\n[documents]\nmax_toml_bytes = 50_000_000\n",
        ),
    );
    let started = std::time::Instant::now();
    let raised = untouched(repo.path(), || check_json(repo.path(), &[]));
    let took = started.elapsed();
    assert_eq!(raised.code, 1, "{}", raised.all());
    assert_eq!(
        codes(&raised),
        [("number::too-many".to_owned(), REQUEST.to_owned())]
    );
    assert!(took < std::time::Duration::from_secs(20), "{took:?}");
}

// Nesting 100,000 levels deep would overflow the stack of any recursive reader (the TOML
// parser, serde, the schema validator, portflow's own tree walks) and abort the process.
// The TOML parser's depth limit makes it a syntax finding on the file, whichever file.
#[test]
fn nesting_a_hundred_thousand_deep_is_a_syntax_finding_in_every_file() {
    let deep = 100_000;
    let repo = TempRepo::new();
    repo.write(
        REQUEST,
        format!("{VALID_REQUEST}{}", nested_arrays("deep", deep)),
    );
    repo.write(
        EVENT,
        format!(
            "kind = \"signed\"\non = 2026-11-20\nby = \"ops@example.com\"\n{}",
            nested_arrays("deep", deep)
        ),
    );
    // Inline tables and dotted keys nest too.
    repo.write(
        "ports/2026-11-other/request.toml",
        format!(
            "{}x = {}1{}\n{} = 1\n",
            VALID_REQUEST.replace("+12065550143", "+12065550147"),
            "{ a = ".repeat(deep),
            " }".repeat(deep),
            vec!["a"; deep].join(".")
        ),
    );
    let run = untouched(repo.path(), || check_json(repo.path(), &[]));
    assert_eq!(run.code, 1, "{}", run.all());
    for file in [REQUEST, EVENT, "ports/2026-11-other/request.toml"] {
        assert_has(&run, "toml::syntax", file);
    }

    // porting.toml: a finding too, and the ports are still checked.
    let policy = std::fs::read_to_string(repo.path().join("porting.toml")).expect("policy");
    repo.write(
        "porting.toml",
        format!("{}{policy}", nested_arrays("deep", deep)),
    );
    let run = untouched(repo.path(), || check_json(repo.path(), &[]));
    assert_eq!(run.code, 1, "{}", run.all());
    assert_has(&run, "toml::syntax", "porting.toml");
    assert_has(&run, "toml::syntax", REQUEST);
}

/// A finding's code, file, line and column.
type Position = (String, String, u64, u64);

/// The findings of a JSON run as (code, file, line, column).
fn positions(run: &BinRun) -> Vec<Position> {
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or_default().to_owned(),
                f["file"].as_str().unwrap_or_default().to_owned(),
                f["line"].as_u64().unwrap_or_default(),
                f["column"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

/// A valid `signed` event for VALID_REQUEST's port (its digest is not the current one).
fn signed_event() -> String {
    format!(
        "kind = \"signed\"\non = 2026-11-20\nby = \"ops@example.com\"\nsigner = \"Maria Lopez\"\nmethod = \"e-sign\"\ndocument = \"documents/loa.pdf\"\nloa_digest = \"sha256:{}\"\n",
        "0".repeat(64)
    )
}

// NUL bytes are not TOML, in a value, a comment or a run of them: a syntax finding on the
// line that holds the first one. Neither they nor an escape sequence written as a valid
// TOML escape (`\u001b`) reach the terminal through a snippet or a message.
#[test]
fn nul_bytes_are_syntax_findings_on_their_line() {
    let repo = TempRepo::new();
    let in_value = VALID_REQUEST.replace("Acme Dental LLC", "Acme\0Dental LLC");
    repo.write(REQUEST, &in_value);
    repo.write(
        "ports/2026-11-other/request.toml",
        format!(
            "{}# notes\0\n",
            VALID_REQUEST.replace("+12065550143", "+12065550147")
        ),
    );
    repo.write(EVENT, format!("{}{}", signed_event(), "\0".repeat(4096)));
    let escape = "ports/2026-11-escape/request.toml";
    repo.write(
        escape,
        VALID_REQUEST
            .replace("+12065550143", "+12065550148")
            .replace("\"98101\"", "\"\\u001b[2J\\u001b]0;pwned\\u0007\""),
    );
    let run = untouched(repo.path(), || check_json(repo.path(), &[]));
    assert_eq!(run.code, 1, "{}", run.all());
    let found = positions(&run);
    let nul_line = |text: &str| {
        text[..text.find('\0').expect("a NUL")]
            .matches('\n')
            .count() as u64
            + 1
    };
    let other = format!(
        "{}# notes\0\n",
        VALID_REQUEST.replace("+12065550143", "+12065550147")
    );
    for (file, line) in [
        (REQUEST, nul_line(&in_value)),
        ("ports/2026-11-other/request.toml", nul_line(&other)),
        (EVENT, nul_line(&format!("{}\0", signed_event()))),
        (escape, 0),
    ] {
        assert!(
            found.iter().any(|(c, f, l, _)| {
                f == file
                    && if line == 0 {
                        c == "loa::postal-code"
                    } else {
                        c == "toml::syntax" && *l == line
                    }
            }),
            "no syntax finding on {file}:{line} in {found:?}"
        );
    }
    // The human report names them too, and prints no NUL of the file.
    let human = bin(repo.path(), &["check", "--today", TODAY], None);
    assert_eq!(human.code, 1, "{}", human.all());
    assert!(human.stdout.contains("toml::syntax"), "{}", human.stdout);
    assert!(
        human.stdout.contains("loa::postal-code"),
        "{}",
        human.stdout
    );
    for control in ['\0', '\u{1b}', '\u{7}'] {
        assert!(
            !human.all().contains(control),
            "{control:?}: {:?}",
            human.all()
        );
    }
}

// Invalid UTF-8 in an event and in porting.toml (the request's case is in tests/cli.rs), and
// a file saved as UTF-16: a syntax finding at the first byte that is not UTF-8.
#[test]
fn invalid_utf8_in_an_event_or_the_policy_is_a_syntax_finding_at_its_byte() {
    let repo = TempRepo::new();
    repo.write(REQUEST, VALID_REQUEST);
    let event = signed_event().replace("ops@example.com", "ops\u{e9}@example.com");
    let mut bytes = event.into_bytes();
    let at = bytes.iter().position(|b| *b == 0xC3).expect("é");
    bytes[at] = 0xFF;
    repo.write(EVENT, &bytes);
    // UTF-16 with its byte-order mark, as some editors save "Unicode" text.
    let utf16: Vec<u8> = std::iter::once(0xFEFF_u16)
        .chain(VALID_REQUEST.encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect();
    repo.write("ports/2026-11-utf16/request.toml", &utf16);
    let run = untouched(repo.path(), || check_json(repo.path(), &[]));
    assert_eq!(run.code, 1, "{}", run.all());
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let offset_of = |file: &str| {
        doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["file"] == file && f["code"] == "toml::syntax")
            .map(|f| f["offset"].as_u64().unwrap_or(u64::MAX))
    };
    assert_eq!(offset_of(EVENT), Some(at as u64), "{}", run.stdout);
    assert_eq!(
        offset_of("ports/2026-11-utf16/request.toml"),
        Some(0),
        "{}",
        run.stdout
    );

    let policy = std::fs::read(repo.path().join("porting.toml")).expect("policy");
    let mut broken = policy.clone();
    let at = broken
        .windows(b"Example".len())
        .position(|w| w == b"Example")
        .expect("the organization's name");
    broken[at] = 0xC0;
    repo.write("porting.toml", &broken);
    let run = untouched(repo.path(), || check_json(repo.path(), &[]));
    assert_eq!(run.code, 1, "{}", run.all());
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert!(
        doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["file"] == "porting.toml"
                && f["code"] == "toml::syntax"
                && f["offset"] == at),
        "{}",
        run.stdout
    );
}

// A UTF-8 byte-order mark (which some Windows editors write) and CRLF line endings (a
// Windows checkout) are valid TOML: each file checks exactly as it does without them, the
// findings at the same lines and columns, and the LOA digest is the same.
#[test]
fn a_byte_order_mark_and_crlf_line_endings_change_nothing() {
    // A finding to locate: a postal code that is not a US ZIP code.
    let request = VALID_REQUEST.replace("\"98101\"", "\"9810\"");
    let event = signed_event();
    let policy =
        std::fs::read_to_string(common::project_root().join("porting.toml")).expect("policy");
    let results: Vec<(Vec<Position>, String)> = [
        ("", "\n"),
        ("\u{feff}", "\n"),
        ("", "\r\n"),
        ("\u{feff}", "\r\n"),
    ]
    .iter()
    .map(|(bom, eol)| {
        let repo = TempRepo::new();
        let dress = |text: &str| format!("{bom}{}", text.replace('\n', eol));
        repo.write(REQUEST, dress(&request));
        repo.write(EVENT, dress(&event));
        repo.write("porting.toml", dress(&policy));
        let run = untouched(repo.path(), || check_json(repo.path(), &[]));
        assert_eq!(run.code, 1, "{bom:?} {eol:?}: {}", run.all());
        let digest = bin(repo.path(), &["digest", "--today", TODAY], None);
        assert_eq!(digest.code, 0, "{}", digest.all());
        (positions(&run), digest.stdout)
    })
    .collect();
    assert!(
        results[0]
            .0
            .iter()
            .any(|(c, f, l, col)| c == "loa::postal-code"
                && f == REQUEST
                && *l == 18
                && *col == 15),
        "{:?}",
        results[0].0
    );
    for other in &results[1..] {
        assert_eq!(&results[0], other);
    }
}

// Links that loop: a port folder linking to itself, a folder in a port linking to the port
// or to ports/, a year folder linking to ports/, an event name linking to its own folder.
// Nothing is followed, each is named, and the run ends.
#[test]
fn links_that_loop_are_named_not_followed() {
    let repo = TempRepo::new();
    repo.write(REQUEST, VALID_REQUEST);
    let ports = repo.path().join("ports");
    let links = [
        ("2026-11-loop", "ports/2026-11-loop"),
        (".", "ports/2026-11-acme/self"),
        ("..", "ports/2026-11-acme/up"),
        ("../events", "ports/2026-11-acme/events/002-submitted.toml"),
        (".", "ports/2026"),
    ];
    for (target, at) in links {
        let at = repo.path().join(at);
        std::fs::create_dir_all(at.parent().expect("parent")).expect("mkdir");
        std::os::unix::fs::symlink(target, &at).expect("symlink");
    }
    assert!(ports.join("2026-11-loop").read_dir().is_err(), "a loop");
    let run = untouched(repo.path(), || check_json(repo.path(), &[]));
    assert_eq!(run.code, 1, "{}", run.all());
    for (_, at) in links {
        assert_has(&run, "repo::not-a-file", at);
    }
    for cmd in [&["status"][..], &["digest"], &["find", "+12065550143"]] {
        let mut args = cmd.to_vec();
        args.extend(["--today", TODAY]);
        let out = bin(repo.path(), &args, None);
        assert!(out.code <= 1, "{cmd:?}: {}", out.all());
    }
}

// A folder where portflow reads a file: `request.toml`, an event, a document (and a FIFO as
// a document: never opened, which would block). Each is refused as not a regular file,
// never descended into, and the port is still seen (an empty folder named `request.toml`
// used to hide its port entirely).
#[test]
fn folders_and_fifos_where_files_belong_are_refused_by_name() {
    let repo = TempRepo::new();
    std::fs::create_dir_all(repo.path().join("ports/2026-11-empty/request.toml")).expect("mkdir");
    repo.write("ports/2026-11-full/request.toml/notes.txt", "hello");
    repo.write(
        REQUEST,
        format!(
            "{VALID_REQUEST}\n[[documents]]\nkind = \"bill\"\npath = \"documents/bill.pdf\"\ndated = 2026-11-20\n\n[[documents]]\nkind = \"other\"\npath = \"documents/fifo.pdf\"\n"
        ),
    );
    std::fs::create_dir_all(
        repo.path()
            .join("ports/2026-11-acme/events/001-signed.toml"),
    )
    .expect("mkdir");
    repo.write(
        "ports/2026-11-acme/events/002-submitted.toml/x.toml",
        "kind = 1\n",
    );
    std::fs::create_dir_all(repo.path().join("ports/2026-11-acme/documents/bill.pdf"))
        .expect("mkdir");
    let fifo = repo.path().join("ports/2026-11-acme/documents/fifo.pdf");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(made.success());
    let run = untouched(repo.path(), || check_json(repo.path(), &[]));
    assert_eq!(run.code, 1, "{}", run.all());
    for file in [
        "ports/2026-11-empty/request.toml",
        "ports/2026-11-full/request.toml",
        "ports/2026-11-acme/events/001-signed.toml",
        "ports/2026-11-acme/events/002-submitted.toml",
    ] {
        assert_has(&run, "repo::not-a-file", file);
    }
    let found = codes(&run);
    let bad_type = found
        .iter()
        .filter(|(c, f)| c == "document::bad-type" && f == REQUEST)
        .count();
    assert_eq!(bad_type, 2, "the folder and the FIFO: {found:?}");
    assert!(
        !found.iter().any(|(c, _)| c == "repo::stray"),
        "a port with a folder for its request is still a port: {found:?}"
    );
}
