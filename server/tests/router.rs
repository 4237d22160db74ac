//! The router driven in-process with `oneshot` (no socket): plain endpoints, the release
//! Content-Security-Policy, the CSRF guard and the demo stack's mount points.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;
use tower::ServiceExt;

async fn call(req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let res = demo_router(&[]).await.oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    (parts.status, parts.headers, String::from_utf8_lossy(&bytes).into_owned())
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).header(header::HOST, "127.0.0.1:1").body(Body::empty()).unwrap()
}

#[tokio::test]
async fn health_and_readiness_answer_without_a_socket() {
    let (status, _, body) = call(get(app::routes::HEALTHZ)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    // Readiness asks the identity provider's discovery over HTTP: nothing listens at this
    // router's public URL, so the demo provider cannot answer, and readiness says so.
    let (status, _, body) = call(get(app::routes::READYZ)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body, "not ready: identity provider discovery");
}

#[tokio::test]
async fn a_page_carries_the_release_policy_exactly_when_not_under_cargo_leptos_watch() {
    let (status, headers, _) = call(get("/about")).await;
    assert_eq!(status, StatusCode::OK);
    let csp = headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap();
    let expected =
        "default-src 'self'; script-src 'self' 'nonce-NONCE' 'wasm-unsafe-eval'; style-src 'self'; \
        img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
        form-action 'self' http://127.0.0.1:1; frame-ancestors 'none'";
    let nonce = csp.split("'nonce-").nth(1).and_then(|r| r.split('\'').next()).unwrap();
    assert_eq!(csp.replace(nonce, "NONCE"), expected);
    assert_eq!(headers.get("x-frame-options").unwrap(), "DENY");
    assert_eq!(headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
}

#[tokio::test]
async fn a_write_from_another_site_is_refused_before_it_reaches_the_portal() {
    let req = Request::post(app::routes::api::REVOKE_PAT)
        .header(header::HOST, "127.0.0.1:1")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"id":"4b1f1a5e-0000-0000-0000-000000000001"}"#))
        .unwrap();
    let (status, _, body) = call(req).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("\"kind\":\"forbidden\""), "{body}");
}

#[tokio::test]
async fn the_demo_stack_is_mounted_under_demo() {
    let tenant = "7b0c2f4e-5d1a-4c3b-9e8f-0a1b2c3d4e5f";
    let (status, headers, body) =
        call(get(&format!("/demo/entra/{tenant}/v2.0/.well-known/openid-configuration"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("\"issuer\":\"http://127.0.0.1:1/demo/entra/"), "{body}");
    assert!(headers
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("default-src 'none'"));
}

#[tokio::test]
async fn the_problem_page_shows_only_codes_that_look_like_the_identity_providers() {
    let (_, _, page) = call(get("/signin-problem?reason=idp&code=AADSTS50011")).await;
    assert!(page.contains("AADSTS50011"), "a real code is shown");
    let (_, _, page) = call(get("/signin-problem?reason=idp&code=CallUsAt5550100")).await;
    assert!(!page.contains("CallUsAt5550100"), "free text in the link is not");
}

/// Over https: the session cookie is `__Host-` prefixed and Secure, and HSTS is sent. The app
/// signs in against a demo identity provider on a real listener (http on loopback is allowed),
/// and the request names the public host, so the sign-in starts here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_the_cookie_is_host_prefixed_and_secure_and_hsts_is_sent() {
    let idp = spawn_demo().await;
    let secret = idp.client_secret();
    let authority = idp.url("/demo/entra/7b0c2f4e-5d1a-4c3b-9e8f-0a1b2c3d4e5f");
    let env = [
        ("CLIENT_ID", server::demo::DEMO_CLIENT_ID),
        ("CLIENT_SECRET", secret.as_str()),
        ("AUTHORITY", authority.as_str()),
        ("DEVOPS_ORGANIZATION", "fabrikam-demo"),
    ];
    let router = router_at("https://pats.example.com", &env).await;
    let req = Request::get(app::routes::SIGN_IN)
        .header(header::HOST, "pats.example.com")
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .unwrap();
    let res = router.oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert!(
        res.headers()[header::LOCATION].to_str().unwrap().starts_with(&authority),
        "to the identity provider"
    );
    // The sign-in in progress waits in its own cookie, host-prefixed and Secure like the session's.
    let cookie =
        res.headers().get(header::SET_COOKIE).expect("the sign-in cookie").to_str().unwrap().to_string();
    assert!(cookie.starts_with("__Host-pat_portal_signin="), "{cookie}");
    assert!(cookie.contains("Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"), "{cookie}");
    assert!(server::SESSION_COOKIE_HTTPS.starts_with("__Host-"));
    assert_eq!(res.headers()["strict-transport-security"], "max-age=31536000; includeSubDomains");
    idp.shutdown().await;
}
