//! Classify stage, which rules a mail's scan gives a chance: a rule `any = [matcher, …]` of
//! keywords and literals holds only when one of its matchers fired, so only those rules are
//! scored; the others (conditions with `all` or `not`, regexes run on demand) are always
//! tried.
//!
//! Why: a mail fires a handful of matchers, of two or three rules, and scoring each of the
//! 43 default rules to find them cost about 1,650 instructions a mail (banking77 1,616,
//! Cathay 1,687, AFQMC 1,683 fewer with the watch).

use super::hits::{FiredBits, Hits};
use super::spec::Rule;

/// For each matcher, the rules it may make hold; and the rules tried whatever fired.
#[derive(Debug, Default)]
pub(super) struct RuleWatch {
    /// The rules tried on every mail: a bit each (bit `i` for rule `i`).
    always: FiredBits,
    /// For each matcher, the rules whose `any = [...]` holds when it fires (build numbers
    /// each leaf anew, so it is one rule; a list all the same).
    rules_of: Vec<Vec<usize>>,
}

impl RuleWatch {
    /// The watch over `rules` (in their order) and their `matchers`.
    pub(super) fn new(rules: &[Rule], matchers: usize) -> RuleWatch {
        let mut watch =
            RuleWatch { always: FiredBits::new(rules.len()), rules_of: vec![Vec::new(); matchers] };
        for (index, rule) in rules.iter().enumerate() {
            match &rule.flat_any {
                Some(flat) if flat.regexes.is_empty() => {
                    for (word, mask) in &flat.words {
                        let mut bits = *mask;
                        while bits != 0 {
                            watch.rules_of[word * 64 + bits.trailing_zeros() as usize].push(index);
                            bits &= bits - 1;
                        }
                    }
                }
                _ => watch.always.set(index),
            }
        }
        watch
    }

    /// The rules to try on a mail whose scan gave `hits`: a bit each, in the rules' order.
    /// Inlined where the mail is classified: left a call by a change elsewhere, it was some
    /// 30 instructions more a mail.
    #[inline]
    pub(super) fn to_try(&self, hits: &Hits<'_>) -> FiredBits {
        let mut rules = self.always.clone();
        for matcher in hits.fired.ones() {
            for &rule in &self.rules_of[matcher] {
                rules.set(rule);
            }
        }
        rules
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::super::RuleSet;
    use super::*;

    /// A rule `any = [keywords, keywords]` is tried when one of its matchers fired; a rule of
    /// `all` and `not`, or with a regex, on every mail.
    #[test]
    fn only_rules_of_any_matchers_wait_for_one_to_fire() {
        let dir = tempfile::tempdir().unwrap();
        let rule = |id: &str, priority: u32, when: &str| {
            format!(
                "[[rule]]\nid = \"{id}\"\npriority = {priority}\ncategory = \"fees\"\naction = \"acknowledge\"\n\
                 [rule.when]\n{when}\n"
            )
        };
        let rules = [
            rule(
                "any",
                10,
                "any = [{ field = \"text\", keywords = [\"fee\"] }, { field = \"text\", keywords = [\"charge\"] }]",
            ),
            rule("not", 20, "all = [{ not = { field = \"text\", keywords = [\"refund\"] } }]"),
            rule(
                "regex",
                30,
                "any = [{ field = \"text\", keywords = [\"cost\"] }, { field = \"text\", regex = 'paid' }]",
            ),
        ];
        std::fs::write(dir.path().join("10-fees.toml"), rules.concat()).unwrap();
        let set = RuleSet::load(dir.path(), &|_| true).unwrap();
        let tried = |fired: &[usize]| {
            let mut hits = Hits::new(set.specs.len(), false);
            fired.iter().for_each(|&id| hits.record("text", id, || Cow::Borrowed("")));
            set.watch.to_try(&hits).ones().collect::<Vec<_>>()
        };
        assert_eq!(tried(&[]), [1, 2]);
        assert_eq!(tried(&[1]), [0, 1, 2]);
        assert_eq!(tried(&[0, 1, 3]), [0, 1, 2]);
    }
}
