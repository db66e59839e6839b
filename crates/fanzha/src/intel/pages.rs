//! Pages: the risk check (`/check`, everyone, phone first), the police console (`/intel`) with
//! import and export, and the review queue (`/intel/reviews`).

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use fanzha_detect::FraudType;
use serde::Deserialize;

use super::check::{self, Answer, Input};
use super::formats::{self, Format};
use super::model::{FraudTypes, Indicator, IndicatorKey, Status, Tlp};
use super::service::{self, By, ConflictOutcome, ImportSummary, Outcome};
use super::store::{self, Conflict, Filter, Review, StoredCheck};
use crate::auth::model::Principal;
use crate::auth::policy::{self, Action};
use crate::error::{AppError, AppResult};
use crate::web::context::User;
use crate::web::i18n::Lang;
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/check", get(check_page).post(check_submit))
        .route("/check/{id}", get(check_result))
        .route("/check/{id}/wrong", post(check_wrong))
        .route("/intel", get(console))
        .route("/intel/new", post(console_new))
        .route("/intel/merge", post(console_merge))
        .route("/intel/import", post(console_import))
        .route("/intel/export", get(console_export))
        .route("/intel/{id}", post(console_decide))
        .route("/intel/reviews", get(reviews_page))
        .route("/intel/reviews/{id}", post(review_resolve))
        .route("/intel/conflicts/{id}", post(conflict_resolve))
        .route("/intel/examples.jsonl", get(examples_jsonl))
}

/// Police (and province admins) curate the indicator store.
pub fn is_curator(p: &Principal) -> bool {
    !policy::scopes_for(p, Action::CurateIntel).is_empty()
}

/// The caller as a curator, or 403 (written to the audit log like every refused access).
pub(crate) async fn curator(st: &AppState, u: &User) -> AppResult<By> {
    let scopes = policy::scopes_for(&u.p, Action::CurateIntel);
    match scopes.first() {
        Some(path) => Ok(By {
            actor: u.ctx.actor(),
            unit_path: path.clone(),
        }),
        None => {
            let path =
                u.p.grants
                    .first()
                    .and_then(|g| g.scope_paths.first().cloned())
                    .unwrap_or_default();
            crate::audit::record(
                &st.db.pool,
                &st.clock,
                &u.ctx.actor(),
                crate::audit::Event {
                    action: "access.denied",
                    target_kind: "intel",
                    target_id: String::new(),
                    unit_path: path,
                    detail: serde_json::json!({ "action": "CurateIntel", "path": u.ctx.path }),
                },
            )
            .await?;
            Err(AppError::forbidden())
        }
    }
}

// ---- risk check ----

struct HitView {
    kind: String,
    value: String,
    status: String,
    sightings: i64,
    confirmed: bool,
    types: String,
    tlp: String,
    /// `None`: withheld from this viewer (amber/red sharing level).
    sources: Option<Vec<String>>,
}

#[derive(Template)]
#[template(path = "intel/check.html")]
struct CheckPage {
    ctx: PageCtx,
    input: String,
    sender: String,
    error: Option<String>,
    result: Option<ResultView>,
    history: Vec<StoredCheck>,
    sent: bool,
}

struct ResultView {
    id: i64,
    text: String,
    level: String,
    fraud_name: String,
    fraud_id: &'static str,
    is_fraud: bool,
    hits: Vec<HitView>,
    rules: Vec<String>,
    risk_pct: i64,
    report_link: String,
    own: bool,
    sender: Option<String>,
    /// Whether the sender, the link, or both are suspect, in words.
    suspect: Option<String>,
    /// The brand mismatch in words, and the brand's official channels.
    brand: Option<(String, String)>,
    model_version: String,
}

#[derive(Deserialize)]
struct CheckForm {
    q: String,
    #[serde(default)]
    sender: String,
}

#[derive(Deserialize, Default)]
struct CheckQuery {
    sent: Option<String>,
}

async fn render_check(
    st: &AppState,
    u: &User,
    (input, sender): (String, String),
    error: Option<String>,
    result: Option<ResultView>,
    sent: bool,
) -> AppResult<Html<String>> {
    let history = store::checks_of(&st.db, u.p.account_id, 20).await?;
    let ctx = page_ctx(st, u).await;
    Ok(Html(
        CheckPage {
            ctx,
            input,
            sender,
            error,
            result,
            history,
            sent,
        }
        .render()?,
    ))
}

async fn check_page(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    render_check(&st, &u, Default::default(), None, None, false).await
}

fn sha256(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

async fn check_submit(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<CheckForm>,
) -> AppResult<Response> {
    let sender = match f.sender.trim() {
        "" => Ok(None),
        s => check::parse_sender(s).map(Some),
    };
    let parsed = Input::text(&f.q).and_then(|i| match sender {
        Ok(s) => Ok((i, s)),
        Err(key) => Err((key, String::new())),
    });
    let (input, sender) = match parsed {
        Ok(i) => i,
        Err((key, _)) => {
            let msg = u.ctx.lang.ta(
                key,
                &[
                    ("max", check::MAX_TEXT_BYTES.to_string()),
                    ("reason", String::new()),
                ],
            );
            let keep: String =
                f.q.chars()
                    .take(check::MAX_TEXT_BYTES)
                    .filter(|c| !c.is_control() || *c == '\n')
                    .collect();
            let keep_sender: String = f
                .sender
                .chars()
                .take(40)
                .filter(|c| !c.is_control())
                .collect();
            let html = render_check(&st, &u, (keep, keep_sender), Some(msg), None, false).await?;
            return Ok((StatusCode::BAD_REQUEST, html).into_response());
        }
    };
    let live = st.intel.live();
    let answer = check::check_with(
        &live.engine,
        &live.model_version,
        &st.intel.index,
        &input,
        sender.as_deref(),
        false,
    );
    let text = input.display();
    let result = serde_json::to_string(&answer).map_err(|_| AppError::internal())?;
    let mut tx = st.db.begin_write().await?;
    let id = store::insert_check(
        &mut tx,
        &store::NewCheck {
            account_id: u.p.account_id,
            student_id: u.p.student_id,
            input_kind: input.kind_id(),
            text: &text,
            text_hash: &sha256(&text),
            level: &answer.level,
            fraud_type: &answer.fraud_type,
            risk_pm: (answer.risk * 1000.0).round() as i64,
            result: &result,
            model_version: &answer.model_version,
            sender: answer.sender.as_deref(),
        },
        st.clock.now_ms(),
    )
    .await?;
    // A student facing a likely scam gets their counselor's attention: a low-severity follow-up
    // down the responsibility chain (at most one a day from checks).
    if let (Some(student_id), "high") = (u.p.student_id, answer.level.as_str()) {
        if answer.fraud_type != "normal" {
            crate::warnings::service::followup_once(
                &mut tx,
                &st.clock,
                student_id,
                &answer.fraud_type,
                "risk_check",
                &format!("check:{id}"),
            )
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "follow-up of a risk check");
                AppError::internal()
            })?;
        }
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/check/{id}")).into_response())
}

/// A check is visible to whoever ran it and to curators.
async fn visible_check(st: &AppState, u: &User, id: i64) -> AppResult<StoredCheck> {
    let c = store::check_by_id(&st.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if c.account_id != u.p.account_id && !is_curator(&u.p) {
        return Err(AppError::not_found());
    }
    Ok(c)
}

async fn result_view(st: &AppState, u: &User, c: &StoredCheck) -> AppResult<ResultView> {
    let a: Answer = serde_json::from_str(&c.result).map_err(|_| AppError::internal())?;
    let lang = u.ctx.lang;
    let curator = is_curator(&u.p);
    let mut hits = Vec::new();
    for h in &a.indicators {
        let tlp: Tlp = h.tlp.parse().unwrap_or(Tlp::Green);
        let sources = if curator || tlp.sources_public() {
            let mut conn = st.db.pool.acquire().await?;
            let key = IndicatorKey::parse(&h.kind, &h.value).map_err(|_| AppError::internal())?;
            match store::by_key(&mut conn, &key).await? {
                Some(i) => Some(
                    store::sources(&st.db, i.id)
                        .await?
                        .into_iter()
                        .map(|(s, _)| source_label(lang, &s, curator))
                        .collect(),
                ),
                None => Some(vec![]),
            }
        } else {
            None
        };
        hits.push(HitView {
            kind: lang.t(&format!("intel-kind-{}", h.kind)),
            value: h.value.clone(),
            status: lang.t(&format!("intel-status-{}", h.status)),
            sightings: h.sightings,
            confirmed: h.confirmed,
            types: h
                .fraud_types
                .iter()
                .map(|t| crate::web::layout::fraud_type_name(lang, t))
                .collect::<Vec<_>>()
                .join("、"),
            tlp: tlp_label(lang, tlp),
            sources,
        });
    }
    let rules = a
        .rules
        .iter()
        .map(|r| match lang {
            Lang::ZhCn => r.description_zh.clone(),
            Lang::En => r.description_en.clone(),
        })
        .collect();
    let mut link = format!("/reports/new?check={}", c.id);
    for e in &a.extracted {
        link.push_str(&format!(
            "&indicator={}",
            crate::web::context::urlencode(&format!("{}:{}", e.kind, e.value))
        ));
    }
    let fraud = a.fraud();
    let suspect = match (a.sender_suspect == Some(true), a.link_suspect) {
        (true, true) => Some(lang.t("check-both-suspect")),
        (true, false) => Some(lang.t("check-sender-suspect")),
        (false, true) => Some(lang.t("check-link-suspect")),
        (false, false) => None,
    };
    let brand = a.brand_mismatch.as_ref().map(|m| {
        let name = match lang {
            Lang::ZhCn => m.brand_name_zh.clone(),
            Lang::En if !m.brand_name_en.is_empty() => m.brand_name_en.clone(),
            Lang::En => m.brand_name_zh.clone(),
        };
        let short = short_brand(&name, lang);
        let link = m.found.contains('.');
        let what = lang.t(if link {
            "check-brand-link"
        } else {
            "check-brand-number"
        });
        (
            lang.ta(
                "check-brand-mismatch",
                &[("brand", short.clone()), ("what", what)],
            ),
            lang.ta(
                "check-brand-official",
                &[
                    ("brand", short),
                    (
                        "official",
                        m.official
                            .join(if lang == Lang::ZhCn { "、" } else { ", " }),
                    ),
                ],
            ),
        )
    });
    Ok(ResultView {
        id: c.id,
        text: c.text.clone(),
        level: a.level.clone(),
        fraud_name: crate::web::layout::fraud_type_name(lang, fraud.id()),
        fraud_id: fraud.id(),
        is_fraud: fraud.is_fraud(),
        hits,
        rules,
        risk_pct: (a.model_risk.unwrap_or(0.0) * 100.0).round() as i64,
        report_link: link,
        own: c.account_id == u.p.account_id,
        sender: a.sender.clone(),
        suspect,
        brand,
        model_version: if a.model_version == super::learn::BUILTIN {
            lang.t("model-builtin")
        } else {
            a.model_version.clone()
        },
    })
}

/// The name people use for a brand: "中国建设银行" is said "建设银行".
fn short_brand(name: &str, lang: Lang) -> String {
    match lang {
        Lang::ZhCn => name
            .strip_prefix("中国")
            .filter(|r| r.chars().count() >= 4)
            .unwrap_or(name)
            .to_string(),
        Lang::En => name.to_string(),
    }
}

/// A sharing level in people's words (`TLP:AMBER+STRICT — our own units only`).
pub(crate) fn tlp_label(lang: Lang, t: Tlp) -> String {
    lang.t(&format!("intel-tlp-{}", t.as_str()))
}

/// Sources as people read them; who entered or imported is for police eyes.
fn source_label(lang: Lang, s: &str, curator: bool) -> String {
    let (kind, id) = s.split_once(':').unwrap_or((s, ""));
    let label = lang.t(&format!("intel-source-{kind}"));
    if curator {
        format!("{label} #{id}")
    } else {
        label
    }
}

async fn check_result(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Query(q): Query<CheckQuery>,
) -> AppResult<Html<String>> {
    let c = visible_check(&st, &u, id).await?;
    let view = result_view(&st, &u, &c).await?;
    render_check(
        &st,
        &u,
        Default::default(),
        None,
        Some(view),
        q.sent.is_some(),
    )
    .await
}

#[derive(Deserialize)]
struct WrongForm {
    claim: String,
    #[serde(default)]
    comment: String,
}

async fn check_wrong(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<WrongForm>,
) -> AppResult<Response> {
    let c = visible_check(&st, &u, id).await?;
    if c.account_id != u.p.account_id {
        return Err(AppError::not_found());
    }
    if !matches!(f.claim.as_str(), "false_positive" | "false_negative") {
        return Err(AppError::bad_request("intel-err-claim"));
    }
    if let Err(e) = crate::text::multiline(&f.comment) {
        return Err(AppError::bad_request(e.key()));
    }
    if f.comment.chars().count() > 1000 {
        return Err(AppError::bad_request("intel-err-comment"));
    }
    let mut tx = st.db.begin_write().await?;
    match store::insert_review(
        &mut tx,
        id,
        u.p.account_id,
        &f.claim,
        f.comment.trim(),
        st.clock.now_ms(),
    )
    .await
    {
        Ok(_) => tx.commit().await?,
        Err(e) if e.is_unique_violation() => {
            return Err(AppError::conflict("intel-err-review-twice"))
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to(&format!("/check/{id}?sent=1")).into_response())
}

// ---- police console ----

#[derive(Template)]
#[template(path = "intel/console.html")]
struct ConsolePage {
    ctx: PageCtx,
    f: Filter,
    rows: Vec<Indicator>,
    errors: Vec<String>,
    notice: Option<String>,
    kinds: Vec<&'static str>,
    statuses: Vec<&'static str>,
    tlps: Vec<&'static str>,
    types: Vec<(&'static str, String)>,
    open_reviews: usize,
    report: Option<ImportView>,
}

/// The outcome of a preview (dry run) or an import, with every skipped entry and its reason.
struct ImportView {
    dry_run: bool,
    format: &'static str,
    summary: ImportSummary,
    skipped: Vec<formats::Skipped>,
    /// The file's text, carried by the preview's "import" button (no second upload).
    data: String,
}

impl ConsolePage {
    fn tlp_name(&self, t: &str) -> String {
        self.ctx.t(&format!("intel-tlp-{t}"))
    }
    /// Fraud types in words, in the viewer's language.
    fn types_text(&self, types: &[String]) -> String {
        types
            .iter()
            .map(|t| self.ctx.fraud_type(t))
            .collect::<Vec<_>>()
            .join(", ")
    }
    fn sel(&self, a: &Option<String>, b: &str) -> bool {
        a.as_deref() == Some(b)
    }
}

async fn render_console(
    st: &AppState,
    u: &User,
    f: Filter,
    errors: Vec<String>,
    notice: Option<String>,
) -> AppResult<Html<String>> {
    render_console_with(st, u, f, errors, notice, None).await
}

async fn render_console_with(
    st: &AppState,
    u: &User,
    f: Filter,
    errors: Vec<String>,
    notice: Option<String>,
    report: Option<ImportView>,
) -> AppResult<Html<String>> {
    let rows = store::list(&st.db, &f, 200).await?;
    let open_reviews =
        store::reviews(&st.db, true).await?.len() + store::open_conflicts(&st.db).await?.len();
    let lang = u.ctx.lang;
    let ctx = page_ctx(st, u).await;
    Ok(Html(
        ConsolePage {
            ctx,
            f,
            rows,
            errors,
            notice,
            kinds: super::model::KINDS.iter().map(|k| k.id()).collect(),
            statuses: Status::ALL.iter().map(|s| s.as_str()).collect(),
            tlps: Tlp::ALL.iter().map(|s| s.as_str()).collect(),
            types: FraudType::ALL
                .iter()
                .filter(|t| t.is_fraud())
                .map(|t| (t.id(), crate::web::layout::fraud_type_name(lang, t.id())))
                .collect(),
            open_reviews,
            report,
        }
        .render()?,
    ))
}

async fn console(
    State(st): State<AppState>,
    u: User,
    Query(f): Query<Filter>,
) -> AppResult<Html<String>> {
    curator(&st, &u).await?;
    render_console(&st, &u, f, vec![], None).await
}

#[derive(Deserialize)]
struct NewForm {
    kind: String,
    value: String,
    status: String,
    #[serde(default)]
    fraud_type: String,
    tlp: String,
}

async fn console_new(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<NewForm>,
) -> AppResult<Response> {
    let by = curator(&st, &u).await?;
    let parsed = (|| {
        let key = IndicatorKey::parse(&f.kind, &f.value)?;
        let status: Status = f.status.parse()?;
        let tlp: Tlp = f.tlp.parse()?;
        let types = FraudTypes::parse(&f.fraud_type)?;
        Ok::<_, String>((key, status, tlp, types))
    })();
    let (key, status, tlp, types) = match parsed {
        Ok(x) => x,
        Err(e) => {
            let html = render_console(&st, &u, Filter::default(), vec![e], None).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
        }
    };
    let mut tx = st.db.begin_write().await?;
    service::enter(&mut tx, &st.clock, &by, &key, status, types, tlp)
        .await
        .map_err(AppError::from)?;
    tx.commit().await?;
    st.intel.refresh(&st.db, &st.clock).await?;
    Ok(Redirect::to(&format!(
        "/intel?q={}",
        crate::web::context::urlencode(key.value())
    ))
    .into_response())
}

#[derive(Deserialize)]
struct DecideForm {
    status: Option<String>,
    tlp: Option<String>,
}

async fn console_decide(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<DecideForm>,
) -> AppResult<Response> {
    let by = curator(&st, &u).await?;
    let status = match f.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(
            s.parse::<Status>()
                .map_err(|_| AppError::bad_request("intel-err-status"))?,
        ),
        None => None,
    };
    let tlp = match f.tlp.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(
            s.parse::<Tlp>()
                .map_err(|_| AppError::bad_request("intel-err-tlp"))?,
        ),
        None => None,
    };
    let mut tx = st.db.begin_write().await?;
    service::decide(
        &mut tx,
        &st.clock,
        &by,
        id,
        status,
        FraudTypes::default(),
        tlp,
    )
    .await
    .map_err(AppError::from)?;
    tx.commit().await?;
    st.intel.refresh(&st.db, &st.clock).await?;
    Ok(Redirect::to("/intel").into_response())
}

#[derive(Deserialize)]
struct MergeForm {
    from: i64,
    into: i64,
}

async fn console_merge(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<MergeForm>,
) -> AppResult<Response> {
    let by = curator(&st, &u).await?;
    let mut tx = st.db.begin_write().await?;
    service::merge(&mut tx, &st.clock, &by, f.from, f.into)
        .await
        .map_err(AppError::from)?;
    tx.commit().await?;
    st.intel.refresh(&st.db, &st.clock).await?;
    Ok(Redirect::to("/intel").into_response())
}

async fn console_import(State(st): State<AppState>, u: User, mp: Multipart) -> AppResult<Response> {
    let by = curator(&st, &u).await?;
    let (mut format, mut file, mut action) = (String::new(), None::<Vec<u8>>, String::new());
    for (name, data) in crate::web::multipart::fields(mp, "intel-err-upload").await? {
        match name.as_str() {
            "format" => format = crate::web::multipart::text(&data),
            "action" => action = crate::web::multipart::text(&data),
            // The file, or its text carried over from a preview.
            "file" | "data" if !data.is_empty() => file = Some(data.to_vec()),
            _ => {}
        }
    }
    let refuse = |errors: Vec<String>| async {
        let html = render_console(&st, &u, Filter::default(), errors, None).await?;
        Ok::<Response, AppError>((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
    };
    let dry_run = match action.as_str() {
        "preview" => true,
        "" | "import" => false,
        _ => return refuse(vec![u.ctx.t("intel-err-action")]).await,
    };
    let Some(fmt) = Format::parse(&format) else {
        return refuse(vec![u.ctx.t("intel-err-format")]).await;
    };
    let Some(file) = file.filter(|f| !f.is_empty()) else {
        return refuse(vec![u.ctx.t("intel-err-no-file")]).await;
    };
    let parsed = match formats::parse(fmt, &file, st.clock.now_ms()) {
        Ok(p) => p,
        Err(errors) => return refuse(errors).await,
    };
    let summary = service::run_import(&st.db, &st.clock, &by, fmt.id(), &parsed.entries, dry_run)
        .await
        .map_err(AppError::from)?;
    if !dry_run {
        st.intel.refresh(&st.db, &st.clock).await?;
    }
    let notice = (!dry_run).then(|| {
        u.ctx.lang.ta(
            "intel-imported",
            &[
                ("count", parsed.entries.len().to_string()),
                ("batch", summary.batch.unwrap_or_default().to_string()),
            ],
        )
    });
    let report = ImportView {
        dry_run,
        format: fmt.id(),
        summary,
        skipped: parsed.skipped,
        data: if dry_run {
            String::from_utf8_lossy(&file).into_owned()
        } else {
            String::new()
        },
    };
    let html =
        render_console_with(&st, &u, Filter::default(), vec![], notice, Some(report)).await?;
    Ok(html.into_response())
}

#[derive(Deserialize)]
struct ExportQuery {
    format: String,
    /// `revoked` (default: exported as revoked / not for detection) or `omit`.
    #[serde(default)]
    cleared: Option<String>,
}

async fn console_export(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    let by = curator(&st, &u).await?;
    let fmt = Format::parse(&q.format).ok_or_else(|| AppError::bad_request("intel-err-format"))?;
    let opts = formats::ExportOptions {
        omit_cleared: match q.cleared.as_deref().unwrap_or("revoked") {
            "revoked" | "" => false,
            "omit" => true,
            _ => return Err(AppError::bad_request("intel-err-cleared")),
        },
    };
    let all = store::all(&st.db).await?;
    let items: Vec<Indicator> = formats::exported(&all, opts).into_iter().cloned().collect();
    crate::audit::record(
        &st.db.pool,
        &st.clock,
        &by.actor,
        crate::audit::Event {
            action: "intel.export",
            target_kind: "indicators",
            target_id: String::new(),
            unit_path: by.unit_path.clone(),
            detail: serde_json::json!({"format": fmt.id(), "entries": items.len(), "omit_cleared": opts.omit_cleared}),
        },
    )
    .await?;
    let body = formats::export(fmt, &items, st.clock.now_ms(), opts);
    Ok((
        [
            (header::CONTENT_TYPE, fmt.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", fmt.file_name()),
            ),
        ],
        body,
    )
        .into_response())
}

// ---- review queue ----

struct ReviewView {
    r: Review,
    claim: String,
    level: String,
    fraud_name: String,
    /// (indicator id, label) of the check's known indicators, to clear.
    indicators: Vec<(i64, String)>,
    /// The sender of a checked SMS.
    sender: Option<String>,
}

/// A feed's disagreement as people read it.
struct ConflictView {
    c: Conflict,
    kind: String,
    field: String,
    ours: String,
    theirs: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "intel/reviews.html")]
struct ReviewsPage {
    ctx: PageCtx,
    conflicts: Vec<ConflictView>,
    open: Vec<ReviewView>,
    types: Vec<(&'static str, String)>,
    examples: usize,
}

async fn reviews_page(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    curator(&st, &u).await?;
    let lang = u.ctx.lang;
    let mut open = Vec::new();
    let mut conn = st.db.pool.acquire().await?;
    for r in store::reviews(&st.db, true).await? {
        let a: Option<Answer> = serde_json::from_str(&r.check_result).ok();
        let mut indicators = Vec::new();
        for h in a.iter().flat_map(|a| a.indicators.iter()) {
            if let Ok(k) = IndicatorKey::parse(&h.kind, &h.value) {
                if let Some(i) = store::by_key(&mut conn, &k).await? {
                    indicators.push((
                        i.id,
                        format!(
                            "{} {} ({})",
                            lang.t(&format!("intel-kind-{}", i.kind)),
                            i.value,
                            lang.t(&format!("intel-status-{}", i.status.as_str()))
                        ),
                    ));
                }
            }
        }
        open.push(ReviewView {
            sender: a.as_ref().and_then(|a| a.sender.clone()),
            claim: lang.t(&format!("intel-claim-{}", r.claim)),
            level: r.check_level.clone(),
            fraud_name: crate::web::layout::fraud_type_name(lang, &r.check_fraud_type),
            indicators,
            r,
        });
    }
    drop(conn);
    let value_label = |field: &str, v: &str| match field {
        "status" => lang.t(&format!("intel-status-{v}")),
        _ => v
            .parse::<Tlp>()
            .map_or_else(|_| v.to_string(), |t| tlp_label(lang, t)),
    };
    let conflicts = store::open_conflicts(&st.db)
        .await?
        .into_iter()
        .map(|c| ConflictView {
            kind: lang.t(&format!("intel-kind-{}", c.kind)),
            field: lang.t(&format!("conflict-field-{}", c.field)),
            ours: value_label(&c.field, &c.ours),
            theirs: value_label(&c.field, &c.theirs),
            reason: if c.reason.is_empty() {
                String::new()
            } else {
                lang.t(&format!("conflict-reason-{}", c.reason))
            },
            c,
        })
        .collect();
    let examples = store::examples(&st.db).await?.len();
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        ReviewsPage {
            ctx,
            conflicts,
            open,
            types: FraudType::ALL
                .iter()
                .map(|t| (t.id(), crate::web::layout::fraud_type_name(lang, t.id())))
                .collect(),
            examples,
        }
        .render()?,
    ))
}

#[derive(Deserialize)]
struct ResolveForm {
    outcome: String,
    #[serde(default)]
    indicator: Option<i64>,
    #[serde(default)]
    label: Option<String>,
}

async fn review_resolve(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<ResolveForm>,
) -> AppResult<Response> {
    let by = curator(&st, &u).await?;
    let outcome = match f.outcome.as_str() {
        "clear" => Outcome::Clear(f.indicator.into_iter().collect()),
        "label" => Outcome::Label(
            f.label
                .as_deref()
                .unwrap_or("")
                .parse()
                .map_err(|_| AppError::bad_request("intel-err-label"))?,
        ),
        "dismiss" => Outcome::Dismiss,
        _ => return Err(AppError::bad_request("intel-err-outcome")),
    };
    let mut tx = st.db.begin_write().await?;
    service::resolve_review(&mut tx, &st.clock, &by, id, &outcome)
        .await
        .map_err(AppError::from)?;
    tx.commit().await?;
    st.intel.refresh(&st.db, &st.clock).await?;
    Ok(Redirect::to("/intel/reviews").into_response())
}

#[derive(Deserialize)]
struct ConflictForm {
    outcome: String,
}

async fn conflict_resolve(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<ConflictForm>,
) -> AppResult<Response> {
    let by = curator(&st, &u).await?;
    let outcome = match f.outcome.as_str() {
        "keep" => ConflictOutcome::Keep,
        "accept" => ConflictOutcome::Accept,
        _ => return Err(AppError::bad_request("intel-err-outcome")),
    };
    let mut tx = st.db.begin_write().await?;
    service::resolve_conflict(&mut tx, &st.clock, &by, id, outcome)
        .await
        .map_err(AppError::from)?;
    tx.commit().await?;
    st.intel.refresh(&st.db, &st.clock).await?;
    Ok(Redirect::to("/intel/reviews").into_response())
}

/// Labelled examples in the JSONL that `fanzha train --data` reads (`text`, `label`).
async fn examples_jsonl(State(st): State<AppState>, u: User) -> AppResult<Response> {
    curator(&st, &u).await?;
    let mut out = String::new();
    for (text, label) in store::examples(&st.db).await? {
        out.push_str(&serde_json::json!({"text": text, "label": label}).to_string());
        out.push('\n');
    }
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"labelled-examples.jsonl\"",
            ),
        ],
        out,
    )
        .into_response())
}
