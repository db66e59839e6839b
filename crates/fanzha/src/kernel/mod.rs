//! The kernel of value types every module shares: input is parsed into these once, at the edge,
//! and kept typed down to the store (STYLE.md, "parse, don't validate").
//!
//! - [`ids`]: typed ids (account, student, unit, report, warning, case), never mixed up.
//! - [`money::Money`]: an amount in fen, never negative; one parser, one format.
//! - [`time`]: local date-times typed by people in their zone, one parser.
//! - [`rotating::Rotating`]: check-in codes that change every 10 s of server time.

pub mod ids;
pub mod money;
pub mod rotating;
pub mod time;
