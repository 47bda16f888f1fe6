//! Typesetting the LOA markup onto pages: word wrapping by glyph widths, pagination with
//! the table header repeated, keep-together for headings and signature blocks, and the
//! footer ("Page X of Y", port id, LOA digest) on every page. Pure: no PDF, no I/O.

use super::font::{Family, Weight};
use super::markup::{Block, Inline, Markup};

/// A page size in points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageSize {
    /// Width.
    pub width: f32,
    /// Height.
    pub height: f32,
}

/// Something drawn on a page. `y` counts down from the top edge (a text's baseline).
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A run of text in one font.
    Text {
        /// Left edge.
        x: f32,
        /// Baseline, from the top.
        y: f32,
        /// Font size in points.
        size: f32,
        /// Weight.
        weight: Weight,
        /// The text.
        text: String,
    },
    /// A horizontal rule.
    Rule {
        /// Left end.
        x1: f32,
        /// Right end.
        x2: f32,
        /// Height, from the top.
        y: f32,
        /// Stroke width.
        width: f32,
    },
    /// A grey filled rectangle (table header background).
    Fill {
        /// Left edge.
        x: f32,
        /// Top edge, from the top.
        y: f32,
        /// Width.
        w: f32,
        /// Height.
        h: f32,
    },
}

/// One laid-out page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    /// What is drawn, in drawing order.
    pub items: Vec<Item>,
}

/// What the footer of every page shows besides the page number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footer {
    /// The port id.
    pub port: String,
    /// The LOA digest, `sha256:<hex>`.
    pub digest: String,
}

const MARGIN_X: f32 = 56.0;
const MARGIN_TOP: f32 = 46.0;
const MARGIN_BOTTOM: f32 = 64.0;
const BODY: f32 = 9.5;
const BODY_LEAD: f32 = 12.2;
const SMALL: f32 = 8.5;
const SMALL_LEAD: f32 = 11.0;
const TITLE: f32 = 16.0;
const HEADING: f32 = 11.0;
const TABLE: f32 = 9.0;
const TABLE_LEAD: f32 = 11.5;
const CELL_PAD_X: f32 = 5.0;
const CELL_PAD_Y: f32 = 2.5;
const FOOTER: f32 = 7.5;
const BLOCK_GAP: f32 = 6.0;
const BULLET_INDENT: f32 = 12.0;
const SIGN_SPACE: f32 = 30.0;

/// One word (or a piece of an over-long word) with its weight.
struct Token {
    text: String,
    weight: Weight,
    space_before: bool,
}

/// A run of text on a line, `dx` from the line's left edge.
#[derive(Debug, Clone, PartialEq)]
struct Run {
    dx: f32,
    text: String,
    weight: Weight,
}

fn tokens(inline: &Inline, base: Weight) -> Vec<Token> {
    let mut out = Vec::new();
    let mut pending_space = false;
    for span in &inline.0 {
        let weight = if span.bold { Weight::Bold } else { base };
        let mut word = String::new();
        for c in span.text.chars() {
            if c.is_whitespace() && c != '\u{a0}' {
                if !word.is_empty() {
                    out.push(Token {
                        text: std::mem::take(&mut word),
                        weight,
                        space_before: pending_space,
                    });
                }
                pending_space = true;
            } else {
                word.push(c);
            }
        }
        if !word.is_empty() {
            out.push(Token {
                text: word,
                weight,
                space_before: pending_space,
            });
            pending_space = false;
        }
    }
    if let Some(first) = out.first_mut() {
        first.space_before = false;
    }
    out
}

/// Breaks `inline` into lines no wider than `max`.
fn wrap(inline: &Inline, family: &Family, size: f32, max: f32, base: Weight) -> Vec<Vec<Run>> {
    let mut lines: Vec<Vec<Run>> = Vec::new();
    let mut line: Vec<Run> = Vec::new();
    let mut x = 0.0f32;
    for token in tokens(inline, base) {
        let space = if token.space_before && !line.is_empty() {
            family.width(" ", token.weight, size)
        } else {
            0.0
        };
        let w = family.width(&token.text, token.weight, size);
        if !line.is_empty() && x + space + w > max {
            lines.push(std::mem::take(&mut line));
            x = 0.0;
        }
        if w > max {
            // A word wider than the column (a long digest, an e-mail address) starts a line
            // and is broken between characters.
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                x = 0.0;
            }
            let mut piece = String::new();
            for c in token.text.chars() {
                let mut next = piece.clone();
                next.push(c);
                if !piece.is_empty() && x + family.width(&next, token.weight, size) > max {
                    push_run(&mut line, x, std::mem::take(&mut piece), token.weight);
                    lines.push(std::mem::take(&mut line));
                    x = 0.0;
                    piece.push(c);
                } else {
                    piece = next;
                }
            }
            let pw = family.width(&piece, token.weight, size);
            push_run(&mut line, x, piece, token.weight);
            x += pw;
            continue;
        }
        let lead = if line.is_empty() { 0.0 } else { space };
        let text = if lead > 0.0 {
            format!(" {}", token.text)
        } else {
            token.text
        };
        push_run(&mut line, x, text, token.weight);
        x += lead + w;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Appends text at `x`, merging with the previous run when the weight is the same.
fn push_run(line: &mut Vec<Run>, x: f32, text: String, weight: Weight) {
    if let Some(last) = line.last_mut() {
        if last.weight == weight {
            last.text.push_str(&text);
            return;
        }
    }
    // A run of another weight starts where the previous one ended, separating space included.
    line.push(Run {
        dx: x,
        text,
        weight,
    });
}

/// The page cursor.
struct Pager {
    size: PageSize,
    pages: Vec<Page>,
    y: f32,
}

impl Pager {
    fn new(size: PageSize) -> Pager {
        Pager {
            size,
            pages: vec![Page::default()],
            y: MARGIN_TOP,
        }
    }

    fn bottom(&self) -> f32 {
        self.size.height - MARGIN_BOTTOM
    }

    fn width(&self) -> f32 {
        self.size.width - 2.0 * MARGIN_X
    }

    fn at_top(&self) -> bool {
        self.y <= MARGIN_TOP
    }

    fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = MARGIN_TOP;
    }

    /// Starts a new page unless `height` still fits on this one.
    fn ensure(&mut self, height: f32) {
        if self.y + height > self.bottom() && !self.at_top() {
            self.new_page();
        }
    }

    fn push(&mut self, item: Item) {
        if let Some(page) = self.pages.last_mut() {
            page.items.push(item);
        }
    }

    fn gap(&mut self, gap: f32) {
        if !self.at_top() {
            self.y += gap;
        }
    }

    /// Draws wrapped lines at `x`, each `lead` apart, breaking pages between lines.
    fn lines(&mut self, x: f32, lines: &[Vec<Run>], size: f32, lead: f32) {
        for line in lines {
            self.ensure(lead);
            self.y += lead;
            self.draw_line(x, self.y - (lead - size) * 0.5, line, size);
        }
    }

    fn draw_line(&mut self, x: f32, baseline: f32, line: &[Run], size: f32) {
        for run in line {
            self.push(Item::Text {
                x: x + run.dx,
                y: baseline,
                size,
                weight: run.weight,
                text: run.text.clone(),
            });
        }
    }
}

/// Lays out a parsed document.
pub fn layout(markup: &Markup, family: &Family, size: PageSize, footer: &Footer) -> Vec<Page> {
    let mut p = Pager::new(size);
    let left = MARGIN_X;
    let width = p.width();
    // One label column for every field block, so the values of all sections line up.
    let label_w = markup
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Fields(fields) => Some(fields),
            _ => None,
        })
        .flatten()
        .map(|(label, _)| family.width(&label.plain(), Weight::Bold, BODY))
        .fold(0.0f32, f32::max);
    let label_w = (label_w + 14.0).min(width * 0.4);
    for (index, block) in markup.blocks.iter().enumerate() {
        match block {
            Block::Title(text) => {
                let lines = wrap(text, family, TITLE, width, Weight::Bold);
                p.ensure(TITLE * 1.3 * lines.len() as f32 + BODY_LEAD * 2.0);
                p.lines(left, &lines, TITLE, TITLE * 1.3);
                p.y += BLOCK_GAP * 0.5;
            }
            Block::Heading(text) => {
                let lines = wrap(text, family, HEADING, width, Weight::Bold);
                p.gap(BLOCK_GAP * 1.2);
                // Keep the heading with at least three lines of what follows, and with the
                // whole section when it ends in a signature block (a signature never sits
                // apart from the text it signs).
                let own = HEADING * 1.4 * lines.len() as f32 + 6.5;
                let section = &markup.blocks[index + 1..];
                let section = &section[..section
                    .iter()
                    .position(|b| matches!(b, Block::Heading(_) | Block::PageBreak))
                    .unwrap_or(section.len())];
                let keep = if section.iter().any(|b| matches!(b, Block::Signature(_))) {
                    section.iter().map(|b| measure(b, family, width)).sum()
                } else {
                    3.0 * BODY_LEAD
                };
                p.ensure(own + keep);
                p.lines(left, &lines, HEADING, HEADING * 1.4);
                p.y += 2.5;
                let y = p.y;
                p.push(Item::Rule {
                    x1: left,
                    x2: left + width,
                    y,
                    width: 0.5,
                });
                p.y += 4.0;
            }
            Block::Paragraph(text) => {
                let lines = wrap(text, family, BODY, width, Weight::Regular);
                p.lines(left, &lines, BODY, BODY_LEAD);
                p.y += BLOCK_GAP;
            }
            Block::Item(text) => {
                let lines = wrap(text, family, BODY, width - BULLET_INDENT, Weight::Regular);
                p.ensure(BODY_LEAD);
                let bullet = vec![Run {
                    dx: 0.0,
                    text: "•".to_owned(),
                    weight: Weight::Regular,
                }];
                p.draw_line(
                    left,
                    p.y + BODY_LEAD - (BODY_LEAD - BODY) * 0.5,
                    &bullet,
                    BODY,
                );
                p.lines(left + BULLET_INDENT, &lines, BODY, BODY_LEAD);
                let list_goes_on = matches!(markup.blocks.get(index + 1), Some(Block::Item(_)));
                p.y += if list_goes_on { 2.5 } else { BLOCK_GAP };
            }
            Block::Small(text) => {
                let lines = wrap(text, family, SMALL, width, Weight::Regular);
                p.lines(left, &lines, SMALL, SMALL_LEAD);
                p.y += BLOCK_GAP * 0.6;
            }
            Block::Fields(fields) => fields_block(&mut p, fields, family, left, width, label_w),
            Block::Table { header, rows } => table(&mut p, header, rows, family, left, width),
            Block::Signature(labels) => signature(&mut p, labels, family, left, width),
            Block::Space => p.y += BODY_LEAD,
            Block::PageBreak => {
                if !p.at_top() {
                    p.new_page();
                }
            }
        }
    }
    if p.pages.len() > 1 && p.pages.last().is_some_and(|page| page.items.is_empty()) {
        p.pages.pop();
    }
    let total = p.pages.len();
    for (index, page) in p.pages.iter_mut().enumerate() {
        furniture(page, markup, family, size, footer, index + 1, total);
    }
    p.pages
}

/// The height a short block takes (used to keep a signed section together).
fn measure(block: &Block, family: &Family, width: f32) -> f32 {
    let lines = |text: &Inline, size: f32, w: f32, base: Weight| {
        wrap(text, family, size, w, base).len() as f32
    };
    match block {
        Block::Paragraph(t) => lines(t, BODY, width, Weight::Regular) * BODY_LEAD + BLOCK_GAP,
        Block::Small(t) => lines(t, SMALL, width, Weight::Regular) * SMALL_LEAD + BLOCK_GAP * 0.6,
        Block::Item(t) => lines(t, BODY, width - BULLET_INDENT, Weight::Regular) * BODY_LEAD + 2.5,
        Block::Fields(fields) => fields.len() as f32 * BODY_LEAD + BLOCK_GAP,
        Block::Signature(labels) => {
            let columns = if labels.len() > 1 { 2 } else { 1 };
            labels.len().div_ceil(columns) as f32 * (SIGN_SPACE + SMALL_LEAD + 4.0)
        }
        Block::Space => BODY_LEAD,
        Block::Title(_) | Block::Heading(_) | Block::Table { .. } | Block::PageBreak => 0.0,
    }
}

fn fields_block(
    p: &mut Pager,
    fields: &[(Inline, Inline)],
    family: &Family,
    left: f32,
    width: f32,
    label_w: f32,
) {
    let value_w = width - label_w;
    for (label, value) in fields {
        let label_lines = wrap(label, family, BODY, label_w - 10.0, Weight::Bold);
        let value_lines = wrap(value, family, BODY, value_w, Weight::Regular);
        let rows = label_lines.len().max(value_lines.len()).max(1);
        p.ensure(rows as f32 * BODY_LEAD);
        let top = p.y;
        for (i, line) in label_lines.iter().enumerate() {
            let baseline = top + (i + 1) as f32 * BODY_LEAD - (BODY_LEAD - BODY) * 0.5;
            p.draw_line(left, baseline, line, BODY);
        }
        for (i, line) in value_lines.iter().enumerate() {
            let baseline = top + (i + 1) as f32 * BODY_LEAD - (BODY_LEAD - BODY) * 0.5;
            p.draw_line(left + label_w, baseline, line, BODY);
        }
        p.y = top + rows as f32 * BODY_LEAD;
    }
    p.y += BLOCK_GAP;
}

fn column_widths(header: &[Inline], rows: &[Vec<Inline>], family: &Family, width: f32) -> Vec<f32> {
    let mut natural: Vec<f32> = header
        .iter()
        .map(|h| family.width(&h.plain(), Weight::Bold, TABLE) + 2.0 * CELL_PAD_X)
        .collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            let w = family.width(&cell.plain(), Weight::Regular, TABLE) + 2.0 * CELL_PAD_X;
            if let Some(n) = natural.get_mut(i) {
                *n = n.max(w);
            }
        }
    }
    let sum: f32 = natural.iter().sum();
    if sum <= 0.0 {
        let n = header.len().max(1) as f32;
        return vec![width / n; header.len()];
    }
    if sum <= width {
        // Spare room goes to the last column, so short columns stay tight on the left.
        if let Some(last) = natural.last_mut() {
            *last += width - sum;
        }
        return natural;
    }
    // Too little room shrinks every column alike; cells then wrap.
    natural.iter().map(|w| w * width / sum).collect()
}

fn table_row(
    p: &mut Pager,
    cells: &[Inline],
    widths: &[f32],
    family: &Family,
    left: f32,
    weight: Weight,
    shaded: bool,
) {
    let wrapped: Vec<Vec<Vec<Run>>> = cells
        .iter()
        .zip(widths)
        .map(|(cell, w)| wrap(cell, family, TABLE, w - 2.0 * CELL_PAD_X, weight))
        .collect();
    let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let height = lines as f32 * TABLE_LEAD + 2.0 * CELL_PAD_Y;
    let top = p.y;
    let total: f32 = widths.iter().sum();
    if shaded {
        p.push(Item::Fill {
            x: left,
            y: top,
            w: total,
            h: height,
        });
    }
    let mut x = left;
    for (cell, w) in wrapped.iter().zip(widths) {
        for (i, line) in cell.iter().enumerate() {
            let baseline =
                top + CELL_PAD_Y + (i + 1) as f32 * TABLE_LEAD - (TABLE_LEAD - TABLE) * 0.5 - 1.0;
            p.draw_line(x + CELL_PAD_X, baseline, line, TABLE);
        }
        x += w;
    }
    p.y = top + height;
    let y = p.y;
    p.push(Item::Rule {
        x1: left,
        x2: left + total,
        y,
        width: if shaded { 0.6 } else { 0.25 },
    });
}

fn row_height(cells: &[Inline], widths: &[f32], family: &Family, weight: Weight) -> f32 {
    let lines = cells
        .iter()
        .zip(widths)
        .map(|(cell, w)| wrap(cell, family, TABLE, w - 2.0 * CELL_PAD_X, weight).len())
        .max()
        .unwrap_or(1)
        .max(1);
    lines as f32 * TABLE_LEAD + 2.0 * CELL_PAD_Y
}

fn table(
    p: &mut Pager,
    header: &[Inline],
    rows: &[Vec<Inline>],
    family: &Family,
    left: f32,
    width: f32,
) {
    let widths = column_widths(header, rows, family, width);
    let header_h = row_height(header, &widths, family, Weight::Bold);
    let first_h = rows
        .first()
        .map_or(0.0, |r| row_height(r, &widths, family, Weight::Regular));
    p.ensure(header_h + first_h);
    table_row(p, header, &widths, family, left, Weight::Bold, true);
    for row in rows {
        let h = row_height(row, &widths, family, Weight::Regular);
        if p.y + h > p.bottom() {
            p.new_page();
            table_row(p, header, &widths, family, left, Weight::Bold, true);
        }
        table_row(p, row, &widths, family, left, Weight::Regular, false);
    }
    p.y += BLOCK_GAP * 1.5;
}

fn signature(p: &mut Pager, labels: &[Inline], family: &Family, left: f32, width: f32) {
    let columns = if labels.len() > 1 { 2 } else { 1 };
    let col_w = width / columns as f32;
    // A long name or title wraps under its line; every row is as tall as its longest label.
    let wrapped: Vec<_> = labels
        .iter()
        .map(|label| wrap(label, family, SMALL, col_w - 24.0, Weight::Regular))
        .collect();
    let row_h = |row: &[Vec<_>]| {
        let lines = row.iter().map(Vec::len).max().unwrap_or(1).max(1);
        SIGN_SPACE + SMALL_LEAD * lines as f32 + 4.0
    };
    let total: f32 = wrapped.chunks(columns).map(&row_h).sum();
    p.ensure(total);
    for row in wrapped.chunks(columns) {
        let top = p.y;
        let line_y = top + SIGN_SPACE;
        for (i, lines) in row.iter().enumerate() {
            let x = left + i as f32 * col_w;
            p.push(Item::Rule {
                x1: x,
                x2: x + col_w - 24.0,
                y: line_y,
                width: 0.6,
            });
            for (k, line) in lines.iter().enumerate() {
                p.draw_line(x, line_y + SMALL_LEAD * (k as f32 + 1.0), line, SMALL);
            }
        }
        p.y = top + row_h(row);
    }
    p.y += BLOCK_GAP;
}

/// The footer texts of a page, also used to choose the font before layout.
pub fn footer_texts(markup: &Markup, footer: &Footer, page: usize, total: usize) -> [String; 3] {
    [
        format!("{} {}", markup.footer_label.0, footer.port),
        format!(
            "{} {page} {} {total}",
            markup.page_label.0, markup.page_label.1
        ),
        format!("{} {}", markup.footer_label.1, footer.digest),
    ]
}

fn furniture(
    page: &mut Page,
    markup: &Markup,
    family: &Family,
    size: PageSize,
    footer: &Footer,
    number: usize,
    total: usize,
) {
    let [port, label, digest] = footer_texts(markup, footer, number, total);
    let right = size.width - MARGIN_X;
    let line1 = size.height - 42.0;
    let line2 = line1 + FOOTER * 1.5;
    page.items.push(Item::Rule {
        x1: MARGIN_X,
        x2: right,
        y: line1 - FOOTER - 3.0,
        width: 0.4,
    });
    page.items.push(Item::Text {
        x: MARGIN_X,
        y: line1,
        size: FOOTER,
        weight: Weight::Regular,
        text: port,
    });
    let label_w = family.width(&label, Weight::Bold, FOOTER);
    page.items.push(Item::Text {
        x: right - label_w,
        y: line1,
        size: FOOTER,
        weight: Weight::Bold,
        text: label,
    });
    page.items.push(Item::Text {
        x: MARGIN_X,
        y: line2,
        size: FOOTER,
        weight: Weight::Regular,
        text: digest,
    });
    if let Some(initials) = &markup.initials {
        let box_w = 60.0;
        let label_w = family.width(initials, Weight::Regular, FOOTER);
        page.items.push(Item::Text {
            x: right - box_w - 4.0 - label_w,
            y: line2,
            size: FOOTER,
            weight: Weight::Regular,
            text: initials.clone(),
        });
        page.items.push(Item::Rule {
            x1: right - box_w,
            x2: right,
            y: line2 + 1.0,
            width: 0.5,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loa::markup::parse;

    const LETTER: PageSize = PageSize {
        width: 612.0,
        height: 792.0,
    };

    fn texts(pages: &[Page]) -> Vec<Vec<String>> {
        pages
            .iter()
            .map(|p| {
                p.items
                    .iter()
                    .filter_map(|i| match i {
                        Item::Text { text, .. } => Some(text.clone()),
                        _ => None,
                    })
                    .collect()
            })
            .collect()
    }

    fn footer() -> Footer {
        Footer {
            port: "2026-11-x".to_owned(),
            digest: "sha256:00".to_owned(),
        }
    }

    #[test]
    fn long_tables_repeat_their_header() {
        let mut src = String::from("@title T\n@table Number | Type\n");
        for i in 0..150 {
            src.push_str(&format!("@row +1206555{i:04} | landline\n"));
        }
        src.push_str("@end\n");
        let markup = parse(&src).expect("markup");
        let pages = layout(&markup, &Family::Helvetica, LETTER, &footer());
        assert!(pages.len() >= 3, "{} pages", pages.len());
        let texts = texts(&pages);
        for (i, page) in texts.iter().enumerate() {
            assert_eq!(
                page.iter().filter(|t| *t == "Number").count(),
                1,
                "header on page {}",
                i + 1
            );
            assert!(page.contains(&format!("Page {} of {}", i + 1, pages.len())));
        }
        let all: Vec<&String> = texts.iter().flatten().collect();
        for i in 0..150 {
            let number = format!("+1206555{i:04}");
            assert_eq!(all.iter().filter(|t| ***t == number).count(), 1, "{number}");
        }
    }

    #[test]
    fn wrapping_respects_the_width() {
        let markup = parse(&"word ".repeat(400)).expect("markup");
        let pages = layout(&markup, &Family::Helvetica, LETTER, &footer());
        for page in &pages {
            for item in &page.items {
                if let Item::Text {
                    x,
                    size,
                    weight,
                    text,
                    ..
                } = item
                {
                    let w = Family::Helvetica.width(text, *weight, *size);
                    assert!(x + w <= 612.0 - MARGIN_X + 0.01, "{text} overflows");
                }
            }
        }
    }

    #[test]
    fn long_words_break() {
        let markup = parse(&format!("@field Digest | sha256:{}", "ab".repeat(200))).expect("m");
        let pages = layout(&markup, &Family::Helvetica, LETTER, &footer());
        let joined: String = texts(&pages)[0]
            .iter()
            .filter(|t| t.starts_with("sha256:") || t.starts_with("ab") || t.starts_with("ba"))
            .cloned()
            .collect();
        assert_eq!(joined, format!("sha256:{}", "ab".repeat(200)));
    }
}
