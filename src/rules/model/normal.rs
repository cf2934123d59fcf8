//! Classify stage, second opinion: the text as the model reads it, lower-case, in Simplified
//! characters and cut to its first [`MAX_CHARS`] characters.

use std::borrow::Cow;

use crate::parse::lang;
use crate::rules::scan::{cased_beyond_ascii, caseless};

/// Only the first characters of a mail are read: the question is at the top, and long mails
/// (pasted statements) would cost time for nothing.
const MAX_CHARS: usize = 1_500;

/// What is known of a text folded to Simplified characters ([`lang::fold_to_simplified`]):
/// the keyword scan folds the text it reads, and the model reads the same text.
#[derive(Debug, Default)]
pub(in crate::rules) enum Folded {
    /// Not folded yet (or folded from another text: one the scan lower-cased first).
    #[default]
    Unknown,
    /// Folding leaves it as it is.
    Same,
    /// Folded, it is this.
    To(String),
}

impl Folded {
    /// What folding a text gave.
    pub(in crate::rules) fn from_fold(folded: Cow<'_, str>) -> Folded {
        match folded {
            Cow::Borrowed(_) => Folded::Same,
            Cow::Owned(text) => Folded::To(text),
        }
    }
}

/// The text as the model reads it: `text` itself where it is short and all ASCII (nearly
/// every English mail: `features` reads its words lower-cased, as they are hashed), else
/// [`normalise`]d into `out`. Copying such a text and lower-casing it, after the standard
/// library's test of ASCII (byte by byte at the end of a text), was 385 instructions of a
/// banking77 mail; reading each word lower-cased costs some 195 of them back. Instructions
/// per classified mail (callgrind) banking77 12,555 -> 12,382, support 21,215 -> 21,111.
pub(super) fn normalised<'t>(text: &'t str, folded: &Folded, out: &'t mut String) -> &'t str {
    if text.len() <= MAX_CHARS && is_ascii(text.as_bytes()) {
        return text;
    }
    normalise(text, folded, out);
    out
}

/// Whether every byte of `bytes` is ASCII: their top bits or'ed together, eight bytes at a
/// time.
fn is_ascii(bytes: &[u8]) -> bool {
    let (eights, rest) = bytes.as_chunks::<8>();
    let top = eights.iter().fold(0, |top, eight| top | u64::from_le_bytes(*eight));
    let top = rest.iter().fold(top, |top, b| top | u64::from(*b));
    top & u64::from_ne_bytes([0x80; 8]) == 0
}

/// Lower-case, Traditional characters of the table in their Simplified form, and at most
/// [`MAX_CHARS`] characters.
pub(super) fn normalise(text: &str, folded: &Folded, out: &mut String) {
    out.clear();
    // Grown once: pushing character by character from empty reallocates a dozen times.
    out.reserve(text.len().min(MAX_CHARS * 4));
    // Most mail is short and all ASCII (English), or has nothing beyond ASCII with a case
    // (Chinese): copied, folded to Simplified as the rules fold it, and lower-cased at once.
    if text.len() <= MAX_CHARS && text.is_ascii() {
        out.push_str(text);
        out.make_ascii_lowercase();
        return;
    }
    if text.len() <= MAX_CHARS && no_case_beyond_ascii(text) {
        match folded {
            Folded::Unknown => out.push_str(&lang::fold_to_simplified(text)),
            Folded::Same => out.push_str(text),
            Folded::To(folded) => out.push_str(folded),
        }
        out.make_ascii_lowercase();
        return;
    }
    let mut rest = text;
    let mut left = MAX_CHARS;
    while left > 0 && !rest.is_empty() {
        // A run of ASCII is copied and lower-cased at once (most of an English mail).
        let ascii = rest.bytes().take(left).take_while(u8::is_ascii).count();
        let from = out.len();
        out.push_str(&rest[..ascii]);
        out[from..].make_ascii_lowercase();
        rest = &rest[ascii..];
        left -= ascii;
        // Then a run of other characters, one by one.
        let mut taken = 0;
        for c in rest.chars().take_while(|c| !c.is_ascii()).take(left) {
            taken += c.len_utf8();
            left -= 1;
            if let Some(simplified) = lang::simplified_of(c) {
                out.push(simplified);
            } else if caseless(c) {
                out.push(c);
            } else {
                out.extend(c.to_lowercase());
            }
        }
        rest = &rest[taken..];
    }
}

/// Whether every character of `text` beyond ASCII is its own lower case (Chinese, kana, most
/// punctuation).
fn no_case_beyond_ascii(text: &str) -> bool {
    cased_beyond_ascii(text).all(is_own_lower_case)
}

fn is_own_lower_case(c: char) -> bool {
    let mut lower = c.to_lowercase();
    lower.next() == Some(c) && lower.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_without_case_beyond_ascii_is_normalised_at_once_as_character_by_character() {
        let mut quick = String::new();
        for text in ["Refund 退款 手續費, OK", "請問ＡＴＭ「退款」— ok’s", "ÄB 手續費", "ǅ x", "ΣΑΣ"]
        {
            normalise(text, &Folded::Unknown, &mut quick);
            let slow: String = text
                .chars()
                .flat_map(|c| match lang::simplified_of(c) {
                    Some(s) => vec![s],
                    None if caseless(c) => vec![c],
                    None => c.to_lowercase().collect(),
                })
                .collect();
            assert_eq!(quick, slow, "{text}");
        }
        assert!(no_case_beyond_ascii("請問「退款」— ok’s ｒｅｆｕｎｄ"));
        for cased in ["ÄB", "ǅ", "ＡＴＭ"] {
            assert!(!no_case_beyond_ascii(cased), "{cased}");
        }
    }

    #[test]
    fn a_short_ascii_text_is_read_as_it_is_and_any_other_normalised() {
        let mut out = String::new();
        for text in ["Refund MY card", "", "a\n'b"] {
            assert!(std::ptr::eq(normalised(text, &Folded::Unknown, &mut out), text), "{text}");
        }
        let long = "Ab ".repeat(1_000);
        for text in ["Refund 退款", "ÄB", "手續費", long.as_str()] {
            let read = normalised(text, &Folded::Unknown, &mut out).to_string();
            let mut plain = String::new();
            normalise(text, &Folded::Unknown, &mut plain);
            assert_eq!(read, plain, "{text}");
        }
        for text in
            ["", "a", "abcdefg", "abcdefgh", "abcdefghi", "abcdefgh退", "退abcdefgh", "abcdefghijklmno\u{80}"]
        {
            assert_eq!(is_ascii(text.as_bytes()), text.is_ascii(), "{text}");
        }
    }

    #[test]
    fn normalises_ascii_runs_and_other_characters_alike() {
        let mut out = String::new();
        normalise("Refund ＲＥＦＵＮＤ 退款 ÄB 手續費, OK\nΣΑΣ", &Folded::Unknown, &mut out);
        assert_eq!(out, "refund ｒｅｆｕｎｄ 退款 äb 手续费, ok\nσασ");
        normalise(&"Ab退".repeat(1_000), &Folded::Unknown, &mut out);
        assert_eq!(out.chars().count(), MAX_CHARS, "at most MAX_CHARS characters");
        assert!(out.starts_with("ab退ab退") && out.ends_with("ab退"), "{out}");
    }
}
