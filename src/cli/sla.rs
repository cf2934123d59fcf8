//! `deskmail sla`, `deskmail status` and `deskmail reply`: the SLA as staff see it, the
//! daemon as operators see it, and a person's answer sent from the command line.

use super::output::outln;
use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use super::Failure;
use crate::config::{MailboxSettings, Settings};
use crate::notices::ts;
use crate::sla;
use crate::store::Store;

/// The database, read-only: a command that only reads never creates or migrates it.
fn open(settings: &Settings) -> Result<Store, Failure> {
    Ok(Store::open_read_only(&settings.database)?)
}

#[derive(Debug, Serialize)]
struct SlaLine {
    ticket: i64,
    customer: String,
    category: Option<String>,
    priority: String,
    #[serde(serialize_with = "crate::timefmt::rfc3339")]
    due: i64,
    seconds_left: i64,
    breached: bool,
}

#[derive(Debug, Serialize)]
struct SlaReport {
    open: Vec<SlaLine>,
    breaches: usize,
    days: i64,
    answered_in_time: i64,
    due: i64,
    compliance: Option<f64>,
    /// Tickets per state.
    states: BTreeMap<String, i64>,
    /// Per category: tickets waiting for a person, and how many of them are past due.
    categories: BTreeMap<String, CategoryLine>,
}

#[derive(Debug, Default, Serialize)]
struct CategoryLine {
    waiting: usize,
    breached: usize,
}

pub fn report(settings: &Settings, days: i64, json: bool) -> Result<i32, Failure> {
    let store = open(settings)?;
    let now = Timestamp::now();
    let open: Vec<SlaLine> = store
        .due_tickets()?
        .into_iter()
        .map(|t| {
            let due = ts(t.due);
            SlaLine {
                ticket: t.id,
                customer: t.customer,
                category: t.category,
                priority: t.priority,
                due: t.due,
                seconds_left: sla::time_left(now, due, &settings.sla_clock).as_secs(),
                breached: now >= due,
            }
        })
        .collect();
    let (in_time, due) = store.compliance(now.as_second() - days * 86_400, now.as_second())?;
    let mut categories: BTreeMap<String, CategoryLine> = BTreeMap::new();
    for line in &open {
        let entry = categories.entry(line.category.clone().unwrap_or_else(|| "-".into())).or_default();
        entry.waiting += 1;
        entry.breached += usize::from(line.breached);
    }
    let report = SlaReport {
        states: store.ticket_counts()?.into_iter().map(|(s, n)| (s.as_str().to_string(), n)).collect(),
        categories,
        breaches: open.iter().filter(|l| l.breached).count(),
        open,
        days,
        answered_in_time: in_time,
        due,
        compliance: (due > 0).then(|| in_time as f64 / due as f64),
    };
    if json {
        outln!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
        return Ok(0);
    }
    outln!("{:>6}  {:<24} {:<20} {:<7} {:<23} time left", "ticket", "customer", "category", "prio", "due");
    for l in &report.open {
        let left = if l.breached {
            format!("BREACHED {:.1}h ago", -l.seconds_left as f64 / 3600.0)
        } else {
            format!("{:.1}h", l.seconds_left as f64 / 3600.0)
        };
        let category = l.category.as_deref().unwrap_or("-");
        outln!(
            "{:>6}  {:<24} {:<20} {:<7} {:<23} {left}",
            l.ticket,
            l.customer,
            category,
            l.priority,
            super::local(settings, l.due)
        );
    }
    outln!("{} waiting for a person, {} breached", report.open.len(), report.breaches);
    let states: Vec<String> = report.states.iter().map(|(s, n)| format!("{s} {n}")).collect();
    outln!("tickets by state: {}", if states.is_empty() { "none".into() } else { states.join(", ") });
    for (category, line) in &report.categories {
        outln!("  {category:<20} {} waiting, {} breached", line.waiting, line.breached);
    }
    match report.compliance {
        Some(c) => {
            outln!("compliance, last {days} days: {in_time}/{due} answered in time ({:.1}%)", c * 100.0)
        }
        None => outln!("compliance, last {days} days: no ticket was due"),
    }
    Ok(0)
}

#[derive(Debug, Serialize)]
struct Status {
    mailbox: String,
    database: String,
    running_pid: Option<u32>,
    #[serde(serialize_with = "crate::timefmt::rfc3339_opt")]
    last_poll: Option<i64>,
    seconds_since_last_poll: Option<i64>,
    /// Outgoing mail per state.
    outbox: BTreeMap<String, i64>,
    /// Stored mail per state.
    messages: BTreeMap<String, i64>,
    waiting_tickets: usize,
    /// Tickets per state.
    tickets: BTreeMap<String, i64>,
    next_deadline: Option<Deadline>,
    /// The rules and templates the daemon works with.
    rules: Option<crate::reload::RuleSetInUse>,
    /// The last reload, when it was refused.
    refused_reload: Option<crate::reload::Verdict>,
    /// Mails whose automatic mail the receiving servers' verdict withheld, per reason
    /// (`spam`, `authentication`).
    withheld: BTreeMap<String, i64>,
    /// The authentication policy in force and whose results it believes.
    authentication: String,
}

/// The ticket whose first-response deadline comes next.
#[derive(Debug, Serialize)]
struct Deadline {
    ticket: i64,
    #[serde(serialize_with = "crate::timefmt::rfc3339")]
    due: i64,
}

pub fn status(settings: &Settings, json: bool) -> Result<i32, Failure> {
    let store = open(settings)?;
    let last_poll: Option<i64> = store.state("last_poll_ok")?.and_then(|v| v.parse().ok());
    let waiting = store.due_tickets()?;
    let status = Status {
        mailbox: match &settings.mailbox {
            MailboxSettings::Imap { server, folders } => format!(
                "imap {}@{}:{} {}",
                server.username.as_deref().unwrap_or("-"),
                server.host,
                server.port,
                folders.inbox
            ),
            MailboxSettings::Maildir { path, .. } => format!("maildir {}", path.display()),
        },
        database: settings.database.display().to_string(),
        running_pid: crate::lock::holder(&settings.database),
        last_poll,
        seconds_since_last_poll: last_poll.map(|t| Timestamp::now().as_second() - t),
        outbox: store.outbox_counts()?.into_iter().collect(),
        messages: store.message_counts()?.into_iter().collect(),
        waiting_tickets: waiting.len(),
        tickets: store.ticket_counts()?.into_iter().map(|(s, n)| (s.as_str().to_string(), n)).collect(),
        next_deadline: waiting.first().map(|t| Deadline { ticket: t.id, due: t.due }),
        rules: crate::reload::in_use(&store)?,
        refused_reload: crate::reload::last(&store)?.filter(|v| !v.accepted),
        withheld: store.withheld_counts()?.into_iter().collect(),
        authentication: authentication_line(settings),
    };
    if json {
        outln!("{}", serde_json::to_string_pretty(&status).unwrap_or_default());
        return Ok(0);
    }
    outln!("mailbox:        {}", status.mailbox);
    outln!("database:       {}", status.database);
    match status.running_pid {
        Some(pid) => outln!("daemon:         running (pid {pid})"),
        None => outln!("daemon:         not running"),
    }
    match (status.last_poll, status.seconds_since_last_poll) {
        (Some(at), Some(ago)) => outln!("last poll:      {} ({ago} s ago)", super::local(settings, at)),
        _ => outln!("last poll:      never"),
    }
    let counts =
        |v: &BTreeMap<String, i64>| v.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ");
    outln!("outbox:         {}", counts(&status.outbox));
    outln!("messages:       {}", counts(&status.messages));
    outln!(
        "tickets:        {}",
        if status.tickets.is_empty() { "none".into() } else { counts(&status.tickets) }
    );
    outln!("waiting:        {} ticket(s) wait for a person", status.waiting_tickets);
    match &status.next_deadline {
        Some(d) => outln!("next deadline:  #{} {}", d.ticket, super::local(settings, d.due)),
        None => outln!("next deadline:  -"),
    }
    match &status.rules {
        Some(r) => outln!(
            "rules:          {} rules, set {} loaded {}",
            r.rules,
            r.fingerprint,
            super::local(settings, r.loaded_at)
        ),
        None => outln!("rules:          -"),
    }
    if let Some(refused) = &status.refused_reload {
        outln!(
            "last reload:    REFUSED {} (the set above stays in use):",
            super::local(settings, refused.at)
        );
        for problem in &refused.problems {
            outln!("                {problem}");
        }
    }
    let withheld = if status.withheld.is_empty() { "none".to_string() } else { counts(&status.withheld) };
    outln!("auto withheld:  {withheld}");
    outln!("authentication: {}", status.authentication);
    Ok(0)
}

/// The policy in force, and why it is off when no authserv-id is trusted.
fn authentication_line(settings: &Settings) -> String {
    let trust = &settings.trust;
    if trust.authserv_ids.is_empty() {
        return "off (no trusted authserv-id in [trust]): automatic mail to every sender".into();
    }
    format!("policy {}, results of {}", trust.effective_policy().as_str(), trust.authserv_ids.join(", "))
}
