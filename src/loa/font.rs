//! The two faces an LOA is set in: the PDF reader's built-in Helvetica when every
//! character is WinAnsi, otherwise DejaVu Sans (shipped in `assets/fonts/`), embedded as a
//! subset. Widths come from Helvetica's AFM metrics or from the font file's advances.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use printpdf::ParsedFont;

use super::afm;

const DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const DEJAVU_SANS_BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// Regular or bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Weight {
    /// Body text.
    Regular,
    /// Titles, headings, labels.
    Bold,
}

/// Why the text cannot be set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FontError {
    /// Characters of a script whose shaping portflow does not do.
    #[error(
        "the letter contains right-to-left or Indic text ({0}), which portflow cannot typeset: write these values in Latin script (see docs/templates.md)"
    )]
    Unsupported(String),
    /// Characters no bundled font has.
    #[error(
        "the letter contains characters no bundled font covers ({0}); CJK and other scripts outside DejaVu Sans are not supported yet (see docs/templates.md)"
    )]
    Missing(String),
    /// A bundled font file could not be read.
    #[error("the bundled font `{0}` cannot be read")]
    Bundled(&'static str),
}

/// The font family of one document.
#[derive(Debug, Clone, Copy)]
pub enum Family {
    /// Built-in Helvetica and Helvetica-Bold, WinAnsi-encoded; nothing embedded.
    Helvetica,
    /// DejaVu Sans and DejaVu Sans Bold, embedded as subsets.
    DejaVu(&'static DejaVu),
}

/// The parsed DejaVu faces.
#[derive(Debug)]
pub struct DejaVu {
    /// DejaVu Sans.
    pub regular: ParsedFont,
    /// DejaVu Sans Bold.
    pub bold: ParsedFont,
}

impl DejaVu {
    /// The face of a weight.
    pub fn face(&self, weight: Weight) -> &ParsedFont {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    /// The font file of a weight.
    pub fn bytes(weight: Weight) -> &'static [u8] {
        match weight {
            Weight::Regular => DEJAVU_SANS,
            Weight::Bold => DEJAVU_SANS_BOLD,
        }
    }
}

fn dejavu() -> Result<&'static DejaVu, FontError> {
    static FACES: OnceLock<Option<DejaVu>> = OnceLock::new();
    FACES
        .get_or_init(|| {
            let regular = ParsedFont::from_bytes(DEJAVU_SANS, 0, &mut Vec::new())?;
            let bold = ParsedFont::from_bytes(DEJAVU_SANS_BOLD, 0, &mut Vec::new())?;
            Some(DejaVu { regular, bold })
        })
        .as_ref()
        .ok_or(FontError::Bundled("assets/fonts/DejaVuSans*.ttf"))
}

/// Scripts that need bidirectional layout or shaping (RTL, Indic, and other complex
/// scripts); set glyph by glyph they would print wrong, so they are refused.
fn needs_shaping(c: char) -> bool {
    matches!(u32::from(c),
        0x0590..=0x08FF      // Hebrew, Arabic, Syriac, Thaana, N'Ko, Samaritan, Mandaic
        | 0x0900..=0x0DFF    // Devanagari … Sinhala
        | 0x0E00..=0x0FFF    // Thai, Lao, Tibetan
        | 0x1000..=0x109F    // Myanmar
        | 0x1780..=0x17FF    // Khmer
        | 0xA8E0..=0xA8FF    // Devanagari Extended
        | 0xFB1D..=0xFDFF    // Hebrew and Arabic presentation forms
        | 0xFE70..=0xFEFF    // Arabic presentation forms B
        | 0x200E..=0x200F    // directional marks
        | 0x202A..=0x202E    // directional embeddings and overrides
        | 0x2066..=0x2069 // directional isolates
    )
}

fn listing(chars: &BTreeSet<char>) -> String {
    let shown: Vec<String> = chars
        .iter()
        .take(8)
        .map(|c| format!("`{c}` U+{:04X}", u32::from(*c)))
        .collect();
    let more = chars.len().saturating_sub(8);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

impl Family {
    /// The family that can set all of `text`: Helvetica when it is all WinAnsi.
    pub fn for_text<'a>(text: impl IntoIterator<Item = &'a str>) -> Result<Family, FontError> {
        let chars: BTreeSet<char> = text.into_iter().flat_map(str::chars).collect();
        let shaped: BTreeSet<char> = chars
            .iter()
            .copied()
            .filter(|&c| needs_shaping(c))
            .collect();
        if !shaped.is_empty() {
            return Err(FontError::Unsupported(listing(&shaped)));
        }
        if chars.iter().all(|&c| afm::win_ansi(c).is_some()) {
            return Ok(Family::Helvetica);
        }
        let faces = dejavu()?;
        let missing: BTreeSet<char> = chars
            .iter()
            .copied()
            .filter(|&c| {
                Weight::ALL
                    .iter()
                    .any(|&w| faces.face(w).lookup_glyph_index(u32::from(c)).is_none())
            })
            .collect();
        if !missing.is_empty() {
            return Err(FontError::Missing(listing(&missing)));
        }
        Ok(Family::DejaVu(faces))
    }

    /// Width of `text` at `size` points, in points.
    pub fn width(&self, text: &str, weight: Weight, size: f32) -> f32 {
        let units: f32 = match self {
            Family::Helvetica => text
                .chars()
                .map(|c| {
                    let code = afm::win_ansi(c).unwrap_or(b'?');
                    f32::from(afm::width(code, weight == Weight::Bold))
                })
                .sum(),
            Family::DejaVu(faces) => {
                let face = faces.face(weight);
                let per_em = f32::from(face.units_per_em.max(1));
                text.chars()
                    .map(|c| {
                        let gid = face.lookup_glyph_index(u32::from(c)).unwrap_or(0);
                        f32::from(face.get_glyph_width(gid).unwrap_or(0)) * 1000.0 / per_em
                    })
                    .sum()
            }
        };
        units * size / 1000.0
    }

    /// The glyph ids `text` uses in a DejaVu face (empty for Helvetica).
    pub fn glyphs<'a>(
        &self,
        texts: impl IntoIterator<Item = (&'a str, Weight)>,
    ) -> BTreeMap<Weight, BTreeSet<u16>> {
        let mut used: BTreeMap<Weight, BTreeSet<u16>> = BTreeMap::new();
        if let Family::DejaVu(faces) = self {
            for (text, weight) in texts {
                let face = faces.face(weight);
                let set = used.entry(weight).or_default();
                set.extend(
                    text.chars()
                        .filter_map(|c| face.lookup_glyph_index(u32::from(c))),
                );
            }
        }
        used
    }
}

impl Weight {
    /// Both weights.
    pub const ALL: [Weight; 2] = [Weight::Regular, Weight::Bold];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn win_ansi_text_uses_helvetica() {
        let family = Family::for_text(["Café Münster", "Zoë – “quoted”"]).expect("family");
        assert!(matches!(family, Family::Helvetica));
        // "AV" in Helvetica is 667 + 667 units.
        assert!((family.width("AV", Weight::Regular, 10.0) - 13.34).abs() < 0.001);
    }

    #[test]
    fn other_scripts_embed_dejavu() {
        for text in [
            "Łukasz Żółć",
            "Příliš žluťoučký",
            "İğdır",
            "Αθήνα",
            "Москва",
        ] {
            let family = Family::for_text([text]).expect("family");
            assert!(matches!(family, Family::DejaVu(_)), "{text}");
            assert!(family.width(text, Weight::Bold, 10.0) > 20.0);
        }
    }

    #[test]
    fn rtl_and_missing_are_refused() {
        let rtl = Family::for_text(["שלום"]).expect_err("hebrew");
        assert!(matches!(rtl, FontError::Unsupported(_)), "{rtl}");
        let cjk = Family::for_text(["東京"]).expect_err("cjk");
        assert!(matches!(cjk, FontError::Missing(_)), "{cjk}");
        assert!(cjk.to_string().contains("U+6771"));
    }
}
