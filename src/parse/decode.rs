//! Parse stage, charsets: turns a text part's bytes into a `String`, trusting the declared
//! charset only as far as the bytes agree with it.
//!
//! Mail declared `gb2312` or `gbk` is decoded as GB18030 (a superset: real clients send GBK
//! characters under a GB2312 label); `big5` uses encoding_rs's Big5, which includes HKSCS.
//! When the declared charset is missing, unknown or plainly wrong (its decoder reports errors),
//! valid UTF-8 wins, then chardetng's guess. The result says which charset was used and
//! whether any byte had to be replaced.

use encoding_rs::{Encoding, GB18030, UTF_8};

/// Text decoded from bytes, with a note of how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    /// The charset actually used, as encoding_rs names it (for example `gb18030`, `Big5`).
    pub charset: String,
    /// True when some bytes could not be decoded and became U+FFFD.
    pub lossy: bool,
}

/// Decodes `bytes` that claim to be in `declared` (a MIME charset label, if any).
pub fn decode_text(bytes: &[u8], declared: Option<&str>) -> Decoded {
    let declared_encoding = declared.and_then(encoding_for_label);
    if let Some(encoding) = declared_encoding
        && let Some(decoded) = decode_strict(bytes, encoding)
    {
        return decoded;
    }
    if let Some(decoded) = decode_strict(bytes, UTF_8) {
        return decoded;
    }
    let guessed = guess_encoding(bytes, declared_encoding);
    if let Some(decoded) = decode_strict(bytes, guessed) {
        return decoded;
    }
    // Nothing decodes cleanly: use the declared charset (or the guess) and say it was lossy.
    decode_lossy(bytes, declared_encoding.unwrap_or(guessed))
}

/// Maps a MIME charset label to an encoding, widening the Chinese labels to their supersets.
pub fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    let label = label.trim().trim_matches('"').to_ascii_lowercase();
    match label.as_str() {
        "gb2312" | "gbk" | "x-gbk" | "cp936" | "gb_2312-80" | "csgb2312" | "euc-cn" | "gb18030" => {
            Some(GB18030)
        }
        "big5-hkscs" | "big5hkscs" | "x-big5" | "cp950" => Some(encoding_rs::BIG5),
        // UTF-7 is left to mail-parser, which knows it (encoding_rs does not).
        "utf-7" | "utf7" | "unicode-1-1-utf-7" => None,
        _ => Encoding::for_label(label.as_bytes()),
    }
}

fn decode_strict(bytes: &[u8], encoding: &'static Encoding) -> Option<Decoded> {
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    (!had_errors).then(|| Decoded {
        text: text.into_owned(),
        charset: encoding.name().to_ascii_lowercase(),
        lossy: false,
    })
}

fn decode_lossy(bytes: &[u8], encoding: &'static Encoding) -> Decoded {
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    Decoded { text: text.into_owned(), charset: encoding.name().to_ascii_lowercase(), lossy: had_errors }
}

fn guess_encoding(bytes: &[u8], hint: Option<&'static Encoding>) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    let tld = if hint == Some(encoding_rs::BIG5) { Some(&b"tw"[..]) } else { Some(&b"cn"[..]) };
    detector.guess(tld, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gb2312_label_with_gbk_only_characters_decodes_as_gb18030() {
        // 镕 (U+9555) exists in GBK but not in GB2312.
        let (bytes, _, _) = GB18030.encode("朱镕基");
        let decoded = decode_text(&bytes, Some("gb2312"));
        assert_eq!(decoded.text, "朱镕基");
        assert_eq!(decoded.charset, "gb18030");
        assert!(!decoded.lossy);
    }

    #[test]
    fn big5_with_hkscs_characters() {
        // 㗎 (U+35CE) is an HKSCS character used in Cantonese.
        let bytes = [0xab, 0x59, 0xab, 0x7d, 0x9d, 0xee];
        let decoded = decode_text(&bytes, Some("big5-hkscs"));
        assert_eq!(decoded.text, "係咪㗎");
        assert!(!decoded.lossy);
    }

    #[test]
    fn wrong_declared_charset_falls_back_to_utf8() {
        let decoded = decode_text("退款还没到".as_bytes(), Some("big5"));
        assert_eq!(decoded.text, "退款还没到");
        assert_eq!(decoded.charset, "utf-8");
    }

    #[test]
    fn missing_charset_is_detected() {
        let (bytes, _, _) = GB18030.encode("您好，我的账户被锁定了，请帮我解锁。谢谢您的帮助。");
        let decoded = decode_text(&bytes, None);
        assert_eq!(decoded.text, "您好，我的账户被锁定了，请帮我解锁。谢谢您的帮助。");
        assert!(!decoded.lossy);
    }

    #[test]
    fn iso_2022_jp() {
        let (bytes, _, _) = encoding_rs::ISO_2022_JP.encode("こんにちは");
        assert_eq!(decode_text(&bytes, Some("iso-2022-jp")).text, "こんにちは");
    }

    #[test]
    fn invalid_utf8_is_decoded_by_a_guess_not_dropped() {
        let decoded = decode_text(&[b'a', 0xff, 0xfe, b'b'], Some("utf-8"));
        assert!(decoded.text.starts_with('a') && decoded.text.ends_with('b'));
        assert!(decoded.lossy || decoded.charset != "utf-8", "{decoded:?}");
    }
}
