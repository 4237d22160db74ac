//! RSA signing keys for the demo identity provider: generated, or read back from the demo stack's state file (`persist`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};

pub struct SigningKey {
    pub kid: String,
    /// PKCS#1 DER of the private key, for the state file.
    der: Vec<u8>,
    encoding: EncodingKey,
    pub decoding: DecodingKey,
    n: String,
    e: String,
}

impl SigningKey {
    pub fn generate() -> Result<Self, String> {
        let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).map_err(|e| e.to_string())?;
        Self::from_private(&private)
    }

    /// A key kept earlier (PKCS#1 DER, as [`SigningKey::to_der`] gives it).
    pub fn from_der(der: &[u8]) -> Result<Self, String> {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        let private = rsa::RsaPrivateKey::from_pkcs1_der(der).map_err(|e| e.to_string())?;
        Self::from_private(&private)
    }

    fn from_private(private: &rsa::RsaPrivateKey) -> Result<Self, String> {
        let der = private.to_pkcs1_der().map_err(|e| e.to_string())?;
        let n = URL_SAFE_NO_PAD.encode(private.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(private.e().to_bytes_be());
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(n.as_bytes())[..12]);
        let decoding = DecodingKey::from_rsa_components(&n, &e).map_err(|e| e.to_string())?;
        let encoding = EncodingKey::from_rsa_der(der.as_bytes());
        Ok(SigningKey { kid, der: der.as_bytes().to_vec(), encoding, decoding, n, e })
    }

    /// The private key as PKCS#1 DER (only the state file holds it).
    pub fn to_der(&self) -> &[u8] {
        &self.der
    }

    /// An RS256 JWT with this key's `kid`.
    pub fn sign<T: serde::Serialize>(&self, claims: &T) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        self.sign_with_header(&header, claims)
    }

    pub fn sign_with_header<T: serde::Serialize>(&self, header: &Header, claims: &T) -> String {
        jsonwebtoken::encode(header, claims, &self.encoding).unwrap_or_default()
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> serde_json::Value {
        serde_json::json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid, "n": self.n, "e": self.e,
        })
    }

    /// The modulus bytes (base64url) — what a key-confusion attacker would use as an HMAC secret.
    pub fn public_n(&self) -> &str {
        &self.n
    }
}
