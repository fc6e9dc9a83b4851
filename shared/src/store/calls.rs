//! Sorting the failures of the AWS calls the built-in provisioning steps make (SES, STS)
//! into refusals, which fail the resource with the service's own error code, and
//! transient failures, which the queue delivers again.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use crate::domain::provisioning::{ResourceError, StepError};

/// Error codes that mean "try again later" whatever the service.
const TRANSIENT_CODES: [&str; 7] = [
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ServiceUnavailable",
    "InternalFailure",
    "InternalServerError",
];

/// The step error an SDK failure stands for.
pub(crate) fn step_error<E, R>(doing: &str, err: SdkError<E, R>) -> StepError
where
    E: ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match &err {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("Unknown");
            if TRANSIENT_CODES.contains(&code) {
                StepError::Transient(format!("while {doing}: {err:?}"))
            } else {
                StepError::Refused(ResourceError {
                    code: code.to_owned(),
                    message: service
                        .err()
                        .message()
                        .unwrap_or("the service refused the request")
                        .to_owned(),
                })
            }
        }
        _ => StepError::Transient(format!("while {doing}: {err:?}")),
    }
}
