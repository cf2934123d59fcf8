//! Command line: what deskmail accepts, as clap definitions (commands, their options and the
//! values they parse). `mod.rs` dispatches them.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use super::{ConfigArg, PolicyArgs};

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

/// A ticket state as written on the command line (`needs-person` or `needs_person`).
fn parse_state(text: &str) -> Result<crate::store::TicketStatus, String> {
    let word = text.trim().to_lowercase().replace('-', "_");
    crate::store::TicketStatus::parse(&word).ok_or_else(|| {
        let all: Vec<String> =
            crate::store::TicketStatus::ALL.iter().map(|s| s.as_str().replace('_', "-")).collect();
        format!("unknown state `{text}`: one of {}", all.join(", "))
    })
}
