//! Text normalisation that undoes the common tricks scammers use to slip past keyword filters
//! (full-width letters, traditional characters, zero-width and spacing tricks, Chinese numerals in
//! phone numbers, look-alike app names, "点com"), while remembering for every output byte which
//! bytes of the original text produced it, so that spans found in the normalised text can be shown
//! on the text the person actually received.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::ops::Range;
use std::sync::OnceLock;
use unicode_normalization::UnicodeNormalization;

/// Normalised text plus the map back to the original.
///
/// The normalised text is lower-case, simplified Chinese, half-width, without zero-width
/// characters or filler between Chinese characters and digits, and with look-alike names replaced
/// by the canonical one (`微信`, `qq`, `支付宝`).
///
/// ```
/// use fanzha_detect::normalize::normalize;
/// let original = "加Ｖ信：ａｂｃ１２３ 刷 單";
/// let n = normalize(original);
/// assert_eq!(n.text(), "加微信:abc123刷单");
/// let at = n.text().find("微信").unwrap();
/// let span = n.to_original(at..at + "微信".len());
/// assert_eq!(&original[span], "Ｖ信");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    text: String,
    /// For every byte of `text`: the original byte range of the source character(s).
    map: Vec<(u32, u32)>,
    original_len: usize,
}

impl Normalized {
    /// The normalised text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Length in bytes of the original text this was made from.
    pub fn original_len(&self) -> usize {
        self.original_len
    }

    /// Maps a byte range of the normalised text to the byte range of the original text that
    /// produced it. The result always lies on char boundaries of the original text.
    /// An empty or out-of-range input yields an empty range at the nearest valid position.
    pub fn to_original(&self, range: Range<usize>) -> Range<usize> {
        let end = range.end.min(self.map.len());
        let start = range.start.min(end);
        if start >= end {
            let pos = self
                .map
                .get(start)
                .map(|m| m.0 as usize)
                .unwrap_or(self.original_len);
            return pos..pos;
        }
        let s = self.map[start].0 as usize;
        let e = self.map[end - 1].1 as usize;
        s..e.max(s)
    }
}

/// Normalises `original`. Allocation is proportional to the text; see [`Normalized`].
pub fn normalize(original: &str) -> Normalized {
    let mut out = Normalized::default();
    normalize_into(original, &mut out, &mut Scratch::default());
    out
}

/// Reusable buffers for [`normalize_into`].
#[derive(Debug, Default)]
pub struct Scratch {
    stage: Normalized,
}

/// Like [`normalize`] but reuses buffers, which keeps the hot path free of allocation.
pub fn normalize_into(original: &str, out: &mut Normalized, scratch: &mut Scratch) {
    out.text.clear();
    out.map.clear();
    out.original_len = original.len();
    let Scratch { stage } = scratch;
    stage.text.clear();
    stage.map.clear();
    stage.original_len = original.len();
    let special = per_char(original, stage);
    // Substitutions can enable each other ("扣扣点扣扣" → "qq点qq" → "qq.qq") or put a Chinese
    // character next to filler ("微信-V信"); repeating until nothing changes makes normalisation
    // idempotent. Real text needs one round, rarely two.
    let first_alias = if special {
        Some(aliases().find(stage.text.as_str()))
    } else {
        aliases().find(stage.text.as_str()).map(Some)
    };
    let Some(first_alias) = first_alias else {
        // Most messages: nothing to replace, so skip copying the text once more.
        std::mem::swap(&mut stage.text, &mut out.text);
        std::mem::swap(&mut stage.map, &mut out.map);
        return;
    };
    let mut first_alias = Some(first_alias);
    for _ in 0..4 {
        out.text.clear();
        out.map.clear();
        let first = first_alias
            .take()
            .unwrap_or_else(|| aliases().find(stage.text.as_str()));
        if !substitute(stage, out, first) {
            return;
        }
        stage.text.clear();
        stage.map.clear();
        let mut sp = Spacer::default();
        for (i, c) in out.text.char_indices() {
            sp.feed(stage, c, out.map[i]);
        }
        finish(stage);
        // Spacing changed nothing and pass 3 could only replace look-alike names: without one,
        // this is the fixed point (the common end of a second round, at a third of its cost).
        if !sp.special && stage.text == out.text {
            match aliases().find(stage.text.as_str()) {
                None => return,
                found => first_alias = Some(found),
            }
        }
    }
    std::mem::swap(&mut stage.text, &mut out.text);
    std::mem::swap(&mut stage.map, &mut out.map);
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

fn is_invisible(c: char) -> bool {
    matches!(
        c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180B..=0x180F
            | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
            | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFFB | 0xE0000..=0xE0FFF
    ) || (c.is_control() && !c.is_whitespace())
}

/// Pass 1: character by character — invisible characters out, width, case, compatibility forms
/// and traditional characters folded — fed straight into pass 2 ([`Spacer`]).
///
/// Returns whether pass 3 may have more to do than replace look-alike names.
fn per_char(original: &str, out: &mut Normalized) -> bool {
    let mut sp = Spacer::default();
    for (s, c) in original.char_indices() {
        let e = (s + c.len_utf8()) as u32;
        let s = s as u32;
        let cp = c as u32;
        if c.is_ascii() {
            if c.is_ascii_control() && !c.is_ascii_whitespace() {
                continue;
            }
            sp.feed(out, c.to_ascii_lowercase(), (s, e));
        } else if (0xFF01..=0xFF5E).contains(&cp) {
            let h = char::from_u32(cp - 0xFEE0).unwrap_or(c);
            sp.feed(out, h.to_ascii_lowercase(), (s, e));
        } else if is_cjk(c) {
            sp.feed(out, t2s(c), (s, e));
        } else if matches!(cp, 0x3001..=0x303F | 0x2010..=0x2027 | 0x2030..=0x205E) {
            // CJK and general punctuation are NFKC-stable or changed harmlessly; skip the lookup.
            // (None of these code points is invisible.)
            sp.feed(out, c, (s, e));
        } else if is_invisible(c) {
            continue;
        } else if c.is_whitespace() {
            sp.feed(out, ' ', (s, e));
        } else {
            for n in std::iter::once(c).nfkc() {
                if is_invisible(n) {
                    continue;
                }
                let n = if is_cjk(n) { t2s(n) } else { n };
                for l in n.to_lowercase() {
                    let l = if l.is_whitespace() { ' ' } else { l };
                    sp.feed(out, l, (s, e));
                }
            }
        }
    }
    finish(out);
    sp.special
}

/// ASCII filler characters as a bit set: ' ' * _ ~ | - . / \\ + = # ^ `
const ASCII_FILLER: u128 = {
    let chars = b" *_~|-./\\+=#^`";
    let mut set = 0u128;
    let mut i = 0;
    while i < chars.len() {
        set |= 1u128 << chars[i];
        i += 1;
    }
    set
};

#[inline]
fn is_filler(c: char) -> bool {
    let cp = c as u32;
    if cp < 128 {
        ASCII_FILLER & (1u128 << cp) != 0
    } else {
        matches!(c, '·' | '•')
    }
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// Pushes a char, first dropping a pending single space that does not separate two words
/// (letters or mixed letters/digits). Digits separated by spaces merge: "1 3 8" is a phone trick.
#[inline(always)]
fn push(out: &mut Normalized, c: char, span: (u32, u32)) {
    match out.text.as_bytes().last() {
        // The common case: no pending space.
        Some(&b) if b != b' ' => {}
        None if c == ' ' => return,
        None => {}
        Some(_) => return push_after_space(out, c, span),
    }
    push_raw(out, c, span);
}

#[inline(always)]
fn push_raw(out: &mut Normalized, c: char, span: (u32, u32)) {
    out.text.push(c);
    for _ in 0..c.len_utf8() {
        out.map.push(span);
    }
}

#[inline(never)]
fn push_after_space(out: &mut Normalized, c: char, span: (u32, u32)) {
    let before = out.text[..out.text.len() - 1].chars().next_back();
    let keep = match before {
        Some(b) => is_word(b) && is_word(c) && !(b.is_ascii_digit() && c.is_ascii_digit()),
        None => false,
    };
    if !keep {
        out.text.pop();
        out.map.pop();
    }
    if c == ' ' && (out.text.is_empty() || out.text.ends_with(' ')) {
        return;
    }
    push_raw(out, c, span);
}

fn finish(out: &mut Normalized) {
    if out.text.ends_with(' ') {
        out.text.pop();
        out.map.pop();
    }
}

/// Pass 2, one character at a time: filler between Chinese characters ("刷 单", "刷*单")
/// disappears, whitespace runs collapse and survive only between words.
///
/// A run of filler is written out as it comes; when the character after the run turns out to
/// be Chinese like the one before it, the run is cut off again.
///
/// On the way it notes whether pass 3 may have work besides look-alike names: a run of two
/// Chinese numerals, or a "点"/"。" after a letter or digit. Filler is ignored for both, which can
/// only say "maybe" too often, never miss one.
#[derive(Default)]
struct Spacer {
    /// Output length where the current filler run started, and whether the character before
    /// it is Chinese.
    run: Option<(usize, bool)>,
    numerals: u8,
    prev_ascii: bool,
    special: bool,
}

impl Spacer {
    #[inline(always)]
    fn feed(&mut self, out: &mut Normalized, c: char, span: (u32, u32)) {
        if is_filler(c) {
            if self.run.is_none() {
                let prev_cjk = out.text.chars().next_back().is_some_and(is_cjk);
                self.run = Some((out.text.len(), prev_cjk));
            }
        } else {
            if let Some((start, prev_cjk)) = self.run.take() {
                if prev_cjk && is_cjk(c) {
                    out.text.truncate(start);
                    out.map.truncate(start);
                }
            }
            if c.is_ascii() {
                if !c.is_ascii_digit() {
                    self.numerals = 0;
                }
                self.prev_ascii = c.is_ascii_alphanumeric();
            } else {
                if cn_digit(c).is_some() {
                    self.numerals += 1;
                    self.special |= self.numerals >= 2;
                } else {
                    self.numerals = 0;
                    self.special |= self.prev_ascii && matches!(c, '点' | '。' | '．');
                }
                self.prev_ascii = false;
            }
        }
        push(out, c, span);
    }
}

/// Look-alike spellings and their canonical form.
const ALIASES: &[(&str, &str)] = &[
    ("v信", "微信"),
    ("v芯", "微信"),
    ("v❤", "微信"),
    ("薇信", "微信"),
    ("威信", "微信"),
    ("微芯", "微信"),
    ("薇芯", "微信"),
    ("威芯", "微信"),
    ("徽信", "微信"),
    ("嶶信", "微信"),
    ("胃信", "微信"),
    ("wei信", "微信"),
    ("weixin", "微信"),
    ("wechat", "微信"),
    ("vx", "微信"),
    ("wx", "微信"),
    ("加v", "加微信"),
    ("+v", "+微信"),
    ("扣扣", "qq"),
    ("抠抠", "qq"),
    ("寇寇", "qq"),
    ("企鹅号", "qq号"),
    ("企鹅", "qq"),
    ("支fu宝", "支付宝"),
    ("支付b", "支付宝"),
    ("吱付宝", "支付宝"),
    ("址付宝", "支付宝"),
    ("支附宝", "支付宝"),
    ("zfb", "支付宝"),
    ("alipay", "支付宝"),
    ("yhk", "银行卡"),
    ("[.]", "."),
    ("(.)", "."),
    ("(dot)", "."),
    ("[dot]", "."),
    (" dot ", "."),
    ("h**p", "http"),
    ("hxxp", "http"),
];

fn aliases() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(ALIASES.iter().map(|a| a.0))
            .expect("alias patterns are valid")
    })
}

/// Code points of the Chinese numerals [`cn_digit`] knows, as a 4096-bit hash set: a cheap
/// reject for the common case of a character that is none of them.
const CN_DIGIT_CHARS: &str = "零〇洞一壹幺妖二贰两三叁四肆五伍六陆七柒拐八捌九玖勾";
const CN_DIGIT_SET: [u64; 64] = {
    let b = CN_DIGIT_CHARS.as_bytes();
    let mut set = [0u64; 64];
    let mut i = 0;
    while i < b.len() {
        // Every numeral is a three-byte UTF-8 sequence.
        let cp = ((b[i] as u32 & 0x0F) << 12)
            | ((b[i + 1] as u32 & 0x3F) << 6)
            | (b[i + 2] as u32 & 0x3F);
        set[((cp >> 6) % 64) as usize] |= 1u64 << (cp % 64);
        i += 3;
    }
    set
};

fn cn_digit(c: char) -> Option<char> {
    let cp = c as u32;
    if cp < 0x3007 || CN_DIGIT_SET[((cp >> 6) % 64) as usize] & (1u64 << (cp % 64)) == 0 {
        return None;
    }
    Some(match c {
        '零' | '〇' | '洞' => '0',
        '一' | '壹' | '幺' | '妖' => '1',
        '二' | '贰' | '两' => '2',
        '三' | '叁' => '3',
        '四' | '肆' => '4',
        '五' | '伍' => '5',
        '六' | '陆' => '6',
        '七' | '柒' | '拐' => '7',
        '八' | '捌' => '8',
        '九' | '玖' | '勾' => '9',
        _ => return None,
    })
}

fn digitish(c: char) -> bool {
    c.is_ascii_digit() || cn_digit(c).is_some()
}

/// Whether a replacement next to these characters can enable another substitution or spacing
/// change (so another round is needed). Between two Chinese characters it cannot, which is the
/// common case and saves a second pass.
fn may_cascade(prev: Option<char>, next: Option<char>) -> bool {
    let risky = |c: char| {
        c.is_ascii() || is_filler(c) || matches!(c, '点' | '。' | '．') || cn_digit(c).is_some()
    };
    prev.is_some_and(risky) || next.is_some_and(risky)
}

fn find_from(text: &str, from: usize) -> Option<aho_corasick::Match> {
    if from >= text.len() {
        return None;
    }
    aliases().find(aho_corasick::Input::new(text).range(from..))
}

/// Pass 3: look-alike names, "点"/"。" between domain labels, Chinese numerals in long numbers.
fn substitute(src: &Normalized, out: &mut Normalized, first: Option<aho_corasick::Match>) -> bool {
    let mut changed = false;
    let text = src.text.as_str();
    let bytes = text.as_bytes();
    let mut next_match = first;
    let mut i = 0;
    while i < text.len() {
        // An alias starting here (leftmost-longest); a rejected one must not hide a later,
        // overlapping candidate ("加v信" is "加" + "v信"), so the search restarts after it.
        if next_match.is_some_and(|m| m.start() < i) {
            next_match = find_from(text, i);
        }
        if let Some(m) = next_match.filter(|m| m.start() == i) {
            let (pat, rep) = ALIASES[m.pattern().as_usize()];
            let first_ascii = pat.as_bytes()[0].is_ascii_alphabetic();
            let last_ascii = pat.as_bytes()[pat.len() - 1].is_ascii_alphabetic();
            // Judged on the output so far, as a second normalisation would see it.
            let ok_before = !first_ascii
                || !out
                    .text
                    .as_bytes()
                    .last()
                    .is_some_and(|b| b.is_ascii_alphanumeric());
            let after = text[m.end()..].chars().next();
            let ok_after = !last_ascii
                || after.is_none_or(|a| !a.is_ascii_alphabetic() && !matches!(a, '信' | '芯'));
            next_match = find_from(text, i + 1);
            if ok_before && ok_after {
                let span = (src.map[m.start()].0, src.map[m.end() - 1].1);
                let prev = out.text.chars().next_back();
                for c in rep.chars() {
                    push(out, c, span);
                }
                changed |=
                    rep.chars().any(is_filler) || may_cascade(prev, text[m.end()..].chars().next());
                i = m.end();
                continue;
            }
        }
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        let len = c.len_utf8();
        let span = src.map[i];
        if (c == '点' || c == '。' || c == '．')
            && out
                .text
                .as_bytes()
                .last()
                .is_some_and(|b| b.is_ascii_alphanumeric())
            && bytes.get(i + len).is_some_and(|b| b.is_ascii_alphabetic())
        {
            // A dot between ASCII words enables no further substitution.
            push(out, '.', span);
            i += len;
            continue;
        }
        if digitish(c) && !c.is_ascii_digit() {
            // A run of digits and numerals long enough to be a phone, QQ or card number.
            let prev_digitish = out.text.chars().next_back().is_some_and(digitish);
            if !prev_digitish {
                let run: Vec<(usize, char)> = text[i..]
                    .char_indices()
                    .take_while(|&(_, c)| digitish(c))
                    .collect();
                let numerals = run.iter().filter(|(_, c)| !c.is_ascii_digit()).count();
                if run.len() >= 5 && numerals >= 2 {
                    for &(off, c) in &run {
                        let d = cn_digit(c).unwrap_or(c);
                        push(out, d, src.map[i + off]);
                    }
                    let prev = text[..i].chars().next_back();
                    let (last_off, last_c) = run[run.len() - 1];
                    i += last_off + last_c.len_utf8();
                    changed |= may_cascade(prev, text[i..].chars().next());
                    continue;
                }
            }
        }
        push(out, c, span);
        i += len;
    }
    finish(out);
    changed
}

/// Traditional → simplified for the common characters (a compact built-in table; characters
/// outside it pass unchanged).
pub fn t2s(c: char) -> char {
    struct Table {
        pairs: Vec<(char, char)>,
        /// One bit per code point below `LIMIT`: most characters are not traditional, and a bit
        /// test is much cheaper than the binary search it saves.
        present: Vec<u64>,
    }
    const LIMIT: usize = 0x10000;
    static TABLE: OnceLock<Table> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut pairs: Vec<(char, char)> = include_str!("data/t2s.txt")
            .split_whitespace()
            .filter_map(|pair| {
                let mut it = pair.chars();
                Some((it.next()?, it.next()?))
            })
            .filter(|(t, s)| t != s)
            .collect();
        pairs.sort_unstable();
        pairs.dedup_by_key(|p| p.0);
        let mut present = vec![0u64; LIMIT / 64];
        for &(t, _) in &pairs {
            let i = t as usize;
            if i < LIMIT {
                present[i / 64] |= 1 << (i % 64);
            }
        }
        Table { pairs, present }
    });
    let i = c as usize;
    if i < LIMIT && table.present[i / 64] & (1 << (i % 64)) == 0 {
        return c;
    }
    match table.pairs.binary_search_by_key(&c, |p| p.0) {
        Ok(i) => table.pairs[i].1,
        Err(_) => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        normalize(s).text().to_string()
    }

    #[test]
    fn folds_width_case_and_traditional() {
        assert_eq!(n("ＡＢＣ１２３"), "abc123");
        assert_eq!(n("詐騙轉賬"), "诈骗转账");
        assert_eq!(n("①②③"), "123");
    }

    #[test]
    fn removes_spacing_tricks() {
        assert_eq!(n("刷 单 返 利"), "刷单返利");
        assert_eq!(n("刷\u{200b}单"), "刷单");
        assert_eq!(n("刷*单"), "刷单");
        assert_eq!(n("1 3 8 1 2 3 4 5 6 7 8"), "13812345678");
        assert_eq!(n("hello  world"), "hello world");
        assert_eq!(n("  前后  "), "前后");
    }

    #[test]
    fn look_alikes() {
        assert_eq!(n("加V信"), "加微信");
        assert_eq!(n("加vx"), "加微信");
        assert_eq!(n("扣扣号"), "qq号");
        assert_eq!(n("支fu宝"), "支付宝");
        assert_eq!(n("vxlan"), "vxlan");
        assert_eq!(n("加vip"), "加vip");
    }

    #[test]
    fn numerals_and_domains() {
        assert_eq!(n("幺三八一二三四五六七八"), "13812345678");
        assert_eq!(n("三五成群"), "三五成群");
        assert_eq!(n("abc点com"), "abc.com");
        assert_eq!(n("8点30分"), "8点30分");
        assert_eq!(n("abc (dot) com"), "abc.com");
    }

    #[test]
    fn idempotent_on_found_cases() {
        // Found by the property test and the fuzzer.
        for s in ["微信-V信", "扣扣点扣扣", "经济+\u{1}v纷", "扣扣点com"] {
            let once = n(s);
            assert_eq!(n(&once), once, "{s:?}");
        }
    }

    #[test]
    fn offsets_point_into_original() {
        let o = "請加ＶＸ：ｔｅｓｔ１";
        let nn = normalize(o);
        let at = nn.text().find("微信").unwrap();
        assert_eq!(&o[nn.to_original(at..at + 6)], "ＶＸ");
        let t = nn.text().find("test1").unwrap();
        assert_eq!(&o[nn.to_original(t..t + 5)], "ｔｅｓｔ１");
    }
}
