//! Tests of `inbox`.

mod notices;
