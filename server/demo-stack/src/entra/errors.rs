//! Entra's error answers, built by name: OAuth error bodies (`error`, `error_description` with the AADSTS code, trace and correlation ids) and the HTML page for errors that cannot go back to the app.

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::escape_html;

/// An OAuth error body shaped like Entra's: `error`, `error_description` with the AADSTS code, ids.
fn oauth_error(status: StatusCode, error: &str, aadsts: u32, message: &str) -> Response {
    let trace = uuid::Uuid::new_v4();
    let correlation = uuid::Uuid::new_v4();
    let ts = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS{aadsts}: {message} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {ts}"),
        "error_codes": [aadsts],
        "timestamp": ts,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": format!("https://login.microsoftonline.com/error?code={aadsts}"),
    });
    (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

pub(super) fn tenant_not_found(tenant: &str) -> Response {
    oauth_error(
        StatusCode::BAD_REQUEST,
        "invalid_tenant",
        90002,
        &format!(
            "Tenant '{}' not found.",
            tenant.chars().filter(|c| c.is_ascii_graphic()).take(64).collect::<String>()
        ),
    )
}

/// A problem that cannot be sent back to the app, because the redirect URI itself is not trusted.
pub(super) fn error_page(aadsts: u32, message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in - demo identity provider</title>\
         <link rel=\"icon\" href=\"data:,\"></head><body style=\"font-family:system-ui;max-width:40rem;margin:3rem auto\">\
         <h1>Sorry, but we’re having trouble signing you in.</h1><p>AADSTS{aadsts}: {}</p>\
         <p><small>Demo identity provider (a local stand-in for Entra ID)</small></p></body></html>",
        escape_html(message)
    );
    (StatusCode::BAD_REQUEST, Html(body)).into_response()
}

/// 400 `invalid_request`: a parameter is missing or wrong.
pub(super) fn invalid_request(aadsts: u32, message: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", aadsts, message)
}

/// 400 `invalid_grant`: the code or refresh token cannot be redeemed.
pub(super) fn invalid_grant(aadsts: u32, message: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", aadsts, message)
}

/// 401 `invalid_client`: the client's credential was not accepted.
pub(super) fn invalid_client(aadsts: u32, message: &str) -> Response {
    oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", aadsts, message)
}

/// 400 `unauthorized_client`: no such application in the directory.
pub(super) fn unauthorized_client(aadsts: u32, message: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "unauthorized_client", aadsts, message)
}

/// 400 `unsupported_grant_type`: the token endpoint knows no such grant.
pub(super) fn unsupported_grant_type(message: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", 70003, message)
}
