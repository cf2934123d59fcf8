//! `deskmail tickets`, `show N`, `quarantine` and `reprocess`: what is in the database, for
//! staff, and replaying quarantined mail after a fix.

use super::output::outln;
use crate::config::Settings;
use crate::daemon::Failure;
use crate::store::Store;

/// The database, read-only: a command that only reads never creates or migrates it.
fn open(settings: &Settings) -> Result<Store, Failure> {
    Ok(Store::open_read_only(&settings.database)?)
}

/// The existing database, for a command that changes it; a missing file is an error.
fn open_for_writing(settings: &Settings) -> Result<Store, Failure> {
    Ok(Store::open_existing(&settings.database)?)
}

pub fn list(settings: &Settings, json: bool) -> Result<i32, Failure> {
    let tickets = open(settings)?.tickets()?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&tickets).unwrap_or_default());
        return Ok(0);
    }
    outln!(
        "{:>5}  {:<8} {:<7} {:<20} {:<7} {:<23} {:<23} {:>4}  subject",
        "#",
        "status",
        "prio",
        "category",
        "lang",
        "created",
        "due",
        "msgs"
    );
    for t in &tickets {
        outln!(
            "{:>5}  {:<8} {:<7} {:<20} {:<7} {:<23} {:<23} {:>4}  {} <{}>",
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
    outln!("{} ticket(s)", tickets.len());
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
        outln!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
        return Ok(0);
    }
    outln!("ticket #{}  {}  [{} / {}]", ticket.id, ticket.subject, ticket.status, ticket.priority);
    outln!("customer:  {} <{}>", ticket.customer_name, ticket.customer);
    outln!("category:  {}   language: {}", ticket.category.as_deref().unwrap_or("-"), ticket.language);
    outln!(
        "opened:    {}   first response due: {}",
        super::local(settings, ticket.created_at),
        super::local(settings, ticket.first_response_due)
    );
    if let Some(at) = ticket.first_response_at {
        outln!("answered:  {}", super::local(settings, at));
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
        for line in m.new_text.as_deref().unwrap_or("").lines().take(8) {
            outln!("      | {line}");
        }
    }
    outln!("\noutgoing:");
    for o in &outbox {
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
