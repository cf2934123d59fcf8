//! Parse stage, HTML: turns an HTML-only body into readable text (paragraphs and line
//! breaks kept, links shown as `text (url)`, no CSS or script), using mail-parser's
//! converter after rewriting links so their targets survive it.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

static LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?is)<a\s[^>]*?href\s*=\s*["']([^"']+)["'][^>]*>(.*?)</a\s*>"#).expect("link regex")
});

/// Elements whose content is never shown, and comments. mail-parser skips `<style>` and
/// `<script>` only when written without attributes, so `<style type="text/css">` in the body
/// would otherwise come out as CSS text.
static HIDDEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)<!--.*?-->|<(head|style|script|template|title)(?-u:\b)[^>]*>.*?</(head|style|script|template|title)\s*>")
        .expect("hidden regex")
});

/// `<blockquote>` content: quoted history, shown as `> ` lines.
static BLOCKQUOTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)<blockquote(?-u:\b)[^>]*>(.*)</blockquote\s*>").expect("blockquote regex")
});

/// Converts HTML to plain text.
pub fn to_text(html: &str) -> String {
    let [hidden, blockquote, link] = has_tags(html, [&HIDDEN_TAGS, &["blockquote"], &["a"]]);
    let html = if hidden { HIDDEN.replace_all(html, "") } else { Cow::Borrowed(html) };
    let html = mark_line_breaks(&html);
    let quoted = if blockquote {
        BLOCKQUOTE.replace_all(&html, |caps: &regex::Captures<'_>| {
            let inner = to_text(&caps[1]);
            let lines: Vec<String> = inner.lines().map(|l| format!("&gt; {}", escape(l))).collect();
            format!("<br>{}<br>", lines.join("<br>"))
        })
    } else {
        Cow::Borrowed(html.as_str())
    };
    let with_links = if link {
        LINK.replace_all(&quoted, |caps: &regex::Captures<'_>| {
            let (url, label) = (&caps[1], &caps[2]);
            if url.starts_with("mailto:") || label.contains(url) {
                label.to_string()
            } else {
                format!("{label} ({url})")
            }
        })
    } else {
        Cow::Borrowed(quoted.as_ref())
    };
    let text = mail_parser::decoders::html::html_to_text(&with_links);
    collapse_blank_lines(&text)
}

/// The tags (or comments) whose content [`HIDDEN`] removes.
const HIDDEN_TAGS: [&str; 6] = ["!--", "head", "style", "script", "template", "title"];

/// For each group of tag names, whether `html` has a tag starting with one of them (in any
/// case), so that the regexes for it run only on mail that has it.
fn has_tags<const N: usize>(html: &str, groups: [&[&str]; N]) -> [bool; N] {
    let mut found = [false; N];
    for (at, _) in html.match_indices('<') {
        let after = &html.as_bytes()[at + 1..];
        let starts =
            |name: &&str| after.get(..name.len()).is_some_and(|s| s.eq_ignore_ascii_case(name.as_bytes()));
        for (group, found) in groups.iter().zip(&mut found) {
            *found = *found || group.iter().any(starts);
        }
    }
    found
}

/// What a tag does to the lines of the text, beyond what mail-parser's converter does.
#[derive(Debug, PartialEq, Eq)]
enum TagBreak {
    /// `<p …>` and `</p>`: mail-parser ends a paragraph with a single line break, like `<br>`;
    /// an extra break on each side sets paragraphs apart by a blank line.
    Paragraph,
    /// `</td>`, `</th>`: a space, or neighbouring cells' words would be glued together.
    CellEnd,
    /// The end of a block-level element, and `<hr>`: mail-parser breaks lines only at `<br>`
    /// and `</p>`, but Foxmail, QQ Mail and Outlook write one `<div>` per line, and without a
    /// break a reply's "On … wrote:" marker merges with the new text and the quote is lost.
    Block,
    None,
}

/// The elements whose end is a [`TagBreak::Block`].
const BLOCK_ELEMENTS: &[&str] =
    &["div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "pre"];

/// Rewrites the tags that break lines (see [`TagBreak`]) in one pass over the HTML.
fn mark_line_breaks(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + html.len() / 4);
    let mut copied = 0;
    let mut search = 0;
    while let Some(offset) = html[search..].find('<') {
        let start = search + offset;
        let Some(len) = html[start + 1..].find(['<', '>']) else { break };
        let end = start + 1 + len;
        if html.as_bytes()[end] == b'<' {
            search = end;
            continue;
        }
        let tag = &html[start..=end];
        let replacement = match tag_break(&tag[1..tag.len() - 1]) {
            TagBreak::Paragraph => format!("<br>{tag}<br>"),
            TagBreak::CellEnd => format!("{tag} "),
            TagBreak::Block => "<br>".to_string(),
            TagBreak::None => {
                search = end + 1;
                continue;
            }
        };
        out.push_str(&html[copied..start]);
        out.push_str(&replacement);
        copied = end + 1;
        search = end + 1;
    }
    out.push_str(&html[copied..]);
    out
}

/// What the tag with this inside (between `<` and `>`) does to the lines.
fn tag_break(inside: &str) -> TagBreak {
    let closing = inside.trim_start().starts_with('/');
    let name_and_rest = inside.trim_start().trim_start_matches('/').trim_start();
    let name_len = name_and_rest.bytes().take_while(u8::is_ascii_alphanumeric).count();
    let (name, rest) = name_and_rest.split_at(name_len);
    let is = |element: &str| name.eq_ignore_ascii_case(element);
    // Paragraph and cell tags count only as written tight: `<p …>`, `</p >`, `</td>`.
    let tight = inside.strip_prefix('/').unwrap_or(inside).starts_with(name);
    let only_spaces_follow = rest.trim().is_empty();
    let paragraph_rest =
        if closing { only_spaces_follow } else { rest.is_empty() || rest.starts_with(char::is_whitespace) };
    if tight && is("p") && paragraph_rest {
        return TagBreak::Paragraph;
    }
    if tight && closing && (is("td") || is("th")) && only_spaces_follow {
        return TagBreak::CellEnd;
    }
    let whole_name = !rest.starts_with('_');
    if whole_name && (closing && BLOCK_ELEMENTS.iter().any(|e| is(e)) || !closing && is("hr")) {
        return TagBreak::Block;
    }
    TagBreak::None
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
    fn tags_that_break_lines() {
        assert_eq!(tag_break("p"), TagBreak::Paragraph);
        assert_eq!(tag_break("P class=\"MsoNormal\""), TagBreak::Paragraph);
        assert_eq!(tag_break("/p "), TagBreak::Paragraph);
        assert_eq!(tag_break("pre"), TagBreak::None);
        assert_eq!(tag_break("/pre"), TagBreak::Block);
        assert_eq!(tag_break("/TD"), TagBreak::CellEnd);
        assert_eq!(tag_break(" / div "), TagBreak::Block);
        assert_eq!(tag_break("/div_x"), TagBreak::None);
        assert_eq!(tag_break("hr/"), TagBreak::Block);
        assert_eq!(tag_break("div"), TagBreak::None);
        assert_eq!(tag_break("br"), TagBreak::None);
        assert_eq!(mark_line_breaks("a<<div>b</div>c</td><p>"), "a<<div>b<br>c</td> <br><p><br>");
    }

    #[test]
    fn links_keep_their_target() {
        let text = to_text(r#"<p>See <a href="https://pay.example/tx/1">the receipt</a></p>"#);
        assert!(text.contains("the receipt (https://pay.example/tx/1)"), "{text:?}");
    }
}
