//! Helpers for the `render_*` tests: requests to render, and reading rendered PDFs back.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

/// A complete US request whose end user and address come from the arguments.
pub fn request(name: &str, person: &str, street: &str, numbers: &[(&str, &str)]) -> String {
    let mut out = format!(
        r#"#:schema ../../schemas/request.schema.json
account = "acme"
requested_by = "dana.reyes@example.com"
country = "US"
losing_carrier = "Comcast Business"
port_type = "full"

[end_user]
type = "business"
name = {name:?}
authorized_person = {person:?}
authorized_title = "Owner"
billing_number = "{btn}"

[end_user.service_address]
street = {street:?}
locality = "Seattle"
region = "WA"
postal_code = "98101"
country = "US"
"#,
        btn = numbers.first().map_or("+12065550100", |n| n.0),
    );
    for (number, kind) in numbers {
        out.push_str(&format!(
            "\n[[numbers]]\nnumber = \"{number}\"\ntype = \"{kind}\"\ntracking_source = \"Main line\"\nreceiving_number = \"+12065550199\"\n"
        ));
    }
    out
}

/// The text of every page of a PDF, parsed back with lopdf: each text run decoded with its
/// font's encoding (WinAnsi, or the embedded font's ToUnicode map), runs on the same
/// baseline joined into a line, lines from the top of the page down.
pub fn pages(bytes: &[u8]) -> Vec<String> {
    let doc = lopdf::Document::load_mem(bytes).expect("the PDF parses");
    doc.get_pages()
        .values()
        .map(|&page| {
            let encodings: BTreeMap<Vec<u8>, lopdf::Encoding> = doc
                .get_page_fonts(page)
                .expect("fonts")
                .into_iter()
                .map(|(name, font)| (name, font.get_font_encoding(&doc).expect("encoding")))
                .collect();
            let content = lopdf::content::Content::decode(&doc.get_page_content(page))
                .expect("content decodes");
            let mut encoding = None;
            let mut y = 0i64;
            let mut lines: BTreeMap<i64, String> = BTreeMap::new();
            for op in &content.operations {
                match op.operator.as_str() {
                    "Tf" => {
                        let name = op.operands[0].as_name().expect("font name");
                        encoding = encodings.get(name);
                    }
                    "Tm" => y = (op.operands[5].as_float().expect("y") * 10.0).round() as i64,
                    "Tj" => {
                        let raw = op.operands[0].as_str().expect("string");
                        let text = lopdf::Document::decode_text(encoding.expect("a font"), raw)
                            .expect("text decodes");
                        lines.entry(-y).or_default().push_str(&text);
                    }
                    _ => {}
                }
            }
            lines.into_values().collect::<Vec<_>>().join("\n")
        })
        .collect()
}

/// All text of a PDF with whitespace collapsed, so wrapped lines read as one.
pub fn text(bytes: &[u8]) -> String {
    pages(bytes)
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The width and height of each page, in points.
pub fn page_sizes(bytes: &[u8]) -> Vec<(f32, f32)> {
    let doc = lopdf::Document::load_mem(bytes).expect("the PDF parses");
    doc.get_pages()
        .values()
        .map(|id| {
            let page = doc.get_dictionary(*id).expect("page");
            let media = page
                .get(b"MediaBox")
                .and_then(|m| m.as_array())
                .expect("media box");
            let num = |o: &lopdf::Object| o.as_float().expect("number");
            (num(&media[2]), num(&media[3]))
        })
        .collect()
}

/// The base font names of a PDF's fonts.
pub fn fonts(bytes: &[u8]) -> Vec<String> {
    let doc = lopdf::Document::load_mem(bytes).expect("the PDF parses");
    let mut names: Vec<String> = doc
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter(|d| d.get(b"Type").and_then(|t| t.as_name()).ok() == Some(b"Font".as_slice()))
        .filter_map(|d| d.get(b"BaseFont").and_then(|b| b.as_name()).ok())
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Every file under `dir`, by path relative to it.
pub fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.expect("walk");
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(dir)
                .expect("under dir")
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(rel, std::fs::read(entry.path()).expect("read"));
        }
    }
    out
}
