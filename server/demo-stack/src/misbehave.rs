//! Test-only switches that make the demo identity provider misbehave, one hostile case at a time.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use super::keys::SigningKey;

/// One way the identity provider can be wrong. Set with `EntraStandIn::misbehave`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehaviour {
    BadSignature,
    AlgNone,
    /// HS256 signed with the RSA public key (the key-confusion attack).
    Hs256KeyConfusion,
    /// Signed with a key the JWKS never publishes.
    UnknownKid,
    /// No `kid` in the header while the JWKS has several keys.
    NoKidSeveralKeys,
    WrongIssuer,
    /// A `tid` other than the one in `iss` (matters for the `{tenantid}` template).
    WrongTid,
    WrongAudience,
    AudienceArrayWithoutClient,
    Expired,
    NotYetValid,
    IssuedInFuture,
    NoNonce,
    WrongNonce,
    NoSub,
    TokenInvalidGrant,
    Token500,
    /// The token endpoint answers after the client has given up.
    TokenTimeout,
    TokenHtml,
    JwksDown,
    /// Discovery names an issuer that does not belong to the authority.
    DiscoveryIssuerMismatch,
}

impl Misbehaviour {
    /// Changes the ID token's claims as this case requires.
    pub fn claims(self, c: &mut Value, now: u64) {
        match self {
            Misbehaviour::WrongIssuer => c["iss"] = json!("https://evil.example/7b0c2f4e/v2.0"),
            Misbehaviour::WrongTid => c["tid"] = json!("99999999-9999-4999-8999-999999999999"),
            Misbehaviour::WrongAudience => c["aud"] = json!("another-application"),
            Misbehaviour::AudienceArrayWithoutClient => c["aud"] = json!(["another-application", "a-third"]),
            Misbehaviour::Expired => {
                c["exp"] = json!(now - 3600);
                c["iat"] = json!(now - 7200);
                c["nbf"] = json!(now - 7200);
            }
            Misbehaviour::NotYetValid => c["nbf"] = json!(now + 3600),
            Misbehaviour::IssuedInFuture => c["iat"] = json!(now + 3600),
            Misbehaviour::NoNonce => {
                c.as_object_mut().map(|o| o.remove("nonce"));
            }
            Misbehaviour::WrongNonce => c["nonce"] = json!("not-the-nonce-of-this-sign-in"),
            Misbehaviour::NoSub => {
                c.as_object_mut().map(|o| o.remove("sub"));
            }
            _ => {}
        }
    }

    /// Signs the ID token as this case requires; `None` means "sign normally".
    pub fn sign(self, claims: &Value, key: &SigningKey, stray: Option<&SigningKey>) -> Option<String> {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        match self {
            Misbehaviour::BadSignature => {
                let good = key.sign(claims);
                let mut other = claims.clone();
                other["name"] = json!("Mallory");
                let forged = key.sign(&other);
                let (g, f): (Vec<&str>, Vec<&str>) = (good.split('.').collect(), forged.split('.').collect());
                Some(format!("{}.{}.{}", g[0], g[1], f[2]))
            }
            Misbehaviour::AlgNone => {
                let h =
                    URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT", "kid": key.kid}).to_string());
                let p = URL_SAFE_NO_PAD.encode(claims.to_string());
                Some(format!("{h}.{p}."))
            }
            Misbehaviour::Hs256KeyConfusion => {
                let mut h = Header::new(Algorithm::HS256);
                h.kid = Some(key.kid.clone());
                jsonwebtoken::encode(&h, claims, &EncodingKey::from_secret(key.public_n().as_bytes())).ok()
            }
            Misbehaviour::UnknownKid => stray.map(|k| k.sign(claims)),
            Misbehaviour::NoKidSeveralKeys => {
                Some(key.sign_with_header(&Header::new(Algorithm::RS256), claims))
            }
            _ => None,
        }
    }
}
