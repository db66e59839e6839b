//! Campus Without Fraud: the ranking of a province's schools, the eligibility rules, the selection
//! and publication of the awardees.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::UnitId;

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RankRow {
    /// Competition rank ("1224") of the full table, by victims per 10,000 people (fewest first):
    /// schools with equal rates share a rank.
    pub rank: i64,
    /// Rank among the eligible schools (no victim all year) by their prevention figures: warnings
    /// acted on in time, then campaign reach, then reports per 10,000 people (most first; "no
    /// data" counts below any figure). Null for a school that is not eligible.
    pub award_rank: Option<i64>,
    pub school_id: UnitId,
    pub school_code: String,
    pub school_name: String,
    pub victims: i64,
    pub cases: i64,
    pub lost_cents: i64,
    pub students: i64,
    pub staff: i64,
    /// Victims per 10,000 students and staff, one decimal.
    pub victims_per_10k: f64,
    /// Warnings about the school's people created in the year and routed to someone.
    pub warnings_routed: i64,
    /// … of which acknowledged and contacted within their deadlines.
    pub warnings_in_time: i64,
    /// Share of those acted on in time, percent with one decimal; null when the school had no
    /// routed warning that year ("no data", not 0%).
    pub warnings_in_time_pct: Option<f64>,
    /// People addressed by the campaigns sent that year (inbox deliveries).
    pub campaign_audience: i64,
    /// … of whom acknowledged the campaign.
    pub campaign_acknowledged: i64,
    /// Campaign reach, acknowledged / audience in percent with one decimal; null when no campaign
    /// reached the school that year.
    pub campaign_reach_pct: Option<f64>,
    /// Reports filed by the school's students and staff that year.
    pub reports: i64,
    /// Suspects of 帮信 / 两卡 among the school's people in cases of that year.
    pub suspects: i64,
    /// No victim all year, and no more suspects than the province's rule allows (default none).
    pub eligible: bool,
    pub selected: bool,
    pub published: bool,
}

/// `part / whole` in percent with one decimal; `None` when `whole` is 0 (no data).
pub fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// Schools of a province ranked by victims (fewest first) for a calendar year (of China Standard
/// Time), from the summary, with each school's prevention figures of that year: warnings acted on
/// in time, campaign reach, reports filed.
pub async fn ranking(db: &Db, province: &Unit, year: i32) -> Result<Vec<RankRow>, CaseError> {
    let from = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(|| refuse("cases-err-year"))?;
    let to = NaiveDate::from_ymd_opt(year + 1, 1, 1).ok_or_else(|| refuse("cases-err-year"))?;
    let sums: HashMap<UnitId, (i64, i64, i64)> =
        store::school_sums(db, &province.path, day_of_date(from), day_of_date(to))
            .await?
            .into_iter()
            .map(|(s, c, v, l)| (s, (c, v, l)))
            .collect();
    let awards: HashMap<UnitId, Option<i64>> = store::awards(db, province.id, year)
        .await?
        .into_iter()
        .collect();
    let schools = org_store::units_of_kind_in(db, &province.path, UnitKind::School).await?;
    let people = crate::org::store::people::people_per_school(db, &province.path).await?;
    let paths: Vec<(UnitId, String)> = schools.iter().map(|s| (s.id, s.path.clone())).collect();
    let prevention =
        prevention(db, &province.path, &paths, ms_of_date(from), ms_of_date(to)).await?;
    let suspects = crate::mules::service::suspects_per_school(db, province, year).await?;
    let max_suspects = crate::mules::service::max_suspects(db, province).await?;
    let mut rows: Vec<RankRow> = schools
        .into_iter()
        .map(|s| {
            let (cases, victims, lost) = sums.get(&s.id).copied().unwrap_or((0, 0, 0));
            let (students, staff) = people.get(&s.id).copied().unwrap_or((0, 0));
            let people = students + staff;
            let pv = prevention.get(&s.id).copied().unwrap_or_default();
            let suspects = suspects.get(&s.id).copied().unwrap_or(0);
            RankRow {
                rank: 0,
                award_rank: None,
                school_id: s.id,
                school_code: s.code,
                school_name: s.name,
                victims,
                cases,
                lost_cents: lost,
                students,
                staff,
                victims_per_10k: if people > 0 {
                    (victims as f64 * 100_000.0 / people as f64).round() / 10.0
                } else {
                    0.0
                },
                warnings_routed: pv.warnings_routed,
                warnings_in_time: pv.warnings_in_time,
                warnings_in_time_pct: percent(pv.warnings_in_time, pv.warnings_routed),
                campaign_audience: pv.campaign_audience,
                campaign_acknowledged: pv.campaign_acknowledged,
                campaign_reach_pct: percent(pv.campaign_acknowledged, pv.campaign_audience),
                reports: pv.reports,
                suspects,
                eligible: victims == 0 && suspects <= max_suspects,
                selected: awards.contains_key(&s.id),
                published: awards.get(&s.id).is_some_and(|p| p.is_some()),
            }
        })
        .collect();
    rank_rows(&mut rows);
    Ok(rows)
}

/// Reports per 10,000 people of a row (0 for a school without people).
pub(super) fn reports_per_10k(r: &RankRow) -> f64 {
    let people = r.students + r.staff;
    if people > 0 {
        r.reports as f64 * 10_000.0 / people as f64
    } else {
        0.0
    }
}

/// Orders the full table by victims per 10,000 people (then victims, losses, code) with
/// competition ranks, and numbers the eligible schools by their prevention figures.
pub fn rank_rows(rows: &mut [RankRow]) {
    rows.sort_by(|a, b| {
        a.victims_per_10k
            .total_cmp(&b.victims_per_10k)
            .then(a.victims.cmp(&b.victims))
            .then(a.lost_cents.cmp(&b.lost_cents))
            .then(a.school_code.cmp(&b.school_code))
    });
    let mut prev: Option<(f64, i64)> = None;
    let mut rank = 0;
    for (i, r) in rows.iter_mut().enumerate() {
        let key = (r.victims_per_10k, r.victims);
        if prev != Some(key) {
            rank = i as i64 + 1;
            prev = Some(key);
        }
        r.rank = rank;
    }
    // "No data" (None) sorts below every figure: -1 is below any percentage.
    let mut eligible: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].eligible).collect();
    eligible.sort_by(|&a, &b| {
        let (a, b) = (&rows[a], &rows[b]);
        let key = |r: &RankRow| {
            (
                r.warnings_in_time_pct.unwrap_or(-1.0),
                r.campaign_reach_pct.unwrap_or(-1.0),
                reports_per_10k(r),
            )
        };
        let (ka, kb) = (key(a), key(b));
        kb.0.total_cmp(&ka.0)
            .then(kb.1.total_cmp(&ka.1))
            .then(kb.2.total_cmp(&ka.2))
            .then(a.school_code.cmp(&b.school_code))
    });
    for (n, i) in eligible.into_iter().enumerate() {
        rows[i].award_rank = Some(n as i64 + 1);
    }
}

/// Replaces the year's selection of awardees (province admins): at most [`MAX_AWARDS`], each an
/// eligible school of the province; not once the year's list is published.
pub async fn select_awards(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    input: &AwardInput,
) -> Result<usize, CaseError> {
    let province = award_province(db, clock, p, actor, input).await?;
    let rows = ranking(db, &province, input.year).await?;
    let by = p.account_id;
    let (rows, province, year, codes) = (&rows, &province, input.year, &input.schools);
    if rows.iter().any(|r| r.published) {
        return Err(refuse("cases-err-awards-published"));
    }
    let mut codes: Vec<&str> = codes
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    if codes.len() > MAX_AWARDS {
        return Err(CaseError::Refused(vec![Msg::new(
            "cases-err-awards-too-many",
        )
        .arg("n", MAX_AWARDS)]));
    }
    let mut ids = Vec::new();
    let mut errs = Vec::new();
    for c in &codes {
        match rows.iter().find(|r| r.school_code == *c) {
            Some(r) if r.eligible => ids.push(r.school_id),
            Some(_) => errs.push(Msg::new("cases-err-awards-not-eligible").arg("school", c)),
            None => errs.push(Msg::new("cases-err-awards-unknown").arg("school", c)),
        }
    }
    if !errs.is_empty() {
        return Err(CaseError::Refused(errs));
    }
    let mut tx = db.begin_write().await?;
    store::replace_awards(&mut tx, province.id, year, &ids, by, clock.now_ms()).await?;
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "award.select",
            target_kind: "award",
            target_id: format!("{}:{year}", province.code),
            unit_path: province.path.clone(),
            detail: serde_json::json!({"schools": codes}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ids.len())
}

/// The province an award form names (or the caller's), once the caller may manage its awards.
async fn award_province(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    input: &AwardInput,
) -> Result<Unit, CaseError> {
    year_or(Some(input.year), 0)?;
    let code = Some(input.province.as_str()).filter(|s| !s.is_empty());
    let province = province(db, p, code).await?;
    let target = Target::Unit(&province.path);
    audit::authorize(db, clock, p, actor, Action::ManageAwards, target).await?;
    Ok(province)
}

/// Publishes the year's selection of awardees; the year must be over.
pub async fn publish_awards(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    input: &AwardInput,
) -> Result<u64, CaseError> {
    let province = &award_province(db, clock, p, actor, input).await?;
    let year = input.year;
    if local_date(clock.now_ms()).year() <= year {
        return Err(refuse("cases-err-awards-year-open"));
    }
    let mut tx = db.begin_write().await?;
    let n = store::publish_awards(&mut *tx, province.id, year, clock.now_ms()).await?;
    if n == 0 {
        return Err(refuse("cases-err-awards-none"));
    }
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "award.publish",
            target_kind: "award",
            target_id: format!("{}:{year}", province.code),
            unit_path: province.path.clone(),
            detail: serde_json::json!({"schools": n}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// Per school of a province subtree (by school id), prevention figures for UTC milliseconds
/// `[from, to)`, from the warnings, campaigns and reports modules' reads; campaign reach comes
/// per delivery unit and is rolled up to the school that contains it (`schools`: id and path of
/// each school).
async fn prevention(
    db: &Db,
    province_path: &str,
    schools: &[(UnitId, String)],
    from: i64,
    to: i64,
) -> crate::db::DbResult<HashMap<UnitId, store::Prevention>> {
    let mut out: HashMap<UnitId, store::Prevention> = HashMap::new();
    let prefix = format!("{province_path}%");
    for (school, routed, in_time) in
        crate::warnings::store::reads::routed_in_time_by_school(db, &prefix, from, to).await?
    {
        let e = out.entry(school).or_default();
        e.warnings_routed = routed;
        e.warnings_in_time = in_time;
    }
    let by_path: HashMap<&str, UnitId> = schools.iter().map(|(id, p)| (p.as_str(), *id)).collect();
    for (path, audience, acknowledged) in
        crate::campaigns::reads::reach_by_unit_path(db, &prefix, from, to).await?
    {
        // The school is the ancestor (or the unit itself) whose path is a prefix of this one.
        let school = path
            .match_indices('/')
            .skip(1)
            .find_map(|(i, _)| by_path.get(&path[..=i]).copied());
        if let Some(id) = school {
            let e = out.entry(id).or_default();
            e.campaign_audience += audience;
            e.campaign_acknowledged += acknowledged;
        }
    }
    for (school, n) in crate::reports::store::count_by_school(db, &prefix, from, to).await? {
        out.entry(school).or_default().reports = n;
    }
    Ok(out)
}
