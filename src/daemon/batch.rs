//! The drain: the inbox a fetched batch at a time. The batch's mails go through the pipeline
//! in one transaction, each in its own savepoint (a panic or bad mail quarantines that mail
//! alone), committed once; only then is the batch settled at the source, one command per
//! destination, and the checkpoint moved to its highest UID.

use std::panic::AssertUnwindSafe;

use super::{Error, Pass, PassSummary};
use crate::pipeline::{self, Context, Outcome, RawMail};
use crate::source::{Fetched, Handle, Settle, Source};
use crate::store::{StoreError, Tx};

impl Pass<'_> {
    /// Drains the inbox a fetched batch at a time: the batch's mails are processed in one
    /// transaction, committed once; only then is the batch settled at the source and the
    /// checkpoint moved to its highest UID. A crash before the commit re-reads the whole batch
    /// (nothing of it was recorded); one after it re-reads mails that are now duplicates by
    /// content, which are only settled again.
    pub(super) async fn drain(
        &self,
        source: &mut Source,
        report: &mut (dyn FnMut(&Fetched, &Outcome) + Send),
        summary: &mut PassSummary,
    ) -> Result<(), Error> {
        let mut seen = std::collections::HashSet::new();
        while !self.control.is_stopped() {
            let batch = source.fetch().await?;
            let fresh: Vec<Fetched> =
                batch.into_iter().filter(|f| seen.insert(f.mail.origin.clone())).collect();
            if fresh.is_empty() {
                return Ok(());
            }
            let outcomes = self.process_batch(&fresh)?;
            crate::failpoint::abort_at("after-batch-commit");
            // Stopped part-way, `outcomes` is shorter: the rest of the batch stays at the source.
            let done = &fresh[..outcomes.len()];
            for (fetched, (outcome, _)) in done.iter().zip(&outcomes) {
                log_outcome(fetched, outcome);
                self.counters.observe(outcome);
                report(fetched, outcome);
                summary.count(outcome);
            }
            let settle: Vec<(&Handle, Settle)> =
                done.iter().zip(&outcomes).map(|(f, (_, to))| (&f.handle, *to)).collect();
            source.settle(&settle).await?;
            self.checkpoint(source, done)?;
        }
        Ok(())
    }

    /// Records the highest UID of a settled batch (IMAP only).
    fn checkpoint(&self, source: &Source, settled: &[Fetched]) -> Result<(), Error> {
        let Some((mailbox, uidvalidity)) = source.uidvalidity() else { return Ok(()) };
        let highest = settled
            .iter()
            .filter_map(|f| match f.handle {
                Handle::Imap { uid } => Some(uid),
                Handle::Maildir { .. } => None,
            })
            .max();
        if let Some(uid) = highest {
            self.store(|s| s.set_checkpoint(&mailbox, uidvalidity, uid))?;
        }
        Ok(())
    }

    /// Runs the mails of a batch through the pipeline in one transaction and commits it once.
    /// When a stop is asked for it finishes the mail in hand and commits what is done. Returns the
    /// outcomes of the mails processed, in order, each with where it is to be settled; a
    /// storage error rolls back the whole batch. Off the async workers: parsing, classifying
    /// and the fsync'd commit of a batch take milliseconds to seconds.
    fn process_batch(&self, batch: &[Fetched]) -> Result<Vec<(Outcome, Settle)>, Error> {
        self.store(|store| {
            let tx = store.begin()?;
            let mut outcomes = Vec::with_capacity(batch.len());
            for fetched in batch {
                if self.control.is_stopped() {
                    break;
                }
                let outcome = process_one(&tx, &self.context(), &fetched.mail)?;
                let to = destination(&tx, &fetched.mail, &outcome)?;
                outcomes.push((outcome, to));
            }
            tx.commit()?;
            Ok(outcomes)
        })
    }

    fn context(&self) -> Context<'_> {
        Context {
            settings: self.settings,
            rules: &self.loaded.rules,
            templates: &self.loaded.templates,
            now: jiff::Timestamp::now(),
        }
    }
}

/// Runs the pipeline on one mail of a batch inside its own savepoint. A panic undoes that
/// mail's writes (and nothing else of the batch) and quarantines it instead of the daemon.
fn process_one(tx: &Tx<'_>, ctx: &Context<'_>, mail: &RawMail) -> Result<Outcome, StoreError> {
    let savepoint = tx.savepoint()?;
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let outcome = pipeline::process_in(&savepoint, ctx, mail);
        crate::failpoint::panic_on(&mail.bytes);
        outcome
    }));
    match result {
        Ok(outcome) => {
            let outcome = outcome?;
            savepoint.release()?;
            Ok(outcome)
        }
        Err(panic) => {
            let what = panic_message(&panic);
            tracing::error!(origin = %mail.origin, panic = %what, "processing panicked; quarantined");
            savepoint.rollback()?;
            let hash = pipeline::content_hash(&mail.bytes);
            pipeline::quarantine(tx, mail, &hash, &format!("panic: {what}"))
        }
    }
}

/// Where a mail goes at the source once its outcome is committed. A duplicate goes where its
/// first copy went: after a crash between a batch's commit and its settling, a quarantined
/// mail comes back as a duplicate and belongs in Quarantine, not Processed. (Our own copies
/// are not stored as messages: one read again is recognised again and goes to Sent.)
fn destination(tx: &Tx<'_>, mail: &RawMail, outcome: &Outcome) -> Result<Settle, StoreError> {
    Ok(match outcome {
        Outcome::Duplicate => {
            let hash = pipeline::content_hash(&mail.bytes);
            if tx.is_quarantined(&hash)? {
                Settle::Quarantined
            } else if tx.is_spam(&hash)? {
                Settle::Spam
            } else {
                Settle::Processed
            }
        }
        Outcome::Processed(_) => Settle::Processed,
        Outcome::Spam { .. } => Settle::Spam,
        Outcome::Quarantined { .. } => Settle::Quarantined,
        Outcome::OwnCopy { .. } => Settle::Sent,
    })
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// One log line per mail: ticket, category, action; never a body or a password.
fn log_outcome(fetched: &Fetched, outcome: &Outcome) {
    let origin = &fetched.mail.origin;
    match outcome {
        Outcome::Duplicate => tracing::info!(%origin, "already processed; settled again"),
        Outcome::Processed(r) => tracing::info!(
            %origin,
            ticket = r.ticket,
            category = r.category.as_deref().unwrap_or("-"),
            automated = r.automated.as_deref().unwrap_or("no"),
            action = %r.action,
            reply = %r.reply,
            withheld = r.withheld.as_deref().unwrap_or("no"),
            verdict = %r.verdict,
            "processed"
        ),
        Outcome::Spam { from, verdict, .. } => {
            tracing::info!(%origin, %from, %verdict, "spam: held in the spam folder, no ticket, no automatic mail")
        }
        Outcome::Quarantined { reason } => tracing::warn!(%origin, %reason, "quarantined"),
        Outcome::OwnCopy { ticket } => {
            tracing::info!(%origin, ticket, "copy of our own mail: send confirmed")
        }
    }
}
