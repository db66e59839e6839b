//! The police console of indicators: add, decide, merge, import and export.

use super::*;

#[derive(Template)]
#[template(path = "intel/console.html")]
pub(super) struct ConsolePage {
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
pub(super) struct ImportView {
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

pub(super) async fn render_console(
    st: &AppState,
    u: &User,
    f: Filter,
    errors: Vec<String>,
    notice: Option<String>,
) -> AppResult<Html<String>> {
    render_console_with(st, u, f, errors, notice, None).await
}

pub(super) async fn render_console_with(
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
            kinds: crate::intel::model::KINDS.iter().map(|k| k.id()).collect(),
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

pub(super) async fn console(
    State(st): State<AppState>,
    u: User,
    Query(f): Query<Filter>,
) -> AppResult<Html<String>> {
    curator(&st, &u).await?;
    render_console(&st, &u, f, vec![], None).await
}

#[derive(Deserialize)]
pub(super) struct NewForm {
    kind: String,
    value: String,
    status: String,
    #[serde(default)]
    fraud_type: String,
    tlp: String,
}

pub(super) async fn console_new(
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
pub(super) struct DecideForm {
    status: Option<String>,
    tlp: Option<String>,
}

pub(super) async fn console_decide(
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
pub(super) struct MergeForm {
    from: i64,
    into: i64,
}

pub(super) async fn console_merge(
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

pub(super) async fn console_import(
    State(st): State<AppState>,
    u: User,
    mp: Multipart,
) -> AppResult<Response> {
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
pub(super) struct ExportQuery {
    format: String,
    /// `revoked` (default: exported as revoked / not for detection) or `omit`.
    #[serde(default)]
    cleared: Option<String>,
}

pub(super) async fn console_export(
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
    Ok(crate::web::download::attachment(
        body,
        fmt.content_type(),
        fmt.file_name(),
    ))
}
