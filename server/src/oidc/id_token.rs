//! ID-token validation: signature by `kid`, issuer (with Entra's multi-tenant template), audience, times, nonce.

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};

/// How much clock difference is tolerated between us and the identity provider.
pub const CLOCK_SKEW_SECS: u64 = 120;

/// The claims the app reads from the ID token.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct IdClaims {
    pub iss: String,
    pub sub: String,
    #[serde(default)]
    pub iat: Option<u64>,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub tid: Option<String>,
    #[serde(default)]
    pub oid: Option<String>,
    #[serde(default)]
    pub sid: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// Why an ID token was refused. The text names the check, never the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token is signed with {0}, but only RS256 is accepted")]
    Algorithm(String),
    #[error("the token names no key (kid) and the key set has several")]
    NoKid,
    #[error("the token's key (kid) is not in the provider's key set")]
    UnknownKey,
    #[error("the signature does not verify")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token was issued in the future")]
    IssuedInFuture,
    #[error("the token is for another application (aud)")]
    Audience,
    #[error("the token comes from another issuer (iss)")]
    Issuer,
    #[error("the token's tenant is not allowed")]
    TenantNotAllowed,
    #[error("the token's nonce does not match this sign-in")]
    Nonce,
    #[error("the token lacks the {0} claim")]
    MissingClaim(&'static str),
}

/// What the token must match.
pub struct Expectations<'a> {
    /// The discovered issuer; may contain `{tenantid}` (the `common` and `organizations` authorities).
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    /// Tenants allowed to sign in; empty allows any.
    pub allowed_tenants: &'a [String],
    pub now: u64,
}

/// The issuer a token from tenant `tid` must carry, given the discovered issuer.
pub fn expected_issuer(discovered: &str, tid: Option<&str>) -> Option<String> {
    if discovered.contains("{tenantid}") {
        tid.map(|t| discovered.replace("{tenantid}", t))
    } else {
        Some(discovered.to_string())
    }
}

/// Picks the key the token header names. `UnknownKey` tells the caller to refetch the key set once.
pub fn select_key<'k>(token: &str, keys: &'k JwkSet) -> Result<&'k Jwk, IdTokenError> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| match e.kind() {
        // `alg: none` and other algorithms this library does not know fail to parse here.
        jsonwebtoken::errors::ErrorKind::Json(_) => unsupported_alg(token),
        _ => IdTokenError::Malformed,
    })?;
    if header.alg != Algorithm::RS256 {
        return Err(IdTokenError::Algorithm(format!("{:?}", header.alg)));
    }
    match header.kid {
        Some(kid) => keys.find(&kid).ok_or(IdTokenError::UnknownKey),
        None if keys.keys.len() == 1 => Ok(&keys.keys[0]),
        None => Err(IdTokenError::NoKid),
    }
}

fn unsupported_alg(token: &str) -> IdTokenError {
    use base64::Engine;
    let alg = token
        .split('.')
        .next()
        .and_then(|h| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(h).ok())
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v.get("alg").and_then(|a| a.as_str()).map(str::to_string));
    match alg {
        Some(a) => IdTokenError::Algorithm(a),
        None => IdTokenError::Malformed,
    }
}

/// Validates a token against a key the header named (see [`select_key`]).
pub fn validate(token: &str, key: &Jwk, expect: &Expectations<'_>) -> Result<IdClaims, IdTokenError> {
    if let Some(alg) = &key.common.key_algorithm {
        if !matches!(alg, jsonwebtoken::jwk::KeyAlgorithm::RS256) {
            return Err(IdTokenError::Algorithm(format!("{alg:?}")));
        }
    }
    let decoding = DecodingKey::from_jwk(key).map_err(|_| IdTokenError::Signature)?;
    let mut v = Validation::new(Algorithm::RS256);
    v.leeway = CLOCK_SKEW_SECS;
    v.validate_nbf = true;
    v.set_audience(&[expect.client_id]);
    v.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
    let data = jsonwebtoken::decode::<IdClaims>(token, &decoding, &v).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind as K;
        match e.kind() {
            K::InvalidSignature | K::InvalidRsaKey(_) | K::InvalidAlgorithm => IdTokenError::Signature,
            K::ExpiredSignature => IdTokenError::Expired,
            K::ImmatureSignature => IdTokenError::NotYetValid,
            K::InvalidAudience => IdTokenError::Audience,
            K::MissingRequiredClaim(c) => IdTokenError::MissingClaim(match c.as_str() {
                "exp" => "exp",
                "aud" => "aud",
                "iss" => "iss",
                _ => "sub",
            }),
            _ => IdTokenError::Malformed,
        }
    })?;
    let claims = data.claims;

    if let Some(iat) = claims.iat {
        if iat > expect.now + CLOCK_SKEW_SECS {
            return Err(IdTokenError::IssuedInFuture);
        }
    }
    // Entra's `common`/`organizations` issuer is a template: the token's own `tid` fills it in,
    // and the result must equal the token's `iss` exactly.
    let issuer = expected_issuer(expect.issuer, claims.tid.as_deref()).ok_or(IdTokenError::MissingClaim("tid"))?;
    if claims.iss != issuer {
        return Err(IdTokenError::Issuer);
    }
    if !expect.allowed_tenants.is_empty() {
        let tid = claims.tid.as_deref().ok_or(IdTokenError::MissingClaim("tid"))?;
        if !expect.allowed_tenants.iter().any(|t| t.eq_ignore_ascii_case(tid)) {
            return Err(IdTokenError::TenantNotAllowed);
        }
    }
    match claims.nonce.as_deref() {
        None => return Err(IdTokenError::MissingClaim("nonce")),
        Some(n) if !constant_time_eq(n.as_bytes(), expect.nonce.as_bytes()) => return Err(IdTokenError::Nonce),
        Some(_) => {}
    }
    if claims.sub.is_empty() {
        return Err(IdTokenError::MissingClaim("sub"));
    }
    Ok(claims)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
