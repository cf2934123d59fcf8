//! Source stage, IMAP: the Sent folder. Staff replies written in a mail client are read from
//! it (headers only), and a copy of every mail deskmail sends is appended to it.

use super::{ImapSource, fetch_items, imap_err, timed, uid_set};
use crate::source::SourceError;

impl ImapSource {
    /// Headers of the mail in the Sent folder with a UID above `after` (staff replies written
    /// in a mail client), with the folder's UIDVALIDITY. Leaves the Sent folder selected.
    pub async fn sent_headers_after(
        &mut self,
        after: u32,
    ) -> Result<(u32, Vec<(u32, Vec<u8>)>), SourceError> {
        let timeout = self.timeout;
        let sent = self.folders.sent.clone();
        let session = self.session()?;
        let mailbox = timed(timeout, "opening the Sent folder", async {
            session.examine(&sent).await.map_err(imap_err("EXAMINE"))
        })
        .await?;
        let uidvalidity = mailbox.uid_validity.unwrap_or(0);
        let query = format!("UID {}:*", after.saturating_add(1));
        let mut uids: Vec<u32> = timed(timeout, "searching the Sent folder", async {
            session.uid_search(&query).await.map_err(imap_err("UID SEARCH"))
        })
        .await?
        .into_iter()
        .filter(|uid| *uid > after)
        .collect();
        uids.sort_unstable();
        uids.truncate(200);
        if uids.is_empty() {
            return Ok((uidvalidity, Vec::new()));
        }
        let items = fetch_items(session, &uid_set(&uids), "(UID BODY.PEEK[HEADER])", timeout).await?;
        Ok((uidvalidity, items.into_iter().map(|i| (i.uid, i.body)).collect()))
    }

    /// Appends a copy of an outgoing mail to a folder (the Sent folder), marked Seen.
    pub async fn append(&mut self, folder: &str, raw: &[u8]) -> Result<(), SourceError> {
        let timeout = self.timeout;
        let session = self.session()?;
        timed(timeout, "appending to the Sent folder", async {
            session.append(folder, Some("(\\Seen)"), None, raw).await.map_err(imap_err("APPEND"))
        })
        .await
    }
}
