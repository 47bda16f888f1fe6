//! The `portflow` binary: parse arguments, run, print, exit.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// A desk-sized run allocates and frees millions of small strings and maps: mimalloc does
/// that in a fraction of the time of the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let env = portflow::Environment {
        cwd: std::env::current_dir().unwrap_or_else(|_| ".".into()),
        stdout_is_terminal: std::io::stdout().is_terminal(),
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        width: terminal_width(),
        color: portflow::cli::ColorChoice::Auto,
        today: system_today(),
    };
    let output = portflow::run(std::env::args_os(), &env);
    // A closed pipe (`portflow check | head`) is not an error worth reporting.
    let _ = std::io::stdout().write_all(output.stdout.as_bytes());
    let _ = std::io::stderr().write_all(output.stderr.as_bytes());
    ExitCode::from(output.exit as u8)
}

/// The width to wrap human output at: `COLUMNS` when set, else the terminal's.
fn terminal_width() -> Option<usize> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
}

/// Today's UTC date from the system clock: the only place portflow reads the clock.
fn system_today() -> portflow::model::Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    portflow::model::Date::from_days((secs / 86_400) as i64).unwrap_or_default()
}
