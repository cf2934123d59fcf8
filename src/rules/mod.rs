//! Classify stage: staff-edited TOML rules compiled once into automata (one aho-corasick
//! and one RegexSet per field), then tried on each mail; the rules that match compete by
//! score and a learned second opinion checks the winner (`opinion.rs`).
//!
//! Compiling runs load -> build -> check -> index (and trains the model): `load.rs` reads
//! the files, `build.rs` makes the data model of `spec.rs`, `check.rs` looks across the
//! rules, `index.rs` makes the automata that `scan.rs` runs and `classify.rs` decides with.
//!
//! See `rules/README.md` for the language. Keywords are case-insensitive; Latin keywords match
//! at word boundaries, Chinese ones as plain substrings (CJK has no word boundaries).

mod buckets;
mod build;
mod char_keywords;
mod check;
mod classify;
mod context;
mod distinct;
pub mod examples;
mod features;
pub mod field;
mod forms;
mod found;
mod hits;
mod index;
mod keys;
mod keywords;
pub mod load;
pub mod model;
pub mod opinion;
mod reading;
mod scan;
mod spec;
mod spelling;
#[cfg(test)]
mod tests;
pub mod vocabulary;
mod watch;
mod weights;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::SignedDuration;
use serde::Serialize;

use crate::parse::Inbound;
use crate::screen::Verdict;
pub use field::Field;
pub use load::Problem;
use model::Model;
pub use opinion::ModelOpinion;
use vocabulary::Vocabulary;

/// What happens to a mail a rule matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Send the rule's template as the answer.
    Answer,
    /// Send the acknowledgement only; a person answers.
    #[default]
    Acknowledge,
    /// A person must handle it, with the rule's priority; the customer gets `escalated`.
    Escalate,
    /// No automatic mail at all.
    Ignore,
}

impl Action {
    pub fn parse(name: &str) -> Option<Action> {
        Some(match name {
            "answer" => Action::Answer,
            "acknowledge" => Action::Acknowledge,
            "escalate" => Action::Escalate,
            "ignore" => Action::Ignore,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Answer => "answer",
            Action::Acknowledge => "acknowledge",
            Action::Escalate => "escalate",
            Action::Ignore => "ignore",
        }
    }
}

/// Ticket priority set by an escalating rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord, Default)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub fn parse(name: &str) -> Option<Priority> {
        Some(match name {
            "low" => Priority::Low,
            "normal" => Priority::Normal,
            "high" => Priority::High,
            "urgent" => Priority::Urgent,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }
}

/// Where and on which words a matcher fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub field: String,
    pub matched: Vec<String>,
}

/// The outcome of classifying one mail. Its names are the rules' own, shared (`Arc`): a copy
/// of each was a heap allocation a mail; read them as `&str` (`as_deref()`, `&*`).
#[derive(Debug, Clone, Serialize, Default)]
pub struct Classification {
    /// `None` for machine mail that no rule about machine mail matched.
    pub category: Option<Arc<str>>,
    /// The id of the deciding rule, `None` when the default applied.
    pub rule: Option<Arc<str>>,
    pub action: Action,
    pub template: Option<Arc<str>>,
    pub priority: Priority,
    pub tags: Arc<[String]>,
    #[serde(skip)]
    pub sla: Option<SignedDuration>,
    /// Whether the rule's answer settles the customer's question (meets the SLA).
    pub resolves: bool,
    /// The deciding rule's score (the weights of its matchers that fired).
    pub score: f32,
    /// The learned second opinion's category and confidence (`None` without a model).
    pub model: Option<ModelOpinion>,
    /// Why the rule's canned answer was held back (the acknowledgement goes out instead).
    pub held: Option<String>,
    /// No rule matched: `category` is the model's suggestion, never answered.
    pub suggested: bool,
}

/// One line of `classify --explain`: a rule tried, whether it matched, and on which words
/// (the evidence is gathered only when explaining: the pipeline needs the decision alone).
#[derive(Debug, Clone, Serialize)]
pub struct Trial {
    pub rule: String,
    pub priority: i64,
    pub matched: bool,
    /// The weights of its matchers that fired: the highest score decides.
    pub score: f32,
    pub evidence: Vec<Evidence>,
    /// Why the rule was not considered (machine mail and a rule not about machine mail).
    pub skipped: Option<String>,
}

/// A compiled rule set, ready to classify.
#[derive(Debug, Default)]
pub struct RuleSet {
    /// Sorted by priority.
    rules: Vec<spec::Rule>,
    specs: Vec<spec::MatcherSpec>,
    fields: Vec<index::FieldIndex>,
    /// For each regex matcher, the index in `fields` of the field it looks at (`None` for
    /// the other kinds, which are all run up front).
    regex_field: Vec<Option<usize>>,
    /// Which rules a mail's fired matchers give a chance.
    watch: watch::RuleWatch,
    /// Each matcher's weight in its rule's score.
    weights: Vec<f32>,
    /// The categories a mail can be given (the rules' and `other`), each once, shared with
    /// the classifications: see [`RuleSet::name`].
    names: Vec<Arc<str>>,
    /// Which categories one problem often names together (`categories.toml`): a runner-up
    /// of an unrelated one is a second question at half the winner's score.
    neighbours: opinion::Neighbours,
    /// The second opinion, trained on `examples/` and `tests/` when the rules load, and on
    /// staff's corrections once [`RuleSet::learn`] is given them (`None` without examples).
    model: Option<Model>,
    /// What the model was trained on from the rule directory, kept so that corrections
    /// retrain it on the same examples plus theirs.
    examples: Vec<model::Example>,
}

impl RuleSet {
    /// Loads and compiles every rule file of `dir`; `template_exists` checks `template` names.
    pub fn load(dir: &Path, template_exists: &dyn Fn(&str) -> bool) -> Result<RuleSet, Vec<Problem>> {
        let (rules, problems) = compile_dir(dir, template_exists);
        if problems.is_empty() { Ok(rules) } else { Err(problems) }
    }

    /// Every problem in `dir`, for `deskmail rules check`.
    pub fn check(dir: &Path, template_exists: &dyn Fn(&str) -> bool) -> Vec<Problem> {
        compile_dir(dir, template_exists).1
    }

    /// Classifies a screened mail.
    pub fn classify(&self, mail: &Inbound, verdict: &Verdict) -> Classification {
        self.decide(mail, verdict, None)
    }

    /// Retrains the second opinion on the rule directory's examples plus `corrections`:
    /// staff's corrected categories of past tickets (`Store::corrections`), each one more
    /// example. Corrections naming a category no rule has (and not `other`) are left out, as
    /// the model could never be asked about it; returns how many were learnt.
    pub fn learn(&mut self, corrections: &[model::Example]) -> usize {
        let known = |c: &str| c == "other" || self.rules.iter().any(|r| &*r.category == c);
        let taken: Vec<&model::Example> = corrections.iter().filter(|e| known(&e.category)).collect();
        let all: Vec<model::Example> = self.examples.iter().chain(taken.iter().copied()).cloned().collect();
        self.model = (!all.is_empty()).then(|| Model::train(&all));
        taken.len()
    }
}

/// Reads and compiles `dir`: load -> build -> check -> index, and the model trained on the
/// examples. Returns the rules that compiled and every problem found.
fn compile_dir(dir: &Path, template_exists: &dyn Fn(&str) -> bool) -> (RuleSet, Vec<Problem>) {
    let sources = match load::read_dir(dir) {
        Ok(sources) => sources,
        Err(problem) => return (RuleSet::default(), vec![problem]),
    };
    let (vocabulary, vocabulary_problem) = match Vocabulary::load(dir) {
        Ok(v) => (v, None),
        Err(p) => (Vocabulary::default(), Some(p)),
    };
    let (declared, declared_problems) = match load::read_declared(dir) {
        Ok(d) => (d, Vec::new()),
        Err(p) => (None, p),
    };
    let mut problems: Vec<Problem> = vocabulary_problem.into_iter().chain(declared_problems).collect();
    let (categories, neighbours) = match declared {
        Some(d) => (Some(d.categories), opinion::Neighbours::new(d.neighbours)),
        None => (None, opinion::Neighbours::default()),
    };
    let built = build::build(&sources, categories, &vocabulary, template_exists);
    problems.extend(built.problems);
    if built.rules.is_empty() && problems.is_empty() {
        problems.push(Problem {
            file: PathBuf::from(dir),
            line: 0,
            col: 0,
            message: "no rule found (rule files are `*.toml` with `[[rule]]` tables)".into(),
        });
    }
    problems.extend(check::across(&built.rules, &built.specs));
    let examples = examples_of(dir, &built.rules, &mut problems);
    let model = (!examples.is_empty()).then(|| Model::train(&examples));
    let fields = index::index_fields(&built.specs, &vocabulary);
    let regex_field = index::regex_fields(&fields, &built.specs);
    let watch = watch::RuleWatch::new(&built.rules, &built.specs);
    let mut names: Vec<Arc<str>> = built.rules.iter().map(|r| r.category.clone()).collect();
    names.push("other".into());
    names.sort();
    names.dedup();
    let rules = RuleSet {
        rules: built.rules,
        specs: built.specs,
        fields,
        regex_field,
        watch,
        weights: built.weights,
        names,
        neighbours,
        model,
        examples,
    };
    (rules, problems)
}

/// The examples of `dir` for the rules' categories and `other`, that the second opinion is
/// trained on; problems with them go to `problems`.
fn examples_of(dir: &Path, rules: &[spec::Rule], problems: &mut Vec<Problem>) -> Vec<model::Example> {
    let mut categories: Vec<&str> = rules.iter().map(|r| &*r.category).collect();
    categories.push("other");
    categories.sort();
    categories.dedup();
    let (examples, example_problems) = examples::load(dir, &categories);
    problems.extend(example_problems);
    examples
}
