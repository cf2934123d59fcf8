//! Classify stage, the keyword matches of one field value that stand where their pattern
//! may, put by what they stand for as they are found: the proximity words apart, with the
//! groups each proximity matcher has met so far.
//!
//! Why apart: most of a mail's matches are proximity words (17.8 of 18.9 in a banking77
//! mail), and most proximity matchers meet the words of one group only. Weighed with the
//! keywords, every one of them was looked at twice more and gathered by matcher before the
//! groups were counted.

use super::context::Span;
use super::index::{KeywordPattern, Role};

/// The matches kept from one field value, in the automaton's order within each list.
#[derive(Default)]
pub(super) struct Found {
    /// Keywords, `except` phrases, negation cues and misspellings: (pattern, span).
    pub(super) words: Vec<(usize, Span)>,
    /// Proximity words: (pattern, span).
    pub(super) near: Vec<(usize, Span)>,
    /// For each proximity matcher, bit `g` when a word of its group `g` was found (a group
    /// past 63 counts as 63: a matcher of more than 64 groups is left to the full check).
    groups: Vec<u64>,
    /// The proximity matchers with a word found, in the order of their first.
    pub(super) near_matchers: Vec<usize>,
    /// A misspelling of the vocabulary was found.
    pub(super) typo: bool,
}

impl Found {
    /// Empties the lists, and makes room for matchers `0..matchers`.
    pub(super) fn clear(&mut self, matchers: usize) {
        self.words.clear();
        self.near.clear();
        for matcher in self.near_matchers.drain(..) {
            self.groups[matcher] = 0;
        }
        if self.groups.len() < matchers {
            self.groups.resize(matchers, 0);
        }
        self.typo = false;
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
                let seen = &mut self.groups[p.matcher];
                if *seen == 0 {
                    self.near_matchers.push(p.matcher);
                }
                *seen |= 1 << group.min(63);
                self.near.push((pattern, at));
            }
            Role::Typo => {
                self.typo = true;
                self.words.push((pattern, at));
            }
            _ => self.words.push((pattern, at)),
        }
    }

    /// The groups met by proximity matcher `matcher`'s words (bit `g` for group `g`).
    pub(super) fn groups(&self, matcher: usize) -> u64 {
        self.groups[matcher]
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
        assert_eq!(found.near, [(0, at(0)), (2, at(2)), (3, at(3))]);
        assert_eq!(found.near_matchers, [2, 3]);
        assert_eq!(found.groups(2), 0b10 | 1 << 63);
        assert!(!found.typo && found.len() == 4);
        found.push(4, at(4), &pattern(usize::MAX, Role::Typo));
        assert!(found.typo);
        found.clear(4);
        assert_eq!((found.len(), found.groups(2), found.near_matchers.len()), (0, 0, 0));
    }
}
