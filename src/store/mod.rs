//! Store stage: SQLite (WAL, numbered migrations). One transaction per fetched batch holds
//! the messages, ticket changes and outbox rows of its mails, each mail in its own savepoint
//! (so one mail's failure undoes only its writes); a crash leaves all of a batch or nothing.
//! rusqlite is blocking: async callers (the daemon, the outbox flush) run it through
//! `blocking::run`, which keeps a multi-thread runtime's other tasks going meanwhile.

mod kinds;
mod lifecycle;
mod mailbox;
mod messages;
mod migrate;
mod outbox;
#[cfg(test)]
mod plans;
pub mod raw;
mod retention;
mod savepoint;
mod search;
mod sql;
mod tickets;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, Transaction};

pub use crate::lifecycle::{Responder, TicketStatus};
pub use kinds::{MessageState, OutKind, OutboxState};
pub use lifecycle::{Change, Correction, Happened, Note, TicketEvent, TicketState, Unmirrored};
pub use messages::{MessageRow, MessageSummary, QuarantinedMail, QuarantinedRaw, SpamMail, StoredDecision};
use migrate::{BUSY_TIMEOUT, MIGRATIONS, backup_before_migrating, enable_wal, schema_version};
pub use outbox::{OutboxRow, OutboxSummary, QueuedMail};
pub use retention::{Purged, Retention, Vacuumed};
pub use savepoint::MailSavepoint;
pub use tickets::{DueTicket, NewTicket, ReplyContext, TicketFilter, TicketSummary};

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

/// The page cache of a connection that writes, in KiB (negative: a size, not pages).
const CACHE_KIB: i64 = -32 * 1024;

/// Prepared statements kept per connection.
const STATEMENTS: usize = 96;

/// Pages the WAL may hold before a commit copies them into the database (80 MB).
const WAL_PAGES: i64 = 20_000;

/// The deskmail database.
pub struct Store {
    conn: Connection,
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
        // A new database gets incremental vacuum before its first table (only then can it be
        // set without a VACUUM), so that a purge can give space back (src/store/retention.rs).
        if schema_version(&conn)? == 0 {
            conn.pragma_update(None, "auto_vacuum", retention::INCREMENTAL)
                .map_err(StoreError::wrap("set auto_vacuum"))?;
        }
        enable_wal(&conn)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(StoreError::wrap("set synchronous"))?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(StoreError::wrap("enable foreign keys"))?;
        // The default page cache (2 MB) holds little of the indexes that take random keys (the
        // content hash, Message-IDs, the search index): as the history grows, each insert
        // would read their pages from the file again. 32 MB keeps their inner levels in memory.
        conn.pragma_update(None, "cache_size", CACHE_KIB).map_err(StoreError::wrap("set the page cache"))?;
        // Each mail's savepoint journal and the texts waiting for the index are kept in
        // memory, not in temporary files: 68,000 writes per 1,000 mails fewer. Neither is
        // what makes a commit durable (the WAL is), and both are emptied per mail or batch.
        conn.pragma_update(None, "temp_store", "MEMORY").map_err(StoreError::wrap("set temp_store"))?;
        // The WAL is copied into the database when it holds WAL_PAGES, not SQLite's 1,000 (4 MB):
        // a page that many commits change (an index's inner pages) is copied once rather than
        // at each of many checkpoints, a third fewer writes at a million messages. The daemon
        // checkpoints after each pass, while it waits for mail (`Store::checkpoint_wal`); the last
        // connection to close checkpoints too.
        conn.pragma_update(None, "wal_autocheckpoint", WAL_PAGES)
            .map_err(StoreError::wrap("set wal_autocheckpoint"))?;
        // Statements are prepared once a connection and kept (`sql.rs`): a mail runs some 30,
        // more than rusqlite's 16 kept by default, and compiling them again (with the triggers
        // that keep the tallies) was a tenth of the time per mail.
        conn.set_prepared_statement_cache_capacity(STATEMENTS);
        let mut store = Store { conn };
        store.migrate()?;
        search::prepare(&store.conn)?;
        Ok(store)
    }

    /// Copies the WAL into the database as far as no reader holds it back, without waiting for
    /// one (the daemon, after each pass).
    pub fn checkpoint_wal(&self) -> Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
            .map_err(StoreError::wrap("checkpoint the WAL"))
    }

    /// Starts the transaction in which a mail, or a batch of mails, is recorded.
    pub fn begin(&mut self) -> Result<Tx<'_>> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(StoreError::wrap("begin a transaction"))?;
        Ok(Tx { tx })
    }
}

/// The transaction recording one mail or a batch: nothing of it is visible until
/// [`Tx::commit`], and dropping it uncommitted rolls all of it back.
pub struct Tx<'a> {
    tx: Transaction<'a>,
}

impl Tx<'_> {
    /// Makes everything recorded in this transaction durable, the texts it indexed included.
    pub fn commit(self) -> Result<()> {
        search::flush(&self.tx)?;
        self.tx.commit().map_err(StoreError::wrap("commit"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::thread::Lookup;

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
    fn a_mail_stored_under_the_old_form_of_its_key_is_still_a_duplicate() {
        let mut store = Store::open_in_memory().unwrap();
        let tx = store.begin().unwrap();
        // An older deskmail stored the hash alone; today's key begins with `t` and the day.
        let old = "0123456789abcdef".repeat(4);
        tx.insert_message(&quarantined_row(&old), MessageState::Quarantined).unwrap();
        let now = format!("t20261204{old}");
        assert!(tx.is_known(&now).unwrap());
        assert!(tx.is_quarantined(&now).unwrap());
        assert!(!tx.is_spam(&now).unwrap());
        assert!(tx.is_known(&old).unwrap(), "a key of the old form is looked up as it is");
        let other = format!("t20261204{}", "f".repeat(64));
        assert!(!tx.is_known(&other).unwrap());
        tx.insert_message(&quarantined_row(&other), MessageState::Quarantined).unwrap();
        assert!(tx.is_known(&other).unwrap(), "and today's form as it is");
    }

    #[test]
    fn a_rolled_back_savepoint_undoes_only_its_own_mail() {
        let mut store = Store::open_in_memory().unwrap();
        let tx = store.begin().unwrap();
        let first = tx.savepoint().unwrap();
        first.insert_message(&quarantined_row("kept"), MessageState::Quarantined).unwrap();
        first.release().unwrap();
        let second = tx.savepoint().unwrap();
        second.insert_message(&quarantined_row("undone"), MessageState::Quarantined).unwrap();
        assert!(second.is_known("undone").unwrap(), "a savepoint sees its own writes");
        second.rollback().unwrap();
        {
            let dropped = tx.savepoint().unwrap();
            dropped.insert_message(&quarantined_row("dropped"), MessageState::Quarantined).unwrap();
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

    #[test]
    fn commits_stay_durable_and_the_wal_is_copied_in_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("deskmail.db")).unwrap();
        let pragma = |name: &str| -> i64 {
            store.conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0)).unwrap()
        };
        assert_eq!(pragma("synchronous"), 2, "FULL: a commit is on disk before the mail is settled");
        assert_eq!(pragma("temp_store"), 2, "savepoint journals in memory");
        assert_eq!(pragma("wal_autocheckpoint"), WAL_PAGES);
        let tx = store.begin().unwrap();
        let row = MessageRow { hash: "h", raw: b"raw", origin: "test", ..MessageRow::default() };
        tx.insert_message(&row, MessageState::Processed).unwrap();
        tx.commit().unwrap();
        // (busy, frames in the WAL, frames copied into the database)
        let wal = |store: &Store| -> (i64, i64, i64) {
            store
                .conn
                .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .unwrap()
        };
        store.checkpoint_wal().unwrap();
        let (busy, frames, copied) = wal(&store);
        assert_eq!(busy, 0);
        assert!(frames > 0 && copied == frames, "{frames} frames, {copied} copied");
    }
}
