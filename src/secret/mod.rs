//! Secrets in requests: transfer PINs and secret country requirements, age-encrypted to
//! porting.toml's recipients.
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

pub mod edit;

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use age::secrecy::{ExposeSecret, SecretString};

use crate::model::Date;
use crate::model::policy::Policy;
use crate::model::request::OBTAINED_ON;
use crate::repo::RepoError;

/// The first line of an armored age file.
pub const ARMOR_BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";

/// The shortest transfer PIN accepted: carriers use 4 to 10 letters or digits.
pub const PIN_MIN_LEN: usize = 4;
/// The longest transfer PIN accepted.
pub const PIN_MAX_LEN: usize = 10;

/// The most bytes read from piped standard input: far more than any PIN or code.
pub const MAX_INPUT_BYTES: u64 = 4096;

/// Failures of `portflow secret`. None of them ever carries a secret value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The repo could not be read.
    #[error(transparent)]
    Repo(#[from] RepoError),
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
    /// `--obtained-on` with a value that does not expire.
    #[error(
        "`--obtained-on` applies to `pin` and to requirements that expire (`max_age_days` in porting.toml) only"
    )]
    ObtainedOnNoAge,
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

    /// The key beside it that dates the value, e.g. `pin_obtained_on`.
    pub fn obtained_on_key(&self) -> String {
        format!("{}{OBTAINED_ON}", self.key())
    }

    /// The dotted name used in messages, e.g. `end_user.pin`.
    pub fn dotted(&self) -> String {
        format!("{}.{}", self.table(), self.key())
    }
}

/// Overwrites a buffer that held a secret before it is freed.
pub fn wipe(bytes: &mut [u8]) {
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

/// Whether a value is an ASCII-armored age file with a well-formed header (not decrypted).
pub fn is_age_armored(value: &str) -> bool {
    let trimmed = value.trim();
    if !trimmed.starts_with("-----BEGIN AGE ENCRYPTED FILE-----")
        || !trimmed.ends_with("-----END AGE ENCRYPTED FILE-----")
    {
        return false;
    }
    let reader = age::armor::ArmoredReader::new(trimmed.as_bytes());
    age::Decryptor::new(reader).is_ok()
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

#[cfg(test)]
mod tests {
    use super::edit::{armored_literal, newline_of, set_value};
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
