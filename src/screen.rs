//! Screen stage, the one loop policy: decides whether a mail was written by a machine, and
//! whether a person's mail may get automatic mail at all. This is the only place that says
//! "never answer automatically"; later stages obey its verdict.
//!
//! Two verdicts: machine mail (no ticket of its own, never answered), and a person's mail that
//! gets a ticket and a person but no automatic mail (it asks for none with
//! `X-Auto-Response-Suppress`, or its sender address cannot be answered).

use std::sync::LazyLock;

use regex::RegexSet;
use serde::Serialize;

use crate::parse::{Inbound, SenderProblem, clean_line};

/// What kind of machine wrote a mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AutomatedKind {
    /// Vacation and out-of-office replies, other autoresponders.
    AutoReply,
    /// Delivery status notifications and other reports (`multipart/report`).
    Bounce,
    /// Mailing lists and bulk mail.
    List,
    /// Mail from one of our own addresses.
    Own,
    /// Senders that say they take no answer (`no-reply@`, `*-request@` …).
    NoReply,
}

impl AutomatedKind {
    /// The kind as written in rules and JSON output (`auto-reply`, `bounce` …).
    pub fn as_str(self) -> &'static str {
        match self {
            AutomatedKind::AutoReply => "auto-reply",
            AutomatedKind::Bounce => "bounce",
            AutomatedKind::List => "list",
            AutomatedKind::Own => "own",
            AutomatedKind::NoReply => "no-reply",
        }
    }
}

/// The verdict on one mail, with the evidence for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub automated: Option<AutomatedKind>,
    /// Which signal decided (a header, the sender, the subject), for logs and `--explain`.
    pub reason: String,
    /// For a person's mail: why it must get no automatic mail (it still gets a ticket and a
    /// person). Machine mail gets none anyway and leaves this empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_automatic_mail: Option<String>,
}

impl Verdict {
    /// A person's mail, with nothing against answering it.
    pub fn human() -> Verdict {
        Verdict { automated: None, reason: String::new(), no_automatic_mail: None }
    }

    /// Machine mail of `kind`, for `reason`.
    pub fn machine(kind: AutomatedKind, reason: impl Into<String>) -> Verdict {
        Verdict { automated: Some(kind), reason: reason.into(), no_automatic_mail: None }
    }

    /// Whether no automatic mail may go out for this mail, machine mail or not, and why.
    pub fn forbids_automatic_mail(&self) -> Option<&str> {
        match self.automated {
            Some(_) => Some(&self.reason),
            None => self.no_automatic_mail.as_deref(),
        }
    }

    pub fn is_automated(&self) -> bool {
        self.automated.is_some()
    }
}

/// Screens `mail`; `own_addresses` are the support address and any other address of ours.
pub fn screen(mail: &Inbound, own_addresses: &[String]) -> Verdict {
    let headers = MachineHeaders::of(mail);
    own_address(mail, own_addresses)
        .or_else(|| report(mail))
        .or_else(|| bounce_sender(mail))
        .or_else(|| auto_submitted(&headers))
        .or_else(|| autoreply_headers(&headers))
        .or_else(|| list_or_bulk(&headers))
        .or_else(|| no_reply_sender(mail))
        .or_else(|| notice_headers(mail))
        .or_else(|| return_path_sender(mail))
        .or_else(|| automatic_subject(mail))
        .unwrap_or_else(|| person(mail, &headers))
}

/// A person's mail, with what stands against answering it automatically.
fn person(mail: &Inbound, headers: &MachineHeaders<'_>) -> Verdict {
    let mut verdict = Verdict::human();
    if let Some(problem) = mail.sender_problem {
        verdict.no_automatic_mail = Some(problem.describe(&mail.from_address));
    } else if let Some(value) = headers.auto_response_suppress {
        // Outlook sends it with a person's mail too: "send me no automatic replies". That does
        // not make the mail automatic; it only forbids our acknowledgement.
        let value = clean_line(value);
        if !value.eq_ignore_ascii_case("none") && !value.is_empty() {
            verdict.no_automatic_mail = Some(format!("X-Auto-Response-Suppress: {value}"));
        }
    }
    verdict
}

/// The header fields that mark machine mail: one for each vendor's autoresponder flag.
const AUTOREPLY_HEADERS: [&str; 4] = ["x-autoreply", "x-autorespond", "x-autoresponder", "x-mailautoreply"];

/// The header fields the loop policy reads, the first of each name (in any case), gathered
/// in one pass over the header instead of one search per name.
#[derive(Default)]
struct MachineHeaders<'m> {
    auto_submitted: Option<&'m str>,
    /// Which of [`AUTOREPLY_HEADERS`] are present.
    autoreply: [bool; AUTOREPLY_HEADERS.len()],
    auto_response_suppress: Option<&'m str>,
    precedence: Option<&'m str>,
    /// The name, as written, of the first `List-*` field.
    list: Option<&'m str>,
}

impl<'m> MachineHeaders<'m> {
    fn of(mail: &'m Inbound) -> MachineHeaders<'m> {
        let mut found = MachineHeaders::default();
        for (name, value) in mail.headers.iter() {
            let is = |wanted: &str| name.eq_ignore_ascii_case(wanted.as_bytes());
            // Like `Inbound::header`: the first value of the name that is UTF-8.
            let keep = |slot: &mut Option<&'m str>| {
                if slot.is_none() {
                    *slot = std::str::from_utf8(value).ok();
                }
            };
            if is("auto-submitted") {
                keep(&mut found.auto_submitted);
            } else if is("x-auto-response-suppress") {
                keep(&mut found.auto_response_suppress);
            } else if is("precedence") {
                keep(&mut found.precedence);
            } else if let Some(i) = AUTOREPLY_HEADERS.iter().position(|n| is(n)) {
                found.autoreply[i] = true;
            } else if name.get(..5).is_some_and(|p| p.eq_ignore_ascii_case(b"list-")) && found.list.is_none()
            {
                found.list = std::str::from_utf8(name).ok();
            }
        }
        found
    }
}

fn own_address(mail: &Inbound, own: &[String]) -> Option<Verdict> {
    own.iter()
        .any(|a| a.eq_ignore_ascii_case(&mail.from_address))
        .then(|| Verdict::machine(AutomatedKind::Own, format!("sender {} is ours", mail.from_address)))
}

fn report(mail: &Inbound) -> Option<Verdict> {
    (mail.mime_type == "multipart/report")
        .then(|| Verdict::machine(AutomatedKind::Bounce, "multipart/report"))
}

fn bounce_sender(mail: &Inbound) -> Option<Verdict> {
    if mail.sender_problem == Some(SenderProblem::Null) {
        return Some(Verdict::machine(AutomatedKind::Bounce, "null sender <> in From"));
    }
    for address in senders(mail) {
        let local = local_part(address);
        if squashed_is(local, "mailerdaemon") || squashed_is(local, "postmaster") {
            return Some(Verdict::machine(AutomatedKind::Bounce, format!("sender {local}")));
        }
    }
    // A null Return-Path alone, on a mail without any From, proves too little: such a mail
    // waits in quarantine for a person (a report or a DSN subject still makes it a bounce).
    let null_path = mail.return_path.as_deref() == Some("");
    (null_path && mail.sender_problem != Some(SenderProblem::Missing))
        .then(|| Verdict::machine(AutomatedKind::Bounce, "null Return-Path <>"))
}

fn auto_submitted(headers: &MachineHeaders<'_>) -> Option<Verdict> {
    let value = clean_line(headers.auto_submitted?);
    let keyword = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    (keyword != "no" && !keyword.is_empty())
        .then(|| Verdict::machine(AutomatedKind::AutoReply, format!("Auto-Submitted: {keyword}")))
}

fn autoreply_headers(headers: &MachineHeaders<'_>) -> Option<Verdict> {
    let i = headers.autoreply.iter().position(|present| *present)?;
    let name = AUTOREPLY_HEADERS[i];
    Some(Verdict::machine(AutomatedKind::AutoReply, format!("header {name}")))
}

fn list_or_bulk(headers: &MachineHeaders<'_>) -> Option<Verdict> {
    if let Some(precedence) = headers.precedence {
        let p = clean_line(precedence).to_ascii_lowercase();
        if ["bulk", "junk", "list"].contains(&p.as_str()) {
            return Some(Verdict::machine(AutomatedKind::List, format!("Precedence: {p}")));
        }
        if p == "auto_reply" {
            return Some(Verdict::machine(AutomatedKind::AutoReply, "Precedence: auto_reply"));
        }
    }
    let name = headers.list?;
    Some(Verdict::machine(AutomatedKind::List, format!("header {}", name.to_ascii_lowercase())))
}

fn no_reply_sender(mail: &Inbound) -> Option<Verdict> {
    let local = senders(mail).map(local_part).find(|local| is_no_reply(local))?;
    Some(Verdict::machine(AutomatedKind::NoReply, format!("sender {local}")))
}

/// The sender address, and From's own when another address of the mail stands for it.
fn senders(mail: &Inbound) -> impl Iterator<Item = &str> {
    std::iter::once(mail.from_address.as_str()).chain(mail.from_replaced.as_deref())
}

/// A Return-Path of a sender that takes no answer (`noreply@`), or a bulk sender's bounce
/// address (`bounce-123@`, `bounces+x=y@`): a person's Return-Path is their own address.
fn return_path_sender(mail: &Inbound) -> Option<Verdict> {
    let path = mail.return_path.as_deref().filter(|p| !p.is_empty())?;
    let local = local_part(path);
    let bulk = local.starts_with("bounce") || local.contains("-bounce") || local.contains(".bounce");
    (is_no_reply(local) || bulk)
        .then(|| Verdict::machine(AutomatedKind::NoReply, format!("Return-Path {local}@")))
}

/// Header fields that only machines write: notices of ticket systems, bug trackers, CI and
/// monitoring, cron's output, and the bulk senders' marks (Gmail's `Feedback-ID`, mail
/// service campaign ids). Matched by name, in any case; a prefix ends with `-`.
const NOTICE_HEADERS: &[(&str, AutomatedKind)] = &[
    // (Each name starts with `x`, `r` or `f`: `notice_headers` tests that first.)
    ("x-cron-env", AutomatedKind::AutoReply),
    ("x-jira-fingerprint", AutomatedKind::AutoReply),
    ("x-rt-loop-prevention", AutomatedKind::AutoReply),
    ("rt-ticket", AutomatedKind::AutoReply),
    ("x-otrs-loop", AutomatedKind::AutoReply),
    ("x-redmine-", AutomatedKind::AutoReply),
    ("x-bugzilla-", AutomatedKind::AutoReply),
    ("x-github-reason", AutomatedKind::AutoReply),
    ("x-gitlab-", AutomatedKind::AutoReply),
    ("x-trac-ticket-", AutomatedKind::AutoReply),
    ("x-nagios-", AutomatedKind::AutoReply),
    ("x-zabbix-", AutomatedKind::AutoReply),
    ("x-icinga-", AutomatedKind::AutoReply),
    ("x-monitoring-", AutomatedKind::AutoReply),
    ("feedback-id", AutomatedKind::List),
    ("x-campaign", AutomatedKind::List),
    ("x-mailchimp-", AutomatedKind::List),
    ("x-mc-user", AutomatedKind::List),
    ("x-sfmc-", AutomatedKind::List),
    ("x-csa-complaints", AutomatedKind::List),
    ("x-newsletter", AutomatedKind::List),
];

fn notice_headers(mail: &Inbound) -> Option<Verdict> {
    mail.headers.iter().find_map(|(name, _)| {
        // Every name of the list starts with `x`, `r` or `f`: most fields stop here.
        if !matches!(name.first(), Some(b'x' | b'X' | b'r' | b'R' | b'f' | b'F')) {
            return None;
        }
        let (field, kind) = NOTICE_HEADERS.iter().find(|(field, _)| {
            let field = field.as_bytes();
            if field.ends_with(b"-") {
                name.get(..field.len()).is_some_and(|p| p.eq_ignore_ascii_case(field))
            } else {
                name.eq_ignore_ascii_case(field)
            }
        })?;
        Some(Verdict::machine(*kind, format!("header {field}")))
    })
}

/// Whether a local part belongs to a sender that takes no answer.
fn is_no_reply(local: &str) -> bool {
    ["noreply", "donotreply", "noanswer", "donotrespond"].iter().any(|p| squashed_starts_with(local, p))
        || local.ends_with("-request")
        || local.starts_with("owner-")
        || local.ends_with("-owner")
        || local.ends_with("-bounces")
        || ["listserv", "majordomo", "mailman", "bounce", "bounces"].contains(&local)
        || local.starts_with("bounce-")
        || local.starts_with("bounces+")
}

fn automatic_subject(mail: &Inbound) -> Option<Verdict> {
    // One search for both kinds; a bounce subject wins over an auto-reply one. Most
    // subjects match neither, which `is_match` finds out without gathering matches.
    if !AUTOMATIC_SUBJECTS.is_match(&mail.subject) {
        return None;
    }
    let matched = AUTOMATIC_SUBJECTS_ENDED.matches(&mail.subject);
    if matched.matched(BOUNCE_SUBJECT) {
        Some(Verdict::machine(AutomatedKind::Bounce, "bounce subject"))
    } else if matched.matched(AUTO_REPLY_SUBJECT) {
        Some(Verdict::machine(AutomatedKind::AutoReply, "auto-reply subject"))
    } else {
        None
    }
}

/// `local` without its punctuation (`no-reply`, `do_not_reply` and `mailer.daemon` are
/// spelt many ways): its ASCII letters and digits, compared without building a string.
fn squashed(local: &str) -> impl Iterator<Item = u8> + '_ {
    local.bytes().filter(u8::is_ascii_alphanumeric)
}

fn squashed_is(local: &str, word: &str) -> bool {
    squashed(local).eq(word.bytes())
}

fn squashed_starts_with(local: &str, prefix: &str) -> bool {
    let mut letters = squashed(local);
    prefix.bytes().all(|b| letters.next() == Some(b))
}

fn local_part(address: &str) -> &str {
    address.rsplit_once('@').map_or(address, |(local, _)| local)
}

/// The indexes of the two patterns in [`AUTOMATIC_SUBJECTS`].
const BOUNCE_SUBJECT: usize = 0;
const AUTO_REPLY_SUBJECT: usize = 1;

/// Subjects of bounces (first) and of auto-replies and other automatic notices (second), in
/// English, Chinese and the main European languages, each with `{end}` where the phrase must
/// end; a bracket may come first (`【自动回复】`, `[自動回覆]`).
const SUBJECT_PATTERNS: [&str; 2] = [
    r"(?i)^\s*((fwd?|fw|re)\s*:\s*)*(undeliverable|undelivered mail|delivery status notification|delivery (has )?failed|mail delivery (failed|failure|system)|returned mail|failure notice|loop alert|mail loop|complaint about message from|abuse report|non[- ]?delivery|delivery failure|系统退信|退信|投递失败|无法投递|無法傳遞|未能送达){end}",
    r"(?i)^\s*[\[【(（]?\s*(((automatic|auto)[ -]?(reply|response)|autoreply|out of (the )?office|away from (the )?office|on vacation|vacation reply|abwesenheitsnotiz|automatische antwort|réponse automatique|respuesta automática|risposta automatica|自动回复|自動回覆|自動回复|自动答复|自動答覆|休假|不在办公室|不在辦公室){end}|\[auto(matically)?[ -]?generated\]|cron <[^>\s]+>|\*\* (problem|recovery|acknowledgement) (service|host) alert)",
];

/// The subject patterns without their ends: the quick first test every subject takes (a
/// Unicode letter class would put every subject on a slower engine).
static AUTOMATIC_SUBJECTS: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new(SUBJECT_PATTERNS.map(|p| p.replace("{end}", ""))).expect("automatic subject regexes")
});

/// The subject patterns whose phrases must end where a word ends (or go on with `通知` …),
/// asked only of the few subjects that passed [`AUTOMATIC_SUBJECTS`]: `退信用卡` is a customer
/// asking to return a credit card, not `退信`.
static AUTOMATIC_SUBJECTS_ENDED: LazyLock<RegexSet> = LazyLock::new(|| {
    let ends = [r"($|[^\p{L}\p{N}]|的?(通知|提醒|邮件|郵件|报告|報告))", r"($|[^\p{L}\p{N}]|通知|提醒|中)"];
    RegexSet::new(SUBJECT_PATTERNS.iter().zip(ends).map(|(p, end)| p.replace("{end}", end)))
        .expect("ended automatic subject regexes")
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    fn verdict(raw: &str) -> Option<AutomatedKind> {
        let own = vec!["support@example.test".to_string()];
        screen(&parse(raw.as_bytes()).unwrap(), &own).automated
    }

    #[test]
    fn customer_mail_is_human() {
        assert_eq!(verdict("From: a@customer.test\r\nSubject: Refund\r\n\r\nhi"), None);
    }

    #[test]
    fn auto_submitted_no_is_human() {
        assert_eq!(verdict("From: a@c.test\r\nAuto-Submitted: no\r\n\r\nhi"), None);
    }

    #[test]
    fn auto_submitted_auto_replied() {
        let raw = "From: a@c.test\r\nAuto-Submitted: auto-replied\r\n\r\nhi";
        assert_eq!(verdict(raw), Some(AutomatedKind::AutoReply));
    }

    #[test]
    fn own_address() {
        assert_eq!(verdict("From: Support@Example.test\r\n\r\nhi"), Some(AutomatedKind::Own));
    }

    #[test]
    fn list_headers_and_precedence() {
        assert_eq!(verdict("From: a@c.test\r\nList-Id: <x.c.test>\r\n\r\nhi"), Some(AutomatedKind::List));
        assert_eq!(verdict("From: a@c.test\r\nPrecedence: bulk\r\n\r\nhi"), Some(AutomatedKind::List));
    }

    #[test]
    fn bounce_by_sender_and_null_path() {
        assert_eq!(verdict("From: MAILER-DAEMON@c.test\r\n\r\nhi"), Some(AutomatedKind::Bounce));
        assert_eq!(verdict("Return-Path: <>\r\nFrom: a@c.test\r\n\r\nhi"), Some(AutomatedKind::Bounce));
    }

    #[test]
    fn no_reply_senders() {
        for from in [
            "no-reply@c.test",
            "noreply@c.test",
            "do-not-reply@c.test",
            "list-request@c.test",
            "owner-list@c.test",
        ] {
            assert_eq!(verdict(&format!("From: {from}\r\n\r\nhi")), Some(AutomatedKind::NoReply), "{from}");
        }
    }

    #[test]
    fn automatic_subjects() {
        for subject in [
            "Automatic reply: Refund",
            "Out of Office: back Monday",
            "自动回复: 退款",
            "Undeliverable: Refund",
            "系统退信",
        ] {
            let raw = format!("From: a@c.test\r\nSubject: {subject}\r\n\r\nhi");
            assert!(verdict(&raw).is_some(), "{subject}");
        }
    }

    #[test]
    fn postmaster_spelt_differently() {
        assert_eq!(
            verdict("From: post_master@vtext.test\r\nSubject: Re: x\r\n\r\nhi"),
            Some(AutomatedKind::Bounce)
        );
    }

    #[test]
    fn forwarded_bounce_and_feedback_subjects() {
        for subject in [
            "Fwd: Returned mail: see transcript",
            "complaint about message from 192.0.2.1",
            "Loop Alert: Duplicated Message-ID",
        ] {
            let raw = format!("From: a@c.test\r\nSubject: {subject}\r\n\r\nhi");
            assert_eq!(verdict(&raw), Some(AutomatedKind::Bounce), "{subject}");
        }
    }

    #[test]
    fn x_auto_response_suppress_is_a_persons_mail_that_gets_no_automatic_mail() {
        let own = vec!["support@example.test".to_string()];
        let raw = "From: a@c.test\r\nX-Auto-Response-Suppress: OOF, AutoReply\r\n\r\nhi";
        let v = screen(&parse(raw.as_bytes()).unwrap(), &own);
        assert_eq!(v.automated, None);
        assert_eq!(v.no_automatic_mail.as_deref(), Some("X-Auto-Response-Suppress: OOF, AutoReply"));
        assert!(v.forbids_automatic_mail().is_some());
        let raw = "From: a@c.test\r\nX-Auto-Response-Suppress: None\r\n\r\nhi";
        assert_eq!(screen(&parse(raw.as_bytes()).unwrap(), &own), Verdict::human());
    }

    #[test]
    fn a_daemon_from_stays_a_daemon_whatever_its_reply_to() {
        let raw = "From: MAILER-DAEMON\r\nReply-To: ann@c.test\r\n\r\nhi";
        assert_eq!(verdict(raw), Some(AutomatedKind::Bounce));
        let raw = "From: noreply\r\nSender: ann@c.test\r\n\r\nhi";
        assert_eq!(verdict(raw), Some(AutomatedKind::NoReply));
    }

    #[test]
    fn null_sender_in_from_is_a_bounce() {
        assert_eq!(verdict("From: <>\r\nSubject: x\r\n\r\nhi"), Some(AutomatedKind::Bounce));
        assert_eq!(verdict("From: MAILER-DAEMON <>\r\n\r\nhi"), Some(AutomatedKind::Bounce));
    }

    #[test]
    fn an_invalid_sender_is_a_person_that_gets_no_automatic_mail() {
        let own = vec!["support@example.test".to_string()];
        for from in ["test test@example.com", "<@example.com>", "Ann Lee"] {
            let v = screen(&parse(format!("From: {from}\r\n\r\nhi").as_bytes()).unwrap(), &own);
            assert_eq!(v.automated, None, "{from}");
            assert!(v.no_automatic_mail.as_deref().is_some_and(|r| r.contains("sender")), "{from}: {v:?}");
        }
    }

    #[test]
    fn notice_header_names_start_with_the_bytes_tested_first() {
        for (name, _) in NOTICE_HEADERS {
            assert!(matches!(name.as_bytes()[0], b'x' | b'r' | b'f'), "{name}");
        }
    }

    #[test]
    fn notice_headers_and_return_paths() {
        for header in [
            "X-Cron-Env: <SHELL=/bin/sh>",
            "X-JIRA-FingerPrint: abc",
            "X-Redmine-Project: pay",
            "Feedback-ID: 1:news:esp",
            "Return-Path: <noreply@shop.test>",
            "Return-Path: <bounce-42-ann=c.test@mail.shop.test>",
        ] {
            let raw = format!("{header}\r\nFrom: news@shop.test\r\nSubject: x\r\n\r\nhi");
            assert!(verdict(&raw).is_some(), "{header}");
        }
        assert_eq!(verdict("Return-Path: <ann@c.test>\r\nFrom: ann@c.test\r\n\r\nhi"), None);
    }

    #[test]
    fn automatic_subject_phrases_end_where_a_word_ends() {
        for subject in [
            "退信用卡",
            "退信用卡怎么办",
            "休假期间无法登录",
            "Undeliverables are missing",
            "Re: 自动回复功能在哪里设置",
        ] {
            let raw = format!("From: a@c.test\r\nSubject: {subject}\r\n\r\nhi");
            assert_eq!(verdict(&raw), None, "{subject}");
        }
        for subject in [
            "退信",
            "退信：您的邮件",
            "退信通知",
            "系统退信",
            "自动回复：退款",
            "【自动回复】Re: 工单",
            "[自動回覆] Re: 退款",
            "Abwesenheitsnotiz: Ihr Ticket",
            "Réponse automatique : votre demande",
            "[AUTO GENERATED] disk 91% full",
            "Cron <root@pay1> /usr/local/bin/sync",
        ] {
            let raw = format!("From: a@c.test\r\nSubject: {subject}\r\n\r\nhi");
            assert!(verdict(&raw).is_some(), "{subject}");
        }
    }
}
