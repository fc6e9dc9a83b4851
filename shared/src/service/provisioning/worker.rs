//! The worker: moving a tenant through its state machine and running the built-in steps
//! (the owner's invitation, the check of the tenant's AWS role).

use serde_json::{json, Map, Value};

use crate::domain::invitation::{self, Invitation, InvitationChange, Token};
use crate::domain::provisioning::{
    self as rules, NextStep, ResourceError, Step, StepError, StepResult, STEP_LEASE_SECONDS,
};
use crate::domain::{clock, ChangeEvent, EventType, Origin, Tenant, TenantId};
use crate::error::ApiError;
use crate::runtime::App;
use crate::service::tenants::{kept_changing, MAX_ATTEMPTS};

use super::*;

/// Moves tenant `id` as far as the worker can: starts (or starts removing) its resources
/// and runs its built-in steps. On the `last` delivery of a message, a step that fails
/// transiently fails its resource instead of asking for another delivery.
pub async fn advance(
    app: &App,
    id: &TenantId,
    last: bool,
    request_id: &str,
) -> Result<(), ApiError> {
    let origin = Origin::service(WORKER, request_id);
    let holder = uuid::Uuid::now_v7().simple().to_string();
    for _ in 0..MAX_MOVES {
        let Some((tenant, hash)) = app.store.get_with_hash(id).await? else {
            return Ok(());
        };
        let now = clock::now_rfc3339();
        let next = match rules::next_step(&tenant, &now) {
            NextStep::Wait => return Ok(()),
            NextStep::Start => rules::start(&tenant, &app.config.provisioning.blueprint, &now),
            NextStep::StartDeprovisioning => rules::start_deprovisioning(&tenant, &now),
            NextStep::Run { id, step, undo } => {
                let run = Run {
                    app,
                    origin: &origin,
                    holder: &holder,
                    last,
                };
                run.step(tenant, hash, &id, step, undo).await?;
                continue;
            }
        };
        if let Some(next) = next {
            commit_plain(app, &tenant, &hash, next, &origin).await?;
        }
    }
    Err(kept_changing(id))
}

/// One worker's run of a built-in step.
struct Run<'a> {
    app: &'a App,
    origin: &'a Origin,
    /// The worker's lease holder id.
    holder: &'a str,
    last: bool,
}

impl Run<'_> {
    async fn step(
        &self,
        tenant: Tenant,
        hash: String,
        id: &str,
        step: Step,
        undo: bool,
    ) -> Result<(), ApiError> {
        let now = clock::now_rfc3339();
        match (step, undo) {
            (Step::OwnerInvitation, false) => self.invite(tenant, hash, id).await,
            (Step::AwsIntegration, false) => {
                // A tenant written before the platform drew external ids may have none:
                // it gets one now, before its role is ever assumed without.
                let Some((tenant, hash)) = self.with_external_id(tenant, hash).await? else {
                    return Ok(());
                };
                let result = self.check_role(&tenant).await?;
                self.record(
                    tenant,
                    hash,
                    id,
                    None,
                    false,
                    result,
                    InvitationChange::None,
                )
                .await
            }
            // Removing the invitation revokes its token; the role check made nothing.
            (Step::OwnerInvitation, true) => {
                let revoke = tenant
                    .provisioning_state
                    .invitation
                    .as_ref()
                    .map(|i| InvitationChange::Revoke(i.token_hash.clone()))
                    .unwrap_or_default();
                let mut metadata = Map::new();
                metadata.insert("revokedAt".into(), json!(now));
                self.record(
                    tenant,
                    hash,
                    id,
                    None,
                    true,
                    done(None, Some(metadata)),
                    revoke,
                )
                .await
            }
            (Step::AwsIntegration, true) => {
                self.record(
                    tenant,
                    hash,
                    id,
                    None,
                    true,
                    done(None, None),
                    InvitationChange::None,
                )
                .await
            }
        }
    }

    /// Issues the owner's invitation (taking the step's lease in the same write), mails it,
    /// and records the outcome.
    async fn invite(&self, tenant: Tenant, hash: String, id: &str) -> Result<(), ApiError> {
        let settings = &self.app.config.provisioning.invitations;
        let (Some(sender), Some(accept_url)) = (&settings.sender, &settings.accept_url) else {
            let error = refused(
                "InvitationsNotConfigured",
                "the deployment sets no invitation sender and accept URL",
            );
            return self
                .record(tenant, hash, id, None, false, error, InvitationChange::None)
                .await;
        };
        let Some(email) = tenant.fields.owner_email.clone() else {
            let error = refused("OwnerEmailMissing", "the tenant has no ownerEmail");
            return self
                .record(tenant, hash, id, None, false, error, InvitationChange::None)
                .await;
        };
        let now = clock::now_rfc3339();
        let until = clock::in_seconds(STEP_LEASE_SECONDS);
        let Some(mut taken) = rules::take_step(&tenant, id, self.holder, &now, &until) else {
            return Ok(());
        };
        let (token, issued) = issue(&tenant, &email, settings.ttl_hours, &now)?;
        let change = rules::replace_invitation(&tenant, &mut taken, &issued);
        let Some(taken) = commit(
            self.app,
            &tenant,
            &hash,
            taken,
            &change,
            self.origin,
            Vec::new(),
        )
        .await?
        else {
            return Ok(());
        };
        let (subject, text) = invitation::email(
            taken.fields.name.as_str(),
            email.as_str(),
            &invitation::link(accept_url, &token.text),
            &issued.expires_at,
        );
        let sent = self
            .app
            .mailer()
            .send(sender, email.as_str(), &subject, &text)
            .await;
        let (result, change) = match sent {
            Ok(message_id) => (
                done(None, Some(sent_metadata(&issued, &message_id))),
                InvitationChange::None,
            ),
            Err(error) => match self.failure(&taken.id, "sending the owner's invitation", error) {
                // A token whose mail never left is of no use to anyone.
                Ok(failed) => (failed, InvitationChange::Revoke(issued.token_hash.clone())),
                Err(transient) => {
                    self.release(taken, hash, id, &issued.token_hash).await?;
                    return Err(transient);
                }
            },
        };
        self.record(taken, hash, id, Some(self.holder), false, result, change)
            .await
    }

    /// Hands step `id` back (pending, unleased, its unsent token revoked) so that the next
    /// delivery can take it at once; a lost race leaves it to whoever won.
    async fn release(
        &self,
        tenant: Tenant,
        hash: String,
        id: &str,
        token_hash: &str,
    ) -> Result<(), ApiError> {
        let now = clock::now_rfc3339();
        let Some(mut next) = rules::release_step(&tenant, id, self.holder, &now) else {
            return Ok(());
        };
        next.provisioning_state.invitation = None;
        let revoke = InvitationChange::Revoke(token_hash.to_owned());
        commit(
            self.app,
            &tenant,
            &hash,
            next,
            &revoke,
            self.origin,
            Vec::new(),
        )
        .await?;
        Ok(())
    }

    /// `tenant` with an external id: as it is, or with a freshly drawn one written (event
    /// `tenant.updated`, by the worker). `None`: the tenant changed meanwhile.
    async fn with_external_id(
        &self,
        tenant: Tenant,
        hash: String,
    ) -> Result<Option<(Tenant, String)>, ApiError> {
        if tenant.fields.aws_external_id.is_some() {
            return Ok(Some((tenant, hash)));
        }
        let mut next = tenant.clone();
        next.fields.aws_external_id = Some(crate::service::tenants::draw_external_id()?);
        next.version = tenant.version + 1;
        next.updated_at = clock::now_rfc3339();
        let event = ChangeEvent::changed(EventType::TenantUpdated, &tenant, &next, self.origin);
        let written = self
            .app
            .store
            .replace(&tenant, &next, &hash, &event)
            .await?;
        Ok(written.then_some((next, hash)))
    }

    /// `sts:AssumeRole` on the tenant's role with its external id.
    async fn check_role(&self, tenant: &Tenant) -> Result<StepResult, ApiError> {
        let Some(role) = &tenant.fields.aws_role_arn else {
            return Ok(refused("AwsRoleArnMissing", "the tenant has no awsRoleArn"));
        };
        let external_id = tenant.fields.aws_external_id.as_ref().map(|e| e.as_str());
        let session = format!("tenant-api-{}", tenant.id);
        match self
            .app
            .roles()
            .assume(role.as_str(), external_id, &session)
            .await
        {
            Ok(arn) => Ok(StepResult::Done {
                arn: Some(arn),
                external_id: external_id.map(str::to_owned),
                region: tenant.fields.aws_region.as_ref().map(|r| r.to_string()),
                metadata: Some(Map::from_iter([(
                    "roleArn".to_owned(),
                    json!(role.as_str()),
                )])),
            }),
            Err(error) => self.failure(&tenant.id, "assuming the tenant's role", error),
        }
    }

    /// A step error as the step's result: a refusal fails the resource; a transient error
    /// asks for another delivery, except on the last one.
    fn failure(
        &self,
        id: &TenantId,
        doing: &str,
        error: StepError,
    ) -> Result<StepResult, ApiError> {
        match error {
            StepError::Refused(error) => Ok(StepResult::Failed(error)),
            StepError::Transient(why) if !self.last => Err(ApiError::Unavailable(format!(
                "tenant {id}: while {doing}: {why}"
            ))),
            StepError::Transient(why) => {
                tracing::error!(tenant = %id, request_id = %self.origin.request_id, error = %why,
                    "{doing} failed on the last delivery");
                Ok(refused(
                    "RetriesExhausted",
                    &format!("{doing} kept failing transiently; retry provisioning later"),
                ))
            }
        }
    }

    /// Records `result` on resource `id`, re-reading while the tenant changes under it.
    #[allow(clippy::too_many_arguments)]
    async fn record(
        &self,
        mut tenant: Tenant,
        mut hash: String,
        id: &str,
        holder: Option<&str>,
        undo: bool,
        result: StepResult,
        change: InvitationChange,
    ) -> Result<(), ApiError> {
        for _ in 0..MAX_ATTEMPTS {
            let now = clock::now_rfc3339();
            let Some(mut next) =
                rules::record_step(&tenant, id, holder, undo, result.clone(), &now)
            else {
                // Another worker took the step over, or it ended already.
                return Ok(());
            };
            let mut extra = Vec::new();
            if let InvitationChange::Revoke(_) = change {
                next.provisioning_state.invitation = None;
            } else if !undo && id == rules::OWNER_INVITATION {
                extra.push((
                    EventType::InvitationSent,
                    next.provisioning_state
                        .resource(id)
                        .cloned()
                        .map(|r| vec![r]),
                ));
            }
            if commit(self.app, &tenant, &hash, next, &change, self.origin, extra)
                .await?
                .is_some()
            {
                return Ok(());
            }
            match self.app.store.get_with_hash(&tenant.id).await? {
                Some((current, current_hash)) => (tenant, hash) = (current, current_hash),
                None => return Ok(()),
            }
        }
        Err(kept_changing(&tenant.id))
    }
}

fn done(arn: Option<String>, metadata: Option<Map<String, Value>>) -> StepResult {
    StepResult::Done {
        arn,
        external_id: None,
        region: None,
        metadata,
    }
}

fn refused(code: &str, message: &str) -> StepResult {
    StepResult::Failed(ResourceError {
        code: code.to_owned(),
        message: message.to_owned(),
    })
}

/// A fresh invitation of `tenant`'s owner `email`, valid `ttl_hours` from `now`.
pub(crate) fn issue(
    tenant: &Tenant,
    email: &crate::domain::values::Email,
    ttl_hours: u32,
    now: &str,
) -> Result<(Token, Invitation), ApiError> {
    let token = Token::generate()?;
    let invitation = Invitation {
        token_hash: token.hash.clone(),
        tenant_id: tenant.id.clone(),
        email: email.clone(),
        created_at: now.to_owned(),
        expires_at: clock::in_seconds(i64::from(ttl_hours) * 3600),
    };
    Ok((token, invitation))
}

/// What the invitation resource shows once its mail is sent (never the token).
pub(crate) fn sent_metadata(invitation: &Invitation, message_id: &str) -> Map<String, Value> {
    Map::from_iter([
        ("email".to_owned(), json!(invitation.email.as_str())),
        ("sentAt".to_owned(), json!(clock::now_rfc3339())),
        ("expiresAt".to_owned(), json!(invitation.expires_at)),
        ("messageId".to_owned(), json!(message_id)),
    ])
}
