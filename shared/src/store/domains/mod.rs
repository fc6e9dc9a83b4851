//! Domains in storage: a tenant's claims (`TENANT#<id>` / `DOMAIN#<domain>`, listed with
//! the tenant) and, once a claim is verified, the domain's reservation (`DOMAIN#<domain>`
//! / `DOMAIN`), written in the same transaction as the verification. The reservation is
//! what makes a verified domain belong to one tenant, and what discovery and admission
//! read by key.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};
use serde::{Deserialize, Serialize};

use super::cursor::{page_of, CursorCodec, Position};
use super::dynamo::sdk_error;
use super::events::event_put;
use super::item::{from_item, text, to_item, Item};
use super::tenants::version_check;
use super::transaction::{delete_existing, put_new, Outcome, TransactWrite};
use super::{keys, Store};
use crate::domain::domains::{DomainClaim, DomainStatus};
use crate::domain::page::fingerprint;
use crate::domain::values::DomainName;
use crate::domain::{ChangeEvent, Page, TenantId};
use crate::error::{ApiError, Context};

/// Storage shape of a claim.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ClaimItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    #[serde(flatten)]
    claim: DomainClaim,
}

impl ClaimItem {
    fn new(claim: &DomainClaim) -> Self {
        Self {
            pk: keys::tenant_pk(claim.tenant_id.as_str()),
            sk: keys::domain_claim_sk(claim.domain.as_str()),
            entity: "domainclaim".to_owned(),
            claim: claim.clone(),
        }
    }
}

/// How a verified domain was proven, which decides whether scheduled checks re-verify it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// Its TXT record was found: re-checked on schedule, unverified when it stays gone.
    Dns,
    /// A platform admin marked it verified (a domain the platform manages, with no
    /// record to find): never in the re-verification queue.
    Marked,
}

/// Storage shape of a verified domain's reservation. It sits in GSI2's `DOMAINCHECKS`
/// partition by when its TXT record was last checked, so the scheduled re-verification
/// reads the longest unchecked first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReservationItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    domain: DomainName,
    tenant_id: TenantId,
    verified_at: String,
    #[serde(rename = "GSI2PK", default, skip_serializing_if = "Option::is_none")]
    gsi2pk: Option<String>,
    #[serde(rename = "GSI2SK", default, skip_serializing_if = "Option::is_none")]
    gsi2sk: Option<String>,
    /// When its TXT record was last checked (at first, when it was verified).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    checked_at: Option<String>,
    /// Since when every check found its TXT record gone; absent while it is found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failing_since: Option<String>,
    /// Marked verified by a platform admin: not re-checked (see [`Proof::Marked`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    platform_managed: bool,
}

fn reservation_key(domain: &str) -> Item {
    keys::key(keys::domain_pk(domain), keys::DOMAIN_SK)
}

/// The put of a new pending claim, for a transaction (a tenant's create claims its
/// `emailDomain`).
pub(crate) fn claim_put(table: &str, claim: &DomainClaim) -> Result<TransactWriteItem, ApiError> {
    put_new(table, to_item(&ClaimItem::new(claim))?, false)
}

/// The key a reservation of `domain` lives at, for the authorization batch read.
pub(crate) fn owner_key(domain: &str) -> Item {
    reservation_key(domain)
}

/// The tenant a reservation item names.
pub(crate) fn owner_of(item: &Item) -> Option<TenantId> {
    text(item, "tenantId").and_then(|id| TenantId::parse(id).ok())
}

/// What adding a claim found.
#[derive(Debug)]
pub enum Added {
    /// The claim was written (with its event).
    New(DomainClaim),
    /// The tenant already claims the domain: its claim, unchanged.
    Existing(DomainClaim),
}

/// What verifying a claim found.
#[derive(Debug)]
pub enum Verification {
    /// The claim is verified and the domain reserved for its tenant (with its event).
    Done(Box<DomainClaim>),
    /// The domain is reserved for this other tenant.
    Taken(TenantId),
    /// The tenant changed, or the claim did: read again.
    Changed,
}

impl Store {
    /// Writes `claim` with its `event`, if the tenant is live and still at `version`.
    /// `None`: the tenant is deleted, missing or at another version (read it again).
    pub async fn add_domain(
        &self,
        claim: &DomainClaim,
        version: i64,
        event: &ChangeEvent,
    ) -> Result<Option<Added>, ApiError> {
        let table = self.table();
        let mut tx = TransactWrite::new();
        let current = tx.push(version_check(table, &claim.tenant_id, version, true)?);
        let put = tx.push(put_new(table, to_item(&ClaimItem::new(claim))?, true)?);
        tx.push(event_put(self, event)?);
        match tx.run(self).await? {
            Outcome::Committed => Ok(Some(Added::New(claim.clone()))),
            outcome if outcome.refused(current) => Ok(None),
            Outcome::Refused {
                old: Some(old),
                failed,
            } if failed.contains(&put) => {
                let existing: ClaimItem = from_item(old)?;
                Ok(Some(Added::Existing(existing.claim)))
            }
            _ => Err(ApiError::Unavailable(
                "the claim changed concurrently".to_owned(),
            )),
        }
    }

    /// Tenant `tenant`'s claim on `domain` (strongly consistent).
    pub async fn domain_claim(
        &self,
        tenant: &TenantId,
        domain: &DomainName,
    ) -> Result<Option<DomainClaim>, ApiError> {
        let key = keys::key(
            keys::tenant_pk(tenant.as_str()),
            &keys::domain_claim_sk(domain.as_str()),
        );
        self.get_one(key, "reading a domain claim")
            .await?
            .map(|item| from_item::<ClaimItem>(item).map(|c| c.claim))
            .transpose()
    }

    /// Marks pending claim `pending` as `verified` and reserves its domain for its tenant,
    /// with its `event`, if the tenant is live and still at `version`. The reservation may
    /// replace one held by `stale_owner` (a deleted tenant, whose domains are free).
    pub async fn verify_domain(
        &self,
        verified: &DomainClaim,
        version: i64,
        stale_owner: Option<&TenantId>,
        event: &ChangeEvent,
        proof: Proof,
    ) -> Result<Verification, ApiError> {
        let table = self.table();
        let domain = verified.domain.as_str();
        let mut tx = TransactWrite::new();
        let current = tx.push(version_check(table, &verified.tenant_id, version, true)?);
        let claim = Put::builder()
            .table_name(table)
            .set_item(Some(to_item(&ClaimItem::new(verified))?))
            // Pending, or unverified by the scheduled checks and proven again.
            .condition_expression("#s IN (:pending, :unverified)")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":pending", AttributeValue::S("pending".to_owned()))
            .expression_attribute_values(":unverified", AttributeValue::S("unverified".to_owned()))
            .build()
            .context("building a claim verification")?;
        let claim = tx.push(TransactWriteItem::builder().put(claim).build());
        let verified_at = verified.verified_at.clone().unwrap_or_default();
        let reservation = to_item(&ReservationItem {
            pk: keys::domain_pk(domain),
            sk: keys::DOMAIN_SK.to_owned(),
            entity: "domain".to_owned(),
            domain: verified.domain.clone(),
            tenant_id: verified.tenant_id.clone(),
            gsi2pk: (proof == Proof::Dns).then(|| keys::DOMAIN_CHECKS.to_owned()),
            gsi2sk: (proof == Proof::Dns).then(|| keys::domain_check_sk(&verified_at, domain)),
            checked_at: Some(verified_at.clone()),
            failing_since: None,
            platform_managed: proof == Proof::Marked,
            verified_at,
        })?;
        let mut condition = "attribute_not_exists(PK)".to_owned();
        let mut values = HashMap::new();
        if let Some(stale) = stale_owner {
            condition.push_str(" OR tenantId = :stale");
            values.insert(":stale".to_owned(), AttributeValue::S(stale.to_string()));
        }
        let reserve = Put::builder()
            .table_name(table)
            .set_item(Some(reservation))
            .condition_expression(condition)
            .set_expression_attribute_values((!values.is_empty()).then_some(values))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .context("building a domain reservation")?;
        let reserve = tx.push(TransactWriteItem::builder().put(reserve).build());
        tx.push(event_put(self, event)?);
        let outcome = tx.run(self).await?;
        if outcome.refused(current) || outcome.refused(claim) {
            return Ok(Verification::Changed);
        }
        match outcome {
            Outcome::Committed => Ok(Verification::Done(Box::new(verified.clone()))),
            Outcome::Refused { old, failed } if failed.contains(&reserve) => {
                match old.as_ref().and_then(owner_of) {
                    Some(owner) => Ok(Verification::Taken(owner)),
                    None => Ok(Verification::Changed),
                }
            }
            Outcome::Refused { .. } => Err(ApiError::internal(
                "verifying a domain",
                "a condition failed on a fresh event id",
            )),
        }
    }

    /// Removes `claim` (and, if verified, its domain's reservation) with its `event`, if
    /// the tenant is still at `version`. `false`: the tenant or the claim changed.
    pub async fn remove_domain(
        &self,
        claim: &DomainClaim,
        version: i64,
        event: &ChangeEvent,
    ) -> Result<bool, ApiError> {
        let table = self.table();
        let domain = claim.domain.as_str();
        let mut tx = TransactWrite::new();
        tx.push(version_check(table, &claim.tenant_id, version, false)?);
        tx.push(delete_existing(
            table,
            keys::key(
                keys::tenant_pk(claim.tenant_id.as_str()),
                &keys::domain_claim_sk(domain),
            ),
        )?);
        if claim.status == DomainStatus::Verified {
            let delete = aws_sdk_dynamodb::types::Delete::builder()
                .table_name(table)
                .set_key(Some(reservation_key(domain)))
                .condition_expression("tenantId = :me")
                .expression_attribute_values(":me", AttributeValue::S(claim.tenant_id.to_string()))
                .build()
                .context("building a reservation delete")?;
            tx.push(TransactWriteItem::builder().delete(delete).build());
        }
        tx.push(event_put(self, event)?);
        Ok(matches!(tx.run(self).await?, Outcome::Committed))
    }

    /// One page of tenant `tenant`'s domain claims, by domain.
    pub async fn list_domains(
        &self,
        tenant: &TenantId,
        limit: usize,
        cursor: Option<&str>,
        codec: &CursorCodec,
    ) -> Result<Page<DomainClaim>, ApiError> {
        let print = fingerprint(&["domains", tenant.as_str()]);
        let partition = keys::tenant_pk(tenant.as_str());
        let start = match cursor {
            None => None,
            Some(cursor) => {
                let p = codec.decode_any(cursor, &print)?;
                let domain = DomainName::parse(&p.id).map_err(|_| ApiError::InvalidCursor)?;
                Some(keys::key(
                    partition.clone(),
                    &keys::domain_claim_sk(domain.as_str()),
                ))
            }
        };
        let output = self
            .client
            .query()
            .table_name(self.table())
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#sk", keys::SK)
            .expression_attribute_values(":pk", AttributeValue::S(partition))
            .expression_attribute_values(
                ":prefix",
                AttributeValue::S(keys::DOMAIN_CLAIM_SK_PREFIX.to_owned()),
            )
            .set_exclusive_start_key(start)
            .consistent_read(true)
            .limit(limit as i32 + 1)
            .send()
            .await
            .map_err(sdk_error("listing a tenant's domains"))?;
        let claims = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| from_item::<ClaimItem>(item).map(|c| c.claim))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(page_of(codec, claims, limit, &print, |c| Position {
            created_at: String::new(),
            id: c.domain.to_string(),
        }))
    }

    /// The tenant `domain` is verified for, if any (one strongly consistent key read).
    pub async fn domain_owner(&self, domain: &DomainName) -> Result<Option<TenantId>, ApiError> {
        let item = self
            .get_one(
                reservation_key(domain.as_str()),
                "reading a domain reservation",
            )
            .await?;
        Ok(item.as_ref().and_then(owner_of))
    }
}

mod checks;

pub use checks::DueDomain;
