//! Command-line interface: commands, options and their help.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::model::Date;

/// Phone-number port-ins kept as files in a git repo: validate, render and track them.
#[derive(Debug, Parser)]
#[command(name = "portflow", version, about, long_about = None)]
pub struct Cli {
    /// Run as if started in DIR (the repo root is the nearest folder above holding porting.toml).
    #[arg(short = 'C', long = "directory", value_name = "DIR", global = true)]
    pub directory: Option<PathBuf>,

    /// Today's date for rules that need it (YYYY-MM-DD), so results are reproducible.
    #[arg(long, value_name = "YYYY-MM-DD", global = true)]
    pub today: Option<Date>,

    /// When to use colour in human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Colour in human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless NO_COLOR is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// portflow's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the ports repo (or the given ports and files) and report every finding.
    ///
    /// Exit status: 0 clean (warnings allowed), 1 findings, 2 could not run.
    ///
    /// Example: `portflow check ports/2026-11-lakeside-dental --format json`
    Check(CheckArgs),
    /// Every port: stage, country, numbers, next action and findings.
    ///
    /// Example: `portflow status --format json`
    Status {
        /// Output format.
        #[arg(long, value_enum, default_value_t = StatusFormat::Table)]
        format: StatusFormat,
    },
    /// Print the current LOA digest of each port (`<port> sha256:<hex>`), as a `signed` event records it.
    ///
    /// Example: `portflow digest 2026-11-lakeside-dental`
    Digest {
        /// Port ids (all ports when none).
        ports: Vec<String>,
    },
    /// Print a built-in JSON Schema (the authoritative copy; refresh `schemas/` from it).
    ///
    /// Example: `portflow schema request > schemas/request.schema.json`
    Schema {
        /// Which schema.
        #[arg(value_enum)]
        name: SchemaName,
    },
}

/// Options of `portflow check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Ports (folders) or files to report on; the whole repo is read either way.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Exit 1 on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
}

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// miette's graphical report.
    Human,
    /// One JSON document.
    Json,
}

/// Output formats of `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    /// An aligned text table.
    Table,
    /// One JSON document.
    Json,
}

/// The built-in schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaName {
    /// request.schema.json
    Request,
    /// event.schema.json
    Event,
    /// porting.schema.json
    Porting,
}
