//! The nonce a page's inline scripts carry, read from the page itself for its
//! Content-Security-Policy.
//!
//! The page used to hand its nonce to the security headers through Leptos's `ResponseOptions`.
//! Under load (a page rendered while the same browser fetched wasm chunks at idle) a page now and
//! then went out without it: its policy then had no nonce, the browser blocked the hydration
//! scripts, and the page never hydrated (the end-to-end tests caught it about once a run). The
//! scripts' own `nonce="…"` is the one value that cannot disagree with them. A page's text cannot
//! fake one: Leptos escapes `"` in text and attributes, and the hydration scripts come first in
//! the head.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// A rendered page is far smaller; anything larger is not a page of this app.
const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;

/// Inside the compression layer: gives an HTML answer the private nonce header that
/// `security_headers` turns into the policy's `'nonce-…'` (and removes).
pub async fn nonce_from_page(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !is_html {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "a page could not be rendered to the end");
            return (StatusCode::INTERNAL_SERVER_ERROR, "The page could not be rendered. Try again.")
                .into_response();
        }
    };
    parts.headers.remove(app::CSP_NONCE_HEADER);
    if let Some(nonce) = first_nonce(&bytes) {
        parts.headers.insert(app::CSP_NONCE_HEADER, nonce);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The value of the first `nonce="…"` attribute, if it is a plain base64 token.
fn first_nonce(html: &[u8]) -> Option<HeaderValue> {
    const ATTR: &[u8] = b" nonce=\"";
    let start = html.windows(ATTR.len()).position(|w| w == ATTR)? + ATTR.len();
    let len = html[start..].iter().take(128).position(|b| *b == b'"')?;
    let value = &html[start..start + len];
    let plain = !value.is_empty()
        && value.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'));
    plain.then(|| HeaderValue::from_bytes(value).ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::first_nonce;

    #[test]
    fn the_first_script_nonce_is_read_and_nothing_else() {
        let page =
            br#"<head><script type="module" nonce="AbC+/d09=="></script></head><body nonce="x"></body>"#;
        assert_eq!(first_nonce(page).unwrap(), "AbC+/d09==");
        assert_eq!(first_nonce(b"<p>nonce=&quot;x&quot;</p>"), None, "escaped text is not an attribute");
        assert_eq!(first_nonce(br#"<script nonce="a b"></script>"#), None, "not a plain token");
        assert_eq!(first_nonce(br#"<script nonce=""></script>"#), None);
        assert_eq!(first_nonce(br#"<script nonce="unterminated"#), None);
    }
}
