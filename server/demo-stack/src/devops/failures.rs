//! Test-only failure switches of the stand-in: the next requests answer as a failing Azure DevOps would, and every request is counted.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::{sign_in_page, unauthorized_json, vss_error, DevopsStandIn};

/// One way Azure DevOps can fail a request, answered in its real shape. Set with
/// `DevopsStandIn::fail_next`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// 203 with the HTML sign-in page (what a bad bearer gets on GET and POST).
    SignInPage203,
    /// 401 with `UnauthorizedRequestException` TF400813.
    Unauthorized401,
    /// 403: the caller lacks the permission.
    Forbidden403,
    /// 404: missing or not visible to this caller.
    NotFound404,
    /// 429 with TF400733, `Retry-After` and the `X-RateLimit-*` headers.
    Throttled { retry_after_secs: u64 },
    /// 500 with a vss error body.
    ServerError500,
    /// 200 with `{"patToken": null, "patTokenError": <value>}` (and `patTokenErrorMessage` when
    /// given): how the PAT API refuses a create or an update.
    PatTokenError { value: &'static str, message: Option<&'static str> },
    /// 302 to the sign-in page, as Azure DevOps answers a browser-like request without a token.
    RedirectToSignIn302,
    /// A status no Azure DevOps API documents (418): the portal must treat it as its own error.
    Undocumented418,
    /// Waits this long, then answers normally.
    Slow(Duration),
}

/// A failure still to answer `remaining` times, to requests of `method` (any when `None`).
pub(super) struct Switch {
    failure: Failure,
    method: Option<Method>,
    remaining: u32,
}

impl DevopsStandIn {
    /// Test-only: the next `count` requests with `method` (any method when `None`) fail with
    /// `failure`. Switches set one after another queue up; the oldest matching one answers first.
    pub fn fail_next(&self, failure: Failure, method: Option<axum::http::Method>, count: u32) {
        if count == 0 {
            return;
        }
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).push(Switch {
            failure,
            method,
            remaining: count,
        });
    }

    /// Test-only: forgets every failure still to answer.
    pub fn clear_failures(&self) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// How many requests with `method` the stand-in has received, failed ones included.
    pub fn request_count(&self, method: &axum::http::Method) -> usize {
        self.requests.lock().unwrap_or_else(|e| e.into_inner()).get(method).copied().unwrap_or(0)
    }

    /// Counts the request and takes one use of the oldest switch that matches it.
    fn on_request(&self, method: &Method) -> Option<Failure> {
        *self.requests.lock().unwrap_or_else(|e| e.into_inner()).entry(method.clone()).or_default() += 1;
        let mut switches = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let at = switches.iter().position(|s| s.method.as_ref().is_none_or(|m| m == method))?;
        let failure = switches[at].failure;
        switches[at].remaining -= 1;
        if switches[at].remaining == 0 {
            switches.remove(at);
        }
        Some(failure)
    }
}

/// The middleware in front of every route of the stand-in, before authentication.
pub(super) async fn layer(State(s): State<Arc<DevopsStandIn>>, req: Request, next: Next) -> Response {
    match s.on_request(req.method()) {
        None => next.run(req).await,
        Some(Failure::Slow(wait)) => {
            tokio::time::sleep(wait).await;
            next.run(req).await
        }
        Some(failure) => failure.response(),
    }
}

impl Failure {
    fn response(self) -> Response {
        match self {
            Failure::SignInPage203 => sign_in_page(),
            Failure::Unauthorized401 => unauthorized_json(),
            Failure::Forbidden403 => vss_error(
                StatusCode::FORBIDDEN,
                "AccessCheckException",
                "Access Denied: The caller needs permissions on this resource to perform this action.",
            ),
            Failure::NotFound404 => vss_error(
                StatusCode::NOT_FOUND,
                "VssResourceNotFoundException",
                "The requested resource does not exist or you do not have permission to see it.",
            ),
            Failure::Throttled { retry_after_secs } => throttled(retry_after_secs),
            Failure::ServerError500 => vss_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "VssServiceException",
                "VS800000: An unexpected error occurred in the service (demo stand-in).",
            ),
            Failure::PatTokenError { value, message } => {
                let mut body = json!({ "patToken": null, "patTokenError": value });
                if let Some(m) = message {
                    body["patTokenErrorMessage"] = json!(m);
                }
                Json(body).into_response()
            }
            Failure::RedirectToSignIn302 => (
                StatusCode::FOUND,
                [(
                    header::LOCATION,
                    "https://spsprodweu5.vssps.visualstudio.com/_signin?realm=dev.azure.com",
                )],
            )
                .into_response(),
            Failure::Undocumented418 => StatusCode::IM_A_TEAPOT.into_response(),
            Failure::Slow(_) => StatusCode::OK.into_response(),
        }
    }
}

/// 429 as Azure DevOps blocks a caller over its usage: TF400733 and the rate-limit headers.
pub(super) fn throttled(retry_after_secs: u64) -> Response {
    let reset = crate::now_secs() + retry_after_secs;
    let mut res = (
        StatusCode::TOO_MANY_REQUESTS,
        Json(json!({
            "$id": "1", "innerException": null,
            "message": "TF400733: The request has been canceled: Request was blocked due to exceeding usage of \
                        resource 'ATCPU' in namespace 'User'.",
            "typeName": "Microsoft.TeamFoundation.Framework.Server.RequestBlockedException, Microsoft.TeamFoundation.Framework.Server",
            "typeKey": "RequestBlockedException", "errorCode": 0, "eventId": 3000,
        })),
    )
        .into_response();
    let h = res.headers_mut();
    let number = |n: u64| HeaderValue::from(n);
    h.insert(header::RETRY_AFTER, number(retry_after_secs));
    h.insert("X-RateLimit-Resource", HeaderValue::from_static("ATCPU"));
    h.insert("X-RateLimit-Delay", HeaderValue::from_static("0.312"));
    h.insert("X-RateLimit-Limit", number(200));
    h.insert("X-RateLimit-Remaining", number(0));
    h.insert("X-RateLimit-Reset", number(reset));
    res
}
