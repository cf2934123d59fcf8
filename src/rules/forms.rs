//! Classify stage, forms of a keyword: choices in braces (`{已经|终于}解锁{了|咗}` is 已经解锁了,
//! 已经解锁咗, 终于解锁了, 终于解锁咗), and English words ending in `+` for their inflections
//! (`charge+` is charge, charges, charged, charging), narrower than a trailing `*`, which
//! would also take "chargeback" and "chargeable".

/// At most this many keywords or cues from one written with choices: the choices multiply.
pub const MAX_CHOICES: usize = 512;

/// `keyword` (or cue) with each of its choices spelt out: `{已经|终于|}收到{了|咗}` stands for 已经收到了,
/// 已经收到咗, 终于收到了, … and 收到咗 (an empty choice leaves the place empty). Settled news is
/// said with many words of time, verbs and endings; one line holds them all, and a new
/// combination needs no new line. Braces do not nest.
pub fn choices(keyword: &str) -> Result<Vec<String>, String> {
    let mut spelt = vec![String::new()];
    let mut rest = keyword;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').map(|at| open + at).ok_or("a `{` without its `}`")?;
        let choices = &rest[open + 1..close];
        if choices.contains('{') {
            return Err("choices inside choices".to_string());
        }
        if !choices.contains('|') {
            return Err("choices need a `|` between them".to_string());
        }
        let fixed = &rest[..open];
        spelt = spelt
            .iter()
            .flat_map(|head| choices.split('|').map(move |choice| format!("{head}{fixed}{choice}")))
            .collect();
        if spelt.len() > MAX_CHOICES {
            return Err(format!("more than {MAX_CHOICES} forms: split it"));
        }
        rest = &rest[close + 1..];
    }
    if rest.contains('}') {
        return Err("a `}` without its `{`".to_string());
    }
    let words = |head: String| format!("{head}{rest}").split_whitespace().collect::<Vec<_>>().join(" ");
    Ok(spelt.into_iter().map(words).filter(|form| !form.is_empty()).collect())
}

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
    fn choices_stand_for_each_combination() {
        assert_eq!(choices("{已经|}解锁{了|咗}").unwrap(), ["已经解锁了", "已经解锁咗", "解锁了", "解锁咗"]);
        assert_eq!(choices("{finally |}arrived").unwrap(), ["finally arrived", "arrived"]);
        assert_eq!(choices("refund").unwrap(), ["refund"]);
        assert!(choices("{a|b").is_err() && choices("a}").is_err() && choices("{a}").is_err());
        assert!(choices("{a|{b|c}}").is_err(), "braces do not nest");
        assert!(choices(&"{a|b|c|d|e|f|g|h}".repeat(4)).is_err(), "8^4 forms");
    }

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
