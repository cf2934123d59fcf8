//! Parse stage, header fields: every field of a mail kept in one buffer, read by name.
//!
//! Most fields are never looked at (`Received` lines, DKIM signatures), so their values are
//! stored as written, folding included, and made into one line only when read.

use std::ops::Range;

use mail_parser::Message;

use super::clean_line;

/// The header fields of a mail, in order: lower-cased names and raw values.
#[derive(Debug, Clone, Default)]
pub struct HeaderFields {
    text: String,
    fields: Vec<(Range<usize>, Range<usize>)>,
}

impl HeaderFields {
    /// The top-level fields of `message` (fields whose value is not UTF-8 are left out).
    pub fn of(message: &Message<'_>) -> HeaderFields {
        let mut all = HeaderFields::default();
        for (name, value) in message.headers_raw() {
            all.push(name, value);
        }
        all
    }

    fn push(&mut self, name: &str, value: &str) {
        let name_start = self.text.len();
        self.text.push_str(name);
        self.text[name_start..].make_ascii_lowercase();
        let value_start = self.text.len();
        self.text.push_str(value);
        self.fields.push((name_start..value_start, value_start..self.text.len()));
    }

    /// Every field as (lower-case name, raw value).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(name, value)| (&self.text[name.clone()], &self.text[value.clone()]))
    }

    /// The values of every field called `name` (case-insensitive), each on one line.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = String> + 'a {
        self.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, value)| clean_line(value))
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
    fn names_are_lower_case_and_values_are_read_as_one_line() {
        let raw =
            b"From: a@x\r\nX-Mailer: Foxmail\r\nReceived: from a\r\n\tby b\r\nreceived: from c\r\n\r\nhi";
        let message = mail_parser::MessageParser::default().parse(&raw[..]).unwrap();
        let fields = HeaderFields::of(&message);
        let names: Vec<&str> = fields.iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["from", "x-mailer", "received", "received"]);
        assert_eq!(fields.first("X-MAILER").as_deref(), Some("Foxmail"));
        assert_eq!(fields.values("received").collect::<Vec<_>>(), ["from a by b", "from c"]);
        assert_eq!(fields.first("subject"), None);
    }
}
