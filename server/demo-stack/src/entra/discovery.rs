//! Discovery (the OpenID configuration of a tenant) and the published signing keys (JWKS).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::errors::tenant_not_found;
use super::{EntraStandIn, DEMO_TENANT};
use crate::misbehave::Misbehaviour;

type S = State<Arc<EntraStandIn>>;

pub(super) async fn discovery(State(s): S, Path(tenant): Path<String>) -> Response {
    if !EntraStandIn::known_tenant(&tenant) {
        return tenant_not_found(&tenant);
    }
    let issuer = match tenant.as_str() {
        // As Entra does: the multi-tenant authorities publish a template.
        "common" | "organizations" => s.issuer_for("{tenantid}"),
        t => s.issuer_for(EntraStandIn::tenant_id(t).unwrap_or(DEMO_TENANT)),
    };
    let issuer = if s.misbehaviour() == Some(Misbehaviour::DiscoveryIssuerMismatch) {
        "https://login.evil.example/7b0c2f4e-5d1a-4c3b-9e8f-0a1b2c3d4e5f/v2.0".to_string()
    } else {
        issuer
    };
    let t = format!("{}/{}", s.base, tenant);
    let doc = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{t}/oauth2/v2.0/authorize"),
        "token_endpoint": format!("{t}/oauth2/v2.0/token"),
        "end_session_endpoint": format!("{t}/oauth2/v2.0/logout"),
        "jwks_uri": format!("{t}/discovery/v2.0/keys"),
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "name", "preferred_username", "oid", "tid", "sid", "ver"],
        "tenant_region_scope": "EU",
    });
    ([(header::CACHE_CONTROL, "max-age=86400, private")], Json(doc)).into_response()
}

pub(super) async fn keys(State(s): S, Path(tenant): Path<String>) -> Response {
    if !EntraStandIn::known_tenant(&tenant) {
        return tenant_not_found(&tenant);
    }
    if s.misbehaviour() == Some(Misbehaviour::JwksDown) {
        return (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response();
    }
    let keys: Vec<_> = s.keys.read().unwrap_or_else(|p| p.into_inner()).iter().map(|k| k.jwk()).collect();
    ([(header::CACHE_CONTROL, "max-age=86400, private")], Json(json!({ "keys": keys }))).into_response()
}
