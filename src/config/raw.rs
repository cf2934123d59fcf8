//! The configuration file as written: serde structs and their defaults, no logic. Every key
//! is documented in `deskmail.example.toml` (a test checks it). Values that validation may
//! refuse are `Spanned`, so that the refusal names their line and column; the closed sets
//! (`kind`, `tls`, `settle`) are enums, which toml itself refuses with a line and column.

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub mailbox: Spanned<RawMailbox>,
    pub smtp: Spanned<RawSmtp>,
    pub support: RawSupport,
    #[serde(default)]
    pub sla: RawSla,
    pub storage: RawStorage,
    #[serde(default)]
    pub rules: RawDir,
    #[serde(default)]
    pub templates: RawDir,
    #[serde(default)]
    pub metrics: RawMetrics,
    #[serde(default)]
    pub trust: RawTrust,
    #[serde(default)]
    pub tickets: RawTickets,
    /// Checked where it is used: `crate::store::Retention`.
    #[serde(default)]
    pub retention: crate::store::Retention,
}

/// `[tickets]`: the work queue's lifecycle.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTickets {
    /// A customer's mail on a ticket closed at most this long ago opens it again; later, it
    /// opens a new ticket.
    #[serde(default = "default_reopen_within")]
    pub reopen_within: Spanned<String>,
    /// A ticket waiting for the customer this long closes by itself.
    #[serde(default = "default_close_after")]
    pub close_after: Spanned<String>,
    /// The language of notices to staff: en, zh-Hans or zh-Hant.
    #[serde(default = "default_staff_language")]
    pub staff_language: Spanned<String>,
}

impl Default for RawTickets {
    fn default() -> Self {
        RawTickets {
            reopen_within: default_reopen_within(),
            close_after: default_close_after(),
            staff_language: default_staff_language(),
        }
    }
}

/// `[trust]`: whose verdicts are believed, and who may get automatic mail.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawTrust {
    /// Host names our servers write after `by` in Received fields.
    #[serde(default)]
    pub servers: Vec<String>,
    /// authserv-ids whose Authentication-Results are read.
    #[serde(default)]
    pub authserv_ids: Vec<String>,
    /// "aligned", "dmarc" or "off"; needs authserv_ids unless "off".
    pub automatic_mail: Option<Spanned<String>>,
    /// A spam score at or above this is spam.
    pub spam_threshold: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawMetrics {
    /// Address of the Prometheus endpoint, e.g. "127.0.0.1:9187"; off when absent.
    pub listen: Option<Spanned<String>>,
}

/// Where mail comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailboxKind {
    Imap,
    Maildir,
}

/// Where outgoing mail goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpKind {
    Smtp,
    Maildir,
}

/// `tls` as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RawTls {
    Implicit,
    StartTls,
    None,
}

/// What happens to processed mail in the inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SettleMode {
    /// Moved to the processed folder.
    #[default]
    Move,
    /// Flagged in place.
    Flag,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMailbox {
    pub kind: MailboxKind,
    pub path: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub tls: Option<Spanned<RawTls>>,
    pub username: Option<String>,
    pub password_file: Option<Spanned<String>>,
    pub password_env: Option<Spanned<String>>,
    pub ca_file: Option<String>,
    pub tls_name: Option<String>,
    #[serde(default = "default_inbox")]
    pub inbox: String,
    #[serde(default = "default_processed")]
    pub processed: String,
    #[serde(default = "default_quarantine")]
    pub quarantine: String,
    #[serde(default = "default_sent")]
    pub sent: String,
    #[serde(default = "default_spam")]
    pub spam: String,
    #[serde(default = "default_poll")]
    pub poll_interval: Spanned<String>,
    #[serde(default = "default_batch")]
    pub batch_size: u32,
    #[serde(default = "default_max_size")]
    pub max_message_bytes: u64,
    /// How long one IMAP operation (log-in, LIST, FETCH, MOVE ...) may take before the pass
    /// gives up with a temporary failure.
    #[serde(default = "default_timeout")]
    pub timeout: Spanned<String>,
    /// "move" processed mail to the processed folder, or "flag" it in place.
    #[serde(default)]
    pub settle: SettleMode,
    /// Keep IMAP folders in step with ticket states, so staff see the queue in their mail
    /// client: a ticket's mail sits in the folder of its state.
    #[serde(default = "default_false")]
    pub queue: Spanned<bool>,
    #[serde(default = "default_queue_needs_person")]
    pub queue_needs_person: String,
    #[serde(default = "default_queue_waiting")]
    pub queue_waiting: String,
    #[serde(default = "default_queue_closed")]
    pub queue_closed: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSmtp {
    pub kind: SmtpKind,
    pub path: Option<String>,
    /// Send every automatic mail also to the support address, so that its copy confirms the
    /// send after a crash (exactly once) and lands in the Sent folder.
    #[serde(default = "default_true")]
    pub self_copy: bool,
    /// How long to wait for that copy before a mail interrupted by a crash is sent again.
    #[serde(default = "default_confirm_within")]
    pub confirm_within: Spanned<String>,
    /// First retry delay after a temporary failure; it doubles up to one hour.
    #[serde(default = "default_retry_base")]
    pub retry_base: Spanned<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub tls: Option<Spanned<RawTls>>,
    pub username: Option<String>,
    pub password_file: Option<Spanned<String>>,
    pub password_env: Option<Spanned<String>>,
    pub ca_file: Option<String>,
    pub tls_name: Option<String>,
}

/// The connection keys shared by `[mailbox]` and `[smtp]`.
#[derive(Debug)]
pub struct RawServer<'a> {
    pub host: Option<&'a String>,
    pub port: Option<u16>,
    pub tls: Option<&'a Spanned<RawTls>>,
    pub username: Option<&'a String>,
    pub password_file: Option<&'a Spanned<String>>,
    pub password_env: Option<&'a Spanned<String>>,
    pub ca_file: Option<&'a String>,
    pub tls_name: Option<&'a String>,
}

/// The server keys of a `[mailbox]` or `[smtp]` section (same names in both).
macro_rules! raw_server {
    ($raw:expr) => {
        crate::config::raw::RawServer {
            host: $raw.host.as_ref(),
            port: $raw.port,
            tls: $raw.tls.as_ref(),
            username: $raw.username.as_ref(),
            password_file: $raw.password_file.as_ref(),
            password_env: $raw.password_env.as_ref(),
            ca_file: $raw.ca_file.as_ref(),
            tls_name: $raw.tls_name.as_ref(),
        }
    };
}
pub(crate) use raw_server;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSupport {
    pub address: Spanned<String>,
    #[serde(default = "default_name")]
    pub name: String,
    pub domain: Option<String>,
    #[serde(default)]
    pub staff: Vec<String>,
    #[serde(default)]
    pub other_addresses: Vec<String>,
    #[serde(default = "default_max_auto")]
    pub max_auto_per_day: u32,
    /// How long automatic mail to an address that bounced is suppressed.
    #[serde(default = "default_bounce_suppression")]
    pub bounce_suppression: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSla {
    #[serde(default = "default_first_response")]
    pub first_response: Spanned<String>,
    #[serde(default = "default_time_zone")]
    pub time_zone: Spanned<String>,
    /// Count only open hours, e.g. "mon-fri 09:00-18:00"; calendar time when absent.
    pub business_hours: Option<Spanned<String>>,
    /// Whole days closed (YYYY-MM-DD), with business_hours.
    #[serde(default)]
    pub holidays: Vec<Spanned<String>>,
    /// Fraction of the time after which staff are warned.
    #[serde(default = "default_warn_at")]
    pub warn_at: Spanned<f64>,
}

impl Default for RawSla {
    fn default() -> Self {
        RawSla {
            first_response: default_first_response(),
            time_zone: default_time_zone(),
            business_hours: None,
            holidays: Vec::new(),
            warn_at: default_warn_at(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStorage {
    pub path: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawDir {
    pub dir: Option<String>,
}

/// A default: a value the file does not write, at no place in it (span 0..0).
fn unwritten<T>(value: T) -> Spanned<T> {
    Spanned::new(0..0, value)
}

fn default_reopen_within() -> Spanned<String> {
    unwritten("720h".into())
}
fn default_close_after() -> Spanned<String> {
    unwritten("168h".into())
}
fn default_staff_language() -> Spanned<String> {
    unwritten("en".into())
}
fn default_queue_needs_person() -> String {
    "Queue/Needs reply".into()
}
fn default_queue_waiting() -> String {
    "Queue/Waiting".into()
}
fn default_queue_closed() -> String {
    "Queue/Closed".into()
}
fn default_warn_at() -> Spanned<f64> {
    unwritten(0.75)
}
fn default_timeout() -> Spanned<String> {
    unwritten("60s".into())
}
fn default_inbox() -> String {
    "INBOX".into()
}
fn default_processed() -> String {
    "Processed".into()
}
fn default_quarantine() -> String {
    "Quarantine".into()
}
fn default_sent() -> String {
    "Sent".into()
}
fn default_spam() -> String {
    "Spam".into()
}
fn default_poll() -> Spanned<String> {
    unwritten("60s".into())
}
/// A batch is held in memory whole until it is settled; 200 drains a 10,000-mail backlog only
/// 1-3 % faster than 50 (scripts/bench-e2e.sh with BENCH_BATCH), for 4 times the mail in memory.
fn default_batch() -> u32 {
    50
}
fn default_max_size() -> u64 {
    25 * 1024 * 1024
}
fn default_false() -> Spanned<bool> {
    unwritten(false)
}
fn default_true() -> bool {
    true
}
fn default_retry_base() -> Spanned<String> {
    unwritten("30s".into())
}
fn default_confirm_within() -> Spanned<String> {
    unwritten("10m".into())
}
fn default_bounce_suppression() -> Spanned<String> {
    unwritten("168h".into())
}
fn default_name() -> String {
    "Support".into()
}
fn default_max_auto() -> u32 {
    3
}
fn default_first_response() -> Spanned<String> {
    unwritten("24h".into())
}
fn default_time_zone() -> Spanned<String> {
    unwritten("UTC".into())
}
