//! The query plan of every statement the hot paths run (issue 22): processing mail, sending,
//! the SLA watch, the staff commands, the metrics gauges, replay and purge. The statements
//! are not listed here but recorded as SQLite runs them (`Connection::trace`), so a query
//! changed or added later is checked too. A plan may not scan a table that grows with the
//! history (tickets, messages, outbox, opinions) where an index should serve: each scan
//! must be bounded (a partial index that holds only the few rows in question, or a listing
//! that stops at its LIMIT).

use std::sync::Mutex;

use super::{MessageState, Retention, Store, TicketFilter, TicketStatus};
use crate::pipeline::{self, Context, RawMail};

static TRACED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Keeps each statement as run, with its parameters written in (so its plan can be asked for
/// alone); trigger programs are traced as comments and left out.
fn record(event: rusqlite::trace::TraceEvent<'_>) {
    if let rusqlite::trace::TraceEvent::Stmt(stmt, sql) = event
        && !sql.trim_start().starts_with("--")
    {
        TRACED.lock().unwrap().push(stmt.expanded_sql().unwrap_or_else(|| sql.to_string()));
    }
}

/// Tables whose size grows with the history.
const GROWING: &[&str] = &["tickets", "messages", "outbox", "opinions", "t", "m", "o"];

/// Partial indexes: scanning one reads only the rows it holds (waiting tickets, held mail).
const BOUNDED_INDEXES: &[&str] =
    &["tickets_unmirrored", "messages_spam", "messages_quarantined", "messages_withheld"];

/// Sorts before a LIMIT that only sort few rows: the due part of the outbox queue, the
/// overdue tickets waiting for a person, one customer's tickets, the tickets waiting for a
/// person (the queue, which does not grow with the history) searched.
const BOUNDED_SORTS: &[&str] =
    &["AND next_try <=", "t.due_at < ", "t.customer = ", "t.status = 'needs_person'"];

/// Why a plan line is a full scan of a growing table, if it is.
fn unbounded_scan(sql: &str, detail: &str) -> bool {
    // A search reads the index newest text first and stops when its page is full: sorted,
    // every text with the word would be read first (README, "A year of mail").
    if detail.starts_with("USE TEMP B-TREE FOR ORDER BY") && sql.contains("FROM search") {
        return true;
    }
    // A listing that stops at its LIMIT must not sort every row it could show first, unless
    // what it sorts is bounded by what it selects.
    if detail.starts_with("USE TEMP B-TREE FOR ORDER BY") && sql.contains(" LIMIT ") {
        return !BOUNDED_SORTS.iter().any(|s| sql.contains(s));
    }
    let Some(rest) = detail.strip_prefix("SCAN ") else { return false };
    let table = rest.split_whitespace().next().unwrap_or("");
    // The search index read with no constraint given to it ("INDEX N:" and nothing after)
    // is every text read one by one: only a purge's unindexing may (once per purge), and a
    // search for a word holding `%` or `_`, whose LIKE needs an ESCAPE (README).
    if table == "search" && rest.ends_with(':') {
        let purge = sql.contains("FROM search WHERE ticket_id IN (SELECT id FROM tickets WHERE purged_at");
        let escaped = sql.contains("ESCAPE") && (sql.contains("\\%") || sql.contains("\\_"));
        return !(purge || escaped);
    }
    if !GROWING.contains(&table) {
        return false;
    }
    if BOUNDED_INDEXES.iter().any(|index| rest.contains(&format!("INDEX {index}"))) {
        return false;
    }
    // A listing newest first that stops at its LIMIT reads only the rows it shows.
    let listing = sql.contains("ORDER BY t.id DESC LIMIT") && rest == "t";
    !listing
}

fn settings() -> crate::config::Settings {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("fixtures/demo.toml")).unwrap();
    let mut settings = crate::config::from_str(&text, "fixtures/demo.toml", root).unwrap();
    settings.rules_dir = root.join("rules");
    settings.templates_dir = root.join("templates");
    settings.staff = vec!["staff@example.test".into()];
    settings
}

/// Runs the hot paths over a small store; returns every statement they ran.
fn hot_statements() -> Vec<String> {
    let settings = settings();
    let loaded = crate::daemon::load(&settings).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    store.conn.trace_v2(rusqlite::trace::TraceEventCodes::SQLITE_TRACE_STMT, Some(record));
    let now = jiff::Timestamp::now();
    let ctx = Context { settings: &settings, rules: &loaded.rules, templates: &loaded.templates, now };
    let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sample-mailbox");
    let mut files: Vec<_> = std::fs::read_dir(samples).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for (i, path) in files.iter().enumerate() {
        let bytes = std::fs::read(path).unwrap();
        let mail = RawMail { bytes, origin: format!("test:{i}"), received_at: now, oversize: None };
        pipeline::process(&mut store, &ctx, &mail).unwrap();
    }
    let first = files.first().map(|p| std::fs::read(p).unwrap()).unwrap();
    let again = RawMail { bytes: first, origin: "test:again".into(), received_at: now, oversize: None };
    pipeline::process(&mut store, &ctx, &again).unwrap();
    let later = jiff::Timestamp::from_second(now.as_second() + 2 * 86_400).unwrap();
    crate::notices::sla_watch(&mut store, &settings, &loaded.templates, later).unwrap();
    for mail in store.due_outbox(later.as_second(), 50).unwrap() {
        let tx = store.begin().unwrap();
        tx.mark_sending(mail.id, later.as_second()).unwrap();
        tx.mark_sent(mail.id, later.as_second()).unwrap();
        tx.commit().unwrap();
    }
    store.requeue_unconfirmed(later.as_second()).unwrap();
    // The staff commands, the metrics gauges, replay and purge.
    let ticket =
        store.find_tickets(&TicketFilter { limit: Some(50), ..TicketFilter::default() }).unwrap()[0].id;
    store.ticket(ticket).unwrap();
    for m in store.ticket_messages(ticket).unwrap() {
        store.opinion(m.id).unwrap();
    }
    store.ticket_outbox(ticket).unwrap();
    store.reply_context(ticket).unwrap();
    store.due_tickets().unwrap();
    store.ticket_counts().unwrap();
    store.ticket_events(ticket).unwrap();
    store.notes(ticket).unwrap();
    store.template_failures().unwrap();
    // `tickets` with each filter: a state, words (one needing an escape; with a state; with a
    // customer; overdue), a customer, overdue.
    for filter in [
        TicketFilter { status: Some(TicketStatus::Closed), ..TicketFilter::default() },
        TicketFilter { status: Some(TicketStatus::NeedsPerson), ..TicketFilter::default() },
        TicketFilter { search: Some("refund".into()), ..TicketFilter::default() },
        TicketFilter { search: Some("100%".into()), ..TicketFilter::default() },
        TicketFilter {
            search: Some("refund order".into()),
            status: Some(TicketStatus::NeedsPerson),
            ..TicketFilter::default()
        },
        TicketFilter {
            search: Some("refund order".into()),
            status: Some(TicketStatus::Closed),
            ..TicketFilter::default()
        },
        TicketFilter { customer: Some("a@b.test".into()), ..TicketFilter::default() },
        TicketFilter {
            customer: Some("a@b.test".into()),
            search: Some("refund 100%".into()),
            ..TicketFilter::default()
        },
        TicketFilter { overdue_at: Some(now.as_second()), ..TicketFilter::default() },
        TicketFilter {
            overdue_at: Some(now.as_second()),
            search: Some("refund".into()),
            ..TicketFilter::default()
        },
    ] {
        store.find_tickets(&TicketFilter { limit: Some(100), ..filter }).unwrap();
    }
    store.compliance(now.as_second() - 30 * 86_400, now.as_second()).unwrap();
    store.outbox_counts().unwrap();
    store.message_counts().unwrap();
    store.withheld_counts().unwrap();
    store.quarantined().unwrap();
    store.spam().unwrap();
    crate::reload::in_use(&store).unwrap();
    crate::reload::last(&store).unwrap();
    crate::metrics::gauges(&store, now.as_second());
    store.for_each_processed_since(now.as_second() - 30 * 86_400, |_| {}).unwrap();
    let policy = Retention { after_days: Some(1), states: vec!["closed".into()] };
    store.purge(&policy, later.as_second(), true).unwrap();
    let counts = store.message_counts().unwrap();
    assert!(counts.iter().any(|(s, _)| s == MessageState::Quarantined.as_str()), "{counts:?}");
    store.conn.trace_v2(rusqlite::trace::TraceEventCodes::empty(), None);
    std::mem::take(&mut *TRACED.lock().unwrap())
}

#[test]
fn no_hot_query_scans_a_table_that_grows_with_the_history() {
    let statements = hot_statements();
    assert!(statements.len() > 50, "the hot paths were traced: {}", statements.len());
    let probe = Store::open_in_memory().unwrap();
    let mut checked = 0;
    let mut scans = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for sql in statements {
        let sql = sql.trim().to_string();
        let upper = sql.to_ascii_uppercase();
        // Trigger bodies are traced as comments; transaction control and pragmas have no plan.
        if sql.starts_with("--")
            || !["SELECT", "UPDATE", "DELETE", "INSERT", "WITH"].iter().any(|k| upper.starts_with(k))
        {
            continue;
        }
        if !seen.insert(sql.clone()) {
            continue;
        }
        let mut stmt = probe.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let details: Vec<String> =
            stmt.query_map([], |r| r.get::<_, String>(3)).unwrap().map(|d| d.unwrap()).collect();
        checked += 1;
        for detail in details {
            if unbounded_scan(&sql, &detail) {
                scans.push(format!("{detail}\n    in: {sql}"));
            }
        }
    }
    assert!(checked > 20, "{checked} statements checked");
    assert!(scans.is_empty(), "full scans of growing tables:\n{}", scans.join("\n"));
}

#[test]
fn the_check_finds_a_full_scan() {
    let store = Store::open_in_memory().unwrap();
    let sql = "SELECT COUNT(*) FROM messages WHERE from_address = 'a@b.test'";
    let detail: String =
        store.conn.query_row(&format!("EXPLAIN QUERY PLAN {sql}"), [], |r| r.get(3)).unwrap();
    assert!(unbounded_scan(sql, &detail), "{detail}");
    let indexed = "SELECT id FROM messages WHERE hash = 'x'";
    let detail: String =
        store.conn.query_row(&format!("EXPLAIN QUERY PLAN {indexed}"), [], |r| r.get(3)).unwrap();
    assert!(!unbounded_scan(indexed, &detail), "{detail}");
}
