//! Switches for how this Azure DevOps behaves where the real one differs between tenants or over time: retired preview versions, bare profiles, classic tokens refused by the PAT API, throttled organizations.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::{vss_error, DevopsStandIn};

/// How an organization throttles its callers (`integrate/concepts/rate-limits.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    /// Every answer carries `X-RateLimit-Limit`/`-Remaining` (and `-Resource`): the caller is
    /// near its limit but not delayed.
    Near { remaining: u64, limit: u64 },
    /// Requests are delayed and answered normally (200), with `Retry-After` and the rate-limit
    /// headers: "the request was delayed", a signal to slow down.
    Delayed { retry_after_secs: u64 },
    /// Requests are refused: 429 TF400733 with `Retry-After`.
    Blocked { retry_after_secs: u64 },
}

/// What this stand-in does differently from its defaults. Every switch starts off.
#[derive(Default)]
pub(super) struct Quirks {
    /// Preview versions of the profile and accounts APIs are refused, as Microsoft may switch a
    /// preview off once the version is released (`integrate/concepts/rest-api-versioning`).
    pub(super) previews_retired: AtomicBool,
    /// The profile answers only the fields of the spec's `Profile` schema: no `displayName`,
    /// `publicAlias` or `emailAddress`.
    pub(super) bare_profile: AtomicBool,
    /// The PAT lifecycle API refuses a token that carries only `user_impersonation` (sprint 257:
    /// the PAT scopes "now required … replacing" it).
    pub(super) classic_refused_for_pats: AtomicBool,
    /// Organizations that throttle, by name.
    pub(super) throttled: Mutex<HashMap<String, Throttle>>,
}

impl DevopsStandIn {
    /// Test and demo switch: profile and accounts refuse `-preview` versions.
    pub fn retire_previews(&self, on: bool) {
        self.quirks.previews_retired.store(on, Ordering::SeqCst);
    }

    /// Test and demo switch: the profile carries no `displayName`, `publicAlias` or `emailAddress`.
    pub fn bare_profile(&self, on: bool) {
        self.quirks.bare_profile.store(on, Ordering::SeqCst);
    }

    /// Test and demo switch: the PAT API refuses tokens whose only scope is `user_impersonation`.
    pub fn refuse_classic_for_pats(&self, on: bool) {
        self.quirks.classic_refused_for_pats.store(on, Ordering::SeqCst);
    }

    /// Test and demo switch: `org` throttles its callers as `throttle` says (`None`: not at all).
    pub fn throttle(&self, org: &str, throttle: Option<Throttle>) {
        let mut t = self.quirks.throttled.lock().unwrap_or_else(|e| e.into_inner());
        match throttle {
            Some(x) => t.insert(org.to_string(), x),
            None => t.remove(org),
        };
    }

    /// Test switch: `oid` gets `count` more active tokens in `org`, to pass the lists' page limits.
    pub fn add_tokens(&self, oid: &str, org: &str, count: usize) {
        let now = self.now();
        self.with_tokens(oid, |all| {
            let start = all.len();
            all.extend((start..start + count).map(|i| {
                super::pats::StoredPat {
                    id: uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("{oid}:bulk:{i}").as_bytes())
                        .to_string(),
                    name: format!("Bulk token {i:05}"),
                    scope: "vso.code".into(),
                    valid_from: now - time::Duration::days(1),
                    valid_to: now + time::Duration::days(90),
                    org: Some(org.to_string()),
                    revoked: false,
                }
            }))
        });
    }

    pub(super) fn classic_refused_for_pats(&self) -> bool {
        self.quirks.classic_refused_for_pats.load(Ordering::SeqCst)
    }

    fn throttle_of(&self, org: &str) -> Option<Throttle> {
        self.quirks.throttled.lock().unwrap_or_else(|e| e.into_inner()).get(org).copied()
    }
}

/// Refuses a preview version of profile or accounts when previews are retired.
pub(super) fn check_preview(s: &DevopsStandIn, q: &HashMap<String, String>) -> Result<(), Response> {
    let asked = q.get("api-version").map(String::as_str).unwrap_or_default();
    if s.quirks.previews_retired.load(Ordering::SeqCst) && asked.contains("-preview") {
        return Err(vss_error(
            StatusCode::BAD_REQUEST,
            "VssVersionNotSupportedException",
            &format!(
                "The requested REST API version of {asked} is no longer supported: use the released version \
                 (demo stand-in: a preview retired after release)."
            ),
        ));
    }
    Ok(())
}

/// The organization a request is about: `/vssps/{org}/…` or `/dev/{org}/…`.
fn org_of(path: &str) -> Option<&str> {
    let mut parts = path.trim_start_matches('/').split('/');
    match (parts.next(), parts.next()) {
        (Some("vssps" | "dev"), Some(org)) if !org.is_empty() => Some(org),
        _ => None,
    }
}

/// The middleware that throttles the organizations switched to it.
pub(super) async fn layer(State(s): State<Arc<DevopsStandIn>>, req: Request, next: Next) -> Response {
    let throttle = org_of(req.uri().path()).and_then(|o| s.throttle_of(o));
    match throttle {
        None => next.run(req).await,
        Some(Throttle::Blocked { retry_after_secs }) => super::failures::throttled(retry_after_secs),
        Some(Throttle::Near { remaining, limit }) => {
            let mut res = next.run(req).await;
            rate_headers(&mut res, remaining, limit);
            res
        }
        Some(Throttle::Delayed { retry_after_secs }) => {
            // The service holds a delayed request for a moment (`X-RateLimit-Delay`) and answers it.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let mut res = next.run(req).await;
            rate_headers(&mut res, 0, 200);
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            res.headers_mut().insert("X-RateLimit-Delay", HeaderValue::from_static("0.050"));
            res
        }
    }
}

/// The rate-limit headers every answer of a throttled organization carries.
fn rate_headers(res: &mut Response, remaining: u64, limit: u64) {
    let h = res.headers_mut();
    h.insert("X-RateLimit-Resource", HeaderValue::from_static("ATCPU"));
    h.insert("X-RateLimit-Limit", HeaderValue::from(limit));
    h.insert("X-RateLimit-Remaining", HeaderValue::from(remaining));
    h.insert("X-RateLimit-Reset", HeaderValue::from(crate::now_secs() + 300));
}

#[cfg(test)]
mod tests {
    use super::org_of;

    #[test]
    fn the_organization_comes_from_the_host_prefix_and_the_first_segment() {
        assert_eq!(org_of("/vssps/fabrikam-demo/_apis/tokens/pats"), Some("fabrikam-demo"));
        assert_eq!(org_of("/dev/contoso-demo/_apis/projects"), Some("contoso-demo"));
        assert_eq!(org_of("/dev/contoso-demo"), Some("contoso-demo"));
        assert_eq!(org_of("/app/_apis/profile/profiles/me"), None);
    }
}
