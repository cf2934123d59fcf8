//! Screen stage, bounces: reads a delivery status notification for the Message-IDs of the
//! mail it returns and the failure status, so the pipeline can find our original, record
//! the failure on its ticket and stop automatic mail to that address for a while.

use std::sync::LazyLock;

use regex::bytes::Regex;

/// What a bounce says about the mail it returns.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BounceReport {
    /// Message-IDs found in the returned mail or its headers (without angle brackets).
    pub original_ids: Vec<String>,
    /// The DSN status (`5.1.1`), if given.
    pub status: Option<String>,
}

static MESSAGE_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?im)^\s*message-id:\s*<([^>\s]{1,250})>").expect("message-id regex"));
static STATUS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?im)^\s*status:\s*([245]\.\d{1,3}\.\d{1,3})").expect("status regex"));

/// Reads the body of a bounce (everything after its own header).
pub fn read(raw: &[u8]) -> BounceReport {
    let body = body_of(raw);
    let mut original_ids: Vec<String> = Vec::new();
    for caps in MESSAGE_ID.captures_iter(body) {
        let id = String::from_utf8_lossy(&caps[1]).into_owned();
        if !original_ids.contains(&id) {
            original_ids.push(id);
        }
    }
    let status = STATUS.captures(body).map(|c| String::from_utf8_lossy(&c[1]).into_owned());
    BounceReport { original_ids, status }
}

fn body_of(raw: &[u8]) -> &[u8] {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|i| i + 2))
        .unwrap_or(raw.len());
    &raw[end..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_returned_message_id_and_status_but_not_its_own() {
        let raw = b"From: MAILER-DAEMON@x\r\nMessage-ID: <bounce-1@x>\r\n\r\n--b\r\n\
            Content-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--b\r\n\
            Content-Type: message/rfc822\r\n\r\nMessage-ID: <ours-7@example.test>\r\nSubject: Re: x\r\n";
        let report = read(raw);
        assert_eq!(report.original_ids, vec!["ours-7@example.test"]);
        assert_eq!(report.status.as_deref(), Some("5.1.1"));
    }

    #[test]
    fn a_bounce_without_the_original_gives_nothing() {
        assert_eq!(read(b"From: a\r\n\r\nsorry"), BounceReport::default());
    }
}
