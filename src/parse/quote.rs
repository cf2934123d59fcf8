//! Parse stage, quotes: splits what the customer wrote now from quoted history and
//! signatures, so that a reply quoting our own answer is classified by its new words, wherever
//! they stand: above the quote, below it, or between quoted lines.
//!
//! Recognised markers: `>` lines; attribution lines (`On ... wrote:`, `X wrote on <date,
//! time>:` and their forms in Chinese, Japanese, Korean and the European languages: `Am ...
//! schrieb`, `Le ... a écrit`, `El ... escribió`, `Il ... ha scritto`, `在 ... 写道`, `X 于<date>
//! 写道`, `於 ... 寫道`, `X 写于 <date>:` …; Gmail's verbless `<date, time> X <x@y>:`; Zoho's
//! `---- On ... wrote ----`; also when a client broke them inside the address or the date);
//! separators such as `-----Original Message-----`, `-----Ursprüngliche Nachricht-----`,
//! GMX's and web.de's `----- Original Nachricht ----`, `-----Mensaje original-----`,
//! Thunderbird's `-------- 原始消息 --------`, QQ Mail's and Foxmail's
//! `------------------ 原始邮件 ------------------` (its spaces sometimes left as `&nbsp;`),
//! `-----原始邮件-----`, Outlook's `-----邮件原件-----`, `--- 回复邮件 ---`;
//! Outlook-style header blocks (`From:`/`Sent:`, `Von:`/`Gesendet:`, `De :`/`Envoyé :`,
//! `Message du :`/`De :`/`Sujet :`, `Da:`/`Inviato:`, `发件人:`/`发送时间:`,
//! `寄件者:`/`寄件日期:`, `От:`/`Отправлено:`, and Hotmail's `Date:` first, with the line of
//! underscores or dashes above them); forward separators; the `-- ` signature delimiter;
//! "Sent from my iPhone" / `发自我的iPhone` / `从我的 iPhone 发送` / `寄自我的 iPhone` /
//! `Inviato da iPhone` style footers (the mobile clients' own in a dozen languages, Outlook
//! Mobile's) when they end the text; a mailing list's footer; legal notices under the message
//! (`DISCLAIMER:`, "This e-mail and any attachments are confidential …", 免责声明,
//! 本邮件含保密信息) and a mail gateway's external-mail warning above it ("CAUTION: This email
//! originated from outside …", `【外部邮件】`), whose words are no question of the customer's.
//!
//! An attribution or header block followed by `>` lines quotes only those lines: unquoted text
//! after them is the customer's again (bottom posting, interleaved answers). Followed by
//! unquoted text (Outlook's style), everything after it is history here; when it quotes our own
//! answer, the pipeline finds text written below it by that answer's end (`pipeline::ours`).
//! A forward with nothing
//! written above it is the customer's message: the forwarded text is the new text.

use std::sync::LazyLock;

use regex::Regex;

mod around;
mod attribution;
mod header_block;
mod inside;

use around::{FOOTER_STARTS_ASCII, FOOTER_STARTS_OTHER, FOOTERS, disclaimer_at, is_external_banner};
use attribution::attribution;
use header_block::{is_header_field, starts_header_block};

/// A body split into the new text and everything else.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split {
    pub new_text: String,
    pub quoted: String,
}

/// Splits `body` into the customer's new text and the quoted history and signatures.
pub fn split(body: &str) -> Split {
    split_mail(body, false)
}

/// Like [`split`]; `forward_subject` says the subject marks a forward (`Fwd:`, `转发:` …), so
/// that a mail whose only text is a quoted message is read as that message.
pub fn split_mail(body: &str, forward_subject: bool) -> Split {
    let body = without_bidi_controls(body);
    let lines: Vec<&str> = body.lines().collect();
    let mut out = Walk::default();
    out.run(&lines, 0);
    if out.new_text.trim().is_empty()
        && let Some(start) = out.forward_at.or(out.first_quote.filter(|_| forward_subject))
    {
        return bare_forward(&lines, start);
    }
    let mut new_text = tidy(out.new_text);
    if let Some(from) = out.history_from {
        let below = if out.history_quotes && inside::announces_answers_inside(&new_text) {
            Some(inside::quoted_body(&lines, from))
        } else {
            inside::postscript_below(&lines, from)
        };
        if let Some(below) = below.filter(|b| !b.trim().is_empty()) {
            new_text = tidy(format!("{new_text}\n\n{below}"));
        }
    }
    Split { new_text, quoted: tidy(out.quoted) }
}

/// What the sender wrote above the first quote marker of `body`, however short: unlike
/// [`split_mail`], a forward with nothing above it gives nothing ("Forward the message." above
/// a forwarded bounce, or a customer's question above it).
pub fn written_above_quote(body: &str) -> String {
    let body = without_bidi_controls(body);
    let lines: Vec<&str> = body.lines().collect();
    let mut out = Walk::default();
    out.run(&lines, 0);
    tidy(out.new_text)
}

/// `text` without the invisible marks that set the direction of right-to-left text (U+200E,
/// U+200F, U+202A–U+202E, U+2066–U+2069): Gmail wraps the names and the address of its Hebrew
/// and Arabic attributions in them (`בתאריך … מאת X <x@y>:` with a mark around each part), where
/// the markers are looked for. The letters keep their own direction.
fn without_bidi_controls(text: &str) -> std::borrow::Cow<'_, str> {
    let control =
        |c: char| matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    // Each of them is written E2 80 or E2 81 in UTF-8: most mails have neither.
    if !text.as_bytes().windows(2).any(|w| w[0] == 0xE2 && matches!(w[1], 0x80 | 0x81))
        || !text.contains(control)
    {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(text.chars().filter(|&c| !control(c)).collect())
}

/// A forward without a word above it: the forwarded mail, without the separator and its
/// header lines, is the customer's message (itself split, as it may quote older mail).
fn bare_forward(lines: &[&str], start: usize) -> Split {
    let mut body = start + marker_at(lines, start).map_or(1, |m| m.lines);
    while body < lines.len() && (lines[body].trim().is_empty() || is_header_field(lines[body].trim())) {
        body += 1;
    }
    let inner = split(&lines[body..].join("\n"));
    let mut quoted = lines[..body].join("\n");
    if !inner.quoted.is_empty() {
        quoted.push_str("\n\n");
        quoted.push_str(&inner.quoted);
    }
    Split { new_text: inner.new_text, quoted: tidy(quoted) }
}

/// The walk over a body's lines.
#[derive(Default)]
struct Walk {
    new_text: String,
    quoted: String,
    /// The line of the first forward separator.
    forward_at: Option<usize>,
    /// The line of the first quote marker of any kind.
    first_marker: Option<usize>,
    /// The line of the first marker of quoted history (an attribution, a separator, a header
    /// block): under a forward's subject, where the forwarded mail starts, below a phone's
    /// footer ("Sent from my Galaxy" above Samsung's "Original message").
    first_quote: Option<usize>,
    /// `>` blocks above the first marker asked about so far (see [`Walk::own_block`]).
    blocks_asked: usize,
    /// The quote mark of an old client (Pine's `:`, Claws Mail's `|`), once an attribution
    /// has been seen above lines that start with it.
    other_mark: Option<char>,
    /// The line after the marker from which everything is history (Outlook's style: nothing
    /// marks where the quote ends), and whether that marker starts a quote or a forward
    /// rather than a signature: where [`inside`] looks for the customer's words.
    history_from: Option<usize>,
    history_quotes: bool,
}

impl Walk {
    fn run(&mut self, lines: &[&str], mut i: usize) {
        while i < lines.len() {
            let line = lines[i];
            // A mail gateway's warning above the customer's first word is not theirs: its words
            // ("do not click links or open attachments") would read as a security question.
            if is_quoted_line(line)
                && !groupwise_attribution(line)
                && let Some(end) = self.own_block(lines, i)
            {
                for line in &lines[i..end] {
                    push_line(&mut self.new_text, line);
                }
                i = end;
                continue;
            }
            let other_mark = self.other_mark.is_some_and(|c| line.trim_start().starts_with(c));
            let quoted = is_quoted_line(line) && !groupwise_attribution(line);
            if quoted || other_mark || (self.new_text.is_empty() && is_external_banner(line)) {
                push_line(&mut self.quoted, line);
                i += 1;
                continue;
            }
            let Some(marker) = marker_at(lines, i) else {
                // One blank line where a quote between two answers left several.
                if !(line.trim().is_empty() && (self.new_text.is_empty() || self.new_text.ends_with("\n\n")))
                {
                    push_line(&mut self.new_text, line);
                }
                i += 1;
                continue;
            };
            self.first_marker.get_or_insert(i);
            if marker.kind == Kind::Quote {
                self.first_quote.get_or_insert(i);
            }
            // A signature block ends at its first blank line: the customer's words may follow
            // it, above the quote or below it (mutt and Thunderbird put the signature where the
            // cursor was).
            if line == "-- "
                && let Some(resume) = after_signature_block(lines, i)
            {
                for line in &lines[i..resume] {
                    push_line(&mut self.quoted, line);
                }
                i = resume;
                continue;
            }
            if marker.kind == Kind::Forward {
                self.forward_at.get_or_insert(i);
            }
            let after = i + marker.lines;
            let next = (after..lines.len()).find(|&j| !is_blank(lines[j]));
            // Only `>` lines are quoted under this marker: what follows them is new again. So
            // are the lines of an old client's mark under an attribution (`: `, `| `).
            if marker.kind == Kind::Quote
                && let Some(j) = next
                && let Some(mark) = other_quote_mark(lines[j])
            {
                self.other_mark = Some(mark);
            }
            if marker.kind != Kind::Signature
                && let Some(next) = next.filter(|&j| {
                    is_quoted_line(lines[j])
                        || self.other_mark.is_some_and(|c| lines[j].trim_start().starts_with(c))
                })
            {
                for line in &lines[i..next] {
                    push_line(&mut self.quoted, line);
                }
                i = next;
                continue;
            }
            for line in &lines[i..] {
                push_line(&mut self.quoted, line);
            }
            self.history_from = Some(after);
            self.history_quotes = marker.kind != Kind::Signature;
            // A forward separator further down (a signature above a forward) still counts, and
            // so does the first quote's marker (a phone's footer above Samsung's "Original
            // message" under a forward's subject).
            if self.forward_at.is_none() {
                for j in after..lines.len() {
                    match marker_at(lines, j).map(|m| m.kind) {
                        Some(Kind::Forward) => {
                            self.forward_at = Some(j);
                            break;
                        }
                        Some(Kind::Quote) => {
                            self.first_quote.get_or_insert(j);
                        }
                        _ => {}
                    }
                }
            }
            return;
        }
    }
}

impl Walk {
    /// Where the `>` block at line `i` ends, when it is the customer's own text rather than a
    /// quote: written among their words above the first marker ("In the app I only see this
    /// menu path:" / `> Profile > Settings > Privacy`), while the quote that marker starts
    /// below holds none of its lines. A block that the quote below repeats is quoted history
    /// (a line of our answer picked out above the full quote), and so is any block with no
    /// marker below it (interleaved answers). At most a few blocks a mail are asked about, so
    /// a hostile mail stays linear.
    fn own_block(&mut self, lines: &[&str], i: usize) -> Option<usize> {
        if self.first_marker.is_some() || self.new_text.trim().is_empty() || self.blocks_asked >= OWN_BLOCKS {
            return None;
        }
        self.blocks_asked += 1;
        let end = (i..lines.len()).find(|&j| !is_quoted_line(lines[j])).unwrap_or(lines.len());
        let marker =
            (end..lines.len()).find(|&j| marker_at(lines, j).is_some_and(|m| m.kind == Kind::Quote))?;
        let below = unquoted(&lines[marker..]);
        let repeated =
            lines[i..end].iter().map(|l| unquoted(&[l])).any(|l| !l.is_empty() && below.contains(&l));
        (!repeated).then_some(end)
    }
}

/// `>` blocks above the first marker that are asked whether they are the customer's own.
const OWN_BLOCKS: usize = 4;

/// `lines` without their quote marks, as one line of single spaces.
fn unquoted(lines: &[&str]) -> String {
    let words = lines.iter().flat_map(|l| {
        l.trim_start_matches(|c: char| c == '>' || c == '＞' || c.is_whitespace()).split_whitespace()
    });
    words.collect::<Vec<_>>().join(" ")
}

/// Where the walk goes on after the signature block that the `-- ` at line `i` starts: after
/// its first blank line, when what follows is a quote or the customer's prose ([`is_prose`])
/// rather than more of the signature (an address, a title; a disclaimer's paragraphs are
/// caught as such). `None`: the rest of the text is the signature's.
fn after_signature_block(lines: &[&str], i: usize) -> Option<usize> {
    // The block's first line may stand a blank line below the delimiter.
    let first = (i + 1..lines.len()).find(|&j| !is_blank(lines[j]))?;
    let end = (first..lines.len()).find(|&j| is_blank(lines[j]))?;
    let next = (end..lines.len()).find(|&j| !is_blank(lines[j]))?;
    if is_quoted_line(lines[next]) || marker_at(lines, next).is_some_and(|m| m.kind != Kind::Signature) {
        return Some(end);
    }
    // Prose before the next marker ("Beste OKPay,", then a paragraph of the customer's).
    let prose = lines[next..]
        .iter()
        .enumerate()
        .take_while(|&(k, l)| !is_quoted_line(l) && marker_at(lines, next + k).is_none())
        .any(|(_, l)| is_prose(l));
    prose.then_some(end)
}

/// Whether `line` reads as a sentence of the customer's rather than a signature's: eight words
/// or more, or fifteen Chinese characters ("*Joe Smith | Director, Product Management*" is
/// neither).
fn is_prose(line: &str) -> bool {
    let words = line.split_whitespace().filter(|w| w.chars().any(char::is_alphabetic)).count();
    words >= 8 || line.chars().filter(|c| ('\u{4E00}'..='\u{9FFF}').contains(c)).count() >= 15
}

/// The quote mark of an old client that starts `line`: Pine's `: ` and Claws Mail's or
/// Sylpheed's `| ` (or the mark alone on an empty quoted line).
/// Not a table row (`| 发件人 | OKPay |`, NetEase Mail Master's quoted header), which ends
/// with the mark too.
fn other_quote_mark(line: &str) -> Option<char> {
    let line = line.trim();
    [':', '|'].into_iter().find(|&c| {
        line.strip_prefix(c)
            .is_some_and(|rest| rest.is_empty() || (rest.starts_with(' ') && !rest.ends_with('|')))
    })
}

/// Appends `line` to `text`, a line below what it holds.
fn push_line(text: &mut String, line: &str) {
    text.push_str(line);
    text.push('\n');
}

/// The lines without the blank lines and spaces at either end.
fn tidy(mut text: String) -> String {
    text.truncate(text.trim_end().len());
    let start = text.len() - text.trim_start().len();
    text.drain(..start);
    text
}

/// Whether `line` holds only spaces (ASCII or not): checked byte by byte for the usual case.
fn is_blank(line: &str) -> bool {
    line.bytes().all(|b| b.is_ascii_whitespace()) || line.trim().is_empty()
}

fn is_quoted_line(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.starts_with('>') || trimmed.starts_with('＞')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Quoted history: an attribution line, a separator, a header block.
    Quote,
    /// A forwarded mail's separator.
    Forward,
    /// A signature or a mobile footer: the rest of the text is not the customer's message.
    Signature,
}

/// A marker: what it starts and how many lines it takes (an attribution can wrap).
#[derive(Debug, Clone, Copy)]
struct Marker {
    kind: Kind,
    lines: usize,
}

/// Whether quoted history, a forward or a signature starts at line `i`.
fn marker_at(lines: &[&str], i: usize) -> Option<Marker> {
    let line = lines[i];
    let one = |kind| Some(Marker { kind, lines: 1 });
    if line == "-- " {
        return one(Kind::Signature);
    }
    // `--` without the space is often a customer's own dash line: a signature only when a
    // few short lines end the text after it.
    if line.starts_with("--") && line.trim_end() == "--" {
        return short_tail(lines, i + 1).then_some(Marker { kind: Kind::Signature, lines: 1 });
    }
    let trimmed = line.trim();
    let &first = trimmed.as_bytes().first()?;
    if groupwise_attribution(line) {
        return one(Kind::Quote);
    }
    if disclaimer_at(lines, i) {
        return one(Kind::Signature);
    }
    // Cheap gates in front of each regex: most lines of a mail are none of these.
    let dashes = matches!(first, b'-' | b'=' | b'_' | b'*');
    let starts = |prefix: &str| trimmed.get(..prefix.len()).is_some_and(|s| s.eq_ignore_ascii_case(prefix));
    if (dashes || ["begin", "anfang", "début", "inicio"].iter().any(|p| starts(p)))
        && let Some(caps) = SEPARATORS.captures(trimmed)
    {
        let forward = caps.name("forward").is_some() || caps.name("forward2").is_some();
        return one(if forward { Kind::Forward } else { Kind::Quote });
    }
    // BlackBerry's separator has no dashes: `Original Message`, padded with no-break spaces.
    if matches!(first, b'O' | b'o')
        && trimmed.eq_ignore_ascii_case("original message")
        && (i + 1..lines.len())
            .find(|&j| !is_blank(lines[j]))
            .is_some_and(|j| starts_header_block(lines[j].trim(), lines, j))
    {
        return one(Kind::Quote);
    }
    if matches!(first, b'_' | b'-') && RULE_LINE.is_match(trimmed) {
        // Outlook's line (of underscores, or of dashes in Outlook for Mac and mobile clients)
        // above its header block; Mailman's above the list footer that ends a mail; elsewhere
        // a customer's divider.
        let next = (i + 1..lines.len()).find(|&j| !is_blank(lines[j]));
        if next.is_some_and(|j| starts_header_block(lines[j].trim(), lines, j)) {
            return one(Kind::Quote);
        }
        // `<list> mailing list`, then at most its address, its page and one more line.
        let list_footer = |j: usize| {
            let text = lines[j].trim_end();
            text.get(text.len().saturating_sub(12)..)
                .is_some_and(|end| end.eq_ignore_ascii_case("mailing list"))
                && lines[j + 1..].iter().filter(|l| !is_blank(l)).count() <= 3
        };
        return (first == b'_' && next.is_some_and(list_footer))
            .then_some(Marker { kind: Kind::Signature, lines: 1 });
    }
    // Only a line whose first letter starts one of the footers is asked about their starts;
    // Outlook Mobile's, whose first word is any language's, is a short line naming Outlook.
    let footer_starts: &[&str] = match trimmed.chars().next() {
        Some('s' | 'S' | 'g' | 'G' | 'i' | 'I' | 'e' | 'E' | 'v' | 'V' | 'l' | 'L' | 'w' | 'W') => {
            FOOTER_STARTS_ASCII
        }
        Some('发' | '從' | '从' | '寄' | 'о' | 'О' | '나') => FOOTER_STARTS_OTHER,
        _ => &[],
    };
    let outlook = || trimmed.len() < 80 && trimmed.as_bytes().contains(&b'O') && trimmed.contains("Outlook");
    if (footer_starts.iter().any(|p| starts(p)) || outlook()) && FOOTERS.is_match(trimmed) {
        // A footer ends the text; a sentence that starts like one ("Sent from my bank account
        // on Monday …") followed by more of the customer's words is not one.
        let next = (i + 1..lines.len()).find(|&j| !is_blank(lines[j]));
        let ends = next.is_none_or(|j| is_quoted_line(lines[j]) || marker_at(lines, j).is_some());
        return ends.then_some(Marker { kind: Kind::Signature, lines: 1 });
    }
    if let Some(lines) = attribution(lines, i) {
        return Some(Marker { kind: Kind::Quote, lines });
    }
    let colon = trimmed.contains(':') || trimmed.contains('：');
    (colon && starts_header_block(trimmed, lines, i)).then_some(Marker { kind: Kind::Quote, lines: 1 })
}

/// Whether `line` is GroupWise's attribution, `>>> X <x@y> 05.03.2026 09:58 >>>`, above the
/// quoted mail it leaves unmarked.
fn groupwise_attribution(line: &str) -> bool {
    let line = line.trim();
    line.starts_with(">>>") && line.ends_with(">>>") && line.len() > 6 && line.contains('@')
}

/// Whether at most six short lines follow line `from` up to the end of the text or a legal
/// notice.
fn short_tail(lines: &[&str], from: usize) -> bool {
    let end = (from..lines.len()).find(|&j| disclaimer_at(lines, j)).unwrap_or(lines.len());
    let tail: Vec<&&str> = lines[from.min(end)..end].iter().filter(|l| !l.trim().is_empty()).collect();
    tail.len() <= 6 && tail.iter().all(|l| l.chars().count() <= 60)
}

static SEPARATORS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^(?:
            [-=_*]{2,}(?:\s|&nbsp;)*(?:
                (?P<forward>
                    forwarded\s+message | weitergeleitete\s+nachricht | message\s+transf[ée]r[ée]
                  | mensaje\s+reenviado | messaggio\s+inoltrato | doorgestuurd\s+bericht
                  | vidarebefordrat\s+meddelande | videresendt\s+meddelelse | mensagem\s+encaminhada
                  | пересылаемое\s+сообщение | 转发邮件信息 | 转发的邮件 | 转发邮件 | 轉寄郵件 | 轉寄的郵件
                  | 轉發郵件 | 转发的消息 | 原邮件
                )
              | original(?:\s+message)? | ursprüngliche\s+nachricht | original-nachricht
              | original\s+nachricht
              | mensaje\s+original | message\s+d'origine | messaggio\s+originale
              | oorspronkelijk\s+bericht | originalmeddelande | opprinnelig\s+melding
              | oprindelig\s+meddelelse | oprindelig\s+besked | ursprungligt\s+meddelande
              | alkuperäinen\s+viesti | wiadomość\s+oryginalna | message\s+original
              | mensagem\s+original | исходное\s+сообщение | původní\s+zpráva | pôvodná\s+správa
              | eredeti\s+üzenet | izvorna\s+poruka | özgün\s+[iİ]leti | orijinal\s+mesaj
              | mesajul\s+original | початкове\s+повідомлення | 원본\s*메시지 | 元のメッセージ
              | 原始邮件 | 原始郵件 | 原始消息 | 原始訊息 | 回复邮件 | 回覆郵件
              | 回復郵件 | 邮件原文 | 邮件原件 | 郵件原件 | 回复的原邮件 | 回覆的原郵件
              | 원본\s*이메일 | 원본\s*메일 | 原始メール | původní\s+e-?mail
            )(?:\s|&nbsp;)*[-=_*]{2,}
          | (?P<forward2>begin\s+forwarded\s+message | anfang\s+der\s+weitergeleiteten\s+nachricht
              | début\s+du\s+message\s+réexpédié | inicio\s+del\s+mensaje\s+reenviado)\s*[:：]?
        )$",
    )
    .expect("separator regex")
});

static RULE_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:_{10,}|-{10,})$").expect("rule line regex"));

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(super) fn new_text(body: &str) -> String {
        split(body).new_text
    }

    #[test]
    fn a_customers_own_angle_bracket_line_above_the_quote_is_kept() {
        let body = "The option is not there. I only see:\n\n> Wallet > Cards > Limits\n\nNothing else.\n\n\
                    On Wed, 2 Dec 2026 at 09:00, Support <s@x.example> wrote:\n> Go to Settings > Security.\n> Regards";
        let split = split(body);
        assert!(split.new_text.contains("> Wallet > Cards > Limits"), "{:?}", split.new_text);
        assert!(split.new_text.contains("Nothing else."));
        assert!(!split.new_text.contains("Go to Settings"));
        // A line of our answer picked out above the full quote is quoted history.
        let picked = "> Go to Settings > Security.\n\nIt is not there.\n\n\
                      On Wed, 2 Dec 2026 at 09:00, Support <s@x.example> wrote:\n> Go to Settings > Security.";
        assert_eq!(new_text(picked), "It is not there.");
        let interleaved = "Hi,\n> Did the code arrive?\nNo, it did not.";
        assert_eq!(new_text(interleaved), "Hi,\nNo, it did not.", "no marker below: quoted as before");
    }

    #[test]
    fn answers_announced_inside_an_outlook_quote_and_a_postscript_below_it_are_kept() {
        let body = "Hi, please see my answers below in red.\nSean\n\nFrom: Support <s@x.example>\n\
                    Sent: Monday, 1 December 2026 10:00\nTo: Sean\nSubject: Re: limit\n\n\
                    1. Your address?\n14 Elm Grove, Cork\n2. Your trade?\nElectrician\n\nKind regards";
        let text = new_text(body);
        assert!(text.starts_with("Hi, please see my answers below in red."), "{text:?}");
        assert!(text.contains("14 Elm Grove, Cork") && text.contains("Electrician"), "{text:?}");
        assert!(!text.contains("Sent: Monday"), "the header block stays history");
        let unannounced = "Thanks.\n\nFrom: Support <s@x.example>\nSent: Monday\nTo: Me\nSubject: Re\n\nold";
        assert_eq!(new_text(unannounced), "Thanks.");
        let forward = "I forward your colleague's promise.\n\n===== Forwarded =====\nFrom: Support <s@x.example>\n\
                       Date: Mon, 17 Mar 2025\n\nWe refund 4.90 EUR.\n\nRegards\n\n\n\
                       P.S. It was taken twice again in March.\n\nSabine";
        let text = new_text(forward);
        assert!(text.ends_with("P.S. It was taken twice again in March.\n\nSabine"), "{text:?}");
        assert!(!text.contains("We refund 4.90 EUR."));
    }

    #[test]
    fn more_clients_quote_markers_end_the_new_text() {
        for marker in [
            "सोम, 7 अप्रैल 2026 को 2:22 pm बजे Support <s@x.example> ने लिखा:",
            "در تاریخ دوشنبه ۷ آوریل ۲۰۲۶ ساعت ۱۴:۲۲ Support <s@x.example> نوشت:",
            "Apr 7, 2026, 14:22 by s@x.example:",
            "6. März 2026, 08:14 von s@x.example:",
            "Support <s@x.example> writes:",
            "Support <s@x.example> [2026-03-05 14:22 +0100]:",
            ">>> Support <s@x.example> 05.03.2026 09:58 >>>",
            "Support ---07/04/2026 02:22:10 PM---Dear David,",
            "-------- 원본 이메일 --------",
            "---------- Původní e-mail ----------",
        ] {
            let body = format!("My answer.\n\n{marker}\nOur old text.\n");
            assert_eq!(new_text(&body), "My answer.", "{marker}");
        }
        let blackberry = "My answer.\n\n\u{a0} Original Message \u{a0}\nFrom: Support\nSent: Monday\nTo: Me\n\
                          Subject: Re: limit\n\nOur old text.";
        assert_eq!(new_text(blackberry), "My answer.");
        let table = "请退给我。\n\n---- 回复的原邮件 ----\n| 发件人 | Support<s@x.example> |\n| 日期 | 2026年04月07日 14:22 |\n\
                     王先生您好：\n仅有一笔成功交易。";
        assert_eq!(new_text(table), "请退给我。", "a table row is no Claws Mail quote mark");
    }

    #[test]
    fn a_pasted_record_is_no_quoted_header() {
        let body = "The top-up is missing. From my bank app:\n\nFrom: Acme Ltd, account 12-34\n\
                    Date: 27 Nov 2026\nAmount: 250.00 EUR\nReference: TOPUP-1\n\nPlease credit it.\n\n\
                    From: Support <s@x.example>\nSent: Wednesday, December 2, 2026 11:20 AM\nTo: Me\n\
                    Subject: RE: top-up\n\nWe have not received it.";
        let text = new_text(body);
        assert!(text.contains("Reference: TOPUP-1") && text.contains("Please credit it."), "{text:?}");
        assert!(!text.contains("We have not received it."));
        let outlook = "New words\n\nFrom: Support\nSent: Monday\nTo: Me\nSubject: Re\n\nold";
        assert_eq!(new_text(outlook), "New words", "a header without an address but only header fields");
        let foxmail = "请退还这笔费用。\n \n发件人： OKPay客服\n发送时间： 2026-12-01 10:15\n收件人： 李娜\n\
                       主题： Re: 手续费\n李女士您好：\n感谢您联系我们。";
        assert_eq!(new_text(foxmail), "请退还这笔费用。", "a greeting under the header is no pasted field");
    }

    #[test]
    fn a_customers_own_undated_wrote_line_is_their_text() {
        let body = "That is not what I was told.\nOn Nov 24 your colleague wrote:\n\n\"It will be back in 21 days.\"\n\n\
                    It is day 24.\n\nOn Wed, Dec 2, 2026 at 10:15 AM Support <s@x.example> wrote:\n> Dear customer";
        let text = new_text(body);
        assert!(text.contains("It will be back in 21 days.") && text.contains("It is day 24."), "{text:?}");
        assert!(!text.contains("Dear customer"));
    }

    #[test]
    fn attributions_and_header_blocks_of_more_languages() {
        let rlm = '\u{200F}';
        let (rle, lre, pdf) = ('\u{202B}', '\u{202A}', '\u{202C}');
        let hebrew = format!(
            "{rle}בתאריך יום ב׳, 1 בדצמ׳ 2026 ב-10:00 מאת {lre}Support{pdf}{rlm} <{lre}s@x.example{pdf}{rlm}>:{pdf}"
        );
        let arabic = format!(
            "{rle}في الثلاثاء، 1 ديسمبر 2026 في 10:00 ص تمت كتابة ما يلي بواسطة {lre}Support{pdf}{rlm} <{lre}s@x.example{pdf}{rlm}>:{pdf}"
        );
        for attribution in [
            "Στις Τρί 1 Δεκ 2026 στις 10:00 π.μ., ο/η Support <s@x.example> έγραψε:",
            hebrew.as_str(),
            arabic.as_str(),
            "Vào Th 3, 1 thg 12, 2026 vào lúc 10:00 Support <s@x.example> đã viết:",
            "เมื่อ อ. 1 ธ.ค. 2569 เวลา 10:00 Support <s@x.example> เขียนว่า:",
            "Pada tanggal Sel, 1 Des 2026 pukul 10.00 Support <s@x.example> menulis:",
            "вт, 1 груд. 2026 р. о 10:00 Support <s@x.example> пише:",
            "Missatge de Support <s@x.example> del dia dt., 1 de des. 2026 a les 10:00:",
            "Quoting Support <s@x.example>:",
            "Zitat von Support <s@x.example>:",
            "Support <s@x.example> ezt írta (időpont: 2026. dec. 1., K,\n10:00):",
        ] {
            let body = format!("My withdrawal is missing.\n\n{attribution}\n> Dear customer");
            assert_eq!(new_text(&body), "My withdrawal is missing.", "{attribution}");
        }
        for header in [
            "Od: Support <s@x.example>\nOdesláno: úterý 1. prosince 2026 10:00\nKomu: Me\nPředmět: Re: Poplatek",
            "De la: Support <s@x.example>\nTrimis: marți, 1 decembrie 2026 10:00\nCătre: Me\nSubiect: Re: Retragere",
            "De: Support <s@x.example>\nEnviat el: dimarts, 1 de desembre de 2026 10:00\nPer a: Me\nAssumpte: Re: Compte",
            "Από: Support <s@x.example>\nΣτάλθηκε: Τρίτη, 1 Δεκεμβρίου 2026 10:00\nΠρος: Me\nΘέμα: Re: Επιστροφή",
            "Từ: Support <s@x.example>\nĐã gửi: Thứ Ba, ngày 1 tháng 12 năm 2026 10:00\nĐến: Me\nChủ đề: Re: Rút tiền",
            "Від: Support <s@x.example>\nНадіслано: вівторок, 1 грудня 2026 р. 10:00\nКому: Me\nТема: Re: Повернення",
            "Dari: Support <s@x.example>\nDikirim: Selasa, 01 Desember 2026 10.00\nKepada: Me\nPerihal: Re: Biaya",
        ] {
            let body = format!("My withdrawal is missing.\n\n{header}\n\nDear customer,\nour answer");
            assert_eq!(new_text(&body), "My withdrawal is missing.", "{header}");
        }
    }

    #[test]
    fn words_below_a_signature_block_and_old_clients_quote_marks_are_kept() {
        // mutt: the quote, the signature, then the answer typed below it.
        let mutt = "On Thu, Mar 05, 2026 at 09:14:55AM +0000, Support wrote:\n> We refunded the subscription.\n\n\
                    -- \nBen\nhttps://ben.example\n\nThat is the wrong payment, I asked for the duplicate charge of GBP 42.";
        assert!(new_text(mutt).contains("I asked for the duplicate charge"), "{:?}", new_text(mutt));
        // Thunderbird with the signature above the reply.
        let above = "\n-- \nSanne Visser\n+31 6 1234 5678\n\nBeste OKPay,\n\nIk heb de verificatie gedaan, maar mijn account is nog \
                     steeds geblokkeerd.\n\nOp 05-03-2026 om 11:20 schreef Support:\n> Dear Ms Visser";
        let text = new_text(above);
        assert!(text.contains("nog steeds geblokkeerd") && !text.contains("Dear Ms Visser"), "{text:?}");
        // A signature followed by nothing of the customer's stays a signature.
        assert_eq!(new_text("My refund?\n-- \nAnn\nAcme Ltd\n\nAcme Ltd, 1 High St"), "My refund?");
        assert_eq!(new_text("My refund?\n-- \n\n*Ann Lee | Director, Product Management*"), "My refund?");
        // Pine's `: ` and Claws Mail's `| ` under an attribution, with the answer below.
        for mark in [":", "|"] {
            let body = format!(
                "On Wed, 4 Mar 2026, Support wrote:\n\n{mark} Please upload your ID in the app.\n{mark}\n{mark} Regards\n\n\
                 I do not own a smartphone. Can I post a certified copy?"
            );
            let text = new_text(&body);
            assert!(
                text.contains("Can I post a certified copy?") && !text.contains("upload your ID"),
                "{text:?}"
            );
        }
    }

    #[test]
    fn a_forward_below_a_phones_footer_is_read_under_a_forward_subject() {
        let body = "\n\nSent from my Galaxy\n\n-------- Original message --------\nFrom: OKPay <no-reply@okpay.example>\n\
                    Date: 06/03/2026 07:02\nSubject: Your payout could not be completed\n\nYour payout could not be completed.\n\n\
                    Hello, I got the email above. What does the reason code mean?";
        let text = split_mail(body, true).new_text;
        assert!(text.contains("What does the reason code mean?"), "{text:?}");
    }

    #[test]
    fn angle_bracket_lines() {
        assert_eq!(new_text("Still nothing.\n> Please check spam\n> Thanks"), "Still nothing.");
    }

    #[test]
    fn on_date_wrote() {
        let body = "Refund still missing.\n\nOn Fri, 20 Nov 2026, Support <s@x> wrote:\nold";
        assert_eq!(new_text(body), "Refund still missing.");
    }

    #[test]
    fn on_wrote_wrapped_over_two_lines() {
        let body = "Thanks\nOn Fri, 20 Nov 2026 at 10:02, OKPay Support\n<s@x> wrote:\nold";
        assert_eq!(new_text(body), "Thanks");
    }

    #[test]
    fn outlook_original_message() {
        let body = "New words\n-----Original Message-----\nFrom: a\nSent: b\nold";
        assert_eq!(new_text(body), "New words");
    }

    #[test]
    fn outlook_from_sent_block() {
        let body =
            "Please hurry\n\nFrom: OKPay Support <support@x>\nSent: Friday\nTo: me\nSubject: x\n\nold text";
        let s = split(body);
        assert_eq!(s.new_text, "Please hurry");
        assert!(s.quoted.contains("old text"));
    }

    #[test]
    fn wrote_on_a_date_and_time() {
        let body = "Still no refund.\n\nSupport wrote on 01/12/2026 10:02:\nDear customer";
        assert_eq!(new_text(body), "Still no refund.");
        let own = "I wrote on Monday:\nplease refund me";
        assert_eq!(
            new_text(own),
            "I wrote on Monday:\nplease refund me",
            "no time of day: the customer's words"
        );
    }

    #[test]
    fn chinese_wrote_marker() {
        let body = "钱还是没退回来，请再帮我看看。\n\n在 2026年11月18日 星期三 16:45, OKPay客服 <support@example.test> 写道:\n> 您好";
        assert_eq!(new_text(body), "钱还是没退回来，请再帮我看看。");
    }

    #[test]
    fn traditional_wrote_marker() {
        let body = "還是沒收到\n於 2026年11月20日 客服 寫道：\n舊內容";
        assert_eq!(new_text(body), "還是沒收到");
    }

    #[test]
    fn qq_mail_original() {
        let body = "还是不行\n------------------ 原始邮件 ------------------\n发件人: x\n旧内容";
        assert_eq!(new_text(body), "还是不行");
    }

    #[test]
    fn netease_original() {
        assert_eq!(new_text("好的\n-----原始邮件-----\n旧"), "好的");
    }

    #[test]
    fn chinese_outlook_header_block() {
        let body = "请尽快处理\n发件人: OKPay客服\n发送时间: 2026年11月20日\n收件人: 我\n旧";
        assert_eq!(new_text(body), "请尽快处理");
    }

    #[test]
    fn reply_mail_separator() {
        assert_eq!(new_text("收到\n--- 回复邮件 ---\n旧"), "收到");
    }

    #[test]
    fn signature_delimiter() {
        let s = split("Hello\n-- \nJohn Smith\nACME");
        assert_eq!(s.new_text, "Hello");
        assert_eq!(s.quoted, "-- \nJohn Smith\nACME");
    }

    #[test]
    fn a_legal_notice_under_the_message_is_no_part_of_it() {
        let body = "My card payment was declined.\n\nBest,\nTom\n\nDISCLAIMER: This message may contain \
                    information about exchange rates and currencies which is not advice.";
        assert_eq!(new_text(body), "My card payment was declined.\n\nBest,\nTom");
        let body = "I forgot my password.\n\n--\nJohn Smith\nGlobal Currency Exchange Ltd\nThis e-mail and any \
                    attachments are confidential and intended solely for the addressee; we accept no liability \
                    for fees or charges.";
        assert_eq!(new_text(body), "I forgot my password.", "a `--` signature above a long notice");
        assert_eq!(
            new_text("提现没到账\n\n某某公司\n本邮件含保密信息，如误收请删除。"),
            "提现没到账\n\n某某公司"
        );
    }

    #[test]
    fn a_message_that_begins_like_a_legal_notice_is_the_customers() {
        let body = "This email is confidential: someone used my card.\nPlease call me.";
        assert_eq!(new_text(body), body);
    }

    #[test]
    fn mobile_footers() {
        assert_eq!(new_text("Help\n\nSent from my iPhone"), "Help");
        assert_eq!(new_text("帮帮我\n\n发自我的iPhone"), "帮帮我");
        assert_eq!(new_text("帮帮我\n\n从我的 iPhone 发送"), "帮帮我", "iOS Mail in Simplified Chinese");
        let netease = "还是没到账\n\n发自网易邮箱大师\n---- 回复的原邮件 ----\n| 发件人 | 客服 |\n旧内容";
        assert_eq!(new_text(netease), "还是没到账", "NetEase Mail Master's footer and separator");
    }

    #[test]
    fn mobile_footers_of_other_languages_and_outlook_mobile() {
        for footer in [
            "Inviato da iPhone",
            "Inviato dal mio Galaxy Note",
            "Envoyé de mon iPad",
            "Von meinem Mobilgerät gesendet",
            "Enviado desde mi teléfono Huawei",
            "Verstuurd vanaf mijn iPhone",
            "Skickat från min iPhone",
            "Sendt fra min iPhone",
            "Lähetetty iPhonesta",
            "Wysłane z iPhone'a",
            "Отправлено с iPhone",
            "iPhoneから送信",
            "나의 iPhone에서 보냄",
            "寄自我的 iPhone",
            "Sent via the Samsung Galaxy",
            "Hanki Outlook for Android<https://aka.ms/example>",
            "获取 Outlook for iOS",
        ] {
            let body = format!("卡被冻结了，请帮忙。\n\n{footer}");
            assert_eq!(new_text(&body), "卡被冻结了，请帮忙。", "{footer}");
            let body = format!("Still blocked.\n\n{footer}\n\n> Please send a photo of the card.");
            assert_eq!(new_text(&body), "Still blocked.", "{footer} above a quote");
        }
        // Sentences that start the same way, or a footer with more of the customer's words
        // after it, stay the customer's.
        for own in [
            "Nothing arrived.\n\nInviato da mio fratello, ma non è arrivato niente.",
            "Nothing arrived.\n\nEnviado desde mi cuenta de ahorro el lunes y no llegó",
            "Nothing arrived.\n\nLähetetty iPhonesta\nand again from the laptop: still nothing.",
        ] {
            assert_eq!(new_text(own), own);
        }
    }

    #[test]
    fn regression_iphone_zh_footer_with_a_space() {
        let s = split("帮帮我\n\n发自我的 iPhone");
        assert_eq!(s.new_text, "帮帮我");
        assert_eq!(s.quoted, "发自我的 iPhone");
    }

    #[test]
    fn a_customers_own_wrote_line_is_not_an_attribution() {
        let body = "On Monday I wrote:\nmy refund is missing.\nYour colleague wrote:\nit takes a week.";
        assert_eq!(new_text(body), body);
    }

    #[test]
    fn reply_below_and_between_quotes() {
        let body = "On Fri, 20 Nov 2026, S <s@x> wrote:\n> Which card?\n\nThe blue one.\n> Amount?\n30 EUR";
        let s = split(body);
        assert_eq!(s.new_text, "The blue one.\n30 EUR");
        assert_eq!(s.quoted, "On Fri, 20 Nov 2026, S <s@x> wrote:\n> Which card?\n> Amount?");
    }

    #[test]
    fn european_and_chinese_header_blocks() {
        for block in [
            "Von: S\nGesendet: Freitag\nBetreff: x",
            "De : S\nEnvoyé : vendredi\nObjet : x",
            "Da: S\nInviato: venerdì\nOggetto: x",
            "寄件者: S\n寄件日期: 2026年11月20日\n主旨: x",
            "发件人: S\n发送时间: 2026年11月20日\n主题: x",
            "От: S\nОтправлено: 20 ноября\nКому: x",
            "Date: Fri, 20 Nov 2026\nSubject: x\nFrom: S",
        ] {
            assert_eq!(new_text(&format!("New words\n\n{block}\n\nold")), "New words", "{block}");
        }
    }

    #[test]
    fn separators_of_other_languages_and_clients() {
        for separator in [
            "-----Ursprüngliche Nachricht-----",
            "-----Mensaje original-----",
            "-----Message d'origine-----",
            "------------------ Original ------------------",
            "------------------ 原始邮件 ------------------",
            // Outlook in Chinese, and QQ Mail's line where an HTML-to-text step left its
            // non-breaking spaces written out.
            "-----邮件原件-----",
            "-----郵件原件-----",
            "------------------&nbsp;原始郵件&nbsp;------------------",
            "------------------\u{a0}原始邮件\u{a0}------------------",
            // Thunderbird in other languages.
            "-------- Message original --------",
            "-------- Ursprungligt meddelande --------",
            "-------- Původní zpráva --------",
            "-------- Özgün İleti --------",
            "-------- 원본 메시지 --------",
            "-------- 原始消息 --------",
        ] {
            assert_eq!(new_text(&format!("New words\n{separator}\nold")), "New words", "{separator}");
        }
    }

    #[test]
    fn gmx_and_web_de_separator() {
        // GMX and web.de: five dashes before, four after.
        let body = "Wie geht es weiter?\n\n----- Original Nachricht ----\nVon: a@x\nAn: b@y\nDatum: 30.05.2017\nBetreff: Rechnung\n\nalt";
        assert_eq!(new_text(body), "Wie geht es weiter?");
        assert_eq!(new_text("Danke\n----- Original Nachricht -----\nalt"), "Danke");
    }

    #[test]
    fn bare_forward_is_the_message() {
        let body = "---------- Forwarded message ---------\nFrom: Shop <o@shop.example>\nDate: Fri\n\
                    Subject: Order\nTo: <a@x>\n\nPayment failed but I was charged.";
        let s = split(body);
        assert_eq!(s.new_text, "Payment failed but I was charged.");
        assert!(s.quoted.starts_with("---------- Forwarded message"));
        // An Outlook forward has no forward separator: the subject says it is one.
        let outlook = "From: Shop <o@shop.example>\nSent: Friday\nSubject: Order\n\nPayment failed.";
        assert_eq!(split(outlook).new_text, "");
        assert_eq!(split_mail(outlook, true).new_text, "Payment failed.");
    }

    #[test]
    fn footers_only_where_they_end_the_text() {
        assert_eq!(new_text("Hi\n\nSent from my Verizon Wireless BlackBerry"), "Hi");
        let sentence = "Hi\n\nSent from my desk, is much easier than my phone.";
        assert_eq!(new_text(sentence), sentence);
        let long = "Hi\n\nSent from my phone because my laptop broke down";
        assert_eq!(new_text(long), long);
        let middle = "Sent from my account ending 4417\nbut nothing arrived.";
        assert_eq!(new_text(middle), middle);
        assert_eq!(new_text("Thanks -- Ann\n--\nAnn Lee\nACME"), "Thanks -- Ann");
        let dashes =
            "Step one\n--\nStep two is where it fails, with a long explanation that goes on and on\nand on.";
        assert_eq!(new_text(dashes), dashes);
    }

    #[test]
    fn french_and_danish_header_blocks() {
        let french = "====\n\nMessage du : 02/12/2026 10:00\nDe : \"Support\" <support@example.test>\n\
                      A : client@example.fr\nSujet : Votre remboursement\n\nBonjour";
        assert_eq!(new_text(&format!("Toujours rien.\n\n{french}")), "Toujours rien.\n\n====");
        let danish = "-------- Oprindelig besked --------\nFra: Support <support@example.test>\n\
                      Dato: 02.12.2026 10.00\nTil: kunde@example.dk\nEmne: Refusion";
        assert_eq!(new_text(&format!("Stadig intet.\n\n{danish}")), "Stadig intet.");
    }

    #[test]
    fn a_gateways_external_mail_warning_above_the_text_is_no_part_of_it() {
        let reply = "Hello, my card payment to your shop failed twice.";
        for banner in [
            "CAUTION: This email originated from outside of the organisation. Do not click links or open \
             attachments unless you recognise the sender and know the content is safe.",
            "[EXTERNAL] This message came from outside your organization.",
            "WARNING: This email originated outside of ACME.\nDo not click links or open attachments unless you \
             are sure the content is safe.",
            "【外部邮件】请谨慎对待邮件中的链接和附件。",
        ] {
            let s = split(&format!("{banner}\n\n{reply}"));
            assert_eq!(s.new_text, reply, "{banner}");
            assert!(s.quoted.contains(banner.lines().next().unwrap()), "{banner}");
        }
        // The customer's own words, and a warning quoted further down, are left where they are.
        let own = "Caution: this email is about a payment I never made.\nPlease block my card.";
        assert_eq!(new_text(own), own);
        let below = "Please block my card.\nWarning: this email came from my old address, not the new one.";
        assert_eq!(new_text(below), below);
    }

    #[test]
    fn a_dashed_line_above_a_header_block_and_a_list_footer_are_no_part_of_the_text() {
        let body = "The refund is still missing.\n\n ------------------------------\n\n*From:* OKPay Support \
                    [mailto:support@example.test]\n*Sent:* Wednesday, 2 December 2026 10:00\n*Subject:* Refund\n\n\
                    Dear customer";
        assert_eq!(new_text(body), "The refund is still missing.");
        let list = "Where is my refund?\n\n_______________________________________________\nshop-users mailing list\n\
                    shop-users@lists.example.test\n\
                    https://lists.example.test/mailman/listinfo/shop-users_lists.example.test";
        assert_eq!(new_text(list), "Where is my refund?");
        // A customer's dividers stay theirs.
        let own = "Step one\n------------------------------\nStep two fails\n__________\nStep three, the list, \
                   fails too.";
        assert_eq!(new_text(own), own);
    }

    #[test]
    fn text_without_markers_is_all_new() {
        assert_eq!(new_text("From now on I want a refund."), "From now on I want a refund.");
    }
}
