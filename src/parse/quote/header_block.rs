//! Parse stage, quotes: Outlook-style header blocks (`From:`/`Sent:`/`To:`/`Subject:` and
//! their names in other languages) that start a quoted or forwarded mail, told apart from a
//! record the customer pasted.

use std::sync::LazyLock;

use regex::Regex;

/// Outlook-style header blocks: a `From:` line with a `Sent:`/`Date:` or `Subject:` line
/// within the next four lines, or (Hotmail) a `Date:` line with a `From:` line below it, in
/// the languages of [`FROM_FIELD`] and [`SENT_FIELD`].
pub(super) fn starts_header_block(line: &str, lines: &[&str], i: usize) -> bool {
    let near = || lines.iter().skip(i + 1).take(4).map(|l| l.trim());
    let fields = if FROM_FIELD.is_match(line) {
        near().any(|l| SENT_FIELD.is_match(l) || SUBJECT_FIELD.is_match(l))
    } else {
        SENT_FIELD.is_match(line) && near().any(|l| FROM_FIELD.is_match(l))
    };
    fields && !pasted_record(lines, i)
}

/// Whether the lines from `i` to the next blank line are a record the customer pasted rather
/// than a quoted mail's header: no address anywhere in it, and a field no mail header has
/// ("From: Brightlane AB, SEB account …", "Date: 27 Nov 2026", "Amount: 4,800.00 SEK",
/// "Reference: …", copied from a bank's app).
fn pasted_record(lines: &[&str], i: usize) -> bool {
    let block: Vec<&str> =
        lines[i..].iter().map(|l| l.trim()).take_while(|l| !l.is_empty()).take(12).collect();
    !block.iter().any(|l| l.contains('@')) && block.iter().any(|l| is_other_field(l))
}

/// Whether `line` is `Name: value` with a name that no quoted mail header uses. A line that
/// ends at its colon (a greeting, 李女士您好：) is no field.
fn is_other_field(line: &str) -> bool {
    let Some(colon) = line.find([':', '：']) else { return false };
    let name = line[..colon].trim();
    let value = line[colon..].trim_start_matches([':', '：']).trim();
    let short = !name.is_empty() && name.chars().count() <= 24 && !name.contains("://");
    short && !value.is_empty() && !is_header_field(line) && !HEADER_EXTRAS.is_match(line)
}

/// Header fields that quoted mail shows besides sender, date, recipients and subject.
static HEADER_EXTRAS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\*?(bcc|reply-to|importance|priority|attachments?|sensitivity|categories|wichtigkeit|anlagen?|pièces?\s+jointes?|importance|allegati|adjuntos|bijlagen|bilagor|vedlegg|重要性|附件|优先级|優先順序|添付ファイル)\*?\s*[:：]",
    )
    .expect("header extras regex")
});

/// A header field line of a quoted or forwarded mail (`From:`, `Date:`, `To:`, `Subject:` …).
pub(super) fn is_header_field(line: &str) -> bool {
    FROM_FIELD.is_match(line)
        || SENT_FIELD.is_match(line)
        || SUBJECT_FIELD.is_match(line)
        || TO_FIELD.is_match(line)
}

static FROM_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\*?(from|von|de|da|van|från|fra|od|от|lähettäjä|feladó|kimden|remetente|de\s+la|від|από|מאת|من|từ|จาก|dari|发件人|發件人|寄件者|寄件人|差出人|发信人|보낸\s*사람|발신)\*?\s*[:：]",
    )
    .expect("from regex")
});

static SENT_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\*?(sent|date|gesendet|datum|envoyé(\s+le)?|message\s+du|inviato|data|dato|enviado|enviada|fecha|verzonden|skickat|sendt|wysłano|отправлено|дата|lähetetty|elküldve|gönderildi|odesláno|trimis|enviat(\s+el)?|надіслано|στάλθηκε|נשלח|تاريخ\s+الإرسال|أرسلت|đã\s+gửi|ส่ง|dikirim|发送时间|發送時間|日期|時間|时间|傳送時間|寄件日期|发送日期|送信日時|日時|보낸\s*날짜|날짜)\*?\s*[:：]",
    )
    .expect("sent regex")
});

static SUBJECT_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\*?(subject|betreff|objet|sujet|oggetto|asunto|onderwerp|ämne|emne|temat|тема|assunto|aihe|tárgy|konu|předmět|subiect|assumpte|θέμα|נושא|الموضوع|chủ\s+đề|เรื่อง|perihal|subjek|主题|主題|主旨|件名|제목)\*?\s*[:：]",
    )
    .expect("subject regex")
});

static TO_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\*?(to|cc|an|à|a|para|aan|till|til|do|кому|komu|către|per\s+a|προς|κοιν|אל|עותק|إلى|đến|ถึง|kepada|címzett|收件人|收件者|抄送|副本|宛先|받는\s*사람|받은\s*사람|수신)\*?\s*[:：]")
        .expect("to regex")
});
