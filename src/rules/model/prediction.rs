//! Classify stage, second opinion: the model's opinion of one mail, each category's
//! probability and the best of them ([`Prediction`]), and what weighed most for it
//! ([`Explanation`], for `--explain`).

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
    #[inline]
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

    #[inline]
    fn as_slice(&self) -> &[f32] {
        match self {
            Probabilities::Inline(values, len) => &values[..*len],
            Probabilities::Heap(values) => values,
        }
    }
}

impl<'m> Prediction<'m> {
    /// The prediction of `probabilities`, one for each of `categories` (none: no opinion).
    #[inline]
    pub(super) fn new(categories: &'m [String], probabilities: &[f32], known: usize) -> Prediction<'m> {
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
    #[inline]
    pub fn probabilities(&self) -> impl Iterator<Item = (&'m str, f32)> + '_ {
        self.categories.iter().map(String::as_str).zip(self.probabilities.as_slice().iter().copied())
    }

    /// The best category and its probability.
    #[inline]
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
    #[inline]
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

/// The index of the best of `probabilities`: the highest in the order of [`f32::total_cmp`],
/// the earlier of equal ones, as [`rank_key`] ranks them. One comparison a category, where
/// the compiler took the largest `rank_key` of all in vectors of two, and for a dozen
/// categories spent more instructions than it saved (with the softmax's plain loops, the
/// softmax's own instructions 625 -> 431 a mail on banking77, `expf` apart).
#[inline]
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
#[inline]
fn order_key(p: f32) -> i32 {
    let bits = p.to_bits() as i32;
    bits ^ (((bits >> 31) as u32) >> 1) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
