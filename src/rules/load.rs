//! Classify stage, loading: reads the TOML rule files of a directory into raw rules with
//! their positions, so that every later complaint can say `file:line:col`.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

/// One problem found in a rule file: the located message the configuration uses too.
pub type Problem = crate::located::Located;

/// A rule file's text, kept to turn byte offsets into lines and columns.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub text: String,
}

impl Source {
    /// A problem at byte offset `at` of this file.
    pub fn problem(&self, at: usize, message: impl Into<String>) -> Problem {
        Problem::at(&self.path, &self.text, at, message)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    #[serde(default)]
    pub rule: Vec<RawRule>,
}

/// A rule as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub id: Spanned<String>,
    pub priority: Spanned<i64>,
    pub category: Spanned<String>,
    pub action: Spanned<String>,
    pub template: Option<Spanned<String>>,
    pub escalate_priority: Option<Spanned<String>>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub sla: Option<Spanned<String>>,
    #[serde(default)]
    pub resolves: bool,
    /// When this rule matches, however weakly beside the rule that decides, no canned answer
    /// goes out: a person must see the mail (complaints).
    #[serde(default)]
    pub hold_answers: bool,
    pub when: Spanned<RawCondition>,
}

/// A condition as written: a combinator, or a field with one matcher.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawCondition {
    pub any: Option<Vec<Spanned<RawCondition>>>,
    pub all: Option<Vec<Spanned<RawCondition>>>,
    pub not: Option<Box<Spanned<RawCondition>>>,
    pub field: Option<Spanned<String>>,
    pub keywords: Option<Vec<String>>,
    pub regex: Option<Spanned<String>>,
    pub equals: Option<Vec<String>>,
    pub prefix: Option<Vec<String>>,
    pub suffix: Option<Vec<String>>,
    /// Also match the other Chinese script's form of each keyword, and the regional words of
    /// `vocabulary/words.toml`.
    #[serde(default)]
    pub both_scripts: bool,
    /// Proximity: one word of each group within `within` words (Chinese: characters).
    pub near: Option<Vec<Vec<String>>>,
    pub within: Option<Spanned<usize>>,
    /// Proximity: how many sentences the words may span (1, the default: one sentence; 2: this
    /// one and the next, "I sent it to my brother. He has not received it.").
    pub sentences: Option<Spanned<usize>>,
    /// Longer phrases inside which a keyword does not count (`交易密码` for `密码`).
    pub except: Option<Vec<String>>,
    /// A keyword right after a negation cue (`不用停用`, "no need to cancel") does not count.
    #[serde(default)]
    pub unless_negated: bool,
    /// A keyword written as part of an amount (`64.90 EUR`, `100美元`) does not count.
    #[serde(default)]
    pub unless_amount: bool,
    /// The matcher's weight in the rule's score (default 1).
    pub weight: Option<Spanned<f64>>,
}

/// The file that declares the categories rules may name.
pub const CATEGORIES_FILE: &str = "categories.toml";

/// What `DIR/categories.toml` declares: the categories rules may name and, optionally, which
/// of them one problem often names together (`neighbours`, see [`super::opinion::Neighbours`]).
#[derive(Debug, Clone, Default)]
pub struct Declared {
    pub categories: Vec<String>,
    pub neighbours: Vec<Vec<String>>,
}

/// The declared categories (`categories = [...]` in `DIR/categories.toml`), or `None` when
/// the directory declares none (then any category is taken as written).
pub fn read_categories(dir: &Path) -> Result<Option<Vec<String>>, Problem> {
    read_declared(dir).map(|d| d.map(|d| d.categories)).map_err(|mut problems| problems.remove(0))
}

/// What `DIR/categories.toml` declares, or `None` without the file. Problems: the file does
/// not parse, or a `neighbours` group has fewer than two categories or names one that is not
/// declared (each at its line).
pub fn read_declared(dir: &Path) -> Result<Option<Declared>, Vec<Problem>> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        categories: Vec<String>,
        #[serde(default)]
        neighbours: Vec<Spanned<Vec<Spanned<String>>>>,
    }
    let path = dir.join(CATEGORIES_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else { return Ok(None) };
    let source = Source { path, text };
    let raw = toml::from_str::<Raw>(&source.text)
        .map_err(|e| vec![source.problem(e.span().map_or(0, |s| s.start), e.message().trim().to_string())])?;
    let mut problems = Vec::new();
    for group in &raw.neighbours {
        if group.get_ref().len() < 2 {
            problems.push(
                source.problem(group.span().start, "a `neighbours` group needs two categories or more"),
            );
        }
        for name in group.get_ref() {
            if !raw.categories.contains(name.get_ref()) {
                let message =
                    format!("`neighbours` names `{}`, which `categories` does not declare", name.get_ref());
                problems.push(source.problem(name.span().start, message));
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let neighbours = raw
        .neighbours
        .into_iter()
        .map(|g| g.into_inner().into_iter().map(Spanned::into_inner).collect())
        .collect();
    Ok(Some(Declared { categories: raw.categories, neighbours }))
}

/// Reads every `*.toml` file directly in `dir` but the categories file, in name order.
pub fn read_dir(dir: &Path) -> Result<Vec<Source>, Problem> {
    let entries = std::fs::read_dir(dir).map_err(|e| Problem {
        file: dir.to_path_buf(),
        line: 0,
        col: 0,
        message: format!("cannot read the rules directory: {e}"),
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .filter(|p| p.file_name().is_none_or(|n| n != CATEGORIES_FILE))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).map_err(|e| Problem {
                file: path.clone(),
                line: 0,
                col: 0,
                message: format!("cannot read the rule file: {e}"),
            })?;
            let text = String::from_utf8(bytes).map_err(|e| not_utf8(&path, e))?;
            Ok(Source { path, text })
        })
        .collect()
}

/// A rule file saved in another encoding (a GBK editor): the problem is placed at the first
/// byte that is not UTF-8.
fn not_utf8(path: &Path, e: std::string::FromUtf8Error) -> Problem {
    let valid = String::from_utf8_lossy(&e.as_bytes()[..e.utf8_error().valid_up_to()]).into_owned();
    let source = Source { path: path.to_path_buf(), text: valid.clone() };
    source.problem(valid.len(), "the file is not UTF-8: save it as UTF-8")
}

/// Parses one file; a syntax error or unknown key is reported at its position.
pub fn parse_file(source: &Source) -> Result<RawFile, Problem> {
    toml::from_str::<RawFile>(&source.text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        source.problem(at, e.message().trim().to_string())
    })
}
