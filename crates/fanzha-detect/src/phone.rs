//! The one phone-number parser of fanzha. Every place that reads a number (indicator extraction,
//! risk checks, reports, warnings, intel, rosters) goes through [`PhoneNumber`], so a number means
//! the same thing everywhere.
//!
//! A mainland number (with or without `+86` / `0086` / `86`) is kept as its national digits
//! (`13812345678`, `01012345678`, `95588`). A number with another country code (`+852`, `+1`, a
//! `00` prefix…) is kept as an international E.164 number (`+14155550100`): it is never turned
//! into, nor matched with, a mainland number.

/// The shape of a mainland number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// 11 digits, `1[3-9]…`.
    Mobile,
    /// Area code and subscriber number, `0…`.
    Landline,
    /// `400`/`800` numbers and the short `95…`/`96…` service numbers.
    Service,
}

/// A parsed phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneNumber {
    /// A mainland number, national digits without country prefix.
    Mainland { shape: Shape, digits: String },
    /// Any other country: `+` and 7 to 15 digits starting with the country code.
    International(String),
}

/// Characters a typed number may contain besides digits.
fn separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '(' | ')' | '.')
}

impl PhoneNumber {
    /// Parses a typed number: digits, spaces, `-`, `.`, parentheses and one leading `+`.
    ///
    /// ```
    /// use fanzha_detect::phone::PhoneNumber;
    /// let c = |s| PhoneNumber::parse(s).map(|p| p.canonical());
    /// assert_eq!(c("+86 138-1234-5678").as_deref(), Some("13812345678"));
    /// assert_eq!(c("0086 138 1234 5678").as_deref(), Some("13812345678"));
    /// assert_eq!(c("+1 415 555 0100").as_deref(), Some("+14155550100"));
    /// assert_eq!(c("+1 (555) 010-0123").as_deref(), Some("+15550100123"));
    /// assert_eq!(c("00852 2123 4567").as_deref(), Some("+85221234567"));
    /// assert_eq!(c("12345"), None);
    /// ```
    pub fn parse(raw: &str) -> Option<PhoneNumber> {
        let s = raw.trim().trim_start_matches(['(', ' ']);
        let (plus, rest) = match s.strip_prefix('+') {
            Some(r) => (true, r),
            None => (false, s),
        };
        if rest.is_empty() || !rest.chars().all(|c| c.is_ascii_digit() || separator(c)) {
            return None;
        }
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        PhoneNumber::from_digits(plus, &digits)
    }

    /// Classifies a run of digits; `plus` says whether a `+` stood before it.
    pub fn from_digits(plus: bool, d: &str) -> Option<PhoneNumber> {
        if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let international = if plus { Some(d) } else { d.strip_prefix("00") };
        match international {
            Some(i) => match i.strip_prefix("86") {
                // +86 is the mainland: its number must be a mainland number. Landlines are
                // written without their trunk `0` after the country code (+86 10 1234 5678).
                Some(national) => mainland(national).or_else(|| {
                    mainland(&format!("0{national}")).filter(|p| p.shape() == Some(Shape::Landline))
                }),
                None => {
                    let ok = (7..=15).contains(&i.len()) && !i.starts_with('0');
                    ok.then(|| PhoneNumber::International(format!("+{i}")))
                }
            },
            None => {
                // `86` without `+` before an 11-digit mobile is the country code written loosely.
                let national = d
                    .strip_prefix("86")
                    .filter(|r| r.len() == 11 && r.starts_with('1'))
                    .unwrap_or(d);
                mainland(national)
            }
        }
    }

    /// The canonical text: national digits for the mainland, E.164 otherwise.
    pub fn canonical(&self) -> String {
        match self {
            PhoneNumber::Mainland { digits, .. } => digits.clone(),
            PhoneNumber::International(e164) => e164.clone(),
        }
    }

    /// The shape of a mainland number; `None` for an international one.
    pub fn shape(&self) -> Option<Shape> {
        match self {
            PhoneNumber::Mainland { shape, .. } => Some(*shape),
            PhoneNumber::International(_) => None,
        }
    }

    /// Is this a mainland mobile number (what rosters hold)?
    pub fn is_mainland_mobile(&self) -> bool {
        self.shape() == Some(Shape::Mobile)
    }

    pub fn is_international(&self) -> bool {
        matches!(self, PhoneNumber::International(_))
    }
}

/// Mainland numbering plan, national digits only.
fn mainland(d: &str) -> Option<PhoneNumber> {
    let b = d.as_bytes();
    let n = b.len();
    let shape = if n == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) {
        Shape::Mobile
    } else if (n == 10 && (d.starts_with("400") || d.starts_with("800")))
        || ((5..=6).contains(&n) && (d.starts_with("95") || d.starts_with("96")))
    {
        Shape::Service
    } else if (10..=12).contains(&n) && b[0] == b'0' && b[1] != b'0' {
        // Area codes: 010 and 02x have 3 digits, the rest 4; subscriber numbers 7 or 8 digits.
        let area = if b[1] == b'1' || b[1] == b'2' { 3 } else { 4 };
        if !(7..=8).contains(&(n - area)) {
            return None;
        }
        Shape::Landline
    } else {
        return None;
    };
    Some(PhoneNumber::Mainland {
        shape,
        digits: d.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn c(s: &str) -> Option<String> {
        PhoneNumber::parse(s).map(|p| p.canonical())
    }

    #[test]
    fn mainland_numbers_as_before() {
        for s in [
            "13812345678",
            "138-1234-5678",
            "138 1234 5678",
            "+86 138 1234 5678",
            "+86-13812345678",
            "008613812345678",
            "8613812345678",
            "(+86) 138.1234.5678",
        ] {
            assert_eq!(c(s).as_deref(), Some("13812345678"), "{s}");
        }
        assert_eq!(c("010-12345678").as_deref(), Some("01012345678"));
        assert_eq!(c("+86 10 1234 5678").as_deref(), Some("01012345678"));
        assert_eq!(c("0086 755 1234 5678").as_deref(), Some("075512345678"));
        assert_eq!(c("+86 010 1234 5678").as_deref(), Some("01012345678"));
        assert_eq!(c("400-888-1234").as_deref(), Some("4008881234"));
        assert_eq!(c("95588").as_deref(), Some("95588"));
    }

    #[test]
    fn foreign_numbers_stay_foreign() {
        assert_eq!(c("+1 415 555 0100").as_deref(), Some("+14155550100"));
        assert_eq!(c("+1 (555) 010-0123").as_deref(), Some("+15550100123"));
        assert_eq!(c("001 415 555 0100").as_deref(), Some("+14155550100"));
        assert_eq!(c("+852 2123 4567").as_deref(), Some("+85221234567"));
        assert_eq!(c("+853 6612 3456").as_deref(), Some("+85366123456"));
        assert_eq!(c("+886 912 345 678").as_deref(), Some("+886912345678"));
        assert_eq!(c("+44 20 7946 0958").as_deref(), Some("+442079460958"));
        // Too long for E.164, or a country code starting with 0.
        assert_eq!(c("+1234567890123456"), None);
        assert_eq!(c("+0123456789"), None);
        assert!(!PhoneNumber::parse("+1 415 555 0100")
            .unwrap()
            .is_mainland_mobile());
    }

    #[test]
    fn refuses_what_is_not_a_number() {
        for s in [
            "",
            "+",
            "abc",
            "138abc45678",
            "1+3812345678",
            "12345",
            "+86",
        ] {
            assert_eq!(c(s), None, "{s}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// A number written with any country code but 86 never comes out as a mainland number.
        #[test]
        fn another_country_code_is_never_mainland(
            cc in "[1-9][0-9]{0,2}",
            rest in "[0-9]{6,11}",
            zeros in proptest::bool::ANY,
        ) {
            prop_assume!(!format!("{cc}{rest}").starts_with("86"));
            let typed = if zeros { format!("00{cc} {rest}") } else { format!("+{cc} {rest}") };
            if let Some(p) = PhoneNumber::parse(&typed) {
                prop_assert!(p.is_international(), "{typed} -> {p:?}");
                prop_assert_eq!(p.canonical(), format!("+{cc}{rest}"));
            }
        }

        /// A mainland mobile reads the same with any of its prefixes and separators.
        #[test]
        fn mainland_mobile_prefixes_agree(
            second in "[3-9]",
            rest in "[0-9]{9}",
            prefix in prop::sample::select(vec!["", "+86 ", "0086", "86", "+86-"]),
            sep in prop::sample::select(vec!["", " ", "-"]),
        ) {
            let national = format!("1{second}{rest}");
            let typed = format!("{prefix}{}{sep}{}{sep}{}", &national[..3], &national[3..7], &national[7..]);
            let p = PhoneNumber::parse(&typed);
            prop_assert_eq!(
                p,
                Some(PhoneNumber::Mainland { shape: Shape::Mobile, digits: national })
            );
        }

        /// Parsing a canonical text gives it back.
        #[test]
        fn canonical_is_a_fixed_point(s in "[+]?[0-9 ()-]{1,20}") {
            if let Some(p) = PhoneNumber::parse(&s) {
                prop_assert_eq!(PhoneNumber::parse(&p.canonical()), Some(p));
            }
        }
    }
}
