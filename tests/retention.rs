//! Retention (issue 22): `purge` takes the raw mail and texts of old tickets in the
//! configured states, keeps the tickets and what they were about, still knows a purged mail
//! that comes again, and gives the space back. Also: raw mail is stored compressed and every
//! reader gets it back whole.

mod common;

use std::path::Path;

use common::setup;
use deskmail::daemon;
use deskmail::pipeline::{self, Context, Outcome, RawMail};
use deskmail::store::{Retention, Store};

const DAY: i64 = 86_400;

fn process(store: &mut Store, raw: &[u8]) -> Outcome {
    let settings = setup::demo_settings();
    let loaded = daemon::load(&settings).unwrap();
    let ctx = Context {
        settings: &settings,
        rules: &loaded.rules,
        templates: &loaded.templates,
        now: jiff::Timestamp::now(),
    };
    let mail = RawMail {
        bytes: raw.to_vec(),
        origin: "test".into(),
        received_at: jiff::Timestamp::now(),
        oversize: None,
    };
    pipeline::process(store, &ctx, &mail).unwrap()
}

fn ticket_of(outcome: Outcome) -> i64 {
    match outcome {
        Outcome::Processed(report) => report.ticket.expect("a ticket"),
        other => panic!("processed: {other:?}"),
    }
}

/// Sets a ticket's status and how long ago its last activity was (the lifecycle's commands
/// are not needed to test retention).
fn age(db: &Path, ticket: i64, status: &str, days_ago: i64) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let at = jiff::Timestamp::now().as_second() - days_ago * DAY;
    conn.execute(
        "UPDATE tickets SET status = ?2, last_activity = ?3 WHERE id = ?1",
        rusqlite::params![ticket, status, at],
    )
    .unwrap();
    conn.execute("UPDATE outbox SET state = 'sent' WHERE ticket_id = ?1", [ticket]).unwrap();
}

fn policy(days: u32, states: &[&str]) -> Retention {
    Retention { after_days: Some(days), states: states.iter().map(|s| s.to_string()).collect() }
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// What is left of a message's content: (raw bytes stored, new_text, quoted_text, purged).
fn content(db: &Path, message: i64) -> (i64, Option<String>, Option<String>, bool) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(
        "SELECT length(raw), new_text, quoted_text, purged_at IS NOT NULL FROM messages WHERE id = ?1",
        [message],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
    .unwrap()
}

fn fixture() -> (tempfile::TempDir, std::path::PathBuf, Store) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("deskmail.db");
    let store = Store::open(&db).unwrap();
    (dir, db, store)
}

#[test]
fn purge_takes_raw_and_texts_keeps_the_ticket_and_a_purged_mail_is_still_a_duplicate() {
    let (_dir, db, mut store) = fixture();
    let old = setup::customer_mail("ann@customer.test", 1);
    let ticket = ticket_of(process(&mut store, &old));
    let recent = ticket_of(process(&mut store, &setup::customer_mail("bob@customer.test", 2)));
    age(&db, ticket, "closed", 400);
    age(&db, recent, "closed", 10);
    let message = store.ticket_messages(ticket).unwrap()[0].id;
    assert!(content(&db, message).0 > 0);

    let find = |store: &Store, words: &str| {
        let filter = deskmail::store::TicketFilter { search: Some(words.into()), ..Default::default() };
        store.find_tickets(&filter).unwrap().iter().map(|t| t.id).collect::<Vec<_>>()
    };
    assert_eq!(
        find(&store, "want a refund for order 1"),
        vec![ticket],
        "the customer's words are searchable"
    );
    let purged = store.purge(&policy(365, &["closed"]), now(), false).unwrap();
    assert_eq!((purged.tickets, purged.messages, purged.outgoing), (1, 1, 1), "{purged:?}");
    assert!(
        find(&store, "want a refund for order 1").is_empty(),
        "and gone from the search index once purged"
    );
    assert_eq!(find(&store, "order 1"), vec![ticket], "the subject stays findable");
    assert_eq!(
        find(&store, "refund for order"),
        vec![recent, ticket],
        "where it was: the newest match first, not the subject indexed anew"
    );
    assert!(purged.bytes > 0);
    assert_eq!(content(&db, message), (0, None, None, true), "raw mail and texts gone");
    let kept = store.ticket(ticket).unwrap().expect("the ticket stays");
    assert_eq!(kept.subject, "Refund for order 1");
    let messages = store.ticket_messages(ticket).unwrap();
    assert_eq!(messages[0].from_address.as_deref(), Some("ann@customer.test"));
    assert_eq!(messages[0].subject.as_deref(), Some("Refund for order 1"));
    assert!(messages[0].category.is_some(), "what it was about stays");
    assert!(store.reply_context(ticket).unwrap().is_some(), "a purged ticket can still be answered");
    let recent_message = store.ticket_messages(recent).unwrap()[0].id;
    assert!(content(&db, recent_message).0 > 0, "a ticket inside the period keeps its mail");

    assert!(matches!(process(&mut store, &old), Outcome::Duplicate), "the content key outlives the body");
    let again = store.purge(&policy(365, &["closed"]), now(), false).unwrap();
    assert_eq!(again.tickets, 0, "nothing purged twice: {again:?}");
}

#[test]
fn a_dry_run_shows_what_would_go_and_changes_nothing() {
    let (_dir, db, mut store) = fixture();
    let ticket = ticket_of(process(&mut store, &setup::customer_mail("ann@customer.test", 1)));
    age(&db, ticket, "closed", 400);
    let message = store.ticket_messages(ticket).unwrap()[0].id;
    let before = content(&db, message);
    let would = store.purge(&policy(365, &["closed"]), now(), true).unwrap();
    assert_eq!((would.tickets, would.messages, would.outgoing), (1, 1, 1), "{would:?}");
    assert_eq!(content(&db, message), before, "a dry run changes nothing");
    let done = store.purge(&policy(365, &["closed"]), now(), false).unwrap();
    assert_eq!(done, would, "the dry run named what the purge took");
}

#[test]
fn only_the_configured_states_are_purged_and_only_when_configured() {
    let (_dir, db, mut store) = fixture();
    let ticket = ticket_of(process(&mut store, &setup::customer_mail("ann@customer.test", 1)));
    age(&db, ticket, "waiting", 400);
    assert_eq!(store.purge(&Retention::default(), now(), false).unwrap().tickets, 0, "not configured");
    assert_eq!(store.purge(&policy(365, &["closed"]), now(), false).unwrap().tickets, 0, "waiting stays");
    assert_eq!(store.purge(&policy(365, &["waiting", "closed"]), now(), false).unwrap().tickets, 1);
}

#[test]
fn a_ticket_reopened_after_a_purge_has_its_new_mail_purged_later() {
    let (_dir, db, mut store) = fixture();
    let ticket = ticket_of(process(&mut store, &setup::customer_mail("ann@customer.test", 1)));
    age(&db, ticket, "closed", 400);
    // Purged twenty days ago; a follow-up today reopens the ticket, which is closed again.
    assert_eq!(store.purge(&policy(365, &["closed"]), now() - 20 * DAY, false).unwrap().messages, 1);
    let follow_up = format!(
        "From: ann@customer.test\r\nTo: support@example.test\r\nSubject: Re: Refund for order 1 [#{ticket}]\r\n\
         Message-ID: <again@customer.test>\r\n\r\nStill no refund.\r\n"
    );
    assert_eq!(ticket_of(process(&mut store, follow_up.as_bytes())), ticket, "threaded on the ticket");
    age(&db, ticket, "closed", 10);
    let purged = store.purge(&policy(5, &["closed"]), now(), false).unwrap();
    assert_eq!((purged.tickets, purged.messages), (1, 1), "only the new mail: {purged:?}");
}

#[test]
fn purge_gives_space_back_and_switches_an_old_database_once() {
    let (_dir, db, mut store) = fixture();
    let mut tickets = Vec::new();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for n in 0..60 {
        // Mail that does not compress, as attachments do not, so that the pages are many.
        let noise: String = (0..16_000)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                char::from(b'a' + (seed % 26) as u8)
            })
            .collect();
        let mut mail = setup::customer_mail(&format!("c{n}@customer.test"), n);
        mail.extend_from_slice(format!("{noise}\r\n").as_bytes());
        tickets.push(ticket_of(process(&mut store, &mail)));
    }
    drop(store);
    // A database made before incremental vacuum: SQLite's default, none.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("PRAGMA auto_vacuum = NONE; VACUUM;").unwrap();
    for &t in &tickets[..40] {
        age(&db, t, "closed", 400);
    }
    drop(conn);
    let mut store = Store::open(&db).unwrap();
    store.purge(&policy(365, &["closed"]), now(), false).unwrap();
    let first = store.give_back_space().unwrap();
    assert!(first.switched, "an old database is switched once: {first:?}");
    assert!(first.bytes_after < first.bytes_before * 2 / 3, "{first:?}");
    for &t in &tickets[40..] {
        age(&db, t, "closed", 400);
    }
    store.purge(&policy(365, &["closed"]), now(), false).unwrap();
    let second = store.give_back_space().unwrap();
    assert!(!second.switched, "then incremental: {second:?}");
    assert!(second.bytes_after < second.bytes_before * 2 / 3, "{second:?}");
    let on_disk = std::fs::metadata(&db).unwrap().len() as i64;
    assert_eq!(on_disk, second.bytes_after, "the file itself shrank");
}

#[test]
fn a_new_database_has_incremental_vacuum() {
    let (_dir, db, _store) = fixture();
    let conn = rusqlite::Connection::open(&db).unwrap();
    let mode: i64 = conn.pragma_query_value(None, "auto_vacuum", |r| r.get(0)).unwrap();
    assert_eq!(mode, 2, "INCREMENTAL");
}

#[test]
fn raw_mail_is_stored_compressed_and_every_reader_gets_it_back_whole() {
    let (_dir, db, mut store) = fixture();
    let mut mail = setup::customer_mail("ann@customer.test", 1);
    mail.extend_from_slice("我的订单还没有退款，请尽快处理。\r\n".repeat(30).as_bytes());
    let ticket = ticket_of(process(&mut store, &mail));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (codec, stored, length): (Option<String>, i64, i64) = conn
        .query_row(
            "SELECT raw_codec, length(raw), raw_length FROM messages WHERE ticket_id = ?1",
            [ticket],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(codec.as_deref(), Some("zstd"));
    assert_eq!(length, mail.len() as i64);
    assert!(stored < length / 2, "{stored} of {length}");
    let out_codec: Option<String> =
        conn.query_row("SELECT raw_codec FROM outbox WHERE ticket_id = ?1", [ticket], |r| r.get(0)).unwrap();
    assert_eq!(out_codec.as_deref(), Some("zstd"), "outgoing mail too");

    let mut replayed = Vec::new();
    store.for_each_processed_since(0, |d| replayed.push(d.raw)).unwrap();
    assert_eq!(replayed, vec![mail.clone()], "rules replay reads the mail as received");
    let queued = store.due_outbox(now() + DAY, 10).unwrap();
    assert_eq!(queued.len(), 1);
    assert!(deskmail::parse::parse(&queued[0].raw).is_ok(), "the sender gets the mail as built");
    let reply = store.reply_context(ticket).unwrap().unwrap();
    assert_eq!(reply.message_id.as_deref(), Some("order-1@customer.test"));

    // A quarantined mail (no sender) comes back whole for `reprocess`, and lists its size.
    let broken = b"To: support@example.test\r\nSubject: no sender\r\n\r\nhello hello hello hello hello hello hello\r\n";
    assert!(matches!(process(&mut store, broken), Outcome::Quarantined { .. }));
    let held = store.quarantined().unwrap();
    assert_eq!((held[0].size, held[0].kept), (broken.len() as i64, broken.len() as i64));
    assert_eq!(store.quarantined_raw(held[0].id).unwrap().unwrap().raw, broken.to_vec());
}

#[test]
fn mail_stored_before_compression_still_reads() {
    let (_dir, db, mut store) = fixture();
    let mail = setup::customer_mail("ann@customer.test", 1);
    process(&mut store, &mail);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE messages SET raw = ?1, raw_codec = NULL, raw_length = NULL", [&mail]).unwrap();
    let mut replayed = Vec::new();
    store.for_each_processed_since(0, |d| replayed.push(d.raw)).unwrap();
    assert_eq!(replayed, vec![mail]);
}

#[test]
fn the_purge_command_shows_what_would_go_then_purges_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("deskmail.db");
    let config = dir.path().join("deskmail.toml");
    std::fs::write(
        &config,
        "[mailbox]\nkind = \"maildir\"\npath = \"mail\"\n[smtp]\nkind = \"maildir\"\npath = \"outbox\"\n\
         [support]\naddress = \"support@example.test\"\n[storage]\npath = \"deskmail.db\"\n\
         [retention]\nafter_days = 365\nstates = [\"closed\"]\n",
    )
    .unwrap();
    let mut store = Store::open(&db).unwrap();
    let ticket = ticket_of(process(&mut store, &setup::customer_mail("ann@customer.test", 1)));
    drop(store);
    age(&db, ticket, "closed", 400);
    let purge = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_deskmail"))
            .arg("purge")
            .args(args)
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let dry = purge(&["--dry-run"]);
    assert!(
        dry.contains("would purge") && dry.contains("1 ticket(s)") && dry.contains("1 message(s)"),
        "{dry}"
    );
    let message = Store::open(&db).unwrap().ticket_messages(ticket).unwrap()[0].id;
    assert!(content(&db, message).0 > 0, "the dry run changed nothing");
    let done = purge(&[]);
    assert!(done.starts_with("purged") && done.contains("1 ticket(s)"), "{done}");
    assert!(done.contains("incremental vacuum"), "space given back: {done}");
    assert_eq!(content(&db, message), (0, None, None, true));
    let json: serde_json::Value = serde_json::from_str(&purge(&["--json"])).unwrap();
    assert_eq!(json["purged"]["tickets"], 0, "{json}");
}
