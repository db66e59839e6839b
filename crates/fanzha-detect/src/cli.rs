//! The library side of the `fanzha detect | eval | train | bench` subcommands: the binary parses
//! arguments and calls these with stdin/stdout; tests call them with in-memory readers/writers.

use crate::model::{read_jsonl, train, write_model, Example, ModelError, TrainConfig};
use crate::{Engine, FraudType};
use serde::Serialize;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Errors of the CLI functions; `Display` names the file and line where there is one.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Engine(#[from] crate::engine::EngineError),
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("{0}")]
    Invalid(String),
}

/// Counts of a detect run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DetectStats {
    pub lines: usize,
    pub ok: usize,
    pub errors: usize,
    pub fraud: usize,
}

#[derive(Serialize)]
struct DetectOut<'a> {
    id: &'a serde_json::Value,
    fraud_type: FraudType,
    risk: f32,
    level: crate::Level,
    indicators: &'a [crate::Indicator],
    rules: Vec<RuleOut<'a>>,
    alternatives: &'a [crate::engine::Alternative],
    #[serde(skip_serializing_if = "Option::is_none")]
    brand_mismatch: Option<&'a crate::BrandMismatch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sender_suspect: Option<bool>,
    link_suspect: bool,
    model_version: &'a str,
}

#[derive(Serialize)]
struct RuleOut<'a> {
    id: &'a str,
    fraud_type: FraudType,
    weight: f32,
    spans: &'a [(usize, usize)],
}

/// `fanzha detect`: reads JSONL `{"id":…, "text":…}` (optionally `"sender"`: the number or 106
/// port a pasted SMS came from) and writes one verdict line per non-blank input line, in order.
/// A bad line yields `{"id":…, "error":…}` and processing continues.
///
/// ```
/// use fanzha_detect::{cli::run_detect, Engine};
/// let input = "{\"id\":1,\"text\":\"加我微信领取刷单佣金，日结\"}\nnot json\n";
/// let mut out = Vec::new();
/// let stats = run_detect(&Engine::builtin(), input.as_bytes(), &mut out).unwrap();
/// assert_eq!((stats.ok, stats.errors), (1, 1));
/// let lines: Vec<&str> = std::str::from_utf8(&out).unwrap().lines().collect();
/// assert!(lines[0].contains("\"fraud_type\":\"rebate_task\""));
/// assert!(lines[1].contains("\"error\""));
/// ```
pub fn run_detect(
    engine: &Engine,
    input: impl BufRead,
    mut output: impl Write,
) -> io::Result<DetectStats> {
    let mut stats = DetectStats::default();
    let null = serde_json::Value::Null;
    for (i, line) in input.lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                stats.lines += 1;
                stats.errors += 1;
                let err =
                    serde_json::json!({"id": null, "error": format!("line {}: not UTF-8", i + 1)});
                writeln!(output, "{err}")?;
                continue;
            }
            Err(e) => return Err(e),
        };
        if line.trim().is_empty() {
            continue;
        }
        stats.lines += 1;
        let parsed: Result<serde_json::Value, _> = serde_json::from_str(&line);
        let (id, text) = match &parsed {
            Ok(v) => (
                v.get("id").unwrap_or(&null),
                v.get("text").and_then(|t| t.as_str()),
            ),
            Err(_) => (&null, None),
        };
        let sender = match &parsed {
            Ok(v) => match v.get("sender") {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s.as_str())),
                Some(_) => Err(()),
            },
            Err(_) => Ok(None),
        };
        let (Some(text), Ok(sender)) = (text, sender) else {
            stats.errors += 1;
            let why = match &parsed {
                Err(e) => format!("line {}: invalid JSON: {e}", i + 1),
                Ok(v) if v.get("text").is_none() => format!("line {}: missing field `text`", i + 1),
                Ok(_) if text.is_none() => format!("line {}: `text` must be a string", i + 1),
                Ok(_) => format!("line {}: `sender` must be a string", i + 1),
            };
            writeln!(output, "{}", serde_json::json!({"id": id, "error": why}))?;
            continue;
        };
        let v = engine.analyze_brief_with(text, sender);
        stats.ok += 1;
        if v.fraud_type.is_fraud() {
            stats.fraud += 1;
        }
        let out = DetectOut {
            id,
            fraud_type: v.fraud_type,
            risk: v.risk,
            level: v.level,
            indicators: &v.indicators,
            rules: v
                .rules
                .iter()
                .map(|r| RuleOut {
                    id: &r.id,
                    fraud_type: r.fraud_type,
                    weight: r.weight,
                    spans: &r.spans,
                })
                .collect(),
            alternatives: &v.alternatives,
            brand_mismatch: v.brand_mismatch.as_ref(),
            sender_suspect: v.sender_suspect,
            link_suspect: v.link_suspect,
            model_version: &v.model_version,
        };
        serde_json::to_writer(&mut output, &out)?;
        output.write_all(b"\n")?;
    }
    output.flush()?;
    Ok(stats)
}

/// Precision, recall and F1 of one class.
#[derive(Debug, Clone, Serialize)]
pub struct ClassReport {
    pub class: FraudType,
    pub support: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// Result of `fanzha eval`.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub n: usize,
    pub accuracy: f64,
    /// Mean F1 over the classes present in the labels (scikit-learn `labels=unique(y_true)`);
    /// predictions of other classes count as errors of the true class.
    pub macro_f1: f64,
    /// Mean F1 over the classes present in the labels or the predictions.
    pub macro_f1_all: f64,
    pub per_class: Vec<ClassReport>,
    /// `confusion[true][predicted]`, indices as in `classes`.
    pub confusion: Vec<Vec<usize>>,
    pub classes: Vec<FraudType>,
    /// Share of fraud texts predicted as any fraud type.
    pub fraud_recall: f64,
    /// Share of normal texts predicted as fraud.
    pub false_positive_rate: f64,
}

/// Computes the report from (truth, prediction) pairs.
pub fn evaluate_pairs(pairs: &[(FraudType, FraudType)]) -> EvalReport {
    let mut m = vec![vec![0usize; FraudType::COUNT]; FraudType::COUNT];
    for &(t, p) in pairs {
        m[t.index()][p.index()] += 1;
    }
    let used: Vec<FraudType> = FraudType::ALL
        .iter()
        .copied()
        .filter(|c| {
            m[c.index()].iter().sum::<usize>() > 0 || m.iter().any(|row| row[c.index()] > 0)
        })
        .collect();
    let div = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let per_class: Vec<ClassReport> = used
        .iter()
        .map(|&c| {
            let i = c.index();
            let tp = m[i][i];
            let support: usize = m[i].iter().sum();
            let predicted: usize = m.iter().map(|r| r[i]).sum();
            let precision = div(tp, predicted);
            let recall = div(tp, support);
            let f1 = if precision + recall == 0.0 {
                0.0
            } else {
                2.0 * precision * recall / (precision + recall)
            };
            ClassReport {
                class: c,
                support,
                precision,
                recall,
                f1,
            }
        })
        .collect();
    let correct: usize = (0..FraudType::COUNT).map(|i| m[i][i]).sum();
    let (mut fraud, mut fraud_hit, mut normal, mut normal_fp) = (0, 0, 0, 0);
    for &(t, p) in pairs {
        if t.is_fraud() {
            fraud += 1;
            fraud_hit += usize::from(p.is_fraud());
        } else {
            normal += 1;
            normal_fp += usize::from(p.is_fraud());
        }
    }
    EvalReport {
        n: pairs.len(),
        accuracy: div(correct, pairs.len()),
        macro_f1: mean(per_class.iter().filter(|c| c.support > 0).map(|c| c.f1)),
        macro_f1_all: mean(per_class.iter().map(|c| c.f1)),
        confusion: used
            .iter()
            .map(|t| used.iter().map(|p| m[t.index()][p.index()]).collect())
            .collect(),
        classes: used,
        per_class,
        fraud_recall: div(fraud_hit, fraud),
        false_positive_rate: div(normal_fp, normal),
    }
}

fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = xs.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 {
        0.0
    } else {
        s / n as f64
    }
}

/// Writes a report as text.
pub fn write_report(r: &EvalReport, mut out: impl Write) -> io::Result<()> {
    writeln!(out, "examples: {}", r.n)?;
    writeln!(out, "accuracy: {:.4}", r.accuracy)?;
    writeln!(out, "macro-F1 (classes in the labels): {:.4}", r.macro_f1)?;
    writeln!(
        out,
        "macro-F1 (classes in labels or predictions): {:.4}",
        r.macro_f1_all
    )?;
    writeln!(out, "fraud recall (fraud vs normal): {:.4}", r.fraud_recall)?;
    writeln!(
        out,
        "false-positive rate (normal flagged as fraud): {:.4}",
        r.false_positive_rate
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<34} {:>9} {:>9} {:>9} {:>8}",
        "class", "precision", "recall", "f1", "support"
    )?;
    for c in &r.per_class {
        writeln!(
            out,
            "{:<34} {:>9.4} {:>9.4} {:>9.4} {:>8}",
            c.class.id(),
            c.precision,
            c.recall,
            c.f1,
            c.support
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "confusion matrix (rows = truth, columns = prediction):"
    )?;
    write!(out, "{:<34}", "")?;
    for i in 0..r.classes.len() {
        write!(out, " {:>6}", format!("[{i}]"))?;
    }
    writeln!(out)?;
    for (i, row) in r.confusion.iter().enumerate() {
        write!(out, "{:<34}", format!("[{i}] {}", r.classes[i].id()))?;
        for v in row {
            write!(out, " {v:>6}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// `fanzha eval --data FILE [--split S]`: scores labelled JSONL and prints the report.
/// With `split`, lines whose `split` field differs are skipped (lines without one are kept).
pub fn run_eval(
    engine: &Engine,
    data: &Path,
    split: Option<&str>,
    out: impl Write,
) -> Result<EvalReport, CliError> {
    let examples = read_jsonl(data, split)?;
    let report = evaluate_examples(engine, &examples);
    write_report(&report, out)?;
    Ok(report)
}

/// Evaluates the engine on examples.
pub fn evaluate_examples(engine: &Engine, examples: &[Example]) -> EvalReport {
    let pairs: Vec<(FraudType, FraudType)> = examples
        .iter()
        .map(|e| (e.label, engine.analyze_brief(&e.text).fraud_type))
        .collect();
    evaluate_pairs(&pairs)
}

/// Options of `fanzha train`.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Labelled JSONL files (`text`, `label`; optional `split`).
    pub data: Vec<PathBuf>,
    /// Where to write the model.
    pub out: PathBuf,
    pub seed: u64,
    /// Keep only lines whose `split` equals this (lines without a `split` field are kept).
    /// `fanzha train` passes `Some("train")`.
    pub split: Option<String>,
    pub epochs: Option<u32>,
    pub bits: Option<u32>,
    /// Weight of each example of `data[i]` (missing entries are 1.0): lets a large set of one
    /// kind (e.g. personal SMS) teach without drowning the others.
    pub weights: Vec<f32>,
}

impl TrainOptions {
    /// Options with the defaults the binary uses.
    pub fn new(data: Vec<PathBuf>, out: PathBuf) -> TrainOptions {
        TrainOptions {
            data,
            out,
            seed: 42,
            split: Some("train".into()),
            epochs: None,
            bits: None,
            weights: Vec::new(),
        }
    }
}

/// Summary of a training run.
#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    pub examples: usize,
    pub per_class: Vec<(FraudType, usize)>,
    pub seconds: f64,
    pub bytes: usize,
}

/// `fanzha train --data FILE [--data MORE] --out FILE [--seed N]`.
pub fn run_train(opts: &TrainOptions) -> Result<TrainReport, CliError> {
    let started = Instant::now();
    let mut examples = Vec::new();
    for (i, p) in opts.data.iter().enumerate() {
        let w = opts.weights.get(i).copied().unwrap_or(1.0);
        examples.extend(
            read_jsonl(p, opts.split.as_deref())?
                .into_iter()
                .map(|mut e| {
                    e.weight = w;
                    e
                }),
        );
    }
    let mut cfg = TrainConfig {
        seed: opts.seed,
        ..TrainConfig::default()
    };
    if let Some(e) = opts.epochs {
        cfg.epochs = e;
    }
    if let Some(b) = opts.bits {
        cfg.bits = b;
    }
    let mut per_class = Vec::new();
    for t in FraudType::ALL {
        let n = examples.iter().filter(|e| e.label == t).count();
        per_class.push((t, n));
    }
    let files: Vec<String> = opts
        .data
        .iter()
        .map(|p| {
            p.file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    let meta = serde_json::json!({
        "files": files,
        "weights": opts.weights,
        "split": opts.split,
        "seed": cfg.seed,
        "epochs": cfg.epochs,
        "bits": cfg.bits,
        "examples": examples.len(),
        "per_class": per_class.iter().map(|(t, n)| (t.id(), *n)).collect::<std::collections::BTreeMap<_, _>>(),
    })
    .to_string();
    let model = train(&examples, &cfg, &meta)?;
    write_model(&model, &opts.out)?;
    Ok(TrainReport {
        examples: examples.len(),
        per_class,
        seconds: started.elapsed().as_secs_f64(),
        bytes: model.to_bytes().len(),
    })
}

/// Result of `fanzha bench detect`.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub messages: usize,
    pub mean_chars: f64,
    /// Throughput of `analyze_brief` (normalise + extract + rules + classify).
    pub messages_per_second: f64,
    /// The same per second of this thread's CPU time (robust to other load on the machine).
    pub messages_per_cpu_second: Option<f64>,
    /// Throughput of `analyze` (the same plus the top-features explanation).
    pub explained_per_second: f64,
    /// The same per second of this thread's CPU time.
    pub explained_per_cpu_second: Option<f64>,
    pub p50_us: f64,
    pub p99_us: f64,
    pub model_load_ms: f64,
    pub rss_mb: Option<f64>,
}

/// Deterministic synthetic messages of about 100 characters, mixing scam and ordinary phrasing.
pub fn bench_messages(n: usize) -> Vec<String> {
    const PARTS: &[&str] = &[
        "您好，我是京东客服，您的订单因质量问题需要办理退款，",
        "同学们注意，明天下午三点在图书馆报告厅召开安全教育大会，",
        "兼职刷单日结，动动手指一天赚三百，加V信 abc_1234 了解，",
        "你的快递已到菜鸟驿站，取件码 3-2-1108，请尽快领取，",
        "我是你们辅导员，现在开会不方便接电话，急需帮我转一笔钱，",
        "【工商银行】您尾号1234的账户于10月5日支出人民币56.00元，",
        "内部消息，老师带单稳赚不赔，下载 http://gold-vip.top/app 注册，",
        "这周末聚餐AA，每人 85 元，微信转我就行，",
        "你涉嫌一起洗钱案件，请配合调查并将资金转入安全账户，",
        "游戏账号出售，皮肤齐全，私下交易先付保证金，",
        "宝贝，我在平台发现一个漏洞，我们一起投资赚钱吧，",
        "无抵押低息贷款，当天放款，先交解冻费即可到账，",
    ];
    let mut rng = crate::model::Rng::new(7);
    (0..n)
        .map(|_| {
            let mut s = String::new();
            while s.chars().count() < 95 {
                s.push_str(PARTS[rng.below(PARTS.len())]);
            }
            s.chars().take(100).collect()
        })
        .collect()
}

/// CPU time (user + system) of the calling thread in seconds, from `/proc/thread-self/stat`
/// (Linux, 100 ticks per second). Throughput per CPU-second is what "messages/s on one core"
/// means on a machine where other work preempts the benchmark.
pub fn thread_cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Resident memory of this process in MB (Linux), from `/proc/self/status`.
pub fn resident_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// `fanzha bench detect`: single-thread throughput, p50/p99 latency, model load time and RSS.
pub fn run_bench(messages: usize, mut out: impl Write) -> io::Result<BenchReport> {
    let t0 = Instant::now();
    let engine = Engine::builtin();
    let model_load_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let msgs = bench_messages(messages.max(100));
    for m in msgs.iter().take(500) {
        std::hint::black_box(engine.analyze_brief(m));
    }
    let mut lat = Vec::with_capacity(msgs.len());
    let cpu0 = thread_cpu_seconds();
    let start = Instant::now();
    for m in &msgs {
        let t = Instant::now();
        std::hint::black_box(engine.analyze_brief(m));
        lat.push(t.elapsed().as_nanos() as u64);
    }
    let total = start.elapsed().as_secs_f64();
    let cpu = match (cpu0, thread_cpu_seconds()) {
        (Some(a), Some(b)) if b > a => Some(b - a),
        _ => None,
    };
    let explain_start = Instant::now();
    let explained = msgs.len().min(60_000);
    let ecpu0 = thread_cpu_seconds();
    for m in msgs.iter().take(explained) {
        std::hint::black_box(engine.analyze(m));
    }
    let explained_per_second = explained as f64 / explain_start.elapsed().as_secs_f64();
    let explained_per_cpu_second = match (ecpu0, thread_cpu_seconds()) {
        (Some(a), Some(b)) if b > a => Some(explained as f64 / (b - a)),
        _ => None,
    };
    lat.sort_unstable();
    let pct = |q: f64| lat[((lat.len() as f64 - 1.0) * q) as usize] as f64 / 1000.0;
    let report = BenchReport {
        messages: msgs.len(),
        mean_chars: msgs.iter().map(|m| m.chars().count()).sum::<usize>() as f64
            / msgs.len() as f64,
        messages_per_second: msgs.len() as f64 / total,
        messages_per_cpu_second: cpu.map(|c| msgs.len() as f64 / c),
        explained_per_second,
        explained_per_cpu_second,
        p50_us: pct(0.50),
        p99_us: pct(0.99),
        model_load_ms,
        rss_mb: resident_mb(),
    };
    writeln!(
        out,
        "messages:          {} (mean {:.0} chars)",
        report.messages, report.mean_chars
    )?;
    writeln!(
        out,
        "throughput:        {:.0} messages/s (analyze_brief, one thread)",
        report.messages_per_second
    )?;
    if let Some(c) = report.messages_per_cpu_second {
        writeln!(out, "per CPU-second:    {c:.0} messages (analyze_brief)")?;
    }
    writeln!(
        out,
        "with explanation:  {:.0} messages/s (analyze, one thread)",
        report.explained_per_second
    )?;
    if let Some(c) = report.explained_per_cpu_second {
        writeln!(out, "per CPU-second:    {c:.0} messages (analyze)")?;
    }
    writeln!(
        out,
        "latency p50 / p99: {:.1} µs / {:.1} µs",
        report.p50_us, report.p99_us
    )?;
    writeln!(out, "model load:        {:.1} ms", report.model_load_ms)?;
    match report.rss_mb {
        Some(r) => writeln!(out, "resident memory:   {r:.1} MB")?,
        None => writeln!(out, "resident memory:   unavailable")?,
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_keeps_order_and_reports_bad_lines() {
        let input = "{\"id\":\"a\",\"text\":\"明天开班会\"}\n\n{\"id\":\"b\"}\n{\"id\":\"c\",\"text\":5}\n{bad\n{\"id\":\"d\",\"text\":\"你涉嫌洗钱，请把钱转入安全账户\"}\n";
        let mut out = Vec::new();
        let s = run_detect(&Engine::builtin(), input.as_bytes(), &mut out).unwrap();
        assert_eq!(
            s,
            DetectStats {
                lines: 5,
                ok: 2,
                errors: 3,
                fraud: s.fraud
            }
        );
        let lines: Vec<serde_json::Value> = std::str::from_utf8(&out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[0]["id"], "a");
        assert!(lines[0]["risk"].is_number());
        assert_eq!(lines[1]["id"], "b");
        assert!(lines[1]["error"]
            .as_str()
            .unwrap()
            .contains("missing field `text`"));
        assert!(lines[2]["error"]
            .as_str()
            .unwrap()
            .contains("must be a string"));
        assert!(lines[3]["error"].as_str().unwrap().contains("line 5"));
        assert_eq!(lines[4]["id"], "d");
    }

    #[test]
    fn report_math() {
        use FraudType::*;
        let r = evaluate_pairs(&[
            (Normal, Normal),
            (Normal, FakeLoan),
            (FakeLoan, FakeLoan),
            (Romance, Normal),
        ]);
        assert_eq!(r.n, 4);
        assert!((r.accuracy - 0.5).abs() < 1e-9);
        assert!((r.fraud_recall - 0.5).abs() < 1e-9);
        assert!((r.false_positive_rate - 0.5).abs() < 1e-9);
        let mut text = Vec::new();
        write_report(&r, &mut text).unwrap();
        assert!(String::from_utf8(text).unwrap().contains("macro-F1"));
    }
}
