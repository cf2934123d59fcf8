//! Parse stage, language: `zh-Hans`, `zh-Hant`, `en` or `other`, decided from the text.
//!
//! CJK text has no word boundaries, so the decision counts characters: Han characters make
//! it Chinese; characters that exist in only one of the two scripts (这/這, 账/賬, 码/碼 …)
//! tell Simplified from Traditional. Ties go to Simplified, the more common here.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Serialize;

/// The customer's language, as a BCP 47 tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Language {
    #[serde(rename = "zh-Hans")]
    ZhHans,
    #[serde(rename = "zh-Hant")]
    ZhHant,
    #[serde(rename = "en")]
    En,
    #[serde(rename = "other")]
    Other,
}

impl Language {
    /// Every language a mail is read as.
    pub const ALL: [Language; 4] = [Language::ZhHans, Language::ZhHant, Language::En, Language::Other];

    /// The BCP 47 tag (`zh-Hans`, `zh-Hant`, `en`, `other`).
    pub fn tag(self) -> &'static str {
        match self {
            Language::ZhHans => "zh-Hans",
            Language::ZhHant => "zh-Hant",
            Language::En => "en",
            Language::Other => "other",
        }
    }

    /// Parses a tag as written in rules and configuration.
    pub fn from_tag(tag: &str) -> Option<Language> {
        match tag {
            "zh-Hans" => Some(Language::ZhHans),
            "zh-Hant" => Some(Language::ZhHant),
            "en" => Some(Language::En),
            "other" => Some(Language::Other),
            _ => None,
        }
    }
}

/// Simplified-only characters, each at the same position as its Traditional form below.
const SIMPLIFIED: &str = "这们个为说时会来对过没发现还进问题请账户码记录钱费汇币种银转帐号邮验证确认册冻结锁盗败额余处务单订谢帮设页点击网络应该经样么吗关联当让给总东业产员实际动买卖价线长开门间写变难尽办虽带达运连续试输误错绑电话机复紧几义从与专乐书亲觉计论识诉语调资质购贵赔轮边选递释钟铁阅队阶陆险随隐领频风飞饭马鱼鸟黄齐龙图团国块坏声备头奖妈学宝审宽导将尔层岁师广异张归态恶惊愿战执扩报担择换据损摄数断无旧显暂术杂权条极构标检欢气测济满热爱状独环画疗监盘础积称稳竞笔签简类级纪约红纯纸练组细终绝统继绩维综缓编罚肃脑节范获虑补装规视览议许评询详谁读课谈负贡财责货贷赛车软辑迟适键闭闻阳陈项须预饮馆驾丢两严丰临举乌乔习乡亏云亚众优传伤体佣侠侣俭债倾储儿党兰兴养冲决况净减凭凤刘则刚创删别剂剧劝励劳势区医华协卫却厂厅历压厌县参双叙叶启响诈骗钓兑挂缴销营灵涨贴赎乱听纳税润亿万仅宁扫争侦侧内场够夹宾寻寿尝属怀戏抢护拦拨柜栏档槛欧毁湾滞玺礼纹纽绍职脸荐蚁蚂见讯诺贩载较违遗邻鉴钛钞铢铺链镑静韩顺顾馈驱驳骤龄呗圆荣偿嘱轻腾携赠烦围谓钥虾远径垫缩浓织针离梦拥盖园桥庆库废浏萤晓钮讲灯蛮赚树虚拟摊哔阵捡毕罗莱农趋丝狮妆弹纲爷纵楼贝筹萨纾侨辆讨届厦丽谊渐谅迁闲惯扰横晔辈诊誊窃灭滚绕词顿孙妇贺烂啰芦栋赁贬惩盐坜琐揽赶寝舱谮诠驶脚飨舰诗灿恒凯残胜诚观汉仪渔证汇汇当为录么赏闪挡拣粮悭骇溃吓铜锣摇昼饰尽墙缘赞触鲜训摆垦扬签碍嬷揿赞说访卢译绿洁绪弯玛肿启晒";
/// Traditional-only characters, aligned with `SIMPLIFIED`.
const TRADITIONAL: &str = "這們個為說時會來對過沒發現還進問題請賬戶碼記錄錢費匯幣種銀轉帳號郵驗證確認冊凍結鎖盜敗額餘處務單訂謝幫設頁點擊網絡應該經樣麼嗎關聯當讓給總東業產員實際動買賣價線長開門間寫變難盡辦雖帶達運連續試輸誤錯綁電話機複緊幾義從與專樂書親覺計論識訴語調資質購貴賠輪邊選遞釋鐘鐵閱隊階陸險隨隱領頻風飛飯馬魚鳥黃齊龍圖團國塊壞聲備頭獎媽學寶審寬導將爾層歲師廣異張歸態惡驚願戰執擴報擔擇換據損攝數斷無舊顯暫術雜權條極構標檢歡氣測濟滿熱愛狀獨環畫療監盤礎積稱穩競筆簽簡類級紀約紅純紙練組細終絕統繼績維綜緩編罰肅腦節範獲慮補裝規視覽議許評詢詳誰讀課談負貢財責貨貸賽車軟輯遲適鍵閉聞陽陳項須預飲館駕丟兩嚴豐臨舉烏喬習鄉虧雲亞眾優傳傷體傭俠侶儉債傾儲兒黨蘭興養衝決況淨減憑鳳劉則剛創刪別劑劇勸勵勞勢區醫華協衛卻廠廳歷壓厭縣參雙敘葉啟響詐騙釣兌掛繳銷營靈漲貼贖亂聽納稅潤億萬僅寧掃爭偵側內場夠夾賓尋壽嘗屬懷戲搶護攔撥櫃欄檔檻歐毀灣滯璽禮紋紐紹職臉薦蟻螞見訊諾販載較違遺鄰鑑鈦鈔銖鋪鏈鎊靜韓順顧饋驅駁驟齡唄圓榮償囑輕騰攜贈煩圍謂鑰蝦遠徑墊縮濃織針離夢擁蓋園橋慶庫廢瀏螢曉鈕講燈蠻賺樹虛擬攤嗶陣撿畢羅萊農趨絲獅妝彈綱爺縱樓貝籌薩紓僑輛討屆廈麗誼漸諒遷閒慣擾橫曄輩診謄竊滅滾繞詞頓孫婦賀爛囉蘆棟賃貶懲鹽壢瑣攬趕寢艙譖詮駛腳饗艦詩燦恆凱殘勝誠觀漢儀漁証滙彙噹爲録麽賞閃擋揀糧慳駭潰嚇銅鑼搖晝飾儘牆緣讚觸鮮訓擺墾揚籤礙嬤撳贊説訪盧譯綠潔緒彎瑪腫啓曬";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Simplified,
    Traditional,
}

/// The CJK Unified Ideographs block, where every character of the two tables lies.
const TABLE_BLOCK: std::ops::RangeInclusive<u32> = 0x4E00..=0x9FFF;

/// Which script a table character belongs to: one bit per character of [`TABLE_BLOCK`] for
/// each script, as CJK text is long and every Han character is looked up.
struct ScriptBits {
    simplified: Vec<u64>,
    traditional: Vec<u64>,
}

impl ScriptBits {
    fn new() -> ScriptBits {
        let words = (TABLE_BLOCK.end() - TABLE_BLOCK.start()) as usize / 64 + 1;
        let mut bits = ScriptBits { simplified: vec![0; words], traditional: vec![0; words] };
        for (table, set) in [(SIMPLIFIED, &mut bits.simplified), (TRADITIONAL, &mut bits.traditional)] {
            for c in table.chars() {
                let i =
                    Self::index(c as u32).expect("table characters lie in the CJK Unified Ideographs block");
                set[i / 64] |= 1 << (i % 64);
            }
        }
        bits
    }

    fn index(code: u32) -> Option<usize> {
        TABLE_BLOCK.contains(&code).then(|| (code - TABLE_BLOCK.start()) as usize)
    }

    /// The script of the character with code point `code`, if it is in the tables.
    fn script(&self, code: u32) -> Option<Script> {
        let i = Self::index(code)?;
        let bit = 1 << (i % 64);
        if self.simplified[i / 64] & bit != 0 {
            Some(Script::Simplified)
        } else if self.traditional[i / 64] & bit != 0 {
            Some(Script::Traditional)
        } else {
            None
        }
    }
}

static SCRIPT_OF: std::sync::LazyLock<ScriptBits> = std::sync::LazyLock::new(ScriptBits::new);

/// Decides the language of `text` (the customer's new words and subject).
pub fn detect(text: &str) -> Language {
    detect_in(&[text])
}

/// Decides the language of several pieces of text read as one (a subject and a body).
pub fn detect_in(pieces: &[&str]) -> Language {
    let scripts = &*SCRIPT_OF;
    let mut counts = Counts::default();
    for piece in pieces {
        counts.add_text(piece, scripts);
    }
    counts.verdict()
}

/// Decides the customer's language from their own words first: the subject (often ours, or
/// a shop's English `Re: [Shop] Order 123`) only decides when the text has no letters, or
/// breaks a tie between the two Chinese scripts.
pub fn detect_customer(new_text: &str, subject: &str) -> Language {
    let scripts = &*SCRIPT_OF;
    let mut text = Counts::default();
    text.add_text(new_text, scripts);
    let mut from_subject = Counts::default();
    from_subject.add_text(subject, scripts);
    if text.han + text.latin + text.other_letters == 0 {
        return from_subject.verdict();
    }
    let verdict = text.verdict();
    if matches!(verdict, Language::ZhHans | Language::ZhHant) && text.simplified == text.traditional {
        text.simplified += from_subject.simplified;
        text.traditional += from_subject.traditional;
        return text.verdict();
    }
    verdict
}

#[derive(Default)]
struct Counts {
    han: usize,
    latin: usize,
    other_letters: usize,
    simplified: usize,
    traditional: usize,
    /// Japanese kana and Korean hangul, also counted in `other_letters`.
    kana_hangul: usize,
}

impl Counts {
    /// Counts the characters of `text`. ASCII and the common Han characters (U+4E00..U+9FFF,
    /// three bytes led by 0xE4..=0xE9) are read straight from the bytes: Chinese mail is
    /// mostly those, and every character is counted.
    fn add_text(&mut self, text: &str, scripts: &ScriptBits) {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let lead = bytes[i];
            if lead.is_ascii() {
                // A run of ASCII at once: the count over a slice is vectorised.
                let end = bytes[i..].iter().position(|b| !b.is_ascii()).map_or(bytes.len(), |n| i + n);
                self.latin += bytes[i..end].iter().filter(|b| b.is_ascii_alphabetic()).count();
                i = end;
                continue;
            }
            if (0xe4..=0xe9).contains(&lead) {
                // `text` is UTF-8, so the two continuation bytes are there.
                let c = (u32::from(lead & 0x0f) << 12)
                    | (u32::from(bytes[i + 1] & 0x3f) << 6)
                    | u32::from(bytes[i + 2] & 0x3f);
                if c >= 0x4e00 {
                    self.add_han(c, scripts);
                    i += 3;
                    continue;
                }
            }
            let c = text[i..].chars().next().expect("i is at a character boundary");
            self.add(c, scripts);
            i += c.len_utf8();
        }
    }

    fn add_han(&mut self, code: u32, scripts: &ScriptBits) {
        self.han += 1;
        match scripts.script(code) {
            Some(Script::Simplified) => self.simplified += 1,
            Some(Script::Traditional) => self.traditional += 1,
            None => {}
        }
    }

    fn add(&mut self, c: char, scripts: &ScriptBits) {
        if c.is_ascii() {
            self.latin += usize::from(c.is_ascii_alphabetic());
        } else if is_han(c) {
            self.add_han(c as u32, scripts);
        } else if is_cjk_punctuation(c) {
            // Frequent in Chinese text, and no letter: spares the Unicode table lookup.
        } else if c.is_alphabetic() && !is_latin_extended(c) {
            self.other_letters += 1;
            self.kana_hangul += usize::from(is_kana_or_hangul(c));
        }
    }

    fn verdict(&self) -> Language {
        // A Han character carries about as much as a short English word.
        let chinese_weight = self.han * 3;
        // Han characters beside kana or hangul are Japanese kanji or Korean hanja: Japanese
        // text is mostly kana, so a third as much kana as Han is already far more than any
        // Chinese mail quoting a Japanese name would have.
        let japanese_or_korean = self.kana_hangul * 3 >= self.han;
        if self.han > 0 && chinese_weight >= self.latin && !japanese_or_korean {
            return if self.traditional > self.simplified { Language::ZhHant } else { Language::ZhHans };
        }
        if self.other_letters > self.latin {
            return Language::Other;
        }
        Language::En
    }
}

/// A Chinese (Han) character: the unified ideographs, their extensions and the compatibility
/// ideographs.
pub(crate) fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// `，。、：？！（）「」《》` and the other CJK and full-width punctuation, none of them letters.
fn is_cjk_punctuation(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x3004 | 0x3008..=0x3020 | 0xFF01..=0xFF20 | 0xFF3B..=0xFF40 | 0xFF5B..=0xFF65)
}

fn is_kana_or_hangul(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F | 0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF)
}

fn is_latin_extended(c: char) -> bool {
    matches!(c as u32, 0x00C0..=0x024F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_aligned() {
        assert_eq!(SIMPLIFIED.chars().count(), TRADITIONAL.chars().count());
        for (s, t) in SIMPLIFIED.chars().zip(TRADITIONAL.chars()) {
            assert_ne!(s, t, "{s} and {t} must differ");
        }
    }

    #[test]
    fn a_character_belongs_to_one_script_only() {
        for s in SIMPLIFIED.chars() {
            assert!(!TRADITIONAL.contains(s), "{s} is in both tables");
        }
    }

    #[test]
    fn taiwan_words_of_repayment_and_gifts_fold_and_shared_characters_stay() {
        // 償, 贈 and 輕 were missing: 餘額代償 matched no rule written 代偿.
        assert_eq!(to_simplified("餘額代償、贈品、輕鬆"), "余额代偿、赠品、轻松");
        // 折, 台 and 后 are Traditional characters too (打折, 台灣, 皇后): 存摺, 臺幣 and 以後
        // are no pairs of the script table, so 台 is never written back as 臺; they fold as
        // variants, and a rule written 存折 or 台币 reads them.
        assert_eq!(to_simplified("存摺 臺幣 以後"), "存折 台币 以后");
        assert_eq!(to_traditional("台币 以后"), "台幣 以后");
        assert_eq!(detect("請問存摺可以補發嗎"), Language::ZhHant);
    }

    #[test]
    fn the_words_of_card_alerts_fold_across_scripts() {
        // 訊 was missing: a Taiwanese 簡訊 matched no rule written 简讯.
        assert_eq!(to_simplified("收到刷卡簡訊，請顧客見到"), "收到刷卡简讯，请顾客见到");
        assert_eq!(to_traditional("韩币现钞"), "韓幣現鈔");
    }

    #[test]
    fn the_words_of_hong_kong_and_taiwan_letters_fold_across_scripts() {
        // Missing until session 33, from blind sets of our own: 獎賞 (a reward), 閃退 (the app
        // crashes), 出糧 (salary paid), 擺攤 (a market stall), 觸控 (touch), 揀 (choose).
        assert_eq!(
            to_simplified("推薦獎賞、閃退、出糧、擺攤、觸控、揀"),
            "推荐奖赏、闪退、出粮、摆摊、触控、拣"
        );
        assert_eq!(to_traditional("奖赏 闪退"), "獎賞 閃退");
        // Missing until session 34: every Traditional character that a standard converter
        // (OpenCC, Taiwan and Hong Kong) writes for the Chinese words of our rules, examples
        // and tests, and that did not fold back. 沒關係 did not meet the denial cue 没关系.
        assert_eq!(
            to_simplified(
                "沒關係、旅遊、點贊、説、翻譯、採訪、盧比、綠色、清潔、頭緒、彎了、瑪、腫、啓用、鈕釦、曬"
            ),
            "没关系、旅游、点赞、说、翻译、采访、卢比、绿色、清洁、头绪、弯了、玛、肿、启用、钮扣、晒"
        );
        assert_eq!(to_traditional("翻译 卢比"), "翻譯 盧比");
        assert_eq!(to_traditional("游泳"), "游泳", "游 stays: it swims in both scripts");
        // A Simplified character with two Traditional forms keeps its first (尽: 盡, not 儘).
        assert_eq!(to_traditional("尽快"), "盡快");
        assert_eq!(to_simplified("儘快"), "尽快");
    }

    #[test]
    fn simplified() {
        assert_eq!(detect("我的账户被锁定了，请帮我解锁"), Language::ZhHans);
    }

    #[test]
    fn traditional() {
        assert_eq!(detect("我的帳戶被鎖定了，請幫我解鎖"), Language::ZhHant);
    }

    #[test]
    fn short_traditional_texts() {
        assert_eq!(detect("我想要掛失"), Language::ZhHant);
        assert_eq!(detect("重覆繳款"), Language::ZhHant);
        assert_eq!(detect("我想要挂失"), Language::ZhHans);
    }

    #[test]
    fn the_customers_words_decide_before_the_subject() {
        assert_eq!(
            detect_customer("退款还没到", "Re: [Shop] Your order 20261120 has shipped"),
            Language::ZhHans
        );
        assert_eq!(detect_customer("Where is my refund?", "回复：退款"), Language::En);
        assert_eq!(detect_customer("", "退款还没到"), Language::ZhHans);
        assert_eq!(detect_customer("12345", "帳戶被鎖"), Language::ZhHant);
        // No script-specific character in the text: the subject breaks the tie.
        assert_eq!(detect_customer("我的卡不能用", "信用卡問題"), Language::ZhHant);
    }

    #[test]
    fn english() {
        assert_eq!(detect("I forgot my password"), Language::En);
    }

    #[test]
    fn chinese_with_some_english_words() {
        assert_eq!(detect("我的OKPay密码忘记了, please help"), Language::ZhHans);
    }

    #[test]
    fn english_with_a_chinese_name() {
        let text = "Hello, my name is 王 and my payment failed yesterday, please check it";
        assert_eq!(detect(text), Language::En);
    }

    #[test]
    fn cyrillic_is_other() {
        assert_eq!(detect("Здравствуйте, мой платеж не прошел"), Language::Other);
    }

    #[test]
    fn regression_japanese_with_kanji_is_other_not_chinese() {
        assert_eq!(detect("パスワードを忘れました。アカウントにログインできません。"), Language::Other);
        assert_eq!(detect("東京都渋谷区の会社です"), Language::Other);
        assert_eq!(detect("비밀번호를 잊어버렸습니다 (秘密番號)"), Language::Other);
    }

    #[test]
    fn chinese_quoting_a_japanese_name_is_chinese() {
        assert_eq!(detect("我在日本买的ポケモン卡片，付款失败了，请帮忙查一下"), Language::ZhHans);
    }

    #[test]
    fn cjk_punctuation_is_no_letter() {
        let punctuation = "　、。〃〈〉《》「」『』【】〒〓〔〕〖〗〘〙〚〛〜〝〞〟〠！＂＃＄％＆＇（）＊＋，－．／０１９：；＜＝＞？＠［＼］＾＿｀｛｜｝～｟｠｡｢｣､･";
        for c in punctuation.chars() {
            assert!(is_cjk_punctuation(c), "{c}");
            assert!(!c.is_alphabetic(), "{c} is a letter");
        }
        assert!(!is_cjk_punctuation('〆') && !is_cjk_punctuation('Ａ') && !is_cjk_punctuation('ｦ'));
    }

    #[test]
    fn empty_is_english() {
        assert_eq!(detect(""), Language::En);
    }
}

/// `text` with every Traditional-only character of the table replaced by its Simplified form
/// (see [`fold_to_simplified`]).
pub fn to_simplified(text: &str) -> String {
    fold_to_simplified(text).into_owned()
}

/// `text` with every Traditional-only character of the table, and each of
/// [`VARIANTS_TRADITIONAL`], replaced by its Simplified form (and the [`CANTONESE`]
/// characters by their Mandarin ones), borrowed when there is none. Each replacement has
/// the same UTF-8 length, so a byte offset
/// into the result is the same offset into `text`: the rules scan the folded text for both
/// scripts at once and read the customer's own words at the same place.
pub fn fold_to_simplified(text: &str) -> Cow<'_, str> {
    // Most mail is English: nothing to fold, found out a word at a time.
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut folding = Folding::new(text);
    let mut i = 0;
    while i < bytes.len() {
        // The table's characters are U+4E00..U+9FFF: three bytes led by 0xE4..0xE9.
        if (0xe4..=0xe9).contains(&bytes[i]) && i + 2 < bytes.len() {
            folding.fold_at(bytes, i);
            i += 3;
        } else {
            i += 1;
        }
    }
    folding.finish()
}

/// A text folded to Simplified characters as it is read: built as a string, run by run (no
/// validation of the bytes at the end), and only once a character changes.
struct Folding<'t> {
    text: &'t str,
    table: &'static [u16],
    out: Option<String>,
    /// How much of `text` is in `out` already.
    copied: usize,
}

impl<'t> Folding<'t> {
    #[inline(always)]
    fn new(text: &'t str) -> Folding<'t> {
        Folding { text, table: folding_table(), out: None, copied: 0 }
    }

    /// Folds the three-byte character (led by 0xE4..0xE9) at byte `i` of `bytes` (the text's),
    /// if the table has it. The bytes are passed in: read through `self`, the caller's bounds
    /// check was not carried over (1.6 % more instructions in classifying a Cathay mail than
    /// the two loops written out apart; 0.7 % with the bytes passed).
    #[inline(always)]
    fn fold_at(&mut self, bytes: &[u8], i: usize) {
        let c = (u32::from(bytes[i] & 0x0f) << 12)
            | (u32::from(bytes[i + 1] & 0x3f) << 6)
            | u32::from(bytes[i + 2] & 0x3f);
        if let Some(simplified) = simplified_in(self.table, c) {
            let out = self.out.get_or_insert_with(|| String::with_capacity(self.text.len()));
            out.push_str(&self.text[self.copied..i]);
            out.push(simplified);
            self.copied = i + 3;
        }
    }

    /// The folded text: borrowed when nothing changed.
    #[inline(always)]
    fn finish(self) -> Cow<'t, str> {
        match self.out {
            Some(mut folded) => {
                folded.push_str(&self.text[self.copied..]);
                Cow::Owned(folded)
            }
            None => Cow::Borrowed(self.text),
        }
    }
}

/// [`fold_to_simplified`] in one pass with a look at the other characters beyond ASCII:
/// `None` as soon as one has `stop`. The characters of U+3000..U+9FFF (three bytes led by
/// 0xE3..0xE9: CJK punctuation, kana and Han) are not asked. The rules fold a text and ask
/// whether it has upper-case letters beyond ASCII: in two passes, the second cost about 430
/// instructions a Cathay mail.
pub fn fold_to_simplified_unless(text: &str, stop: impl Fn(char) -> bool) -> Option<Cow<'_, str>> {
    let bytes = text.as_bytes();
    let mut folding = Folding::new(text);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            0..=0x7f => i += 1,
            0xe4..=0xe9 if i + 2 < bytes.len() => {
                folding.fold_at(bytes, i);
                i += 3;
            }
            0xe3 => i += 3,
            _ => {
                let c = text[i..].chars().next().expect("i is at a character boundary");
                if stop(c) {
                    return None;
                }
                i += c.len_utf8();
            }
        }
    }
    Some(folding.finish())
}

/// The Simplified form of `c` when it is a Traditional-only character of the table or one of
/// [`VARIANTS_TRADITIONAL`] (the Mandarin one for a [`CANTONESE`] character).
pub fn simplified_of(c: char) -> Option<char> {
    simplified_in(folding_table(), c as u32)
}

/// The Simplified form of the character with code point `code`, looked up in `table`
/// ([`folding_table`]).
fn simplified_in(table: &[u16], code: u32) -> Option<char> {
    let to = *table.get(code.checked_sub(FOLD_FROM)? as usize)?;
    (to != 0).then(|| char::from_u32(FOLD_FROM + u32::from(to) - 1).expect("a table character"))
}

/// The first character of the block the table's characters are in (CJK Unified Ideographs).
const FOLD_FROM: u32 = 0x4e00;

/// Cantonese function characters that Hong Kong customers write where Mandarin has another
/// (唔 for 不, 冇 for 没, 咗 for 了: 收唔到, 冇收到, 唔成功, 忘記咗; 嘅 and 啲 for 的: 我嘅戶口,
/// 錢包啲錢; 喺 for 在 and 佢 for 他: 喺網上買嘢, 佢話收唔到; and the verbs 嚟 來, 睇 看, 搵 找,
/// 諗 想, 攞 拿, 畀 and 俾 給: 退返嚟, 睇唔到, 搵唔到, 攞返啲錢, 俾錢; 哋 for 們 and 嗰 for 那:
/// 你哋嘅服務, 嗰筆錢). Folded like the Traditional-only characters, so that rules and
/// examples written in Mandarin read them, but no sign of either script: they stay out of the
/// script table.
const CANTONESE: &str = "唔冇咗嘅啲喺佢嚟睇搵諗攞畀俾哋嗰";
/// Their Mandarin forms, aligned with [`CANTONESE`].
const CANTONESE_MANDARIN: &str = "不没了的的在他来看找想拿给给们那";

/// Each (Cantonese, Mandarin) pair of [`CANTONESE`].
fn cantonese() -> impl Iterator<Item = (char, char)> {
    CANTONESE.chars().zip(CANTONESE_MANDARIN.chars())
}

/// Traditional-only characters whose Simplified form Traditional text uses too (里 is a unit of
/// length in both scripts, 裡 only "inside"; 游 is "swim" in both, 遊 only "travel"; 系 a
/// department, 係 "relation" and Cantonese "is"): 這裡, 之後, 上週, 新臺幣, 註冊, 信託, 標準, 沒關係, 旅遊. They
/// are folded, so that a rule written 注册 or 台币 reads 註冊 and 臺幣, but they are no pair of
/// the script table: its other direction ([`to_traditional`]) would turn every 里 into 裡.
const VARIANTS_TRADITIONAL: &str =
    "裡裏後於週臺檯註託準製隻佔夥迴瞭乾髮鬆麵徵捲嚮闆傢僱纔鬥穀醜蒐誌鍾曆摺沖復劃並幹併採強繫佈諮塗緻係遊釦";
/// Their Simplified forms, aligned with [`VARIANTS_TRADITIONAL`].
const VARIANTS_SIMPLIFIED: &str =
    "里里后于周台台注托准制只占伙回了干发松面征卷向板家雇才斗谷丑搜志钟历折冲复划并干并采强系布咨涂致系游扣";

/// Each (variant, Simplified) pair of [`VARIANTS_TRADITIONAL`].
fn traditional_variants() -> impl Iterator<Item = (char, char)> {
    VARIANTS_TRADITIONAL.chars().zip(VARIANTS_SIMPLIFIED.chars())
}

/// For each character of U+4E00..U+A000, its Simplified (or Mandarin) form's offset in the
/// block plus one when it is a Traditional-only character of the table, one of
/// [`VARIANTS_TRADITIONAL`] or one of [`CANTONESE`], else 0: one look-up per character.
fn folding_table() -> &'static [u16] {
    static TABLE: OnceLock<Vec<u16>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = vec![0u16; 0x5200];
        // Written last, the first pair of a character wins.
        let pairs: Vec<(char, char)> = script_pairs().collect();
        for (from, to) in pairs.into_iter().rev().chain(traditional_variants()).chain(cantonese()) {
            let slot = u32::from(from) - FOLD_FROM;
            table[slot as usize] = u16::try_from(u32::from(to) - FOLD_FROM + 1).expect("in the block");
        }
        table
    })
}

/// `text` with every Simplified-only character of the table replaced by its Traditional form.
pub fn to_traditional(text: &str) -> String {
    let table = traditional_table();
    text.chars().map(|c| table.get(&c).copied().unwrap_or(c)).collect()
}

/// Each Simplified character of the table and its Traditional form; where a character has
/// two, the first pair (a rule's keywords are turned with this at every load: searching the
/// table's strings a character at a time took a fifth of loading the rules).
fn traditional_table() -> &'static HashMap<char, char> {
    static TABLE: OnceLock<HashMap<char, char>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = HashMap::new();
        for (traditional, simplified) in script_pairs() {
            table.entry(simplified).or_insert(traditional);
        }
        table
    })
}

/// Each (Traditional, Simplified) pair of the table, for callers that keep their own map.
pub fn script_pairs() -> impl Iterator<Item = (char, char)> {
    TRADITIONAL.chars().zip(SIMPLIFIED.chars())
}

#[cfg(test)]
mod script_tests {
    use super::*;

    #[test]
    fn folding_keeps_every_byte_offset() {
        for (t, s) in script_pairs() {
            assert_eq!(t.len_utf8(), s.len_utf8(), "{t} and {s} differ in length");
        }
        let text = "網路銀行忘記了 ok";
        let folded = fold_to_simplified(text);
        assert_eq!(folded, "网路银行忘记了 ok");
        assert_eq!(folded.len(), text.len());
        assert!(matches!(fold_to_simplified("网银 ok"), Cow::Borrowed(_)), "nothing to fold: borrowed");
        assert_eq!(fold_to_simplified("\u{4000}\u{4dff}說"), "\u{4000}\u{4dff}说", "before the block");
        for (t, s) in script_pairs() {
            assert!((0x4e00..0xa000).contains(&u32::from(t)) && (0x4e00..0xa000).contains(&u32::from(s)));
            assert_eq!(fold_to_simplified(&t.to_string()), s.to_string(), "the first pair of {t} wins");
        }
    }

    #[test]
    fn folding_unless_a_character_stops_it_folds_as_folding_alone() {
        let upper = |c: char| c.is_uppercase();
        for text in
            ["這個帳戶的錢還沒到賬，請問 ok?", "网银 ok", "é 說 ü 「退款」 ｒｅｆｕｎｄ 😀 裡", "", "abc"]
        {
            assert_eq!(fold_to_simplified_unless(text, upper), Some(fold_to_simplified(text)), "{text}");
        }
        assert!(matches!(fold_to_simplified_unless("网银", upper), Some(Cow::Borrowed(_))));
        assert_eq!(fold_to_simplified_unless("說 É", upper), None);
        assert_eq!(fold_to_simplified_unless("說 ΣΑΣ", upper), None);
    }

    #[test]
    fn traditional_variants_fold_and_stay_out_of_the_script_table() {
        let text = "這裡之後，上週註冊的新臺幣帳戶，恢復並沖正";
        let folded = fold_to_simplified(text);
        assert_eq!(folded, "这里之后，上周注册的新台币帐户，恢复并冲正");
        assert_eq!(folded.len(), text.len(), "the same byte offsets");
        assert_eq!(VARIANTS_TRADITIONAL.chars().count(), VARIANTS_SIMPLIFIED.chars().count());
        for (t, s) in traditional_variants() {
            assert_eq!(t.len_utf8(), s.len_utf8(), "{t} and {s} differ in length");
            assert!(!TRADITIONAL.contains(t), "{t} is a character of the table already");
        }
        assert_eq!(to_traditional("这里"), "這里", "里 is never written back as 裡");
    }

    #[test]
    fn cantonese_function_characters_fold_to_mandarin_and_decide_no_script() {
        let text = "收唔到驗證碼，冇收到錢，忘記咗密碼，我嘅錢包啲錢，喺網上，佢話，睇唔到，搵唔到，攞返，你哋，嗰筆";
        let folded = fold_to_simplified(text);
        assert_eq!(
            folded,
            "收不到验证码，没收到钱，忘记了密码，我的钱包的钱，在网上，他话，看不到，找不到，拿返，你们，那笔"
        );
        assert_eq!(folded.len(), text.len(), "the same byte offsets");
        assert_eq!(CANTONESE.chars().count(), CANTONESE_MANDARIN.chars().count());
        assert_eq!(detect("我個戶口唔見咗錢"), Language::ZhHant, "the Traditional characters still decide");
        assert_eq!(detect("唔该"), detect("不该"), "no script of their own");
    }

    #[test]
    fn converts_between_scripts() {
        assert_eq!(to_traditional("账户被锁定"), "賬戶被鎖定");
        assert_eq!(to_simplified("帳戶被鎖定"), "帐户被锁定");
    }
}
