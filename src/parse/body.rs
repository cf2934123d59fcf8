//! Parse stage, the text body: the parts mail-parser lists as text joined, each decoded from
//! its transfer-decoded bytes in the charset that reads it cleanly (mislabelled Chinese mail
//! included), `format=flowed` lines joined again, files uuencoded into the text left out, the
//! text of attached messages added as forwarded mail, with the fallbacks for broken structure.

use std::borrow::Cow;

use mail_parser::{Encoding, Message, MessagePart, MimeHeaders};

use super::{decode, html};

/// How deep messages attached to attached messages are read.
const MAX_ATTACHED_DEPTH: usize = 3;

/// The text of the message: its text parts (or HTML parts turned into text), decoded, with
/// `\n` line endings, then the text of each attached message (`message/rfc822`, "forward as
/// attachment"), each under a forward separator and its `From:` and `Subject:`, so that it is
/// kept as quoted history, or read as the customer's message when they wrote nothing above it.
/// A delivery report's returned message is not added: it is the bounce reader's.
pub(super) fn text_body(message: &Message<'_>) -> decode::Decoded {
    text_body_at(message, 0)
}

fn text_body_at(message: &Message<'_>, depth: usize) -> decode::Decoded {
    let mut out = own_text(message);
    if depth < MAX_ATTACHED_DEPTH && !has_report(message) {
        for inner in message.attachments().filter_map(MessagePart::message) {
            append_attached(&mut out, inner, depth + 1);
        }
    }
    out
}

/// The message's own text, without attached messages.
///
/// mail-parser also lists inline images of a `multipart/mixed` mail among the text bodies
/// (to be shown in place, as JMAP does); they are skipped here, or their bytes would be
/// decoded as text.
///
/// Fallbacks for broken structure: an empty text part beside an HTML one gives the HTML's
/// text; a multipart whose body has no boundary lines (no parts at all) gives its raw body,
/// as text in a charset detected from it.
fn own_text(message: &Message<'_>) -> decode::Decoded {
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

/// Whether any part is a `multipart/report` (a bounce, a read receipt).
fn has_report(message: &Message<'_>) -> bool {
    message.parts.iter().any(|part| {
        part.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("multipart")
                && ct.subtype().is_some_and(|sub| sub.eq_ignore_ascii_case("report"))
        })
    })
}

/// Appends the text of an attached message, under a forward separator and its sender and
/// subject; nothing for a message without text.
fn append_attached(out: &mut decode::Decoded, inner: &Message<'_>, depth: usize) {
    let text = text_body_at(inner, depth);
    if text.text.trim().is_empty() {
        return;
    }
    if !out.text.trim().is_empty() {
        out.text.push_str("\n\n");
    }
    out.text.push_str("---------- Forwarded message ---------\n");
    if let Some(from) = inner.from().and_then(|from| from.first()) {
        let address = from.address().unwrap_or_default();
        match from.name() {
            Some(name) => out.text.push_str(&format!("From: {} <{address}>\n", super::clean_line(name))),
            None => out.text.push_str(&format!("From: {address}\n")),
        }
    }
    if let Some(subject) = inner.subject() {
        out.text.push_str(&format!("Subject: {}\n", super::clean_line(subject)));
    }
    out.text.push('\n');
    out.text.push_str(&text.text);
    out.lossy |= text.lossy;
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
        let text = match flowed(part) {
            _ if part.is_text_html() => html::to_text(&decoded.text),
            Some(delsp) => unflow(&decoded.text, delsp),
            None => decoded.text,
        };
        let text = if text.contains('\r') { text.replace("\r\n", "\n") } else { text };
        let mut text = without_uuencoded(text);
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

/// The text without the files uuencoded into it (`begin 644 name`, the data lines, `end`), as
/// Lotus Notes and old Outlook Express send attachments: their lines are no words of the
/// customer's. A block counts only when every line between `begin` and `end` is a uuencoded
/// line, so a customer's own "begin … end" stays.
fn without_uuencoded(text: String) -> String {
    // A cheap gate: the word every block starts with, at the start of a line.
    if !(text.starts_with("begin ") || text.contains("\nbegin ")) {
        return text;
    }
    let lines: Vec<&str> = text.split('\n').collect();
    let mut kept: Vec<&str> = Vec::with_capacity(lines.len());
    let mut i = 0;
    let mut found = false;
    while i < lines.len() {
        let Some(end) = uuencoded_block(&lines, i) else {
            kept.push(lines[i]);
            i += 1;
            continue;
        };
        found = true;
        i = end + 1;
        // One blank line where the block stood between two blank lines.
        if kept.last().is_some_and(|l| l.trim().is_empty())
            && lines.get(i).is_some_and(|l| l.trim().is_empty())
        {
            i += 1;
        }
    }
    if found { kept.join("\n") } else { text }
}

/// The line of the `end` of a uuencoded block that starts at line `i`, if one does.
fn uuencoded_block(lines: &[&str], i: usize) -> Option<usize> {
    let rest = lines[i].trim_end().strip_prefix("begin ")?;
    let (mode, name) = rest.split_once(' ')?;
    let octal = (3..=4).contains(&mode.len()) && mode.bytes().all(|b| (b'0'..=b'7').contains(&b));
    if !octal || name.trim().is_empty() {
        return None;
    }
    for (j, line) in lines.iter().enumerate().skip(i + 1) {
        let line = line.trim_end_matches(['\r', ' ']);
        if line == "end" {
            return (j > i + 1).then_some(j);
        }
        // The empty last line (a length of zero) may have lost its space.
        let last = line.is_empty() && lines.get(j + 1).is_some_and(|next| next.trim_end() == "end");
        if !(last || is_uuencoded_line(line)) {
            return None;
        }
    }
    None
}

/// Whether `line` is a line of uuencoded data: its first character gives the count of bytes,
/// the others encode them four characters to three bytes, all in `' '..='`'`; encoders that
/// trim the padding or add a check character are allowed for.
fn is_uuencoded_line(line: &str) -> bool {
    let bytes = line.as_bytes();
    let Some((&count, data)) = bytes.split_first() else { return false };
    if !bytes.iter().all(|b| (0x20..=0x60).contains(b)) {
        return false;
    }
    let n = usize::from((count - 0x20) & 0x3f);
    (n * 4).div_ceil(3) <= data.len() && data.len() <= n.div_ceil(3) * 4 + 1
}

/// For a part sent as `format=flowed` (RFC 3676), whether it says `delsp=yes`; `None` for
/// any other part.
fn flowed(part: &MessagePart<'_>) -> Option<bool> {
    let ct = part.content_type()?;
    let is =
        |name: &str, value: &str| ct.attribute(name).is_some_and(|v| v.trim().eq_ignore_ascii_case(value));
    is("format", "flowed").then(|| is("delsp", "yes"))
}

/// Joins the lines that a `format=flowed` sender broke: a line that ends in a space goes on in
/// the next line of the same quote depth (with `delsp=yes` that space was added by the break,
/// as Apple Mail does inside Chinese text, and is dropped). Space-stuffing is undone; quote
/// marks are kept, as `> ` before the joined line; the signature line `-- ` stays a line.
fn unflow(text: &str, delsp: bool) -> String {
    let mut lines: Vec<String> = Vec::new();
    // The quote depth of the last line, while it flows on into the next.
    let mut open = None;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let depth = line.bytes().take_while(|&b| b == b'>').count();
        let content = line[depth..].strip_prefix(' ').unwrap_or(&line[depth..]);
        let flows = content.ends_with(' ') && content != "-- ";
        let content = if flows && delsp { &content[..content.len() - 1] } else { content };
        match lines.last_mut() {
            Some(last) if open == Some(depth) => last.push_str(content),
            _ if depth > 0 => lines.push(format!("{} {content}", ">".repeat(depth))),
            _ => lines.push(content.to_string()),
        }
        open = flows.then_some(depth);
    }
    lines.join("\n")
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
    let known = declared.filter(|l| decode::is_known_label(l));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    #[test]
    fn an_inline_uuencoded_file_is_no_part_of_the_text() {
        // Lotus Notes and old Outlook Express put a file into the text itself, uuencoded.
        let raw = "From: a@x.test\r\nSubject: receipt\r\n\r\nPlease see the scan.\r\n\r\n\
                   begin 644 receipt.txt\r\n\
                   M4V-A;FYE9\"!R96-E:7!T+\"!P86=E(&]N92!O9B!T=V\\L(#,P,\"!D<&DL(&=R\r\n\
                   M97DN`0(#(&5N9\"!O9B!P86=E(&]N93L@<&%G92!T=V\\@9F]L;&]W<R!H97)E\r\n\
                   !+@``\r\n`\r\nend\r\n\r\nThanks, Ann\r\n";
        let mail = parse(raw.as_bytes()).unwrap();
        assert_eq!(mail.body, "Please see the scan.\n\nThanks, Ann");
        // A customer's own lines between a `begin` and an `end` are words, not a file.
        let raw = "From: a@x.test\r\n\r\nbegin 644 steps\r\nI tried twice\r\nend\r\n";
        assert_eq!(parse(raw.as_bytes()).unwrap().body, "begin 644 steps\nI tried twice\nend");
    }

    #[test]
    fn regression_format_flowed_lines_are_joined() {
        // Apple Mail breaks long Chinese lines with `delsp=yes`: the space before each break
        // is not the customer's, and left in it splits 无法连接 in two.
        let raw = "From: a@x\r\nContent-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\r\n\r\n\
                   耳机一直无法 \r\n连接手机。\r\n\r\n在 2026年3月2日，客服 写道：\r\n> 请先重置 \r\n> 耳机。\r\n";
        let mail = parse(raw.as_bytes()).unwrap();
        assert_eq!(mail.new_text, "耳机一直无法连接手机。");
        assert!(mail.quoted_text.contains("> 请先重置耳机。"), "{:?}", mail.quoted_text);
    }

    #[test]
    fn unflow_keeps_fixed_lines_stuffing_and_the_signature_line() {
        let text = "Dear team, my card \r\nwas charged twice.\r\n From the app.\r\n-- \r\nNora";
        assert_eq!(unflow(text, false), "Dear team, my card was charged twice.\nFrom the app.\n-- \nNora");
        // A flowed line ends where the quote depth changes.
        assert_eq!(unflow(">>old words \r\n>new words", false), ">> old words \n> new words");
    }

    #[test]
    fn regression_attached_message_text_is_read() {
        let attached = "From: Billing <billing@shop.example>\r\nSubject: Payment declined\r\n\
                        Content-Type: text/plain; charset=utf-8\r\n\r\nYour payment of 40 EUR was declined.\r\n";
        let mail = |own: &str| {
            format!(
                "From: Omar Haddad <omar@example.org>\r\nSubject: Fwd: Payment declined\r\n\
                 Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n\
                 {own}\r\n--b1\r\nContent-Type: message/rfc822\r\n\r\n{attached}\r\n--b1--\r\n"
            )
        };
        // Forwarded as an attachment with no word of their own: the attached mail is the message.
        let bare = parse(mail("").as_bytes()).unwrap();
        assert_eq!(bare.new_text, "Your payment of 40 EUR was declined.");
        assert!(bare.quoted_text.contains("From: Billing <billing@shop.example>"), "{:?}", bare.quoted_text);
        // With words of their own, the attached mail is kept as history.
        let with_words = parse(mail("Why was this declined?").as_bytes()).unwrap();
        assert_eq!(with_words.new_text, "Why was this declined?");
        assert!(with_words.quoted_text.contains("Your payment of 40 EUR was declined."));
    }

    #[test]
    fn the_returned_message_of_a_delivery_report_is_not_added() {
        let raw = "From: MAILER-DAEMON@mx.example\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n\
                   --r\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n\
                   --r\r\nContent-Type: message/rfc822\r\n\r\nFrom: a@x\r\nSubject: hello\r\n\r\nOriginal words.\r\n--r--\r\n";
        let mail = parse(raw.as_bytes()).unwrap();
        assert_eq!(mail.body, "Delivery failed.");
    }
}
