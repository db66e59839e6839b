//! The CSV import page: all or nothing, every bad line listed.

#[allow(unused_imports)]
use super::*;

#[derive(Template)]
#[template(path = "cases/import.html")]
pub(super) struct ImportPage {
    ctx: PageCtx,
    summary: Option<String>,
    errors: Vec<String>,
}

pub(super) async fn import_page(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    service::require_manage(&u.p)?;
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        ImportPage {
            ctx,
            summary: None,
            errors: vec![],
        }
        .render()?,
    ))
}

pub(super) async fn import_submit(
    State(st): State<AppState>,
    u: User,
    mut mp: Multipart,
) -> AppResult<Response> {
    service::require_manage(&u.p)?;
    let mut bytes = Vec::new();
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|_| AppError::bad_request("cases-err-csv"))?
    {
        if field.name() == Some("file") {
            bytes = field
                .bytes()
                .await
                .map_err(|_| AppError::bad_request("cases-err-csv"))?
                .to_vec();
        }
    }
    let result = service::import_cases(&st.db, &st.clock, &u.p, &u.ctx.actor(), &bytes).await;
    let ctx = page_ctx(&st, &u).await;
    let (status, summary, errors) = match result {
        Ok(n) => (
            axum::http::StatusCode::OK,
            Some(ctx.ta1("cases-imported", "n", &n.to_string())),
            vec![],
        ),
        Err(e) => {
            let e = AppError::from(e);
            if e.status.is_server_error() {
                return Err(e);
            }
            (e.status, None, rendered(&e, ctx.lang))
        }
    };
    let mut r = Html(
        ImportPage {
            ctx,
            summary,
            errors,
        }
        .render()?,
    )
    .into_response();
    *r.status_mut() = status;
    Ok(r)
}
