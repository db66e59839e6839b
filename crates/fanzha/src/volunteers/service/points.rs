//! Use cases of points, rewards, certificates and leaderboards.

use crate::kernel::ids::AccountId;
use sqlx::AnyConnection;

use super::{award_cause, conn, publishing_unit, volunteer_of, VR};
use crate::auth::model::Principal;
use crate::auth::policy::{self, Action};
use crate::clock::Clock;
use crate::db::Db;
use crate::error::Msg;
use crate::org::store::lookups as org_lookups;
use crate::volunteers::model::{ClaimStatus, EntryKind, VolError};
use crate::volunteers::store::{
    self, Certificate, Claim, NewEntry, Posted, Reward, Task, Volunteer,
};

/// Appends the award of a task to a volunteer once: a replay of the same cause changes nothing.
/// Returns whether points were credited now.
pub async fn award(
    c: &mut AnyConnection,
    t: &Task,
    volunteer_id: i64,
    by: AccountId,
    now: i64,
) -> VR<bool> {
    let cause = award_cause(t.id, volunteer_id);
    let e = NewEntry {
        volunteer_id,
        kind: EntryKind::Award,
        points: t.points,
        cause: &cause,
        task_id: Some(t.id),
        reward_id: None,
        reverses: None,
        note: &t.title,
        by: Some(by),
    };
    post(c, &e, now).await
}

/// Appends an entry through the same path as the service (a replay of its cause is a no-op),
/// keeping the stored totals equal to the sums; false when nothing was appended. Refused when it
/// would take the balance below zero.
pub async fn post(c: &mut AnyConnection, e: &NewEntry<'_>, now: i64) -> VR<bool> {
    match store::post_entry(c, e, now).await? {
        Posted::Appended(_) => Ok(true),
        Posted::Replayed => Ok(false),
        Posted::Insufficient => Err(VolError::Insufficient),
    }
}

/// The caller's ledger (own entries only), newest first.
pub async fn my_ledger(db: &Db, p: &Principal) -> VR<(Volunteer, Vec<store::Entry>)> {
    let mut c = conn(db).await?;
    let v = volunteer_of(&mut c, p).await?;
    let e = store::entries(&mut c, v.id).await?;
    Ok((v, e))
}

/// Rewards a volunteer may redeem: those of their school and of the stations covering it.
pub async fn rewards_for(db: &Db, p: &Principal) -> VR<Vec<Reward>> {
    let mut c = conn(db).await?;
    let paths = match store::volunteer_by_account(&mut c, p.account_id).await? {
        Some(v) => {
            let mut n = org_lookups::station_paths_of_school(&mut c, v.school_id).await?;
            n.push(v.school_path.clone());
            n
        }
        None => match publishing_unit(p) {
            Some((_, path)) => vec![path],
            None => vec![],
        },
    };
    Ok(store::rewards_of_units(&mut c, &paths).await?)
}

/// Lists a reward of the caller's unit.
pub async fn add_reward(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    name: &str,
    cost: i64,
    stock: i64,
) -> VR<Reward> {
    let (unit_id, path) = publishing_unit(p).ok_or(VolError::NoUnit)?;
    let mut problems = Vec::new();
    let name = match crate::text::name(name) {
        Ok("") => {
            problems.push(Msg::new("vol-err-required").arg("field", "name"));
            ""
        }
        Ok(n) if n.chars().count() > 100 => {
            problems.push(
                Msg::new("vol-err-too-long")
                    .arg("field", "name")
                    .arg("max", 100),
            );
            ""
        }
        Ok(n) => n,
        Err(e) => {
            problems.push(Msg::new(e.key()));
            ""
        }
    };
    if !(1..=100_000).contains(&cost) {
        problems.push(Msg::new("vol-err-cost"));
    }
    if !(0..=100_000).contains(&stock) {
        problems.push(Msg::new("vol-err-stock-value"));
    }
    if !problems.is_empty() {
        return Err(VolError::Invalid(problems));
    }
    let mut tx = db.begin_write().await?;
    let id =
        store::insert_reward(&mut tx, unit_id, &path, name, cost, stock, clock.now_ms()).await?;
    let r = store::reward(&mut tx, id)
        .await?
        .ok_or(VolError::NotFound)?;
    tx.commit().await?;
    Ok(r)
}

/// Redeems points for a reward: the stock and the balance are both checked in this transaction,
/// neither goes below zero; a retry with the same key redeems once.
pub async fn redeem(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    reward_id: i64,
    key: &str,
) -> VR<store::Entry> {
    let key = key.trim();
    if key.is_empty() || key.len() > 100 {
        return Err(VolError::Invalid(vec![Msg::new("vol-err-key")]));
    }
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    let r = store::reward(&mut tx, reward_id)
        .await?
        .ok_or(VolError::NotFound)?;
    let v = volunteer_of(&mut tx, p).await?;
    let cause = format!("redeem:volunteer:{}:{key}", v.id);
    if let Some(e) = store::entry_by_cause(&mut tx, &cause).await? {
        return Ok(e);
    }
    let mut reach = org_lookups::station_paths_of_school(&mut tx, v.school_id).await?;
    reach.push(v.school_path.clone());
    if !reach.contains(&r.unit_path) {
        return Err(VolError::NotFound);
    }
    if v.balance < r.cost {
        return Err(VolError::Insufficient);
    }
    if !store::take_stock(&mut tx, reward_id).await? {
        return Err(VolError::OutOfStock);
    }
    let e = NewEntry {
        volunteer_id: v.id,
        kind: EntryKind::Redeem,
        points: -r.cost,
        cause: &cause,
        task_id: None,
        reward_id: Some(reward_id),
        reverses: None,
        note: &r.name,
        by: Some(p.account_id),
    };
    if !post(&mut tx, &e, now).await? {
        return Err(VolError::AlreadyClaimed);
    }
    let e = store::entry_by_cause(&mut tx, &cause)
        .await?
        .ok_or(VolError::NotFound)?;
    tx.commit().await?;
    Ok(e)
}

/// Issues an hours certificate of the caller's approved hours (recomputed from the records).
pub async fn issue_certificate(db: &Db, clock: &Clock, p: &Principal) -> VR<Certificate> {
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    let v = volunteer_of(&mut tx, p).await?;
    let minutes = store::minutes_from_records(&mut tx, v.id).await?;
    if minutes == 0 {
        return Err(VolError::Invalid(vec![Msg::new("vol-err-no-hours")]));
    }
    let tasks = store::claims_of_volunteer(&mut tx, v.id)
        .await?
        .iter()
        .filter(|c| c.status == ClaimStatus::Approved && c.minutes > 0)
        .count() as i64;
    let year = chrono::DateTime::from_timestamp_millis(now)
        .map(|d| d.format("%Y").to_string())
        .unwrap_or_default();
    let token = crate::auth::password::random_token();
    let suffix: String = token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(8)
        .collect::<String>()
        .to_uppercase();
    let cert = Certificate {
        number: format!("VH{year}-{suffix}"),
        volunteer_id: v.id,
        name: v.name.clone(),
        masked_no: crate::volunteers::model::mask_student_no(&v.student_no),
        school: v.school_name.clone(),
        organisation: format!("{} 反诈志愿服务队", v.school_name),
        minutes,
        tasks,
        issued_at: now,
    };
    store::insert_certificate(&mut tx, &cert).await?;
    tx.commit().await?;
    Ok(cert)
}

/// A certificate by its number, for the public verify page.
pub async fn certificate(db: &Db, number: &str) -> VR<Certificate> {
    let mut c = conn(db).await?;
    store::certificate(&mut c, number.trim())
        .await?
        .ok_or(VolError::NotFound)
}

/// A volunteer's page: tasks done, certificates.
pub async fn profile(db: &Db, v: &Volunteer) -> VR<(Vec<Claim>, Vec<Certificate>)> {
    let mut c = conn(db).await?;
    let claims = store::claims_of_volunteer(&mut c, v.id).await?;
    let certs = store::certificates_of(&mut c, v.id).await?;
    Ok((claims, certs))
}

/// Leaderboards of the caller's school (a volunteer) or of their units (staff): people, classes,
/// schools.
pub struct Boards {
    pub people: Vec<store::Standing>,
    pub classes: Vec<store::Standing>,
    pub schools: Vec<store::Standing>,
}

pub async fn leaderboards(db: &Db, p: &Principal) -> VR<Boards> {
    let mut c = conn(db).await?;
    let paths: Vec<String> = match store::volunteer_by_account(&mut c, p.account_id).await? {
        Some(v) => vec![v.school_path],
        None => policy::scopes_for(p, Action::ViewUnits),
    };
    let mut b = Boards {
        people: vec![],
        classes: vec![],
        schools: vec![],
    };
    for path in &paths {
        b.people
            .extend(store::leaderboard_people(&mut c, path, 20).await?);
        b.classes
            .extend(store::leaderboard_groups(&mut c, path, store::Group::Class, 20).await?);
        b.schools
            .extend(store::leaderboard_groups(&mut c, path, store::Group::School, 20).await?);
    }
    for l in [&mut b.people, &mut b.classes, &mut b.schools] {
        l.sort_by(|a, b| b.points.cmp(&a.points).then(b.minutes.cmp(&a.minutes)));
        l.truncate(20);
    }
    Ok(b)
}
