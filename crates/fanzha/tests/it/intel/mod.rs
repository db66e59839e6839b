//! Tests of `intel`.

mod brands;
mod browser;
mod checks;
mod detect_browser;
mod exchange;
mod feedback;
mod processes;
