//! The docs stay true to the code: every rule code is documented, and nothing else is.

use std::collections::BTreeSet;

use portflow::diag::Code;

fn rules_md() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md"))
        .expect("docs/rules.md")
}

#[test]
fn every_code_has_an_anchor_in_docs_rules_md() {
    let doc = rules_md();
    for code in Code::ALL {
        let anchor = format!("<a id=\"{}\"></a>", code.anchor());
        assert!(
            doc.contains(&anchor),
            "docs/rules.md lacks {anchor} for {code}"
        );
        assert!(
            doc.contains(&format!("### {}", code.as_str())),
            "docs/rules.md lacks a `### {code}` heading"
        );
        assert!(
            code.docs_url()
                .ends_with(&format!("docs/rules.md#{}", code.anchor()))
        );
    }
}

#[test]
fn docs_rules_md_documents_no_unknown_code() {
    let known: BTreeSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    let doc = rules_md();
    // Rule sections are `### family::rule` headings; other headings are prose.
    for heading in doc.lines().filter_map(|l| l.strip_prefix("### ")) {
        if heading.contains("::") {
            assert!(
                known.contains(heading.trim()),
                "docs/rules.md documents unknown code `{heading}`"
            );
        }
    }
}
