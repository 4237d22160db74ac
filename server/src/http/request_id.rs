//! Request ids: 16 hex digits in `X-Request-Id` and every log line of the request; an id set by a proxy in front of the app is kept, so both logs share it.

use axum::http::HeaderValue;
use tower_http::request_id::{MakeRequestId, RequestId};

#[derive(Clone, Copy)]
pub struct RequestIds;

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _req: &axum::http::Request<B>) -> Option<RequestId> {
        let id = uuid::Uuid::new_v4().simple().to_string()[..16].to_string();
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}
