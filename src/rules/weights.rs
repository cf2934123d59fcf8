//! Classify stage, the second opinion's weights: each feature's hash and its log-probability
//! per category side by side in one flat open-addressing table, so that looking a feature up
//! while scoring a mail reads one cache line.
//!
//! Why not a `HashMap` from hash to a row of a second vector: that reads the map's control
//! bytes, its slot and then the row, three places in memory of a table that outgrows the
//! cache once the examples run to hundreds of lines a category, and on a short mail those
//! look-ups are most of what the model costs.

/// A cache line, in `f32`s: slots start on one and a slot of up to 14 categories fits in it.
const LINE: usize = 16;

/// Keys take two `f32`s' worth of bits at the start of a slot.
const KEY: usize = 2;

/// The key of an empty slot. A feature that hashes to it lives in the slot after the table.
const EMPTY: u64 = 0;

/// Features by hash, each with `k` log-probabilities (one per category).
#[derive(Debug, Default)]
pub(super) struct Weights {
    /// `slots + 1` slots of `stride` words, from `base` (the first cache-line boundary of
    /// the allocation): the key's bits, then the weights.
    words: Vec<f32>,
    base: usize,
    stride: usize,
    /// `slots - 1`, `slots` a power of two.
    mask: usize,
    k: usize,
    len: usize,
    /// Whether a feature hashes to [`EMPTY`] (it is then in the spare slot).
    spare_used: bool,
}

impl Weights {
    /// A table of `rows` (hash, `k` weights), at most half full so that a probe for a feature
    /// the model never saw stops at an empty slot within a line or two.
    pub(super) fn new(k: usize, rows: impl ExactSizeIterator<Item = (u64, impl AsRef<[f32]>)>) -> Weights {
        let slots = (rows.len() * 2).next_power_of_two().max(LINE);
        let stride = (KEY + k).next_multiple_of(LINE);
        let words = vec![0.0; (slots + 1) * stride + LINE];
        // Plain arithmetic on the address (no unsafe): where the first full line begins.
        let misalignment = (words.as_ptr() as usize / size_of::<f32>()) % LINE;
        let base = (LINE - misalignment) % LINE;
        let mut table = Weights { words, base, stride, mask: slots - 1, k, len: 0, spare_used: false };
        for (hash, row) in rows {
            table.insert(hash, row.as_ref());
        }
        table
    }

    /// The number of features.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The weights of the feature `hash`, if the model knows it.
    #[inline]
    pub(super) fn get(&self, hash: u64) -> Option<&[f32]> {
        let slot = self.find(hash)?;
        Some(&self.slot(slot)[KEY..KEY + self.k])
    }

    fn insert(&mut self, hash: u64, row: &[f32]) {
        debug_assert_eq!(row.len(), self.k);
        let slot = match self.find(hash) {
            Some(slot) => slot,
            None if hash == EMPTY => {
                self.spare_used = true;
                self.len += 1;
                self.mask + 1
            }
            None => {
                let mut slot = hash as usize & self.mask;
                while key_of(self.slot(slot)) != EMPTY {
                    slot = (slot + 1) & self.mask;
                }
                self.len += 1;
                slot
            }
        };
        let start = self.base + slot * self.stride;
        let words = &mut self.words[start..start + KEY + self.k];
        words[0] = f32::from_bits(hash as u32);
        words[1] = f32::from_bits((hash >> 32) as u32);
        words[KEY..].copy_from_slice(row);
    }

    /// The slot holding `hash`: linear probing from the slot its low bits name.
    #[inline]
    fn find(&self, hash: u64) -> Option<usize> {
        if self.words.is_empty() {
            return None;
        }
        if hash == EMPTY {
            return self.spare_used.then_some(self.mask + 1);
        }
        let mut slot = hash as usize & self.mask;
        loop {
            match key_of(self.slot(slot)) {
                EMPTY => return None,
                key if key == hash => return Some(slot),
                _ => slot = (slot + 1) & self.mask,
            }
        }
    }

    #[inline]
    fn slot(&self, slot: usize) -> &[f32] {
        &self.words[self.base + slot * self.stride..][..self.stride]
    }
}

fn key_of(words: &[f32]) -> u64 {
    u64::from(words[0].to_bits()) | u64::from(words[1].to_bits()) << 32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_it_holds_and_nothing_else() {
        let rows: Vec<(u64, Vec<f32>)> = (1..=1000u64)
            .map(|i| (i.wrapping_mul(0x9e37_79b9_7f4a_7c15), vec![-(i as f32), 0.5, 2.0]))
            .collect();
        let table = Weights::new(3, rows.iter().map(|(h, r)| (*h, r.as_slice())));
        assert_eq!(table.len(), 1000);
        for (hash, row) in &rows {
            assert_eq!(table.get(*hash), Some(row.as_slice()));
        }
        assert_eq!(table.get(12345), None);
        assert_eq!(table.get(EMPTY), None, "no feature hashed to the empty key");
    }

    #[test]
    fn a_feature_hashing_to_the_empty_key_is_kept_too() {
        let table = Weights::new(2, [(EMPTY, [-1.0, -2.0]), (7, [-3.0, -4.0])].into_iter());
        assert_eq!(table.len(), 2);
        assert_eq!(table.get(EMPTY), Some([-1.0, -2.0].as_slice()));
        assert_eq!(table.get(7), Some([-3.0, -4.0].as_slice()));
    }

    #[test]
    fn slots_start_on_a_cache_line_whatever_the_number_of_categories() {
        for k in [1, 10, 14, 15, 40] {
            let table = Weights::new(k, [(42u64, vec![-1.0; k])].into_iter());
            let slot = table.find(42).unwrap();
            let address = table.slot(slot).as_ptr() as usize;
            assert_eq!(address % (LINE * size_of::<f32>()), 0, "k = {k}");
            assert_eq!(table.get(42).unwrap().len(), k);
        }
        assert_eq!(Weights::default().get(42), None);
    }
}
