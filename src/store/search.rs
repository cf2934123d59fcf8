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

#[cfg(test)]
mod tests {
    use super::super::{Store, TicketFilter};

    fn found(store: &Store, words: &str) -> Vec<i64> {
        let filter = TicketFilter { search: Some(words.into()), ..TicketFilter::default() };
        store.find_tickets(&filter).unwrap().iter().map(|t| t.id).collect()
    }

    fn ticket(tx: &super::super::Tx<'_>, subject: &str) -> i64 {
        tx.open_ticket(&super::super::NewTicket {
            customer: "kunde@example.test",
            customer_name: "",
            subject,
            category: None,
            priority: "normal",
            language: "en",
            created_at: 1,
            first_response_due: 2,
        })
        .unwrap()
    }

    /// The segments of the index (its structure record), to see how often it was written.
    fn segments(store: &Store) -> usize {
        use rusqlite::OptionalExtension;
        let record: Option<Vec<u8>> = store
            .conn
            .query_row("SELECT block FROM search_data WHERE id = 10", [], |r| r.get(0))
            .optional()
            .unwrap();
        // After the 4-byte cookie: varint levels, varint segments (both small here).
        record.map_or(0, |r| usize::from(r[5]))
    }

    #[test]
    fn a_batchs_texts_are_found_after_its_commit_and_written_as_one_segment() {
        let mut store = Store::open_in_memory().unwrap();
        let before = segments(&store);
        let tx = store.begin().unwrap();
        let mut ids = Vec::new();
        for word in ["Rückerstattung", "退款申请", "chargeback"] {
            let mail = tx.savepoint().unwrap();
            let id = ticket(&mail, "Frage");
            mail.index_text(id, &format!("bitte {word} prüfen")).unwrap();
            mail.release().unwrap();
            ids.push(id);
        }
        tx.commit().unwrap();
        assert_eq!(found(&store, "Rückerstattung"), vec![ids[0]]);
        assert_eq!(found(&store, "退款申"), vec![ids[1]]);
        assert_eq!(found(&store, "chargeback"), vec![ids[2]]);
        assert_eq!(found(&store, "Frage").len(), 3, "the subjects are indexed too");
        assert_eq!(segments(&store), before + 1, "three mails, one segment");
        let left: i64 =
            store.conn.query_row("SELECT COUNT(*) FROM temp.search_pending", [], |r| r.get(0)).unwrap();
        assert_eq!(left, 0);
    }

    #[test]
    fn a_word_holding_a_like_wildcard_matches_only_itself() {
        let mut store = Store::open_in_memory().unwrap();
        let tx = store.begin().unwrap();
        let (percent, digits, underscore) = (ticket(&tx, "a"), ticket(&tx, "b"), ticket(&tx, "c"));
        tx.index_text(percent, "refund 100% please").unwrap();
        tx.index_text(digits, "refund 1000 please").unwrap();
        tx.index_text(underscore, "user_id 42").unwrap();
        tx.commit().unwrap();
        assert_eq!(found(&store, "100%"), vec![percent]);
        assert_eq!(found(&store, "100"), vec![digits, percent], "newest first");
        assert_eq!(found(&store, "user_id"), vec![underscore]);
        assert!(found(&store, "userxid").is_empty());
    }

    #[test]
    fn a_rolled_back_mail_leaves_nothing_in_the_index() {
        let mut store = Store::open_in_memory().unwrap();
        let tx = store.begin().unwrap();
        let kept = tx.savepoint().unwrap();
        let id = ticket(&kept, "kept");
        kept.index_text(id, "the parcel arrived damaged").unwrap();
        kept.release().unwrap();
        let undone = tx.savepoint().unwrap();
        let other = ticket(&undone, "undone");
        undone.index_text(other, "a forged invoice").unwrap();
        undone.rollback().unwrap();
        tx.commit().unwrap();
        assert_eq!(found(&store, "damaged"), vec![id]);
        assert!(found(&store, "forged").is_empty());
        assert!(found(&store, "undone").is_empty());
    }

    #[test]
    fn a_transaction_dropped_uncommitted_indexes_nothing_later() {
        let mut store = Store::open_in_memory().unwrap();
        {
            let tx = store.begin().unwrap();
            let id = ticket(&tx, "lost");
            tx.index_text(id, "never committed").unwrap();
        }
        let tx = store.begin().unwrap();
        ticket(&tx, "next");
        tx.commit().unwrap();
        assert!(found(&store, "committed").is_empty(), "the dropped transaction's text stays out");
        assert_eq!(found(&store, "next").len(), 1);
    }
}
