//! Send stage: delivers queued mail from the outbox through a transport (SMTP or a local
//! Maildir), a round of due rows at a time, several in flight: `pending` -> `sending` (one
//! commit for the round, before any of it is sent) -> `sent`, or back to `pending` with
//! exponential backoff and jitter after a temporary failure (one commit for the sends that
//! finished together).
//!
//! Exactly once across crashes: every automatic mail is also addressed to the support mailbox
//! (the self-copy, in the same SMTP transaction as the customer's). A crash between the
//! server's acceptance and the `sent` mark leaves the row in `sending`; the copy arriving in
//! the inbox confirms it (the pipeline marks it sent), and only a row still unconfirmed after
//! `confirm_within` is sent again.

pub mod maildir;
mod pool;
pub mod smtp;

use crate::store::{QueuedMail, Store, StoreError, Tx};
use jiff::Timestamp;

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
    /// Of those, the automatic mail to customers (acknowledgements, answers, escalations),
    /// not people's replies or staff notices.
    pub automatic: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Attempts after which a mail is given up.
const MAX_ATTEMPTS: i64 = 12;

/// Due rows taken per round.
const ROUND: u32 = 64;

/// Mails in flight at once.
const CONCURRENCY: usize = 8;

/// Sends every due outbox row until a stop is asked for. Store calls (each round's commits)
/// run off the async workers (`blocking`).
pub async fn flush(
    store: &std::sync::Mutex<Store>,
    transport: &Transport,
    from: &str,
    self_copy: Option<&str>,
    retry_base: jiff::SignedDuration,
    control: &crate::shutdown::Control,
    clock: &(dyn Fn() -> Timestamp + Sync),
) -> Result<Flushed, StoreError> {
    use futures::StreamExt;
    let mut flushed = Flushed::default();
    loop {
        if control.is_stopped() {
            // Stopping: what is not sent stays safely pending for the next start.
            return Ok(flushed);
        }
        let due = crate::blocking::run(|| lock(store).due_outbox(clock().as_second(), ROUND))?;
        if due.is_empty() {
            return Ok(flushed);
        }
        crate::blocking::run(|| mark_sending(store, &due, clock().as_second()))?;
        // Several mails in flight at once: each SMTP transaction waits on round trips, not
        // on this process, and the transport's connection pool serves them in parallel. The
        // sends that finish while a commit is being made are recorded together in the next.
        let mut finished = futures::stream::iter(due)
            .map(|mail| attempt(transport, from, self_copy, mail))
            .buffer_unordered(CONCURRENCY)
            .ready_chunks(ROUND as usize);
        while let Some(chunk) = finished.next().await {
            let recorded = crate::blocking::run(|| record(store, &chunk, retry_base, clock().as_second()))?;
            for result in recorded {
                match result {
                    SendResult::Delivered { automatic } => {
                        flushed.sent += 1;
                        flushed.automatic += usize::from(automatic);
                    }
                    SendResult::Retry => flushed.retried += 1,
                    SendResult::Failed => flushed.failed += 1,
                }
            }
        }
        if flushed.retried > 0 {
            // The server is failing: the rest waits for the next pass rather than hammering it.
            return Ok(flushed);
        }
    }
}

/// What happened to one mail.
enum SendResult {
    Delivered { automatic: bool },
    Retry,
    Failed,
}

/// Marks a round of mail `sending` in one commit, before any of it goes out. A crash
/// leaves a row `sending` whether or not it was sent: its self-copy confirms it, or it is
/// sent again after `confirm_within`.
fn mark_sending(store: &std::sync::Mutex<Store>, due: &[QueuedMail], now: i64) -> Result<(), StoreError> {
    let mut store = lock(store);
    let tx = store.begin()?;
    for mail in due {
        tx.mark_sending(mail.id, now)?;
    }
    tx.commit()
}

/// One SMTP transaction (or Maildir write) for a mail already marked `sending`.
async fn attempt(
    transport: &Transport,
    from: &str,
    self_copy: Option<&str>,
    mail: QueuedMail,
) -> (QueuedMail, Result<(), SendError>) {
    let result = {
        let mut to = vec![mail.recipient.as_str()];
        to.extend(self_copy.filter(|c| !c.eq_ignore_ascii_case(&mail.recipient)));
        crate::failpoint::abort_at("before-smtp");
        transport.send(from, &to, &mail.raw).await
    };
    if result.is_ok() {
        crate::failpoint::abort_at("after-smtp-accept");
    }
    (mail, result)
}

/// Records the outcome of finished sends in one commit. A `sent` mark lost to a crash
/// before it is covered by the self-copy, as for a crash right after the server's 250.
fn record(
    store: &std::sync::Mutex<Store>,
    finished: &[(QueuedMail, Result<(), SendError>)],
    retry_base: jiff::SignedDuration,
    now: i64,
) -> Result<Vec<SendResult>, StoreError> {
    let mut store = lock(store);
    let tx = store.begin()?;
    let results = finished
        .iter()
        .map(|(mail, result)| record_one(&tx, mail, result, now, retry_base))
        .collect::<Result<Vec<_>, _>>()?;
    tx.commit()?;
    Ok(results)
}

/// Marks one mail sent, to retry, or failed, and logs it.
fn record_one(
    tx: &Tx<'_>,
    mail: &QueuedMail,
    result: &Result<(), SendError>,
    now: i64,
    retry_base: jiff::SignedDuration,
) -> Result<SendResult, StoreError> {
    match result {
        Ok(()) => {
            tx.mark_sent(mail.id, now)?;
            tracing::info!(ticket = mail.ticket_id, kind = %mail.kind, to = %mail.recipient, "sent");
            Ok(SendResult::Delivered { automatic: mail.kind.is_automatic() })
        }
        Err(SendError::Temporary(e)) if mail.attempts + 1 < MAX_ATTEMPTS => {
            let next =
                now + crate::backoff::send_retry_seconds(retry_base.as_secs().max(1), mail.attempts + 1);
            tx.mark_retry(mail.id, next, e)?;
            tracing::warn!(ticket = mail.ticket_id, error = %e, retry_in = next - now, "send failed, will retry");
            Ok(SendResult::Retry)
        }
        Err(e) => {
            tx.mark_failed(mail.id, &e.to_string())?;
            tracing::error!(ticket = mail.ticket_id, error = %e, "send failed, giving up");
            Ok(SendResult::Failed)
        }
    }
}

fn lock(store: &std::sync::Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
