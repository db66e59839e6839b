//! One-click reports and the stop-payment race (issue 5): the report form (channel sections,
//! pre-filled from a pasted text or a risk check), evidence images, durable idempotent filing with
//! sightings in the indicator store, the stop-payment request of a loss with deadline, police
//! queue and escalation to the station leader, police triage over clusters of reports sharing
//! indicators, the counselor's view and the police figures.

pub mod api;
pub mod bench;
pub mod demo;
pub mod evidence;
pub mod evidence_store;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;
pub mod writer;

use crate::clock::Clock;
use crate::db::jobs::{Job, JobRegistry};
use crate::db::Db;
use crate::error::Msg;

/// Registers the escalation job.
pub fn register_jobs(reg: &mut JobRegistry, db: Db, clock: Clock) {
    reg.register(service::ESCALATE_JOB, move |job: Job| {
        let (db, clock) = (db.clone(), clock.clone());
        async move {
            let id = job.payload["stop_payment_id"]
                .as_i64()
                .ok_or("payload without stop_payment_id")?;
            let mut tx = db.begin_write().await.map_err(|e| e.to_string())?;
            service::escalate(&mut tx, &clock, id)
                .await
                .map_err(|e| e.to_string())?;
            tx.commit().await.map_err(|e| e.to_string())?;
            crate::inbox::bump();
            Ok(())
        }
    });
}

/// One error message per problem, in the caller's language.
pub fn render_msgs(lang: crate::i18n::Lang, v: &[Msg]) -> Vec<String> {
    v.iter().map(|m| m.render(lang)).collect()
}
