//! The search index (FTS5, trigram) written once per transaction, not once per mail.
//!
//! FTS5 keeps the texts inserted in a transaction in memory and writes them as one new
//! segment of its index, merging segments as they pile up; but it must write them out at
//! every savepoint, and a batch gives each mail its own (and each statement that may fail
//! halfway opens one). Indexed as it was filed, each mail became a segment of its own, and
//! merging those into an index that grows with the history was a third of what processing
//! a mail cost (issue 22; README, "A year of mail"). So a mail's texts wait in a table of
//! the connection's temporary database, which savepoints cover like the rest (a mail rolled
//! back takes its texts with it), and go into the index together just before the commit,
//! in the same transaction: a crash keeps both or neither.

use rusqlite::{Connection, Transaction, params};

use super::{Result, StoreError};

/// Creates the connection's table of texts waiting for the commit.
pub(super) fn prepare(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS search_pending (ticket_id INTEGER NOT NULL, body TEXT NOT NULL)",
    )
    .map_err(StoreError::wrap("prepare the search index"))
}

/// Keeps `text` for the index until the transaction commits.
pub(super) fn stage(tx: &Transaction<'_>, ticket: i64, text: &str) -> Result<()> {
    tx.prepare_cached("INSERT INTO temp.search_pending (ticket_id, body) VALUES (?1, ?2)")
        .and_then(|mut s| s.execute(params![ticket, text]))
        .map(|_| ())
        .map_err(StoreError::wrap("index a ticket's text"))
}

/// Indexes the texts kept in this transaction, in one go, in the transaction.
pub(super) fn flush(tx: &Transaction<'_>) -> Result<()> {
    let staged = tx
        .prepare_cached(
            "INSERT INTO search (ticket_id, body) SELECT ticket_id, body FROM temp.search_pending ORDER BY rowid",
        )
        .and_then(|mut s| s.execute([]))
        .map_err(StoreError::wrap("index the transaction's texts"))?;
    if staged > 0 {
        tx.prepare_cached("DELETE FROM temp.search_pending")
            .and_then(|mut s| s.execute([]))
            .map_err(StoreError::wrap("index the transaction's texts"))?;
    }
    Ok(())
}
