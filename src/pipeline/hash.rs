//! The content key of a mail: what makes the same mail, delivered twice or found in two
//! folders, a duplicate.

use sha2::{Digest, Sha256};

/// The content key of a mail: SHA-256 of its raw bytes without the trace fields that mail
/// servers prepend on delivery (`Return-Path`, `Received`, `Delivered-To` …), so the same mail
/// delivered twice, or found in two folders, has the same key.
pub fn content_hash(bytes: &[u8]) -> String {
    Sha256::digest(without_trace_fields(bytes)).iter().map(|b| format!("{b:02x}")).collect()
}

const TRACE_FIELDS: &[&str] = &[
    "return-path",
    "received",
    "delivered-to",
    "x-original-to",
    "x-delivered-to",
    "envelope-to",
    "x-envelope-from",
    "x-envelope-to",
    "x-rcpt-to",
    "authentication-results",
    "received-spf",
    "arc-seal",
    "arc-message-signature",
    "arc-authentication-results",
    "x-spam-status",
    "x-spam-score",
    "x-spam-level",
    "x-spam-flag",
    "x-spam-checker-version",
    "x-virus-scanned",
];

/// `bytes` from the first header field that is not a delivery trace field.
fn without_trace_fields(bytes: &[u8]) -> &[u8] {
    let mut start = 0;
    while start < bytes.len() {
        let line_end = bytes[start..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |i| start + i + 1);
        let line = &bytes[start..line_end];
        let is_continuation = matches!(line.first(), Some(b' ' | b'\t'));
        let name = line.split(|&b| b == b':').next().unwrap_or_default();
        let is_trace = TRACE_FIELDS.iter().any(|f| f.as_bytes().eq_ignore_ascii_case(name.trim_ascii()));
        if start > 0 && is_continuation || is_trace {
            start = line_end;
        } else {
            break;
        }
    }
    &bytes[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redelivery_with_new_trace_fields_has_the_same_key() {
        let mail = b"From: a@b\r\nSubject: x\r\n\r\nbody";
        let delivered = b"Return-Path: <a@b>\r\nDelivered-To: s@x\r\nReceived: from x\r\n\tby y; Sun\r\nFrom: a@b\r\nSubject: x\r\n\r\nbody";
        assert_eq!(content_hash(mail), content_hash(delivered));
    }

    #[test]
    fn different_content_has_a_different_key() {
        assert_ne!(content_hash(b"From: a@b\r\n\r\none"), content_hash(b"From: a@b\r\n\r\ntwo"));
    }

    #[test]
    fn a_received_field_after_the_first_header_is_content() {
        let a = b"From: a@b\r\nReceived: x\r\n\r\nbody";
        let b = b"From: a@b\r\nReceived: y\r\n\r\nbody";
        assert_ne!(content_hash(a), content_hash(b));
    }
}
