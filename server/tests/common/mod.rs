//! Test helpers: a demo-mode server on 127.0.0.1:0 and a browser-like client with a cookie jar.

#![allow(dead_code)]

use std::sync::Arc;

use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION};
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use server::config::Config;
use server::Running;
use tokio::sync::oneshot;
use url::Url;

/// Where test servers' demo clock starts unless a test sets `DEMO_CLOCK`: before 2026-12-01.
pub const DEMO_CLOCK_BEFORE: &str = "2026-11-20T12:00:00Z";
/// A start after global PATs retired.
pub const DEMO_CLOCK_AFTER: &str = "2026-12-02T12:00:00Z";

/// base64 of 32 bytes: the token-cache key of test servers.
pub const TEST_SESSION_KEY: &str = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMzJieXQ=";

/// Settings tests change on top of the environment's: shorter lifetimes and timeouts, another
/// demo authority. Each is a field of `Config`; none exists only for tests in the server.
#[derive(Debug, Clone, Default)]
pub struct TestHooks {
    pub demo_access_token_ttl: Option<u64>,
    /// Timeout of calls to the identity provider and Azure DevOps (default 15 s).
    pub http_timeout: Option<std::time::Duration>,
    /// The demo authority's tenant segment (default: the demo tenant's id), e.g. `organizations`.
    pub demo_authority_tenant: Option<String>,
    /// Absolute session lifetime in seconds (the setting is in hours).
    pub session_max_age_secs: Option<u64>,
    /// Idle lifetime in seconds (the setting is in minutes).
    pub session_idle_secs: Option<u64>,
}

impl TestHooks {
    pub fn apply(&self, config: &mut Config) {
        if let Some(ttl) = self.demo_access_token_ttl {
            config.demo.access_token_ttl_secs = ttl;
        }
        if let Some(t) = self.http_timeout {
            config.http_timeout = t;
        }
        if let Some(t) = &self.demo_authority_tenant {
            config.demo.authority_tenant = Some(t.clone());
        }
        if let Some(s) = self.session_max_age_secs {
            config.session_max_age = std::time::Duration::from_secs(s);
        }
        if let Some(s) = self.session_idle_secs {
            config.session_idle = std::time::Duration::from_secs(s);
        }
    }
}

/// The configuration of a demo-mode test server: memory sessions with a fixed key, any port,
/// generous rate limits, and `env` on top (as environment variables would give them).
pub fn test_config(env: &[(&str, &str)]) -> Config {
    let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let entra = env.iter().any(|(k, _)| k == "CLIENT_ID");
    Config::from_lookup(move |k| {
        if let Some((_, v)) = env.iter().find(|(key, _)| key == k) {
            return Some(v.clone());
        }
        match k {
            "BIND_ADDR" => Some("127.0.0.1:0".to_string()),
            // Tests that do not choose a store keep sessions in memory, with a fixed key.
            "SESSION_STORE" => Some("memory".to_string()),
            "SESSION_KEY" => Some(TEST_SESSION_KEY.to_string()),
            // A fixed session key (or Redis, or an organization) outside demo mode's loopback-only
            // defaults would make the server refuse to start on the demo stack: tests ask for it.
            "DEMO_MODE" if !entra => Some("true".to_string()),
            // A fixed day before global PATs retire, whatever the real date: tests that need
            // the other side set their own.
            "DEMO_CLOCK" if !entra => Some(DEMO_CLOCK_BEFORE.to_string()),
            // Calls without an organization go to Contoso's first, as they did before the demo
            // had a second tenant (whose user's tests name their organization).
            "DEVOPS_ORGANIZATION" if !entra => Some("fabrikam-demo".to_string()),
            // Tests sign in and create tokens quickly; the limits have a test of their own.
            "RATE_LIMIT_SIGN_INS" | "RATE_LIMIT_TOKEN_CREATES" => Some("100000".to_string()),
            _ => None,
        }
    })
    .unwrap()
}

/// The public URL of [`demo_router`]: port 1, where nothing listens, so a call the app makes to
/// itself (the demo provider's discovery) fails at once instead of reaching another server.
pub const ROUTER_ORIGIN: &str = "http://127.0.0.1:1";

/// The whole router on the demo stack, for tests that need no socket (`tower::ServiceExt::oneshot`).
pub async fn demo_router(env: &[(&str, &str)]) -> axum::Router {
    router_at(ROUTER_ORIGIN, env).await
}

/// The whole router of an app whose public URL is `public_url`, configured by `env` on top of
/// [`test_config`] (the demo stack unless `env` names an identity provider).
pub async fn router_at(public_url: &str, env: &[(&str, &str)]) -> axum::Router {
    capture_logs();
    let config = test_config(env);
    let public_url = Url::parse(public_url).unwrap();
    let state =
        server::AppState::new(&config, server::leptos_options(config.bind), public_url).await.unwrap();
    server::router(state)
}

pub struct TestApp {
    pub running: Running,
    pub base: String,
    stop: Option<oneshot::Sender<()>>,
}

pub async fn spawn_demo() -> TestApp {
    spawn_demo_with(TestHooks::default()).await
}

pub async fn spawn_demo_with(hooks: TestHooks) -> TestApp {
    spawn_demo_env(hooks, &[]).await
}

/// A demo-mode server with extra settings (as environment variables would give them).
pub async fn spawn_demo_env(hooks: TestHooks, env: &[(&str, &str)]) -> TestApp {
    capture_logs();
    let mut config = test_config(env);
    hooks.apply(&mut config);
    spawn_config(&config).await
}

/// A server for exactly this configuration, stopped by [`TestApp::shutdown`].
pub async fn spawn_config(config: &Config) -> TestApp {
    let (tx, rx) = oneshot::channel::<()>();
    let running = server::start(config, async {
        let _ = rx.await;
    })
    .await
    .expect("server starts");
    let base = running.public_url.as_str().trim_end_matches('/').to_string();
    TestApp { running, base, stop: Some(tx) }
}

/// A client that keeps cookies like a browser but shows redirects instead of following them.
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        // A stuck server fails the test (naming the request) instead of hanging the run.
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap()
}

pub fn location(res: &Response) -> String {
    res.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

pub async fn get_html(c: &Client, url: &str) -> Response {
    c.get(url).header(ACCEPT, "text/html").send().await.unwrap()
}

impl TestApp {
    /// Stops the server gracefully and waits until it has.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.running.task).await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn client_secret(&self) -> String {
        self.running.demo.as_ref().unwrap().entra.client.client_secret.clone()
    }

    /// Starts a sign-in and returns the authorization URL the app sent the browser to.
    pub async fn start_sign_in(&self, c: &Client, return_to: &str) -> Url {
        let res = get_html(c, &self.url(&format!("/auth/sign-in?return_to={return_to}"))).await;
        assert_eq!(res.status(), StatusCode::FOUND, "sign-in start redirects");
        Url::parse(&location(&res)).expect("absolute authorize URL")
    }

    /// Picks a user on the demo sign-in page; returns the callback URL the provider redirects to.
    pub async fn pick_user(&self, c: &Client, authorize: &Url, user: &str) -> String {
        let page = get_html(c, authorize.as_str()).await;
        assert_eq!(page.status(), StatusCode::OK);
        let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
        form.push(("user".into(), user.into()));
        let mut res = c.post(authorize.as_str()).form(&form).send().await.unwrap();
        if res.status() == StatusCode::OK {
            // The consent page: a permission asked at sign-in that nobody granted yet (the
            // classic `user_impersonation` in Contoso), accepted as the user would.
            form.push(("consent".into(), "accept".into()));
            res = c.post(authorize.as_str()).form(&form).send().await.unwrap();
        }
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "the provider redirects back");
        location(&res)
    }

    /// Starts the incremental consent as the app's page does: a form POST of `return_to` (given
    /// already URL-encoded), from the same site (issue 29, item 3).
    pub async fn start_consent(&self, c: &Client, return_to: &str) -> Response {
        c.post(self.url(app::routes::CONSENT))
            .header(ACCEPT, "text/html")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!("return_to={return_to}"))
            .send()
            .await
            .unwrap()
    }

    /// The incremental consent for changing tokens (the demo's consent page, accepted or not):
    /// returns where the app sent the browser at the end.
    pub async fn consent(&self, c: &Client, user: &str, return_to: &str, accept: bool) -> String {
        let res = self.start_consent(c, return_to).await;
        assert_eq!(res.status(), StatusCode::FOUND, "the consent starts with a redirect");
        let authorize = Url::parse(&location(&res)).expect("absolute authorize URL");
        assert_eq!(get_html(c, authorize.as_str()).await.status(), StatusCode::OK);
        let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
        form.push(("user".into(), user.into()));
        let page = c.post(authorize.as_str()).form(&form).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "the provider asks for consent");
        assert!(page.text().await.unwrap().contains("vso.pats_manage"));
        form.push(if accept { ("consent".into(), "accept".into()) } else { ("cancel".into(), "1".into()) });
        let res = c.post(authorize.as_str()).form(&form).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "the provider redirects back");
        let res = get_html(c, &location(&res)).await;
        assert_eq!(res.status(), StatusCode::FOUND);
        location(&res)
    }

    /// Signs in, then grants the permission to change tokens (least privilege asks for it on the
    /// first change): for tests about changes rather than about sign-in.
    pub async fn sign_in_to_manage(&self, c: &Client, user: &str, return_to: &str) -> String {
        let to = self.sign_in(c, user, return_to).await;
        // Someone who consented before (the demo provider remembers it, as Entra does) has the
        // permission from the sign-in on, and the consent goes straight back.
        let res = self.start_consent(c, return_to).await;
        if location(&res) != return_to {
            assert_eq!(self.consent(c, user, return_to, true).await, return_to);
        }
        to
    }

    /// The whole sign-in (reading only, by default); returns where the app sent the browser at the end.
    pub async fn sign_in(&self, c: &Client, user: &str, return_to: &str) -> String {
        let authorize = self.start_sign_in(c, return_to).await;
        let callback = self.pick_user(c, &authorize, user).await;
        let res = get_html(c, &callback).await;
        assert_eq!(res.status(), StatusCode::FOUND);
        location(&res)
    }
}

/// The one test client: a browser-like client (cookie jar, no redirects followed) talking to one
/// app. Raw calls give the status, headers and JSON; typed calls give `app::model` values, or
/// the status and the wire error `ApiError` the UI would get.
pub struct Api<'a> {
    pub c: &'a Client,
    pub app: &'a TestApp,
}

pub type ApiResult<T> = Result<T, (StatusCode, app::error::ApiError)>;

impl<'a> Api<'a> {
    pub fn new(c: &'a Client, app: &'a TestApp) -> Self {
        Api { c, app }
    }

    async fn answer(res: Response) -> (StatusCode, reqwest::header::HeaderMap, serde_json::Value) {
        let (status, headers) = (res.status(), res.headers().clone());
        let text = res.text().await.unwrap();
        (status, headers, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
    }

    /// A GET as the hydrated page sends it (`Accept: application/json`).
    pub async fn get(&self, path: &str) -> (StatusCode, reqwest::header::HeaderMap, serde_json::Value) {
        Self::answer(self.c.get(self.app.url(path)).header(ACCEPT, "application/json").send().await.unwrap())
            .await
    }

    /// Starts a bulk change (`{"change": …, "tokens": […]}`) and asks how it goes, as the page
    /// does, until it has finished (at most 30 s); `Err` with the refusal when it did not start.
    pub async fn bulk_change(
        &self,
        request: serde_json::Value,
    ) -> Result<app::inventory::BulkProgress, (StatusCode, serde_json::Value)> {
        let (status, _, body) = self.post(app::routes::api::BULK_APPLY, request).await;
        if status != StatusCode::OK {
            return Err((status, body));
        }
        for _ in 0..300 {
            let (status, _, body) = self.get(app::routes::api::BULK_PROGRESS).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let progress: app::inventory::BulkProgress =
                serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{e}: {body}"));
            if progress.finished {
                return Ok(progress);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the bulk change did not finish within 30 s");
    }

    /// A POST of a JSON body, as the hydrated page calls a server function.
    pub async fn post(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> (StatusCode, reqwest::header::HeaderMap, serde_json::Value) {
        let req = self
            .c
            .post(self.app.url(path))
            .header("content-type", "application/json")
            .header(ACCEPT, "application/json")
            .body(body.to_string());
        Self::answer(req.send().await.unwrap()).await
    }

    fn typed<T: serde::de::DeserializeOwned>(status: StatusCode, body: serde_json::Value) -> ApiResult<T> {
        if status.is_success() {
            Ok(serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{e}: {body}")))
        } else {
            Err((status, serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{e}: {body}"))))
        }
    }

    pub async fn me(&self) -> ApiResult<app::model::Viewer> {
        let (status, _, body) = self.get(app::routes::api::ME).await;
        Self::typed(status, body)
    }

    /// `/api/pats` with a query such as `filter=active&sort=name`.
    pub async fn pats(&self, query: &str) -> ApiResult<app::model::PatPage> {
        let (status, _, body) = self.get(&format!("{}?{query}", app::routes::api::PATS)).await;
        Self::typed(status, body)
    }

    pub async fn create_pat(
        &self,
        org: Option<&str>,
        form: &app::model::PatForm,
    ) -> ApiResult<app::model::CreatedPat> {
        let body = serde_json::json!({ "org": org, "form": form });
        let (status, _, body) = self.post(app::routes::api::CREATE_PAT, body).await;
        Self::typed(status, body)
    }

    pub async fn pat(&self, org: Option<&str>, id: &str) -> ApiResult<app::model::PatSummary> {
        let org = org.map(|o| format!("&org={o}")).unwrap_or_default();
        let (status, _, body) = self.get(&format!("{}?id={id}{org}", app::routes::api::PAT)).await;
        Self::typed(status, body)
    }

    pub async fn update_pat(
        &self,
        org: Option<&str>,
        id: &str,
        changes: &app::model::PatChanges,
    ) -> ApiResult<app::model::Saved> {
        let body = serde_json::json!({ "org": org, "id": id, "changes": changes });
        let (status, _, body) = self.post(app::routes::api::UPDATE_PAT, body).await;
        Self::typed(status, body)
    }

    pub async fn rotate_pat(
        &self,
        org: Option<&str>,
        id: &str,
        expiry: &app::model::Expiry,
    ) -> ApiResult<app::model::Rotated> {
        let body = serde_json::json!({ "org": org, "id": id, "expiry": expiry });
        let (status, _, body) = self.post(app::routes::api::ROTATE_PAT, body).await;
        Self::typed(status, body)
    }

    pub async fn reissue_pat(
        &self,
        org: Option<&str>,
        id: &str,
        expiry: &app::model::Expiry,
    ) -> ApiResult<app::model::CreatedPat> {
        let body = serde_json::json!({ "org": org, "id": id, "expiry": expiry });
        let (status, _, body) = self.post(app::routes::api::REISSUE_PAT, body).await;
        Self::typed(status, body)
    }

    pub async fn revoke_pat(&self, org: Option<&str>, id: &str) -> ApiResult<()> {
        let (status, _, body) =
            self.post(app::routes::api::REVOKE_PAT, serde_json::json!({ "org": org, "id": id })).await;
        Self::typed(status, body)
    }
}

/// `/api/me` for a bare cookie header, as a browser holding that cookie (or a thief) would ask.
pub async fn me_with_cookie(app: &TestApp, cookie: &str) -> serde_json::Value {
    let res = Client::new().get(app.url(app::routes::api::ME)).header("cookie", cookie).send().await.unwrap();
    res.json().await.unwrap()
}

/// Every log line of this test binary, at trace level for the app, kept for leak scans.
static LOGS: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct LogSink;

impl std::io::Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = tracing_subscriber::fmt()
            // The test client's cookie jar (cookie_store) logs every cookie it keeps at debug:
            // those are the test's own lines, not the server's, and the sealed sign-in cookie is
            // random base64 that can spell "eyJ", which the leak scans look for.
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "trace,hyper=info,h2=info,reqwest=debug,cookie_store=info",
            ))
            .with_ansi(false)
            .with_writer(|| LogSink)
            .try_init();
    });
}

/// Everything logged so far by this test binary.
pub fn logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
}

pub type Shared<T> = Arc<T>;
