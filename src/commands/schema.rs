//! `portflow schema`: print one of the bundled JSON Schemas.

use crate::cli::SchemaName;
use crate::schema::SchemaKind;
use crate::{Exit, Output};

/// Runs `portflow schema <name>`.
pub fn run(name: SchemaName) -> Output {
    let kind = match name {
        SchemaName::Request => SchemaKind::Request,
        SchemaName::Event => SchemaKind::Event,
        SchemaName::Porting => SchemaKind::Porting,
    };
    Output {
        stdout: kind.text().to_owned(),
        stderr: String::new(),
        exit: Exit::Clean,
    }
}
