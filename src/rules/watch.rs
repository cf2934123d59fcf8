//! Classify stage, which rules a mail's scan gives a chance: a rule `any = [matcher, …]` of
//! keywords and literals holds only when one of its matchers fired, so only those rules are
//! scored. A rule `all = [...]` holds only when each part does, so it waits on the matchers
//! of one part that needs a keyword to fire (`all = [{ language }, { near }, { not … }]`
//! waits on its `near`). The others (a lone `not`, regexes run on demand) are always tried.
//!
//! Why: a mail fires a handful of matchers, of two or three rules, and scoring each of the
//! 43 default rules to find them cost about 1,650 instructions a mail (banking77 1,616,
//! Cathay 1,687, AFQMC 1,683 fewer with the watch).

use super::hits::{FiredBits, Hits};
use super::spec::{Cond, Kind, MatcherSpec, Rule};

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
    /// The watch over `rules` (in their order) and their matchers, `specs`.
    pub(super) fn new(rules: &[Rule], specs: &[MatcherSpec]) -> RuleWatch {
        let mut watch =
            RuleWatch { always: FiredBits::new(rules.len()), rules_of: vec![Vec::new(); specs.len()] };
        for (index, rule) in rules.iter().enumerate() {
            match needs_one_of(&rule.when, specs) {
                Some(Needed { matchers, .. }) => {
                    matchers.into_iter().for_each(|m| watch.rules_of[m].push(index))
                }
                None => watch.always.set(index),
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

/// Matchers of which one must fire (a bit of the scan) for a condition to hold.
struct Needed {
    matchers: Vec<usize>,
    /// Each is a keyword or proximity matcher, which few mails fire; a literal (`language`
    /// equals `zh-Hant`) fires on a whole language's mail.
    keywords_only: bool,
}

/// What `cond` needs to fire, if anything: a leaf itself (unless a regex, run on demand);
/// for `any`, what every part needs; for `all`, what its most selective part needs; a
/// `not` holds when nothing fires.
fn needs_one_of(cond: &Cond, specs: &[MatcherSpec]) -> Option<Needed> {
    match cond {
        Cond::Leaf(id) => match specs[*id].kind {
            Kind::Regex => None,
            kind => Some(Needed {
                matchers: vec![*id],
                keywords_only: matches!(kind, Kind::Keywords | Kind::Near),
            }),
        },
        Cond::Any(parts) => {
            parts.iter().try_fold(Needed { matchers: Vec::new(), keywords_only: true }, |mut all, part| {
                let part = needs_one_of(part, specs)?;
                all.matchers.extend(part.matchers);
                all.keywords_only &= part.keywords_only;
                Some(all)
            })
        }
        Cond::All(parts) => parts
            .iter()
            .filter_map(|part| needs_one_of(part, specs))
            .min_by_key(|needed| (!needed.keywords_only, needed.matchers.len())),
        Cond::Not(_) => None,
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

    /// A rule `all = [...]` waits on the part that needs a keyword: its `near` or keywords
    /// rather than a literal that fires on a whole language's mail, and never on a `not`.
    #[test]
    fn a_rule_of_all_waits_on_a_part_that_needs_a_keyword() {
        let dir = tempfile::tempdir().unwrap();
        let rules = "[[rule]]\nid = \"all\"\npriority = 10\ncategory = \"fees\"\naction = \"acknowledge\"\n\
             [rule.when]\nall = [{ field = \"language\", equals = [\"zh-Hant\"] }, \
             { field = \"text\", within = 4, near = [[\"转帐\"], [\"手续费\"]] }, \
             { not = { field = \"text\", keywords = [\"汇\"] } }]\n";
        std::fs::write(dir.path().join("10-fees.toml"), rules).unwrap();
        let set = RuleSet::load(dir.path(), &|_| true).unwrap();
        let id = |kind: Kind| set.specs.iter().position(|s| s.kind == kind).unwrap();
        let tried = |fired: &[usize]| {
            let mut hits = Hits::new(set.specs.len(), false);
            fired.iter().for_each(|&id| hits.record("text", id, || Cow::Borrowed("")));
            set.watch.to_try(&hits).ones().collect::<Vec<_>>()
        };
        assert_eq!(tried(&[]), Vec::<usize>::new(), "nothing fired: not tried");
        assert_eq!(tried(&[id(Kind::Equals)]), Vec::<usize>::new(), "the language alone: not tried");
        assert_eq!(tried(&[id(Kind::Near)]), [0]);
    }
}
