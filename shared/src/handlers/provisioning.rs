//! Provisioning over HTTP (a tenant's resources, reports, retry, the owner's invitation)
//! and the `provision-tenant` queue consumer.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use lambda_runtime::LambdaEvent;
use serde_json::{json, Value};

use super::{authorize, ensure_no_body};
use crate::auth::Action;
use crate::domain::input::{Problems, Reader};
use crate::domain::invitation::parse_token;
use crate::domain::provisioning::{
    resource_name, ResourceError, ResourceReport, ResourceStatus, MAX_RESOURCE_METADATA_BYTES,
};
use crate::domain::values::{bounded_text, identifier, metadata, AwsRegion};
use crate::domain::TenantId;
use crate::error::ApiError;
use crate::http::{self, etag, Reply, JSON};
use crate::runtime::App;
use crate::service::{invitations, provisioning as service};

/// `GET /v1/tenants/{id}/resources`
pub async fn list_tenant_resources(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, list(app, &req).await))
}

/// `PUT /v1/tenants/{id}/resources/{resourceId}`
pub async fn put_tenant_resource(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, put(app, &req).await))
}

/// `POST /v1/tenants/{id}/provisioning/retry`
pub async fn retry_tenant_provisioning(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, retry(app, &req).await))
}

/// `POST /v1/tenants/{id}/invitation`
pub async fn resend_tenant_invitation(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, resend(app, &req).await))
}

/// `POST /v1/invitations/accept`
pub async fn accept_invitation(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, accept(app, &req).await))
}

async fn list(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let access = authorize(app, req, Action::ListResources).await?;
    Reply::json(
        StatusCode::OK,
        &json!({ "items": service::resources(&access) }),
    )
}

async fn put(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let access = authorize(app, req, Action::ReportResource).await?;
    let precondition = http::if_match(req)?;
    let raw_id = http::path_param(req, "resourceId");
    let body = http::json_object(req, &[JSON])?;
    let mut problems = Problems::default();
    let id = match resource_name(&raw_id) {
        Ok(id) => Some(id),
        Err(why) => {
            problems.add("resourceId", why);
            None
        }
    };
    let report = read_report(&body, &mut problems);
    let (id, report) = problems.require(id.zip(report))?;
    let reported = service::report(app, &access, &id, &report, &precondition).await?;
    let status = if reported.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let location = format!("/v1/tenants/{}/resources/{id}", access.tenant.id);
    Ok(Reply::json(status, &reported.resource)?
        .header("etag", etag(reported.resource.version))
        .location(location))
}

/// The body of a resource report, every problem recorded.
fn read_report(
    body: &serde_json::Map<String, Value>,
    problems: &mut Problems,
) -> Option<ResourceReport> {
    const FIELDS: [&str; 7] = [
        "type",
        "status",
        "arn",
        "externalId",
        "region",
        "metadata",
        "error",
    ];
    problems.reject_unknown(body, &FIELDS);
    let before = problems.len();
    let mut r = Reader::new(body, problems);
    let kind = r.text("type", resource_name);
    r.require("type");
    let status = r.text("status", ResourceStatus::parse);
    r.require("status");
    let arn = r.text("arn", |s| {
        let arn = identifier(s, 2048)?;
        if arn.starts_with("arn:") {
            Ok(arn)
        } else {
            Err("must be an ARN ('arn:...')".to_owned())
        }
    });
    let external_id = r.text("externalId", |s| identifier(s, 256));
    let region = r.text("region", |s| AwsRegion::parse(s).map(|r| r.to_string()));
    let meta = r.value("metadata", |v| {
        let map = metadata(v)?;
        if Value::Object(map.clone()).to_string().len() > MAX_RESOURCE_METADATA_BYTES {
            return Err(format!(
                "must be at most {MAX_RESOURCE_METADATA_BYTES} bytes serialized"
            ));
        }
        Ok(map)
    });
    let error = r.value("error", resource_error);
    match (status, &error) {
        (Some(ResourceStatus::Failed), None) if !r.present("error") => r
            .problems
            .add("error", "is required when status is 'failed'"),
        (Some(s), Some(_)) if s != ResourceStatus::Failed => r
            .problems
            .add("error", "is allowed only when status is 'failed'"),
        _ => {}
    }
    if problems.len() > before {
        return None;
    }
    Some(ResourceReport {
        kind: kind?,
        status: status?,
        arn,
        external_id,
        region,
        metadata: meta,
        error,
    })
}

/// `{"code", "message"}` of a failed resource.
fn resource_error(value: &Value) -> Result<ResourceError, String> {
    let Value::Object(map) = value else {
        return Err("must be an object with code and message".to_owned());
    };
    if map.keys().any(|k| k != "code" && k != "message") {
        return Err("may hold only code and message".to_owned());
    }
    let text = |key: &str, check: &dyn Fn(&str) -> Result<String, String>| match map.get(key) {
        Some(Value::String(s)) => check(s).map_err(|why| format!("{key} {why}")),
        _ => Err(format!("needs a text {key}")),
    };
    Ok(ResourceError {
        code: text("code", &|s| identifier(s, 128))?,
        message: text("message", &|s| bounded_text(s, 1, 1000))?,
    })
}

async fn retry(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let access = authorize(app, req, Action::RetryProvisioning).await?;
    ensure_no_body(req)?;
    let provisioning = service::retry(app, &access).await?;
    Reply::json(StatusCode::ACCEPTED, &provisioning)
}

async fn resend(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let access = authorize(app, req, Action::ResendInvitation).await?;
    ensure_no_body(req)?;
    let sent = invitations::resend(app, &access).await?;
    Reply::json(StatusCode::ACCEPTED, &sent)
}

async fn accept(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let session = app.auth.platform(req, Action::AcceptInvitation).await?;
    let body = http::json_object(req, &[JSON])?;
    let mut problems = Problems::default();
    problems.reject_unknown(&body, &["token"]);
    let token = {
        let mut r = Reader::new(&body, &mut problems);
        let token = r.text("token", |s| parse_token(s).map(str::to_owned));
        r.require("token");
        token
    };
    let token = problems.require(token)?;
    let (tenant, roles) = invitations::accept(app, &session, &token).await?;
    Ok(Reply::tenant(StatusCode::OK, &tenant, &roles)?.located_at(&tenant))
}

/// The tenant a provisioning message is about: the bus event's `detail.tenantId` (or a
/// bare change event's `tenantId`).
fn tenant_of(body: Option<&str>) -> Option<TenantId> {
    let value: Value = serde_json::from_str(body?).ok()?;
    let event = value.get("detail").unwrap_or(&value);
    TenantId::parse(event.get("tenantId")?.as_str()?).ok()
}

/// The `provision-tenant` queue consumer: moves each message's tenant as far as it goes
/// and reports the messages to deliver again (partial batch response). A message that
/// names no tenant is reported too, so that it ends in the dead-letter queue, not nowhere.
pub async fn provision_tenant(
    app: &App,
    batch: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error> {
    let request_id = batch.context.request_id.clone();
    let max_receives = app.config.provisioning.max_receives;
    let mut response = SqsBatchResponse::default();
    for message in batch.payload.records {
        let message_id = message.message_id.clone().unwrap_or_default();
        let receives = message
            .attributes
            .get("ApproximateReceiveCount")
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(1);
        let outcome = match tenant_of(message.body.as_deref()) {
            Some(tenant) => service::advance(app, &tenant, receives >= max_receives, &request_id)
                .await
                .map_err(|e| (Some(tenant), e)),
            None => Err((
                None,
                ApiError::InvalidBody("the message names no tenant".to_owned()),
            )),
        };
        if let Err((tenant, error)) = outcome {
            tracing::error!(
                request_id = %request_id,
                message_id = %message_id,
                tenant = tenant.as_ref().map(|t| t.as_str()).unwrap_or(""),
                receives,
                error = %error,
                "provisioning a tenant failed; the message will be delivered again"
            );
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = message_id;
            response.batch_item_failures.push(failure);
        }
    }
    Ok(response)
}
