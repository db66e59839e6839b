//! The risk check a student or anyone signed in runs: the form, the stored result with its reasons, and the wrong-result claim.

use super::*;

pub(super) struct HitView {
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
pub(super) struct CheckPage {
    ctx: PageCtx,
    input: String,
    sender: String,
    error: Option<String>,
    result: Option<ResultView>,
    history: Vec<StoredCheck>,
    sent: bool,
}

pub(super) struct ResultView {
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
pub(super) struct CheckForm {
    q: String,
    #[serde(default)]
    sender: String,
}

#[derive(Deserialize, Default)]
pub(super) struct CheckQuery {
    sent: Option<String>,
}

pub(super) async fn render_check(
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

pub(super) async fn check_page(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    render_check(&st, &u, Default::default(), None, None, false).await
}

pub(super) fn sha256(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

pub(super) async fn check_submit(
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
pub(super) async fn visible_check(st: &AppState, u: &User, id: i64) -> AppResult<StoredCheck> {
    let c = store::check_by_id(&st.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if c.account_id != u.p.account_id && !is_curator(&u.p) {
        return Err(AppError::not_found());
    }
    Ok(c)
}

pub(super) async fn result_view(st: &AppState, u: &User, c: &StoredCheck) -> AppResult<ResultView> {
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
        model_version: if a.model_version == crate::intel::learn::BUILTIN {
            lang.t("model-builtin")
        } else {
            a.model_version.clone()
        },
    })
}

/// The name people use for a brand: "中国建设银行" is said "建设银行".
pub(super) fn short_brand(name: &str, lang: Lang) -> String {
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
pub(super) fn source_label(lang: Lang, s: &str, curator: bool) -> String {
    let (kind, id) = s.split_once(':').unwrap_or((s, ""));
    let label = lang.t(&format!("intel-source-{kind}"));
    if curator {
        format!("{label} #{id}")
    } else {
        label
    }
}

pub(super) async fn check_result(
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
pub(super) struct WrongForm {
    claim: String,
    #[serde(default)]
    comment: String,
}

pub(super) async fn check_wrong(
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
