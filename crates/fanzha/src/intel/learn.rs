//! Learning from confirmed cases: police-confirmed labelled examples (reviewed wrong results,
//! confirmed reports) are exported with extra labelled files, a candidate classifier is trained
//! and measured against the model in use on the evaluation file and on a fixed held-out fifth of
//! the database's examples, and stored as a candidate. A curator promotes it only when neither
//! figure regresses, and can roll back; every process swaps to the promoted model (the built-in
//! model stays the fallback). Promotions and rollbacks are audited.

use crate::kernel::ids::ReportId;
use std::path::PathBuf;
use std::sync::Arc;

use fanzha_detect::cli::{evaluate_examples, EvalReport};
use fanzha_detect::model::{self, Example, Model, TrainConfig};
use fanzha_detect::{Engine, FraudType};
use serde::{Deserialize, Serialize};

use super::detect_store::{self as ds, ModelRow, NewModel};
use super::service::By;
use crate::audit::{self, Event};
use crate::clock::Clock;
use crate::db::{Backend, Db, DbError};

/// The committed evaluation file of fanzha-detect, read when `--eval` is not given.
pub const DEFAULT_EVAL: &str = "crates/fanzha-detect/tests/data/sms_eval.jsonl";

/// The version name of the model embedded in the binary.
pub const BUILTIN: &str = "builtin";

#[derive(Debug, thiserror::Error)]
pub enum LearnError {
    /// A labelled file could not be read (names the file and line).
    #[error("{0}")]
    Data(String),
    /// Nothing to train on.
    #[error("no labelled examples: confirm some in the review queue or pass --data FILE")]
    Empty,
    /// No evaluation file.
    #[error("no evaluation file: pass --eval FILE")]
    NoEval,
    #[error("not found")]
    NotFound,
    /// The candidate is not waiting for promotion (already promoted, rejected, or replaced).
    #[error("this model is not a waiting candidate")]
    NotCandidate,
    /// The model in use changed since the candidate was measured: its figures compare with a
    /// model that no longer serves.
    #[error("the model in use changed since this candidate was measured; train it again")]
    Stale,
    /// A figure of the candidate is below the model in use.
    #[error("the candidate scores lower than the model in use on {0}")]
    Regresses(&'static str),
    /// Nothing to roll back to: the built-in model is in use.
    #[error("the built-in model is in use; there is nothing to roll back")]
    NothingToRollBack,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for LearnError {
    fn from(e: sqlx::Error) -> Self {
        LearnError::Db(e.into())
    }
}

/// The figures of one model on one evaluation set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub n: usize,
    pub macro_f1: f64,
    pub fraud_recall: f64,
    pub false_positive_rate: f64,
}

impl From<&EvalReport> for Score {
    fn from(r: &EvalReport) -> Score {
        Score {
            n: r.n,
            macro_f1: r.macro_f1,
            fraud_recall: r.fraud_recall,
            false_positive_rate: r.false_positive_rate,
        }
    }
}

/// The candidate's figures and those of the model in use when it was trained.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// On the evaluation file (never trained on).
    pub eval_candidate: Score,
    pub eval_base: Score,
    /// On the held-out fifth of the database's examples (none when the database has none).
    pub holdout_candidate: Option<Score>,
    pub holdout_base: Option<Score>,
    /// The evaluation file's name.
    pub eval_file: String,
}

/// Figures are compared at the precision people read them (three decimals).
fn below(candidate: f64, base: f64) -> bool {
    (candidate * 1000.0).round() < (base * 1000.0).round()
}

impl Figures {
    /// The first set on which the candidate's macro-F1 is below the base model's.
    pub fn regression(&self) -> Option<&'static str> {
        if below(self.eval_candidate.macro_f1, self.eval_base.macro_f1) {
            return Some("eval");
        }
        if let (Some(c), Some(b)) = (self.holdout_candidate, self.holdout_base) {
            if below(c.macro_f1, b.macro_f1) {
                return Some("holdout");
            }
        }
        None
    }
}

/// True when the example with this id belongs to the fixed held-out fifth: the first byte of
/// SHA-256 of `"holdout:" + id`, so the split never changes as examples are added.
pub fn held_out(id: i64) -> bool {
    use sha2::Digest;
    let h = sha2::Sha256::digest(format!("holdout:{id}").as_bytes());
    h[0] % 5 == 0
}

/// What `fanzha train --from-db` does.
#[derive(Clone, Debug)]
pub struct TrainSpec {
    /// Extra labelled JSONL files (`text`, `label`).
    pub data: Vec<PathBuf>,
    /// The evaluation file (JSONL, never trained on).
    pub eval: PathBuf,
    pub config: TrainConfig,
}

/// The stored candidate.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub id: i64,
    pub version: String,
    pub examples: usize,
    pub from_db: usize,
    pub figures: Figures,
}

fn read(path: &std::path::Path) -> Result<Vec<Example>, LearnError> {
    model::read_jsonl(path, None).map_err(|e| LearnError::Data(e.to_string()))
}

fn version_of(bytes: &[u8]) -> String {
    use sha2::Digest;
    let h = hex::encode(sha2::Sha256::digest(bytes));
    format!("m-{}", &h[..12])
}

/// Exports the confirmed examples, trains, evaluates against the model in use and stores the
/// candidate. Training runs on a blocking thread.
pub async fn train_candidate(
    db: &Db,
    clock: &Clock,
    live: &Engine,
    live_version: &str,
    spec: &TrainSpec,
) -> Result<Candidate, LearnError> {
    let rows = ds::confirmed_examples(db).await?;
    let mut train = Vec::new();
    let mut holdout = Vec::new();
    for r in rows {
        let Ok(label) = r.label.parse::<FraudType>() else {
            tracing::warn!(id = r.id, label = %r.label, "labelled example with an unknown label");
            continue;
        };
        let e = Example {
            text: r.text,
            label,
            weight: 1.0,
        };
        if held_out(r.id) {
            holdout.push(e);
        } else {
            train.push(e);
        }
    }
    let from_db = train.len();
    for p in &spec.data {
        train.extend(read(p)?);
    }
    if train.is_empty() {
        return Err(LearnError::Empty);
    }
    if !spec.eval.exists() {
        return Err(LearnError::NoEval);
    }
    let eval = read(&spec.eval)?;
    if eval.is_empty() {
        return Err(LearnError::NoEval);
    }
    let eval_file = spec
        .eval
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let cfg = spec.config.clone();
    let rules = live.rules().clone();
    let base_model = live.model().to_bytes();
    let n = train.len();
    let (bytes, figures) = tokio::task::spawn_blocking(move || {
        let meta = serde_json::json!({
            "source": "fanzha train --from-db",
            "examples": n,
            "from_db": from_db,
            "seed": cfg.seed,
            "epochs": cfg.epochs,
            "bits": cfg.bits,
        })
        .to_string();
        let m = model::train(&train, &cfg, &meta).map_err(|e| LearnError::Data(e.to_string()))?;
        let bytes = m.to_bytes();
        let candidate = Engine::new(rules.clone(), m);
        let base = Engine::new(
            rules,
            Model::from_bytes(&base_model).map_err(|e| LearnError::Data(e.to_string()))?,
        );
        let score = |e: &Engine, set: &[Example]| Score::from(&evaluate_examples(e, set));
        let figures = Figures {
            eval_candidate: score(&candidate, &eval),
            eval_base: score(&base, &eval),
            holdout_candidate: (!holdout.is_empty()).then(|| score(&candidate, &holdout)),
            holdout_base: (!holdout.is_empty()).then(|| score(&base, &holdout)),
            eval_file,
        };
        Ok::<_, LearnError>((bytes, figures))
    })
    .await
    .map_err(|e| LearnError::Data(e.to_string()))??;
    let version = version_of(&bytes);
    let figures_json = serde_json::to_string(&figures).unwrap_or_default();
    let mut tx = db.begin_write().await?;
    let id = ds::insert_model(
        &mut tx,
        &NewModel {
            version: &version,
            bytes: &bytes,
            base_version: live_version,
            figures: &figures_json,
            examples: n as i64,
            created_by: None,
        },
        clock.now_ms(),
    )
    .await?;
    ds::prune_models(&mut tx).await?;
    tx.commit().await?;
    Ok(Candidate {
        id,
        version,
        examples: n,
        from_db,
        figures,
    })
}

/// A report police confirmed becomes a labelled example (once per report): the scam SMS it
/// quotes, else the reporter's description when it says enough; labelled with the report's
/// fraud type and the confirming officer.
pub async fn record_report_example(
    tx: &mut sqlx::AnyConnection,
    now: i64,
    by: &By,
    report_id: ReportId,
    sections: &serde_json::Value,
    description: &str,
    fraud_type: &str,
) -> Result<(), DbError> {
    let Ok(label) = fraud_type.parse::<FraudType>() else {
        return Ok(());
    };
    let Some(account) = by.actor.account_id else {
        return Ok(());
    };
    let sms = sections
        .pointer("/sms/content")
        .and_then(|v| v.as_str())
        .map(str::trim)
        .unwrap_or("");
    let text = if sms.is_empty() {
        description.trim()
    } else {
        sms
    };
    if text.chars().count() < 8 {
        return Ok(());
    }
    ds::insert_report_example(tx, report_id, text, label.id(), account, now).await
}

/// The figures stored with a model.
pub fn figures_of(m: &ModelRow) -> Figures {
    serde_json::from_str(&m.figures).unwrap_or_default()
}

/// The version in use as the database says (the active model's, else the built-in one).
pub async fn version_in_use(c: &mut sqlx::AnyConnection) -> Result<String, LearnError> {
    Ok(ds::active_model(c)
        .await?
        .map_or_else(|| BUILTIN.to_string(), |m| m.version))
}

async fn audit_model(
    tx: &mut sqlx::AnyConnection,
    clock: &Clock,
    by: &By,
    action: &'static str,
    m: &ModelRow,
    detail: serde_json::Value,
) -> Result<(), LearnError> {
    audit::record(
        &mut *tx,
        clock,
        &by.actor,
        Event {
            action,
            target_kind: "detect_model",
            target_id: m.id.to_string(),
            unit_path: by.unit_path.clone(),
            detail,
        },
    )
    .await?;
    Ok(())
}

/// Promotes a candidate: refused when the model in use changed since it was measured or when a
/// figure regresses. The previous model is retired (kept for rollback). Audited.
pub async fn promote(db: &Db, clock: &Clock, by: &By, id: i64) -> Result<ModelRow, LearnError> {
    let mut tx = db.begin_write().await?;
    let m = ds::model_by_id(&mut tx, id)
        .await?
        .ok_or(LearnError::NotFound)?;
    if m.status != "candidate" {
        return Err(LearnError::NotCandidate);
    }
    let current = ds::active_model(&mut tx).await?;
    let in_use = current
        .as_ref()
        .map_or_else(|| BUILTIN.to_string(), |c| c.version.clone());
    if in_use != m.base_version {
        return Err(LearnError::Stale);
    }
    if let Some(set) = figures_of(&m).regression() {
        return Err(LearnError::Regresses(set));
    }
    if let Some(c) = &current {
        ds::set_model_status(&mut tx, c.id, "active", "retired").await?;
    }
    if !ds::set_model_status(&mut tx, id, "candidate", "active").await? {
        return Err(LearnError::NotCandidate);
    }
    let account = by.actor.account_id.unwrap_or_default();
    let now = clock.now_ms();
    ds::mark_promoted(&mut tx, id, account, now).await?;
    ds::prune_models(&mut tx).await?;
    ds::bump(&mut tx, db.backend == Backend::Postgres, ds::MODEL).await?;
    audit_model(
        &mut tx,
        clock,
        by,
        "detect.model_promote",
        &m,
        serde_json::json!({"version": m.version, "replaces": in_use}),
    )
    .await?;
    tx.commit().await?;
    Ok(m)
}

/// Rejects a candidate (it stays listed, never serves). Audited.
pub async fn reject(db: &Db, clock: &Clock, by: &By, id: i64) -> Result<(), LearnError> {
    let mut tx = db.begin_write().await?;
    let m = ds::model_by_id(&mut tx, id)
        .await?
        .ok_or(LearnError::NotFound)?;
    if !ds::set_model_status(&mut tx, id, "candidate", "rejected").await? {
        return Err(LearnError::NotCandidate);
    }
    audit_model(
        &mut tx,
        clock,
        by,
        "detect.model_reject",
        &m,
        serde_json::json!({"version": m.version}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Rolls back the active model: the previously promoted one serves again, or the built-in
/// model when there is none. Returns the version now in use. Audited.
pub async fn rollback(db: &Db, clock: &Clock, by: &By) -> Result<String, LearnError> {
    let mut tx = db.begin_write().await?;
    let current = ds::active_model(&mut tx)
        .await?
        .ok_or(LearnError::NothingToRollBack)?;
    ds::set_model_status(&mut tx, current.id, "active", "rolled_back").await?;
    let back = ds::previous_active(&mut tx).await?;
    let now_in_use = match &back {
        Some(p) => {
            ds::set_model_status(&mut tx, p.id, "retired", "active").await?;
            p.version.clone()
        }
        None => BUILTIN.to_string(),
    };
    ds::bump(&mut tx, db.backend == Backend::Postgres, ds::MODEL).await?;
    audit_model(
        &mut tx,
        clock,
        by,
        "detect.model_rollback",
        &current,
        serde_json::json!({"version": current.version, "back_to": now_in_use}),
    )
    .await?;
    tx.commit().await?;
    Ok(now_in_use)
}

/// The engine to serve with `model` and the rules (and brands) of `live`.
pub fn engine_with(live: &Engine, model: Model) -> Arc<Engine> {
    let e = Engine::new(live.rules().clone(), model);
    e.set_brands(live.brands());
    Arc::new(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_held_out_fifth_is_fixed_and_about_a_fifth() {
        let n = (1..=10_000).filter(|i| held_out(*i)).count();
        assert!((1600..2400).contains(&n), "{n}");
        assert_eq!(held_out(17), held_out(17));
    }

    #[test]
    fn a_lower_figure_on_either_set_is_a_regression() {
        let s = |f| Score {
            n: 10,
            macro_f1: f,
            ..Score::default()
        };
        let mut f = Figures {
            eval_candidate: s(0.9),
            eval_base: s(0.9),
            holdout_candidate: Some(s(0.8)),
            holdout_base: Some(s(0.7)),
            eval_file: "e.jsonl".into(),
        };
        assert_eq!(f.regression(), None);
        f.eval_candidate = s(0.85);
        assert_eq!(f.regression(), Some("eval"));
        f.eval_candidate = s(0.95);
        f.holdout_candidate = Some(s(0.6));
        assert_eq!(f.regression(), Some("holdout"));
    }
}
