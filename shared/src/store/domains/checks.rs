//! The scheduled re-verification's storage: the verified domains due for their check
//! (GSI2 `DOMAINCHECKS`, longest unchecked first), recording a check, unverifying a domain
//! whose record stayed gone, and enrolling domains verified before the schedule existed.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

use crate::domain::domains::DomainClaim;
use crate::domain::values::DomainName;
use crate::domain::{ChangeEvent, TenantId};
use crate::error::{ApiError, Context};
use crate::store::dynamo::sdk_error;
use crate::store::events::event_put;
use crate::store::item::{from_item, to_item};
use crate::store::tenants::version_check;
use crate::store::transaction::{Outcome, TransactWrite};
use crate::store::{keys, Store};

use super::*;

/// A verified domain due for its scheduled check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDomain {
    pub domain: DomainName,
    pub tenant_id: TenantId,
    /// Since when its record has been found gone, if it has.
    pub failing_since: Option<String>,
}

impl Store {
    /// Up to `limit` verified domains, the longest unchecked first (GSI2 `DOMAINCHECKS`).
    pub async fn domains_due(&self, limit: usize) -> Result<Vec<DueDomain>, ApiError> {
        let output = self
            .client
            .query()
            .table_name(self.table())
            .index_name(keys::GSI2)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", keys::GSI2PK)
            .expression_attribute_values(":pk", AttributeValue::S(keys::DOMAIN_CHECKS.to_owned()))
            .scan_index_forward(true)
            .limit(limit.clamp(1, 1000) as i32)
            .send()
            .await
            .map_err(sdk_error("listing the domains due for a check"))?;
        output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                from_item::<ReservationItem>(item).map(|r| DueDomain {
                    domain: r.domain,
                    tenant_id: r.tenant_id,
                    failing_since: r.failing_since,
                })
            })
            .collect()
    }

    /// Records a check of `due` at `now`: it moves to the back of the queue, failing since
    /// `failing_since` (`None`: its record was found). `false` if the domain is no longer
    /// reserved for that tenant (removed or unverified meanwhile).
    pub async fn record_domain_check(
        &self,
        due: &DueDomain,
        now: &str,
        failing_since: Option<&str>,
    ) -> Result<bool, ApiError> {
        let domain = due.domain.as_str();
        let mut values = HashMap::from([
            (
                ":t".to_owned(),
                AttributeValue::S(due.tenant_id.to_string()),
            ),
            (":now".to_owned(), AttributeValue::S(now.to_owned())),
            (
                ":sk".to_owned(),
                AttributeValue::S(keys::domain_check_sk(now, domain)),
            ),
        ]);
        let mut expression = "SET checkedAt = :now, GSI2SK = :sk".to_owned();
        match failing_since {
            Some(since) => {
                expression.push_str(", failingSince = :f");
                values.insert(":f".to_owned(), AttributeValue::S(since.to_owned()));
            }
            None => expression.push_str(" REMOVE failingSince"),
        }
        let update = aws_sdk_dynamodb::types::Update::builder()
            .table_name(self.table())
            .set_key(Some(reservation_key(domain)))
            .update_expression(expression)
            .condition_expression("tenantId = :t")
            .set_expression_attribute_values(Some(values))
            .build()
            .context("building a domain check")?;
        let mut tx = TransactWrite::new();
        tx.push(TransactWriteItem::builder().update(update).build());
        Ok(matches!(tx.run(self).await?, Outcome::Committed))
    }

    /// Marks the claim verified `unverified` (its record gone since `since`) and frees its
    /// domain, with its `event`, in one transaction: only if the tenant is still at
    /// `version`, the claim still verified and the reservation still this tenant's and
    /// failing since `since` (a check that found the record meanwhile wins). `false`: one
    /// of these changed.
    pub async fn unverify_domain(
        &self,
        unverified: &DomainClaim,
        version: i64,
        since: &str,
        event: &ChangeEvent,
    ) -> Result<bool, ApiError> {
        let table = self.table();
        let domain = unverified.domain.as_str();
        let mut tx = TransactWrite::new();
        tx.push(version_check(table, &unverified.tenant_id, version, false)?);
        let claim = Put::builder()
            .table_name(table)
            .set_item(Some(to_item(&ClaimItem::new(unverified))?))
            .condition_expression("#s = :verified")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":verified", AttributeValue::S("verified".to_owned()))
            .build()
            .context("building a claim unverification")?;
        tx.push(TransactWriteItem::builder().put(claim).build());
        let release = aws_sdk_dynamodb::types::Delete::builder()
            .table_name(table)
            .set_key(Some(reservation_key(domain)))
            .condition_expression("tenantId = :t AND failingSince = :since")
            .expression_attribute_values(":t", AttributeValue::S(unverified.tenant_id.to_string()))
            .expression_attribute_values(":since", AttributeValue::S(since.to_owned()))
            .build()
            .context("building a reservation release")?;
        tx.push(TransactWriteItem::builder().delete(release).build());
        tx.push(event_put(self, event)?);
        Ok(matches!(tx.run(self).await?, Outcome::Committed))
    }

    /// Puts verified domains reserved before scheduled re-verification existed (without
    /// a place in GSI2's `DOMAINCHECKS`) in its queue, as if last checked when verified;
    /// those a platform admin marked verified stay out of it.
    /// Scans the whole table: a one-off (`tenantctl enrol-domains`). How many it enrolled.
    pub async fn enrol_unscheduled_domains(&self) -> Result<usize, ApiError> {
        let mut enrolled = 0;
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(self.table())
                .filter_expression(
                    "#e = :domain AND attribute_not_exists(#gsi) AND attribute_not_exists(platformManaged)",
                )
                .expression_attribute_names("#e", keys::ENTITY)
                .expression_attribute_names("#gsi", keys::GSI2PK)
                .expression_attribute_values(":domain", AttributeValue::S("domain".to_owned()))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_error("finding unscheduled domains"))?;
            for item in page.items.unwrap_or_default() {
                let r: ReservationItem = from_item(item)?;
                let at = r
                    .checked_at
                    .clone()
                    .unwrap_or_else(|| r.verified_at.clone());
                let update = aws_sdk_dynamodb::types::Update::builder()
                    .table_name(self.table())
                    .set_key(Some(reservation_key(r.domain.as_str())))
                    .update_expression("SET #gsi = :p, GSI2SK = :sk, checkedAt = :at")
                    .condition_expression("attribute_exists(PK) AND attribute_not_exists(#gsi)")
                    .expression_attribute_names("#gsi", keys::GSI2PK)
                    .expression_attribute_values(
                        ":p",
                        AttributeValue::S(keys::DOMAIN_CHECKS.to_owned()),
                    )
                    .expression_attribute_values(
                        ":sk",
                        AttributeValue::S(keys::domain_check_sk(&at, r.domain.as_str())),
                    )
                    .expression_attribute_values(":at", AttributeValue::S(at))
                    .build()
                    .context("building a domain enrolment")?;
                let mut tx = TransactWrite::new();
                tx.push(TransactWriteItem::builder().update(update).build());
                if matches!(tx.run(self).await?, Outcome::Committed) {
                    enrolled += 1;
                }
            }
            match page.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(enrolled),
            }
        }
    }
}
