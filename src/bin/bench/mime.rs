//! How generated mail is encoded: text parts in a charset and transfer encoding, RFC 2047
//! encoded words for headers, base64 in 76-character lines, quoted-printable.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// How the text part is written.
#[derive(Clone, Copy)]
pub enum Charset {
    Utf8Base64,
    Utf8Qp,
    /// GB18030 bytes (GBK-only characters included) labelled `gb2312`, base64 or 8bit.
    Gb2312Base64,
    Gb2312EightBit,
    Big5Qp,
    Ascii,
}

/// `write!` into a byte vector.
pub struct PushStr<'a>(pub &'a mut Vec<u8>);

impl std::fmt::Write for PushStr<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// A text part (headers and body) in `charset`. `text` has CRLF line ends, which
/// quoted-printable keeps as line ends.
pub fn text_part(subtype: &str, text: &str, charset: Charset) -> Vec<u8> {
    let (label, transfer, body) = match charset {
        Charset::Utf8Base64 => ("utf-8", "base64", base64_lines(text.as_bytes()).into_bytes()),
        Charset::Utf8Qp => ("utf-8", "quoted-printable", quoted_printable::encode(text)),
        Charset::Gb2312Base64 => {
            ("gb2312", "base64", base64_lines(&encoding_rs::GB18030.encode(text).0).into_bytes())
        }
        Charset::Gb2312EightBit => ("gb2312", "8bit", encoding_rs::GB18030.encode(text).0.into_owned()),
        Charset::Big5Qp => {
            ("big5", "quoted-printable", quoted_printable::encode(encoding_rs::BIG5.encode(text).0))
        }
        Charset::Ascii if text.is_ascii() => ("us-ascii", "7bit", text.as_bytes().to_vec()),
        Charset::Ascii => ("utf-8", "quoted-printable", quoted_printable::encode(text)),
    };
    let mut out = Vec::new();
    let _ = write!(
        PushStr(&mut out),
        "Content-Type: text/{subtype}; charset=\"{label}\"\r\nContent-Transfer-Encoding: {transfer}\r\n\r\n"
    );
    out.extend_from_slice(&body);
    out
}

/// An RFC 2047 encoded word for a header in the part's charset.
pub fn encoded_word(text: &str, charset: Charset) -> String {
    match charset {
        Charset::Gb2312Base64 | Charset::Gb2312EightBit => {
            let (bytes, _, _) = encoding_rs::GB18030.encode(text);
            format!("=?gb2312?B?{}?=", BASE64.encode(&bytes))
        }
        Charset::Big5Qp => {
            let (bytes, _, _) = encoding_rs::BIG5.encode(text);
            let q: String = bytes
                .iter()
                .map(|&b| match b {
                    b' ' => "_".to_string(),
                    b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => char::from(b).to_string(),
                    _ => format!("={b:02X}"),
                })
                .collect();
            format!("=?big5?Q?{q}?=")
        }
        _ => format!("=?UTF-8?B?{}?=", BASE64.encode(text.as_bytes())),
    }
}

/// Base64 in 76-character lines.
pub fn base64_lines(bytes: &[u8]) -> String {
    let encoded = BASE64.encode(bytes);
    let lines: Vec<&str> =
        encoded.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
    lines.join("\r\n") + "\r\n"
}
