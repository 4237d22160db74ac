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
    #[serde(default)]
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
    /// Entra's optional `login_hint` claim: sent back as `logout_hint` at sign-out, so Entra
    /// signs this account out without asking which one.
    #[serde(default)]
    pub login_hint: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// One audience or several; with several, `azp` must name this client.
    #[serde(default)]
    pub aud: serde_json::Value,
    /// The authorized party: the client the token was issued to.
    #[serde(default)]
    pub azp: Option<String>,
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
    check_claims(&claims, expect)?;
    Ok(claims)
}

/// The checks the JWT library does not make: issued-at, issuer (with Entra's template), tenant,
/// nonce, subject and authorized party.
fn check_claims(claims: &IdClaims, expect: &Expectations<'_>) -> Result<(), IdTokenError> {
    if let Some(iat) = claims.iat {
        if iat > expect.now + CLOCK_SKEW_SECS {
            return Err(IdTokenError::IssuedInFuture);
        }
    }
    // Entra's `common`/`organizations` issuer is a template: the token's own `tid` fills it in,
    // and the result must equal the token's `iss` exactly.
    let issuer =
        expected_issuer(expect.issuer, claims.tid.as_deref()).ok_or(IdTokenError::MissingClaim("tid"))?;
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
        Some(n) if !crate::secret::constant_time_eq(n.as_bytes(), expect.nonce.as_bytes()) => {
            return Err(IdTokenError::Nonce)
        }
        Some(_) => {}
    }
    if claims.sub.is_empty() {
        return Err(IdTokenError::MissingClaim("sub"));
    }
    // OpenID Connect Core 3.1.3.7: a token for several audiences must name us as its
    // authorized party, or another audience could have asked for it.
    let several = claims.aud.as_array().is_some_and(|a| a.len() > 1);
    if several && claims.azp.as_deref() != Some(expect.client_id) {
        return Err(IdTokenError::Audience);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::keys::SigningKey;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;
    use std::sync::OnceLock;

    const NOW: u64 = 1_800_000_000;
    const TID: &str = "7b0c2f4e-5d1a-4c3b-9e8f-0a1b2c3d4e5f";

    fn key() -> &'static SigningKey {
        static K: OnceLock<SigningKey> = OnceLock::new();
        K.get_or_init(|| SigningKey::generate().unwrap())
    }

    fn keyset() -> JwkSet {
        serde_json::from_value(json!({ "keys": [key().jwk()] })).unwrap()
    }

    fn claims() -> serde_json::Value {
        json!({
            "iss": format!("https://login.example/{TID}/v2.0"), "aud": "client-1", "sub": "s-1",
            "tid": TID, "oid": "o-1", "nonce": "n-1", "iat": NOW, "nbf": NOW, "exp": NOW + 3600,
            "name": "Adele", "preferred_username": "adele@contoso.demo",
        })
    }

    fn check(token: &str, issuer: &str) -> Result<IdClaims, IdTokenError> {
        check_with(token, issuer, &[])
    }

    fn check_with(token: &str, issuer: &str, allowed: &[String]) -> Result<IdClaims, IdTokenError> {
        let set = keyset();
        let k = select_key(token, &set)?;
        // jsonwebtoken checks exp/nbf against the real clock; shift the claims to "now" instead.
        let expect =
            Expectations { issuer, client_id: "client-1", nonce: "n-1", allowed_tenants: allowed, now: NOW };
        validate(token, k, &expect)
    }

    /// Claims relative to the real clock, since the library reads it for exp and nbf.
    fn live(mut c: serde_json::Value) -> serde_json::Value {
        let now = crate::oidc::now_secs() as i64;
        for f in ["iat", "nbf", "exp"] {
            if let Some(v) = c.get(f).and_then(|v| v.as_i64()) {
                c[f] = json!(now + (v - NOW as i64));
            }
        }
        c
    }

    fn expect_now(token: &str, issuer: &str) -> Result<IdClaims, IdTokenError> {
        let set = keyset();
        let k = select_key(token, &set)?;
        let expect = Expectations {
            issuer,
            client_id: "client-1",
            nonce: "n-1",
            allowed_tenants: &[],
            now: crate::oidc::now_secs(),
        };
        validate(token, k, &expect)
    }

    const ISS: &str = "https://login.example/7b0c2f4e-5d1a-4c3b-9e8f-0a1b2c3d4e5f/v2.0";
    const TEMPLATE: &str = "https://login.example/{tenantid}/v2.0";

    #[test]
    fn a_good_token_passes_for_tenant_and_template_issuers() {
        let t = key().sign(&live(claims()));
        assert_eq!(expect_now(&t, ISS).unwrap().oid.as_deref(), Some("o-1"));
        assert!(expect_now(&t, TEMPLATE).is_ok());
    }

    #[test]
    fn the_template_uses_the_tokens_own_tid() {
        let mut c = live(claims());
        c["tid"] = json!("00000000-0000-0000-0000-000000000000");
        let t = key().sign(&c);
        assert_eq!(expect_now(&t, TEMPLATE).unwrap_err(), IdTokenError::Issuer);
        assert_eq!(expected_issuer(TEMPLATE, Some("abc")).as_deref(), Some("https://login.example/abc/v2.0"));
    }

    #[test]
    fn tenants_outside_the_allow_list_are_refused() {
        let t = key().sign(&live(claims()));
        let set = keyset();
        let k = select_key(&t, &set).unwrap();
        let allowed = vec!["11111111-1111-1111-1111-111111111111".to_string()];
        let expect = Expectations {
            issuer: TEMPLATE,
            client_id: "client-1",
            nonce: "n-1",
            allowed_tenants: &allowed,
            now: crate::oidc::now_secs(),
        };
        assert_eq!(validate(&t, k, &expect).unwrap_err(), IdTokenError::TenantNotAllowed);
    }

    #[test]
    fn alg_none_and_hmac_key_confusion_are_refused() {
        use base64::Engine;
        let b64 =
            |v: serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let none = format!("{}.{}.", b64(json!({"alg": "none", "typ": "JWT"})), b64(live(claims())));
        assert!(matches!(check(&none, ISS), Err(IdTokenError::Algorithm(a)) if a == "none"));

        let mut h = Header::new(jsonwebtoken::Algorithm::HS256);
        h.kid = Some(key().kid.clone());
        let hs =
            jsonwebtoken::encode(&h, &live(claims()), &EncodingKey::from_secret(key().public_n().as_bytes()))
                .unwrap();
        assert!(matches!(check(&hs, ISS), Err(IdTokenError::Algorithm(_))));
    }

    #[test]
    fn signatures_and_kids_are_checked() {
        let t = key().sign(&live(claims()));
        // The payload of one token with the signature of another.
        let mut other = live(claims());
        other["name"] = json!("Mallory");
        let forged_payload = key().sign(&other);
        let parts: Vec<&str> = t.split('.').collect();
        let forged = format!("{}.{}.{}", parts[0], forged_payload.split('.').nth(1).unwrap(), parts[2]);
        assert_eq!(expect_now(&forged, ISS).unwrap_err(), IdTokenError::Signature);

        let mut h = Header::new(jsonwebtoken::Algorithm::RS256);
        h.kid = Some("other".into());
        assert_eq!(check(&key().sign_with_header(&h, &claims()), ISS).unwrap_err(), IdTokenError::UnknownKey);

        // No kid with a single key uses that key; with several it is refused.
        let no_kid = key().sign_with_header(&Header::new(jsonwebtoken::Algorithm::RS256), &live(claims()));
        assert!(expect_now(&no_kid, ISS).is_ok());
        let mut two = keyset();
        let mut other = two.keys[0].clone();
        other.common.key_id = Some("second".into());
        two.keys.push(other);
        assert_eq!(select_key(&no_kid, &two).unwrap_err(), IdTokenError::NoKid);
    }

    #[test]
    fn times_audience_issuer_and_nonce_are_checked() {
        let with = |f: &str, v: serde_json::Value| {
            let mut c = claims();
            c[f] = v;
            key().sign(&live(c))
        };
        assert_eq!(expect_now(&with("exp", json!(NOW - 600)), ISS).unwrap_err(), IdTokenError::Expired);
        assert_eq!(expect_now(&with("nbf", json!(NOW + 3000)), ISS).unwrap_err(), IdTokenError::NotYetValid);
        assert_eq!(
            expect_now(&with("iat", json!(NOW + 3000)), ISS).unwrap_err(),
            IdTokenError::IssuedInFuture
        );
        assert_eq!(expect_now(&with("aud", json!("someone-else")), ISS).unwrap_err(), IdTokenError::Audience);
        assert_eq!(expect_now(&with("aud", json!(["a", "b"])), ISS).unwrap_err(), IdTokenError::Audience);
        assert_eq!(
            expect_now(&with("aud", json!(["a", "client-1"])), ISS).unwrap_err(),
            IdTokenError::Audience,
            "several audiences without azp"
        );
        let mut c = claims();
        c["aud"] = json!(["a", "client-1"]);
        c["azp"] = json!("client-1");
        assert!(expect_now(&key().sign(&live(c.clone())), ISS).is_ok(), "azp names this client");
        c["azp"] = json!("a");
        assert_eq!(expect_now(&key().sign(&live(c)), ISS).unwrap_err(), IdTokenError::Audience);
        assert!(expect_now(&with("aud", json!(["client-1"])), ISS).is_ok(), "a one-element array");
        assert_eq!(
            expect_now(&with("iss", json!("https://evil.example/v2.0")), ISS).unwrap_err(),
            IdTokenError::Issuer
        );
        assert_eq!(expect_now(&with("nonce", json!("other")), ISS).unwrap_err(), IdTokenError::Nonce);

        let mut c = live(claims());
        c.as_object_mut().unwrap().remove("nonce");
        assert_eq!(expect_now(&key().sign(&c), ISS).unwrap_err(), IdTokenError::MissingClaim("nonce"));
        let mut c = live(claims());
        c.as_object_mut().unwrap().remove("sub");
        assert_eq!(expect_now(&key().sign(&c), ISS).unwrap_err(), IdTokenError::MissingClaim("sub"));
    }
}
