//! The whole detection pipeline on arbitrary input: no panic, every span inside the text and on
//! char boundaries, risk in [0, 1], normalisation idempotent, rules parser never panics.
//! Run: `cargo fuzz run pipeline` (or see docs/DETECTION.md for running it on stable Rust).
#![no_main]

use fanzha_detect::normalize::normalize;
use fanzha_detect::{canonicalize, Engine, RuleSet};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(Engine::builtin)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let v = engine().analyze(text);
    assert!((0.0..=1.0).contains(&v.risk));
    for i in &v.indicators {
        assert!(text.get(i.start..i.end).is_some(), "{i:?}");
    }
    for r in &v.rules {
        for &(s, e) in &r.spans {
            assert!(text.get(s..e).is_some(), "{r:?}");
        }
    }
    for f in &v.features {
        assert!(text.get(f.start..f.end).is_some(), "{f:?}");
    }
    let n = normalize(text);
    assert_eq!(normalize(n.text()).text(), n.text());
    for kind in ["phone", "url", "domain", "ip", "bank_card", "alipay", "wechat", "qq", "app", "other_account"] {
        let _ = canonicalize(kind, text);
    }
    let _ = RuleSet::parse(text, "fuzz.toml");
});
