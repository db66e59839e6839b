//! Tests of `warnings`.

mod browser;
mod flows;
mod lists;
mod notify;
mod partner;
