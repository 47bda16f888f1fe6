//! A tree narrowed to one port folder, with the policy and the schemas: what a command
//! about one port reads, so its cost does not grow with the desk.

use std::borrow::Cow;

use crate::repo::{Listing, PORTS_DIR, Probe, RepoError, Tree, WorkTree, is_year, is_year_folder};

/// One port folder of a tree (and the files outside `ports/` that a check reads).
pub struct OnePort<'t> {
    inner: &'t dyn Tree,
    /// The port's repo-relative folder.
    pub dir: String,
    listing: Listing,
}

impl<'t> OnePort<'t> {
    /// The port whose id or repo-relative folder is `wanted`, when the working tree has
    /// it; only that folder is walked on disk.
    pub fn in_work_tree(
        tree: &'t WorkTree,
        wanted: &str,
    ) -> Result<Option<OnePort<'t>>, RepoError> {
        let wanted = wanted.trim_end_matches('/');
        // A folder under ports/, never a way out of it.
        let plain = |c: &str| !c.is_empty() && !c.starts_with('.') && !c.contains('\\');
        if !wanted.split('/').all(plain) || wanted.split('/').count() > 3 {
            return Ok(None);
        }
        let is_dir =
            |rel: &str| std::fs::symlink_metadata(tree.root.join(rel)).is_ok_and(|m| m.is_dir());
        let has_request =
            |rel: &str| std::fs::symlink_metadata(tree.root.join(rel).join("request.toml")).is_ok();
        let mut dir = None;
        if wanted.starts_with(&format!("{PORTS_DIR}/")) {
            dir = Some(wanted.to_owned()).filter(|d| is_dir(d));
        } else if !wanted.contains('/') {
            let flat = format!("{PORTS_DIR}/{wanted}");
            if is_dir(&flat) && !is_year_folder(wanted, has_request(&flat)) {
                dir = Some(flat);
            } else if let Ok(entries) = std::fs::read_dir(tree.root.join(PORTS_DIR)) {
                let mut years: Vec<String> = entries
                    .filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .filter(|name| is_year(name))
                    .collect();
                years.sort();
                dir = years
                    .into_iter()
                    .map(|year| format!("{PORTS_DIR}/{year}/{wanted}"))
                    .find(|d| is_dir(d));
            }
        }
        let Some(dir) = dir else {
            return Ok(None);
        };
        let mut listing = tree.files_under(&dir)?;
        narrow(&mut listing, &dir);
        Ok(Some(OnePort {
            inner: tree,
            dir,
            listing,
        }))
    }
}

/// Whether `path` is the folder `dir` or inside it.
fn holds(dir: &str, path: &str) -> bool {
    path.strip_prefix(dir)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Keeps the files outside `ports/` and those of the folder `dir`.
fn narrow(listing: &mut Listing, dir: &str) {
    let outside = |path: &str| !path.starts_with(&format!("{PORTS_DIR}/"));
    listing
        .files
        .retain(|path| outside(path) || holds(dir, path));
    listing.skipped.retain(|s| holds(dir, &s.path));
    listing.links.retain(|path| holds(dir, path));
}

impl Tree for OnePort<'_> {
    fn files(&self) -> Result<Cow<'_, Listing>, RepoError> {
        Ok(Cow::Borrowed(&self.listing))
    }

    fn read(&self, path: &str, cap: u64) -> Result<Vec<u8>, RepoError> {
        self.inner.read(path, cap)
    }

    fn probe(&self, port_dir: &str, rel: &str) -> Probe {
        self.inner.probe(port_dir, rel)
    }
}
