//! The pieces of tenant transactions: the checks and puts other writes join, the counter
//! update, and what a create or a limited write found.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};

use crate::domain::{Tenant, TenantId, TenantStatus};
use crate::error::{ApiError, Context};
use crate::store::keys;
use crate::store::transaction::{check, EXISTS};

use super::{tenant_item, INVITATION_RESENT_AT};

/// What a create transaction found.
#[derive(Debug)]
pub enum Created {
    /// The tenant was written.
    New,
    /// A tenant with the requested id already exists (returned with its create digest).
    IdTaken(Box<Tenant>, String),
}

/// A check, inside a transaction, that tenant `id` exists and is not deleted.
pub(crate) fn live_check(table: &str, id: &TenantId) -> Result<TransactWriteItem, ApiError> {
    check(
        table,
        keys::tenant_key(id.as_str()),
        &format!("{EXISTS} AND #s <> :deleted"),
        &[("#s", "status")],
        HashMap::from([(
            ":deleted".to_owned(),
            AttributeValue::S(TenantStatus::Deleted.as_str().to_owned()),
        )]),
    )
}

/// A check, inside a transaction, that tenant `id` is still at `version` (and, with
/// `live`, not deleted): changes that do not write the tenant but are made against it.
pub(crate) fn version_check(
    table: &str,
    id: &TenantId,
    version: i64,
    live: bool,
) -> Result<TransactWriteItem, ApiError> {
    let mut values = HashMap::from([(":v".to_owned(), AttributeValue::N(version.to_string()))]);
    let mut condition = format!("{EXISTS} AND #v = :v");
    if live {
        condition.push_str(" AND #s <> :deleted");
        values.insert(
            ":deleted".to_owned(),
            AttributeValue::S(TenantStatus::Deleted.as_str().to_owned()),
        );
    }
    let names: &[(&str, &str)] = if live {
        &[("#v", "version"), ("#s", "status")]
    } else {
        &[("#v", "version")]
    };
    check(
        table,
        keys::tenant_key(id.as_str()),
        &condition,
        names,
        values,
    )
}

/// The put replacing tenant `before` with `after`, conditioned on `before`'s version.
pub(crate) fn tenant_put(
    table: &str,
    before: &Tenant,
    after: &Tenant,
    create_hash: &str,
) -> Result<TransactWriteItem, ApiError> {
    tenant_put_if(table, before, after, create_hash, None)
}

/// [`tenant_put`], also conditioned, with `resent_by`, on the stored invitation not having
/// been resent after that time (epoch seconds); a refusal returns the stored item.
pub(super) fn tenant_put_if(
    table: &str,
    before: &Tenant,
    after: &Tenant,
    create_hash: &str,
    resent_by: Option<i64>,
) -> Result<TransactWriteItem, ApiError> {
    let mut put = Put::builder()
        .table_name(table)
        .set_item(Some(tenant_item(after, create_hash)?))
        .condition_expression("#v = :v")
        .expression_attribute_names("#v", "version")
        .expression_attribute_values(":v", AttributeValue::N(before.version.to_string()));
    if let Some(cutoff) = resent_by {
        put = put
            .condition_expression("#v = :v AND (attribute_not_exists(#r) OR #r <= :r)")
            .expression_attribute_names("#r", INVITATION_RESENT_AT)
            .expression_attribute_values(":r", AttributeValue::N(cutoff.to_string()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
    }
    let put = put.build().context("building a tenant update")?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// What a write under the resend limit found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitedWrite {
    /// Written.
    Written,
    /// The tenant changed meanwhile: nothing was written (read it again).
    Stale,
    /// The invitation was resent at `resent_at` (epoch seconds), within the limit: nothing
    /// was written.
    TooSoon { resent_at: i64 },
}

/// An update adding `delta` to the counters in the tenant's stats shard.
pub(super) fn counter_update(
    table: &str,
    tenant_id: &TenantId,
    delta: &BTreeMap<String, i64>,
) -> Result<TransactWriteItem, ApiError> {
    let mut names = HashMap::new();
    let mut values = HashMap::new();
    let mut adds = Vec::new();
    for (i, (name, by)) in delta.iter().enumerate() {
        names.insert(format!("#c{i}"), name.clone());
        values.insert(format!(":c{i}"), AttributeValue::N(by.to_string()));
        adds.push(format!("#c{i} :c{i}"));
    }
    names.insert("#e".to_owned(), keys::ENTITY.to_owned());
    values.insert(":e".to_owned(), AttributeValue::S("stats".to_owned()));
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(keys::key(
            keys::STATS_PK.to_owned(),
            &keys::stats_sk(keys::stats_shard_for(tenant_id.as_str())),
        )))
        .update_expression(format!("SET #e = :e ADD {}", adds.join(", ")))
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .build()
        .context("building a counter update")?;
    Ok(TransactWriteItem::builder().update(update).build())
}
