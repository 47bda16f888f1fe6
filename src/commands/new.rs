//! `portflow new`: scaffold a port's request.toml with guidance, asking on the terminal
//! for what the flags did not give. Before anything is written the scaffold goes through
//! the same loading and rules as `check`.

use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use crate::cli::{NewArgs, PortTypeArg};
use crate::diag::{Finding, Severity};
use crate::engine::{Scope, check_tree};
use crate::git::past::with_history;
use crate::model::policy::Policy;
use crate::plural::count;
use crate::repo::{self, OverlayTree, PORTS_DIR, Repo, RepoError, WorkTree, is_year};
use crate::report::{self, Context};
use crate::scaffold::{DRAFT_CODES, Values, render};
use crate::{Environment, Exit, Output};

/// Failures of `portflow new` (findings about the scaffold are reported, not returned).
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// The repo could not be read.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// The port id breaks the naming rule.
    #[error(
        "`{0}` is not a valid port id: use 3–64 lowercase letters, digits and hyphens, starting with a letter or digit, e.g. `2026-11-lakeside-dental`"
    )]
    InvalidId(String),
    /// `--year` is not a four-digit year.
    #[error("`{0}` is not a year folder name: use four digits, e.g. `--year 2026`")]
    BadYear(String),
    /// A folder with the id exists already.
    #[error(
        "port id `{id}` is taken: `{dir}` already exists (port ids are unique across the repo)"
    )]
    Taken {
        /// The id.
        id: String,
        /// The folder that has it, repo-relative.
        dir: String,
    },
    /// Required values were neither given nor asked for.
    #[error(
        "missing {}: pass {} (portflow asks for them only when standard input is a terminal)",
        if .0.len() == 1 { "a required value" } else { "required values" },
        .0.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
    )]
    Missing(Vec<&'static str>),
    /// porting.toml does not load, so the country's terms are unknown.
    #[error("`porting.toml` has errors, so the country's terms are unknown: run `portflow check`")]
    PolicyInvalid,
    /// The country is not configured.
    #[error("country `{code}` is not in porting.toml `[countries]`; configured: {known}")]
    UnknownCountry {
        /// The code given.
        code: String,
        /// The configured codes, formatted.
        known: String,
    },
    /// Reading an answer from the terminal failed.
    #[error("cannot read the answer from the terminal: {0}")]
    Input(io::Error),
    /// Writing the port failed.
    #[error("cannot write `{path}`: {source}")]
    Write {
        /// What was being written.
        path: PathBuf,
        /// Why it failed.
        source: io::Error,
    },
}

/// Runs `portflow new`.
pub fn run(args: &NewArgs, env: &Environment) -> Result<Output, ScaffoldError> {
    let tree = WorkTree::discover(&env.cwd)?;
    if !repo::is_port_id(&args.port) {
        return Err(ScaffoldError::InvalidId(args.port.clone()));
    }
    if let Some(year) = &args.year {
        if !is_year(year) {
            return Err(ScaffoldError::BadYear(year.clone()));
        }
    }
    if let Some(dir) = existing_port_dir(&tree.root, &args.port) {
        return Err(ScaffoldError::Taken {
            id: args.port.clone(),
            dir,
        });
    }
    let dir = match &args.year {
        Some(year) => format!("{PORTS_DIR}/{year}/{}", args.port),
        None => format!("{PORTS_DIR}/{}", args.port),
    };

    let loaded = Repo::load(&tree)?;
    let policy = loaded
        .policy
        .as_ref()
        .map(|p| &p.value)
        .ok_or(ScaffoldError::PolicyInvalid)?;

    let mut values = Values {
        account: args.account.clone(),
        requested_by: args.requested_by.clone(),
        country: args.country.as_ref().map(|c| c.trim().to_ascii_uppercase()),
        losing_carrier: args.losing_carrier.clone(),
        port_type: args.port_type.map(PortTypeArg::as_str),
    };
    if let Some(asked) =
        report::terminal::ask(|input, prompt| ask_missing(&mut values, policy, input, prompt))
    {
        asked?;
    }
    let missing: Vec<&'static str> = [
        ("--country", values.country.is_none()),
        ("--account", values.account.is_none()),
        ("--requested-by", values.requested_by.is_none()),
    ]
    .into_iter()
    .filter_map(|(flag, absent)| absent.then_some(flag))
    .collect();
    if !missing.is_empty() {
        return Err(ScaffoldError::Missing(missing));
    }
    let code = values.country.clone().unwrap_or_default();
    let country = policy
        .country(&code)
        .ok_or_else(|| ScaffoldError::UnknownCountry {
            code: code.clone(),
            known: policy
                .countries
                .keys()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", "),
        })?;

    let text = render(&args.port, &dir, &values, policy, country, env.today);
    let request_path = format!("{dir}/request.toml");

    // The scaffold goes through the same loading and rules as `check` before it is written.
    let overlay = OverlayTree::new(&tree).with(request_path.clone(), text.clone());
    let checked = with_history(&tree.root, |past| {
        check_tree(&overlay, &Scope::of(vec![dir.clone()]), env.today, past)
    })?;
    let unexpected: Vec<&Finding> = checked
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error && !DRAFT_CODES.contains(&f.code))
        .collect();
    if !unexpected.is_empty() {
        let shown: Vec<Finding> = unexpected.into_iter().cloned().collect();
        let ctx = Context::of(&checked.repo.sources, 1, 1);
        return Ok(Output {
            stdout: report::human::render(&shown, &ctx, env.style()),
            stderr: format!(
                "error: `{}` not created: the values given do not pass the checks above; nothing was written\n",
                args.port
            ),
            exit: Exit::Findings,
        });
    }

    let port_dir = tree.root.join(&dir);
    if let Some(parent) = port_dir.parent() {
        std::fs::create_dir_all(parent).map_err(|source| ScaffoldError::Write {
            path: parent.to_owned(),
            source,
        })?;
    }
    // `create_dir` fails when the folder appeared since the check above: never clobber.
    std::fs::create_dir(&port_dir).map_err(|source| match source.kind() {
        io::ErrorKind::AlreadyExists => ScaffoldError::Taken {
            id: args.port.clone(),
            dir: dir.clone(),
        },
        _ => ScaffoldError::Write {
            path: port_dir.clone(),
            source,
        },
    })?;
    let full = tree.root.join(&request_path);
    if let Err(source) = crate::atomic::write_new(&full, text.as_bytes(), None) {
        // Leave no half-made port behind; the folder is empty, so this removes only it.
        let _ = std::fs::remove_dir(&port_dir);
        return Err(ScaffoldError::Write { path: full, source });
    }

    let to_fill = checked
        .findings
        .iter()
        .filter(|f| DRAFT_CODES.contains(&f.code))
        .count();
    let mut stdout = format!("created `{request_path}`\n");
    stdout.push_str(&format!(
        "the port is a draft with {} still to fill in: edit the file, then run `portflow check {dir}`\n",
        count(to_fill, "required value", "required values"),
    ));
    Ok(Output {
        stdout,
        stderr: String::new(),
        exit: Exit::Clean,
    })
}

/// The folder that already uses `id` as a port id: `ports/<id>` or `ports/<year>/<id>`.
pub fn existing_port_dir(root: &Path, id: &str) -> Option<String> {
    let ports = root.join(PORTS_DIR);
    if std::fs::symlink_metadata(ports.join(id)).is_ok() {
        return Some(format!("{PORTS_DIR}/{id}"));
    }
    let mut years: Vec<String> = std::fs::read_dir(&ports)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| is_year(name))
        .collect();
    years.sort();
    years
        .into_iter()
        .find(|year| std::fs::symlink_metadata(ports.join(year).join(id)).is_ok())
        .map(|year| format!("{PORTS_DIR}/{year}/{id}"))
}

/// Asks on the terminal for every value the flags did not give. Prompts go to `prompt`
/// (standard error) because standard output is the command's result.
pub fn ask_missing(
    values: &mut Values,
    policy: &Policy,
    input: &mut dyn BufRead,
    prompt: &mut dyn Write,
) -> Result<(), ScaffoldError> {
    if values.country.is_none() {
        let known: Vec<&str> = policy.countries.keys().map(String::as_str).collect();
        let question = format!("country ({})", known.join(", "));
        values.country = ask(input, prompt, &question, true, |answer| {
            let code = answer.to_ascii_uppercase();
            if policy.country(&code).is_some() {
                Ok(code)
            } else {
                Err(format!("`{answer}` is not in porting.toml `[countries]`"))
            }
        })?;
    }
    if values.account.is_none() {
        values.account = ask(
            input,
            prompt,
            "account (our customer account, or agency/sub-account)",
            true,
            |a| Ok(a.to_owned()),
        )?;
    }
    if values.requested_by.is_none() {
        values.requested_by = ask(
            input,
            prompt,
            "requested by (e-mail that receives the notices)",
            true,
            |a| Ok(a.to_owned()),
        )?;
    }
    if values.losing_carrier.is_none() {
        values.losing_carrier = ask(
            input,
            prompt,
            "losing carrier, as printed on the bill (Enter to fill in later)",
            false,
            |a| Ok(a.to_owned()),
        )?;
    }
    if values.port_type.is_none() {
        values.port_type = ask(
            input,
            prompt,
            "port type: full or partial (Enter to fill in later)",
            false,
            |a| match a {
                "full" => Ok("full"),
                "partial" => Ok("partial"),
                other => Err(format!("`{other}` is neither `full` nor `partial`")),
            },
        )?;
    }
    Ok(())
}

/// Asks one question until the answer is accepted; an empty answer skips an optional value.
fn ask<T>(
    input: &mut dyn BufRead,
    prompt: &mut dyn Write,
    question: &str,
    required: bool,
    accept: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, ScaffoldError> {
    loop {
        write!(prompt, "{question}: ").map_err(ScaffoldError::Input)?;
        prompt.flush().map_err(ScaffoldError::Input)?;
        let mut line = String::new();
        // End of input: stop asking; the caller reports what is still missing.
        if input.read_line(&mut line).map_err(ScaffoldError::Input)? == 0 {
            let _ = writeln!(prompt);
            return Ok(None);
        }
        let answer = line.trim();
        if answer.is_empty() {
            if required {
                let _ = writeln!(prompt, "  this value is required");
                continue;
            }
            return Ok(None);
        }
        match accept(answer) {
            Ok(value) => return Ok(Some(value)),
            Err(why) => {
                let _ = writeln!(prompt, "  {why}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_until_answered_and_stops_at_end_of_input() {
        let policy: Policy = toml::from_str(
            "[organization]\nname = \"Example Telecom\"\naddress = \"1 Example Plaza\"\n\
             [countries.US]\nchannel = \"self-serve\"\n",
        )
        .unwrap();
        let mut values = Values::default();
        let mut input: &[u8] = b"xx\nus\n\nacme\nops@example.com\n\nhalf\npartial\n";
        let mut prompts = Vec::new();
        ask_missing(&mut values, &policy, &mut input, &mut prompts).unwrap();
        assert_eq!(values.country.as_deref(), Some("US"));
        assert_eq!(values.account.as_deref(), Some("acme"));
        assert_eq!(values.requested_by.as_deref(), Some("ops@example.com"));
        assert_eq!(values.losing_carrier, None);
        assert_eq!(values.port_type, Some("partial"));
        let prompts = String::from_utf8(prompts).unwrap();
        assert!(prompts.contains("`xx` is not in porting.toml"), "{prompts}");
        assert!(prompts.contains("this value is required"), "{prompts}");

        let mut values = Values::default();
        let mut empty: &[u8] = b"";
        ask_missing(&mut values, &policy, &mut empty, &mut Vec::new()).unwrap();
        assert_eq!(values, Values::default());
    }
}
