//! The client against a third-party OpenID Provider: npm `oidc-provider` (panva's certified
//! implementation), set up with Entra-style paths, PKCE required, RS256 and refresh-token
//! rotation (it revokes the whole grant when a rotated refresh token is reused). The DevOps
//! stand-in runs on its own, trusting that provider's JWKS. Needs `npm ci` in `end2end/`
//! (scripts/tools.sh --test does it).

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use reqwest::header::ACCEPT;
use reqwest::StatusCode;
use serde_json::Value;
use server::config::Config;
use server::demo::devops::DevopsStandIn;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const TENANT: &str = "3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b";
const CLIENT_ID: &str = "4c1d2e3f-0a1b-4c2d-8e3f-5a6b7c8d9e0f";
const CLIENT_SECRET: &str = "op-test-secret-7d3c1a9e5b";

struct Provider {
    _child: Child,
    port: u16,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Provider {
    fn count(&self, needle: &str) -> usize {
        self.lines.lock().unwrap().iter().filter(|l| l.contains(needle)).count()
    }
}

async fn start_provider(app_url: &str, access_token_ttl: u64) -> Provider {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../end2end/oidc/provider.mjs");
    let modules = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../end2end/node_modules/oidc-provider");
    assert!(
        modules.exists(),
        "oidc-provider is not installed: run `npm ci` in end2end/ (scripts/tools.sh --test)"
    );
    let mut child = Command::new("node")
        .arg(&script)
        .env("APP_URL", app_url)
        .env("CLIENT_ID", CLIENT_ID)
        .env("CLIENT_SECRET", CLIENT_SECRET)
        .env("ACCESS_TOKEN_TTL", access_token_ttl.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(20), out.next_line())
        .await
        .expect("the provider starts within 20 s")
        .unwrap()
        .expect("the provider prints its port");
    let port: u16 = first.split_whitespace().nth(1).and_then(|p| p.parse().ok()).expect("listening <port>");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    tokio::spawn(async move {
        while let Ok(Some(l)) = out.next_line().await {
            sink.lock().unwrap().push(l);
        }
    });
    Provider { _child: child, port, lines }
}

/// A free port on 127.0.0.1 (the provider must know the app's redirect URI before the app starts).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn attr<'a>(html: &'a str, before: &str, name: &str) -> Option<&'a str> {
    let from = html.find(before)?;
    let rest = &html[from..];
    let start = rest.find(&format!("{name}=\""))? + name.len() + 2;
    let end = rest[start..].find('"')?;
    Some(&rest[start..start + end])
}

/// Follows redirects by hand (keeping cookies), filling the provider's login and consent forms,
/// until the app answers with a redirect of its own; returns that location and the callback URL.
async fn drive_sign_in(c: &reqwest::Client, app: &str, start: &str) -> (String, String) {
    let mut url = start.to_string();
    let mut callback = String::new();
    for _ in 0..20 {
        let res = c.get(&url).header(ACCEPT, "text/html").send().await.unwrap();
        if res.status().is_redirection() {
            let next = location(&res);
            let next = if next.starts_with('/') {
                let base = reqwest::Url::parse(&url).unwrap();
                base.join(&next).unwrap().to_string()
            } else {
                next
            };
            if url.starts_with(&format!("{app}/getAToken")) {
                return (next.trim_start_matches(app).to_string(), callback);
            }
            if next.starts_with(&format!("{app}/getAToken")) {
                callback = next.clone();
            }
            url = next;
            continue;
        }
        let html = res.text().await.unwrap();
        let action =
            attr(&html, "<form", "action").expect("a form on the provider's page").replace("&amp;", "&");
        let target = reqwest::Url::parse(&url).unwrap().join(&action).unwrap().to_string();
        let form: Vec<(&str, &str)> = if html.contains("name=\"login\"") {
            vec![("prompt", "login"), ("login", "alice"), ("password", "any")]
        } else {
            vec![("prompt", "consent")]
        };
        let res = c.post(&target).form(&form).send().await.unwrap();
        assert!(res.status().is_redirection(), "the provider's form answers with a redirect");
        url = reqwest::Url::parse(&target).unwrap().join(&location(&res)).unwrap().to_string();
    }
    panic!("sign-in did not come back to the app");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_call_refresh_and_sign_out_against_oidc_provider() {
    capture_logs();
    let app_port = free_port();
    let app_url = format!("http://127.0.0.1:{app_port}");
    // Access tokens live 302 s: inside the 5-minute margin two seconds after sign-in.
    let op = start_provider(&app_url, 302).await;
    let authority = format!("http://127.0.0.1:{}/{TENANT}", op.port);

    let devops =
        std::sync::Arc::new(DevopsStandIn::trusting_jwks(format!("{authority}/discovery/v2.0/keys")));
    let devops_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let devops_url = format!("http://{}", devops_listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(devops_listener, devops.router()).await.unwrap() });

    let env = [
        ("BIND_ADDR", format!("127.0.0.1:{app_port}")),
        ("CLIENT_ID", CLIENT_ID.to_string()),
        ("CLIENT_SECRET", CLIENT_SECRET.to_string()),
        ("AUTHORITY", authority.clone()),
        ("DEVOPS_ORGANIZATION", "fabrikam-demo".to_string()),
        ("DEVOPS_VSSPS_URL", format!("{devops_url}/vssps")),
        ("DEVOPS_APP_VSSPS_URL", format!("{devops_url}/app")),
        ("SESSION_STORE", "memory".to_string()),
        ("SESSION_KEY", TEST_SESSION_KEY.to_string()),
    ];
    let config =
        Config::from_lookup(|k| env.iter().find(|(key, _)| *key == k).map(|(_, v)| v.clone())).unwrap();
    let (_stop, rx) = tokio::sync::oneshot::channel::<()>();
    let running = server::start(&config, async {
        let _ = rx.await;
    })
    .await
    .unwrap();
    assert!(running.demo.is_none(), "real mode: no demo stack");

    let c = browser();
    let (landed, callback) =
        drive_sign_in(&c, &app_url, &format!("{app_url}/auth/sign-in?return_to=/about")).await;
    assert_eq!(landed, "/about");
    assert!(
        callback.contains("iss="),
        "the provider adds iss to the redirect (RFC 9207), and it is accepted"
    );

    let viewer: Value = c.get(format!("{app_url}/api/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(viewer["user"]["name"], "OP User alice");
    assert_eq!(viewer["demo"], false);

    let res = c.get(format!("{app_url}/api/pats?filter=active")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the stand-in accepts the provider's access token");
    let page: Value = res.json().await.unwrap();
    assert!(!page["tokens"].as_array().unwrap().is_empty());

    // Refresh: concurrent calls, one redemption; a second redemption of the rotated token would
    // make the provider revoke the grant and every later call fail.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let calls: Vec<_> = (0..5)
        .map(|_| {
            let (c, url) = (c.clone(), format!("{app_url}/api/pats?filter=active"));
            tokio::spawn(async move { c.get(url).send().await.unwrap().status() })
        })
        .collect();
    for call in calls {
        let status = call.await.unwrap();
        if status != StatusCode::OK {
            eprintln!(
                "{}",
                logs()
                    .lines()
                    .filter(|l| l.contains("ERROR") || l.contains("WARN"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
        assert_eq!(status, StatusCode::OK);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(op.count("refresh token consumed"), 1, "exactly one refresh");
    assert_eq!(op.count("grant revoked"), 0, "the rotated refresh token was never reused");
    assert_eq!(
        c.get(format!("{app_url}/api/pats?filter=active")).send().await.unwrap().status(),
        StatusCode::OK
    );

    // Sign-out: our session goes, then the provider's end-session endpoint, which asks for
    // confirmation and returns to the registered post-logout URI.
    let res = c.post(format!("{app_url}/auth/sign-out")).header(ACCEPT, "text/html").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let end_session = location(&res);
    assert!(end_session.starts_with(&format!("{authority}/oauth2/v2.0/logout?")), "{end_session}");
    let viewer: Value = c.get(format!("{app_url}/api/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(viewer["user"], Value::Null);
    let page = c.get(&end_session).send().await.unwrap().text().await.unwrap();
    let action = attr(&page, "<form", "action").expect("logout confirmation form");
    let xsrf = attr(&page, "name=\"xsrf\"", "value").unwrap_or_default();
    let target = reqwest::Url::parse(&end_session).unwrap().join(action).unwrap();
    let res = c.post(target).form(&[("xsrf", xsrf), ("logout", "yes")]).send().await.unwrap();
    assert!(res.status().is_redirection());
    let mut next = reqwest::Url::parse(&end_session).unwrap().join(&location(&res)).unwrap().to_string();
    for _ in 0..5 {
        if next.starts_with(&app_url) {
            break;
        }
        let res = c.get(&next).send().await.unwrap();
        next = reqwest::Url::parse(&next).unwrap().join(&location(&res)).unwrap().to_string();
    }
    assert_eq!(next, format!("{app_url}/"), "back at the app after signing out at the provider");

    let logs = logs();
    assert!(!logs.contains(CLIENT_SECRET), "the client secret never reaches the logs");
    assert!(!logs.contains("eyJ"), "no JWT in the logs");
}
