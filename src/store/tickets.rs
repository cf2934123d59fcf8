//! Tickets: opening, activity, first responses, SLA notices, and the threading lookups.

use rusqlite::params;

use super::sql;
use super::{Result, Store, StoreError, TicketStatus, Tx};
use crate::thread::Lookup;

/// A ticket to open.
#[derive(Debug, Clone)]
pub struct NewTicket<'a> {
    pub customer: &'a str,
    pub customer_name: &'a str,
    pub subject: &'a str,
    pub category: Option<&'a str>,
    pub priority: &'a str,
    pub language: &'a str,
    pub created_at: i64,
    pub first_response_due: i64,
}

/// A ticket whose customer waits for a person, with the deadline of the message that has
/// waited longest: for the SLA watch, `sla` and `status`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DueTicket {
    pub id: i64,
    pub customer: String,
    pub subject: String,
    pub category: Option<String>,
    pub priority: String,
    pub assignee: Option<String>,
    /// When the message that waits longest arrived.
    #[serde(serialize_with = "crate::timefmt::rfc3339")]
    pub waiting_since: i64,
    #[serde(serialize_with = "crate::timefmt::rfc3339")]
    pub due: i64,
    pub warned: bool,
    pub breach_noticed: bool,
}

/// What a reply to a ticket threads onto: the customer's latest message.
#[derive(Debug, Clone)]
pub struct ReplyContext {
    pub customer: String,
    pub customer_name: String,
    pub subject: String,
    pub category: Option<String>,
    pub language: String,
    pub created_at: i64,
    pub first_response_due: i64,
    pub message_id: Option<String>,
    pub references: Vec<String>,
}

/// One line of `deskmail tickets`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TicketSummary {
    pub id: i64,
    pub customer: String,
    pub customer_name: String,
    pub subject: String,
    pub category: Option<String>,
    pub priority: String,
    pub status: TicketStatus,
    pub assignee: Option<String>,
    /// Why it needs a person, when more than a message waits (a template failed, an answer
    /// did not help).
    pub reason: Option<String>,
    pub language: String,
    #[serde(serialize_with = "crate::timefmt::rfc3339")]
    pub created_at: i64,
    #[serde(serialize_with = "crate::timefmt::rfc3339")]
    pub first_response_due: i64,
    #[serde(serialize_with = "crate::timefmt::rfc3339_opt")]
    pub first_response_at: Option<i64>,
    /// The deadline of the message that waits for a person, if one does.
    #[serde(serialize_with = "crate::timefmt::rfc3339_opt")]
    pub due: Option<i64>,
    #[serde(serialize_with = "crate::timefmt::rfc3339")]
    pub state_since: i64,
    pub messages: i64,
}

/// What `deskmail tickets` lists: every filter set must hold.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub status: Option<TicketStatus>,
    pub category: Option<String>,
    /// A person's name; `Some("")` means unassigned.
    pub assignee: Option<String>,
    pub customer: Option<String>,
    /// Only tickets whose waiting message is past its deadline at this time.
    pub overdue_at: Option<i64>,
    /// Words to find in subjects and customers' text.
    pub search: Option<String>,
    pub limit: Option<u32>,
}

impl Store {
    /// All tickets, newest first.
    pub fn tickets(&self) -> Result<Vec<TicketSummary>> {
        self.find_tickets(&TicketFilter::default())
    }

    /// The tickets that pass `filter`, newest first; with words to search for, the newest
    /// match first (`store::search`).
    pub fn find_tickets(&self, filter: &TicketFilter) -> Result<Vec<TicketSummary>> {
        let words: Vec<&str> = filter.search.iter().flat_map(|s| s.split_whitespace()).collect();
        if !words.is_empty() {
            return self.search_tickets(filter, &words);
        }
        let w = Where::default().with_filters(filter);
        let mut sql = TICKET_SELECT.to_string();
        if !w.clauses.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&w.clauses.join(" AND "));
        }
        sql.push_str(" ORDER BY t.id DESC");
        if let Some(limit) = filter.limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        let mut stmt = self.conn.prepare(&sql).map_err(StoreError::wrap("list tickets"))?;
        stmt.query_map(rusqlite::params_from_iter(w.values), ticket_summary)
            .and_then(|rows| rows.collect())
            .map_err(StoreError::wrap("list tickets"))
    }

    /// One ticket.
    pub fn ticket(&self, id: i64) -> Result<Option<TicketSummary>> {
        sql::opt(
            &self.conn,
            "read a ticket",
            &format!("{TICKET_SELECT} WHERE t.id = ?1"),
            [id],
            ticket_summary,
        )
    }

    /// Open tickets with no first response yet, soonest due first.
    pub fn due_tickets(&self) -> Result<Vec<DueTicket>> {
        sql::all(
            &self.conn,
            "list waiting tickets",
            "SELECT id, customer, subject, category, priority, assignee, waiting_since, due_at,
                        sla_warned_at IS NOT NULL, sla_breach_noticed_at IS NOT NULL
                 FROM tickets WHERE status = ?1 AND due_at IS NOT NULL
                 ORDER BY due_at, id",
            [TicketStatus::NeedsPerson],
            |r| {
                Ok(DueTicket {
                    id: r.get(0)?,
                    customer: r.get(1)?,
                    subject: r.get(2)?,
                    category: r.get(3)?,
                    priority: r.get(4)?,
                    assignee: r.get(5)?,
                    waiting_since: r.get(6)?,
                    due: r.get(7)?,
                    warned: r.get(8)?,
                    breach_noticed: r.get(9)?,
                })
            },
        )
    }

    /// Records a person's reply found in the Sent folder: the ticket's first response
    /// (unless it has one) and the turn handed to the customer. Returns whether anything changed.
    pub fn record_human_response(&mut self, ticket: i64, at: i64, by: &str) -> Result<bool> {
        let tx = self.begin()?;
        let first = sql::exec(
            &tx.tx,
            "record a first response",
            "UPDATE tickets SET first_response_at = ?2, first_response_by = ?3
                 WHERE id = ?1 AND first_response_at IS NULL",
            params![ticket, at, by],
        )?;
        let happened = crate::store::Happened {
            ticket,
            event: crate::lifecycle::Event::StaffReply,
            at,
            waiting: None,
            actor: Some(by),
            detail: Some("a reply found in the Sent folder"),
        };
        let moved = tx.on_event(&happened)?;
        tx.commit()?;
        Ok(first > 0 || moved != crate::lifecycle::Transition::Unchanged)
    }

    /// First-response compliance of the tickets due between `since` and `until`:
    /// (answered in time, due).
    pub fn compliance(&self, since: i64, until: i64) -> Result<(i64, i64)> {
        sql::one(
            &self.conn,
            "compute SLA compliance",
            "SELECT COALESCE(SUM(first_response_at IS NOT NULL
                                 AND first_response_at <= first_response_due), 0),
                    COUNT(*)
             FROM tickets WHERE first_response_due BETWEEN ?1 AND ?2",
            params![since, until],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// What a reply to `ticket` threads onto.
    pub fn reply_context(&self, ticket: i64) -> Result<Option<ReplyContext>> {
        let row = sql::opt(
            &self.conn,
            "read a ticket to reply to",
            "SELECT t.customer, t.customer_name, t.subject, t.category, t.language, t.created_at,
                        t.first_response_due, m.message_id, m.raw, m.raw_codec
                 FROM tickets t LEFT JOIN messages m ON m.id =
                    (SELECT MAX(id) FROM messages WHERE ticket_id = t.id AND automated IS NULL)
                 WHERE t.id = ?1",
            [ticket],
            |r| {
                Ok((
                    ReplyContext {
                        customer: r.get(0)?,
                        customer_name: r.get(1)?,
                        subject: r.get(2)?,
                        category: r.get(3)?,
                        language: r.get(4)?,
                        created_at: r.get(5)?,
                        first_response_due: r.get(6)?,
                        message_id: r.get(7)?,
                        references: Vec::new(),
                    },
                    super::raw::read_opt(r, 8, 9)?,
                ))
            },
        )?;
        Ok(row.map(|(mut ctx, raw)| {
            ctx.references =
                raw.and_then(|r| crate::parse::parse(&r).ok()).map(|m| m.references).unwrap_or_default();
            ctx
        }))
    }

    /// The ticket of an incoming message (any sender) or of one of our outgoing mails.
    pub fn ticket_of_message_id(&self, id: &str) -> Result<Option<i64>> {
        sql::opt(
            &self.conn,
            "look up a Message-ID",
            "SELECT ticket_id FROM messages WHERE message_id = ?1 AND ticket_id IS NOT NULL
                 UNION ALL SELECT ticket_id FROM outbox WHERE message_id = ?1 LIMIT 1",
            [id],
            |r| r.get(0),
        )
    }

    /// Whether a ticket exists.
    pub fn ticket_exists(&self, id: i64) -> Result<bool> {
        sql::exists(&self.conn, "look up a ticket", "SELECT 1 FROM tickets WHERE id = ?1", [id])
    }
}

impl Tx<'_> {
    /// Opens a ticket and returns its number.
    pub fn open_ticket(&self, t: &NewTicket<'_>) -> Result<i64> {
        sql::exec(
            &self.tx,
            "open a ticket",
            "INSERT INTO tickets (customer, customer_name, subject, category, priority, language,
                                      created_at, first_response_due, last_activity, status,
                                      due_at, waiting_since, state_since)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?7, 'needs_person', ?8, ?7, ?7)",
            params![
                t.customer,
                t.customer_name,
                t.subject,
                t.category,
                t.priority,
                t.language,
                t.created_at,
                t.first_response_due
            ],
        )?;
        let id = self.tx.last_insert_rowid();
        sql::exec(
            &self.tx,
            "open a ticket",
            "INSERT INTO ticket_events (ticket_id, at, to_state, cause) VALUES (?1, ?2, 'needs_person', 'opened')",
            params![id, t.created_at],
        )?;
        self.index_text(id, t.subject)?;
        Ok(id)
    }

    /// Records activity on a ticket (its state changes through [`Tx::apply`]).
    pub fn touch_ticket(&self, id: i64, now: i64) -> Result<()> {
        sql::exec(
            &self.tx,
            "update a ticket",
            "UPDATE tickets SET last_activity = MAX(last_activity, ?2) WHERE id = ?1",
            params![id, now],
        )
        .map(|_| ())
    }

    /// Records the first response of a ticket (an answer that resolves, or a human reply).
    pub fn record_first_response(&self, id: i64, at: i64) -> Result<()> {
        sql::exec(
            &self.tx,
            "record a first response",
            "UPDATE tickets SET first_response_at = COALESCE(first_response_at, ?2) WHERE id = ?1",
            params![id, at],
        )
        .map(|_| ())
    }

    /// Records that the SLA warning (or the breach notice) of a ticket was queued.
    pub fn mark_sla_notice(&self, ticket: i64, breach: bool, now: i64) -> Result<()> {
        let sql = if breach {
            "UPDATE tickets SET sla_breach_noticed_at = ?2 WHERE id = ?1"
        } else {
            "UPDATE tickets SET sla_warned_at = ?2 WHERE id = ?1"
        };
        sql::exec(&self.tx, "record an SLA notice", sql, params![ticket, now]).map(|_| ())
    }
}
pub(super) const TICKET_SELECT: &str =
    "SELECT t.id, t.customer, t.customer_name, t.subject, t.category, t.priority,
        t.status, t.assignee, t.reason, t.language, t.created_at, t.first_response_due, t.first_response_at,
        t.due_at, COALESCE(t.state_since, t.created_at),
        (SELECT COUNT(*) FROM messages m WHERE m.ticket_id = t.id)
    FROM tickets t";

pub(super) fn ticket_summary(r: &rusqlite::Row<'_>) -> rusqlite::Result<TicketSummary> {
    Ok(TicketSummary {
        id: r.get(0)?,
        customer: r.get(1)?,
        customer_name: r.get(2)?,
        subject: r.get(3)?,
        category: r.get(4)?,
        priority: r.get(5)?,
        status: r.get(6)?,
        assignee: r.get(7)?,
        reason: r.get(8)?,
        language: r.get(9)?,
        created_at: r.get(10)?,
        first_response_due: r.get(11)?,
        first_response_at: r.get(12)?,
        due: r.get(13)?,
        state_since: r.get(14)?,
        messages: r.get(15)?,
    })
}

impl Lookup for Tx<'_> {
    type Error = StoreError;

    fn ticket_of_our_message(&self, ids: &[String]) -> Result<Option<i64>> {
        for id in ids {
            let found = sql::opt(
                &self.tx,
                "look up the ticket of our mail",
                "SELECT ticket_id FROM outbox WHERE message_id = ?1",
                [id],
                |r| r.get(0),
            )?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    fn ticket_of_customer_message(&self, ids: &[String], customer: &str) -> Result<Option<i64>> {
        for id in ids {
            let found = sql::opt(
                &self.tx,
                "look up the ticket of a customer's mail",
                "SELECT t.id FROM messages m JOIN tickets t ON t.id = m.ticket_id
                     WHERE m.message_id = ?1 AND t.customer = ?2 COLLATE NOCASE ORDER BY m.id LIMIT 1",
                params![id, customer],
                |r| r.get(0),
            )?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    fn ticket_customer(&self, ticket: i64) -> Result<Option<String>> {
        sql::opt(
            &self.tx,
            "look up a ticket's customer",
            "SELECT customer FROM tickets WHERE id = ?1",
            [ticket],
            |r| r.get(0),
        )
    }
}

/// `%word%` for LIKE, with `%`, `_` and `\` taken literally. On the trigram index, LIKE with
/// three or more characters is served by the index; shorter words (two Chinese characters)
/// are matched by scanning the index table, which is still far smaller than the mail.
pub(super) fn like_pattern(word: &str) -> String {
    let mut pattern = String::from("%");
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// A WHERE clause built from filters, with its numbered parameters.
#[derive(Default)]
pub(super) struct Where {
    pub(super) clauses: Vec<String>,
    pub(super) values: Vec<rusqlite::types::Value>,
}

impl Where {
    /// Adds the clauses of every filter set but the words searched for (`store::search`
    /// finds those).
    pub(super) fn with_filters(mut self, filter: &TicketFilter) -> Where {
        let w = &mut self;
        if let Some(status) = filter.status {
            w.bind("t.status = ?", status.as_str().to_string().into());
        }
        if let Some(category) = &filter.category {
            w.bind("t.category = ?", category.clone().into());
        }
        match filter.assignee.as_deref() {
            Some("") => w.bind("t.assignee IS NULL AND ? IS NULL", rusqlite::types::Value::Null),
            Some(who) => w.bind("t.assignee = ? COLLATE NOCASE", who.to_string().into()),
            None => {}
        }
        if let Some(customer) = &filter.customer {
            w.bind("t.customer = ? COLLATE NOCASE", customer.clone().into());
        }
        if let Some(now) = filter.overdue_at {
            w.bind("t.status = 'needs_person' AND t.due_at < ?", now.into());
        }
        self
    }

    /// Adds `clause`, each of whose `?` stands for `value`.
    pub(super) fn bind(&mut self, clause: &str, value: rusqlite::types::Value) {
        self.values.push(value);
        self.clauses.push(clause.replace('?', &format!("?{}", self.values.len())));
    }
}
