//! "Did you mean": the closest known word to a misspelled one, for error messages about keys
//! and names staff type by hand (`priorty`, `categroy`).

/// The candidate closest to `word` by edit distance, when it is close enough to be a slip
/// (at most a third of the word's length, and at least one edit away).
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (distance(word, c), c))
        .filter(|(d, _)| *d > 0 && *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The hint for the "unknown field `x`, expected one of `a`, `b`" messages of serde.
pub fn for_unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (word, expected) = rest.split_once('`')?;
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    did_you_mean(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// Levenshtein distance over characters (also transposed letters count as two edits).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slips_get_the_word_meant_and_strangers_get_nothing() {
        assert_eq!(did_you_mean("priorty", ["id", "priority", "category"]), Some("priority"));
        assert_eq!(did_you_mean("categroy", ["file", "category", "action"]), Some("category"));
        assert_eq!(did_you_mean("banana", ["file", "category", "action"]), None);
        assert_eq!(did_you_mean("file", ["file"]), None, "not a slip");
        assert_eq!(
            for_unknown_field("unknown field `categroy`, expected one of `file`, `category`, `action`")
                .as_deref(),
            Some("did you mean `category`?")
        );
    }
}
