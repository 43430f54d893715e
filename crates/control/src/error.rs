//! The error type of every control-plane operation.

/// Why a control-plane operation failed.
///
/// The `Display` text of every variant except [`ControlError::Storage`] and
/// [`ControlError::Internal`] is meant for the client and never contains a secret.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// No valid session: missing, malformed, expired or revoked token.
    #[error("{0}")]
    Unauthenticated(String),
    /// The input is invalid (bad enum value, malformed subdomain, empty name, …).
    #[error("{0}")]
    Invalid(String),
    /// The object does not exist or is not visible to the caller.
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with existing state (subdomain taken, already a member, …).
    #[error("{0}")]
    Conflict(String),
    /// The caller is known but may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// Too many failed attempts; retry later.
    #[error("{0}")]
    Throttled(String),
    /// The metadata database failed.
    #[error("metadata store error: {0}")]
    Storage(#[from] sqlx::Error),
    /// Any other unexpected failure (I/O on the key file, hashing, …).
    #[error("internal error: {0}")]
    Internal(String),
}

impl ControlError {
    /// The message to show a client: the variant's text, or a generic text for
    /// storage/internal failures (whose details belong in the server log only).
    pub fn public_message(&self) -> String {
        match self {
            ControlError::Storage(_) | ControlError::Internal(_) => {
                "internal server error".to_string()
            }
            other => other.to_string(),
        }
    }

    /// A short stable code for the error kind (`unauthenticated`, `invalid`, …).
    pub fn code(&self) -> &'static str {
        match self {
            ControlError::Unauthenticated(_) => "unauthenticated",
            ControlError::Invalid(_) => "invalid",
            ControlError::NotFound(_) => "not_found",
            ControlError::Conflict(_) => "conflict",
            ControlError::Forbidden(_) => "forbidden",
            ControlError::Throttled(_) => "throttled",
            ControlError::Storage(_) | ControlError::Internal(_) => "internal",
        }
    }
}

/// Result alias of the control plane.
pub type Result<T, E = ControlError> = std::result::Result<T, E>;

/// Why a backend credential was refused (all of these are HTTP 401 at the front door).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// Not a key or token this server issued (also: a deleted/revoked key).
    #[error("invalid credential")]
    Invalid,
    /// The API key has expired.
    #[error("the API key has expired")]
    Expired,
    /// A valid credential, but for another backend.
    #[error("the credential does not belong to this backend")]
    OtherBackend,
    /// The deployment's admin token was regenerated or the deployment is gone.
    #[error("the deployment token is no longer valid")]
    Stale,
    /// The metadata store could not be consulted.
    #[error("the credential could not be checked")]
    Unavailable,
}
