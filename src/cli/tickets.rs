//! `deskmail tickets`, `show N`, `quarantine` and `reprocess`: what is in the database, for
//! staff, and replaying quarantined mail after a fix.

use super::Failure;
use super::output::outln;
use crate::config::Settings;
use crate::store::{Store, TicketFilter};

/// The database, read-only: a command that only reads never creates or migrates it.
fn open(settings: &Settings) -> Result<Store, Failure> {
    Ok(Store::open_read_only(&settings.database)?)
}

/// The existing database, for a command that changes it; a missing file is an error.
fn open_for_writing(settings: &Settings) -> Result<Store, Failure> {
    Ok(Store::open_existing(&settings.database)?)
}

pub fn list(settings: &Settings, filter: &TicketFilter, json: bool) -> Result<i32, Failure> {
    let tickets = open(settings)?.find_tickets(filter)?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&tickets).unwrap_or_default());
        return Ok(0);
    }
    outln!(
        "{:>5}  {:<12} {:<7} {:<20} {:<10} {:<7} {:<23} {:>4}  subject",
        "#",
        "state",
        "prio",
        "category",
        "assignee",
        "lang",
        "due",
        "msgs"
    );
    let now = jiff::Timestamp::now().as_second();
    for t in &tickets {
        let due = match t.due {
            Some(due) if due < now => format!("{} LATE", super::local(settings, due)),
            Some(due) => super::local(settings, due),
            None => "-".into(),
        };
        outln!(
            "{:>5}  {:<12} {:<7} {:<20} {:<10} {:<7} {:<23} {:>4}  {} <{}>",
            t.id,
            t.status.as_str().replace('_', "-"),
            t.priority,
            t.category.as_deref().unwrap_or("-"),
            t.assignee.as_deref().unwrap_or("-"),
            t.language,
            due,
            t.messages,
            t.subject,
            t.customer
        );
    }
    if filter.limit.is_some_and(|limit| tickets.len() as u32 == limit) {
        outln!("{} newest ticket(s); --limit N for more", tickets.len());
    } else {
        outln!("{} ticket(s)", tickets.len());
    }
    Ok(0)
}

/// The plain text of one of our outgoing mails, as the customer (or staff) reads it.
fn outgoing_text(raw: &[u8]) -> String {
    mail_parser::MessageParser::default()
        .parse(raw)
        .and_then(|m| m.body_text(0).map(|t| t.into_owned()))
        .unwrap_or_default()
}

pub fn show(settings: &Settings, id: i64, json: bool) -> Result<i32, Failure> {
    let store = open(settings)?;
    let Some(ticket) = store.ticket(id)? else {
        eprintln!("deskmail: no ticket #{id}");
        return Ok(1);
    };
    let messages = store.ticket_messages(id)?;
    let outbox = store.ticket_outbox(id)?;
    let texts: Vec<String> = outbox.iter().map(|o| outgoing_text(&o.raw)).collect();
    let notes = store.notes(id)?;
    let events = store.ticket_events(id)?;
    if json {
        let outgoing: Vec<serde_json::Value> = outbox
            .iter()
            .zip(&texts)
            .map(|(o, text)| {
                let mut v = serde_json::to_value(o).unwrap_or_default();
                v["text"] = serde_json::Value::String(text.clone());
                v
            })
            .collect();
        let value = serde_json::json!({
            "ticket": ticket, "messages": messages, "outgoing": outgoing, "notes": notes, "history": events
        });
        outln!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
        return Ok(0);
    }
    outln!(
        "ticket #{}  {}  [{} / {}]",
        ticket.id,
        ticket.subject,
        ticket.status.as_str().replace('_', "-"),
        ticket.priority
    );
    outln!("customer:  {} <{}>", ticket.customer_name, ticket.customer);
    outln!(
        "category:  {}   language: {}   assignee: {}",
        ticket.category.as_deref().unwrap_or("-"),
        ticket.language,
        ticket.assignee.as_deref().unwrap_or("-")
    );
    outln!(
        "opened:    {}   first response due: {}",
        super::local(settings, ticket.created_at),
        super::local(settings, ticket.first_response_due)
    );
    if let Some(at) = ticket.first_response_at {
        outln!("answered:  {}", super::local(settings, at));
    }
    if let Some(due) = ticket.due {
        outln!("waiting:   a person's answer is due {}", super::local(settings, due));
    }
    if let Some(reason) = &ticket.reason {
        outln!("why:       {reason}");
    }
    outln!("\nmessages:");
    for m in &messages {
        outln!(
            "  [{}] {} from {}  rule={} automated={} charset={}",
            m.id,
            super::local(settings, m.received_at),
            m.from_address.as_deref().unwrap_or("-"),
            m.rule.as_deref().unwrap_or("-"),
            m.automated.as_deref().unwrap_or("no"),
            m.charset.as_deref().unwrap_or("-"),
        );
        outln!("      subject: {}", m.subject.as_deref().unwrap_or(""));
        if let Some(note) = &m.note {
            outln!("      no automatic mail: {note}");
        }
        if let Some(verdict) = &m.verdict {
            let withheld =
                m.withheld.as_deref().map_or(String::new(), |w| format!("  [automatic mail withheld: {w}]"));
            outln!("      verdict: {verdict}{withheld}");
        }
        if let Ok(Some(opinion)) = store.opinion(m.id) {
            outln!("      category {}: {opinion}", m.category.as_deref().unwrap_or("-"));
        }
        if let Some(at) = m.purged_at {
            outln!("      (raw mail and text purged {} by retention)", super::local(settings, at));
        }
        for line in m.new_text.as_deref().unwrap_or("").lines() {
            outln!("      | {line}");
        }
    }
    outln!("\noutgoing:");
    for (o, text) in outbox.iter().zip(&texts) {
        outln!(
            "  [{}] {} ({}) to {}  {}  attempts={}",
            o.id,
            o.kind,
            o.template,
            o.recipient,
            o.state,
            o.attempts
        );
        outln!("      subject: {}   Message-ID: <{}>", o.subject, o.message_id);
        if let Some(e) = &o.last_error {
            outln!("      last error: {e}");
        }
        for line in text.lines() {
            outln!("      | {line}");
        }
    }
    if !notes.is_empty() {
        outln!("\nnotes (internal):");
        for n in &notes {
            outln!("  {} {}:", super::local(settings, n.at), n.author);
            for line in n.body.lines() {
                outln!("      | {line}");
            }
        }
    }
    outln!("\nhistory:");
    for e in &events {
        let from = e.from.as_deref().map_or(String::new(), |f| format!("{f} -> "));
        let who = e.actor.as_deref().map_or(String::new(), |a| format!(" by {a}"));
        let why = e.detail.as_deref().map_or(String::new(), |d| format!(": {d}"));
        outln!("  {} {from}{} ({}{who}){why}", super::local(settings, e.at), e.to, e.cause);
    }
    Ok(0)
}

pub fn quarantine(settings: &Settings, json: bool) -> Result<i32, Failure> {
    let list = open(settings)?.quarantined()?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&list).unwrap_or_default());
        return Ok(0);
    }
    for q in &list {
        let kept = if q.kept < q.size { " (header kept)" } else { "" };
        outln!(
            "{:>6}  {}  {:>9} bytes{kept}  {}",
            q.id,
            super::local(settings, q.received_at),
            q.size,
            q.origin
        );
        outln!("        reason: {}", q.reason);
    }
    outln!("{} quarantined mail(s)", list.len());
    Ok(0)
}

/// Processes quarantined mail again; what is still broken stays quarantined with its reason.
/// The automatic mail it causes is queued and goes out on the daemon's next pass.
pub fn reprocess(settings: &Settings, id: Option<i64>) -> Result<i32, Failure> {
    let loaded = crate::daemon::load(settings)?;
    let mut store = open_for_writing(settings)?;
    let ids: Vec<i64> = match id {
        Some(id) => vec![id],
        None => store.quarantined()?.iter().map(|q| q.id).collect(),
    };
    let ctx = crate::pipeline::Context {
        settings,
        rules: &loaded.rules,
        templates: &loaded.templates,
        now: jiff::Timestamp::now(),
    };
    let mut still = 0;
    for id in ids {
        match crate::pipeline::reprocess(&mut store, &ctx, id)? {
            None => {
                eprintln!("deskmail: no quarantined mail #{id}");
                return Ok(1);
            }
            Some(crate::pipeline::Outcome::Quarantined { reason }) => {
                still += 1;
                outln!("#{id}: still quarantined: {reason}");
            }
            Some(outcome) => outln!("#{id}: {}", serde_json::to_string(&outcome).unwrap_or_default()),
        }
    }
    Ok(if still == 0 { 0 } else { 1 })
}

/// Copies the database to `file` with SQLite's online backup; `file` must not exist.
pub fn backup(settings: &Settings, file: &std::path::Path) -> Result<i32, Failure> {
    if file.exists() {
        return Err(Failure::CannotCreate(format!(
            "{} exists: deskmail never overwrites it",
            file.display()
        )));
    }
    open(settings)?.backup_to(file)?;
    outln!("backed up {} to {}", settings.database.display(), file.display());
    Ok(0)
}
