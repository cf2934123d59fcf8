//! Classify stage, vocabulary: data staff extend without touching a rule. `DIR/vocabulary/
//! words.toml` lists words that mean the same in mainland, Taiwan and Hong Kong usage
//! (`[[same]] words = ["提现", "提領", "提現"]`), common misspellings of English words and
//! of Chinese typed on a pinyin keyboard (`[[spelling]] word = "password", as = ["pasword"]`,
//! `word = "充值", as = ["冲值"]`), the negation cues that `unless_negated` keywords
//! respect (`[negation] words = [...]`) and the cues by which a customer says what the mail is
//! not about, which every keyword respects (`[denial] before = [...], after = [...]`), and
//! the cues that a second question follows (`[another_question] words = [...]`) or that the
//! real question starts after context (`[another_question] starts = [...]`). Any cue may offer
//! choices in braces (`"{已经|终于}到账{了|咗}"`), spelt out here.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::distinct::Distinct;
use super::forms;
use super::load::{Problem, Source};
use crate::parse::lang;

/// The vocabulary of a rule directory (empty when it has no `vocabulary/words.toml`).
#[derive(Debug, Default, Clone)]
pub struct Vocabulary {
    /// Groups of words that mean the same, each in Simplified form, lower-case.
    pub same: Vec<Vec<String>>,
    /// Negation cues, lower-case, as written (both scripts are added for Chinese ones).
    pub negation: Vec<String>,
    /// Denial cues written before the word they deny ("not asking for", 不是要), in the same
    /// forms as `negation`.
    pub denial_before: Vec<String>,
    /// Denial cues written after the word they deny ("is fine", 不用了, 没问题).
    pub denial_after: Vec<String>,
    /// Denial cues that set aside every word of their clause: a past matter settled ("you
    /// sorted out my refund quickly", 你们帮我处理得很快).
    pub denial_clause: Vec<String>,
    /// Denial cues that hand what comes before them in their sentence to someone else ("… so
    /// you can close that ticket", 这不归你们管, 呢樣我哋自己會跟).
    pub denial_elsewhere: Vec<String>,
    /// Denial cues that wave aside the words of their own clause before them and of the
    /// clause before it ("…被收了手續費，我知道那是正常的", "…, but that's beside the point").
    pub denial_aside: Vec<String>,
    /// Denial cues that open a clause and set aside the rest of it ("不是密码的问题，…", "it's not
    /// that the payment failed, …").
    pub denial_opening: Vec<String>,
    /// Denial cues of thanks or praise for something done ("cheers for that", 特此致谢, 真心感谢):
    /// the sentence before them is a settled matter when a later sentence asks something else.
    pub denial_thanks: Vec<String>,
    /// Words that keep a sentence of thanks a live matter: a contrast, a negation, a request
    /// ("but", "still", 没, 但是, 麻烦).
    pub denial_thanks_unless: Vec<String>,
    /// Cues that the customer asks a second question ("also", "by the way", 另外, 顺便).
    pub another_question: Vec<String>,
    /// Cues that the customer counts their questions ("two questions", 两件事, 第一…第二): a
    /// second question, and one that needs a person when the rules answer only the first.
    pub counted_questions: Vec<String>,
    /// Cues that the customer's real question starts after context told first ("我想问的是",
    /// "what I need to know is"): the second opinion reads what follows them on its own.
    pub question_starts: Vec<String>,
    /// Words that may join such a cue to the sentence before it (另外, 還有, "also", "but"):
    /// "…刷退完成了。另外我想把點數換成哩程" starts the question as "…。我想…" does.
    pub question_joins: Vec<String>,
    /// English words and the ways customers misspell them, lower-case.
    pub spelling: Vec<(String, Vec<String>)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVocabulary {
    #[serde(default)]
    same: Vec<Spanned<RawGroup>>,
    #[serde(default)]
    spelling: Vec<Spanned<RawSpelling>>,
    negation: Option<RawGroup>,
    denial: Option<RawDenial>,
    another_question: Option<RawAnotherQuestion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnotherQuestion {
    #[serde(default)]
    words: Vec<String>,
    #[serde(default)]
    counted: Vec<String>,
    #[serde(default)]
    starts: Vec<String>,
    #[serde(default)]
    joins: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDenial {
    #[serde(default)]
    before: Vec<String>,
    #[serde(default)]
    after: Vec<String>,
    #[serde(default)]
    clause: Vec<String>,
    #[serde(default)]
    elsewhere: Vec<String>,
    #[serde(default)]
    aside: Vec<String>,
    #[serde(default)]
    opening: Vec<String>,
    #[serde(default)]
    thanks: Vec<String>,
    #[serde(default)]
    thanks_unless: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpelling {
    word: String,
    #[serde(rename = "as")]
    misspelt: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    words: Vec<String>,
}

/// Cues lower-case, each in both Chinese scripts and as written, once each, each with its
/// choices spelt out ([`forms::choices`]) and each with 很 ("very") in it also with the other
/// words of degree ([`DEGREE`]). A cue whose choices are malformed is a problem at its line.
fn cue_forms(source: &Source, words: Vec<String>) -> Result<Vec<String>, Problem> {
    let mut forms = Distinct::default();
    for cue in words {
        let spelt = forms::choices(&cue.trim().to_lowercase()).map_err(|why| {
            let at = source.text.find(&format!("\"{cue}\"")).unwrap_or(0);
            source.problem(at, format!("the cue \"{cue}\": {why}"))
        })?;
        for word in spelt.into_iter().flat_map(with_degrees) {
            for form in [lang::to_simplified(&word), lang::to_traditional(&word), word] {
                if !form.is_empty() {
                    forms.push(form);
                }
            }
        }
    }
    Ok(forms.values)
}

/// The words of degree that customers write where a cue has 很: 处理得很快 is also written
/// 处理得挺快, 蛮快, 非常快, 好快 (Cantonese and Taiwanese "very"). A cue of praise or ease
/// (很方便, 很顺利, 很快就处理好了) holds whatever word of degree it is said with; blind sets
/// of our own wrote 挺 where the cue said 很.
const DEGREE: [&str; 7] = ["挺", "蛮", "非常", "特别", "超", "好", "十分"];

/// `cue`, and when it has 很, the same with each word of [`DEGREE`] in its place.
fn with_degrees(cue: String) -> Vec<String> {
    let others: Vec<String> =
        if cue.contains('很') { DEGREE.iter().map(|d| cue.replace('很', d)).collect() } else { Vec::new() };
    std::iter::once(cue).chain(others).collect()
}

/// Whether `form`, whose characters are `chars`, may hold `word`: it has the word's
/// first character (a test cheaper than the search it spares: a keyword's forms are searched
/// for every group's words, at every load).
fn may_hold(chars: &[char], word: &str) -> bool {
    word.chars().next().is_some_and(|first| chars.contains(&first))
}

/// At most this many forms of one keyword: the groups multiply.
const MAX_FORMS: usize = 64;

impl Vocabulary {
    /// Reads `dir/vocabulary/words.toml`; a missing file is an empty vocabulary.
    pub fn load(dir: &Path) -> Result<Vocabulary, Problem> {
        let path = dir.join("vocabulary").join("words.toml");
        let Ok(text) = std::fs::read_to_string(&path) else { return Ok(Vocabulary::default()) };
        let source = Source { path, text };
        let raw: RawVocabulary = toml::from_str(&source.text)
            .map_err(|e| source.problem(e.span().map_or(0, |s| s.start), e.message().trim().to_string()))?;
        let mut same = Vec::new();
        for group in raw.same {
            let words: Vec<String> =
                group.get_ref().words.iter().map(|w| lang::to_simplified(&w.trim().to_lowercase())).collect();
            if words.len() < 2 || words.iter().any(String::is_empty) {
                return Err(
                    source.problem(group.span().start, "a `same` group needs two or more non-empty words")
                );
            }
            same.push(words);
        }
        let mut spelling = Vec::new();
        for entry in raw.spelling {
            // An English word, or Chinese characters (held in Simplified, as the scan reads them).
            let english =
                |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'\'');
            let chinese = |w: &str| !w.is_empty() && w.chars().all(|c| !c.is_ascii() && c.is_alphanumeric());
            let word = lang::to_simplified(&entry.get_ref().word.trim().to_lowercase());
            let misspelt: Vec<String> = entry
                .get_ref()
                .misspelt
                .iter()
                .map(|w| lang::to_simplified(&w.trim().to_lowercase()))
                .collect();
            // A Chinese word may also be written in pinyin by someone typing English ("my tixian
            // not arrived"); an English word is misspelt in English only.
            let fits = |w: &str| if english(&word) { english(w) } else { chinese(w) || english(w) };
            let word_fits = english(&word) || chinese(&word);
            if !word_fits || misspelt.is_empty() || !misspelt.iter().all(|w| fits(w) && *w != word) {
                return Err(source.problem(
                    entry.span().start,
                    "a `spelling` entry needs one `word` (an English word or Chinese characters) and one or more \
                     misspellings in `as`, each unlike the word: English for an English word, Chinese or \
                     pinyin for a Chinese one",
                ));
            }
            spelling.push((word, misspelt));
        }
        let mut thanks = (Vec::new(), Vec::new());
        let negation = cue_forms(&source, raw.negation.map(|n| n.words).unwrap_or_default())?;
        let (before, after, clause, elsewhere, aside, opening) = match raw.denial {
            Some(d) => {
                thanks = (d.thanks, d.thanks_unless);
                (d.before, d.after, d.clause, d.elsewhere, d.aside, d.opening)
            }
            None => Default::default(),
        };
        let (more, counted, starts, joins) =
            raw.another_question.map(|a| (a.words, a.counted, a.starts, a.joins)).unwrap_or_default();
        Ok(Vocabulary {
            same,
            negation,
            denial_before: cue_forms(&source, before)?,
            denial_after: cue_forms(&source, after)?,
            denial_clause: cue_forms(&source, clause)?,
            denial_elsewhere: cue_forms(&source, elsewhere)?,
            denial_aside: cue_forms(&source, aside)?,
            denial_opening: cue_forms(&source, opening)?,
            denial_thanks: cue_forms(&source, thanks.0)?,
            denial_thanks_unless: cue_forms(&source, thanks.1)?,
            another_question: cue_forms(&source, more)?,
            counted_questions: cue_forms(&source, counted)?,
            question_starts: cue_forms(&source, starts)?,
            question_joins: cue_forms(&source, joins)?,
            spelling,
        })
    }

    /// `keyword` and its forms with each group's words put for one another (in Simplified
    /// form: the caller adds the other script).
    pub fn variants(&self, keyword: &str) -> Vec<String> {
        let mut forms = vec![lang::to_simplified(keyword)];
        let mut chars: Vec<char> = forms[0].chars().collect();
        for group in &self.same {
            if !group.iter().any(|word| may_hold(&chars, word)) {
                continue;
            }
            let mut more = Vec::new();
            for form in &forms {
                for word in group.iter().filter(|w| form.contains(w.as_str())) {
                    for other in group.iter().filter(|o| *o != word) {
                        more.push(form.replace(word.as_str(), other));
                    }
                }
            }
            for form in more {
                if forms.len() < MAX_FORMS && !forms.contains(&form) {
                    chars.extend(form.chars());
                    forms.push(form);
                }
            }
        }
        forms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary(text: &str) -> Result<Vocabulary, Problem> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("vocabulary")).unwrap();
        std::fs::write(dir.path().join("vocabulary/words.toml"), text).unwrap();
        Vocabulary::load(dir.path())
    }

    #[test]
    fn a_cue_with_very_holds_with_any_word_of_degree() {
        let v = vocabulary("[denial]\nclause = [\"处理得很快\"]\nafter = [\"还记得\"]\n").unwrap();
        for form in ["处理得很快", "处理得挺快", "處理得蠻快", "处理得非常快", "处理得好快"]
        {
            assert!(v.denial_clause.contains(&form.to_string()), "{form}: {:?}", v.denial_clause);
        }
        assert_eq!(v.denial_after, ["还记得", "還記得"], "a cue without 很 stays as written");
    }

    #[test]
    fn regional_words_stand_for_one_another() {
        let v = vocabulary(
            "[[same]]\nwords = [\"提现\", \"提領\"]\n[[same]]\nwords = [\"手续费\", \"匯費\"]\n\
             [negation]\nwords = [\"不用\", \"no need to\"]\n",
        )
        .unwrap();
        let forms = v.variants("提现手续费");
        for expected in ["提现手续费", "提领手续费", "提现汇费", "提领汇费"] {
            assert!(forms.contains(&expected.to_string()), "{expected} in {forms:?}");
        }
        assert_eq!(v.variants("退款"), ["退款"]);
        assert!(v.negation.contains(&"不用".to_string()) && v.negation.contains(&"no need to".to_string()));
    }

    #[test]
    fn denial_cues_are_read_in_both_scripts() {
        let v = vocabulary("[denial]\nbefore = [\"不是要\", \"Not asking for\"]\nafter = [\"沒問題\"]\n")
            .unwrap();
        assert_eq!(v.denial_before, ["不是要", "not asking for"]);
        assert_eq!(v.denial_after, ["没问题", "沒問題"]);
        assert!(vocabulary("[denial]\nbefor = [\"x\"]\n").is_err(), "an unknown key is a problem");
        assert!(vocabulary("").unwrap().denial_before.is_empty());
        let v = vocabulary("[another_question]\nwords = [\"另外\", \"Also\"]\n").unwrap();
        assert_eq!(v.another_question, ["另外", "also"]);
    }

    #[test]
    fn a_cue_with_choices_stands_for_each_of_them() {
        let v = vocabulary(
            "[denial]\nafter = [\"{已经|终于|}收到{了|咗}\", \"{finally |}arrived {fine|safely}\"]\n",
        )
        .unwrap();
        for cue in [
            "已经收到了",
            "已經收到了",
            "终于收到咗",
            "收到了",
            "收到咗",
            "finally arrived fine",
            "arrived safely",
        ] {
            assert!(v.denial_after.contains(&cue.to_string()), "{cue} in {:?}", v.denial_after);
        }
        assert!(!v.denial_after.iter().any(|cue| cue.contains(['{', '|', '}']) || cue.contains("  ")));
        for bad in ["{已经收到了", "已经}收到了", "{已经}收到了", "{已经|{终于|}}收到了"]
        {
            let problem = vocabulary(&format!("\n[denial]\nafter = [\"ok\",\n  \"{bad}\"]\n")).unwrap_err();
            assert_eq!(problem.line, 4, "{bad}: {problem}");
        }
        let many = "{a|b|c|d|e|f|g|h}".repeat(4);
        assert!(vocabulary(&format!("[denial]\nafter = [\"{many}\"]\n")).is_err(), "8^4 cues from one line");
    }

    #[test]
    fn a_spelling_entry_needs_one_word_and_its_misspellings() {
        let v = vocabulary("[[spelling]]\nword = \"Password\"\nas = [\"pasword\", \"PASSWROD\"]\n").unwrap();
        assert_eq!(
            v.spelling,
            [("password".to_string(), vec!["pasword".to_string(), "passwrod".to_string()])]
        );
        let problem = vocabulary("\n[[spelling]]\nword = \"pass word\"\nas = [\"x\"]\n").unwrap_err();
        assert_eq!(problem.line, 2, "{problem}");
        assert!(vocabulary("[[spelling]]\nword = \"password\"\nas = []\n").is_err());
        // Chinese: the characters a pinyin keyboard offers for the same sound, held in Simplified.
        let v = vocabulary("[[spelling]]\nword = \"充值\"\nas = [\"沖值\"]\n").unwrap();
        assert_eq!(v.spelling, [("充值".to_string(), vec!["冲值".to_string()])]);
        // Pinyin for a Chinese word, typed by someone writing English ("my chongzhi failed").
        let v = vocabulary("[[spelling]]\nword = \"充值\"\nas = [\"ChongZhi\"]\n").unwrap();
        assert_eq!(v.spelling, [("充值".to_string(), vec!["chongzhi".to_string()])]);
        assert!(
            vocabulary("[[spelling]]\nword = \"topup\"\nas = [\"充值\"]\n").is_err(),
            "no Chinese for English"
        );
        assert!(vocabulary("[[spelling]]\nword = \"花呗\"\nas = [\"花唄\"]\n").is_err(), "the word itself");
    }

    #[test]
    fn a_group_of_one_word_is_a_problem_with_its_line() {
        let problem = vocabulary("\n[[same]]\nwords = [\"提现\"]\n").unwrap_err();
        assert_eq!(problem.line, 2, "{problem}");
        assert!(vocabulary("[[same]]\nword = []\n").is_err());
    }
}
