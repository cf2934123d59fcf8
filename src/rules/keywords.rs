//! Classify stage, the keyword automaton walked here: every overlapping match of its patterns
//! in a text, handed to the caller as the walk meets it.
//!
//! Why not `AhoCorasick::find_overlapping_iter`: it returns from the search at each match and
//! enters it again through a trait object, which on a short mail (some 25 matches in 90
//! bytes) cost more than walking the bytes. Walking the automaton's states here keeps the
//! loop in one place; the matches, and their order, are the iterator's: at each byte, the
//! patterns of the state reached, in the automaton's order.

use aho_corasick::automaton::Automaton;
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

    /// Calls `each(pattern, start, end)` for every match in `haystack`, overlapping ones
    /// included, by where they end; stops, and returns false, when `each` does.
    #[inline]
    pub(super) fn each_match(&self, haystack: &[u8], each: impl FnMut(usize, usize, usize) -> bool) -> bool {
        match self {
            KeywordAutomaton::Dfa(dfa) => walk(dfa, haystack, each),
            KeywordAutomaton::Nfa(nfa) => walk(nfa, haystack, each),
        }
    }
}

/// The walk of [`KeywordAutomaton::each_match`] over one kind of automaton. A state is looked
/// at before the byte that leaves it is read, so the start state's matches (an empty
/// pattern's, where the text starts) are reported where every other state's are.
#[inline(always)]
fn walk<A: Automaton>(
    automaton: &A,
    haystack: &[u8],
    mut each: impl FnMut(usize, usize, usize) -> bool,
) -> bool {
    let mut state = automaton.start_state(Anchored::No).expect("an unanchored search is supported");
    let mut at = 0;
    loop {
        if automaton.is_special(state) {
            if automaton.is_dead(state) {
                return true;
            }
            if automaton.is_match(state) && !report(automaton, state, at, &mut each) {
                return false;
            }
        }
        let Some(&byte) = haystack.get(at) else { return true };
        state = automaton.next_state(Anchored::No, state, byte);
        at += 1;
    }
}

/// Hands `each` the patterns that match in `state`, ending at byte `end`.
#[inline(always)]
fn report<A: Automaton>(
    automaton: &A,
    state: aho_corasick::automaton::StateID,
    end: usize,
    each: &mut impl FnMut(usize, usize, usize) -> bool,
) -> bool {
    for index in 0..automaton.match_len(state) {
        let pattern = automaton.match_pattern(state, index);
        if !each(pattern.as_usize(), end - automaton.pattern_len(pattern), end) {
            return false;
        }
    }
    true
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
        let mut found = Vec::new();
        automaton.each_match(text.as_bytes(), |p, s, e| {
            found.push((p, s, e));
            true
        });
        found
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

    #[test]
    fn stops_when_told() {
        let patterns: Vec<String> = ["a", "ab"].map(String::from).to_vec();
        let mut seen = 0;
        assert!(!KeywordAutomaton::new(&patterns).each_match(b"ababab", |_, _, _| {
            seen += 1;
            seen < 3
        }));
        assert_eq!(seen, 3);
    }
}
