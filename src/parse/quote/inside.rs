//! Parse stage, quotes: customer text inside or below a quote that nothing marks as theirs.
//! Outlook's header-block quotes have no end, so the walk files everything after one as
//! history; two kinds of customer text still stand there, found here without our own answer
//! to compare with (`pipeline::ours` does better when the outbox holds it):
//!
//! - answers typed between the quoted lines, announced above the quote ("see my answers below
//!   in red", "les contesto abajo en azul", 见下面红色字体的回答): the whole quote is kept as
//!   new text, since its lines cannot be told apart in plain text and losing the answers is
//!   worse than reading our questions again;
//! - a postscript after the quoted or forwarded mail ("P.S. ...", "Nachtrag: ...", 补充：…)
//!   that ends the mail: it and what follows it are new text.

use super::{is_blank, is_header_field, is_quoted_line, marker_at};

/// Phrases, lower-cased, by which a customer says their answers are inside the quote below.
const ANSWERS_INSIDE: &[&str] = &[
    "answers below",
    "answered below",
    "answers are below",
    "answer below in",
    "answers inline",
    "answered inline",
    "replies below",
    "replied below",
    "comments below",
    "responses below",
    "my answers",
    "my replies",
    "my responses",
    "in red below",
    "below in red",
    "below in blue",
    "in blue below",
    "answers in red",
    "answers in blue",
    "answers in bold",
    "between the lines",
    "between your questions",
    "abajo en azul",
    "abajo en rojo",
    "respuestas abajo",
    "contesto abajo",
    "respondo abajo",
    "dentro de su correo",
    "entre líneas",
    "antworten unten",
    "unten in rot",
    "unten in blau",
    "meine antworten",
    "zwischen den zeilen",
    "réponses ci-dessous",
    "réponds ci-dessous",
    "mes réponses",
    "respostas abaixo",
    "respondo abaixo",
    "risposte sotto",
    "risposte qui sotto",
    "antwoorden hieronder",
    "红色字体",
    "紅色字體",
    "蓝色字体",
    "藍色字體",
    "红字",
    "紅字",
    "回答在下面",
    "答复在下面",
    "答覆在下面",
    "回复在下面",
    "回覆在下面",
    "见下面的回答",
    "見下面的回答",
    "见下方回答",
    "見下方回答",
    "逐条回复",
    "逐條回覆",
    "在下面回答",
    "赤字で",
    "青字で",
    "以下に回答",
    "아래에 답변",
];

/// Whether the customer's words above the quote announce answers typed inside it.
pub fn announces_answers_inside(above: &str) -> bool {
    let lower = above.to_lowercase();
    ANSWERS_INSIDE.iter().any(|cue| lower.contains(cue))
}

/// The quoted mail that starts at line `from` (the line after its marker), without the
/// header fields at its top: where answers typed inside it stand.
pub fn quoted_body(lines: &[&str], from: usize) -> String {
    let body = (from..lines.len())
        .find(|&j| !is_blank(lines[j]) && !is_header_field(lines[j].trim()))
        .unwrap_or(lines.len());
    lines[body..].join("\n")
}

/// What opens a postscript, lower-cased, with the mark that follows its word.
const POSTSCRIPT: &[&str] = &[
    "p.s.",
    "p.s:",
    "p.s ",
    "ps:",
    "ps.",
    "ps ",
    "pps:",
    "p.p.s",
    "nachtrag:",
    "addendum:",
    "postscript:",
    "p.d.",
    "pd:",
    "补充：",
    "补充:",
    "補充：",
    "補充:",
    "附言",
    "追伸",
];

/// The postscript that ends the mail below the quote starting at line `from`: a paragraph
/// opening with P.S. (or its words in other languages), unquoted, with no quote marker after
/// it, and what follows it to the end.
pub fn postscript_below(lines: &[&str], from: usize) -> Option<String> {
    let start = (from..lines.len()).rev().find(|&j| {
        let line = lines[j].trim_start();
        let lower = line.to_lowercase();
        (j == 0 || is_blank(lines[j - 1]))
            && !is_quoted_line(line)
            && POSTSCRIPT.iter().any(|p| lower.starts_with(p))
    })?;
    let marked_after =
        (start + 1..lines.len()).any(|j| marker_at(lines, j).is_some() || is_quoted_line(lines[j]));
    (!marked_after).then(|| lines[start..].join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_announced_above_the_quote_in_many_languages() {
        for above in [
            "Hi, please see my answers below in red. Thanks",
            "Hola, les contesto abajo en azul dentro de su correo.",
            "您好，具体见下面红色字体的回答。",
            "Guten Tag, meine Antworten stehen unten in Rot.",
        ] {
            assert!(announces_answers_inside(above), "{above}");
        }
        assert!(!announces_answers_inside("Thanks, the refund arrived. See you."));
    }

    #[test]
    fn a_postscript_that_ends_the_mail_is_found_below_the_history() {
        let lines = [
            "Von: OKPay Support",
            "",
            "Wir erstatten Ihnen 4,90 EUR.",
            "",
            "Nachtrag: Im März wurde die Gebühr schon wieder abgebucht.",
            "",
            "Sabine",
        ];
        let ps = postscript_below(&lines, 1).unwrap();
        assert!(ps.starts_with("Nachtrag: Im März") && ps.ends_with("Sabine"), "{ps}");
        let quoted_again = ["Von: OKPay Support", "", "P.S. our hours change.", "", "> older mail"];
        assert_eq!(postscript_below(&quoted_again, 1), None, "a quote after it makes it history");
        let inside = ["From: OKPay Support", "", "Text", "ps: inside a line"];
        assert_eq!(postscript_below(&inside, 1), None, "a postscript opens a paragraph");
    }
}
