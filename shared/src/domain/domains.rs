//! Login discovery: the email domains a tenant owns, how one proves it owns them (a DNS TXT
//! record), and what a login page learns about a tenant (where its users sign in).
//!
//! A domain is claimed by a tenant (several tenants may claim it) and becomes the tenant's
//! once verified; a verified domain belongs to at most one tenant. Only verified domains
//! route anyone anywhere: otherwise whoever claimed `bigcorp.com` first would send every
//! BigCorp employee to their own sign-in page.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::tenant::{LoginMode, Tenant, TenantStatus};
use super::values::{AwsRegion, DomainName, HttpsUrl, Slug, TenantId};

/// The label under which a domain's verification record is published.
pub const VERIFICATION_LABEL: &str = "_tenant-api-verification";
/// The prefix of a verification record's value.
pub const VERIFICATION_PREFIX: &str = "tenant-api-verification=";

/// A domain a tenant may claim: a DNS name normalised (IDNA to ASCII, lower case, no
/// trailing dot) that is not an IP literal and lies below a public suffix (`com`,
/// `co.uk` and the like cannot be claimed).
pub fn claimable(text: &str) -> Result<DomainName, String> {
    let reason = "must be a domain name below a public suffix, such as 'acme.example.com'";
    let trimmed = text.trim();
    let trimmed = trimmed.strip_suffix('.').unwrap_or(trimmed);
    if trimmed.is_empty() || trimmed.len() > 253 || trimmed.parse::<std::net::IpAddr>().is_ok() {
        return Err(reason.to_owned());
    }
    let ascii = idna::domain_to_ascii_strict(trimmed).map_err(|_| reason.to_owned())?;
    let name = DomainName::parse(&ascii).map_err(|_| reason.to_owned())?;
    // The registrable part must exist: a public suffix alone has none.
    match psl::domain_str(name.as_str()) {
        Some(_) => Ok(name),
        None => Err(reason.to_owned()),
    }
}

/// Where a domain's claim stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DomainStatus {
    /// Claimed; its TXT record has not been checked (or not found) yet.
    Pending,
    /// Proven (or marked by a platform admin): the domain is this tenant's.
    Verified,
    /// Was verified, but its TXT record stayed gone for [`REVERIFY_GRACE_HOURS`] of
    /// scheduled checks: the domain is free again, routes and admits no one; verifying
    /// it again (the same record) restores it.
    Unverified,
}

/// How long a verified domain's TXT record may stay gone, check after check, before the
/// domain is marked `unverified`.
pub const REVERIFY_GRACE_HOURS: i64 = 72;
/// Most verified domains one scheduled run checks (the longest unchecked first).
pub const REVERIFY_PAGE: usize = 100;

/// What a scheduled check of a verified domain's TXT record leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recheck {
    /// The record is there: the domain stays verified, and any failing streak ends.
    Passed,
    /// The record is gone, since `since` (this check's time if it just went): still
    /// verified, within the grace period.
    Failing { since: String },
    /// The record has been gone for the whole grace period: mark the domain unverified.
    Expired { since: String },
}

/// What a check at `now` (epoch seconds) finds, given whether the record was `found` and
/// since when it has been failing (`failing_since`, RFC 3339), if it was.
pub fn recheck(found: bool, failing_since: Option<&str>, now: i64, now_text: &str) -> Recheck {
    if found {
        return Recheck::Passed;
    }
    let since = failing_since.unwrap_or(now_text).to_owned();
    let started = super::clock::epoch_seconds(&since).unwrap_or(now);
    if now - started >= REVERIFY_GRACE_HOURS * 3600 {
        Recheck::Expired { since }
    } else {
        Recheck::Failing { since }
    }
}

/// The DNS TXT record that proves a claim: publish `value` at `name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerificationRecord {
    #[serde(rename = "type")]
    #[schema(example = "TXT")]
    pub record_type: String,
    #[schema(example = "_tenant-api-verification.acme.example.com")]
    pub name: String,
    #[schema(example = "tenant-api-verification=8d3f2c1b9a7e4d6f0a1b2c3d4e5f6a7b")]
    pub value: String,
}

impl VerificationRecord {
    /// A fresh record for `domain` carrying the random `token`.
    pub fn new(domain: &DomainName, token: &str) -> Self {
        Self {
            record_type: "TXT".to_owned(),
            name: format!("{VERIFICATION_LABEL}.{domain}"),
            value: format!("{VERIFICATION_PREFIX}{token}"),
        }
    }

    /// Whether the TXT strings found at [`Self::name`] include this record's value.
    pub fn found_in(&self, published: &[String]) -> bool {
        published.iter().any(|text| text.trim() == self.value)
    }
}

/// A tenant's claim on a domain, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DomainClaim {
    pub domain: DomainName,
    pub tenant_id: TenantId,
    pub status: DomainStatus,
    /// What to publish to verify the claim.
    pub verification: VerificationRecord,
    pub added_at: String,
    pub added_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_by: Option<String>,
    /// When scheduled checks marked it `unverified` (its record gone since
    /// `failingSince`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unverified_at: Option<String>,
    /// With `unverified`: since when its TXT record was found gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<String>,
}

impl DomainClaim {
    /// A pending claim of `domain` by `tenant` with a fresh verification token.
    pub fn new(tenant: &TenantId, domain: DomainName, token: &str, at: &str, by: &str) -> Self {
        Self {
            verification: VerificationRecord::new(&domain, token),
            domain,
            tenant_id: tenant.clone(),
            status: DomainStatus::Pending,
            added_at: at.to_owned(),
            added_by: by.to_owned(),
            verified_at: None,
            verified_by: None,
            unverified_at: None,
            failing_since: None,
        }
    }

    /// The claim verified at `at` by `by`.
    pub fn verified(&self, at: &str, by: &str) -> Self {
        Self {
            status: DomainStatus::Verified,
            verified_at: Some(at.to_owned()),
            verified_by: Some(by.to_owned()),
            unverified_at: None,
            failing_since: None,
            ..self.clone()
        }
    }

    /// The claim marked unverified at `at`, its record gone since `since`.
    pub fn unverified(&self, at: &str, since: &str) -> Self {
        Self {
            status: DomainStatus::Unverified,
            unverified_at: Some(at.to_owned()),
            failing_since: Some(since.to_owned()),
            ..self.clone()
        }
    }
}

/// What a login page learns about the tenant a person signs in to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginTarget {
    pub tenant_id: TenantId,
    pub slug: Slug,
    pub name: String,
    /// `active` or `suspended` (a login page should refuse a suspended tenant's users).
    pub status: TenantStatus,
    pub login_mode: LoginMode,
    /// IAM Identity Center start URL (`sso` tenants).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sso_start_url: Option<HttpsUrl>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sso_region: Option<AwsRegion>,
}

impl LoginTarget {
    /// Where `tenant`'s users sign in; `None` for a deleted tenant (it signs nobody in).
    pub fn of(tenant: &Tenant) -> Option<Self> {
        if tenant.status == TenantStatus::Deleted {
            return None;
        }
        let sso = tenant.fields.login_mode == LoginMode::Sso;
        Some(Self {
            tenant_id: tenant.id.clone(),
            slug: tenant.slug.clone(),
            name: tenant.fields.name.as_str().to_owned(),
            status: tenant.status,
            login_mode: tenant.fields.login_mode,
            sso_start_url: sso.then(|| tenant.fields.sso_start_url.clone()).flatten(),
            sso_region: sso.then(|| tenant.fields.sso_region.clone()).flatten(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_gone_record_is_tolerated_for_the_grace_period_then_the_domain_is_unverified() {
        let t0 = "2026-01-01T00:00:00.000Z";
        let at = |hours: i64| super::super::clock::epoch_seconds(t0).unwrap() + hours * 3600;
        assert_eq!(recheck(true, Some(t0), at(100), "x"), Recheck::Passed);
        // The first failed check starts the streak at its own time.
        assert_eq!(
            recheck(false, None, at(0), t0),
            Recheck::Failing { since: t0.into() }
        );
        assert_eq!(
            recheck(false, Some(t0), at(71), "x"),
            Recheck::Failing { since: t0.into() }
        );
        assert_eq!(
            recheck(false, Some(t0), at(REVERIFY_GRACE_HOURS), "x"),
            Recheck::Expired { since: t0.into() }
        );
    }

    #[test]
    fn domains_are_normalised_to_lower_case_ascii_without_the_trailing_dot() {
        assert_eq!(
            claimable("Acme.Example.COM.").unwrap().as_str(),
            "acme.example.com"
        );
        assert_eq!(
            claimable("bücher.example").unwrap().as_str(),
            "xn--bcher-kva.example"
        );
        assert_eq!(claimable("acme.co.uk").unwrap().as_str(), "acme.co.uk");
    }

    #[test]
    fn public_suffixes_ip_literals_and_garbage_are_refused() {
        for hostile in [
            "com",
            "co.uk",
            "github.io",
            "127.0.0.1",
            "::1",
            "[::1]",
            "xn--zz.com",
            "xn--.example.com",
            "-acme.com",
            "acme..com",
            "",
            ".",
            "a b.com",
            "acme.com/path",
            "ana@acme.com",
        ] {
            assert!(claimable(hostile).is_err(), "{hostile:?} was accepted");
        }
        assert!(claimable(&format!("{}.com", "a".repeat(300))).is_err());
        let long = format!("{}.example.com", ["abcdefghij"; 30].join("."));
        assert!(claimable(&long).is_err(), "over 253 characters");
    }

    #[test]
    fn a_verification_record_is_found_only_with_its_exact_value() {
        let domain = claimable("acme.example.com").unwrap();
        let record = VerificationRecord::new(&domain, "abc123");
        assert_eq!(record.name, "_tenant-api-verification.acme.example.com");
        assert!(record.found_in(&[
            "v=spf1 -all".into(),
            "tenant-api-verification=abc123".into()
        ]));
        assert!(!record.found_in(&["tenant-api-verification=abc1234".into()]));
        assert!(!record.found_in(&[]));
    }

    proptest! {
        #[test]
        fn claimable_never_panics_and_accepts_only_what_it_can_normalise(text in "\\PC{0,300}") {
            if let Ok(name) = claimable(&text) {
                prop_assert_eq!(claimable(name.as_str()).unwrap(), name.clone());
                prop_assert!(name.as_str().len() <= 253);
            }
        }
    }
}
