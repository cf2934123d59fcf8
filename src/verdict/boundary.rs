//! Verdict stage, the trust boundary: which header fields our own servers wrote. Servers add
//! their fields on top, so ours are the ones above the `Received` field of the hop where the
//! mail entered our servers; everything below it came with the mail and is the sender's to
//! forge.
//!
//! Walking the `Received` fields from the top, a field `by` one of our servers keeps the zone
//! open; it ends with the first field that is not ours, or with the hop that took the mail from
//! outside (a `from` part that is neither one of our servers nor loopback), which is the
//! last one of ours. Our server wrote that field itself, so the address in its `from` part is
//! true, unlike the HELO name the sender chose.

/// Where our part of the header ends: header fields before index `end` (in header order)
/// were written on our side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    pub end: usize,
    /// The servers taken as ours (configured, or the topmost `Received` field's `by` host).
    pub servers: Vec<String>,
}

/// The zone of a header whose `Received` fields are `received`, as (index in the header,
/// value), top first. `servers` are our host names, lower-case; when empty, the server that
/// wrote the topmost `Received` field (the one that delivered the mail into our mailbox) is
/// taken as ours.
pub fn zone<'a>(received: impl IntoIterator<Item = (usize, &'a str)>, servers: &[String]) -> Zone {
    let mut ours = servers.to_vec();
    let mut end = 0;
    for (index, value) in received {
        let hop = Hop::read(value);
        if ours.is_empty()
            && let Some(by) = &hop.by
        {
            ours.push(by.clone());
        }
        if !hop.by.as_ref().is_some_and(|by| ours.contains(by)) {
            break;
        }
        end = index + 1;
        if !hop.came_from_inside(&ours) {
            break;
        }
    }
    Zone { end, servers: ours }
}

/// The parts of one `Received` field the boundary needs.
#[derive(Debug, Default, PartialEq, Eq)]
struct Hop {
    /// The host after `from` (the name the sending side gave).
    from: Option<String>,
    /// The comment after it, written by the receiving server: `(rdns [address])`.
    from_comment: Option<String>,
    /// The host after `by`: the server that wrote the field.
    by: Option<String>,
}

impl Hop {
    /// Reads words as slices of `value` and stops at the `by` host: the rest of the field
    /// (`with`, `id`, `for`, the date) is not needed.
    fn read(value: &str) -> Hop {
        let mut hop = Hop::default();
        let mut previous = "";
        let mut rest = value;
        while hop.by.is_none() {
            rest = rest.trim_start();
            match rest.chars().next() {
                None | Some(';') => break,
                Some('(') => {
                    let (text, after) = comment(&rest[1..]);
                    if hop.from.is_some() && hop.from_comment.is_none() {
                        hop.from_comment = Some(text.to_ascii_lowercase());
                    }
                    rest = after;
                }
                Some(_) => {
                    let end =
                        rest.find(|c: char| c.is_whitespace() || c == '(' || c == ';').unwrap_or(rest.len());
                    let word = &rest[..end];
                    if previous.eq_ignore_ascii_case("from") && hop.from.is_none() {
                        hop.from = Some(word.to_ascii_lowercase());
                    } else if previous.eq_ignore_ascii_case("by") {
                        hop.by = Some(word.to_ascii_lowercase());
                    }
                    previous = word;
                    rest = &rest[end..];
                }
            }
        }
        hop
    }

    /// Whether the mail came to this hop from one of our servers (or from this machine): the
    /// receiving server's comment names one of them or a loopback address; without a comment,
    /// the `from` name does. No `from` part: the mail was made on the server itself.
    fn came_from_inside(&self, ours: &[String]) -> bool {
        let Some(from) = &self.from else { return true };
        match &self.from_comment {
            Some(comment) => {
                let rdns = comment.split_whitespace().next().unwrap_or_default();
                ours.iter().any(|s| s == rdns)
                    || ["[127.", "[::1]", "[ipv6:::1]"].iter().any(|l| comment.contains(l))
            }
            None => ours.contains(from) || from == "localhost",
        }
    }
}

/// The text of a comment whose `(` was read, nested comments included, and what follows.
fn comment(text: &str) -> (&str, &str) {
    let mut depth = 1;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return (&text[..i], &text[i + 1..]);
                }
            }
            _ => {}
        }
    }
    (text, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    const LMTP: &str = "from mail.example.com ([127.0.0.1])\r\n\tby mail.example.com with LMTP id x; Thu, 3 Dec 2026 10:00:00 +0000";
    const ENTRY: &str = "from shop.test (shop.test [192.0.2.7])\r\n\tby mail.example.com (Postfix) with ESMTPS id A1\r\n\tfor <support@example.com>; Thu, 3 Dec 2026 10:00:00 +0000";
    const SENDER: &str =
        "from pc (pc [10.0.0.2]) by smtp.shop.test with ESMTP; Thu, 3 Dec 2026 09:59:00 +0000";

    #[test]
    fn reads_from_comment_and_by() {
        let hop = Hop::read(ENTRY);
        assert_eq!(hop.from.as_deref(), Some("shop.test"));
        assert_eq!(hop.from_comment.as_deref(), Some("shop.test [192.0.2.7]"));
        assert_eq!(hop.by.as_deref(), Some("mail.example.com"));
        assert_eq!(
            Hop::read("by mx.test (Postfix, from userid 0) id 1; date").by.as_deref(),
            Some("mx.test")
        );
    }

    #[test]
    fn our_zone_ends_at_the_hop_from_outside() {
        // 0 Received (LMTP), 1 X-Spam-Status, 2 Received (entry), 3 Received (sender's), 4 From
        let zone = zone([(0, LMTP), (2, ENTRY), (3, SENDER)], &[]);
        assert_eq!(zone.end, 3);
        assert_eq!(zone.servers, ["mail.example.com"]);
    }

    #[test]
    fn a_forged_received_of_ours_below_the_entry_does_not_extend_it() {
        let forged = "from x (x [127.0.0.1]) by mail.example.com; date";
        let zone = zone([(0, LMTP), (1, ENTRY), (2, forged)], &["mail.example.com".into()]);
        assert_eq!(zone.end, 2);
    }

    #[test]
    fn configured_servers_must_have_written_the_top_field() {
        let zone = zone([(0, LMTP), (1, ENTRY)], &["mx.other.test".into()]);
        assert_eq!(zone.end, 0);
    }

    #[test]
    fn internal_hops_keep_the_zone_open() {
        let store = "from mx.example.com (mx.example.com [10.1.1.1]) by store.example.com with LMTP; date";
        let entry = "from shop.test (shop.test [192.0.2.7]) by mx.example.com with ESMTP; date";
        let servers = ["store.example.com".to_string(), "mx.example.com".to_string()];
        assert_eq!(zone([(0, store), (3, entry), (5, SENDER)], &servers).end, 4);
        // Without mx configured, only the store's own field is ours.
        assert_eq!(zone([(0, store), (3, entry)], &[]).end, 1);
    }

    #[test]
    fn no_received_field_no_zone() {
        assert_eq!(zone([], &[]).end, 0);
    }
}
