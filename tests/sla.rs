//! The 24-hour SLA against the real mail stack, on an injected clock: a warning at 75 % and
//! a breach notice reach the staff mailbox once each; a staff reply that shows up in the Sent
//! folder, or `deskmail reply`, is the first response, and the customer gets it threaded.

mod common;

use std::process::Command;
use std::time::Duration;

use common::mailstack::MailStack;
use common::setup::{self, Transport};
use deskmail::shutdown::Control;
use deskmail::store::Store;
use deskmail::{daemon, notices, send};
use jiff::{SignedDuration, Timestamp};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warning_and_breach_notices_reach_staff_once_each() {
    let stack = MailStack::start();
    setup::deliver_customer_mail(&stack, 0);
    let work = tempfile::tempdir().unwrap();
    let settings = setup::parse(&setup::config_text(&stack, work.path(), Transport::Plain, ""), work.path());
    daemon::run(&settings, true, &Control::default(), Default::default(), &mut |_, _| {}).await.unwrap();
    let loaded = daemon::load(&settings).unwrap();
    let mut store = Store::open(&settings.database).unwrap();
    let created = Timestamp::from_second(store.tickets().unwrap()[0].created_at).unwrap();

    // The clock moves; nothing sleeps.
    let at = |hours: i64| created + SignedDuration::from_hours(hours);
    let mut notices = Vec::new();
    for hours in [1, 17, 19, 20, 23, 25, 30, 48] {
        let watched = notices::sla_watch(&mut store, &settings, &loaded.templates, at(hours)).unwrap();
        notices.push((hours, watched.warnings, watched.breaches));
    }
    assert_eq!(
        notices,
        vec![(1, 0, 0), (17, 0, 0), (19, 1, 0), (20, 0, 0), (23, 0, 0), (25, 0, 1), (30, 0, 0), (48, 0, 0)],
        "one warning once 75% of 24 h is used (18 h), one breach notice after 24 h"
    );
    // The notices carry the injected clock's times, not the wall clock's.
    let conn = rusqlite::Connection::open(&settings.database).unwrap();
    let queued: Vec<i64> = conn
        .prepare("SELECT created_at FROM outbox WHERE kind IN ('sla_warning', 'sla_breach') ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        queued,
        vec![at(19).as_second(), at(25).as_second()],
        "regression: notices read the wall clock"
    );
    let store = std::sync::Mutex::new(store);
    let transport = daemon::transport(&settings).unwrap();
    let flushed = send::flush(
        &store,
        &transport,
        &settings.support_address,
        settings.self_copy.as_deref(),
        settings.retry_base,
        &Control::default(),
        &|| at(48),
    )
    .await
    .unwrap();
    assert_eq!(
        (flushed.sent, flushed.automatic),
        (2, 0),
        "regression: staff notices are not automatic mail to customers (deskmail_automatic_mail_sent_total)"
    );
    let staff = stack.wait_for_count("staff@example.test", "INBOX", 2, WAIT).await;
    let subjects: Vec<String> = staff.iter().map(|r| deskmail::parse::parse(r).unwrap().subject).collect();
    assert_eq!(staff.len(), 2, "{subjects:?}");
    assert!(subjects.iter().all(|s| s.ends_with("[#1]")), "{subjects:?}");
    for raw in &staff {
        let body = deskmail::parse::parse(raw).unwrap().body;
        assert!(body.contains("I want a refund for order 0"), "the customer's text for staff: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_reply_in_the_sent_folder_is_the_first_response() {
    let stack = MailStack::start();
    setup::deliver_customer_mail(&stack, 0);
    let work = tempfile::tempdir().unwrap();
    let settings = setup::parse(&setup::config_text(&stack, work.path(), Transport::Plain, ""), work.path());
    let stop = Control::default();
    daemon::run(&settings, true, &stop, Default::default(), &mut |_, _| {}).await.unwrap();
    let store = Store::open(&settings.database).unwrap();
    assert_eq!(
        store.ticket(1).unwrap().unwrap().first_response_at,
        None,
        "an acknowledgement is not an answer"
    );

    // An old mail in Sent with the same tag number, to someone else: not an answer.
    let old = "From: support@example.test\r\nTo: someone@else.test\r\nSubject: Re: old question [#1]\r\n\
        Message-ID: <old-1@example.test>\r\n\r\nAnswered long ago.\r\n";
    stack.save_message("support@example.test", "Sent", old.as_bytes());
    daemon::run(&settings, true, &stop, Default::default(), &mut |_, _| {}).await.unwrap();
    assert_eq!(store.ticket(1).unwrap().unwrap().first_response_at, None, "a tag alone, to another address");

    // Staff answer from their mail client: the client files the reply in Sent.
    let reply = "From: OKPay Support <support@example.test>\r\nTo: c000@customer.test\r\n\
        Subject: Re: Refund for order 0 [#1]\r\nMessage-ID: <staff-1@example.test>\r\n\
        In-Reply-To: <order-0@customer.test>\r\nReferences: <order-0@customer.test>\r\n\r\nRefunded today.\r\n";
    stack.save_message("support@example.test", "Sent", reply.as_bytes());
    daemon::run(&settings, true, &stop, Default::default(), &mut |_, _| {}).await.unwrap();
    assert!(
        store.ticket(1).unwrap().unwrap().first_response_at.is_some(),
        "the staff reply answered the ticket"
    );
    assert_eq!(
        store.ticket(1).unwrap().unwrap().status,
        deskmail::store::TicketStatus::Waiting,
        "and moved it on: the customer's turn"
    );
    assert!(store.due_tickets().unwrap().is_empty(), "nothing waits for a person any more");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deskmail_reply_answers_the_ticket_and_the_customer_gets_it_threaded() {
    let stack = MailStack::start();
    setup::deliver_customer_mail(&stack, 0);
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("deskmail.toml");
    std::fs::write(&config, setup::config_text(&stack, work.path(), Transport::Plain, "")).unwrap();
    let settings = setup::parse(&std::fs::read_to_string(&config).unwrap(), work.path());
    daemon::run(&settings, true, &Control::default(), Default::default(), &mut |_, _| {}).await.unwrap();
    stack.wait_for_count("catchall@example.test", "INBOX", 1, WAIT).await;

    let body = work.path().join("body.txt");
    std::fs::write(&body, "Your refund was sent today; it arrives in 3 working days.\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_deskmail"))
        .args([
            "reply",
            "1",
            "--send",
            "--body-file",
            body.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let inbox = stack.wait_for_count("catchall@example.test", "INBOX", 2, WAIT).await;
    let reply = deskmail::parse::parse(&inbox[1]).unwrap();
    assert_eq!(reply.in_reply_to, vec!["order-0@customer.test"]);
    assert!(reply.subject.ends_with("[#1]"), "{}", reply.subject);
    assert!(reply.body.contains("3 working days"));
    assert_eq!(reply.header("auto-submitted"), None, "a person's reply is not marked automatic");
    let store = Store::open(&settings.database).unwrap();
    assert!(store.ticket(1).unwrap().unwrap().first_response_at.is_some());
}
