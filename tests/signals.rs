//! `deskmail run` as operators run it: a process reloading its rules on SIGHUP (keeping the
//! old ones when the new are broken), refusing a second instance on the same database, and
//! stopping on SIGTERM with exit 0 and nothing lost.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use deskmail::store::Store;

fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        Setup::with_extra("")
    }

    fn with_extra(extra: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().join("rules");
        std::fs::create_dir(&rules).unwrap();
        for entry in std::fs::read_dir(project().join("rules")).unwrap() {
            let path = entry.unwrap().path();
            // The rule files, not the category declarations: the tests add a `vip` category.
            if path.extension().is_some_and(|x| x == "toml") && !path.ends_with("categories.toml") {
                std::fs::copy(&path, rules.join(path.file_name().unwrap())).unwrap();
            }
        }
        let config = format!(
            "[mailbox]\nkind = \"maildir\"\npath = \"mailbox\"\npoll_interval = \"1s\"\n\n\
             [smtp]\nkind = \"maildir\"\npath = \"outbox\"\n\n\
             [support]\naddress = \"support@example.test\"\n\n\
             [storage]\npath = \"deskmail.db\"\n\n\
             [rules]\ndir = \"rules\"\n\n[templates]\ndir = \"{}\"\n{extra}\n",
            project().join("templates").display()
        );
        std::fs::write(dir.path().join("deskmail.toml"), config).unwrap();
        std::fs::create_dir_all(dir.path().join("mailbox/new")).unwrap();
        Setup { dir }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn spawn(&self) -> Running {
        Running(
            Command::new(env!("CARGO_BIN_EXE_deskmail"))
                .args(["run", "--config", self.path("deskmail.toml").to_str().unwrap()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(self.path("log")).unwrap())
                .spawn()
                .unwrap(),
        )
    }

    fn deliver(&self, name: &str, from: &str, subject: &str) {
        let raw =
            format!("From: {from}\r\nSubject: {subject}\r\nMessage-ID: <{name}@x.test>\r\n\r\nhello\r\n");
        let tmp = self.path(&format!("mailbox/tmp-{name}"));
        std::fs::write(&tmp, raw).unwrap();
        std::fs::rename(tmp, self.path(&format!("mailbox/new/{name}"))).unwrap();
    }

    /// Waits until the mail with this Message-ID is stored and returns its category.
    fn category_of(&self, name: &str) -> Option<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let id = format!("{name}@x.test");
        loop {
            if let Ok(store) = Store::open(&self.path("deskmail.db")) {
                for t in store.tickets().unwrap() {
                    if store.ticket_messages(t.id).unwrap().iter().any(|m| m.subject.is_some())
                        && store.ticket_messages(t.id).unwrap().iter().any(|m| self.message_id_of(m.id) == id)
                    {
                        return t.category;
                    }
                }
            }
            assert!(Instant::now() < deadline, "{name} was not processed; log:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn message_id_of(&self, row: i64) -> String {
        let conn = rusqlite::Connection::open(self.path("deskmail.db")).unwrap();
        conn.query_row("SELECT message_id FROM messages WHERE id = ?1", [row], |r| {
            r.get::<_, Option<String>>(0)
        })
        .unwrap()
        .unwrap_or_default()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.path("log")).unwrap_or_default()
    }

    fn wait_for_log(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.log().contains(needle) {
            assert!(Instant::now() < deadline, "`{needle}` not in the log:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A running daemon, killed if the test fails before it stops it.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl std::ops::Deref for Running {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Running {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

fn signal(child: &Child, name: &str) {
    let ok = Command::new("kill").args([&format!("-{name}"), &child.id().to_string()]).status().unwrap();
    assert!(ok.success());
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

const VIP_RULE: &str = r#"[[rule]]
id = "vip"
priority = 5
category = "vip"
action = "acknowledge"
[rule.when]
field = "from_domain"
equals = ["vip.test"]
"#;

#[test]
fn sighup_reloads_good_rules_keeps_old_ones_on_error_and_sigterm_stops_cleanly() {
    let setup = Setup::new();
    let mut child = setup.spawn();
    setup.deliver("m1", "ann@vip.test", "Refund please");
    assert_eq!(setup.category_of("m1").as_deref(), Some("refund"));

    // A broken rule file: the daemon says what is wrong and keeps the rules in use.
    write(&setup.path("rules/05-vip.toml"), &VIP_RULE.replace("equals", "equalz"));
    signal(&child, "HUP");
    setup.wait_for_log("reload failed");
    assert!(setup.log().contains("05-vip.toml:8:1"), "{}", setup.log());
    setup.deliver("m2", "bob@vip.test", "Refund please");
    assert_eq!(setup.category_of("m2").as_deref(), Some("refund"), "old rules stay");

    // Fixed: `deskmail reload` (SIGHUP through the lock file) applies the new rules.
    write(&setup.path("rules/05-vip.toml"), VIP_RULE);
    let reload = Command::new(env!("CARGO_BIN_EXE_deskmail"))
        .args(["reload", "--config", setup.path("deskmail.toml").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(reload.status.success(), "{}", String::from_utf8_lossy(&reload.stderr));
    setup.wait_for_log("reloaded rules and templates");
    setup.deliver("m3", "cat@vip.test", "Refund please");
    assert_eq!(setup.category_of("m3").as_deref(), Some("vip"), "new rules apply");

    // A second instance on the same database is refused with 75 (try later).
    let second = Command::new(env!("CARGO_BIN_EXE_deskmail"))
        .args(["run", "--once", "--config", setup.path("deskmail.toml").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(75), "{}", String::from_utf8_lossy(&second.stderr));
    assert!(String::from_utf8_lossy(&second.stderr).contains(&format!("pid {}", child.id())));

    // SIGTERM: exit 0, every delivered mail processed, none left in the inbox.
    signal(&child, "TERM");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{}", setup.log());
    assert_eq!(std::fs::read_dir(setup.path("mailbox/new")).unwrap().count(), 0);
    let store = Store::open(&setup.path("deskmail.db")).unwrap();
    assert_eq!(store.tickets().unwrap().len(), 3);
}

fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(mut stream) = std::net::TcpStream::connect(addr) {
            stream
                .write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
                .unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).unwrap();
            return response;
        }
        assert!(Instant::now() < deadline, "no metrics endpoint at {addr}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn metrics_endpoint_serves_prometheus_text_and_health() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let setup = Setup::with_extra(&format!("[metrics]\nlisten = \"{addr}\""));
    let mut child = setup.spawn();
    setup.deliver("m1", "ann@customer.test", "Refund please");
    assert_eq!(setup.category_of("m1").as_deref(), Some("refund"));
    let deadline = Instant::now() + Duration::from_secs(20);
    let metrics = loop {
        let m = http_get(&addr, "/metrics");
        if m.contains("deskmail_automatic_mail_sent_total 1") {
            break m;
        }
        assert!(Instant::now() < deadline, "{m}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    for needle in [
        "deskmail_mail_received_total 1",
        "deskmail_mail_classified_total{category=\"refund\"} 1",
        "deskmail_outbox_depth 0",
        "deskmail_seconds_since_last_poll",
    ] {
        assert!(metrics.contains(needle), "{needle} missing:\n{metrics}");
    }
    let health = http_get(&addr, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    signal(&child, "TERM");
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

fn deskmail(setup: &Setup, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_deskmail"))
        .args(args)
        .args(["--config", setup.path("deskmail.toml").to_str().unwrap()])
        .output()
        .unwrap()
}

#[test]
fn reload_waits_for_the_verdict_shows_every_problem_and_reloads_the_configuration() {
    let setup = Setup::new();
    let mut child = setup.spawn();
    setup.deliver("m1", "ann@vip.test", "Refund please");
    assert_eq!(setup.category_of("m1").as_deref(), Some("refund"));
    let status = String::from_utf8_lossy(&deskmail(&setup, &["status"]).stdout).into_owned();
    assert!(status.contains("rules:") && status.contains(" set "), "{status}");

    // Two broken files: the refusal names both, exits 78, and status keeps showing it.
    write(&setup.path("rules/05-vip.toml"), &VIP_RULE.replace("equals", "equalz"));
    write(&setup.path("rules/06-bad.toml"), "[[rule]]\nid = \"x\"\npriorty = 1\n");
    let refused = deskmail(&setup, &["reload"]);
    let err = String::from_utf8_lossy(&refused.stderr).into_owned();
    assert_eq!(refused.status.code(), Some(78), "{err}");
    assert!(err.contains("05-vip.toml") && err.contains("06-bad.toml"), "every problem: {err}");
    let status = String::from_utf8_lossy(&deskmail(&setup, &["status"]).stdout).into_owned();
    assert!(status.contains("REFUSED") && status.contains("06-bad.toml"), "{status}");

    // Fixed, and the support name changed in the configuration: both are taken.
    std::fs::remove_file(setup.path("rules/06-bad.toml")).unwrap();
    write(&setup.path("rules/05-vip.toml"), VIP_RULE);
    let config = std::fs::read_to_string(setup.path("deskmail.toml")).unwrap();
    let renamed = config.replace(
        "address = \"support@example.test\"",
        "address = \"support@example.test\"\nname = \"Renamed Desk\"",
    );
    write(&setup.path("deskmail.toml"), &renamed);
    let accepted = deskmail(&setup, &["reload"]);
    assert!(accepted.status.success(), "{}", String::from_utf8_lossy(&accepted.stderr));
    assert!(String::from_utf8_lossy(&accepted.stdout).contains("reloaded: rule set"));
    setup.deliver("m2", "bob@vip.test", "Refund please");
    assert_eq!(setup.category_of("m2").as_deref(), Some("vip"), "new rules apply");
    let deadline = Instant::now() + Duration::from_secs(20);
    let renamed_ack = loop {
        let found = std::fs::read_dir(setup.path("outbox/new"))
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
            .into_iter()
            .find(|m| m.contains("bob@vip.test"));
        if let Some(mail) = found {
            break mail;
        }
        assert!(Instant::now() < deadline, "no acknowledgement for m2; log:\n{}", setup.log());
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(renamed_ack.contains("Renamed Desk"), "the reloaded support name signs the mail:\n{renamed_ack}");
    let status = String::from_utf8_lossy(&deskmail(&setup, &["status"]).stdout).into_owned();
    assert!(!status.contains("REFUSED"), "{status}");
    signal(&child, "TERM");
    assert_eq!(child.wait().unwrap().code(), Some(0));
}
