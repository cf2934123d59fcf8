//! Classify stage, training examples: what the second opinion learns from, read when the
//! rules load: `DIR/examples/CATEGORY.LANG.txt` (one example a line, `#` comments) and the
//! example mails of `DIR/tests` with the category `expected.toml` gives them. Each example
//! carries its language (the file name's `LANG`, the case's `language`), so that it teaches
//! that language's model (`model.rs`).

use std::path::Path;

use serde::Deserialize;

use super::load::{Problem, Source};
use super::model::Example;
use crate::parse::Language;

/// Every example of `dir`, and the problems found (a file named after no category, a mail
/// that does not parse). `categories` are those the rules name, plus `other`.
pub fn load(dir: &Path, categories: &[&str]) -> (Vec<Example>, Vec<Problem>) {
    let mut examples = Vec::new();
    let mut problems = Vec::new();
    from_files(&dir.join("examples"), categories, &mut examples, &mut problems);
    from_tests(&dir.join("tests"), &mut examples, &mut problems);
    // Staff's corrections (`deskmail reclassify`) live in the store, not here: the daemon
    // hands them to `RuleSet::learn` after loading the rules.
    (examples, problems)
}

fn from_files(dir: &Path, categories: &[&str], examples: &mut Vec<Example>, problems: &mut Vec<Problem>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let category = name.split('.').next().unwrap_or("");
        let at = |message: String| Problem { file: path.clone(), line: 1, col: 1, message };
        if !categories.contains(&category) {
            problems.push(at(format!(
                "examples for unknown category `{category}` (name files CATEGORY.LANG.txt; categories: {})",
                categories.join(", ")
            )));
            continue;
        }
        let text = match std::fs::read(&path).map(String::from_utf8) {
            Ok(Ok(text)) => text,
            Ok(Err(_)) => {
                problems.push(at("the file is not UTF-8: save it as UTF-8".into()));
                continue;
            }
            Err(e) => {
                problems.push(at(format!("cannot read the examples: {e}")));
                continue;
            }
        };
        // `refund.zh-Hant.txt`: the language of every line. A name without a known tag
        // (`refund.txt`, `refund.all.txt`) leaves each line's language to its own text.
        let tag = name.split('.').nth(1).and_then(Language::from_tag);
        examples.extend(text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(
            |l| Example {
                category: category.to_string(),
                text: l.to_string(),
                language: tag.unwrap_or_else(|| crate::parse::lang::detect(l)),
            },
        ));
    }
}

#[derive(Deserialize)]
struct Expected {
    #[serde(default)]
    case: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    file: String,
    category: Option<String>,
    language: Option<String>,
    /// `false`: the mail is no example for the model. Its category comes from a signal the
    /// model does not weigh (thanks for a solved problem, a job application), and as an
    /// example it would teach that the topic words it names mean `other`.
    example: Option<bool>,
}

/// The example mails of `rules/tests` with a category (machine mail has none): their subject
/// and new text, as the rules read them.
fn from_tests(dir: &Path, examples: &mut Vec<Example>, problems: &mut Vec<Problem>) {
    let path = dir.join("expected.toml");
    let Ok(text) = std::fs::read_to_string(&path) else { return };
    let expected: Expected = match toml::from_str(&text) {
        Ok(expected) => expected,
        Err(e) => {
            let source = Source { path, text };
            problems.push(source.problem(e.span().map_or(0, |s| s.start), e.message().trim().to_string()));
            return;
        }
    };
    for case in expected.case.into_iter().filter(|c| c.example != Some(false)) {
        let Some(category) = case.category else { continue };
        let Ok(raw) = std::fs::read(dir.join(&case.file)) else { continue };
        if let Ok(mail) = crate::parse::parse(&raw) {
            let text = format!("{}\n{}", mail.subject, mail.new_text);
            // The language the case expects, else the one the mail is read in.
            let language = case.language.as_deref().and_then(Language::from_tag).unwrap_or(mail.language);
            examples.push(Example { category, text, language });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_example_files_and_reports_unknown_categories() {
        let dir = tempfile::tempdir().unwrap();
        let examples = dir.path().join("examples");
        std::fs::create_dir(&examples).unwrap();
        std::fs::write(examples.join("refund.en.txt"), "# a comment\nmoney back please\n\nrefund my order\n")
            .unwrap();
        std::fs::write(examples.join("refnud.en.txt"), "typo\n").unwrap();
        // No language in the name: each line's own.
        std::fs::write(examples.join("other.txt"), "請問帳戶被凍結了\nwhere is my card\n").unwrap();
        let (found, problems) = load(dir.path(), &["refund", "other"]);
        let texts: Vec<(&str, Language)> = found.iter().map(|e| (e.text.as_str(), e.language)).collect();
        assert_eq!(
            texts,
            [
                ("請問帳戶被凍結了", Language::ZhHant),
                ("where is my card", Language::En),
                ("money back please", Language::En),
                ("refund my order", Language::En)
            ]
        );
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("unknown category `refnud`"), "{}", problems[0]);
    }

    #[test]
    fn a_test_mail_marked_no_example_does_not_train_the_model() {
        let dir = tempfile::tempdir().unwrap();
        let tests = dir.path().join("tests");
        std::fs::create_dir(&tests).unwrap();
        for (name, body) in [("a.eml", "my refund never came"), ("b.eml", "thanks, the refund arrived")] {
            std::fs::write(tests.join(name), format!("From: c@example.org\r\nSubject: x\r\n\r\n{body}\r\n"))
                .unwrap();
        }
        std::fs::write(
            tests.join("expected.toml"),
            "[[case]]\nfile = \"a.eml\"\ncategory = \"refund\"\n\
             [[case]]\nfile = \"b.eml\"\ncategory = \"other\"\nexample = false\n",
        )
        .unwrap();
        let (found, problems) = load(dir.path(), &["refund", "other"]);
        assert!(problems.is_empty(), "{problems:?}");
        let categories: Vec<&str> = found.iter().map(|e| e.category.as_str()).collect();
        assert_eq!(categories, ["refund"]);
    }
}
