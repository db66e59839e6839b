//! Tests of `audit`.

mod trail;
