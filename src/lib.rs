//! deskmail works a support mailbox: mail in over IMAP (or from a Maildir), screened for
//! machine mail, classified by staff-edited rules, threaded into tickets in SQLite, and
//! answered from templates over SMTP. Each pipeline stage is a module; only `daemon` joins them.
#![forbid(unsafe_code)]

pub mod parse;
pub mod rules;
pub mod screen;
