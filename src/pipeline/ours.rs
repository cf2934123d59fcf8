//! Pipeline stage, a reply written below our own answer: Outlook's and QQ Mail's header-block
//! quotes (`-----Original Message-----`, `寄件者:`) mark where the quote begins and nothing
//! marks where it ends, so the quote splitter files everything after them as history. A
//! customer who writes below such a quote of our answer is found by the end of that answer,
//! which the outbox keeps.

use std::collections::HashSet;

use crate::parse::{self, Inbound};
use crate::store::{StoreError, Tx};

/// `inbound` with the text written into or below our quoted answer added to its new text, when
/// it replies to a mail we sent its sender and its quote holds such text; `None` otherwise.
/// Above the quote the customer may have written only "see my answers below".
pub fn below_our_answer(tx: &Tx<'_>, inbound: &Inbound) -> Result<Option<Inbound>, StoreError> {
    if inbound.quoted_text.trim().is_empty() {
        return Ok(None);
    }
    for id in inbound.in_reply_to.iter().chain(&inbound.references) {
        let Some(raw) = tx.sent_to(id, &inbound.from_address)? else { continue };
        let Ok(ours) = parse::parse(&raw) else { continue };
        let Some(Written { quote, written }) = written_into(&inbound.quoted_text, &ours.body) else {
            return Ok(None);
        };
        let mut found = inbound.clone();
        // What stands above the quote alone: the splitter's new text may hold the whole quote
        // (answers announced inside it) or a postscript below it, which `written` has already.
        let above = parse::quote::written_above_quote(&inbound.body);
        found.new_text = match above.trim() {
            "" => written,
            above => format!("{above}\n\n{written}"),
        };
        found.quoted_text = quote;
        return Ok(Some(found));
    }
    Ok(None)
}

/// A quote of our answer split into what the customer wrote into it and the rest.
#[derive(Debug, PartialEq)]
struct Written {
    quote: String,
    written: String,
}

/// What the customer wrote into `quoted`, a quote of our answer `ours`: the lines between its
/// first and last line of ours that our answer does not hold (answers typed between our
/// questions, "in red" in Outlook), and everything below its last line of ours (the sign-off,
/// as a rule). A line of ours that the customer's client wrapped differently is still ours: it
/// is looked for in our whole text, not line by line.
fn written_into(quoted: &str, ours: &str) -> Option<Written> {
    let our_lines: HashSet<&str> = ours.lines().map(bare).filter(|l| !l.is_empty()).collect();
    let our_text = collapsed(ours);
    let lines: Vec<&str> = quoted.lines().collect();
    let first = lines.iter().position(|l| our_lines.contains(bare(l)))?;
    let last = lines.iter().rposition(|l| our_lines.contains(bare(l)))?;
    let theirs = |l: &str| {
        let line = bare(l);
        let words = collapsed(&without_link_targets(line));
        !words.is_empty() && !our_lines.contains(line) && !our_text.contains(&words)
    };
    let (mut quote, mut written) = (Vec::new(), Vec::new());
    for (j, line) in lines.iter().enumerate() {
        let customers = j > last || (j > first && theirs(line));
        if customers { written.push(*line) } else { quote.push(*line) }
    }
    let written = written.join("\n").trim().to_string();
    (!written.is_empty()).then(|| Written { quote: quote.join("\n").trim_end().to_string(), written })
}

/// `line` without what a client adds to the links and images of an HTML mail it quotes as
/// text: `www.example.test<https://www.example.test>`, `<mailto:…>`, `[cid:image001.png]`.
fn without_link_targets(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find(['<', '[']) {
        let after = &rest[start + 1..];
        let target = ["http://", "https://", "mailto:", "cid:"].iter().any(|p| after.starts_with(p));
        let close = if rest[start..].starts_with('<') { '>' } else { ']' };
        match after.find(close).filter(|_| target) {
            Some(end) => {
                out.push_str(&rest[..start]);
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[..=start]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `text` with its runs of whitespace as single spaces.
fn collapsed(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
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
        let split = written_into(quoted, ours).unwrap();
        assert_eq!(split.written, "The merchant says you have the money now.");
        assert!(split.quote.ends_with("OKPay Support"), "{}", split.quote);
        assert!(
            split.quote.starts_with("-----Original Message-----\nFrom: OKPay Support"),
            "the header stays quoted"
        );
        assert_eq!(written_into("-----Original Message-----\nsomething else", ours), None, "not our answer");
        assert_eq!(written_into("> Kind regards,\n> OKPay Support\n", ours), None, "nothing written into it");
    }

    #[test]
    fn answers_typed_between_the_lines_of_our_answer_are_the_customers() {
        let ours = "Dear customer,\n\nPlease tell us:\n1. Your address\n2. Your occupation and the purpose of the \
                    payments you expect\n\nKind regards,\nOKPay Support";
        // The customer's client wrapped our long line differently: it stays ours.
        let quoted = "From: OKPay Support\nSent: Monday\n\nDear customer,\n\nPlease tell us:\n1. Your address\n\n\
                      14 Elm Grove, Cork\n\n2. Your occupation and the purpose\nof the payments you expect\n\n\
                      Electrician, paying suppliers\n\nKind regards,\nOKPay Support";
        let split = written_into(quoted, ours).unwrap();
        assert_eq!(split.written, "14 Elm Grove, Cork\nElectrician, paying suppliers");
        assert!(!split.quote.contains("Elm Grove") && split.quote.contains("of the payments you expect"));
    }

    #[test]
    fn a_link_or_an_image_the_customers_client_spelt_out_stays_ours() {
        let ours = "Dear customer,\nSee www.okpay.example/help for the fees.\nKind regards,\nOKPay Support";
        let quoted = "Dear customer,\nSee www.okpay.example/help<https://www.okpay.example/help> for the fees.\n\
                      [cid:image001.png]\nKind regards,\nOKPay Support";
        assert_eq!(written_into(quoted, ours), None);
        assert_eq!(without_link_targets("a <b> [c] x<mailto:s@x>y"), "a <b> [c] xy");
    }
}
