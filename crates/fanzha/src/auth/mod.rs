//! Accounts, sessions, API tokens, roles scoped to org-unit subtrees, and the one policy function.

pub mod activation;
pub mod activation_web;
pub mod admin;
pub mod model;
pub mod pages;
pub mod password;
pub mod policy;
pub mod roster_accounts;
pub mod service;
pub mod sso;
pub mod store;
