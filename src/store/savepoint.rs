//! One mail's savepoint inside a batch transaction: its writes kept or undone alone.

use super::{Result, StoreError, Tx};

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
}
