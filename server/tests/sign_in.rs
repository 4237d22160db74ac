//! The whole sign-in through the demo stack, over the real router on a real listener, with a cookie jar.

mod common;

use common::*;
use reqwest::header::{ACCEPT, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_session_the_api_answers_not_signed_in() {
    let app = spawn_demo().await;
    let c = browser();
    let res = c.get(app.url("/api/pats?filter=active")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["kind"], "not_signed_in");

    let me: Value = c.get(app.url(app::routes::api::ME)).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["user"], Value::Null, "signed out: no user");
    assert_eq!(me["demo"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_list_and_sign_out_through_the_demo_stack() {
    let app = spawn_demo().await;
    let c = browser();

    let authorize = app.start_sign_in(&c, "/about").await;
    let q: std::collections::HashMap<String, String> = authorize.query_pairs().into_owned().collect();
    assert!(authorize.path().ends_with("/oauth2/v2.0/authorize"));
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["redirect_uri"], app.url("/getAToken"));
    assert!(q.contains_key("state") && q.contains_key("nonce") && q.contains_key("code_challenge"));
    // Least privilege: reading only at sign-in (the first change asks for vso.pats_manage).
    let scopes: Vec<&str> = q["scope"].split(' ').collect();
    let devops = "499b84ac-1321-427f-aa17-267ca6975798";
    for s in ["openid", "profile", "offline_access"] {
        assert!(scopes.contains(&s), "{s} in {scopes:?}");
    }
    for s in ["vso.pats", "vso.profile", "vso.project"] {
        assert!(scopes.contains(&format!("{devops}/{s}").as_str()), "{s} in {scopes:?}");
    }
    assert!(!q["scope"].contains("user_impersonation") && !q["scope"].contains("vso.pats_manage"));
    assert!(!authorize.as_str().contains(&app.client_secret()), "the secret never goes to the browser");

    let callback = app.pick_user(&c, &authorize, "adele").await;
    assert!(callback.starts_with(&app.url("/getAToken?code=")));
    let res = get_html(&c, &callback).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(location(&res), "/about", "back where the user was going");
    assert!(res.headers().get_all(SET_COOKIE).iter().any(|v| {
        let v = v.to_str().unwrap();
        v.starts_with("pat_portal_session=") && v.contains("HttpOnly") && v.contains("SameSite=Lax")
    }));

    let page = get_html(&c, &app.url("/")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Adele Vance"), "the page greets the user");
    assert!(html.contains("Expiring within 7 days") && html.contains("<svg"), "the dashboard");
    assert!(!html.contains("eyJ"), "no JWT in the HTML");
    let page = get_html(&c, &app.url("/tokens")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("<table"), "the PAT list is a real table");
    assert!(html.contains("Sign out"));
    assert!(!html.contains("eyJ"), "no JWT in the HTML");

    let res = c.get(app.url("/api/pats?filter=active")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let text = res.text().await.unwrap();
    assert!(!text.contains("eyJ"), "no JWT in a server-function response");
    let page: Value = serde_json::from_str(&text).unwrap();
    let tokens = page["tokens"].as_array().unwrap();
    assert!(!tokens.is_empty());
    assert!(tokens.iter().all(|t| t["status"] == "active" || t["status"] == "expiring_soon"));
    assert!(
        tokens.iter().any(|t| t["status"] == "expiring_soon"),
        "seed data has tokens expiring within 7 days"
    );
    assert!(page["continuation_token"].is_string(), "the first user has enough tokens to page");

    let next: Value = c
        .get(
            app.url(&format!(
                "/api/pats?filter=active&after={}",
                page["continuation_token"].as_str().unwrap()
            )),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!next["tokens"].as_array().unwrap().is_empty());
    assert_ne!(next["tokens"][0]["authorization_id"], tokens[0]["authorization_id"]);

    for (filter, status) in [("expired", "expired"), ("revoked", "revoked")] {
        let p: Value =
            c.get(app.url(&format!("/api/pats?filter={filter}"))).send().await.unwrap().json().await.unwrap();
        let list = p["tokens"].as_array().unwrap();
        assert!(!list.is_empty(), "{filter} tokens are seeded");
        assert!(list.iter().all(|t| t["status"] == status));
    }
    let all: Value = c.get(app.url("/api/pats?filter=all")).send().await.unwrap().json().await.unwrap();
    assert!(all["tokens"].as_array().unwrap().iter().any(|t| t["status"] == "revoked"));

    let me: Value = c.get(app.url(app::routes::api::ME)).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["user"]["name"], "Adele Vance");
    assert_eq!(me["demo"], true);

    // Sign-out: the session goes, then the end-session endpoint, which sends the user home.
    let res = c.post(app.url(app::routes::SIGN_OUT)).header(ACCEPT, "text/html").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let end_session = location(&res);
    assert!(end_session.contains("/oauth2/v2.0/logout?post_logout_redirect_uri="), "{end_session}");
    // The ID token carried `login_hint`: it goes back as `logout_hint`, so Entra shows no picker.
    assert!(end_session.contains("&logout_hint="), "{end_session}");
    let res = get_html(&c, &end_session).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), app.url("/"));

    let res = c.get(app.url("/api/pats?filter=active")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.json::<Value>().await.unwrap()["kind"], "not_signed_in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn different_users_see_their_own_tokens() {
    let app = spawn_demo().await;
    let (a, m) = (browser(), browser());
    app.sign_in(&a, "adele", "/").await;
    app.sign_in(&m, "megan", "/").await;
    let all = |c: reqwest::Client| {
        let url = app.url("/api/pats?filter=all");
        async move { c.get(url).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let (pa, pm) = (all(a).await, all(m).await);
    let ids = |p: &Value| -> Vec<String> {
        p["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["authorization_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(ids(&pa).iter().all(|id| !ids(&pm).contains(id)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_return_to_is_replaced_by_home() {
    let app = spawn_demo().await;
    let c = browser();
    for bad in ["https://evil.example/", "//evil.example/x", "/%5Cevil.example"] {
        let to = app.sign_in(&c, "adele", &bad.replace('/', "%2F")).await;
        assert_eq!(to, "/", "{bad} must not be followed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_and_state_problems_explain_themselves() {
    let app = spawn_demo().await;
    let c = browser();

    let authorize = app.start_sign_in(&c, "/").await;
    let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    form.push(("cancel".into(), "1".into()));
    let res = c.post(authorize.as_str()).form(&form).send().await.unwrap();
    let callback = location(&res);
    assert!(callback.contains("error=access_denied"));
    let res = get_html(&c, &callback).await;
    assert_eq!(location(&res), "/signin-problem?reason=cancelled");
    let page = get_html(&c, &app.url("/signin-problem?reason=cancelled")).await.text().await.unwrap();
    assert!(page.contains("You cancelled the sign-in"));

    // A callback whose state belongs to no sign-in in this session.
    let authorize = app.start_sign_in(&c, "/").await;
    let callback = app.pick_user(&c, &authorize, "adele").await;
    let stranger = browser();
    let res = get_html(&stranger, &callback).await;
    assert_eq!(location(&res), "/signin-problem?reason=expired");

    // The same callback replayed in the right session after use: the sign-in is spent.
    let authorize = app.start_sign_in(&c, "/").await;
    let callback = app.pick_user(&c, &authorize, "adele").await;
    assert_eq!(location(&get_html(&c, &callback).await), "/");
    assert_eq!(location(&get_html(&c, &callback).await), "/signin-problem?reason=expired");

    // Tampered state.
    let authorize = app.start_sign_in(&c, "/").await;
    let callback = app.pick_user(&c, &authorize, "adele").await;
    let tampered = callback.replace("state=", "state=x");
    assert_eq!(location(&get_html(&c, &tampered).await), "/signin-problem?reason=expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_without_a_session_and_link_to_sign_in() {
    let app = spawn_demo().await;
    let c = browser();
    let res = get_html(&c, &app.url("/")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Sign in") && html.contains("/auth/sign-in?return_to=/"));
    let res = get_html(&c, &app.url("/no-such-page")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_sign_out_the_old_cookie_is_worthless() {
    let app = spawn_demo().await;
    // A copy of the session cookie, as an attacker who stole it would hold it.
    let cookie = stolen_cookie(&app, "adele").await;
    let thief = reqwest::Client::new();
    let me: Value = thief
        .get(app.url(app::routes::api::ME))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["name"], "Adele Vance", "the stolen cookie works before sign-out");

    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url(app::routes::SIGN_OUT))
        .header("Cookie", &cookie)
        .header(ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let me: Value = thief
        .get(app.url(app::routes::api::ME))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"], Value::Null, "the session is gone server-side");
    let res = thief.get(app.url("/api/pats?filter=active")).header("Cookie", &cookie).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

/// Signs in with a fresh client and returns its session cookie (`name=value`).
async fn stolen_cookie(app: &TestApp, user: &str) -> String {
    let c = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut cookie = String::new();
    let res = c.get(app.url("/auth/sign-in?return_to=/")).header(ACCEPT, "text/html").send().await.unwrap();
    for v in res.headers().get_all(SET_COOKIE) {
        cookie = v.to_str().unwrap().split(';').next().unwrap().to_string();
    }
    let authorize = url::Url::parse(&location(&res)).unwrap();
    let callback = app.pick_user(&browser(), &authorize, user).await;
    let res = c.get(&callback).header("Cookie", &cookie).header(ACCEPT, "text/html").send().await.unwrap();
    assert_eq!(location(&res), "/");
    // The session's cookie (the sign-in cookie is cleared by the same answer).
    for v in res.headers().get_all(SET_COOKIE) {
        let pair = v.to_str().unwrap().split(';').next().unwrap();
        if pair.starts_with("pat_portal_session=") {
            cookie = pair.to_string();
        }
    }
    cookie
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn front_channel_logout_ends_the_matching_session_only() {
    let app = spawn_demo().await;
    let (a, m) = (browser(), browser());
    app.sign_in(&a, "adele", "/").await;
    app.sign_in(&m, "megan", "/").await;
    let sid = {
        let sids = app.running.demo.as_ref().unwrap().entra.issued_sids.lock().unwrap().clone();
        sids.iter().find(|(u, _)| u == "adele").unwrap().1.clone()
    };
    let res = reqwest::get(app.url(&format!("/auth/front-channel-logout?sid={sid}"))).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let me: Value = a.get(app.url(app::routes::api::ME)).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["user"], Value::Null, "Adele's session ended");
    let me: Value = m.get(app.url(app::routes::api::ME)).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["user"]["name"], "Megan Bowen", "Megan's did not");
    // Unknown or missing sid: still 200, nothing happens.
    assert_eq!(
        reqwest::get(app.url("/auth/front-channel-logout?sid=nope")).await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        reqwest::get(app.url(app::routes::FRONT_CHANNEL_LOGOUT)).await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_secret_can_go_in_http_basic() {
    let app = spawn_demo_env(common::TestHooks::default(), &[("CLIENT_AUTH", "basic")]).await;
    let c = browser();
    assert_eq!(app.sign_in(&c, "adele", "/").await, "/");
    let methods = app.running.demo.as_ref().unwrap().entra.client_auth_methods.lock().unwrap().clone();
    assert_eq!(methods, vec!["client_secret_basic"]);

    let app = spawn_demo().await;
    assert_eq!(app.sign_in(&browser(), "adele", "/").await, "/");
    let methods = app.running.demo.as_ref().unwrap().entra.client_auth_methods.lock().unwrap().clone();
    assert_eq!(methods, vec!["client_secret_post"], "in the body by default");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_headers_set_the_redirect_uri_only_when_trusted() {
    let forwarded = |app: &TestApp| {
        let url = app.url("/auth/sign-in?return_to=/");
        async move {
            let res = browser()
                .get(url)
                .header(ACCEPT, "text/html")
                .header("X-Forwarded-Proto", "https")
                .header("X-Forwarded-Host", "pats.example.com")
                .send()
                .await
                .unwrap();
            let authorize = url::Url::parse(&location(&res)).unwrap();
            authorize.query_pairs().find(|(k, _)| k == "redirect_uri").unwrap().1.into_owned()
        }
    };
    let trusting = spawn_demo_env(common::TestHooks::default(), &[("TRUST_FORWARDED_HEADERS", "true")]).await;
    assert_eq!(forwarded(&trusting).await, "https://pats.example.com/getAToken");
    let plain = spawn_demo().await;
    assert_eq!(
        forwarded(&plain).await,
        plain.url("/getAToken"),
        "headers from anyone are ignored by default"
    );
}

/// A self-signed certificate and its RSA key, in one PEM file (what CLIENT_CERTIFICATE_PATH takes).
fn certificate_pem() -> String {
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};
    let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
    let key_pem = key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
    let key_pair = rcgen::KeyPair::from_pem_and_sign_algo(&key_pem, &rcgen::PKCS_RSA_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["pat-portal.test".to_string()])
        .unwrap()
        .self_signed(&key_pair)
        .unwrap();
    format!("{}{}", cert.pem(), key_pem)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_with_a_certificate_instead_of_a_secret() {
    let path = std::env::temp_dir().join(format!("pat-portal-cert-{}.pem", uuid::Uuid::new_v4()));
    std::fs::write(&path, certificate_pem()).unwrap();
    let app =
        spawn_demo_env(common::TestHooks::default(), &[("CLIENT_CERTIFICATE_PATH", path.to_str().unwrap())])
            .await;
    let c = browser();
    assert_eq!(app.sign_in(&c, "adele", "/").await, "/");
    assert_eq!(c.get(app.url("/api/pats?filter=active")).send().await.unwrap().status(), StatusCode::OK);
    let entra = app.running.demo.as_ref().unwrap().entra.clone();
    assert_eq!(entra.client_auth_methods.lock().unwrap().clone(), vec!["private_key_jwt"]);

    // An assertion signed by another key, naming the registered certificate, is refused.
    let cert =
        server::oidc::credential::ClientCertificate::from_pem(&std::fs::read_to_string(&path).unwrap())
            .unwrap();
    let impostor = server::oidc::credential::ClientCertificate::from_pem(&certificate_pem()).unwrap();
    let token_endpoint =
        format!("{}/{}/oauth2/v2.0/token", entra.base, "7b0c2f4e-5d1a-4c3b-9e8f-0a1b2c3d4e5f");
    let forged = {
        let good = impostor.assertion(server::demo::DEMO_CLIENT_ID, &token_endpoint).unwrap();
        let real_header = cert.assertion(server::demo::DEMO_CLIENT_ID, &token_endpoint).unwrap();
        let (h, rest) = (real_header.split('.').next().unwrap(), good.split_once('.').unwrap().1);
        format!("{h}.{rest}")
    };
    let res = reqwest::Client::new()
        .post(&token_endpoint)
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", server::demo::DEMO_CLIENT_ID),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", forged.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.json::<Value>().await.unwrap()["error_codes"][0], 700027);
    let _ = std::fs::remove_file(path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_security_headers() {
    let app = spawn_demo().await;
    let c = browser();
    let res = c.get(app.url(app::routes::HEALTHZ)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = c.get(app.url(app::routes::READYZ)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "store and discovery reachable");
    assert_eq!(res.headers().get("x-demo-mode").unwrap(), "true");
    assert!(res.text().await.unwrap().starts_with("ready (DEMO MODE"), "readiness says it is the demo stack");
    app.sign_in(&c, "adele", "/").await;
    let tokens: Value = c.get(app.url("/api/pats?filter=active")).send().await.unwrap().json().await.unwrap();
    let token_id = tokens["tokens"][0]["authorization_id"].as_str().unwrap().to_string();
    let (token_page, token_api) = (format!("/tokens/{token_id}"), format!("/api/pat?id={token_id}"));
    let mut nonces = Vec::new();
    for path in [
        "/",
        "/about",
        "/tokens",
        "/tokens/new",
        "/orgs",
        "/orgs/fabrikam-demo/projects",
        "/no-such-page",
        "/signin-problem?reason=cancelled",
        token_page.as_str(),
    ] {
        let res = get_html(&c, &app.url(path)).await;
        let csp = res.headers()["content-security-policy"].to_str().unwrap().to_string();
        assert!(res.headers().get(app::CSP_NONCE_HEADER).is_none(), "the private header is dropped");
        let html = res.text().await.unwrap();
        // The hydration script runs by this response's nonce; nothing else inline may.
        let nonce =
            csp.split("'nonce-").nth(1).and_then(|r| r.split('\'').next()).expect("a nonce").to_string();
        assert!(nonce.len() >= 16, "{csp}");
        assert!(
            html.contains(&format!("nonce=\"{nonce}\"")),
            "{path}: the hydration script carries the nonce"
        );
        for part in [
            "default-src 'self'",
            "'wasm-unsafe-eval'",
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
        ] {
            assert!(csp.contains(part), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"), "{csp}");
        nonces.push(nonce);
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 9, "a new nonce for every response");
    // Every API route (reads, then writes), the other endpoints and a static file.
    let gets = [
        "/",
        "/about",
        app::routes::api::ME,
        "/api/pats?filter=active",
        token_api.as_str(),
        app::routes::api::OVERVIEW,
        app::routes::api::PROFILE,
        app::routes::api::ORGS,
        "/api/projects?org=fabrikam-demo",
        "/api/sign-in-help",
        app::routes::HEALTHZ,
        app::routes::READYZ,
        "/auth/sign-in?return_to=/",
        "/getAToken",
        "/pkg/devops-pat-portal.css",
    ]
    .map(|p| p.to_string());
    let writes = [
        app::routes::api::CREATE_PAT,
        app::routes::api::UPDATE_PAT,
        app::routes::api::REVOKE_PAT,
        app::routes::api::ROTATE_PAT,
        app::routes::SIGN_OUT,
    ];
    let mut responses = Vec::new();
    for path in &gets {
        responses.push((path.clone(), get_html(&c, &app.url(path)).await));
    }
    for path in writes {
        // Refused (another site) or not (malformed): either way the answer carries the headers.
        let res = c.post(app.url(path)).header("origin", "https://evil.example").send().await.unwrap();
        responses.push((path.to_string(), res));
        let res =
            c.post(app.url(path)).header("content-type", "application/json").body("{}").send().await.unwrap();
        responses.push((path.to_string(), res));
    }
    for (path, res) in responses {
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"),
            "{path}: {csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin", "{path}");
        assert!(h.get("strict-transport-security").is_none(), "no HSTS over http ({path})");
    }

    let res = c.get(app.url("/auth/front-channel-logout?sid=x")).send().await.unwrap();
    assert!(res.headers().get("x-frame-options").is_none(), "Entra frames the front-channel logout URL");

    // Not ready when the identity provider cannot be discovered.
    let app = spawn_demo().await;
    app.running
        .demo
        .as_ref()
        .unwrap()
        .entra
        .misbehave(Some(server::demo::misbehave::Misbehaviour::DiscoveryIssuerMismatch))
        .unwrap();
    let res = c.get(app.url(app::routes::READYZ)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.text().await.unwrap().contains("identity provider"));
}
