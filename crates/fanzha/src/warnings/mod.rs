//! Early warning and dissuasion (预警劝阻) and the appraisal of the responsibility chain (包保考核):
//! warnings from police, partners and internal triggers are matched to a student, routed to the one
//! responsible person, watched by deadline jobs that escalate up the chain, and closed with an
//! outcome that feeds the police and school views and the appraisal.

pub mod api;
pub mod appraisal;
pub mod bench;
pub mod demo;
pub mod model;
pub mod notify;
pub mod pages;
pub mod receipts;
pub mod service;
pub mod store;

/// The reads other modules make of warnings.
pub use store::reads;
