//! Classify stage, context of a keyword: whether it stands inside a longer phrase that the
//! rule excludes, right after a negation cue, or near the other words of a proximity
//! matcher. Distances count words: a run of Latin letters or digits is one, and so is each
//! Chinese character. A sentence end separates (a proximity matcher may ask to span the next
//! sentence too); a comma ends a negation's reach but not proximity ("充值话费，还没到账").

/// One keyword occurrence: byte span in the scanned text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn inside(self, outer: Span) -> bool {
        outer.start <= self.start && self.end <= outer.end
    }
}

/// Words at most this far after a negation cue are negated: "不用停用" (0), "no need to
/// cancel it" (0), "不需要帮我停用" (2).
pub const NEGATION_REACH: usize = 2;

/// The number of words in `between`, or `None` when a clause (a comma too) ends in it.
pub fn gap(between: &str) -> Option<usize> {
    gap_within(between, true)
}

/// The number of words in `between`, or `None` when a sentence ends in it (or a clause, with
/// `clause`).
fn gap_within(between: &str, clause: bool) -> Option<usize> {
    gap_in(between, 0, between.len(), clause, 0)
}

/// The number of words in `text[from..to]`, or `None` when a sentence (or a clause, with
/// `clause`) ends in it, beyond the `ends` sentence ends it may hold. A line break ends a
/// sentence unless it only wraps a line of Latin text ("... this morning,\nbut I did not"):
/// mail clients break English paragraphs at 72 columns, while a Chinese line ends where the
/// writer pressed Enter. The point or comma inside a number ("47.50", "1,000") ends nothing:
/// the number is one word.
fn gap_in(text: &str, from: usize, to: usize, clause: bool, mut ends: usize) -> Option<usize> {
    let mut words = 0;
    let mut ended = false;
    let mut in_word = false;
    for (i, c) in text[from..to].char_indices() {
        // Most of what stands between is Latin letters and digits: told first.
        if c.is_ascii_alphanumeric() {
            words += usize::from(!in_word);
            in_word = true;
            ended = false;
            continue;
        }
        if matches!(c, '.' | ',') && inside_number(text, from + i) {
            continue;
        }
        if clause && matches!(c, '，' | ',' | '、') {
            return None;
        }
        if ends_a_sentence(text, from + i, c) {
            // "?!" or ".\n" ends one sentence.
            if !ended {
                ends = ends.checked_sub(1)?;
            }
            ended = true;
            continue;
        }
        if !c.is_whitespace() {
            ended = false;
        }
        if c.is_alphanumeric() && (c as u32) < 0x2E80 {
            if !in_word {
                words += 1;
            }
            in_word = true;
        } else {
            in_word = false;
            if (c as u32) >= 0x2E80 && c.is_alphanumeric() {
                words += 1;
            }
        }
    }
    Some(words)
}

/// Whether `c`, at byte `at` of `text`, ends a sentence: a full stop, mark or semicolon, or a
/// line break that does not only wrap Latin text (a point inside a number is told apart by
/// the caller).
fn ends_a_sentence(text: &str, at: usize, c: char) -> bool {
    matches!(c, '.' | '!' | '?' | ';' | '。' | '！' | '？' | '；') || (c == '\n' && !wraps(text, at))
}

/// Context told before a question needs at least this many words: "你好！我想问一下…" has a
/// greeting before it, not context.
const CONTEXT_WORDS: usize = 8;

/// Whether the cue at `cue` starts a sentence after context of [`CONTEXT_WORDS`] or more:
/// "上周提现的钱已经顺利到卡上了。我想问一下花呗的额度…", also with one of `joins` between the
/// sentence's end and the cue ("…到卡上了。另外，我想问一下…", "… Also, what I need to know is").
pub fn after_context(text: &str, cue: Span, joins: &[String]) -> bool {
    let before = without_join(text[..cue.start].trim_end(), joins);
    before.ends_with(['.', '!', '?', ';', '。', '！', '？', '；'])
        && gap_in(before, 0, before.len(), false, usize::MAX).is_some_and(|words| words >= CONTEXT_WORDS)
}

/// `before` without the join word that ends it, and the comma after that word: "…了。另外，"
/// is "…了。". An English join is a word of its own ("…fine. Also,", not "…fine. Canal").
fn without_join<'t>(before: &'t str, joins: &[String]) -> &'t str {
    let trimmed = before.trim_end_matches([',', '，', '、']).trim_end();
    for join in joins {
        let Some(start) = trimmed.len().checked_sub(join.len()) else { continue };
        let Some(word) = trimmed.get(start..) else { continue };
        let rest = &trimmed[..start];
        let alone = !join.is_ascii() || !rest.ends_with(|c: char| c.is_alphanumeric());
        if word.eq_ignore_ascii_case(join) && alone {
            return rest.trim_end();
        }
    }
    before
}

/// Whether the ASCII character at byte `at` of `text` stands between two digits ("47.50").
fn inside_number(text: &str, at: usize) -> bool {
    let digit_before = text[..at].bytes().next_back().is_some_and(|b| b.is_ascii_digit());
    let digit_after = text.as_bytes().get(at + 1).is_some_and(|b| b.is_ascii_digit());
    digit_before && digit_after
}

/// Whether the line break at byte `at` of `text` wraps a line of Latin text: a letter, digit
/// or comma before it and a letter or digit after it, on the same paragraph (no blank line).
fn wraps(text: &str, at: usize) -> bool {
    let before = text[..at].trim_end_matches([' ', '\t', '\r']).chars().next_back();
    let after = text[at + 1..].trim_start_matches([' ', '\t']).chars().next();
    before.is_some_and(|c| c.is_ascii_alphanumeric() || c == ',')
        && after.is_some_and(|c| c.is_ascii_alphanumeric())
}

/// At most this many keyword matches of one field value are weighed in context (the rest
/// are ignored): a hostile mail cannot make the scan grow without bound.
pub const MAX_MATCHES: usize = 20_000;

/// A cue further back than this many bytes is out of reach whatever the words between.
const NEGATION_BYTES: usize = 64;

/// Words of a proximity matcher are looked for at most this many bytes per word of
/// `within` apart (and a word's own length).
const BYTES_PER_WORD: usize = 32;

/// Whether `keyword` is negated by one of the cues found in `text` (spans of cue matches,
/// sorted by their end).
pub fn negated(text: &str, keyword: Span, cues: &[Span]) -> bool {
    cue_before(text, keyword, cues, |between| gap(between).is_some_and(|n| n <= NEGATION_REACH))
}

/// Whether one of `cues` (sorted by end) ends before `keyword` with what stands between them
/// within `reach`.
fn cue_before(text: &str, keyword: Span, cues: &[Span], reach: impl Fn(&str) -> bool) -> bool {
    let before = cues.partition_point(|c| c.end <= keyword.start);
    cues[..before]
        .iter()
        .rev()
        .take_while(|c| c.end + NEGATION_BYTES >= keyword.start)
        .any(|cue| reach(&text[cue.end..keyword.start]))
}

/// The denial cues of one field value: where the customer says what the mail is not about,
/// before the words ("I'm not asking for a refund", 我不是要退款) or after them ("the exchange
/// rate is fine", 退款不用了). A word denied this way does not count for any rule.
#[derive(Debug, Default)]
pub struct Denials {
    /// Cues written before the words they deny, by end.
    pub before: Vec<Span>,
    /// Cues written after them, by start.
    pub after: Vec<Span>,
    /// Cues that deny every word of their clause, by start.
    pub clause: Vec<Span>,
    /// Cues that deny every word before them in their sentence, by start.
    pub elsewhere: Vec<Span>,
    /// Cues that deny the words before them in their clause and the clause before, by start.
    pub aside: Vec<Span>,
    /// Cues that open a clause and deny the rest of it, by end.
    pub opening: Vec<Span>,
    /// Cues of thanks or praise for something done, by start; after [`Denials::settle_thanks`]
    /// only those whose sentence is a settled matter.
    pub thanks: Vec<Span>,
}

impl Denials {
    pub fn clear(&mut self) {
        self.before.clear();
        self.after.clear();
        self.clause.clear();
        self.elsewhere.clear();
        self.aside.clear();
        self.opening.clear();
        self.thanks.clear();
    }

    /// Sorts the cues as [`Denials::deny`] reads them.
    pub fn sort(&mut self) {
        self.before.sort_by_key(|s| s.end);
        self.after.sort_by_key(|s| s.start);
        self.clause.sort_by_key(|s| s.start);
        self.elsewhere.sort_by_key(|s| s.start);
        self.aside.sort_by_key(|s| s.start);
        self.opening.sort_by_key(|s| s.end);
        self.thanks.sort_by_key(|s| s.start);
    }

    /// The byte where the sentences after the last settled thanks start (after
    /// [`Denials::settle_thanks`]), if one was kept.
    pub fn asked_after_thanks(&self, text: &str) -> Option<usize> {
        let last = self.thanks.iter().max_by_key(|cue| cue.end)?;
        let (_, end) = sentence_around(text, *last);
        let rest = &text[end..];
        Some(end + (rest.len() - rest.trim_start_matches(BETWEEN_SENTENCES).len()))
    }

    /// Keeps the cues of thanks whose sentence tells a settled matter: it does not ask, none
    /// of the words `unless` stands in it beside the cue ("the refund still hasn't come,
    /// thanks", "麻烦帮我查一下退款，谢谢"), and a later sentence asks something ("The withdrawal
    /// landed this afternoon, cheers for that. How do I get statements by mail?"). A mail
    /// that only thanks is left to the thanks rule.
    pub fn settle_thanks(&mut self, text: &str, unless: &[String]) {
        self.thanks.retain(|&cue| {
            // Cheapest first: most thanks end the mail ("請問…謝謝").
            let (start, end) = sentence_around(text, cue);
            let rest = &text[end..];
            rest.chars().any(char::is_alphanumeric)
                && !rest.starts_with(['?', '？'])
                && a_later_sentence_asks(rest)
                && !holds_any(&text[start..cue.start], unless)
                && !holds_any(&text[cue.end..end], unless)
        });
    }

    /// Whether `keyword` is denied: a cue before it or after it, at most
    /// [`NEGATION_REACH`] words away in the same clause ([`DENIAL_REACH_CHINESE`] characters
    /// of Chinese). Most values have no cue at all.
    #[inline]
    pub fn deny(&self, text: &str, keyword: Span) -> bool {
        (!self.before.is_empty() && cue_before(text, keyword, &self.before, within_denial_reach))
            || (!self.after.is_empty() && denied_after(text, keyword, &self.after))
            || (!self.clause.is_empty() && in_a_denied_clause(text, keyword, &self.clause))
            || (!self.elsewhere.is_empty() && handed_elsewhere(text, keyword, &self.elsewhere))
            || (!self.aside.is_empty() && waved_aside(text, keyword, &self.aside))
            || (!self.opening.is_empty() && opened_against(text, keyword, &self.opening))
            || (!self.thanks.is_empty() && thanked_for(text, keyword, &self.thanks))
            || inside_a_cue(text, keyword, &self.after)
            || inside_a_cue(text, keyword, &self.elsewhere)
    }
}

/// Whether `keyword` stands in the sentence of one of `cues` (settled thanks), before the cue
/// or after it in its clause: "the double charge got reversed, much appreciated" and "谢谢你们
///帮我把重复扣款撤回来了" set the charge aside; the cue's own words stay.
fn thanked_for(text: &str, keyword: Span, cues: &[Span]) -> bool {
    cues.iter().any(|cue| {
        if keyword.end <= cue.start {
            cue.start - keyword.end <= SENTENCE_DENIAL_BYTES
                && gap_within(&text[keyword.end..cue.start], false).is_some()
        } else if cue.end <= keyword.start {
            keyword.start - cue.end <= CLAUSE_DENIAL_BYTES && gap(&text[cue.end..keyword.start]).is_some()
        } else {
            false
        }
    })
}

/// The bytes of the sentence holding `at`: from after the end mark before it to the end mark
/// after it (or the text's ends). A point inside a number ends nothing.
fn sentence_around(text: &str, at: Span) -> (usize, usize) {
    let ends = |i: usize, c: char| ends_a_sentence(text, i, c) && !(c == '.' && inside_number(text, i));
    let start =
        text[..at.start].char_indices().rev().find(|&(i, c)| ends(i, c)).map_or(0, |(i, c)| i + c.len_utf8());
    let end = text[at.end..]
        .char_indices()
        .find(|&(i, c)| ends(at.end + i, c))
        .map_or(text.len(), |(i, _)| at.end + i);
    (start, end)
}

/// Whether `part` holds one of `words` (lower-case; an English word as a word of its own:
/// "but" is not in "button").
fn holds_any(part: &str, words: &[String]) -> bool {
    if part.is_empty() {
        return false;
    }
    let part = part.to_lowercase();
    let alone = |at: usize, len: usize| {
        let word_char = |c: char| c.is_ascii_alphanumeric() || c == '\'';
        !part[..at].chars().next_back().is_some_and(word_char)
            && !part[at + len..].chars().next().is_some_and(word_char)
    };
    words.iter().any(|word| {
        part.match_indices(word.as_str()).any(|(at, _)| !word.is_ascii() || alone(at, word.len()))
    })
}

/// What stands between a sentence of thanks and the next: its end mark and spaces.
const BETWEEN_SENTENCES: [char; 8] = ['.', '!', ';', '。', '！', '；', '\n', ' '];

/// What asks a question in a sentence without a question mark: particles and the words that
/// open a question or an enquiry, in both scripts.
const ASKS: [&str; 44] = [
    "吗",
    "嗎",
    "呢",
    "怎么",
    "怎麼",
    "如何",
    "请问",
    "請問",
    "想问",
    "想問",
    "问下",
    "問下",
    "问一下",
    "問一下",
    "点样",
    "點樣",
    "有冇",
    "有没有",
    "有沒有",
    "能不能",
    "可不可以",
    "可唔可以",
    "是否",
    "想了解",
    "想咨询",
    "想諮詢",
    "几时",
    "幾時",
    "how ",
    "what ",
    "where ",
    "when ",
    "why ",
    "which ",
    "can i ",
    "can you ",
    "could you ",
    "is there ",
    "are there ",
    "do you ",
    "does ",
    "is it possible",
    "wondering",
    "want to know",
];

/// Whether `rest` (the text after a sentence) holds a sentence that asks: a question mark, or a
/// word of [`ASKS`].
fn a_later_sentence_asks(rest: &str) -> bool {
    let rest = rest.trim_start_matches(BETWEEN_SENTENCES);
    if rest.contains(['?', '？']) {
        return true;
    }
    let lower = rest.to_lowercase();
    ASKS.iter().any(|word| lower.contains(word))
}

/// Whether `keyword` stands inside one of `cues` (sorted by start) and ends before it: settled
/// news says its own topic is settled ("帳戶後來解鎖了" sets the unlock aside, as "退款终于退回
/// 咗" does the refund). A phrase that ends where the cue ends says the news itself (解决了 in
/// 已经解决了, the thanks rule's word) and stays, as does one that holds the whole cue, and so
/// does one that starts before the cue ("my new PIN has not arrived" is no news that arrived).
/// A cue that a negation turns round ("it hasn't worked!", 还没解锁了) is no news.
fn inside_a_cue(text: &str, keyword: Span, cues: &[Span]) -> bool {
    let from = cues.partition_point(|c| c.start <= keyword.start);
    cues[..from]
        .iter()
        .rev()
        .take(4)
        .any(|cue| keyword.inside(*cue) && keyword.end < cue.end && !negated_cue(text, *cue))
}

/// Whether one of `cues` stands in `keyword`'s clause, before or after it, and apart from it
/// ("last month you sorted out a refund for me quickly": the refund is context). A word
/// inside the cue is the cue's own, not denied.
fn in_a_denied_clause(text: &str, keyword: Span, cues: &[Span]) -> bool {
    cues.iter().any(|cue| {
        let between = if cue.end <= keyword.start {
            &text[cue.end..keyword.start]
        } else if keyword.end <= cue.start {
            &text[keyword.end..cue.start]
        } else {
            return false;
        };
        between.len() <= CLAUSE_DENIAL_BYTES && gap(between).is_some()
    })
}

/// Whether one of `cues` follows `keyword` in its sentence: "the home said it would refund the
/// overcharge, we'll follow that up ourselves" or "her school asked about its refund rules, I
/// told her that is not your business" hand the refund elsewhere; the question after the cue
/// ("could you change her address?") still counts.
fn handed_elsewhere(text: &str, keyword: Span, cues: &[Span]) -> bool {
    let from = cues.partition_point(|c| c.start < keyword.end);
    cues[from..].iter().take_while(|c| c.start <= keyword.end + SENTENCE_DENIAL_BYTES).any(|cue| {
        let between = &text[keyword.end..cue.start];
        gap_within(between, false).is_some()
    })
}

/// Whether one of `cues` follows `keyword` in its clause or the next: "海外刷卡被收了手續費，我
/// 知道那是正常的" waves the fee aside, where in "繳費一直被拒絕，我知道會收手續費，這個沒關係" the
/// refusal two clauses back still counts.
fn waved_aside(text: &str, keyword: Span, cues: &[Span]) -> bool {
    let from = cues.partition_point(|c| c.start < keyword.end);
    cues[from..].iter().take_while(|c| c.start <= keyword.end + CLAUSE_DENIAL_BYTES).any(|cue| {
        let between = &text[keyword.end..cue.start];
        gap_within(between, false).is_some() && clause_ends(between) <= 1
    })
}

/// The number of commas that end a clause in `between` (not those inside a number, "1,000").
fn clause_ends(between: &str) -> usize {
    between
        .char_indices()
        .filter(|&(i, c)| matches!(c, '，' | '、') || (c == ',' && !inside_number(between, i)))
        .count()
}

/// Whether one of `cues` (sorted by end) opens `keyword`'s clause before it: "不是密码的问题，
/// 是App一打开就闪退" sets the password aside and leaves the crash.
fn opened_against(text: &str, keyword: Span, cues: &[Span]) -> bool {
    let before = cues.partition_point(|c| c.end <= keyword.start);
    cues[..before]
        .iter()
        .rev()
        .take_while(|c| keyword.start - c.end <= CLAUSE_DENIAL_BYTES)
        .any(|cue| gap(&text[cue.end..keyword.start]).is_some())
}

/// Whether the cue at `cue` opens a clause (the text's start, or a punctuation mark or a line
/// break before it) as a denial: not "不是我…" (someone else did it: 不是我本人操作的), "不是很
/// 清楚…" or Cantonese 唔係好明 (a degree), "不是说…" or 唔係話 (hearsay), "不是…吗" (a question), nor a cue turned into a
/// question ("是不是").
pub fn opens_a_denial(text: &str, cue: Span) -> bool {
    let before = without_hedges(text[..cue.start].trim_end_matches([' ', '\t', '\u{3000}']));
    let opens = before.is_empty()
        || before.ends_with(['，', ',', '。', '.', '！', '!', '？', '?', '；', ';', '：', ':', '、', '\n'])
        || paused_between_chinese(&text[..cue.start], &text[cue.start..cue.end]);
    let after = text[cue.end..].trim_start();
    let no_denial = [
        "我", "很", "太", "说", "特别", "非常", "应该", "已经", "一定", "吗", "么", "嗎", "說", "應該",
        "已經", "好", "话", "話",
    ];
    opens
        && !no_denial.iter().any(|w| after.starts_with(w))
        && !counts_none(after)
        && !clause_is_a_question(text, cue)
        && !negates_again(after)
}

/// Whether a Chinese cue follows a space after Chinese words: a pause between clauses as
/// customers type them without punctuation (急着用钱 不是提现到卡 就是转到余额).
fn paused_between_chinese(before: &str, cue: &str) -> bool {
    let chinese = |c: char| ('\u{4e00}'..='\u{9fff}').contains(&c);
    let words = before.trim_end_matches([' ', '\u{3000}']);
    words.len() < before.len()
        && words.chars().next_back().is_some_and(chinese)
        && cue.chars().next().is_some_and(chinese)
}

/// Words that may stand between a clause's start and an opening denial without making it
/// less of one (所以应该不是重复扣费, 其实也不是密码的问题).
const HEDGES: [&str; 16] = [
    "应该", "應該", "所以", "也", "可能", "大概", "肯定", "绝对", "絕對", "其实", "其實", "但", "而且", "就",
    "真的", "应当",
];

/// `before` without the hedges that end it (at most three).
fn without_hedges(mut before: &str) -> &str {
    for _ in 0..3 {
        let Some(hedge) = HEDGES.iter().find(|h| before.ends_with(*h)) else { break };
        before = before[..before.len() - hedge.len()].trim_end_matches([' ', '\t', '\u{3000}']);
    }
    before
}

/// Whether the words after "not a" count nothing rather than rule a topic out: "not a single
/// payment went through", "not a word from you about my refund" complain about it.
fn counts_none(after: &str) -> bool {
    let word = after.split(|c: char| !c.is_alphanumeric()).next().unwrap_or("").to_ascii_lowercase();
    matches!(
        word.as_str(),
        "single"
            | "word"
            | "penny"
            | "cent"
            | "dime"
            | "peep"
            | "trace"
            | "sign"
            | "reply"
            | "response"
            | "thing"
            | "clue"
            | "one"
            | "bit"
            | "lot"
            | "day"
            | "week"
            | "month"
    )
}

/// Whether the clause after an opening denial negates again: "it is not that I didn't
/// receive the refund, I received it twice" and 不是没收到退款 say the refund came.
fn negates_again(after: &str) -> bool {
    let end =
        after.find([',', '，', '.', '。', '!', '！', '?', '？', ';', '；', '\n']).unwrap_or(after.len());
    let clause = after[..end].to_ascii_lowercase();
    let words = clause.split(|c: char| !c.is_alphanumeric() && c != '\'').collect::<Vec<_>>();
    words.iter().any(|w| matches!(*w, "not" | "never" | "no") || w.ends_with("n't"))
        || clause.contains(['没', '沒', '未'])
}

/// A sentence cue reaches at most this many bytes back: a sentence, not a letter.
const SENTENCE_DENIAL_BYTES: usize = 240;

/// A clause cue reaches at most this many bytes: a clause, not a letter.
const CLAUSE_DENIAL_BYTES: usize = 160;

/// Whether the sentence holding the cue at `cue` ends with a question mark: "have you sorted
/// out my refund?" asks about it, where "you sorted out my refund quickly." sets it aside.
pub fn in_a_question(text: &str, cue: Span) -> bool {
    let rest = &text[cue.end..];
    let end = rest.find(['.', '!', '?', '。', '！', '？', '\n']).map_or(rest.len(), |i| i);
    rest[end..].starts_with(['?', '？'])
}

/// Whether the clause holding the cue at `cue` ends with a question mark: "is that not your
/// business?" asks, where "that is not your business, how do I change her address?" hands
/// the matter before it elsewhere and asks something else.
pub fn clause_is_a_question(text: &str, cue: Span) -> bool {
    // A cue that ends its clause itself ("完了。", "，没问题。") says where it ends.
    if let Some(last) = text[cue.start..cue.end].chars().last().filter(|c| ".!?。！？,，".contains(*c)) {
        return matches!(last, '?' | '？');
    }
    let rest = &text[cue.end..];
    let end = rest.find(['.', '!', '?', '。', '！', '？', '\n', ',', '，']).map_or(rest.len(), |i| i);
    rest[end..].starts_with(['?', '？'])
}

/// Chinese characters at most this far from a denial cue are denied, when only Chinese
/// stands between: a Chinese word is one to three characters ("汇率什么的无所谓",
/// "我不是要申请退款").
pub const DENIAL_REACH_CHINESE: usize = 4;

/// Whether `between` (a cue and the word it would deny) is short enough: at most
/// [`NEGATION_REACH`] words, or [`DENIAL_REACH_CHINESE`] characters of Chinese alone, in one
/// clause.
fn within_denial_reach(between: &str) -> bool {
    let reach = if between.bytes().any(|b| b.is_ascii_alphanumeric()) {
        NEGATION_REACH
    } else {
        DENIAL_REACH_CHINESE
    };
    gap(between).is_some_and(|n| n <= reach)
}

/// Whether one of `cues` (sorted by start) follows `keyword` in its clause, within reach.
/// A word named as a matter of its own (转账失败的问题, 退款嘅事) is the subject of what
/// follows in its clause: the reach counts from the end of 的问题.
fn denied_after(text: &str, keyword: Span, cues: &[Span]) -> bool {
    let from = cues.partition_point(|c| c.start < keyword.end);
    cues[from..].iter().take_while(|c| c.start <= keyword.end + NEGATION_BYTES).any(|cue| {
        let between = &text[keyword.end..cue.start];
        reaches_after(between) && !turned_round(between)
    })
}

/// Whether a cue after a word, `between` them, is within reach: a word named as a matter
/// ([`MATTER`]) counts from the end of that, and an English word followed by a phrase of its
/// own ("the refund from the airline came through", "my withdrawal to BDO arrived after 2
/// days") [`PHRASE_WORDS`] words further.
fn reaches_after(between: &str) -> bool {
    if let Some(rest) = MATTER.iter().find_map(|matter| between.strip_prefix(matter)) {
        return within_denial_reach(rest);
    }
    let mut words = between.split(|c: char| !c.is_ascii_alphabetic()).filter(|w| !w.is_empty());
    let opens_phrase =
        words.next().is_some_and(|first| PREPOSITIONS.iter().any(|p| first.eq_ignore_ascii_case(p)));
    // A phrase ends at a conjunction: "declined at checkout but my card is fine" says the
    // card is fine, not the payment.
    if opens_phrase && !words.any(|w| CONJUNCTIONS.iter().any(|c| w.eq_ignore_ascii_case(c))) {
        return gap(between).is_some_and(|n| n <= NEGATION_REACH + PHRASE_WORDS);
    }
    within_denial_reach(between)
}

/// The words that join a clause to the one before, which no phrase of a noun's own crosses.
const CONJUNCTIONS: [&str; 9] = ["but", "and", "or", "so", "yet", "because", "although", "though", "while"];

/// The words that open a phrase of a noun's own ("the refund *from the airline*").
const PREPOSITIONS: [&str; 7] = ["from", "for", "of", "to", "on", "at", "into"];

/// How many words such a phrase may take beyond [`NEGATION_REACH`].
const PHRASE_WORDS: usize = 3;

/// What names a word as a matter of its own, right after it: "the problem of", "the matter
/// of" (转账失败的问题你们已经处理好了, 之前交易失敗嘅問題已經搞掂咗), in both scripts.
const MATTER: [&str; 10] =
    ["的问题", "的問題", "嘅问题", "嘅問題", "的事情", "的事", "嘅事", "那件事", "这件事", "這件事"];

/// Whether the words between a word and a denial cue after it turn the cue round: "my refund
/// never came through", "the transfer has not been sorted", 退款还没处理好了 say the
/// opposite of "came through", "sorted", 处理好了.
fn turned_round(between: &str) -> bool {
    let words = between.trim_end();
    let last =
        words.rsplit(|c: char| !c.is_alphanumeric() && c != '\'').next().unwrap_or("").to_ascii_lowercase();
    matches!(last.as_str(), "never" | "not")
        || last.ends_with("n't")
        || words.ends_with(['没', '沒', '未', '不'])
        || words.ends_with("没有")
        || words.ends_with("沒有")
}

/// Whether a denial cue written before its word is turned round by a negation right before
/// it: "I'm not fine with the fee", "I'm not happy with the exchange rate" complain about the
/// fee and the rate, where "I'm fine with the fee" sets them aside.
/// An adverb may stand between ("not really happy with the rate").
pub fn negated_cue(text: &str, cue: Span) -> bool {
    let before = text[..cue.start].trim_end_matches([' ', '\t', '\u{3000}']);
    let adverb = before
        .char_indices()
        .rfind(|&(_, c)| !c.is_alphanumeric() && c != '\'')
        .map_or(0, |(i, c)| i + c.len_utf8());
    turned_round(before) || (adverb > 0 && turned_round(&before[..adverb]))
}

/// Whether the Chinese cue at `cue` (不…, 没…) is the second half of a question asked both
/// ways, A-not-A: 是不是要收手续费, 要不要停用, 有没有要扣款 ask, they do not deny or negate.
pub fn asks_either_way(text: &str, cue: Span) -> bool {
    let mut chars = text[cue.start..cue.end].chars();
    let (Some(not), Some(verb)) = (chars.next(), chars.next()) else { return false };
    matches!(not, '不' | '没' | '沒') && text[..cue.start].ends_with(verb)
}

/// Whether the cue at `cue` is asked rather than told: a question particle or mark right after
/// it ("提现已经到账了吗？", "退款已经收到了没", "has it come through?"). News that something
/// arrived sets its topic aside; asking whether it did is the question.
pub fn asked_right_after(text: &str, cue: Span) -> bool {
    let after = text[cue.end..].trim_start_matches([' ', '\t', '\u{3000}']);
    after.starts_with(['?', '？', '吗', '嗎', '么', '麼', '没', '沒', '未', '呢'])
}

/// Whether `keyword` is written as part of an amount: a number right before it or right after
/// it, a space apart at most ("64.90 EUR", "USD 100", "100美元", "五百港幣"). An amount names
/// what was paid, not a question about currencies.
pub fn in_amount(text: &str, keyword: Span) -> bool {
    let numeral =
        |c: char| c.is_ascii_digit() || "０１２３４５６７８９一二三四五六七八九十百千万萬两兩".contains(c);
    let before = text[..keyword.start].trim_end_matches(' ').chars().next_back();
    let after = text[keyword.end..].trim_start_matches(' ').chars().next();
    before.is_some_and(numeral)
        || after.is_some_and(|c| c.is_ascii_digit() || "０１２３４５６７８９".contains(c))
}

/// Whether `at` lies inside one of `phrases` (a matcher's, sorted by start; `longest` is the
/// longest phrase in bytes).
pub fn inside_any(phrases: &[Span], at: Span, longest: usize) -> bool {
    let from = phrases.partition_point(|s| s.start < at.start.saturating_sub(longest));
    phrases[from..].iter().take_while(|s| s.start <= at.start).any(|s| at.inside(*s))
}

/// Whether the occurrences (group, span), sorted by start, hold one word of every group
/// `0..groups` with every one within `within` words of an occurrence of group 0, in the same
/// sentence or, with `sentences` above 1, that many sentences running. A word is not near
/// itself: one inside the anchor, or holding it, does not count ("没消费" does not meet "消费"
/// in its own letters).
pub fn near(
    text: &str,
    occurrences: &[(usize, Span)],
    groups: usize,
    within: usize,
    sentences: usize,
) -> bool {
    let ends = sentences.saturating_sub(1);
    let distance = |a: Span, b: Span| {
        let (first, second) = if a.start <= b.start { (a, b) } else { (b, a) };
        if second.start < first.end { Some(0) } else { gap_in(text, first.end, second.start, false, ends) }
    };
    if !every_group_occurs(occurrences, groups) {
        return false;
    }
    let window = (within + 1) * BYTES_PER_WORD;
    let longest = occurrences.iter().map(|(_, s)| s.end - s.start).max().unwrap_or(0);
    occurrences.iter().filter(|(g, _)| *g == 0).any(|&(_, anchor)| {
        let from = occurrences.partition_point(|(_, s)| s.start + longest + window < anchor.start);
        let nearby = occurrences[from..].iter().take_while(|(_, s)| s.start <= anchor.end + window);
        (1..groups).all(|g| {
            nearby
                .clone()
                .filter(|&&(h, other)| h == g && !other.inside(anchor) && !anchor.inside(other))
                .any(|&(_, other)| distance(anchor, other).is_some_and(|d| d <= within))
        })
    })
}

/// Whether `occurrences` hold a word of every group `0..groups`: most proximity matchers
/// that meet one of their words in a mail meet no word of another group, and are then told
/// apart in one pass, before any distance is counted.
pub fn every_group_occurs(occurrences: &[(usize, Span)], groups: usize) -> bool {
    let seen = occurrences.iter().fold(0u64, |seen, (g, _)| seen | 1u64.checked_shl(*g as u32).unwrap_or(0));
    groups_met(seen, groups)
}

/// Whether `seen` (bit `g` for a word of group `g`) has every group `0..groups`; past 64
/// groups, left to the full check.
pub fn groups_met(seen: u64, groups: usize) -> bool {
    if groups > 64 {
        return true;
    }
    let all = if groups == 64 { u64::MAX } else { (1u64 << groups) - 1 };
    seen & all == all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(text: &str, word: &str) -> Span {
        let start = text.find(word).unwrap();
        Span { start, end: start + word.len() }
    }

    #[test]
    fn gaps_count_words_and_chinese_characters() {
        assert_eq!(gap(""), Some(0));
        assert_eq!(gap(" my new "), Some(2));
        assert_eq!(gap("短信"), Some(2));
        assert_eq!(gap(" the 短信 code "), Some(4));
        assert_eq!(gap(" it. Then "), None);
        assert_eq!(gap("，然后"), None);
        assert_eq!(gap_within("，然后", false), Some(2), "proximity reaches over a comma");
        assert_eq!(gap(" receive 47.50 when "), Some(3), "a decimal point ends no sentence");
        assert_eq!(gap(" sent 1,000 and "), Some(3), "a thousands comma ends no clause");
        assert_eq!(gap(" it was 5. Then "), None, "a full stop after a number still does");
    }

    #[test]
    fn news_asked_right_after_is_a_question() {
        let asked = |text: &str, cue: &str| asked_right_after(text, span(text, cue));
        assert!(asked("我的提现已经到账了吗？", "已经到账了"));
        assert!(asked("退款已经收到了 没", "已经收到了"));
        assert!(asked("Has it come through?", "come through"));
        assert!(!asked("提现已经到账了，谢谢", "已经到账了"));
        assert!(!asked("the refund arrived yesterday. Can I", "arrived yesterday"));
    }

    #[test]
    fn a_currency_beside_a_number_is_an_amount() {
        let amount = |text: &str, word: &str| in_amount(text, span(text, word));
        assert!(amount("I paid 64.90 EUR to a shop", "EUR"));
        assert!(amount("it was USD 100 in the end", "USD"));
        assert!(amount("top up 50 dollars", "dollars"));
        assert!(amount("付了100美元", "美元"));
        assert!(amount("扣了五百港幣", "港幣"));
        assert!(!amount("can I pay in EUR?", "EUR"));
        assert!(!amount("3 ways to pay in euros", "euros"), "a number two words away is no amount");
        assert!(!amount("支持美元吗", "美元"));
        assert!(!amount("USD", "USD"));
    }

    #[test]
    fn a_denial_before_or_after_the_word_reaches_two_words_in_its_clause() {
        let cue = |text: &str, word: &str| span(text, word);
        let zh = "我不是要退款，只是问订单";
        let denials = Denials { before: vec![cue(zh, "不是要")], ..Denials::default() };
        assert!(denials.deny(zh, span(zh, "退款")));
        assert!(!denials.deny(zh, span(zh, "订单")), "a comma ends the denial");
        let en = "The exchange rate itself is fine, but the transfer failed";
        let denials = Denials { after: vec![cue(en, "is fine")], ..Denials::default() };
        assert!(denials.deny(en, span(en, "exchange rate")));
        assert!(!denials.deny(en, span(en, "transfer")), "a word after the cue is not denied by it");
        let far = "my refund that the shop sent is fine";
        let denials = Denials { after: vec![cue(far, "is fine")], ..Denials::default() };
        assert!(!denials.deny(far, span(far, "refund")), "four words away");
        assert!(!Denials::default().deny(zh, span(zh, "退款")));
        let chinese = "汇率什么的无所谓，退款呢";
        let denials = Denials { after: vec![cue(chinese, "无所谓")], ..Denials::default() };
        assert!(denials.deny(chinese, span(chinese, "汇率")), "four characters of Chinese between");
    }

    #[test]
    fn a_denial_after_reaches_past_a_matter_or_a_phrase_of_its_own() {
        // (text, the cue after the word, the word, whether it is denied, why)
        let cases = [
            (
                "上次转账失败的问题你们那边已经处理好了，这次想问",
                "已经处理好了",
                "转账失败",
                true,
                "的问题 then four characters",
            ),
            (
                "上次转账失败后来你们那边已经处理好了",
                "已经处理好了",
                "转账失败",
                false,
                "no matter named: six characters are too far",
            ),
            ("转账失败的问题你们一直没处理好了", "处理好了", "转账失败", false, "turned round by 没"),
            (
                "转账失败的问题我打了好几次电话才处理好了",
                "处理好了",
                "转账失败",
                false,
                "too far after the matter",
            ),
            (
                "The refund from the airline came through in three days",
                "came through",
                "refund",
                true,
                "a phrase of its own: three words more",
            ),
            (
                "The refund from the airline that I booked came through",
                "came through",
                "refund",
                false,
                "six words: too far",
            ),
            (
                "The refund from the airline never came through",
                "came through",
                "refund",
                false,
                "turned round by never",
            ),
            (
                "payment declined at checkout but my card is fine",
                "is fine",
                "declined",
                false,
                "a phrase ends at but",
            ),
        ];
        for (text, cue, word, denied, why) in cases {
            let denials = Denials { after: vec![span(text, cue)], ..Denials::default() };
            assert_eq!(denials.deny(text, span(text, word)), denied, "{why}: {text}");
        }
    }

    #[test]
    fn a_clause_cue_sets_aside_every_word_of_its_clause_and_no_further() {
        let cue = |text: &str, word: &str| span(text, word);
        let en = "Last month you sorted out a refund for me quickly, thanks. Today my card was declined";
        let denials = Denials { clause: vec![cue(en, "you sorted out")], ..Denials::default() };
        assert!(denials.deny(en, span(en, "refund")));
        assert!(!denials.deny(en, span(en, "declined")), "a new sentence is not denied");
        assert!(!denials.deny(en, span(en, "sorted out")), "the cue's own words stay");
        let zh = "上个月我转账没到账的事你们帮我处理得很快，这次是想改密码";
        let denials = Denials { clause: vec![cue(zh, "处理得很快")], ..Denials::default() };
        assert!(denials.deny(zh, span(zh, "没到账")) && denials.deny(zh, span(zh, "转账")));
        assert!(!denials.deny(zh, span(zh, "改密码")), "the next clause is the question");
        let asked = "Have you sorted out my refund?";
        assert!(in_a_question(asked, cue(asked, "you sorted out")));
        let told = "You sorted out my refund quickly. Why is my card declined?";
        assert!(!in_a_question(told, cue(told, "You sorted out")));
    }

    #[test]
    fn a_question_starts_after_context_only_after_a_sentence_of_eight_words_and_a_join_at_most() {
        let zh = "上个月的提现两天就到卡上了。我想问一下怎么开通分期？";
        assert!(after_context(zh, span(zh, "我想问一下"), &[]));
        let greeting = "你好！我想问一下怎么开通分期？";
        assert!(!after_context(greeting, span(greeting, "我想问一下"), &[]), "a greeting is no context");
        let inside = "上个月的提现两天就到卡上了，我想问一下怎么开通分期？";
        assert!(!after_context(inside, span(inside, "我想问一下"), &[]), "within the sentence");
        let en = "Got my refund from the airline last week. What I need to know is the card fee.";
        assert!(after_context(en, span(en, "What I need to know is"), &[]));
        let joins = ["另外".to_string(), "also".to_string()];
        let joined = "上个月的提现两天就到卡上了。另外，我想问一下怎么开通分期？";
        assert!(after_context(joined, span(joined, "我想问一下"), &joins), "a join between");
        assert!(!after_context(joined, span(joined, "我想问一下"), &[]), "a join of the list only");
        let en = "Got my refund from the airline last week. Also, what I need to know is the card fee.";
        assert!(after_context(en, span(en, "what I need to know is"), &joins));
        let glued = "Got my refund from the airline last week. Jalso what I need to know is the card fee.";
        assert!(!after_context(glued, span(glued, "what I need to know is"), &joins), "a word of its own");
    }

    #[test]
    fn an_aside_cue_waves_aside_its_clause_and_the_clause_before_it() {
        let zh = "繳費一直被拒絕，我知道跨行會收15元手續費，這個沒關係，但總要付得出去吧？";
        let denials = Denials { aside: vec![span(zh, "這個沒關係")], ..Denials::default() };
        assert!(denials.deny(zh, span(zh, "手續費")), "the clause right before the cue");
        assert!(!denials.deny(zh, span(zh, "被拒絕")), "two clauses back stays");
        assert!(!denials.deny(zh, span(zh, "付得出去")), "words after the cue stay");
        let own = "手續費多少沒關係。";
        let denials = Denials { aside: vec![span(own, "沒關係")], ..Denials::default() };
        assert!(denials.deny(own, span(own, "手續費")), "its own clause");
        let en = "The ATM charges 2,000 won a go, which I knew already. Where are the free ones?";
        let denials = Denials { aside: vec![span(en, "which I knew already")], ..Denials::default() };
        assert!(denials.deny(en, span(en, "charges")), "a comma inside a number ends no clause");
        assert!(!denials.deny(en, span(en, "free")), "the next sentence stays");
        assert_eq!(clause_ends("，一，二,3,000"), 3);
    }

    #[test]
    fn a_word_inside_settled_news_is_set_aside_and_the_news_itself_stays() {
        let text = "帐户后来解锁了。想问怎么开发票";
        let cue = span(text, "后来解锁了");
        let denials = Denials { after: vec![cue], ..Denials::default() };
        assert!(denials.deny(text, span(text, "解锁")), "the unlock inside the news");
        assert!(!denials.deny(text, span(text, "解锁了")), "a phrase ending with the news says it");
        assert!(!denials.deny(text, cue), "a phrase that is the whole cue says it");
        assert!(!denials.deny(text, span(text, "开发票")), "the question after it");
        let turned = "i tried a transfer and it hasn't worked!";
        let denials = Denials { after: vec![span(turned, "worked!")], ..Denials::default() };
        assert!(!denials.deny(turned, span(turned, "worked")), "news a negation turns round");
        let into = "我的新密码重设完成了吗";
        let denials = Denials { elsewhere: vec![span(into, "重设完成了")], ..Denials::default() };
        assert!(!denials.deny(into, span(into, "密码重设")), "a phrase that starts before the cue stays");
    }

    #[test]
    fn thanks_for_a_settled_matter_set_its_sentence_aside_when_a_later_one_asks() {
        // Which of `words` the thanks cue `cue` sets aside, with `unless` the live-matter words.
        let denied = |text: &str, cue: &str, unless: &[&str], word: &str| {
            let mut denials = Denials { thanks: vec![span(text, cue)], ..Denials::default() };
            let unless: Vec<String> = unless.iter().map(|u| u.to_string()).collect();
            denials.sort();
            denials.settle_thanks(text, &unless);
            denials.deny(text, span(text, word))
        };
        let en = "the withdrawal landed this afternoon, cheers for that. how do i get statements by mail?";
        assert!(denied(en, "cheers", &[], "withdrawal"), "settled, and a later sentence asks");
        assert!(!denied(en, "cheers", &[], "statements"), "the question stays");
        let mut settled = Denials { thanks: vec![span(en, "cheers")], ..Denials::default() };
        settled.settle_thanks(en, &[]);
        let from = settled.asked_after_thanks(en).expect("settled thanks");
        assert_eq!(&en[from..], "how do i get statements by mail?", "the question the model reads alone");
        let zh = "谢谢你们帮我把重复扣款撤回来了。这次想问怎么开发票";
        assert!(denied(zh, "谢谢", &[], "扣款"), "its own clause after the cue, and 怎么 asks");
        let live = "my refund still hasn't come, thanks. when will it?";
        assert!(!denied(live, "thanks", &["still"], "refund"), "a trouble not over");
        let only = "the refund arrived this morning, thanks. great service!";
        assert!(!denied(only, "thanks", &[], "refund"), "nothing asked after it: the thanks rule's");
        let asked = "has my refund come yet, thanks? and when?";
        assert!(!denied(asked, "thanks", &[], "refund"), "its sentence asks");
        let button = "the refund came, thanks for the button fix. how do i rename my wallet?";
        assert!(
            denied(button, "thanks", &["but"], "refund"),
            "\"but\" is a word of its own, not in \"button\""
        );
        let next = "thanks for the refund. my card was declined, why?";
        assert!(!denied(next, "thanks", &[], "declined"), "a later sentence is not set aside");
    }

    #[test]
    fn an_elsewhere_cue_sets_aside_what_comes_before_it_in_its_sentence() {
        let zh = "安老院会退还多收的院费，这个我们自己会跟，想问怎么改地址？另外退款多久到账？";
        let denials = Denials { elsewhere: vec![span(zh, "我们自己会跟")], ..Denials::default() };
        assert!(denials.deny(zh, span(zh, "退还")), "a clause before the cue is handed elsewhere");
        assert!(!denials.deny(zh, span(zh, "改地址")), "words after the cue stay");
        assert!(!denials.deny(zh, span(zh, "退款")), "a later sentence stays");
        let en = "My refund is late. The gym will pay me back directly, so you can close that ticket.";
        let denials =
            Denials { elsewhere: vec![span(en, "you can close that ticket")], ..Denials::default() };
        assert!(denials.deny(en, span(en, "pay me back")));
        assert!(!denials.deny(en, span(en, "refund")), "an earlier sentence stays");
        assert!(!clause_is_a_question(zh, span(zh, "我们自己会跟")), "the question is the next clause's");
        let not = "不是密码的问题，密码是对的，是App一打开就闪退。";
        let denials = Denials { opening: vec![span(not, "不是")], ..Denials::default() };
        assert!(opens_a_denial(not, span(not, "不是")));
        let twice = "It is not that I didn't receive the refund, I received it twice.";
        assert!(!opens_a_denial(twice, span(twice, "It is not that")), "a negation again turns it round");
        let after_subject = "求助\n不是交易失败，是想要发票";
        assert!(opens_a_denial(after_subject, span(after_subject, "不是")), "a line's start opens a clause");
        assert!(denials.deny(not, span(not, "密码")), "the clause it opens");
        assert!(!denials.deny(not, span(not, "闪退")), "the next clauses stay");
        for kept in [
            "这笔不是我付的",
            "不是我本人操作的",
            "不是很清楚手续费怎么算",
            "不是说三天到账吗？",
            "是不是交易失败了？",
            "不是没收到退款，是收到了两次",
        ] {
            let at = span(kept, "不是");
            assert!(!opens_a_denial(kept, at), "{kept}");
        }
        let hedged = "银行卡那边没有扣款记录，所以应该不是重复扣费。";
        assert!(opens_a_denial(hedged, span(hedged, "不是")), "hedges between the clause start and the cue");
        let paused = "理财转出到余额要多久 急着用钱 不是提现到卡 就是转到余额";
        assert!(opens_a_denial(paused, span(paused, "不是")), "a space between Chinese clauses");
        let spaced = "This is 不是 a pause";
        assert!(!opens_a_denial(spaced, span(spaced, "不是")), "a space after English words");
        let subject = "这笔我也不是很清楚";
        assert!(!opens_a_denial(subject, span(subject, "不是")), "a subject before it");
        let fragment = "Moved it on Monday. Not a refund thing, not a failed payment, just stuck.";
        assert!(opens_a_denial(fragment, span(fragment, "Not a")), "a fragment ruling a topic out");
        for none in ["Not a single payment went through.", "Not a word from you about my refund."] {
            assert!(!opens_a_denial(none, span(none, "Not a")), "{none}");
        }
        let ended = "余额已经全部提完了。要怎样注销？";
        assert!(!clause_is_a_question(ended, span(ended, "完了。")), "the cue ends its own sentence");
        let asked = "这个不归你们管吗？";
        assert!(clause_is_a_question(asked, span(asked, "不归你们管")));
    }

    #[test]
    fn a_denial_cue_before_its_word_is_turned_round_by_a_negation_before_it() {
        let cue_in = |text: &str, cue_word: &str| negated_cue(text, span(text, cue_word));
        assert!(!cue_in("I'm fine with your fees, why was it rejected?", "fine with your"));
        assert!(cue_in("I'm not happy with the rate", "happy with the"));
        assert!(cue_in("I'm not really happy with the rate", "happy with the"));
        assert!(!cue_in("I'm really happy with the rate", "happy with the"));
        assert!(!cue_in("你好！不是要退款", "不是要"), "a cue after Chinese punctuation");
        assert!(!cue_in("不是要退款", "不是要"), "a cue at the start");
    }

    #[test]
    fn a_denial_cue_after_a_negation_denies_nothing() {
        let after = |text: &str, cue_word: &str, word: &str| {
            let denials = Denials { after: vec![span(text, cue_word)], ..Denials::default() };
            denials.deny(text, span(text, word))
        };
        assert!(after("the refund came through, thanks", "came through", "refund"));
        assert!(!after("my refund never came through", "came through", "refund"));
        assert!(!after("the refund still hasn't came through", "came through", "refund"));
        assert!(after("退款处理好了", "处理好了", "退款"));
        assert!(!after("退款还没处理好了", "处理好了", "退款"));
    }

    #[test]
    fn a_question_asked_both_ways_is_no_negation() {
        for (text, cue) in
            [("是不是要收手续费", "不是要"), ("要不要停用", "不要"), ("有沒有要扣款", "沒有要")]
        {
            assert!(asks_either_way(text, span(text, cue)), "{text}");
        }
        for (text, cue) in [("我不是要退款", "不是要"), ("不要停用", "不要"), ("我没有要扣款", "没有要")]
        {
            assert!(!asks_either_way(text, span(text, cue)), "{text}");
        }
    }

    #[test]
    fn negation_reaches_two_words() {
        let text = "不用停用，帮我停用";
        let cues = [span(text, "不用")];
        assert!(negated(text, Span { start: 6, end: 12 }, &cues));
        let second = Span { start: text.rfind("停用").unwrap(), end: text.len() };
        assert!(!negated(text, second, &cues), "a comma ends the negation");
        let en = "there is no need to cancel my card";
        assert!(negated(en, span(en, "cancel"), &[span(en, "no need to")]));
        let far = "no need to do anything with the cancel";
        assert!(!negated(far, span(far, "cancel"), &[span(far, "no need to")]));
    }

    #[test]
    fn proximity_in_either_order_within_the_sentence() {
        let text = "收不到短信验证码";
        let occ = [(0, span(text, "收不到")), (1, span(text, "验证码"))];
        assert!(near(text, &occ, 2, 2, 1));
        assert!(!near(text, &occ, 2, 1, 1));
        let en = "the code you sent never arrived. ok";
        let occ = [(1, span(en, "code")), (0, span(en, "never arrived"))];
        assert!(near(en, &occ, 2, 3, 1));
        let split = "the code is fine. nothing arrived";
        let occ = [(1, span(split, "code")), (0, span(split, "arrived"))];
        assert!(!near(split, &occ, 2, 10, 1), "a sentence end separates");
        assert!(!near(text, &[(0, span(text, "收不到"))], 2, 5, 1), "every group must occur");
    }

    #[test]
    fn every_group_must_stand_near_the_first() {
        let text = "the transfer I set up on Monday still hasn't reached my brother";
        let occ = [(0, span(text, "transfer")), (1, span(text, "hasn't")), (2, span(text, "reached"))];
        assert!(near(text, &occ, 3, 8, 1));
        assert!(!near(text, &occ, 3, 6, 1), "seven words stand between transfer and reached");
        assert!(!near(text, &occ[..2], 3, 8, 1), "the third group is missing");
    }

    #[test]
    fn a_matcher_may_span_the_next_sentence_when_it_asks() {
        let en = "I sent 200 pounds to my brother on Monday. He still has not received it.";
        let occ = [(0, span(en, "brother")), (1, span(en, "not received"))];
        assert!(!near(en, &occ, 2, 10, 1), "one sentence by default");
        assert!(near(en, &occ, 2, 10, 2), "this sentence and the next");
        let three = "I sent it to my brother. It was Monday. He has not received it.";
        let occ = [(0, span(three, "brother")), (1, span(three, "not received"))];
        assert!(!near(three, &occ, 2, 10, 2), "two sentence ends stand between");
        assert!(near(three, &occ, 2, 10, 3));
        let marks = "I paid my brother?! He has not received it.";
        let occ = [(0, span(marks, "brother")), (1, span(marks, "not received"))];
        assert!(near(marks, &occ, 2, 10, 2), "?! ends one sentence");
        let zh = "我转账给我妈了。她说没收到。";
        let occ = [(0, span(zh, "转账")), (1, span(zh, "没收到"))];
        assert!(!near(zh, &occ, 2, 10, 1));
        assert!(near(zh, &occ, 2, 10, 2));
        assert!(!near(zh, &occ, 2, 5, 2), "the words between still count");
    }

    #[test]
    fn a_word_is_not_near_itself() {
        let text = "开通以后一直没消费，有费用吗";
        let occ = [(0, span(text, "没消费")), (1, span(text, "消费"))];
        assert!(!near(text, &occ, 2, 8, 1), "消费 is inside 没消费");
        let occ = [(1, span(text, "没消费")), (0, span(text, "消费"))];
        assert!(!near(text, &occ, 2, 8, 1), "the anchor inside the other word");
        let twice = "没消费怎么扣了消费的钱";
        let at = twice.rfind("消费").unwrap();
        let occ = [(0, span(twice, "没消费")), (1, Span { start: at, end: at + "消费".len() })];
        assert!(near(twice, &occ, 2, 8, 1), "a second 消费 of its own counts");
    }

    #[test]
    fn a_wrapped_line_of_english_does_not_end_the_sentence() {
        let en = "a withdrawal this morning,\r\nbut I did not";
        let occ = [(1, span(en, "withdrawal")), (0, span(en, "but I did not"))];
        assert!(near(en, &occ, 2, 10, 1), "the break only wraps the line");
        let para = "a withdrawal this morning\n\nbut I did not";
        let occ = [(1, span(para, "withdrawal")), (0, span(para, "but I did not"))];
        assert!(!near(para, &occ, 2, 10, 1), "a blank line ends the paragraph");
        let zh = "账户被锁了\n验证码也收不到";
        let occ = [(0, span(zh, "锁")), (1, span(zh, "验证码"))];
        assert!(!near(zh, &occ, 2, 10, 1), "a Chinese line ends where the writer pressed Enter");
    }

    #[test]
    fn phrases_and_cues_are_looked_up_near_the_keyword_only() {
        let text = "交易密码 密码";
        let phrases = [span(text, "交易密码")];
        let first = Span { start: 6, end: 12 };
        let second = Span { start: text.rfind("密码").unwrap(), end: text.len() };
        assert!(inside_any(&phrases, first, 12));
        assert!(!inside_any(&phrases, second, 12));
        assert!(!inside_any(&[], first, 12), "no phrase of this matcher");
        // A hostile text: 100,000 cues and keywords (each looks only at its neighbours: a
        // quadratic look-up would not finish).
        let hostile = "不用停用".repeat(100_000);
        let cues: Vec<Span> = (0..100_000).map(|i| Span { start: i * 12, end: i * 12 + 6 }).collect();
        assert!((0..100_000).all(|i| negated(&hostile, Span { start: i * 12 + 6, end: i * 12 + 12 }, &cues)));
    }
}
