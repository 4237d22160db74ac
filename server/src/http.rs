//! The HTTP layer around the app: one middleware per file, the plain endpoints (health, readiness, front-channel logout), and the one way an `ApiError` becomes a response outside the server functions.

pub mod cache;
pub mod compression;
pub mod endpoints;
pub mod forwarded;
pub mod in_flight;
pub mod page_nonce;
pub mod rate_limit;
pub mod request_id;
pub mod same_site;
pub mod security_headers;
pub mod sign_in_cookie;

use app::error::ApiError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The wire error as JSON with its status (`ApiError::status`) and, when throttled, `Retry-After`.
pub fn api_error_response(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_string(e).unwrap_or_default();
    let mut res = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let ApiError::RateLimited { retry_after_secs } | ApiError::TooManyRequests { retry_after_secs } = e {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
    }
    res
}
