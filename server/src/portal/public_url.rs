//! The app's public URL for a request: the configured one, or what a trusted proxy reported (read once, by `http::forwarded`).

use http::request::Parts;
use url::Url;

use crate::http::forwarded::Forwarded;

pub struct PublicUrl {
    configured: Url,
}

impl PublicUrl {
    pub fn new(configured: Url) -> Self {
        PublicUrl { configured }
    }

    /// The public URL as this request's proxy reports it, when forwarded headers are trusted.
    pub fn forwarded(req: &Parts) -> Option<Url> {
        req.extensions.get::<Forwarded>().and_then(|f| f.public_base.clone())
    }

    /// The public URL for this request: forwarded (when trusted) or configured.
    pub fn for_request(&self, req: &Parts) -> Url {
        Self::forwarded(req).unwrap_or_else(|| self.configured.clone())
    }

    /// A path on a base URL, as an absolute URL.
    pub fn join(base: &Url, path: &str) -> String {
        format!("{}{}", base.as_str().trim_end_matches('/'), path)
    }

    /// localhost and 127.0.0.1 do not share cookies: a sign-in started on the other loopback
    /// name must move to the public host first, or the callback would arrive without the
    /// session that holds the state. (Behind a trusted proxy the Host header is the proxy's
    /// upstream, so the check does not apply.) `Some(the same path on the public host)`.
    pub fn loopback_detour(&self, req: &Parts, path_and_query: &str) -> Option<String> {
        if Self::forwarded(req).is_some() {
            return None;
        }
        let host = req.headers.get(http::header::HOST).and_then(|h| h.to_str().ok())?;
        (is_loopback_host(host) && !host_matches(&self.configured, host))
            .then(|| Self::join(&self.configured, path_and_query))
    }
}

fn is_loopback_host(host: &str) -> bool {
    let name = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host);
    matches!(name, "localhost" | "127.0.0.1" | "[::1]")
}

fn host_matches(url: &Url, host: &str) -> bool {
    let expected = match (url.host_str(), url.port_or_known_default()) {
        (Some(h), Some(p)) if Some(p) != default_port(url.scheme()) => format!("{h}:{p}"),
        (Some(h), _) => h.to_string(),
        _ => return true,
    };
    expected.eq_ignore_ascii_case(host)
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_compared_with_the_public_url() {
        let u = Url::parse("http://127.0.0.1:3000").unwrap();
        assert!(host_matches(&u, "127.0.0.1:3000"));
        assert!(!host_matches(&u, "localhost:3000"));
        assert!(is_loopback_host("localhost:3000"));
        assert!(!is_loopback_host("pats.example.com"));
        let public = PublicUrl::new(u);
        let (parts, ()) = http::Request::builder()
            .uri("/auth/sign-in")
            .header("host", "localhost:3000")
            .body(())
            .unwrap()
            .into_parts();
        assert_eq!(public.loopback_detour(&parts, "/x").as_deref(), Some("http://127.0.0.1:3000/x"));
    }
}
