//! The demo stand-ins behave like Entra ID and Azure DevOps where the client depends on it.

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::*;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

const TENANT: &str = "7b0c2f4e-5d1a-4c3b-9e8f-0a1b2c3d4e5f";

/// An authorization code obtained with our own PKCE pair, as a third-party client would.
async fn code_for(app: &TestApp, verifier: &str) -> String {
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let mut authorize = Url::parse(&app.url(&format!("/demo/entra/{TENANT}/oauth2/v2.0/authorize"))).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("client_id", server::demo::DEMO_CLIENT_ID)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", &app.url("/getAToken"))
        .append_pair(
            "scope",
            "openid profile offline_access 499b84ac-1321-427f-aa17-267ca6975798/user_impersonation",
        )
        .append_pair("state", "s")
        .append_pair("nonce", "n")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let callback = app.pick_user(&browser(), &authorize, "megan").await;
    let q: std::collections::HashMap<String, String> =
        Url::parse(&callback).unwrap().query_pairs().into_owned().collect();
    assert_eq!(q["state"], "s");
    q["code"].clone()
}

async fn token(app: &TestApp, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let res = reqwest::Client::new()
        .post(app.url(&format!("/demo/entra/{TENANT}/oauth2/v2.0/token")))
        .form(form)
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

fn aadsts(v: &Value) -> i64 {
    v["error_codes"][0].as_i64().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_endpoint_checks_pkce_secret_and_single_use() {
    let app = spawn_demo().await;
    let secret = app.client_secret();
    let redirect = app.url("/getAToken");
    let verifier = "a-verifier-that-is-long-enough-to-be-valid-0123456789";

    let code = code_for(&app, verifier).await;
    let (status, body) = token(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect),
            ("code_verifier", "the-wrong-verifier-0123456789-0123456789-0123456789"),
            ("client_id", server::demo::DEMO_CLIENT_ID),
            ("client_secret", &secret),
        ],
    )
    .await;
    assert_eq!((status, body["error"].as_str().unwrap()), (StatusCode::BAD_REQUEST, "invalid_grant"));
    assert_eq!(aadsts(&body), 501481);
    assert!(body["error_description"].as_str().unwrap().starts_with("AADSTS501481:"));
    assert!(body["correlation_id"].is_string() && body["trace_id"].is_string());

    // The code was spent by that attempt.
    let good = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect.as_str()),
        ("code_verifier", verifier),
        ("client_id", server::demo::DEMO_CLIENT_ID),
        ("client_secret", secret.as_str()),
    ];
    let (_, body) = token(&app, &good).await;
    assert_eq!(aadsts(&body), 54005);

    // A fresh code: wrong secret, no secret, wrong redirect URI.
    let code = code_for(&app, verifier).await;
    let mut f = good.to_vec();
    f[1] = ("code", &code);
    f[5] = ("client_secret", "wrong");
    let (status, body) = token(&app, &f).await;
    assert_eq!((status, aadsts(&body)), (StatusCode::UNAUTHORIZED, 7000215));
    f.pop();
    let (_, body) = token(&app, &f).await;
    assert_eq!(aadsts(&body), 7000218);

    let code = code_for(&app, verifier).await;
    let mut f = good.to_vec();
    f[1] = ("code", &code);
    f[2] = ("redirect_uri", "http://127.0.0.1:1/other");
    let (_, body) = token(&app, &f).await;
    assert_eq!(aadsts(&body), 500112);

    // A browser (Origin header) may not redeem with client credentials.
    let code = code_for(&app, verifier).await;
    let mut f = good.to_vec();
    f[1] = ("code", &code);
    let res = reqwest::Client::new()
        .post(app.url(&format!("/demo/entra/{TENANT}/oauth2/v2.0/token")))
        .header("Origin", "http://evil.example")
        .form(&f)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_tokens_rotate_and_the_old_one_is_refused() {
    let app = spawn_demo().await;
    let secret = app.client_secret();
    let redirect = app.url("/getAToken");
    let verifier = "another-verifier-that-is-long-enough-0123456789-abcdef";
    let code = code_for(&app, verifier).await;
    let (status, body) = token(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect),
            ("code_verifier", verifier),
            ("client_id", server::demo::DEMO_CLIENT_ID),
            ("client_secret", &secret),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["id_token"].is_string() && body["access_token"].is_string());
    let rt1 = body["refresh_token"].as_str().unwrap().to_string();

    let refresh = |rt: String| {
        let (secret, app) = (secret.clone(), &app);
        async move {
            token(
                app,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &rt),
                    ("client_id", server::demo::DEMO_CLIENT_ID),
                    ("client_secret", &secret),
                ],
            )
            .await
        }
    };
    let (status, body) = refresh(rt1.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let rt2 = body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(rt1, rt2, "a new refresh token on each use");
    let (status, body) = refresh(rt1).await;
    assert_eq!((status, body["error"].as_str().unwrap()), (StatusCode::BAD_REQUEST, "invalid_grant"));
    assert_eq!(refresh(rt2).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_publishes_the_multi_tenant_issuer_template() {
    let app = spawn_demo().await;
    let c = reqwest::Client::new();
    for (tenant, expect) in [("organizations", "{tenantid}"), ("common", "{tenantid}"), (TENANT, TENANT)] {
        let doc: Value = c
            .get(app.url(&format!("/demo/entra/{tenant}/v2.0/.well-known/openid-configuration")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(doc["issuer"], app.url(&format!("/demo/entra/{expect}/v2.0")));
        assert_eq!(doc["code_challenge_methods_supported"][0], "S256");
    }
    let res = c.get(app.url("/demo/entra/nope/v2.0/.well-known/openid-configuration")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devops_refuses_bad_tokens_like_azure_devops() {
    let app = spawn_demo().await;
    let c = reqwest::Client::new();
    let url = app.url("/demo/devops/vssps/fabrikam-demo/_apis/tokens/pats?api-version=7.1-preview.1");

    let res = c.get(&url).bearer_auth("not-a-jwt").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NON_AUTHORITATIVE_INFORMATION);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));

    let res = c.get(&url).header("X-TFS-FedAuthRedirect", "Suppress").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.text().await.unwrap().contains("TF400813"));

    // An ID token (audience: the app) is not an Azure DevOps token.
    let stack = app.running.demo.clone().unwrap();
    let now = server::oidc::now_secs();
    let wrong_aud = stack.entra.current_key().sign(&serde_json::json!({
        "aud": server::demo::DEMO_CLIENT_ID, "iss": "x", "exp": now + 600, "oid": stack.entra.users[0].oid,
    }));
    assert_eq!(
        c.get(&url).bearer_auth(&wrong_aud).send().await.unwrap().status(),
        StatusCode::NON_AUTHORITATIVE_INFORMATION
    );
    let expired = stack.entra.current_key().sign(&serde_json::json!({
        "aud": server::config::DEVOPS_RESOURCE, "iss": "x", "exp": now - 600, "oid": stack.entra.users[0].oid,
    }));
    assert_eq!(
        c.get(&url).bearer_auth(&expired).send().await.unwrap().status(),
        StatusCode::NON_AUTHORITATIVE_INFORMATION
    );

    let good = stack.entra.current_key().sign(&serde_json::json!({
        "aud": server::config::DEVOPS_RESOURCE, "iss": "x", "exp": now + 600, "oid": stack.entra.users[0].oid,
        "scp": "vso.pats vso.profile",
    }));
    let body: Value =
        c.get(format!("{url}&%24top=5")).bearer_auth(&good).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["patTokens"].as_array().unwrap().len(), 5);
    assert!(body["patTokens"][0]["token"].is_null(), "listed tokens never carry the secret");
    assert_eq!(body["continuationToken"], "5");

    // No api-version: 400, as Azure DevOps answers.
    let res =
        c.get(app.url("/demo/devops/app/_apis/profile/profiles/me")).bearer_auth(&good).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}
