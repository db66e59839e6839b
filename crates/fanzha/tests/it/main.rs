//! The one integration test binary of `fanzha`: a folder per module (`auth/`, `org/`,
//! `reports/`, …, and `platform/` for what spans modules), sharing one harness (`common`: the
//! in-process `TestApp` with its request helpers, fixtures and local receivers) and one WebDriver
//! client (`rig`, with `wd` as its CSS-selector conveniences for in-process apps). Browser
//! journeys share one seeded demo and one Chromium session per run (see `rig::run`).
//! docs/ARCHITECTURE.md, "Tests", says how a module adds its tests and journeys.

mod common;
mod rig;
mod wd;

mod audit;
mod auth;
mod campaigns;
mod cases;
mod contests;
mod inbox;
mod intel;
mod learning;
mod mules;
mod org;
mod platform;
mod reports;
mod volunteers;
mod warnings;
