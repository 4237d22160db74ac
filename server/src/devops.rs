//! The Azure DevOps REST client: PAT lifecycle, profile and accounts, with every failure classified in one place.

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde::Serialize;
use url::Url;

use crate::oidc::error_chain;
use crate::secret::Secret;
use grants::{Need, Verdict};

/// The PAT lifecycle API's newest version (`specification/tokens/7.2/tokens.json`): it adds
/// `patTokenErrorMessage`, the error values of the 2025–2026 policies, and shortens an expiry
/// beyond the organization's maximum lifetime instead of refusing it.
pub const PAT_API_VERSION: &str = "7.2-preview.1";
/// Projects (`specification/core/7.1`).
pub const API_VERSION: &str = "7.1";
/// Profiles - Get: the released version, listed by `specification/profile/7.1/profile.json` since
/// 2024-09 (`7.1-preview.3` before). A preview may be switched off once the version is released
/// (`integrate/concepts/rest-api-versioning`).
pub const PROFILE_API_VERSION: &str = "7.1";
/// Accounts - List: released `7.1` (`specification/account/7.1/accounts.json`, since 2024-09).
pub const ACCOUNTS_API_VERSION: &str = "7.1";

/// Why a signed-in user cannot use an organization, although their token is fine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoAccess {
    /// TF400813 naming the user: not a member of the organization. `resource_tenant` is the
    /// `X-VSS-ResourceTenant` header: the Entra tenant the organization is connected to.
    NotMember { resource_tenant: Option<String> },
    /// VS403463: a Conditional Access policy of the organization's tenant refused the call.
    ConditionalAccess,
}

/// How an Azure DevOps call failed, decided from the status and the body's type.
#[derive(Debug, thiserror::Error)]
pub enum DevopsError {
    /// 401 with no user named, 203 with an HTML sign-in page, or a redirect to sign-in: the
    /// bearer token was not accepted.
    #[error("Azure DevOps did not accept the access token")]
    Unauthorized,
    /// The token was accepted, but this user may not use this organization.
    #[error("no access to the organization: {0:?}")]
    NoAccess(NoAccess),
    /// The token lacks every scope that allows the call (its `scp` against the spec's needs).
    #[error("the access token lacks the permission: {0:?}")]
    MissingScope(Need),
    /// The PAT lifecycle API refused a token whose only key to it is `user_impersonation`.
    #[error("the PAT API refused the classic scope user_impersonation")]
    ClassicRefused,
    #[error("Azure DevOps refused the request (403)")]
    Forbidden,
    #[error("not found (404)")]
    NotFound,
    #[error("throttled, retry after {0} s")]
    RateLimited(u64),
    #[error("Azure DevOps unavailable: {0}")]
    Unavailable(String),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unexpected answer: {0}")]
    Unexpected(String),
}

/// Base URLs of the three Azure DevOps hosts the app talks to.
#[derive(Debug, Clone)]
pub struct DevopsUrls {
    pub vssps: Url,
    pub app_vssps: Url,
    pub dev: Url,
}

impl Default for DevopsUrls {
    fn default() -> Self {
        DevopsUrls {
            vssps: Url::parse("https://vssps.dev.azure.com").expect("static URL"),
            app_vssps: Url::parse("https://app.vssps.visualstudio.com").expect("static URL"),
            dev: Url::parse("https://dev.azure.com").expect("static URL"),
        }
    }
}

pub struct DevopsClient {
    http: reqwest::Client,
    urls: DevopsUrls,
    /// Each user's pace, as Azure DevOps' answers ask (`pacing`).
    pacer: pacing::Pacer,
}

fn join(base: &Url, path: &str) -> Result<Url, DevopsError> {
    Url::parse(&format!("{}{}", base.as_str().trim_end_matches('/'), path))
        .map_err(|_| DevopsError::BadRequest("invalid URL".into()))
}

/// How a list of PATs is asked for.
#[derive(Debug, Clone, Copy)]
pub struct PatPageRequest<'a> {
    pub filter: &'a str,
    /// `displayName`, `displayDate` or `status`.
    pub sort: &'a str,
    pub ascending: bool,
    pub continuation_token: Option<&'a str>,
    pub top: u32,
}

impl DevopsClient {
    pub fn new(http: reqwest::Client, urls: DevopsUrls) -> Self {
        DevopsClient { http, urls, pacer: pacing::Pacer::default() }
    }

    fn pats_url(&self, org: &str) -> Result<Url, DevopsError> {
        let mut url = join(&self.urls.vssps, &format!("/{}/_apis/tokens/pats", segment(org)))?;
        url.query_pairs_mut().append_pair("api-version", PAT_API_VERSION);
        Ok(url)
    }

    pub async fn list_pats(
        &self,
        token: &Secret,
        org: &str,
        q: PatPageRequest<'_>,
    ) -> Result<PatList, DevopsError> {
        let mut url = self.pats_url(org)?;
        {
            let mut p = url.query_pairs_mut();
            p.append_pair("displayFilterOption", q.filter)
                .append_pair("sortByOption", q.sort)
                .append_pair("isSortAscending", if q.ascending { "true" } else { "false" })
                .append_pair("$top", &q.top.clamp(1, 100).to_string());
            if let Some(c) = q.continuation_token {
                p.append_pair("continuationToken", c);
            }
        }
        self.read(&Call::new(token, Need::ReadPats, Some(org)), url).await.map(|(list, _)| list)
    }

    pub async fn get_pat(&self, token: &Secret, org: &str, id: &str) -> Result<PatResult, DevopsError> {
        let mut url = self.pats_url(org)?;
        url.query_pairs_mut().append_pair("authorizationId", id);
        self.read(&Call::new(token, Need::ReadPats, Some(org)), url).await.map(|(r, _)| r)
    }

    /// Creates a token (`POST`, no `authorizationId`): the answer carries its secret, once; or
    /// updates one (`PUT`, with it).
    pub async fn save_pat(
        &self,
        token: &Secret,
        org: &str,
        body: &PatRequest,
    ) -> Result<PatResult, DevopsError> {
        let method =
            if body.authorization_id.is_some() { reqwest::Method::PUT } else { reqwest::Method::POST };
        self.write(&Call::new(token, Need::ManagePats, Some(org)), method, self.pats_url(org)?, Some(body))
            .await
    }

    pub async fn revoke_pat(&self, token: &Secret, org: &str, id: &str) -> Result<(), DevopsError> {
        let mut url = self.pats_url(org)?;
        url.query_pairs_mut().append_pair("authorizationId", id);
        let call = Call::new(token, Need::ManagePats, Some(org));
        let (status, headers, body) = self.send(&call, reqwest::Method::DELETE, url, None::<&()>).await?;
        match classify(status, &headers, &body) {
            Err(e) => Err(self.explain(&call, e).await),
            Ok(()) => Ok(()),
        }
    }

    pub async fn profile(&self, token: &Secret) -> Result<Profile, DevopsError> {
        let mut url = join(&self.urls.app_vssps, "/_apis/profile/profiles/me")?;
        url.query_pairs_mut().append_pair("api-version", PROFILE_API_VERSION);
        self.read(&Call::new(token, Need::Profile, None), url).await.map(|(p, _)| p)
    }

    /// The organizations `member_id` (the profile's `id`) belongs to.
    pub async fn accounts(&self, token: &Secret, member_id: &str) -> Result<ListOf<OrgAccount>, DevopsError> {
        let mut url = join(&self.urls.app_vssps, "/_apis/accounts")?;
        url.query_pairs_mut()
            .append_pair("memberId", member_id)
            .append_pair("api-version", ACCOUNTS_API_VERSION);
        self.read(&Call::new(token, Need::Profile, None), url).await.map(|(a, _)| a)
    }

    /// One page of an organization's projects and the token of the next page.
    pub async fn projects(
        &self,
        token: &Secret,
        org: &str,
        continuation_token: Option<&str>,
        top: u32,
    ) -> Result<(ListOf<Project>, Option<String>), DevopsError> {
        let mut url = join(&self.urls.dev, &format!("/{}/_apis/projects", segment(org)))?;
        {
            let mut p = url.query_pairs_mut();
            p.append_pair("api-version", API_VERSION).append_pair("$top", &top.clamp(1, 100).to_string());
            if let Some(c) = continuation_token {
                p.append_pair("continuationToken", c);
            }
        }
        let (list, headers) = self.read(&Call::new(token, Need::Projects, Some(org)), url).await?;
        let next = headers
            .get("x-ms-continuationtoken")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(str::to_string);
        Ok((list, next))
    }

    /// What to tell the person whose token this is about the pace Azure DevOps asked for lately.
    pub fn slowdown(&self, token: &Secret, org: &str) -> Option<pacing::Slowdown> {
        self.pacer.notice(&pace_key(&Call::new(token, Need::ReadPats, Some(org))))
    }

    /// A GET: idempotent, so a throttled one is tried once more when its `Retry-After` fits the
    /// pacer's budget (the pacer holds the retry for it).
    async fn read<T: serde::de::DeserializeOwned>(
        &self,
        call: &Call<'_>,
        url: Url,
    ) -> Result<(T, HeaderMap), DevopsError> {
        let (status, headers, body) = self.send(call, reqwest::Method::GET, url.clone(), None::<&()>).await?;
        let (status, headers, body) = match classify(status, &headers, &body) {
            Err(DevopsError::RateLimited(wait)) if wait <= pacing::WAIT_BUDGET.as_secs() => {
                tracing::info!(wait, "Azure DevOps throttled a read: retrying once after Retry-After");
                self.send(call, reqwest::Method::GET, url, None::<&()>).await?
            }
            _ => (status, headers, body),
        };
        if let Err(e) = classify(status, &headers, &body) {
            return Err(self.explain(call, e).await);
        }
        let value = serde_json::from_slice(&body)
            .map_err(|e| DevopsError::Unexpected(format!("body did not parse: {e}")))?;
        Ok((value, headers))
    }

    /// A POST or PUT: never retried (a retry could create a second token).
    async fn write<T: serde::de::DeserializeOwned, B: Serialize>(
        &self,
        call: &Call<'_>,
        method: reqwest::Method,
        url: Url,
        body: Option<&B>,
    ) -> Result<T, DevopsError> {
        let (status, headers, body) = self.send(call, method, url, body).await?;
        if let Err(e) = classify(status, &headers, &body) {
            return Err(self.explain(call, e).await);
        }
        serde_json::from_slice(&body).map_err(|e| DevopsError::Unexpected(format!("body did not parse: {e}")))
    }

    /// A refusal naming the user, explained: a permission the token lacks, a classic token the
    /// PAT API refused, or the organization refusing the user (its tenant then read anonymously).
    async fn explain(&self, call: &Call<'_>, e: DevopsError) -> DevopsError {
        let DevopsError::NoAccess(NoAccess::NotMember { resource_tenant }) = e else {
            return e;
        };
        match grants::judge(call.need, grants::granted_scopes(call.token).as_deref()) {
            Verdict::MissingScope(need) => DevopsError::MissingScope(need),
            Verdict::ClassicRefused => DevopsError::ClassicRefused,
            Verdict::NotMember => {
                let resource_tenant = match (resource_tenant, call.org) {
                    (None, Some(org)) => self.org_tenant(org).await,
                    (known, _) => known,
                };
                DevopsError::NoAccess(NoAccess::NotMember { resource_tenant })
            }
        }
    }

    async fn send<B: Serialize>(
        &self,
        call: &Call<'_>,
        method: reqwest::Method,
        url: Url,
        body: Option<&B>,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>), DevopsError> {
        // Paced per user: a Retry-After still running is waited out (or fails the call as
        // throttled when too long), and a user low on their limit goes one call at a time.
        let key = pace_key(call);
        let _ticket = self.pacer.before(&key).await.map_err(DevopsError::RateLimited)?;
        let mut req = self
            .http
            .request(method, url)
            .bearer_auth(call.token.expose())
            // Ask for a 401 instead of the 203 HTML sign-in page (both are handled).
            .header("X-TFS-FedAuthRedirect", "Suppress")
            .header("Accept", "application/json");
        if let Some(b) = body {
            req = req.json(b);
        }
        let (service, started) = (call.need.service(), std::time::Instant::now());
        let res = req.send().await.map_err(|e| {
            crate::metrics::upstream(service, crate::metrics::outcome_of_transport(&e), started.elapsed());
            if e.is_timeout() {
                DevopsError::Unavailable("timed out".into())
            } else {
                DevopsError::Unavailable(error_chain(&e))
            }
        })?;
        let status = res.status();
        let headers = res.headers().clone();
        crate::metrics::upstream(
            service,
            crate::metrics::outcome_of_status(status.as_u16()),
            started.elapsed(),
        );
        let asked = headers.get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok());
        if let Some(wait) = asked.and_then(|v| v.trim().parse::<u64>().ok()) {
            crate::metrics::upstream_wait_asked(service, wait);
        }
        self.pacer.after(&key, &headers);
        let body = res.bytes().await.map_err(|e| DevopsError::Unavailable(error_chain(&e)))?;
        Ok((status, headers, body.to_vec()))
    }
}

/// One call's context: the bearer, what the call needs from it, the organization it is about.
struct Call<'a> {
    token: &'a Secret,
    need: Need,
    org: Option<&'a str>,
}

impl<'a> Call<'a> {
    fn new(token: &'a Secret, need: Need, org: Option<&'a str>) -> Self {
        Call { token, need, org }
    }
}

/// Whose pace a call counts against: the user, in the organization it is about (Azure DevOps
/// tracks a user's consumption per organization; profile and accounts count apart).
fn pace_key(call: &Call<'_>) -> String {
    format!("{}@{}", grants::caller_key(call.token), call.org.unwrap_or("-"))
}

/// Percent-encodes one path segment.
fn segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>().replace('+', "%20")
}

mod classify;
pub mod grants;
pub mod pacing;
mod tenant;
#[cfg(test)]
mod tests;
mod wire;

pub use classify::classify;
pub use wire::*;
