//! Rules of the org tree: creating units, importing rosters, the responsibility chain.

use crate::kernel::ids::UnitId;
use chrono::Datelike;

use super::model::*;
use super::roster::{self, ImportRefused, ImportSummary, RosterKind};
use super::store;
use crate::clock::Clock;
use crate::db::{Db, DbError};
use crate::error::Msg;

#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error("refused")]
    Refused(Vec<Msg>),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<OrgError> for crate::error::AppError {
    fn from(e: OrgError) -> Self {
        match e {
            OrgError::Refused(m) => crate::error::AppError::refused("org-err-refused", m),
            OrgError::Db(e) => e.into(),
        }
    }
}

impl From<ImportRefused> for OrgError {
    fn from(r: ImportRefused) -> Self {
        OrgError::Refused(r.errors)
    }
}

impl From<sqlx::Error> for OrgError {
    fn from(e: sqlx::Error) -> Self {
        OrgError::Db(e.into())
    }
}

fn refuse(key: &str) -> OrgError {
    OrgError::Refused(vec![Msg::new(key)])
}

/// Input of a new unit.
#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct NewUnit {
    pub parent_code: Option<String>,
    pub kind: String,
    pub code: String,
    pub name: String,
}

/// Creates a unit after checking code, name and that its kind fits under the parent.
pub async fn create_unit(db: &Db, clock: &Clock, input: &NewUnit) -> Result<Unit, OrgError> {
    create(db, clock, input, None).await
}

/// Creates a unit as a person did (the page and the API): the same checks, and the
/// `org.unit_created` audit entry written in the same transaction.
pub async fn create_unit_as(
    db: &Db,
    clock: &Clock,
    actor: &crate::audit::Actor,
    input: &NewUnit,
) -> Result<Unit, OrgError> {
    create(db, clock, input, Some(actor)).await
}

async fn create(
    db: &Db,
    clock: &Clock,
    input: &NewUnit,
    actor: Option<&crate::audit::Actor>,
) -> Result<Unit, OrgError> {
    let kind = UnitKind::parse(&input.kind).ok_or_else(|| refuse("org-err-kind"))?;
    let code = UnitCode::parse(&input.code).ok_or_else(|| refuse("org-err-code"))?;
    let name = crate::text::name(&input.name).map_err(|e| refuse(e.key()))?;
    if name.is_empty() || name.chars().count() > 100 {
        return Err(refuse("org-err-name"));
    }
    let parent = match input
        .parent_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(pc) => Some(
            store::unit_by_code(db, pc)
                .await?
                .ok_or_else(|| refuse("org-err-parent"))?,
        ),
        None => None,
    };
    if !kind.fits_under(parent.as_ref().map(|p| p.kind)) {
        return Err(refuse("org-err-nesting"));
    }
    if store::unit_by_code(db, code.as_str()).await?.is_some() {
        return Err(refuse("org-err-code-taken"));
    }
    let mut tx = db.begin_write().await.map_err(DbError::from)?;
    let unit =
        store::create_unit(&mut tx, parent.as_ref(), kind, &code, name, clock.now_ms()).await;
    let unit = match unit {
        Ok(u) => u,
        Err(e) if e.is_unique_violation() => return Err(refuse("org-err-code-taken")),
        Err(e) => return Err(e.into()),
    };
    if let Some(actor) = actor {
        crate::audit::record(
            &mut *tx,
            clock,
            actor,
            crate::audit::Event {
                action: "org.unit_created",
                target_kind: "unit",
                target_id: unit.code.clone(),
                unit_path: unit.path.clone(),
                detail: serde_json::json!({"kind": unit.kind.as_str(), "name": unit.name}),
            },
        )
        .await?;
    }
    tx.commit().await.map_err(DbError::from)?;
    Ok(unit)
}

/// Imports a roster file into `school` (students) or the school/station `org` (staff).
/// Nothing is written unless every row is valid.
pub async fn import_roster(
    db: &Db,
    clock: &Clock,
    org: &Unit,
    bytes: &[u8],
    kind: Option<RosterKind>,
) -> Result<(RosterKind, ImportSummary), OrgError> {
    if !matches!(org.kind, UnitKind::School | UnitKind::PoliceStation) {
        return Err(refuse("roster-err-not-school"));
    }
    let text = roster::read_file(bytes)?;
    let kind = match kind.or_else(|| roster::detect_kind(&text)) {
        Some(k) => k,
        None => return Err(refuse("roster-err-unknown-kind")),
    };
    let now = clock.now_ms();
    let summary = match kind {
        RosterKind::Students => {
            if org.kind != UnitKind::School {
                return Err(refuse("roster-err-not-school"));
            }
            let classes = roster::class_index(db, org).await?;
            let year =
                chrono::DateTime::from_timestamp_millis(now).map_or(2026, |d| d.year() as i64);
            let t = std::time::Instant::now();
            let rows = roster::check_students(&text, &classes, year)?;
            let taken = store::numbers_of_other_kind(db, org.id, kind).await?;
            roster::refuse_taken_numbers(
                rows.iter().map(|r| (r.line, r.student_no.as_str())),
                &taken,
                kind,
            )?;
            let checked = t.elapsed();
            let s = roster::write_students(db, org.id, &rows, now).await?;
            tracing::debug!(rows = rows.len(), ?checked, written = ?t.elapsed(), "student roster imported");
            s
        }
        RosterKind::Staff => {
            let units = roster::unit_index(db, org).await?;
            let rows = roster::check_staff(&text, &units)?;
            let taken = store::numbers_of_other_kind(db, org.id, kind).await?;
            roster::refuse_taken_numbers(
                rows.iter().map(|r| (r.line, r.staff_no.as_str())),
                &taken,
                kind,
            )?;
            roster::write_staff(db, org.id, &rows, now).await?
        }
    };
    Ok((kind, summary))
}

/// Who is responsible for a student, in escalation order: the class counselor(s), then the college
/// leader(s), then the school leader(s).
pub async fn responsible_for_student(
    db: &Db,
    student: &Student,
) -> Result<Vec<Responsible>, DbError> {
    let mut ids: Vec<UnitId> = student
        .class_path
        .split('/')
        .filter_map(|s| s.parse().ok())
        .collect();
    ids.reverse();
    let mut chain = store::responsibles_of_units(db, &ids).await?;
    // Nearest unit first is already the order; within a unit, counselor before leaders.
    chain.retain(|r| r.duty != Duty::StationLeader);
    Ok(chain)
}
