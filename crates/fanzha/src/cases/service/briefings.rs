//! Monthly briefings of a police station: draft, typical cases, advice, publication.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::UnitId;

/// Saves the draft briefing of a station and month (replacing an earlier draft); typical cases
/// must be cases of that month in the station's jurisdiction.
pub async fn save_briefing(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    input: &BriefingInput,
) -> Result<i64, CaseError> {
    require_manage(p)?;
    let code = Some(input.station.as_str());
    let station = unit_visible_to(db, clock, p, actor, code, Action::ManageCases).await?;
    let by = p.account_id;
    let (station, month, title, advice, case_ids) = (
        &station,
        input.month.as_str(),
        input.title.as_str(),
        input.advice.as_str(),
        input.case_ids.as_slice(),
    );
    if station.kind != UnitKind::PoliceStation {
        return Err(refuse("cases-err-station"));
    }
    let m = Month::parse(month).ok_or_else(|| refuse("cases-err-month"))?;
    if ms_of_date(m.first_day()) > clock.now_ms() {
        return Err(refuse("cases-err-month"));
    }
    let title = crate::text::name(title).map_err(|e| refuse(e.key()))?;
    if title.is_empty() || title.chars().count() > 200 || advice.chars().count() > 8000 {
        return Err(refuse("cases-err-briefing-text"));
    }
    let paths = unit_paths(db, station).await?;
    let (from, to) = (ms_of_date(m.first_day()), ms_of_date(m.next().first_day()));
    let mut ids = case_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for id in &ids {
        let ok = store::case_by_id(db, *id).await?.is_some_and(|c| {
            c.occurred_at >= from
                && c.occurred_at < to
                && paths.iter().any(|p| c.unit_path.starts_with(p.as_str()))
        });
        if !ok {
            return Err(CaseError::Refused(vec![Msg::new(
                "cases-err-briefing-case",
            )
            .arg("id", id)]));
        }
    }
    let id = store::save_briefing(
        db,
        station.id,
        &m.to_string(),
        title,
        advice.trim(),
        &ids,
        by,
        clock.now_ms(),
    )
    .await?
    .ok_or_else(|| refuse("cases-err-briefing-published"))?;
    audit::record(
        &db.pool,
        clock,
        actor,
        Event {
            action: "briefing.save",
            target_kind: "briefing",
            target_id: id.to_string(),
            unit_path: station.path.clone(),
            detail: serde_json::json!({"month": m.to_string(), "cases": ids.len()}),
        },
    )
    .await?;
    Ok(id)
}

/// Roles a published briefing reaches in each school of the station's jurisdiction.
pub const BRIEFING_ROLES: [Role; 2] = [Role::SchoolAdmin, Role::Counselor];

/// The job that tells every holder of a role in a school about a published briefing, each in the
/// language of their account (`accounts.locale`, zh-CN by default). Payload: `role`, `unit_id`,
/// `briefing_id`, `station`, `month`, `title`.
pub const NOTICE_JOB: &str = "cases.briefing_notice";

/// Registers the briefing notice job (called where the other modules register theirs).
pub fn register_jobs(reg: &mut crate::db::jobs::JobRegistry, db: Db, clock: Clock) {
    reg.register(NOTICE_JOB, move |job: crate::db::jobs::Job| {
        let (db, clock) = (db.clone(), clock.clone());
        async move {
            send_briefing_notice(&db, &clock, &job)
                .await
                .map_err(|e| e.to_string())
        }
    });
}

/// The inbox message about a published briefing, in `lang`.
pub fn briefing_notice(
    lang: crate::i18n::Lang,
    id: i64,
    station: &str,
    month: &str,
    title: &str,
) -> crate::inbox::Notice {
    let args = [
        ("station", station.to_string()),
        ("month", month.to_string()),
        ("title", title.to_string()),
    ];
    crate::inbox::Notice {
        kind: "briefing".into(),
        title: lang.ta("cases-briefing-notice-title", &args),
        body: lang.ta("cases-briefing-notice", &args),
        link: Some(format!("/cases/briefings/{id}")),
    }
}

pub(super) async fn send_briefing_notice(
    db: &Db,
    clock: &Clock,
    job: &crate::db::jobs::Job,
) -> Result<(), String> {
    let p = &job.payload;
    let text = |k: &str| {
        p[k].as_str()
            .map(str::to_string)
            .ok_or(format!("payload without {k}"))
    };
    let (role, station, month, title) = (
        text("role")?,
        text("station")?,
        text("month")?,
        text("title")?,
    );
    let unit_id = UnitId(p["unit_id"].as_i64().ok_or("payload without unit_id")?);
    let id = p["briefing_id"]
        .as_i64()
        .ok_or("payload without briefing_id")?;
    let rows = crate::auth::store::lookups::accounts_with_role_under(db, &role, unit_id)
        .await
        .map_err(|e| e.to_string())?;
    let mut tx = db.begin_write().await.map_err(|e| e.to_string())?;
    // The job id is the source, so a retried job tells nobody twice.
    let source = format!("job:{}", job.id);
    for (account, locale) in rows {
        let lang = crate::i18n::Lang::from_code(&locale);
        let notice = briefing_notice(lang, id, &station, &month, &title);
        crate::inbox::notify_once(
            &mut *tx,
            clock,
            &crate::inbox::Recipient::Account(account),
            &notice,
            Some(&source),
        )
        .await
        .map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    crate::inbox::bump();
    Ok(())
}

/// Publishes a draft and tells the admins and counselors of every school of the jurisdiction, by
/// fan-out jobs (deduplicated per briefing, role and school).
pub async fn publish_briefing(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    id: i64,
) -> Result<usize, CaseError> {
    require_manage(p)?;
    let b = &store::briefing_by_id(db, id)
        .await?
        .ok_or(CaseError::NotFound)?;
    let station = &org_store::unit_by_id(db, b.station_id)
        .await?
        .ok_or(CaseError::NotFound)?;
    let target = Target::Unit(&station.path);
    audit::authorize(db, clock, p, actor, Action::ManageCases, target).await?;
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    if !store::publish_briefing(&mut *tx, b.id, now).await? {
        return Err(refuse("cases-err-briefing-published"));
    }
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "briefing.publish",
            target_kind: "briefing",
            target_id: b.id.to_string(),
            unit_path: station.path.clone(),
            detail: serde_json::json!({"month": b.month}),
        },
    )
    .await?;
    let schools = org_store::jurisdiction_schools(db, station.id).await?;
    let mut n = 0;
    for s in &schools {
        for role in BRIEFING_ROLES {
            let job = crate::db::jobs::NewJob::new(
                NOTICE_JOB,
                serde_json::json!({
                    "role": role.as_str(),
                    "unit_id": s.id,
                    "briefing_id": b.id,
                    "station": station.name,
                    "month": b.month,
                    "title": b.title,
                }),
            )
            .dedup(format!("{NOTICE_JOB}:{}:{}:{}", b.id, role.as_str(), s.id));
            crate::db::jobs::enqueue_with(&mut *tx, clock, job).await?;
            n += 1;
        }
    }
    tx.commit().await?;
    Ok(n)
}

/// May `p` read briefing `b` of `station`? Case viewers of the station always; once published,
/// every staff member whose scope meets a school of the jurisdiction (admins, counselors).
pub async fn may_read_briefing(
    db: &Db,
    p: &Principal,
    b: &store::Briefing,
    station: &Unit,
) -> Result<bool, CaseError> {
    if may_view(p, station) {
        return Ok(true);
    }
    if b.status != "published" {
        return Ok(false);
    }
    let schools = org_store::jurisdiction_schools(db, station.id).await?;
    Ok(p.grants.iter().any(|g| {
        g.role.is_staff()
            && g.scope_paths.iter().any(|sp| {
                schools
                    .iter()
                    .any(|s| sp.starts_with(&s.path) || s.path.starts_with(sp.as_str()))
            })
    }))
}

/// Stations whose briefings `p` may find in the archive: stations in a case-viewing scope, and
/// stations covering a school the caller's staff roles reach.
pub async fn briefing_stations(db: &Db, p: &Principal) -> Result<Vec<Unit>, CaseError> {
    let mut out: Vec<Unit> = Vec::new();
    for g in &p.grants {
        if !g.role.is_staff() {
            continue;
        }
        for sp in &g.scope_paths {
            for st in org_store::units_of_kind_in(db, sp, UnitKind::PoliceStation).await? {
                if may_view(p, &st) && !out.iter().any(|o| o.id == st.id) {
                    out.push(st);
                }
            }
            // Stations over the school that contains or lies under this scope.
            let units = org_store::units_by_paths(db, std::slice::from_ref(sp)).await?;
            for u in units {
                let school = if u.kind == UnitKind::School {
                    Some(u)
                } else {
                    org_store::school_of(db, &u).await?
                };
                if let Some(school) = school {
                    for st in org_store::stations_of_school(db, school.id).await? {
                        if !out.iter().any(|o| o.id == st.id) {
                            out.push(st);
                        }
                    }
                }
            }
        }
    }
    Ok(out)
}
