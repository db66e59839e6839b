//! The deterministic trainer: labelled examples (JSONL, also as exported from the platform),
//! masking and cropping for augmentation, and stochastic gradient descent into a quantised model.

use super::*;

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

#[cfg(test)]
mod tests {
    use super::*;

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
