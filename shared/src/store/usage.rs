//! A tenant's usage counters (one item, `TENANT#<id>` / `USAGE`, a number attribute
//! `U#<counter>` for each counter) and the usage report: one `TransactWriteItems` that
//! records the report's idempotency key, changes the counter under a condition holding
//! the limit, and writes the threshold events the report crosses.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};

use super::events::event_put;
use super::item::{is_entity, text, Item};
use super::transaction::{Outcome, TransactWrite, CREATES};
use super::{keys, Store};
use crate::domain::entitlements::usage::{ReportWrite, Usage, UsageRecord};
use crate::domain::{ChangeEvent, TenantId};
use crate::error::{ApiError, Context};

const USAGE_ENTITY: &str = "usage";
/// Attribute holding the tenant version at which its limits or status last changed.
const LIMITS_VERSION: &str = "limitsVersion";
const IDEMPOTENCY_ENTITY: &str = "usageReport";
/// Prefix of counter attributes.
const COUNTER: &str = "U#";

/// The key of tenant `id`'s usage item.
pub(crate) fn usage_key(id: &TenantId) -> Item {
    keys::key(keys::tenant_pk(id.as_str()), keys::USAGE_SK)
}

/// The counters of a usage item.
pub(crate) fn usage_from_item(item: &Item) -> Usage {
    Usage(
        item.iter()
            .filter_map(|(name, value)| {
                let key = name.strip_prefix(COUNTER)?;
                let AttributeValue::N(n) = value else {
                    return None;
                };
                Some((key.to_owned(), n.parse::<u64>().ok()?))
            })
            .collect(),
    )
}

/// What a change of a tenant's limits or status writes to its usage item, in the change's
/// own transaction: the new tenant version (reports decided against an older one are
/// decided again), conditioned on the counters being what the change read (its over-limit
/// list is then exact).
#[derive(Debug, Clone)]
pub struct LimitsChange {
    pub tenant_id: TenantId,
    /// The tenant's version after the change.
    pub version: i64,
    /// Counter key → the usage the change read (`None`: no counter yet).
    pub counters: Vec<(String, Option<u64>)>,
}

/// The update recording `change` on the usage item.
pub(crate) fn limits_update(
    table: &str,
    change: &LimitsChange,
) -> Result<TransactWriteItem, ApiError> {
    let mut names = HashMap::from([
        ("#lv".to_owned(), LIMITS_VERSION.to_owned()),
        ("#e".to_owned(), keys::ENTITY.to_owned()),
        ("#t".to_owned(), "tenantId".to_owned()),
    ]);
    let mut values = HashMap::from([
        (
            ":lv".to_owned(),
            AttributeValue::N(change.version.to_string()),
        ),
        (":e".to_owned(), AttributeValue::S(USAGE_ENTITY.to_owned())),
        (
            ":t".to_owned(),
            AttributeValue::S(change.tenant_id.to_string()),
        ),
    ]);
    let mut conditions = Vec::new();
    for (i, (counter, read)) in change.counters.iter().enumerate() {
        names.insert(format!("#c{i}"), format!("{COUNTER}{counter}"));
        match read {
            Some(n) => {
                values.insert(format!(":c{i}"), number(*n));
                conditions.push(format!("#c{i} = :c{i}"));
            }
            None => conditions.push(format!("attribute_not_exists(#c{i})")),
        }
    }
    let mut update = Update::builder()
        .table_name(table)
        .set_key(Some(usage_key(&change.tenant_id)))
        .update_expression("SET #lv = :lv, #e = :e, #t = :t")
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values));
    if !conditions.is_empty() {
        update = update.condition_expression(conditions.join(" AND "));
    }
    let update = update.build().context("building a limits change")?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// A usage report's idempotency record: the key's digest of the request and the answer.
#[derive(Debug, Clone)]
pub struct IdempotencyRecord<'a> {
    pub key: &'a str,
    /// SHA-256 of the feature and the body: the same key with another request is refused.
    pub digest: String,
    pub answer: &'a UsageRecord,
    /// When the record expires (epoch seconds; the table's TTL removes it).
    pub expires_at: i64,
}

/// How a report's write ended.
#[derive(Debug)]
pub enum Reported {
    Written,
    /// The key was used before: its request digest and first answer.
    Replayed {
        digest: String,
        answer: Box<UsageRecord>,
    },
    /// The usage moved since it was read: nothing was written; read it again.
    Moved,
}

fn number(n: u64) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

/// The counter update: the change and its condition (see [`ReportWrite`]).
fn counter_update(
    table: &str,
    tenant_id: &TenantId,
    tenant_version: i64,
    counter: &str,
    stale: Option<&str>,
    write: &ReportWrite,
) -> Result<TransactWriteItem, ApiError> {
    let mut names = HashMap::from([
        ("#u".to_owned(), format!("{COUNTER}{counter}")),
        ("#e".to_owned(), keys::ENTITY.to_owned()),
        ("#t".to_owned(), "tenantId".to_owned()),
    ]);
    let mut values = HashMap::from([
        (":e".to_owned(), AttributeValue::S(USAGE_ENTITY.to_owned())),
        (":t".to_owned(), AttributeValue::S(tenant_id.to_string())),
        (":zero".to_owned(), number(0)),
    ]);
    // The limits and status the decision used are still the tenant's: no plan, override
    // or status change was written after the tenant version the decision read.
    names.insert("#lv".to_owned(), LIMITS_VERSION.to_owned());
    values.insert(
        ":tv".to_owned(),
        AttributeValue::N(tenant_version.to_string()),
    );
    let limits = "(attribute_not_exists(#lv) OR #lv <= :tv)";
    let (set, condition) = match write {
        ReportWrite::Add {
            n,
            max_before,
            low,
            high,
            ..
        } => {
            values.insert(":n".to_owned(), number(*n));
            let mut bounds = vec![format!("#u >= :low")];
            values.insert(":low".to_owned(), number(*low));
            if let Some(high) = high {
                bounds.push("#u < :high".to_owned());
                values.insert(":high".to_owned(), number(*high));
            }
            if let Some(max) = max_before {
                bounds.push("#u <= :max".to_owned());
                values.insert(":max".to_owned(), number(*max));
            }
            // A counter never written is 0: allowed when 0 lies in the band.
            let fresh = *low == 0 && high.is_none_or(|h| h > 0);
            let present = bounds.join(" AND ");
            let condition = if fresh {
                format!("attribute_not_exists(#u) OR ({present})")
            } else {
                present
            };
            ("#u = if_not_exists(#u, :zero) + :n".to_owned(), condition)
        }
        ReportWrite::Subtract { n } => {
            values.insert(":n".to_owned(), number(*n));
            ("#u = #u - :n".to_owned(), "#u >= :n".to_owned())
        }
        ReportWrite::Set { value, before, .. } => {
            values.insert(":v".to_owned(), number(*value));
            values.insert(":before".to_owned(), number(*before));
            let condition = if *before == 0 {
                "attribute_not_exists(#u) OR #u = :before"
            } else {
                "#u = :before"
            };
            ("#u = :v".to_owned(), condition.to_owned())
        }
    };
    let mut expression = format!("SET {set}, #e = :e, #t = :t");
    if let Some(stale) = stale {
        names.insert("#old".to_owned(), format!("{COUNTER}{stale}"));
        expression.push_str(" REMOVE #old");
    }
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(usage_key(tenant_id)))
        .update_expression(expression)
        .condition_expression(format!("{limits} AND ({condition})"))
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .build()
        .context("building a usage update")?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// The put of a report's idempotency record (refused, returning the first, when the key
/// was used before).
fn idempotency_put(
    table: &str,
    tenant_id: &TenantId,
    record: &IdempotencyRecord<'_>,
    now_epoch: i64,
) -> Result<TransactWriteItem, ApiError> {
    let answer = serde_json::to_string(record.answer).context("encoding a usage answer")?;
    let item: Item = HashMap::from([
        (
            keys::PK.to_owned(),
            AttributeValue::S(keys::idempotency_pk(tenant_id.as_str(), record.key)),
        ),
        (
            keys::SK.to_owned(),
            AttributeValue::S(keys::IDEMPOTENCY_SK.to_owned()),
        ),
        (
            keys::ENTITY.to_owned(),
            AttributeValue::S(IDEMPOTENCY_ENTITY.to_owned()),
        ),
        (
            "digest".to_owned(),
            AttributeValue::S(record.digest.clone()),
        ),
        ("answer".to_owned(), AttributeValue::S(answer)),
        (
            super::events::EXPIRES_AT.to_owned(),
            AttributeValue::N(record.expires_at.to_string()),
        ),
    ]);
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        // An expired record the TTL has not removed yet frees its key all the same.
        .condition_expression(format!("{CREATES} OR #x <= :now"))
        .expression_attribute_names("#x", super::events::EXPIRES_AT)
        .expression_attribute_values(":now", AttributeValue::N(now_epoch.to_string()))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .context("building an idempotency record")?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// A stored idempotency record's digest and answer, if `item` is one that has not expired
/// (the TTL removes expired items only eventually).
fn replay_of(item: &Item, now_epoch: i64) -> Option<(String, UsageRecord)> {
    if !is_entity(item, IDEMPOTENCY_ENTITY) {
        return None;
    }
    let expires = match item.get(super::events::EXPIRES_AT) {
        Some(AttributeValue::N(n)) => n.parse::<i64>().ok()?,
        _ => return None,
    };
    if expires <= now_epoch {
        return None;
    }
    let answer = serde_json::from_str(text(item, "answer")?).ok()?;
    Some((text(item, "digest")?.to_owned(), answer))
}

impl Store {
    /// The first answer of idempotency key `key` of tenant `tenant_id`, with its request
    /// digest, if the key was used and has not expired.
    pub async fn usage_report(
        &self,
        tenant_id: &TenantId,
        key: &str,
        now_epoch: i64,
    ) -> Result<Option<(String, UsageRecord)>, ApiError> {
        let item = self
            .get_one(
                keys::key(
                    keys::idempotency_pk(tenant_id.as_str(), key),
                    keys::IDEMPOTENCY_SK,
                ),
                "reading an idempotency record",
            )
            .await?;
        Ok(item.and_then(|item| replay_of(&item, now_epoch)))
    }

    /// Tenant `id`'s usage counters (strongly consistent).
    pub async fn usage(&self, id: &TenantId) -> Result<Usage, ApiError> {
        Ok(self
            .get_one(usage_key(id), "reading usage counters")
            .await?
            .map(|item| usage_from_item(&item))
            .unwrap_or_default())
    }

    /// Writes a usage report in one transaction: its idempotency record, the counter
    /// change (conditioned on the usage the decision assumed, the limit included), and
    /// `events` (the thresholds it crossed). `stale` names a counter of a past period
    /// to drop.
    #[allow(clippy::too_many_arguments)]
    pub async fn report_usage(
        &self,
        tenant_id: &TenantId,
        tenant_version: i64,
        counter: &str,
        stale: Option<&str>,
        write: &ReportWrite,
        record: &IdempotencyRecord<'_>,
        events: &[ChangeEvent],
        now_epoch: i64,
    ) -> Result<Reported, ApiError> {
        let table = self.table();
        let mut tx = TransactWrite::new();
        let record_op = tx.push(idempotency_put(table, tenant_id, record, now_epoch)?);
        let counter_op = tx.push(counter_update(
            table,
            tenant_id,
            tenant_version,
            counter,
            stale,
            write,
        )?);
        for event in events {
            tx.push(event_put(self, event)?);
        }
        let outcome = tx.run(self).await?;
        if outcome.refused(record_op) {
            let old = match &outcome {
                Outcome::Refused { old: Some(old), .. } => Some(old.clone()),
                _ => {
                    self.get_one(
                        keys::key(
                            keys::idempotency_pk(tenant_id.as_str(), record.key),
                            keys::IDEMPOTENCY_SK,
                        ),
                        "reading an idempotency record",
                    )
                    .await?
                }
            };
            return match old.and_then(|item| replay_of(&item, now_epoch)) {
                Some((digest, answer)) => Ok(Reported::Replayed {
                    digest,
                    answer: Box::new(answer),
                }),
                // Expired between the write and this read: the key is free; write again.
                None => Ok(Reported::Moved),
            };
        }
        match outcome {
            Outcome::Committed => Ok(Reported::Written),
            _ if outcome.refused(counter_op) => Ok(Reported::Moved),
            _ => Err(ApiError::internal(
                "reporting usage",
                "a condition failed on a fresh event id",
            )),
        }
    }
}
