//! Configuration: the TOML file is read into documented raw structs (`raw`), then validated
//! (`validate`) into [`Settings`] (`settings`) with resolved paths and secrets (`secret`).
//! Every error names the file, line, column and key.

mod raw;
mod secret;
mod settings;
mod validate;

use std::path::Path;

pub use secret::Secret;
pub use settings::{Folders, MailboxSettings, QueueFolders, Server, Settings, SmtpSettings, TlsMode};
pub use validate::is_loopback;

use crate::located::Located;
use validate::Validator;

/// A configuration error, printed as `file:line:col: key: message` (line 0 when it concerns
/// the file as a whole, or a key the file does not write).
#[derive(Debug, thiserror::Error)]
#[error("{}:{}:{}: {key}: {}", at.file.display(), at.line, at.col, at.message)]
pub struct ConfigError {
    /// `section.key`, or `-` when no key is to blame.
    pub key: String,
    pub at: Located,
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
        key: "-".into(),
        at: Located::whole(path, format!("cannot read the configuration file: {e}")),
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
    let raw: raw::RawConfig = toml::from_str(text).map_err(|e| ConfigError {
        key: key_of(&e),
        at: Located::at(file, text, e.span().map_or(0, |s| s.start), e.message().trim()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::SignedDuration;
    use std::path::PathBuf;

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
        assert_eq!((e.at.line, e.key.as_str()), (15, "colour"), "{e}");
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
        assert_eq!(e.at.line, 9);
    }

    #[test]
    fn missing_password_file_is_named() {
        let text = MINIMAL.replace(
            "kind = \"maildir\"\npath = \"outbox\"",
            "kind = \"smtp\"\nhost = \"127.0.0.1\"\npassword_file = \"/nonexistent/pw\"",
        );
        let e = from_str(&text, "x.toml", Path::new(".")).unwrap_err();
        assert_eq!(e.key, "smtp.password_file");
        assert!(e.at.message.contains("/nonexistent/pw"));
    }

    #[test]
    fn the_documented_example_parses_but_for_its_password_files() {
        let text = include_str!("../../deskmail.example.toml");
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
        assert!(e.at.message.contains("set tls = \"starttls\""), "{e}");
        let e = smtp_server("port = 465\ntls = \"starttls\"").unwrap_err();
        assert!(e.at.message.contains("set tls = \"implicit\""), "{e}");
    }

    /// The keys serde accepts in `[section]`, read from its "unknown field" message.
    fn accepted_keys(section: &str) -> Vec<String> {
        let probe = MINIMAL.replace(&format!("[{section}]\n"), &format!("[{section}]\nzz_probe = 1\n"));
        let probe = if probe == MINIMAL { format!("{MINIMAL}\n[{section}]\nzz_probe = 1\n") } else { probe };
        let e = from_str(&probe, "x.toml", Path::new(".")).unwrap_err();
        let (_, expected) = e.at.message.split_once("expected").unwrap_or_else(|| panic!("{section}: {e}"));
        expected.split('`').skip(1).step_by(2).map(str::to_string).collect()
    }

    #[test]
    fn the_example_documents_every_key() {
        let example = include_str!("../../deskmail.example.toml");
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
        assert_eq!((e.key.as_str(), e.at.line), ("trust.automatic_mail", 17), "{e}");
        let text = format!("{MINIMAL}\n[trust]\nautomatic_mail = \"strict\"\n");
        assert!(from_str(&text, "x.toml", Path::new(".")).unwrap_err().at.message.contains("unknown policy"));
    }

    /// Regression (issue 24): errors were located by scanning the text for the key, and a
    /// comment after `[smtp]` hid the section: the error said line 0.
    #[test]
    fn regression_a_comment_after_a_section_header_does_not_lose_the_line() {
        let text = MINIMAL.replace(
            "[smtp]\nkind = \"maildir\"\npath = \"outbox\"",
            "[smtp] # the relay\nkind = \"smtp\"\nhost = \"smtp.example.com\"\ntls = \"none\"",
        );
        let e = from_str(&text, "x.toml", Path::new(".")).unwrap_err();
        assert_eq!((e.key.as_str(), e.at.line, e.at.col), ("smtp.tls", 9, 7), "{e}");
    }

    #[test]
    fn a_kind_tls_or_settle_not_in_its_set_is_refused_by_the_parser_with_line_and_column() {
        for (from, to, line, col) in [
            ("kind = \"maildir\"\npath = \"mail\"", "kind = \"pop3\"\npath = \"mail\"", 3, 8),
            ("path = \"outbox\"", "path = \"outbox\"\ntls = \"ssl\"", 9, 7),
            ("path = \"mail\"", "path = \"mail\"\nsettle = \"delete\"", 5, 10),
        ] {
            let e = from_str(&MINIMAL.replacen(from, to, 1), "x.toml", Path::new(".")).unwrap_err();
            assert_eq!((e.at.line, e.at.col), (line, col), "{e}");
            assert!(e.at.message.contains("unknown variant"), "{e}");
        }
    }

    #[test]
    fn a_key_a_section_lacks_is_reported_at_the_section() {
        let text = MINIMAL.replace("kind = \"maildir\"\npath = \"outbox\"", "kind = \"smtp\"");
        let e = from_str(&text, "x.toml", Path::new(".")).unwrap_err();
        assert_eq!(e.key, "smtp.host");
        assert!(e.at.line >= 6 && e.at.line <= 7, "at [smtp], not line 0: {e}");
    }
}
