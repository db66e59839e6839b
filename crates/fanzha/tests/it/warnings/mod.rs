//! Tests of `warnings`.

mod browser;
mod flows;
mod held;
mod lists;
mod notify;
mod partner;
