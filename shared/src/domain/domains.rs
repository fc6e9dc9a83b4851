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
        }
    }

    /// The claim verified at `at` by `by`.
    pub fn verified(&self, at: &str, by: &str) -> Self {
        Self {
            status: DomainStatus::Verified,
            verified_at: Some(at.to_owned()),
            verified_by: Some(by.to_owned()),
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
