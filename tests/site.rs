//! `portflow site`: the bundled ports, committed to a real git repo with pinned authors and
//! times, make a static site that headless Chromium (Debian's `chromium`) loads from
//! `file://`: screenshots of the board and a port page, every port with its stage in the
//! DOM, links that resolve, no console messages and no secret in any file. The estimated
//! completion is checked on a repo with known completion times.

mod common;
mod history_git;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use history_git::{ANA, BEN, DAY, GitRepo, HOUR, NOV_1, Who};
use portflow::Exit;
use serde_json::Value;

const TODAY: &str = "2026-12-01";
const COMMIT_LINK: &str = "https://git.example.test/acme/ports/commit/{commit}";

/// Every bundled port folder, relative to the project root.
fn bundled_ports() -> Vec<String> {
    let root = common::project_root();
    let mut dirs = Vec::new();
    for entry in walkdir::WalkDir::new(root.join("ports")).min_depth(1) {
        let entry = entry.expect("walk ports");
        if entry.file_name() == "request.toml" {
            let dir = entry.path().parent().expect("port folder");
            let rel = dir.strip_prefix(&root).expect("relative");
            dirs.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    dirs.sort();
    dirs
}

/// The `on = YYYY-MM-DD` of an event file, as seconds at 15:00 UTC that day.
fn landing_of(text: &str) -> Option<i64> {
    let line = text.lines().find(|l| l.trim_start().starts_with("on = "))?;
    let date = line.split('=').nth(1)?.trim();
    let (y, rest) = date.split_once('-')?;
    let (m, d) = rest.split_once('-')?;
    let (y, m, d): (i64, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    // Days from 1970-01-01 (civil calendar, Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * DAY + 15 * HOUR)
}

/// The bundled repo with history: each port's request and documents land the day before its
/// first event (or on Nov 10 without events), each event on its own `on` date, in time order.
fn bundled_desk() -> GitRepo {
    let repo = GitRepo::new();
    let root = common::project_root();
    let mut landings: Vec<(i64, String, Vec<String>)> = Vec::new();
    for dir in bundled_ports() {
        let mut files = Vec::new();
        let mut events = Vec::new();
        for entry in walkdir::WalkDir::new(root.join(&dir)).min_depth(1) {
            let entry = entry.expect("walk port");
            if !entry.file_type().is_file() {
                continue;
            }
            let rel = entry
                .path()
                .strip_prefix(&root)
                .expect("relative")
                .to_string_lossy()
                .replace('\\', "/");
            if rel.contains("/events/") {
                let text = std::fs::read_to_string(entry.path()).expect("event");
                events.push((landing_of(&text).expect("event date"), rel));
            } else {
                files.push(rel);
            }
        }
        events.sort();
        let first = events
            .first()
            .map_or(NOV_1 + 9 * DAY + 9 * HOUR, |(t, _)| t - DAY);
        landings.push((first, format!("Open {dir}"), files));
        for (i, (when, rel)) in events.into_iter().enumerate() {
            // Events of one port landed the same day keep their order an hour apart.
            landings.push((when + i as i64 * 60, format!("Record {rel}"), vec![rel]));
        }
    }
    landings.sort();
    for (i, (when, message, files)) in landings.into_iter().enumerate() {
        for file in &files {
            repo.copy_file(file);
        }
        let who: Who = if i % 2 == 0 { ANA } else { BEN };
        repo.commit(&message, who, when);
    }
    repo
}

/// `portflow site --out <out>` in `repo` on `TODAY`, with `extra` arguments.
fn run_site(repo: &GitRepo, out: &Path, extra: &[&str]) -> portflow::Output {
    let out = out.to_str().expect("utf-8 path");
    let mut args = vec!["--today", TODAY, "site", "--out", out];
    args.extend_from_slice(extra);
    repo.run(&args)
}

/// The site of `repo` in a new folder, written by `portflow site`.
fn site_of(repo: &GitRepo) -> (tempfile::TempDir, PathBuf) {
    let parent = tempfile::tempdir().expect("temp dir");
    let out = parent.path().join("site");
    let run = run_site(repo, &out, &["--commit-link", COMMIT_LINK]);
    assert_eq!(run.exit, Exit::Clean, "{}{}", run.stdout, run.stderr);
    (parent, out)
}

/// Every file of the site, by path relative to it.
fn site_files(out: &Path) -> BTreeMap<String, String> {
    walkdir::WalkDir::new(out)
        .min_depth(1)
        .into_iter()
        .map(|e| e.expect("walk site"))
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(out).expect("relative");
            (
                rel.to_string_lossy().replace('\\', "/"),
                std::fs::read_to_string(e.path()).expect("utf-8 page"),
            )
        })
        .collect()
}

/// Every `attr="…"` value in an HTML text, its character references decoded.
fn attribute_values(html: &str, attr: &str) -> Vec<String> {
    let needle = format!(" {attr}=\"");
    html.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest.find('"').map(|end| {
                rest[..end]
                    .replace("&#x2f;", "/")
                    .replace("&#x27;", "'")
                    .replace("&quot;", "\"")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&")
            })
        })
        .collect()
}

/// What Chromium did: its exit, standard output and standard error.
struct Browser {
    stdout: String,
    stderr: String,
}

/// Runs headless Chromium on one page with its own profile, killed after 60 s.
fn chromium(extra: &[&str], page: &Path) -> Browser {
    let profile = tempfile::tempdir().expect("profile dir");
    let url = format!("file://{}", page.display());
    let mut child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-extensions",
            "--enable-logging=stderr",
            "--v=0",
            "--force-color-profile=srgb",
            "--lang=en-US",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start `chromium` ({e}): install Debian's chromium package, as .ci/run does"
            )
        });
    let started = Instant::now();
    loop {
        match child.try_wait().expect("wait for chromium") {
            Some(_) => break,
            None if started.elapsed() > Duration::from_secs(60) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("chromium did not finish {url} within 60 s");
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    let out = child.wait_with_output().expect("chromium output");
    assert!(
        out.status.success(),
        "chromium failed on {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Browser {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The console messages a page logged (Chromium logs each as `CONSOLE(line)`).
fn console_messages(browser: &Browser) -> Vec<&str> {
    browser
        .stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .collect()
}

/// Width and height from a PNG's header.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).expect("screenshot");
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    (word(16), word(20))
}

fn stages_by_port(repo: &GitRepo) -> BTreeMap<String, String> {
    let run = repo.run(&["--today", TODAY, "status", "--format", "json"]);
    let doc: Value = serde_json::from_str(&run.stdout).expect("status json");
    doc["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .map(|p| {
            (
                p["port"].as_str().expect("port").to_owned(),
                p["stage"].as_str().expect("stage").to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_bundled_repo_renders_in_chromium_with_every_port_its_stage_and_no_console_message() {
    let repo = bundled_desk();
    let stages = stages_by_port(&repo);
    assert_eq!(stages.len(), bundled_ports().len());
    let (_keep, out) = site_of(&repo);
    // The screenshots stay for a person to look at: docs/images/board.png is this board.
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("site");
    std::fs::create_dir_all(&shots).expect("screenshot folder");

    // The board: a screenshot, and the DOM as Chromium built it holds each port, its stage
    // and a link to its page.
    let board_png = shots.join("board.png");
    let board = chromium(
        &[
            "--window-size=1280,1600",
            &format!("--screenshot={}", board_png.display()),
        ],
        &out.join("index.html"),
    );
    assert_eq!(png_size(&board_png), (1280, 1600));
    assert!(
        std::fs::metadata(&board_png).expect("png").len() > 20_000,
        "a blank board?"
    );
    assert_eq!(console_messages(&board), Vec::<&str>::new());
    let dom = chromium(&["--dump-dom"], &out.join("index.html"));
    assert_eq!(console_messages(&dom), Vec::<&str>::new());
    for (port, stage) in &stages {
        let row = format!("data-port=\"{port}\" data-stage=\"{stage}\"");
        assert!(dom.stdout.contains(&row), "the board lacks {row}");
        let link = format!("href=\"ports/{port}.html\"");
        assert!(dom.stdout.contains(&link), "the board lacks {link}");
    }
    assert!(dom.stdout.contains("<h2 id=\"this-week\"") || dom.stdout.contains("id=\"this-week\""));

    // Every port page loads without a console message, with the port's stage; one is shot.
    for (port, stage) in &stages {
        let page = out.join("ports").join(format!("{port}.html"));
        let dom = chromium(&["--dump-dom"], &page);
        assert_eq!(console_messages(&dom), Vec::<&str>::new(), "{port}");
        assert!(
            dom.stdout.contains(&format!("<h1>Port {port}</h1>")),
            "{port}"
        );
        assert!(
            dom.stdout.contains(&format!("data-stage=\"{stage}\"")),
            "{port} page lacks its stage {stage}"
        );
        assert!(dom.stdout.contains("href=\"../index.html\""), "{port}");
    }
    let port_png = shots.join("port.png");
    chromium(
        &[
            "--window-size=1280,1800",
            &format!("--screenshot={}", port_png.display()),
        ],
        &out.join("ports/2026-11-copperleaf-law.html"),
    );
    assert_eq!(png_size(&port_png), (1280, 1800));

    // The charts page draws its three charts.
    let charts = chromium(&["--dump-dom"], &out.join("charts.html"));
    assert_eq!(console_messages(&charts), Vec::<&str>::new());
    assert_eq!(charts.stdout.matches("<svg class=\"chart\"").count(), 3);
}

#[test]
fn the_console_check_sees_a_page_that_logs_an_error() {
    // The other tests assert an empty console: this shows the check would see one.
    let dir = tempfile::tempdir().expect("temp dir");
    let page = dir.path().join("broken.html");
    std::fs::write(
        &page,
        "<!doctype html><title>x</title><script>console.error('broken page')</script>",
    )
    .expect("write page");
    let browser = chromium(&["--dump-dom"], &page);
    let messages = console_messages(&browser);
    assert!(
        messages.iter().any(|m| m.contains("broken page")),
        "{}",
        browser.stderr
    );
}

#[test]
fn every_link_of_the_site_resolves_and_commits_link_to_the_given_address() {
    let repo = bundled_desk();
    let (_keep, out) = site_of(&repo);
    let files = site_files(&out);
    let ids: BTreeMap<&str, BTreeSet<String>> = files
        .iter()
        .map(|(path, html)| {
            (
                path.as_str(),
                attribute_values(html, "id").into_iter().collect(),
            )
        })
        .collect();
    let mut commits = 0;
    for (path, html) in &files {
        if !path.ends_with(".html") {
            continue;
        }
        for href in attribute_values(html, "href") {
            let href = href.as_str();
            if let Some(rest) = href.strip_prefix("https://git.example.test/acme/ports/commit/") {
                assert_eq!(rest.len(), 40, "{path}: {href}");
                commits += 1;
                continue;
            }
            assert!(
                !href.contains("://"),
                "{path} links outside the site: {href}"
            );
            let (file, fragment) = href.split_once('#').unwrap_or((href, ""));
            let target = if file.is_empty() {
                path.clone()
            } else {
                let base = Path::new(path).parent().unwrap_or(Path::new(""));
                let mut parts: Vec<String> = base
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                for part in file.split('/') {
                    match part {
                        ".." => {
                            assert!(parts.pop().is_some(), "{path}: {href} leaves the site");
                        }
                        "." | "" => {}
                        p => parts.push(p.to_owned()),
                    }
                }
                parts.join("/")
            };
            let Some(target_ids) = ids.get(target.as_str()) else {
                panic!("{path} links to {href}, which the site does not have");
            };
            if !fragment.is_empty() {
                assert!(
                    target_ids.contains(fragment),
                    "{path}: no #{fragment} in {target}"
                );
            }
        }
    }
    assert!(commits > 0, "no commit links at all");
    assert!(files.contains_key("accounts.html") && files.contains_key("charts.html"));
    // Each port page is linked from the board.
    let board = attribute_values(&files["index.html"], "href");
    for path in files.keys().filter(|p| p.starts_with("ports/")) {
        assert!(board.contains(path), "{path} is not on the board");
    }
}

/// The levels of the headings of a page, in order.
fn heading_levels(html: &str) -> Vec<u8> {
    html.match_indices("<h")
        .filter_map(|(at, _)| {
            let level = html.as_bytes().get(at + 2)?;
            let after = html.as_bytes().get(at + 3)?;
            (level.is_ascii_digit() && (*after == b'>' || *after == b' ')).then(|| level - b'0')
        })
        .collect()
}

#[test]
fn every_page_has_a_language_one_title_heading_no_skipped_level_and_headed_tables() {
    let repo = bundled_desk();
    let (_keep, out) = site_of(&repo);
    for (path, html) in site_files(&out)
        .iter()
        .filter(|(p, _)| p.ends_with(".html"))
    {
        assert!(
            html.starts_with("<!doctype html>\n<html lang=\"en\">"),
            "{path}"
        );
        assert!(html.contains("<meta name=\"viewport\""), "{path}");
        assert!(
            html.contains("@media (prefers-color-scheme: dark)"),
            "{path}"
        );
        assert!(html.contains("@media print"), "{path}");
        let levels = heading_levels(html);
        assert_eq!(
            levels.iter().filter(|l| **l == 1).count(),
            1,
            "{path}: {levels:?}"
        );
        assert_eq!(levels.first(), Some(&1), "{path}");
        for pair in levels.windows(2) {
            assert!(
                pair[1] <= pair[0] + 1,
                "{path} skips a heading level: {levels:?}"
            );
        }
        // Every table has header cells that say what they head.
        for table in html.split("<table").skip(1) {
            let table = table.split("</table>").next().unwrap_or("");
            assert!(
                table.contains("<th scope=\""),
                "{path}: a table without headers"
            );
        }
        // Every chart is an image with a title a screen reader reads.
        for svg in html.split("<svg").skip(1) {
            assert!(
                svg.contains("role=\"img\"") && svg.contains("<title id="),
                "{path}"
            );
        }
    }
}

#[test]
fn no_secret_of_the_bundled_ports_appears_in_any_file_of_the_site() {
    let repo = bundled_desk();
    let (_keep, out) = site_of(&repo);
    let identity = common::project_root().join("keys/demo-identity.txt");
    let mut secrets = Vec::new();
    for port in ["2026-11-pinecrest-plumbing", "2026-11-okafor-prepaid"] {
        let run = repo.run(&[
            "secret",
            "show",
            port,
            "pin",
            "--identity",
            identity.to_str().expect("utf-8"),
        ]);
        assert_eq!(run.exit, Exit::Clean, "{}", run.stderr);
        let pin = run.stdout.trim().to_owned();
        assert!(pin.len() >= 4, "{pin:?}");
        secrets.push(pin);
    }
    let files = site_files(&out);
    assert!(files.len() > 10);
    for (path, text) in &files {
        assert!(
            !text.contains("AGE ENCRYPTED"),
            "{path} holds an encrypted PIN"
        );
        for pin in &secrets {
            // A PIN is digits: it must not stand as a value of its own (inside a commit id
            // or a phone number it is no PIN).
            let alone = text.match_indices(pin.as_str()).any(|(at, _)| {
                let before = text[..at].chars().next_back();
                let after = text[at + pin.len()..].chars().next();
                !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '+')
                    && !after.is_some_and(|c| c.is_ascii_alphanumeric())
            });
            assert!(!alone, "{path} shows a PIN");
        }
    }
}

#[test]
fn a_second_run_replaces_the_site_it_wrote_but_never_a_folder_it_did_not() {
    let repo = bundled_desk();
    let (_keep, out) = site_of(&repo);
    let again = run_site(&repo, &out, &[]);
    assert_eq!(again.exit, Exit::Clean, "{}", again.stderr);
    // Without --commit-link the commits are plain ids.
    let page =
        std::fs::read_to_string(out.join("ports/2026-11-copperleaf-law.html")).expect("page");
    assert!(!page.contains("git.example.test"));

    // A file someone added to the site is theirs: the site is not replaced.
    std::fs::write(out.join("CNAME"), "desk.example.com\n").expect("write");
    let refused = run_site(&repo, &out, &[]);
    assert_eq!(refused.exit, Exit::Failure);
    assert!(refused.stderr.contains("`CNAME`"), "{}", refused.stderr);
    assert_eq!(
        std::fs::read_to_string(out.join("CNAME")).expect("kept"),
        "desk.example.com\n"
    );

    // A folder portflow did not write, and a file, are refused and left as they are.
    let other = tempfile::tempdir().expect("temp dir");
    std::fs::write(other.path().join("notes.txt"), "mine").expect("write");
    let refused = run_site(&repo, other.path(), &[]);
    assert_eq!(refused.exit, Exit::Failure);
    assert!(
        refused.stderr.contains("portflow did not write"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        std::fs::read_to_string(other.path().join("notes.txt")).expect("kept"),
        "mine"
    );
    let file = other.path().join("notes.txt");
    let refused = run_site(&repo, &file, &[]);
    assert_eq!(refused.exit, Exit::Failure);
    assert!(
        refused.stderr.contains("not a folder"),
        "{}",
        refused.stderr
    );
    // Nothing was left beside the folders.
    let leftovers: Vec<_> = std::fs::read_dir(out.parent().expect("parent"))
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .filter(|n| n.to_string_lossy().starts_with(".portflow-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A port copied from copperleaf-law (US, losing carrier AT&T) into `dir`, its events up
/// to `last` (`002` submitted, `006` completed): signed and submitted at `submitted`,
/// scheduled the day after, completed at `completed`.
fn copperleaf_copy(repo: &GitRepo, dir: &str, submitted: i64, completed: Option<i64>) {
    let from = "ports/2026-11-copperleaf-law";
    let copy = |name: &str| {
        let bytes = std::fs::read(common::project_root().join(from).join(name)).expect("read");
        repo.write(&format!("{dir}/{name}"), bytes);
    };
    for name in [
        "request.toml",
        "documents/bill-2026-11.pdf",
        "documents/csr-2026-11-18.pdf",
        "documents/loa-signed-2026-11-03.pdf",
        "events/001-signed.toml",
    ] {
        copy(name);
    }
    repo.commit(&format!("{dir}: signed"), ANA, submitted - DAY);
    copy("events/002-submitted.toml");
    repo.commit(&format!("{dir}: submitted"), BEN, submitted);
    if let Some(done) = completed {
        for name in [
            "events/003-scheduled.toml",
            "events/004-void.toml",
            "events/005-scheduled.toml",
        ] {
            copy(name);
        }
        repo.commit(&format!("{dir}: scheduled"), BEN, submitted + DAY);
        copy("events/006-completed.toml");
        repo.commit(&format!("{dir}: completed"), ANA, done);
    }
}

#[test]
fn the_estimate_comes_from_the_completed_ports_of_the_same_country_and_carrier() {
    let repo = GitRepo::new();
    repo.copy_file("porting.toml");
    // Four AT&T ports that took 10, 20, 30 and 40 days from submission to completion.
    let start = NOV_1 - 60 * DAY;
    for (i, days) in [10, 20, 30, 40].into_iter().enumerate() {
        let submitted = start + i as i64 * HOUR;
        copperleaf_copy(
            &repo,
            &format!("ports/2026-09-att-{i}"),
            submitted,
            Some(submitted + days * DAY),
        );
    }
    // An open AT&T port submitted at midnight five days before the end of Dec 1.
    let dec_2 = NOV_1 + 31 * DAY;
    copperleaf_copy(&repo, "ports/2026-11-att-open", dec_2 - 5 * DAY, None);
    // A Verizon port (no Verizon port completed: the country's ports answer) and a GB port
    // (no GB port completed: no estimate).
    repo.copy_port("ports/2026-11-bayview-bistro");
    repo.copy_port("ports/2026-11-thameside-gallery");
    repo.commit("Bayview and Thameside", ANA, dec_2 - 3 * DAY);

    let run = repo.run(&["--today", TODAY, "status", "--format", "json"]);
    let doc: Value = serde_json::from_str(&run.stdout).expect("json");
    let eta = |port: &str| -> Value {
        doc["ports"]
            .as_array()
            .expect("ports")
            .iter()
            .find(|p| p["port"] == port)
            .unwrap_or_else(|| panic!("{port} missing: {}", run.stdout))["eta"]
            .clone()
    };
    // Five days spent: 5, 15, 25 and 35 days left; nearest rank p50 = 15, p90 = 35.
    assert_eq!(
        eta("2026-11-att-open"),
        serde_json::json!({
            "p50_days": 15, "p90_days": 35,
            "p50_date": "2026-12-16", "p90_date": "2027-01-05",
            "basis": "country+carrier", "completed_ports": 4,
        })
    );
    // Bayview: submitted Nov 20 in the bundled files, but committed here 3 days ago: in
    // its stage 3 days; the four US ports took 10–40 days from submission.
    let bayview = eta("2026-11-bayview-bistro");
    assert_eq!(bayview["basis"], "country", "{bayview}");
    assert_eq!(bayview["completed_ports"], 4);
    assert_eq!(bayview["p50_days"], 17);
    assert_eq!(bayview["p90_days"], 37);
    assert_eq!(eta("2026-11-thameside-gallery"), Value::Null);
    assert_eq!(
        eta("2026-09-att-0"),
        Value::Null,
        "a completed port has no estimate"
    );

    // The board shows the same figures.
    let (_keep, out) = site_of(&repo);
    let board = std::fs::read_to_string(out.join("index.html")).expect("board");
    assert!(board.contains("2026-12-16 – 2027-01-05"), "{board}");
    assert!(board.contains("from 4 completed ports (same country and carrier)"));
}
