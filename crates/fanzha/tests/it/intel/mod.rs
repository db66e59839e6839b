//! Tests of `intel`.

mod browser;
mod checks;
mod exchange;
