//! The Azure DevOps stand-in: PAT list and get, profile and accounts, with the real shapes, bearer checks and the 203 sign-in page.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::entra::EntraStandIn;
use crate::config::DEVOPS_RESOURCE;

pub const DEMO_ORGS: [&str; 2] = ["fabrikam-demo", "contoso-demo"];

#[derive(Clone)]
struct StoredPat {
    id: String,
    name: String,
    scope: String,
    valid_from: OffsetDateTime,
    valid_to: OffsetDateTime,
    all_orgs: bool,
    revoked: bool,
}

pub struct DevopsStandIn {
    keys: Keys,
    pats: Mutex<HashMap<String, Vec<StoredPat>>>,
    /// The user whose tokens are seeded by the dozen (so that paging shows).
    big_user: Option<String>,
}

/// Where the keys that sign bearer tokens come from.
enum Keys {
    /// The embedded demo identity provider, in the same process.
    Demo(Arc<EntraStandIn>),
    /// Any identity provider's JWKS, fetched over HTTP (refetched once for an unknown kid).
    Remote { url: String, http: reqwest::Client, cache: tokio::sync::RwLock<JwkSet> },
}

/// Who the bearer token says is calling.
struct Caller {
    oid: String,
    name: String,
    username: String,
}

impl DevopsStandIn {
    pub fn new(entra: Arc<EntraStandIn>) -> Self {
        let big_user = entra.users.first().map(|u| u.oid.clone());
        DevopsStandIn { keys: Keys::Demo(entra), pats: Mutex::new(HashMap::new()), big_user }
    }

    /// A stand-in on its own, trusting the identity provider that publishes `jwks_url`.
    pub fn trusting_jwks(jwks_url: impl Into<String>) -> Self {
        let keys = Keys::Remote {
            url: jwks_url.into(),
            http: crate::oidc::http_client(std::time::Duration::from_secs(5)),
            cache: tokio::sync::RwLock::new(JwkSet { keys: Vec::new() }),
        };
        DevopsStandIn { keys, pats: Mutex::new(HashMap::new()), big_user: None }
    }

    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/vssps/{org}/_apis/tokens/pats", get(pats_get))
            .route("/app/_apis/profile/profiles/me", get(profile))
            .route("/app/_apis/accounts", get(accounts))
            .with_state(self)
    }

    async fn decoding_key(&self, kid: &str) -> Option<DecodingKey> {
        match &self.keys {
            Keys::Demo(entra) => entra.key(kid).map(|k| k.decoding.clone()),
            Keys::Remote { url, http, cache } => {
                if let Some(k) = cache.read().await.find(kid) {
                    return DecodingKey::from_jwk(k).ok();
                }
                let fresh: JwkSet = http.get(url).send().await.ok()?.json().await.ok()?;
                let key = fresh.find(kid).and_then(|k| DecodingKey::from_jwk(k).ok());
                *cache.write().await = fresh;
                key
            }
        }
    }

    /// Validates the bearer token: signature by a key of the trusted identity provider, audience
    /// Azure DevOps, not expired. Anything else is refused the way Azure DevOps refuses it.
    async fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, Response> {
        let suppress = headers
            .get("X-TFS-FedAuthRedirect")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("suppress"));
        let refuse = || if suppress { unauthorized_json() } else { sign_in_page() };
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(refuse)?;
        let kid = jsonwebtoken::decode_header(token).ok().and_then(|h| h.kid).ok_or_else(refuse)?;
        let key = self.decoding_key(&kid).await.ok_or_else(refuse)?;
        let mut v = Validation::new(Algorithm::RS256);
        v.set_audience(&[DEVOPS_RESOURCE]);
        v.leeway = 60;
        let data = jsonwebtoken::decode::<serde_json::Value>(token, &key, &v).map_err(|_| refuse())?;
        let claim = |name: &str| data.claims.get(name).and_then(|o| o.as_str()).map(str::to_string);
        // Entra's immutable user id; another provider's subject otherwise.
        let oid = claim("oid").or_else(|| claim("sub")).ok_or_else(refuse)?;
        Ok(Caller {
            name: claim("name").unwrap_or_else(|| "Demo user".into()),
            username: claim("upn")
                .or_else(|| claim("preferred_username"))
                .unwrap_or_else(|| format!("{oid}@demo")),
            oid,
        })
    }

    /// This user's tokens, seeded on first use.
    fn tokens_of(&self, oid: &str) -> Vec<StoredPat> {
        let mut all = self.pats.lock().unwrap_or_else(|e| e.into_inner());
        let big = self.big_user.as_deref() == Some(oid);
        all.entry(oid.to_string()).or_insert_with(|| seed(oid, big, OffsetDateTime::now_utc())).clone()
    }
}

/// What Azure DevOps answers a bad token on GET and POST: 203 and its HTML sign-in page.
fn sign_in_page() -> Response {
    (
        StatusCode::NON_AUTHORITATIVE_INFORMATION,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        Html("<!DOCTYPE html><html><head><title>Azure DevOps Services | Sign In</title></head><body>Sign in to continue (demo stand-in)</body></html>"),
    )
        .into_response()
}

fn unauthorized_json() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({
            "$id": "1", "innerException": null,
            "message": "TF400813: The user '' is not authorized to access this resource.",
            "typeName": "Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, Microsoft.TeamFoundation.Framework.Server",
            "typeKey": "UnauthorizedRequestException", "errorCode": 0, "eventId": 3000,
        })),
    )
        .into_response()
}

fn vss_error(status: StatusCode, type_key: &str, message: &str) -> Response {
    (status, Json(json!({ "$id": "1", "innerException": null, "message": message, "typeKey": type_key, "errorCode": 0, "eventId": 3000 })))
        .into_response()
}

fn require_api_version(q: &HashMap<String, String>) -> Result<(), Response> {
    match q.get("api-version") {
        Some(v) if v.starts_with("7.") || v.starts_with("6.") => Ok(()),
        Some(_) => Err(vss_error(
            StatusCode::BAD_REQUEST,
            "VssInvalidApiVersionException",
            "VS800012: The requested api-version is not supported.",
        )),
        None => Err(vss_error(
            StatusCode::BAD_REQUEST,
            "VssServiceException",
            "VS800075: The project collection requires an api-version, but none was supplied.",
        )),
    }
}

fn iso(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn pat_json(p: &StoredPat, org_id: &str) -> serde_json::Value {
    json!({
        "displayName": p.name,
        "validTo": iso(p.valid_to),
        "scope": p.scope,
        "targetAccounts": if p.all_orgs { serde_json::Value::Null } else { json!([org_id]) },
        "validFrom": iso(p.valid_from),
        "authorizationId": p.id,
        "token": null,
    })
}

fn org_id(org: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("https://dev.azure.com/{org}").as_bytes())
        .to_string()
}

async fn pats_get(
    State(s): State<Arc<DevopsStandIn>>,
    Path(org): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let caller = match s.authenticate(&headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Err(r) = require_api_version(&q) {
        return r;
    }
    if !DEMO_ORGS.contains(&org.as_str()) {
        return vss_error(
            StatusCode::NOT_FOUND,
            "AccountNotFoundException",
            "VS800001: The organization was not found.",
        );
    }
    let oid_org = org_id(&org);
    let now = OffsetDateTime::now_utc();
    let mine = s.tokens_of(&caller.oid);

    if let Some(id) = q.get("authorizationId") {
        return match mine.iter().find(|p| &p.id == id) {
            Some(p) => {
                Json(json!({ "patToken": pat_json(p, &oid_org), "patTokenError": "none" })).into_response()
            }
            None => {
                Json(json!({ "patToken": null, "patTokenError": "authorizationNotFound" })).into_response()
            }
        };
    }

    let filter =
        q.get("displayFilterOption").map(|s| s.to_ascii_lowercase()).unwrap_or_else(|| "active".into());
    let mut list: Vec<&StoredPat> = mine
        .iter()
        .filter(|p| match filter.as_str() {
            "active" => !p.revoked && p.valid_to > now,
            "expired" => !p.revoked && p.valid_to <= now,
            "revoked" => p.revoked,
            _ => true,
        })
        .collect();
    if !matches!(filter.as_str(), "active" | "expired" | "revoked" | "all") {
        return vss_error(
            StatusCode::BAD_REQUEST,
            "ArgumentException",
            "The value of displayFilterOption is not valid.",
        );
    }
    let ascending = q.get("isSortAscending").map(|v| v.eq_ignore_ascii_case("true")).unwrap_or(true);
    match q.get("sortByOption").map(String::as_str).unwrap_or("displayName") {
        "displayDate" => list.sort_by_key(|p| p.valid_to),
        "status" => list.sort_by_key(|p| (p.revoked, p.valid_to <= now, p.name.to_lowercase())),
        _ => list.sort_by_key(|p| p.name.to_lowercase()),
    }
    if !ascending {
        list.reverse();
    }
    let top = match q.get("$top").map(|t| t.parse::<usize>()) {
        None => 100,
        Some(Ok(t)) if (1..=100).contains(&t) => t,
        Some(_) => {
            return vss_error(
                StatusCode::BAD_REQUEST,
                "ArgumentOutOfRangeException",
                "$top must be between 1 and 100.",
            )
        }
    };
    // The continuation token is opaque to clients; here it is the offset of the next item.
    let skip = match q.get("continuationToken").filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => match c.parse::<usize>() {
            Ok(n) if n <= list.len() => n,
            _ => {
                return vss_error(
                    StatusCode::BAD_REQUEST,
                    "ArgumentException",
                    "The continuation token is not valid.",
                )
            }
        },
    };
    let page: Vec<_> = list.iter().skip(skip).take(top).map(|p| pat_json(p, &oid_org)).collect();
    let next = if skip + top < list.len() { (skip + top).to_string() } else { String::new() };
    Json(json!({ "patTokens": page, "continuationToken": next })).into_response()
}

async fn profile(
    State(s): State<Arc<DevopsStandIn>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let caller = match s.authenticate(&headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Err(r) = require_api_version(&q) {
        return r;
    }
    Json(json!({
        "displayName": caller.name, "publicAlias": caller.oid, "emailAddress": caller.username, "coreRevision": 1,
        "timeStamp": "2026-01-05T09:00:00.0000000+00:00", "id": caller.oid, "revision": 1,
    }))
    .into_response()
}

#[derive(Deserialize)]
struct AccountsQuery {
    #[serde(rename = "memberId")]
    member_id: Option<String>,
    #[serde(rename = "api-version")]
    api_version: Option<String>,
}

async fn accounts(
    State(s): State<Arc<DevopsStandIn>>,
    Query(q): Query<AccountsQuery>,
    headers: HeaderMap,
) -> Response {
    let caller = match s.authenticate(&headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if q.api_version.is_none() {
        return vss_error(
            StatusCode::BAD_REQUEST,
            "VssServiceException",
            "VS800075: An api-version is required.",
        );
    }
    match q.member_id {
        Some(m) if m == caller.oid => {}
        Some(_) => {
            return vss_error(
                StatusCode::FORBIDDEN,
                "UnauthorizedRequestException",
                "TF400813: You can list only your own organizations.",
            )
        }
        None => {
            return vss_error(
                StatusCode::BAD_REQUEST,
                "ArgumentNullException",
                "memberId or ownerId is required.",
            )
        }
    }
    let value: Vec<_> = DEMO_ORGS
        .iter()
        .map(|o| {
            json!({
                "accountId": org_id(o), "accountUri": format!("https://vssps.dev.azure.com/{o}/"),
                "accountName": o, "properties": {},
            })
        })
        .collect();
    Json(json!({ "count": value.len(), "value": value })).into_response()
}

/// A realistic set of tokens for a demo user: mostly active, some expiring within a week,
/// some expired, some revoked. The first user gets a few dozen so that paging shows.
fn seed(oid: &str, big: bool, now: OffsetDateTime) -> Vec<StoredPat> {
    const NAMES: [(&str, &str); 12] = [
        ("CI pipeline", "vso.build_execute vso.code"),
        ("Release automation", "vso.release vso.build"),
        ("Git push from laptop", "vso.code_write"),
        ("Boards sync", "vso.work_write"),
        ("NuGet feed", "vso.packaging"),
        ("npm publish", "vso.packaging_write"),
        ("Dashboard reader", "vso.project vso.work"),
        ("Terraform provider", "vso.project vso.variablegroups_read"),
        ("Backup script", "vso.code vso.work"),
        ("Admin full access", "app_token"),
        ("Graph export", "vso.graph vso.identity"),
        ("Token housekeeping", "vso.tokens"),
    ];
    let count = if big { 36 } else { 8 };
    (0..count)
        .map(|i| {
            let (base, scope) = NAMES[i % NAMES.len()];
            let name =
                if i < NAMES.len() { base.to_string() } else { format!("{base} {}", i / NAMES.len() + 1) };
            // Every ninth revoked; a few expired; three expiring within 7 days; the rest months away.
            let (from_days, to_days, revoked): (i64, i64, bool) = match i % 9 {
                0 if i > 0 => (-120, 60, true),
                1 => (-200, -10 - i as i64, false),
                2 if i < 27 => (-80, 2 + (i as i64 % 5), false),
                _ => (-30 - i as i64, 30 + 9 * i as i64, false),
            };
            StoredPat {
                id: uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("{oid}:{i}").as_bytes())
                    .to_string(),
                name,
                scope: scope.to_string(),
                valid_from: now + Duration::days(from_days),
                valid_to: now + Duration::days(to_days),
                all_orgs: i % 4 == 0,
                revoked,
            }
        })
        .collect()
}
