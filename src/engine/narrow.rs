//! A tree narrowed to one port folder, with the policy and the schemas: what a command
//! about one port reads, so its cost does not grow with the desk.

use crate::repo::{Listing, PORTS_DIR, Probe, RepoError, Tree, is_year};

/// One port folder of a tree (and the files outside `ports/` that a check reads).
pub struct OnePort<'t> {
    inner: &'t dyn Tree,
    /// The port's repo-relative folder.
    pub dir: String,
}

impl<'t> OnePort<'t> {
    /// The port whose id or repo-relative folder is `wanted`, when the tree has it.
    pub fn find(inner: &'t dyn Tree, wanted: &str) -> Result<Option<OnePort<'t>>, RepoError> {
        let wanted = wanted.trim_end_matches('/');
        let listing = inner.files()?;
        let dir = listing.files.iter().find_map(|file| {
            let parts: Vec<&str> = file.split('/').collect();
            if parts.first() != Some(&PORTS_DIR) || parts.len() < 3 {
                return None;
            }
            let candidates = [
                Some(parts[..2].join("/")),
                (parts.len() >= 4 && is_year(parts[1])).then(|| parts[..3].join("/")),
            ];
            candidates.into_iter().flatten().find(|dir| {
                dir == wanted || dir.rsplit('/').next() == Some(wanted) && !is_year(wanted)
            })
        });
        Ok(dir.map(|dir| OnePort { inner, dir }))
    }

    fn holds(&self, path: &str) -> bool {
        path.strip_prefix(&self.dir)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }
}

impl Tree for OnePort<'_> {
    fn files(&self) -> Result<Listing, RepoError> {
        let mut listing = self.inner.files()?;
        let outside = |path: &str| !path.starts_with(&format!("{PORTS_DIR}/"));
        listing
            .files
            .retain(|path| outside(path) || self.holds(path));
        listing.skipped.retain(|s| self.holds(&s.path));
        listing.links.retain(|path| self.holds(path));
        Ok(listing)
    }

    fn read(&self, path: &str, cap: u64) -> Result<Vec<u8>, RepoError> {
        self.inner.read(path, cap)
    }

    fn probe(&self, port_dir: &str, rel: &str) -> Probe {
        self.inner.probe(port_dir, rel)
    }
}
