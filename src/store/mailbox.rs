//! What the daemon keeps about its sources and itself: mailbox checkpoints and `daemon_state`.

use rusqlite::params;

use super::sql;
use super::{Result, Store};

impl Store {
    /// The last UID done and the UIDVALIDITY of a mailbox, if recorded.
    pub fn checkpoint(&self, mailbox: &str) -> Result<Option<(u32, u32)>> {
        sql::opt(
            &self.conn,
            "read a mailbox checkpoint",
            "SELECT uidvalidity, last_uid FROM mailbox_state WHERE mailbox = ?1",
            [mailbox],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// Records the UIDVALIDITY and the highest UID settled in a mailbox.
    pub fn set_checkpoint(&self, mailbox: &str, uidvalidity: u32, last_uid: u32) -> Result<()> {
        sql::exec(
            &self.conn,
            "write a mailbox checkpoint",
            "INSERT INTO mailbox_state (mailbox, uidvalidity, last_uid) VALUES (?1, ?2, ?3)
                 ON CONFLICT(mailbox) DO UPDATE SET uidvalidity = ?2,
                    last_uid = CASE WHEN uidvalidity = ?2 THEN MAX(last_uid, ?3) ELSE ?3 END",
            params![mailbox, uidvalidity, last_uid],
        )
        .map(|_| ())
    }

    /// A value the daemon keeps about itself (`last_poll_ok` …).
    pub fn state(&self, key: &str) -> Result<Option<String>> {
        sql::opt(
            &self.conn,
            "read the daemon state",
            "SELECT value FROM daemon_state WHERE key = ?1",
            [key],
            |r| r.get(0),
        )
    }

    pub fn set_state(&self, key: &str, value: &str) -> Result<()> {
        sql::exec(
            &self.conn,
            "write the daemon state",
            "INSERT INTO daemon_state (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = ?2",
            params![key, value],
        )
        .map(|_| ())
    }
}
