//! The fraud-type classifier: a multinomial logistic regression over hashed character 1–3-grams
//! and indicator-kind features of the normalised text, its versioned binary file format, and the
//! deterministic trainer that also accepts labelled JSONL exported from the platform.

use crate::extract::{Indicator, IndicatorKind};
use crate::FraudType;
use std::io::{BufRead, Read, Write};
use std::path::Path;

const MAGIC: &[u8; 4] = b"FZDM";
/// Format version of the model file.
pub const FORMAT_VERSION: u32 = 1;
const N: usize = FraudType::COUNT;
const IDF_SCALE: f32 = 16.0;

/// The model committed with the crate.
pub const BUILTIN_MODEL: &[u8] = include_bytes!("../model/fanzha-model.bin");

/// Errors reading a model file or training one.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("not a fanzha model file (bad magic)")]
    Magic,
    #[error("model format version {0} is not supported (this build reads {FORMAT_VERSION})")]
    Version(u32),
    #[error("model file is truncated or corrupt: {0}")]
    Corrupt(&'static str),
    #[error("{file}: {message}")]
    Io { file: String, message: String },
    #[error("{file}:{line}: {message}")]
    Data {
        file: String,
        line: usize,
        message: String,
    },
    #[error("no training examples")]
    Empty,
}

/// A trained classifier.
///
/// ```
/// use fanzha_detect::model::Model;
/// let m = Model::builtin().unwrap();
/// let bytes = m.to_bytes();
/// let again = Model::from_bytes(&bytes).unwrap();
/// assert_eq!(again.bits(), m.bits());
/// ```
#[derive(Debug, Clone)]
pub struct Model {
    bits: u32,
    bias: [f32; N],
    scale: [f32; N],
    /// `[bucket][class]`, quantised. Per bucket: the class weights already multiplied by the
    /// bucket's IDF (|127 × 255| fits an i16) and, in lane `N`, the IDF itself. One 32-byte row
    /// per n-gram means one memory access per feature when scoring, and the scoring loop is a
    /// widening add with no multiplication.
    rows: Vec<[i16; 16]>,
    /// Free-form training metadata (JSON) kept in the file for the model card.
    meta: String,
    /// Stable id of this model: the metadata's `version`, else a hash of the file.
    version: String,
    /// Monotone map of the risk, fitted on held-out rows (metadata `calibration`): knots
    /// `(risk, calibrated)` with both coordinates non-decreasing, linear in between. Empty: the
    /// risk is used as it is.
    calibration: Vec<(f32, f32)>,
    /// The hash of what scores (the metadata's `version`), without the map.
    weights_version: String,
}

/// FNV-1a, 64 bits: a stable content hash with no dependency.
fn fnv64(parts: &[&[u8]]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for p in parts {
        for &b in *p {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The `version` field of a metadata text.
fn meta_version(meta: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(meta).ok()?;
    v.get("version")?.as_str().map(str::to_string)
}

/// Class scores of one text.
#[derive(Debug, Clone, Copy)]
pub struct Scores {
    /// Un-normalised log-probabilities per class (index = [`FraudType::index`]).
    pub logits: [f32; N],
}

impl Scores {
    /// Softmax of the logits.
    pub fn probabilities(&self) -> [f32; N] {
        softmax(&self.logits)
    }
}

pub(crate) fn softmax(z: &[f32; N]) -> [f32; N] {
    let m = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut p = [0f32; N];
    let mut sum = 0.0;
    for (pi, zi) in p.iter_mut().zip(z) {
        *pi = (zi - m).exp();
        sum += *pi;
    }
    for pi in &mut p {
        *pi /= sum;
    }
    p
}

// --------------------------------------------------------------------------------- features

const K: u64 = 0x9E37_79B9_7F4A_7C15;

#[inline]
fn mix(h: u64, x: u64) -> u64 {
    (h ^ x).wrapping_mul(K).rotate_left(29)
}

/// Folds characters so features generalise: every digit is one symbol, ASCII letters keep.
#[inline]
fn fold(c: char) -> u64 {
    if c.is_ascii_digit() {
        u64::from(b'0')
    } else {
        c as u64
    }
}

/// Calls `f(hash, start, end)` for every feature of a normalised text: the char 1-, 2- and
/// 3-grams (byte range in the normalised text) and one per indicator kind present.
pub fn for_each_feature(
    text: &str,
    indicators: &[Indicator],
    mut f: impl FnMut(u64, usize, usize),
) {
    // Sentinel boundary symbols let the model see message starts and ends.
    let (mut c1, mut c2) = (1u64, 2u64);
    let (mut s1, mut s2) = (0usize, 0usize);
    for (i, c) in text.char_indices() {
        let c0 = fold(c);
        let e = i + c.len_utf8();
        f(mix(mix(0x11, c0), 0), i, e);
        f(mix(mix(mix(0x22, c1), c0), 0), s1, e);
        f(mix(mix(mix(mix(0x33, c2), c1), c0), 0), s2, e);
        c2 = c1;
        c1 = c0;
        s2 = s1;
        s1 = i;
    }
    let mut seen = 0u32;
    for ind in indicators {
        let bit = 1u32 << (ind.kind as u32);
        if seen & bit == 0 {
            seen |= bit;
            f(mix(0x44, ind.kind as u64 + 1), 0, 0);
        }
    }
}

/// Name of an indicator feature, for explanations.
pub(crate) fn indicator_feature_hashes() -> Vec<(u64, IndicatorKind)> {
    IndicatorKind::ALL
        .iter()
        .map(|&k| (mix(0x44, k as u64 + 1), k))
        .collect()
}

impl Model {
    /// The model embedded in the crate.
    pub fn builtin() -> Result<Model, ModelError> {
        Model::from_bytes(BUILTIN_MODEL)
    }

    /// Number of hash bits (the model has `2^bits` buckets).
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// Training metadata (JSON text) stored in the file.
    pub fn meta(&self) -> &str {
        &self.meta
    }

    /// Stable id of the model: the `version` of its metadata (the trainer writes a content hash
    /// there, `fzdm-<16 hex>`), or for older files a hash of the whole file; then, when the model
    /// carries a risk map, `-c<8 hex>`, a hash of the map's knots.
    ///
    /// ```
    /// let m = fanzha_detect::model::Model::builtin().unwrap();
    /// assert!(m.version().starts_with("fzdm-"));
    /// ```
    pub fn version(&self) -> &str {
        &self.version
    }

    #[inline]
    fn bucket(&self, h: u64) -> usize {
        (h >> (64 - self.bits)) as usize
    }

    /// Scores a normalised text and its indicators.
    pub fn score(&self, text: &str, indicators: &[Indicator]) -> Scores {
        // All 16 lanes of a row are accumulated (the idf and padding lanes are ignored) so the
        // loop is a fixed-width vector operation.
        let mut acc = [0i32; 16];
        let mut norm2 = 0u32;
        for_each_feature(text, indicators, |h, _, _| {
            let row = &self.rows[self.bucket(h)];
            for (a, &w) in acc.iter_mut().zip(row) {
                *a += i32::from(w);
            }
            let idf = row[N] as u32;
            norm2 += idf * idf;
        });
        // Each occurrence counts separately in the norm: cheaper than grouping equal n-grams, and
        // the trainer uses exactly the same formula.
        let inv = if norm2 == 0 {
            0.0
        } else {
            1.0 / (norm2 as f32).sqrt()
        };
        let mut logits = self.bias;
        for c in 0..N {
            logits[c] += acc[c] as f32 * self.scale[c] * inv;
        }
        Scores { logits }
    }

    /// Contribution of one feature hash to class `c`, before length normalisation.
    pub(crate) fn weight(&self, h: u64, c: usize) -> f32 {
        let row = &self.rows[self.bucket(h)];
        f32::from(row[c]) * self.scale[c] / IDF_SCALE
    }

    /// Serialises to the versioned file format.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.rows.len() * (N + 1) + 256);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(N as u32).to_le_bytes());
        out.extend_from_slice(&self.bits.to_le_bytes());
        for b in self.bias {
            out.extend_from_slice(&b.to_le_bytes());
        }
        for s in self.scale {
            out.extend_from_slice(&s.to_le_bytes());
        }
        out.extend_from_slice(&(self.meta.len() as u32).to_le_bytes());
        out.extend_from_slice(self.meta.as_bytes());
        for row in &self.rows {
            // Weights of a bucket with IDF 0 never count; they are written as 0.
            let idf = row[N];
            out.extend(
                row[..N]
                    .iter()
                    .map(|&w| if idf == 0 { 0 } else { (w / idf) as i8 as u8 }),
            );
        }
        out.extend(self.rows.iter().map(|row| row[N] as u8));
        out
    }

    /// Reads the versioned file format.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, ModelError> {
        let mut r = bytes;
        let mut take = |n: usize, what: &'static str| -> Result<&[u8], ModelError> {
            if r.len() < n {
                return Err(ModelError::Corrupt(what));
            }
            let (a, b) = r.split_at(n);
            r = b;
            Ok(a)
        };
        if take(4, "magic")? != MAGIC {
            return Err(ModelError::Magic);
        }
        let u32_at = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let version = u32_at(take(4, "version")?);
        if version != FORMAT_VERSION {
            return Err(ModelError::Version(version));
        }
        if u32_at(take(4, "classes")?) as usize != N {
            return Err(ModelError::Corrupt(
                "class count differs from this build's typology",
            ));
        }
        let bits = u32_at(take(4, "bits")?);
        if !(8..=24).contains(&bits) {
            return Err(ModelError::Corrupt("hash bits out of range"));
        }
        let mut bias = [0f32; N];
        for b in &mut bias {
            *b = f32::from_le_bytes(
                take(4, "bias")?
                    .try_into()
                    .map_err(|_| ModelError::Corrupt("bias"))?,
            );
        }
        let mut scale = [0f32; N];
        for s in &mut scale {
            *s = f32::from_le_bytes(
                take(4, "scale")?
                    .try_into()
                    .map_err(|_| ModelError::Corrupt("scale"))?,
            );
        }
        if bias.iter().chain(&scale).any(|x| !x.is_finite()) {
            return Err(ModelError::Corrupt("non-finite parameter"));
        }
        let meta_len = u32_at(take(4, "meta length")?) as usize;
        let meta = String::from_utf8(take(meta_len, "meta")?.to_vec())
            .map_err(|_| ModelError::Corrupt("metadata is not UTF-8"))?;
        let n_weights = (1usize << bits) * N;
        let w = take(n_weights, "weights")?;
        let weights: Vec<i8> = w.iter().map(|&b| b as i8).collect();
        let idf = take(1usize << bits, "idf")?.to_vec();
        if !r.is_empty() {
            return Err(ModelError::Corrupt("trailing bytes"));
        }
        let weights_version =
            meta_version(&meta).unwrap_or_else(|| format!("fzdm-{:016x}", fnv64(&[bytes])));
        let calibration = meta_calibration(&meta);
        let version = full_version(&weights_version, &calibration);
        Ok(Model {
            bits,
            bias,
            scale,
            rows: make_rows(&weights, &idf),
            meta,
            version,
            calibration,
            weights_version,
        })
    }

    /// Reads a model file.
    pub fn from_file(path: &Path) -> Result<Model, ModelError> {
        let bytes = std::fs::read(path).map_err(|e| ModelError::Io {
            file: path.display().to_string(),
            message: e.to_string(),
        })?;
        Model::from_bytes(&bytes)
    }

    /// A model that knows nothing (every class equally likely); used to bootstrap.
    pub fn empty(bits: u32) -> Model {
        Model {
            bits,
            bias: [0.0; N],
            scale: [1.0; N],
            rows: make_rows(
                &vec![0; (1usize << bits) * N],
                &vec![IDF_SCALE as u8; 1usize << bits],
            ),
            meta: "{}".into(),
            version: format!("empty-{bits}"),
            calibration: Vec::new(),
            weights_version: format!("empty-{bits}"),
        }
    }
}

fn make_rows(weights: &[i8], idf: &[u8]) -> Vec<[i16; 16]> {
    weights
        .chunks_exact(N)
        .zip(idf)
        .map(|(w, &f)| {
            let mut row = [0i16; 16];
            for (r, &w) in row.iter_mut().zip(w) {
                *r = i16::from(w) * i16::from(f);
            }
            row[N] = i16::from(f);
            row
        })
        .collect()
}

mod calibration;
mod train;

pub use calibration::fit_calibration;
use calibration::{full_version, meta_calibration};
pub use train::*;

/// Writes a model file atomically (temp file + rename), so a running service never reads half.
pub fn write_model(model: &Model, path: &Path) -> Result<(), ModelError> {
    let io = |e: std::io::Error| ModelError::Io {
        file: path.display().to_string(),
        message: e.to_string(),
    };
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(&model.to_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)?;
    Ok(())
}

/// Reads a whole reader into a model.
pub fn read_model(mut r: impl Read) -> Result<Model, ModelError> {
    let mut b = Vec::new();
    r.read_to_end(&mut b).map_err(|e| ModelError::Io {
        file: "<reader>".into(),
        message: e.to_string(),
    })?;
    Model::from_bytes(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_card_names_the_built_in_version() {
        let m = Model::builtin().unwrap();
        let card = include_str!("../model/MODEL_CARD.md");
        assert!(
            card.contains(&format!("`{}`", m.version())),
            "MODEL_CARD.md must name {}",
            m.version()
        );
    }

    #[test]
    fn rejects_bad_files() {
        assert!(matches!(Model::from_bytes(b"nope"), Err(ModelError::Magic)));
        let mut b = Model::empty(8).to_bytes();
        b[4] = 9;
        assert!(matches!(Model::from_bytes(&b), Err(ModelError::Version(9))));
        let b = Model::empty(8).to_bytes();
        assert!(matches!(
            Model::from_bytes(&b[..b.len() - 1]),
            Err(ModelError::Corrupt(_))
        ));
    }
}
