//! Parse stage, header fields: the raw header of a mail, kept as one copy and read by name.
//!
//! Most fields are never looked at (`Received` lines, DKIM signatures), so the header is
//! copied as written, with the position of each field, and a value is checked for UTF-8 and
//! made into one line only when it is read.

use std::ops::Range;

use mail_parser::Message;

use super::clean_line;

/// The header fields of a mail, in order.
#[derive(Debug, Clone, Default)]
pub struct HeaderFields {
    raw: Vec<u8>,
    /// The name and the value of each field, as positions in `raw`.
    fields: Vec<(Range<usize>, Range<usize>)>,
}

impl HeaderFields {
    /// The top-level fields of `message`.
    pub fn of(message: &Message<'_>) -> HeaderFields {
        let raw = message.raw_message();
        let headers = message.root_part().headers();
        let end = headers.iter().map(|h| h.offset_end as usize).max().unwrap_or(0).min(raw.len());
        let mut fields = Vec::with_capacity(headers.len());
        // mail-parser's value starts right after the colon that ends the name.
        fields.extend(headers.iter().filter_map(|h| {
            let (field, value) = (h.offset_field as usize, h.offset_start as usize..h.offset_end as usize);
            let colon = value.start.checked_sub(1).filter(|&c| c >= field && raw.get(c) == Some(&b':'))?;
            (value.end <= end).then_some((field..colon, value))
        }));
        HeaderFields { raw: raw[..end].to_vec(), fields }
    }

    /// Every field, in order: its name and its value, as the bytes written (checked for
    /// UTF-8 only by whoever reads them: most fields are never read).
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.fields.iter().map(|(name, value)| (self.name_bytes(name), &self.raw[value.clone()]))
    }

    /// The values of every field called `name` (case-insensitive) that are UTF-8, each on
    /// one line.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = String> + 'a {
        self.fields
            .iter()
            .filter(move |(n, _)| self.name_bytes(n).eq_ignore_ascii_case(name.as_bytes()))
            .filter_map(|(_, value)| std::str::from_utf8(&self.raw[value.clone()]).ok())
            .map(clean_line)
    }

    fn name_bytes(&self, name: &Range<usize>) -> &[u8] {
        self.raw[name.clone()].trim_ascii()
    }

    /// The value of the first field called `name` (case-insensitive), on one line.
    pub fn first(&self, name: &str) -> Option<String> {
        self.values(name).next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_in_any_case_and_values_are_read_as_one_line() {
        let raw =
            b"From: a@x\r\nX-Mailer: Foxmail\r\nReceived: from a\r\n\tby b\r\nreceived: from c\r\n\r\nhi";
        let message = mail_parser::MessageParser::default().parse(&raw[..]).unwrap();
        let fields = HeaderFields::of(&message);
        let names: Vec<&[u8]> = fields.iter().map(|(name, _)| name).collect();
        assert_eq!(names, [&b"From"[..], b"X-Mailer", b"Received", b"received"]);
        assert_eq!(fields.first("X-MAILER").as_deref(), Some("Foxmail"));
        assert_eq!(fields.values("received").collect::<Vec<_>>(), ["from a by b", "from c"]);
        assert_eq!(fields.first("subject"), None);
    }
}
