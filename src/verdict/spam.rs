//! Verdict stage, spam filters' header fields: SpamAssassin (`X-Spam-Flag`, `X-Spam-Status`)
//! and rspamd (`X-Spamd-Result`, `X-Spam`, `X-Spam-Score`), each read into a flag and a score.
//! Which fields are believed (our side of the trust boundary) is decided by the caller.

/// The header fields read here, lower-case.
pub const FIELDS: [&str; 5] = ["x-spam-flag", "x-spam-status", "x-spamd-result", "x-spam", "x-spam-score"];

/// What one filter field says.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The field, as in [`FIELDS`].
    pub field: &'static str,
    /// The filter's own yes or no, when the field gives one.
    pub flagged: Option<bool>,
    /// The score, when the field gives one.
    pub score: Option<f64>,
}

impl Reading {
    /// Whether this reading calls the mail spam: with a configured threshold, the score
    /// decides where there is one; otherwise (or without a score) the filter's own flag.
    pub fn is_spam(&self, threshold: Option<f64>) -> bool {
        match (threshold, self.score) {
            (Some(threshold), Some(score)) => score >= threshold,
            _ => self.flagged == Some(true),
        }
    }

    /// `X-Spam-Status: yes, score 7.2`, for logs and `--explain`.
    pub fn describe(&self) -> String {
        let flag = match self.flagged {
            Some(true) => "yes",
            Some(false) => "no",
            None => "no flag",
        };
        match self.score {
            Some(score) => format!("{}: {flag}, score {score}", self.field),
            None => format!("{}: {flag}", self.field),
        }
    }
}

/// Reads `value` of the field `field` (one of [`FIELDS`], lower-case).
pub fn read(field: &'static str, value: &str) -> Option<Reading> {
    let value = value.trim();
    let reading = |flagged, score| Some(Reading { field, flagged, score });
    match field {
        // `YES` / `NO`; rspamd's `X-Spam: Yes`.
        "x-spam-flag" | "x-spam" => reading(yes_no(value), None),
        // `Yes, score=7.2 required=5.0 tests=… autolearn=no`
        "x-spam-status" => {
            let first = value.split([',', ' ', '\t']).next().unwrap_or_default();
            reading(yes_no(first), number_after(value, "score="))
        }
        // `default: True [12.50 / 15.00]; SYMBOL(1.0)[…]; …`
        "x-spamd-result" => {
            let verdict = value.split_once(':').map_or(value, |(_, rest)| rest).trim_start();
            let flag = verdict.split([' ', '[']).next().unwrap_or_default();
            let score = verdict.split_once('[').and_then(|(_, rest)| leading_number(rest));
            reading(yes_no(flag), score)
        }
        // `7.2` (some write `7.2 / 15.0`)
        "x-spam-score" => reading(None, leading_number(value)).filter(|r| r.score.is_some()),
        _ => None,
    }
}

fn yes_no(word: &str) -> Option<bool> {
    match word.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" => Some(true),
        "no" | "false" => Some(false),
        _ => None,
    }
}

/// The number right after `key` (`score=7.2` → 7.2).
fn number_after(value: &str, key: &str) -> Option<f64> {
    let at = value.to_ascii_lowercase().find(key)?;
    leading_number(&value[at + key.len()..])
}

/// The number at the start of `text`, after white space (`-1.5 / 15` → -1.5).
fn leading_number(text: &str) -> Option<f64> {
    let text = text.trim_start();
    let end = text
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+'))))
        .map_or(text.len(), |(i, _)| i);
    text[..end].parse().ok().filter(|n: &f64| n.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spamassassin_status_and_flag() {
        let r =
            read("x-spam-status", "Yes, score=7.3 required=5.0 tests=BAYES_99,URIBL_BLACK\r\n\tautolearn=no")
                .unwrap();
        assert_eq!((r.flagged, r.score), (Some(true), Some(7.3)));
        assert!(r.is_spam(None));
        assert!(!r.is_spam(Some(8.0)), "a configured threshold decides over the filter's flag");
        let r = read("x-spam-status", "No, score=-0.1 required=5.0").unwrap();
        assert_eq!((r.flagged, r.score), (Some(false), Some(-0.1)));
        assert!(r.is_spam(Some(-1.0)));
        assert_eq!(read("x-spam-flag", "YES").unwrap().flagged, Some(true));
        assert_eq!(read("x-spam-flag", " no ").unwrap().flagged, Some(false));
    }

    #[test]
    fn rspamd_result_and_score() {
        let r =
            read("x-spamd-result", "default: True [12.50 / 15.00];\r\n\tBAYES_SPAM(5.10)[99.99%]").unwrap();
        assert_eq!((r.flagged, r.score), (Some(true), Some(12.5)));
        let r = read("x-spamd-result", "default: False [-1.20 / 15.00]; ARC_NA(0.00)[]").unwrap();
        assert_eq!((r.flagged, r.score), (Some(false), Some(-1.2)));
        assert_eq!(read("x-spam", "Yes").unwrap().flagged, Some(true));
        let r = read("x-spam-score", "6.4 / 15.0").unwrap();
        assert_eq!((r.flagged, r.score), (None, Some(6.4)));
        assert!(!r.is_spam(None), "a bare score says nothing without a threshold");
        assert!(r.is_spam(Some(6.0)));
        assert_eq!(read("x-spam-score", "high"), None);
    }
}
