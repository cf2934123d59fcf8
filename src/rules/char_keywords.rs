//! Classify stage, the keyword automaton of the keys beyond ASCII (Chinese) walked a
//! character at a time: the matches [`super::keywords::KeywordAutomaton`] finds, in its
//! order, with one state to load a character where that walk had one a byte.
//!
//! Why: the byte table of the Chinese keys is some 8 MB; each step from one state to the next
//! missed the L1 cache, and a Chinese character is three steps. A key never starts nor ends
//! inside a character, and the text is UTF-8, so the states at character ends are all the
//! walk needs: the byte automaton's state there is the same trie node (the longest end of the
//! text that begins a key), with the same matches.

use std::collections::{BTreeSet, HashMap};

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{Anchored, nfa};

/// The keys of one field beyond ASCII, as a table read a character at a time. ASCII letters
/// in the text match either case, as in the byte automaton; other letters as they are.
///
/// A state keeps only its transitions that lead deeper than one character (to its own
/// children, and where its failure links would lead); every other character leads where it
/// leads from the start, a dense row. So the walk never follows a failure link: one load a
/// character, linear however hostile the text. The kept transitions of all the states share
/// one table, each state's at its own offset (a state is that offset): the transition for
/// class `c` from state `s` is slot `s + c`, when `s` owns it. A list a state, searched (a
/// list has up to 48 classes), cost some 1,300 instructions a Cathay mail more than the byte
/// walk, and more time than the table does.
#[derive(Debug)]
pub(super) struct CharKeywordAutomaton {
    /// The class of each character.
    classes: CharClasses,
    /// The state each class leads to from the start (from any state that does not own the
    /// class's slot).
    from_start: Vec<u32>,
    /// The owner of each slot (`u32::MAX` for none) and the state it leads to.
    slots: Vec<[u32; 2]>,
    /// The start state.
    start: u32,
    /// The states that match are this one and those after it; the others come before.
    first_special: u32,
    /// The range in `matched` of each state that matches, by its offset from `first_special`.
    special_matches: Vec<[u32; 2]>,
    /// The patterns each state matches, in the byte automaton's order, state after state.
    matched: Vec<u32>,
    /// Each pattern's length in bytes.
    lengths: Vec<u32>,
}

impl CharKeywordAutomaton {
    /// The automaton of `patterns` (lower-case, none empty): the trie of their characters,
    /// each node with the matches of the library's NFA at the same node.
    pub(super) fn new(patterns: &[String]) -> CharKeywordAutomaton {
        let nfa =
            nfa::contiguous::Builder::new().ascii_case_insensitive(true).prefilter(false).build(patterns);
        let nfa = nfa.expect("keyword NFA");
        let classes = CharClasses::new(patterns);
        let class_count = classes.count;
        let trie = Trie::new(&nfa, patterns, &classes);
        let lists = trie.deep_transitions();
        let special: Vec<bool> = trie.nodes.iter().map(|node| nfa.is_match(node.state)).collect();
        let (offsets, first_special) = place(&lists, &special);
        let slots = slots(&lists, &offsets, class_count);
        let (special_matches, matched) = matches(&nfa, &trie, &special, &offsets, first_special, slots.len());
        let mut from_start = vec![offsets[ROOT]; class_count];
        for &(class, child) in &trie.nodes[ROOT].children {
            from_start[usize::from(class)] = offsets[child];
        }
        let lengths = (0..nfa.patterns_len())
            .map(|p| nfa.pattern_len(aho_corasick::PatternID::new(p).expect("a pattern")) as u32)
            .collect();
        CharKeywordAutomaton {
            classes,
            from_start,
            slots,
            start: offsets[ROOT],
            first_special,
            special_matches,
            matched,
            lengths,
        }
    }

    /// Every match in `haystack` as (pattern, start, end), overlapping ones included, by
    /// where they end, as the byte automaton gives them.
    #[inline(always)]
    pub(super) fn matches<'a>(&'a self, haystack: &'a str) -> CharWalk<'a> {
        let haystack = haystack.as_bytes();
        CharWalk { automaton: self, haystack, state: self.start, at: 0, next_match: 0, matches: 0 }
    }

    /// The state `class` leads to from `state`: its own slot's, or the start state's.
    #[inline(always)]
    fn next(&self, state: u32, class: u32) -> u32 {
        let [owner, next] = self.slots[(state + class) as usize];
        if owner == state { next } else { self.from_start[class as usize] }
    }

    /// The range in `matched` of the matches of `state`, one that matches.
    #[inline(always)]
    fn match_range(&self, state: u32) -> (usize, usize) {
        let [from, to] = self.special_matches[(state - self.first_special) as usize];
        (from as usize, to as usize)
    }
}

/// The shared table of `lists`, each node's at its offset: room for every class from the
/// last offset.
fn slots(lists: &[Vec<(u16, usize)>], offsets: &[u32], class_count: usize) -> Vec<[u32; 2]> {
    let slot_count = offsets.iter().max().map_or(0, |&o| o as usize) + class_count;
    let mut slots = vec![[u32::MAX, 0]; slot_count];
    for (node, list) in lists.iter().enumerate() {
        for &(class, target) in list {
            slots[offsets[node] as usize + usize::from(class)] = [offsets[node], offsets[target]];
        }
    }
    slots
}

/// The range in the patterns matched of each node that matches (by its offset from
/// `first_special`), and the patterns each matches: the NFA's, in its order.
fn matches(
    nfa: &nfa::contiguous::NFA,
    trie: &Trie,
    special: &[bool],
    offsets: &[u32],
    first_special: u32,
    slot_count: usize,
) -> (Vec<[u32; 2]>, Vec<u32>) {
    let mut special_matches = vec![[0, 0]; slot_count - first_special as usize];
    let mut matched = Vec::new();
    for node in (0..trie.nodes.len()).filter(|&node| special[node]) {
        let state = trie.nodes[node].state;
        let from = matched.len() as u32;
        matched.extend((0..nfa.match_len(state)).map(|i| nfa.match_pattern(state, i).as_u32()));
        special_matches[(offsets[node] - first_special) as usize] = [from, matched.len() as u32];
    }
    (special_matches, matched)
}

/// Each node's offset in the shared table, its slots (offset + class, for the classes of its
/// list) free when placed and no other node at the same offset; the nodes that match after
/// the others, from the offset returned. First fit, the longest lists first (the short ones
/// then fill the gaps between their slots), where breadth first took 6 % more slots; a list
/// of the same length as the one before starts near where that one went ([`SLACK`]).
fn place(lists: &[Vec<(u16, usize)>], special: &[bool]) -> (Vec<u32>, u32) {
    let mut table = Occupancy::default();
    let mut offsets = vec![0u32; lists.len()];
    let mut by_length: Vec<usize> = (0..lists.len()).collect();
    by_length.sort_by_key(|&node| (special[node], std::cmp::Reverse(lists[node].len())));
    let first = by_length.partition_point(|&node| !special[node]);
    for &node in &by_length[..first] {
        offsets[node] = table.place(&lists[node], 0);
    }
    let first_special = by_length[..first].iter().map(|&node| offsets[node] + 1).max().unwrap_or(0);
    for &node in &by_length[first..] {
        offsets[node] = table.place(&lists[node], first_special as usize);
    }
    (offsets, first_special)
}

/// The slots taken in the shared table, and the offsets, a bit each: a gap is looked for 64
/// offsets at a time.
#[derive(Default)]
struct Occupancy {
    taken: Vec<u64>,
    offset: Vec<u64>,
    /// No slot before this one is free.
    first_free: usize,
    /// The length and lowest offset of the list placed last, and where it went.
    group: (usize, usize),
    last: usize,
}

impl Occupancy {
    /// The lowest offset from `lowest` on where `list` fits; taken.
    fn place(&mut self, list: &[(u16, usize)], lowest: usize) -> u32 {
        let first_class = list.first().map_or(0, |&(class, _)| usize::from(class));
        let mut from = lowest.max(self.first_free.saturating_sub(first_class));
        // A list as long as the last one looks on from a little before where that one went:
        // first fit looked in vain through the full front of the table for every list (slot
        // 0 is never taken), which was 165 of some 420 ms of loading the default rules. Now
        // 18 ms, at 3.6 % more slots (235,013 against 226,888).
        if self.group == (list.len(), lowest) {
            from = from.max(self.last.saturating_sub(SLACK));
        }
        let at = loop {
            let mut free = !window(&self.offset, from);
            for &(class, _) in list {
                free &= !window(&self.taken, from + usize::from(class));
            }
            if free != 0 {
                break from + free.trailing_zeros() as usize;
            }
            from += 64;
        };
        self.group = (list.len(), lowest);
        self.last = at;
        set(&mut self.offset, at);
        for &(class, _) in list {
            set(&mut self.taken, at + usize::from(class));
        }
        while window(&self.taken, self.first_free) & 1 == 1 {
            self.first_free += 1;
        }
        u32::try_from(at).expect("keyword automaton too large")
    }
}

/// How far before the last list's offset the next list of its length may go.
const SLACK: usize = 4096;

/// The 64 bits of `bits` from bit `from` on (those beyond its end clear).
fn window(bits: &[u64], from: usize) -> u64 {
    let (word, shift) = (from / 64, from % 64);
    let low = bits.get(word).map_or(0, |w| w >> shift);
    let high = match shift {
        0 => 0,
        _ => bits.get(word + 1).map_or(0, |w| w << (64 - shift)),
    };
    low | high
}

fn set(bits: &mut Vec<u64>, at: usize) {
    if bits.len() <= at / 64 {
        bits.resize(at / 64 + 1, 0);
    }
    bits[at / 64] |= 1 << (at % 64);
}

/// The class of each character: 0 for a character of no key, then one a character of the
/// keys (ASCII-lower-cased), in code point order; an ASCII letter's two cases are one class.
#[derive(Debug)]
struct CharClasses {
    /// By code point, in the Basic Multilingual Plane (every Chinese character of the keys):
    /// read without a bounds check, and only the lines of the characters a text has are read.
    plane: Box<[u16; 0x10000]>,
    /// Those beyond it, by code point (a key with an emoji, say).
    beyond: Vec<(u32, u16)>,
    /// The number of classes.
    count: usize,
}

impl CharClasses {
    fn new(patterns: &[String]) -> CharClasses {
        let used: BTreeSet<char> =
            patterns.iter().flat_map(|p| p.chars()).map(|c| c.to_ascii_lowercase()).collect();
        let plane = vec![0u16; 0x10000].into_boxed_slice().try_into().expect("the plane's length");
        let mut classes = CharClasses { plane, beyond: Vec::new(), count: used.len() + 1 };
        for (at, &c) in used.iter().enumerate() {
            let class = u16::try_from(at + 1).expect("at most 65,535 characters in the keys");
            for c in [c, c.to_ascii_uppercase()] {
                match u16::try_from(c as u32) {
                    Ok(code) => classes.plane[usize::from(code)] = class,
                    Err(_) => classes.beyond.push((c as u32, class)),
                }
            }
        }
        classes.beyond.dedup();
        classes
    }

    fn of(&self, c: char) -> u16 {
        self.of_code(c as u32)
    }

    #[inline(always)]
    fn of_code(&self, code: u32) -> u16 {
        match u16::try_from(code) {
            Ok(code) => self.plane[usize::from(code)],
            Err(_) => match self.beyond.binary_search_by_key(&code, |&(c, _)| c) {
                Ok(i) => self.beyond[i].1,
                Err(_) => 0,
            },
        }
    }

    /// The class of the character at `at` of UTF-8 `bytes`, and its length; `None` at the
    /// end. Decoded unchecked (the bytes are a `str`'s), one bounds check a character.
    #[inline(always)]
    fn at(&self, bytes: &[u8], at: usize) -> Option<(u32, usize)> {
        let lead = *bytes.get(at)?;
        let tail = |b: u8| u16::from(b & 0x3f);
        let (code, len) = match lead {
            0..0x80 => (u16::from(lead), 1),
            0xe0..0xf0 => {
                let &[_, b1, b2] = bytes.get(at..at + 3)?.first_chunk::<3>()?;
                (u16::from(lead & 0x0f) << 12 | tail(b1) << 6 | tail(b2), 3)
            }
            0x80..0xe0 => {
                let &[_, b1] = bytes.get(at..at + 2)?.first_chunk::<2>()?;
                (u16::from(lead & 0x1f) << 6 | tail(b1), 2)
            }
            _ => {
                let &[_, b1, b2, b3] = bytes.get(at..at + 4)?.first_chunk::<4>()?;
                let code =
                    u32::from(lead & 0x07) << 18 | u32::from(tail(b1)) << 12 | u32::from(tail(b2)) << 6;
                return Some((u32::from(self.of_code(code | u32::from(tail(b3)))), 4));
            }
        };
        Some((u32::from(self.plane[usize::from(code)]), len))
    }
}

/// The trie's root: the start state.
const ROOT: usize = 0;

/// The trie of the patterns' characters, nodes numbered breadth first.
struct Trie {
    nodes: Vec<Node>,
}

struct Node {
    /// The class of each character that extends the node's string to a pattern's prefix, and
    /// the node it leads to.
    children: Vec<(u16, usize)>,
    /// The library NFA's state for the node's string.
    state: StateID,
}

impl Trie {
    /// The trie of `patterns`, each node with the NFA state its string leads to from the
    /// start (that node of the NFA's own trie).
    fn new(nfa: &nfa::contiguous::NFA, patterns: &[String], classes: &CharClasses) -> Trie {
        let start = nfa.start_state(Anchored::No).expect("an unanchored search is supported");
        let mut nodes = vec![Node { children: Vec::new(), state: start }];
        let mut child_of: HashMap<(usize, u16), usize> = HashMap::new();
        for pattern in patterns {
            let mut node = ROOT;
            for c in pattern.chars() {
                let class = classes.of(c);
                node = *child_of.entry((node, class)).or_insert_with(|| {
                    let mut state = nodes[node].state;
                    for &byte in c.to_ascii_lowercase().to_string().as_bytes() {
                        state = nfa.next_state(Anchored::No, state, byte);
                    }
                    nodes.push(Node { children: Vec::new(), state });
                    nodes.len() - 1
                });
            }
        }
        for (&(parent, class), &child) in &child_of {
            nodes[parent].children.push((class, child));
        }
        Trie { nodes }.breadth_first()
    }

    /// The same trie with its nodes numbered breadth first (those near the start, read most,
    /// near one another), each node's children by class.
    fn breadth_first(mut self) -> Trie {
        for node in &mut self.nodes {
            node.children.sort_unstable();
        }
        let mut order = vec![ROOT];
        let mut next = 0;
        while let Some(&node) = order.get(next) {
            next += 1;
            order.extend(self.nodes[node].children.iter().map(|&(_, child)| child));
        }
        let mut number = vec![0; self.nodes.len()];
        for (at, &node) in order.iter().enumerate() {
            number[node] = at;
        }
        let mut old: Vec<Option<Node>> = self.nodes.into_iter().map(Some).collect();
        let nodes = order
            .iter()
            .map(|&node| {
                let mut node = old[node].take().expect("each node once");
                node.children.iter_mut().for_each(|(_, child)| *child = number[*child]);
                node
            })
            .collect();
        Trie { nodes }
    }

    /// Each node's transitions that lead to a node two characters deep or more, by class:
    /// its children and, for the classes it has no child of, its failure node's (the
    /// longest proper end of its string that is a node). Every other class leads where it
    /// leads from the start. Built breadth first, a node's failure node before it.
    fn deep_transitions(&self) -> Vec<Vec<(u16, usize)>> {
        let mut lists: Vec<Vec<(u16, usize)>> = vec![Vec::new(); self.nodes.len()];
        let mut failure = vec![ROOT; self.nodes.len()];
        let from_start: HashMap<u16, usize> = self.nodes[ROOT].children.iter().copied().collect();
        let next = |lists: &[Vec<(u16, usize)>], node: usize, class: u16| {
            let list: &[(u16, usize)] = &lists[node];
            match list.binary_search_by_key(&class, |&(c, _)| c) {
                Ok(i) => list[i].1,
                Err(_) => from_start.get(&class).copied().unwrap_or(ROOT),
            }
        };
        for node in 0..self.nodes.len() {
            for &(class, child) in &self.nodes[node].children {
                if node != ROOT {
                    failure[child] = next(&lists, failure[node], class);
                }
            }
            if node == ROOT {
                continue;
            }
            let children = &self.nodes[node].children;
            let mut list = children.clone();
            let inherited = lists[failure[node]]
                .iter()
                .filter(|&&(class, _)| children.binary_search_by_key(&class, |&(c, _)| c).is_err());
            list.extend(inherited);
            list.sort_unstable();
            lists[node] = list;
        }
        lists
    }
}

/// A walk over `haystack` from the start state, a character at a time; at each state that
/// matches, its patterns in the byte automaton's order. Inlined where it is read, as
/// [`super::keywords::Walk`].
pub(super) struct CharWalk<'a> {
    automaton: &'a CharKeywordAutomaton,
    /// UTF-8: walked a character at a time.
    haystack: &'a [u8],
    state: u32,
    /// Bytes read: where the current state's matches end.
    at: usize,
    /// The current state's matches in `matched`: the next to give and the end.
    next_match: usize,
    matches: usize,
}

impl Iterator for CharWalk<'_> {
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
        }
    }
}

impl CharWalk<'_> {
    /// Walks on to the next state that matches; `None` at the end of the haystack. The
    /// state and position are kept in locals while the characters are read.
    #[inline(always)]
    fn walk_to_special(&mut self) -> Option<()> {
        let automaton = self.automaton;
        let (mut state, mut at) = (self.state, self.at);
        let found = loop {
            let Some((class, len)) = automaton.classes.at(self.haystack, at) else { break None };
            state = automaton.next(state, class);
            at += len;
            if state >= automaton.first_special {
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
    use proptest::prelude::*;

    use super::super::keywords::KeywordAutomaton;
    use super::*;

    /// The matches the library's own overlapping search finds.
    fn library(patterns: &[String], text: &str) -> Vec<(usize, usize, usize)> {
        let automaton = AhoCorasick::builder().ascii_case_insensitive(true).build(patterns).unwrap();
        automaton.find_overlapping_iter(text).map(|m| (m.pattern().as_usize(), m.start(), m.end())).collect()
    }

    fn walked(automaton: &CharKeywordAutomaton, text: &str) -> Vec<(usize, usize, usize)> {
        automaton.matches(text).collect()
    }

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    /// Keys that end in one another, begin inside one another and hold ASCII letters.
    const KEYS: [&str; 16] = [
        "退款",
        "款",
        "还没",
        "退款还没到",
        "款还",
        "atm错误",
        "visa验证",
        "错误",
        "误",
        "atm",
        "ü退",
        "😀款",
        "验证失败",
        "证失",
        "账户被锁",
        "户被",
    ];

    #[test]
    fn finds_what_the_overlapping_iterator_finds_in_its_order() {
        let patterns = strings(&KEYS);
        let many: Vec<String> = (0..3_000).map(|i| format!("词{i}语")).chain(patterns.clone()).collect();
        let texts = [
            "",
            "退款还没到 refund",
            "ATM错误，Visa验证失败",
            "aTm错误退款款还没到还没",
            "Ü退ü退😀款😀😀款",
            "x\u{10ffff}款\u{0}款",
            "账户被锁户被锁了，VISA驗證失败 词12语词2999语",
        ];
        for text in texts {
            for patterns in [&patterns, &many] {
                let expected = library(patterns, text);
                assert_eq!(walked(&CharKeywordAutomaton::new(patterns), text), expected, "{text}");
                // The byte automaton finds a key that begins with an ASCII letter or digit only
                // where a word begins.
                let bytes: Vec<_> = KeywordAutomaton::new(patterns).matches(text.as_bytes()).collect();
                assert_eq!(bytes, super::super::keywords::tests::library(patterns, text), "{text}");
            }
        }
    }

    #[test]
    fn stays_linear_on_a_key_repeated() {
        let patterns = strings(&KEYS);
        let automaton = CharKeywordAutomaton::new(&patterns);
        let hostile = "退款还没".repeat(100_000);
        // 退款, 款, 款还 and 还没 each time; 退款还没到 never whole, its failure links walked
        // over and over.
        assert_eq!(automaton.matches(&hostile).count(), 400_000);
        assert_eq!(walked(&automaton, &hostile), library(&patterns, &hostile));
    }

    /// A character of the keys (either ASCII case) or one of none, of 1 to 4 bytes.
    fn any_char() -> impl Strategy<Value = char> {
        let of_keys: Vec<char> = KEYS.iter().flat_map(|k| k.chars()).collect();
        prop_oneof![
            4 => proptest::sample::select(of_keys.clone()),
            2 => proptest::sample::select(of_keys).prop_map(|c| c.to_ascii_uppercase()),
            1 => proptest::sample::select(vec!['的', '了', ' ', 'x', 'Ü', 'é', '😀', '\u{0}', '款']),
        ]
    }

    proptest! {
        #[test]
        fn finds_what_the_library_finds_in_any_text_of_the_key_characters(
            text in proptest::collection::vec(any_char(), 0..60).prop_map(String::from_iter),
        ) {
            let patterns = strings(&KEYS);
            prop_assert_eq!(walked(&CharKeywordAutomaton::new(&patterns), &text), library(&patterns, &text));
        }

        #[test]
        fn finds_what_the_library_finds_for_any_keys(
            keys in proptest::collection::vec(
                proptest::collection::vec(any_char(), 1..5).prop_map(|k| String::from_iter(k).to_ascii_lowercase()),
                1..40,
            ),
            text in proptest::collection::vec(any_char(), 0..80).prop_map(String::from_iter),
        ) {
            let mut keys = keys;
            keys.sort();
            keys.dedup();
            prop_assert_eq!(walked(&CharKeywordAutomaton::new(&keys), &text), library(&keys, &text));
        }
    }
}
