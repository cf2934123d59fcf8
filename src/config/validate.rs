//! From the file as written to [`Settings`]: one builder per section, each refusal located at
//! the value it refuses (its `toml::Spanned` span), or at the section that lacks a key.

use std::ops::Range;
use std::path::{Path, PathBuf};

use jiff::SignedDuration;
use toml::Spanned;

use super::ConfigError;
use super::raw::{
    MailboxKind, RawConfig, RawMailbox, RawMetrics, RawServer, RawSla, RawSmtp, RawTls, RawTrust, SettleMode,
    SmtpKind, raw_server,
};
use super::{Folders, MailboxSettings, QueueFolders, Secret, Server, Settings, SmtpSettings, TlsMode};
use crate::located::Located;

/// Builds settings from the raw file, naming `file` and the place in `text` of every refusal.
pub struct Validator<'a> {
    pub text: &'a str,
    pub file: &'a str,
    pub base: &'a Path,
    /// Read password files and variables (commands that only read the database do not).
    pub read_secrets: bool,
}

impl Validator<'_> {
    /// An error about `section.key`, at `span` of the text; an empty span at 0 is a value the
    /// file does not write (a default), reported at line 0.
    fn error(&self, span: Range<usize>, section: &str, key: &str, message: impl Into<String>) -> ConfigError {
        let at = if span == (0..0) {
            Located::whole(self.file, message)
        } else {
            Located::at(self.file, self.text, span.start, message)
        };
        ConfigError { key: format!("{section}.{key}"), at }
    }

    /// An error about the value `value` of `section.key`.
    fn refuse<T>(
        &self,
        value: &Spanned<T>,
        section: &str,
        key: &str,
        message: impl Into<String>,
    ) -> ConfigError {
        self.error(value.span(), section, key, message)
    }

    fn path(&self, value: &str) -> PathBuf {
        self.base.join(value)
    }

    pub fn settings(&self, raw: RawConfig) -> Result<Settings, ConfigError> {
        let address = &raw.support.address;
        let support_address = address.get_ref().trim().to_lowercase();
        if !support_address.contains('@') {
            return Err(self.refuse(address, "support", "address", "not an e-mail address"));
        }
        let domain = raw.support.domain.clone().unwrap_or_else(|| {
            support_address.rsplit_once('@').map(|(_, d)| d.to_string()).unwrap_or_default()
        });
        let mut own_addresses = vec![support_address.clone()];
        own_addresses.extend(raw.support.other_addresses.iter().map(|a| a.trim().to_lowercase()));
        if let Some(user) = &raw.mailbox.get_ref().username {
            own_addresses.push(user.trim().to_lowercase());
        }
        let rules_dir = self.path(raw.rules.dir.as_deref().unwrap_or("rules"));
        let templates_dir = self.path(raw.templates.dir.as_deref().unwrap_or("templates"));
        let smtp = raw.smtp.get_ref();
        let self_copy = (smtp.kind == SmtpKind::Smtp && smtp.self_copy).then(|| support_address.clone());
        let mailbox = raw.mailbox.get_ref();
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
            time_zone: self.time_zone(&raw.sla)?,
            sla_clock: self.sla_clock(&raw.sla)?,
            warn_at: if (0.0..=1.0).contains(raw.sla.warn_at.get_ref()) {
                *raw.sla.warn_at.get_ref()
            } else {
                return Err(self.refuse(&raw.sla.warn_at, "sla", "warn_at", "must be between 0 and 1"));
            },
            reopen_within: self.duration("tickets", "reopen_within", &raw.tickets.reopen_within)?,
            close_after: self.duration("tickets", "close_after", &raw.tickets.close_after)?,
            staff_language: crate::parse::Language::from_tag(raw.tickets.staff_language.get_ref())
                .ok_or_else(|| {
                    self.refuse(
                        &raw.tickets.staff_language,
                        "tickets",
                        "staff_language",
                        "must be en, zh-Hans or zh-Hant",
                    )
                })?,
            database: self.path(&raw.storage.path),
            rules_dir,
            templates_dir,
            poll_interval: self.duration("mailbox", "poll_interval", &mailbox.poll_interval)?.unsigned_abs(),
            batch_size: mailbox.batch_size.max(1),
            max_message_bytes: mailbox.max_message_bytes,
            mailbox_timeout: self.duration("mailbox", "timeout", &mailbox.timeout)?.unsigned_abs(),
            self_copy,
            confirm_within: self.duration("smtp", "confirm_within", &smtp.confirm_within)?,
            retry_base: self.duration("smtp", "retry_base", &smtp.retry_base)?,
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
        let policy = match &raw.automatic_mail {
            None => Policy::default(),
            Some(name) => Policy::parse(name.get_ref()).ok_or_else(|| {
                self.refuse(
                    name,
                    "trust",
                    "automatic_mail",
                    format!("unknown policy `{}` (aligned, dmarc or off)", name.get_ref()),
                )
            })?,
        };
        // Written out, a policy must be able to act: without a trusted authserv-id every mail
        // would fail it. Left out, it is off until authserv_ids are set (documented).
        if let Some(written) =
            raw.automatic_mail.as_ref().filter(|_| policy != Policy::Off && authserv_ids.is_empty())
        {
            return Err(self.refuse(
                written,
                "trust",
                "automatic_mail",
                format!(
                    "policy `{}` needs `authserv_ids`: the servers whose Authentication-Results are read",
                    policy.as_str()
                ),
            ));
        }
        if let Some(t) = raw.spam_threshold.as_ref().filter(|t| !t.get_ref().is_finite()) {
            return Err(self.refuse(
                t,
                "trust",
                "spam_threshold",
                format!("`{}` is not a number", t.get_ref()),
            ));
        }
        Ok(crate::verdict::TrustSettings {
            servers: lower(&raw.servers),
            authserv_ids,
            policy,
            spam_threshold: raw.spam_threshold.as_ref().map(|t| *t.get_ref()),
        })
    }

    fn metrics_listen(&self, raw: &RawMetrics) -> Result<Option<std::net::SocketAddr>, ConfigError> {
        let Some(listen) = &raw.listen else { return Ok(None) };
        let addr: std::net::SocketAddr = listen
            .get_ref()
            .parse()
            .map_err(|e| self.refuse(listen, "metrics", "listen", format!("`{}`: {e}", listen.get_ref())))?;
        if !addr.ip().is_loopback() {
            return Err(self.refuse(
                listen,
                "metrics",
                "listen",
                "the metrics endpoint listens on loopback only",
            ));
        }
        Ok(Some(addr))
    }

    fn time_zone(&self, raw: &RawSla) -> Result<jiff::tz::TimeZone, ConfigError> {
        jiff::tz::TimeZone::get(raw.time_zone.get_ref())
            .map_err(|e| self.refuse(&raw.time_zone, "sla", "time_zone", e.to_string()))
    }

    fn sla_clock(&self, raw: &RawSla) -> Result<crate::sla::Clock, ConfigError> {
        let Some(hours) = &raw.business_hours else { return Ok(crate::sla::Clock::Calendar) };
        let weekly = crate::sla::parse_weekly(hours.get_ref())
            .map_err(|e| self.refuse(hours, "sla", "business_hours", e))?;
        let holidays = raw
            .holidays
            .iter()
            .map(|d| {
                d.get_ref()
                    .parse::<jiff::civil::Date>()
                    .map_err(|e| self.refuse(d, "sla", "holidays", format!("`{}`: {e}", d.get_ref())))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let time_zone = self.time_zone(raw)?;
        Ok(crate::sla::Clock::Business(crate::sla::BusinessHours { time_zone, weekly, holidays }))
    }

    fn duration(
        &self,
        section: &str,
        key: &str,
        value: &Spanned<String>,
    ) -> Result<SignedDuration, ConfigError> {
        value
            .get_ref()
            .parse::<SignedDuration>()
            .map_err(|e| self.refuse(value, section, key, format!("bad duration `{}`: {e}", value.get_ref())))
    }

    fn mailbox(&self, section: &Spanned<RawMailbox>) -> Result<MailboxSettings, ConfigError> {
        let raw = section.get_ref();
        let folders = Folders {
            inbox: raw.inbox.clone(),
            processed: raw.processed.clone(),
            quarantine: raw.quarantine.clone(),
            sent: raw.sent.clone(),
            spam: raw.spam.clone(),
            flag_in_place: raw.settle == SettleMode::Flag,
            queue: raw.queue.get_ref().then(|| QueueFolders {
                needs_person: raw.queue_needs_person.clone(),
                waiting: raw.queue_waiting.clone(),
                closed: raw.queue_closed.clone(),
            }),
        };
        if folders.queue.is_some() && folders.flag_in_place {
            return Err(self.refuse(
                &raw.queue,
                "mailbox",
                "queue",
                "queue folders need settle = \"move\" (mail flagged in place stays in the inbox)",
            ));
        }
        match raw.kind {
            MailboxKind::Imap => Ok(MailboxSettings::Imap {
                server: self.server("mailbox", section.span(), &raw_server!(raw), 993)?,
                folders,
            }),
            MailboxKind::Maildir => {
                let path = raw.path.as_deref().ok_or_else(|| {
                    self.error(section.span(), "mailbox", "path", "kind = \"maildir\" needs `path`")
                })?;
                Ok(MailboxSettings::Maildir { path: self.path(path), folders })
            }
        }
    }

    fn smtp(&self, section: &Spanned<RawSmtp>) -> Result<SmtpSettings, ConfigError> {
        let raw = section.get_ref();
        match raw.kind {
            SmtpKind::Smtp => {
                Ok(SmtpSettings::Smtp(self.server("smtp", section.span(), &raw_server!(raw), 587)?))
            }
            SmtpKind::Maildir => {
                let path = raw.path.as_deref().ok_or_else(|| {
                    self.error(section.span(), "smtp", "path", "kind = \"maildir\" needs `path`")
                })?;
                Ok(SmtpSettings::Maildir(self.path(path)))
            }
        }
    }

    /// The server of `[section]` (at `span`), its TLS mode following the port unless set.
    fn server(
        &self,
        section: &str,
        span: Range<usize>,
        raw: &RawServer<'_>,
        default_port: u16,
    ) -> Result<Server, ConfigError> {
        let host = raw.host.cloned().ok_or_else(|| self.error(span, section, "host", "missing"))?;
        let tls = match raw.tls.map(|t| (t, *t.get_ref())) {
            None => tls_for_port(raw.port),
            Some((_, RawTls::Implicit)) => TlsMode::Implicit,
            Some((_, RawTls::StartTls)) => TlsMode::StartTls,
            Some((_, RawTls::None)) if is_loopback(&host) => TlsMode::None,
            Some((written, RawTls::None)) => {
                return Err(self.refuse(
                    written,
                    section,
                    "tls",
                    format!("tls = \"none\" is allowed only for loopback hosts, not `{host}`"),
                ));
            }
        };
        let port = raw.port.unwrap_or(match (tls, section) {
            (TlsMode::Implicit, "mailbox") => 993,
            (_, "mailbox") => 143,
            (TlsMode::Implicit, _) => 465,
            _ => default_port,
        });
        if let Some(written) = raw.tls
            && let Some(hint) = tls_port_mismatch(tls, port)
        {
            return Err(self.refuse(written, section, "tls", hint));
        }
        Ok(Server {
            port,
            tls,
            username: raw.username.cloned(),
            password: self.secret(section, raw)?,
            ca_file: raw.ca_file.map(|p| self.path(p)),
            tls_name: raw.tls_name.cloned().unwrap_or_else(|| host.clone()),
            host,
        })
    }

    fn secret(&self, section: &str, raw: &RawServer<'_>) -> Result<Option<Secret>, ConfigError> {
        if !self.read_secrets {
            return Ok(None);
        }
        if let Some(file) = raw.password_file {
            let path = self.path(file.get_ref());
            let value = std::fs::read_to_string(&path).map_err(|e| {
                self.refuse(file, section, "password_file", format!("cannot read {}: {e}", path.display()))
            })?;
            return Ok(Some(Secret::new(value.trim_end_matches(['\r', '\n']).to_string())));
        }
        if let Some(var) = raw.password_env {
            let value = std::env::var(var.get_ref()).map_err(|_| {
                self.refuse(
                    var,
                    section,
                    "password_env",
                    format!("environment variable {} is not set", var.get_ref()),
                )
            })?;
            return Ok(Some(Secret::new(value)));
        }
        Ok(None)
    }
}

/// The TLS mode a port implies when `tls` is not set: the submission and plain IMAP/SMTP
/// ports (143, 587, 25) start in plain text and upgrade with STARTTLS; every other port
/// (993, 465, or none given) speaks TLS from the first byte.
fn tls_for_port(port: Option<u16>) -> TlsMode {
    match port {
        Some(143 | 587 | 25) => TlsMode::StartTls,
        _ => TlsMode::Implicit,
    }
}

/// A `tls` mode, as written, that cannot work on a well-known port, with what to set
/// instead: implicit TLS on 143 or 587 fails with "received corrupt message", STARTTLS on
/// 993 or 465 hangs.
fn tls_port_mismatch(tls: TlsMode, port: u16) -> Option<String> {
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
