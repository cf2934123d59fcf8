//! The daemon loop, the only place that joins the stages: open the source, fetch a batch,
//! run each of its mails through the pipeline in one transaction, each in its own savepoint
//! (a panic or bad mail quarantines that mail alone), commit once, settle the batch at the
//! source with one command per destination, then flush the outbox. `run --once` is one pass.
//! Between passes it waits in IMAP IDLE (or sleeps) for at most the poll interval; after a
//! failure it retries with exponential backoff and jitter, logging once per outage.

use std::panic::AssertUnwindSafe;
use std::sync::Mutex;

use jiff::Timestamp;

use crate::compose::Templates;
use crate::config::{MailboxSettings, Settings, SmtpSettings};
use crate::pipeline::{self, Context, Outcome, RawMail};
use crate::rules::RuleSet;
use crate::shutdown::Control;
use crate::send::{self, Transport, failpoint};
use crate::source::{
    Fetched, Handle, Settle, Source, SourceError, imap::ImapSource, maildir::MaildirSource,
};
use crate::store::{Store, StoreError, Tx};
use crate::systemd;

/// Why a pass or start-up failed, in the terms cron and systemd understand.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Bad configuration, rules or templates: exit 78 (EX_CONFIG).
    #[error("{0}")]
    Config(String),
    /// Server down, database locked: exit 75 (EX_TEMPFAIL); try again later.
    #[error("{0}")]
    Temporary(String),
    /// A file that must exist does not (a mistyped database path): exit 66 (EX_NOINPUT).
    #[error("{0}")]
    NoInput(String),
    /// Input deskmail cannot use as it is (a database of a newer deskmail): exit 65
    /// (EX_DATAERR).
    #[error("{0}")]
    Data(String),
    /// An output that cannot be made without harming what is there (a non-empty directory
    /// `demo` did not make): exit 73 (EX_CANTCREAT).
    #[error("{0}")]
    CannotCreate(String),
    /// The command line cannot be carried out as given: exit 64 (EX_USAGE).
    #[error("{0}")]
    Usage(String),
    /// The reader of our output went away (`deskmail tickets | head`): exit 0, silently.
    #[error("output closed")]
    Closed,
}

impl Failure {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Config(_) => 78,
            Failure::Temporary(_) => 75,
            Failure::NoInput(_) => 66,
            Failure::Data(_) => 65,
            Failure::CannotCreate(_) => 73,
            Failure::Usage(_) => 64,
            Failure::Closed => 0,
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        match e {
            StoreError::Missing { .. } => Failure::NoInput(format!("database: {e}")),
            StoreError::Newer { .. } => Failure::Data(format!("database: {e}")),
            _ => Failure::Temporary(format!("database: {e}")),
        }
    }
}

impl From<SourceError> for Failure {
    fn from(e: SourceError) -> Failure {
        Failure::Temporary(format!("mailbox: {e}"))
    }
}

/// Rules and templates, loaded and checked together.
pub struct Loaded {
    pub rules: RuleSet,
    pub templates: Templates,
}

/// Loads templates then rules (rules name templates); every problem is reported at once.
pub fn load(settings: &Settings) -> Result<Loaded, Failure> {
    let templates = Templates::load(&settings.templates_dir).map_err(|errors| {
        Failure::Config(errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
    })?;
    let rules = RuleSet::load(&settings.rules_dir, &|name| templates.exists(name)).map_err(|problems| {
        Failure::Config(problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
    })?;
    Ok(Loaded { rules, templates })
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
pub fn transport(settings: &Settings) -> Result<Transport, Failure> {
    match &settings.smtp {
        SmtpSettings::Smtp(server) => send::smtp::SmtpTransport::new(server)
            .map(Transport::Smtp)
            .map_err(|e| Failure::Config(format!("smtp: {e}"))),
        SmtpSettings::Maildir(path) => send::maildir::MaildirOutbox::new(path.clone())
            .map(Transport::Maildir)
            .map_err(|e| Failure::Config(format!("smtp: cannot create {}: {e}", path.display()))),
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

/// Everything a pass needs.
pub struct Daemon<'a> {
    pub settings: &'a Settings,
    pub loaded: &'a Loaded,
    pub store: &'a Mutex<Store>,
    pub transport: &'a Transport,
    /// Stop asked for (SIGTERM/SIGINT): finish the mail in hand, commit and settle what is
    /// done, stop.
    pub control: &'a Control,
}

impl Daemon<'_> {
    /// One pass: drain the inbox, then flush the outbox. `report` sees every outcome.
    pub async fn pass(
        &self,
        source: &mut Source,
        report: &mut (dyn FnMut(&Fetched, &Outcome) + Send),
    ) -> Result<PassSummary, Failure> {
        let mut summary = PassSummary::default();
        crate::housekeeping::close_idle(&mut self.lock(), self.settings, Timestamp::now())?;
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
        self.lock().set_state("last_poll_ok", &Timestamp::now().as_second().to_string())?;
        let watched = crate::notices::sla_watch(
            &mut self.lock(),
            self.settings,
            &self.loaded.templates,
            Timestamp::now(),
        )?;
        summary.sla_notices = watched.warnings + watched.breaches;
        self.requeue_unconfirmed()?;
        let flushed = self.flush().await?;
        summary.sent = flushed.sent;
        summary.send_failures = flushed.retried + flushed.failed;
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
    ) -> Result<PassSummary, Failure> {
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
    async fn mirror(&self, source: &mut Source) -> Result<(), Failure> {
        let Some(queue) = self.settings.queue_folders() else { return Ok(()) };
        let behind = self.lock().unmirrored(200)?;
        for ticket in behind {
            let target = queue.of(ticket.status).to_string();
            let moved = source.file_in_queue(&ticket.message_ids, &target).await?;
            self.lock().set_mirrored(ticket.ticket, ticket.status)?;
            tracing::debug!(ticket = ticket.ticket, folder = %target, moved, "queue folder in step");
        }
        Ok(())
    }

    /// Sends what the outbox holds.
    async fn flush(&self) -> Result<send::Flushed, Failure> {
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
        crate::metrics::COUNTERS.sent(flushed.automatic);
        Ok(flushed)
    }

    /// Staff who answer from their own mail client leave the reply in the Sent folder: a
    /// reply that threads onto a ticket is its first response (the SLA is met).
    async fn scan_sent(&self, source: &mut Source) -> Result<usize, Failure> {
        let Some(folder) = source.sent_folder() else { return Ok(0) };
        let (known_validity, after) = self.lock().checkpoint(&folder)?.unwrap_or((0, 0));
        let Some((validity, headers)) = source.sent_headers_after(after).await? else { return Ok(0) };
        let after_reset = if validity == known_validity { after } else { 0 };
        let headers: Vec<_> = headers.into_iter().filter(|(uid, _)| *uid > after_reset).collect();
        let mut answered = 0;
        for (uid, header) in &headers {
            if let Some(ticket) = self.staff_reply_ticket(header)?
                && self.lock().record_human_response(ticket, Timestamp::now().as_second(), "staff")?
            {
                tracing::info!(ticket, "staff reply found in the Sent folder: first response recorded");
                answered += 1;
            }
            self.lock().set_checkpoint(&folder, validity, *uid)?;
        }
        if headers.is_empty() && validity != known_validity {
            self.lock().set_checkpoint(&folder, validity, 0)?;
        }
        Ok(answered)
    }

    /// The ticket a mail in the Sent folder answers, if it is a person's reply from us.
    fn staff_reply_ticket(&self, header: &[u8]) -> Result<Option<i64>, Failure> {
        let Ok(mail) = crate::parse::parse(header) else { return Ok(None) };
        let store = self.lock();
        let ours = self.settings.own_addresses.iter().any(|a| a.eq_ignore_ascii_case(&mail.from_address));
        if !ours || mail.message_id.as_deref().map(|id| store.is_our_message(id)).transpose()? == Some(true) {
            return Ok(None);
        }
        for id in mail.in_reply_to.iter().chain(&mail.references) {
            if let Some(ticket) = store.ticket_of_message_id(id)? {
                return Ok(Some(ticket));
            }
        }
        // A tag alone is trusted only when the reply goes to that ticket's customer: a Sent
        // folder older than the database must not answer unrelated tickets with the same number.
        let to = mail.header("to").unwrap_or_default().to_lowercase();
        for ticket in crate::thread::subject_tags(&mail.subject) {
            if store.ticket(ticket)?.is_some_and(|t| to.contains(&t.customer)) {
                return Ok(Some(ticket));
            }
        }
        Ok(None)
    }

    /// A new UIDVALIDITY means the mailbox was recreated: every UID is new. Nothing is
    /// created twice (content keys), so it is logged and the checkpoint restarts.
    fn check_uidvalidity(&self, source: &Source) -> Result<(), Failure> {
        let Some((mailbox, uidvalidity)) = source.uidvalidity() else { return Ok(()) };
        let store = self.lock();
        match store.checkpoint(&mailbox)? {
            Some((known, _)) if known != uidvalidity => {
                tracing::warn!(%mailbox, old = known, new = uidvalidity, "UIDVALIDITY changed: resynchronising by content");
                store.set_checkpoint(&mailbox, uidvalidity, 0)?;
            }
            None => store.set_checkpoint(&mailbox, uidvalidity, 0)?,
            Some(_) => {}
        }
        Ok(())
    }

    /// Mail left `sending` by a crash and not confirmed by its self-copy is sent again.
    fn requeue_unconfirmed(&self) -> Result<(), Failure> {
        let grace =
            if self.settings.self_copy.is_some() { self.settings.confirm_within.as_secs() } else { 0 };
        let requeued = self.lock().requeue_unconfirmed(Timestamp::now().as_second() - grace)?;
        if requeued > 0 {
            tracing::warn!(requeued, "mail interrupted while sending and never confirmed is queued again");
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drains the inbox a fetched batch at a time: the batch's mails are processed in one
    /// transaction, committed once; only then is the batch settled at the source and the
    /// checkpoint moved to its highest UID. A crash before the commit re-reads the whole batch
    /// (nothing of it was recorded); one after it re-reads mails that are now duplicates by
    /// content, which are only settled again.
    async fn drain(
        &self,
        source: &mut Source,
        report: &mut (dyn FnMut(&Fetched, &Outcome) + Send),
        summary: &mut PassSummary,
    ) -> Result<(), Failure> {
        let mut seen = std::collections::HashSet::new();
        while !self.control.is_stopped() {
            let batch = source.fetch().await?;
            let fresh: Vec<Fetched> =
                batch.into_iter().filter(|f| seen.insert(f.mail.origin.clone())).collect();
            if fresh.is_empty() {
                return Ok(());
            }
            let outcomes = self.process_batch(&fresh)?;
            failpoint("after-batch-commit");
            // Stopped part-way, `outcomes` is shorter: the rest of the batch stays at the source.
            let done = &fresh[..outcomes.len()];
            for (fetched, (outcome, _)) in done.iter().zip(&outcomes) {
                log_outcome(fetched, outcome);
                crate::metrics::COUNTERS.observe(outcome);
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
    fn checkpoint(&self, source: &Source, settled: &[Fetched]) -> Result<(), Failure> {
        let Some((mailbox, uidvalidity)) = source.uidvalidity() else { return Ok(()) };
        let highest = settled
            .iter()
            .filter_map(|f| match f.handle {
                Handle::Imap { uid } => Some(uid),
                Handle::Maildir { .. } => None,
            })
            .max();
        if let Some(uid) = highest {
            self.lock().set_checkpoint(&mailbox, uidvalidity, uid)?;
        }
        Ok(())
    }

    /// Runs the mails of a batch through the pipeline in one transaction and commits it once.
    /// When a stop is asked for it finishes the mail in hand and commits what is done. Returns the
    /// outcomes of the mails processed, in order, each with where it is to be settled; a
    /// storage error rolls back the whole batch.
    fn process_batch(&self, batch: &[Fetched]) -> Result<Vec<(Outcome, Settle)>, Failure> {
        let mut store = self.lock();
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
    }

    fn context(&self) -> Context<'_> {
        Context {
            settings: self.settings,
            rules: &self.loaded.rules,
            templates: &self.loaded.templates,
            now: Timestamp::now(),
        }
    }
}

/// Runs the pipeline on one mail of a batch inside its own savepoint. A panic undoes that
/// mail's writes (and nothing else of the batch) and quarantines it instead of the daemon.
fn process_one(tx: &Tx<'_>, ctx: &Context<'_>, mail: &RawMail) -> Result<Outcome, StoreError> {
    let savepoint = tx.savepoint()?;
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let outcome = pipeline::process_in(&savepoint, ctx, mail);
        panic_failpoint(mail);
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

/// Tests make processing panic on chosen mail: `DESKMAIL_FAILPOINT=panic-processing:TEXT`
/// panics right after the pipeline processed a mail whose raw bytes contain TEXT, with its
/// writes made and its savepoint still open.
fn panic_failpoint(mail: &RawMail) {
    let Ok(point) = std::env::var("DESKMAIL_FAILPOINT") else { return };
    let Some(needle) = point.strip_prefix("panic-processing:").filter(|n| !n.is_empty()) else { return };
    if mail.bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
        panic!("failpoint panic-processing:{needle}");
    }
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

/// How long a cron pass waits at most for the self-copies of the mail it sent (and never
/// longer than `confirm_within`).
const OWN_COPY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// How often it looks for them meanwhile.
const OWN_COPY_POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// Runs passes until stopped (or once). Returns after the pass in hand when `control` asks
/// for a stop; re-reads the configuration between passes when it asks for a reload.
pub async fn run(
    settings: &Settings,
    once: bool,
    control: &Control,
    report: &mut (dyn FnMut(&Fetched, &Outcome) + Send),
) -> Result<(), Failure> {
    let mut current = settings.clone();
    let mut loaded = load(&current)?;
    warn_if_unauthenticated(&current, once);
    let _lock = lock::acquire(&settings.database)?;
    let store = Store::open(&settings.database).map_err(|e| match e {
        StoreError::Newer { .. } => Failure::Data(format!("{}: {e}", settings.database.display())),
        e => Failure::Temporary(format!("{}: {e}", settings.database.display())),
    })?;
    crate::reload::record_in_use(&store, &current, &loaded, Timestamp::now().as_second())?;
    let store = Mutex::new(store);
    let transport = transport(settings)?;
    let mut source = source(settings);
    start_metrics(settings).await?;
    systemd::ready(&mailbox_name(settings));
    let mut failures = 0u32;
    loop {
        if control.take_reload() {
            let store = store.lock().unwrap_or_else(|p| p.into_inner());
            (current, loaded) =
                crate::reload::reload(&store, &current, loaded, Timestamp::now().as_second())?;
        }
        let daemon =
            Daemon { settings: &current, loaded: &loaded, store: &store, transport: &transport, control };
        let pass = match daemon.pass(&mut source, report).await {
            Ok(summary) if once && summary.sent > 0 && settings.self_copy.is_some() => {
                daemon.collect_own_copies(&mut source, report, summary.sent).await.map(|more| PassSummary {
                    send_failures: summary.send_failures + more.send_failures,
                    own_copies: more.own_copies,
                    ..summary
                })
            }
            other => other,
        };
        match pass {
            Ok(summary) => {
                if failures > 0 {
                    tracing::info!(failed_attempts = failures, "mailbox reachable again");
                }
                failures = 0;
                systemd::alive(&status_line(&summary));
                tracing::debug!(?summary, "pass done");
                if once && summary.send_failures > 0 {
                    // cron and systemd must see that customers are still waiting.
                    return Err(Failure::Temporary(format!(
                        "{} mail(s) left unsent after a failure (see the log above); the next pass retries them",
                        summary.send_failures
                    )));
                }
            }
            Err(e) if once => return Err(e),
            Err(e) => {
                if failures == 0 {
                    tracing::error!(error = %e, "pass failed; retrying with backoff until it works");
                }
                failures += 1;
                systemd::alive(&format!("retrying: {e}"));
            }
        }
        if once || control.is_stopped() {
            systemd::stopping();
            return Ok(());
        }
        if failures > 0 {
            control.sleep(retry_delay(failures, settings.poll_interval)).await;
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
            tracing::debug!(error = %e, "waiting for news failed; polling instead");
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
async fn start_metrics(settings: &Settings) -> Result<(), Failure> {
    let Some(addr) = settings.metrics_listen else { return Ok(()) };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::Temporary(format!("metrics: cannot listen on {addr}: {e}")))?;
    let stale_after = settings.poll_interval.max(std::time::Duration::from_secs(30)) * 3;
    tokio::spawn(crate::metrics::serve(listener, settings.database.clone(), stale_after));
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

/// The lock that keeps two instances off one database.
pub mod lock {
    use std::fs::File;
    use std::io::Write;
    use std::path::{Path, PathBuf};

    use super::Failure;

    /// The lock file of a database: `DB.lock`, holding the pid of the instance that has it.
    pub fn path(database: &Path) -> PathBuf {
        let mut name = database.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Takes the lock or says which process has it; released when the file is dropped.
    pub fn acquire(database: &Path) -> Result<File, Failure> {
        let path = path(database);
        let mut file =
            File::options().create(true).truncate(false).read(true).write(true).open(&path).map_err(|e| {
                Failure::Temporary(format!("cannot open the lock file {}: {e}", path.display()))
            })?;
        if file.try_lock().is_err() {
            let pid = std::fs::read_to_string(&path).unwrap_or_default();
            return Err(Failure::Temporary(format!(
                "another deskmail (pid {}) is working {}",
                pid.trim(),
                database.display()
            )));
        }
        file.set_len(0)
            .and_then(|_| write!(file, "{}", std::process::id()))
            .map_err(|e| Failure::Temporary(format!("cannot write the lock file {}: {e}", path.display())))?;
        Ok(file)
    }

    /// The pid of the running instance, if any.
    pub fn holder(database: &Path) -> Option<u32> {
        let path = path(database);
        let file = File::open(&path).ok()?;
        if file.try_lock_shared().is_ok() {
            return None;
        }
        std::fs::read_to_string(path).ok()?.trim().parse().ok()
    }
}

/// Exponential backoff with jitter: 1 s, 2 s, 4 s … capped at the poll interval (or 5 min).
fn retry_delay(failures: u32, poll: std::time::Duration) -> std::time::Duration {
    use rand::Rng;
    let cap = poll.max(std::time::Duration::from_secs(1)).min(std::time::Duration::from_secs(300));
    let base = std::time::Duration::from_secs(1u64 << failures.min(9)).min(cap);
    let jitter = rand::rng().random_range(0.5..1.0);
    base.mul_f64(jitter)
}
