//! Tests of `warnings`.

mod browser;
mod flows;
mod notify;
mod partner;
