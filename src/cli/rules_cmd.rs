//! `deskmail rules check` and `deskmail rules test`: what staff run before deploying a rule
//! change. `check` lists every problem as `file:line:col: message`; `test` runs the rules over
//! the example mails of `DIR/tests` and prints a diff per mismatch and `N passed, N failed`.

use super::output::outln;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Failure;
use crate::compose::Templates;
use crate::parse;
use crate::rules::RuleSet;
use crate::screen;

/// Checks the rule files and the templates together; every problem of every file is listed
/// and the exit code is 1 when there is any.
pub fn check(dir: &Path, templates_dir: &Path) -> Result<i32, Failure> {
    // A template exists when its file does: a syntax error in one template is reported once,
    // by the template check, not again as an unknown template for every rule naming it.
    let present = template_names(templates_dir);
    let used = std::cell::RefCell::new(std::collections::BTreeSet::new());
    let exists = |name: &str| {
        used.borrow_mut().insert(name.to_string());
        present.contains(name)
    };
    let problems = RuleSet::check(dir, &exists);
    for p in &problems {
        outln!("{p}");
    }
    let template_problems = crate::compose::check::check(templates_dir, &used.borrow());
    for p in &template_problems {
        outln!("{p}");
    }
    let count = problems.len() + template_problems.len();
    if count == 0 {
        outln!("{}: rules ok; {}: templates ok", dir.display(), templates_dir.display());
        Ok(0)
    } else {
        outln!("{count} problem(s)");
        Ok(1)
    }
}

/// The template names (`NAME` of `NAME.LANG.j2`) present in `dir`.
fn template_names(dir: &Path) -> std::collections::BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter_map(|f| {
                    f.strip_suffix(".j2").and_then(|s| s.rsplit_once('.')).map(|(n, _)| n.to_string())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `expected.toml` as written: each case is kept with its position, so that a mistake in one
/// is reported at its line and the others still run.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expectations {
    #[serde(default)]
    case: Vec<toml::Spanned<toml::Table>>,
    /// Own addresses for the screen (the support address).
    #[serde(default)]
    own_addresses: Vec<String>,
}

/// One example mail and what the rules must make of it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    file: String,
    /// Expected category; omit for machine mail.
    category: Option<String>,
    action: Option<String>,
    automated: Option<String>,
    language: Option<String>,
    /// `false`: not an example for the second opinion's training (`rules/README.md`); read
    /// where the examples are loaded, accepted here so that the key is known.
    #[serde(default, rename = "example")]
    _example: Option<bool>,
}

/// Runs the rule tests; exit 1 on any mismatch.
pub fn test(dir: &Path, templates_dir: &Path) -> Result<i32, Failure> {
    let templates = Templates::load(templates_dir)
        .map_err(|e| Failure::config(e.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")))?;
    let rules = RuleSet::load(dir, &|n| templates.exists(n))
        .map_err(|p| Failure::config(p.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")))?;
    let tests_dir = dir.join("tests");
    let expected_path = tests_dir.join("expected.toml");
    let text = std::fs::read_to_string(&expected_path)
        .map_err(|e| Failure::config(format!("{}: {e}", expected_path.display())))?;
    let source = crate::rules::load::Source { path: expected_path.clone(), text: text.clone() };
    let expectations: Expectations = toml::from_str(&text).map_err(|e| {
        Failure::config(source.problem(e.span().map_or(0, |s| s.start), e.message().trim()).to_string())
    })?;
    let (mut passed, mut failed) = (0, 0);
    let mut named = std::collections::BTreeSet::new();
    for spanned in &expectations.case {
        let at = spanned.span().start;
        let case = match Case::deserialize(spanned.get_ref().clone()) {
            Ok(case) => case,
            Err(e) => {
                failed += 1;
                if let Some(toml::Value::String(file)) = spanned.get_ref().get("file") {
                    named.insert(file.clone());
                }
                let hint = crate::hint::for_unknown_field(e.message())
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default();
                outln!("FAIL {}", source.problem(at, format!("this case: {}{hint}", e.message().trim())));
                continue;
            }
        };
        named.insert(case.file.clone());
        let diffs = run_case(&tests_dir.join(&case.file), &case, &rules, &expectations.own_addresses);
        if diffs.is_empty() {
            passed += 1;
        } else {
            failed += 1;
            outln!("FAIL {} ({})", case.file, source.problem(at, "").to_string().trim_end_matches(": "));
            for d in diffs {
                outln!("  {d}");
            }
        }
    }
    for orphan in mails_without_a_case(&tests_dir, &named) {
        failed += 1;
        outln!("FAIL {orphan}: no [[case]] in {} names it", expected_path.display());
    }
    outln!("{passed} passed, {failed} failed");
    Ok(if failed == 0 { 0 } else { 1 })
}

/// The `.eml` files of the tests directory that no case names.
fn mails_without_a_case(tests_dir: &Path, named: &std::collections::BTreeSet<String>) -> Vec<String> {
    let mut orphans: Vec<String> = std::fs::read_dir(tests_dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|f| f.ends_with(".eml") && !named.contains(f))
                .collect()
        })
        .unwrap_or_default();
    orphans.sort();
    orphans
}

fn run_case(path: &PathBuf, case: &Case, rules: &RuleSet, own: &[String]) -> Vec<String> {
    let raw = match std::fs::read(path) {
        Ok(raw) => raw,
        Err(e) => return vec![format!("cannot read {}: {e}", path.display())],
    };
    let mail = match parse::parse(&raw) {
        Ok(mail) => mail,
        Err(e) => return vec![format!("cannot parse: {e}")],
    };
    let verdict = screen::screen(&mail, own);
    let (c, trials) = rules.classify_explained(&mail, &verdict);
    let mut diffs = Vec::new();
    let mut compare = |what: &str, expected: Option<&str>, got: Option<&str>| {
        if let Some(expected) = expected
            && Some(expected) != got
        {
            diffs.push(format!("{what}: expected {expected}, got {}", got.unwrap_or("none")));
        }
    };
    compare("category", case.category.as_deref(), c.category.as_deref());
    compare("action", case.action.as_deref(), Some(c.action.as_str()));
    compare("automated", case.automated.as_deref(), Some(verdict.automated.map_or("no", |k| k.as_str())));
    compare("language", case.language.as_deref(), Some(mail.language.tag()));
    if case.category.is_none() && case.automated.is_none() {
        diffs.push("the case names neither a category nor `automated`".into());
    }
    if !diffs.is_empty() {
        diffs.extend(why(&c, &trials));
    }
    diffs
}

/// Which rule decided and on which words, and every rule that held: an expected rule
/// missing from the list did not match this mail.
fn why(c: &crate::rules::Classification, trials: &[crate::rules::Trial]) -> Vec<String> {
    let words = |t: &crate::rules::Trial| {
        t.evidence
            .iter()
            .map(|e| format!("{}: {}", e.field, e.matched.join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut lines = Vec::new();
    match c.rule.as_deref().and_then(|r| trials.iter().find(|t| t.rule == r)) {
        Some(t) => lines.push(format!("decided by rule `{}` on {}", t.rule, words(t))),
        None => lines.push("no rule held".into()),
    }
    let held: Vec<String> =
        trials.iter().filter(|t| t.matched).map(|t| format!("`{}` ({})", t.rule, words(t))).collect();
    if held.len() > 1 {
        lines.push(format!("rules that held: {}", held.join(", ")));
    }
    lines
}
