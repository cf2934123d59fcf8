//! Incoming mail: processed, quarantined and spam rows, and the second opinions on them.

use rusqlite::params;

use super::kinds::{MessageState, OutKind};
use super::sql;
use super::{Result, Store, StoreError, Tx};

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
    /// When retention purged its raw mail and texts.
    #[serde(serialize_with = "crate::timefmt::rfc3339_opt")]
    pub purged_at: Option<i64>,
}

impl Store {
    /// Every processed mail received at or after `since`, oldest first, with what was
    /// decided for it and the automatic mail it got (for `deskmail rules replay`). Rows are
    /// handed to `each` one at a time, so the raw mail of a long history is never held at once.
    pub fn for_each_processed_since(
        &self,
        since: i64,
        mut each: impl FnMut(StoredDecision),
    ) -> Result<usize> {
        // The automatic mail of each message is looked up by its index (outbox_message_row),
        // so memory stays flat however long the history; mail whose raw bytes retention
        // purged is left out: there is nothing to classify.
        let sql = format!(
            "SELECT m.id, m.ticket_id, m.raw, m.category, m.rule, m.action, m.automated, m.raw_codec,
                    (SELECT o.template FROM outbox o WHERE o.message_row = m.id AND o.kind IN {}
                      ORDER BY o.id LIMIT 1)
               FROM messages m
              WHERE m.state = ?2 AND m.received_at >= ?1 AND m.purged_at IS NULL
              ORDER BY m.received_at, m.id",
            OutKind::automatic_sql_list()
        );
        let mut stmt = self.conn.prepare(&sql).map_err(StoreError::wrap("read stored mail"))?;
        let mut rows = stmt
            .query(params![since, MessageState::Processed])
            .map_err(StoreError::wrap("read stored mail"))?;
        let mut count = 0;
        while let Some(row) = rows.next().map_err(StoreError::wrap("read stored mail"))? {
            let decision = StoredDecision {
                message: row.get(0).map_err(StoreError::wrap("read stored mail"))?,
                ticket: row.get(1).map_err(StoreError::wrap("read stored mail"))?,
                raw: super::raw::read(row, 2, 7).map_err(StoreError::wrap("read stored mail"))?,
                category: row.get(3).map_err(StoreError::wrap("read stored mail"))?,
                rule: row.get(4).map_err(StoreError::wrap("read stored mail"))?,
                action: row.get(5).map_err(StoreError::wrap("read stored mail"))?,
                automated: row.get(6).map_err(StoreError::wrap("read stored mail"))?,
                automatic_mail: row.get(8).map_err(StoreError::wrap("read stored mail"))?,
            };
            each(decision);
            count += 1;
        }
        Ok(count)
    }

    /// Quarantined mail, oldest first.
    pub fn quarantined(&self) -> Result<Vec<QuarantinedMail>> {
        sql::all(
            &self.conn,
            "list quarantined mail",
            "SELECT id, origin, received_at, error, coalesce(size, raw_length, length(raw)),
                        coalesce(raw_length, length(raw))
                 FROM messages WHERE state = ?1 ORDER BY id",
            [MessageState::Quarantined],
            |r| {
                Ok(QuarantinedMail {
                    id: r.get(0)?,
                    origin: r.get(1)?,
                    received_at: r.get(2)?,
                    reason: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    size: r.get(4)?,
                    kept: r.get(5)?,
                })
            },
        )
    }

    /// What is kept of a quarantined message.
    pub fn quarantined_raw(&self, id: i64) -> Result<Option<QuarantinedRaw>> {
        self.held_raw(id, MessageState::Quarantined)
    }

    /// What is kept of message `id` while it is held in `state` (quarantined, spam).
    fn held_raw(&self, id: i64, state: MessageState) -> Result<Option<QuarantinedRaw>> {
        sql::opt(
            &self.conn,
            "read a stored message",
            "SELECT raw, origin, received_at, size, raw_codec FROM messages WHERE id = ?1 AND state = ?2",
            params![id, state],
            |r| {
                Ok(QuarantinedRaw {
                    raw: super::raw::read(r, 0, 4)?,
                    origin: r.get(1)?,
                    received_at: r.get(2)?,
                    size: r.get(3)?,
                })
            },
        )
    }

    /// Mail held as spam, oldest first.
    pub fn spam(&self) -> Result<Vec<SpamMail>> {
        sql::all(
            &self.conn,
            "list spam",
            "SELECT id, origin, received_at, from_address, subject, verdict
                 FROM messages WHERE state = ?1 ORDER BY id",
            [MessageState::Spam],
            |r| {
                Ok(SpamMail {
                    id: r.get(0)?,
                    origin: r.get(1)?,
                    received_at: r.get(2)?,
                    from_address: r.get(3)?,
                    subject: r.get(4)?,
                    verdict: r.get(5)?,
                })
            },
        )
    }

    /// The raw mail of a message held as spam.
    pub fn spam_raw(&self, id: i64) -> Result<Option<QuarantinedRaw>> {
        self.held_raw(id, MessageState::Spam)
    }

    /// How many mails had automatic mail withheld, per reason (`spam`, `authentication`).
    pub fn withheld_counts(&self) -> Result<Vec<(String, i64)>> {
        sql::all(
            &self.conn,
            "count withheld automatic mail",
            "SELECT withheld, COUNT(*) FROM messages WHERE withheld IS NOT NULL
                 GROUP BY withheld ORDER BY withheld",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// The messages of a ticket, oldest first.
    pub fn ticket_messages(&self, id: i64) -> Result<Vec<MessageSummary>> {
        sql::all(
            &self.conn,
            "read a ticket's messages",
            "SELECT id, received_at, from_address, subject, category, rule, automated, language,
                        charset, new_text, error, withheld, verdict, purged_at
                 FROM messages WHERE ticket_id = ?1 ORDER BY id",
            [id],
            |r| {
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
                    purged_at: r.get(13)?,
                })
            },
        )
    }

    /// The second opinion stored with message `id` (issue 17), as one line for `show`.
    pub fn opinion(&self, id: i64) -> Result<Option<String>> {
        sql::opt(
            &self.conn,
            "read a second opinion",
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
    }

    /// Counts of messages per state (`processed`, `quarantined`); also answers `deskmail status`.
    pub fn message_counts(&self) -> Result<Vec<(String, i64)>> {
        sql::all(
            &self.conn,
            "count messages",
            // Kept by triggers (0009): counting a year of mail would read every row.
            "SELECT state, n FROM tallies WHERE tbl = 'messages' AND n > 0 ORDER BY state",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }
}

/// A content key as stored now and as an older deskmail stored it. Keys begin with `t` and the
/// day the mail was written (`pipeline::content_hash`: 1 + 8 + 64 characters); before, they
/// were the 64 characters of the hash alone. A mail stored then and delivered again now must
/// still be found, so the duplicate checks look for both.
fn key_forms(key: &str) -> [&str; 2] {
    let dated = key.len() == 73 && key.starts_with('t') && key[1..9].bytes().all(|b| b.is_ascii_digit());
    [key, if dated { &key[9..] } else { key }]
}

impl Tx<'_> {
    /// Whether a mail with this content key was already taken in, including earlier in this
    /// (uncommitted) transaction: a mail twice in one batch is a duplicate the second time.
    pub fn is_known(&self, hash: &str) -> Result<bool> {
        let [key, old] = key_forms(hash);
        sql::exists(
            &self.tx,
            "look up a message hash",
            "SELECT 1 FROM messages WHERE hash IN (?1, ?2)",
            [key, old],
        )
    }

    /// Whether the mail with this content key is held in quarantine (not processed).
    pub fn is_quarantined(&self, hash: &str) -> Result<bool> {
        let [key, old] = key_forms(hash);
        sql::exists(
            &self.tx,
            "look up a quarantined message",
            "SELECT 1 FROM messages WHERE hash IN (?1, ?2) AND state = ?3",
            params![key, old, MessageState::Quarantined],
        )
    }

    /// Stores the second opinion on message `message` (issue 17): the model's category and
    /// confidence, why a canned answer was held back, whether the category is a suggestion.
    pub fn insert_opinion(&self, message: i64, c: &crate::rules::Classification) -> Result<()> {
        sql::exec(
            &self.tx,
            "store a second opinion",
            "INSERT OR REPLACE INTO opinions
                 (message_id, model_category, model_confidence, held, suggested, tags)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                message,
                c.model.as_ref().map(|m| &*m.category),
                c.model.as_ref().map(|m| f64::from(m.confidence)),
                c.held,
                c.suggested,
                c.tags.join(",")
            ],
        )?;
        Ok(())
    }

    /// Records an incoming mail; returns its row id.
    pub fn insert_message(&self, m: &MessageRow<'_>, state: MessageState) -> Result<i64> {
        let packed = super::raw::pack(m.raw);
        sql::exec(
            &self.tx,
            "record a message",
            "INSERT INTO messages (hash, raw, origin, received_at, message_id, from_address,
                    from_name, subject, language, charset, lossy, new_text, quoted_text, automated,
                    category, rule, action, ticket_id, state, error, size, withheld, verdict,
                    raw_codec, raw_length)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                         ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)",
            params![
                m.hash,
                packed.bytes,
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
                m.verdict,
                packed.codec,
                packed.length
            ],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Deletes a quarantined message row (in the transaction that processes it again).
    pub fn delete_quarantined(&self, id: i64) -> Result<()> {
        sql::exec(
            &self.tx,
            "release a quarantined message",
            "DELETE FROM messages WHERE id = ?1 AND state = ?2",
            params![id, MessageState::Quarantined],
        )
        .map(|_| ())
    }

    /// Deletes a message held as spam (in the transaction that takes it in as not spam).
    pub fn delete_spam(&self, id: i64) -> Result<()> {
        sql::exec(
            &self.tx,
            "release a message held as spam",
            "DELETE FROM messages WHERE id = ?1 AND state = ?2",
            params![id, MessageState::Spam],
        )
        .map(|_| ())
    }

    /// Whether the mail with this content key is held as spam.
    pub fn is_spam(&self, hash: &str) -> Result<bool> {
        let [key, old] = key_forms(hash);
        sql::exists(
            &self.tx,
            "look up a message held as spam",
            "SELECT 1 FROM messages WHERE hash IN (?1, ?2) AND state = ?3",
            params![key, old, MessageState::Spam],
        )
    }
}
