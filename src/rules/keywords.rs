//! Classify stage, the keyword automaton walked here: every overlapping match of its patterns
//! in a text, in the order `find_overlapping_iter` gives them (at each byte, the patterns of
//! the state reached, in the automaton's order), from an iterator inlined where it is read.
//!
//! Why not `AhoCorasick::find_overlapping_iter`: it enters the search again through a trait
//! object at every match, which on a short mail (some 25 matches in 90 bytes) cost more than
//! walking the bytes.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{Anchored, dfa, nfa};

/// Up to this many patterns the automaton is a DFA, as it scans fastest. The default rules'
/// English and Chinese words are about 2,000 each (with the misspellings and the regional
/// forms); when the Chinese ones passed the former limit of 2,000, the automaton fell back
/// to an NFA and classification cost 14 % more on Simplified Chinese mail. The DFA costs
/// 2.5 MB more memory and 4 ms more to load.
const DFA_LIMIT: usize = 5_000;

/// The keywords of one field and script. ASCII letters in the text match either case.
#[derive(Debug)]
pub(super) enum KeywordAutomaton {
    Dfa(dfa::DFA),
    /// Past [`DFA_LIMIT`] patterns, a DFA would take too long and too much memory to build.
    Nfa(nfa::contiguous::NFA),
}

impl KeywordAutomaton {
    /// The automaton of `patterns` (lower-case). No prefilter: a start state is then never a
    /// special state, and the walk checks for special states only.
    pub(super) fn new(patterns: &[String]) -> KeywordAutomaton {
        if patterns.len() <= DFA_LIMIT {
            let dfa = dfa::Builder::new().ascii_case_insensitive(true).prefilter(false).build(patterns);
            KeywordAutomaton::Dfa(dfa.expect("keyword DFA"))
        } else {
            let nfa =
                nfa::contiguous::Builder::new().ascii_case_insensitive(true).prefilter(false).build(patterns);
            KeywordAutomaton::Nfa(nfa.expect("keyword NFA"))
        }
    }

    /// Every match in `haystack` as (pattern, start, end), overlapping ones included, by
    /// where they end.
    #[inline(always)]
    pub(super) fn matches<'a>(&'a self, haystack: &'a [u8]) -> KeywordMatches<'a> {
        match self {
            KeywordAutomaton::Dfa(dfa) => KeywordMatches::Dfa(Walk::new(dfa, haystack)),
            KeywordAutomaton::Nfa(nfa) => KeywordMatches::Nfa(Walk::new(nfa, haystack)),
        }
    }
}

/// The matches of [`KeywordAutomaton::matches`]: an iterator whose every step is inlined
/// where it is read, so the caller's work on a match stays in its own loop (a closure
/// called from the walk of each kind of automaton was left a call, at a fifth of the cost
/// of keeping a match).
pub(super) enum KeywordMatches<'a> {
    Dfa(Walk<'a, dfa::DFA>),
    Nfa(Walk<'a, nfa::contiguous::NFA>),
}

impl Iterator for KeywordMatches<'_> {
    type Item = (usize, usize, usize);

    #[inline(always)]
    fn next(&mut self) -> Option<(usize, usize, usize)> {
        match self {
            KeywordMatches::Dfa(walk) => walk.next(),
            KeywordMatches::Nfa(walk) => walk.next(),
        }
    }
}

/// A walk over `haystack` from the unanchored start state, a byte at a time; at each state
/// that matches, its patterns in the automaton's order, as the overlapping iterator gives
/// them.
pub(super) struct Walk<'a, A> {
    automaton: &'a A,
    haystack: &'a [u8],
    state: StateID,
    /// Bytes read: where the current state's matches end.
    at: usize,
    /// The current state's matches: the next to give and how many there are.
    next_match: usize,
    matches: usize,
}

impl<'a, A: Automaton> Walk<'a, A> {
    /// The walk before its first byte; the start state's matches (an empty pattern's) first.
    #[inline(always)]
    fn new(automaton: &'a A, haystack: &'a [u8]) -> Walk<'a, A> {
        let state = automaton.start_state(Anchored::No).expect("an unanchored search is supported");
        let matches = if automaton.is_match(state) { automaton.match_len(state) } else { 0 };
        Walk { automaton, haystack, state, at: 0, next_match: 0, matches }
    }

    #[inline(always)]
    fn next(&mut self) -> Option<(usize, usize, usize)> {
        let automaton = self.automaton;
        loop {
            if self.next_match < self.matches {
                let pattern = automaton.match_pattern(self.state, self.next_match);
                self.next_match += 1;
                return Some((pattern.as_usize(), self.at - automaton.pattern_len(pattern), self.at));
            }
            self.walk_to_special()?;
            if automaton.is_dead(self.state) {
                self.haystack = &[];
                return None;
            }
            if automaton.is_match(self.state) {
                (self.next_match, self.matches) = (0, automaton.match_len(self.state));
            }
        }
    }

    /// Walks on to the next special state (a match or the dead state); `None` at the end of
    /// the haystack. The state and position are kept in locals while the bytes are read, and
    /// nothing but the state is checked at a byte (the current state's matches were too):
    /// 13 instructions a byte, some 220 fewer a banking77 mail of 100 bytes.
    #[inline(always)]
    fn walk_to_special(&mut self) -> Option<()> {
        let automaton = self.automaton;
        let (mut state, mut at) = (self.state, self.at);
        let found = loop {
            let Some(&byte) = self.haystack.get(at) else { break None };
            state = automaton.next_state(Anchored::No, state, byte);
            at += 1;
            if automaton.is_special(state) {
                break Some(());
            }
        };
        (self.state, self.at) = (state, at);
        found
    }
}

#[cfg(test)]
mod tests {
    use aho_corasick::AhoCorasick;

    use super::*;

    /// The matches the library's own overlapping search finds.
    fn library(patterns: &[String], text: &str) -> Vec<(usize, usize, usize)> {
        let automaton = AhoCorasick::builder().ascii_case_insensitive(true).build(patterns).unwrap();
        automaton.find_overlapping_iter(text).map(|m| (m.pattern().as_usize(), m.start(), m.end())).collect()
    }

    fn walked(automaton: &KeywordAutomaton, text: &str) -> Vec<(usize, usize, usize)> {
        automaton.matches(text.as_bytes()).collect()
    }

    #[test]
    fn finds_what_the_overlapping_iterator_finds_in_its_order() {
        let patterns: Vec<String> = ["refund", "refunded", "fund", "un", "not", "no", "退款", "款", "还没"]
            .map(String::from)
            .to_vec();
        let many: Vec<String> =
            (0..DFA_LIMIT + 1).map(|i| format!("w{i}x")).chain(patterns.clone()).collect();
        for text in ["", "I was NOT Refunded, no fund", "退款还没到 refund", "nonono unun"] {
            assert_eq!(walked(&KeywordAutomaton::new(&patterns), text), library(&patterns, text), "{text}");
            assert_eq!(walked(&KeywordAutomaton::new(&many), text), library(&many, text), "{text}");
        }
        assert!(matches!(KeywordAutomaton::new(&many), KeywordAutomaton::Nfa(_)));
    }
}
