//! Validated settings, what the rest of deskmail reads: paths resolved against the
//! configuration file's directory, durations parsed, secrets read, servers with their TLS
//! mode settled.

use std::path::PathBuf;

use jiff::SignedDuration;

use super::Secret;

/// How to reach a server.
#[derive(Debug, Clone)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    /// The password, read from a file or the environment; never logged.
    pub password: Option<Secret>,
    /// A CA certificate to trust instead of the public roots (tests, private CAs).
    pub ca_file: Option<PathBuf>,
    /// The name the server certificate must carry (default: `host`), for connecting by
    /// address while verifying by name.
    pub tls_name: String,
}

/// Transport security of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// TLS from the first byte (IMAPS 993, SMTPS 465).
    Implicit,
    /// Plain connection upgraded with STARTTLS.
    StartTls,
    /// No TLS: allowed only for loopback hosts.
    None,
}

/// Where mail comes from.
#[derive(Debug, Clone)]
pub enum MailboxSettings {
    Imap { server: Server, folders: Folders },
    Maildir { path: PathBuf, folders: Folders },
}

/// Folder names in the support mailbox.
#[derive(Debug, Clone)]
pub struct Folders {
    pub inbox: String,
    pub processed: String,
    pub quarantine: String,
    pub sent: String,
    /// Where spam goes (by a trusted filter's verdict), without a ticket.
    pub spam: String,
    /// Processed mail is flagged in the inbox (`\Seen $DeskmailDone`) instead of moved.
    pub flag_in_place: bool,
    /// The folders that mirror ticket states, when enabled.
    pub queue: Option<QueueFolders>,
}

/// IMAP folders that show the work queue in a mail client: each ticket's customer mail sits
/// in the folder of the ticket's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueFolders {
    pub needs_person: String,
    pub waiting: String,
    pub closed: String,
}

impl Settings {
    /// The queue folders, when the mailbox is IMAP and they are enabled.
    pub fn queue_folders(&self) -> Option<&QueueFolders> {
        match &self.mailbox {
            MailboxSettings::Imap { folders, .. } => folders.queue.as_ref(),
            MailboxSettings::Maildir { .. } => None,
        }
    }
}

impl QueueFolders {
    /// The folder of a state.
    pub fn of(&self, status: crate::store::TicketStatus) -> &str {
        match status {
            crate::store::TicketStatus::NeedsPerson => &self.needs_person,
            crate::store::TicketStatus::Waiting => &self.waiting,
            crate::store::TicketStatus::Closed => &self.closed,
        }
    }

    pub fn all(&self) -> [&str; 3] {
        [&self.needs_person, &self.waiting, &self.closed]
    }
}

/// Where outgoing mail goes.
#[derive(Debug, Clone)]
pub enum SmtpSettings {
    Smtp(Server),
    /// Writes outgoing mail into a local Maildir (demo, dry runs).
    Maildir(PathBuf),
}

/// Validated settings, with paths resolved against the configuration file's directory.
#[derive(Debug, Clone)]
pub struct Settings {
    pub mailbox: MailboxSettings,
    pub smtp: SmtpSettings,
    pub support_address: String,
    pub support_name: String,
    /// Domain of our Message-IDs.
    pub domain: String,
    pub staff: Vec<String>,
    /// The support address and every other address of ours (never answered).
    pub own_addresses: Vec<String>,
    pub max_auto_per_day: u32,
    /// How long automatic mail to an address that bounced is suppressed.
    pub bounce_suppression: SignedDuration,
    pub first_response: SignedDuration,
    pub time_zone: jiff::tz::TimeZone,
    /// What counts towards the SLA: calendar time, or business hours.
    pub sla_clock: crate::sla::Clock,
    /// Fraction of the SLA time after which staff are warned.
    pub warn_at: f64,
    /// A closed ticket opens again on a customer's mail within this time.
    pub reopen_within: SignedDuration,
    /// A ticket waiting for the customer closes after this time.
    pub close_after: SignedDuration,
    /// The language of staff notices.
    pub staff_language: crate::parse::Language,
    pub database: PathBuf,
    pub rules_dir: PathBuf,
    pub templates_dir: PathBuf,
    pub poll_interval: std::time::Duration,
    pub batch_size: u32,
    pub max_message_bytes: u64,
    /// How long one IMAP operation may take.
    pub mailbox_timeout: std::time::Duration,
    /// Where the copy of every automatic mail goes (the support address), if enabled.
    pub self_copy: Option<String>,
    /// How long an unconfirmed send may stay `sending` after a crash before it is retried.
    pub confirm_within: SignedDuration,
    /// First retry delay of the outbox after a temporary failure.
    pub retry_base: SignedDuration,
    /// Where the metrics endpoint listens (loopback only), if enabled.
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// The file these settings were read from (None for text given directly): a reload
    /// reads it again.
    pub config_file: Option<PathBuf>,
    /// Whose spam and authentication verdicts are believed, and who may get automatic mail.
    pub trust: crate::verdict::TrustSettings,
    /// `[retention]`: what `deskmail purge` removes.
    pub retention: crate::store::Retention,
}
