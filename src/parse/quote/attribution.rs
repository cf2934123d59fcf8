//! Parse stage, quotes: attribution lines, the line a mail client writes above the text it
//! quotes (`On … wrote:`, `Am … schrieb:`, `X 于<date>写道：`, Gmail's verbless `<date> X <x@y>:`,
//! Zoho's dashed form), on one line or wrapped and broken over several.

use std::sync::LazyLock;

use regex::Regex;

use super::{is_blank, is_quoted_line};

/// `On Mon, 1 Jan 2026, X <x@y> wrote:` and its forms in other languages, on one line (or
/// between Zoho's dashes) or wrapped over two or three, after its `On`/`Am`/`在` start or where
/// [`breaks_inside_attribution`] sees the break: how many lines it takes.
pub(super) fn attribution(lines: &[&str], i: usize) -> Option<usize> {
    let line = lines[i].trim();
    if ends_like_attribution(line) && is_attribution(line, lines, i + 1) {
        return Some(1);
    }
    if dashed_attribution(line, lines, i + 1) || dated_address_above_quote(line, lines, i + 1) {
        return Some(1);
    }
    // Lotus Notes runs the quoted mail's first words onto its attribution line.
    if line.contains("---") && NOTES_ATTRIBUTION.is_match(line) {
        return Some(1);
    }
    let wraps = line.as_bytes().first().is_some_and(|b| b"oOaAlLeEiIdDwWpPvVmM".contains(b))
        || line.starts_with(['在', '於', 'Σ', 'σ', 'เ']);
    let breaks = lines.get(i + 1).is_some_and(|next| breaks_inside_attribution(line, next.trim()));
    if !wraps && !breaks {
        return None;
    }
    for extra in 1..=2 {
        let next = lines.get(i + extra)?.trim();
        if next.is_empty() {
            return None;
        }
        // The cheap test on the wrapped end first: most lines that start like `On` are not.
        if ends_like_attribution(next)
            && (breaks || WRAP_START.is_match(line))
            && is_attribution(&joined(&lines[i..=i + extra]), lines, i + extra + 1)
        {
            return Some(extra + 1);
        }
    }
    None
}

/// The lines of a wrapped attribution as one: joined by a space, except after an opening `<`
/// or `(` where the client broke the address.
fn joined(lines: &[&str]) -> String {
    let mut out = String::new();
    for line in lines.iter().map(|l| l.trim()) {
        if !out.is_empty() && !out.ends_with(['<', '(']) {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

/// Whether `line` ends as every attribution does: with a colon, `wrote` or `写道`.
fn ends_like_attribution(line: &str) -> bool {
    let end = line.len().saturating_sub(5);
    line.ends_with([':', '：'])
        || line.get(end..).is_some_and(|e| e.eq_ignore_ascii_case("wrote"))
        || line.ends_with("写道")
        || line.ends_with("寫道")
}

/// Whether a client broke an attribution between `line` and `next` where no `On`/`Am`/`在`
/// start tells it: inside the address (Gmail leaves `Name <` above the address), before an
/// address that starts the next line under a dated line (`pe 20. lokakuuta 2017 klo 17.50
/// John Coe` / `<j@x> kirjoitti:`), or, in Chinese, inside the date after the address
/// (`张三 <a@b.c> 于2026年12月1日` / `周二 10:00写道：`), where the short end alone would leave
/// the start in the new text. The digits of a date or a time must be on the side that lacks
/// them in a customer's own "他在邮件里写道：".
fn breaks_inside_attribution(line: &str, next: &str) -> bool {
    let digit = |text: &str| text.bytes().any(|b| b.is_ascii_digit());
    // The verb alone on the next line, under a dated line with the writer's address (Gmail's
    // Turkish `X <x@y>, 1 Ara 2026 Sal, 15:04 tarihinde` / `şunu yazdı:`).
    let verb_below = || {
        line.contains('@')
            && (TIME_OF_DAY.is_match(line) || TIME_OF_DAY.is_match(next))
            && next.chars().count() <= 30
            && next.chars().all(|c| (c as u32) < 0x2E80)
            && ends_like_attribution(next)
    };
    verb_below()
        || line.ends_with(['<', '('])
        || (next.starts_with(['<', '(']) && next.contains('@') && digit(line))
        || (next.ends_with(['：', ':'])
            && (next.contains("写道") || next.contains("寫道"))
            && !next.starts_with(['在', '於'])
            && next.chars().count() <= 20
            && digit(next)
            && line.contains('<')
            && line.contains('@')
            && line.contains('>'))
}

/// A time of day (`15:04`).
static TIME_OF_DAY: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d{1,2}:\d{2}").expect("time regex"));

/// Zoho Mail's attribution between dashes, without a colon: `---- On Wed, 24 Feb 2026
/// 14:02:50 +0800 a@b.c wrote ----`.
fn dashed_attribution(line: &str, lines: &[&str], after: usize) -> bool {
    if !line.starts_with("--") || !line.ends_with("--") {
        return false;
    }
    let inner = line.trim_matches(|c: char| c == '-' || c.is_whitespace());
    let inner = inner.trim_end_matches([':', '：']);
    !inner.is_empty() && is_attribution(&format!("{inner}:"), lines, after)
}

/// Gmail's old attribution in many languages, a date, the writer and the address without a
/// time or a colon (`2026/12/2 OKPay Support <support@example.test>`): only right above quoted
/// lines, where nothing of the customer's can be lost.
fn dated_address_above_quote(line: &str, lines: &[&str], after: usize) -> bool {
    line.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && line.trim_end_matches([':', '：']).ends_with('>')
        && DATE_NAME_ADDRESS.is_match(line)
        && (after..lines.len()).find(|&j| !is_blank(lines[j])).is_some_and(|j| is_quoted_line(lines[j]))
}

/// Whether `line` is an attribution; `after` is the line that follows it. Besides its form
/// (`On … wrote:`, `Am … schrieb …:`, `X 写道：`, or a dated line that ends in the writer's
/// address, see [`DATED_ADDRESS`] …) it needs a digit or an address in it (a date, the
/// writer's address) or quoted lines below, as a customer may write "your colleague wrote:"
/// or "On Monday I wrote:" above their own words.
fn is_attribution(line: &str, lines: &[&str], after: usize) -> bool {
    if !WROTE_FULL.is_match(line) && !WROTE_END.is_match(line) && !DATED_ADDRESS.is_match(line) {
        return false;
    }
    // "On Monday I wrote:" or "On Nov 24 your agent wrote:" followed by the customer's own
    // words is no attribution.
    let next = (after..lines.len()).find(|&j| !is_blank(lines[j]));
    dated_or_addressed(line) || next.is_some_and(|j| is_quoted_line(lines[j]))
}

/// Whether `line` holds what a client's attribution has and a customer's "on Nov 24 your
/// agent wrote:" has not: an address, a year (`2026`), a time of day (`15:04`, `15.04`) or a
/// date in figures (`12/1/26`).
fn dated_or_addressed(line: &str) -> bool {
    let bytes = line.as_bytes();
    let digits_at = |from: usize| bytes[from..].iter().take_while(|b| b.is_ascii_digit()).count();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'@' {
            return true;
        }
        let run = digits_at(i);
        if run == 0 {
            i += 1;
            continue;
        }
        let year = run == 4 && matches!(&bytes[i..i + 2], b"19" | b"20");
        let joined = |seps: &[u8]| {
            bytes.get(i + run).is_some_and(|b| seps.contains(b))
                && (1..=4).contains(&digits_at((i + run + 1).min(bytes.len())))
        };
        if year || (run <= 2 && joined(b":./-")) {
            return true;
        }
        i += run;
    }
    false
}

/// Attributions recognised by their start and their end.
static WROTE_FULL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^(?:
            on\s.{4,}\s?wrote:?
          | am\s.{4,}\sschrieb.*[:：]
          | le\s.{4,}\sa\s+écrit\s*[:：]
          | el\s.{4,}\s(escribió|escribio)\s*[:：]
          | il\s.{4,}\sha\s+scritto\s*[:：]
          | op\s.{4,}\sschreef.*[:：]
          | em\s.{4,}\sescreveu\s*[:：]
          | den\s.{4,}\sskrev.*[:：]
          | w\s+dniu\s.{4,}\s(pisze|napisał|napisała)\s*[:：]
          | 在.{2,}(写道|寫道)\s*[:：]?
          | 於.{2,}(写道|寫道)\s*[:：]?
          | missatge\s+de\s.{4,}\sdel\s+dia\s.*[:：]
          | (quoting|zitat\s+von|citation\s+de|citando\s+a|cytuję)\s.{2,}[:：]
        )$",
    )
    .expect("wrote regex")
});

/// Attributions recognised by their end only: `X wrote:`, `X schrieb:`, `X 写道：`, the verbs
/// of the other languages Thunderbird, Gmail and Apple Mail write (`X napisał(a):`, `X ha
/// escrit:`, `X 작성:` …), and `X wrote on 01/12/2026 10:02:`, Thunderbird's `X 写于
/// 2026/12/1 10:02:` or Apple Mail's Finnish `X kirjoitti 2.12.2026 kello 10.02:` (with a time
/// of day, which "I wrote on Monday:" has not).
static WROTE_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^.{2,}(
            \swrote\s+on\s.*\d{1,2}:\d{2}.* | 写于.*\d{1,2}:\d{2}.*
          | \skirjoitti\s.*\s(?:kello|klo)\s+\d{1,2}[.:]\d{2}.*
          | \swrote | \sschrieb | \sa\s+écrit | \sescribió | \sha\s+escrito | \sha\s+scritto | \sschreef
          | \sescreveu | \sescribiu | \sha\s+escrit | \sskrev | \sskreiv | \spisze
          | \snapisał(a|\(a\))? | \snapsal(a|\(a\))? | \snapísal(a|\(a\))? | \sje\s+napisal(a|\(a\))?
          | \sнаписал(а|\(а\))? | \sнаписав(ла|\(ла\))? | \sнаписала | \sнаписа | \sпишет | \sпише | \skirjoitti | \skirjutas | \sírta
          | \sέγραψε | \sđã\s+viết | เขียนว่า | \smenulis
          | \srašė | \sa\s+scris | \syazdı | \sírta\s*\(időpont:.*\) | \s작성 | 쓴\s*글 | 写道 | 寫道 | 書きました | のメッセージ
          | \sने\s+लिखा | \sنوشت
          | \d{1,2}:\d{2}.*\s(?:by|von|de|par|da|door|av|od)\s+[^\s@]+@[^\s@]+
          | \swrites | <[^<>\s]+@[^<>\s]+>\s*\[[^\]]*\d{1,2}:\d{2}[^\]]*\]
        )\s*[:：]$",
    )
    .expect("wrote-end regex")
});

/// Lotus Notes' attribution, with the quoted mail's first words after it on the same line:
/// `X ---07/04/2026 02:22:10 PM---Dear David,`.
static NOTES_ATTRIBUTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\S.*\s---\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]m)?---")
        .expect("notes attribution regex")
});

/// Attributions without a verb: a line with a date (a year and a time of day) that ends in
/// the writer's address and a colon, as Gmail wrote them in many languages and still does in
/// some (`2026-12-01 10:00 GMT+08:00 张三 <a@b.c>:`, `ср, 2 дек. 2026 г. в 10:00, Иван
/// <a@b.c>:`, `tir. 1. des. 2026 kl. 10:00 skrev Ola <a@b.c>:`), and Yandex, Mail.ru and
/// other webmails (`01.12.2026, 10:00, "Ivan" <a@b.c>:`).
static DATED_ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)^.*?(?:
            (?:19|20)\d{2}\D.*?\d{1,2}[:.]\d{2}
          | \d{1,2}[:.]\d{2}\D.*?(?:19|20)\d{2}
        ).*<[^<>\s]+@[^<>\s]+>\s*[:：]$",
    )
    .expect("dated address regex")
});

/// A date (`2026/12/2`, `2026-12-02`, `2.12.2026`), a name and an address: see
/// [`dated_address_above_quote`].
static DATE_NAME_ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:(?:19|20)\d{2}[/.-]\d{1,2}[/.-]\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)\d{2})\s+\S.*<[^<>\s]+@[^<>\s]+>\s*[:：]?$",
    )
    .expect("date name address regex")
});

/// How an attribution that clients wrap over lines starts.
static WRAP_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(on|am|le|el|il|op|em|den|w\s+dniu|dne|pada|vào|στις|missatge)\s|^[在於]|^เมื่อ")
        .expect("wrap regex")
});

#[cfg(test)]
mod tests {
    use super::super::{split, tests::new_text};

    #[test]
    fn dated_attributions_that_end_in_the_address_without_a_verb() {
        for attribution in [
            "2026-12-01 10:00 GMT+08:00 OKPay客服 <support@example.test>:",
            "ср, 2 дек. 2026 г. в 10:00, Служба поддержки <support@example.test>:",
            "02.12.2026, 10:00, \"OKPay Support\" <support@example.test>:",
            "ons. 2. des. 2026 kl. 10:00 skrev OKPay Support <support@example.test>:",
            "2026年12月2日(水) 10:00 OKPayサポート <support@example.test>:",
            "Wednesday, 2 December 2026, 10:00 AM +0300 from support@example.test <support@example.test>:",
        ] {
            let body = format!("The card is still blocked.\n\n{attribution}\n\nPlease send us a photo.");
            assert_eq!(new_text(&body), "The card is still blocked.", "{attribution}");
        }
        // Without a time of day, or without a date, the line is the customer's.
        for own in [
            "I paid on 2026-12-01 and wrote to Billing <billing@example.test>:",
            "At 10:00 I wrote to Billing <billing@example.test>:",
        ] {
            let body = format!("{own}\nwhere is my refund?");
            assert_eq!(new_text(&body), body, "{own}");
        }
    }

    #[test]
    fn attribution_verbs_of_more_languages() {
        for attribution in [
            "Dnia 2 grudnia 2026 10:00 Obsługa <support@example.test> napisał(a):",
            "El 2/12/2026 a les 10:00, Suport <support@example.test> ha escrit:",
            "2026. 12. 2. 오전 10:00, 고객센터 <support@example.test> 작성:",
            "2 грудня 2026 р. о 10:00 <support@example.test> написав:",
            "Поддержка <support@example.test> написал(а):",
            "客服 写于 2026/12/2 10:00:",
            "Destek <support@example.test> yazdı:",
        ] {
            let body = format!("Still waiting.\n\n{attribution}\n> old answer");
            assert_eq!(new_text(&body), "Still waiting.", "{attribution}");
        }
    }

    #[test]
    fn apple_mail_finnish_attribution_with_the_date_after_the_verb() {
        for history in [
            "Asiakaspalvelu <support@example.test> kirjoitti 2.12.2026 kello 10.05:\n\n> Hei, mikä on tilausnumero?",
            "Asiakaspalvelu kirjoitti 02.12.2026 kello 10:05:\n\nHei, mikä on tilausnumero?",
        ] {
            let body = format!("Rahat eivät ole vieläkään tulleet.\n\n{history}");
            assert_eq!(new_text(&body), "Rahat eivät ole vieläkään tulleet.", "{history}");
        }
        // Without a time of day the line is the customer's.
        let own = "Asiakaspalvelu kirjoitti 2.12.2026:\nrahat tulevat viikossa, mutta mitään ei tullut.";
        assert_eq!(new_text(own), own);
    }

    #[test]
    fn gmails_old_dated_attribution_without_a_time_or_a_colon() {
        for attribution in [
            "2026/12/2 OKPay Support <support@example.test>",
            "2026-12-02 OKPay客服 <kefu@example.test>",
            "02.12.2026 OKPay Support via Help Desk <support@example.test>",
        ] {
            let body =
                format!("The card is still blocked.\n\n\n{attribution}\n\n> Please send us a photo.\n>");
            let s = split(&body);
            assert_eq!(s.new_text, "The card is still blocked.", "{attribution}");
            assert!(s.quoted.starts_with(attribution), "{attribution}");
        }
        // Not above quoted lines: the customer's line.
        let own = "The card is still blocked.\n2026/12/2 wrote to OKPay Support <support@example.test>\nno answer yet.";
        assert_eq!(new_text(own), own);
    }

    #[test]
    fn zoho_attribution_between_dashes() {
        let body = "The transfer failed again.\n\n---- On Wed, 02 Dec 2026 10:00:00 +0800 \
                    support@example.test wrote ----\n\nDear customer, please retry.";
        assert_eq!(new_text(body), "The transfer failed again.");
        let own = "---- my notes ----\nThe transfer failed again.";
        assert_eq!(new_text(own), own);
    }

    #[test]
    fn attributions_broken_where_no_on_starts_them() {
        for (attribution, why) in [
            (
                "OKPay客服 <\nsupport@example.test> 于2026年12月2日周三 10:00写道：",
                "Gmail zh-CN inside the address",
            ),
            (
                "2026-12-02 10:00 GMT+08:00 OKPay Support <\nsupport@example.test>:",
                "old Gmail inside the address",
            ),
            (
                "ke 2. joulukuuta 2026 klo 10.00 OKPay Support\n<support@example.test> kirjoitti:",
                "the address on the next line",
            ),
            (
                "OKPay客服 <support@example.test> 于2026年12月2日\n周三 10:00写道：",
                "Gmail zh-CN inside the date",
            ),
            (
                "OKPay Destek <support@example.test>, 2 Ara 2026 Çar, 10:00 tarihinde\nşunu yazdı:",
                "Gmail tr with the verb alone below",
            ),
        ] {
            let body = format!("提现还是没到账。\n\n{attribution}\n\n> 您好");
            let s = split(&body);
            assert_eq!(s.new_text, "提现还是没到账。", "{why}");
            assert!(s.quoted.starts_with(attribution.lines().next().unwrap()), "{why}: {:?}", s.quoted);
        }
        // The customer's last line above a whole attribution, or above their own "X wrote:",
        // stays theirs.
        let own = "我的邮箱 <me@example.cn>，订单 20261202\n客服在邮件里写道：\n请等待三天。";
        assert_eq!(new_text(own), own);
        let body =
            "我的订单号是 20261202\n在 2026年12月2日 10:00，客服 <support@example.test> 写道：\n> 您好";
        assert_eq!(new_text(body), "我的订单号是 20261202");
        let body = "Thanks a lot, order 4417\nOn Wed, 2 Dec 2026 at 10:00, Support <support@example.test> wrote:\n> Hi";
        assert_eq!(new_text(body), "Thanks a lot, order 4417");
    }

    #[test]
    fn chinese_clients_reply_headers() {
        let reply = "退款到现在还没到账，请再帮我看一下。";
        for (history, client) in [
            (
                "李客服 <kefu@example.test> 于2026年12月2日周三 10:00写道：\n\n> 您好，请提供订单号。",
                "Gmail zh-CN",
            ),
            ("李客服 <kefu@example.test> 於 2026年12月2日 週三 上午10:00寫道：\n\n> 您好", "Gmail zh-TW"),
            ("2026年12月2日 上午10:00，李客服 <kefu@example.test> 写道：\n\n> 您好", "Apple Mail zh"),
            (
                "------------------&nbsp;原始邮件&nbsp;------------------\n发件人: \"李客服\"<kefu@example.test>;\n\
                 发送时间: 2026年12月2日(星期三) 上午10:00\n收件人: \"我\"<me@example.cn>;\n主题: 回复：退款\n\n您好",
                "QQ Mail / Foxmail",
            ),
            (
                "在 2026-12-02 10:00:00，\"李客服\" <kefu@example.test> 写道：\n您好，请提供订单号。",
                "NetEase 163",
            ),
            ("在 2026-12-02 10:00:00，\"李客服\" <kefu@example.test> 写道：\n> 您好", "NetEase 163 quoted"),
            (
                "寄件者: 李客服 <kefu@example.test>\n寄件日期: 2026年12月2日 星期三 上午 10:00\n\
                 收件者: 我 <me@example.tw>\n主旨: 回覆: 退款\n\n您好",
                "Outlook zh-TW",
            ),
            ("-------- 原始消息 --------\n主题: 退款\n日期: 2026/12/2 10:00\n\n您好", "Thunderbird zh-CN"),
        ] {
            let s = split(&format!("{reply}\n\n{history}"));
            assert_eq!(s.new_text, reply, "{client}");
            assert!(s.quoted.contains("您好"), "{client}");
        }
    }
}
