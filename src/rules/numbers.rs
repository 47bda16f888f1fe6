//! Number rules: validity, region, duplicates, type, counts, and numbers in two open ports.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::diag::{Code, Finding};
use crate::model::request::NumberType;
use crate::numbering::{self, Type};
use crate::plural::noun;
use crate::rules::{Ctx, PortView};
use crate::stage::Stage;

/// The most numbers one request may hold; carriers take bigger ports as several orders.
const MAX_NUMBERS: usize = 1000;

/// The country calling code of the North American Numbering Plan.
const NANP_CODE: u16 = 1;

/// What libphonenumber's metadata says about a valid number.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Classified {
    /// ISO 3166-1 alpha-2 region; `None` for non-geographic codes such as `+800`.
    region: Option<&'static str>,
    /// The country calling code.
    code: u16,
    /// The metadata type (fixed line, mobile, toll-free, …).
    kind: Type,
}

impl Classified {
    /// NANP toll-free numbers are non-geographic: they fit every NANP country.
    fn is_nanp_toll_free(&self) -> bool {
        self.code == NANP_CODE && self.kind == Type::TollFree
    }
}

/// Whether `text` has the E.164 shape the schema requires (`+`, 7 to 15 digits, no
/// leading 0); anything else never reaches the parser, so odd input cannot trip it.
fn is_e164_shaped(text: &str) -> bool {
    let Some(digits) = text.strip_prefix('+') else {
        return false;
    };
    (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// Region and type of a number that libphonenumber's metadata holds valid; `None` otherwise.
fn classify(text: &str) -> Option<Classified> {
    if !is_e164_shaped(text) {
        return None;
    }
    let reading = numbering::read(text).filter(numbering::Reading::is_valid)?;
    Some(Classified {
        region: reading.region,
        code: reading.code,
        kind: reading.kind,
    })
}

/// Whether an E.164 number is valid per libphonenumber's metadata (any region).
pub fn is_valid(text: &str) -> bool {
    classify(text).is_some()
}

/// The region (ISO 3166-1 alpha-2, e.g. `GG` for a Guernsey `+44` number) of a valid number;
/// `None` when it is invalid or non-geographic (`+800`, `+882`, …).
pub fn region_of(text: &str) -> Option<String> {
    classify(text)?.region.map(str::to_owned)
}

/// Whether a valid number belongs to a country: its region is among the country's regions in
/// porting.toml (just the country itself when the country is not configured), or it is a NANP
/// toll-free number and the country has a NANP region (US, CA, …). Invalid numbers fit nothing.
pub fn fits_country(ctx: &Ctx<'_>, country: &str, number: &str) -> bool {
    let Some(classified) = classify(number) else {
        return false;
    };
    let own = [country.to_owned()];
    let regions = ctx
        .policy
        .country(country)
        .map_or(&own[..], |c| c.regions());
    fits(regions, &classified)
}

fn fits(regions: &[String], number: &Classified) -> bool {
    if let Some(region) = number.region
        && regions.iter().any(|r| r == region)
    {
        return true;
    }
    number.is_nanp_toll_free() && regions.iter().any(|r| is_nanp_region(r))
}

fn is_nanp_region(region: &str) -> bool {
    numbering::regions_of(NANP_CODE).contains(&region)
}

/// Whether a declared type contradicts the metadata type. Metadata types with no declared
/// counterpart (premium rate, shared cost, unknown, …) never contradict anything.
fn contradicts(declared: NumberType, metadata: Type) -> bool {
    let known = matches!(
        metadata,
        Type::FixedLine | Type::Mobile | Type::FixedLineOrMobile | Type::TollFree | Type::Voip
    );
    let agrees = match declared {
        NumberType::Landline => matches!(metadata, Type::FixedLine | Type::FixedLineOrMobile),
        NumberType::Mobile => matches!(metadata, Type::Mobile | Type::FixedLineOrMobile),
        NumberType::TollFree => metadata == Type::TollFree,
        // VoIP services often hand out geographic numbers.
        NumberType::Voip => matches!(
            metadata,
            Type::Voip | Type::FixedLine | Type::FixedLineOrMobile
        ),
    };
    known && !agrees
}

/// How the numbering plan names a metadata type, and the declared `type` that fits it.
fn describe(metadata: Type) -> (&'static str, &'static str) {
    match metadata {
        Type::FixedLine => ("a fixed-line number", "`type = \"landline\"`"),
        Type::Mobile => ("a mobile number", "`type = \"mobile\"`"),
        Type::FixedLineOrMobile => (
            "a geographic (fixed-line or mobile) number",
            "`type = \"landline\"`, `\"mobile\"` or `\"voip\"`",
        ),
        Type::TollFree => ("a toll-free number", "`type = \"toll-free\"`"),
        Type::Voip => ("a VoIP number", "`type = \"voip\"`"),
        _ => ("another kind of number", "the type on the customer's bill"),
    }
}

/// Rules on one request's numbers.
pub fn check(ctx: &Ctx<'_>, view: &PortView<'_>, out: &mut Vec<Finding>) {
    let request = view.request;
    let country = ctx.policy.country(&request.country);
    let mut classes = Vec::with_capacity(request.numbers.len());
    for (i, entry) in request.numbers.iter().enumerate() {
        let pointer = format!("/numbers/{i}/number");
        let class = classify(&entry.number);
        match &class {
            None => out.push(invalid_number(view, &pointer, "number", &entry.number)),
            Some(class) => {
                // An unconfigured country is `country::ineligible`; nothing to compare against.
                if let Some(country) = country
                    && !fits(country.regions(), class)
                {
                    out.push(country_mismatch(
                        ctx,
                        view,
                        &pointer,
                        &entry.number,
                        class,
                        country.regions(),
                    ));
                }
                if let Some(declared) = entry.kind
                    && contradicts(declared, class.kind)
                {
                    let (plan, fix) = describe(class.kind);
                    out.push(
                        view.at(
                            Code::NumberTypeMismatch,
                            &pointer,
                            format!(
                                "number `{}` is declared `{declared}` but the numbering plan makes it {plan}",
                                entry.number
                            ),
                        )
                        .label(format!("{plan}, not `{declared}`"))
                        .help(format!(
                            "check the customer's bill and set {fix} on this `[[numbers]]` entry; the type decides which carrier process and credentials the port needs"
                        )),
                    );
                }
            }
        }
        for (key, value) in [
            ("receiving_number", &entry.receiving_number),
            ("target_number", &entry.target_number),
        ] {
            if let Some(value) = value
                && !is_valid(value)
            {
                let pointer = format!("/numbers/{i}/{key}");
                out.push(invalid_number(view, &pointer, key, value));
            }
        }
        classes.push(class);
    }
    duplicates(view, out);
    too_many(view, out);
    mixed_toll_free(view, &classes, out);
}

fn invalid_number(view: &PortView<'_>, pointer: &str, key: &str, number: &str) -> Finding {
    let what = key.replace('_', " ");
    let help = if key == "number" {
        "check the digits against the customer's bill and write the number in E.164: `+`, country code, then the national number without its leading 0 (e.g. `+12065550143`)".to_owned()
    } else {
        format!(
            "`{key}` must be a number that can ring once the port completes: check its digits and write it in E.164 (e.g. `+12065550100`)"
        )
    };
    view.at(
        Code::NumberInvalid,
        pointer,
        format!("{what} `{number}` is not a valid phone number"),
    )
    .label(invalid_label(number))
    .help(help)
}

/// Says how far an invalid number got: a region, a country code, or nothing at all.
fn invalid_label(text: &str) -> String {
    let reading = if is_e164_shaped(text) {
        numbering::read(text)
    } else {
        None
    };
    match reading {
        Some(reading) => match reading.region {
            Some(region) => format!("not a valid `{region}` number"),
            None => format!("no such number under country code `+{}`", reading.code),
        },
        None => "not a number in any numbering plan".to_owned(),
    }
}

fn country_mismatch(
    ctx: &Ctx<'_>,
    view: &PortView<'_>,
    pointer: &str,
    number: &str,
    class: &Classified,
    regions: &[String],
) -> Finding {
    let country = &view.request.country;
    let holds = if regions.len() == 1 && regions[0] == *country {
        format!("a `{country}` request holds only `{country}` numbers")
    } else {
        let covers = regions
            .iter()
            .map(|r| format!("`{r}`"))
            .collect::<Vec<_>>()
            .join(", ");
        format!("a `{country}` request holds only numbers of {covers}")
    };
    let (message, label, help) = match &class.region {
        Some(region) => {
            // Name the configured country this number would port under, when there is one.
            let home = ctx
                .policy
                .countries
                .values()
                .find(|c| c.regions().iter().any(|r| r == region))
                .map(|c| c.code.clone());
            let help = match home {
                Some(home) => format!(
                    "{holds}: move this number to a request with `country = \"{home}\"`, or correct the number"
                ),
                None => format!(
                    "{holds}: remove this number, or, if the partner ports `{region}` numbers like `{country}` ones, add `{region}` to `regions` under `[countries.{country}]` in porting.toml"
                ),
            };
            (
                format!("number `{number}` is a `{region}` number, not a `{country}` one"),
                format!("a `{region}` number"),
                help,
            )
        }
        None => (
            format!(
                "number `{number}` is a non-geographic `+{}` number, not a `{country}` one",
                class.code
            ),
            "belongs to no country".to_owned(),
            format!(
                "{holds}: remove this number from the request; non-geographic numbers port through the partner's international desk"
            ),
        ),
    };
    view.at(Code::NumberCountryMismatch, pointer, message)
        .label(label)
        .help(help)
}

/// `number::duplicate`: every repeat points back at the first listing.
fn duplicates(view: &PortView<'_>, out: &mut Vec<Finding>) {
    let mut first: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, entry) in view.request.numbers.iter().enumerate() {
        match first.get(entry.number.as_str()) {
            None => {
                first.insert(&entry.number, i);
            }
            Some(&at) => out.push(
                view.at(
                    Code::NumberDuplicate,
                    &format!("/numbers/{i}/number"),
                    format!("number `{}` is listed twice", entry.number),
                )
                .label("listed again here")
                .related(
                    view.path(),
                    view.doc.span(&format!("/numbers/{at}/number")),
                    "first listed here",
                )
                .help("remove this `[[numbers]]` entry: each number is ported once, with one type and one routing"),
            ),
        }
    }
}

/// `number::too-many`, at the first entry beyond the limit.
fn too_many(view: &PortView<'_>, out: &mut Vec<Finding>) {
    let count = view.request.numbers.len();
    if count <= MAX_NUMBERS {
        return;
    }
    out.push(
        view.at_table(
            Code::NumberTooMany,
            &format!("/numbers/{MAX_NUMBERS}"),
            format!("the request lists {count} numbers, more than the {MAX_NUMBERS} one port may hold"),
        )
        .label(format!("number {} of {count}", MAX_NUMBERS + 1))
        .help(format!(
            "split the request: move the numbers from this entry on into a new port whose request says `split_from = \"{}\"`",
            view.port.id
        )),
    );
}

/// `number::mixed-toll-free`: one finding at the first number of the smaller group.
fn mixed_toll_free(view: &PortView<'_>, classes: &[Option<Classified>], out: &mut Vec<Finding>) {
    let mut toll_free = Vec::new();
    let mut geographic = Vec::new();
    for (i, (entry, class)) in view.request.numbers.iter().zip(classes).enumerate() {
        let declared = entry.kind == Some(NumberType::TollFree);
        match class {
            Some(c) if c.kind == Type::TollFree || declared => toll_free.push(i),
            Some(_) => geographic.push(i),
            // An invalid number is `number::invalid`; only its declared type says anything.
            None if declared => toll_free.push(i),
            None => {}
        }
    }
    let (Some(&first_toll_free), Some(&first_geographic)) = (toll_free.first(), geographic.first())
    else {
        return;
    };
    // The toll-free numbers are the ones to move on a tie: they are the RespOrg change.
    let (at, other, kind, other_kind) = if geographic.len() < toll_free.len() {
        (first_geographic, first_toll_free, "geographic", "toll-free")
    } else {
        (first_toll_free, first_geographic, "toll-free", "geographic")
    };
    let numbers = &view.request.numbers;
    out.push(
        view.at(
            Code::NumberMixedTollFree,
            &format!("/numbers/{at}/number"),
            format!(
                "the request mixes toll-free and geographic numbers: `{}` is {kind}, `{}` is {other_kind}",
                numbers[at].number, numbers[other].number
            ),
        )
        .label(format!("{kind}, among {other_kind} numbers"))
        .related(
            view.path(),
            view.doc.span(&format!("/numbers/{other}/number")),
            format!("{other_kind} number"),
        )
        .help(format!(
            "a toll-free number moves by a RespOrg change, which is a separate port: split the request, moving the {kind} numbers into a new port whose request says `split_from = \"{}\"`",
            view.port.id
        )),
    );
}

/// An open port's numbers as the rule across ports sees them: where each is listed. Kept
/// with a port's cached verdict, so ports not read again still hold their numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// The port id.
    pub id: String,
    /// Repo-relative path of its request.toml.
    pub path: String,
    /// Its stage.
    pub stage: Stage,
    /// Each `[[numbers]]` entry's number and the span of its value, in request order.
    pub numbers: Vec<(String, Range<usize>)>,
}

impl Holder {
    /// The numbers of an open port in `stage`.
    pub fn of(view: &PortView<'_>, stage: Stage) -> Holder {
        Holder {
            id: view.port.id.clone(),
            path: view.path(),
            stage,
            numbers: view
                .request
                .numbers
                .iter()
                .enumerate()
                .map(|(i, entry)| {
                    (
                        entry.number.clone(),
                        view.doc.span(&format!("/numbers/{i}/number")),
                    )
                })
                .collect(),
        }
    }
}

/// The numbers listed in more than one open port: for each, (port index, entry index) of
/// its first listing in each port, in port order.
fn shared(open: &[Holder]) -> Vec<(&str, Vec<(usize, usize)>)> {
    let mut listed: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
    for (p, holder) in open.iter().enumerate() {
        for (i, (number, _)) in holder.numbers.iter().enumerate() {
            let places = listed.entry(number.as_str()).or_default();
            // A repeat inside one port is `number::duplicate`, not another port.
            if places.last().is_none_or(|&(last, _)| last != p) {
                places.push((p, i));
            }
        }
    }
    let mut out: Vec<(&str, Vec<(usize, usize)>)> = listed
        .into_iter()
        .filter(|(_, places)| places.len() > 1)
        .collect();
    out.sort_unstable();
    out
}

/// The ports (indexes into `open`) that share a number with another open port.
pub fn sharing(open: &[Holder]) -> BTreeSet<usize> {
    shared(open)
        .into_iter()
        .flat_map(|(_, places)| places.into_iter().map(|(p, _)| p))
        .collect()
}

/// `number::in-other-port` across every open port.
pub fn check_across(open: &[Holder], out: &mut Vec<Finding>) {
    for (number, places) in shared(open) {
        for &(p, i) in &places {
            let holder = &open[p];
            let others: Vec<(&Holder, usize)> = places
                .iter()
                .filter(|&&(q, _)| q != p)
                .map(|&(q, j)| (&open[q], j))
                .collect();
            let names = others
                .iter()
                .map(|(other, _)| format!("`{}` ({})", other.id, other.stage))
                .collect::<Vec<_>>()
                .join(", ");
            let ports = noun(others.len(), "port", "ports");
            let mut finding = Finding::new(
                Code::NumberInOtherPort,
                holder.path.clone(),
                holder.numbers[i].1.clone(),
                format!("number `{number}` is also in open {ports} {names}"),
            )
            .label(format!("in {} open ports", others.len() + 1))
            .help(
                "a number can be in one open port at a time: remove it from one of the requests, or cancel the port that no longer applies with an `events/NNN-cancelled.toml` event",
            );
            for (other, j) in &others {
                finding = finding.related(
                    other.path.clone(),
                    other.numbers[*j].1.clone(),
                    format!("also in port `{}` ({})", other.id, other.stage),
                );
            }
            out.push(finding);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::policy::Policy;
    use crate::repo::{Loaded, Port};
    use crate::source::{Document, SourceFile};

    fn load<T: serde::de::DeserializeOwned>(path: &str, text: &str) -> Loaded<T> {
        let (file, _) = SourceFile::from_bytes(path, text.as_bytes(), &[]);
        let doc = Document::parse(file).expect("parses");
        let value = serde_json::from_value(doc.to_json()).expect("valid");
        Loaded { doc, value }
    }

    fn policy() -> Policy {
        load::<Policy>("porting.toml", include_str!("../../porting.toml")).value
    }

    /// A port `ports/<id>` whose request has `country` and these `[[numbers]]` (number, type).
    fn port(id: &str, country: &str, numbers: &[(&str, &str)]) -> Port {
        let mut text = format!(
            "account = \"acme\"\nrequested_by = \"a@example.com\"\ncountry = \"{country}\"\n"
        );
        for (number, kind) in numbers {
            text.push_str(&format!(
                "\n[[numbers]]\nnumber = \"{number}\"\ntype = \"{kind}\"\n"
            ));
        }
        let dir = format!("ports/{id}");
        Port {
            id: id.to_owned(),
            request: Some(load(&format!("{dir}/request.toml"), &text)),
            dir,
            events: Vec::new(),
            files: Vec::new(),
            invalid: false,
            probes: BTreeMap::new(),
            signed_files: BTreeMap::new(),
        }
    }

    fn view(port: &Port) -> PortView<'_> {
        let loaded = port.request.as_ref().expect("request");
        PortView {
            port,
            request: &loaded.value,
            doc: &loaded.doc,
            events: Vec::new(),
        }
    }

    /// Runs [`check`]; returns (code, source text of the span) per finding.
    fn run(port: &Port) -> Vec<(Code, String)> {
        let policy = policy();
        let view = view(port);
        let mut out = Vec::new();
        check(&ctx(&policy), &view, &mut out);
        out.iter()
            .map(|f| (f.code, view.doc.file.text[f.span.clone()].to_owned()))
            .collect()
    }

    fn ctx(policy: &Policy) -> Ctx<'_> {
        Ctx {
            policy,
            today: "2026-11-25".parse().expect("date"),
            past: &crate::rules::NoHistory,
        }
    }

    #[test]
    fn crown_dependencies_are_not_gb() {
        // libphonenumber example numbers; +44 7924 is IM's example but GB's metadata claims
        // it first, so IM is tested with its own leading digits (7624, 1624).
        for (number, region) in [
            ("+447400123456", "GB"),
            ("+442079460143", "GB"),
            ("+447924123456", "GB"),
            ("+447781123456", "GG"),
            ("+441481256789", "GG"),
            ("+447797712345", "JE"),
            ("+441534456789", "JE"),
            ("+447624123456", "IM"),
            ("+441624756789", "IM"),
        ] {
            assert_eq!(region_of(number).as_deref(), Some(region), "{number}");
        }
        let policy = policy();
        let ctx = ctx(&policy);
        assert!(fits_country(&ctx, "GB", "+447400123456"));
        for number in ["+447781123456", "+447797712345", "+447624123456"] {
            assert!(!fits_country(&ctx, "GB", number), "{number}");
        }
    }

    #[test]
    fn nanp_regions_follow_the_policy() {
        let policy = policy();
        let ctx = ctx(&policy);
        assert_eq!(region_of("+12015550123").as_deref(), Some("US"));
        assert_eq!(region_of("+16135550123").as_deref(), Some("CA"));
        assert_eq!(region_of("+17875550140").as_deref(), Some("PR"));
        assert!(fits_country(&ctx, "US", "+12015550123"));
        assert!(!fits_country(&ctx, "CA", "+12015550123"));
        assert!(fits_country(&ctx, "CA", "+16135550123"));
        assert!(!fits_country(&ctx, "US", "+16135550123"));
        // PR ports like the US (its `regions` in porting.toml).
        assert!(fits_country(&ctx, "US", "+17875550140"));
        assert!(!fits_country(&ctx, "CA", "+17875550140"));
        assert!(!fits_country(&ctx, "GB", "+12015550123"));
    }

    #[test]
    fn nanp_toll_free_fits_us_and_ca() {
        let policy = policy();
        let ctx = ctx(&policy);
        for number in ["+18005550142", "+18335550142", "+18885550142"] {
            assert_eq!(classify(number).map(|c| c.kind), Some(Type::TollFree));
            assert!(fits_country(&ctx, "US", number), "{number}");
            assert!(fits_country(&ctx, "CA", number), "{number}");
            assert!(!fits_country(&ctx, "GB", number), "{number}");
        }
        // GB freephone is toll-free too, but geographic to GB.
        assert!(fits_country(&ctx, "GB", "+448001234567"));
        assert!(!fits_country(&ctx, "US", "+448001234567"));
    }

    #[test]
    fn unconfigured_country_is_its_own_region() {
        let policy = policy();
        let ctx = ctx(&policy);
        assert!(fits_country(&ctx, "JE", "+447797712345"));
        assert!(!fits_country(&ctx, "JE", "+447400123456"));
    }

    #[test]
    fn invalid_numbers_have_no_region_and_fit_nothing() {
        let policy = policy();
        let ctx = ctx(&policy);
        for number in [
            "+12065550",
            "+12061550143",
            "+447700900123",
            "12065550143",
            "+1 206 555 0143",
            "",
            "+",
        ] {
            assert!(!is_valid(number), "{number}");
            assert_eq!(region_of(number), None, "{number}");
            assert!(!fits_country(&ctx, "US", number), "{number}");
        }
        assert!(is_valid("+12065550143"));
    }

    #[test]
    fn non_geographic_numbers_are_valid_without_a_region() {
        assert!(is_valid("+80012345678"));
        assert_eq!(region_of("+80012345678"), None);
    }

    #[test]
    fn declared_types_against_metadata() {
        use NumberType::*;
        // Fixed-or-mobile (all of NANP) never contradicts a geographic type.
        for declared in [Landline, Mobile, Voip] {
            assert!(!contradicts(declared, Type::FixedLineOrMobile));
        }
        assert!(contradicts(TollFree, Type::FixedLineOrMobile));
        assert!(!contradicts(Voip, Type::FixedLine));
        assert!(contradicts(Voip, Type::Mobile));
        assert!(contradicts(Mobile, Type::FixedLine));
        assert!(contradicts(Landline, Type::Mobile));
        assert!(contradicts(Landline, Type::TollFree));
        assert!(!contradicts(TollFree, Type::TollFree));
        for declared in NumberType::ALL {
            assert!(!contradicts(declared, Type::Unknown));
            assert!(!contradicts(declared, Type::PremiumRate));
        }
    }

    #[test]
    fn e164_shaped_input_never_panics() {
        // Every country calling code with national numbers of every length the schema allows.
        for code in 1..1000u32 {
            for len in 1..=14usize {
                let digits = format!("{code}{}", "5550143210987654".get(..len).unwrap_or(""));
                if digits.len() > 15 {
                    continue;
                }
                let number = format!("+{digits}");
                let _ = (is_valid(&number), region_of(&number));
            }
        }
    }

    #[test]
    fn an_invalid_number_gets_no_other_number_finding() {
        let port = port("t", "US", &[("+12061550143", "toll-free")]);
        assert_eq!(
            run(&port),
            [(Code::NumberInvalid, "\"+12061550143\"".to_owned())]
        );
    }

    #[test]
    fn routing_numbers_must_be_valid_anywhere() {
        let mut text = String::from(
            "account = \"acme\"\nrequested_by = \"a@example.com\"\ncountry = \"US\"\n",
        );
        text.push_str("[[numbers]]\nnumber = \"+12065550143\"\nreceiving_number = \"+442079460100\"\ntarget_number = \"+12065550\"\n");
        let port = Port {
            request: Some(load("ports/t/request.toml", &text)),
            ..port("t", "US", &[])
        };
        assert_eq!(
            run(&port),
            [(Code::NumberInvalid, "\"+12065550\"".to_owned())]
        );
    }

    #[test]
    fn unconfigured_country_skips_the_region_check() {
        let port = port("t", "NZ", &[("+12065550143", "landline")]);
        assert_eq!(run(&port), []);
    }

    #[test]
    fn mixed_toll_free_points_at_the_smaller_group() {
        let one_geographic = port(
            "t",
            "US",
            &[
                ("+18005550142", "toll-free"),
                ("+12065550143", "voip"),
                ("+18885550117", "toll-free"),
            ],
        );
        assert_eq!(
            run(&one_geographic),
            [(Code::NumberMixedTollFree, "\"+12065550143\"".to_owned())]
        );
        // On a tie the toll-free number is the one to move.
        let tie = port(
            "t",
            "US",
            &[("+12065550143", "landline"), ("+18005550142", "toll-free")],
        );
        assert_eq!(
            run(&tie),
            [(Code::NumberMixedTollFree, "\"+18005550142\"".to_owned())]
        );
        // Declared toll-free counts as toll-free even where the metadata disagrees.
        let declared = port(
            "t",
            "US",
            &[("+12065550143", "landline"), ("+12065550144", "toll-free")],
        );
        let codes: Vec<Code> = run(&declared).into_iter().map(|(c, _)| c).collect();
        assert_eq!(codes, [Code::NumberTypeMismatch, Code::NumberMixedTollFree]);
    }

    #[test]
    fn in_other_port_fires_in_every_port_once_each() {
        let a = port("a", "US", &[("+12065550143", "landline")]);
        // A repeat inside one port is `number::duplicate`, not a second cross-port finding.
        let b = port(
            "b",
            "US",
            &[("+12065550143", "landline"), ("+12065550143", "landline")],
        );
        let c = port(
            "c",
            "US",
            &[("+12065550144", "landline"), ("+12065550143", "landline")],
        );
        let open = [
            (view(&a), Stage::Draft),
            (view(&b), Stage::Submitted),
            (view(&c), Stage::Rejected),
        ];
        let holders: Vec<Holder> = open.iter().map(|(v, s)| Holder::of(v, *s)).collect();
        let mut out = Vec::new();
        check_across(&holders, &mut out);
        assert_eq!(sharing(&holders), BTreeSet::from([0, 1, 2]));
        let got: Vec<(String, usize, Vec<String>)> = out
            .iter()
            .map(|f| {
                (
                    f.file.to_string_lossy().into_owned(),
                    f.span.start,
                    f.related.iter().map(|r| r.label.clone()).collect(),
                )
            })
            .collect();
        let at =
            |view: &PortView<'_>, i: usize| view.doc.span(&format!("/numbers/{i}/number")).start;
        assert_eq!(
            got,
            [
                (
                    "ports/a/request.toml".to_owned(),
                    at(&open[0].0, 0),
                    vec![
                        "also in port `b` (submitted)".to_owned(),
                        "also in port `c` (rejected)".to_owned()
                    ]
                ),
                (
                    "ports/b/request.toml".to_owned(),
                    at(&open[1].0, 0),
                    vec![
                        "also in port `a` (draft)".to_owned(),
                        "also in port `c` (rejected)".to_owned()
                    ]
                ),
                (
                    "ports/c/request.toml".to_owned(),
                    at(&open[2].0, 1),
                    vec![
                        "also in port `a` (draft)".to_owned(),
                        "also in port `b` (submitted)".to_owned()
                    ]
                ),
            ]
        );
        assert!(out.iter().all(|f| f.code == Code::NumberInOtherPort));
    }
}
