//! Tests of `org`.

mod roster;
mod writes;
