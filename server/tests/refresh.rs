//! The token cache: refresh before expiry, one refresh at a time per session, and a revoked grant.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_needing_a_refresh_refresh_exactly_once() {
    // Tokens live 302 s: fresh at sign-in, inside the 5-minute margin two seconds later.
    let app = spawn_demo_with(TestHooks { demo_access_token_ttl: Some(302), ..Default::default() }).await;
    let c = browser();
    app.sign_in(&c, "adele", "/").await;
    let entra = app.running.demo.as_ref().unwrap().entra.clone();
    assert_eq!(entra.refreshes.load(Ordering::SeqCst), 0);
    tokio::time::sleep(Duration::from_millis(2100)).await;

    let calls = (0..6).map(|_| {
        let (c, url) = (c.clone(), app.url("/api/pats?filter=active"));
        tokio::spawn(async move { c.get(url).send().await.unwrap().status() })
    });
    // Spawned now, all of them, before any is awaited: they really run at once.
    let calls: Vec<_> = calls.collect();
    for call in calls {
        assert_eq!(call.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(entra.refreshes.load(Ordering::SeqCst), 1, "one refresh for all concurrent calls");

    // The new token is fresh: no further refresh.
    assert_eq!(c.get(app.url("/api/pats?filter=active")).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(entra.refreshes.load(Ordering::SeqCst), 1);

    // The refresh asked for `offline_access`, so it brought a new refresh token (the old one
    // is spent): the next refresh works too.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(c.get(app.url("/api/pats?filter=active")).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(entra.refreshes.load(Ordering::SeqCst), 2, "a second refresh, with the rotated token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_grant_asks_for_sign_in_again() {
    let app = spawn_demo_with(TestHooks { demo_access_token_ttl: Some(60), ..Default::default() }).await;
    let c = browser();
    app.sign_in(&c, "adele", "/").await;
    app.running.demo.as_ref().unwrap().entra.revoke_all_grants();

    let res = c.get(app.url("/api/pats?filter=active")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.json::<Value>().await.unwrap()["kind"], "session_expired");

    // Signing in again works and lands where asked.
    assert_eq!(app.sign_in(&c, "adele", "/about").await, "/about");
    assert_eq!(c.get(app.url("/api/pats?filter=active")).send().await.unwrap().status(), StatusCode::OK);
}

/// Issue #12, gap 4: a refresh that finishes after sign-out must not save the ended session back.
/// The token endpoint is made slow (5 s), a call that needs a refresh starts, the user signs out
/// while it waits, and afterwards the old cookie must still be worthless.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_finishing_after_sign_out_does_not_bring_the_session_back() {
    use reqwest::cookie::CookieStore;
    use server::demo::misbehave::Misbehaviour;
    let app = spawn_demo_with(TestHooks { demo_access_token_ttl: Some(302), ..Default::default() }).await;
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let c = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    app.sign_in(&c, "adele", "/").await;
    let base = url::Url::parse(&app.base).unwrap();
    let cookie = jar.cookies(&base).unwrap().to_str().unwrap().to_string();
    let entra = app.running.demo.as_ref().unwrap().entra.clone();
    entra.misbehave(Some(Misbehaviour::TokenTimeout)).unwrap();
    // Tokens live 302 s: inside the 5-minute margin two seconds after sign-in.
    tokio::time::sleep(Duration::from_millis(2100)).await;

    let slow = {
        let (c, url) = (c.clone(), app.url("/api/pats?filter=active"));
        tokio::spawn(async move { c.get(url).send().await.unwrap().status() })
    };
    tokio::time::sleep(Duration::from_millis(800)).await;
    let out = c.post(app.url(app::routes::SIGN_OUT)).header("accept", "text/html").send().await.unwrap();
    assert!(out.status().is_redirection(), "signed out while the refresh waits");
    let _ = slow.await.unwrap();
    entra.misbehave(None).unwrap();
    assert_eq!(entra.refreshes.load(Ordering::SeqCst), 1, "the refresh did finish, after the sign-out");

    let fresh = reqwest::Client::new();
    let me: Value = fresh
        .get(app.url(app::routes::api::ME))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"], Value::Null, "the old cookie stays worthless: {me}");
}
