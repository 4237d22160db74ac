//! What the proxies in front of the app report (`X-Forwarded-Proto`, `-Host`, `-For`), read once per request with one trust rule and kept in the request's extensions.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use url::Url;

/// The request as the proxies saw it. With no trusted proxy (`TRUST_FORWARDED_HEADERS` off),
/// the headers are ignored: the base is the configured public URL and the address is the peer's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Forwarded {
    /// The public URL the proxies report (scheme and host), when trusted and well formed.
    pub public_base: Option<Url>,
    /// The client's address: the proxies' report when trusted, else the connection's peer.
    pub client_address: Option<IpAddr>,
}

/// The value a header has at the right-most untrusted hop: each of the `trusted` proxies in
/// front of the app appends what it saw, so the entry `trusted` places from the right is the
/// one the outermost trusted proxy wrote. Entries further left came from the client and are
/// never used. `None` when the header has fewer entries (the chain is not what was configured).
fn hop(headers: &HeaderMap, name: &str, trusted: usize) -> Option<String> {
    let entries: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let at = entries.len().checked_sub(trusted)?;
    entries.get(at).filter(|v| !v.is_empty()).map(|v| v.to_string())
}

impl Forwarded {
    /// The one trust rule: forwarded headers count only behind `trusted_proxies` proxies that
    /// set or append them (`TRUSTED_PROXIES`, 0 when `TRUST_FORWARDED_HEADERS` is off), and then
    /// only the entry the outermost trusted proxy wrote.
    pub fn read(trusted_proxies: usize, headers: &HeaderMap, peer: Option<IpAddr>) -> Self {
        if trusted_proxies == 0 {
            return Forwarded { public_base: None, client_address: peer };
        }
        let value = |name: &str| hop(headers, name, trusted_proxies);
        let public_base = (|| {
            let proto = value("x-forwarded-proto")?;
            let host = value("x-forwarded-host").or_else(|| value("host"))?;
            let host_ok = !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
            if !matches!(proto.as_str(), "http" | "https") || !host_ok {
                return None;
            }
            Url::parse(&format!("{proto}://{host}")).ok()
        })();
        let client_address = value("x-forwarded-for").and_then(|v| v.parse::<IpAddr>().ok()).or(peer);
        Forwarded { public_base, client_address }
    }
}

/// Middleware: reads the forwarded headers once and puts a [`Forwarded`] in the request.
pub async fn read_forwarded(trusted_proxies: usize, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let forwarded = Forwarded::read(trusted_proxies, req.headers(), peer);
    req.extensions_mut().insert(forwarded);
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn forwarded_headers_count_only_when_trusted() {
        let peer: IpAddr = "10.0.0.9".parse().unwrap();
        let h = headers(&[
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "pats.example.com"),
            ("x-forwarded-for", "203.0.113.7"),
        ]);
        let off = Forwarded::read(0, &h, Some(peer));
        assert_eq!(off, Forwarded { public_base: None, client_address: Some(peer) });
        let on = Forwarded::read(1, &h, Some(peer));
        assert_eq!(on.public_base.unwrap().as_str(), "https://pats.example.com/");
        assert_eq!(on.client_address, Some("203.0.113.7".parse().unwrap()));
        let odd = Forwarded::read(1, &headers(&[("x-forwarded-proto", "gopher"), ("host", "a")]), None);
        assert_eq!(odd.public_base, None);
        let bad_host = Forwarded::read(1, &headers(&[("x-forwarded-proto", "https"), ("host", "a/b")]), None);
        assert_eq!(bad_host.public_base, None);
    }

    /// Issue #12, gap 1: a client can put anything at the left of X-Forwarded-For; only what
    /// the trusted proxies appended counts.
    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let spoofed = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.20")]);
        assert_eq!(Forwarded::read(1, &spoofed, None).client_address, Some("198.51.100.20".parse().unwrap()));
        // Two proxies (a load balancer, then nginx): the second from the right.
        let two = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.20, 10.0.0.2")]);
        assert_eq!(Forwarded::read(2, &two, None).client_address, Some("198.51.100.20".parse().unwrap()));
        // Several header lines count as one list.
        let lines = headers(&[("x-forwarded-for", "1.2.3.4"), ("x-forwarded-for", "198.51.100.20")]);
        assert_eq!(Forwarded::read(1, &lines, None).client_address, Some("198.51.100.20".parse().unwrap()));
        // Fewer entries than trusted proxies: not the configured chain, so the peer.
        let peer: IpAddr = "10.0.0.9".parse().unwrap();
        let short = headers(&[("x-forwarded-for", "198.51.100.20")]);
        assert_eq!(Forwarded::read(2, &short, Some(peer)).client_address, Some(peer));
        // The same rule for the host a redirect URI is built from.
        let host = headers(&[
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "evil.example, pats.example.com"),
        ]);
        assert_eq!(
            Forwarded::read(1, &host, None).public_base.unwrap().as_str(),
            "https://pats.example.com/"
        );
    }
}
