//! `portflow completions <shell>`: the shell completion script for the whole command line.

use clap::CommandFactory;

use crate::cli::Cli;
use crate::{Exit, Output};

/// Runs `portflow completions <shell>`.
pub fn run(shell: clap_complete::Shell) -> Output {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "portflow", &mut out);
    Output {
        stdout: String::from_utf8_lossy(&out).into_owned(),
        stderr: String::new(),
        exit: Exit::Clean,
    }
}
