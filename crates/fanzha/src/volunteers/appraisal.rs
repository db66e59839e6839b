//! The volunteering figure of the appraisal: per class and per student of a school, the share of
//! students who served — had at least one approved claim with credited hours on a task starting
//! in the period. A student counts 1 or 0; a class is the mean of its students (0 for a class
//! without students is not listed: only classes with students appear).

use crate::clock::Millis;
use crate::db::{Db, DbResult};

/// One class's figure and its students'.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ClassFigure {
    /// The class unit's path.
    pub class_path: String,
    /// Share of the class's students with approved hours in the period, 0–1.
    pub figure: f64,
    /// Every student of the class: (student id, 1.0 when they served, else 0.0).
    pub students: Vec<(i64, f64)>,
}

/// The figures of every class under `school_path` for tasks starting in `[from, to)`.
pub async fn figures(
    db: &Db,
    school_path: &str,
    from: Millis,
    to: Millis,
) -> DbResult<Vec<ClassFigure>> {
    let mut c = db.pool.acquire().await?;
    let rows = super::store::class_participation(&mut c, school_path, from, to).await?;
    Ok(rows
        .into_iter()
        .map(|(class_path, n, students)| {
            let served = students.iter().filter(|(_, a)| *a).count();
            ClassFigure {
                class_path,
                figure: if n == 0 {
                    0.0
                } else {
                    served as f64 / n as f64
                },
                students: students
                    .into_iter()
                    .map(|(id, a)| (id, if a { 1.0 } else { 0.0 }))
                    .collect(),
            }
        })
        .collect())
}
