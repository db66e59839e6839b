//! A school's deadlines, appraisal weights and notice channels.

use super::*;

#[derive(Template)]
#[template(path = "warnings/settings.html")]
pub(super) struct SettingsPage {
    pub(super) ctx: PageCtx,
    pub(super) school: crate::org::model::Unit,
    pub(super) f: SettingsInput,
    pub(super) errors: Vec<String>,
    pub(super) saved: bool,
    /// The school's channels: (id, kind, name, chosen for warning notices).
    pub(super) channels: Vec<(i64, String, String, bool)>,
}

/// The school's channels for the settings form, `chosen` ticked.
pub(super) async fn channel_choices(
    st: &AppState,
    school: &crate::org::model::Unit,
    chosen: &[i64],
) -> AppResult<Vec<(i64, String, String, bool)>> {
    Ok(
        crate::campaigns::store::channels_under(&st.db, std::slice::from_ref(&school.path))
            .await?
            .into_iter()
            .filter(|c| c.enabled())
            .map(|c| (c.id, c.kind, c.name, chosen.contains(&c.id)))
            .collect(),
    )
}

#[derive(Deserialize)]
pub(super) struct SchoolQuery {
    pub(super) unit: Option<String>,
    pub(super) saved: Option<u8>,
}

pub(super) fn settings_form(s: &Settings) -> SettingsInput {
    let m = |ms: i64| (ms / 60_000).to_string();
    SettingsInput {
        high_ack_min: m(s.high.ack_ms),
        high_contact_min: m(s.high.contact_ms),
        medium_ack_min: m(s.medium.ack_ms),
        medium_contact_min: m(s.medium.contact_ms),
        low_ack_min: m(s.low.ack_ms),
        low_contact_min: m(s.low.contact_ms),
        weight_ack: s.weights.ack.to_string(),
        weight_contact: s.weights.contact.to_string(),
        weight_escalations: s.weights.escalations.to_string(),
        weight_victims: s.weights.victims.to_string(),
        weight_campaigns: s.weights.campaigns.to_string(),
        channels: None,
    }
}

pub(super) async fn settings_page(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<SchoolQuery>,
) -> AppResult<Html<String>> {
    let school = service::school_in_scope(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        Action::ConfigureWarnings,
        q.unit.as_deref(),
    )
    .await?;
    let school = crate::org::store::school_of(&st.db, &school)
        .await?
        .ok_or_else(AppError::not_found)?;
    let mut c = st.db.pool.acquire().await?;
    let s = store::settings_of(&mut c, school.id).await?;
    let chosen: Vec<i64> = crate::warnings::notify::channels_of_school(&mut c, school.id)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    drop(c);
    let channels = channel_choices(&st, &school, &chosen).await?;
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        SettingsPage {
            ctx,
            school,
            f: settings_form(&s),
            errors: vec![],
            saved: q.saved.is_some(),
            channels,
        }
        .render()?,
    ))
}

pub(super) struct SettingsForm {
    pub(super) school: String,
    pub(super) f: SettingsInput,
}

/// The settings form: single fields by name, every ticked `channel` checkbox.
pub(super) fn settings_form_of(pairs: Vec<(String, String)>) -> SettingsForm {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    SettingsForm {
        school: get("school"),
        f: SettingsInput {
            high_ack_min: get("high_ack_min"),
            high_contact_min: get("high_contact_min"),
            medium_ack_min: get("medium_ack_min"),
            medium_contact_min: get("medium_contact_min"),
            low_ack_min: get("low_ack_min"),
            low_contact_min: get("low_contact_min"),
            weight_ack: get("weight_ack"),
            weight_contact: get("weight_contact"),
            weight_escalations: get("weight_escalations"),
            weight_victims: get("weight_victims"),
            weight_campaigns: get("weight_campaigns"),
            // An unparsable id becomes -1, which no channel has: refused with the others.
            channels: Some(
                pairs
                    .iter()
                    .filter(|(n, _)| n == "channel")
                    .map(|(_, v)| v.trim().parse().unwrap_or(-1))
                    .collect(),
            ),
        },
    }
}

pub(super) async fn settings_submit(
    State(st): State<AppState>,
    u: User,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let f = settings_form_of(pairs);
    match service::save_settings(&st.db, &st.clock, &u.p, &u.ctx.actor(), &f.school, &f.f)
        .await
        .map_err(AppError::from)
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/warnings/settings?unit={}&saved=1",
            crate::web::context::urlencode(&f.school)
        ))
        .into_response()),
        Err(e) if e.status.as_u16() == 422 => {
            let school = crate::org::store::unit_by_code(&st.db, &f.school)
                .await?
                .ok_or_else(AppError::not_found)?;
            let mut errors = vec![e.msg.render(u.ctx.lang)];
            errors.extend(e.details.iter().map(|d| d.render(u.ctx.lang)));
            let chosen = f.f.channels.clone().unwrap_or_default();
            let channels = channel_choices(&st, &school, &chosen).await?;
            let ctx = page_ctx(&st, &u).await;
            let mut r = Html(
                SettingsPage {
                    ctx,
                    school,
                    f: f.f,
                    errors,
                    saved: false,
                    channels,
                }
                .render()?,
            )
            .into_response();
            *r.status_mut() = e.status;
            Ok(r)
        }
        Err(e) => Err(e),
    }
}
