//! Screen stage, opening lines: machine mail that says so in its first lines, the way a
//! header would (`This message was created automatically by mail delivery software`,
//! `这是自动回复`), read only in what the sender wrote now.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

use crate::parse::Inbound;

use super::subject::{is_delivery_subject, is_forward};
use super::{AutomatedKind, Verdict};

/// Machine mail that says so in its first lines, the way a header would: a mail system's
/// notice (`This message was created automatically by mail delivery software`), an
/// autoresponder's (`这是自动回复`, `This is an automatic reply, confirming …`); and a bounce
/// without a system's sender or report part, by a subject that speaks of delivery together with
/// a first line that says the mail was not delivered (or, when the returned mail is attached,
/// such a line further down, below a filter's banner).
///
/// Only the opening of what the sender wrote now is read, never a quote, a question or a
/// forward: a customer who forwards a bounce or asks "is this an automatic reply?" is a person,
/// and the text that merely mentions being away (`I am out of office next week`) is no sign.
pub(super) fn automatic_text(mail: &Inbound) -> Option<Verdict> {
    // The forward test is a regex: asked only of a mail that reads as machine mail.
    declared_in_text(mail).filter(|_| !is_forward(&mail.subject))
}

/// [`automatic_text`] before the forward test.
fn declared_in_text(mail: &Inbound) -> Option<Verdict> {
    if mail.new_text.is_empty() {
        return None;
    }
    for line in opening_lines(&mail.new_text, 3) {
        if !may_declare_itself(line) || line.contains(['?', '？']) || line.ends_with(['吗', '嗎']) {
            continue;
        }
        if MAIL_SYSTEM_LINE.is_match(line) {
            return Some(Verdict::machine(AutomatedKind::Bounce, "mail system's notice in the text"));
        }
        // "This is an automatic reply, but I need a person": a customer quoting what they got.
        if CONTRARY.is_match(line) {
            continue;
        }
        if AUTO_REPLY_LINE.is_match(line) {
            return Some(Verdict::machine(AutomatedKind::AutoReply, "auto-reply notice in the text"));
        }
        if GENERATED_LINE.is_match(line) {
            return Some(Verdict::machine(AutomatedKind::NoReply, "sent-automatically notice in the text"));
        }
    }
    if let Some(away) = away_notice(mail).or_else(|| challenge_notice(mail)) {
        return Some(away);
    }
    if !is_delivery_subject(&mail.subject) {
        return None;
    }
    let returned = mail.attachments.iter().any(|a| {
        matches!(a.mime_type.as_str(), "message/rfc822" | "text/rfc822-headers" | "message/rfc822-headers")
    });
    let mut lines = opening_lines(&mail.new_text, if returned { 8 } else { 1 }).peekable();
    // A greeting first is a person writing about a bounce, not the bounce.
    if lines.peek().is_some_and(|first| GREETING_LINE.is_match(first)) {
        return None;
    }
    let notice = lines.any(|line| !line.contains(['?', '？']) && UNDELIVERED_LINE.is_match(line));
    notice.then(|| Verdict::machine(AutomatedKind::Bounce, "delivery subject and not-delivered notice"))
}

/// An out-of-office notice that writes no header and keeps the subject it answers ("I am out
/// of the office until Monday April 14 with limited access to email. Your message has not been
/// forwarded."): an absence until a time, and what becomes of the mail meanwhile, with no
/// question. A person who says they will be away ("I'm out of office next week, please answer
/// before Friday") says neither.
fn away_notice(mail: &Inbound) -> Option<Verdict> {
    let mut lines = opening_lines(&mail.new_text, 2);
    let away = lines.any(|line| {
        line.starts_with(['I', 'T'])
            && ["ffice", "away", "leave", "vacation", "holiday", "travel"].iter().any(|w| line.contains(w))
            && AWAY_LINE.is_match(line)
    });
    let text = &mail.new_text[..mail.new_text.floor_char_boundary(2000)];
    (away && !text.contains(['?', '？']) && AWAY_DETAIL.is_match(text))
        .then(|| Verdict::machine(AutomatedKind::AutoReply, "out-of-office notice in the text"))
}

/// A challenge-response filter's request that the sender prove to be a person before the
/// mail is delivered ("Your message is awaiting verification … Please confirm you are
/// human"), written under the recipient's own name and address: a machine's, however it is
/// signed. Its own lines say so; a customer quoting one adds a question of their own.
fn challenge_notice(mail: &Inbound) -> Option<Verdict> {
    let mut lines = opening_lines(&mail.new_text, 4);
    let challenge = lines.any(|line| {
        (line.contains("erif") || line.contains("uman") || line.contains("pam"))
            && !line.contains(['?', '？'])
            && CHALLENGE_LINE.is_match(line)
    });
    challenge.then(|| Verdict::machine(AutomatedKind::AutoReply, "challenge-response notice in the text"))
}

/// What a challenge-response filter says of the mail it holds back.
static CHALLENGE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(your (message|e-?mail|mail) (is|has been) (awaiting|waiting for|held for|pending) (verification|confirmation|approval)|i am protecting myself (from|against) spam|(please )?(confirm|verify|prove) (that )?you are (a )?(human|real person)|(this|my) (mailbox|inbox|e-?mail address) is protected by)",
    )
    .expect("challenge line regex")
});

/// An absence until a time, as an autoresponder's first line states it.
static AWAY_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(thank(s| you) for your (e-?mail|message|mail)[.!,]?\s*)?(i am|i'm|i will be|i'll be) (currently |now )?(out of (the )?office|away from (the |my )?(office|desk)|on (annual |parental |maternity |paternity |sick |business )?leave|on (vacation|holiday)|travell?ing|away)(?-u:\b).{0,80}?(?-u:\b)(until|till|through|returning|back on|and will return|from)(?-u:\b)",
    )
    .expect("away line regex")
});

/// What an autoresponder says becomes of the mail while its owner is away.
static AWAY_DETAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(limited|no|intermittent) access to (my )?(e-?mail|mail)|(has not|will not|won't|is not) (been )?(be )?forwarded|(upon|on) my return|when i (return|get back|am back)|in my absence|for (anything |matters )?urgent|if (this is |it is |your (matter|request|query) is )?urgent|(will|shall) (respond|reply|answer|get back to you)",
    )
    .expect("away detail regex")
});

/// Whether `line` starts as one of [`MAIL_SYSTEM_LINE`], [`AUTO_REPLY_LINE`] and
/// [`GENERATED_LINE`] can ("This …", "Thank you …", "Hello …", "Dear …", 这是…, 您好…) and
/// holds a word each of them needs (automatic, 自动, delivery, mail system, machine): most
/// opening lines do not, and three regex searches a line were most of this stage's cost.
fn may_declare_itself(line: &str) -> bool {
    let starts = matches!(
        line.chars().next(),
        Some('t' | 'T' | 'h' | 'H' | 'd' | 'D' | '这' | '這' | '此' | '本' | '您' | '你')
    );
    starts && DECLARING_WORDS.is_match(line)
}

/// The words without one of which no line of [`may_declare_itself`] says it is automatic.
static DECLARING_WORDS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(["auto", "deliver", "mail system", "qmail", "machine", "自动", "自動"])
        .expect("declaring words automaton")
});

/// The first `n` lines of `text` that hold a letter, without the frames (`*****`, `=====`,
/// `---`) that mail systems put around their notices.
pub(super) fn opening_lines(text: &str, n: usize) -> impl Iterator<Item = &str> {
    let frame = |c: char| c.is_whitespace() || matches!(c, '*' | '=' | '-' | '_' | '#' | '|' | '[' | ']');
    text.lines()
        .map(move |line| line.trim_matches(frame))
        .filter(|line| line.chars().any(char::is_alphabetic))
        .take(n)
}

// Word boundaries in these patterns are ASCII ones, `(?-u:\b)`: the words they bound are
// English, and a Unicode boundary keeps a regex off its DFA on Chinese text (the screen stage
// then cost a third more on the support corpus).

/// A mail system's own words at the head of a bounce or a delay warning.
pub(super) static MAIL_SYSTEM_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(this (message|e-?mail) was (created|generated) automatically by mail delivery software|this is an? (automatically generated|automated|automatic) (delivery status notification|message (created|generated) by mail delivery software)|this is the mail (system|delivery agent) at host(?-u:\b)|(hi\.? )?this is the (qmail-send|deliver) program at(?-u:\b)|this is the machine[- ]generated message from mail service)",
    )
    .expect("mail system line regex")
});

/// An autoresponder's own words: `This is an automatic reply`, `这是自动回复`, `此邮件为自动回复`,
/// ending there or going on to say what it confirms (never a question about one).
pub(super) static AUTO_REPLY_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^((thank(s| you)(?-u:\b)[^.!]{0,80}[.!]|(hello|hi|dear [^,]{1,40}|您好|你好)[,，!！]?)\s*)?(this is an? (automatic|automated|auto)[- ]?(reply|response|message|acknowledge?ment)(\s*($|[.,;:!()\-–—])|\s+(to (confirm|acknowledge|let you know|inform you)|confirming|acknowledging)(?-u:\b))|(这|這|此|本)(是|为|為)(一封|一条|一條)?(系统|系統)?(自动|自動)(回复|答复|回覆|应答|應答|回应|回應)(邮件|郵件|信件|消息|訊息)?\s*($|[，,。.！!：:；;（(]))",
    )
    .expect("auto-reply line regex")
});

/// A turn against what came before (`but`, `但是`): a person answering a notice, not the notice.
pub(super) static CONTRARY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(but|however|though)(?-u:\b)|但|可是|不过|不過|然而").expect("contrary regex")
});

/// A sender's word that its mail was sent by a program (`此邮件为系统自动发送`, `This email was
/// generated automatically`): a notification, which takes no answer.
pub(super) static GENERATED_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(this (e-?mail|message|notification) (was|is|has been) (automatically (generated|sent)|(generated|sent) automatically)(?-u:\b)|(此|本|这|這)(封)?(邮件|郵件|信|消息|訊息|通知)(为|為|是|由)(系统|系統)(自动|自動)(发送|發送|发出|發出|生成|產生|产生))",
    )
    .expect("generated line regex")
});

/// A line that opens a person's letter.
pub(super) static GREETING_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^((hi|hello|hey|dear|good (morning|afternoon|evening)|greetings)(?-u:\b)|您好|你好|各位|尊敬的|亲爱的|親愛的)")
        .expect("greeting line regex")
});

/// A line that says a mail was not delivered, at its start, as mail systems put it.
pub(super) static UNDELIVERED_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^((sorry,? )?(your|the following) (e-?mail|message|mail)(?-u:\b).{0,80}?(?-u:\b)((could not|couldn't|cannot|can not) be delivered|did not reach)|a message (that )?you sent .{0,40}(?-u:\b)(could not|couldn't) be delivered|(sorry,? )?(unable|not able) to deliver (your |the )?(e-?mail|message|mail)|could not deliver (the |your )?(message|mail|e-?mail)|delivery to the following (recipient|address)|(votre|le) message n['’]a pas (pu )?((ê|e)tre |[eé]t[eé] )?(d[eé]livr|remis|distribu)|ihre nachricht (konnte|wurde) nicht|su mensaje no (pudo|ha podido) ser entregado|sua mensagem n[aã]o (p[oô]de|foi)|(很抱歉[，,]?)?(您|你)(发送|發送|寄出|寄送)的(邮件|郵件|信件|信).{0,20}(无法|無法|未能|不能)被?(送达|送達|投递|投遞|传递|傳遞)|邮件无法发送到您指定的地址|到下列地址的信件投递失败)",
    )
    .expect("undelivered line regex")
});
