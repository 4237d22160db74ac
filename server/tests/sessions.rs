//! Session stores with real services: the embedded SQLite file across a restart, Redis shared by
//! two instances, and Redis going away and coming back in the middle of a test.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;

async fn me(c: &reqwest::Client, app: &TestApp) -> (StatusCode, Value) {
    let (status, _, body) = Api::new(c, app).get(app::routes::api::ME).await;
    (status, body)
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pat-portal-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The ids of the first page of the user's active tokens, as the token list shows them.
async fn token_ids(c: &reqwest::Client, app: &TestApp) -> Vec<String> {
    let page = Api::new(c, app).pats("filter=active").await.expect("the token list answers");
    page.tokens.into_iter().map(|t| t.authorization_id).collect()
}

/// Issue #10: on the demo stack with the default store (SQLite, generated session key), a
/// restart used to sign everyone out at their next DevOps call, because the demo identity
/// provider made a new signing key. Now its key and client secret are kept beside the database:
/// the same browser is still signed in, its tokens are listed, and the refresh token issued
/// before the restart is still redeemed after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_on_the_default_store_keeps_the_demo_user_signed_in_with_tokens_listed() {
    let dir = temp_dir();
    let store = format!("sqlite:{}", dir.join("sessions.sqlite").display());
    // An empty SESSION_KEY counts as unset: the key is generated beside the database, as by default.
    // Access tokens that live 302 s are refreshed at every call (the margin is 300 s).
    let hooks = TestHooks { demo_access_token_ttl: Some(302), ..TestHooks::default() };
    let first =
        spawn_demo_env(hooks.clone(), &[("SESSION_STORE", store.as_str()), ("SESSION_KEY", "")]).await;
    let bind = first.running.addr.to_string();
    let env = [("SESSION_STORE", store.as_str()), ("SESSION_KEY", ""), ("BIND_ADDR", bind.as_str())];
    let c = browser();
    assert_eq!(first.sign_in(&c, "adele", "/tokens").await, "/tokens");
    let before = token_ids(&c, &first).await;
    assert!(!before.is_empty(), "the demo user has tokens");
    first.shutdown().await;

    let state_file = dir.join("sessions.sqlite.demo");
    assert!(state_file.exists(), "the demo stack's key is kept beside the database");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&state_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "readable by its owner only");
    }

    // The same address, so the same public URL, issuer and cookie.
    let second = spawn_demo_env(hooks, &env).await;
    let viewer = Api::new(&c, &second).me().await.unwrap();
    assert_eq!(
        viewer.user.map(|u| u.name).as_deref(),
        Some("Adele Vance"),
        "still signed in after the restart"
    );
    let after = token_ids(&c, &second).await;
    assert_eq!(after, before, "DevOps calls work with the tokens from before the restart: the same tokens");
    let page = get_html(&c, &second.url("/tokens")).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains(&before[0]), "the token page lists them too");
    second.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_store_keeps_the_user_signed_in_across_a_restart() {
    let dir = temp_dir();
    let store = format!("sqlite:{}", dir.join("sessions.sqlite").display());
    let env = [("SESSION_STORE", store.as_str()), ("SESSION_KEY", TEST_SESSION_KEY)];

    let first = spawn_demo_env(TestHooks::default(), &env).await;
    let c = browser();
    assert_eq!(first.sign_in(&c, "adele", "/").await, "/");
    assert_eq!(me(&c, &first).await.1["user"]["name"], "Adele Vance");
    first.shutdown().await;

    // Cookies are not isolated by port: the jar sends the same cookie to the new instance.
    let second = spawn_demo_env(TestHooks::default(), &env).await;
    assert_eq!(me(&c, &second).await.1["user"]["name"], "Adele Vance", "still signed in after the restart");

    // What is stored is sealed: neither the name nor the token fields are readable in the file.
    let mut bytes = Vec::new();
    for f in std::fs::read_dir(&dir).unwrap() {
        bytes.extend(std::fs::read(f.unwrap().path()).unwrap());
    }
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        !text.contains("Adele Vance") && !text.contains("access_token") && !text.contains("refresh_token")
    );
    second.shutdown().await;

    // A wrong key after a restart means "sign in again", never a crash.
    let other_key = "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktMzI=";
    let third = spawn_demo_env(
        TestHooks::default(),
        &[("SESSION_STORE", store.as_str()), ("SESSION_KEY", other_key)],
    )
    .await;
    let (status, body) = me(&c, &third).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["user"], Value::Null);
    let res = c.get(third.url("/api/pats?filter=active")).send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["kind"], "not_signed_in");
    third.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_key_is_kept_beside_the_database() {
    let dir = temp_dir();
    let store = format!("sqlite:{}", dir.join("s.sqlite").display());
    // No SESSION_KEY: an empty value counts as unset.
    let env = [("SESSION_STORE", store.as_str()), ("SESSION_KEY", "")];
    let first = spawn_demo_env(TestHooks::default(), &env).await;
    let c = browser();
    first.sign_in(&c, "megan", "/").await;
    first.shutdown().await;
    assert!(dir.join("s.sqlite.key").exists(), "the key file is created on first run");
    let second = spawn_demo_env(TestHooks::default(), &env).await;
    assert_eq!(me(&c, &second).await.1["user"]["name"], "Megan Bowen", "and read again after a restart");
    second.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// The shared Redis of this machine (`REDIS_URL`, set by scripts/test.sh and CI).
fn shared_redis() -> Option<String> {
    match std::env::var("REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("REDIS_URL is not set: the shared-Redis test runs in scripts/test.sh, which sets it");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_sessions_through_redis() {
    let Some(url) = shared_redis() else { return };
    let env = [("SESSION_STORE", url.as_str()), ("SESSION_KEY", TEST_SESSION_KEY)];
    let a = spawn_demo_env(TestHooks::default(), &env).await;
    let b = spawn_demo_env(TestHooks::default(), &env).await;
    let c = browser();
    assert_eq!(a.sign_in(&c, "lee", "/").await, "/");
    assert_eq!(me(&c, &b).await.1["user"]["name"], "Lee Gu", "signed in through A, seen through B");

    let res = c.post(b.url(app::routes::SIGN_OUT)).header("Accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(me(&c, &a).await.1["user"], Value::Null, "signed out through B, gone for A");
}

/// The `sid` index lives in the shared store (issue 12, gap 3): a front-channel logout that
/// reaches another instance than the sign-in ends the session too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn front_channel_logout_reaches_a_session_signed_in_on_another_instance() {
    let Some(url) = shared_redis() else { return };
    let env = [("SESSION_STORE", url.as_str()), ("SESSION_KEY", TEST_SESSION_KEY)];
    let a = spawn_demo_env(TestHooks::default(), &env).await;
    let b = spawn_demo_env(TestHooks::default(), &env).await;
    let c = browser();
    assert_eq!(a.sign_in(&c, "megan", "/").await, "/");
    let sid = {
        let sids = a.running.demo.as_ref().unwrap().entra.issued_sids.lock().unwrap().clone();
        sids.iter().rev().find(|(u, _)| u == "megan").unwrap().1.clone()
    };
    // Every key the app wrote carries its prefix.
    let keys = std::process::Command::new("redis-cli")
        .args(["-u", &url, "--scan", "--pattern", "pat-portal:session:*"])
        .output()
        .expect("redis-cli");
    let keys = String::from_utf8_lossy(&keys.stdout).into_owned();
    assert!(keys.lines().count() >= 2, "the session and its sid index: {keys}");
    let res = reqwest::get(b.url(&format!("/auth/front-channel-logout?sid={sid}"))).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(me(&c, &a).await.1["user"], Value::Null, "ended through B, gone for A");
}

struct OwnRedis {
    child: tokio::process::Child,
    port: u16,
}

async fn start_redis(port: u16) -> OwnRedis {
    let child = tokio::process::Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("redis-server (Debian package redis-server) runs");
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return OwnRedis { child, port };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("redis-server did not start on port {port}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_gives_503_and_the_app_recovers_when_it_is_back() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut redis = start_redis(port).await;
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let app = spawn_demo_env(
        TestHooks::default(),
        &[("SESSION_STORE", url.as_str()), ("SESSION_KEY", TEST_SESSION_KEY)],
    )
    .await;
    let c = browser();
    assert_eq!(app.sign_in(&c, "adele", "/").await, "/");
    assert_eq!(me(&c, &app).await.1["user"]["name"], "Adele Vance");

    redis.child.kill().await.unwrap();
    let (status, body) = me(&c, &app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["kind"], "sessions_unavailable");
    let page = get_html(&c, &app.url("/")).await;
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE, "the page says so too");
    assert!(page.text().await.unwrap().contains("Sign-in sessions are unavailable right now"));

    // Back again (empty: it keeps nothing on disk). No restart of the app is needed.
    let _redis = start_redis(port).await;
    let mut recovered = false;
    for _ in 0..40 {
        let (status, body) = me(&c, &app).await;
        if status == StatusCode::OK {
            assert_eq!(body["user"], Value::Null, "the session died with Redis' memory");
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(recovered, "the app recovers by itself when Redis is back");
    assert_eq!(app.sign_in(&c, "adele", "/").await, "/", "and sign-in works again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_ends_at_its_absolute_lifetime_however_active() {
    let app = spawn_demo_with(TestHooks { session_max_age_secs: Some(2), ..Default::default() }).await;
    let c = browser();
    app.sign_in(&c, "adele", "/").await;
    assert_eq!(me(&c, &app).await.1["user"]["name"], "Adele Vance");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(me(&c, &app).await.1["user"]["name"], "Adele Vance", "activity does not extend it...");
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(
        me(&c, &app).await.1["user"],
        Value::Null,
        "...past the absolute lifetime the user signs in again"
    );
    let res = c.get(app.url("/api/pats?filter=active")).send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["kind"], "not_signed_in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_refresh_a_shared_session_only_once() {
    let Some(url) = shared_redis() else { return };
    // A runs the demo stack; B is configured like a second instance of the same deployment:
    // the same identity provider (A's stand-in), client, Redis and key.
    let hooks = TestHooks { demo_access_token_ttl: Some(302), ..Default::default() };
    let a =
        spawn_demo_env(hooks, &[("SESSION_STORE", url.as_str()), ("SESSION_KEY", TEST_SESSION_KEY)]).await;
    let secret = a.client_secret();
    let authority = a.url("/demo/entra/7b0c2f4e-5d1a-4c3b-9e8f-0a1b2c3d4e5f");
    let (vssps, app_vssps) = (a.url("/demo/devops/vssps"), a.url("/demo/devops/app"));
    let b = spawn_demo_env(
        TestHooks::default(),
        &[
            ("SESSION_STORE", url.as_str()),
            ("SESSION_KEY", TEST_SESSION_KEY),
            ("CLIENT_ID", server::demo::DEMO_CLIENT_ID),
            ("CLIENT_SECRET", secret.as_str()),
            ("AUTHORITY", authority.as_str()),
            ("DEVOPS_ORGANIZATION", "fabrikam-demo"),
            ("DEVOPS_VSSPS_URL", vssps.as_str()),
            ("DEVOPS_APP_VSSPS_URL", app_vssps.as_str()),
        ],
    )
    .await;
    let c = browser();
    assert_eq!(a.sign_in(&c, "adele", "/").await, "/");
    assert_eq!(c.get(b.url("/api/pats?filter=active")).send().await.unwrap().status(), StatusCode::OK);
    let entra = a.running.demo.as_ref().unwrap().entra.clone();
    tokio::time::sleep(Duration::from_millis(2100)).await;

    let calls: Vec<_> = (0..8)
        .map(|i| {
            let url =
                if i % 2 == 0 { a.url("/api/pats?filter=active") } else { b.url("/api/pats?filter=active") };
            let c = c.clone();
            tokio::spawn(async move { c.get(url).send().await.unwrap().status() })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap(), StatusCode::OK, "no instance spends a rotated refresh token");
    }
    assert_eq!(
        entra.refreshes.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one refresh across both instances"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_sqlite_database_is_waited_for_not_failed() {
    let dir = temp_dir();
    let db = dir.join("busy.sqlite");
    let store = format!("sqlite:{}", db.display());
    let app = spawn_demo_env(
        TestHooks::default(),
        &[("SESSION_STORE", store.as_str()), ("SESSION_KEY", TEST_SESSION_KEY)],
    )
    .await;
    let c = browser();
    app.sign_in(&c, "adele", "/").await;

    // Another process holds an exclusive lock for a second (a backup, a maintenance job).
    use sqlx::Connection;
    let mut other = sqlx::SqliteConnection::connect(&format!("sqlite:{}", db.display())).await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE").execute(&mut other).await.unwrap();
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        sqlx::query("COMMIT").execute(&mut other).await.unwrap();
        other.close().await.unwrap();
    });
    // A sign-in writes the session: it waits for the lock instead of failing.
    let started = std::time::Instant::now();
    let c2 = browser();
    assert_eq!(app.sign_in(&c2, "megan", "/").await, "/");
    release.await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(500), "the write waited for the lock");
    assert_eq!(me(&c2, &app).await.1["user"]["name"], "Megan Bowen");
    assert_eq!(me(&c, &app).await.1["user"]["name"], "Adele Vance", "nothing was lost or corrupted");

    let mut check = sqlx::SqliteConnection::connect(&format!("sqlite:{}", db.display())).await.unwrap();
    let ok: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut check).await.unwrap();
    assert_eq!(ok, "ok");
    app.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}
