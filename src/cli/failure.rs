//! How a command failed, in the terms cron and systemd understand: each kind has its exit
//! code (sysexits), and `cli::run` prints it with its causes on one line of stderr.

use std::error::Error;
use std::fmt;

use crate::daemon;
use crate::source::SourceError;
use crate::store::StoreError;

/// The cause of a failure, kept whole so that its own causes print too.
pub type Cause = Box<dyn Error + Send + Sync>;

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// Bad configuration, rules or templates: exit 78 (EX_CONFIG).
    Config(Cause),
    /// Server down, database locked: exit 75 (EX_TEMPFAIL); try again later.
    Temporary(Cause),
    /// A file that must exist does not (a mistyped database path): exit 66 (EX_NOINPUT).
    NoInput(String),
    /// Input deskmail cannot use as it is (a database of a newer deskmail): exit 65
    /// (EX_DATAERR).
    Data(String),
    /// An output that cannot be made without harming what is there (a non-empty directory
    /// `demo` did not make): exit 73 (EX_CANTCREAT).
    CannotCreate(String),
    /// The command line cannot be carried out as given: exit 64 (EX_USAGE).
    Usage(String),
    /// The reader of our output went away (`deskmail tickets | head`): exit 0, silently.
    Closed,
}

impl Failure {
    /// A configuration error (exit 78) with its cause, or a message.
    pub fn config(cause: impl Into<Cause>) -> Failure {
        Failure::Config(cause.into())
    }

    /// A temporary failure (exit 75) with its cause, or a message.
    pub fn temporary(cause: impl Into<Cause>) -> Failure {
        Failure::Temporary(cause.into())
    }

    /// The process exit code for this failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Config(_) => 78,
            Failure::Temporary(_) => 75,
            Failure::NoInput(_) => 66,
            Failure::Data(_) => 65,
            Failure::CannotCreate(_) => 73,
            Failure::Usage(_) => 64,
            Failure::Closed => 0,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Config(cause) | Failure::Temporary(cause) => cause.fmt(f),
            Failure::NoInput(m) | Failure::Data(m) | Failure::CannotCreate(m) | Failure::Usage(m) => {
                f.write_str(m)
            }
            Failure::Closed => f.write_str("output closed"),
        }
    }
}

impl Error for Failure {
    /// The cause's own causes: the failure prints as its cause does.
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Failure::Config(cause) | Failure::Temporary(cause) => cause.source(),
            _ => None,
        }
    }
}

impl From<daemon::Error> for Failure {
    fn from(e: daemon::Error) -> Failure {
        use daemon::Error as E;
        match e {
            E::Policy(_) | E::Smtp(_) | E::Outbox { .. } => Failure::Config(Box::new(e)),
            E::Store(StoreError::Missing { .. }) => Failure::NoInput(crate::chain::Chain(&e).to_string()),
            E::Store(StoreError::Newer { .. }) | E::Open { source: StoreError::Newer { .. }, .. } => {
                Failure::Data(crate::chain::Chain(&e).to_string())
            }
            e => Failure::Temporary(Box::new(e)),
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        daemon::Error::Store(e).into()
    }
}

impl From<SourceError> for Failure {
    fn from(e: SourceError) -> Failure {
        daemon::Error::Source(e).into()
    }
}

impl From<crate::policy::Problems> for Failure {
    fn from(e: crate::policy::Problems) -> Failure {
        Failure::Config(Box::new(e))
    }
}

impl From<crate::lock::LockError> for Failure {
    fn from(e: crate::lock::LockError) -> Failure {
        Failure::Temporary(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::Chain;

    #[test]
    fn a_failure_prints_its_causes_once_and_keeps_its_exit_code() {
        let e = StoreError::Sql { doing: "read a ticket", source: rusqlite::Error::InvalidQuery };
        let failure = Failure::from(e);
        assert_eq!(failure.exit_code(), 75);
        let printed = Chain(&failure).to_string();
        assert!(printed.starts_with("database: cannot read a ticket: "), "{printed}");
        assert_eq!(printed.matches("cannot read a ticket").count(), 1, "{printed}");
        let missing = Failure::from(StoreError::Missing { path: "/nonexistent/db".into() });
        assert_eq!(missing.exit_code(), 66);
        assert!(Chain(&missing).to_string().starts_with("database: no database at /nonexistent/db"));
    }
}
