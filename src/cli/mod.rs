//! Command line: clap definitions and dispatch. Each command lives in its own file and
//! returns an exit code.

mod classify;
mod demo;
mod rules_cmd;
mod run;
mod sla;
mod tickets;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{self, Settings};
use crate::daemon::Failure;

/// deskmail: works a support mailbox — IMAP in, rules, tickets in SQLite, replies over SMTP.
#[derive(Debug, Parser)]
#[command(name = "deskmail", version, about)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work the mailbox: poll, process, answer. With --once, one pass for cron.
    Run {
        /// One pass, then exit (0 when it succeeded).
        #[arg(long)]
        once: bool,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Run one pass over the bundled sample mailbox, with no server: Maildir in, SQLite,
    /// replies into a local Maildir outbox. Prints what happened to each mail.
    Demo {
        /// Working directory for the demo (recreated on each run).
        #[arg(long, default_value = "deskmail-demo")]
        dir: PathBuf,
    },
    /// Parse and classify mail files; no side effects.
    Classify {
        /// Mail files (RFC 5322, `.eml`).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// One JSON object per mail.
        #[arg(long)]
        json: bool,
        /// Show which rules were tried, which matched, on which field and words.
        #[arg(long)]
        explain: bool,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Check or test the rule files.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// List the tickets.
    Tickets {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Ask the running daemon to re-read its rules and templates (SIGHUP); invalid ones are
    /// refused and the old ones kept.
    Reload {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Send a person's reply to a ticket, threaded on the customer's latest mail; it counts
    /// as the ticket's first response.
    Reply {
        /// Ticket number.
        ticket: i64,
        /// A template of the templates directory, in the customer's language.
        #[arg(long, conflicts_with = "body_file", required_unless_present = "body_file")]
        template: Option<String>,
        /// A file with the plain-text body.
        #[arg(long)]
        body_file: Option<PathBuf>,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Open tickets by time left before their first-response deadline, breaches, and
    /// compliance over a period.
    Sla {
        /// Compliance over the last DAYS days.
        #[arg(long, default_value_t = 30)]
        days: i64,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Mailbox, last poll, queues, open tickets and the next SLA deadline.
    Status {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// List quarantined mail with the reason each could not be processed.
    Quarantine {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Process quarantined mail again (after a fix to the rules, the templates or deskmail).
    Reprocess {
        /// Message id from `deskmail quarantine`.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<i64>,
        /// Every quarantined mail.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Show one ticket with its messages and outgoing mail.
    Show {
        /// Ticket number.
        ticket: i64,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        config: ConfigArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Report every problem in the rule files as `file:line:col: message`; exit 1 on any.
    Check {
        /// Rules directory.
        #[arg(default_value = "rules")]
        dir: PathBuf,
        /// Templates directory the rules refer to.
        #[arg(long, default_value = "templates")]
        templates: PathBuf,
    },
    /// Run the rules over the example mails in DIR/tests and compare with expected.toml.
    Test {
        #[arg(default_value = "rules")]
        dir: PathBuf,
        #[arg(long, default_value = "templates")]
        templates: PathBuf,
    },
}

/// `--config FILE`, defaulting to `deskmail.toml` or `$DESKMAIL_CONFIG`.
#[derive(Debug, clap::Args)]
pub struct ConfigArg {
    /// Configuration file.
    #[arg(long, env = "DESKMAIL_CONFIG", default_value = "deskmail.toml")]
    pub config: PathBuf,
}

impl ConfigArg {
    fn load(&self) -> Result<Settings, Failure> {
        config::load(&self.config).map_err(|e| Failure::Config(e.to_string()))
    }

    /// The configured settings, or the embedded demo settings when the default file is absent.
    fn load_or_demo(&self) -> Result<Settings, Failure> {
        if self.config == std::path::Path::new("deskmail.toml") && !self.config.exists() {
            return demo::settings(std::path::Path::new("deskmail-demo"));
        }
        self.load()
    }
}

/// Starts tracing on stderr, human-readable or JSON; `RUST_LOG` filters.
pub fn init_logging(cli: &Cli) {
    // The demo prints its own table; its log shows only problems unless RUST_LOG asks.
    let default = if matches!(cli.command, Command::Demo { .. }) { "warn" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default))
        // async-imap traces every command it sends, LOGIN with its password included: its
        // trace level never reaches our log, whatever RUST_LOG says.
        .add_directive("async_imap=debug".parse().expect("static directive"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    match cli.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// Runs a command and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    let result = match cli.command {
        Command::Run { once, config } => config.load().and_then(|s| run::run(&s, once)),
        Command::Demo { dir } => demo::demo(&dir),
        Command::Classify { files, json, explain, config } => {
            config.load_or_demo().and_then(|s| classify::classify(&s, &files, json, explain))
        }
        Command::Rules { command: RulesCommand::Check { dir, templates } } => {
            Ok(rules_cmd::check(&dir, &templates))
        }
        Command::Rules { command: RulesCommand::Test { dir, templates } } => {
            rules_cmd::test(&dir, &templates)
        }
        Command::Tickets { json, config } => config.load().and_then(|s| tickets::list(&s, json)),
        Command::Reply { ticket, template, body_file, config } => {
            config.load().and_then(|s| sla::reply(&s, ticket, template, body_file))
        }
        Command::Sla { days, json, config } => config.load().and_then(|s| sla::report(&s, days, json)),
        Command::Status { json, config } => config.load().and_then(|s| sla::status(&s, json)),
        Command::Reload { config } => config.load().and_then(|s| run::reload(&s)),
        Command::Quarantine { json, config } => config.load().and_then(|s| tickets::quarantine(&s, json)),
        Command::Reprocess { id, all: _, config } => config.load().and_then(|s| tickets::reprocess(&s, id)),
        Command::Show { ticket, json, config } => config.load().and_then(|s| tickets::show(&s, ticket, json)),
    };
    match result {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("deskmail: {failure}");
            failure.exit_code()
        }
    }
}

/// A Unix time as `2026-11-22 09:48` in the configured zone.
fn local(settings: &Settings, seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.to_zoned(settings.time_zone.clone()).strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| seconds.to_string())
}
