//! Request ids: 16 hex digits in `X-Request-Id` and every log line of the request. An id set by a proxy in front of the app is kept, so both logs share it, but only when it is a plain token of 8 to 64 characters: anything else gets a new id.

use app::routes::REQUEST_ID_HEADER;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tower_http::request_id::{MakeRequestId, RequestId};

#[derive(Clone, Copy)]
pub struct RequestIds;

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _req: &axum::http::Request<B>) -> Option<RequestId> {
        let id = uuid::Uuid::new_v4().simple().to_string()[..16].to_string();
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// Whether a request id from outside may be kept: 8 to 64 letters, digits, `-`, `_` or `.`.
pub fn is_plain_id(v: &[u8]) -> bool {
    (8..=64).contains(&v.len())
        && v.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Drops an incoming `X-Request-Id` that is not a plain id (it goes into logs and pages), so
/// that a new one is made.
pub async fn drop_odd_request_ids(mut req: Request, next: Next) -> Response {
    let odd = req.headers().get_all(REQUEST_ID_HEADER).iter().count() > 1
        || req.headers().get(REQUEST_ID_HEADER).is_some_and(|v| !is_plain_id(v.as_bytes()));
    if odd {
        req.headers_mut().remove(REQUEST_ID_HEADER);
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_are_kept() {
        assert!(is_plain_id(b"proxy-1234"));
        assert!(is_plain_id(b"0123456789abcdef"));
        for odd in [
            &b"short"[..],
            b"has space 1234",
            b"<script>alert(1)</script>",
            &[b'a'; 65][..],
            b"a\r\nb12345678",
        ] {
            assert!(!is_plain_id(odd), "{:?}", String::from_utf8_lossy(odd));
        }
    }
}
