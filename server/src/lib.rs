//! The axum server of the Azure DevOps token portal: configuration, OIDC client, sessions, DevOps client, demo stack.

pub mod config;
pub mod demo;
pub mod devops;
pub mod limits;
pub mod oidc;
pub mod portal;
pub mod secret;
pub mod sessions;
pub mod telemetry;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::ports::SharedPortal;
use app::{shell, App};
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tokio::net::TcpListener;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use url::Url;

use crate::config::{Config, Identity, CALLBACK_PATH, DEVOPS_SCOPE};
use crate::demo::DemoStack;
use crate::devops::{DevopsClient, DevopsUrls};
use crate::oidc::credential::{ClientCertificate, ClientCredential};
use crate::oidc::{http_client, OidcClient};
use crate::portal::PortalService;

/// The session cookie's name: distinct from anything an identity provider on the same host sets.
pub const SESSION_COOKIE: &str = "pat_portal_session";

/// The Leptos options: from cargo-leptos' environment when it runs the server, else the defaults
/// of this workspace (`target/site`, output name `devops-pat-portal`).
pub fn leptos_options(addr: SocketAddr) -> LeptosOptions {
    // Only when cargo-leptos set the environment (get_configuration complains on stderr otherwise).
    let from_env = std::env::var("LEPTOS_OUTPUT_NAME")
        .ok()
        .and_then(|_| leptos::config::get_configuration(None).ok())
        .map(|c| c.leptos_options);
    match from_env {
        Some(mut o) if !o.output_name.is_empty() => {
            o.site_addr = addr;
            o
        }
        _ => LeptosOptions::builder()
            .output_name("devops-pat-portal")
            .site_root(std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into()))
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .build(),
    }
}

/// The assembled application.
pub struct Built {
    pub router: Router,
    pub demo: Option<Arc<DemoStack>>,
    pub public_url: Url,
}

/// Settings for tests: shorter token lifetimes and timeouts, another demo authority.
#[derive(Debug, Clone, Default)]
pub struct TestHooks {
    pub demo_access_token_ttl: Option<u64>,
    /// Timeout of calls to the identity provider and Azure DevOps (default 15 s).
    pub http_timeout: Option<Duration>,
    /// The demo authority's tenant segment (default: the demo tenant's id), e.g. `organizations`.
    pub demo_authority_tenant: Option<String>,
    /// Absolute session lifetime in seconds (the setting is in hours).
    pub session_max_age_secs: Option<u64>,
}

/// Builds the whole router for an app reachable at `public_url`.
pub async fn build(
    config: &Config,
    leptos: LeptosOptions,
    public_url: Url,
    hooks: &TestHooks,
) -> Result<Built, String> {
    let http = http_client(hooks.http_timeout.unwrap_or(Duration::from_secs(15)));
    let redirect_uri = Url::parse(&format!("{}{CALLBACK_PATH}", public_url.as_str().trim_end_matches('/')))
        .map_err(|e| format!("PUBLIC_URL: {e}"))?;
    let scopes: Vec<String> =
        ["openid", "profile", "offline_access", DEVOPS_SCOPE].into_iter().map(String::from).collect();

    let certificate = match &config.client_certificate {
        Some(path) => {
            Some(ClientCertificate::load(path).map_err(|e| format!("CLIENT_CERTIFICATE_PATH: {e}"))?)
        }
        None => None,
    };
    let (oidc, devops_urls, organization, demo) = match &config.identity {
        Identity::Demo => {
            let stack = DemoStack::new(
                public_url.as_str(),
                hooks.demo_access_token_ttl.unwrap_or(3600),
                certificate.as_ref().map(|c| c.der.as_slice()),
            )?;
            let authority = match &hooks.demo_authority_tenant {
                Some(t) => format!("{}/{t}", stack.entra.base),
                None => stack.entra.authority(),
            };
            let authority = Url::parse(&authority).map_err(|e| e.to_string())?;
            let oidc = OidcClient::new(
                http.clone(),
                authority,
                stack.entra.client.client_id.clone(),
                match &certificate {
                    Some(c) => ClientCredential::Certificate(c.clone()),
                    None => ClientCredential::Secret(stack.entra.client.client_secret.clone()),
                },
                redirect_uri,
                scopes,
                config.allowed_tenants.clone(),
            )
            .with_basic_auth(config.client_auth_basic);
            let base = format!("{}/demo/devops", public_url.as_str().trim_end_matches('/'));
            let urls = DevopsUrls {
                vssps: Url::parse(&format!("{base}/vssps")).map_err(|e| e.to_string())?,
                app_vssps: Url::parse(&format!("{base}/app")).map_err(|e| e.to_string())?,
                dev: Url::parse(&format!("{base}/dev")).map_err(|e| e.to_string())?,
            };
            (oidc, urls, demo::devops::DEMO_ORGS[0].to_string(), Some(Arc::new(stack)))
        }
        Identity::Entra(e) => {
            let oidc = OidcClient::new(
                http.clone(),
                e.authority.clone(),
                e.client_id.clone(),
                match (&certificate, &e.client_secret) {
                    (Some(c), _) => ClientCredential::Certificate(c.clone()),
                    (None, Some(s)) => ClientCredential::Secret(s.clone()),
                    (None, None) => return Err("CLIENT_SECRET or CLIENT_CERTIFICATE_PATH is required".into()),
                },
                redirect_uri,
                scopes,
                config.allowed_tenants.clone(),
            )
            .with_basic_auth(config.client_auth_basic);
            let d = DevopsUrls::default();
            let urls = DevopsUrls {
                vssps: config.devops.vssps_url.clone().unwrap_or(d.vssps),
                app_vssps: config.devops.app_vssps_url.clone().unwrap_or(d.app_vssps),
                dev: config.devops.dev_url.clone().unwrap_or(d.dev),
            };
            (oidc, urls, config.devops.organization.clone().unwrap_or_default(), None)
        }
    };

    let key = sessions::load_key(&config.session_key)?;
    let (store, shared_lock) = sessions::open(&config.session_store).await?;
    let service = Arc::new(
        PortalService::new(
            Arc::new(oidc),
            DevopsClient::new(http, devops_urls),
            organization,
            public_url.clone(),
            demo.is_some(),
            Arc::new(store.clone()),
        )
        .with_forwarded_headers(config.trust_forwarded_headers)
        .with_shared_lock(shared_lock)
        .with_sealing(&key, hooks.session_max_age_secs.unwrap_or(config.session_max_age.as_secs())),
    );
    let portal: SharedPortal = service.clone();

    let context = {
        let portal = portal.clone();
        move || provide_context(portal.clone())
    };
    let sessions = SessionManagerLayer::new(store)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        // Lax, not Strict: the identity provider's redirect back to /getAToken is a cross-site
        // top-level GET, and it must carry the cookie that holds the sign-in state.
        .with_same_site(SameSite::Lax)
        .with_secure(public_url.scheme() == "https")
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(
            time::Duration::try_from(config.session_idle).unwrap_or(time::Duration::hours(8)),
        ));

    let routes = route_list();
    // leptos_routes_with_context also mounts every server function (under /api/, /auth/ and
    // /getAToken) with the same context.
    let app = Router::new()
        .route("/auth/front-channel-logout", get(front_channel_logout).with_state(service.clone()))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz).with_state(service))
        .leptos_routes_with_context(&leptos, routes, context.clone(), {
            let leptos = leptos.clone();
            move || shell(leptos.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(context, shell))
        .with_state(leptos)
        .layer(sessions);
    let app = match &demo {
        Some(stack) => app.merge(stack.router()),
        None => app,
    };
    let hsts = public_url.scheme() == "https";
    let origin = public_url.origin().ascii_serialization();
    // Sign-out is a form whose answer redirects to the identity provider: form-action allows it.
    let identity_origin = match &config.identity {
        Identity::Demo => origin.clone(),
        Identity::Entra(e) => e.authority.origin().ascii_serialization(),
    };
    let csp = Arc::new(ContentSecurityPolicy { form_action: format!("'self' {identity_origin}") });
    let trust_forwarded = config.trust_forwarded_headers;
    let limits = limits::Limits::new(config.rate_limits, SESSION_COOKIE, config.trust_forwarded_headers);
    let router = app
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            limits::enforce(limits.clone(), req, next)
        }))
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            same_site_writes(req, next, origin.clone(), trust_forwarded)
        }))
        .layer(middleware::from_fn(no_store_for_dynamic))
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            security_headers(req, next, hsts, csp.clone())
        }))
        .layer(telemetry::trace_layer())
        .layer(tower_http::request_id::PropagateRequestIdLayer::x_request_id())
        .layer(tower_http::request_id::SetRequestIdLayer::x_request_id(RequestIds));
    Ok(Built { router, demo, public_url })
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

#[derive(serde::Deserialize)]
struct FrontChannelLogout {
    sid: Option<String>,
}

/// The front-channel logout URL to register with Entra ID: it loads this in a hidden frame when
/// the user signs out elsewhere, and the matching session here ends. Always 200, as Entra expects.
async fn front_channel_logout(
    axum::extract::State(service): axum::extract::State<Arc<PortalService>>,
    axum::extract::Query(q): axum::extract::Query<FrontChannelLogout>,
) -> impl axum::response::IntoResponse {
    if let Some(sid) = q.sid.filter(|s| !s.is_empty() && s.len() <= 200) {
        service.end_session_by_sid(&sid).await;
    }
    ([(header::CACHE_CONTROL, "no-store")], "Signed out.")
}

/// Ready when the session store and the identity provider's discovery document both answer.
async fn readyz(axum::extract::State(service): axum::extract::State<Arc<PortalService>>) -> Response {
    use axum::response::IntoResponse;
    match service.check_ready().await {
        Ok(()) => "ready".into_response(),
        Err(what) => {
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {what}")).into_response()
        }
    }
}

/// The Content-Security-Policy of the app's pages and answers.
struct ContentSecurityPolicy {
    form_action: String,
}

impl ContentSecurityPolicy {
    /// Only this origin; scripts also by this response's nonce (the hydration script), and
    /// WebAssembly compilation (`'wasm-unsafe-eval'`); never framed.
    fn app(&self, nonce: Option<&str>) -> String {
        let script = match nonce {
            Some(n) => format!("'self' 'nonce-{n}' 'wasm-unsafe-eval'"),
            None => "'self' 'wasm-unsafe-eval'".into(),
        };
        format!(
            "default-src 'self'; script-src {script}; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; object-src 'none'; base-uri 'none'; form-action {}; frame-ancestors 'none'",
            self.form_action
        )
    }

    /// The demo identity provider's own pages (small, with inline styles): nothing else loads.
    fn demo_provider() -> &'static str {
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-src 'self'; \
         base-uri 'none'; frame-ancestors 'none'"
    }
}

/// Headers every response carries: the Content-Security-Policy, no sniffing, no framing, no
/// referrer beyond this origin, and HSTS when the app is served over https.
async fn security_headers(req: Request, next: Next, hsts: bool, csp: Arc<ContentSecurityPolicy>) -> Response {
    let path = req.uri().path().to_string();
    // Entra loads the front-channel logout URL in a hidden frame: that one page may be framed.
    let frameable = path == "/auth/front-channel-logout";
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let nonce = h
        .remove(app::CSP_NONCE_HEADER)
        .and_then(|v| v.to_str().ok().map(str::to_string))
        .filter(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_')));
    let policy = if frameable {
        "default-src 'none'".to_string()
    } else if path.starts_with("/demo/") {
        ContentSecurityPolicy::demo_provider().to_string()
    } else {
        csp.app(nonce.as_deref())
    };
    if let Ok(v) = HeaderValue::from_str(&policy) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    if !frameable {
        h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    }
    h.insert("referrer-policy", HeaderValue::from_static("strict-origin-when-cross-origin"));
    if hsts {
        h.insert(
            "strict-transport-security",
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

/// CSRF defence for everything that changes state (server functions called with POST, and
/// sign-out): a browser says where a request comes from in `Sec-Fetch-Site` and `Origin`, and a
/// request from another site is refused. Requests without either header (not from a browser,
/// or a very old one) pass: the SameSite=Lax cookie already keeps cross-site POSTs unauthenticated.
async fn same_site_writes(req: Request, next: Next, origin: String, trust_forwarded: bool) -> Response {
    use axum::http::Method;
    use axum::response::IntoResponse;
    let path = req.uri().path();
    let guarded = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && (path.starts_with("/api/") || path.starts_with("/auth/"));
    if guarded {
        let h = req.headers();
        let fetch_site = h.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        let from_origin = h.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        let forwarded_origin = || {
            let first = |n: &str| {
                h.get(n)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| v.split(',').next().unwrap_or("").trim().to_string())
            };
            Some(format!("{}://{}", first("x-forwarded-proto")?, first("x-forwarded-host")?))
        };
        let cross_site = match (fetch_site, from_origin) {
            (Some(site), _) if !matches!(site, "same-origin" | "none") => true,
            (_, Some(o)) => o != origin && !(trust_forwarded && forwarded_origin().as_deref() == Some(o)),
            _ => false,
        };
        if cross_site {
            tracing::warn!(
                path,
                origin = from_origin.unwrap_or(""),
                site = fetch_site.unwrap_or(""),
                "cross-site write refused"
            );
            let body =
                app::error::ApiError::Forbidden { reason: "a request from another site was refused".into() };
            return (
                axum::http::StatusCode::FORBIDDEN,
                [(header::CONTENT_TYPE, "application/json")],
                serde_json::to_string(&body).unwrap_or_default(),
            )
                .into_response();
        }
    }
    next.run(req).await
}

/// Pages and API answers carry personal data: no shared or browser cache keeps them.
/// Only the built assets under `/pkg/` and the favicon may be cached.
async fn no_store_for_dynamic(req: Request, next: Next) -> Response {
    let cacheable = req.uri().path().starts_with("/pkg/") || req.uri().path() == "/favicon.svg";
    let mut res = next.run(req).await;
    if !cacheable && !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Request ids: 16 hex digits, unique enough to find one request's lines in the log. An id set
/// by a proxy in front of the app is kept, so both logs share it.
#[derive(Clone, Copy)]
struct RequestIds;

impl tower_http::request_id::MakeRequestId for RequestIds {
    fn make_request_id<B>(
        &mut self,
        _req: &axum::http::Request<B>,
    ) -> Option<tower_http::request_id::RequestId> {
        let id = uuid::Uuid::new_v4().simple().to_string()[..16].to_string();
        HeaderValue::from_str(&id).ok().map(tower_http::request_id::RequestId::new)
    }
}

/// A running server (for `main` and for tests).
pub struct Running {
    pub addr: SocketAddr,
    pub public_url: Url,
    pub demo: Option<Arc<DemoStack>>,
    pub task: tokio::task::JoinHandle<()>,
}

/// Binds `config.bind` (port 0 picks a free one), builds the app and serves it until `shutdown` completes.
pub async fn start(
    config: &Config,
    hooks: &TestHooks,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Running, String> {
    let listener =
        TcpListener::bind(config.bind).await.map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let public_url = match &config.public_url {
        Some(u) => u.clone(),
        None => {
            let host =
                if addr.ip().is_unspecified() { "127.0.0.1".to_string() } else { addr.ip().to_string() };
            let host = if addr.is_ipv6() && !addr.ip().is_unspecified() { format!("[{host}]") } else { host };
            Url::parse(&format!("http://{host}:{}", addr.port())).map_err(|e| e.to_string())?
        }
    };
    let built = build(config, leptos_options(addr), public_url.clone(), hooks).await?;
    let task = tokio::spawn(async move {
        if let Err(e) =
            axum::serve(listener, built.router.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(shutdown)
                .await
        {
            tracing::error!(error = %e, "server stopped");
        }
    });
    Ok(Running { addr, public_url, demo: built.demo, task })
}
