//! Classify stage, how the rules and the second opinion read a field value: typing variants
//! put into the forms the rules are written in ([`plain`]), lower-cased where a letter beyond
//! ASCII has a case, folded to Simplified characters (both in one pass), and cut into the runs
//! of ASCII that the English automaton walks.

use std::borrow::Cow;

use crate::parse::lang;

/// `text` as the rules and the second opinion read it: what typing or a mail client varies
/// put into the form the rules and the examples are written in. Borrowed (or kept) as it is
/// when nothing varies, which is most mail of one line.
/// - Latin letters and digits typed full-width (ＡＴＭ, ＫＯＫＯ, ３Ｄ: a Chinese keyboard in
///   full-width mode) read as ASCII; full-width punctuation stays (Chinese cues use it: ？不是).
/// - A typographic apostrophe between two letters (can’t from a phone or a word processor,
///   don‘t from a Chinese keyboard, ＇) reads `'`; quotation marks around words stay.
/// - Between Latin words, a long line wrapped by the mail client ("… I can't\nlog in"), a no-break
///   space (`&nbsp;` in HTML mail) or a tab, with any spaces around it, reads as one space, as
///   the rules' phrases are written. A line break that ends a line of Chinese, or a
///   paragraph, stays; so do two plain spaces (looking for them cost more than they are worth).
pub(super) fn plain(text: Cow<'_, str>) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    let mut copied = 0;
    for_each_change(&text, |change| {
        let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
        out.push_str(&text[copied..change.start]);
        out.push(change.reads);
        copied = change.end;
    });
    match out {
        None => text,
        Some(mut out) => {
            out.push_str(&text[copied..]);
            Cow::Owned(out)
        }
    }
}

/// Appends `text` to `out` as [`plain`] reads it.
pub(super) fn push_plain(out: &mut String, text: &str) {
    let mut copied = 0;
    for_each_change(text, |change| {
        out.push_str(&text[copied..change.start]);
        out.push(change.reads);
        copied = change.end;
    });
    out.push_str(&text[copied..]);
}

/// A stretch of a text that reads otherwise than it is written: its bytes, and what it reads.
#[derive(Clone, Copy)]
struct Change {
    start: usize,
    end: usize,
    reads: char,
}

/// Calls `found` with each stretch of `text` that reads otherwise than it is written, in
/// order. Every one holds a tab or a line end (ASCII), or starts with one of three lead bytes
/// (U+00A0; U+2018, U+2019, U+202F; U+FF07..U+FF5A), which never continue a character: both
/// kinds are found in one pass, eight bytes at a time, the second only in a text beyond
/// ASCII. Read byte by byte, this pass cost about 1,800 instructions a BANKING77 mail, a
/// seventh of classifying it; with `memchr` for the line ends, about 1,000 (its set-up is
/// paid at each of a short text's few line ends).
fn for_each_change(text: &str, mut found: impl FnMut(Change)) {
    let bytes = text.as_bytes();
    let mut controls = controls(bytes).peekable();
    let mut leads = (!bytes.is_ascii()).then(|| memchr::memchr3_iter(0xc2, 0xe2, 0xef, bytes).peekable());
    let mut done = 0;
    loop {
        let control = controls.peek().copied();
        let lead = leads.as_mut().and_then(|l| l.peek().copied());
        let next = match (control, lead) {
            (Some(c), Some(l)) if l < c => leads.as_mut().and_then(Iterator::next),
            (Some(_), _) => controls.next(),
            (None, Some(_)) => leads.as_mut().and_then(Iterator::next),
            (None, None) => None,
        };
        let Some(at) = next else { return };
        if at < done {
            continue;
        }
        if space_len(text, at) > 0 {
            let run =
                Change { start: space_run_start(text, at, done), end: space_run_end(text, at), reads: ' ' };
            if latin_spacing(text, run) {
                found(run);
            }
            done = run.end;
        } else if let Some(variant) = typed_variant(text, at) {
            found(variant);
            done = variant.end;
        }
    }
}

/// The offsets of the bytes below 0x20 in `bytes` (tabs, line ends, other controls), found
/// eight bytes at a time: a byte's high bit is set in `(x - 0x20…) & !x & 0x80…` when the
/// byte is below 0x20, and the lowest such byte is found exactly (a borrow only reaches the
/// bytes above it).
fn controls(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut at = 0;
    std::iter::from_fn(move || {
        while let Some(chunk) = bytes.get(at..at + 8) {
            let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            let below = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
            if below != 0 {
                let found = at + (below.trailing_zeros() / 8) as usize;
                at = found + 1;
                return Some(found);
            }
            at += 8;
        }
        let found = at + bytes.get(at..)?.iter().position(|&b| b < 0x20)?;
        at = found + 1;
        Some(found)
    })
}

/// Where the run of spaces and line ends holding byte `at` starts, not before `from`.
fn space_run_start(text: &str, at: usize, from: usize) -> usize {
    let bytes = text.as_bytes();
    let mut start = at;
    while start > from {
        let len = match &bytes[..start] {
            [.., b' ' | b'\t' | b'\r' | b'\n'] => 1,
            [.., 0xc2, 0xa0] => 2,
            [.., 0xe2, 0x80, 0xaf] => 3,
            _ => break,
        };
        start -= len;
    }
    start.max(from)
}

/// The length in bytes of the space, tab, line end or no-break space at byte `at`, 0 when
/// another character stands there.
fn space_len(text: &str, at: usize) -> usize {
    let rest = &text.as_bytes()[at..];
    match rest {
        [b' ' | b'\t' | b'\r' | b'\n', ..] => 1,
        [0xc2, 0xa0, ..] => 2,
        [0xe2, 0x80, 0xaf, ..] => 3,
        _ => 0,
    }
}

/// Where the run of spaces and line ends starting at byte `at` ends.
fn space_run_end(text: &str, mut at: usize) -> usize {
    loop {
        match space_len(text, at) {
            0 => return at,
            len => at += len,
        }
    }
}

/// Whether a run of spaces between Latin words should read as one space: it is not one space
/// already, it stands between an ASCII character and a Latin letter or digit, and it holds
/// at most one line break, which ends a line the mail client wrapped: a long one (at least
/// [`WRAPPED_LINE`] bytes), after a letter, digit or comma. A line ending in a full stop, a
/// short line broken by hand ("Cheers,⏎Oscar") and a paragraph break stay as written.
fn latin_spacing(text: &str, run: Change) -> bool {
    let bytes = text.as_bytes();
    let before = bytes[..run.start].last();
    let after = bytes.get(run.end);
    if run.end - run.start == 1 && bytes[run.start] == b' '
        || !before.is_some_and(u8::is_ascii_graphic)
        || !after.is_some_and(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    let spaces = &bytes[run.start..run.end];
    match spaces.iter().filter(|&&b| b == b'\n').count() {
        0 => true,
        1 => {
            let line_start = memchr::memrchr(b'\n', &bytes[..run.start]).map_or(0, |at| at + 1);
            run.start - line_start >= WRAPPED_LINE
                && before.is_some_and(|&b| b.is_ascii_alphanumeric() || b == b',')
        }
        _ => false,
    }
}

/// A line at least this long that breaks between two words was wrapped by the mail client
/// (they wrap at 72 to 78 columns); a shorter one was broken by the writer.
const WRAPPED_LINE: usize = 40;

/// A full-width Latin letter or digit, or a typographic apostrophe between two Latin letters,
/// at byte `at` of `text`, with the ASCII it reads as.
fn typed_variant(text: &str, at: usize) -> Option<Change> {
    let c = text[at..].chars().next()?;
    let reads = match c as u32 {
        0xff10..=0xff19 | 0xff21..=0xff3a | 0xff41..=0xff5a => char::from_u32(c as u32 - 0xfee0)?,
        0x2018 | 0x2019 | 0xff07 => {
            let before = text[..at].chars().next_back().is_some_and(latin_letter);
            let after = text[at + c.len_utf8()..].chars().next().is_some_and(latin_letter);
            if !(before && after) {
                return None;
            }
            '\''
        }
        _ => return None,
    };
    Some(Change { start: at, end: at + c.len_utf8(), reads })
}

/// A Latin letter as typed, half- or full-width.
fn latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || matches!(c as u32, 0xff21..=0xff3a | 0xff41..=0xff5a)
}

/// The runs of ASCII characters in `text` at least `shortest` bytes long, each with its byte
/// offset, found as they are asked for (an English mail is one run, and nothing allocated).
/// A character beyond ASCII is stepped over whole, told by its first byte (a Chinese one was
/// three steps), and a tail of ASCII is told a word at a time (`str::is_ascii`): byte by
/// byte, telling the runs cost about 800 instructions on a Chinese mail of 84 bytes and 280
/// on an English one of 100.
pub(super) fn ascii_runs(text: &str, shortest: usize) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let mut start = 0;
    std::iter::from_fn(move || {
        while start < bytes.len() {
            let mut from = start;
            while from < bytes.len() && !bytes[from].is_ascii() {
                from += utf8_len(bytes[from]);
            }
            let end = if text[from..].is_ascii() {
                bytes.len()
            } else {
                from + bytes[from..].iter().take_while(|b| b.is_ascii()).count()
            };
            start = end;
            if end - from >= shortest && end > from {
                return Some((from, &text[from..end]));
            }
        }
        None
    })
}

/// The length in UTF-8 of the character whose first byte is `lead` (beyond ASCII).
#[inline(always)]
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xf0.. => 4,
        0xe0.. => 3,
        _ => 2,
    }
}

/// `value` as the keyword scan reads it ([`fold_non_ascii_case`]) and, when that is `value`
/// itself, folded to Simplified characters in the same pass (`None`: not folded yet). An
/// `ascii` value is read as it is, unfolded.
#[inline]
pub(super) fn read_for_scan(value: &str, ascii: bool) -> (Cow<'_, str>, Option<Cow<'_, str>>) {
    if ascii {
        return (Cow::Borrowed(value), Some(Cow::Borrowed(value)));
    }
    match lang::fold_to_simplified_unless(value, |c| !caseless(c) && c.is_uppercase()) {
        Some(simplified) => (Cow::Borrowed(value), Some(simplified)),
        None => (fold_non_ascii_case(value), None),
    }
}

/// `text` lower-cased if it has upper-case letters beyond ASCII (the keyword automaton folds
/// ASCII itself); borrowed as it is otherwise, which is nearly always. Never inlined: inlined
/// into [`super::index::FieldIndex::scan`], the walk of [`cased_beyond_ascii`] was left a call a character
/// here and in the model's `normalise` (some 210 instructions more a Cathay mail).
#[inline(never)]
fn fold_non_ascii_case(text: &str) -> Cow<'_, str> {
    if !text.is_ascii() && cased_beyond_ascii(text).any(char::is_uppercase) {
        return Cow::Owned(text.to_lowercase());
    }
    Cow::Borrowed(text)
}

/// The characters of `text` beyond ASCII that may have a case: read byte by byte, the common
/// ones (ASCII; U+3000..U+9FFF, kana, CJK punctuation and Han, three bytes in UTF-8) skipped
/// without decoding, and the other caseless ones left out.
pub(super) fn cased_beyond_ascii(text: &str) -> impl Iterator<Item = char> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            match bytes[i] {
                0..=0x7f => i += 1,
                0xe3..=0xe9 => i += 3,
                _ => {
                    let c = text[i..].chars().next().expect("i is at a character boundary");
                    i += c.len_utf8();
                    if !caseless(c) {
                        return Some(c);
                    }
                }
            }
        }
        None
    })
}

/// `text` with the spaces taken out of Chinese typed a character at a time (退 款 还 没 到,
/// 手续 费 怎么 算), which no keyword of the rules would find. In a stretch of Chinese
/// characters with single spaces between its words, the spaces go when some word is a
/// single character; a space between longer words (方便问一下 信用卡的…, a pause between
/// clauses, where a negation must not reach across) stays. `None`, without allocating, when
/// there is nothing to join, which is nearly always; an ASCII text is not looked at.
pub(super) fn join_spaced_characters(text: &str) -> Option<String> {
    if !memchr::memchr_iter(b' ', text.as_bytes()).any(|i| single_character_at(text, i)) {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    let mut joined = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        // A stretch: Chinese characters, single spaces only between two of them.
        let mut end = i;
        while end < chars.len()
            && (lang::is_han(chars[end])
                || (chars[end] == ' ' && end > i && chars.get(end + 1).is_some_and(|&c| lang::is_han(c))))
        {
            end += 1;
        }
        if end == i {
            joined.push(chars[i]);
            i += 1;
            continue;
        }
        let stretch = &chars[i..end];
        let lone = stretch.split(|&c| c == ' ').any(|word| word.len() == 1) && stretch.contains(&' ');
        joined.extend(stretch.iter().filter(|&&c| !(lone && c == ' ')));
        i = end;
    }
    Some(joined)
}

/// Whether the space at byte `i` of `text` stands between Chinese characters and next to
/// one on its own: `退 款 还` (款 has a space on each side), `…没 到` (到 ends the text), or
/// `退 款…` (退 starts it).
fn single_character_at(text: &str, i: usize) -> bool {
    let mut before = text[..i].chars().rev();
    let mut after = text[i + 1..].chars();
    let (b1, a1) = (before.next(), after.next());
    if !(b1.is_some_and(lang::is_han) && a1.is_some_and(lang::is_han)) {
        return false;
    }
    let alone = |next: Option<char>| next.is_none_or(|c| !lang::is_han(c));
    alone(before.next()) || alone(after.next())
}

/// CJK, kana, hangul and their punctuation (U+2E80..U+A63F, U+AC00..U+FF20) have no case:
/// the common characters of Chinese mail skip the Unicode table lookup.
pub(super) fn caseless(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0xA63F | 0xAC00..=0xFF20)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_variants_read_as_the_rules_are_written() {
        let read = |text: &'static str| plain(Cow::Borrowed(text)).into_owned();
        assert_eq!(
            read("I can’t log in, the charges aren’t mine"),
            "I can't log in, the charges aren't mine"
        );
        assert_eq!(read("don‘t charge me"), "don't charge me", "a Chinese keyboard's opening quote");
        assert_eq!(read("ＡＴＭ提款失敗，ｃｏｓｔｃｏ卡３Ｄ驗證"), "ATM提款失敗，costco卡3D驗證");
        assert_eq!(read("ＤＯＮ＇Ｔ"), "DON'T");
        // Quotation marks around words, and full-width punctuation, stay as written.
        assert_eq!(read("他说‘退款’了？不是"), "他说‘退款’了？不是");
        assert_eq!(read("the ‘refund’ you sent"), "the ‘refund’ you sent");
        for kept in [
            "提现没到，怎么办？",
            "can't log in",
            "退款  还没到",
            "Refund.\nI paid twice",
            "paid.\n\nNow",
            "退款没到\n验证码也没有",
        ] {
            assert!(matches!(plain(Cow::Borrowed(kept)), Cow::Borrowed(_)), "{kept:?}");
        }
    }

    #[test]
    fn a_line_wrapped_between_latin_words_and_odd_spaces_read_as_one_space() {
        let read = |text: &'static str| plain(Cow::Borrowed(text)).into_owned();
        let wrapped = "I asked for it on Monday and my refund has not\r\narrived yet";
        assert_eq!(read(wrapped), "I asked for it on Monday and my refund has not arrived yet");
        let comma = "I made a withdrawal to my bank this morning,\n  but";
        assert_eq!(read(comma), "I made a withdrawal to my bank this morning, but");
        assert_eq!(read("Cheers,\nOscar"), "Cheers,\nOscar", "a short line broken by hand");
        assert_eq!(read("can't\u{a0}log in"), "can't log in", "a no-break space from HTML");
        assert_eq!(read("can't log \t in"), "can't log in");
        assert_eq!(read("can’t  log in"), "can't  log in", "two plain spaces stay");
        assert_eq!(
            read("Hello,\nI have tried three times this morning and still can’t\nlog in.\n\nThanks"),
            "Hello,\nI have tried three times this morning and still can't log in.\n\nThanks"
        );
        assert_eq!(read("paid.\nNow the fee"), "paid.\nNow the fee", "a line ending a sentence stays");
        let mut out = String::from("Subject\n");
        push_plain(&mut out, "a line long enough to have been wrapped by the\nclient");
        assert_eq!(out, "Subject\na line long enough to have been wrapped by the client");
    }

    #[test]
    fn controls_are_found_eight_bytes_at_a_time_as_byte_by_byte() {
        for text in [
            "",
            "a\n",
            "\tab\r\ncd efgh ijkl\nmnop qrst uvwx\ny",
            "退款\n没到\x01 ok",
            "no control here at all!!",
        ] {
            let bytes = text.as_bytes();
            let expected: Vec<usize> = (0..bytes.len()).filter(|&i| bytes[i] < 0x20).collect();
            assert_eq!(controls(bytes).collect::<Vec<_>>(), expected, "{text:?}");
        }
    }

    #[test]
    fn ascii_runs_keep_their_offsets_and_skip_the_short_ones() {
        let text = "我的ATM卡 不能用, 錯誤代碼 E12";
        let runs: Vec<(usize, &str)> = ascii_runs(text, 2).collect();
        assert_eq!(runs.iter().map(|(_, r)| *r).collect::<Vec<_>>(), ["ATM", ", ", " E12"]);
        for (from, run) in runs {
            assert_eq!(&text[from..from + run.len()], run);
        }
        assert_eq!(ascii_runs("退款", 1).count(), 0);
        assert_eq!(ascii_runs("a退b", 1).collect::<Vec<_>>(), [(0, "a"), (4, "b")]);
        assert_eq!(ascii_runs("é😀ab£", 1).collect::<Vec<_>>(), [(6, "ab")]);
        assert_eq!(ascii_runs("refund", 7).count(), 0);
    }

    #[test]
    fn only_text_with_upper_case_beyond_ascii_is_folded() {
        for kept in ["退款还没到 REFUND", "ｒｅｆｕｎｄ 「退款」", "ü é 가 ま", ""] {
            assert!(matches!(fold_non_ascii_case(kept), Cow::Borrowed(_)), "{kept}");
        }
        for (text, folded) in
            [("退款 ÄNDERUNG", "退款 änderung"), ("ＲＥＦＵＮＤ", "ｒｅｆｕｎｄ"), ("說 ΣΑΣ", "說 σας")]
        {
            assert_eq!(fold_non_ascii_case(text), folded, "{text}");
        }
    }

    #[test]
    fn a_value_is_folded_in_the_pass_that_finds_no_case_beyond_ascii() {
        let (read, simplified) = read_for_scan("Refund", true);
        assert!(matches!((read, simplified), (Cow::Borrowed("Refund"), Some(Cow::Borrowed("Refund")))));
        let (read, simplified) = read_for_scan("還沒到賬 REFUND", false);
        assert!(matches!(read, Cow::Borrowed(_)));
        assert_eq!(simplified.as_deref(), Some("还没到账 REFUND"));
        let (read, simplified) = read_for_scan("還沒到賬 ÄNDERUNG", false);
        assert_eq!((read.as_ref(), simplified), ("還沒到賬 änderung", None));
    }

    #[test]
    fn chinese_typed_a_character_at_a_time_is_read_joined_up() {
        let join = |text: &str| join_spaced_characters(text);
        assert_eq!(join("退 款 还 没 到").as_deref(), Some("退款还没到"));
        assert_eq!(join("手续 费 怎么 算？").as_deref(), Some("手续费怎么算？"));
        assert_eq!(join("帳 號 被 鎖了 help").as_deref(), Some("帳號被鎖了 help"));
        assert_eq!(join("你好，提 現 一 直 失 敗").as_deref(), Some("你好，提現一直失敗"));
        for kept in
            ["方便問一下 信用卡的那張不能用了", "退款 还没到", "refund not here", "我的 ATM 卡", "退款  还"]
        {
            assert_eq!(join(kept), None, "{kept}");
        }
        assert_eq!(
            join("我想问 退 款 的事 你们好").as_deref(),
            Some("我想问退款的事你们好"),
            "a stretch with one character alone is joined whole"
        );
    }
}
