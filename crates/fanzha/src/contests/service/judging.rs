//! Judging: judges and their conflicts, automatic assignment, score sheets, progress.

use super::*;
use crate::kernel::ids::AccountId;

/// Names judges by their usernames (organisers, before judging closes). A judge's own units are
/// recorded with them: the entries of their schools are conflicts of interest.
pub async fn add_judges(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    id: i64,
    usernames: &str,
) -> Result<usize> {
    let (c, s) = open(db, p, id).await?;
    if !s.organiser {
        return Err(ContestError::Refused("contests-err-not-organiser"));
    }
    if clock.now_ms() >= c.rules.phases.judging_close {
        return Err(ContestError::State("contests-err-judging-closed"));
    }
    let mut judges = Vec::new();
    let mut errs = Vec::new();
    for name in usernames
        .split([',', '\u{FF0C}', '、', '\n', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let acc = crate::auth::store::account_by_username(db, name).await?;
        let Some(acc) = acc.filter(|a| !a.disabled) else {
            errs.push(Msg::new("contests-err-judge").arg("name", name));
            continue;
        };
        let grants = crate::auth::store::grants_of(db, acc.id).await?;
        if !grants
            .iter()
            .any(|g| g.role.is_staff() || g.role == Role::Police)
        {
            errs.push(Msg::new("contests-err-judge").arg("name", name));
            continue;
        }
        let mut own = Vec::new();
        for g in &grants {
            if let Some(u) = crate::org::store::unit_by_id(db, g.unit_id).await? {
                own.push(u.path);
            }
        }
        if let Some(sid) = acc.staff_id {
            if let Some(sf) = crate::org::store::staff_by_id(db, sid).await? {
                if let Some(u) = crate::org::store::unit_by_id(db, sf.unit_id).await? {
                    own.push(u.path);
                }
            }
        }
        own.sort();
        own.dedup();
        judges.push(Judge {
            account_id: acc.id,
            name: acc.display_name,
            own_paths: own,
        });
    }
    if !errs.is_empty() {
        return Err(ContestError::Invalid(errs));
    }
    if judges.is_empty() {
        return Err(invalid("contests-err-no-judges"));
    }
    let mut tx = db.begin_write().await?;
    for j in &judges {
        store::add_judge(&mut tx, c.id, j).await?;
    }
    tx.commit().await?;
    Ok(judges.len())
}

/// Why this judge may not score this entry, if they may not: they advised it, they belong to a
/// team member's class (its counselor, say), or to the entry's school.
pub fn conflict(j: &Judge, e: &Entry) -> Option<Conflict> {
    if e.advisors
        .iter()
        .any(|a| a.account_id == Some(j.account_id))
    {
        return Some(Conflict::Advisor);
    }
    let class = e.members.iter().any(|m| {
        !m.class_path.is_empty()
            && j.own_paths
                .iter()
                .any(|p| p.len() > e.school_path.len() && m.class_path.starts_with(p.as_str()))
    });
    if class {
        return Some(Conflict::Class);
    }
    if j.own_paths.iter().any(|p| p.starts_with(&e.school_path)) {
        return Some(Conflict::School);
    }
    None
}

/// Is this judge conflicted on this entry?
pub fn conflicted(j: &Judge, e: &Entry) -> bool {
    conflict(j, e).is_some()
}

/// What assigning judges did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Assigned {
    pub added: usize,
    /// (judge, entry) pairs left out for a conflict of interest.
    pub excluded: usize,
    /// Entries with fewer than the wanted judges (not enough judges without a conflict).
    pub short: usize,
}

/// Assigns judges to accepted entries: each entry gets up to [`JUDGES_PER_ENTRY`] judges without a
/// conflict, the least loaded first. Run again after more entries or judges, it only adds.
pub async fn assign_judges(db: &Db, clock: &Clock, p: &Principal, id: i64) -> Result<Assigned> {
    let (c, s) = open(db, p, id).await?;
    if !s.organiser {
        return Err(ContestError::Refused("contests-err-not-organiser"));
    }
    let now = clock.now_ms();
    if now < c.rules.phases.entries_close || now >= c.rules.phases.judging_close {
        return Err(ContestError::State("contests-err-assign-window"));
    }
    let mut tx = db.begin_write().await?;
    let out = assign_in(&mut tx, c.id, now).await?;
    tx.commit().await?;
    Ok(out)
}

/// The assignment itself, inside the caller's transaction.
pub async fn assign_in(tx: &mut AnyConnection, contest_id: i64, now: i64) -> Result<Assigned> {
    let judges = store::judges(tx, contest_id).await?;
    if judges.is_empty() {
        return Err(invalid("contests-err-no-judges"));
    }
    let entries: Vec<Entry> = store::entries(tx, contest_id)
        .await?
        .into_iter()
        .filter(|e| e.status == EntryStatus::Accepted)
        .collect();
    let existing = store::assignments(tx, contest_id).await?;
    let mut load: HashMap<AccountId, usize> = judges.iter().map(|j| (j.account_id, 0)).collect();
    for (_, j) in &existing {
        *load.entry(*j).or_default() += 1;
    }
    let mut out = Assigned::default();
    for e in &entries {
        let have: Vec<AccountId> = existing
            .iter()
            .filter(|(en, _)| *en == e.id)
            .map(|(_, j)| *j)
            .collect();
        let mut free: Vec<&Judge> = Vec::new();
        for j in &judges {
            if conflicted(j, e) {
                out.excluded += 1;
            } else if !have.contains(&j.account_id) {
                free.push(j);
            }
        }
        free.sort_by_key(|j| (load.get(&j.account_id).copied().unwrap_or(0), j.account_id));
        let want = JUDGES_PER_ENTRY.saturating_sub(have.len());
        for j in free.iter().take(want) {
            store::assign(tx, contest_id, e.id, j.account_id).await?;
            *load.entry(j.account_id).or_default() += 1;
            out.added += 1;
        }
        if have.len() + free.len().min(want) < JUDGES_PER_ENTRY {
            out.short += 1;
        }
    }
    store::set_judges_assigned(tx, contest_id, now).await?;
    Ok(out)
}

/// A judge scores an entry assigned to them, every criterion 0–10, in the judging window.
pub async fn score(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    id: i64,
    entry_id: i64,
    marks: &[(String, String)],
) -> Result<()> {
    let (c, s) = open(db, p, id).await?;
    if !s.judge {
        return Err(ContestError::Refused("contests-err-not-judge"));
    }
    let now = clock.now_ms();
    if !c.rules.phases.judging_open_at(now) {
        return Err(ContestError::State("contests-err-judging-closed"));
    }
    let mut tx = db.begin_write().await?;
    let e = store::entry(&mut tx, c.id, entry_id)
        .await?
        .filter(|e| e.status == EntryStatus::Accepted)
        .ok_or(ContestError::NotFound)?;
    let judges = store::judges(&mut tx, c.id).await?;
    let me = judges
        .iter()
        .find(|j| j.account_id == p.account_id)
        .ok_or(ContestError::Refused("contests-err-not-judge"))?;
    match conflict(me, &e) {
        Some(Conflict::Advisor) => {
            return Err(ContestError::Refused("contests-err-conflict-advisor"))
        }
        Some(Conflict::Class) => return Err(ContestError::Refused("contests-err-conflict-class")),
        Some(Conflict::School) => return Err(ContestError::Refused("contests-err-conflict")),
        None => {}
    }
    let assigned = store::assignments(&mut tx, c.id)
        .await?
        .contains(&(e.id, p.account_id));
    if !assigned {
        return Err(ContestError::Refused("contests-err-not-assigned"));
    }
    let mut errs = Vec::new();
    let mut sheet: BTreeMap<String, i64> = BTreeMap::new();
    let mut total = 0;
    for cr in &c.rules.criteria {
        let v = marks
            .iter()
            .find(|(k, _)| *k == cr.name)
            .and_then(|(_, v)| v.trim().parse::<i64>().ok())
            .filter(|v| (0..=MAX_MARK).contains(v));
        match v {
            Some(v) => {
                total += v * cr.weight;
                sheet.insert(cr.name.clone(), v);
            }
            None => errs.push(
                Msg::new("contests-err-mark")
                    .arg("criterion", &cr.name)
                    .arg("max", MAX_MARK),
            ),
        }
    }
    if !errs.is_empty() {
        return Err(ContestError::Invalid(errs));
    }
    store::put_score(
        &mut tx,
        c.id,
        e.id,
        p.account_id,
        &serde_json::to_string(&sheet).unwrap_or_default(),
        total,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One judge's progress.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ContestJudgeProgress)]
pub struct JudgeProgress {
    pub name: String,
    pub account_id: AccountId,
    pub assigned: usize,
    pub scored: usize,
    pub conflicts: usize,
    /// Of the conflicts: entries they advised, entries of their class(es).
    pub advised: usize,
    pub of_class: usize,
}

/// The judging progress of a contest.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ContestProgress)]
pub struct Progress {
    pub judges: Vec<JudgeProgress>,
    pub entries: usize,
    pub sheets_due: usize,
    pub sheets_done: usize,
    /// Entries with fewer judges than wanted.
    pub short: usize,
}

/// Judging progress for organisers.
pub async fn progress(db: &Db, p: &Principal, id: i64) -> Result<Progress> {
    let (c, s) = open(db, p, id).await?;
    if !s.organiser {
        return Err(ContestError::Refused("contests-err-not-organiser"));
    }
    let mut conn = db.pool.acquire().await?;
    let judges = store::judges(&mut conn, c.id).await?;
    let entries: Vec<Entry> = store::entries(&mut conn, c.id)
        .await?
        .into_iter()
        .filter(|e| e.status == EntryStatus::Accepted)
        .collect();
    let asg = store::assignments(&mut conn, c.id).await?;
    let scores = store::scores(&mut conn, c.id).await?;
    let done = |j: AccountId, e: i64| scores.iter().any(|(sj, se, _)| *sj == j && *se == e);
    let list = judges
        .iter()
        .map(|j| JudgeProgress {
            name: j.name.clone(),
            account_id: j.account_id,
            assigned: asg.iter().filter(|(_, a)| *a == j.account_id).count(),
            scored: asg
                .iter()
                .filter(|(e, a)| *a == j.account_id && done(*a, *e))
                .count(),
            conflicts: entries.iter().filter(|e| conflicted(j, e)).count(),
            advised: entries
                .iter()
                .filter(|e| conflict(j, e) == Some(Conflict::Advisor))
                .count(),
            of_class: entries
                .iter()
                .filter(|e| conflict(j, e) == Some(Conflict::Class))
                .count(),
        })
        .collect();
    let short = entries
        .iter()
        .filter(|e| asg.iter().filter(|(en, _)| *en == e.id).count() < JUDGES_PER_ENTRY)
        .count();
    Ok(Progress {
        judges: list,
        entries: entries.len(),
        sheets_due: asg.len(),
        sheets_done: asg.iter().filter(|(e, j)| done(*j, *e)).count(),
        short,
    })
}

/// The entries assigned to a judge, with whether they scored them.
pub async fn my_assignments(db: &Db, p: &Principal, c: &Contest) -> Result<Vec<(Entry, bool)>> {
    let mut conn = db.pool.acquire().await?;
    let asg = store::assignments(&mut conn, c.id).await?;
    let scores = store::scores(&mut conn, c.id).await?;
    let entries = store::entries(&mut conn, c.id).await?;
    Ok(entries
        .into_iter()
        .filter(|e| asg.contains(&(e.id, p.account_id)))
        .map(|e| {
            let done = scores
                .iter()
                .any(|(j, en, _)| *j == p.account_id && *en == e.id);
            (e, done)
        })
        .collect())
}
