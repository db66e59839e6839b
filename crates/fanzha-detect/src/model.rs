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

/// The model's id: the weights' hash, followed when the model carries a risk map by a hash of
/// its knots, so that two files differing only in the map have different ids.
fn full_version(weights: &str, knots: &[(f32, f32)]) -> String {
    if knots.is_empty() {
        return weights.to_string();
    }
    let bytes: Vec<u8> = knots
        .iter()
        .flat_map(|&(x, y)| x.to_le_bytes().into_iter().chain(y.to_le_bytes()))
        .collect();
    format!("{weights}-c{:08x}", fnv64(&[&bytes]) as u32)
}

/// The `version` field of a metadata text.
fn meta_version(meta: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(meta).ok()?;
    v.get("version")?.as_str().map(str::to_string)
}

/// Whether knots make a usable map: finite, in [0, 1], x strictly and y weakly increasing.
fn valid_knots(k: &[(f32, f32)]) -> bool {
    k.len() >= 2
        && k.iter()
            .all(|&(x, y)| (0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y))
        && k.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1)
}

/// The `calibration` field of a metadata text: `{"knots": [[risk, calibrated], …]}`.
fn meta_calibration(meta: &str) -> Vec<(f32, f32)> {
    let parse = || -> Option<Vec<(f32, f32)>> {
        let v: serde_json::Value = serde_json::from_str(meta).ok()?;
        let k = v.get("calibration")?.get("knots")?.as_array()?;
        k.iter()
            .map(|p| Some((p.get(0)?.as_f64()? as f32, p.get(1)?.as_f64()? as f32)))
            .collect()
    };
    parse().filter(|k| valid_knots(k)).unwrap_or_default()
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

    /// The fitted risk map as knots `(risk, calibrated)`; empty when the model carries none.
    pub fn calibration(&self) -> &[(f32, f32)] {
        &self.calibration
    }

    /// Sets (or with an empty slice removes) the risk map and records it in the metadata. The
    /// model's `version` keeps the weights' hash and gains the map's. Knots that do not make a monotone
    /// map of [0, 1] are refused (the map is removed).
    pub fn set_calibration(&mut self, knots: &[(f32, f32)]) {
        self.calibration = if valid_knots(knots) {
            knots.to_vec()
        } else {
            Vec::new()
        };
        if let Ok(serde_json::Value::Object(mut m)) = serde_json::from_str(&self.meta) {
            if self.calibration.is_empty() {
                m.remove("calibration");
            } else {
                let k: Vec<[f32; 2]> = self.calibration.iter().map(|&(x, y)| [x, y]).collect();
                m.insert("calibration".into(), serde_json::json!({ "knots": k }));
            }
            self.meta = serde_json::Value::Object(m).to_string();
        }
        self.version = full_version(&self.weights_version, &self.calibration);
    }

    /// The calibrated risk: the knots' piecewise-linear map (flat beyond the first and last
    /// knot), or `risk` itself without a map.
    ///
    /// ```
    /// let mut m = fanzha_detect::model::Model::empty(8);
    /// assert_eq!(m.calibrate(0.3), 0.3);
    /// m.set_calibration(&[(0.0, 0.0), (0.2, 0.6), (1.0, 1.0)]);
    /// assert!((m.calibrate(0.1) - 0.3).abs() < 1e-6);
    /// assert!((m.calibrate(0.6) - 0.8).abs() < 1e-6);
    /// ```
    #[inline]
    pub fn calibrate(&self, risk: f32) -> f32 {
        let k = &self.calibration;
        if k.is_empty() {
            return risk;
        }
        let i = k.partition_point(|&(x, _)| x <= risk);
        if i == 0 {
            return k[0].1;
        }
        if i == k.len() {
            return k[k.len() - 1].1;
        }
        let ((x0, y0), (x1, y1)) = (k[i - 1], k[i]);
        y0 + (y1 - y0) * (risk - x0) / (x1 - x0)
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

// --------------------------------------------------------------------------------- training

/// One labelled example.
#[derive(Debug, Clone)]
pub struct Example {
    pub text: String,
    pub label: FraudType,
    /// Relative importance (hand-written examples of rare types count more).
    pub weight: f32,
}

/// Training settings.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    pub bits: u32,
    pub epochs: u32,
    pub seed: u64,
    pub learning_rate: f32,
    pub l2: f32,
    /// Upper bound of the weight that balances a rare class against the average fraud class.
    pub max_class_weight: f32,
    /// Also train on a 30–90-character window of every fraud text longer than 120 characters.
    pub crop_long: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            bits: 18,
            epochs: 25,
            seed: 42,
            learning_rate: 3.0,
            l2: 1e-6,
            max_class_weight: 3.0,
            crop_long: true,
        }
    }
}

/// Reads labelled JSONL (`{"text": …, "label": …}` per line, other fields ignored).
/// `split` drops lines whose `split` field differs from it (lines without one are kept, so
/// platform exports mix with the research set). Unknown labels are errors naming the
/// line; blank lines are skipped.
pub fn read_jsonl(path: &Path, split: Option<&str>) -> Result<Vec<Example>, ModelError> {
    let file = std::fs::File::open(path).map_err(|e| ModelError::Io {
        file: path.display().to_string(),
        message: e.to_string(),
    })?;
    read_jsonl_from(
        std::io::BufReader::new(file),
        &path.display().to_string(),
        split,
    )
}

/// Like [`read_jsonl`] from any reader; `name` is used in errors.
pub fn read_jsonl_from(
    r: impl BufRead,
    name: &str,
    split: Option<&str>,
) -> Result<Vec<Example>, ModelError> {
    #[derive(serde::Deserialize)]
    struct Line {
        text: String,
        label: String,
        #[serde(default)]
        split: Option<String>,
    }
    let mut out = Vec::new();
    for (i, line) in r.lines().enumerate() {
        let data_err = |message: String| ModelError::Data {
            file: name.to_string(),
            line: i + 1,
            message,
        };
        let line = line.map_err(|e| data_err(e.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        let l: Line = serde_json::from_str(&line).map_err(|e| data_err(e.to_string()))?;
        if let Some(want) = split {
            if l.split.as_deref().is_some_and(|s| s != want) {
                continue;
            }
        }
        // Rows a data set marks as unreviewed ("spam_unsure": ads, grey services and fraud
        // mixed) are not labels.
        if UNREVIEWED_LABELS.contains(&l.label.as_str()) {
            continue;
        }
        let label: FraudType = l
            .label
            .parse()
            .map_err(|e: crate::typology::UnknownFraudType| data_err(e.to_string()))?;
        out.push(Example {
            text: l.text,
            label,
            weight: 1.0,
        });
    }
    Ok(out)
}

/// Labels of rows that are skipped by [`read_jsonl`]: a data set's marker for rows nobody
/// reviewed, which must not teach the model either way.
pub const UNREVIEWED_LABELS: &[&str] = &["spam_unsure"];

/// Replaces the masking tokens of public data sets with what they stand for, so that a mask
/// never tells a class apart (the research set masks only its `normal` rows; another set writes
/// every digit as `x`). The choice of stand-in depends on the text only (deterministic).
///
/// ```
/// use fanzha_detect::model::unmask;
/// let t = unmask("回复TD退订，详询PHONE，地址PLACE");
/// assert!(t.starts_with("回复TD退订，详询") && !t.contains("PHONE") && !t.contains("PLACE"));
/// assert_eq!(unmask("满xxx元减xx元"), "满888元减88元");
/// assert_eq!(unmask("box 与 max"), "box 与 max");
/// ```
pub fn unmask(text: &str) -> String {
    const TOKENS: [(&str, &[&str]); 7] = [
        ("CELLPHONE", &["13812345678", "15987654321", "18611112222"]),
        ("HOTLINE", &["4008001234", "95105888"]),
        ("PHONE", &["4008001234", "02088886666", "13912345678"]),
        ("DIGIT", &["8", "28", "100", "2024", "15", "3"]),
        ("PLACE", &["北京", "朝阳区", "人民路", "万达广场", "杭州"]),
        ("NAME", &["张先生", "李女士", "王经理", "小陈", "刘老师"]),
        ("URL", &["www.shop.com", "http://m.mall.cn/a", "t.cn/r8x"]),
    ];
    let has_upper = text
        .as_bytes()
        .windows(2)
        .any(|w| w[0].is_ascii_uppercase() && w[1].is_ascii_uppercase());
    let has_x = text.contains('x');
    if !has_upper && !has_x {
        return text.to_string();
    }
    let mut seed = text.len() as u64;
    let mut out = String::with_capacity(text.len() + 16);
    let b = text.as_bytes();
    let mut i = 0;
    'outer: while i < text.len() {
        if has_upper && b[i].is_ascii_uppercase() {
            for (tok, subs) in TOKENS {
                if text[i..].starts_with(tok) {
                    seed = seed.wrapping_mul(K).wrapping_add(i as u64 + 1);
                    out.push_str(subs[(seed >> 33) as usize % subs.len()]);
                    i += tok.len();
                    continue 'outer;
                }
            }
        }
        if b[i] == b'x' && (i == 0 || !b[i - 1].is_ascii_alphabetic()) {
            let run = b[i..].iter().take_while(|&&c| c == b'x').count();
            if !b.get(i + run).is_some_and(|c| c.is_ascii_alphabetic()) {
                out.extend(std::iter::repeat_n('8', run));
                i += run;
                continue;
            }
        }
        let c = text[i..].chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// A short window of a long fraud text: consecutive sentences from a start chosen by `pick`,
/// 30–90 characters, so the model also sees fraud at SMS length (the research set's scripts are
/// two to three times longer than its normal rows).
pub fn crop(text: &str, pick: u64) -> Option<String> {
    let sentences: Vec<&str> = text
        .split_inclusive(['。', '！', '？', '!', '?', '；', ';'])
        .filter(|s| !s.trim().is_empty())
        .collect();
    if sentences.len() < 2 {
        return None;
    }
    let start = (pick % sentences.len() as u64) as usize;
    let mut out = String::new();
    for s in &sentences[start..] {
        if out.chars().count() + s.chars().count() > 90 && !out.is_empty() {
            break;
        }
        out.push_str(s);
        if out.chars().count() >= 30 {
            break;
        }
    }
    let n = out.chars().count();
    (30..=120).contains(&n).then_some(out)
}

/// Small deterministic PRNG (xorshift64*), so training needs no dependency and is reproducible.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(K) | 1)
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Trains a model. Class weights balance the classes so that rare fraud types (often only a few
/// hand-written examples) are learnt; the result is the same for the same data and seed.
pub fn train(examples: &[Example], cfg: &TrainConfig, meta: &str) -> Result<Model, ModelError> {
    if examples.is_empty() {
        return Err(ModelError::Empty);
    }
    // Featurise once.
    let bits = cfg.bits.clamp(8, 24);
    let shift = 64 - bits;
    let nb = 1usize << bits;
    // Masks are mapped to what they stand for; long fraud texts also count as a short window.
    let mut prepared: Vec<Example> = Vec::with_capacity(examples.len() + examples.len() / 4);
    let mut crop_rng = Rng::new(cfg.seed ^ 0xC0);
    for ex in examples {
        let text = unmask(&ex.text);
        if cfg.crop_long && ex.label.is_fraud() && text.chars().count() > 120 {
            if let Some(c) = crop(&text, crop_rng.next()) {
                prepared.push(Example {
                    text: c,
                    label: ex.label,
                    weight: ex.weight * 0.5,
                });
            }
        }
        prepared.push(Example {
            text,
            label: ex.label,
            weight: ex.weight,
        });
    }
    let examples = &prepared[..];
    let mut buckets: Vec<Vec<u32>> = Vec::with_capacity(examples.len());
    let mut ind = Vec::new();
    let mut df = vec![0u32; nb];
    for ex in examples {
        let n = crate::normalize::normalize(&ex.text);
        ind.clear();
        crate::extract::extract_normalized(&n, &ex.text, &mut ind);
        let mut v = Vec::with_capacity(n.text().len());
        for_each_feature(n.text(), &ind, |h, _, _| v.push((h >> shift) as u32));
        let mut uniq = v.clone();
        uniq.sort_unstable();
        uniq.dedup();
        for b in uniq {
            df[b as usize] += 1;
        }
        buckets.push(v);
    }
    // Smoothed IDF as in scikit-learn, quantised the way the model file stores it.
    let docs = examples.len() as f32;
    let idf: Vec<u8> = df
        .iter()
        .map(|&d| {
            let x = ((1.0 + docs) / (1.0 + d as f32)).ln() + 1.0;
            (x * IDF_SCALE).round().clamp(1.0, 255.0) as u8
        })
        .collect();
    // Each example: (bucket, feature value), normalised exactly as in `Model::score`.
    let feats: Vec<Vec<(u32, f32)>> = buckets
        .into_iter()
        .map(|v| {
            let norm2: f32 = v.iter().map(|&b| f32::from(idf[b as usize]).powi(2)).sum();
            let inv = if norm2 > 0.0 { 1.0 / norm2.sqrt() } else { 0.0 };
            v.iter()
                .map(|&b| (b, f32::from(idf[b as usize]) * inv))
                .collect()
        })
        .collect();
    let mut class_total = [0f32; N];
    for ex in examples {
        class_total[ex.label.index()] += ex.weight;
    }
    // Fraud types are balanced against each other only: `normal` keeps its natural share so the
    // model's prior stays "most messages are not fraud" (balancing all twelve classes would make
    // every uninformative short message look 11/12 fraud). Rare types get a bounded boost; the
    // rules carry most of the knowledge about them.
    let fraud_present: Vec<f32> = class_total[1..]
        .iter()
        .copied()
        .filter(|&t| t > 0.0)
        .collect();
    let fraud_mean = fraud_present.iter().sum::<f32>() / (fraud_present.len().max(1) as f32);
    let class_w: Vec<f32> = class_total
        .iter()
        .enumerate()
        .map(|(c, &t)| match (c, t > 0.0) {
            (_, false) => 0.0,
            (0, true) => 1.0,
            (_, true) => (fraud_mean / t).clamp(0.5, cfg.max_class_weight),
        })
        .collect();

    let mut w = vec![0f32; nb * N];
    let mut g2 = vec![0f32; nb]; // AdaGrad accumulator per bucket (shared across classes)
    let mut bias = [0f32; N];
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut rng = Rng::new(cfg.seed);
    for _epoch in 0..cfg.epochs {
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        for &i in &order {
            let f = &feats[i];
            let ex = &examples[i];
            let mut z = bias;
            for &(b, x) in f {
                let row = &w[b as usize * N..b as usize * N + N];
                for c in 0..N {
                    z[c] += row[c] * x;
                }
            }
            let p = softmax(&z);
            let sw = ex.weight * class_w[ex.label.index()];
            let mut grad = [0f32; N];
            for c in 0..N {
                let y = if c == ex.label.index() { 1.0 } else { 0.0 };
                grad[c] = (p[c] - y) * sw;
            }
            let gg: f32 = grad.iter().map(|g| g * g).sum::<f32>();
            for &(b, x) in f {
                let bi = b as usize;
                g2[bi] += gg * x * x;
                let lr = cfg.learning_rate / (1.0 + g2[bi]).sqrt();
                let row = &mut w[bi * N..bi * N + N];
                for c in 0..N {
                    row[c] -= lr * (grad[c] * x + cfg.l2 * row[c]);
                }
            }
            for c in 0..N {
                bias[c] -= 0.01 * grad[c];
            }
        }
    }
    // Quantise per class; clipping the rare extreme weights keeps resolution for the rest.
    let mut scale = [1f32; N];
    let mut q = vec![0i8; nb * N];
    for c in 0..N {
        let mut mags: Vec<f32> = (0..nb)
            .map(|b| w[b * N + c].abs())
            .filter(|&x| x > 0.0)
            .collect();
        let clip = if mags.is_empty() {
            1.0
        } else {
            let k = ((mags.len() as f32) * 0.9995) as usize;
            let k = k.min(mags.len() - 1);
            mags.select_nth_unstable_by(k, f32::total_cmp);
            mags[k].max(1e-6)
        };
        scale[c] = clip / 127.0;
        for b in 0..nb {
            q[b * N + c] = (w[b * N + c] / scale[c]).round().clamp(-127.0, 127.0) as i8;
        }
    }
    // The version is a hash of everything that scores, so equal weights give equal ids.
    let qb: Vec<u8> = q.iter().map(|&x| x as u8).collect();
    let fb: Vec<u8> = bias
        .iter()
        .chain(&scale)
        .flat_map(|x| x.to_le_bytes())
        .collect();
    let version = format!("fzdm-{:016x}", fnv64(&[&qb, &idf, &fb]));
    let meta = match serde_json::from_str::<serde_json::Value>(meta) {
        Ok(serde_json::Value::Object(mut m)) => {
            m.insert("version".into(), serde_json::Value::String(version.clone()));
            serde_json::Value::Object(m).to_string()
        }
        _ => meta.to_string(),
    };
    let calibration = meta_calibration(&meta);
    let weights_version = version;
    let version = full_version(&weights_version, &calibration);
    Ok(Model {
        bits,
        bias,
        scale,
        rows: make_rows(&q, &idf),
        meta,
        version,
        calibration,
        weights_version,
    })
}

/// Fits a monotone map of raw risks to outcomes (`true` = fraud): isotonic regression (pool
/// adjacent violators) over rows sorted by risk, with blocks merged until each holds at least
/// `min_rows` rows so that a handful of rows cannot bend the map. Each block becomes a knot at
/// its mean risk and its share of fraud; the map is pinned to (0, 0) and (1, 1) at the ends when
/// the outer blocks allow. Empty when there are no rows of one outcome.
///
/// ```
/// // Risks that are too low: the rows at 0.3 are fraud most of the time.
/// let mut rows = vec![(0.3f32, true); 80];
/// rows.extend(vec![(0.3f32, false); 20]);
/// rows.extend(vec![(0.01f32, false); 500]);
/// rows.extend(vec![(0.99f32, true); 200]);
/// let knots = fanzha_detect::model::fit_calibration(&rows, 20);
/// let mut m = fanzha_detect::model::Model::empty(8);
/// m.set_calibration(&knots);
/// assert!((m.calibrate(0.3) - 0.8).abs() < 1e-3, "{knots:?}");
/// assert!(m.calibrate(0.01) < 0.05);
/// ```
pub fn fit_calibration(rows: &[(f32, bool)], min_rows: usize) -> Vec<(f32, f32)> {
    if !rows.iter().any(|r| r.1) || !rows.iter().any(|r| !r.1) {
        return Vec::new();
    }
    let mut sorted: Vec<(f64, f64)> = rows
        .iter()
        .filter(|r| r.0.is_finite())
        .map(|&(r, y)| (f64::from(r.clamp(0.0, 1.0)), if y { 1.0 } else { 0.0 }))
        .collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Blocks: (sum of risk, sum of outcome, rows). Rows of equal risk share a block.
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
    for (r, y) in sorted {
        blocks.push((r, y, 1));
        loop {
            let n = blocks.len();
            if n < 2 {
                break;
            }
            let (a, b) = (blocks[n - 2], blocks[n - 1]);
            let small = a.2 < min_rows;
            let violates = a.1 / a.2 as f64 >= b.1 / b.2 as f64;
            let same_risk = (a.0 / a.2 as f64 - b.0 / b.2 as f64).abs() < 1e-9;
            if violates || small || same_risk {
                blocks[n - 2] = (a.0 + b.0, a.1 + b.1, a.2 + b.2);
                blocks.pop();
            } else {
                break;
            }
        }
    }
    // The last block may be small: fold it into its neighbour, keeping monotonicity.
    while blocks.len() >= 2 && blocks[blocks.len() - 1].2 < min_rows {
        let b = blocks.pop().unwrap_or_default();
        if let Some(a) = blocks.last_mut() {
            *a = (a.0 + b.0, a.1 + b.1, a.2 + b.2);
        }
    }
    let mut knots: Vec<(f32, f32)> = blocks
        .iter()
        .map(|b| ((b.0 / b.2 as f64) as f32, (b.1 / b.2 as f64) as f32))
        .collect();
    // Pooling can leave equal shares in neighbouring blocks only when they were not merged;
    // keep the map non-decreasing and x strictly increasing.
    knots.dedup_by(|b, a| b.0 <= a.0);
    for i in 1..knots.len() {
        if knots[i].1 < knots[i - 1].1 {
            knots[i].1 = knots[i - 1].1;
        }
    }
    if knots.first().is_some_and(|k| k.0 > 0.0) {
        knots.insert(0, (0.0, 0.0));
    }
    if knots.last().is_some_and(|k| k.0 < 1.0) {
        knots.push((1.0, 1.0));
    }
    if valid_knots(&knots) {
        knots
    } else {
        Vec::new()
    }
}

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
    fn the_calibration_map_survives_the_file_and_bad_maps_are_refused() {
        let mut m = Model::empty(8);
        m.meta = "{\"version\":\"fzdm-test\"}".into();
        m.weights_version = "fzdm-test".into();
        m.set_calibration(&[(0.0, 0.0), (0.3, 0.7), (1.0, 1.0)]);
        let again = Model::from_bytes(&m.to_bytes()).unwrap();
        assert_eq!(again.calibration(), m.calibration());
        assert!((again.calibrate(0.15) - 0.35).abs() < 1e-6);
        // The id keeps the weights' hash and names the map: another map, another id; no map,
        // the weights' hash alone.
        assert!(
            again.version().starts_with("fzdm-test-c"),
            "{}",
            again.version()
        );
        assert_eq!(again.version(), m.version());
        let mut other = Model::from_bytes(&m.to_bytes()).unwrap();
        other.set_calibration(&[(0.0, 0.0), (0.3, 0.6), (1.0, 1.0)]);
        assert_ne!(other.version(), again.version());
        other.set_calibration(&[]);
        assert_eq!(other.version(), "fzdm-test");
        // Not monotone, out of range, one knot: no map at all.
        for bad in [
            vec![(0.0, 0.5), (0.5, 0.2), (1.0, 1.0)],
            vec![(0.0, 0.0), (1.5, 1.0)],
            vec![(0.2, 0.2)],
        ] {
            m.set_calibration(&bad);
            assert!(m.calibration().is_empty(), "{bad:?}");
            assert_eq!(m.calibrate(0.42), 0.42);
            assert!(!m.meta().contains("calibration"));
        }
        // A file whose metadata carries a bad map loads without one.
        m.meta = "{\"calibration\":{\"knots\":[[0.5,0.9],[0.4,1.0]]}}".into();
        assert!(Model::from_bytes(&m.to_bytes())
            .unwrap()
            .calibration()
            .is_empty());
    }

    #[test]
    fn the_fitted_map_is_monotone_and_pools_small_blocks() {
        // Alternating outcomes at rising risk: every block must hold at least 10 rows.
        let rows: Vec<(f32, bool)> = (0..200)
            .map(|i| (i as f32 / 200.0, i % 3 == 0 || i > 150))
            .collect();
        let k = fit_calibration(&rows, 10);
        assert!(k.len() >= 3, "{k:?}");
        assert!(
            k.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1),
            "{k:?}"
        );
        assert_eq!(k[0], (0.0, 0.0));
        assert_eq!(k[k.len() - 1], (1.0, 1.0));
        assert!(fit_calibration(&[(0.3, true), (0.9, true)], 1).is_empty());
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

    #[test]
    fn learns_a_toy_problem_deterministically() {
        let mut ex = Vec::new();
        for i in 0..40 {
            ex.push(Example {
                text: format!("兼职刷单日结佣金{i}"),
                label: FraudType::RebateTask,
                weight: 1.0,
            });
            ex.push(Example {
                text: format!("明天下午{i}点开班会"),
                label: FraudType::Normal,
                weight: 1.0,
            });
        }
        let cfg = TrainConfig {
            bits: 12,
            epochs: 5,
            ..Default::default()
        };
        let m1 = train(&ex, &cfg, "{}").unwrap();
        let m2 = train(&ex, &cfg, "{}").unwrap();
        assert_eq!(m1.to_bytes(), m2.to_bytes());
        let p = m1.score("刷单佣金", &[]).probabilities();
        assert!(p[FraudType::RebateTask.index()] > p[FraudType::Normal.index()]);
    }
}
