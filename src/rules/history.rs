//! The history rules: a change compared with its base. Merged events are never rewritten
//! (`history::rewritten`), a port's folder is never deleted (`history::port-deleted`), a
//! finished port never changes (`history::terminal-changed`) and the LOA a carrier is
//! processing never changes (`history::loa-changed`).

use std::collections::BTreeSet;

use super::{PortReport, stage_of};
use crate::diag::{Code, Finding};
use crate::loa::diff::loa_changes;
use crate::loa::digest::LoaData;
use crate::model::event::EventKind;
use crate::model::policy::Policy;
use crate::repo::{EventFile, Port, Repo};
use crate::source::Document;
use crate::stage::Stage;

/// The file contents on both sides of a change, as the history rules need them.
pub trait Contents {
    /// Whether the base file and the head file hold the same bytes.
    fn same(&self, base_path: &str, head_path: &str) -> bool;
    /// The bytes of a base file.
    fn base_bytes(&self, path: &str) -> Option<Vec<u8>>;
    /// The bytes of a head file.
    fn head_bytes(&self, path: &str) -> Option<Vec<u8>>;
}

/// One side of a change: the loaded repo and each port's stage.
#[derive(Clone, Copy)]
pub struct Side<'a> {
    /// The loaded repo.
    pub repo: &'a Repo,
    /// Stage and digest of every port.
    pub reports: &'a [PortReport],
}

/// The history findings of a change from `base` to `head`; `rev` is the base as the user
/// named it, for the help texts.
pub fn check(base: Side<'_>, head: Side<'_>, contents: &dyn Contents, rev: &str) -> Vec<Finding> {
    Compare {
        base,
        head,
        contents,
        rev,
    }
    .findings()
}

struct Compare<'a> {
    base: Side<'a>,
    head: Side<'a>,
    contents: &'a dyn Contents,
    rev: &'a str,
}

/// Every file of a port, relative to its folder.
fn port_files(port: &Port) -> BTreeSet<String> {
    let strip = |p: &str| {
        p.strip_prefix(&format!("{}/", port.dir))
            .unwrap_or(p)
            .to_owned()
    };
    let mut out = BTreeSet::new();
    out.insert("request.toml".to_owned());
    out.extend(port.events.iter().map(|e| strip(&e.path)));
    out.extend(port.files.iter().map(|f| strip(f)));
    out
}

/// The bytes without `#:schema` lines: a port moved to or from a year folder needs its
/// directives' `../` adjusted, and that alone is no edit.
fn without_directive(bytes: &[u8]) -> Vec<u8> {
    bytes
        .split_inclusive(|b| *b == b'\n')
        .filter(|line| {
            let text = String::from_utf8_lossy(line);
            !text
                .trim_start_matches('\u{feff}')
                .trim_start()
                .starts_with("#:schema")
        })
        .flatten()
        .copied()
        .collect()
}

impl Compare<'_> {
    /// Whether the base file and the head file hold the same bytes.
    fn same(&self, base_path: &str, head_path: &str) -> bool {
        self.contents.same(base_path, head_path)
    }

    /// Like [`Compare::same`]; when the port moved folders, its `#:schema` lines may differ.
    fn same_file(&self, base_path: &str, head_path: &str, moved: bool) -> bool {
        if self.same(base_path, head_path) {
            return true;
        }
        if !moved {
            return false;
        }
        match (
            self.contents.base_bytes(base_path),
            self.contents.head_bytes(head_path),
        ) {
            (Some(a), Some(b)) => without_directive(&a) == without_directive(&b),
            _ => false,
        }
    }

    fn findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        let policy = self
            .head
            .repo
            .policy
            .as_ref()
            .or(self.base.repo.policy.as_ref())
            .map(|p| &p.value);
        for bport in &self.base.repo.ports {
            let Some(hport) = self.head.repo.ports.iter().find(|p| p.id == bport.id) else {
                // A port the head did not read has the base's files: nothing to compare.
                let unread = |dir: &String| dir.rsplit('/').next() == Some(bport.id.as_str());
                if !self.head.repo.unread.iter().any(unread) {
                    out.push(self.port_deleted(bport));
                }
                continue;
            };
            let renumbered = self.events(bport, hport, &mut out);
            let stage = stage_of(self.base.reports, &bport.dir);
            if stage.is_terminal() {
                self.terminal(bport, hport, stage, &renumbered, &mut out);
            } else if matches!(stage, Stage::Submitted | Stage::Scheduled)
                && !rejection_added(bport, hport)
                && let Some(policy) = policy
            {
                self.loa(bport, hport, stage, policy, &mut out);
            }
        }
        out
    }

    fn port_deleted(&self, bport: &Port) -> Finding {
        Finding::new(
            Code::HistoryPortDeleted,
            bport.dir.clone(),
            0..0,
            format!(
                "port `{}` exists on the base (`{}`) but its folder is gone",
                bport.id, bport.dir
            ),
        )
        .help(format!(
            "a port's folder is its permanent record: restore it (`git checkout {} -- {}`); to stop the port, record a `cancelled` event. Moving it to or from a year folder (`ports/<year>/{}`) keeps it; renaming it does not",
            self.rev, bport.dir, bport.id
        ))
    }

    /// `history::rewritten`; returns the head names that are sanctioned renumberings.
    fn events(&self, bport: &Port, hport: &Port, out: &mut Vec<Finding>) -> BTreeSet<String> {
        let base_names: BTreeSet<&str> = bport.events.iter().map(|e| e.name.as_str()).collect();
        let head_paths: BTreeSet<&str> = hport.events.iter().map(|e| e.path.as_str()).collect();
        let mut renumbered = BTreeSet::new();
        for bev in &bport.events {
            let hpath = format!("{}/events/{}", hport.dir, bev.name);
            if self.same_file(&bev.path, &hpath, bport.dir != hport.dir) {
                continue;
            }
            let moved_to = hport
                .events
                .iter()
                .find(|h| !base_names.contains(h.name.as_str()) && self.same(&bev.path, &h.path));
            let restore = format!(
                "restore it from the base (`git checkout {} -- {}`); to correct a merged event, record a `void` event for it and then the correct event",
                self.rev, bev.path
            );
            let finding = match moved_to {
                Some(h) if sanctioned_renumbering(bport, bev, h) => {
                    renumbered.insert(h.name.clone());
                    continue;
                }
                Some(h) => Finding::new(
                    Code::HistoryRewritten,
                    h.path.clone(),
                    0..0,
                    format!(
                        "event `{}` was merged on the base and has been renamed to `{}`",
                        bev.name, h.name
                    ),
                )
                .help(format!(
                    "only an event whose number collided with another merged at the same time may be renumbered (to a higher, free number, byte for byte): rename it back to `{}`",
                    bev.name
                )),
                None if head_paths.contains(hpath.as_str()) => Finding::new(
                    Code::HistoryRewritten,
                    hpath.clone(),
                    match (
                        self.contents.base_bytes(&bev.path),
                        self.contents.head_bytes(&hpath),
                    ) {
                        (Some(base), Some(head)) => first_changed_line(&base, &head),
                        _ => 0..0,
                    },
                    format!(
                        "event `{}` was merged on the base and has been changed",
                        bev.name
                    ),
                )
                .label("merged events are never edited")
                .help(restore),
                None => Finding::new(
                    Code::HistoryRewritten,
                    hpath.clone(),
                    0..0,
                    format!(
                        "event `{}` was merged on the base and has been removed",
                        bev.name
                    ),
                )
                .help(restore),
            };
            out.push(finding);
        }
        renumbered
    }

    /// `history::terminal-changed`: nothing but a `void` event may change in a finished port.
    fn terminal(
        &self,
        bport: &Port,
        hport: &Port,
        stage: Stage,
        renumbered: &BTreeSet<String>,
        out: &mut Vec<Finding>,
    ) {
        let base_files = port_files(bport);
        let head_files = port_files(hport);
        let help = "a finished port never changes: revert this. To port more numbers or restart, create a new port; if the terminal event itself was recorded in error, the only change allowed is a `void` event for it (ask a reviewer)";
        let mut push = |rel: &str, what: &str| {
            out.push(
                Finding::new(
                    Code::HistoryTerminalChanged,
                    format!("{}/{rel}", hport.dir),
                    0..0,
                    format!(
                        "`{rel}` {what} port `{}`, which is {stage} on the base",
                        hport.id
                    ),
                )
                .help(help),
            );
        };
        for rel in &base_files {
            // Merged events are `history::rewritten`'s business.
            if rel.starts_with("events/") {
                continue;
            }
            let bpath = format!("{}/{rel}", bport.dir);
            let hpath = format!("{}/{rel}", hport.dir);
            if !head_files.contains(rel) {
                push(rel, "was removed from");
            } else if !self.same_file(&bpath, &hpath, bport.dir != hport.dir) {
                push(rel, "was changed in");
            }
        }
        for rel in head_files.difference(&base_files) {
            if let Some(name) = rel.strip_prefix("events/") {
                let kind = hport
                    .events
                    .iter()
                    .find(|e| e.name == name)
                    .and_then(|e| e.name_kind);
                if kind == Some(EventKind::Void) || renumbered.contains(name) {
                    continue;
                }
            }
            push(rel, "was added to");
        }
    }

    /// `history::loa-changed`: the LOA the carrier is processing may not change.
    fn loa(
        &self,
        bport: &Port,
        hport: &Port,
        stage: Stage,
        policy: &Policy,
        out: &mut Vec<Finding>,
    ) {
        let (Some(breq), Some(hreq)) = (&bport.request, &hport.request) else {
            return;
        };
        // One policy for both sides: a change to porting.toml is not an edit of this port.
        let before = LoaData::new(policy, &bport.id, &breq.value);
        let after = LoaData::new(policy, &hport.id, &hreq.value);
        out.extend(loa_changed(
            &before,
            &after,
            &hport.request_path(),
            &hreq.doc,
            &format!("while the port is {stage}"),
        ));
    }
}

/// `history::loa-changed` on a request whose LOA data differs from the data that was
/// submitted (`before`), at the first changed field and naming them all; `None` when the
/// data is the same. `when` completes "LOA data changed …".
pub fn loa_changed(
    before: &LoaData,
    after: &LoaData,
    request_path: &str,
    doc: &Document,
    when: &str,
) -> Option<Finding> {
    let changes = loa_changes(before, after);
    let first = changes.first()?;
    let fields: Vec<String> = changes
        .iter()
        .map(|c| format!("`{}`", c.field))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Some(
        Finding::new(
            Code::HistoryLoaChanged,
            request_path,
            doc.span(&first.pointer()),
            format!("LOA data changed {when}: {}", fields.join(", ")),
        )
        .label("changed after submission")
        .help("the carrier is processing the submitted LOA: revert the change. To correct the data, record the carrier's rejection first (or ask the carrier to reject), then edit, have the LOA signed again and resubmit"),
    )
}

/// The span, in `head`, of the first line that differs from `base` (without its newline).
fn first_changed_line(base: &[u8], head: &[u8]) -> std::ops::Range<usize> {
    let at = base
        .iter()
        .zip(head)
        .position(|(a, b)| a != b)
        .unwrap_or(base.len().min(head.len()));
    let start = head[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let end = head[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(head.len(), |i| at + i);
    start..end
}

/// Whether `bev` collided with another merged event and `h` renumbers it upwards, same kind.
fn sanctioned_renumbering(bport: &Port, bev: &EventFile, h: &EventFile) -> bool {
    let collided = bev.number.is_some()
        && bport
            .events
            .iter()
            .filter(|e| e.number == bev.number)
            .count()
            > 1;
    let upwards = matches!((bev.number, h.number), (Some(a), Some(b)) if b > a);
    collided && upwards && bev.name_kind.is_some() && h.name_kind == bev.name_kind
}

/// Whether the head adds a `rejected` event: the LOA may then be corrected in the same change.
fn rejection_added(bport: &Port, hport: &Port) -> bool {
    hport.events.iter().any(|h| {
        h.name_kind == Some(EventKind::Rejected)
            && h.loaded.is_some()
            && !bport.events.iter().any(|b| b.name == h.name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_changed_line_is_the_span() {
        let base = b"kind = \"scheduled\"\non = 2026-11-24\nfoc = 2026-12-03\n";
        let head = b"kind = \"scheduled\"\non = 2026-11-24\nfoc = 2026-12-04\n";
        let span = first_changed_line(base, head);
        assert_eq!(&head[span], b"foc = 2026-12-04");
        // A line added at the end.
        let longer = b"kind = \"scheduled\"\non = 2026-11-24\nfoc = 2026-12-03\nnote = \"x\"\n";
        let span = first_changed_line(base, longer);
        assert_eq!(&longer[span], b"note = \"x\"");
    }

    #[test]
    fn directive_lines_are_ignored_only_for_the_comparison() {
        let a = b"# note\n#:schema ../../../schemas/event.schema.json\nkind = \"void\"\n";
        let b = b"# note\n#:schema ../../../../schemas/event.schema.json\nkind = \"void\"\n";
        assert_eq!(without_directive(a), without_directive(b));
        assert_ne!(
            without_directive(a),
            without_directive(b"kind = \"void\"\n# x\n")
        );
    }
}
