//! Typed errors of the Amazon adapter. Amazon's own error codes
//! (`InvalidInput`, `QuotaExceeded`, `Unauthorized`, ...) are kept verbatim
//! so operators can look them up in Amazon's documentation.

use std::time::Duration;

/// One entry of the `errors` array every SP-API error response carries.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct ApiErrorItem {
    /// Amazon's error code, e.g. `InvalidInput`.
    pub code: String,
    /// Amazon's message.
    #[serde(default)]
    pub message: String,
    /// Extra detail, when Amazon gives some.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

/// Why getting a Login with Amazon (LWA) access token failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// LWA answered with an OAuth error (`invalid_grant`, `invalid_client`, ...).
    #[error("LWA refused the token request ({status}): {error}: {description}")]
    Rejected {
        status: u16,
        error: String,
        description: String,
    },
    /// The token endpoint could not be reached or answered garbage.
    #[error("LWA token endpoint failed: {0}")]
    Transport(String),
}

/// Why a call to the Selling Partner API failed.
#[derive(Debug, thiserror::Error)]
pub enum AmazonError {
    /// Amazon answered with an error status and an `errors` array; `code` is
    /// the first error's code (e.g. `InvalidInput`). Not retried.
    #[error("Amazon SP-API {operation} answered {status} {code}: {message}")]
    Api {
        operation: &'static str,
        status: u16,
        code: String,
        message: String,
        errors: Vec<ApiErrorItem>,
    },
    /// Still throttled (429) or unavailable (5xx) after every retry.
    #[error(
        "Amazon SP-API {operation} still answered {status} after {attempts} attempts (last wait {last_wait:?})"
    )]
    RetriesExhausted {
        operation: &'static str,
        status: u16,
        attempts: u32,
        last_wait: Duration,
        errors: Vec<ApiErrorItem>,
    },
    /// The request did not reach Amazon or the answer was cut off.
    #[error("Amazon SP-API {operation} transport error: {message}")]
    Transport {
        operation: &'static str,
        message: String,
    },
    /// Amazon answered 2xx with a body that is not what its model says.
    #[error("Amazon SP-API {operation} answered an unexpected body: {message}")]
    Decode {
        operation: &'static str,
        message: String,
    },
    /// No access token.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The client configuration is unusable (bad base URL, no marketplace).
    #[error("Amazon client configuration: {0}")]
    Config(String),
}

impl AmazonError {
    /// Amazon's error code, when Amazon sent one.
    pub fn amazon_code(&self) -> Option<&str> {
        match self {
            AmazonError::Api { code, .. } => Some(code),
            AmazonError::RetriesExhausted { errors, .. } => errors.first().map(|e| e.code.as_str()),
            _ => None,
        }
    }

    /// Worth trying again later (the whole pull, with the same cursor).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            AmazonError::RetriesExhausted { .. }
                | AmazonError::Transport { .. }
                | AmazonError::Token(TokenError::Transport(_))
        )
    }
}
