//! Classify stage, second opinion: what the model reads of a text. Every Latin word (crudely
//! stemmed) and pair of neighbouring words, every Chinese character and pair of neighbouring
//! characters (but a pair of two function words or characters), each as a 64-bit hash, read
//! in one pass without allocating.
//!
//! The hashes fold a word's bytes in eight at a time, each eight by one multiplication (a
//! word of eight bytes or fewer, nearly every one, is one load and one multiplication), and a
//! character by its code point. One pass finds a word's end, whether it is a number and
//! whether it has an apostrophe; a function word is told by one load of its bytes; a
//! character's three bytes are decoded here, and the model finds its row by code point
//! (`weights.rs`).
//!
//! Here: the walk over the text, its bytes' classes and the hash. Beside it: reading a Latin
//! word, its stem and whether it is a function word (`words.rs`), and a Chinese character,
//! its hash and whether it is a function character (`chars.rs`).

mod chars;
mod words;

pub(super) use chars::char_hash;
use chars::{is_function_char, is_han};
use words::{word_end, word_key};

/// What a feature is, beside its hash: what `predict` needs to count it and to find its
/// weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A Latin word or pair of words (counted once a text).
    Latin,
    /// A Chinese character, found by its code point (this).
    Character(u32),
    /// A pair of Chinese characters.
    Pair,
}

/// What [`features`] gives each feature to: a closure `(hash, kind, start, end)`, or the
/// model adding up a mail's rows as the features are read.
pub(super) trait Sink {
    /// What it adds up, kept by [`features`] (a variable of its own, which the compiler
    /// keeps in registers) and given back at the end.
    type Sum: Default;

    fn feature(&mut self, sum: &mut Self::Sum, hash: u64, kind: Kind, start: usize, end: usize);
}

impl<F: FnMut(u64, Kind, usize, usize)> Sink for F {
    type Sum = ();

    #[inline(always)]
    fn feature(&mut self, _: &mut (), hash: u64, kind: Kind, start: usize, end: usize) {
        self(hash, kind, start, end);
    }
}

/// Calls `each(hash, kind, start, end)` for every feature of normalised `text` (bytes
/// `start..end`; its ASCII letters may be capitals, read lower-cased: [`words::CASE`]): each
/// Latin word (a crude stem: "refunded" and "refunds" count as "refund"), each pair of
/// neighbouring words unless both are function words, each Chinese character and each pair
/// of neighbouring Chinese characters unless both are function characters. Digits are one
/// feature whatever the number.
///
/// Never inlined: inside `predict` it cost the model's look-ups their inlining there.
#[inline(never)]
pub(super) fn features<S: Sink>(text: &str, each: &mut S) -> S::Sum {
    let mut sum = S::Sum::default();
    let (mut word_before, mut han_before) = (Before::NONE, Before::NONE);
    // Read byte by byte where the text is ASCII (words, spaces, punctuation), and decoded
    // only where it is not: every mail is read, and decoding each character costs more than
    // the rest of reading a word.
    let bytes = text.as_bytes();
    let mut start = 0;
    'text: while start < bytes.len() {
        let class = BYTE_CLASS[usize::from(bytes[start])];
        if class & (DIGIT | LETTER) != 0 {
            let (end, kinds) = word_end(bytes, start);
            let (hash, function_word) = word_key(bytes, start, end, kinds);
            each.feature(&mut sum, hash, Kind::Latin, start, end);
            if word_before.pairs_with(function_word) {
                let pair = word_before.hash.rotate_left(17) ^ hash ^ 0x9e37;
                each.feature(&mut sum, pair, Kind::Latin, word_before.start, end);
            }
            word_before = Before::new(hash, start, function_word);
            han_before = Before::NONE;
            start = end;
            continue;
        }
        if class == SPACE {
            start += 1;
            continue;
        }
        if class != 0 {
            // Punctuation, or an apostrophe outside a word.
            (word_before, han_before) = (Before::NONE, Before::NONE);
            start += 1;
            continue;
        }
        // A run of other characters: a character of three bytes (every Chinese one the
        // model reads) decoded here, any other by the standard library.
        let mut at = start;
        while let Some(&lead) = bytes.get(at) {
            if lead.is_ascii() {
                start = at;
                continue 'text;
            }
            let (point, len) = decode(text, at);
            let (from, end) = (at, at + len);
            at = end;
            if is_han(point) {
                let hash = char_hash(point);
                each.feature(&mut sum, hash, Kind::Character(point), from, end);
                let function_char = is_function_char(point);
                if han_before.pairs_with(function_char) {
                    let pair = han_before.hash.rotate_left(29) ^ hash ^ 0x7f4a;
                    each.feature(&mut sum, pair, Kind::Pair, han_before.start, end);
                }
                han_before = Before::new(hash, from, function_char);
                word_before = Before::NONE;
            } else if char::from_u32(point).is_some_and(ends_phrase) {
                (word_before, han_before) = (Before::NONE, Before::NONE);
            }
        }
        break;
    }
    sum
}

/// The word (or Chinese character) before the one being read, which that one may make a pair
/// with: its hash, where it starts, and what it pairs with, told by one comparison (an
/// `Option` of the hash and whether it was a function word took seven instructions, a word
/// and a character, and a byte kept on the stack: reading the features banking77 3,915 ->
/// 3,879 instructions a mail, cathay 2,776 -> 2,732).
#[derive(Clone, Copy)]
struct Before {
    hash: u64,
    start: usize,
    /// 0: nothing (the text's start, or punctuation between), 1: a function word, which
    /// pairs with a topic word only, 2: a topic word, which pairs with any.
    pairs: u8,
}

impl Before {
    const NONE: Before = Before { hash: 0, start: 0, pairs: 0 };

    fn new(hash: u64, start: usize, function: bool) -> Before {
        Before { hash, start, pairs: 2 - u8::from(function) }
    }

    /// Whether a word (a function word or not) pairs with this one.
    fn pairs_with(self, function: bool) -> bool {
        self.pairs > u8::from(function)
    }
}

/// The code point of the character of `text` that starts at byte `at` (not ASCII), and its
/// length: three bytes decoded here with no branch but one (the standard library's decoding,
/// a branch a byte length, was a fifth of reading a Chinese mail's features). A code point,
/// not a `char`: the text is UTF-8 already, and making a `char` of it tested it for a
/// surrogate, five instructions a character (on cathay 135 a mail).
#[inline(always)]
fn decode(text: &str, at: usize) -> (u32, usize) {
    match text.as_bytes().get(at..).and_then(<[u8]>::first_chunk::<3>) {
        Some(&[a, b, c]) if a & 0xf0 == 0xe0 => {
            (u32::from(a & 0x0f) << 12 | u32::from(b & 0x3f) << 6 | u32::from(c & 0x3f), 3)
        }
        _ => {
            let c = text[at..].chars().next().unwrap_or(char::REPLACEMENT_CHARACTER);
            (u32::from(c), c.len_utf8())
        }
    }
}

/// What kinds of bytes a word has, or'ed together by [`words::word_end`].
const DIGIT: u8 = 1;
const LETTER: u8 = 2;
const APOSTROPHE: u8 = 4;
/// The other classes of an ASCII byte: a space (but a line end) or punctuation (which ends a
/// phrase: [`ends_phrase`]). A byte beyond ASCII is of none.
const SPACE: u8 = 8;
const PUNCTUATION: u8 = 16;

/// For each byte, its class: in a Latin word (an ASCII digit, an ASCII letter, or `'`), a
/// space, punctuation, or none (beyond ASCII). One look-up tells the text's bytes apart
/// (the tests of the standard library, a letter, a digit, ASCII, a space, were ten
/// instructions a space between words).
static BYTE_CLASS: [u8; 256] = {
    let mut table = [0; 256];
    let mut b = 0;
    while b < 128 {
        table[b] = match b as u8 {
            b'0'..=b'9' => DIGIT,
            b'a'..=b'z' | b'A'..=b'Z' => LETTER,
            b'\'' => APOSTROPHE,
            byte if ends_phrase(byte as char) => PUNCTUATION,
            _ => SPACE,
        };
        b += 1;
    }
    table
};

/// Punctuation and line ends end a phrase: no pair across them.
const fn ends_phrase(c: char) -> bool {
    !c.is_whitespace() || c == '\n'
}

/// Where a word's hash starts, and a character's: two of the digits of pi.
const WORD_START: u64 = 0x243f_6a88_85a3_08d3;
const CHAR_START: u64 = 0x1319_8a2e_0370_7344;

/// Folds eight bytes into `hash`: their xor multiplied by a constant, the product's two
/// halves xor'ed (every bit of both halves counts: the model's index takes a slot from the
/// low bits and a check from the high ones).
#[inline]
const fn fold(hash: u64, chunk: u64) -> u64 {
    let product = (hash ^ chunk) as u128 * 0x9e37_79b9_7f4a_7c15;
    product as u64 ^ (product >> 64) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_pair_neighbours_but_not_across_punctuation() {
        let mut spans = Vec::new();
        features("ab cd。退款", &mut |_, _, s, e| spans.push((s, e)));
        let text = "ab cd。退款";
        let words: Vec<&str> = spans.iter().map(|(s, e)| &text[*s..*e]).collect();
        assert_eq!(words, ["ab", "cd", "ab cd", "退", "款", "退款"]);
    }

    #[test]
    fn features_of_mixed_scripts_and_punctuation() {
        let text = "my card's fee 123。手续费 is\nhigh, 退\u{3000}款";
        let mut spans = Vec::new();
        features(text, &mut |_, _, s, e| spans.push(&text[s..e]));
        assert_eq!(
            spans,
            [
                "my",
                "card's",
                "my card's",
                "fee",
                "card's fee",
                "123",
                "fee 123",
                "手",
                "续",
                "手续",
                "费",
                "续费",
                "is",
                "high",
                "退",
                "款",
                "退\u{3000}款"
            ]
        );
    }

    #[test]
    fn a_pair_of_function_words_is_left_out_and_a_pair_with_a_topic_word_stays() {
        let text = "i was declined so i wanted to know why";
        let mut spans = Vec::new();
        features(text, &mut |_, _, s, e| spans.push(&text[s..e]));
        for pair in ["i was", "i wanted", "wanted to", "to know", "know why", "so i"] {
            assert!(!spans.contains(&pair), "{pair} in {spans:?}");
        }
        for feature in ["i", "was", "was declined", "declined so", "declined", "know", "why"] {
            assert!(spans.contains(&feature), "{feature} not in {spans:?}");
        }
    }

    #[test]
    fn a_pair_of_function_characters_is_left_out_and_a_pair_with_a_topic_character_stays() {
        let text = "请问我的退款";
        let mut spans = Vec::new();
        features(text, &mut |_, _, s, e| spans.push(&text[s..e]));
        for pair in ["请问", "问我", "我的"] {
            assert!(!spans.contains(&pair), "{pair} in {spans:?}");
        }
        for feature in ["请", "的", "的退", "退款", "款"] {
            assert!(spans.contains(&feature), "{feature} not in {spans:?}");
        }
    }

    #[test]
    fn an_apostrophe_outside_a_word_ends_a_phrase_like_punctuation() {
        let text = "'ab' 'cd x";
        let mut spans = Vec::new();
        features(text, &mut |_, _, s, e| spans.push(&text[s..e]));
        assert_eq!(spans, ["ab'", "cd", "x", "cd x"]);
    }

    #[test]
    fn decode_gives_each_characters_code_point_and_length() {
        let mut text = String::new();
        for c in (0x80..0x11000).step_by(7).filter_map(char::from_u32).chain(['退', '\u{ffff}', '\u{10ffff}'])
        {
            text.clear();
            text.push(c);
            text.push('a');
            assert_eq!(decode(&text, 0), (u32::from(c), c.len_utf8()), "{c:?}");
        }
    }

    #[test]
    fn a_word_pairs_with_the_one_before_unless_both_are_function_words_or_none_is_before() {
        for (before, function, pairs) in [
            (Before::NONE, false, false),
            (Before::NONE, true, false),
            (Before::new(1, 0, false), false, true),
            (Before::new(1, 0, false), true, true),
            (Before::new(1, 0, true), false, true),
            (Before::new(1, 0, true), true, false),
        ] {
            assert_eq!(before.pairs_with(function), pairs, "{} {function}", before.pairs);
        }
    }

    #[test]
    fn kinds_of_features() {
        let mut kinds = Vec::new();
        features("ab 退款", &mut |_, kind, _, _| kinds.push(kind));
        assert_eq!(kinds, [Kind::Latin, Kind::Character(0x9000), Kind::Character(0x6b3e), Kind::Pair]);
        assert_eq!(['退', '款'].map(u32::from), [0x9000, 0x6b3e]);
    }
}
