//! Parse stage, attachments: each part that is not the text body, by name and MIME type.

use mail_parser::{HeaderName, Message, MessagePart, MimeHeaders, PartType};

use super::body::transfer_decoded;
use super::{Attachment, clean_line, header, raw_value};

/// The attachments with their names, types and sizes in bytes.
///
/// The size is that of the file: for text attachments mail-parser's `len()` is the length of
/// the text after charset decoding (a GBK file grows by half in UTF-8), so the transfer-decoded
/// bytes are counted instead.
pub(super) fn attachments(message: &Message<'_>) -> Vec<Attachment> {
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

pub(super) fn mime_type(part: &MessagePart<'_>) -> String {
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
