//! DynamoDB plumbing shared by every entity: transactions retried while they only lose
//! races, strongly consistent batch reads, and the classification of SDK failures into
//! the API's errors.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{CancellationReason, KeysAndAttributes, TransactWriteItem};

use super::item::{text, Item};
use super::{keys, Store};
use crate::error::{ApiError, Context};

/// How often a transaction that lost a race with another one is retried.
const CONFLICT_RETRIES: u32 = 6;

/// How a conditional write failed.
pub(crate) enum WriteFailure {
    /// The conditions of these transaction items (indexes) or of the single write failed;
    /// `old` is the item the first failed condition saw, when DynamoDB returned it.
    Condition {
        failed: Vec<usize>,
        old: Option<Item>,
    },
    /// Lost a race with another transaction; worth retrying.
    Conflict,
    /// Anything else, already mapped.
    Other(ApiError),
}

impl Store {
    /// Runs a transaction, retrying while it only lost races with other transactions.
    pub(crate) async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), WriteFailure> {
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

    /// Reads the item at `key` (strongly consistent), if there is one.
    pub(crate) async fn get_one(
        &self,
        key: Item,
        doing: &'static str,
    ) -> Result<Option<Item>, ApiError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error(doing))?;
        Ok(output.item)
    }

    /// Reads up to 100 items by key in one strongly consistent `BatchGetItem` (retrying
    /// any keys DynamoDB leaves unprocessed), keyed by `(PK, SK)`.
    pub(crate) async fn batch_get(
        &self,
        item_keys: Vec<Item>,
    ) -> Result<HashMap<(String, String), Item>, ApiError> {
        let mut found = HashMap::new();
        if item_keys.is_empty() {
            return Ok(found);
        }
        let mut pending = KeysAndAttributes::builder()
            .set_keys(Some(item_keys))
            .consistent_read(true)
            .build()
            .context("building a batch read")?;
        for attempt in 0..=CONFLICT_RETRIES {
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, pending)
                .send()
                .await
                .map_err(sdk_error("reading items in a batch"))?;
            for item in output
                .responses
                .and_then(|mut r| r.remove(&self.table))
                .unwrap_or_default()
            {
                let key = |name: &str| text(&item, name).unwrap_or_default().to_owned();
                found.insert((key(keys::PK), key(keys::SK)), item);
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
}

pub(crate) fn busy() -> ApiError {
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

fn reason_codes(reasons: &[CancellationReason]) -> (Vec<usize>, bool, Option<Item>) {
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
                    ApiError::internal("writing a transaction", cancel)
                });
            }
            TransactWriteItemsError::TransactionInProgressException(_) => {
                return WriteFailure::Conflict
            }
            _ => {}
        }
    }
    WriteFailure::Other(sdk_error("writing a transaction")(err))
}

/// Maps an SDK failure met while `doing` something: throttling, timeouts, unreachable or
/// failing DynamoDB become `service_unavailable` (worth a retry); anything else
/// `internal_error`. Both carry what was being done, for the logs.
pub(crate) fn sdk_error<E, R>(doing: &'static str) -> impl Fn(SdkError<E, R>) -> ApiError
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    move |err| classify_sdk_error(doing, err)
}

fn classify_sdk_error<E, R>(doing: &str, err: SdkError<E, R>) -> ApiError
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
        ApiError::Unavailable(format!("while {doing}: {err:?}"))
    } else {
        ApiError::internal(doing, err)
    }
}
