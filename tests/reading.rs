//! Reading mail: charsets, text parts, attachments, quoted history and language, one small
//! mail per case in `fixtures/reading/` (CRLF line endings, as on the wire). Every field the
//! later stages use is asserted exactly; valid mail must decode without U+FFFD.

use deskmail::parse::{Attachment, Inbound, Language, parse};

fn read(case: &str) -> Inbound {
    let path = format!("{}/fixtures/reading/{case}.eml", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    parse(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// What one fixture must read as.
struct Expected<'a> {
    subject: &'a str,
    body: &'a str,
    new_text: &'a str,
    quoted_text: &'a str,
    charset: &'a str,
    lossy: bool,
    language: Language,
}

impl<'a> Expected<'a> {
    /// A mail that is all new text.
    fn plain(subject: &'a str, body: &'a str, charset: &'a str, language: Language) -> Self {
        Expected { subject, body, new_text: body, quoted_text: "", charset, lossy: false, language }
    }

    /// A reply: `new_text`, a blank line, then `quoted_text`.
    fn reply(subject: &'a str, body: &'a str, new_text: &'a str, quoted_text: &'a str) -> Self {
        Expected {
            subject,
            body,
            new_text,
            quoted_text,
            charset: "utf-8",
            lossy: false,
            language: Language::En,
        }
    }

    fn charset(self, charset: &'a str) -> Self {
        Expected { charset, ..self }
    }

    fn language(self, language: Language) -> Self {
        Expected { language, ..self }
    }

    #[track_caller]
    fn check(&self, mail: &Inbound) {
        assert_eq!(mail.subject, self.subject, "subject");
        assert_eq!(mail.body, self.body, "body");
        assert_eq!(mail.new_text, self.new_text, "new_text");
        assert_eq!(mail.quoted_text, self.quoted_text, "quoted_text");
        assert_eq!(mail.charset, self.charset, "charset");
        assert_eq!(mail.lossy, self.lossy, "lossy");
        assert_eq!(mail.language, self.language, "language");
        if !self.lossy {
            assert!(!format!("{}{}", mail.subject, mail.body).contains('\u{FFFD}'), "U+FFFD in valid mail");
        }
    }
}

// ---------------------------------------------------------------------------- decoding

#[test]
fn gb2312_label_gbk_bytes() {
    // 镕 and 堃 are GBK characters outside GB2312.
    let mail = read("gb2312-label-gbk-bytes");
    Expected::plain(
        "朱镕基的账户",
        "您好，我叫朱镕基，我的账户被锁定了。\n我儿子叫王堃，他的账户也一样。",
        "gb18030",
        Language::ZhHans,
    )
    .check(&mail);
    assert!(mail.attachments.is_empty());
}

#[test]
fn gbk_label() {
    Expected::plain(
        "银行卡转账失败",
        "我的银行卡转账失败了，错误码 E1024。\n请帮忙看一下，谢谢！",
        "gb18030",
        Language::ZhHans,
    )
    .check(&read("gbk-label"));
}

#[test]
fn gb18030_four_byte() {
    // 𠀀 (U+20000) is a four-byte GB18030 sequence; 䶮 (U+4DAE) is outside GBK.
    Expected::plain(
        "生僻字𠀀注册失败",
        "用户名：𠀀䶮\n我的名字里有生僻字，注册时显示乱码。",
        "gb18030",
        Language::ZhHans,
    )
    .check(&read("gb18030-four-byte"));
}

#[test]
fn big5_hkscs() {
    // 㗎 is 0x9D 0xEE, 嘅 0x9D 0xEF, 咗 0x9D 0xF7: HKSCS, in WHATWG Big5.
    Expected::plain(
        "帳戶係咪鎖咗㗎",
        "我嘅帳戶係咪俾人鎖咗㗎？\n請幫我查一查，唔該。",
        "big5",
        Language::ZhHant,
    )
    .check(&read("big5-hkscs"));
}

#[test]
fn iso_2022_jp() {
    Expected::plain(
        "パスワードを忘れました",
        "パスワードを忘れました。\nアカウントにログインできません。",
        "iso-2022-jp",
        Language::Other,
    )
    .check(&read("iso-2022-jp"));
}

#[test]
fn utf_7() {
    // encoding_rs has no UTF-7: mail-parser decodes it, for the body and the encoded subject.
    Expected::plain("账户", "您好，我的账户被锁定了。\nHi Mom -☺-!", "utf-7", Language::ZhHans)
        .check(&read("utf-7"));
}

#[test]
fn no_charset_utf8() {
    // Raw UTF-8 in the Subject too (RFC 6532).
    Expected::plain("退款没到", "退款还没到账，订单号 20261120。", "utf-8", Language::ZhHans)
        .check(&read("no-charset-utf8"));
}

#[test]
fn no_charset_gbk() {
    Expected::plain(
        "Account locked",
        "您好，我的账户被锁定了，请帮我解锁。\n我已经尝试重置密码三次，都没有收到验证码。谢谢！",
        "gb18030",
        Language::ZhHans,
    )
    .check(&read("no-charset-gbk"));
}

#[test]
fn wrong_label_latin1_but_utf8() {
    Expected::plain(
        "Refund for Cafe Zoe",
        "Hello, I paid 25 € at Café Zoë but the refund hasn't arrived — please check.",
        "utf-8",
        Language::En,
    )
    .check(&read("wrong-label-latin1-but-utf8"));
}

#[test]
fn wrong_label_latin1_but_gbk() {
    Expected::plain(
        "Account locked",
        "您好，我的账户被锁定了，请帮我解锁。\n我已经尝试重置密码三次，都没有收到验证码。谢谢！",
        "gb18030",
        Language::ZhHans,
    )
    .check(&read("wrong-label-latin1-but-gbk"));
}

#[test]
fn wrong_label_gb2312_but_utf8() {
    // These UTF-8 bytes are also valid GB18030 (they would read `鎮ㄥソ锛...`).
    Expected::plain("Refund", "您好，请帮忙查订单！\n订单号：20261120", "utf-8", Language::ZhHans)
        .check(&read("wrong-label-gb2312-but-utf8"));
}

#[test]
fn wrong_label_utf8_but_gbk() {
    Expected::plain(
        "Account locked",
        "您好，我的账户被锁定了，请帮我解锁。\n我已经尝试重置密码三次，都没有收到验证码。谢谢！",
        "gb18030",
        Language::ZhHans,
    )
    .check(&read("wrong-label-utf8-but-gbk"));
}

#[test]
fn qp_gb18030() {
    // Soft line breaks fall between the two bytes of a character.
    Expected::plain(
        "Payment pending",
        "您好，我的付款一直显示处理中，已经三天了，请尽快帮我查一下。\n订单号：OKP-20261120-8841。",
        "gb18030",
        Language::ZhHans,
    )
    .check(&read("qp-gb18030"));
}

#[test]
fn koi8r_label() {
    Expected::plain(
        "Проблема с платежом",
        "Здравствуйте! Мой платёж не прошёл, но деньги списаны.",
        "koi8-r",
        Language::Other,
    )
    .check(&read("koi8r-label"));
}

#[test]
fn encoded_subject_gbk() {
    let mail = read("encoded-subject-gbk");
    Expected::plain("关于退款的问题（订单8841）", "退款一直没有到账。", "gb18030", Language::ZhHans)
        .check(&mail);
    assert_eq!(mail.from_name, "张伟");
    assert_eq!(mail.from_address, "zhang.wei@example.cn");
}

#[test]
fn raw_8bit_gbk_subject() {
    Expected::plain("我的账户被冻结了", "我的账户被冻结了，请帮忙解冻。", "gb18030", Language::ZhHans)
        .check(&read("raw-8bit-gbk-subject"));
}

#[test]
fn lossy_truncated_gbk() {
    let mail = read("lossy-truncated-gbk");
    let body = "您好，我的账户被锁定了，请帮我解锁。\n我已经尝试重置密码三次，都没有收到验证码。谢谢\u{FFFD}";
    Expected { lossy: true, ..Expected::plain("Account locked", body, "gb18030", Language::ZhHans) }
        .check(&mail);
}

#[test]
fn lossy_wrong_label_broken_gbk() {
    let mail = read("lossy-wrong-label-broken-gbk");
    let body = "您好，我的账\u{FFFD}户被锁定了，请帮我解锁。\n我已经尝试重置密码三次，都没有收到验证码。谢谢";
    Expected { lossy: true, ..Expected::plain("Account locked", body, "gb18030", Language::ZhHans) }
        .check(&mail);
}

// ---------------------------------------------------------------------------- text

#[test]
fn multipart_alternative() {
    let mail = read("multipart-alternative");
    let body = "Plain version: my card was charged twice.\n\nThanks,\nAnn";
    Expected::plain("Charged twice", body, "utf-8", Language::En).check(&mail);
    assert!(mail.attachments.is_empty(), "the HTML alternative is not an attachment");
}

#[test]
fn html_only() {
    let mail = read("html-only");
    let body = "Hello support,\n\nMy payment failed.\nError code: E42 & no receipt.\n\nOrder 8841\nPaid with Visa\n\
                Amount: 25.00\nDate: 20 Nov\n\nSee the receipt (https://pay.example/tx/42) for details.";
    Expected::plain("Payment failed", body, "utf-8", Language::En).check(&mail);
    assert_eq!(mail.mime_type, "text/html");
}

#[test]
fn attachments_chinese_names() {
    let mail = read("attachments-chinese-names");
    Expected::plain("发票和截图", "发票和截图在附件里。", "utf-8", Language::ZhHans).check(&mail);
    let attachment = |name: &str, mime_type: &str, size, inline| Attachment {
        name: name.into(),
        mime_type: mime_type.into(),
        size,
        inline,
    };
    assert_eq!(
        mail.attachments,
        vec![
            // filename*=UTF-8''%E5%8F%91%E7%A5%A8.pdf (RFC 2231)
            attachment("发票.pdf", "application/pdf", 300, false),
            // name="=?GBK?B?vdjNvC5qcGc=?=" (RFC 2047 in a parameter)
            attachment("截图.jpg", "image/jpeg", 123, false),
            // filename*=gbk''... and a GBK text file of 23 bytes
            attachment("对账单.txt", "text/plain", 23, false),
            // filename*0*= / filename*1*= split inside a UTF-8 character
            attachment("二零二六年十一月交易明细.csv", "text/csv", 5, false),
            // Content-ID and Content-Disposition: inline
            attachment("logo.png", "image/png", 68, true),
        ]
    );
}

// ---------------------------------------------------------------------------- quotes

#[test]
fn quote_angle() {
    Expected::reply(
        "Re: Verification code",
        "> Did you get the code?\nNo, nothing came.\n> Please check your spam folder.\nChecked, it is empty.",
        "No, nothing came.\nChecked, it is empty.",
        "> Did you get the code?\n> Please check your spam folder.",
    )
    .check(&read("quote-angle"));
}

#[test]
fn quote_on_wrote() {
    // The attribution is wrapped over two lines, as Gmail does with long names.
    let quoted = "On Fri, 20 Nov 2026 at 10:02, OKPay Support <support@okpay.example>\nwrote:\n\n\
                  > Your refund was sent on Monday.\n>\n> OKPay Support";
    let new_text = "The refund still hasn't arrived.";
    Expected::reply("Re: Refund", &format!("{new_text}\n\n{quoted}"), new_text, quoted)
        .check(&read("quote-on-wrote"));
}

#[test]
fn quote_outlook_original() {
    let quoted = "-----Original Message-----\nFrom: OKPay Support [mailto:support@okpay.example]\n\
                  Sent: Friday, November 20, 2026 10:02 AM\nTo: Ann Lee\nSubject: RE: Login problem\n\n\
                  Please reset your password.";
    let new_text = "I still cannot log in.";
    Expected::reply("RE: Login problem", &format!("{new_text}\n\n{quoted}"), new_text, quoted)
        .check(&read("quote-outlook-original"));
}

#[test]
fn quote_outlook_from_sent() {
    let quoted = "From: OKPay Support <support@okpay.example>\nSent: Friday, November 20, 2026 10:02\n\
                  To: Ann Lee <ann@example.org>\nSubject: RE: Refund\n\nWe are looking into it.";
    let new_text = "Please hurry, it has been three days.";
    Expected::reply("RE: Refund", &format!("{new_text}\n\n{quoted}"), new_text, quoted)
        .check(&read("quote-outlook-from-sent"));
}

#[test]
fn quote_zh_wrote() {
    let quoted =
        "在 2026年11月18日 星期三 16:45, OKPay客服 <support@okpay.example> 写道:\n> 您好，退款已于周一发出。";
    let new_text = "钱还是没退回来，请帮我再查查。";
    Expected::reply("回复：退款", &format!("{new_text}\n\n{quoted}"), new_text, quoted)
        .charset("gb18030")
        .language(Language::ZhHans)
        .check(&read("quote-zh-wrote"));
}

#[test]
fn quote_qq_original() {
    let quoted = "------------------ 原始邮件 ------------------\n发件人: \"OKPay客服\"<support@okpay.example>;\n\
                  发送时间: 2026年11月20日(星期五) 上午10:02\n收件人: \"张伟\"<zhang.wei@example.cn>;\n\
                  主题: 回复：验证码问题\n\n您好，请检查垃圾邮件箱。";
    let new_text = "还是不行，验证码收不到。";
    Expected::reply("回复：验证码问题", &format!("{new_text}\n\n{quoted}"), new_text, quoted)
        .charset("gb18030")
        .language(Language::ZhHans)
        .check(&read("quote-qq-original"));
}

#[test]
fn quote_netease_original() {
    let quoted = "-----原始邮件-----\n发件人: OKPay客服 <support@okpay.example>\n发送时间: 2026年11月20日 10:02\n\
                  收件人: 张伟 <zhang.wei@example.cn>\n主题: 回复: 登录问题\n\n请清除浏览器缓存后重试。";
    let new_text = "好的，我再试一次。";
    Expected::reply("回复: 登录问题", &format!("{new_text}\n\n{quoted}"), new_text, quoted)
        .charset("gb18030")
        .language(Language::ZhHans)
        .check(&read("quote-netease-original"));
}

#[test]
fn quote_zh_from_sent() {
    // Chinese Outlook, with full-width colons.
    let quoted = "发件人：OKPay客服 [mailto:support@okpay.example]\n发送时间：2026年11月20日 10:02\n\
                  收件人：张伟\n主题：答复: 账户冻结\n\n您好，我们正在处理。";
    let new_text = "请尽快处理，谢谢。";
    Expected::reply("答复: 账户冻结", &format!("{new_text}\n\n{quoted}"), new_text, quoted)
        .language(Language::ZhHans)
        .check(&read("quote-zh-from-sent"));
}

#[test]
fn quote_reply_separator() {
    let quoted = "--- 回复邮件 ---\nOKPay客服 写道:\n您的问题已解决。";
    let new_text = "收到，谢谢。";
    Expected::reply("回复：问题已解决", &format!("{new_text}\n\n{quoted}"), new_text, quoted)
        .language(Language::ZhHans)
        .check(&read("quote-reply-separator"));
}

#[test]
fn quote_signature() {
    let quoted = "-- \nJohn Smith\nACME Ltd | +1 555 0100";
    let new_text = "Hello, my card was charged twice for order 8841.\n\nThanks,\nJohn";
    Expected::reply("Charged twice", &format!("{new_text}\n{quoted}"), new_text, quoted)
        .check(&read("quote-signature"));
}

#[test]
fn quote_iphone_en() {
    let quoted = "Sent from my iPhone\n\n\
                  On Nov 20, 2026, at 10:02, OKPay Support <support@okpay.example> wrote:\n\n\
                  > Hello, how can we help?";
    let new_text = "My account is locked, please help.";
    Expected::reply("Re: Account locked", &format!("{new_text}\n\n{quoted}"), new_text, quoted)
        .check(&read("quote-iphone-en"));
}

#[test]
fn quote_iphone_zh() {
    // iOS Mail writes the footer with a space: `发自我的 iPhone`.
    let quoted = "发自我的 iPhone\n\n在 2026年11月20日，10:02，OKPay客服 <support@okpay.example> 写道：\n\n\
                  > 您好，请问有什么可以帮您？";
    let new_text = "我的账户被锁了，请帮忙。";
    Expected::reply("回复：账户被锁", &format!("{new_text}\n\n{quoted}"), new_text, quoted)
        .language(Language::ZhHans)
        .check(&read("quote-iphone-zh"));
}

// ---------------------------------------------------------------------------- language

#[test]
fn lang_zh_hant() {
    // The quoted history is Simplified; the customer's new words are Traditional.
    let new_text = "您好，我的帳戶昨天被鎖定了，無法登入。請問要怎麼解鎖？謝謝。";
    let quoted = "在 2026年11月20日 10:02, OKPay客服 <support@okpay.example> 写道:\n\
                  > 您好，这是您的账户验证码，请在网页上输入。";
    Expected::reply("帳戶被鎖定", &format!("{new_text}\n\n{quoted}"), new_text, quoted)
        .language(Language::ZhHant)
        .check(&read("lang-zh-hant"));
}

#[test]
fn lang_zh_hans() {
    Expected::plain(
        "账户被锁定",
        "您好，我的账户昨天被锁定了，无法登录。请问怎么解锁？谢谢。",
        "utf-8",
        Language::ZhHans,
    )
    .check(&read("lang-zh-hans"));
}

#[test]
fn lang_en() {
    // A Chinese name in the text and Chinese quoted history do not make it Chinese.
    let new_text = "Hi, my name is 王伟 and my payment failed yesterday. Could you please check it?";
    let quoted = "On Fri, 20 Nov 2026, OKPay客服 <support@okpay.example> wrote:\n\
                  > 您好，请问您的订单号是多少？我们会尽快为您处理。";
    Expected::reply("Payment failed", &format!("{new_text}\n\n{quoted}"), new_text, quoted)
        .check(&read("lang-en"));
}

#[test]
fn lang_other_russian() {
    Expected::plain(
        "Проблема с платежом",
        "Здравствуйте! Мой платёж не прошёл, но деньги списаны. Order 8841.",
        "utf-8",
        Language::Other,
    )
    .check(&read("lang-other-russian"));
}

// ---------------------------------------------------------------------------- regressions

/// mail-parser lists an inline image of a multipart/mixed mail among the text bodies; its
/// bytes were decoded into the body (`塒NG\r\n\u{1a}...`).
#[test]
fn regression_inline_image_not_in_body() {
    let mail = read("attachments-chinese-names");
    assert_eq!(mail.body, "发票和截图在附件里。");
}

/// A text attachment's size was its length after decoding to UTF-8 (28), not the file's 23
/// GBK bytes.
#[test]
fn regression_text_attachment_size_is_file_size() {
    let mail = read("attachments-chinese-names");
    assert_eq!(mail.attachments[2].size, 23);
}

/// RFC 2231 segments split inside a character gave `二零二六���十一月交易明细.csv`.
#[test]
fn regression_rfc2231_continuation_split_inside_a_character() {
    let mail = read("attachments-chinese-names");
    assert_eq!(mail.attachments[3].name, "二零二六年十一月交易明细.csv");
}

/// Encoded words splitting a character came out as the raw `=?GBK?B?1cu7?= =?GBK?B?...?=`.
#[test]
fn regression_encoded_subject_split_character() {
    Expected::plain("账户冻结", "账户冻结了。", "gb18030", Language::ZhHans)
        .check(&read("encoded-subject-split-character"));
}

/// A raw GBK subject over an ASCII body was read as windows-1252 (`ÎÒµÄÕË»§`), the WHATWG
/// meaning of `us-ascii`. (The language is the body's: the customer's text decides first.)
#[test]
fn regression_raw_gbk_subject_with_ascii_body() {
    let mail = read("raw-8bit-gbk-subject-ascii-body");
    Expected::plain("我的账户被冻结了，请帮忙", "Account 8841 is frozen.", "utf-8", Language::En)
        .check(&mail);
}

/// UTF-8 under `iso-8859-1` came out as `CafÃ© ZoÃ«`: a single-byte charset never fails.
#[test]
fn regression_utf8_under_latin1_label() {
    let mail = read("wrong-label-latin1-but-utf8");
    assert!(mail.body.contains("Café Zoë"), "{:?}", mail.body);
    assert_eq!(mail.charset, "utf-8");
}

/// GBK under `iso-8859-1` came out as `ÄúºÃ£¬ÎÒµÄ`.
#[test]
fn regression_gbk_under_latin1_label() {
    let mail = read("wrong-label-latin1-but-gbk");
    assert!(mail.body.starts_with("您好，我的账户被锁定了"), "{:?}", mail.body);
}

/// Guessed GBK was recorded as `gbk`, declared GBK as `gb18030`.
#[test]
fn regression_guessed_gbk_recorded_as_gb18030() {
    assert_eq!(read("no-charset-gbk").charset, "gb18030");
    assert_eq!(read("wrong-label-utf8-but-gbk").charset, "gb18030");
}

/// One bad byte in GBK labelled UTF-8 turned the whole body into U+FFFD.
#[test]
fn regression_one_bad_byte_costs_one_character() {
    let mail = read("lossy-wrong-label-broken-gbk");
    assert_eq!(mail.body.matches('\u{FFFD}').count(), 1, "{:?}", mail.body);
}

/// Japanese (kanji with kana) was detected as Simplified Chinese.
#[test]
fn regression_japanese_is_other_not_chinese() {
    assert_eq!(read("iso-2022-jp").language, Language::Other);
}

/// iOS Mail's `发自我的 iPhone` (with a space) was left in the new text.
#[test]
fn regression_iphone_zh_footer_with_a_space() {
    assert_eq!(read("quote-iphone-zh").new_text, "我的账户被锁了，请帮忙。");
}

/// HTML paragraphs, `<div>` and `<li>` lines ran together or lost their blank lines, and a
/// `<style type="text/css">` in the body came out as CSS text.
#[test]
fn regression_html_blocks_and_styled_css() {
    let body = read("html-only").body;
    assert!(body.contains("Hello support,\n\nMy payment failed."), "{body:?}");
    assert!(body.contains("Order 8841\nPaid with Visa\nAmount: 25.00"), "{body:?}");
    assert!(!body.contains("display") && !body.contains("secret"), "{body:?}");
}

/// The body kept the CRLF line endings of the wire while HTML bodies and new text used LF.
#[test]
fn regression_body_uses_lf_line_endings() {
    let mail = read("gbk-label");
    assert!(!mail.body.contains('\r'), "{:?}", mail.body);
}

// ----------------------------------------------- real mail: quotes anywhere, other clients

/// What a fixture's new and quoted text must be (the rest is checked by the cases above).
#[track_caller]
fn split_is(case: &str, new_text: &str, quoted_starts: &str, quoted_ends: &str) {
    let mail = read(case);
    assert_eq!(mail.new_text, new_text, "{case}: new_text");
    assert!(mail.quoted_text.starts_with(quoted_starts), "{case}: quoted {:?}", mail.quoted_text);
    assert!(mail.quoted_text.ends_with(quoted_ends), "{case}: quoted {:?}", mail.quoted_text);
}

/// The reply below the quote was lost: the attribution made every later line quoted.
#[test]
fn regression_reply_below_the_quote() {
    split_is(
        "quote-bottom-post",
        "It has been seven working days and the money is still not there.",
        "On Fri, 20 Nov 2026 at 10:02, OKPay Support <support@okpay.example> wrote:",
        "> It takes three to five working days.",
    );
}

#[test]
fn regression_answers_between_quoted_lines() {
    split_is(
        "quote-interleaved",
        "Hello,\n\nThe one ending in 4417.\n\nTwo hundred euros, on 18 November.",
        "On Fri, 20 Nov 2026, OKPay Support",
        "> And how much was it?",
    );
}

#[test]
fn regression_outlook_header_blocks_in_european_languages() {
    split_is("quote-outlook-de", "Die Rückerstattung ist immer noch nicht da.", "Von: OKPay", "veranlasst.");
    split_is("quote-outlook-fr", "Toujours rien reçu sur mon compte.", "De : OKPay", "remboursement.");
    split_is("quote-outlook-it", "Il rimborso non è ancora arrivato.", "Da: OKPay", "il rimborso.");
}

#[test]
fn regression_original_message_separators_in_other_languages() {
    split_is(
        "quote-original-es",
        "El reembolso todavía no ha llegado.",
        "-----Mensaje original-----",
        "reembolso.",
    );
    split_is(
        "quote-original-de",
        "Mein Konto ist weiterhin gesperrt.",
        "-----Ursprüngliche Nachricht-----",
        "Identität.",
    );
}

#[test]
fn regression_localised_wrote_lines() {
    split_is("quote-wrote-de", "Ich habe den Ausweis gestern hochgeladen.", "Am 20.11.2026", "hoch.");
    split_is("quote-wrote-fr", "J'ai envoyé ma pièce d'identité hier.", "Le ven. 20 nov.", "d'identité.");
}

#[test]
fn regression_chinese_outlook_and_foxmail_quotes() {
    split_is(
        "quote-outlook-zh-hant",
        "我已經上傳證件了，請幫我解鎖。",
        "寄件者: OKPay客服",
        "請上傳您的證件。",
    );
    assert_eq!(read("quote-outlook-zh-hant").language, Language::ZhHant);
    split_is(
        "quote-foxmail",
        "还是没有收到退款。",
        "------------------ Original ------------------",
        "我们已经为您办理退款。",
    );
}

#[test]
fn regression_hotmail_and_windows_mail_html_quotes() {
    split_is(
        "quote-hotmail-html",
        "Still nothing on my card statement.",
        "Date: Fri, 20 Nov",
        "started the refund.",
    );
    split_is(
        "quote-windows-mail-html",
        "Still nothing on my card statement.",
        "From:",
        "started the refund.",
    );
}

/// A forward with nothing written above it had an empty new text: the forwarded problem was
/// never classified.
#[test]
fn regression_a_bare_forward_is_the_customers_message() {
    split_is(
        "forward-bare",
        "Your payment of 49.90 EUR through OKPay failed, but my card was charged.",
        "---------- Forwarded message ---------",
        "To: <ann@example.org>",
    );
    split_is(
        "forward-bare-zh",
        "您的订单 7730 支付失败，但银行卡已经扣款。",
        "-------- 转发邮件信息 --------",
        "主题：支付失败",
    );
}

/// "Sent from my …" ended the text even when it was the customer's last sentence.
#[test]
fn regression_signature_removal_keeps_the_last_sentence() {
    let mail = read("signature-last-sentence");
    assert_eq!(mail.new_text, mail.body);
    assert!(mail.quoted_text.is_empty());
}

// ----------------------------------------------------------- real mail: broken MIME

#[test]
fn regression_empty_text_part_beside_html() {
    Expected::plain("Refund missing", "My refund for order 5521 has not arrived.", "utf-8", Language::En)
        .check(&read("body-empty-text-html"));
}

#[test]
fn body_part_without_content_type_is_text() {
    Expected::plain("Card declined", "My card was declined twice today.", "utf-8", Language::En)
        .check(&read("body-part-without-content-type"));
}

#[test]
fn regression_multipart_without_boundary_lines_gives_its_raw_body() {
    Expected::plain(
        "Locked out",
        "My account is locked since yesterday, please unlock it.",
        "utf-8",
        Language::En,
    )
    .check(&read("body-multipart-without-boundary"));
}

#[test]
fn utf_7_in_base64_inside_a_multipart() {
    Expected::plain("Locked", "您好，我的账户被锁定了。", "utf-7", Language::ZhHans)
        .check(&read("body-utf-7-base64"));
}

#[test]
fn quoted_printable_in_a_reports_text_part() {
    let mail = read("report-text-qp");
    assert_eq!(
        mail.body,
        "Ihre Nachricht an ann@example.org konnte nicht zugestellt werden: Empfänger unbekannt."
    );
    assert_eq!(mail.mime_type, "multipart/report");
}

#[test]
fn regression_raw_8bit_inside_an_encoded_word() {
    Expected::plain("退款还没到", "请帮我查一下。", "gb18030", Language::ZhHans)
        .check(&read("subject-raw-gbk-in-encoded-word"));
}

/// A raw Shift_JIS subject was dropped, or read as GBK (`僷僗儚乕`); a raw ISO-2022-JP one kept
/// its escape sequences.
#[test]
fn regression_japanese_subjects_are_not_read_as_gbk() {
    Expected::plain("パスワードを忘れました", "I cannot log in.", "utf-8", Language::En)
        .check(&read("subject-shift-jis-raw"));
    Expected::plain("パスワード", "パスワードを忘れました。", "iso-2022-jp", Language::Other)
        .check(&read("subject-iso-2022-jp-raw"));
}

// ------------------------------------------------------------- real mail: language

/// A short Chinese body under a shop's English subject was answered in English.
#[test]
fn regression_the_customers_words_decide_the_language() {
    Expected::plain(
        "Re: [Shop] Your order 20261120 has shipped",
        "退款还没到账。",
        "utf-8",
        Language::ZhHans,
    )
    .check(&read("lang-zh-body-en-subject"));
}

#[test]
fn regression_short_traditional_text() {
    Expected::plain("Help", "我想要掛失", "utf-8", Language::ZhHant).check(&read("lang-zh-hant-short"));
}

/// UTF-7 under an alias label (`utf7`, `unicode-1-1-utf-7` …) stayed as `+YKhZff8…`.
#[test]
fn regression_utf_7_under_an_alias_label() {
    Expected::plain("账户", "您好，我的账户被锁定了。\nHi Mom -☺-!", "utf-7", Language::ZhHans)
        .check(&read("body-utf-7-alias-label"));
}

#[test]
fn quoted_printable_in_a_part_without_content_type() {
    Expected::plain("Fees", "Why was I charged a 2€ fee for a transfer of 100€?", "utf-8", Language::En)
        .check(&read("body-qp-part-without-content-type"));
}
