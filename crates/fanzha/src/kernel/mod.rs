//! The kernel of value types every module shares: input is parsed into these once, at the edge,
//! and kept typed down to the store (STYLE.md, "parse, don't validate").
//!
//! - [`money::Money`]: an amount in fen, never negative; one parser, one format.
//! - [`time`]: local date-times typed by people in their zone, one parser.

pub mod money;
pub mod time;
