//! Money mules (断卡 / 帮信): students who rent, sell or "lend" their bank cards, phone cards, IM
//! and payment accounts to fraud groups commit the crime of helping information network criminal
//! activities (帮信罪, Criminal Law art. 287-2). This module owns:
//!
//! - **signals** from banks and payment platforms that a person's account shows mule patterns:
//!   received through the partner receipt path of `warnings::receipts` and kept as a warning of
//!   kind `mule_risk` (same routing, deadlines and escalation as every warning) with the facts of
//!   the signal (`mule_signals`); a signal about nobody on a roster stays with the police;
//! - the **counselor's script** and the mule outcomes (stopped, card closed, refused, referred to
//!   police), and what the student reads about such a warning;
//! - **suspects** in cases (the person's role and the kind of account lent, stored on the case by
//!   `cases`), their figures per school, per kind of account and year on year, and each
//!   province's rule on how suspects count for Campus Without Fraud;
//! - the appraisal component "mule-risk warnings handled in time", and the demo.

pub mod api;
pub mod demo;
pub mod model;
pub mod pages;
pub mod service;
pub mod starter;
pub mod store;
