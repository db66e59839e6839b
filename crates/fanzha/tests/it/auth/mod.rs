//! Tests of `auth`.

mod activation;
mod activation_browser;
mod platforms;
mod policy;
mod sign_in;
mod sso;
mod sso_browser;
mod tokens;
mod tokens_browser;
