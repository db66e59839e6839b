//! Issuing warnings: one (repeat-safe with an idempotency key), a CSV batch in one transaction,
//! and the internal follow-ups other modules raise.

use super::*;
use crate::kernel::ids::{StudentId, WarningId};

/// What issuing answers: the warning to police, a receipt to a partner.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Issued {
    Warning(Box<Warning>),
    Receipt(Receipt),
}

/// Issues one warning as the caller, from the fields as sent; `true` when created (a repeat of an
/// idempotency key answers the first one). Police get the warning, matched and routed; a partner
/// gets only a receipt, the same whether or not anybody matches (the intake job matches later).
/// The issuance (or the receipt) is audited.
pub async fn issue(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    input: &WarningInput,
    key: Option<String>,
) -> Result<(Issued, bool), WarnError> {
    let issuer = issuer_of(p)?;
    if issuer.kind == "partner" {
        let (r, created) =
            crate::warnings::receipts::receive(db, clock, &issuer, key, input).await?;
        if created {
            crate::audit::record(
                &db.pool,
                clock,
                actor,
                crate::audit::Event {
                    action: "warning.receive",
                    target_kind: "warning_receipt",
                    target_id: r.id.to_string(),
                    unit_path: issuer.home_path.clone(),
                    detail: serde_json::json!({"reference": r.reference}),
                },
            )
            .await?;
        }
        return Ok((Issued::Receipt(r), created));
    }
    let mut nw = parse_input(input).map_err(WarnError::Refused)?;
    nw.idempotency_key = key;
    let (w, created) = issue_from(db, clock, &issuer, nw).await?;
    if created {
        crate::audit::record(
            &db.pool,
            clock,
            actor,
            crate::audit::Event {
                action: "warning.issue",
                target_kind: "warning",
                target_id: w.id.to_string(),
                unit_path: w.unit_path.clone(),
                detail: serde_json::json!({"severity": w.severity, "fraud_type": w.fraud_type, "status": w.status}),
            },
        )
        .await?;
    }
    Ok((Issued::Warning(Box::new(w)), created))
}

/// What a CSV batch created.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct BatchOut {
    pub created: usize,
    pub ids: Vec<i64>,
    pub unidentified: usize,
}

/// Issues a CSV batch as the caller (police and staff, not partners): any bad row refuses the
/// whole batch, with line numbers; the batch is audited.
pub async fn issue_csv(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    body: &[u8],
) -> Result<BatchOut, WarnError> {
    let issuer = staff_issuer_of(p)?;
    let items = parse_csv(body).map_err(WarnError::RefusedLines)?;
    let ws = issue_batch(db, clock, &issuer, items).await?;
    crate::audit::record(
        &db.pool,
        clock,
        actor,
        crate::audit::Event {
            action: "warning.batch",
            target_kind: "warning",
            target_id: String::new(),
            unit_path: issuer.home_path.clone(),
            detail: serde_json::json!({"count": ws.len()}),
        },
    )
    .await?;
    Ok(BatchOut {
        created: ws.len(),
        unidentified: ws
            .iter()
            .filter(|w| w.status() == Status::Unidentified)
            .count(),
        ids: ws.iter().map(|w| w.id.get()).collect(),
    })
}

/// Issues one checked warning for an issuer (the system's demo and jobs, and [`issue`]). With an
/// idempotency key, a repeat returns the first warning (and `false`).
pub async fn issue_from(
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

pub(super) async fn issue_once(
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
                issuer.account_id.unwrap_or_default(),
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

/// Rows of one multi-row INSERT of routed warnings (25 parameters each).
pub(super) const BATCH_ROWS: usize = 500;

/// Routes matched warnings of a batch in memory and inserts them, already routed, with one
/// multi-row INSERT; then buffers their events and notices and queues their deadline jobs.
/// Returns (item index, warning).
pub(super) async fn insert_routed(
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
    let rows: Vec<(&NewWarning, store::Routing)> = plans
        .iter()
        .map(|p| {
            (
                p.nw,
                store::Routing {
                    student_id: p.student.id,
                    school_id: p.student.school_id,
                    unit_path: p.student.class_path.clone(),
                    level: p.level,
                    assignee: p.assignee,
                    win: p.win,
                    now,
                },
            )
        })
        .collect();
    let ws = store::insert_routed(c, backend, issuer.issued_by(), &rows).await?;
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

/// An internal follow-up for the counselor (see [`create_followup`]) unless the same origin
/// already raised one for this student in the last 24 hours: a student who checks five
/// suspicious messages in a row gets one follow-up, not five. `Ok(None)` when skipped, also when
/// the follow-up is refused (e.g. the student left); a database error is returned.
pub async fn followup_once(
    tx: &mut AnyConnection,
    clock: &Clock,
    student_id: StudentId,
    fraud_type: &str,
    origin: &str,
    detail: &str,
) -> Result<Option<WarningId>, WarnError> {
    let since = clock.now_ms() - 24 * 3_600_000;
    let recent = store::recent_internal(tx, student_id, origin, since).await?;
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
    student_id: StudentId,
    fraud_type: &str,
    origin: &str,
    detail: &str,
) -> Result<WarningId, WarnError> {
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
    let id = store::insert_unidentified(
        tx,
        issuer.issued_by(),
        &nw,
        Some(student.school_id),
        &student.class_path,
        now,
    )
    .await?
    .id;
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
