//! The verdict cache under `.git/portflow/verdicts.bin`: what a check concluded about a
//! port that had no finding, so a rerun reads only the ports whose verdict may differ.
//!
//! A verdict is keyed by everything it was judged on: portflow's version, porting.toml's
//! bytes, the repo's schema copies, the date, the port's folder and its content (the git
//! tree id of the folder, known without reading it when git says the files are those of a
//! commit), and what the history says of its events (see [`crate::rules::Past::port_keys`]).
//! A key that differs in any of them is a different entry, so an entry can never be
//! stale; an unreadable, foreign or older-format file is ignored and replaced. Only ports
//! without findings are kept: a port with findings is read again, so its findings are
//! always shown with the file they are about. The rule across ports (a number in two open
//! ports) is not part of a verdict: it is judged on every run from each open port's
//! numbers, which the verdict keeps.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::About;
use crate::model::Date;
use crate::rules::PortReport;
use crate::rules::numbers::Holder;
use crate::store::{Store, hex, key_of};

/// Bumped whenever what is stored changes meaning.
const FORMAT: u32 = 2;

/// What a check concluded about a port without findings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verdict {
    /// Stage, digest and fold.
    pub report: PortReport,
    /// Its numbers, when it is open.
    pub holder: Option<Holder>,
    /// What the board and the analytics show of it.
    pub about: About,
    /// The TOML files read (request and events), relative to the port's folder.
    pub files: Vec<String>,
}

/// The verdicts of earlier runs, and those of this run to keep.
pub type Verdicts = Store<Verdict>;

/// The verdict cache of the git directory `git_dir`; the numbers' readings are remembered
/// beside it ([`crate::numbering::remember_in`]), to be saved with it.
pub fn load(git_dir: &Path) -> Verdicts {
    crate::numbering::remember_in(git_dir);
    Store::load(git_dir, "verdicts.bin", FORMAT)
}

/// Starts reading the verdict cache on a thread of its own, for a run that will [`load`] it
/// once it has listed the working tree.
pub fn read_ahead(git_dir: &Path) {
    Store::<Verdict>::read_ahead(git_dir, "verdicts.bin", FORMAT);
}

/// Saves the verdicts and the numbers' readings this run added, while the run goes on
/// ([`crate::store::write_later`]).
pub fn save(verdicts: Verdicts) {
    crate::store::write_later(move || {
        verdicts.save();
        crate::numbering::save_readings();
    });
}

/// The part of every key this run shares: the version, porting.toml, the schema copies
/// and the date.
pub fn context_key(policy: &[u8], schemas: &[Option<String>], today: Date) -> String {
    let mut hash = Sha256::new();
    hash.update(format!("portflow {} {FORMAT}\0", env!("CARGO_PKG_VERSION")));
    hash.update(policy.len().to_le_bytes());
    hash.update(policy);
    for copy in schemas {
        match copy {
            Some(text) => {
                hash.update([1]);
                hash.update(text.len().to_le_bytes());
                hash.update(text.as_bytes());
            }
            None => hash.update([0]),
        }
    }
    hash.update(today.to_string());
    hex(&hash.finalize())
}

/// The key of a port's verdict: the run's context, the folder, its content id and what
/// the history says of it.
pub fn port_key(context: &str, dir: &str, content: &str, history: &str) -> String {
    key_of(&[context, dir, content, history])
}
