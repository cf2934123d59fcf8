//! Command line: where a command's configuration, rules and templates come from (`--config`,
//! `--rules`, `--templates`, or the built-in defaults).

use std::path::{Path, PathBuf};

use crate::config::{self, Settings};
use crate::defaults;

use super::{Failure, demo};

/// Where the rules and templates come from: `--rules`/`--templates`, else the
/// configuration's `[rules]` and `[templates]` (`--config`, `$DESKMAIL_CONFIG` or
/// `/etc/deskmail/deskmail.toml`; a file with only those sections is enough). A rules
/// directory given without templates takes the `templates` directory beside it.
#[derive(Debug, clap::Args)]
pub struct PolicyArgs {
    /// Rules directory.
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Templates directory.
    #[arg(long)]
    pub templates: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArg,
}

impl PolicyArgs {
    /// The settings for a command that reads rules and templates. `builtin`: with neither a
    /// directory nor a configuration, use the built-in defaults (said on stderr) instead of
    /// refusing.
    pub(super) fn settings(
        &self,
        rules: Option<&Path>,
        builtin: bool,
    ) -> Result<(Settings, Option<defaults::Copy>), Failure> {
        let rules = rules.or(self.rules.as_deref());
        let configured = self.config.config.is_some() || Path::new(DEFAULT_CONFIG).exists();
        let (mut settings, copy) = if configured {
            let path = self.config.path();
            (config::load_for_rules(&path).map_err(Failure::config)?, None)
        } else if rules.is_some() || self.templates.is_some() {
            (demo::settings(Path::new("."))?, None)
        } else if builtin {
            let (settings, copy) = self.config.load_or_defaults()?;
            (settings, copy)
        } else {
            return Err(Failure::Usage(format!(
                "no rules directory named and no configuration ({DEFAULT_CONFIG}): give DIR, --rules or --config"
            )));
        };
        if let Some(dir) = rules {
            settings.rules_dir = dir.to_path_buf();
            let beside = dir.parent().unwrap_or(Path::new(".")).join("templates");
            if self.templates.is_none() && beside.is_dir() {
                settings.templates_dir = beside;
            }
        }
        if let Some(dir) = &self.templates {
            settings.templates_dir = dir.clone();
        }
        Ok((settings, copy))
    }
}

/// Where the configuration is when none is named.
pub const DEFAULT_CONFIG: &str = "/etc/deskmail/deskmail.toml";

/// `--config FILE`, defaulting to `$DESKMAIL_CONFIG`, then `/etc/deskmail/deskmail.toml`.
#[derive(Debug, clap::Args)]
pub struct ConfigArg {
    /// Configuration file [default: /etc/deskmail/deskmail.toml].
    #[arg(long, env = "DESKMAIL_CONFIG")]
    pub config: Option<PathBuf>,
}

impl ConfigArg {
    /// The configuration file named, or the default one.
    pub(super) fn path(&self) -> PathBuf {
        self.config.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG))
    }

    pub(super) fn load(&self) -> Result<Settings, Failure> {
        config::load(&self.path()).map_err(Failure::config)
    }

    /// For commands that only read the database: the passwords are not read, so reading the
    /// queue needs no secret.
    pub(super) fn load_for_reading(&self) -> Result<Settings, Failure> {
        config::load_without_secrets(&self.path()).map_err(Failure::config)
    }

    /// The configured settings; when no file is named and the default one is absent, the
    /// built-in default rules and templates (a private copy, removed when dropped), said
    /// once on stderr.
    pub(super) fn load_or_defaults(&self) -> Result<(Settings, Option<defaults::Copy>), Failure> {
        if self.config.is_some() || std::path::Path::new(DEFAULT_CONFIG).exists() {
            return self.load().map(|s| (s, None));
        }
        let copy = defaults::Copy::rules_and_templates().map_err(|e| {
            Failure::temporary(format!("cannot write the built-in rules to a temporary directory: {e}"))
        })?;
        let mut settings = demo::settings(&copy.dir)?;
        settings.rules_dir = copy.dir.join("rules");
        settings.templates_dir = copy.dir.join("templates");
        eprintln!(
            "deskmail: no configuration ({DEFAULT_CONFIG}): using the built-in default rules and templates"
        );
        Ok((settings, Some(copy)))
    }
}
