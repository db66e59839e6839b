//! Tests of `platform`.

mod db_tls;
mod demo_browser;
mod harness;
mod input_rules;
mod jobs;
mod layers;
mod matrix;
mod province_and_sweep_browser;
mod refusals;
mod schema;
mod server_keys;
mod two_process;
