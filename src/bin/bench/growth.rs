//! `deskmail-bench growth-db N DB`: a database as a year of mail leaves it, quickly. A pool
//! of generated mails (customers' first mails and follow-ups in three languages and five
//! charsets, machine mail, mail that cannot be processed) goes through the real pipeline
//! once; its rows (tickets, messages with their raw mail as the store keeps it, outgoing
//! mail, second opinions) are then copied in SQL, each copy shifted back in time and given
//! its own ids, content keys and Message-IDs, until the database holds N messages. Old
//! tickets are closed and answered, outgoing mail is sent; the last hours' tickets wait.

use std::path::{Path, PathBuf};
use std::time::Instant;

use deskmail::pipeline::{self, Context, Outcome, RawMail};
use deskmail::store::Store;

use super::generate::customer_mail;
use super::rng::Rng;
use super::{Options, USAGE, number};

/// Mails processed for the pool (its rows are copied).
const POOL: usize = 2_000;
/// Mail arriving per day, so that N messages span N / PER_DAY days.
const PER_DAY: i64 = 2_000;
/// Staff answer within this many seconds; younger tickets are still waiting.
const ANSWERED_WITHIN: i64 = 4 * 3600;
/// Tickets inactive for longer are closed.
const CLOSED_AFTER: i64 = 7 * 86_400;

pub fn growth_db(opts: &Options) -> Result<(), String> {
    let (Some(n), Some(db)) = (opts.positional.get(1), opts.positional.get(2)) else {
        return Err(format!("growth-db needs N and DB\n{USAGE}"));
    };
    let target = number(n)? as i64;
    let db = PathBuf::from(db);
    if db.exists() {
        return Err(format!("{} exists", db.display()));
    }
    let start = Instant::now();
    let pool_path = db.with_extension("pool.db");
    let _ = std::fs::remove_file(&pool_path);
    let now = jiff::Timestamp::now().as_second();
    let span = build_pool(opts, &pool_path, now)?;
    if opts.plain {
        decompress(&pool_path)?;
    }
    drop(Store::open(&db).map_err(|e| e.to_string())?);
    let conn = rusqlite::Connection::open(&db).map_err(|e| e.to_string())?;
    conn.execute_batch("PRAGMA synchronous = OFF; PRAGMA cache_size = -200000;")
        .map_err(|e| e.to_string())?;
    conn.execute("ATTACH DATABASE ?1 AS pool", [pool_path.display().to_string()])
        .map_err(|e| e.to_string())?;
    let counts = |table: &str| -> Result<i64, String> {
        conn.query_row(&format!("SELECT COALESCE(MAX(id), 0) FROM pool.{table}"), [], |r| r.get(0))
            .map_err(|e| e.to_string())
    };
    let (tickets, messages, outbox) = (counts("tickets")?, counts("messages")?, counts("outbox")?);
    let copies = (target + messages - 1) / messages.max(1);
    for k in 0..copies {
        // Copy k = copies-1 is the pool itself at the present; earlier copies lie further back.
        let shift = (copies - 1 - k) * span;
        copy(&conn, k, shift, (tickets, messages, outbox)).map_err(|e| format!("copy {k}: {e}"))?;
    }
    settle(&conn, now).map_err(|e| e.to_string())?;
    conn.execute_batch("DETACH DATABASE pool; PRAGMA wal_checkpoint(TRUNCATE);")
        .map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&pool_path);
    let stored: i64 =
        conn.query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0)).map_err(|e| e.to_string())?;
    let bytes = std::fs::metadata(&db).map_err(|e| e.to_string())?.len();
    println!(
        "built {} with {stored} messages ({} copies of a pool of {messages}), {:.1} MB, {:.0} bytes/message, raw {}, in {:.1} s",
        db.display(),
        copies,
        bytes as f64 / 1e6,
        bytes as f64 / stored as f64,
        if opts.plain { "as received" } else { "compressed" },
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Processes the pool's mails through the pipeline into `path`; returns the seconds it spans.
fn build_pool(opts: &Options, path: &Path, now: i64) -> Result<i64, String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let absolute = |p: &Path| std::fs::canonicalize(p).map_err(|e| format!("{}: {e}", p.display()));
    let (rules, templates) = (absolute(&opts.rules)?, absolute(&opts.templates)?);
    let text = format!(
        "[mailbox]\nkind = \"maildir\"\npath = \"unused\"\n[smtp]\nkind = \"maildir\"\npath = \"unused\"\n\
         [support]\naddress = \"support@example.test\"\n[storage]\npath = \"{}\"\n\
         [rules]\ndir = \"{}\"\n[templates]\ndir = \"{}\"\n",
        path.display(),
        rules.display(),
        templates.display()
    );
    let settings = deskmail::config::from_str(&text, "growth.toml", dir).map_err(|e| e.to_string())?;
    let loaded = deskmail::daemon::load(&settings).map_err(|e| e.to_string())?;
    let mut store = Store::open(path).map_err(|e| e.to_string())?;
    let mut rng = Rng::new(opts.seed);
    let step = 86_400 / PER_DAY;
    let first = now - POOL as i64 * step;
    let mut outcomes = std::collections::BTreeMap::<&str, usize>::new();
    let mut opened: Vec<(i64, String, String)> = Vec::new();
    for i in 0..POOL {
        let mut mail = customer_mail(&mut rng, i);
        if i % 40 == 7 {
            // An out-of-office reply: machine mail, stored with no answer.
            mail.splice(0..0, b"Auto-Submitted: auto-replied\r\n".iter().copied());
        } else if i % 250 == 11 {
            // No sender: quarantined, kept for a person.
            mail = format!(
                "To: support@example.test\r\nSubject: order {i}\r\nMessage-ID: <q{i}@pool.test>\r\n\r\nWhere is my order {i}?\r\n"
            )
            .into_bytes();
        } else if rng.chance(40) && !opened.is_empty() {
            // The customer writes again on an earlier ticket, quoting our answer.
            let (ticket, from, subject) = opened[opened.len() - 1 - rng.below(opened.len().min(200))].clone();
            mail = follow_up(i, ticket, &from, &subject);
        }
        let at = jiff::Timestamp::from_second(first + i as i64 * step).map_err(|e| e.to_string())?;
        let ctx =
            Context { settings: &settings, rules: &loaded.rules, templates: &loaded.templates, now: at };
        let raw =
            RawMail { bytes: mail, origin: format!("maildir:pool/{i}"), received_at: at, oversize: None };
        let outcome = pipeline::process(&mut store, &ctx, &raw).map_err(|e| e.to_string())?;
        if let Outcome::Processed(report) = &outcome
            && report.new_ticket
            && let Some(ticket) = report.ticket
        {
            opened.push((ticket, report.from.clone(), report.subject.clone()));
        }
        *outcomes
            .entry(match outcome {
                Outcome::Processed(_) => "processed",
                Outcome::Quarantined { .. } => "quarantined",
                Outcome::Spam { .. } => "spam",
                Outcome::Duplicate => "duplicate",
                Outcome::OwnCopy { .. } => "own copy",
            })
            .or_default() += 1;
    }
    eprintln!("pool: {outcomes:?}");
    Ok(POOL as i64 * step)
}

/// A customer's follow-up on `ticket`, above the quoted answer.
fn follow_up(i: usize, ticket: i64, from: &str, subject: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: support@example.test\r\nSubject: Re: {subject} [#{ticket}]\r\n\
         Message-ID: <f{i}@customer.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         谢谢，但是问题还没有解决。请再帮我看一下，订单 {i} 仍然显示处理中。\r\n\
         Thanks, but it is still not solved: order {i} still shows as pending.\r\n\r\n\
         > 您好，我们已收到您的邮件，工单号 #{ticket}。\r\n\
         > We received your mail; your ticket is #{ticket}.\r\n"
    )
    .into_bytes()
}

/// Stores the pool's raw mail as received (the "before" of compression).
fn decompress(pool: &Path) -> Result<(), String> {
    let conn = rusqlite::Connection::open(pool).map_err(|e| e.to_string())?;
    for table in ["messages", "outbox"] {
        let rows: Vec<(i64, Vec<u8>, Option<String>)> = conn
            .prepare(&format!("SELECT id, raw, raw_codec FROM {table}"))
            .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect())
            .map_err(|e| e.to_string())?;
        for (id, raw, codec) in rows {
            let plain = deskmail::store::raw::unpack(raw, codec.as_deref(), 0).map_err(|e| e.to_string())?;
            conn.execute(
                &format!("UPDATE {table} SET raw = ?2, raw_codec = NULL WHERE id = ?1"),
                rusqlite::params![id, plain],
            )
            .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// One copy of the pool, ids offset by `k` pool sizes and times `shift` seconds earlier. Its
/// content keys begin with the day its mail came, as a year of mail's do (`content_hash`): the
/// pool's own say November 2026, or nothing for its follow-ups.
fn copy(conn: &rusqlite::Connection, k: i64, shift: i64, (t, m, o): (i64, i64, i64)) -> rusqlite::Result<()> {
    let tx = conn.unchecked_transaction()?;
    tx.execute(
        "INSERT INTO tickets (id, customer, customer_name, subject, category, priority, status, language,
                              created_at, first_response_due, first_response_at, last_activity,
                              sla_warned_at, sla_breach_noticed_at, first_response_by, due_at,
                              waiting_since, state_since, reason, assignee, last_response)
         SELECT id + ?1 * ?2, customer, customer_name, subject, category, priority, status, language,
                created_at - ?3, first_response_due - ?3, first_response_at - ?3, last_activity - ?3,
                sla_warned_at - ?3, sla_breach_noticed_at - ?3, first_response_by, due_at - ?3,
                waiting_since - ?3, state_since - ?3, reason, assignee, last_response
           FROM pool.tickets",
        rusqlite::params![k, t, shift],
    )?;
    tx.execute(
        "INSERT INTO messages (id, hash, raw, origin, received_at, message_id, from_address, from_name,
                               subject, language, charset, lossy, new_text, quoted_text, automated,
                               category, rule, action, ticket_id, state, error, size, withheld, verdict,
                               raw_codec, raw_length)
         SELECT id + ?1 * ?2, 't' || strftime('%Y%m%d', received_at - ?3, 'unixepoch') || substr(hash, 10, 56) || printf('%08x', ?1),
                raw, origin, received_at - ?3,
                printf('%d.%s', ?1, message_id), from_address, from_name, subject, language, charset,
                lossy, new_text, quoted_text, automated, category, rule, action,
                ticket_id + ?1 * ?4, state, error, size, withheld, verdict, raw_codec, raw_length
           FROM pool.messages",
        rusqlite::params![k, m, shift, t],
    )?;
    tx.execute(
        "INSERT INTO outbox (id, ticket_id, message_row, kind, template, recipient, message_id, subject,
                             raw, state, attempts, next_try, last_error, created_at, sent_at, raw_codec)
         SELECT id + ?1 * ?2, ticket_id + ?1 * ?4, message_row + ?1 * ?5, kind, template, recipient,
                printf('%d.%s', ?1, message_id), subject, raw, state, attempts, next_try - ?3,
                last_error, created_at - ?3, sent_at - ?3, raw_codec
           FROM pool.outbox",
        rusqlite::params![k, o, shift, t, m],
    )?;
    tx.execute(
        "INSERT INTO search (ticket_id, body) SELECT ticket_id + ?1 * ?2, body FROM pool.search",
        rusqlite::params![k, t],
    )?;
    tx.execute(
        "INSERT INTO ticket_events (ticket_id, at, from_state, to_state, cause, actor, detail)
         SELECT ticket_id + ?1 * ?2, at - ?3, from_state, to_state, cause, actor, detail
           FROM pool.ticket_events",
        rusqlite::params![k, t, shift],
    )?;
    tx.execute(
        "INSERT INTO opinions (message_id, model_category, model_confidence, held, suggested, tags)
         SELECT message_id + ?1 * ?2, model_category, model_confidence, held, suggested, tags
           FROM pool.opinions",
        rusqlite::params![k, m],
    )?;
    tx.commit()
}

/// What time did to the copies: staff answered all but the last hours' tickets, tickets
/// inactive for a week are closed, outgoing mail went out.
fn settle(conn: &rusqlite::Connection, now: i64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE tickets SET first_response_at = COALESCE(first_response_at, created_at + 600 + (id * 7919) % ?2),
                            first_response_by = 'staff@example.test', last_response = 'person',
                            status = 'waiting', due_at = NULL, waiting_since = NULL,
                            state_since = created_at + 600 + (id * 7919) % ?2
          WHERE status = 'needs_person' AND created_at < ?1 - ?2",
        rusqlite::params![now, ANSWERED_WITHIN],
    )?;
    conn.execute(
        "UPDATE tickets SET status = 'closed', state_since = last_activity + ?2
          WHERE status = 'waiting' AND last_activity < ?1 - ?2",
        rusqlite::params![now, CLOSED_AFTER],
    )?;
    // The queue folders (when mirrored) already show every state.
    conn.execute("UPDATE tickets SET mirrored = status", [])?;
    conn.execute(
        "UPDATE outbox SET state = 'sent', attempts = 1, sent_at = created_at + 5 WHERE state = 'pending'",
        [],
    )?;
    Ok(())
}
