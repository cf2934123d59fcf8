//! Command line: dispatch. What it accepts is `args.rs`, where a command's configuration comes
//! from `sources.rs`; each command lives in its own file and returns an exit code.

mod args;
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
mod sources;
mod spam;
mod tickets;

pub use args::{Cli, Command, LogFormat, RulesCommand};
pub use failure::{Cause, Failure};
pub use sources::{ConfigArg, DEFAULT_CONFIG, PolicyArgs};

use std::path::Path;

use crate::config::Settings;

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
