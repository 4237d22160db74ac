//! ID-token header and claims parsing and validation, with arbitrary JSON in a well-formed token
//! (so the parser, not only the base64 decoder, is exercised) or an arbitrary string.
#![no_main]

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use libfuzzer_sys::fuzz_target;
use server::oidc::id_token::{select_key, validate, Expectations};

fn keys() -> &'static JwkSet {
    static KEYS: OnceLock<JwkSet> = OnceLock::new();
    KEYS.get_or_init(|| {
        let key = server::demo::keys::SigningKey::generate().expect("a key");
        serde_json::from_value(serde_json::json!({ "keys": [key.jwk()] })).expect("a key set")
    })
}

fuzz_target!(|data: &[u8]| {
    let token = match data.first() {
        // Three parts split at 0xFF: header JSON, claims JSON, signature bytes.
        Some(b) if b % 2 == 0 => {
            let mut parts = data[1..].splitn(3, |b| *b == 0xff);
            let h = parts.next().unwrap_or_default();
            let c = parts.next().unwrap_or_default();
            let s = parts.next().unwrap_or_default();
            format!("{}.{}.{}", URL_SAFE_NO_PAD.encode(h), URL_SAFE_NO_PAD.encode(c), URL_SAFE_NO_PAD.encode(s))
        }
        _ => String::from_utf8_lossy(data).into_owned(),
    };
    let keys = keys();
    let tenants = vec!["7b0c2f4e-5d1a-4c3b-9e8f-0a1b2c3d4e5f".to_string()];
    let expect = Expectations {
        issuer: "https://login.microsoftonline.com/{tenantid}/v2.0",
        client_id: "client",
        nonce: "nonce",
        allowed_tenants: &tenants,
        now: 1_800_000_000,
    };
    if let Ok(key) = select_key(&token, keys) {
        // No forged token can pass: the fuzzer cannot sign with the private key.
        assert!(validate(&token, key, &expect).is_err());
    }
});
