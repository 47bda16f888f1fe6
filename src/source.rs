//! Source files: bytes read once, a span-preserving TOML tree, JSON for the schema, and secret masking.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value};
use toml::de::{DeTable, DeValue};

use crate::diag::{Code, Finding};

/// A file as read from disk (or from git), with its repo-relative path. Its `Debug` shows
/// the path and size, never the text (which may hold a PIN).
#[derive(Clone)]
pub struct SourceFile {
    /// Repo-relative path, `/`-separated; what every report shows.
    pub path: PathBuf,
    /// The text (lossily decoded when the bytes are not UTF-8, for display only).
    pub text: String,
    /// Byte ranges whose characters are secret and masked in every snippet.
    pub secret_spans: Vec<Range<usize>>,
    /// The key names whose values are secret in this file.
    pub secret_keys: Vec<String>,
    /// Where each line starts, so every report looks positions up in O(log n).
    pub lines: LineIndex,
}

/// Byte offsets where each line of a text starts, and which lines are pure ASCII: a line and
/// column lookup costs a binary search (plus a count of the line's characters when it is not
/// ASCII), so reports stay linear in the number of findings, however large the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineIndex {
    starts: Vec<usize>,
    ascii: Vec<bool>,
}

impl LineIndex {
    /// Indexes `text` in one pass.
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        let mut ascii = Vec::new();
        let mut line_ascii = true;
        for (i, b) in text.bytes().enumerate() {
            line_ascii &= b.is_ascii();
            if b == b'\n' {
                starts.push(i + 1);
                ascii.push(line_ascii);
                line_ascii = true;
            }
        }
        ascii.push(line_ascii);
        LineIndex { starts, ascii }
    }

    /// The 0-based line holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }

    /// The byte offset where 0-based `line` starts (the text's length past the end).
    pub fn start(&self, line: usize, text_len: usize) -> usize {
        self.starts.get(line).copied().unwrap_or(text_len)
    }

    /// 1-based line and column (Unicode scalar values) of a byte offset in `text`, the
    /// text this index was made from.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_of(offset);
        let start = self.start(line, text.len()).min(offset);
        let col = if self.ascii.get(line).copied().unwrap_or(false) {
            offset - start
        } else {
            text[start..offset].chars().count()
        };
        (line + 1, col + 1)
    }
}

/// A TOML value with the byte span it was written at.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Span of the value in the file.
    pub span: Range<usize>,
    /// The value.
    pub value: NodeValue,
}

/// A TOML value. Datetimes are kept as their text (`2026-11-20`).
#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    /// A string.
    String(String),
    /// An integer.
    Integer(i64),
    /// A finite float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A date, time or datetime, as written in RFC 3339 form.
    Datetime(String),
    /// An array.
    Array(Vec<Node>),
    /// A table, entries in file order.
    Table(Vec<Entry>),
}

/// One key of a table with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key.
    pub key: String,
    /// Where the key is written.
    pub key_span: Range<usize>,
    /// Its value.
    pub value: Node,
}

/// Which field of a document is at a byte offset: the JSON pointer of the key or value
/// written there (`/end_user/name`), found in O(log n), so a report of many findings in
/// one large file stays linear.
#[derive(Debug, Default)]
pub struct FieldIndex {
    /// Keys and scalar values, which never overlap, by start.
    leaves: Vec<(Range<usize>, String)>,
    /// Tables and arrays, by start.
    containers: Vec<(Range<usize>, String)>,
}

impl FieldIndex {
    /// How many containers a lookup that falls between leaves looks back over at most.
    const LOOK_BACK: usize = 64;

    fn add(&mut self, node: &Node, pointer: &str) {
        match &node.value {
            NodeValue::Table(entries) => {
                self.containers
                    .push((node.span.clone(), pointer.to_owned()));
                for e in entries {
                    let child =
                        format!("{pointer}/{}", e.key.replace('~', "~0").replace('/', "~1"));
                    self.leaves.push((e.key_span.clone(), child.clone()));
                    self.add(&e.value, &child);
                }
            }
            NodeValue::Array(items) => {
                self.containers
                    .push((node.span.clone(), pointer.to_owned()));
                for (i, item) in items.iter().enumerate() {
                    self.add(item, &format!("{pointer}/{i}"));
                }
            }
            _ => self.leaves.push((node.span.clone(), pointer.to_owned())),
        }
    }

    /// The JSON pointer of the key or value at byte `offset`: a key or scalar value written
    /// there, else the innermost table or array around it (`""` for none).
    pub fn pointer_at(&self, offset: usize) -> &str {
        let holds = |span: &Range<usize>| {
            span.contains(&offset) || (span.is_empty() && span.start == offset)
        };
        let i = self
            .leaves
            .partition_point(|(span, _)| span.start <= offset);
        if let Some((span, pointer)) = i.checked_sub(1).map(|i| &self.leaves[i])
            && holds(span)
        {
            return pointer;
        }
        // Nested spans sorted by start: the last one that starts before and holds the
        // offset is the innermost.
        let j = self
            .containers
            .partition_point(|(span, _)| span.start <= offset);
        self.containers[..j]
            .iter()
            .rev()
            .take(Self::LOOK_BACK)
            .find(|(span, _)| holds(span))
            .map_or("", |(_, pointer)| pointer)
    }
}

/// A parsed TOML document: the file, its tree and its JSON form. Its `Debug` names the
/// file, never its values.
#[derive(Clone)]
pub struct Document {
    /// The file, shared with the repo's list of sources (one copy of each text).
    pub file: Arc<SourceFile>,
    /// The span-preserving tree (see [`Document::root`]).
    tree: OnceLock<Node>,
}

impl std::fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceFile")
            .field("path", &self.path)
            .field("bytes", &self.text.len())
            .field("secret_keys", &self.secret_keys)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document")
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

/// Key names whose values are always secret, in any file.
pub const ALWAYS_SECRET_KEYS: &[&str] = &["pin"];

impl SourceFile {
    /// Decodes bytes as UTF-8; invalid UTF-8 is a `toml::syntax` finding at its offset.
    pub fn from_bytes(
        path: impl Into<PathBuf>,
        bytes: &[u8],
        secret_keys: &[&str],
    ) -> (SourceFile, Option<Finding>) {
        let path = path.into();
        let (text, finding) = match std::str::from_utf8(bytes) {
            Ok(text) => (text.to_owned(), None),
            Err(err) => {
                let at = err.valid_up_to();
                let len = err.error_len().unwrap_or(bytes.len() - at).max(1);
                let finding = Finding::new(
                    Code::TomlSyntax,
                    path.clone(),
                    at..at + len,
                    format!("invalid UTF-8 at byte {at}"),
                )
                .label("not UTF-8")
                .help("save the file as UTF-8 (TOML files must be UTF-8 encoded)");
                // The prefix is valid, so spans up to the error stay exact.
                (String::from_utf8_lossy(bytes).into_owned(), Some(finding))
            }
        };
        let secret_spans = secret_value_spans(&text, secret_keys);
        let lines = LineIndex::new(&text);
        (
            SourceFile {
                path,
                text,
                secret_spans,
                secret_keys: secret_keys.iter().map(|k| (*k).to_owned()).collect(),
                lines,
            },
            finding,
        )
    }

    /// The text with every secret value masked by `*`, byte for byte, newlines kept.
    pub fn masked_text(&self) -> String {
        mask_spans(&self.text, &self.secret_spans, Stars::PerByte)
    }

    /// 1-based line and column (Unicode scalar values) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        self.lines.line_col(&self.text, offset)
    }

    /// Whether a byte span overlaps a secret value.
    pub fn is_secret(&self, span: &Range<usize>) -> bool {
        self.secret_spans
            .iter()
            .any(|s| s.start < span.end.max(span.start + 1) && span.start < s.end)
    }
}

/// How many `*` stand for a masked character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stars {
    /// One per byte, so that byte offsets into the text stay valid.
    PerByte,
    /// One per character, so that a value reads as long as it is.
    PerChar,
}

/// `text` with every character that a span covers (spans may overlap) masked by `*`,
/// newlines kept, in one pass.
pub fn mask_spans(text: &str, spans: &[Range<usize>], stars: Stars) -> String {
    let mut spans: Vec<&Range<usize>> = spans.iter().filter(|s| !s.is_empty()).collect();
    spans.sort_by_key(|s| s.start);
    let mut out = String::with_capacity(text.len());
    // `next` is the first span that may still cover a later character.
    let mut next = 0;
    let mut covered_to = 0;
    for (i, ch) in text.char_indices() {
        while next < spans.len() && spans[next].start <= i {
            covered_to = covered_to.max(spans[next].end);
            next += 1;
        }
        let secret = i < covered_to;
        if secret && ch != '\n' && ch != '\r' {
            let count = match stars {
                Stars::PerByte => ch.len_utf8(),
                Stars::PerChar => 1,
            };
            out.extend(std::iter::repeat_n('*', count));
        } else {
            out.push(ch);
        }
    }
    out
}

/// Keys that hold dates or limits about secrets, not secrets.
const NOT_SECRET: &[&str] = &["pin_obtained_on", "pin_max_age_days", "secret", "secrets"];

/// Short credential words: a word of a key that is one of these, starts or ends with one
/// (`pinnumber`, `transferpin`), or is one typed with a slip (`pni`, `pim`) makes the key
/// secret.
const SECRET_WORDS: &[&str] = &["pin", "pac", "puk"];

/// Longer credential words, matched anywhere in a key with its separators removed
/// (`security_code`, `PassCode`, `port-out-password`) or within two edits (`pascode`).
const SECRET_PHRASES: &[&str] = &[
    "passcode",
    "password",
    "passwd",
    "passphrase",
    "secret",
    "securitycode",
    "accesscode",
    "authcode",
    "authorizationcode",
    "authorisationcode",
    "transfercode",
    "portoutcode",
    "verificationcode",
    "pincode",
    "pinnumber",
];

/// The words of a key: split at separators and at lower-to-upper case changes
/// (`pinCode` → `pin`, `code`), lowercased.
fn key_words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for ch in key.chars() {
        if !ch.is_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_uppercase() && prev_lower && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        prev_lower = ch.is_lowercase() || ch.is_ascii_digit();
        word.extend(ch.to_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Whether the value of `key` is masked, by meaning rather than spelling: one of `keys`
/// (the policy's secret keys), or a key that reads like a credential in any case, spacing or
/// a near-miss spelling (`PIN`, `pinCode`, `transferpin`, `pni`, `security_code`,
/// `pass code`), so that a typo in a key never shows a PIN.
pub fn is_secret_key(key: &str, keys: &[&str]) -> bool {
    use std::cell::RefCell;
    use std::collections::HashMap;
    // A bound, so a file of a million distinct keys cannot grow the memory without end.
    const REMEMBERED: usize = 4096;
    /// Verdicts under one set of policy keys.
    #[derive(Default)]
    struct Verdicts {
        keys: Vec<String>,
        by_key: HashMap<String, bool>,
    }
    thread_local! {
        static VERDICTS: RefCell<Verdicts> = RefCell::new(Verdicts::default());
    }
    if keys.contains(&key) {
        return true;
    }
    // Every key of every file is judged twice (as text and on the parsed tree), and a ports
    // repo repeats a few dozen key names across thousands of files: each name's edit
    // distances are computed once per thread, not once per key.
    VERDICTS.with(|verdicts| {
        let mut verdicts = verdicts.borrow_mut();
        if verdicts
            .keys
            .iter()
            .map(String::as_str)
            .ne(keys.iter().copied())
        {
            verdicts.keys = keys.iter().map(|k| (*k).to_owned()).collect();
            verdicts.by_key.clear();
        }
        if let Some(&verdict) = verdicts.by_key.get(key) {
            return verdict;
        }
        let verdict = judge_key(key, keys);
        if verdicts.by_key.len() >= REMEMBERED {
            verdicts.by_key.clear();
        }
        verdicts.by_key.insert(key.to_owned(), verdict);
        verdict
    })
}

/// [`is_secret_key`], worked out.
fn judge_key(key: &str, keys: &[&str]) -> bool {
    let lower = key.to_lowercase();
    if NOT_SECRET.contains(&lower.as_str()) {
        return false;
    }
    let joined = joined_lowercase(key);
    if joined.is_empty() {
        return false;
    }
    let words = key_words(key);
    // Dates and limits about secrets (`pin_obtained_on`, `pac_max_age_days`) are not secrets.
    if words
        .last()
        .is_some_and(|w| ["on", "days", "date", "bytes"].contains(&w.as_str()))
    {
        return false;
    }
    let word_hit = words.iter().any(|w| {
        SECRET_WORDS.iter().any(|s| {
            w == s
                || (w.len() <= s.len() + 9 && (w.starts_with(s) || w.ends_with(s)))
                || is_anagram(w, s)
        })
    });
    let phrase_hit = SECRET_PHRASES.iter().any(|p| {
        joined.contains(p)
            || (joined.len() >= 6
                && joined.len().abs_diff(p.len()) <= 2
                && strsim::osa_distance(&joined, p) <= 2)
    });
    // A slip in the whole key (`pim`, `pn`, `pinn`), against the policy's secret keys.
    let slip_hit = keys.iter().any(|k| {
        let k = joined_lowercase(k);
        k.len() >= 3
            && k.len().abs_diff(joined.len()) <= 1
            && strsim::osa_distance(&k, &joined) <= 1
    });
    word_hit || phrase_hit || slip_hit
}

/// The key lowercased, letters and digits only (`Pass Code` → `passcode`).
fn joined_lowercase(key: &str) -> String {
    key.to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Whether `a` has exactly the letters of `b` in another order (`pni` for `pin`).
fn is_anagram(a: &str, b: &str) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut x: Vec<char> = a.chars().collect();
    let mut y: Vec<char> = b.chars().collect();
    x.sort_unstable();
    y.sort_unstable();
    x == y
}

/// Whether a key name could itself be a credential typed in the wrong place (a PIN or a
/// PAC code written as a key, `1234 = ""`): keys of the formats hold no run of digits but
/// `document_sha256`, so such a key is never echoed in a message and is masked in snippets.
pub fn key_is_credential_like(key: &str) -> bool {
    key != "document_sha256" && key.chars().filter(char::is_ascii_digit).count() >= 3
}

/// Finds the values of `key = value` assignments whose key is secret (see
/// [`is_secret_key`]), lexically, so a secret is masked even in a file that does not parse
/// and even inside comments.
pub fn secret_value_spans(text: &str, keys: &[&str]) -> Vec<Range<usize>> {
    static ASSIGNMENT: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"(?:^|[\s{,.#])(?:"[^"\n]*"|'[^'\n]*'|[A-Za-z0-9_-]+)[ \t]*="#).ok()
    });
    let Some(assignment) = ASSIGNMENT.as_ref() else {
        return Vec::new();
    };
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    // Matches, not captures: the key is read off the match, which costs the regex a second
    // pass over each match.
    for whole in assignment.find_iter(text) {
        // `==` is not an assignment.
        if bytes.get(whole.end()) == Some(&b'=') {
            continue;
        }
        let key = assigned_key(text, whole.range());
        let name = &text[key.clone()];
        if key_is_credential_like(name) {
            spans.push(key);
        }
        if !is_secret_key(name, keys) {
            continue;
        }
        let mut i = whole.end();
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
            i += 1;
        }
        if let Some(span) = value_extent(text, i) {
            spans.push(span);
        }
    }
    spans.sort_by_key(|s| (s.start, s.end));
    spans
}

/// The key of an assignment the pattern of [`secret_value_spans`] matched at `whole`
/// (`[prefix] key [ \t]* =`): the span of its name, inside its quotes when it is quoted.
fn assigned_key(text: &str, whole: Range<usize>) -> Range<usize> {
    let matched = &text[whole.clone()];
    // The prefix is one separator character; at the start of the text there is none. No
    // key starts with a separator, so a leading one is the prefix.
    let prefix = matched
        .chars()
        .next()
        .filter(|c| c.is_whitespace() || matches!(c, '{' | ',' | '.' | '#'))
        .map_or(0, char::len_utf8);
    let key = matched[prefix..matched.len() - 1].trim_end_matches([' ', '\t']);
    let start = whole.start + prefix;
    let quoted = key.len() >= 2 && (key.starts_with('"') || key.starts_with('\''));
    if quoted {
        start + 1..start + key.len() - 1
    } else {
        start..start + key.len()
    }
}

/// The span of the content of the value starting at `i` (inside its quotes).
fn value_extent(text: &str, i: usize) -> Option<Range<usize>> {
    let rest = &text[i..];
    for delim in ["\"\"\"", "'''"] {
        if let Some(body) = rest.strip_prefix(delim) {
            let start = i + delim.len();
            let end = body.find(delim).map_or(text.len(), |e| start + e);
            return Some(start..end);
        }
    }
    for delim in ['"', '\''] {
        if let Some(body) = rest.strip_prefix(delim) {
            let start = i + 1;
            let mut end = start + body.find('\n').unwrap_or(body.len());
            let mut escaped = false;
            for (j, ch) in body.char_indices() {
                if ch == '\n' {
                    break;
                }
                if delim == '"' && ch == '\\' && !escaped {
                    escaped = true;
                    continue;
                }
                if ch == delim && !escaped {
                    end = start + j;
                    break;
                }
                escaped = false;
            }
            return Some(start..end);
        }
    }
    let end = rest
        .find(['\n', '\r', ',', '}', '#', ']'])
        .unwrap_or(rest.len());
    let value = rest[..end].trim_end();
    (!value.is_empty()).then(|| i..i + value.len())
}

impl Document {
    /// Parses a file; any TOML error (or a value JSON cannot hold) is one `toml::syntax` finding.
    pub fn parse(file: SourceFile) -> Result<Document, Box<Finding>> {
        Document::parse_json(file).map(|(doc, _)| doc)
    }

    /// [`Document::parse`], and the document as JSON for the schema ([`Document::to_json`]).
    /// The span tree is not built until a span is asked for: most files never need one.
    pub fn parse_json(file: SourceFile) -> Result<(Document, Value), Box<Finding>> {
        let parsed = DeTable::parse(&file.text).map_err(|err| {
            let span = err.span().unwrap_or(0..0);
            Box::new(syntax_finding(&file.path, span, err.message()))
        })?;
        let json = json_of_table(parsed.get_ref(), &file.path).map_err(|finding| {
            // The deserializer has its own words for a number it cannot hold. It refuses
            // only values the conversion refuses too (an integer beyond 64 bits, a float
            // beyond range), so it is asked, parsing the text again, only then.
            match toml::from_str::<toml::Table>(&file.text) {
                Err(err) => Box::new(syntax_finding(
                    &file.path,
                    err.span().unwrap_or(0..0),
                    err.message(),
                )),
                Ok(_) => finding,
            }
        })?;
        // The parser knows keys however they are spelt (quoted, escaped, dotted): mask by it too.
        let mut spans = Vec::new();
        let mut walk = SecretWalk {
            keys: file.secret_keys.iter().map(String::as_str).collect(),
            text: &file.text,
            judged: HashMap::new(),
        };
        collect_secret_spans(parsed.get_ref(), &mut walk, false, &mut spans);
        drop(walk);
        drop(parsed);
        let mut file = file;
        file.secret_spans.extend(spans);
        file.secret_spans.sort_by_key(|s| (s.start, s.end));
        file.secret_spans.dedup();
        let doc = Document {
            file: Arc::new(file),
            tree: OnceLock::new(),
        };
        Ok((doc, json))
    }

    /// The span-preserving tree; the root is a table.
    pub fn root(&self) -> &Node {
        self.tree.get_or_init(|| {
            // The text parsed once, so it parses again; should it not, no span is known.
            DeTable::parse(&self.file.text)
                .ok()
                .and_then(|parsed| {
                    convert_table(parsed.get_ref(), parsed.span(), &self.file.path).ok()
                })
                .unwrap_or(Node {
                    span: 0..0,
                    value: NodeValue::Table(Vec::new()),
                })
        })
    }

    /// Lets the tree go until a span is asked for, when it is parsed again from the text.
    /// A repo's trees are most of what it holds in memory, and once its files are loaded
    /// only findings look spans up: a clean file never needs its tree again.
    pub fn shed_tree(&mut self) {
        self.tree = OnceLock::new();
    }

    /// The document as JSON for the schema: datetimes become plain strings.
    pub fn to_json(&self) -> Value {
        to_json(self.root())
    }

    /// The node at a JSON pointer (`/numbers/0/number`).
    pub fn node(&self, pointer: &str) -> Option<&Node> {
        let mut node = self.root();
        for token in pointer.split('/').skip(1) {
            let token = token.replace("~1", "/").replace("~0", "~");
            node = match &node.value {
                NodeValue::Table(entries) => &entries.iter().find(|e| e.key == token)?.value,
                NodeValue::Array(items) => items.get(token.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// The entry (key and value) at a JSON pointer, when it names a table key.
    pub fn entry(&self, pointer: &str) -> Option<&Entry> {
        let (parent, last) = pointer.rsplit_once('/')?;
        let last = last.replace("~1", "/").replace("~0", "~");
        match &self.node(parent)?.value {
            NodeValue::Table(entries) => entries.iter().find(|e| e.key == last),
            _ => None,
        }
    }

    /// An index from byte offsets to the fields there, for many lookups in one file.
    pub fn fields(&self) -> FieldIndex {
        let mut index = FieldIndex::default();
        index.add(self.root(), "");
        index.leaves.sort_by_key(|(span, _)| span.start);
        index.containers.sort_by_key(|(span, _)| span.start);
        index
    }

    /// The span of the value at a pointer, falling back to its nearest existing ancestor.
    pub fn span(&self, pointer: &str) -> Range<usize> {
        let mut pointer = pointer;
        loop {
            if let Some(node) = self.node(pointer) {
                return node.span.clone();
            }
            match pointer.rsplit_once('/') {
                Some((parent, _)) => pointer = parent,
                None => return 0..0,
            }
        }
    }

    /// The span of a table: its `[header]` when it has one, else its first key.
    pub fn table_span(&self, pointer: &str) -> Range<usize> {
        let span = self.span(pointer);
        if pointer.is_empty() || span.is_empty() || span == self.root().span {
            // The root table has no header: point at the start of the file's first key.
            return match &self.root().value {
                NodeValue::Table(entries) => entries
                    .first()
                    .map_or(0..0, |e| e.key_span.start..e.key_span.start),
                _ => 0..0,
            };
        }
        span
    }
}

/// Adds the spans of every value under a secret key (inside its quotes, for strings).
/// What masking needs while it walks a file: the policy's secret keys, the text, and the
/// verdict on each key name met so far (a file repeats its key names, e.g. one `number`
/// per listed number: each name is judged once).
struct SecretWalk<'a> {
    keys: Vec<&'a str>,
    text: &'a str,
    judged: HashMap<String, bool>,
}

impl SecretWalk<'_> {
    fn is_secret(&mut self, key: &str) -> bool {
        if let Some(&known) = self.judged.get(key) {
            return known;
        }
        let verdict = is_secret_key(key, &self.keys);
        self.judged.insert(key.to_owned(), verdict);
        verdict
    }
}

fn collect_secret_spans(
    table: &DeTable<'_>,
    walk: &mut SecretWalk<'_>,
    secret: bool,
    out: &mut Vec<Range<usize>>,
) {
    let text = walk.text;
    for (key, value) in table.iter() {
        let key_span = key.span();
        if key_is_credential_like(key.get_ref()) {
            let raw = text.get(key_span.clone()).unwrap_or("");
            let quote = usize::from(raw.starts_with(['"', '\'']) && raw.len() >= 2);
            out.push(key_span.start + quote..key_span.end - quote);
        }
        let is_secret = secret || walk.is_secret(key.get_ref());
        collect_value_secret_spans(value.get_ref(), value.span(), walk, is_secret, out);
    }
}

fn collect_value_secret_spans(
    value: &DeValue<'_>,
    span: Range<usize>,
    walk: &mut SecretWalk<'_>,
    secret: bool,
    out: &mut Vec<Range<usize>>,
) {
    match value {
        DeValue::Table(table) => collect_secret_spans(table, walk, secret, out),
        DeValue::Array(items) => {
            for item in items {
                collect_value_secret_spans(item.get_ref(), item.span(), walk, secret, out);
            }
        }
        _ if secret => {
            let raw = walk.text.get(span.clone()).unwrap_or("");
            let quote = ["\"\"\"", "'''", "\"", "'"]
                .into_iter()
                .find(|q| raw.starts_with(q) && raw.len() >= 2 * q.len())
                .map_or(0, str::len);
            out.push(span.start + quote..span.end - quote);
        }
        _ => {}
    }
}

/// The JSON form of a table straight from the parser, as [`to_json`] gives it from the span
/// tree, refusing the same values at the same places as [`convert_table`].
fn json_of_table(table: &DeTable<'_>, path: &Path) -> Result<Value, Box<Finding>> {
    let mut map = Map::new();
    for (key, value) in table.iter() {
        map.insert(
            key.get_ref().to_string(),
            json_of(value.get_ref(), value.span(), path)?,
        );
    }
    Ok(Value::Object(map))
}

fn json_of(value: &DeValue<'_>, span: Range<usize>, path: &Path) -> Result<Value, Box<Finding>> {
    Ok(match value {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Datetime(d) => Value::String(d.to_string()),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| json_of(item.get_ref(), item.span(), path))
                .collect::<Result<_, _>>()?,
        ),
        DeValue::Table(table) => json_of_table(table, path)?,
        // Numbers are read (and refused) as the span tree reads them.
        DeValue::Integer(_) | DeValue::Float(_) => to_json(&convert_value(value, span, path)?),
    })
}

fn syntax_finding(path: &Path, span: Range<usize>, message: &str) -> Finding {
    let message = message.trim().trim_end_matches('.').to_owned();
    let message = lowercase_first(&message);
    Finding::new(
        Code::TomlSyntax,
        path,
        span,
        format!("invalid TOML: {message}"),
    )
    .label(message)
    .help("fix the TOML syntax at the marked place; the file's other checks run once it parses")
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if !s.starts_with("TOML") => c.to_lowercase().chain(chars).collect(),
        _ => s.to_owned(),
    }
}

fn convert_table(
    table: &DeTable<'_>,
    span: Range<usize>,
    path: &Path,
) -> Result<Node, Box<Finding>> {
    let mut entries = Vec::with_capacity(table.len());
    for (key, value) in table.iter() {
        entries.push(Entry {
            key: key.get_ref().to_string(),
            key_span: key.span(),
            value: convert_value(value.get_ref(), value.span(), path)?,
        });
    }
    Ok(Node {
        span,
        value: NodeValue::Table(entries),
    })
}

fn convert_value(
    value: &DeValue<'_>,
    span: Range<usize>,
    path: &Path,
) -> Result<Node, Box<Finding>> {
    let value = match value {
        DeValue::String(s) => NodeValue::String(s.to_string()),
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            match i64::from_str_radix(&digits, i.radix()) {
                Ok(n) => NodeValue::Integer(n),
                Err(_) => {
                    return Err(Box::new(syntax_finding(path, span, "integer out of range")));
                }
            }
        }
        DeValue::Float(f) => {
            let text = f.as_str().replace('_', "");
            match text.parse::<f64>() {
                Ok(x) if x.is_finite() => NodeValue::Float(x),
                _ => {
                    return Err(Box::new(
                        Finding::new(
                            Code::TomlSyntax,
                            path,
                            span,
                            format!("`{}` cannot be represented in JSON", f.as_str()),
                        )
                        .label("not a finite number")
                        .help("use a finite number; `nan` and `inf` are not accepted"),
                    ));
                }
            }
        }
        DeValue::Boolean(b) => NodeValue::Bool(*b),
        DeValue::Datetime(d) => NodeValue::Datetime(d.to_string()),
        DeValue::Array(items) => NodeValue::Array(
            items
                .iter()
                .map(|item| convert_value(item.get_ref(), item.span(), path))
                .collect::<Result<_, _>>()?,
        ),
        DeValue::Table(table) => return convert_table(table, span, path),
    };
    Ok(Node { span, value })
}

fn to_json(node: &Node) -> Value {
    match &node.value {
        NodeValue::String(s) | NodeValue::Datetime(s) => Value::String(s.clone()),
        NodeValue::Integer(i) => Value::from(*i),
        NodeValue::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        NodeValue::Bool(b) => Value::Bool(*b),
        NodeValue::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        NodeValue::Table(entries) => {
            let mut map = Map::new();
            for e in entries {
                map.insert(e.key.clone(), to_json(&e.value));
            }
            Value::Object(map)
        }
    }
}

/// A TOML basic string holding `text`, escaped as needed.
pub fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Document {
        let (file, err) = SourceFile::from_bytes("t.toml", text.as_bytes(), &["pin"]);
        assert!(err.is_none());
        Document::parse(file).expect("parses")
    }

    #[test]
    fn spans_point_at_values_and_keys() {
        let text = "a = 1\n[t]\nb = \"x\"\n[[n]]\nnumber = \"+1\"\n";
        let d = doc(text);
        let b = d.node("/t/b").unwrap();
        assert_eq!(&text[b.span.clone()], "\"x\"");
        let e = d.entry("/n/0/number").unwrap();
        assert_eq!(&text[e.key_span.clone()], "number");
        assert_eq!(
            &text[d.span("/n/0/missing")],
            &text[d.node("/n/0").unwrap().span.clone()]
        );
    }

    #[test]
    fn pointers_at_offsets_name_the_key_or_item_there() {
        let text = "a = 1\n[t]\nb = \"x\"\n[[n]]\nnumber = \"+1\"\n\"a/b\" = 2\n";
        let d = doc(text);
        for pointer in ["/a", "/t/b", "/n/0/number", "/n/0/a~1b"] {
            let span = d.span(pointer);
            let fields = d.fields();
            assert_eq!(fields.pointer_at(span.start), pointer, "{pointer}");
            let key = d.entry(pointer).unwrap().key_span.clone();
            assert_eq!(fields.pointer_at(key.start), pointer, "{pointer} key");
        }
        assert_eq!(d.fields().pointer_at(text.len() + 10), "");
    }

    #[test]
    fn dates_become_strings_and_nan_is_refused() {
        let d = doc("on = 2026-11-20\nq = \"2026-11-20\"\n");
        assert_eq!(d.to_json()["on"], d.to_json()["q"]);
        let (file, _) = SourceFile::from_bytes("t.toml", b"x = nan\n", &[]);
        let err = Document::parse(file).unwrap_err();
        assert_eq!(err.code, Code::TomlSyntax);
        assert_eq!(err.span, 4..7);
    }

    #[test]
    fn invalid_utf8_is_a_finding_at_its_offset() {
        let (_, err) = SourceFile::from_bytes("t.toml", b"a = \"\xff\"\n", &[]);
        let err = err.unwrap();
        assert_eq!(err.span, 5..6);
    }

    #[test]
    fn columns_count_scalar_values() {
        let text = "é = 1\nñé = 2";
        assert_eq!(LineIndex::new(text).line_col(text, 11), (2, 3));
    }

    #[test]
    fn secrets_are_masked_even_when_the_file_does_not_parse() {
        let text = "pin = \"1234\"\nx = [\nend_user = { pin = '98765' }\n# pin = 55\np = \"\"\"\nab\ncd\"\"\"\n";
        let (file, _) = SourceFile::from_bytes("t.toml", text.as_bytes(), &["pin", "p"]);
        let masked = file.masked_text();
        assert_eq!(masked.len(), text.len());
        for secret in ["1234", "98765", "55", "ab", "cd"] {
            assert!(!masked.contains(secret), "{secret} leaked in {masked}");
        }
        assert!(masked.contains("pin = \"****\""));
    }

    // Guards reading the key off each match: it is the span the pattern's groups capture.
    #[test]
    fn an_assignments_key_is_what_the_pattern_captures() {
        let captures = regex::Regex::new(
            r#"(?:^|[\s{,.#])(?:"([^"\n]*)"|'([^'\n]*)'|([A-Za-z0-9_-]+))[ \t]*="#,
        )
        .unwrap();
        let text = " pin = 1\na=2\n\"quoted key\" \t= 3\n{ 'x y'= 4, z = 5 }\nt.pin = 6\n\
                    # 1234 = 7\n\u{a0}é-k = 8\n\u{2003}pin = 9\n\"\" = 10\na == b\n\"k=v\" = 11\n";
        let found: Vec<Range<usize>> = captures
            .captures_iter(text)
            .map(|c| assigned_key(text, c.get(0).unwrap().range()))
            .collect();
        let captured: Vec<Range<usize>> = captures
            .captures_iter(text)
            .map(|c| c.get(1).or(c.get(2)).or(c.get(3)).unwrap().range())
            .collect();
        assert!(captured.len() >= 10, "{captured:?}");
        assert_eq!(found, captured);
    }

    #[test]
    fn credential_keys_are_known_by_meaning() {
        for key in [
            "pin",
            "PIN",
            "pinCode",
            "pin_code",
            "transferpin",
            "pni",
            "pinnumber",
            "security_code",
            "SecurityCode",
            "Pass Code",
            "passcode",
            "pascode",
            "password",
            "pac",
            "PAC",
            "pac_code",
            "port_out_pin",
            "pim",
        ] {
            assert!(is_secret_key(key, &["pin", "pac_code"]), "{key}");
        }
    }

    #[test]
    fn no_key_of_the_formats_reads_as_a_credential() {
        let mut keys = std::collections::BTreeSet::new();
        for kind in crate::schema::SchemaKind::ALL {
            collect_properties(kind.json(), &mut keys);
        }
        assert!(keys.len() > 50, "{keys:?}");
        for key in keys {
            let expected = key == "pin";
            assert_eq!(is_secret_key(&key, &["pin"]), expected, "{key}");
            assert!(!key_is_credential_like(&key), "{key}");
        }
    }

    fn collect_properties(schema: &Value, out: &mut std::collections::BTreeSet<String>) {
        match schema {
            Value::Object(map) => {
                for (k, v) in map {
                    if k == "properties" {
                        if let Value::Object(props) = v {
                            out.extend(props.keys().cloned());
                        }
                    }
                    collect_properties(v, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| collect_properties(v, out)),
            _ => {}
        }
    }

    #[test]
    fn debug_output_never_prints_a_file_text() {
        let file = doc("pin = \"4821\"\n");
        let shown = format!("{file:?} {:?}", file.file);
        assert!(
            shown.contains("t.toml") && !shown.contains("4821"),
            "{shown}"
        );
    }
}
