//! Laid-out pages to PDF bytes with printpdf, byte-reproducibly: fonts are registered
//! under fixed resource names, the embedded font is subset by portflow, and the document
//! information and trailer `/ID` are rewritten (with lopdf) so that they hold no time and
//! no random value: the `/ID` is a hash of the document's own content.

use std::collections::BTreeSet;

use lopdf::{Dictionary, Object, StringFormat};
use printpdf::{
    BuiltinFont, Color, FontId, Greyscale, Line, LinePoint, Op, PaintMode, PdfDocument, PdfFont,
    PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, Rect, TextItem, TextMatrix,
};
use sha2::{Digest, Sha256};

use super::font::{DejaVu, Family, Weight};
use super::layout::{Item, Page, PageSize};
use super::subset::{self, SubsetError};

/// Resource names of the embedded faces (the built-in ones are printpdf's `F5`/`F6`).
const DEJAVU_IDS: [(Weight, &str); 2] = [(Weight::Regular, "DJV"), (Weight::Bold, "DJVB")];

/// Why a PDF could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The font could not be subset.
    #[error("cannot embed DejaVu Sans: {0}")]
    Subset(#[from] SubsetError),
    /// The PDF writer reported an error.
    #[error("the PDF writer failed: {0}")]
    Writer(String),
    /// The written PDF could not be read back to fix its metadata.
    #[error("the written PDF cannot be read back: {0}")]
    Reread(#[from] lopdf::Error),
}

/// A written PDF. Its `Debug` gives the size, not the bytes (a carrier copy prints the PIN).
#[derive(Clone, PartialEq, Eq)]
pub struct Pdf {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Number of pages.
    pub pages: usize,
    /// Whether a font is embedded (the text is not all WinAnsi).
    pub embedded: bool,
}

/// Coordinates rounded to 1/100 pt keep content streams short and stable.
fn pt(v: f32) -> Pt {
    Pt((v * 100.0).round() / 100.0)
}

fn handle(family: &Family, weight: Weight) -> PdfFontHandle {
    match (family, weight) {
        (Family::Helvetica, Weight::Regular) => PdfFontHandle::Builtin(BuiltinFont::Helvetica),
        (Family::Helvetica, Weight::Bold) => PdfFontHandle::Builtin(BuiltinFont::HelveticaBold),
        (Family::DejaVu(_), w) => {
            let id = DEJAVU_IDS
                .iter()
                .find(|(k, _)| *k == w)
                .map_or("DJV", |(_, id)| *id);
            PdfFontHandle::External(FontId(id.to_owned()))
        }
    }
}

fn grey(level: f32) -> Color {
    Color::Greyscale(Greyscale {
        percent: level,
        icc_profile: None,
    })
}

fn page_ops(page: &Page, family: &Family, size: PageSize) -> Vec<Op> {
    let mut ops = Vec::new();
    let mut in_text = false;
    let mut font: Option<(Weight, u32)> = None;
    for item in &page.items {
        match item {
            Item::Text {
                x,
                y,
                size: font_size,
                weight,
                text,
            } => {
                if !in_text {
                    ops.push(Op::StartTextSection);
                    in_text = true;
                }
                let key = (*weight, (font_size * 100.0).round() as u32);
                if font != Some(key) {
                    ops.push(Op::SetFont {
                        font: handle(family, *weight),
                        size: pt(*font_size),
                    });
                    font = Some(key);
                }
                ops.push(Op::SetTextMatrix {
                    matrix: TextMatrix::Translate(pt(*x), pt(size.height - y)),
                });
                ops.push(Op::ShowText {
                    items: vec![TextItem::Text(text.clone())],
                });
            }
            Item::Rule { x1, x2, y, width } => {
                if in_text {
                    ops.push(Op::EndTextSection);
                    in_text = false;
                    font = None;
                }
                ops.push(Op::SetOutlineThickness { pt: pt(*width) });
                let at = |x: f32| LinePoint {
                    p: Point {
                        x: pt(x),
                        y: pt(size.height - y),
                    },
                    bezier: false,
                };
                ops.push(Op::DrawLine {
                    line: Line {
                        points: vec![at(*x1), at(*x2)],
                        is_closed: false,
                    },
                });
            }
            Item::Fill { x, y, w, h } => {
                if in_text {
                    ops.push(Op::EndTextSection);
                    in_text = false;
                    font = None;
                }
                ops.push(Op::SetFillColor { col: grey(0.9) });
                ops.push(Op::DrawRectangle {
                    rectangle: Rect {
                        x: pt(*x),
                        y: pt(size.height - y - h),
                        width: pt(*w),
                        height: pt(*h),
                        mode: Some(PaintMode::Fill),
                        winding_order: None,
                    },
                });
                ops.push(Op::SetFillColor { col: grey(0.0) });
            }
        }
    }
    if in_text {
        ops.push(Op::EndTextSection);
    }
    ops
}

/// A six-letter subset tag (ISO 32000 §9.6.4) derived from the glyphs kept, so it is the
/// same on every run.
fn subset_tag(glyphs: &BTreeSet<u16>) -> String {
    let mut hash = Sha256::new();
    for g in glyphs {
        hash.update(g.to_be_bytes());
    }
    hash.finalize()
        .iter()
        .take(6)
        .map(|b| char::from(b'A' + b % 26))
        .collect()
}

fn embed(
    doc: &mut PdfDocument,
    faces: &DejaVu,
    pages: &[Page],
    family: &Family,
) -> Result<(), PdfError> {
    let texts = pages.iter().flat_map(|p| &p.items).filter_map(|i| match i {
        Item::Text { text, weight, .. } => Some((text.as_str(), *weight)),
        _ => None,
    });
    for (weight, glyphs) in family.glyphs(texts) {
        let bytes = subset::subset(DejaVu::bytes(weight), &glyphs)?;
        let mut parsed = faces.face(weight).clone();
        parsed.original_bytes = bytes;
        let name = match weight {
            Weight::Regular => "DejaVuSans",
            Weight::Bold => "DejaVuSans-Bold",
        };
        parsed.font_name = Some(format!("{}+{name}", subset_tag(&glyphs)));
        if let PdfFontHandle::External(id) = handle(family, weight) {
            doc.resources.fonts.map.insert(id, PdfFont::new(parsed));
        }
    }
    Ok(())
}

/// Writes `pages` as a PDF titled `title`.
pub fn write(
    pages: &[Page],
    family: &Family,
    size: PageSize,
    title: &str,
) -> Result<Pdf, PdfError> {
    let mut doc = PdfDocument::new(title);
    if let Family::DejaVu(faces) = family {
        embed(&mut doc, faces, pages, family)?;
    }
    doc.pages = pages
        .iter()
        .map(|page| {
            let mut pdf_page = PdfPage::new(
                printpdf::Mm(0.0),
                printpdf::Mm(0.0),
                page_ops(page, family, size),
            );
            let bounds = Rect::from_wh(pt(size.width), pt(size.height));
            pdf_page.media_box = bounds.clone();
            pdf_page.trim_box = bounds.clone();
            pdf_page.crop_box = bounds;
            pdf_page
        })
        .collect();
    let options = PdfSaveOptions {
        optimize: true,
        // portflow subsets the font itself (printpdf's subsetter needs features it is
        // built without); see `subset`.
        subset_fonts: false,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let bytes = doc.save(&options, &mut warnings);
    if let Some(error) = warnings
        .iter()
        .find(|w| w.severity == printpdf::PdfParseErrorSeverity::Error)
    {
        return Err(PdfError::Writer(error.msg.clone()));
    }
    let bytes = reproducible(&bytes, title)?;
    Ok(Pdf {
        bytes,
        pages: pages.len(),
        embedded: matches!(family, Family::DejaVu(_)),
    })
}

/// Replaces the document information (printpdf writes dates) and the random trailer `/ID`
/// with values that depend on the content only.
fn reproducible(bytes: &[u8], title: &str) -> Result<Vec<u8>, PdfError> {
    let mut doc = lopdf::Document::load_mem(bytes)?;
    let info = Dictionary::from_iter(vec![
        (
            "Title",
            Object::String(title.as_bytes().to_vec(), StringFormat::Literal),
        ),
        (
            "Producer",
            Object::String(b"portflow".to_vec(), StringFormat::Literal),
        ),
    ]);
    match doc.trailer.get(b"Info").and_then(Object::as_reference) {
        Ok(id) => {
            doc.objects.insert(id, Object::Dictionary(info));
        }
        Err(_) => {
            let id = doc.add_object(info);
            doc.trailer.set("Info", Object::Reference(id));
        }
    }
    let set_id = |doc: &mut lopdf::Document, id: &[u8]| {
        let part = Object::String(id.to_vec(), StringFormat::Hexadecimal);
        doc.trailer
            .set("ID", Object::Array(vec![part.clone(), part]));
    };
    set_id(&mut doc, &[0; 16]);
    let mut draft = Vec::new();
    doc.save_to(&mut draft)
        .map_err(|e| PdfError::Writer(e.to_string()))?;
    let hash = Sha256::digest(&draft);
    set_id(&mut doc, &hash[..16]);
    let mut out = Vec::with_capacity(draft.len());
    doc.save_to(&mut out)
        .map_err(|e| PdfError::Writer(e.to_string()))?;
    Ok(out)
}
impl std::fmt::Debug for Pdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pdf")
            .field("bytes", &self.bytes.len())
            .field("pages", &self.pages)
            .field("embedded", &self.embedded)
            .finish()
    }
}
