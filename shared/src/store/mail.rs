//! The owner's invitation email, sent with SES v2 (`SendEmail`, Simple content: subject
//! and plain text).

use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};

use super::calls::step_error;
use crate::domain::provisioning::{ResourceError, StepError};

/// SES v2 as the invitation mailer.
#[derive(Debug, Clone)]
pub struct SesMailer {
    client: aws_sdk_sesv2::Client,
}

impl SesMailer {
    /// The mailer over `client`.
    pub fn new(client: aws_sdk_sesv2::Client) -> Self {
        Self { client }
    }

    /// Sends `text` with `subject` from `from` to `to`; the SES message id.
    pub async fn send(
        &self,
        from: &str,
        to: &str,
        subject: &str,
        text: &str,
    ) -> Result<String, StepError> {
        let content = |data: &str| {
            Content::builder()
                .data(data)
                .charset("UTF-8")
                .build()
                .map_err(|e| refused("InvalidParameterValue", e))
        };
        let message = Message::builder()
            .subject(content(subject)?)
            .body(Body::builder().text(content(text)?).build())
            .build();
        let output = self
            .client
            .send_email()
            .from_email_address(from)
            .destination(Destination::builder().to_addresses(to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| step_error("sending an invitation email", e))?;
        Ok(output.message_id().unwrap_or_default().to_owned())
    }
}

fn refused(code: &str, err: impl std::fmt::Display) -> StepError {
    StepError::Refused(ResourceError {
        code: code.to_owned(),
        message: err.to_string(),
    })
}
