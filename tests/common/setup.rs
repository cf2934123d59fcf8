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
    let password_file = work.join("support.pass");
    std::fs::write(&password_file, "support-pass\n").unwrap();
    let text = format!(
        r#"
[mailbox]
kind = "imap"
host = "127.0.0.1"
port = {imap}
tls = "starttls"
ca_file = "{ca}"
username = "support@example.test"
password_file = "{pw}"
poll_interval = "1s"

[smtp]
kind = "smtp"
host = "127.0.0.1"
port = {submission}
tls = "starttls"
ca_file = "{ca}"
username = "support@example.test"
password_file = "{pw}"

[support]
address = "support@example.test"
name = "OKPay Support"
staff = ["staff@example.test"]

[sla]
time_zone = "Asia/Shanghai"

[storage]
path = "deskmail.db"

[rules]
dir = "{rules}"

[templates]
dir = "{templates}"
"#,
        imap = stack.imap_port,
        submission = stack.submission_port,
        ca = stack.ca_cert.display(),
        pw = password_file.display(),
        rules = project().join("rules").display(),
        templates = project().join("templates").display(),
    );
    config::from_str(&text, "test.toml", work).expect("test configuration")
}

/// The raw bytes of a sample mailbox fixture.
pub fn sample(name: &str) -> Vec<u8> {
    std::fs::read(project().join("fixtures/sample-mailbox").join(name)).unwrap()
}
