//! Owner invitations in storage: one item per issued token, keyed by the token's SHA-256
//! (`INVITATION#<hash>` / `INVITATION`), so that accepting reads it by key. It is written
//! and deleted in the same transaction as the tenant change that issues, replaces, spends
//! or revokes it. The table's TTL removes it 30 days after it expires; until then a late
//! use answers `invitation_expired` rather than `not_found`.

use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};
use serde::{Deserialize, Serialize};

use super::events::{event_put, EXPIRES_AT};
use super::grants;
use super::item::{from_item, to_item};
use super::tenants::tenant_put;
use super::transaction::{delete_existing, put_new, Outcome, TransactWrite};
use super::{keys, Store};
use crate::domain::clock::epoch_seconds;
use crate::domain::invitation::{Invitation, InvitationChange};
use crate::domain::{AdminGrant, ChangeEvent, Tenant};
use crate::error::{ApiError, Context};

/// How long an expired invitation is kept, to tell a late use from a wrong token.
const KEEP_EXPIRED_SECONDS: i64 = 30 * 24 * 3600;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct InvitationItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    #[serde(flatten)]
    invitation: Invitation,
}

fn invitation_key(hash: &str) -> crate::store::Item {
    keys::key(keys::invitation_pk(hash), keys::INVITATION_SK)
}

/// The writes `change` makes, for the transaction of the tenant change it belongs to.
pub(crate) fn invitation_ops(
    table: &str,
    change: &InvitationChange,
) -> Result<Vec<TransactWriteItem>, ApiError> {
    let delete = |hash: &str| {
        Delete::builder()
            .table_name(table)
            .set_key(Some(invitation_key(hash)))
            .build()
            .map(|d| TransactWriteItem::builder().delete(d).build())
            .context("building an invitation delete")
    };
    match change {
        InvitationChange::None => Ok(Vec::new()),
        InvitationChange::Revoke(hash) => Ok(vec![delete(hash)?]),
        InvitationChange::Issue { new, revoke } => {
            let mut item = to_item(&InvitationItem {
                pk: keys::invitation_pk(&new.token_hash),
                sk: keys::INVITATION_SK.to_owned(),
                entity: "invitation".to_owned(),
                invitation: new.clone(),
            })?;
            if let Some(expires) = epoch_seconds(&new.expires_at) {
                item.insert(
                    EXPIRES_AT.to_owned(),
                    AttributeValue::N((expires + KEEP_EXPIRED_SECONDS).to_string()),
                );
            }
            let mut ops = vec![put_new(table, item, false)?];
            if let Some(old) = revoke.as_deref().filter(|old| *old != new.token_hash) {
                ops.push(delete(old)?);
            }
            Ok(ops)
        }
    }
}

/// What accepting found.
#[derive(Debug, PartialEq, Eq)]
pub enum Acceptance {
    /// Spent: the caller is admin and owner.
    Done,
    /// The invitation was spent or revoked meanwhile.
    Gone,
    /// The tenant changed meanwhile (read it again).
    Changed,
}

impl Store {
    /// The invitation whose token hashes to `hash` (strongly consistent).
    pub async fn invitation(&self, hash: &str) -> Result<Option<Invitation>, ApiError> {
        self.get_one(invitation_key(hash), "reading an invitation")
            .await?
            .map(|item| from_item::<InvitationItem>(item).map(|i| i.invitation))
            .transpose()
    }

    /// Spends `invitation`: deletes it, writes tenant `after` over `before` (its owner
    /// set), makes `grant` (unless the caller is an admin already) and writes `event`, in
    /// one transaction.
    pub async fn accept_invitation(
        &self,
        invitation: &Invitation,
        before: &Tenant,
        after: &Tenant,
        create_hash: &str,
        grant: Option<&AdminGrant>,
        event: &ChangeEvent,
    ) -> Result<Acceptance, ApiError> {
        let table = self.table();
        let mut tx = TransactWrite::new();
        let spend = tx.push(delete_existing(
            table,
            invitation_key(&invitation.token_hash),
        )?);
        let tenant = tx.push(tenant_put(table, before, after, create_hash)?);
        let mut granted = None;
        if let Some(grant) = grant {
            let [forward, reverse] = grants::grant_ops(table, grant)?;
            granted = Some(tx.push(forward));
            tx.push(reverse);
            tx.push(grants::count_update(table, &grant.tenant_id, 1, false)?);
        }
        tx.push(event_put(self, event)?);
        match tx.run(self).await? {
            Outcome::Committed => Ok(Acceptance::Done),
            outcome if outcome.refused(spend) => Ok(Acceptance::Gone),
            outcome if outcome.refused(tenant) => Ok(Acceptance::Changed),
            // The caller became an admin meanwhile: read again, and grant nothing.
            outcome if granted.is_some_and(|op| outcome.refused(op)) => Ok(Acceptance::Changed),
            _ => Err(ApiError::internal(
                "accepting an invitation",
                "a condition failed on a fresh event id",
            )),
        }
    }
}
