//! `portflow secret set | show | rewrap`: transfer PINs and secret country values, read
//! without echo, age-encrypted to porting.toml's recipients and spliced into request.toml.
//!
//! No value read or decrypted here ever reaches a message, an error or a log; the one
//! exception is the value `secret show` prints because it was asked to.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

use age::secrecy::{ExposeSecret, SecretString};
use regex::Regex;

use crate::cli::{SecretCommand, SecretRewrapArgs, SecretSetArgs, SecretShowArgs};
use crate::engine::{Checked, Scope};
use crate::git::past::check_work_tree;
use crate::model::policy::{Policy, RequirementType};
use crate::plural::count;
use crate::repo::{Port, WorkTree};
use crate::report::terminal;
use crate::secret::edit::{
    armored_literal, newline_of, set_obtained_on, set_value, verify_edit, verify_rewrap,
    write_atomically,
};
use crate::secret::{
    MAX_INPUT_BYTES, SecretError, Slot, decrypt, encrypt, is_age_armored, is_valid_pin,
    load_identities, one_line, recipients, wipe,
};
use crate::{Environment, Exit, Output};

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

/// The loaded repo and the one port named `id`.
struct Target {
    root: PathBuf,
    checked: Checked,
    port: usize,
}

impl Target {
    fn find(id: &str, env: &Environment) -> Result<Target, SecretError> {
        let tree = WorkTree::discover(&env.cwd)?;
        let checked = check_work_tree(&tree, &Scope::all(), env.today)?;
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
/// the port's country in porting.toml, with the requirement's `pattern` when it has one, and
/// whether the value expires (a PIN; a requirement with `max_age_days`).
fn resolve_slot(
    key: &str,
    target: &Target,
    text: &str,
) -> Result<(Slot, Option<String>, bool), SecretError> {
    if key == "pin" {
        return Ok((Slot::Pin, None, true));
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
        Some(req) if req.secret => Ok((
            Slot::Requirement(key.to_owned()),
            req.pattern.clone(),
            req.max_age_days.is_some(),
        )),
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
    let (slot, pattern, expires) = resolve_slot(&args.key, &target, &text)?;
    // A value that expires (a PIN, a PAC) is dated beside it; the date defaults to today.
    let obtained_on = match (expires, args.obtained_on) {
        (true, Some(date)) if date > env.today => {
            return Err(SecretError::ObtainedInFuture {
                obtained: date,
                today: env.today,
            });
        }
        (true, date) => Some(date.unwrap_or(env.today)),
        (false, Some(_)) => return Err(SecretError::ObtainedOnNoAge),
        (false, None) => None,
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
        new_text = set_obtained_on(&new_text, &rel, &slot, date, nl)?;
    }
    verify_edit(&text, &new_text, &rel, &slot, obtained_on.is_some())?;
    write_atomically(&path, &bytes, new_text.as_bytes())?;

    let mut stdout = format!(
        "encrypted `{}` of `{}` to {} in `{rel}`\n",
        slot.dotted(),
        args.port,
        count(recipients.len(), "recipient", "recipients")
    );
    if let Some(date) = obtained_on {
        stdout.push_str(&format!(
            "set `{}.{}` to {date}\n",
            slot.table(),
            slot.obtained_on_key()
        ));
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
    let tree = WorkTree::discover(&env.cwd)?;
    let checked = check_work_tree(&tree, &Scope::all(), env.today)?;
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
    stdout.push_str(&format!(
        "{} in {} re-encrypted to {}\n",
        count(values, "secret", "secrets"),
        count(writes.len(), "request", "requests"),
        count(recipients.len(), "recipient", "recipients"),
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
