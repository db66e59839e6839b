//! Matching a warning to a person and routing it to the one responsible person inside the
//! caller's transaction: the chain, the clocks, the deadline jobs and the notices, with a cache
//! so a batch or a scan costs a few queries per class rather than per warning.

use super::*;
use crate::kernel::ids::{AccountId, UnitId, WarningId};

/// Whom a warning is about, once matched.
pub(super) enum Matched {
    Student(StudentRef),
    /// Nobody matched; the queue is the school's when one is known.
    Unmatched {
        school: Option<(UnitId, String)>,
    },
}

pub(super) async fn match_subject(
    c: &mut AnyConnection,
    cache: &RouteCache,
    issuer: &Issuer,
    s: &Subject,
) -> Result<Matched, WarnError> {
    let school = match &s.school_code {
        Some(code) => match store::unit_by_code(c, code).await? {
            Some(u) if u.kind == "school" && in_scope(&u.path, &issuer.scopes) => {
                Some((u.id, u.path))
            }
            _ => {
                return Err(WarnError::Refused(vec![
                    Msg::new("warn-err-school").arg("value", code)
                ]))
            }
        },
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
    pub(super) chains: std::collections::HashMap<String, Vec<Link>>,
    pub(super) settings: std::collections::HashMap<UnitId, Settings>,
    /// Seconds for which a tick job was queued in this batch.
    pub(super) ticks: std::collections::HashSet<i64>,
    /// Students by phone, loaded at once for a batch (absent: looked up one by one).
    pub(super) phones: Option<std::collections::HashMap<String, Vec<StudentRef>>>,
    /// In a batch, events and notices are buffered and written with multi-row inserts at the end.
    pub(super) deferred: Option<Deferred>,
    /// The channels of each school's outside notices.
    pub(super) channels:
        std::collections::HashMap<UnitId, Vec<crate::warnings::notify::SchoolChannel>>,
    /// The language of each recipient told in this batch or scan.
    pub(super) langs: std::collections::HashMap<String, Lang>,
}

/// Writes buffered by a batch: events and (recipient, notice, source, at).
#[derive(Default)]
pub(super) struct Deferred {
    pub(super) events: Vec<store::NewEvent>,
    pub(super) notices: Vec<(String, Notice, String, Millis)>,
}

impl RouteCache {
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn event(
        &mut self,
        c: &mut AnyConnection,
        warning_id: WarningId,
        at: Millis,
        kind: &str,
        actor: (Option<AccountId>, &str),
        level: i64,
        staff: Option<i64>,
        dedup: &str,
        detail: serde_json::Value,
    ) -> Result<(), DbError> {
        match self.deferred.as_mut() {
            Some(d) => d.events.push(store::NewEvent {
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
    pub(super) async fn notify(
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
    pub(super) async fn flush(
        &mut self,
        c: &mut AnyConnection,
        backend: crate::db::Backend,
    ) -> Result<(), DbError> {
        let Some(d) = self.deferred.take() else {
            return Ok(());
        };
        store::insert_events(c, backend, &d.events).await?;
        inbox::notify_many_once(c, backend, &d.notices).await?;
        Ok(())
    }
    pub(super) async fn tick(
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
    pub(super) async fn preload_phones(
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
    pub(super) async fn chain(
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
    pub(super) async fn lang(
        &mut self,
        c: &mut AnyConnection,
        to: &Recipient,
    ) -> Result<Lang, DbError> {
        let key = to.key();
        if let Some(l) = self.langs.get(&key) {
            return Ok(*l);
        }
        let l = lang_of(c, to).await?;
        self.langs.insert(key, l);
        Ok(l)
    }
    pub(super) async fn channels(
        &mut self,
        c: &mut AnyConnection,
        school_id: UnitId,
    ) -> Result<Vec<crate::warnings::notify::SchoolChannel>, DbError> {
        if let Some(v) = self.channels.get(&school_id) {
            return Ok(v.clone());
        }
        let v = crate::warnings::notify::channels_of_school(c, school_id).await?;
        self.channels.insert(school_id, v.clone());
        Ok(v)
    }
    pub(super) async fn settings(
        &mut self,
        c: &mut AnyConnection,
        school_id: UnitId,
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
pub(super) async fn schedule_tick(
    c: &mut AnyConnection,
    clock: &Clock,
    at: Millis,
) -> Result<(), DbError> {
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
pub(super) struct NoticeSpec {
    pub(super) key: &'static str,
    /// The student's name (`$name`).
    pub(super) name: Option<String>,
    /// The missed deadline's kind, `ack` or `contact` (`$missed`, translated).
    pub(super) missed: Option<String>,
}

impl NoticeSpec {
    pub(super) fn new(key: &'static str) -> NoticeSpec {
        NoticeSpec {
            key,
            name: None,
            missed: None,
        }
    }

    /// The notice in `lang`.
    pub(super) fn render(&self, lang: Lang, w: &Warning) -> Notice {
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
pub(super) async fn lang_of(c: &mut AnyConnection, to: &Recipient) -> Result<Lang, DbError> {
    let locale = store::locale_of(c, to).await?;
    Ok(locale.map_or(Lang::ZhCn, |l| Lang::from_code(&l)))
}

/// Tells everybody at `level` of the chain about the warning; returns how many were told. The
/// `source` makes a retried escalation tell nobody twice.
#[allow(clippy::too_many_arguments)]
pub(super) async fn notify_level(
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
            crate::warnings::notify::queue(c, clock, w, &chans, &people, &n, source).await?;
        }
    }
    Ok(told)
}

/// The lowest level at or above `from` with somebody to tell (the police level always counts).
pub(super) fn first_staffed_level(chain: &[Link], from: i64) -> i64 {
    (from..LEVEL_POLICE)
        .find(|l| chain.iter().any(|x| x.level == *l))
        .unwrap_or(LEVEL_POLICE)
}

pub(super) fn counselor_of(chain: &[Link], level: i64) -> Option<i64> {
    chain
        .iter()
        .find(|l| l.level == level)
        .or_else(|| chain.first())
        .map(|l| l.staff_id)
}

/// Routes a matched warning: picks the responsible person, starts both clocks, queues the scan
/// and tells the person. Runs in the caller's transaction.
pub(super) async fn route(
    c: &mut AnyConnection,
    clock: &Clock,
    cache: &mut RouteCache,
    warning_id: WarningId,
    sev: Severity,
    student: &StudentRef,
    actor: (Option<AccountId>, &str),
) -> Result<Warning, WarnError> {
    let now = clock.now_ms();
    let chain = cache.chain(c, &student.class_path).await?;
    let settings = cache.settings(c, student.school_id).await?;
    let win = settings.windows(sev);
    let level = first_staffed_level(&chain, LEVEL_COUNSELOR);
    let assignee = counselor_of(&chain, level);
    let routing = store::Routing {
        student_id: student.id,
        school_id: student.school_id,
        unit_path: student.class_path.clone(),
        level,
        assignee,
        win,
        now,
    };
    let (ack_due, contact_due) = (routing.ack_due(), routing.contact_due());
    let w = store::route_to(c, warning_id, &routing).await?;
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
pub(super) async fn insert(
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
pub(super) async fn insert_matched(
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
pub(super) async fn insert_row(
    c: &mut AnyConnection,
    clock: &Clock,
    cache: &mut RouteCache,
    issuer: &Issuer,
    nw: &NewWarning,
    school_id: Option<UnitId>,
    unit_path: &str,
) -> Result<Warning, WarnError> {
    let now = clock.now_ms();
    let w =
        store::insert_unidentified(c, issuer.issued_by(), nw, school_id, unit_path, now).await?;
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
pub(super) async fn after_insert(
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
pub(in crate::warnings) async fn insert_received(
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
pub(in crate::warnings) async fn route_received(
    c: &mut AnyConnection,
    clock: &Clock,
    issuer: &Issuer,
    nw: &NewWarning,
    warning_id: WarningId,
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
        store::hold_at_school(c, warning_id, *sid, path, clock.now_ms()).await?;
    }
    let w = store::warning_by_id(c, warning_id)
        .await?
        .ok_or(WarnError::NotFound)?;
    after_insert(c, clock, &mut cache, issuer, nw.severity, w, matched).await
}
