//! fanzha: one binary that serves police, universities and students fighting telecom and online
//! fraud together — a mobile-first web app, a JSON API and background workers over SQLite or
//! PostgreSQL. See `docs/ARCHITECTURE.md` for the module map.

pub mod appraisal;
pub mod audit;
pub mod auth;
pub mod cache;
pub mod campaigns;
pub mod cases;
pub mod cli;
pub mod clock;
pub mod config;
pub mod contests;
pub mod csv_export;
pub mod db;
pub mod demo;
pub mod error;
pub mod i18n;
pub mod inbox;
pub mod intel;
pub mod kernel;
pub mod learning;
pub mod mules;
pub mod org;
pub mod reports;
pub mod text;
pub mod volunteers;
pub mod warnings;
pub mod web;
