//! Property tests: normalisation is idempotent and its offsets stay valid; extraction spans are
//! inside the text on char boundaries; Luhn-valid cards are found; the whole pipeline never
//! panics (the same property the cargo-fuzz target in `fuzz/` checks).

use fanzha_detect::extract::{extract, luhn, IndicatorKind};
use fanzha_detect::normalize::normalize;
use fanzha_detect::{canonicalize, Engine};
use proptest::prelude::*;
use std::sync::OnceLock;

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(Engine::builtin)
}

/// Text that looks like what the engine sees: Chinese, digits, full-width forms, look-alike
/// names, separators and invisible characters, plus arbitrary Unicode.
fn texty() -> impl Strategy<Value = String> {
    let atoms = prop_oneof![
        Just("微信".to_string()),
        Just("V信".to_string()),
        Just("扣扣".to_string()),
        Just("点".to_string()),
        Just("com".to_string()),
        Just(" ".to_string()),
        Just("\u{200b}".to_string()),
        Just("-".to_string()),
        Just(".".to_string()),
        Just("http://".to_string()),
        Just("转账".to_string()),
        Just("安全账户".to_string()),
        Just("验证码发给我".to_string()),
        "[0-9]{1,12}",
        "[一二三四五六七八九零幺]{1,6}",
        "[a-zA-Z]{1,6}",
        "[Ａ-Ｚ０-９]{1,4}",
        "[\u{4e00}-\u{9fff}]{1,4}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(atoms, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn normalisation_is_idempotent(s in texty()) {
        let once = normalize(&s);
        let twice = normalize(once.text());
        prop_assert_eq!(once.text(), twice.text());
    }

    #[test]
    fn normalised_offsets_map_to_char_boundaries(s in texty(), a in 0usize..200, b in 0usize..200) {
        let n = normalize(&s);
        let len = n.text().len();
        let (a, b) = (a.min(len), b.min(len));
        let r = n.to_original(a.min(b)..a.max(b));
        prop_assert!(r.start <= r.end && r.end <= s.len());
        prop_assert!(s.is_char_boundary(r.start) && s.is_char_boundary(r.end));
    }

    #[test]
    fn indicator_spans_are_valid(s in texty()) {
        for i in extract(&s) {
            prop_assert!(i.start <= i.end && i.end <= s.len(), "{:?}", i);
            prop_assert!(s.is_char_boundary(i.start) && s.is_char_boundary(i.end), "{:?}", i);
        }
    }

    #[test]
    fn pipeline_never_panics_and_spans_are_valid(s in texty()) {
        check_pipeline(&s)?;
    }

    #[test]
    fn pipeline_on_arbitrary_unicode(s in any::<String>()) {
        check_pipeline(&s)?;
    }

    #[test]
    fn luhn_valid_cards_are_found(prefix in "62[0-9]{13,16}", sep in prop_oneof![Just(""), Just(" ")]) {
        let card = with_check_digit(&prefix);
        prop_assert!(luhn(&card));
        let shown: String = card
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect::<Vec<_>>()
            .join(sep);
        let text = format!("请转账到卡号{shown}，谢谢");
        let found = extract(&text);
        prop_assert!(found.iter().any(|i| i.kind == IndicatorKind::BankCard && i.value == card), "{:?}", found);
        prop_assert_eq!(canonicalize("bank_card", &shown).unwrap(), card.clone());
        // Changing one digit breaks the checksum.
        let mut broken = card.into_bytes();
        let last = broken.len() - 1;
        broken[last] = b'0' + (broken[last] - b'0' + 1) % 10;
        let broken = String::from_utf8(broken).unwrap();
        prop_assert!(!luhn(&broken));
        prop_assert!(canonicalize("bank_card", &broken).is_err());
    }
}

fn check_pipeline(s: &str) -> Result<(), TestCaseError> {
    let v = engine().analyze(s);
    prop_assert!((0.0..=1.0).contains(&v.risk));
    for i in &v.indicators {
        prop_assert!(s.get(i.start..i.end).is_some(), "{:?}", i);
    }
    for r in &v.rules {
        for &(a, b) in &r.spans {
            prop_assert!(s.get(a..b).is_some(), "{:?}", r);
        }
    }
    for f in &v.features {
        prop_assert!(s.get(f.start..f.end).is_some(), "{:?}", f);
    }
    Ok(())
}

fn with_check_digit(prefix: &str) -> String {
    (0..10)
        .map(|d| format!("{prefix}{d}"))
        .find(|c| luhn(c))
        .unwrap_or_default()
}
