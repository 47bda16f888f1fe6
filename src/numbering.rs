//! The numbering plan: whether an E.164 number is valid, its region and its type, decided
//! the way libphonenumber decides them, from the metadata the `phonenumber` crate carries.
//!
//! The crate's own checks go through one global regex cache that hashes a pattern's source
//! (some are kilobytes long) on every match and, keeping 100 of the metadata's ~2,500
//! patterns, compiles them again and again; they also depart from libphonenumber for
//! numbers with a national leading zero (Italy, Benin, …) and for numbers that start like a
//! national prefix (`+375 801…`). Here every pattern is compiled once, on first use, and
//! shared by all threads; `tests/numbering.rs` holds the result to libphonenumber's own
//! verdict on every example number of its metadata.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex, OnceLock};

use phonenumber::metadata::{DATABASE, Descriptor, Metadata};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::store::{append_record, appends, read_appended, read_record, write_record};

pub use phonenumber::Type;

/// The longest country calling code, in digits.
const MAX_CODE_DIGITS: usize = 3;
/// The shortest and longest national significant number libphonenumber parses.
const NSN_DIGITS: std::ops::RangeInclusive<usize> = 2..=17;

/// What the metadata says about a number: its calling code, its region and its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// The country calling code.
    pub code: u16,
    /// ISO 3166-1 alpha-2 region; `None` for non-geographic codes such as `+800`, and for a
    /// number no region of its calling code claims.
    pub region: Option<&'static str>,
    /// The metadata type; [`Type::Unknown`] when the number is not valid.
    pub kind: Type,
}

impl Reading {
    /// Whether the number is valid (libphonenumber's `isValidNumber`).
    pub fn is_valid(&self) -> bool {
        self.kind != Type::Unknown
    }
}

/// Reads an E.164 number (`+` and digits): `None` when no calling code fits or the
/// national number is too short or too long to be one (libphonenumber's `parse` fails).
/// Answered from the readings remembered ([`remember_in`]) when they hold the number.
pub fn read(e164: &str) -> Option<Reading> {
    match MEMO.get() {
        Some(memo) => memo.read(e164),
        None => read_plan(e164),
    }
}

/// [`read`], from the numbering plan.
fn read_plan(e164: &str) -> Option<Reading> {
    read_in(&PLAN, e164)
}

/// [`read`], from `plan`.
fn read_in(plan: &Plan, e164: &str) -> Option<Reading> {
    let digits = e164.strip_prefix('+')?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) || digits.starts_with('0') {
        return None;
    }
    // The first 1, 2 or 3 digits that are a calling code the metadata knows.
    let (code, regions, national) = (1..=MAX_CODE_DIGITS.min(digits.len())).find_map(|n| {
        let code: u16 = digits[..n].parse().ok()?;
        let regions = plan.get(&code)?;
        Some((code, regions, &digits[n..]))
    })?;
    let main = regions.first()?;
    // A national prefix written after the calling code is dropped when what is left is
    // still a number of the main region's possible lengths.
    let national = match main.strip_national_prefix(national) {
        Some(stripped) if main.takes_length_of(&stripped) => stripped,
        _ => national.to_owned(),
    };
    if !NSN_DIGITS.contains(&national.len()) {
        return None;
    }
    let found = if regions.len() == 1 {
        Some((main, main.kind(&national)))
    } else {
        regions.iter().find_map(|region| match &region.leading {
            Some(leading) => leading
                .is_match(&national)
                .then(|| (region, region.kind(&national))),
            None => {
                let kind = region.kind(&national);
                (kind != Type::Unknown).then_some((region, kind))
            }
        })
    };
    Some(match found {
        Some((region, kind)) => Reading {
            code,
            region: (region.id.0 != NON_GEOGRAPHIC).then_some(region.id.0),
            kind,
        },
        None => Reading {
            code,
            region: None,
            kind: Type::Unknown,
        },
    })
}

/// Gets ready to read numbers now rather than at the first number read: loading the
/// metadata takes about 100 ms of CPU (its patterns are checked as they load), so a caller
/// may have a spare thread do it while it reads files. With readings remembered, those are
/// read instead, and the plan is loaded only for a number they lack.
pub fn prepare() {
    match MEMO.get() {
        Some(memo) if !memo.known().is_empty() => {}
        _ => {
            LazyLock::force(&PLAN);
        }
    }
}

/// Remembers the readings of this process in the git directory `git_dir`
/// (`portflow/numbers.bin`), and reads the ones remembered there first; the first call
/// decides the place. A reading is what the metadata says of a number, and the metadata
/// is fixed with portflow's version, so a remembered reading is never stale.
pub fn remember_in(git_dir: &Path) {
    let _ = MEMO.set(Memo::at(git_dir.join("portflow").join(MEMO_FILE)));
}

/// Writes the readings remembered and those this process added, when it added any.
pub fn save_readings() {
    if let Some(memo) = MEMO.get() {
        memo.save();
    }
}

/// The readings of this process, remembered between runs.
static MEMO: OnceLock<Memo> = OnceLock::new();

const MEMO_FILE: &str = "numbers.bin";
/// Bumped whenever what is stored changes meaning.
const MEMO_FORMAT: u32 = 1;
/// The largest file read.
const MEMO_MAX_BYTES: u64 = 64 << 20;
/// The most readings kept: past it, only this run's are.
const MEMO_MAX_ENTRIES: usize = 1_000_000;

/// A reading as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Stored {
    code: u16,
    region: Option<String>,
    kind: Type,
}

impl Stored {
    fn of(reading: Reading) -> Stored {
        Stored {
            code: reading.code,
            region: reading.region.map(str::to_owned),
            kind: reading.kind,
        }
    }

    /// The reading, or `None` for a region that is not two capital letters (a broken file).
    fn reading(&self) -> Option<Reading> {
        let region = match &self.region {
            Some(id) => Some(alpha2(id)?),
            None => None,
        };
        Some(Reading {
            code: self.code,
            region,
            kind: self.kind,
        })
    }
}

/// The region id `id` (two capital letters) as a `'static` string.
fn alpha2(id: &str) -> Option<&'static str> {
    static ALL: LazyLock<Vec<String>> = LazyLock::new(|| {
        let letters = b'A'..=b'Z';
        letters
            .clone()
            .flat_map(|a| {
                letters
                    .clone()
                    .map(move |b| String::from_utf8_lossy(&[a, b]).into_owned())
            })
            .collect()
    });
    let &[a, b] = id.as_bytes() else {
        return None;
    };
    if !a.is_ascii_uppercase() || !b.is_ascii_uppercase() {
        return None;
    }
    Some(ALL[usize::from(a - b'A') * 26 + usize::from(b - b'A')].as_str())
}

#[derive(Serialize, Deserialize)]
struct MemoRecord {
    format: u32,
    version: String,
    readings: Vec<(String, Option<Stored>)>,
}

/// Readings by number (`None`: the number is not one).
type Readings = HashMap<String, Option<Reading>>;

/// Readings remembered in a file, read the first time one is asked for, and the readings
/// this run added, each read from the plan once.
struct Memo {
    path: PathBuf,
    /// The readings remembered, and how many records were appended to the file when it
    /// was whole and read.
    known: OnceLock<(Readings, Option<usize>)>,
    added: Mutex<HashMap<String, Option<Reading>>>,
}

impl Memo {
    fn at(path: PathBuf) -> Memo {
        Memo {
            path,
            known: OnceLock::new(),
            added: Mutex::new(HashMap::new()),
        }
    }

    /// The readings remembered (none when the file is missing, foreign or broken), with
    /// those later runs appended.
    fn known(&self) -> &Readings {
        &self.read_file().0
    }

    /// The readings remembered, and how many records were appended to the file when it
    /// was whole and read; read once.
    fn read_file(&self) -> &(Readings, Option<usize>) {
        self.known.get_or_init(|| {
            let Some(read) = read_appended::<MemoRecord, Vec<(String, Option<Stored>)>>(
                &self.path,
                MEMO_MAX_BYTES,
            )
            .filter(|r| {
                r.first.format == MEMO_FORMAT && r.first.version == env!("CARGO_PKG_VERSION")
            }) else {
                return (HashMap::new(), None);
            };
            let mut known = HashMap::with_capacity(read.first.readings.len());
            let stored = read
                .first
                .readings
                .into_iter()
                .chain(read.appended.into_iter().flatten());
            for (number, stored) in stored {
                let reading = match stored {
                    Some(stored) => match stored.reading() {
                        Some(reading) => Some(reading),
                        None => return (HashMap::new(), None),
                    },
                    None => None,
                };
                known.insert(number, reading);
            }
            (known, read.whole.then_some(read.appends))
        })
    }

    fn read(&self, e164: &str) -> Option<Reading> {
        if let Some(known) = self.known().get(e164) {
            return *known;
        }
        if let Some(added) = self.added.lock().ok().and_then(|a| a.get(e164).copied()) {
            return added;
        }
        let reading = read_plan(e164);
        if let Ok(mut added) = self.added.lock() {
            added.insert(e164.to_owned(), reading);
        }
        reading
    }

    fn save(&self) {
        let added = match self.added.lock() {
            Ok(mut added) => std::mem::take(&mut *added),
            Err(_) => return,
        };
        if added.is_empty() {
            return;
        }
        let (known, appended) = self.read_file();
        let appended = *appended;
        if appends(added.len(), known.len(), appended) {
            let mut record: Vec<(&String, Option<Stored>)> =
                added.iter().map(|(n, r)| (n, r.map(Stored::of))).collect();
            record.sort_by(|a, b| a.0.cmp(b.0));
            if append_record(&self.path, &record).is_some() {
                return;
            }
        }
        let keep_known = known.len() + added.len() <= MEMO_MAX_ENTRIES;
        let mut readings: Vec<(String, Option<Stored>)> = added
            .into_iter()
            .chain(
                known
                    .iter()
                    .filter(|_| keep_known)
                    .map(|(n, r)| (n.clone(), *r)),
            )
            .map(|(n, r)| (n, r.map(Stored::of)))
            .collect();
        // The numbers added are those the file lacked: no number is in both.
        readings.sort_by(|a, b| a.0.cmp(&b.0));
        let record = MemoRecord {
            format: MEMO_FORMAT,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            readings,
        };
        write_record(&self.path, &record);
    }
}

/// The regions that share a calling code, the main one first (`US` for `+1`).
pub fn regions_of(code: u16) -> Vec<&'static str> {
    PLAN.get(&code)
        .map(|regions| regions.iter().map(|r| r.id.0).collect())
        .unwrap_or_default()
}

/// The region id libphonenumber gives the non-geographic entities (`+800`, `+882`, …).
const NON_GEOGRAPHIC: &str = "001";

/// Every calling code's regions, main region first, as libphonenumber orders them.
type Plan = HashMap<u16, Vec<Region>>;

/// The plan: as this version of portflow last wrote it beside the remembered readings
/// ([`remember_in`]), or taken from the metadata (and written there). Taking it from the
/// metadata costs about 100 ms (the crate checks every pattern as it loads them); reading
/// the file, a few.
static PLAN: LazyLock<Plan> = LazyLock::new(|| {
    let file = MEMO.get().map(|memo| memo.path.with_file_name(PLAN_FILE));
    if let Some(plan) = file.as_deref().and_then(read_plan_file) {
        return plan;
    }
    let plan = plan_of_metadata();
    if let Some(file) = &file {
        write_plan_file(file, &plan);
    }
    plan
});

/// The plan from the `phonenumber` crate's metadata.
fn plan_of_metadata() -> Plan {
    (1..=999u16)
        .filter_map(|code| {
            let regions: Vec<Region> = DATABASE
                .by_code(&code)?
                .into_iter()
                .map(Region::of)
                .collect();
            (!regions.is_empty()).then_some((code, regions))
        })
        .collect()
}

const PLAN_FILE: &str = "plan.bin";
/// Bumped whenever what is stored changes meaning.
const PLAN_FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct PlanRecord {
    format: u32,
    version: String,
    codes: Vec<(u16, Vec<Region>)>,
}

/// The plan in `file`, when this version of portflow wrote it and every region in it is
/// one (a broken file is not trusted).
fn read_plan_file(file: &Path) -> Option<Plan> {
    let record = read_record::<PlanRecord>(file, MEMO_MAX_BYTES)
        .filter(|r| r.format == PLAN_FORMAT && r.version == env!("CARGO_PKG_VERSION"))?;
    let plan: Plan = record.codes.into_iter().collect();
    let whole = !plan.is_empty()
        && plan
            .values()
            .all(|regions| !regions.is_empty() && regions.iter().all(|r| !r.id.0.is_empty()));
    whole.then_some(plan)
}

fn write_plan_file(file: &Path, plan: &Plan) {
    let mut codes: Vec<(u16, &Vec<Region>)> = plan.iter().map(|(c, r)| (*c, r)).collect();
    codes.sort_by_key(|(code, _)| *code);
    #[derive(Serialize)]
    struct PlanRecordRef<'a> {
        format: u32,
        version: &'a str,
        codes: Vec<(u16, &'a Vec<Region>)>,
    }
    write_record(
        file,
        &PlanRecordRef {
            format: PLAN_FORMAT,
            version: env!("CARGO_PKG_VERSION"),
            codes,
        },
    );
}

/// A metadata pattern, compiled on first use. Anchored as libphonenumber applies it: whole
/// for a national number pattern, at the start for leading digits and national prefixes.
/// Stored as its source.
#[derive(Deserialize)]
#[serde(from = "String")]
struct Pattern {
    source: String,
    regex: OnceLock<Option<Regex>>,
}

impl Pattern {
    fn whole(source: &str) -> Pattern {
        Pattern::new(format!("^(?:{})$", without_spaces(source)))
    }

    fn start(source: &str) -> Pattern {
        Pattern::new(format!("^(?:{})", without_spaces(source)))
    }

    fn new(source: String) -> Pattern {
        Pattern {
            source,
            regex: OnceLock::new(),
        }
    }

    fn regex(&self) -> Option<&Regex> {
        // The metadata's patterns all compile (the crate checks them as it loads); one that
        // did not would match nothing.
        self.regex
            .get_or_init(|| Regex::new(&self.source).ok())
            .as_ref()
    }

    fn is_match(&self, text: &str) -> bool {
        self.regex().is_some_and(|r| r.is_match(text))
    }
}

impl From<String> for Pattern {
    fn from(source: String) -> Pattern {
        Pattern::new(source)
    }
}

impl Serialize for Pattern {
    fn serialize<S: serde::Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        out.serialize_str(&self.source)
    }
}

/// The metadata writes patterns across lines; libphonenumber drops all whitespace.
fn without_spaces(source: &str) -> String {
    source.chars().filter(|c| !c.is_whitespace()).collect()
}

/// One number type's pattern and the national lengths it allows (none listed: any).
#[derive(Serialize, Deserialize)]
struct Desc {
    pattern: Pattern,
    lengths: Vec<u16>,
}

impl Desc {
    fn of(desc: &Descriptor) -> Desc {
        Desc {
            pattern: Pattern::whole(desc.national_number().as_str()),
            lengths: desc.possible_length().to_vec(),
        }
    }

    /// libphonenumber's `isNumberMatchingDesc`: a possible length, then the whole pattern.
    fn matches(&self, national: &str) -> bool {
        (self.lengths.is_empty()
            || self
                .lengths
                .iter()
                .any(|&l| usize::from(l) == national.len()))
            && self.pattern.is_match(national)
    }
}

/// A region's metadata, as the validity, type and region checks use it.
#[derive(Serialize, Deserialize)]
struct Region {
    id: RegionId,
    /// Decides between regions sharing a calling code, when present.
    leading: Option<Pattern>,
    /// `nationalPrefixForParsing`, or the national prefix itself.
    national_prefix: Option<Pattern>,
    transform: Option<String>,
    general: Desc,
    /// Every type's national lengths, and its local-only lengths that are not among them.
    lengths: Vec<u16>,
    local_lengths: Vec<u16>,
    /// The types checked before fixed line and mobile, in libphonenumber's order.
    special: Vec<(Type, Desc)>,
    fixed_line: Option<Desc>,
    mobile: Option<Desc>,
    same_fixed_and_mobile: bool,
}

impl Region {
    fn of(meta: &'static Metadata) -> Region {
        let descs = meta.descriptors();
        let special = [
            (Type::PremiumRate, descs.premium_rate()),
            (Type::TollFree, descs.toll_free()),
            (Type::SharedCost, descs.shared_cost()),
            (Type::Voip, descs.voip()),
            (Type::PersonalNumber, descs.personal_number()),
            (Type::Pager, descs.pager()),
            (Type::Uan, descs.uan()),
            (Type::Voicemail, descs.voicemail()),
        ]
        .into_iter()
        .filter_map(|(kind, desc)| Some((kind, Desc::of(desc?))))
        .collect();
        // The general lengths are those of every type but "no international dialling"
        // (libphonenumber's build derives them so).
        let mut lengths = BTreeSet::new();
        let mut local = BTreeSet::new();
        for desc in [
            descs.fixed_line(),
            descs.mobile(),
            descs.toll_free(),
            descs.premium_rate(),
            descs.shared_cost(),
            descs.personal_number(),
            descs.voip(),
            descs.pager(),
            descs.uan(),
            descs.emergency(),
            descs.voicemail(),
            descs.short_code(),
            descs.standard_rate(),
            descs.carrier(),
        ]
        .into_iter()
        .flatten()
        {
            lengths.extend(desc.possible_length());
            local.extend(desc.possible_local_length());
        }
        let pattern_of = |desc: Option<&Descriptor>| {
            desc.map_or_else(String::new, |d| {
                without_spaces(d.national_number().as_str())
            })
        };
        let national_prefix = meta
            .national_prefix_for_parsing()
            .map(|p| p.as_str())
            .or(meta.national_prefix())
            .filter(|p| !p.is_empty())
            .map(Pattern::start);
        Region {
            id: RegionId(meta.id()),
            leading: meta.leading_digits().map(|p| Pattern::start(p.as_str())),
            national_prefix,
            transform: meta
                .national_prefix_transform_rule()
                .filter(|r| !r.is_empty())
                .map(str::to_owned),
            general: Desc {
                pattern: Pattern::whole(descs.general().national_number().as_str()),
                lengths: lengths.iter().copied().collect(),
            },
            local_lengths: local.difference(&lengths).copied().collect(),
            lengths: lengths.into_iter().collect(),
            special,
            fixed_line: descs.fixed_line().map(Desc::of),
            mobile: descs.mobile().map(Desc::of),
            same_fixed_and_mobile: pattern_of(descs.fixed_line()) == pattern_of(descs.mobile()),
        }
    }

    /// libphonenumber's `getNumberTypeHelper`.
    fn kind(&self, national: &str) -> Type {
        if !self.general.matches(national) {
            return Type::Unknown;
        }
        if let Some((kind, _)) = self.special.iter().find(|(_, d)| d.matches(national)) {
            return *kind;
        }
        let mobile = || self.mobile.as_ref().is_some_and(|d| d.matches(national));
        if self
            .fixed_line
            .as_ref()
            .is_some_and(|d| d.matches(national))
        {
            return if self.same_fixed_and_mobile || mobile() {
                Type::FixedLineOrMobile
            } else {
                Type::FixedLine
            };
        }
        if !self.same_fixed_and_mobile && mobile() {
            return Type::Mobile;
        }
        Type::Unknown
    }

    /// libphonenumber's `maybeStripNationalPrefixAndCarrierCode`: the number without its
    /// national prefix (transformed where the metadata says so), unless only the number as
    /// written fits the region's general pattern.
    fn strip_national_prefix(&self, national: &str) -> Option<String> {
        let caps = self.national_prefix.as_ref()?.regex()?.captures(national)?;
        let end = caps.get(0)?.end();
        let viable = |n: &str| self.general.pattern.is_match(n);
        // Java's `group(groupCount())`: the last group, or the whole match when there is none.
        let last_group = caps.get(caps.len() - 1);
        let stripped = match (self.transform.as_deref(), last_group) {
            (Some(rule), Some(_)) => format!("{}{}", expand(rule, &caps), &national[end..]),
            _ => national[end..].to_owned(),
        };
        if viable(national) && !viable(&stripped) {
            return None;
        }
        Some(stripped)
    }

    /// Whether a number stripped of its national prefix is kept: libphonenumber's
    /// `testNumberLength` says it is possible or too long, not too short, local only or of
    /// a length between the possible ones.
    fn takes_length_of(&self, national: &str) -> bool {
        let len = national.len();
        let (Some(&min), Some(&max)) = (self.lengths.first(), self.lengths.last()) else {
            return false;
        };
        if self.local_lengths.iter().any(|&l| usize::from(l) == len) {
            return false;
        }
        let (min, max) = (usize::from(min), usize::from(max));
        len > max || (len >= min && self.lengths.iter().any(|&l| usize::from(l) == len))
    }
}

/// A region's id: two capital letters, or [`NON_GEOGRAPHIC`]; empty when a stored plan
/// named no region. Stored as its text.
#[derive(Clone, Copy)]
struct RegionId(&'static str);

impl Serialize for RegionId {
    fn serialize<S: serde::Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        out.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for RegionId {
    fn deserialize<D: serde::Deserializer<'de>>(input: D) -> Result<RegionId, D::Error> {
        let id = String::deserialize(input)?;
        Ok(RegionId(match id.as_str() {
            NON_GEOGRAPHIC => NON_GEOGRAPHIC,
            other => alpha2(other).unwrap_or(""),
        }))
    }
}

/// A `nationalPrefixTransformRule` with its groups filled in. The rules are written for
/// Java's `replaceFirst`: `$1` is a group, `\` escapes the next character.
fn expand(rule: &str, caps: &regex::Captures<'_>) -> String {
    let groups = caps.len() - 1;
    let mut out = String::new();
    let mut chars = rule.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '$' => {
                // Java reads the first digit, then more while the group number still exists.
                let mut group = 0;
                let mut digits = 0;
                while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                    let next = group * 10 + d as usize;
                    if digits > 0 && next > groups {
                        break;
                    }
                    group = next;
                    digits += 1;
                    chars.next();
                }
                if digits == 0 {
                    out.push('$');
                } else {
                    out.push_str(caps.get(group).map_or("", |m| m.as_str()));
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Guards remembering readings: a memo gives the plan's reading of every number, read
    // before or not, keeps what it read for the next run, and answers from its file.
    #[test]
    fn remembered_readings_are_the_plans_and_come_from_the_file() {
        let temp = tempfile::tempdir().expect("tempdir");
        let path = temp.path().join("portflow").join(MEMO_FILE);
        let numbers = [
            "+12065550143",
            "+18002345678",
            "+14165550143",
            "+80012345678",
            "+447912345678",
            "+12065550",
            "+9991234567",
            "+390212345678",
        ];
        let first = Memo::at(path.clone());
        for n in numbers {
            assert_eq!(first.read(n), read_plan(n), "{n}");
        }
        first.save();
        let second = Memo::at(path.clone());
        assert_eq!(second.known().len(), numbers.len());
        for n in numbers {
            assert_eq!(second.read(n), read_plan(n), "{n}");
        }
        assert!(second.added.lock().expect("lock").is_empty());

        // The file is what answers: an edited reading is what it gives.
        let mut record: MemoRecord = read_record(&path, MEMO_MAX_BYTES).expect("record");
        for (number, stored) in &mut record.readings {
            if number == "+12065550143" {
                *stored = Some(Stored {
                    code: 1,
                    region: Some("CA".to_owned()),
                    kind: Type::Mobile,
                });
            }
        }
        write_record(&path, &record);
        let third = Memo::at(path.clone());
        assert_eq!(
            third.read("+12065550143").and_then(|r| r.region),
            Some("CA")
        );

        // A region that is no region: nothing of the file is trusted.
        for stored in record.readings.iter_mut().filter_map(|(_, s)| s.as_mut()) {
            stored.region = Some("c\u{0}".to_owned());
        }
        write_record(&path, &record);
        let fourth = Memo::at(path);
        assert!(fourth.known().is_empty());
        assert_eq!(fourth.read("+12065550143"), read_plan("+12065550143"));
    }

    // Guards appending readings: a run that reads a few new numbers appends them, and the
    // next run reads them with the rest.
    #[test]
    fn new_readings_are_appended_and_read_back() {
        let temp = tempfile::tempdir().expect("tempdir");
        let path = temp.path().join("portflow").join(MEMO_FILE);
        let first = Memo::at(path.clone());
        for n in 0..20 {
            first.read(&format!("+1206555{n:04}"));
        }
        first.save();
        let size = std::fs::metadata(&path).expect("file").len();
        let second = Memo::at(path.clone());
        assert_eq!(second.read("+14165550143"), read_plan("+14165550143"));
        second.save();
        let grown = std::fs::metadata(&path).expect("file").len() - size;
        assert!(grown < 80, "appended: {grown} bytes");
        let third = Memo::at(path);
        assert_eq!(third.known().len(), 21);
        assert_eq!(
            third.known().get("+14165550143").copied().flatten(),
            read_plan("+14165550143")
        );
    }

    // Guards the stored plan: read back from its file, it reads every example number of
    // the metadata (and numbers around them) as the plan taken from the metadata does, and
    // a file naming a region that is none is not trusted.
    #[test]
    fn a_stored_plan_reads_numbers_as_the_metadata_does() {
        let temp = tempfile::tempdir().expect("tempdir");
        let file = temp.path().join(PLAN_FILE);
        let plan = plan_of_metadata();
        write_plan_file(&file, &plan);
        let stored = read_plan_file(&file).expect("stored plan");
        let examples = include_str!("../tests/fixtures/phone-examples/examples.tsv");
        let mut numbers: Vec<String> = examples
            .lines()
            .filter_map(|line| line.split('\t').find(|f| f.starts_with('+')))
            .map(str::to_owned)
            .collect();
        let around: Vec<String> = numbers
            .iter()
            .flat_map(|n| {
                [
                    format!("{n}0"),
                    n[..n.len() - 1].to_owned(),
                    n.replace('+', "+0"),
                ]
            })
            .collect();
        numbers.extend(around);
        assert!(numbers.len() > 3_000, "{} numbers", numbers.len());
        for n in &numbers {
            assert_eq!(read_in(&stored, n), read_in(&plan, n), "{n}");
        }

        let mut record: PlanRecord = read_record(&file, MEMO_MAX_BYTES).expect("record");
        record.codes[0].1[0].id = RegionId("");
        write_record(&file, &record);
        assert!(read_plan_file(&file).is_none());
    }

    fn kind(e164: &str) -> Option<(Option<&'static str>, Type)> {
        read(e164)
            .filter(Reading::is_valid)
            .map(|r| (r.region, r.kind))
    }

    #[test]
    fn regions_and_types_follow_the_metadata() {
        assert_eq!(
            kind("+12065550143"),
            Some((Some("US"), Type::FixedLineOrMobile))
        );
        assert_eq!(kind("+18002345678"), Some((Some("US"), Type::TollFree)));
        assert_eq!(kind("+14165550143").map(|k| k.0), Some(Some("CA")));
        assert_eq!(kind("+80012345678"), Some((None, Type::TollFree)));
        assert_eq!(kind("+447912345678"), Some((Some("GB"), Type::Mobile)));
        assert_eq!(kind("+12065550"), None);
        assert_eq!(read("+9991234567"), None);
    }

    #[test]
    fn national_leading_zeros_are_part_of_the_number() {
        // The crate reads these as valid numbers of no known type or region.
        assert_eq!(kind("+390212345678"), Some((Some("IT"), Type::FixedLine)));
        assert_eq!(kind("+2290120211234").map(|k| k.0), Some(Some("BJ")));
    }

    #[test]
    fn a_number_that_looks_like_a_national_prefix_keeps_it() {
        // Belarus' national prefix is 8; 801 is its toll-free range.
        assert_eq!(kind("+3758011234567"), Some((Some("BY"), Type::TollFree)));
    }

    #[test]
    fn transform_rules_read_groups_as_java_does() {
        let re = Regex::new("^(?:0(\\d)(\\d))").unwrap();
        let caps = re.captures("0123").unwrap();
        assert_eq!(expand("9$1", &caps), "91");
        assert_eq!(expand("$15", &caps), "15");
        assert_eq!(expand("$2$1\\$", &caps), "21$");
    }

    #[test]
    fn odd_input_reads_as_nothing() {
        for text in ["", "+", "12065550143", "+1206555014x", "+0123456789", "+1"] {
            assert!(kind(text).is_none(), "{text}");
        }
    }
}
