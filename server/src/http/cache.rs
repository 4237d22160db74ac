//! Caching: pages and API answers carry personal data, so nothing is kept by a browser or a shared cache but the built assets (for ever, under content-hashed names) and the favicon (a day).

use app::routes::{ASSETS_PREFIX, FAVICON};
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// For assets whose name changes with their content: a year, never revalidated.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// For assets under a fixed name (a development build without hashes): revalidate each time.
pub const REVALIDATE: &str = "no-cache";
/// For the favicon, whose name is fixed.
pub const FAVICON_CACHE: &str = "public, max-age=86400";

pub async fn cache_control(req: Request, next: Next) -> Response {
    let policy = policy_for(req.uri().path());
    let mut res = next.run(req).await;
    if res.headers().contains_key(header::CACHE_CONTROL) {
        return res;
    }
    // Only a file actually served may be kept; a 404 under /pkg/ is a page like any other.
    let value = match policy {
        Some(p) if res.status().is_success() || res.status() == 304 => p,
        _ => "no-store",
    };
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    // The same name answers brotli, gzip or plain bytes as asked: a shared cache must key on it.
    if value != "no-store" && !res.headers().contains_key(header::VARY) {
        res.headers_mut().insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    res
}

/// The cache policy of a path, `None` for everything that is not a built asset.
fn policy_for(path: &str) -> Option<&'static str> {
    if path == FAVICON {
        return Some(FAVICON_CACHE);
    }
    let file = path.strip_prefix(ASSETS_PREFIX)?;
    Some(if is_content_hashed(file) { IMMUTABLE } else { REVALIDATE })
}

/// `name.<hash>.ext` as cargo-leptos' `hash-files` writes it: the MD5 of the content in unpadded
/// base64url (22 characters) before the extension.
pub fn is_content_hashed(file: &str) -> bool {
    if file.contains('/') {
        return false;
    }
    let mut parts = file.rsplit('.');
    let (Some(_ext), Some(hash), Some(stem)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !stem.is_empty()
        && hash.len() == 22
        && hash.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hashed_built_assets_are_kept_for_ever() {
        assert_eq!(policy_for("/pkg/devops-pat-portal.Zm9vYmFyYmF6cXV4cXV1dX.wasm"), Some(IMMUTABLE));
        assert_eq!(policy_for("/pkg/devops-pat-portal.a-b_c1234567890ABCDEFG.js"), Some(IMMUTABLE));
        assert_eq!(policy_for("/pkg/devops-pat-portal.wasm"), Some(REVALIDATE), "unhashed: revalidate");
        assert_eq!(policy_for("/pkg/devops-pat-portal.short.css"), Some(REVALIDATE));
        assert_eq!(policy_for("/pkg/x/y.Zm9vYmFyYmF6cXV4cXV1dX.js"), Some(REVALIDATE), "no sub-folders");
        assert_eq!(policy_for("/favicon.svg"), Some(FAVICON_CACHE));
        assert_eq!(policy_for("/tokens"), None);
        assert_eq!(policy_for("/api/pats"), None);
        assert_eq!(policy_for("/pkgx/devops-pat-portal.Zm9vYmFyYmF6cXV4cXV1dX.js"), None);
    }
}
