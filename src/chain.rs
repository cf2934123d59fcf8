//! An error printed with its causes, `top: cause: cause`, the way the command line and the
//! log show every failure: errors keep their causes as `source()` and print only their own
//! part, so the chain is written out once, here.

use std::error::Error;
use std::fmt;

/// Displays an error followed by each of its sources.
pub struct Chain<'a>(pub &'a (dyn Error + 'a));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(e) = cause {
            write!(f, ": {e}")?;
            cause = e.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("database")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn each_cause_is_printed_once_in_order() {
        let e = Outer(std::io::Error::other("disk full"));
        assert_eq!(Chain(&e).to_string(), "database: disk full");
    }
}
