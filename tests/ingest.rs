//! Ingest that never loses a mail and never processes one twice, against a real Dovecot and
//! Postfix and a real SQLite file: a server outage in the middle of a batch, a recreated
//! mailbox (new UIDVALIDITY), and `kill -9` at random points while a backlog drains.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::mailstack::MailStack;
use common::setup::{self, Transport};
use deskmail::daemon;
use deskmail::pipeline::Outcome;
use deskmail::shutdown::Control;
use deskmail::store::Store;

const WAIT: Duration = Duration::from_secs(180);

/// The backlog tests load the machine; running them one at a time keeps their servers
/// responsive on a 2-core machine.
static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn customer(n: usize) -> String {
    format!("c{n:03}@customer.test")
}

/// Delivers `count` customer mails into support's INBOX with LMTP.
fn load_backlog(stack: &MailStack, count: usize) {
    for n in 0..count {
        stack
            .try_lmtp_deliver(&customer(n), &["support@example.test"], &setup::customer_mail(&customer(n), n))
            .expect("LMTP delivery");
    }
}

/// Replies that reached the customers (all at customer.test, so in the catch-all INBOX),
/// counted per recipient.
async fn replies_per_customer(stack: &MailStack) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for raw in stack.fetch_all("catchall@example.test", "INBOX").await {
        let mail = deskmail::parse::parse(&raw).expect("reply parses");
        let to = mail.header("to").unwrap_or_default().to_string();
        let address = to.rsplit('<').next().unwrap_or(&to).trim_end_matches('>').to_string();
        *counts.entry(address).or_insert(0) += 1;
    }
    counts
}

fn db_counts(db: &Path) -> (i64, i64, HashMap<String, i64>) {
    let store = Store::open(db).unwrap();
    let processed: i64 =
        store.message_counts().unwrap().iter().filter(|(s, _)| s == "processed").map(|(_, n)| n).sum();
    let tickets = store.tickets().unwrap().len() as i64;
    (processed, tickets, store.outbox_counts().unwrap().into_iter().collect())
}

/// Waits until `count` customer mails are processed and every reply is sent and confirmed.
async fn wait_until_done(stack: &MailStack, db: &Path, count: usize) {
    let deadline = Instant::now() + WAIT;
    loop {
        let (processed, _, outbox) = db_counts(db);
        let unsent: i64 = outbox.iter().filter(|(s, _)| *s != "sent").map(|(_, n)| n).sum();
        // A server under load may answer slowly: an error here is a "not yet", not a failure.
        let inbox = stack.try_count("support@example.test", "INBOX").await.unwrap_or(u32::MAX);
        if processed as usize >= count
            && unsent == 0
            && inbox == 0
            && outbox.get("sent") == Some(&(count as i64))
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "not done: processed {processed}, outbox {outbox:?}, inbox {inbox}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn assert_each_customer_answered_once(stack: &MailStack, count: usize) {
    stack.wait_for_count("catchall@example.test", "INBOX", count, WAIT).await;
    let replies = replies_per_customer(stack).await;
    for n in 0..count {
        assert_eq!(
            replies.get(&customer(n)),
            Some(&1),
            "{} got {:?} replies",
            customer(n),
            replies.get(&customer(n))
        );
    }
    assert_eq!(replies.values().sum::<usize>(), count, "no reply to anyone else");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dovecot_outage_in_the_middle_of_a_batch_loses_and_doubles_nothing() {
    let _heavy = HEAVY.lock().await;
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let mut stack = MailStack::start();
    const COUNT: usize = 500;
    load_backlog(&stack, COUNT);
    stack.wait_for_count("support@example.test", "INBOX", COUNT, WAIT).await;
    let work = tempfile::tempdir().unwrap();
    let settings = setup::parse(
        &setup::config_text(&stack, work.path(), Transport::Plain, "batch_size = 5"),
        work.path(),
    );
    let db = settings.database.clone();

    let stop = Arc::new(Control::default());
    let daemon = {
        let (settings, stop) = (settings.clone(), stop.clone());
        tokio::spawn(
            async move { daemon::run(&settings, false, &stop, Default::default(), &mut |_, _| {}).await },
        )
    };
    // Let it get into the backlog, then take the IMAP server away mid-batch.
    let deadline = Instant::now() + WAIT;
    while !db.exists() || db_counts(&db).0 < 5 {
        assert!(!daemon.is_finished(), "the daemon stopped early");
        assert!(Instant::now() < deadline, "daemon made no progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let processed_at_outage = db_counts(&db).0;
    stack.stop_dovecot_async().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    stack.start_again_async().await;

    wait_until_done(&stack, &db, COUNT).await;
    stop.stop();
    daemon.await.unwrap().expect("daemon stops cleanly");
    println!("outage after {processed_at_outage} of {COUNT} mails; daemon recovered by itself");
    assert!((processed_at_outage as usize) < COUNT, "the outage came too late to test anything");
    let (processed, tickets, _) = db_counts(&db);
    assert_eq!((processed, tickets), (COUNT as i64, COUNT as i64));
    // Answers sent while Dovecot was down were deferred by Postfix (the customers' mailboxes are
    // on the same Dovecot here): delivering them is Postfix's job once deskmail's outbox says
    // sent, and a queue file it found locked waits out its own backoff (CI saw 499 of 500 in
    // 180 s once), so ask for its queue now.
    stack.flush_queue();
    assert_each_customer_answered_once(&stack, COUNT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recreated_mailbox_with_a_new_uidvalidity_creates_no_ticket_twice() {
    let stack = MailStack::start();
    let mut session = stack.imap_login("support@example.test").await;
    session.create("Support").await.unwrap();
    let mails: Vec<Vec<u8>> = (0..5).map(|n| setup::customer_mail(&customer(n), n)).collect();
    for mail in &mails {
        stack.save_message("support@example.test", "Support", mail);
    }
    let work = tempfile::tempdir().unwrap();
    let settings = setup::parse(
        &setup::config_text(&stack, work.path(), Transport::Plain, "inbox = \"Support\""),
        work.path(),
    );
    let stop = Control::default();
    daemon::run(&settings, true, &stop, Default::default(), &mut |_, _| {}).await.unwrap();
    let store = Store::open(&settings.database).unwrap();
    let (first_validity, _) = store.checkpoint("Support").unwrap().expect("checkpoint recorded");
    assert_eq!(store.tickets().unwrap().len(), 5);

    // Recreate the mailbox (new UIDVALIDITY) holding the same mails again.
    session.delete("Support").await.unwrap();
    session.create("Support").await.unwrap();
    for mail in &mails {
        stack.save_message("support@example.test", "Support", mail);
    }
    let mut outcomes = Vec::new();
    daemon::run(&settings, true, &stop, Default::default(), &mut |_, o| outcomes.push(o.clone()))
        .await
        .unwrap();
    let (second_validity, _) = store.checkpoint("Support").unwrap().unwrap();
    assert_ne!(first_validity, second_validity, "the mailbox really got a new UIDVALIDITY");
    assert_eq!(outcomes.len(), 5);
    assert!(outcomes.iter().all(|o| matches!(o, Outcome::Duplicate)), "{outcomes:?}");
    assert_eq!(store.tickets().unwrap().len(), 5, "no ticket created twice");
    let sent: i64 = store.outbox_counts().unwrap().iter().map(|(_, n)| n).sum();
    assert_eq!(sent, 5, "no reply queued twice");
}

fn spawn_daemon(config: &Path, log: &Path) -> Child {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_deskmail"))
        .args(["run", "--config", config.to_str().unwrap()])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("deskmail starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_points_loses_and_doubles_nothing() {
    let _heavy = HEAVY.lock().await;
    use rand::Rng;
    let stack = MailStack::start();
    const COUNT: usize = 400;
    load_backlog(&stack, COUNT);
    stack.wait_for_count("support@example.test", "INBOX", COUNT, WAIT).await;
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("deskmail.toml");
    std::fs::write(&config, setup::config_text(&stack, work.path(), Transport::Plain, "batch_size = 20"))
        .unwrap();
    let db = work.path().join("deskmail.db");
    let log = work.path().join("deskmail.log");

    // Kill at random points until the backlog is done, at least 30 times; count the kills
    // that landed while work (mail to process or replies to send) remained.
    let (mut kills, mut kills_mid_work) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(150);
    while kills < 30 && Instant::now() < deadline {
        let mut child = spawn_daemon(&config, &log);
        let ms = rand::rng().random_range(30..400);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        child.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
        child.wait().unwrap();
        kills += 1;
        let done = db.exists() && {
            let (processed, _, outbox) = db_counts(&db);
            processed as usize >= COUNT && outbox.get("sent") == Some(&(COUNT as i64))
        };
        if !done {
            kills_mid_work += 1;
        }
    }
    let (processed_during_kills, ..) = if db.exists() { db_counts(&db) } else { (0, 0, HashMap::new()) };
    // A last run, left alone, finishes the work (resending only what was never accepted).
    let mut child = spawn_daemon(&config, &log);
    wait_until_done(&stack, &db, COUNT).await;
    child.kill().unwrap();
    child.wait().unwrap();

    println!(
        "kill -9: {kills} kills, {kills_mid_work} of them with work left; {processed_during_kills} of {COUNT} mails processed while being killed"
    );
    let (processed, tickets, outbox) = db_counts(&db);
    assert_eq!(processed, COUNT as i64, "every mail has exactly one entry");
    assert_eq!(tickets, COUNT as i64, "every mail has exactly one ticket");
    assert_eq!(outbox.get("sent"), Some(&(COUNT as i64)), "{outbox:?}");
    assert_each_customer_answered_once(&stack, COUNT).await;
    assert!(kills_mid_work >= 5, "only {kills_mid_work} of {kills} kills landed while work remained");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settle_flag_leaves_processed_mail_in_the_inbox_and_never_processes_it_again() {
    let stack = MailStack::start();
    load_backlog(&stack, 5);
    stack.wait_for_count("support@example.test", "INBOX", 5, WAIT).await;
    let work = tempfile::tempdir().unwrap();
    let settings = setup::parse(
        &setup::config_text(&stack, work.path(), Transport::Plain, "settle = \"flag\"\nbatch_size = 2"),
        work.path(),
    );
    let stop = Control::default();
    let mut first = Vec::new();
    daemon::run(&settings, true, &stop, Default::default(), &mut |_, o| first.push(o.clone())).await.unwrap();
    let copies = first.iter().filter(|o| matches!(o, Outcome::OwnCopy { .. })).count();
    assert_eq!(
        (first.len() - copies, copies),
        (5, 5),
        "the five, then the self-copies of their replies: {first:?}"
    );
    // The five stay in the INBOX, flagged; the self-copies were filed in Sent in the same pass.
    assert_eq!(stack.count("support@example.test", "INBOX").await, 5);
    let mut second = Vec::new();
    daemon::run(&settings, true, &stop, Default::default(), &mut |_, o| second.push(o.clone()))
        .await
        .unwrap();
    assert!(second.is_empty(), "nothing is new: {second:?}");
    let mut third = Vec::new();
    daemon::run(&settings, true, &stop, Default::default(), &mut |_, o| third.push(o.clone())).await.unwrap();
    assert!(third.is_empty(), "{third:?}");
    assert_eq!(stack.count("support@example.test", "INBOX").await, 5);
    assert_eq!(Store::open(&settings.database).unwrap().tickets().unwrap().len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_waiting_before_idle_starts_is_not_left_for_the_poll_interval() {
    let stack = MailStack::start();
    let work = tempfile::tempdir().unwrap();
    let settings = setup::parse(&setup::config_text(&stack, work.path(), Transport::Plain, ""), work.path());
    // Mail that arrived after a pass ended but before IDLE began: IDLE would never call it new.
    setup::deliver_customer_mail(&stack, 0);
    stack.wait_for_count("support@example.test", "INBOX", 1, WAIT).await;
    let mut source = daemon::source(&settings);
    let stop = Control::default();
    let waited =
        tokio::time::timeout(Duration::from_secs(30), source.wait_for_news(Duration::from_secs(600), &stop))
            .await;
    assert!(waited.is_ok(), "waited for the poll interval with mail in the inbox");
    waited.unwrap().unwrap();
}
