//! A TrueType subsetter that keeps glyph ids: every glyph the letter does not use is
//! emptied, the glyph list is cut after the highest one used, and tables a PDF reader does
//! not need are dropped. Keeping the ids means the content stream, `/W` widths and
//! `/ToUnicode` map written for the full font stay valid for the subset.

use std::collections::BTreeSet;

/// Why a font could not be subset (the bundled fonts are well-formed; this guards edits).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubsetError {
    /// A table is missing or shorter than its structure says.
    #[error("the font has no usable `{0}` table")]
    Table(&'static str),
    /// A glyph outline points outside the `glyf` table.
    #[error("glyph {0} lies outside the font's `glyf` table")]
    Glyph(u16),
}

/// Tables copied into the subset, in the order of the table directory (sorted by tag).
/// PDF 32000 §9.9 lists head, hhea, loca, maxp, cvt, prep, glyf, hmtx and fpgm for a
/// TrueType program embedded as a CIDFont; OS/2 and a glyph-name-free post are kept so
/// strict readers find the metrics they look for.
const KEPT: [&[u8; 4]; 11] = [
    b"OS/2", b"cvt ", b"fpgm", b"glyf", b"head", b"hhea", b"hmtx", b"loca", b"maxp", b"post",
    b"prep",
];

/// Flags of a composite glyph component (OpenType `glyf` specification).
const ARG_1_AND_2_ARE_WORDS: u16 = 0x0001;
const WE_HAVE_A_SCALE: u16 = 0x0008;
const MORE_COMPONENTS: u16 = 0x0020;
const WE_HAVE_AN_X_AND_Y_SCALE: u16 = 0x0040;
const WE_HAVE_A_TWO_BY_TWO: u16 = 0x0080;

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    let bytes = data.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([bytes[0], bytes[1]]))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    let bytes = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

/// The tables of an sfnt, by tag.
struct Font<'a> {
    data: &'a [u8],
    tables: Vec<([u8; 4], usize, usize)>,
}

impl<'a> Font<'a> {
    fn parse(data: &'a [u8]) -> Result<Font<'a>, SubsetError> {
        let count = u16_at(data, 4).ok_or(SubsetError::Table("sfnt header"))?;
        let mut tables = Vec::new();
        for i in 0..usize::from(count) {
            let rec = 12 + 16 * i;
            let tag = data
                .get(rec..rec + 4)
                .ok_or(SubsetError::Table("table directory"))?;
            let offset = u32_at(data, rec + 8).ok_or(SubsetError::Table("table directory"))?;
            let length = u32_at(data, rec + 12).ok_or(SubsetError::Table("table directory"))?;
            let mut tag4 = [0u8; 4];
            tag4.copy_from_slice(tag);
            tables.push((tag4, offset as usize, length as usize));
        }
        Ok(Font { data, tables })
    }

    fn table(&self, tag: &[u8; 4], name: &'static str) -> Result<&'a [u8], SubsetError> {
        self.tables
            .iter()
            .find(|(t, _, _)| t == tag)
            .and_then(|&(_, offset, length)| self.data.get(offset..offset.checked_add(length)?))
            .ok_or(SubsetError::Table(name))
    }
}

/// The byte range of each glyph in `glyf`, from `loca`.
fn glyph_ranges(
    loca: &[u8],
    long: bool,
    count: usize,
) -> Result<Vec<std::ops::Range<usize>>, SubsetError> {
    let offset = |i: usize| -> Option<usize> {
        if long {
            u32_at(loca, i * 4).map(|v| v as usize)
        } else {
            u16_at(loca, i * 2).map(|v| usize::from(v) * 2)
        }
    };
    (0..count)
        .map(|i| {
            let start = offset(i).ok_or(SubsetError::Table("loca"))?;
            let end = offset(i + 1).ok_or(SubsetError::Table("loca"))?;
            Ok(start..end.max(start))
        })
        .collect()
}

/// The glyphs a composite glyph is built from.
fn components(glyph: &[u8]) -> Vec<u16> {
    let mut out = Vec::new();
    let contours = u16_at(glyph, 0).map_or(0, |v| v as i16);
    if contours >= 0 {
        return out;
    }
    let mut at = 10;
    while let (Some(flags), Some(index)) = (u16_at(glyph, at), u16_at(glyph, at + 2)) {
        out.push(index);
        at += 4;
        at += if flags & ARG_1_AND_2_ARE_WORDS != 0 {
            4
        } else {
            2
        };
        if flags & WE_HAVE_A_SCALE != 0 {
            at += 2;
        } else if flags & WE_HAVE_AN_X_AND_Y_SCALE != 0 {
            at += 4;
        } else if flags & WE_HAVE_A_TWO_BY_TWO != 0 {
            at += 8;
        }
        if flags & MORE_COMPONENTS == 0 {
            break;
        }
    }
    out
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, chunk| {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

fn set_u16(data: &mut [u8], at: usize, value: u16) {
    if let Some(slot) = data.get_mut(at..at + 2) {
        slot.copy_from_slice(&value.to_be_bytes());
    }
}

fn set_u32(data: &mut [u8], at: usize, value: u32) {
    if let Some(slot) = data.get_mut(at..at + 4) {
        slot.copy_from_slice(&value.to_be_bytes());
    }
}

/// A TrueType program holding only `glyphs` (plus `.notdef` and the components of
/// composite glyphs), with every glyph keeping its id.
pub fn subset(font: &[u8], glyphs: &BTreeSet<u16>) -> Result<Vec<u8>, SubsetError> {
    let parsed = Font::parse(font)?;
    let head = parsed.table(b"head", "head")?;
    let maxp = parsed.table(b"maxp", "maxp")?;
    let hhea = parsed.table(b"hhea", "hhea")?;
    let hmtx = parsed.table(b"hmtx", "hmtx")?;
    let loca = parsed.table(b"loca", "loca")?;
    let glyf = parsed.table(b"glyf", "glyf")?;
    let long_loca = u16_at(head, 50).ok_or(SubsetError::Table("head"))? != 0;
    let num_glyphs = usize::from(u16_at(maxp, 4).ok_or(SubsetError::Table("maxp"))?);
    let num_metrics = usize::from(u16_at(hhea, 34).ok_or(SubsetError::Table("hhea"))?);
    let ranges = glyph_ranges(loca, long_loca, num_glyphs)?;

    // Close the set over composite components; .notdef (0) is always kept.
    let mut keep: BTreeSet<u16> = glyphs
        .iter()
        .copied()
        .filter(|&g| usize::from(g) < num_glyphs)
        .collect();
    keep.insert(0);
    let mut todo: Vec<u16> = keep.iter().copied().collect();
    while let Some(gid) = todo.pop() {
        let range = ranges
            .get(usize::from(gid))
            .cloned()
            .ok_or(SubsetError::Glyph(gid))?;
        let outline = glyf.get(range).ok_or(SubsetError::Glyph(gid))?;
        for part in components(outline) {
            if usize::from(part) < num_glyphs && keep.insert(part) {
                todo.push(part);
            }
        }
    }
    let count = keep.last().map_or(1, |&g| usize::from(g) + 1);

    let mut new_glyf = Vec::new();
    let mut new_loca = Vec::with_capacity((count + 1) * 4);
    for (gid, range) in ranges.iter().enumerate().take(count) {
        new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());
        let Ok(id) = u16::try_from(gid) else { break };
        if keep.contains(&id) {
            let outline = glyf.get(range.clone()).ok_or(SubsetError::Glyph(id))?;
            new_glyf.extend_from_slice(outline);
            new_glyf.resize(new_glyf.len().next_multiple_of(4), 0);
        }
    }
    new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());

    let metrics = num_metrics.min(count);
    let mut new_hmtx = hmtx
        .get(..metrics * 4)
        .ok_or(SubsetError::Table("hmtx"))?
        .to_vec();
    if count > metrics {
        // Here `metrics == num_metrics`: the left side bearings of the remaining glyphs follow.
        let lsb_start = num_metrics * 4;
        let lsbs = hmtx
            .get(lsb_start..lsb_start + (count - metrics) * 2)
            .ok_or(SubsetError::Table("hmtx"))?;
        new_hmtx.extend_from_slice(lsbs);
    }

    let mut new_head = head.to_vec();
    set_u32(&mut new_head, 8, 0);
    set_u16(&mut new_head, 50, 1);
    let mut new_maxp = maxp.to_vec();
    set_u16(&mut new_maxp, 4, count as u16);
    let mut new_hhea = hhea.to_vec();
    set_u16(&mut new_hhea, 34, metrics as u16);
    // post version 3 carries metrics but no glyph names, which would name dropped glyphs.
    let mut new_post = parsed
        .table(b"post", "post")?
        .get(..32)
        .ok_or(SubsetError::Table("post"))?
        .to_vec();
    set_u32(&mut new_post, 0, 0x0003_0000);

    let mut tables: Vec<(&[u8; 4], Vec<u8>)> = Vec::new();
    for tag in KEPT {
        let data = match tag {
            b"glyf" => std::mem::take(&mut new_glyf),
            b"loca" => std::mem::take(&mut new_loca),
            b"hmtx" => std::mem::take(&mut new_hmtx),
            b"head" => std::mem::take(&mut new_head),
            b"maxp" => std::mem::take(&mut new_maxp),
            b"hhea" => std::mem::take(&mut new_hhea),
            b"post" => std::mem::take(&mut new_post),
            other => match parsed.table(other, "optional") {
                Ok(data) => data.to_vec(),
                // cvt, fpgm, prep and OS/2 are absent from some fonts; that is fine.
                Err(_) => continue,
            },
        };
        tables.push((tag, data));
    }
    Ok(assemble(&tables))
}

/// Writes an sfnt from tables sorted by tag, with checksums and `checkSumAdjustment`.
fn assemble(tables: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
    let count = tables.len() as u16;
    let mut power = 1u16;
    let mut selector = 0u16;
    while power * 2 <= count {
        power *= 2;
        selector += 1;
    }
    let mut out = Vec::new();
    out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    out.extend_from_slice(&count.to_be_bytes());
    out.extend_from_slice(&(power * 16).to_be_bytes());
    out.extend_from_slice(&selector.to_be_bytes());
    out.extend_from_slice(&(count * 16 - power * 16).to_be_bytes());
    let mut offset = 12 + 16 * tables.len();
    let mut head_at = None;
    for (tag, data) in tables {
        if *tag == b"head" {
            head_at = Some(offset);
        }
        out.extend_from_slice(*tag);
        out.extend_from_slice(&checksum(data).to_be_bytes());
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        offset += data.len().next_multiple_of(4);
    }
    for (_, data) in tables {
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(4), 0);
    }
    if let Some(at) = head_at {
        let adjustment = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
        set_u32(&mut out, at + 8, adjustment);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

    #[test]
    fn keeps_ids_and_components() {
        let parsed = Font::parse(FONT).expect("font");
        let cmap_free_gid = 36; // 'A' in DejaVu Sans
        let out = subset(FONT, &BTreeSet::from([cmap_free_gid])).expect("font");
        let sub = Font::parse(&out).expect("font");
        let maxp = sub.table(b"maxp", "maxp").expect("table");
        assert_eq!(u16_at(maxp, 4), Some(cmap_free_gid + 1));
        // The kept glyph is byte-identical to the original outline.
        let head = parsed.table(b"head", "head").expect("table");
        let long = u16_at(head, 50) != Some(0);
        let loca = parsed.table(b"loca", "loca").expect("table");
        let original = glyph_ranges(loca, long, 40).expect("table");
        let sub_loca = sub.table(b"loca", "loca").expect("table");
        let kept = glyph_ranges(sub_loca, true, 37).expect("table");
        let glyf = parsed.table(b"glyf", "glyf").expect("table");
        let sub_glyf = sub.table(b"glyf", "glyf").expect("table");
        assert_eq!(
            &glyf[original[36].clone()],
            &sub_glyf[kept[36].start..kept[36].start + original[36].len()]
        );
        assert!(kept[5].is_empty(), "unused glyphs are emptied");
        assert_eq!(
            checksum(&out),
            0xB1B0_AFBA,
            "checkSumAdjustment balances the font"
        );
        assert!(out.len() < 20_000, "subset is {} bytes", out.len());
    }

    #[test]
    fn composite_components_are_kept() {
        // Find a composite glyph and check its parts survive.
        let parsed = Font::parse(FONT).expect("font");
        let head = parsed.table(b"head", "head").expect("table");
        let long = u16_at(head, 50) != Some(0);
        let maxp = parsed.table(b"maxp", "maxp").expect("table");
        let n = usize::from(u16_at(maxp, 4).unwrap_or(0));
        let ranges =
            glyph_ranges(parsed.table(b"loca", "loca").expect("table"), long, n).expect("table");
        let glyf = parsed.table(b"glyf", "glyf").expect("table");
        let (gid, parts) = (0..n)
            .find_map(|g| {
                let parts = components(&glyf[ranges[g].clone()]);
                (!parts.is_empty()).then_some((g as u16, parts))
            })
            .expect("table");
        assert!(!parts.is_empty(), "DejaVu Sans has composite glyphs");
        let out = subset(FONT, &BTreeSet::from([gid])).expect("table");
        let sub = Font::parse(&out).expect("font");
        let sub_maxp = sub.table(b"maxp", "maxp").expect("table");
        let count = usize::from(u16_at(sub_maxp, 4).unwrap_or(0));
        let sub_ranges =
            glyph_ranges(sub.table(b"loca", "loca").expect("table"), true, count).expect("table");
        for part in parts {
            assert!(
                !sub_ranges[usize::from(part)].is_empty(),
                "component {part} kept"
            );
        }
    }
}
