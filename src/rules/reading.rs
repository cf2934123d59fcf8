//! Classify stage, how the keyword scan reads a field value: lower-cased where a letter
//! beyond ASCII has a case, folded to Simplified characters (both in one pass), and cut into
//! the runs of ASCII that the English automaton walks.

use std::borrow::Cow;

use crate::parse::lang;

/// The runs of ASCII characters in `text` at least `shortest` bytes long, each with its byte
/// offset, found as they are asked for (an English mail is one run, and nothing allocated).
/// A character beyond ASCII is stepped over whole, told by its first byte (a Chinese one was
/// three steps), and a tail of ASCII is told a word at a time (`str::is_ascii`): byte by
/// byte, telling the runs cost about 800 instructions on a Chinese mail of 84 bytes and 280
/// on an English one of 100.
pub(super) fn ascii_runs(text: &str, shortest: usize) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let mut start = 0;
    std::iter::from_fn(move || {
        while start < bytes.len() {
            let mut from = start;
            while from < bytes.len() && !bytes[from].is_ascii() {
                from += utf8_len(bytes[from]);
            }
            let end = if text[from..].is_ascii() {
                bytes.len()
            } else {
                from + bytes[from..].iter().take_while(|b| b.is_ascii()).count()
            };
            start = end;
            if end - from >= shortest && end > from {
                return Some((from, &text[from..end]));
            }
        }
        None
    })
}

/// The length in UTF-8 of the character whose first byte is `lead` (beyond ASCII).
#[inline(always)]
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xf0.. => 4,
        0xe0.. => 3,
        _ => 2,
    }
}

/// `value` as the keyword scan reads it ([`fold_non_ascii_case`]) and, when that is `value`
/// itself, folded to Simplified characters in the same pass (`None`: not folded yet). An
/// `ascii` value is read as it is, unfolded.
#[inline]
pub(super) fn read_for_scan(value: &str, ascii: bool) -> (Cow<'_, str>, Option<Cow<'_, str>>) {
    if ascii {
        return (Cow::Borrowed(value), Some(Cow::Borrowed(value)));
    }
    match lang::fold_to_simplified_unless(value, |c| !caseless(c) && c.is_uppercase()) {
        Some(simplified) => (Cow::Borrowed(value), Some(simplified)),
        None => (fold_non_ascii_case(value), None),
    }
}

/// `text` lower-cased if it has upper-case letters beyond ASCII (the keyword automaton folds
/// ASCII itself); borrowed as it is otherwise, which is nearly always. Never inlined: inlined
/// into [`super::index::FieldIndex::scan`], the walk of [`cased_beyond_ascii`] was left a call a character
/// here and in the model's `normalise` (some 210 instructions more a Cathay mail).
#[inline(never)]
fn fold_non_ascii_case(text: &str) -> Cow<'_, str> {
    if !text.is_ascii() && cased_beyond_ascii(text).any(char::is_uppercase) {
        return Cow::Owned(text.to_lowercase());
    }
    Cow::Borrowed(text)
}

/// The characters of `text` beyond ASCII that may have a case: read byte by byte, the common
/// ones (ASCII; U+3000..U+9FFF, kana, CJK punctuation and Han, three bytes in UTF-8) skipped
/// without decoding, and the other caseless ones left out.
pub(super) fn cased_beyond_ascii(text: &str) -> impl Iterator<Item = char> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            match bytes[i] {
                0..=0x7f => i += 1,
                0xe3..=0xe9 => i += 3,
                _ => {
                    let c = text[i..].chars().next().expect("i is at a character boundary");
                    i += c.len_utf8();
                    if !caseless(c) {
                        return Some(c);
                    }
                }
            }
        }
        None
    })
}

/// `text` with the spaces taken out of Chinese typed a character at a time (退 款 还 没 到,
/// 手续 费 怎么 算), which no keyword of the rules would find. In a stretch of Chinese
/// characters with single spaces between its words, the spaces go when some word is a
/// single character; a space between longer words (方便问一下 信用卡的…, a pause between
/// clauses, where a negation must not reach across) stays. `None`, without allocating, when
/// there is nothing to join, which is nearly always; an ASCII text is not looked at.
pub(super) fn join_spaced_characters(text: &str) -> Option<String> {
    if !memchr::memchr_iter(b' ', text.as_bytes()).any(|i| single_character_at(text, i)) {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    let mut joined = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        // A stretch: Chinese characters, single spaces only between two of them.
        let mut end = i;
        while end < chars.len()
            && (lang::is_han(chars[end])
                || (chars[end] == ' ' && end > i && chars.get(end + 1).is_some_and(|&c| lang::is_han(c))))
        {
            end += 1;
        }
        if end == i {
            joined.push(chars[i]);
            i += 1;
            continue;
        }
        let stretch = &chars[i..end];
        let lone = stretch.split(|&c| c == ' ').any(|word| word.len() == 1) && stretch.contains(&' ');
        joined.extend(stretch.iter().filter(|&&c| !(lone && c == ' ')));
        i = end;
    }
    Some(joined)
}

/// Whether the space at byte `i` of `text` stands between Chinese characters and next to
/// one on its own: `退 款 还` (款 has a space on each side), `…没 到` (到 ends the text), or
/// `退 款…` (退 starts it).
fn single_character_at(text: &str, i: usize) -> bool {
    let mut before = text[..i].chars().rev();
    let mut after = text[i + 1..].chars();
    let (b1, a1) = (before.next(), after.next());
    if !(b1.is_some_and(lang::is_han) && a1.is_some_and(lang::is_han)) {
        return false;
    }
    let alone = |next: Option<char>| next.is_none_or(|c| !lang::is_han(c));
    alone(before.next()) || alone(after.next())
}

/// CJK, kana, hangul and their punctuation (U+2E80..U+A63F, U+AC00..U+FF20) have no case:
/// the common characters of Chinese mail skip the Unicode table lookup.
pub(super) fn caseless(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0xA63F | 0xAC00..=0xFF20)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_runs_keep_their_offsets_and_skip_the_short_ones() {
        let text = "我的ATM卡 不能用, 錯誤代碼 E12";
        let runs: Vec<(usize, &str)> = ascii_runs(text, 2).collect();
        assert_eq!(runs.iter().map(|(_, r)| *r).collect::<Vec<_>>(), ["ATM", ", ", " E12"]);
        for (from, run) in runs {
            assert_eq!(&text[from..from + run.len()], run);
        }
        assert_eq!(ascii_runs("退款", 1).count(), 0);
        assert_eq!(ascii_runs("a退b", 1).collect::<Vec<_>>(), [(0, "a"), (4, "b")]);
        assert_eq!(ascii_runs("é😀ab£", 1).collect::<Vec<_>>(), [(6, "ab")]);
        assert_eq!(ascii_runs("refund", 7).count(), 0);
    }

    #[test]
    fn only_text_with_upper_case_beyond_ascii_is_folded() {
        for kept in ["退款还没到 REFUND", "ｒｅｆｕｎｄ 「退款」", "ü é 가 ま", ""] {
            assert!(matches!(fold_non_ascii_case(kept), Cow::Borrowed(_)), "{kept}");
        }
        for (text, folded) in
            [("退款 ÄNDERUNG", "退款 änderung"), ("ＲＥＦＵＮＤ", "ｒｅｆｕｎｄ"), ("說 ΣΑΣ", "說 σας")]
        {
            assert_eq!(fold_non_ascii_case(text), folded, "{text}");
        }
    }

    #[test]
    fn a_value_is_folded_in_the_pass_that_finds_no_case_beyond_ascii() {
        let (read, simplified) = read_for_scan("Refund", true);
        assert!(matches!((read, simplified), (Cow::Borrowed("Refund"), Some(Cow::Borrowed("Refund")))));
        let (read, simplified) = read_for_scan("還沒到賬 REFUND", false);
        assert!(matches!(read, Cow::Borrowed(_)));
        assert_eq!(simplified.as_deref(), Some("还没到账 REFUND"));
        let (read, simplified) = read_for_scan("還沒到賬 ÄNDERUNG", false);
        assert_eq!((read.as_ref(), simplified), ("還沒到賬 änderung", None));
    }

    #[test]
    fn chinese_typed_a_character_at_a_time_is_read_joined_up() {
        let join = |text: &str| join_spaced_characters(text);
        assert_eq!(join("退 款 还 没 到").as_deref(), Some("退款还没到"));
        assert_eq!(join("手续 费 怎么 算？").as_deref(), Some("手续费怎么算？"));
        assert_eq!(join("帳 號 被 鎖了 help").as_deref(), Some("帳號被鎖了 help"));
        assert_eq!(join("你好，提 現 一 直 失 敗").as_deref(), Some("你好，提現一直失敗"));
        for kept in
            ["方便問一下 信用卡的那張不能用了", "退款 还没到", "refund not here", "我的 ATM 卡", "退款  还"]
        {
            assert_eq!(join(kept), None, "{kept}");
        }
        assert_eq!(
            join("我想问 退 款 的事 你们好").as_deref(),
            Some("我想问退款的事你们好"),
            "a stretch with one character alone is joined whole"
        );
    }
}
