//! Parse stage, HTML: turns an HTML-only body into readable text (paragraphs and line
//! breaks kept, links shown as `text (url)`, no CSS or script), using mail-parser's
//! converter after rewriting links so their targets survive it.

use std::sync::LazyLock;

use regex::Regex;

static LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?is)<a\s[^>]*?href\s*=\s*["']([^"']+)["'][^>]*>(.*?)</a\s*>"#).expect("link regex")
});

/// Converts HTML to plain text.
pub fn to_text(html: &str) -> String {
    let with_links = LINK.replace_all(html, |caps: &regex::Captures<'_>| {
        let (url, label) = (&caps[1], &caps[2]);
        if url.starts_with("mailto:") || label.contains(url) {
            label.to_string()
        } else {
            format!("{label} ({url})")
        }
    });
    let text = mail_parser::decoders::html::html_to_text(&with_links);
    collapse_blank_lines(&text)
}

fn collapse_blank_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines().map(str::trim_end) {
        blank_run = if line.trim().is_empty() { blank_run + 1 } else { 0 };
        if blank_run <= 1 {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_and_breaks() {
        let text = to_text("<html><body><p>Hello</p><p>Line one<br>Line two</p></body></html>");
        assert!(text.contains("Hello"));
        assert!(text.contains("Line one\nLine two"), "{text:?}");
    }

    #[test]
    fn style_and_script_are_dropped() {
        let text = to_text("<style>p{color:red}</style><script>alert(1)</script><p>Hi</p>");
        assert_eq!(text, "Hi");
    }

    #[test]
    fn links_keep_their_target() {
        let text = to_text(r#"<p>See <a href="https://pay.example/tx/1">the receipt</a></p>"#);
        assert!(text.contains("the receipt (https://pay.example/tx/1)"), "{text:?}");
    }
}
