//! The rule language of issue 17 end to end: rule files in a temporary directory, loaded,
//! checked and applied to small mails.

use super::{Action, RuleSet};

/// Loads `files` (name, text) as a rule directory, with `vocabulary/words.toml` when given.
fn rules(files: &[(&str, &str)], vocabulary: Option<&str>) -> Result<RuleSet, Vec<super::Problem>> {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    if let Some(words) = vocabulary {
        std::fs::create_dir(dir.path().join("vocabulary")).unwrap();
        std::fs::write(dir.path().join("vocabulary/words.toml"), words).unwrap();
    }
    RuleSet::load(dir.path(), &|_| true)
}

/// One rule `id` of category `id` whose condition is `when` (TOML inline), at `priority`.
fn rule(id: &str, priority: i64, when: &str) -> String {
    format!(
        "[[rule]]\nid = \"{id}\"\npriority = {priority}\ncategory = \"{id}\"\naction = \"answer\"\ntemplate = \"t\"\n\
         [rule.when]\nany = [\n  {when},\n]\n"
    )
}

/// A customer mail saying `text`.
fn customer_mail(text: &str) -> crate::parse::Inbound {
    let raw = format!("From: a@customer.test\r\nSubject: Help\r\n\r\n{text}\r\n");
    crate::parse::parse(raw.as_bytes()).unwrap()
}

/// What `set` makes of a customer mail saying `text`.
fn classified(set: &RuleSet, text: &str) -> super::Classification {
    let mail = customer_mail(text);
    set.classify(&mail, &crate::screen::screen(&mail, &[]))
}

/// The category `set` gives a customer mail saying `text`, the same through the fast path
/// (`classify`) as through the explained one.
fn category(set: &RuleSet, text: &str) -> String {
    let mail = customer_mail(text);
    let verdict = crate::screen::screen(&mail, &[]);
    let quick = set.classify(&mail, &verdict);
    let (explained, _) = set.classify_explained(&mail, &verdict);
    assert_eq!(quick.category, explained.category, "{text}");
    assert_eq!(quick.action, explained.action, "{text}");
    quick.category.as_deref().unwrap_or_default().to_string()
}

#[test]
fn proximity_in_chinese_and_english() {
    let set = rules(
        &[(
            "r.toml",
            &rule(
                "confirm",
                10,
                r#"{ field = "text", within = 4, near = [["验证码", "code"], ["收不到", "never arrived", "not received"]] }"#,
            ),
        )],
        None,
    )
    .unwrap();
    assert_eq!(category(&set, "我收不到短信验证码"), "confirm");
    assert_eq!(category(&set, "验证码一直收不到"), "confirm");
    assert_eq!(category(&set, "The code you sent never arrived"), "confirm");
    assert_eq!(category(&set, "收不到钱，我之前输入过很多很多次验证码"), "other", "too far apart");
    assert_eq!(category(&set, "验证码收到了。邮件收不到"), "other", "a sentence end separates");
    assert_eq!(category(&set, "The card never arrived"), "other", "every group must occur");
}

#[test]
fn exclusions_by_longer_phrase_and_by_negation() {
    let withdrawal = rule(
        "withdrawal",
        10,
        r#"{ field = "text", both_scripts = true, except = ["提款卡", "提款机"], keywords = ["提款"] }"#,
    );
    let locked = rule(
        "locked",
        20,
        r#"{ field = "text", both_scripts = true, unless_negated = true, keywords = ["停用", "cancel"] }"#,
    );
    let password = rule("password", 30, r#"{ field = "text", except = ["交易密码"], keywords = ["密码"] }"#);
    let vocabulary = "[negation]\nwords = [\"不用\", \"no need to\"]\n";
    let set = rules(&[("a.toml", &withdrawal), ("b.toml", &locked), ("c.toml", &password)], Some(vocabulary))
        .unwrap();
    assert_eq!(category(&set, "提款多久到账"), "withdrawal");
    assert_eq!(category(&set, "我的提款卡丢了"), "other");
    assert_eq!(category(&set, "我的提款機卡住了"), "other", "the exclusion holds in the other script");
    assert_eq!(category(&set, "提款卡每天的提款上限是多少"), "withdrawal", "the second 提款 counts");
    assert_eq!(category(&set, "请帮我停用账户"), "locked");
    assert_eq!(category(&set, "我不用停用账户"), "other");
    assert_eq!(category(&set, "不用停用，但请停用另一个"), "locked", "a comma ends the negation");
    assert_eq!(category(&set, "There is no need to cancel it"), "other");
    assert_eq!(category(&set, "Please cancel it"), "locked");
    assert_eq!(category(&set, "忘了交易密码"), "other");
    assert_eq!(category(&set, "忘了登录密码"), "password");
}

#[test]
fn a_word_the_customer_denies_counts_for_no_rule() {
    let refund =
        rule("refund", 10, r#"{ field = "text", both_scripts = true, keywords = ["退款", "refund"] }"#);
    let rate = rule(
        "currency",
        20,
        r#"{ field = "text", within = 3, near = [["exchange", "匯率"], ["rate", "问题", "高"]] }"#,
    );
    let vocabulary =
        "[denial]\nbefore = [\"不是要\", \"not asking for\"]\nafter = [\"不用了\", \"is fine\"]\n";
    let set = rules(&[("a.toml", &refund), ("b.toml", &rate)], Some(vocabulary)).unwrap();
    assert_eq!(category(&set, "我要退款"), "refund");
    assert_eq!(category(&set, "我不是要退款"), "other", "a cue before the word");
    assert_eq!(category(&set, "我不是要退款，退款到哪了"), "refund", "a comma ends the denial");
    assert_eq!(category(&set, "退款不用了"), "other", "a cue after the word");
    assert_eq!(category(&set, "I'm not asking for a refund"), "other", "a word between");
    assert_eq!(category(&set, "The exchange rate is fine"), "other", "a proximity word denied");
    assert_eq!(category(&set, "The exchange rate is too high"), "currency");
    let plain = rules(&[("a.toml", &refund)], None).unwrap();
    assert_eq!(category(&plain, "我不是要退款"), "refund", "no cues, no denial");
}

#[test]
fn a_currency_written_in_an_amount_does_not_count_with_unless_amount() {
    let currency = rule(
        "currency",
        10,
        r#"{ field = "text", both_scripts = true, unless_amount = true, keywords = ["eur", "dollars", "美元"] }"#,
    );
    let set = rules(&[("a.toml", &currency)], None).unwrap();
    assert_eq!(category(&set, "Can I pay in EUR?"), "currency");
    assert_eq!(category(&set, "I paid 64.90 EUR and the shop never sent it"), "other");
    assert_eq!(category(&set, "I tried to top up 50 dollars"), "other");
    assert_eq!(category(&set, "付了100美元，东西没收到"), "other");
    assert_eq!(category(&set, "可以用美元付款吗"), "currency");
    assert_eq!(
        category(&set, "I paid 20 EUR, do you also take dollars?"),
        "currency",
        "the second one counts"
    );
}

#[test]
fn english_word_forms_are_narrower_than_a_wildcard() {
    let set = rules(&[("r.toml", &rule("fees", 10, r#"{ field = "text", keywords = ["charge+"] }"#))], None)
        .unwrap();
    for text in ["Why the charge?", "You charged me", "It charges", "Stop charging me"] {
        assert_eq!(category(&set, text), "fees", "{text}");
    }
    assert_eq!(category(&set, "I want a chargeback"), "other");
    assert_eq!(category(&set, "Is it chargeable?"), "other");
}

#[test]
fn regional_vocabulary_comes_from_data() {
    let fees = rule("fees", 10, r#"{ field = "text", both_scripts = true, keywords = ["转账手续费"] }"#);
    let words = "[[same]]\nwords = [\"手续费\", \"汇费\"]\n[[same]]\nwords = [\"转账\", \"匯款\"]\n";
    let set = rules(&[("r.toml", &fees)], Some(words)).unwrap();
    assert_eq!(category(&set, "转账手续费多少"), "fees");
    assert_eq!(category(&set, "轉賬匯費是多少"), "fees", "Traditional script and the Taiwan word");
    assert_eq!(category(&set, "請問匯款匯費多少"), "fees", "both words of the keyword replaced");
    assert_eq!(category(&set, "匯款手續費"), "fees");
    assert_eq!(category(&set, "匯款的匯費"), "other", "a word between");
    let without = rules(&[("r.toml", &fees)], None).unwrap();
    assert_eq!(category(&without, "轉賬匯費是多少"), "other", "the group is what adds it");
}

#[test]
fn a_misspelling_is_put_right_for_the_rules_and_for_what_reads_the_text_next() {
    let topup = rule("topup", 10, r#"{ field = "text", both_scripts = true, keywords = ["充值失败"] }"#);
    let words = "[[spelling]]\nword = \"充值\"\nas = [\"冲值\"]\n";
    let set = rules(&[("r.toml", &topup)], Some(words)).unwrap();
    assert_eq!(category(&set, "今天沖值失敗了"), "topup");
    let mail = customer_mail("今天冲值失败了");
    let verdict = crate::screen::screen(&mail, &[]);
    let scan = super::scan::Scan::new(&set, &mail, &verdict, false);
    let (text, _) = scan.text().unwrap();
    assert!(text.contains("今天充值失败了"), "the model reads {text}");
}

#[test]
fn the_model_is_handed_the_text_as_the_scan_folded_it_or_nothing() {
    use super::model::Folded;
    let topup = rule("topup", 10, r#"{ field = "text", both_scripts = true, keywords = ["充值失败"] }"#);
    let words = "[[spelling]]\nword = \"充值\"\nas = [\"冲值\"]\n";
    let set = rules(&[("r.toml", &topup)], Some(words)).unwrap();
    for body in [
        "今天沖值失敗了",
        "今天冲值失败了",
        "今 天 冲 值 失 败",
        "請問退款",
        "refund please",
        "ÄNDERUNG 退款",
    ] {
        let mail = customer_mail(body);
        let verdict = crate::screen::screen(&mail, &[]);
        let scan = super::scan::Scan::new(&set, &mail, &verdict, false);
        let (text, folded) = scan.text().unwrap();
        let refolded = crate::parse::lang::fold_to_simplified(text);
        match folded {
            Folded::Same => assert_eq!(refolded, text, "{body}"),
            Folded::To(folded) => assert_eq!(refolded, folded.as_str(), "{body}"),
            // Lower-cased before the scan: the scan read another text than the model will.
            Folded::Unknown => assert_eq!(body, "ÄNDERUNG 退款"),
        }
    }
}

#[test]
fn spaced_chinese_is_joined_and_respelt_for_the_rules_and_the_model() {
    let topup = rule("topup", 10, r#"{ field = "text", both_scripts = true, keywords = ["充值失败"] }"#);
    let words = "[[spelling]]\nword = \"充值\"\nas = [\"冲值\"]\n";
    let set = rules(&[("r.toml", &topup)], Some(words)).unwrap();
    assert_eq!(category(&set, "冲 值 失 败 了"), "topup");
    assert_eq!(category(&set, "沖 值 失 敗 了"), "topup");
    let mail = customer_mail("冲 值 失 败 了");
    let verdict = crate::screen::screen(&mail, &[]);
    assert!(set.text_as_read(&mail, &verdict).contains("充值失败了"));
    assert_eq!(category(&set, "充值 失败了"), "other", "a space between words of two characters stays");
}

#[test]
fn proximity_across_the_next_sentence_when_the_matcher_asks() {
    let within = r#"{ field = "text", within = 12, near = [["brother"], ["not received"]] }"#;
    let across = r#"{ field = "text", within = 12, sentences = 2, near = [["brother"], ["not received"]] }"#;
    let text = "I sent money to my brother on Monday. He has not received it.";
    let one = rules(&[("r.toml", &rule("transfer", 10, within))], None).unwrap();
    assert_eq!(category(&one, text), "other");
    let two = rules(&[("r.toml", &rule("transfer", 10, across))], None).unwrap();
    assert_eq!(category(&two, text), "transfer");
}

#[test]
fn the_highest_score_decides_not_the_first_rule() {
    let locked = rule("account_locked", 10, r#"{ field = "text", weight = 1, keywords = ["freeze"] }"#);
    let security =
        rule("account_security", 20, r#"{ field = "text", weight = 3, keywords = ["someone is using"] }"#);
    let set = rules(&[("a.toml", &locked), ("b.toml", &security)], None).unwrap();
    assert_eq!(category(&set, "Freeze my card, someone is using my account"), "account_security");
    assert_eq!(category(&set, "Please freeze my card"), "account_locked");
}

#[test]
fn equal_scores_go_to_the_lower_priority_and_ask_two_questions() {
    let refund = rule("refund", 10, r#"{ field = "text", weight = 1, keywords = ["refund"] }"#);
    let fees = rule("fees", 20, r#"{ field = "text", weight = 1, keywords = ["fee"] }"#);
    let set = rules(&[("a.toml", &refund), ("b.toml", &fees)], None).unwrap();
    let c = classified(&set, "A refund, and what is the fee?");
    assert_eq!(c.category.as_deref(), Some("refund"));
    assert_eq!(c.action, Action::Acknowledge, "two questions: no canned answer");
    assert_eq!(*c.tags, ["refund", "fees"]);
    assert!(c.held.unwrap().contains("two questions"));
}

#[test]
fn an_urgent_second_question_keeps_its_priority_and_sla() {
    let fees = rule("fees", 20, r#"{ field = "text", weight = 3, keywords = ["fee"] }"#);
    let security = "[[rule]]\nid = \"security\"\npriority = 10\ncategory = \"account_security\"\n\
                    action = \"escalate\"\nescalate_priority = \"urgent\"\nsla = \"4h\"\n\
                    [rule.when]\nany = [{ field = \"text\", weight = 1, keywords = [\"not mine\"] }]\n";
    let set = rules(&[("a.toml", &fees), ("b.toml", security)], None).unwrap();
    let c = classified(&set, "What is this fee? The payment is not mine.");
    assert_eq!(c.category.as_deref(), Some("fees"));
    assert_eq!(c.action, Action::Acknowledge, "a person must see it");
    assert_eq!(*c.tags, ["fees", "account_security"]);
    assert_eq!(c.priority, super::Priority::Urgent);
    assert_eq!(c.sla, Some(jiff::SignedDuration::from_hours(4)));
}

#[test]
fn a_rule_without_weights_decides_by_priority_as_before() {
    let vip = "[[rule]]\nid = \"vip\"\npriority = 5\ncategory = \"vip\"\naction = \"acknowledge\"\n\
               [rule.when]\nfield = \"text\"\nkeywords = [\"urgent\"]\n";
    let refund = rule("refund", 50, r#"{ field = "text", weight = 3, keywords = ["refund"] }"#);
    let late = rule("late", 95, r#"{ field = "text", keywords = ["statement"] }"#);
    let set = rules(&[("a.toml", vip), ("b.toml", &refund), ("c.toml", &late)], None).unwrap();
    assert_eq!(category(&set, "Urgent: a refund please"), "vip", "first by priority, whatever the scores");
    assert_eq!(category(&set, "A refund and my statement"), "refund", "an earlier weighted rule still wins");
    assert_eq!(category(&set, "My statement please"), "late");
}

#[test]
fn rules_check_reports_misused_new_keys() {
    for (when, expected) in [
        (r#"{ field = "text", near = [["a"], ["b"]] }"#, "`near` needs `within`"),
        (r#"{ field = "text", within = 3, near = [["a"]] }"#, "two or more non-empty word groups"),
        (r#"{ field = "text", within = 3, keywords = ["a"] }"#, "`within` goes with `near`"),
        (r#"{ field = "from", except = ["x"], equals = ["a"] }"#, "go with `keywords` or `near`"),
        (r#"{ field = "text", weight = 0, keywords = ["a"] }"#, "weight must be a positive number"),
        (r#"{ field = "text", sentences = 2, keywords = ["a"] }"#, "`sentences` goes with `near`"),
        (r#"{ field = "text", within = 3, sentences = 9, near = [["a"], ["b"]] }"#, "`sentences` is 1 to 3"),
        (r#"{ field = "text", within = 3, sentences = 0, near = [["a"], ["b"]] }"#, "`sentences` is 1 to 3"),
    ] {
        let problems = rules(&[("r.toml", &rule("x", 10, when))], None).expect_err(when);
        assert!(problems.iter().any(|p| p.message.contains(expected)), "{when}: {problems:?}");
        assert!(problems.iter().all(|p| p.line > 0), "{problems:?}");
    }
    let broken = rules(
        &[("r.toml", &rule("x", 10, r#"{ field = "text", keywords = ["a"] }"#))],
        Some("[[same]]\nwords = [\"a\"]\n"),
    );
    assert!(broken.err().unwrap()[0].message.contains("two or more"));
}

#[test]
fn the_model_is_trained_from_the_examples_beside_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.toml"),
        rule("fees", 10, r#"{ field = "text", weight = 3, keywords = ["fee"] }"#),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("examples")).unwrap();
    std::fs::write(dir.path().join("examples/fees.en.txt"), "what is the fee\nhow much does it cost\n")
        .unwrap();
    std::fs::write(
        dir.path().join("examples/other.en.txt"),
        "where is my new card\nmy new card has not come\nthe card was not delivered\n",
    )
    .unwrap();
    let set = RuleSet::load(dir.path(), &|_| true).unwrap();
    assert_eq!(set.model().unwrap().examples(), 5);
    let c = classified(&set, "What is the fee? My new card has not come, not delivered");
    let opinion = c.model.as_ref().unwrap();
    assert_eq!(&*opinion.category, "other");
    // Shared with the rule set, not copied (a copy was a heap allocation a mail).
    assert!(set.names.iter().any(|n| std::sync::Arc::ptr_eq(n, &opinion.category)));
    assert_eq!(c.category.as_deref(), Some("fees"), "the rules decide the category");
    // A strong match the model does not clearly reject is answered.
    let c = classified(&set, "What is the fee?");
    assert_eq!(c.action, Action::Answer);
    assert_eq!(&*c.model.unwrap().category, "fees");
}

#[test]
fn staff_corrections_retrain_the_second_opinion() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.toml"),
        rule("fees", 10, r#"{ field = "text", weight = 3, keywords = ["fee"] }"#),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("examples")).unwrap();
    std::fs::write(dir.path().join("examples/fees.en.txt"), "what is the fee\nhow much does it cost\n")
        .unwrap();
    std::fs::write(dir.path().join("examples/other.en.txt"), "where is my new card\nopening hours\n")
        .unwrap();
    let mut set = RuleSet::load(dir.path(), &|_| true).unwrap();
    let text = "the fee for my statement";
    let before = set.model().unwrap().predict(text, crate::parse::Language::En);
    assert_eq!(before.top().unwrap().0, "fees");
    let before = format!("{before:?}");
    let other_before = set.model().unwrap().predict(text, crate::parse::Language::En).probability("other");
    let correction = |category: &str| crate::rules::model::Example {
        category: category.into(),
        text: "a copy of my statement please".into(),
        language: crate::parse::Language::En,
    };
    let corrections = [correction("other"), correction("other"), correction("other"), correction("refnud")];
    assert_eq!(set.learn(&corrections), 3, "a category no rule has is left out");
    assert_eq!(set.model().unwrap().examples(), 7);
    let after = set.model().unwrap().predict(text, crate::parse::Language::En);
    assert!(after.probability("other") > other_before, "{before} -> {after:?}");
    assert_eq!(set.learn(&[]), 0);
    assert_eq!(set.model().unwrap().examples(), 4, "learning again starts from the directory's examples");
}

#[test]
fn both_scripts_match_mixed_text_and_one_script_only_its_own() {
    let both = rule("locked", 10, r#"{ field = "text", both_scripts = true, keywords = ["账户被锁"] }"#);
    let own = rule("hant", 20, r#"{ field = "text", keywords = ["帳戶凍結"] }"#);
    let set = rules(&[("a.toml", &both), ("b.toml", &own)], None).unwrap();
    assert_eq!(category(&set, "我的账户被锁了"), "locked");
    assert_eq!(category(&set, "我的賬戶被鎖了"), "locked");
    assert_eq!(category(&set, "我的账戶被鎖了"), "locked", "a mail mixing the scripts in one word");
    assert_eq!(category(&set, "我的帳戶凍結了"), "hant");
    assert_eq!(category(&set, "我的帐户冻结了"), "other", "without both_scripts, only the script written");
}

/// `equals`, `prefix` and `suffix` ignore case, whether the value is ASCII (compared as it is)
/// or not (lower-cased first), and an `all` rule on the language holds on that language only.
#[test]
fn literals_ignore_case_and_the_language_narrows_a_rule() {
    let from = |field: &str, kind: &str, value: &str, address: &str| {
        let set = rules(
            &[("r.toml", &rule("vip", 10, &format!(r#"{{ field = "{field}", {kind} = ["{value}"] }}"#)))],
            None,
        )
        .unwrap();
        let raw = format!("From: {address}\r\nSubject: Help\r\n\r\nhello\r\n");
        let mail = crate::parse::parse(raw.as_bytes()).unwrap();
        set.classify(&mail, &crate::screen::screen(&mail, &[]))
            .category
            .as_deref()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(from("from_domain", "equals", "VIP.test", "a@Vip.Test"), "vip");
    assert_eq!(from("from_domain", "equals", "vip.test", "a@vip.tester"), "other");
    assert_eq!(from("from", "prefix", "Boss@", "BOSS@vip.test"), "vip");
    assert_eq!(from("from_domain", "suffix", ".TEST", "a@shop.test"), "vip");
    assert_eq!(from("from_domain", "suffix", "longer.than.the.domain.test", "a@x.test"), "other");
    let zh_hant = r#"[[rule]]
id = "fee"
priority = 10
category = "fee"
action = "answer"
template = "t"
[rule.when]
all = [
  { field = "language", equals = ["zh-Hant"] },
  { field = "text", both_scripts = true, weight = 2, within = 6, near = [["转帐"], ["手续费"]] },
]
"#;
    let set = rules(&[("r.toml", zh_hant)], None).unwrap();
    assert_eq!(category(&set, "請問跨行轉帳的手續費是多少？"), "fee");
    assert_eq!(category(&set, "请问跨行转帐的手续费是多少？"), "other");
}

#[test]
fn a_rule_that_holds_answers_sends_the_mail_to_a_person_with_its_tags_and_priority() {
    let refund = rule("refund", 10, r#"{ field = "text", weight = 3, keywords = ["refund"] }"#);
    let complaint = "[[rule]]\nid = \"complaint\"\npriority = 900\ncategory = \"other\"\naction = \"escalate\"\n\
                     escalate_priority = \"high\"\ntemplate = \"t\"\ntags = [\"complaint\"]\nhold_answers = true\n\
                     [rule.when]\nany = [ { field = \"text\", weight = 0.5, keywords = [\"manager\"] } ]\n";
    let set = rules(&[("a.toml", &refund), ("b.toml", complaint)], None).unwrap();
    let answered = classified(&set, "Where is my refund?");
    assert_eq!((answered.action, answered.priority), (Action::Answer, super::Priority::Normal));
    let held = classified(&set, "Where is my refund? I want to speak to a manager.");
    assert_eq!(held.category.as_deref(), Some("refund"), "the topic still files the mail");
    assert_eq!(held.action, Action::Acknowledge);
    assert!(!held.resolves && held.held.as_deref().is_some_and(|why| why.contains("complaint")));
    assert_eq!(held.priority, super::Priority::High);
    assert!(held.tags.iter().any(|t| t == "complaint"), "{:?}", held.tags);
}

#[test]
fn a_cue_that_a_second_question_follows_holds_a_single_answer() {
    let password =
        rule("password", 10, r#"{ field = "text", weight = 3, keywords = ["reset my password"] }"#);
    let fees = rule("fees", 20, r#"{ field = "text", weight = 4, keywords = ["what do you charge"] }"#);
    let vocabulary = "[another_question]\nwords = [\"also\", \"另外，\"]\n";
    let set = rules(&[("a.toml", &password), ("b.toml", &fees)], Some(vocabulary)).unwrap();
    let one = classified(&set, "How can I reset my password? What do you charge for a transfer?");
    assert_eq!(one.action, Action::Answer, "without a cue, the weaker question is a side remark");
    let two = classified(&set, "How can I reset my password? Also, what do you charge for a transfer?");
    assert_eq!(two.action, Action::Acknowledge);
    assert!(["fees", "password"].iter().all(|c| two.tags.iter().any(|t| t == c)), "{:?}", two.tags);
}

#[test]
fn a_runner_up_of_an_unrelated_category_is_a_second_question_without_a_cue() {
    let password =
        rule("password", 10, r#"{ field = "text", weight = 3, keywords = ["reset my password"] }"#);
    let fees = rule("fees", 20, r#"{ field = "text", weight = 4, keywords = ["what do you charge"] }"#);
    let refund = rule("refund", 30, r#"{ field = "text", weight = 2, keywords = ["my money back"] }"#);
    let declared = "categories = [\"password\", \"fees\", \"refund\", \"other\"]\n\
                    neighbours = [[\"fees\", \"refund\"], [\"password\", \"other\"]]\n";
    let files =
        [("a.toml", &*password), ("b.toml", &*fees), ("c.toml", &*refund), ("categories.toml", declared)];
    let set = rules(&files, None).unwrap();
    let two = classified(&set, "How can I reset my password? What do you charge for a transfer?");
    assert_eq!(two.action, Action::Acknowledge, "a password and a fee are two questions");
    assert!(["fees", "password"].iter().all(|c| two.tags.iter().any(|t| t == c)), "{:?}", two.tags);
    // Neighbours tell one problem: a fee and the money asked back for it.
    let one = classified(&set, "What do you charge for that? I want my money back.");
    assert_eq!((one.category.as_deref(), one.action), (Some("fees"), Action::Answer));
}

#[test]
fn neighbours_must_name_declared_categories_in_groups_of_two() {
    let fees = rule("fees", 20, r#"{ field = "text", weight = 4, keywords = ["fee"] }"#);
    let declared = "categories = [\"fees\", \"other\"]\nneighbours = [[\"fees\", \"feez\"], [\"other\"]]\n";
    let problems = rules(&[("a.toml", &fees), ("categories.toml", declared)], None).unwrap_err();
    let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert!(text.iter().any(|p| p.contains("categories.toml:2") && p.contains("`feez`")), "{text:?}");
    assert!(text.iter().any(|p| p.contains("two categories")), "{text:?}");
}
