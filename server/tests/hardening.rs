//! Rate limits and request ids.

mod common;

use common::*;
use reqwest::header::RETRY_AFTER;
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::TestHooks;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starting_sign_ins_is_rate_limited_per_session_and_address() {
    let app = spawn_demo_env(TestHooks::default(), &[("RATE_LIMIT_SIGN_INS", "2")]).await;
    let c = browser();
    for _ in 0..2 {
        let res = get_html(&c, &app.url("/auth/sign-in?return_to=/")).await;
        assert_eq!(res.status(), StatusCode::FOUND);
    }
    let res = get_html(&c, &app.url("/auth/sign-in?return_to=/")).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers()[RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=61).contains(&wait), "{wait}");
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Too many sign-in attempts") && page.contains(&format!("Try again in {wait} seconds"))
    );
    // Another browser (no session yet) from the same address has the address's larger budget...
    let other = browser();
    for _ in 0..10 {
        assert_eq!(get_html(&other, &app.url("/auth/sign-in")).await.status(), StatusCode::FOUND);
    }
    // ...which runs out too (2 per session, 12 per address per minute).
    assert_eq!(get_html(&other, &app.url("/auth/sign-in")).await.status(), StatusCode::TOO_MANY_REQUESTS);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_tokens_is_rate_limited_and_the_error_says_when_to_retry() {
    let app = spawn_demo_env(TestHooks::default(), &[("RATE_LIMIT_TOKEN_CREATES", "2")]).await;
    let c = browser();
    app.sign_in(&c, "megan", "/").await;
    let create = |n: usize| {
        c.post(app.url("/api/pats/create"))
            .header("content-type", "application/json")
            .body(
                json!({ "org": null, "form": { "name": format!("limit {n}"), "scopes": ["vso.code"],
                    "expiry": { "kind": "days", "value": 7 }, "all_orgs": false } })
                .to_string(),
            )
            .send()
    };
    for n in 0..2 {
        assert_eq!(create(n).await.unwrap().status(), StatusCode::OK);
    }
    let res = create(3).await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers()[RETRY_AFTER].to_str().unwrap().parse().unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, json!({ "kind": "too_many_requests", "retry_after_secs": wait }));
    // Reads are not limited.
    for _ in 0..5 {
        let res = c.get(app.url("/api/pats?filter=active")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_has_an_id_in_its_response_and_in_its_log_lines() {
    let app = spawn_demo().await;
    let c = browser();
    app.sign_in(&c, "lee", "/").await;
    let res = c.get(app.url("/api/pats?filter=active")).send().await.unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 16);
    assert_eq!(res.status(), StatusCode::OK);
    let logs = logs();
    let lines: Vec<&str> = logs.lines().filter(|l| l.contains(&id)).collect();
    assert!(lines.len() >= 2, "the request's lines carry its id: {lines:?}");
    assert!(lines.iter().any(|l| l.contains("/api/pats")));
    // A page too.
    let res = get_html(&c, &app.url("/tokens")).await;
    assert_eq!(res.headers()["x-request-id"].to_str().unwrap().len(), 16);
    app.shutdown().await;
}
