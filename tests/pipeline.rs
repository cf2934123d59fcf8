//! The pipeline on an in-memory store, as the daemon runs it for one mail: what its report
//! says happened.

mod common;

use common::setup;
use deskmail::daemon;
use deskmail::pipeline::{self, Context, Outcome, RawMail};
use deskmail::store::Store;

fn process(store: &mut Store, raw: &str) -> Outcome {
    let settings = setup::demo_settings();
    let loaded = daemon::load(&settings).unwrap();
    let ctx = Context {
        settings: &settings,
        rules: &loaded.rules,
        templates: &loaded.templates,
        now: jiff::Timestamp::now(),
    };
    let mail = RawMail {
        bytes: raw.as_bytes().to_vec(),
        origin: "test".into(),
        received_at: jiff::Timestamp::now(),
        oversize: None,
    };
    pipeline::process(store, &ctx, &mail).unwrap()
}

/// Ann's first mail, asking for a refund: its report and the Message-ID of our mail to her.
fn ann_asks_for_a_refund(store: &mut Store) -> (pipeline::Report, String) {
    let Outcome::Processed(first) = process(
        store,
        "From: ann@customer.test\r\nTo: support@example.test\r\nSubject: Refund\r\nMessage-ID: <q1@customer.test>\r\n\r\nI want a refund.\r\n",
    ) else {
        panic!("processed")
    };
    let ours = store.ticket_outbox(first.ticket.unwrap()).unwrap()[0].message_id.clone();
    (first, ours)
}

#[test]
fn regression_a_bounce_filed_on_an_existing_ticket_is_not_a_new_ticket() {
    let mut store = Store::open_in_memory().unwrap();
    let (first, ours) = ann_asks_for_a_refund(&mut store);
    assert!(first.new_ticket);
    let ticket = first.ticket.unwrap();
    let bounce = format!(
        "From: MAILER-DAEMON@mx.customer.test\r\nTo: support@example.test\r\nSubject: Undelivered Mail Returned to Sender\r\n\
         Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n\
         --b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.customer.test\r\n\r\n\
         Final-Recipient: rfc822; ann@customer.test\r\nAction: failed\r\nStatus: 5.1.1\r\n\
         --b\r\nContent-Type: message/rfc822-headers\r\n\r\nFrom: support@example.test\r\nTo: ann@customer.test\r\n\
         Message-ID: <{ours}>\r\nSubject: Re: Refund\r\n\r\n--b--\r\n"
    );
    let Outcome::Processed(report) = process(&mut store, &bounce) else { panic!("processed") };
    assert_eq!(
        report.ticket,
        Some(ticket),
        "the bounce is filed on the ticket of the mail it returns: {report:?}"
    );
    assert!(!report.new_ticket, "and opened nothing: {report:?}");
    assert_eq!(store.tickets().unwrap().len(), 1);
}

// Promises from real deadlines (issue 19, point 6): the customer's mail names the deadline
// of the rule that matched, in the customer's language, and apologises when it is late.

use deskmail::config::Settings;
use deskmail::parse::Language;
use deskmail::pipeline::Report;
use jiff::{SignedDuration, Timestamp};

/// Monday 7 December 2026, 09:00 in Beijing (the demo's zone).
const MONDAY_9AM: &str = "2026-12-07T01:00:00Z";

fn at(instant: &str) -> Timestamp {
    instant.parse().unwrap()
}

/// Processes `raw` as received at `received` and handled at `now`, with `settings`.
fn process_with(
    store: &mut Store,
    settings: &Settings,
    raw: &str,
    received: Timestamp,
    now: Timestamp,
) -> Report {
    let loaded = daemon::load(settings).unwrap();
    let ctx = Context { settings, rules: &loaded.rules, templates: &loaded.templates, now };
    let mail = RawMail {
        bytes: raw.as_bytes().to_vec(),
        origin: "test".into(),
        received_at: received,
        oversize: None,
    };
    match pipeline::process(store, &ctx, &mail).unwrap() {
        Outcome::Processed(report) => report,
        other => panic!("processed: {other:?}"),
    }
}

/// The text of the queued mail of `ticket` to `recipient`.
fn queued_text(store: &Store, ticket: i64, recipient: &str) -> String {
    let queued = store.due_outbox(i64::MAX, 100).unwrap();
    let mail = queued
        .iter()
        .find(|m| m.ticket_id == ticket && m.recipient == recipient)
        .unwrap_or_else(|| panic!("a mail to {recipient} on ticket {ticket}"));
    deskmail::parse::parse(&mail.raw).unwrap().body
}

fn mail(from: &str, subject: &str, text: &str) -> String {
    format!(
        "From: {from}\r\nTo: support@example.test\r\nSubject: {subject}\r\nMessage-ID: <first.{from}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    )
}

#[test]
fn a_four_hour_rule_promises_its_deadline_in_the_customers_language_and_never_24_hours() {
    let mut settings = setup::demo_settings();
    settings.staff_language = Language::ZhHans;
    let mut store = Store::open_in_memory().unwrap();
    let received = at(MONDAY_9AM);
    let now = received + SignedDuration::from_secs(5);
    let zh = "我的账户被盗用了，有一笔不是我操作的交易。";
    let report =
        process_with(&mut store, &settings, &mail("wang@customer.test", "账户被盗", zh), received, now);
    assert_eq!(report.category.as_deref(), Some("account_security"), "{report:?}");
    let ticket = report.ticket.unwrap();
    let text = queued_text(&store, ticket, "wang@customer.test");
    assert!(
        text.contains("我们将在4小时内回复您，最迟不晚于12月7日（周一）13:00（北京时间）。"),
        "the rule's 4 hours and its deadline in Beijing time:\n{text}"
    );
    assert!(!text.contains("24"), "no 24 hours for a 4-hour rule:\n{text}");
    assert!(!text.contains("CST"), "{text}");

    // Staff read the escalation in the staff language, with the customer's words.
    let notice = queued_text(&store, ticket, "staff@example.test");
    assert!(notice.contains("工单") && notice.contains("规则要求人工处理"), "{notice}");
    assert!(notice.contains(zh), "the customer's text: {notice}");
    assert!(notice.contains("12月7日（周一）13:00（北京时间）（首次回复，4小时）"), "{notice}");

    let en = "A stranger used my card without my permission, I did not make this payment.";
    let report = process_with(&mut store, &settings, &mail("ann@customer.test", "Fraud", en), received, now);
    let text = queued_text(&store, report.ticket.unwrap(), "ann@customer.test");
    assert!(
        text.contains("We will answer within 4 hours, by Monday 7 December, 13:00 (UTC+8) at the latest."),
        "{text}"
    );
    assert!(!text.contains("24"), "{text}");
}

#[test]
fn regression_business_hours_do_not_promise_24_hours_for_a_tuesday_deadline() {
    let mut settings = setup::demo_settings();
    settings.sla_clock = deskmail::sla::Clock::Business(deskmail::sla::BusinessHours {
        time_zone: settings.time_zone.clone(),
        weekly: deskmail::sla::parse_weekly("mon-fri 09:00-18:00").unwrap(),
        holidays: Vec::new(),
    });
    let mut store = Store::open_in_memory().unwrap();
    // Thursday 10 December 2026, 19:54 in Beijing: 24 working hours end on Tuesday 15:00.
    let received = at("2026-12-10T11:54:00Z");
    let raw = mail("lee@customer.test", "Question", "Hello, could you tell me your office opening hours?");
    let report = process_with(&mut store, &settings, &raw, received, received + SignedDuration::from_secs(5));
    assert!(report.reply.starts_with("ack:"), "{report:?}");
    let text = queued_text(&store, report.ticket.unwrap(), "lee@customer.test");
    assert!(text.contains("by Tuesday 15 December, 15:00 (UTC+8)"), "{text}");
    assert!(!text.contains("24 hours"), "{text}");
}

#[test]
fn a_late_acknowledgement_apologises_instead_of_naming_a_past_deadline() {
    let settings = setup::demo_settings();
    let mut store = Store::open_in_memory().unwrap();
    let received = at(MONDAY_9AM);
    // Back after a two-day outage: the 24-hour deadline (Tuesday 09:00) has passed.
    let now = received + SignedDuration::from_hours(50);
    for (from, text, apology) in [
        ("li@customer.test", "你好，我想咨询一下账户的问题。", "很抱歉，我们未能在承诺的时间内回复您。"),
        ("chen@customer.test", "您好，我想詢問一下帳戶的問題。", "很抱歉，我們未能在承諾的時間內回覆您。"),
        ("bob@customer.test", "Hello, I have a question about my account.", "We are sorry"),
    ] {
        let report = process_with(&mut store, &settings, &mail(from, "Question", text), received, now);
        assert!(report.reply.starts_with("ack:"), "{report:?}");
        let body = queued_text(&store, report.ticket.unwrap(), from);
        assert!(body.contains(apology), "{body}");
        assert!(!body.contains("12月8日") && !body.contains("8 December"), "no past deadline: {body}");
    }
}

#[test]
fn the_sla_warning_reaches_staff_in_their_language_with_the_customers_latest_text() {
    let mut settings = setup::demo_settings();
    settings.staff_language = Language::ZhHant;
    let mut store = Store::open_in_memory().unwrap();
    let received = at(MONDAY_9AM);
    let text = "Hello, could you tell me your office opening hours?";
    let report =
        process_with(&mut store, &settings, &mail("kim@customer.test", "Question", text), received, received);
    let loaded = daemon::load(&settings).unwrap();
    let watched = deskmail::notices::sla_watch(
        &mut store,
        &settings,
        &loaded.templates,
        received + SignedDuration::from_hours(19),
    )
    .unwrap();
    assert_eq!(watched.warnings, 1);
    let notice = queued_text(&store, report.ticket.unwrap(), "staff@example.test");
    assert!(notice.contains("SLA預警") || notice.contains("首次回覆期限"), "in zh-Hant: {notice}");
    assert!(notice.contains("12月8日（週二）09:00（北京時間）"), "the deadline: {notice}");
    assert!(notice.contains("還剩5小時"), "the time left in words: {notice}");
    assert!(notice.contains(text), "the customer's text: {notice}");
}

#[test]
fn a_reply_written_below_an_outlook_quote_of_our_answer_is_read() {
    let mut store = Store::open_in_memory().unwrap();
    let (first, ours) = ann_asks_for_a_refund(&mut store);
    let ticket = first.ticket.unwrap();
    let our_text = queued_text(&store, ticket, "ann@customer.test");
    // Outlook's header block quotes everything after it; the customer wrote below it.
    let reply = |from: &str| {
        format!(
            "From: {from}\r\nTo: support@example.test\r\nSubject: RE: Refund\r\nMessage-ID: <q2.{from}>\r\n\
             In-Reply-To: <{ours}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
             -----Original Message-----\r\nFrom: Support <support@example.test>\r\nSent: Tuesday\r\n\
             Subject: Re: Refund\r\n\r\n{}\r\n\r\nWhat is the fee for sending money to Spain?\r\n",
            our_text.replace('\n', "\r\n")
        )
    };
    let Outcome::Processed(report) = process(&mut store, &reply("ann@customer.test")) else {
        panic!("processed")
    };
    assert_eq!(report.category.as_deref(), Some("fees"), "the text below our answer is read: {report:?}");
    // Our answer to someone else marks nothing: the quote stays history.
    let Outcome::Processed(other) = process(&mut store, &reply("bob@customer.test")) else {
        panic!("processed")
    };
    assert_eq!(other.category.as_deref(), Some("other"), "{other:?}");
}

#[test]
fn an_answer_typed_into_an_outlook_quote_of_our_answer_is_read() {
    let mut store = Store::open_in_memory().unwrap();
    let (first, ours) = ann_asks_for_a_refund(&mut store);
    let our_text = queued_text(&store, first.ticket.unwrap(), "ann@customer.test");
    // "See my answer below": the customer typed it between our lines, as Outlook users do in red.
    let (opening, rest) = our_text.split_once('\n').expect("our answer has lines");
    let reply = format!(
        "From: ann@customer.test\r\nTo: support@example.test\r\nSubject: RE: Refund\r\nMessage-ID: <q3@customer.test>\r\n\
         In-Reply-To: <{ours}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Please see my answer below.\r\n\r\nFrom: Support <support@example.test>\r\nSent: Tuesday\r\n\
         Subject: Re: Refund\r\n\r\n{opening}\r\n\r\nWhat is the fee for sending money to Spain?\r\n\r\n{}\r\n",
        rest.replace('\n', "\r\n")
    );
    let Outcome::Processed(report) = process(&mut store, &reply) else { panic!("processed") };
    assert_eq!(
        report.category.as_deref(),
        Some("fees"),
        "the answer typed into our quote is read: {report:?}"
    );
}
