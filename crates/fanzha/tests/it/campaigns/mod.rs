//! Tests of `campaigns`.

mod admin_browser;
mod browser;
mod channels_and_review;
mod exposure;
mod flows;
mod gaps;
mod reach;
mod robots;
mod tls;
