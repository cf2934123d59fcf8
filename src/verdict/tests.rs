//! The verdict on each fixture of `fixtures/verdicts/`, and the trust rules on small mails.

use super::*;
use crate::parse::parse;

fn trusting(ids: &[&str]) -> TrustSettings {
    TrustSettings { authserv_ids: ids.iter().map(|s| s.to_string()).collect(), ..TrustSettings::default() }
}

fn ours() -> TrustSettings {
    trusting(&["mail.example.test"])
}

fn fixture(name: &str) -> Judgement {
    let path = format!("{}/fixtures/verdicts/{name}", env!("CARGO_MANIFEST_DIR"));
    judge(&parse(&std::fs::read(path).unwrap()).unwrap(), &ours())
}

#[test]
fn spam_flagged_by_our_filter() {
    let j = fixture("spam-flagged.eml");
    assert_eq!(j.spam.as_deref(), Some("x-spam-flag: yes"));
    assert_eq!(j.withheld().map(|w| w.reason), Some(WithheldReason::Spam));
}

#[test]
fn dmarc_fail() {
    let j = fixture("dmarc-fail.eml");
    assert_eq!(j.spam, None);
    assert_eq!(j.authentication, Authentication::Fail("dmarc=fail header.from=bank.test".into()));
    assert_eq!(j.withheld().map(|w| w.reason), Some(WithheldReason::Authentication));
}

#[test]
fn spf_fail_with_an_aligned_dkim_pass() {
    let j = fixture("spf-fail-dkim-pass.eml");
    assert_eq!(
        j.authentication,
        Authentication::Pass("dkim=pass header.d=shop.test header.s=k1 header.b=Ab12Cd34".into())
    );
    assert_eq!(j.withheld(), None);
}

#[test]
fn forged_results_from_a_foreign_authserv_id_and_below_our_servers_are_ignored() {
    let j = fixture("forged-authserv.eml");
    assert!(
        matches!(&j.authentication, Authentication::Fail(why) if why.starts_with("no Authentication-Results")),
        "{j:?}"
    );
    assert_eq!(j.ignored.len(), 3, "{:?}", j.ignored);
    assert!(
        j.ignored.iter().any(|i| i == "Authentication-Results of mx.wallet.test: not a trusted authserv-id")
    );
    assert!(j.ignored.iter().any(|i| i.starts_with("Authentication-Results of mail.example.test: below")));
    assert!(j.ignored.iter().any(|i| i.starts_with("x-spam-status: no")));
}

#[test]
fn no_verdict_at_all() {
    let j = fixture("no-verdict.eml");
    assert_eq!(j.spam, None);
    assert!(matches!(&j.authentication, Authentication::Fail(_)));
    let unconfigured = judge(
        &parse(
            &std::fs::read(format!("{}/fixtures/verdicts/no-verdict.eml", env!("CARGO_MANIFEST_DIR")))
                .unwrap(),
        )
        .unwrap(),
        &TrustSettings::default(),
    );
    assert_eq!(
        unconfigured.authentication,
        Authentication::Unchecked("no trusted authserv-id configured".into())
    );
    assert_eq!(unconfigured.withheld(), None);
}

#[test]
fn without_trusted_ids_even_a_fail_of_our_server_withholds_nothing() {
    let j = judge(
        &parse(
            &std::fs::read(format!("{}/fixtures/verdicts/dmarc-fail.eml", env!("CARGO_MANIFEST_DIR")))
                .unwrap(),
        )
        .unwrap(),
        &TrustSettings::default(),
    );
    assert_eq!(j.withheld(), None);
    assert!(j.ignored.iter().any(|i| i.contains("not a trusted authserv-id")));
}

#[test]
fn authserv_id_matches_in_any_case_only_whole() {
    let raw = "Received: from a (a [192.0.2.1]) by mx.example.test; x\r\nFrom: a@shop.test\r\n\r\nhi";
    let top = |id: &str| format!("Authentication-Results: {id}; dmarc=pass header.from=shop.test\r\n{raw}");
    let pass = |id: &str| {
        matches!(
            judge(&parse(top(id).as_bytes()).unwrap(), &trusting(&["mx.example.test"])).authentication,
            Authentication::Pass(_)
        )
    };
    assert!(pass("MX.Example.Test"));
    assert!(!pass("mx.example.test.evil.test"));
    assert!(!pass("example.test"));
}

#[test]
fn a_spam_field_above_our_received_counts_and_below_does_not() {
    let above =
        "X-Spam: Yes\r\nReceived: from a (a [192.0.2.1]) by mx.example.test; x\r\nFrom: a@b.test\r\n\r\nhi";
    assert!(judge(&parse(above.as_bytes()).unwrap(), &ours()).spam.is_some());
    let below =
        "Received: from a (a [192.0.2.1]) by mx.example.test; x\r\nX-Spam: Yes\r\nFrom: a@b.test\r\n\r\nhi";
    assert!(judge(&parse(below.as_bytes()).unwrap(), &ours()).spam.is_none());
    let threshold = TrustSettings { spam_threshold: Some(4.0), ..ours() };
    let scored = "X-Spam-Score: 4.5\r\nReceived: from a (a [192.0.2.1]) by mx.example.test; x\r\nFrom: a@b.test\r\n\r\nhi";
    assert!(judge(&parse(scored.as_bytes()).unwrap(), &threshold).spam.is_some());
    assert!(judge(&parse(scored.as_bytes()).unwrap(), &ours()).spam.is_none());
}

proptest::proptest! {
    /// Whatever a sender writes in these fields, reading them does not panic, and an
    /// authserv-id that is not trusted never makes a pass.
    #[test]
    fn hostile_verdict_fields_never_panic_nor_pass(
        results in "[ -~\t\r\n()\"\\;=.@/]{0,200}",
        received in "[ -~\t()\\;\\[\\]]{0,120}",
        spam in "[ -~\t\\[\\]]{0,80}",
    ) {
        let clean = |s: &str| s.replace(['\r', '\n'], " ");
        let raw = format!(
            "Received: {}\r\nX-Spamd-Result: {}\r\nX-Spam-Status: {}\r\nAuthentication-Results: {}\r\nFrom: a@shop.test\r\n\r\nhi",
            clean(&received), clean(&spam), clean(&spam), clean(&results)
        );
        if let Ok(mail) = parse(raw.as_bytes()) {
            let j = judge(&mail, &trusting(&["trusted.invalid"]));
            proptest::prop_assert!(!matches!(j.authentication, Authentication::Pass(_)), "{j:?}");
        }
        let _ = authres::parse(&results);
        for field in spam::FIELDS {
            let _ = spam::read(field, &spam);
        }
    }
}
