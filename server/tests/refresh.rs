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
    for call in calls {
        assert_eq!(call.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(entra.refreshes.load(Ordering::SeqCst), 1, "one refresh for all concurrent calls");

    // The new token is fresh: no further refresh.
    assert_eq!(c.get(app.url("/api/pats?filter=active")).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(entra.refreshes.load(Ordering::SeqCst), 1);
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
