//! Metrics for the people who run the portal, in the Prometheus text format, on a listener of
//! their own (`METRICS_ADDR`, off unless set, so they are never public by accident).
//!
//! Recorded through the `metrics` facade, rendered by its Prometheus exporter. Every label value
//! comes from a fixed set written in this crate: a route template (never a raw path), a method,
//! a status class, a service name, an outcome word, a limit's name. No label ever carries a user,
//! a token's name, an organization, a vault, an id or anything secret (`tests/metrics.rs` reads
//! the whole output after a journey and checks it).

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

mod names;
pub use names::*;

/// Latency buckets, in seconds: from a cached answer to a call that ran into the timeout.
const LATENCY_BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process's recorder (once: later calls return the same handle). Until it is
/// installed, recording costs nothing and goes nowhere.
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &LATENCY_BUCKETS)
                .expect("the latency buckets are not empty");
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!(
                    "another metrics recorder was installed first: the portal's metrics stay empty"
                );
            }
            names::describe();
            // Histograms are folded into their buckets by upkeep; a scrape also does it.
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || loop {
                    std::thread::sleep(Duration::from_secs(5));
                    upkeep.run_upkeep();
                })
                .ok();
            handle
        })
        .clone()
}

/// Serves `GET /metrics` on `addr` until `shutdown` completes; returns the bound address.
pub async fn serve(
    addr: SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<SocketAddr> {
    let handle = install();
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let handle = handle.clone();
            async move {
                ([(http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle.render())
                    .into_response()
            }
        }),
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    });
    Ok(bound)
}

/// Counts each request by route template, method and status class, and times it (until the
/// response's head: a streamed body is not waited for).
pub async fn track_http(req: Request, next: Next) -> Response {
    let route = route_label(&req);
    let method = method_label(req.method());
    let started = Instant::now();
    let response = next.run(req).await;
    let status = status_class(response.status().as_u16());
    counter!(HTTP_REQUESTS, "route" => route.clone(), "method" => method, "status" => status).increment(1);
    histogram!(HTTP_DURATION, "route" => route, "method" => method).record(started.elapsed().as_secs_f64());
    response
}

/// The route's template as the router matched it; the static files and anything unmatched by
/// two fixed words, so that a raw path never becomes a label.
fn route_label(req: &Request) -> String {
    match req.extensions().get::<MatchedPath>() {
        Some(m) => m.as_str().to_string(),
        None if req.uri().path().starts_with("/pkg/") => "/pkg/{file}".into(),
        None => "(other)".into(),
    }
}

fn method_label(m: &http::Method) -> &'static str {
    match m.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// What an upstream call came to, in a fixed vocabulary: each 4xx kind apart.
pub fn outcome_of_status(status: u16) -> &'static str {
    match status {
        200..=299 => "ok",
        300..=399 => "redirect",
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        429 => "throttled",
        402..=499 => "client_error",
        _ => "server_error",
    }
}

/// One upstream call: the service it went to, what it came to, how long it took.
pub fn upstream(service: Upstream, outcome: &'static str, elapsed: Duration) {
    let service = service.as_str();
    counter!(UPSTREAM_REQUESTS, "service" => service, "outcome" => outcome).increment(1);
    histogram!(UPSTREAM_DURATION, "service" => service).record(elapsed.as_secs_f64());
}

/// A `Retry-After` an upstream answer carried (Azure DevOps may send one on any answer).
pub fn upstream_wait_asked(service: Upstream, secs: u64) {
    counter!(UPSTREAM_WAITS, "service" => service.as_str()).increment(1);
    counter!(UPSTREAM_WAIT_SECONDS, "service" => service.as_str()).increment(secs);
}

/// The outcome word of a transport failure (no answer at all).
pub fn outcome_of_transport(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else {
        "unreachable"
    }
}

/// The services the portal calls, by fixed name: never a host, which carries an organization's
/// or a vault's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upstream {
    /// Entra ID's token endpoint (code exchange and refresh).
    EntraToken,
    /// Entra ID's discovery document and signing keys.
    EntraDiscovery,
    /// The PAT lifecycle API.
    DevopsPats,
    /// Profiles and accounts.
    DevopsProfile,
    /// Projects.
    DevopsProjects,
    /// The anonymous call that reads an organization's tenant.
    DevopsTenant,
}

impl Upstream {
    pub fn as_str(self) -> &'static str {
        match self {
            Upstream::EntraToken => "entra_token",
            Upstream::EntraDiscovery => "entra_discovery",
            Upstream::DevopsPats => "devops_pats",
            Upstream::DevopsProfile => "devops_profile",
            Upstream::DevopsProjects => "devops_projects",
            Upstream::DevopsTenant => "devops_tenant",
        }
    }
}

/// A sign-in sent to the identity provider.
pub fn sign_in_started() {
    counter!(SIGN_INS_STARTED).increment(1);
}

/// A sign-in that ended with a session.
pub fn sign_in_completed() {
    counter!(SIGN_INS_COMPLETED).increment(1);
}

/// A sign-in that could not start or finish, by the reason the person is shown (`?reason=`).
pub fn sign_in_failed(reason: &'static str) {
    counter!(SIGN_INS_FAILED, "reason" => reason).increment(1);
}

/// A refresh of the access token: `ok`, or the OAuth error word (from a fixed list) or
/// `unavailable`.
pub fn refresh(outcome: &'static str) {
    counter!(REFRESHES, "outcome" => outcome).increment(1);
}

/// An incremental consent: `started`, `granted`, `declined` or `failed`.
pub fn consent(outcome: &'static str) {
    counter!(CONSENTS, "outcome" => outcome).increment(1);
}

/// A request refused by one of the limits, by its name.
pub fn refused(limit: &'static str) {
    counter!(LIMIT_REFUSALS, "limit" => limit).increment(1);
}

/// A bulk change applied: its action, and how many of its targets changed and how many did not.
pub fn bulk_change(action: &'static str, changed: u64, not_changed: u64) {
    counter!(BULK_CHANGES, "action" => action).increment(1);
    counter!(BULK_TARGETS, "action" => action, "outcome" => "changed").increment(changed);
    counter!(BULK_TARGETS, "action" => action, "outcome" => "not_changed").increment(not_changed);
}

/// The session store answered a readiness check (or did not).
pub fn session_store_up(up: bool) {
    gauge!(SESSION_STORE_UP).set(if up { 1.0 } else { 0.0 });
}

/// A session store operation that failed, by the portal's fixed name for it.
pub fn session_store_error(operation: &'static str) {
    counter!(SESSION_STORE_ERRORS, "operation" => operation).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_become_classes_and_outcomes_from_fixed_sets() {
        assert_eq!(status_class(204), "2xx");
        assert_eq!(status_class(302), "3xx");
        assert_eq!(status_class(429), "4xx");
        assert_eq!(status_class(503), "5xx");
        assert_eq!(outcome_of_status(401), "unauthorized");
        assert_eq!(outcome_of_status(418), "client_error");
        assert_eq!(outcome_of_status(429), "throttled");
        assert_eq!(outcome_of_status(502), "server_error");
        assert_eq!(method_label(&http::Method::from_bytes(b"PROPFIND").unwrap()), "other");
    }

    #[test]
    fn a_path_the_router_did_not_match_is_never_a_label() {
        let req = Request::builder().uri("/fabrikam/secret-place").body(axum::body::Body::empty()).unwrap();
        assert_eq!(route_label(&req), "(other)");
        let req = Request::builder().uri("/pkg/app.abc.wasm").body(axum::body::Body::empty()).unwrap();
        assert_eq!(route_label(&req), "/pkg/{file}");
    }
}
