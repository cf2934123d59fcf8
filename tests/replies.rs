//! Replies that go out exactly once and never feed a loop, with the real mail stack: a crash
//! between the server's acceptance and the `sent` mark, a crash before sending, a naive
//! autoresponder answering our acknowledgement, and a bounce of one of our replies.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::mailstack::MailStack;
use common::setup::{self, Transport};
use deskmail::daemon;
use deskmail::shutdown::Control;
use deskmail::store::Store;

const WAIT: Duration = Duration::from_secs(30);

fn run_once(config: &Path, failpoint: Option<&str>) -> std::process::ExitStatus {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_deskmail"));
    cmd.args(["run", "--once", "--config", config.to_str().unwrap()]).env("RUST_LOG", "warn");
    if let Some(point) = failpoint {
        cmd.env("DESKMAIL_FAILPOINT", point);
    }
    cmd.status().expect("deskmail runs")
}

fn outbox_states(db: &Path) -> Vec<(String, i64)> {
    Store::open(db).unwrap().outbox_counts().unwrap()
}

fn setup_with_one_customer_mail(stack: &MailStack, work: &Path) -> std::path::PathBuf {
    setup::deliver_customer_mail(stack, 0);
    let config = work.join("deskmail.toml");
    std::fs::write(&config, setup::config_text(stack, work, Transport::Plain, "")).unwrap();
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_smtp_acceptance_and_the_sent_mark_sends_exactly_once() {
    let stack = MailStack::start();
    let work = tempfile::tempdir().unwrap();
    let config = setup_with_one_customer_mail(&stack, work.path());
    let db = work.path().join("deskmail.db");

    let crashed = run_once(&config, Some("after-smtp-accept"));
    assert!(!crashed.success(), "the failpoint aborts the process");
    assert_eq!(outbox_states(&db), vec![("sending".to_string(), 1)], "the crash left the row unconfirmed");

    // The self-copy, accepted in the same SMTP transaction, comes back and confirms the send.
    stack.wait_for_count("support@example.test", "INBOX", 1, WAIT).await;
    assert!(run_once(&config, None).success());
    assert_eq!(outbox_states(&db), vec![("sent".to_string(), 1)]);
    // Past the confirmation window nothing is sent again either.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert!(run_once(&config, None).success());
    let replies = stack.wait_for_count("catchall@example.test", "INBOX", 1, WAIT).await;
    assert_eq!(replies.len(), 1, "the customer has exactly one copy");
    assert_eq!(stack.count("support@example.test", "Sent").await, 1, "and staff see it in Sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_before_sending_sends_after_the_confirmation_window_exactly_once() {
    let stack = MailStack::start();
    let work = tempfile::tempdir().unwrap();
    let config = setup_with_one_customer_mail(&stack, work.path());
    // A window wide enough that the second pass starts inside it on a loaded machine (with
    // 5 s, a CI run beside other builds started it after the window and sent at once).
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("confirm_within = \"5s\""), "the harness's window");
    std::fs::write(&config, text.replace("confirm_within = \"5s\"", "confirm_within = \"15s\"")).unwrap();
    let db = work.path().join("deskmail.db");

    assert!(!run_once(&config, Some("before-smtp")).success());
    assert_eq!(outbox_states(&db), vec![("sending".to_string(), 1)]);
    assert!(run_once(&config, None).success());
    assert_eq!(outbox_states(&db), vec![("sending".to_string(), 1)], "within the window it waits for a copy");
    tokio::time::sleep(Duration::from_secs(16)).await;
    assert!(run_once(&config, None).success());
    assert_eq!(outbox_states(&db), vec![("sent".to_string(), 1)], "no copy came: sent again");
    let replies = stack.wait_for_count("catchall@example.test", "INBOX", 1, WAIT).await;
    assert_eq!(replies.len(), 1);
}

/// A badly behaved autoresponder: answers every mail with no Auto-Submitted header at all.
async fn naive_autoresponder(stack: &MailStack, user: &str, answered: &mut usize) {
    let inbox = stack.fetch_all(user, "INBOX").await;
    for raw in &inbox[*answered..] {
        let mail = deskmail::parse::parse(raw).unwrap();
        let reply = format!(
            "From: {user}\r\nTo: {}\r\nSubject: Re: {}\r\nMessage-ID: <auto-{}-{}@example.test>\r\n\r\nThanks, we got your mail.\r\n",
            mail.from_address,
            mail.subject,
            user.replace('@', "."),
            *answered
        );
        stack.try_lmtp_deliver(user, &[&mail.from_address], reply.as_bytes()).unwrap();
        *answered += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deskmail_and_a_naive_autoresponder_exchange_a_bounded_number_of_mails() {
    let stack = MailStack::start();
    let work = tempfile::tempdir().unwrap();
    let settings = setup::parse(&setup::config_text(&stack, work.path(), Transport::Plain, ""), work.path());
    let first = "From: alice@example.test\r\nTo: support@example.test\r\nSubject: Refund\r\nMessage-ID: <a1@example.test>\r\n\r\nI want a refund.\r\n";
    stack.try_lmtp_deliver("alice@example.test", &["support@example.test"], first.as_bytes()).unwrap();
    let stop = Control::default();
    let mut answered = 0;
    for _ in 0..5 {
        daemon::run(&settings, true, &stop, Default::default(), &mut |_, _| {}).await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        naive_autoresponder(&stack, "alice@example.test", &mut answered).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let store = Store::open(&settings.database).unwrap();
    let ours: i64 = store.outbox_counts().unwrap().iter().map(|(_, n)| n).sum();
    println!("loop test: deskmail sent {ours}, the autoresponder sent {answered}, in 5 rounds");
    assert_eq!(ours, 1, "one acknowledgement; the autoresponder's replies join the ticket silently");
    assert_eq!(answered, 1);
    assert_eq!(store.tickets().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounce_of_our_reply_is_recorded_and_suppresses_automatic_mail_to_the_address() {
    let stack = MailStack::start();
    let work = tempfile::tempdir().unwrap();
    let settings = setup::parse(&setup::config_text(&stack, work.path(), Transport::Plain, ""), work.path());
    setup::deliver_customer_mail(&stack, 0);
    let stop = Control::default();
    daemon::run(&settings, true, &stop, Default::default(), &mut |_, _| {}).await.unwrap();
    let store = Store::open(&settings.database).unwrap();
    let ticket = store.tickets().unwrap()[0].id;
    let ours = store.ticket_outbox(ticket).unwrap()[0].message_id.clone();

    let dsn = format!(
        "From: MAILER-DAEMON@mx.customer.test\r\nTo: support@example.test\r\nSubject: Undelivered Mail Returned to Sender\r\n\
         Message-ID: <dsn-1@mx.customer.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nMailbox full.\r\n\
         --b\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; c000@customer.test\r\nAction: failed\r\nStatus: 5.2.2\r\n\r\n\
         --b\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@example.test\r\nMessage-ID: <{ours}>\r\n\r\n--b--\r\n"
    );
    stack.try_lmtp_deliver("", &["support@example.test"], dsn.as_bytes()).unwrap();
    // A new question from the same address while it bounces: a ticket, but no automatic mail.
    stack
        .try_lmtp_deliver(
            "c000@customer.test",
            &["support@example.test"],
            &setup::customer_mail("c000@customer.test", 1),
        )
        .unwrap();
    // (The self-copy of the acknowledgement was filed in Sent by the first pass itself.)
    stack.wait_for_count("support@example.test", "INBOX", 2, WAIT).await;
    let mut outcomes = Vec::new();
    daemon::run(&settings, true, &stop, Default::default(), &mut |_, o| outcomes.push(o.clone()))
        .await
        .unwrap();

    let messages = store.ticket_messages(ticket).unwrap();
    assert!(
        messages.iter().any(|m| m.automated.as_deref() == Some("bounce")),
        "the bounce is on the ticket: {messages:?}"
    );
    let outbox = store.ticket_outbox(ticket).unwrap();
    assert!(outbox[0].last_error.as_deref().is_some_and(|e| e.contains("5.2.2")), "{outbox:?}");
    assert_eq!(store.tickets().unwrap().len(), 2);
    let total: i64 = store.outbox_counts().unwrap().iter().map(|(_, n)| n).sum();
    assert_eq!(total, 1, "nothing more to a bouncing address: {outcomes:?}");
}
