//! Mail that is not an answer to an incoming mail: the SLA watch (a warning to staff when a
//! ticket has used `warn_at` of its first-response time, and a notice when it breaches, once
//! each per ticket), and a person's reply sent with `deskmail reply`. Both are composed like
//! automatic replies and queued in the outbox; the daemon's sender delivers them.

use jiff::Timestamp;

use crate::compose::{self, Envelope, Rendered, TemplateContext, Templates, local_time};
use crate::config::Settings;
use crate::lifecycle::Event;
use crate::parse::Language;
use crate::sla;
use crate::store::{DueTicket, Happened, OutKind, OutboxRow, Store, StoreError};
use crate::thread;

/// What the SLA watch queued.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Watched {
    pub warnings: usize,
    pub breaches: usize,
}

/// Queues the SLA notices due at `now` (injectable, so tests move the clock).
pub fn sla_watch(
    store: &mut Store,
    settings: &Settings,
    templates: &Templates,
    now: Timestamp,
) -> Result<Watched, StoreError> {
    let mut watched = Watched::default();
    if settings.staff.is_empty() {
        return Ok(watched);
    }
    for ticket in store.due_tickets()? {
        let (start, due) = (ts(ticket.waiting_since), ts(ticket.due));
        let (warn, breach) = sla::thresholds_crossed(start, due, now, settings.warn_at);
        let notice = if breach && !ticket.breach_noticed {
            true
        } else if warn && !ticket.warned && !breach {
            false
        } else {
            continue;
        };
        queue_notice(store, settings, templates, &ticket, notice, now)?;
        if notice { watched.breaches += 1 } else { watched.warnings += 1 }
    }
    Ok(watched)
}

/// A stored Unix time as a timestamp (the epoch for an impossible value).
pub fn ts(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn queue_notice(
    store: &mut Store,
    settings: &Settings,
    templates: &Templates,
    ticket: &DueTicket,
    breached: bool,
    now: Timestamp,
) -> Result<(), StoreError> {
    let due = ts(ticket.due);
    let left = sla::time_left(now, due, &settings.sla_clock);
    let ctx = TemplateContext {
        customer_name: String::new(),
        customer_address: ticket.customer.clone(),
        ticket: ticket.id,
        tag: thread::tag(ticket.id),
        category: ticket.category.clone().unwrap_or_else(|| "other".into()),
        subject: ticket.subject.clone(),
        received: local_time(ts(ticket.waiting_since), &settings.time_zone),
        due: local_time(due, &settings.time_zone),
        support_name: settings.support_name.clone(),
        support_address: settings.support_address.clone(),
        time_left: format!("{:.1}h", left.as_secs_f64() / 3600.0),
        breached,
        ..TemplateContext::default()
    };
    let kind = if breached { OutKind::SlaBreach } else { OutKind::SlaWarning };
    let rendered = match templates.render("sla_warning", settings.staff_language, &ctx) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(ticket = ticket.id, error = %e, "cannot render the SLA notice");
            return Ok(());
        }
    };
    let tx = store.begin()?;
    for staff in &settings.staff {
        let subject = compose::tagged_subject(&rendered.subject, &ctx.tag);
        let out = Outgoing {
            to: staff,
            to_name: "",
            in_reply_to: None,
            references: &[],
            subject: &subject,
            rendered: &rendered,
            ticket: ticket.id,
            kind,
            template: "sla_warning",
            now: now.as_second(),
        };
        if let Err(e) = queue(&tx, settings, &out)? {
            tracing::error!(ticket = ticket.id, %staff, error = %e, "cannot compose the SLA notice");
        }
    }
    tx.mark_sla_notice(ticket.id, breached, now.as_second())?;
    tx.commit()?;
    tracing::warn!(ticket = ticket.id, customer = %ticket.customer, %kind, "SLA notice queued for staff");
    Ok(())
}

/// One mail to queue, from one of the notices or a person's reply.
struct Outgoing<'a> {
    to: &'a str,
    to_name: &'a str,
    in_reply_to: Option<&'a str>,
    references: &'a [String],
    subject: &'a str,
    rendered: &'a Rendered,
    ticket: i64,
    kind: OutKind,
    template: &'a str,
    /// When it is queued (the caller's clock, so tests can move it).
    now: i64,
}

fn queue(
    tx: &crate::store::Tx<'_>,
    settings: &Settings,
    out: &Outgoing<'_>,
) -> Result<Result<(), String>, StoreError> {
    let Outgoing { to, to_name, in_reply_to, references, subject, rendered, ticket, kind, template, now } =
        *out;
    let message_id = compose::new_message_id(&settings.domain);
    let envelope = Envelope {
        from_name: &settings.support_name,
        from_address: &settings.support_address,
        to_name,
        to_address: to,
        message_id: &message_id,
        in_reply_to,
        references,
        subject,
        automatic: kind != OutKind::Human,
    };
    let raw = match compose::build(&envelope, rendered) {
        Ok(raw) => raw,
        Err(e) => return Ok(Err(e.to_string())),
    };
    tx.enqueue(&OutboxRow {
        ticket_id: ticket,
        message_row: None,
        kind,
        template,
        recipient: to,
        message_id: &message_id,
        subject,
        raw: &raw,
        now,
    })?;
    Ok(Ok(()))
}

/// A notice to the staff addresses about a ticket, in the staff language.
pub struct StaffNotice<'a> {
    pub ticket: i64,
    pub kind: OutKind,
    pub template: &'a str,
    pub context: TemplateContext,
    /// When it is queued (the caller's clock).
    pub now: Timestamp,
}

/// Queues a notice to every staff address, in the caller's transaction. A notice that cannot
/// be rendered is logged: the ticket itself still waits in the queue.
pub fn queue_staff_notice(
    tx: &crate::store::Tx<'_>,
    settings: &Settings,
    templates: &Templates,
    notice: &StaffNotice<'_>,
) -> Result<(), StoreError> {
    let ticket = notice.ticket;
    let rendered = match templates.render(notice.template, settings.staff_language, &notice.context) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(ticket, template = notice.template, error = %e, "cannot render a staff notice");
            return Ok(());
        }
    };
    let subject = compose::tagged_subject(&rendered.subject, &notice.context.tag);
    for staff in &settings.staff {
        let out = Outgoing {
            to: staff,
            to_name: "",
            in_reply_to: None,
            references: &[],
            subject: &subject,
            rendered: &rendered,
            ticket,
            kind: notice.kind,
            template: notice.template,
            now: notice.now.as_second(),
        };
        if let Err(e) = queue(tx, settings, &out)? {
            tracing::error!(ticket, %staff, template = notice.template, error = %e, "cannot compose a staff notice");
        }
    }
    Ok(())
}

/// The context of a notice about a customer's mail on `ticket`.
pub fn mail_context(
    settings: &Settings,
    ticket: i64,
    inbound: &crate::parse::Inbound,
    category: &str,
    received: Timestamp,
    due: Timestamp,
) -> TemplateContext {
    TemplateContext {
        customer_name: inbound.from_name.clone(),
        customer_address: inbound.from_address.clone(),
        ticket,
        tag: thread::tag(ticket),
        category: category.to_string(),
        subject: inbound.subject.clone(),
        received: local_time(received, &settings.time_zone),
        due: local_time(due, &settings.time_zone),
        support_name: settings.support_name.clone(),
        support_address: settings.support_address.clone(),
        text: inbound.new_text.clone(),
        ..TemplateContext::default()
    }
}

/// The body of a person's reply.
pub enum ReplyBody {
    /// A template of `templates/`, in the customer's language.
    Template(String),
    /// Plain text written by the person.
    Text(String),
}

/// Why `deskmail reply` could not queue the reply.
#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    #[error("no ticket #{0}")]
    NoTicket(i64),
    #[error("{0}")]
    Compose(String),
    #[error("the reply is empty: nothing was sent")]
    Empty,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A person's reply, rendered and ready to show or queue.
pub struct PreparedReply {
    pub ticket: i64,
    pub to: String,
    pub to_name: String,
    in_reply_to: Option<String>,
    references: Vec<String>,
    pub subject: String,
    pub rendered: Rendered,
    pub template: String,
    /// The ticket's category, to compare with the template's.
    pub category: Option<String>,
}

/// Renders a person's reply to a ticket, threaded on the customer's latest mail. An empty
/// body is refused: a customer never gets a blank mail.
pub fn prepare_reply(
    store: &Store,
    settings: &Settings,
    templates: &Templates,
    ticket: i64,
    body: ReplyBody,
) -> Result<PreparedReply, ReplyError> {
    let reply = store.reply_context(ticket)?.ok_or(ReplyError::NoTicket(ticket))?;
    let language = Language::from_tag(&reply.language).unwrap_or(Language::En);
    let tag = thread::tag(ticket);
    let ctx = TemplateContext {
        customer_name: reply.customer_name.clone(),
        customer_address: reply.customer.clone(),
        ticket,
        tag: tag.clone(),
        category: reply.category.clone().unwrap_or_default(),
        subject: reply.subject.clone(),
        received: local_time(ts(reply.created_at), &settings.time_zone),
        due: local_time(ts(reply.first_response_due), &settings.time_zone),
        support_name: settings.support_name.clone(),
        support_address: settings.support_address.clone(),
        ..TemplateContext::default()
    };
    let (rendered, template) = match body {
        ReplyBody::Template(name) => {
            (templates.render(&name, language, &ctx).map_err(|e| ReplyError::Compose(e.to_string()))?, name)
        }
        ReplyBody::Text(text) => {
            (Rendered { subject: format!("Re: {}", reply.subject), text, html: None }, "-".to_string())
        }
    };
    if rendered.text.trim().is_empty() {
        return Err(ReplyError::Empty);
    }
    Ok(PreparedReply {
        ticket,
        subject: compose::tagged_subject(&rendered.subject, &tag),
        to: reply.customer,
        to_name: reply.customer_name,
        in_reply_to: reply.message_id,
        references: reply.references,
        rendered,
        template,
        category: reply.category,
    })
}

/// Queues a prepared reply, records the ticket's first response and hands the ticket to the
/// customer (waiting), in one transaction.
pub fn queue_reply(
    store: &mut Store,
    settings: &Settings,
    reply: &PreparedReply,
    by: &str,
    now: Timestamp,
) -> Result<(), ReplyError> {
    let tx = store.begin()?;
    let out = Outgoing {
        to: &reply.to,
        to_name: &reply.to_name,
        in_reply_to: reply.in_reply_to.as_deref(),
        references: &reply.references,
        subject: &reply.subject,
        rendered: &reply.rendered,
        ticket: reply.ticket,
        kind: OutKind::Human,
        template: &reply.template,
        now: now.as_second(),
    };
    queue(&tx, settings, &out)?.map_err(ReplyError::Compose)?;
    tx.record_first_response(reply.ticket, now.as_second())?;
    tx.on_event(&Happened {
        ticket: reply.ticket,
        event: Event::StaffReply,
        at: now.as_second(),
        waiting: None,
        actor: Some(by),
        detail: None,
    })?;
    tx.commit()?;
    Ok(())
}
