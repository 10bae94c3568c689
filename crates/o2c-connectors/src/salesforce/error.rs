//! Typed errors of the Salesforce adapter; Salesforce's own `errorCode`
//! (`INVALID_SESSION_ID`, `MALFORMED_QUERY`, ...) and OAuth `error` are kept
//! verbatim so operators can look them up.

#[derive(Debug, thiserror::Error)]
pub enum SalesforceError {
    #[error("Salesforce configuration: {0}")]
    Config(String),
    /// The token endpoint refused the login (`invalid_grant`, `invalid_client`, ...).
    #[error("Salesforce refused the login ({status}): {error}: {description}")]
    Login {
        status: u16,
        error: String,
        description: String,
    },
    /// The REST API answered an error status.
    #[error("Salesforce answered {status} {code}: {message}")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    #[error("Salesforce transport error: {0}")]
    Transport(String),
    #[error("Salesforce answered an unexpected body: {0}")]
    Decode(String),
}
