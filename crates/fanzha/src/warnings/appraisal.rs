//! Figures over warnings: the police and school views (states, share acted on in time, median
//! times, unreached people) and the appraisal of the responsibility chain (包保考核).

use crate::kernel::ids::WarningId;
use std::collections::{BTreeMap, HashMap};

use super::model::*;
use super::store::{self, ListFilter};
use crate::clock::Millis;
use crate::db::{Db, DbError};
use crate::org::store::lookups as org_lookups;

/// Most warnings a view or appraisal reads at once.
pub const MAX_ROWS: i64 = 200_000;

#[derive(Clone, Debug, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Figures {
    pub total: i64,
    /// Count per status id.
    pub by_status: BTreeMap<String, i64>,
    /// Routed warnings (the ones with a clock).
    pub routed: i64,
    pub acknowledged_in_time: i64,
    pub contacted_in_time: i64,
    /// Share (0–1) of routed warnings acknowledged and contacted within their deadlines.
    pub acted_in_time_share: f64,
    pub median_ack_ms: Option<i64>,
    pub median_contact_ms: Option<i64>,
    pub escalations: i64,
    /// Warnings whose person was not reached: outcome "could not reach", or contact deadline passed
    /// without contact.
    pub unreached: Vec<WarningId>,
    pub protected_cents: i64,
    pub loss_cents: i64,
}

fn median(mut v: Vec<i64>) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2
    })
}

/// Was the warning acknowledged / contacted within its original deadlines?
pub fn in_time(w: &Warning, ack_window: i64, contact_window: i64) -> (bool, bool) {
    let Some(r) = w.routed_at else {
        return (false, false);
    };
    (
        w.acknowledged_at.is_some_and(|a| a <= r + ack_window),
        w.contacted_at.is_some_and(|c| c <= r + contact_window),
    )
}

/// Warnings of a period under some paths, with their original windows.
pub async fn load(
    db: &Db,
    paths: &[String],
    from: Millis,
    to: Millis,
) -> Result<Vec<(Warning, i64, i64)>, DbError> {
    let mut c = db.pool.acquire().await?;
    let ws = store::list(
        &mut c,
        &ListFilter {
            paths: paths.to_vec(),
            status: None,
            from: Some(from),
            to: Some(to),
            limit: MAX_ROWS,
            offset: 0,
            search: String::new(),
        },
    )
    .await?;
    let ids: Vec<WarningId> = ws.iter().map(|w| w.id).collect();
    let windows = store::windows_of_many(&mut c, &ids).await?;
    Ok(ws
        .into_iter()
        .map(|w| {
            let (a, k) = windows
                .get(&w.id)
                .map_or((0, 0), |x| (x.ack_ms, x.contact_ms));
            (w, a, k)
        })
        .collect())
}

pub fn figures(rows: &[(Warning, i64, i64)], now: Millis) -> Figures {
    let mut f = Figures {
        total: rows.len() as i64,
        ..Figures::default()
    };
    let (mut acks, mut contacts) = (Vec::new(), Vec::new());
    let mut both = 0;
    for (w, a, k) in rows {
        *f.by_status
            .entry(w.status.as_str().to_string())
            .or_default() += 1;
        f.escalations += w.escalations;
        f.protected_cents += w.protected_cents.unwrap_or(0);
        f.loss_cents += w.loss_cents.unwrap_or(0);
        let Some(r) = w.routed_at else { continue };
        f.routed += 1;
        let (ai, ci) = in_time(w, *a, *k);
        f.acknowledged_in_time += ai as i64;
        f.contacted_in_time += ci as i64;
        both += (ai && ci) as i64;
        if let Some(t) = w.acknowledged_at {
            acks.push(t - r);
        }
        if let Some(t) = w.contacted_at {
            contacts.push(t - r);
        }
        let unreached = w.outcome.as_deref() == Some("could_not_reach")
            || (w.contacted_at.is_none()
                && w.outcome.is_none()
                && w.contact_due_at.is_some_and(|d| d < now));
        if unreached {
            f.unreached.push(w.id);
        }
    }
    f.acted_in_time_share = if f.routed > 0 {
        both as f64 / f.routed as f64
    } else {
        0.0
    };
    f.median_ack_ms = median(acks);
    f.median_contact_ms = median(contacts);
    f
}

/// One ranked row of the appraisal.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AppraisalRow {
    /// `person` or `unit`.
    pub kind: String,
    pub id: i64,
    pub name: String,
    pub unit: String,
    pub warnings: i64,
    /// Share (0–1) acknowledged in time; absent with no warning routed (no data is not a failure).
    pub ack_in_time_share: Option<f64>,
    /// Share (0–1) contacted in time; absent with no warning routed.
    pub contact_in_time_share: Option<f64>,
    pub median_ack_ms: Option<i64>,
    pub median_contact_ms: Option<i64>,
    pub escalations_caused: i64,
    pub victims: i64,
    /// Enrolled students of the person's / unit's classes.
    pub students: i64,
    /// Share (0–1) of those students who acknowledged a campaign delivery in the period.
    pub campaign_coverage: f64,
    /// Of `students`, those no channel can reach (no active account): in the coverage's
    /// denominator, shown apart so a class is not read as merely unresponsive.
    pub unreachable_students: i64,
    /// 0–100, weighted by the school's settings; the warning components (in time, escalations)
    /// are left out of the weighted average for someone with no warning in the period.
    pub score: f64,
    pub rank: i64,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Appraisal {
    pub from: Millis,
    pub to: Millis,
    pub weights: Weights,
    pub people: Vec<AppraisalRow>,
    pub units: Vec<AppraisalRow>,
}

/// Victims per unit path under `path`: recorded cases (`cases`, the cases module) that occurred
/// in [from, to), counted at the unit the case belongs to (the victim's class for students).
pub async fn victims_by_unit(
    db: &Db,
    path: &str,
    from: Millis,
    to: Millis,
) -> Result<HashMap<String, i64>, DbError> {
    crate::cases::reads::victims_by_unit(db, path, from, to).await
}

/// Per class path under `path`: (enrolled students, students who acknowledged at least one
/// campaign delivery in [from, to), enrolled students without an active account — whom no
/// campaign reaches) — from the campaigns module's `campaign_deliveries`, whose `unit_path` is the
/// student's class.
pub async fn campaign_reach_by_class(
    db: &Db,
    path: &str,
    from: Millis,
    to: Millis,
) -> Result<HashMap<String, (i64, i64, i64)>, DbError> {
    let students = org_lookups::enrolled_by_class(db, path).await?;
    let acked = crate::campaigns::reads::acknowledged_by_class(db, path, from, to).await?;
    let mut out: HashMap<String, (i64, i64, i64)> = students
        .into_iter()
        .map(|(p, n, unreachable)| (p, (n, 0, unreachable)))
        .collect();
    for (p, n) in acked {
        let e = out.entry(p).or_default();
        // Never above the class's enrolled students (a student who left still acknowledged).
        e.1 = n.min(e.0);
    }
    Ok(out)
}

/// The unit paths a path lies under, itself included: `/1/5/9/` → `/1/`, `/1/5/`, `/1/5/9/`.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.char_indices()
        .filter(|(i, c)| *c == '/' && *i > 0)
        .map(move |(i, _)| &path[..=i])
}

/// The weighted average of the components, 0–100. `warned` holds the in-time shares and the
/// escalation rate when the person or unit had warnings; without any, those components are left
/// out of the average (their weights too) rather than counted as failures. `extra` holds the
/// (weight, 0–1 figure) of the registry's components (`crate::appraisal`) that have data.
fn score(
    w: &Weights,
    warned: Option<(f64, f64, f64)>,
    victims: i64,
    coverage: f64,
    extra: &[(i64, f64)],
) -> f64 {
    let vic = 1.0 / (1.0 + victims as f64);
    let mut parts = vec![(w.victims, vic), (w.campaigns, coverage)];
    parts.extend_from_slice(extra);
    if let Some((ack, contact, esc_rate)) = warned {
        parts.extend([
            (w.ack, ack),
            (w.contact, contact),
            (w.escalations, 1.0 - esc_rate.min(1.0)),
        ]);
    }
    let total = parts.iter().map(|(w, _)| *w).sum::<i64>().max(1) as f64;
    let sum: f64 = parts.iter().map(|(w, v)| *w as f64 * v).sum();
    (sum / total * 1000.0).round() / 10.0
}

struct Acc {
    name: String,
    unit: String,
    n: i64,
    ack: i64,
    contact: i64,
    acks: Vec<i64>,
    contacts: Vec<i64>,
    paths: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
fn row(
    kind: &str,
    id: i64,
    a: Acc,
    esc: i64,
    victims: i64,
    (students, acked, unreachable_students): (i64, i64, i64),
    w: &Weights,
    extra: &[(i64, f64)],
) -> AppraisalRow {
    let n = a.n as f64;
    let warned = (a.n > 0).then(|| (a.ack as f64 / n, a.contact as f64 / n, esc as f64 / n));
    let coverage = if students > 0 {
        acked as f64 / students as f64
    } else {
        0.0
    };
    AppraisalRow {
        kind: kind.into(),
        id,
        name: a.name,
        unit: a.unit,
        warnings: a.n,
        ack_in_time_share: warned.map(|w| w.0),
        contact_in_time_share: warned.map(|w| w.1),
        median_ack_ms: median(a.acks),
        median_contact_ms: median(a.contacts),
        escalations_caused: esc,
        victims,
        students,
        campaign_coverage: coverage,
        unreachable_students,
        score: score(w, warned, victims, coverage, extra),
        rank: 0,
    }
}

fn rank(v: &mut [AppraisalRow]) {
    v.sort_by(|a, b| {
        b.score
            .partial_cmp(&a.score)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.name.cmp(&b.name))
    });
    for (i, r) in v.iter_mut().enumerate() {
        r.rank = i as i64 + 1;
    }
}

/// The appraisal of the chain under `path` (a school or below) for [from, to).
pub async fn appraise(
    db: &Db,
    path: &str,
    weights: Weights,
    from: Millis,
    to: Millis,
) -> Result<Appraisal, DbError> {
    let rows = load(db, &[path.to_string()], from, to).await?;
    let victims = victims_by_unit(db, path, from, to).await?;
    // People: every responsible person of a unit under the path, even without warnings.
    let staff = org_lookups::duties_under(db, path).await?;
    let mut people: BTreeMap<i64, Acc> = BTreeMap::new();
    for d in staff {
        let e = people.entry(d.staff_id).or_insert_with(|| Acc {
            name: d.name.clone(),
            unit: d.unit_name.clone(),
            n: 0,
            ack: 0,
            contact: 0,
            acks: vec![],
            contacts: vec![],
            paths: vec![],
        });
        e.paths.push(d.unit_path);
    }
    let reach = campaign_reach_by_class(db, path, from, to).await?;
    let registry = crate::appraisal::figures(db, path, from, to).await?;
    // Units: every class, college and school under the path; a unit's figures are those of its
    // classes summed (the counselors' warnings roll up into their college and school).
    let units = org_lookups::appraised_units_under(db, path).await?;
    let mut by_unit: BTreeMap<String, (i64, Acc)> = units
        .into_iter()
        .map(|(id, name, p)| {
            (
                p.clone(),
                (
                    id,
                    Acc {
                        name: name.clone(),
                        unit: name,
                        n: 0,
                        ack: 0,
                        contact: 0,
                        acks: vec![],
                        contacts: vec![],
                        paths: vec![p],
                    },
                ),
            )
        })
        .collect();
    let mut unit_esc: HashMap<String, i64> = HashMap::new();
    for (w, a, k) in &rows {
        let Some(r) = w.routed_at else { continue };
        let (ai, ci) = in_time(w, *a, *k);
        let add = |acc: &mut Acc| {
            acc.n += 1;
            acc.ack += ai as i64;
            acc.contact += ci as i64;
            if let Some(t) = w.acknowledged_at {
                acc.acks.push(t - r);
            }
            if let Some(t) = w.contacted_at {
                acc.contacts.push(t - r);
            }
        };
        if let Some(s) = w.assignee_staff_id {
            if let Some(acc) = people.get_mut(&s) {
                add(acc);
            }
        }
        for p in ancestors(&w.unit_path) {
            if let Some((_, acc)) = by_unit.get_mut(p) {
                add(acc);
                *unit_esc.entry(p.to_string()).or_default() += w.escalations;
            }
        }
    }
    // Escalations caused: escalation events naming the person who missed the deadline.
    let esc = store::escalations_caused(db, path, from, to).await?;
    let victims_under = |paths: &[String]| -> i64 {
        victims
            .iter()
            .filter(|(p, _)| paths.iter().any(|x| p.starts_with(x.as_str())))
            .map(|(_, n)| *n)
            .sum()
    };
    let reach_under = |paths: &[String]| -> (i64, i64, i64) {
        reach
            .iter()
            .filter(|(p, _)| paths.iter().any(|x| p.starts_with(x.as_str())))
            .fold((0, 0, 0), |(s, a, u), (_, (n, k, x))| (s + n, a + k, u + x))
    };
    let mut people_rows: Vec<AppraisalRow> = people
        .into_iter()
        .map(|(id, a)| {
            let v = victims_under(&a.paths);
            let r = reach_under(&a.paths);
            let extra = crate::appraisal::parts(&registry, &a.paths);
            row(
                "person",
                id,
                a,
                esc.get(&id).copied().unwrap_or(0),
                v,
                r,
                &weights,
                &extra,
            )
        })
        .collect();
    let mut unit_rows: Vec<AppraisalRow> = by_unit
        .into_iter()
        .map(|(p, (id, a))| {
            let v = victims_under(&a.paths);
            let r = reach_under(&a.paths);
            let extra = crate::appraisal::parts(&registry, &a.paths);
            row(
                "unit",
                id,
                a,
                unit_esc.get(&p).copied().unwrap_or(0),
                v,
                r,
                &weights,
                &extra,
            )
        })
        .collect();
    rank(&mut people_rows);
    rank(&mut unit_rows);
    Ok(Appraisal {
        from,
        to,
        weights,
        people: people_rows,
        units: unit_rows,
    })
}

/// The appraisal as CSV for HR (UTF-8 with BOM so spreadsheet programs read the Chinese). Names
/// and units are text (neutralised against formulas); the figures are numbers this export computed.
pub fn to_csv(a: &Appraisal) -> String {
    use crate::csv_export::{num, Cell, CsvOut};
    let mut w = CsvOut::with_bom();
    w.text_row([
        "类型",
        "排名",
        "姓名/单位",
        "所在单位",
        "预警数",
        "按时签收率",
        "按时联系率",
        "签收中位分钟",
        "联系中位分钟",
        "造成升级",
        "受害人数",
        "学生数",
        "宣传覆盖率",
        "得分",
    ]);
    let mins = |v: Option<i64>| v.map_or(String::new(), |m| format!("{:.1}", m as f64 / 60_000.0));
    let share = |v: Option<f64>| Cell::Number(v.map_or(String::new(), |s| format!("{s:.3}")));
    for r in a.people.iter().chain(a.units.iter()) {
        let kind = if r.kind == "person" {
            "个人"
        } else {
            "单位"
        };
        w.row([
            Cell::Text(kind),
            num(r.rank),
            Cell::Text(&r.name),
            Cell::Text(&r.unit),
            num(r.warnings),
            share(r.ack_in_time_share),
            share(r.contact_in_time_share),
            Cell::Number(mins(r.median_ack_ms)),
            Cell::Number(mins(r.median_contact_ms)),
            num(r.escalations_caused),
            num(r.victims),
            num(r.students),
            num(format!("{:.3}", r.campaign_coverage)),
            num(format!("{:.1}", r.score)),
        ]);
    }
    w.finish_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_of_a_path() {
        assert_eq!(
            ancestors("/1/5/9/").collect::<Vec<_>>(),
            vec!["/1/", "/1/5/", "/1/5/9/"]
        );
    }

    #[test]
    fn campaign_coverage_is_weighted() {
        let w = Weights {
            ack: 0,
            contact: 0,
            escalations: 0,
            victims: 0,
            campaigns: 10,
        };
        assert_eq!(score(&w, Some((1.0, 1.0, 0.0)), 0, 0.5, &[]), 50.0);
        // A registry component (e.g. pledge signed by 1 of 2) joins the average with its weight.
        assert_eq!(score(&w, None, 0, 0.5, &[(10, 1.0)]), 75.0);
    }

    #[test]
    fn no_warnings_is_no_data_not_a_failure() {
        let w = Weights {
            ack: 30,
            contact: 30,
            escalations: 10,
            victims: 20,
            campaigns: 10,
        };
        // Without warnings only victims (none: 1.0) and coverage (1.0) count.
        assert_eq!(score(&w, None, 0, 1.0, &[]), 100.0);
        // With a warning missed entirely, the in-time parts count as failures.
        assert_eq!(score(&w, Some((0.0, 0.0, 1.0)), 0, 1.0, &[]), 30.0);
    }
}
