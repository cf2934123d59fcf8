//! Classify stage, English word forms: a keyword word ending in `+` stands for its
//! inflections (`charge+` is charge, charges, charged, charging), narrower than a trailing
//! `*`, which would also take "chargeback" and "chargeable".

/// Every form of `keyword`, whose words may end in `+` (the rest are kept as written).
pub fn expand(keyword: &str) -> Vec<String> {
    let mut forms = vec![String::new()];
    for (i, word) in keyword.split(' ').enumerate() {
        let choices = match word.strip_suffix('+') {
            Some(stem) if !stem.is_empty() => inflections(stem),
            _ => vec![word.to_string()],
        };
        forms = forms
            .iter()
            .flat_map(|f| choices.iter().map(move |c| if i == 0 { c.clone() } else { format!("{f} {c}") }))
            .collect();
    }
    forms
}

/// Whether a keyword asks for word forms.
pub fn has_forms(keyword: &str) -> bool {
    keyword.split(' ').any(|w| w.len() > 1 && w.ends_with('+'))
}

/// The word, its plural or third person, past tense and participles, and -ing form.
fn inflections(word: &str) -> Vec<String> {
    let mut out = vec![word.to_string()];
    if let Some(irregular) = IRREGULAR.iter().find(|forms| forms[0] == word) {
        out.extend(irregular[1..].iter().map(|s| s.to_string()));
    }
    let bytes = word.as_bytes();
    let last = *bytes.last().unwrap_or(&b' ');
    let vowel = |b: u8| b"aeiou".contains(&b);
    let before_last = bytes.len().checked_sub(2).map(|i| bytes[i]);
    if last == b'y' && before_last.is_some_and(|b| !vowel(b)) {
        let stem = &word[..word.len() - 1];
        out.extend([format!("{stem}ies"), format!("{stem}ied"), format!("{word}ing")]);
    } else if last == b'e' {
        let stem = &word[..word.len() - 1];
        out.extend([format!("{word}s"), format!("{word}d"), format!("{stem}ing")]);
    } else if word.ends_with('s') || word.ends_with('x') || word.ends_with("ch") || word.ends_with("sh") {
        out.extend([format!("{word}es"), format!("{word}ed"), format!("{word}ing")]);
    } else {
        // One short syllable ending consonant-vowel-consonant doubles it: stop -> stopped.
        let cvc = bytes.len() >= 3
            && !vowel(last)
            && !b"wxy".contains(&last)
            && vowel(bytes[bytes.len() - 2])
            && !vowel(bytes[bytes.len() - 3])
            && bytes.iter().filter(|b| vowel(**b)).count() == 1;
        let stem = if cvc { format!("{word}{}", last as char) } else { word.to_string() };
        out.extend([format!("{word}s"), format!("{stem}ed"), format!("{stem}ing")]);
    }
    out.dedup();
    out
}

/// Irregular verbs customers use about money and accounts: base, then the other forms.
const IRREGULAR: &[&[&str]] = &[
    &["withdraw", "withdrew", "withdrawn"],
    &["send", "sent"],
    &["get", "got", "gotten", "getting"],
    &["take", "took", "taken"],
    &["steal", "stole", "stolen"],
    &["freeze", "froze", "frozen"],
    &["forget", "forgot", "forgotten", "forgetting"],
    &["pay", "paid", "pays", "paying"],
    &["lose", "lost"],
    &["buy", "bought", "buys", "buying"],
    &["go", "went", "gone", "goes"],
    &["do", "did", "done", "does"],
    &["give", "gave", "given"],
    &["see", "saw", "seen"],
    &["put", "putting"],
    &["spend", "spent"],
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_and_irregular_forms() {
        assert_eq!(expand("charge+"), ["charge", "charges", "charged", "charging"]);
        assert_eq!(expand("stop+"), ["stop", "stops", "stopped", "stopping"]);
        assert_eq!(expand("deny+"), ["deny", "denies", "denied", "denying"]);
        assert_eq!(expand("block+"), ["block", "blocks", "blocked", "blocking"]);
        assert!(expand("withdraw+").contains(&"withdrew".to_string()));
        assert!(expand("steal+").contains(&"stolen".to_string()));
    }

    #[test]
    fn every_marked_word_of_a_phrase() {
        let forms = expand("card+ decline+");
        assert_eq!(forms.len(), 4 * 4);
        assert!(forms.contains(&"cards declined".to_string()));
        assert_eq!(expand("no mark"), ["no mark"]);
        assert!(has_forms("unblock+ my pin"));
        assert!(!has_forms("pin") && !has_forms("+"));
    }
}
