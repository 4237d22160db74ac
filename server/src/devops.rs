//! The Azure DevOps REST client: PAT lifecycle, profile and accounts, with every failure classified in one place.

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::oidc::error_chain;
use crate::secret::Secret;

/// The PAT lifecycle API's newest version (`specification/tokens/7.2/tokens.json`): it adds
/// `patTokenErrorMessage`, the error values of the 2025–2026 policies, and shortens an expiry
/// beyond the organization's maximum lifetime instead of refusing it.
pub const PAT_API_VERSION: &str = "7.2-preview.1";
/// Projects (`specification/core/7.1`).
pub const API_VERSION: &str = "7.1";
/// Profiles - Get, as learn.microsoft.com documents it for 7.1
/// (<https://learn.microsoft.com/rest/api/azure/devops/profile/profiles/get?view=azure-devops-rest-7.1>).
pub const PROFILE_API_VERSION: &str = "7.1-preview.3";
/// Accounts - List, as learn.microsoft.com documents it for 7.1
/// (<https://learn.microsoft.com/rest/api/azure/devops/account/accounts/list?view=azure-devops-rest-7.1>).
pub const ACCOUNTS_API_VERSION: &str = "7.1-preview.1";

/// A personal access token as the PAT lifecycle API returns it.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PatToken {
    pub authorization_id: String,
    pub display_name: String,
    pub scope: String,
    #[serde(default)]
    pub target_accounts: Option<Vec<String>>,
    /// The secret: present only in the create response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Secret>,
    pub valid_from: String,
    pub valid_to: String,
}

impl std::fmt::Debug for PatToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatToken")
            .field("authorization_id", &self.authorization_id)
            .field("display_name", &self.display_name)
            .field("valid_to", &self.valid_to)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatList {
    pub pat_tokens: Vec<PatToken>,
    #[serde(default)]
    pub continuation_token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatResult {
    #[serde(default)]
    pub pat_token: Option<PatToken>,
    pub pat_token_error: String,
    /// What Azure DevOps says about the error, in words (api-version 7.2).
    #[serde(default)]
    pub pat_token_error_message: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub display_name: String,
    pub public_alias: String,
    #[serde(default)]
    pub email_address: Option<String>,
    pub id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgAccount {
    pub account_id: String,
    pub account_name: String,
    #[serde(default)]
    pub account_uri: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListOf<T> {
    pub count: usize,
    pub value: Vec<T>,
}

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
}

fn join(base: &Url, path: &str) -> Result<Url, DevopsError> {
    Url::parse(&format!("{}{}", base.as_str().trim_end_matches('/'), path))
        .map_err(|_| DevopsError::BadRequest("invalid URL".into()))
}

/// The body of a create (no `authorizationId`, every field) or an update (with it, and only
/// the fields that change: the 7.2 spec marks each one optional).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PatRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// RFC 3339 UTC, whole seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all_orgs: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub visibility: Option<String>,
    #[serde(default)]
    pub last_update_time: Option<String>,
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

/// A throttled read waits for `Retry-After` and tries once more, if the wait fits this budget.
const READ_RETRY_BUDGET_SECS: u64 = 5;

impl DevopsClient {
    pub fn new(http: reqwest::Client, urls: DevopsUrls) -> Self {
        DevopsClient { http, urls }
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
        self.read(token, url).await.map(|(list, _)| list)
    }

    pub async fn get_pat(&self, token: &Secret, org: &str, id: &str) -> Result<PatResult, DevopsError> {
        let mut url = self.pats_url(org)?;
        url.query_pairs_mut().append_pair("authorizationId", id);
        self.read(token, url).await.map(|(r, _)| r)
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
        self.write(token, method, self.pats_url(org)?, Some(body)).await
    }

    pub async fn revoke_pat(&self, token: &Secret, org: &str, id: &str) -> Result<(), DevopsError> {
        let mut url = self.pats_url(org)?;
        url.query_pairs_mut().append_pair("authorizationId", id);
        let (status, headers, body) = self.send(token, reqwest::Method::DELETE, url, None::<&()>).await?;
        classify(status, &headers, &body)
    }

    pub async fn profile(&self, token: &Secret) -> Result<Profile, DevopsError> {
        let mut url = join(&self.urls.app_vssps, "/_apis/profile/profiles/me")?;
        url.query_pairs_mut().append_pair("api-version", PROFILE_API_VERSION);
        self.read(token, url).await.map(|(p, _)| p)
    }

    /// The organizations `member_id` (the profile's `id`) belongs to.
    pub async fn accounts(&self, token: &Secret, member_id: &str) -> Result<ListOf<OrgAccount>, DevopsError> {
        let mut url = join(&self.urls.app_vssps, "/_apis/accounts")?;
        url.query_pairs_mut()
            .append_pair("memberId", member_id)
            .append_pair("api-version", ACCOUNTS_API_VERSION);
        self.read(token, url).await.map(|(a, _)| a)
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
        let (list, headers) = self.read(token, url).await?;
        let next = headers
            .get("x-ms-continuationtoken")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(str::to_string);
        Ok((list, next))
    }

    /// A GET: idempotent, so a throttled one waits for `Retry-After` and is tried once more
    /// when the wait is short.
    async fn read<T: serde::de::DeserializeOwned>(
        &self,
        token: &Secret,
        url: Url,
    ) -> Result<(T, HeaderMap), DevopsError> {
        let (status, headers, body) =
            self.send(token, reqwest::Method::GET, url.clone(), None::<&()>).await?;
        let (status, headers, body) = match classify(status, &headers, &body) {
            Err(DevopsError::RateLimited(wait)) if wait <= READ_RETRY_BUDGET_SECS => {
                tracing::info!(wait, "Azure DevOps throttled a read: retrying once after Retry-After");
                tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
                self.send(token, reqwest::Method::GET, url, None::<&()>).await?
            }
            _ => (status, headers, body),
        };
        classify(status, &headers, &body)?;
        let value = serde_json::from_slice(&body)
            .map_err(|e| DevopsError::Unexpected(format!("body did not parse: {e}")))?;
        Ok((value, headers))
    }

    /// A POST or PUT: never retried (a retry could create a second token).
    async fn write<T: serde::de::DeserializeOwned, B: Serialize>(
        &self,
        token: &Secret,
        method: reqwest::Method,
        url: Url,
        body: Option<&B>,
    ) -> Result<T, DevopsError> {
        let (status, headers, body) = self.send(token, method, url, body).await?;
        classify(status, &headers, &body)?;
        serde_json::from_slice(&body).map_err(|e| DevopsError::Unexpected(format!("body did not parse: {e}")))
    }

    async fn send<B: Serialize>(
        &self,
        token: &Secret,
        method: reqwest::Method,
        url: Url,
        body: Option<&B>,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>), DevopsError> {
        let mut req = self
            .http
            .request(method, url)
            .bearer_auth(token.expose())
            // Ask for a 401 instead of the 203 HTML sign-in page (both are handled).
            .header("X-TFS-FedAuthRedirect", "Suppress")
            .header("Accept", "application/json");
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.map_err(|e| {
            if e.is_timeout() {
                DevopsError::Unavailable("timed out".into())
            } else {
                DevopsError::Unavailable(error_chain(&e))
            }
        })?;
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.bytes().await.map_err(|e| DevopsError::Unavailable(error_chain(&e)))?;
        Ok((status, headers, body.to_vec()))
    }
}

/// Percent-encodes one path segment.
fn segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>().replace('+', "%20")
}

mod classify;
#[cfg(test)]
mod tests;

pub use classify::classify;
