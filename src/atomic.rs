//! Atomic file writes that never clobber: one temp-file scheme for every command that writes,
//! and the clean-up of temp files an interrupted run left behind.
//!
//! A temp file is named `.portflow-tmp.<pid>.<n>.<name>` in the target's folder (a rename is
//! only atomic within one file system). The prefix is ignored by the `.gitignore` that
//! `portflow init` writes, and a later write into the same folder removes the leftovers of
//! processes that no longer run.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// How every portflow temp file name starts.
pub const TEMP_PREFIX: &str = ".portflow-tmp.";

/// Counts temp files made by this process, so two writes never share a temp name.
static TEMP_COUNTER: AtomicU32 = AtomicU32::new(0);

/// Permissions for files holding a decrypted secret: the owner only.
pub const PRIVATE: u32 = 0o600;

/// Writes `bytes` to `path`, which must not exist yet: into a temp file in the same folder,
/// synced, then linked into place. Readers never see half a file and nothing is overwritten
/// (`AlreadyExists` when `path` exists). `mode` sets the permissions on Unix.
pub fn write_new(path: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<()> {
    let tmp = write_temp(path, bytes, mode)?;
    // A hard link fails when the target exists, unlike a rename, which would replace it.
    let placed = match std::fs::hard_link(&tmp, path) {
        Err(err) if err.kind() != io::ErrorKind::AlreadyExists => {
            // A file system without hard links: rename, after making sure nothing is there.
            if std::fs::symlink_metadata(path).is_ok() {
                Err(io::Error::from(io::ErrorKind::AlreadyExists))
            } else {
                return std::fs::rename(&tmp, path).inspect_err(|_| {
                    let _ = std::fs::remove_file(&tmp);
                });
            }
        }
        other => other,
    };
    let _ = std::fs::remove_file(&tmp);
    placed
}

/// Replaces `path` atomically with `bytes` (a temp file renamed over it). The caller has
/// decided the replacement is wanted; `mode` sets the permissions on Unix.
pub fn replace(path: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<()> {
    rename_into(path, write_temp(path, bytes, mode)?)
}

/// [`replace`] without waiting for the disk: for files a reader can tell are whole (a
/// crash may leave a torn or empty file), such as the caches, which are only a speed-up.
pub fn replace_unsynced(path: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<()> {
    rename_into(path, write_temp_as(path, bytes, mode, false)?)
}

/// Renames the temp file `tmp` over `path`; removes it when that fails.
fn rename_into(path: &Path, tmp: PathBuf) -> io::Result<()> {
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// A synced temp file beside `path` holding `bytes`, for a caller that checks something
/// before renaming it into place (and removes it when it does not).
pub fn write_temp(path: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<PathBuf> {
    write_temp_as(path, bytes, mode, true)
}

/// A temp file beside `path` holding `bytes`, synced to disk when `sync` says so.
fn write_temp_as(path: &Path, bytes: &[u8], mode: Option<u32>, sync: bool) -> io::Result<PathBuf> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    sweep(dir);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (tmp, mut file) = loop {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!("{TEMP_PREFIX}{}.{n}.{name}", std::process::id()));
        match create_new(&tmp, mode) {
            Ok(file) => break (tmp, file),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(err) => return Err(err),
        }
    };
    let written = file
        .write_all(bytes)
        .and_then(|()| if sync { file.sync_all() } else { Ok(()) });
    drop(file);
    if let Err(err) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(err);
    }
    Ok(tmp)
}

#[cfg(unix)]
fn create_new(path: &Path, mode: Option<u32>) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    if let Some(mode) = mode {
        options.mode(mode);
    }
    options.open(path)
}

#[cfg(not(unix))]
fn create_new(path: &Path, _mode: Option<u32>) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// Removes the temp files in `dir` left by portflow processes that no longer run (a write
/// killed between creating its temp file and moving it into place). Only regular files
/// with portflow's temp prefix are touched; errors are ignored, the write goes on.
pub fn sweep(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temp_owner) else {
            continue;
        };
        if pid == std::process::id() || process_runs(pid) {
            continue;
        }
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The process id in a portflow temp file name (`.portflow-tmp.<pid>.<n>.<name>`).
pub fn temp_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(TEMP_PREFIX)?;
    let (pid, rest) = rest.split_once('.')?;
    let (n, _) = rest.split_once('.')?;
    n.parse::<u32>().ok()?;
    pid.parse().ok()
}

/// Whether a process with this id exists (it may be another user's).
#[cfg(unix)]
fn process_runs(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill with signal 0 sends nothing; it only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn process_runs(_pid: u32) -> bool {
    // Without a cheap liveness check, leave every temp file alone.
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_new_never_replaces() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.txt");
        write_new(&path, b"first", None).expect("write");
        let err = write_new(&path, b"second", None).expect_err("exists");
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).expect("read"), b"first");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec!["a.txt"], "no temp file is left behind");
    }

    #[test]
    fn temp_names_carry_their_owner() {
        assert_eq!(temp_owner(".portflow-tmp.4242.0.loa.pdf"), Some(4242));
        assert_eq!(temp_owner(".portflow-tmp.x.0.loa.pdf"), None);
        assert_eq!(temp_owner("loa.pdf"), None);
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("copy.pdf");
        write_new(&path, b"x", Some(PRIVATE)).expect("write");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
