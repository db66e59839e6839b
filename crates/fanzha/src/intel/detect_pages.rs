//! Console pages of the detection state: the brand registry (`/intel/brands`: list by sector,
//! search, add, edit, disable, file import and export) and the classifier models
//! (`/intel/models`: candidates with their figures against the model in use, promote, reject,
//! roll back). Curators only (`Action::CurateIntel`).

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::brands::{self, BrandInput, BrandsError};
use super::detect_store::{self as ds, BrandRow, ModelRow};
use super::learn::{self, Figures, LearnError, Score};
use super::pages::curator;
use crate::web::context::User;
use crate::web::error::{AppError, AppResult};
use crate::web::i18n::Lang;
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/intel/brands", get(brands_page).post(brand_new))
        .route("/intel/brands/import", post(brands_import))
        .route("/intel/brands/export", get(brands_export))
        .route("/intel/brands/{id}", post(brand_edit))
        .route("/intel/models", get(models_page))
        .route("/intel/models/rollback", post(model_rollback))
        .route("/intel/models/{id}/promote", post(model_promote))
        .route("/intel/models/{id}/reject", post(model_reject))
}

// ---- brand registry ----

struct SectorView {
    name: String,
    brands: Vec<BrandRow>,
}

#[derive(Template)]
#[template(path = "intel/brands.html")]
struct BrandsPage {
    ctx: PageCtx,
    q: String,
    sector: String,
    sectors: Vec<(&'static str, String)>,
    groups: Vec<SectorView>,
    total: usize,
    errors: Vec<String>,
    notice: Option<String>,
    /// What was typed in a refused form or import, kept.
    draft: BrandDraft,
    import_text: String,
}

#[derive(Deserialize, Default, Clone)]
struct BrandDraft {
    #[serde(default)]
    key: String,
    #[serde(default)]
    name_zh: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    sector: String,
    #[serde(default)]
    aliases: String,
    #[serde(default)]
    domains: String,
    #[serde(default)]
    numbers: String,
    /// "1" keeps the brand in use; absent (an unchecked box) disables it.
    #[serde(default)]
    enabled: Option<String>,
}

impl BrandDraft {
    fn input(&self) -> BrandInput {
        BrandInput {
            key: self.key.trim().to_string(),
            name_zh: self.name_zh.clone(),
            name_en: self.name_en.clone(),
            sector: self.sector.clone(),
            aliases: brands::split_list(&self.aliases),
            domains: brands::split_list(&self.domains),
            numbers: brands::split_list(&self.numbers),
            enabled: self.enabled.is_some(),
        }
    }
}

#[derive(Deserialize, Default)]
struct BrandsQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    sector: String,
    #[serde(default)]
    done: Option<String>,
}

fn sector_name(lang: Lang, s: &str) -> String {
    lang.t(&format!("brand-sector-{s}"))
}

fn matches(b: &BrandRow, q: &str) -> bool {
    let q = q.trim().to_lowercase();
    if q.is_empty() {
        return true;
    }
    let hit = |s: &str| s.to_lowercase().contains(&q);
    hit(&b.name_zh)
        || hit(&b.name_en)
        || hit(&b.key)
        || b.aliases.iter().any(|a| hit(a))
        || b.domains.iter().any(|a| hit(a))
        || b.numbers.iter().any(|a| hit(a))
}

fn brands_err(lang: Lang, e: BrandsError) -> Result<String, AppError> {
    match e {
        BrandsError::Invalid { line: 0, message } => {
            Ok(lang.ta("brand-err-invalid", &[("reason", message)]))
        }
        BrandsError::Invalid { line, message } => Ok(lang.ta(
            "brand-err-line",
            &[("line", line.to_string()), ("reason", message)],
        )),
        BrandsError::KeyTaken => Ok(lang.t("brand-err-key-taken")),
        BrandsError::NotFound => Err(AppError::not_found()),
        BrandsError::Db(e) => Err(e.into()),
    }
}

async fn render_brands(
    st: &AppState,
    u: &User,
    q: BrandsQuery,
    errors: Vec<String>,
    draft: BrandDraft,
    import_text: String,
) -> AppResult<Html<String>> {
    let lang = u.ctx.lang;
    let mut conn = st.db.pool.acquire().await?;
    let rows = ds::brands(&mut conn).await?;
    drop(conn);
    let total = rows.len();
    let sectors: Vec<(&'static str, String)> = fanzha_detect::brands::SECTORS
        .iter()
        .map(|s| (*s, sector_name(lang, s)))
        .collect();
    let mut groups = Vec::new();
    for (s, name) in &sectors {
        if !q.sector.is_empty() && q.sector != *s {
            continue;
        }
        let brands: Vec<BrandRow> = rows
            .iter()
            .filter(|b| b.sector == *s && matches(b, &q.q))
            .cloned()
            .collect();
        if !brands.is_empty() {
            groups.push(SectorView {
                name: name.clone(),
                brands,
            });
        }
    }
    let notice = q.done.as_deref().map(|d| match d {
        "import" => lang.t("brand-imported"),
        _ => lang.t("brand-saved"),
    });
    let ctx = page_ctx(st, u).await;
    Ok(Html(
        BrandsPage {
            ctx,
            q: q.q,
            sector: q.sector,
            sectors,
            groups,
            total,
            errors,
            notice,
            draft,
            import_text,
        }
        .render()?,
    ))
}

async fn brands_page(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<BrandsQuery>,
) -> AppResult<Html<String>> {
    curator(&st, &u).await?;
    render_brands(&st, &u, q, vec![], BrandDraft::default(), String::new()).await
}

async fn save_brand(
    st: &AppState,
    u: &User,
    id: Option<i64>,
    f: BrandDraft,
) -> AppResult<Response> {
    let by = curator(st, u).await?;
    match brands::save(&st.db, &st.clock, &by, id, &f.input()).await {
        Ok(_) => {
            st.intel.refresh_detect(&st.db).await?;
            Ok(Redirect::to("/intel/brands?done=saved").into_response())
        }
        Err(e) => {
            let msg = brands_err(u.ctx.lang, e)?;
            let html = render_brands(
                st,
                u,
                BrandsQuery::default(),
                vec![msg],
                if id.is_none() {
                    f
                } else {
                    BrandDraft::default()
                },
                String::new(),
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
    }
}

async fn brand_new(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<BrandDraft>,
) -> AppResult<Response> {
    save_brand(&st, &u, None, f).await
}

async fn brand_edit(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<BrandDraft>,
) -> AppResult<Response> {
    save_brand(&st, &u, Some(id), f).await
}

/// Reads the import: an uploaded file, or text pasted in the box.
async fn import_text(mut mp: Multipart) -> AppResult<String> {
    let (mut file, mut pasted) = (String::new(), String::new());
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|_| AppError::bad_request("brand-err-upload"))?
    {
        let name = field.name().unwrap_or("").to_string();
        let bytes = field
            .bytes()
            .await
            .map_err(|_| AppError::bad_request("brand-err-upload"))?;
        let text = String::from_utf8(bytes.to_vec())
            .map_err(|_| AppError::bad_request("brand-err-utf8"))?;
        match name.as_str() {
            "file" => file = text,
            "text" => pasted = text,
            _ => {}
        }
    }
    Ok(if file.trim().is_empty() { pasted } else { file })
}

async fn brands_import(State(st): State<AppState>, u: User, mp: Multipart) -> AppResult<Response> {
    let by = curator(&st, &u).await?;
    let text = import_text(mp).await?;
    if text.trim().is_empty() {
        return Err(AppError::bad_request("brand-err-empty-file"));
    }
    match brands::import(&st.db, &st.clock, &by, &text).await {
        Ok(_) => {
            st.intel.refresh_detect(&st.db).await?;
            Ok(Redirect::to("/intel/brands?done=import").into_response())
        }
        Err(e) => {
            let msg = brands_err(u.ctx.lang, e)?;
            let html = render_brands(
                &st,
                &u,
                BrandsQuery::default(),
                vec![msg],
                BrandDraft::default(),
                text,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
    }
}

async fn brands_export(State(st): State<AppState>, u: User) -> AppResult<Response> {
    curator(&st, &u).await?;
    let text = brands::export(&st.db).await.map_err(|e| match e {
        BrandsError::Db(e) => e.into(),
        _ => AppError::internal(),
    })?;
    Ok(crate::web::download::attachment(
        text,
        "application/toml; charset=utf-8",
        "brands.toml",
    ))
}

// ---- models ----

/// One model as people read it.
struct ModelView {
    m: ModelRow,
    status: String,
    f: Figures,
    /// Why it cannot be promoted (None: it can).
    blocked: Option<String>,
}

#[derive(Template)]
#[template(path = "intel/models.html")]
struct ModelsPage {
    ctx: PageCtx,
    in_use: String,
    active: Option<ModelRow>,
    candidates: Vec<ModelView>,
    history: Vec<ModelView>,
    examples: usize,
    notice: Option<String>,
}

impl ModelsPage {
    fn pct(&self, s: &Score) -> String {
        format!("{:.1}%", s.macro_f1 * 100.0)
    }
    fn recall(&self, s: &Score) -> String {
        format!("{:.1}%", s.fraud_recall * 100.0)
    }
    fn fpr(&self, s: &Score) -> String {
        format!("{:.1}%", s.false_positive_rate * 100.0)
    }
}

fn version_label(lang: Lang, v: &str) -> String {
    if v == learn::BUILTIN {
        lang.t("model-builtin")
    } else {
        v.to_string()
    }
}

#[derive(Deserialize, Default)]
struct ModelsQuery {
    #[serde(default)]
    done: Option<String>,
}

async fn models_page(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<ModelsQuery>,
) -> AppResult<Html<String>> {
    curator(&st, &u).await?;
    let lang = u.ctx.lang;
    let mut conn = st.db.pool.acquire().await?;
    let active = ds::active_model(&mut conn).await?;
    drop(conn);
    let in_use_version = active
        .as_ref()
        .map_or_else(|| learn::BUILTIN.to_string(), |m| m.version.clone());
    let (mut candidates, mut history) = (Vec::new(), Vec::new());
    for m in ds::models(&st.db, 50).await? {
        let f = learn::figures_of(&m);
        let blocked = if m.status != "candidate" {
            None
        } else if m.base_version != in_use_version {
            Some(lang.t("model-blocked-stale"))
        } else {
            f.regression()
                .map(|set| lang.t(&format!("model-blocked-{set}")))
        };
        let v = ModelView {
            status: lang.t(&format!("model-status-{}", m.status)),
            f,
            blocked,
            m,
        };
        if v.m.status == "candidate" {
            candidates.push(v);
        } else {
            history.push(v);
        }
    }
    let examples = ds::confirmed_examples(&st.db).await?.len();
    let notice = q
        .done
        .as_deref()
        .map(|d| lang.t(&format!("model-done-{d}")));
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        ModelsPage {
            ctx,
            in_use: version_label(lang, &in_use_version),
            active,
            candidates,
            history,
            examples,
            notice,
        }
        .render()?,
    ))
}

fn learn_err(e: LearnError) -> AppError {
    match e {
        LearnError::NotFound => AppError::not_found(),
        LearnError::NotCandidate => AppError::conflict("model-err-not-candidate"),
        LearnError::Stale => AppError::conflict("model-blocked-stale"),
        LearnError::Regresses(set) => AppError::conflict(&format!("model-blocked-{set}")),
        LearnError::NothingToRollBack => AppError::conflict("model-err-nothing"),
        LearnError::Db(e) => e.into(),
        LearnError::Data(_) | LearnError::Empty | LearnError::NoEval => AppError::internal(),
    }
}

async fn model_promote(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let by = curator(&st, &u).await?;
    learn::promote(&st.db, &st.clock, &by, id)
        .await
        .map_err(learn_err)?;
    st.intel.refresh_detect(&st.db).await?;
    Ok(Redirect::to("/intel/models?done=promote").into_response())
}

async fn model_reject(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let by = curator(&st, &u).await?;
    learn::reject(&st.db, &st.clock, &by, id)
        .await
        .map_err(learn_err)?;
    Ok(Redirect::to("/intel/models?done=reject").into_response())
}

async fn model_rollback(State(st): State<AppState>, u: User) -> AppResult<Response> {
    let by = curator(&st, &u).await?;
    learn::rollback(&st.db, &st.clock, &by)
        .await
        .map_err(learn_err)?;
    st.intel.refresh_detect(&st.db).await?;
    Ok(Redirect::to("/intel/models?done=rollback").into_response())
}
