//! Classify stage, second opinion: multinomial naive Bayes models over words, word pairs and
//! Chinese character unigrams and bigrams, one per language and one pooled, trained when the
//! rules load from examples kept beside them. It never decides alone: it checks the rules
//! (see `opinion.rs`).
//!
//! Features (`features.rs`) are hashed and looked up as the text is read, in buffers kept from
//! one mail to the next, so scoring a mail allocates only its ranking; `explain` reads the same
//! features with their spans for `--explain`.

use std::cell::RefCell;

use super::features::{Kind, Sink, features};
use super::weights::{Lines, Weights, lanes_in};
use crate::parse::lang::Language;

mod normal;
mod training;

pub(super) use normal::Folded;
use normal::{normalise, normalised};

/// The posterior is a softmax of the log-likelihoods divided by this power of the number of
/// known features: naive Bayes counts correlated n-grams as independent evidence and would
/// otherwise be near-certain about every mail. 0.45 rather than 0.5 since the models are per
/// language: on the development sets, 5 fewer wrong canned answers for 7 fewer right ones,
/// and 0.5 points more Traditional Chinese recall (suggestions).
const TEMPERATURE_POWER: f32 = 0.45;

/// The temperature of a mail of `known` known features: `known` to the power of
/// [`TEMPERATURE_POWER`], at least 1.
fn temperature(known: usize) -> f32 {
    (known as f32).powf(TEMPERATURE_POWER).max(1.0)
}

/// How many counts of known features [`Model::temperatures`] holds: all but the longest
/// mails'.
const TEMPERATURES: usize = 1024;

/// One training example: a text, the category a person gave it and the language it is in.
#[derive(Debug, Clone)]
pub struct Example {
    pub category: String,
    pub text: String,
    /// Which language's model it teaches (every example teaches the pooled one too).
    pub language: Language,
}

/// The trained model: one naive Bayes per language that has enough examples of every
/// category, and one pooled over all examples for the languages that do not.
///
/// Why per language: a naive Bayes's word probabilities for a category are its word counts
/// over its total, and that total is shared by all languages. Pooled, a category grown in
/// one language (150 Chinese lines for `other`) makes every English word less likely under
/// it, and English mails drift away from it. Each language's own model counts only its own
/// examples, so examples in one language no longer move another's opinions.
#[derive(Debug, Default)]
pub struct Model {
    categories: Vec<String>,
    /// Trained on every example, for a language without a model of its own.
    pooled: Weights,
    /// The languages with a model of their own (at least [`MIN_PER_CATEGORY`] examples of
    /// every category), each with its weights.
    own: Vec<(Language, Weights)>,
    examples: usize,
    /// [`temperature`] of each count of known features up to [`TEMPERATURES`], computed when
    /// the model is trained (the same `powf`, so the same numbers): the power was some 60
    /// instructions a mail.
    temperatures: Vec<f32>,
}

/// A language gets a model of its own when it has this many examples of every category or
/// more; with fewer, a category it has (nearly) no examples of would never be its opinion,
/// so its mails are read with the pooled model.
pub const MIN_PER_CATEGORY: usize = 20;

/// The model's view of one mail: each category's probability, in the model's order of
/// categories (ranked only when asked: a mail's decision needs the best one and the
/// probability of one other, and ranking them all was a twentieth of classifying). The
/// names are the model's own, borrowed: ten new strings (or ten reference counts to raise
/// and lower) a mail cost more than the softmax.
///
/// The probabilities are kept in place (up to [`INLINE_CATEGORIES`] of them) beside the
/// model's list of names, and the best is found once, when they are computed: a vector of
/// (name, probability) was an allocation and a free a mail, and the decision asks for the
/// best up to five times.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction<'m> {
    /// The model's categories, in its order.
    categories: &'m [String],
    /// Each one's probability, in the same order (none when the model has no opinion).
    probabilities: Probabilities,
    /// The index of the best one: the most probable, the earlier of equal ones.
    best: Option<usize>,
    /// How many of the mail's features the model knows (0: it has no opinion).
    pub known: usize,
}

/// How many categories' probabilities a [`Prediction`] keeps in place; a model of more
/// keeps them on the heap.
const INLINE_CATEGORIES: usize = 16;

#[derive(Debug, Clone, PartialEq)]
enum Probabilities {
    Inline([f32; INLINE_CATEGORIES], usize),
    Heap(Vec<f32>),
}

impl Probabilities {
    fn new(values: &[f32]) -> Probabilities {
        match values.len() {
            len @ 0..=INLINE_CATEGORIES => {
                let mut inline = [0.0; INLINE_CATEGORIES];
                inline[..len].copy_from_slice(values);
                Probabilities::Inline(inline, len)
            }
            _ => Probabilities::Heap(values.to_vec()),
        }
    }

    fn as_slice(&self) -> &[f32] {
        match self {
            Probabilities::Inline(values, len) => &values[..*len],
            Probabilities::Heap(values) => values,
        }
    }
}

impl<'m> Prediction<'m> {
    /// The prediction of `probabilities`, one for each of `categories` (none: no opinion).
    fn new(categories: &'m [String], probabilities: &[f32], known: usize) -> Prediction<'m> {
        Prediction {
            categories,
            probabilities: Probabilities::new(probabilities),
            best: best(probabilities),
            known,
        }
    }

    /// A prediction of these categories and probabilities, for tests.
    #[cfg(test)]
    pub fn of(ranked: &[(&str, f32)], known: usize) -> Prediction<'static> {
        let categories: Vec<String> = ranked.iter().map(|(c, _)| c.to_string()).collect();
        let probabilities: Vec<f32> = ranked.iter().map(|(_, p)| *p).collect();
        Prediction::new(categories.leak(), &probabilities, known)
    }

    /// Each category and its probability, in the model's order of categories.
    pub fn probabilities(&self) -> impl Iterator<Item = (&'m str, f32)> + '_ {
        self.categories.iter().map(String::as_str).zip(self.probabilities.as_slice().iter().copied())
    }

    /// The best category and its probability.
    pub fn top(&self) -> Option<(&'m str, f32)> {
        let best = self.best?;
        Some((self.categories[best].as_str(), self.probabilities.as_slice()[best]))
    }

    /// The categories by probability, best first, equal ones in the categories' order: each
    /// category's place is the number that come before it, counted without a branch (a sort
    /// of ten categories mispredicted a branch at nearly every step).
    pub fn ranked(&self) -> Vec<(&'m str, f32)> {
        let probabilities = self.probabilities.as_slice();
        let keys: Vec<i64> = probabilities.iter().enumerate().map(|(i, p)| rank_key(*p, i)).collect();
        let mut ranked = vec![("", 0.0); keys.len()];
        for (category, key) in self.probabilities().zip(&keys) {
            let before = keys.iter().filter(|other| *other > key).count();
            ranked[before] = category;
        }
        ranked
    }

    /// The probability of `category` (0 when unknown to the model).
    pub fn probability(&self, category: &str) -> f32 {
        self.probabilities().find(|(c, _)| *c == category).map_or(0.0, |(_, p)| p)
    }
}

/// What weighed most for the top category, for `--explain`.
#[derive(Debug, Clone)]
pub struct Explanation<'m> {
    pub prediction: Prediction<'m>,
    /// Words (or character pairs) with how much they favoured the top category over the
    /// average of the others (natural log units).
    pub words: Vec<(String, f32)>,
}

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
struct CountedOnce {
    filter: [u64; 4],
    inline: [u64; 32],
    len: usize,
    more: Vec<u64>,
}

impl CountedOnce {
    /// Whether the feature `hash` that starts at byte `start` of `text` is to be counted:
    /// a Chinese one always, a Latin one the first time.
    fn counts(&mut self, text: &str, start: usize, hash: u64) -> bool {
        !text.as_bytes()[start].is_ascii() || self.first(hash)
    }

    /// Whether the Latin feature `hash` is seen for the first time (and remembers it).
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

/// What `predict` reads of a mail and works in, kept from one mail to the next so that none
/// is allocated again: the normalised text, the scores of the categories and the rows it has
/// counted.
#[derive(Default)]
struct Read {
    normal: String,
    scores: Vec<f32>,
    seen: Seen,
}

/// Which rows of the model a mail has counted, for [`CountedOnce`]'s rule when predicting: a
/// stamp per row, the mail's number where the mail has counted it. The features the model
/// knows are told by their row, one load and one store, and nothing is cleared between
/// mails (a filter of the mail's hashes, cleared each mail, then a search of those counted
/// where the filter could not tell, two in five times, were a third of adding up an English
/// mail). Two bytes a row: the stamps are cleared once in 65,535 mails.
#[derive(Default)]
struct Seen {
    stamps: Vec<u16>,
    mail: u16,
}

impl Seen {
    /// Starts a mail read with a model of `rows` rows.
    fn start(&mut self, rows: usize) {
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

thread_local! {
    static READ: RefCell<Read> = RefCell::default();
}

impl Model {
    /// The languages with a model of their own; the others are read with the pooled model.
    pub fn own_languages(&self) -> Vec<Language> {
        self.own.iter().map(|(l, _)| *l).collect()
    }

    /// Which model reads a mail in `language`: the language's own (its tag) or `pooled`.
    pub fn reads_with(&self, language: Language) -> &'static str {
        self.own.iter().find(|(l, _)| *l == language).map_or("pooled", |(l, _)| l.tag())
    }

    /// The weights that read a mail in `language`: its own, or the pooled ones.
    fn weights_for(&self, language: Language) -> &Weights {
        self.own.iter().find(|(l, _)| *l == language).map_or(&self.pooled, |(_, w)| w)
    }

    /// How many examples it learnt from.
    pub fn examples(&self) -> usize {
        self.examples
    }

    /// How many features (words, word pairs, characters, character pairs) it knows.
    pub fn features(&self) -> usize {
        self.pooled.len()
    }

    /// The categories it knows.
    pub fn categories(&self) -> &[String] {
        &self.categories
    }

    /// The model's opinion of `text`, a mail in `language`.
    ///
    /// Each feature is looked up as it is read ([`sum_rows`]).
    pub fn predict(&self, text: &str, language: Language) -> Prediction<'_> {
        self.predict_folded(text, &Folded::Unknown, language)
    }

    /// [`Model::predict`] of a text the keyword scan has folded to Simplified characters
    /// already, as `folded` tells: on Chinese mail, folding it again was a seventh of
    /// classifying it.
    pub(super) fn predict_folded(&self, text: &str, folded: &Folded, language: Language) -> Prediction<'_> {
        let weights = self.weights_for(language);
        READ.with_borrow_mut(|read| {
            let Read { normal, scores, seen } = read;
            seen.start(weights.len());
            scores.clear();
            scores.resize(weights.lanes(), 0.0);
            let text = normalised(text, folded, normal);
            let known = match (weights.one_line(), weights.lanes()) {
                (true, 4) => sum_rows::<4>(weights, text, seen, scores),
                (true, 8) => sum_rows::<8>(weights, text, seen, scores),
                (true, 12) => sum_rows::<12>(weights, text, seen, scores),
                _ => sum_any_rows(weights, text, seen, scores),
            };
            scores.truncate(self.categories.len());
            self.rank(scores, known)
        })
    }

    /// The prediction and the features that favoured its top category most.
    pub fn explain(&self, text: &str, language: Language, n: usize) -> Explanation<'_> {
        let prediction = self.predict(text, language);
        let weights = self.weights_for(language);
        let mut normal = String::new();
        normalise(text, &Folded::Unknown, &mut normal);
        let k = self.categories.len();
        let top = prediction.top().and_then(|(c, _)| self.categories.iter().position(|x| x == c));
        let mut words: Vec<(String, f32)> = Vec::new();
        if let (Some(top), true) = (top, k > 1) {
            features(&normal, &mut |hash, _, start, end| {
                let Some(row) = weights.get(hash) else { return };
                let others = (row.iter().sum::<f32>() - row[top]) / (k - 1) as f32;
                let word = normal[start..end].to_string();
                if !words.iter().any(|(w, _)| *w == word) {
                    words.push((word, row[top] - others));
                }
            });
        }
        words.sort_by(|a, b| b.1.total_cmp(&a.1));
        words.truncate(n);
        Explanation { prediction, words }
    }

    /// The prediction from the categories' `scores` (log-likelihoods, turned into
    /// probabilities in place).
    fn rank(&self, scores: &mut [f32], known: usize) -> Prediction<'_> {
        if known == 0 || self.categories.is_empty() {
            return Prediction::new(&[], &[], known);
        }
        let temperature = self.temperatures.get(known).copied().unwrap_or_else(|| temperature(known));
        // Plain loops (the same operations in the same order): for a dozen categories, the
        // compiler's vector loops, and their care for NaN in `f32::max` (which a greater-than
        // ignores as it does), cost more than they saved. See [`best`].
        let max = scores.iter().fold(f32::MIN, |max, s| if *s > max { *s } else { max });
        let mut sum = -0.0;
        for s in scores.iter_mut() {
            *s = ((*s - max) / temperature).exp();
            sum += *s;
        }
        scores.iter_mut().for_each(|s| *s /= sum);
        Prediction::new(&self.categories, scores, known)
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
fn sum_rows<const N: usize>(weights: &Weights, text: &str, seen: &mut Seen, scores: &mut [f32]) -> usize {
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
fn sum_any_rows(weights: &Weights, text: &str, seen: &mut Seen, scores: &mut [f32]) -> usize {
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

/// The index of the best of `probabilities`: the highest in the order of [`f32::total_cmp`],
/// the earlier of equal ones, as [`rank_key`] ranks them. One comparison a category, where
/// the compiler took the largest `rank_key` of all in vectors of two, and for a dozen
/// categories spent more instructions than it saved (with the softmax's plain loops, the
/// softmax's own instructions 625 -> 431 a mail on banking77, `expf` apart).
fn best(probabilities: &[f32]) -> Option<usize> {
    let (first, rest) = probabilities.split_first()?;
    let (mut best, mut best_key) = (0, order_key(*first));
    for (i, p) in rest.iter().enumerate() {
        let key = order_key(*p);
        if key > best_key {
            (best, best_key) = (i + 1, key);
        }
    }
    Some(best)
}

/// The key that ranks category `i` of probability `p`: higher for a higher `p`, and for an
/// earlier category of the same `p` (one comparison where there were two).
fn rank_key(p: f32, i: usize) -> i64 {
    (i64::from(order_key(p)) << 32) | i64::from(u32::MAX - i as u32)
}

/// `p` as an integer in the order of [`f32::total_cmp`].
fn order_key(p: f32) -> i32 {
    let bits = p.to_bits() as i32;
    bits ^ (((bits >> 31) as u32) >> 1) as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::lang;

    fn ex(category: &str, text: &str) -> Example {
        Example { category: category.into(), text: text.into(), language: lang::detect(text) }
    }

    /// The model's opinion of `text` in the language it is written in.
    fn predict<'m>(model: &'m Model, text: &str) -> Prediction<'m> {
        model.predict(text, lang::detect(text))
    }

    fn small() -> Model {
        Model::train(&[
            ex("refund", "I want my money back for the order"),
            ex("refund", "please refund the cancelled order"),
            ex("refund", "退款什么时候到"),
            ex("fees", "how much is the fee for a transfer"),
            ex("fees", "what does a transfer cost, any fee"),
            ex("fees", "手续费是多少"),
            ex("other", "how do I change my address"),
            ex("other", "where can I download the app"),
        ])
    }

    #[test]
    fn learns_words_and_chinese_characters_in_both_scripts() {
        let model = small();
        assert_eq!(predict(&model, "Refunded? I asked for my money back").top().unwrap().0, "refund");
        assert_eq!(predict(&model, "Is there a fee?").top().unwrap().0, "fees");
        // Traditional characters share the Simplified ones' features.
        assert_eq!(predict(&model, "請問手續費").top().unwrap().0, "fees");
        assert_eq!(predict(&model, "退款").top().unwrap().0, "refund");
    }

    #[test]
    fn capitals_change_nothing() {
        let model = small();
        for text in ["I want my MONEY back for the Order", "REFUND 退款 Fee", "What does a Transfer COST"] {
            let lower = text.to_lowercase();
            assert_eq!(predict(&model, text), model.predict(&lower, lang::detect(text)), "{text}");
        }
    }

    #[test]
    fn a_latin_word_counts_once_however_often_it_is_said_and_a_chinese_one_each_time() {
        let model = small();
        assert_eq!(predict(&model, "fee fee fee refund"), predict(&model, "fee refund"));
        assert_eq!(predict(&model, "fee fee fee refund").known, 2, "fee and refund, once each");
        assert_ne!(predict(&model, "退款 退款 手续费"), predict(&model, "退款 手续费"));
    }

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

    #[test]
    fn ranks_best_first_and_equal_ones_in_the_categories_order() {
        let model = small(); // categories: fees, other, refund
        let ranked = |scores: Vec<f32>| -> Vec<&str> {
            let mut scores = scores;
            model.rank(&mut scores, 1).ranked().iter().map(|(c, _)| *c).collect()
        };
        assert_eq!(ranked(vec![-3.0, -1.0, -2.0]), ["other", "refund", "fees"]);
        assert_eq!(ranked(vec![-1.0, -2.0, -1.0]), ["fees", "refund", "other"]);
        assert_eq!(ranked(vec![-5.0, -5.0, -5.0]), ["fees", "other", "refund"]);
        let p = model.rank(&mut [-1.0, -2.0, -1.0], 1).ranked();
        assert_eq!(p[0].1, p[1].1);
        assert!(p[1].1 > p[2].1);
    }

    #[test]
    fn the_best_is_the_largest_rank_key() {
        let values = [0.1, 0.3, 0.3, -0.0, 0.0, f32::NAN, -f32::NAN, 1e-30, f32::INFINITY, -1.0];
        let mut state = 7u64;
        for n in 0..200 {
            let probabilities: Vec<f32> = (0..n % 17)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    values[(state >> 33) as usize % values.len()]
                })
                .collect();
            let by_key =
                probabilities.iter().enumerate().max_by_key(|(i, p)| rank_key(**p, *i)).map(|(i, _)| i);
            assert_eq!(best(&probabilities), by_key, "{probabilities:?}");
        }
    }

    #[test]
    fn the_softmax_is_the_plain_one_bit_for_bit() {
        let model = small(); // three categories
        let mut state = 11u64;
        for known in [1, 2, 7, 40, 2000] {
            for _ in 0..200 {
                let mut scores: Vec<f32> = (0..3)
                    .map(|_| {
                        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                        -((state >> 40) as f32) / 1e4
                    })
                    .collect();
                let t = temperature(known);
                let max = scores.iter().copied().fold(f32::MIN, f32::max);
                let exps: Vec<f32> = scores.iter().map(|s| ((s - max) / t).exp()).collect();
                let sum: f32 = exps.iter().sum();
                let plain: Vec<u32> = exps.iter().map(|e| (e / sum).to_bits()).collect();
                let p = model.rank(&mut scores, known);
                let bits: Vec<u32> = p.probabilities().map(|(_, p)| p.to_bits()).collect();
                assert_eq!(bits, plain, "{known}");
            }
        }
    }

    #[test]
    fn the_temperature_table_holds_the_power_itself() {
        let model = small();
        assert_eq!(model.temperatures.len(), TEMPERATURES);
        for (known, t) in model.temperatures.iter().enumerate() {
            let power = (known as f32).powf(TEMPERATURE_POWER).max(1.0);
            assert_eq!(t.to_bits(), power.to_bits(), "{known}");
        }
    }

    #[test]
    fn a_prediction_of_many_categories_keeps_them_all() {
        let names: Vec<String> = (0..40).map(|i| format!("c{i}")).collect();
        let ranked: Vec<(&str, f32)> = names.iter().map(|n| (n.as_str(), 0.01)).collect();
        let mut ranked = ranked;
        ranked[23].1 = 0.5;
        ranked[30].1 = 0.5;
        for n in [3, 16, 17, 40] {
            let prediction = Prediction::of(&ranked[..n], 7);
            assert_eq!(prediction.probabilities().collect::<Vec<_>>(), &ranked[..n]);
            let top = if n > 23 { ("c23", 0.5) } else { ("c0", 0.01) };
            assert_eq!(prediction.top(), Some(top), "{n}");
            assert_eq!(prediction.ranked()[0], top, "{n}");
            assert_eq!(prediction.probability("c2"), 0.01);
            assert_eq!(prediction.probability("none"), 0.0);
        }
        assert_eq!(Prediction::of(&[], 0).top(), None);
    }

    #[test]
    fn probabilities_sum_to_one_and_unknown_text_has_no_opinion() {
        let model = small();
        let p = predict(&model, "fee for the order");
        let sum: f32 = p.probabilities().map(|(_, p)| p).sum();
        assert!((sum - 1.0).abs() < 1e-4, "{p:?}");
        let none = predict(&model, "zzz qqq");
        assert_eq!(none.known, 0);
        assert!(none.top().is_none());
    }

    #[test]
    fn explains_the_words_that_weighed_most() {
        let model = small();
        let e = model.explain("what is the fee please", Language::En, 3);
        assert_eq!(e.prediction.top().unwrap().0, "fees");
        assert_eq!(e.words[0].0, "fee", "{:?}", e.words);
    }

    /// `n` examples of each line, in `language`.
    fn many(category: &str, language: Language, lines: &[&str], n: usize) -> Vec<Example> {
        let one = |text: &&str| Example { category: category.into(), text: text.to_string(), language };
        lines.iter().map(one).cycle().take(n * lines.len()).collect()
    }

    /// English and Traditional Chinese examples of two categories, enough for a model each.
    fn bilingual() -> Vec<Example> {
        [
            many("refund", Language::En, &["I want my money back", "refund the order"], 10),
            many("other", Language::En, &["where is my new card", "change my address"], 10),
            many("refund", Language::ZhHant, &["我要退款", "訂單退錢"], 10),
            many("other", Language::ZhHant, &["我的新卡在哪裡", "更改地址"], 10),
        ]
        .concat()
    }

    #[test]
    fn examples_in_one_language_do_not_move_another_languages_opinion() {
        let before = Model::train(&bilingual());
        assert_eq!(before.own_languages(), [Language::En, Language::ZhHant]);
        assert_eq!(
            (before.reads_with(Language::ZhHant), before.reads_with(Language::ZhHans)),
            ("zh-Hant", "pooled")
        );
        // 150 more Chinese `other` lines: the pooled model's `other` grows, and English mails
        // drift away from it there.
        let mut grown = bilingual();
        grown.extend(many("other", Language::ZhHant, &["信用卡年費怎麼算", "分行營業時間"], 75));
        let after = Model::train(&grown);
        for text in ["refund my card order please", "my address card", "money back for the card"] {
            assert_eq!(after.predict(text, Language::En), before.predict(text, Language::En), "{text}");
        }
        let pooled = |examples: &[Example]| {
            let all: Vec<Example> =
                examples.iter().map(|e| Example { language: Language::Other, ..e.clone() }).collect();
            Model::train(&all).predict("refund my card order please", Language::Other).probability("other")
        };
        assert!(
            pooled(&grown) < pooled(&bilingual()),
            "the pooled model tilts: the test must be able to fail"
        );
    }

    #[test]
    fn a_language_without_enough_examples_falls_back_to_the_pooled_model() {
        let mut examples = bilingual();
        // Simplified Chinese: too few to have a model of its own.
        examples.push(Example {
            category: "refund".into(),
            text: "我要退钱".into(),
            language: Language::ZhHans,
        });
        let model = Model::train(&examples);
        assert!(!model.own_languages().contains(&Language::ZhHans));
        let all: Vec<Example> =
            examples.iter().map(|e| Example { language: Language::Other, ..e.clone() }).collect();
        let pooled = Model::train(&all);
        for (text, language) in [("退款什么时候到", Language::ZhHans), ("refund my money", Language::Other)]
        {
            let p = model.predict(text, language);
            assert_eq!(p, pooled.predict(text, Language::Other), "{text}");
            assert_eq!(p.top().unwrap().0, "refund", "{text}");
        }
        // A language short of one category (10 Traditional `other` lines) has none either.
        let mut short = bilingual();
        short.retain(|e| !(e.language == Language::ZhHant && e.category == "other" && e.text == "更改地址"));
        assert_eq!(Model::train(&short).own_languages(), [Language::En]);
    }

    #[test]
    fn the_smaller_chinese_language_borrows_words_not_category_sizes() {
        let mut examples = bilingual();
        examples.extend(many("refund", Language::ZhHant, &["退款要多久"], 5));
        examples.extend(many("refund", Language::ZhHans, &["我要退款"], 20));
        examples.extend(many("other", Language::ZhHans, &["新卡在哪里"], 20));
        let model = Model::train(&examples);
        assert_eq!(model.own_languages(), [Language::En, Language::ZhHant, Language::ZhHans]);
        // 訂單 and 錢 were only ever written in Traditional examples.
        assert_eq!(model.predict("订单的钱", Language::ZhHans).top().unwrap().0, "refund");
        // Twice the Traditional `other` examples: the same words, a larger category. What
        // Simplified borrows is scaled to its own sizes, so its opinion does not move.
        let mut doubled = examples.clone();
        doubled.extend(many("other", Language::ZhHant, &["我的新卡在哪裡", "更改地址"], 10));
        let retrained = Model::train(&doubled);
        let (a, b) =
            (model.predict("新卡订单", Language::ZhHans), retrained.predict("新卡订单", Language::ZhHans));
        for ((ca, pa), (cb, pb)) in a.ranked().iter().zip(&b.ranked()) {
            assert_eq!(ca, cb);
            assert!((pa - pb).abs() < 1e-4, "{a:?} against {b:?}");
        }
        // The larger language borrows nothing.
        let without: Vec<Example> =
            examples.iter().filter(|e| e.language != Language::ZhHans).cloned().collect();
        assert_eq!(
            model.predict("新卡订单", Language::ZhHant),
            Model::train(&without).predict("新卡订单", Language::ZhHant)
        );
    }
}
