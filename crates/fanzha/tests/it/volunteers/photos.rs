//! A phone photo handed in as proof is stored upright: the turn its EXIF Orientation asks for is
//! applied to the pixels (width and height swap for a quarter turn), and the EXIF goes; an
//! upright photo is stored as it came, less its metadata (no re-encoding); a photo whose
//! orientation asks for a turn but whose picture does not decode is refused, nothing stored.

use super::*;

/// A `w` × `h` RGB JPEG, red on its left half and blue on its right, with an EXIF block (a
/// little-endian TIFF, as phones write it) carrying `orientation` and a GPS-like string.
fn phone_photo(w: u16, h: u16, orientation: Option<u16>) -> Vec<u8> {
    let mut px = Vec::new();
    for _ in 0..h {
        for x in 0..w {
            px.extend_from_slice(if x < w / 2 {
                &[230, 20, 20]
            } else {
                &[20, 20, 230]
            });
        }
    }
    let mut plain = Vec::new();
    jpeg_encoder::Encoder::new(&mut plain, 95)
        .encode(&px, w, h, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    match orientation {
        Some(o) => {
            tiff.extend_from_slice(&1u16.to_le_bytes());
            tiff.extend_from_slice(&0x0112u16.to_le_bytes());
            tiff.extend_from_slice(&3u16.to_le_bytes());
            tiff.extend_from_slice(&1u32.to_le_bytes());
            tiff.extend_from_slice(&o.to_le_bytes());
            tiff.extend_from_slice(&[0, 0]);
        }
        None => tiff.extend_from_slice(&0u16.to_le_bytes()),
    }
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    tiff.extend_from_slice(b"GPS 25.04N 102.71E");
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut b = plain[..2].to_vec();
    b.extend_from_slice(&[0xFF, 0xE1]);
    b.extend_from_slice(&u16::try_from(app1.len() + 2).unwrap().to_be_bytes());
    b.extend_from_slice(&app1);
    b.extend_from_slice(&plain[2..]);
    b
}

struct Picture {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

fn decoded(b: &[u8]) -> Picture {
    let mut d = jpeg_decoder::Decoder::new(b);
    let rgb = d.decode().expect("a JPEG");
    let i = d.info().unwrap();
    assert_eq!(i.pixel_format, jpeg_decoder::PixelFormat::RGB24);
    Picture {
        width: usize::from(i.width),
        height: usize::from(i.height),
        rgb,
    }
}

impl Picture {
    /// Whether the pixel at (x, y) is mostly red (else mostly blue).
    fn red_at(&self, x: usize, y: usize) -> bool {
        let p = &self.rgb[(y * self.width + x) * 3..];
        p[0] > 150 && p[2] < 100
    }
}

/// Hands `photo` in as proof of a fresh task; the status and what was stored.
async fn hand_in_photo(
    app: &TestApp,
    police: &str,
    s1: &str,
    photo: &[u8],
) -> (u16, Option<Vec<u8>>) {
    let id = claimed_task(app, police, s1, "photo").await;
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, photo);
    let (s, v) = post_json_read(
        app,
        s1,
        &format!("/api/v1/volunteers/tasks/{id}/proof"),
        json!({"photo_base64": b64}),
    )
    .await;
    assert!(s == 200 || s == 422, "{s} {v}");
    let stored: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT proof_photo FROM vol_claims WHERE task_id = $1")
            .bind(id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    (s.as_u16(), stored)
}

#[tokio::test]
async fn a_sideways_phone_photo_is_stored_upright_and_without_exif() {
    let app = spawn_seeded().await;
    let police = tok(&app, "police1").await;
    let s1 = join(&app, "student1").await;
    let no_exif =
        |b: &[u8]| !b.windows(4).any(|w| w == b"Exif") && !b.windows(3).any(|w| w == b"GPS");

    // Orientation 6: turned a quarter clockwise, the red left half on top.
    let (s, stored) = hand_in_photo(&app, &police, &s1, &phone_photo(32, 16, Some(6))).await;
    let stored = stored.expect("stored");
    assert_eq!(s, 200);
    assert!(no_exif(&stored));
    let p = decoded(&stored);
    assert_eq!((p.width, p.height), (16, 32), "width and height swapped");
    assert!(p.red_at(8, 4) && !p.red_at(8, 27));

    // Orientation 8 turns the other way; 3 is upside down, 2 a mirror: same size, halves swapped.
    let (_, stored) = hand_in_photo(&app, &police, &s1, &phone_photo(32, 16, Some(8))).await;
    let p = decoded(&stored.unwrap());
    assert_eq!((p.width, p.height), (16, 32));
    assert!(!p.red_at(8, 4) && p.red_at(8, 27));
    for o in [2, 3] {
        let (_, stored) = hand_in_photo(&app, &police, &s1, &phone_photo(32, 16, Some(o))).await;
        let stored = stored.unwrap();
        assert!(no_exif(&stored), "{o}");
        let p = decoded(&stored);
        assert_eq!((p.width, p.height), (32, 16), "{o}");
        assert!(!p.red_at(4, 8) && p.red_at(27, 8), "{o}");
    }

    // Upright (1) or no orientation at all: the same bytes less the EXIF segment.
    for o in [Some(1), None] {
        let photo = phone_photo(32, 16, o);
        let (s, stored) = hand_in_photo(&app, &police, &s1, &photo).await;
        assert_eq!(s, 200);
        let stored = stored.unwrap();
        let exif = usize::from(u16::from_be_bytes([photo[4], photo[5]])) + 2;
        assert_eq!(stored[..2], photo[..2], "{o:?}");
        assert_eq!(stored[2..], photo[2 + exif..], "not re-encoded: {o:?}");
        assert!(no_exif(&stored));
    }

    // A photo asking for a turn whose picture is cut short (inside its tables): refused,
    // nothing stored.
    let photo = phone_photo(32, 16, Some(6));
    let cut = &photo[..120];
    let (s, stored) = hand_in_photo(&app, &police, &s1, cut).await;
    assert_eq!((s, stored), (422, None));
}
