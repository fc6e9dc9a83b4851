//! Unit tests of the validated values: each parser accepts what it should and says why
//! it refuses.

use super::*;
use serde_json::{json, Map, Value};

#[test]
fn slug_accepts_lowercase_words_joined_by_single_hyphens() {
    for ok in ["acme", "acme-corp", "a1b", "abc-123-x"] {
        assert!(Slug::parse(ok).is_ok(), "{ok}");
    }
}

#[test]
fn slug_rejects_each_broken_rule_with_its_reason() {
    let cases = [
        ("ab", "3-63"),
        (&"a".repeat(64), "3-63"),
        ("1abc", "start with"),
        ("-abc", "start with"),
        ("Acme", "start with"),
        ("ac_me", "only lowercase"),
        ("acme-", "end with"),
        ("ac--me", "'--'"),
        ("acmé", "only lowercase"),
    ];
    for (input, expected) in cases {
        let err = Slug::parse(input).unwrap_err();
        assert!(err.contains(expected), "{input}: {err}");
    }
}

#[test]
fn tenant_id_must_be_canonical_uuid_v7() {
    let id = TenantId::generate();
    assert!(TenantId::parse(id.as_str()).is_ok());
    assert!(TenantId::parse(&id.as_str().to_uppercase()).is_err());
    assert!(
        TenantId::parse("tenant_6f1c1b5e-9a7d-4c43-8f5e-2a1b3c4d5e6f").is_err(),
        "v4"
    );
    assert!(TenantId::parse(&id.as_str().replace("tenant_", "scope_")).is_err());
    assert!(TenantId::parse("tenant_").is_err());
}

#[test]
fn display_name_is_trimmed_and_bounded() {
    assert_eq!(DisplayName::parse("  Acme  ").unwrap().as_str(), "Acme");
    assert!(DisplayName::parse("   ").is_err());
    assert!(DisplayName::parse(&"é".repeat(200)).is_ok());
    assert!(DisplayName::parse(&"é".repeat(201)).is_err());
    assert!(DisplayName::parse("a\u{0}b").is_err());
}

#[test]
fn email_requires_a_plain_address_with_a_dotted_domain() {
    assert!(Email::parse("ops@example.com").is_ok());
    for bad in [
        "ops",
        "ops@",
        "@example.com",
        "ops@localhost",
        "Ops <ops@example.com>",
        "a b@example.com",
    ] {
        assert!(Email::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn locale_is_canonicalised() {
    assert_eq!(Locale::parse("en").unwrap().as_str(), "en");
    assert_eq!(Locale::parse("fr-ca").unwrap().as_str(), "fr-CA");
    assert_eq!(Locale::parse("ZH-hant-tw").unwrap().as_str(), "zh-Hant-TW");
    assert_eq!(Locale::parse("es-419").unwrap().as_str(), "es-419");
    assert_eq!(Locale::parse("de-DE-1996").unwrap().as_str(), "de-DE-1996");
    for bad in ["", "e", "english", "en-", "en_US", "en-US-x", "fr-CA-CA"] {
        assert!(Locale::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn aws_region_codes() {
    for ok in [
        "us-east-1",
        "eu-central-2",
        "ap-southeast-4",
        "us-gov-west-1",
        "il-central-1",
    ] {
        assert!(AwsRegion::parse(ok).is_ok(), "{ok}");
    }
    for bad in [
        "us-east",
        "US-EAST-1",
        "us-east-01",
        "useast1",
        "us-up-1",
        "us-east-1a",
    ] {
        assert!(AwsRegion::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn generated_external_ids_are_valid_random_and_256_bits_long() {
    let (a, b) = (
        AwsExternalId::generate().unwrap(),
        AwsExternalId::generate().unwrap(),
    );
    assert_ne!(a, b);
    assert_eq!(AwsExternalId::parse(a.as_str()), Ok(a.clone()));
    let hex = a
        .as_str()
        .strip_prefix(GENERATED_EXTERNAL_ID_PREFIX)
        .unwrap();
    assert_eq!(hex.len(), 64);
    assert!(hex.bytes().all(|c| c.is_ascii_hexdigit()));
}

#[test]
fn https_urls_only() {
    assert!(HttpsUrl::parse("https://d-1234567890.awsapps.com/start").is_ok());
    assert!(HttpsUrl::parse("https://sso.example.com:8443/start?x=1").is_ok());
    for bad in [
        "http://d-1234567890.awsapps.com/start",
        "https://",
        "https://user:pw@example.com/",
        "https://exa mple.com",
        "https://example.com/#frag",
        "https://localhost/start",
        "https://example.com:0/",
        "ftp://example.com",
    ] {
        assert!(HttpsUrl::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn domain_names_are_lowercased() {
    assert_eq!(
        DomainName::parse("Example.COM").unwrap().as_str(),
        "example.com"
    );
    for bad in [
        "example",
        "-a.com",
        "a..com",
        "a.c",
        "a.123",
        "exa_mple.com",
    ] {
        assert!(DomainName::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn iam_role_arns() {
    for ok in [
        "arn:aws:iam::123456789012:role/TenantAccess",
        "arn:aws:iam::123456789012:role/service-role/path/My.Role@x",
        "arn:aws-us-gov:iam::123456789012:role/r",
    ] {
        assert!(IamRoleArn::parse(ok).is_ok(), "{ok}");
    }
    for bad in [
        "arn:aws:iam::12345678901:role/x",
        "arn:aws:iam::123456789012:user/x",
        "arn:aws:s3:::bucket",
        "arn:aws:iam:us-east-1:123456789012:role/x",
        "arn:aws:iam::123456789012:role/",
        "arn:other:iam::123456789012:role/x",
    ] {
        assert!(IamRoleArn::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn limits_must_be_positive_whole_numbers() {
    assert_eq!(positive_limit(&json!(5)), Ok(5));
    // JSON Schema counts 649600.0 as an integer (schemathesis sends such values).
    assert_eq!(positive_limit(&json!(649600.0)), Ok(649_600));
    for bad in [
        json!(0),
        json!(0.0),
        json!(-1),
        json!(1.5),
        json!(2e9),
        json!("5"),
        json!(null),
        json!(2_000_000_000u64),
    ] {
        assert!(positive_limit(&bad).is_err(), "{bad}");
    }
}

#[test]
fn metadata_is_bounded_in_keys_and_size() {
    assert!(metadata(&json!({"tier": "gold"})).is_ok());
    assert!(metadata(&json!([1])).is_err());
    let many: Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
    assert!(metadata(&Value::Object(many)).is_err());
    assert!(metadata(&json!({"big": "x".repeat(8200)})).is_err());
}
