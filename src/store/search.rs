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
//!
//! Searching lists the newest match first: the index is read newest text first (FTS5 walks
//! its rowids downwards without sorting), each text's ticket is checked against the other
//! filters once, and reading stops when the page is full. So a word found in a third of a
//! million tickets costs what a rare one does; sorting every matching ticket by its number
//! first took seconds (issue 22; README, "A year of mail").

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension, Transaction, params, params_from_iter};

use super::tickets::{TICKET_SELECT, TicketFilter, TicketSummary, Where, like_pattern, ticket_summary};
use super::{Result, Store, StoreError};

impl Store {
    /// The tickets that pass `filter` and hold every word (in the subject or a customer's
    /// text indexed), by their newest text holding the longest word, newest first. The
    /// longest word has the most trigrams, so it is likely the rarest: its texts are read
    /// from the index, the other words are looked for in each candidate ticket's own texts.
    /// One customer's tickets, and those waiting for a person, are few (an index finds them)
    /// where the texts with a common word are tens of thousands: those are looked through
    /// instead.
    pub(super) fn search_tickets(&self, filter: &TicketFilter, words: &[&str]) -> Result<Vec<TicketSummary>> {
        let driver = words.iter().rev().copied().max_by_key(|w| w.chars().count()).unwrap_or_default();
        let mut others = words.to_vec();
        others.remove(words.iter().rposition(|w| *w == driver).unwrap_or_default());
        if self.few_selected(filter)? {
            self.search_few_tickets(filter, driver, &others)
        } else {
            self.search_index(filter, driver, &others)
        }
    }

    /// Whether the filters select few enough tickets to look through: one customer's, the
    /// overdue, or the queue waiting for a person while it is a queue (a desk far behind has
    /// more tickets waiting than the index has recent texts with a word, and is searched in
    /// the index).
    fn few_selected(&self, filter: &TicketFilter) -> Result<bool> {
        if filter.customer.is_some() {
            return Ok(true);
        }
        if let Some(now) = filter.overdue_at {
            // Counted as far as the bound, in the index of deadlines.
            let overdue: i64 = self
                .conn
                .query_row(
                    "SELECT COUNT(*) FROM (SELECT 1 FROM tickets
                     WHERE status = 'needs_person' AND due_at < ?1 LIMIT ?2)",
                    params![now, FEW_WAITING + 1],
                    |r| r.get(0),
                )
                .map_err(StoreError::wrap("count overdue tickets"))?;
            return Ok(overdue <= FEW_WAITING);
        }
        if filter.status != Some(crate::lifecycle::TicketStatus::NeedsPerson) {
            return Ok(false);
        }
        let waiting = self
            .ticket_counts()?
            .into_iter()
            .find(|(status, _)| *status == crate::lifecycle::TicketStatus::NeedsPerson)
            .map_or(0, |(_, n)| n);
        Ok(waiting <= FEW_WAITING)
    }

    /// Reads the texts with `driver` from the index newest first, and keeps each text's
    /// ticket (once) if it passes the filters and holds the `others`, until the page is full.
    fn search_index(
        &self,
        filter: &TicketFilter,
        driver: &str,
        others: &[&str],
    ) -> Result<Vec<TicketSummary>> {
        let wrap = || StoreError::wrap("search tickets");
        // SQLite hands a LIKE to the trigram index only without an ESCAPE clause: with one,
        // every text is read (newest first, so a common word still stops early). So only a
        // word holding `%`, `_` or `\` has one.
        let texts = if driver.contains(['%', '_', '\\']) {
            "SELECT ticket_id FROM search WHERE body LIKE ?1 ESCAPE '\\' ORDER BY rowid DESC"
        } else {
            "SELECT ticket_id FROM search WHERE body LIKE ?1 ORDER BY rowid DESC"
        };
        // The candidate ticket is the first parameter, set for each.
        let mut w = Where::default();
        w.bind("t.id = ?", 0.into());
        let mut w = w.with_filters(filter);
        for word in others {
            w.bind(HOLDS, like_pattern(word).into());
        }
        let check = format!("{TICKET_SELECT} WHERE {}", w.clauses.join(" AND "));
        let mut check = self.conn.prepare(&check).map_err(wrap())?;
        let mut texts = self.conn.prepare(texts).map_err(wrap())?;
        let mut rows = texts.query([like_pattern(driver)]).map_err(wrap())?;
        let limit = filter.limit.map_or(usize::MAX, |n| n as usize);
        let mut seen = HashSet::new();
        let mut found = Vec::new();
        while found.len() < limit {
            let Some(row) = rows.next().map_err(wrap())? else { break };
            let ticket: i64 = row.get(0).map_err(wrap())?;
            if !seen.insert(ticket) {
                continue;
            }
            w.values[0] = ticket.into();
            if let Some(t) =
                check.query_row(params_from_iter(&w.values), ticket_summary).optional().map_err(wrap())?
            {
                found.push(t);
            }
        }
        Ok(found)
    }

    /// Looks for every word in the texts of the tickets the filters select (few of them),
    /// in the same order: by when the newest text holding `driver` came (the index holds
    /// texts in the order they came).
    fn search_few_tickets(
        &self,
        filter: &TicketFilter,
        driver: &str,
        others: &[&str],
    ) -> Result<Vec<TicketSummary>> {
        let wrap = || StoreError::wrap("search tickets");
        let mut w = Where::default().with_filters(filter);
        w.bind(HOLDS, like_pattern(driver).into());
        let driver_at = w.values.len();
        for word in others {
            w.bind(HOLDS, like_pattern(word).into());
        }
        let mut sql = format!(
            "{TICKET_SELECT} WHERE {} ORDER BY {} DESC, t.id DESC",
            w.clauses.join(" AND "),
            NEWEST_HOLDING.replace('?', &format!("?{driver_at}"))
        );
        if let Some(limit) = filter.limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        let mut stmt = self.conn.prepare(&sql).map_err(wrap())?;
        stmt.query_map(params_from_iter(&w.values), ticket_summary)
            .and_then(|rows| rows.collect())
            .map_err(wrap())
    }
}

/// The most tickets waiting for a person that a search looks through rather than reading
/// the index: at a million messages 28,000 took 52 ms, the index 5 ms for a common word.
const FEW_WAITING: i64 = 5_000;

/// When the ticket's newest text holding the word came: its subject when it was opened, a
/// customer's text when it came (the texts `HOLDS` looks through).
const NEWEST_HOLDING: &str = "MAX(COALESCE(CASE WHEN t.subject LIKE ? ESCAPE '\\' THEN t.created_at END, 0),
    COALESCE((SELECT MAX(w.received_at) FROM messages w
              WHERE w.ticket_id = t.id AND w.automated IS NULL AND w.new_text LIKE ? ESCAPE '\\'), 0))";

/// A word found in the ticket's subject or one of its customers' texts that the index holds
/// (mail that is not machine mail, with text: as `file` indexes it and the migration did);
/// read from the ticket's own rows, a handful, where the index would list every text with
/// the word.
const HOLDS: &str = "(t.subject LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM messages w
    WHERE w.ticket_id = t.id AND w.automated IS NULL AND w.new_text LIKE ? ESCAPE '\\'))";

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

    fn found_with(store: &Store, filter: TicketFilter) -> Vec<i64> {
        store.find_tickets(&filter).unwrap().iter().map(|t| t.id).collect()
    }

    /// A customer's mail on a ticket, indexed as `file` indexes it (machine mail is not).
    fn mail(tx: &super::super::Tx<'_>, ticket: i64, text: &str, automated: bool) {
        let hash = format!("{ticket}:{text}");
        // Each mail comes after the ones before.
        let received_at: i64 =
            tx.tx.query_row("SELECT COUNT(*) + 1 FROM messages", [], |r| r.get(0)).unwrap();
        let row = super::super::MessageRow {
            hash: &hash,
            raw: b"raw",
            origin: "test",
            received_at,
            ticket_id: Some(ticket),
            new_text: Some(text),
            automated: automated.then_some("auto-replied"),
            ..Default::default()
        };
        tx.insert_message(&row, super::super::MessageState::Processed).unwrap();
        if !automated {
            tx.index_text(ticket, text).unwrap();
        }
    }

    #[test]
    fn a_search_with_more_matches_than_its_page_lists_the_newest_matches() {
        let mut store = Store::open_in_memory().unwrap();
        let tx = store.begin().unwrap();
        let ids: Vec<i64> = (0..5)
            .map(|i| {
                let id = ticket(&tx, &format!("Frage {i}"));
                mail(&tx, id, "where is my refund?", false);
                id
            })
            .collect();
        let other = ticket(&tx, "Frage 5");
        mail(&tx, other, "my parcel is late", false);
        tx.commit().unwrap();
        let tx = store.begin().unwrap();
        mail(&tx, ids[1], "the refund is still missing", false);
        tx.commit().unwrap();
        let page = |limit| {
            found_with(
                &store,
                TicketFilter { search: Some("refund".into()), limit, ..TicketFilter::default() },
            )
        };
        assert_eq!(page(Some(3)), vec![ids[1], ids[4], ids[3]], "the newest match first: a follow-up's");
        assert_eq!(page(None), vec![ids[1], ids[4], ids[3], ids[2], ids[0]], "each ticket once");
        assert_eq!(found(&store, "Frage").len(), 6);
        assert_eq!(
            found_with(
                &store,
                TicketFilter { search: Some("Frage".into()), limit: Some(2), ..TicketFilter::default() }
            ),
            vec![other, ids[4]]
        );
    }

    /// A ticket of `customer` with a mail holding `text`.
    fn open(tx: &super::super::Tx<'_>, customer: &str, category: Option<&str>, text: &str) -> i64 {
        let id = tx
            .open_ticket(&super::super::NewTicket {
                customer,
                customer_name: "",
                subject: "Frage",
                category,
                priority: "normal",
                language: "de",
                created_at: 1,
                first_response_due: 2,
            })
            .unwrap();
        mail(tx, id, text, false);
        id
    }

    #[test]
    fn a_search_keeps_the_other_filters() {
        let mut store = Store::open_in_memory().unwrap();
        let tx = store.begin().unwrap();
        let open = |customer, category, text| open(&tx, customer, category, text);
        let a = open("x@example.test", Some("billing"), "refund please");
        let _b = open("y@example.test", None, "refund please");
        let c = open("x@example.test", None, "a refund");
        let _d = open("x@example.test", Some("billing"), "nothing to see");
        let e = open("y@example.test", None, "refund now");
        tx.commit().unwrap();
        let search = |customer: Option<&str>, category: Option<&str>, limit| {
            found_with(
                &store,
                TicketFilter {
                    search: Some("refund".into()),
                    customer: customer.map(Into::into),
                    category: category.map(Into::into),
                    limit,
                    ..TicketFilter::default()
                },
            )
        };
        assert_eq!(search(Some("X@example.test"), None, Some(10)), vec![c, a]);
        assert_eq!(
            search(Some("x@example.test"), None, Some(1)),
            vec![c],
            "the page is of tickets that pass"
        );
        assert_eq!(search(None, Some("billing"), None), vec![a]);
        assert!(search(Some("y@example.test"), Some("billing"), None).is_empty());
        let status = TicketFilter {
            search: Some("refund".into()),
            status: Some(crate::lifecycle::TicketStatus::Closed),
            ..TicketFilter::default()
        };
        assert!(found_with(&store, status).is_empty(), "every ticket is open");
        let waiting = TicketFilter {
            search: Some("refund".into()),
            status: Some(crate::lifecycle::TicketStatus::NeedsPerson),
            limit: Some(2),
            ..TicketFilter::default()
        };
        assert_eq!(found_with(&store, waiting), vec![e, c], "the queue looked through, in the same order");
    }

    #[test]
    fn one_customers_tickets_are_looked_through_and_listed_in_the_same_order() {
        let mut store = Store::open_in_memory().unwrap();
        let tx = store.begin().unwrap();
        let a = open(&tx, "x@example.test", None, "refund please");
        let b = open(&tx, "y@example.test", None, "a refund");
        let c = open(&tx, "x@example.test", None, "refund now");
        let _d = open(&tx, "x@example.test", None, "parcel late");
        tx.commit().unwrap();
        let tx = store.begin().unwrap();
        mail(&tx, a, "my refund is still missing", false);
        tx.commit().unwrap();
        let search = |words: &str, customer: Option<&str>, limit| {
            found_with(
                &store,
                TicketFilter {
                    search: Some(words.into()),
                    customer: customer.map(Into::into),
                    limit,
                    ..TicketFilter::default()
                },
            )
        };
        assert_eq!(search("refund", None, None), vec![a, c, b], "the newest match first");
        assert_eq!(search("refund", Some("x@example.test"), None), vec![a, c], "the same order");
        assert_eq!(search("refund", Some("x@example.test"), Some(1)), vec![a]);
        assert_eq!(search("missing refund", Some("x@example.test"), None), vec![a]);
        assert_eq!(search("Frage now", Some("x@example.test"), None), vec![c], "the subject too");
        assert!(search("refund", Some("z@example.test"), None).is_empty());
    }

    #[test]
    fn the_queue_is_looked_through_while_it_is_a_queue() {
        let mut store = Store::open_in_memory().unwrap();
        let tx = store.begin().unwrap();
        open(&tx, "x@example.test", None, "refund please");
        tx.commit().unwrap();
        let waiting = TicketFilter {
            status: Some(crate::lifecycle::TicketStatus::NeedsPerson),
            ..TicketFilter::default()
        };
        let customer = TicketFilter { customer: Some("x@example.test".into()), ..TicketFilter::default() };
        let closed =
            TicketFilter { status: Some(crate::lifecycle::TicketStatus::Closed), ..TicketFilter::default() };
        assert!(store.few_selected(&waiting).unwrap());
        assert!(store.few_selected(&customer).unwrap());
        assert!(!store.few_selected(&closed).unwrap());
        store
            .conn
            .execute(
                "UPDATE tallies SET n = ?1 WHERE tbl = 'tickets' AND state = 'needs_person'",
                [super::FEW_WAITING + 1],
            )
            .unwrap();
        assert!(!store.few_selected(&waiting).unwrap(), "a desk far behind: the index");
        assert!(store.few_selected(&customer).unwrap());
        let mut page = waiting.clone();
        page.search = Some("refund".into());
        assert_eq!(found_with(&store, page).len(), 1, "found either way");
    }

    #[test]
    fn every_word_is_found_in_the_ticket_each_in_any_of_its_texts() {
        let mut store = Store::open_in_memory().unwrap();
        let tx = store.begin().unwrap();
        let subject = ticket(&tx, "Refund");
        mail(&tx, subject, "order 4711 is missing", false);
        let one_text = ticket(&tx, "Frage");
        mail(&tx, one_text, "refund of 4711", false);
        let machine = ticket(&tx, "Frage");
        mail(&tx, machine, "ordernumber 4711", false);
        mail(&tx, machine, "out of office: refund", true);
        let neither = ticket(&tx, "Frage");
        mail(&tx, neither, "refund of 4712", false);
        tx.commit().unwrap();
        assert_eq!(found(&store, "refund 4711"), vec![one_text, subject]);
        assert_eq!(found(&store, "4711 REFUND"), vec![one_text, subject], "in any order, any case");
        assert!(found(&store, "ordernumber refund").is_empty(), "machine mail is not searched");
        assert_eq!(found(&store, "ordernumber 4711"), vec![machine]);
        assert_eq!(found(&store, "refund 47%"), Vec::<i64>::new(), "a wildcard is a character");
    }

    #[test]
    fn a_word_holding_a_like_wildcard_matches_only_itself() {
        let mut store = Store::open_in_memory().unwrap();
        let tx = store.begin().unwrap();
        let (percent, digits, underscore) = (ticket(&tx, "a"), ticket(&tx, "b"), ticket(&tx, "c"));
        mail(&tx, percent, "refund 100% please", false);
        mail(&tx, digits, "refund 1000 please", false);
        mail(&tx, underscore, "user_id 42", false);
        tx.commit().unwrap();
        assert_eq!(found(&store, "100%"), vec![percent]);
        assert_eq!(found(&store, "100"), vec![digits, percent], "newest first");
        assert_eq!(found(&store, "user_id"), vec![underscore]);
        assert!(found(&store, "userxid").is_empty());
        assert!(found(&store, "1000 100%").is_empty(), "as the second word too");
        assert_eq!(found(&store, "refund 100%"), vec![percent]);
        let page = TicketFilter { search: Some("%".into()), limit: Some(1), ..TicketFilter::default() };
        assert_eq!(found_with(&store, page), vec![percent], "the index read whole, newest first");
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
