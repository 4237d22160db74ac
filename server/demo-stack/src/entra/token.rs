//! The token endpoint: authorization codes with PKCE, refresh tokens that rotate, and the tokens it issues (access token for Azure DevOps, ID token, refresh token).

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::client_auth::authenticate_client;
use super::errors::{invalid_grant, invalid_request, tenant_not_found, unsupported_grant_type};
use super::{CodeGrant, EntraStandIn, CODE_TTL_SECS};
use crate::misbehave::Misbehaviour;
use crate::reference::DEVOPS_RESOURCE;
use crate::{now_secs, random_token};

type S = State<Arc<EntraStandIn>>;

pub(super) async fn token(
    State(s): S,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if !EntraStandIn::known_tenant(&tenant) {
        return tenant_not_found(&tenant);
    }
    // Entra refuses client credentials from browsers (CORS requests carry Origin).
    if headers.contains_key(header::ORIGIN) {
        return invalid_request(
            9002326,
            "Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type.",
        );
    }
    match s.misbehaviour() {
        Some(Misbehaviour::TokenInvalidGrant) => {
            return invalid_grant(
                50173,
                "The provided grant has expired due to it being revoked, a fresh auth token is needed.",
            )
        }
        Some(Misbehaviour::Token500) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<html><body>Internal Server Error</body></html>"),
            )
                .into_response()
        }
        Some(Misbehaviour::TokenHtml) => {
            return Html("<!DOCTYPE html><html><body>Sign in to your account</body></html>").into_response()
        }
        Some(Misbehaviour::TokenTimeout) => tokio::time::sleep(std::time::Duration::from_secs(5)).await,
        _ => {}
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let client_id = match authenticate_client(&s, &tenant, &headers, &form) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => redeem_code(&s, &client_id, &form),
        Some("refresh_token") => redeem_refresh(&s, &client_id, &form),
        Some(other) => unsupported_grant_type(&format!(
            "The app requested an unsupported grant type '{}'.",
            other.chars().take(40).collect::<String>()
        )),
        None => {
            invalid_request(900144, "The request body must contain the following parameter: 'grant_type'.")
        }
    }
}

/// What an authorization code was issued for, taken once (any attempt spends the code).
fn take_code(s: &EntraStandIn, code: &str) -> Result<CodeGrant, Response> {
    let mut codes = s.codes.lock().unwrap_or_else(|e| e.into_inner());
    let Some(g) = codes.get_mut(code) else {
        return Err(invalid_grant(
            9002313,
            "Invalid request. The authorization code is malformed or invalid.",
        ));
    };
    if g.redeemed {
        return Err(invalid_grant(
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an \
             existing refresh token.",
        ));
    }
    // Spent by any attempt, so a stolen code cannot be tried against many verifiers.
    g.redeemed = true;
    Ok(g.clone())
}

fn redeem_code(s: &EntraStandIn, client_id: &str, form: &HashMap<String, String>) -> Response {
    let Some(code) = form.get("code") else {
        return invalid_request(900144, "The request body must contain the following parameter: 'code'.");
    };
    let g = match take_code(s, code) {
        Ok(g) => g,
        Err(r) => return r,
    };
    if now_secs().saturating_sub(g.issued_at) > CODE_TTL_SECS {
        return invalid_grant(
            70008,
            "The provided authorization code or refresh token has expired due to inactivity.",
        );
    }
    if g.client_id != client_id {
        return invalid_grant(70000, "The provided authorization code was issued to another application.");
    }
    if form.get("redirect_uri") != Some(&g.redirect_uri) {
        return invalid_grant(
            500112,
            "The reply address does not match the reply address provided when requesting the authorization code.",
        );
    }
    let Some(verifier) = form.get("code_verifier") else {
        return invalid_grant(
            50148,
            "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.",
        );
    };
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != g.code_challenge {
        return invalid_grant(
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
        );
    }
    let sid = uuid::Uuid::new_v4().to_string();
    s.issued_sids.lock().unwrap_or_else(|e| e.into_inner()).push((s.users[g.user].key.clone(), sid.clone()));
    issue_tokens(s, client_id, &g.scope, g.user, &sid, g.nonce.as_deref())
}

/// A refresh token is a JWT signed with the provider's key (so it survives a restart, as the
/// key does): who, for which client and scopes, in which sign-in session, and its own id (`jti`)
/// so that a rotated-out token is refused. Only this stand-in reads it.
#[derive(serde::Serialize, serde::Deserialize)]
struct RefreshClaims {
    typ: String,
    client_id: String,
    scope: String,
    /// The demo user's key.
    user: String,
    sid: String,
    jti: String,
    /// `revoke_all_grants` moves the generation on; older tokens are refused.
    generation: u64,
    /// Issued at (Unix seconds): Entra's refresh tokens for web apps last 90 days.
    iat: u64,
}

/// How long a refresh token may be redeemed (Entra: 90 days for confidential clients).
const REFRESH_TTL_SECS: u64 = 90 * 24 * 3600;

const REFRESH_TYP: &str = "demo-refresh";

fn refresh_token(s: &EntraStandIn, client_id: &str, scope: &str, user: usize, sid: &str) -> String {
    s.current_key().sign(&RefreshClaims {
        typ: REFRESH_TYP.into(),
        client_id: client_id.into(),
        scope: scope.into(),
        user: s.users[user].key.clone(),
        sid: sid.into(),
        jti: random_token(16),
        generation: s.grant_generation.load(Ordering::SeqCst),
        iat: now_secs(),
    })
}

/// The claims of a refresh token this provider signed with one of its published keys.
fn open_refresh_token(s: &EntraStandIn, rt: &str) -> Option<RefreshClaims> {
    let kid = jsonwebtoken::decode_header(rt).ok()?.kid?;
    let key = s.key(&kid)?;
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_required_spec_claims::<&str>(&[]);
    v.validate_exp = false;
    v.validate_aud = false;
    let claims = jsonwebtoken::decode::<RefreshClaims>(rt, &key.decoding, &v).ok()?.claims;
    (claims.typ == REFRESH_TYP).then_some(claims)
}

fn redeem_refresh(s: &EntraStandIn, client_id: &str, form: &HashMap<String, String>) -> Response {
    let Some(rt) = form.get("refresh_token") else {
        return invalid_request(
            900144,
            "The request body must contain the following parameter: 'refresh_token'.",
        );
    };
    let user =
        open_refresh_token(s, rt).and_then(|c| s.users.iter().position(|u| u.key == c.user).map(|u| (c, u)));
    let Some((claims, user)) = user else {
        return invalid_grant(9002313, "Invalid request. The refresh token is malformed or invalid.");
    };
    if now_secs().saturating_sub(claims.iat) > REFRESH_TTL_SECS {
        return invalid_grant(
            70008,
            "The provided authorization code or refresh token has expired due to inactivity.",
        );
    }
    let revoked = claims.generation < s.grant_generation.load(Ordering::SeqCst)
        || s.spent_refresh.lock().unwrap_or_else(|e| e.into_inner()).contains(&claims.jti);
    if revoked {
        return invalid_grant(
            50173,
            "The provided grant has expired due to it being revoked, a fresh auth token is needed.",
        );
    }
    if claims.client_id != client_id {
        return invalid_grant(70000, "The refresh token was issued to another application.");
    }
    // Rotation: each refresh token is good once (a concurrent second use loses here).
    if !s.spent_refresh.lock().unwrap_or_else(|e| e.into_inner()).insert(claims.jti.clone()) {
        return invalid_grant(
            50173,
            "The provided grant has expired due to it being revoked, a fresh auth token is needed.",
        );
    }
    // The scopes asked for now decide what comes back: as with Entra, a refresh token only when
    // `offline_access` is among them, and only permissions the user consented to.
    let scope = form.get("scope").filter(|sc| !sc.trim().is_empty()).unwrap_or(&claims.scope);
    if !s.missing_consent(&claims.user, scope).is_empty() {
        return invalid_grant(
            65001,
            "The user or administrator has not consented to use the application. Send an interactive authorization request for this user and resource.",
        );
    }
    s.refreshes.fetch_add(1, Ordering::SeqCst);
    issue_tokens(s, client_id, scope, user, &claims.sid, None)
}

/// The ID token, signed as the current misbehaviour (if any) says.
fn id_token(
    s: &EntraStandIn,
    client_id: &str,
    user: usize,
    sid: &str,
    nonce: Option<&str>,
    now: u64,
) -> String {
    let u = &s.users[user];
    let key = s.current_key();
    let sub = URL_SAFE_NO_PAD.encode(&Sha256::digest(format!("{}:{client_id}", u.oid).as_bytes())[..24]);
    let mut claims = json!({
        "aud": client_id, "iss": s.issuer_for(u.tenant), "iat": now, "nbf": now, "exp": now + 3600,
        "sub": sub, "oid": u.oid, "tid": u.tenant, "sid": sid, "ver": "2.0",
        "name": u.name, "preferred_username": u.username,
        // Entra's optional claim, an opaque value the app sends back as `logout_hint`.
        "login_hint": URL_SAFE_NO_PAD.encode(format!("O.{}.{}", u.oid, u.tenant)),
    });
    if let Some(n) = nonce {
        claims["nonce"] = json!(n);
    }
    let misbehaviour = s.misbehaviour();
    if let Some(m) = misbehaviour {
        m.claims(&mut claims, now);
    }
    let stray = s.stray_key.lock().unwrap_or_else(|e| e.into_inner()).clone();
    misbehaviour.and_then(|m| m.sign(&claims, &key, stray.as_deref())).unwrap_or_else(|| key.sign(&claims))
}

fn issue_tokens(
    s: &EntraStandIn,
    client_id: &str,
    scope: &str,
    user: usize,
    sid: &str,
    nonce: Option<&str>,
) -> Response {
    let u = &s.users[user];
    let now = now_secs();
    let granted = s.token_scopes(&u.key, scope);
    let access = s.current_key().sign(&json!({
        "aud": DEVOPS_RESOURCE, "iss": s.issuer_for(u.tenant), "iat": now, "nbf": now, "exp": now + s.access_token_ttl,
        "oid": u.oid, "tid": u.tenant, "sub": u.oid, "name": u.name, "upn": u.username,
        "scp": granted.join(" "), "appid": client_id, "ver": "1.0",
    }));
    let scopes: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
    let mut body = json!({
        "token_type": "Bearer",
        "scope": granted.iter().map(|g| format!("{DEVOPS_RESOURCE}/{g}")).collect::<Vec<_>>().join(" "),
        "expires_in": s.access_token_ttl,
        "ext_expires_in": s.access_token_ttl,
        "access_token": access,
    });
    if scopes.contains(&"openid") {
        body["id_token"] = json!(id_token(s, client_id, user, sid, nonce, now));
    }
    if scopes.contains(&"offline_access") {
        body["refresh_token"] = json!(refresh_token(s, client_id, scope, user, sid));
    }
    ([(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")], Json(body)).into_response()
}
