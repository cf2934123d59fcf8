//! Classify stage, the decision for one mail: every rule that may hold is tried and scored
//! over one scan, the model gives its opinion, and [`opinion::settle`] decides among the
//! rules that matched.

use std::sync::Arc;

use super::field::Field;
use super::hits::Hit;
use super::model::Model;
use super::opinion::{self, Candidate, ModelOpinion, Outcome};
use super::scan::{Scan, Score};
use super::spec::Rule;
use super::{Action, Classification, Evidence, Priority, RuleSet, Trial};
use crate::parse::Inbound;
use crate::screen::Verdict;

impl RuleSet {
    /// The number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Classifies a mail and says, rule by rule, what was tried.
    pub fn classify_explained(&self, mail: &Inbound, verdict: &Verdict) -> (Classification, Vec<Trial>) {
        let mut trials = Vec::new();
        let classification = self.decide(mail, verdict, Some(&mut trials));
        (classification, trials)
    }

    /// Classifies a mail; `trials`, when given, receives what each rule tried. Every rule that
    /// may hold is tried and scored (every rule, with `trials`); [`opinion::settle`] decides
    /// among those that matched.
    pub(super) fn decide(
        &self,
        mail: &Inbound,
        verdict: &Verdict,
        trials: Option<&mut Vec<Trial>>,
    ) -> Classification {
        let mut scan = Scan::new(self, mail, verdict, trials.is_some());
        let mut used = Vec::new();
        let mut candidates = Candidates::default();
        let mut try_rule = |index: usize, scan: &mut Scan<'_, '_>, trials: Option<&mut Vec<Trial>>| {
            let rule = &self.rules[index];
            if let Some(score) = self.score(rule, verdict, scan, &mut used, trials) {
                candidates.push(candidate(index, rule, score));
            }
        };
        match trials {
            // Every rule, each with its trial.
            Some(trials) => (0..self.rules.len()).for_each(|index| try_rule(index, &mut scan, Some(trials))),
            // Only those that may hold (see `watch.rs`), in the same order.
            None => self.watch.to_try(&scan.hits).ones().for_each(|index| try_rule(index, &mut scan, None)),
        }
        let prediction = match (&self.model, verdict.is_automated()) {
            (Some(model), false) => Some(match (scan.hits.asked_after_thanks.as_deref(), scan.text()) {
                // After thanks for a settled matter, the question is what follows them.
                (Some(question), _) => model.predict(question, mail.language),
                (None, Some((text, folded))) => model.predict_folded(text, folded, mail.language),
                (None, None) => model.predict(&Field::Text.values(mail, verdict)[0], mail.language),
            }),
            _ => None,
        };
        // The first rule to match by priority decides alone when it has no weights (as rules
        // always did); otherwise the rules with weights that matched compete by score.
        // Kept in place: a second list was one more allocation per mail.
        if candidates.as_mut_slice().first().is_some_and(|c| !self.rules[c.index].weighted) {
            candidates.truncate(1);
        } else {
            candidates.retain(|c| self.rules[c.index].weighted);
        }
        let candidates = candidates.as_mut_slice();
        opinion::rank(candidates);
        let outcome = opinion::settle_ranked(
            candidates,
            prediction.as_ref(),
            scan.hits.more_questions,
            &self.neighbours,
        );
        let mut classification = match outcome {
            Outcome::Rule { index, held, also, person } => {
                let mut c = decided(&self.rules[index]);
                c.score = candidates.iter().find(|c| c.index == index).map_or(0.0, |c| c.score);
                if let Some(also) = also {
                    // An urgent second question keeps its urgency: a person sees the mail
                    // first among the others, within the urgent rule's SLA.
                    // The first by priority (ranked by score now, it is the lowest index).
                    let urgent_rules = candidates.iter().filter(|u| u.urgent && u.category == also);
                    if let Some(urgent) = urgent_rules.min_by_key(|u| u.index) {
                        take_urgency(&mut c, &self.rules[urgent.index]);
                    }
                    let category = c.category.as_deref().unwrap_or_default().to_string();
                    add_tags(&mut c, [category.as_str(), also.as_str()]);
                }
                if let Some(person) = person {
                    // The mail a person must see: that rule's tags, priority and SLA join.
                    let rule = &self.rules[person];
                    take_urgency(&mut c, rule);
                    add_tags(&mut c, rule.tags.iter().map(String::as_str));
                }
                if held.is_some() {
                    c.action = Action::Acknowledge;
                    c.resolves = false;
                }
                c.held = held;
                c
            }
            Outcome::Suggest { category } => self.suggested(&category, verdict),
            Outcome::Default => self.default_classification(verdict),
        };
        if let (Some(model), Some(question), true) =
            (&self.model, scan.hits.question.as_deref(), prediction.is_some())
        {
            hold_for_the_question(&mut classification, model, question, mail);
        }
        classification.model = prediction.as_ref().and_then(|p| {
            let (category, confidence) = p.top()?;
            let decided = classification.category.as_deref().map_or(0.0, |c| p.probability(c));
            Some(ModelOpinion { category: self.name(category), confidence, decided })
        });
        classification
    }

    /// The score of `rule` when it holds on the mail `scan` read; `trials`, when given,
    /// receives what it tried. `used` is room for the matchers that fired.
    fn score(
        &self,
        rule: &Rule,
        verdict: &Verdict,
        scan: &mut Scan<'_, '_>,
        used: &mut Vec<usize>,
        trials: Option<&mut Vec<Trial>>,
    ) -> Option<f32> {
        if verdict.is_automated() && !rule.mentions_automated {
            if let Some(trials) = trials {
                let why = Some("machine mail; rule is not about machine mail");
                trials.push(trial(rule, false, 0.0, Vec::new(), why));
            }
            return None;
        }
        let (matched, score) = match (trials, &rule.flat_any) {
            (None, Some(flat)) => flat.score(scan, &self.weights),
            (trials, _) => {
                used.clear();
                let matched = rule.when.eval(&mut |id| scan.fired(id), used);
                used.sort_unstable();
                used.dedup();
                let mut score = Score::default();
                used.iter().for_each(|id| score.add(self.weights[*id]));
                let score = score.value();
                if let Some(trials) = trials {
                    let evidence = used
                        .iter()
                        .filter_map(|id| scan.hits.by_matcher[*id].as_ref().map(Hit::evidence))
                        .collect();
                    trials.push(trial(rule, matched, score, evidence, None));
                }
                (matched, score)
            }
        };
        matched.then_some(score)
    }

    /// No rule matched and the model suggests `category`: routed and prioritised as that
    /// category's first rule would, but only acknowledged.
    fn suggested(&self, category: &str, verdict: &Verdict) -> Classification {
        let mut c = self.default_classification(verdict);
        if let Some(rule) = self.rules.iter().find(|r| &*r.category == category) {
            c.priority = rule.escalate_priority;
            c.tags = rule.tags.clone();
            c.sla = rule.sla;
        }
        c.category = Some(self.name(category));
        c.suggested = true;
        c
    }

    /// No rule matched: customer mail is `other` and acknowledged; machine mail is ignored.
    fn default_classification(&self, verdict: &Verdict) -> Classification {
        let human = !verdict.is_automated();
        Classification {
            category: human.then(|| self.name("other")),
            action: if human { Action::Acknowledge } else { Action::Ignore },
            ..Classification::default()
        }
    }

    /// `category` as the rule set's shared name of it (see `names`): a copy only for a
    /// category that is none of the rules' nor `other`.
    fn name(&self, category: &str) -> Arc<str> {
        self.names.iter().find(|&n| &**n == category).cloned().unwrap_or_else(|| category.into())
    }

    /// The trained second opinion, if the rule directory has examples.
    pub fn model(&self) -> Option<&Model> {
        self.model.as_ref()
    }

    /// What the second opinion reads instead of the whole text when the mail thanks for a
    /// settled matter and then asks: the question after the thanks. For `--explain`.
    pub fn question_after_thanks(&self, mail: &Inbound, verdict: &Verdict) -> Option<String> {
        Scan::new(self, mail, verdict, false).hits.asked_after_thanks
    }

    /// The customer's text as the rules and the second opinion read it: misspellings of the
    /// vocabulary put right, Chinese typed a character at a time joined up. For `--explain`,
    /// so that the model's words it shows are those it weighed.
    pub fn text_as_read(&self, mail: &Inbound, verdict: &Verdict) -> String {
        let scan = Scan::new(self, mail, verdict, false);
        match scan.text() {
            Some((text, _)) => text.to_string(),
            None => Field::Text.values(mail, verdict)[0].to_string(),
        }
    }
}

/// How many rules that matched one mail [`Candidates`] keeps in place.
const INLINE_CANDIDATES: usize = 8;

/// The rules that matched one mail, in place up to [`INLINE_CANDIDATES`] of them (nearly
/// every mail) and on the heap past
/// that: a vector of them was an allocation and a free a mail, and one more as it grew.
struct Candidates<'r> {
    inline: [Candidate<'r>; INLINE_CANDIDATES],
    len: usize,
    /// Every candidate, once there were more than fit in place.
    more: Option<Vec<Candidate<'r>>>,
}

impl Default for Candidates<'_> {
    fn default() -> Self {
        let none = Candidate {
            index: 0,
            category: "",
            score: 0.0,
            answers: false,
            urgent: false,
            holds: false,
            id: "",
        };
        Candidates { inline: [none; INLINE_CANDIDATES], len: 0, more: None }
    }
}

impl<'r> Candidates<'r> {
    fn push(&mut self, candidate: Candidate<'r>) {
        match &mut self.more {
            Some(more) => more.push(candidate),
            None if self.len < INLINE_CANDIDATES => {
                self.inline[self.len] = candidate;
                self.len += 1;
            }
            None => {
                let mut more = self.inline.to_vec();
                more.push(candidate);
                self.more = Some(more);
            }
        }
    }

    fn as_mut_slice(&mut self) -> &mut [Candidate<'r>] {
        match &mut self.more {
            Some(more) => more,
            None => &mut self.inline[..self.len],
        }
    }

    fn truncate(&mut self, len: usize) {
        match &mut self.more {
            Some(more) => more.truncate(len),
            None => self.len = self.len.min(len),
        }
    }

    /// Keeps those that `keep`, in their order.
    fn retain(&mut self, mut keep: impl FnMut(&Candidate<'r>) -> bool) {
        match &mut self.more {
            Some(more) => more.retain(keep),
            None => {
                let mut kept = 0;
                for at in 0..self.len {
                    if keep(&self.inline[at]) {
                        self.inline[kept] = self.inline[at];
                        kept += 1;
                    }
                }
                self.len = kept;
            }
        }
    }
}

/// Rule `index` (`rule`), matched with `score`, as a candidate.
/// `rule`'s priority and SLA, where they are more urgent than `c`'s.
fn take_urgency(c: &mut Classification, rule: &Rule) {
    c.priority = c.priority.max(rule.escalate_priority);
    c.sla = match (c.sla, rule.sla) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
}

/// Adds the `tags` that `c` does not have yet. The rule's tags are shared: copied only here.
fn add_tags<'t>(c: &mut Classification, tags: impl IntoIterator<Item = &'t str>) {
    let mut all = c.tags.to_vec();
    for tag in tags {
        if !all.iter().any(|t| t == tag) {
            all.push(tag.to_string());
        }
    }
    c.tags = all.into();
}

fn candidate(index: usize, rule: &Rule, score: f32) -> Candidate<'_> {
    Candidate {
        index,
        category: &rule.category,
        score,
        answers: rule.action == Action::Answer,
        urgent: rule.action == Action::Escalate && rule.escalate_priority == Priority::Urgent,
        holds: rule.hold_answers,
        id: &rule.id,
    }
}

fn trial(rule: &Rule, matched: bool, score: f32, evidence: Vec<Evidence>, skipped: Option<&str>) -> Trial {
    Trial {
        rule: rule.id.to_string(),
        priority: rule.priority,
        matched,
        score,
        evidence,
        skipped: skipped.map(str::to_string),
    }
}

fn decided(rule: &Rule) -> Classification {
    Classification {
        category: Some(rule.category.clone()),
        rule: Some(rule.id.clone()),
        action: rule.action,
        template: rule.template.clone(),
        priority: rule.escalate_priority,
        tags: rule.tags.clone(),
        sla: rule.sla,
        resolves: rule.resolves,
        ..Classification::default()
    }
}

/// Holds a canned answer back when the second opinion, reading the real question alone (what
/// follows "我想问的是", "what I need to know is" after context), does not find the answer's
/// category in it: "上周提现的钱已经顺利到卡上了。我想问一下花呗的额度为什么降了" names a withdrawal
/// as context and asks about a credit line.
fn hold_for_the_question(classification: &mut Classification, model: &Model, question: &str, mail: &Inbound) {
    let Some(category) =
        classification.category.as_deref().filter(|_| classification.action == Action::Answer)
    else {
        return;
    };
    if let Some(why) = opinion::question_disagreement(category, &model.predict(question, mail.language)) {
        classification.action = Action::Acknowledge;
        classification.resolves = false;
        classification.held = Some(why);
    }
}

#[cfg(test)]
mod flat_any_tests {
    use super::*;

    #[test]
    fn candidates_kept_in_place_or_on_the_heap_are_the_same() {
        let categories: Vec<String> = (0..20).map(|i| format!("c{i}")).collect();
        for n in [0, 1, 7, 8, 9, 20] {
            let all: Vec<Candidate<'_>> = (0..n)
                .map(|i| Candidate {
                    index: i,
                    category: &categories[i],
                    score: i as f32,
                    answers: i % 2 == 0,
                    urgent: false,
                    holds: false,
                    id: "",
                })
                .collect();
            let mut candidates = Candidates::default();
            all.iter().for_each(|c| candidates.push(*c));
            assert_eq!(candidates.as_mut_slice(), all.as_slice());
            candidates.retain(|c| c.answers);
            let answering: Vec<_> = all.iter().filter(|c| c.answers).copied().collect();
            assert_eq!(candidates.as_mut_slice(), answering.as_slice());
            candidates.truncate(1);
            assert_eq!(candidates.as_mut_slice(), &answering[..answering.len().min(1)]);
        }
    }

    /// A rule `any = [keywords, regex]` decides by its keywords, by its regex alone, or not
    /// at all, the same with the fired bits (`classify`) as with the full evaluation
    /// (`classify_explained`).
    #[test]
    fn any_of_matchers_holds_by_keyword_or_regex_alone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("10-pay.toml"),
            "[[rule]]\nid = \"pay\"\npriority = 10\ncategory = \"transaction_failure\"\naction = \"acknowledge\"\n\
             [rule.when]\nany = [\n  { field = \"text\", keywords = [\"declined\"] },\n  \
             { field = \"text\", regex = '''(?i)(?-u:\\b)card(?-u:\\b).{0,20}(?-u:\\b)failed''' },\n]\n\
             [[rule]]\nid = \"fee\"\npriority = 20\ncategory = \"fees\"\naction = \"acknowledge\"\n\
             [rule.when]\nall = [\n  { field = \"text\", keywords = [\"fee\"] },\n  \
             { not = { field = \"text\", keywords = [\"refund\"] } },\n]\n",
        )
        .unwrap();
        let rules = RuleSet::load(dir.path(), &|_| true).unwrap();
        for (text, expected) in [
            ("My payment got declined.", Some("transaction_failure")),
            ("The card payment failed again.", Some("transaction_failure")),
            ("What is the fee?", Some("fees")),
            ("A refund of the fee, please.", Some("other")),
        ] {
            let raw = format!("From: a@customer.test\r\nSubject: Help\r\n\r\n{text}\r\n");
            let mail = crate::parse::parse(raw.as_bytes()).unwrap();
            let verdict = crate::screen::screen(&mail, &[]);
            let quick = rules.classify(&mail, &verdict);
            let (explained, _) = rules.classify_explained(&mail, &verdict);
            assert_eq!(quick.category.as_deref(), expected, "{text}");
            assert_eq!(explained.category, quick.category, "{text}");
        }
    }
}
