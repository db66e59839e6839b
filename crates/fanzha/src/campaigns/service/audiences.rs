//! Audiences: who a campaign reaches (units, cohorts, roles, weakness, or the most exposed share
//! of a school), checked before anything is sent, with a preview of size and a sample.

use crate::kernel::ids::StudentId;
use std::collections::HashSet;

use super::*;
use crate::campaigns::exposure;
use crate::campaigns::store::{self, AudienceSql};
use crate::clock::Clock;

const STAFF_ROLES: [&str; 4] = ["counselor", "unit_leader", "school_admin", "police"];

/// Resolves unit codes of a spec to paths inside the campaign unit; the campaign unit when none.
pub(super) async fn audience_paths(
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

/// Checks a spec and turns it into SQL clauses (see `store::AudienceSql::build`).
pub(super) fn audience_sql(
    paths: &[String],
    spec: &AudienceSpec,
    first_param: usize,
) -> SvcResult<AudienceSql> {
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
        FraudTypes::parse(&spec.weak_on)?;
        if roles.iter().any(|r| *r != "student") {
            return refuse("camp-err-weak-roles");
        }
    }
    Ok(AudienceSql::build(paths, &roles, spec, first_param))
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
pub(super) async fn exposed_students(
    db: &Db,
    clock: &Clock,
    campaign_unit: &Unit,
    paths: &[String],
    spec: &AudienceSpec,
    fraud_type: &str,
    percent: f64,
) -> SvcResult<Vec<(StudentId, f64)>> {
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
    let ids: HashSet<StudentId> = store::audience_student_ids(db, &a).await?;
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
        let ids: Vec<StudentId> = top.iter().map(|(id, _)| *id).collect();
        let unreachable = store::unreachable_among(db, &ids).await?;
        return Ok(Preview {
            size: top.len() as i64,
            unreachable,
            sample,
        });
    }
    let a = audience_sql(&paths, spec, 1)?;
    let (mut size, unreachable) = store::audience_student_counts(db, &a).await?;
    let mut sample: Vec<SamplePerson> = store::audience_student_sample(db, &a, 10)
        .await?
        .into_iter()
        .map(|s| SamplePerson {
            person: format!("student:{}", s.id),
            name: crate::org::model::mask_name(&s.name),
            unit: s.unit,
            score: None,
        })
        .collect();
    let mut seen = HashSet::new();
    for s in store::audience_staff(db, &a).await? {
        if !seen.insert(s.id) {
            continue;
        }
        size += 1;
        if sample.len() < 10 {
            sample.push(SamplePerson {
                person: format!("account:{}", s.id),
                name: crate::org::model::mask_name(&s.name),
                unit: s.unit,
                score: None,
            });
        }
    }
    Ok(Preview {
        size,
        unreachable,
        sample,
    })
}

/// One student's exposure score.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ExposureOut {
    pub student_id: StudentId,
    pub score: f64,
}

/// Exposure scores (0–100) of the students of a unit inside the caller's ManageCampaigns scope
/// to one fraud type, highest first, at most `limit`; the students listed are audited.
pub async fn exposure_scores(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &crate::audit::Actor,
    unit_code: &str,
    fraud_type_id: &str,
    limit: usize,
) -> SvcResult<Vec<ExposureOut>> {
    let unit = unit_in_scope(db, p, Action::ManageCampaigns, unit_code).await?;
    let ft = fraud_type(fraud_type_id)?;
    let school = crate::org::store::school_of(db, &unit)
        .await?
        .ok_or_else(|| CampError::new("camp-err-exposure-school"))?;
    let (people, scores) =
        exposure::score_unit(db, clock.now_ms(), &school.path, &unit.path, ft.id()).await?;
    let mut v: Vec<ExposureOut> = people
        .iter()
        .zip(scores)
        .map(|(p, s)| ExposureOut {
            student_id: p.student_id,
            score: s,
        })
        .collect();
    v.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.student_id.cmp(&b.student_id))
    });
    v.truncate(limit);
    crate::audit::person_list_read(
        db,
        clock,
        p,
        actor,
        crate::audit::ListRead {
            export: false,
            kind: "student",
            unit_path: unit.path.clone(),
            filter: serde_json::json!({"exposure": unit_code, "fraud_type": fraud_type_id}),
            ids: v.iter().map(|e| e.student_id.get()).collect(),
        },
    )
    .await?;
    Ok(v)
}
