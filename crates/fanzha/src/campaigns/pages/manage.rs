//! Pages of the people who write and send: the content library (write, edit, review) and the
//! new-campaign form with its audience preview. Each form calls the same service as the API.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use crate::auth::policy::{self, Action};
use crate::campaigns::model::{AudienceSpec, ContentKind, ContentStatus, Question};
use crate::campaigns::service::{self as svc, SvcError};
use crate::campaigns::store;
use crate::error::{AppError, AppResult};
use crate::web::context::User;
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns/content", get(library).post(create_content))
        .route(
            "/campaigns/content/{id}",
            get(content_page).post(edit_content),
        )
        .route("/campaigns/content/{id}/{step}", post(step))
        .route("/campaigns/new", get(new_page).post(new_submit))
}

/// A fraud type for forms: id and localised name.
pub struct TypeOpt {
    pub id: &'static str,
    pub name: String,
    pub checked: bool,
}

fn type_opts(ctx: &PageCtx, checked: &[String]) -> Vec<TypeOpt> {
    fanzha_detect::FraudType::ALL
        .into_iter()
        .filter(|t| t.is_fraud())
        .map(|t| TypeOpt {
            id: t.id(),
            name: ctx.t(&format!("camp-type-{}", t.id())),
            checked: checked.iter().any(|c| c == t.id()),
        })
        .collect()
}

async fn manager_units(st: &AppState, u: &User) -> AppResult<Vec<(String, String)>> {
    let scopes = policy::scopes_for(&u.p, Action::ManageCampaigns);
    let mut v = Vec::new();
    for root in crate::org::store::units_by_paths(&st.db, &scopes).await? {
        for s in crate::org::store::subtree(&st.db, &root.path).await? {
            if matches!(
                s.kind.as_str(),
                "province" | "city" | "police_station" | "school" | "college"
            ) {
                v.push((s.code, s.name));
            }
        }
    }
    Ok(v)
}

fn error_text(e: &AppError, ctx: &PageCtx) -> String {
    e.msg.render(ctx.lang)
}

/// Form of a piece of content (create and edit).
#[derive(Deserialize, Default)]
pub struct ContentForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body_md: String,
    #[serde(default)]
    media_url: String,
    #[serde(default)]
    fraud_types: Vec<String>,
    #[serde(default)]
    target_hint: String,
    /// Up to three questions: text, choices one per line, number of the right choice (1-based).
    #[serde(default)]
    q: Vec<String>,
    #[serde(default)]
    choices: Vec<String>,
    #[serde(default)]
    answer: Vec<String>,
}

impl ContentForm {
    fn to_new(&self) -> Result<svc::NewContent, AppError> {
        let mut quiz = Vec::new();
        for (i, q) in self.q.iter().enumerate() {
            if q.trim().is_empty() {
                continue;
            }
            let choices: Vec<String> = self
                .choices
                .get(i)
                .map(|c| {
                    c.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default();
            let answer: usize = self
                .answer
                .get(i)
                .and_then(|a| a.trim().parse::<usize>().ok())
                .and_then(|a| a.checked_sub(1))
                .ok_or_else(|| AppError::unprocessable("camp-err-quiz"))?;
            quiz.push(Question {
                q: q.trim().to_string(),
                choices,
                answer,
            });
        }
        Ok(svc::NewContent {
            unit: self.unit.clone(),
            kind: self.kind.clone(),
            title: self.title.clone(),
            body_md: self.body_md.clone(),
            media_url: Some(self.media_url.clone()).filter(|m| !m.trim().is_empty()),
            fraud_types: self.fraud_types.clone(),
            target_hint: self.target_hint.clone(),
            quiz,
        })
    }

    fn from_content(c: &store::Content, unit_code: String) -> ContentForm {
        let mut f = ContentForm {
            unit: unit_code,
            kind: c.kind.clone(),
            title: c.title.clone(),
            body_md: c.body_md.clone(),
            media_url: c.media_url.clone().unwrap_or_default(),
            fraud_types: c.fraud_types.clone(),
            target_hint: c.target_hint.clone(),
            ..Default::default()
        };
        for q in &c.quiz {
            f.q.push(q.q.clone());
            f.choices.push(q.choices.join("\n"));
            f.answer.push((q.answer + 1).to_string());
        }
        f
    }

    /// Three question slots for the form.
    pub fn slots(&self) -> Vec<(String, String, String)> {
        (0..3)
            .map(|i| {
                (
                    self.q.get(i).cloned().unwrap_or_default(),
                    self.choices.get(i).cloned().unwrap_or_default(),
                    self.answer.get(i).cloned().unwrap_or_default(),
                )
            })
            .collect()
    }
}

#[derive(Template)]
#[template(path = "campaigns/library.html")]
struct LibraryPage {
    ctx: PageCtx,
    contents: Vec<store::Content>,
    units: Vec<(String, String)>,
    kinds: Vec<&'static str>,
    types: Vec<TypeOpt>,
    form: ContentForm,
    error: Option<String>,
}

async fn render_library(
    st: &AppState,
    u: &User,
    form: ContentForm,
    error: Option<String>,
) -> AppResult<Html<String>> {
    let contents = svc::list_contents(&st.db, &u.p).await?;
    let ctx = page_ctx(st, u).await;
    let types = type_opts(&ctx, &form.fraud_types);
    Ok(Html(
        LibraryPage {
            units: manager_units(st, u).await?,
            kinds: ContentKind::ALL.iter().map(|k| k.as_str()).collect(),
            types,
            contents,
            form,
            error,
            ctx,
        }
        .render()?,
    ))
}

async fn library(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    svc::require_manager(&u.p)?;
    render_library(
        &st,
        &u,
        ContentForm {
            kind: "article".into(),
            ..Default::default()
        },
        None,
    )
    .await
}

async fn create_content(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<ContentForm>,
) -> AppResult<Response> {
    svc::require_manager(&u.p)?;
    let result = match f.to_new() {
        Ok(n) => svc::create_content(&st.db, &st.clock, &u.p, &u.ctx.actor(), &n)
            .await
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(c) => Ok(Redirect::to(&format!("/campaigns/content/{}", c.id)).into_response()),
        Err(e) if e.is_invalid() => {
            let ctx_lang = page_ctx(&st, &u).await;
            let msg = error_text(&e, &ctx_lang);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render_library(&st, &u, f, Some(msg)).await?,
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "campaigns/content.html")]
struct ContentPage {
    ctx: PageCtx,
    c: store::Content,
    status_label: String,
    can_publish: bool,
    units: Vec<(String, String)>,
    kinds: Vec<&'static str>,
    types: Vec<TypeOpt>,
    form: ContentForm,
    error: Option<String>,
}

async fn render_content(
    st: &AppState,
    u: &User,
    id: i64,
    form: Option<ContentForm>,
    error: Option<String>,
) -> AppResult<Html<String>> {
    let c = svc::content_visible_to(&st.db, &u.p, id).await?;
    let code = crate::org::store::units_by_paths(&st.db, std::slice::from_ref(&c.unit_path))
        .await?
        .into_iter()
        .next()
        .map(|u| u.code)
        .unwrap_or_default();
    let form = form.unwrap_or_else(|| ContentForm::from_content(&c, code));
    let ctx = page_ctx(st, u).await;
    Ok(Html(
        ContentPage {
            status_label: ctx.t(&format!("camp-cstatus-{}", c.status)),
            can_publish: c.status == ContentStatus::Review && c.editor_account_id != u.p.account_id,
            units: manager_units(st, u).await?,
            kinds: ContentKind::ALL.iter().map(|k| k.as_str()).collect(),
            types: type_opts(&ctx, &form.fraud_types),
            form,
            error,
            c,
            ctx,
        }
        .render()?,
    ))
}

async fn content_page(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    svc::require_manager(&u.p)?;
    render_content(&st, &u, id, None, None).await
}

async fn edit_content(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<ContentForm>,
) -> AppResult<Response> {
    svc::require_manager(&u.p)?;
    let result = match f.to_new() {
        Ok(n) => svc::update_content(&st.db, &st.clock, &u.p, &u.ctx.actor(), id, &n)
            .await
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/campaigns/content/{id}")).into_response()),
        Err(e) if e.is_invalid() => {
            let ctx = page_ctx(&st, &u).await;
            let msg = error_text(&e, &ctx);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render_content(&st, &u, id, Some(f), Some(msg)).await?,
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}

async fn step(
    State(st): State<AppState>,
    u: User,
    Path((id, step)): Path<(i64, String)>,
) -> AppResult<Response> {
    svc::require_manager(&u.p)?;
    match svc::transition(&st.db, &st.clock, &u.p, &u.ctx.actor(), id, &step).await {
        Ok(_) => Ok(Redirect::to(&format!("/campaigns/content/{id}")).into_response()),
        Err(SvcError::Refused(r)) => {
            let e = AppError::from(SvcError::Refused(r));
            let ctx = page_ctx(&st, &u).await;
            let msg = error_text(&e, &ctx);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render_content(&st, &u, id, None, Some(msg)).await?,
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The new-campaign form.
#[derive(Deserialize, Default)]
pub struct CampaignForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    content_id: String,
    #[serde(default)]
    fraud_type: String,
    /// Unit codes picked from the unit picker (one value per unit; a comma-separated list of
    /// codes is still read).
    #[serde(default)]
    units: Vec<String>,
    /// Enrollment years, comma-separated.
    #[serde(default)]
    years: String,
    #[serde(default)]
    genders: Vec<String>,
    /// Majors, comma-separated.
    #[serde(default)]
    majors: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    top_percent: String,
    #[serde(default)]
    weak_on: Vec<String>,
    #[serde(default)]
    channels: Vec<String>,
    /// `YYYY-MM-DDTHH:MM` in the viewer's time zone; empty sends now.
    #[serde(default)]
    run_at: String,
    #[serde(default)]
    action: String,
}

fn split_list(s: &str) -> Vec<String> {
    s.split([',', ',', ' ', '\n'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(String::from)
        .collect()
}

impl CampaignForm {
    fn spec(&self) -> Result<AudienceSpec, AppError> {
        let years = split_list(&self.years)
            .iter()
            .map(|y| y.parse::<i64>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| AppError::unprocessable("camp-err-year"))?;
        let top = match self.top_percent.trim() {
            "" => None,
            t => Some(
                t.parse::<f64>()
                    .map_err(|_| AppError::unprocessable("camp-err-percent"))?,
            ),
        };
        Ok(AudienceSpec {
            units: split_list(&self.units.join(",")),
            enrollment_years: years,
            genders: self.genders.clone(),
            majors: split_list(&self.majors),
            roles: self.roles.clone(),
            top_exposed_percent: top,
            weak_on: self.weak_on.clone(),
        })
    }

    fn run_at(&self, tz: chrono_tz::Tz) -> Result<Option<i64>, AppError> {
        let s = self.run_at.trim();
        if s.is_empty() {
            return Ok(None);
        }
        crate::kernel::time::parse_local(s, tz)
            .map(Some)
            .ok_or_else(|| AppError::unprocessable("camp-err-run-at"))
    }
}

#[derive(Template)]
#[template(path = "campaigns/new.html")]
struct NewPage {
    ctx: PageCtx,
    units: Vec<(String, String)>,
    contents: Vec<store::Content>,
    channels: Vec<store::Channel>,
    types: Vec<TypeOpt>,
    form: CampaignForm,
    preview: Option<svc::Preview>,
    error: Option<String>,
    /// The audience's unit picker (several units, by name).
    picker: String,
}

impl NewPage {
    fn has(&self, list: &[String], v: &str) -> bool {
        list.iter().any(|x| x == v)
    }
    /// Fraud types in words.
    fn types_text(&self, types: &[String]) -> String {
        types
            .iter()
            .map(|t| self.ctx.fraud_type(t))
            .collect::<Vec<_>>()
            .join(", ")
    }
    fn channel_checked(&self, id: &i64) -> bool {
        self.form.channels.iter().any(|c| c == &id.to_string())
    }
}

async fn render_new(
    st: &AppState,
    u: &User,
    form: CampaignForm,
    preview: Option<svc::Preview>,
    error: Option<String>,
) -> AppResult<Html<String>> {
    let contents = svc::list_contents(&st.db, &u.p)
        .await?
        .into_iter()
        .filter(|c| c.status == ContentStatus::Published)
        .collect();
    let ctx = page_ctx(st, u).await;
    let types = type_opts(&ctx, std::slice::from_ref(&form.fraud_type));
    use crate::org::model::UnitKind as K;
    let picked = split_list(&form.units.join(","));
    let picker = crate::org::picker::render(
        st,
        u,
        &ctx,
        crate::org::picker::Spec {
            id: "audience-units",
            name: "units",
            label: &ctx.t("camp-aud-units"),
            action: Action::ManageCampaigns,
            kinds: &[K::Province, K::City, K::School, K::College, K::Class],
            multiple: true,
            required: false,
        },
        &picked,
    )
    .await?;
    Ok(Html(
        NewPage {
            picker,
            units: manager_units(st, u).await?,
            contents,
            channels: svc::list_channels(&st.db, &u.p)
                .await?
                .into_iter()
                .filter(store::Channel::enabled)
                .collect(),
            types,
            form,
            preview,
            error,
            ctx,
        }
        .render()?,
    ))
}

async fn new_page(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    svc::require_manager(&u.p)?;
    render_new(&st, &u, CampaignForm::default(), None, None).await
}

async fn new_submit(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<CampaignForm>,
) -> AppResult<Response> {
    svc::require_manager(&u.p)?;
    let tz: chrono_tz::Tz = u.p.time_zone;
    let outcome: Result<Result<svc::Preview, i64>, AppError> = async {
        let spec = f.spec()?;
        if f.action == "preview" {
            let unit = svc::unit_in_scope(&st.db, &u.p, Action::ManageCampaigns, &f.unit).await?;
            let ft = crate::campaigns::model::fraud_type(&f.fraud_type).map_err(SvcError::from)?;
            return Ok(Ok(
                svc::preview(&st.db, &st.clock, &unit, &spec, ft.id()).await?
            ));
        }
        let channels = f
            .channels
            .iter()
            .map(|c| c.parse::<i64>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| AppError::unprocessable("camp-err-channel").arg("value", ""))?;
        let c = svc::create_campaign(
            &st.db,
            &st.clock,
            &u.p,
            &u.ctx.actor(),
            &svc::NewCampaign {
                unit: f.unit.clone(),
                title: f.title.clone(),
                content_id: f
                    .content_id
                    .trim()
                    .parse()
                    .map_err(|_| AppError::unprocessable("camp-err-content"))?,
                fraud_type: f.fraud_type.clone(),
                audience: spec,
                channels,
                run_at: f.run_at(tz)?,
            },
        )
        .await?;
        Ok(Err(c.id))
    }
    .await;
    match outcome {
        Ok(Err(id)) => Ok(Redirect::to(&format!("/campaigns/{id}")).into_response()),
        Ok(Ok(p)) => Ok(render_new(&st, &u, f, Some(p), None).await?.into_response()),
        Err(e) if e.is_invalid() => {
            let ctx = page_ctx(&st, &u).await;
            let msg = error_text(&e, &ctx);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render_new(&st, &u, f, None, Some(msg)).await?,
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}
