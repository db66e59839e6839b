//! Use cases of the mules module: receiving a partner's signal, the facts of a mule-risk warning,
//! the police's list of signals about nobody on a roster, figures (signals and their outcomes,
//! suspects per school, per kind of account lent, year on year), the province's award rule and the
//! starter content on 两卡 and the law that every school may adopt.

use crate::kernel::ids::{UnitId, WarningId};
use std::collections::BTreeMap;

use fanzha_detect::FraudType;
use sqlx::AnyConnection;

use super::model::*;
use super::starter::StarterItem;
use super::store;
use crate::audit::Actor;
use crate::auth::model::{Principal, Role};
use crate::auth::policy::{self, Action, Target};
use crate::clock::{Clock, Millis};
use crate::db::{Db, DbError};
use crate::error::{AppError, Msg};
use crate::org::model::{Unit, UnitKind};
use crate::warnings::model::{Receipt, Status, WarnKind, Warning};
use crate::warnings::receipts::{self, ExtraWrite};
use crate::warnings::service::{Issuer, WarnError, WarningInput};

#[derive(Debug, thiserror::Error)]
pub enum MuleError {
    #[error("refused")]
    Refused(Vec<Msg>),
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error(transparent)]
    Warn(#[from] WarnError),
    #[error(transparent)]
    Db(#[from] DbError),
    /// A refusal of campaigns (the starter article), passed on as it is.
    #[error(transparent)]
    Campaigns(#[from] crate::campaigns::service::SvcError),
    /// A refusal of learning (the starter lesson), passed on as it is.
    #[error("refused by learning")]
    Learning(crate::learning::LearningError),
}

impl From<sqlx::Error> for MuleError {
    fn from(e: sqlx::Error) -> Self {
        MuleError::Db(e.into())
    }
}

impl From<MuleError> for AppError {
    fn from(e: MuleError) -> Self {
        match e {
            MuleError::Refused(d) => AppError::unprocessable("mule-err-refused").details(d),
            MuleError::NotFound => AppError::not_found(),
            MuleError::Forbidden => AppError::forbidden(),
            MuleError::Warn(e) => e.into(),
            MuleError::Db(e) => e.into(),
            MuleError::Campaigns(e) => e.into(),
            MuleError::Learning(e) => e.into(),
        }
    }
}

/// The fraud type a mule-risk warning (and a suspect case of the demo) carries: money-mule
/// recruitment (帮信/两卡). So the exposure score and targeting by this type count open mule-risk
/// warnings (W) and lure checks a student ran (R) like those of any type.
pub fn fraud_type() -> FraudType {
    FraudType::MuleRecruitment
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Checks a signal; every problem is reported. The person is given as the warnings module takes
/// it (school + student number, or the phone on the roster), so its checks apply too.
pub fn parse_signal(
    i: &SignalInput,
    issuer_name: &str,
) -> Result<(Signal, WarningInput), Vec<Msg>> {
    let mut errs = Vec::new();
    let reference = i.reference.trim();
    if reference.is_empty() || reference.chars().count() > 100 {
        errs.push(Msg::new("mule-err-reference"));
    }
    let kind = AccountKind::parse(&i.account_kind);
    if kind.is_none() {
        errs.push(Msg::new("mule-err-account").arg("value", i.account_kind.trim()));
    }
    let pattern = Pattern::parse(&i.pattern);
    if pattern.is_none() {
        errs.push(Msg::new("mule-err-pattern").arg("value", i.pattern.trim()));
    }
    let student_no = nonempty(&i.student_no);
    let school_code = nonempty(&i.school_code);
    if student_no.is_some() && school_code.is_none() {
        errs.push(Msg::new("mule-err-school-needed"));
    }
    let wi = WarningInput {
        reference: Some(reference.to_string()),
        phone: nonempty(&i.phone),
        student_no,
        school_code,
        fraud_type: fraud_type().id().to_string(),
        severity: pattern
            .map_or(Pattern::Other, |p| p)
            .severity()
            .as_str()
            .to_string(),
        detail: i.detail.clone(),
        source: issuer_name.to_string(),
    };
    // The warnings module's own checks (who, phone, student number, detail, reference).
    if let Err(more) = crate::warnings::service::parse_input(&wi) {
        errs.extend(more);
    }
    match (kind, pattern) {
        (Some(account_kind), Some(pattern)) if errs.is_empty() => Ok((
            Signal {
                reference: reference.to_string(),
                account_kind,
                pattern,
            },
            wi,
        )),
        _ => Err(errs),
    }
}

/// Receives a partner's signal: checked, written as an unidentified warning of kind mule risk with
/// its facts and the partner's receipt in one transaction; the intake job matches and routes it.
/// The partner's reference is the idempotency key: the same signal sent twice (even at once) is
/// one warning and one receipt. Returns the receipt and whether it was created now.
pub async fn receive_signal(
    db: &Db,
    clock: &Clock,
    issuer: &Issuer,
    input: &SignalInput,
) -> Result<(Receipt, bool), MuleError> {
    let Some(account) = issuer.account_id.filter(|_| issuer.kind == "partner") else {
        return Err(MuleError::Forbidden);
    };
    let (signal, wi) = parse_signal(input, &issuer.name).map_err(MuleError::Refused)?;
    let now = clock.now_ms();
    let (kind, pattern) = (signal.account_kind, signal.pattern);
    let extra: &ExtraWrite = &move |c: &mut AnyConnection, id: WarningId| {
        Box::pin(store::insert_signal(c, id, account, kind, pattern, now))
    };
    let key = format!("mule:{}", signal.reference);
    Ok(
        receipts::receive_with(db, clock, issuer, Some(key), &wi, WarnKind::MuleRisk, extra)
            .await?,
    )
}

/// The facts of a mule-risk warning (None for another kind).
pub async fn facts(db: &Db, w: &Warning) -> Result<Option<SignalFacts>, MuleError> {
    if w.kind != WarnKind::MuleRisk {
        return Ok(None);
    }
    let mut c = db.pool.acquire().await.map_err(DbError::from)?;
    Ok(store::facts_of(&mut c, w.id).await?)
}

/// Signals about nobody on a roster, for the police of the partner's region (newest first).
pub async fn police_queue(
    db: &Db,
    p: &Principal,
) -> Result<Vec<(Warning, Option<SignalFacts>)>, MuleError> {
    let paths: Vec<String> = p
        .grants
        .iter()
        .filter(|g| g.role == Role::Police)
        .flat_map(|g| g.scope_paths.iter().cloned())
        .collect();
    let mut c = db.pool.acquire().await.map_err(DbError::from)?;
    let ws =
        crate::warnings::store::unidentified_over(&mut c, WarnKind::MuleRisk, &paths, 200).await?;
    let ids: Vec<WarningId> = ws.iter().map(|w| w.id).collect();
    let facts = store::facts_of_many(&mut c, &ids).await?;
    Ok(ws
        .into_iter()
        .map(|w| {
            let f = facts.iter().find(|f| f.warning_id == w.id).cloned();
            (w, f)
        })
        .collect())
}

/// Figures of one row (a kind of account, a school, an outcome).
#[derive(Clone, Debug, Default, serde::Serialize, utoipa::ToSchema)]
#[schema(as = MuleCount)]
pub struct Count {
    /// The id (account kind, outcome) or the school code.
    pub key: String,
    /// In words, in the caller's language.
    pub label: String,
    pub this_year: i64,
    pub last_year: i64,
}

/// The mule figures of a unit for a calendar year (China Standard Time).
#[derive(Clone, Debug, Default, serde::Serialize, utoipa::ToSchema)]
#[schema(as = MuleFigures)]
pub struct Figures {
    pub year: i32,
    /// Mule-risk warnings about students of the unit (this year).
    pub signals: i64,
    /// Of them, still without outcome.
    pub open: i64,
    /// Of them, contacted within the contact deadline.
    pub handled_in_time: i64,
    /// Mule-risk warnings by outcome (this year and last).
    pub outcomes: Vec<Count>,
    /// Mule-risk warnings by kind of account.
    pub signal_accounts: Vec<Count>,
    /// Suspects of 帮信 / 两卡 in cases, per school.
    pub suspects_by_school: Vec<Count>,
    /// Suspects per kind of account lent.
    pub suspects_by_account: Vec<Count>,
    pub suspects: i64,
    pub suspects_last_year: i64,
}

/// [start, end) of a calendar year in China Standard Time.
pub fn year_range(year: i32) -> (Millis, Millis) {
    let d = |y| chrono::NaiveDate::from_ymd_opt(y, 1, 1).expect("a year");
    (
        crate::cases::model::ms_of_date(d(year)),
        crate::cases::model::ms_of_date(d(year + 1)),
    )
}

/// The figures of the units under `paths` (the caller's scope of `ViewWarnings` / `ViewCases`,
/// checked by the caller) for `year`; labels through `label`.
pub async fn figures(
    db: &Db,
    warn_paths: &[String],
    case_paths: &[String],
    year: i32,
    label: &(dyn Fn(&str) -> String + Sync),
) -> Result<Figures, MuleError> {
    let mut f = Figures {
        year,
        ..Figures::default()
    };
    let mut outcomes: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut accounts: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (i, y) in [year, year - 1].into_iter().enumerate() {
        let (from, to) = year_range(y);
        let rows = crate::warnings::appraisal::load(db, warn_paths, from, to).await?;
        let rows: Vec<_> = rows
            .into_iter()
            .filter(|(w, _, _)| w.kind == WarnKind::MuleRisk && w.student_id.is_some())
            .collect();
        let mut c = db.pool.acquire().await.map_err(DbError::from)?;
        let ids: Vec<WarningId> = rows.iter().map(|(w, _, _)| w.id).collect();
        let facts = store::facts_of_many(&mut c, &ids).await?;
        for (w, ack, contact) in &rows {
            if i == 0 {
                f.signals += 1;
                if w.status() != Status::Closed {
                    f.open += 1;
                }
                if crate::warnings::appraisal::in_time(w, *ack, *contact).1 {
                    f.handled_in_time += 1;
                }
            }
            if let Some(o) = &w.outcome {
                let e = outcomes.entry(o.clone()).or_default();
                if i == 0 {
                    e.0 += 1
                } else {
                    e.1 += 1
                }
            }
            if let Some(ft) = facts.iter().find(|x| x.warning_id == w.id) {
                let e = accounts
                    .entry(ft.account_kind.as_str().to_string())
                    .or_default();
                if i == 0 {
                    e.0 += 1
                } else {
                    e.1 += 1
                }
            }
        }
    }
    let mut schools: BTreeMap<UnitId, (i64, i64)> = BTreeMap::new();
    let mut lent: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (i, y) in [year, year - 1].into_iter().enumerate() {
        let (from, to) = year_range(y);
        for p in case_paths {
            for (school, kind, n) in crate::cases::store::suspects(db, p, from, to).await? {
                let s = schools.entry(school).or_default();
                let l = lent.entry(kind).or_default();
                if i == 0 {
                    s.0 += n;
                    l.0 += n;
                    f.suspects += n;
                } else {
                    s.1 += n;
                    l.1 += n;
                    f.suspects_last_year += n;
                }
            }
        }
    }
    let count = |key: String, label: String, (a, b): (i64, i64)| Count {
        label,
        key,
        this_year: a,
        last_year: b,
    };
    f.outcomes = outcomes
        .into_iter()
        .map(|(k, v)| count(k.clone(), label(&format!("warn-outcome-{k}")), v))
        .collect();
    f.signal_accounts = accounts
        .into_iter()
        .map(|(k, v)| count(k.clone(), label(&format!("mule-account-{k}")), v))
        .collect();
    f.suspects_by_account = lent
        .into_iter()
        .map(|(k, v)| count(k.clone(), label(&format!("mule-account-{k}")), v))
        .collect();
    for (id, v) in schools {
        let (code, name) = match crate::org::store::unit_by_id(db, id).await? {
            Some(u) => (u.code, u.name),
            None => (String::new(), String::new()),
        };
        f.suspects_by_school.push(count(code, name, v));
    }
    Ok(f)
}

/// Suspects per school of a province in `year` (for the Campus Without Fraud ranking).
pub async fn suspects_per_school(
    db: &Db,
    province: &Unit,
    year: i32,
) -> Result<BTreeMap<UnitId, i64>, DbError> {
    let (from, to) = year_range(year);
    let mut out = BTreeMap::new();
    for (school, _, n) in crate::cases::store::suspects(db, &province.path, from, to).await? {
        *out.entry(school).or_insert(0) += n;
    }
    Ok(out)
}

/// Default: a school with a 帮信 suspect is not eligible.
pub const DEFAULT_MAX_SUSPECTS: i64 = 0;

/// The most suspects an eligible school of the province may have in a year.
pub async fn max_suspects(db: &Db, province: &Unit) -> Result<i64, DbError> {
    Ok(store::max_suspects(db, province.id)
        .await?
        .unwrap_or(DEFAULT_MAX_SUSPECTS))
}

/// Sets the province's rule (province admins with `ManageAwards`); audited.
pub async fn set_max_suspects(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    province: &Unit,
    raw: &str,
) -> Result<i64, MuleError> {
    if province.kind != UnitKind::Province
        || !policy::allows(p, Action::ManageAwards, &Target::Unit(&province.path))
    {
        return Err(MuleError::NotFound);
    }
    let max = match raw.trim().parse::<i64>() {
        Ok(n) if (0..=1000).contains(&n) => n,
        _ => {
            return Err(MuleError::Refused(vec![
                Msg::new("mule-err-max-suspects").arg("value", raw.trim())
            ]))
        }
    };
    let mut tx = db.begin_write().await?;
    store::set_max_suspects(&mut tx, province.id, max, p.account_id, clock.now_ms()).await?;
    crate::audit::record(
        &mut *tx,
        clock,
        actor,
        crate::audit::Event {
            action: "mule.award_rule",
            target_kind: "unit",
            target_id: province.id.to_string(),
            unit_path: province.path.clone(),
            detail: serde_json::json!({"max_suspects": max}),
        },
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(max)
}

/// The appraisal component "mule-risk warnings handled in time": per class, the mule-risk
/// warnings routed in [from, to) whose student was contacted within the contact deadline, out of
/// all of them; nothing to count for a class without one.
pub async fn appraisal_figure(
    db: &Db,
    path: &str,
    from: Millis,
    to: Millis,
) -> Result<crate::appraisal::ByClass, DbError> {
    let rows = crate::warnings::appraisal::load(db, &[path.to_string()], from, to).await?;
    let mut out = crate::appraisal::ByClass::new();
    for (w, ack, contact) in rows {
        if w.kind != WarnKind::MuleRisk || w.student_id.is_none() {
            continue;
        }
        let e = out.entry(w.unit_path.clone()).or_insert((0, 0));
        e.1 += 1;
        if crate::warnings::appraisal::in_time(&w, ack, contact).1 {
            e.0 += 1;
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- starter content

/// What a school has of the starter content, as one who may adopt it sees it.
#[derive(Clone, Debug)]
pub struct StarterOffer {
    pub school: Unit,
    /// The article's adoption, if any; `may_article`: the caller may add it to the library.
    pub article: Option<store::Adoption>,
    pub may_article: bool,
    pub lesson: Option<store::Adoption>,
    pub may_lesson: bool,
    /// The school's courses (id, title), electives first: where the lesson may go.
    pub courses: Vec<(i64, String)>,
}

/// The starter content of every school the caller may author learning or campaigns for; each
/// school is offered what it has not adopted yet (a new school: everything).
pub async fn starter_offers(db: &Db, p: &Principal) -> Result<Vec<StarterOffer>, MuleError> {
    let schools = crate::learning::service::authoring_schools(db, p)
        .await
        .map_err(MuleError::Learning)?;
    let mut out = Vec::new();
    for school in schools {
        let may_article = policy::allows(p, Action::ManageCampaigns, &Target::Unit(&school.path));
        let may_lesson = policy::allows(p, Action::ManageLearning, &Target::Unit(&school.path));
        let adopted = store::adoptions_of(db, school.id).await?;
        let find = |i: StarterItem| adopted.iter().find(|a| a.item == i).cloned();
        let mut courses = crate::learning::store::courses_of_school(db, school.id).await?;
        courses.sort_by_key(|c| (c.required, c.id));
        out.push(StarterOffer {
            article: find(StarterItem::Article),
            lesson: find(StarterItem::Lesson),
            may_article,
            may_lesson,
            courses: courses.into_iter().map(|c| (c.id, c.title)).collect(),
            school,
        });
    }
    Ok(out)
}

/// Adopts a starter item for a school, once: the article becomes content of the school's library
/// (with its quiz), sent for review so a colleague publishes it; the lesson is added to the course
/// chosen. Adopting again answers the first adoption (false) and makes no second copy, also when
/// two adopt at once. Who may not author the school's campaigns (article) or courses (lesson) is
/// refused: 403 without the right anywhere, 404 for a school outside their scope.
pub async fn adopt_starter(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    school_code: &str,
    item: StarterItem,
    course_id: Option<i64>,
) -> Result<(store::Adoption, bool), MuleError> {
    let action = match item {
        StarterItem::Article => Action::ManageCampaigns,
        StarterItem::Lesson => Action::ManageLearning,
    };
    if policy::scopes_for(p, action).is_empty() {
        return Err(MuleError::Forbidden);
    }
    let school = crate::org::store::unit_by_code(db, school_code.trim())
        .await?
        .filter(|s| s.kind == UnitKind::School)
        .filter(|s| policy::allows(p, action, &Target::Unit(&s.path)))
        .ok_or(MuleError::NotFound)?;
    let course = match item {
        StarterItem::Article => None,
        StarterItem::Lesson => {
            let c = match course_id {
                Some(id) => crate::learning::store::course_by_id(db, id).await?,
                None => None,
            };
            match c.filter(|c| c.school_id == school.id) {
                Some(c) => Some(c.id),
                None => {
                    return Err(MuleError::Refused(vec![Msg::new(
                        "mule-err-starter-course",
                    )]))
                }
            }
        }
    };
    // Claim the item for the school; whoever finds it claimed answers the first adoption once
    // its copy is made (the claim of a copy that failed is released: claim again).
    let mut claimed = false;
    for _ in 0..100 {
        let mut tx = db.begin_write().await?;
        claimed =
            store::claim_starter(&mut tx, school.id, item, p.account_id, clock.now_ms()).await?;
        tx.commit().await.map_err(DbError::from)?;
        if claimed {
            break;
        }
        let first = store::adoptions_of(db, school.id)
            .await?
            .into_iter()
            .find(|a| a.item == item);
        match first {
            Some(a) if a.target_id.is_some() => return Ok((a, false)),
            _ => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
    if !claimed {
        // Another request is still making the copy after five seconds: it is not ours to make.
        return Err(MuleError::Refused(vec![Msg::new("mule-err-starter-busy")]));
    }
    let made = make_starter(db, clock, p, actor, &school, item, course).await;
    let mut tx = db.begin_write().await?;
    match made {
        Ok(target) => {
            store::complete_starter(&mut tx, school.id, item, target, course).await?;
            tx.commit().await.map_err(DbError::from)?;
        }
        Err(e) => {
            store::release_starter(&mut tx, school.id, item).await?;
            tx.commit().await.map_err(DbError::from)?;
            return Err(e);
        }
    }
    let a = store::adoptions_of(db, school.id)
        .await?
        .into_iter()
        .find(|a| a.item == item)
        .ok_or(MuleError::NotFound)?;
    Ok((a, true))
}

/// Makes the school's copy of an item through its own module; answers its id.
async fn make_starter(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    school: &Unit,
    item: StarterItem,
    course: Option<i64>,
) -> Result<i64, MuleError> {
    use crate::campaigns::service::{self as camp, NewContent};
    let text = item.text();
    match (item, course) {
        (StarterItem::Article, _) => {
            let c = camp::create_content(
                db,
                clock,
                p,
                actor,
                &NewContent {
                    unit: school.code.clone(),
                    kind: "article".into(),
                    title: text.title,
                    body_md: text.body_md,
                    media_url: None,
                    fraud_types: vec![fraud_type().id().into()],
                    target_hint: crate::mules::starter::TARGET_HINT.into(),
                    quiz: crate::mules::starter::quiz(),
                },
            )
            .await?;
            camp::transition(db, clock, p, actor, c.id, "submit").await?;
            Ok(c.id)
        }
        (StarterItem::Lesson, Some(course)) => {
            let l = crate::learning::model::NewLesson::parse(&text.title, &text.body_md, "")
                .map_err(|p| MuleError::Learning(crate::learning::LearningError::Invalid(p)))?;
            crate::learning::service::add_lesson(db, clock, p, actor, course, l)
                .await
                .map_err(MuleError::Learning)
        }
        (StarterItem::Lesson, None) => Err(MuleError::Refused(vec![Msg::new(
            "mule-err-starter-course",
        )])),
    }
}
