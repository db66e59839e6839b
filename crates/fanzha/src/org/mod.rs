//! The org tree (province → city → police station / school → college → class), its people
//! (students, staff), the responsibility chain, and roster import/export.

pub mod access;
pub mod api;
pub mod model;
pub mod pages;
pub mod picker;
pub mod roster;
pub mod service;
pub mod store;
pub mod tree;
pub mod xlsx;
