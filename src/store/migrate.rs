//! The schema: numbered migrations applied in IMMEDIATE transactions, WAL, and the backup
//! taken before a migration.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::{Result, Store, StoreError};

pub(super) const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_init.sql"),
    include_str!("../../migrations/0002_ingest.sql"),
    include_str!("../../migrations/0003_bounces.sql"),
    include_str!("../../migrations/0004_sla.sql"),
    include_str!("../../migrations/0005_size.sql"),
    include_str!("../../migrations/0006_verdict.sql"),
    include_str!("../../migrations/0007_opinion.sql"),
    include_str!("../../migrations/0008_lifecycle.sql"),
    include_str!("../../migrations/0009_year.sql"),
    include_str!("../../migrations/0010_search.sql"),
    include_str!("../../migrations/0011_recent.sql"),
];

/// How long a statement waits for another process's lock before it fails.
pub(super) const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Switches the database to WAL. SQLite answers `SQLITE_BUSY` at once, without waiting out
/// the busy timeout, when two connections change the journal mode of a new database
/// together (the one holding a shared lock would deadlock the other): so the switch is
/// retried here, within the same timeout.
pub(super) fn enable_wal(conn: &Connection) -> Result<()> {
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
pub(super) fn schema_version(conn: &Connection) -> Result<usize> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(StoreError::wrap("read the schema version"))
}

/// Before migrating a database that holds data, keeps an online backup of it beside it,
/// `DB.before-vN.bak` (N the new schema version), unless that backup exists already.
pub(super) fn backup_before_migrating(conn: &Connection, path: &Path) -> Result<()> {
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
    /// Applies pending migrations. Each step reads the schema version inside an IMMEDIATE
    /// transaction, so two processes opening a new database at once (the daemon and
    /// `deskmail status`, say) never apply the same step twice.
    pub(super) fn migrate(&mut self) -> Result<()> {
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
    pub(super) fn schema_version(&self) -> usize {
        self.conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap_or(0)
    }
}
