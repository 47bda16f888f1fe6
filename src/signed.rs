//! A signed LOA file as portflow sees it: the sha256 of its bytes, and the LOA digest its
//! text layer prints in the footer (a rendered LOA prints `LOA digest sha256:<hex>`; a scan
//! of a wet-ink signature prints none that can be read).

use sha2::{Digest, Sha256};

/// The most decompressed content read from one page when looking for the digest.
const PAGE_TEXT_MAX_BYTES: usize = 16 << 20;

/// What a signed LOA file holds, for binding it to a `signed` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedFile {
    /// Lowercase hex sha256 of the file's bytes.
    pub sha256: String,
    /// The `sha256:<hex>` LOA digest its text layer prints, when it prints one.
    pub printed_digest: Option<String>,
}

impl SignedFile {
    /// Reads the file's hash and, for a PDF, the digest it prints.
    pub fn of(bytes: &[u8]) -> SignedFile {
        SignedFile {
            sha256: sha256_hex(bytes),
            printed_digest: if bytes.starts_with(b"%PDF") {
                printed_digest(bytes)
            } else {
                None
            },
        }
    }
}

/// Lowercase hex sha256 of some bytes: the one hex digest of the project (LOA digests,
/// signed files, rendered outputs, notice ids).
pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::store::hex(&Sha256::digest(bytes))
}

/// The first `sha256:<64 hex>` the PDF's text prints (whitespace ignored, so a digest
/// wrapped over two lines still reads), or `None` when the PDF does not parse or prints
/// none. A malformed PDF never panics the caller.
pub fn printed_digest(bytes: &[u8]) -> Option<String> {
    let text = std::panic::catch_unwind(|| {
        let doc = lopdf::Document::load_mem(bytes).ok()?;
        let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
        let chunks = doc.extract_text_chunks_with_limit(&pages, PAGE_TEXT_MAX_BYTES);
        Some(chunks.into_iter().flatten().collect::<String>())
    })
    .ok()
    .flatten()?;
    digest_in(&text)
}

/// The first `sha256:<64 lowercase hex>` in a text, whitespace ignored.
fn digest_in(text: &str) -> Option<String> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    compact.match_indices("sha256:").find_map(|(at, _)| {
        let hex: String = compact[at + 7..].chars().take(64).collect();
        (hex.len() == 64 && hex.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')))
            .then(|| format!("sha256:{hex}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_is_found_even_when_wrapped() {
        let hex = "ab".repeat(32);
        assert_eq!(
            digest_in(&format!(
                "Port x · LOA digest sha256:{}\n{}",
                &hex[..20],
                &hex[20..]
            )),
            Some(format!("sha256:{hex}"))
        );
        assert_eq!(digest_in("LOA digest sha256:abc"), None);
        assert_eq!(digest_in(""), None);
    }

    #[test]
    fn deeply_nested_objects_do_not_overflow_the_stack() {
        for open in ["[", "<<", "[ "] {
            let mut bytes = b"%PDF-1.7\n1 0 obj\n".to_vec();
            bytes.extend(open.repeat(200_000).as_bytes());
            bytes.extend(b"\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
            assert_eq!(printed_digest(&bytes), None);
        }
    }

    #[test]
    fn garbage_is_no_pdf_and_never_panics() {
        assert_eq!(printed_digest(b"%PDF-1.7\n garbage"), None);
        let file = SignedFile::of(b"\x89PNG\r\n\x1a\n");
        assert_eq!(file.printed_digest, None);
        assert_eq!(file.sha256.len(), 64);
    }
}
