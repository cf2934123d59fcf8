//! Builds deskmail settings that point at a running test mail stack.

use std::path::{Path, PathBuf};

use deskmail::config::{self, Settings};

use super::mailstack::MailStack;

/// The customers of the sample mailbox, as mail stack users.
pub const SAMPLE_USERS: &str = "support@example.test:support-pass staff@example.test:staff-pass \
    wang@example.test:wang-pass chen@example.test:chen-pass liu@example.test:liu-pass \
    ann@example.test:ann-pass bob@example.test:bob-pass carol@example.test:carol-pass \
    catchall@example.test:catchall-pass";

/// The project directory (rules, templates, fixtures).
pub fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Settings for support@ on `stack`: IMAP with STARTTLS and the stack's CA, SMTP submission
/// with STARTTLS and AUTH, the database in `work`.
pub fn settings(stack: &MailStack, work: &Path) -> Settings {
    parse(&config_text(stack, work, Transport::Tls, ""), work)
}

/// How the test configuration reaches the servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// IMAP STARTTLS and SMTP submission (STARTTLS + AUTH), certificates checked against the CA.
    Tls,
    /// Plain IMAP and SMTP on loopback: fastest, for crash and load tests.
    Plain,
}

/// Parses configuration text written by [`config_text`].
pub fn parse(text: &str, work: &Path) -> Settings {
    config::from_str(text, "test.toml", work).expect("test configuration")
}

/// A configuration file for support@ on `stack`; `extra_mailbox` is added to `[mailbox]`
/// (e.g. `batch_size = 10`).
pub fn config_text(stack: &MailStack, work: &Path, transport: Transport, extra_mailbox: &str) -> String {
    let password_file = work.join("support.pass");
    std::fs::write(&password_file, "support-pass\n").unwrap();
    let (imap, smtp) = match transport {
        Transport::Tls => (
            format!(
                "port = {}\ntls = \"starttls\"\nca_file = \"{}\"",
                stack.imap_port,
                stack.ca_cert.display()
            ),
            format!(
                "port = {}\ntls = \"starttls\"\nca_file = \"{}\"\nusername = \"support@example.test\"\npassword_file = \"{}\"",
                stack.submission_port,
                stack.ca_cert.display(),
                password_file.display()
            ),
        ),
        Transport::Plain => (
            format!("port = {}\ntls = \"none\"", stack.imap_port),
            format!("port = {}\ntls = \"none\"", stack.smtp_port),
        ),
    };
    format!(
        r#"
[mailbox]
kind = "imap"
host = "127.0.0.1"
{imap}
username = "support@example.test"
password_file = "{pw}"
poll_interval = "1s"
{extra_mailbox}

[smtp]
kind = "smtp"
host = "127.0.0.1"
{smtp}
confirm_within = "5s"
retry_base = "1s"

[support]
address = "support@example.test"
name = "OKPay Support"
staff = ["staff@example.test"]

[sla]
time_zone = "Asia/Shanghai"

[storage]
path = "{db}"

[rules]
dir = "{rules}"

[templates]
dir = "{templates}"
"#,
        pw = password_file.display(),
        db = work.join("deskmail.db").display(),
        rules = project().join("rules").display(),
        templates = project().join("templates").display(),
    )
}

/// A short customer mail from `from`, unique by `n`.
pub fn customer_mail(from: &str, n: usize) -> Vec<u8> {
    format!(
        "From: Customer {n} <{from}>\r\nTo: support@example.test\r\nSubject: Refund for order {n}\r\n\
         Message-ID: <order-{n}@customer.test>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         I want a refund for order {n}. 我要退款。\r\n"
    )
    .into_bytes()
}

/// The raw bytes of a sample mailbox fixture.
pub fn sample(name: &str) -> Vec<u8> {
    std::fs::read(project().join("fixtures/sample-mailbox").join(name)).unwrap()
}

/// Delivers customer mail number `n` from `c{n:03}@customer.test` into support's INBOX, with
/// the customer as envelope sender (as a real client would).
pub fn deliver_customer_mail(stack: &MailStack, n: usize) {
    let from = format!("c{n:03}@customer.test");
    stack
        .try_lmtp_deliver(&from, &["support@example.test"], &customer_mail(&from, n))
        .expect("LMTP delivery");
}

/// The embedded demo settings (Maildir in and out) with the project's rules and templates:
/// for tests that run the pipeline without a server.
pub fn demo_settings() -> Settings {
    let text = std::fs::read_to_string(project().join("fixtures/demo.toml")).unwrap();
    let mut s = config::from_str(&text, "fixtures/demo.toml", &project()).unwrap();
    s.rules_dir = project().join("rules");
    s.templates_dir = project().join("templates");
    s
}
