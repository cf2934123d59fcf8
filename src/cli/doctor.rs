//! `deskmail check-config` (alias `doctor`): checks a configuration before it goes live —
//! the file, rules and templates, the database path, an IMAP login with the folders, an
//! SMTP login, and where the self-copies of sent mail will arrive — without processing or
//! sending anything. One line per check, `ok` or `FAIL` with a hint; exit 0 or 1.

use std::path::Path;

use super::Failure;
use super::output::outln;
use crate::config::{MailboxSettings, Settings, SmtpSettings};
use crate::daemon;
use crate::send::smtp::SmtpTransport;
use crate::source::imap::ImapSource;

/// The verdict of one check.
enum Check {
    Ok(String),
    Fail { what: String, hint: String },
}

pub fn check_config(config: &Path, settings: Result<Settings, Failure>) -> Result<i32, Failure> {
    let mut failed = 0;
    let mut report = |name: &str, check: Check| -> Result<(), Failure> {
        match check {
            Check::Ok(detail) => outln!("ok    {name:<12} {detail}"),
            Check::Fail { what, hint } => {
                failed += 1;
                outln!("FAIL  {name:<12} {what}");
                outln!("      {:<12} hint: {hint}", "");
            }
        }
        Ok(())
    };
    let settings = match settings {
        Ok(settings) => {
            report("config", Check::Ok(config.display().to_string()))?;
            settings
        }
        Err(e) => {
            report(
                "config",
                Check::Fail { what: e.to_string(), hint: "see deskmail.example.toml for every key".into() },
            )?;
            outln!("1 check failed");
            return Ok(1);
        }
    };
    report("rules", rules(&settings))?;
    report("database", database(&settings.database))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::temporary(format!("cannot start the runtime: {e}")))?;
    let (mailbox, folders) = runtime.block_on(mailbox(&settings));
    report("mailbox", mailbox)?;
    for (name, check) in folders {
        report(&name, check)?;
    }
    report("smtp", runtime.block_on(smtp(&settings)))?;
    report("self-copy", self_copy(&settings))?;
    if failed == 0 {
        outln!("all checks passed");
        Ok(0)
    } else {
        outln!("{failed} check(s) failed");
        Ok(1)
    }
}

fn rules(settings: &Settings) -> Check {
    match daemon::load(settings) {
        Ok(loaded) => Check::Ok(format!(
            "{} rules from {}, templates from {}",
            loaded.rules.len(),
            settings.rules_dir.display(),
            settings.templates_dir.display()
        )),
        Err(e) => Check::Fail {
            what: e.to_string(),
            hint: format!(
                "deskmail rules check {} --templates {}",
                settings.rules_dir.display(),
                settings.templates_dir.display()
            ),
        },
    }
}

/// The database exists and opens, or its directory is there for `run` to create it.
fn database(path: &Path) -> Check {
    if path.is_file() {
        return match crate::store::Store::open_read_only(path) {
            Ok(_) => Check::Ok(format!("{} opens", path.display())),
            Err(e) => {
                Check::Fail { what: e.to_string(), hint: "check [storage] path and its permissions".into() }
            }
        };
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if parent.is_dir() {
        Check::Ok(format!("{} does not exist yet: `deskmail run` creates it", path.display()))
    } else {
        Check::Fail {
            what: format!("the directory {} does not exist", parent.display()),
            hint: "create it, owned by the user deskmail runs as, or fix [storage] path".into(),
        }
    }
}

/// Logs in and lists the folders (IMAP), or looks at the Maildir.
async fn mailbox(settings: &Settings) -> (Check, Vec<(String, Check)>) {
    match &settings.mailbox {
        MailboxSettings::Maildir { path, .. } => {
            let check = if path.join("new").is_dir() || path.join("cur").is_dir() {
                Check::Ok(format!("Maildir {}", path.display()))
            } else {
                Check::Fail {
                    what: format!("{} is not a Maildir (no new/ or cur/)", path.display()),
                    hint: "fix [mailbox] path".into(),
                }
            };
            (check, Vec::new())
        }
        MailboxSettings::Imap { server, folders } => {
            let source = ImapSource::new(server.clone(), folders.clone(), 1, 0, settings.mailbox_timeout);
            match source.check().await {
                Ok(found) => {
                    let target = format!(
                        "logged in to {}:{} as {}",
                        server.host,
                        server.port,
                        server.username.as_deref().unwrap_or("-")
                    );
                    let folders = found
                        .into_iter()
                        .enumerate()
                        .map(|(i, (name, exists))| {
                            (format!("folder {}", i + 1), folder(&name, exists, i == 0))
                        })
                        .collect();
                    (Check::Ok(target), folders)
                }
                Err(e) => (
                    Check::Fail {
                        what: crate::chain::Chain(&e).to_string(),
                        hint: "check [mailbox] host, port, tls, username and the password file".into(),
                    },
                    Vec::new(),
                ),
            }
        }
    }
}

fn folder(name: &str, exists: bool, inbox: bool) -> Check {
    match (exists, inbox) {
        (true, _) => Check::Ok(format!("{name} exists")),
        (false, false) => Check::Ok(format!("{name} is missing: `deskmail run` creates it")),
        (false, true) => Check::Fail {
            what: format!("the inbox {name} does not exist"),
            hint: "fix [mailbox] inbox".into(),
        },
    }
}

async fn smtp(settings: &Settings) -> Check {
    match &settings.smtp {
        SmtpSettings::Maildir(path) => {
            Check::Ok(format!("replies written to the Maildir {}", path.display()))
        }
        SmtpSettings::Smtp(server) => {
            let transport = match SmtpTransport::new(server) {
                Ok(transport) => transport,
                Err(e) => {
                    return Check::Fail { what: e.to_string(), hint: "check [smtp] tls and ca_file".into() };
                }
            };
            match transport.check().await {
                Ok(()) => Check::Ok(format!(
                    "logged in to {}:{} as {} (nothing sent)",
                    server.host,
                    server.port,
                    server.username.as_deref().unwrap_or("-")
                )),
                Err(e) => Check::Fail {
                    what: e.to_string(),
                    hint: "check [smtp] host, port, tls, username and the password file".into(),
                },
            }
        }
    }
}

/// Where the copy of each sent mail goes: it must come back into the inbox deskmail reads,
/// or a crash between the server's acceptance and the `sent` mark sends the mail twice.
fn self_copy(settings: &Settings) -> Check {
    let Some(copy) = &settings.self_copy else {
        return Check::Ok("off: a mail interrupted by a crash may be sent twice".into());
    };
    let user = match &settings.mailbox {
        MailboxSettings::Imap { server, .. } => server.username.clone().unwrap_or_default().to_lowercase(),
        MailboxSettings::Maildir { .. } => String::new(),
    };
    if !user.contains('@') || user == *copy {
        Check::Ok(format!("copies of sent mail go to {copy}, the mailbox deskmail reads"))
    } else {
        Check::Fail {
            what: format!("copies of sent mail go to {copy}, but the mailbox logs in as {user}"),
            hint: format!(
                "make sure mail to {copy} is delivered to {user}'s inbox, or set [support] address"
            ),
        }
    }
}
