//! Classify stage: staff-edited TOML rules compiled once into automata (one aho-corasick
//! and one RegexSet per field), then applied to each mail in priority order. The first rule
//! that matches decides the category and the action.
//!
//! See `rules/README.md` for the language. Keywords are case-insensitive; Latin keywords match
//! at word boundaries, Chinese ones as plain substrings (CJK has no word boundaries).

mod check;
mod compile;
mod context;
pub mod examples;
pub mod field;
mod forms;
mod keys;
pub mod load;
pub mod model;
pub mod opinion;
#[cfg(test)]
mod tests;
pub mod vocabulary;

use std::path::Path;

use jiff::SignedDuration;
use serde::Serialize;

use crate::parse::Inbound;
use crate::screen::Verdict;
pub use compile::RuleSet;
pub use field::Field;
pub use load::Problem;
pub use opinion::ModelOpinion;

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

/// The outcome of classifying one mail.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Classification {
    /// `None` for machine mail that no rule about machine mail matched.
    pub category: Option<String>,
    /// The id of the deciding rule, `None` when the default applied.
    pub rule: Option<String>,
    pub action: Action,
    pub template: Option<String>,
    pub priority: Priority,
    pub tags: Vec<String>,
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

impl RuleSet {
    /// Loads and compiles every rule file of `dir`; `template_exists` checks `template` names.
    pub fn load(dir: &Path, template_exists: &dyn Fn(&str) -> bool) -> Result<RuleSet, Vec<Problem>> {
        let (rules, problems) = compile::compile_dir(dir, template_exists);
        if problems.is_empty() { Ok(rules) } else { Err(problems) }
    }

    /// Every problem in `dir`, for `deskmail rules check`.
    pub fn check(dir: &Path, template_exists: &dyn Fn(&str) -> bool) -> Vec<Problem> {
        compile::compile_dir(dir, template_exists).1
    }

    /// Classifies a screened mail.
    pub fn classify(&self, mail: &Inbound, verdict: &Verdict) -> Classification {
        self.decide(mail, verdict, None)
    }
}
