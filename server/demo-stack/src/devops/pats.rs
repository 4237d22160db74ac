//! The stand-in's PAT lifecycle API: list, get, create (the secret shown once), update and revoke, per organization and its policy.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

use super::pat_checks::{check_creation, check_global, check_name, check_scope, check_valid_to, new_secret};
use super::{iso, org_id, top_of, vss_error, DevopsStandIn};

/// The lifetime of a token created without `validTo`.
const DEFAULT_LIFETIME_DAYS: i64 = 30;

/// A token as the stand-in keeps it: everything but the secret, which is never kept.
#[derive(Debug, Clone)]
pub(super) struct StoredPat {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) scope: String,
    pub(super) valid_from: OffsetDateTime,
    pub(super) valid_to: OffsetDateTime,
    /// The organization the token works in; `None` for all of the user's organizations.
    pub(super) org: Option<String>,
    pub(super) revoked: bool,
}

impl StoredPat {
    pub(super) fn visible_in(&self, org: &str) -> bool {
        self.org.as_deref().is_none_or(|o| o == org)
    }

    /// The PatToken shape, without the secret (`token` is null).
    fn to_json(&self) -> Value {
        json!({
            "displayName": self.name,
            "validTo": iso(self.valid_to),
            "scope": self.scope,
            "targetAccounts": self.org.as_deref().map(|o| vec![org_id(o)]),
            "validFrom": iso(self.valid_from),
            "authorizationId": self.id,
            "token": null,
        })
    }
}

/// The `{"patToken", "patTokenError", "patTokenErrorMessage"}` envelope of get, create and
/// update (the message from api-version 7.2 on).
fn envelope(token: Option<Value>, error: &str, message: Option<&str>) -> Response {
    let mut body = json!({ "patToken": token, "patTokenError": error });
    if let Some(m) = message {
        body["patTokenErrorMessage"] = Value::String(m.to_string());
    }
    Json(body).into_response()
}

fn found(token: Value) -> Response {
    envelope(Some(token), "none", None)
}

/// A refusal.
fn refused(error: &str) -> Response {
    envelope(None, error, None)
}

/// A refusal, in Azure DevOps' words where it has some (api-version 7.2 and later).
fn refused_in(error: &str, newer: bool) -> Response {
    envelope(None, error, service_message(error).filter(|_| newer))
}

/// The `patTokenErrorMessage` the stand-in sends with some refusals.
fn service_message(error: &str) -> Option<&'static str> {
    match error {
        "globalPATCreationBlocked" => {
            Some("Global personal access tokens are retired and can no longer be created.")
        }
        "globalPatPolicyViolation" => {
            Some("Creating global personal access tokens is restricted by a policy of your Microsoft Entra tenant.")
        }
        "expiredPatCannotBeExtended" => Some("An expired personal access token cannot be modified."),
        _ => None,
    }
}

pub(super) async fn list_or_get(PatCall { s, org, q, caller }: PatCall) -> Response {
    let now = s.now();
    let mine: Vec<StoredPat> =
        s.with_tokens(&caller.oid, |all| all.iter().filter(|p| p.visible_in(&org)).cloned().collect());

    if let Some(id) = q.get("authorizationId") {
        return match mine.iter().find(|p| p.id.eq_ignore_ascii_case(id)) {
            Some(p) => found(p.to_json()),
            None => refused("authorizationNotFound"),
        };
    }

    let list = match filtered_sorted(&mine, &q, now) {
        Ok(list) => list,
        Err(r) => return r,
    };
    let (top, skip) = match page_bounds(&q, list.len()) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let page: Vec<_> = list.iter().skip(skip).take(top).map(|p| p.to_json()).collect();
    let next = if skip + top < list.len() { (skip + top).to_string() } else { String::new() };
    Json(json!({ "patTokens": page, "continuationToken": next })).into_response()
}

/// The tokens a list asks for (`displayFilterOption`), in its order (`sortByOption`, `isSortAscending`).
fn filtered_sorted<'a>(
    mine: &'a [StoredPat],
    q: &HashMap<String, String>,
    now: OffsetDateTime,
) -> Result<Vec<&'a StoredPat>, Response> {
    let filter =
        q.get("displayFilterOption").map(|s| s.to_ascii_lowercase()).unwrap_or_else(|| "active".into());
    if !matches!(filter.as_str(), "active" | "expired" | "revoked" | "all") {
        return Err(vss_error(
            StatusCode::BAD_REQUEST,
            "ArgumentException",
            "The value of displayFilterOption is not valid.",
        ));
    }
    let mut list: Vec<&StoredPat> = mine
        .iter()
        .filter(|p| match filter.as_str() {
            "active" => !p.revoked && p.valid_to > now,
            "expired" => !p.revoked && p.valid_to <= now,
            "revoked" => p.revoked,
            _ => true,
        })
        .collect();
    let ascending = q.get("isSortAscending").map(|v| v.eq_ignore_ascii_case("true")).unwrap_or(true);
    match q.get("sortByOption").map(String::as_str).unwrap_or("displayName") {
        "displayDate" => list.sort_by_key(|p| p.valid_to),
        "status" => list.sort_by_key(|p| (p.revoked, p.valid_to <= now, p.name.to_lowercase())),
        _ => list.sort_by_key(|p| p.name.to_lowercase()),
    }
    if !ascending {
        list.reverse();
    }
    Ok(list)
}

/// `$top` (1 to 100) and the offset the continuation token stands for.
fn page_bounds(q: &HashMap<String, String>, len: usize) -> Result<(usize, usize), Response> {
    let top = top_of(q)?;
    // The continuation token is opaque to clients; here it is the offset of the next item.
    let skip = match q.get("continuationToken").filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => match c.parse::<usize>() {
            Ok(n) if n <= len => n,
            _ => {
                return Err(vss_error(
                    StatusCode::BAD_REQUEST,
                    "ArgumentException",
                    "The continuation token is not valid.",
                ))
            }
        },
    };
    Ok((top, skip))
}

/// The body of a create (no `authorizationId`) or an update (with it). On update, a field left
/// out keeps its value.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PatRequest {
    authorization_id: Option<String>,
    display_name: Option<String>,
    scope: Option<String>,
    valid_to: Option<String>,
    all_orgs: Option<bool>,
}

fn parse_body(body: &[u8]) -> Result<PatRequest, Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(vss_error(
            StatusCode::BAD_REQUEST,
            "ArgumentNullException",
            "Value cannot be null. Parameter name: tokenRequest",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        vss_error(
            StatusCode::BAD_REQUEST,
            "VssPropertyValidationException",
            &format!("The request body could not be read: {e}"),
        )
    })
}

/// A call of the PAT API: the caller, admitted to this organization (bearer token, api-version,
/// organization policy), and the query.
pub(super) struct PatCall {
    s: Arc<DevopsStandIn>,
    org: String,
    q: HashMap<String, String>,
    caller: super::Caller,
}

/// Whether the call's api-version is 7.2 or later: an expiry past the lifetime policy is
/// shortened, and refusals carry `patTokenErrorMessage`.
fn newer(q: &HashMap<String, String>) -> bool {
    q.get("api-version").is_some_and(|v| v.as_str() >= "7.2")
}

impl PatCall {
    async fn admit(parts: &mut Parts, s: &Arc<DevopsStandIn>) -> Result<Self, Response> {
        let Path(org) =
            Path::<String>::from_request_parts(parts, s).await.map_err(IntoResponse::into_response)?;
        let Query(q) = Query::<HashMap<String, String>>::from_request_parts(parts, s)
            .await
            .map_err(IntoResponse::into_response)?;
        let need = super::scopes::Need::pats(&parts.method);
        let caller = s.enter_org(&parts.headers, &q, &org, true, need).await?;
        Ok(PatCall { s: s.clone(), org, q, caller })
    }
}

impl FromRequestParts<Arc<DevopsStandIn>> for PatCall {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &Arc<DevopsStandIn>) -> Result<Self, Response> {
        Self::admit(parts, s).await
    }
}

/// A create or update: the call, and the request's body.
pub(super) struct PatWrite {
    s: Arc<DevopsStandIn>,
    org: String,
    caller: super::Caller,
    req: PatRequest,
    /// api-version 7.2 or later: an expiry past the policy is shortened, not refused.
    newer: bool,
}

/// The largest body a create or update may have.
const MAX_BODY_BYTES: usize = 64 * 1024;

impl FromRequest<Arc<DevopsStandIn>> for PatWrite {
    type Rejection = Response;

    async fn from_request(req: Request, s: &Arc<DevopsStandIn>) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let PatCall { s, org, caller, q } = PatCall::admit(&mut parts, s).await?;
        let body = axum::body::to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| {
            vss_error(StatusCode::PAYLOAD_TOO_LARGE, "ArgumentException", "The request body is too large.")
        })?;
        let newer = newer(&q);
        Ok(PatWrite { s, org, caller, req: parse_body(&body)?, newer })
    }
}

pub(super) async fn create(PatWrite { s, org, caller, req, newer }: PatWrite) -> Response {
    let now = s.now();
    let checked = (|| {
        let name = check_name(req.display_name.as_deref().unwrap_or(""))?;
        let scope = check_scope(req.scope.as_deref().unwrap_or(""), &org)?;
        check_creation(&scope, &org)?;
        let valid_to = match req.valid_to.as_deref() {
            Some(v) => check_valid_to(v, &org, now, now, newer)?,
            None => now + Duration::days(DEFAULT_LIFETIME_DAYS),
        };
        if req.all_orgs == Some(true) {
            check_global(&org, now)?;
        }
        Ok::<_, &'static str>((name, scope, valid_to))
    })();
    let (name, scope, valid_to) = match checked {
        Ok(c) => c,
        Err(e) => return refused_in(e, newer),
    };
    let pat = StoredPat {
        id: uuid::Uuid::new_v4().to_string(),
        name,
        scope,
        valid_from: now,
        valid_to,
        org: if req.all_orgs.unwrap_or(false) { None } else { Some(org) },
        revoked: false,
    };
    let mut answer = pat.to_json();
    s.with_tokens(&caller.oid, |all| all.push(pat));
    // The secret goes into this one answer and nowhere else.
    answer["token"] = Value::String(new_secret());
    found(answer)
}

/// Changes what the body names and keeps the rest. A revoked token is not found; an expired one
/// cannot change (`expiredPatCannotBeExtended`, since March 2026).
pub(super) async fn update(PatWrite { s, org, caller, req, newer }: PatWrite) -> Response {
    let Some(id) = req.authorization_id.as_deref().and_then(|i| uuid::Uuid::parse_str(i).ok()) else {
        return refused("invalidAuthorizationId");
    };
    let id = id.to_string();
    let now = s.now();
    s.with_tokens(&caller.oid, |all| {
        let Some(pat) = all.iter_mut().find(|p| p.id == id && p.visible_in(&org) && !p.revoked) else {
            return refused("authorizationNotFound");
        };
        if pat.valid_to <= now {
            return refused_in("expiredPatCannotBeExtended", newer);
        }
        let checked = (|| {
            let name = req.display_name.as_deref().map(check_name).transpose()?;
            let scope = req.scope.as_deref().map(|sc| check_scope(sc, &org)).transpose()?;
            let valid_to = req
                .valid_to
                .as_deref()
                .map(|v| check_valid_to(v, &org, pat.valid_from, now, newer))
                .transpose()?;
            if req.all_orgs == Some(true) && pat.org.is_some() {
                check_global(&org, now)?;
            }
            Ok::<_, &'static str>((name, scope, valid_to))
        })();
        let (name, scope, valid_to) = match checked {
            Ok(c) => c,
            Err(e) => return refused_in(e, newer),
        };
        if let Some(n) = name {
            pat.name = n;
        }
        if let Some(sc) = scope {
            pat.scope = sc;
        }
        if let Some(t) = valid_to {
            pat.valid_to = t;
        }
        match req.all_orgs {
            Some(true) => pat.org = None,
            Some(false) if pat.org.is_none() => pat.org = Some(org.clone()),
            _ => {}
        }
        found(pat.to_json())
    })
}

pub(super) async fn revoke(PatCall { s, org, q, caller }: PatCall) -> Response {
    let Some(id) = q.get("authorizationId").filter(|i| !i.is_empty()) else {
        return vss_error(
            StatusCode::BAD_REQUEST,
            "ArgumentNullException",
            "Value cannot be null. Parameter name: authorizationId",
        );
    };
    let found = s.with_tokens(&caller.oid, |all| {
        all.iter_mut()
            .find(|p| p.id.eq_ignore_ascii_case(id) && p.visible_in(&org))
            .map(|p| p.revoked = true)
            .is_some()
    });
    if found {
        StatusCode::NO_CONTENT.into_response()
    } else {
        vss_error(
            StatusCode::NOT_FOUND,
            "SessionTokenNotFoundException",
            &format!("The personal access token with authorization id {id} was not found."),
        )
    }
}
