//! Volunteers (issue 21): students register as volunteers of their school; police stations and
//! schools publish tasks with slots, points and hours; volunteers claim them (a waiting list fills
//! a freed slot in order), check in and out at the place with its rotating code, hand in proof;
//! the publisher's unit reviews. Points live in an append-only ledger (one entry per cause, so a
//! replay never credits twice) and are redeemed for rewards with stock; approved hours make a
//! certificate with a public verify page; `appraisal::figures` gives the volunteering figure of
//! each class and student.

pub mod api;
pub mod api_calls;
pub mod appraisal;
pub mod bench;
pub mod demo;
pub mod images;
pub mod model;
pub mod pages;
pub mod pages_calls;
pub mod service;
pub mod store;
