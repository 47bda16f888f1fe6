//! portflow: phone-number port-ins kept as files in a git repo.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod atomic;
pub mod cli;
pub mod commands;
pub mod diag;
pub mod engine;
pub mod git;
pub mod loa;
pub mod model;
pub mod notice;
pub mod numbering;
pub mod plural;
pub mod repo;
pub mod report;
pub mod rules;
pub mod scaffold;
pub mod schema;
pub mod secret;
pub mod signed;
pub mod source;
pub mod stage;
pub mod store;

use std::ffi::OsString;
use std::path::PathBuf;

use clap::Parser;

use cli::{Cli, ColorChoice, Command};

/// How a run ended; the process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: nothing to report (warnings allowed).
    Clean = 0,
    /// 1: findings.
    Findings = 1,
    /// 2: could not run.
    Failure = 2,
}

/// What a run prints and how it exits; `main` writes it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Text for standard output.
    pub stdout: String,
    /// Text for standard error.
    pub stderr: String,
    /// Exit status.
    pub exit: Exit,
}

/// The world a run sees: everything that would otherwise make output depend on the machine.
#[derive(Debug, Clone)]
pub struct Environment {
    /// The working directory.
    pub cwd: PathBuf,
    /// Whether standard output is a terminal.
    pub stdout_is_terminal: bool,
    /// Whether NO_COLOR is set (non-empty).
    pub no_color: bool,
    /// Terminal width, when known.
    pub width: Option<usize>,
    /// The colour choice, filled from the command line.
    pub color: ColorChoice,
    /// Today's date (the system date in `main`, `--today` overrides it).
    pub today: model::Date,
}

impl Environment {
    /// A fixed environment for tests: no terminal, no colour, width 80.
    pub fn fixed(cwd: impl Into<PathBuf>) -> Environment {
        Environment {
            cwd: cwd.into(),
            stdout_is_terminal: false,
            no_color: true,
            width: Some(80),
            color: ColorChoice::Never,
            today: model::Date::new(2026, 11, 25).unwrap_or_default(),
        }
    }

    /// Colour and width for human output.
    pub fn style(&self) -> report::human::Style {
        // NO_COLOR is the user's standing wish; `--color always` on one command line is a
        // more specific one and wins over it.
        let color = match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => self.stdout_is_terminal && !self.no_color,
        };
        report::human::Style {
            color,
            width: self.width.unwrap_or(100),
        }
    }
}

/// Parses the arguments and runs one command.
pub fn run<I, T>(args: I, env: &Environment) -> Output
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            let text = err.to_string();
            let exit = if err.use_stderr() {
                Exit::Failure
            } else {
                Exit::Clean
            };
            return if err.use_stderr() {
                Output {
                    stdout: String::new(),
                    stderr: text,
                    exit,
                }
            } else {
                Output {
                    stdout: text,
                    stderr: String::new(),
                    exit,
                }
            };
        }
    };
    let mut env = env.clone();
    env.color = cli.color;
    if let Some(today) = cli.today {
        env.today = today;
    }
    if let Some(dir) = &cli.directory {
        env.cwd = env.cwd.join(dir);
    }
    // Each command's error becomes the one line `main` prints, with exit status 2.
    fn fail(err: impl std::fmt::Display) -> String {
        err.to_string()
    }
    let result: Result<Output, String> = match &cli.command {
        Command::Check(args) => commands::check::run(args, &env).map_err(fail),
        Command::Status(args) => commands::status::run(args, &env).map_err(fail),
        Command::Digest { ports } => commands::digest::run(ports, &env).map_err(fail),
        Command::Schema { name } => Ok(commands::schema::run(*name)),
        Command::Init {
            dir,
            update_schemas,
        } => commands::init::run(dir.as_deref(), *update_schemas, &env).map_err(fail),
        Command::New(args) => commands::new::run(args, &env).map_err(fail),
        Command::Record(args) => commands::record::run(args, &env).map_err(fail),
        Command::Find(args) => commands::find::run(args, &env).map_err(fail),
        Command::Secret { command } => commands::secret::run(command, &env).map_err(fail),
        Command::Completions { shell } => Ok(commands::completions::run(*shell)),
        Command::History { port, format } => {
            commands::history::run(port, *format, &env).map_err(fail)
        }
        Command::Report { format } => commands::report::run(*format, &env).map_err(fail),
        Command::Summary { base, loa_link } => {
            commands::summary::run(base, loa_link.as_deref(), &env).map_err(fail)
        }
        Command::Render(args) => commands::render::run(args, &env).map_err(fail),
        Command::Notify(args) => commands::notify::run(args, &env).map_err(fail),
        Command::Site(args) => commands::site::run(args, &env).map_err(fail),
    };
    store::wait_for_writes();
    result.unwrap_or_else(|err| {
        // In CI the runner shows workflow commands as annotations: a check that could not
        // run says so there too, not only in the log.
        let stdout = match &cli.command {
            Command::Check(args) if args.format == cli::Format::Github => format!(
                "::error title={}::{}\n",
                report::github::escape_property("portflow check failed"),
                report::github::escape_data(&err)
            ),
            _ => String::new(),
        };
        Output {
            stdout,
            stderr: format!("error: {err}\n"),
            exit: Exit::Failure,
        }
    })
}
