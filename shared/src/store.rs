//! The DynamoDB single-table store. Storage items ([`TenantItem`], [`SlugItem`],
//! [`ScopeItem`]) are separate from the API model and mapped with serde_dynamo; keys come
//! from [`crate::keys`]. Every multi-item change is one `TransactWriteItems` with conditions.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, KeysAndAttributes, Put,
    ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ApiError;
use crate::keys;
use crate::model::{LoginMode, Tenant, TenantFields, TenantKind, TenantStatus};
use crate::stats;

/// How often a transaction that lost a race with another one is retried.
const CONFLICT_RETRIES: u32 = 6;

/// A tenant as stored: the API fields plus keys, index attributes and bookkeeping.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub entity: String,
    #[serde(rename = "GSI1PK", skip_serializing_if = "Option::is_none", default)]
    pub gsi1pk: Option<String>,
    #[serde(rename = "GSI1SK", skip_serializing_if = "Option::is_none", default)]
    pub gsi1sk: Option<String>,
    #[serde(rename = "GSI2PK")]
    pub gsi2pk: String,
    #[serde(rename = "GSI2SK")]
    pub gsi2sk: String,
    #[serde(rename = "GSI3PK")]
    pub gsi3pk: String,
    /// Lower-cased name, for case-insensitive search.
    pub name_lower: String,
    /// Digest of the create request, to recognise an idempotent replay.
    pub create_hash: String,

    pub id: String,
    pub slug: String,
    pub plan: String,
    pub status: TenantStatus,
    pub scope_id: String,
    pub name: String,
    pub kind: TenantKind,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub owner_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub owner_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub owner_user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub billing_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub technical_contact_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub locale: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub region: Option<String>,
    pub login_mode: LoginMode,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sso_start_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sso_region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub email_domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub aws_role_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub aws_external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub aws_region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max_users: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max_workspaces: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max_projects: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max_environments: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub data_retention_days: Option<u32>,
    /// Metadata as JSON text: stored exactly as validated, whatever its nesting.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub metadata: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub suspended_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub suspended_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub deleted_at: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// Attribute holding the unique id of the write that produced a tenant item.
const WRITE_ID: &str = "writeId";

/// Entity name of tenant items.
pub const TENANT_ENTITY: &str = "tenant";

impl TenantItem {
    /// The storage item for `tenant`, with index keys derived from its state.
    pub fn new(tenant: &Tenant, create_hash: &str) -> Self {
        let t = tenant.clone();
        let f = t.fields;
        let sort = keys::created_sort_key(&t.created_at, &t.id);
        // Deleted tenants leave the live index (a sparse GSI) but stay in the status index.
        let live = t.status != TenantStatus::Deleted;
        Self {
            pk: keys::tenant_pk(&t.id),
            sk: keys::TENANT_SK.to_owned(),
            entity: TENANT_ENTITY.to_owned(),
            gsi1pk: live.then(|| keys::LIVE_TENANTS.to_owned()),
            gsi1sk: live.then(|| sort.clone()),
            gsi2pk: keys::status_partition(t.status.as_str()),
            gsi2sk: sort,
            gsi3pk: keys::slug_pk(&t.slug),
            name_lower: f.name.to_lowercase(),
            create_hash: create_hash.to_owned(),
            id: t.id,
            slug: t.slug,
            plan: t.plan,
            status: t.status,
            scope_id: t.scope_id,
            name: f.name,
            kind: f.kind,
            owner_email: f.owner_email,
            owner_name: f.owner_name,
            owner_user_id: f.owner_user_id,
            billing_email: f.billing_email,
            technical_contact_email: f.technical_contact_email,
            external_id: f.external_id,
            locale: f.locale,
            region: f.region,
            login_mode: f.login_mode,
            sso_start_url: f.sso_start_url,
            sso_region: f.sso_region,
            email_domain: f.email_domain,
            aws_role_arn: f.aws_role_arn,
            aws_external_id: f.aws_external_id,
            aws_region: f.aws_region,
            max_users: f.max_users,
            max_workspaces: f.max_workspaces,
            max_projects: f.max_projects,
            max_environments: f.max_environments,
            data_retention_days: f.data_retention_days,
            metadata: f.metadata.map(|m| Value::Object(m).to_string()),
            suspended_reason: t.suspended_reason,
            suspended_at: t.suspended_at,
            deleted_at: t.deleted_at,
            version: t.version,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }

    /// The API view of this item.
    pub fn into_tenant(self) -> Result<Tenant, ApiError> {
        let metadata = match self.metadata {
            None => None,
            Some(text) => match serde_json::from_str::<Value>(&text) {
                Ok(Value::Object(map)) => Some(map),
                _ => {
                    return Err(ApiError::internal(format!(
                        "tenant {} has corrupt metadata",
                        self.id
                    )))
                }
            },
        };
        Ok(Tenant {
            id: self.id,
            slug: self.slug,
            plan: self.plan,
            status: self.status,
            scope_id: self.scope_id,
            fields: TenantFields {
                name: self.name,
                kind: self.kind,
                owner_email: self.owner_email,
                owner_name: self.owner_name,
                owner_user_id: self.owner_user_id,
                billing_email: self.billing_email,
                technical_contact_email: self.technical_contact_email,
                external_id: self.external_id,
                locale: self.locale,
                region: self.region,
                login_mode: self.login_mode,
                sso_start_url: self.sso_start_url,
                sso_region: self.sso_region,
                email_domain: self.email_domain,
                aws_role_arn: self.aws_role_arn,
                aws_external_id: self.aws_external_id,
                aws_region: self.aws_region,
                max_users: self.max_users,
                max_workspaces: self.max_workspaces,
                max_projects: self.max_projects,
                max_environments: self.max_environments,
                data_retention_days: self.data_retention_days,
                metadata,
            },
            suspended_reason: self.suspended_reason,
            suspended_at: self.suspended_at,
            deleted_at: self.deleted_at,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The reservation that makes a slug globally unique; never deleted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlugItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub entity: String,
    pub slug: String,
    pub tenant_id: String,
    pub created_at: String,
}

/// The scope created with, and owned by, a tenant.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub entity: String,
    pub scope_id: String,
    pub tenant_id: String,
    pub created_at: String,
}

/// What a create transaction found.
#[derive(Debug)]
pub enum Created {
    /// The tenant was written.
    New,
    /// A tenant with the requested id already exists (returned with its create digest).
    IdTaken(Box<Tenant>, String),
}

/// The store over one DynamoDB table.
#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    table: String,
}

/// How a conditional write failed.
enum WriteFailure {
    /// The conditions of these transaction items (indexes) or of the single write failed;
    /// `old` is the item the first failed condition saw, when DynamoDB returned it.
    Condition {
        failed: Vec<usize>,
        old: Option<HashMap<String, AttributeValue>>,
    },
    /// Lost a race with another transaction; worth retrying.
    Conflict,
    /// Anything else, already mapped.
    Other(ApiError),
}

impl Store {
    /// A store using `client` on `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The DynamoDB client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Writes a new tenant, its slug reservation, its scope and the counters in one
    /// transaction. Fails with `slug_conflict` if the slug was ever taken; reports an
    /// existing tenant with the same id as [`Created::IdTaken`].
    /// `admins` (the initial admin grants) are written in the same transaction.
    pub async fn create(
        &self,
        tenant: &Tenant,
        create_hash: &str,
        admins: &[crate::auth::grants::AdminGrant],
    ) -> Result<Created, ApiError> {
        let item = to_item(&TenantItem::new(tenant, create_hash))?;
        let slug = to_item(&SlugItem {
            pk: keys::slug_pk(&tenant.slug),
            sk: keys::SLUG_SK.to_owned(),
            entity: "slug".to_owned(),
            slug: tenant.slug.clone(),
            tenant_id: tenant.id.clone(),
            created_at: tenant.created_at.clone(),
        })?;
        let scope = to_item(&ScopeItem {
            pk: keys::scope_pk(&tenant.scope_id),
            sk: keys::SCOPE_SK.to_owned(),
            entity: "scope".to_owned(),
            scope_id: tenant.scope_id.clone(),
            tenant_id: tenant.id.clone(),
            created_at: tenant.created_at.clone(),
        })?;
        let items = vec![
            self.put_new(item)?
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .build()
                .map(|p| TransactWriteItem::builder().put(p).build())
                .map_err(ApiError::internal)?,
            self.put_new(slug)?
                .build()
                .map(|p| TransactWriteItem::builder().put(p).build())
                .map_err(ApiError::internal)?,
            self.put_new(scope)?
                .build()
                .map(|p| TransactWriteItem::builder().put(p).build())
                .map_err(ApiError::internal)?,
            self.counter_update(&tenant.id, &stats::delta(None, tenant))?,
        ];
        let mut items = items;
        for grant in admins {
            items.extend(self.grant_items(grant)?);
        }
        if !admins.is_empty() {
            items.push(self.admin_count_update(&tenant.id, admins.len() as i64, false)?);
        }
        match self.transact(items).await {
            Ok(()) => Ok(Created::New),
            Err(WriteFailure::Condition { failed, old }) if failed.contains(&0) => {
                let existing = match old {
                    Some(old) => Some(from_item::<TenantItem>(old)?),
                    None => self.get_item(&tenant.id).await?,
                };
                match existing {
                    Some(item) => {
                        let hash = item.create_hash.clone();
                        Ok(Created::IdTaken(Box::new(item.into_tenant()?), hash))
                    }
                    // The id is held by something that is not a tenant: treat as taken.
                    None => Err(ApiError::IdConflict(tenant.id.clone())),
                }
            }
            Err(WriteFailure::Condition { failed, .. }) if failed.contains(&1) => {
                Err(ApiError::SlugConflict(tenant.slug.clone()))
            }
            Err(WriteFailure::Condition { .. }) => Err(ApiError::internal(
                "create transaction failed a condition on a fresh scope id",
            )),
            Err(WriteFailure::Conflict) => Err(busy()),
            Err(WriteFailure::Other(e)) => Err(e),
        }
    }

    fn put_new(
        &self,
        item: HashMap<String, AttributeValue>,
    ) -> Result<aws_sdk_dynamodb::types::builders::PutBuilder, ApiError> {
        Ok(Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)"))
    }

    /// An update adding `delta` to the counters in the tenant's stats shard.
    fn counter_update(
        &self,
        tenant_id: &str,
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
            .table_name(&self.table)
            .set_key(Some(keys::key(
                keys::STATS_PK.to_owned(),
                &keys::stats_sk(keys::stats_shard_for(tenant_id)),
            )))
            .update_expression(format!("SET #e = :e ADD {}", adds.join(", ")))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(ApiError::internal)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Runs a transaction, retrying while it only lost races with other transactions.
    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), WriteFailure> {
        // One token for every send of these items: if a send committed but its answer was
        // lost, the SDK's retry is recognised as the same transaction and succeeds instead
        // of failing its own conditions.
        let token = uuid::Uuid::now_v7().to_string();
        let mut attempt = 0;
        loop {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .client_request_token(&token)
                .send()
                .await;
            match result.map_err(classify_transaction) {
                Ok(_) => return Ok(()),
                Err(WriteFailure::Conflict) if attempt < CONFLICT_RETRIES => {
                    attempt += 1;
                    backoff(attempt).await;
                }
                Err(other) => return Err(other),
            }
        }
    }

    /// Runs a transaction of conditional writes: `Ok(None)` if it committed, else
    /// `Ok(Some(indexes))` of the items whose conditions failed.
    pub(crate) async fn transact_items(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<Option<Vec<usize>>, ApiError> {
        match self.transact(items).await {
            Ok(()) => Ok(None),
            Err(WriteFailure::Condition { failed, .. }) => Ok(Some(failed)),
            Err(WriteFailure::Conflict) => Err(busy()),
            Err(WriteFailure::Other(e)) => Err(e),
        }
    }

    /// Reads up to 100 items by key in one strongly consistent `BatchGetItem` (retrying
    /// any keys DynamoDB leaves unprocessed), keyed by `(PK, SK)`.
    pub async fn batch_get(
        &self,
        item_keys: Vec<HashMap<String, AttributeValue>>,
    ) -> Result<HashMap<(String, String), HashMap<String, AttributeValue>>, ApiError> {
        let mut found = HashMap::new();
        if item_keys.is_empty() {
            return Ok(found);
        }
        let mut pending = KeysAndAttributes::builder()
            .set_keys(Some(item_keys))
            .consistent_read(true)
            .build()
            .map_err(ApiError::internal)?;
        for attempt in 0..=CONFLICT_RETRIES {
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, pending)
                .send()
                .await
                .map_err(map_sdk_error)?;
            for item in output
                .responses
                .and_then(|mut r| r.remove(&self.table))
                .unwrap_or_default()
            {
                let text = |name: &str| match item.get(name) {
                    Some(AttributeValue::S(s)) => s.clone(),
                    _ => String::new(),
                };
                found.insert((text(keys::PK), text(keys::SK)), item);
            }
            match output
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.table))
                .filter(|k| !k.keys().is_empty())
            {
                None => return Ok(found),
                Some(rest) => {
                    pending = rest;
                    backoff(attempt + 1).await;
                }
            }
        }
        Err(ApiError::Unavailable(
            "DynamoDB kept leaving keys unprocessed".to_owned(),
        ))
    }

    /// Reads a tenant item (strongly consistent).
    async fn get_item(&self, id: &str) -> Result<Option<TenantItem>, ApiError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(keys::tenant_key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(map_sdk_error)?;
        match output.item {
            Some(item) if is_tenant(&item) => Ok(Some(from_item(item)?)),
            _ => Ok(None),
        }
    }

    /// Reads a tenant by id (strongly consistent), with its create digest.
    pub async fn get(&self, id: &str) -> Result<Option<Tenant>, ApiError> {
        self.get_item(id)
            .await?
            .map(TenantItem::into_tenant)
            .transpose()
    }

    /// Reads a tenant by slug: one index query in the common case; a tenant created a
    /// moment ago (not yet in the eventually consistent index) is found through its
    /// strongly consistent slug reservation instead.
    pub async fn get_by_slug(&self, slug: &str) -> Result<Option<Tenant>, ApiError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(keys::GSI3)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", keys::GSI3PK)
            .expression_attribute_values(":pk", AttributeValue::S(keys::slug_pk(slug)))
            .limit(1)
            .send()
            .await
            .map_err(map_sdk_error)?;
        if let Some(item) = output.items.unwrap_or_default().into_iter().find(is_tenant) {
            return from_item::<TenantItem>(item)?.into_tenant().map(Some);
        }
        let reservation = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(keys::key(keys::slug_pk(slug), keys::SLUG_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(map_sdk_error)?;
        match reservation.item {
            Some(item) => {
                let reservation: SlugItem = from_item(item)?;
                self.get(&reservation.tenant_id).await
            }
            None => Ok(None),
        }
    }

    /// Replaces tenant `before` with `after` if nobody changed it in between (same
    /// version). Counter changes, if any, are written in the same transaction.
    /// Returns `false` if the tenant changed meanwhile.
    pub async fn replace(
        &self,
        before: &Tenant,
        after: &Tenant,
        create_hash: &str,
    ) -> Result<bool, ApiError> {
        let mut item = to_item(&TenantItem::new(after, create_hash))?;
        // Marks this write as ours, so a retried send can recognise it (see below).
        let write_id = uuid::Uuid::now_v7().to_string();
        item.insert(WRITE_ID.to_owned(), AttributeValue::S(write_id.clone()));
        let condition = "#v = :v";
        let names = HashMap::from([("#v".to_owned(), "version".to_owned())]);
        let values = HashMap::from([(
            ":v".to_owned(),
            AttributeValue::N(before.version.to_string()),
        )]);
        let delta = stats::delta(Some(before), after);
        let outcome = if delta.is_empty() {
            // Only the tenant changes: a single conditional put, no transaction needed.
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression(condition)
                .set_expression_attribute_names(Some(names))
                .set_expression_attribute_values(Some(values))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .send()
                .await
                .map(|_| ())
                .map_err(classify_put)
        } else {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression(condition)
                .set_expression_attribute_names(Some(names))
                .set_expression_attribute_values(Some(values))
                .build()
                .map_err(ApiError::internal)?;
            let items = vec![
                TransactWriteItem::builder().put(put).build(),
                self.counter_update(&after.id, &delta)?,
            ];
            self.transact(items).await
        };
        match outcome {
            Ok(()) => Ok(true),
            // A retried put whose first send committed finds exactly what it wrote.
            Err(WriteFailure::Condition { old: Some(old), .. }) if matches!(old.get(WRITE_ID), Some(AttributeValue::S(id)) if *id == write_id) => {
                Ok(true)
            }
            Err(WriteFailure::Condition { .. }) => Ok(false),
            Err(WriteFailure::Conflict) => Err(busy()),
            Err(WriteFailure::Other(e)) => Err(e),
        }
    }

    /// Reads the create digest stored with tenant `id`.
    pub async fn get_with_hash(&self, id: &str) -> Result<Option<(Tenant, String)>, ApiError> {
        match self.get_item(id).await? {
            Some(item) => {
                let hash = item.create_hash.clone();
                Ok(Some((item.into_tenant()?, hash)))
            }
            None => Ok(None),
        }
    }

    /// Reads every stats counter shard in one query.
    pub async fn counter_shards(&self) -> Result<Vec<HashMap<String, i64>>, ApiError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_values(":pk", AttributeValue::S(keys::STATS_PK.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(map_sdk_error)?;
        Ok(output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                item.into_iter()
                    .filter_map(|(k, v)| match v {
                        AttributeValue::N(n) => n.parse::<i64>().ok().map(|n| (k, n)),
                        _ => None,
                    })
                    .collect()
            })
            .collect())
    }
}

/// The tenant (with its create digest) in a raw item, if it is a tenant item.
pub fn tenant_from_item(
    item: &HashMap<String, AttributeValue>,
) -> Result<Option<(Tenant, String)>, ApiError> {
    if !is_tenant(item) {
        return Ok(None);
    }
    let item: TenantItem = from_item(item.clone())?;
    let hash = item.create_hash.clone();
    Ok(Some((item.into_tenant()?, hash)))
}

fn is_tenant(item: &HashMap<String, AttributeValue>) -> bool {
    matches!(item.get(keys::ENTITY), Some(AttributeValue::S(e)) if e == TENANT_ENTITY)
}

/// Maps a storage struct to a DynamoDB item.
pub fn to_item<T: Serialize>(value: &T) -> Result<HashMap<String, AttributeValue>, ApiError> {
    serde_dynamo::to_item(value).map_err(ApiError::internal)
}

/// Maps a DynamoDB item to a storage struct.
pub fn from_item<T: for<'de> Deserialize<'de>>(
    item: HashMap<String, AttributeValue>,
) -> Result<T, ApiError> {
    serde_dynamo::from_item(item).map_err(ApiError::internal)
}

fn busy() -> ApiError {
    ApiError::Unavailable("transaction kept conflicting with concurrent writers".to_owned())
}

async fn backoff(attempt: u32) {
    // Exponential backoff with jitter drawn from the clock, so racing writers spread out.
    let jitter = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
            % 10,
    );
    let ms = (5u64 << attempt.min(6)) + jitter;
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

fn reason_codes(
    reasons: &[CancellationReason],
) -> (Vec<usize>, bool, Option<HashMap<String, AttributeValue>>) {
    let mut failed = Vec::new();
    let mut conflict = false;
    let mut old = None;
    for (i, reason) in reasons.iter().enumerate() {
        match reason.code() {
            Some("ConditionalCheckFailed") => {
                if old.is_none() {
                    old = reason.item().cloned();
                }
                failed.push(i);
            }
            Some("TransactionConflict") => conflict = true,
            _ => {}
        }
    }
    (failed, conflict, old)
}

fn classify_transaction(err: SdkError<TransactWriteItemsError>) -> WriteFailure {
    if let SdkError::ServiceError(service) = &err {
        match service.err() {
            TransactWriteItemsError::TransactionCanceledException(cancel) => {
                let (failed, conflict, old) = reason_codes(cancel.cancellation_reasons());
                if !failed.is_empty() {
                    return WriteFailure::Condition { failed, old };
                }
                if conflict {
                    return WriteFailure::Conflict;
                }
                let throttled = cancel.cancellation_reasons().iter().any(|r| {
                    matches!(
                        r.code(),
                        Some("ThrottlingError" | "ProvisionedThroughputExceeded")
                    )
                });
                return WriteFailure::Other(if throttled {
                    ApiError::Unavailable(format!("{cancel:?}"))
                } else {
                    ApiError::internal(cancel)
                });
            }
            TransactWriteItemsError::TransactionInProgressException(_) => {
                return WriteFailure::Conflict
            }
            _ => {}
        }
    }
    WriteFailure::Other(map_sdk_error(err))
}

fn classify_put(err: SdkError<PutItemError>) -> WriteFailure {
    if let SdkError::ServiceError(service) = &err {
        if let PutItemError::ConditionalCheckFailedException(failed) = service.err() {
            return WriteFailure::Condition {
                failed: vec![0],
                old: failed.item().cloned(),
            };
        }
    }
    WriteFailure::Other(map_sdk_error(err))
}

/// Maps an SDK failure: throttling, timeouts, unreachable or failing DynamoDB become
/// `service_unavailable` (worth a retry); anything else `internal_error`.
pub fn map_sdk_error<E, R>(err: SdkError<E, R>) -> ApiError
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    let transient = match &err {
        SdkError::ServiceError(service) => matches!(
            service.err().code(),
            Some(
                "ProvisionedThroughputExceededException"
                    | "RequestLimitExceeded"
                    | "ThrottlingException"
                    | "LimitExceededException"
                    | "InternalServerError"
                    | "ServiceUnavailable"
            )
        ),
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
        _ => false,
    };
    if transient {
        ApiError::Unavailable(format!("{err:?}"))
    } else {
        ApiError::internal(err)
    }
}
