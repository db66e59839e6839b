//! Tests of `reports`.

mod browser;
mod crash;
mod filing;
mod lists;
mod notices;
mod s3;
mod to_case;
mod writer;
