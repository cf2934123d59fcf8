//! Classify stage, second opinion: what the model reads of a text. Every Latin word (crudely
//! stemmed) and pair of neighbouring words, every Chinese character and pair of neighbouring
//! characters (but a pair of two function words or characters), each as a 64-bit hash, read
//! in one pass without allocating.
//!
//! The hashes are FNV-1a's, and must stay so: the smaller Chinese language's model borrows
//! the other's counts summed in the order of a map keyed by these hashes, so another hash
//! (FxHash, eight bytes at a time, was tried) sums them in another order, rounds the last
//! bits otherwise and moved a mail's confidence (0.680 -> 0.679, one of 31,418). What is
//! cheaper is around the hashing: one pass finds a word's end, whether it is a number and
//! whether it has an apostrophe; a function word is told by one load of its bytes; a
//! character's three bytes are hashed unrolled, and the model finds its row by code point
//! (`weights.rs`).

/// What a feature is, beside its hash: what `predict` needs to count it and to find its
/// weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A Latin word or pair of words (counted once a text).
    Latin,
    /// A Chinese character, found by code point.
    Character(char),
    /// A pair of Chinese characters.
    Pair,
}

/// Calls `each(hash, kind, start, end)` for every feature of normalised `text` (bytes
/// `start..end`): each Latin word (a crude stem: "refunded" and "refunds" count as
/// "refund"), each pair of neighbouring words unless both are function words, each Chinese
/// character and each pair of neighbouring Chinese characters unless both are function
/// characters. Digits are one feature whatever the number.
///
/// Never inlined: inside `predict` it cost the model's look-ups their inlining there.
#[inline(never)]
pub(super) fn features(text: &str, each: &mut impl FnMut(u64, Kind, usize, usize)) {
    let mut previous_word: Option<(u64, usize, bool)> = None;
    let mut previous_han: Option<(u64, usize, bool)> = None;
    // Read byte by byte where the text is ASCII (words, spaces, punctuation), and decoded
    // only where it is not: every mail is read, and decoding each character costs more than
    // the rest of reading a word.
    let bytes = text.as_bytes();
    let mut start = 0;
    'text: while start < bytes.len() {
        let b = bytes[start];
        if b.is_ascii_alphanumeric() {
            let (end, kinds) = word_end(bytes, start);
            let (hash, function_word) = word_key(bytes, start, end, kinds);
            each(hash, Kind::Latin, start, end);
            if let Some((before, from, before_function_word)) = previous_word
                && !(function_word && before_function_word)
            {
                each(before.rotate_left(17) ^ hash ^ 0x9e37, Kind::Latin, from, end);
            }
            previous_word = Some((hash, start, function_word));
            previous_han = None;
            start = end;
            continue;
        }
        if b.is_ascii() {
            if ends_phrase(char::from(b)) {
                previous_word = None;
                previous_han = None;
            }
            start += 1;
            continue;
        }
        // A run of other characters, decoded one by one.
        for (offset, c) in text[start..].char_indices() {
            if c.is_ascii() {
                start += offset;
                continue 'text;
            }
            let (from, end) = (start + offset, start + offset + c.len_utf8());
            if is_han(c) {
                let hash = han_hash(&bytes[from..end]);
                each(hash, Kind::Character(c), from, end);
                let function_char = is_function_char(c);
                if let Some((before, first, before_function)) = previous_han
                    && !(function_char && before_function)
                {
                    each(before.rotate_left(29) ^ hash ^ 0x7f4a, Kind::Pair, first, end);
                }
                previous_han = Some((hash, from, function_char));
                previous_word = None;
            } else if ends_phrase(c) {
                previous_word = None;
                previous_han = None;
            }
        }
        break;
    }
}

/// The hash of the Chinese character `c`, as [`features`] gives it: for the model to find
/// its row by code point.
pub(super) fn char_hash(c: char) -> u64 {
    han_hash(c.encode_utf8(&mut [0; 4]).as_bytes())
}

/// The hash of a Chinese character's UTF-8 bytes: three, hashed unrolled (every character
/// the model reads is in the Basic Multilingual Plane).
fn han_hash(bytes: &[u8]) -> u64 {
    match bytes.first_chunk::<3>() {
        Some(&[a, b, c]) if bytes.len() == 3 => fnv_step(fnv_step(fnv_step(FNV_START, a), b), c),
        _ => fnv(bytes),
    }
}

/// What kinds of bytes a word has, or'ed together by [`word_end`].
const DIGIT: u8 = 1;
const LETTER: u8 = 2;
const APOSTROPHE: u8 = 4;

/// Where the Latin word that starts at byte `start` of `bytes` ends (its letters, digits and
/// apostrophes, told by one look-up a byte), and the kinds of bytes it has: whether it is a
/// number and whether it has an apostrophe are learnt in the same pass.
fn word_end(bytes: &[u8], start: usize) -> (usize, u8) {
    let mut kinds = 0;
    let mut end = start;
    while let Some(&b) = bytes.get(end) {
        let kind = WORD_BYTE[usize::from(b)];
        if kind == 0 {
            break;
        }
        kinds |= kind;
        end += 1;
    }
    (end, kinds)
}

/// For each byte, its kind in a Latin word, 0 where it ends one: an ASCII digit, an ASCII
/// letter, or `'`.
static WORD_BYTE: [u8; 256] = {
    let mut table = [0; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            b'0'..=b'9' => DIGIT,
            b'a'..=b'z' | b'A'..=b'Z' => LETTER,
            b'\'' => APOSTROPHE,
            _ => 0,
        };
        b += 1;
    }
    table
};

/// The hash of the word `bytes[start..end]` (of `kinds`, from [`word_end`]) and whether it
/// is a function word. A word without an apostrophe (nearly every one) is its own stem's
/// bytes, hashed where they are; a word of eight bytes or fewer is read in one load to be
/// told a function word or not.
fn word_key(bytes: &[u8], start: usize, end: usize, kinds: u8) -> (u64, bool) {
    if kinds == DIGIT {
        return (NUMBER, false);
    }
    let word = &bytes[start..end];
    if kinds & APOSTROPHE != 0 {
        // No function word has an apostrophe.
        return (word_hash(word), false);
    }
    let hash = fnv(&word[..stem_len(word)]);
    // No function word is longer than eight bytes.
    (hash, word.len() <= 8 && is_function_word(load(bytes, start, word.len())))
}

/// The hash of every number.
const NUMBER: u64 = {
    let mut h = FNV_START;
    h = fnv_step(h, b'#');
    fnv_step(h, b'0')
};

/// The hash of a Latin word's crude stem: "-ing", "-ed" or "-s" dropped where three letters
/// stay, then a final "e" where four stay ("charge", "charges", "charged" and "charging" are
/// one feature), and the apostrophe ("didn't" is "didnt").
fn word_hash(word: &[u8]) -> u64 {
    let word = match word.iter().rposition(|b| *b != b'\'') {
        Some(last) => &word[..=last],
        None => &[],
    };
    let stem = &word[..stem_len(word)];
    stem.iter().filter(|b| **b != b'\'').fold(FNV_START, |h, b| fnv_step(h, *b))
}

/// How long the stem of `word` is: "-ing", "-ed" or "-s" left off where three letters stay
/// (the first that does), then a final "e" where four stay (compared as bytes: every word of
/// a mail is read).
fn stem_len(word: &[u8]) -> usize {
    let mut len = word.len() - ending(word);
    if len >= 5 && word[len - 1] == b'e' {
        len -= 1;
    }
    len
}

/// How many bytes of `word` its stem leaves off: "-ing", "-ed" or "-s" where three letters
/// stay, the first that does.
fn ending(word: &[u8]) -> usize {
    for suffix in [&b"ing"[..], b"ed", b"s"] {
        if word.len() >= suffix.len() + 3 && word.ends_with(suffix) {
            return suffix.len();
        }
    }
    0
}

/// The `len` (at most 8) bytes of `bytes` from `at` as a little-endian number: one load of
/// eight where the text goes on that far, the bytes past `len` masked off.
fn load(bytes: &[u8], at: usize, len: usize) -> u64 {
    match bytes.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        Some(eight) => u64::from_le_bytes(*eight) & low_bytes(len),
        None => bytes[at..at + len].iter().rev().fold(0, |n, b| n << 8 | u64::from(*b)),
    }
}

/// A mask of the low `n` bytes of a `u64` (`n` at most 8).
fn low_bytes(n: usize) -> u64 {
    if n >= 8 { u64::MAX } else { (1 << (8 * n)) - 1 }
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
/// of [`FUNCTION_WORDS`]: a look-up in a small open-addressing set of their chunks, nearly
/// always one probe (matching the word as a string against the list was 520 instructions of
/// an English mail's 22,600).
fn is_function_word(chunk: u64) -> bool {
    let mut slot = function_slot(chunk);
    loop {
        match FUNCTION_SET[slot] {
            0 => return false,
            known if known == chunk => return true,
            _ => slot = (slot + 1) % FUNCTION_SET.len(),
        }
    }
}

/// [`FUNCTION_WORDS`]' chunks, each from the slot [`function_slot`] names on (0: empty).
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
        let mut slot = function_slot(chunk);
        while set[slot] != 0 {
            slot = (slot + 1) % 128;
        }
        set[slot] = chunk;
        i += 1;
    }
    set
};

/// The slot of [`FUNCTION_SET`] that the look-up for `chunk` starts from: its top seven
/// bits, multiplied.
const fn function_slot(chunk: u64) -> usize {
    (chunk.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 57) as usize
}

/// Punctuation and line ends end a phrase: no pair across them.
fn ends_phrase(c: char) -> bool {
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
fn is_function_char(c: char) -> bool {
    matches!(
        c,
        '我' | '的' | '了' | '是' | '吗' | '呢' | '请' | '问' | '你' | '们' | '要' | '可'
            | '以' | '有' | '在' | '这' | '那' | '什' | '么' | '怎' | '样' | '一' | '个' | '会'
            | '能' | '也' | '都' | '就' | '还' | '想' | '吧' | '啊' | '呀' | '您' | '他' | '她'
            | '它' | '和' | '与' | '及' | '或' | '为' | '到' | '把' | '被' | '给' | '将' | '让'
            | '从' | '对' | '于' | '如' | '何' | '哪' | '帮' | '谢' | '着' | '过' | '得' | '地'
    )
}

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF)
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_START, |h, b| fnv_step(h, *b))
}

/// 64-bit FNV-1a: its start, and one byte's step.
const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

const fn fnv_step(h: u64, b: u8) -> u64 {
    (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
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

    /// A word's hash as it was first written: the stem as a string, then FNV-1a byte by byte
    /// past the apostrophes. The model's weights are summed in the order of these hashes.
    fn first_word_hash(word: &str) -> u64 {
        if word.bytes().all(|b| b.is_ascii_digit()) {
            return fnv(b"#0");
        }
        let word = word.trim_end_matches('\'').as_bytes();
        let mut stem = &word[..word.len() - ending(word)];
        if stem.len() >= 5 && stem.ends_with(b"e") {
            stem = &stem[..stem.len() - 1];
        }
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in stem.iter().filter(|b| **b != b'\'') {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        h
    }

    #[test]
    fn the_hashes_are_those_first_written() {
        let words = "refunded charges charging fees fee fe didn't card's refunds' transferring it's \
                     i'm '' a1 12 0 withdrawal exchange exchanges abcdefgh abcdefghi aaaaaaaaaaaaaaaaaaaaaa's \
                     the wanted please im ing eds ses e";
        for word in words.split_whitespace().filter(|w| w.as_bytes()[0].is_ascii_alphanumeric()) {
            assert_eq!(key(word).0, first_word_hash(word), "{word}");
        }
        let mut hashes = Vec::new();
        features("refund x", &mut |h, _, _, _| hashes.push(h));
        assert_eq!(hashes[0], first_word_hash("refund"), "read in the middle of a text");
        hashes.clear();
        features("x refund", &mut |h, _, _, _| hashes.push(h));
        assert_eq!(hashes[1], first_word_hash("refund"), "and at its end");
        for c in ['退', '款', '\u{3400}', '\u{9fff}', '\u{f900}'] {
            assert_eq!(char_hash(c), fnv(c.to_string().as_bytes()), "{c}");
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
    fn kinds_of_features() {
        let mut kinds = Vec::new();
        features("ab 退款", &mut |_, kind, _, _| kinds.push(kind));
        assert_eq!(kinds, [Kind::Latin, Kind::Character('退'), Kind::Character('款'), Kind::Pair]);
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
