//! Send stage: delivers queued mail from the outbox through a transport (SMTP or a local
//! Maildir), one row at a time: `pending` -> `sending` (committed) -> `sent`, or back to
//! `pending` with exponential backoff and jitter after a temporary failure.
//!
//! Exactly once across crashes: every automatic mail is also addressed to the support mailbox
//! (the self-copy, in the same SMTP transaction as the customer's). A crash between the
//! server's acceptance and the `sent` mark leaves the row in `sending`; the copy arriving in
//! the inbox confirms it (the pipeline marks it sent), and only a row still unconfirmed after
//! `confirm_within` is sent again.

pub mod maildir;
pub mod smtp;

use jiff::Timestamp;
use rand::Rng;

use crate::store::{Store, StoreError};

/// A delivery failure; permanent ones are not retried.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("temporary failure: {0}")]
    Temporary(String),
    #[error("permanent failure: {0}")]
    Permanent(String),
}

/// A configured transport.
pub enum Transport {
    Smtp(smtp::SmtpTransport),
    Maildir(maildir::MaildirOutbox),
}

impl Transport {
    /// Delivers `raw` from `from` to every address of `to` in one transaction.
    pub async fn send(&self, from: &str, to: &[&str], raw: &[u8]) -> Result<(), SendError> {
        match self {
            Transport::Smtp(t) => t.send(from, to, raw).await,
            Transport::Maildir(t) => t.send(raw),
        }
    }
}

/// What one flush did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Flushed {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Attempts after which a mail is given up.
const MAX_ATTEMPTS: i64 = 12;

/// Sends every due outbox row until `stop` is set. Store calls are short and synchronous.
pub async fn flush(
    store: &std::sync::Mutex<Store>,
    transport: &Transport,
    from: &str,
    self_copy: Option<&str>,
    retry_base: jiff::SignedDuration,
    stop: &std::sync::atomic::AtomicBool,
) -> Result<Flushed, StoreError> {
    use futures::StreamExt;
    let mut flushed = Flushed::default();
    loop {
        if stop.load(std::sync::atomic::Ordering::SeqCst) {
            // Stopping: what is not sent stays safely pending for the next start.
            return Ok(flushed);
        }
        let due = lock(store).due_outbox(Timestamp::now().as_second(), 64)?;
        if due.is_empty() {
            return Ok(flushed);
        }
        // Several mails in flight at once: each SMTP transaction waits on round trips, not
        // on this process, and the transport's connection pool serves them in parallel.
        let results: Vec<Result<SendResult, StoreError>> = futures::stream::iter(due)
            .map(|mail| send_one(store, transport, from, self_copy, retry_base, mail))
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        for result in results {
            match result? {
                SendResult::Delivered => flushed.sent += 1,
                SendResult::Retry => flushed.retried += 1,
                SendResult::Failed => flushed.failed += 1,
            }
        }
        if flushed.retried > 0 {
            // The server is failing: the rest waits for the next pass rather than hammering it.
            return Ok(flushed);
        }
    }
}

/// Mails in flight at once.
const CONCURRENCY: usize = 8;

/// What happened to one mail.
enum SendResult {
    Delivered,
    Retry,
    Failed,
}

/// Sends one queued mail: `sending` is committed before the SMTP transaction, `sent` after.
async fn send_one(
    store: &std::sync::Mutex<Store>,
    transport: &Transport,
    from: &str,
    self_copy: Option<&str>,
    retry_base: jiff::SignedDuration,
    mail: crate::store::QueuedMail,
) -> Result<SendResult, StoreError> {
    lock(store).mark_sending(mail.id, Timestamp::now().as_second())?;
    let mut to = vec![mail.recipient.as_str()];
    to.extend(self_copy.filter(|c| !c.eq_ignore_ascii_case(&mail.recipient)));
    failpoint("before-smtp");
    let result = transport.send(from, &to, &mail.raw).await;
    if result.is_ok() {
        failpoint("after-smtp-accept");
    }
    let now = Timestamp::now().as_second();
    match result {
        Ok(()) => {
            lock(store).mark_sent(mail.id, now)?;
            tracing::info!(ticket = mail.ticket_id, kind = %mail.kind, to = %mail.recipient, "sent");
            Ok(SendResult::Delivered)
        }
        Err(SendError::Temporary(e)) if mail.attempts + 1 < MAX_ATTEMPTS => {
            let next = now + backoff_seconds(retry_base.as_secs().max(1), mail.attempts + 1);
            lock(store).mark_retry(mail.id, next, &e)?;
            tracing::warn!(ticket = mail.ticket_id, error = %e, retry_in = next - now, "send failed, will retry");
            Ok(SendResult::Retry)
        }
        Err(e) => {
            lock(store).mark_failed(mail.id, &e.to_string())?;
            tracing::error!(ticket = mail.ticket_id, error = %e, "send failed, giving up");
            Ok(SendResult::Failed)
        }
    }
}

/// Crash tests stop the process at a named point (`DESKMAIL_FAILPOINT=after-smtp-accept`)
/// the way `kill -9` would: no cleanup, no flush.
fn failpoint(name: &str) {
    if std::env::var("DESKMAIL_FAILPOINT").is_ok_and(|v| v == name) {
        eprintln!("deskmail: failpoint {name}: aborting");
        std::process::abort();
    }
}

fn lock(store: &std::sync::Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Exponential backoff with jitter: `first` (30 s by default), then twice as long each
/// attempt, capped at one hour; the jitter keeps many failed mails from retrying at once.
pub fn backoff_seconds(first: i64, attempt: i64) -> i64 {
    let base = first.saturating_mul(1 << (attempt - 1).clamp(0, 12)).min(3600);
    let jitter = rand::rng().random_range(0..=base / 4);
    base / 2 + jitter + base / 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        for attempt in 1..20 {
            let b = backoff_seconds(30, attempt);
            assert!((0..=3600).contains(&b), "{attempt}: {b}");
        }
        assert!(backoff_seconds(30, 1) < backoff_seconds(30, 6));
        assert!((15..=30).contains(&backoff_seconds(30, 1)));
    }
}
