//! Source stage, IMAP: where mail goes once a pass has committed it. A batch is settled with
//! one command per destination folder (processed, quarantine, Sent, spam) and a UID set, or
//! flagged in place; the queue mirror files mail into the staff queue's folders by
//! Message-ID. Moving is MOVE, or COPY + `\Deleted` + UID EXPUNGE without it.

use futures::TryStreamExt;

use super::{DONE_KEYWORD, ImapSource, imap_err, timed, uid_set};
use crate::source::{Settle, SourceError};

impl ImapSource {
    /// Settles a batch after its commit: one command per destination folder, each with the
    /// UID set of the mails that go there.
    pub async fn settle(&mut self, mails: &[(u32, Settle)]) -> Result<(), SourceError> {
        for how in [Settle::Processed, Settle::Quarantined, Settle::Sent, Settle::Spam] {
            let uids: Vec<u32> = mails.iter().filter(|(_, h)| *h == how).map(|(uid, _)| *uid).collect();
            if !uids.is_empty() {
                self.settle_set(&uid_set(&uids), how).await?;
            }
        }
        Ok(())
    }

    /// Moves the mails of a UID set to the folder for `how`, or flags them in place.
    async fn settle_set(&mut self, uids: &str, how: Settle) -> Result<(), SourceError> {
        let timeout = self.timeout;
        let folder = match how {
            Settle::Processed => self.folders.processed.clone(),
            Settle::Quarantined => self.folders.quarantine.clone(),
            Settle::Sent => self.folders.sent.clone(),
            Settle::Spam => self.folders.spam.clone(),
        };
        let flag = self.folders.flag_in_place && how == Settle::Processed;
        if flag {
            let session = self.session()?;
            return timed(timeout, "flagging mail", async {
                let flags = format!("+FLAGS.SILENT (\\Seen {DONE_KEYWORD})");
                let stored = session.uid_store(uids, &flags).await.map_err(imap_err("UID STORE"))?;
                stored.try_collect::<Vec<_>>().await.map_err(imap_err("UID STORE"))?;
                Ok(())
            })
            .await;
        }
        self.move_set(uids, &folder).await
    }

    /// The queue mirror: moves the mail with these Message-IDs into `target`, from the
    /// processed folder and the other queue folders. Idempotent (mail already in `target` is
    /// not looked at), so a crash between the moves and the database's note of them only
    /// repeats a search. Leaves no folder selected that matters: the pass is over.
    pub async fn file_in_queue(
        &mut self,
        message_ids: &[String],
        target: &str,
    ) -> Result<usize, SourceError> {
        let Some(queue) = self.folders.queue.clone() else { return Ok(0) };
        let timeout = self.timeout;
        let mut from = vec![self.folders.processed.clone()];
        from.extend(queue.all().into_iter().filter(|f| *f != target).map(str::to_string));
        let mut moved = 0;
        for folder in from {
            let session = self.session()?;
            timed(timeout, "opening a queue folder", async {
                session.select(&folder).await.map_err(imap_err("SELECT")).map(|_| ())
            })
            .await?;
            let mut uids = Vec::new();
            for id in message_ids {
                let query = format!("HEADER Message-ID {}", imap_quoted(&format!("<{id}>")));
                let found = timed(timeout, "searching a queue folder", async {
                    session.uid_search(&query).await.map_err(imap_err("UID SEARCH"))
                })
                .await?;
                uids.extend(found);
            }
            if !uids.is_empty() {
                moved += uids.len();
                self.move_set(&uid_set(&uids), target).await?;
            }
        }
        Ok(moved)
    }

    /// Moves the mails of a UID set of the selected folder to `folder` (MOVE, or COPY +
    /// `\Deleted` + UID EXPUNGE without it).
    async fn move_set(&mut self, uids: &str, folder: &str) -> Result<(), SourceError> {
        let timeout = self.timeout;
        let has_move = self.has_move;
        let session = self.session()?;
        timed(timeout, "moving mail", async {
            if has_move {
                return session.uid_mv(uids, &folder).await.map_err(imap_err("UID MOVE"));
            }
            session.uid_copy(uids, &folder).await.map_err(imap_err("UID COPY"))?;
            let flagged =
                session.uid_store(uids, "+FLAGS.SILENT (\\Deleted)").await.map_err(imap_err("UID STORE"))?;
            flagged.try_collect::<Vec<_>>().await.map_err(imap_err("UID STORE"))?;
            let expunged = session.uid_expunge(uids).await.map_err(imap_err("UID EXPUNGE"))?;
            expunged.try_collect::<Vec<_>>().await.map_err(imap_err("UID EXPUNGE"))?;
            Ok(())
        })
        .await
    }
}

/// `text` as an IMAP quoted string (`"` and `\` escaped; CR and LF, which a quoted string
/// cannot hold, dropped).
fn imap_quoted(text: &str) -> String {
    let mut quoted = String::from("\"");
    for c in text.chars().filter(|c| !matches!(c, '\r' | '\n')) {
        if matches!(c, '"' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::imap_quoted;

    #[test]
    fn a_quoted_string_escapes_quotes_and_backslashes_and_drops_line_ends() {
        assert_eq!(imap_quoted("<a@b>"), "\"<a@b>\"");
        assert_eq!(imap_quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(imap_quoted("a\r\nb"), "\"ab\"");
    }
}
