//! The lock that keeps two instances off one database: `DB.lock`, held with an advisory file
//! lock for as long as the instance runs, holding its pid so that a second one can say who
//! has it (and `deskmail reload` whom to signal).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The lock cannot be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("cannot open the lock file {}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("another deskmail (pid {pid}) is working {}", database.display())]
    Held { pid: String, database: PathBuf },
    #[error("cannot write the lock file {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The lock file of a database: `DB.lock`, holding the pid of the instance that has it.
pub fn path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the lock or says which process has it; released when the file is dropped.
pub fn acquire(database: &Path) -> Result<File, LockError> {
    let path = path(database);
    let mut file = match File::options().create(true).truncate(false).read(true).write(true).open(&path) {
        Ok(file) => file,
        Err(source) => return Err(LockError::Open { path, source }),
    };
    if file.try_lock().is_err() {
        let pid = std::fs::read_to_string(&path).unwrap_or_default().trim().to_string();
        return Err(LockError::Held { pid, database: database.to_path_buf() });
    }
    match file.set_len(0).and_then(|_| write!(file, "{}", std::process::id())) {
        Ok(()) => Ok(file),
        Err(source) => Err(LockError::Write { path, source }),
    }
}

/// The pid of the running instance, if any.
pub fn holder(database: &Path) -> Option<u32> {
    let path = path(database);
    let file = File::open(&path).ok()?;
    if file.try_lock_shared().is_ok() {
        return None;
    }
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}
