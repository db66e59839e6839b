//! Tests of `campaigns`.

mod browser;
mod exposure;
mod flows;
mod tls;
