//! Classify stage, checks: problems that are not errors of a single rule — duplicate ids,
//! equal priorities, and rules that can never match because an earlier one always wins.

use std::collections::HashMap;

use super::load::Problem;
use super::spec::{Cond, MatcherSpec, Rule};

/// Problems across the whole (priority-sorted) rule list.
pub(super) fn across(rules: &[Rule], specs: &[MatcherSpec]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut ids: HashMap<&str, &Rule> = HashMap::new();
    let mut priorities: HashMap<i64, &Rule> = HashMap::new();
    for rule in rules {
        if let Some(first) = ids.insert(&rule.id, rule) {
            problems.push(rule.at_id(format!(
                "duplicate rule id `{}` (first at {})",
                rule.id,
                first.place()
            )));
        }
        if let Some(first) = priorities.insert(rule.priority, rule) {
            problems.push(rule.at_priority(format!(
                "rule `{}` has priority {}, equal to rule `{}` at {}: priorities must differ",
                rule.id,
                rule.priority,
                first.id,
                first.place()
            )));
        }
    }
    for (i, later) in rules.iter().enumerate() {
        let shadowing = (0..i).find(|&e| shadows(&rules[e].when, &later.when, specs));
        if let Some(earlier) = shadowing.map(|e| &rules[e]) {
            problems.push(later.at_id(format!(
                "rule `{}` can never match: rule `{}` (priority {}) matches whenever it does",
                later.id, earlier.id, earlier.priority
            )));
        }
    }
    problems
}

/// Whether `earlier` is true whenever `later` is.
fn shadows(earlier: &Cond, later: &Cond, specs: &[MatcherSpec]) -> bool {
    if always_true(earlier) || earlier.same_as(later, specs) {
        return true;
    }
    match (alternatives(earlier), alternatives(later)) {
        (Some(wide), Some(narrow)) => {
            narrow.iter().all(|n| wide.iter().any(|w| specs[*w].covers(&specs[*n])))
        }
        _ => false,
    }
}

fn always_true(cond: &Cond) -> bool {
    match cond {
        Cond::All(parts) => parts.iter().all(always_true),
        Cond::Not(inner) => matches!(inner.as_ref(), Cond::Any(parts) if parts.is_empty()),
        _ => false,
    }
}

/// The matchers of a condition that is one matcher or an `any` of matchers.
fn alternatives(cond: &Cond) -> Option<Vec<usize>> {
    match cond {
        Cond::Leaf(id) => Some(vec![*id]),
        Cond::Any(parts) if !parts.is_empty() => {
            let mut ids = Vec::new();
            for part in parts {
                ids.extend(alternatives(part)?);
            }
            Some(ids)
        }
        _ => None,
    }
}
