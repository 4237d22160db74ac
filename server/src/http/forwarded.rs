//! What a proxy in front of the app reports (`X-Forwarded-Proto`, `-Host`, `-For`), read once per request with one trust rule and kept in the request's extensions.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use url::Url;

/// The request as the proxy saw it. With `TRUST_FORWARDED_HEADERS` off, the headers are
/// ignored: the base is the configured public URL and the address is the peer's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Forwarded {
    /// The public URL the proxy reports (scheme and host), when trusted and well formed.
    pub public_base: Option<Url>,
    /// The client's address: the proxy's report when trusted, else the connection's peer.
    pub client_address: Option<IpAddr>,
}

impl Forwarded {
    /// The one trust rule: forwarded headers count only when `trust` is set (the app runs behind
    /// a proxy that sets them), and then the first entry of each is the client's.
    pub fn read(trust: bool, headers: &HeaderMap, peer: Option<IpAddr>) -> Self {
        if !trust {
            return Forwarded { public_base: None, client_address: peer };
        }
        let first = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.split(',').next().unwrap_or("").trim().to_string())
        };
        let public_base = (|| {
            let proto = first("x-forwarded-proto")?;
            let host = first("x-forwarded-host").or_else(|| first("host"))?;
            let host_ok = !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
            if !matches!(proto.as_str(), "http" | "https") || !host_ok {
                return None;
            }
            Url::parse(&format!("{proto}://{host}")).ok()
        })();
        let client_address = first("x-forwarded-for").and_then(|v| v.parse::<IpAddr>().ok()).or(peer);
        Forwarded { public_base, client_address }
    }
}

/// Middleware: reads the forwarded headers once and puts a [`Forwarded`] in the request.
pub async fn read_forwarded(trust: bool, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let forwarded = Forwarded::read(trust, req.headers(), peer);
    req.extensions_mut().insert(forwarded);
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn forwarded_headers_count_only_when_trusted() {
        let peer: IpAddr = "10.0.0.9".parse().unwrap();
        let h = headers(&[
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "pats.example.com"),
            ("x-forwarded-for", "203.0.113.7, 10.0.0.2"),
        ]);
        let off = Forwarded::read(false, &h, Some(peer));
        assert_eq!(off, Forwarded { public_base: None, client_address: Some(peer) });
        let on = Forwarded::read(true, &h, Some(peer));
        assert_eq!(on.public_base.unwrap().as_str(), "https://pats.example.com/");
        assert_eq!(on.client_address, Some("203.0.113.7".parse().unwrap()));
        let odd = Forwarded::read(true, &headers(&[("x-forwarded-proto", "gopher"), ("host", "a")]), None);
        assert_eq!(odd.public_base, None);
        let bad_host =
            Forwarded::read(true, &headers(&[("x-forwarded-proto", "https"), ("host", "a/b")]), None);
        assert_eq!(bad_host.public_base, None);
    }
}
