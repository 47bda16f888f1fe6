//! portflow: phone-number port-ins kept as files in a git repo.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod atomic;
pub mod check;
pub mod cli;
pub mod diag;
pub mod find;
pub mod history;
pub mod init;
pub mod loa;
pub mod model;
pub mod notice;
pub mod record;
pub mod render;
pub mod repo;
pub mod report;
pub mod rules;
pub mod scaffold;
pub mod schema;
pub mod secret;
pub mod source;
pub mod stage;

use std::ffi::OsString;
use std::path::PathBuf;

use clap::Parser;

use cli::{Cli, ColorChoice, Command, SchemaName};
use schema::SchemaKind;

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
        // NO_COLOR is the user's standing wish and wins over everything.
        let color = !self.no_color
            && match self.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => self.stdout_is_terminal,
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
    let result: Result<Output, miette::Report> = match &cli.command {
        Command::Check(args) => check::run(args, &env).map_err(|e| miette::miette!("{e}")),
        Command::Status { format } => {
            check::status(*format, &env).map_err(|e| miette::miette!("{e}"))
        }
        Command::Digest { ports } => check::digest(ports, &env).map_err(|e| miette::miette!("{e}")),
        Command::Schema { name } => {
            let kind = match name {
                SchemaName::Request => SchemaKind::Request,
                SchemaName::Event => SchemaKind::Event,
                SchemaName::Porting => SchemaKind::Porting,
            };
            Ok(Output {
                stdout: kind.text().to_owned(),
                stderr: String::new(),
                exit: Exit::Clean,
            })
        }
        Command::Init {
            dir,
            update_schemas,
        } => init::run(dir.as_deref(), *update_schemas, &env).map_err(|e| miette::miette!("{e}")),
        Command::New(args) => scaffold::run(args, &env).map_err(|e| miette::miette!("{e}")),
        Command::Record(args) => record::run(args, &env).map_err(|e| miette::miette!("{e}")),
        Command::Find(args) => find::run(args, &env).map_err(|e| miette::miette!("{e}")),
        Command::Secret { command } => {
            secret::run(command, &env).map_err(|e| miette::miette!("{e}"))
        }
        Command::Completions { shell } => Ok(Output {
            stdout: cli::completions(*shell),
            stderr: String::new(),
            exit: Exit::Clean,
        }),
        Command::History { port, format } => {
            history::run_history(port, *format, &env).map_err(|e| miette::miette!("{e}"))
        }
        Command::Report { format } => {
            history::run_report(*format, &env).map_err(|e| miette::miette!("{e}"))
        }
        Command::Summary { base } => {
            history::run_summary(base, &env).map_err(|e| miette::miette!("{e}"))
        }
        Command::Render(args) => render::run(args, &env).map_err(|e| miette::miette!("{e}")),
    };
    result.unwrap_or_else(|err| Output {
        stdout: String::new(),
        stderr: format!("error: {err}\n"),
        exit: Exit::Failure,
    })
}
