//! A real Dovecot 2.3 + Postfix 3.7 on 127.0.0.1 for integration tests.
//!
//! `MailStack::start()` runs `tests/mailstack/start.sh` in a fresh short directory under /tmp
//! (unix socket paths are limited to 107 bytes), reads the ports from `DIR/env`, and stops both
//! daemons and removes the directory on drop. Mail that Postfix accepts for `example.test` is
//! delivered through LMTP into the recipient's Dovecot INBOX; other domains go to
//! `catchall@example.test`.
//!
//! Users: `support@`, `alice@`, `staff@`, `catchall@example.test`, password `NAME-pass`
//! (see [`MailStack::password`]). Postfix needs root; without root only Dovecot runs and
//! `smtp_port` etc. are 0 (`has_postfix == false`).
//!
//! Packages: `scripts/install-test-deps.sh` (as root) installs dovecot/postfix/openssl.
//!
//! Set `MAILSTACK_KEEP=1` to keep the directory (configs, logs, maildirs) after the test.
#![allow(dead_code)]

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream as StdTcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use futures::TryStreamExt;

/// Per-operation timeout for IMAP/SMTP/LMTP helpers, so a broken stack fails a test instead
/// of hanging it.
const OP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long start.sh / stop.sh may take before we give up on them.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(90);

/// An authenticated IMAP session over plain TCP (what the helpers below use).
pub type ImapSession = async_imap::Session<tokio::net::TcpStream>;

pub struct MailStack {
    /// The stack's directory (configs, TLS, logs in `log/`, maildirs in `mail/`).
    pub dir: PathBuf,
    /// Always "127.0.0.1".
    pub host: String,
    pub imap_port: u16,
    pub imaps_port: u16,
    pub lmtp_port: u16,
    /// Plain SMTP (open relay from loopback, STARTTLS optional). 0 without Postfix.
    pub smtp_port: u16,
    /// Submission: STARTTLS + AUTH required. 0 without Postfix.
    pub submission_port: u16,
    /// SMTPS: implicit TLS + AUTH required. 0 without Postfix.
    pub smtps_port: u16,
    /// PEM of the CA that signed the servers' certificate (SAN localhost, 127.0.0.1).
    pub ca_cert: PathBuf,
    /// For `doveadm -c`.
    pub dovecot_conf: PathBuf,
    /// Dovecot's LMTP unix socket.
    pub lmtp_socket: PathBuf,
    /// Root of the maildirs: `mail_root/<domain>/<local>/Maildir`.
    pub mail_root: PathBuf,
    /// TLS server name to verify ("localhost"; 127.0.0.1 is in the SAN as well).
    pub tls_name: String,
    /// Whether Postfix runs (needs root).
    pub has_postfix: bool,
    /// (address, password) of every user.
    pub users: Vec<(String, String)>,
    /// Everything from `DIR/env`.
    pub env: HashMap<String, String>,
    extra_env: Vec<(String, String)>,
    stopped: bool,
}

impl MailStack {
    /// Start a stack with the default users. Panics (with the daemons' log tails) if it cannot.
    pub fn start() -> MailStack {
        Self::start_with_env(&[])
    }

    /// Start a stack with extra environment for start.sh, e.g.
    /// `[("MAILSTACK_USERS", "a@example.test:pw b@example.test:pw2"), ("MAILSTACK_CATCHALL", "")]`.
    pub fn start_with_env(extra_env: &[(&str, &str)]) -> MailStack {
        let dir = tempfile::Builder::new()
            .prefix("dm-")
            .tempdir_in("/tmp")
            .expect("mailstack: cannot create a temp dir under /tmp")
            .keep();
        let extra_env: Vec<(String, String)> =
            extra_env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut stack = MailStack {
            dir,
            host: "127.0.0.1".into(),
            imap_port: 0,
            imaps_port: 0,
            lmtp_port: 0,
            smtp_port: 0,
            submission_port: 0,
            smtps_port: 0,
            ca_cert: PathBuf::new(),
            dovecot_conf: PathBuf::new(),
            lmtp_socket: PathBuf::new(),
            mail_root: PathBuf::new(),
            tls_name: "localhost".into(),
            has_postfix: false,
            users: Vec::new(),
            env: HashMap::new(),
            extra_env,
            // until start.sh succeeded, Drop only removes the dir (start.sh stops a half stack)
            stopped: true,
        };
        stack.run_start_script();
        stack
    }

    fn run_start_script(&mut self) {
        let out = run_script(&self.dir, "start.sh", &[], &self.extra_env);
        if !out.ok() {
            let msg = format!(
                "mailstack: start.sh {} failed ({}).\n\
                 Are the packages installed? Run scripts/install-test-deps.sh as root.\n\
                 --- start.sh output ---\n{}\n--- logs ---\n{}",
                self.dir.display(),
                out.status_text(),
                out.output,
                log_tail(&self.dir, 30)
            );
            // start.sh stops whatever it started before failing; keep the dir only on request
            if std::env::var_os("MAILSTACK_KEEP").is_none() {
                let _ = fs::remove_dir_all(&self.dir);
            }
            self.stopped = true;
            panic!("{msg}");
        }
        self.stopped = false;
        self.load_env();
    }

    fn load_env(&mut self) {
        let path = self.dir.join("env");
        let text = fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!("mailstack: cannot read {}: {e}\n{}", path.display(), log_tail(&self.dir, 30))
        });
        let env = parse_env(&text);
        let port = |k: &str| -> u16 {
            match env.get(k).map(|s| s.as_str()) {
                None | Some("") => 0,
                Some(v) => {
                    v.parse().unwrap_or_else(|_| panic!("mailstack: bad {k}={v} in {}", path.display()))
                }
            }
        };
        self.imap_port = port("MAILSTACK_IMAP_PORT");
        self.imaps_port = port("MAILSTACK_IMAPS_PORT");
        self.lmtp_port = port("MAILSTACK_LMTP_PORT");
        self.smtp_port = port("MAILSTACK_SMTP_PORT");
        self.submission_port = port("MAILSTACK_SUBMISSION_PORT");
        self.smtps_port = port("MAILSTACK_SMTPS_PORT");
        assert!(self.imap_port != 0, "mailstack: no IMAP port in {}", path.display());
        let get = |k: &str| env.get(k).cloned().unwrap_or_default();
        self.host =
            Some(get("MAILSTACK_HOST")).filter(|h| !h.is_empty()).unwrap_or_else(|| "127.0.0.1".into());
        self.tls_name =
            Some(get("MAILSTACK_TLS_NAME")).filter(|h| !h.is_empty()).unwrap_or_else(|| "localhost".into());
        self.ca_cert = PathBuf::from(get("MAILSTACK_CA_CERT"));
        self.dovecot_conf = PathBuf::from(get("MAILSTACK_DOVECOT_CONF"));
        self.lmtp_socket = PathBuf::from(get("MAILSTACK_LMTP_SOCKET"));
        self.mail_root = PathBuf::from(get("MAILSTACK_MAIL_ROOT"));
        self.has_postfix = self.smtp_port != 0;
        self.users = get("MAILSTACK_USERS")
            .split_whitespace()
            .filter_map(|up| up.split_once(':'))
            .map(|(u, p)| (u.to_string(), p.to_string()))
            .collect();
        self.env = env;
    }

    /// The password of `user` ("support@example.test" -> "support-pass").
    pub fn password(&self, user: &str) -> String {
        if let Some((_, p)) = self.users.iter().find(|(u, _)| u.eq_ignore_ascii_case(user)) {
            return p.clone();
        }
        let local = user.split('@').next().unwrap_or(user);
        format!("{local}-pass")
    }

    /// `host:port` of the plain IMAP listener.
    pub fn imap_addr(&self) -> String {
        format!("{}:{}", self.host, self.imap_port)
    }

    /// The last `n` lines of every log in DIR/log (for assertion messages).
    pub fn log_tail(&self, n: usize) -> String {
        log_tail(&self.dir, n)
    }

    // ------------------------------------------------------------------------------------
    // fault injection: stop / start the daemons (blocking; about 0.1-1 s each)

    /// Stop Dovecot only (IMAP, LMTP). Postfix keeps accepting mail and defers delivery.
    pub fn stop_dovecot(&self) {
        self.stop_script("dovecot");
    }

    /// Stop Postfix only (SMTP, submission, SMTPS).
    pub fn stop_postfix(&self) {
        self.stop_script("postfix");
    }

    /// Stop both daemons (the directory stays; `start_again` brings them back).
    pub fn stop_all(&mut self) {
        self.stop_script("all");
    }

    /// Re-run start.sh on the same DIR: starts whichever daemon is stopped, with the same
    /// ports, users, certificates and mail. Panics if it cannot.
    pub fn start_again(&mut self) {
        self.run_start_script();
    }

    /// Alias of [`start_again`](Self::start_again) (starts what `stop_dovecot` stopped).
    pub fn start_dovecot(&mut self) {
        self.start_again();
    }

    /// Alias of [`start_again`](Self::start_again) (starts what `stop_postfix` stopped).
    pub fn start_postfix(&mut self) {
        self.start_again();
    }

    /// Stop both daemons and start them again on the same DIR and ports.
    pub fn restart(&mut self) {
        self.stop_all();
        self.start_again();
    }

    /// Async variant of [`stop_dovecot`](Self::stop_dovecot) that does not block the runtime
    /// (use it when the code under test runs in the same tokio runtime).
    pub async fn stop_dovecot_async(&self) {
        self.stop_script_async("dovecot").await;
    }

    /// Async variant of [`stop_postfix`](Self::stop_postfix).
    pub async fn stop_postfix_async(&self) {
        self.stop_script_async("postfix").await;
    }

    /// Async variant of [`start_again`](Self::start_again).
    pub async fn start_again_async(&mut self) {
        let dir = self.dir.clone();
        let env = self.extra_env.clone();
        let out = tokio::task::spawn_blocking(move || run_script(&dir, "start.sh", &[], &env))
            .await
            .expect("mailstack: start.sh task panicked");
        if !out.ok() {
            self.stopped = true;
            panic!(
                "mailstack: restarting in {} failed ({}):\n{}\n--- logs ---\n{}",
                self.dir.display(),
                out.status_text(),
                out.output,
                log_tail(&self.dir, 30)
            );
        }
        self.stopped = false;
        self.load_env();
    }

    /// Ask Postfix to try every queued mail now (`postqueue -f`), whatever its retry time.
    /// Postfix parks a queue file it finds locked for a fixed 60 s, so a test that stops
    /// Dovecot under a delivery flushes after the restart instead of waiting that long.
    pub fn flush_queue(&self) {
        if !self.has_postfix {
            return;
        }
        let conf = self.dir.join("postfix/etc");
        let out = std::process::Command::new("postqueue")
            .arg("-c")
            .arg(&conf)
            .arg("-f")
            .output()
            .expect("mailstack: cannot run postqueue");
        assert!(
            out.status.success(),
            "mailstack: postqueue -c {} -f failed: {}",
            conf.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn stop_script(&self, which: &str) {
        let out = run_script(&self.dir, "stop.sh", &[which], &[]);
        assert!(
            out.ok(),
            "mailstack: stop.sh {} {which} failed ({}):\n{}",
            self.dir.display(),
            out.status_text(),
            out.output
        );
    }

    async fn stop_script_async(&self, which: &str) {
        let dir = self.dir.clone();
        let which = which.to_string();
        let w = which.clone();
        let out = tokio::task::spawn_blocking(move || run_script(&dir, "stop.sh", &[&w], &[]))
            .await
            .expect("mailstack: stop.sh task panicked");
        assert!(
            out.ok(),
            "mailstack: stop.sh {} {which} failed ({}):\n{}",
            self.dir.display(),
            out.status_text(),
            out.output
        );
    }

    // ------------------------------------------------------------------------------------
    // putting mail in

    /// Send a raw RFC 5322 message through Postfix's plain SMTP port (no TLS, no AUTH), with
    /// the given envelope. Panics on any error (see [`try_smtp_send`](Self::try_smtp_send)).
    pub async fn smtp_send(&self, from: &str, to: &[&str], raw: &[u8]) {
        if let Err(e) = self.try_smtp_send(from, to, raw).await {
            panic!(
                "mailstack: SMTP send {from} -> {to:?} via {}:{} failed: {e}\n--- logs ---\n{}",
                self.host,
                self.smtp_port,
                self.log_tail(20)
            );
        }
    }

    /// Like [`smtp_send`](Self::smtp_send) but returns the error (e.g. a 550 for an unknown
    /// local user, or a connection error while Postfix is stopped).
    pub async fn try_smtp_send(&self, from: &str, to: &[&str], raw: &[u8]) -> Result<(), String> {
        use lettre::address::Envelope;
        use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

        if !self.has_postfix {
            return Err("Postfix is not running in this stack (it needs root)".into());
        }
        let from: Option<Address> = if from.is_empty() {
            None
        } else {
            Some(from.parse().map_err(|e| format!("bad sender {from:?}: {e}"))?)
        };
        let to = to
            .iter()
            .map(|a| a.parse::<Address>().map_err(|e| format!("bad recipient {a:?}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        let envelope = Envelope::new(from, to).map_err(|e| format!("bad envelope: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(self.host.clone())
            .port(self.smtp_port)
            .timeout(Some(OP_TIMEOUT))
            .build();
        transport.send_raw(&envelope, raw).await.map(|_| ()).map_err(|e| format!("{e}"))
    }

    /// Deliver a raw message straight into `rcpt`'s INBOX through Dovecot's LMTP TCP port
    /// (no Postfix; works without root). Synchronous and fast (a few ms). Panics on error.
    /// Dovecot adds `Return-Path: <>` and `Delivered-To:` headers.
    pub fn lmtp_deliver(&self, rcpt: &str, raw: &[u8]) {
        if let Err(e) = self.try_lmtp_deliver("", &[rcpt], raw) {
            panic!(
                "mailstack: LMTP delivery to {rcpt} via {}:{} failed: {e}\n--- logs ---\n{}",
                self.host,
                self.lmtp_port,
                self.log_tail(20)
            );
        }
    }

    /// LMTP delivery with an explicit envelope sender ("" = null sender) and several
    /// recipients; returns the first error.
    pub fn try_lmtp_deliver(&self, from: &str, rcpts: &[&str], raw: &[u8]) -> Result<(), String> {
        lmtp_exchange(&self.host, self.lmtp_port, from, rcpts, raw)
    }

    /// Save a raw message into any existing mailbox of `user` (e.g. "Sent", "INBOX") with
    /// `doveadm save`, bypassing LMTP (no headers added). Panics on error.
    pub fn save_message(&self, user: &str, mailbox: &str, raw: &[u8]) {
        let mut child = Command::new(doveadm())
            .arg("-c")
            .arg(&self.dovecot_conf)
            .args(["save", "-u", user, "-m", mailbox])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("mailstack: cannot run doveadm: {e}"));
        child.stdin.take().unwrap().write_all(raw).expect("mailstack: writing to doveadm save");
        let out = child.wait_with_output().expect("mailstack: waiting for doveadm");
        assert!(
            out.status.success(),
            "mailstack: doveadm save -u {user} -m {mailbox} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // ------------------------------------------------------------------------------------
    // reading mail back over IMAP (plain TCP, LOGIN)

    /// Log in as `user` (with its password) over plain IMAP. Panics on error.
    pub async fn imap_login(&self, user: &str) -> ImapSession {
        match self.try_imap_login(user).await {
            Ok(s) => s,
            Err(e) => panic!(
                "mailstack: IMAP login as {user} at {} failed: {e}\n--- logs ---\n{}",
                self.imap_addr(),
                self.log_tail(20)
            ),
        }
    }

    pub async fn try_imap_login(&self, user: &str) -> Result<ImapSession, String> {
        let password = self.password(user);
        let fut = async {
            let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.imap_port))
                .await
                .map_err(|e| format!("connect: {e}"))?;
            let mut client = async_imap::Client::new(tcp);
            match client.read_response().await {
                Ok(Some(_greeting)) => {}
                Ok(None) => return Err("connection closed before the greeting".to_string()),
                Err(e) => return Err(format!("reading greeting: {e}")),
            }
            client.login(user, &password).await.map_err(|(e, _)| format!("LOGIN: {e}"))
        };
        with_timeout("IMAP login", fut).await
    }

    /// Raw bytes of every message in `mailbox` of `user`, in UID order
    /// (`UID FETCH 1:* BODY.PEEK[]`; does not set \Seen). Panics on error.
    pub async fn fetch_all(&self, user: &str, mailbox: &str) -> Vec<Vec<u8>> {
        match self.try_fetch_all(user, mailbox).await {
            Ok(v) => v,
            Err(e) => panic!(
                "mailstack: fetching {user}/{mailbox} failed: {e}\n--- logs ---\n{}",
                self.log_tail(20)
            ),
        }
    }

    /// Like [`fetch_all`](Self::fetch_all), also returning each message's UID.
    pub async fn fetch_all_with_uids(&self, user: &str, mailbox: &str) -> Vec<(u32, Vec<u8>)> {
        match self.try_fetch_all_with_uids(user, mailbox).await {
            Ok(v) => v,
            Err(e) => panic!(
                "mailstack: fetching {user}/{mailbox} failed: {e}\n--- logs ---\n{}",
                self.log_tail(20)
            ),
        }
    }

    pub async fn try_fetch_all(&self, user: &str, mailbox: &str) -> Result<Vec<Vec<u8>>, String> {
        Ok(self.try_fetch_all_with_uids(user, mailbox).await?.into_iter().map(|(_, body)| body).collect())
    }

    pub async fn try_fetch_all_with_uids(
        &self,
        user: &str,
        mailbox: &str,
    ) -> Result<Vec<(u32, Vec<u8>)>, String> {
        let mut session = self.try_imap_login(user).await?;
        let res = with_timeout("IMAP fetch", async {
            let mb = session.examine(mailbox).await.map_err(|e| format!("EXAMINE {mailbox}: {e}"))?;
            if mb.exists == 0 {
                return Ok(Vec::new());
            }
            let fetches: Vec<async_imap::types::Fetch> = session
                .uid_fetch("1:*", "(UID BODY.PEEK[])")
                .await
                .map_err(|e| format!("UID FETCH: {e}"))?
                .try_collect()
                .await
                .map_err(|e| format!("UID FETCH: {e}"))?;
            let mut out = Vec::with_capacity(fetches.len());
            for f in &fetches {
                let uid = f.uid.ok_or("FETCH response without UID")?;
                let body = f.body().ok_or("FETCH response without BODY[]")?;
                out.push((uid, body.to_vec()));
            }
            out.sort_by_key(|(uid, _)| *uid);
            Ok(out)
        })
        .await;
        let _ =
            with_timeout("IMAP logout", async { session.logout().await.map_err(|e| e.to_string()) }).await;
        res
    }

    /// Number of messages in `mailbox` (EXAMINE's EXISTS). Panics on error.
    pub async fn count(&self, user: &str, mailbox: &str) -> u32 {
        match self.try_count(user, mailbox).await {
            Ok(n) => n,
            Err(e) => panic!(
                "mailstack: counting {user}/{mailbox} failed: {e}\n--- logs ---\n{}",
                self.log_tail(20)
            ),
        }
    }

    pub async fn try_count(&self, user: &str, mailbox: &str) -> Result<u32, String> {
        let mut session = self.try_imap_login(user).await?;
        let res = with_timeout("IMAP EXAMINE", async {
            session.examine(mailbox).await.map(|mb| mb.exists).map_err(|e| format!("EXAMINE {mailbox}: {e}"))
        })
        .await;
        let _ =
            with_timeout("IMAP logout", async { session.logout().await.map_err(|e| e.to_string()) }).await;
        res
    }

    /// Poll until `mailbox` of `user` holds at least `n` messages (delivery is asynchronous),
    /// then return all of them (raw, UID order). A mailbox that does not exist yet counts as
    /// empty. Panics after `timeout` with the current count and the log tails.
    pub async fn wait_for_count(
        &self,
        user: &str,
        mailbox: &str,
        n: usize,
        timeout: Duration,
    ) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + timeout;
        let mut last_err;
        loop {
            match self.try_count(user, mailbox).await {
                Ok(c) if c as usize >= n => match self.try_fetch_all(user, mailbox).await {
                    Ok(msgs) if msgs.len() >= n => return msgs,
                    Ok(msgs) => last_err = format!("fetched only {} messages", msgs.len()),
                    Err(e) => last_err = e,
                },
                Ok(c) => last_err = format!("{c} messages"),
                Err(e) => last_err = e,
            }
            if Instant::now() >= deadline {
                panic!(
                    "mailstack: timed out after {timeout:?} waiting for {n} messages in \
                     {user}/{mailbox} (last: {last_err})\n--- logs ---\n{}",
                    self.log_tail(30)
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Names of all mailboxes of `user` (`LIST "" *`), e.g. INBOX, Drafts, Sent, Trash, Junk.
    pub async fn mailbox_names(&self, user: &str) -> Vec<String> {
        let mut session = self.imap_login(user).await;
        let res = with_timeout("IMAP LIST", async {
            let names: Vec<async_imap::types::Name> = session
                .list(Some(""), Some("*"))
                .await
                .map_err(|e| format!("LIST: {e}"))?
                .try_collect()
                .await
                .map_err(|e| format!("LIST: {e}"))?;
            Ok(names.iter().map(|n| n.name().to_string()).collect::<Vec<_>>())
        })
        .await;
        let _ =
            with_timeout("IMAP logout", async { session.logout().await.map_err(|e| e.to_string()) }).await;
        res.unwrap_or_else(|e| panic!("mailstack: listing mailboxes of {user} failed: {e}"))
    }
}

impl Drop for MailStack {
    fn drop(&mut self) {
        if !self.stopped {
            let out = run_script(&self.dir, "stop.sh", &[], &[]);
            if !out.ok() {
                eprintln!(
                    "mailstack: stop.sh {} failed ({}): {}",
                    self.dir.display(),
                    out.status_text(),
                    out.output
                );
            }
            self.stopped = true;
        }
        if std::env::var_os("MAILSTACK_KEEP").is_some() {
            eprintln!("mailstack: MAILSTACK_KEEP set, leaving {}", self.dir.display());
            return;
        }
        if let Err(e) = fs::remove_dir_all(&self.dir)
            && self.dir.exists()
        {
            eprintln!("mailstack: cannot remove {}: {e}", self.dir.display());
        }
    }
}

// ----------------------------------------------------------------------------------------
// helpers

/// tests/mailstack in this crate (found through CARGO_MANIFEST_DIR, not the working dir).
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("mailstack")
}

fn doveadm() -> &'static str {
    if Path::new("/usr/bin/doveadm").exists() { "/usr/bin/doveadm" } else { "doveadm" }
}

struct ScriptOutput {
    status: Option<ExitStatus>,
    output: String,
}

impl ScriptOutput {
    fn ok(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }
    fn status_text(&self) -> String {
        match self.status {
            Some(s) => s.to_string(),
            None => format!("timed out after {SCRIPT_TIMEOUT:?} or could not run"),
        }
    }
}

/// Run `bash tests/mailstack/SCRIPT DIR ARGS...` with stdin from /dev/null and stdout+stderr
/// into a file next to DIR — never through pipes: the daemons it starts would keep a pipe open
/// forever (pitfall 1). Waits at most SCRIPT_TIMEOUT.
fn run_script(dir: &Path, script: &str, args: &[&str], env: &[(String, String)]) -> ScriptOutput {
    let log_path = PathBuf::from(format!("{}.{script}.out", dir.display()));
    let log = match File::create(&log_path) {
        Ok(f) => f,
        Err(e) => {
            return ScriptOutput {
                status: None,
                output: format!("cannot create {}: {e}", log_path.display()),
            };
        }
    };
    let log2 = log.try_clone().expect("mailstack: dup of log file");
    let mut cmd = Command::new("bash");
    cmd.arg(scripts_dir().join(script))
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log2));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let status = match cmd.spawn() {
        Ok(mut child) => {
            let deadline = Instant::now() + SCRIPT_TIMEOUT;
            loop {
                match child.try_wait() {
                    Ok(Some(s)) => break Some(s),
                    Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
                    Ok(None) | Err(_) => {
                        let _ = child.kill(); // our own child, by pid
                        let _ = child.wait();
                        break None;
                    }
                }
            }
        }
        Err(e) => {
            let _ = fs::remove_file(&log_path);
            return ScriptOutput { status: None, output: format!("cannot run bash {script}: {e}") };
        }
    };
    let output = fs::read_to_string(&log_path).unwrap_or_default();
    let _ = fs::remove_file(&log_path);
    ScriptOutput { status, output }
}

/// KEY=VALUE lines (values may be double-quoted) -> map.
fn parse_env(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            let v = v.trim();
            let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v);
            (k.trim().to_string(), v.to_string())
        })
        .collect()
}

/// The last `n` lines of each DIR/log/*.log.
fn log_tail(dir: &Path, n: usize) -> String {
    let mut out = String::new();
    let mut files: Vec<PathBuf> = fs::read_dir(dir.join("log"))
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "log"));
    files.sort();
    for f in files {
        let text = fs::read(&f).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        out.push_str(&format!("== {}\n", f.display()));
        for l in &lines[lines.len().saturating_sub(n)..] {
            out.push_str(l);
            out.push('\n');
        }
    }
    if out.is_empty() {
        out.push_str("(no logs)\n");
    }
    out
}

async fn with_timeout<T>(
    what: &str,
    fut: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    match tokio::time::timeout(OP_TIMEOUT, fut).await {
        Ok(r) => r,
        Err(_) => Err(format!("{what}: timed out after {OP_TIMEOUT:?}")),
    }
}

/// A minimal LMTP client (RFC 2033): LHLO, MAIL, RCPT..., DATA (dot-stuffed, CRLF), QUIT.
fn lmtp_exchange(host: &str, port: u16, from: &str, rcpts: &[&str], raw: &[u8]) -> Result<(), String> {
    let stream = StdTcpStream::connect((host, port)).map_err(|e| format!("connect: {e}"))?;
    stream.set_read_timeout(Some(OP_TIMEOUT)).ok();
    stream.set_write_timeout(Some(OP_TIMEOUT)).ok();
    let mut w = stream.try_clone().map_err(|e| e.to_string())?;
    let mut r = BufReader::new(stream);

    // one (possibly multi-line) reply; returns (code, text)
    let reply = |r: &mut BufReader<StdTcpStream>| -> Result<(u16, String), String> {
        let mut text = String::new();
        loop {
            let mut line = String::new();
            let n = r.read_line(&mut line).map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err(format!("connection closed (so far: {text:?})"));
            }
            text.push_str(&line);
            let b = line.as_bytes();
            if b.len() < 4 {
                return Err(format!("bad reply line {line:?}"));
            }
            if b[3] != b'-' {
                let code = line[..3].parse().map_err(|_| format!("bad reply line {line:?}"))?;
                return Ok((code, text));
            }
        }
    };
    let cmd =
        |w: &mut StdTcpStream, r: &mut BufReader<StdTcpStream>, c: &str, want: u16| -> Result<(), String> {
            w.write_all(c.as_bytes())
                .and_then(|_| w.write_all(b"\r\n"))
                .map_err(|e| format!("write: {e}"))?;
            let (code, text) = reply(r)?;
            if code != want {
                return Err(format!("{c} -> {}", text.trim_end()));
            }
            Ok(())
        };

    let (code, text) = reply(&mut r)?;
    if code != 220 {
        return Err(format!("greeting: {}", text.trim_end()));
    }
    cmd(&mut w, &mut r, "LHLO deskmail-tests", 250)?;
    cmd(&mut w, &mut r, &format!("MAIL FROM:<{from}>"), 250)?;
    for rc in rcpts {
        cmd(&mut w, &mut r, &format!("RCPT TO:<{rc}>"), 250)?;
    }
    cmd(&mut w, &mut r, "DATA", 354)?;
    w.write_all(&dot_stuff(raw)).map_err(|e| format!("write: {e}"))?;
    w.write_all(b".\r\n").map_err(|e| format!("write: {e}"))?;
    // LMTP: one reply per accepted recipient
    for rc in rcpts {
        let (code, text) = reply(&mut r)?;
        if code != 250 {
            return Err(format!("DATA for {rc} -> {}", text.trim_end()));
        }
    }
    let _ = cmd(&mut w, &mut r, "QUIT", 221);
    Ok(())
}

/// Normalise line endings to CRLF, dot-stuff, and make sure the data ends with CRLF.
fn dot_stuff(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + 64);
    let mut at_line_start = true;
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        match b {
            b'\r' if raw.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 2;
                at_line_start = true;
                continue;
            }
            b'\n' | b'\r' => {
                out.extend_from_slice(b"\r\n");
                at_line_start = true;
            }
            _ => {
                out.push(b);
                at_line_start = false;
            }
        }
        i += 1;
    }
    if !at_line_start || out.is_empty() {
        out.extend_from_slice(b"\r\n");
    }
    out
}
