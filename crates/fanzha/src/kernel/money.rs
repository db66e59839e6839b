//! Money: an amount in fen (cents), never negative, parsed once from what people type and
//! formatted one way.

/// An amount of money in fen (cents), never negative. Parsed from yuan as people type it:
/// "1234", "1234.5", "1,234.56", "¥1234", "1234元", full-width "１２００", with at most two
/// decimals and thirteen integer digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
#[serde(transparent)]
pub struct Money(i64);

impl Money {
    pub const ZERO: Money = Money(0);

    /// The amount typed in `s`; `None` when empty or not an amount.
    pub fn parse(s: &str) -> Option<Money> {
        let s: String = s
            .trim()
            .chars()
            .map(|c| match c {
                '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
                '．' => '.',
                c => c,
            })
            .filter(|c| !matches!(c, ',' | '，' | '¥' | '￥') && !c.is_whitespace())
            .collect();
        let s = s.strip_suffix('元').unwrap_or(&s);
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if (int.is_empty() && frac.is_empty())
            || int.len() > 13
            || frac.len() > 2
            || !int.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
        {
            return None;
        }
        let yuan: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let fen: i64 = format!("{frac:0<2}").parse().ok()?;
        Some(Money(yuan.checked_mul(100)?.checked_add(fen)?))
    }

    /// Like [`Money::parse`], but an empty field is zero (an optional amount on a form).
    pub fn parse_or_zero(s: &str) -> Option<Money> {
        if s.trim().is_empty() {
            Some(Money::ZERO)
        } else {
            Money::parse(s)
        }
    }

    /// An amount read back from storage; `None` if negative.
    pub fn from_cents(c: i64) -> Option<Money> {
        (c >= 0).then_some(Money(c))
    }

    /// The amount in fen.
    pub fn cents(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for Money {
    /// "12,345.67".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&yuan(self.0))
    }
}

/// "12,345.67" for an amount in fen: the one way amounts are shown to people.
pub fn yuan(cents: i64) -> String {
    let neg = cents < 0;
    let c = cents.unsigned_abs();
    let int = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{}{grouped}.{:02}", if neg { "-" } else { "" }, c % 100)
}

/// "12345.67" for an amount in fen: for files and form fields, which are read back.
pub fn yuan_plain(cents: i64) -> String {
    let neg = cents < 0;
    let c = cents.unsigned_abs();
    format!("{}{}.{:02}", if neg { "-" } else { "" }, c / 100, c % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_as_typed() {
        let c = |s: &str| Money::parse(s).map(Money::cents);
        assert_eq!(c("1200"), Some(120_000));
        assert_eq!(c("1,234.5"), Some(123_450));
        assert_eq!(c("¥1234.56"), Some(123_456));
        assert_eq!(c("１２００元"), Some(120_000));
        assert_eq!(c(" 0.05 "), Some(5));
        assert_eq!(c(".5"), Some(50));
        for bad in [
            "",
            "-1",
            "1.234",
            "abc",
            "1e3",
            "12345678901234",
            ".",
            "1..2",
        ] {
            assert_eq!(c(bad), None, "{bad:?}");
        }
        assert_eq!(Money::parse_or_zero("  "), Some(Money::ZERO));
        assert_eq!(Money::from_cents(-1), None);
    }

    #[test]
    fn amounts_show_one_way() {
        assert_eq!(yuan(123_456_789), "1,234,567.89");
        assert_eq!(yuan(-5), "-0.05");
        assert_eq!(yuan_plain(123_456_789), "1234567.89");
        assert_eq!(Money::parse("1200").unwrap().to_string(), "1,200.00");
    }
}
