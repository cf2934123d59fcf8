//! Parse stage, sender: the address a reply would go to, and why there is none to answer.
//!
//! Only an address that lettre accepts (RFC 5321/5322 syntax, the standard the mail is later
//! built with) is answerable. A From that is not one is replaced by the next valid address of
//! the mail: a second From address, Sender, Reply-To, the Return-Path. A From that is the null
//! address `<>` is a bounce's sender and is not replaced.

use std::str::FromStr;

use mail_parser::{Addr, HeaderValue};
use serde::Serialize;

use super::clean_line;
use super::fields::HeaderFields;

/// Why no answerable address was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SenderProblem {
    /// No From, Sender, Reply-To or Return-Path address at all.
    Missing,
    /// From is the null address `<>`, as bounces write it.
    Null,
    /// The address written (From, or a display name standing for one) is not a valid address.
    Invalid,
}

impl SenderProblem {
    /// The reason, for logs and the person who takes the ticket.
    pub fn describe(self, written: &str) -> String {
        match self {
            SenderProblem::Missing => "the mail has no sender address".into(),
            SenderProblem::Null => "the sender is the null address <>".into(),
            SenderProblem::Invalid => format!("the sender address {written:?} is not a valid address"),
        }
    }
}

/// The sender as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    /// Lower-cased; when there is a problem, what was written (or a one-word display name).
    pub address: String,
    pub name: String,
    pub problem: Option<SenderProblem>,
    /// From's own address as written (or its display name), lower-cased, when another address
    /// replaced it: the screen reads both (`MAILER-DAEMON` with a Reply-To is still a daemon).
    pub replaced: Option<String>,
}

/// Whether `address` is a syntactically valid address that a reply can be sent to.
pub fn is_valid(address: &str) -> bool {
    !address.is_empty() && lettre::Address::from_str(address).is_ok()
}

/// Finds the sender. `from` and `sender` are mail-parser's values of those fields;
/// `return_path` is the first Return-Path as written, `""` for `<>`.
pub fn find(
    from: Option<&HeaderValue<'_>>,
    sender: Option<&HeaderValue<'_>>,
    return_path: Option<&str>,
    headers: &HeaderFields,
) -> Sender {
    let first = from.and_then(HeaderValue::as_address).and_then(mail_parser::Address::first);
    let name = clean_line(first.and_then(|a| a.name()).unwrap_or_default());
    let written = first.and_then(|a| a.address()).map(|a| a.trim().to_lowercase()).unwrap_or_default();
    if is_valid(&written) {
        return Sender { address: written, name, problem: None, replaced: None };
    }
    // The rare path: every address the mail gives.
    let from_addrs: Vec<&Addr<'_>> = addresses(from);
    // `From: <>` alone is the null sender of a bounce: nothing else of the mail stands for it.
    let null = written.is_empty() && from_addrs.len() <= 1 && is_null_path(headers);
    if !null && let Some(address) = alternative(&from_addrs, sender, return_path, headers) {
        let replaced = if written.is_empty() { name.to_lowercase() } else { written };
        return Sender { address, name, problem: None, replaced: Some(replaced) };
    }
    // What was written stands for the sender, for the screen (`MAILER-DAEMON <>`) and for
    // staff: the address, or else the display name.
    let address = if written.is_empty() { name.to_lowercase() } else { written };
    let problem = if null {
        SenderProblem::Null
    } else if address.is_empty() {
        SenderProblem::Missing
    } else {
        SenderProblem::Invalid
    };
    Sender { address, name, problem: Some(problem), replaced: None }
}

/// Whether the From field holds the null path `<>` (`From: <>`, `MAILER-DAEMON <>`).
fn is_null_path(headers: &HeaderFields) -> bool {
    headers.first("from").is_some_and(|from| {
        let squeezed: String = from.chars().filter(|c| !c.is_whitespace()).collect();
        squeezed.contains("<>")
    })
}

/// The first valid address after From's first: From's others, Sender, Reply-To, Return-Path.
fn alternative(
    from_addrs: &[&Addr<'_>],
    sender: Option<&HeaderValue<'_>>,
    return_path: Option<&str>,
    headers: &HeaderFields,
) -> Option<String> {
    let valid = |a: &str| {
        let a = a.trim().to_lowercase();
        is_valid(&a).then_some(a)
    };
    from_addrs
        .iter()
        .skip(1)
        .chain(addresses(sender).iter())
        .find_map(|a| a.address().and_then(valid))
        .or_else(|| reply_to(headers).and_then(|a| valid(&a)))
        .or_else(|| return_path.and_then(valid))
}

/// The first address of Reply-To, read from the raw field only on this rare path (the parser
/// skips the field).
fn reply_to(headers: &HeaderFields) -> Option<String> {
    let value = headers.first("reply-to")?;
    let mailboxes = lettre::message::Mailboxes::from_str(&value).ok()?;
    mailboxes.iter().next().map(|m| m.email.to_string())
}

fn addresses<'m, 'x>(value: Option<&'m HeaderValue<'x>>) -> Vec<&'m Addr<'x>> {
    value.and_then(HeaderValue::as_address).map(|a| a.iter().collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lettre_decides_what_is_valid() {
        assert!(is_valid("ann@example.org") && is_valid("王@例子.中国"));
        for bad in ["", "@example.com", "@example.com>", "test test@example.com", "ann", "ann@", "a@b@c"] {
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
