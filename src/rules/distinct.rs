//! Classify stage, building: lists of keyword and cue forms kept in the order first given,
//! each once. A rule may have a thousand forms of its keywords, so looking each one up in
//! the list so far was quadratic.

use std::collections::HashSet;

/// Values in the order first given, each once.
#[derive(Default)]
pub(super) struct Distinct {
    pub(super) values: Vec<String>,
    seen: HashSet<String>,
}

impl Distinct {
    /// Adds `value` unless it is there already.
    pub(super) fn push(&mut self, value: String) {
        if self.seen.insert(value.clone()) {
            self.values.push(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_of_each_value_in_order() {
        let mut distinct = Distinct::default();
        for value in ["b", "a", "b", "c", "a"] {
            distinct.push(value.to_string());
        }
        assert_eq!(distinct.values, ["b", "a", "c"]);
    }
}
