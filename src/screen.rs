//! Screen stage, the one loop policy: decides whether a mail was written by a machine, and
//! whether a person's mail may get automatic mail at all. This is the only place that says
//! "never answer automatically"; later stages obey its verdict.
//!
//! Two verdicts: machine mail (no ticket of its own, never answered), and a person's mail that
//! gets a ticket and a person but no automatic mail (it asks for none with
//! `X-Auto-Response-Suppress`, or its sender address cannot be answered).

use serde::Serialize;

use crate::parse::{Inbound, clean_line};

mod senders;
mod subject;
mod text;

use senders::{bounce_sender, no_reply_sender, postmaster_sender, return_path_sender};
use subject::{automatic_subject, away_notice_subject, is_forward};
use text::automatic_text;

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
    let marked = own_address(mail, own_addresses)
        .or_else(|| report(mail))
        .or_else(|| report_part(mail))
        .or_else(|| bounce_sender(mail))
        .or_else(|| auto_submitted(&headers))
        .or_else(|| autoreply_headers(&headers))
        .or_else(|| vendor_fields(&headers))
        .or_else(|| list_headers(&headers))
        .or_else(|| notice_headers(mail))
        .or_else(|| automatic_text(mail));
    if let Some(verdict) = marked {
        return verdict;
    }
    let hinted = postmaster_sender(mail)
        .or_else(|| bulk_precedence(&headers))
        .or_else(|| relayed_by_a_group(&headers))
        .or_else(|| no_reply_sender(mail))
        .or_else(|| bulk_sender_fields(&headers))
        .or_else(|| return_path_sender(mail))
        .or_else(|| automatic_subject(mail))
        .or_else(|| away_notice_subject(mail));
    match hinted {
        // A hint alone does not outweigh a person's own words: a ticket a person sees, and no
        // automatic mail, which is all such a hint can ask for.
        Some(hint) if subject::speaks_for_themselves(&mail.new_text) => {
            let mut verdict = person(mail, &headers);
            verdict.no_automatic_mail =
                Some(format!("{}, in a mail written in a person's words", hint.reason));
            verdict
        }
        Some(hint) => hint,
        None => person(mail, &headers),
    }
}

/// A person's mail, with what stands against answering it automatically.
fn person(mail: &Inbound, headers: &MachineHeaders<'_>) -> Verdict {
    let mut verdict = Verdict::human();
    if let Some(problem) = mail.sender_problem {
        verdict.no_automatic_mail = Some(problem.describe(&mail.from_address));
    } else if is_bare_calendar_response(mail) {
        verdict.no_automatic_mail = Some("a calendar response with no words of its own".to_string());
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

/// Whether `mail` is a calendar's answer to an invitation ("Accepted: …", a `text/calendar`
/// part) with nothing written in it: the client wrote it, there is nothing to acknowledge, and
/// a person still sees it on its ticket.
fn is_bare_calendar_response(mail: &Inbound) -> bool {
    mail.new_text.trim().is_empty() && mail.attachments.iter().any(|a| a.mime_type == "text/calendar")
}

/// The header fields that mark machine mail: one for each vendor's autoresponder flag.
const AUTOREPLY_HEADERS: [&str; 4] = ["x-autoreply", "x-autorespond", "x-autoresponder", "x-mailautoreply"];

/// Header fields by which autoresponders and mail systems that write no `Auto-Submitted` mark
/// their mail, with the values that mark it (compared whole, in any case; none: any value) and
/// the kind of machine. Each name starts with `x` or `d` (`MachineHeaders::of` tests that first).
const VENDOR_FIELDS: &[(&str, &[&str], AutomatedKind)] = &[
    // Domain Technologies Control and other autoresponders.
    ("x-autoreply-from", &[], AutomatedKind::AutoReply),
    ("x-mail-autoreply", &[], AutomatedKind::AutoReply),
    ("x-autoresponse", &[], AutomatedKind::AutoReply),
    // QQ Mail's holiday reply.
    ("x-qq-holidayreply", &["true", "yes", "1"], AutomatedKind::AutoReply),
    // FirstClass.
    ("x-fc-machinegenerated", &["true"], AutomatedKind::AutoReply),
    // Mailtraq.
    ("x-post-messageclass", &["9; autoresponder"], AutomatedKind::AutoReply),
    // qmail's autoresponder.
    ("delivered-to", &["autoresponder"], AutomatedKind::AutoReply),
    // CommuniGate Pro (its forwards and redirects can carry a person's mail: only replies).
    ("x-autogenerated", &["reply"], AutomatedKind::AutoReply),
    // Bluebottle's challenge (a request to confirm the sender before the mail is delivered).
    ("x-bluebottle-request", &[], AutomatedKind::AutoReply),
    // Exim names the recipients a bounce failed for.
    ("x-failed-recipients", &[], AutomatedKind::Bounce),
];

/// The header fields the loop policy reads, the first of each name (in any case), gathered
/// in one pass over the header instead of one search per name.
#[derive(Default)]
struct MachineHeaders<'m> {
    auto_submitted: Option<&'m str>,
    /// Which of [`AUTOREPLY_HEADERS`] are present.
    autoreply: [bool; AUTOREPLY_HEADERS.len()],
    /// The first of [`VENDOR_FIELDS`] present with a value that marks it.
    vendor: Option<usize>,
    auto_response_suppress: Option<&'m str>,
    precedence: Option<&'m str>,
    /// `X-Precedence`, which cPanel's autoresponders write instead of `Precedence`.
    x_precedence: Option<&'m str>,
    /// The name, as written, of the first `List-*` field.
    list: Option<&'m str>,
    /// A group's relay of a person's mail: `X-Original-Sender` naming someone other than
    /// the sender (the group's own mail, a digest say, names the group itself), or
    /// `X-Google-Group-Id` without it.
    group_relay: bool,
    /// The first bulk sender's field (see [`bulk_sender_fields`]) and the kind it hints at.
    bulk_sender: Option<(&'static str, AutomatedKind)>,
}

impl<'m> MachineHeaders<'m> {
    fn of(mail: &'m Inbound) -> MachineHeaders<'m> {
        let mut found = MachineHeaders::default();
        let (mut original_sender, mut group_id) = (None, false);
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
            } else if is("x-precedence") {
                keep(&mut found.x_precedence);
            } else if let Some(i) = AUTOREPLY_HEADERS.iter().position(|n| is(n)) {
                found.autoreply[i] = true;
            } else if found.vendor.is_none()
                && matches!(name.first(), Some(b'x' | b'X' | b'd' | b'D'))
                && let Some(i) = VENDOR_FIELDS.iter().position(|(n, ..)| is(n))
                && vendor_value_marks(VENDOR_FIELDS[i].1, value)
            {
                found.vendor = Some(i);
            } else if name.get(..5).is_some_and(|p| p.eq_ignore_ascii_case(b"list-")) && found.list.is_none()
            {
                found.list = std::str::from_utf8(name).ok();
            } else if is("x-original-sender") {
                keep(&mut original_sender);
            } else if is("x-google-group-id") {
                group_id = true;
            } else if found.bulk_sender.is_none() && is("feedback-id") {
                found.bulk_sender = Some(("feedback-id", AutomatedKind::List));
            } else if found.bulk_sender.is_none()
                && name.get(..7).is_some_and(|p| p.eq_ignore_ascii_case(b"x-sfdc-"))
            {
                found.bulk_sender = Some(("x-sfdc-", AutomatedKind::AutoReply));
            }
        }
        found.group_relay = match original_sender {
            Some(sender) => !clean_line(sender).eq_ignore_ascii_case(&mail.from_address),
            None => group_id,
        };
        found
    }
}

/// Whether a vendor field's value is one that marks machine mail (any value when `marks` is
/// empty). Every field of a name is asked: `Delivered-To` comes once per hop.
fn vendor_value_marks(marks: &[&str], value: &[u8]) -> bool {
    marks.is_empty()
        || std::str::from_utf8(value).is_ok_and(|v| {
            let v = clean_line(v);
            marks.iter().any(|m| v.eq_ignore_ascii_case(m))
        })
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

/// The machine-readable part of a report (RFC 3464 delivery status, RFC 5965 feedback, RFC 8098
/// read receipt) that some mail systems send inside `multipart/mixed`. Not for a forward: a
/// person who forwards a bounce to ask about it may keep its parts.
fn report_part(mail: &Inbound) -> Option<Verdict> {
    const PARTS: [&str; 4] = [
        "message/delivery-status",
        "message/global-delivery-status",
        "message/feedback-report",
        "message/disposition-notification",
    ];
    let part = mail.attachments.iter().find(|a| PARTS.contains(&a.mime_type.as_str()))?;
    (!is_forward(&mail.subject))
        .then(|| Verdict::machine(AutomatedKind::Bounce, format!("{} part", part.mime_type)))
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

fn vendor_fields(headers: &MachineHeaders<'_>) -> Option<Verdict> {
    let (name, _, kind) = VENDOR_FIELDS[headers.vendor?];
    Some(Verdict::machine(kind, format!("header {name}")))
}

/// `Precedence: auto_reply`, and a list's `List-*` fields (not a group that relays a person's
/// mail, see [`relayed_by_a_group`]).
fn list_headers(headers: &MachineHeaders<'_>) -> Option<Verdict> {
    if let Some((field, p)) = precedence(headers)
        && (p == "auto_reply" || p == "auto-reply")
    {
        return Some(Verdict::machine(AutomatedKind::AutoReply, format!("{field}: {p}")));
    }
    let name = headers.list.filter(|_| !headers.group_relay)?;
    Some(Verdict::machine(AutomatedKind::List, format!("header {}", name.to_ascii_lowercase())))
}

/// A person's mail that a group address passed on (Google Groups: `'X' via Group`,
/// `X-Original-Sender`): it carries the group's `List-*` fields, and it is the person's.
fn relayed_by_a_group(headers: &MachineHeaders<'_>) -> Option<Verdict> {
    let name = headers.list.filter(|_| headers.group_relay)?;
    Some(Verdict::machine(AutomatedKind::List, format!("header {} of a group", name.to_ascii_lowercase())))
}

/// The `Precedence` (or `X-Precedence`) field and its value, lower-case.
fn precedence(headers: &MachineHeaders<'_>) -> Option<(&'static str, String)> {
    [("Precedence", headers.precedence), ("X-Precedence", headers.x_precedence)]
        .into_iter()
        .find_map(|(field, value)| value.map(|v| (field, clean_line(v).to_ascii_lowercase())))
}

/// `Precedence: bulk` (`junk`, `list`) with no other mark of machine mail: RFC 3834 asks for
/// no automatic answer, and that is all it says. Alone it marks vacation(1) and
/// challenge-response mail; a company's relay that stamps it on every mail its staff send
/// would hide a customer's question from everyone, so a mail in a person's words is theirs
/// (see [`screen`]); a newsletter carries `List-*` or a bulk sender's fields besides.
fn bulk_precedence(headers: &MachineHeaders<'_>) -> Option<Verdict> {
    let (field, p) = precedence(headers)?;
    ["bulk", "junk", "list"]
        .contains(&p.as_str())
        .then(|| Verdict::machine(AutomatedKind::List, format!("{field}: {p}")))
}

/// A `Feedback-ID`, which bulk senders write for Gmail's feedback loop, and some providers'
/// relays on every mail their customers send (Tencent's business mail: `bizesmtp:…`), and
/// Salesforce's `X-SFDC-*`, on its Email-to-Case auto-responses and its agents' mail alike: hints.
fn bulk_sender_fields(headers: &MachineHeaders<'_>) -> Option<Verdict> {
    let (field, kind) = headers.bulk_sender?;
    Some(Verdict::machine(kind, format!("header {field}")))
}

/// Header fields that only machines write: notices of ticket systems, bug trackers, CI and
/// monitoring, cron's output, and the bulk senders' marks (mail service campaign ids;
/// `Feedback-ID` is a hint only, see [`bulk_sender_fields`]). Matched by name, in any case; a prefix ends with `-`.
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
        assert_eq!(
            verdict("From: a@c.test\r\nPrecedence: bulk\r\nList-Unsubscribe: <mailto:u@c.test>\r\n\r\nhi"),
            Some(AutomatedKind::List)
        );
    }

    #[test]
    fn precedence_bulk_alone_forbids_automatic_mail_but_a_person_sees_it() {
        // A company relay that stamps it on its staff's mail: the customer's question still
        // gets a ticket, and no automatic answer goes back (RFC 3834).
        let own = vec!["support@example.test".to_string()];
        for raw in [
            "From: a@c.test\r\nPrecedence: bulk\r\n\r\nThe reset mail never comes. How can I reset my password now?",
            "From: a@c.test\r\nX-Precedence: junk\r\n\r\n我点了三次忘记密码都没收到重置邮件，还能怎么找回？",
        ] {
            let v = screen(&parse(raw.as_bytes()).unwrap(), &own);
            assert_eq!(v.automated, None, "{raw}");
            assert!(v.forbids_automatic_mail().is_some_and(|why| why.contains("recedence")), "{v:?}");
        }
        // vacation(1) asks nothing.
        let away = "From: a@c.test\r\nPrecedence: bulk\r\nSubject: away from my mail\r\n\r\n\
                    I will not be reading my mail until 30 June. Your mail will be read when I return.";
        assert_eq!(verdict(away), Some(AutomatedKind::List));
    }

    #[test]
    fn a_hint_of_machine_mail_yields_to_a_persons_own_words() {
        let own = vec!["support@example.test".to_string()];
        for raw in [
            // A shop's own noreply sender, a request in its owner's words.
            "From: noreply@bakery.test\r\n\r\nHi, this is Sam from the bakery. Please check why the payouts of 3 and 4 May are missing.",
            // Tencent's business mail stamps every mail with a Feedback-ID.
            "From: a@trade.test\r\nFeedback-ID: bizesmtp:trade.test:qybglogicsvrgz:qybglogicsvrgz5a-0\r\n\r\n\
             我司4月28日至5月5日的结算款至今未到账，请核实原因并告知预计到账时间。",
            // A Google Group passes on a person's mail with its list fields, the question
            // wrapped over two lines.
            "From: 'Alex' via Vendors <vendors@studio.test>\r\nX-Original-Sender: alex@studio.test\r\n\
             List-ID: <vendors.studio.test>\r\nPrecedence: list\r\n\r\nOur payout was split in two and the second \
             transfer never arrived. Could you look into the second transfer for\r\nus?",
            // A subject copied from an autoresponder, a question under it.
            "From: a@c.test\r\nSubject: 自动回复\r\n\r\n你们的自动回复说24小时内有人联系我。现在已经三天了，钱到底去哪了？",
            "From: a@c.test\r\nSubject: Out of office next week - please refund before then\r\n\r\nI'm away next week, \
             so I'd really appreciate it if the refund for my booking came through before Friday.",
        ] {
            let v = screen(&parse(raw.as_bytes()).unwrap(), &own);
            assert_eq!(v.automated, None, "{raw}");
            assert!(v.forbids_automatic_mail().is_some(), "no automatic mail to a hint's sender: {v:?}");
        }
        // A group's own mail (its digest names the group as the original sender) is a list's,
        // whatever its topics ask.
        let digest = "From: tools@groups.test\r\nX-Original-Sender: tools@groups.test\r\nX-Google-Group-Id: 5088\r\n\
                      List-ID: <tools.groups.test>\r\nPrecedence: list\r\n\r\nToday's topic summary\r\n\r\n  \
                      - Refunds arriving twice [2 Updates]\r\n  - Best practice for idempotency keys? [1 Update]";
        assert_eq!(verdict(digest), Some(AutomatedKind::List));
        // Stock lines ask nothing: a receipt with a Feedback-ID stays a bulk sender's.
        let receipt = "From: receipts@shop.test\r\nFeedback-ID: 1:shop:receipt\r\n\r\nReceipt #2291 for your \
                       purchase of two servers. Amount paid 349.00. Something wrong with the email? View it in your browser.";
        assert_eq!(verdict(receipt), Some(AutomatedKind::List));
        // A DMARC aggregate report names itself in its subject.
        let dmarc = "From: dmarcreport@mail.test\r\nSubject: Report Domain: okpay.example Submitter: mail.test \
                     Report-ID: <1a2b>\r\n\r\nThis is a DMARC aggregate report for okpay.example.";
        assert_eq!(verdict(dmarc), Some(AutomatedKind::AutoReply));
        // A notices-only sender is a hint too.
        assert_eq!(
            verdict("From: alerts@monitor.test\r\n\r\n[DOWN] checkout API returned 503"),
            Some(AutomatedKind::NoReply)
        );
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
    fn a_bare_calendar_response_is_a_persons_mail_that_gets_no_automatic_mail() {
        let own = vec!["support@example.test".to_string()];
        let calendar = |text: &str| {
            format!(
                "From: tom@c.test\r\nSubject: Accepted: onboarding call\r\nMIME-Version: 1.0\r\n\
                 Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
                 {text}\r\n--b\r\nContent-Type: text/calendar; method=REPLY\r\n\r\nBEGIN:VCALENDAR\r\n\
                 METHOD:REPLY\r\nEND:VCALENDAR\r\n--b--\r\n"
            )
        };
        let v = screen(&parse(calendar("").as_bytes()).unwrap(), &own);
        assert_eq!(v.automated, None, "a person sees it");
        assert!(v.forbids_automatic_mail().is_some(), "{v:?}");
        let v = screen(
            &parse(calendar("Happy to join. Will the fee for merchants be discussed?").as_bytes()).unwrap(),
            &own,
        );
        assert_eq!(v, Verdict::human(), "a response with words of its own is answered");
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

    fn screened(raw: &str) -> Verdict {
        screen(&parse(raw.as_bytes()).unwrap(), &["support@example.test".to_string()])
    }

    #[test]
    fn a_mail_system_envelope_sender_is_a_bounce() {
        for path in ["MAILER-DAEMON@relay.lake.example", "mailer-daemon", "Postmaster@gw.lake.example"] {
            let raw = format!(
                "Return-Path: <{path}>\r\nFrom: filter@gw.lake.example\r\nSubject: Notice\r\n\r\nMessage held."
            );
            let v = screened(&raw);
            assert_eq!(v.automated, Some(AutomatedKind::Bounce), "{path}: {v:?}");
            assert!(v.reason.starts_with("Return-Path"), "{v:?}");
        }
        let person = "Return-Path: <nora.quist@lake.example>\r\nFrom: nora.quist@lake.example\r\n\r\nhi";
        assert_eq!(verdict(person), None);
    }

    #[test]
    fn mail_system_senders_spelt_other_ways() {
        for from in [
            "MDaemon@mx.pond.example",
            "Mail Delivery System <Mail.Delivery.System@pond.example>",
            "<Postmaster\\@pond.example@relay.pond.example>",
        ] {
            let raw = format!("From: {from}\r\nSubject: Notice\r\n\r\nSee below.");
            assert_eq!(verdict(&raw), Some(AutomatedKind::Bounce), "{from}");
        }
        // A person whose name merely contains the word.
        assert_eq!(verdict("From: postmasterson@pond.example\r\nSubject: Refund\r\n\r\nhi"), None);
    }

    #[test]
    fn vendor_autoresponder_fields_by_name_and_value() {
        for (field, kind) in [
            ("X-AutoReply-From: kai@pond.example", AutomatedKind::AutoReply),
            ("X-Mail-Autoreply: kai@pond.example", AutomatedKind::AutoReply),
            ("X-Autoresponse: on", AutomatedKind::AutoReply),
            ("X-QQ-HolidayReply: true", AutomatedKind::AutoReply),
            ("X-FC-MachineGenerated: true", AutomatedKind::AutoReply),
            ("X-POST-MessageClass: 9; Autoresponder", AutomatedKind::AutoReply),
            ("X-Autogenerated: Reply", AutomatedKind::AutoReply),
            ("X-Bluebottle-Request: <77>", AutomatedKind::AutoReply),
            ("X-Failed-Recipients: lost@far.example", AutomatedKind::Bounce),
        ] {
            let raw = format!("From: kai@pond.example\r\n{field}\r\nSubject: Re: order\r\n\r\nhi");
            assert_eq!(verdict(&raw), Some(kind), "{field}");
        }
        // Every Delivered-To is asked, not just the first.
        let raw = "Delivered-To: kai@pond.example\r\nDelivered-To: Autoresponder\r\nFrom: kai@pond.example\r\n\r\nhi";
        assert_eq!(verdict(raw), Some(AutomatedKind::AutoReply));
        for field in [
            "Delivered-To: kai@pond.example",
            "X-FC-MachineGenerated: false",
            "X-Autogenerated: Forward",
            "X-QQ-HolidayReply: false",
        ] {
            let raw = format!("From: kai@pond.example\r\n{field}\r\nSubject: Refund\r\n\r\nhi");
            assert_eq!(verdict(&raw), None, "{field}");
        }
    }

    #[test]
    fn vendor_field_names_start_with_the_bytes_tested_first() {
        for (name, ..) in VENDOR_FIELDS {
            assert!(matches!(name.as_bytes()[0], b'x' | b'd'), "{name}");
        }
    }

    #[test]
    fn x_precedence_and_a_hyphenated_auto_reply() {
        assert_eq!(
            verdict("From: a@c.test\r\nX-Precedence: auto_reply\r\n\r\nhi"),
            Some(AutomatedKind::AutoReply)
        );
        assert_eq!(
            verdict("From: a@c.test\r\nPrecedence: auto-reply\r\n\r\nhi"),
            Some(AutomatedKind::AutoReply)
        );
        assert_eq!(verdict("From: a@c.test\r\nX-Precedence: first-class\r\n\r\nhi"), None);
    }

    /// A delivery report inside `multipart/mixed`, as some mail systems send it.
    fn mixed_with(subject: &str, part_type: &str) -> String {
        format!(
            "From: gateway@pond.example\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n\
             Content-Type: text/plain\r\n\r\nPlease see the attached report about your order mail.\r\n--b1\r\n\
             Content-Type: {part_type}\r\n\r\nReporting-MTA: dns; gw.pond.example\r\n\r\n\
             Final-Recipient: rfc822; gone@far.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--b1--\r\n"
        )
    }

    #[test]
    fn a_delivery_report_part_outside_multipart_report() {
        assert_eq!(
            verdict(&mixed_with("Your order mail", "message/delivery-status")),
            Some(AutomatedKind::Bounce)
        );
        // A customer who forwards a bounce with its parts to ask about it is a person.
        assert_eq!(verdict(&mixed_with("Fwd: Your order mail", "message/delivery-status")), None);
        assert_eq!(verdict(&mixed_with("Your order mail", "text/plain")), None);
    }

    #[test]
    fn a_person_writing_about_a_bounce_under_its_subject_is_a_person() {
        let forward = "From: ana@pond.example\r\nSubject: Fwd: Delivery Status Notification (Failure)\r\n\r\n\
                       I wrote to your refunds address and got this back, where do I send my refund claim now\r\n\r\n\
                       ---------- Forwarded message ---------\r\nFrom: Mail Delivery Subsystem <mailer-daemon@mx.example>\r\n\
                       Subject: Delivery Status Notification (Failure)\r\n\r\nAddress not found";
        assert_eq!(verdict(forward), None, "a forward with the customer's own note");
        let asked = "From: ana@pond.example\r\nSubject: Delivery failed\r\n\r\n\
                     I paid my sister 50 EUR and the app says delivery failed, but the money is gone. Where is it?";
        assert_eq!(verdict(asked), None, "a subject taken from the app, and a question");
        let relayed = "From: ana@pond.example\r\nSubject: Fwd: Returned mail: see transcript\r\n\r\n\
                       Forwarded.\r\n\r\nBegin forwarded message:\r\n\r\n> From: MAILER-DAEMON\r\n> User unknown";
        assert_eq!(
            verdict(relayed),
            Some(AutomatedKind::Bounce),
            "a line above a forwarded bounce is no note"
        );
        let report = "From: gw@pond.example\r\nSubject: Delivery failed\r\n\r\nDelivery to the following recipients failed.";
        assert_eq!(verdict(report), Some(AutomatedKind::Bounce));
    }

    #[test]
    fn mail_system_subjects_of_their_own() {
        for subject in [
            "Mail could not be delivered",
            "Your message could not be delivered",
            "Permanent Delivery Failure",
            "Message Delivery Warning",
            "Unzustellbar: Ihre Bestellung 4411",
            "Onbestelbaar: factuur 12",
            "配信不能: ご注文",
            "邮件传输失败！",
            "郵件投遞失敗",
            "无法送达: 退款申请",
            "Warning: message 7Qx2-9 delayed 24 hours",
            "[Mail could not be delivered]",
        ] {
            let raw = format!("From: gw@pond.example\r\nSubject: {subject}\r\n\r\nSee the report.");
            assert_eq!(verdict(&raw), Some(AutomatedKind::Bounce), "{subject}");
        }
        for subject in [
            "Mail could not be delivered to my new address",
            "Email delivery problem",
            "无法送达",
            "未送达",
            "Message delivery failure on my statements since May",
            "邮件发送失败",
        ] {
            let raw = format!("From: ivo.brandt@pond.example\r\nSubject: {subject}\r\n\r\nPlease help.");
            assert_eq!(verdict(&raw), None, "{subject}");
        }
    }

    #[test]
    fn autoresponder_subjects_in_many_languages() {
        for subject in [
            "Autosvar: Faktura 3312",
            "Automatisch antwoord: uw vraag",
            "Automaattinen vastaus: tilaus",
            "Automatyczna odpowiedź: zamówienie",
            "Automatická odpověď: objednávka",
            "Автоответ: заказ",
            "Автоматический ответ: заказ",
            "Resposta automática: pedido",
            "Otomatik yanıt: sipariş",
            "自動応答: お問い合わせ",
            "自動返信",
            "자동 회신: 문의",
            "自动应答：退款",
            "自動回應：退款",
            "来自lin.mei@pond.example的自动回复",
            "Ārpus biroja atrašanās automātiskā atbilde: rēķins",
            "Arpus biroja atrasanas automatiska atbilde: rekins",
            "Automated response: ticket 5521",
            "[Autoresponder] your mail",
        ] {
            let raw = format!("From: lin.mei@pond.example\r\nSubject: {subject}\r\n\r\nThanks.");
            assert_eq!(verdict(&raw), Some(AutomatedKind::AutoReply), "{subject}");
        }
        for subject in [
            "自动应答功能怎么关闭",
            "来自客服的自动回复没有收到",
            "Automated response times are too slow",
            "Autosvar fungerer ikke på kontoen",
            "Re: Autosvar: Faktura 3312",
        ] {
            let raw = format!("From: lin.mei@pond.example\r\nSubject: {subject}\r\n\r\nHelp please.");
            assert_eq!(verdict(&raw), None, "{subject}");
        }
    }

    #[test]
    fn an_away_notice_subject_with_the_senders_own_name() {
        let raw = "From: Tomas Reyes <t.reyes@pond.example>\r\nSubject: Tomas Reyes/Pondworks is out of the office.\r\n\r\nBack on the 9th.";
        assert_eq!(verdict(raw), Some(AutomatedKind::AutoReply));
        let raw = "From: Tomas Reyes <t.reyes@pond.example>\r\nSubject: My manager is out of the office\r\n\r\nCan you still refund me?";
        assert_eq!(verdict(raw), None);
        let raw = "From: t.reyes@pond.example\r\nSubject: Tomas is away until Monday\r\n\r\nRefund please.";
        assert_eq!(verdict(raw), None);
    }

    fn with_text(subject: &str, text: &str) -> String {
        format!(
            "From: Rosa Lind <rosa.lind@pond.example>\r\nSubject: {subject}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
        )
    }

    #[test]
    fn opening_lines_that_declare_machine_mail() {
        for (text, kind) in [
            ("这是自动回复，您的来信已收到。", AutomatedKind::AutoReply),
            ("这是一封自动回复邮件\n我休假至下周一。", AutomatedKind::AutoReply),
            ("您好，這是自動回覆。", AutomatedKind::AutoReply),
            (
                "Thank you for writing to Pondworks. This is an automated response to confirm we got your mail.",
                AutomatedKind::AutoReply,
            ),
            ("This is an automatic reply.\n\nI am travelling until the 12th.", AutomatedKind::AutoReply),
            ("此邮件为系统自动发送，请勿直接回复。", AutomatedKind::NoReply),
            (
                "This email was generated automatically by the Pondworks billing system.",
                AutomatedKind::NoReply,
            ),
            (
                "This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered.",
                AutomatedKind::Bounce,
            ),
            ("*****\nThis is the mail system at host gw.pond.example.\n", AutomatedKind::Bounce),
        ] {
            let v = screened(&with_text("Re: invoice 77", text));
            assert_eq!(v.automated, Some(kind), "{text}: {v:?}");
        }
    }

    #[test]
    fn a_person_who_mentions_being_away_or_an_automatic_reply_is_a_person() {
        for (subject, text) in [
            ("Refund", "I am out of office next week, but please answer my refund question."),
            ("退款", "这是自动回复吗？我还没收到退款"),
            ("Refund", "Is this an automatic reply? I still need my refund."),
            (
                "Refund",
                "Hi,\nI got a mail saying this is an automatic reply, but my refund is still missing.",
            ),
            ("Fwd: your order", "This is an automatic reply.\n\nBack on Monday."),
            (
                "Refund",
                "Please help with my refund.\n\nOn Mon, 3 May, shop wrote:\n> This is an automatic reply.",
            ),
            ("自动回复功能", "自动回复功能打开了吗？"),
            ("退款", "这是自动回复，但是我还是没收到退款，请人工处理。"),
            ("Refund", "This is an automatic reply, but I need a person to look at my refund."),
            ("Statement", "This email was sent to me twice, can you check why?"),
        ] {
            let v = screened(&with_text(subject, text));
            assert_eq!(v.automated, None, "{subject} / {text}: {v:?}");
        }
    }

    #[test]
    fn a_delivery_subject_with_a_not_delivered_line_is_a_bounce() {
        let v = screened(&with_text(
            "RE: Invoice 88 : non remis (delivery failed)",
            "*******************\nVotre message n'a pas pu etre delivre a\nkai@far.example\n*******************\nYour message could not be delivered to\nkai@far.example",
        ));
        assert_eq!(v.automated, Some(AutomatedKind::Bounce), "{v:?}");
        assert_eq!(v.reason, "delivery subject and not-delivered notice");
        // Below a filter's banner, with the returned mail attached.
        let raw = "From: scanner@gw.pond.example\r\nSubject: Notice: mail not delivered\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"b2\"\r\n\r\n--b2\r\nContent-Type: text/plain\r\n\r\n\
             *** Message from the Pondworks mail filter ***\r\n\r\nSent: RCPT TO:<gone@far.example>\r\n\
             Got: 550 unknown user\r\n\r\nUnable to deliver message to <gone@far.example>.\r\n--b2\r\n\
             Content-Type: message/rfc822\r\n\r\nFrom: rosa.lind@pond.example\r\nSubject: order\r\n\r\nhello\r\n--b2--\r\n";
        assert_eq!(verdict(raw), Some(AutomatedKind::Bounce));
    }

    #[test]
    fn the_delivery_subject_prefilter_lets_every_form_through() {
        for subject in [
            "Undeliverable: order 88",
            "Mail could not be delivered",
            "Delivery Status Notification (Failure)",
            "Returned mail: see transcript",
            "failure notice",
            "Non remis : facture",
            "Nicht zugestellt: Rechnung",
            "Unzustellbar: Rechnung",
            "No entregado: factura",
            "退信：订单",
            "郵件投遞失敗",
            "邮件传输失败",
        ] {
            assert!(subject::is_delivery_subject(subject), "{subject}");
        }
        assert!(!subject::is_delivery_subject("Refund for order 88"));
    }

    #[test]
    fn a_customer_writing_about_a_delivery_is_a_person() {
        for (subject, text) in [
            ("Card delivery failed", "Unable to deliver the card to my flat, the courier said. What now?"),
            (
                "My transfer was not delivered",
                "The transfer I made yesterday was not delivered to my sister.",
            ),
            (
                "Email not delivered",
                "Hi team,\nyour message could not be delivered to my old address, please use this one.",
            ),
            ("退信了怎么办", "您好，您发送的邮件无法送达我的邮箱，请帮忙看看。"),
            ("Fwd: Undelivered: statement", "Your message could not be delivered to kai@far.example\n"),
        ] {
            let v = screened(&with_text(subject, text));
            assert_eq!(v.automated, None, "{subject} / {text}: {v:?}");
        }
    }

    #[test]
    fn an_away_notice_without_headers_or_subject_is_an_auto_reply_and_a_person_going_away_is_not() {
        let notice = "From: Alan <alan@dental.test>\r\nSubject: RE: [OKPay #4921] Your invoice\r\n\r\n\
                      I am out of the office until Monday April 14 with limited access to email.\r\n\
                      Your message has not been forwarded. For billing please call the front desk.";
        assert_eq!(verdict(notice), Some(AutomatedKind::AutoReply));
        for person in [
            "From: a@c.test\r\nSubject: Refund\r\n\r\nI am out of the office next week, please answer before Friday.",
            "From: a@c.test\r\nSubject: Refund\r\n\r\nI am on leave until the 20th. Will my refund arrive before I \
             return? Please reply to my private address.",
        ] {
            assert_eq!(verdict(person), None, "{person}");
        }
    }

    #[test]
    fn ticket_acknowledgements_and_no_reply_senders_of_other_systems_are_machine_mail() {
        let ack = "From: Support <support@pos.test>\r\nSubject: We received your request #12345\r\n\r\n\
                   Thanks for reaching out! Our team answers requests in the order they arrive. You don't need \
                   to reply to this message.";
        assert_eq!(verdict(ack), Some(AutomatedKind::AutoReply));
        let freshdesk = "From: Help <help@shop.test>\r\nSubject: Ticket Received - Payout question\r\n\r\n\
                         Dear customer, we have received your ticket and will get back to you shortly.";
        assert_eq!(verdict(freshdesk), Some(AutomatedKind::AutoReply));
        let challenge = "From: Marco <marco@ceramics.test>\r\nSubject: Re: [OKPay #4782] Payout on hold\r\n\r\n\
                         Hello,\r\n\r\nI am protecting myself from spam. Your message is awaiting verification \
                         and has not been delivered yet.\r\nPlease confirm you are human by clicking the link.";
        assert_eq!(verdict(challenge), Some(AutomatedKind::AutoReply));
        // A gateway's postmaster who writes in their own words is a person; a postmaster's
        // notice without a question stays a bounce.
        let admin = "From: Postmaster <postmaster@logistics.test>\r\nSubject: Your notifications fail DMARC at our \
                     gateway\r\n\r\nSince Monday our gateway quarantines your payment notifications. Is this a new \
                     sending server of yours, or is someone spoofing you?";
        let v = screen(&parse(admin.as_bytes()).unwrap(), &["support@example.test".to_string()]);
        assert_eq!(v.automated, None);
        assert!(v.forbids_automatic_mail().is_some(), "no automatic mail to a postmaster: {v:?}");
        let notice = "From: postmaster@mx.test\r\nSubject: Message held\r\n\r\nThe message to a@mx.test was held \
                      by policy.";
        assert_eq!(verdict(notice), Some(AutomatedKind::Bounce));
        let alert = "From: Bank <alerts-noreply@bank.test>\r\nSubject: Account alert: incoming credit\r\n\r\n\
                     Dear Customer, a credit of EUR 18,420.55 has been posted to your account.";
        assert_eq!(verdict(alert), Some(AutomatedKind::NoReply));
        // A customer who quotes such a subject and asks stays a person.
        let asked = "From: a@c.test\r\nSubject: Re: We received your request #12345\r\n\r\n\
                     That was a week ago and nobody has answered. Where is my refund for order 4471?";
        assert_eq!(verdict(asked), None);
    }
}
