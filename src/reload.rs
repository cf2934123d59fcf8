//! Reloading a running daemon (SIGHUP, `deskmail reload`): the configuration file is read
//! again and its reloadable parts taken, the rules and templates are loaded and checked
//! together, and the verdict (the new set's fingerprint, or every problem) is written to the
//! database, where `deskmail reload` waits for it and `deskmail status` shows it. A refused
//! reload keeps everything in use.
//!
//! Reloadable: `[support]`, `[sla]`, `[rules]`, `[templates]` and the rest of the policy.
//! Taken only at start: `[mailbox]`, `[smtp]`, `[storage]` and `[metrics]` (connections, the
//! database and the listening socket are open); a change there is reported as needing a
//! restart.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{self, Settings};
use crate::policy::{self, Loaded};
use crate::store::{Store, StoreError};

/// The `daemon_state` key of the rule set in use.
pub const IN_USE: &str = "rules_in_use";

/// The `daemon_state` key of the last reload's verdict.
pub const LAST_RELOAD: &str = "last_reload";

/// The rules and templates a daemon works with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSetInUse {
    /// SHA-256 (first 16 hex digits) of every rule and template file, names and bytes.
    pub fingerprint: String,
    /// Unix time of the load.
    #[serde(serialize_with = "crate::timefmt::rfc3339", deserialize_with = "from_rfc3339")]
    pub loaded_at: i64,
    pub rules: usize,
}

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    #[serde(serialize_with = "crate::timefmt::rfc3339", deserialize_with = "from_rfc3339")]
    pub at: i64,
    /// The new set was taken.
    pub accepted: bool,
    /// Every problem that refused it.
    pub problems: Vec<String>,
    /// Changed sections that only a restart applies.
    pub restart_needed: Vec<String>,
    /// The set in use after the reload.
    pub fingerprint: String,
}

fn from_rfc3339<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let text = String::deserialize(d)?;
    text.parse::<jiff::Timestamp>().map(|t| t.as_second()).map_err(serde::de::Error::custom)
}

/// The fingerprint of the rule and template files `settings` names.
pub fn fingerprint(settings: &Settings) -> String {
    let mut files = Vec::new();
    collect(&settings.rules_dir, &mut files);
    collect(&settings.templates_dir, &mut files);
    files.sort();
    let mut hash = Sha256::new();
    for path in files {
        hash.update(path.to_string_lossy().as_bytes());
        hash.update([0]);
        hash.update(std::fs::read(&path).unwrap_or_default());
        hash.update([0]);
    }
    hash.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn collect(dir: &std::path::Path, files: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for path in entries.filter_map(Result::ok).map(|e| e.path()) {
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}

/// Records the set in use (at start-up and after an accepted reload).
pub fn record_in_use(
    store: &Store,
    settings: &Settings,
    loaded: &Loaded,
    now: i64,
) -> Result<(), StoreError> {
    let in_use =
        RuleSetInUse { fingerprint: fingerprint(settings), loaded_at: now, rules: loaded.rules.len() };
    store.set_state(IN_USE, &serde_json::to_string(&in_use).unwrap_or_default())
}

/// The set in use, as the daemon recorded it.
pub fn in_use(store: &Store) -> Result<Option<RuleSetInUse>, StoreError> {
    Ok(store.state(IN_USE)?.and_then(|v| serde_json::from_str(&v).ok()))
}

/// The last reload's verdict.
pub fn last(store: &Store) -> Result<Option<Verdict>, StoreError> {
    Ok(store.state(LAST_RELOAD)?.and_then(|v| serde_json::from_str(&v).ok()))
}

/// Reloads: the new settings and rules, or the old ones with every problem. The verdict is
/// recorded and logged.
pub fn reload(
    store: &Store,
    current: &Settings,
    old: Loaded,
    now: i64,
) -> Result<(Settings, Loaded), StoreError> {
    let (next, restart_needed) = match &current.config_file {
        Some(path) => match config::load(path) {
            Ok(new) => merge(current, new),
            Err(e) => return refuse(store, current, old, vec![e.to_string()], now),
        },
        None => (current.clone(), Vec::new()),
    };
    let loaded = match policy::load(&next) {
        Ok(loaded) => loaded,
        Err(problems) => return refuse(store, current, old, problems.0, now),
    };
    record_in_use(store, &next, &loaded, now)?;
    let verdict = Verdict {
        at: now,
        accepted: true,
        problems: Vec::new(),
        restart_needed: restart_needed.clone(),
        fingerprint: fingerprint(&next),
    };
    store.set_state(LAST_RELOAD, &serde_json::to_string(&verdict).unwrap_or_default())?;
    tracing::info!(rules = loaded.rules.len(), fingerprint = %verdict.fingerprint, "reloaded rules and templates");
    for section in &restart_needed {
        tracing::warn!(%section, "changed in the configuration; only a restart applies it");
    }
    Ok((next, loaded))
}

fn refuse(
    store: &Store,
    current: &Settings,
    old: Loaded,
    problems: Vec<String>,
    now: i64,
) -> Result<(Settings, Loaded), StoreError> {
    for problem in &problems {
        tracing::error!(%problem, "reload failed; keeping the rules and templates in use");
    }
    let verdict = Verdict {
        at: now,
        accepted: false,
        problems,
        restart_needed: Vec::new(),
        fingerprint: fingerprint(current),
    };
    store.set_state(LAST_RELOAD, &serde_json::to_string(&verdict).unwrap_or_default())?;
    Ok((current.clone(), old))
}

/// The new settings with the start-only parts of the old ones, and which of those changed.
fn merge(old: &Settings, mut new: Settings) -> (Settings, Vec<String>) {
    let mut restart_needed = Vec::new();
    let mut keep = |name: &str, changed: bool| {
        if changed {
            restart_needed.push(name.to_string());
        }
    };
    keep("mailbox", format!("{:?}", old.mailbox) != format!("{:?}", new.mailbox));
    keep(
        "mailbox (poll_interval, batch_size, max_message_bytes, timeout)",
        (old.poll_interval, old.batch_size, old.max_message_bytes, old.mailbox_timeout)
            != (new.poll_interval, new.batch_size, new.max_message_bytes, new.mailbox_timeout),
    );
    keep("smtp", format!("{:?}", old.smtp) != format!("{:?}", new.smtp));
    keep("storage", old.database != new.database);
    keep("metrics", old.metrics_listen != new.metrics_listen);
    new.mailbox = old.mailbox.clone();
    new.smtp = old.smtp.clone();
    new.database = old.database.clone();
    new.metrics_listen = old.metrics_listen;
    new.poll_interval = old.poll_interval;
    new.batch_size = old.batch_size;
    new.max_message_bytes = old.max_message_bytes;
    new.mailbox_timeout = old.mailbox_timeout;
    new.self_copy = old.self_copy.clone();
    new.confirm_within = old.confirm_within;
    new.retry_base = old.retry_base;
    (new, restart_needed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str) -> Settings {
        config::from_str(text, "x.toml", std::path::Path::new(".")).unwrap()
    }

    const BASE: &str = "[mailbox]\nkind = \"maildir\"\npath = \"mail\"\n[smtp]\nkind = \"maildir\"\npath = \"out\"\n\
                        [support]\naddress = \"support@example.test\"\nname = \"Old\"\n[storage]\npath = \"a.db\"\n";

    #[test]
    fn a_reload_takes_the_policy_and_keeps_the_connections() {
        let old = settings(BASE);
        let new = settings(&BASE.replace("name = \"Old\"", "name = \"New\"").replace("a.db", "b.db"));
        let (merged, restart) = merge(&old, new);
        assert_eq!(merged.support_name, "New");
        assert_eq!(merged.database, old.database, "the open database stays");
        assert_eq!(restart, ["storage"]);
    }

    #[test]
    fn a_verdict_reads_back_as_written() {
        let verdict = Verdict {
            at: 1_796_716_800,
            accepted: false,
            problems: vec!["rules/10-x.toml:3:1: unknown key".into()],
            restart_needed: Vec::new(),
            fingerprint: "0123456789abcdef".into(),
        };
        let text = serde_json::to_string(&verdict).unwrap();
        assert!(text.contains("2026-12-08T08:00:00Z"), "{text}");
        assert_eq!(serde_json::from_str::<Verdict>(&text).unwrap(), verdict);
    }
}
