//! A small deterministic random number generator, so that a seed always gives the same mail
//! and the same synthetic rules.

/// xorshift64*: small, fast and deterministic; enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with `percent` % probability.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    pub fn latin_word(&mut self) -> String {
        const SYLLABLES: [&str; 16] = [
            "ka", "lo", "mi", "ren", "tas", "vo", "qui", "zen", "dra", "pel", "nu", "sor", "fi", "gat", "hu",
            "wex",
        ];
        (0..2 + self.below(3)).map(|_| SYLLABLES[self.below(SYLLABLES.len())]).collect()
    }

    pub fn han_word(&mut self) -> String {
        const HAN: &str =
            "商户联盟积分会员卡券礼品优惠活动推广合作渠道代理返利奖励签到抽奖红包等级特权专享定制";
        let chars: Vec<char> = HAN.chars().collect();
        (0..2 + self.below(3)).map(|_| chars[self.below(chars.len())]).collect()
    }
}
