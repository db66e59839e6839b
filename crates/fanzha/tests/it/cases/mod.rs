//! Tests of `cases`.

mod analysis;
mod browser;
mod lists;
mod ranking_kpis_and_print;
mod records;
mod zones_and_ranking;
