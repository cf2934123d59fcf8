//! Configuration: the TOML file is read into documented raw structs, then validated into
//! [`Settings`] with resolved paths and secrets. Every error names the file, line and key.

use std::path::{Path, PathBuf};

use jiff::SignedDuration;
use serde::Deserialize;

/// A configuration error, printed as `file:line:col: key: message`.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}:{col}: {key}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub key: String,
    pub message: String,
}

/// The configuration file as written. Every field is documented in `deskmail.example.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    mailbox: RawMailbox,
    smtp: RawSmtp,
    support: RawSupport,
    #[serde(default)]
    sla: RawSla,
    storage: RawStorage,
    #[serde(default)]
    rules: RawDir,
    #[serde(default)]
    templates: RawDir,
    #[serde(default)]
    metrics: RawMetrics,
    #[serde(default)]
    trust: RawTrust,
    #[serde(default)]
    tickets: RawTickets,
    /// Checked where it is used: `crate::store::Retention`.
    #[serde(default)]
    retention: crate::store::Retention,
}

/// `[tickets]`: the work queue's lifecycle.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTickets {
    /// A customer's mail on a ticket closed at most this long ago opens it again; later, it
    /// opens a new ticket.
    #[serde(default = "default_reopen_within")]
    reopen_within: String,
    /// A ticket waiting for the customer this long closes by itself.
    #[serde(default = "default_close_after")]
    close_after: String,
    /// The language of notices to staff: en, zh-Hans or zh-Hant.
    #[serde(default = "default_staff_language")]
    staff_language: String,
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

fn default_reopen_within() -> String {
    "720h".into()
}
fn default_close_after() -> String {
    "168h".into()
}
fn default_staff_language() -> String {
    "en".into()
}

/// `[trust]`: whose verdicts are believed, and who may get automatic mail.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTrust {
    /// Host names our servers write after `by` in Received fields.
    #[serde(default)]
    servers: Vec<String>,
    /// authserv-ids whose Authentication-Results are read.
    #[serde(default)]
    authserv_ids: Vec<String>,
    /// "aligned", "dmarc" or "off"; needs authserv_ids unless "off".
    automatic_mail: Option<String>,
    /// A spam score at or above this is spam.
    spam_threshold: Option<f64>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMetrics {
    /// Address of the Prometheus endpoint, e.g. "127.0.0.1:9187"; off when absent.
    listen: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMailbox {
    kind: String,
    path: Option<String>,
    host: Option<String>,
    port: Option<u16>,
    tls: Option<String>,
    username: Option<String>,
    password_file: Option<String>,
    password_env: Option<String>,
    ca_file: Option<String>,
    tls_name: Option<String>,
    #[serde(default = "default_inbox")]
    inbox: String,
    #[serde(default = "default_processed")]
    processed: String,
    #[serde(default = "default_quarantine")]
    quarantine: String,
    #[serde(default = "default_sent")]
    sent: String,
    #[serde(default = "default_spam")]
    spam: String,
    #[serde(default = "default_poll")]
    poll_interval: String,
    #[serde(default = "default_batch")]
    batch_size: u32,
    #[serde(default = "default_max_size")]
    max_message_bytes: u64,
    /// How long one IMAP operation (log-in, LIST, FETCH, MOVE ...) may take before the pass
    /// gives up with a temporary failure.
    #[serde(default = "default_timeout")]
    timeout: String,
    /// "move" processed mail to the processed folder, or "flag" it in place.
    #[serde(default = "default_settle")]
    settle: String,
    /// Keep IMAP folders in step with ticket states, so staff see the queue in their mail
    /// client: a ticket's mail sits in the folder of its state.
    #[serde(default)]
    queue: bool,
    #[serde(default = "default_queue_needs_person")]
    queue_needs_person: String,
    #[serde(default = "default_queue_waiting")]
    queue_waiting: String,
    #[serde(default = "default_queue_closed")]
    queue_closed: String,
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

fn default_timeout() -> String {
    "60s".into()
}

fn default_settle() -> String {
    "move".into()
}

/// The connection keys shared by `[mailbox]` and `[smtp]`.
#[derive(Debug, Default)]
struct RawServer {
    host: Option<String>,
    port: Option<u16>,
    tls: Option<String>,
    username: Option<String>,
    password_file: Option<String>,
    password_env: Option<String>,
    ca_file: Option<String>,
    tls_name: Option<String>,
}

macro_rules! raw_server {
    ($raw:expr) => {
        RawServer {
            host: $raw.host.clone(),
            port: $raw.port,
            tls: $raw.tls.clone(),
            username: $raw.username.clone(),
            password_file: $raw.password_file.clone(),
            password_env: $raw.password_env.clone(),
            ca_file: $raw.ca_file.clone(),
            tls_name: $raw.tls_name.clone(),
        }
    };
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSmtp {
    kind: String,
    path: Option<String>,
    /// Send every automatic mail also to the support address, so that its copy confirms the
    /// send after a crash (exactly once) and lands in the Sent folder.
    #[serde(default = "default_true")]
    self_copy: bool,
    /// How long to wait for that copy before a mail interrupted by a crash is sent again.
    #[serde(default = "default_confirm_within")]
    confirm_within: String,
    /// First retry delay after a temporary failure; it doubles up to one hour.
    #[serde(default = "default_retry_base")]
    retry_base: String,
    host: Option<String>,
    port: Option<u16>,
    tls: Option<String>,
    username: Option<String>,
    password_file: Option<String>,
    password_env: Option<String>,
    ca_file: Option<String>,
    tls_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSupport {
    address: String,
    #[serde(default = "default_name")]
    name: String,
    domain: Option<String>,
    #[serde(default)]
    staff: Vec<String>,
    #[serde(default)]
    other_addresses: Vec<String>,
    #[serde(default = "default_max_auto")]
    max_auto_per_day: u32,
    /// How long automatic mail to an address that bounced is suppressed.
    #[serde(default = "default_bounce_suppression")]
    bounce_suppression: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSla {
    #[serde(default = "default_first_response")]
    first_response: String,
    #[serde(default = "default_time_zone")]
    time_zone: String,
    /// Count only open hours, e.g. "mon-fri 09:00-18:00"; calendar time when absent.
    business_hours: Option<String>,
    /// Whole days closed (YYYY-MM-DD), with business_hours.
    #[serde(default)]
    holidays: Vec<String>,
    /// Fraction of the time after which staff are warned.
    #[serde(default = "default_warn_at")]
    warn_at: f64,
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

fn default_warn_at() -> f64 {
    0.75
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    path: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDir {
    dir: Option<String>,
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
fn default_poll() -> String {
    "60s".into()
}
/// A batch is held in memory whole until it is settled; 200 drains a 10,000-mail backlog only
/// 1-3 % faster than 50 (scripts/bench-e2e.sh with BENCH_BATCH), for 4 times the mail in memory.
fn default_batch() -> u32 {
    50
}
fn default_max_size() -> u64 {
    25 * 1024 * 1024
}
fn default_true() -> bool {
    true
}
fn default_retry_base() -> String {
    "30s".into()
}
fn default_confirm_within() -> String {
    "10m".into()
}
fn default_bounce_suppression() -> String {
    "168h".into()
}
fn default_name() -> String {
    "Support".into()
}
fn default_max_auto() -> u32 {
    3
}
fn default_first_response() -> String {
    "24h".into()
}
fn default_time_zone() -> String {
    "UTC".into()
}

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

/// A secret that prints as `***`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
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

/// Reads and validates a configuration file.
pub fn load(path: &Path) -> Result<Settings, ConfigError> {
    let text = read(path)?;
    from_file(path, &text, true)
}

/// Loads the configuration for commands that only need the policy (`classify`, `rules
/// check`, `rules test`, `rules replay`): a file with only `[rules]` and `[templates]` (and
/// `[support]`, `[sla]` ...) is enough, and no password is read. Sections these commands do
/// not use are filled with placeholders that nothing reads.
pub fn load_for_rules(path: &Path) -> Result<Settings, ConfigError> {
    let mut text = read(path)?;
    let present: toml::Table = text.parse().unwrap_or_default();
    for (section, placeholder) in [
        ("mailbox", "kind = \"maildir\"\npath = \".\""),
        ("smtp", "kind = \"maildir\"\npath = \".\""),
        ("support", "address = \"support@localhost\""),
        ("storage", "path = \"deskmail.db\""),
    ] {
        if !present.contains_key(section) {
            // Appended after the file's own text, so every line number of it stays right.
            text.push_str(&format!("\n[{section}]\n{placeholder}\n"));
        }
    }
    from_file(path, &text, false)
}

/// Loads the configuration for a command that only reads the database (`tickets`, `show`,
/// `sla`, `status`, `quarantine`, `backup`): the passwords are not read, so staff need no
/// access to the secrets to read the queue. The servers' passwords are left unset.
pub fn load_without_secrets(path: &Path) -> Result<Settings, ConfigError> {
    let text = read(path)?;
    from_file(path, &text, false)
}

/// The text of the configuration file at `path`.
fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: path.display().to_string(),
        line: 0,
        col: 0,
        key: "-".into(),
        message: format!("cannot read the configuration file: {e}"),
    })
}

/// Settings from the text of the file at `path`, whose directory resolves relative paths.
fn from_file(path: &Path, text: &str, read_secrets: bool) -> Result<Settings, ConfigError> {
    let base = path.parent().unwrap_or(Path::new("."));
    let mut settings = parse(text, &path.display().to_string(), base, read_secrets)?;
    settings.config_file = Some(path.to_path_buf());
    Ok(settings)
}

/// Parses configuration text; `file` names it in errors and `base` resolves relative paths.
pub fn from_str(text: &str, file: &str, base: &Path) -> Result<Settings, ConfigError> {
    parse(text, file, base, true)
}

fn parse(text: &str, file: &str, base: &Path, read_secrets: bool) -> Result<Settings, ConfigError> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let (line, col) = line_col(text, e.span().map_or(0, |s| s.start));
        ConfigError { file: file.into(), line, col, key: key_of(&e), message: e.message().trim().into() }
    })?;
    Validator { text, file, base, read_secrets }.settings(raw)
}

fn key_of(e: &toml::de::Error) -> String {
    let message = e.message();
    message
        .split('`')
        .nth(1)
        .filter(|_| message.starts_with("unknown field") || message.starts_with("missing field"))
        .unwrap_or("-")
        .to_string()
}

fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

struct Validator<'a> {
    text: &'a str,
    file: &'a str,
    base: &'a Path,
    /// Read password files and variables (commands that only read the database do not).
    read_secrets: bool,
}

impl Validator<'_> {
    /// An error at the line where `key` is set (or line 0 when it is not written).
    fn error(&self, section: &str, key: &str, message: impl Into<String>) -> ConfigError {
        let line = self.find_key(section, key);
        ConfigError {
            file: self.file.into(),
            line,
            col: if line == 0 { 0 } else { 1 },
            key: format!("{section}.{key}"),
            message: message.into(),
        }
    }

    fn find_key(&self, section: &str, key: &str) -> usize {
        let header = format!("[{section}]");
        let mut in_section = false;
        for (i, line) in self.text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.starts_with('[') {
                in_section = trimmed == header;
            } else if in_section && trimmed.split('=').next().is_some_and(|k| k.trim() == key) {
                return i + 1;
            }
        }
        0
    }

    fn path(&self, value: &str) -> PathBuf {
        self.base.join(value)
    }

    fn settings(&self, raw: RawConfig) -> Result<Settings, ConfigError> {
        let support_address = raw.support.address.trim().to_lowercase();
        if !support_address.contains('@') {
            return Err(self.error("support", "address", "not an e-mail address"));
        }
        let domain = raw.support.domain.clone().unwrap_or_else(|| {
            support_address.rsplit_once('@').map(|(_, d)| d.to_string()).unwrap_or_default()
        });
        let mut own_addresses = vec![support_address.clone()];
        own_addresses.extend(raw.support.other_addresses.iter().map(|a| a.trim().to_lowercase()));
        if let Some(user) = &raw.mailbox.username {
            own_addresses.push(user.trim().to_lowercase());
        }
        let rules_dir = self.path(raw.rules.dir.as_deref().unwrap_or("rules"));
        let templates_dir = self.path(raw.templates.dir.as_deref().unwrap_or("templates"));
        let self_copy = (raw.smtp.kind == "smtp" && raw.smtp.self_copy).then(|| support_address.clone());
        Ok(Settings {
            mailbox: self.mailbox(&raw.mailbox)?,
            smtp: self.smtp(&raw.smtp)?,
            support_address,
            support_name: raw.support.name.clone(),
            domain,
            staff: raw.support.staff.iter().map(|a| a.trim().to_lowercase()).collect(),
            own_addresses,
            max_auto_per_day: raw.support.max_auto_per_day,
            bounce_suppression: self.duration(
                "support",
                "bounce_suppression",
                &raw.support.bounce_suppression,
            )?,
            first_response: self.duration("sla", "first_response", &raw.sla.first_response)?,
            time_zone: jiff::tz::TimeZone::get(&raw.sla.time_zone)
                .map_err(|e| self.error("sla", "time_zone", e.to_string()))?,
            sla_clock: self.sla_clock(&raw.sla)?,
            warn_at: if (0.0..=1.0).contains(&raw.sla.warn_at) {
                raw.sla.warn_at
            } else {
                return Err(self.error("sla", "warn_at", "must be between 0 and 1"));
            },
            reopen_within: self.duration("tickets", "reopen_within", &raw.tickets.reopen_within)?,
            close_after: self.duration("tickets", "close_after", &raw.tickets.close_after)?,
            staff_language: crate::parse::Language::from_tag(&raw.tickets.staff_language)
                .ok_or_else(|| self.error("tickets", "staff_language", "must be en, zh-Hans or zh-Hant"))?,
            database: self.path(&raw.storage.path),
            rules_dir,
            templates_dir,
            poll_interval: self
                .duration("mailbox", "poll_interval", &raw.mailbox.poll_interval)?
                .unsigned_abs(),
            batch_size: raw.mailbox.batch_size.max(1),
            max_message_bytes: raw.mailbox.max_message_bytes,
            mailbox_timeout: self.duration("mailbox", "timeout", &raw.mailbox.timeout)?.unsigned_abs(),
            self_copy,
            confirm_within: self.duration("smtp", "confirm_within", &raw.smtp.confirm_within)?,
            retry_base: self.duration("smtp", "retry_base", &raw.smtp.retry_base)?,
            metrics_listen: self.metrics_listen(&raw.metrics)?,
            config_file: None,
            trust: self.trust(&raw.trust)?,
            retention: raw.retention.clone(),
        })
    }

    fn trust(&self, raw: &RawTrust) -> Result<crate::verdict::TrustSettings, ConfigError> {
        use crate::verdict::Policy;
        let lower =
            |names: &[String]| names.iter().map(|n| n.trim().to_ascii_lowercase()).collect::<Vec<_>>();
        let authserv_ids = lower(&raw.authserv_ids);
        let policy = match raw.automatic_mail.as_deref() {
            None => Policy::default(),
            Some(name) => Policy::parse(name).ok_or_else(|| {
                self.error(
                    "trust",
                    "automatic_mail",
                    format!("unknown policy `{name}` (aligned, dmarc or off)"),
                )
            })?,
        };
        // Written out, a policy must be able to act: without a trusted authserv-id every mail
        // would fail it. Left out, it is off until authserv_ids are set (documented).
        if raw.automatic_mail.is_some() && policy != Policy::Off && authserv_ids.is_empty() {
            return Err(self.error(
                "trust",
                "automatic_mail",
                format!(
                    "policy `{}` needs `authserv_ids`: the servers whose Authentication-Results are read",
                    policy.as_str()
                ),
            ));
        }
        if let Some(t) = raw.spam_threshold.filter(|t| !t.is_finite()) {
            return Err(self.error("trust", "spam_threshold", format!("`{t}` is not a number")));
        }
        Ok(crate::verdict::TrustSettings {
            servers: lower(&raw.servers),
            authserv_ids,
            policy,
            spam_threshold: raw.spam_threshold,
        })
    }

    fn metrics_listen(&self, raw: &RawMetrics) -> Result<Option<std::net::SocketAddr>, ConfigError> {
        let Some(listen) = &raw.listen else { return Ok(None) };
        let addr: std::net::SocketAddr =
            listen.parse().map_err(|e| self.error("metrics", "listen", format!("`{listen}`: {e}")))?;
        if !addr.ip().is_loopback() {
            return Err(self.error("metrics", "listen", "the metrics endpoint listens on loopback only"));
        }
        Ok(Some(addr))
    }

    fn sla_clock(&self, raw: &RawSla) -> Result<crate::sla::Clock, ConfigError> {
        let Some(hours) = &raw.business_hours else { return Ok(crate::sla::Clock::Calendar) };
        let weekly = crate::sla::parse_weekly(hours).map_err(|e| self.error("sla", "business_hours", e))?;
        let holidays = raw
            .holidays
            .iter()
            .map(|d| {
                d.parse::<jiff::civil::Date>()
                    .map_err(|e| self.error("sla", "holidays", format!("`{d}`: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let time_zone = jiff::tz::TimeZone::get(&raw.time_zone)
            .map_err(|e| self.error("sla", "time_zone", e.to_string()))?;
        Ok(crate::sla::Clock::Business(crate::sla::BusinessHours { time_zone, weekly, holidays }))
    }

    fn duration(&self, section: &str, key: &str, value: &str) -> Result<SignedDuration, ConfigError> {
        value
            .parse::<SignedDuration>()
            .map_err(|e| self.error(section, key, format!("bad duration `{value}`: {e}")))
    }

    fn mailbox(&self, raw: &RawMailbox) -> Result<MailboxSettings, ConfigError> {
        let folders = Folders {
            inbox: raw.inbox.clone(),
            processed: raw.processed.clone(),
            quarantine: raw.quarantine.clone(),
            sent: raw.sent.clone(),
            spam: raw.spam.clone(),
            flag_in_place: match raw.settle.as_str() {
                "move" => false,
                "flag" => true,
                other => {
                    return Err(self.error(
                        "mailbox",
                        "settle",
                        format!("unknown value `{other}` (move or flag)"),
                    ));
                }
            },
            queue: raw.queue.then(|| QueueFolders {
                needs_person: raw.queue_needs_person.clone(),
                waiting: raw.queue_waiting.clone(),
                closed: raw.queue_closed.clone(),
            }),
        };
        if folders.queue.is_some() && folders.flag_in_place {
            return Err(self.error(
                "mailbox",
                "queue",
                "queue folders need settle = \"move\" (mail flagged in place stays in the inbox)",
            ));
        }
        match raw.kind.as_str() {
            "imap" => {
                Ok(MailboxSettings::Imap { server: self.server("mailbox", &raw_server!(raw), 993)?, folders })
            }
            "maildir" => {
                let path = raw
                    .path
                    .as_deref()
                    .ok_or_else(|| self.error("mailbox", "path", "kind = \"maildir\" needs `path`"))?;
                Ok(MailboxSettings::Maildir { path: self.path(path), folders })
            }
            other => Err(self.error("mailbox", "kind", format!("unknown kind `{other}` (imap or maildir)"))),
        }
    }

    fn smtp(&self, raw: &RawSmtp) -> Result<SmtpSettings, ConfigError> {
        match raw.kind.as_str() {
            "smtp" => Ok(SmtpSettings::Smtp(self.server("smtp", &raw_server!(raw), 587)?)),
            "maildir" => {
                let path = raw
                    .path
                    .as_deref()
                    .ok_or_else(|| self.error("smtp", "path", "kind = \"maildir\" needs `path`"))?;
                Ok(SmtpSettings::Maildir(self.path(path)))
            }
            other => Err(self.error("smtp", "kind", format!("unknown kind `{other}` (smtp or maildir)"))),
        }
    }

    fn server(&self, section: &str, raw: &RawServer, default_port: u16) -> Result<Server, ConfigError> {
        let host = raw.host.clone().ok_or_else(|| self.error(section, "host", "missing"))?;
        let tls = match raw.tls.as_deref().unwrap_or_else(|| tls_for_port(raw.port)) {
            "implicit" => TlsMode::Implicit,
            "starttls" => TlsMode::StartTls,
            "none" if is_loopback(&host) => TlsMode::None,
            "none" => {
                return Err(self.error(
                    section,
                    "tls",
                    format!("tls = \"none\" is allowed only for loopback hosts, not `{host}`"),
                ));
            }
            other => {
                return Err(self.error(
                    section,
                    "tls",
                    format!("unknown value `{other}` (implicit, starttls or none)"),
                ));
            }
        };
        let port = raw.port.unwrap_or(match (tls, section) {
            (TlsMode::Implicit, "mailbox") => 993,
            (_, "mailbox") => 143,
            (TlsMode::Implicit, _) => 465,
            _ => default_port,
        });
        if let Some(hint) = tls_port_mismatch(tls, port, raw.tls.is_some()) {
            return Err(self.error(section, "tls", hint));
        }
        Ok(Server {
            port,
            tls,
            username: raw.username.clone(),
            password: self.secret(section, raw)?,
            ca_file: raw.ca_file.as_deref().map(|p| self.path(p)),
            tls_name: raw.tls_name.clone().unwrap_or_else(|| host.clone()),
            host,
        })
    }

    fn secret(&self, section: &str, raw: &RawServer) -> Result<Option<Secret>, ConfigError> {
        if !self.read_secrets {
            return Ok(None);
        }
        if let Some(file) = &raw.password_file {
            let path = self.path(file);
            let value = std::fs::read_to_string(&path).map_err(|e| {
                self.error(section, "password_file", format!("cannot read {}: {e}", path.display()))
            })?;
            return Ok(Some(Secret(value.trim_end_matches(['\r', '\n']).to_string())));
        }
        if let Some(var) = &raw.password_env {
            let value = std::env::var(var).map_err(|_| {
                self.error(section, "password_env", format!("environment variable {var} is not set"))
            })?;
            return Ok(Some(Secret(value)));
        }
        Ok(None)
    }
}

/// The TLS mode a port implies when `tls` is not set: the submission and plain IMAP/SMTP
/// ports (143, 587, 25) start in plain text and upgrade with STARTTLS; every other port
/// (993, 465, or none given) speaks TLS from the first byte.
fn tls_for_port(port: Option<u16>) -> &'static str {
    match port {
        Some(143 | 587 | 25) => "starttls",
        _ => "implicit",
    }
}

/// A `tls` mode that cannot work on a well-known port, with what to set instead: implicit
/// TLS on 143 or 587 fails with "received corrupt message", STARTTLS on 993 or 465 hangs.
fn tls_port_mismatch(tls: TlsMode, port: u16, tls_was_set: bool) -> Option<String> {
    if !tls_was_set {
        return None;
    }
    match (tls, port) {
        (TlsMode::Implicit, 143 | 587 | 25) => Some(format!(
            "tls = \"implicit\" on port {port}, where servers expect STARTTLS: set tls = \"starttls\" (or remove `tls`)"
        )),
        (TlsMode::StartTls, 993 | 465) => Some(format!(
            "tls = \"starttls\" on port {port}, where servers speak TLS at once: set tls = \"implicit\" (or remove `tls`)"
        )),
        _ => None,
    }
}

/// Whether `host` names this machine's loopback interface.
pub fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[mailbox]
kind = "maildir"
path = "mail"

[smtp]
kind = "maildir"
path = "outbox"

[support]
address = "Support@Example.test"

[storage]
path = "deskmail.db"
"#;

    #[test]
    fn minimal_config_resolves_paths() {
        let s = from_str(MINIMAL, "x.toml", Path::new("/etc/dm")).unwrap();
        assert_eq!(s.database, PathBuf::from("/etc/dm/deskmail.db"));
        assert_eq!(s.support_address, "support@example.test");
        assert_eq!(s.domain, "example.test");
        assert_eq!(s.first_response, SignedDuration::from_hours(24));
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let text = MINIMAL.replace("path = \"deskmail.db\"", "path = \"x\"\ncolour = 1");
        let e = from_str(&text, "x.toml", Path::new(".")).unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (15, "colour"), "{e}");
        assert!(e.to_string().starts_with("x.toml:15:"), "{e}");
    }

    #[test]
    fn plain_text_to_a_remote_host_is_refused() {
        let text = MINIMAL.replace(
            "kind = \"maildir\"\npath = \"outbox\"",
            "kind = \"smtp\"\nhost = \"smtp.example.com\"\ntls = \"none\"",
        );
        let e = from_str(&text, "x.toml", Path::new(".")).unwrap_err();
        assert_eq!(e.key, "smtp.tls");
        assert_eq!(e.line, 9);
    }

    #[test]
    fn missing_password_file_is_named() {
        let text = MINIMAL.replace(
            "kind = \"maildir\"\npath = \"outbox\"",
            "kind = \"smtp\"\nhost = \"127.0.0.1\"\npassword_file = \"/nonexistent/pw\"",
        );
        let e = from_str(&text, "x.toml", Path::new(".")).unwrap_err();
        assert_eq!(e.key, "smtp.password_file");
        assert!(e.message.contains("/nonexistent/pw"));
    }

    #[test]
    fn the_documented_example_parses_but_for_its_password_files() {
        let text = include_str!("../deskmail.example.toml");
        let e = from_str(text, "deskmail.example.toml", Path::new("/")).unwrap_err();
        assert_eq!(e.key, "mailbox.password_file", "{e}");
    }

    /// The `[smtp]` server of MINIMAL turned into `lines`.
    fn smtp_server(lines: &str) -> Result<Server, ConfigError> {
        let text = MINIMAL.replace(
            "kind = \"maildir\"\npath = \"outbox\"",
            &format!("kind = \"smtp\"\nhost = \"127.0.0.1\"\n{lines}"),
        );
        from_str(&text, "x.toml", Path::new(".")).map(|s| match s.smtp {
            SmtpSettings::Smtp(server) => server,
            SmtpSettings::Maildir(_) => unreachable!("configured as smtp"),
        })
    }

    #[test]
    fn tls_follows_the_port_unless_set() {
        for (port, tls) in [
            ("", TlsMode::Implicit),
            ("port = 465", TlsMode::Implicit),
            ("port = 587", TlsMode::StartTls),
            ("port = 25", TlsMode::StartTls),
            ("port = 2525", TlsMode::Implicit),
        ] {
            assert_eq!(smtp_server(port).unwrap().tls, tls, "{port}");
        }
        assert_eq!(smtp_server("").unwrap().port, 465);
        assert_eq!(smtp_server("port = 587\ntls = \"none\"").unwrap().tls, TlsMode::None);
    }

    #[test]
    fn a_tls_mode_that_cannot_work_on_its_port_says_what_to_set() {
        let e = smtp_server("port = 587\ntls = \"implicit\"").unwrap_err();
        assert_eq!(e.key, "smtp.tls");
        assert!(e.message.contains("set tls = \"starttls\""), "{e}");
        let e = smtp_server("port = 465\ntls = \"starttls\"").unwrap_err();
        assert!(e.message.contains("set tls = \"implicit\""), "{e}");
    }

    /// The keys serde accepts in `[section]`, read from its "unknown field" message.
    fn accepted_keys(section: &str) -> Vec<String> {
        let probe = MINIMAL.replace(&format!("[{section}]\n"), &format!("[{section}]\nzz_probe = 1\n"));
        let probe = if probe == MINIMAL { format!("{MINIMAL}\n[{section}]\nzz_probe = 1\n") } else { probe };
        let e = from_str(&probe, "x.toml", Path::new(".")).unwrap_err();
        let (_, expected) = e.message.split_once("expected").unwrap_or_else(|| panic!("{section}: {e}"));
        expected.split('`').skip(1).step_by(2).map(str::to_string).collect()
    }

    #[test]
    fn the_example_documents_every_key() {
        let example = include_str!("../deskmail.example.toml");
        let mut missing = Vec::new();
        for section in
            ["mailbox", "smtp", "support", "sla", "storage", "rules", "templates", "metrics", "retention"]
        {
            let keys = accepted_keys(section);
            assert!(!keys.is_empty(), "{section}");
            let start = example.find(&format!("[{section}]")).unwrap_or_else(|| panic!("no [{section}]"));
            let end = example[start + 1..].find("\n[").map_or(example.len(), |i| start + 1 + i);
            let body = &example[start..end];
            for key in keys {
                let documented = body.lines().any(|l| {
                    let l = l.trim_start_matches('#').trim();
                    l.starts_with(&format!("{key} =")) || l.starts_with(&format!("{key}="))
                });
                if !documented {
                    missing.push(format!("{section}.{key}"));
                }
            }
        }
        assert!(missing.is_empty(), "not in deskmail.example.toml: {missing:?}");
    }

    #[test]
    fn trust_defaults_to_off_and_a_written_policy_needs_authserv_ids() {
        let s = from_str(MINIMAL, "x.toml", Path::new(".")).unwrap();
        assert_eq!(s.trust.effective_policy(), crate::verdict::Policy::Off);
        let text = format!("{MINIMAL}\n[trust]\nauthserv_ids = [\"MX.Example.test\"]\n");
        let s = from_str(&text, "x.toml", Path::new(".")).unwrap();
        assert_eq!(s.trust.authserv_ids, ["mx.example.test"]);
        assert_eq!(s.trust.effective_policy(), crate::verdict::Policy::Aligned);
        let text = format!("{MINIMAL}\n[trust]\nautomatic_mail = \"dmarc\"\n");
        let e = from_str(&text, "x.toml", Path::new(".")).unwrap_err();
        assert_eq!((e.key.as_str(), e.line), ("trust.automatic_mail", 17), "{e}");
        let text = format!("{MINIMAL}\n[trust]\nautomatic_mail = \"strict\"\n");
        assert!(from_str(&text, "x.toml", Path::new(".")).unwrap_err().message.contains("unknown policy"));
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret("hunter2".into())), "***");
    }
}
