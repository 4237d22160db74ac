//! The one error type that crosses the server-function boundary: every variant is safe to show a user.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// What went wrong, in terms a user can act on. Upstream URLs, library messages and
/// tokens never go in here: the server logs those with `reference` and sends only this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ApiError {
    #[error("You are not signed in.")]
    NotSignedIn,
    #[error("Your sign-in has expired. Sign in again to continue.")]
    SessionExpired,
    #[error("Azure DevOps refused this request: {reason}")]
    Forbidden { reason: String },
    /// The sign-in is fine, but this user cannot use this organization (not a member, Conditional
    /// Access, an organization of another tenant): signing in again would change nothing.
    #[error("You have no access to {organization}: {reason}")]
    NoAccess { organization: String, reason: String },
    /// The sign-in may read tokens but not change them: Entra must be asked, once, for the
    /// permission to manage them (`vso.pats_manage`), an incremental consent.
    #[error("Changing tokens needs your permission to manage them. Microsoft asks you once, then brings you back here.")]
    ConsentNeeded,
    /// The access token lacks a permission the call needs (its granted scopes against the
    /// call's, not a membership): granting it is a consent round trip through sign-in, which
    /// asks for the permissions this app reads with.
    #[error("This app has not been granted the permission to {permission} in Azure DevOps. Grant it: Microsoft asks you (or tells you that an administrator must), then brings you back here. No organization administrator needs to add you to anything.")]
    PermissionMissing { permission: String },
    /// The organization's "Restrict personal access token creation" policy refused a new token;
    /// its packaging-only option may still allow one with Packaging scopes only (the policy
    /// itself cannot be read).
    #[error("{reason}")]
    CreationRestricted { reason: String },
    #[error("That item was not found, or you cannot see it.")]
    NotFound,
    #[error("Azure DevOps is throttling requests. Try again in {retry_after_secs} seconds.")]
    RateLimited { retry_after_secs: u64 },
    /// This app's own rate limit (on sign-ins and token creation).
    #[error("Too many requests: try again in {retry_after_secs} seconds.")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("Azure DevOps is not answering right now. Try again in a moment.")]
    UpstreamUnavailable,
    /// Azure DevOps answered, but could not do it this time (it said why): trying again may work.
    #[error("{message}")]
    UpstreamFailed { message: String },
    #[error("{field}: {message}")]
    InvalidInput { field: String, message: String },
    #[error("The app could not reach its server. Check your connection and try again.")]
    Unreachable,
    #[error("Sign-in sessions are unavailable right now. Try again in a moment.")]
    SessionsUnavailable,
    #[error("Something went wrong on our side (reference {reference}).")]
    Internal { reference: String },
}

impl ApiError {
    /// The HTTP status the server answers with for this error.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::NotSignedIn | ApiError::SessionExpired => 401,
            ApiError::Forbidden { .. }
            | ApiError::NoAccess { .. }
            | ApiError::ConsentNeeded
            | ApiError::PermissionMissing { .. }
            | ApiError::CreationRestricted { .. } => 403,
            ApiError::NotFound => 404,
            ApiError::RateLimited { .. } | ApiError::TooManyRequests { .. } => 429,
            ApiError::UpstreamUnavailable | ApiError::UpstreamFailed { .. } => 502,
            ApiError::InvalidInput { .. } => 400,
            ApiError::Unreachable | ApiError::SessionsUnavailable => 503,
            ApiError::Internal { .. } => 500,
        }
    }

    /// True when the fix is to sign in (again): the UI offers a sign-in link.
    pub fn needs_sign_in(&self) -> bool {
        matches!(self, ApiError::NotSignedIn | ApiError::SessionExpired)
    }

    /// An internal error raised where the request is not at hand: the server function gives it
    /// the request id as its reference on the way out (`ports::with_status`).
    pub fn internal() -> Self {
        ApiError::Internal { reference: String::new() }
    }

    /// An internal error still waiting for its reference.
    pub fn lacks_reference(&self) -> bool {
        matches!(self, ApiError::Internal { reference } if reference.is_empty())
    }

    /// An internal error still waiting for its reference gets the request id (`unknown` when
    /// there is none): the id is in every log line of the request.
    pub fn referenced(self, request_id: Option<&str>) -> Self {
        if !self.lacks_reference() {
            return self;
        }
        ApiError::Internal { reference: request_id.unwrap_or("unknown").to_string() }
    }

    /// Names the organization of a "no access" error raised where it was not at hand.
    pub fn in_org(self, org: &str) -> Self {
        match self {
            ApiError::NoAccess { organization, reason } if organization.is_empty() => {
                ApiError::NoAccess { organization: org.to_string(), reason }
            }
            other => other,
        }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::InvalidInput { field: field.to_string(), message: message.into() }
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    // Framework errors (bad arguments, transport) are mapped to variants whose text is ours,
    // so no library message reaches the page.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(_) => ApiError::Unreachable,
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                ApiError::invalid("request", "The request was malformed.")
            }
            _ => ApiError::Internal { reference: "transport".into() },
        }
    }
}

/// Code of the app that could not be fetched when it was needed (a wasm chunk of the split
/// build): to the person, the connection failed, and trying again may work.
impl From<leptos::wasm_split::SplitLoaderError> for ApiError {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        ApiError::Unreachable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_format_is_tagged_and_round_trips() {
        let e = ApiError::RateLimited { retry_after_secs: 30 };
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json, r#"{"kind":"rate_limited","retry_after_secs":30}"#);
        assert_eq!(serde_json::from_str::<ApiError>(&json).unwrap(), e);
        assert_eq!(serde_json::to_string(&ApiError::NotSignedIn).unwrap(), r#"{"kind":"not_signed_in"}"#);
    }

    #[test]
    fn framework_errors_never_carry_library_text() {
        let e = ApiError::from_server_fn_error(ServerFnErrorErr::ServerError(
            "reqwest error: https://secret.example/?token=abc".into(),
        ));
        assert!(!e.to_string().contains("secret"));
        assert_eq!(e.status(), 500);
        assert!(ApiError::SessionExpired.needs_sign_in());
        assert!(!ApiError::NotFound.needs_sign_in());
    }
}
