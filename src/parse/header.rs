//! Parse stage, header text that mail-parser decodes piece by piece and so gets wrong.
//!
//! mail-parser decodes each RFC 2047 encoded word, and each RFC 2231 parameter segment, on its
//! own. Senders split long Chinese subjects and file names wherever the line is full, which
//! can be in the middle of a character (`=?GBK?B?1cu7?= =?GBK?B?p7azveE=?=`; Thunderbird's
//! `filename*0*=UTF-8''%E4%BA%8C%E5; filename*1*=%B9%B4...`), and each half then becomes
//! U+FFFD. Here the bytes of adjacent pieces are joined first and decoded once, with
//! [`decode::decode_text`], which also reads raw 8-bit header text.

use std::sync::LazyLock;

use regex::bytes::Regex;

use super::decode::{self, Decoded};

static ENCODED_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=").expect("encoded word regex"));

/// Header text and whether some of its bytes could not be decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text {
    pub text: String,
    pub lossy: bool,
}

/// Decodes unstructured header text (a subject, a parameter value) from its raw bytes: RFC
/// 2047 encoded words, adjacent words in one charset joined before decoding, and raw 8-bit
/// text between them decoded as `fallback` (or as detected).
pub fn decode_words(raw: &[u8], fallback: Option<&str>) -> Text {
    let mut out = Text::default();
    let mut pending: Option<(String, Vec<u8>)> = None;
    let mut last = 0;
    for caps in ENCODED_WORD.captures_iter(raw) {
        let whole = caps.get(0).expect("whole match");
        let gap = &raw[last..whole.start()];
        // Whitespace between two encoded words is not part of the text (RFC 2047, 6.2).
        if pending.is_none() || !gap.iter().all(u8::is_ascii_whitespace) {
            out.flush(&mut pending);
            out.push(decode::decode_text(gap, fallback));
        }
        last = whole.end();
        // `charset*language` (RFC 2231, 5): the language is not needed.
        let charset = String::from_utf8_lossy(caps[1].split(|&b| b == b'*').next().unwrap_or_default());
        let Some(bytes) = word_bytes(&caps[2], &caps[3]) else {
            out.flush(&mut pending);
            out.push(decode::decode_text(whole.as_bytes(), fallback));
            continue;
        };
        match &mut pending {
            Some((open, joined)) if open.eq_ignore_ascii_case(&charset) => joined.extend_from_slice(&bytes),
            _ => {
                out.flush(&mut pending);
                pending = Some((charset.into_owned(), bytes));
            }
        }
    }
    out.flush(&mut pending);
    out.push(decode::decode_text(&raw[last..], fallback));
    out
}

/// The value of parameter `name` (`filename`, `name`) in a raw `Content-Disposition` or
/// `Content-Type` value: RFC 2231 segments (`name*0*=`, `name*1*=`, …) joined as bytes and
/// decoded in the charset of the first one, or else the plain value with its encoded words.
pub fn param(raw_value: &[u8], name: &str) -> Option<Text> {
    let pattern = format!(
        r#"(?i)(?:^|;)\s*{}(\*(\d+))?(\*)?\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))"#,
        regex::escape(name)
    );
    let re = Regex::new(&pattern).expect("parameter regex");
    // (segment number, percent-encoded, value)
    let segments = re.captures_iter(raw_value).map(|caps| {
        let index = caps.get(2).and_then(|i| std::str::from_utf8(i.as_bytes()).ok()?.parse::<usize>().ok());
        let value = caps.get(4).or_else(|| caps.get(5)).map_or(&b""[..], |v| v.as_bytes());
        (index, caps.get(3).is_some(), value.to_vec())
    });
    // Senders may give both forms, `name=` for old readers and `name*=`; the RFC 2231 one wins.
    let (mut segments, plain): (Vec<_>, Vec<_>) =
        segments.partition(|(index, extended, _)| index.is_some() || *extended);
    if segments.is_empty() {
        return plain.first().map(|(_, _, value)| decode_words(value, None));
    }
    segments.sort_by_key(|(index, _, _)| index.unwrap_or(0));
    let mut charset = None;
    let mut bytes = Vec::new();
    for (position, (_, extended, value)) in segments.into_iter().enumerate() {
        if !extended {
            bytes.extend_from_slice(&value);
            continue;
        }
        let mut value = &value[..];
        if position == 0 {
            // charset'language'percent-encoded-bytes
            let mut fields = value.splitn(3, |&b| b == b'\'');
            if let (Some(label), Some(_), Some(rest)) = (fields.next(), fields.next(), fields.next()) {
                charset = Some(String::from_utf8_lossy(label).into_owned());
                value = rest;
            }
        }
        bytes.extend(percent_decode(value));
    }
    let mut out = Text::default();
    out.push(decode::decode_text(&bytes, known(charset.as_deref())));
    Some(out)
}

impl Text {
    fn push(&mut self, piece: Decoded) {
        self.text.push_str(&piece.text);
        self.lossy |= piece.lossy;
    }

    /// Decodes the joined bytes of the encoded words seen so far.
    fn flush(&mut self, pending: &mut Option<(String, Vec<u8>)>) {
        if let Some((charset, bytes)) = pending.take() {
            self.push(decode::decode_text(&bytes, known(Some(&charset))));
        }
    }
}

/// The label if it names a charset that [`decode::decode_text`] knows (not UTF-7, for one).
fn known(label: Option<&str>) -> Option<&str> {
    label.filter(|l| decode::is_known_label(l))
}

/// The bytes of an encoded word's text: `B` is base64, `Q` is quoted-printable with `_` for
/// a space.
fn word_bytes(encoding: &[u8], text: &[u8]) -> Option<Vec<u8>> {
    if encoding.eq_ignore_ascii_case(b"b") {
        return base64_unpadded(text);
    }
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 2;
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    Some(out)
}

/// Base64 text, with its `=` padding or without it: some senders leave it off an encoded word
/// (`=?big5?B?p2k?=`), and mail-parser then drops the word.
fn base64_unpadded(text: &[u8]) -> Option<Vec<u8>> {
    mail_parser::decoders::base64::base64_decode(text).or_else(|| {
        let mut padded = text.to_vec();
        padded.resize(text.len().next_multiple_of(4), b'=');
        mail_parser::decoders::base64::base64_decode(&padded)
    })
}

fn percent_decode(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        let hex = value.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (value[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regression_encoded_words_split_inside_a_character() {
        // 账户冻结 in GBK, its second character's bytes split between the two words.
        let decoded = decode_words(b"=?GBK?B?1cu7?=\r\n =?GBK?B?p7azveE=?=", None);
        assert_eq!(decoded.text, "账户冻结");
        assert!(!decoded.lossy);
    }

    #[test]
    fn words_text_and_q_encoding() {
        let decoded = decode_words(b"Re: =?utf-8?Q?caf=C3=A9_order?= #42", None);
        assert_eq!(decoded.text, "Re: café order #42");
    }

    #[test]
    fn regression_base64_word_without_its_padding() {
        // 退 (U+9000) in Big5 is 0xB0 0x68: base64 `sGg`, written without its `=`.
        let decoded = decode_words(b"Re: =?big5?B?sGg?= 3", None);
        assert_eq!(decoded.text, "Re: 退 3");
        assert!(!decoded.lossy);
    }

    #[test]
    fn words_in_different_charsets_are_decoded_apart() {
        let decoded = decode_words(b"=?gbk?B?1cu7pw==?= =?utf-8?B?5Ya757uT?=", None);
        assert_eq!(decoded.text, "账户冻结");
    }

    #[test]
    fn regression_rfc2231_continuation_split_inside_a_character() {
        let raw = b"attachment;\r\n filename*0*=UTF-8''%E4%BA%8C%E9%9B%B6%E4%BA%8C%E5%85%AD%E5;\r\n filename*1*=%B9%B4%E5%8D%81.csv";
        assert_eq!(param(raw, "filename").unwrap().text, "二零二六年十.csv");
    }

    #[test]
    fn rfc2231_in_gbk_and_plain_and_rfc2047_values() {
        assert_eq!(
            param(b"attachment; filename*=gbk''%B6%D4%D5%CB%B5%A5.txt", "filename").unwrap().text,
            "对账单.txt"
        );
        assert_eq!(param(b"image/jpeg; name=\"=?GBK?B?vdjNvC5qcGc=?=\"", "name").unwrap().text, "截图.jpg");
        assert_eq!(param(b"inline; filename=\"logo.png\"", "filename").unwrap().text, "logo.png");
        assert!(param(b"inline; filename=\"logo.png\"", "name").is_none());
    }

    #[test]
    fn rfc2231_form_wins_over_the_plain_one() {
        let raw = b"attachment; filename=\"fapiao.pdf\"; filename*=UTF-8''%E5%8F%91%E7%A5%A8.pdf";
        assert_eq!(param(raw, "filename").unwrap().text, "发票.pdf");
        let raw = b"attachment; filename*0=\"long \"; filename*1=\"name.pdf\"";
        assert_eq!(param(raw, "filename").unwrap().text, "long name.pdf");
    }
}
