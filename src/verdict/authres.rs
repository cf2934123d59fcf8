//! Verdict stage, `Authentication-Results` (RFC 8601): the value of one field read into the
//! server that wrote it (`authserv-id`) and its results (`spf=pass smtp.mailfrom=…`).
//!
//! Comments (nested, RFC 5322 CFWS) are skipped, quoted strings unquoted, and a result that
//! cannot be read is left out rather than guessed: a field that names no authserv-id gives
//! nothing at all.

/// One `Authentication-Results` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthResults {
    /// Who wrote it, lower-cased: only fields of trusted authserv-ids are believed.
    pub authserv_id: String,
    pub results: Vec<MethodResult>,
}

/// One result: `dkim=pass header.d=example.com`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodResult {
    /// `spf`, `dkim`, `dmarc` … lower-cased, without a method version.
    pub method: String,
    /// `pass`, `fail`, `none` … lower-cased.
    pub result: String,
    pub reason: Option<String>,
    /// `(ptype.property, value)`, the name lower-cased: `("header.d", "example.com")`.
    pub props: Vec<(String, String)>,
}

impl MethodResult {
    /// The value of property `name` (`header.d`, `smtp.mailfrom` …).
    pub fn prop(&self, name: &str) -> Option<&str> {
        self.props.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The result as written, with its properties: `dkim=pass header.d=example.com`.
    pub fn describe(&self) -> String {
        let mut text = format!("{}={}", self.method, self.result);
        for (name, value) in &self.props {
            text.push_str(&format!(" {name}={value}"));
        }
        text
    }
}

/// A lexical item of the field: comments and white space are dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// A run of characters that are not white space, `(`, `)`, `"`, `;` or `=`.
    Word(String),
    Quoted(String),
    Semicolon,
    Equals,
}

/// Reads one field's value. `None` when it names no authserv-id.
pub fn parse(value: &str) -> Option<AuthResults> {
    let items = lex(value);
    let mut segments = items.split(|item| *item == Item::Semicolon);
    // authserv-id [version]
    let authserv_id = match segments.next()?.first()? {
        Item::Word(w) | Item::Quoted(w) => w.to_ascii_lowercase(),
        _ => return None,
    };
    let results = segments.filter_map(result).collect();
    Some(AuthResults { authserv_id, results })
}

/// `method[/version] = result [reason = value] [ptype.property = value]…`; `none` (no
/// result) and anything unreadable give `None`.
fn result(items: &[Item]) -> Option<MethodResult> {
    let [Item::Word(method), Item::Equals, Item::Word(result), rest @ ..] = items else { return None };
    let method = method.split('/').next().unwrap_or(method).trim().to_ascii_lowercase();
    let mut out =
        MethodResult { method, result: result.to_ascii_lowercase(), reason: None, props: Vec::new() };
    let mut rest = rest;
    while let [Item::Word(name), Item::Equals, value @ (Item::Word(_) | Item::Quoted(_)), tail @ ..] = rest {
        let value = match value {
            Item::Word(v) | Item::Quoted(v) => v.clone(),
            _ => unreachable!("matched above"),
        };
        let name = name.to_ascii_lowercase();
        if name == "reason" {
            out.reason = Some(value);
        } else if name.contains('.') {
            out.props.push((name, value));
        }
        rest = tail;
    }
    Some(out)
}

/// Splits a value into words, quoted strings, `;` and `=`, skipping (nested) comments.
fn lex(value: &str) -> Vec<Item> {
    let mut items = Vec::new();
    let mut chars = value.chars().peekable();
    let mut word = String::new();
    let flush = |word: &mut String, items: &mut Vec<Item>| {
        if !word.is_empty() {
            items.push(Item::Word(std::mem::take(word)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '(' => {
                flush(&mut word, &mut items);
                skip_comment(&mut chars);
            }
            '"' => {
                flush(&mut word, &mut items);
                items.push(Item::Quoted(quoted(&mut chars)));
            }
            ';' => {
                flush(&mut word, &mut items);
                items.push(Item::Semicolon);
            }
            '=' => {
                flush(&mut word, &mut items);
                items.push(Item::Equals);
            }
            c if c.is_whitespace() => flush(&mut word, &mut items),
            c => word.push(c),
        }
    }
    flush(&mut word, &mut items);
    items
}

/// Skips a comment whose `(` was read, with nested comments and quoted pairs.
fn skip_comment(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    let mut depth = 1;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return;
                }
            }
            _ => {}
        }
    }
}

/// A quoted string whose `"` was read, unquoted.
fn quoted(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> String {
    let mut text = String::new();
    while let Some(c) = chars.next() {
        match c {
            '\\' => text.extend(chars.next()),
            '"' => break,
            c => text.push(c),
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_results_with_properties() {
        let ar = parse(
            "mx.example.com;\r\n\tspf=pass smtp.mailfrom=shop.test;\r\n\tdkim=pass header.d=shop.test header.s=s1;\r\n\tdmarc=pass header.from=shop.test",
        )
        .unwrap();
        assert_eq!(ar.authserv_id, "mx.example.com");
        let methods: Vec<_> = ar.results.iter().map(|r| (r.method.as_str(), r.result.as_str())).collect();
        assert_eq!(methods, [("spf", "pass"), ("dkim", "pass"), ("dmarc", "pass")]);
        assert_eq!(ar.results[1].prop("header.d"), Some("shop.test"));
        assert_eq!(ar.results[1].prop("header.s"), Some("s1"));
    }

    #[test]
    fn comments_are_skipped_even_nested_and_with_semicolons() {
        let ar = parse(
            "MX.Example.COM (mail (front; tier)) 1; (first) dkim=fail (bad signature; (yes)) header.d=x.test; spf=none",
        )
        .unwrap();
        assert_eq!(ar.authserv_id, "mx.example.com");
        assert_eq!(ar.results.len(), 2);
        assert_eq!(ar.results[0].describe(), "dkim=fail header.d=x.test");
        assert_eq!(ar.results[1].describe(), "spf=none");
    }

    #[test]
    fn quoted_values_and_reason() {
        let ar =
            parse("\"mx example\"; dmarc=fail reason=\"p=reject; \\\"strict\\\"\" header.from=\"bank.test\"")
                .unwrap();
        assert_eq!(ar.authserv_id, "mx example");
        let dmarc = &ar.results[0];
        assert_eq!(dmarc.reason.as_deref(), Some("p=reject; \"strict\""));
        assert_eq!(dmarc.prop("header.from"), Some("bank.test"));
    }

    #[test]
    fn no_result_and_versions() {
        let ar = parse("mx.example.com 1; none").unwrap();
        assert!(ar.results.is_empty());
        let ar = parse("mx.example.com; dkim/1 = pass header.i=@shop.test").unwrap();
        assert_eq!(ar.results[0].method, "dkim");
        assert_eq!(ar.results[0].prop("header.i"), Some("@shop.test"));
    }

    #[test]
    fn a_field_without_authserv_id_gives_nothing() {
        assert_eq!(parse(""), None);
        assert_eq!(parse("  (only a comment) "), None);
        assert_eq!(parse("; spf=pass").map(|a| a.results.len()), None);
    }

    #[test]
    fn unreadable_results_are_left_out() {
        let ar = parse("mx.example.com; spf; =pass; dkim=pass").unwrap();
        assert_eq!(ar.results.len(), 1);
        assert_eq!(ar.results[0].method, "dkim");
    }
}
