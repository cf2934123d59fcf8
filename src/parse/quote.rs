//! Parse stage, quotes: splits what the customer wrote now from quoted history and
//! signatures, so that a reply quoting our own answer is classified by its new words.
//!
//! Recognised markers: `>` lines; `On ... wrote:`; `-----Original Message-----`; Outlook's
//! `From: ... Sent: ...` header blocks and their Chinese form `发件人: ... 发送时间: ...`;
//! `在 ... 写道:` / `於 ... 寫道:`; QQ Mail's `------------------ 原始邮件 ------------------`;
//! `-----原始邮件-----`; `--- 回复邮件 ---`; the `-- ` signature delimiter; and "Sent from my
//! iPhone" / `发自我的iPhone` style footers.

use std::sync::LazyLock;

use regex::Regex;

/// A body split into the new text and everything else.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split {
    pub new_text: String,
    pub quoted: String,
}

/// Splits `body` at the first quote or signature marker; stray `>` lines before it are
/// quoted too. Lines after the marker are not looked at: the history is kept as written.
pub fn split(body: &str) -> Split {
    // Each line goes in with a `\n` after it, the last one too: one byte more than `body`.
    let (mut new_text, mut quoted) = (String::with_capacity(body.len() + 1), String::new());
    let mut cut = body.len();
    let mut offset = 0;
    for line_with_end in body.split_inclusive('\n') {
        let line = line_with_end.strip_suffix('\n').unwrap_or(line_with_end);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let following = &body[offset + line_with_end.len()..];
        if starts_history(line, following) {
            cut = offset;
            break;
        }
        push_line(if is_quoted_line(line) { &mut quoted } else { &mut new_text }, line);
        offset += line_with_end.len();
    }
    if cut < body.len() {
        quoted.reserve(body.len() - cut + 1);
        push_line(&mut quoted, &body[cut..]);
    }
    Split { new_text: tidy(new_text), quoted: tidy(quoted) }
}

/// Appends `line` to `text`, a line below what it holds.
fn push_line(text: &mut String, line: &str) {
    text.push_str(line);
    text.push('\n');
}

/// The lines without the blank lines and spaces at either end.
fn tidy(mut text: String) -> String {
    text.truncate(text.trim_end().len());
    let start = text.len() - text.trim_start().len();
    text.drain(..start);
    text
}

fn is_quoted_line(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.starts_with('>') || trimmed.starts_with('＞')
}

/// Whether quoted history or a signature starts at `line`; `following` is the text after it.
fn starts_history(line: &str, following: &str) -> bool {
    if line == "-- " || line == "--" {
        return true;
    }
    let trimmed = line.trim();
    if !could_be_a_marker(trimmed) {
        return false;
    }
    if SEPARATORS.is_match(trimmed) || FOOTERS.is_match(trimmed) {
        return true;
    }
    if wrote_line(trimmed, following) {
        return true;
    }
    header_block(trimmed, following)
}

/// How every marker but `… 写道：` starts (in any case): a cheap test before the regexes.
const MARKER_STARTS: &[&str] =
    &["--", "__", "sent", "get", "on", "from", "*", "发", "從", "在", "於", "寄", "發"];

/// A cheap test that rules out most lines before the marker regexes run: every marker
/// starts as in [`MARKER_STARTS`], or (`… 写道：`) ends with `写道` / `寫道` and a colon.
fn could_be_a_marker(trimmed: &str) -> bool {
    let starts = |prefix: &&str| trimmed.get(..prefix.len()).is_some_and(|s| s.eq_ignore_ascii_case(prefix));
    // The first bytes of MARKER_STARTS (0xE5..=0xE7 begin the Chinese ones in UTF-8).
    let first_fits = trimmed.bytes().next().is_some_and(|b| {
        matches!(b.to_ascii_lowercase(), b'-' | b'_' | b's' | b'g' | b'o' | b'f' | b'*' | 0xe5..=0xe7)
    });
    let without_colon = trimmed.trim_end_matches([':', '：']);
    first_fits && MARKER_STARTS.iter().any(starts)
        || without_colon.ends_with("写道")
        || without_colon.ends_with("寫道")
}

/// `On Mon, 1 Jan 2026, X <x@y> wrote:` and `在 2026年1月1日, X 写道:`, which clients
/// sometimes wrap over two lines.
fn wrote_line(line: &str, following: &str) -> bool {
    if WROTE.is_match(line) {
        return true;
    }
    let Some(next) = following.lines().next() else {
        return false;
    };
    let wraps = line.starts_with("On ") || line.starts_with('在') || line.starts_with('於');
    wraps && WROTE.is_match(&format!("{line} {}", next.trim()))
}

/// Outlook-style header blocks: a `From:` line followed within four lines by `Sent:` or
/// `Date:` (or the Chinese `发件人:` with `发送时间:` / `日期:`).
fn header_block(line: &str, following: &str) -> bool {
    FROM_LINE.is_match(line) && following.lines().take(4).any(|l| SENT_LINE.is_match(l.trim()))
}

static SEPARATORS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^(
            -{2,}\s*original\s+message\s*-{2,}
          | -{2,}\s*forwarded\s+message\s*-{2,}
          | -{2,}\s*(原始邮件|原始郵件|回复邮件|回覆郵件|回復郵件|转发邮件|轉寄郵件)\s*-{2,}
          | _{10,}
        )$",
    )
    .expect("separator regex")
});

static FOOTERS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^(
            sent\s+from\s+my\s+\S+.*
          | get\s+outlook\s+for\s+\S+.*
          # iOS Mail writes `发自我的 iPhone` with a space, QQ Mail `发自我的iPhone` without.
          | 发自我的\s*\S+
          | 從我的\s*\S+\s*傳送
          | 发自\s*(网易邮箱大师|QQ邮箱|手机QQ邮箱|Outlook)\S*
        )$",
    )
    .expect("footer regex")
});

static WROTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(on\s.{4,}\swrote:?|在.{2,}写道[:：]?|於.{2,}寫道[:：]?|.{2,}\s(写道|寫道)[:：])$")
        .expect("wrote regex")
});

static FROM_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\*?(From|发件人|寄件者|發件人)\*?\s*[:：]").expect("from regex"));

static SENT_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\*?(Sent|Date|发送时间|日期|時間|傳送時間|寄件日期|发送日期)\*?\s*[:：]")
        .expect("sent regex")
});

#[cfg(test)]
mod tests {
    use super::*;

    fn new_text(body: &str) -> String {
        split(body).new_text
    }

    #[test]
    fn marker_starts_begin_with_the_bytes_tested_first() {
        for start in MARKER_STARTS {
            assert!(could_be_a_marker(start), "{start}");
            assert!(could_be_a_marker(&start.to_uppercase()), "{start}");
        }
        assert!(!could_be_a_marker("您好") && !could_be_a_marker("Hello"));
    }

    #[test]
    fn angle_bracket_lines() {
        assert_eq!(new_text("Still nothing.\n> Please check spam\n> Thanks"), "Still nothing.");
    }

    #[test]
    fn on_date_wrote() {
        let body = "Refund still missing.\n\nOn Fri, 20 Nov 2026, Support <s@x> wrote:\nold";
        assert_eq!(new_text(body), "Refund still missing.");
    }

    #[test]
    fn on_wrote_wrapped_over_two_lines() {
        let body = "Thanks\nOn Fri, 20 Nov 2026 at 10:02, OKPay Support\n<s@x> wrote:\nold";
        assert_eq!(new_text(body), "Thanks");
    }

    #[test]
    fn outlook_original_message() {
        let body = "New words\n-----Original Message-----\nFrom: a\nSent: b\nold";
        assert_eq!(new_text(body), "New words");
    }

    #[test]
    fn outlook_from_sent_block() {
        let body =
            "Please hurry\n\nFrom: OKPay Support <support@x>\nSent: Friday\nTo: me\nSubject: x\n\nold text";
        let s = split(body);
        assert_eq!(s.new_text, "Please hurry");
        assert!(s.quoted.contains("old text"));
    }

    #[test]
    fn chinese_wrote_marker() {
        let body = "退款还没到,麻烦再查一下。\n\n在 2026年11月20日 星期五 10:02, OKPay客服 <support@example.test> 写道:\n> 您好";
        assert_eq!(new_text(body), "退款还没到,麻烦再查一下。");
    }

    #[test]
    fn traditional_wrote_marker() {
        let body = "還是沒收到\n於 2026年11月20日 客服 寫道：\n舊內容";
        assert_eq!(new_text(body), "還是沒收到");
    }

    #[test]
    fn qq_mail_original() {
        let body = "还是不行\n------------------ 原始邮件 ------------------\n发件人: x\n旧内容";
        assert_eq!(new_text(body), "还是不行");
    }

    #[test]
    fn netease_original() {
        assert_eq!(new_text("好的\n-----原始邮件-----\n旧"), "好的");
    }

    #[test]
    fn chinese_outlook_header_block() {
        let body = "请尽快处理\n发件人: OKPay客服\n发送时间: 2026年11月20日\n收件人: 我\n旧";
        assert_eq!(new_text(body), "请尽快处理");
    }

    #[test]
    fn reply_mail_separator() {
        assert_eq!(new_text("收到\n--- 回复邮件 ---\n旧"), "收到");
    }

    #[test]
    fn signature_delimiter() {
        let s = split("Hello\n-- \nJohn Smith\nACME");
        assert_eq!(s.new_text, "Hello");
        assert_eq!(s.quoted, "-- \nJohn Smith\nACME");
    }

    #[test]
    fn mobile_footers() {
        assert_eq!(new_text("Help\n\nSent from my iPhone"), "Help");
        assert_eq!(new_text("帮帮我\n\n发自我的iPhone"), "帮帮我");
    }

    #[test]
    fn regression_iphone_zh_footer_with_a_space() {
        let s = split("帮帮我\n\n发自我的 iPhone");
        assert_eq!(s.new_text, "帮帮我");
        assert_eq!(s.quoted, "发自我的 iPhone");
    }

    #[test]
    fn text_without_markers_is_all_new() {
        assert_eq!(new_text("From now on I want a refund."), "From now on I want a refund.");
    }
}
