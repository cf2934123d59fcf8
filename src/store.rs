//! Store stage: SQLite (WAL, numbered migrations). One transaction per fetched batch holds
//! the messages, ticket changes and outbox rows of its mails, each mail in its own savepoint
//! (so one mail's failure undoes only its writes); a crash leaves all of a batch or nothing.
//! rusqlite is blocking: callers keep it off the async executor.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};

use crate::thread::Lookup;

/// A storage failure, with what was being done.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot {doing}: {source}")]
    Sql {
        doing: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    /// A command that only works on an existing database was given a path with none.
    #[error("no database at {path} (check [storage] path; `deskmail run` creates it)")]
    Missing { path: PathBuf },
    /// The database was written by a newer deskmail: opening it could corrupt it.
    #[error(
        "the database is of a newer deskmail (schema version {found}, this deskmail knows up to \
         {known}): upgrade deskmail, or restore a backup"
    )]
    Newer { found: usize, known: usize },
    /// A read-only command met a database of an older deskmail that is not migrated yet.
    #[error(
        "the database is of an older deskmail (schema version {found}, this deskmail needs \
         {known}): `deskmail run` upgrades it, after a backup"
    )]
    Older { found: usize, known: usize },
}

impl StoreError {
    fn wrap(doing: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
        move |source| StoreError::Sql { doing, source }
    }
}

type Result<T> = std::result::Result<T, StoreError>;

const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_ingest.sql"),
    include_str!("../migrations/0003_bounces.sql"),
    include_str!("../migrations/0004_sla.sql"),
    include_str!("../migrations/0005_size.sql"),
    include_str!("../migrations/0006_verdict.sql"),
    include_str!("../migrations/0007_opinion.sql"),
];

/// The deskmail database.
pub struct Store {
    conn: Connection,
}

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

/// A processed (or quarantined) incoming mail.
#[derive(Debug, Clone, Default)]
pub struct MessageRow<'a> {
    pub hash: &'a str,
    pub raw: &'a [u8],
    pub origin: &'a str,
    pub received_at: i64,
    pub message_id: Option<&'a str>,
    pub from_address: Option<&'a str>,
    pub from_name: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub language: Option<&'a str>,
    pub charset: Option<&'a str>,
    pub lossy: bool,
    pub new_text: Option<&'a str>,
    pub quoted_text: Option<&'a str>,
    pub automated: Option<&'a str>,
    pub category: Option<&'a str>,
    pub rule: Option<&'a str>,
    pub action: Option<&'a str>,
    pub ticket_id: Option<i64>,
    pub error: Option<&'a str>,
    /// The mail's size at its source when `raw` holds less (its header only).
    pub size: Option<i64>,
    /// Why automatic mail was withheld (`spam`, `authentication`), if it was.
    pub withheld: Option<&'a str>,
    /// The verdicts believed, on one line.
    pub verdict: Option<&'a str>,
}

/// An outgoing mail to queue.
#[derive(Debug, Clone)]
pub struct OutboxRow<'a> {
    pub ticket_id: i64,
    /// The incoming mail that caused it, if any.
    pub message_row: Option<i64>,
    pub kind: &'a str,
    pub template: &'a str,
    pub recipient: &'a str,
    pub message_id: &'a str,
    pub subject: &'a str,
    pub raw: &'a [u8],
    pub now: i64,
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

/// A quarantined mail, for `deskmail quarantine`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QuarantinedMail {
    pub id: i64,
    pub origin: String,
    #[serde(serialize_with = "crate::timefmt::rfc3339")]
    pub received_at: i64,
    pub reason: String,
    /// The mail's size at its source.
    pub size: i64,
    /// Bytes kept in the database: the whole mail, or only its header when it was over the
    /// size limit (the whole mail is then in the quarantine folder at the source).
    pub kept: i64,
}

/// A mail held as spam, for `deskmail spam`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SpamMail {
    pub id: i64,
    pub origin: String,
    pub received_at: i64,
    pub from_address: Option<String>,
    pub subject: Option<String>,
    /// The verdict that made it spam.
    pub verdict: Option<String>,
}

/// What is kept of a quarantined mail, to process it again.
#[derive(Debug, Clone)]
pub struct QuarantinedRaw {
    pub raw: Vec<u8>,
    pub origin: String,
    pub received_at: i64,
    /// The size at the source when `raw` holds only the header.
    pub size: Option<i64>,
}

/// A queued outgoing mail, as the sender sees it.
#[derive(Debug, Clone)]
pub struct QueuedMail {
    pub id: i64,
    pub ticket_id: i64,
    pub kind: String,
    pub recipient: String,
    pub message_id: String,
    pub raw: Vec<u8>,
    pub attempts: i64,
}

/// A stored mail with what was decided for it, for `deskmail rules replay`.
#[derive(Debug, Clone)]
pub struct StoredDecision {
    pub message: i64,
    pub ticket: Option<i64>,
    pub raw: Vec<u8>,
    pub category: Option<String>,
    pub rule: Option<String>,
    pub action: Option<String>,
    pub automated: Option<String>,
    /// The template of the automatic mail it got (acknowledgement, answer, escalation).
    pub automatic_mail: Option<String>,
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

/// A message of a ticket, for `deskmail show`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MessageSummary {
    pub id: i64,
    #[serde(serialize_with = "crate::timefmt::rfc3339")]
    pub received_at: i64,
    pub from_address: Option<String>,
    pub subject: Option<String>,
    pub category: Option<String>,
    pub rule: Option<String>,
    pub automated: Option<String>,
    pub language: Option<String>,
    pub charset: Option<String>,
    pub new_text: Option<String>,
    /// Why a person's mail got no automatic mail (an invalid sender, `X-Auto-Response-Suppress`).
    pub note: Option<String>,
    /// Why automatic mail was withheld (`spam`, `authentication`), if it was.
    pub withheld: Option<String>,
    /// The verdicts believed, on one line.
    pub verdict: Option<String>,
}

/// An outgoing mail of a ticket, for `deskmail show`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OutboxSummary {
    pub id: i64,
    pub kind: String,
    pub template: String,
    pub recipient: String,
    pub message_id: String,
    pub subject: String,
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// How long a statement waits for another process's lock before it fails.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Switches the database to WAL. SQLite answers `SQLITE_BUSY` at once, without waiting out
/// the busy timeout, when two connections change the journal mode of a new database
/// together (the one holding a shared lock would deadlock the other): so the switch is
/// retried here, within the same timeout.
fn enable_wal(conn: &Connection) -> Result<()> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            result => return result.map_err(StoreError::wrap("enable WAL")),
        }
    }
}

/// The schema version recorded in the database (0 for a new one).
fn schema_version(conn: &Connection) -> Result<usize> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(StoreError::wrap("read the schema version"))
}

/// Before migrating a database that holds data, keeps an online backup of it beside it,
/// `DB.before-vN.bak` (N the new schema version), unless that backup exists already.
fn backup_before_migrating(conn: &Connection, path: &Path) -> Result<()> {
    let found = schema_version(conn)?;
    if found == 0 || found >= MIGRATIONS.len() {
        return Ok(());
    }
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".before-v{}.bak", MIGRATIONS.len()));
    let target = PathBuf::from(name);
    if target.exists() {
        return Ok(());
    }
    conn.backup(rusqlite::MAIN_DB, &target, None)
        .map_err(StoreError::wrap("back up the database before migrating"))?;
    tracing::warn!(backup = %target.display(), from = found, to = MIGRATIONS.len(), "database backed up before migrating");
    Ok(())
}

impl Store {
    /// Opens (creating if needed) the database at `path` and applies pending migrations,
    /// after an online backup of a database that has data (`DB.before-vN.bak`).
    pub fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path).map_err(StoreError::wrap("open the database"))?;
        backup_before_migrating(&conn, path)?;
        Store::setup(conn)
    }

    /// Opens an existing database for a command that changes it (`reply`, `reprocess`): a
    /// missing file is an error naming the path, never a new empty database.
    pub fn open_existing(path: &Path) -> Result<Store> {
        if !path.is_file() {
            return Err(StoreError::Missing { path: path.to_path_buf() });
        }
        Store::open(path)
    }

    /// Opens an existing database read-only, for commands that only read (`tickets`, `show`,
    /// `sla`, `status`, `quarantine`, the metrics endpoint): nothing is created or migrated,
    /// and only read access to the file is needed.
    pub fn open_read_only(path: &Path) -> Result<Store> {
        if !path.is_file() {
            return Err(StoreError::Missing { path: path.to_path_buf() });
        }
        let flags =
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags).map_err(StoreError::wrap("open the database"))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(StoreError::wrap("set the busy timeout"))?;
        let found = schema_version(&conn)?;
        match found.cmp(&MIGRATIONS.len()) {
            std::cmp::Ordering::Greater => Err(StoreError::Newer { found, known: MIGRATIONS.len() }),
            std::cmp::Ordering::Less => Err(StoreError::Older { found, known: MIGRATIONS.len() }),
            std::cmp::Ordering::Equal => Ok(Store { conn }),
        }
    }

    /// Copies the whole database to `target` with SQLite's online backup (consistent while
    /// the daemon writes). `target` must not exist.
    pub fn backup_to(&self, target: &Path) -> Result<()> {
        if target.exists() {
            return Err(StoreError::Sql {
                doing: "back up the database",
                source: rusqlite::Error::InvalidPath(target.to_path_buf()),
            });
        }
        self.conn.backup(rusqlite::MAIN_DB, target, None).map_err(StoreError::wrap("back up the database"))
    }

    /// An in-memory database, for tests and `classify`.
    pub fn open_in_memory() -> Result<Store> {
        Store::setup(Connection::open_in_memory().map_err(StoreError::wrap("open the database"))?)
    }

    fn setup(conn: Connection) -> Result<Store> {
        conn.busy_timeout(BUSY_TIMEOUT).map_err(StoreError::wrap("set the busy timeout"))?;
        enable_wal(&conn)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(StoreError::wrap("set synchronous"))?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(StoreError::wrap("enable foreign keys"))?;
        let mut store = Store { conn };
        store.migrate()?;
        Ok(store)
    }

    /// Applies pending migrations. Each step reads the schema version inside an IMMEDIATE
    /// transaction, so two processes opening a new database at once (the daemon and
    /// `deskmail status`, say) never apply the same step twice.
    fn migrate(&mut self) -> Result<()> {
        let found = schema_version(&self.conn)?;
        if found > MIGRATIONS.len() {
            return Err(StoreError::Newer { found, known: MIGRATIONS.len() });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate() {
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(StoreError::wrap("begin a migration"))?;
            let version: usize = tx
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .map_err(StoreError::wrap("read the schema version"))?;
            if version <= i {
                tx.execute_batch(sql).map_err(StoreError::wrap("apply a migration"))?;
                tx.pragma_update(None, "user_version", i + 1)
                    .map_err(StoreError::wrap("record the schema version"))?;
            }
            tx.commit().map_err(StoreError::wrap("commit a migration"))?;
        }
        Ok(())
    }

    #[cfg(test)]
    fn schema_version(&self) -> usize {
        self.conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap_or(0)
    }

    /// Starts the transaction in which a mail, or a batch of mails, is recorded.
    pub fn begin(&mut self) -> Result<Tx<'_>> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(StoreError::wrap("begin a transaction"))?;
        Ok(Tx { tx })
    }

    /// Outgoing mail due for (another) attempt at `now`, oldest first.
    pub fn due_outbox(&self, now: i64, limit: u32) -> Result<Vec<QueuedMail>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, ticket_id, kind, recipient, message_id, raw, attempts FROM outbox
                 WHERE state = 'pending' AND next_try <= ?1 ORDER BY id LIMIT ?2",
            )
            .map_err(StoreError::wrap("read the outbox"))?;
        stmt.query_map(params![now, limit], |r| {
            Ok(QueuedMail {
                id: r.get(0)?,
                ticket_id: r.get(1)?,
                kind: r.get(2)?,
                recipient: r.get(3)?,
                message_id: r.get(4)?,
                raw: r.get(5)?,
                attempts: r.get(6)?,
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(StoreError::wrap("read the outbox"))
    }

    /// Mail left in `sending` by a crash since before `cutoff` goes back to `pending`. With
    /// self-copies, a mail the server accepted is confirmed by its copy arriving in the inbox
    /// before the cutoff, so only mail that never went out is sent again.
    pub fn requeue_unconfirmed(&self, cutoff: i64) -> Result<usize> {
        self.conn
            .execute(
                "UPDATE outbox SET state = 'pending', last_error = 'not confirmed after a crash; sending again'
                 WHERE state = 'sending' AND COALESCE(sending_since, 0) <= ?1",
                [cutoff],
            )
            .map_err(StoreError::wrap("recover interrupted sends"))
    }

    /// The last UID done and the UIDVALIDITY of a mailbox, if recorded.
    pub fn checkpoint(&self, mailbox: &str) -> Result<Option<(u32, u32)>> {
        self.conn
            .query_row("SELECT uidvalidity, last_uid FROM mailbox_state WHERE mailbox = ?1", [mailbox], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(StoreError::wrap("read a mailbox checkpoint"))
    }

    /// Records the UIDVALIDITY and the highest UID settled in a mailbox.
    pub fn set_checkpoint(&self, mailbox: &str, uidvalidity: u32, last_uid: u32) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO mailbox_state (mailbox, uidvalidity, last_uid) VALUES (?1, ?2, ?3)
                 ON CONFLICT(mailbox) DO UPDATE SET uidvalidity = ?2,
                    last_uid = CASE WHEN uidvalidity = ?2 THEN MAX(last_uid, ?3) ELSE ?3 END",
                params![mailbox, uidvalidity, last_uid],
            )
            .map(|_| ())
            .map_err(StoreError::wrap("write a mailbox checkpoint"))
    }

    /// Quarantined mail, oldest first.
    /// Every processed mail received at or after `since`, oldest first, with what was
    /// decided for it and the automatic mail it got (for `deskmail rules replay`). Rows are
    /// handed to `each` one at a time, so the raw mail of a long history is never held at once.
    pub fn for_each_processed_since(
        &self,
        since: i64,
        mut each: impl FnMut(StoredDecision),
    ) -> Result<usize> {
        // The automatic mail of each message, read in one scan of the outbox (a lookup per
        // message would scan it once per message: outbox.message_row has no index).
        let mut automatic: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
        let mut outbox = self
            .conn
            .prepare(
                "SELECT message_row, template FROM outbox
                  WHERE message_row IS NOT NULL AND kind IN ('ack', 'answer', 'escalated') ORDER BY id",
            )
            .map_err(StoreError::wrap("read stored mail"))?;
        let mut rows = outbox.query([]).map_err(StoreError::wrap("read stored mail"))?;
        while let Some(row) = rows.next().map_err(StoreError::wrap("read stored mail"))? {
            let message: i64 = row.get(0).map_err(StoreError::wrap("read stored mail"))?;
            let template: String = row.get(1).map_err(StoreError::wrap("read stored mail"))?;
            automatic.entry(message).or_insert(template);
        }
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, ticket_id, raw, category, rule, action, automated FROM messages
                  WHERE state = 'processed' AND received_at >= ?1 ORDER BY received_at, id",
            )
            .map_err(StoreError::wrap("read stored mail"))?;
        let mut rows = stmt.query([since]).map_err(StoreError::wrap("read stored mail"))?;
        let mut count = 0;
        while let Some(row) = rows.next().map_err(StoreError::wrap("read stored mail"))? {
            let decision = StoredDecision {
                message: row.get(0).map_err(StoreError::wrap("read stored mail"))?,
                ticket: row.get(1).map_err(StoreError::wrap("read stored mail"))?,
                raw: row.get(2).map_err(StoreError::wrap("read stored mail"))?,
                category: row.get(3).map_err(StoreError::wrap("read stored mail"))?,
                rule: row.get(4).map_err(StoreError::wrap("read stored mail"))?,
                action: row.get(5).map_err(StoreError::wrap("read stored mail"))?,
                automated: row.get(6).map_err(StoreError::wrap("read stored mail"))?,
                automatic_mail: None,
            };
            let decision = StoredDecision { automatic_mail: automatic.remove(&decision.message), ..decision };
            each(decision);
            count += 1;
        }
        Ok(count)
    }

    pub fn quarantined(&self) -> Result<Vec<QuarantinedMail>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, origin, received_at, error, coalesce(size, length(raw)), length(raw)
                 FROM messages WHERE state = 'quarantined' ORDER BY id",
            )
            .map_err(StoreError::wrap("list quarantined mail"))?;
        stmt.query_map([], |r| {
            Ok(QuarantinedMail {
                id: r.get(0)?,
                origin: r.get(1)?,
                received_at: r.get(2)?,
                reason: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                size: r.get(4)?,
                kept: r.get(5)?,
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(StoreError::wrap("list quarantined mail"))
    }

    /// What is kept of a quarantined message.
    pub fn quarantined_raw(&self, id: i64) -> Result<Option<QuarantinedRaw>> {
        self.conn
            .query_row(
                "SELECT raw, origin, received_at, size FROM messages WHERE id = ?1 AND state = 'quarantined'",
                [id],
                |r| {
                    Ok(QuarantinedRaw {
                        raw: r.get(0)?,
                        origin: r.get(1)?,
                        received_at: r.get(2)?,
                        size: r.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(StoreError::wrap("read a stored message"))
    }

    /// Mail held as spam, oldest first.
    pub fn spam(&self) -> Result<Vec<SpamMail>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, origin, received_at, from_address, subject, verdict
                 FROM messages WHERE state = 'spam' ORDER BY id",
            )
            .map_err(StoreError::wrap("list spam"))?;
        stmt.query_map([], |r| {
            Ok(SpamMail {
                id: r.get(0)?,
                origin: r.get(1)?,
                received_at: r.get(2)?,
                from_address: r.get(3)?,
                subject: r.get(4)?,
                verdict: r.get(5)?,
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(StoreError::wrap("list spam"))
    }

    /// The raw mail of a message held as spam.
    pub fn spam_raw(&self, id: i64) -> Result<Option<QuarantinedRaw>> {
        self.conn
            .query_row(
                "SELECT raw, origin, received_at, size FROM messages WHERE id = ?1 AND state = 'spam'",
                [id],
                |r| {
                    Ok(QuarantinedRaw {
                        raw: r.get(0)?,
                        origin: r.get(1)?,
                        received_at: r.get(2)?,
                        size: r.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(StoreError::wrap("read a stored message"))
    }

    /// How many mails had automatic mail withheld, per reason (`spam`, `authentication`).
    pub fn withheld_counts(&self) -> Result<Vec<(String, i64)>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT withheld, COUNT(*) FROM messages WHERE withheld IS NOT NULL
                 GROUP BY withheld ORDER BY withheld",
            )
            .map_err(StoreError::wrap("count withheld automatic mail"))?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(StoreError::wrap("count withheld automatic mail"))
    }

    /// Number of outgoing mails per state.
    pub fn outbox_counts(&self) -> Result<Vec<(String, i64)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT state, COUNT(*) FROM outbox GROUP BY state ORDER BY state")
            .map_err(StoreError::wrap("count the outbox"))?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(StoreError::wrap("count the outbox"))
    }

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

    /// The messages of a ticket, oldest first.
    pub fn ticket_messages(&self, id: i64) -> Result<Vec<MessageSummary>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, received_at, from_address, subject, category, rule, automated, language,
                        charset, new_text, error, withheld, verdict
                 FROM messages WHERE ticket_id = ?1 ORDER BY id",
            )
            .map_err(StoreError::wrap("read a ticket's messages"))?;
        stmt.query_map([id], |r| {
            Ok(MessageSummary {
                id: r.get(0)?,
                received_at: r.get(1)?,
                from_address: r.get(2)?,
                subject: r.get(3)?,
                category: r.get(4)?,
                rule: r.get(5)?,
                automated: r.get(6)?,
                language: r.get(7)?,
                charset: r.get(8)?,
                new_text: r.get(9)?,
                note: r.get(10)?,
                withheld: r.get(11)?,
                verdict: r.get(12)?,
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(StoreError::wrap("read a ticket's messages"))
    }

    /// The second opinion stored with message `id` (issue 17), as one line for `show`.
    pub fn opinion(&self, id: i64) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT model_category, model_confidence, held, suggested, tags FROM opinions WHERE message_id = ?1",
                [id],
                |r| {
                    let category: Option<String> = r.get(0)?;
                    let confidence: Option<f64> = r.get(1)?;
                    let held: Option<String> = r.get(2)?;
                    let suggested: bool = r.get(3)?;
                    let mut line = match (category, confidence) {
                        (Some(c), Some(p)) => format!("second opinion {c} ({p:.2})"),
                        _ => "no second opinion".to_string(),
                    };
                    if suggested {
                        line.push_str("; category suggested by it (no rule matched)");
                    }
                    if let Some(held) = held {
                        line.push_str(&format!("; canned answer held back: {held}"));
                    }
                    let tags: Option<String> = r.get(4)?;
                    if let Some(tags) = tags.filter(|t| !t.is_empty()) {
                        line.push_str(&format!("; tags {tags}"));
                    }
                    Ok(line)
                },
            )
            .optional()
            .map_err(StoreError::wrap("read a second opinion"))
    }

    /// The outgoing mail of a ticket, oldest first.
    pub fn ticket_outbox(&self, id: i64) -> Result<Vec<OutboxSummary>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, kind, template, recipient, message_id, subject, state, attempts, last_error
                 FROM outbox WHERE ticket_id = ?1 ORDER BY id",
            )
            .map_err(StoreError::wrap("read a ticket's outgoing mail"))?;
        stmt.query_map([id], |r| {
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
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(StoreError::wrap("read a ticket's outgoing mail"))
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

    /// Whether a Message-ID is one of our automatic mails.
    pub fn is_our_message(&self, id: &str) -> Result<bool> {
        self.conn
            .query_row("SELECT 1 FROM outbox WHERE message_id = ?1", [id], |_| Ok(()))
            .optional()
            .map(|r| r.is_some())
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

    /// A value the daemon keeps about itself (`last_poll_ok` …).
    pub fn state(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM daemon_state WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(StoreError::wrap("read the daemon state"))
    }

    pub fn set_state(&self, key: &str, value: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO daemon_state (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = ?2",
                params![key, value],
            )
            .map(|_| ())
            .map_err(StoreError::wrap("write the daemon state"))
    }

    /// Counts of messages per state (`processed`, `quarantined`); also answers `deskmail status`.
    pub fn message_counts(&self) -> Result<Vec<(String, i64)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT state, COUNT(*) FROM messages GROUP BY state ORDER BY state")
            .map_err(StoreError::wrap("count messages"))?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(StoreError::wrap("count messages"))
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

/// The transaction recording one mail or a batch: nothing of it is visible until
/// [`Tx::commit`], and dropping it uncommitted rolls all of it back.
pub struct Tx<'a> {
    tx: Transaction<'a>,
}

/// One mail's part of a batch transaction. [`MailSavepoint::release`] keeps its writes in
/// the transaction; [`MailSavepoint::rollback`] (or dropping it) undoes them and nothing else.
/// It dereferences to the transaction, so the pipeline writes through it as usual.
pub struct MailSavepoint<'t, 'c> {
    tx: &'t Tx<'c>,
    open: bool,
}

impl<'c> std::ops::Deref for MailSavepoint<'_, 'c> {
    type Target = Tx<'c>;
    fn deref(&self) -> &Tx<'c> {
        self.tx
    }
}

impl MailSavepoint<'_, '_> {
    /// Keeps the mail's writes: they become durable with the transaction's commit.
    pub fn release(mut self) -> Result<()> {
        self.open = false;
        self.tx.tx.execute_batch("RELEASE mail").map_err(StoreError::wrap("release a mail's savepoint"))
    }

    /// Undoes every write made since the savepoint, leaving the rest of the transaction.
    pub fn rollback(mut self) -> Result<()> {
        self.open = false;
        self.tx.undo_savepoint()
    }
}

impl Drop for MailSavepoint<'_, '_> {
    fn drop(&mut self) {
        if self.open {
            // On an error path the whole transaction is about to be dropped (rolled back) too;
            // SQLite may already have rolled it back itself (disk full), so a failure is moot.
            let _ = self.tx.undo_savepoint();
        }
    }
}

impl<'c> Tx<'c> {
    /// Opens a savepoint for one mail of a batch (savepoints are not nested here).
    pub fn savepoint(&self) -> Result<MailSavepoint<'_, 'c>> {
        self.tx.execute_batch("SAVEPOINT mail").map_err(StoreError::wrap("open a mail's savepoint"))?;
        Ok(MailSavepoint { tx: self, open: true })
    }

    fn undo_savepoint(&self) -> Result<()> {
        self.tx
            .execute_batch("ROLLBACK TO mail; RELEASE mail")
            .map_err(StoreError::wrap("roll back a mail's savepoint"))
    }

    /// Whether a mail with this content hash was already taken in, including earlier in this
    /// (uncommitted) transaction: a mail twice in one batch is a duplicate the second time.
    pub fn is_known(&self, hash: &str) -> Result<bool> {
        self.tx
            .query_row("SELECT 1 FROM messages WHERE hash = ?1", [hash], |_| Ok(()))
            .optional()
            .map(|r| r.is_some())
            .map_err(StoreError::wrap("look up a message hash"))
    }

    /// Whether the mail with this content key is held in quarantine (not processed).
    pub fn is_quarantined(&self, hash: &str) -> Result<bool> {
        self.tx
            .query_row("SELECT 1 FROM messages WHERE hash = ?1 AND state = 'quarantined'", [hash], |_| Ok(()))
            .optional()
            .map(|r| r.is_some())
            .map_err(StoreError::wrap("look up a quarantined message"))
    }

    /// Marks an outgoing mail as handed to the transport (committed before it is sent).
    pub fn mark_sending(&self, id: i64, now: i64) -> Result<()> {
        self.tx
            .execute(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, sending_since = ?2 WHERE id = ?1",
                params![id, now],
            )
            .map(|_| ())
            .map_err(StoreError::wrap("mark an outgoing mail sending"))
    }

    /// Marks an outgoing mail as sent; the ticket's first response is recorded when the mail
    /// answers the question.
    pub fn mark_sent(&self, id: i64, now: i64) -> Result<()> {
        self.tx
            .execute(
                "UPDATE outbox SET state = 'sent', sent_at = ?2, last_error = NULL WHERE id = ?1",
                params![id, now],
            )
            .map(|_| ())
            .map_err(StoreError::wrap("mark an outgoing mail sent"))
    }

    /// Puts a mail back in the queue after a failed attempt.
    pub fn mark_retry(&self, id: i64, next_try: i64, error: &str) -> Result<()> {
        self.tx
            .execute(
                "UPDATE outbox SET state = 'pending', next_try = ?2, last_error = ?3 WHERE id = ?1",
                params![id, next_try, error],
            )
            .map(|_| ())
            .map_err(StoreError::wrap("reschedule an outgoing mail"))
    }

    /// Gives up on a mail (permanent failure).
    pub fn mark_failed(&self, id: i64, error: &str) -> Result<()> {
        self.tx
            .execute("UPDATE outbox SET state = 'failed', last_error = ?2 WHERE id = ?1", params![id, error])
            .map(|_| ())
            .map_err(StoreError::wrap("mark an outgoing mail failed"))
    }

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

    /// Records an incoming mail; returns its row id.
    /// Stores the second opinion on message `message` (issue 17): the model's category and
    /// confidence, why a canned answer was held back, whether the category is a suggestion.
    pub fn insert_opinion(&self, message: i64, c: &crate::rules::Classification) -> Result<()> {
        self.tx.execute(
            "INSERT OR REPLACE INTO opinions (message_id, model_category, model_confidence, held, suggested, tags)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                message,
                c.model.as_ref().map(|m| m.category.as_str()),
                c.model.as_ref().map(|m| f64::from(m.confidence)),
                c.held,
                c.suggested,
                c.tags.join(",")
            ],
        )
        .map_err(StoreError::wrap("store a second opinion"))?;
        Ok(())
    }

    pub fn insert_message(&self, m: &MessageRow<'_>, state: &str) -> Result<i64> {
        self.tx
            .execute(
                "INSERT INTO messages (hash, raw, origin, received_at, message_id, from_address,
                    from_name, subject, language, charset, lossy, new_text, quoted_text, automated,
                    category, rule, action, ticket_id, state, error, size, withheld, verdict)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                         ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
                params![
                    m.hash,
                    m.raw,
                    m.origin,
                    m.received_at,
                    m.message_id,
                    m.from_address,
                    m.from_name,
                    m.subject,
                    m.language,
                    m.charset,
                    m.lossy,
                    m.new_text,
                    m.quoted_text,
                    m.automated,
                    m.category,
                    m.rule,
                    m.action,
                    m.ticket_id,
                    state,
                    m.error,
                    m.size,
                    m.withheld,
                    m.verdict
                ],
            )
            .map_err(StoreError::wrap("record a message"))?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Deletes a quarantined message row (in the transaction that processes it again).
    pub fn delete_quarantined(&self, id: i64) -> Result<()> {
        self.tx
            .execute("DELETE FROM messages WHERE id = ?1 AND state = 'quarantined'", [id])
            .map(|_| ())
            .map_err(StoreError::wrap("release a quarantined message"))
    }

    /// Deletes a message held as spam (in the transaction that takes it in as not spam).
    pub fn delete_spam(&self, id: i64) -> Result<()> {
        self.tx
            .execute("DELETE FROM messages WHERE id = ?1 AND state = 'spam'", [id])
            .map(|_| ())
            .map_err(StoreError::wrap("release a message held as spam"))
    }

    /// Whether the mail with this content key is held as spam.
    pub fn is_spam(&self, hash: &str) -> Result<bool> {
        self.tx
            .query_row("SELECT 1 FROM messages WHERE hash = ?1 AND state = 'spam'", [hash], |_| Ok(()))
            .optional()
            .map(|r| r.is_some())
            .map_err(StoreError::wrap("look up a message held as spam"))
    }

    /// Confirms one of our outgoing mails by the copy of it that came back to the support
    /// mailbox; returns its ticket, or `None` when the Message-ID is not ours.
    pub fn confirm_sent_copy(&self, message_id: &str, now: i64) -> Result<Option<i64>> {
        let ticket: Option<i64> = self
            .tx
            .query_row("SELECT ticket_id FROM outbox WHERE message_id = ?1", [message_id], |r| r.get(0))
            .optional()
            .map_err(StoreError::wrap("look up a sent copy"))?;
        if ticket.is_some() {
            self.tx
                .execute(
                    "UPDATE outbox SET state = 'sent', sent_at = COALESCE(sent_at, ?2)
                     WHERE message_id = ?1 AND state IN ('sending', 'sent')",
                    params![message_id, now],
                )
                .map_err(StoreError::wrap("confirm a sent mail"))?;
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
        let row: Option<(i64, String)> = self
            .tx
            .query_row("SELECT ticket_id, recipient FROM outbox WHERE message_id = ?1", [message_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(StoreError::wrap("look up a bounced mail"))?;
        let Some((ticket, recipient)) = row else { return Ok(None) };
        self.tx
            .execute(
                "UPDATE outbox SET bounced_at = ?2, last_error = ?3 WHERE message_id = ?1",
                params![message_id, now, reason],
            )
            .map_err(StoreError::wrap("mark a mail bounced"))?;
        self.tx
            .execute(
                "INSERT INTO suppressions (address, until, reason) VALUES (?1, ?2, ?3)
                 ON CONFLICT(address) DO UPDATE SET until = MAX(until, ?2), reason = ?3",
                params![recipient, until, reason],
            )
            .map_err(StoreError::wrap("suppress a bouncing address"))?;
        Ok(Some((ticket, recipient)))
    }

    /// Until when automatic mail to `address` is suppressed, if it is at `now`.
    pub fn suppressed_until(&self, address: &str, now: i64) -> Result<Option<(i64, String)>> {
        self.tx
            .query_row(
                "SELECT until, reason FROM suppressions WHERE address = ?1 AND until > ?2",
                params![address, now],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(StoreError::wrap("look up a suppression"))
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

    /// Queues an outgoing mail.
    pub fn enqueue(&self, o: &OutboxRow<'_>) -> Result<i64> {
        self.tx
            .execute(
                "INSERT INTO outbox (ticket_id, message_row, kind, template, recipient, message_id,
                                     subject, raw, next_try, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
                params![
                    o.ticket_id,
                    o.message_row,
                    o.kind,
                    o.template,
                    o.recipient,
                    o.message_id,
                    o.subject,
                    o.raw,
                    o.now
                ],
            )
            .map_err(StoreError::wrap("queue an outgoing mail"))?;
        Ok(self.tx.last_insert_rowid())
    }

    /// How many automatic mails went (or are queued) to `address` since `since`.
    pub fn automatic_mails_since(&self, address: &str, since: i64) -> Result<u32> {
        self.tx
            .query_row(
                "SELECT COUNT(*) FROM outbox WHERE recipient = ?1 AND created_at >= ?2
                 AND kind IN ('ack', 'answer', 'escalated')",
                params![address, since],
                |r| r.get(0),
            )
            .map_err(StoreError::wrap("count automatic mails"))
    }

    /// Makes everything recorded in this transaction durable.
    pub fn commit(self) -> Result<()> {
        self.tx.commit().map_err(StoreError::wrap("commit"))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regression_a_failed_thread_lookup_is_an_error_not_no_ticket() {
        let mut store = Store::open_in_memory().unwrap();
        let tx = store.begin().unwrap();
        tx.tx.execute_batch("DROP TABLE outbox").unwrap();
        let ids = vec!["ours@support.test".to_string()];
        assert!(
            tx.ticket_of_our_message(&ids).is_err(),
            "a broken store must fail the mail, not open a ticket"
        );
    }

    fn quarantined_row<'a>(hash: &'a str) -> MessageRow<'a> {
        MessageRow { hash, raw: b"raw", origin: "test", error: Some("test"), ..MessageRow::default() }
    }

    #[test]
    fn a_rolled_back_savepoint_undoes_only_its_own_mail() {
        let mut store = Store::open_in_memory().unwrap();
        let tx = store.begin().unwrap();
        let first = tx.savepoint().unwrap();
        first.insert_message(&quarantined_row("kept"), "quarantined").unwrap();
        first.release().unwrap();
        let second = tx.savepoint().unwrap();
        second.insert_message(&quarantined_row("undone"), "quarantined").unwrap();
        assert!(second.is_known("undone").unwrap(), "a savepoint sees its own writes");
        second.rollback().unwrap();
        {
            let dropped = tx.savepoint().unwrap();
            dropped.insert_message(&quarantined_row("dropped"), "quarantined").unwrap();
        }
        assert!(tx.is_known("kept").unwrap(), "uncommitted rows are known in the transaction");
        assert!(!tx.is_known("undone").unwrap());
        assert!(!tx.is_known("dropped").unwrap(), "dropping a savepoint rolls it back");
        tx.commit().unwrap();
        assert_eq!(store.quarantined().unwrap().len(), 1);
    }

    #[test]
    fn regression_two_processes_opening_a_new_database_at_once_both_succeed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deskmail.db");
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || Store::open(&path).map(|s| s.schema_version()))
            })
            .collect();
        for handle in handles {
            assert_eq!(handle.join().unwrap().expect("open succeeds"), MIGRATIONS.len());
        }
    }
}
