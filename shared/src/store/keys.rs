//! Single-table key builders. Every item's keys are built here and nowhere else.
//!
//! | entity | PK | SK | GSI1 (live tenants) | GSI2 (by status) | GSI3 (by slug) |
//! |---|---|---|---|---|---|
//! | tenant | `TENANT#<id>` | `TENANT` | `TENANTS` / `<createdAt>#<id>` (absent once deleted) | `STATUS#<status>` / `<createdAt>#<id>` | `SLUG#<slug>` |
//! | slug reservation | `SLUG#<slug>` | `SLUG` | | | |
//! | scope | `SCOPE#<scopeId>` | `SCOPE` | | | |
//! | stats counter shard | `STATS` | `SHARD#<n>` | | | |
//! | admin grant (tenant → user) | `TENANT#<id>` | `ADMIN#<userId>` | | | |
//! | admin grant (user → tenant) | `USER#<userId>` | `TENANT#<id>` | | | |
//! | admin count of a tenant | `TENANT#<id>` | `ADMINS` | | | |
//! | API key | `APIKEY#<keyId>` | `APIKEY` | | `APIKEYS` / `<createdAt>#<keyId>` | |
//! | domain claim (tenant → domain) | `TENANT#<id>` | `DOMAIN#<domain>` | | | |
//! | verified domain (domain → tenant) | `DOMAIN#<domain>` | `DOMAIN` | | `DOMAINCHECKS` / `<checkedAt>#<domain>` (due for re-verification, oldest-checked first) | |
//! | owner invitation (by its token's SHA-256) | `INVITATION#<hash>` | `INVITATION` | | | |
//! | usage counters of a tenant | `TENANT#<id>` | `USAGE` | | | |
//! | usage report idempotency key (TTL) | `USAGEREPORT#<id>#<key>` | `USAGEREPORT` | | | |
//! | console session (by its cookie's SHA-256, TTL) | `CONSOLESESSION#<hash>` | `CONSOLESESSION` | | | |
//! | console sign-in attempt (by its `state`'s SHA-256, TTL) | `CONSOLESIGNIN#<hash>` | `CONSOLESIGNIN` | | | |
//! | console one-shot form, sent (by its session's and value's SHA-256, TTL) | `CONSOLEFORM#<hash>` | `CONSOLEFORM` | | | |
//! | change event (outbox, audit trail) | `EVENTS#<tenantId>` (`EVENTS#platform`) | `EVENT#<occurredAt>#<eventId>` | | | |

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

/// Table partition key attribute.
pub const PK: &str = "PK";
/// Table sort key attribute.
pub const SK: &str = "SK";
/// Attribute naming an item's entity type.
pub const ENTITY: &str = "entity";
/// Index of live (not deleted) tenants ordered by creation.
pub const GSI1: &str = "GSI1";
/// GSI1 partition key attribute.
pub const GSI1PK: &str = "GSI1PK";
/// GSI1 sort key attribute.
pub const GSI1SK: &str = "GSI1SK";
/// Index of tenants by status ordered by creation.
pub const GSI2: &str = "GSI2";
/// GSI2 partition key attribute.
pub const GSI2PK: &str = "GSI2PK";
/// GSI2 sort key attribute.
pub const GSI2SK: &str = "GSI2SK";
/// Index of tenants by slug.
pub const GSI3: &str = "GSI3";
/// GSI3 partition key attribute.
pub const GSI3PK: &str = "GSI3PK";

/// Number of stats counter shards; spreading counter writes avoids one hot item.
pub const STATS_SHARDS: u8 = 8;

/// Partition key of a tenant item.
pub fn tenant_pk(id: &str) -> String {
    format!("TENANT#{id}")
}
/// Sort key of a tenant item.
pub const TENANT_SK: &str = "TENANT";
/// GSI1 partition of live tenants.
pub const LIVE_TENANTS: &str = "TENANTS";

/// GSI2 partition for tenants in `status`.
pub fn status_partition(status: &str) -> String {
    format!("STATUS#{status}")
}

/// Sort key shared by GSI1 and GSI2: creation time, then id to break ties.
pub fn created_sort_key(created_at: &str, id: &str) -> String {
    format!("{created_at}#{id}")
}

/// Partition key of a slug reservation (also GSI3PK of the tenant owning it).
pub fn slug_pk(slug: &str) -> String {
    format!("SLUG#{slug}")
}
/// Sort key of a slug reservation.
pub const SLUG_SK: &str = "SLUG";

/// Partition key of a scope item.
pub fn scope_pk(scope_id: &str) -> String {
    format!("SCOPE#{scope_id}")
}
/// Sort key of a scope item.
pub const SCOPE_SK: &str = "SCOPE";

/// Partition key of the stats counter shards.
pub const STATS_PK: &str = "STATS";

/// Sort key of stats counter shard `n`.
pub fn stats_sk(n: u8) -> String {
    format!("SHARD#{n:02}")
}

/// The shard a tenant's counter updates go to: fixed per tenant, spread across tenants.
pub fn stats_shard_for(tenant_id: &str) -> u8 {
    // FNV-1a: a stable, dependency-free hash.
    let hash = tenant_id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (hash % u64::from(STATS_SHARDS)) as u8
}

/// Sort key of tenant `id`'s admin grant to `user_id` (in the tenant's partition).
pub fn admin_sk(user_id: &str) -> String {
    format!("{ADMIN_SK_PREFIX}{user_id}")
}
/// Prefix of the sort keys of a tenant's admin grants.
pub const ADMIN_SK_PREFIX: &str = "ADMIN#";
/// Sort key of a tenant's admin count.
pub const ADMIN_COUNT_SK: &str = "ADMINS";

/// Partition key of a user's grants (user → tenant direction).
pub fn user_pk(user_id: &str) -> String {
    format!("USER#{user_id}")
}
/// Sort key of a user's grant on tenant `id`.
pub fn user_grant_sk(tenant_id: &str) -> String {
    format!("{USER_GRANT_SK_PREFIX}{tenant_id}")
}
/// Prefix of the sort keys of a user's grants.
pub const USER_GRANT_SK_PREFIX: &str = "TENANT#";

/// Partition key of API key `key_id`.
pub fn api_key_pk(key_id: &str) -> String {
    format!("APIKEY#{key_id}")
}
/// Sort key of an API key.
pub const API_KEY_SK: &str = "APIKEY";
/// GSI2 partition of all API keys, ordered by creation.
pub const API_KEYS: &str = "APIKEYS";

/// Partition key of a tenant's change events (`None`: platform events, such as platform
/// API keys).
pub fn events_pk(tenant_id: Option<&str>) -> String {
    format!("EVENTS#{}", tenant_id.unwrap_or("platform"))
}
/// Prefix of the sort keys of change events.
pub const EVENT_SK_PREFIX: &str = "EVENT#";
/// Sort key of an event: time first, so a tenant's events sort in the order they happened.
pub fn event_sk(occurred_at: &str, event_id: &str) -> String {
    format!("{EVENT_SK_PREFIX}{occurred_at}#{event_id}")
}

/// Prefix of the sort keys of a tenant's domain claims (`DOMAIN#<domain>`).
pub const DOMAIN_CLAIM_SK_PREFIX: &str = "DOMAIN#";
/// Sort key of tenant `id`'s claim on `domain` (in the tenant's partition).
pub fn domain_claim_sk(domain: &str) -> String {
    format!("{DOMAIN_CLAIM_SK_PREFIX}{domain}")
}
/// Partition key of a verified domain's reservation: who owns `domain`.
pub fn domain_pk(domain: &str) -> String {
    format!("DOMAIN#{domain}")
}
/// Sort key of a verified domain's reservation.
pub const DOMAIN_SK: &str = "DOMAIN";
/// GSI2 partition of verified domains, ordered by when they were last checked.
pub const DOMAIN_CHECKS: &str = "DOMAINCHECKS";
/// GSI2 sort key of a verified domain last checked at `checked_at`.
pub fn domain_check_sk(checked_at: &str, domain: &str) -> String {
    format!("{checked_at}#{domain}")
}

/// Partition of the invitation whose token hashes to `hash`.
pub fn invitation_pk(hash: &str) -> String {
    format!("INVITATION#{hash}")
}

/// Sort key of an invitation.
pub const INVITATION_SK: &str = "INVITATION";

/// `{PK, SK}` as a DynamoDB key map.
pub fn key(pk: String, sk: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (PK.to_owned(), AttributeValue::S(pk)),
        (SK.to_owned(), AttributeValue::S(sk.to_owned())),
    ])
}

/// The primary key of tenant `id`.
pub fn tenant_key(id: &str) -> HashMap<String, AttributeValue> {
    key(tenant_pk(id), TENANT_SK)
}

/// Sort key of a tenant's usage counters item.
pub const USAGE_SK: &str = "USAGE";

/// Partition key of a usage report's idempotency record: a partition of its own, so that
/// a busy tenant's reports write to one item of its partition (the counters), not two.
pub fn idempotency_pk(tenant_id: &str, key: &str) -> String {
    format!("USAGEREPORT#{tenant_id}#{key}")
}
/// Sort key of a usage report's idempotency record.
pub const IDEMPOTENCY_SK: &str = "USAGEREPORT";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_their_documented_shape() {
        assert_eq!(tenant_pk("tenant_1"), "TENANT#tenant_1");
        assert_eq!(slug_pk("acme"), "SLUG#acme");
        assert_eq!(stats_sk(3), "SHARD#03");
        assert_eq!(admin_sk("u1"), "ADMIN#u1");
        assert_eq!(user_pk("u1"), "USER#u1");
        assert_eq!(user_grant_sk("tenant_1"), "TENANT#tenant_1");
        assert_eq!(api_key_pk("key_1"), "APIKEY#key_1");
        assert_eq!(events_pk(Some("tenant_1")), "EVENTS#tenant_1");
        assert_eq!(events_pk(None), "EVENTS#platform");
        assert_eq!(
            event_sk("2026-01-01T00:00:00.000Z", "evt_1"),
            "EVENT#2026-01-01T00:00:00.000Z#evt_1"
        );
        assert_eq!(
            created_sort_key("2026-01-01T00:00:00.000Z", "tenant_1"),
            "2026-01-01T00:00:00.000Z#tenant_1"
        );
    }

    #[test]
    fn stats_shard_is_stable_and_in_range() {
        let a = stats_shard_for("tenant_abc");
        assert_eq!(a, stats_shard_for("tenant_abc"));
        assert!((0..100).all(|i| stats_shard_for(&format!("tenant_{i}")) < STATS_SHARDS));
    }
}
