//! Switches for how this Azure DevOps behaves where the real one differs between tenants or over time: retired preview versions, bare profiles, classic tokens refused by the PAT API, throttled organizations, users in many organizations.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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
    /// How many organizations every user belongs to besides the demo ones ([`extra_org`]).
    pub(super) extra_orgs: AtomicUsize,
    /// How many more active tokens each user is seeded with ([`DevopsStandIn::extra_tokens`]).
    pub(super) extra_tokens: AtomicUsize,
}

/// The most extra tokens the switch gives each user.
pub const MAX_EXTRA_TOKENS: usize = 20_000;

/// `count` numbered tokens of `oid` in `org` from position `start` (the same ids at every start).
fn bulk(
    oid: &str,
    org: &str,
    start: usize,
    count: usize,
    now: time::OffsetDateTime,
    revoked: bool,
) -> impl Iterator<Item = super::pats::StoredPat> {
    let (oid, org) = (oid.to_string(), org.to_string());
    (start..start + count).map(move |i| super::pats::StoredPat {
        id: uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("{oid}:bulk:{i}").as_bytes()).to_string(),
        name: format!("Bulk token {i:05}"),
        scope: "vso.code".into(),
        valid_from: now - time::Duration::days(1),
        valid_to: now + time::Duration::days(90),
        org: Some(org.clone()),
        revoked,
    })
}

/// The most extra organizations the switch gives (the accounts API answers them in one list).
pub const MAX_EXTRA_ORGS: usize = 200;

/// The name of the `n`th extra organization (from 1): `adatum-demo-01`, ….
pub fn extra_org(n: usize) -> String {
    format!("{EXTRA_ORG_PREFIX}{n:02}")
}

const EXTRA_ORG_PREFIX: &str = "adatum-demo-";

/// Whether `org` is named like an extra organization (whatever the switch says now).
pub(super) fn named_extra(org: &str) -> Option<usize> {
    let n = org.strip_prefix(EXTRA_ORG_PREFIX)?;
    (n.len() >= 2 && n.bytes().all(|b| b.is_ascii_digit())).then(|| n.parse().ok()).flatten()
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

    /// Test and demo switch: every user also belongs to `count` more organizations (at most
    /// [`MAX_EXTRA_ORGS`]), listed after the demo ones, with no tokens of their own, in the demo
    /// tenant, under `fabrikam-demo`'s policy: a person in many organizations.
    pub fn extra_orgs(&self, count: usize) {
        self.quirks.extra_orgs.store(count.min(MAX_EXTRA_ORGS), Ordering::SeqCst);
    }

    /// The extra organizations every user belongs to now, in the order the accounts API lists them.
    pub(super) fn extra_org_names(&self) -> Vec<String> {
        (1..=self.quirks.extra_orgs.load(Ordering::SeqCst)).map(extra_org).collect()
    }

    /// Whether `org` is one of the extra organizations every user belongs to now.
    pub(super) fn is_extra_org(&self, org: &str) -> bool {
        named_extra(org).is_some_and(|n| n >= 1 && n <= self.quirks.extra_orgs.load(Ordering::SeqCst))
    }

    /// Test switch: `oid` gets `count` more active tokens in `org`, to pass the lists' page limits.
    pub fn add_tokens(&self, oid: &str, org: &str, count: usize) {
        let now = self.now();
        self.with_tokens(oid, |all| all.extend(bulk(oid, org, all.len(), count, now, false)));
    }

    /// Test switch: the ids of `oid`'s tokens valid in `org` only, as stored (never a secret).
    pub fn token_ids(&self, oid: &str, org: &str) -> Vec<String> {
        self.with_tokens(oid, |all| {
            all.iter().filter(|p| p.org.as_deref() == Some(org)).map(|p| p.id.clone()).collect()
        })
    }

    /// Test switch: `oid` gets `count` more revoked tokens in `org`, to pass the revoked-id scan's limit.
    pub fn add_revoked_tokens(&self, oid: &str, org: &str, count: usize) {
        let now = self.now();
        self.with_tokens(oid, |all| all.extend(bulk(oid, org, all.len(), count, now, true)));
    }

    /// Test and demo switch: every user seeded from now on starts with `count` more active tokens
    /// in the default organization (at most [`MAX_EXTRA_TOKENS`]): lists past their page limits.
    pub fn extra_tokens(&self, count: usize) {
        self.quirks.extra_tokens.store(count.min(MAX_EXTRA_TOKENS), Ordering::SeqCst);
    }

    /// A user's tokens at first use: the seed, and the extra tokens the switch asks for.
    pub(super) fn seeded(
        &self,
        oid: &str,
        big: bool,
        now: time::OffsetDateTime,
        orgs: [&str; 2],
    ) -> Vec<super::pats::StoredPat> {
        let first = super::admin::directory_index(oid).unwrap_or(0);
        let mut all = super::seed::seed(oid, big, now, orgs, first);
        let extra = self.quirks.extra_tokens.load(Ordering::SeqCst);
        all.extend(bulk(oid, orgs[0], all.len(), extra, now, false));
        all
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
    use super::{extra_org, named_extra, org_of};

    #[test]
    fn extra_organizations_are_named_by_number() {
        assert_eq!(extra_org(3), "adatum-demo-03");
        assert_eq!(named_extra(&extra_org(3)), Some(3));
        assert_eq!(named_extra(&extra_org(120)), Some(120));
        assert_eq!(named_extra("adatum-demo-"), None);
        assert_eq!(named_extra("adatum-demo-1x"), None);
        assert_eq!(named_extra("fabrikam-demo"), None);
    }

    #[test]
    fn the_organization_comes_from_the_host_prefix_and_the_first_segment() {
        assert_eq!(org_of("/vssps/fabrikam-demo/_apis/tokens/pats"), Some("fabrikam-demo"));
        assert_eq!(org_of("/dev/contoso-demo/_apis/projects"), Some("contoso-demo"));
        assert_eq!(org_of("/dev/contoso-demo"), Some("contoso-demo"));
        assert_eq!(org_of("/app/_apis/profile/profiles/me"), None);
    }
}
