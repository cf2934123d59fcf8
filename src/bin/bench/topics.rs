//! What the generated customers write: subjects and sentences per category and language,
//! their names, mail domains and mail programs.

/// What a customer writes about a category: subjects and sentences in each language.
pub struct Topic {
    pub subjects: [&'static [&'static str]; 3],
    pub sentences: [&'static [&'static str]; 3],
}

const fn topic(subjects: [&'static [&'static str]; 3], sentences: [&'static [&'static str]; 3]) -> Topic {
    Topic { subjects, sentences }
}

pub const CATEGORY_NAMES: [&str; 10] = [
    "password_reset",
    "missing_confirmation",
    "refund",
    "transaction_failure",
    "account_locked",
    "account_security",
    "withdrawal",
    "fees",
    "currency",
    "other",
];

/// The ten categories, in the order of `CATEGORY_NAMES` (languages: zh-Hans, zh-Hant, en).
pub static TOPICS: [Topic; 10] = [
    topic(
        [
            &["忘记密码", "密码重置", "登录不了"],
            &["忘記密碼", "密碼重置問題"],
            &["Forgot password", "Password reset", "Cannot log in"],
        ],
        [
            &[
                "我忘记密码了，登录不了账户。",
                "请问怎么重置密码？我试了好几次都收不到新密码。",
                "找回密码的时候一直提示失败。",
            ],
            &["我忘記密碼了，無法登入帳戶。", "請問怎麼重置密碼？我試了好幾次。"],
            &[
                "I forgot my password and I can't log in to my account.",
                "Please help me reset my password, the reset link from yesterday does not work.",
            ],
        ],
    ),
    topic(
        [
            &["没收到确认邮件", "验证码收不到"],
            &["沒收到確認郵件", "收不到驗證碼"],
            &["Confirmation email not received", "No verification code"],
        ],
        [
            &["注册以后一直没收到确认邮件，垃圾箱也看过了。", "手机收不到验证码，请重新发送。"],
            &["註冊以後一直沒收到確認郵件，垃圾郵件也看過了。", "收不到驗證碼，麻煩重新發送。"],
            &[
                "I signed up yesterday but I never received the confirmation email.",
                "The verification code never arrives. Could you resend it?",
            ],
        ],
    ),
    topic(
        [
            &["申请退款", "退款什么时候到"],
            &["申請退款", "退款進度"],
            &["Refund request", "Where is my refund?"],
        ],
        [
            &["我想申请退款，商家已经同意了。", "订单取消了，但是钱还没有退回来，请帮忙查一下退款。"],
            &["我想申請退款，商家已經同意了。", "訂單取消了，請幫我查詢退款進度。"],
            &[
                "I would like a refund for this order, the merchant never shipped it.",
                "The merchant cancelled my order, when do I get my money back?",
            ],
        ],
    ),
    topic(
        [&["支付失败", "充值失败"], &["付款失敗", "交易失敗"], &["Payment failed", "Top-up declined"]],
        [
            &["今天付款的时候支付失败了，页面提示交易失败。", "充值失败，但是银行卡好像扣了两次。"],
            &["今天付款的時候支付失敗了，頁面顯示交易失敗。", "儲值一直交易失敗，請問是什麼原因？"],
            &[
                "My payment failed at checkout with an error message.",
                "My card was declined twice today when I tried to top up.",
            ],
        ],
    ),
    topic(
        [
            &["账户被锁定", "账户冻结了"],
            &["帳戶被鎖定", "賬戶凍結"],
            &["Account locked", "My account is frozen"],
        ],
        [
            &["我的账户被锁定了，请帮忙解锁。", "账户突然被冻结，什么时候可以解冻？"],
            &["我的賬戶被鎖定了，請幫忙解鎖。", "帳戶突然被凍結，什麼時候可以解凍？"],
            &[
                "My account is locked after several attempts, please unlock it.",
                "My account has been frozen since Monday and I need it for work.",
            ],
        ],
    ),
    topic(
        [
            &["账户被盗", "有陌生交易"],
            &["帳戶被盜", "有陌生交易"],
            &["Account hacked", "Unauthorized transaction"],
        ],
        [
            &[
                "我的账户被盗了，有一笔陌生交易不是我本人操作的。",
                "收到一封钓鱼邮件以后，账户里多了几笔可疑交易。",
            ],
            &["我的賬戶被盜了，有一筆陌生交易不是我本人操作的。", "帳戶有異地登入，不是我本人操作。"],
            &[
                "There is a payment I did not make, I think my account was hacked.",
                "I clicked a phishing link and now I see unauthorized transactions.",
            ],
        ],
    ),
    topic(
        [
            &["提现没到账", "提现多久到账"],
            &["提現沒到賬", "提現問題"],
            &["Withdrawal not received", "Withdrawal pending"],
        ],
        [
            &["三天前提现到银行卡，到现在还没到账。", "请问提现一般多久到账？"],
            &["三天前提現到銀行卡，到現在還沒到賬。", "請問提現一般多久到賬？"],
            &[
                "I made a withdrawal to my bank card three days ago and it has not arrived.",
                "How long does it take to withdraw money to my bank account?",
            ],
        ],
    ),
    topic(
        [
            &["手续费问题", "收费标准"],
            &["手續費問題", "收費標準"],
            &["Question about fees", "Why was I charged?"],
        ],
        [
            &["请问国际转账的手续费是多少？", "为什么这笔付款收了服务费？"],
            &["請問國際轉賬的手續費是多少？", "為什麼這筆付款收了服務費？"],
            &["What is the fee for sending money abroad?", "Why was I charged a commission on this payment?"],
        ],
    ),
    topic(
        [
            &["汇率问题", "支持哪些币种"],
            &["匯率問題", "支援哪些幣種"],
            &["Exchange rate question", "Supported currencies"],
        ],
        [
            &["请问支持哪些币种？汇率是怎么算的？", "付款的时候显示的汇率和银行的不一样。"],
            &["請問支援哪些幣種？匯率是怎麼算的？", "付款時顯示的匯率和銀行的不一樣。"],
            &[
                "Which currencies do you support and which exchange rate do you use?",
                "Can I convert my balance to another currency?",
            ],
        ],
    ),
    topic(
        [
            &["导出交易记录", "合作咨询", "投诉"],
            &["匯出交易記錄", "合作洽詢"],
            &["Export of my history", "Partnership", "Feedback"],
        ],
        [
            &[
                "请问怎么导出全年的交易记录？需要CSV格式。",
                "我们公司想和贵公司洽谈合作。",
                "我要投诉你们客服的服务态度。",
            ],
            &["請問怎麼匯出全年的交易記錄？", "我們公司想和貴公司洽談合作。"],
            &[
                "How can I export my transaction history as a CSV file?",
                "We are a travel agency and would like to discuss a partnership.",
                "Your app looks great, thank you for the new design.",
            ],
        ],
    ),
];

pub const HANS_NAMES: [&str; 8] = ["王小明", "李娜", "张伟", "刘洋", "陈静", "王喆", "朱镕", "赵敏"];
pub const HANT_NAMES: [&str; 6] = ["陳大文", "林美玲", "黃志明", "張家豪", "李淑芬", "吳建宏"];
pub const EN_NAMES: [&str; 8] = [
    "Ann Lee",
    "John Smith",
    "Maria Garcia",
    "David Chen",
    "Sarah O'Brien",
    "Tom Baker",
    "Priya Patel",
    "Ken Ito",
];
pub const DOMAINS: [&str; 8] = [
    "qq.example",
    "163.example",
    "gmail.example",
    "outlook.example",
    "yahoo.example",
    "hinet.example",
    "corp.example",
    "126.example",
];
pub const MAILERS: [&str; 5] = [
    "Foxmail 7.2.25.228[cn]",
    "Microsoft Outlook 16.0",
    "Apple Mail (2.3774.600.62)",
    "QQMail 2.x",
    "Mozilla Thunderbird 128.3.1",
];
