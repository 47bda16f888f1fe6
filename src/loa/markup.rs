//! The LOA markup: what a template renders and the layout typesets. Line-based: a line
//! starting with `@` is a directive (`@title`, `@heading`, `@item`, `@field Label | Value`,
//! `@table`/`@row`/`@end`, `@signature`, `@pagebreak`, …), other lines are paragraph
//! text, `*…*` is bold, and `\` makes the next character literal. Values from the data
//! are escaped by [`escape`], so user text can never be read as markup.
//! docs/templates.md is the reference.

/// Why rendered markup cannot be typeset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} of the rendered markup: {message}")]
pub struct MarkupError {
    /// 1-based line in the rendered markup.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// A run of text in one weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The text, escapes resolved.
    pub text: String,
    /// Whether it is bold.
    pub bold: bool,
}

/// Text with bold runs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inline(pub Vec<Span>);

impl Inline {
    /// The text without formatting.
    pub fn plain(&self) -> String {
        self.0.iter().map(|s| s.text.as_str()).collect()
    }

    /// Whether there is no visible text.
    pub fn is_blank(&self) -> bool {
        self.0.iter().all(|s| s.text.trim().is_empty())
    }
}

/// One block of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// `@title`: the document title.
    Title(Inline),
    /// `@heading`: a section heading.
    Heading(Inline),
    /// Plain lines: a paragraph.
    Paragraph(Inline),
    /// `@small`: a paragraph in small type.
    Small(Inline),
    /// `@item`: a bulleted list item; consecutive items form a list.
    Item(Inline),
    /// Consecutive `@field Label | Value` lines.
    Fields(Vec<(Inline, Inline)>),
    /// `@table` … `@row` … `@end`: the header repeats on every page the table spans.
    Table {
        /// Column headings.
        header: Vec<Inline>,
        /// Rows, each with as many cells as the header.
        rows: Vec<Vec<Inline>>,
    },
    /// `@signature A | B | …`: a line to sign or write on above each label.
    Signature(Vec<Inline>),
    /// `@space`: vertical space.
    Space,
    /// `@pagebreak`: the next block starts a new page.
    PageBreak,
}

/// A parsed document: blocks and page furniture settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Markup {
    /// The blocks in order.
    pub blocks: Vec<Block>,
    /// `@page-label Page | of`: the words of "Page X of Y".
    pub page_label: (String, String),
    /// `@footer-label Port | LOA digest`: the labels of the footer's port id and digest.
    pub footer_label: (String, String),
    /// `@initials Initials`: a box to initial on every page, with this label.
    pub initials: Option<String>,
}

/// Escapes a value for the markup: `\`, `@`, `|` and `*` get a backslash, and line breaks
/// and other control characters become spaces, so a value stays on its line as text.
pub fn escape(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '\\' | '@' | '|' | '*' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => out.push(' '),
            c => out.push(c),
        }
    }
}

/// Splits a directive's argument into inline cells at unescaped `|` (when `cells` is
/// true), resolving escapes and `*` bold toggles.
fn inline_cells(text: &str, cells: bool, line: usize) -> Result<Vec<Inline>, MarkupError> {
    let mut out = vec![Inline::default()];
    let mut bold = false;
    let mut current = String::new();
    let mut chars = text.chars();
    let flush = |out: &mut Vec<Inline>, current: &mut String, bold: bool| {
        if !current.is_empty() {
            if let Some(cell) = out.last_mut() {
                cell.0.push(Span {
                    text: std::mem::take(current),
                    bold,
                });
            }
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next) => current.push(next),
                None => current.push('\\'),
            },
            '*' => {
                flush(&mut out, &mut current, bold);
                bold = !bold;
            }
            '|' if cells => {
                if bold {
                    return Err(MarkupError {
                        line,
                        message: "a `*` bold run is not closed before `|`".to_owned(),
                    });
                }
                flush(&mut out, &mut current, bold);
                out.push(Inline::default());
            }
            c => current.push(c),
        }
    }
    flush(&mut out, &mut current, bold);
    if bold {
        return Err(MarkupError {
            line,
            message: "a `*` bold run is not closed (write `\\*` for a literal asterisk)".to_owned(),
        });
    }
    for cell in &mut out {
        trim(cell);
    }
    Ok(out)
}

/// Trims whitespace at both ends of an inline text.
fn trim(inline: &mut Inline) {
    if let Some(first) = inline.0.first_mut() {
        first.text = first.text.trim_start().to_owned();
    }
    if let Some(last) = inline.0.last_mut() {
        last.text = last.text.trim_end().to_owned();
    }
    inline.0.retain(|s| !s.text.is_empty());
}

fn one(text: &str, line: usize) -> Result<Inline, MarkupError> {
    Ok(inline_cells(text, false, line)?.pop().unwrap_or_default())
}

fn two_words(cells: Vec<Inline>, line: usize, name: &str) -> Result<(String, String), MarkupError> {
    match cells.as_slice() {
        [a, b] => Ok((a.plain(), b.plain())),
        _ => Err(MarkupError {
            line,
            message: format!("`@{name}` takes two words separated by `|`"),
        }),
    }
}

/// Parses rendered markup.
pub fn parse(text: &str) -> Result<Markup, MarkupError> {
    let mut doc = Markup {
        blocks: Vec::new(),
        page_label: ("Page".to_owned(), "of".to_owned()),
        footer_label: ("Port".to_owned(), "LOA digest".to_owned()),
        initials: None,
    };
    let mut paragraph: Option<(String, usize)> = None;
    let mut table: Option<(usize, Vec<Inline>, Vec<Vec<Inline>>)> = None;
    let end_paragraph = |doc: &mut Markup, paragraph: &mut Option<(String, usize)>| {
        if let Some((text, line)) = paragraph.take() {
            let inline = one(&text, line)?;
            if !inline.is_blank() {
                doc.blocks.push(Block::Paragraph(inline));
            }
        }
        Ok::<(), MarkupError>(())
    };
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        let Some(directive) = trimmed.strip_prefix('@') else {
            if table.is_some() && !trimmed.is_empty() {
                return Err(MarkupError {
                    line,
                    message:
                        "text inside a table: rows start with `@row`, and `@end` closes the table"
                            .to_owned(),
                });
            }
            if trimmed.is_empty() {
                end_paragraph(&mut doc, &mut paragraph)?;
            } else if let Some((text, _)) = &mut paragraph {
                text.push(' ');
                text.push_str(trimmed);
            } else {
                paragraph = Some((trimmed.to_owned(), line));
            }
            continue;
        };
        end_paragraph(&mut doc, &mut paragraph)?;
        let (name, rest) = directive
            .split_once(char::is_whitespace)
            .map_or((directive, ""), |(n, r)| (n, r.trim()));
        if let Some((start, header, rows)) = &mut table {
            match name {
                "row" => {
                    let cells = inline_cells(rest, true, line)?;
                    if cells.len() != header.len() {
                        return Err(MarkupError {
                            line,
                            message: format!(
                                "this row has {} cells but the table opened on line {start} has {} columns",
                                cells.len(),
                                header.len()
                            ),
                        });
                    }
                    rows.push(cells);
                }
                "end" => {
                    if let Some((_, header, rows)) = table.take() {
                        doc.blocks.push(Block::Table { header, rows });
                    }
                }
                other => {
                    return Err(MarkupError {
                        line,
                        message: format!(
                            "`@{other}` inside the table opened on line {start}: close it with `@end` first"
                        ),
                    });
                }
            }
            continue;
        }
        match name {
            "title" => doc.blocks.push(Block::Title(one(rest, line)?)),
            "heading" => doc.blocks.push(Block::Heading(one(rest, line)?)),
            "small" => doc.blocks.push(Block::Small(one(rest, line)?)),
            "item" => doc.blocks.push(Block::Item(one(rest, line)?)),
            "field" => {
                let cells = inline_cells(rest, true, line)?;
                let [label, value]: [Inline; 2] = cells.try_into().map_err(|_| MarkupError {
                    line,
                    message: "`@field` takes a label and a value: `@field Label | Value`"
                        .to_owned(),
                })?;
                match doc.blocks.last_mut() {
                    Some(Block::Fields(fields)) => fields.push((label, value)),
                    _ => doc.blocks.push(Block::Fields(vec![(label, value)])),
                }
            }
            "table" => {
                let header = inline_cells(rest, true, line)?;
                table = Some((line, header, Vec::new()));
            }
            "signature" => doc
                .blocks
                .push(Block::Signature(inline_cells(rest, true, line)?)),
            "space" => doc.blocks.push(Block::Space),
            "pagebreak" => doc.blocks.push(Block::PageBreak),
            "page-label" => {
                doc.page_label = two_words(inline_cells(rest, true, line)?, line, name)?;
            }
            "footer-label" => {
                doc.footer_label = two_words(inline_cells(rest, true, line)?, line, name)?;
            }
            "initials" => doc.initials = Some(one(rest, line)?.plain()),
            "row" | "end" => {
                return Err(MarkupError {
                    line,
                    message: format!("`@{name}` outside a table: open one with `@table`"),
                });
            }
            "" => {
                return Err(MarkupError {
                    line,
                    message: "a line starting with `@` needs a directive name (write `\\@` for a literal `@`)".to_owned(),
                });
            }
            other => {
                return Err(MarkupError {
                    line,
                    message: format!(
                        "unknown directive `@{other}` (see docs/templates.md; write `\\@` for a literal `@`)"
                    ),
                });
            }
        }
    }
    end_paragraph(&mut doc, &mut paragraph)?;
    if let Some((start, _, _)) = table {
        return Err(MarkupError {
            line: start,
            message: "the table opened here is not closed with `@end`".to_owned(),
        });
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        let mut out = String::new();
        escape(s, &mut out);
        out
    }

    #[test]
    fn directives_and_paragraphs() {
        let doc = parse(
            "@title Letter\n\nI authorize *Example* to port\nthese numbers.\n\n@field Name | Acme\n@field BTN | +12065550143\n@table Number | Type\n@row +12065550143 | landline\n@end\n@signature Signature | Date\n",
        )
        .expect("parse");
        assert_eq!(doc.blocks.len(), 5);
        let Block::Paragraph(p) = &doc.blocks[1] else {
            panic!("paragraph expected: {:?}", doc.blocks[1]);
        };
        assert_eq!(p.plain(), "I authorize Example to port these numbers.");
        assert!(p.0[1].bold);
        assert!(matches!(&doc.blocks[2], Block::Fields(f) if f.len() == 2));
        assert!(matches!(&doc.blocks[3], Block::Table { rows, .. } if rows.len() == 1));
    }

    #[test]
    fn escaped_values_stay_text() {
        let hostile = "Evil | Co *bold* \\ @pagebreak\n@title Owned {{ pin }}";
        let doc = parse(&format!(
            "@field Name | {}\n{}\n",
            esc(hostile),
            esc(hostile)
        ))
        .expect("parse");
        let Block::Fields(fields) = &doc.blocks[0] else {
            panic!("fields expected");
        };
        let expected = "Evil | Co *bold* \\ @pagebreak @title Owned {{ pin }}";
        assert_eq!(fields[0].1.plain(), expected);
        assert!(fields[0].1.0.iter().all(|s| !s.bold));
        let Block::Paragraph(p) = &doc.blocks[1] else {
            panic!("paragraph expected");
        };
        assert_eq!(p.plain(), expected);
        assert_eq!(doc.blocks.len(), 2);
    }

    #[test]
    fn errors_name_the_line() {
        let err = parse("@title A\n@bogus x\n").expect_err("unknown");
        assert_eq!(err.line, 2);
        let err = parse("@table A | B\n@row 1\n@end\n").expect_err("cells");
        assert!(err.message.contains("1 cells"), "{err}");
        let err = parse("@table A\n@row 1\n").expect_err("unclosed");
        assert_eq!(err.line, 1);
        let err = parse("some *bold\n").expect_err("bold");
        assert!(err.message.contains("not closed"));
    }
}
