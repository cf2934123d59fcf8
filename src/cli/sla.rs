//! `deskmail sla`, `deskmail status` and `deskmail reply`: the SLA as staff see it, the
//! daemon as operators see it, and a person's answer sent from the command line.

use std::path::PathBuf;

use jiff::Timestamp;
use serde::Serialize;

use crate::config::{MailboxSettings, Settings};
use crate::daemon::{self, Failure};
use crate::notices::{self, ReplyBody, ts};
use crate::sla;
use crate::store::Store;

fn open(settings: &Settings) -> Result<Store, Failure> {
    Store::open(&settings.database)
        .map_err(|e| Failure::Temporary(format!("{}: {e}", settings.database.display())))
}

#[derive(Debug, Serialize)]
struct SlaLine {
    ticket: i64,
    customer: String,
    category: Option<String>,
    priority: String,
    due: String,
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
}

pub fn report(settings: &Settings, days: i64, json: bool) -> Result<i32, Failure> {
    let store = open(settings)?;
    let now = Timestamp::now();
    let open: Vec<SlaLine> = store
        .waiting_tickets()?
        .into_iter()
        .map(|t| {
            let due = ts(t.first_response_due);
            SlaLine {
                ticket: t.id,
                customer: t.customer,
                category: t.category,
                priority: t.priority,
                due: super::local(settings, t.first_response_due),
                seconds_left: sla::time_left(now, due, &settings.sla_clock).as_secs(),
                breached: now >= due,
            }
        })
        .collect();
    let (in_time, due) = store.compliance(now.as_second() - days * 86_400, now.as_second())?;
    let report = SlaReport {
        breaches: open.iter().filter(|l| l.breached).count(),
        open,
        days,
        answered_in_time: in_time,
        due,
        compliance: (due > 0).then(|| in_time as f64 / due as f64),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
        return Ok(0);
    }
    println!("{:>6}  {:<24} {:<20} {:<7} {:<16} time left", "ticket", "customer", "category", "prio", "due");
    for l in &report.open {
        let left = if l.breached {
            format!("BREACHED {:.1}h ago", -l.seconds_left as f64 / 3600.0)
        } else {
            format!("{:.1}h", l.seconds_left as f64 / 3600.0)
        };
        let category = l.category.as_deref().unwrap_or("-");
        println!(
            "{:>6}  {:<24} {:<20} {:<7} {:<16} {left}",
            l.ticket, l.customer, category, l.priority, l.due
        );
    }
    println!("{} waiting, {} breached", report.open.len(), report.breaches);
    match report.compliance {
        Some(c) => {
            println!("compliance, last {days} days: {in_time}/{due} answered in time ({:.1}%)", c * 100.0)
        }
        None => println!("compliance, last {days} days: no ticket was due"),
    }
    Ok(0)
}

#[derive(Debug, Serialize)]
struct Status {
    mailbox: String,
    database: String,
    running_pid: Option<u32>,
    last_poll: Option<String>,
    seconds_since_last_poll: Option<i64>,
    outbox: Vec<(String, i64)>,
    messages: Vec<(String, i64)>,
    waiting_tickets: usize,
    next_deadline: Option<String>,
}

pub fn status(settings: &Settings, json: bool) -> Result<i32, Failure> {
    let store = open(settings)?;
    let last_poll: Option<i64> = store.state("last_poll_ok")?.and_then(|v| v.parse().ok());
    let waiting = store.waiting_tickets()?;
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
        running_pid: daemon::lock::holder(&settings.database),
        last_poll: last_poll.map(|t| super::local(settings, t)),
        seconds_since_last_poll: last_poll.map(|t| Timestamp::now().as_second() - t),
        outbox: store.outbox_counts()?,
        messages: store.message_counts()?,
        waiting_tickets: waiting.len(),
        next_deadline: waiting
            .first()
            .map(|t| format!("#{} {}", t.id, super::local(settings, t.first_response_due))),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&status).unwrap_or_default());
        return Ok(0);
    }
    println!("mailbox:        {}", status.mailbox);
    println!("database:       {}", status.database);
    match status.running_pid {
        Some(pid) => println!("daemon:         running (pid {pid})"),
        None => println!("daemon:         not running"),
    }
    match (&status.last_poll, status.seconds_since_last_poll) {
        (Some(at), Some(ago)) => println!("last poll:      {at} ({ago} s ago)"),
        _ => println!("last poll:      never"),
    }
    let counts =
        |v: &[(String, i64)]| v.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ");
    println!("outbox:         {}", counts(&status.outbox));
    println!("messages:       {}", counts(&status.messages));
    println!("waiting:        {} ticket(s) without a first response", status.waiting_tickets);
    println!("next deadline:  {}", status.next_deadline.as_deref().unwrap_or("-"));
    Ok(0)
}

/// Queues a person's reply and sends it at once when the transport is reachable (otherwise
/// the daemon's next pass sends it).
pub fn reply(
    settings: &Settings,
    ticket: i64,
    template: Option<String>,
    body_file: Option<PathBuf>,
) -> Result<i32, Failure> {
    let loaded = daemon::load(settings)?;
    let body = match (template, body_file) {
        (Some(name), _) => {
            if !loaded.templates.exists(&name) {
                return Err(Failure::Config(format!(
                    "no template `{name}` in {}",
                    settings.templates_dir.display()
                )));
            }
            ReplyBody::Template(name)
        }
        (None, Some(path)) => ReplyBody::Text(
            std::fs::read_to_string(&path)
                .map_err(|e| Failure::Config(format!("{}: {e}", path.display())))?,
        ),
        (None, None) => return Err(Failure::Config("give --template or --body-file".into())),
    };
    let mut store = open(settings)?;
    let subject = match notices::human_reply(&mut store, settings, &loaded.templates, ticket, body) {
        Ok(subject) => subject,
        Err(notices::ReplyError::NoTicket(n)) => {
            eprintln!("deskmail: no ticket #{n}");
            return Ok(1);
        }
        Err(e) => return Err(Failure::Temporary(e.to_string())),
    };
    println!("queued reply to ticket #{ticket}: {subject}");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Temporary(e.to_string()))?;
    // The SMTP connection pool lives on the runtime: build (and drop) it inside.
    let _runtime = runtime.enter();
    let transport = daemon::transport(settings)?;
    let store = std::sync::Mutex::new(store);
    let flushed = runtime.block_on(crate::send::flush(
        &store,
        &transport,
        &settings.support_address,
        settings.self_copy.as_deref(),
        settings.retry_base,
        &std::sync::atomic::AtomicBool::new(false),
    ))?;
    println!(
        "sent {} mail(s); {} left for the daemon to retry",
        flushed.sent,
        flushed.retried + flushed.failed
    );
    Ok(0)
}
