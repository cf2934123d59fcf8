//! Retention: the raw mail and texts of tickets in the configured states (closed, by
//! default) whose last activity is older than `[retention] after_days` are purged, and the
//! space given back (incremental vacuum). What a ticket is stays: its row, its messages'
//! sender, subject, category, dates and content key (`hash`), so the duplicate check still
//! knows a purged mail that comes again.

use rusqlite::params_from_iter;
use rusqlite::types::Value;

use super::{Result, Store, StoreError};

/// `[retention]` of the configuration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Purge the raw mail and texts of a ticket this many days after its last activity;
    /// absent: never.
    pub after_days: Option<u32>,
    /// The ticket states whose mail is purged.
    #[serde(default = "default_states")]
    pub states: Vec<String>,
}

impl Default for Retention {
    fn default() -> Retention {
        Retention { after_days: None, states: default_states() }
    }
}

fn default_states() -> Vec<String> {
    vec!["closed".into()]
}

/// What a purge took (or, in a dry run, would take).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Purged {
    pub tickets: i64,
    pub messages: i64,
    pub outgoing: i64,
    /// Bytes of raw mail and texts as stored.
    pub bytes: i64,
}

/// The space given back after a purge.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Vacuumed {
    /// The database had no incremental vacuum yet and was rewritten once (VACUUM) to get it.
    pub switched: bool,
    pub bytes_before: i64,
    pub bytes_after: i64,
}

/// Tickets purged per transaction: the daemon waits for the write lock only this long.
const CHUNK: usize = 500;

impl Store {
    /// The tickets whose mail `policy` purges at `now`: in one of its states, inactive for
    /// `after_days`, with mail not purged since their last activity.
    fn purge_candidates(&self, policy: &Retention, now: i64) -> Result<Vec<i64>> {
        let Some(days) = policy.after_days else { return Ok(Vec::new()) };
        if policy.states.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; policy.states.len()].join(", ");
        let sql = format!(
            "SELECT id FROM tickets WHERE status IN ({marks}) AND last_activity < ?
               AND (purged_at IS NULL OR purged_at < last_activity) ORDER BY id"
        );
        let cutoff = now - i64::from(days) * 86_400;
        let values = policy.states.iter().map(|s| Value::Text(s.clone())).chain([Value::Integer(cutoff)]);
        let mut stmt = self.conn.prepare(&sql).map_err(StoreError::wrap("find mail to purge"))?;
        stmt.query_map(params_from_iter(values), |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(StoreError::wrap("find mail to purge"))
    }

    /// Purges (or with `dry_run` only counts) what `policy` says has been kept long enough.
    /// Each chunk of tickets is its own short transaction, so a running daemon is never held
    /// up for long.
    pub fn purge(&mut self, policy: &Retention, now: i64, dry_run: bool) -> Result<Purged> {
        let tickets = self.purge_candidates(policy, now)?;
        let mut total = Purged::default();
        for chunk in tickets.chunks(CHUNK) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let ids = || chunk.iter().map(|&id| Value::Integer(id));
            let counted: (i64, i64) = self
                .conn
                .query_row(
                    &format!(
                        "SELECT COUNT(*), COALESCE(SUM(length(raw) + COALESCE(length(new_text), 0)
                                + COALESCE(length(quoted_text), 0)), 0)
                           FROM messages WHERE ticket_id IN ({marks}) AND purged_at IS NULL"
                    ),
                    params_from_iter(ids()),
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(StoreError::wrap("count mail to purge"))?;
            let outgoing: (i64, i64) = self
                .conn
                .query_row(
                    &format!(
                        "SELECT COUNT(*), COALESCE(SUM(length(raw)), 0) FROM outbox
                          WHERE ticket_id IN ({marks}) AND purged_at IS NULL AND state IN ('sent', 'failed')"
                    ),
                    params_from_iter(ids()),
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(StoreError::wrap("count outgoing mail to purge"))?;
            total.tickets += chunk.len() as i64;
            total.messages += counted.0;
            total.outgoing += outgoing.0;
            total.bytes += counted.1 + outgoing.1;
            if dry_run {
                continue;
            }
            let tx = self.begin()?;
            let with_now = || std::iter::once(Value::Integer(now)).chain(ids());
            tx.tx
                .execute(
                    &format!(
                        "UPDATE messages SET raw = X'', raw_codec = NULL, new_text = NULL,
                                quoted_text = NULL, purged_at = ?
                          WHERE ticket_id IN ({marks}) AND purged_at IS NULL"
                    ),
                    params_from_iter(with_now()),
                )
                .map_err(StoreError::wrap("purge mail"))?;
            // Mail still to be sent keeps its bytes: only what went out (or never will) goes.
            tx.tx
                .execute(
                    &format!(
                        "UPDATE outbox SET raw = X'', raw_codec = NULL, purged_at = ?
                          WHERE ticket_id IN ({marks}) AND purged_at IS NULL AND state IN ('sent', 'failed')"
                    ),
                    params_from_iter(with_now()),
                )
                .map_err(StoreError::wrap("purge outgoing mail"))?;
            tx.tx
                .execute(
                    &format!("UPDATE tickets SET purged_at = ? WHERE id IN ({marks})"),
                    params_from_iter(with_now()),
                )
                .map_err(StoreError::wrap("mark tickets purged"))?;
            tx.commit()?;
        }
        if !dry_run && !tickets.is_empty() {
            self.unindex_purged(now)?;
        }
        Ok(total)
    }

    /// Takes the customers' words of the tickets purged at `now` out of the search index;
    /// their subjects stay findable, where they were: a search lists the newest match first
    /// by the index's row numbers (`store::search`), and an old ticket's subject indexed anew
    /// would come first. The index keeps no ticket column of its own to look up (`ticket_id`
    /// is UNINDEXED), so this is two passes over it per purge, not one per chunk.
    fn unindex_purged(&mut self, now: i64) -> Result<()> {
        let tx = self.begin()?;
        // A ticket's first text is its subject, indexed when it was opened.
        tx.tx
            .execute_batch(
                "CREATE TEMP TABLE IF NOT EXISTS purged_subjects (ticket_id INTEGER PRIMARY KEY, at INTEGER);
                 DELETE FROM temp.purged_subjects;",
            )
            .map_err(StoreError::wrap("keep purged tickets' subjects searchable"))?;
        tx.tx
            .execute(
                "INSERT INTO temp.purged_subjects (ticket_id, at) SELECT ticket_id, MIN(rowid)
                 FROM search WHERE ticket_id IN (SELECT id FROM tickets WHERE purged_at = ?1) GROUP BY ticket_id",
                [now],
            )
            .map_err(StoreError::wrap("keep purged tickets' subjects searchable"))?;
        tx.tx
            .execute(
                "DELETE FROM search WHERE ticket_id IN (SELECT id FROM tickets WHERE purged_at = ?1)",
                [now],
            )
            .map_err(StoreError::wrap("take purged text out of the search index"))?;
        // In row order, as FTS5 appends best (a lower row number makes it write a segment).
        tx.tx
            .execute(
                "INSERT INTO search (rowid, ticket_id, body)
                 SELECT p.at, t.id, t.subject FROM tickets t LEFT JOIN temp.purged_subjects p ON p.ticket_id = t.id
                 WHERE t.purged_at = ?1 ORDER BY p.at IS NULL, p.at",
                [now],
            )
            .map_err(StoreError::wrap("keep purged tickets' subjects searchable"))?;
        // FTS5 only marks deleted rows; merging its segments drops them, and their pages.
        tx.tx
            .execute("INSERT INTO search (search) VALUES ('optimize')", [])
            .map_err(StoreError::wrap("compact the search index"))?;
        tx.commit()
    }

    /// Gives the pages freed by a purge back to the file system. A database made before
    /// incremental vacuum existed (or by SQLite's default) is switched once with a VACUUM,
    /// which rewrites it whole and needs as much free disk as it is large.
    pub fn give_back_space(&self) -> Result<Vacuumed> {
        let before = self.file_bytes()?;
        let mode: i64 = self
            .conn
            .pragma_query_value(None, "auto_vacuum", |r| r.get(0))
            .map_err(StoreError::wrap("read auto_vacuum"))?;
        let switched = mode != INCREMENTAL;
        if switched {
            self.conn
                .pragma_update(None, "auto_vacuum", INCREMENTAL)
                .map_err(StoreError::wrap("switch to incremental vacuum"))?;
            self.conn.execute_batch("VACUUM").map_err(StoreError::wrap("vacuum the database"))?;
        } else {
            // The pragma frees a page per step: run it to the end.
            let mut stmt = self
                .conn
                .prepare("PRAGMA incremental_vacuum")
                .map_err(StoreError::wrap("vacuum the database incrementally"))?;
            let mut rows = stmt.query([]).map_err(StoreError::wrap("vacuum the database incrementally"))?;
            while rows.next().map_err(StoreError::wrap("vacuum the database incrementally"))?.is_some() {}
        }
        // In WAL mode the file shrinks when the log is written back.
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .map_err(StoreError::wrap("checkpoint the database"))?;
        Ok(Vacuumed { switched, bytes_before: before, bytes_after: self.file_bytes()? })
    }

    /// The database's size in bytes (pages times page size).
    pub fn file_bytes(&self) -> Result<i64> {
        self.conn
            .query_row(
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
                [],
                |r| r.get(0),
            )
            .map_err(StoreError::wrap("read the database size"))
    }
}

/// `PRAGMA auto_vacuum`'s value for INCREMENTAL.
pub(super) const INCREMENTAL: i64 = 2;
