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
pub mod record;
pub mod render;
pub mod report;
pub mod schema;
pub mod secret;
pub mod status;
pub mod summary;
