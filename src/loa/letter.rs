//! One LOA from start to end: the template's context (the `LoaData` value plus
//! presentation-only values), template → markup → layout → PDF.

use std::collections::BTreeMap;

use minijinja::Value;
use serde::Serialize;

use super::digest::LoaData;
use super::font::{Family, FontError};
use super::layout::{self, Footer, PageSize};
use super::markup::{self, Block, Markup, MarkupError};
use super::pdf::{self, Pdf, PdfError};
use super::template::{TemplateError, Templates};

/// Paper size of the LOA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paper {
    /// US Letter, 8.5 × 11 in (the default for US and CA ports).
    Letter,
    /// ISO A4, 210 × 297 mm (the default elsewhere).
    A4,
}

impl Paper {
    /// Letter for US and CA, A4 elsewhere.
    pub fn for_country(country: &str) -> Paper {
        match country {
            "US" | "CA" => Paper::Letter,
            _ => Paper::A4,
        }
    }

    /// The size in points.
    pub fn size(self) -> PageSize {
        match self {
            Paper::Letter => PageSize {
                width: 612.0,
                height: 792.0,
            },
            Paper::A4 => PageSize {
                width: 595.28,
                height: 841.89,
            },
        }
    }

    /// The name templates see: `letter` or `a4`.
    pub fn as_str(self) -> &'static str {
        match self {
            Paper::Letter => "letter",
            Paper::A4 => "a4",
        }
    }
}

/// Values that change how the LOA looks, never what it authorizes: they are not in the
/// digest. Templates see them under `doc`.
/// Its `Debug` never shows the PIN or a secret value (a carrier copy holds them decrypted).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Presentation {
    /// `letter` or `a4`.
    pub paper: &'static str,
    /// The LOA digest, `sha256:<hex>` (also printed in every page's footer).
    pub digest: String,
    /// How the country writes dates, as a hint for hand-written dates: `MM/DD/YYYY` (US),
    /// `YYYY-MM-DD` (CA) or `DD/MM/YYYY`.
    pub date_format: &'static str,
    /// Whether this is the carrier copy, with the decrypted PIN.
    pub carrier_copy: bool,
    /// The transfer PIN: masked, or decrypted on the carrier copy; absent without a PIN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// Secret country requirements (e.g. `pac_code`), masked or decrypted like the PIN.
    pub secrets: BTreeMap<String, String>,
}

impl std::fmt::Debug for Presentation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Presentation")
            .field("paper", &self.paper)
            .field("digest", &self.digest)
            .field("date_format", &self.date_format)
            .field("carrier_copy", &self.carrier_copy)
            .field("pin", &self.pin.as_ref().map(|_| "(set)"))
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// What a masked secret prints as: fixed, so it reveals nothing, not even the length.
pub const MASK: &str = "••••••";

impl Presentation {
    /// Presentation values for a port in `country` with the given paper.
    pub fn new(country: &str, paper: Paper, digest: String) -> Presentation {
        Presentation {
            paper: paper.as_str(),
            digest,
            date_format: match country {
                "US" => "MM/DD/YYYY",
                "CA" => "YYYY-MM-DD",
                _ => "DD/MM/YYYY",
            },
            carrier_copy: false,
            pin: None,
            secrets: BTreeMap::new(),
        }
    }
}

/// Why an LOA could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum LoaError {
    /// The template failed.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The template rendered markup that does not parse.
    #[error("{file}: {source}")]
    Markup {
        /// The template file.
        file: String,
        /// The markup error.
        source: MarkupError,
    },
    /// The text cannot be set in any bundled font.
    #[error(transparent)]
    Font(#[from] FontError),
    /// The PDF could not be written.
    #[error(transparent)]
    Pdf(#[from] PdfError),
}

/// A rendered LOA.
#[derive(Debug, Clone)]
pub struct Letter {
    /// The PDF.
    pub pdf: Pdf,
    /// The template used, as named in messages.
    pub template: String,
}

/// The template context: the `LoaData` fields at the top level, and `doc`.
pub fn context(data: &LoaData, presentation: &Presentation) -> Value {
    let mut json = serde_json::to_value(data).unwrap_or_default();
    if let Some(map) = json.as_object_mut() {
        map.insert(
            "doc".to_owned(),
            serde_json::to_value(presentation).unwrap_or_default(),
        );
    }
    Value::from(minijinja::value::Serde(json))
}

/// Every text the document prints, to choose the font.
fn texts(markup: &Markup) -> Vec<String> {
    let mut out = Vec::new();
    for block in &markup.blocks {
        match block {
            Block::Title(t)
            | Block::Heading(t)
            | Block::Paragraph(t)
            | Block::Small(t)
            | Block::Item(t) => {
                out.push(t.plain());
            }
            Block::Fields(fields) => {
                for (label, value) in fields {
                    out.push(label.plain());
                    out.push(value.plain());
                }
            }
            Block::Table { header, rows } => {
                out.extend(header.iter().map(markup::Inline::plain));
                for row in rows {
                    out.extend(row.iter().map(markup::Inline::plain));
                }
            }
            Block::Signature(labels) => out.extend(labels.iter().map(markup::Inline::plain)),
            Block::Space | Block::PageBreak => {}
        }
    }
    out.extend(markup.initials.iter().cloned());
    out
}

/// Renders the LOA of `data` with the country's template (`<COUNTRY>.j2`, else `default.j2`).
pub fn render(
    templates: &Templates,
    data: &LoaData,
    presentation: &Presentation,
    paper: Paper,
) -> Result<Letter, LoaError> {
    let name = templates.pick(&[format!("{}.j2", data.country), "default.j2".to_owned()])?;
    let text = templates.render(&name, &context(data, presentation))?;
    let markup = markup::parse(&text).map_err(|source| LoaError::Markup {
        file: templates.display(&name),
        source,
    })?;
    let footer = Footer {
        port: data.port.clone(),
        digest: presentation.digest.clone(),
    };
    let mut all = texts(&markup);
    all.extend(layout::footer_texts(&markup, &footer, 1, 1));
    let family = Family::for_text(all.iter().map(String::as_str))?;
    let pages = layout::layout(&markup, &family, paper.size(), &footer);
    let pdf = pdf::write(
        &pages,
        &family,
        paper.size(),
        &format!("Letter of Authorization {}", data.port),
    )?;
    Ok(Letter {
        pdf,
        template: templates.display(&name),
    })
}
