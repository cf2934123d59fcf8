//! Parse stage, HTML: turns an HTML-only body into readable text (paragraphs and line
//! breaks kept, links shown as `text (url)`, no CSS or script), using mail-parser's
//! converter after rewriting links so their targets survive it.

use std::sync::LazyLock;

use regex::Regex;

static LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?is)<a\s[^>]*?href\s*=\s*["']([^"']+)["'][^>]*>(.*?)</a\s*>"#).expect("link regex")
});

/// Block-level tags that end a line. mail-parser breaks lines only at `<br>` and `</p>`;
/// Foxmail, QQ Mail and Outlook write one `<div>` per line, and without these breaks a
/// reply's "On … wrote:" marker merges with the new text and the quote is not found.
static BLOCK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)<\s*(/\s*(div|li|tr|h[1-6]|table|ul|ol|pre)|hr)\b[^>]*>").expect("block regex")
});

/// Elements whose content is never shown, and comments. mail-parser skips `<style>` and
/// `<script>` only when written without attributes, so `<style type="text/css">` in the body
/// would otherwise come out as CSS text.
static HIDDEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)<!--.*?-->|<(head|style|script|template|title)\b[^>]*>.*?</(head|style|script|template|title)\s*>")
        .expect("hidden regex")
});

/// Paragraph starts and ends, given an extra break so that paragraphs are set apart by a
/// blank line (mail-parser ends a paragraph with a single line break, like `<br>`).
static PARAGRAPH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)<p(\s[^>]*)?>|</p\s*>").expect("paragraph regex"));

/// Table cell ends, which would otherwise glue neighbouring cells' words together.
static CELL_END: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)</t[dh]\s*>").expect("cell regex"));

/// `<blockquote>` content: quoted history, shown as `> ` lines.
static BLOCKQUOTE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)<blockquote\b[^>]*>(.*)</blockquote\s*>").expect("blockquote regex"));

/// Converts HTML to plain text.
pub fn to_text(html: &str) -> String {
    let html = HIDDEN.replace_all(html, "");
    let html = PARAGRAPH.replace_all(&html, "<br>$0<br>");
    let html = CELL_END.replace_all(&html, "$0 ");
    let quoted = BLOCKQUOTE.replace_all(&html, |caps: &regex::Captures<'_>| {
        let inner = to_text(&caps[1]);
        let lines: Vec<String> = inner.lines().map(|l| format!("&gt; {}", escape(l))).collect();
        format!("<br>{}<br>", lines.join("<br>"))
    });
    let blocks = BLOCK.replace_all(&quoted, "<br>");
    let with_links = LINK.replace_all(&blocks, |caps: &regex::Captures<'_>| {
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

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
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
    fn regression_div_per_line_html_keeps_its_line_breaks() {
        let text = to_text("<div>还是没到账</div><div>在 2026年11月20日, 客服 写道:</div><div>旧内容</div>");
        assert_eq!(text, "还是没到账\n在 2026年11月20日, 客服 写道:\n旧内容");
    }

    #[test]
    fn blockquote_content_is_quoted() {
        let text =
            to_text("<p>New words</p><blockquote><p>Old <b>answer</b></p><p>line two</p></blockquote>");
        assert!(text.contains("New words"), "{text:?}");
        assert!(text.contains("> Old answer") && text.contains("> line two"), "{text:?}");
    }

    #[test]
    fn regression_style_and_script_with_attributes_are_dropped() {
        let html = r#"<p>Hi</p><style type="text/css">.x{color:red}</style><script type="text/javascript">var a = 1;</script><!-- note -->"#;
        assert_eq!(to_text(html), "Hi");
    }

    #[test]
    fn regression_paragraphs_are_set_apart_by_a_blank_line() {
        assert_eq!(to_text("<p>One</p><p class=\"MsoNormal\">Two<br>Three</p>"), "One\n\nTwo\nThree");
    }

    #[test]
    fn table_cells_are_spaced() {
        assert_eq!(to_text("<table><tr><td>Amount</td><td>25.00</td></tr></table>"), "Amount 25.00");
    }

    #[test]
    fn links_keep_their_target() {
        let text = to_text(r#"<p>See <a href="https://pay.example/tx/1">the receipt</a></p>"#);
        assert!(text.contains("the receipt (https://pay.example/tx/1)"), "{text:?}");
    }
}
