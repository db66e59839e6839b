//! Rules of the campaigns domain: content review, audiences, the fan-out, channel jobs with rate
//! limits and retries, tracking of each delivery, and reach.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use sqlx::Row;

use super::channels;
use super::exposure;
use super::model::*;
use super::render;
use super::store::{self, Campaign, Content};
use crate::audit::{self, Actor, Event};
use crate::auth::model::Principal;
use crate::auth::policy::{self, Action};
use crate::clock::Clock;
use crate::db::jobs::{enqueue_with, Job, JobRegistry, NewJob};
use crate::db::{bulk_sql, Db, DbError};
use crate::org::model::Unit;

/// Errors of a service call: a refusal to show, or storage trouble.
#[derive(Debug, thiserror::Error)]
pub enum SvcError {
    #[error(transparent)]
    Refused(#[from] CampError),
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for SvcError {
    fn from(e: sqlx::Error) -> Self {
        SvcError::Db(e.into())
    }
}

pub type SvcResult<T> = Result<T, SvcError>;

fn refuse<T>(key: &'static str) -> SvcResult<T> {
    Err(SvcError::Refused(CampError::new(key)))
}

pub const SEND_JOB: &str = "campaigns.send";
pub const ROBOT_JOB: &str = "campaigns.robot";
pub const EMAIL_JOB: &str = "campaigns.email";
/// Attempts of one outside delivery before it is failed with its reason.
pub const MAX_ATTEMPTS: i64 = 4;

/// The unit with `code` when it lies inside a scope of `p` for `action`; otherwise not found (no
/// hint that it exists).
pub async fn unit_in_scope(db: &Db, p: &Principal, action: Action, code: &str) -> SvcResult<Unit> {
    let u = crate::org::store::unit_by_code(db, code.trim())
        .await?
        .ok_or(SvcError::NotFound)?;
    if policy::allows(p, action, &policy::Target::Unit(&u.path)) {
        Ok(u)
    } else {
        Err(SvcError::NotFound)
    }
}

// ---------------------------------------------------------------- content library

/// What an author writes.
#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct NewContent {
    /// Code of the owning unit (a school, station or province inside the author's scope).
    pub unit: String,
    pub kind: String,
    pub title: String,
    #[serde(default)]
    pub body_md: String,
    #[serde(default)]
    pub media_url: Option<String>,
    #[serde(default)]
    pub fraud_types: Vec<String>,
    #[serde(default)]
    pub target_hint: String,
    #[serde(default)]
    pub quiz: Vec<Question>,
}

struct ParsedContent {
    kind: ContentKind,
    title: String,
    body_md: String,
    body_html: String,
    media_url: Option<String>,
    fraud_types: FraudTypes,
    target_hint: String,
    quiz: String,
}

fn parse_content(c: &NewContent) -> SvcResult<ParsedContent> {
    let kind: ContentKind = c.kind.parse()?;
    let title = crate::text::name(&c.title)
        .map_err(|e| SvcError::Refused(CampError::new(e.key())))?
        .to_string();
    if title.is_empty() || title.chars().count() > 200 {
        return refuse("camp-err-title");
    }
    let fraud_types = FraudTypes::parse(&c.fraud_types)?;
    let media_url = match c
        .media_url
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(u) => Some(parse_url(u)?),
        None if kind.needs_media() => return refuse("camp-err-media"),
        None => None,
    };
    if c.body_md.len() > 100_000 || (c.body_md.trim().is_empty() && !kind.needs_media()) {
        return refuse("camp-err-body");
    }
    let quiz = parse_quiz(c.quiz.clone())?;
    Ok(ParsedContent {
        kind,
        title,
        body_html: render::render(&c.body_md, None).html,
        body_md: c.body_md.clone(),
        media_url,
        fraud_types,
        target_hint: c.target_hint.trim().chars().take(500).collect(),
        quiz: serde_json::to_string(&quiz).unwrap_or_else(|_| "[]".into()),
    })
}

/// Creates a draft (version 1).
pub async fn create_content(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    c: &NewContent,
) -> SvcResult<Content> {
    let unit = unit_in_scope(db, p, Action::ManageCampaigns, &c.unit).await?;
    let pc = parse_content(c)?;
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO campaign_contents (unit_path, kind, title, body_md, body_html, media_url, fraud_types, target_hint, quiz, status, version, author_account_id, editor_account_id, reviewer_account_id, created_at, updated_at, published_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'draft', 1, $10, $10, $11, $12, $12, $13) RETURNING id",
    )
    .bind(&unit.path)
    .bind(pc.kind.as_str())
    .bind(&pc.title)
    .bind(&pc.body_md)
    .bind(&pc.body_html)
    .bind(&pc.media_url)
    .bind(pc.fraud_types.to_db())
    .bind(&pc.target_hint)
    .bind(&pc.quiz)
    .bind(p.account_id)
    .bind(None::<i64>)
    .bind(now)
    .bind(None::<i64>)
    .fetch_one(&mut *tx)
    .await?;
    insert_version(&mut tx, id, 1, &pc, p.account_id, now).await?;
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "campaign.content.create",
            target_kind: "campaign_content",
            target_id: id.to_string(),
            unit_path: unit.path.clone(),
            detail: serde_json::json!({"title": pc.title, "kind": pc.kind.as_str()}),
        },
    )
    .await?;
    tx.commit().await?;
    store::content_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)
}

async fn insert_version(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    version: i64,
    pc: &ParsedContent,
    editor: i64,
    now: i64,
) -> SvcResult<()> {
    sqlx::query(
        "INSERT INTO campaign_content_versions (content_id, version, title, body_md, media_url, fraud_types, target_hint, quiz, editor_account_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind(version)
    .bind(&pc.title)
    .bind(&pc.body_md)
    .bind(&pc.media_url)
    .bind(pc.fraud_types.to_db())
    .bind(&pc.target_hint)
    .bind(&pc.quiz)
    .bind(editor)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Content the caller manages (owned inside their ManageCampaigns scope); not found otherwise.
pub async fn managed_content(db: &Db, p: &Principal, id: i64) -> SvcResult<Content> {
    let c = store::content_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)?;
    managed_in(p, &c.unit_path)?;
    Ok(c)
}

/// Refuses (as not found) what lies outside the caller's ManageCampaigns scopes.
fn managed_in(p: &Principal, unit_path: &str) -> SvcResult<()> {
    if policy::allows(p, Action::ManageCampaigns, &policy::Target::Unit(unit_path)) {
        Ok(())
    } else {
        Err(SvcError::NotFound)
    }
}

/// Edits content: a new version, back to draft (it must be reviewed again).
pub async fn update_content(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    id: i64,
    c: &NewContent,
) -> SvcResult<Content> {
    let old = managed_content(db, p, id).await?;
    let pc = parse_content(c)?;
    let now = clock.now_ms();
    let version = old.version + 1;
    let mut tx = db.begin_write().await?;
    let n = sqlx::query(
        "UPDATE campaign_contents SET kind = $1, title = $2, body_md = $3, body_html = $4, media_url = $5, fraud_types = $6, target_hint = $7, quiz = $8, \
         status = 'draft', version = $9, editor_account_id = $10, reviewer_account_id = $11, updated_at = $12 WHERE id = $13 AND version = $14",
    )
    .bind(pc.kind.as_str())
    .bind(&pc.title)
    .bind(&pc.body_md)
    .bind(&pc.body_html)
    .bind(&pc.media_url)
    .bind(pc.fraud_types.to_db())
    .bind(&pc.target_hint)
    .bind(&pc.quiz)
    .bind(version)
    .bind(p.account_id)
    .bind(None::<i64>)
    .bind(now)
    .bind(id)
    .bind(old.version)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n != 1 {
        return refuse("camp-err-stale");
    }
    insert_version(&mut tx, id, version, &pc, p.account_id, now).await?;
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "campaign.content.edit",
            target_kind: "campaign_content",
            target_id: id.to_string(),
            unit_path: old.unit_path.clone(),
            detail: serde_json::json!({"version": version}),
        },
    )
    .await?;
    tx.commit().await?;
    store::content_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)
}

/// Moves content through review: `submit` (draft → review) by anyone managing it, `publish`
/// (review → published) by someone other than the last editor, `reject` (review → draft) and
/// `archive` (published → archived).
pub async fn transition(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    id: i64,
    to: &str,
) -> SvcResult<Content> {
    let c = managed_content(db, p, id).await?;
    let from = c.status;
    let (next, reviewer) = match (to, from) {
        ("submit", ContentStatus::Draft) => ("review", None),
        ("publish", ContentStatus::Review) => {
            if c.editor_account_id == p.account_id {
                return refuse("camp-err-own-review");
            }
            ("published", Some(p.account_id))
        }
        ("reject", ContentStatus::Review) => ("draft", None),
        ("archive", ContentStatus::Published) => ("archived", None),
        ("submit" | "publish" | "reject" | "archive", _) => {
            return Err(CampError::with("camp-err-transition", c.status.as_str()).into())
        }
        _ => return refuse("camp-err-transition"),
    };
    // Who may publish it is read before the write transaction (SQLite holds one writer).
    let reviewers = if next == "review" {
        super::review::eligible_reviewers(db, &c.unit_path, &[c.editor_account_id, p.account_id])
            .await?
    } else {
        Vec::new()
    };
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    let n = sqlx::query(
        "UPDATE campaign_contents SET status = $1, reviewer_account_id = COALESCE($2, reviewer_account_id), updated_at = $3, \
         published_at = CASE WHEN $1 = 'published' THEN $3 ELSE published_at END WHERE id = $4 AND status = $5",
    )
    .bind(next)
    .bind(reviewer)
    .bind(now)
    .bind(id)
    .bind(c.status.as_str())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n != 1 {
        return refuse("camp-err-stale");
    }
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "campaign.content.status",
            target_kind: "campaign_content",
            target_id: id.to_string(),
            unit_path: c.unit_path.clone(),
            detail: serde_json::json!({"from": c.status, "to": next, "version": c.version}),
        },
    )
    .await?;
    super::review::notify_reviewers(&mut tx, clock, &c, &reviewers).await?;
    tx.commit().await?;
    crate::inbox::bump();
    store::content_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)
}

// ---------------------------------------------------------------- channels

#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct NewChannel {
    pub unit: String,
    pub kind: String,
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub secret: Option<String>,
    /// Sender address (email only).
    #[serde(default)]
    pub sender: Option<String>,
    #[serde(default)]
    pub rate_per_min: Option<i64>,
}

pub async fn create_channel(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    c: &NewChannel,
) -> SvcResult<store::Channel> {
    let unit = unit_in_scope(db, p, Action::ManageCampaigns, &c.unit).await?;
    let kind: ChannelKind = c.kind.parse()?;
    let url = check_channel(kind, &c.url, c.secret.as_deref())?;
    let name =
        crate::text::name(&c.name).map_err(|e| SvcError::Refused(CampError::new(e.key())))?;
    if name.is_empty() || name.chars().count() > 100 {
        return refuse("camp-err-name");
    }
    let sender = match kind {
        ChannelKind::Email => {
            let s = c.sender.as_deref().map(str::trim).unwrap_or("");
            if s.parse::<lettre::message::Mailbox>().is_err() {
                return refuse("camp-err-sender");
            }
            Some(s.to_string())
        }
        _ => None,
    };
    let rate = c.rate_per_min.unwrap_or(kind.default_rate());
    if !(1..=10_000).contains(&rate) {
        return refuse("camp-err-rate");
    }
    let secret = c
        .secret
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from);
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO campaign_channels (unit_path, kind, name, url, secret, sender, rate_per_min, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(&unit.path)
    .bind(kind.as_str())
    .bind(name)
    .bind(&url)
    .bind(secret)
    .bind(sender)
    .bind(rate)
    .bind(p.account_id)
    .bind(clock.now_ms())
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "campaign.channel.create",
            target_kind: "campaign_channel",
            target_id: id.to_string(),
            unit_path: unit.path.clone(),
            detail: serde_json::json!({"kind": kind.as_str(), "name": name}),
        },
    )
    .await?;
    tx.commit().await?;
    store::channel_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)
}

// ---------------------------------------------------------------- audiences

#[derive(Clone, Debug)]
enum Val {
    I(i64),
    S(String),
}

/// The students and staff an audience spec selects, as SQL over `students s JOIN units u` (and
/// `role_assignments r JOIN units u` for staff roles).
struct AudienceSql {
    student_where: Option<String>,
    staff_where: Option<String>,
    binds: Vec<Val>,
}

impl AudienceSql {
    fn push(&mut self, v: Val) -> String {
        self.binds.push(v);
        format!("${}", self.binds.len())
    }
}

const STAFF_ROLES: [&str; 4] = ["counselor", "unit_leader", "school_admin", "police"];

/// Resolves unit codes of a spec to paths inside the campaign unit; the campaign unit when none.
async fn audience_paths(
    db: &Db,
    campaign_unit: &Unit,
    spec: &AudienceSpec,
) -> SvcResult<Vec<String>> {
    if spec.units.is_empty() {
        return Ok(vec![campaign_unit.path.clone()]);
    }
    let mut v = Vec::new();
    for code in &spec.units {
        let u = crate::org::store::unit_by_code(db, code.trim())
            .await?
            .filter(|u| u.path.starts_with(&campaign_unit.path))
            .ok_or_else(|| CampError::with("camp-err-audience-unit", code.clone()))?;
        v.push(u.path);
    }
    Ok(v)
}

fn audience_sql(
    paths: &[String],
    spec: &AudienceSpec,
    first_param: usize,
) -> SvcResult<AudienceSql> {
    let mut a = AudienceSql {
        student_where: None,
        staff_where: None,
        binds: (1..first_param).map(|_| Val::I(0)).collect(),
    };
    let roles: Vec<&str> = if spec.roles.is_empty() {
        vec!["student"]
    } else {
        spec.roles.iter().map(|s| s.trim()).collect()
    };
    for r in &roles {
        if *r != "student" && !STAFF_ROLES.contains(r) {
            return Err(CampError::with("camp-err-role", *r).into());
        }
    }
    for g in &spec.genders {
        if !["male", "female", "unknown"].contains(&g.as_str()) {
            return Err(CampError::with("camp-err-gender", g.clone()).into());
        }
    }
    if spec
        .enrollment_years
        .iter()
        .any(|y| !(1950..=2100).contains(y))
    {
        return refuse("camp-err-year");
    }
    // Weakness is measured on students' assessments only; a fraud type must be one fanzha knows.
    if !spec.weak_on.is_empty() {
        super::model::FraudTypes::parse(&spec.weak_on)?;
        if roles.iter().any(|r| *r != "student") {
            return refuse("camp-err-weak-roles");
        }
    }
    let path_clause = |a: &mut AudienceSql| {
        let parts: Vec<String> = paths
            .iter()
            .map(|p| format!("u.path LIKE {}", a.push(Val::S(format!("{p}%")))))
            .collect();
        format!("({})", parts.join(" OR "))
    };
    if roles.contains(&"student") {
        let mut w = vec!["s.status = 'enrolled'".to_string(), path_clause(&mut a)];
        if !spec.enrollment_years.is_empty() {
            let l: Vec<String> = spec
                .enrollment_years
                .iter()
                .map(|y| a.push(Val::I(*y)))
                .collect();
            w.push(format!("s.enrollment_year IN ({})", l.join(", ")));
        }
        if !spec.genders.is_empty() {
            let l: Vec<String> = spec
                .genders
                .iter()
                .map(|g| a.push(Val::S(g.clone())))
                .collect();
            w.push(format!("s.gender IN ({})", l.join(", ")));
        }
        if !spec.majors.is_empty() {
            let l: Vec<String> = spec
                .majors
                .iter()
                .map(|m| a.push(Val::S(m.trim().to_string())))
                .collect();
            w.push(format!("s.major IN ({})", l.join(", ")));
        }
        if !spec.weak_on.is_empty() {
            let l: Vec<String> = spec
                .weak_on
                .iter()
                .filter_map(|t| t.trim().parse::<fanzha_detect::FraudType>().ok())
                .map(|t| a.push(Val::S(t.id().to_string())))
                .collect();
            w.push(crate::learning::store::weak_on_condition(&l));
        }
        a.student_where = Some(w.join(" AND "));
    }
    let staff: Vec<&str> = roles.iter().copied().filter(|r| *r != "student").collect();
    if !staff.is_empty() {
        let mut w = vec![path_clause(&mut a)];
        let l: Vec<String> = staff
            .iter()
            .map(|r| a.push(Val::S(r.to_string())))
            .collect();
        w.push(format!("r.role IN ({})", l.join(", ")));
        a.staff_where = Some(w.join(" AND "));
    }
    Ok(a)
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    binds: &[Val],
    skip: usize,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for v in &binds[skip..] {
        q = match v {
            Val::I(i) => q.bind(*i),
            Val::S(s) => q.bind(s.clone()),
        };
    }
    q
}

/// One person of a preview.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SamplePerson {
    pub person: String,
    pub name: String,
    pub unit: String,
    pub score: Option<f64>,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Preview {
    pub size: i64,
    /// Of `size`, the students no channel of fanzha can reach yet (no active account).
    pub unreachable: i64,
    pub sample: Vec<SamplePerson>,
}

/// The explicit student list of a "top N % most exposed" audience, with scores.
async fn exposed_students(
    db: &Db,
    clock: &Clock,
    campaign_unit: &Unit,
    paths: &[String],
    spec: &AudienceSpec,
    fraud_type: &str,
    percent: f64,
) -> SvcResult<Vec<(i64, f64)>> {
    if !(0.0..=100.0).contains(&percent) || percent == 0.0 || !percent.is_finite() {
        return refuse("camp-err-percent");
    }
    if spec.roles.iter().any(|r| r != "student") {
        return refuse("camp-err-exposure-roles");
    }
    let school = crate::org::store::school_of(db, campaign_unit)
        .await?
        .ok_or_else(|| CampError::new("camp-err-exposure-school"))?;
    // Everyone the other filters select…
    let a = audience_sql(paths, spec, 1)?;
    let sql = format!(
        "SELECT s.id FROM students s JOIN units u ON u.id = s.class_id WHERE {}",
        a.student_where.clone().unwrap_or_else(|| "1 = 0".into())
    );
    let ids: HashSet<i64> = bind_all(sqlx::query(&sql), &a.binds, 0)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    // …ranked by exposure within the school.
    let (people, scores) = exposure::score_unit(
        db,
        clock.now_ms(),
        &school.path,
        &campaign_unit.path,
        fraud_type,
    )
    .await?;
    let (people, scores): (Vec<_>, Vec<_>) = people
        .into_iter()
        .zip(scores)
        .filter(|(p, _)| ids.contains(&p.student_id))
        .unzip();
    Ok(exposure::top_percent(&people, &scores, percent))
}

/// Audience size and a sample of up to 10 people, before anything is sent.
pub async fn preview(
    db: &Db,
    clock: &Clock,
    campaign_unit: &Unit,
    spec: &AudienceSpec,
    fraud_type: &str,
) -> SvcResult<Preview> {
    let paths = audience_paths(db, campaign_unit, spec).await?;
    if let Some(pct) = spec.top_exposed_percent {
        let top = exposed_students(db, clock, campaign_unit, &paths, spec, fraud_type, pct).await?;
        let mut sample = Vec::new();
        for (id, score) in top.iter().take(10) {
            if let Some(s) = crate::org::store::student_by_id(db, *id).await? {
                sample.push(SamplePerson {
                    person: format!("student:{id}"),
                    name: crate::org::model::mask_name(&s.name),
                    unit: s.class_name,
                    score: Some((score * 10.0).round() / 10.0),
                });
            }
        }
        let mut unreachable = 0;
        for chunk in top.chunks(500) {
            let list = crate::db::params_list(chunk.len(), 1);
            let sql = format!(
                "SELECT COUNT(*) FROM students s WHERE s.id IN ({}) AND NOT {INBOX_REACHABLE}",
                list
            );
            let sql = bulk_sql(db.backend, &sql);
            let mut q = sqlx::query_scalar::<_, i64>(&sql);
            for (id, _) in chunk {
                q = q.bind(*id);
            }
            unreachable += q.fetch_one(&db.pool).await?;
        }
        return Ok(Preview {
            size: top.len() as i64,
            unreachable,
            sample,
        });
    }
    let a = audience_sql(&paths, spec, 1)?;
    let mut size = 0;
    let mut unreachable = 0;
    let mut sample = Vec::new();
    if let Some(w) = &a.student_where {
        let r = bind_all(
            sqlx::query(&format!(
                "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN {INBOX_REACHABLE} THEN 0 ELSE 1 END), 0) AS BIGINT) \
                 FROM students s JOIN units u ON u.id = s.class_id WHERE {w}"
            )),
            &a.binds,
            0,
        )
        .fetch_one(&db.pool)
        .await?;
        size += r.try_get::<i64, _>(0)?;
        unreachable += r.try_get::<i64, _>(1)?;
        let rows = bind_all(
            sqlx::query(&format!(
                "SELECT s.id, s.name, u.name FROM students s JOIN units u ON u.id = s.class_id WHERE {w} ORDER BY s.id LIMIT 10"
            )),
            &a.binds,
            0,
        )
        .fetch_all(&db.pool)
        .await?;
        for r in rows {
            let id: i64 = r.try_get(0)?;
            let name: String = r.try_get(1)?;
            sample.push(SamplePerson {
                person: format!("student:{id}"),
                name: crate::org::model::mask_name(&name),
                unit: r.try_get(2)?,
                score: None,
            });
        }
    }
    if let Some(w) = &a.staff_where {
        let rows = bind_all(
            sqlx::query(&format!(
                "SELECT DISTINCT r.account_id, c.display_name, u.name FROM role_assignments r JOIN units u ON u.id = r.unit_id \
                 JOIN accounts c ON c.id = r.account_id WHERE {w} ORDER BY r.account_id"
            )),
            &a.binds,
            0,
        )
        .fetch_all(&db.pool)
        .await?;
        let mut seen = HashSet::new();
        for r in rows {
            let id: i64 = r.try_get(0)?;
            if !seen.insert(id) {
                continue;
            }
            size += 1;
            if sample.len() < 10 {
                let name: String = r.try_get(1)?;
                sample.push(SamplePerson {
                    person: format!("account:{id}"),
                    name: crate::org::model::mask_name(&name),
                    unit: r.try_get(2)?,
                    score: None,
                });
            }
        }
    }
    Ok(Preview {
        size,
        unreachable,
        sample,
    })
}

// ---------------------------------------------------------------- campaigns

#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct NewCampaign {
    /// Code of the unit the campaign is for (inside the caller's scope).
    pub unit: String,
    pub title: String,
    pub content_id: i64,
    /// The fraud type this campaign warns about (one of the content's types).
    pub fraud_type: String,
    #[serde(default)]
    pub audience: AudienceSpec,
    /// Outside channels (ids of configured channels) besides the inbox.
    #[serde(default)]
    pub channels: Vec<i64>,
    /// When to send (UTC ms); now when absent.
    #[serde(default)]
    pub run_at: Option<i64>,
}

/// Creates a campaign after checking its content, audience and channels, and schedules the send.
pub async fn create_campaign(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    c: &NewCampaign,
) -> SvcResult<Campaign> {
    let unit = unit_in_scope(db, p, Action::ManageCampaigns, &c.unit).await?;
    let title =
        crate::text::name(&c.title).map_err(|e| SvcError::Refused(CampError::new(e.key())))?;
    if title.is_empty() || title.chars().count() > 200 {
        return refuse("camp-err-title");
    }
    let ft = fraud_type(&c.fraud_type)?;
    let content = store::content_by_id(db, c.content_id)
        .await?
        .filter(|k| unit.path.starts_with(&k.unit_path) || k.unit_path.starts_with(&unit.path))
        .ok_or_else(|| CampError::new("camp-err-content"))?;
    if content.status != ContentStatus::Published {
        return refuse("camp-err-unpublished");
    }
    if !content.fraud_types.iter().any(|t| t == ft.id()) {
        return refuse("camp-err-content-type");
    }
    for id in &c.channels {
        let ch = store::channel_by_id(db, *id)
            .await?
            .filter(|ch| {
                unit.path.starts_with(&ch.unit_path) || ch.unit_path.starts_with(&unit.path)
            })
            .filter(|ch| {
                policy::allows(
                    p,
                    Action::ManageCampaigns,
                    &policy::Target::Unit(&ch.unit_path),
                ) || unit.path.starts_with(&ch.unit_path)
            })
            .filter(store::Channel::enabled);
        if ch.is_none() {
            return Err(CampError::with("camp-err-channel", id.to_string()).into());
        }
    }
    let now = clock.now_ms();
    if c.run_at.is_some_and(|t| t < now - 60_000) {
        return refuse("camp-err-run-at");
    }
    let pv = preview(db, clock, &unit, &c.audience, ft.id()).await?;
    if pv.size == 0 {
        return refuse("camp-err-empty-audience");
    }
    let mut channels = c.channels.clone();
    channels.sort();
    channels.dedup();
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO campaigns (unit_path, title, content_id, content_version, fraud_type, audience, audience_size, channels, status, run_at, created_by, created_at, sent_at, recalled_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'scheduled', $9, $10, $11, $12, $12) RETURNING id",
    )
    .bind(&unit.path)
    .bind(title)
    .bind(content.id)
    .bind(content.version)
    .bind(ft.id())
    .bind(serde_json::to_string(&c.audience).unwrap_or_default())
    .bind(pv.size)
    .bind(serde_json::to_string(&channels).unwrap_or_default())
    .bind(c.run_at)
    .bind(p.account_id)
    .bind(now)
    .bind(None::<i64>)
    .fetch_one(&mut *tx)
    .await?;
    enqueue_with(
        &mut *tx,
        clock,
        NewJob::new(SEND_JOB, serde_json::json!({"campaign_id": id}))
            .dedup(format!("{SEND_JOB}:{id}"))
            .run_at(c.run_at.unwrap_or(now)),
    )
    .await?;
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "campaign.create",
            target_kind: "campaign",
            target_id: id.to_string(),
            unit_path: unit.path.clone(),
            detail: serde_json::json!({"title": title, "audience_size": pv.size, "run_at": c.run_at}),
        },
    )
    .await?;
    tx.commit().await?;
    store::campaign_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)
}

/// A campaign the caller manages; not found otherwise.
pub async fn managed_campaign(db: &Db, p: &Principal, id: i64) -> SvcResult<Campaign> {
    let c = store::campaign_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)?;
    managed_in(p, &c.unit_path)?;
    Ok(c)
}

/// The part of a campaign a viewer may see: the campaign unit, or their scopes inside it.
pub async fn visible_campaign(
    db: &Db,
    p: &Principal,
    id: i64,
) -> SvcResult<(Campaign, Vec<String>)> {
    let c = store::campaign_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)?;
    let roots = view_roots(p, &c.unit_path);
    if roots.is_empty() {
        return Err(SvcError::NotFound);
    }
    Ok((c, roots))
}

/// The subtrees of `unit_path` the caller may see the reach of.
pub fn view_roots(p: &Principal, unit_path: &str) -> Vec<String> {
    let mut v: Vec<String> = policy::scopes_for(p, Action::ViewReach)
        .into_iter()
        .filter_map(|s| {
            if unit_path.starts_with(&s) {
                Some(unit_path.to_string())
            } else if s.starts_with(unit_path) {
                Some(s)
            } else {
                None
            }
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Recalls a campaign: a scheduled one is not sent; a sent one leaves the inboxes and its queued
/// outside deliveries are stopped (robot messages already posted cannot be taken back).
pub async fn recall(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    id: i64,
) -> SvcResult<Campaign> {
    let c = managed_campaign(db, p, id).await?;
    if c.status == CampaignStatus::Recalled {
        return refuse("camp-err-recalled");
    }
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE campaigns SET status = 'recalled', recalled_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE campaign_deliveries SET status = 'recalled' WHERE campaign_id = $1 AND status = 'queued'",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE campaign_robot_deliveries SET status = 'recalled' WHERE campaign_id = $1 AND status = 'queued'",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let removed = sqlx::query("DELETE FROM inbox_messages WHERE source = $1")
        .bind(format!("campaign:{id}"))
        .execute(&mut *tx)
        .await?
        .rows_affected();
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "campaign.recall",
            target_kind: "campaign",
            target_id: id.to_string(),
            unit_path: c.unit_path.clone(),
            detail: serde_json::json!({"inbox_removed": removed, "was": c.status}),
        },
    )
    .await?;
    tx.commit().await?;
    crate::inbox::bump();
    store::campaign_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)
}

// ---------------------------------------------------------------- jobs

/// Settings of the channel jobs.
#[derive(Clone, Debug)]
pub struct ChannelSettings {
    /// Timeout of one robot/webhook/SMTP call.
    pub timeout: Duration,
    /// Base of the links in outside messages (e.g. `https://fanzha.example.edu.cn`).
    pub public_url: String,
    /// Extra CA certificates (PEM) trusted for https robots and webhooks.
    pub ca_file: Option<std::path::PathBuf>,
}

pub fn register_jobs(reg: &mut JobRegistry, db: Db, clock: Clock, settings: ChannelSettings) {
    // The file was checked when the configuration was loaded; should it have changed since, the
    // error is logged and https channels signed by that CA fail with a certificate reason.
    let client = super::channels::http_client(settings.ca_file.as_deref()).unwrap_or_else(|e| {
        tracing::error!(error = %e, "campaign channels: extra CA file");
        super::channels::http_client(None).unwrap_or_default()
    });
    {
        let (db, clock) = (db.clone(), clock.clone());
        reg.register(SEND_JOB, move |job: Job| {
            let (db, clock) = (db.clone(), clock.clone());
            async move { fan_out(&db, &clock, &job).await.map_err(|e| e.to_string()) }
        });
    }
    {
        let (db, clock, s, client) = (db.clone(), clock.clone(), settings.clone(), client.clone());
        reg.register(ROBOT_JOB, move |job: Job| {
            let (db, clock, s, client) = (db.clone(), clock.clone(), s.clone(), client.clone());
            async move { robot_job(&db, &clock, &s, &client, &job).await }
        });
    }
    reg.register(EMAIL_JOB, move |job: Job| {
        let (db, clock, s) = (db.clone(), clock.clone(), settings.clone());
        async move { email_job(&db, &clock, &s, &job).await }
    });
}

fn summary_of(content: &Content) -> String {
    let text: String = content
        .body_md
        .lines()
        .map(|l| l.trim_start_matches(['#', '>', '-', '*', ' ']))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let mut s: String = text.chars().take(140).collect();
    if text.chars().count() > 140 {
        s.push('…');
    }
    if s.is_empty() {
        s = content.target_hint.clone();
    }
    s
}

/// What the inbox message of a campaign says.
struct InboxText {
    title: String,
    summary: String,
    source: String,
    now: i64,
}

/// Whose inbox messages a fan-out step writes: deliveries under a unit path, a list of people,
/// or the staff accounts.
enum InboxOf<'a> {
    Under(&'a str),
    Persons(&'a [String]),
    Accounts,
}

/// Writes the inbox messages of a campaign's inbox deliveries (of one slice), skipping those
/// already written.
async fn inbox_messages(
    tx: &mut Tx<'_>,
    campaign_id: i64,
    m: &InboxText,
    of: InboxOf<'_>,
) -> SvcResult<()> {
    let base = "INSERT INTO inbox_messages (recipient, kind, title, body, link, source, created_at) \
         SELECT d.person, 'campaign', $2, $3, '/campaigns/d/' || d.id, $4, $5 FROM campaign_deliveries d \
         WHERE d.campaign_id = $1 AND d.channel = 'inbox'";
    let tail = "ORDER BY d.person ON CONFLICT (recipient, source) DO NOTHING";
    // At most 500 people per slice: numbered parameters are fine on SQLite at that size.
    let (sql, extra): (String, Vec<String>) = match of {
        InboxOf::Under(path) => (
            format!("{base} AND d.unit_path LIKE $6 {tail}"),
            vec![format!("{path}%")],
        ),
        InboxOf::Accounts => (
            format!("{base} AND d.person LIKE 'account:%' {tail}"),
            vec![],
        ),
        InboxOf::Persons(persons) => {
            let list = crate::db::params_list(persons.len(), 6);
            (
                format!("{base} AND d.person IN ({}) {tail}", list),
                persons.to_vec(),
            )
        }
    };
    // Planned per slice with its values (see the deliveries of a slice in `fan_out`).
    let mut q = sqlx::query(&sql)
        .persistent(false)
        .bind(campaign_id)
        .bind(m.title.as_str())
        .bind(m.summary.as_str())
        .bind(m.source.as_str())
        .bind(m.now);
    for e in &extra {
        q = q.bind(e.as_str());
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

/// Slices of a fan-out: the schools under the audience's paths (a path inside a school is its
/// own slice). Classes always hang under a school (`UnitKind::fits_under`), so the slices cover
/// every student of the paths.
async fn school_slices(db: &Db, paths: &[String]) -> SvcResult<Vec<String>> {
    let mut v = Vec::new();
    for p in paths {
        let schools: Vec<String> = sqlx::query_scalar(
            "SELECT path FROM units WHERE kind = 'school' AND path LIKE $1 ORDER BY path",
        )
        .bind(format!("{p}%"))
        .fetch_all(&db.pool)
        .await?;
        if schools.is_empty() {
            v.push(p.clone());
        } else {
            v.extend(schools);
        }
    }
    Ok(v)
}

/// Inside a fan-out transaction: is the campaign still being sent (not recalled meanwhile)? The
/// no-op update takes the campaign row's lock, so a recall waits for the slice or stops it.
async fn still_sending(tx: &mut Tx<'_>, campaign_id: i64) -> SvcResult<bool> {
    Ok(
        sqlx::query("UPDATE campaigns SET status = 'sending' WHERE id = $1 AND status = 'sending'")
            .bind(campaign_id)
            .execute(&mut **tx)
            .await?
            .rows_affected()
            == 1,
    )
}

/// Fans a campaign out: writes one inbox delivery and message per person, email deliveries and
/// their jobs, and one job per robot. Every step is set-based and idempotent (unique per campaign
/// × person × channel, inbox messages unique per source), so a worker restarted mid fan-out
/// completes it without telling anyone twice.
pub async fn fan_out(db: &Db, clock: &Clock, job: &Job) -> SvcResult<()> {
    let id = job.payload["campaign_id"]
        .as_i64()
        .ok_or(SvcError::NotFound)?;
    let c = store::campaign_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)?;
    if matches!(c.status, CampaignStatus::Recalled | CampaignStatus::Sent) {
        return Ok(());
    }
    let content = store::content_by_id(db, c.content_id)
        .await?
        .ok_or(SvcError::NotFound)?;
    let unit = crate::org::store::units_by_paths(db, std::slice::from_ref(&c.unit_path))
        .await?
        .into_iter()
        .next()
        .ok_or(SvcError::NotFound)?;
    let now = clock.now_ms();
    let paths = audience_paths(db, &unit, &c.audience).await?;
    let started = sqlx::query(
        "UPDATE campaigns SET status = 'sending' WHERE id = $1 AND status IN ('scheduled', 'sending')",
    )
    .bind(id)
    .execute(&db.pool)
    .await?
    .rows_affected();
    if started == 0 {
        return Ok(());
    }
    let inbox = InboxText {
        title: c.title.clone(),
        summary: summary_of(&content),
        source: format!("campaign:{id}"),
        now,
    };
    // 1–2. Inbox deliveries, one per person, and their inbox messages linking to the delivery
    // page: one transaction per school (or per slice of a ranked list), so no transaction holds
    // a million rows. Each step is idempotent (unique per campaign × person × channel, messages
    // unique per recipient and source): a worker restarted mid-way redoes what is missing. A
    // recall between slices stops the fan-out.
    if let Some(pct) = c.audience.top_exposed_percent {
        let top = exposed_students(
            db,
            clock,
            &unit,
            &paths,
            &c.audience,
            c.fraud_type.id(),
            pct,
        )
        .await?;
        for chunk in top.chunks(500) {
            let mut tx = db.begin_write().await?;
            if !still_sending(&mut tx, id).await? {
                return Ok(());
            }
            // Parameters numbered in order, each used once: on SQLite `bulk_sql` turns them into
            // anonymous `?`, bound by position.
            let list = crate::db::params_list(chunk.len(), 4);
            let sql = format!(
                "INSERT INTO campaign_deliveries (campaign_id, person, student_id, unit_path, channel, address, status, reason, attempts, queued_at, sent_at, opened_at, acknowledged_at, quiz_passed_at, clicks) \
                 SELECT $1, 'student:' || s.id, s.id, u.path, 'inbox', NULL, {INBOX_STATUS}, {INBOX_REASON}, 0, $2, CASE WHEN {INBOX_REACHABLE} THEN CAST($3 AS BIGINT) END, NULL, NULL, NULL, 0 \
                 FROM students s JOIN units u ON u.id = s.class_id WHERE s.id IN ({list}) ON CONFLICT (campaign_id, person, channel) DO NOTHING",
                list = list
            );
            let sql = bulk_sql(db.backend, &sql);
            let mut q = sqlx::query(&sql).bind(id).bind(now).bind(now);
            for (sid, _) in chunk {
                q = q.bind(*sid);
            }
            q.execute(&mut *tx).await?;
            let persons: Vec<String> = chunk.iter().map(|(s, _)| format!("student:{s}")).collect();
            inbox_messages(&mut tx, id, &inbox, InboxOf::Persons(&persons)).await?;
            tx.commit().await?;
        }
    } else {
        let a = audience_sql(&paths, &c.audience, 3)?;
        if a.student_where.is_some() {
            for slice in school_slices(db, &paths).await? {
                let mut a = audience_sql(&paths, &c.audience, 3)?;
                let p = a.push(Val::S(format!("{slice}%")));
                let w = format!(
                    "{} AND u.path LIKE {p}",
                    a.student_where.unwrap_or_default()
                );
                let mut tx = db.begin_write().await?;
                if !still_sending(&mut tx, id).await? {
                    return Ok(());
                }
                // In the order of the unique key, so its index grows at one end.
                let sql = format!(
                    "INSERT INTO campaign_deliveries (campaign_id, person, student_id, unit_path, channel, address, status, reason, attempts, queued_at, sent_at, opened_at, acknowledged_at, quiz_passed_at, clicks) \
                     SELECT $1, 'student:' || s.id, s.id, u.path, 'inbox', NULL, {INBOX_STATUS}, {INBOX_REASON}, 0, $2, CASE WHEN {INBOX_REACHABLE} THEN CAST($2 AS BIGINT) END, NULL, NULL, NULL, 0 \
                     FROM students s JOIN units u ON u.id = s.class_id WHERE {w} ORDER BY 2 ON CONFLICT (campaign_id, person, channel) DO NOTHING"
                );
                // Not a cached prepared statement: PostgreSQL then plans each slice with its
                // path, so `LIKE '/1/5/%'` uses the path indexes (a generic plan cannot and scans).
                bind_all(
                    sqlx::query(&sql).persistent(false).bind(id).bind(now),
                    &a.binds,
                    2,
                )
                .execute(&mut *tx)
                .await?;
                inbox_messages(&mut tx, id, &inbox, InboxOf::Under(&slice)).await?;
                tx.commit().await?;
            }
        }
        if let Some(w) = &a.staff_where {
            let mut tx = db.begin_write().await?;
            if !still_sending(&mut tx, id).await? {
                return Ok(());
            }
            let sql = format!(
                "INSERT INTO campaign_deliveries (campaign_id, person, student_id, unit_path, channel, address, status, reason, attempts, queued_at, sent_at, opened_at, acknowledged_at, quiz_passed_at, clicks) \
                 SELECT $1, 'account:' || r.account_id, NULL, MIN(u.path), 'inbox', NULL, 'sent', NULL, 0, $2, $2, NULL, NULL, NULL, 0 \
                 FROM role_assignments r JOIN units u ON u.id = r.unit_id WHERE {w} GROUP BY r.account_id \
                 ON CONFLICT (campaign_id, person, channel) DO NOTHING"
            );
            bind_all(sqlx::query(&sql).bind(id).bind(now), &a.binds, 2)
                .execute(&mut *tx)
                .await?;
            inbox_messages(&mut tx, id, &inbox, InboxOf::Accounts).await?;
            tx.commit().await?;
        }
    }
    let mut tx = db.begin_write().await?;
    if !still_sending(&mut tx, id).await? {
        return Ok(());
    }
    // 3. Outside channels.
    for ch_id in &c.channels {
        let Some(ch) = store::channel_by_id(db, *ch_id).await? else {
            continue;
        };
        if ch.kind == "email" {
            sqlx::query(
                "INSERT INTO campaign_deliveries (campaign_id, person, student_id, unit_path, channel, address, status, reason, attempts, queued_at, sent_at, opened_at, acknowledged_at, quiz_passed_at, clicks) \
                 SELECT d.campaign_id, d.person, d.student_id, d.unit_path, $2, s.email, 'queued', NULL, 0, $3, NULL, NULL, NULL, NULL, 0 \
                 FROM campaign_deliveries d JOIN students s ON s.id = d.student_id \
                 WHERE d.campaign_id = $1 AND d.channel = 'inbox' AND s.email IS NOT NULL AND s.email <> '' \
                 ON CONFLICT (campaign_id, person, channel) DO NOTHING",
            )
            .bind(id)
            .bind(format!("email:{}", ch.id))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO jobs (kind, payload, dedup_key, status, run_at, attempts, max_attempts, created_at, updated_at) \
                 SELECT $1, '{\"delivery_id\":' || d.id || '}', $1 || ':' || d.id, 'queued', $2, 0, $3, $2, $2 \
                 FROM campaign_deliveries d WHERE d.campaign_id = $4 AND d.channel = $5 ON CONFLICT (dedup_key) DO NOTHING",
            )
            .bind(EMAIL_JOB)
            .bind(now)
            .bind(MAX_ATTEMPTS)
            .bind(id)
            .bind(format!("email:{}", ch.id))
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query(
                "INSERT INTO campaign_robot_deliveries (campaign_id, channel_id, status, reason, attempts, queued_at, sent_at) \
                 VALUES ($1, $2, 'queued', NULL, 0, $3, $4) ON CONFLICT (campaign_id, channel_id) DO NOTHING",
            )
            .bind(id)
            .bind(ch.id)
            .bind(now)
            .bind(None::<i64>)
            .execute(&mut *tx)
            .await?;
            enqueue_with(
                &mut *tx,
                clock,
                NewJob::new(
                    ROBOT_JOB,
                    serde_json::json!({"campaign_id": id, "channel_id": ch.id}),
                )
                .dedup(format!("{ROBOT_JOB}:{id}:{}", ch.id))
                .max_attempts(MAX_ATTEMPTS),
            )
            .await?;
        }
    }
    rebuild_reach(&mut tx, id).await?;
    let size: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(audience), 0) AS BIGINT) FROM campaign_reach WHERE campaign_id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE campaigns SET status = 'sent', sent_at = $1, audience_size = $2 WHERE id = $3 AND status = 'sending'",
    )
    .bind(now)
    .bind(size)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    crate::inbox::bump();
    Ok(())
}

/// Whether the in-app inbox reaches student `s`: an activated account, enabled and current on
/// the roster. Everyone else in the audience is counted, as unreachable, never as delivered.
const INBOX_REACHABLE: &str = "EXISTS (SELECT 1 FROM accounts a WHERE a.student_id = s.id AND a.activated_at IS NOT NULL AND a.disabled = 0 AND a.roster_status = 'current')";
const INBOX_STATUS: &str = "CASE WHEN EXISTS (SELECT 1 FROM accounts a WHERE a.student_id = s.id AND a.activated_at IS NOT NULL AND a.disabled = 0 AND a.roster_status = 'current') THEN 'sent' ELSE 'unreachable' END";
const INBOX_REASON: &str = "CASE WHEN EXISTS (SELECT 1 FROM accounts a WHERE a.student_id = s.id AND a.activated_at IS NOT NULL AND a.disabled = 0 AND a.roster_status = 'current') THEN NULL ELSE 'no_active_account' END";

/// Recomputes the reach rollups of a campaign from its deliveries (the fan-out, and after bulk
/// changes such as seeding demo data).
pub async fn rebuild_reach(tx: &mut Tx<'_>, campaign_id: i64) -> SvcResult<()> {
    for sql in [
        "DELETE FROM campaign_reach WHERE campaign_id = $1",
        "DELETE FROM campaign_reach_days WHERE campaign_id = $1",
        "INSERT INTO campaign_reach (campaign_id, unit_path, audience, sent, opened, acknowledged, quiz_passed, clicked, unreachable) \
         SELECT campaign_id, unit_path, COUNT(*), COUNT(sent_at), COUNT(opened_at), COUNT(acknowledged_at), COUNT(quiz_passed_at), \
         SUM(CASE WHEN clicks > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'unreachable' THEN 1 ELSE 0 END) \
         FROM campaign_deliveries WHERE campaign_id = $1 AND channel = 'inbox' \
         GROUP BY campaign_id, unit_path",
        "INSERT INTO campaign_reach_days (campaign_id, day, opened, acknowledged) \
         SELECT $1, day, SUM(o), SUM(a) FROM ( \
           SELECT opened_at - opened_at % 86400000 AS day, 1 AS o, 0 AS a FROM campaign_deliveries \
           WHERE campaign_id = $1 AND channel = 'inbox' AND opened_at IS NOT NULL \
           UNION ALL SELECT acknowledged_at - acknowledged_at % 86400000, 0, 1 FROM campaign_deliveries \
           WHERE campaign_id = $1 AND channel = 'inbox' AND acknowledged_at IS NOT NULL) t GROUP BY day",
    ] {
        sqlx::query(sql).bind(campaign_id).execute(&mut **tx).await?;
    }
    Ok(())
}

/// When a channel already carried its rate in the last minute — campaign sends and warning
/// notices together (`warnings::notify`), since a robot counts every post — the time a slot
/// frees; `None` when one is free now.
pub async fn rate_wait(db: &Db, now: i64, channel: &store::Channel) -> SvcResult<Option<i64>> {
    let since = now - 60_000;
    let campaigns: i64 = if channel.kind == "email" {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM campaign_deliveries WHERE channel = $1 AND sent_at > $2",
        )
        .bind(format!("email:{}", channel.id))
        .bind(since)
        .fetch_one(&db.pool)
        .await?
    } else {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM campaign_robot_deliveries WHERE channel_id = $1 AND sent_at > $2",
        )
        .bind(channel.id)
        .bind(since)
        .fetch_one(&db.pool)
        .await?
    };
    let warnings: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM warning_notifications WHERE channel_id = $1 AND sent_at > $2",
    )
    .bind(channel.id)
    .bind(since)
    .fetch_one(&db.pool)
    .await?;
    let rate = channel.rate_per_min.max(1);
    Ok((campaigns + warnings >= rate).then_some(now + 60_000 / rate))
}

/// Re-queues the same work later without spending an attempt (rate limit).
async fn defer(db: &Db, clock: &Clock, job: &Job, at: i64) -> Result<(), String> {
    enqueue_with(
        &db.pool,
        clock,
        NewJob::new(job.kind.clone(), job.payload.clone())
            .dedup(format!("{}:{}:deferred:{}", job.kind, job.id, at))
            .run_at(at)
            .max_attempts(MAX_ATTEMPTS),
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(())
}

async fn robot_job(
    db: &Db,
    clock: &Clock,
    s: &ChannelSettings,
    client: &reqwest::Client,
    job: &Job,
) -> Result<(), String> {
    let cid = job.payload["campaign_id"].as_i64().ok_or("no campaign")?;
    let chid = job.payload["channel_id"].as_i64().ok_or("no channel")?;
    let status: Option<String> = sqlx::query_scalar(
        "SELECT status FROM campaign_robot_deliveries WHERE campaign_id = $1 AND channel_id = $2",
    )
    .bind(cid)
    .bind(chid)
    .fetch_optional(&db.pool)
    .await
    .map_err(|e| e.to_string())?;
    // Sent, recalled or failed for good: nothing to do (never post twice).
    if status.as_deref() != Some("queued") {
        return Ok(());
    }
    let c = store::campaign_by_id(db, cid)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("campaign gone")?;
    let ch = store::channel_by_id(db, chid)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("channel gone")?;
    let content = store::content_by_id(db, c.content_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("content gone")?;
    let now = clock.now_ms();
    // A channel disabled after the campaign was queued carries nothing more: the post fails at
    // once with its reason instead of being retried.
    let result = if !ch.enabled() {
        Err(CHANNEL_DISABLED.to_string())
    } else {
        if let Some(at) = rate_wait(db, now, &ch).await.map_err(|e| e.to_string())? {
            return defer(db, clock, job, at).await;
        }
        robot_post(client, s, &ch, &c, &content, now).await
    };
    let last = job.attempt >= MAX_ATTEMPTS || !ch.enabled();
    let (st, reason, sent_at) = super::channels::settle(&result, last, clock.now_ms());
    sqlx::query(
        "UPDATE campaign_robot_deliveries SET status = $1, reason = $2, attempts = $3, sent_at = $4 WHERE campaign_id = $5 AND channel_id = $6 AND status = 'queued'",
    )
    .bind(st)
    .bind(reason)
    .bind(job.attempt)
    .bind(sent_at)
    .bind(cid)
    .bind(chid)
    .execute(&db.pool)
    .await
    .map_err(|e| e.to_string())?;
    if !ch.enabled() {
        return Ok(());
    }
    result
}

/// The reason left on what a disabled channel would have carried.
pub const CHANNEL_DISABLED: &str = "channel disabled";

async fn robot_post(
    client: &reqwest::Client,
    s: &ChannelSettings,
    ch: &store::Channel,
    c: &Campaign,
    content: &Content,
    now: i64,
) -> Result<(), String> {
    let cid = c.id;
    let kind: ChannelKind = ch.kind.parse().map_err(|_| "unknown channel kind")?;
    let post = channels::Post {
        campaign_id: cid,
        title: c.title.clone(),
        summary: summary_of(content),
        link: format!("{}/campaigns/c/{}", s.public_url.trim_end_matches('/'), cid),
        fraud_type: c.fraud_type.id().to_string(),
    };
    let target = channels::Target {
        kind,
        url: ch.url.clone(),
        secret: ch.secret.clone(),
    };
    channels::post(client, &target, &post, now, s.timeout).await
}

async fn email_job(db: &Db, clock: &Clock, s: &ChannelSettings, job: &Job) -> Result<(), String> {
    let did = job.payload["delivery_id"].as_i64().ok_or("no delivery")?;
    let d = store::delivery_by_id(db, did)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("delivery gone")?;
    if d.status != "queued" {
        return Ok(());
    }
    let chid: i64 = d
        .channel
        .strip_prefix("email:")
        .and_then(|x| x.parse().ok())
        .ok_or("not an email delivery")?;
    let ch = store::channel_by_id(db, chid)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("channel gone")?;
    let c = store::campaign_by_id(db, d.campaign_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("campaign gone")?;
    let content = store::content_by_id(db, c.content_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("content gone")?;
    let now = clock.now_ms();
    if !ch.enabled() {
        sqlx::query(
            "UPDATE campaign_deliveries SET status = 'failed', reason = $1, attempts = $2 WHERE id = $3 AND status = 'queued'",
        )
        .bind(CHANNEL_DISABLED)
        .bind(job.attempt)
        .bind(d.id)
        .execute(&db.pool)
        .await
        .map_err(|e| e.to_string())?;
        return Ok(());
    }
    if let Some(at) = rate_wait(db, now, &ch).await.map_err(|e| e.to_string())? {
        return defer(db, clock, job, at).await;
    }
    // The link opens the person's inbox delivery, where reading is tracked.
    let inbox_id: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM campaign_deliveries WHERE campaign_id = $1 AND person = $2 AND channel = 'inbox'",
    )
    .bind(d.campaign_id)
    .bind(&d.person)
    .fetch_optional(&db.pool)
    .await
    .map_err(|e| e.to_string())?;
    let link = format!(
        "{}/campaigns/d/{}",
        s.public_url.trim_end_matches('/'),
        inbox_id.unwrap_or(d.id)
    );
    let mail = channels::Mail {
        from: ch.sender.clone().unwrap_or_default(),
        to: d.address.clone().unwrap_or_default(),
        subject: c.title.clone(),
        body: format!("{}\n\n{}\n\n{}", c.title, summary_of(&content), link),
    };
    let result = channels::send_mail(&ch.url, &mail, s.timeout).await;
    let last = job.attempt >= MAX_ATTEMPTS;
    let (st, reason, sent_at) = super::channels::settle(&result, last, clock.now_ms());
    sqlx::query(
        "UPDATE campaign_deliveries SET status = $1, reason = $2, attempts = $3, sent_at = $4 WHERE id = $5 AND status = 'queued'",
    )
    .bind(st)
    .bind(reason)
    .bind(job.attempt)
    .bind(sent_at)
    .bind(did)
    .execute(&db.pool)
    .await
    .map_err(|e| e.to_string())?;
    if let Some(at) = sent_at {
        reached_outside(db, did, at)
            .await
            .map_err(|e| e.to_string())?;
    }
    result
}

/// An outside channel (email) reached a person the inbox could not: their delivery counts as
/// delivered from now on, once, and no longer as unreachable.
async fn reached_outside(db: &Db, outside_delivery: i64, at: i64) -> SvcResult<()> {
    let mut tx = db.begin_write().await?;
    let inbox: Option<(i64, String)> = sqlx::query_as(
        "SELECT i.campaign_id, i.unit_path FROM campaign_deliveries o JOIN campaign_deliveries i \
         ON i.campaign_id = o.campaign_id AND i.person = o.person AND i.channel = 'inbox' \
         WHERE o.id = $1 AND i.status = 'unreachable'",
    )
    .bind(outside_delivery)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((campaign, path)) = inbox {
        let changed = sqlx::query(
            "UPDATE campaign_deliveries SET status = 'reached_outside', reason = NULL, sent_at = $1 \
             WHERE campaign_id = $2 AND channel = 'inbox' AND status = 'unreachable' \
             AND person = (SELECT person FROM campaign_deliveries WHERE id = $3)",
        )
        .bind(at)
        .bind(campaign)
        .bind(outside_delivery)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 1 {
            sqlx::query(
                "UPDATE campaign_reach SET sent = sent + 1, unreachable = unreachable - 1 \
                 WHERE campaign_id = $1 AND unit_path = $2",
            )
            .bind(campaign)
            .bind(&path)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------- tracking

/// The caller's own inbox delivery; anyone else's is not found (and not touched).
pub async fn own_delivery(db: &Db, p: &Principal, id: i64) -> SvcResult<store::Delivery> {
    let d = store::delivery_by_id(db, id)
        .await?
        .filter(|d| d.channel == "inbox" && d.status != "recalled")
        .ok_or(SvcError::NotFound)?;
    if p.recipients().contains(&d.person) {
        Ok(d)
    } else {
        Err(SvcError::NotFound)
    }
}

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

/// Sets one tracking time of a delivery if it was unset, and counts it in the rollups; true when
/// this call set it (so a second open, acknowledgement or pass counts nothing).
async fn mark(
    tx: &mut Tx<'_>,
    now: i64,
    d: &store::Delivery,
    col: &'static str,
) -> SvcResult<bool> {
    let (stat, per_day) = match col {
        "opened_at" => ("opened", true),
        "acknowledged_at" => ("acknowledged", true),
        "quiz_passed_at" => ("quiz_passed", false),
        _ => return Err(SvcError::NotFound),
    };
    let n = sqlx::query(&format!(
        "UPDATE campaign_deliveries SET {col} = $1 WHERE id = $2 AND {col} IS NULL"
    ))
    .bind(now)
    .bind(d.id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n != 1 {
        return Ok(false);
    }
    sqlx::query(&format!(
        "UPDATE campaign_reach SET {stat} = {stat} + 1 WHERE campaign_id = $1 AND unit_path = $2"
    ))
    .bind(d.campaign_id)
    .bind(&d.unit_path)
    .execute(&mut **tx)
    .await?;
    if per_day {
        let (o, a) = if stat == "opened" {
            (1i64, 0i64)
        } else {
            (0, 1)
        };
        sqlx::query(&format!(
            "INSERT INTO campaign_reach_days (campaign_id, day, opened, acknowledged) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (campaign_id, day) DO UPDATE SET {stat} = campaign_reach_days.{stat} + 1"
        ))
        .bind(d.campaign_id)
        .bind(now - now.rem_euclid(86_400_000))
        .bind(o)
        .bind(a)
        .execute(&mut **tx)
        .await?;
    }
    Ok(true)
}

/// Records that the person opened their delivery (once) and marks its inbox message read.
pub async fn open(db: &Db, clock: &Clock, p: &Principal, id: i64) -> SvcResult<store::Delivery> {
    let d = own_delivery(db, p, id).await?;
    if d.opened_at.is_none() {
        let now = clock.now_ms();
        let mut tx = db.begin_write().await?;
        mark(&mut tx, now, &d, "opened_at").await?;
        sqlx::query(
            "UPDATE inbox_messages SET read_at = COALESCE(read_at, $1) WHERE recipient = $2 AND source = $3",
        )
        .bind(now)
        .bind(&d.person)
        .bind(format!("campaign:{}", d.campaign_id))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        crate::inbox::bump();
    }
    store::delivery_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)
}

/// "I have read and understood": recorded once, implies opened.
pub async fn acknowledge(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    id: i64,
) -> SvcResult<store::Delivery> {
    let d = open(db, clock, p, id).await?;
    if d.acknowledged_at.is_none() {
        let mut tx = db.begin_write().await?;
        mark(&mut tx, clock.now_ms(), &d, "acknowledged_at").await?;
        tx.commit().await?;
    }
    store::delivery_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)
}

/// Checks the answers of the optional questions; all right records the check as passed.
pub async fn answer_quiz(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    id: i64,
    answers: &[usize],
) -> SvcResult<bool> {
    let d = own_delivery(db, p, id).await?;
    let c = store::campaign_by_id(db, d.campaign_id)
        .await?
        .ok_or(SvcError::NotFound)?;
    let content = content_version(db, c.content_id, c.content_version).await?;
    if content.quiz.is_empty() {
        return refuse("camp-err-no-quiz");
    }
    if answers.len() != content.quiz.len() {
        return refuse("camp-err-answers");
    }
    let right = content
        .quiz
        .iter()
        .zip(answers)
        .all(|(q, a)| q.answer == *a);
    if right {
        let now = clock.now_ms();
        let mut tx = db.begin_write().await?;
        mark(&mut tx, now, &d, "opened_at").await?;
        mark(&mut tx, now, &d, "quiz_passed_at").await?;
        tx.commit().await?;
    }
    Ok(right)
}

/// The content as it was when the campaign was created (the version it froze).
pub async fn content_version(db: &Db, content_id: i64, version: i64) -> SvcResult<Content> {
    let mut c = store::content_by_id(db, content_id)
        .await?
        .ok_or(SvcError::NotFound)?;
    if c.version != version {
        let r = sqlx::query(
            "SELECT title, body_md, media_url, fraud_types, target_hint, quiz FROM campaign_content_versions WHERE content_id = $1 AND version = $2",
        )
        .bind(content_id)
        .bind(version)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(SvcError::NotFound)?;
        c.title = r.try_get(0)?;
        c.body_md = r.try_get(1)?;
        c.media_url = r.try_get(2)?;
        let ft: String = r.try_get(3)?;
        c.fraud_types = ft.split(',').map(String::from).collect();
        c.target_hint = r.try_get(4)?;
        let q: String = r.try_get(5)?;
        c.quiz = serde_json::from_str(&q).unwrap_or_default();
        c.body_html = render::render(&c.body_md, None).html;
        c.version = version;
    }
    Ok(c)
}

/// A click on link `n` of the delivery's content: recorded, then the target to redirect to.
pub async fn click(db: &Db, clock: &Clock, p: &Principal, id: i64, n: usize) -> SvcResult<String> {
    let d = own_delivery(db, p, id).await?;
    let c = store::campaign_by_id(db, d.campaign_id)
        .await?
        .ok_or(SvcError::NotFound)?;
    let content = content_version(db, c.content_id, c.content_version).await?;
    let url = render::links(&content.body_md)
        .into_iter()
        .nth(n)
        .ok_or(SvcError::NotFound)?;
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    sqlx::query("INSERT INTO campaign_clicks (delivery_id, url, at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(&url)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    mark(&mut tx, now, &d, "opened_at").await?;
    // The first click of a person counts them as "clicked".
    let first =
        sqlx::query("UPDATE campaign_deliveries SET clicks = 1 WHERE id = $1 AND clicks = 0")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
    if first {
        sqlx::query("UPDATE campaign_reach SET clicked = clicked + 1 WHERE campaign_id = $1 AND unit_path = $2")
            .bind(d.campaign_id)
            .bind(&d.unit_path)
            .execute(&mut *tx)
            .await?;
    } else {
        sqlx::query("UPDATE campaign_deliveries SET clicks = clicks + 1 WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(url)
}

// ---------------------------------------------------------------- reach

/// The funnel of a campaign (inbox deliveries: one per person) within some subtrees.
#[derive(Clone, Debug, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Funnel {
    pub audience: i64,
    /// Delivered: reached in the inbox (an active account) or by an outside channel that
    /// reaches the person (email). Group robot posts never count here.
    pub sent: i64,
    /// In the audience but reachable by no channel (no active account, no outside address):
    /// counted in the audience, never as delivered.
    pub unreachable: i64,
    pub opened: i64,
    pub acknowledged: i64,
    pub quiz_passed: i64,
    pub clicked: i64,
    /// acknowledged / audience, 0–1.
    pub reach: f64,
}

impl Funnel {
    fn finish(mut self) -> Self {
        self.reach = if self.audience > 0 {
            self.acknowledged as f64 / self.audience as f64
        } else {
            0.0
        };
        self
    }
    fn add(&mut self, o: &Funnel) {
        self.audience += o.audience;
        self.sent += o.sent;
        self.unreachable += o.unreachable;
        self.opened += o.opened;
        self.acknowledged += o.acknowledged;
        self.quiz_passed += o.quiz_passed;
        self.clicked += o.clicked;
    }
}

/// One unit of the reach tree.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ReachNode {
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub path: String,
    pub funnel: Funnel,
    #[schema(no_recursion)]
    pub children: Vec<ReachNode>,
}

/// Funnel per delivery unit path (classes, or staff units) of a campaign under `root`, from the
/// rollup.
async fn funnel_by_path(
    db: &Db,
    campaign_id: i64,
    root: &str,
) -> SvcResult<BTreeMap<String, Funnel>> {
    let rows = sqlx::query(
        "SELECT unit_path, audience, sent, opened, acknowledged, quiz_passed, clicked, unreachable FROM campaign_reach \
         WHERE campaign_id = $1 AND unit_path LIKE $2",
    )
    .bind(campaign_id)
    .bind(format!("{root}%"))
    .fetch_all(&db.pool)
    .await?;
    let mut m = BTreeMap::new();
    for r in rows {
        m.insert(
            r.try_get::<String, _>(0)?,
            Funnel {
                audience: r.try_get(1)?,
                sent: r.try_get(2)?,
                opened: r.try_get(3)?,
                acknowledged: r.try_get(4)?,
                quiz_passed: r.try_get(5)?,
                clicked: r.try_get(6)?,
                unreachable: r.try_get(7)?,
                reach: 0.0,
            },
        );
    }
    Ok(m)
}

/// The reach tree of a campaign below `root` (province → school → college → class), each node's
/// funnel rolled up from the classes under it. Units without audience are left out.
pub async fn reach_tree(db: &Db, campaign_id: i64, root: &str) -> SvcResult<Option<ReachNode>> {
    let by_path = funnel_by_path(db, campaign_id, root).await?;
    let tree = unit_tree(db).await?;
    let Some(&root_ix) = tree.by_path.get(root) else {
        return Ok(None);
    };
    // Each rollup row belongs to its unit (or, for a unit the cached tree does not know, to its
    // nearest known ancestor); totals are summed bottom-up while building.
    let mut own: std::collections::HashMap<usize, Funnel> = std::collections::HashMap::new();
    for (path, f) in &by_path {
        let mut p = path.as_str();
        let ix = loop {
            if let Some(&ix) = tree.by_path.get(p) {
                break Some(ix);
            }
            // "/1/5/9/" → "/1/5/"
            match p[..p.len().saturating_sub(1)].rfind('/') {
                Some(i) if i + 1 >= root.len() => p = &p[..=i],
                _ => break None,
            }
        };
        if let Some(ix) = ix {
            own.entry(ix).or_default().add(f);
        }
    }
    fn build(
        ix: usize,
        tree: &UnitTree,
        own: &std::collections::HashMap<usize, Funnel>,
    ) -> Option<ReachNode> {
        let children: Vec<ReachNode> = tree.kids[ix]
            .iter()
            .filter_map(|&c| build(c, tree, own))
            .collect();
        let mine = own.get(&ix);
        if mine.is_none() && children.is_empty() {
            return None;
        }
        let mut f = mine.cloned().unwrap_or_default();
        for c in &children {
            f.add(&c.funnel);
        }
        let u = &tree.units[ix];
        Some(ReachNode {
            unit_id: u.id,
            code: u.code.clone(),
            name: u.name.clone(),
            kind: u.kind.as_str().to_string(),
            path: u.path.clone(),
            funnel: f.finish(),
            children,
        })
    }
    Ok(build(root_ix, &tree, &own))
}

/// All units, linked parent → children, kept per process and per database. Units are only ever
/// added (`org::store::create_unit`; the org module has no rename, move or delete), so the number
/// of units and the highest id identify a version of the tree: one cheap query per use tells
/// whether the cached tree is current, also when another process added units.
pub struct UnitTree {
    units: Vec<Unit>,
    /// Indices of each unit's children, in path order.
    kids: Vec<Vec<usize>>,
    by_path: std::collections::HashMap<String, usize>,
}

impl UnitTree {
    pub fn len(&self) -> usize {
        self.units.len()
    }
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }
    pub fn has(&self, path: &str) -> bool {
        self.by_path.contains_key(path)
    }
}

type TreeCacheEntry = (
    std::sync::Arc<sqlx::any::AnyConnectOptions>,
    (i64, i64),
    std::sync::Arc<UnitTree>,
);

/// One entry per database (pool) of this process; holding the pool's options keeps their
/// address, the key, from being reused by another pool.
static UNIT_TREES: std::sync::Mutex<Vec<TreeCacheEntry>> = std::sync::Mutex::new(Vec::new());
const UNIT_TREES_KEPT: usize = 4;

pub async fn unit_tree(db: &Db) -> SvcResult<std::sync::Arc<UnitTree>> {
    let version: (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM units")
            .fetch_one(&db.pool)
            .await?;
    let opts = db.pool.connect_options();
    {
        let cache = UNIT_TREES.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, _, t)) = cache
            .iter()
            .find(|(o, v, _)| std::sync::Arc::ptr_eq(o, &opts) && *v == version)
        {
            return Ok(t.clone());
        }
    }
    let units = crate::org::store::subtree(db, "/").await?;
    let by_path: std::collections::HashMap<String, usize> = units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.path.clone(), i))
        .collect();
    let by_id: std::collections::HashMap<i64, usize> =
        units.iter().enumerate().map(|(i, u)| (u.id, i)).collect();
    let mut kids = vec![Vec::new(); units.len()];
    for (i, u) in units.iter().enumerate() {
        if let Some(p) = u.parent_id.and_then(|p| by_id.get(&p)) {
            kids[*p].push(i);
        }
    }
    let tree = std::sync::Arc::new(UnitTree {
        units,
        kids,
        by_path,
    });
    let mut cache = UNIT_TREES.lock().unwrap_or_else(|e| e.into_inner());
    cache.retain(|(o, _, _)| !std::sync::Arc::ptr_eq(o, &opts));
    if cache.len() >= UNIT_TREES_KEPT {
        cache.remove(0);
    }
    cache.push((opts, version, tree.clone()));
    Ok(tree)
}

/// Opens and acknowledgements of one UTC day.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DayCount {
    /// Start of the UTC day, ms.
    pub day: i64,
    pub opened: i64,
    pub acknowledged: i64,
}

/// Opens and acknowledgements per UTC day of a campaign under the roots.
pub async fn timeline(db: &Db, campaign_id: i64, roots: &[String]) -> SvcResult<Vec<DayCount>> {
    let whole = store::campaign_by_id(db, campaign_id)
        .await?
        .is_some_and(|c| roots.len() == 1 && roots[0] == c.unit_path);
    if whole {
        // The whole campaign: from the per-day rollup.
        let rows = sqlx::query(
            "SELECT day, opened, acknowledged FROM campaign_reach_days WHERE campaign_id = $1 ORDER BY day",
        )
        .bind(campaign_id)
        .fetch_all(&db.pool)
        .await?;
        return rows
            .iter()
            .map(|r| {
                Ok(DayCount {
                    day: r.try_get(0)?,
                    opened: r.try_get(1)?,
                    acknowledged: r.try_get(2)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into);
    }
    // Part of it (a counselor's classes): counted from the deliveries of that subtree.
    let mut m: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for root in roots {
        for (col, is_ack) in [("opened_at", false), ("acknowledged_at", true)] {
            let rows = sqlx::query(&format!(
                "SELECT {col} / 86400000, COUNT(*) FROM campaign_deliveries WHERE campaign_id = $1 AND channel = 'inbox' \
                 AND unit_path LIKE $2 AND {col} IS NOT NULL GROUP BY {col} / 86400000"
            ))
            .bind(campaign_id)
            .bind(format!("{root}%"))
            .fetch_all(&db.pool)
            .await?;
            for r in rows {
                let day: i64 = r.try_get(0)?;
                let n: i64 = r.try_get(1)?;
                let e = m.entry(day * 86_400_000).or_default();
                if is_ack {
                    e.1 += n;
                } else {
                    e.0 += n;
                }
            }
        }
    }
    Ok(m.into_iter()
        .map(|(day, (opened, acknowledged))| DayCount {
            day,
            opened,
            acknowledged,
        })
        .collect())
}

/// Funnel totals of a campaign under the roots.
pub fn total(trees: &[ReachNode]) -> Funnel {
    let mut f = Funnel::default();
    for t in trees {
        f.add(&t.funnel);
    }
    f.finish()
}

/// Units of the trees whose reach is under `threshold` (0–1), lowest first.
pub fn units_below(trees: &[ReachNode], threshold: f64) -> Vec<ReachNode> {
    fn walk(n: &ReachNode, t: f64, out: &mut Vec<ReachNode>) {
        if n.funnel.reach < t {
            let mut leaf = n.clone();
            leaf.children.clear();
            out.push(leaf);
        }
        for c in &n.children {
            walk(c, t, out);
        }
    }
    let mut out = Vec::new();
    for t in trees {
        walk(t, threshold, &mut out);
    }
    out.sort_by(|a, b| {
        a.funnel
            .reach
            .total_cmp(&b.funnel.reach)
            .then(a.path.cmp(&b.path))
    });
    out
}

/// A person a counselor should reach.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct GapPerson {
    pub student_id: i64,
    pub student_no: String,
    pub name: String,
    pub class_name: String,
    /// The fraud type of the recorded case (victim list only).
    pub fraud_type: Option<String>,
}

/// Enrolled students under `path` who acknowledged no campaign in the last `days` days, one
/// page of them (`limit` from `offset`, by class then student number) with the total; `search`
/// keeps those whose name or student number contains it.
pub async fn never_reached(
    db: &Db,
    clock: &Clock,
    path: &str,
    days: i64,
    search: &str,
    limit: i64,
    offset: i64,
) -> SvcResult<(i64, Vec<GapPerson>)> {
    let since = clock.now_ms() - days * 86_400_000;
    let search = search.trim();
    let like = format!("%{}%", search.replace(['%', '_'], ""));
    let cond = "FROM students s JOIN units u ON u.id = s.class_id WHERE u.path LIKE $1 AND s.status = 'enrolled' \
         AND ($3 = '' OR s.name LIKE $4 OR s.student_no LIKE $4) \
         AND NOT EXISTS (SELECT 1 FROM campaign_deliveries d WHERE d.person = 'student:' || s.id AND d.channel = 'inbox' AND d.acknowledged_at >= $2)";
    let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {cond}"))
        .bind(format!("{path}%"))
        .bind(since)
        .bind(search)
        .bind(&like)
        .fetch_one(&db.pool)
        .await?;
    let rows = sqlx::query(&format!(
        "SELECT s.id, s.student_no, s.name, u.name {cond} ORDER BY u.path, s.student_no LIMIT $5 OFFSET $6"
    ))
    .bind(format!("{path}%"))
    .bind(since)
    .bind(search)
    .bind(&like)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?;
    let v = rows
        .iter()
        .map(|r| {
            Ok(GapPerson {
                student_id: r.try_get(0)?,
                student_no: r.try_get(1)?,
                name: crate::org::model::mask_name(&r.try_get::<String, _>(2)?),
                class_name: r.try_get(3)?,
                fraud_type: None,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok((n, v))
}

/// CONTRACT (cases, migration 0004): victims recorded in `cases` under `path` who never
/// acknowledged a campaign warning of their case's fraud type. Empty until cases is merged.
pub async fn unwarned_victims(db: &Db, path: &str, limit: i64) -> SvcResult<Vec<GapPerson>> {
    let exists: i64 = match db.backend {
        crate::db::Backend::Sqlite => sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'cases'",
        ),
        crate::db::Backend::Postgres => sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'cases'",
        ),
    }
    .fetch_one(&db.pool)
    .await?;
    if exists == 0 {
        return Ok(vec![]);
    }
    let rows = sqlx::query(
        "SELECT DISTINCT s.id, s.student_no, s.name, u.name, c.fraud_type FROM cases c \
         JOIN students s ON s.id = c.victim_student_id JOIN units u ON u.id = s.class_id \
         WHERE c.unit_path LIKE $1 AND NOT EXISTS (SELECT 1 FROM campaign_deliveries d JOIN campaigns k ON k.id = d.campaign_id \
         WHERE d.person = 'student:' || s.id AND d.channel = 'inbox' AND k.fraud_type = c.fraud_type AND d.acknowledged_at IS NOT NULL) \
         ORDER BY s.id LIMIT $2",
    )
    .bind(format!("{path}%"))
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(GapPerson {
                student_id: r.try_get(0)?,
                student_no: r.try_get(1)?,
                name: crate::org::model::mask_name(&r.try_get::<String, _>(2)?),
                class_name: r.try_get(3)?,
                fraud_type: Some(r.try_get(4)?),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}
