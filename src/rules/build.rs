//! Classify stage, building: raw rules as read become the data model (`spec.rs`), with each
//! mistake located in its file; keywords are normalised (case, word forms, regional words,
//! both Chinese scripts) once here.

use jiff::SignedDuration;
use regex::Regex;
use toml::Spanned;

use super::distinct::Distinct;
use super::field::Field;
use super::load::{self, Problem, RawCondition, RawRule, Source};
use super::spec::{Cond, FlatAny, Kind, MatcherSpec, Rule};
use super::vocabulary::Vocabulary;
use super::{Action, Priority};
use crate::parse::lang;

/// A proximity matcher spans at most this many sentences: further, "near" means nothing.
const MAX_SENTENCES: usize = 3;

/// The rules of every source, sorted by priority, with their matchers and weights (one per
/// matcher, in the same order), and every problem found while building them.
pub(super) struct Built {
    pub rules: Vec<Rule>,
    pub specs: Vec<MatcherSpec>,
    pub weights: Vec<f32>,
    pub problems: Vec<Problem>,
}

/// Builds the rules of `sources`; `categories` are the declared ones (when declared) and
/// `template_exists` checks `template` names.
pub(super) fn build(
    sources: &[Source],
    categories: Option<Vec<String>>,
    vocabulary: &Vocabulary,
    template_exists: &dyn Fn(&str) -> bool,
) -> Built {
    let mut builder = Builder {
        categories,
        specs: Vec::new(),
        weights: Vec::new(),
        saw_weight: false,
        problems: Vec::new(),
        template_exists,
        vocabulary,
    };
    let mut rules = Vec::new();
    for source in sources {
        // Every unknown key of the file at once; the typed reading would stop at the first.
        let structural = super::keys::check(source);
        if !structural.is_empty() {
            builder.problems.extend(structural);
            continue;
        }
        match load::parse_file(source) {
            Ok(file) => rules.extend(file.rule.into_iter().filter_map(|raw| builder.rule(raw, source))),
            Err(problem) => builder.problems.push(problem),
        }
    }
    rules.sort_by_key(|r| r.priority);
    Built { rules, specs: builder.specs, weights: builder.weights, problems: builder.problems }
}

struct Builder<'a> {
    specs: Vec<MatcherSpec>,
    weights: Vec<f32>,
    /// Whether the rule being built has a matcher with a `weight`.
    saw_weight: bool,
    problems: Vec<Problem>,
    template_exists: &'a dyn Fn(&str) -> bool,
    vocabulary: &'a Vocabulary,
    /// The declared categories (`categories.toml`), when the directory declares them.
    categories: Option<Vec<String>>,
}

impl Builder<'_> {
    fn rule(&mut self, raw: RawRule, source: &Source) -> Option<Rule> {
        let before = self.problems.len();
        let action = Action::parse(raw.action.get_ref());
        if action.is_none() {
            self.at(
                source,
                &raw.action,
                format!(
                    "unknown action `{}` (expected answer, acknowledge, escalate or ignore)",
                    raw.action.get_ref()
                ),
            );
        }
        if let Some(declared) = &self.categories
            && !declared.contains(raw.category.get_ref())
        {
            let name = raw.category.get_ref();
            let hint = crate::hint::did_you_mean(name, declared.iter().map(String::as_str)).map_or_else(
                || format!(" (declared: {})", declared.join(", ")),
                |c| format!(": did you mean `{c}`?"),
            );
            let message = format!("category `{name}` is not declared in {}{hint}", load::CATEGORIES_FILE);
            self.at(source, &raw.category, message);
        }
        let template = raw.template.as_ref().map(|t| t.get_ref().as_str().into());
        match (&raw.template, action) {
            (Some(t), _) if !(self.template_exists)(t.get_ref()) => {
                self.at(source, t, format!("unknown template `{}`", t.get_ref()));
            }
            (None, Some(Action::Answer)) => {
                self.at(source, &raw.action, "action `answer` needs a `template`".to_string());
            }
            _ => {}
        }
        let escalate_priority = match &raw.escalate_priority {
            Some(p) => Priority::parse(p.get_ref()).unwrap_or_else(|| {
                self.at(source, p, format!("unknown priority `{}` (low, normal, high, urgent)", p.get_ref()));
                Priority::Normal
            }),
            None if action == Some(Action::Escalate) => Priority::High,
            None => Priority::Normal,
        };
        let sla = raw.sla.as_ref().and_then(|s| match s.get_ref().parse::<SignedDuration>() {
            Ok(d) => Some(d),
            Err(e) => {
                self.at(source, s, format!("bad duration `{}`: {e}", s.get_ref()));
                None
            }
        });
        let mut mentions_automated = false;
        self.saw_weight = false;
        let when = self.condition(&raw.when, source, &mut mentions_automated);
        let weighted = self.saw_weight;
        let flat_any = when.as_ref().and_then(|when| FlatAny::of(when, &self.specs));
        (self.problems.len() == before).then(|| Rule {
            id: raw.id.get_ref().as_str().into(),
            priority: *raw.priority.get_ref(),
            category: raw.category.get_ref().as_str().into(),
            action: action.unwrap_or(Action::Acknowledge),
            template,
            escalate_priority,
            tags: raw.tags.into(),
            sla,
            resolves: raw.resolves,
            hold_answers: raw.hold_answers,
            when: when.unwrap_or(Cond::Any(Vec::new())),
            flat_any,
            mentions_automated,
            weighted,
            source: source.clone(),
            id_at: raw.id.span().start,
            priority_at: raw.priority.span().start,
        })
    }

    fn at<T>(&mut self, source: &Source, value: &Spanned<T>, message: String) {
        self.problems.push(source.problem(value.span().start, message));
    }

    fn condition(
        &mut self,
        raw: &Spanned<RawCondition>,
        source: &Source,
        automated: &mut bool,
    ) -> Option<Cond> {
        let c = raw.get_ref();
        let forms = [c.any.is_some(), c.all.is_some(), c.not.is_some(), c.field.is_some()];
        if forms.iter().filter(|f| **f).count() != 1 {
            self.at(source, raw, "a condition needs exactly one of `any`, `all`, `not` or `field`".into());
            return None;
        }
        let mut list = |parts: &Vec<Spanned<RawCondition>>, this: &mut Self| -> Option<Vec<Cond>> {
            parts.iter().map(|p| this.condition(p, source, automated)).collect()
        };
        if let Some(parts) = &c.any {
            return list(parts, self).map(Cond::Any);
        }
        if let Some(parts) = &c.all {
            return list(parts, self).map(Cond::All);
        }
        if let Some(inner) = &c.not {
            return self.condition(inner, source, automated).map(|c| Cond::Not(Box::new(c)));
        }
        let field_name = c.field.as_ref()?;
        let Some(field) = Field::parse(field_name.get_ref()) else {
            self.at(source, field_name, format!("unknown field `{}`", field_name.get_ref()));
            return None;
        };
        *automated |= field == Field::Automated;
        self.matcher(field, raw, source).map(Cond::Leaf)
    }

    fn matcher(&mut self, field: Field, raw: &Spanned<RawCondition>, source: &Source) -> Option<usize> {
        let c = raw.get_ref();
        let near_words = c.near.as_ref().map(|groups| groups.concat());
        let given = [
            c.keywords.as_ref().map(|v| (Kind::Keywords, v.clone())),
            c.regex.as_ref().map(|r| (Kind::Regex, vec![r.get_ref().clone()])),
            c.equals.as_ref().map(|v| (Kind::Equals, v.clone())),
            c.prefix.as_ref().map(|v| (Kind::Prefix, v.clone())),
            c.suffix.as_ref().map(|v| (Kind::Suffix, v.clone())),
            near_words.map(|v| (Kind::Near, v)),
        ];
        let mut given = given.into_iter().flatten();
        let (Some((kind, values)), None) = (given.next(), given.next()) else {
            self.at(
                source,
                raw,
                "a field condition needs exactly one of `keywords`, `near`, `regex`, `equals`, `prefix` or `suffix`"
                    .into(),
            );
            return None;
        };
        if let (Kind::Regex, Some(regex)) = (kind, &c.regex)
            && let Err(e) = Regex::new(regex.get_ref())
        {
            let first_line = e.to_string().lines().last().unwrap_or("").trim().to_string();
            self.at(source, regex, format!("bad regex: {first_line}"));
            return None;
        }
        let textual = matches!(kind, Kind::Keywords | Kind::Near);
        if textual {
            let mut written = values.iter().chain(c.except.iter().flatten());
            if let Some((keyword, why)) =
                written.find_map(|k| super::forms::choices(k).err().map(|why| (k, why)))
            {
                // At the keyword itself, found in the condition's text; else at the condition.
                let from = raw.span().start;
                let at = source.text[from..].find(&format!("\"{keyword}\"")).map_or(from, |i| from + i);
                self.problems.push(source.problem(at, format!("the keyword \"{keyword}\": {why}")));
                return None;
            }
        }
        if !textual && (c.except.is_some() || c.unless_negated || c.unless_amount) {
            self.at(
                source,
                raw,
                "`except`, `unless_negated` and `unless_amount` go with `keywords` or `near`".into(),
            );
            return None;
        }
        let (groups, within) = match (kind, &c.within) {
            (Kind::Near, Some(within)) => {
                let groups = c.near.as_ref().expect("near");
                if groups.len() < 2 || groups.iter().any(Vec::is_empty) {
                    self.at(source, raw, "`near` needs two or more non-empty word groups".into());
                    return None;
                }
                (groups.clone(), *within.get_ref())
            }
            (Kind::Near, None) => {
                self.at(
                    source,
                    raw,
                    "`near` needs `within` (how many words apart, Chinese: characters)".into(),
                );
                return None;
            }
            (_, Some(within)) => {
                self.at(source, within, "`within` goes with `near`".into());
                return None;
            }
            _ => (Vec::new(), 0),
        };
        let sentences = match (&c.sentences, kind) {
            (None, _) => 1,
            (Some(n), Kind::Near) if (1..=MAX_SENTENCES).contains(n.get_ref()) => *n.get_ref(),
            (Some(n), Kind::Near) => {
                self.at(source, n, format!("`sentences` is 1 to {MAX_SENTENCES}, not {}", n.get_ref()));
                return None;
            }
            (Some(n), _) => {
                self.at(source, n, "`sentences` goes with `near`".into());
                return None;
            }
        };
        let weight = match &c.weight {
            Some(w) if !(w.get_ref().is_finite() && *w.get_ref() > 0.0) => {
                self.at(source, w, format!("weight must be a positive number, not {}", w.get_ref()));
                return None;
            }
            Some(w) => {
                self.saw_weight = true;
                *w.get_ref() as f32
            }
            None => 1.0,
        };
        let (values, groups) = if kind == Kind::Near {
            let mut values = Vec::new();
            let mut of = Vec::new();
            for (g, words) in groups.into_iter().enumerate() {
                for word in self.normalise(words, c.both_scripts) {
                    values.push(word);
                    of.push(g);
                }
            }
            (values, of)
        } else if textual {
            (self.normalise(values, c.both_scripts), Vec::new())
        } else if kind == Kind::Regex {
            (values, Vec::new())
        } else {
            (normalise(values, false), Vec::new())
        };
        let except = c.except.clone().map(|e| self.normalise(e, c.both_scripts)).unwrap_or_default();
        if values.iter().any(String::is_empty) || values.is_empty() || except.iter().any(String::is_empty) {
            self.at(source, raw, "empty keyword or value list".into());
            return None;
        }
        self.specs.push(MatcherSpec {
            field,
            kind,
            values,
            except,
            unless_negated: c.unless_negated,
            unless_amount: c.unless_amount,
            both_scripts: c.both_scripts,
            groups,
            within,
            sentences,
        });
        self.weights.push(weight);
        Some(self.specs.len() - 1)
    }

    /// Keywords lower-cased, English word forms (`charge+`) spelt out and, with
    /// `both_scripts`, the regional words of the vocabulary and both Chinese scripts added.
    fn normalise(&self, values: Vec<String>, both_scripts: bool) -> Vec<String> {
        let mut out = Distinct::default();
        for value in values {
            let lower = value.trim().to_lowercase();
            // Checked where the matcher is read: a malformed choice is reported there.
            let chosen = super::forms::choices(&lower).unwrap_or_default();
            let spelt = chosen.into_iter().flat_map(|word| {
                if super::forms::has_forms(&word) { super::forms::expand(&word) } else { vec![word] }
            });
            for word in spelt {
                let variants = if both_scripts { self.vocabulary.variants(&word) } else { Vec::new() };
                for form in std::iter::once(word).chain(variants) {
                    let scripts = if both_scripts {
                        vec![lang::to_simplified(&form), lang::to_traditional(&form), form]
                    } else {
                        vec![form]
                    };
                    for form in scripts {
                        out.push(form);
                    }
                }
            }
        }
        out.values
    }
}

/// Lower-cases values and, when asked, adds the other Chinese script's form of each.
fn normalise(values: Vec<String>, both_scripts: bool) -> Vec<String> {
    let mut out = Distinct::default();
    for value in values {
        let lower = value.trim().to_lowercase();
        let forms = if both_scripts {
            vec![lang::to_simplified(&lower), lang::to_traditional(&lower), lower]
        } else {
            vec![lower]
        };
        for form in forms {
            out.push(form);
        }
    }
    out.values
}
