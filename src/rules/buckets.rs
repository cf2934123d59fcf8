//! Classify stage, scratch space: a list per matcher, kept from one mail to the next, that
//! gathers what the scan found for each matcher (its `except` phrases)
//! without sorting them all by matcher first.

/// One list for each matcher id; only the lists something was put in are cleared again.
pub(super) struct Buckets<T> {
    lists: Vec<Vec<T>>,
    /// The matchers whose list is not empty, in the order they were first given something.
    filled: Vec<usize>,
}

impl<T> Default for Buckets<T> {
    fn default() -> Buckets<T> {
        Buckets { lists: Vec::new(), filled: Vec::new() }
    }
}

impl<T> Buckets<T> {
    /// Empties every list, and makes room for matchers `0..matchers`.
    pub(super) fn clear(&mut self, matchers: usize) {
        for matcher in self.filled.drain(..) {
            self.lists[matcher].clear();
        }
        if self.lists.len() < matchers {
            self.lists.resize_with(matchers, Vec::new);
        }
    }

    pub(super) fn push(&mut self, matcher: usize, item: T) {
        let list = &mut self.lists[matcher];
        if list.is_empty() {
            self.filled.push(matcher);
        }
        list.push(item);
    }

    /// Sorts each list by `key`, keeping the order of equal items (most are sorted already).
    pub(super) fn sort_each_by_key<K: Ord>(&mut self, key: impl Fn(&T) -> K + Copy) {
        for &matcher in &self.filled {
            let list = &mut self.lists[matcher];
            if !list.is_sorted_by_key(key) {
                list.sort_by_key(key);
            }
        }
    }

    /// The list of `matcher` (empty for a matcher beyond those made room for).
    pub(super) fn of(&self, matcher: usize) -> &[T] {
        self.lists.get(matcher).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_matcher_keeps_its_own_items_sorted_and_equal_ones_in_order() {
        let mut buckets = Buckets::default();
        buckets.clear(4);
        for (matcher, item) in [(3, (5, 'a')), (1, (2, 'b')), (3, (1, 'c')), (3, (5, 'd'))] {
            buckets.push(matcher, item);
        }
        buckets.sort_each_by_key(|(start, _)| *start);
        assert_eq!(buckets.of(3), [(1, 'c'), (5, 'a'), (5, 'd')]);
        assert_eq!(buckets.of(1), [(2, 'b')]);
        buckets.clear(2);
        assert!(buckets.of(3).is_empty() && buckets.of(1).is_empty() && buckets.of(9).is_empty());
    }
}
