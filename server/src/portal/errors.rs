//! How server-side failures become the wire error: Azure DevOps failures by `From`, a session store that does not answer, internal errors with a reference.

use app::error::ApiError;

use crate::devops::DevopsError;

/// The one mapping from Azure DevOps failures to what the user is told.
impl From<DevopsError> for ApiError {
    fn from(e: DevopsError) -> Self {
        match e {
            DevopsError::Unauthorized => ApiError::SessionExpired,
            DevopsError::Forbidden => ApiError::Forbidden {
                reason: "you lack permission, or the organization does not allow third-party OAuth apps"
                    .into(),
            },
            DevopsError::NotFound => ApiError::NotFound,
            DevopsError::RateLimited(s) => ApiError::RateLimited { retry_after_secs: s },
            DevopsError::Unavailable(cause) => {
                tracing::warn!(%cause, "Azure DevOps unavailable");
                ApiError::UpstreamUnavailable
            }
            // Azure DevOps' own text may name internals: it goes to the log with the request id,
            // the user gets what to do.
            DevopsError::BadRequest(message) => {
                tracing::warn!(%message, "Azure DevOps refused the request as invalid");
                ApiError::invalid("request", BAD_REQUEST_TEXT)
            }
            e @ DevopsError::Unexpected(_) => internal("Azure DevOps", &e),
        }
    }
}

/// What the user is told when Azure DevOps answers 400, 409 or 422.
pub const BAD_REQUEST_TEXT: &str =
    "Azure DevOps did not accept this request. Check what you entered and try again.";

/// A session store that fails (Redis down, SQLite unreadable): logged, and the user is told
/// sessions are unavailable (503), not that something broke.
pub fn store_error(context: &str, cause: &dyn std::fmt::Display) -> ApiError {
    tracing::error!(context, %cause, "session store unavailable");
    ApiError::SessionsUnavailable
}

/// Logs the cause (the log line carries the request id) and returns an error that shows only a
/// reference: the server functions replace it with the request id (`app::ports::with_status`).
pub fn internal(context: &str, cause: &dyn std::fmt::Display) -> ApiError {
    tracing::error!(context, %cause, "internal error");
    ApiError::internal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devops_failures_map_to_what_a_user_can_act_on() {
        assert_eq!(ApiError::from(DevopsError::Unauthorized), ApiError::SessionExpired);
        assert_eq!(ApiError::from(DevopsError::NotFound), ApiError::NotFound);
        assert_eq!(
            ApiError::from(DevopsError::RateLimited(7)),
            ApiError::RateLimited { retry_after_secs: 7 }
        );
        assert_eq!(ApiError::from(DevopsError::Unavailable("x".into())), ApiError::UpstreamUnavailable);
        assert!(matches!(ApiError::from(DevopsError::Forbidden), ApiError::Forbidden { .. }));
        let e = ApiError::from(DevopsError::Unexpected("https://upstream.example/?secret".into()));
        assert!(e.lacks_reference());
        assert!(!e.to_string().contains("upstream"), "no upstream detail reaches the user");
        let e = ApiError::from(DevopsError::BadRequest("VS403 internal detail at https://x.internal".into()));
        assert_eq!(e, ApiError::invalid("request", BAD_REQUEST_TEXT), "Azure DevOps' text stays in the log");
    }
}
