//! Source stage, Maildir: reads `new/` and `cur/` of a local Maildir; settling moves a file
//! into the `.Processed`, `.Quarantine` or `.Spam` Maildir++ folder with the Seen flag. Files are only
//! renamed, never deleted.

use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::{Fetched, Handle, Settle, SourceError};
use crate::config::Folders;
use crate::pipeline::RawMail;

/// A local Maildir source.
pub struct MaildirSource {
    root: PathBuf,
    folders: Folders,
    batch: usize,
    max_bytes: u64,
}

impl MaildirSource {
    pub fn new(root: PathBuf, folders: Folders, batch: u32, max_bytes: u64) -> MaildirSource {
        MaildirSource { root, folders, batch: batch as usize, max_bytes }
    }

    fn folder(&self, name: &str) -> PathBuf {
        self.root.join(format!(".{name}"))
    }

    /// Creates the Maildir and its folders when they are missing.
    pub fn open(&mut self) -> Result<(), SourceError> {
        let dirs = [
            self.root.clone(),
            self.folder(&self.folders.processed),
            self.folder(&self.folders.quarantine),
            self.folder(&self.folders.spam),
        ];
        for dir in dirs {
            for sub in ["new", "cur", "tmp"] {
                let path = dir.join(sub);
                std::fs::create_dir_all(&path).map_err(|source| io("create", &path, source))?;
            }
        }
        Ok(())
    }

    /// Up to one batch of mail from `new/` and `cur/`, oldest file first.
    pub fn fetch(&mut self) -> Result<Vec<Fetched>, SourceError> {
        let mut files = Vec::new();
        // Flagged in place, processed mail stays in cur/: only new/ holds unprocessed mail.
        let subs: &[&str] = if self.folders.flag_in_place { &["new"] } else { &["new", "cur"] };
        for sub in subs {
            let dir = self.root.join(sub);
            let entries = std::fs::read_dir(&dir).map_err(|source| io("read", &dir, source))?;
            for entry in entries.filter_map(Result::ok) {
                let path = entry.path();
                if path.is_file() {
                    let modified = entry.metadata().and_then(|m| m.modified()).ok();
                    files.push((modified, path));
                }
            }
        }
        files.sort();
        files.truncate(self.batch);
        files.into_iter().map(|(modified, path)| read(&path, modified, self.max_bytes)).collect()
    }

    /// Settles a batch after its commit: each file is renamed out of the inbox (local
    /// renames, so one at a time costs nothing worth batching).
    pub fn settle(&mut self, mails: &[(&Path, Settle)]) -> Result<(), SourceError> {
        mails.iter().try_for_each(|(path, how)| self.settle_one(path, *how))
    }

    /// Moves a processed or quarantined file out of the inbox, marked Seen.
    fn settle_one(&self, path: &Path, how: Settle) -> Result<(), SourceError> {
        let folder = match how {
            Settle::Processed if self.folders.flag_in_place => self.root.clone(),
            Settle::Processed => self.folder(&self.folders.processed),
            Settle::Quarantined => self.folder(&self.folders.quarantine),
            Settle::Sent => self.folder(&self.folders.sent),
            Settle::Spam => self.folder(&self.folders.spam),
        };
        for sub in ["new", "cur", "tmp"] {
            let dir = folder.join(sub);
            std::fs::create_dir_all(&dir).map_err(|source| io("create", &dir, source))?;
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("mail");
        let base = name.split(':').next().unwrap_or(name);
        let target = folder.join("cur").join(format!("{base}:2,S"));
        std::fs::rename(path, &target).map_err(|source| io("move", path, source))
    }
}

/// Reads a mail file; one larger than `max_bytes` is read only up to the end of its header.
fn read(
    path: &Path,
    modified: Option<std::time::SystemTime>,
    max_bytes: u64,
) -> Result<Fetched, SourceError> {
    let size = std::fs::metadata(path).map_err(|source| io("read", path, source))?.len();
    let (bytes, oversize) = if size > max_bytes {
        (read_header(path).map_err(|source| io("read", path, source))?, Some(size))
    } else {
        (std::fs::read(path).map_err(|source| io("read", path, source))?, None)
    };
    let received_at = modified.and_then(|m| Timestamp::try_from(m).ok()).unwrap_or_else(Timestamp::now);
    Ok(Fetched {
        mail: RawMail { bytes, origin: format!("maildir:{}", path.display()), received_at, oversize },
        handle: Handle::Maildir { path: path.to_path_buf() },
    })
}

/// The header of a mail file (at most 256 KiB), without reading the body.
fn read_header(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(path)?.take(256 * 1024).read_to_end(&mut head)?;
    let end = head
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| head.windows(2).position(|w| w == b"\n\n").map(|i| i + 2))
        .unwrap_or(head.len());
    head.truncate(end);
    Ok(head)
}

fn io(doing: &'static str, path: &Path, source: std::io::Error) -> SourceError {
    SourceError::Io { doing, path: path.display().to_string(), source }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folders() -> Folders {
        Folders {
            inbox: "INBOX".into(),
            processed: "Processed".into(),
            quarantine: "Quarantine".into(),
            sent: "Sent".into(),
            spam: "Spam".into(),
            flag_in_place: false,
            queue: None,
        }
    }

    #[test]
    fn fetch_and_settle_moves_files_out_of_the_inbox() {
        let dir = tempfile::tempdir().unwrap();
        let mut source = MaildirSource::new(dir.path().to_path_buf(), folders(), 10, 1024);
        source.open().unwrap();
        std::fs::write(dir.path().join("new/1.mail"), b"From: a@b\r\n\r\nhi").unwrap();
        let fetched = source.fetch().unwrap();
        assert_eq!(fetched.len(), 1);
        let Handle::Maildir { path } = &fetched[0].handle else { panic!() };
        source.settle(&[(path, Settle::Processed)]).unwrap();
        assert!(source.fetch().unwrap().is_empty());
        assert!(dir.path().join(".Processed/cur/1.mail:2,S").exists());
    }

    #[test]
    fn an_oversize_file_is_read_only_up_to_its_header() {
        let dir = tempfile::tempdir().unwrap();
        let mut source = MaildirSource::new(dir.path().to_path_buf(), folders(), 10, 100);
        source.open().unwrap();
        let big = format!("From: a@b\r\nSubject: big\r\n\r\n{}", "x".repeat(10_000));
        std::fs::write(dir.path().join("new/big.mail"), &big).unwrap();
        let fetched = source.fetch().unwrap();
        assert_eq!(fetched[0].mail.oversize, Some(big.len() as u64));
        assert_eq!(fetched[0].mail.bytes, b"From: a@b\r\nSubject: big\r\n\r\n");
    }
}
