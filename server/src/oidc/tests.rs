//! Tests of oidc.

use super::*;

#[test]
fn aadsts_codes_are_found_in_descriptions() {
    assert_eq!(aadsts_code("AADSTS50011: The redirect URI ...").as_deref(), Some("AADSTS50011"));
    assert_eq!(aadsts_code("x AADSTS7000215: Invalid client secret").as_deref(), Some("AADSTS7000215"));
    assert_eq!(aadsts_code("no code here"), None);
}

#[test]
fn discovered_issuers_must_belong_to_the_authority() {
    let a = |s: &str| Url::parse(s).unwrap();
    let tid = "7b0c2f4e-5d1a-4c3b-9e8f-0a1b2c3d4e5f";
    let ms = "https://login.microsoftonline.com";
    assert!(check_discovered_issuer(&a(&format!("{ms}/{tid}")), &format!("{ms}/{tid}/v2.0")).is_ok());
    assert!(check_discovered_issuer(&a(&format!("{ms}/organizations")), &format!("{ms}/{{tenantid}}/v2.0"))
        .is_ok());
    assert!(check_discovered_issuer(&a(&format!("{ms}/common")), &format!("{ms}/{{tenantid}}/v2.0")).is_ok());
    assert!(check_discovered_issuer(
        &a(&format!("{ms}/contoso.onmicrosoft.com")),
        &format!("{ms}/{tid}/v2.0")
    )
    .is_ok());
    assert!(check_discovered_issuer(&a(&format!("{ms}/{tid}")), "https://evil.example/x/v2.0").is_err());
    assert!(check_discovered_issuer(&a(&format!("{ms}/{tid}")), &format!("{ms}/{{tenantid}}/v2.0")).is_err());
    assert!(check_discovered_issuer(&a(&format!("{ms}/common")), &format!("{ms}/{tid}/v2.0")).is_err());
}

#[test]
fn token_sets_do_not_debug_their_tokens() {
    let t = TokenSet {
        access_token: Secret::new("eyJabc"),
        refresh_token: Some(Secret::new("r-1")),
        expires_at: 5,
        scope: None,
    };
    let s = format!("{t:?}");
    assert!(!s.contains("eyJabc") && !s.contains("r-1"));
}

#[test]
fn interaction_errors_are_recognised() {
    let e = OidcError::Provider { error: "invalid_grant".into(), aadsts: None };
    assert!(e.needs_interaction());
    let e = OidcError::Provider { error: "invalid_client".into(), aadsts: None };
    assert!(!e.needs_interaction());
}

/// A key set server on loopback that counts its requests and can be taken down.
async fn key_server() -> (String, Arc<std::sync::atomic::AtomicUsize>, Arc<std::sync::atomic::AtomicBool>) {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let (hits, up) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(true)));
    let (h, u) = (hits.clone(), up.clone());
    let app = axum::Router::new().route(
        "/keys",
        axum::routing::get(move || {
            let (h, u) = (h.clone(), u.clone());
            async move {
                h.fetch_add(1, Ordering::SeqCst);
                if u.load(Ordering::SeqCst) {
                    (axum::http::StatusCode::OK, r#"{"keys":[]}"#)
                } else {
                    (axum::http::StatusCode::SERVICE_UNAVAILABLE, "down")
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/keys"), hits, up)
}

/// Makes the cached key set a day and a second old.
async fn age_keys(c: &OidcClient) {
    let mut held = c.jwks.write().await;
    let (set, _) = held.clone().unwrap();
    *held = Some((set, Instant::now() - discovery::JWKS_TTL - Duration::from_secs(1)));
}

#[tokio::test]
async fn the_key_set_is_refetched_once_old_and_kept_while_the_provider_is_down() {
    use std::sync::atomic::Ordering;
    let (jwks_uri, hits, up) = key_server().await;
    let reg = Registration {
        authority: Url::parse("https://login.microsoftonline.com/contoso.example").unwrap(),
        client_id: "c".into(),
        credential: ClientCredential::Secret(Secret::new("s")),
        redirect_uri: Url::parse("http://127.0.0.1/getAToken").unwrap(),
        scopes: vec![],
        manage_scopes: vec![],
        allowed_tenants: vec![],
        basic_auth: false,
    };
    let client = OidcClient::new(http_client(Duration::from_secs(5)), reg);
    let d = Discovery {
        issuer: "i".into(),
        authorization_endpoint: "a".into(),
        token_endpoint: "t".into(),
        jwks_uri,
        end_session_endpoint: None,
    };
    client.jwks(&d, false).await.unwrap();
    client.jwks(&d, false).await.unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 1, "cached");
    // A day later: fetched again.
    age_keys(&client).await;
    client.jwks(&d, false).await.unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 2, "refetched on its TTL");
    // Old again, and the provider down: the keys held still verify.
    age_keys(&client).await;
    up.store(false, Ordering::SeqCst);
    assert!(client.jwks(&d, false).await.is_ok());
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    // And not asked again at every verification while it is down.
    assert!(client.jwks(&d, false).await.is_ok());
    assert_eq!(hits.load(Ordering::SeqCst), 3, "a failed refetch waits before the next");
}
