//! Pages to record a case and to read and edit one.

#[allow(unused_imports)]
use super::*;

/// The case form; indicators as "kind:value" lines.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct CaseForm {
    pub unit: String,
    pub student_no: String,
    pub staff_no: String,
    pub victim_role: String,
    pub enroll_year: String,
    pub major: String,
    pub gender: String,
    pub fraud_type: String,
    pub channel: String,
    pub occurred_at: String,
    pub amount_lost: String,
    pub amount_recovered: String,
    pub status: String,
    pub narrative: String,
    pub indicators: String,
    pub person_role: String,
    pub lent_account: String,
}

impl CaseForm {
    fn input(&self) -> CaseInput {
        CaseInput {
            unit: self.unit.clone(),
            student_no: self.student_no.clone(),
            staff_no: self.staff_no.clone(),
            victim_role: self.victim_role.clone(),
            enroll_year: self.enroll_year.clone(),
            major: self.major.clone(),
            gender: self.gender.clone(),
            fraud_type: self.fraud_type.clone(),
            channel: self.channel.clone(),
            occurred_at: self.occurred_at.clone(),
            amount_lost: self.amount_lost.clone(),
            amount_recovered: self.amount_recovered.clone(),
            status: self.status.clone(),
            narrative: self.narrative.clone(),
            indicators: parse_indicator_list(&self.indicators),
            person_role: self.person_role.clone(),
            lent_account: self.lent_account.clone(),
        }
    }
    fn of(c: &Case, tz: chrono_tz::Tz) -> CaseForm {
        CaseForm {
            unit: c.unit_code.clone(),
            student_no: String::new(),
            staff_no: String::new(),
            victim_role: c.victim_role.clone(),
            enroll_year: c
                .victim_enroll_year
                .map(|y| y.to_string())
                .unwrap_or_default(),
            major: c.victim_major.clone().unwrap_or_default(),
            gender: c.victim_gender.clone().unwrap_or_default(),
            fraud_type: c.fraud_type.id().to_string(),
            channel: c.channel.clone(),
            occurred_at: fmt_local(c.occurred_at, tz).replace(' ', "T"),
            amount_lost: yuan(c.amount_lost_cents).replace(',', ""),
            amount_recovered: yuan(c.amount_recovered_cents).replace(',', ""),
            status: c.status.as_str().to_string(),
            narrative: c.narrative.clone(),
            indicators: c
                .indicators
                .iter()
                .map(|i| format!("{}:{}", i.kind, i.value))
                .collect::<Vec<_>>()
                .join("\n"),
            person_role: c.person_role.clone(),
            lent_account: c.lent_account.clone().unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "cases/form.html")]
pub(super) struct FormPage {
    ctx: PageCtx,
    action: String,
    title: String,
    f: CaseForm,
    errors: Vec<String>,
    /// The unit picker (schools, colleges and classes the caller records cases for).
    picker: String,
    fraud_types: Vec<(String, String)>,
    channels: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    roles: Vec<(String, String)>,
    genders: Vec<(String, String)>,
    case: Option<Case>,
    case_view: Option<CaseRow>,
    can_edit: bool,
    /// Money frozen by the stop-payment request of the report the case was opened from.
    frozen: Option<String>,
    /// The case's indicators as (kind in words, value).
    indicators: Vec<(String, String)>,
    /// The person's roles (victim, suspect of 帮信/两卡, both) and the kinds of account lent.
    person_roles: Vec<(String, String)>,
    lent_accounts: Vec<(String, String)>,
}

// The inputs of one action, each used once; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
pub(super) async fn form_page(
    st: &AppState,
    u: &User,
    action: String,
    title_key: &str,
    f: CaseForm,
    errors: Vec<String>,
    case: Option<Case>,
    can_edit: bool,
) -> AppResult<Html<String>> {
    let ctx = page_ctx(st, u).await;
    let picker = crate::org::picker::render(
        st,
        u,
        &ctx,
        crate::org::picker::Spec {
            id: "case-unit",
            name: "unit",
            label: &ctx.t("cases-unit"),
            action: Action::ManageCases,
            kinds: &[UnitKind::School, UnitKind::College, UnitKind::Class],
            multiple: false,
            required: true,
        },
        std::slice::from_ref(&f.unit),
    )
    .await?;
    let opts = |pairs: Vec<(String, String)>| pairs;
    let fraud_types = fanzha_detect::FraudType::ALL
        .into_iter()
        .filter(|t| t.is_fraud())
        .map(|t| (t.id().to_string(), ctx.fraud_type(t.id())))
        .collect();
    let channels = opts(
        Channel::ALL
            .iter()
            .map(|c| {
                (
                    c.as_str().to_string(),
                    ctx.t(&format!("cases-channel-{}", c.as_str())),
                )
            })
            .collect(),
    );
    let statuses = CaseStatus::ALL
        .iter()
        .map(|c| {
            (
                c.as_str().to_string(),
                ctx.t(&format!("cases-status-{}", c.as_str())),
            )
        })
        .collect();
    let roles = ["student", "staff", "other"]
        .iter()
        .map(|r| (r.to_string(), ctx.t(&format!("cases-role-{r}"))))
        .collect();
    let genders = ["unknown", "male", "female"]
        .iter()
        .map(|r| (r.to_string(), ctx.t(&format!("cases-gender-{r}"))))
        .collect();
    let title = ctx.t(title_key);
    let case_view = case.as_ref().map(|c| case_row(&ctx, c));
    let frozen = match case.as_ref().and_then(|c| c.report_id) {
        Some(r) => Some(crate::reports::store::frozen_of_report(&st.db, r).await?)
            .filter(|c| *c > 0)
            .map(yuan),
        None => None,
    };
    let indicators = case
        .as_ref()
        .map(|c| {
            c.indicators
                .iter()
                .map(|i| (ctx.t(&format!("intel-kind-{}", i.kind)), i.value.clone()))
                .collect()
        })
        .unwrap_or_default();
    Ok(Html(
        FormPage {
            action,
            title,
            f,
            errors,
            picker,
            fraud_types,
            channels,
            statuses,
            roles,
            genders,
            case,
            case_view,
            can_edit,
            frozen,
            indicators,
            person_roles: crate::mules::pages::role_choices(&ctx),
            lent_accounts: crate::mules::pages::account_choices(&ctx),
            ctx,
        }
        .render()?,
    ))
}

pub(super) fn rendered(e: &AppError, lang: crate::web::i18n::Lang) -> Vec<String> {
    if e.details.is_empty() {
        vec![e.msg.render(lang)]
    } else {
        e.details.iter().map(|d| d.render(lang)).collect()
    }
}

pub(super) async fn new_page(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    service::require_manage(&u.p)?;
    let f = CaseForm {
        status: "open".into(),
        victim_role: "student".into(),
        ..CaseForm::default()
    };
    form_page(
        &st,
        &u,
        "/cases/new".into(),
        "cases-new",
        f,
        vec![],
        None,
        true,
    )
    .await
}

pub(super) async fn new_submit(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<CaseForm>,
) -> AppResult<Response> {
    service::require_manage(&u.p)?;
    match service::create_case(&st.db, &st.clock, &u.p, &u.ctx.actor(), &f.input()).await {
        Ok(id) => Ok(Redirect::to(&format!("/cases/{id}")).into_response()),
        Err(e) => {
            let e = AppError::from(e);
            if e.status.is_server_error() {
                return Err(e);
            }
            let errors = rendered(&e, u.ctx.lang);
            let mut r = form_page(
                &st,
                &u,
                "/cases/new".into(),
                "cases-new",
                f,
                errors,
                None,
                true,
            )
            .await?
            .into_response();
            *r.status_mut() = e.status;
            Ok(r)
        }
    }
}

pub(super) async fn case_page(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<crate::kernel::ids::CaseId>,
) -> AppResult<Html<String>> {
    let c = service::case_visible_to(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        id,
        Action::ViewCases,
    )
    .await?;
    let can_edit = policy::allows(&u.p, Action::ManageCases, &Target::Unit(&c.unit_path));
    form_page(
        &st,
        &u,
        format!("/cases/{id}"),
        "cases-case",
        CaseForm::of(&c, u.p.time_zone),
        vec![],
        Some(c),
        can_edit,
    )
    .await
}

pub(super) async fn case_submit(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<crate::kernel::ids::CaseId>,
    Form(f): Form<CaseForm>,
) -> AppResult<Response> {
    service::require_manage(&u.p)?;
    let old = service::case_visible_to(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        id,
        Action::ManageCases,
    )
    .await?;
    match service::update_case(&st.db, &st.clock, &u.p, &u.ctx.actor(), &old, &f.input()).await {
        Ok(()) => Ok(Redirect::to(&format!("/cases/{id}")).into_response()),
        Err(e) => {
            let e = AppError::from(e);
            if e.status.is_server_error() {
                return Err(e);
            }
            let errors = rendered(&e, u.ctx.lang);
            let mut r = form_page(
                &st,
                &u,
                format!("/cases/{id}"),
                "cases-case",
                f,
                errors,
                Some(old),
                true,
            )
            .await?
            .into_response();
            *r.status_mut() = e.status;
            Ok(r)
        }
    }
}
