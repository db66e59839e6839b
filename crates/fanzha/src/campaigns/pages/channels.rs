//! The channels page: DingTalk, WeCom and Feishu group robots, email relays and signed webhooks
//! of the caller's units — add one, test-send through it, see its recent failures, disable it.
//! Secrets are never shown back: addresses are masked and a signing secret shows only as "set".

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use crate::campaigns::channel_admin as admin;
use crate::campaigns::model::ChannelKind;
use crate::campaigns::service::{self as svc, ChannelSettings};
use crate::campaigns::store;
use crate::web::context::User;
use crate::web::error::{AppError, AppResult};
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns/channels", get(page).post(create))
        .route("/campaigns/channels/{id}/test", post(test))
        .route("/campaigns/channels/{id}/disable", post(disable))
}

/// One channel as the page shows it.
pub struct ChannelRow {
    pub c: store::Channel,
    pub kind_label: String,
    pub unit_name: String,
    pub failures: Vec<store::ChannelFailure>,
    pub is_email: bool,
}

#[derive(Deserialize, Default)]
pub struct ChannelForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    sender: String,
    #[serde(default)]
    rate_per_min: String,
}

#[derive(Template)]
#[template(path = "campaigns/channels.html")]
struct ChannelsPage {
    ctx: PageCtx,
    rows: Vec<ChannelRow>,
    units: Vec<(String, String)>,
    kinds: Vec<(&'static str, String)>,
    form: ChannelForm,
    error: Option<String>,
    /// The channel a message is about (test result, error) and the message.
    notice_for: Option<i64>,
    notice: Option<String>,
    notice_ok: bool,
}

impl ChannelsPage {
    fn notice_here(&self, id: &i64) -> bool {
        self.notice_for == Some(*id)
    }
}

#[derive(Deserialize)]
struct PageQuery {
    tested: Option<i64>,
}

fn settings(st: &AppState) -> ChannelSettings {
    ChannelSettings {
        timeout: std::time::Duration::from_millis(st.config.channel_timeout_ms),
        public_url: st.config.public_url.clone().unwrap_or_default(),
        ca_file: st.config.channel_ca_file.clone(),
    }
}

struct Notice {
    channel: i64,
    text: String,
    ok: bool,
}

async fn render(
    st: &AppState,
    u: &User,
    form: ChannelForm,
    error: Option<String>,
    notice: Option<Notice>,
) -> AppResult<Html<String>> {
    let ctx = page_ctx(st, u).await;
    let channels = admin::channels_managed(&st.db, &u.p).await?;
    let paths: Vec<String> = channels.iter().map(|c| c.unit_path.clone()).collect();
    let units_of = crate::org::store::units_by_paths(&st.db, &paths).await?;
    let mut rows = Vec::with_capacity(channels.len());
    for c in channels {
        rows.push(ChannelRow {
            kind_label: ctx.t(&format!("camp-chkind-{}", c.kind)),
            unit_name: units_of
                .iter()
                .find(|x| x.path == c.unit_path)
                .map(|x| x.name.clone())
                .unwrap_or_default(),
            failures: store::channel_failures(&st.db, c.id, 5).await?,
            is_email: c.kind == "email",
            c,
        });
    }
    let kinds = ChannelKind::ALL
        .iter()
        .map(|k| (k.as_str(), ctx.t(&format!("camp-chkind-{}", k.as_str()))))
        .collect();
    let (notice_for, notice, notice_ok) = match notice {
        Some(n) => (Some(n.channel), Some(n.text), n.ok),
        None => (None, None, false),
    };
    Ok(Html(
        ChannelsPage {
            rows,
            units: admin::channel_units(&st.db, &u.p).await?,
            kinds,
            form,
            error,
            notice_for,
            notice,
            notice_ok,
            ctx,
        }
        .render()?,
    ))
}

async fn page(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<PageQuery>,
) -> AppResult<Html<String>> {
    svc::require_manager(&u.p)?;
    // After a test send the page says how it went, next to that channel.
    let mut notice = None;
    if let Some(id) = q.tested {
        if let Ok(c) = admin::managed_channel(&st.db, &u.p, id).await {
            if c.tested_at.is_some() {
                let ok = c.test_error.is_none();
                let text = if ok {
                    u.ctx.lang.t("camp-ch-test-ok")
                } else {
                    u.ctx.lang.t("camp-ch-test-failed")
                };
                notice = Some(Notice {
                    channel: id,
                    text,
                    ok,
                });
            }
        }
    }
    render(
        &st,
        &u,
        ChannelForm {
            kind: "dingtalk".into(),
            ..Default::default()
        },
        None,
        notice,
    )
    .await
}

async fn create(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<ChannelForm>,
) -> AppResult<Response> {
    svc::require_manager(&u.p)?;
    let rate = match f.rate_per_min.trim() {
        "" => Ok(None),
        r => r
            .parse::<i64>()
            .map(Some)
            .map_err(|_| AppError::unprocessable("camp-err-rate")),
    };
    let result = match rate {
        Ok(rate_per_min) => {
            let n = svc::NewChannel {
                unit: f.unit.clone(),
                kind: f.kind.clone(),
                name: f.name.clone(),
                url: f.url.clone(),
                secret: Some(f.secret.clone()).filter(|s| !s.trim().is_empty()),
                sender: Some(f.sender.clone()).filter(|s| !s.trim().is_empty()),
                rate_per_min,
            };
            svc::create_channel(&st.db, &st.clock, &u.p, &u.ctx.actor(), &n)
                .await
                .map_err(AppError::from)
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(c) => Ok(Redirect::to(&format!("/campaigns/channels#ch-{}", c.id)).into_response()),
        Err(e) if e.is_invalid() => {
            let msg = e.msg.render(u.ctx.lang);
            // The secret is not echoed back into the form.
            let f = ChannelForm {
                secret: String::new(),
                ..f
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&st, &u, f, Some(msg), None).await?,
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
struct TestForm {
    #[serde(default)]
    to: String,
}

async fn test(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<TestForm>,
) -> AppResult<Response> {
    svc::require_manager(&u.p)?;
    let text = admin::TestText {
        title: u.ctx.lang.t("camp-ch-test-title"),
        body: u.ctx.lang.t("camp-ch-test-body"),
    };
    let to = Some(f.to.as_str()).filter(|s| !s.trim().is_empty());
    match admin::test_send(
        &st.db,
        &st.clock,
        &settings(&st),
        &u.p,
        &u.ctx.actor(),
        id,
        to,
        &text,
    )
    .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/campaigns/channels?tested={id}#ch-{id}")).into_response())
        }
        Err(svc::SvcError::Refused(r)) => {
            let msg = AppError::from(svc::SvcError::Refused(r))
                .msg
                .render(u.ctx.lang);
            let notice = Notice {
                channel: id,
                text: msg,
                ok: false,
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&st, &u, ChannelForm::default(), None, Some(notice)).await?,
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn disable(State(st): State<AppState>, u: User, Path(id): Path<i64>) -> AppResult<Response> {
    svc::require_manager(&u.p)?;
    match admin::disable(&st.db, &st.clock, &u.p, &u.ctx.actor(), id).await {
        Ok(_) => Ok(Redirect::to(&format!("/campaigns/channels#ch-{id}")).into_response()),
        Err(svc::SvcError::Refused(r)) => {
            let msg = AppError::from(svc::SvcError::Refused(r))
                .msg
                .render(u.ctx.lang);
            let notice = Notice {
                channel: id,
                text: msg,
                ok: false,
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&st, &u, ChannelForm::default(), None, Some(notice)).await?,
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}
