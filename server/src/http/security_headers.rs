//! Headers every response carries: the Content-Security-Policy (with the hydration script's nonce), no sniffing, no framing, a same-origin referrer, and HSTS over https.

use std::sync::Arc;

use app::routes::{DEMO_PREFIX, FRONT_CHANNEL_LOGOUT};
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The Content-Security-Policy of the app's pages and answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentSecurityPolicy {
    /// `'self'` and the identity provider's origin: sign-out is a form whose answer redirects there.
    pub form_action: String,
    /// Development under `cargo leptos watch` only: the port of the live-reload socket, which
    /// the page opens on its own host name. `None` in every other build, where the policy is
    /// exactly the release policy.
    pub live_reload_port: Option<u16>,
    /// HSTS: the app is served over https.
    pub hsts: bool,
    /// The demo stack is mounted under `/demo/`: only then do its pages get their own policy.
    pub demo_mounted: bool,
}

impl ContentSecurityPolicy {
    /// Only this origin; scripts also by this response's nonce (the hydration script), and
    /// WebAssembly compilation (`'wasm-unsafe-eval'`); never framed.
    pub fn app(&self, nonce: Option<&str>, host: Option<&str>) -> String {
        let script = match nonce {
            Some(n) => format!("'self' 'nonce-{n}' 'wasm-unsafe-eval'"),
            None => "'self' 'wasm-unsafe-eval'".into(),
        };
        let connect = match (self.live_reload_port, host) {
            (Some(port), Some(host)) => format!("'self' ws://{host}:{port} wss://{host}:{port}"),
            _ => "'self'".into(),
        };
        format!(
            "default-src 'self'; script-src {script}; style-src 'self'; img-src 'self' data:; \
             connect-src {connect}; object-src 'none'; base-uri 'none'; form-action {}; frame-ancestors 'none'",
            self.form_action
        )
    }

    /// The policy of the answer to `path`.
    pub fn for_path(&self, path: &str, nonce: Option<&str>, host: Option<&str>) -> String {
        if path == FRONT_CHANNEL_LOGOUT {
            "default-src 'none'".to_string()
        } else if self.demo_mounted && path.starts_with(DEMO_PREFIX) {
            Self::demo_provider().to_string()
        } else {
            self.app(nonce, host)
        }
    }

    /// The demo identity provider's own pages (small, with inline styles): nothing else loads.
    pub fn demo_provider() -> &'static str {
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-src 'self'; \
         base-uri 'none'; frame-ancestors 'none'"
    }
}

/// The host name (without port) the browser used, for the live-reload socket's address.
fn host_name(req: &Request) -> Option<String> {
    let host = req.headers().get(header::HOST)?.to_str().ok()?;
    let name = match host.strip_prefix('[') {
        Some(v6) => format!("[{}]", v6.split(']').next()?),
        None => host.split(':').next()?.to_string(),
    };
    let ok = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
    ok.then_some(name)
}

pub async fn security_headers(csp: Arc<ContentSecurityPolicy>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let host = csp.live_reload_port.and_then(|_| host_name(&req));
    // Entra loads the front-channel logout URL in a hidden frame: that one page may be framed.
    let frameable = path == FRONT_CHANNEL_LOGOUT;
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let nonce = h
        .remove(app::CSP_NONCE_HEADER)
        .and_then(|v| v.to_str().ok().map(str::to_string))
        .filter(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_')));
    let policy = csp.for_path(&path, nonce.as_deref(), host.as_deref());
    if let Ok(v) = HeaderValue::from_str(&policy) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    if !frameable {
        h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    }
    h.insert("referrer-policy", HeaderValue::from_static("strict-origin-when-cross-origin"));
    if csp.hsts {
        h.insert(
            "strict-transport-security",
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The release policy, word for word: development additions must never reach it.
    const RELEASE: &str =
        "default-src 'self'; script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'; style-src 'self'; \
        img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
        form-action 'self' https://login.microsoftonline.com; frame-ancestors 'none'";

    fn csp(live_reload_port: Option<u16>) -> ContentSecurityPolicy {
        ContentSecurityPolicy {
            form_action: "'self' https://login.microsoftonline.com".into(),
            live_reload_port,
            hsts: true,
            demo_mounted: false,
        }
    }

    #[test]
    fn the_release_policy_is_unchanged_and_allows_no_socket() {
        assert_eq!(csp(None).app(Some("abc"), Some("127.0.0.1")), RELEASE);
    }

    #[test]
    fn under_cargo_leptos_watch_the_reload_socket_is_allowed_on_the_page_host_only() {
        let p = csp(Some(3001)).app(Some("abc"), Some("127.0.0.1"));
        assert!(p.contains("connect-src 'self' ws://127.0.0.1:3001 wss://127.0.0.1:3001;"), "{p}");
        assert_eq!(p.replace(" ws://127.0.0.1:3001 wss://127.0.0.1:3001", ""), RELEASE);
        // Without a usable Host header, nothing is added.
        assert_eq!(csp(Some(3001)).app(Some("abc"), None), RELEASE);
    }

    #[test]
    fn the_demo_providers_policy_applies_only_where_the_demo_stack_is_mounted() {
        let real = csp(None);
        assert_eq!(
            real.for_path("/demo/entra/x", Some("abc"), None),
            RELEASE,
            "no demo stack: the app's policy"
        );
        let demo = ContentSecurityPolicy { demo_mounted: true, ..csp(None) };
        assert_eq!(demo.for_path("/demo/entra/x", Some("abc"), None), ContentSecurityPolicy::demo_provider());
        assert_eq!(demo.for_path("/tokens", Some("abc"), None), RELEASE);
        assert_eq!(demo.for_path(FRONT_CHANNEL_LOGOUT, None, None), "default-src 'none'");
    }

    #[test]
    fn host_names_are_taken_without_port_and_only_when_plain() {
        let req =
            |host: &str| Request::builder().header("host", host).body(axum::body::Body::empty()).unwrap();
        assert_eq!(host_name(&req("localhost:3000")).as_deref(), Some("localhost"));
        assert_eq!(host_name(&req("[::1]:3000")).as_deref(), Some("[::1]"));
        assert_eq!(host_name(&req("evil.example;script-src *")), None);
    }
}
