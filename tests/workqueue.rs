//! The work queue (issue 19): ticket states through the pipeline as the daemon runs it, the
//! staff commands on a real database, and the follow-up notice through a real Postfix.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use common::mailstack::MailStack;
use common::setup;
use deskmail::compose::Templates;
use deskmail::config::Settings;
use deskmail::daemon;
use deskmail::pipeline::{self, Context, Outcome, RawMail};
use deskmail::store::{OutKind, Store, TicketFilter, TicketStatus};
use jiff::{SignedDuration, Timestamp};

fn process_at(
    store: &mut Store,
    settings: &Settings,
    templates: Option<&Templates>,
    raw: &str,
    now: Timestamp,
) -> Outcome {
    let loaded = daemon::load(settings).unwrap();
    let ctx =
        Context { settings, rules: &loaded.rules, templates: templates.unwrap_or(&loaded.templates), now };
    let mail =
        RawMail { bytes: raw.as_bytes().to_vec(), origin: "test".into(), received_at: now, oversize: None };
    pipeline::process(store, &ctx, &mail).unwrap()
}

fn ticket_of(outcome: &Outcome) -> i64 {
    let Outcome::Processed(report) = outcome else { panic!("processed: {outcome:?}") };
    report.ticket.expect("a ticket")
}

const PASSWORD: &str = "From: Ann <ann@customer.test>\r\nTo: support@example.test\r\nSubject: Forgot my password\r\n\
    Message-ID: <pw1@customer.test>\r\n\r\nI forgot my password and cannot log in, how do I reset it?\r\n";

fn follow_up(in_reply_to: &str, text: &str) -> String {
    format!(
        "From: Ann <ann@customer.test>\r\nTo: support@example.test\r\nSubject: Re: Forgot my password\r\n\
         Message-ID: <pw2-{}@customer.test>\r\nIn-Reply-To: <{in_reply_to}>\r\n\r\n{text}\r\n",
        text.len()
    )
}

fn status(store: &Store, ticket: i64) -> TicketStatus {
    store.ticket(ticket).unwrap().unwrap().status
}

#[test]
fn a_follow_up_after_a_canned_answer_needs_a_person_with_its_own_deadline_and_tells_staff() {
    let settings = setup::demo_settings();
    let mut store = Store::open_in_memory().unwrap();
    let t0 = Timestamp::now();
    let ticket = ticket_of(&process_at(&mut store, &settings, None, PASSWORD, t0));
    let answer = store.ticket_outbox(ticket).unwrap();
    assert_eq!(answer[0].kind, OutKind::Answer, "the password question gets its canned answer");
    assert_eq!(status(&store, ticket), TicketStatus::Waiting, "an answer that resolves hands the turn over");
    assert!(store.due_tickets().unwrap().is_empty(), "nothing waits for a person");

    let later = t0 + SignedDuration::from_hours(30);
    let text = "I followed your steps, still no reset mail, and now I cannot log in at all.";
    let again = process_at(&mut store, &settings, None, &follow_up(&answer[0].message_id, text), later);
    assert_eq!(ticket_of(&again), ticket, "the follow-up joins the ticket");
    let t = store.ticket(ticket).unwrap().unwrap();
    assert_eq!(t.status, TicketStatus::NeedsPerson);
    assert!(t.reason.as_deref().unwrap_or_default().contains("did not help"), "{t:?}");
    let due = store.due_tickets().unwrap();
    assert_eq!(due.len(), 1, "`sla` lists it");
    assert_eq!(due[0].waiting_since, later.as_second(), "its own deadline, from the follow-up");
    assert!(due[0].due > later.as_second());
    let counts = store.ticket_counts().unwrap();
    assert!(counts.contains(&(TicketStatus::NeedsPerson, 1)), "`status` counts it: {counts:?}");
    let notice = store.ticket_outbox(ticket).unwrap().into_iter().find(|o| o.kind == OutKind::FollowUp);
    let notice = notice.expect("staff are told");
    assert_eq!(notice.recipient, "staff@example.test");
    let body = String::from_utf8_lossy(&notice.raw).to_string();
    assert!(body.contains("still no reset mail"), "with the customer's text:\n{body}");
    let history: Vec<String> = store.ticket_events(ticket).unwrap().iter().map(|e| e.cause.clone()).collect();
    assert_eq!(history, ["opened", "answered", "customer_mail"], "every change recorded");
}

#[test]
fn a_customer_writing_on_a_closed_ticket_opens_it_again_or_after_the_window_a_new_one() {
    let mut settings = setup::demo_settings();
    settings.reopen_within = SignedDuration::from_hours(24);
    let mut store = Store::open_in_memory().unwrap();
    let t0 = Timestamp::now();
    let ticket = ticket_of(&process_at(&mut store, &settings, None, PASSWORD, t0));
    let ours = store.ticket_outbox(ticket).unwrap()[0].message_id.clone();
    let close = |store: &mut Store, at: Timestamp| {
        let tx = store.begin().unwrap();
        let what = deskmail::store::Happened {
            ticket,
            event: deskmail::lifecycle::Event::Close,
            at: at.as_second(),
            waiting: None,
            actor: Some("test"),
            detail: None,
        };
        tx.on_event(&what).unwrap();
        tx.commit().unwrap();
    };
    close(&mut store, t0);
    let soon = t0 + SignedDuration::from_hours(2);
    let back = process_at(&mut store, &settings, None, &follow_up(&ours, "It happened again."), soon);
    assert_eq!(ticket_of(&back), ticket);
    assert_eq!(status(&store, ticket), TicketStatus::NeedsPerson, "reopened within the window");

    close(&mut store, soon);
    let late = soon + SignedDuration::from_hours(48);
    let new =
        process_at(&mut store, &settings, None, &follow_up(&ours, "Months later, the same problem."), late);
    let Outcome::Processed(report) = new else { panic!() };
    assert!(report.new_ticket, "closed too long ago: a new ticket, {report:?}");
    assert_ne!(report.ticket, Some(ticket));
    assert_eq!(status(&store, ticket), TicketStatus::Closed);
}

#[test]
fn tickets_waiting_for_the_customer_close_after_close_after() {
    let settings = setup::demo_settings();
    let mut store = Store::open_in_memory().unwrap();
    let t0 = Timestamp::now();
    let ticket = ticket_of(&process_at(&mut store, &settings, None, PASSWORD, t0));
    assert_eq!(status(&store, ticket), TicketStatus::Waiting);
    let early = t0 + settings.close_after - SignedDuration::from_hours(1);
    assert_eq!(deskmail::housekeeping::close_idle(&mut store, &settings, early).unwrap(), 0);
    let after = t0 + settings.close_after + SignedDuration::from_hours(1);
    assert_eq!(deskmail::housekeeping::close_idle(&mut store, &settings, after).unwrap(), 1);
    assert_eq!(status(&store, ticket), TicketStatus::Closed);
    let last = store.ticket_events(ticket).unwrap().pop().unwrap();
    assert_eq!((last.cause.as_str(), last.to.as_str()), ("no_reply", "closed"));
}

#[test]
fn a_template_that_fails_sends_the_acknowledgement_and_puts_the_ticket_before_a_person() {
    let settings = setup::demo_settings();
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&settings.templates_dir).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    // Compiles, but fails when rendered: a variable no context has.
    std::fs::write(
        dir.path().join("password_reset.en.j2"),
        "{% block subject %}Reset{% endblock %}{% block text %}Hello {{ no_such_variable }}{% endblock %}",
    )
    .unwrap();
    let broken = Templates::load(dir.path()).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let outcome = process_at(&mut store, &settings, Some(&broken), PASSWORD, Timestamp::now());
    let Outcome::Processed(report) = &outcome else { panic!() };
    assert!(report.reply.starts_with("ack:ack (template password_reset failed"), "{report:?}");
    let ticket = ticket_of(&outcome);
    let outbox = store.ticket_outbox(ticket).unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].kind, OutKind::Ack, "the customer still hears from us");
    let t = store.ticket(ticket).unwrap().unwrap();
    assert_eq!(t.status, TicketStatus::NeedsPerson);
    assert!(t.reason.as_deref().unwrap_or_default().contains("template password_reset failed"), "{t:?}");
    assert_eq!(store.template_failures().unwrap(), 1);
    let gauges = deskmail::metrics::gauges(&store, Timestamp::now().as_second());
    assert_eq!(gauges.template_failures, 1, "counted in metrics");
}

#[test]
fn tickets_are_found_by_state_category_customer_and_words_in_chinese_and_english() {
    let settings = setup::demo_settings();
    let mut store = Store::open_in_memory().unwrap();
    let now = Timestamp::now();
    let refund = "From: liu@customer.test\r\nTo: support@example.test\r\nSubject: 退款\r\nMessage-ID: <r1@c.test>\r\n\r\n\
        我上周申请的退款还没有到账，订单号 88231。\r\n";
    let r = ticket_of(&process_at(&mut store, &settings, None, refund, now));
    let p = ticket_of(&process_at(&mut store, &settings, None, PASSWORD, now));
    let find = |filter: TicketFilter| -> Vec<i64> {
        store.find_tickets(&filter).unwrap().iter().map(|t| t.id).collect()
    };
    assert_eq!(find(TicketFilter { search: Some("还没有到账".into()), ..Default::default() }), [r]);
    assert_eq!(
        find(TicketFilter { search: Some("退款".into()), ..Default::default() }),
        [r],
        "two characters"
    );
    assert_eq!(find(TicketFilter { search: Some("88231".into()), ..Default::default() }), [r]);
    assert_eq!(find(TicketFilter { search: Some("RESET password".into()), ..Default::default() }), [p]);
    assert!(find(TicketFilter { search: Some("reset 退款".into()), ..Default::default() }).is_empty());
    assert_eq!(find(TicketFilter { status: Some(TicketStatus::Waiting), ..Default::default() }), [p]);
    assert_eq!(find(TicketFilter { customer: Some("LIU@customer.test".into()), ..Default::default() }), [r]);
    assert_eq!(find(TicketFilter { category: Some("refund".into()), ..Default::default() }), [r]);
    let overdue = TicketFilter {
        overdue_at: Some((now + SignedDuration::from_hours(200)).as_second()),
        ..Default::default()
    };
    assert_eq!(find(overdue), [r], "only what needs a person can be overdue");
}

// The staff commands, on the database `deskmail demo` makes.

fn deskmail(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deskmail")).args(args).env("DESKMAIL_STAFF", "mei").output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn demo(dir: &Path) -> String {
    let demo = dir.join("demo");
    assert!(deskmail(&["demo", "--dir", demo.to_str().unwrap()]).status.success());
    demo.join("deskmail.toml").display().to_string()
}

#[test]
fn staff_assign_note_close_reopen_reclassify_and_show_every_text() {
    let dir = tempfile::tempdir().unwrap();
    let config = demo(dir.path());
    let config = config.as_str();
    let list: serde_json::Value = serde_json::from_str(&stdout(&deskmail(&[
        "tickets",
        "--state",
        "needs-person",
        "--json",
        "--config",
        config,
    ])))
    .unwrap();
    let first = list.as_array().unwrap().last().unwrap()["id"].as_i64().unwrap().to_string();
    let n = first.as_str();

    assert!(deskmail(&["assign", n, "mei", "--config", config]).status.success());
    assert!(
        deskmail(&[
            "note",
            n,
            "Called",
            "the",
            "customer;",
            "waiting",
            "for",
            "the",
            "bank.",
            "--config",
            config
        ])
        .status
        .success()
    );
    let mine = stdout(&deskmail(&["tickets", "--assignee", "mei", "--config", config]));
    assert!(mine.contains("1 ticket(s)"), "{mine}");
    let unknown = deskmail(&["reclassify", n, "refnud", "--config", config]);
    assert_eq!(unknown.status.code(), Some(64), "a category the rules do not declare");
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("did you mean `refund`"));
    assert!(deskmail(&["reclassify", n, "withdrawal", "--config", config]).status.success());
    assert!(deskmail(&["close", n, "--config", config]).status.success());
    assert_eq!(deskmail(&["close", n, "--config", config]).status.code(), Some(1), "already closed");
    let closed = stdout(&deskmail(&["tickets", "--state", "closed", "--config", config]));
    assert!(closed.contains("1 ticket(s)"), "{closed}");
    assert!(deskmail(&["reopen", n, "--config", config]).status.success());
    let status: serde_json::Value =
        serde_json::from_str(&stdout(&deskmail(&["status", "--json", "--config", config]))).unwrap();
    assert!(status["tickets"]["needs_person"].as_i64().unwrap() >= 1, "status counts per state: {status}");
    let sla: serde_json::Value =
        serde_json::from_str(&stdout(&deskmail(&["sla", "--json", "--config", config]))).unwrap();
    assert!(sla["states"]["needs_person"].as_i64().unwrap() >= 1, "sla per state: {sla}");
    assert!(sla["categories"]["withdrawal"]["waiting"].as_i64().unwrap() >= 1, "sla per category: {sla}");

    let show = stdout(&deskmail(&["show", n, "--config", config]));
    for needle in [
        "assignee: mei",
        "category:  withdrawal",
        "Called the customer; waiting for the bank.",
        "closed_by_staff by mei",
        "reopened_by_staff by mei",
        "reclassified by mei",
        "assigned by mei",
    ] {
        assert!(show.contains(needle), "{needle} missing:\n{show}");
    }
    // The outgoing mail's text, not only its subject.
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&deskmail(&["show", n, "--json", "--config", config]))).unwrap();
    let text = json["outgoing"][0]["text"].as_str().unwrap();
    assert!(text.contains(n), "the acknowledgement names the ticket: {text}");
    assert!(json["notes"][0]["body"].as_str().unwrap().contains("Called the customer"));
}

#[test]
fn reply_shows_the_mail_sends_only_when_asked_and_refuses_what_must_not_go() {
    let dir = tempfile::tempdir().unwrap();
    let config = demo(dir.path());
    let config = config.as_str();
    let list: serde_json::Value = serde_json::from_str(&stdout(&deskmail(&[
        "tickets",
        "--state",
        "needs-person",
        "--json",
        "--config",
        config,
    ])))
    .unwrap();
    let ticket = &list.as_array().unwrap()[0];
    let n = ticket["id"].as_i64().unwrap().to_string();
    let outbox = dir.path().join("demo/outbox/new");
    let sent_before = std::fs::read_dir(&outbox).unwrap().count();

    let body = dir.path().join("body.txt");
    std::fs::write(&body, "Your refund was sent today; it reaches your card within 3 days.\n").unwrap();
    let preview = deskmail(&["reply", &n, "--body-file", body.to_str().unwrap(), "--config", config]);
    assert!(preview.status.success());
    assert!(
        stdout(&preview).contains("reaches your card within 3 days") && stdout(&preview).contains("not sent")
    );
    assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), sent_before, "a preview sends nothing");

    std::fs::write(&body, "  \n\n").unwrap();
    let empty = deskmail(&["reply", &n, "--body-file", body.to_str().unwrap(), "--send", "--config", config]);
    assert_eq!(empty.status.code(), Some(65), "an empty reply is refused");
    let staff_only = deskmail(&["reply", &n, "--template", "sla_warning", "--send", "--config", config]);
    assert_eq!(staff_only.status.code(), Some(64), "a staff notice never goes to a customer");
    assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), sent_before);

    let other = if ticket["category"] == "refund" { "fees" } else { "refund" };
    let warned = deskmail(&["reply", &n, "--template", other, "--config", config]);
    assert!(String::from_utf8_lossy(&warned.stderr).contains("warning: template"), "{warned:?}");

    std::fs::write(&body, "Your refund was sent today.\n").unwrap();
    let sent = deskmail(&["reply", &n, "--body-file", body.to_str().unwrap(), "--send", "--config", config]);
    assert!(sent.status.success(), "{}", String::from_utf8_lossy(&sent.stderr));
    assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), sent_before + 1);
    let after: serde_json::Value =
        serde_json::from_str(&stdout(&deskmail(&["show", &n, "--json", "--config", config]))).unwrap();
    assert_eq!(after["ticket"]["status"], "waiting", "a person's reply hands the turn to the customer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_follow_up_notice_reaches_staff_through_postfix_with_the_customer_text() {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let stack = MailStack::start_with_env(&[("MAILSTACK_USERS", setup::SAMPLE_USERS)]);
    let work = tempfile::tempdir().unwrap();
    let settings = setup::settings(&stack, work.path());
    let wait = Duration::from_secs(20);
    stack
        .try_lmtp_deliver(
            "ann@example.test",
            &["support@example.test"],
            PASSWORD.replace("ann@customer.test", "ann@example.test").as_bytes(),
        )
        .unwrap();
    stack.wait_for_count("support@example.test", "INBOX", 1, wait).await;
    let stop = deskmail::shutdown::Control::default();
    daemon::run(&settings, true, &stop, Default::default(), &mut |_, _| {}).await.unwrap();
    let answer = stack.wait_for_count("ann@example.test", "INBOX", 1, wait).await;
    let answer = deskmail::parse::parse(&answer[0]).unwrap();
    let ours = answer.message_id.clone().unwrap();

    let text = "I followed your steps, still no reset mail.";
    let again = follow_up(&ours, text).replace("ann@customer.test", "ann@example.test");
    stack.try_lmtp_deliver("ann@example.test", &["support@example.test"], again.as_bytes()).unwrap();
    stack.wait_for_count("support@example.test", "INBOX", 1, wait).await;
    daemon::run(&settings, true, &stop, Default::default(), &mut |_, _| {}).await.unwrap();

    let notices = stack.wait_for_count("staff@example.test", "INBOX", 1, wait).await;
    let notice = deskmail::parse::parse(&notices[0]).unwrap();
    assert!(notice.subject.contains("Needs a person"), "{}", notice.subject);
    assert!(
        notice.body.contains("still no reset mail") && notice.body.contains("did not help"),
        "{}",
        notice.body
    );
    let store = Store::open_read_only(&settings.database).unwrap();
    let due = store.due_tickets().unwrap();
    assert_eq!(due.len(), 1, "the ticket waits for a person, with a deadline");
    assert_eq!(
        stack.count("ann@example.test", "INBOX").await,
        1,
        "the customer gets no second canned answer"
    );
}

/// The Message-IDs of the mail in a folder of support@'s mailbox.
async fn ids_in(stack: &MailStack, folder: &str) -> Vec<String> {
    let mut ids: Vec<String> = stack
        .fetch_all("support@example.test", folder)
        .await
        .iter()
        .filter_map(|raw| deskmail::parse::parse(raw).ok()?.message_id)
        .collect();
    ids.sort();
    ids
}

fn customer(from: &str, id: &str, subject: &str, text: &str, in_reply_to: Option<&str>) -> Vec<u8> {
    let reply = in_reply_to.map_or(String::new(), |r| format!("In-Reply-To: <{r}>\r\n"));
    format!("From: {from}\r\nTo: support@example.test\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n{reply}\r\n{text}\r\n")
        .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_folders_show_every_ticket_that_needs_a_person_and_nothing_else() {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let stack = MailStack::start_with_env(&[("MAILSTACK_USERS", setup::SAMPLE_USERS)]);
    let work = tempfile::tempdir().unwrap();
    let text = setup::config_text(&stack, work.path(), setup::Transport::Tls, "queue = true");
    let settings = setup::parse(&text, work.path());
    let wait = Duration::from_secs(20);
    let stop = deskmail::shutdown::Control::default();
    let deliver =
        |raw: Vec<u8>| stack.try_lmtp_deliver("ann@example.test", &["support@example.test"], &raw).unwrap();
    deliver(customer(
        "ann@example.test",
        "pw@ann.test",
        "Forgot my password",
        "I forgot my password, how do I reset it?",
        None,
    ));
    deliver(customer(
        "bob@example.test",
        "rf@bob.test",
        "Refund",
        "Where is my refund for order 4411? 退款还没到。",
        None,
    ));
    deliver(customer(
        "carol@example.test",
        "fee@carol.test",
        "Fees",
        "Why was I charged a fee of 3 euros on my transfer?",
        None,
    ));
    stack.wait_for_count("support@example.test", "INBOX", 3, wait).await;
    daemon::run(&settings, true, &stop, Default::default(), &mut |_, _| {}).await.unwrap();

    // The password question got an answer that resolves: the customer's turn.
    assert_eq!(ids_in(&stack, "Queue/Needs reply").await, ["fee@carol.test", "rf@bob.test"]);
    assert_eq!(ids_in(&stack, "Queue/Waiting").await, ["pw@ann.test"]);
    assert!(ids_in(&stack, "Processed").await.is_empty(), "every ticket's mail is in its queue folder");

    // Staff close the fee ticket; the customer of the answered one writes again.
    let store = Store::open_read_only(&settings.database).unwrap();
    let fee = store
        .find_tickets(&TicketFilter { customer: Some("carol@example.test".into()), ..Default::default() });
    let fee = fee.unwrap()[0].id;
    drop(store);
    let config = work.path().join("deskmail.toml");
    std::fs::write(&config, &text).unwrap();
    let closed = deskmail(&["close", &fee.to_string(), "--config", config.to_str().unwrap()]);
    assert!(closed.status.success(), "{}", String::from_utf8_lossy(&closed.stderr));
    let answer = stack.wait_for_count("ann@example.test", "INBOX", 1, wait).await;
    let ours = deskmail::parse::parse(&answer[0]).unwrap().message_id.unwrap();
    deliver(customer(
        "ann@example.test",
        "pw2@ann.test",
        "Re: Forgot my password",
        "Still no reset mail.",
        Some(&ours),
    ));
    stack.wait_for_count("support@example.test", "INBOX", 1, wait).await;
    daemon::run(&settings, true, &stop, Default::default(), &mut |_, _| {}).await.unwrap();

    assert_eq!(
        ids_in(&stack, "Queue/Needs reply").await,
        ["pw2@ann.test", "pw@ann.test", "rf@bob.test"],
        "every ticket that needs a person, with all its customer mail, and nothing else"
    );
    assert!(ids_in(&stack, "Queue/Waiting").await.is_empty());
    assert_eq!(ids_in(&stack, "Queue/Closed").await, ["fee@carol.test"]);
}

#[test]
fn a_reclassification_is_a_correction_the_second_opinion_learns_from() {
    let settings = setup::demo_settings();
    let mut store = Store::open_in_memory().unwrap();
    let mail = "From: dee@customer.test\r\nTo: support@example.test\r\nSubject: Card\r\nMessage-ID: <c1@c.test>\r\n\r\n\
        My new card has still not come in the post after three weeks.\r\n";
    let ticket = ticket_of(&process_at(&mut store, &settings, None, mail, Timestamp::now()));
    let mut loaded = daemon::load(&settings).unwrap();
    assert_eq!(deskmail::policy::learn_corrections(&mut loaded, &store).unwrap(), 0, "nothing corrected yet");
    let tx = store.begin().unwrap();
    tx.reclassify(ticket, "missing_confirmation", Timestamp::now().as_second(), "mei").unwrap();
    tx.commit().unwrap();
    let corrections = store.corrections().unwrap();
    assert_eq!(corrections.len(), 1);
    assert!(corrections[0].text.contains("still not come in the post"), "the customer's words are kept");
    assert_eq!(
        deskmail::policy::learn_corrections(&mut loaded, &store).unwrap(),
        1,
        "the daemon learns it on load"
    );
}
