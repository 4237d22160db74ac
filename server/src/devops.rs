//! The Azure DevOps REST client: PAT lifecycle, profile and accounts, with every failure classified in one place.

use reqwest::header::{HeaderMap, CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::oidc::error_chain;
use crate::secret::Secret;

pub const PAT_API_VERSION: &str = "7.1-preview.1";
pub const API_VERSION: &str = "7.1";

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

/// How an Azure DevOps call failed, decided from the status and the body's type.
#[derive(Debug, thiserror::Error)]
pub enum DevopsError {
    /// 401, or 203 with an HTML sign-in page: the bearer token was not accepted.
    #[error("Azure DevOps did not accept the access token")]
    Unauthorized,
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

/// The body of a create (no `authorizationId`) or an update (with it).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PatRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_id: Option<String>,
    pub display_name: String,
    pub scope: String,
    pub valid_to: String,
    pub all_orgs: bool,
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
        url.query_pairs_mut().append_pair("api-version", API_VERSION);
        self.read(token, url).await.map(|(p, _)| p)
    }

    pub async fn accounts(&self, token: &Secret, member_id: &str) -> Result<ListOf<OrgAccount>, DevopsError> {
        let mut url = join(&self.urls.app_vssps, "/_apis/accounts")?;
        url.query_pairs_mut().append_pair("memberId", member_id).append_pair("api-version", API_VERSION);
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

/// The one place where an Azure DevOps answer becomes an error.
pub fn classify(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Result<(), DevopsError> {
    let retry_after =
        || headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    let is_json =
        headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(|v| v.contains("json")).unwrap_or(false);
    match status.as_u16() {
        // A success without JSON is the sign-in page Azure DevOps serves for a bad token.
        200..=299 if status == StatusCode::NO_CONTENT || body.is_empty() => Ok(()),
        200..=299 if !is_json => Err(DevopsError::Unauthorized),
        200..=299 => Ok(()),
        401 => Err(DevopsError::Unauthorized),
        403 => Err(DevopsError::Forbidden),
        404 => Err(DevopsError::NotFound),
        429 => Err(DevopsError::RateLimited(retry_after().unwrap_or(30))),
        400 | 409 | 422 => Err(DevopsError::BadRequest(message_of(body))),
        500..=599 => Err(DevopsError::Unavailable(format!("HTTP {status}"))),
        _ => Err(DevopsError::Unexpected(format!("HTTP {status}"))),
    }
}

fn message_of(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
        .unwrap_or_else(|| "no message".into())
}

#[cfg(test)]
mod tests;
