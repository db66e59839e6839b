//! Printable documents: a briefing, the award list and a school's certificate.

#[allow(unused_imports)]
use super::*;

/// The head of a printed document: issuing unit, document number, title, addressees and date.
pub struct DocHead {
    pub issuer: String,
    pub number: String,
    pub title: String,
    pub addressees: Option<String>,
    pub date: String,
    pub draft: bool,
    /// Where the "back" link of the screen view goes.
    pub back: String,
}

/// A date as an official document writes it: "2026年12月6日", "6 December 2026".
pub fn doc_date(ctx: &PageCtx, d: chrono::NaiveDate) -> String {
    if ctx.lang_code() == "en" {
        d.format("%-d %B %Y").to_string()
    } else {
        format!("{}年{}月{}日", d.year(), d.month(), d.day())
    }
}

#[derive(Template)]
#[template(path = "cases/briefing_print.html")]
pub(super) struct BriefingPrint {
    ctx: PageCtx,
    doc: DocHead,
    b: Briefing,
    summary: String,
    cases: Vec<(TypicalCase, String, String, String, String)>,
    v: AnalysisView,
}

/// The briefing as the document the station sends: its issuing station, a number counting the
/// station's briefings of that year in month order, and the publication date.
pub(super) async fn briefing_print_page(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let (d, station) = service::briefing_detail(&st.db, &st.clock, &u.p, id).await?;
    let ctx = page_ctx(&st, &u).await;
    let year = d.briefing.month.get(..4).unwrap_or_default().to_string();
    let mut same_year: Vec<String> = store::briefings_of(&st.db, &[station.id])
        .await?
        .into_iter()
        .filter(|b| b.month.starts_with(&year))
        .map(|b| b.month)
        .collect();
    same_year.sort();
    let seq = same_year
        .iter()
        .position(|m| *m == d.briefing.month)
        .map_or(1, |i| i + 1);
    let zone = u.p.time_zone;
    let day = date_in(d.briefing.published_at.unwrap_or(st.clock.now_ms()), zone);
    let doc = DocHead {
        issuer: station.name.clone(),
        number: ctx.ta(
            "cases-doc-number-briefing",
            &[
                ("code", station.code.clone()),
                ("year", year.clone()),
                ("n", seq.to_string()),
            ],
        ),
        title: d.briefing.title.clone(),
        addressees: Some(ctx.t("cases-doc-to-schools")),
        date: doc_date(&ctx, day),
        draft: d.briefing.status != "published",
        back: format!("/cases/briefings/{id}"),
    };
    let cases: Vec<(TypicalCase, String, String, String, String)> = d
        .cases
        .into_iter()
        .map(|c| {
            let t = ctx.fraud_type(&c.fraud_type);
            let ch = bucket_label(&ctx, "channel", &c.channel);
            let when = date_in(c.occurred_at, zone).to_string();
            let lost = yuan(c.amount_lost_cents);
            (c, t, ch, when, lost)
        })
        .collect();
    let v = analysis_view(&ctx, d.analysis);
    let summary = ctx.ta(
        "cases-doc-briefing-summary",
        &[
            ("month", d.briefing.month.clone()),
            ("cases", v.a.cases.to_string()),
            ("lost", v.lost.clone()),
            ("typical", cases.len().to_string()),
        ],
    );
    Ok(Html(
        BriefingPrint {
            ctx,
            doc,
            b: d.briefing,
            summary,
            cases,
            v,
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "cases/awards_print.html")]
pub(super) struct AwardsPrint {
    ctx: PageCtx,
    doc: DocHead,
    text: String,
    awardees: Vec<service::Awardee>,
}

/// The published award list as the province's notice; 404 before it is published.
pub(super) async fn awards_print_page(
    State(st): State<AppState>,
    u: User,
    Path((code, year)): Path<(String, i32)>,
) -> AppResult<Html<String>> {
    let year = service::year_or(Some(year), 0)?;
    let province = service::province(&st.db, &u.p, Some(&code)).await?;
    let awardees = service::awardees(&st.db, &province, year).await?;
    let published = awardees
        .iter()
        .map(|a| a.published_at)
        .max()
        .ok_or_else(AppError::not_found)?;
    let ctx = page_ctx(&st, &u).await;
    let day = date_in(published, u.p.time_zone);
    let doc = DocHead {
        issuer: ctx.ta1("cases-doc-awards-issuer", "province", &province.name),
        number: ctx.ta(
            "cases-doc-number-awards",
            &[
                ("code", province.code.clone()),
                ("year", day.year().to_string()),
            ],
        ),
        title: ctx.ta1("cases-doc-awards-title", "year", &year.to_string()),
        addressees: Some(ctx.t("cases-doc-to-all")),
        date: doc_date(&ctx, day),
        draft: false,
        back: format!("/cases/awards/{}/{year}", province.code),
    };
    let text = ctx.ta(
        "cases-doc-awards-text",
        &[
            ("year", year.to_string()),
            ("n", awardees.len().to_string()),
        ],
    );
    Ok(Html(
        AwardsPrint {
            ctx,
            doc,
            text,
            awardees,
        }
        .render()?,
    ))
}
