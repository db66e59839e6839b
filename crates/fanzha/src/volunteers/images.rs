//! Uploaded images lose their metadata before they are stored: a phone's photo carries EXIF
//! (where and when it was taken, the device, often GPS coordinates) and PNG text chunks may carry
//! names or comments. Proof photos and works are shown to reviewers and, for works, to every
//! school reusing them, so only what draws the picture is kept.
//!
//! JPEG: the APP1 (EXIF, XMP), APP3–APP13 (IPTC and vendor blocks) and COM segments are dropped;
//! APP0 (JFIF), APP2 (the ICC colour profile) and APP14 (Adobe colour transform) are kept, as they
//! change how the picture looks. PNG: the `eXIf`, `tEXt`, `zTXt`, `iTXt` and `tIME` chunks are
//! dropped. A file that does not parse as its type is refused.
//!
//! A phone often stores a photo sideways and records how to turn it in the EXIF Orientation tag;
//! without the tag it would show sideways. So a JPEG whose orientation is not upright (2–8) is
//! decoded, turned and mirrored as the tag says, and encoded again (quality 90, its ICC colour
//! profile kept): the new file carries no EXIF at all. An upright photo (orientation 1 or none)
//! is not re-encoded; only its metadata segments are cut out.

/// Why an image could not be cleaned: it is not the JPEG or PNG its first bytes claim.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The bytes of a JPEG or PNG without its metadata; other files (PDF) unchanged.
pub fn strip_metadata(b: &[u8]) -> Result<Vec<u8>, Malformed> {
    if b.starts_with(&[0xFF, 0xD8]) {
        match jpeg_orientation(b)? {
            Some(o @ 2..=8) => upright_jpeg(b, o),
            _ => strip_jpeg(b),
        }
    } else if b.starts_with(PNG_SIGNATURE) {
        strip_png(b)
    } else {
        Ok(b.to_vec())
    }
}

fn strip_jpeg(b: &[u8]) -> Result<Vec<u8>, Malformed> {
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..2]);
    let mut i = 2;
    loop {
        // Markers may be preceded by fill bytes 0xFF.
        if i >= b.len() || b[i] != 0xFF {
            return Err(Malformed);
        }
        while i < b.len() && b[i] == 0xFF {
            i += 1;
        }
        let marker = *b.get(i).ok_or(Malformed)?;
        i += 1;
        match marker {
            // End of image without a scan, or standalone markers: copy and go on.
            0xD9 => {
                out.extend_from_slice(&[0xFF, 0xD9]);
                return Ok(out);
            }
            0x01 | 0xD0..=0xD7 => out.extend_from_slice(&[0xFF, marker]),
            _ => {
                let len = usize::from(u16::from_be_bytes([
                    *b.get(i).ok_or(Malformed)?,
                    *b.get(i + 1).ok_or(Malformed)?,
                ]));
                if len < 2 || i + len > b.len() {
                    return Err(Malformed);
                }
                let segment = &b[i..i + len];
                let drop = matches!(marker, 0xE1 | 0xE3..=0xED | 0xFE);
                if marker == 0xDA {
                    // Start of scan: the entropy-coded data and everything after it are the
                    // picture itself (later scans, restart markers, EOI).
                    out.extend_from_slice(&[0xFF, marker]);
                    out.extend_from_slice(&b[i..]);
                    return Ok(out);
                }
                if !drop {
                    out.extend_from_slice(&[0xFF, marker]);
                    out.extend_from_slice(segment);
                }
                i += len;
            }
        }
    }
}

/// The EXIF Orientation (1–8) of a JPEG, if its APP1 EXIF block before the first scan has one.
fn jpeg_orientation(b: &[u8]) -> Result<Option<u16>, Malformed> {
    let mut i = 2;
    while i + 4 <= b.len() && b[i] == 0xFF {
        let marker = b[i + 1];
        if matches!(marker, 0xD8 | 0x01 | 0xD0..=0xD7 | 0xFF) {
            i += if marker == 0xFF { 1 } else { 2 };
            continue;
        }
        if matches!(marker, 0xDA | 0xD9) {
            break;
        }
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        if len < 2 || i + 2 + len > b.len() {
            return Err(Malformed);
        }
        let seg = &b[i + 4..i + 2 + len];
        if marker == 0xE1 && seg.starts_with(b"Exif\0\0") {
            return Ok(tiff_orientation(&seg[6..]));
        }
        i += 2 + len;
    }
    Ok(None)
}

/// The Orientation tag (0x0112) of IFD0 of a TIFF header; None when absent, unreadable or out of
/// range (a broken tag leaves the photo as it is).
fn tiff_orientation(t: &[u8]) -> Option<u16> {
    let big = match t.get(..2)? {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let u16_at = |i: usize| -> Option<u16> {
        let x = [*t.get(i)?, *t.get(i + 1)?];
        Some(if big {
            u16::from_be_bytes(x)
        } else {
            u16::from_le_bytes(x)
        })
    };
    let u32_at = |i: usize| -> Option<u32> {
        let x = [*t.get(i)?, *t.get(i + 1)?, *t.get(i + 2)?, *t.get(i + 3)?];
        Some(if big {
            u32::from_be_bytes(x)
        } else {
            u32::from_le_bytes(x)
        })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let n = usize::from(u16_at(ifd)?);
    (0..n)
        .map(|k| ifd + 2 + 12 * k)
        .find(|&e| u16_at(e) == Some(0x0112))
        // SHORT, one value, left-justified in the value field.
        .and_then(|e| (u16_at(e + 2)? == 3).then(|| u16_at(e + 8)).flatten())
        .filter(|o| (1..=8).contains(o))
}

/// Where the pixel at (x, y) of the upright picture comes from in a stored `w` × `h` picture
/// whose EXIF orientation is `o`.
fn source_of(o: u16, x: usize, y: usize, w: usize, h: usize) -> (usize, usize) {
    match o {
        2 => (w - 1 - x, y),
        3 => (w - 1 - x, h - 1 - y),
        4 => (x, h - 1 - y),
        5 => (y, x),
        6 => (y, h - 1 - x),
        7 => (w - 1 - y, h - 1 - x),
        8 => (w - 1 - y, x),
        _ => (x, y),
    }
}

/// Decodes a JPEG, turns it upright per orientation `o` (2–8) and encodes it again without EXIF.
fn upright_jpeg(b: &[u8], o: u16) -> Result<Vec<u8>, Malformed> {
    use jpeg_decoder::PixelFormat;
    use jpeg_encoder::ColorType;
    let mut d = jpeg_decoder::Decoder::new(b);
    let pixels = d.decode().map_err(|_| Malformed)?;
    let info = d.info().ok_or(Malformed)?;
    let (color, n) = match info.pixel_format {
        PixelFormat::L8 => (ColorType::Luma, 1),
        PixelFormat::RGB24 => (ColorType::Rgb, 3),
        PixelFormat::CMYK32 => (ColorType::Cmyk, 4),
        // 16-bit lossless JPEGs (not from phones' cameras): left as they are, metadata cut.
        PixelFormat::L16 => return strip_jpeg(b),
    };
    let (w, h) = (usize::from(info.width), usize::from(info.height));
    if pixels.len() != w * h * n {
        return Err(Malformed);
    }
    let (ow, oh) = if o >= 5 { (h, w) } else { (w, h) };
    let mut out = vec![0u8; pixels.len()];
    for y in 0..oh {
        for x in 0..ow {
            let (sx, sy) = source_of(o, x, y, w, h);
            let (to, from) = ((y * ow + x) * n, (sy * w + sx) * n);
            out[to..to + n].copy_from_slice(&pixels[from..from + n]);
        }
    }
    let mut bytes = Vec::with_capacity(b.len());
    let mut e = jpeg_encoder::Encoder::new(&mut bytes, 90);
    if let Some(icc) = d.icc_profile() {
        e.add_icc_profile(&icc).map_err(|_| Malformed)?;
    }
    let dim = |v: usize| u16::try_from(v).map_err(|_| Malformed);
    e.encode(&out, dim(ow)?, dim(oh)?, color)
        .map_err(|_| Malformed)?;
    Ok(bytes)
}

fn strip_png(b: &[u8]) -> Result<Vec<u8>, Malformed> {
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(PNG_SIGNATURE);
    let mut i = PNG_SIGNATURE.len();
    while i < b.len() {
        if i + 8 > b.len() {
            return Err(Malformed);
        }
        let len = u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as usize;
        let end = i
            .checked_add(12)
            .and_then(|x| x.checked_add(len))
            .ok_or(Malformed)?;
        if end > b.len() {
            return Err(Malformed);
        }
        let kind = &b[i + 4..i + 8];
        if !matches!(kind, b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt" | b"tIME") {
            out.extend_from_slice(&b[i..end]);
        }
        i = end;
        if kind == b"IEND" {
            return Ok(out);
        }
    }
    Err(Malformed)
}

/// Whether a JPEG or PNG still carries EXIF or text metadata (what the tests check of stored
/// bytes).
pub fn has_metadata(b: &[u8]) -> bool {
    match strip_metadata(b) {
        Ok(clean) => clean.len() != b.len(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny JPEG: SOI, APP0 JFIF, APP1 EXIF with a GPS tag's bytes, COM, a quantisation table,
    /// SOS with two data bytes, EOI.
    fn jpeg_with_exif() -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8];
        b.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x10]);
        b.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        let exif = b"Exif\0\0GPS 25.04N 102.71E";
        b.extend_from_slice(&[0xFF, 0xE1, 0x00, (exif.len() + 2) as u8]);
        b.extend_from_slice(exif);
        b.extend_from_slice(&[0xFF, 0xFE, 0x00, 0x07]);
        b.extend_from_slice(b"hello");
        b.extend_from_slice(&[0xFF, 0xDB, 0x00, 0x04, 0x00, 0x01]);
        b.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02, 0x12, 0x34, 0xFF, 0xD9]);
        b
    }

    fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0, 0, 0, 0]);
        c
    }

    #[test]
    fn jpeg_loses_exif_and_comments_and_keeps_the_picture() {
        let b = jpeg_with_exif();
        let clean = strip_metadata(&b).unwrap();
        assert!(!clean.windows(4).any(|w| w == b"Exif"));
        assert!(!clean.windows(5).any(|w| w == b"hello"));
        assert!(clean.windows(4).any(|w| w == b"JFIF"));
        assert!(clean.ends_with(&[0xFF, 0xDA, 0x00, 0x02, 0x12, 0x34, 0xFF, 0xD9]));
        assert!(has_metadata(&b));
        assert!(!has_metadata(&clean));
        assert_eq!(strip_metadata(&clean).unwrap(), clean, "idempotent");
    }

    #[test]
    fn png_loses_text_and_exif_chunks() {
        let mut b = PNG_SIGNATURE.to_vec();
        b.extend(chunk(b"IHDR", &[0; 13]));
        b.extend(chunk(b"eXIf", b"MM\0*GPS"));
        b.extend(chunk(b"tEXt", b"Author\0Zhang San"));
        b.extend(chunk(b"IDAT", &[1, 2, 3]));
        b.extend(chunk(b"IEND", &[]));
        let clean = strip_metadata(&b).unwrap();
        assert!(!clean.windows(4).any(|w| w == b"eXIf" || w == b"tEXt"));
        assert!(clean.windows(4).any(|w| w == b"IDAT"));
        assert!(clean.ends_with(&chunk(b"IEND", &[])));
    }

    #[test]
    fn truncated_images_are_refused() {
        let b = jpeg_with_exif();
        assert_eq!(strip_metadata(&b[..20]), Err(Malformed));
        let mut p = PNG_SIGNATURE.to_vec();
        p.extend(chunk(b"IHDR", &[0; 13]));
        assert_eq!(strip_metadata(&p), Err(Malformed), "no IEND");
        assert_eq!(strip_metadata(b"%PDF-1.4 x").unwrap(), b"%PDF-1.4 x");
    }
    /// An IFD0 with one entry, Orientation, in either byte order.
    fn tiff(big: bool, tag: u16, kind: u16, value: u16) -> Vec<u8> {
        let w16 = |v: u16| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let w32 = |v: u32| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut t = if big { b"MM".to_vec() } else { b"II".to_vec() };
        t.extend_from_slice(&w16(42));
        t.extend_from_slice(&w32(8));
        t.extend_from_slice(&w16(1));
        t.extend_from_slice(&w16(tag));
        t.extend_from_slice(&w16(kind));
        t.extend_from_slice(&w32(1));
        t.extend_from_slice(&w16(value));
        t.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        t
    }

    #[test]
    fn the_orientation_is_read_in_either_byte_order_and_only_when_sound() {
        assert_eq!(tiff_orientation(&tiff(false, 0x0112, 3, 6)), Some(6));
        assert_eq!(tiff_orientation(&tiff(true, 0x0112, 3, 8)), Some(8));
        assert_eq!(
            tiff_orientation(&tiff(true, 0x0110, 3, 6)),
            None,
            "another tag"
        );
        assert_eq!(
            tiff_orientation(&tiff(false, 0x0112, 4, 6)),
            None,
            "not a SHORT"
        );
        assert_eq!(
            tiff_orientation(&tiff(false, 0x0112, 3, 9)),
            None,
            "out of range"
        );
        assert_eq!(
            tiff_orientation(&tiff(false, 0x0112, 3, 6)[..12]),
            None,
            "cut short"
        );
        // The test JPEG's EXIF has no orientation: stripped, not decoded.
        assert_eq!(jpeg_orientation(&jpeg_with_exif()), Ok(None));
    }

    #[test]
    fn every_orientation_maps_inside_the_picture_and_is_a_permutation() {
        let (w, h) = (5, 3);
        for o in 1..=8u16 {
            let (ow, oh) = if o >= 5 { (h, w) } else { (w, h) };
            let mut seen = std::collections::HashSet::new();
            for y in 0..oh {
                for x in 0..ow {
                    let (sx, sy) = source_of(o, x, y, w, h);
                    assert!(sx < w && sy < h, "{o}");
                    seen.insert((sx, sy));
                }
            }
            assert_eq!(seen.len(), w * h, "{o}");
        }
    }

    /// A print-shop CMYK JPEG (four components, as poster files often are) lying on its side is
    /// turned like a photo and stays CMYK, its inks unchanged (not inverted by the round trip).
    #[test]
    fn a_sideways_cmyk_jpeg_is_turned_and_keeps_its_inks() {
        let (w, h) = (32u16, 16u16);
        let (left, right) = ([10u8, 200, 30, 40], [220u8, 20, 180, 60]);
        let mut px = Vec::new();
        for _ in 0..h {
            for x in 0..w {
                px.extend_from_slice(if x < w / 2 { &left } else { &right });
            }
        }
        let mut plain = Vec::new();
        jpeg_encoder::Encoder::new(&mut plain, 95)
            .encode(&px, w, h, jpeg_encoder::ColorType::Cmyk)
            .unwrap();
        let turned = upright_jpeg(&plain, 6).expect("turned");
        let mut d = jpeg_decoder::Decoder::new(&turned[..]);
        let out = d.decode().expect("decodes");
        let info = d.info().unwrap();
        assert_eq!(info.pixel_format, jpeg_decoder::PixelFormat::CMYK32);
        assert_eq!((info.width, info.height), (h, w));
        // Orientation 6: the stored picture's left edge is the upright picture's top.
        let at = |x: usize, y: usize| &out[(y * usize::from(h) + x) * 4..][..4];
        let close = |a: &[u8], b: &[u8; 4]| a.iter().zip(b).all(|(x, y)| x.abs_diff(*y) < 24);
        assert!(close(at(8, 2), &left), "top {:?}", at(8, 2));
        assert!(
            close(at(8, usize::from(w) - 3), &right),
            "bottom {:?}",
            at(8, usize::from(w) - 3)
        );
    }
}
