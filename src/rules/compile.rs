//! Classify stage, compiling: raw rules become a priority-sorted list of condition trees over
//! numbered matchers, and the matchers of each field become one aho-corasick automaton and
//! one RegexSet, so a mail is scanned once per field however many rules there are.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aho_corasick::AhoCorasick;
use jiff::SignedDuration;
use regex::{Regex, RegexSet};
use toml::Spanned;

use super::context::{self, Span};
use super::field::{Field, Values};
use super::load::{self, Problem, RawCondition, RawRule, Source};
use super::model::Model;
use super::opinion::{self, Candidate, ModelOpinion, Outcome};
use super::vocabulary::Vocabulary;
use super::{Action, Classification, Evidence, Priority, Trial};
use crate::parse::{Inbound, lang};
use crate::screen::Verdict;

/// A compiled rule set, ready to classify.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    specs: Vec<MatcherSpec>,
    fields: Vec<FieldIndex>,
    /// For each regex matcher, the index in `fields` of the field it looks at (`None` for
    /// the other kinds, which are all run up front).
    regex_field: Vec<Option<usize>>,
    /// Each matcher's weight in its rule's score.
    weights: Vec<f32>,
    /// The second opinion, trained on `examples/` and `tests/` when the rules load (`None`
    /// without examples).
    pub(super) model: Option<Model>,
}

/// A condition over numbered matchers.
#[derive(Debug, Clone)]
pub(super) enum Cond {
    Any(Vec<Cond>),
    All(Vec<Cond>),
    Not(Box<Cond>),
    Leaf(usize),
}

/// One matcher as written, kept for checks and explanations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct MatcherSpec {
    field: Field,
    kind: Kind,
    values: Vec<String>,
    /// Keywords and proximity: phrases inside which a value does not count.
    except: Vec<String>,
    /// Keywords and proximity: a value after a negation cue does not count.
    unless_negated: bool,
    /// Proximity: the group of each value, and how many words apart they may be.
    groups: Vec<usize>,
    within: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Keywords,
    Regex,
    Equals,
    Prefix,
    Suffix,
    Near,
}

#[derive(Debug)]
pub(super) struct Rule {
    pub id: String,
    pub priority: i64,
    category: String,
    action: Action,
    template: Option<String>,
    escalate_priority: Priority,
    tags: Vec<String>,
    sla: Option<SignedDuration>,
    resolves: bool,
    pub when: Cond,
    /// `when` again, for the common form `any = [matcher, …]`: decided with a bit mask.
    flat_any: Option<FlatAny>,
    mentions_automated: bool,
    /// A matcher of the condition has a `weight`: the rule competes by score. A rule
    /// without weights decides as rules always did: first match by priority.
    weighted: bool,
    source: Source,
    id_at: usize,
    priority_at: usize,
}

impl Rule {
    pub fn place(&self) -> String {
        let p = self.source.problem(self.id_at, "");
        format!("{}:{}:{}", p.file.display(), p.line, p.col)
    }

    pub fn at_id(&self, message: String) -> Problem {
        self.source.problem(self.id_at, message)
    }

    pub fn at_priority(&self, message: String) -> Problem {
        self.source.problem(self.priority_at, message)
    }
}

impl Cond {
    /// A text form that is equal for conditions that are written the same.
    pub fn canonical(&self, specs: &[MatcherSpec]) -> String {
        match self {
            Cond::Any(parts) => format!("any({})", join(parts, specs)),
            Cond::All(parts) => format!("all({})", join(parts, specs)),
            Cond::Not(inner) => format!("not({})", inner.canonical(specs)),
            Cond::Leaf(id) => format!("{:?}", specs[*id]),
        }
    }

    /// Whether the condition holds, and in `used` the matchers that fired as it was
    /// evaluated: the evidence. Only the deciding rule (and `--explain`) needs it.
    fn eval(&self, fired: &mut impl FnMut(usize) -> bool, used: &mut Vec<usize>) -> bool {
        match self {
            // Every part, not the first that holds: the score counts each matcher that fired.
            Cond::Any(parts) => parts.iter().fold(false, |any, p| p.eval(fired, used) | any),
            Cond::All(parts) => parts.iter().all(|p| p.eval(fired, used)),
            Cond::Not(inner) => !inner.eval(fired, &mut Vec::new()),
            Cond::Leaf(id) => {
                let hit = fired(*id);
                if hit {
                    used.push(*id);
                }
                hit
            }
        }
    }
}

/// A condition `any = [matcher, …]`, the form most rules take: it holds if one of its
/// keyword or literal matchers fired (one AND over the fired bits) or, failing that, one of
/// its regex matchers does (run then, see [`Scan::fired`]).
#[derive(Debug, Default)]
struct FlatAny {
    /// Bit `id` is set for each keyword or literal matcher `id` of the condition.
    mask: Vec<u64>,
    regexes: Vec<usize>,
}

impl FlatAny {
    fn of(when: &Cond, specs: &[MatcherSpec]) -> Option<FlatAny> {
        let Cond::Any(parts) = when else { return None };
        let mut flat = FlatAny::default();
        for part in parts {
            let Cond::Leaf(id) = *part else { return None };
            if specs[id].kind == Kind::Regex {
                flat.regexes.push(id);
            } else {
                set_bit(&mut flat.mask, id);
            }
        }
        Some(flat)
    }

    /// Whether it holds, and its score: the weights of its keyword matchers that fired or,
    /// when none did, of its regexes that do (so a mail whose keywords decide runs no regex).
    fn score(&self, scan: &mut Scan<'_, '_>, weights: &[f32]) -> (bool, f32) {
        let mut score = Score::default();
        for (word, (mask, fired)) in self.mask.iter().zip(&scan.hits.fired).enumerate() {
            let mut bits = mask & fired;
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

fn set_bit(bits: &mut Vec<u64>, i: usize) {
    if bits.len() <= i / 64 {
        bits.resize(i / 64 + 1, 0);
    }
    bits[i / 64] |= 1 << (i % 64);
}

fn join(parts: &[Cond], specs: &[MatcherSpec]) -> String {
    parts.iter().map(|p| p.canonical(specs)).collect::<Vec<_>>().join(",")
}

impl MatcherSpec {
    /// Whether this matcher fires whenever `other` does (same field and kind, more values).
    pub fn covers(&self, other: &MatcherSpec) -> bool {
        self.field == other.field
            && self.kind == other.kind
            && !matches!(self.kind, Kind::Regex | Kind::Near)
            // Exclusions make a matcher fire less often than its values say.
            && self.except.is_empty()
            && !self.unless_negated
            && other.values.iter().all(|v| self.values.contains(v))
    }
}

/// The matchers of one field, compiled together.
#[derive(Debug)]
struct FieldIndex {
    field: Field,
    /// The field's name as written in rules, for evidence.
    name: String,
    keywords: Option<AhoCorasick>,
    keyword_patterns: Vec<KeywordPattern>,
    /// Every pattern is a plain keyword: hits are recorded as they are found.
    plain: bool,
    /// The longest `except` phrase, in bytes: how far back a keyword looks for one.
    longest_except: usize,
    regexes: Option<RegexSet>,
    regex_matchers: Vec<(usize, Regex)>,
    literals: Vec<usize>,
}

#[derive(Debug)]
struct KeywordPattern {
    matcher: usize,
    word: String,
    left_boundary: bool,
    right_boundary: bool,
    role: Role,
}

/// What a pattern of the keyword automaton stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Keyword,
    /// A phrase that hides the matcher's keywords inside it.
    Except,
    /// A word of the matcher's proximity group.
    Near(usize),
    /// A negation cue (for every matcher of the field that asks).
    Negation,
}

/// Reads and compiles `dir`; returns the rules that compiled and every problem found.
pub(super) fn compile_dir(dir: &Path, template_exists: &dyn Fn(&str) -> bool) -> (RuleSet, Vec<Problem>) {
    let sources = match load::read_dir(dir) {
        Ok(sources) => sources,
        Err(problem) => return (RuleSet::default(), vec![problem]),
    };
    let (vocabulary, vocabulary_problem) = match Vocabulary::load(dir) {
        Ok(v) => (v, None),
        Err(p) => (Vocabulary::default(), Some(p)),
    };
    let (categories, categories_problem) = match load::read_categories(dir) {
        Ok(c) => (c, None),
        Err(p) => (None, Some(p)),
    };
    let mut builder = Builder {
        categories,
        specs: Vec::new(),
        weights: Vec::new(),
        saw_weight: false,
        problems: vocabulary_problem.into_iter().chain(categories_problem).collect(),
        template_exists,
        vocabulary: &vocabulary,
    };
    let mut rules = Vec::new();
    for source in sources {
        // Every unknown key of the file at once; the typed reading would stop at the first.
        let structural = super::keys::check(&source);
        if !structural.is_empty() {
            builder.problems.extend(structural);
            continue;
        }
        match load::parse_file(&source) {
            Ok(file) => {
                for raw in file.rule {
                    if let Some(rule) = builder.rule(raw, &source) {
                        rules.push(rule);
                    }
                }
            }
            Err(problem) => builder.problems.push(problem),
        }
    }
    if rules.is_empty() && builder.problems.is_empty() {
        builder.problems.push(Problem {
            file: PathBuf::from(dir),
            line: 0,
            col: 0,
            message: "no rule found (rule files are `*.toml` with `[[rule]]` tables)".into(),
        });
    }
    rules.sort_by_key(|r| r.priority);
    let mut problems = builder.problems;
    problems.extend(super::check::across(&rules, &builder.specs));
    let mut categories: Vec<&str> = rules.iter().map(|r| r.category.as_str()).collect();
    categories.push("other");
    categories.sort();
    categories.dedup();
    let (examples, example_problems) = super::examples::load(dir, &categories);
    problems.extend(example_problems);
    let model = (!examples.is_empty()).then(|| Model::train(&examples));
    let fields = index_fields(&builder.specs, &vocabulary);
    let regex_field = builder
        .specs
        .iter()
        .map(|spec| (spec.kind == Kind::Regex).then(|| field_index(&fields, &spec.field)))
        .collect();
    let rules_set =
        RuleSet { rules, specs: builder.specs, fields, regex_field, weights: builder.weights, model };
    (rules_set, problems)
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
        let template = raw.template.as_ref().map(|t| t.get_ref().clone());
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
            id: raw.id.get_ref().clone(),
            priority: *raw.priority.get_ref(),
            category: raw.category.get_ref().clone(),
            action: action.unwrap_or(Action::Acknowledge),
            template,
            escalate_priority,
            tags: raw.tags,
            sla,
            resolves: raw.resolves,
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
        if !textual && (c.except.is_some() || c.unless_negated) {
            self.at(source, raw, "`except` and `unless_negated` go with `keywords` or `near`".into());
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
            groups,
            within,
        });
        self.weights.push(weight);
        Some(self.specs.len() - 1)
    }

    /// Keywords lower-cased, English word forms (`charge+`) spelt out and, with
    /// `both_scripts`, the regional words of the vocabulary and both Chinese scripts added.
    fn normalise(&self, values: Vec<String>, both_scripts: bool) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for value in values {
            let lower = value.trim().to_lowercase();
            let spelt =
                if super::forms::has_forms(&lower) { super::forms::expand(&lower) } else { vec![lower] };
            for word in spelt {
                let variants = if both_scripts { self.vocabulary.variants(&word) } else { Vec::new() };
                for form in std::iter::once(word).chain(variants) {
                    let scripts = if both_scripts {
                        vec![lang::to_simplified(&form), lang::to_traditional(&form), form]
                    } else {
                        vec![form]
                    };
                    for form in scripts {
                        if !out.contains(&form) {
                            out.push(form);
                        }
                    }
                }
            }
        }
        out
    }
}

/// Lower-cases values and, when asked, adds the other Chinese script's form of each.
fn normalise(values: Vec<String>, both_scripts: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for value in values {
        let lower = value.trim().to_lowercase();
        let forms = if both_scripts {
            vec![lang::to_simplified(&lower), lang::to_traditional(&lower), lower]
        } else {
            vec![lower]
        };
        for form in forms {
            if !out.contains(&form) {
                out.push(form);
            }
        }
    }
    out
}

fn index_fields(specs: &[MatcherSpec], vocabulary: &Vocabulary) -> Vec<FieldIndex> {
    let mut by_field: BTreeMap<&Field, Vec<usize>> = BTreeMap::new();
    for (id, spec) in specs.iter().enumerate() {
        by_field.entry(&spec.field).or_default().push(id);
    }
    by_field.into_iter().map(|(field, ids)| index_field(field, &ids, specs, vocabulary)).collect()
}

fn field_index(fields: &[FieldIndex], field: &Field) -> usize {
    fields.iter().position(|f| &f.field == field).expect("every matcher's field is indexed")
}

fn index_field(field: &Field, ids: &[usize], specs: &[MatcherSpec], vocabulary: &Vocabulary) -> FieldIndex {
    let mut keyword_patterns = Vec::new();
    let mut regex_matchers = Vec::new();
    let mut literals = Vec::new();
    let mut negation = false;
    for &id in ids {
        let spec = &specs[id];
        match spec.kind {
            Kind::Keywords => {
                keyword_patterns.extend(spec.values.iter().map(|v| keyword(id, v, Role::Keyword)))
            }
            Kind::Near => keyword_patterns
                .extend(spec.values.iter().zip(&spec.groups).map(|(v, g)| keyword(id, v, Role::Near(*g)))),
            Kind::Regex => regex_matchers.push((id, Regex::new(&spec.values[0]).expect("checked"))),
            _ => literals.push(id),
        }
        keyword_patterns.extend(spec.except.iter().map(|v| keyword(id, v, Role::Except)));
        negation |= spec.unless_negated;
    }
    if negation {
        keyword_patterns.extend(vocabulary.negation.iter().map(|v| keyword(usize::MAX, v, Role::Negation)));
    }
    let plain = keyword_patterns.iter().all(|p| p.role == Role::Keyword);
    let longest_except =
        keyword_patterns.iter().filter(|p| p.role == Role::Except).map(|p| p.word.len()).max().unwrap_or(0);
    let keywords = (!keyword_patterns.is_empty()).then(|| keyword_automaton(&keyword_patterns));
    let regexes = regex_set(&regex_matchers);
    FieldIndex {
        field: field.clone(),
        name: field.name(),
        keywords,
        keyword_patterns,
        plain,
        longest_except,
        regexes,
        regex_matchers,
        literals,
    }
}

/// One automaton for a field's keywords, which are lower-case: ASCII letters in the text
/// match either case, and text with other upper-case letters is lower-cased before the scan
/// (see [`FieldIndex::scan`]). A DFA when it stays small (the default rules' few hundred
/// keywords), as it scans fastest; the automaton chooses otherwise for thousands.
fn keyword_automaton(patterns: &[KeywordPattern]) -> AhoCorasick {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind((patterns.len() <= 2_000).then_some(aho_corasick::AhoCorasickKind::DFA))
        .build(patterns.iter().map(|p| p.word.as_str()))
        .expect("keyword automaton")
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
fn keyword(matcher: usize, value: &str, role: Role) -> KeywordPattern {
    let (word, wildcard) = match value.strip_suffix('*') {
        Some(stem) => (stem.to_string(), true),
        None => (value.to_string(), false),
    };
    KeywordPattern {
        matcher,
        left_boundary: word.chars().next().is_some_and(is_word_char),
        right_boundary: !wildcard && word.chars().last().is_some_and(is_word_char),
        word,
        role,
    }
}

/// Letters and digits of alphabetic scripts; CJK characters are never part of a "word".
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && (c as u32) < 0x2E80
}

impl FieldIndex {
    /// Marks in `hits` every keyword and literal matcher of this field that fires on `values`.
    fn scan<'r>(&'r self, values: &[Cow<'_, str>], specs: &'r [MatcherSpec], hits: &mut Hits<'r>) {
        for value in values {
            if let Some(automaton) = &self.keywords {
                let text = fold_non_ascii_case(value);
                let found = automaton
                    .find_overlapping_iter(text.as_ref())
                    .map(|m| {
                        (
                            &self.keyword_patterns[m.pattern().as_usize()],
                            Span { start: m.start(), end: m.end() },
                        )
                    })
                    .filter(|(pattern, at)| at_boundaries(&text, at.start, at.end, pattern));
                if self.plain {
                    for (pattern, _) in found {
                        hits.record(&self.name, pattern.matcher, || Cow::Borrowed(&pattern.word));
                    }
                } else {
                    let found: Vec<(&KeywordPattern, Span)> = found.take(context::MAX_MATCHES).collect();
                    self.record_in_context(&text, &found, specs, hits);
                }
            }
            if !self.literals.is_empty() {
                let lower = value.trim().to_lowercase();
                for &id in &self.literals {
                    if let Some(word) = literal_match(&specs[id], &lower) {
                        hits.record(&self.name, id, || Cow::Borrowed(word));
                    }
                }
            }
        }
    }

    /// Records the keywords of `found` that count where they stand (not inside an `except`
    /// phrase, not negated when the matcher asks) and the proximity matchers that hold.
    fn record_in_context<'r>(
        &'r self,
        text: &str,
        found: &[(&'r KeywordPattern, Span)],
        specs: &[MatcherSpec],
        hits: &mut Hits<'r>,
    ) {
        // Sorted once, so that each keyword looks only at the phrases and cues near it: a
        // hostile mail repeating a keyword 100,000 times stays linear.
        let mut cues: Vec<Span> =
            found.iter().filter(|(p, _)| p.role == Role::Negation).map(|(_, s)| *s).collect();
        cues.sort_by_key(|s| s.end);
        let mut excepts: Vec<(usize, Span)> =
            found.iter().filter(|(p, _)| p.role == Role::Except).map(|(p, s)| (p.matcher, *s)).collect();
        excepts.sort_by_key(|(m, s)| (*m, s.start));
        let counts = |pattern: &KeywordPattern, at: Span| {
            let excluded = context::inside_any(&excepts, pattern.matcher, at, self.longest_except);
            let negated = specs[pattern.matcher].unless_negated && context::negated(text, at, &cues);
            !excluded && !negated
        };
        let mut near: Vec<(usize, usize, Span)> = Vec::new();
        for &(pattern, at) in found {
            match pattern.role {
                Role::Keyword if counts(pattern, at) => {
                    hits.record(&self.name, pattern.matcher, || Cow::Borrowed(&pattern.word))
                }
                Role::Near(group) if counts(pattern, at) => near.push((pattern.matcher, group, at)),
                _ => {}
            }
        }
        near.sort_by_key(|(matcher, _, at)| (*matcher, at.start));
        for chunk in near.chunk_by(|a, b| a.0 == b.0) {
            let matcher = chunk[0].0;
            let spec = &specs[matcher];
            let groups = spec.groups.iter().max().map_or(0, |g| g + 1);
            let occurrences: Vec<(usize, Span)> = chunk.iter().map(|(_, g, at)| (*g, *at)).collect();
            if context::near(text, &occurrences, groups, spec.within) {
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
    fn scan_regexes<'r>(&'r self, values: &[Cow<'_, str>], hits: &mut Hits<'r>) {
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

/// Which matchers fired in one mail and, when the rules are explained, on which words.
struct Hits<'r> {
    /// Bit `id` is set when matcher `id` fired.
    fired: Vec<u64>,
    /// For `--explain` only (empty otherwise): where each matcher fired and on which words.
    by_matcher: Vec<Option<Hit<'r>>>,
}

impl<'r> Hits<'r> {
    /// No matcher fired yet; `keep_words` makes room for the words of each.
    fn new(matchers: usize, keep_words: bool) -> Hits<'r> {
        let by_matcher = if keep_words { vec![None; matchers] } else { Vec::new() };
        Hits { fired: vec![0; matchers.div_ceil(64)], by_matcher }
    }

    /// Marks matcher `id` of field `field` as fired; `word` is read only when words are kept.
    fn record(&mut self, field: &'r str, id: usize, word: impl FnOnce() -> Cow<'r, str>) {
        set_bit(&mut self.fired, id);
        if let Some(entry) = self.by_matcher.get_mut(id) {
            let entry = entry.get_or_insert_with(|| Hit { field, matched: Vec::new() });
            let word = word();
            if !entry.matched.contains(&word) {
                entry.matched.push(word);
            }
        }
    }

    fn has_fired(&self, id: usize) -> bool {
        self.fired.get(id / 64).is_some_and(|bits| bits & (1 << (id % 64)) != 0)
    }
}

/// What the matchers found in one mail: every keyword and literal matcher up front, the
/// regexes of a field once a rule asks for one of them.
struct Scan<'r, 'm> {
    rules: &'r RuleSet,
    /// Each field's values, and whether its regexes have run on them.
    fields: Vec<(Values<'m>, bool)>,
    hits: Hits<'r>,
}

impl<'r, 'm> Scan<'r, 'm> {
    /// Runs the keyword and literal matchers over `mail`; `keep_words` gathers the words
    /// each matched, for `--explain`.
    fn new(rules: &'r RuleSet, mail: &'m Inbound, verdict: &Verdict, keep_words: bool) -> Scan<'r, 'm> {
        let mut hits = Hits::new(rules.specs.len(), keep_words);
        let fields: Vec<(Values<'m>, bool)> =
            rules.fields.iter().map(|f| (f.field.values(mail, verdict), false)).collect();
        for (index, (values, _)) in rules.fields.iter().zip(&fields) {
            index.scan(values, &rules.specs, &mut hits);
        }
        Scan { rules, fields, hits }
    }

    /// Whether matcher `id` fired; a regex matcher's field has its regexes run first if no
    /// rule asked before.
    fn fired(&mut self, id: usize) -> bool {
        if let Some(field) = self.rules.regex_field[id] {
            let (values, regexes_run) = &mut self.fields[field];
            if !*regexes_run {
                *regexes_run = true;
                self.rules.fields[field].scan_regexes(values, &mut self.hits);
            }
        }
        self.hits.has_fired(id)
    }
}

/// A matcher that fired: on which field, and (for `--explain` only, see [`Hits`]) the words
/// it found there, borrowed from the rule set where they can be; those become [`Evidence`].
#[derive(Debug, Clone)]
struct Hit<'r> {
    field: &'r str,
    matched: Vec<Cow<'r, str>>,
}

impl Hit<'_> {
    fn evidence(&self) -> Evidence {
        Evidence {
            field: self.field.to_string(),
            matched: self.matched.iter().map(|w| w.to_string()).collect(),
        }
    }
}

/// `text` lower-cased if it has upper-case letters beyond ASCII (the keyword automaton folds
/// ASCII itself); borrowed as it is otherwise, which is nearly always.
fn fold_non_ascii_case(text: &str) -> Cow<'_, str> {
    // CJK, kana, hangul and their punctuation (U+2E80..U+A63F, U+AC00..U+FF20) have no case:
    // the common characters of Chinese mail skip the Unicode table lookup.
    let caseless = |c: char| matches!(c as u32, 0x2E80..=0xA63F | 0xAC00..=0xFF20);
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            0..=0x7f => i += 1,
            // U+3000..U+9FFF (kana, CJK punctuation, Han) in UTF-8: skipped without decoding.
            0xe3..=0xe9 => i += 3,
            _ => {
                let c = text[i..].chars().next().expect("i is at a character boundary");
                if !caseless(c) && c.is_uppercase() {
                    return Cow::Owned(text.to_lowercase());
                }
                i += c.len_utf8();
            }
        }
    }
    Cow::Borrowed(text)
}

fn at_boundaries(text: &str, start: usize, end: usize, p: &KeywordPattern) -> bool {
    let before_ok = !p.left_boundary || !text[..start].chars().next_back().is_some_and(is_word_char);
    let after_ok = !p.right_boundary || !text[end..].chars().next().is_some_and(is_word_char);
    before_ok && after_ok
}

/// The value of an `equals`, `prefix` or `suffix` matcher that `lower` (a trimmed,
/// lower-cased field value) meets.
fn literal_match<'s>(spec: &'s MatcherSpec, lower: &str) -> Option<&'s str> {
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

    /// Classifies a mail; `trials`, when given, receives what each rule tried. Every rule is
    /// tried and scored; [`opinion::settle`] decides among those that matched.
    pub(super) fn decide(
        &self,
        mail: &Inbound,
        verdict: &Verdict,
        mut trials: Option<&mut Vec<Trial>>,
    ) -> Classification {
        let mut scan = Scan::new(self, mail, verdict, trials.is_some());
        let mut used = Vec::new();
        let mut candidates = Vec::new();
        for (index, rule) in self.rules.iter().enumerate() {
            if verdict.is_automated() && !rule.mentions_automated {
                if let Some(trials) = trials.as_deref_mut() {
                    let why = Some("machine mail; rule is not about machine mail");
                    trials.push(trial(rule, false, 0.0, Vec::new(), why));
                }
                continue;
            }
            let (matched, score) = match (trials.as_deref_mut(), &rule.flat_any) {
                (None, Some(flat)) => flat.score(&mut scan, &self.weights),
                (trials, _) => {
                    used.clear();
                    let matched = rule.when.eval(&mut |id| scan.fired(id), &mut used);
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
            if matched {
                candidates.push(Candidate {
                    index,
                    category: rule.category.clone(),
                    score,
                    answers: rule.action == Action::Answer,
                });
            }
        }
        let prediction = match (&self.model, verdict.is_automated()) {
            (Some(model), false) => Some(model.predict(&Field::Text.values(mail, verdict)[0])),
            _ => None,
        };
        // The first rule to match by priority decides alone when it has no weights (as rules
        // always did); otherwise the rules with weights that matched compete by score.
        let first_unweighted = candidates.first().filter(|c| !self.rules[c.index].weighted).cloned();
        let candidates = match first_unweighted {
            Some(first) => vec![first],
            None => candidates.into_iter().filter(|c| self.rules[c.index].weighted).collect(),
        };
        let outcome = opinion::settle(&candidates, prediction.as_ref());
        let mut classification = match outcome {
            Outcome::Rule { index, held, also } => {
                let mut c = decided(&self.rules[index]);
                c.score = candidates.iter().find(|c| c.index == index).map_or(0.0, |c| c.score);
                if let Some(also) = also {
                    for tag in [c.category.clone().unwrap_or_default(), also] {
                        if !c.tags.contains(&tag) {
                            c.tags.push(tag);
                        }
                    }
                }
                if held.is_some() {
                    c.action = Action::Acknowledge;
                    c.resolves = false;
                }
                c.held = held;
                c
            }
            Outcome::Suggest { category } => self.suggested(category, verdict),
            Outcome::Default => default_classification(verdict),
        };
        classification.model = prediction.as_ref().and_then(|p| {
            let (category, confidence) = p.top()?;
            let decided = classification.category.as_deref().map_or(0.0, |c| p.probability(c));
            Some(ModelOpinion { category: category.to_string(), confidence, decided })
        });
        classification
    }

    /// No rule matched and the model suggests `category`: routed and prioritised as that
    /// category's first rule would, but only acknowledged.
    fn suggested(&self, category: String, verdict: &Verdict) -> Classification {
        let mut c = default_classification(verdict);
        if let Some(rule) = self.rules.iter().find(|r| r.category == category) {
            c.priority = rule.escalate_priority;
            c.tags = rule.tags.clone();
            c.sla = rule.sla;
        }
        c.category = Some(category);
        c.suggested = true;
        c
    }

    /// The trained second opinion, if the rule directory has examples.
    pub fn model(&self) -> Option<&Model> {
        self.model.as_ref()
    }
}

fn trial(rule: &Rule, matched: bool, score: f32, evidence: Vec<Evidence>, skipped: Option<&str>) -> Trial {
    Trial {
        rule: rule.id.clone(),
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

/// No rule matched: customer mail is `other` and acknowledged; machine mail is ignored.
fn default_classification(verdict: &Verdict) -> Classification {
    let human = !verdict.is_automated();
    Classification {
        category: human.then(|| "other".to_string()),
        action: if human { Action::Acknowledge } else { Action::Ignore },
        ..Classification::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_text_with_upper_case_beyond_ascii_is_folded() {
        for kept in ["退款还没到 REFUND", "ｒｅｆｕｎｄ 「退款」", "ü é 가 ま", ""] {
            assert!(matches!(fold_non_ascii_case(kept), Cow::Borrowed(_)), "{kept}");
        }
        for (text, folded) in
            [("退款 ÄNDERUNG", "退款 änderung"), ("ＲＥＦＵＮＤ", "ｒｅｆｕｎｄ"), ("說 ΣΑΣ", "說 σας")]
        {
            assert_eq!(fold_non_ascii_case(text), folded, "{text}");
        }
    }
}

#[cfg(test)]
mod flat_any_tests {
    use super::*;

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
            ("My payment was declined.", Some("transaction_failure")),
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
