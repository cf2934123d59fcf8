//! Mail that is not an answer to an incoming mail: the SLA watch (a warning to staff when a
//! ticket has used `warn_at` of its first-response time, and a notice when it breaches, once
//! each per ticket), and a person's reply sent with `deskmail reply`. Both are composed like
//! automatic replies and queued in the outbox; the daemon's sender delivers them.

use jiff::Timestamp;

use crate::compose::promise::Deadline;
use crate::compose::{self, Envelope, Rendered, TemplateContext, Templates, when};
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
    let language = settings.staff_language;
    let deadline = stored_deadline(settings, ticket.waiting_since, ticket.due);
    let left = sla::time_left(now, deadline.due, &settings.sla_clock);
    let ctx = TemplateContext {
        customer_address: ticket.customer.clone(),
        ticket: ticket.id,
        tag: thread::tag(ticket.id),
        category: ticket.category.clone().unwrap_or_else(|| "other".into()),
        subject: ticket.subject.clone(),
        support_name: settings.support_name.clone(),
        support_address: settings.support_address.clone(),
        time_left: when::duration(left, deadline.business_hours, language),
        breached,
        text: latest_customer_text(store, ticket.id)?,
        ..TemplateContext::default()
    }
    .with_deadline(&deadline, &settings.time_zone, now, language);
    let kind = if breached { OutKind::SlaBreach } else { OutKind::SlaWarning };
    let rendered = match templates.render("sla_warning", language, &ctx) {
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

/// The deadline of a stored ticket (`waiting_since`, `due` in Unix seconds); its response
/// time is the open time between them on the configured clock.
fn stored_deadline(settings: &Settings, waiting_since: i64, due: i64) -> Deadline {
    let (received, due) = (ts(waiting_since), ts(due));
    Deadline {
        received,
        due,
        budget: sla::open_time(received, due, &settings.sla_clock),
        business_hours: settings.sla_clock.counts_business_hours(),
    }
}

/// The text of the customer's latest message on a ticket, for the staff who must answer it
/// (empty when there is none).
fn latest_customer_text(store: &Store, ticket: i64) -> Result<String, StoreError> {
    let messages = store.ticket_messages(ticket)?;
    let latest = messages.into_iter().rev().find(|m| m.automated.is_none() && m.new_text.is_some());
    Ok(latest.and_then(|m| m.new_text).unwrap_or_default())
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

/// Why a ticket is put in front of staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeReason {
    EscalatedByRule,
    /// The customer wrote again after a canned answer.
    AnswerDidNotHelp,
    /// The customer wrote again on a closed ticket.
    ClosedTicketWritten,
}

impl NoticeReason {
    /// The reason in the staff language, for a notice's `reason`.
    pub fn words(self, language: Language) -> &'static str {
        use NoticeReason::*;
        match (self, language) {
            (EscalatedByRule, Language::ZhHans) => "规则要求人工处理",
            (EscalatedByRule, Language::ZhHant) => "規則要求人工處理",
            (EscalatedByRule, _) => "escalated by rule",
            (AnswerDidNotHelp, Language::ZhHans) => "客户在收到自动解答后再次来信，说明解答没有解决问题",
            (AnswerDidNotHelp, Language::ZhHant) => "客戶在收到自動解答後再次來信，表示解答沒有解決問題",
            (AnswerDidNotHelp, _) => "the customer wrote again after a canned answer: it did not help",
            (ClosedTicketWritten, Language::ZhHans) => "客户在已关闭的工单上再次来信",
            (ClosedTicketWritten, Language::ZhHant) => "客戶在已關閉的工單上再次來信",
            (ClosedTicketWritten, _) => "the customer wrote again on a closed ticket",
        }
    }
}

/// The context of a notice to staff about a customer's mail on `ticket`, with its times as
/// the staff language reads them and the customer's text.
pub fn mail_context(
    settings: &Settings,
    ticket: i64,
    inbound: &crate::parse::Inbound,
    category: &str,
    deadline: &Deadline,
    now: Timestamp,
) -> TemplateContext {
    TemplateContext {
        customer_name: inbound.from_name.clone(),
        customer_address: inbound.from_address.clone(),
        ticket,
        tag: thread::tag(ticket),
        category: category.to_string(),
        subject: inbound.subject.clone(),
        support_name: settings.support_name.clone(),
        support_address: settings.support_address.clone(),
        text: inbound.new_text.clone(),
        ..TemplateContext::default()
    }
    .with_deadline(deadline, &settings.time_zone, now, settings.staff_language)
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

/// Renders a person's reply to a ticket at `now`, threaded on the customer's latest mail. An
/// empty body is refused: a customer never gets a blank mail.
pub fn prepare_reply(
    store: &Store,
    settings: &Settings,
    templates: &Templates,
    ticket: i64,
    body: ReplyBody,
    now: Timestamp,
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
        support_name: settings.support_name.clone(),
        support_address: settings.support_address.clone(),
        ..TemplateContext::default()
    }
    .with_deadline(
        &stored_deadline(settings, reply.created_at, reply.first_response_due),
        &settings.time_zone,
        now,
        language,
    );
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
