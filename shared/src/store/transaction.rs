//! Multi-entity transactions. Each entity module contributes the operations of a change
//! that involve it (a put, a counter update, a condition check); a [`TransactWrite`]
//! gathers them, remembers which operation is which, and runs them as one conditional
//! `TransactWriteItems`, so a change and everything that must go with it commit together
//! or not at all.

use aws_sdk_dynamodb::types::{
    ConditionCheck, Delete, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};

use super::dynamo::{busy, WriteFailure};
use super::item::Item;
use super::Store;
use crate::error::{ApiError, Context};

/// The condition that a put creates its item.
pub(crate) const CREATES: &str = "attribute_not_exists(PK)";
/// The condition that an item exists.
pub(crate) const EXISTS: &str = "attribute_exists(PK)";

/// The operations of one transaction, in order.
#[derive(Debug, Default)]
pub(crate) struct TransactWrite {
    items: Vec<TransactWriteItem>,
}

/// Where an operation stands in its transaction, to tell which condition failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Op(usize);

/// How a transaction ended, when it did not fail outright.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Everything was written.
    Committed,
    /// Nothing was written: the conditions of these operations failed; `old` is the item
    /// the first of them saw, when it asked for it.
    Refused { failed: Vec<Op>, old: Option<Item> },
}

impl Outcome {
    /// Whether `op`'s condition failed.
    pub(crate) fn refused(&self, op: Op) -> bool {
        matches!(self, Self::Refused { failed, .. } if failed.contains(&op))
    }
}

impl TransactWrite {
    /// An empty transaction.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds an operation, returning its place.
    pub(crate) fn push(&mut self, item: TransactWriteItem) -> Op {
        self.items.push(item);
        Op(self.items.len() - 1)
    }

    /// Adds several operations.
    pub(crate) fn extend(&mut self, items: impl IntoIterator<Item = TransactWriteItem>) {
        self.items.extend(items);
    }

    /// Runs the transaction (retrying while it only loses races with other writers).
    pub(crate) async fn run(self, store: &Store) -> Result<Outcome, ApiError> {
        match store.transact(self.items).await {
            Ok(()) => Ok(Outcome::Committed),
            Err(WriteFailure::Condition { failed, old }) => Ok(Outcome::Refused {
                failed: failed.into_iter().map(Op).collect(),
                old,
            }),
            Err(WriteFailure::Conflict) => Err(busy()),
            Err(WriteFailure::Other(e)) => Err(e),
        }
    }
}

/// A put of a new item (fails if the key is taken); with `return_old`, a failure returns
/// the item that holds the key.
pub(crate) fn put_new(
    table: &str,
    item: Item,
    return_old: bool,
) -> Result<TransactWriteItem, ApiError> {
    let old = if return_old {
        ReturnValuesOnConditionCheckFailure::AllOld
    } else {
        ReturnValuesOnConditionCheckFailure::None
    };
    Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(CREATES)
        .return_values_on_condition_check_failure(old)
        .build()
        .map(|p| TransactWriteItem::builder().put(p).build())
        .context("building a put of a new item")
}

/// A delete of an item that must exist.
pub(crate) fn delete_existing(table: &str, key: Item) -> Result<TransactWriteItem, ApiError> {
    Delete::builder()
        .table_name(table)
        .set_key(Some(key))
        .condition_expression(EXISTS)
        .build()
        .map(|d| TransactWriteItem::builder().delete(d).build())
        .context("building a delete")
}

/// A check that the item at `key` satisfies `condition`, writing nothing.
pub(crate) fn check(
    table: &str,
    key: Item,
    condition: &str,
    names: &[(&str, &str)],
    values: Item,
) -> Result<TransactWriteItem, ApiError> {
    let mut builder = ConditionCheck::builder()
        .table_name(table)
        .set_key(Some(key))
        .condition_expression(condition)
        .set_expression_attribute_values((!values.is_empty()).then_some(values));
    for (name, attribute) in names {
        builder = builder.expression_attribute_names(*name, *attribute);
    }
    builder
        .build()
        .map(|c| TransactWriteItem::builder().condition_check(c).build())
        .context("building a condition check")
}
