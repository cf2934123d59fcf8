//! deskmail works a support mailbox: mail in over IMAP (or from a Maildir), screened for
//! machine mail, classified by staff-edited rules, threaded into tickets in SQLite, and
//! answered from templates over SMTP. Each pipeline stage is a module; only `daemon` joins them.
#![forbid(unsafe_code)]

pub mod backoff;
pub mod blocking;
pub mod bounce;
pub mod chain;
pub mod cli;
pub mod compose;
pub mod config;
pub mod daemon;
pub mod decide;
pub mod defaults;
pub mod failpoint;
pub mod hint;
pub mod housekeeping;
pub mod lifecycle;
pub mod located;
pub mod lock;
pub mod metrics;
pub mod notices;
pub mod parse;
pub mod pipeline;
pub mod policy;
pub mod reload;
pub mod rules;
pub mod screen;
pub mod send;
pub mod shutdown;
pub mod sla;
pub mod source;
pub mod store;
pub mod stored_enum;
pub mod systemd;
pub mod thread;
pub mod timefmt;
pub mod tls;
pub mod verdict;
