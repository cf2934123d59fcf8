//! The pipeline for one mail: parse -> screen -> verdict -> classify -> thread -> decide -> store, in
//! one SQLite transaction (its own, or a batch's, through the mail's savepoint). Sources and
//! transports are not touched here: the daemon settles the source after the commit and sends
//! from the outbox later.

mod file;
mod hash;
mod ours;
mod reply;

use file::file;
pub use hash::content_hash;
use reply::{send_planned, tell_staff};

use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;

use crate::compose::promise::Deadline;
use crate::compose::{self, Envelope, TemplateContext, Templates};
use crate::config::Settings;
use crate::decide::{self, Facts, Plan};
use crate::lifecycle::{Event, Notify, Transition};
use crate::notices::{NoticeReason, StaffNotice};
use crate::parse::{self, Inbound};
use crate::rules::{Classification, RuleSet};
use crate::screen::{self, Verdict};
use crate::store::{
    Happened, MessageRow, MessageState, NewTicket, OutKind, OutboxRow, Responder, Store, StoreError,
    TicketStatus, Tx,
};
use crate::thread::{self, Threading};
use crate::verdict::{self, Judgement};

/// One mail as taken from a source.
#[derive(Debug, Clone)]
pub struct RawMail {
    pub bytes: Vec<u8>,
    /// Where it came from, for logs and the database (`imap:INBOX:UIDVALIDITY:UID`, a path …).
    pub origin: String,
    /// When the server received it (IMAP INTERNALDATE, file time).
    pub received_at: Timestamp,
    /// Set when the mail was larger than the limit: `bytes` then holds its header only and
    /// the whole mail stays at the source.
    pub oversize: Option<u64>,
}

/// What the pipeline needs besides the mail.
pub struct Context<'a> {
    pub settings: &'a Settings,
    pub rules: &'a RuleSet,
    pub templates: &'a Templates,
    pub now: Timestamp,
}

/// The result of processing one mail.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum Outcome {
    /// Seen before (same bytes): nothing changed, nothing sent.
    Duplicate,
    Processed(Report),
    /// Kept, not processed, with the reason; can be replayed after a fix.
    Quarantined {
        reason: String,
    },
    /// The copy of one of our own automatic mails: it confirms the send (and belongs in the
    /// Sent folder).
    OwnCopy {
        ticket: i64,
    },
    /// Spam by a trusted filter's verdict: kept with no ticket (and moved to the spam folder)
    /// until `deskmail spam --release` takes it in.
    Spam {
        from: String,
        subject: String,
        verdict: String,
    },
}

/// What processing did, for logs and the demo.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub ticket: Option<i64>,
    pub new_ticket: bool,
    pub from: String,
    pub subject: String,
    /// The classification's own names, shared.
    pub category: Option<Arc<str>>,
    pub rule: Option<Arc<str>>,
    pub language: String,
    pub automated: Option<String>,
    pub action: String,
    /// The automatic mail queued, as `kind:template`, or why none.
    pub reply: String,
    /// Why the receiving servers' verdict withheld the automatic mail (`spam`,
    /// `authentication`), when it did.
    pub withheld: Option<String>,
    /// The verdicts believed, on one line.
    pub verdict: String,
}

/// Processes one mail in a transaction of its own. Only storage errors are returned: bad
/// mail is quarantined.
pub fn process(store: &mut Store, ctx: &Context<'_>, mail: &RawMail) -> Result<Outcome, StoreError> {
    let tx = store.begin()?;
    let outcome = process_in(&tx, ctx, mail)?;
    tx.commit()?;
    Ok(outcome)
}

/// Processes one mail inside `tx` (the daemon passes a batch's transaction, through the
/// mail's savepoint): nothing of it is durable until the caller commits. A mail already taken
/// in, even earlier in the same uncommitted transaction, is a duplicate.
pub fn process_in(tx: &Tx<'_>, ctx: &Context<'_>, mail: &RawMail) -> Result<Outcome, StoreError> {
    let hash = content_hash(&mail.bytes);
    if tx.is_known(&hash)? {
        return Ok(Outcome::Duplicate);
    }
    take_in(tx, ctx, mail, &hash, Spam::AsJudged)
}

/// Processes a quarantined mail again (after a fix), in one transaction with the release of
/// its quarantine row, so a crash leaves it quarantined, never lost.
///
/// A mail quarantined for its size was kept as its header only: it is left as it is, and the
/// reason says how to take it in whole.
pub fn reprocess(store: &mut Store, ctx: &Context<'_>, id: i64) -> Result<Option<Outcome>, StoreError> {
    let Some(kept) = store.quarantined_raw(id)? else { return Ok(None) };
    if let Some(size) = kept.size.filter(|&size| size > kept.raw.len() as i64) {
        let reason = format!(
            "only the header of this {size}-byte mail was kept; raise max_message_bytes if needed and \
             move it from the quarantine folder back to the inbox to take it in whole"
        );
        return Ok(Some(Outcome::Quarantined { reason }));
    }
    let received_at = Timestamp::from_second(kept.received_at).unwrap_or(ctx.now);
    let mail = RawMail { bytes: kept.raw, origin: kept.origin, received_at, oversize: None };
    let hash = content_hash(&mail.bytes);
    let tx = store.begin()?;
    tx.delete_quarantined(id)?;
    let outcome = take_in(&tx, ctx, &mail, &hash, Spam::AsJudged)?;
    tx.commit()?;
    Ok(Some(outcome))
}

/// Takes in a mail held as spam as a customer's mail after all (`deskmail spam --release`),
/// in one transaction with the release of its spam row: it gets its ticket, and automatic
/// mail as the authentication policy allows.
pub fn release_spam(store: &mut Store, ctx: &Context<'_>, id: i64) -> Result<Option<Outcome>, StoreError> {
    let Some(kept) = store.spam_raw(id)? else { return Ok(None) };
    let received_at = Timestamp::from_second(kept.received_at).unwrap_or(ctx.now);
    let mail = RawMail { bytes: kept.raw, origin: kept.origin, received_at, oversize: None };
    let hash = content_hash(&mail.bytes);
    let tx = store.begin()?;
    tx.delete_spam(id)?;
    let outcome = take_in(&tx, ctx, &mail, &hash, Spam::Released)?;
    tx.commit()?;
    Ok(Some(outcome))
}

/// Whether a spam verdict holds for the mail in hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spam {
    AsJudged,
    /// Released by a person: the filter was wrong.
    Released,
}

/// Records a mail not seen before: processed, or quarantined with the reason it cannot be.
fn take_in(
    tx: &Tx<'_>,
    ctx: &Context<'_>,
    mail: &RawMail,
    hash: &str,
    spam: Spam,
) -> Result<Outcome, StoreError> {
    let limit = ctx.settings.max_message_bytes;
    let size = mail.oversize.unwrap_or(mail.bytes.len() as u64);
    if size > limit {
        let reason = format!("{size} bytes, larger than the limit of {limit} bytes");
        return quarantine(tx, mail, hash, &reason);
    }
    match parse::parse(&mail.bytes) {
        Ok(inbound) => record(tx, ctx, mail, hash, &inbound, spam),
        Err(e) => quarantine(tx, mail, hash, &format!("cannot parse: {e}")),
    }
}

/// Stores a mail that cannot be processed, with its reason (in `tx`, like [`process_in`]).
pub fn quarantine(tx: &Tx<'_>, mail: &RawMail, hash: &str, reason: &str) -> Result<Outcome, StoreError> {
    let row = MessageRow {
        hash,
        raw: &mail.bytes,
        origin: &mail.origin,
        received_at: mail.received_at.as_second(),
        error: Some(reason),
        size: mail.oversize.map(|size| size as i64),
        ..MessageRow::default()
    };
    tx.insert_message(&row, MessageState::Quarantined)?;
    Ok(Outcome::Quarantined { reason: reason.to_string() })
}

/// A mail once it is read and judged: what every later step needs.
struct Mail<'a> {
    raw: &'a RawMail,
    hash: &'a str,
    inbound: &'a Inbound,
    verdict: Verdict,
    classification: Classification,
}

/// Where a mail was filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filed {
    /// A customer's mail opened a ticket.
    Opened(i64),
    /// A mail joined a ticket; `notify` when staff must hear of it (a canned answer did not
    /// help, a closed ticket came back).
    Joined { ticket: i64, notify: Notify },
    /// A bounce of one of our mails, filed on its ticket.
    Bounced(i64),
    /// Machine mail that follows up nothing.
    Nowhere,
}

impl Filed {
    fn ticket(self) -> Option<i64> {
        match self {
            Filed::Opened(t) | Filed::Joined { ticket: t, .. } | Filed::Bounced(t) => Some(t),
            Filed::Nowhere => None,
        }
    }
}

/// The steps for a mail not seen before: screen, judge, classify, file on a ticket, plan the
/// automatic mail, store, queue, tell staff.
fn record(
    tx: &Tx<'_>,
    ctx: &Context<'_>,
    raw: &RawMail,
    hash: &str,
    inbound: &Inbound,
    spam: Spam,
) -> Result<Outcome, StoreError> {
    let verdict = screen::screen(inbound, &ctx.settings.own_addresses);
    // A bounce may come without a sender (`From: <>`, or none); a person's mail without one
    // has nobody to thread or answer, and waits in quarantine for a person.
    if inbound.sender_problem == Some(parse::SenderProblem::Missing) && !verdict.is_automated() {
        return quarantine(tx, raw, hash, &format!("cannot parse: {}", parse::ParseError::NoSender));
    }
    if let Some(ticket) = own_copy(tx, ctx, inbound, &verdict)? {
        return Ok(Outcome::OwnCopy { ticket });
    }
    let (judgement, released) = judge(ctx, inbound, spam);
    if judgement.spam.is_some() {
        return hold_as_spam(tx, raw, hash, inbound, &verdict, &judgement);
    }
    let below_our_answer = ours::below_our_answer(tx, inbound)?;
    let inbound = below_our_answer.as_ref().unwrap_or(inbound);
    let classification = ctx.rules.classify(inbound, &verdict);
    let mail = Mail { raw, hash, inbound, verdict, classification };
    let filed = file(tx, ctx, &mail)?;
    let plan = plan(tx, ctx, &mail, filed, &judgement)?;
    let summary = judgement.summary() + released.as_deref().unwrap_or_default();
    let message_row = store_message(tx, &mail, filed, &plan, &summary)?;
    let reply = send_planned(tx, ctx, &mail, filed, message_row, &plan)?;
    tell_staff(tx, ctx, &mail, filed)?;
    Ok(Outcome::Processed(report(&mail, filed, &plan, reply, summary)))
}

/// The copy of one of our own mails coming back: it confirms the send.
fn own_copy(
    tx: &Tx<'_>,
    ctx: &Context<'_>,
    inbound: &Inbound,
    verdict: &Verdict,
) -> Result<Option<i64>, StoreError> {
    match (&verdict.automated, &inbound.message_id) {
        (Some(screen::AutomatedKind::Own), Some(id)) => tx.confirm_sent_copy(id, ctx.now.as_second()),
        _ => Ok(None),
    }
}

/// The receiving servers' verdicts, and a note when a person released the mail from spam.
fn judge(ctx: &Context<'_>, inbound: &Inbound, spam: Spam) -> (Judgement, Option<String>) {
    let mut judgement = verdict::judge(inbound, &ctx.settings.trust);
    let released = match spam {
        Spam::Released => judgement.spam.take().map(|why| format!("; {why}, released as not spam")),
        Spam::AsJudged => None,
    };
    (judgement, released)
}

/// Which automatic mail the customer gets, if any.
fn plan(
    tx: &Tx<'_>,
    ctx: &Context<'_>,
    mail: &Mail<'_>,
    filed: Filed,
    judgement: &Judgement,
) -> Result<Plan, StoreError> {
    let from = &mail.inbound.from_address;
    let suppressed = tx.suppressed_until(from, ctx.now.as_second())?;
    Ok(match (filed.ticket(), suppressed) {
        (Some(_), Some((until, reason))) if !mail.verdict.is_automated() => Plan::Nothing {
            why: format!("automatic mail to this address is suppressed until {until} ({reason})"),
        },
        (Some(_), _) => decide::plan(Facts {
            verdict: &mail.verdict,
            classification: &mail.classification,
            new_ticket: matches!(filed, Filed::Opened(_)),
            sent_today: tx.automatic_mails_in_window(from, ctx.now.as_second())?,
            max_per_day: ctx.settings.max_auto_per_day,
            withheld: judgement.withheld().as_ref(),
        }),
        (None, _) => Plan::Nothing { why: format!("machine mail ({})", mail.verdict.reason) },
    })
}

fn withheld_reason(plan: &Plan) -> Option<&str> {
    match plan {
        Plan::Withheld(w) => Some(w.reason.as_str()),
        _ => None,
    }
}

/// Stores the mail with what was decided, and the second opinion when there is one.
fn store_message(
    tx: &Tx<'_>,
    mail: &Mail<'_>,
    filed: Filed,
    plan: &Plan,
    summary: &str,
) -> Result<i64, StoreError> {
    let row = MessageRow {
        withheld: withheld_reason(plan),
        verdict: Some(summary),
        ..message_row(
            mail.raw,
            mail.hash,
            mail.inbound,
            &mail.verdict,
            Some(&mail.classification),
            filed.ticket(),
        )
    };
    let id = tx.insert_message(&row, MessageState::Processed)?;
    if mail.classification.model.is_some() || mail.classification.held.is_some() {
        tx.insert_opinion(id, &mail.classification)?;
    }
    Ok(id)
}

fn report(mail: &Mail<'_>, filed: Filed, plan: &Plan, reply: String, verdict: String) -> Report {
    let c = &mail.classification;
    Report {
        ticket: filed.ticket(),
        new_ticket: matches!(filed, Filed::Opened(_)),
        from: mail.inbound.from_address.clone(),
        subject: mail.inbound.subject.clone(),
        category: c.category.clone(),
        rule: c.rule.clone(),
        language: mail.inbound.language.tag().into(),
        automated: mail.verdict.automated.map(|k| k.as_str().to_string()),
        action: c.action.as_str().into(),
        reply,
        withheld: withheld_reason(plan).map(str::to_string),
        verdict,
    }
}

/// Keeps spam with its verdict and no ticket: it reaches no staff queue and gets no mail.
fn hold_as_spam(
    tx: &Tx<'_>,
    mail: &RawMail,
    hash: &str,
    inbound: &Inbound,
    verdict: &screen::Verdict,
    judgement: &Judgement,
) -> Result<Outcome, StoreError> {
    let summary = judgement.summary();
    let row = MessageRow {
        withheld: Some(verdict::WithheldReason::Spam.as_str()),
        verdict: Some(&summary),
        ..message_row(mail, hash, inbound, verdict, None, None)
    };
    tx.insert_message(&row, MessageState::Spam)?;
    Ok(Outcome::Spam {
        from: inbound.from_address.clone(),
        subject: inbound.subject.clone(),
        verdict: summary,
    })
}

fn message_row<'a>(
    mail: &'a RawMail,
    hash: &'a str,
    inbound: &'a Inbound,
    verdict: &'a Verdict,
    classification: Option<&'a Classification>,
    ticket: Option<i64>,
) -> MessageRow<'a> {
    MessageRow {
        hash,
        raw: &mail.bytes,
        origin: &mail.origin,
        received_at: mail.received_at.as_second(),
        message_id: inbound.message_id.as_deref(),
        from_address: Some(&inbound.from_address),
        from_name: Some(&inbound.from_name),
        subject: Some(&inbound.subject),
        language: Some(inbound.language.tag()),
        charset: Some(&inbound.charset),
        lossy: inbound.lossy,
        new_text: Some(&inbound.new_text),
        quoted_text: Some(&inbound.quoted_text),
        automated: verdict.automated.map(|k| k.as_str()),
        category: classification.and_then(|c| c.category.as_deref()),
        rule: classification.and_then(|c| c.rule.as_deref()),
        action: classification.map(|c| c.action.as_str()),
        ticket_id: ticket,
        // Processed: the column keeps, for the person who takes the ticket, why no automatic
        // mail went out (a quarantined mail's row keeps its reason there).
        error: verdict.no_automatic_mail.as_deref(),
        size: None,
        withheld: None,
        verdict: None,
    }
}
