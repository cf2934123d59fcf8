//! Parse stage: raw bytes in, an [`Inbound`] out — sender, subject, the customer's new text
//! apart from quoted history, language, attachments, and how the text was decoded.
//!
//! mail-parser does the MIME work; charsets are decoded here from the transfer-decoded bytes
//! (see [`decode`]; the text body is read in `body.rs`, attachments in `attachments.rs`) so
//! that mislabelled Chinese mail comes out readable, and every message
//! records which charset was used and whether anything was lost.

mod attachments;
mod body;
pub mod decode;
pub mod fields;
pub mod header;
pub mod html;
pub mod lang;
pub mod quote;
pub mod sender;

use std::sync::LazyLock;

use mail_parser::{Header, HeaderName, HeaderValue, Message, MessageParser};
use serde::Serialize;

use attachments::{attachments, mime_type};
use body::text_body;

pub use lang::Language;
pub use sender::SenderProblem;

/// Everything later stages need from one incoming mail.
#[derive(Debug, Clone, Serialize)]
pub struct Inbound {
    /// Sender address, lower-cased.
    pub from_address: String,
    /// Decoded display name of the sender, or empty.
    pub from_name: String,
    /// Why `from_address` cannot be answered (missing, the null `<>`, not a valid address);
    /// `None` for a valid address.
    pub sender_problem: Option<SenderProblem>,
    /// What From said (address, or display name), lower-cased, when `from_address` was taken
    /// from a second From address, Sender, Reply-To or the Return-Path instead.
    pub from_replaced: Option<String>,
    /// `Return-Path` as written: `None` when absent, `Some("")` for the null path `<>`.
    pub return_path: Option<String>,
    pub subject: String,
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// The whole text body (HTML turned into text).
    pub body: String,
    /// What the customer wrote now.
    pub new_text: String,
    /// Quoted history and signatures, kept for display.
    pub quoted_text: String,
    pub language: Language,
    pub attachments: Vec<Attachment>,
    /// The charset the body was decoded with.
    pub charset: String,
    /// True when some bytes of the subject or body could not be decoded.
    pub lossy: bool,
    /// Top-level MIME type, for example `multipart/report`.
    pub mime_type: String,
    /// Every header field, in order.
    #[serde(skip)]
    pub headers: fields::HeaderFields,
}

/// An attachment, listed (never used for classification when it is an inline image).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    pub mime_type: String,
    pub size: usize,
    pub inline: bool,
}

/// Why a mail could not be parsed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("no header could be parsed")]
    NoHeaders,
    /// Not returned by [`parse`] (a mail without a sender is read, with
    /// [`Inbound::sender_problem`] set); the reason the pipeline quarantines such a mail with
    /// when it is not machine mail.
    #[error("the mail has no sender address (From)")]
    NoSender,
}

impl Inbound {
    /// The value of the first header called `name` (case-insensitive), on one line.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.first(name)
    }

    /// The sender's domain, lower-cased.
    pub fn from_domain(&self) -> &str {
        self.from_address.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

/// mail-parser, told to read only the header fields deskmail uses: the MIME fields, the
/// subject, the sender and the message ids. Every other field (`Received`, `Date`, `List-*`,
/// DKIM signatures …) is skipped, only its position kept: [`fields::HeaderFields`] reads it
/// from the raw bytes when it is needed, which saves parsing (or copying) values nobody looks
/// at.
static PARSER: LazyLock<MessageParser> = LazyLock::new(|| {
    MessageParser::new()
        .with_mime_headers()
        .header_text(HeaderName::Subject)
        .header_address(HeaderName::From)
        .header_address(HeaderName::Sender)
        .with_message_ids()
        .default_header_ignore()
});

/// The mail-parser configuration deskmail parses with (for benchmarks).
pub fn message_parser() -> &'static MessageParser {
    &PARSER
}

/// Parses one raw mail.
pub fn parse(raw: &[u8]) -> Result<Inbound, ParseError> {
    let message = PARSER.parse(raw).ok_or(ParseError::NoHeaders)?;
    let root = RootFields::of(&message);
    let headers = fields::HeaderFields::of(&message);
    let return_path = return_path(&root, raw);
    let mut found = sender::find(root.from, root.sender, return_path.as_deref(), &headers);
    let body = text_body(&message);
    if found.name.contains('\u{FFFD}')
        && let Some(name) = display_name(&root, raw, body.charset.as_str())
        && name.matches('\u{FFFD}').count() < found.name.matches('\u{FFFD}').count()
    {
        found.name = name;
    }
    let (subject, subject_lossy) = subject(&root, raw, body.charset.as_str());
    let split = quote::split_mail(&body.text, is_forward_subject(&subject));
    let language = lang::detect_customer(&split.new_text, &subject);
    Ok(Inbound {
        from_address: found.address,
        from_name: found.name,
        sender_problem: found.problem,
        from_replaced: found.replaced,
        return_path,
        subject,
        message_id: root.message_id.and_then(HeaderValue::as_text).map(str::to_string),
        in_reply_to: id_list(root.in_reply_to),
        references: id_list(root.references),
        new_text: split.new_text,
        quoted_text: split.quoted,
        language,
        attachments: attachments(&message),
        charset: body.charset,
        lossy: body.lossy || subject_lossy,
        mime_type: mime_type(message.root_part()),
        headers,
        body: body.text,
    })
}

/// Whether a subject marks a forward: `Fwd:`, `FW:`, `WG:` (German), `TR:` (French), `RV:`
/// (Spanish), `I:` (Italian), `转发:`, `轉寄:` …
fn is_forward_subject(subject: &str) -> bool {
    let Some((prefix, _)) = subject.split_once([':', '：']) else { return false };
    let prefix = prefix.trim();
    ["fwd", "fw", "wg", "tr", "rv", "i", "enc", "doorst", "vs", "转发", "轉寄", "转寄", "轉發", "転送"]
        .iter()
        .any(|p| prefix.eq_ignore_ascii_case(p))
}

/// The top-level fields `parse` reads, found in one pass over the header (mail-parser's
/// accessors search it once for each). Like those accessors, a field written twice is read
/// by its last value, except the first `Return-Path` (see [`return_path`]) and the first
/// `Subject`'s raw bytes (see [`subject`]).
#[derive(Default)]
struct RootFields<'m, 'x> {
    from: Option<&'m HeaderValue<'x>>,
    /// The field `from` is the value of, for its raw bytes (see [`display_name`]).
    from_field: Option<&'m Header<'x>>,
    sender: Option<&'m HeaderValue<'x>>,
    subject: Option<&'m HeaderValue<'x>>,
    first_subject: Option<&'m Header<'x>>,
    message_id: Option<&'m HeaderValue<'x>>,
    in_reply_to: Option<&'m HeaderValue<'x>>,
    references: Option<&'m HeaderValue<'x>>,
    first_return_path: Option<&'m Header<'x>>,
}

impl<'m, 'x> RootFields<'m, 'x> {
    fn of(message: &'m Message<'x>) -> RootFields<'m, 'x> {
        let mut root = RootFields::default();
        for header in message.headers() {
            let value = Some(&header.value);
            match header.name {
                HeaderName::From => {
                    root.from = value;
                    root.from_field = Some(header);
                }
                HeaderName::Sender => root.sender = value,
                HeaderName::Subject => {
                    root.subject = value;
                    root.first_subject.get_or_insert(header);
                }
                HeaderName::MessageId => root.message_id = value,
                HeaderName::InReplyTo => root.in_reply_to = value,
                HeaderName::References => root.references = value,
                HeaderName::ReturnPath => {
                    root.first_return_path.get_or_insert(header);
                }
                _ => {}
            }
        }
        root
    }
}

/// The raw bytes of a header field's value.
fn raw_value<'r>(raw: &'r [u8], header: &Header<'_>) -> Option<&'r [u8]> {
    raw.get(header.offset_start() as usize..header.offset_end() as usize)
}

/// The first `Return-Path`: the delivering server puts its own on top, and one further down,
/// written by the sender, must not override a null `<>` (mail-parser reads a name's last field).
fn return_path(root: &RootFields<'_, '_>, raw: &[u8]) -> Option<String> {
    let raw = std::str::from_utf8(raw_value(raw, root.first_return_path?)?).ok()?;
    Some(raw.trim().trim_start_matches('<').trim_end_matches('>').trim().to_lowercase())
}

/// The subject, re-decoded from its raw bytes when mail-parser could not decode it or may
/// have trusted a wrong label: unlabelled 8-bit text (read in the body's charset, or as
/// detected), encoded words that split a character between them, and encoded words labelled
/// with a single-byte charset, in which any bytes decode "cleanly" (UTF-8 or GBK sent as
/// `=?iso-8859-1?…?=` would come out as `Ã©` or `ÄúºÃ`; see [`header`]).
fn subject(root: &RootFields<'_, '_>, raw: &[u8], body_charset: &str) -> (String, bool) {
    let parsed = root.subject.and_then(HeaderValue::as_text).unwrap_or_default();
    // mail-parser drops a field whose raw 8-bit text is not UTF-8 (a Shift_JIS subject).
    let bytes = root.first_subject.and_then(|f| raw_value(raw, f)).filter(|b| !b.trim_ascii().is_empty());
    let bytes = bytes.or_else(|| parsed.is_empty().then(|| raw_header_field(raw, b"subject")).flatten());
    let hz_body = decode::is_hz(body_charset);
    // Re-read from the bytes: undecodable text, labels that hide other text or that mail-parser
    // reads otherwise, ISO-2022 escapes left raw (`ESC $ B`), raw HZ text under an HZ body, and
    // a subject mail-parser dropped (raw 8-bit text, an encoded word it could not decode).
    let reread = |b: &&[u8]| {
        parsed.contains('\u{FFFD}')
            || has_untrusted_encoded_word(b)
            || b.contains(&0x1b)
            || (hz_body && b.windows(2).any(|pair| pair == b"~{"))
            || parsed.trim().is_empty()
    };
    let Some(bytes) = bytes.filter(reread) else {
        return (clean_line(parsed), parsed.contains('\u{FFFD}'));
    };
    let decoded = header::decode_words(bytes, header_fallback(body_charset));
    (clean_line(&decoded.text), decoded.lossy)
}

/// The sender's display name re-read from the raw `From` field, for a name mail-parser left
/// U+FFFD in: raw 8-bit text in the sender's own charset (old Foxmail and Eudora write GBK or
/// Latin-1 there as in the subject), read like the subject, in the body's charset. The name
/// stands before the `<` of the address, or in the comment of `address (Name)`.
fn display_name(root: &RootFields<'_, '_>, raw: &[u8], body_charset: &str) -> Option<String> {
    let value = raw_value(raw, root.from_field?)?;
    let name = match value.iter().position(|&b| b == b'<') {
        Some(lt) => &value[..lt],
        None => {
            let open = value.iter().position(|&b| b == b'(')?;
            let close = value.iter().rposition(|&b| b == b')').filter(|&close| close > open)?;
            &value[open + 1..close]
        }
    };
    let name = name.trim_ascii();
    let name = name.strip_prefix(b"\"").and_then(|n| n.strip_suffix(b"\"")).unwrap_or(name);
    let name = clean_line(&header::decode_words(name, header_fallback(body_charset)).text);
    (!name.is_empty()).then_some(name)
}

/// The charset to read raw header text in: the body's, unless that is UTF-16, which would pair
/// up the ASCII around encoded words into other characters.
fn header_fallback(body_charset: &str) -> Option<&str> {
    let utf16 = decode::encoding_for_label(body_charset)
        .is_some_and(|e| e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE);
    (!utf16).then_some(body_charset)
}

/// The raw value of the first header field called `name` (lower-case), unfolded lines and all,
/// read from the bytes: for fields mail-parser dropped.
fn raw_header_field<'r>(raw: &'r [u8], name: &[u8]) -> Option<&'r [u8]> {
    let mut start = 0;
    while start < raw.len() {
        let end = raw[start..].iter().position(|&b| b == b'\n').map_or(raw.len(), |i| start + i + 1);
        let line = &raw[start..end];
        if line.trim_ascii().is_empty() {
            return None;
        }
        let is_field = line.get(..name.len()).is_some_and(|n| n.eq_ignore_ascii_case(name))
            && line.get(name.len()) == Some(&b':');
        if is_field {
            let mut value_end = end;
            while matches!(raw.get(value_end), Some(b' ' | b'\t')) {
                value_end = raw[value_end..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(raw.len(), |i| value_end + i + 1);
            }
            return Some(&raw[start + name.len() + 1..value_end]);
        }
        start = end;
    }
    None
}

/// Whether `field` has an RFC 2047 encoded word labelled with a single-byte charset, or with
/// one that mail-parser does not read as [`decode`] does (UTF-16 in either byte order, HZ).
fn has_untrusted_encoded_word(field: &[u8]) -> bool {
    let mut rest = field;
    while let Some(at) = rest.iter().position(|&b| b == b'=') {
        rest = &rest[at + 1..];
        let Some(after) = rest.strip_prefix(b"?") else { continue };
        let label = after.split(|&b| b == b'?').next().unwrap_or_default();
        // The labels of nearly every encoded word: multi-byte, no lookup needed.
        if [&b"utf-8"[..], b"gb2312", b"gbk", b"gb18030", b"big5"]
            .iter()
            .any(|l| label.eq_ignore_ascii_case(l))
        {
            continue;
        }
        let Ok(label) = std::str::from_utf8(label) else { continue };
        let untrusted = decode::encoding_for_label(label).is_some_and(|encoding| {
            encoding.is_single_byte()
                || encoding == encoding_rs::UTF_16LE
                || encoding == encoding_rs::UTF_16BE
        });
        if untrusted || decode::is_hz(label) {
            return true;
        }
    }
    false
}

/// One line of display text: folded whitespace, no control characters.
pub fn clean_line(text: &str) -> String {
    let mut line = String::with_capacity(text.len());
    let mut word_start = None;
    let mut i = 0;
    while i < text.len() {
        let blank = blank_len_at(text, i);
        if blank == 0 {
            word_start.get_or_insert(i);
            i += 1;
            continue;
        }
        if let Some(start) = word_start.take() {
            push_word(&mut line, &text[start..i]);
        }
        i += blank;
    }
    if let Some(start) = word_start {
        push_word(&mut line, &text[start..]);
    }
    line
}

fn push_word(line: &mut String, word: &str) {
    if !line.is_empty() {
        line.push(' ');
    }
    line.push_str(word);
}

/// The length in bytes of the whitespace or control character at byte `i` of `text`, or 0.
/// Read byte by byte: beyond ASCII, only characters whose UTF-8 starts with 0xC2 or
/// 0xE1..=0xE3 (C1 controls, no-break and ideographic spaces …) can be blank.
fn blank_len_at(text: &str, i: usize) -> usize {
    match text.as_bytes()[i] {
        0..=0x20 | 0x7f => 1,
        0xc2 | 0xe1..=0xe3 => {
            text[i..].chars().next().filter(|c| c.is_whitespace() || c.is_control()).map_or(0, char::len_utf8)
        }
        _ => 0,
    }
}

fn id_list(value: Option<&HeaderValue<'_>>) -> Vec<String> {
    match value.unwrap_or(&HeaderValue::Empty) {
        HeaderValue::Text(id) => vec![id.to_string()],
        HeaderValue::TextList(ids) => ids.iter().map(|id| id.to_string()).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_english_mail() {
        let raw = b"From: Ann Lee <Ann@Example.org>\r\nSubject: Forgot password\r\nMessage-ID: <a@x>\r\n\r\nI forgot my password.\r\n";
        let mail = parse(raw).unwrap();
        assert_eq!(mail.from_address, "ann@example.org");
        assert_eq!(mail.from_name, "Ann Lee");
        assert_eq!(mail.subject, "Forgot password");
        assert_eq!(mail.message_id.as_deref(), Some("a@x"));
        assert_eq!(mail.language, Language::En);
        assert_eq!(mail.from_domain(), "example.org");
    }

    #[test]
    fn missing_sender_is_read_with_its_problem() {
        let mail = parse(b"Subject: x\r\n\r\nbody").unwrap();
        assert_eq!((mail.from_address.as_str(), mail.sender_problem), ("", Some(SenderProblem::Missing)));
    }

    #[test]
    fn references_and_in_reply_to() {
        let raw = b"From: a@x\r\nIn-Reply-To: <p@x>\r\nReferences: <o@x> <p@x>\r\n\r\nhi";
        let mail = parse(raw).unwrap();
        assert_eq!(mail.in_reply_to, vec!["p@x"]);
        assert_eq!(mail.references, vec!["o@x", "p@x"]);
    }

    #[test]
    fn empty_from_address_falls_back_to_the_display_name() {
        let mail = parse(b"From: MAILER-DAEMON <>\r\nSubject: x\r\n\r\nhi").unwrap();
        assert_eq!(mail.from_address, "mailer-daemon");
    }

    #[test]
    fn regression_encoded_words_under_a_wrong_single_byte_label_are_read_by_their_bytes() {
        // UTF-8 and GBK bytes, each labelled ISO-8859-1: both decode "cleanly" as Latin-1.
        let utf8 = "=?iso-8859-1?B?6YCA5qy+6L+Y5rKh5Yiw?=";
        let mail = parse(format!("From: a@x\r\nSubject: {utf8}\r\n\r\nhi").as_bytes()).unwrap();
        assert_eq!(mail.subject, "退款还没到");
        let gbk = "=?ISO-8859-1?B?ztK1xNXLu6exu8v4tqg=?=";
        let mail = parse(format!("From: a@x\r\nSubject: {gbk}\r\n\r\nhi").as_bytes()).unwrap();
        assert_eq!(mail.subject, "我的账户被锁定");
        let latin1 = "=?iso-8859-1?Q?Gr=FC=DFe_aus_M=FCnchen?=";
        let mail = parse(format!("From: a@x\r\nSubject: {latin1}\r\n\r\nhi").as_bytes()).unwrap();
        assert_eq!(mail.subject, "Grüße aus München");
        assert!(!mail.lossy);
    }

    #[test]
    fn regression_subject_mail_parser_dropped_is_read_from_its_bytes() {
        // An encoded word without its base64 padding: mail-parser gives an empty subject.
        let mail = parse(b"From: a@x\r\nSubject: =?big5?B?sGg?=\r\n\r\nhi").unwrap();
        assert_eq!(mail.subject, "退");
    }

    #[test]
    fn regression_raw_hz_subject_under_an_hz_body() {
        // MAPI clients on Chinese Windows write the subject in HZ too, unlabelled: 退款 and 订单.
        let hz = |text: &str| -> Vec<u8> {
            let (gb, _, _) = encoding_rs::GB18030.encode(text);
            [&b"~{"[..], &gb.iter().map(|b| b - 0x80).collect::<Vec<u8>>(), b"~}"].concat()
        };
        let raw = [
            &b"From: a@x\r\nSubject: Re: "[..],
            &hz("退款"),
            b"\r\nContent-Type: text/plain; charset=\"HZ-GB-2312\"\r\n\r\n",
            &hz("订单"),
            b" 42\r\n",
        ]
        .concat();
        let mail = parse(&raw).unwrap();
        assert_eq!((mail.subject.as_str(), mail.body.as_str()), ("Re: 退款", "订单 42"));
        assert_eq!(
            (mail.charset.as_str(), mail.language, mail.lossy),
            ("hz-gb-2312", Language::ZhHans, false)
        );
    }

    #[test]
    fn regression_utf16_encoded_word_is_read_in_its_byte_order() {
        // `UnicodeBig` (Java's UTF-16 with a byte order mark): mail-parser read it as Latin-1.
        let mail = parse(b"From: a@x\r\nSubject: =?UnicodeBig?B?/v8AUgBlADoAIIuiU1U=?=\r\n\r\nhi").unwrap();
        assert_eq!(mail.subject, "Re: 订单");
    }

    #[test]
    fn regression_raw_8bit_display_name_is_read_like_the_subject() {
        // Old clients write the sender's name as raw 8-bit text in their own charset, as they
        // do the subject: mail-parser reads it as UTF-8 and leaves U+FFFD for every character.
        let gbk = |text: &str| encoding_rs::GBK.encode(text).0.into_owned();
        let raw = [
            &b"From: "[..],
            &gbk("王小明"),
            b" <wang@x.test>\r\nSubject: ",
            &gbk("退款"),
            b"\r\nContent-Type: text/plain; charset=gbk\r\n\r\n",
            &gbk("我的退款还没到账。"),
            b"\r\n",
        ]
        .concat();
        let mail = parse(&raw).unwrap();
        assert_eq!((mail.from_name.as_str(), mail.subject.as_str()), ("王小明", "退款"));
        assert_eq!(mail.from_address, "wang@x.test");
        // The comment form, `address (Name)`, in GBK too.
        let raw = [
            &b"From: li@x.test ("[..],
            &gbk("李四"),
            b")\r\nContent-Type: text/plain; charset=gb2312\r\n\r\n",
            &gbk("你好"),
            b"\r\n",
        ]
        .concat();
        assert_eq!(parse(&raw).unwrap().from_name, "李四");
        // Latin-1 under no label at all, a quoted name: read as the unlabelled body is.
        let raw =
            b"From: \"Jos\xe9 Ruiz\" <jose@x.test>\r\nSubject: hi\r\n\r\nOl\xe1, my card \xe9 blocked\r\n";
        let mail = parse(raw).unwrap();
        assert_eq!((mail.from_name.as_str(), mail.from_address.as_str()), ("José Ruiz", "jose@x.test"));
    }

    #[test]
    fn null_return_path() {
        let mail = parse(b"Return-Path: <>\r\nFrom: a@x\r\n\r\nhi").unwrap();
        assert_eq!(mail.return_path.as_deref(), Some(""));
    }

    /// Found by the `screen` fuzz target (fuzz/regressions/screen/): a bounce with the
    /// server's `Return-Path: <>` on top and the original's Return-Path below was read by the
    /// last one, so the screen saw no null path and took the bounce for a person's mail.
    #[test]
    fn regression_first_return_path_decides() {
        let raw = b"Return-Path: <>\r\nReturn-Path: <MAILER-DAEMON@x.test>\r\nFrom: a@x\r\n\r\nhi";
        assert_eq!(parse(raw).unwrap().return_path.as_deref(), Some(""));
        let raw = b"Return-Path: <b@y>\r\nFrom: a@x\r\nReturn-Path: <>\r\n\r\nhi";
        assert_eq!(parse(raw).unwrap().return_path.as_deref(), Some("b@y"));
    }
}
