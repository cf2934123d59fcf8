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
/// `start..end`; its ASCII letters may be capitals, read lower-cased: [`CASE`]): each Latin
/// word (a crude stem: "refunded" and "refunds" count as "refund"), each pair of neighbouring words unless both are function words, each Chinese
/// character and each pair of neighbouring Chinese characters unless both are function
/// characters. Digits are one feature whatever the number.
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

/// The hash of the Chinese character of code point `point`, as [`features`] gives it: its
/// code point folded in, from a start of its own (no character's hash is a word's). Also for
/// the model to find its row by code point.
pub(super) fn char_hash(point: u32) -> u64 {
    fold(CHAR_START, u64::from(point))
}

/// What kinds of bytes a word has, or'ed together by [`word_end`].
const DIGIT: u8 = 1;
const LETTER: u8 = 2;
const APOSTROPHE: u8 = 4;
/// The other classes of an ASCII byte: a space (but a line end) or punctuation (which ends a
/// phrase: [`ends_phrase`]). A byte beyond ASCII is of none.
const SPACE: u8 = 8;
const PUNCTUATION: u8 = 16;

/// Where the Latin word that starts at byte `start` of `bytes` ends (its letters, digits and
/// apostrophes, told by one look-up a byte), and the kinds of bytes it has: whether it is a
/// number and whether it has an apostrophe are learnt in the same pass.
fn word_end(bytes: &[u8], start: usize) -> (usize, u8) {
    let mut kinds = 0;
    let mut end = start;
    while let Some(&b) = bytes.get(end) {
        let kind = BYTE_CLASS[usize::from(b)] & (DIGIT | LETTER | APOSTROPHE);
        if kind == 0 {
            break;
        }
        kinds |= kind;
        end += 1;
    }
    (end, kinds)
}

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

/// The hash of the word `bytes[start..end]` (of `kinds`, from [`word_end`]) and whether it
/// is a function word. A word without an apostrophe (nearly every one) is its own stem's
/// bytes, hashed where they are; a word of eight bytes or fewer is read in one load, to be
/// told a function word and, masked to its stem, hashed (hashing byte by byte was a tenth of
/// classifying an English mail). Inlined, with the rare words' hashing kept out: a call a
/// word was a fifth of reading one.
#[inline(always)]
fn word_key(bytes: &[u8], start: usize, end: usize, kinds: u8) -> (u64, bool) {
    if kinds == DIGIT {
        return (NUMBER, false);
    }
    let word = &bytes[start..end];
    if kinds & APOSTROPHE != 0 {
        // No function word has an apostrophe.
        return (word_hash(word), false);
    }
    // No function word is longer than eight bytes.
    if word.len() <= 8 {
        let chunk = load(bytes, start, word.len());
        let stem = chunk_stem_len(chunk, word.len());
        return (fold(WORD_START, chunk & low_bytes(stem)), is_function_word(chunk));
    }
    (stem_hash(bytes, start, stem_len(word)), false)
}

/// The hash of the `len` bytes of `bytes` from `start`: eight at a time, the last ones padded
/// with zeros (no word has a zero byte), each eight folded in.
#[inline(never)]
fn stem_hash(bytes: &[u8], start: usize, len: usize) -> u64 {
    let (mut hash, mut at, end) = (WORD_START, start, start + len);
    while at < end {
        hash = fold(hash, load(bytes, at, (end - at).min(8)));
        at += 8;
    }
    hash
}

/// The hash of every number.
const NUMBER: u64 = fold(WORD_START, b'#' as u64);

/// The hash of a Latin word's crude stem: "-ing", "-ed" or "-s" dropped where three letters
/// stay, then a final "e" where four stay ("charge", "charges", "charged" and "charging" are
/// one feature), and the apostrophe ("didn't" is "didnt"): the bytes left, as
/// [`stem_hash`] hashes them.
#[inline(never)]
fn word_hash(word: &[u8]) -> u64 {
    let word = match word.iter().rposition(|b| *b != b'\'') {
        Some(last) => &word[..=last],
        None => &[],
    };
    let stem = &word[..stem_len(word)];
    let (mut hash, mut chunk, mut n) = (WORD_START, 0, 0);
    for &b in stem.iter().filter(|b| **b != b'\'') {
        chunk |= u64::from(b | CASE) << (8 * n);
        n += 1;
        if n == 8 {
            (hash, chunk, n) = (fold(hash, chunk), 0, 0);
        }
    }
    if n > 0 { fold(hash, chunk) } else { hash }
}

/// How long the stem of `word` is: "-ing", "-ed" or "-s" left off where three letters stay
/// (the first that does), then a final "e" where four stay (compared as bytes, in either
/// case: every word of a mail is read, and a short ASCII mail is read as it is written).
fn stem_len(word: &[u8]) -> usize {
    let mut len = word.len() - ending(word);
    if len >= 5 && word[len - 1] | CASE == b'e' {
        len -= 1;
    }
    len
}

/// How many bytes of `word` its stem leaves off: "-ing", "-ed" or "-s" (in either case)
/// where three letters stay, the first that does.
fn ending(word: &[u8]) -> usize {
    for suffix in [&b"ing"[..], b"ed", b"s"] {
        if word.len() >= suffix.len() + 3
            && word[word.len() - suffix.len()..].iter().zip(suffix).all(|(b, s)| b | CASE == *s)
        {
            return suffix.len();
        }
    }
    0
}

/// [`stem_len`] of a word of `len` bytes (1 to 8) that [`load`] read into `chunk`: its last
/// bytes compared in the register, shifted to the top (read lower-cased already: compared
/// in memory, each lower-cased again, they cost more).
#[inline(always)]
fn chunk_stem_len(chunk: u64, len: usize) -> usize {
    let last = chunk << ((64 - 8 * len) & 63);
    let ending = if len >= 6 && last >> 40 == u64::from_le_bytes(*b"ing\0\0\0\0\0") {
        3
    } else if len >= 5 && last >> 48 == u64::from(u16::from_le_bytes(*b"ed")) {
        2
    } else if len >= 4 && last >> 56 == u64::from(b's') {
        1
    } else {
        0
    };
    let stem = len - ending;
    if stem >= 5 && (chunk >> (8 * (stem - 1))) as u8 == b'e' { stem - 1 } else { stem }
}

/// The bit that an ASCII capital lacks: a byte of a word (a letter, a digit or an
/// apostrophe) with it set is its lower case, a digit or the apostrophe as it was. Every
/// word is read lower-cased so, and a short ASCII text is read as it was written, not copied
/// and lower-cased first (`model/normal.rs`): about ten instructions more a word (on
/// banking77, reading the features 3,971 -> 4,165 instructions a mail) for the 385 of
/// normalising such a text.
const CASE: u8 = 0x20;

/// The `len` (1 to 8) bytes of `bytes` from `at`, bytes of a word, lower-cased ([`CASE`]) as
/// a little-endian number: one load of eight where the text goes on that far, the bytes past
/// `len` masked off.
fn load(bytes: &[u8], at: usize, len: usize) -> u64 {
    let eight = match bytes.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        Some(eight) => u64::from_le_bytes(*eight),
        None => bytes[at..at + len].iter().rev().fold(0, |n, b| n << 8 | u64::from(*b)),
    };
    (eight | u64::from_ne_bytes([CASE; 8])) & low_bytes(len)
}

/// A mask of the low `n` bytes of a `u64` (`n` from 1 to 8, as every word and stem is): one
/// shift, where telling eight bytes apart from fewer was seven instructions, twice a word.
fn low_bytes(n: usize) -> u64 {
    debug_assert!((1..=8).contains(&n), "{n}");
    u64::MAX >> ((64 - 8 * n) & 63)
}

/// Words that say nothing of the topic. A pair of two of them ("i was", "know why", "i
/// wanted") is left out: naive Bayes counts every feature as evidence, and such pairs, common
/// in a few categories' examples by chance, outweighed the words that matter ("declined").
/// Each word still counts alone, and a pair with one topic word ("was declined") stays.
/// Measured on the English phrasing sets: held-out useful answers 371 -> 381 of 473, wrong
/// canned answers 10 -> 8 of about 400; dev 795 -> 799 useful, 16 -> 18 wrong.
#[rustfmt::skip]
const FUNCTION_WORDS: [&str; 48] = [
    "i", "a", "an", "the", "to", "my", "me", "was", "is", "it", "and", "of", "for", "in", "on",
    "at", "do", "did", "can", "how", "why", "what", "you", "your", "be", "been", "have", "has",
    "had", "this", "that", "there", "so", "but", "if", "am", "are", "we", "know", "want",
    "wanted", "would", "like", "please", "just", "with", "from", "im",
];

/// Whether the word whose bytes (at most eight) are `chunk`, as [`load`] reads them, is one
/// of [`FUNCTION_WORDS`]: one load from a set where each of them has a slot of its own
/// (matching the word as a string against the list was 520 instructions of an English mail's
/// 22,600; probing a set where they shared slots, 90).
fn is_function_word(chunk: u64) -> bool {
    FUNCTION_SET[function_slot(chunk)] == chunk
}

/// [`FUNCTION_WORDS`]' chunks, each in the slot [`function_slot`] names (0: empty). Two in
/// one slot fail the build.
static FUNCTION_SET: [u64; 128] = {
    let mut set = [0; 128];
    let mut i = 0;
    while i < FUNCTION_WORDS.len() {
        let word = FUNCTION_WORDS[i].as_bytes();
        let mut chunk = 0;
        let mut j = word.len();
        while j > 0 {
            j -= 1;
            chunk = chunk << 8 | word[j] as u64;
        }
        let slot = function_slot(chunk);
        assert!(set[slot] == 0, "two function words in one slot: choose another multiplier");
        set[slot] = chunk;
        i += 1;
    }
    set
};

/// The slot of [`FUNCTION_SET`] of `chunk`: its top seven bits, multiplied by a number
/// chosen (by trying) to give each function word a slot of its own.
const fn function_slot(chunk: u64) -> usize {
    (chunk.wrapping_mul(0x2273_5dab_a24a_77eb) >> 57) as usize
}

/// Punctuation and line ends end a phrase: no pair across them.
const fn ends_phrase(c: char) -> bool {
    !c.is_whitespace() || c == '\n'
}

/// The Chinese counterpart of [`is_function_word`]: pronouns, particles, prepositions and the
/// words of asking (我的, 请问, 可以, 什么, 如何, 给), in Simplified, which the model's text is
/// folded to. A pair of two of them is left out; each character still counts alone. Negation
/// (不, 没) and the words of amount and time (多少, 时间) carry meaning and are not in it.
/// Measured on the phrasing sets: zh-Hant held-out useful answers 150 -> 157 of 200, wrong
/// canned answers 44 -> 44; dev 375 -> 380 useful, 79 -> 81 wrong; zh-Hans dev one useful
/// answer fewer (133 -> 132), held-out one wrong answer fewer (1 -> 0).
#[rustfmt::skip]
const FUNCTION_CHARS: [char; 60] = [
    '我', '的', '了', '是', '吗', '呢', '请', '问', '你', '们', '要', '可', '以', '有', '在', '这',
    '那', '什', '么', '怎', '样', '一', '个', '会', '能', '也', '都', '就', '还', '想', '吧', '啊',
    '呀', '您', '他', '她', '它', '和', '与', '及', '或', '为', '到', '把', '被', '给', '将', '让',
    '从', '对', '于', '如', '何', '哪', '帮', '谢', '着', '过', '得', '地',
];

/// Whether `c` is one of [`FUNCTION_CHARS`]: a bit of [`FUNCTION_CHAR_BITS`] by code point
/// (a match of sixty characters was a dozen comparisons a character).
fn is_function_char(point: u32) -> bool {
    let i = (point as usize).wrapping_sub(FIRST_UNIFIED);
    FUNCTION_CHAR_BITS.get(i / 64).is_some_and(|bits| bits >> (i % 64) & 1 != 0)
}

/// The unified ideographs, U+4E00 to U+9FFF, where every function character is.
const FIRST_UNIFIED: usize = 0x4e00;

/// A bit per unified ideograph, set for the [`FUNCTION_CHARS`].
static FUNCTION_CHAR_BITS: [u64; 0x5200 / 64] = {
    let mut bits = [0; 0x5200 / 64];
    let mut i = 0;
    while i < FUNCTION_CHARS.len() {
        let point = FUNCTION_CHARS[i] as usize - FIRST_UNIFIED;
        bits[point / 64] |= 1 << (point % 64);
        i += 1;
    }
    bits
};

/// The unified ideographs first: nearly every character of a Chinese mail.
fn is_han(point: u32) -> bool {
    matches!(point, 0x4E00..=0x9FFF) || matches!(point, 0x3400..=0x4DBF | 0xF900..=0xFAFF)
}

/// Where a word's hash starts, and a character's: two of the digits of pi.
const WORD_START: u64 = 0x243f_6a88_85a3_08d3;
const CHAR_START: u64 = 0x1319_8a2e_0370_7344;

/// Folds eight bytes into `hash`: their xor multiplied by a constant, the product's two
/// halves xor'ed (every bit of both halves counts: the model's index takes a slot from the
/// low bits and a check from the high ones).
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

    /// The hash of `word` alone, and whether it is a function word.
    fn key(word: &str) -> (u64, bool) {
        let (end, kinds) = word_end(word.as_bytes(), 0);
        assert_eq!(end, word.len(), "{word}");
        word_key(word.as_bytes(), 0, end, kinds)
    }

    /// A word's hash written plainly: the stem as a string, past the apostrophes, then its
    /// bytes in eights, little-endian, each folded in.
    fn plain_word_hash(word: &str) -> u64 {
        if word.bytes().all(|b| b.is_ascii_digit()) {
            return fold(WORD_START, u64::from(b'#'));
        }
        let word = word.to_ascii_lowercase();
        let word = word.trim_end_matches('\'').as_bytes();
        let ending = [&b"ing"[..], b"ed", b"s"]
            .into_iter()
            .find(|suffix| word.len() >= suffix.len() + 3 && word.ends_with(suffix))
            .map_or(0, <[u8]>::len);
        let mut stem = &word[..word.len() - ending];
        if stem.len() >= 5 && stem.ends_with(b"e") {
            stem = &stem[..stem.len() - 1];
        }
        let stem: Vec<u8> = stem.iter().copied().filter(|b| *b != b'\'').collect();
        stem.chunks(8).fold(WORD_START, |hash, eight| {
            let mut padded = [0; 8];
            padded[..eight.len()].copy_from_slice(eight);
            fold(hash, u64::from_le_bytes(padded))
        })
    }

    #[test]
    fn the_hashes_are_those_written_plainly() {
        let words = "refunded charges charging fees fee fe didn't card's refunds' transferring it's \
                     i'm '' a1 12 0 withdrawal exchange exchanges abcdefgh abcdefghi aaaaaaaaaaaaaaaaaaaaaa's \
                     abcdefghijklmnop abcdefghijklmnopq transferred abcdefg'hijklmnopq'rs \
                     the wanted please im ing eds ses e";
        for word in words.split_whitespace().filter(|w| w.as_bytes()[0].is_ascii_alphanumeric()) {
            assert_eq!(key(word).0, plain_word_hash(word), "{word}");
            for cased in [word.to_ascii_uppercase(), capitalised(word)] {
                assert_eq!(key(&cased), key(word), "{cased}");
            }
        }
        let mut hashes = Vec::new();
        features("refund x", &mut |h, _, _, _| hashes.push(h));
        assert_eq!(hashes[0], plain_word_hash("refund"), "read in the middle of a text");
        hashes.clear();
        features("x refund", &mut |h, _, _, _| hashes.push(h));
        assert_eq!(hashes[1], plain_word_hash("refund"), "and at its end");
        for c in ['退', '款', '\u{3400}', '\u{9fff}', '\u{f900}'] {
            assert_eq!(char_hash(u32::from(c)), fold(CHAR_START, u64::from(u32::from(c))), "{c}");
        }
        let mut hashes = Vec::new();
        features("a退", &mut |h, _, _, _| hashes.push(h));
        assert_eq!(hashes, [plain_word_hash("a"), char_hash(u32::from('退'))]);
        assert_ne!(char_hash(0x3461), plain_word_hash("a4"), "U+3461's code point is a4's bytes");
    }

    #[test]
    fn low_bytes_masks_as_many_bytes() {
        for n in 1..=8 {
            let plain = if n == 8 { u64::MAX } else { (1 << (8 * n)) - 1 };
            assert_eq!(low_bytes(n), plain, "{n}");
        }
    }

    /// `word` with its first letter a capital.
    fn capitalised(word: &str) -> String {
        word[..1].to_ascii_uppercase() + &word[1..]
    }

    /// Every feature of `text`: hash, kind and span.
    fn all_features(text: &str) -> Vec<(u64, Kind, usize, usize)> {
        let mut all = Vec::new();
        features(text, &mut |hash, kind, start, end| all.push((hash, kind, start, end)));
        all
    }

    #[test]
    fn capitals_are_read_as_lower_case() {
        let texts = [
            "I want a REFUND, I was CHARGED twice. Charges; Refunding; Refunds; DIDN'T; Card's",
            "TRANSFERRING transferring Abcdefghijklmnopq ABCDEFGHIJKLMNOPQ ABCDEFGH'S ChargE CHARGES",
            "I",
            "Ab",
            "WHY",
            "x I",
            "PLEASE help With The EXCHANGE 123 ABC123 E EDS SES ING Ing",
            "Refund 退款 REFUNDED 手续费 Fees",
        ];
        for text in texts {
            assert_eq!(all_features(text), all_features(&text.to_ascii_lowercase()), "{text}");
        }
        // Each word of a list of stems and endings, in every case, alone and in a text.
        let stems = ["a", "ab", "abc", "abcd", "abce", "abcde", "charge", "fee", "s", "e", "ed"];
        for stem in stems {
            for ending in ["", "s", "ed", "ing", "e", "es", "ings", "eds"] {
                let word = format!("{stem}{ending}");
                for cased in [word.to_ascii_uppercase(), capitalised(&word), word.clone()] {
                    assert_eq!(key(&cased), key(&word), "{cased}");
                    assert_eq!(key(&word).0, plain_word_hash(&word), "{word}");
                    let text = format!("x {cased} y");
                    assert_eq!(all_features(&text), all_features(&text.to_ascii_lowercase()), "{text}");
                }
            }
        }
        for word in FUNCTION_WORDS {
            assert!(key(&word.to_ascii_uppercase()).1 && key(&capitalised(word)).1, "{word}");
        }
    }

    #[test]
    fn function_words_are_found_by_their_bytes_and_no_other_word_is() {
        for word in FUNCTION_WORDS {
            assert!(key(word).1, "{word}");
        }
        for word in ["ii", "tho", "he", "wants", "pleased", "abcdefgh", "withdrawal", "i'm", "12"] {
            assert!(!key(word).1, "{word}");
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

    #[test]
    fn stems_and_numbers() {
        let word_hash = |word: &str| key(word).0;
        assert_eq!(word_hash("refunded"), word_hash("refund"));
        for form in ["charges", "charged", "charging"] {
            assert_eq!(word_hash(form), word_hash("charge"), "{form}");
        }
        assert_eq!(word_hash("fees"), word_hash("fee"));
        assert_ne!(word_hash("fee"), word_hash("fe"));
        let mut hashes = Vec::new();
        features("12 345", &mut |h, _, _, _| hashes.push(h));
        assert_eq!(hashes[0], hashes[1]);
    }
}
