//! Classify stage, the data model of compiled rules: condition trees over numbered matchers,
//! each matcher as written, and the rule around them. Plain data: building fills it, the
//! checks read it, the indexes and the scan run it.

use std::sync::Arc;

use jiff::SignedDuration;

use super::field::Field;
use super::load::{Problem, Source};
use super::{Action, Priority};

/// A condition over numbered matchers.
#[derive(Debug, Clone)]
pub(super) enum Cond {
    Any(Vec<Cond>),
    All(Vec<Cond>),
    Not(Box<Cond>),
    Leaf(usize),
}

/// One matcher as written, kept for checks and explanations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct MatcherSpec {
    pub(super) field: Field,
    pub(super) kind: Kind,
    pub(super) values: Vec<String>,
    /// Keywords and proximity: phrases inside which a value does not count.
    pub(super) except: Vec<String>,
    /// Keywords and proximity: a value after a negation cue does not count.
    pub(super) unless_negated: bool,
    /// Keywords and proximity: a value that is part of an amount (a number beside it) does
    /// not count.
    pub(super) unless_amount: bool,
    /// Keywords and proximity: Chinese values match in either script (`values` holds both).
    pub(super) both_scripts: bool,
    /// Proximity: the group of each value (the values of group 0 first, then of group 1 …),
    /// and how many words apart they may be.
    pub(super) groups: Vec<usize>,
    pub(super) within: usize,
    /// Proximity: how many sentences the words may span (1: one sentence).
    pub(super) sentences: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Keywords,
    Regex,
    Equals,
    Prefix,
    Suffix,
    Near,
}

/// The names a mail's [`Classification`](super::Classification) carries (id, category,
/// template, tags) are shared with it, not copied: a copy of each was a heap allocation a mail.
#[derive(Debug)]
pub(super) struct Rule {
    pub(super) id: Arc<str>,
    pub(super) priority: i64,
    pub(super) category: Arc<str>,
    pub(super) action: Action,
    pub(super) template: Option<Arc<str>>,
    pub(super) escalate_priority: Priority,
    pub(super) tags: Arc<[String]>,
    pub(super) sla: Option<SignedDuration>,
    pub(super) resolves: bool,
    /// A person must see every mail it matches: it holds back the decided rule's answer.
    pub(super) hold_answers: bool,
    pub(super) when: Cond,
    /// `when` again, for the common form `any = [matcher, …]`: decided with a bit mask.
    pub(super) flat_any: Option<FlatAny>,
    pub(super) mentions_automated: bool,
    /// A matcher of the condition has a `weight`: the rule competes by score. A rule
    /// without weights decides as rules always did: first match by priority.
    pub(super) weighted: bool,
    pub(super) source: Source,
    pub(super) id_at: usize,
    pub(super) priority_at: usize,
}

impl Rule {
    pub fn place(&self) -> String {
        let p = self.source.problem(self.id_at, "");
        format!("{}:{}:{}", p.file.display(), p.line, p.col)
    }

    pub fn at_id(&self, message: String) -> Problem {
        self.source.problem(self.id_at, message)
    }

    pub fn at_priority(&self, message: String) -> Problem {
        self.source.problem(self.priority_at, message)
    }
}

impl Cond {
    /// Whether the two conditions are written the same: the same shape over matchers written
    /// the same. (A text form of each, compared as strings, took a twentieth of loading the rules.)
    pub fn same_as(&self, other: &Cond, specs: &[MatcherSpec]) -> bool {
        let all_same =
            |a: &[Cond], b: &[Cond]| a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.same_as(b, specs));
        match (self, other) {
            (Cond::Any(a), Cond::Any(b)) | (Cond::All(a), Cond::All(b)) => all_same(a, b),
            (Cond::Not(a), Cond::Not(b)) => a.same_as(b, specs),
            (Cond::Leaf(a), Cond::Leaf(b)) => a == b || specs[*a] == specs[*b],
            _ => false,
        }
    }

    /// Whether the condition holds, and in `used` the matchers that fired as it was
    /// evaluated: the evidence. Only the deciding rule (and `--explain`) needs it.
    pub(super) fn eval(&self, fired: &mut impl FnMut(usize) -> bool, used: &mut Vec<usize>) -> bool {
        match self {
            // Every part, not the first that holds: the score counts each matcher that fired.
            Cond::Any(parts) => parts.iter().fold(false, |any, p| p.eval(fired, used) | any),
            Cond::All(parts) => parts.iter().all(|p| p.eval(fired, used)),
            Cond::Not(inner) => !inner.eval(fired, &mut Vec::new()),
            Cond::Leaf(id) => {
                let hit = fired(*id);
                if hit {
                    used.push(*id);
                }
                hit
            }
        }
    }
}

/// A condition `any = [matcher, …]`, the form most rules take: it holds if one of its
/// keyword or literal matchers fired (one AND over the fired bits) or, failing that, one of
/// its regex matchers does (run then, see [`super::scan::Scan::fired`]).
#[derive(Debug, Default)]
pub(super) struct FlatAny {
    /// The keyword and literal matchers of the condition as the non-zero words of a bit set
    /// (bit `id` for matcher `id`): (word's index, bits), by index. A rule's matchers are
    /// numbered together, so a word or two, where the whole set ran to a dozen.
    pub(super) words: Vec<(usize, u64)>,
    pub(super) regexes: Vec<usize>,
}

impl FlatAny {
    pub(super) fn of(when: &Cond, specs: &[MatcherSpec]) -> Option<FlatAny> {
        let Cond::Any(parts) = when else { return None };
        let mut flat = FlatAny::default();
        let mut mask = Vec::new();
        for part in parts {
            let Cond::Leaf(id) = *part else { return None };
            if specs[id].kind == Kind::Regex {
                flat.regexes.push(id);
            } else {
                set_bit(&mut mask, id);
            }
        }
        flat.words = mask.into_iter().enumerate().filter(|(_, bits)| *bits != 0).collect();
        Some(flat)
    }
}

pub(super) fn set_bit(bits: &mut Vec<u64>, i: usize) {
    if bits.len() <= i / 64 {
        bits.resize(i / 64 + 1, 0);
    }
    bits[i / 64] |= 1 << (i % 64);
}

impl MatcherSpec {
    /// Proximity: the number of word groups (the last value's group is the highest).
    pub fn group_count(&self) -> usize {
        self.groups.last().map_or(0, |g| g + 1)
    }

    /// Whether this matcher fires whenever `other` does (same field and kind, more values).
    pub fn covers(&self, other: &MatcherSpec) -> bool {
        self.field == other.field
            && self.kind == other.kind
            && !matches!(self.kind, Kind::Regex | Kind::Near)
            // Exclusions make a matcher fire less often than its values say.
            && self.except.is_empty()
            && !self.unless_negated
            && !self.unless_amount
            && other.values.iter().all(|v| self.values.contains(v))
    }
}
