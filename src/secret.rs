//! Secrets in requests: transfer PINs and secret country requirements, age-encrypted to porting.toml's recipients.
//!
//! `secret set` reads a value (from the terminal without echo, or from piped standard input),
//! validates it, encrypts it armored to every `[secrets] recipients` key and writes it into
//! request.toml. The file is edited by splicing text at the spans toml_edit reports, so every
//! byte outside the changed value stays as it was: comments, blank lines, key order, CRLF line
//! endings. `secret show` decrypts one value with an identity file; `secret rewrap`
//! re-encrypts every stored value to the current recipients after a key change.
//!
//! No value read or decrypted here ever reaches a message, an error or a log; the one
//! exception is the value `secret show` prints because it was asked to.

use std::collections::BTreeSet;
use std::io::{self, Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use age::secrecy::{ExposeSecret, SecretString};
use regex::Regex;
use toml_edit::{Item, Table, Value};

use crate::check::{self, CheckError, Checked};
use crate::cli::{SecretCommand, SecretRewrapArgs, SecretSetArgs, SecretShowArgs};
use crate::model::Date;
use crate::model::policy::{Policy, RequirementType};
use crate::repo::{Port, WorkTree};
use crate::report::terminal;
use crate::rules::secrets::is_age_armored;
use crate::{Environment, Exit, Output};

/// The first line of an armored age file.
pub const ARMOR_BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";

/// The shortest transfer PIN accepted: carriers use 4 to 10 letters or digits.
pub const PIN_MIN_LEN: usize = 4;
/// The longest transfer PIN accepted.
pub const PIN_MAX_LEN: usize = 10;

/// The most bytes read from piped standard input: far more than any PIN or code.
const MAX_INPUT_BYTES: u64 = 4096;

/// Failures of `portflow secret`. None of them ever carries a secret value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The repo could not be read.
    #[error(transparent)]
    Check(#[from] CheckError),
    /// No port has this id.
    #[error("no port `{0}` in this repo (see `portflow status`)")]
    UnknownPort(String),
    /// Two folders carry the same port id.
    #[error(
        "port id `{0}` is used by more than one folder: rename one first (`portflow check` shows both)"
    )]
    AmbiguousPort(String),
    /// porting.toml does not pass its schema, so its recipients cannot be trusted.
    #[error(
        "`porting.toml` does not pass its schema: fix it first (`portflow check` shows what is wrong)"
    )]
    InvalidPolicy,
    /// porting.toml lists no recipient to encrypt to.
    #[error(
        "porting.toml has no `[secrets] recipients`: add the age public keys (`age1…`) of the people who may read PINs, then run this again"
    )]
    NoRecipients,
    /// The slot already holds a value and `--force` was not given.
    #[error(
        "`{slot}` of `{port}` already holds a value: pass `--force` to replace it (the old value is gone once replaced)"
    )]
    Exists {
        /// The dotted slot, e.g. `end_user.pin`.
        slot: String,
        /// The port id.
        port: String,
    },
    /// A recipient that is not an age X25519 public key.
    #[error(
        "`porting.toml` `[secrets] recipients` lists `{0}`, which is not an age X25519 public key (`age1…`)"
    )]
    BadRecipient(String),
    /// The key names no secret of this port.
    #[error("`{key}` is not a secret of port `{port}`: use {known}")]
    UnknownKey {
        /// The key asked for.
        key: String,
        /// The port.
        port: String,
        /// The keys that are secrets there, in words.
        known: String,
    },
    /// The key names a requirement whose value is not secret.
    #[error(
        "`{key}` is not a secret requirement in porting.toml: write its value as plain text under `[requirements]` in request.toml"
    )]
    NotSecret {
        /// The requirement key.
        key: String,
    },
    /// `--obtained-on` with something other than a PIN.
    #[error("`--obtained-on` applies to `pin` only")]
    ObtainedOnNotPin,
    /// `--obtained-on` after today.
    #[error("`--obtained-on` {obtained} is after today ({today})")]
    ObtainedInFuture {
        /// The date given.
        obtained: Date,
        /// Today.
        today: Date,
    },
    /// The port is completed or cancelled.
    #[error("port `{port}` is {stage}: nothing in a terminal port changes")]
    Terminal {
        /// The port.
        port: String,
        /// Its stage.
        stage: &'static str,
    },
    /// Nothing (or only whitespace) was read.
    #[error("no value was given: type it at the prompt, or pipe it on standard input")]
    EmptyValue,
    /// More than one line was read.
    #[error("the value read spans more than one line: give exactly one line")]
    MultiLine,
    /// The input is not UTF-8 or is far too long.
    #[error("the value read is not one short line of UTF-8 text")]
    BadInput,
    /// Standard input or the terminal could not be read.
    #[error("cannot read the value: {0}")]
    Read(io::Error),
    /// A PIN that is not 4–10 letters or digits.
    #[error(
        "the value read is not a transfer PIN: expected {PIN_MIN_LEN}–{PIN_MAX_LEN} letters or digits; nothing was written"
    )]
    BadPin,
    /// A requirement value that does not match its pattern.
    #[error(
        "the value read does not match the pattern `{pattern}` of `{key}` in porting.toml; nothing was written"
    )]
    PatternMismatch {
        /// The requirement key.
        key: String,
        /// Its pattern.
        pattern: String,
    },
    /// The policy's pattern is not a regular expression.
    #[error(
        "the pattern `{pattern}` of `{key}` in porting.toml is not a valid regular expression: fix porting.toml first"
    )]
    BadPattern {
        /// The requirement key.
        key: String,
        /// Its pattern.
        pattern: String,
    },
    /// A file is not UTF-8 TOML. The parser's message is left out: it may quote a secret.
    #[error(
        "`{0}` is not valid TOML: fix it first (`portflow check` shows where, with secrets masked)"
    )]
    NotToml(String),
    /// The request has no country that porting.toml lists.
    #[error("`{0}` has no `country` that porting.toml lists: set `country` first")]
    NoCountry(String),
    /// The file's layout leaves no safe place to write the value.
    #[error("cannot write `{slot}` into `{path}`: {why}")]
    Layout {
        /// The file.
        path: String,
        /// The value, e.g. `end_user.pin`.
        slot: String,
        /// What is in the way and what to do.
        why: String,
    },
    /// The edit would have changed more than the value (a bug guard; nothing is written).
    #[error("editing `{0}` would change more than the secret value; nothing was written")]
    UnsafeEdit(String),
    /// `show` or `rewrap` without an identity.
    #[error(
        "`portflow secret {command}` needs `--identity FILE`: an age identity (`AGE-SECRET-KEY-1…`) whose public key is among the recipients the value was encrypted to"
    )]
    MissingIdentity {
        /// `show` or `rewrap`.
        command: &'static str,
    },
    /// An identity file that cannot be read or holds no identity.
    #[error("cannot use identity file `{path}`: {why}")]
    Identity {
        /// The file as given.
        path: PathBuf,
        /// Why (never the file's contents).
        why: String,
    },
    /// The value is not stored.
    #[error("port `{port}` has no `{slot}`: store one with `portflow secret set {port} {key}`")]
    NotSet {
        /// The port.
        port: String,
        /// The value, e.g. `end_user.pin`.
        slot: String,
        /// The key as typed.
        key: String,
    },
    /// The value is stored in plaintext.
    #[error(
        "`{slot}` of port `{port}` is not age-encrypted (`secret::plaintext`): encrypt it with `portflow secret set {port} {key}`, and if it was ever pushed have the customer change it with the losing carrier"
    )]
    NotEncrypted {
        /// The port.
        port: String,
        /// The value, e.g. `end_user.pin`.
        slot: String,
        /// The key as typed.
        key: String,
    },
    /// Decryption failed.
    #[error("cannot decrypt `{slot}` in `{path}`: {why}")]
    Decrypt {
        /// The file.
        path: String,
        /// The value, e.g. `end_user.pin`.
        slot: String,
        /// age's reason (it never includes plaintext).
        why: String,
    },
    /// Encryption failed.
    #[error("cannot encrypt: {0}")]
    Encrypt(String),
    /// Reading a file failed.
    #[error("cannot read `{path}`: {source}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Writing a file failed.
    #[error("cannot write `{path}`: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The file changed on disk between reading and writing it.
    #[error(
        "`{0}` changed while portflow was editing it: nothing was written; run the command again"
    )]
    Changed(PathBuf),
}

/// Where a secret lives in request.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// `[end_user] pin`.
    Pin,
    /// `[requirements] <key>`.
    Requirement(String),
}

impl Slot {
    /// The table that holds it.
    pub fn table(&self) -> &str {
        match self {
            Slot::Pin => "end_user",
            Slot::Requirement(_) => "requirements",
        }
    }

    /// Its key in that table.
    pub fn key(&self) -> &str {
        match self {
            Slot::Pin => "pin",
            Slot::Requirement(key) => key,
        }
    }

    /// The dotted name used in messages, e.g. `end_user.pin`.
    pub fn dotted(&self) -> String {
        format!("{}.{}", self.table(), self.key())
    }
}

/// Runs `portflow secret …`; `set` reads its value from the terminal or standard input.
pub fn run(command: &SecretCommand, env: &Environment) -> Result<Output, SecretError> {
    match command {
        SecretCommand::Set(args) => set(args, env, read_value),
        SecretCommand::Show(args) => show(args, env),
        SecretCommand::Rewrap(args) => rewrap(args, env),
    }
}

/// Reads one value: without echo from a terminal, or all of piped standard input.
///
/// It never prompts when standard input is not a terminal, so scripts and tests pipe the
/// value in (`printf '%s\n' "$PIN" | portflow secret set …`).
pub fn read_value(prompt: &str) -> Result<SecretString, SecretError> {
    let mut bytes = terminal::read_hidden(prompt, MAX_INPUT_BYTES).map_err(SecretError::Read)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        wipe(&mut bytes);
        return Err(SecretError::BadInput);
    }
    let raw = String::from_utf8(bytes).map_err(|err| {
        wipe(&mut err.into_bytes());
        SecretError::BadInput
    })?;
    one_line(SecretString::from(raw))
}

/// Overwrites a buffer that held a secret before it is freed.
fn wipe(bytes: &mut [u8]) {
    bytes.iter_mut().for_each(|b| *b = 0);
}

/// The single line of input, without its line ending and surrounding blanks.
pub fn one_line(raw: SecretString) -> Result<SecretString, SecretError> {
    let text = raw.expose_secret();
    let text = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text);
    if text.contains(['\n', '\r']) {
        return Err(SecretError::MultiLine);
    }
    let text = text.trim();
    if text.is_empty() {
        return Err(SecretError::EmptyValue);
    }
    Ok(SecretString::from(text.to_owned()))
}

/// Whether a value is a plausible transfer PIN: 4–10 ASCII letters or digits.
pub fn is_valid_pin(value: &str) -> bool {
    (PIN_MIN_LEN..=PIN_MAX_LEN).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The age recipients of porting.toml `[secrets]`.
pub fn recipients(policy: &Policy) -> Result<Vec<age::x25519::Recipient>, SecretError> {
    policy
        .secrets
        .recipients
        .iter()
        .map(|r| {
            r.trim()
                .parse::<age::x25519::Recipient>()
                .map_err(|_| SecretError::BadRecipient(r.clone()))
        })
        .collect()
}

/// Encrypts `plaintext` to every recipient, ASCII-armored, without a trailing newline.
pub fn encrypt(
    recipients: &[age::x25519::Recipient],
    plaintext: &SecretString,
) -> Result<String, SecretError> {
    let fail = |err: &dyn std::fmt::Display| SecretError::Encrypt(err.to_string());
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
            .map_err(|e| fail(&e))?;
    let mut out = Vec::new();
    let armor = age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
        .map_err(|e| fail(&e))?;
    let mut writer = encryptor.wrap_output(armor).map_err(|e| fail(&e))?;
    writer
        .write_all(plaintext.expose_secret().as_bytes())
        .map_err(|e| fail(&e))?;
    writer
        .finish()
        .and_then(|armor| armor.finish())
        .map_err(|e| fail(&e))?;
    let text = String::from_utf8(out).map_err(|e| fail(&e))?;
    Ok(text.trim_end().to_owned())
}

/// Decrypts an armored age value with the identities; the error is age's reason.
pub fn decrypt(
    armored: &str,
    identities: &[Box<dyn age::Identity + Send + Sync>],
) -> Result<SecretString, String> {
    let reader = age::armor::ArmoredReader::new(armored.trim().as_bytes());
    let decryptor = age::Decryptor::new(reader).map_err(|e| e.to_string())?;
    let mut stream = decryptor
        .decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => {
                "no identity given matches a recipient it was encrypted to".to_owned()
            }
            other => other.to_string(),
        })?;
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SecretString::from(text)),
        Err(err) => {
            wipe(&mut err.into_bytes());
            Err("the decrypted value is not UTF-8 text".to_owned())
        }
    }
}

/// The bytes of an age identity file. One is a few hundred bytes: never more than 1 MiB of
/// whatever the path names is read.
pub fn read_identity_file(path: &Path) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(1 << 20)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Reads the identities (`AGE-SECRET-KEY-1…` lines) of the given files, relative to `cwd`.
pub fn load_identities(
    paths: &[PathBuf],
    cwd: &Path,
) -> Result<Vec<Box<dyn age::Identity + Send + Sync>>, SecretError> {
    let mut all = Vec::new();
    for path in paths {
        let full = cwd.join(path);
        let bad = |why: String| SecretError::Identity {
            path: path.clone(),
            why,
        };
        let mut bytes = read_identity_file(&full).map_err(|e| bad(e.to_string()))?;
        // age's own messages name a line number, never the line.
        let parsed = age::IdentityFile::from_buffer(&bytes[..]);
        wipe(&mut bytes);
        let identities = parsed
            .map_err(|e| bad(e.to_string()))?
            .into_identities()
            .map_err(|e| bad(e.to_string()))?;
        if identities.is_empty() {
            return Err(bad(
                "it holds no `AGE-SECRET-KEY-1…` identity (a public `age1…` key cannot decrypt)"
                    .to_owned(),
            ));
        }
        all.extend(identities);
    }
    Ok(all)
}

/// The loaded repo and the one port named `id`.
struct Target {
    root: PathBuf,
    checked: Checked,
    port: usize,
}

impl Target {
    fn find(id: &str, env: &Environment) -> Result<Target, SecretError> {
        let tree = WorkTree::discover(&env.cwd).map_err(CheckError::from)?;
        let checked = check::check_tree(&tree, &[], env.today)?;
        let mut matches = checked
            .repo
            .ports
            .iter()
            .enumerate()
            .filter(|(_, p)| p.id == id);
        let port = match (matches.next(), matches.next()) {
            (Some((i, _)), None) => i,
            (Some(_), Some(_)) => return Err(SecretError::AmbiguousPort(id.to_owned())),
            (None, _) => return Err(SecretError::UnknownPort(id.to_owned())),
        };
        Ok(Target {
            root: tree.root,
            checked,
            port,
        })
    }

    fn port(&self) -> &Port {
        &self.checked.repo.ports[self.port]
    }

    fn policy(&self) -> Result<&Policy, SecretError> {
        self.checked
            .repo
            .policy
            .as_ref()
            .map(|p| &p.value)
            .ok_or(SecretError::InvalidPolicy)
    }

    fn stage(&self) -> Option<crate::stage::Stage> {
        let dir = &self.port().dir;
        self.checked
            .reports
            .iter()
            .find(|r| &r.dir == dir)
            .map(|r| r.stage)
    }

    fn request_file(&self) -> PathBuf {
        self.root.join(self.port().request_path())
    }
}

/// Whether the request already has a non-empty value in `slot`.
fn holds_value(text: &str, slot: &Slot) -> bool {
    let Ok(table) = toml::from_str::<toml::Table>(text) else {
        return false;
    };
    table
        .get(slot.table())
        .and_then(|t| t.get(slot.key()))
        .is_some_and(|v| v.as_str().is_none_or(|s| !s.trim().is_empty()))
}

/// Reads a request file as text.
fn read_text(path: &Path, rel: &str) -> Result<(Vec<u8>, String), SecretError> {
    // A regular file, never through a link, of a request's bounded size.
    let bytes = crate::repo::read_regular_file(
        path,
        crate::model::policy::DocumentPolicy::default_max_toml_bytes(),
    )
    .map_err(|e| SecretError::ReadFile {
        path: path.to_owned(),
        source: io::Error::other(e.to_string()),
    })?;
    let text =
        String::from_utf8(bytes.clone()).map_err(|_| SecretError::NotToml(rel.to_owned()))?;
    Ok((bytes, text))
}

/// The slot a `set`/`show` key names for this port, checked against the requirements of
/// the port's country in porting.toml, with the requirement's `pattern` when it has one.
fn resolve_slot(
    key: &str,
    target: &Target,
    text: &str,
) -> Result<(Slot, Option<String>), SecretError> {
    if key == "pin" {
        return Ok((Slot::Pin, None));
    }
    let port = target.port();
    let policy = target.policy()?;
    let table: toml::Table =
        toml::from_str(text).map_err(|_| SecretError::NotToml(port.request_path()))?;
    let country = table
        .get("country")
        .and_then(|c| c.as_str())
        .and_then(|c| policy.country(c))
        .ok_or_else(|| SecretError::NoCountry(port.request_path()))?;
    let fields = || {
        country
            .requirements
            .iter()
            .filter(|r| r.kind == RequirementType::Field)
    };
    match fields().find(|r| r.key == key) {
        Some(req) if req.secret => Ok((Slot::Requirement(key.to_owned()), req.pattern.clone())),
        Some(_) => Err(SecretError::NotSecret {
            key: key.to_owned(),
        }),
        None => {
            let mut known = vec!["`pin`".to_owned()];
            known.extend(
                fields()
                    .filter(|r| r.secret)
                    .map(|r| format!("`{}`", r.key)),
            );
            let known = match known.len() {
                1 => "`pin` (porting.toml lists no secret requirement for this country)".to_owned(),
                _ => format!("one of {}", known.join(", ")),
            };
            Err(SecretError::UnknownKey {
                key: key.to_owned(),
                port: port.id.clone(),
                known,
            })
        }
    }
}

/// Runs `portflow secret set`, asking `read` for the value once everything else checked out.
pub fn set(
    args: &SecretSetArgs,
    env: &Environment,
    read: impl FnOnce(&str) -> Result<SecretString, SecretError>,
) -> Result<Output, SecretError> {
    let target = Target::find(&args.port, env)?;
    let rel = target.port().request_path();
    let path = target.request_file();
    let (bytes, text) = read_text(&path, &rel)?;
    let (slot, pattern) = resolve_slot(&args.key, &target, &text)?;
    let obtained_on = match (&slot, args.obtained_on) {
        (Slot::Pin, Some(date)) if date > env.today => {
            return Err(SecretError::ObtainedInFuture {
                obtained: date,
                today: env.today,
            });
        }
        (Slot::Pin, date) => Some(date.unwrap_or(env.today)),
        (_, Some(_)) => return Err(SecretError::ObtainedOnNotPin),
        (_, None) => None,
    };
    if let Some(stage) = target.stage().filter(|s| s.is_terminal()) {
        return Err(SecretError::Terminal {
            port: args.port.clone(),
            stage: stage.as_str(),
        });
    }
    let policy = target.policy()?;
    let recipients = recipients(policy)?;
    // Checked before the value is asked for: a missing key never costs a PIN entry.
    if recipients.is_empty() {
        return Err(SecretError::NoRecipients);
    }
    if !args.force && holds_value(&text, &slot) {
        return Err(SecretError::Exists {
            slot: slot.dotted(),
            port: args.port.clone(),
        });
    }
    let pattern = pattern
        .map(|p| match Regex::new(&p) {
            Ok(re) => Ok((re, p)),
            Err(_) => Err(SecretError::BadPattern {
                key: slot.key().to_owned(),
                pattern: p,
            }),
        })
        .transpose()?;
    // The value is asked for last, so a mistyped port or key never costs a PIN entry.
    let prompt = match &slot {
        Slot::Pin => format!("transfer PIN for `{}` (input hidden): ", args.port),
        Slot::Requirement(key) => format!("`{key}` for `{}` (input hidden): ", args.port),
    };
    let value = read(&prompt)?;
    match (&slot, &pattern) {
        (Slot::Pin, _) if !is_valid_pin(value.expose_secret()) => return Err(SecretError::BadPin),
        (Slot::Requirement(key), Some((re, pattern))) if !re.is_match(value.expose_secret()) => {
            return Err(SecretError::PatternMismatch {
                key: key.clone(),
                pattern: pattern.clone(),
            });
        }
        _ => {}
    }
    let armored = encrypt(&recipients, &value)?;
    drop(value);

    let nl = newline_of(&text);
    let mut new_text = set_value(&text, &rel, &slot, &armored_literal(&armored, nl), nl)?;
    if let Some(date) = obtained_on {
        new_text = set_obtained_on(&new_text, &rel, date, nl)?;
    }
    verify_edit(&text, &new_text, &rel, &slot, obtained_on.is_some())?;
    write_atomically(&path, &bytes, new_text.as_bytes())?;

    let count = recipients.len();
    let mut stdout = format!(
        "encrypted `{}` of `{}` to {count} recipient{} in `{rel}`\n",
        slot.dotted(),
        args.port,
        if count == 1 { "" } else { "s" }
    );
    if let Some(date) = obtained_on {
        stdout.push_str(&format!("set `end_user.pin_obtained_on` to {date}\n"));
    }
    Ok(Output {
        stdout,
        stderr: String::new(),
        exit: Exit::Clean,
    })
}

/// Runs `portflow secret show`: the one place a secret is printed, on explicit request.
pub fn show(args: &SecretShowArgs, env: &Environment) -> Result<Output, SecretError> {
    if args.identity.is_empty() {
        return Err(SecretError::MissingIdentity { command: "show" });
    }
    let target = Target::find(&args.port, env)?;
    let rel = target.port().request_path();
    let (_, text) = read_text(&target.request_file(), &rel)?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|_| SecretError::NotToml(rel.clone()))?;
    let stored_encrypted = table
        .get("requirements")
        .and_then(|r| r.get(&args.key))
        .and_then(|v| v.as_str())
        .is_some_and(is_age_armored);
    // A value stored encrypted may be shown even if porting.toml no longer asks for it;
    // otherwise the key must name a secret of the port's country.
    let slot = if args.key != "pin" && stored_encrypted {
        Slot::Requirement(args.key.clone())
    } else {
        resolve_slot(&args.key, &target, &text)?.0
    };
    let value = table.get(slot.table()).and_then(|t| t.get(slot.key()));
    let not_set = || SecretError::NotSet {
        port: args.port.clone(),
        slot: slot.dotted(),
        key: args.key.clone(),
    };
    let value = value.ok_or_else(not_set)?;
    let armored = value
        .as_str()
        .filter(|v| is_age_armored(v))
        .ok_or_else(|| SecretError::NotEncrypted {
            port: args.port.clone(),
            slot: slot.dotted(),
            key: args.key.clone(),
        })?;
    let identities = load_identities(&args.identity, &env.cwd)?;
    let plain = decrypt(armored, &identities).map_err(|why| SecretError::Decrypt {
        path: rel.clone(),
        slot: slot.dotted(),
        why,
    })?;
    Ok(Output {
        stdout: format!("{}\n", plain.expose_secret()),
        stderr: String::new(),
        exit: Exit::Clean,
    })
}

/// One value `rewrap` found.
struct Found {
    slot: Slot,
    armored: Option<String>,
}

/// The secret values of one request, in file order of their tables.
fn secrets_of(table: &toml::Table, secret_keys: &BTreeSet<String>) -> Vec<Found> {
    let mut found = Vec::new();
    if let Some(pin) = table.get("end_user").and_then(|u| u.get("pin")) {
        found.push(Found {
            slot: Slot::Pin,
            armored: pin
                .as_str()
                .filter(|v| is_age_armored(v))
                .map(str::to_owned),
        });
    }
    if let Some(reqs) = table.get("requirements").and_then(|r| r.as_table()) {
        for (key, value) in reqs {
            let armored = value.as_str().filter(|v| is_age_armored(v));
            // Anything stored encrypted is rewrapped, even if porting.toml no longer calls it secret.
            if armored.is_some() || secret_keys.contains(key) {
                found.push(Found {
                    slot: Slot::Requirement(key.clone()),
                    armored: armored.map(str::to_owned),
                });
            }
        }
    }
    found
}

/// A request file `rewrap` replaces once every value decrypted.
struct Rewrite {
    path: PathBuf,
    original: Vec<u8>,
    text: String,
    rel: String,
    slots: Vec<Slot>,
}

/// Runs `portflow secret rewrap`: every stored secret re-encrypted to the current recipients.
///
/// All values are decrypted and re-encrypted before any file is written, so a value that
/// cannot be decrypted leaves the repo untouched. Terminal ports are skipped: they never
/// change, and their old ciphertext stays readable in git history whatever is done now.
pub fn rewrap(args: &SecretRewrapArgs, env: &Environment) -> Result<Output, SecretError> {
    let tree = WorkTree::discover(&env.cwd).map_err(CheckError::from)?;
    let checked = check::check_tree(&tree, &[], env.today)?;
    let policy = checked
        .repo
        .policy
        .as_ref()
        .map(|p| &p.value)
        .ok_or(SecretError::InvalidPolicy)?;
    let recipients = recipients(policy)?;
    let secret_keys: BTreeSet<String> = policy
        .countries
        .values()
        .flat_map(|c| c.requirements.iter())
        .filter(|r| r.secret)
        .map(|r| r.key.clone())
        .collect();

    let mut identities: Option<Vec<Box<dyn age::Identity + Send + Sync>>> = None;
    let mut writes: Vec<Rewrite> = Vec::new();
    let mut skipped = Vec::new();
    let mut plaintext = Vec::new();
    for port in &checked.repo.ports {
        let rel = port.request_path();
        let path = tree.root.join(&rel);
        let (bytes, text) = read_text(&path, &rel)?;
        let table: toml::Table =
            toml::from_str(&text).map_err(|_| SecretError::NotToml(rel.clone()))?;
        let found = secrets_of(&table, &secret_keys);
        if found.is_empty() {
            continue;
        }
        let stage = checked
            .reports
            .iter()
            .find(|r| r.dir == port.dir)
            .map(|r| r.stage);
        if let Some(stage) = stage.filter(|s| s.is_terminal()) {
            skipped.push(format!(
                "skipped `{rel}`: the port is {}, and nothing in a terminal port changes\n",
                stage.as_str()
            ));
            continue;
        }
        let nl = newline_of(&text);
        let mut new_text = text.clone();
        let mut done = Vec::new();
        for f in found {
            let Some(armored) = f.armored else {
                plaintext.push(format!(
                    "`{}` in `{rel}` is not age-encrypted (`secret::plaintext`), left as it is: \
                     encrypt it with `portflow secret set {} {}`, and if it was ever pushed have \
                     the customer change it with the losing carrier\n",
                    f.slot.dotted(),
                    port.id,
                    f.slot.key()
                ));
                continue;
            };
            if identities.is_none() {
                if args.identity.is_empty() {
                    return Err(SecretError::MissingIdentity { command: "rewrap" });
                }
                identities = Some(load_identities(&args.identity, &env.cwd)?);
            }
            let ids = identities.as_deref().unwrap_or_default();
            let plain = decrypt(&armored, ids).map_err(|why| SecretError::Decrypt {
                path: rel.clone(),
                slot: f.slot.dotted(),
                why: format!("{why}; nothing was written"),
            })?;
            let fresh = encrypt(&recipients, &plain)?;
            drop(plain);
            new_text = set_value(&new_text, &rel, &f.slot, &armored_literal(&fresh, nl), nl)?;
            done.push(f.slot);
        }
        if !done.is_empty() {
            verify_rewrap(&text, &new_text, &rel, &done)?;
            writes.push(Rewrite {
                path,
                original: bytes,
                text: new_text,
                rel,
                slots: done,
            });
        }
    }

    let mut stdout = String::new();
    let mut values = 0;
    for w in &writes {
        write_atomically(&w.path, &w.original, w.text.as_bytes())?;
        for slot in &w.slots {
            stdout.push_str(&format!(
                "re-encrypted `{}` in `{}`\n",
                slot.dotted(),
                w.rel
            ));
            values += 1;
        }
    }
    let count = recipients.len();
    stdout.push_str(&format!(
        "{values} secret{} in {} request{} re-encrypted to {count} recipient{}\n",
        if values == 1 { "" } else { "s" },
        writes.len(),
        if writes.len() == 1 { "" } else { "s" },
        if count == 1 { "" } else { "s" },
    ));
    let mut stderr: String = skipped.concat();
    stderr.push_str(&plaintext.concat());
    Ok(Output {
        stdout,
        stderr,
        exit: if plaintext.is_empty() {
            Exit::Clean
        } else {
            Exit::Findings
        },
    })
}

// ── Editing request.toml by splicing ──────────────────────────────────────────────────────
//
// toml_edit's `DocumentMut` re-renders the whole file: it turns CRLF into LF and places new
// tables by its own rules. Splicing new text into the original at the spans toml_edit's
// `Document` reports keeps every other byte exactly as it was.

/// The line ending the file uses (CRLF when its first line ends with one).
fn newline_of(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if text[..i].ends_with('\r') => "\r\n",
        _ => "\n",
    }
}

/// An armored value as a TOML multi-line basic string, with the file's line endings.
fn armored_literal(armored: &str, nl: &str) -> String {
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
fn set_value(
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

/// Writes `pin_obtained_on`, keeping a quoted date quoted.
fn set_obtained_on(text: &str, rel: &str, date: Date, nl: &str) -> Result<String, SecretError> {
    let doc = toml_edit::Document::parse(text).map_err(|_| SecretError::NotToml(rel.to_owned()))?;
    let quoted = doc
        .get("end_user")
        .and_then(|u| u.get("pin_obtained_on"))
        .is_some_and(|v| v.is_str());
    let raw = if quoted {
        format!("\"{date}\"")
    } else {
        date.to_string()
    };
    splice(
        text,
        rel,
        "end_user",
        "pin_obtained_on",
        &raw,
        Some("pin"),
        nl,
    )
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

/// `verify` for `set`: the slot now holds an age value (and `pin_obtained_on` a date).
fn verify_edit(
    old: &str,
    new: &str,
    rel: &str,
    slot: &Slot,
    dated: bool,
) -> Result<(), SecretError> {
    let mut changed = vec![(slot.table(), slot.key())];
    if dated {
        changed.push(("end_user", "pin_obtained_on"));
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
fn verify_rewrap(old: &str, new: &str, rel: &str, slots: &[Slot]) -> Result<(), SecretError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn pin_slot(text: &str, raw: &str) -> String {
        set_value(text, "r.toml", &Slot::Pin, raw, newline_of(text)).expect("splices")
    }

    #[test]
    fn pins_are_four_to_ten_letters_or_digits() {
        assert!(is_valid_pin("4821"));
        assert!(is_valid_pin("AB12cd34EF"));
        assert!(!is_valid_pin("482"));
        assert!(!is_valid_pin("12345678901"));
        assert!(!is_valid_pin("48 21"));
        assert!(!is_valid_pin("4821!"));
    }

    #[test]
    fn one_line_strips_the_line_ending_and_refuses_more_lines() {
        let ok = one_line(SecretString::from("4821\r\n".to_owned())).expect("one line");
        assert_eq!(ok.expose_secret(), "4821");
        assert!(matches!(
            one_line(SecretString::from("4821\n9999\n".to_owned())),
            Err(SecretError::MultiLine)
        ));
        assert!(matches!(
            one_line(SecretString::from("  \n".to_owned())),
            Err(SecretError::EmptyValue)
        ));
    }

    #[test]
    fn replaces_a_value_in_place() {
        let text = "[end_user]\npin = \"1234\" # old\nname = \"x\"\n";
        assert_eq!(
            pin_slot(text, "\"\"\"A\"\"\""),
            "[end_user]\npin = \"\"\"A\"\"\" # old\nname = \"x\"\n"
        );
    }

    #[test]
    fn adds_the_pin_after_the_account_number() {
        let text = "[end_user]\naccount_number = \"1\"  # acct\nname = \"x\"\n\n[end_user.service_address]\nstreet = \"s\"\n";
        assert_eq!(
            pin_slot(text, "\"P\""),
            "[end_user]\naccount_number = \"1\"  # acct\npin = \"P\"\nname = \"x\"\n\n[end_user.service_address]\nstreet = \"s\"\n"
        );
    }

    #[test]
    fn adds_a_header_for_an_implicit_table() {
        let text = "a = 1\n\n# where\n[end_user.service_address]\nstreet = \"s\"\n";
        assert_eq!(
            pin_slot(text, "\"P\""),
            "a = 1\n\n[end_user]\npin = \"P\"\n\n# where\n[end_user.service_address]\nstreet = \"s\"\n"
        );
    }

    #[test]
    fn a_new_table_goes_before_the_arrays_of_tables_and_their_comments() {
        let text = "a = 1\n\n# the numbers\n[[numbers]]\nnumber = \"+1\"\n";
        let out = set_value(
            text,
            "r.toml",
            &Slot::Requirement("pac_code".into()),
            "\"P\"",
            "\n",
        )
        .expect("splices");
        assert_eq!(
            out,
            "a = 1\n\n[requirements]\npac_code = \"P\"\n\n# the numbers\n[[numbers]]\nnumber = \"+1\"\n"
        );
    }

    #[test]
    fn a_new_table_goes_at_the_end_without_arrays_of_tables() {
        let text = "a = 1";
        assert_eq!(
            pin_slot(text, "\"P\""),
            "a = 1\n\n[end_user]\npin = \"P\"\n"
        );
    }

    #[test]
    fn crlf_files_keep_crlf() {
        let text = "[end_user]\r\nname = \"x\"\r\n";
        let out = pin_slot(text, &armored_literal("A\nB", "\r\n"));
        assert_eq!(
            out,
            "[end_user]\r\nname = \"x\"\r\npin = \"\"\"A\r\nB\"\"\"\r\n"
        );
    }

    #[test]
    fn inline_and_dotted_tables_without_the_key_are_refused() {
        for text in ["end_user = { name = \"x\" }\n", "end_user.name = \"x\"\n"] {
            let err = set_value(text, "r.toml", &Slot::Pin, "\"P\"", "\n").expect_err("refused");
            assert!(matches!(err, SecretError::Layout { .. }), "{err}");
        }
    }

    #[test]
    fn round_trip_through_age() {
        let identity = age::x25519::Identity::generate();
        let value = SecretString::from("4821".to_owned());
        let armored = encrypt(&[identity.to_public()], &value).expect("encrypts");
        assert!(armored.starts_with(ARMOR_BEGIN));
        assert!(is_age_armored(&armored));
        let ids: Vec<Box<dyn age::Identity + Send + Sync>> = vec![Box::new(identity)];
        let plain = decrypt(&armored, &ids).expect("decrypts");
        assert_eq!(plain.expose_secret(), "4821");
        let other: Vec<Box<dyn age::Identity + Send + Sync>> =
            vec![Box::new(age::x25519::Identity::generate())];
        assert!(decrypt(&armored, &other).is_err());
    }
}
