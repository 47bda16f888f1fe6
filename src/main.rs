//! The `portflow` binary: parse arguments, run, print, exit.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// A desk-sized run allocates and frees millions of small strings and maps: mimalloc does
/// that in a fraction of the time of the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// mimalloc's option of how long freed memory is kept before it is handed back to the system,
// by its number in `mi_option_e` (mimalloc.h; the same in v2 and v3).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;
/// Milliseconds (mimalloc's default is 10): a warm check at desk scale then peaks about 20%
/// lower, while memory freed and taken again at once is not handed back in between (0
/// made a warm `history` a third slower).
const PURGE_DELAY_MS: std::ffi::c_long = 3;
/// For the commands that read a desk's history (`status`, `report`, `history`), whose
/// memory target is 300 MB rather than `check`'s 100 MB: a warm `status` at desk scale
/// (about a third of a second) frees and takes again memory all through, and handing it
/// back after 30 ms and faulting it in again cost it about 45 ms of its 0.38 s. 250 ms
/// saves that (1000 ms no more); a cold `status` then peaks at 260–280 MB rather than
/// 230–250 MB.
const HISTORY_PURGE_DELAY_MS: std::ffi::c_long = 250;

unsafe extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

fn tune_allocator() {
    use portflow::cli::{Cli, Command};
    let reads_history = clap::Parser::try_parse_from(std::env::args_os()).is_ok_and(|cli: Cli| {
        matches!(
            cli.command,
            Command::Status(_) | Command::Report { .. } | Command::History { .. }
        )
    });
    let delay = if reads_history {
        HISTORY_PURGE_DELAY_MS
    } else {
        PURGE_DELAY_MS
    };
    // SAFETY: setting an option is allowed at any time; this one only changes when mimalloc
    // returns memory to the system.
    unsafe {
        mi_option_set(MI_OPTION_PURGE_DELAY, delay);
    }
    // mimalloc asks for transparent huge pages, which make every touched 2 MB of its
    // arenas resident; its option that turns that off is read before `main`, so the
    // process turns them off instead.
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes no pointers; a failure only keeps the default.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// How much of git's pack files libgit2 keeps mapped at once, in windows of what size:
/// its defaults (8 GiB in 1 GiB windows) leave every page of a desk's packs that a long
/// history scan touches resident, over 100 MB at desk scale. 32 MB in 8 MB windows holds
/// a cold `status` about 30 MB below 64 MB in 16 MB windows, at the same speed; 16 MB
/// in 4 MB windows saves no more and is slower.
const GIT_MAPPED_LIMIT: usize = 32 << 20;
const GIT_WINDOW_SIZE: usize = 8 << 20;

fn tune_git() {
    // SAFETY: set before any thread is started, as libgit2 requires of its globals.
    unsafe {
        let _ = git2::opts::set_mwindow_mapped_limit(GIT_MAPPED_LIMIT);
        let _ = git2::opts::set_mwindow_size(GIT_WINDOW_SIZE);
        // A history scan reads each commit and tree once: libgit2's object cache of them
        // grew a cold run by about 45 MB (per repository handle) for no speed.
        git2::opts::enable_caching(false);
    }
}

fn main() -> ExitCode {
    tune_allocator();
    tune_git();
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
    let mut stdout = std::io::stdout();
    let _ = stdout.write_all(output.stdout.as_bytes());
    let _ = stdout.flush();
    let mut stderr = std::io::stderr();
    let _ = stderr.write_all(output.stderr.as_bytes());
    let _ = stderr.flush();
    end(output.exit as u8)
}

/// Ends the process with `code` once its output is written (the caches are written before
/// `run` returns). Without the handlers run at exit: mimalloc's hands a desk-sized run's
/// memory back to the system page by page (about 10 ms), which the system takes back whole
/// when the process ends.
fn end(code: u8) -> ExitCode {
    #[cfg(unix)]
    // SAFETY: `_exit` ends the process; nothing is left to run that the output needs (it
    // is flushed above, and no thread holds a write portflow waits for).
    unsafe {
        libc::_exit(i32::from(code));
    }
    #[cfg(not(unix))]
    ExitCode::from(code)
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
