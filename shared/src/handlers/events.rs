//! Change events: a tenant's audit trail over HTTP, and the stream consumer that publishes
//! the outbox to the event bus.

use aws_lambda_events::event::dynamodb::Event as StreamBatch;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, RequestExt, Response};
use lambda_runtime::LambdaEvent;

use super::{authorize, DEFAULT_PAGE, MAX_PAGE};
use crate::auth::Action;
use crate::domain::EventType;
use crate::error::ApiError;
use crate::http::{self, Reply};
use crate::runtime::{App, Publisher};
use crate::service::events as service;
use crate::service::publish::{publish, StreamEvent};
use crate::store::events::published_event;

/// `GET /v1/tenants/{id}/events`
pub async fn list_tenant_events(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(http::respond(&req, list(app, &req).await))
}

async fn list(app: &App, req: &Request) -> Result<Reply, ApiError> {
    let access = authorize(app, req, Action::ListEvents).await?;
    let (limit, cursor, only) = http::filtered_page_params(
        req,
        MAX_PAGE,
        DEFAULT_PAGE,
        Some(("type", EventType::parse)),
    )?;
    let deadline = req.lambda_context_ref().map(|ctx| ctx.deadline);
    let page = service::list(app, &access, only, limit, cursor.as_deref(), deadline).await?;
    Reply::json(StatusCode::OK, &page)
}

/// The `publish-events` stream consumer: puts the batch's event items on the bus, in
/// order, and reports where to resume if it stopped short (partial batch response).
pub async fn publish_events(
    publisher: &Publisher,
    batch: LambdaEvent<StreamBatch>,
) -> Result<DynamoDbEventResponse, Error> {
    let images: Vec<(String, crate::store::Item)> = batch
        .payload
        .records
        .into_iter()
        .map(|record| {
            let sequence = record.change.sequence_number.unwrap_or_default();
            (sequence, record.change.new_image.into())
        })
        .collect();
    let records: Vec<StreamEvent<'_>> = images
        .iter()
        .map(|(sequence, image)| StreamEvent {
            sequence_number: sequence,
            event: published_event(image),
        })
        .collect();
    let done = publish(&publisher.bus, &records).await;
    tracing::info!(
        request_id = %batch.context.request_id,
        records = records.len(),
        put = done.put,
        failed_at = done.failed_at.as_deref().unwrap_or(""),
        "published change events"
    );
    let mut response = DynamoDbEventResponse::default();
    if let Some(sequence) = done.failed_at {
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = Some(sequence);
        response.batch_item_failures.push(failure);
    }
    Ok(response)
}
