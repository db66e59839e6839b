//! Acting on the gap finder's list: export it (CSV or .xlsx) and remind the people on it.
//!
//! A reminder is an inbox notice to every person the filtered list holds (all pages), at most one
//! a day per person, audited. It is sent by the people responsible for reaching students — those
//! who may issue activation codes in the unit (counselors for their classes, unit leaders, school
//! admins); police and province staff see the gaps but do not message students.

use super::service::{self as svc, GapPerson, SvcError, SvcResult};
use crate::audit::{self, Actor, Event};
use crate::auth::model::Principal;
use crate::auth::policy::{self, Action};
use crate::clock::Clock;
use crate::db::Db;
use crate::i18n::Lang;
use crate::inbox::{self, Notice, Recipient};

/// Most people one export or reminder covers.
pub const MAX_PEOPLE: i64 = 200_000;

/// Whether `p` may remind people of the unit at `path`.
pub fn may_remind(p: &Principal, path: &str) -> bool {
    policy::allows(p, Action::IssueActivationCodes, &policy::Target::Unit(path))
}

/// Everyone on the filtered never-reached list (no page), for an export.
pub async fn all_never_reached(
    db: &Db,
    clock: &Clock,
    path: &str,
    days: i64,
    search: &str,
) -> SvcResult<Vec<GapPerson>> {
    Ok(
        svc::never_reached(db, clock, path, days, search, MAX_PEOPLE, 0)
            .await?
            .1,
    )
}

/// What a reminder did: people on the list, and people told now (the rest were reminded today).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reminded {
    pub listed: usize,
    pub told: usize,
}

/// Reminds everyone on the never-reached list of `unit_code` (filtered by `search`).
pub async fn remind(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    unit_code: &str,
    days: i64,
    search: &str,
) -> SvcResult<Reminded> {
    if !(1..=3650).contains(&days) {
        return Err(super::model::CampError::new("camp-err-gap-params").into());
    }
    let unit = svc::unit_in_scope(db, p, Action::ViewReach, unit_code).await?;
    if !may_remind(p, &unit.path) {
        return Err(SvcError::Forbidden);
    }
    let people = all_never_reached(db, clock, &unit.path, days, search).await?;
    let english = super::store::english_students_under(db, &unit.path).await?;
    let notice = |lang: Lang| Notice {
        kind: "reminder".into(),
        title: lang.t("camp-remind-notice-title"),
        body: lang.ta("camp-remind-notice-body", &[("days", days.to_string())]),
        link: Some("/inbox".into()),
    };
    let (zh, en) = (notice(Lang::ZhCn), notice(Lang::En));
    // One reminder a day per person, however many staff press the button.
    let source = format!("gap-remind:{}", clock.now_ms() / 86_400_000);
    let mut told = 0;
    let mut tx = db.begin_write().await?;
    for g in &people {
        let n = if english.contains(&g.student_id) {
            &en
        } else {
            &zh
        };
        if inbox::notify_once(
            &mut *tx,
            clock,
            &Recipient::Student(g.student_id.get()),
            n,
            Some(&source),
        )
        .await?
        .is_some()
        {
            told += 1;
        }
    }
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "campaign.gaps.remind",
            target_kind: "unit",
            target_id: unit.code.clone(),
            unit_path: unit.path.clone(),
            detail: serde_json::json!({"days": days, "q": search, "listed": people.len(), "told": told}),
        },
    )
    .await?;
    tx.commit().await?;
    inbox::bump();
    Ok(Reminded {
        listed: people.len(),
        told,
    })
}
