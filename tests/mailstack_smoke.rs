//! Smoke test of the test harness itself: a real Dovecot + Postfix on loopback
//! (tests/common/mailstack.rs, tests/mailstack/*.sh). Needs the packages from
//! scripts/install-test-deps.sh; Postfix needs root.

mod common;

use std::time::Duration;

use common::mailstack::MailStack;

fn subject_of(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    text.lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix("Subject: ").map(|s| s.trim_end().to_string()))
}

#[tokio::test]
async fn mailstack_smtp_lmtp_imap_round_trip() {
    let stack = MailStack::start();
    let dir = stack.dir.clone();
    assert!(dir.join("env").is_file());
    assert!(dir.as_os_str().len() < 40, "stack dir should be short: {}", dir.display());
    assert!(stack.ca_cert.is_file());
    assert!(stack.dovecot_conf.is_file());
    assert_eq!(stack.password("support@example.test"), "support-pass");
    assert_eq!(stack.password("alice@example.test"), "alice-pass");
    assert!(stack.has_postfix, "Postfix did not start (needs root)");

    // SMTP through Postfix -> LMTP -> support's INBOX
    let raw = b"From: Bob <bob@customer.test>\r\n\
        To: support@example.test\r\n\
        Subject: Printer on fire\r\n\
        Message-ID: <ticket-1@customer.test>\r\n\
        Date: Sat, 22 Nov 2025 10:00:00 +0000\r\n\
        \r\n\
        Please help.\r\n";
    stack.smtp_send("bob@customer.test", &["support@example.test"], raw).await;
    let msgs = stack.wait_for_count("support@example.test", "INBOX", 1, Duration::from_secs(15)).await;
    assert_eq!(msgs.len(), 1);
    assert_eq!(subject_of(&msgs[0]).as_deref(), Some("Printer on fire"));
    assert!(String::from_utf8_lossy(&msgs[0]).contains("Message-ID: <ticket-1@customer.test>"));

    // unknown local users are refused at RCPT time
    let err = stack.try_smtp_send("bob@customer.test", &["nosuchuser@example.test"], raw).await;
    assert!(err.is_err(), "unknown local user must be rejected");

    // LMTP straight into alice's INBOX (dot-stuffing, bare LF input)
    stack.lmtp_deliver(
        "alice@example.test",
        b"From: x@customer.test\nTo: alice@example.test\nSubject: Via LMTP\n\n.leading dot\nbye\n",
    );
    let alice = stack.wait_for_count("alice@example.test", "INBOX", 1, Duration::from_secs(10)).await;
    assert_eq!(alice.len(), 1);
    assert_eq!(subject_of(&alice[0]).as_deref(), Some("Via LMTP"));
    assert!(String::from_utf8_lossy(&alice[0]).contains("\r\n.leading dot\r\n"));

    // doveadm save into another mailbox
    stack.save_message(
        "alice@example.test",
        "Sent",
        b"From: alice@example.test\r\nSubject: Saved\r\n\r\nx\r\n",
    );
    let sent = stack.fetch_all("alice@example.test", "Sent").await;
    assert_eq!(sent.len(), 1);
    assert_eq!(subject_of(&sent[0]).as_deref(), Some("Saved"));
    assert_eq!(stack.count("alice@example.test", "INBOX").await, 1);

    let names = stack.mailbox_names("support@example.test").await;
    assert!(names.iter().any(|n| n == "Sent"), "no Sent in {names:?}");
    assert!(names.iter().any(|n| n == "INBOX"), "no INBOX in {names:?}");

    drop(stack);
    assert!(!dir.exists(), "stack dir {} was not removed on drop", dir.display());
}

#[tokio::test]
async fn mailstack_dovecot_restart_keeps_mail_and_ports() {
    let mut stack = MailStack::start();
    let port = stack.imap_port;
    stack.lmtp_deliver("staff@example.test", b"Subject: one\r\n\r\n1\r\n");
    stack.stop_dovecot();
    assert!(stack.try_count("staff@example.test", "INBOX").await.is_err());
    if stack.has_postfix {
        // Postfix accepts and queues while Dovecot is down, delivers after the restart
        stack.smtp_send("bob@customer.test", &["staff@example.test"], b"Subject: two\r\n\r\n2\r\n").await;
    }
    stack.start_dovecot();
    assert_eq!(stack.imap_port, port);
    let want = if stack.has_postfix { 2 } else { 1 };
    // A retry that raced the deferral finds the queue file locked and is parked for 60 s
    // (Postfix's qmgr_active_feed); flushing is what an operator does after a restart.
    for _ in 0..10 {
        if stack.try_count("staff@example.test", "INBOX").await.is_ok_and(|n| n as usize >= want) {
            break;
        }
        stack.flush_queue();
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let msgs = stack.wait_for_count("staff@example.test", "INBOX", want, Duration::from_secs(20)).await;
    assert_eq!(subject_of(&msgs[0]).as_deref(), Some("one"));
}

#[test]
fn mailstack_start_failure_panics_with_logs_and_cleans_up() {
    let result = std::panic::catch_unwind(|| {
        // an invalid port makes dovecot refuse its configuration
        MailStack::start_with_env(&[("MAILSTACK_BASE_PORT", "70000")])
    });
    let err = result.err().expect("start must fail with an invalid port");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("start.sh"), "unhelpful panic: {msg}");
    assert!(msg.contains("Invalid port number 70000"), "no log tail in panic: {msg}");
    // the panic names the stack dir ("start.sh /tmp/dm-XXXXXX failed"); it must be gone
    let dir =
        msg.split_whitespace().find(|w| w.starts_with("/tmp/dm-")).expect("panic message names the dir");
    assert!(!std::path::Path::new(dir).exists(), "failed start left {dir}");
}
