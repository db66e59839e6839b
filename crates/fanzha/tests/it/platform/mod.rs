//! Tests of `platform`.

mod db_tls;
mod demo_browser;
mod harness;
mod input_rules;
mod jobs;
mod matrix;
mod refusals;
mod schema;
mod two_process;
