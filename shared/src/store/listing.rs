//! `GET /v1/tenants` in storage: the index queries behind a listing.
//!
//! The default listing reads GSI1 (live tenants by creation time); `status=` reads GSI2
//! (tenants of one status by creation time). `plan`, `kind` and `search` are filters on
//! those queries; a filtered listing keeps reading until its page is full, so every page
//! but the last holds exactly `limit` items. The one exception: a sparse filter over a very
//! large table that would read past the Lambda deadline returns what it has found so far,
//! with a cursor to continue from where it stopped, rather than time out.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::cursor::{CursorCodec, Position};
use super::dynamo::sdk_error;
use super::item::Item;
use super::tenants::tenant_from_item;
use super::{keys, Store};
use crate::domain::{ListQuery, Page, Tenant};
use crate::error::ApiError;

/// Items read per index query when filters may discard some.
const FILTERED_READ: i32 = 200;
/// Stop reading further index pages when less time than this is left before the deadline.
const DEADLINE_MARGIN_MS: u64 = 2_000;

impl Store {
    /// Lists one page of tenants for `query`. `deadline_ms` (Unix epoch milliseconds, the
    /// Lambda invocation's deadline) bounds how long a sparse filter may keep reading.
    pub async fn list(
        &self,
        query: &ListQuery,
        codec: &CursorCodec,
        deadline_ms: Option<u64>,
    ) -> Result<Page<Tenant>, ApiError> {
        let query_print = query.fingerprint();
        let start = query
            .cursor
            .as_deref()
            .map(|c| codec.decode(c, &query_print))
            .transpose()?;

        let (index, pk_name, sk_name, partition) = match query.status {
            None => (
                keys::GSI1,
                keys::GSI1PK,
                keys::GSI1SK,
                keys::LIVE_TENANTS.to_owned(),
            ),
            Some(status) => (
                keys::GSI2,
                keys::GSI2PK,
                keys::GSI2SK,
                keys::status_partition(status.as_str()),
            ),
        };
        let mut names = HashMap::from([("#pk".to_owned(), pk_name.to_owned())]);
        let mut values = HashMap::from([(":pk".to_owned(), AttributeValue::S(partition.clone()))]);
        let mut filters = Vec::new();
        if let Some(plan) = &query.plan {
            names.insert("#plan".into(), "plan".into());
            values.insert(":plan".into(), AttributeValue::S(plan.clone()));
            filters.push("#plan = :plan".to_owned());
        }
        if let Some(kind) = query.kind {
            names.insert("#kind".into(), "kind".into());
            values.insert(":kind".into(), AttributeValue::S(kind.as_str().into()));
            filters.push("#kind = :kind".to_owned());
        }
        if let Some(search) = &query.search {
            names.insert("#nl".into(), "nameLower".into());
            names.insert("#slug".into(), "slug".into());
            values.insert(":q".into(), AttributeValue::S(search.clone()));
            filters.push("(contains(#nl, :q) OR begins_with(#slug, :q))".to_owned());
        }
        let filter = (!filters.is_empty()).then(|| filters.join(" AND "));

        let mut exclusive_start = start.map(|p| {
            let mut key = keys::tenant_key(&p.id);
            key.insert(pk_name.to_owned(), AttributeValue::S(partition.clone()));
            key.insert(
                sk_name.to_owned(),
                AttributeValue::S(keys::created_sort_key(&p.created_at, &p.id)),
            );
            key
        });
        // Read one more than the page to learn whether another page exists.
        let wanted = query.limit + 1;
        let read_size = if query.has_filter() {
            FILTERED_READ
        } else {
            wanted as i32
        };
        let mut found: Vec<Tenant> = Vec::with_capacity(wanted);
        loop {
            let output = self
                .client
                .query()
                .table_name(self.table())
                .index_name(index)
                .key_condition_expression("#pk = :pk")
                .set_filter_expression(filter.clone())
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(query.ascending)
                .set_exclusive_start_key(exclusive_start.take())
                .limit(read_size)
                .send()
                .await
                .map_err(sdk_error("querying a tenant index"))?;
            for item in output.items.unwrap_or_default() {
                if let Some((tenant, _)) = tenant_from_item(item)? {
                    found.push(tenant);
                }
                if found.len() == wanted {
                    break;
                }
            }
            match output.last_evaluated_key {
                Some(key) if found.len() < wanted => {
                    if near(deadline_ms) {
                        // Out of time: hand back what we have and resume after `key`.
                        let position = position_of(&key, sk_name)?;
                        return Ok(Page {
                            items: found,
                            next_cursor: Some(codec.encode(&position, &query_print)),
                        });
                    }
                    exclusive_start = Some(key);
                }
                _ => break,
            }
        }
        let next_cursor = if found.len() > query.limit {
            found.truncate(query.limit);
            found
                .last()
                .map(|last| codec.encode(&Position::of(last), &query_print))
        } else {
            None
        };
        Ok(Page {
            items: found,
            next_cursor,
        })
    }
}

/// Whether less than [`DEADLINE_MARGIN_MS`] is left before `deadline_ms`.
pub(crate) fn near(deadline_ms: Option<u64>) -> bool {
    let Some(deadline) = deadline_ms else {
        return false;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    deadline.saturating_sub(now) < DEADLINE_MARGIN_MS
}

/// The cursor position of an index key (`<createdAt>#<id>` in its sort key).
fn position_of(key: &Item, sort_key: &str) -> Result<Position, ApiError> {
    match key.get(sort_key) {
        Some(AttributeValue::S(sort)) => match sort.split_once('#') {
            Some((created_at, id)) => Ok(Position {
                created_at: created_at.to_owned(),
                id: id.to_owned(),
            }),
            None => Err(ApiError::internal(
                "reading a tenant index",
                format!("unexpected index sort key {sort}"),
            )),
        },
        _ => Err(ApiError::internal(
            "reading a tenant index",
            "index key without its sort key",
        )),
    }
}
