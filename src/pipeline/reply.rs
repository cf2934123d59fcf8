//! The mail a processed mail causes: the automatic reply to the customer (with the
//! acknowledgement as the fallback when a template fails) and the notices to staff.

use super::file::{deadline, happened, waiting};
use super::*;

/// Queues the planned automatic mail; returns what went, as `kind:template`, or why none.
pub(super) fn send_planned(
    tx: &Tx<'_>,
    ctx: &Context<'_>,
    mail: &Mail<'_>,
    filed: Filed,
    message_row: i64,
    plan: &Plan,
) -> Result<String, StoreError> {
    Ok(match (plan, filed.ticket()) {
        (Plan::Send { kind, template }, Some(ticket)) => {
            queue_reply(tx, ctx, mail, ticket, message_row, *kind, template)?
        }
        (Plan::Nothing { why }, _) => format!("none ({why})"),
        (Plan::Withheld(w), _) => format!("none (withheld, {}: {})", w.reason.as_str(), w.why),
        (_, None) => "none".into(),
    })
}

/// Tells staff what the queue alone would not: a new escalated ticket, a canned answer that
/// did not help, a closed ticket the customer wrote on again.
pub(super) fn tell_staff(
    tx: &Tx<'_>,
    ctx: &Context<'_>,
    mail: &Mail<'_>,
    filed: Filed,
) -> Result<(), StoreError> {
    let (ticket, kind, template, reason) = match filed {
        Filed::Opened(ticket) if mail.classification.action == crate::rules::Action::Escalate => {
            (ticket, OutKind::Escalation, "escalation_notice", NoticeReason::EscalatedByRule)
        }
        Filed::Joined { ticket, notify: Notify::Staff } => {
            let reason = match tx.ticket_state(ticket)?.and_then(|s| s.last_response) {
                Some(Responder::Answer) => NoticeReason::AnswerDidNotHelp,
                _ => NoticeReason::ClosedTicketWritten,
            };
            (ticket, OutKind::FollowUp, "follow_up_notice", reason)
        }
        _ => return Ok(()),
    };
    let category = mail.classification.category.as_deref().unwrap_or("other");
    let context = TemplateContext {
        reason: reason.words(ctx.settings.staff_language).to_string(),
        ..crate::notices::mail_context(
            ctx.settings,
            ticket,
            mail.inbound,
            category,
            &deadline(ctx, mail),
            ctx.now,
        )
    };
    let notice = StaffNotice { ticket, kind, template, context, now: ctx.now };
    crate::notices::queue_staff_notice(tx, ctx.settings, ctx.templates, &notice)
}

/// Queues the automatic mail of `kind` with `template`. When that template cannot be
/// rendered or built, the customer gets the acknowledgement instead and the ticket needs a
/// person with the reason (never no mail because of our own mistake); when even the
/// acknowledgement fails, the ticket needs a person and nothing is sent. Returns what went.
fn queue_reply(
    tx: &Tx<'_>,
    ctx: &Context<'_>,
    mail: &Mail<'_>,
    ticket: i64,
    message_row: i64,
    kind: decide::MailKind,
    template: &str,
) -> Result<String, StoreError> {
    let first = match compose_reply(ctx, mail, ticket, template) {
        Ok(composed) => {
            enqueue_reply(tx, ctx, mail, ticket, message_row, kind.into(), template, &composed)?;
            if kind == decide::MailKind::Answer && mail.classification.resolves {
                tx.record_first_response(ticket, ctx.now.as_second())?;
                tx.on_event(&happened(ticket, Event::Answered, ctx, None, None))?;
            }
            return Ok(format!("{}:{template}", kind.as_str()));
        }
        Err(e) => e,
    };
    tracing::error!(ticket, template, error = %first, "cannot compose the automatic mail");
    let fallback = (template != "ack").then(|| compose_reply(ctx, mail, ticket, "ack"));
    let (reply, detail) = match fallback {
        Some(Ok(composed)) => {
            enqueue_reply(tx, ctx, mail, ticket, message_row, OutKind::Ack, "ack", &composed)?;
            let reply = format!("ack:ack (template {template} failed: {first})");
            (reply, format!("template {template} failed, the acknowledgement went instead: {first}"))
        }
        Some(Err(second)) => {
            let reply =
                format!("none (template {template} failed: {first}; the acknowledgement failed: {second})");
            (reply, format!("template {template} failed ({first}) and so did the acknowledgement ({second})"))
        }
        None => (format!("none (cannot compose: {first})"), format!("the acknowledgement failed: {first}")),
    };
    tx.on_event(&happened(ticket, Event::TemplateFailed, ctx, Some(waiting(ctx, mail)), Some(&detail)))?;
    Ok(reply)
}

/// An automatic mail ready to queue.
struct Composed {
    message_id: String,
    subject: String,
    raw: Vec<u8>,
}

fn compose_reply(
    ctx: &Context<'_>,
    mail: &Mail<'_>,
    ticket: i64,
    template: &str,
) -> Result<Composed, String> {
    let s = ctx.settings;
    let inbound = mail.inbound;
    let tag = thread::tag(ticket);
    let template_ctx = TemplateContext {
        customer_name: inbound.from_name.clone(),
        customer_address: inbound.from_address.clone(),
        ticket,
        tag: tag.clone(),
        category: mail.classification.category.as_deref().unwrap_or_default().to_string(),
        subject: inbound.subject.clone(),
        support_name: s.support_name.clone(),
        support_address: s.support_address.clone(),
        ..TemplateContext::default()
    }
    .with_deadline(&deadline(ctx, mail), &s.time_zone, ctx.now, inbound.language);
    let rendered =
        ctx.templates.render(template, inbound.language, &template_ctx).map_err(|e| e.to_string())?;
    let subject = compose::tagged_subject(&rendered.subject, &tag);
    let message_id = compose::new_message_id(&s.domain);
    let envelope = Envelope {
        from_name: &s.support_name,
        from_address: &s.support_address,
        to_name: &inbound.from_name,
        to_address: &inbound.from_address,
        message_id: &message_id,
        in_reply_to: inbound.message_id.as_deref(),
        references: &inbound.references,
        subject: &subject,
        automatic: true,
    };
    let raw = compose::build(&envelope, &rendered).map_err(|e| e.to_string())?;
    Ok(Composed { message_id, subject, raw })
}

#[allow(clippy::too_many_arguments)]
fn enqueue_reply(
    tx: &Tx<'_>,
    ctx: &Context<'_>,
    mail: &Mail<'_>,
    ticket: i64,
    message_row: i64,
    kind: OutKind,
    template: &str,
    composed: &Composed,
) -> Result<(), StoreError> {
    tx.enqueue(&OutboxRow {
        ticket_id: ticket,
        message_row: Some(message_row),
        kind,
        template,
        recipient: &mail.inbound.from_address,
        message_id: &composed.message_id,
        subject: &composed.subject,
        raw: &composed.raw,
        now: ctx.now.as_second(),
    })?;
    Ok(())
}
