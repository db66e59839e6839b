//! Contests and selections (issue 22): a contest with categories, phase dates and rules frozen by
//! their published hash when voting opens; entries with their team, media and licence, reviewed by
//! organisers; public voting under the rules' limit into a hash-chained, pseudonymised ballot log
//! that anyone can check from its export (`fanzha contests verify`); expert judging with weighted
//! criteria, automatic conflict-free assignment and per-judge percentile normalisation; results per
//! category on a public page.

pub mod anomaly;
pub mod api;
pub mod bench;
pub mod demo;
pub mod model;
pub mod pages;
pub mod public;
pub mod service;
pub mod store;
pub mod verify;
pub mod writer;
