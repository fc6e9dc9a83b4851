//! The item codec: storage structs to and from DynamoDB items.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use super::keys;
use crate::error::{ApiError, Context};

/// A DynamoDB item.
pub type Item = HashMap<String, AttributeValue>;

/// Maps a storage struct to a DynamoDB item.
pub(crate) fn to_item<T: Serialize>(value: &T) -> Result<Item, ApiError> {
    serde_dynamo::to_item(value).context("encoding an item")
}

/// Maps a DynamoDB item to a storage struct.
pub(crate) fn from_item<T: for<'de> Deserialize<'de>>(item: Item) -> Result<T, ApiError> {
    serde_dynamo::from_item(item).context("decoding an item")
}

/// Whether `item` is of entity type `entity`.
pub(crate) fn is_entity(item: &Item, entity: &str) -> bool {
    matches!(item.get(keys::ENTITY), Some(AttributeValue::S(e)) if e == entity)
}

/// A string attribute of `item`, if it has one.
pub(crate) fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(s)) => Some(s),
        _ => None,
    }
}
