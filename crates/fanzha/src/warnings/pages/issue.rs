//! The police console: one warning from a form, or a CSV batch.

use super::*;

#[derive(Template)]
#[template(path = "warnings/issue.html")]
pub(super) struct IssuePage {
    pub(super) ctx: PageCtx,
    pub(super) errors: Vec<String>,
    pub(super) done: Option<String>,
    pub(super) types: Vec<(&'static str, String)>,
    pub(super) form: IssueForm,
    /// The school, picked by name (optional: a phone number finds the student anywhere).
    pub(super) school_picker: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct IssueForm {
    #[serde(default)]
    pub(super) phone: String,
    #[serde(default)]
    pub(super) student_no: String,
    #[serde(default)]
    pub(super) school_code: String,
    #[serde(default)]
    pub(super) fraud_type: String,
    #[serde(default)]
    pub(super) severity: String,
    #[serde(default)]
    pub(super) detail: String,
    #[serde(default)]
    pub(super) source: String,
}

pub(super) fn types(ctx: &PageCtx) -> Vec<(&'static str, String)> {
    fanzha_detect::FraudType::ALL
        .iter()
        .filter(|t| t.is_fraud())
        .map(|t| (t.id(), ctx.fraud_type(t.id())))
        .collect()
}

pub(super) async fn render_issue(
    st: &AppState,
    u: &User,
    errors: Vec<String>,
    done: Option<String>,
    form: IssueForm,
) -> AppResult<Html<String>> {
    service::staff_issuer_of(&u.p)?;
    let ctx = page_ctx(st, u).await;
    let school_picker = crate::org::picker::render(
        st,
        u,
        &ctx,
        crate::org::picker::Spec {
            id: "issue-school",
            name: "school_code",
            label: &ctx.t("warn-school-code"),
            action: Action::IssueWarning,
            kinds: &[crate::org::model::UnitKind::School],
            multiple: false,
            required: false,
        },
        std::slice::from_ref(&form.school_code),
    )
    .await?;
    Ok(Html(
        IssuePage {
            school_picker,
            types: types(&ctx),
            ctx,
            errors,
            done,
            form,
        }
        .render()?,
    ))
}

#[derive(Deserialize)]
pub(super) struct DoneQuery {
    pub(super) created: Option<usize>,
}

pub(super) async fn issue_page(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<DoneQuery>,
) -> AppResult<Html<String>> {
    let done = q
        .created
        .map(|n| u.ctx.lang.ta("warn-batch-done", &[("n", n.to_string())]));
    render_issue(&st, &u, vec![], done, IssueForm::default()).await
}

pub(super) async fn issue_submit(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<IssueForm>,
) -> AppResult<Response> {
    service::staff_issuer_of(&u.p)?;
    let input = service::WarningInput {
        phone: Some(f.phone.clone()),
        student_no: Some(f.student_no.clone()),
        school_code: Some(f.school_code.clone()),
        fraud_type: f.fraud_type.clone(),
        severity: f.severity.clone(),
        detail: f.detail.clone(),
        source: f.source.clone(),
        reference: None,
    };
    let lang = u.ctx.lang;
    let refused = |details: Vec<String>| async {
        let mut r = render_issue(&st, &u, details, None, f.clone())
            .await?
            .into_response();
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        Ok::<Response, AppError>(r)
    };
    match service::issue(&st.db, &st.clock, &u.p, &u.ctx.actor(), &input, None).await {
        Ok((service::Issued::Warning(w), _)) => {
            Ok(Redirect::to(&format!("/warnings/{}", w.id)).into_response())
        }
        // Partners were refused above; they never reach the console.
        Ok((service::Issued::Receipt(_), _)) => Err(AppError::forbidden()),
        Err(service::WarnError::Refused(d)) => {
            refused(d.iter().map(|m| m.render(lang)).collect()).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn batch_submit(
    State(st): State<AppState>,
    u: User,
    mut mp: Multipart,
) -> AppResult<Response> {
    service::staff_issuer_of(&u.p)?;
    let mut data = Vec::new();
    while let Ok(Some(field)) = mp.next_field().await {
        if field.name() == Some("file") {
            data = field
                .bytes()
                .await
                .map_err(|_| AppError::bad_request("warn-err-csv-encoding"))?
                .to_vec();
        }
    }
    match service::issue_csv(&st.db, &st.clock, &u.p, &u.ctx.actor(), &data)
        .await
        .map_err(AppError::from)
    {
        Ok(out) => {
            Ok(Redirect::to(&format!("/warnings/issue?created={}", out.created)).into_response())
        }
        Err(e) if e.status.as_u16() == 422 => {
            let mut msgs = vec![e.msg.render(u.ctx.lang)];
            msgs.extend(e.details.iter().map(|d| d.render(u.ctx.lang)));
            let mut r = render_issue(&st, &u, msgs, None, IssueForm::default())
                .await?
                .into_response();
            *r.status_mut() = e.status;
            Ok(r)
        }
        Err(e) => Err(e),
    }
}
