//! Source stage, IMAP: async-imap over tokio with implicit TLS, STARTTLS, or plain text on
//! loopback only. Mail is fetched by UID with `BODY.PEEK[]` (never marking it read), oldest
//! first, in batches; settling a batch MOVEs its mail (or COPY + `\Deleted` + UID EXPUNGE)
//! to the processed, quarantine, Sent or spam folder with one command per folder and a UID set
//! (`1:5,7,9:12`). Between passes the daemon waits in IDLE (re-issued well
//! before the 29-minute limit) with a periodic full poll as the safety net. Every network
//! operation has a timeout. Connecting and logging in: `connect.rs`; settling a batch and the
//! queue mirror: `settle.rs`; the Sent folder: `sent.rs`.

mod connect;
mod sent;
mod settle;

use std::time::Duration;

use futures::TryStreamExt;
use jiff::Timestamp;

use super::{Fetched, Handle, SourceError};
use crate::config::{Folders, Server};
use crate::pipeline::RawMail;
use crate::shutdown::Control;

use connect::{ImapSession, connect};

/// The keyword of processed mail when it is flagged in place (`settle = "flag"`).
pub const DONE_KEYWORD: &str = "$DeskmailDone";

/// An IMAP mailbox.
pub struct ImapSource {
    server: Server,
    folders: Folders,
    batch: u32,
    max_bytes: u64,
    session: Option<ImapSession>,
    uidvalidity: u32,
    has_move: bool,
    has_idle: bool,
    /// How long one network operation may take (`[mailbox] timeout`).
    timeout: Duration,
}

impl ImapSource {
    pub fn new(
        server: Server,
        folders: Folders,
        batch: u32,
        max_bytes: u64,
        timeout: Duration,
    ) -> ImapSource {
        ImapSource {
            timeout,
            server,
            folders,
            batch,
            max_bytes,
            session: None,
            uidvalidity: 0,
            has_move: false,
            has_idle: false,
        }
    }

    /// The inbox's UIDVALIDITY, as of the last `open`.
    pub fn uidvalidity(&self) -> u32 {
        self.uidvalidity
    }

    /// The Sent folder's name.
    pub fn sent_folder(&self) -> &str {
        &self.folders.sent
    }

    /// The inbox's name.
    pub fn inbox(&self) -> &str {
        &self.folders.inbox
    }

    /// Connects, logs in, creates missing folders and selects the inbox.
    pub async fn open(&mut self) -> Result<(), SourceError> {
        let timeout = self.timeout;
        let mut session = timed(timeout, "logging in", connect(&self.server)).await?;
        let caps = timed(timeout, "reading capabilities", async {
            session.capabilities().await.map_err(imap_err("CAPABILITY"))
        })
        .await?;
        self.has_move = caps.has_str("MOVE");
        self.has_idle = caps.has_str("IDLE");
        let mut folders = vec![
            self.folders.processed.clone(),
            self.folders.quarantine.clone(),
            self.folders.sent.clone(),
            self.folders.spam.clone(),
        ];
        if let Some(queue) = &self.folders.queue {
            folders.extend(queue.all().map(str::to_string));
        }
        for folder in folders {
            timed(timeout, "creating the folders", ensure_folder(&mut session, &folder)).await?;
        }
        let mailbox = timed(timeout, "selecting the inbox", async {
            session.select(&self.folders.inbox).await.map_err(imap_err("SELECT"))
        })
        .await?;
        self.uidvalidity = mailbox.uid_validity.unwrap_or(0);
        self.session = Some(session);
        Ok(())
    }

    /// For `deskmail check-config`: logs in and lists the folders, changing nothing. Returns
    /// each configured folder with whether it exists (`open` creates a missing one).
    pub async fn check(&self) -> Result<Vec<(String, bool)>, SourceError> {
        let timeout = self.timeout;
        let mut session = timed(timeout, "logging in", connect(&self.server)).await?;
        let names = timed(timeout, "listing the folders", list_folders(&mut session)).await?;
        let _ =
            timed(timeout, "logging out", async { session.logout().await.map_err(imap_err("LOGOUT")) }).await;
        let folders = [
            &self.folders.inbox,
            &self.folders.processed,
            &self.folders.quarantine,
            &self.folders.sent,
            &self.folders.spam,
        ];
        Ok(folders.into_iter().map(|f| (f.clone(), names.contains(f))).collect())
    }

    fn session(&mut self) -> Result<&mut ImapSession, SourceError> {
        self.session.as_mut().ok_or(SourceError::NotConnected { doing: "use" })
    }

    /// The oldest batch of mail still in the inbox. Sizes are asked first: a mail over the
    /// limit is fetched as its header only, so it is never loaded.
    pub async fn fetch(&mut self) -> Result<Vec<Fetched>, SourceError> {
        let timeout = self.timeout;
        let (batch, max_bytes) = (self.batch as usize, self.max_bytes);
        let (inbox, uidvalidity) = (self.folders.inbox.clone(), self.uidvalidity);
        let flag_in_place = self.folders.flag_in_place;
        let fetched = |item: FetchedItem, oversize: Option<u64>| Fetched {
            mail: RawMail {
                bytes: item.body,
                origin: format!("imap:{inbox}:{uidvalidity}:{}", item.uid),
                received_at: item.internal_date.unwrap_or_else(Timestamp::now),
                oversize,
            },
            handle: Handle::Imap { uid: item.uid },
        };
        let session = self.session()?;
        let query = if flag_in_place { format!("UNKEYWORD {DONE_KEYWORD}") } else { "ALL".to_string() };
        let mut uids: Vec<u32> = timed(timeout, "searching the inbox", async {
            session.uid_search(&query).await.map_err(imap_err("UID SEARCH"))
        })
        .await?
        .into_iter()
        .collect();
        uids.sort_unstable();
        uids.truncate(batch);
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let sizes = fetch_items(session, &uid_set(&uids), "(UID RFC822.SIZE INTERNALDATE)", timeout).await?;
        let (small, large): (Vec<_>, Vec<_>) =
            sizes.iter().partition(|m| u64::from(m.size.unwrap_or(0)) <= max_bytes);
        let small_uids: Vec<u32> = small.iter().map(|m| m.uid).collect();
        let large_uids: Vec<u32> = large.iter().map(|m| m.uid).collect();
        let mut out = Vec::new();
        if !small_uids.is_empty() {
            let bodies =
                fetch_items(session, &uid_set(&small_uids), "(UID INTERNALDATE BODY.PEEK[])", timeout)
                    .await?;
            out.extend(bodies.into_iter().map(|m| fetched(m, None)));
        }
        if !large_uids.is_empty() {
            let heads =
                fetch_items(session, &uid_set(&large_uids), "(UID INTERNALDATE BODY.PEEK[HEADER])", timeout)
                    .await?;
            for head in heads {
                let size = sizes.iter().find(|m| m.uid == head.uid).and_then(|m| m.size);
                out.push(fetched(head, size.map(u64::from)));
            }
        }
        out.sort_by_key(|f| match f.handle {
            Handle::Imap { uid } => uid,
            _ => 0,
        });
        Ok(out)
    }

    /// Waits until the server reports news in the inbox (IDLE) or `timeout` passes, or
    /// a stop or reload is asked for; without IDLE it just waits. Opens and closes its own
    /// session.
    pub async fn wait_for_news(&mut self, timeout: Duration, control: &Control) -> Result<(), SourceError> {
        self.open().await?;
        // Mail that arrived between the last pass and this SELECT is not "new" to IDLE: look
        // first, and go straight back to work if anything is waiting.
        let waiting = match self.unprocessed_waiting().await {
            Ok(waiting) => waiting,
            Err(e) => {
                self.close().await;
                return Err(e);
            }
        };
        let result = match (waiting, self.has_idle) {
            (true, _) => Ok(()),
            (false, true) => self.idle(timeout, control).await,
            (false, false) => {
                control.sleep(timeout).await;
                Ok(())
            }
        };
        self.close().await;
        result
    }

    /// Whether the inbox holds mail not yet processed.
    async fn unprocessed_waiting(&mut self) -> Result<bool, SourceError> {
        let timeout = self.timeout;
        let query =
            if self.folders.flag_in_place { format!("UNKEYWORD {DONE_KEYWORD}") } else { "ALL".to_string() };
        let session = self.session()?;
        let uids = timed(timeout, "searching the inbox", async {
            session.uid_search(&query).await.map_err(imap_err("UID SEARCH"))
        })
        .await?;
        Ok(!uids.is_empty())
    }

    async fn idle(&mut self, timeout: Duration, control: &Control) -> Result<(), SourceError> {
        let op_timeout = self.timeout;
        let session = self.session.take().ok_or(SourceError::NotConnected { doing: "IDLE" })?;
        let mut handle = session.idle();
        timed(op_timeout, "starting IDLE", async { handle.init().await.map_err(imap_err("IDLE")) }).await?;
        {
            let (news, interrupt) = handle.wait_with_timeout(timeout);
            tokio::pin!(news);
            tokio::select! {
                result = &mut news => { result.map_err(imap_err("IDLE"))?; }
                _ = control.sleep(timeout) => {
                    drop(interrupt);
                    let _ = tokio::time::timeout(op_timeout, news).await;
                }
            }
        }
        let session =
            timed(op_timeout, "ending IDLE", async { handle.done().await.map_err(imap_err("DONE")) }).await?;
        self.session = Some(session);
        Ok(())
    }

    /// Logs out; errors are irrelevant at this point.
    pub async fn close(&mut self) {
        if let Some(mut session) = self.session.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), session.logout()).await;
        }
    }
}

/// What one FETCH response gave.
struct FetchedItem {
    uid: u32,
    size: Option<u32>,
    internal_date: Option<Timestamp>,
    body: Vec<u8>,
}

/// An IMAP UID set naming exactly these UIDs, runs of consecutive UIDs as ranges:
/// `[1, 2, 3, 4, 5, 7, 9, 10, 11, 12]` -> `1:5,7,9:12`. A range covers only UIDs of the list,
/// so it can never take in a mail that was not fetched.
fn uid_set(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for uid in sorted {
        match runs.last_mut() {
            Some((_, last)) if last.checked_add(1) == Some(uid) => *last = uid,
            _ => runs.push((uid, uid)),
        }
    }
    let run = |&(first, last): &(u32, u32)| {
        if first == last { first.to_string() } else { format!("{first}:{last}") }
    };
    runs.iter().map(run).collect::<Vec<_>>().join(",")
}

async fn fetch_items(
    session: &mut ImapSession,
    set: &str,
    query: &str,
    timeout: Duration,
) -> Result<Vec<FetchedItem>, SourceError> {
    let fetches: Vec<_> = timed(timeout, "fetching mail", async {
        let stream = session.uid_fetch(set, query).await.map_err(imap_err("UID FETCH"))?;
        stream.try_collect::<Vec<_>>().await.map_err(imap_err("UID FETCH"))
    })
    .await?;
    Ok(fetches
        .iter()
        .filter_map(|f| {
            Some(FetchedItem {
                uid: f.uid?,
                size: f.size,
                internal_date: f.internal_date().and_then(|d| Timestamp::from_second(d.timestamp()).ok()),
                body: f.body().or_else(|| f.header()).unwrap_or_default().to_vec(),
            })
        })
        .collect())
}

fn imap_err(doing: &'static str) -> impl Fn(async_imap::error::Error) -> SourceError {
    move |source| SourceError::Imap { doing: doing.into(), source }
}

async fn timed<T>(
    timeout: Duration,
    what: &str,
    fut: impl Future<Output = Result<T, SourceError>>,
) -> Result<T, SourceError> {
    tokio::time::timeout(timeout, fut).await.map_err(|_| SourceError::Timeout(what.into()))?
}

/// The names of every folder of the account.
async fn list_folders(session: &mut ImapSession) -> Result<Vec<String>, SourceError> {
    let list = session.list(Some(""), Some("*")).await.map_err(imap_err("LIST"))?;
    let names: Vec<_> = list.try_collect().await.map_err(imap_err("LIST"))?;
    Ok(names.iter().map(|n| n.name().to_string()).collect())
}

async fn ensure_folder(session: &mut ImapSession, folder: &str) -> Result<(), SourceError> {
    let names = list_folders(session).await?;
    if names.iter().any(|n| n == folder) {
        return Ok(());
    }
    session.create(folder).await.map_err(imap_err("CREATE"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TlsMode;

    #[test]
    fn a_uid_set_compresses_runs_and_names_nothing_else() {
        assert_eq!(uid_set(&[1, 2, 3, 4, 5, 7, 9, 10, 11, 12]), "1:5,7,9:12");
        assert_eq!(uid_set(&[12, 3, 1, 2, 3]), "1:3,12");
        assert_eq!(uid_set(&[42]), "42");
        assert_eq!(uid_set(&[u32::MAX - 1, u32::MAX]), format!("{}:{}", u32::MAX - 1, u32::MAX));
        assert_eq!(uid_set(&[]), "");
    }

    /// Issue 24: the cause of a failure was flattened to text; it is kept as the source.
    #[tokio::test]
    async fn a_refused_connection_keeps_its_cause() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let server = Server {
            host: "127.0.0.1".into(),
            port,
            tls: TlsMode::None,
            username: None,
            password: None,
            ca_file: None,
            tls_name: "127.0.0.1".into(),
        };
        let folders = Folders {
            inbox: "INBOX".into(),
            processed: "P".into(),
            quarantine: "Q".into(),
            sent: "S".into(),
            spam: "J".into(),
            flag_in_place: false,
            queue: None,
        };
        let mut source = ImapSource::new(server, folders, 1, 1, Duration::from_secs(10));
        let e = source.open().await.unwrap_err();
        let cause = std::error::Error::source(&e).expect("a cause");
        let io = cause.downcast_ref::<std::io::Error>().expect("the io::Error itself");
        assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused);
        let printed = crate::chain::Chain(&e).to_string();
        assert!(printed.starts_with(&format!("cannot connect to 127.0.0.1:{port}: ")), "{printed}");
    }
}
