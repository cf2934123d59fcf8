//! Screen stage, subjects: the ones a mail system or an autoresponder writes for itself
//! (`Undeliverable:`, `Automatic reply:`, `自动回复`, Lotus Notes' `X is out of the office`),
//! and a person's forward, which is none of them.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::{Regex, RegexSet};

use crate::parse::{Inbound, quote};

use super::{AutomatedKind, Verdict};

/// A subject a mail system (a bounce) or an autoresponder writes, matched where it ends the
/// subject or stands before a colon or bracket, so a customer's sentence that starts the same
/// way is not caught.
pub(super) fn automatic_subject(mail: &Inbound) -> Option<Verdict> {
    // One search for both kinds; a bounce subject wins over an auto-reply one. Most
    // subjects match neither, which `is_match` finds out without gathering matches.
    if !AUTOMATIC_SUBJECTS.is_match(&mail.subject) {
        return None;
    }
    let matched = AUTOMATIC_SUBJECTS_ENDED.matches(&mail.subject);
    if BOUNCE_SUBJECTS.iter().any(|&i| matched.matched(i)) {
        (!writes_about_it(mail)).then(|| Verdict::machine(AutomatedKind::Bounce, "bounce subject"))
    } else if AUTO_REPLY_SUBJECTS.iter().any(|&i| matched.matched(i)) {
        Some(Verdict::machine(AutomatedKind::AutoReply, "auto-reply subject"))
    } else {
        None
    }
}

/// Whether a person wrote about the failed delivery a subject names, above any quote: a
/// forward with a note of their own ("I tried to send you this and got this error, please
/// help, my withdrawal is still missing" above `Fwd: Delivery Status Notification`), or a
/// question under a subject they took from an app ("Delivery failed": "Where is my money?").
/// A mail system that forwards a bounce writes nothing of its own, or a line ("Forward the
/// message."); a bounce asks no question. Only a mail that no sender, path or report marked
/// as machine mail gets here.
fn writes_about_it(mail: &Inbound) -> bool {
    let note = quote::written_above_quote(&mail.body);
    worded(&note) && (is_forward(&mail.subject) || asks(&note))
}

/// Whether `text` asks a question or makes a request in a person's words ("Please refund the
/// duplicate as soon as possible", 请核实原因并告知预计到账时间): what a hint of machine mail (a
/// sender, a subject, a relay's field) does not outweigh. Not "please do not reply", nor a
/// request to confirm, which challenge-response filters make.
pub(super) fn speaks_for_themselves(text: &str) -> bool {
    worded(text) && (asks(text) || REQUEST.is_match(text))
}

/// A person's request, in English or Chinese.
static REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)(?:\b(?:please|kindly|pls)\s+(?:refund|check|help|look\s+into|investigate|advise|tell|let\s+(?:me|us)\s+know|
               send|call|fix|cancel|reverse|release|process|explain|return|unlock|unfreeze|reset|credit)\b
          | \b(?:i|we)\s+(?:need|want|would\s+like)\s+(?:you\s+to|a\s+refund|my\s+money|the\s+money|an?\s+answer)\b
          | \b(?:i'd|i\s+would|we'd|we\s+would)\s+(?:really\s+)?appreciate\s+it\s+if\b
          | 请(?:尽快|帮|核实|核查|查一下|查询|告知|处理|退|解释|协助|回复我) | 請(?:盡快|幫|核實|核查|查一下|查詢|告知|處理|退|解釋|協助|回覆我)
          | 麻烦(?:帮|你们|您) | 麻煩(?:幫|你們|您) | 烦请 | 煩請)",
    )
    .expect("request regex")
});

/// Whether `text` is long enough to be a person's note: at least [`NOTE_WORDS`] Latin words
/// or [`NOTE_CHINESE`] Chinese characters.
fn worded(text: &str) -> bool {
    let latin_words = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().any(|c| c.is_ascii_alphabetic()))
        .count();
    let chinese = text.chars().filter(|c| ('\u{4E00}'..='\u{9FFF}').contains(c)).count();
    latin_words >= NOTE_WORDS || chinese >= NOTE_CHINESE
}

/// A note of at least this many words (or Chinese characters) is a person's.
const NOTE_WORDS: usize = 8;
const NOTE_CHINESE: usize = 12;

/// Whether `text` holds a question of a person's: a sentence of three words or more (four
/// Chinese characters) that ends in a question mark, not one inside a link nor a bulk
/// sender's stock line ("Something wrong with the email?", "Questions?", "Not you?"). A
/// sentence a mail client wrapped goes on over the line break; a blank line, or a line that
/// ends a sentence or a greeting, ends it.
fn asks(text: &str) -> bool {
    text.match_indices(['?', '？']).any(|(at, _)| {
        let sentence = &text[..at];
        let start = sentence_start(sentence);
        let sentence = sentence[start..].trim();
        let words = sentence.split_whitespace().count();
        let chinese = sentence.chars().filter(|c| ('\u{4E00}'..='\u{9FFF}').contains(c)).count();
        let link = sentence.split_whitespace().last().is_some_and(|w| w.contains("://") || w.contains('/'));
        (words >= 3 || chinese >= 4) && !link && !STOCK_QUESTIONS.is_match(sentence)
    })
}

/// Where the sentence that `before` ends begins: after the last sentence mark, or the last
/// line break that a blank line, a greeting's comma or a line of Chinese (which wraps no
/// sentence) stands before.
fn sentence_start(before: &str) -> usize {
    for (i, c) in before.char_indices().rev() {
        if ['.', '!', '?', '。', '！', '？'].contains(&c) {
            return i + c.len_utf8();
        }
        if c == '\n' {
            let line_before = before[..i].trim_end_matches(['\r', ' ', '\t']);
            let ends = line_before.is_empty()
                || line_before.ends_with(['\n', ',', ':', ';', '，', '：'])
                || line_before.chars().next_back().is_some_and(|c| !c.is_ascii());
            if ends {
                return i + 1;
            }
        }
    }
    0
}

/// Questions that bulk senders and notices print under every mail.
static STOCK_QUESTIONS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)wrong with (?:the|this) e-?mail|trouble (?:viewing|reading)|(?:can't|cannot) see (?:this|the) e-?mail|not you$|didn't (?:request|sign up)|did not (?:request|sign up)|why (?:am i|are you) (?:receiving|getting)|want to unsubscribe|need (?:more )?help$|have (?:any )?questions$|any questions$|有疑问吗|需要帮助吗",
    )
    .expect("stock questions regex")
});

/// Lotus Notes' autoresponder writes no header of its own and puts the sender's name in the
/// subject: `Ann Lee/Acme is out of the office.` The subject must begin with the name From
/// gives: a customer's "my manager is out of the office" is a person's.
pub(super) fn away_notice_subject(mail: &Inbound) -> Option<Verdict> {
    let name = mail.from_name.trim();
    // Most subjects have no " is " at all, told without the regex, whose `.{1,80}?` is a
    // large automaton (it was a fifth of the screen stage's cost).
    let has_is = mail.subject.as_bytes().windows(4).any(|w| w.eq_ignore_ascii_case(b" is "));
    if !has_is || !AWAY_NOTICE_SUBJECT.is_match(&mail.subject) {
        return None;
    }
    let caps = AWAY_NOTICE_SUBJECT.captures(&mail.subject)?;
    let who = caps.get(1)?.as_str().trim();
    let who = who.split_once('/').map_or(who, |(person, _)| person).trim();
    (name.chars().count() >= 3 && who.eq_ignore_ascii_case(name))
        .then(|| Verdict::machine(AutomatedKind::AutoReply, "away notice subject with the sender's name"))
}

pub(super) static AWAY_NOTICE_SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(.{1,80}?)\s+is (out of (the )?office|on vacation|on leave|away)(?-u:\b)[^?]{0,40}$")
        .expect("away notice subject regex")
});

/// Whether a subject is a person's forward (`Fwd:`, `WG:`, `转发:` …).
pub(super) fn is_forward(subject: &str) -> bool {
    FORWARD_SUBJECT.is_match(subject)
}

pub(super) static FORWARD_SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*[\[(]?\s*(fwd?|fw|wg|tr|rv|enc|转发|轉發|轉寄)\s*[:：]")
        .expect("forward subject regex")
});

/// A subject that speaks of a mail's delivery, anywhere in it: weak alone (a customer may
/// write "transfer not delivered"), a bounce only with a not-delivered line in the text.
static DELIVERY_SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(undeliver|(?-u:\b)not (be )?delivered|(?-u:\b)delivery (status|fail|problem|warning|error|report|notification|notice)|returned mail|mail delivery|failure notice|non[- ]?remis|nicht zugestellt|unzustellbar|no entregad|退信|退回|投递|投遞|送达|送達|传递|傳遞|传输失败|傳輸失敗|发送失败|發送失敗)",
    )
    .expect("delivery subject regex")
});

/// Whether `subject` speaks of a mail's delivery ([`DELIVERY_SUBJECT`]), told first by the
/// words every alternative of it holds: most subjects have none, and the regex alone cost
/// about a thousand instructions a mail.
pub(super) fn is_delivery_subject(subject: &str) -> bool {
    DELIVERY_WORDS.is_match(subject) && DELIVERY_SUBJECT.is_match(subject)
}

/// A word of each alternative of [`DELIVERY_SUBJECT`].
static DELIVERY_WORDS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build([
            "deliver",
            "returned mail",
            "failure notice",
            "remis",
            "zugestellt",
            "zustellbar",
            "entregad",
            "退信",
            "退回",
            "投递",
            "投遞",
            "送达",
            "送達",
            "传递",
            "傳遞",
            "传输失败",
            "傳輸失敗",
            "发送失败",
            "發送失敗",
        ])
        .expect("delivery words automaton")
});

/// The indexes of the patterns in [`AUTOMATIC_SUBJECTS`] for each kind.
pub(super) const BOUNCE_SUBJECTS: [usize; 2] = [0, 2];
pub(super) const AUTO_REPLY_SUBJECTS: [usize; 2] = [1, 3];

/// Subjects of bounces (first) and of auto-replies and other automatic notices (second), in
/// English, Chinese and the main European languages, each with `{end}` where the phrase must
/// end; a bracket may come first (`【自动回复】`, `[自動回覆]`). Then the same two kinds in the
/// form mail systems give a subject of their own, the phrase alone or before a colon
/// (`Unzustellbar: …`, `Autosvar: …`, `Mail could not be delivered`): their phrases could begin
/// a customer's sentence, so they must end the subject or come before `:` or a bracket.
pub(super) const SUBJECT_PATTERNS: [&str; 4] = [
    r"(?i)^\s*((fwd?|fw|re)\s*:\s*)*(undeliverable|undelivered mail|delivery status notification|delivery (has )?failed|mail delivery (failed|failure|system)|returned mail|failure notice|loop alert|mail loop|complaint about message from|abuse report|non[- ]?delivery|delivery failure|系统退信|退信|投递失败|无法投递|無法傳遞|未能送达|(无法送达|無法送達)\s*[:：]){end}",
    r"(?i)^\s*[\[【(（]?\s*(((automatic|auto)[ -]?(reply|response)|autoreply|out of (the )?office|away from (the )?office|on vacation|vacation reply|abwesenheitsnotiz|automatische antwort|réponse automatique|respuesta automática|risposta automatica|自动回复|自動回覆|自動回复|自动答复|自動答覆|休假|不在办公室|不在辦公室){end}|\[auto(matically)?[ -]?generated\]|cron <[^>\s]+>|report domain:\s*\S+.{0,80}submitter:|\*\* (problem|recovery|acknowledgement) (service|host) alert)",
    r"(?i)^\s*[\[【(（]?\s*((permanent|temporary|fatal|final) delivery (failure|error)|(e-?mail|mail|message) delivery (failure|failed|warning|notification|report)|(your )?(e-?mail|mail|message) (could not|couldn't|cannot|can't) be delivered|non[- ]?remis|unzustellbar|nicht zustellbar|onbestelbaar|no se puede entregar|no entregado|não é possível entregar|não entregue|non recapitabile|impossibile recapitare|olevererbart|配信不能|配信エラー|не доставлено|недоставленное сообщение|(邮件|郵件)(传输|傳輸|投递|投遞)失[败敗]|(邮件|郵件)被?退回|退回的(邮件|郵件)|(投递|投遞|传递|傳遞)状态通知|warning: (message .{0,60}delayed.*|message has not yet been delivered.*|could not send message.*)){end}",
    r"(?i)^\s*[\[【(（]?\s*(automated (reply|response)|auto[- ]?responder|autosvar|automatisk svar|automatiskt svar|automatisch antwoord|resposta automática|automaattinen vastaus|automatyczna odpowiedź|odpowiedź automatyczna|automatická odpověď|automatická odpoveď|automatikus válasz|răspuns automat|автоматический ответ|автоответ|αυτόματη απάντηση|otomatik (yanıt|cevap)|trả lời tự động|balasan otomatis|automatski odgovor|samodejni odgovor|((ā|a)rpus biroja atra(š|s)an(ā|a)s )?autom(ā|a)tisk(ā|a) atbilde|automatinis atsakymas|automaatvastus|自動応答|自動返信|自动应答|自動應答|自动响应|自動回應|자동 ?회신|자동 ?응답|fuori sede|absence du bureau|fuera de (la )?oficina|fora do escritório|来自.{1,80}的自动回复|來自.{1,80}的自動回覆|we('ve| have)? received your (request|message|e-?mail|enquiry|inquiry|ticket)( (#|no\.?) ?\d+)?|(ticket|request|enquiry|inquiry) received|(your )?(support )?(request|ticket) (#|no\.?) ?\d+ (has been |was )?(received|created|opened|logged)){end}",
];

/// The subject patterns without their ends: the quick first test every subject takes (a
/// Unicode letter class would put every subject on a slower engine).
pub(super) static AUTOMATIC_SUBJECTS: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new(SUBJECT_PATTERNS.map(|p| p.replace("{end}", ""))).expect("automatic subject regexes")
});

/// The subject patterns whose phrases must end where a word ends (or go on with `通知` …),
/// asked only of the few subjects that passed [`AUTOMATIC_SUBJECTS`]: `退信用卡` is a customer
/// asking to return a credit card, not `退信`.
pub(super) static AUTOMATIC_SUBJECTS_ENDED: LazyLock<RegexSet> = LazyLock::new(|| {
    let prefix_form = r"\s*($|[:：\]】)）!！\-–—])";
    let ends = [
        r"($|[^\p{L}\p{N}]|的?(通知|提醒|邮件|郵件|报告|報告))",
        r"($|[^\p{L}\p{N}]|通知|提醒|中)",
        prefix_form,
        prefix_form,
    ];
    RegexSet::new(SUBJECT_PATTERNS.iter().zip(ends).map(|(p, end)| p.replace("{end}", end)))
        .expect("ended automatic subject regexes")
});
