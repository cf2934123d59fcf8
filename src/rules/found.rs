//! Classify stage, the keyword matches of one field value that stand where their pattern
//! may, put by what they stand for as they are found: the proximity words apart, with the
//! groups each proximity matcher has met so far.
//!
//! Why apart: most of a mail's matches are proximity words (17.8 of 18.9 in a banking77
//! mail), and most proximity matchers meet the words of one group only. Weighed with the
//! keywords, every one of them was looked at twice more and gathered by matcher before the
//! groups were counted.
//!
//! Why chained by matcher: a proximity matcher whose groups are all met is weighed on its
//! own words. Found by walking every proximity word of every matcher, that cost some 440
//! instructions a banking77 mail; a list per matcher cost as much again to push to and to
//! clear, and a link from each word to its matcher's next, written into the word before,
//! two thirds of it. Each word tells its matcher's word before it instead.

use super::context::Span;
use super::index::{KeywordPattern, Role};

/// One proximity word found.
#[derive(Clone, Copy)]
struct NearWord {
    /// Its group, as a u32 beside `before` (a word is 24 bytes, as a (pattern, span) was).
    group: u32,
    /// The index in `near` of the word of the same matcher found before it, or
    /// [`NearWord::FIRST`].
    before: u32,
    at: Span,
}

impl NearWord {
    const FIRST: u32 = u32::MAX;
}

/// One proximity matcher's words found so far.
#[derive(Clone, Copy, Default)]
struct NearOf {
    /// Bit `g` when a word of its group `g` was found (a group past 63 counts as 63: a
    /// matcher of more than 64 groups is left to the full check).
    groups: u64,
    /// The index in `near` of its last word.
    last: u32,
    /// The [`Found::value`] these were found in: from an earlier value, they are none.
    value: u32,
}

/// The matches kept from one field value, in the automaton's order within each list.
#[derive(Default)]
pub(super) struct Found {
    /// Keywords, `except` phrases, negation cues and misspellings: (pattern, span).
    pub(super) words: Vec<(usize, Span)>,
    /// Proximity words, each telling the word of its matcher found before it.
    near: Vec<NearWord>,
    /// For each proximity matcher, the groups its words met and where its chain runs.
    near_of: Vec<NearOf>,
    /// The number of the field value the lists are for (from 1): what [`NearOf`] an earlier
    /// one left is told by its number, not cleared (resetting each matcher with a word found
    /// was most of clearing, some 100 instructions a banking77 mail).
    value: u32,
    /// The proximity matchers with a word found, in the order of their first.
    near_matchers: Vec<usize>,
    /// A misspelling of the vocabulary was found.
    pub(super) typo: bool,
}

impl Found {
    /// Empties the lists, and makes room for matchers `0..matchers`.
    pub(super) fn clear(&mut self, matchers: usize) {
        self.words.clear();
        self.near.clear();
        self.near_matchers.clear();
        self.next_value();
        if self.near_of.len() < matchers {
            self.near_of.resize(matchers, NearOf::default());
        }
        self.typo = false;
    }

    /// Numbers the next field value; once the numbers run out, every matcher's words are
    /// forgotten and they start again.
    fn next_value(&mut self) {
        self.value = self.value.wrapping_add(1);
        if self.value == 0 {
            self.near_of.fill(NearOf::default());
            self.value = 1;
        }
    }

    /// How many matches were kept.
    #[inline(always)]
    pub(super) fn len(&self) -> usize {
        self.words.len() + self.near.len()
    }

    /// Keeps the match of `pattern` (`p`) at `at`.
    #[inline(always)]
    pub(super) fn push(&mut self, pattern: usize, at: Span, p: &KeywordPattern) {
        match p.role {
            Role::Near(group) => {
                // More words than a u32 counts are never kept (`context::MAX_MATCHES`), nor
                // groups (a rule's proximity groups are written out in its file).
                let index = self.near.len() as u32;
                let of = &mut self.near_of[p.matcher];
                let before = if of.value != self.value {
                    self.near_matchers.push(p.matcher);
                    *of = NearOf { groups: 0, last: 0, value: self.value };
                    NearWord::FIRST
                } else {
                    of.last
                };
                of.last = index;
                of.groups |= 1 << group.min(63);
                self.near.push(NearWord { group: group as u32, before, at });
            }
            Role::Typo => {
                self.typo = true;
                self.words.push((pattern, at));
            }
            _ => self.words.push((pattern, at)),
        }
    }

    /// The proximity matchers with a word found, in the order of their first, each with the
    /// groups met (bit `g` for group `g`): theirs are of this value, told without asking.
    pub(super) fn near_matchers(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        self.near_matchers.iter().map(|&matcher| (matcher, self.near_of[matcher].groups))
    }

    /// Proximity matcher `matcher`'s words found in this value, if it has any.
    fn near_of(&self, matcher: usize) -> Option<NearOf> {
        Some(self.near_of[matcher]).filter(|of| of.value == self.value)
    }

    /// Puts in `words` proximity matcher `matcher`'s words that `keep`, (group, span), in the
    /// order found (after what `words` held).
    pub(super) fn near_words(
        &self,
        matcher: usize,
        words: &mut Vec<(usize, Span)>,
        mut keep: impl FnMut(Span) -> bool,
    ) {
        let from = words.len();
        let mut at = self.near_of(matcher).map_or(NearWord::FIRST, |of| of.last);
        while let Some(word) = self.near.get(at as usize) {
            if keep(word.at) {
                words.push((word.group as usize, word.at));
            }
            at = word.before;
        }
        words[from..].reverse();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(matcher: usize, role: Role) -> KeywordPattern {
        KeywordPattern {
            matcher,
            word: "w".into(),
            exact: false,
            left_boundary: true,
            right_boundary: true,
            role,
        }
    }

    #[test]
    fn proximity_words_are_kept_apart_with_their_groups() {
        let mut found = Found::default();
        found.clear(4);
        let at = |start| Span { start, end: start + 1 };
        found.push(0, at(0), &pattern(2, Role::Near(1)));
        found.push(1, at(1), &pattern(1, Role::Keyword));
        found.push(2, at(2), &pattern(3, Role::Near(0)));
        found.push(3, at(3), &pattern(2, Role::Near(70)));
        assert_eq!(found.words, [(1, at(1))]);
        let near_words = |found: &Found, matcher| {
            let mut words = vec![(9, at(9))];
            found.near_words(matcher, &mut words, |_| true);
            words
        };
        assert_eq!(near_words(&found, 2), [(9, at(9)), (1, at(0)), (70, at(3))]);
        assert_eq!(near_words(&found, 3), [(9, at(9)), (0, at(2))]);
        assert_eq!(near_words(&found, 1), [(9, at(9))]);
        let mut kept = Vec::new();
        found.near_words(2, &mut kept, |at| at.start == 3);
        assert_eq!(kept, [(70, at(3))]);
        assert_eq!(found.near_matchers().collect::<Vec<_>>(), [(2, 0b10 | 1 << 63), (3, 1)]);
        assert!(!found.typo && found.len() == 4);
        found.push(4, at(4), &pattern(usize::MAX, Role::Typo));
        assert!(found.typo);
        found.clear(4);
        assert_eq!((found.len(), found.near_matchers().count()), (0, 0));
        assert_eq!(near_words(&found, 2), [(9, at(9))]);
        // A matcher's words of the value before are forgotten, also once the numbers wrap.
        for value in [found.value, u32::MAX] {
            found.value = value;
            found.push(5, at(5), &pattern(2, Role::Near(0)));
            found.clear(4);
            found.push(6, at(6), &pattern(2, Role::Near(1)));
            assert_eq!(found.near_matchers().collect::<Vec<_>>(), [(2, 0b10)]);
            assert_eq!(near_words(&found, 2), [(9, at(9)), (1, at(6))]);
            found.clear(4);
        }
        assert_eq!(found.value, 2);
    }
}
