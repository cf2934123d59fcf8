//! Parse stage, the text body: the parts mail-parser lists as text joined, each decoded from
//! its transfer-decoded bytes in the charset that reads it cleanly (mislabelled Chinese mail
//! included), with the fallbacks for broken structure.

use std::borrow::Cow;

use mail_parser::{Encoding, Message, MessagePart, MimeHeaders};

use super::{decode, html};

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
pub(super) fn text_body(message: &Message<'_>) -> decode::Decoded {
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
pub(super) fn transfer_decoded<'a>(raw: &'a [u8], part: &MessagePart<'_>) -> Option<Cow<'a, [u8]>> {
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
