//! The router: the app's pages and server functions with the portal in context, the plain endpoints, the demo stack, and the middlewares from the outside in.

use std::sync::Arc;

use app::ports::SharedPortal;
use app::routes::{FRONT_CHANNEL_LOGOUT, HEALTHZ, INVENTORY_CSV, INVENTORY_JSON, READYZ, REMINDERS_ICS};
use app::{shell, App};
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::routing::get;
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::http::{
    cache, compression, endpoints, forwarded, page_nonce, rate_limit, request_id, same_site,
    security_headers, sign_in_cookie,
};
use crate::state::AppState;

/// The whole app for `state`, ready to serve (tests drive it with `oneshot`).
pub fn router(state: AppState) -> Router {
    let portal: SharedPortal = state.portal.clone();
    let context = move || provide_context(portal.clone());
    let leptos = state.leptos.clone();
    // leptos_routes_with_context also mounts every server function (under /api/, /auth/ and
    // /getAToken) with the same context.
    let app = Router::new()
        .route(FRONT_CHANNEL_LOGOUT, get(endpoints::front_channel_logout).with_state(state.portal.clone()))
        .route(HEALTHZ, get(endpoints::healthz))
        .route(READYZ, get(endpoints::readyz).with_state(state.portal.clone()))
        .route(REMINDERS_ICS, get(endpoints::reminders_ics).with_state(state.portal.clone()))
        .route(INVENTORY_CSV, get(endpoints::inventory_csv).with_state(state.portal.clone()))
        .route(INVENTORY_JSON, get(endpoints::inventory_json).with_state(state.portal.clone()))
        .leptos_routes_with_context(&leptos, route_list(), context.clone(), {
            let leptos = leptos.clone();
            move || shell(leptos.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(context, shell))
        .with_state(leptos)
        .layer(session_layer(&state))
        .layer(middleware::from_fn({
            let secure = state.public_url.scheme() == "https";
            move |req: Request, next: Next| sign_in_cookie::sign_in_cookie(secure, req, next)
        }));
    let app = match &state.demo {
        Some(stack) => app.merge(stack.router()),
        None => app,
    };
    with_middlewares(app, &state)
}

/// The session cookie: HttpOnly, Secure over https, no token inside.
fn session_layer(state: &AppState) -> SessionManagerLayer<crate::sessions::DynStore> {
    SessionManagerLayer::new(state.store.clone())
        .with_name(state.cookie_name)
        .with_http_only(true)
        // Lax, not Strict: the identity provider's redirect back to /getAToken is a cross-site
        // top-level GET, and it must carry the cookie that holds the sign-in state.
        .with_same_site(SameSite::Lax)
        .with_secure(state.public_url.scheme() == "https")
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(state.session_idle))
}

/// The middlewares, listed from the innermost to the outermost (the last runs first): rate
/// limits and the CSRF guard need the forwarded headers already read.
fn with_middlewares(app: Router, state: &AppState) -> Router {
    let limits = state.limits.clone();
    let origin: Arc<str> = state.public_url.origin().ascii_serialization().into();
    let csp = state.csp.clone();
    let trusted = state.trusted_proxies;
    app.layer(middleware::from_fn(move |req: Request, next: Next| {
        rate_limit::enforce(limits.clone(), req, next)
    }))
    .layer(middleware::from_fn(move |req: Request, next: Next| {
        same_site::same_site_writes(origin.clone(), req, next)
    }))
    .layer(middleware::from_fn(move |req: Request, next: Next| forwarded::read_forwarded(trusted, req, next)))
    .layer(middleware::from_fn(cache::cache_control))
    .layer(middleware::from_fn(compression::mark_secret_answers))
    .layer(middleware::from_fn(page_nonce::nonce_from_page))
    .layer(compression::layer())
    .layer(middleware::from_fn(move |req: Request, next: Next| {
        security_headers::security_headers(csp.clone(), req, next)
    }))
    // Counted with the status the client gets (limits and errors included), by route template.
    .layer(middleware::from_fn(crate::metrics::track_http))
    .layer(middleware::from_fn({
        let in_flight = state.in_flight.clone();
        move |req: Request, next: Next| in_flight.clone().count(req, next)
    }))
    .layer(crate::telemetry::trace_layer())
    .layer(tower_http::request_id::PropagateRequestIdLayer::x_request_id())
    .layer(tower_http::request_id::SetRequestIdLayer::x_request_id(request_id::RequestIds))
    .layer(middleware::from_fn(request_id::drop_odd_request_ids))
}

/// The app's routes, found once per process and shared by every server it starts.
///
/// Finding them renders the app with resource loads suppressed by a process-wide flag
/// (leptos_router's `SuppressResourceLoad`); a resource that first polls while the flag is set
/// stays pending for ever (leptos-rs/leptos#4773). Doing it once, before any server answers,
/// means no page render can ever overlap it, however many servers a process starts (tests do).
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}
