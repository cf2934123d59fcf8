//! Classify stage, the second opinion's weights: a small open-addressing index from each
//! feature's hash to its row, and the rows (the hash again, then a log-probability per
//! category) packed one to a cache line.
//!
//! Why two parts: most features of a mail are ones the model never saw (a character pair, a
//! word pair), and looking one up must only learn that. The index holds 8 bytes a slot (part
//! of the hash and the row's number), so it is an eighth of a table that held the weights in
//! its slots and stays in the cache where that one did not: on Traditional Chinese mail,
//! waiting for that table's memory was a seventh of parsing, screening and classifying a
//! mail. A feature the index points to is confirmed against its row's full hash, read in the
//! same cache line as its weights.
//!
//! A Chinese character's row is also kept by code point, in a table built when the weights
//! are: a character (two in five of a Chinese mail's features) is found with no probing.

use super::features::{Kind, char_hash};

/// A cache line, in `f32`s: rows start on one and a row of up to 14 categories fits in it.
pub(super) const LINE: usize = 16;

/// The full hash takes two `f32`s' worth of bits at the start of a row.
const KEY: usize = 2;

/// The code points the table of characters covers, U+3400 to U+9FFF (the extension A and the
/// unified ideographs: every character of the phrasing sets), 27,648 of them at 4 bytes:
/// less than a tenth of the index of the default rules' pooled model.
const FIRST_CHAR: usize = 0x3400;
const CHARS: usize = 0xa000 - FIRST_CHAR;

/// Features by hash, each with `k` log-probabilities (one per category).
#[derive(Debug, Default)]
pub(super) struct Weights {
    /// A power of two of slots, at most half full: 0 where empty, else the hash's high 32
    /// bits and one more than the row's number in the low 32.
    index: Vec<u64>,
    /// For each code point from [`FIRST_CHAR`], one more than the row of its character (0:
    /// not a feature); empty when the model knows no character.
    chars: Vec<u32>,
    /// The rows, `stride` words each from `base` (the first cache-line boundary of the
    /// allocation): the full hash's bits, then the weights.
    rows: Vec<f32>,
    base: usize,
    stride: usize,
    k: usize,
    /// How many numbers [`lanes_in`] and [`Weights::lanes_of`] may give: `k`, rounded up to a multiple of
    /// four where a row has room for the zeros.
    lanes: usize,
    len: usize,
}

impl Weights {
    /// A table of `rows` (hash, `k` weights). Each hash is given once.
    pub(super) fn new(k: usize, rows: impl ExactSizeIterator<Item = (u64, impl AsRef<[f32]>)>) -> Weights {
        let slots = (rows.len() * 2).next_power_of_two().max(LINE);
        let stride = (KEY + k).next_multiple_of(LINE);
        let words = vec![0.0; rows.len() * stride + LINE];
        // Plain arithmetic on the address (no unsafe): where the first full line begins.
        let misalignment = (words.as_ptr() as usize / size_of::<f32>()) % LINE;
        let base = (LINE - misalignment) % LINE;
        let lanes = if KEY + k.next_multiple_of(4) <= stride { k.next_multiple_of(4) } else { k };
        let mut table =
            Weights { index: vec![0; slots], chars: Vec::new(), rows: words, base, stride, k, lanes, len: 0 };
        for (hash, row) in rows {
            table.insert(hash, row.as_ref());
        }
        table.chars = (FIRST_CHAR..FIRST_CHAR + CHARS)
            .map(|point| table.find(char_hash(point as u32)).map_or(0, |row| row as u32 + 1))
            .collect();
        if table.chars.iter().all(|row| *row == 0) {
            table.chars = Vec::new();
        }
        table
    }

    /// The number of features.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The weights of the feature `hash`, if the model knows it.
    pub(super) fn get(&self, hash: u64) -> Option<&[f32]> {
        let row = self.find(hash)?;
        Some(&self.lanes_of(row)[..self.k])
    }

    /// How many numbers [`lanes_in`] and [`Weights::lanes_of`] may give: the weights, then zeros up to a
    /// multiple of four where a row has room, so that a row is added four at a time with
    /// none left over.
    pub(super) fn lanes(&self) -> usize {
        self.lanes
    }

    /// The row of the feature `hash` of `kind`, if the model knows it: a character's by its
    /// code point where the table of characters has it, any other's from the index.
    #[inline(always)]
    pub(super) fn row_of(&self, hash: u64, kind: Kind) -> Option<usize> {
        match self.char_row(kind) {
            Some(row) => row,
            None => self.find(hash),
        }
    }

    /// Whether each row is one cache line ([`Weights::lines`]): up to 14 categories.
    pub(super) fn one_line(&self) -> bool {
        self.stride == LINE
    }

    /// The rows of weights whose rows are [`Weights::one_line`], as whole lines, for
    /// [`Lines::find`].
    pub(super) fn lines(&self) -> Lines<'_> {
        debug_assert!(self.one_line());
        Lines { weights: self, lines: self.rows[self.base..].as_chunks::<LINE>().0 }
    }

    /// The row of a character from the table of characters (`None` where the table does not
    /// tell: not a character, or out of its range).
    #[inline(always)]
    fn char_row(&self, kind: Kind) -> Option<Option<usize>> {
        let Kind::Character(point) = kind else { return None };
        let row = self.chars.get((point as usize).wrapping_sub(FIRST_CHAR))?;
        Some((*row as usize).checked_sub(1))
    }

    /// The numbers of row `row` after its key: [`Weights::lanes`] of them and more.
    #[inline(always)]
    pub(super) fn lanes_of(&self, row: usize) -> &[f32] {
        &self.row(row)[KEY..]
    }

    fn insert(&mut self, hash: u64, weights: &[f32]) {
        debug_assert_eq!(weights.len(), self.k);
        let row = match self.find(hash) {
            Some(row) => row,
            None => {
                let mask = self.index.len() - 1;
                let mut slot = hash as usize & mask;
                while self.index[slot] != 0 {
                    slot = (slot + 1) & mask;
                }
                self.index[slot] = (hash >> 32) << 32 | (self.len as u64 + 1);
                self.len += 1;
                self.len - 1
            }
        };
        let start = self.base + row * self.stride;
        let words = &mut self.rows[start..start + KEY + self.k];
        words[0] = f32::from_bits(hash as u32);
        words[1] = f32::from_bits((hash >> 32) as u32);
        words[KEY..].copy_from_slice(weights);
    }

    /// The row of `hash`: linear probing from the slot its low bits name, past slots whose
    /// high bits differ, and a slot whose high bits agree confirmed by its row's full hash.
    #[inline(always)]
    fn find(&self, hash: u64) -> Option<usize> {
        self.probe(hash, |row| (key_of(self.row(row)), row))
    }

    /// [`Weights::find`], with `read` giving a row's full hash and what to return of it.
    ///
    /// The slots are masked with the index's length less one, where the mask was a field of
    /// its own: a slot so masked is known to be in the index, and is read without a bounds
    /// check (reading the features, look-ups included, banking77 4,165 -> 3,987 instructions
    /// a mail, cathay 3,040 -> 2,943: the compiler kept more in registers too).
    #[inline(always)]
    fn probe<T>(&self, hash: u64, read: impl Fn(usize) -> (u64, T)) -> Option<T> {
        let index = self.index.as_slice();
        if index.is_empty() {
            return None;
        }
        let mask = index.len() - 1;
        let high = hash >> 32;
        let mut slot = hash as usize & mask;
        loop {
            let entry = index[slot];
            if entry == 0 {
                return None;
            }
            if entry >> 32 == high {
                let (key, found) = read((entry as u32 - 1) as usize);
                if key == hash {
                    return Some(found);
                }
            }
            slot = (slot + 1) & mask;
        }
    }

    #[inline]
    fn row(&self, row: usize) -> &[f32] {
        &self.rows[self.base + row * self.stride..][..self.stride]
    }
}

/// The rows of [`Weights::one_line`] weights as lines, cut once (at [`Weights::lines`]) for
/// all the look-ups of a mail.
pub(super) struct Lines<'w> {
    weights: &'w Weights,
    lines: &'w [[f32; LINE]],
}

impl Lines<'_> {
    /// [`Weights::row_of`] with the row's whole line (key, weights, zeros): what is read of
    /// a line is at places fixed when compiling, and a row costs one bounds check (cut from
    /// the weights at each look-up, it was four, a fifth of adding a feature up).
    #[inline(always)]
    pub(super) fn find(&self, hash: u64, kind: Kind) -> Option<(usize, &[f32; LINE])> {
        match self.weights.char_row(kind) {
            Some(row) => row.map(|row| (row, &self.lines[row])),
            None => self.weights.probe(hash, |row| {
                let line = &self.lines[row];
                (key_of_line(line), (row, line))
            }),
        }
    }
}

/// The weights of a row's line and the zeros after them up to `N` (at most
/// [`Weights::lanes`]).
#[inline(always)]
pub(super) fn lanes_in<const N: usize>(line: &[f32; LINE]) -> &[f32; N] {
    line[KEY..].first_chunk::<N>().expect("N is at most the lanes")
}

fn key_of_line(line: &[f32; LINE]) -> u64 {
    u64::from(line[0].to_bits()) | u64::from(line[1].to_bits()) << 32
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
    }

    #[test]
    fn a_feature_hashing_to_zero_is_kept_too() {
        let table = Weights::new(2, [(0, [-1.0, -2.0]), (7, [-3.0, -4.0])].into_iter());
        assert_eq!(table.len(), 2);
        assert_eq!(table.get(0), Some([-1.0, -2.0].as_slice()));
        assert_eq!(table.get(7), Some([-3.0, -4.0].as_slice()));
        assert_eq!(table.get(1 << 32), None);
    }

    #[test]
    fn a_feature_sharing_a_known_ones_high_bits_and_slot_is_not_taken_for_it() {
        let known = 0xabcd_0123_0000_0005u64;
        let table = Weights::new(1, [(known, [-1.0]), (0xabcd_0123_0000_0006, [-2.0])].into_iter());
        assert_eq!(table.get(known), Some([-1.0].as_slice()));
        assert_eq!(table.get(0xabcd_0123_0000_0006), Some([-2.0].as_slice()));
        // Same high bits, same first slot (low bits equal modulo the index's size).
        assert_eq!(table.get(0xabcd_0123_0001_0005), None);
    }

    #[test]
    fn rows_start_on_a_cache_line_whatever_the_number_of_categories() {
        for k in [1, 10, 14, 15, 40] {
            let table = Weights::new(k, [(42u64, vec![-1.0; k]), (43, vec![-2.0; k])].into_iter());
            for hash in [42, 43] {
                let row = table.find(hash).unwrap();
                let address = table.row(row).as_ptr() as usize;
                assert_eq!(address % (LINE * size_of::<f32>()), 0, "k = {k}");
                assert_eq!(table.get(hash).unwrap().len(), k);
            }
        }
        assert_eq!(Weights::default().get(42), None);
    }

    #[test]
    fn a_character_is_found_by_code_point_as_by_its_hash() {
        let hash = |c: char| char_hash(u32::from(c));
        let rows = [(hash('退'), [-1.0, -2.0]), (hash('\u{f900}'), [-3.0, -4.0]), (77, [-5.0, -6.0])];
        let table = Weights::new(2, rows.into_iter());
        for (c, hash) in [('退', hash('退')), ('款', hash('款')), ('\u{f900}', hash('\u{f900}'))] {
            let by_point = table.row_of(hash, Kind::Character(u32::from(c)));
            assert_eq!(by_point, table.find(hash), "{c}");
            assert_eq!(by_point.is_some(), c != '款', "{c}");
        }
        assert_eq!(table.row_of(77, Kind::Pair), table.find(77));
        let lines = table.lines();
        let line_of = |hash, kind| lines.find(hash, kind).map(|(_, line)| lanes_in::<2>(line));
        assert_eq!(line_of(hash('退'), Kind::Character(u32::from('退'))), Some(&[-1.0, -2.0]));
        assert_eq!(line_of(77, Kind::Pair), Some(&[-5.0, -6.0]));
        assert_eq!(line_of(hash('款'), Kind::Character(u32::from('款'))), None);
        assert_eq!(line_of(78, Kind::Pair), None);
        assert_eq!(lines.find(77, Kind::Pair).map(|(row, _)| row), table.find(77));
        assert!(table.row_of(77, Kind::Pair).is_some());
        let none = Weights::new(1, [(77, [-1.0])].into_iter());
        assert!(none.chars.is_empty(), "no table where no character is known");
        assert_eq!(none.row_of(hash('退'), Kind::Character(u32::from('退'))), None);
    }

    #[test]
    fn lanes_are_the_weights_then_zeros_to_a_multiple_of_four_where_the_row_has_room() {
        for (k, lanes) in [(1, 4), (10, 12), (11, 12), (12, 12), (13, 13), (14, 14), (15, 16)] {
            let weights: Vec<f32> = (1..=k).map(|w| w as f32).collect();
            let table = Weights::new(k, [(42u64, weights.clone())].into_iter());
            assert_eq!(table.lanes(), lanes, "k = {k}");
            let row = &table.lanes_of(table.find(42).unwrap())[..lanes];
            assert_eq!(&row[..k], weights.as_slice());
            assert!(row[k..].iter().all(|w| *w == 0.0), "k = {k}");
        }
    }
}
