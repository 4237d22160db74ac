//! Caching: pages and API answers carry personal data, so nothing but the built assets and the favicon may be kept by a browser or a shared cache.

use app::routes::{ASSETS_PREFIX, FAVICON};
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

pub async fn no_store_for_dynamic(req: Request, next: Next) -> Response {
    let cacheable = req.uri().path().starts_with(ASSETS_PREFIX) || req.uri().path() == FAVICON;
    let mut res = next.run(req).await;
    if !cacheable && !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
