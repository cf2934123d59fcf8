//! The development phrasing (`$DESKMAIL_CORPUS/phrasing`) is for measurement only: no question
//! of it may stand in the project's examples, rule tests, rule comments or docs, where it would
//! train the model on the very rows it is scored on. Compared ignoring case, punctuation and
//! spaces; English of 20 letters or more, Chinese of 9 characters or more (shorter ones are
//! the everyday words any writer uses). Without the corpus the test says so and passes.

use std::path::{Path, PathBuf};

use aho_corasick::AhoCorasick;

/// Lower case, letters and digits only (CJK characters are alphanumeric).
fn normalised(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

fn is_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The corpus questions long enough to be a writer's own sentence, normalised.
fn corpus_questions(dir: &Path) -> Vec<String> {
    let mut questions = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "tsv") {
            continue;
        }
        let table = std::fs::read_to_string(&path).unwrap();
        let mut lines = table.lines();
        let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
        let column = header.iter().position(|h| *h == "text").expect("a text column");
        for line in lines {
            let Some(text) = line.split('\t').nth(column) else { continue };
            let words = normalised(text);
            let long_enough = if is_chinese(text) { 9 } else { 20 };
            if words.chars().count() >= long_enough {
                questions.push(words);
            }
        }
    }
    questions.sort();
    questions.dedup();
    questions
}

/// The project's own text where sentences are written: examples, rule tests, the comments of
/// the rule files, and the docs. The rules' phrase lists are vocabulary, not sentences.
fn project_lines(root: &Path) -> Vec<(PathBuf, usize, String)> {
    let mut files = vec![root.join("README.md"), root.join("rules/README.md")];
    for dir in ["rules", "rules/vocabulary", "rules/examples", "rules/tests", "docs"] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        files.extend(found);
    }
    let mut lines = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        let is_rule_file = file.extension().is_some_and(|x| x == "toml");
        for (number, line) in text.lines().enumerate() {
            let written = if is_rule_file { line.split_once('#').map_or("", |(_, c)| c) } else { line };
            lines.push((file.clone(), number + 1, written.to_string()));
        }
    }
    lines
}

#[test]
fn no_development_question_is_copied_into_the_project() {
    let Some(corpus) = std::env::var_os("DESKMAIL_CORPUS") else {
        eprintln!("DESKMAIL_CORPUS is not set: skipped (scripts/test.sh sets it)");
        return;
    };
    let questions = corpus_questions(&PathBuf::from(corpus).join("phrasing"));
    assert!(questions.len() > 10_000, "only {} phrasing questions found", questions.len());
    let finder = AhoCorasick::new(&questions).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lines = project_lines(root);
    let copies: Vec<String> = lines
        .iter()
        .filter_map(|(file, number, line)| {
            let found = finder.find(&normalised(line))?;
            let question = &questions[found.pattern().as_usize()];
            Some(format!("{}:{number}: {question}", file.strip_prefix(root).unwrap().display()))
        })
        .collect();
    eprintln!("{} questions against {} lines of the project", questions.len(), lines.len());
    assert!(copies.is_empty(), "development questions copied into the project:\n{}", copies.join("\n"));
}
