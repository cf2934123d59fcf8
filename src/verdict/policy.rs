//! Verdict stage, the authentication policy: from the trusted results, whether the sender of
//! the From address may get automatic mail.
//!
//! DMARC already checks that SPF or DKIM passed for a domain aligned with From, so its result
//! decides when there is one (`fail` over `pass` when trusted servers disagree). Without one,
//! `aligned` accepts an SPF pass for the envelope sender's domain or a DKIM pass for the
//! signing domain when that domain is the From domain, a subdomain of it or its parent
//! (relaxed alignment without the public suffix list: `mail.shop.test` and `shop.test` align).

use super::authres::{AuthResults, MethodResult};
use super::{Authentication, Policy, TrustSettings};

/// The verdict for mail from `from_domain` with the `trusted` results.
pub fn authenticate(
    trusted: &[AuthResults],
    from_domain: &str,
    policy: Policy,
    settings: &TrustSettings,
) -> Authentication {
    if policy == Policy::Off {
        let why = if settings.authserv_ids.is_empty() {
            "no trusted authserv-id configured".to_string()
        } else {
            "policy off".to_string()
        };
        return Authentication::Unchecked(why);
    }
    let results: Vec<&MethodResult> = trusted.iter().flat_map(|r| &r.results).collect();
    if results.is_empty() {
        return Authentication::Fail(format!(
            "no Authentication-Results from a trusted server ({})",
            settings.authserv_ids.join(", ")
        ));
    }
    let dmarc: Vec<&MethodResult> = results
        .iter()
        .copied()
        .filter(|r| {
            r.method == "dmarc" && r.prop("header.from").is_none_or(|d| d.eq_ignore_ascii_case(from_domain))
        })
        .collect();
    if let Some(fail) = dmarc.iter().find(|r| r.result == "fail") {
        return Authentication::Fail(fail.describe());
    }
    if let Some(pass) = dmarc.iter().find(|r| r.result == "pass") {
        return Authentication::Pass(pass.describe());
    }
    if policy == Policy::Aligned
        && let Some(pass) = results.iter().find(|r| aligned_pass(r, from_domain))
    {
        return Authentication::Pass(pass.describe());
    }
    let found: Vec<String> = results.iter().map(|r| r.describe()).collect();
    let wanted = match policy {
        Policy::Dmarc => "no dmarc=pass".to_string(),
        _ => format!("no DMARC result and no SPF or DKIM pass for {from_domain}"),
    };
    Authentication::Fail(format!("{wanted}: {}", found.join("; ")))
}

/// An SPF or DKIM pass for a domain aligned with `from_domain`.
fn aligned_pass(result: &MethodResult, from_domain: &str) -> bool {
    if result.result != "pass" {
        return false;
    }
    let domain = match result.method.as_str() {
        "spf" => result.prop("smtp.mailfrom"),
        "dkim" => result.prop("header.d").or_else(|| result.prop("header.i")),
        _ => None,
    };
    domain.map(domain_of).is_some_and(|d| aligned(&d, from_domain))
}

/// The domain of `user@domain`, `@domain` or `domain`, lower-case.
fn domain_of(value: &str) -> String {
    value.rsplit_once('@').map_or(value, |(_, d)| d).trim_end_matches('.').to_ascii_lowercase()
}

fn aligned(a: &str, b: &str) -> bool {
    let b = b.to_ascii_lowercase();
    let sub = |x: &str, y: &str| x.strip_suffix(y).is_some_and(|rest| rest.ends_with('.'));
    !a.is_empty() && (a == b || sub(a, &b) || sub(&b, a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::authres::parse;

    fn settings() -> TrustSettings {
        TrustSettings { authserv_ids: vec!["mx.example.com".into()], ..TrustSettings::default() }
    }

    fn verdict(value: &str, from: &str, policy: Policy) -> Authentication {
        authenticate(&[parse(value).unwrap()], from, policy, &settings())
    }

    #[test]
    fn dmarc_decides_when_present() {
        let v = verdict(
            "mx.example.com; spf=pass smtp.mailfrom=shop.test; dmarc=fail header.from=shop.test",
            "shop.test",
            Policy::Aligned,
        );
        assert_eq!(v, Authentication::Fail("dmarc=fail header.from=shop.test".into()));
        let v = verdict("mx.example.com; dmarc=pass header.from=shop.test", "shop.test", Policy::Dmarc);
        assert!(matches!(v, Authentication::Pass(_)));
    }

    #[test]
    fn without_dmarc_an_aligned_spf_or_dkim_pass_will_do() {
        let v = verdict(
            "mx.example.com; spf=fail smtp.mailfrom=bounce.test; dkim=pass header.d=mail.shop.test",
            "shop.test",
            Policy::Aligned,
        );
        assert_eq!(v, Authentication::Pass("dkim=pass header.d=mail.shop.test".into()));
        let v =
            verdict("mx.example.com; spf=pass smtp.mailfrom=user@Shop.Test", "shop.test", Policy::Aligned);
        assert!(matches!(v, Authentication::Pass(_)));
        let v = verdict(
            "mx.example.com; dmarc=none; spf=fail smtp.mailfrom=shop.test; dkim=pass header.d=shop.test",
            "shop.test",
            Policy::Dmarc,
        );
        assert!(matches!(v, Authentication::Fail(why) if why.starts_with("no dmarc=pass")));
    }

    #[test]
    fn a_pass_for_another_domain_is_not_aligned() {
        let v = verdict(
            "mx.example.com; dkim=pass header.d=bulkmailer.test; spf=pass smtp.mailfrom=notshop.test",
            "shop.test",
            Policy::Aligned,
        );
        assert!(matches!(v, Authentication::Fail(why) if why.contains("dkim=pass header.d=bulkmailer.test")));
    }

    #[test]
    fn dmarc_of_another_from_domain_is_not_used() {
        let v = verdict("mx.example.com; dmarc=pass header.from=other.test", "shop.test", Policy::Aligned);
        assert!(matches!(v, Authentication::Fail(_)));
    }

    #[test]
    fn nothing_trusted_fails_and_off_is_unchecked() {
        assert!(matches!(
            authenticate(&[], "shop.test", Policy::Aligned, &settings()),
            Authentication::Fail(_)
        ));
        assert!(matches!(
            authenticate(&[], "shop.test", Policy::Off, &settings()),
            Authentication::Unchecked(_)
        ));
    }

    #[test]
    fn alignment() {
        assert!(aligned("shop.test", "shop.test"));
        assert!(aligned("mail.shop.test", "shop.test"));
        assert!(aligned("shop.test", "eu.shop.test"));
        assert!(!aligned("badshop.test", "shop.test"));
        assert!(!aligned("", "shop.test"));
    }
}
