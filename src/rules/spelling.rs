//! Classify stage, misspelt words: a field's text with a misspelling of the vocabulary
//! (`[[spelling]]`: English words, and the Chinese characters a pinyin keyboard offers for the
//! same sound, 体现到 for 提现到) is put right and scanned again. The keyword automaton finds
//! the misspellings with the keywords (role `Typo`), so a text without one costs nothing
//! more. Spelling every rule keyword in every misspelt form instead pushed the automaton past
//! the size where it is a DFA and cost 14 % of classification; a pass of its own, 0.78 µs.

use std::borrow::Cow;

use aho_corasick::{AhoCorasick, MatchKind};

use super::index::is_word_char;

/// The misspellings of a rule directory's vocabulary, and the word each stands for.
#[derive(Debug)]
pub(super) struct Speller {
    automaton: AhoCorasick,
    words: Vec<String>,
}

impl Speller {
    /// A speller for `spelling` (word, its misspellings), `None` when there are none.
    pub(super) fn new(spelling: &[(String, Vec<String>)]) -> Option<Speller> {
        let (typos, words): (Vec<&str>, Vec<String>) = spelling
            .iter()
            .flat_map(|(word, typos)| typos.iter().map(move |t| (t.as_str(), word.clone())))
            .unzip();
        if typos.is_empty() {
            return None;
        }
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(&typos)
            .expect("misspelling automaton");
        Some(Speller { automaton, words })
    }

    /// `text` with each misspelt whole word replaced by the word it stands for ("i forgott
    /// my pasword" reads "i forgot my password", 沖值失敗 reads 充值失敗: Chinese misspellings
    /// are found in either script, on the text folded to Simplified, which keeps every byte
    /// offset); borrowed as it is when it has none, which is nearly always.
    pub(super) fn correct<'t>(&self, text: Cow<'t, str>) -> Cow<'t, str> {
        let folded = crate::parse::lang::fold_to_simplified(&text);
        let whole_word = |start: usize, end: usize| {
            !text[..start].chars().next_back().is_some_and(is_word_char)
                && !text[end..].chars().next().is_some_and(is_word_char)
        };
        let mut corrected: Option<String> = None;
        let mut copied = 0;
        for found in self.automaton.find_iter(folded.as_ref()) {
            if !whole_word(found.start(), found.end()) {
                continue;
            }
            let out = corrected.get_or_insert_with(|| String::with_capacity(text.len() + 16));
            out.push_str(&text[copied..found.start()]);
            out.push_str(&self.words[found.pattern().as_usize()]);
            copied = found.end();
        }
        match corrected {
            None => text,
            Some(mut out) => {
                out.push_str(&text[copied..]);
                Cow::Owned(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspelt_whole_words_are_put_right() {
        let spelling = [
            ("password".to_string(), vec!["pasword".to_string(), "passwrod".to_string()]),
            ("forgot".to_string(), vec!["forgott".to_string()]),
        ];
        let speller = Speller::new(&spelling).unwrap();
        let fix = |text: &'static str| speller.correct(Cow::Borrowed(text)).into_owned();
        assert_eq!(fix("i forgott my Pasword!"), "i forgot my password!");
        assert_eq!(
            fix("忘记了pasword怎么办"),
            "忘记了password怎么办",
            "Chinese is no word character of Latin"
        );
        assert_eq!(fix("paswords and xpasword stay"), "paswords and xpasword stay", "whole words only");
        assert!(matches!(speller.correct(Cow::Borrowed("nothing to do")), Cow::Borrowed(_)));
        assert!(Speller::new(&[]).is_none());
    }

    #[test]
    fn chinese_misspellings_are_put_right_in_either_script() {
        let spelling = [
            ("充值".to_string(), vec!["冲值".to_string()]),
            ("提现到".to_string(), vec!["体现到".to_string()]),
        ];
        let speller = Speller::new(&spelling).unwrap();
        let fix = |text: &'static str| speller.correct(Cow::Borrowed(text)).into_owned();
        assert_eq!(fix("冲值一直失败"), "充值一直失败");
        assert_eq!(fix("沖值一直失敗"), "充值一直失敗", "Traditional text, found folded");
        assert_eq!(fix("我体现到银行卡三天了"), "我提现到银行卡三天了");
        assert_eq!(fix("这体现了你们的服务"), "这体现了你们的服务", "only the misspelling listed");
    }

    #[test]
    fn pinyin_for_a_chinese_word_is_put_right_as_a_whole_word() {
        let spelling = [("提现".to_string(), vec!["tixian".to_string()])];
        let speller = Speller::new(&spelling).unwrap();
        let fix = |text: &'static str| speller.correct(Cow::Borrowed(text)).into_owned();
        assert_eq!(fix("my Tixian not arrived"), "my 提现 not arrived");
        assert_eq!(fix("tixian没到"), "提现没到");
        assert_eq!(fix("tixianing"), "tixianing", "whole words only");
    }
}
