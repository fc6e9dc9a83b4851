//! The table definition: key schema and indexes, as the code expects them. Tests create
//! their tables from it, and a test checks that `template.yaml` declares the same.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;

use super::keys;

/// A global secondary index: name, partition key, optional sort key (all projected).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexDef {
    pub name: &'static str,
    pub partition_key: &'static str,
    pub sort_key: Option<&'static str>,
}

/// The table's primary key.
pub const PRIMARY_KEY: (&str, &str) = (keys::PK, keys::SK);

/// What the table's stream carries: the new image of every write, from which the
/// publisher takes the event items (the outbox).
pub const STREAM_VIEW: &str = "NEW_IMAGE";

/// The table's TTL attribute: change events carry it when a retention is configured.
pub const TTL_ATTRIBUTE: &str = super::events::EXPIRES_AT;

/// The table's global secondary indexes (projection ALL).
pub const INDEXES: [IndexDef; 3] = [
    IndexDef {
        name: keys::GSI1,
        partition_key: keys::GSI1PK,
        sort_key: Some(keys::GSI1SK),
    },
    IndexDef {
        name: keys::GSI2,
        partition_key: keys::GSI2PK,
        sort_key: Some(keys::GSI2SK),
    },
    IndexDef {
        name: keys::GSI3,
        partition_key: keys::GSI3PK,
        sort_key: None,
    },
];

fn key(
    name: &str,
    key_type: KeyType,
) -> Result<KeySchemaElement, aws_sdk_dynamodb::error::BuildError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
}

/// Creates the table `name` (on-demand billing, with its stream and TTL).
pub async fn create(client: &Client, name: &str) -> Result<(), aws_sdk_dynamodb::Error> {
    let mut attributes = vec![keys::PK, keys::SK];
    let mut indexes = Vec::new();
    for index in INDEXES {
        let mut schema = vec![key(index.partition_key, KeyType::Hash)?];
        attributes.push(index.partition_key);
        if let Some(sort) = index.sort_key {
            schema.push(key(sort, KeyType::Range)?);
            attributes.push(sort);
        }
        indexes.push(
            GlobalSecondaryIndex::builder()
                .index_name(index.name)
                .set_key_schema(Some(schema))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()?,
        );
    }
    let definitions = attributes
        .into_iter()
        .map(|name| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(definitions))
        .key_schema(key(keys::PK, KeyType::Hash)?)
        .key_schema(key(keys::SK, KeyType::Range)?)
        .set_global_secondary_indexes(Some(indexes))
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(STREAM_VIEW))
                .build()?,
        )
        .send()
        .await?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(TTL_ATTRIBUTE)
                .enabled(true)
                .build()?,
        )
        .send()
        .await?;
    Ok(())
}
