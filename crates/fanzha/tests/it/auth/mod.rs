//! Tests of `auth`.

mod activation;
mod activation_browser;
mod policy;
mod sign_in;
mod tokens;
