//! Logging: readable lines by default, JSON with `LOG_FORMAT=json`; request lines without query strings (they can carry codes).

use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use tracing_subscriber::EnvFilter;

pub fn init(json: bool) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tower_sessions=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(true);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}

/// The header that carries the request id: set by the app (or kept from a proxy), echoed in the
/// response, present in every log line of the request, and shown to the user as the reference.
pub use app::routes::REQUEST_ID_HEADER as REQUEST_ID;

type MakeSpan = fn(&axum::http::Request<axum::body::Body>) -> tracing::Span;

/// One span per request with method and path only: the query of `/getAToken` holds the
/// authorization code, and it has no place in a log.
pub fn trace_layer() -> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, MakeSpan> {
    TraceLayer::new_for_http()
        .make_span_with((|req: &axum::http::Request<axum::body::Body>| {
            let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
        }) as MakeSpan)
        .on_response(DefaultOnResponse::new().level(Level::INFO))
}
