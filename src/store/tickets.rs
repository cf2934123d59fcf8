//! Tickets: opening, activity, first responses, SLA notices, and the threading lookups.

use rusqlite::{OptionalExtension, params};

use super::{Result, Store, StoreError, Tx};
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

/// An open ticket still waiting for its first response, for the SLA watch.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WaitingTicket {
    pub id: i64,
    pub customer: String,
    pub subject: String,
    pub category: Option<String>,
    pub priority: String,
    #[serde(serialize_with = "crate::timefmt::rfc3339")]
    pub created_at: i64,
    #[serde(serialize_with = "crate::timefmt::rfc3339")]
    pub first_response_due: i64,
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
    pub status: String,
    pub language: String,
    #[serde(serialize_with = "crate::timefmt::rfc3339")]
    pub created_at: i64,
    #[serde(serialize_with = "crate::timefmt::rfc3339")]
    pub first_response_due: i64,
    #[serde(serialize_with = "crate::timefmt::rfc3339_opt")]
    pub first_response_at: Option<i64>,
    pub messages: i64,
}

impl Store {
    /// All tickets, newest first.
    pub fn tickets(&self) -> Result<Vec<TicketSummary>> {
        let mut stmt = self
            .conn
            .prepare(&format!("{TICKET_SELECT} ORDER BY t.id DESC"))
            .map_err(StoreError::wrap("list tickets"))?;
        stmt.query_map([], ticket_summary)
            .and_then(|rows| rows.collect())
            .map_err(StoreError::wrap("list tickets"))
    }

    /// One ticket.
    pub fn ticket(&self, id: i64) -> Result<Option<TicketSummary>> {
        self.conn
            .query_row(&format!("{TICKET_SELECT} WHERE t.id = ?1"), [id], ticket_summary)
            .optional()
            .map_err(StoreError::wrap("read a ticket"))
    }

    /// Open tickets with no first response yet, soonest due first.
    pub fn waiting_tickets(&self) -> Result<Vec<WaitingTicket>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, customer, subject, category, priority, created_at, first_response_due,
                        sla_warned_at IS NOT NULL, sla_breach_noticed_at IS NOT NULL
                 FROM tickets WHERE first_response_at IS NULL AND status != 'closed'
                 ORDER BY first_response_due, id",
            )
            .map_err(StoreError::wrap("list waiting tickets"))?;
        stmt.query_map([], |r| {
            Ok(WaitingTicket {
                id: r.get(0)?,
                customer: r.get(1)?,
                subject: r.get(2)?,
                category: r.get(3)?,
                priority: r.get(4)?,
                created_at: r.get(5)?,
                first_response_due: r.get(6)?,
                warned: r.get(7)?,
                breach_noticed: r.get(8)?,
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(StoreError::wrap("list waiting tickets"))
    }

    /// Records a ticket's first response (a person's reply), unless it already has one.
    pub fn record_human_response(&self, ticket: i64, at: i64, by: &str) -> Result<bool> {
        self.conn
            .execute(
                "UPDATE tickets SET first_response_at = ?2, first_response_by = ?3
                 WHERE id = ?1 AND first_response_at IS NULL",
                params![ticket, at, by],
            )
            .map(|n| n > 0)
            .map_err(StoreError::wrap("record a first response"))
    }

    /// First-response compliance of the tickets due between `since` and `until`:
    /// (answered in time, due).
    pub fn compliance(&self, since: i64, until: i64) -> Result<(i64, i64)> {
        self.conn
            .query_row(
                "SELECT COALESCE(SUM(first_response_at IS NOT NULL AND first_response_at <= first_response_due), 0),
                        COUNT(*)
                 FROM tickets WHERE first_response_due BETWEEN ?1 AND ?2",
                params![since, until],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(StoreError::wrap("compute SLA compliance"))
    }

    /// What a reply to `ticket` threads onto.
    pub fn reply_context(&self, ticket: i64) -> Result<Option<ReplyContext>> {
        let row = self
            .conn
            .query_row(
                "SELECT t.customer, t.customer_name, t.subject, t.category, t.language, t.created_at,
                        t.first_response_due, m.message_id, m.raw
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
                        r.get::<_, Option<Vec<u8>>>(8)?,
                    ))
                },
            )
            .optional()
            .map_err(StoreError::wrap("read a ticket to reply to"))?;
        Ok(row.map(|(mut ctx, raw)| {
            ctx.references =
                raw.and_then(|r| crate::parse::parse(&r).ok()).map(|m| m.references).unwrap_or_default();
            ctx
        }))
    }

    /// The ticket of an incoming message (any sender) or of one of our outgoing mails.
    pub fn ticket_of_message_id(&self, id: &str) -> Result<Option<i64>> {
        self.conn
            .query_row(
                "SELECT ticket_id FROM messages WHERE message_id = ?1 AND ticket_id IS NOT NULL
                 UNION ALL SELECT ticket_id FROM outbox WHERE message_id = ?1 LIMIT 1",
                [id],
                |r| r.get(0),
            )
            .optional()
            .map_err(StoreError::wrap("look up a Message-ID"))
    }

    /// Whether a ticket exists.
    pub fn ticket_exists(&self, id: i64) -> Result<bool> {
        self.conn
            .query_row("SELECT 1 FROM tickets WHERE id = ?1", [id], |_| Ok(()))
            .optional()
            .map(|r| r.is_some())
            .map_err(StoreError::wrap("look up a ticket"))
    }
}

impl Tx<'_> {
    /// Opens a ticket and returns its number.
    pub fn open_ticket(&self, t: &NewTicket<'_>) -> Result<i64> {
        self.tx
            .execute(
                "INSERT INTO tickets (customer, customer_name, subject, category, priority, language,
                                      created_at, first_response_due, last_activity)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?7)",
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
            )
            .map_err(StoreError::wrap("open a ticket"))?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Records activity on a ticket (a follow-up reopens a closed ticket).
    pub fn touch_ticket(&self, id: i64, now: i64) -> Result<()> {
        self.tx
            .execute(
                "UPDATE tickets SET last_activity = ?2,
                    status = CASE WHEN status = 'closed' THEN 'open' ELSE status END WHERE id = ?1",
                params![id, now],
            )
            .map(|_| ())
            .map_err(StoreError::wrap("update a ticket"))
    }

    /// Records the first response of a ticket (an answer that resolves, or a human reply).
    pub fn record_first_response(&self, id: i64, at: i64) -> Result<()> {
        self.tx
            .execute(
                "UPDATE tickets SET first_response_at = COALESCE(first_response_at, ?2) WHERE id = ?1",
                params![id, at],
            )
            .map(|_| ())
            .map_err(StoreError::wrap("record a first response"))
    }

    /// Records that the SLA warning (or the breach notice) of a ticket was queued.
    pub fn mark_sla_notice(&self, ticket: i64, breach: bool, now: i64) -> Result<()> {
        let sql = if breach {
            "UPDATE tickets SET sla_breach_noticed_at = ?2 WHERE id = ?1"
        } else {
            "UPDATE tickets SET sla_warned_at = ?2 WHERE id = ?1"
        };
        self.tx
            .execute(sql, params![ticket, now])
            .map(|_| ())
            .map_err(StoreError::wrap("record an SLA notice"))
    }
}
const TICKET_SELECT: &str = "SELECT t.id, t.customer, t.customer_name, t.subject, t.category, t.priority,
        t.status, t.language, t.created_at, t.first_response_due, t.first_response_at,
        (SELECT COUNT(*) FROM messages m WHERE m.ticket_id = t.id)
    FROM tickets t";

fn ticket_summary(r: &rusqlite::Row<'_>) -> rusqlite::Result<TicketSummary> {
    Ok(TicketSummary {
        id: r.get(0)?,
        customer: r.get(1)?,
        customer_name: r.get(2)?,
        subject: r.get(3)?,
        category: r.get(4)?,
        priority: r.get(5)?,
        status: r.get(6)?,
        language: r.get(7)?,
        created_at: r.get(8)?,
        first_response_due: r.get(9)?,
        first_response_at: r.get(10)?,
        messages: r.get(11)?,
    })
}

impl Lookup for Tx<'_> {
    type Error = StoreError;

    fn ticket_of_our_message(&self, ids: &[String]) -> Result<Option<i64>> {
        for id in ids {
            let found = self
                .tx
                .query_row("SELECT ticket_id FROM outbox WHERE message_id = ?1", [id], |r| r.get(0))
                .optional()
                .map_err(StoreError::wrap("look up the ticket of our mail"))?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    fn ticket_of_customer_message(&self, ids: &[String], customer: &str) -> Result<Option<i64>> {
        for id in ids {
            let found = self
                .tx
                .query_row(
                    "SELECT t.id FROM messages m JOIN tickets t ON t.id = m.ticket_id
                     WHERE m.message_id = ?1 AND t.customer = ?2 COLLATE NOCASE ORDER BY m.id LIMIT 1",
                    params![id, customer],
                    |r| r.get(0),
                )
                .optional()
                .map_err(StoreError::wrap("look up the ticket of a customer's mail"))?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    fn ticket_customer(&self, ticket: i64) -> Result<Option<String>> {
        self.tx
            .query_row("SELECT customer FROM tickets WHERE id = ?1", [ticket], |r| r.get(0))
            .optional()
            .map_err(StoreError::wrap("look up a ticket's customer"))
    }
}
