//! Tests of `cases`.

mod browser;
mod lists;
mod records;
mod zones_and_ranking;
