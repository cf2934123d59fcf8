//! The daemon loop, the only place that joins the stages: open the source, drain it a batch
//! at a time (`batch`), look for staff replies in the Sent folder (`sent`), watch the SLA,
//! then flush the outbox. `run --once` is one pass. Between passes it waits in IMAP IDLE (or
//! sleeps) for at most the poll interval; after a failure it retries with backoff, logging
//! once per outage.

mod batch;
mod sent;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;

pub use crate::policy::{Loaded, Problems, load};

use crate::chain::Chain;
use crate::config::{MailboxSettings, Settings, SmtpSettings};
use crate::metrics::Counters;
use crate::pipeline::Outcome;
use crate::send::{self, Transport};
use crate::shutdown::Control;
use crate::source::{Fetched, Source, SourceError, imap::ImapSource, maildir::MaildirSource};
use crate::store::{Store, StoreError};
use crate::{backoff, lock, systemd};

/// Why start-up or a pass failed, with its cause. `cli::Error` turns it into an exit code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The rules or templates have problems.
    #[error(transparent)]
    Policy(#[from] Problems),
    #[error("{}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: StoreError,
    },
    #[error("database")]
    Store(#[from] StoreError),
    #[error("mailbox")]
    Source(#[from] SourceError),
    #[error(transparent)]
    Lock(#[from] lock::LockError),
    #[error("smtp")]
    Smtp(#[source] send::smtp::SmtpSetupError),
    #[error("smtp: cannot create {}", path.display())]
    Outbox {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("metrics: cannot listen on {addr}")]
    Metrics {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// A `--once` pass that left mail unsent: cron and systemd must see that customers are
    /// still waiting.
    #[error("{0} mail(s) left unsent after a failure (see the log above); the next pass retries them")]
    Unsent(usize),
}

/// Builds the configured source.
pub fn source(settings: &Settings) -> Source {
    match &settings.mailbox {
        MailboxSettings::Imap { server, folders } => Source::Imap(Box::new(ImapSource::new(
            server.clone(),
            folders.clone(),
            settings.batch_size,
            settings.max_message_bytes,
            settings.mailbox_timeout,
        ))),
        MailboxSettings::Maildir { path, folders } => Source::Maildir(Box::new(MaildirSource::new(
            path.clone(),
            folders.clone(),
            settings.batch_size,
            settings.max_message_bytes,
        ))),
    }
}

/// Builds the configured transport.
pub fn transport(settings: &Settings) -> Result<Transport, Error> {
    match &settings.smtp {
        SmtpSettings::Smtp(server) => {
            send::smtp::SmtpTransport::new(server).map(Transport::Smtp).map_err(Error::Smtp)
        }
        SmtpSettings::Maildir(path) => send::maildir::MaildirOutbox::new(path.clone())
            .map(Transport::Maildir)
            .map_err(|source| Error::Outbox { path: path.clone(), source }),
    }
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassSummary {
    pub processed: usize,
    pub duplicates: usize,
    pub quarantined: usize,
    /// Held as spam (moved to the spam folder, no ticket).
    pub spam: usize,
    pub sent: usize,
    pub send_failures: usize,
    pub sla_notices: usize,
    pub staff_replies: usize,
    /// Copies of our own sent mail that came back and confirmed their send.
    pub own_copies: usize,
}

impl PassSummary {
    /// Counts one mail's outcome.
    fn count(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Duplicate => self.duplicates += 1,
            Outcome::Processed(_) => self.processed += 1,
            Outcome::Quarantined { .. } => self.quarantined += 1,
            Outcome::Spam { .. } => self.spam += 1,
            Outcome::OwnCopy { .. } => self.own_copies += 1,
        }
    }
}

/// What one pass needs.
pub struct Pass<'a> {
    pub settings: &'a Settings,
    pub loaded: &'a Loaded,
    pub store: &'a Mutex<Store>,
    pub transport: &'a Transport,
    /// Stop asked for (SIGTERM/SIGINT): finish the mail in hand, commit and settle what is
    /// done, stop.
    pub control: &'a Control,
    /// What the metrics endpoint serves.
    pub counters: &'a Counters,
}

impl Pass<'_> {
    /// One pass: drain the inbox, then flush the outbox. `report` sees every outcome.
    pub async fn pass(
        &self,
        source: &mut Source,
        report: &mut (dyn FnMut(&Fetched, &Outcome) + Send),
    ) -> Result<PassSummary, Error> {
        let mut summary = PassSummary::default();
        self.store(|store| crate::housekeeping::close_idle(store, self.settings, Timestamp::now()))?;
        source.open().await?;
        self.check_uidvalidity(source)?;
        let result = self.drain(source, report, &mut summary).await;
        let staff_replies = match result {
            Ok(()) => self.scan_sent(source).await,
            Err(e) => Err(e),
        };
        let staff_replies = match staff_replies {
            Ok(n) => self.mirror(source).await.map(|()| n),
            Err(e) => Err(e),
        };
        source.close().await;
        summary.staff_replies = staff_replies?;
        let watched = self.store(|store| {
            store.set_state("last_poll_ok", &Timestamp::now().as_second().to_string())?;
            crate::notices::sla_watch(store, self.settings, &self.loaded.templates, Timestamp::now())
        })?;
        summary.sla_notices = watched.warnings + watched.breaches;
        self.requeue_unconfirmed()?;
        let flushed = self.flush().await?;
        summary.sent = flushed.sent;
        summary.send_failures = flushed.retried + flushed.failed;
        // The pass's WAL goes into the database now, not during the next pass's mail.
        self.store(|store| store.checkpoint_wal())?;
        Ok(summary)
    }

    /// After a cron pass that sent mail: waits a short, bounded time for the self-copies of
    /// that mail to come back and settles them in the same pass, so the inbox is left empty
    /// (otherwise they would wait for the next cron run). Customer mail that arrives
    /// meanwhile is processed too, and its replies are flushed once, without waiting again.
    pub async fn collect_own_copies(
        &self,
        source: &mut Source,
        report: &mut (dyn FnMut(&Fetched, &Outcome) + Send),
        sent: usize,
    ) -> Result<PassSummary, Error> {
        let confirm_within = std::time::Duration::try_from(self.settings.confirm_within).unwrap_or_default();
        let wait = confirm_within.min(OWN_COPY_WAIT);
        let deadline = tokio::time::Instant::now() + wait;
        let mut summary = PassSummary::default();
        while summary.own_copies < sent
            && tokio::time::Instant::now() < deadline
            && !self.control.is_stopped()
        {
            tokio::time::sleep(OWN_COPY_POLL).await;
            source.open().await?;
            let drained = self.drain(source, report, &mut summary).await;
            source.close().await;
            drained?;
        }
        if summary.processed > 0 {
            let flushed = self.flush().await?;
            summary.sent = flushed.sent;
            summary.send_failures = flushed.retried + flushed.failed;
        }
        if summary.own_copies < sent {
            tracing::debug!(
                back = summary.own_copies,
                sent,
                "not every self-copy came back in time; the next pass files the rest"
            );
        }
        Ok(summary)
    }

    /// Keeps the IMAP queue folders in step with ticket states: each ticket whose folder is
    /// behind has its customer's mail moved, then the database notes it (a crash in between
    /// only repeats the move's search next pass).
    async fn mirror(&self, source: &mut Source) -> Result<(), Error> {
        let Some(queue) = self.settings.queue_folders() else { return Ok(()) };
        let behind = self.store(|s| s.unmirrored(200))?;
        for ticket in behind {
            let target = queue.of(ticket.status).to_string();
            let moved = source.file_in_queue(&ticket.message_ids, &target).await?;
            self.store(|s| s.set_mirrored(ticket.ticket, ticket.status))?;
            tracing::debug!(ticket = ticket.ticket, folder = %target, moved, "queue folder in step");
        }
        Ok(())
    }

    /// Sends what the outbox holds.
    async fn flush(&self) -> Result<send::Flushed, Error> {
        let flushed = send::flush(
            self.store,
            self.transport,
            &self.settings.support_address,
            self.settings.self_copy.as_deref(),
            self.settings.retry_base,
            self.control,
            &Timestamp::now,
        )
        .await?;
        self.counters.sent(flushed.automatic);
        Ok(flushed)
    }

    /// A new UIDVALIDITY means the mailbox was recreated: every UID is new. Nothing is
    /// created twice (content keys), so it is logged and the checkpoint restarts.
    fn check_uidvalidity(&self, source: &Source) -> Result<(), Error> {
        let Some((mailbox, uidvalidity)) = source.uidvalidity() else { return Ok(()) };
        self.store(|store| {
            match store.checkpoint(&mailbox)? {
                Some((known, _)) if known != uidvalidity => {
                    tracing::warn!(%mailbox, old = known, new = uidvalidity, "UIDVALIDITY changed: resynchronising by content");
                    store.set_checkpoint(&mailbox, uidvalidity, 0)?;
                }
                None => store.set_checkpoint(&mailbox, uidvalidity, 0)?,
                Some(_) => {}
            }
            Ok(())
        })
    }

    /// Mail left `sending` by a crash and not confirmed by its self-copy is sent again.
    fn requeue_unconfirmed(&self) -> Result<(), Error> {
        let grace =
            if self.settings.self_copy.is_some() { self.settings.confirm_within.as_secs() } else { 0 };
        let requeued = self.store(|s| s.requeue_unconfirmed(Timestamp::now().as_second() - grace))?;
        if requeued > 0 {
            tracing::warn!(requeued, "mail interrupted while sending and never confirmed is queued again");
        }
        Ok(())
    }

    /// Store work, run off the async workers (`blocking`): SQLite blocks, and commits fsync.
    fn store<T>(&self, work: impl FnOnce(&mut Store) -> T) -> T {
        crate::blocking::run(|| work(&mut self.lock()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// How long a cron pass waits at most for the self-copies of the mail it sent (and never
/// longer than `confirm_within`).
const OWN_COPY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// How often it looks for them meanwhile.
const OWN_COPY_POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// Runs passes until stopped (or once). Returns after the pass in hand when `control` asks
/// for a stop; re-reads the configuration between passes when it asks for a reload. What it
/// does is counted in `counters`, which the metrics endpoint serves when configured.
pub async fn run(
    settings: &Settings,
    once: bool,
    control: &Control,
    counters: Arc<Counters>,
    report: &mut (dyn FnMut(&Fetched, &Outcome) + Send),
) -> Result<(), Error> {
    let mut current = settings.clone();
    let mut loaded = load(&current)?;
    warn_if_unauthenticated(&current, once);
    let _lock = lock::acquire(&settings.database)?;
    let store = crate::blocking::run(|| {
        let store = Store::open(&settings.database)
            .map_err(|source| Error::Open { path: settings.database.clone(), source })?;
        crate::reload::record_in_use(&store, &current, &loaded, Timestamp::now().as_second())?;
        crate::policy::learn_corrections(&mut loaded, &store)?;
        Ok::<_, Error>(store)
    })?;
    let store = Mutex::new(store);
    let transport = transport(settings)?;
    let mut source = source(settings);
    start_metrics(settings, counters.clone()).await?;
    systemd::ready(&mailbox_name(settings));
    let mut failures = 0u32;
    loop {
        if control.take_reload() {
            let store = store.lock().unwrap_or_else(|p| p.into_inner());
            (current, loaded) = crate::blocking::run(|| {
                crate::reload::reload(&store, &current, loaded, Timestamp::now().as_second())
            })?;
            crate::blocking::run(|| crate::policy::learn_corrections(&mut loaded, &store))?;
        }
        let pass = Pass {
            settings: &current,
            loaded: &loaded,
            store: &store,
            transport: &transport,
            control,
            counters: &counters,
        };
        let result = match pass.pass(&mut source, report).await {
            Ok(summary) if once && summary.sent > 0 && settings.self_copy.is_some() => {
                pass.collect_own_copies(&mut source, report, summary.sent).await.map(|more| PassSummary {
                    send_failures: summary.send_failures + more.send_failures,
                    own_copies: more.own_copies,
                    ..summary
                })
            }
            other => other,
        };
        match result {
            Ok(summary) => {
                if failures > 0 {
                    tracing::info!(failed_attempts = failures, "mailbox reachable again");
                }
                failures = 0;
                systemd::alive(&status_line(&summary));
                tracing::debug!(?summary, "pass done");
                if once && summary.send_failures > 0 {
                    // cron and systemd must see that customers are still waiting.
                    return Err(Error::Unsent(summary.send_failures));
                }
            }
            Err(e) if once => return Err(e),
            Err(e) => {
                if failures == 0 {
                    tracing::error!(error = %Chain(&e), "pass failed; retrying with backoff until it works");
                }
                failures += 1;
                systemd::alive(&format!("retrying: {}", Chain(&e)));
            }
        }
        if once || control.is_stopped() {
            systemd::stopping();
            return Ok(());
        }
        if failures > 0 {
            control.sleep(backoff::pass_retry(failures, settings.poll_interval)).await;
            continue;
        }
        // IDLE ends early when mail arrives; the poll interval (at most 25 minutes, under
        // IDLE's 29-minute limit, and within systemd's watchdog) is the safety net for
        // anything IDLE missed.
        let mut wait = settings.poll_interval.min(std::time::Duration::from_secs(25 * 60));
        if let Some(watchdog) = systemd::watchdog_interval() {
            wait = wait.min(watchdog);
        }
        if let Err(e) = source.wait_for_news(wait, control).await {
            tracing::debug!(error = %Chain(&e), "waiting for news failed; polling instead");
            failures = 1;
        }
    }
}

/// Says once at start-up that automatic mail goes to any sender, when no authentication
/// result can be believed (no trusted authserv-id; see `[trust]` in deskmail.example.toml).
/// The daemon warns; a cron pass (`--once`, quiet unless something is wrong) says it only
/// with `-v`, or every good pass would mail the operator.
fn warn_if_unauthenticated(settings: &Settings, once: bool) {
    if !settings.trust.authserv_ids.is_empty() {
        return;
    }
    let message =
        "no trusted authserv-id ([trust] authserv_ids): automatic mail goes to every sender, forged or not";
    if once {
        tracing::info!("{message}");
    } else {
        tracing::warn!("{message}");
    }
}

/// Starts the metrics endpoint when configured; a port in use is a start-up error.
async fn start_metrics(settings: &Settings, counters: Arc<Counters>) -> Result<(), Error> {
    let Some(addr) = settings.metrics_listen else { return Ok(()) };
    let listener =
        tokio::net::TcpListener::bind(addr).await.map_err(|source| Error::Metrics { addr, source })?;
    let stale_after = settings.poll_interval.max(std::time::Duration::from_secs(30)) * 3;
    tokio::spawn(crate::metrics::serve(listener, settings.database.clone(), stale_after, counters));
    tracing::info!(%addr, "metrics on http://{addr}/metrics");
    Ok(())
}

fn mailbox_name(settings: &Settings) -> String {
    match &settings.mailbox {
        MailboxSettings::Imap { server, folders } => {
            format!("{}@{}/{}", server.username.as_deref().unwrap_or(""), server.host, folders.inbox)
        }
        MailboxSettings::Maildir { path, .. } => path.display().to_string(),
    }
}

fn status_line(s: &PassSummary) -> String {
    format!(
        "last pass: {} processed, {} duplicates, {} quarantined, {} spam, {} sent, {} send failures",
        s.processed, s.duplicates, s.quarantined, s.spam, s.sent, s.send_failures
    )
}
