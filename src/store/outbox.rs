//! Outgoing mail: the outbox queue, its states, bounces and suppressions.

use rusqlite::params;

use super::kinds::{OutKind, OutboxState};
use super::sql;
use super::{Result, Store, Tx};

/// The per-address limit of automatic mail counts the mail of this many seconds.
pub const AUTOMATIC_LIMIT_WINDOW: i64 = 86_400;

/// How far back `recent_automatic` keeps the automatic mail that limit counts
/// (migrations/0011_recent.sql): two days, so the window always finds its day.
const RECENT_AUTOMATIC_SECONDS: i64 = 2 * 86_400;
const _: () = assert!(AUTOMATIC_LIMIT_WINDOW <= RECENT_AUTOMATIC_SECONDS);

/// An outgoing mail to queue.
#[derive(Debug, Clone)]
pub struct OutboxRow<'a> {
    pub ticket_id: i64,
    /// The incoming mail that caused it, if any.
    pub message_row: Option<i64>,
    pub kind: OutKind,
    pub template: &'a str,
    pub recipient: &'a str,
    pub message_id: &'a str,
    pub subject: &'a str,
    pub raw: &'a [u8],
    pub now: i64,
}

/// A queued outgoing mail, as the sender sees it.
#[derive(Debug, Clone)]
pub struct QueuedMail {
    pub id: i64,
    pub ticket_id: i64,
    pub kind: OutKind,
    pub recipient: String,
    pub message_id: String,
    pub raw: Vec<u8>,
    pub attempts: i64,
}

/// An outgoing mail of a ticket, for `deskmail show`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OutboxSummary {
    pub id: i64,
    pub kind: OutKind,
    pub template: String,
    pub recipient: String,
    pub message_id: String,
    pub subject: String,
    pub state: OutboxState,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// The mail as queued, to show its text.
    #[serde(skip)]
    pub raw: Vec<u8>,
}

impl Store {
    /// Outgoing mail due for (another) attempt at `now`, oldest first.
    pub fn due_outbox(&self, now: i64, limit: u32) -> Result<Vec<QueuedMail>> {
        sql::all(
            &self.conn,
            "read the outbox",
            "SELECT id, ticket_id, kind, recipient, message_id, raw, attempts, raw_codec FROM outbox
                 WHERE state = ?3 AND next_try <= ?1 ORDER BY id LIMIT ?2",
            params![now, limit, OutboxState::Pending],
            |r| {
                Ok(QueuedMail {
                    id: r.get(0)?,
                    ticket_id: r.get(1)?,
                    kind: r.get(2)?,
                    recipient: r.get(3)?,
                    message_id: r.get(4)?,
                    raw: super::raw::read(r, 5, 7)?,
                    attempts: r.get(6)?,
                })
            },
        )
    }

    /// Mail left in `sending` by a crash since before `cutoff` goes back to `pending`. With
    /// self-copies, a mail the server accepted is confirmed by its copy arriving in the inbox
    /// before the cutoff, so only mail that never went out is sent again.
    pub fn requeue_unconfirmed(&self, cutoff: i64) -> Result<usize> {
        sql::exec(
            &self.conn,
            "recover interrupted sends",
            "UPDATE outbox SET state = ?2, last_error = 'not confirmed after a crash; sending again'
                 WHERE state = ?3 AND COALESCE(sending_since, 0) <= ?1",
            params![cutoff, OutboxState::Pending, OutboxState::Sending],
        )
    }

    /// Number of outgoing mails per state.
    pub fn outbox_counts(&self) -> Result<Vec<(String, i64)>> {
        sql::all(
            &self.conn,
            "count the outbox",
            // Kept by triggers (0009): counting a year of mail would read every row.
            "SELECT state, n FROM tallies WHERE tbl = 'outbox' AND n > 0 ORDER BY state",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// The outgoing mail of a ticket, oldest first.
    pub fn ticket_outbox(&self, id: i64) -> Result<Vec<OutboxSummary>> {
        sql::all(
            &self.conn,
            "read a ticket's outgoing mail",
            "SELECT id, kind, template, recipient, message_id, subject, state, attempts, last_error, raw,
                        raw_codec
                 FROM outbox WHERE ticket_id = ?1 ORDER BY id",
            [id],
            |r| {
                Ok(OutboxSummary {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    template: r.get(2)?,
                    recipient: r.get(3)?,
                    message_id: r.get(4)?,
                    subject: r.get(5)?,
                    state: r.get(6)?,
                    attempts: r.get(7)?,
                    last_error: r.get(8)?,
                    raw: super::raw::read(r, 9, 10)?,
                })
            },
        )
    }

    /// Whether a Message-ID is one of our automatic mails.
    pub fn is_our_message(&self, id: &str) -> Result<bool> {
        sql::exists(&self.conn, "look up a Message-ID", "SELECT 1 FROM outbox WHERE message_id = ?1", [id])
    }
}

impl Tx<'_> {
    /// Marks an outgoing mail as handed to the transport (committed before it is sent).
    pub fn mark_sending(&self, id: i64, now: i64) -> Result<()> {
        sql::exec(
            &self.tx,
            "mark an outgoing mail sending",
            "UPDATE outbox SET state = ?3, attempts = attempts + 1, sending_since = ?2 WHERE id = ?1",
            params![id, now, OutboxState::Sending],
        )
        .map(|_| ())
    }

    /// Marks an outgoing mail as sent; the ticket's first response is recorded when the mail
    /// answers the question.
    pub fn mark_sent(&self, id: i64, now: i64) -> Result<()> {
        sql::exec(
            &self.tx,
            "mark an outgoing mail sent",
            "UPDATE outbox SET state = ?3, sent_at = ?2, last_error = NULL WHERE id = ?1",
            params![id, now, OutboxState::Sent],
        )
        .map(|_| ())
    }

    /// Puts a mail back in the queue after a failed attempt.
    pub fn mark_retry(&self, id: i64, next_try: i64, error: &str) -> Result<()> {
        sql::exec(
            &self.tx,
            "reschedule an outgoing mail",
            "UPDATE outbox SET state = ?4, next_try = ?2, last_error = ?3 WHERE id = ?1",
            params![id, next_try, error, OutboxState::Pending],
        )
        .map(|_| ())
    }

    /// Gives up on a mail (permanent failure).
    pub fn mark_failed(&self, id: i64, error: &str) -> Result<()> {
        sql::exec(
            &self.tx,
            "mark an outgoing mail failed",
            "UPDATE outbox SET state = ?3, last_error = ?2 WHERE id = ?1",
            params![id, error, OutboxState::Failed],
        )
        .map(|_| ())
    }

    /// One of our outgoing mails to `recipient`, raw, by its Message-ID: what a reply from
    /// them quotes. `None` when the Message-ID is not ours or the mail went to someone else.
    pub fn sent_to(&self, message_id: &str, recipient: &str) -> Result<Option<Vec<u8>>> {
        sql::opt(
            &self.tx,
            "look up a sent mail",
            "SELECT raw, raw_codec FROM outbox WHERE message_id = ?1 AND recipient = ?2",
            params![message_id, recipient],
            |r| super::raw::read(r, 0, 1),
        )
    }

    /// Confirms one of our outgoing mails by the copy of it that came back to the support
    /// mailbox; returns its ticket, or `None` when the Message-ID is not ours.
    pub fn confirm_sent_copy(&self, message_id: &str, now: i64) -> Result<Option<i64>> {
        let ticket: Option<i64> = sql::opt(
            &self.tx,
            "look up a sent copy",
            "SELECT ticket_id FROM outbox WHERE message_id = ?1",
            [message_id],
            |r| r.get(0),
        )?;
        if ticket.is_some() {
            sql::exec(
                &self.tx,
                "confirm a sent mail",
                "UPDATE outbox SET state = ?3, sent_at = COALESCE(sent_at, ?2)
                     WHERE message_id = ?1 AND state IN (?4, ?3)",
                params![message_id, now, OutboxState::Sent, OutboxState::Sending],
            )?;
        }
        Ok(ticket)
    }

    /// Records that one of our outgoing mails bounced: the row is marked, and automatic mail
    /// to its recipient is suppressed until `until`. Returns the ticket and the recipient.
    pub fn record_bounce(
        &self,
        message_id: &str,
        now: i64,
        until: i64,
        reason: &str,
    ) -> Result<Option<(i64, String)>> {
        let row: Option<(i64, String)> = sql::opt(
            &self.tx,
            "look up a bounced mail",
            "SELECT ticket_id, recipient FROM outbox WHERE message_id = ?1",
            [message_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let Some((ticket, recipient)) = row else { return Ok(None) };
        sql::exec(
            &self.tx,
            "mark a mail bounced",
            "UPDATE outbox SET bounced_at = ?2, last_error = ?3 WHERE message_id = ?1",
            params![message_id, now, reason],
        )?;
        sql::exec(
            &self.tx,
            "suppress a bouncing address",
            "INSERT INTO suppressions (address, until, reason) VALUES (?1, ?2, ?3)
                 ON CONFLICT(address) DO UPDATE SET until = MAX(until, ?2), reason = ?3",
            params![recipient, until, reason],
        )?;
        Ok(Some((ticket, recipient)))
    }

    /// Until when automatic mail to `address` is suppressed, if it is at `now`.
    pub fn suppressed_until(&self, address: &str, now: i64) -> Result<Option<(i64, String)>> {
        sql::opt(
            &self.tx,
            "look up a suppression",
            "SELECT until, reason FROM suppressions WHERE address = ?1 AND until > ?2",
            params![address, now],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// Queues an outgoing mail.
    pub fn enqueue(&self, o: &OutboxRow<'_>) -> Result<i64> {
        let packed = super::raw::pack(o.raw);
        sql::exec(
            &self.tx,
            "queue an outgoing mail",
            "INSERT INTO outbox (ticket_id, message_row, kind, template, recipient, message_id,
                                     subject, raw, next_try, created_at, raw_codec)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)",
            params![
                o.ticket_id,
                o.message_row,
                o.kind,
                o.template,
                o.recipient,
                o.message_id,
                o.subject,
                packed.bytes,
                o.now,
                packed.codec
            ],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    /// How many automatic mails went (or are queued) to `address` in the
    /// [`AUTOMATIC_LIMIT_WINDOW`] before `now`.
    pub fn automatic_mails_in_window(&self, address: &str, now: i64) -> Result<u32> {
        let since = now - AUTOMATIC_LIMIT_WINDOW;
        sql::one(
            &self.tx,
            "count automatic mails",
            "SELECT COUNT(*) FROM recent_automatic WHERE recipient = ?1 AND created_at >= ?2",
            params![address, since],
            |r| r.get(0),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(tx: &Tx<'_>, kind: OutKind, to: &str, id: &str, now: i64) {
        let ticket = tx
            .open_ticket(&super::super::NewTicket {
                customer: to,
                customer_name: "",
                subject: "s",
                category: None,
                priority: "normal",
                language: "en",
                created_at: now,
                first_response_due: now,
            })
            .unwrap();
        let mail = OutboxRow {
            ticket_id: ticket,
            message_row: None,
            kind,
            template: "ack",
            recipient: to,
            message_id: id,
            subject: "s",
            raw: b"raw",
            now,
        };
        tx.enqueue(&mail).unwrap();
    }

    #[test]
    fn the_daily_limit_counts_a_days_automatic_mail_and_keeps_two_days_of_it() {
        let mut store = Store::open_in_memory().unwrap();
        let tx = store.begin().unwrap();
        let day = AUTOMATIC_LIMIT_WINDOW;
        let now = 10 * day;
        // Three days of automatic mail to ann, one a quarter of a day, and mail to others.
        for (i, at) in (now - 3 * day..=now).step_by((day / 4) as usize).enumerate() {
            send(&tx, OutKind::Ack, "ann@x.test", &format!("a{i}"), at);
            send(&tx, OutKind::Answer, "bob@x.test", &format!("b{i}"), at);
        }
        // A person's reply and a staff notice are not automatic replies.
        send(&tx, OutKind::Human, "ann@x.test", "h", now);
        send(&tx, OutKind::Escalation, "ann@x.test", "e", now);
        assert_eq!(tx.automatic_mails_in_window("ann@x.test", now).unwrap(), 5, "now - 1 day ..= now");
        assert_eq!(
            tx.automatic_mails_in_window("ANN@x.test", now).unwrap(),
            0,
            "an address as the outbox keeps it"
        );
        assert_eq!(tx.automatic_mails_in_window("carl@x.test", now).unwrap(), 0);
        let (kept, oldest): (i64, i64) = tx
            .tx
            .query_row("SELECT COUNT(*), MIN(created_at) FROM recent_automatic", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(oldest, now - RECENT_AUTOMATIC_SECONDS, "older rows went as new ones came");
        assert_eq!(kept, 2 * 9, "two days of ann's and bob's");
        let all: i64 = tx.tx.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0)).unwrap();
        assert_eq!(all, 2 * 13 + 2, "the outbox keeps everything");
    }

    #[test]
    fn the_migration_fills_the_table_with_the_last_two_days_of_the_outbox() {
        let mut store = Store::open_in_memory().unwrap();
        let tx = store.begin().unwrap();
        // The database as version 10 left it.
        tx.tx
            .execute_batch(
                "DROP TRIGGER outbox_recent_automatic; DROP TABLE recent_automatic;
                 CREATE INDEX outbox_recipient ON outbox(recipient, created_at);",
            )
            .unwrap();
        let day = AUTOMATIC_LIMIT_WINDOW;
        let now = 10 * day;
        for (i, at) in [now - 3 * day, now - 2 * day, now - day, now].into_iter().enumerate() {
            send(&tx, OutKind::Ack, "ann@x.test", &format!("a{i}"), at);
        }
        send(&tx, OutKind::SlaWarning, "staff@x.test", "w", now);
        tx.tx.execute_batch(super::super::migrate::MIGRATIONS[10]).unwrap();
        let kept: Vec<i64> = super::super::sql::all(
            &tx.tx,
            "read",
            "SELECT created_at FROM recent_automatic ORDER BY created_at",
            [],
            |r| r.get(0),
        )
        .unwrap();
        assert_eq!(kept, [now - 2 * day, now - day, now]);
        assert_eq!(tx.automatic_mails_in_window("ann@x.test", now).unwrap(), 2);
    }

    #[test]
    fn the_trigger_keeps_the_automatic_kinds_for_as_long_as_the_code_says() {
        // The trigger of migrations/0011_recent.sql spells both out: a change here needs a
        // new migration that rewrites it.
        let migration = super::super::migrate::MIGRATIONS[10];
        let trigger = &migration[migration.find("CREATE TRIGGER outbox_recent_automatic").unwrap()..];
        assert!(trigger.contains(&format!("NEW.kind IN {}", OutKind::automatic_sql_list())), "{trigger}");
        assert!(trigger.contains(&format!("NEW.created_at - {RECENT_AUTOMATIC_SECONDS};")), "{trigger}");
    }
}
