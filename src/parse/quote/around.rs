//! Parse stage, quotes: what stands around the customer's words and is not theirs: a mail
//! gateway's external-mail warning above them, a phone's or a client's footer ("Sent from my
//! iPhone", 发自我的iPhone) and a legal notice below them.

use std::sync::LazyLock;

use regex::Regex;

/// Whether `line` is (a line of) the warning a company's mail gateway puts above mail from
/// outside: "CAUTION: This email originated from outside of the organization. Do not click
/// links or open attachments unless you recognize the sender …", `[EXTERNAL]`, `【外部邮件】`.
pub(super) fn is_external_banner(line: &str) -> bool {
    let line = line.trim();
    // A cheap gate: the first characters the warnings start with.
    let first = line.chars().next().map(|c| c.to_ascii_lowercase());
    matches!(first, Some('c' | 'w' | 'a' | 'n' | 'e' | 't' | 'd' | '[' | '【' | '*' | '!' | '('))
        && EXTERNAL_BANNER.is_match(line)
}

/// Without `\b`: a Unicode word boundary keeps a regex off its DFA on Chinese text.
static EXTERNAL_BANNER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^(?:
            \W*(?:caution|warning|attention|notice|external(?:\s+(?:e-?mail|sender|message))?)\W*\s*
            (?:this\s+(?:e-?mail|message)\s+(?:originated|came|comes|was\s+sent|is\s+from)\s.{0,40}(?:outside|external)
              | do\s+not\s+click\s+(?:on\s+)?links)
          | this\s+(?:e-?mail|message)\s+(?:originated|came|comes)\s+from\s+outside
          | do\s+not\s+click\s+(?:on\s+)?links\s+or\s+open\s+attachments\s+unless
          | [【\[](?:外部邮件|外部郵件)[】\]]
        )",
    )
    .expect("external banner regex")
});

/// Whether line `i` starts a legal notice under the customer's words. Never the first line
/// of the text: a message that begins like one is the customer's.
pub(super) fn disclaimer_at(lines: &[&str], i: usize) -> bool {
    let line = lines[i].trim();
    // A cheap gate: the first characters the notices start with. Every line of a Chinese mail
    // starts beyond ASCII, so those are named one by one.
    let first = line.chars().next().map(|c| c.to_ascii_lowercase());
    matches!(first, Some('d' | 'c' | 'l' | 't' | 'i' | '免' | '本' | '此' | '该' | '該'))
        && DISCLAIMERS.is_match(line)
        && lines[..i].iter().any(|l| !l.trim().is_empty())
}

/// Legal notices: `DISCLAIMER`, "This e-mail and any attachments are confidential and intended
/// solely for …", "The information contained in this message …", 免责声明, 本邮件含保密信息.
static DISCLAIMERS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^(?:
            disclaimer\b | confidentiality\s+notice\b | legal\s+notice\b
          | (?:this|the)\s+(?:e-?mail|message|communication)\b.{0,60}?\b(?:confidential|privileged|intended\s+(?:solely\s+|only\s+)?for)
          | (?:the\s+)?information\s+(?:contained\s+)?in\s+this\s+(?:e-?mail|message)
          | 免责声明 | 免責聲明
          | [本此该該](?:电子|電子)?(?:邮件|郵件|信件).{0,30}?(?:保密|机密|機密|仅供|僅供)
        )",
    )
    .expect("disclaimer regex")
});

/// How the footers of [`FOOTERS`] start, the cheap test in front of the regex: those that
/// start with an ASCII letter …
pub(super) const FOOTER_STARTS_ASCII: &[&str] = &[
    "sent",
    "get",
    "inviato",
    "envoyé",
    "von meinem",
    "enviado",
    "verzonden",
    "verstuurd",
    "skickat",
    "sendt",
    "lähetetty",
    "wysłane",
    "iphone",
    "ipad",
];

/// … and the others.
pub(super) const FOOTER_STARTS_OTHER: &[&str] =
    &["发自", "從我的", "从我的", "寄自", "отправлено", "Отправлено", "나의"];

pub(super) static FOOTERS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^(
            # Short, without a comma: `Sent from my iPhone`, `Sent from Mail for Windows 10`,
            # at most five words after `Sent from`.
            sent\s+(from|with|via)\s+[^\s,;!?]+(\s+[^\s,;!?]+){0,4}
          | get\s+outlook\s+for\s+\S+.*
          # Outlook Mobile in any language: `Hanki Outlook for Android`, `获取 Outlook for iOS`.
          | \S+\s*outlook\s+(for|für|pour|per|para|voor|för)\s+(ios|android)\S*
          # The mobile clients' own footers in other languages, as short as the English ones:
          # `Inviato da iPhone`, `Envoyé de mon iPhone`, `Von meinem iPhone gesendet`, `Enviado
          # desde mi iPhone`, `Verzonden vanaf mijn iPhone`, `Skickat från min iPhone`,
          # `Lähetetty iPhonesta`, `Wysłane z iPhone'a`, `Отправлено с iPhone`, `iPhoneから送信`,
          # `나의 iPhone에서 보냄`, and iOS Mail in Hong Kong Chinese, `寄自我的 iPhone`.
          | inviato\s+da(l\s+mio)?\s+[^\s,;!?]+(\s+[^\s,;!?]+){0,3}
          | envoyé\s+(de|depuis)\s+(mon|ma)\s+[^\s,;!?]+(\s+[^\s,;!?]+){0,3}
          | von\s+meinem\s+[^\s,;!?]+(\s+[^\s,;!?]+){0,2}\s+gesendet
          | enviado\s+(desde|de|do)\s+(mi|meu|o\s+meu)\s+[^\s,;!?]+(\s+[^\s,;!?]+){0,3}
          | (verzonden|verstuurd)\s+(vanaf|met|van)\s+(mijn\s+)?[^\s,;!?]+(\s+[^\s,;!?]+){0,3}
          | (skickat|sendt)\s+(från|fra)\s+(min|mitt|mit)\s+[^\s,;!?]+(\s+[^\s,;!?]+){0,3}
          | lähetetty\s+[^\s,;!?]+(sta|stä)
          | wysłane\s+z\s+(mojego\s+)?[^\s,;!?]+(\s+[^\s,;!?]+){0,2}
          | отправлено\s+с\s+(моего\s+)?[^\s,;!?]+(\s+[^\s,;!?]+){0,2}
          | i(phone|pad)\s*から送信
          | 나의\s+\S+에서\s+보냄
          | 寄自我的\s*\S+
          # iOS Mail writes `发自我的 iPhone` with a space, QQ Mail `发自我的iPhone` without.
          | 发自我的\s*\S+
          | 從我的\s*\S+\s*傳送
          # iOS Mail in Simplified Chinese: `从我的 iPhone 发送`.
          | 从我的\s*\S+\s*发送
          | 发自\s*(网易邮箱大师|QQ邮箱|手机QQ邮箱|Outlook)\S*
        )$",
    )
    .expect("footer regex")
});
