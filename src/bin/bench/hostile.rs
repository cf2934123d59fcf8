//! `hostile OUTDIR`: the resource-limit mails of `tests/faults.rs`, one file each.

use std::path::PathBuf;

use super::{Options, USAGE};

/// Writes the hostile mails that `tests/faults.rs` processes (10,000 MIME parts, 100 levels
/// of nesting, a 1 MB header line, a 20 MiB base64 part of zeros) into `OUTDIR/<case>.eml`,
/// for `scripts/bench-hostile.sh` to time and measure in a release build.
pub fn hostile(opts: &Options) -> Result<(), String> {
    let out = PathBuf::from(opts.positional.get(1).ok_or_else(|| format!("hostile needs OUTDIR\n{USAGE}"))?);
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    for (name, mail) in hostile_mails() {
        let path = out.join(format!("{name}.eml"));
        std::fs::write(&path, &mail).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("{name}: {} bytes", mail.len());
    }
    Ok(())
}

fn hostile_mails() -> Vec<(&'static str, String)> {
    use std::fmt::Write;
    const HEAD: &str = "From: Ann <ann@customer.test>\r\nTo: support@example.test\r\nSubject: Refund\r\nMIME-Version: 1.0\r\n";
    let mut parts = format!("{HEAD}Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n");
    for i in 0..10_000 {
        let _ = write!(parts, "--b\r\nContent-Type: text/plain\r\n\r\npart {i} refund\r\n");
    }
    parts.push_str("--b--\r\n");
    let mut nested = HEAD.to_string();
    for level in 0..100 {
        let _ = write!(nested, "Content-Type: multipart/mixed; boundary=\"b{level}\"\r\n\r\n--b{level}\r\n");
    }
    nested.push_str("Content-Type: text/plain\r\n\r\nI want a refund.\r\n");
    for level in (0..100).rev() {
        let _ = write!(nested, "--b{level}--\r\n");
    }
    let long_header = format!(
        "From: ann@customer.test\r\nTo: support@example.test\r\nSubject: {}\r\n\r\nI want a refund.\r\n",
        "退款 refund ".repeat(80_000)
    );
    let mut zeros = format!(
        "{HEAD}Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nrefund\r\n--b\r\n\
         Content-Type: application/zip; name=\"bomb.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    );
    let line = "A".repeat(76);
    for _ in 0..(20 * 1024 * 1024 / 76) {
        let _ = write!(zeros, "{line}\r\n");
    }
    zeros.push_str("--b--\r\n");
    vec![
        ("0-ordinary-mail", format!("{HEAD}\r\nI want a refund.\r\n")),
        ("10000-parts", parts),
        ("100-levels", nested),
        ("1mb-header-line", long_header),
        ("20mib-base64-zeros", zeros),
    ]
}
