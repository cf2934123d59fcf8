//! Security: no header injection through any customer-controlled field, no ticket hijack by
//! subject tag, TLS certificates verified (wrong name or unknown CA refused), and passwords
//! never in logs, panics, `deskmail status` or the database.

mod common;

use std::process::Command;

use common::mailstack::MailStack;
use common::setup::{self, Transport};
use deskmail::chain::Chain;
use deskmail::cli::Failure;
use deskmail::daemon;
use deskmail::pipeline::{self, Context, Outcome, RawMail};
use deskmail::shutdown::Control;
use deskmail::store::Store;

/// Processes raw mails into an in-memory store; returns the store.
fn process(mails: &[&str]) -> (Store, Vec<Outcome>) {
    let settings = setup::demo_settings();
    let loaded = daemon::load(&settings).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let mut outcomes = Vec::new();
    for (i, raw) in mails.iter().enumerate() {
        let ctx = Context {
            settings: &settings,
            rules: &loaded.rules,
            templates: &loaded.templates,
            now: jiff::Timestamp::now(),
        };
        let mail = RawMail {
            bytes: raw.as_bytes().to_vec(),
            origin: format!("test:{i}"),
            received_at: jiff::Timestamp::now(),
            oversize: None,
        };
        outcomes.push(pipeline::process(&mut store, &ctx, &mail).unwrap());
    }
    (store, outcomes)
}

fn outgoing_raw(store: &Store, ticket: i64) -> String {
    let id = store.ticket_outbox(ticket).unwrap()[0].id;
    let conn_raw: Vec<u8> =
        store.due_outbox(i64::MAX, 100).unwrap().into_iter().find(|m| m.id == id).unwrap().raw;
    String::from_utf8_lossy(&conn_raw).into_owned()
}

fn header_section(raw: &str) -> &str {
    raw.split("\r\n\r\n").next().unwrap()
}

#[test]
fn no_header_injection_through_subject_name_address_or_references() {
    // "Refund\r\nBcc: evil@x.test" and "Eve\r\nBcc: evil@x.test" as RFC 2047 words.
    let subject = "=?utf-8?B?UmVmdW5kDQpCY2M6IGV2aWxAeC50ZXN0?=";
    let name = "=?utf-8?B?RXZlDQpCY2M6IGV2aWxAeC50ZXN0?=";
    let raw = format!(
        "From: {name} <eve@customer.test>\r\nTo: support@example.test\r\nSubject: {subject}\r\n\
         Message-ID: <abc@customer.test>\r\nReferences: <x@y> <a\tb@c> <Bcc:evil@x.test>\r\n\
         In-Reply-To: <abc2@customer.test>\r\n\r\nI want a refund.\r\n"
    );
    let (store, outcomes) = process(&[&raw]);
    let Outcome::Processed(report) = &outcomes[0] else { panic!("{outcomes:?}") };
    let out = outgoing_raw(&store, report.ticket.unwrap());
    let head = header_section(&out);
    for line in head.split("\r\n") {
        assert!(!line.to_ascii_lowercase().starts_with("bcc:"), "injected header: {line}\n{head}");
        assert!(!line.to_ascii_lowercase().starts_with("cc:"), "injected header: {line}\n{head}");
        assert!(!line.contains('\r') && !line.contains('\n'), "bare CR/LF in {line:?}");
    }
    assert_eq!(head.matches("\r\nTo: ").count() + usize::from(head.starts_with("To: ")), 1, "{head}");
    let parsed = deskmail::parse::parse(out.as_bytes()).unwrap();
    assert!(parsed.subject.contains("Refund Bcc: evil@x.test"), "folded onto one line: {}", parsed.subject);
}

#[test]
fn a_ticket_tag_from_another_address_opens_a_new_ticket_and_reveals_nothing() {
    let ann = "From: Ann <ann@customer.test>\r\nSubject: Refund for order 42, Ann Secret\r\nMessage-ID: <ann-1@customer.test>\r\n\r\nMy refund for order 42 please.\r\n";
    let eve = "From: Eve <eve@evil.test>\r\nSubject: Re: Refund [#1]\r\nMessage-ID: <eve-1@evil.test>\r\n\r\nWhere does my refund stand?\r\n";
    let (store, outcomes) = process(&[ann, eve]);
    let Outcome::Processed(first) = &outcomes[0] else { panic!() };
    let Outcome::Processed(second) = &outcomes[1] else { panic!() };
    assert_eq!(first.ticket, Some(1));
    assert_eq!(second.ticket, Some(2), "Eve's mail did not join Ann's ticket");
    assert!(second.new_ticket);
    assert_eq!(store.ticket_messages(1).unwrap().len(), 1);
    let to_eve = outgoing_raw(&store, 2);
    let parsed = deskmail::parse::parse(to_eve.as_bytes()).unwrap();
    assert!(parsed.subject.ends_with("[#2]") && !parsed.subject.contains("[#1]"), "{}", parsed.subject);
    assert!(
        !to_eve.contains("Ann Secret") && !parsed.body.contains("order 42"),
        "nothing of Ann's ticket leaks"
    );
}

async fn imaps_pass(stack: &MailStack, tls_lines: &str) -> Result<(), daemon::Error> {
    let work = tempfile::tempdir().unwrap();
    let text = setup::config_text(stack, work.path(), Transport::Plain, "").replace(
        &format!("port = {}\ntls = \"none\"", stack.imap_port),
        &format!("port = {}\n{tls_lines}", stack.imaps_port),
    );
    let settings = setup::parse(&text, work.path());
    daemon::run(&settings, true, &Control::default(), Default::default(), &mut |_, _| {}).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_refuses_an_unknown_ca_and_a_wrong_name_and_accepts_the_right_one() {
    let stack = MailStack::start();
    let ca = stack.ca_cert.display().to_string();
    let unknown_ca = imaps_pass(&stack, "tls = \"implicit\"").await.unwrap_err();
    let printed = Chain(&unknown_ca).to_string();
    assert!(printed.contains("certificate"), "{printed}");
    assert_eq!(Failure::from(unknown_ca).exit_code(), 75);
    let wrong_name = imaps_pass(
        &stack,
        &format!("tls = \"implicit\"\nca_file = \"{ca}\"\ntls_name = \"imap.wrong.example\""),
    )
    .await
    .unwrap_err();
    let printed = Chain(&wrong_name).to_string();
    assert!(printed.contains("certificate"), "{printed}");
    imaps_pass(&stack, &format!("tls = \"implicit\"\nca_file = \"{ca}\"\ntls_name = \"localhost\""))
        .await
        .expect("the right CA and name work");
}

/// `deskmail run --once` as cron runs it, against Dovecot's IMAPS port with `tls_lines`.
fn imaps_run_once(stack: &MailStack, work: &std::path::Path, tls_lines: &str) -> std::process::Output {
    let text = setup::config_text(stack, work, Transport::Plain, "").replace(
        &format!("port = {}\ntls = \"none\"", stack.imap_port),
        &format!("port = {}\n{tls_lines}", stack.imaps_port),
    );
    let config = work.join("deskmail.toml");
    std::fs::write(&config, text).unwrap();
    Command::new(env!("CARGO_BIN_EXE_deskmail"))
        .args(["run", "--once", "--config", config.to_str().unwrap()])
        .output()
        .unwrap()
}

/// What cron or systemd shows for a refused certificate: one line that names the server and
/// says why, and exit code 75 (EX_TEMPFAIL: the configuration is valid, the server is not
/// what it should be), with nothing processed.
#[test]
fn a_refused_certificate_is_one_line_and_exit_75_from_the_command_line() {
    let stack = MailStack::start();
    setup::deliver_customer_mail(&stack, 0);
    let ca = stack.ca_cert.display().to_string();
    let cases = [
        ("wrong name", format!("tls = \"implicit\"\nca_file = \"{ca}\"\ntls_name = \"imap.wrong.example\"")),
        ("unknown CA", "tls = \"implicit\"".to_string()),
    ];
    for (case, tls_lines) in cases {
        let work = tempfile::tempdir().unwrap();
        let out = imaps_run_once(&stack, work.path(), &tls_lines);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(75), "{case}: {err}");
        let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("deskmail:")).collect();
        assert_eq!(lines.len(), 1, "{case}: one line:\n{err}");
        println!("{case}: exit {:?}: {}", out.status.code(), lines[0]);
        assert!(lines[0].contains("certificate"), "{case}: says why: {}", lines[0]);
        assert!(
            lines[0].contains(&format!("127.0.0.1:{}", stack.imaps_port)),
            "{case}: names the server: {}",
            lines[0]
        );
        if case == "wrong name" {
            assert!(lines[0].contains("imap.wrong.example"), "{case}: names the name: {}", lines[0]);
        }
        let db = work.path().join("deskmail.db");
        let tickets = Store::open(&db).map(|s| s.tickets().unwrap().len()).unwrap_or(0);
        assert_eq!(tickets, 0, "{case}: nothing was processed");
    }
}

/// `deskmail ARGS --config CONFIG` with `envs`; the status, stdout and stderr.
fn deskmail_with(args: &[&str], config: &std::path::Path, envs: &[(&str, &str)]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_deskmail"))
        .args(args)
        .args(["--config", config.to_str().unwrap()])
        .envs(envs.iter().copied())
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// Both kinds of secret, the IMAP password from the environment and the SMTP password from a
/// file, are used for real (STARTTLS, LOGIN, AUTH) with trace logging, a panic in the
/// pipeline and a backtrace; neither reaches the log, the panic, `deskmail status` (text
/// and JSON), the settings' debug form or the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_never_reach_the_log_status_a_panic_or_the_database() {
    let stack = MailStack::start();
    setup::deliver_customer_mail(&stack, 0);
    setup::deliver_customer_mail(&stack, 1);
    let work = tempfile::tempdir().unwrap();
    let smtp_password_file = work.path().join("support.pass");
    let both_from_files = setup::config_text(&stack, work.path(), Transport::Tls, "");
    let text = both_from_files.replacen(
        &format!("password_file = \"{}\"", smtp_password_file.display()),
        "password_env = \"DESKMAIL_TEST_IMAP_PASSWORD\"",
        1,
    );
    assert!(
        text.contains("password_env") && text.contains("password_file"),
        "one secret of each kind:\n{text}"
    );
    let config = work.path().join("deskmail.toml");
    std::fs::write(&config, &text).unwrap();
    let secret = "support-pass";
    assert_eq!(std::fs::read_to_string(&smtp_password_file).unwrap().trim(), secret);
    let envs = [
        ("DESKMAIL_TEST_IMAP_PASSWORD", secret),
        ("RUST_LOG", "trace"),
        ("RUST_BACKTRACE", "full"),
        ("DESKMAIL_FAILPOINT", "panic-processing:order 1."),
    ];

    let (ok, run) = deskmail_with(&["run", "--once"], &config, &envs);
    assert!(ok, "{run}");
    assert!(run.contains("TRACE") || run.contains("DEBUG"), "verbose logging is on:\n{run}");
    assert!(run.contains("failpoint panic-processing"), "the pipeline panicked on one mail:\n{run}");
    let (ok, status) = deskmail_with(&["status"], &config, &envs);
    assert!(ok && status.contains("quarantined 1"), "{status}");
    assert!(status.contains("sent 1"), "the reply went out through SMTP AUTH:\n{status}");
    let (ok, status_json) = deskmail_with(&["status", "--json"], &config, &envs);
    assert!(ok, "{status_json}");
    let settings = setup::parse(&both_from_files, work.path());
    let debug = format!("{settings:?}");
    assert!(debug.contains("***"), "{debug}");

    for (what, text) in
        [("run --once", &run), ("status", &status), ("status --json", &status_json), ("Debug", &debug)]
    {
        let leaks: Vec<&str> = text.lines().filter(|l| l.contains(secret)).collect();
        assert!(leaks.is_empty(), "the password is in {what}:\n{}", leaks.join("\n"));
    }
    let db = std::fs::read(work.path().join("deskmail.db")).unwrap();
    let wal = std::fs::read(work.path().join("deskmail.db-wal")).unwrap_or_default();
    for bytes in [db, wal] {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the password is in the database"
        );
    }
}

#[test]
fn missing_and_duplicated_message_ids_break_nothing() {
    let no_id = "From: ann@customer.test\r\nSubject: Refund\r\n\r\nI want a refund.\r\n";
    let same_id_a =
        "From: bob@customer.test\r\nSubject: Refund\r\nMessage-ID: <dup@x>\r\n\r\nRefund for bob.\r\n";
    let same_id_b =
        "From: cat@customer.test\r\nSubject: Fee\r\nMessage-ID: <dup@x>\r\n\r\nWhat is the fee?\r\n";
    let follow_up = "From: cat@customer.test\r\nSubject: More\r\nIn-Reply-To: <dup@x>\r\nMessage-ID: <c2@x>\r\n\r\nAnd the refund?\r\n";
    let (store, outcomes) = process(&[no_id, same_id_a, same_id_b, follow_up]);
    let tickets: Vec<Option<i64>> =
        outcomes.iter().map(|o| if let Outcome::Processed(r) = o { r.ticket } else { None }).collect();
    assert_eq!(tickets, vec![Some(1), Some(2), Some(3), Some(3)], "{outcomes:?}");
    let to_ann = deskmail::parse::parse(outgoing_raw(&store, 1).as_bytes()).unwrap();
    assert!(to_ann.in_reply_to.is_empty(), "nothing to reply to");
}

#[test]
fn security_answers_never_repeat_the_customer_or_ask_for_secrets() {
    let subject = "My account was hacked, my password is Hunter2-secret";
    let raw = format!(
        "From: Eve Victim <victim@customer.test>\r\nSubject: {subject}\r\nMessage-ID: <v1@customer.test>\r\n\r\n\
         Someone logged into my account and made payments I did not make. My password is Hunter2-secret.\r\n"
    );
    for language_hint in ["", "我的账户被盗了。", "我的帳戶被盜了。"] {
        let raw = raw.replace("\r\n\r\n", &format!("\r\n\r\n{language_hint}"));
        let (store, outcomes) = process(&[&raw]);
        let Outcome::Processed(report) = &outcomes[0] else { panic!("{outcomes:?}") };
        assert_eq!(report.category.as_deref(), Some("account_security"));
        let outgoing = store.ticket_outbox(report.ticket.unwrap()).unwrap();
        assert!(
            outgoing.iter().any(|o| o.kind.as_str() == "escalation" && o.recipient == "staff@example.test"),
            "staff are told of the escalation: {outgoing:?}"
        );
        let out = outgoing_raw(&store, report.ticket.unwrap());
        let mail = deskmail::parse::parse(out.as_bytes()).unwrap();
        let all = format!("{}\n{}", mail.subject, mail.body);
        assert!(
            !all.contains("Hunter2") && !all.contains("hacked"),
            "the customer's words are repeated:\n{all}"
        );
        let lower = all.to_lowercase();
        assert!(
            lower.contains("never ask")
                || all.contains("绝不会")
                || all.contains("絕不會")
                || all.contains("不会")
                || all.contains("不會"),
            "the answer says we never ask for secrets:\n{all}"
        );
    }
}
