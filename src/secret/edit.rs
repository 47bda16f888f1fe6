//! Editing request.toml text in place: a value is spliced in at the span toml_edit reports,
//! so every byte outside it stays as it was (comments, key order, CRLF line endings), and
//! the edit is verified by parsing the result before it replaces the file.

use std::io;
use std::ops::Range;
use std::path::Path;

use toml_edit::{Item, Table, Value};

use super::{SecretError, Slot, is_age_armored};
use crate::model::Date;

/// The line ending the file uses (CRLF when its first line ends with one).
pub fn newline_of(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if text[..i].ends_with('\r') => "\r\n",
        _ => "\n",
    }
}

/// An armored value as a TOML multi-line basic string, with the file's line endings.
pub fn armored_literal(armored: &str, nl: &str) -> String {
    // Armor is base64, `-` and spaces: nothing a basic string must escape.
    let body = armored.lines().collect::<Vec<_>>().join(nl);
    format!("\"\"\"{body}\"\"\"")
}

/// A key as written in TOML: bare when it can be.
fn toml_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        key.to_owned()
    } else {
        toml_edit::Key::new(key).to_string()
    }
}

/// The byte offset just past the line that contains `pos` (or the end of the text).
fn after_line(text: &str, pos: usize) -> usize {
    text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1)
}

/// The start of the line that contains `pos`.
fn line_start(text: &str, pos: usize) -> usize {
    text[..pos].rfind('\n').map_or(0, |i| i + 1)
}

/// The largest end of any value span in a table (dotted sub-tables included).
fn last_value_end(table: &Table) -> Option<usize> {
    table
        .iter()
        .filter_map(|(_, item)| match item {
            Item::Value(v) => v.span().map(|s| s.end),
            Item::Table(t) if t.is_dotted() => last_value_end(t),
            _ => None,
        })
        .max()
}

/// Every value span end in the document, to keep insertions out of multi-line strings.
fn value_ends(table: &Table, out: &mut Vec<usize>) {
    for (_, item) in table.iter() {
        match item {
            Item::Value(v) => out.extend(v.span().map(|s| s.end)),
            Item::Table(t) => value_ends(t, out),
            Item::ArrayOfTables(a) => a.iter().for_each(|t| value_ends(t, out)),
            Item::None => {}
        }
    }
}

/// Where a new table goes: before the first array of tables at the root (`[[numbers]]`), with
/// the comment lines just above it, or at the end of the file.
fn new_table_offset(text: &str, root: &Table, before_headers: &[usize]) -> Option<usize> {
    let header = before_headers.iter().copied().min()?;
    let mut ends = Vec::new();
    value_ends(root, &mut ends);
    let floor = ends.into_iter().filter(|&e| e <= header).max().unwrap_or(0);
    let mut at = line_start(text, header);
    while at > floor {
        let prev = line_start(text, at - 1);
        if prev < floor || !text[prev..at].trim_start().starts_with('#') {
            break;
        }
        at = prev;
    }
    Some(at)
}

/// Header offsets of every root-level array of tables.
fn array_headers(root: &Table) -> Vec<usize> {
    root.iter()
        .filter_map(|(_, item)| item.as_array_of_tables())
        .flat_map(|a| a.iter().filter_map(|t| t.span().map(|s| s.start)))
        .collect()
}

/// Header offsets of the sub-tables of an implicit table (`[end_user.service_address]`).
fn sub_headers(table: &Table, out: &mut Vec<usize>) {
    for (_, item) in table.iter() {
        match item {
            Item::Table(t) => {
                out.extend(t.span().filter(|_| !t.is_dotted()).map(|s| s.start));
                sub_headers(t, out);
            }
            Item::ArrayOfTables(a) => {
                out.extend(a.iter().filter_map(|t| t.span().map(|s| s.start)))
            }
            _ => {}
        }
    }
}

/// Splices `key = raw` into `table`, replacing the existing value or adding the key (after
/// `after` when that key exists, else after the table's last value), creating the table
/// when it is missing.
fn splice(
    text: &str,
    rel: &str,
    table_name: &str,
    key: &str,
    raw: &str,
    after: Option<&str>,
    nl: &str,
) -> Result<String, SecretError> {
    let doc = toml_edit::Document::parse(text).map_err(|_| SecretError::NotToml(rel.to_owned()))?;
    let root = doc.as_table();
    let layout = |why: String| SecretError::Layout {
        path: rel.to_owned(),
        slot: format!("{table_name}.{key}"),
        why,
    };
    let line = format!("{} = {raw}", toml_key(key));
    let (range, insert): (Range<usize>, String) = match root.get(table_name) {
        Some(Item::Table(t)) => {
            if let Some(item) = t.get(key) {
                let span = item.as_value().and_then(Value::span).ok_or_else(|| {
                    layout(format!("`{table_name}.{key}` is a table, not a value"))
                })?;
                (span, raw.to_owned())
            } else if t.is_dotted() {
                return Err(layout(format!(
                    "`{table_name}` is written with dotted keys; write it as a `[{table_name}]` table first"
                )));
            } else if let Some(header) = t.span().filter(|_| !t.is_implicit()) {
                let anchor = after
                    .and_then(|a| t.get(a))
                    .and_then(Item::as_value)
                    .and_then(Value::span)
                    .map(|s| s.end)
                    .or_else(|| last_value_end(t))
                    .unwrap_or(header.end);
                let at = after_line(text, anchor);
                let lead = if text[..at].ends_with('\n') || at == 0 {
                    ""
                } else {
                    nl
                };
                (at..at, format!("{lead}{line}{nl}"))
            } else {
                // Only sub-tables define it (`[end_user.service_address]`): add its header above them.
                let mut headers = Vec::new();
                sub_headers(t, &mut headers);
                let at = new_table_offset(text, root, &headers)
                    .ok_or_else(|| layout(format!("`{table_name}` has no place to add a key")))?;
                (at..at, format!("[{table_name}]{nl}{line}{nl}{nl}"))
            }
        }
        Some(Item::Value(Value::InlineTable(t))) => match t.get(key).and_then(Value::span) {
            Some(span) => (span, raw.to_owned()),
            None => {
                return Err(layout(format!(
                    "`{table_name}` is an inline table; write it as a `[{table_name}]` table first"
                )));
            }
        },
        Some(_) => return Err(layout(format!("`{table_name}` is not a table"))),
        None => match new_table_offset(text, root, &array_headers(root)) {
            Some(at) => (at..at, format!("[{table_name}]{nl}{line}{nl}{nl}")),
            None => {
                let lead = match () {
                    _ if text.is_empty() => String::new(),
                    _ if text.ends_with(&format!("{nl}{nl}")) => String::new(),
                    _ if text.ends_with('\n') => nl.to_owned(),
                    _ => format!("{nl}{nl}"),
                };
                (
                    text.len()..text.len(),
                    format!("{lead}[{table_name}]{nl}{line}{nl}"),
                )
            }
        },
    };
    let mut out = String::with_capacity(text.len() + insert.len());
    out.push_str(&text[..range.start]);
    out.push_str(&insert);
    out.push_str(&text[range.end..]);
    Ok(out)
}

/// Writes a secret's armored literal into its slot.
pub fn set_value(
    text: &str,
    rel: &str,
    slot: &Slot,
    raw: &str,
    nl: &str,
) -> Result<String, SecretError> {
    // A new PIN goes where the spec puts it: right after the account number.
    let after = match slot {
        Slot::Pin => Some("account_number"),
        Slot::Requirement(_) => None,
    };
    splice(text, rel, slot.table(), slot.key(), raw, after, nl)
}

/// Writes the date beside a slot's value (`pin_obtained_on`, `pac_code_obtained_on`), keeping
/// a quoted date quoted.
pub fn set_obtained_on(
    text: &str,
    rel: &str,
    slot: &Slot,
    date: Date,
    nl: &str,
) -> Result<String, SecretError> {
    let doc = toml_edit::Document::parse(text).map_err(|_| SecretError::NotToml(rel.to_owned()))?;
    let key = slot.obtained_on_key();
    let quoted = doc
        .get(slot.table())
        .and_then(|t| t.get(&key))
        .is_some_and(|v| v.is_str());
    let raw = if quoted {
        format!("\"{date}\"")
    } else {
        date.to_string()
    };
    splice(text, rel, slot.table(), &key, &raw, Some(slot.key()), nl)
}

/// Removes `table.key` from a parsed file, and the table too when that leaves it empty and
/// `drop_empty` is set.
fn without(doc: &mut toml::Table, table: &str, key: &str, drop_empty: bool) {
    if let Some(t) = doc.get_mut(table).and_then(|t| t.as_table_mut()) {
        t.remove(key);
        if drop_empty && t.is_empty() {
            doc.remove(table);
        }
    }
}

/// Checks that an edit changed exactly the intended values: both files parse, and apart from
/// those values they hold the same data.
fn verify(
    old: &str,
    new: &str,
    rel: &str,
    changed: &[(&str, &str)],
) -> Result<toml::Table, SecretError> {
    let unsafe_edit = || SecretError::UnsafeEdit(rel.to_owned());
    let mut before: toml::Table = toml::from_str(old).map_err(|_| unsafe_edit())?;
    let after: toml::Table = toml::from_str(new).map_err(|_| unsafe_edit())?;
    let mut rest = after.clone();
    for (table, key) in changed {
        let had_table = before.contains_key(*table);
        without(&mut before, table, key, false);
        without(&mut rest, table, key, !had_table);
    }
    if before != rest {
        return Err(unsafe_edit());
    }
    Ok(after)
}

/// `verify` for `set`: the slot now holds an age value (and its `_obtained_on` key a date).
pub fn verify_edit(
    old: &str,
    new: &str,
    rel: &str,
    slot: &Slot,
    dated: bool,
) -> Result<(), SecretError> {
    let dated_key = slot.obtained_on_key();
    let mut changed = vec![(slot.table(), slot.key())];
    if dated {
        changed.push((slot.table(), &dated_key));
    }
    let after = verify(old, new, rel, &changed)?;
    if !holds_age(&after, slot) {
        return Err(SecretError::UnsafeEdit(rel.to_owned()));
    }
    Ok(())
}

/// Whether the slot of a parsed request holds an age-encrypted value.
fn holds_age(request: &toml::Table, slot: &Slot) -> bool {
    request
        .get(slot.table())
        .and_then(|t| t.get(slot.key()))
        .and_then(|v| v.as_str())
        .is_some_and(is_age_armored)
}

/// `verify` for `rewrap`: every rewrapped slot still holds an age value.
pub fn verify_rewrap(old: &str, new: &str, rel: &str, slots: &[Slot]) -> Result<(), SecretError> {
    let changed: Vec<(&str, &str)> = slots.iter().map(|s| (s.table(), s.key())).collect();
    let after = verify(old, new, rel, &changed)?;
    if !slots.iter().all(|slot| holds_age(&after, slot)) {
        return Err(SecretError::UnsafeEdit(rel.to_owned()));
    }
    Ok(())
}

/// Replaces `path` (whose bytes were `original`) with `contents`: a temp file in the same
/// folder, then a rename. Refuses if the file changed since it was read.
pub fn write_atomically(path: &Path, original: &[u8], contents: &[u8]) -> Result<(), SecretError> {
    let write_err = |source: io::Error| SecretError::Write {
        path: path.to_owned(),
        source,
    };
    // The replacement keeps the file's permissions.
    let mode = permissions_of(path);
    let tmp = crate::atomic::write_temp(path, contents, mode).map_err(write_err)?;
    match crate::repo::read_regular_file(path, original.len() as u64) {
        Ok(now) if now == original => {}
        _ => {
            let _ = std::fs::remove_file(&tmp);
            return Err(SecretError::Changed(path.to_owned()));
        }
    }
    std::fs::rename(&tmp, path).map_err(|err| {
        let _ = std::fs::remove_file(&tmp);
        write_err(err)
    })
}

/// The permission bits of an existing file, to keep them on its replacement.
#[cfg(unix)]
fn permissions_of(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn permissions_of(_path: &Path) -> Option<u32> {
    None
}
