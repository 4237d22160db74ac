//! Rate limits on starting a sign-in and on creating tokens, per session and per client address (governor).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use app::error::ApiError;
use app::routes::{api, CONSENT, SIGN_IN};
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tower_sessions::session::Id;

use super::forwarded::Forwarded;

/// Allowed per session per minute; a client address gets `PER_ADDRESS_FACTOR` times as many
/// (several people can share an address behind a NAT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitSettings {
    pub sign_ins_per_minute: u32,
    pub creates_per_minute: u32,
    /// Token changes (an update, an extension, a revoke, a rotation or re-issue, and each target
    /// of a bulk change) per user per minute, across their sessions (the portal counts them).
    pub changes_per_minute: u32,
}

const PER_ADDRESS_FACTOR: u32 = 6;

struct Pair {
    by_session: DefaultKeyedRateLimiter<Id>,
    by_address: DefaultKeyedRateLimiter<IpAddr>,
}

impl Pair {
    fn new(per_minute: u32) -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        Pair {
            by_session: RateLimiter::keyed(quota(per_minute)),
            by_address: RateLimiter::keyed(quota(per_minute.saturating_mul(PER_ADDRESS_FACTOR))),
        }
    }

    /// `Err(seconds to wait)` when either the session or the address is over its limit.
    fn check(&self, session: Option<Id>, address: Option<IpAddr>) -> Result<(), u64> {
        let clock = DefaultClock::default();
        let wait = |not_until: governor::NotUntil<_>| not_until.wait_time_from(clock.now()).as_secs() + 1;
        if let Some(a) = address {
            self.by_address.check_key(&a).map_err(wait)?;
        }
        if let Some(s) = session {
            self.by_session.check_key(&s).map_err(wait)?;
        }
        Ok(())
    }

    fn forget_idle(&self) {
        self.by_session.retain_recent();
        self.by_session.shrink_to_fit();
        self.by_address.retain_recent();
        self.by_address.shrink_to_fit();
    }
}

pub struct Limits {
    sign_ins: Pair,
    creates: Pair,
    session_cookie: &'static str,
    /// The stylesheet the 429 page links to (its name carries a content hash in release builds).
    stylesheet: String,
}

impl Limits {
    pub fn new(settings: LimitSettings, session_cookie: &'static str, stylesheet: String) -> Arc<Self> {
        let limits = Arc::new(Limits {
            sign_ins: Pair::new(settings.sign_ins_per_minute),
            creates: Pair::new(settings.creates_per_minute),
            session_cookie,
            stylesheet,
        });
        // Keys that have been quiet for a full period are dropped, so memory stays bounded.
        let weak = Arc::downgrade(&limits);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                match weak.upgrade() {
                    Some(l) => {
                        l.sign_ins.forget_idle();
                        l.creates.forget_idle();
                    }
                    None => break,
                }
            }
        });
        limits
    }

    /// The session id as the session layer reads it: the last cookie of that name, decoded.
    /// Keying on the decoded id means a re-encoded or repeated cookie is the same session, and
    /// one that does not decode is no session (the address limit still applies).
    fn session_of(&self, req: &Request) -> Option<Id> {
        req.headers()
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .rfind(|(name, _)| *name == self.session_cookie)
            .and_then(|(_, value)| value.trim().parse::<Id>().ok())
    }

    /// The client's address, as `http::forwarded` read it (one trust rule for the whole app).
    fn address_of(req: &Request) -> Option<IpAddr> {
        req.extensions().get::<Forwarded>().and_then(|f| f.client_address).map(address_key)
    }
}

/// The key of an address: an IPv4 address as it is, an IPv6 address by its /64 network (one
/// subscriber usually gets a whole /64, and could otherwise take a fresh budget per address).
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let mut octets = v6.octets();
            octets[8..].fill(0);
            IpAddr::V6(std::net::Ipv6Addr::from(octets))
        }
        v4 => v4,
    }
}

/// Which limit a request counts against, if any.
enum Limited {
    SignIn,
    Create,
}

fn limited(req: &Request) -> Option<Limited> {
    match (req.method(), req.uri().path()) {
        // A consent round trip starts like a sign-in (a sign-in in progress in its cookie).
        (&Method::GET, SIGN_IN) | (&Method::POST, CONSENT) => Some(Limited::SignIn),
        (&Method::POST, path) if [api::CREATE_PAT, api::ROTATE_PAT, api::REISSUE_PAT].contains(&path) => {
            Some(Limited::Create)
        }
        _ => None,
    }
}

/// Answers 429 with `Retry-After` when a limit is reached: a page for a sign-in started from a
/// link, the wire error for the server functions (the UI shows it).
pub async fn enforce(limits: Arc<Limits>, req: Request, next: Next) -> Response {
    let Some(which) = limited(&req) else { return next.run(req).await };
    let (session, address) = (limits.session_of(&req), Limits::address_of(&req));
    let pair = match which {
        Limited::SignIn => &limits.sign_ins,
        Limited::Create => &limits.creates,
    };
    let Err(wait) = pair.check(session, address) else { return next.run(req).await };
    tracing::warn!(path = req.uri().path(), wait, "rate limit reached");
    crate::metrics::refused(match which {
        Limited::SignIn => "sign_in_rate",
        Limited::Create => "token_create_rate",
    });
    let retry = [(header::RETRY_AFTER, HeaderValue::from(wait))];
    match which {
        Limited::SignIn => (
            StatusCode::TOO_MANY_REQUESTS,
            retry,
            Html(format!(
                "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Too many sign-in attempts</title>\
                 <link rel=\"stylesheet\" href=\"{css}\"></head><body><main id=\"main\">\
                 <section class=\"card\" role=\"alert\"><h1>Too many sign-in attempts</h1>\
                 <p data-testid=\"rate-limited\">Try again in {wait} seconds.</p><p><a href=\"/\">Back to the portal</a></p>\
                 </section></main></body></html>",
                css = limits.stylesheet
            )),
        )
            .into_response(),
        Limited::Create => super::api_error_response(&ApiError::TooManyRequests { retry_after_secs: wait }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_session_and_an_address_each_have_their_own_budget() {
        let pair = Pair::new(2);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let (s1, s2, s3) = (Id(1), Id(2), Id(3));
        assert!(pair.check(Some(s1), Some(a)).is_ok());
        assert!(pair.check(Some(s1), Some(a)).is_ok());
        let wait = pair.check(Some(s1), Some(a)).unwrap_err();
        assert!((1..=61).contains(&wait), "{wait}");
        // Another session from the same address still has its own budget, up to the address's.
        assert!(pair.check(Some(s2), Some(a)).is_ok());
        for n in 0..20 {
            let _ = pair.check(Some(Id(100 + n)), Some(a));
        }
        assert!(pair.check(Some(s3), Some(a)).is_err(), "the address is over its limit");
    }

    fn request(cookies: &[&str]) -> Request {
        let mut b = axum::http::Request::builder();
        for c in cookies {
            b = b.header(header::COOKIE, *c);
        }
        b.body(axum::body::Body::empty()).unwrap()
    }

    /// Issue #12, gap 1: the key is the session the session layer will use (the last cookie of
    /// that name, decoded), so repeating or re-encoding the cookie gives no fresh budget.
    #[tokio::test]
    async fn the_session_key_is_the_decoded_id_of_the_last_cookie() {
        let limits = Limits::new(
            LimitSettings { sign_ins_per_minute: 1, creates_per_minute: 1, changes_per_minute: 1 },
            "s",
            String::new(),
        );
        let id = Id(42);
        let real = format!("s={id}");
        assert_eq!(limits.session_of(&request(&[&real])), Some(id));
        assert_eq!(limits.session_of(&request(&["s=garbage", &real])), Some(id), "the last one counts");
        assert_eq!(limits.session_of(&request(&[&format!("{real}; other=1")])), Some(id));
        assert_eq!(limits.session_of(&request(&["s=not-an-id"])), None);
        assert_eq!(limits.session_of(&request(&[])), None);
    }

    #[test]
    fn ipv6_addresses_share_the_budget_of_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(other));
        let v4: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(address_key(v4), v4);
    }
}
