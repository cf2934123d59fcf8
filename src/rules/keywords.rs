//! Classify stage, the keyword automaton walked here: every overlapping match of its patterns
//! in a text, in the order `find_overlapping_iter` gives them (at each byte, the patterns of
//! the state reached, in the automaton's order), from an iterator inlined where it is read.
//!
//! Why not `AhoCorasick::find_overlapping_iter`: it enters the search again through a trait
//! object at every match, which on a short mail (some 25 matches in 90 bytes) cost more than
//! walking the bytes.
//!
//! A key that begins with an ASCII letter or digit counts only where a word begins (the scan
//! checks it at each match, [`super::index::word_char_before`]), so the walk looks for it
//! there alone: the matches it gives are those of the overlapping iterator less such keys
//! found inside a word, in the same order, and the scan keeps the same ones. Inside a word
//! that begins no key, the walk stays in one state (the start, after a word byte) where it
//! followed the word's ends through the states of other keys' beginnings ("heard" through
//! "ear" and "ard"): a mail touches fewer rows. On BANKING77, the walk's L1 read misses
//! (callgrind) 119 -> 109 a mail, its instructions 3,474 -> 3,448.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{Anchored, nfa};

/// The keywords of one field and script, as a table of transitions read a byte at a time.
/// ASCII letters in the text match either case.
///
/// Why not the library's DFA: its states are numbered as its trie was built, pattern by
/// pattern, and each has a transition for every byte class, upper and lower case apart, at
/// 4 bytes: 256 bytes a state, 10 MB for the 2,941 English keys of the default rules, where
/// the states a text stays in (the first few letters of words) are scattered. The walk of
/// that table was a fifth of the time of parsing, screening and classifying an English mail,
/// two thirds of it waiting on the load of the next state. Here the states are numbered
/// breadth first (those near the start, read at most bytes, share cache lines), a letter's
/// two cases are one class, and a state's row also holds where its matches are. A state also
/// knows whether the byte before was of no word: a word may begin at the next byte (see the
/// module's doc).
#[derive(Debug)]
pub(super) struct KeywordAutomaton {
    /// The class of each byte: the column of its transition in a row.
    classes: [u8; 256],
    /// Each state's row: a transition per class (the next state's row), then its matches'
    /// range in `matched`. The states are numbered breadth first, those that are special (a
    /// match or the dead state) after the others.
    rows: Vec<u32>,
    /// The unanchored start state, as a transition to it.
    start: u32,
    /// The row of the first special state. Told from the row, not from a bit of the
    /// transition to mask off, the walk has one instruction fewer on the path from a byte's
    /// state to the next's, that the load of the next state waits on.
    first_special: u32,
    /// Where a row's range of matches is, after its transitions.
    width: usize,
    /// The patterns each state matches, in the automaton's order, state after state.
    matched: Vec<u32>,
    /// Each pattern's length in bytes.
    lengths: Vec<u32>,
}

impl KeywordAutomaton {
    /// The automaton of `patterns` (lower-case, ASCII), from the library's NFA of the
    /// patterns marked where they stand at a word's start ([`with_boundaries`]): the states
    /// it reaches from the start, each with whether a word may start at the next byte,
    /// numbered breadth first. No prefilter: a start state is then never special.
    pub(super) fn new(patterns: &[String]) -> KeywordAutomaton {
        let marked: Vec<Vec<u8>> = patterns.iter().map(|p| with_boundaries(p.as_bytes())).collect();
        let nfa =
            nfa::contiguous::Builder::new().ascii_case_insensitive(true).prefilter(false).build(&marked);
        let nfa = nfa.expect("keyword NFA");
        let (classes, representatives) = byte_classes(patterns);
        let (order, targets) = breadth_first(&nfa, &representatives);
        let width = representatives.len();
        let stride = width + 2;
        let special: Vec<bool> =
            order.iter().map(|&(state, _)| nfa.is_match(state) || nfa.is_dead(state)).collect();
        // The special states last, so that a transition tells one by its row alone.
        let mut placed: Vec<usize> = (0..order.len()).collect();
        placed.sort_by_key(|&state| special[state]);
        let mut rank = vec![0; order.len()];
        for (at, &state) in placed.iter().enumerate() {
            rank[state] = at;
        }
        let transition = |state: u32| (rank[state as usize] * stride) as u32;
        let mut rows = Vec::with_capacity(order.len() * stride);
        let mut matched = Vec::new();
        for &at in &placed {
            let (state, _) = order[at];
            rows.extend(targets[at * width..][..width].iter().map(|&target| transition(target)));
            rows.push(matched.len() as u32);
            matched.extend((0..match_count(&nfa, state)).map(|i| nfa.match_pattern(state, i).as_u32()));
            rows.push(matched.len() as u32);
        }
        assert!(u32::try_from(rows.len()).is_ok(), "keyword automaton too large");
        let lengths = patterns.iter().map(|p| p.len() as u32).collect();
        let first_special = (special.iter().filter(|s| !**s).count() * stride) as u32;
        KeywordAutomaton { classes, rows, start: transition(0), first_special, width, matched, lengths }
    }

    /// Every match in `haystack` as (pattern, start, end), overlapping ones included, by
    /// where they end.
    #[inline(always)]
    pub(super) fn matches<'a>(&'a self, haystack: &'a [u8]) -> Walk<'a> {
        let mut walk =
            Walk { automaton: self, haystack, state: self.start, at: 0, next_match: 0, matches: 0 };
        if self.start >= self.first_special {
            (walk.next_match, walk.matches) = self.match_range(self.start);
        }
        walk
    }

    /// The range in `matched` of the matches of the state `transition` leads to.
    #[inline(always)]
    fn match_range(&self, transition: u32) -> (usize, usize) {
        let row = transition as usize + self.width;
        (self.rows[row] as usize, self.rows[row + 1] as usize)
    }
}

/// The number of patterns `state` matches.
fn match_count(nfa: &nfa::contiguous::NFA, state: StateID) -> usize {
    if nfa.is_match(state) { nfa.match_len(state) } else { 0 }
}

/// Stands in a marked pattern ([`with_boundaries`]) for a word boundary: no text the walk
/// reads (ASCII) has this byte.
const BOUNDARY: u8 = 0xff;

/// Whether `byte` is a word's, as [`super::index::word_char_before`] tells an ASCII one.
fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
}

/// `pattern` with [`BOUNDARY`] before each of its word bytes that may start a word in a
/// text: its first, when a word byte (such a key counts only at a word's start), and each
/// after a byte of no word. The walk reads the text as if it had the mark before each byte
/// of a word that follows a byte of no word (or starts the run): a key that begins with a
/// word byte is then found only where it begins a word, every other one wherever it is.
fn with_boundaries(pattern: &[u8]) -> Vec<u8> {
    let mut marked = Vec::with_capacity(pattern.len() + 2);
    let mut after_word = false;
    for &byte in pattern {
        if !after_word && is_word_byte(byte) {
            marked.push(BOUNDARY);
        }
        marked.push(byte);
        after_word = is_word_byte(byte);
    }
    marked
}

/// The class of each byte and a byte of each class. A letter's two cases are one class (the
/// automaton ignores ASCII case); the bytes of no pattern are two classes, the first word
/// bytes and the second others, as from any state they lead where any other such byte does
/// (a word's byte where another word's does).
fn byte_classes(patterns: &[String]) -> ([u8; 256], Vec<u8>) {
    let mut used = [false; 256];
    for byte in patterns.iter().flat_map(|p| p.bytes()) {
        used[usize::from(byte.to_ascii_lowercase())] = true;
    }
    let mut classes = [0; 256];
    let mut representatives = Vec::new();
    for word in [true, false] {
        let unused = |b: &u8| !used[usize::from(b.to_ascii_lowercase())] && is_word_byte(*b) == word;
        if let Some(other) = (0..=255u8).find(unused) {
            let class = u8::try_from(representatives.len()).expect("at most 256 classes");
            for byte in (0..=255u8).filter(unused) {
                classes[usize::from(byte)] = class;
            }
            representatives.push(other);
        }
    }
    for byte in (0..=255u8).filter(|b| used[usize::from(*b)]) {
        let class = u8::try_from(representatives.len()).expect("at most 256 classes");
        classes[usize::from(byte)] = class;
        classes[usize::from(byte.to_ascii_uppercase())] = class;
        representatives.push(byte);
    }
    (classes, representatives)
}

/// The states reached from the start, breadth first, and each one's next state (by number
/// in that order) for each class's byte in `representatives`. A state is the NFA's with
/// whether the byte before was of no word (the start's is: a run starts a word); a word
/// byte read there is read after a [`BOUNDARY`].
fn breadth_first(nfa: &nfa::contiguous::NFA, representatives: &[u8]) -> (Vec<(StateID, bool)>, Vec<u32>) {
    let start = nfa.start_state(Anchored::No).expect("an unanchored search is supported");
    let mut order = vec![(start, true)];
    // By the NFA's state and the flag.
    let slot = |(state, boundary): (StateID, bool)| state.as_usize() * 2 + usize::from(boundary);
    let mut number = vec![u32::MAX; slot((start, true)) + 1];
    number[slot((start, true))] = 0;
    let mut targets = Vec::new();
    let mut next = 0;
    while let Some(&(state, boundary)) = order.get(next) {
        next += 1;
        for &byte in representatives {
            let word = is_word_byte(byte);
            let from = if boundary && word { nfa.next_state(Anchored::No, state, BOUNDARY) } else { state };
            let target = (nfa.next_state(Anchored::No, from, byte), !word);
            if number.len() <= slot(target) {
                number.resize(slot(target) + 1, u32::MAX);
            }
            if number[slot(target)] == u32::MAX {
                number[slot(target)] = order.len() as u32;
                order.push(target);
            }
            targets.push(number[slot(target)]);
        }
    }
    (order, targets)
}

/// A walk over `haystack` from the unanchored start state, a byte at a time; at each state
/// that matches, its patterns in the automaton's order, as the library's overlapping
/// iterator gives them. Its every step is inlined where it is read, so the caller's work on
/// a match stays in its own loop (a closure called from the walk was left a call, at a
/// fifth of the cost of keeping a match).
pub(super) struct Walk<'a> {
    automaton: &'a KeywordAutomaton,
    haystack: &'a [u8],
    /// The current state, as a transition to it.
    state: u32,
    /// Bytes read: where the current state's matches end.
    at: usize,
    /// The current state's matches in `matched`: the next to give and the end.
    next_match: usize,
    matches: usize,
}

impl Iterator for Walk<'_> {
    type Item = (usize, usize, usize);

    #[inline(always)]
    fn next(&mut self) -> Option<(usize, usize, usize)> {
        let automaton = self.automaton;
        loop {
            if self.next_match < self.matches {
                let pattern = automaton.matched[self.next_match] as usize;
                self.next_match += 1;
                return Some((pattern, self.at - automaton.lengths[pattern] as usize, self.at));
            }
            self.walk_to_special()?;
            (self.next_match, self.matches) = automaton.match_range(self.state);
            // A special state that matches nothing is the dead state.
            if self.next_match == self.matches {
                self.haystack = &[];
                return None;
            }
        }
    }
}

impl Walk<'_> {
    /// Walks on to the next special state (a match or the dead state); `None` at the end of
    /// the haystack. The state and position are kept in locals while the bytes are read, and
    /// nothing but the state is checked at a byte.
    #[inline(always)]
    fn walk_to_special(&mut self) -> Option<()> {
        let automaton = self.automaton;
        let (mut state, mut at) = (self.state, self.at);
        let found = loop {
            let Some(&byte) = self.haystack.get(at) else { break None };
            let class = automaton.classes[usize::from(byte)];
            state = automaton.rows[state as usize + usize::from(class)];
            at += 1;
            if state >= automaton.first_special {
                break Some(());
            }
        };
        (self.state, self.at) = (state, at);
        found
    }
}

#[cfg(test)]
pub(super) mod tests {
    use aho_corasick::AhoCorasick;
    use proptest::prelude::*;

    use super::*;

    /// The matches the library's own overlapping search finds that start where their key
    /// may: a key that begins with a word byte at the start of a word (or of the text).
    pub(in super::super) fn library(patterns: &[String], text: &str) -> Vec<(usize, usize, usize)> {
        let automaton = AhoCorasick::builder().ascii_case_insensitive(true).build(patterns).unwrap();
        let may_start = |pattern: usize, start: usize| {
            !is_word_byte(patterns[pattern].as_bytes()[0])
                || start == 0
                || !is_word_byte(text.as_bytes()[start - 1])
        };
        automaton
            .find_overlapping_iter(text)
            .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
            .filter(|&(pattern, start, _)| may_start(pattern, start))
            .collect()
    }

    fn walked(automaton: &KeywordAutomaton, text: &str) -> Vec<(usize, usize, usize)> {
        automaton.matches(text.as_bytes()).collect()
    }

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn finds_what_the_overlapping_iterator_finds_in_its_order() {
        let patterns = strings(&[
            "refund", "refunded", "fund", "un", "not", "no", " no", "-up", "top-up", "p-u", "3d", "d s", "$",
            "退款", "款", "还没",
        ]);
        let many: Vec<String> = (0..6_000).map(|i| format!("w{i}x")).chain(patterns.clone()).collect();
        for text in [
            "",
            "I was NOT Refunded, no fund",
            "退款还没到 refund",
            "nonono unun",
            "W12X\tw5999xNO\u{0}",
            "top-up; a top-up, 3D secure 33d s",
            "auto-top-up $5 ww12x",
        ] {
            assert_eq!(walked(&KeywordAutomaton::new(&patterns), text), library(&patterns, text), "{text}");
            assert_eq!(walked(&KeywordAutomaton::new(&many), text), library(&many, text), "{text}");
        }
    }

    #[test]
    fn a_key_that_begins_with_a_word_byte_is_found_only_where_a_word_begins() {
        let patterns = strings(&["fund", "und", " fund", "-fund"]);
        let found: Vec<_> = walked(&KeywordAutomaton::new(&patterns), "refund -fund fund,fund");
        // "fund" and "und" inside "refund" are not found, "fund" after "-" or "," is; " fund"
        // and "-fund" anywhere.
        assert_eq!(found, [(3, 7, 12), (0, 8, 12), (2, 12, 17), (0, 13, 17), (0, 18, 22)]);
    }

    /// A byte of a key, or of none, either case.
    fn any_byte() -> impl Strategy<Value = char> {
        proptest::sample::select(vec!['a', 'b', 'A', 'B', '1', ' ', '-', '\'', 'x', '.'])
    }

    proptest! {
        #[test]
        fn finds_what_the_library_finds_for_any_keys(
            keys in proptest::collection::vec(
                proptest::collection::vec(any_byte(), 1..6).prop_map(|k| String::from_iter(k).to_ascii_lowercase()),
                1..40,
            ),
            text in proptest::collection::vec(any_byte(), 0..80).prop_map(String::from_iter),
        ) {
            let mut keys = keys;
            keys.sort();
            keys.dedup();
            prop_assert_eq!(walked(&KeywordAutomaton::new(&keys), &text), library(&keys, &text));
        }
    }
}
