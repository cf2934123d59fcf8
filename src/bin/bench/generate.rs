//! `generate N OUTDIR`: customer mail as a support desk receives it (three languages, five
//! charsets, HTML-only mail, attachments, quoted follow-ups), each mail marked with the
//! category the generator meant. `growth-db` builds its pool from the same mail.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use super::mime::{Charset, PushStr, base64_lines, encoded_word, text_part};
use super::rng::Rng;
use super::topics::{CATEGORY_NAMES, DOMAINS, EN_NAMES, HANS_NAMES, HANT_NAMES, MAILERS, TOPICS};
use super::{Options, USAGE, mb, number};

/// The header in generated mails that names the category the generator meant.
pub const EXPECTED_HEADER: &str = "X-Bench-Category";

/// The language a generated customer writes in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    Hans,
    Hant,
    En,
}

pub fn generate(opts: &Options) -> Result<(), String> {
    let (Some(n), Some(out)) = (opts.positional.get(1), opts.positional.get(2)) else {
        return Err(format!("generate needs N and OUTDIR\n{USAGE}"));
    };
    let n = number(n)?;
    let out = PathBuf::from(out);
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut rng = Rng::new(opts.seed);
    let mut bytes = 0;
    let start = Instant::now();
    let written = opts.today.then(|| jiff::Zoned::now().date());
    for i in 0..n {
        let mail = customer_mail_on(&mut rng, i, written);
        bytes += mail.len();
        let path = out.join(format!("{i:06}.eml"));
        std::fs::write(&path, mail).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    println!(
        "generated {n} mails ({:.1} MB) into {} in {:.1} s (seed {})",
        mb(bytes),
        out.display(),
        start.elapsed().as_secs_f64(),
        opts.seed
    );
    Ok(())
}

/// One customer mail, CRLF line ends, written in November 2026.
pub fn customer_mail(rng: &mut Rng, i: usize) -> Vec<u8> {
    customer_mail_on(rng, i, None)
}

/// One customer mail, CRLF line ends, written on `day` (or in November 2026).
pub fn customer_mail_on(rng: &mut Rng, i: usize, day: Option<jiff::civil::Date>) -> Vec<u8> {
    let lang = match rng.below(100) {
        0..40 => Lang::Hans,
        40..65 => Lang::Hant,
        _ => Lang::En,
    };
    let li = match lang {
        Lang::Hans => 0,
        Lang::Hant => 1,
        Lang::En => 2,
    };
    let category = rng.below(TOPICS.len());
    let topic = &TOPICS[category];
    let charset = match lang {
        Lang::Hans => [Charset::Utf8Base64, Charset::Gb2312Base64, Charset::Gb2312EightBit, Charset::Utf8Qp]
            [rng.below(4)],
        Lang::Hant => [Charset::Big5Qp, Charset::Big5Qp, Charset::Utf8Base64][rng.below(3)],
        Lang::En => [Charset::Ascii, Charset::Ascii, Charset::Utf8Qp][rng.below(3)],
    };
    let html_only = rng.chance(15);
    let attachment = rng.chance(30);
    let follow_up = rng.chance(30);

    let name = match lang {
        Lang::Hans => rng.pick(&HANS_NAMES).to_string(),
        Lang::Hant => rng.pick(&HANT_NAMES).to_string(),
        Lang::En => rng.pick(&EN_NAMES).to_string(),
    };
    let local = format!("user{}", rng.below(5000));
    let address = format!("{local}@{}", rng.pick(&DOMAINS));
    let ticket = 1000 + rng.below(9000);
    let mut subject = rng.pick(topic.subjects[li]).to_string();
    if follow_up {
        subject = match lang {
            Lang::En => format!("Re: {subject} [#{ticket}]"),
            _ if rng.chance(50) => format!("回复: {subject} [#{ticket}]"),
            _ => format!("Re: {subject} [#{ticket}]"),
        };
    }

    // The body: greeting, what happened, the details support asks for, a sign-off.
    let mut lines: Vec<String> = Vec::new();
    lines.push(match lang {
        Lang::Hans => "您好，".into(),
        Lang::Hant => "您好：".into(),
        Lang::En => rng.pick(&["Hello,", "Hi,", "Dear support team,"]).to_string(),
    });
    lines.push(String::new());
    let sentences = topic.sentences[li];
    let first = rng.below(sentences.len());
    lines.push(sentences[first].to_string());
    if rng.chance(50) {
        lines.push(sentences[(first + 1) % sentences.len()].to_string());
    }
    let txid = format!("T{}{:08}", 2026, rng.below(100_000_000));
    let amount = format!("{}.{:02}", 10 + rng.below(5000), rng.below(100));
    lines.push(match lang {
        Lang::Hans => format!("我的账号是 {address}，交易号 {txid}，金额 ￥{amount}。"),
        Lang::Hant => format!("我的帳號是 {address}，交易編號 {txid}，金額 NT${amount}。"),
        Lang::En => format!("My account is {address}, transaction id {txid}, amount ${amount}."),
    });
    if rng.chance(40) {
        lines.push(match lang {
            Lang::Hans => "麻烦尽快处理，谢谢！".into(),
            Lang::Hant => "麻煩盡快處理，謝謝！".into(),
            Lang::En => "Thanks in advance for your help.".into(),
        });
    }
    if attachment {
        lines.push(match lang {
            Lang::Hans => "截图见附件。".into(),
            Lang::Hant => "截圖請見附件。".into(),
            Lang::En => "Please find the screenshot attached.".into(),
        });
    }
    lines.push(String::new());
    lines.push(name.clone());
    if rng.chance(20) {
        lines.push(String::new());
        lines.push(match lang {
            Lang::Hans => "发自我的iPhone".into(),
            Lang::Hant => "從我的 iPhone 傳送".into(),
            Lang::En => "Sent from my iPhone".into(),
        });
    }
    if follow_up {
        lines.push(String::new());
        lines.extend(quoted_history(rng, lang, ticket));
    }
    let text = lines.join("\r\n") + "\r\n";

    let mut head = String::new();
    let received_host = rng.below(200);
    let _ = write!(
        head,
        "Return-Path: <{address}>\r\nReceived: from mx{received_host}.{domain} (mx{received_host}.{domain} [198.51.100.{received_host}])\r\n\tby mail.example.test (Postfix) with ESMTPS id {id:X}\r\n\tfor <support@example.test>; {date}\r\n",
        domain = address.split('@').nth(1).unwrap_or("x"),
        id = rng.next() & 0xFF_FFFF_FFFF,
        date = date(rng, i, day)
    );
    let from = match lang {
        Lang::En => format!("{name} <{address}>"),
        _ => format!("{} <{address}>", encoded_word(&name, charset)),
    };
    let subject_header = if subject.is_ascii() { subject.clone() } else { encoded_word(&subject, charset) };
    let _ = write!(
        head,
        "From: {from}\r\nTo: OKPay Support <support@example.test>\r\nSubject: {subject_header}\r\nDate: {}\r\nMessage-ID: <{:016x}.{i}@{}>\r\n",
        date(rng, i, day),
        rng.next(),
        address.split('@').nth(1).unwrap_or("x")
    );
    if follow_up {
        let ours = format!("{:032x}@example.test", u128::from(rng.next()) << 64 | u128::from(rng.next()));
        let theirs = format!("{:016x}@{}", rng.next(), address.split('@').nth(1).unwrap_or("x"));
        let _ = write!(head, "In-Reply-To: <{ours}>\r\nReferences: <{theirs}>\r\n <{ours}>\r\n");
    }
    if rng.chance(60) {
        let _ = write!(head, "X-Mailer: {}\r\n", rng.pick(&MAILERS));
    }
    // What the generator meant, so that `corpus` can say how many the default rules agree on.
    let _ = write!(head, "{EXPECTED_HEADER}: {}\r\n", CATEGORY_NAMES[category]);
    head.push_str("MIME-Version: 1.0\r\n");

    let body_part = if html_only {
        let html = html_of(&lines, lang);
        text_part("html", &html, charset)
    } else {
        text_part("plain", &text, charset)
    };
    let mut mail = head.into_bytes();
    if attachment {
        let boundary = format!("----=_Part_{}_{:x}", i, rng.next());
        let _ = write!(
            PushStr(&mut mail),
            "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\nThis is a multi-part message in MIME format.\r\n\r\n--{boundary}\r\n"
        );
        mail.extend_from_slice(&body_part);
        let (file, mime, data) = attachment_bytes(rng);
        let _ = write!(
            PushStr(&mut mail),
            "\r\n--{boundary}\r\nContent-Type: {mime}; name=\"{file}\"\r\nContent-Disposition: attachment; filename=\"{file}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--{boundary}--\r\n",
            base64_lines(&data)
        );
    } else {
        mail.extend_from_slice(&body_part);
    }
    mail
}

/// A `Date` field's value: on `written`, or on one of November 2026's days (400 mails a day).
fn date(rng: &mut Rng, i: usize, written: Option<jiff::civil::Date>) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let on = written.unwrap_or_else(|| jiff::civil::date(2026, 11, (1 + (i / 400) % 28) as i8));
    format!(
        "{}, {} {} {} {:02}:{:02}:{:02} +0800",
        DAYS[on.weekday().to_monday_zero_offset() as usize],
        on.day(),
        MONTHS[on.month() as usize - 1],
        on.year(),
        rng.below(24),
        rng.below(60),
        rng.below(60)
    )
}

/// The quoted history of a follow-up: our earlier answer, quoted the way mail clients do.
fn quoted_history(rng: &mut Rng, lang: Lang, ticket: usize) -> Vec<String> {
    let ours = match lang {
        Lang::Hans => vec![
            "尊敬的客户，您好：".to_string(),
            format!("感谢您联系OKPay客服（工单号：{ticket}）。我们已收到您的邮件，"),
            "客服人员将在24小时内回复您。请回复本邮件并保留主题中的工单号。".to_string(),
            "我们绝不会向您索取密码或验证码。".to_string(),
        ],
        Lang::Hant => vec![
            "親愛的客戶，您好：".to_string(),
            format!("感謝您聯絡OKPay客服（工單號：{ticket}）。我們已收到您的郵件，"),
            "客服人員將在24小時內回覆您。".to_string(),
            "我們絕不會向您索取密碼或驗證碼。".to_string(),
        ],
        Lang::En => vec![
            "Dear customer,".to_string(),
            format!("Thank you for writing to OKPay Support. We have opened ticket number {ticket}"),
            "and a member of our team will answer within 24 hours.".to_string(),
            "We will never ask for your password or a verification code.".to_string(),
        ],
    };
    let mut out = Vec::new();
    match (lang, rng.below(3)) {
        (Lang::En, 0) => {
            out.push("On Fri, 20 Nov 2026 at 10:02, OKPay Support <support@example.test> wrote:".into())
        }
        (Lang::En, 1) => out.extend([
            "-----Original Message-----".to_string(),
            "From: OKPay Support <support@example.test>".into(),
            "Sent: Friday, November 20, 2026 10:02 AM".into(),
            "Subject: Your request".into(),
            String::new(),
        ]),
        (Lang::Hans, 0) => {
            out.push("在 2026年11月20日 10:02，OKPay Support <support@example.test> 写道：".into())
        }
        (Lang::Hans, 1) => out.push("------------------ 原始邮件 ------------------".into()),
        (Lang::Hant, 0) => {
            out.push("於 2026年11月20日 上午10:02，OKPay Support <support@example.test> 寫道：".into())
        }
        (Lang::Hant, 1) => out.push("-----原始郵件-----".into()),
        (Lang::Hant, _) => {
            out.push("寄件者: OKPay Support <support@example.test>".into());
            out.push("寄件日期: 2026年11月20日 上午 10:02".into());
            out.push("收件者: customer".into());
            out.push(String::new());
        }
        _ => {
            out.push("发件人: OKPay Support <support@example.test>".into());
            out.push("发送时间: 2026年11月20日 10:02".into());
            out.push("收件人: customer".into());
            out.push(String::new());
        }
    }
    let quote_marks = out.len() == 1;
    out.extend(ours.into_iter().map(|l| if quote_marks { format!("> {l}") } else { l }));
    out
}

fn html_of(lines: &[String], lang: Lang) -> String {
    let mut html = String::from("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html\">");
    html.push_str("<style>p{margin:0}</style></head><body>\r\n<div style=\"font-family:");
    html.push_str(if lang == Lang::En { "Arial\">\r\n" } else { "微软雅黑\">\r\n" });
    for line in lines {
        if line.is_empty() {
            html.push_str("<div><br></div>\r\n");
        } else {
            let escaped = line.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
            let _ = write!(html, "<div>{escaped}</div>\r\n");
        }
    }
    html.push_str("</div></body></html>\r\n");
    html
}

fn attachment_bytes(rng: &mut Rng) -> (String, &'static str, Vec<u8>) {
    let size = 1024 + rng.below(5 * 1024);
    if rng.chance(50) {
        let mut data =
            b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n".to_vec();
        data.extend(rng.bytes(size));
        data.extend_from_slice(b"\n%%EOF\n");
        (format!("receipt-{}.pdf", rng.below(100_000)), "application/pdf", data)
    } else {
        let mut data = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x02\x80\0\0\x01\xe0\x08\x06\0\0\0".to_vec();
        data.extend(rng.bytes(size));
        data.extend_from_slice(b"\0\0\0\0IEND\xaeB`\x82");
        (format!("screenshot_{}.png", rng.below(100_000)), "image/png", data)
    }
}
