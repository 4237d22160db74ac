//! The one place where an Azure DevOps answer becomes an error: status, content type and body
//! (TF400813 naming a user or not, VS403463), `Retry-After`, redirects.

use reqwest::header::{HeaderMap, CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;

use super::{DevopsError, NoAccess};

/// The one place where an Azure DevOps answer becomes an error.
pub fn classify(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Result<(), DevopsError> {
    let retry_after =
        || headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    let is_json =
        headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(|v| v.contains("json")).unwrap_or(false);
    match status.as_u16() {
        // A success without JSON is the sign-in page Azure DevOps serves for a bad token.
        200..=299 if status == StatusCode::NO_CONTENT || body.is_empty() => Ok(()),
        200..=299 if !is_json => Err(DevopsError::Unauthorized),
        200..=299 => Ok(()),
        // Redirects are not followed: one to a sign-in page is a token not accepted, any other
        // is an answer this client does not expect from an API.
        300..=399 if redirects_to_sign_in(headers) => Err(DevopsError::Unauthorized),
        300..=399 => Err(DevopsError::Unavailable(format!("HTTP {status} redirect"))),
        401 | 403 => Err(refusal(status, headers, body)),
        404 => Err(DevopsError::NotFound),
        429 => Err(DevopsError::RateLimited(retry_after().unwrap_or(30))),
        400 | 409 | 422 => Err(DevopsError::BadRequest(message_of(body))),
        500..=599 => Err(DevopsError::Unavailable(format!("HTTP {status}"))),
        _ => Err(DevopsError::Unexpected(format!("HTTP {status}"))),
    }
}

/// A 401 or 403, told apart by its body: Conditional Access (VS403463), a user the organization
/// does not know (TF400813 naming a user), a token not accepted (TF400813 with an empty user),
/// or a permission this user lacks.
fn refusal(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> DevopsError {
    let message = message_of(body);
    if message.contains("VS403463") {
        return DevopsError::NoAccess(NoAccess::ConditionalAccess);
    }
    let named_user = message
        .split_once("The user '")
        .and_then(|(_, rest)| rest.split_once('\''))
        .is_some_and(|(user, _)| !user.trim().is_empty());
    if message.contains("TF400813") && named_user {
        let resource_tenant = headers
            .get("x-vss-resourcetenant")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_string())
            .filter(|v| uuid::Uuid::parse_str(v).is_ok());
        return DevopsError::NoAccess(NoAccess::NotMember { resource_tenant });
    }
    if status == StatusCode::UNAUTHORIZED {
        DevopsError::Unauthorized
    } else {
        DevopsError::Forbidden
    }
}

fn redirects_to_sign_in(headers: &HeaderMap) -> bool {
    headers.get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()).is_some_and(|l| {
        let l = l.to_ascii_lowercase();
        l.contains("signin") || l.contains("login") || l.contains("_signin")
    })
}

fn message_of(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
        .unwrap_or_else(|| "no message".into())
}
