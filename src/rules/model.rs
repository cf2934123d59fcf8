//! Classify stage, second opinion: multinomial naive Bayes models over words, word pairs and
//! Chinese character unigrams and bigrams, one per language and one pooled, trained when the
//! rules load from examples kept beside them. It never decides alone: it checks the rules
//! (see `opinion.rs`).
//!
//! Features (`features.rs`) are hashed and looked up as the text is read, in buffers kept from
//! one mail to the next, so scoring a mail allocates only its ranking; `explain` reads the same
//! features with their spans for `--explain`.
//!
//! Here: the model, what it is asked and the temperature of its softmax. Beside it: the text
//! as the model reads it (`normal.rs`), adding up a mail's features (`scoring.rs`), the
//! opinion it gives (`prediction.rs`) and training (`training.rs`).

use std::cell::RefCell;

use super::features::features;
use super::weights::Weights;
use crate::parse::lang::Language;

mod normal;
mod prediction;
mod scoring;
mod training;

pub(super) use normal::Folded;
use normal::{normalise, normalised};
pub use prediction::{Explanation, Prediction};
use scoring::{Seen, sum_any_rows, sum_rows};

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

/// What `predict` reads of a mail and works in, kept from one mail to the next so that none
/// is allocated again: the normalised text, the scores of the categories and the rows it has
/// counted.
#[derive(Default)]
struct Read {
    normal: String,
    scores: Vec<f32>,
    seen: Seen,
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
        // ignores as it does), cost more than they saved. See `best` (`prediction.rs`).
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
            ex("fees", "what would a transfer cost, any fee"),
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
        for text in ["I want my MONEY back for the Order", "REFUND 退款 Fee", "What would a Transfer COST"]
        {
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
