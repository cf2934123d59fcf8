//! Pipeline stage, a reply written below our own answer: Outlook's and QQ Mail's header-block
//! quotes (`-----Original Message-----`, `寄件者:`) mark where the quote begins and nothing
//! marks where it ends, so the quote splitter files everything after them as history. A
//! customer who writes below such a quote of our answer is found by the end of that answer,
//! which the outbox keeps.

use std::collections::HashSet;

use crate::parse::{self, Inbound};
use crate::store::{StoreError, Tx};

/// `inbound` with the text written below our quoted answer as its new text, when it has no
/// new text of its own and replies to a mail we sent its sender; `None` otherwise.
pub fn below_our_answer(tx: &Tx<'_>, inbound: &Inbound) -> Result<Option<Inbound>, StoreError> {
    if !inbound.new_text.trim().is_empty() || inbound.quoted_text.trim().is_empty() {
        return Ok(None);
    }
    for id in inbound.in_reply_to.iter().chain(&inbound.references) {
        let Some(raw) = tx.sent_to(id, &inbound.from_address)? else { continue };
        let Ok(ours) = parse::parse(&raw) else { continue };
        let Some((quote, below)) = split_below(&inbound.quoted_text, &ours.body) else { return Ok(None) };
        let mut found = inbound.clone();
        found.new_text = below;
        found.quoted_text = quote;
        return Ok(Some(found));
    }
    Ok(None)
}

/// `quoted` split after its last line that is a line of `ours` (the sign-off, as a rule):
/// the quote and what was written below it, when anything was.
fn split_below(quoted: &str, ours: &str) -> Option<(String, String)> {
    let our_lines: HashSet<&str> = ours.lines().map(bare).filter(|l| !l.is_empty()).collect();
    let lines: Vec<&str> = quoted.lines().collect();
    let last = lines.iter().rposition(|l| our_lines.contains(bare(l)))?;
    let below = lines[last + 1..].join("\n").trim().to_string();
    (!below.is_empty()).then(|| (lines[..=last].join("\n"), below))
}

/// A line without the quote marks and spaces around it.
fn bare(line: &str) -> &str {
    line.trim().trim_start_matches(['>', ' ']).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_below_the_last_line_of_our_answer_is_the_customers() {
        let ours = "Dear customer,\n\nRefunds depend on the merchant.\n\nKind regards,\nOKPay Support";
        let quoted = "-----Original Message-----\nFrom: OKPay Support\nSent: Tuesday\n\nDear customer,\n\n\
                      Refunds depend on the merchant.\n\nKind regards,\nOKPay Support\n\n\
                      The merchant says you have the money now.";
        let (quote, below) = split_below(quoted, ours).unwrap();
        assert_eq!(below, "The merchant says you have the money now.");
        assert!(quote.ends_with("OKPay Support"), "{quote}");
        assert_eq!(split_below("-----Original Message-----\nsomething else", ours), None, "not our answer");
        assert_eq!(split_below("> Kind regards,\n> OKPay Support\n", ours), None, "nothing written below");
    }
}
