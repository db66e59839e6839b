//! Read-only queries of risk checks that other modules need: a student's own medium and high
//! risk checks per fraud type (the campaigns' exposure score).

pub use super::store::reads::risky_checks_by_student;
