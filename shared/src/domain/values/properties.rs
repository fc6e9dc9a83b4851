//! Property tests: every generated valid value parses and round-trips (parsing its own
//! text gives it back); arbitrary text never panics a parser, and a refusal always says why.

use super::*;
use proptest::prelude::*;

/// A parser of this module, as text → its validated text or a reason.
type Parser = fn(&str) -> Result<String, String>;

/// Every parser of this module, by name.
fn parsers() -> Vec<(&'static str, Parser)> {
    fn text<T: std::ops::Deref<Target = str>>(r: Result<T, String>) -> Result<String, String> {
        r.map(|v| v.to_string())
    }
    vec![
        ("TenantId", |s| text(TenantId::parse(s))),
        ("ScopeId", |s| text(ScopeId::parse(s))),
        ("ApiKeyId", |s| text(ApiKeyId::parse(s))),
        ("UserId", |s| text(UserId::parse(s))),
        ("Slug", |s| text(Slug::parse(s))),
        ("DisplayName", |s| text(DisplayName::parse(s))),
        ("Email", |s| text(Email::parse(s))),
        ("Locale", |s| text(Locale::parse(s))),
        ("AwsRegion", |s| text(AwsRegion::parse(s))),
        ("HttpsUrl", |s| text(HttpsUrl::parse(s))),
        ("DomainName", |s| text(DomainName::parse(s))),
        ("IamRoleArn", |s| text(IamRoleArn::parse(s))),
        ("AwsExternalId", |s| text(AwsExternalId::parse(s))),
    ]
}

fn domain() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec("[a-z0-9]([a-z0-9-]{0,12}[a-z0-9])?", 1..4),
        "[a-z]{2,8}",
    )
        .prop_map(|(labels, tld)| format!("{}.{tld}", labels.join(".")))
}

proptest! {
    #[test]
    fn valid_slugs_round_trip(slug in "[a-z]([a-z0-9]{1,8}-?){1,5}[a-z0-9]") {
        prop_assume!(!slug.contains("--") && slug.len() <= 63);
        prop_assert_eq!(Slug::parse(&slug).unwrap().to_string(), slug.clone());
    }

    #[test]
    fn valid_user_ids_round_trip(user in "[A-Za-z0-9._@:|+=-]{1,128}") {
        prop_assert_eq!(UserId::parse(&user).unwrap().to_string(), user.clone());
    }

    #[test]
    fn percent_encoded_user_ids_decode_only_from_a_path(
        user in "[A-Za-z0-9]{1,20}[|@][A-Za-z0-9]{1,20}"
    ) {
        let encoded = user.replace('|', "%7C").replace('@', "%40");
        prop_assert_eq!(UserId::from_path_segment(&encoded).unwrap().to_string(), user.clone());
        prop_assert_eq!(UserId::from_path_segment(&user).unwrap().to_string(), user.clone());
        prop_assert!(UserId::parse(&encoded).is_err(), "{} taken literally", encoded);
    }

    #[test]
    fn valid_display_names_are_trimmed(name in "[A-Za-z0-9 éü-]{0,50}[A-Za-z0-9é]") {
        let parsed = DisplayName::parse(&format!("  {name}  ")).unwrap();
        prop_assert_eq!(parsed.as_str(), name.trim());
        prop_assert_eq!(DisplayName::parse(parsed.as_str()).unwrap(), parsed);
    }

    #[test]
    fn valid_emails_round_trip(local in "[a-z0-9]{1,20}", domain in domain()) {
        let email = format!("{local}@{domain}");
        prop_assert_eq!(Email::parse(&email).unwrap().to_string(), email.clone());
    }

    #[test]
    fn valid_domains_round_trip_in_lower_case(domain in domain()) {
        prop_assert_eq!(DomainName::parse(&domain).unwrap().to_string(), domain.clone());
        prop_assert_eq!(
            DomainName::parse(&domain.to_uppercase()).unwrap().to_string(),
            domain.clone()
        );
    }

    #[test]
    fn valid_https_urls_round_trip(domain in domain(), path in "(/[a-z0-9._-]{1,10}){0,3}") {
        let url = format!("https://{domain}{path}");
        prop_assert_eq!(HttpsUrl::parse(&url).unwrap().to_string(), url.clone());
    }

    #[test]
    fn valid_regions_round_trip(
        area in "(us|eu|ap|sa|ca|me|af|il|mx)",
        direction in "(east|west|north|south|central|northeast|southeast)",
        n in 1u8..=20,
    ) {
        let region = format!("{area}-{direction}-{n}");
        prop_assert_eq!(AwsRegion::parse(&region).unwrap().to_string(), region.clone());
    }

    #[test]
    fn canonical_locales_round_trip(tag in "[a-z]{2,3}(-[A-Z]{2})?") {
        prop_assert_eq!(Locale::parse(&tag).unwrap().to_string(), tag.clone());
        prop_assert_eq!(Locale::parse(&tag.to_lowercase()).unwrap().to_string(), tag.clone());
    }

    #[test]
    fn valid_role_arns_round_trip(account in "[0-9]{12}", name in "[A-Za-z0-9+=,.@_-]{1,64}") {
        let arn = format!("arn:aws:iam::{account}:role/{name}");
        prop_assert_eq!(IamRoleArn::parse(&arn).unwrap().to_string(), arn.clone());
    }

    #[test]
    fn valid_external_ids_round_trip(id in "[A-Za-z0-9+=,.@:/_-]{2,100}") {
        prop_assert_eq!(AwsExternalId::parse(&id).unwrap().to_string(), id.clone());
    }

    #[test]
    fn arbitrary_text_never_panics_and_every_refusal_has_a_reason(text in "\\PC{0,80}") {
        for (name, parse) in parsers() {
            if let Err(reason) = parse(&text) {
                prop_assert!(!reason.trim().is_empty(), "{} refused {:?} without a reason", name, text);
            }
        }
    }

    #[test]
    fn near_misses_never_panic(text in "(tenant_|scope_|key_|https://|arn:aws:iam::)?[a-zA-Z0-9:/._%@-]{0,300}") {
        for (name, parse) in parsers() {
            if let Err(reason) = parse(&text) {
                prop_assert!(!reason.trim().is_empty(), "{} refused {:?} without a reason", name, text);
            }
        }
    }

    #[test]
    fn generated_ids_round_trip(_seed in 0u8..8) {
        let tenant = TenantId::generate();
        prop_assert_eq!(TenantId::parse(tenant.as_str()).unwrap(), tenant);
        let scope = ScopeId::generate();
        prop_assert_eq!(ScopeId::parse(scope.as_str()).unwrap(), scope);
    }
}
