//! Rules of warnings: matching a person, routing to the one responsible person, the clocks and the
//! escalation up the chain, and what each role may do to a warning.

use sqlx::AnyConnection;

use super::model::*;
use super::store::{self, Link, StudentRef};
use crate::audit::Actor;
use crate::auth::model::{Principal, Role};
use crate::auth::policy::{self, Action};
use crate::clock::{Clock, Millis};
use crate::db::jobs::{enqueue_with, NewJob};
use crate::db::{Db, DbError};
use crate::error::{AppError, Msg};
use crate::i18n::Lang;
use crate::inbox::{self, Notice, Recipient};

/// The job that runs the escalation scan; one is queued at (the second after) every deadline.
pub const TICK_JOB: &str = "warnings.tick";
/// Escalations handled per query of the scan.
const SCAN_PAGE: i64 = 500;

#[derive(Debug, thiserror::Error)]
pub enum WarnError {
    #[error("refused")]
    Refused(Vec<Msg>),
    /// Rows of a batch refused: (line, reason).
    #[error("batch refused")]
    RefusedLines(Vec<(usize, Msg)>),
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("conflict {0}")]
    Conflict(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for WarnError {
    fn from(e: sqlx::Error) -> Self {
        WarnError::Db(e.into())
    }
}

impl From<WarnError> for AppError {
    fn from(e: WarnError) -> Self {
        match e {
            WarnError::Refused(details) => {
                AppError::unprocessable("warn-err-refused").details(details)
            }
            WarnError::RefusedLines(lines) => AppError::unprocessable("warn-err-batch")
                .details(lines.iter().map(|(l, m)| line_msg(*l, m)).collect()),
            WarnError::NotFound => AppError::not_found(),
            WarnError::Forbidden => AppError::forbidden(),
            WarnError::Conflict(key) => AppError::conflict(key),
            WarnError::Db(e) => e.into(),
        }
    }
}

/// Refused lines of a batch: (line number, reason).
pub type LineErrors = Vec<(usize, Msg)>;

/// The refusal of one line of a batch ("line 4: …"), rendered in the reader's language.
pub fn line_msg(line: usize, m: &Msg) -> Msg {
    Msg::new("warn-err-line")
        .arg("line", line)
        .arg_msg("error", m.clone())
}

fn refuse(key: &str) -> WarnError {
    WarnError::Refused(vec![Msg::new(key)])
}

/// Who issues a warning.
#[derive(Clone, Debug)]
pub struct Issuer {
    pub account_id: Option<i64>,
    pub name: String,
    /// `police`, `partner` or `internal`.
    pub kind: &'static str,
    /// Unit paths the issuer may warn about (matching looks only here).
    pub scopes: Vec<String>,
    /// The issuer's own unit path (queue of unmatched warnings without a school).
    pub home_path: String,
}

impl Issuer {
    /// The issuer behind a principal allowed to issue warnings.
    pub fn of(p: &Principal) -> Option<Issuer> {
        let scopes = policy::scopes_for(p, Action::IssueWarning);
        let grant = p
            .grants
            .iter()
            .find(|g| matches!(g.role, Role::Police | Role::Partner))?;
        Some(Issuer {
            account_id: Some(p.account_id),
            name: p.username.clone(),
            kind: if grant.role == Role::Police {
                "police"
            } else {
                "partner"
            },
            home_path: grant.scope_paths.first().cloned().unwrap_or_default(),
            scopes,
        })
    }
}

/// The raw fields of a warning as a form, CSV row or JSON body gives them.
#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct WarningInput {
    /// A partner's own reference for the warning (up to 100 characters), echoed in its receipt.
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub student_no: Option<String>,
    #[serde(default)]
    pub school_code: Option<String>,
    pub fraud_type: String,
    pub severity: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub source: String,
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Checks the fields of a warning; every problem is reported, nothing is written.
pub fn parse_input(i: &WarningInput) -> Result<NewWarning, Vec<Msg>> {
    let mut errs = Vec::new();
    let phone = match nonempty(&i.phone) {
        Some(p) => match WarnPhone::parse(p) {
            Some(p) => Some(p),
            None => {
                errs.push(Msg::new("warn-err-phone").arg("value", p));
                None
            }
        },
        None => None,
    };
    let student_no = match nonempty(&i.student_no) {
        Some(n) => match crate::org::model::PersonNo::parse(n) {
            Some(n) => Some(n),
            None => {
                errs.push(Msg::new("warn-err-student-no").arg("value", n));
                None
            }
        },
        None => None,
    };
    if nonempty(&i.phone).is_none() && nonempty(&i.student_no).is_none() {
        errs.push(Msg::new("warn-err-who"));
    }
    let fraud_type = parse_fraud_type(&i.fraud_type);
    if fraud_type.is_none() {
        errs.push(Msg::new("warn-err-fraud-type").arg("value", i.fraud_type.trim()));
    }
    let severity = Severity::parse(&i.severity);
    if severity.is_none() {
        errs.push(Msg::new("warn-err-severity").arg("value", i.severity.trim()));
    }
    let detail = match crate::text::multiline(&i.detail) {
        Ok(d) => d.to_string(),
        Err(e) => {
            errs.push(Msg::new(e.key()));
            String::new()
        }
    };
    if detail.chars().count() > 2000 {
        errs.push(Msg::new("warn-err-detail"));
    }
    let origin = match crate::text::name(&i.source) {
        Ok(o) => o.to_string(),
        Err(e) => {
            errs.push(Msg::new(e.key()));
            String::new()
        }
    };
    if origin.chars().count() > 200 {
        errs.push(Msg::new("warn-err-source"));
    }
    match (fraud_type, severity) {
        (Some(fraud_type), Some(severity)) if errs.is_empty() => Ok(NewWarning {
            subject: Subject {
                phone,
                student_no,
                school_code: nonempty(&i.school_code).map(str::to_string),
            },
            fraud_type,
            severity,
            detail,
            origin,
            idempotency_key: None,
            kind: WarnKind::Fraud,
        }),
        _ => Err(errs),
    }
}

fn in_scope(path: &str, scopes: &[String]) -> bool {
    scopes.iter().any(|s| path.starts_with(s.as_str()))
}

/// Whom a warning is about, once matched.
enum Matched {
    Student(StudentRef),
    /// Nobody matched; the queue is the school's when one is known.
    Unmatched {
        school: Option<(i64, String)>,
    },
}

async fn match_subject(
    c: &mut AnyConnection,
    cache: &RouteCache,
    issuer: &Issuer,
    s: &Subject,
) -> Result<Matched, WarnError> {
    let school = match &s.school_code {
        Some(code) => {
            let row: Option<(i64, String, String)> =
                sqlx::query_as("SELECT id, path, kind FROM units WHERE code = $1")
                    .bind(code)
                    .fetch_optional(&mut *c)
                    .await?;
            match row {
                Some((id, path, kind)) if kind == "school" && in_scope(&path, &issuer.scopes) => {
                    Some((id, path))
                }
                _ => {
                    return Err(WarnError::Refused(vec![
                        Msg::new("warn-err-school").arg("value", code)
                    ]))
                }
            }
        }
        None => None,
    };
    let school_id = school.as_ref().map(|s| s.0);
    if let Some(no) = &s.student_no {
        let found: Vec<StudentRef> = store::students_by_no(c, no.as_str(), school_id)
            .await?
            .into_iter()
            .filter(|st| in_scope(&st.class_path, &issuer.scopes))
            .collect();
        match found.len() {
            1 => return Ok(Matched::Student(found.into_iter().next().expect("one"))),
            0 if s.phone.is_none() => {
                return Err(WarnError::Refused(vec![Msg::new(
                    "warn-err-unknown-student",
                )
                .arg("value", no.as_str())]))
            }
            _ => {}
        }
    }
    if let Some(phone) = &s.phone {
        let candidates = match cache.phones.as_ref().and_then(|m| m.get(phone.as_str())) {
            Some(v) => v
                .iter()
                .filter(|st| school_id.is_none_or(|id| st.school_id == id))
                .cloned()
                .collect(),
            None => store::students_by_phone(c, phone.as_str(), school_id).await?,
        };
        let found: Vec<StudentRef> = candidates
            .into_iter()
            .filter(|st| in_scope(&st.class_path, &issuer.scopes))
            .collect();
        if found.len() == 1 {
            return Ok(Matched::Student(found.into_iter().next().expect("one")));
        }
    }
    Ok(Matched::Unmatched { school })
}

/// A cache of chains and settings for one batch or one scan, so 10,000 warnings about a few
/// hundred classes cost a few hundred chain queries.
#[derive(Default)]
pub struct RouteCache {
    chains: std::collections::HashMap<String, Vec<Link>>,
    settings: std::collections::HashMap<i64, Settings>,
    /// Seconds for which a tick job was queued in this batch.
    ticks: std::collections::HashSet<i64>,
    /// Students by phone, loaded at once for a batch (absent: looked up one by one).
    phones: Option<std::collections::HashMap<String, Vec<StudentRef>>>,
    /// In a batch, events and notices are buffered and written with multi-row inserts at the end.
    deferred: Option<Deferred>,
    /// The channels of each school's outside notices.
    channels: std::collections::HashMap<i64, Vec<super::notify::SchoolChannel>>,
    /// The language of each recipient told in this batch or scan.
    langs: std::collections::HashMap<String, Lang>,
}

/// An event buffered by a batch (the columns of `warning_events`).
struct PendingEvent {
    warning_id: i64,
    at: Millis,
    kind: String,
    actor_account_id: Option<i64>,
    actor: String,
    level: i64,
    staff_id: Option<i64>,
    dedup: String,
    detail: String,
}

/// Writes buffered by a batch: events and (recipient, notice, source, at).
#[derive(Default)]
struct Deferred {
    events: Vec<PendingEvent>,
    notices: Vec<(String, Notice, String, Millis)>,
}

impl RouteCache {
    #[allow(clippy::too_many_arguments)]
    async fn event(
        &mut self,
        c: &mut AnyConnection,
        warning_id: i64,
        at: Millis,
        kind: &str,
        actor: (Option<i64>, &str),
        level: i64,
        staff: Option<i64>,
        dedup: &str,
        detail: serde_json::Value,
    ) -> Result<(), DbError> {
        match self.deferred.as_mut() {
            Some(d) => d.events.push(PendingEvent {
                warning_id,
                at,
                kind: kind.to_string(),
                actor_account_id: actor.0,
                actor: actor.1.to_string(),
                level,
                staff_id: staff,
                dedup: dedup.to_string(),
                detail: detail.to_string(),
            }),
            None => {
                store::add_event(
                    c,
                    warning_id,
                    at,
                    kind,
                    actor,
                    level,
                    staff,
                    Some(dedup),
                    detail,
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Tells one person unless the `source` already reached them; true when told now (always
    /// true in a batch, where duplicates are dropped by the multi-row insert).
    async fn notify(
        &mut self,
        c: &mut AnyConnection,
        clock: &Clock,
        to: &Recipient,
        n: &Notice,
        source: &str,
    ) -> Result<bool, DbError> {
        match self.deferred.as_mut() {
            Some(d) => {
                d.notices
                    .push((to.key(), n.clone(), source.to_string(), clock.now_ms()));
                Ok(true)
            }
            None => Ok(inbox::notify_once(&mut *c, clock, to, n, Some(source))
                .await?
                .is_some()),
        }
    }

    /// Writes what a batch buffered, 400 rows per statement.
    async fn flush(
        &mut self,
        c: &mut AnyConnection,
        backend: crate::db::Backend,
    ) -> Result<(), DbError> {
        let Some(d) = self.deferred.take() else {
            return Ok(());
        };
        for chunk in d.events.chunks(400) {
            let mut sql = String::from(
                "INSERT INTO warning_events (warning_id, at, kind, actor_account_id, actor, level, staff_id, dedup, detail) VALUES ",
            );
            sql.push_str(&crate::db::values_rows(chunk.len(), 9, 1));
            sql.push_str(" ON CONFLICT (warning_id, dedup) DO NOTHING");
            let sql = crate::db::bulk_sql(backend, &sql);
            let mut q = sqlx::query(&sql);
            for e in chunk {
                q = q
                    .bind(e.warning_id)
                    .bind(e.at)
                    .bind(e.kind.clone())
                    .bind(e.actor_account_id)
                    .bind(e.actor.clone())
                    .bind(e.level)
                    .bind(e.staff_id)
                    .bind(e.dedup.clone())
                    .bind(e.detail.clone());
            }
            q.execute(&mut *c).await?;
        }
        for chunk in d.notices.chunks(400) {
            let mut sql = String::from(
                "INSERT INTO inbox_messages (recipient, kind, title, body, link, source, created_at) VALUES ",
            );
            sql.push_str(&crate::db::values_rows(chunk.len(), 7, 1));
            sql.push_str(" ON CONFLICT (recipient, source) DO NOTHING");
            let sql = crate::db::bulk_sql(backend, &sql);
            let mut q = sqlx::query(&sql);
            for (to, n, source, at) in chunk {
                q = q
                    .bind(to.clone())
                    .bind(n.kind.clone())
                    .bind(n.title.clone())
                    .bind(n.body.clone())
                    .bind(n.link.clone())
                    .bind(source.clone())
                    .bind(*at);
            }
            q.execute(&mut *c).await?;
        }
        Ok(())
    }
    async fn tick(
        &mut self,
        c: &mut AnyConnection,
        clock: &Clock,
        at: Millis,
    ) -> Result<(), DbError> {
        let second = (at + 999).div_euclid(1000) * 1000;
        if self.ticks.insert(second) {
            schedule_tick(c, clock, second).await?;
        }
        Ok(())
    }
    /// Loads the students of these phones in a few queries.
    async fn preload_phones(
        &mut self,
        c: &mut AnyConnection,
        phones: Vec<String>,
    ) -> Result<(), DbError> {
        let mut map: std::collections::HashMap<String, Vec<StudentRef>> =
            phones.iter().map(|p| (p.clone(), vec![])).collect();
        for (p, st) in store::students_by_phones(c, &phones).await? {
            map.entry(p).or_default().push(st);
        }
        self.phones = Some(map);
        Ok(())
    }
    async fn chain(
        &mut self,
        c: &mut AnyConnection,
        class_path: &str,
    ) -> Result<Vec<Link>, DbError> {
        if let Some(v) = self.chains.get(class_path) {
            return Ok(v.clone());
        }
        let v = store::chain_for_class(c, class_path).await?;
        self.chains.insert(class_path.to_string(), v.clone());
        Ok(v)
    }
    async fn lang(&mut self, c: &mut AnyConnection, to: &Recipient) -> Result<Lang, DbError> {
        let key = to.key();
        if let Some(l) = self.langs.get(&key) {
            return Ok(*l);
        }
        let l = lang_of(c, to).await?;
        self.langs.insert(key, l);
        Ok(l)
    }
    async fn channels(
        &mut self,
        c: &mut AnyConnection,
        school_id: i64,
    ) -> Result<Vec<super::notify::SchoolChannel>, DbError> {
        if let Some(v) = self.channels.get(&school_id) {
            return Ok(v.clone());
        }
        let v = super::notify::channels_of_school(c, school_id).await?;
        self.channels.insert(school_id, v.clone());
        Ok(v)
    }
    async fn settings(
        &mut self,
        c: &mut AnyConnection,
        school_id: i64,
    ) -> Result<Settings, DbError> {
        if let Some(s) = self.settings.get(&school_id) {
            return Ok(*s);
        }
        let s = store::settings_of(c, school_id).await?;
        self.settings.insert(school_id, s);
        Ok(s)
    }
}

/// Queues the scan that will look at a deadline (one job per second of deadlines, deduplicated).
async fn schedule_tick(c: &mut AnyConnection, clock: &Clock, at: Millis) -> Result<(), DbError> {
    let second = (at + 999).div_euclid(1000) * 1000;
    enqueue_with(
        &mut *c,
        clock,
        NewJob::new(TICK_JOB, serde_json::json!({ "at": second }))
            .dedup(format!("{TICK_JOB}:{second}"))
            .run_at(second),
    )
    .await?;
    Ok(())
}

/// A notice of the warnings module before it is written in a language: the Fluent message
/// (`<key>-title`, `<key>-body`) and its arguments.
#[derive(Clone, Debug)]
struct NoticeSpec {
    key: &'static str,
    /// The student's name (`$name`).
    name: Option<String>,
    /// The missed deadline's kind, `ack` or `contact` (`$missed`, translated).
    missed: Option<String>,
}

impl NoticeSpec {
    fn new(key: &'static str) -> NoticeSpec {
        NoticeSpec {
            key,
            name: None,
            missed: None,
        }
    }

    /// The notice in `lang`.
    fn render(&self, lang: Lang, w: &Warning) -> Notice {
        let mut args: Vec<(&str, String)> = vec![
            ("id", w.id.to_string()),
            ("severity", lang.t(&format!("warn-sev-{}", w.severity))),
            (
                "type",
                crate::i18n::fraud_type_name(lang, w.fraud_type.id()),
            ),
        ];
        if let Some(n) = &self.name {
            args.push(("name", n.clone()));
        }
        if let Some(k) = &self.missed {
            args.push(("missed", lang.t(&format!("warn-deadline-{k}"))));
        }
        Notice {
            kind: "warning".into(),
            title: lang.ta(&format!("{}-title", self.key), &args),
            body: lang.ta(&format!("{}-body", self.key), &args),
            link: Some(format!("/warnings/{}", w.id)),
        }
    }
}

/// The language of a recipient: their account's locale (zh-CN when they have no account).
async fn lang_of(c: &mut AnyConnection, to: &Recipient) -> Result<Lang, DbError> {
    let locale: Option<String> = match to {
        Recipient::Account(id) => {
            sqlx::query_scalar("SELECT locale FROM accounts WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *c)
                .await?
        }
        Recipient::Staff(id) => {
            sqlx::query_scalar(
                "SELECT locale FROM accounts WHERE staff_id = $1 ORDER BY id LIMIT 1",
            )
            .bind(id)
            .fetch_optional(&mut *c)
            .await?
        }
        Recipient::Student(id) => {
            sqlx::query_scalar(
                "SELECT locale FROM accounts WHERE student_id = $1 ORDER BY id LIMIT 1",
            )
            .bind(id)
            .fetch_optional(&mut *c)
            .await?
        }
    };
    Ok(locale.map_or(Lang::ZhCn, |l| Lang::from_code(&l)))
}

/// Tells everybody at `level` of the chain about the warning; returns how many were told. The
/// `source` makes a retried escalation tell nobody twice.
#[allow(clippy::too_many_arguments)]
async fn notify_level(
    c: &mut AnyConnection,
    cache: &mut RouteCache,
    clock: &Clock,
    w: &Warning,
    chain: &[Link],
    level: i64,
    spec: &NoticeSpec,
    source: &str,
) -> Result<usize, DbError> {
    let mut told = 0;
    let mut recipients: Vec<Recipient> = chain
        .iter()
        .filter(|l| l.level == level)
        .map(|l| Recipient::Staff(l.staff_id))
        .collect();
    if level == LEVEL_SCHOOL {
        if let Some(school) = w.school_id {
            for a in store::accounts_with_role_on(c, "school_admin", &[school]).await? {
                recipients.push(Recipient::Account(a));
            }
        }
    }
    if level == LEVEL_POLICE {
        match (w.source_kind.as_str(), w.issued_by_account_id) {
            ("police", Some(a)) => recipients.push(Recipient::Account(a)),
            _ => {
                if let Some(school) = w.school_id {
                    let stations = store::stations_of_school(c, school).await?;
                    for a in store::accounts_with_role_on(c, "police", &stations).await? {
                        recipients.push(Recipient::Account(a));
                    }
                }
            }
        }
    }
    recipients.dedup();
    // Each person reads the notice in their own language.
    let mut by_lang: Vec<(Lang, Notice)> = Vec::with_capacity(2);
    let mut people: Vec<(Recipient, Notice)> = Vec::with_capacity(recipients.len());
    for r in &recipients {
        let lang = cache.lang(c, r).await?;
        let n = match by_lang.iter().find(|(l, _)| *l == lang) {
            Some((_, n)) => n.clone(),
            None => {
                let n = spec.render(lang, w);
                by_lang.push((lang, n.clone()));
                n
            }
        };
        if cache.notify(c, clock, r, &n, source).await? {
            told += 1;
        }
        people.push((r.clone(), n));
    }
    // Email and robot webhooks when the school configured them: queued here, sent by jobs. An
    // email is in its reader's language; robots post to a group, in the default language.
    if let Some(school) = w.school_id {
        let chans = cache.channels(c, school).await?;
        if !chans.is_empty() {
            let n = spec.render(Lang::ZhCn, w);
            super::notify::queue(c, clock, w, &chans, &people, &n, source).await?;
        }
    }
    Ok(told)
}

/// The lowest level at or above `from` with somebody to tell (the police level always counts).
fn first_staffed_level(chain: &[Link], from: i64) -> i64 {
    (from..LEVEL_POLICE)
        .find(|l| chain.iter().any(|x| x.level == *l))
        .unwrap_or(LEVEL_POLICE)
}

fn counselor_of(chain: &[Link], level: i64) -> Option<i64> {
    chain
        .iter()
        .find(|l| l.level == level)
        .or_else(|| chain.first())
        .map(|l| l.staff_id)
}

/// Routes a matched warning: picks the responsible person, starts both clocks, queues the scan
/// and tells the person. Runs in the caller's transaction.
async fn route(
    c: &mut AnyConnection,
    clock: &Clock,
    cache: &mut RouteCache,
    warning_id: i64,
    sev: Severity,
    student: &StudentRef,
    actor: (Option<i64>, &str),
) -> Result<Warning, WarnError> {
    let now = clock.now_ms();
    let chain = cache.chain(c, &student.class_path).await?;
    let settings = cache.settings(c, student.school_id).await?;
    let win = settings.windows(sev);
    let level = first_staffed_level(&chain, LEVEL_COUNSELOR);
    let ack_due = now + win.ack_ms;
    let contact_due = now + win.contact_ms;
    let assignee = counselor_of(&chain, level);
    let row = sqlx::query(&format!(
        "UPDATE warnings SET student_id = $2, school_id = $3, unit_path = $4, status = 'open', level = $5, \
         assignee_staff_id = $6, ack_window_ms = $7, contact_window_ms = $8, routed_at = $9, ack_due_at = $10, \
         contact_due_at = $11, next_deadline_at = $10, next_deadline_kind = 'ack', updated_at = $9 WHERE id = $1 RETURNING {}",
        store::returning_cols()
    ))
    .bind(warning_id)
    .bind(student.id)
    .bind(student.school_id)
    .bind(&student.class_path)
    .bind(level)
    .bind(assignee)
    .bind(win.ack_ms)
    .bind(win.contact_ms)
    .bind(now)
    .bind(ack_due)
    .bind(contact_due)
    .fetch_one(&mut *c)
    .await?;
    let w = store::warning_from(&row)?;
    cache.event(
        c,
        warning_id,
        now,
        "routed",
        actor,
        level,
        assignee,
        "routed",
        serde_json::json!({"student_no": student.student_no, "ack_due_at": ack_due, "contact_due_at": contact_due}),
    )
    .await?;
    cache.tick(c, clock, ack_due).await?;
    let n = NoticeSpec {
        name: Some(student.name.clone()),
        ..NoticeSpec::new("warn-notice-new")
    };
    notify_level(
        c,
        cache,
        clock,
        &w,
        &chain,
        level,
        &n,
        &format!("warning:{warning_id}:routed"),
    )
    .await?;
    Ok(w)
}

/// Inserts and routes one checked warning inside the caller's transaction.
async fn insert(
    c: &mut AnyConnection,
    clock: &Clock,
    cache: &mut RouteCache,
    issuer: &Issuer,
    nw: &NewWarning,
) -> Result<Warning, WarnError> {
    let matched = match_subject(c, cache, issuer, &nw.subject).await?;
    insert_matched(c, clock, cache, issuer, nw, matched).await
}

/// Inserts one warning whose person was matched (or not) and routes it.
async fn insert_matched(
    c: &mut AnyConnection,
    clock: &Clock,
    cache: &mut RouteCache,
    issuer: &Issuer,
    nw: &NewWarning,
    matched: Matched,
) -> Result<Warning, WarnError> {
    let (school_id, unit_path) = match &matched {
        Matched::Student(s) => (Some(s.school_id), s.class_path.clone()),
        Matched::Unmatched {
            school: Some((id, path)),
        } => (Some(*id), path.clone()),
        Matched::Unmatched { school: None } => (None, issuer.home_path.clone()),
    };
    let w = insert_row(c, clock, cache, issuer, nw, school_id, &unit_path).await?;
    after_insert(c, clock, cache, issuer, nw.severity, w, matched).await
}

/// Writes a new warning, unidentified, with its `issued` event.
#[allow(clippy::too_many_arguments)]
async fn insert_row(
    c: &mut AnyConnection,
    clock: &Clock,
    cache: &mut RouteCache,
    issuer: &Issuer,
    nw: &NewWarning,
    school_id: Option<i64>,
    unit_path: &str,
) -> Result<Warning, WarnError> {
    let now = clock.now_ms();
    let row = sqlx::query(&format!(
        "INSERT INTO warnings (source_kind, origin, issued_by_account_id, issuer_unit_path, idempotency_key, \
         student_id, school_id, unit_path, phone, student_no, fraud_type, severity, status, detail, level, \
         ack_window_ms, contact_window_ms, escalations, created_at, updated_at, kind) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'unidentified', $13, 0, 0, 0, 0, $14, $14, $15) RETURNING {}",
        store::returning_cols()
    ))
    .bind(issuer.kind)
    .bind(&nw.origin)
    .bind(issuer.account_id)
    .bind(&issuer.home_path)
    .bind(nw.idempotency_key.as_deref())
    .bind(None::<i64>)
    .bind(school_id)
    .bind(unit_path)
    .bind(nw.subject.phone.as_ref().map(|p| p.as_str().to_string()))
    .bind(nw.subject.student_no.as_ref().map(|p| p.as_str().to_string()))
    .bind(nw.fraud_type.id())
    .bind(nw.severity.as_str())
    .bind(&nw.detail)
    .bind(now)
    .bind(nw.kind.as_str())
    .fetch_one(&mut *c)
    .await?;
    let w = store::warning_from(&row)?;
    let actor = (issuer.account_id, issuer.name.as_str());
    cache
        .event(
            c,
            w.id,
            now,
            "issued",
            actor,
            0,
            None,
            "issued",
            serde_json::json!({"source": nw.origin, "by": issuer.kind}),
        )
        .await?;
    Ok(w)
}

/// Routes a just-written warning to the matched student's chain, or puts it in the
/// identification queue and tells who identifies.
async fn after_insert(
    c: &mut AnyConnection,
    clock: &Clock,
    cache: &mut RouteCache,
    issuer: &Issuer,
    severity: Severity,
    w: Warning,
    matched: Matched,
) -> Result<Warning, WarnError> {
    let id = w.id;
    let actor = (issuer.account_id, issuer.name.as_str());
    match matched {
        Matched::Student(s) => route(c, clock, cache, id, severity, &s, actor).await,
        Matched::Unmatched { school } => {
            let spec = NoticeSpec::new("warn-notice-unidentified");
            // The school admin identifies; with no school known, the issuing police do. A partner
            // is never told (it learns nothing about people, not even that nobody matched).
            let accounts = match school {
                Some((sid, _)) => store::accounts_with_role_on(c, "school_admin", &[sid]).await?,
                None if issuer.kind == "partner" => vec![],
                None => issuer.account_id.into_iter().collect(),
            };
            for a in accounts {
                let to = Recipient::Account(a);
                let n = spec.render(lang_of(c, &to).await?, &w);
                inbox::notify_once(
                    &mut *c,
                    clock,
                    &to,
                    &n,
                    Some(&format!("warning:{id}:unidentified")),
                )
                .await?;
            }
            Ok(w)
        }
    }
}

/// Writes a partner's warning when it is received: unidentified, in the partner's own queue,
/// not matched yet (the intake job does that, `route_received`).
pub(super) async fn insert_received(
    c: &mut AnyConnection,
    clock: &Clock,
    issuer: &Issuer,
    nw: &NewWarning,
) -> Result<Warning, WarnError> {
    let mut cache = RouteCache::default();
    insert_row(c, clock, &mut cache, issuer, nw, None, &issuer.home_path).await
}

/// Matches and routes a received partner warning inside the caller's transaction (the intake
/// job). An unknown school or student leaves it in the identification queue instead of refusing
/// it, since the partner was already answered.
pub(super) async fn route_received(
    c: &mut AnyConnection,
    clock: &Clock,
    issuer: &Issuer,
    nw: &NewWarning,
    warning_id: i64,
) -> Result<Warning, WarnError> {
    let mut cache = RouteCache::default();
    let mut subject = nw.subject.clone();
    let mut matched = match_subject(c, &cache, issuer, &subject).await;
    if matches!(matched, Err(WarnError::Refused(_))) && subject.school_code.is_some() {
        subject.school_code = None;
        matched = match_subject(c, &cache, issuer, &subject).await;
    }
    let matched = match matched {
        Ok(m) => m,
        Err(WarnError::Refused(_)) => Matched::Unmatched { school: None },
        Err(e) => return Err(e),
    };
    // A mule-risk signal about nobody on a roster is kept for the police only: no school's
    // identification queue, nobody at a school told.
    let matched = match matched {
        Matched::Unmatched { .. } if nw.kind == WarnKind::MuleRisk => {
            Matched::Unmatched { school: None }
        }
        m => m,
    };
    if let Matched::Unmatched {
        school: Some((sid, path)),
    } = &matched
    {
        sqlx::query(
            "UPDATE warnings SET school_id = $2, unit_path = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(warning_id)
        .bind(sid)
        .bind(path)
        .bind(clock.now_ms())
        .execute(&mut *c)
        .await?;
    }
    let w = store::warning_by_id(c, warning_id)
        .await?
        .ok_or(WarnError::NotFound)?;
    after_insert(c, clock, &mut cache, issuer, nw.severity, w, matched).await
}

/// Issues one warning. With an idempotency key, a repeat returns the first warning (and `false`).
pub async fn issue(
    db: &Db,
    clock: &Clock,
    issuer: &Issuer,
    nw: NewWarning,
) -> Result<(Warning, bool), WarnError> {
    // SQLite refuses a write transaction whose read snapshot went stale under a concurrent writer
    // (SQLITE_BUSY_SNAPSHOT); such a transaction wrote nothing and is simply run again.
    let mut attempt = 0;
    loop {
        match issue_once(db, clock, issuer, nw.clone()).await {
            Err(WarnError::Db(e)) if is_busy(&e) && attempt < 8 => {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(5 << attempt)).await;
            }
            r => return r,
        }
    }
}

/// Is this the "database is locked / busy" error of SQLite?
pub fn is_busy(e: &DbError) -> bool {
    match e {
        DbError::Sqlx(sqlx::Error::Database(d)) => {
            d.code()
                .is_some_and(|c| c == "5" || c == "517" || c == "261")
                || d.message().contains("database is locked")
        }
        _ => false,
    }
}

async fn issue_once(
    db: &Db,
    clock: &Clock,
    issuer: &Issuer,
    nw: NewWarning,
) -> Result<(Warning, bool), WarnError> {
    let mut conn = db.pool.acquire().await.map_err(DbError::from)?;
    if let (Some(a), Some(k)) = (issuer.account_id, nw.idempotency_key.as_deref()) {
        if let Some(w) = store::by_idempotency(&mut conn, a, k).await? {
            return Ok((w, false));
        }
    }
    drop(conn);
    let mut tx = db.begin_write().await.map_err(DbError::from)?;
    let mut cache = RouteCache::default();
    match insert(&mut tx, clock, &mut cache, issuer, &nw).await {
        Ok(w) => {
            tx.commit().await.map_err(DbError::from)?;
            inbox::bump();
            Ok((w, true))
        }
        Err(WarnError::Db(e)) if e.is_unique_violation() => {
            // Two requests with one key raced; the other one won.
            drop(tx);
            let mut conn = db.pool.acquire().await.map_err(DbError::from)?;
            let (a, k) = (
                issuer.account_id.unwrap_or(0),
                nw.idempotency_key.unwrap_or_default(),
            );
            let w = store::by_idempotency(&mut conn, a, &k)
                .await?
                .ok_or(WarnError::Db(e))?;
            Ok((w, false))
        }
        Err(e) => Err(e),
    }
}

/// Issues many warnings in one transaction: any refused row refuses the whole batch, with line
/// numbers (`first_line` is the line of the first item).
///
/// Matched warnings are routed in memory (chains and settings cached per class and school) and
/// written already routed with multi-row INSERTs (`BATCH_ROWS` per statement, ids from
/// RETURNING); their events and inbox notices are buffered and written with multi-row inserts
/// too, and deadline jobs are one per second of deadlines. So no statement runs per warning;
/// only unmatched warnings (the identification queue, rare) take the one-by-one path.
pub async fn issue_batch(
    db: &Db,
    clock: &Clock,
    issuer: &Issuer,
    items: Vec<(usize, NewWarning)>,
) -> Result<Vec<Warning>, WarnError> {
    let mut tx = db.begin_write().await.map_err(DbError::from)?;
    let mut cache = RouteCache::default();
    let mut phones: Vec<String> = items
        .iter()
        .filter_map(|(_, w)| w.subject.phone.as_ref().map(|p| p.as_str().to_string()))
        .collect();
    phones.sort();
    phones.dedup();
    cache.preload_phones(&mut tx, phones).await?;
    cache.deferred = Some(Deferred::default());
    let mut out: Vec<Option<Warning>> = vec![None; items.len()];
    let mut matched: Vec<(usize, StudentRef)> = Vec::new();
    let mut errs = Vec::new();
    for (i, (line, nw)) in items.iter().enumerate() {
        let r = match match_subject(&mut tx, &cache, issuer, &nw.subject).await {
            Ok(Matched::Student(s)) => {
                matched.push((i, s));
                Ok(())
            }
            Ok(m) => insert_matched(&mut tx, clock, &mut cache, issuer, nw, m)
                .await
                .map(|w| out[i] = Some(w)),
            Err(e) => Err(e),
        };
        match r {
            Ok(()) => {}
            Err(WarnError::Refused(ms)) => {
                errs.extend(ms.into_iter().map(|m| (*line, m)));
            }
            Err(e) => return Err(e),
        }
        if errs.len() >= 50 {
            break;
        }
    }
    if !errs.is_empty() {
        return Err(WarnError::RefusedLines(errs));
    }
    for chunk in matched.chunks(BATCH_ROWS) {
        let routed = insert_routed(
            &mut tx, db.backend, clock, &mut cache, issuer, &items, chunk,
        )
        .await?;
        for (i, w) in routed {
            out[i] = Some(w);
        }
    }
    cache.flush(&mut tx, db.backend).await?;
    tx.commit().await.map_err(DbError::from)?;
    inbox::bump();
    Ok(out.into_iter().flatten().collect())
}

/// Rows of one multi-row INSERT of routed warnings (22 parameters each).
const BATCH_ROWS: usize = 500;

/// Routes matched warnings of a batch in memory and inserts them, already routed, with one
/// multi-row INSERT; then buffers their events and notices and queues their deadline jobs.
/// Returns (item index, warning).
async fn insert_routed(
    c: &mut AnyConnection,
    backend: crate::db::Backend,
    clock: &Clock,
    cache: &mut RouteCache,
    issuer: &Issuer,
    items: &[(usize, NewWarning)],
    chunk: &[(usize, StudentRef)],
) -> Result<Vec<(usize, Warning)>, WarnError> {
    let now = clock.now_ms();
    struct Plan<'a> {
        idx: usize,
        nw: &'a NewWarning,
        student: &'a StudentRef,
        chain: Vec<Link>,
        win: Windows,
        level: i64,
        assignee: Option<i64>,
    }
    let mut plans = Vec::with_capacity(chunk.len());
    for (idx, student) in chunk {
        let chain = cache.chain(c, &student.class_path).await?;
        let settings = cache.settings(c, student.school_id).await?;
        let nw = &items[*idx].1;
        let level = first_staffed_level(&chain, LEVEL_COUNSELOR);
        plans.push(Plan {
            idx: *idx,
            nw,
            student,
            win: settings.windows(nw.severity),
            level,
            assignee: counselor_of(&chain, level),
            chain,
        });
    }
    let mut sql = String::from(
        "INSERT INTO warnings (source_kind, origin, issued_by_account_id, issuer_unit_path, student_id, school_id, \
         unit_path, phone, student_no, fraud_type, severity, detail, level, assignee_staff_id, ack_window_ms, \
         contact_window_ms, routed_at, ack_due_at, contact_due_at, next_deadline_at, created_at, updated_at, \
         status, next_deadline_kind, escalations) VALUES ",
    );
    for i in 0..plans.len() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for k in 1..=22 {
            sql.push_str(&format!("${}, ", i * 22 + k));
        }
        sql.push_str("'open', 'ack', 0)");
    }
    sql.push_str(&format!(" RETURNING {}", store::returning_cols()));
    let sql = crate::db::bulk_sql(backend, &sql);
    let mut q = sqlx::query(&sql);
    for p in &plans {
        let ack_due = now + p.win.ack_ms;
        q = q
            .bind(issuer.kind)
            .bind(p.nw.origin.clone())
            .bind(issuer.account_id)
            .bind(issuer.home_path.clone())
            .bind(p.student.id)
            .bind(p.student.school_id)
            .bind(p.student.class_path.clone())
            .bind(p.nw.subject.phone.as_ref().map(|x| x.as_str().to_string()))
            .bind(
                p.nw.subject
                    .student_no
                    .as_ref()
                    .map(|x| x.as_str().to_string()),
            )
            .bind(p.nw.fraud_type.id())
            .bind(p.nw.severity.as_str())
            .bind(p.nw.detail.clone())
            .bind(p.level)
            .bind(p.assignee)
            .bind(p.win.ack_ms)
            .bind(p.win.contact_ms)
            .bind(now)
            .bind(ack_due)
            .bind(now + p.win.contact_ms)
            .bind(ack_due)
            .bind(now)
            .bind(now);
    }
    let rows = q.fetch_all(&mut *c).await?;
    let mut ws = rows
        .iter()
        .map(store::warning_from)
        .collect::<Result<Vec<_>, _>>()?;
    // Ids are given in the order of the VALUES; RETURNING's order is not promised, the ids' is.
    ws.sort_by_key(|w| w.id);
    if ws.len() != plans.len() {
        return Err(WarnError::Db(DbError::Config(format!(
            "batch insert returned {} of {} warnings",
            ws.len(),
            plans.len()
        ))));
    }
    let mut out = Vec::with_capacity(plans.len());
    for (p, w) in plans.into_iter().zip(ws) {
        let actor = (issuer.account_id, issuer.name.as_str());
        cache
            .event(
                c,
                w.id,
                now,
                "issued",
                actor,
                0,
                None,
                "issued",
                serde_json::json!({"source": p.nw.origin, "by": issuer.kind}),
            )
            .await?;
        let (ack_due, contact_due) = (now + p.win.ack_ms, now + p.win.contact_ms);
        cache
            .event(
                c,
                w.id,
                now,
                "routed",
                actor,
                p.level,
                p.assignee,
                "routed",
                serde_json::json!({"student_no": p.student.student_no, "ack_due_at": ack_due, "contact_due_at": contact_due}),
            )
            .await?;
        cache.tick(c, clock, ack_due).await?;
        let n = NoticeSpec {
            name: Some(p.student.name.clone()),
            ..NoticeSpec::new("warn-notice-new")
        };
        notify_level(
            c,
            cache,
            clock,
            &w,
            &p.chain,
            p.level,
            &n,
            &format!("warning:{}:routed", w.id),
        )
        .await?;
        out.push((p.idx, w));
    }
    Ok(out)
}

/// Parses a CSV batch (header: 手机号/phone, 学号/student_no, 学校代码/school_code, 诈骗类型/fraud_type,
/// 级别/severity, 情况/detail, 来源/source). Errors carry line numbers; nothing is written.
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<(usize, NewWarning)>, LineErrors> {
    let text = match std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)) {
        Ok(t) => t,
        Err(_) => return Err(vec![(1, Msg::new("warn-err-csv-encoding"))]),
    };
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(_) => return Err(vec![(1, Msg::new("warn-err-csv-header"))]),
    };
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h));
    let c_phone = col(&["手机号", "phone"]);
    let c_no = col(&["学号", "student_no"]);
    let c_school = col(&["学校代码", "school_code"]);
    let c_type = col(&["诈骗类型", "fraud_type"]);
    let c_sev = col(&["级别", "severity"]);
    let c_detail = col(&["情况", "detail"]);
    let c_source = col(&["来源", "source"]);
    let (Some(c_type), Some(c_sev)) = (c_type, c_sev) else {
        return Err(vec![(1, Msg::new("warn-err-csv-header"))]);
    };
    if c_phone.is_none() && c_no.is_none() {
        return Err(vec![(1, Msg::new("warn-err-csv-header"))]);
    }
    let mut out = Vec::new();
    let mut errs = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(_) => {
                errs.push((line, Msg::new("warn-err-csv-row")));
                continue;
            }
        };
        if rec.iter().all(|f| f.is_empty()) {
            continue;
        }
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).map(str::to_string);
        let input = WarningInput {
            phone: get(c_phone),
            student_no: get(c_no),
            school_code: get(c_school),
            fraud_type: get(Some(c_type)).unwrap_or_default(),
            severity: get(Some(c_sev)).unwrap_or_default(),
            detail: get(c_detail).unwrap_or_default(),
            source: get(c_source).unwrap_or_default(),
            reference: None,
        };
        match parse_input(&input) {
            Ok(w) => out.push((line, w)),
            Err(ms) => errs.extend(ms.into_iter().map(|m| (line, m))),
        }
        if out.len() > 20_000 {
            return Err(vec![(line, Msg::new("warn-err-csv-too-many"))]);
        }
    }
    if out.is_empty() && errs.is_empty() {
        errs.push((1, Msg::new("warn-err-csv-empty")));
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(errs)
    }
}

/// An internal follow-up for the counselor (see [`create_followup`]) unless the same origin
/// already raised one for this student in the last 24 hours: a student who checks five
/// suspicious messages in a row gets one follow-up, not five. `Ok(None)` when skipped, also when
/// the follow-up is refused (e.g. the student left); a database error is returned.
pub async fn followup_once(
    tx: &mut AnyConnection,
    clock: &Clock,
    student_id: i64,
    fraud_type: &str,
    origin: &str,
    detail: &str,
) -> Result<Option<i64>, WarnError> {
    let since = clock.now_ms() - 24 * 3_600_000;
    let recent: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM warnings WHERE student_id = $1 AND source_kind = 'internal' \
         AND origin = $2 AND created_at > $3 LIMIT 1",
    )
    .bind(student_id)
    .bind(origin)
    .bind(since)
    .fetch_optional(&mut *tx)
    .await?;
    if recent.is_some() {
        return Ok(None);
    }
    match create_followup(tx, clock, student_id, fraud_type, origin, detail).await {
        Ok(id) => Ok(Some(id)),
        Err(WarnError::Refused(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A low-severity follow-up for the counselor, created by other modules inside their own
/// transaction (a high-risk check of a student, a report without loss). Returns the warning id.
pub async fn create_followup(
    tx: &mut AnyConnection,
    clock: &Clock,
    student_id: i64,
    fraud_type: &str,
    origin: &str,
    detail: &str,
) -> Result<i64, WarnError> {
    let fraud_type = parse_fraud_type(fraud_type).ok_or_else(|| refuse("warn-err-fraud-type"))?;
    let student = store::student_ref(tx, student_id)
        .await?
        .ok_or_else(|| refuse("warn-err-unknown-student"))?;
    let issuer = Issuer {
        account_id: None,
        name: "system".into(),
        kind: "internal",
        scopes: vec![student.class_path.clone()],
        home_path: student.class_path.clone(),
    };
    let nw = NewWarning {
        subject: Subject {
            phone: None,
            student_no: crate::org::model::PersonNo::parse(&student.student_no),
            school_code: None,
        },
        fraud_type,
        severity: Severity::Low,
        detail: detail.chars().take(2000).collect(),
        origin: origin.chars().take(200).collect(),
        idempotency_key: None,
        kind: WarnKind::Fraud,
    };
    // The student number alone may be shared across schools; match on the record itself.
    let mut cache = RouteCache::default();
    let now = clock.now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO warnings (source_kind, origin, issued_by_account_id, issuer_unit_path, idempotency_key, \
         student_id, school_id, unit_path, phone, student_no, fraud_type, severity, status, detail, level, \
         ack_window_ms, contact_window_ms, escalations, created_at, updated_at) \
         VALUES ('internal', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'low', 'unidentified', $11, 0, 0, 0, 0, $12, $12) RETURNING id",
    )
    .bind(&nw.origin)
    .bind(None::<i64>)
    .bind(&issuer.home_path)
    .bind(None::<String>)
    .bind(None::<i64>)
    .bind(student.school_id)
    .bind(&student.class_path)
    .bind(None::<String>)
    .bind(&student.student_no)
    .bind(nw.fraud_type.id())
    .bind(&nw.detail)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    store::add_event(
        tx,
        id,
        now,
        "issued",
        (None, "system"),
        0,
        None,
        Some("issued"),
        serde_json::json!({"source": nw.origin, "by": "internal"}),
    )
    .await?;
    route(
        tx,
        clock,
        &mut cache,
        id,
        Severity::Low,
        &student,
        (None, "system"),
    )
    .await?;
    Ok(id)
}

/// Attaches a student to an unmatched warning and routes it; the clocks start now.
pub async fn identify(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    warning_id: i64,
    student_no: &str,
) -> Result<Warning, WarnError> {
    let scopes = policy::scopes_for(p, Action::IdentifyWarning);
    let mut tx = db.begin_write().await.map_err(DbError::from)?;
    let w = store::warning_by_id(&mut tx, warning_id)
        .await?
        .ok_or(WarnError::NotFound)?;
    if !in_scope(&w.unit_path, &scopes) {
        return Err(WarnError::NotFound);
    }
    if w.status() != Status::Unidentified {
        return Err(WarnError::Conflict("warn-err-already-identified"));
    }
    let no = crate::org::model::PersonNo::parse(student_no).ok_or_else(|| {
        WarnError::Refused(vec![
            Msg::new("warn-err-student-no").arg("value", student_no)
        ])
    })?;
    let found: Vec<StudentRef> = store::students_by_no(&mut tx, no.as_str(), w.school_id)
        .await?
        .into_iter()
        .filter(|s| in_scope(&s.class_path, &scopes))
        .collect();
    let [student] = found.as_slice() else {
        return Err(WarnError::Refused(vec![Msg::new(
            "warn-err-unknown-student",
        )
        .arg("value", no.as_str())]));
    };
    store::add_event(
        &mut tx,
        w.id,
        clock.now_ms(),
        "identified",
        (Some(p.account_id), &p.username),
        0,
        None,
        Some("identified"),
        serde_json::json!({"student_no": student.student_no}),
    )
    .await?;
    let mut cache = RouteCache::default();
    let sev = Severity::parse(&w.severity).unwrap_or(Severity::Low);
    let w = route(
        &mut tx,
        clock,
        &mut cache,
        w.id,
        sev,
        student,
        (Some(p.account_id), &p.username),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    inbox::bump();
    Ok(w)
}

/// Runs the escalation scan once: every warning whose deadline passed is escalated exactly once
/// per missed deadline. Safe to run twice or concurrently: each escalation is a compare-and-set on
/// the deadline it handles. Returns the number of escalations.
pub async fn scan(db: &Db, clock: &Clock) -> Result<usize, WarnError> {
    let now = clock.now_ms();
    let mut cache = RouteCache::default();
    let mut total = 0;
    loop {
        let mut conn = db.pool.acquire().await.map_err(DbError::from)?;
        let due = store::due(&mut conn, now, SCAN_PAGE).await?;
        drop(conn);
        if due.is_empty() {
            break;
        }
        let mut tx = db.begin_write().await.map_err(DbError::from)?;
        let mut progressed = 0;
        for w in &due {
            if escalate_one(&mut tx, clock, &mut cache, w).await? {
                total += 1;
            }
            progressed += 1;
        }
        tx.commit().await.map_err(DbError::from)?;
        inbox::bump();
        if progressed == 0 {
            break;
        }
    }
    Ok(total)
}

/// Handles the missed deadline of one warning: climbs one level (or stops at the police), sets the
/// next deadline from the missed one (not from now, so a late scan changes nothing), and tells the
/// new level. Returns true when an escalation was recorded.
async fn escalate_one(
    c: &mut AnyConnection,
    clock: &Clock,
    cache: &mut RouteCache,
    w: &Warning,
) -> Result<bool, WarnError> {
    let Some(deadline) = w.next_deadline_at else {
        return Ok(false);
    };
    let Some(kind) = w.next_deadline_kind.clone() else {
        // A deadline of no known kind cannot be escalated; clear it so the scan moves on.
        sqlx::query(
            "UPDATE warnings SET next_deadline_at = NULL WHERE id = $1 AND next_deadline_at = $2",
        )
        .bind(w.id)
        .bind(deadline)
        .execute(&mut *c)
        .await?;
        return Ok(false);
    };
    let chain = match w.student_id {
        Some(sid) => match store::student_ref(c, sid).await? {
            Some(s) => cache.chain(c, &s.class_path).await?,
            None => vec![],
        },
        None => vec![],
    };
    let (ack_window, contact_window): (i64, i64) =
        sqlx::query_as("SELECT ack_window_ms, contact_window_ms FROM warnings WHERE id = $1")
            .bind(w.id)
            .fetch_one(&mut *c)
            .await?;
    let missed_by = if w.level == LEVEL_COUNSELOR {
        counselor_of(&chain, LEVEL_COUNSELOR)
    } else {
        chain
            .iter()
            .find(|l| l.level == w.level)
            .map(|l| l.staff_id)
    };
    let at_top = w.level >= LEVEL_POLICE;
    let new_level = if at_top {
        w.level
    } else {
        first_staffed_level(&chain, w.level + 1)
    };
    let window = if kind == "ack" {
        ack_window
    } else {
        contact_window
    };
    let next = (new_level < LEVEL_POLICE).then_some(deadline + window);
    let (ack_due, contact_due) = if kind == "ack" {
        (next.or(w.ack_due_at), w.contact_due_at)
    } else {
        (w.ack_due_at, next.or(w.contact_due_at))
    };
    let now = clock.now_ms();
    // Compare-and-set on the deadline being handled: a second scan finds nothing to do.
    let changed = sqlx::query(
        "UPDATE warnings SET level = $3, next_deadline_at = $4, next_deadline_kind = $5, ack_due_at = $6, \
         contact_due_at = $7, escalations = escalations + $8, \
         assignee_staff_id = COALESCE($9, assignee_staff_id), updated_at = $10 \
         WHERE id = $1 AND next_deadline_at = $2",
    )
    .bind(w.id)
    .bind(deadline)
    .bind(new_level)
    .bind(next)
    .bind(next.map(|_| kind.clone()))
    .bind(ack_due)
    .bind(contact_due)
    .bind(if at_top { 0i64 } else { 1 })
    .bind(counselor_of(&chain, LEVEL_COUNSELOR))
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected();
    if changed != 1 || at_top {
        return Ok(false);
    }
    let dedup = format!("esc:{kind}:{deadline}");
    let written = store::add_event(
        c,
        w.id,
        deadline,
        "escalated",
        (None, "system"),
        new_level,
        missed_by,
        Some(&dedup),
        serde_json::json!({"missed": kind, "from_level": w.level, "to_level": new_level, "deadline": deadline}),
    )
    .await?;
    if !written {
        return Ok(false);
    }
    if let Some(n) = next {
        schedule_tick(c, clock, n).await?;
    }
    let mut w2 = w.clone();
    w2.level = new_level;
    let n = NoticeSpec {
        missed: Some(kind.clone()),
        ..NoticeSpec::new("warn-notice-escalated")
    };
    notify_level(
        c,
        cache,
        clock,
        &w2,
        &chain,
        new_level,
        &n,
        &format!("warning:{}:{dedup}", w.id),
    )
    .await?;
    Ok(true)
}

/// Registers the escalation scan job.
pub fn register_jobs(reg: &mut crate::db::jobs::JobRegistry, db: Db, clock: Clock) {
    reg.register(TICK_JOB, move |_job| {
        let (db, clock) = (db.clone(), clock.clone());
        async move {
            scan(&db, &clock)
                .await
                .map(|n| tracing::debug!(escalations = n, "warning scan"))
                .map_err(|e| e.to_string())
        }
    });
}

/// May this caller act on this warning now? Staff of the chain at or below the warning's level
/// may; school admins always; unit leaders once it reached the college; police once it reached
/// them. Everybody else is refused (and the refusal audited by the caller).
pub async fn may_act(c: &mut AnyConnection, p: &Principal, w: &Warning) -> Result<bool, DbError> {
    let path = w.unit_path.as_str();
    let holds = |role: Role| {
        p.grants
            .iter()
            .any(|g| g.role == role && g.scope_paths.iter().any(|s| path.starts_with(s.as_str())))
    };
    if holds(Role::SchoolAdmin) {
        return Ok(true);
    }
    if holds(Role::Police) && w.level >= LEVEL_POLICE {
        return Ok(true);
    }
    if holds(Role::UnitLeader) && w.level >= LEVEL_COLLEGE {
        return Ok(true);
    }
    let Some(staff) = p.staff_id else {
        return Ok(false);
    };
    let chain = store::chain_for_class(c, path).await?;
    Ok(chain
        .iter()
        .any(|l| l.staff_id == staff && l.level <= w.level.max(LEVEL_COUNSELOR)))
}

/// What a caller does to a warning.
#[derive(Clone, Debug)]
pub enum Act {
    Acknowledge,
    Contact {
        method: ContactMethod,
        at: Millis,
        notes: String,
    },
    Outcome {
        outcome: Outcome,
        loss: Option<Money>,
        protected: Option<Money>,
        notes: String,
        /// What the stop-payment request needs when the outcome is "already lost money".
        transfer: Option<LossTransfer>,
    },
}

/// Where the lost money went, as the counselor records it with the outcome "already lost money".
/// Checked by the reports module's own validation when the loss report is filed.
#[derive(Clone, Debug, Default)]
pub struct LossTransfer {
    /// bank_card, alipay, wechat or other.
    pub payment_type: String,
    pub payee_account: String,
    pub bank: String,
    /// UTC milliseconds.
    pub transfer_at: Option<Millis>,
    pub description: String,
    /// The server's stop-payment deadlines.
    pub deadlines: Option<crate::reports::service::Deadlines>,
}

/// The loss report a warning handed over to, with its stop-payment request as it stands now.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LossReportLink {
    pub report_id: i64,
    pub ref_no: String,
    pub stop_payment_id: i64,
    /// open, bank_contacted, frozen or failed.
    pub stop_payment_status: String,
    pub frozen_cents: i64,
    pub deadline_at: i64,
}

/// The loss report a warning opened, if any: the report named by its `loss_report` event, with
/// the stop-payment request as it stands now.
pub async fn loss_report_of(
    c: &mut AnyConnection,
    timeline: &[WarnEvent],
) -> Result<Option<LossReportLink>, DbError> {
    let Some(report_id) = timeline
        .iter()
        .find(|e| e.kind == "loss_report")
        .and_then(|e| e.detail.get("report_id"))
        .and_then(|v| v.as_i64())
    else {
        return Ok(None);
    };
    let row: Option<(i64, String, i64, String, i64, i64)> = sqlx::query_as(
        "SELECT r.id, r.ref_no, sp.id, sp.status, sp.frozen_cents, sp.deadline_at FROM reports r \
         JOIN stop_payments sp ON sp.report_id = r.id WHERE r.id = $1",
    )
    .bind(report_id)
    .fetch_optional(&mut *c)
    .await?;
    Ok(row.map(
        |(report_id, ref_no, stop_payment_id, stop_payment_status, frozen_cents, deadline_at)| {
            LossReportLink {
                report_id,
                ref_no,
                stop_payment_id,
                stop_payment_status,
                frozen_cents,
                deadline_at,
            }
        },
    ))
}

/// Applies an act after `may_act` allowed it. Refuses acts that make no sense in the state.
pub async fn act(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    warning_id: i64,
    a: Act,
) -> Result<Warning, WarnError> {
    let now = clock.now_ms();
    let mut tx = db.begin_write().await.map_err(DbError::from)?;
    let w = store::warning_by_id(&mut tx, warning_id)
        .await?
        .ok_or(WarnError::NotFound)?;
    let status = w.status();
    if status == Status::Unidentified {
        return Err(WarnError::Conflict("warn-err-unidentified"));
    }
    if !may_act(&mut tx, p, &w).await? {
        drop(tx);
        crate::audit::record(
            &db.pool,
            clock,
            actor,
            crate::audit::Event {
                action: "warning.denied",
                target_kind: "warning",
                target_id: w.id.to_string(),
                unit_path: w.unit_path.clone(),
                detail: serde_json::json!({"act": format!("{a:?}").split([' ', '{']).next().unwrap_or("")}),
            },
        )
        .await?;
        return Err(WarnError::Forbidden);
    }
    let me = (Some(p.account_id), p.username.as_str());
    // The one who acts becomes the responsible person of record (follows a changed counselor).
    let staff = p.staff_id;
    match a {
        Act::Acknowledge => {
            if w.acknowledged_at.is_some() || status == Status::Closed {
                return Err(WarnError::Conflict("warn-err-already-acknowledged"));
            }
            let pending = w.contacted_at.is_none();
            sqlx::query(
                "UPDATE warnings SET status = 'acknowledged', acknowledged_at = $2, acknowledged_by = $3, \
                 next_deadline_at = $4, next_deadline_kind = $5, updated_at = $2 WHERE id = $1",
            )
            .bind(w.id)
            .bind(now)
            .bind(p.account_id)
            .bind(w.contact_due_at.filter(|_| pending))
            .bind(pending.then_some("contact"))
            .execute(&mut *tx)
            .await?;
            store::add_event(
                &mut tx,
                w.id,
                now,
                "acknowledged",
                me,
                w.level,
                staff,
                Some("acknowledged"),
                serde_json::json!({}),
            )
            .await?;
            if let Some(d) = w.contact_due_at {
                schedule_tick(&mut tx, clock, d).await?;
            }
        }
        Act::Contact { method, at, notes } => {
            if w.contacted_at.is_some() || status == Status::Closed {
                return Err(WarnError::Conflict("warn-err-already-contacted"));
            }
            if at > now + 5 * 60_000 || at < w.created_at - 60_000 {
                return Err(refuse("warn-err-contact-time"));
            }
            sqlx::query(
                "UPDATE warnings SET status = 'contacted', contacted_at = $2, contact_method = $3, \
                 acknowledged_at = COALESCE(acknowledged_at, $2), acknowledged_by = COALESCE(acknowledged_by, $4), \
                 next_deadline_at = NULL, next_deadline_kind = NULL, updated_at = $5 WHERE id = $1",
            )
            .bind(w.id)
            .bind(at)
            .bind(method.as_str())
            .bind(p.account_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            store::add_event(
                &mut tx,
                w.id,
                now,
                "contacted",
                me,
                w.level,
                staff,
                Some("contacted"),
                serde_json::json!({"method": method.as_str(), "at": at, "notes": notes}),
            )
            .await?;
        }
        Act::Outcome {
            outcome,
            loss,
            protected,
            notes,
            transfer,
        } => {
            if status == Status::Closed {
                return Err(WarnError::Conflict("warn-err-outcome-twice"));
            }
            if !w.kind.outcomes().contains(&outcome) {
                return Err(refuse("warn-err-outcome-kind"));
            }
            if outcome == Outcome::AlreadyLost && loss.is_none() {
                return Err(refuse("warn-err-loss-needed"));
            }
            sqlx::query(
                "UPDATE warnings SET status = 'closed', outcome = $2, outcome_at = $3, loss_cents = $4, \
                 protected_cents = $5, next_deadline_at = NULL, next_deadline_kind = NULL, updated_at = $3 \
                 WHERE id = $1 AND status <> 'closed'",
            )
            .bind(w.id)
            .bind(outcome.as_str())
            .bind(now)
            .bind(loss.map(Money::cents))
            .bind(protected.map(Money::cents))
            .execute(&mut *tx)
            .await?;
            store::add_event(&mut tx, w.id, now, "outcome", me, w.level, staff, Some("outcome"), serde_json::json!({"outcome": outcome.as_str(), "loss_cents": loss.map(Money::cents), "protected_cents": protected.map(Money::cents), "notes": notes})).await?;
            // In the same transaction: bad transfer details (refused by the reports module's own
            // validation) roll the outcome back too, so nothing is written.
            if outcome == Outcome::AlreadyLost {
                open_loss_report(
                    &mut tx,
                    clock,
                    actor,
                    &w,
                    me,
                    staff,
                    loss.map_or(0, Money::cents),
                    transfer.unwrap_or_default(),
                )
                .await?;
            }
        }
    }
    tx.commit().await.map_err(DbError::from)?;
    let mut conn = db.pool.acquire().await.map_err(DbError::from)?;
    store::warning_by_id(&mut conn, warning_id)
        .await?
        .ok_or(WarnError::NotFound)
}

/// "Already lost money": files a loss report for the student with its stop-payment request,
/// pre-filled from the warning (student, fraud type, amount, what happened) and the transfer the
/// counselor recorded, through `reports::service::create_loss_report` in the caller's
/// transaction, and links it on the timeline (`loss_report` event with the report number). Bad
/// transfer details are refused with the reports module's reasons.
#[allow(clippy::too_many_arguments)]
pub async fn open_loss_report(
    c: &mut AnyConnection,
    clock: &Clock,
    actor: &Actor,
    w: &Warning,
    me: (Option<i64>, &str),
    staff: Option<i64>,
    loss_cents: i64,
    t: LossTransfer,
) -> Result<LossReportLink, WarnError> {
    use crate::reports::service::{create_loss_report, LossInput, ReportError};
    let student_id = w
        .student_id
        .ok_or_else(|| refuse("warn-err-unidentified"))?;
    let fraud_type = w.fraud_type;
    let Some(transfer_at) = t.transfer_at else {
        return Err(refuse("reports-err-loss-needs"));
    };
    let description = if t.description.trim().is_empty() {
        format!("预警 #{} · {}", w.id, w.detail)
    } else {
        t.description.trim().to_string()
    };
    let (report_id, sp_id) = create_loss_report(
        c,
        clock,
        actor,
        student_id,
        LossInput {
            idempotency_key: format!("warning:{}", w.id),
            payment_type: t.payment_type,
            payee_account: t.payee_account,
            bank: t.bank,
            amount_cents: loss_cents,
            transfer_at,
            fraud_type,
            description: description.chars().take(4000).collect(),
            deadlines: t.deadlines,
        },
    )
    .await
    .map_err(|e| match e {
        ReportError::Invalid(ms) => WarnError::Refused(ms),
        ReportError::NotFound => refuse("warn-err-unknown-student"),
        ReportError::Db(e) => WarnError::Db(e),
    })?;
    let (ref_no, sp_status, frozen, deadline): (String, String, i64, i64) = sqlx::query_as(
        "SELECT r.ref_no, sp.status, sp.frozen_cents, sp.deadline_at FROM reports r \
         JOIN stop_payments sp ON sp.report_id = r.id WHERE r.id = $1",
    )
    .bind(report_id)
    .fetch_one(&mut *c)
    .await?;
    store::add_event(
        c,
        w.id,
        clock.now_ms(),
        "loss_report",
        me,
        w.level,
        staff,
        Some("loss_report"),
        serde_json::json!({"report_id": report_id, "ref_no": ref_no, "stop_payment_id": sp_id, "loss_cents": loss_cents}),
    )
    .await?;
    Ok(LossReportLink {
        report_id,
        ref_no,
        stop_payment_id: sp_id,
        stop_payment_status: sp_status,
        frozen_cents: frozen,
        deadline_at: deadline,
    })
}

/// Validated deadline settings from minutes/hours text.
pub fn parse_settings(fields: &[(&str, &str)]) -> Result<Settings, Vec<Msg>> {
    let mut s = Settings::default();
    let mut errs = Vec::new();
    for (k, v) in fields {
        let n: Option<i64> = v.trim().parse().ok().filter(|n: &i64| *n >= 0);
        let Some(n) = n else {
            errs.push(Msg::new("warn-err-setting").arg("field", k));
            continue;
        };
        let min = n * 60_000;
        match *k {
            "high_ack_min" => s.high.ack_ms = min,
            "high_contact_min" => s.high.contact_ms = min,
            "medium_ack_min" => s.medium.ack_ms = min,
            "medium_contact_min" => s.medium.contact_ms = min,
            "low_ack_min" => s.low.ack_ms = min,
            "low_contact_min" => s.low.contact_ms = min,
            "weight_ack" => s.weights.ack = n,
            "weight_contact" => s.weights.contact = n,
            "weight_escalations" => s.weights.escalations = n,
            "weight_victims" => s.weights.victims = n,
            "weight_campaigns" => s.weights.campaigns = n,
            _ => {}
        }
    }
    for w in [s.high, s.medium, s.low] {
        if w.ack_ms < 60_000 || w.contact_ms < w.ack_ms || w.contact_ms > 30 * 24 * 3_600_000 {
            errs.push(Msg::new("warn-err-windows"));
            break;
        }
    }
    let ws = s.weights;
    if [ws.ack, ws.contact, ws.escalations, ws.victims, ws.campaigns]
        .iter()
        .any(|w| *w > 100)
        || ws.ack + ws.contact + ws.escalations + ws.victims + ws.campaigns == 0
    {
        errs.push(Msg::new("warn-err-weights"));
    }
    if errs.is_empty() {
        Ok(s)
    } else {
        Err(errs)
    }
}
