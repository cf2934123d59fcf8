//! Classify stage, second opinion: adding up a mail's features. Each feature the model knows
//! adds its row of weights to the categories' scores as the text is read, a Latin one the
//! first time only ([`CountedOnce`] when training, [`Seen`] when predicting).

use crate::rules::features::{Kind, Sink, features};
use crate::rules::weights::{Lines, Weights, lanes_in};

/// Which Latin words and word pairs of one text have been counted: the model counts each once
/// however often it occurs (binarised naive Bayes: "refund" said three times is no more a
/// refund question than said once), and each Chinese character and pair as often as it
/// occurs. Measured on the phrasing sets, against counting every occurrence: English
/// held-out useful answers 381 -> 386 of 473 with 8 wrong canned answers either way, dev 799
/// -> 803 useful and 18 -> 17 wrong. Counting Chinese features once too cost zh-Hant 4 more
/// wrong answers on dev and on held-out, so they are counted as before.
///
/// This is the rule as training keeps it, for an example's features (the model does not know
/// them yet: they have no row); a mail's are told by their rows ([`Seen`]). A text has a few
/// dozen such features. A 256-bit filter answers "not seen yet" for nearly all of them at
/// once; only when it cannot are the features counted so far looked through (kept inline, a
/// long mail spilling over into the heap).
#[derive(Default)]
pub(super) struct CountedOnce {
    filter: [u64; 4],
    inline: [u64; 32],
    len: usize,
    more: Vec<u64>,
}

impl CountedOnce {
    /// Whether the feature `hash` that starts at byte `start` of `text` is to be counted:
    /// a Chinese one always, a Latin one the first time.
    #[inline]
    pub(super) fn counts(&mut self, text: &str, start: usize, hash: u64) -> bool {
        !text.as_bytes()[start].is_ascii() || self.first(hash)
    }

    /// Whether the Latin feature `hash` is seen for the first time (and remembers it).
    #[inline]
    fn first(&mut self, hash: u64) -> bool {
        let bit = (hash >> 32) as usize & 255;
        let (word, mask) = (bit / 64, 1u64 << (bit % 64));
        if self.filter[word] & mask != 0
            && (self.inline[..self.len].contains(&hash) || self.more.contains(&hash))
        {
            return false;
        }
        self.filter[word] |= mask;
        if self.len < self.inline.len() {
            self.inline[self.len] = hash;
            self.len += 1;
        } else {
            self.more.push(hash);
        }
        true
    }
}

/// Which rows of the model a mail has counted, for [`CountedOnce`]'s rule when predicting: a
/// stamp per row, the mail's number where the mail has counted it. The features the model
/// knows are told by their row, one load and one store, and nothing is cleared between
/// mails (a filter of the mail's hashes, cleared each mail, then a search of those counted
/// where the filter could not tell, two in five times, were a third of adding up an English
/// mail). Two bytes a row: the stamps are cleared once in 65,535 mails.
#[derive(Default)]
pub(super) struct Seen {
    stamps: Vec<u16>,
    mail: u16,
}

impl Seen {
    /// Starts a mail read with a model of `rows` rows.
    #[inline]
    pub(super) fn start(&mut self, rows: usize) {
        self.mail = self.mail.wrapping_add(1);
        if self.mail == 0 {
            self.stamps.fill(0);
            self.mail = 1;
        }
        if self.stamps.len() < rows {
            self.stamps.resize(rows, 0);
        }
    }

    /// Whether row `row` is counted for the first time this mail (and remembers it).
    #[inline(always)]
    fn first(&mut self, row: usize) -> bool {
        let stamp = &mut self.stamps[row];
        let first = *stamp != self.mail;
        *stamp = self.mail;
        first
    }
}

/// Adds up into `scores` the rows of the features of `text` that the model knows, `N` lanes
/// each (the model's [`Weights::lanes`]), and tells how many it knows: a Latin feature counts
/// the first time only ([`Seen`]). The sums are an array of `N` the compiler keeps in
/// registers, a row added with no loop: with the lanes a length known only when the model is
/// trained, each row was a loop (a sixth of the model's instructions on an English mail).
///
/// Each feature is looked up as [`features`] reads it ([`Adder`], inlined there), where the
/// features were pushed to a vector and looked up after in a loop of their own: storing and
/// loading each again cost more than it saved. Instructions per classified mail (callgrind)
/// banking77 13,618 -> 13,449, cathay 14,177 -> 13,961, afqmc 13,061 -> 12,855, support
/// 22,185 -> 22,011; the model alone (`deskmail-bench opinion`) cathay 0.79 -> 0.72 µs a mail,
/// banking77 0.64-0.65 either way (the look-ups wait on memory no longer than in a loop of
/// their own).
#[inline]
pub(super) fn sum_rows<const N: usize>(
    weights: &Weights,
    text: &str,
    seen: &mut Seen,
    scores: &mut [f32],
) -> usize {
    let mut adder = Adder::<N> { lines: weights.lines(), stamps: &mut seen.stamps, mail: seen.mail };
    let Sums { sums, known } = features(text, &mut adder);
    scores[..N].copy_from_slice(&sums);
    known
}

/// What [`sum_rows`] reads each feature with: the rows, and which of them the mail has
/// counted.
struct Adder<'a, const N: usize> {
    lines: Lines<'a>,
    stamps: &'a mut [u16],
    mail: u16,
}

/// What [`sum_rows`] adds up: the sums, `N` lanes, and how many features the model knows.
/// Kept by [`features`] in a variable of its own: kept in the adder, which `features` took
/// and gave back by value, they were stored to memory at every row (instructions per
/// classified mail banking77 13,449 -> 13,237, cathay 13,961 -> 13,656).
struct Sums<const N: usize> {
    sums: [f32; N],
    known: usize,
}

impl<const N: usize> Default for Sums<N> {
    fn default() -> Self {
        Sums { sums: [0.0; N], known: 0 }
    }
}

impl<const N: usize> Sink for Adder<'_, N> {
    type Sum = Sums<N>;

    #[inline(always)]
    fn feature(&mut self, sum: &mut Sums<N>, hash: u64, kind: Kind, _: usize, _: usize) {
        if let Some((row, line)) = self.lines.find(hash, kind)
            && (kind != Kind::Latin || first(self.stamps, self.mail, row))
        {
            sum.known += 1;
            add_row(&mut sum.sums, lanes_in::<N>(line));
        }
    }
}

/// Whether row `row` is counted for the first time this mail (and remembers it).
#[inline(always)]
fn first(stamps: &mut [u16], mail: u16, row: usize) -> bool {
    let stamp = &mut stamps[row];
    let first = *stamp != mail;
    *stamp = mail;
    first
}

/// [`sum_rows`] for any number of lanes (a model of more than twelve categories).
#[inline]
pub(super) fn sum_any_rows(weights: &Weights, text: &str, seen: &mut Seen, scores: &mut [f32]) -> usize {
    let mut known = 0;
    features(text, &mut |hash, kind, _, _| {
        if let Some(row) = weights.row_of(hash, kind)
            && (kind != Kind::Latin || seen.first(row))
        {
            known += 1;
            add_row(scores, &weights.lanes_of(row)[..scores.len()]);
        }
    });
    known
}

/// Adds a feature's weights (one per category, and zeros up to a multiple of four: see
/// [`lanes_in`]) to the scores, four at a time: lanes of a fixed width that the
/// compiler turns into vector additions. Each lane of four is read whole, added and written
/// back whole: added and stored lane by lane in place, the compiler kept them four scalar
/// additions (a fifth of the model's instructions on an English mail).
#[inline]
fn add_row(scores: &mut [f32], row: &[f32]) {
    let (score_lanes, score_rest) = scores.as_chunks_mut::<4>();
    let (row_lanes, row_rest) = row.as_chunks::<4>();
    for (s, w) in score_lanes.iter_mut().zip(row_lanes) {
        let (a, b) = (*s, *w);
        *s = [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]];
    }
    for (s, w) in score_rest.iter_mut().zip(row_rest) {
        *s += w;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_text_counts_each_latin_feature_once_past_the_inline_ones() {
        let mut counted = CountedOnce::default();
        let text = "a 退";
        let hashes: Vec<u64> = (1..=100u64).map(|n| n.wrapping_mul(0x9e37_79b9_7f4a_7c15)).collect();
        assert!(hashes.iter().all(|h| counted.counts(text, 0, *h)), "each the first time");
        assert!(hashes.iter().all(|h| !counted.counts(text, 0, *h)), "none the second time");
        assert!(
            counted.counts(text, 2, hashes[0]) && counted.counts(text, 2, hashes[0]),
            "Chinese: each time"
        );
    }

    #[test]
    fn a_row_is_counted_once_a_mail_and_again_the_next_even_when_the_stamps_wrap() {
        let mut seen = Seen::default();
        for mail in 0..70_000u32 {
            seen.start(3);
            let row = (mail % 3) as usize;
            assert!(seen.first(row), "mail {mail}");
            assert!(!seen.first(row), "mail {mail}");
            assert!(seen.first((row + 1) % 3), "mail {mail}");
        }
    }
}
