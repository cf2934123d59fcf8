//! `deskmail tickets`, `show N`, `quarantine` and `reprocess`: what is in the database, for
//! staff, and replaying quarantined mail after a fix.

use crate::config::Settings;
use crate::daemon::Failure;
use crate::store::Store;

fn open(settings: &Settings) -> Result<Store, Failure> {
    Store::open(&settings.database)
        .map_err(|e| Failure::Temporary(format!("{}: {e}", settings.database.display())))
}

pub fn list(settings: &Settings, json: bool) -> Result<i32, Failure> {
    let tickets = open(settings)?.tickets()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&tickets).unwrap_or_default());
        return Ok(0);
    }
    println!(
        "{:>5}  {:<8} {:<7} {:<20} {:<7} {:<16} {:<16} {:>4}  subject",
        "#", "status", "prio", "category", "lang", "created", "due", "msgs"
    );
    for t in &tickets {
        println!(
            "{:>5}  {:<8} {:<7} {:<20} {:<7} {:<16} {:<16} {:>4}  {} <{}>",
            t.id,
            t.status,
            t.priority,
            t.category.as_deref().unwrap_or("-"),
            t.language,
            super::local(settings, t.created_at),
            super::local(settings, t.first_response_due),
            t.messages,
            t.subject,
            t.customer
        );
    }
    println!("{} ticket(s)", tickets.len());
    Ok(0)
}

pub fn show(settings: &Settings, id: i64, json: bool) -> Result<i32, Failure> {
    let store = open(settings)?;
    let Some(ticket) = store.ticket(id)? else {
        eprintln!("deskmail: no ticket #{id}");
        return Ok(1);
    };
    let messages = store.ticket_messages(id)?;
    let outbox = store.ticket_outbox(id)?;
    if json {
        let value = serde_json::json!({ "ticket": ticket, "messages": messages, "outgoing": outbox });
        println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
        return Ok(0);
    }
    println!("ticket #{}  {}  [{} / {}]", ticket.id, ticket.subject, ticket.status, ticket.priority);
    println!("customer:  {} <{}>", ticket.customer_name, ticket.customer);
    println!("category:  {}   language: {}", ticket.category.as_deref().unwrap_or("-"), ticket.language);
    println!(
        "opened:    {}   first response due: {}",
        super::local(settings, ticket.created_at),
        super::local(settings, ticket.first_response_due)
    );
    if let Some(at) = ticket.first_response_at {
        println!("answered:  {}", super::local(settings, at));
    }
    println!("\nmessages:");
    for m in &messages {
        println!(
            "  [{}] {} from {}  rule={} automated={} charset={}",
            m.id,
            super::local(settings, m.received_at),
            m.from_address.as_deref().unwrap_or("-"),
            m.rule.as_deref().unwrap_or("-"),
            m.automated.as_deref().unwrap_or("no"),
            m.charset.as_deref().unwrap_or("-"),
        );
        println!("      subject: {}", m.subject.as_deref().unwrap_or(""));
        for line in m.new_text.as_deref().unwrap_or("").lines().take(8) {
            println!("      | {line}");
        }
    }
    println!("\noutgoing:");
    for o in &outbox {
        println!(
            "  [{}] {} ({}) to {}  {}  attempts={}",
            o.id, o.kind, o.template, o.recipient, o.state, o.attempts
        );
        println!("      subject: {}   Message-ID: <{}>", o.subject, o.message_id);
        if let Some(e) = &o.last_error {
            println!("      last error: {e}");
        }
    }
    Ok(0)
}

pub fn quarantine(settings: &Settings, json: bool) -> Result<i32, Failure> {
    let list = open(settings)?.quarantined()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&list).unwrap_or_default());
        return Ok(0);
    }
    for q in &list {
        let kept = if q.kept < q.size { " (header kept)" } else { "" };
        println!(
            "{:>6}  {}  {:>9} bytes{kept}  {}",
            q.id,
            super::local(settings, q.received_at),
            q.size,
            q.origin
        );
        println!("        reason: {}", q.reason);
    }
    println!("{} quarantined mail(s)", list.len());
    Ok(0)
}

/// Processes quarantined mail again; what is still broken stays quarantined with its reason.
/// The automatic mail it causes is queued and goes out on the daemon's next pass.
pub fn reprocess(settings: &Settings, id: Option<i64>) -> Result<i32, Failure> {
    let loaded = crate::daemon::load(settings)?;
    let mut store = open(settings)?;
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
                println!("#{id}: still quarantined: {reason}");
            }
            Some(outcome) => println!("#{id}: {}", serde_json::to_string(&outcome).unwrap_or_default()),
        }
    }
    Ok(if still == 0 { 0 } else { 1 })
}
