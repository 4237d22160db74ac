//! How the app proves itself at the token endpoint: a client secret, or a certificate
//! (`private_key_jwt`: a short-lived client assertion signed with the certificate's key).

use std::path::Path;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::oidc::now_secs;
use crate::secret::Secret;

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

pub enum ClientCredential {
    Secret(Secret),
    Certificate(ClientCertificate),
}

impl std::fmt::Debug for ClientCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientCredential::Secret(_) => f.write_str("ClientCredential::Secret([redacted])"),
            ClientCredential::Certificate(c) => write!(f, "ClientCertificate(x5t#S256={})", c.thumbprint),
        }
    }
}

/// A certificate and its private key, from one PEM file.
#[derive(Clone)]
pub struct ClientCertificate {
    /// base64url(SHA-256 of the certificate's DER): the `x5t#S256` header.
    pub thumbprint: String,
    /// The certificate's DER, for whoever must register it (the demo stand-in).
    pub der: Vec<u8>,
    key: EncodingKey,
}

impl ClientCertificate {
    /// Reads a PEM file holding a `CERTIFICATE` and a `PRIVATE KEY` (PKCS#8) or `RSA PRIVATE KEY`.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::from_pem(&text)
    }

    pub fn from_pem(text: &str) -> Result<Self, String> {
        let der = pem_block(text, "CERTIFICATE").ok_or("no CERTIFICATE block")?;
        let key_pem = ["PRIVATE KEY", "RSA PRIVATE KEY"]
            .iter()
            .find_map(|label| pem_text(text, label))
            .ok_or("no PRIVATE KEY block")?;
        let key =
            EncodingKey::from_rsa_pem(key_pem.as_bytes()).map_err(|e| format!("the private key: {e}"))?;
        Ok(ClientCertificate { thumbprint: URL_SAFE_NO_PAD.encode(Sha256::digest(&der)), der, key })
    }

    /// A client assertion for one token request: audience the token endpoint, 10 minutes at most.
    pub fn assertion(&self, client_id: &str, token_endpoint: &str) -> Result<String, String> {
        let mut header = Header::new(Algorithm::RS256);
        header.x5t_s256 = Some(self.thumbprint.clone());
        let now = now_secs();
        let claims = json!({
            "aud": token_endpoint, "iss": client_id, "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(), "iat": now, "nbf": now, "exp": now + 600,
        });
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| format!("cannot sign the client assertion: {e}"))
    }
}

/// The whole `-----BEGIN label-----` … `-----END label-----` block.
fn pem_text(text: &str, label: &str) -> Option<String> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)?;
    let stop = text[start..].find(&end)? + start + end.len();
    Some(text[start..stop].to_string())
}

/// The DER bytes inside a PEM block.
fn pem_block(text: &str, label: &str) -> Option<Vec<u8>> {
    let block = pem_text(text, label)?;
    let body: String = block.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body.trim()).ok()
}
