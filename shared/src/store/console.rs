//! The console's sessions, sign-in attempts and sent one-shot forms in storage, each keyed
//! by the SHA-256 of its secret (`CONSOLESESSION#<hash>`, `CONSOLESIGNIN#<hash>`,
//! `CONSOLEFORM#<hash>`) and removed by the table's TTL once expired. None is a change of
//! any tenant: no event goes with them.

use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use serde::{Deserialize, Serialize};

use super::dynamo::sdk_error;
use super::events::EXPIRES_AT;
use super::item::{from_item, to_item, Item};
use super::{keys, Store};
use crate::domain::console::{ConsoleSession, SignInAttempt};
use crate::error::ApiError;

/// What taking a sign-in attempt found.
#[derive(Debug)]
pub enum Taken {
    /// The attempt, now deleted.
    Attempt(SignInAttempt),
    /// No such attempt: never made, expired away, or already taken.
    Unknown,
    /// An attempt another browser began (left as it was).
    OtherBrowser,
}

type DeleteFailure<R> = aws_sdk_dynamodb::error::SdkError<DeleteItemError, R>;

fn is_condition_failure<R>(err: &DeleteFailure<R>) -> bool {
    matches!(
        err.as_service_error(),
        Some(DeleteItemError::ConditionalCheckFailedException(_))
    )
}

const SESSION_SK: &str = "CONSOLESESSION";
const SIGN_IN_SK: &str = "CONSOLESIGNIN";
const FORM_SK: &str = "CONSOLEFORM";

#[derive(Serialize, Deserialize)]
struct Stored<T> {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    #[serde(flatten)]
    value: T,
}

fn session_key(hash: &str) -> Item {
    keys::key(format!("{SESSION_SK}#{hash}"), SESSION_SK)
}

fn sign_in_key(hash: &str) -> Item {
    keys::key(format!("{SIGN_IN_SK}#{hash}"), SIGN_IN_SK)
}

impl Store {
    /// Records a session under the hash of its cookie value (a fresh random id: a
    /// collision is refused rather than overwritten).
    pub async fn put_console_session(
        &self,
        hash: &str,
        session: &ConsoleSession,
    ) -> Result<(), ApiError> {
        let item = to_item(&Stored {
            pk: format!("{SESSION_SK}#{hash}"),
            sk: SESSION_SK.to_owned(),
            entity: "consoleSession".to_owned(),
            value: session.clone(),
        })?;
        self.put_new_expiring(item, "recording a console session")
            .await
    }

    /// The session of a cookie's hash, if there is one (expired ones included: the
    /// caller decides, as the TTL removes them only eventually).
    pub async fn console_session(&self, hash: &str) -> Result<Option<ConsoleSession>, ApiError> {
        let item = self
            .get_one(session_key(hash), "reading a console session")
            .await?;
        item.map(|item| from_item::<Stored<ConsoleSession>>(item).map(|s| s.value))
            .transpose()
    }

    /// Ends a session (ending one already gone changes nothing).
    pub async fn delete_console_session(&self, hash: &str) -> Result<(), ApiError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(session_key(hash)))
            .send()
            .await
            .map_err(sdk_error("ending a console session"))?;
        Ok(())
    }

    /// Records a sign-in attempt under the hash of its `state`.
    pub async fn put_sign_in_attempt(
        &self,
        hash: &str,
        attempt: &SignInAttempt,
    ) -> Result<(), ApiError> {
        let item = to_item(&Stored {
            pk: format!("{SIGN_IN_SK}#{hash}"),
            sk: SIGN_IN_SK.to_owned(),
            entity: "consoleSignIn".to_owned(),
            value: attempt.clone(),
        })?;
        self.put_new_expiring(item, "recording a sign-in attempt")
            .await
    }

    /// Takes the sign-in attempt of a `state`'s hash begun by the browser of
    /// `browser_hash`: deletes it and returns what it was, in one conditional call, so that
    /// a `state` (and the code that came with it) completes at most one sign-in however
    /// often the callback is replayed, and only in the browser that began it (a `state`
    /// seen elsewhere cannot spend someone else's sign-in).
    pub async fn take_sign_in_attempt(
        &self,
        hash: &str,
        browser_hash: &str,
    ) -> Result<Taken, ApiError> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(sign_in_key(hash)))
            .condition_expression("browserHash = :browser")
            .expression_attribute_values(":browser", AttributeValue::S(browser_hash.to_owned()))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match output {
            Ok(output) => match output.attributes.filter(|item| !item.is_empty()) {
                Some(item) => Ok(Taken::Attempt(
                    from_item::<Stored<SignInAttempt>>(item)?.value,
                )),
                None => Ok(Taken::Unknown),
            },
            Err(err) if is_condition_failure(&err) => {
                // Missing, or another browser's: read which, to say so (nothing is spent).
                let item = self
                    .get_one(sign_in_key(hash), "reading a sign-in attempt")
                    .await?;
                Ok(if item.is_some() {
                    Taken::OtherBrowser
                } else {
                    Taken::Unknown
                })
            }
            Err(err) => Err(sdk_error("taking a sign-in attempt")(err)),
        }
    }

    /// Records that the one-shot form of `hash` was sent, unless it already was: `false`
    /// then (the check is the put's condition, so of two sends at once exactly one wins).
    /// Kept until `expires_at` (Unix seconds), when no session that could send it is left.
    pub async fn spend_console_form(&self, hash: &str, expires_at: i64) -> Result<bool, ApiError> {
        let mut item = keys::key(format!("{FORM_SK}#{hash}"), FORM_SK);
        item.insert(
            "entity".to_owned(),
            AttributeValue::S("consoleForm".to_owned()),
        );
        item.insert(
            EXPIRES_AT.to_owned(),
            AttributeValue::N(expires_at.to_string()),
        );
        let sent = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        match sent {
            Ok(_) => Ok(true),
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(PutItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(false)
            }
            Err(err) => Err(sdk_error("recording a sent console form")(err)),
        }
    }

    /// Puts `item` (with `expiresAt`, the TTL attribute, already a number) unless its key
    /// exists.
    async fn put_new_expiring(&self, item: Item, doing: &'static str) -> Result<(), ApiError> {
        debug_assert!(matches!(item.get(EXPIRES_AT), Some(AttributeValue::N(_))));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
            .map_err(sdk_error(doing))?;
        Ok(())
    }
}
