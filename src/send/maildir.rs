//! Send stage, Maildir outbox: writes each outgoing mail as a file into `new/` of a local
//! Maildir (written to `tmp/`, then renamed, so a reader never sees half a mail).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use super::SendError;

/// A local Maildir that receives outgoing mail.
pub struct MaildirOutbox {
    root: PathBuf,
    counter: AtomicU64,
}

impl MaildirOutbox {
    /// Creates the Maildir's folders when missing.
    pub fn new(root: PathBuf) -> std::io::Result<MaildirOutbox> {
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(root.join(sub))?;
        }
        Ok(MaildirOutbox { root, counter: AtomicU64::new(0) })
    }

    pub fn send(&self, raw: &[u8]) -> Result<(), SendError> {
        let now = jiff::Timestamp::now();
        let name = format!(
            "{}.{}_{}.deskmail",
            now.as_second(),
            std::process::id(),
            self.counter.fetch_add(1, Ordering::Relaxed)
        );
        let tmp = self.root.join("tmp").join(&name);
        let fail = |e: std::io::Error| SendError::Temporary(format!("cannot write {}: {e}", tmp.display()));
        std::fs::write(&tmp, raw).map_err(fail)?;
        std::fs::rename(&tmp, self.root.join("new").join(&name)).map_err(fail)
    }
}
