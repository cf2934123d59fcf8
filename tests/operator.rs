//! deskmail as an operator installs and runs it (issue 21): nothing deleted that deskmail did
//! not make, no panic on a closed pipe, honest exit codes, quiet cron passes, read commands
//! that never create a database, schema versions, backups, `check-config` against the real
//! Dovecot and Postfix, TLS that follows the port, man pages and completions.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::mailstack::MailStack;
use common::setup::{self, Transport};

fn deskmail_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deskmail"))
        .args(args)
        .current_dir(dir)
        .env_remove("DESKMAIL_CONFIG")
        .env_remove("RUST_LOG")
        .output()
        .expect("deskmail runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A demo directory with a database of tickets; returns its configuration file.
fn demo(dir: &Path) -> String {
    let demo = dir.join("demo");
    let out = deskmail_in(dir, &["demo", "--dir", demo.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    demo.join("deskmail.toml").to_str().unwrap().to_string()
}

#[test]
fn regression_demo_refuses_a_non_empty_directory_it_did_not_make() {
    let dir = tempfile::tempdir().unwrap();
    let precious = dir.path().join("precious.txt");
    std::fs::write(&precious, "a user's file").unwrap();
    for target in [".", dir.path().to_str().unwrap()] {
        let out = deskmail_in(dir.path(), &["demo", "--dir", target]);
        assert_eq!(out.status.code(), Some(73), "EX_CANTCREAT: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains("not made by deskmail demo"), "{}", text(&out.stderr));
    }
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "a user's file");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "nothing added either");
}

#[test]
fn a_second_demo_run_replaces_only_what_the_first_made() {
    let dir = tempfile::tempdir().unwrap();
    let config = demo(dir.path());
    let mine = dir.path().join("demo/notes.txt");
    std::fs::write(&mine, "kept").unwrap();
    demo(dir.path());
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "kept");
    let out = deskmail_in(dir.path(), &["tickets", "--config", &config]);
    assert!(
        text(&out.stdout).contains("6 ticket(s)"),
        "a fresh run, not a second one on top: {}",
        text(&out.stdout)
    );
}

#[test]
fn the_demo_needs_no_source_tree() {
    // Run from a directory far from the source tree: the rules, templates and sample mailbox
    // come from the binary, and the demo's configuration names nothing outside its directory.
    let dir = tempfile::tempdir().unwrap();
    let config = demo(dir.path());
    let written = std::fs::read_to_string(&config).unwrap();
    assert!(!written.contains(env!("CARGO_MANIFEST_DIR")), "{written}");
    assert!(dir.path().join("demo/rules").is_dir() && dir.path().join("demo/templates/ack.en.j2").is_file());
}

#[test]
fn regression_read_commands_exit_0_when_their_reader_goes_away() {
    let dir = tempfile::tempdir().unwrap();
    let config = demo(dir.path());
    for args in [
        vec!["tickets"],
        vec!["tickets", "--json"],
        vec!["show", "3"],
        vec!["sla"],
        vec!["status"],
        vec!["quarantine"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_deskmail"))
            .args(&args)
            .args(["--config", &config])
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn regression_a_mistyped_database_path_is_an_error_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("deskmail.toml");
    std::fs::write(
        &config,
        "[mailbox]\nkind = \"maildir\"\npath = \"mailbox\"\n[smtp]\nkind = \"maildir\"\npath = \"outbox\"\n\
         [support]\naddress = \"support@example.test\"\n[storage]\npath = \"deskmial.db\"\n",
    )
    .unwrap();
    for command in ["tickets", "sla", "status", "quarantine"] {
        let out = deskmail_in(dir.path(), &[command, "--config", config.to_str().unwrap()]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(66), "{command}: EX_NOINPUT: {err}");
        assert!(err.contains("deskmial.db"), "names the path: {err}");
        assert!(!dir.path().join("deskmial.db").exists(), "{command} created a database");
    }
}

#[test]
fn a_database_of_a_newer_deskmail_is_refused_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let config = demo(dir.path());
    let db = dir.path().join("demo/deskmail.db");
    rusqlite::Connection::open(&db).unwrap().pragma_update(None, "user_version", 999).unwrap();
    for args in [vec!["tickets"], vec!["run", "--once"], vec!["backup", "copy.db"]] {
        let out = deskmail_in(dir.path(), &[args.as_slice(), &["--config", &config]].concat());
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(65), "{args:?}: EX_DATAERR: {err}");
        assert!(err.contains("newer deskmail") && err.contains("999"), "{err}");
    }
    let version: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 999, "untouched");
}

#[test]
fn a_migration_backs_the_database_up_first() {
    let dir = tempfile::tempdir().unwrap();
    let config = demo(dir.path());
    let db = dir.path().join("demo/deskmail.db");
    let migrations =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations")).unwrap().count();
    // An older deskmail's database: the same data, the schema version one step back. (The
    // last migration creates a table, so undoing the version alone makes it re-run; the
    // table exists, so it fails, which proves the backup came first.)
    let old = migrations as i64 - 1;
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.pragma_update(None, "user_version", old).unwrap();
    drop(conn);
    let read = deskmail_in(dir.path(), &["tickets", "--config", &config]);
    assert!(
        text(&read.stderr).contains("older deskmail"),
        "read commands do not migrate: {}",
        text(&read.stderr)
    );
    let _ = deskmail_in(dir.path(), &["run", "--once", "--config", &config]);
    let backup = dir.path().join(format!("demo/deskmail.db.before-v{migrations}.bak"));
    assert!(backup.is_file(), "no backup at {}", backup.display());
    let conn = rusqlite::Connection::open(&backup).unwrap();
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    let tickets: i64 = conn.query_row("SELECT count(*) FROM tickets", [], |r| r.get(0)).unwrap();
    assert_eq!((version, tickets), (old, 6), "the backup is the database as it was");
}

#[test]
fn backup_copies_the_database_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let config = demo(dir.path());
    let copy = dir.path().join("copy.db");
    let out = deskmail_in(dir.path(), &["backup", copy.to_str().unwrap(), "--config", &config]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let tickets: i64 = rusqlite::Connection::open(&copy)
        .unwrap()
        .query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tickets, 6);
    let again = deskmail_in(dir.path(), &["backup", copy.to_str().unwrap(), "--config", &config]);
    assert_eq!(again.status.code(), Some(73), "{}", text(&again.stderr));
}

/// A Maildir configuration whose replies go to `smtp` (a TOML `[smtp]` body).
fn maildir_config(dir: &Path, smtp: &str) -> String {
    let config = dir.join("deskmail.toml");
    std::fs::create_dir_all(dir.join("mailbox/new")).unwrap();
    std::fs::write(
        &config,
        format!(
            "[mailbox]\nkind = \"maildir\"\npath = \"mailbox\"\n[smtp]\n{smtp}\n\
             [support]\naddress = \"support@example.test\"\n[storage]\npath = \"deskmail.db\"\n\
             [rules]\ndir = \"{0}/rules\"\n[templates]\ndir = \"{0}/templates\"\n",
            env!("CARGO_MANIFEST_DIR")
        ),
    )
    .unwrap();
    config.to_str().unwrap().to_string()
}

#[test]
fn a_cron_pass_that_goes_well_prints_nothing_and_v_shows_what_it_did() {
    let dir = tempfile::tempdir().unwrap();
    let config = maildir_config(dir.path(), "kind = \"maildir\"\npath = \"outbox\"");
    std::fs::write(dir.path().join("mailbox/new/1.eml"), setup::customer_mail("ann@customer.test", 1))
        .unwrap();
    let quiet = deskmail_in(dir.path(), &["run", "--once", "--config", &config]);
    assert!(quiet.status.success());
    assert_eq!(
        (text(&quiet.stdout), text(&quiet.stderr)),
        (String::new(), String::new()),
        "cron mails nothing"
    );
    std::fs::write(dir.path().join("mailbox/new/2.eml"), setup::customer_mail("bob@customer.test", 2))
        .unwrap();
    let verbose = deskmail_in(dir.path(), &["run", "--once", "-v", "--config", &config]);
    assert!(verbose.status.success());
    assert!(text(&verbose.stderr).contains("processed"), "{}", text(&verbose.stderr));
}

#[test]
fn regression_a_pass_that_leaves_replies_unsent_exits_75() {
    // The SMTP server is down (nothing listens on the port): the mail is processed and its
    // reply queued, but cron must not hear "success" while the customer waits.
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = maildir_config(
        dir.path(),
        &format!("kind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nself_copy = false"),
    );
    std::fs::write(dir.path().join("mailbox/new/1.eml"), setup::customer_mail("ann@customer.test", 1))
        .unwrap();
    let out = deskmail_in(dir.path(), &["run", "--once", "--config", &config]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(75), "EX_TEMPFAIL: {err}");
    assert!(err.contains("left unsent"), "{err}");
}

#[test]
fn man_pages_and_completions_come_from_the_command_line_definitions() {
    let dir = tempfile::tempdir().unwrap();
    let out = deskmail_in(dir.path(), &["man", "man"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let main = std::fs::read_to_string(dir.path().join("man/deskmail.1")).unwrap();
    assert!(main.contains(".TH deskmail") && main.contains("check\\-config"), "{main}");
    assert!(dir.path().join("man/deskmail-run.1").is_file());
    for shell in ["bash", "zsh", "fish"] {
        let script = text(&deskmail_in(dir.path(), &["completions", shell]).stdout);
        assert!(script.contains("deskmail") && script.contains("check-config"), "{shell}: {script}");
    }
}

fn mailstack_config(stack: &MailStack, work: &Path, password: &str) -> String {
    let text = setup::config_text(stack, work, Transport::Tls, "");
    std::fs::write(work.join("support.pass"), format!("{password}\n")).unwrap();
    let config = work.join("deskmail.toml");
    std::fs::write(&config, text).unwrap();
    config.to_str().unwrap().to_string()
}

#[test]
fn check_config_logs_in_to_dovecot_and_postfix_and_changes_nothing() {
    let stack = MailStack::start();
    if !stack.has_postfix {
        eprintln!("skipped: no Postfix");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    // config_text writes the right password; check before anything else touches the stack.
    let config = mailstack_config(&stack, work.path(), "support-pass");
    let out = deskmail_in(work.path(), &["check-config", "--config", &config]);
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{report}{}", text(&out.stderr));
    for needle in
        ["ok    mailbox      logged in", "ok    smtp         logged in", "INBOX exists", "all checks passed"]
    {
        assert!(report.contains(needle), "{needle} missing:\n{report}");
    }
    assert!(!work.path().join("deskmail.db").exists(), "no database made");
    let names = tokio::runtime::Runtime::new().unwrap().block_on(stack.mailbox_names("support@example.test"));
    assert!(!names.iter().any(|n| n == "Processed"), "no folder created: {names:?}");

    let wrong = mailstack_config(&stack, work.path(), "not-the-password");
    let out = deskmail_in(work.path(), &["doctor", "--config", &wrong]);
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(
        report.contains("FAIL  mailbox") && report.contains("FAIL  smtp") && report.contains("hint:"),
        "{report}"
    );
}

#[test]
fn implicit_tls_on_a_starttls_port_says_what_to_set() {
    let stack = MailStack::start();
    let work = tempfile::tempdir().unwrap();
    let config = mailstack_config(&stack, work.path(), "support-pass");
    let text_before = std::fs::read_to_string(&config).unwrap();
    // The IMAP port of the stack expects STARTTLS; configure implicit TLS on it by mistake.
    let broken = text_before.replacen("tls = \"starttls\"", "tls = \"implicit\"", 1);
    std::fs::write(&config, broken).unwrap();
    let out = deskmail_in(work.path(), &["run", "--once", "--config", &config]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(75), "{err}");
    assert!(err.contains("set tls = \"starttls\""), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cron_pass_leaves_the_inbox_empty_with_its_self_copies_filed() {
    let stack = MailStack::start();
    if !stack.has_postfix {
        eprintln!("skipped: no Postfix");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    for n in 0..3 {
        setup::deliver_customer_mail(&stack, n);
    }
    let config = work.path().join("deskmail.toml");
    std::fs::write(&config, setup::config_text(&stack, work.path(), Transport::Plain, "")).unwrap();
    let out = deskmail_in(work.path(), &["run", "--once", "--config", config.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Right after the pass, with no second run: the copies of the three acknowledgements came
    // back within the pass and were filed in Sent.
    assert_eq!(stack.count("support@example.test", "INBOX").await, 0, "the inbox is empty");
    assert_eq!(stack.count("support@example.test", "Sent").await, 3, "each copy filed");
}

#[test]
fn reading_the_queue_needs_no_secret() {
    // Staff run read commands as themselves: the password files are root's, here missing.
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    let config = dir.path().join("imap.toml");
    std::fs::write(
        &config,
        "[mailbox]\nkind = \"imap\"\nhost = \"imap.example.test\"\nusername = \"support@example.test\"\n\
         password_file = \"/nonexistent/imap.pass\"\n[smtp]\nkind = \"smtp\"\nhost = \"smtp.example.test\"\n\
         password_file = \"/nonexistent/smtp.pass\"\n[support]\naddress = \"support@example.test\"\n\
         [storage]\npath = \"demo/deskmail.db\"\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    for args in [
        vec!["tickets"],
        vec!["show", "3"],
        vec!["sla"],
        vec!["status"],
        vec!["quarantine"],
        vec!["tickets", "--json"],
    ] {
        let out = deskmail_in(dir.path(), &[args.as_slice(), &["--config", config]].concat());
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    }
    let run = deskmail_in(dir.path(), &["run", "--once", "--config", config]);
    assert_eq!(run.status.code(), Some(78), "commands that connect still need the password");
    assert!(text(&run.stderr).contains("/nonexistent/imap.pass"), "{}", text(&run.stderr));
}

/// An IMAP server that greets, answers CAPABILITY and LOGIN, then never answers LIST.
fn stalling_imap_server() -> u16 {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                let _ = stream.write_all(b"* OK stalling test server ready\r\n");
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                    let mut words = line.split_whitespace();
                    let (tag, command) =
                        (words.next().unwrap_or("*"), words.next().unwrap_or("").to_uppercase());
                    let reply = match command.as_str() {
                        "CAPABILITY" => format!("* CAPABILITY IMAP4rev1 MOVE IDLE\r\n{tag} OK done\r\n"),
                        "LOGIN" | "LOGOUT" | "NOOP" => format!("{tag} OK done\r\n"),
                        _ => String::new(), // LIST, and anything else: silence
                    };
                    let _ = stream.write_all(reply.as_bytes());
                    line.clear();
                }
            });
        }
    });
    port
}

#[test]
fn regression_a_server_that_stalls_on_list_fails_the_pass_instead_of_hanging_it() {
    let port = stalling_imap_server();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("deskmail.toml");
    std::fs::write(
        &config,
        format!(
            "[mailbox]\nkind = \"imap\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nusername = \"support\"\n\
             password_env = \"PATH\"\ntimeout = \"2s\"\n[smtp]\nkind = \"maildir\"\npath = \"outbox\"\n\
             [support]\naddress = \"support@example.test\"\n[storage]\npath = \"deskmail.db\"\n\
             [rules]\ndir = \"{0}/rules\"\n[templates]\ndir = \"{0}/templates\"\n",
            env!("CARGO_MANIFEST_DIR")
        ),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_deskmail"))
        .args(["run", "--once", "--config", config.to_str().unwrap()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Before the fix the LIST had no timeout: the pass hung for ever. Give it ample time.
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            panic!("run --once still hangs after 60 s on a server that stalls on LIST");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(75), "{err}");
    assert!(err.contains("folders"), "says what stalled: {err}");
}
