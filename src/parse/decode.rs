//! Parse stage, charsets: turns a text part's bytes into a `String`, trusting the declared
//! charset only as far as the bytes agree with it.
//!
//! Mail declared `gb2312` or `gbk` is decoded as GB18030 (a superset: real clients send GBK
//! characters under a GB2312 label); `big5` uses encoding_rs's Big5, which includes HKSCS.
//! Non-ASCII bytes that are valid UTF-8 are UTF-8 whatever the label says. When the declared
//! charset is missing, unknown or plainly wrong (its decoder reports errors, or it is a
//! single-byte charset hiding GBK or Big5), chardetng's guess is used. The result says which
//! charset was used and whether any byte had to be replaced.
//!
//! Two charsets encoding_rs does not decode are read here: HZ-GB-2312 (7-bit GB2312 between
//! `~{` and `~}`, still sent by MAPI clients on Chinese Windows), which WHATWG maps to the
//! "replacement" encoding, and UTF-16 in either byte order, whatever its label (`utf-16`,
//! Java's `UnicodeBig`), by its byte order mark or else by where the zero bytes of its ASCII fall.

use encoding_rs::{Encoding, GB18030, GBK, UTF_8, UTF_16BE, UTF_16LE};

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
    if declared.is_some_and(is_hz) {
        return decode_hz(bytes);
    }
    let declared_encoding = declared.and_then(encoding_for_label);
    if let Some(encoding) = declared_encoding.filter(|&e| e == UTF_16LE || e == UTF_16BE) {
        return decode_utf16(bytes, encoding);
    }
    if utf8_overrides_label(bytes, declared_encoding)
        && let Some(decoded) = decode_strict(bytes, UTF_8)
    {
        return decoded;
    }
    if let Some(encoding) = declared_encoding {
        if let Some(decoded) = cjk_behind_single_byte_label(bytes, encoding) {
            return decoded;
        }
        if let Some(decoded) = decode_strict(bytes, encoding) {
            return decoded;
        }
    }
    if let Some(decoded) = decode_strict(bytes, UTF_8) {
        return decoded;
    }
    let guessed = guess_encoding(bytes, declared_encoding);
    if let Some(decoded) = decode_strict(bytes, guessed) {
        return decoded;
    }
    // Nothing decodes cleanly: use the declared charset and say it was lossy, unless the guess
    // loses less than half as many characters. A wrong label breaks nearly every non-ASCII
    // character, so one bad byte in GBK text labelled UTF-8 costs one character, not the
    // whole mail; a bad byte in correctly labelled text keeps its label.
    let lossy_guess = decode_lossy(bytes, guessed);
    match declared_encoding.map(|encoding| decode_lossy(bytes, encoding)) {
        Some(declared) if replacements(&declared) <= 2 * replacements(&lossy_guess) => declared,
        _ => lossy_guess,
    }
}

fn replacements(decoded: &Decoded) -> usize {
    decoded.text.matches('\u{FFFD}').count()
}

/// Whether non-ASCII `bytes` should be read as UTF-8 before trying the declared charset.
///
/// Legacy text (GBK, Big5, Latin-1) practically never forms valid multi-byte UTF-8 by
/// chance, while UTF-8 text under a wrong label often decodes "cleanly" in it: every byte
/// is valid in a single-byte charset, and UTF-8 Chinese is often valid GB18030 (`您好`
/// becomes `鎮ㄥソ`). Labels that are not ASCII-compatible (ISO-2022-JP, UTF-16) are
/// trusted first, as their text is not read byte by byte.
fn utf8_overrides_label(bytes: &[u8], declared: Option<&'static Encoding>) -> bool {
    !bytes.is_ascii() && declared.is_some_and(|e| e.is_ascii_compatible() && e != UTF_8)
}

/// A single-byte label (Latin-1, windows-125x, KOI8-R) never reports an error, so GBK or Big5
/// text sent as `iso-8859-1` would come out as `ÄúºÃ£¬`. When chardetng, without the regional
/// hint, sees a multi-byte CJK charset in which the bytes are valid, that is used instead.
fn cjk_behind_single_byte_label(bytes: &[u8], declared: &'static Encoding) -> Option<Decoded> {
    if !declared.is_single_byte() || bytes.is_ascii() {
        return None;
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    let guessed = widen(detector.guess(None, false));
    if guessed.is_single_byte() || guessed == UTF_8 {
        return None;
    }
    decode_strict(bytes, guessed)
}

/// GBK is recorded as GB18030, its superset (encoding_rs decodes both the same way), so that
/// every mail in the GB family reports one charset name whether it was declared or guessed.
fn widen(encoding: &'static Encoding) -> &'static Encoding {
    if encoding == GBK { GB18030 } else { encoding }
}

/// Maps a MIME charset label to an encoding, widening the Chinese labels to their supersets.
///
/// `us-ascii` is read as UTF-8: both decode 7-bit text the same, but encoding_rs (following
/// WHATWG) maps `us-ascii` to windows-1252, which would turn the 8-bit bytes that break the
/// label (a raw GBK subject, say) into Latin-1 mojibake instead of failing over to detection.
///
/// The labels WHATWG maps to its "replacement" encoding (ISO-2022-KR, ISO-2022-CN, HZ), which
/// turns any text into one U+FFFD, are unknown here (HZ is read by [`decode_text`] itself).
pub fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    const GB: &[&str] = &["gb2312", "gbk", "x-gbk", "cp936", "gb_2312-80", "csgb2312", "euc-cn", "gb18030"];
    const ASCII: &[&str] = &["us-ascii", "ascii"];
    const BIG5_HKSCS: &[&str] = &["big5-hkscs", "big5hkscs", "x-big5", "cp950"];
    // Java's names, sent by JavaMail: `UnicodeBig` has a byte order mark, the others do not.
    const UTF16BE: &[&str] = &["unicodebig", "unicodebigunmarked", "x-utf-16be"];
    const UTF16LE: &[&str] = &["unicodelittle", "unicodelittleunmarked", "x-utf-16le"];
    // UTF-7 is left to mail-parser, which knows it (encoding_rs does not).
    let label = label.trim().trim_matches('"');
    let is = |names: &[&str]| names.iter().any(|name| name.eq_ignore_ascii_case(label));
    if is(GB) {
        Some(GB18030)
    } else if is(ASCII) {
        Some(UTF_8)
    } else if is(BIG5_HKSCS) {
        Some(encoding_rs::BIG5)
    } else if is(UTF16BE) {
        Some(UTF_16BE)
    } else if is(UTF16LE) {
        Some(UTF_16LE)
    } else if is_utf7(label) {
        None
    } else {
        Encoding::for_label(label.as_bytes()).filter(|&e| e != encoding_rs::REPLACEMENT)
    }
}

/// Whether `label` names a charset that [`decode_text`] reads: one encoding_rs knows, or HZ.
pub fn is_known_label(label: &str) -> bool {
    is_hz(label) || encoding_for_label(label).is_some()
}

/// The labels of HZ-GB-2312 (RFC 1843).
pub fn is_hz(label: &str) -> bool {
    const HZ: &[&str] = &["hz-gb-2312", "hz", "hz-gb2312", "x-hz"];
    let label = label.trim().trim_matches('"');
    HZ.iter().any(|name| name.eq_ignore_ascii_case(label))
}

/// The name [`decode_text`] records for HZ text.
pub const HZ_CHARSET: &str = "hz-gb-2312";

/// Decodes HZ-GB-2312: ASCII, with GB2312 written as pairs of 7-bit bytes between `~{` and
/// `~}`; `~~` is a tilde and `~` before a line break joins the lines. A pair that is no GB2312
/// character, or a stray `~`, becomes a replacement character (lossy).
fn decode_hz(bytes: &[u8]) -> Decoded {
    // The text as GB bytes (each pair with its high bits set), then decoded as GB18030; a
    // byte that fits no rule becomes 0xFF, which no GB18030 character starts with.
    let mut gb = Vec::with_capacity(bytes.len());
    let mut in_gb = false;
    let mut i = 0;
    while i < bytes.len() {
        let (byte, next) = (bytes[i], bytes.get(i + 1).copied());
        i += match (in_gb, byte, next) {
            (_, b'~', Some(b'{' | b'}')) => {
                in_gb = next == Some(b'{');
                2
            }
            (false, b'~', Some(b'~')) => {
                gb.push(b'~');
                2
            }
            (false, b'~', Some(b'\n')) => 2,
            (false, b'~', Some(b'\r')) if bytes.get(i + 2) == Some(&b'\n') => 3,
            (true, 0x21..=0x7e, Some(second @ 0x21..=0x7e)) => {
                gb.extend([byte | 0x80, second | 0x80]);
                2
            }
            // A line break ends a GB run that its writer forgot to close.
            (true, b'\r' | b'\n', _) => {
                in_gb = false;
                gb.push(byte);
                1
            }
            (false, b'~', _) | (true, ..) => {
                gb.push(0xff);
                1
            }
            (false, ..) => {
                gb.push(byte);
                1
            }
        };
    }
    let (text, lossy) = GB18030.decode_without_bom_handling(&gb);
    Decoded { text: text.into_owned(), charset: HZ_CHARSET.into(), lossy }
}

/// Decodes UTF-16 in the byte order its byte order mark gives (the mark dropped), else in the
/// one its zero bytes show (ASCII text has them on the high side of each pair), else in the
/// labelled one. Recorded as `utf-16le` or `utf-16be`.
fn decode_utf16(bytes: &[u8], labelled: &'static Encoding) -> Decoded {
    let (encoding, body) = match bytes {
        [0xfe, 0xff, rest @ ..] => (UTF_16BE, rest),
        [0xff, 0xfe, rest @ ..] => (UTF_16LE, rest),
        _ => (utf16_order_by_zeros(bytes).unwrap_or(labelled), bytes),
    };
    decode_lossy(body, encoding)
}

/// The byte order that UTF-16 `bytes` show by their zero bytes: in ASCII-heavy text the high
/// byte of most pairs is zero. `None` when neither side has clearly more.
fn utf16_order_by_zeros(bytes: &[u8]) -> Option<&'static Encoding> {
    let zeros_at = |parity: usize| bytes.iter().skip(parity).step_by(2).filter(|&&b| b == 0).count();
    let (even, odd) = (zeros_at(0), zeros_at(1));
    match (even, odd) {
        _ if even > 2 * odd + 1 => Some(UTF_16BE),
        _ if odd > 2 * even + 1 => Some(UTF_16LE),
        _ => None,
    }
}

/// The labels of UTF-7, which encoding_rs does not know (mail-parser decodes it).
pub fn is_utf7(label: &str) -> bool {
    const UTF7: &[&str] = &["utf-7", "utf7", "unicode-1-1-utf-7", "x-unicode-2-0-utf-7", "csunicode11utf7"];
    let label = label.trim().trim_matches('"');
    UTF7.iter().any(|name| name.eq_ignore_ascii_case(label))
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
    // The Chinese hint tips Japanese text (a raw Shift_JIS subject) over to GBK, and Big5 text
    // too, in which their bytes are valid as well (Big5 read as GBK is `眤и眀め`): without a
    // Chinese label, text that the detector reads as Japanese or Big5 on its own stays so.
    if hint.is_none_or(|h| h == UTF_8 || h.is_single_byte()) {
        let unhinted = detector.guess(None, true);
        if unhinted == encoding_rs::ISO_2022_JP
            || unhinted == encoding_rs::BIG5
            || is_japanese_with_kana(bytes, unhinted)
        {
            return unhinted;
        }
    }
    widen(detector.guess(tld, true))
}

/// Whether `encoding` is Shift_JIS or EUC-JP and `bytes` decode in it to text with kana:
/// Japanese has them in nearly every sentence, while a few GBK characters that the detector
/// takes for Japanese (`发票` as EUC-JP is `窟同`) come out as kanji alone.
fn is_japanese_with_kana(bytes: &[u8], encoding: &'static Encoding) -> bool {
    if encoding != encoding_rs::SHIFT_JIS && encoding != encoding_rs::EUC_JP {
        return false;
    }
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    text.chars().any(|c| matches!(c, '\u{3041}'..='\u{30ff}' | '\u{ff66}'..='\u{ff9d}'))
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
    fn regression_unlabelled_shift_jis_is_not_read_as_gbk() {
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode("パスワードを忘れました");
        let decoded = decode_text(&bytes, None);
        assert_eq!(decoded.text, "パスワードを忘れました");
        assert_eq!(decoded.charset, "shift_jis");
        let (gbk, _, _) = GB18030.encode("退款还没到账，请帮忙查一下");
        assert_eq!(decode_text(&gbk, None).text, "退款还没到账，请帮忙查一下");
    }

    #[test]
    fn regression_unlabelled_big5_is_not_read_as_gbk() {
        let text = "您好，我的帳戶被鎖定了，請幫我解鎖。我已經嘗試重設密碼三次，都沒有收到驗證碼。";
        let (big5, _, _) = encoding_rs::BIG5.encode(text);
        for declared in [None, Some("utf-8"), Some("us-ascii")] {
            let decoded = decode_text(&big5, declared);
            assert_eq!((decoded.text.as_str(), decoded.charset.as_str()), (text, "big5"), "{declared:?}");
        }
        // GBK text without a label is still GBK, in simplified and in traditional characters.
        for gbk_text in ["您好，我的账户被锁定了，请帮我解锁。谢谢您的帮助。", text]
        {
            let (gbk, _, _) = GB18030.encode(gbk_text);
            assert_eq!(decode_text(&gbk, None).text, gbk_text);
        }
    }

    #[test]
    fn regression_short_unlabelled_gbk_is_not_read_as_japanese() {
        for text in ["发票", "客服电话多少"] {
            let (gbk, _, _) = GB18030.encode(text);
            assert_eq!(decode_text(&gbk, None).text, text);
        }
        let (euc_jp, _, _) = encoding_rs::EUC_JP.encode("パスワードを忘れました");
        assert_eq!(decode_text(&euc_jp, None).text, "パスワードを忘れました");
    }

    #[test]
    fn iso_2022_jp() {
        let (bytes, _, _) = encoding_rs::ISO_2022_JP.encode("こんにちは");
        assert_eq!(decode_text(&bytes, Some("iso-2022-jp")).text, "こんにちは");
    }

    #[test]
    fn regression_utf8_under_latin1_label() {
        let decoded = decode_text("Café Zoë — 25 €".as_bytes(), Some("iso-8859-1"));
        assert_eq!(decoded.text, "Café Zoë — 25 €");
        assert_eq!(decoded.charset, "utf-8");
    }

    #[test]
    fn regression_utf8_under_gb2312_label_that_is_also_valid_gb18030() {
        // These UTF-8 bytes pair up into valid GB18030 characters (`鎮ㄥソ锛...`).
        let bytes = "您好，请帮忙查订单！".as_bytes();
        assert!(!GB18030.decode_without_bom_handling(bytes).1, "the case needs bytes valid in both");
        let decoded = decode_text(bytes, Some("gb2312"));
        assert_eq!(decoded.text, "您好，请帮忙查订单！");
        assert_eq!(decoded.charset, "utf-8");
    }

    #[test]
    fn regression_gbk_under_latin1_label() {
        let text = "您好，我的账户被锁定了，请帮我解锁。我已经尝试重置密码三次，都没有收到验证码。";
        let (bytes, _, _) = GB18030.encode(text);
        let decoded = decode_text(&bytes, Some("iso-8859-1"));
        assert_eq!(decoded.text, text);
        assert_eq!(decoded.charset, "gb18030");
    }

    #[test]
    fn latin1_text_keeps_its_label() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode("Grüße aus München, das Café war zu teuer.");
        let decoded = decode_text(&bytes, Some("iso-8859-1"));
        assert_eq!(decoded.text, "Grüße aus München, das Café war zu teuer.");
        assert_eq!(decoded.charset, "windows-1252");
    }

    #[test]
    fn regression_us_ascii_label_with_gbk_bytes() {
        let (bytes, _, _) = GB18030.encode("我的账户被冻结了，请帮忙");
        let decoded = decode_text(&bytes, Some("us-ascii"));
        assert_eq!(decoded.text, "我的账户被冻结了，请帮忙");
        assert!(!decoded.lossy);
    }

    #[test]
    fn regression_guessed_gbk_is_recorded_as_gb18030() {
        let (bytes, _, _) = GB18030.encode("您好，我的账户被锁定了，请帮我解锁。谢谢您的帮助。");
        assert_eq!(decode_text(&bytes, None).charset, "gb18030");
        assert_eq!(decode_text(&bytes, Some("utf-8")).charset, "gb18030");
    }

    #[test]
    fn regression_one_bad_byte_in_mislabelled_gbk_costs_one_character() {
        let (gbk, _, _) =
            GB18030.encode("您好，我的账户被锁定了，请帮我解锁。我已经尝试重置密码三次，都没有收到验证码。");
        let bytes = [&gbk[..12], &[0xff], &gbk[12..]].concat();
        let decoded = decode_text(&bytes, Some("utf-8"));
        assert_eq!(
            decoded.text,
            "您好，我的账�户被锁定了，请帮我解锁。我已经尝试重置密码三次，都没有收到验证码。"
        );
        assert_eq!(decoded.charset, "gb18030");
        assert!(decoded.lossy);
    }

    #[test]
    fn regression_hz_gb_2312_is_decoded() {
        // 我的订单 and 退款 in GB2312, each byte less 0x80, between `~{` and `~}`.
        let (gb, _, _) = GB18030.encode("我的订单");
        let hz: Vec<u8> = gb.iter().map(|b| b - 0x80).collect();
        let bytes = [b"Order 12 ~{", &hz[..], b"~} costs ~~5\r\nnext ~\nline"].concat();
        let decoded = decode_text(&bytes, Some("HZ-GB-2312"));
        assert_eq!(decoded.text, "Order 12 我的订单 costs ~5\r\nnext line");
        assert_eq!(decoded.charset, "hz-gb-2312");
        assert!(!decoded.lossy);
    }

    #[test]
    fn hz_with_a_broken_pair_or_an_unclosed_run_is_lossy_but_kept() {
        let decoded = decode_text(b"~{\x01\x02~}ok ~{<b\nplain", Some("hz-gb-2312"));
        assert!(decoded.lossy);
        assert!(decoded.text.contains("ok") && decoded.text.ends_with("\nplain"), "{decoded:?}");
    }

    #[test]
    fn replacement_labels_are_unknown_not_one_replacement_character() {
        assert_eq!(encoding_for_label("iso-2022-kr"), None);
        assert!(is_known_label("HZ-GB-2312") && !is_known_label("x-made-up"));
        assert_eq!(decode_text(b"plain words", Some("iso-2022-cn")).text, "plain words");
    }

    #[test]
    fn regression_utf16_follows_its_byte_order_mark_or_its_zero_bytes() {
        let be: Vec<u8> = "Hi, 订单 7".encode_utf16().flat_map(u16::to_be_bytes).collect();
        let le: Vec<u8> = "Hi, 订单 7".encode_utf16().flat_map(u16::to_le_bytes).collect();
        // A byte order mark, dropped; WHATWG reads the `utf-16` label as little-endian.
        let decoded = decode_text(&[&[0xfe, 0xff][..], &be].concat(), Some("utf-16"));
        assert_eq!((decoded.text.as_str(), decoded.charset.as_str()), ("Hi, 订单 7", "utf-16be"));
        assert_eq!(decode_text(&[&[0xff, 0xfe][..], &le].concat(), Some("utf-16")).text, "Hi, 订单 7");
        // No mark: the zero bytes of the ASCII tell; Java's `UnicodeBig` is a known label.
        assert_eq!(decode_text(&be, Some("utf-16le")).text, "Hi, 订单 7");
        assert_eq!(decode_text(&be, Some("UnicodeBig")).text, "Hi, 订单 7");
        assert_eq!(decode_text(&le, Some("unicodelittleunmarked")).text, "Hi, 订单 7");
    }

    #[test]
    fn invalid_utf8_is_decoded_by_a_guess_not_dropped() {
        let decoded = decode_text(&[b'a', 0xff, 0xfe, b'b'], Some("utf-8"));
        assert!(decoded.text.starts_with('a') && decoded.text.ends_with('b'));
        assert!(decoded.lossy || decoded.charset != "utf-8", "{decoded:?}");
    }
}
