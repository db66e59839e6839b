//! The org tree (province → city → police station / school → college → class), its people
//! (students, staff), the responsibility chain, and roster import/export.

pub mod api;
pub mod model;
pub mod pages;
pub mod roster;
pub mod service;
pub mod store;
pub mod tree;
pub mod xlsx;

// The web adapters live under `pages/`; their paths stay `org::access` and `org::picker`.
pub use pages::{access, picker};
