//! The exposure score: how exposed one person is to one fraud type, from 0 to 100.
//! The formula (documented in docs/CAMPAIGNS.md) is a pure function of plain data, unit-tested
//! here; the loaders below read other modules' data through their `reads` (cases, warnings,
//! risk checks) and stores (reports, learning), and this module's through its store.
//!
//! score = 100 × min(1, 0.5·C + 0.3·W + 0.2·R + 0.2·Q), every part in [0, 1]:
//! * C, cohort: victims of the type among people of the same school, enrollment year, major and
//!   gender, per person, smoothed toward the school's rate with weight `SMOOTH` (so a cohort of 3
//!   with one victim does not outrank everything), divided by the highest such rate of the school.
//! * W, warnings: unhandled warnings of the type about this person (status `unidentified` or
//!   `open`: nobody has acknowledged or contacted them yet), `min(1, n / 2)`.
//! * R, own signals: medium/high risk checks of the type the person ran, plus reports of the type
//!   they filed (not merged, not judged `not_fraud`), both in the last 180 days, `min(1, n / 3)`.
//! * Q, weakness: the share of wrong answers on questions of the type in the learning module's
//!   assessments, a campaign quiz of the type passed counting as one right answer; 0 for someone
//!   who answered nothing of the type (not known to be weak). It adds up to 20 points on top of
//!   the other parts, the total capped at 100, so that without quiz answers a score is what it
//!   was before the learning module existed.

use crate::kernel::ids::StudentId;
use std::collections::HashMap;

use crate::db::{Db, DbResult};

pub const W_COHORT: f64 = 0.5;
pub const W_WARNINGS: f64 = 0.3;
pub const W_SIGNALS: f64 = 0.2;
/// Weight of quiz weakness (see the module comment: added on top, the total capped).
pub const W_KNOWLEDGE: f64 = 0.2;
/// Pseudo-count pulling small cohorts toward the school rate.
pub const SMOOTH: f64 = 20.0;
pub const SIGNAL_WINDOW_MS: i64 = 180 * 24 * 3_600_000;

/// The cohort of a person: the same enrollment year, major and gender.
pub type Cohort = (i64, String, String);

/// One person as the formula sees them.
#[derive(Clone, Debug)]
pub struct Person {
    pub student_id: StudentId,
    pub cohort: Cohort,
    pub open_warnings: i64,
    pub risk_signals: i64,
    /// Quiz answers of the type: (answered, right), campaign quizzes passed included.
    pub quiz: (i64, i64),
}

/// Victims of one type per cohort of one school, plus the cohort sizes.
#[derive(Clone, Debug, Default)]
pub struct CohortStats {
    pub victims: HashMap<Cohort, i64>,
    pub sizes: HashMap<Cohort, i64>,
}

impl CohortStats {
    /// Smoothed victim rate of each cohort, and the highest rate (for normalising).
    fn rates(&self) -> (HashMap<Cohort, f64>, f64) {
        let total_people: i64 = self.sizes.values().sum();
        let total_victims: i64 = self.victims.values().sum();
        let base = if total_people > 0 {
            total_victims as f64 / total_people as f64
        } else {
            0.0
        };
        let mut max: f64 = 0.0;
        let rates: HashMap<Cohort, f64> = self
            .sizes
            .iter()
            .map(|(c, &n)| {
                let k = *self.victims.get(c).unwrap_or(&0) as f64;
                let r = (k + SMOOTH * base) / (n as f64 + SMOOTH);
                max = max.max(r);
                (c.clone(), r)
            })
            .collect();
        (rates, max)
    }
}

/// Scores of `people` for one fraud type, in the same order, each 0–100.
pub fn scores(people: &[Person], cohorts: &CohortStats) -> Vec<f64> {
    let (rates, max) = cohorts.rates();
    people
        .iter()
        .map(|p| {
            let c = if max > 0.0 {
                rates.get(&p.cohort).copied().unwrap_or(0.0) / max
            } else {
                0.0
            };
            let w = (p.open_warnings as f64 / 2.0).min(1.0);
            let r = (p.risk_signals as f64 / 3.0).min(1.0);
            let q = match p.quiz {
                (n, right) if n > 0 => 1.0 - (right.min(n) as f64 / n as f64),
                _ => 0.0,
            };
            100.0 * (W_COHORT * c + W_WARNINGS * w + W_SIGNALS * r + W_KNOWLEDGE * q).min(1.0)
        })
        .collect()
}

/// The `percent` % highest-scoring people (at least one when anyone scores above 0), ties broken
/// by student id; people scoring 0 are never included, they are not exposed by any measure.
pub fn top_percent(people: &[Person], scores: &[f64], percent: f64) -> Vec<(StudentId, f64)> {
    let mut v: Vec<(StudentId, f64)> = people
        .iter()
        .zip(scores)
        .filter(|(_, s)| **s > 0.0)
        .map(|(p, s)| (p.student_id, *s))
        .collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let n = ((people.len() as f64) * percent.clamp(0.0, 100.0) / 100.0).ceil() as usize;
    v.truncate(n.max(1).min(v.len()));
    v
}

/// Victims of `fraud_type` per cohort among recorded cases of the school at `school_path` (see
/// `cases::reads::victims_by_cohort`).
pub async fn load_case_victims(
    db: &Db,
    school_path: &str,
    fraud_type: &str,
) -> DbResult<HashMap<Cohort, i64>> {
    Ok(
        crate::cases::reads::victims_by_cohort(db, school_path, fraud_type)
            .await?
            .into_iter()
            .map(|v| ((v.enroll_year, v.major, v.gender), v.victims))
            .collect(),
    )
}

/// Unhandled warnings of `fraud_type` per student of the unit (see
/// `warnings::reads::unhandled_by_student`).
pub async fn load_open_warnings(
    db: &Db,
    unit_path: &str,
    fraud_type: &str,
) -> DbResult<HashMap<StudentId, i64>> {
    crate::warnings::reads::unhandled_by_student(db, unit_path, fraud_type).await
}

/// The person's own signals of `fraud_type` per student of the unit since `since`: medium/high
/// risk checks they ran plus reports they filed, except reports merged into another or judged
/// `not_fraud`.
pub async fn load_risk_signals(
    db: &Db,
    unit_path: &str,
    fraud_type: &str,
    since: i64,
) -> DbResult<HashMap<StudentId, i64>> {
    let mut m =
        crate::intel::reads::risky_checks_by_student(db, unit_path, fraud_type, since).await?;
    for (id, n) in crate::reports::store::filed_by_student(db, unit_path, fraud_type, since).await?
    {
        *m.entry(id).or_default() += n;
    }
    Ok(m)
}

/// Quiz answers of `fraud_type` per student of the unit: the learning module's assessments (its
/// published knowledge profile) plus this module's campaign quizzes of the type passed, each one
/// right answer.
pub async fn load_quiz_knowledge(
    db: &Db,
    unit_path: &str,
    fraud_type: &str,
) -> DbResult<HashMap<StudentId, (i64, i64)>> {
    let mut m = crate::learning::service::knowledge_under(db, unit_path, fraud_type).await?;
    for (id, n) in super::store::quiz_passes_under(db, unit_path, fraud_type).await? {
        let e = m.entry(id).or_default();
        e.0 += n;
        e.1 += n;
    }
    Ok(m)
}

/// One student's campaign quizzes passed, per fraud type (for their knowledge profile).
pub async fn quiz_passes_of(db: &Db, student_id: StudentId) -> DbResult<Vec<(String, i64)>> {
    super::store::quiz_passes_of(db, student_id).await
}

/// Scores every student under `unit_path` (all of one school) for `fraud_type`.
pub async fn score_unit(
    db: &Db,
    now: i64,
    school_path: &str,
    unit_path: &str,
    fraud_type: &str,
) -> DbResult<(Vec<Person>, Vec<f64>)> {
    // Cohort sizes come from the whole school so rates compare like with like.
    let students = super::store::enrolled_under(db, school_path).await?;
    let victims = load_case_victims(db, school_path, fraud_type).await?;
    let warnings = load_open_warnings(db, unit_path, fraud_type).await?;
    let signals = load_risk_signals(db, unit_path, fraud_type, now - SIGNAL_WINDOW_MS).await?;
    let quiz = load_quiz_knowledge(db, unit_path, fraud_type).await?;
    let mut stats = CohortStats {
        victims,
        sizes: HashMap::new(),
    };
    let mut people = Vec::new();
    for st in students {
        let (id, path) = (st.student_id, st.class_path);
        let cohort: Cohort = (st.enrollment_year, st.major, st.gender);
        *stats.sizes.entry(cohort.clone()).or_default() += 1;
        if path.starts_with(unit_path) {
            people.push(Person {
                student_id: id,
                cohort,
                open_warnings: *warnings.get(&id).unwrap_or(&0),
                risk_signals: *signals.get(&id).unwrap_or(&0),
                quiz: *quiz.get(&id).unwrap_or(&(0, 0)),
            });
        }
    }
    let s = scores(&people, &stats);
    Ok((people, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: i64, year: i64, major: &str, w: i64, r: i64) -> Person {
        Person {
            student_id: StudentId(id),
            cohort: (year, major.into(), "male".into()),
            open_warnings: w,
            risk_signals: r,
            quiz: (0, 0),
        }
    }

    fn cohort(year: i64, major: &str) -> Cohort {
        (year, major.into(), "male".into())
    }

    #[test]
    fn nothing_recorded_scores_zero() {
        let p = vec![person(1, 2023, "cs", 0, 0)];
        assert_eq!(scores(&p, &CohortStats::default()), vec![0.0]);
    }

    #[test]
    fn the_cohort_with_the_highest_victim_rate_gets_the_full_cohort_part() {
        let mut st = CohortStats::default();
        st.sizes.insert(cohort(2023, "cs"), 100);
        st.sizes.insert(cohort(2024, "law"), 100);
        st.victims.insert(cohort(2023, "cs"), 10);
        let p = vec![person(1, 2023, "cs", 0, 0), person(2, 2024, "law", 0, 0)];
        let s = scores(&p, &st);
        // cs: C = 1 → 50 points. law: smoothed rate (0 + 20·0.05)/(120) vs cs (10+1)/120.
        assert!((s[0] - 50.0).abs() < 1e-9, "{s:?}");
        assert!((s[1] - 50.0 * 1.0 / 11.0).abs() < 1e-9, "{s:?}");
    }

    #[test]
    fn warnings_and_signals_add_and_saturate() {
        let st = CohortStats::default();
        let p = vec![
            person(1, 2023, "cs", 1, 0),
            person(2, 2023, "cs", 5, 0),
            person(3, 2023, "cs", 0, 3),
            person(4, 2023, "cs", 2, 9),
        ];
        let s = scores(&p, &st);
        assert_eq!(s, vec![15.0, 30.0, 20.0, 50.0]);
    }

    #[test]
    fn small_cohorts_are_pulled_toward_the_school_rate() {
        let mut st = CohortStats::default();
        st.sizes.insert(cohort(2023, "tiny"), 2);
        st.sizes.insert(cohort(2023, "big"), 200);
        st.victims.insert(cohort(2023, "tiny"), 1);
        st.victims.insert(cohort(2023, "big"), 30);
        let p = vec![person(1, 2023, "tiny", 0, 0), person(2, 2023, "big", 0, 0)];
        let s = scores(&p, &st);
        // Raw rates: tiny 50 %, big 15 % (3.3 times); smoothed, one case among two people
        // counts for little more than the big cohort's steady rate.
        assert!(s[0] / s[1] < 1.3, "{s:?}");
        assert!(s[0] >= s[1], "{s:?}");
    }

    #[test]
    fn weak_quiz_answers_add_up_to_twenty_points_and_the_total_stays_within_100() {
        let st = CohortStats::default();
        let mut p = vec![
            person(1, 2023, "cs", 0, 0),
            person(2, 2023, "cs", 0, 0),
            person(3, 2023, "cs", 0, 0),
            person(4, 2023, "cs", 5, 9),
        ];
        p[0].quiz = (4, 4);
        p[1].quiz = (4, 1);
        p[3].quiz = (2, 0);
        let s = scores(&p, &st);
        assert_eq!(s[0], 0.0, "all right: not weak");
        assert!((s[1] - 15.0).abs() < 1e-9, "{s:?}");
        assert_eq!(s[2], 0.0, "nothing answered: not known to be weak");
        assert!((s[3] - 70.0).abs() < 1e-9, "{s:?}");
        let mut q = vec![person(5, 2023, "cs", 5, 9)];
        let mut st = CohortStats::default();
        st.sizes.insert(cohort(2023, "cs"), 10);
        st.victims.insert(cohort(2023, "cs"), 5);
        q[0].quiz = (1, 0);
        assert_eq!(scores(&q, &st), vec![100.0]);
    }

    #[test]
    fn top_percent_takes_the_highest_and_skips_zero() {
        let p: Vec<Person> = (1..=10).map(|i| person(i, 2023, "cs", 0, 0)).collect();
        let s = vec![0.0, 10.0, 30.0, 30.0, 5.0, 0.0, 0.0, 0.0, 0.0, 1.0];
        assert_eq!(
            top_percent(&p, &s, 20.0),
            vec![(StudentId(3), 30.0), (StudentId(4), 30.0)]
        );
        assert_eq!(top_percent(&p, &s, 1.0), vec![(StudentId(3), 30.0)]);
        assert_eq!(top_percent(&p, &s, 100.0).len(), 5);
        assert!(top_percent(&p, &[0.0; 10], 50.0).is_empty());
    }
}
