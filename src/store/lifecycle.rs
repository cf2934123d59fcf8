//! The work queue's records: ticket states and every change of them, assignees, internal
//! notes, staff's corrections of a category, and the full-text search index.

use rusqlite::params;

use super::sql;
use super::{Responder, Result, Store, TicketStatus, Tx};
use crate::lifecycle::{Deadline, Event, Transition};

/// Where a ticket stands, for the lifecycle's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketState {
    pub status: TicketStatus,
    pub last_response: Option<Responder>,
    pub state_since: i64,
    pub customer: String,
}

/// A transition to record.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub ticket: i64,
    pub event: Event,
    pub transition: Transition,
    pub at: i64,
    /// For [`Deadline::Start`]: when the message that now waits arrived, and its deadline.
    pub waiting: Option<(i64, i64)>,
    /// Who acted (a staff name, `deskmail`), and a word on why.
    pub actor: Option<&'a str>,
    pub detail: Option<&'a str>,
}

/// One recorded change of state, for `deskmail show`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TicketEvent {
    #[serde(serialize_with = "crate::timefmt::rfc3339")]
    pub at: i64,
    pub from: Option<String>,
    pub to: String,
    pub cause: String,
    pub actor: Option<String>,
    pub detail: Option<String>,
}

/// An internal note.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Note {
    #[serde(serialize_with = "crate::timefmt::rfc3339")]
    pub at: i64,
    pub author: String,
    pub body: String,
}

/// A staff correction of a ticket's category, with the customer's text it was about.
#[derive(Debug, Clone)]
pub struct Correction {
    pub category: String,
    pub language: String,
    pub text: String,
}

/// An event to record on a ticket.
#[derive(Debug, Clone, Copy)]
pub struct Happened<'a> {
    pub ticket: i64,
    pub event: Event,
    pub at: i64,
    /// For an event that may start a wait: when the message that waits arrived, and its
    /// deadline.
    pub waiting: Option<(i64, i64)>,
    pub actor: Option<&'a str>,
    pub detail: Option<&'a str>,
}

impl Tx<'_> {
    /// Moves a ticket by the lifecycle's rule for `what` and records the change; returns
    /// the transition (`Unchanged` for a ticket that does not exist).
    pub fn on_event(&self, what: &Happened<'_>) -> Result<Transition> {
        let Some(state) = self.ticket_state(what.ticket)? else { return Ok(Transition::Unchanged) };
        let transition = crate::lifecycle::next(state.status, what.event);
        self.apply(&Change {
            ticket: what.ticket,
            event: what.event,
            transition,
            at: what.at,
            waiting: what.waiting,
            actor: what.actor,
            detail: what.detail,
        })?;
        Ok(transition)
    }

    /// Where a ticket stands, if it exists.
    pub fn ticket_state(&self, ticket: i64) -> Result<Option<TicketState>> {
        sql::opt(
            &self.tx,
            "read a ticket's state",
            "SELECT status, last_response, COALESCE(state_since, created_at), customer FROM tickets WHERE id = ?1",
            [ticket],
            |r| {
                Ok(TicketState {
                    status: r.get(0)?,
                    last_response: r.get(1)?,
                    state_since: r.get(2)?,
                    customer: r.get(3)?,
                })
            },
        )
    }

    /// Applies a transition and records it with its time and cause; returns the state the
    /// ticket left, or `None` when the transition changes nothing.
    pub fn apply(&self, change: &Change<'_>) -> Result<Option<TicketStatus>> {
        let Transition::To { to, deadline, .. } = change.transition else { return Ok(None) };
        let from = self.ticket_state(change.ticket)?.map(|s| s.status);
        let (since, due) = match (deadline, change.waiting) {
            (Deadline::Start, Some((since, due))) => (Some(since), Some(due)),
            (Deadline::Start, None) => (Some(change.at), Some(change.at)),
            _ => (None, None),
        };
        let responder = match change.event {
            Event::Answered => Some(Responder::Answer),
            Event::StaffReply => Some(Responder::Person),
            _ => None,
        };
        let reason = (to == TicketStatus::NeedsPerson).then_some(change.detail).flatten();
        sql::exec(&self.tx, "change a ticket's state", "UPDATE tickets SET
                    status = ?2,
                    state_since = CASE WHEN status = ?2 THEN COALESCE(state_since, ?3) ELSE ?3 END,
                    due_at = CASE ?4 WHEN 'start' THEN ?5 WHEN 'clear' THEN NULL ELSE due_at END,
                    waiting_since = CASE ?4 WHEN 'start' THEN ?6 WHEN 'clear' THEN NULL ELSE waiting_since END,
                    sla_warned_at = CASE ?4 WHEN 'keep' THEN sla_warned_at ELSE NULL END,
                    sla_breach_noticed_at = CASE ?4 WHEN 'keep' THEN sla_breach_noticed_at ELSE NULL END,
                    reason = CASE WHEN ?2 = 'needs_person' THEN COALESCE(?7, CASE ?4 WHEN 'keep' THEN reason END) END,
                    last_response = COALESCE(?8, last_response),
                    last_activity = MAX(last_activity, ?3)
                 WHERE id = ?1",
                params![
                    change.ticket,
                    to,
                    change.at,
                    match deadline {
                        Deadline::Start => "start",
                        Deadline::Clear => "clear",
                        Deadline::Keep => "keep",
                    },
                    due,
                    since,
                    reason,
                    responder
                ])?;
        sql::exec(
            &self.tx,
            "record a ticket's change of state",
            "INSERT INTO ticket_events (ticket_id, at, from_state, to_state, cause, actor, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![change.ticket, change.at, from, to, change.event.cause(), change.actor, change.detail],
        )?;
        Ok(from)
    }

    /// Tickets waiting for the customer since before `cutoff`, to close.
    pub fn idle_waiting(&self, cutoff: i64) -> Result<Vec<i64>> {
        sql::all(
            &self.tx,
            "list tickets waiting for the customer",
            "SELECT id FROM tickets WHERE status = ?1 AND state_since < ?2 ORDER BY id",
            params![TicketStatus::Waiting, cutoff],
            |r| r.get(0),
        )
    }

    /// Assigns a ticket to a person (`None`: to nobody).
    pub fn assign(&self, ticket: i64, assignee: Option<&str>, at: i64, by: &str) -> Result<()> {
        sql::exec(
            &self.tx,
            "assign a ticket",
            "UPDATE tickets SET assignee = ?2 WHERE id = ?1",
            params![ticket, assignee],
        )?;
        let status = self.ticket_state(ticket)?.map(|s| s.status);
        sql::exec(
            &self.tx,
            "record an assignment",
            "INSERT INTO ticket_events (ticket_id, at, from_state, to_state, cause, actor, detail)
                 VALUES (?1, ?2, ?3, ?3, 'assigned', ?4, ?5)",
            params![ticket, at, status, by, assignee.unwrap_or("nobody")],
        )
        .map(|_| ())
    }

    /// Adds an internal note (never sent).
    pub fn add_note(&self, ticket: i64, at: i64, author: &str, body: &str) -> Result<()> {
        sql::exec(
            &self.tx,
            "add a note",
            "INSERT INTO notes (ticket_id, at, author, body) VALUES (?1, ?2, ?3, ?4)",
            params![ticket, at, author, body],
        )
        .map(|_| ())
    }

    /// Sets a ticket's category and keeps the correction, with the customer's first text, for
    /// the second opinion to learn from.
    pub fn reclassify(&self, ticket: i64, category: &str, at: i64, by: &str) -> Result<Option<String>> {
        let (old, language, text): (Option<String>, String, String) = sql::one(
            &self.tx,
            "read a ticket to reclassify",
            "SELECT t.category, t.language, t.subject || char(10) || COALESCE(
                 (SELECT new_text FROM messages WHERE ticket_id = t.id AND automated IS NULL
                  ORDER BY id LIMIT 1), '')
             FROM tickets t WHERE t.id = ?1",
            [ticket],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        sql::exec(
            &self.tx,
            "reclassify a ticket",
            "UPDATE tickets SET category = ?2 WHERE id = ?1",
            params![ticket, category],
        )?;
        sql::exec(
            &self.tx,
            "record a correction",
            "INSERT INTO corrections (ticket_id, at, old_category, new_category, author, language, text)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![ticket, at, old, category, by, language, text],
        )?;
        let status = self.ticket_state(ticket)?.map(|s| s.status);
        sql::exec(
            &self.tx,
            "record a correction",
            "INSERT INTO ticket_events (ticket_id, at, from_state, to_state, cause, actor, detail)
                 VALUES (?1, ?2, ?3, ?3, 'reclassified', ?4, ?5)",
            params![ticket, at, status, by, format!("{} -> {category}", old.as_deref().unwrap_or("none"))],
        )?;
        Ok(old)
    }

    /// Makes `text` findable under `ticket` (its subject, each customer message) once the
    /// transaction commits (`store::search`: the index is written once per transaction).
    pub fn index_text(&self, ticket: i64, text: &str) -> Result<()> {
        if text.trim().is_empty() {
            return Ok(());
        }
        super::search::stage(&self.tx, ticket, text)
    }
}

impl Store {
    /// The changes of state of a ticket, oldest first.
    pub fn ticket_events(&self, ticket: i64) -> Result<Vec<TicketEvent>> {
        sql::all(
            &self.conn,
            "read a ticket's history",
            "SELECT at, from_state, to_state, cause, actor, detail FROM ticket_events
                  WHERE ticket_id = ?1 ORDER BY id",
            [ticket],
            |r| {
                Ok(TicketEvent {
                    at: r.get(0)?,
                    from: r.get(1)?,
                    to: r.get(2)?,
                    cause: r.get(3)?,
                    actor: r.get(4)?,
                    detail: r.get(5)?,
                })
            },
        )
    }

    /// The internal notes of a ticket, oldest first.
    pub fn notes(&self, ticket: i64) -> Result<Vec<Note>> {
        sql::all(
            &self.conn,
            "read a ticket's notes",
            "SELECT at, author, body FROM notes WHERE ticket_id = ?1 ORDER BY id",
            [ticket],
            |r| Ok(Note { at: r.get(0)?, author: r.get(1)?, body: r.get(2)? }),
        )
    }

    /// Staff's corrections of categories, for the second opinion to learn from.
    pub fn corrections(&self) -> Result<Vec<Correction>> {
        sql::all(
            &self.conn,
            "read corrections",
            "SELECT new_category, language, text FROM corrections ORDER BY id",
            [],
            |r| Ok(Correction { category: r.get(0)?, language: r.get(1)?, text: r.get(2)? }),
        )
    }

    /// Tickets per state.
    pub fn ticket_counts(&self) -> Result<Vec<(TicketStatus, i64)>> {
        sql::all(
            &self.conn,
            "count tickets",
            // Kept by triggers (0009): counting a year of tickets would read every row.
            "SELECT state, n FROM tallies WHERE tbl = 'tickets' AND n > 0 ORDER BY state",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// How many times a template could not be rendered and the acknowledgement (or nothing)
    /// went instead.
    pub fn template_failures(&self) -> Result<i64> {
        sql::one(
            &self.conn,
            "count template failures",
            "SELECT COUNT(*) FROM ticket_events WHERE cause = 'template_failed'",
            [],
            |r| r.get(0),
        )
    }
}

/// A ticket whose IMAP queue folder is behind its state, with the Message-IDs of its
/// customer's mail (what the mirror moves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmirrored {
    pub ticket: i64,
    pub status: TicketStatus,
    pub message_ids: Vec<String>,
}

impl Store {
    /// Up to `limit` tickets whose queue folder does not show their state yet.
    pub fn unmirrored(&self, limit: u32) -> Result<Vec<Unmirrored>> {
        sql::all(
            &self.conn,
            "list tickets to mirror",
            "SELECT t.id, t.status, (SELECT group_concat(m.message_id, char(10)) FROM messages m
                         WHERE m.ticket_id = t.id AND m.automated IS NULL AND m.message_id IS NOT NULL)
                   FROM tickets t WHERE t.mirrored IS NOT t.status ORDER BY t.id LIMIT ?1",
            [limit],
            |r| {
                let ids: Option<String> = r.get(2)?;
                Ok(Unmirrored {
                    ticket: r.get(0)?,
                    status: r.get(1)?,
                    message_ids: ids.map(|s| s.lines().map(str::to_string).collect()).unwrap_or_default(),
                })
            },
        )
    }

    /// Records that the queue folders show `ticket` in `status`.
    pub fn set_mirrored(&self, ticket: i64, status: TicketStatus) -> Result<()> {
        sql::exec(
            &self.conn,
            "record a mirrored ticket",
            "UPDATE tickets SET mirrored = ?2 WHERE id = ?1",
            params![ticket, status],
        )
        .map(|_| ())
    }
}
