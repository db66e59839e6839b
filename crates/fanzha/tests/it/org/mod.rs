//! Tests of `org`.

mod roster;
mod roster_xlsx;
mod writes;
