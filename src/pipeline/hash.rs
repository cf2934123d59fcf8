//! The content key of a mail: what makes the same mail, delivered twice or found in two
//! folders, a duplicate.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

/// The content key of a mail: `t`, the day its `Date` field names (`YYYYMMDD`, `00000000`
/// without one), then the SHA-256 of its raw bytes without the trace fields that mail servers
/// prepend on delivery (`Return-Path`, `Received`, `Delivered-To` …). The same mail delivered
/// twice, or found in two folders, has the same key: both parts are read from the same bytes.
///
/// The day comes first so that keys sort by when mail was written: new mail's keys go to the
/// end of the unique index that finds duplicates, and the pages a pass changes stay few and
/// together, however long the history. With the hash alone each new mail changed a page
/// somewhere in an index of a million keys (1,220 of the 4,802 pages one pass of 1,000 mails
/// wrote back at a million messages). Keys stored before were the hash alone, and the duplicate
/// checks look for both forms.
pub fn content_hash(bytes: &[u8]) -> String {
    let content = without_trace_fields(bytes);
    let mut key = String::with_capacity(KEY_LENGTH);
    key.push('t');
    key.push_str(&written_day(content));
    for b in Sha256::digest(content) {
        // Writing to a String cannot fail.
        let _ = write!(key, "{b:02x}");
    }
    key
}

/// The length of a content key: `t`, eight digits of the day, 64 of the hash (the store's
/// duplicate checks know this form, `store::messages::key_forms`).
const KEY_LENGTH: usize = 1 + 8 + 64;

/// `YYYYMMDD` of the `Date` field of `content`'s header as written (its own time zone), or
/// `00000000` when there is none or it does not read as a date. Only the header is parsed.
fn written_day(content: &[u8]) -> String {
    mail_parser::MessageParser::new()
        .parse_headers(content)
        .and_then(|header| header.date().cloned())
        .filter(|d| {
            (1970..=9999).contains(&d.year) && (1..=12).contains(&d.month) && (1..=31).contains(&d.day)
        })
        .map_or_else(|| "00000000".to_string(), |d| format!("{:04}{:02}{:02}", d.year, d.month, d.day))
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
    fn the_key_begins_with_the_day_the_mail_was_written_and_ends_with_the_old_key() {
        let mail = b"From: a@b\r\nDate: Fri, 4 Dec 2026 09:30:00 +0800\r\nSubject: x\r\n\r\nbody";
        let key = content_hash(mail);
        assert!(key.starts_with("t20261204"), "{key}");
        let old: String = Sha256::digest(&mail[..]).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(&key[9..], old, "the hash alone, what an older deskmail stored");
        assert_eq!(key.len(), KEY_LENGTH);
        let folded = b"From: a@b\r\nDate: Fri,\r\n 4 Dec 2026 09:30:00 +0800\r\n\r\nbody";
        assert!(content_hash(folded).starts_with("t20261204"));
        for undated in
            [&b"From: a@b\r\n\r\nDate: Fri, 4 Dec 2026 09:30:00 +0800"[..], b"Date: yesterday\r\n\r\nx"]
        {
            assert!(content_hash(undated).starts_with("t00000000"), "a Date in the body or unreadable");
        }
    }

    #[test]
    fn keys_of_mail_written_later_sort_later() {
        let on = |day: &str| content_hash(format!("From: a@b\r\nDate: {day}\r\n\r\nsame").as_bytes());
        let days = [
            "Mon, 30 Nov 2026 23:59:00 +0000",
            "Tue, 1 Dec 2026 00:01:00 +0000",
            "Fri, 1 Jan 2027 08:00:00 +0000",
        ];
        let keys: Vec<String> = days.iter().map(|d| on(d)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
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
