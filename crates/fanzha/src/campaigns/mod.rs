//! Precise publicity and its reach: a reviewed content library, campaigns targeted by org unit,
//! cohort and exposure score, sent through the inbox and outside channels as jobs, every delivery
//! tracked (sent, opened, acknowledged, check passed, clicks), and reach with its gaps per unit.

pub mod api;
pub mod bench;
pub mod channel_admin;
pub mod channels;
pub mod demo;
pub mod exposure;
pub mod gaps;
pub mod model;
pub mod pages;
pub use store::lookups as reads;
pub mod render;
pub mod review;
pub mod service;
pub mod store;
