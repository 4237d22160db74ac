//! Everything the router needs, built once from the configuration: the portal service, the session layer's store, the policies of the middlewares, the demo stack.

use std::sync::Arc;

use leptos::config::LeptosOptions;
use url::Url;

use crate::config::{Config, Identity};
use crate::demo::DemoStack;
use crate::devops::DevopsClient;
use crate::http::rate_limit::Limits;
use crate::http::security_headers::ContentSecurityPolicy;
use crate::identity::upstreams;
use crate::oidc::http_client;
use crate::portal::{PortalParts, PortalService};
use crate::sessions::DynStore;
use crate::startup::StartupError;

/// The session cookie's name: distinct from anything an identity provider on the same host sets.
pub const SESSION_COOKIE: &str = "pat_portal_session";
/// Over https the name carries the `__Host-` prefix: browsers then accept it only when it is
/// Secure, for path `/` and without a Domain, so no sibling subdomain can plant or overwrite it.
pub const SESSION_COOKIE_HTTPS: &str = "__Host-pat_portal_session";

#[derive(Clone)]
pub struct AppState {
    pub leptos: LeptosOptions,
    pub public_url: Url,
    pub portal: Arc<PortalService>,
    pub store: DynStore,
    /// How long an idle session lives.
    pub session_idle: time::Duration,
    pub csp: Arc<ContentSecurityPolicy>,
    pub limits: Arc<Limits>,
    /// Requests being answered now (reported by the drain at shutdown).
    pub in_flight: crate::http::in_flight::InFlight,
    /// How many proxies in front of the app set `X-Forwarded-*` (0: none is trusted).
    pub trusted_proxies: usize,
    pub demo: Option<Arc<DemoStack>>,
    /// [`SESSION_COOKIE`], or [`SESSION_COOKIE_HTTPS`] when the public URL is https.
    pub cookie_name: &'static str,
}

impl AppState {
    /// Connects the session store and builds the portal for an app reachable at `public_url`.
    pub async fn new(config: &Config, leptos: LeptosOptions, public_url: Url) -> Result<Self, StartupError> {
        let http = http_client(config.http_timeout);
        let session_idle = time::Duration::try_from(config.session_idle).unwrap_or(time::Duration::hours(8));
        let up = upstreams(config, &http, &public_url)?;
        let sealing_key = crate::sessions::load_key(&config.session_key).map_err(StartupError::SessionKey)?;
        let record_ids = crate::sessions::RecordIds::new(&sealing_key);
        let (store, shared_lock) = crate::sessions::open(&config.session_store, record_ids)
            .await
            .map_err(StartupError::SessionStore)?;
        let portal = Arc::new(PortalService::new(PortalParts {
            oidc: Arc::new(up.oidc),
            devops: DevopsClient::new(http, up.devops_urls),
            store: store.clone(),
            shared_lock,
            sealing_key,
            max_age_secs: config.session_max_age.as_secs(),
            organization: up.organization,
            public_url: public_url.clone(),
            demo: up.demo.is_some(),
            request_timeout: config.http_timeout,
            session_idle,
            clock: config.clock(),
            changes_per_minute: config.rate_limits.changes_per_minute,
            request_deadline: config.request_deadline,
        }));
        // Sign-out is a form whose answer redirects to the identity provider: form-action allows it.
        let identity_origin = match &config.identity {
            Identity::Demo => public_url.origin().ascii_serialization(),
            Identity::Entra(e) => e.authority.origin().ascii_serialization(),
        };
        let cookie_name = if public_url.scheme() == "https" { SESSION_COOKIE_HTTPS } else { SESSION_COOKIE };
        let csp = ContentSecurityPolicy {
            form_action: format!("'self' {identity_origin}"),
            live_reload_port: config.live_reload_port,
            hsts: public_url.scheme() == "https",
            demo_mounted: up.demo.is_some(),
        };
        let stylesheet = crate::assets::stylesheet_href(&leptos);
        Ok(AppState {
            leptos,
            portal,
            store,
            session_idle,
            csp: Arc::new(csp),
            limits: Limits::new(config.rate_limits, cookie_name, stylesheet),
            in_flight: Default::default(),
            cookie_name,
            trusted_proxies: config.trusted_proxies(),
            demo: up.demo,
            public_url,
        })
    }
}
