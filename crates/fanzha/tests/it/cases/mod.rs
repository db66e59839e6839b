//! Tests of `cases`.

mod browser;
mod records;
mod zones_and_ranking;
