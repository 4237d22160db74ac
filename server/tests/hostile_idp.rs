//! A hostile or broken identity provider, one case per test: each sign-in is refused with a
//! clear reason, no session is created, and no token appears in any log line.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;
use server::demo::misbehave::Misbehaviour;

/// Runs one sign-in against a misbehaving provider; returns where the app sent the browser.
async fn sign_in_with(m: Misbehaviour, hooks: TestHooks) -> (TestApp, reqwest::Client, String) {
    let app = spawn_demo_with(hooks).await;
    app.running.demo.as_ref().unwrap().entra.misbehave(Some(m)).unwrap();
    let c = browser();
    let res = get_html(&c, &app.url("/auth/sign-in?return_to=/")).await;
    let to = location(&res);
    if !to.starts_with("http") {
        // Refused before the provider was even asked (discovery).
        return (app, c, to);
    }
    let authorize = url::Url::parse(&to).unwrap();
    let callback = app.pick_user(&c, &authorize, "adele").await;
    let to = location(&get_html(&c, &callback).await);
    (app, c, to)
}

async fn assert_refused(m: Misbehaviour, reason: &str) {
    assert_refused_with(m, reason, TestHooks::default()).await
}

async fn assert_refused_with(m: Misbehaviour, reason: &str, hooks: TestHooks) {
    let (app, c, to) = sign_in_with(m, hooks).await;
    assert!(
        to.starts_with(&format!("/signin-problem?reason={reason}")),
        "{m:?}: sent to {to}, expected {reason}"
    );
    let page = get_html(&c, &app.url(&to)).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Sign-in did not complete"));
    let viewer: Value = c.get(app.url(app::routes::api::ME)).send().await.unwrap().json().await.unwrap();
    assert_eq!(viewer["user"], Value::Null, "{m:?}: no session may be created");
    let res = c.get(app.url("/api/pats?filter=active")).send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["kind"], "not_signed_in");
    let logs = logs();
    assert!(!logs.contains("eyJ"), "{m:?}: a JWT reached the logs");
    assert!(!logs.contains(&app.client_secret()), "{m:?}: the client secret reached the logs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_signature() {
    assert_refused(Misbehaviour::BadSignature, "invalid_token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alg_none() {
    assert_refused(Misbehaviour::AlgNone, "invalid_token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hs256_signed_with_the_public_key() {
    assert_refused(Misbehaviour::Hs256KeyConfusion, "invalid_token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kid() {
    assert_refused(Misbehaviour::UnknownKid, "invalid_token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kid_absent_with_several_keys() {
    assert_refused(Misbehaviour::NoKidSeveralKeys, "invalid_token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_issuer() {
    assert_refused(Misbehaviour::WrongIssuer, "invalid_token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_tid_for_the_organizations_authority() {
    let hooks = TestHooks { demo_authority_tenant: Some("organizations".into()), ..Default::default() };
    assert_refused_with(Misbehaviour::WrongTid, "invalid_token", hooks).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_tid_for_the_common_authority() {
    let hooks = TestHooks { demo_authority_tenant: Some("common".into()), ..Default::default() };
    assert_refused_with(Misbehaviour::WrongTid, "invalid_token", hooks).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_audience() {
    assert_refused(Misbehaviour::WrongAudience, "invalid_token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audience_array_without_our_client() {
    assert_refused(Misbehaviour::AudienceArrayWithoutClient, "invalid_token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired() {
    assert_refused(Misbehaviour::Expired, "invalid_token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nbf_in_the_future() {
    assert_refused(Misbehaviour::NotYetValid, "invalid_token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iat_far_in_the_future() {
    assert_refused(Misbehaviour::IssuedInFuture, "invalid_token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonce_missing() {
    assert_refused(Misbehaviour::NoNonce, "invalid_token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonce_mismatch() {
    assert_refused(Misbehaviour::WrongNonce, "invalid_token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sub_missing() {
    assert_refused(Misbehaviour::NoSub, "invalid_token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_invalid_grant() {
    let (_, _, to) = sign_in_with(Misbehaviour::TokenInvalidGrant, TestHooks::default()).await;
    assert_eq!(to, "/signin-problem?reason=token&code=AADSTS50173");
    assert_refused(Misbehaviour::TokenInvalidGrant, "token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_500() {
    assert_refused(Misbehaviour::Token500, "unavailable").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_timeout() {
    let hooks = TestHooks { http_timeout: Some(Duration::from_millis(800)), ..Default::default() };
    assert_refused_with(Misbehaviour::TokenTimeout, "unavailable", hooks).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_answering_html() {
    assert_refused(Misbehaviour::TokenHtml, "unavailable").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_endpoint_down() {
    assert_refused(Misbehaviour::JwksDown, "unavailable").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_issuer_mismatch_for_a_tenant_authority() {
    assert_refused(Misbehaviour::DiscoveryIssuerMismatch, "misconfigured").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_not_allowed() {
    capture_logs();
    let app =
        spawn_demo_env(TestHooks::default(), &[("ALLOWED_TENANTS", "11111111-2222-3333-4444-555555555555")])
            .await;
    let c = browser();
    assert_eq!(app.sign_in(&c, "adele", "/").await, "/signin-problem?reason=tenant");
    let viewer: Value = c.get(app.url(app::routes::api::ME)).send().await.unwrap().json().await.unwrap();
    assert_eq!(viewer["user"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organizations_authority_accepts_a_good_token() {
    let hooks = TestHooks { demo_authority_tenant: Some("organizations".into()), ..Default::default() };
    let app = spawn_demo_with(hooks).await;
    let c = browser();
    assert_eq!(app.sign_in(&c, "adele", "/").await, "/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_rotation_mid_session_succeeds_after_one_refetch() {
    let app = spawn_demo().await;
    let c = browser();
    assert_eq!(app.sign_in(&c, "adele", "/").await, "/");
    let new_kid = app.running.demo.as_ref().unwrap().entra.rotate_key().unwrap();
    // The app has the old key set cached; the new kid makes it refetch once.
    let c2 = browser();
    assert_eq!(app.sign_in(&c2, "megan", "/").await, "/", "sign-in with the rotated key ({new_kid}) works");
    let viewer: Value = c2.get(app.url(app::routes::api::ME)).send().await.unwrap().json().await.unwrap();
    assert_eq!(viewer["user"]["name"], "Megan Bowen");
    // And the DevOps stand-in accepts access tokens signed with the new key.
    assert_eq!(c2.get(app.url("/api/pats?filter=active")).send().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_state_is_refused() {
    let app = spawn_demo().await;
    let c = browser();
    let authorize = app.start_sign_in(&c, "/").await;
    let callback = app.pick_user(&c, &authorize, "adele").await;
    let url = url::Url::parse(&callback).unwrap();
    let code: String = url.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let res = get_html(&c, &app.url(&format!("/getAToken?code={code}"))).await;
    assert_eq!(location(&res), "/signin-problem?reason=expired");
    let viewer: Value = c.get(app.url(app::routes::api::ME)).send().await.unwrap().json().await.unwrap();
    assert_eq!(viewer["user"], Value::Null);
}
