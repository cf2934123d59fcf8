//! File a mail on its ticket and move the ticket by the lifecycle: a bounce on the ticket of
//! the mail it returns, a follow-up on its ticket, a customer's new mail on a new ticket.

use super::*;

/// Files the mail on its ticket and moves the ticket by the lifecycle: a bounce on the
/// ticket of the mail it returns, a follow-up on its ticket (a closed one opens again, or,
/// closed too long, the mail opens a new one), a customer's new mail on a new ticket.
pub(super) fn file(tx: &Tx<'_>, ctx: &Context<'_>, mail: &Mail<'_>) -> Result<Filed, StoreError> {
    let waiting = waiting(ctx, mail);
    if mail.verdict.automated == Some(screen::AutomatedKind::Bounce)
        && let Some(ticket) = record_bounce(tx, ctx, mail.raw)?
    {
        let detail = "our mail to the customer bounced";
        tx.on_event(&happened(ticket, Event::Bounced, ctx, Some(waiting), Some(detail)))?;
        return Ok(Filed::Bounced(ticket));
    }
    if let Threading::FollowUp { ticket, .. } = thread::resolve(mail.inbound, tx)? {
        tx.touch_ticket(ticket, ctx.now.as_second())?;
        if mail.verdict.is_automated() {
            return Ok(Filed::Joined { ticket, notify: Notify::Nobody });
        }
        let state = tx.ticket_state(ticket)?;
        let event = Event::CustomerMail {
            last_response: state.as_ref().and_then(|s| s.last_response),
            within_reopen: state
                .as_ref()
                .is_some_and(|s| ctx.now.as_second() - s.state_since <= ctx.settings.reopen_within.as_secs()),
        };
        let detail = match state.as_ref().map(|s| (s.status, s.last_response)) {
            Some((TicketStatus::Waiting, Some(Responder::Answer))) => Some("the canned answer did not help"),
            Some((TicketStatus::Closed, _)) => Some("the customer wrote on a closed ticket"),
            _ => None,
        };
        match tx.on_event(&happened(ticket, event, ctx, Some(waiting), detail))? {
            Transition::NewTicket => {
                tracing::info!(closed = ticket, "follow-up of a ticket closed too long ago: a new ticket");
            }
            Transition::To { notify, .. } => {
                tx.index_text(ticket, &mail.inbound.new_text)?;
                return Ok(Filed::Joined { ticket, notify });
            }
            Transition::Unchanged => {
                tx.index_text(ticket, &mail.inbound.new_text)?;
                return Ok(Filed::Joined { ticket, notify: Notify::Nobody });
            }
        }
    } else if mail.verdict.is_automated() {
        return Ok(Filed::Nowhere);
    }
    let ticket = open_ticket(tx, mail, waiting)?;
    Ok(Filed::Opened(ticket))
}

fn open_ticket(tx: &Tx<'_>, mail: &Mail<'_>, (received, due): (i64, i64)) -> Result<i64, StoreError> {
    let inbound = mail.inbound;
    let ticket = tx.open_ticket(&NewTicket {
        customer: &inbound.from_address,
        customer_name: &inbound.from_name,
        subject: &inbound.subject,
        category: mail.classification.category.as_deref(),
        priority: mail.classification.priority.as_str(),
        language: inbound.language.tag(),
        created_at: received,
        first_response_due: due,
    })?;
    tx.index_text(ticket, &inbound.new_text)?;
    Ok(ticket)
}

/// When this mail arrived and when a person's answer to it is due.
pub(super) fn waiting(ctx: &Context<'_>, mail: &Mail<'_>) -> (i64, i64) {
    (mail.raw.received_at.as_second(), first_response_due(ctx, mail.raw, &mail.classification).as_second())
}

pub(super) fn happened<'a>(
    ticket: i64,
    event: Event,
    ctx: &Context<'_>,
    waiting: Option<(i64, i64)>,
    detail: Option<&'a str>,
) -> Happened<'a> {
    Happened { ticket, event, at: ctx.now.as_second(), waiting, actor: Some("deskmail"), detail }
}

/// A bounce of one of our mails: the failure is recorded on the outgoing mail and its
/// ticket, and automatic mail to the address is suppressed. Returns that ticket.
fn record_bounce(tx: &Tx<'_>, ctx: &Context<'_>, mail: &RawMail) -> Result<Option<i64>, StoreError> {
    let report = crate::bounce::read(&mail.bytes);
    let now = ctx.now.as_second();
    let until = now + ctx.settings.bounce_suppression.as_secs();
    let reason = format!("bounced ({})", report.status.as_deref().unwrap_or("no status"));
    for id in &report.original_ids {
        if let Some((ticket, recipient)) = tx.record_bounce(id, now, until, &reason)? {
            tracing::warn!(ticket, %recipient, %reason, "our mail bounced; automatic mail to the address suppressed");
            return Ok(Some(ticket));
        }
    }
    Ok(None)
}

/// When the first response to this mail is due: the rule's SLA (or the configured one),
/// counted from receipt on the configured clock.
fn first_response_due(ctx: &Context<'_>, mail: &RawMail, classification: &Classification) -> Timestamp {
    let budget = classification.sla.unwrap_or(ctx.settings.first_response);
    crate::sla::due(mail.received_at, budget, &ctx.settings.sla_clock)
}

/// The deadline of this mail, with what its wording depends on.
pub(super) fn deadline(ctx: &Context<'_>, mail: &Mail<'_>) -> Deadline {
    Deadline {
        received: mail.raw.received_at,
        due: first_response_due(ctx, mail.raw, &mail.classification),
        budget: mail.classification.sla.unwrap_or(ctx.settings.first_response),
        business_hours: ctx.settings.sla_clock.counts_business_hours(),
    }
}
