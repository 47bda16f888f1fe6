//! The numbering plan gives libphonenumber's own verdict (valid, region, type) on every
//! example number of its metadata (tests/fixtures/phone-examples, see SOURCE.md there).

use portflow::numbering::{self, Type};
use portflow::rules::numbers;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/phone-examples");

fn rows(file: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(format!("{DIR}/{file}")).expect("fixture");
    text.lines()
        .skip(1)
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

fn type_name(kind: Type) -> &'static str {
    match kind {
        Type::FixedLine => "fixed-line",
        Type::Mobile => "mobile",
        Type::FixedLineOrMobile => "fixed-line-or-mobile",
        Type::TollFree => "toll-free",
        Type::Voip => "voip",
        Type::PremiumRate => "premium-rate",
        Type::SharedCost => "shared-cost",
        Type::PersonalNumber => "personal-number",
        Type::Pager => "pager",
        Type::Uan => "uan",
        Type::Voicemail => "voicemail",
        _ => "unknown",
    }
}

#[test]
fn every_example_number_gets_libphonenumbers_verdict() {
    let examples = rows("examples.tsv");
    let verdicts = rows("verdicts.tsv");
    assert_eq!(examples.len(), 777);
    assert_eq!(examples.len(), verdicts.len());
    let mut wrong = Vec::new();
    for (example, verdict) in examples.iter().zip(&verdicts) {
        let (territory, kind, e164) = (&example[0], &example[2], &example[4]);
        assert_eq!(
            e164, &verdict[0],
            "the two files list the same numbers in order"
        );
        // The verdict agrees with the metadata the example comes from.
        let fits = match kind.as_str() {
            "fixedLine" => ["fixed-line", "fixed-line-or-mobile"].contains(&verdict[3].as_str()),
            "mobile" => ["mobile", "fixed-line-or-mobile"].contains(&verdict[3].as_str()),
            "tollFree" => verdict[3] == "toll-free",
            "voip" => verdict[3] == "voip",
            other => panic!("unexpected type {other}"),
        };
        assert!(
            fits && verdict[1] == "true",
            "{territory} {kind} {e164}: {verdict:?}"
        );

        let reading = numbering::read(e164);
        let got = reading.map(|r| {
            [
                r.is_valid().to_string(),
                r.region.unwrap_or("001").to_owned(),
                type_name(r.kind).to_owned(),
            ]
        });
        let expected = [verdict[1].clone(), verdict[2].clone(), verdict[3].clone()];
        if got.as_ref() != Some(&expected) {
            wrong.push(format!(
                "{territory} {kind} {e164}: got {got:?}, libphonenumber says {expected:?}"
            ));
        }
        // The rules see the same.
        let region = (verdict[2] != "001").then(|| verdict[2].clone());
        if !numbers::is_valid(e164) || numbers::region_of(e164) != region {
            wrong.push(format!("{e164}: the number rules disagree"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of 777 wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn a_changed_digit_or_length_is_judged_as_libphonenumber_does() {
    // Numbers the `phonenumber` crate's own checks get wrong.
    assert_eq!(
        numbering::read("+390212345678").map(|r| (r.region, r.kind)),
        Some((Some("IT"), Type::FixedLine))
    );
    assert!(numbering::read("+78001234567").is_some_and(|r| r.is_valid()));
    // Too short, too long, no such calling code.
    assert!(!numbers::is_valid("+1206555014"));
    assert!(!numbers::is_valid("+120655501430"));
    assert_eq!(numbering::read("+9991234567"), None);
}
