//! Serving: the Leptos options, binding the listener, the public URL it implies, and the running server.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;

use leptos::config::LeptosOptions;
use tokio::net::TcpListener;
use url::Url;

use crate::config::Config;
use crate::demo::DemoStack;
use crate::router::router;
use crate::startup::StartupError;
use crate::state::AppState;

/// The Leptos options: from cargo-leptos' environment when it runs the server, else the defaults
/// of this workspace (`target/site`, output name `devops-pat-portal`).
pub fn leptos_options(addr: SocketAddr) -> LeptosOptions {
    // Only when cargo-leptos set the environment (get_configuration complains on stderr otherwise).
    let from_env = std::env::var("LEPTOS_OUTPUT_NAME")
        .ok()
        .and_then(|_| leptos::config::get_configuration(None).ok())
        .map(|c| c.leptos_options);
    let mut options = match from_env {
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
    };
    options.hash_files = crate::assets::hashed_build(&options);
    options
}

/// A running server (for `main` and for tests).
pub struct Running {
    pub addr: SocketAddr,
    pub public_url: Url,
    pub demo: Option<Arc<DemoStack>>,
    /// Where the metrics are served, when `METRICS_ADDR` is set.
    pub metrics_addr: Option<SocketAddr>,
    pub task: tokio::task::JoinHandle<()>,
}

/// `PUBLIC_URL`, or `http://{the bound address}` (127.0.0.1 for an unspecified address).
fn public_url_for(config: &Config, addr: SocketAddr) -> Result<Url, StartupError> {
    if let Some(u) = &config.public_url {
        return Ok(u.clone());
    }
    let host = match addr.ip() {
        ip if ip.is_unspecified() => "127.0.0.1".to_string(),
        ip if ip.is_ipv6() => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    Url::parse(&format!("http://{host}:{}", addr.port())).map_err(|e| StartupError::PublicUrl(e.to_string()))
}

/// Binds `config.bind` (port 0 picks a free one), builds the app and serves it until `shutdown` completes.
pub async fn start(
    config: &Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Running, StartupError> {
    let listen = |source| StartupError::Listen { addr: config.bind, source };
    let listener = TcpListener::bind(config.bind).await.map_err(listen)?;
    let addr = listener.local_addr().map_err(listen)?;
    let public_url = public_url_for(config, addr)?;
    let state = AppState::new(config, leptos_options(addr), public_url.clone()).await?;
    let demo = state.demo.clone();
    let portal = state.portal.clone();
    let in_flight = state.in_flight.clone();
    let app = router(state);
    // One shutdown for both listeners.
    let shutdown = futures::FutureExt::shared(Box::pin(shutdown));
    let metrics_addr = match config.metrics_addr {
        Some(at) => Some(
            crate::metrics::serve(at, shutdown.clone())
                .await
                .map_err(|source| StartupError::Listen { addr: at, source })?,
        ),
        None => None,
    };
    let serving = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown.clone());
    let task = tokio::spawn(drained(serving.into_future(), shutdown, config.drain, portal, in_flight));
    Ok(Running { addr, public_url, demo, metrics_addr, task })
}

/// Serves until `shutdown`, then drains for at most `drain`: from the signal on, requests in
/// flight and bulk changes running get `DRAIN_SECS` in all; what still runs then is cut short,
/// and said (issue 29).
async fn drained(
    serving: impl std::future::Future<Output = std::io::Result<()>>,
    shutdown: impl std::future::Future<Output = ()> + Clone,
    drain: std::time::Duration,
    portal: Arc<crate::portal::PortalService>,
    in_flight: crate::http::in_flight::InFlight,
) {
    // Set when the signal comes: the end of the drain, for requests and bulk changes alike.
    let drain_ends = std::sync::OnceLock::new();
    let cut_at = async {
        shutdown.await;
        let until = *drain_ends.get_or_init(|| tokio::time::Instant::now() + drain);
        tokio::time::sleep_until(until).await;
    };
    let cut = tokio::select! {
        served = serving => {
            if let Err(e) = served {
                tracing::error!(error = %e, "server stopped");
            }
            false
        }
        () = cut_at => true,
    };
    let requests = if cut { in_flight.now() } else { 0 };
    let until = *drain_ends.get_or_init(|| tokio::time::Instant::now() + drain);
    let left = until.saturating_duration_since(tokio::time::Instant::now());
    let changes = portal.bulk_changes_drained(left).await;
    if requests > 0 || changes > 0 {
        tracing::warn!(
            requests,
            bulk_changes = changes,
            drain_secs = drain.as_secs(),
            "shutting down: cut short what was still running after the drain time"
        );
    } else {
        tracing::info!("shutting down: everything in flight finished");
    }
}
