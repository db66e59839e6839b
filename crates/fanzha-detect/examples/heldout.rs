//! The model card's figures: trains the committed model with the standard recipe, then measures
//! it in distribution and source-held-out (train without one source, test on it), per length
//! bucket, per SMS family of the self-written evaluation file, and the reliability of its risk.
//!
//! ```sh
//! cargo run --release -p fanzha-detect --example heldout -- --shared ../shared/data \
//!   [--out crates/fanzha-detect/model/fanzha-model.bin] [--skip-heldout]
//! ```
//! Run from the repository root. Prints Markdown tables.

use fanzha_detect::cli::{evaluate_pairs, EvalReport};
use fanzha_detect::model::{
    fit_calibration, read_jsonl, train, write_model, Example, Model, TrainConfig,
};
use fanzha_detect::rules::Rules;
use fanzha_detect::{Engine, FraudType};
use std::path::{Path, PathBuf};
use std::sync::Arc;

struct Source {
    key: &'static str,
    path: PathBuf,
    weight: f32,
}

fn sources(shared: &Path, crate_dir: &Path) -> Vec<Source> {
    let s = |key, p: &str, weight| Source {
        key,
        path: shared.join(p),
        weight,
    };
    let c = |key, p: &str, weight| Source {
        key,
        path: crate_dir.join(p),
        weight,
    };
    vec![
        s(
            "telecom-fraud-texts-5",
            "telecom-fraud-texts-5/data.jsonl",
            2.0,
        ),
        s("nus-sms-zh", "nus-sms-zh/data.jsonl", 0.05),
        s(
            "cn-spam-sms-80w-subset",
            "cn-spam-sms-80w-subset/data.jsonl",
            0.05,
        ),
        s("nagato-sms-tw", "nagato-sms-tw/data.jsonl", 2.0),
        c("self-written", "tests/data/train_extra.jsonl", 3.0),
        c("self-written", "tests/data/sms_train.jsonl", 1.0),
    ]
}

fn load(src: &Source, split: Option<&str>) -> Vec<Example> {
    read_jsonl(&src.path, split)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|mut e| {
            e.weight = std::env::var(format!("FZ_W_{}", src.key.replace('-', "_")))
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(src.weight);
            e
        })
        .collect()
}

fn train_on(srcs: &[&Source]) -> Model {
    let mut ex = Vec::new();
    for s in srcs {
        ex.extend(load(s, Some("train")));
    }
    let files: Vec<String> = srcs
        .iter()
        .map(|s| {
            format!(
                "{}:{}",
                s.path.file_name().unwrap().to_string_lossy(),
                s.weight
            )
        })
        .collect();
    let mut cfg = TrainConfig::default();
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<f32>().ok());
    if let Some(b) = env("FZ_BITS") {
        cfg.bits = b as u32;
    }
    if let Some(b) = env("FZ_EPOCHS") {
        cfg.epochs = b as u32;
    }
    if let Some(b) = env("FZ_LR") {
        cfg.learning_rate = b;
    }
    if std::env::var("FZ_NOCROP").is_ok() {
        cfg.crop_long = false;
    }
    let meta = serde_json::json!({
        "recipe": "examples/heldout.rs",
        "files": files,
        "split": "train",
        "seed": cfg.seed,
        "epochs": cfg.epochs,
        "bits": cfg.bits,
        "crop_long": cfg.crop_long,
        "examples": ex.len(),
    })
    .to_string();
    train(&ex, &cfg, &meta).expect("training works")
}

fn engine(m: Model) -> Engine {
    Engine::new(Arc::new(Rules::builtin()), m)
}

fn score(e: &Engine, ex: &[Example]) -> (EvalReport, Vec<(FraudType, f32, usize)>) {
    let mut pairs = Vec::new();
    let mut risks = Vec::new();
    for x in ex {
        let v = e.analyze_brief(&x.text);
        pairs.push((x.label, v.fraud_type));
        risks.push((x.label, v.risk, x.text.chars().count()));
    }
    (evaluate_pairs(&pairs), risks)
}

/// Macro-F1 means something only with two classes or more in the labels.
fn has_normal_or_many(r: &EvalReport) -> bool {
    r.per_class.iter().filter(|c| c.support > 0).count() > 1
}

fn row(name: &str, n: usize, r: &EvalReport) -> String {
    let fraud = r
        .per_class
        .iter()
        .filter(|c| c.class.is_fraud() && c.support > 0)
        .count();
    let f1 = if fraud > 0 && has_normal_or_many(r) {
        format!("{:.4}", r.macro_f1)
    } else {
        "—".into()
    };
    let rec = if fraud > 0 {
        format!("{:.4}", r.fraud_recall)
    } else {
        "—".into()
    };
    let has_normal = r
        .per_class
        .iter()
        .any(|c| c.class == FraudType::Normal && c.support > 0);
    let fp = if has_normal {
        format!("{:.4}", r.false_positive_rate)
    } else {
        "—".into()
    };
    format!("| {name} | {n} | {:.4} | {f1} | {rec} | {fp} |", r.accuracy)
}

/// Smallest block of the isotonic calibration fit.
const CALIBRATION_MIN_ROWS: usize = 15;

fn main() {
    let mut shared = PathBuf::from("../shared/data");
    let mut out: Option<PathBuf> = None;
    let mut skip_heldout = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--shared" => shared = args.next().map(PathBuf::from).unwrap_or(shared),
            "--out" => out = args.next().map(PathBuf::from),
            "--skip-heldout" => skip_heldout = true,
            other => panic!("unknown argument {other}"),
        }
    }
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let srcs = sources(&shared, crate_dir);
    let all: Vec<&Source> = srcs.iter().collect();
    let t0 = std::time::Instant::now();
    let mut full = train_on(&all);
    eprintln!("full model trained in {:.1}s", t0.elapsed().as_secs_f64());
    // Calibration: a Platt map of the combined risk (classifier + rules + brands, before the
    // floors), fitted on the dev splits, which are never trained on and not reported below.
    let fit_rows: Vec<Example> = [
        "telecom-fraud-texts-5",
        "nus-sms-zh",
        "cn-spam-sms-80w-subset",
    ]
    .iter()
    .flat_map(|k| load(srcs.iter().find(|s| s.key == *k).unwrap(), Some("dev")))
    .collect();
    let raw = engine(full.clone());
    let pairs: Vec<(f32, bool)> = fit_rows
        .iter()
        .map(|x| (raw.analyze_brief(&x.text).model_risk, x.label.is_fraud()))
        .collect();
    let map = fit_calibration(&pairs, CALIBRATION_MIN_ROWS);
    eprintln!("calibration fitted on {} dev rows: {map:?}", pairs.len());
    full.set_calibration(&map);
    if let Some(o) = &out {
        write_model(&full, o).expect("model written");
        eprintln!("wrote {} ({})", o.display(), full.version());
    }
    let e = engine(full);
    let sms_eval = read_jsonl(&crate_dir.join("tests/data/sms_eval.jsonl"), None).unwrap();
    let holdout = read_jsonl(&crate_dir.join("tests/data/holdout.jsonl"), None).unwrap();
    let by_key = |k: &str| srcs.iter().find(|s| s.key == k).unwrap();
    let test_of = |k: &str| -> Vec<Example> {
        let s = by_key(k);
        let mut v = load(s, Some("test"));
        if k == "nagato-sms-tw" {
            v.extend(load(s, Some("dev")));
        }
        v
    };

    println!("## In distribution (model trained on every source's train split)\n");
    println!("| set | n | accuracy | macro-F1 | fraud recall | false positives |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut all_risks = Vec::new();
    for k in [
        "telecom-fraud-texts-5",
        "nus-sms-zh",
        "cn-spam-sms-80w-subset",
        "nagato-sms-tw",
    ] {
        let t = test_of(k);
        let (r, risks) = score(&e, &t);
        let name = if k == "nagato-sms-tw" {
            format!("{k} (test + dev)")
        } else {
            format!("{k} (test)")
        };
        println!("{}", row(&name, t.len(), &r));
        all_risks.extend(risks);
    }
    let (r, risks) = score(&e, &sms_eval);
    println!(
        "{}",
        row(
            "self-written SMS evaluation file (never trained on)",
            sms_eval.len(),
            &r
        )
    );
    all_risks.extend(risks);
    let (r, risks) = score(&e, &holdout);
    println!(
        "{}",
        row(
            "hand-written hold-out (never trained on)",
            holdout.len(),
            &r
        )
    );
    all_risks.extend(risks);

    // Per family of the evaluation file.
    #[derive(serde::Deserialize)]
    struct Fam {
        text: String,
        label: String,
        family: String,
    }
    let fams: Vec<Fam> = std::fs::read_to_string(crate_dir.join("tests/data/sms_eval.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    println!("\n## Self-written SMS evaluation file, per family\n");
    println!("| family | label | n | flagged as fraud | right type | level ≥ medium |");
    println!("|---|---|---:|---:|---:|---:|");
    let mut names: Vec<&str> = fams.iter().map(|f| f.family.as_str()).collect();
    names.dedup();
    for fam in names {
        let rows: Vec<&Fam> = fams.iter().filter(|f| f.family == fam).collect();
        let (mut flagged, mut right, mut med) = (0, 0, 0);
        for f in &rows {
            let v = e.analyze_brief(&f.text);
            flagged += usize::from(v.fraud_type.is_fraud());
            right += usize::from(v.fraud_type.id() == f.label);
            med += usize::from(v.level >= fanzha_detect::Level::Medium);
        }
        let n = rows.len();
        println!(
            "| {fam} | {} | {n} | {flagged} ({:.0} %) | {right} ({:.0} %) | {med} |",
            rows[0].label,
            100.0 * flagged as f64 / n as f64,
            100.0 * right as f64 / n as f64
        );
    }

    // Length buckets over every held-out row above.
    println!("\n## By length (all evaluation rows above)\n");
    println!("| characters | fraud rows | fraud recall | normal rows | false positives |");
    println!("|---|---:|---:|---:|---:|");
    for (lo, hi) in [(0, 30), (30, 60), (60, 100), (100, 200), (200, usize::MAX)] {
        let b: Vec<_> = all_risks.iter().filter(|r| r.2 >= lo && r.2 < hi).collect();
        let f: Vec<_> = b.iter().filter(|r| r.0.is_fraud()).collect();
        let n: Vec<_> = b.iter().filter(|r| !r.0.is_fraud()).collect();
        let rec = f.iter().filter(|r| r.1 >= 0.5).count();
        let fp = n.iter().filter(|r| r.1 >= 0.5).count();
        let hi_s = if hi == usize::MAX {
            "…".into()
        } else {
            hi.to_string()
        };
        println!(
            "| {lo}–{hi_s} | {} | {:.4} | {} | {:.4} |",
            f.len(),
            if f.is_empty() {
                0.0
            } else {
                rec as f64 / f.len() as f64
            },
            n.len(),
            if n.is_empty() {
                0.0
            } else {
                fp as f64 / n.len() as f64
            }
        );
    }

    // Reliability on rows never trained on and not used for the fit: the test splits, the
    // SMS evaluation file and the hand-written hold-out; before and after the fitted map.
    let mut rep = Vec::new();
    for k in [
        "telecom-fraud-texts-5",
        "nus-sms-zh",
        "cn-spam-sms-80w-subset",
    ] {
        rep.extend(load(by_key(k), Some("test")));
    }
    rep.extend(sms_eval.iter().cloned());
    rep.extend(holdout.iter().cloned());
    let mut uncal = e.model().clone();
    uncal.set_calibration(&[]);
    let before = engine(uncal);
    let knots: Vec<String> = e
        .model()
        .calibration()
        .iter()
        .map(|(x, y)| format!("({x:.3}, {y:.3})"))
        .collect();
    println!(
        "\n## Reliability of `risk` (test splits + SMS evaluation file + hold-out, {} rows)\n",
        rep.len()
    );
    println!(
        "Fitted map (isotonic, blocks of at least {CALIBRATION_MIN_ROWS} rows, on {} dev rows): {}\n",
        pairs.len(),
        knots.join(" ")
    );
    println!("| risk | rows before | share fraud before | rows after | mean risk after | share fraud after |");
    println!("|---|---:|---:|---:|---:|---:|");
    let bins = |eng: &Engine| -> Vec<(usize, f64, f64)> {
        let r: Vec<(bool, f32)> = rep
            .iter()
            .map(|x| (x.label.is_fraud(), eng.analyze_brief(&x.text).model_risk))
            .collect();
        (0..10)
            .map(|i| {
                let (lo, hi) = (i as f32 / 10.0, (i + 1) as f32 / 10.0);
                let b: Vec<_> = r
                    .iter()
                    .filter(|r| r.1 >= lo && (r.1 < hi || (i == 9 && r.1 <= 1.0)))
                    .collect();
                let n = b.len();
                let mean = b.iter().map(|r| r.1 as f64).sum::<f64>() / n.max(1) as f64;
                let frac = b.iter().filter(|r| r.0).count() as f64 / n.max(1) as f64;
                (n, mean, frac)
            })
            .collect()
    };
    let (bb, ba) = (bins(&before), bins(&e));
    for i in 0..10 {
        let (lo, hi) = (i as f32 / 10.0, (i + 1) as f32 / 10.0);
        let cell = |x: &(usize, f64, f64), v: f64| {
            if x.0 == 0 {
                "—".to_string()
            } else {
                format!("{v:.3}")
            }
        };
        println!(
            "| {lo:.1}–{hi:.1} | {} | {} | {} | {} | {} |",
            bb[i].0,
            cell(&bb[i], bb[i].2),
            ba[i].0,
            cell(&ba[i], ba[i].1),
            cell(&ba[i], ba[i].2)
        );
    }
    if skip_heldout {
        return;
    }

    println!("\n## Source held out (trained without the source, tested on it)\n");
    println!("| held-out source | tested on | n | accuracy | macro-F1 | fraud recall | false positives |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for k in [
        "telecom-fraud-texts-5",
        "nus-sms-zh",
        "cn-spam-sms-80w-subset",
        "nagato-sms-tw",
        "self-written",
    ] {
        let t0 = std::time::Instant::now();
        let rest: Vec<&Source> = srcs.iter().filter(|s| s.key != k).collect();
        let m = engine(train_on(&rest));
        let (tested, rows) = match k {
            "self-written" => ("SMS evaluation file", sms_eval.clone()),
            "nagato-sms-tw" => ("every row", load(by_key(k), None)),
            _ => ("test split", load(by_key(k), Some("test"))),
        };
        let (r, _) = score(&m, &rows);
        let line = row(k, rows.len(), &r);
        println!(
            "{}",
            line.replacen(&format!("| {k} |"), &format!("| {k} | {tested} |"), 1)
        );
        eprintln!("held out {k} in {:.1}s", t0.elapsed().as_secs_f64());
    }
}
