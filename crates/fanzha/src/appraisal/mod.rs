//! The one registry of appraisal components (包保考核): each module that measures part of the
//! responsibility chain's work adds a [`Component`] to [`COMPONENTS`] — a key, the Fluent key of
//! its name, a default weight, and a function giving its figure per class for a period. The
//! appraisal (`warnings::appraisal`) reads the registry: a person's or unit's figure is the sum
//! over the classes they answer for, and a component with nothing to count (no course assigned,
//! no pledge published, no install drive yet) is left out of their score rather than counted as a
//! failure. Schools set the weights of their own (`appraisal_weights`).

use crate::kernel::ids::UnitId;

mod store;
use std::collections::HashMap;

use futures::future::BoxFuture;

use crate::clock::Millis;
use crate::db::{Db, DbResult};

/// Per class path: (achieved, out of).
pub type ByClass = HashMap<String, (i64, i64)>;

/// Computes a component's figures for the classes under a path, for [from, to).
pub type FigureFn = for<'a> fn(&'a Db, &'a str, Millis, Millis) -> BoxFuture<'a, DbResult<ByClass>>;

pub struct Component {
    /// Stable key (stored with the school's weight).
    pub key: &'static str,
    /// Fluent key of the name people read.
    pub name_key: &'static str,
    pub default_weight: i64,
    pub figures: FigureFn,
}

/// Every component outside the warnings module's own (acted in time, escalations, victims,
/// campaign coverage, which keep their settings there).
pub const COMPONENTS: &[Component] = &[
    Component {
        key: "learning.course",
        name_key: "appraisal-c-course",
        default_weight: 10,
        figures: |db, path, _from, to| Box::pin(learning_figure(db, path, to, Part::Course)),
    },
    Component {
        key: "learning.pledge",
        name_key: "appraisal-c-pledge",
        default_weight: 10,
        figures: |db, path, _from, to| Box::pin(learning_figure(db, path, to, Part::Pledge)),
    },
    Component {
        key: "learning.app",
        name_key: "appraisal-c-app",
        default_weight: 10,
        figures: |db, path, _from, to| Box::pin(learning_figure(db, path, to, Part::App)),
    },
    Component {
        key: "volunteers.served",
        name_key: "appraisal-c-volunteering",
        default_weight: 5,
        figures: |db, path, from, to| Box::pin(volunteering_figure(db, path, from, to)),
    },
    Component {
        key: "mules.handled",
        name_key: "appraisal-c-mules",
        default_weight: 5,
        figures: |db, path, from, to| {
            Box::pin(crate::mules::service::appraisal_figure(db, path, from, to))
        },
    },
];

/// Students who served as volunteers (approved hours on a task starting in the period), per
/// class; nothing to count where nobody in the school volunteered in the period.
async fn volunteering_figure(db: &Db, path: &str, from: Millis, to: Millis) -> DbResult<ByClass> {
    let all = crate::volunteers::appraisal::figures(db, path, from, to).await?;
    if all.iter().all(|c| c.figure == 0.0) {
        return Ok(ByClass::new());
    }
    Ok(all
        .into_iter()
        .filter(|c| !c.students.is_empty())
        .map(|c| {
            let served = c.students.iter().filter(|(_, v)| *v > 0.0).count() as i64;
            (c.class_path, (served, c.students.len() as i64))
        })
        .collect())
}

enum Part {
    Course,
    Pledge,
    App,
}

/// Course completion (elective and first lesson together), pledge signed, app declared: from the
/// learning module's per-class figures at the end of the period.
async fn learning_figure(db: &Db, path: &str, to: Millis, part: Part) -> DbResult<ByClass> {
    let all = crate::learning::store::class_figures(db, path, to).await?;
    let has_pledge = crate::learning::store::pledge_published_under(db, path).await?;
    let drive = all.values().any(|f| f.app_declared > 0);
    Ok(all
        .into_iter()
        .filter_map(|(p, f)| {
            let v = match part {
                Part::Course => (
                    f.course_done + f.first_done,
                    f.course_assigned + f.first_assigned,
                ),
                Part::Pledge if has_pledge => (f.signed, f.students),
                Part::App if drive => (f.app_declared, f.students),
                _ => return None,
            };
            (v.1 > 0).then_some((p, v))
        })
        .collect())
}

/// The weight of each component for the school a path lies in (its own setting, else the default).
pub async fn weights(db: &Db, path: &str) -> DbResult<Vec<(&'static Component, i64)>> {
    let rows = store::weights_on_path(db, path).await?;
    Ok(COMPONENTS
        .iter()
        .map(|c| {
            let w = rows
                .iter()
                .find(|(k, _)| k == c.key)
                .map_or(c.default_weight, |(_, w)| *w);
            (c, w)
        })
        .collect())
}

/// Sets a school's weight of a component (0–100).
pub async fn set_weight(db: &Db, school_id: UnitId, key: &str, weight: i64) -> DbResult<()> {
    store::set_weight(db, school_id, key, weight).await
}

/// The registry's figures for an appraisal under `path`: per component, its weight and figures.
pub async fn figures(
    db: &Db,
    path: &str,
    from: Millis,
    to: Millis,
) -> DbResult<Vec<(&'static Component, i64, ByClass)>> {
    let mut out = Vec::new();
    for (c, w) in weights(db, path).await? {
        if w > 0 {
            out.push((c, w, (c.figures)(db, path, from, to).await?));
        }
    }
    Ok(out)
}

/// The (weight, 0–1 figure) parts of someone answering for `paths`; components with nothing to
/// count under those paths are left out.
pub fn parts(figs: &[(&'static Component, i64, ByClass)], paths: &[String]) -> Vec<(i64, f64)> {
    figs.iter()
        .filter_map(|(_, w, by)| {
            let (n, d) = by
                .iter()
                .filter(|(p, _)| paths.iter().any(|x| p.starts_with(x.as_str())))
                .fold((0, 0), |(a, b), (_, (n, d))| (a + n, b + d));
            (d > 0).then(|| (*w, n as f64 / d as f64))
        })
        .collect()
}
