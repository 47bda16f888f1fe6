//! The interactive terminal: progress lines, questions and hidden input. Commands that talk
//! to a person while they run come here, so the terminal stays in report/ and main.rs.

use std::io::{self, BufRead, IsTerminal, Read, Write};

/// Progress on a terminal only: `[3/11] 2026-11-lakeside-dental`, overwritten in place.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    enabled: bool,
    total: usize,
}

impl Progress {
    /// Progress over `total` items, shown only when standard error is a terminal and
    /// `wanted` (the caller's own conditions, e.g. standard output is a terminal too).
    pub fn new(total: usize, wanted: bool) -> Progress {
        Progress {
            enabled: wanted && io::stderr().is_terminal(),
            total,
        }
    }

    /// Shows the item at `index` (0-based).
    pub fn step(&self, index: usize, label: &str) {
        if self.enabled {
            let mut err = io::stderr();
            let _ = write!(err, "\r\x1b[2K[{}/{}] {label}", index + 1, self.total);
            let _ = err.flush();
        }
    }

    /// Clears the progress line.
    pub fn finish(&self) {
        if self.enabled {
            let mut err = io::stderr();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

/// When standard input is a terminal, lets `ask` put questions on standard error and read
/// the answers from standard input; returns `None` (asking nothing) otherwise, so scripts
/// never hang on a prompt.
pub fn ask<T>(ask: impl FnOnce(&mut dyn BufRead, &mut dyn Write) -> T) -> Option<T> {
    let stdin = io::stdin();
    if !stdin.is_terminal() {
        return None;
    }
    let mut input = stdin.lock();
    let mut prompt = io::stderr();
    Some(ask(&mut input, &mut prompt))
}

/// Reads a secret: from a terminal without echo (the prompt goes to the terminal itself),
/// or all of piped standard input, at most `max` bytes plus one (so the caller can tell an
/// over-long input). The caller owns and wipes the bytes.
pub fn read_hidden(prompt: &str, max: u64) -> io::Result<Vec<u8>> {
    let stdin = io::stdin();
    if stdin.is_terminal() {
        return rpassword::prompt_password(prompt).map(String::into_bytes);
    }
    let mut bytes = Vec::new();
    stdin.lock().take(max + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}
