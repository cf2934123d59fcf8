//! Classify stage, what fired in one mail: a bit per matcher and, for `--explain`, the words
//! each matcher found.

use std::borrow::Cow;

use super::Evidence;
use super::opinion::MoreQuestions;

/// How many words of matcher bits [`FiredBits`] holds in place: 1,024 matchers, several
/// times what the rules have.
const INLINE_WORDS: usize = 16;

/// One bit a matcher, set when it fired (or a rule, to try: see [`super::watch`]): in place
/// up to [`INLINE_WORDS`] words and on the heap after them only for rule sets that large (a
/// vector of them all was a heap allocation a mail).
#[derive(Debug, Clone, Default)]
pub(super) struct FiredBits {
    inline: [u64; INLINE_WORDS],
    more: Vec<u64>,
    /// How many words the bits of every matcher take: the ones read by [`FiredBits::ones`].
    words: usize,
}

impl FiredBits {
    /// None fired yet, of `matchers` matchers.
    pub(super) fn new(matchers: usize) -> FiredBits {
        let words = matchers.div_ceil(64);
        let more = vec![0; words.saturating_sub(INLINE_WORDS)];
        FiredBits { inline: [0; INLINE_WORDS], more, words }
    }

    /// The bits set, in order.
    pub(super) fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.words).flat_map(move |w| {
            let mut bits = self.word(w);
            std::iter::from_fn(move || {
                let bit = (bits != 0).then(|| w * 64 + bits.trailing_zeros() as usize);
                bits &= bits.wrapping_sub(1);
                bit
            })
        })
    }

    /// Word `w` of the bits (0 past the last matcher).
    #[inline(always)]
    pub(super) fn word(&self, w: usize) -> u64 {
        match self.inline.get(w) {
            Some(bits) => *bits,
            None => self.more.get(w - INLINE_WORDS).copied().unwrap_or(0),
        }
    }

    pub(super) fn set(&mut self, id: usize) {
        let (w, bit) = (id / 64, 1 << (id % 64));
        self.words = self.words.max(w + 1);
        match self.inline.get_mut(w) {
            Some(bits) => *bits |= bit,
            None => {
                let at = w - INLINE_WORDS;
                if self.more.len() <= at {
                    self.more.resize(at + 1, 0);
                }
                self.more[at] |= bit;
            }
        }
    }
}

/// Which matchers fired in one mail and, when the rules are explained, on which words.
pub(super) struct Hits<'r> {
    /// Bit `id` is set when matcher `id` fired.
    pub(super) fired: FiredBits,
    /// For `--explain` only (empty otherwise): where each matcher fired and on which words.
    pub(super) by_matcher: Vec<Option<Hit<'r>>>,
    /// Cues that the customer asks a second question ("also", 另外) or counts questions
    /// ("two questions", 两件事) that were found.
    pub(super) more_questions: MoreQuestions,
    /// The text from the first cue that the real question starts after context told first
    /// ("…已经顺利到卡上了。我想问一下花呗的额度…"), when there is one.
    pub(super) question: Option<String>,
    /// What follows the last sentence of thanks for a settled matter, when the mail has one
    /// ("…got reversed, much appreciated. Is there a way to …"): the second opinion reads it
    /// alone, as the question the mail asks.
    pub(super) asked_after_thanks: Option<String>,
}

impl<'r> Hits<'r> {
    /// No matcher fired yet; `keep_words` makes room for the words of each.
    pub(super) fn new(matchers: usize, keep_words: bool) -> Hits<'r> {
        let by_matcher = if keep_words { vec![None; matchers] } else { Vec::new() };
        Hits {
            fired: FiredBits::new(matchers),
            by_matcher,
            more_questions: MoreQuestions::None,
            question: None,
            asked_after_thanks: None,
        }
    }

    /// Marks matcher `id` of field `field` as fired; `word` is read only when words are kept.
    pub(super) fn record(&mut self, field: &'r str, id: usize, word: impl FnOnce() -> Cow<'r, str>) {
        self.fired.set(id);
        if let Some(entry) = self.by_matcher.get_mut(id) {
            let entry = entry.get_or_insert_with(|| Hit { field, matched: Vec::new() });
            let word = word();
            if !entry.matched.contains(&word) {
                entry.matched.push(word);
            }
        }
    }

    pub(super) fn has_fired(&self, id: usize) -> bool {
        self.fired.word(id / 64) & (1 << (id % 64)) != 0
    }
}

/// A matcher that fired: on which field, and (for `--explain` only, see [`Hits`]) the words
/// it found there, borrowed from the rule set where they can be; those become [`Evidence`].
#[derive(Debug, Clone)]
pub(super) struct Hit<'r> {
    field: &'r str,
    matched: Vec<Cow<'r, str>>,
}

impl Hit<'_> {
    pub(super) fn evidence(&self) -> Evidence {
        Evidence {
            field: self.field.to_string(),
            matched: self.matched.iter().map(|w| w.to_string()).collect(),
        }
    }
}
