//! Classify stage, second opinion: the Latin words of a text as the model reads them. Where a
//! word ends, its crude stem and its hash, and whether it is a function word, each read from
//! the word's bytes where they are, lower-cased as they are read.

use super::{APOSTROPHE, BYTE_CLASS, DIGIT, LETTER, WORD_START, fold};

/// Where the Latin word that starts at byte `start` of `bytes` ends (its letters, digits and
/// apostrophes, told by one look-up a byte), and the kinds of bytes it has: whether it is a
/// number and whether it has an apostrophe are learnt in the same pass.
#[inline]
pub(super) fn word_end(bytes: &[u8], start: usize) -> (usize, u8) {
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

/// The hash of the word `bytes[start..end]` (of `kinds`, from [`word_end`]) and whether it
/// is a function word. A word without an apostrophe (nearly every one) is its own stem's
/// bytes, hashed where they are; a word of eight bytes or fewer is read in one load, to be
/// told a function word and, masked to its stem, hashed (hashing byte by byte was a tenth of
/// classifying an English mail). Inlined, with the rare words' hashing kept out: a call a
/// word was a fifth of reading one.
#[inline(always)]
pub(super) fn word_key(bytes: &[u8], start: usize, end: usize, kinds: u8) -> (u64, bool) {
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
#[inline]
fn stem_len(word: &[u8]) -> usize {
    let mut len = word.len() - ending(word);
    if len >= 5 && word[len - 1] | CASE == b'e' {
        len -= 1;
    }
    len
}

/// How many bytes of `word` its stem leaves off: "-ing", "-ed" or "-s" (in either case)
/// where three letters stay, the first that does.
#[inline]
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
#[inline]
fn load(bytes: &[u8], at: usize, len: usize) -> u64 {
    let eight = match bytes.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        Some(eight) => u64::from_le_bytes(*eight),
        None => bytes[at..at + len].iter().rev().fold(0, |n, b| n << 8 | u64::from(*b)),
    };
    (eight | u64::from_ne_bytes([CASE; 8])) & low_bytes(len)
}

/// A mask of the low `n` bytes of a `u64` (`n` from 1 to 8, as every word and stem is): one
/// shift, where telling eight bytes apart from fewer was seven instructions, twice a word.
#[inline]
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
#[inline]
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
#[inline]
const fn function_slot(chunk: u64) -> usize {
    (chunk.wrapping_mul(0x2273_5dab_a24a_77eb) >> 57) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::features::{CHAR_START, Kind, char_hash, features};

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
