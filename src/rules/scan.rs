//! Classify stage, running the indexes over one mail: which matchers fire (keywords in
//! context, literals, regexes on demand) and the score of a rule from its matchers' weights.

use std::borrow::Cow;
use std::cell::RefCell;

use super::RuleSet;
use super::buckets::Buckets;
use super::char_keywords::CharKeywordAutomaton;
use super::context::{self, Span};
use super::field::{self, Field, Values};
use super::found::Found;
use super::hits::Hits;
use super::index::{FieldIndex, KeywordPattern, Role, literal_match, word_char_at, word_char_before};
use super::keywords::KeywordAutomaton;
use super::model::Folded;
use super::opinion::MoreQuestions;
use super::reading::{ascii_runs, join_spaced_characters, read_for_scan};
// The model reads a text as the scan does.
pub(super) use super::reading::{cased_beyond_ascii, caseless};
use super::spec::{FlatAny, MatcherSpec};
use crate::parse::{Inbound, lang};
use crate::screen::Verdict;

impl FlatAny {
    /// Whether it holds, and its score: the weights of its keyword matchers that fired or,
    /// when none did, of its regexes that do (so a mail whose keywords decide runs no regex).
    #[inline]
    pub(super) fn score(&self, scan: &mut Scan<'_, '_>, weights: &[f32]) -> (bool, f32) {
        let mut score = Score::default();
        for &(word, mask) in &self.words {
            let mut bits = mask & scan.hits.fired.word(word);
            while bits != 0 {
                score.add(weights[word * 64 + bits.trailing_zeros() as usize]);
                bits &= bits - 1;
            }
        }
        if score.count == 0 {
            for &id in &self.regexes {
                if scan.fired(id) {
                    score.add(weights[id]);
                }
            }
        }
        (score.count > 0, score.value())
    }
}

/// A rule's score from the weights of its matchers that fired: the highest, and a quarter
/// of each other. The strongest evidence decides; more of it breaks ties, but a generic
/// word found again by a second matcher ("charges" after "charges for") cannot outweigh
/// another rule's specific phrase.
#[derive(Default)]
pub(super) struct Score {
    best: f32,
    rest: f32,
    count: usize,
}

impl Score {
    pub(super) fn add(&mut self, weight: f32) {
        self.count += 1;
        if weight > self.best {
            self.rest += self.best;
            self.best = weight;
        } else {
            self.rest += weight;
        }
    }

    pub(super) fn value(&self) -> f32 {
        self.best + self.rest / 4.0
    }
}

impl FieldIndex {
    /// Marks in `hits` every keyword and literal matcher of this field that fires on `values`.
    /// A value with a misspelling of the vocabulary is kept put right, as the rules read it,
    /// for what reads it next (the model, the regexes). Returns the first value folded to
    /// Simplified characters, when the keyword scan read it as it is kept.
    pub(super) fn scan<'r>(
        &'r self,
        values: &mut [Cow<'_, str>],
        specs: &'r [MatcherSpec],
        hits: &mut Hits<'r>,
    ) -> Folded {
        let mut first_folded = Folded::Unknown;
        for (at, value) in values.iter_mut().enumerate() {
            if let Some((_, found)) = self.known.iter().find(|(known, _)| *known == value.as_ref()) {
                for (id, word) in found {
                    hits.record(&self.name, *id, || Cow::Borrowed(word.as_str()));
                }
            } else if !self.literals.is_empty() {
                let lower = value.trim().to_lowercase();
                for &id in &self.literals {
                    if let Some(word) = literal_match(&specs[id], &lower) {
                        hits.record(&self.name, id, || Cow::Borrowed(word));
                    }
                }
            }
            if self.latin_keywords.is_some() || self.other_keywords.is_some() {
                // Told once: an English value has nothing to lower-case nor to fold (each
                // asked it again, some 180 instructions a banking77 mail).
                let ascii = value.is_ascii();
                if let Some(joined) = (!ascii).then(|| join_spaced_characters(value)).flatten() {
                    *value = Cow::Owned(joined);
                }
                let (read, simplified) = read_for_scan(value, ascii);
                let read_as_is = matches!(read, Cow::Borrowed(_));
                let (corrected, folded) = self.scan_text(read, (simplified, ascii), specs, hits, false);
                // A value put right is kept as the scan read it; one lower-cased is not.
                let kept_as_read = read_as_is || corrected.is_some();
                if let Some(corrected) = corrected {
                    *value = Cow::Owned(corrected);
                }
                if at == 0 && kept_as_read {
                    first_folded = folded;
                }
            }
        }
        first_folded
    }

    /// Marks the keyword matchers that fire on `text` (all ASCII when `ascii`; `simplified`
    /// is it folded to Simplified characters, when known). A text with a misspelt word of the
    /// vocabulary is put right and scanned again (`respelt`), once: the text put right is
    /// returned, and the text last scanned folded to Simplified characters.
    fn scan_text<'t, 'r>(
        &'r self,
        text: Cow<'t, str>,
        (simplified, ascii): (Option<Cow<'t, str>>, bool),
        specs: &'r [MatcherSpec],
        hits: &mut Hits<'r>,
        respelt: bool,
    ) -> (Option<String>, Folded) {
        // Both scripts in one pass: the automaton holds each word in Simplified
        // characters, the folded text has the same byte offsets as `text`.
        let simplified = match simplified {
            Some(simplified) => simplified,
            None if ascii => Cow::Borrowed(text.as_ref()),
            None => lang::fold_to_simplified(&text),
        };
        let respell = SCRATCH.with_borrow_mut(|scratch| {
            scratch.found.clear(specs.len());
            self.find_keywords(&text, (&simplified, ascii), &mut scratch.found);
            if !respelt && scratch.found.typo {
                return true;
            }
            if self.plain {
                let patterns = &self.keyword_patterns;
                for &(pattern, at) in scratch.found.words.iter() {
                    let pattern = &patterns[pattern];
                    if pattern.role == Role::Keyword {
                        hits.record(&self.name, pattern.matcher, || as_written(&text, at, pattern));
                    }
                }
            } else {
                self.record_in_context(&text, specs, hits, scratch);
            }
            false
        });
        let Some(speller) = self.speller.as_ref().filter(|_| respell) else {
            return (None, Folded::from_fold(simplified));
        };
        let corrected = speller.correct(text).into_owned();
        let (_, folded) =
            self.scan_text(Cow::Borrowed(&corrected), (None, corrected.is_ascii()), specs, hits, true);
        (Some(corrected), folded)
    }

    /// Puts in `found` the keyword automatons' matches in `simplified` (`text` folded, all
    /// ASCII when `ascii`) that stand at word boundaries in `text`, in their own script where
    /// the matcher asks: the first [`context::MAX_MATCHES`] of them.
    /// Never inlined: inlined into `scan_text` (as a change elsewhere in the crate's codegen
    /// units made it), it and `record_in_context` took 12 % more instructions.
    #[inline(never)]
    fn find_keywords(&self, text: &str, (simplified, ascii): (&str, bool), found: &mut Found) {
        // The ASCII words are looked for in the runs of ASCII only: in Chinese text,
        // a few words and digits between the characters; in English, the whole text.
        if let Some(latin) = &self.latin_keywords {
            for run in ascii_runs(simplified, self.shortest_latin) {
                if !self.keep_matches(latin, 0, run, text, found) {
                    return;
                }
            }
        }
        if let Some(other) = self.other_keywords.as_ref().filter(|_| !ascii) {
            self.keep_char_matches(other, simplified, text, found);
        }
    }

    /// Adds to `found` the matches of `automaton` (the keys beyond ASCII, numbered from
    /// `self.latin`) in `simplified` that stand where their pattern may, as
    /// [`Self::keep_matches`] does those of the ASCII keys, until `found` is full.
    fn keep_char_matches(
        &self,
        automaton: &CharKeywordAutomaton,
        simplified: &str,
        text: &str,
        found: &mut Found,
    ) {
        for (key, start, end) in automaton.matches(simplified) {
            if !self.keep_match(self.latin + key, Span { start, end }, text, found) {
                return;
            }
        }
    }

    /// Adds to `found` the matches of `automaton` (its keys numbered from `first`) in `run`,
    /// which starts at byte `from` of `text`, that stand where their pattern may; false once
    /// `found` holds [`context::MAX_MATCHES`].
    fn keep_matches(
        &self,
        automaton: &KeywordAutomaton,
        first: usize,
        (from, run): (usize, &str),
        text: &str,
        found: &mut Found,
    ) -> bool {
        for (key, start, end) in automaton.matches(run.as_bytes()) {
            if !self.keep_match(first + key, Span { start: from + start, end: from + end }, text, found) {
                return false;
            }
        }
        found.len() < context::MAX_MATCHES
    }

    /// Adds the patterns of `key`, found at `at`, that stand there to `found`; false once
    /// `found` holds [`context::MAX_MATCHES`] (the first that many, as when each pattern was
    /// its own match). The characters around the key are read once for all its patterns.
    /// Always inlined: it is called for every match of every mail.
    #[inline(always)]
    fn keep_match(&self, key: usize, at: Span, text: &str, found: &mut Found) -> bool {
        let key = &self.keys[key];
        if key.left_boundary && word_char_before(text, at.start) {
            return found.len() < context::MAX_MATCHES;
        }
        let word_after = key.right_boundary && word_char_at(text, at.end);
        for pattern in key.patterns.clone() {
            if found.len() == context::MAX_MATCHES {
                return false;
            }
            let p = &self.keyword_patterns[pattern];
            if p.stands_before(text, at, word_after) {
                found.push(pattern, at, p);
            }
        }
        true
    }

    /// Records the keywords of `scratch.found` that count where they stand (not inside an
    /// `except` phrase, not negated when the matcher asks) and the proximity matchers that
    /// hold: only those whose every group has a word found are weighed in context (most
    /// matchers meet the words of one group alone).
    #[inline(never)]
    fn record_in_context<'r>(
        &'r self,
        text: &str,
        specs: &[MatcherSpec],
        hits: &mut Hits<'r>,
        scratch: &mut Scratch,
    ) {
        let Scratch { found, cues, denials, excepts, counted } = scratch;
        let patterns = &self.keyword_patterns;
        // Sorted once, so that each keyword looks only at the phrases and cues near it: a
        // hostile mail repeating a keyword 100,000 times stays linear.
        cues.clear();
        denials.clear();
        excepts.clear(specs.len());
        for &(pattern, at) in found.words.iter() {
            let pattern = &patterns[pattern];
            match pattern.role {
                Role::Negation | Role::DenialBefore if context::asks_either_way(text, at) => {}
                Role::DenialBefore if context::negated_cue(text, at) => {}
                Role::Negation => cues.push(at),
                Role::DenialBefore => denials.before.push(at),
                Role::DenialAfter if context::asked_right_after(text, at) => {}
                Role::DenialAfter => denials.after.push(at),
                Role::DenialClause if context::negated_cue(text, at) || context::in_a_question(text, at) => {}
                Role::DenialClause => denials.clause.push(at),
                Role::DenialElsewhere | Role::DenialAside
                    if context::negated_cue(text, at) || context::clause_is_a_question(text, at) => {}
                Role::DenialElsewhere => denials.elsewhere.push(at),
                Role::DenialAside => denials.aside.push(at),
                Role::DenialOpening if context::opens_a_denial(text, at) => denials.opening.push(at),
                Role::DenialThanks => denials.thanks.push(at),
                Role::AnotherQuestion => hits.more_questions = hits.more_questions.max(MoreQuestions::Cued),
                Role::CountedQuestions => hits.more_questions = MoreQuestions::Counted,
                // The earliest such cue: matches come a script at a time, not in text order.
                Role::QuestionStarts
                    if hits.question.as_ref().is_none_or(|q| text.len() - at.start > q.len())
                        && context::after_context(text, at, &self.question_joins) =>
                {
                    hits.question = Some(text[at.start..].to_string());
                }
                Role::Except => excepts.push(pattern.matcher, at),
                _ => {}
            }
        }
        cues.sort_by_key(|s| s.end);
        denials.sort();
        denials.settle_thanks(text, &self.thanks_unless);
        if self.field == Field::Text
            && let Some(from) = denials.asked_after_thanks(text)
        {
            hits.asked_after_thanks = Some(text[from..].to_string());
        }
        excepts.sort_each_by_key(|s| s.start);
        let counts = |matcher: usize, at: Span| {
            let excluded = context::inside_any(excepts.of(matcher), at, self.longest_except);
            let spec = &specs[matcher];
            let negated = spec.unless_negated && context::negated(text, at, cues);
            let amount = spec.unless_amount && context::in_amount(text, at);
            !excluded && !negated && !amount && !denials.deny(text, at)
        };
        for &(pattern, at) in found.words.iter() {
            let pattern = &patterns[pattern];
            if pattern.role == Role::Keyword && counts(pattern.matcher, at) {
                hits.record(&self.name, pattern.matcher, || as_written(text, at, pattern))
            }
        }
        for (matcher, groups) in found.near_matchers() {
            let spec = &specs[matcher];
            if !context::groups_met(groups, spec.group_count()) {
                continue;
            }
            counted.clear();
            found.near_words(matcher, counted, |at| counts(matcher, at));
            counted.sort_by_key(|(_, at)| at.start);
            let occurrences = counted.as_slice();
            if context::near(text, occurrences, spec.group_count(), spec.within, spec.sentences) {
                let words = || {
                    let words: Vec<&str> =
                        occurrences.iter().take(8).map(|(_, at)| &text[at.start..at.end]).collect();
                    Cow::Owned(words.join(" … "))
                };
                hits.record(&self.name, matcher, words);
            }
        }
    }

    /// Marks in `hits` every regex matcher of this field that fires on `values`: run only
    /// when a rule needs one of them, as most mails are decided by keywords first.
    pub(super) fn scan_regexes<'r>(&'r self, values: &[Cow<'_, str>], hits: &mut Hits<'r>) {
        for value in values {
            let matched: Vec<usize> = match &self.regexes {
                // Most values match none, which `is_match` finds out without gathering.
                Some(set) if !set.is_match(value) => Vec::new(),
                Some(set) => set.matches(value).iter().collect(),
                None => (0..self.regex_matchers.len())
                    .filter(|i| self.regex_matchers[*i].1.is_match(value))
                    .collect(),
            };
            for i in matched {
                let (id, regex) = &self.regex_matchers[i];
                let found = || Cow::Owned(regex.find(value).map_or("", |m| m.as_str()).to_string());
                hits.record(&self.name, *id, found);
            }
        }
    }
}

/// The vectors [`FieldIndex::record_in_context`] works in, kept from mail to mail on each
/// thread: weighing keywords in context then allocates nothing once they have grown, which
/// is a good part of the work on a short mail.
#[derive(Default)]
pub(super) struct Scratch {
    /// The keyword automatons' matches in one field value.
    found: Found,
    /// Negation cues, by end.
    cues: Vec<Span>,
    /// Denial cues, before and after the words they deny.
    denials: context::Denials,
    /// Each matcher's `except` phrases, by start.
    excepts: Buckets<Span>,
    /// One proximity matcher's words that count where they stand, by start.
    counted: Vec<(usize, Span)>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

/// What the matchers found in one mail: every keyword and literal matcher up front, the
/// regexes of a field once a rule asks for one of them.
pub(super) struct Scan<'r, 'm> {
    rules: &'r RuleSet,
    /// Each field's values, and whether its regexes have run on them.
    fields: MailFields<'m>,
    /// The text field's first value folded to Simplified characters, as far as the scan
    /// knows: for the model, which reads that value (not a vector of every field's: an
    /// allocation a mail, for one of them).
    text_folded: Folded,
    pub(super) hits: Hits<'r>,
}

impl<'r, 'm> Scan<'r, 'm> {
    /// Runs the keyword and literal matchers over `mail`; `keep_words` gathers the words
    /// each matched, for `--explain`. Inlined into its one caller, `decide`, as it was before
    /// that grew (out of line it cost about 50 instructions a mail more).
    #[inline(always)]
    pub(super) fn new(
        rules: &'r RuleSet,
        mail: &'m Inbound,
        verdict: &Verdict,
        keep_words: bool,
    ) -> Scan<'r, 'm> {
        let mut hits = Hits::new(rules.specs.len(), keep_words);
        let mut fields = MailFields::read(rules, mail, verdict);
        let mut text_folded = Folded::Unknown;
        for (index, (values, _)) in rules.fields.iter().zip(fields.iter_mut()) {
            let folded = index.scan(values, &rules.specs, &mut hits);
            if index.field == Field::Text {
                text_folded = folded;
            }
        }
        Scan { rules, fields, text_folded, hits }
    }

    /// The first value of the text field in this mail, when a rule looks at that field (it
    /// was read for the scan already), and what the scan knows of it folded to Simplified
    /// characters.
    pub(super) fn text(&self) -> Option<(&str, &Folded)> {
        let at = self.rules.fields.iter().position(|f| f.field == Field::Text)?;
        self.fields.get(at).0.first().map(|v| (v.as_ref(), &self.text_folded))
    }

    /// Whether matcher `id` fired; a regex matcher's field has its regexes run first if no
    /// rule asked before.
    pub(super) fn fired(&mut self, id: usize) -> bool {
        if let Some(field) = self.rules.regex_field[id] {
            let (values, regexes_run) = self.fields.get_mut(field);
            if !*regexes_run {
                *regexes_run = true;
                self.rules.fields[field].scan_regexes(values, &mut self.hits);
            }
        }
        self.hits.has_fired(id)
    }
}

/// The values of the fields the rules look at in one mail (in the order of
/// `RuleSet::fields`), each with whether its regexes have run: the first two kept in place,
/// as the rules look at one field (`text`) or two (`text` and `language`), and a vector of
/// them was an allocation a mail (some 200 instructions a Cathay mail).
struct MailFields<'m> {
    first: Option<(Values<'m>, bool)>,
    second: Option<(Values<'m>, bool)>,
    rest: Vec<(Values<'m>, bool)>,
}

impl<'m> MailFields<'m> {
    /// The values of every field of `rules` in `mail`, no regex run yet.
    fn read(rules: &RuleSet, mail: &'m Inbound, verdict: &Verdict) -> MailFields<'m> {
        let mut values = rules.fields.iter().map(|f| (f.field.values(mail, verdict), false));
        MailFields { first: values.next(), second: values.next(), rest: values.collect() }
    }

    fn iter_mut(&mut self) -> impl Iterator<Item = &mut (Values<'m>, bool)> {
        self.first.iter_mut().chain(self.second.iter_mut()).chain(self.rest.iter_mut())
    }

    /// Field `at`'s (one of the rules' fields).
    fn get(&self, at: usize) -> &(Values<'m>, bool) {
        match at {
            0 => self.first.as_ref().expect("a field of the rules"),
            1 => self.second.as_ref().expect("a field of the rules"),
            _ => &self.rest[at - 2],
        }
    }

    fn get_mut(&mut self, at: usize) -> &mut (Values<'m>, bool) {
        match at {
            0 => self.first.as_mut().expect("a field of the rules"),
            1 => self.second.as_mut().expect("a field of the rules"),
            _ => &mut self.rest[at - 2],
        }
    }
}

impl Drop for MailFields<'_> {
    /// The first field's value is given back for the next mail's to be written in.
    fn drop(&mut self) {
        if let Some((Values::One(value), _)) = self.first.take() {
            field::give_back(value);
        }
    }
}

/// The keyword as the mail has it, for `--explain`: a Chinese one in the customer's script
/// (the pattern is in Simplified), an English one as the rule spells it.
fn as_written<'r>(text: &str, at: Span, pattern: &'r KeywordPattern) -> Cow<'r, str> {
    if pattern.word.is_ascii() {
        Cow::Borrowed(&pattern.word)
    } else {
        Cow::Owned(text[at.start..at.end].to_lowercase())
    }
}
