//! Evidence images: the type is sniffed from the bytes (JPEG, PNG, WebP; a PDF renamed `.png` is
//! refused), metadata is stripped (EXIF, XMP, comments, text chunks — where and when a photo was
//! taken is not ours to keep), and the file is stored under `<data dir>/reports/<report id>/`.

use crate::kernel::ids::ReportId;
use std::path::{Path, PathBuf};

/// Most images of one report.
pub const MAX_PER_REPORT: i64 = 6;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageType {
    Jpeg,
    Png,
    Webp,
}

impl ImageType {
    pub fn media_type(self) -> &'static str {
        match self {
            ImageType::Jpeg => "image/jpeg",
            ImageType::Png => "image/png",
            ImageType::Webp => "image/webp",
        }
    }
    pub fn ext(self) -> &'static str {
        match self {
            ImageType::Jpeg => "jpg",
            ImageType::Png => "png",
            ImageType::Webp => "webp",
        }
    }
}

/// The image type of these bytes, whatever the file was called.
pub fn sniff(b: &[u8]) -> Option<ImageType> {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageType::Jpeg)
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageType::Png)
    } else if b.len() >= 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some(ImageType::Webp)
    } else {
        None
    }
}

/// The image without metadata; `None` when the file is not a well-formed image of its type.
pub fn strip(t: ImageType, b: &[u8]) -> Option<Vec<u8>> {
    match t {
        ImageType::Jpeg => strip_jpeg(b),
        ImageType::Png => strip_png(b),
        ImageType::Webp => strip_webp(b),
    }
}

/// Drops APP1–APP15 (EXIF, XMP, ICC, vendor data) and COM segments; keeps APP0 (JFIF) and every
/// segment needed to decode. Everything from the start of scan on is copied as is.
fn strip_jpeg(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[0..2]);
    let mut i = 2;
    loop {
        if i + 4 > b.len() || b[i] != 0xFF {
            return None;
        }
        let marker = b[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        if marker == 0xD9 {
            out.extend_from_slice(&b[i..i + 2]);
            return Some(out);
        }
        let len = u16::from_be_bytes([b[i + 2], b[i + 3]]) as usize;
        if len < 2 || i + 2 + len > b.len() {
            return None;
        }
        let seg = &b[i..i + 2 + len];
        if marker == 0xDA {
            // Start of scan: the entropy-coded data and the rest of the file.
            out.extend_from_slice(&b[i..]);
            return Some(out);
        }
        let drop = (0xE1..=0xEF).contains(&marker) || marker == 0xFE;
        if !drop {
            out.extend_from_slice(seg);
        }
        i += 2 + len;
    }
}

/// Keeps only the chunks needed to show the image (IHDR, PLTE, IDAT, IEND, tRNS, gAMA, sRGB,
/// cHRM, sBIT, bKGD, pHYs); text, time, EXIF and private chunks go. CRCs are not recomputed:
/// kept chunks are copied whole.
fn strip_png(b: &[u8]) -> Option<Vec<u8>> {
    const KEEP: [&[u8; 4]; 11] = [
        b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"sRGB", b"cHRM", b"sBIT", b"bKGD",
        b"pHYs",
    ];
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[0..8]);
    let mut i = 8;
    let mut seen_ihdr = false;
    while i + 12 <= b.len() {
        let len = u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as usize;
        let end = i.checked_add(12)?.checked_add(len)?;
        if end > b.len() {
            return None;
        }
        let kind = &b[i + 4..i + 8];
        if kind == b"IHDR" {
            seen_ihdr = true;
        }
        if KEEP.iter().any(|k| &k[..] == kind) {
            out.extend_from_slice(&b[i..end]);
        }
        if kind == b"IEND" {
            return seen_ihdr.then_some(out);
        }
        i = end;
    }
    None
}

/// Drops the EXIF and XMP chunks of a WebP file and clears their flags in VP8X.
fn strip_webp(b: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::with_capacity(b.len());
    let mut i = 12;
    let mut any_image = false;
    while i + 8 <= b.len() {
        let kind = &b[i..i + 4];
        let len = u32::from_le_bytes([b[i + 4], b[i + 5], b[i + 6], b[i + 7]]) as usize;
        let padded = len + (len & 1);
        let end = (i + 8).checked_add(padded)?;
        if end > b.len() && i + 8 + len != b.len() {
            return None;
        }
        let end = end.min(b.len());
        match kind {
            b"EXIF" | b"XMP " => {}
            b"VP8X" => {
                let mut c = b[i..end].to_vec();
                if c.len() > 8 {
                    // Flags: bit 3 EXIF, bit 2 XMP.
                    c[8] &= !0b0000_1100;
                }
                body.extend_from_slice(&c);
            }
            _ => {
                if matches!(kind, b"VP8 " | b"VP8L" | b"ANIM" | b"ANMF") {
                    any_image = true;
                }
                body.extend_from_slice(&b[i..end]);
            }
        }
        i = end;
    }
    if !any_image {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() + 12);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&((body.len() + 4) as u32).to_le_bytes());
    out.extend_from_slice(b"WEBP");
    out.extend_from_slice(&body);
    Some(out)
}

/// Where an evidence file lives.
pub fn path_of(data_dir: &Path, report_id: ReportId, sha: &str, t: &str) -> PathBuf {
    let ext = match t {
        "image/png" => "png",
        "image/webp" => "webp",
        _ => "jpg",
    };
    data_dir
        .join("reports")
        .join(report_id.to_string())
        .join(format!("{sha}.{ext}"))
}

/// Writes the file durably (temp file, fsync, rename), before the row that points at it commits.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("part");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_with_text() -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
        let chunk = |b: &mut Vec<u8>, kind: &[u8], data: &[u8]| {
            b.extend_from_slice(&(data.len() as u32).to_be_bytes());
            b.extend_from_slice(kind);
            b.extend_from_slice(data);
            b.extend_from_slice(&[0, 0, 0, 0]);
        };
        chunk(&mut b, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
        chunk(&mut b, b"tEXt", b"GPS\x0031.2,121.4");
        chunk(&mut b, b"IDAT", &[1, 2, 3]);
        chunk(&mut b, b"IEND", &[]);
        b
    }

    #[test]
    fn png_text_is_dropped() {
        let b = png_with_text();
        assert_eq!(sniff(&b), Some(ImageType::Png));
        let s = strip(ImageType::Png, &b).unwrap();
        assert!(!s.windows(4).any(|w| w == b"tEXt"));
        assert!(s.windows(4).any(|w| w == b"IDAT"));
    }

    #[test]
    fn jpeg_exif_is_dropped() {
        let mut b = vec![0xFF, 0xD8];
        b.extend_from_slice(&[0xFF, 0xE1, 0x00, 0x08]);
        b.extend_from_slice(b"Exif\0\0");
        b.extend_from_slice(&[0xFF, 0xDB, 0x00, 0x03, 0x01]);
        b.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02, 0x11, 0x22, 0xFF, 0xD9]);
        let s = strip(ImageType::Jpeg, &b).unwrap();
        assert!(!s.windows(4).any(|w| w == b"Exif"));
        assert!(s.ends_with(&[0xFF, 0xD9]));
    }

    #[test]
    fn pdf_is_not_an_image() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), None);
    }
}
