//! Classify stage, indexing: the matchers of each field become one aho-corasick automaton
//! (keywords, proximity words, `except` phrases and negation cues) and one RegexSet, so a
//! mail is scanned once per field however many rules there are.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use regex::{Regex, RegexSet};

use super::char_keywords::CharKeywordAutomaton;
use super::context::Span;
use super::field::Field;
use super::keywords::KeywordAutomaton;
use super::spec::{Kind, MatcherSpec};
use super::spelling::Speller;
use super::vocabulary::Vocabulary;
use crate::parse::lang;

/// The matchers of one field, compiled together.
#[derive(Debug)]
pub(super) struct FieldIndex {
    pub(super) field: Field,
    /// The field's name as written in rules, for evidence.
    pub(super) name: String,
    /// The automaton of the patterns written in ASCII (`keyword_patterns[..latin]`), run on
    /// every value, and of the others (Chinese and the rest, `keyword_patterns[latin..]`),
    /// run only on a value that is not all ASCII: an English mail never walks the Chinese
    /// words, and each automaton stays small. The other is read a character at a time (a
    /// Chinese character was three steps of a byte table of 8 MB).
    pub(super) latin_keywords: Option<KeywordAutomaton>,
    pub(super) other_keywords: Option<CharKeywordAutomaton>,
    /// How many of `keys` the ASCII automaton holds (`keys[..latin]`); the other
    /// automaton's keys follow.
    pub(super) latin: usize,
    /// The length of the shortest ASCII pattern: a run of ASCII shorter than it holds none.
    pub(super) shortest_latin: usize,
    pub(super) keyword_patterns: Vec<KeywordPattern>,
    /// The automatons' patterns: each distinct key once, with the patterns that look for it.
    pub(super) keys: Vec<Key>,
    /// Puts the vocabulary's misspellings right in a text where the scan found one (its
    /// patterns are in the English automaton, role [`Role::Typo`]).
    pub(super) speller: Option<Speller>,
    /// Every pattern is a plain keyword: hits are recorded as they are found.
    pub(super) plain: bool,
    /// The longest `except` phrase, in bytes: how far back a keyword looks for one.
    pub(super) longest_except: usize,
    /// Words that may stand between a sentence's end and a cue that starts the real question.
    pub(super) question_joins: Vec<String>,
    /// Words that keep a sentence of thanks a live matter, looked for only in such a sentence
    /// (most mails have none): as patterns, "but", "when" and 吗 would be found in most mails.
    pub(super) thanks_unless: Vec<String>,
    pub(super) regexes: Option<RegexSet>,
    pub(super) regex_matchers: Vec<(usize, Regex)>,
    pub(super) literals: Vec<usize>,
    /// For a field whose values are few and known (`language`), what its literals find in
    /// each value, worked out once: the value compared whole, then these recorded.
    pub(super) known: Vec<(&'static str, Vec<(usize, String)>)>,
}

#[derive(Debug)]
pub(super) struct KeywordPattern {
    pub(super) matcher: usize,
    /// The word as the rule has it (lower-case, without a trailing `*`). The automaton looks
    /// for it in Simplified characters in the text folded to Simplified: one pattern for
    /// both scripts, where each script's form was one before.
    pub(super) word: String,
    /// The matcher wants this script only (no `both_scripts`): the text itself must hold
    /// `word` where the folded text does.
    pub(super) exact: bool,
    pub(super) left_boundary: bool,
    pub(super) right_boundary: bool,
    pub(super) role: Role,
}

/// One pattern of the keyword automatons: a key (a word in Simplified characters) and the
/// keyword patterns that look for it, `keyword_patterns[patterns]`, which stand next to
/// one another. A word is a keyword of many matchers, a word of several proximity groups,
/// an `except` phrase too: given to the automaton once per pattern, each of its
/// occurrences was a match per pattern, each checked at its boundaries alone. In the
/// default rules 8,882 patterns are 6,671 keys.
#[derive(Debug)]
pub(super) struct Key {
    pub(super) patterns: std::ops::Range<usize>,
    /// The key starts with a word character: it stands only where none comes before it
    /// (the same for every pattern of the key, whose words differ in CJK characters only).
    pub(super) left_boundary: bool,
    /// Some pattern of the key ends at a word boundary: the character after it is read.
    pub(super) right_boundary: bool,
}

/// What a pattern of the keyword automaton stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Role {
    Keyword,
    /// A phrase that hides the matcher's keywords inside it.
    Except,
    /// A word of the matcher's proximity group.
    Near(usize),
    /// A negation cue (for every matcher of the field that asks).
    Negation,
    /// A denial cue written before the words it denies ("not asking for", 不是要): for every
    /// keyword and proximity word of the field.
    DenialBefore,
    /// A denial cue written after them ("is fine", 不用了).
    DenialAfter,
    /// A denial cue for its whole clause ("you sorted out … quickly", 帮我处理得很快).
    DenialClause,
    /// A denial cue for what stands before it in its sentence ("so you can close that ticket").
    DenialElsewhere,
    /// A denial cue for what stands before it in its clause and the clause before ("這個沒關係").
    DenialAside,
    /// A denial cue that opens a clause, for the rest of it ("不是密码的问题").
    DenialOpening,
    /// Thanks or praise for something done, for its sentence when a later one asks ("cheers
    /// for that", 特此致谢).
    DenialThanks,
    /// A cue that a second question follows ("also", 另外).
    AnotherQuestion,
    /// A count of the mail's questions ("two questions", 两件事).
    CountedQuestions,
    /// A cue that the real question starts after context ("我想问的是", "what I need to know is").
    QuestionStarts,
    /// A misspelt word of the vocabulary: the text is put right and scanned again.
    Typo,
}

pub(super) fn index_fields(specs: &[MatcherSpec], vocabulary: &Vocabulary) -> Vec<FieldIndex> {
    let mut by_field: BTreeMap<&Field, Vec<usize>> = BTreeMap::new();
    for (id, spec) in specs.iter().enumerate() {
        by_field.entry(&spec.field).or_default().push(id);
    }
    by_field.into_iter().map(|(field, ids)| index_field(field, &ids, specs, vocabulary)).collect()
}

/// For each matcher, the index in `fields` of its field when it is a regex (regexes run on
/// demand, a field at a time), `None` otherwise.
pub(super) fn regex_fields(fields: &[FieldIndex], specs: &[MatcherSpec]) -> Vec<Option<usize>> {
    specs.iter().map(|spec| (spec.kind == Kind::Regex).then(|| field_index(fields, &spec.field))).collect()
}

fn field_index(fields: &[FieldIndex], field: &Field) -> usize {
    fields.iter().position(|f| &f.field == field).expect("every matcher's field is indexed")
}

fn index_field(field: &Field, ids: &[usize], specs: &[MatcherSpec], vocabulary: &Vocabulary) -> FieldIndex {
    let mut keyword_patterns = Vec::new();
    let mut regex_matchers = Vec::new();
    let mut literals = Vec::new();
    let mut negation = false;
    let mut amounts = false;
    let mut textual = false;
    for &id in ids {
        let spec = &specs[id];
        let exact = !spec.both_scripts;
        match spec.kind {
            Kind::Keywords => {
                keyword_patterns.extend(spec.values.iter().map(|v| keyword(id, v, Role::Keyword, exact)))
            }
            Kind::Near => keyword_patterns.extend(
                spec.values.iter().zip(&spec.groups).map(|(v, g)| keyword(id, v, Role::Near(*g), exact)),
            ),
            Kind::Regex => regex_matchers.push((id, Regex::new(&spec.values[0]).expect("checked"))),
            _ => literals.push(id),
        }
        keyword_patterns.extend(spec.except.iter().map(|v| keyword(id, v, Role::Except, exact)));
        negation |= spec.unless_negated;
        amounts |= spec.unless_amount;
        textual |= matches!(spec.kind, Kind::Keywords | Kind::Near);
    }
    if negation {
        keyword_patterns
            .extend(vocabulary.negation.iter().map(|v| keyword(usize::MAX, v, Role::Negation, false)));
    }
    if textual {
        let cues = [
            (&vocabulary.denial_before, Role::DenialBefore),
            (&vocabulary.denial_after, Role::DenialAfter),
            (&vocabulary.denial_clause, Role::DenialClause),
            (&vocabulary.denial_elsewhere, Role::DenialElsewhere),
            (&vocabulary.denial_aside, Role::DenialAside),
            (&vocabulary.denial_opening, Role::DenialOpening),
            (&vocabulary.denial_thanks, Role::DenialThanks),
            (&vocabulary.another_question, Role::AnotherQuestion),
            (&vocabulary.counted_questions, Role::CountedQuestions),
            (&vocabulary.question_starts, Role::QuestionStarts),
        ];
        for (words, role) in cues {
            keyword_patterns.extend(words.iter().map(|v| keyword(usize::MAX, v, role, false)));
        }
    }
    // Misspellings are looked for with the keywords of their script, in the same pass: only
    // a text that has one is put right and scanned again.
    let has_english = keyword_patterns.iter().any(|p| p.word.is_ascii());
    let has_other = keyword_patterns.iter().any(|p| !p.word.is_ascii());
    let spelling: Vec<(String, Vec<String>)> = vocabulary
        .spelling
        .iter()
        .filter(|(word, _)| if word.is_ascii() { has_english } else { has_other })
        .cloned()
        .collect();
    let speller = Speller::new(&spelling);
    let typos = spelling.iter().flat_map(|(_, typos)| typos);
    keyword_patterns.extend(typos.map(|t| keyword(usize::MAX, t, Role::Typo, false)));
    // A word given in both scripts is one pattern once folded.
    let mut seen = HashSet::new();
    keyword_patterns.retain(|p| {
        let exact_word = p.exact.then(|| p.word.clone());
        seen.insert((p.matcher, p.role, p.left_boundary, p.right_boundary, exact_word, p.key().into_owned()))
    });
    // Plain: every keyword counts wherever it stands, so none needs its context read.
    let plain = !amounts && keyword_patterns.iter().all(|p| matches!(p.role, Role::Keyword | Role::Typo));
    let longest_except =
        keyword_patterns.iter().filter(|p| p.role == Role::Except).map(|p| p.word.len()).max().unwrap_or(0);
    let keys = group_by_key(&mut keyword_patterns);
    let latin = keys.iter().take_while(|k| keyword_patterns[k.patterns.start].word.is_ascii()).count();
    let key_of = |k: &Key| keyword_patterns[k.patterns.start].key().into_owned();
    let (latin_keys, other_keys) = keys.split_at(latin);
    let latin_keys: Vec<String> = latin_keys.iter().map(key_of).collect();
    let other_keys: Vec<String> = other_keys.iter().map(key_of).collect();
    let shortest_latin = latin_keys.iter().map(String::len).min().unwrap_or(0).max(1);
    let latin_keywords = (!latin_keys.is_empty()).then(|| KeywordAutomaton::new(&latin_keys));
    let other_keywords = (!other_keys.is_empty()).then(|| CharKeywordAutomaton::new(&other_keys));
    let regexes = regex_set(&regex_matchers);
    let known = match field {
        Field::Language => crate::parse::Language::ALL
            .iter()
            .map(|l| (l.tag(), found_in(l.tag(), &literals, specs)))
            .collect(),
        _ => Vec::new(),
    };
    FieldIndex {
        field: field.clone(),
        name: field.name(),
        latin_keywords,
        other_keywords,
        latin,
        shortest_latin,
        keyword_patterns,
        keys,
        speller,
        plain,
        longest_except,
        question_joins: vocabulary.question_joins.clone(),
        thanks_unless: vocabulary.denial_thanks_unless.clone(),
        regexes,
        regex_matchers,
        literals,
        known,
    }
}

/// The literal matchers among `literals` that `value` meets, each with the word it met.
fn found_in(value: &str, literals: &[usize], specs: &[MatcherSpec]) -> Vec<(usize, String)> {
    let lower = value.to_lowercase();
    literals
        .iter()
        .filter_map(|&id| literal_match(&specs[id], &lower).map(|word| (id, word.to_string())))
        .collect()
}

/// Puts the ASCII patterns first, and the patterns of one key next to one another in the
/// order they had (so a key's occurrence gives its patterns in the order the automaton gave
/// them when each was its own pattern: at a state, the patterns of one key by number); returns
/// the keys, ASCII ones first, in the order their first pattern came. Keys are lower-case:
/// ASCII letters in the text match either case, and text with other upper-case letters is
/// lower-cased before the scan (see [`FieldIndex::scan`]).
fn group_by_key(patterns: &mut [KeywordPattern]) -> Vec<Key> {
    let mut first: HashMap<String, usize> = HashMap::new();
    for (i, p) in patterns.iter().enumerate() {
        first.entry(p.key().into_owned()).or_insert(i);
    }
    patterns.sort_by_cached_key(|p| (!p.word.is_ascii(), first[p.key().as_ref()]));
    let mut keys: Vec<Key> = Vec::new();
    for (i, p) in patterns.iter().enumerate() {
        match keys.last_mut() {
            Some(key) if patterns[key.patterns.start].key() == p.key() => {
                key.patterns.end = i + 1;
                key.right_boundary |= p.right_boundary;
            }
            _ => keys.push(Key {
                patterns: i..i + 1,
                left_boundary: p.left_boundary,
                right_boundary: p.right_boundary,
            }),
        }
    }
    keys
}

/// One RegexSet for a field's regexes. Hundreds of Unicode-aware regexes can outgrow the
/// regex crate's size limits together even though each compiles alone; the field then
/// falls back to running its regexes one by one (slower, never a failure to start).
fn regex_set(matchers: &[(usize, Regex)]) -> Option<RegexSet> {
    if matchers.is_empty() {
        return None;
    }
    let set = regex::RegexSetBuilder::new(matchers.iter().map(|(_, r)| r.as_str()))
        .size_limit(256 << 20)
        .dfa_size_limit(64 << 20)
        .build();
    match set {
        Ok(set) => Some(set),
        Err(e) => {
            tracing::warn!(regexes = matchers.len(), error = %e, "regexes too large for one set; matching them one by one");
            None
        }
    }
}

/// A keyword; a trailing `*` drops the right word boundary (`refund*` matches "refunded").
/// `exact`: the matcher wants the word in its own script only.
fn keyword(matcher: usize, value: &str, role: Role, exact: bool) -> KeywordPattern {
    let (word, wildcard) = match value.strip_suffix('*') {
        Some(stem) => (stem.to_string(), true),
        None => (value.to_string(), false),
    };
    KeywordPattern {
        matcher,
        left_boundary: word.chars().next().is_some_and(is_word_char),
        right_boundary: !wildcard && word.chars().last().is_some_and(is_word_char),
        exact: exact && !word.is_ascii(),
        word,
        role,
    }
}

impl KeywordPattern {
    /// What the automaton looks for in the folded text: the word in Simplified characters.
    pub(super) fn key(&self) -> Cow<'_, str> {
        lang::fold_to_simplified(&self.word)
    }

    /// Whether a match of this pattern at `at` of `text`, at a left word boundary where the
    /// pattern needs one, counts: at a right boundary where the pattern has one (`word_after`:
    /// a word character follows), and in the pattern's own script when the matcher asks.
    #[inline(always)]
    pub(super) fn stands_before(&self, text: &str, at: Span, word_after: bool) -> bool {
        !(self.right_boundary && word_after) && (!self.exact || text[at.start..at.end] == self.word)
    }
}

/// Whether the character that ends at byte `at` of `text` is a word character: an ASCII one
/// told from its byte, as nearly every one is; others decoded. Always inlined, as is
/// [`word_char_at`]: asked for nearly every match, left a call it cost the loop over the
/// matches its registers.
#[inline(always)]
pub(super) fn word_char_before(text: &str, at: usize) -> bool {
    match text.as_bytes()[..at].last() {
        None => false,
        Some(b) if b.is_ascii() => b.is_ascii_alphanumeric(),
        Some(_) => text[..at].chars().next_back().is_some_and(is_word_char),
    }
}

/// Whether the character that starts at byte `at` of `text` is a word character, told as in
/// [`word_char_before`].
#[inline(always)]
pub(super) fn word_char_at(text: &str, at: usize) -> bool {
    match text.as_bytes().get(at) {
        None => false,
        Some(b) if b.is_ascii() => b.is_ascii_alphanumeric(),
        Some(_) => text[at..].chars().next().is_some_and(is_word_char),
    }
}

/// Letters and digits of alphabetic scripts; CJK characters are never part of a "word".
pub(super) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && (c as u32) < 0x2E80
}

/// The value of an `equals`, `prefix` or `suffix` matcher that `lower` (a trimmed,
/// lower-cased field value) meets.
pub(super) fn literal_match<'s>(spec: &'s MatcherSpec, lower: &str) -> Option<&'s str> {
    spec.values
        .iter()
        .find(|v| match spec.kind {
            Kind::Equals => lower == v.as_str(),
            Kind::Prefix => lower.starts_with(v.as_str()),
            Kind::Suffix => lower.ends_with(v.as_str()),
            _ => false,
        })
        .map(String::as_str)
}
