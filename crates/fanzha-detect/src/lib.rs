//! Detection engine of fanzha: it owns everything that turns a piece of text into a verdict —
//! normalisation that undoes evasion tricks ([`normalize`]), indicator extraction and canonical
//! forms for the indicator store ([`extract`]), police-authored hot-reloadable rules ([`rules`]),
//! the trained fraud-type classifier ([`model`]), the combined verdict with its explanation
//! ([`engine`]) and the library side of the `detect`/`eval`/`train`/`bench` commands ([`cli`]).
//! It has no database and no HTTP.
//!
//! ```
//! use fanzha_detect::{Engine, FraudType, Level};
//! let engine = Engine::builtin();
//! let v = engine.analyze("【淘寶客服】您的訂單商品有質量問題，可辦理雙倍賠付，請加Ｖ信 tb_kefu888 辦理退款");
//! assert_eq!(v.fraud_type, FraudType::ImpersonateCustomerService);
//! assert!(v.level >= Level::Medium);
//! ```

pub mod brands;
pub mod cli;
pub mod engine;
pub mod extract;
pub mod model;
pub mod normalize;
pub mod phone;
pub mod rules;
pub mod typology;

pub use brands::{Brand, BrandError, BrandRegistry};
pub use engine::{BrandMismatch, Engine, Level, Verdict};
pub use extract::{canonicalize, CanonicalError, Indicator, IndicatorKind};
pub use phone::PhoneNumber;
pub use rules::{RuleError, RuleSet, Rules};
pub use typology::FraudType;
