//! `portflow find` with numbers typed every way people type them, shell completions, and an
//! example in the help of every command.

mod common;

use common::{TempRepo, VALID_REQUEST};
use portflow::Exit;
use serde_json::Value;

/// Two valid ports and one failing its schema, with the number `+12065550143` in different roles.
fn repo() -> TempRepo {
    let repo = TempRepo::new();
    repo.write("ports/2026-11-acme-dental/request.toml", VALID_REQUEST);
    // A partial port of another number from the same account: +12065550143 stays behind as
    // its new billing number and is on its CSR.
    let partial = VALID_REQUEST
        .replace("\"+12065550143\"", "\"+12065550144\"")
        .replace("port_type = \"full\"", "port_type = \"partial\"")
        .replace(
            "[end_user]",
            "[partial]\nremaining_numbers = \"keep\"\nnew_billing_number = \"+12065550143\"\n\n\
             [csr]\nnumbers = [\"+12065550143\", \"+12065550144\"]\n\n[end_user]",
        );
    repo.write(
        "ports/2026/2026-11-acme-annex/request.toml",
        partial.replace("#:schema ../../", "#:schema ../../../"),
    );
    // A request that fails its schema is still searched.
    repo.write(
        "ports/2026-11-broken/request.toml",
        "country = \"US\"\nunknown_key = 1\n[[numbers]]\nnumber = \"+13125550160\"\n",
    );
    repo
}

fn find(repo: &TempRepo, args: &[&str]) -> portflow::Output {
    let mut argv = vec!["find"];
    argv.extend_from_slice(args);
    argv.extend_from_slice(&["--today", "2026-11-25"]);
    repo.run(&argv)
}

#[test]
fn finds_a_number_however_it_is_typed() {
    let repo = repo();
    for typed in [
        "(206) 555-0143",
        "+1 206 555 0143",
        "206.555.0143",
        "12065550143",
        "+12065550143",
        "1 (206) 555-0143",
    ] {
        let out = find(&repo, &[typed]);
        assert_eq!(out.exit, Exit::Clean, "{typed}: {out:?}");
        assert_eq!(
            out.stdout,
            "+12065550143\n\
             PORT                 STAGE               WHERE\n\
             2026-11-acme-dental  awaiting-signature  [[numbers]] (landline), billing number\n\
             2026-11-acme-annex   awaiting-signature  new billing number, on the CSR, not ported\n",
            "{typed}"
        );
        assert_eq!(out.stderr, "");
    }
}

#[test]
fn exit_1_when_no_port_holds_the_number() {
    let repo = repo();
    let out = find(&repo, &["(206) 555-0199"]);
    assert_eq!(out.exit, Exit::Findings);
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "no port holds `+12065550199`\n");

    // Only on a CSR: listed, but not held.
    let out = find(&repo, &["206-555-0144", "--format", "json"]);
    assert_eq!(out.exit, Exit::Clean, "{out:?}");
    let out = find(&repo, &["+44 20 7946 0143"]);
    assert_eq!(out.exit, Exit::Findings);
    assert_eq!(out.stderr, "no port holds `+442079460143`\n");
    // A national number in another country's format needs `--country`.
    let out = find(&repo, &["020 7946 0143", "--country", "GB"]);
    assert_eq!(out.stderr, "no port holds `+442079460143`\n");

    let out = find(&repo, &["not a number"]);
    assert_eq!(out.exit, Exit::Failure);
    assert_eq!(
        out.stderr,
        "error: `not a number` is not a valid telephone number: type it in full, with `+` and the country code or with `--country` for a national number\n"
    );
    // Regression: a number cut short is refused, not searched as a different number.
    let out = find(&repo, &["555-0144"]);
    assert_eq!(out.exit, Exit::Failure, "{out:?}");
}

#[test]
fn finds_in_ports_that_fail_their_schema_and_reports_json() {
    let repo = repo();
    let out = find(&repo, &["312 555 0160", "--format", "json"]);
    assert_eq!(out.exit, Exit::Clean, "{out:?}");
    let doc: Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(
        doc,
        serde_json::json!({
            "number": "+13125550160",
            "held": true,
            "matches": [{
                "port": "2026-11-broken",
                "dir": "ports/2026-11-broken",
                "stage": "invalid",
                "role": "number",
            }],
        })
    );
    let out = find(&repo, &["206 555 0144", "--format", "json"]);
    let doc: Value = serde_json::from_str(&out.stdout).expect("json");
    let roles: Vec<&str> = doc["matches"]
        .as_array()
        .expect("matches")
        .iter()
        .map(|m| m["role"].as_str().expect("role"))
        .collect();
    assert_eq!(roles, ["number", "billing-number", "csr"]);
}

#[test]
fn completions_for_every_shell() {
    let repo = TempRepo::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = repo.run(&["completions", shell]);
        assert_eq!(out.exit, Exit::Clean, "{shell}");
        assert!(out.stdout.contains("portflow"), "{shell}");
        // Subcommands and their options are in every script.
        for word in ["record", "completions", "requested-foc"] {
            assert!(out.stdout.contains(word), "{shell} lacks {word}");
        }
    }
    let bash = repo.run(&["completions", "bash"]).stdout;
    assert!(bash.contains("complete -F _portflow"), "{bash}");
    assert!(bash.lines().count() > 100);
    let out = repo.run(&["completions", "tcsh"]);
    assert_eq!(out.exit, Exit::Failure);
}

#[test]
fn every_command_has_an_example_in_its_help() {
    use clap::CommandFactory;
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let name = format!("{path} {}", sub.get_name());
            let help = sub
                .get_long_about()
                .or(sub.get_about())
                .map(|a| a.to_string())
                .unwrap_or_default();
            if !help.contains("Example: `portflow ") {
                missing.push(name.clone());
            }
            walk(sub, &name, missing);
        }
    }
    let mut missing = Vec::new();
    walk(&portflow::cli::Cli::command(), "", &mut missing);
    assert_eq!(missing, Vec::<String>::new(), "commands without an example");

    // And `--help` prints it.
    let repo = TempRepo::new();
    let out = repo.run(&["record", "x", "void", "--help"]);
    assert_eq!(out.exit, Exit::Clean);
    assert!(
        out.stdout
            .contains("Example: `portflow record 2026-11-lakeside-dental void --voids 004"),
        "{}",
        out.stdout
    );
}
