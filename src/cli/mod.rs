//! Command line: clap definitions and dispatch. Each command lives in its own file and
//! returns an exit code.

mod classify;
mod demo;
mod doctor;
mod failure;
mod manuals;
mod output;
mod purge;
mod queue;
mod replay;
mod reply;
mod rules_cmd;
mod run;
mod sla;
mod spam;
mod tickets;

pub use failure::{Cause, Failure};

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{self, Settings};
use crate::defaults;

/// deskmail: works a support mailbox — IMAP in, rules, tickets in SQLite, replies over SMTP.
#[derive(Debug, Parser)]
#[command(name = "deskmail", version, about)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Log more: -v what was done (info), -vv details (debug). Without it a command logs only
    /// problems, so a cron pass that went well prints nothing; the daemon logs what it does.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
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
        /// Directory for the demo: created, or one an earlier demo made (its files are
        /// replaced); a non-empty directory the demo did not make is refused.
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
        policy: PolicyArgs,
    },
    /// Check or test the rule files.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// List the tickets, newest first (with --search, newest match first): every filter given
    /// must hold.
    Tickets {
        /// needs-person (a customer waits for a person), waiting (for the customer), closed.
        #[arg(long, value_parser = parse_state)]
        state: Option<crate::store::TicketStatus>,
        #[arg(long)]
        category: Option<String>,
        /// Assigned to this person.
        #[arg(long, conflicts_with = "unassigned")]
        assignee: Option<String>,
        /// Assigned to nobody.
        #[arg(long)]
        unassigned: bool,
        /// Needs a person and past its deadline.
        #[arg(long)]
        overdue: bool,
        /// The customer's address.
        #[arg(long)]
        customer: Option<String>,
        /// Words found in the subject or the customer's text (Chinese too: no spaces needed).
        /// Listed newest match first: by the latest text holding the word (with several, the
        /// longest), so a ticket the customer just wrote on again comes first.
        #[arg(long)]
        search: Option<String>,
        /// At most N tickets, the newest (0: all). A year's tickets are too many to list.
        #[arg(long, value_name = "N", default_value_t = 100)]
        limit: u32,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Assign a ticket to a person (or, with --nobody, to no one).
    Assign {
        ticket: i64,
        #[arg(required_unless_present = "nobody")]
        person: Option<String>,
        #[arg(long, conflicts_with = "person")]
        nobody: bool,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Add an internal note to a ticket: for staff, never sent to the customer.
    Note {
        ticket: i64,
        /// The note's words.
        #[arg(required_unless_present = "file", conflicts_with = "file")]
        text: Vec<String>,
        /// Read the note from a file.
        #[arg(long)]
        file: Option<PathBuf>,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Close a ticket. A customer's new mail within `[tickets] reopen_within` opens it again.
    Close {
        ticket: i64,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Open a closed or waiting ticket again: it needs a person, with a new deadline.
    Reopen {
        ticket: i64,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Correct a ticket's category; the correction is kept for the rules' second opinion to
    /// learn from.
    Reclassify {
        ticket: i64,
        category: String,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Ask the running daemon to re-read its rules and templates (SIGHUP); invalid ones are
    /// refused and the old ones kept.
    Reload {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Show a person's reply to a ticket as it will go out, and send it when confirmed (or
    /// at once with --send): threaded on the customer's latest mail, it hands the ticket to
    /// the customer (waiting). An empty body and staff-only templates are refused.
    Reply {
        /// Ticket number.
        ticket: i64,
        /// A template of the templates directory, in the customer's language.
        #[arg(long, conflicts_with = "body_file", required_unless_present = "body_file")]
        template: Option<String>,
        /// A file with the plain-text body.
        #[arg(long)]
        body_file: Option<PathBuf>,
        /// Send without asking (for scripts). Without it, the mail is shown and sent only
        /// when confirmed on a terminal.
        #[arg(long)]
        send: bool,
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
    /// Check a configuration before it goes live: the file, rules and templates, the
    /// database path, an IMAP login and its folders, an SMTP login, where the self-copies of
    /// sent mail arrive. Nothing is processed or sent. Exit 0 when every check passes, else 1.
    #[command(visible_alias = "doctor")]
    CheckConfig {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Copy the database to FILE with SQLite's online backup, safe while the daemon runs.
    /// (Upgrades that change the schema keep a backup themselves, `DB.before-vN.bak`.)
    Backup {
        /// The new file; an existing one is never overwritten.
        file: PathBuf,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Print the shell completion script for SHELL on stdout.
    Completions { shell: clap_complete::Shell },
    /// Write the man pages (deskmail.1 and one per command) into DIR.
    Man { dir: PathBuf },
    /// List mail held as spam (by a trusted spam filter's verdict: no ticket, moved to the
    /// spam folder), or release one as not spam, which takes it in as a customer's mail.
    Spam {
        /// Release this mail (its id from `deskmail spam`) as not spam: it gets a ticket, and
        /// automatic mail as the authentication policy allows.
        #[arg(long, value_name = "ID")]
        release: Option<i64>,
        #[arg(long, conflicts_with = "release")]
        json: bool,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Purge the raw mail and texts that `[retention]` says were kept long enough (the
    /// tickets and their metadata stay), then give the space back.
    Purge {
        /// Only show what would be purged.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
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
        /// Rules directory [default: the configuration's `[rules] dir`].
        dir: Option<PathBuf>,
        #[command(flatten)]
        policy: PolicyArgs,
    },
    /// Run the rules over the example mails in DIR/tests and compare with expected.toml.
    Test {
        /// Rules directory [default: the configuration's `[rules] dir`].
        dir: Option<PathBuf>,
        #[command(flatten)]
        policy: PolicyArgs,
    },
    /// Run candidate rules (--rules, --templates) over the mail stored in the configured
    /// database and show what would change; nothing is written or sent.
    Replay {
        /// How far back: `30d`, `12h`, `90m`.
        #[arg(long, default_value = "30d", value_parser = parse_since)]
        since: jiff::SignedDuration,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        policy: PolicyArgs,
    },
}

/// A duration as `30d`, `12h` or anything jiff reads (`1h30m`).
fn parse_since(text: &str) -> Result<jiff::SignedDuration, String> {
    if let Some(days) = text.strip_suffix('d').and_then(|d| d.trim().parse::<i64>().ok()) {
        return Ok(jiff::SignedDuration::from_hours(days * 24));
    }
    text.parse().map_err(|e| format!("{e} (e.g. 30d, 12h, 90m)"))
}

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
    fn settings(
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
    fn path(&self) -> PathBuf {
        self.config.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG))
    }

    fn load(&self) -> Result<Settings, Failure> {
        config::load(&self.path()).map_err(Failure::config)
    }

    /// For commands that only read the database: the passwords are not read, so reading the
    /// queue needs no secret.
    fn load_for_reading(&self) -> Result<Settings, Failure> {
        config::load_without_secrets(&self.path()).map_err(Failure::config)
    }

    /// The configured settings; when no file is named and the default one is absent, the
    /// built-in default rules and templates (a private copy, removed when dropped), said
    /// once on stderr.
    fn load_or_defaults(&self) -> Result<(Settings, Option<defaults::Copy>), Failure> {
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

/// Starts tracing on stderr, human-readable or JSON; `RUST_LOG` filters.
pub fn init_logging(cli: &Cli) {
    // Commands print their own results and log only problems (a quiet cron pass); the daemon
    // under systemd logs what it does. -v and -vv ask for more; RUST_LOG overrides both.
    let daemon = matches!(cli.command, Command::Run { once: false, .. });
    let default = match (cli.verbose, daemon) {
        (0, false) => "warn",
        (0, true) | (1, _) => "info",
        _ => "debug",
    };
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
        Command::Classify { files, json, explain, policy } => {
            policy.settings(None, true).and_then(|(s, _copy)| classify::classify(&s, &files, json, explain))
        }
        Command::Rules { command: RulesCommand::Check { dir, policy } } => policy
            .settings(dir.as_deref(), false)
            .and_then(|(s, _)| rules_cmd::check(&s.rules_dir, &s.templates_dir)),
        Command::Rules { command: RulesCommand::Replay { since, json, policy } } => {
            if policy.config.config.is_none() && !Path::new(DEFAULT_CONFIG).exists() {
                Err(Failure::Usage(format!(
                    "replay reads the database of a configuration: give --config (none at {DEFAULT_CONFIG})"
                )))
            } else {
                policy.settings(None, false).and_then(|(s, _)| replay::replay(&s, since, json))
            }
        }
        Command::Rules { command: RulesCommand::Test { dir, policy } } => policy
            .settings(dir.as_deref(), false)
            .and_then(|(s, _)| rules_cmd::test(&s.rules_dir, &s.templates_dir)),
        Command::Tickets {
            state,
            category,
            assignee,
            unassigned,
            overdue,
            customer,
            search,
            limit,
            json,
            config,
        } => {
            let filter = crate::store::TicketFilter {
                status: state,
                category,
                assignee: if unassigned { Some(String::new()) } else { assignee },
                customer,
                overdue_at: overdue.then(|| jiff::Timestamp::now().as_second()),
                search,
                limit: (limit > 0).then_some(limit),
            };
            config.load_for_reading().and_then(|s| tickets::list(&s, &filter, json))
        }
        Command::Assign { ticket, person, nobody: _, config } => {
            config.load_for_reading().and_then(|s| queue::act(&s, ticket, queue::Action::Assign(person)))
        }
        Command::Note { ticket, text, file, config } => config.load_for_reading().and_then(|s| {
            let text = match file {
                Some(path) => std::fs::read_to_string(&path)
                    .map_err(|e| Failure::NoInput(format!("{}: {e}", path.display())))?,
                None => text.join(" "),
            };
            queue::act(&s, ticket, queue::Action::Note(text))
        }),
        Command::Close { ticket, config } => {
            config.load_for_reading().and_then(|s| queue::act(&s, ticket, queue::Action::Close))
        }
        Command::Reopen { ticket, config } => {
            config.load_for_reading().and_then(|s| queue::act(&s, ticket, queue::Action::Reopen))
        }
        Command::Reclassify { ticket, category, config } => config
            .load_for_reading()
            .and_then(|s| queue::act(&s, ticket, queue::Action::Reclassify(category))),
        Command::Reply { ticket, template, body_file, send, config } => {
            config.load().and_then(|s| reply::reply(&s, ticket, template, body_file, send))
        }
        Command::Sla { days, json, config } => {
            config.load_for_reading().and_then(|s| sla::report(&s, days, json))
        }
        Command::Status { json, config } => config.load_for_reading().and_then(|s| sla::status(&s, json)),
        Command::Reload { config } => config.load().and_then(|s| run::reload(&s)),
        Command::Quarantine { json, config } => {
            config.load_for_reading().and_then(|s| tickets::quarantine(&s, json))
        }
        Command::Reprocess { id, all: _, config } => config.load().and_then(|s| tickets::reprocess(&s, id)),
        Command::Spam { release: Some(id), config, .. } => config.load().and_then(|s| spam::release(&s, id)),
        Command::Spam { release: None, json, config } => {
            config.load_for_reading().and_then(|s| spam::list(&s, json))
        }
        Command::Show { ticket, json, config } => {
            config.load_for_reading().and_then(|s| tickets::show(&s, ticket, json))
        }
        Command::Purge { dry_run, json, config } => {
            config.load_for_reading().and_then(|s| purge::purge(&s, dry_run, json))
        }
        Command::CheckConfig { config } => doctor::check_config(&config.path(), config.load()),
        Command::Backup { file, config } => {
            config.load_for_reading().and_then(|s| tickets::backup(&s, &file))
        }
        Command::Completions { shell } => manuals::completions(shell),
        Command::Man { dir } => manuals::man(&dir),
    };
    match result {
        Ok(code) => code,
        Err(Failure::Closed) => 0,
        Err(failure) => {
            eprintln!("deskmail: {}", crate::chain::Chain(&failure));
            failure.exit_code()
        }
    }
}

/// A Unix time as `2026-11-22 09:48 +08:00` in the configured zone.
fn local(settings: &Settings, seconds: i64) -> String {
    crate::timefmt::local(&settings.time_zone, seconds)
}

/// Who runs a staff command, for the ticket's history: `$DESKMAIL_STAFF`, else the login name.
fn staff_name() -> String {
    ["DESKMAIL_STAFF", "USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
        .unwrap_or_else(|| "staff".into())
}

/// A ticket state as written on the command line (`needs-person` or `needs_person`).
fn parse_state(text: &str) -> Result<crate::store::TicketStatus, String> {
    let word = text.trim().to_lowercase().replace('-', "_");
    crate::store::TicketStatus::parse(&word).ok_or_else(|| {
        let all: Vec<String> =
            crate::store::TicketStatus::ALL.iter().map(|s| s.as_str().replace('_', "-")).collect();
        format!("unknown state `{text}`: one of {}", all.join(", "))
    })
}
