//! The escalation scan: every missed deadline climbs one level of the chain, exactly once, and
//! the next level is told.

use super::*;

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
pub(super) async fn escalate_one(
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
        store::clear_deadline(c, w.id, deadline).await?;
        return Ok(false);
    };
    let chain = match w.student_id {
        Some(sid) => match store::student_ref(c, sid).await? {
            Some(s) => cache.chain(c, &s.class_path).await?,
            None => vec![],
        },
        None => vec![],
    };
    let windows = store::windows_of(c, w.id).await?;
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
        windows.ack_ms
    } else {
        windows.contact_ms
    };
    let next = (new_level < LEVEL_POLICE).then_some(deadline + window);
    let (ack_due, contact_due) = if kind == "ack" {
        (next.or(w.ack_due_at), w.contact_due_at)
    } else {
        (w.ack_due_at, next.or(w.contact_due_at))
    };
    let now = clock.now_ms();
    // Compare-and-set on the deadline being handled: a second scan finds nothing to do.
    let changed = store::escalate(
        c,
        &store::Escalation {
            id: w.id,
            deadline,
            level: new_level,
            next,
            next_kind: next.map(|_| kind.clone()),
            ack_due,
            contact_due,
            counted: if at_top { 0 } else { 1 },
            assignee: counselor_of(&chain, LEVEL_COUNSELOR),
            now,
        },
    )
    .await?;
    if !changed || at_top {
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
