//! The owner's invitation, outside the worker: resending it (a new token, the old one
//! revoked) and accepting it (the caller becomes admin and owner, the token is spent).

use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::provisioning::{commit, commit_limited, current, issue, sent_metadata, Committed};
use crate::auth::access::{Session, TenantAccess};
use crate::domain::event::AdminChange;
use crate::domain::invitation::{self, InvitationChange};
use crate::domain::provisioning::{self as rules, StepError, OWNER_INVITATION};
use crate::domain::{clock, AdminGrant, ChangeEvent, EventType, Roles, Tenant};
use crate::error::ApiError;
use crate::runtime::App;
use crate::service::tenants::{kept_changing, MAX_ATTEMPTS};
use crate::store::invitations::Acceptance;

/// A sent invitation: to whom, and until when it is valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvitationSent {
    #[schema(example = "owner@acme.example")]
    pub email: String,
    pub expires_at: String,
}

fn not_found() -> ApiError {
    ApiError::NotFound(
        "no invitation has this token: it was never issued, or was accepted, replaced or revoked"
            .to_owned(),
    )
}

/// Mails the owner a new invitation; the previous link stops working. At most one resend
/// per tenant every `resend_interval_minutes`: the write that issues the new token is
/// conditioned on the stored time of the last resend, so concurrent resends cannot both
/// pass; one too soon writes and sends nothing and answers `rate_limited`.
pub async fn resend(app: &App, access: &TenantAccess) -> Result<InvitationSent, ApiError> {
    let settings = &app.config.provisioning.invitations;
    let (Some(sender), Some(accept_url)) = (&settings.sender, &settings.accept_url) else {
        return Err(ApiError::InvalidState(
            "invitations are not configured on this deployment (InvitationSender, InvitationAcceptUrl)"
                .to_owned(),
        ));
    };
    let origin = access.session.origin();
    let (mut tenant, mut hash) = (access.tenant.clone(), access.create_hash.clone());
    for _ in 0..MAX_ATTEMPTS {
        tenant.ensure_not_deleted("sent invitations")?;
        let Some(email) = tenant.fields.owner_email.clone() else {
            return Err(ApiError::InvalidState(format!(
                "tenant '{}' has no ownerEmail to invite",
                tenant.id
            )));
        };
        let accepted = tenant
            .provisioning_state
            .resource(OWNER_INVITATION)
            .and_then(|r| r.metadata.as_ref())
            .is_some_and(|m| m.contains_key("acceptedAt"));
        if accepted {
            return Err(ApiError::InvalidState(format!(
                "the owner of tenant '{}' accepted their invitation already",
                tenant.id
            )));
        }
        let now = clock::now_rfc3339();
        let now_seconds = clock::now_epoch_seconds();
        let interval = i64::from(settings.resend_interval_minutes) * 60;
        let (token, issued) = issue(&tenant, &email, settings.ttl_hours, &now)?;
        let mut next = tenant.clone();
        let change = rules::replace_invitation(&tenant, &mut next, &issued);
        next.provisioning_state.invitation_resent_at = Some(now_seconds);
        // The new token is stored (and the old one revoked) before the mail leaves, so the
        // link in the mail always works.
        let committed = commit_limited(
            app,
            &tenant,
            &hash,
            next,
            &change,
            &origin,
            Vec::new(),
            Some(now_seconds - interval),
        )
        .await?;
        let issued_tenant = match committed {
            Committed::Written(written) => *written,
            Committed::Stale => {
                (tenant, hash) = current(app, &tenant.id).await?;
                continue;
            }
            Committed::TooSoon { resent_at } => {
                let wait = (resent_at + interval - now_seconds).max(1);
                return Err(ApiError::RateLimited {
                    message: format!(
                        "the invitation of tenant '{}' was resent less than {} minutes ago: retry after {wait} seconds",
                        tenant.id, settings.resend_interval_minutes
                    ),
                    retry_after: u64::try_from(wait).unwrap_or(1),
                });
            }
        };
        let (subject, text) = invitation::email(
            issued_tenant.fields.name.as_str(),
            email.as_str(),
            &invitation::link(accept_url, &token.text),
            &issued.expires_at,
        );
        let message_id = app
            .mailer()
            .send(sender, email.as_str(), &subject, &text)
            .await
            .map_err(|e| match e {
                StepError::Refused(e) => ApiError::InvalidState(format!(
                    "SES refused the invitation: {}: {}",
                    e.code, e.message
                )),
                StepError::Transient(why) => ApiError::Unavailable(why),
            })?;
        let (mut before, mut before_hash) = (issued_tenant, hash.clone());
        for _ in 0..MAX_ATTEMPTS {
            if before
                .provisioning_state
                .invitation
                .as_ref()
                .map(|i| &i.token_hash)
                != Some(&issued.token_hash)
            {
                // Replaced by a newer resend meanwhile: that one is what counts.
                break;
            }
            let sent = rules::record_invitation(&before, sent_metadata(&issued, &message_id), &now);
            let resource = sent.provisioning_state.resource(OWNER_INVITATION).cloned();
            let extra = vec![(EventType::InvitationSent, resource.map(|r| vec![r]))];
            if commit(
                app,
                &before,
                &before_hash,
                sent,
                &InvitationChange::None,
                &origin,
                extra,
            )
            .await?
            .is_some()
            {
                break;
            }
            (before, before_hash) = current(app, &before.id).await?;
        }
        return Ok(InvitationSent {
            email: email.to_string(),
            expires_at: issued.expires_at,
        });
    }
    Err(kept_changing(&access.tenant.id))
}

/// Spends invitation `token`: the caller (a user whose token carries the invited email,
/// verified) becomes an admin and the owner of its tenant. Returns the tenant and the
/// caller's roles there.
pub async fn accept(
    app: &App,
    session: &Session,
    token: &str,
) -> Result<(Tenant, Roles), ApiError> {
    let Some(user) = session.caller.user_id() else {
        return Err(ApiError::Forbidden {
            notices: vec!["invitations-are-accepted-by-users".to_owned()],
        });
    };
    let hash = invitation::hash(token);
    let Some(invitation) = app.store.invitation(&hash).await? else {
        return Err(not_found());
    };
    // Holding the link is not enough (links are forwarded, logged, leaked): the caller must
    // be the invited address, as verified by its identity provider. A refusal spends
    // nothing, so the invited person can still accept.
    if !session.caller.has_verified_email(invitation.email.as_str()) {
        return Err(ApiError::InvitationEmailMismatch {
            notices: vec!["invitations-are-accepted-by-the-invited-email".to_owned()],
        });
    }
    let now = clock::now_rfc3339();
    if invitation.expired(&now) {
        return Err(ApiError::InvitationExpired(invitation.expires_at));
    }
    let origin = session.origin();
    for _ in 0..MAX_ATTEMPTS {
        let Some((tenant, tenant_hash)) = app.store.get_with_hash(&invitation.tenant_id).await?
        else {
            return Err(not_found());
        };
        if tenant.status == crate::domain::TenantStatus::Deleted {
            return Err(not_found());
        }
        // An invitation is for the owner it was sent to: once a platform admin changed the
        // owner's email, the earlier invitee's link makes no one owner.
        let still_owner = tenant.fields.owner_email.as_ref().is_some_and(|owner| {
            owner
                .as_str()
                .eq_ignore_ascii_case(invitation.email.as_str())
        });
        if !still_owner {
            return Err(not_found());
        }
        let now = clock::now_rfc3339();
        let mut after = tenant.clone();
        after.fields.owner_user_id = Some(user.to_string());
        if after
            .provisioning_state
            .invitation
            .as_ref()
            .map(|i| &i.token_hash)
            == Some(&hash)
        {
            after.provisioning_state.invitation = None;
        }
        if let Some(resource) = after
            .provisioning_state
            .resources
            .iter_mut()
            .find(|r| r.id == OWNER_INVITATION)
        {
            let metadata = resource.metadata.get_or_insert_with(Default::default);
            metadata.insert("acceptedAt".into(), json!(now));
            metadata.insert("acceptedBy".into(), json!(user.as_str()));
            resource.version += 1;
            resource.updated_at = now.clone();
        }
        after.version = tenant.version + 1;
        after.updated_at = now.clone();
        let grant = match app.store.admin_grant(&tenant.id, &user).await? {
            Some(_) => None,
            None => Some(AdminGrant {
                tenant_id: tenant.id.clone(),
                user_id: user.clone(),
                granted_at: now.clone(),
                granted_by: user.to_string(),
            }),
        };
        let mut event = ChangeEvent::changed(EventType::OwnerActivated, &tenant, &after, &origin);
        event.admin = Some(AdminChange {
            user_id: user.clone(),
        });
        match app
            .store
            .accept_invitation(
                &invitation,
                &tenant,
                &after,
                &tenant_hash,
                grant.as_ref(),
                &event,
            )
            .await?
        {
            Acceptance::Done => {
                let roles = session.roles_on(&after, true);
                return Ok((after, roles));
            }
            Acceptance::Gone => return Err(not_found()),
            Acceptance::Changed => continue,
        }
    }
    Err(kept_changing(&invitation.tenant_id))
}
