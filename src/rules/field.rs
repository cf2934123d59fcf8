//! Classify stage, fields: the parts of a mail a rule can look at, each read as text values.

use std::borrow::Cow;

use super::reading::{plain, push_plain};
use crate::parse::Inbound;
use crate::screen::Verdict;

/// A part of the mail that a condition looks at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Subject,
    /// The customer's new words (quoted history and signature removed).
    NewText,
    QuotedText,
    /// The whole text body.
    Body,
    /// What the customer is saying now: the new text, and the subject unless it is a reply
    /// subject (`Re: …` names the thread's old topic, not the new question).
    Text,
    From,
    FromDomain,
    Header(String),
    Language,
    AttachmentName,
    AttachmentType,
    /// The screen's verdict: `no`, or the kind (`auto-reply`, `bounce`, `list`, `own`, `no-reply`).
    Automated,
}

impl Field {
    /// Parses a field name as written in a rule (`subject`, `header:X-Mailer` …).
    pub fn parse(name: &str) -> Option<Field> {
        if let Some(header) = name.strip_prefix("header:") {
            return (!header.is_empty()).then(|| Field::Header(header.to_ascii_lowercase()));
        }
        Some(match name {
            "subject" => Field::Subject,
            "new_text" => Field::NewText,
            "quoted_text" => Field::QuotedText,
            "body" => Field::Body,
            "text" => Field::Text,
            "from" => Field::From,
            "from_domain" => Field::FromDomain,
            "language" => Field::Language,
            "attachment_name" => Field::AttachmentName,
            "attachment_type" => Field::AttachmentType,
            "automated" => Field::Automated,
            _ => return None,
        })
    }

    /// The field's name as written in rules.
    pub fn name(&self) -> String {
        match self {
            Field::Header(h) => format!("header:{h}"),
            other => format!("{other:?}")
                .chars()
                .enumerate()
                .flat_map(|(i, c)| {
                    let lower = c.to_ascii_lowercase();
                    if c.is_ascii_uppercase() && i > 0 { vec!['_', lower] } else { vec![lower] }
                })
                .collect(),
        }
    }

    /// The field's values in `mail` (one for most fields, one per attachment or header),
    /// borrowed from it where they can be.
    pub fn values<'a>(&self, mail: &'a Inbound, verdict: &Verdict) -> Values<'a> {
        let one = |s: &'a str| Values::One(Cow::Borrowed(s));
        let written = |s: &'a str| Values::One(plain(Cow::Borrowed(s)));
        match self {
            Field::Subject => written(&mail.subject),
            Field::NewText => written(&mail.new_text),
            Field::QuotedText => written(&mail.quoted_text),
            Field::Body => written(&mail.body),
            Field::Text if is_reply_subject(&mail.subject) || repeats_new_text(mail) => {
                written(&mail.new_text)
            }
            Field::Text => Values::One(Cow::Owned(subject_and_new_text(mail))),
            Field::From => one(&mail.from_address),
            Field::FromDomain => one(mail.from_domain()),
            Field::Header(name) => Values::Many(mail.headers.values(name).map(Cow::Owned).collect()),
            Field::Language => one(mail.language.tag()),
            Field::AttachmentName => {
                Values::Many(visible_attachments(mail).map(|a| Cow::Borrowed(a.name.as_str())).collect())
            }
            Field::AttachmentType => {
                Values::Many(visible_attachments(mail).map(|a| Cow::Borrowed(a.mime_type.as_str())).collect())
            }
            Field::Automated => one(verdict.automated.map_or("no", |k| k.as_str())),
        }
    }
}

/// A field's values in one mail: one for most fields (kept without a vector), any number
/// for headers and attachments.
pub enum Values<'a> {
    One(Cow<'a, str>),
    Many(Vec<Cow<'a, str>>),
}

impl<'a> std::ops::Deref for Values<'a> {
    type Target = [Cow<'a, str>];

    fn deref(&self) -> &[Cow<'a, str>] {
        match self {
            Values::One(value) => std::slice::from_ref(value),
            Values::Many(values) => values,
        }
    }
}

impl std::ops::DerefMut for Values<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            Values::One(value) => std::slice::from_mut(value),
            Values::Many(values) => values,
        }
    }
}

thread_local! {
    /// A value given back once read ([`give_back`]), to be written over by the next mail's:
    /// most mails have a subject, and their `text` was a heap allocation and free a mail.
    static SPARE: std::cell::Cell<String> = const { std::cell::Cell::new(String::new()) };
}

/// Values longer than this are not kept for the next mail: a long one would hold its
/// memory on the thread for good.
const SPARE_CAPACITY: usize = 16 * 1024;

/// Gives a value that was read back, for the next mail's `text` to be written in.
pub(super) fn give_back(value: Cow<'_, str>) {
    if let Cow::Owned(value) = value
        && value.capacity() <= SPARE_CAPACITY
    {
        SPARE.set(value);
    }
}

/// The subject and the new text as one value, a line apart, each read as [`plain`] reads it.
fn subject_and_new_text(mail: &Inbound) -> String {
    let mut text = SPARE.take();
    text.clear();
    text.reserve(mail.subject.len() + 1 + mail.new_text.len());
    push_plain(&mut text, &mail.subject);
    text.push('\n');
    push_plain(&mut text, &mail.new_text);
    text
}

/// A subject that is the first words of the new text, cut short (`付款成功了但是没有收到任何通…`,
/// as phone mail clients make one): it says nothing the text does not, and its cut end must
/// not read as words of their own (没有收到 without the 通知 that followed it).
fn repeats_new_text(mail: &Inbound) -> bool {
    let subject = mail.subject.trim();
    let Some(start) = ["…", "...", "⋯"].iter().find_map(|cut| subject.strip_suffix(cut)) else {
        return false;
    };
    let start = start.trim_end();
    !start.is_empty() && contains(&mail.new_text, start)
}

/// Whether `text` contains `part`, tried only where `part`'s first byte is: one pass of
/// `memchr`, where `str::contains` first prepares a two-way search (about 350 instructions a
/// mail, for a subject and a text of a few dozen bytes) and `memchr::memmem::find` does too
/// (banking77 held-out, classifying 3,000 mails: 32.96 M instructions with this, 35.34 M with
/// `memmem`).
fn contains(text: &str, part: &str) -> bool {
    let (text, part) = (text.as_bytes(), part.as_bytes());
    memchr::memchr_iter(part[0], text).any(|at| text[at..].starts_with(part))
}

/// `Re: …`, `回复: …` and the like.
pub fn is_reply_subject(subject: &str) -> bool {
    static REPLY: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?i)^\s*(re|aw|sv|antw|回复|回覆|回復|答复|答覆)\s*(\[\d+\])?\s*[:：]")
            .expect("reply regex")
    });
    // Every prefix above starts with one of these and is followed by a colon: most subjects
    // are ruled out without the cost of a regex search (about 300 instructions even where
    // it fails at once, a fortieth of classifying a mail), which is paid on every mail.
    let first = subject.trim_start().chars().next().map(|c| c.to_ascii_lowercase());
    matches!(first, Some('r' | 'a' | 's' | '回' | '答'))
        && (subject.contains(':') || subject.contains('：'))
        && REPLY.is_match(subject)
}

fn visible_attachments(mail: &Inbound) -> impl Iterator<Item = &crate::parse::Attachment> {
    mail.attachments.iter().filter(|a| !a.inline)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_subjects() {
        assert!(is_reply_subject("Re: 忘记登录密码 [#1043]"));
        assert!(is_reply_subject("回复：退款"));
        assert!(!is_reply_subject("Refund"));
        assert!(!is_reply_subject("Re fund: late") && !is_reply_subject("Support request"));
        assert!(is_reply_subject("RE：x") && is_reply_subject("Re [12] : x"));
        for prefix in ["re", "AW", "Sv", "antw", "回复", "回覆", "回復", "答复", "答覆"] {
            assert!(is_reply_subject(&format!(" {prefix}: x")), "{prefix}");
            assert!(is_reply_subject(&format!("{prefix} [2]：x")), "{prefix}");
        }
    }

    /// A customer's mail of `subject` and `body`, and its screen's verdict.
    fn mail(subject: &str, body: &str) -> (Inbound, Verdict) {
        let raw = format!("From: a@customer.test\r\nSubject: {subject}\r\n\r\n{body}\r\n");
        let mail = crate::parse::parse(raw.as_bytes()).unwrap();
        let verdict = crate::screen::screen(&mail, &[]);
        (mail, verdict)
    }

    #[test]
    fn text_written_over_a_value_given_back_is_the_mails_own() {
        let text_of = |subject: &str, body: &str| {
            let (mail, verdict) = mail(subject, body);
            let Values::One(text) = Field::Text.values(&mail, &verdict) else { panic!("one value") };
            (text.clone().into_owned(), text.into_owned())
        };
        let (first, kept) = text_of("A long first subject", "and a long first body");
        give_back(Cow::Owned(kept));
        let (second, _) = text_of("Refund", "please");
        assert!(first.starts_with("A long first subject\n"), "{first}");
        assert_eq!(second.lines().next(), Some("Refund"));
        assert!(!second.contains("first"), "{second}");
    }

    #[test]
    fn a_subject_cut_from_the_first_words_is_not_read_twice() {
        let text_of = |subject: &str, body: &str| {
            let (mail, verdict) = mail(subject, body);
            Field::Text.values(&mail, &verdict)[0].to_string()
        };
        let body = "付款成功了但是没有收到任何通知和电子回单";
        assert_eq!(text_of("付款成功了但是没有收到任何通…", body), body);
        assert_eq!(
            text_of("I paid but the receipt never...", "I paid but the receipt never came"),
            "I paid but the receipt never came"
        );
        // A subject of its own, or cut from words the text does not have, is read with the text.
        assert_eq!(
            text_of("Receipt", "I paid but the receipt never came"),
            "Receipt\nI paid but the receipt never came"
        );
        assert_eq!(text_of("退款没到…", body), format!("退款没到…\n{body}"));
        assert_eq!(text_of("…", body), format!("…\n{body}"));
    }

    #[test]
    fn a_rule_reads_a_full_width_or_curly_word_as_typed_in_ascii() {
        let (mail, verdict) = mail("ＡＴＭ", "I have tried all morning and I still can’t\r\nlog in");
        let read = "I have tried all morning and I still can't log in";
        assert_eq!(
            Field::Text.values(&mail, &verdict)[0],
            format!("ATM\n{read}"),
            "the subject stays a line of its own"
        );
        assert_eq!(&*Field::Subject.values(&mail, &verdict)[0], "ATM");
        assert_eq!(&*Field::NewText.values(&mail, &verdict)[0], read);
    }

    #[test]
    fn names_round_trip() {
        for name in
            ["subject", "new_text", "quoted_text", "from_domain", "attachment_type", "header:x-mailer"]
        {
            assert_eq!(Field::parse(name).unwrap().name(), name);
        }
        assert_eq!(Field::parse("nope"), None);
    }
}
