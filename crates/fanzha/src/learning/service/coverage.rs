//! The coverage tree of a unit.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::UnitId;

// ---------- coverage ----------

/// One unit of the coverage tree with its figures (its classes summed).
#[derive(Clone, Debug, serde::Serialize)]
pub struct CoverageRow {
    pub unit: Unit,
    pub figures: ClassFigures,
}

pub(super) fn sum_under(all: &HashMap<String, ClassFigures>, path: &str) -> ClassFigures {
    let mut f = ClassFigures::default();
    for (p, c) in all {
        if p.starts_with(path) {
            f.students += c.students;
            f.course_assigned += c.course_assigned;
            f.course_done += c.course_done;
            f.first_assigned += c.first_assigned;
            f.first_done += c.first_done;
            f.attendance_expected += c.attendance_expected;
            f.attended += c.attended;
            f.signed += c.signed;
            f.app_declared += c.app_declared;
            f.app_verified += c.app_verified;
            f.quiz_answered += c.quiz_answered;
            f.quiz_right += c.quiz_right;
        }
    }
    f
}

/// The coverage of a unit: its own figures, its children's, and for a class its students.
pub struct Coverage {
    pub unit: Unit,
    pub total: ClassFigures,
    pub children: Vec<CoverageRow>,
    pub students: Vec<StudentStanding>,
    pub ancestors: Vec<Unit>,
}

pub async fn coverage(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    unit_id: UnitId,
) -> Result<Coverage, LearningError> {
    let un = unit_for(db, clock, p, actor, Action::ViewLearning, unit_id).await?;
    let all = store::class_figures(db, &un.path, clock.now_ms()).await?;
    let children = org_store::children(db, un.id)
        .await?
        .into_iter()
        .map(|c| CoverageRow {
            figures: sum_under(&all, &c.path),
            unit: c,
        })
        .collect();
    let students = if un.kind == UnitKind::Class {
        let list = store::class_standing(db, un.id).await?;
        crate::audit::list_read(
            db,
            clock,
            p,
            actor,
            crate::audit::Listed {
                export: false,
                kind: "student",
                rows: vec![],
                scope: vec![&un.path],
                filter: serde_json::json!({"learning_coverage": un.id}),
                ids: list.iter().map(|s| s.id).collect(),
            },
        )
        .await?;
        list
    } else {
        vec![]
    };
    let ancestors = org_store::ancestors(db, &un)
        .await?
        .into_iter()
        .filter(|a| a.id != un.id)
        .filter(|a| policy::allows(p, Action::ViewLearning, &Target::Unit(&a.path)))
        .collect();
    Ok(Coverage {
        total: sum_under(&all, &un.path),
        unit: un,
        children,
        students,
        ancestors,
    })
}

/// The figures of every unit under `path`, by unit path (classes summed): what the appraisal
/// components and the property tests read.
pub async fn figures_under(
    st: &crate::db::Db,
    path: &str,
    now: Millis,
) -> Result<HashMap<String, ClassFigures>, LearningError> {
    Ok(store::class_figures(st, path, now).await?)
}

pub fn rollup(all: &HashMap<String, ClassFigures>, path: &str) -> ClassFigures {
    sum_under(all, path)
}

/// The units whose coverage the caller may open first (the roots of their scopes).
pub async fn coverage_roots(db: &Db, p: &Principal) -> Result<Vec<Unit>, LearningError> {
    let paths = policy::scopes_for(p, Action::ViewLearning);
    Ok(org_store::units_by_paths(db, &paths).await?)
}
