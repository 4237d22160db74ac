//! The registered client and how it authenticates at the token endpoint: `client_secret_post`, `client_secret_basic` or `private_key_jwt` with an uploaded certificate.

use std::collections::HashMap;

use axum::http::{header, HeaderMap};
use axum::response::Response;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use sha2::{Digest, Sha256};

use super::errors::{invalid_client, invalid_request, unauthorized_client};
use super::EntraStandIn;

/// The one application registered with the stand-in: the portal itself.
pub struct RegisteredClient {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// An uploaded certificate: client assertions signed with its key are accepted.
    pub certificate: Option<RegisteredCertificate>,
}

pub struct RegisteredCertificate {
    /// base64url(SHA-256 of the DER): what `x5t#S256` must name.
    pub thumbprint: String,
    pub key: jsonwebtoken::DecodingKey,
}

impl RegisteredCertificate {
    /// Registers a certificate (DER) as Entra does when one is uploaded to an app registration.
    pub fn from_der(der: &[u8]) -> Result<Self, String> {
        use rsa::pkcs8::DecodePublicKey;
        use rsa::traits::PublicKeyParts;
        use x509_cert::der::{Decode, Encode};
        let cert =
            x509_cert::Certificate::from_der(der).map_err(|e| format!("not an X.509 certificate: {e}"))?;
        let spki = cert.tbs_certificate.subject_public_key_info.to_der().map_err(|e| e.to_string())?;
        let public =
            rsa::RsaPublicKey::from_public_key_der(&spki).map_err(|e| format!("not an RSA key: {e}"))?;
        let key = jsonwebtoken::DecodingKey::from_rsa_components(
            &URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            &URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        )
        .map_err(|e| e.to_string())?;
        Ok(RegisteredCertificate { thumbprint: URL_SAFE_NO_PAD.encode(Sha256::digest(der)), key })
    }
}

/// Client authentication: `client_secret_post` or `client_secret_basic`.
/// `private_key_jwt`: the assertion must name the registered certificate (`x5t#S256`), verify with
/// its key, be for this token endpoint, come from the client itself, be unexpired and unused.
fn authenticate_assertion(
    s: &EntraStandIn,
    tenant: &str,
    form: &HashMap<String, String>,
    assertion: &str,
) -> Result<String, Response> {
    let refuse = |code: u32, msg: &str| invalid_client(code, msg);
    s.client_auth_methods.lock().unwrap_or_else(|e| e.into_inner()).push("private_key_jwt");
    let id = form.get("client_id").cloned().unwrap_or_default();
    if id != s.client.client_id {
        return Err(refuse(700016, "Application not found in the directory."));
    }
    let Some(cert) = &s.client.certificate else {
        return Err(refuse(
            700027,
            "Client assertion failed signature validation: no certificate is registered.",
        ));
    };
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| refuse(700027, "The client assertion is malformed."))?;
    if header.x5t_s256.as_deref() != Some(cert.thumbprint.as_str()) {
        return Err(refuse(
            700027,
            "Client assertion failed signature validation: the key (x5t#S256) was not found.",
        ));
    }
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&[format!("{}/{tenant}/oauth2/v2.0/token", s.base)]);
    v.set_issuer(&[&s.client.client_id]);
    v.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
    let data = jsonwebtoken::decode::<serde_json::Value>(assertion, &cert.key, &v)
        .map_err(|_| refuse(700027, "Client assertion failed signature validation."))?;
    if data.claims.get("sub").and_then(|v| v.as_str()) != Some(s.client.client_id.as_str()) {
        return Err(refuse(700023, "The client assertion's subject is not the client."));
    }
    let jti = data.claims.get("jti").and_then(|v| v.as_str()).unwrap_or_default().to_string();
    if jti.is_empty() || !s.used_jtis.lock().unwrap_or_else(|e| e.into_inner()).insert(jti) {
        return Err(refuse(700021, "The client assertion was already used."));
    }
    Ok(id)
}

pub(super) fn authenticate_client(
    s: &EntraStandIn,
    tenant: &str,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<String, Response> {
    if let Some(assertion) = form.get("client_assertion") {
        if form.get("client_assertion_type").map(String::as_str) != Some(crate::ASSERTION_TYPE) {
            return Err(invalid_request(50027, "Unsupported client_assertion_type."));
        }
        return authenticate_assertion(s, tenant, form, assertion);
    }
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(a, b)| (form_decode(a), form_decode(b))));
    let method = if basic.is_some() { "client_secret_basic" } else { "client_secret_post" };
    s.client_auth_methods.lock().unwrap_or_else(|e| e.into_inner()).push(method);
    let (id, secret) = match basic {
        Some((id, secret)) => (id, Some(secret)),
        None => (form.get("client_id").cloned().unwrap_or_default(), form.get("client_secret").cloned()),
    };
    if id != s.client.client_id {
        return Err(unauthorized_client(
            700016,
            &format!(
                "Application with identifier '{}' was not found in the directory.",
                id.chars().take(64).collect::<String>()
            ),
        ));
    }
    match secret {
        None => Err(invalid_client(7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        )),
        Some(sec) if sec.as_bytes() != s.client.client_secret.as_bytes() => Err(invalid_client(7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
        )),
        Some(_) => Ok(id),
    }
}

fn form_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}
