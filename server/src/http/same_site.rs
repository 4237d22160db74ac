//! CSRF defence: a state-changing request (a server function called with POST, sign-out) that a browser says comes from another site is refused.

use std::sync::Arc;

use app::error::ApiError;
use app::routes::{API_PREFIX, AUTH_PREFIX, CALLBACK};
use axum::extract::Request;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::Response;

use super::forwarded::Forwarded;

/// A browser says where a request comes from in `Sec-Fetch-Site` and `Origin`. Requests
/// without either header (not from a browser, or a very old one) pass: the SameSite=Lax cookie
/// already keeps cross-site POSTs unauthenticated.
pub async fn same_site_writes(origin: Arc<str>, mut req: Request, next: Next) -> Response {
    drop_foreign_referer(&mut req, &origin);
    let path = req.uri().path();
    let guarded = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && (path.starts_with(API_PREFIX) || path.starts_with(AUTH_PREFIX));
    if guarded && is_cross_site(&req, &origin) {
        let h = req.headers();
        tracing::warn!(
            path,
            origin = h.get(header::ORIGIN).and_then(|v| v.to_str().ok()).unwrap_or(""),
            site = h.get("sec-fetch-site").and_then(|v| v.to_str().ok()).unwrap_or(""),
            "cross-site write refused"
        );
        crate::metrics::refused("cross_site_write");
        return super::api_error_response(&ApiError::Forbidden {
            reason: "a request from another site was refused".into(),
        });
    }
    next.run(req).await
}

fn is_cross_site(req: &Request, origin: &str) -> bool {
    let h = req.headers();
    let fetch_site = h.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let from_origin = h.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    match (fetch_site, from_origin) {
        (Some(site), _) if !matches!(site, "same-origin" | "none") => true,
        (_, Some(o)) => o != origin && forwarded_origin(req).as_deref() != Some(o),
        _ => false,
    }
}

/// Behind a trusted proxy the page's origin is the one the proxy reports.
fn forwarded_origin(req: &Request) -> Option<String> {
    req.extensions()
        .get::<Forwarded>()
        .and_then(|f| f.public_base.as_ref())
        .map(|u| u.origin().ascii_serialization())
}

/// leptos_axum answers a server-function request that accepts HTML with a redirect to its
/// `Referer` when the function set no `Location` (for forms posted without JavaScript): from
/// another site's link, that made the portal's origin an open bounce. A `Referer` from another
/// origin is not the portal's page, so server functions never see it: no `Location` the portal
/// did not set (issue 29, item 6).
fn drop_foreign_referer(req: &mut Request, origin: &str) {
    let path = req.uri().path();
    if !(path.starts_with(API_PREFIX) || path.starts_with(AUTH_PREFIX) || path == CALLBACK) {
        return;
    }
    let Some(referer) = req.headers().get(header::REFERER).and_then(|v| v.to_str().ok()) else { return };
    let from = url::Url::parse(referer).ok().map(|u| u.origin().ascii_serialization());
    if from.as_deref() != Some(origin) && (from.is_none() || from != forwarded_origin(req)) {
        req.headers_mut().remove(header::REFERER);
    }
}
