//! Hygiene of name-like text (person names, unit names, titles, labels): the one check every form,
//! API and import runs before such a field is written. Names are shown in lists, notices, exports
//! and printed documents, so a name must be visible text: no control characters (NUL, escape,
//! line breaks), no bidirectional overrides or isolates that make `abc.exe` read as `exe.cba`, and
//! not only invisible characters (zero-width spaces, BOM) that pass as "not empty".

/// Why a name-like text was refused. [`TextError::key`] is the Fluent message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("contains a control character")]
    Control,
    #[error("contains a bidirectional override or isolate character")]
    Bidi,
    #[error("made only of invisible characters")]
    Invisible,
}

impl TextError {
    /// The message key: `text-err-control`, `text-err-bidi`, `text-err-invisible`.
    pub fn key(self) -> &'static str {
        match self {
            TextError::Control => "text-err-control",
            TextError::Bidi => "text-err-bidi",
            TextError::Invisible => "text-err-invisible",
        }
    }

    /// The message key of an import line (`$line`, `$column`).
    pub fn line_key(self) -> &'static str {
        match self {
            TextError::Control => "text-err-control-line",
            TextError::Bidi => "text-err-bidi-line",
            TextError::Invisible => "text-err-invisible-line",
        }
    }
}

/// U+202A–U+202E (embeddings, overrides) and U+2066–U+2069 (isolates).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that take no room on screen: zero-width spaces and joiners, BOM, word joiner,
/// soft hyphen, invisible operators, variation selectors, Hangul fillers, the Mongolian vowel
/// separator, and the tag characters.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{206A}'..='\u{206F}'
        | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{E0000}'..='\u{E007F}'
    ) || is_bidi_control(c)
}

/// Checks a name-like field (already trimmed by the caller or not): refuses control characters,
/// bidi overrides and isolates, and text made only of invisible characters (with or without
/// spaces). Empty text and text of spaces only pass as empty (whether a field is required is the
/// caller's rule, which then answers "required"). Returns the trimmed text.
///
/// ```
/// use fanzha::text::{name, TextError};
/// assert_eq!(name(" 张三 "), Ok("张三"));
/// assert_eq!(name("张\u{0}三"), Err(TextError::Control));
/// assert_eq!(name("abc\u{202E}gpj.exe"), Err(TextError::Bidi));
/// assert_eq!(name("\u{200B}\u{FEFF}"), Err(TextError::Invisible));
/// assert_eq!(name("Zoë\u{200D}"), Ok("Zoë\u{200D}"));
/// ```
pub fn name(s: &str) -> Result<&str, TextError> {
    if s.chars().any(char::is_control) {
        return Err(TextError::Control);
    }
    if s.chars().any(is_bidi_control) {
        return Err(TextError::Bidi);
    }
    let t = s.trim();
    if !t.is_empty() && t.chars().all(|c| is_invisible(c) || c.is_whitespace()) {
        return Err(TextError::Invisible);
    }
    Ok(t)
}

/// Checks free text that may span lines (notes, comments, descriptions): like [`name`], but line
/// breaks and tabs are allowed.
pub fn multiline(s: &str) -> Result<&str, TextError> {
    if s.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(TextError::Control);
    }
    if s.chars().any(is_bidi_control) {
        return Err(TextError::Bidi);
    }
    let t = s.trim();
    if !t.is_empty() && t.chars().all(|c| is_invisible(c) || c.is_whitespace()) {
        return Err(TextError::Invisible);
    }
    Ok(t)
}

/// Percent-encodes a value for a URL's query (letters, digits and `-_.~/` stay as they are).
pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(name(""), Ok(""));
        assert_eq!(
            name("  "),
            Ok(""),
            "spaces only are empty: the caller's required rule"
        );
        assert_eq!(name("欧阳 娜娜"), Ok("欧阳 娜娜"));
        for c in ['\0', '\u{7}', '\u{1B}', '\n', '\u{7F}', '\u{85}'] {
            assert_eq!(name(&format!("a{c}b")), Err(TextError::Control), "{c:?}");
        }
        for c in ['\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}'] {
            assert_eq!(name(&format!("a{c}b")), Err(TextError::Bidi), "{c:?}");
        }
        for s in [
            "\u{200B}",
            "\u{200B}\u{200C}\u{200D}",
            "\u{FEFF}",
            " \u{2060} ",
            "\u{3164}",
        ] {
            assert_eq!(name(s), Err(TextError::Invisible), "{s:?}");
        }
        assert_eq!(multiline("第一行\n第二行"), Ok("第一行\n第二行"));
        assert_eq!(multiline("a\u{0}"), Err(TextError::Control));
    }
}
