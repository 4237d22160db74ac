//! The sign-in in progress lives in a cookie of its own, sealed, until the callback: starting a sign-in writes nothing on the server, so no number of strangers' starts can take a slot a new visitor needs (issue 29, medium 1).
//!
//! The middleware reads the cookie into a [`SignInCookie`] request extension, which the portal
//! reads (the sealed value) and writes (a new value, or "clear"); the middleware then puts the
//! `Set-Cookie` on the response. The value is sealed by the portal with the session key and bound
//! to its purpose ([`crate::portal::account::Accounts::store_pending`]): the browser holds it
//! but can neither read nor alter it.

use std::sync::{Arc, Mutex};

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The cookie's name over http (local use and the demo stack).
pub const COOKIE: &str = "pat_portal_signin";
/// Its name over https: `__Host-` makes the browser refuse it unless Secure, Path=/ and no Domain.
pub const COOKIE_HTTPS: &str = "__Host-pat_portal_signin";
/// How long a browser keeps it: a sign-in left at the identity provider longer starts again.
pub const MAX_AGE_SECS: u64 = 15 * 60;
/// Longest value read back (a sealed sign-in is about 2 KB; browsers keep at most 4 KB a cookie).
const MAX_LEN: usize = 4096;

/// This request's sign-in cookie: what the browser sent, and what the response should say.
#[derive(Clone, Debug, Default)]
pub struct SignInCookie {
    incoming: Option<String>,
    outgoing: Arc<Mutex<Option<Outgoing>>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Outgoing {
    Set(String),
    Clear,
}

impl SignInCookie {
    /// The sealed value the browser sent, if any.
    pub fn sealed(&self) -> Option<&str> {
        self.incoming.as_deref()
    }

    /// The response sets the cookie to `sealed` (replacing a sign-in in progress in this browser).
    pub fn set(&self, sealed: String) {
        *self.outgoing.lock().unwrap_or_else(|p| p.into_inner()) = Some(Outgoing::Set(sealed));
    }

    /// The response removes the cookie (the callback used it: single use).
    pub fn clear(&self) {
        *self.outgoing.lock().unwrap_or_else(|p| p.into_inner()) = Some(Outgoing::Clear);
    }

    fn take(&self) -> Option<Outgoing> {
        self.outgoing.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// The cookie named `name` in `headers`, when it looks like a sealed value (base64, bounded).
fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty() && v.len() <= MAX_LEN)
        .filter(|v| v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')))
}

/// The `Set-Cookie` value: HttpOnly, SameSite=Lax (the identity provider's redirect back is a
/// cross-site top-level GET that must carry it), Path=/, Secure over https.
fn set_cookie(name: &str, out: &Outgoing, secure: bool) -> Option<HeaderValue> {
    let (value, max_age) = match out {
        Outgoing::Set(v) => (v.as_str(), MAX_AGE_SECS),
        Outgoing::Clear => ("", 0),
    };
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax{secure}"
    ))
    .ok()
}

/// The middleware: the cookie in, the portal's change out. `secure` when the public URL is https.
pub async fn sign_in_cookie(secure: bool, mut req: Request, next: Next) -> Response {
    let name = if secure { COOKIE_HTTPS } else { COOKIE };
    let cookie = SignInCookie { incoming: read(req.headers(), name), outgoing: Arc::default() };
    req.extensions_mut().insert(cookie.clone());
    let mut res = next.run(req).await;
    if let Some(v) = cookie.take().and_then(|out| set_cookie(name, &out, secure)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_its_own_well_formed_cookie_is_read() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; pat_portal_signin=AbC+/9=="));
        assert_eq!(read(&h, COOKIE).as_deref(), Some("AbC+/9=="));
        assert_eq!(read(&h, COOKIE_HTTPS), None);
        let mut odd = HeaderMap::new();
        odd.append(header::COOKIE, HeaderValue::from_static("pat_portal_signin=a\"b"));
        assert_eq!(read(&odd, COOKIE), None);
        let mut long = HeaderMap::new();
        long.append(
            header::COOKIE,
            HeaderValue::from_str(&format!("{COOKIE}={}", "A".repeat(5000))).unwrap(),
        );
        assert_eq!(read(&long, COOKIE), None);
    }

    #[test]
    fn the_cookie_is_http_only_lax_and_secure_over_https() {
        let set = set_cookie(COOKIE_HTTPS, &Outgoing::Set("v".into()), true).unwrap();
        assert_eq!(set, "__Host-pat_portal_signin=v; Max-Age=900; Path=/; HttpOnly; SameSite=Lax; Secure");
        let clear = set_cookie(COOKIE, &Outgoing::Clear, false).unwrap();
        assert_eq!(clear, "pat_portal_signin=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax");
    }
}
