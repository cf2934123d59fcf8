//! Classify stage, loading: the structural check of a rule file before it is read into
//! rules. The typed reading stops at its first mistake; this check reports every unknown key
//! of every rule and condition at once, each at its line with the key meant ("did you mean
//! `priority`?"), and a syntax error with a hint for punctuation typed on a Chinese keyboard.

use std::sync::LazyLock;

use super::load::{Problem, RawCondition, RawRule, Source};

/// The keys a rule accepts, as serde reports them.
static RULE_KEYS: LazyLock<Vec<String>> = LazyLock::new(accepted::<RawRule>);

/// The keys a condition accepts.
static CONDITION_KEYS: LazyLock<Vec<String>> = LazyLock::new(accepted::<RawCondition>);

/// The fields of `T`, read from serde's "unknown field `x`, expected one of ..." message.
fn accepted<T: serde::de::DeserializeOwned>() -> Vec<String> {
    match toml::from_str::<T>("zz_probe = 1") {
        Err(e) => e.message().split('`').skip(3).step_by(2).map(str::to_string).collect(),
        Ok(_) => Vec::new(),
    }
}

/// Every structural problem of `source`: a syntax error (alone: nothing after it can be
/// read), or every unknown key.
pub fn check(source: &Source) -> Vec<Problem> {
    let table = match source.text.parse::<toml::Table>() {
        Ok(table) => table,
        Err(e) => {
            let at = e.span().map_or(0, |s| s.start);
            return vec![
                source.problem(at, format!("{}{}", e.message().trim(), punctuation_hint(&source.text, at))),
            ];
        }
    };
    let mut problems = Vec::new();
    let mut cursor = 0;
    for (key, value) in &table {
        if key != "rule" {
            problems.push(unknown(source, key, &["rule".to_string()], 0));
            continue;
        }
        let Some(rules) = value.as_array() else { continue };
        for rule in rules.iter().filter_map(toml::Value::as_table) {
            cursor = source.text[cursor..].find("[[rule]]").map_or(cursor, |i| cursor + i + 1);
            check_table(source, rule, &RULE_KEYS, cursor, &mut problems);
            if let Some(when) = rule.get("when") {
                check_condition(source, when, cursor, &mut problems);
            }
        }
    }
    problems
}

fn check_condition(source: &Source, value: &toml::Value, from: usize, problems: &mut Vec<Problem>) {
    match value {
        toml::Value::Table(table) => {
            check_table(source, table, &CONDITION_KEYS, from, problems);
            for nested in ["any", "all", "not"] {
                if let Some(inner) = table.get(nested) {
                    check_condition(source, inner, from, problems);
                }
            }
        }
        toml::Value::Array(items) => {
            items.iter().for_each(|item| check_condition(source, item, from, problems))
        }
        _ => {}
    }
}

fn check_table(
    source: &Source,
    table: &toml::Table,
    known: &[String],
    from: usize,
    problems: &mut Vec<Problem>,
) {
    for key in table.keys().filter(|k| !known.contains(k)) {
        problems.push(unknown(source, key, known, from));
    }
}

/// An unknown key at the first line at or after `from` that sets it.
fn unknown(source: &Source, key: &str, known: &[String], from: usize) -> Problem {
    let at = key_position(&source.text, key, from).unwrap_or(from);
    let hint = crate::hint::did_you_mean(key, known.iter().map(String::as_str))
        .map_or_else(|| format!(" (keys: {})", known.join(", ")), |k| format!(": did you mean `{k}`?"));
    source.problem(at, format!("unknown key `{key}`{hint}"))
}

/// Where `key = ...` (or `key.` in a dotted key) is set at or after `from`: at the start of
/// a line, or in an inline table (`{ field = "text", withn = 3 }`, as rules' conditions are
/// mostly written).
fn key_position(text: &str, key: &str, from: usize) -> Option<usize> {
    let mut start = from.min(text.len());
    while let Some(i) = text[start..].find(key) {
        let at = start + i;
        let before = text[..at].trim_end_matches([' ', '\t']).chars().next_back();
        let after = text[at + key.len()..].trim_start_matches([' ', '\t']).chars().next();
        if matches!(before, None | Some('\n' | '{' | ',')) && matches!(after, Some('=' | '.')) {
            return Some(at);
        }
        start = at + key.len();
    }
    None
}

/// A hint when the text near a syntax error holds full-width punctuation, as a Chinese
/// keyboard types it.
fn punctuation_hint(text: &str, at: usize) -> String {
    const FULL_WIDTH: [(char, char); 9] = [
        ('，', ','),
        ('：', ':'),
        ('＝', '='),
        ('“', '"'),
        ('”', '"'),
        ('［', '['),
        ('］', ']'),
        ('；', ';'),
        ('　', ' '),
    ];
    let line_start = text[..at.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[line_start..].find('\n').map_or(text.len(), |i| line_start + i);
    let line = &text[line_start..line_end];
    let found: Vec<String> = FULL_WIDTH
        .iter()
        .filter(|(wide, _)| line.contains(*wide))
        .map(|(wide, ascii)| format!("`{wide}` for `{ascii}`"))
        .collect();
    if found.is_empty() {
        String::new()
    } else {
        format!(
            " (full-width punctuation from a Chinese keyboard on this line: {}; type them in ASCII)",
            found.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        let source = Source { path: "r.toml".into(), text: text.into() };
        check(&source).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn every_misspelled_key_is_reported_with_the_one_meant() {
        let p = problems(
            "[[rule]]\nid = \"a\"\npriorty = 1\ncategory = \"x\"\ntemplte = \"x\"\naction = \"answer\"\n\
             [rule.when]\nfield = \"text\"\nkeywrds = [\"x\"]\n",
        );
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(p[0].starts_with("r.toml:3:1: unknown key `priorty`: did you mean `priority`?"), "{p:?}");
        assert!(p[1].starts_with("r.toml:5:1: unknown key `templte`: did you mean `template`?"), "{p:?}");
        assert!(p[2].starts_with("r.toml:9:1: unknown key `keywrds`: did you mean `keywords`?"), "{p:?}");
    }

    #[test]
    fn a_misspelled_key_in_an_inline_condition_is_reported_at_its_line() {
        let p = problems(
            "[[rule]]\nid = \"a\"\npriority = 1\n[rule.when]\nany = [\n  { field = \"text\", keywords = [\"x\"] },\n\
             { field = \"text\", withn = 3, near = [[\"a\"], [\"b\"]] },\n]\n",
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("r.toml:7:19: unknown key `withn`: did you mean `within`?"), "{p:?}");
    }

    #[test]
    fn a_full_width_comma_gets_a_hint() {
        let p = problems("[[rule]]\nid = \"a\"\nkeywords = [\"退款\"，\"退钱\"]\n");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("`，` for `,`"), "{p:?}");
    }

    #[test]
    fn a_good_file_has_no_structural_problem() {
        assert!(problems("[[rule]]\nid = \"a\"\npriority = 1\n[rule.when]\nany = [{ field = \"text\", keywords = [\"x\"] }]\n").is_empty());
    }
}
