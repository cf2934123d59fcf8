//! Parse stage: raw bytes in, an [`Inbound`] out — sender, subject, the customer's new text
//! apart from quoted history, language, attachments, and how the text was decoded.
//!
//! mail-parser does the MIME work; charsets are decoded here from the transfer-decoded bytes
//! (see [`decode`]) so that mislabelled Chinese mail comes out readable, and every message
//! records which charset was used and whether anything was lost.

pub mod decode;
pub mod fields;
pub mod header;
pub mod html;
pub mod lang;
pub mod quote;
pub mod sender;

use std::borrow::Cow;
use std::sync::LazyLock;

use mail_parser::{
    Encoding, Header, HeaderName, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};
use serde::Serialize;

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
    let found = sender::find(root.from, root.sender, return_path.as_deref(), &headers);
    let body = text_body(&message);
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
                HeaderName::From => root.from = value,
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
    // Re-read from the bytes: undecodable text, single-byte labels that hide other text, ISO-2022
    // escapes left raw (`ESC $ B`), and raw 8-bit text mail-parser dropped.
    let reread = |b: &&[u8]| {
        parsed.contains('\u{FFFD}')
            || has_single_byte_encoded_word(b)
            || b.contains(&0x1b)
            || (parsed.trim().is_empty() && !b.is_ascii())
    };
    let Some(bytes) = bytes.filter(reread) else {
        return (clean_line(parsed), parsed.contains('\u{FFFD}'));
    };
    let decoded = header::decode_words(bytes, Some(body_charset));
    (clean_line(&decoded.text), decoded.lossy)
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

/// Whether `field` has an RFC 2047 encoded word labelled with a single-byte charset.
fn has_single_byte_encoded_word(field: &[u8]) -> bool {
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
        let single_byte = std::str::from_utf8(label)
            .ok()
            .and_then(decode::encoding_for_label)
            .is_some_and(|encoding| encoding.is_single_byte());
        if single_byte {
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

/// The text of the message: its text parts (or HTML parts turned into text), decoded, with
/// `\n` line endings.
///
/// mail-parser also lists inline images of a `multipart/mixed` mail among the text bodies
/// (to be shown in place, as JMAP does); they are skipped here, or their bytes would be
/// decoded as text.
///
/// Fallbacks for broken structure: an empty text part beside an HTML one gives the HTML's
/// text; a multipart whose body has no boundary lines (no parts at all) gives its raw body,
/// as text in a charset detected from it.
fn text_body(message: &Message<'_>) -> decode::Decoded {
    let out = joined_text(message, message.text_bodies());
    if !out.text.trim().is_empty() {
        return out;
    }
    let html = joined_text(message, message.html_bodies().filter(|part| part.is_text_html()));
    if !html.text.trim().is_empty() {
        return html;
    }
    raw_multipart_body(message).unwrap_or(out)
}

/// The raw body of a multipart mail that mail-parser found no part in (its boundary never
/// appears), or `None`.
fn raw_multipart_body(message: &Message<'_>) -> Option<decode::Decoded> {
    let root = message.root_part();
    let multipart = root.content_type().is_some_and(|ct| ct.ctype().eq_ignore_ascii_case("multipart"));
    if !multipart || message.parts.len() > 1 {
        return None;
    }
    let raw = message.raw_message();
    let bytes = raw.get(root.raw_body_offset() as usize..root.raw_end_offset() as usize)?;
    let mut decoded = decode::decode_text(bytes, None);
    decoded.text = decoded.text.replace("\r\n", "\n").trim().to_string();
    (!decoded.text.is_empty()).then_some(decoded)
}

/// The text of `parts` (HTML turned into text), decoded, one after the other.
fn joined_text<'m>(
    message: &'m Message<'_>,
    parts: impl Iterator<Item = &'m MessagePart<'m>>,
) -> decode::Decoded {
    let mut out = decode::Decoded { text: String::new(), charset: "us-ascii".into(), lossy: false };
    let mut charset_set = false;
    for part in parts.filter(|part| part.is_text()) {
        let decoded = decode_part(message.raw_message(), part);
        let text = if part.is_text_html() { html::to_text(&decoded.text) } else { decoded.text };
        let mut text = if text.contains('\r') { text.replace("\r\n", "\n") } else { text };
        text.truncate(text.trim_end().len());
        if out.text.is_empty() {
            out.text = text;
        } else if !text.is_empty() {
            out.text.push_str("\n\n");
            out.text.push_str(&text);
        }
        out.lossy |= decoded.lossy;
        if !charset_set {
            out.charset = decoded.charset;
            charset_set = true;
        }
    }
    out
}

fn decode_part(raw: &[u8], part: &MessagePart<'_>) -> decode::Decoded {
    let declared = part.content_type().and_then(|ct| ct.attribute("charset"));
    let mail_parser_text = || decode::Decoded {
        text: part.text_contents().unwrap_or_default().to_string(),
        charset: declared.unwrap_or("us-ascii").to_ascii_lowercase(),
        lossy: part.is_encoding_problem || part.text_contents().is_some_and(|t| t.contains('\u{FFFD}')),
    };
    if declared.is_some_and(decode::is_utf7) {
        // mail-parser reads only the `utf-7` label itself: its decoder, under every alias.
        let utf7 = mail_parser::decoders::charsets::map::charset_decoder(b"utf-7");
        return match (transfer_decoded(raw, part), utf7) {
            (Some(bytes), Some(decoder)) => {
                decode::Decoded { text: decoder(&bytes), charset: "utf-7".into(), lossy: false }
            }
            _ => mail_parser_text(),
        };
    }
    if let Some(text) = clean_utf8(part, declared) {
        return decode::Decoded { text: text.to_string(), charset: "utf-8".into(), lossy: false };
    }
    let Some(bytes) = transfer_decoded(raw, part) else { return mail_parser_text() };
    if let Some(decoded) = clean_chinese(part, declared, &bytes) {
        return decoded;
    }
    let known = declared.filter(|l| decode::encoding_for_label(l).is_some());
    decode::decode_text(&bytes, known)
}

/// mail-parser's own text of a part labelled GB2312, GBK, GB18030 or Big5, when it decoded
/// it without a problem and the bytes are not UTF-8 in disguise: it used the same decoders
/// (encoding_rs's GB18030 family and Big5, HKSCS included) that [`decode::decode_text`]
/// would, so the text is not decoded a second time.
fn clean_chinese(part: &MessagePart<'_>, declared: Option<&str>, bytes: &[u8]) -> Option<decode::Decoded> {
    // Not `decode::encoding_for_label`: only the labels mail-parser itself maps to those
    // decoders (it does not know `cp950` or `euc-cn`, say), with the charset recorded for each.
    const LABELS: &[(&str, &str)] = &[
        ("gb2312", "gb18030"),
        ("csgb2312", "gb18030"),
        ("gbk", "gb18030"),
        ("x-gbk", "gb18030"),
        ("cp936", "gb18030"),
        ("gb18030", "gb18030"),
        ("big5", "big5"),
        ("big5-hkscs", "big5"),
        ("cn-big5", "big5"),
        ("csbig5", "big5"),
    ];
    let declared = declared?;
    let &(_, charset) = LABELS.iter().find(|(label, _)| label.eq_ignore_ascii_case(declared))?;
    let text = part.text_contents()?;
    let utf8_in_disguise = !bytes.is_ascii() && std::str::from_utf8(bytes).is_ok();
    (!part.is_encoding_problem && !text.contains('\u{FFFD}') && !utf8_in_disguise).then(|| decode::Decoded {
        text: text.to_string(),
        charset: charset.into(),
        lossy: false,
    })
}

/// mail-parser's own text of a part declared UTF-8 that it decoded without a problem: the
/// common case, decoded once instead of twice. Every other label is decoded here, from
/// the bytes, because real mail lies about it.
fn clean_utf8<'a>(part: &'a MessagePart<'_>, declared: Option<&str>) -> Option<&'a str> {
    let utf8 = declared.is_some_and(|l| {
        let l = l.trim().trim_matches('"');
        l.eq_ignore_ascii_case("utf-8") || l.eq_ignore_ascii_case("utf8")
    });
    let text = part.text_contents()?;
    (utf8 && !part.is_encoding_problem && !text.contains('\u{FFFD}')).then_some(text)
}

/// The part's body bytes with the transfer encoding undone, if they are in `raw`.
fn transfer_decoded<'a>(raw: &'a [u8], part: &MessagePart<'_>) -> Option<Cow<'a, [u8]>> {
    let (start, end) = (part.raw_body_offset() as usize, part.raw_end_offset() as usize);
    let bytes = raw.get(start..end)?;
    match part.encoding {
        Encoding::None => Some(Cow::Borrowed(bytes)),
        Encoding::Base64 => mail_parser::decoders::base64::base64_decode(bytes).map(Cow::Owned),
        Encoding::QuotedPrintable => {
            mail_parser::decoders::quoted_printable::quoted_printable_decode(bytes).map(Cow::Owned)
        }
    }
}

/// The attachments with their names, types and sizes in bytes.
///
/// The size is that of the file: for text attachments mail-parser's `len()` is the length of
/// the text after charset decoding (a GBK file grows by half in UTF-8), so the transfer-decoded
/// bytes are counted instead.
fn attachments(message: &Message<'_>) -> Vec<Attachment> {
    let raw = message.raw_message();
    message
        .attachments()
        .map(|part| {
            let mime_type = mime_type(part);
            let size = match part.body {
                PartType::Text(_) | PartType::Html(_) => transfer_decoded(raw, part).map(|b| b.len()),
                _ => None,
            };
            Attachment {
                name: clean_line(&attachment_name(raw, part)),
                inline: mime_type.starts_with("image/")
                    && (part.content_id().is_some()
                        || part.content_disposition().is_some_and(|d| d.is_inline())),
                mime_type,
                size: size.unwrap_or_else(|| part.len()),
            }
        })
        .collect()
}

/// The attachment's file name; re-read from the raw `Content-Disposition` / `Content-Type`
/// when mail-parser's has U+FFFD in it (RFC 2231 segments or encoded words that split a
/// character, raw 8-bit names: see [`header`]).
fn attachment_name(raw: &[u8], part: &MessagePart<'_>) -> String {
    let parsed = part.attachment_name().unwrap_or_default();
    if !parsed.contains('\u{FFFD}') {
        return parsed.to_string();
    }
    let raw_value = |name: HeaderName<'_>| raw_value(raw, part.headers().iter().find(|h| h.name == name)?);
    raw_value(HeaderName::ContentDisposition)
        .and_then(|value| header::param(value, "filename"))
        .or_else(|| raw_value(HeaderName::ContentType).and_then(|value| header::param(value, "name")))
        .filter(|name| !name.text.is_empty())
        .map_or_else(|| parsed.to_string(), |name| name.text)
}

fn mime_type(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => {
            let subtype = ct.subtype();
            let mut mime_type = String::with_capacity(ct.ctype().len() + 1 + subtype.map_or(0, str::len));
            mime_type.push_str(ct.ctype());
            if let Some(sub) = subtype {
                mime_type.push('/');
                mime_type.push_str(sub);
            }
            mime_type.make_ascii_lowercase();
            mime_type
        }
        None => "text/plain".into(),
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
