//! Command output on stdout. A reader that goes away (`deskmail tickets | head`) ends the
//! command quietly with exit 0, as ripgrep does, instead of the panic `println!` gives.

use std::io::Write;

use super::Failure;

/// Writes one line to stdout; a closed pipe is `Failure::Closed`.
pub fn line(args: std::fmt::Arguments<'_>) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_fmt(args).and_then(|()| out.write_all(b"\n")).map_err(failure)
}

/// What a failed write to stdout means for the command.
fn failure(e: std::io::Error) -> Failure {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Failure::Closed
    } else {
        Failure::temporary(format!("cannot write the output: {e}"))
    }
}

/// `println!` that returns `Err(Failure::Closed)` from the calling function when stdout is
/// closed, instead of panicking.
macro_rules! outln {
    () => { $crate::cli::output::line(format_args!(""))? };
    ($($arg:tt)*) => { $crate::cli::output::line(format_args!($($arg)*))? };
}
pub(crate) use outln;
