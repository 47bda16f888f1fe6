//! One file per subcommand: the only code that sees the command line's types, the
//! [`Environment`](crate::Environment) and the [`Output`](crate::Output) of a run. Each
//! `run` loads what it needs through the engine and git layers and hands the result to a
//! report.

pub mod check;
pub mod completions;
pub mod digest;
pub mod find;
pub mod history;
pub mod init;
pub mod new;
pub mod notify;
pub mod record;
pub mod render;
pub mod report;
pub mod schema;
pub mod secret;
pub mod site;
pub mod status;
pub mod summary;

use crate::git::GitError;
use crate::repo::RepoError;

/// Failures of the commands that read the repo (and git) to report on it: `status`,
/// `digest`, `history`, `report` and `summary`. Findings are their output, not failures.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The repo could not be read.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// Git could not be read.
    #[error(transparent)]
    Git(#[from] GitError),
    /// A port id or folder that the repo does not have.
    #[error("no port `{0}` in this repo (see `portflow status`)")]
    UnknownPort(String),
    /// porting.toml does not parse or fails its schema, so no port can be judged.
    #[error(
        "porting.toml does not pass its checks, so no port's stage can be judged: run `portflow check porting.toml` and fix it first"
    )]
    PolicyInvalid,
}
