//! Screen stage, senders: the addresses a mail system or a no-reply service sends from
//! (`MAILER-DAEMON`, `postmaster`, `no-reply`, `bounces+…`), in From, Sender or the envelope.

use crate::parse::{Inbound, SenderProblem};

use super::{AutomatedKind, Verdict};

pub(super) fn bounce_sender(mail: &Inbound) -> Option<Verdict> {
    if mail.sender_problem == Some(SenderProblem::Null) {
        return Some(Verdict::machine(AutomatedKind::Bounce, "null sender <> in From"));
    }
    for address in senders(mail) {
        if let Some(local) = mail_system_local_part(address)
            && !postmaster_writing(mail, local)
        {
            return Some(Verdict::machine(AutomatedKind::Bounce, format!("sender {local}")));
        }
    }
    // An envelope sender of MAILER-DAEMON is a mail system's own (a bounce relayed on, a
    // delivery warning); a person's mail never leaves with it.
    if let Some(local) = mail.return_path.as_deref().and_then(mail_system_local_part) {
        return Some(Verdict::machine(AutomatedKind::Bounce, format!("Return-Path {local}@")));
    }
    // A null Return-Path alone, on a mail without any From, proves too little: such a mail
    // waits in quarantine for a person (a report or a DSN subject still makes it a bounce).
    let null_path = mail.return_path.as_deref() == Some("");
    (null_path && mail.sender_problem != Some(SenderProblem::Missing))
        .then(|| Verdict::machine(AutomatedKind::Bounce, "null Return-Path <>"))
}

/// Whether `local`, a mail system's sender, is `postmaster@` on a mail with no report and no
/// delivery subject: the mailbox of the person who runs a mail gateway, who may write to us
/// ("our gateway quarantines your notifications: is this a new sending server of yours?").
/// Such a mail is only a hint ([`postmaster_sender`]), which a question in its own words
/// outweighs; a mail system's bounce names its delivery in its subject or report.
fn postmaster_writing(mail: &Inbound, local: &str) -> bool {
    squashed_is(local, "postmaster")
        && !super::subject::is_delivery_subject(&mail.subject)
        && !mail
            .attachments
            .iter()
            .any(|a| a.mime_type.starts_with("message/") || a.mime_type.starts_with("text/rfc822"))
}

/// A postmaster's own mail that [`bounce_sender`] let through: a hint of a bounce.
pub(super) fn postmaster_sender(mail: &Inbound) -> Option<Verdict> {
    senders(mail)
        .filter_map(mail_system_local_part)
        .find(|local| squashed_is(local, "postmaster"))
        .map(|local| Verdict::machine(AutomatedKind::Bounce, format!("sender {local}")))
}

/// The local part of a mail system's own address (`MAILER-DAEMON`, `postmaster`, MDaemon's
/// `MDaemon`, `Mail.Delivery.System`), spelt any way; also the part before the first `@`, for
/// senders written `Postmaster\@host@relay`.
pub(super) fn mail_system_local_part(address: &str) -> Option<&str> {
    const SYSTEMS: [&str; 6] = [
        "mailerdaemon",
        "postmaster",
        "maildaemon",
        "mdaemon",
        "maildeliverysystem",
        "maildeliverysubsystem",
    ];
    // Every one of them starts with m or p: most addresses are told by their first letter.
    let may_be = |local: &str| squashed(local).next().is_some_and(|b| matches!(b, b'm' | b'p'));
    let first = address.split_once('@').map_or(address, |(local, _)| local);
    [local_part(address), first]
        .into_iter()
        .find(|local| may_be(local) && SYSTEMS.iter().any(|s| squashed_is(local, s)))
}

pub(super) fn no_reply_sender(mail: &Inbound) -> Option<Verdict> {
    let local = senders(mail).map(local_part).find(|local| is_no_reply(local) || is_notice_sender(local))?;
    Some(Verdict::machine(AutomatedKind::NoReply, format!("sender {local}")))
}

/// A sender that only sends notices (`alerts@`, `notifications@`, `notificaciones@`): a hint,
/// which a person writing from such an address outweighs by asking in their own words. Not
/// `service@` or `info@`, from which small shops write without asking anything.
fn is_notice_sender(local: &str) -> bool {
    [
        "alert",
        "alerts",
        "notification",
        "notifications",
        "notify",
        "notificaciones",
        "notificacoes",
        "benachrichtigung",
    ]
    .iter()
    .any(|word| squashed_is(local, word))
}

/// The sender address, and From's own when another address of the mail stands for it.
pub(super) fn senders(mail: &Inbound) -> impl Iterator<Item = &str> {
    std::iter::once(mail.from_address.as_str()).chain(mail.from_replaced.as_deref())
}

/// A Return-Path of a sender that takes no answer (`noreply@`), or a bulk sender's bounce
/// address (`bounce-123@`, `bounces+x=y@`): a person's Return-Path is their own address.
pub(super) fn return_path_sender(mail: &Inbound) -> Option<Verdict> {
    let path = mail.return_path.as_deref().filter(|p| !p.is_empty())?;
    let local = local_part(path);
    let bulk = local.starts_with("bounce") || local.contains("-bounce") || local.contains(".bounce");
    (is_no_reply(local) || bulk)
        .then(|| Verdict::machine(AutomatedKind::NoReply, format!("Return-Path {local}@")))
}

/// Whether a local part belongs to a sender that takes no answer.
pub(super) fn is_no_reply(local: &str) -> bool {
    ["noreply", "donotreply", "noanswer", "donotrespond"].iter().any(|p| squashed_starts_with(local, p))
        || squashed_ends_with(local, "noreply")
        || local.ends_with("-request")
        || local.starts_with("owner-")
        || local.ends_with("-owner")
        || local.ends_with("-bounces")
        || ["listserv", "majordomo", "mailman", "bounce", "bounces"].contains(&local)
        || local.starts_with("bounce-")
        || local.starts_with("bounces+")
}

/// `local` without its punctuation (`no-reply`, `do_not_reply` and `mailer.daemon` are
/// spelt many ways): its ASCII letters and digits, compared without building a string.
pub(super) fn squashed(local: &str) -> impl Iterator<Item = u8> + '_ {
    local.bytes().filter(u8::is_ascii_alphanumeric).map(|b| b.to_ascii_lowercase())
}

pub(super) fn squashed_is(local: &str, word: &str) -> bool {
    squashed(local).eq(word.bytes())
}

/// Whether `local` squashed ends with `suffix` (`alerts-noreply`, `bank_noreply`).
fn squashed_ends_with(local: &str, suffix: &str) -> bool {
    let mut letters = local.bytes().rev().filter(u8::is_ascii_alphanumeric).map(|b| b.to_ascii_lowercase());
    suffix.bytes().rev().all(|b| letters.next() == Some(b))
}

pub(super) fn squashed_starts_with(local: &str, prefix: &str) -> bool {
    let mut letters = squashed(local);
    prefix.bytes().all(|b| letters.next() == Some(b))
}

pub(super) fn local_part(address: &str) -> &str {
    address.rsplit_once('@').map_or(address, |(local, _)| local)
}
