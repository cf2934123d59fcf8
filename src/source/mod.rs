//! Source stage: where mail comes from (IMAP or a local Maildir) and how it is settled there
//! after the database commit, a fetched batch at a time: moved to the processed or quarantine
//! folder (or the spam folder). Nothing is settled before its transaction is committed, so a crash can only cause
//! a re-read, which the content hash turns into a no-op.

pub mod imap;
pub mod maildir;

use crate::pipeline::RawMail;

/// A source failure (connection, protocol, file system), with its cause as `source()`: print
/// it with `chain::Chain` to see the whole of it.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot connect to {target}")]
    Connect {
        target: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("IMAP {doing} failed")]
    Imap {
        doing: String,
        #[source]
        source: async_imap::error::Error,
    },
    #[error("IMAP {doing} failed: not connected")]
    NotConnected { doing: &'static str },
    #[error("timed out while {0}")]
    Timeout(String),
    #[error("cannot {doing} {path}")]
    Io {
        doing: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// How to find a fetched mail again at the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handle {
    Imap { uid: u32 },
    Maildir { path: std::path::PathBuf },
}

/// A mail taken from a source, with its handle.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub mail: RawMail,
    pub handle: Handle,
}

/// Where a settled mail goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    Processed,
    Quarantined,
    /// The copy of one of our own automatic mails: filed in the Sent folder.
    Sent,
    /// Spam by a trusted filter's verdict: filed in the spam folder, with no ticket.
    Spam,
}

/// A configured source.
pub enum Source {
    Imap(Box<imap::ImapSource>),
    Maildir(Box<maildir::MaildirSource>),
}

impl Source {
    /// Connects (IMAP) or checks the folders (Maildir), creating missing folders.
    pub async fn open(&mut self) -> Result<(), SourceError> {
        match self {
            Source::Imap(s) => s.open().await,
            Source::Maildir(s) => s.open(),
        }
    }

    /// The next batch of unsettled mail, oldest first.
    pub async fn fetch(&mut self) -> Result<Vec<Fetched>, SourceError> {
        match self {
            Source::Imap(s) => s.fetch().await,
            Source::Maildir(s) => s.fetch(),
        }
    }

    /// Moves a batch of mail out of the inbox after its transaction committed; each mail
    /// goes where its outcome says. (A handle of the other kind of source is ignored.)
    pub async fn settle(&mut self, mails: &[(&Handle, Settle)]) -> Result<(), SourceError> {
        match self {
            Source::Imap(s) => {
                let uids: Vec<(u32, Settle)> = mails
                    .iter()
                    .filter_map(|(handle, how)| match handle {
                        Handle::Imap { uid } => Some((*uid, *how)),
                        Handle::Maildir { .. } => None,
                    })
                    .collect();
                s.settle(&uids).await
            }
            Source::Maildir(s) => {
                let paths: Vec<(&std::path::Path, Settle)> = mails
                    .iter()
                    .filter_map(|(handle, how)| match handle {
                        Handle::Maildir { path } => Some((path.as_path(), *how)),
                        Handle::Imap { .. } => None,
                    })
                    .collect();
                s.settle(&paths)
            }
        }
    }

    /// Waits for news (IMAP IDLE) or `timeout`, whichever comes first, or until a stop or
    /// reload is asked for.
    pub async fn wait_for_news(
        &mut self,
        timeout: std::time::Duration,
        control: &crate::shutdown::Control,
    ) -> Result<(), SourceError> {
        match self {
            Source::Imap(s) => s.wait_for_news(timeout, control).await,
            Source::Maildir(_) => {
                control.sleep(timeout).await;
                Ok(())
            }
        }
    }

    /// Headers of new mail in the Sent folder (IMAP only; a Maildir has none to scan).
    pub async fn sent_headers_after(
        &mut self,
        after: u32,
    ) -> Result<Option<(u32, Vec<(u32, Vec<u8>)>)>, SourceError> {
        match self {
            Source::Imap(s) => s.sent_headers_after(after).await.map(Some),
            Source::Maildir(_) => Ok(None),
        }
    }

    /// The queue mirror: files the mail with these Message-IDs in `target` (IMAP with queue
    /// folders only; elsewhere nothing to do).
    pub async fn file_in_queue(
        &mut self,
        message_ids: &[String],
        target: &str,
    ) -> Result<usize, SourceError> {
        match self {
            Source::Imap(s) => s.file_in_queue(message_ids, target).await,
            Source::Maildir(_) => Ok(0),
        }
    }

    /// The name of the Sent folder.
    pub fn sent_folder(&self) -> Option<String> {
        match self {
            Source::Imap(s) => Some(s.sent_folder().to_string()),
            Source::Maildir(_) => None,
        }
    }

    /// The mailbox and UIDVALIDITY to checkpoint (IMAP only).
    pub fn uidvalidity(&self) -> Option<(String, u32)> {
        match self {
            Source::Imap(s) => Some((s.inbox().to_string(), s.uidvalidity())),
            Source::Maildir(_) => None,
        }
    }

    /// Ends the session politely.
    pub async fn close(&mut self) {
        if let Source::Imap(s) = self {
            s.close().await;
        }
    }
}
