//! A copy of the session store is not a key to any account (issue 12, gap 2): records are stored
//! under a keyed hash of the cookie's id, the sign-in in progress (state, nonce, PKCE verifier)
//! is sealed like the token cache, and the SQLite files are private to the server's user.

mod common;

use std::sync::Arc;

use common::*;
use reqwest::cookie::CookieStore;
use reqwest::redirect::Policy;
use reqwest::StatusCode;

/// The session cookie's value in `jar`, for `base`.
fn session_cookie(jar: &reqwest::cookie::Jar, base: &str) -> String {
    let header = jar.cookies(&base.parse().unwrap()).expect("a cookie");
    let header = header.to_str().unwrap().to_string();
    header
        .split("; ")
        .find_map(|c| c.strip_prefix("pat_portal_session="))
        .expect("the session cookie")
        .to_string()
}

async fn stored_ids(db: &std::path::Path) -> Vec<String> {
    let url = format!("sqlite:{}", db.display());
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await.unwrap();
    sqlx::query_scalar("select id from tower_sessions").fetch_all(&mut conn).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_names_no_cookie_and_holds_no_sign_in_secret() {
    let dir = std::env::temp_dir().join(format!("pat-portal-copy-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("s.sqlite");
    let store = format!("sqlite:{}", db.display());
    let app = spawn_demo_env(TestHooks::default(), &[("SESSION_STORE", &store)]).await;
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let c = reqwest::Client::builder().cookie_provider(jar.clone()).redirect(Policy::none()).build().unwrap();

    // A sign-in in progress: its state is in the authorize URL, nowhere in the store (issue 29:
    // it waits in the browser's sign-in cookie), and in that cookie only sealed.
    let authorize = app.start_sign_in(&c, "/").await;
    let state = authorize.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let nonce = authorize.query_pairs().find(|(k, _)| k == "nonce").unwrap().1.into_owned();
    let sign_in_cookie = jar.cookies(&app.base.parse().unwrap()).unwrap().to_str().unwrap().to_string();
    assert!(sign_in_cookie.starts_with("pat_portal_signin="), "{sign_in_cookie}");
    assert!(!sign_in_cookie.contains(&state) && !sign_in_cookie.contains(&nonce), "sealed in the cookie");
    let raw = || {
        let mut bytes = Vec::new();
        for f in std::fs::read_dir(&dir).unwrap() {
            bytes.extend(std::fs::read(f.unwrap().path()).unwrap());
        }
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let copy = raw();
    assert!(!copy.contains(&state) && !copy.contains(&nonce), "the pending sign-in is not in the store");
    assert!(stored_ids(&db).await.is_empty(), "starting a sign-in wrote no record");

    // Signed in: still no record under the cookie's id, and the session works.
    let callback = app.pick_user(&c, &authorize, "adele").await;
    let res = c.get(&callback).header("accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let cookie = session_cookie(&jar, &app.base);
    assert!(!stored_ids(&db).await.contains(&cookie));
    let me = me_with_cookie(&app, &format!("pat_portal_session={cookie}")).await;
    assert_eq!(me["user"]["name"], "Adele Vance");
    // A stolen row id is not a cookie.
    for id in stored_ids(&db).await {
        let me = me_with_cookie(&app, &format!("pat_portal_session={id}")).await;
        assert!(me["user"].is_null(), "a stored id opened a session");
    }

    // The database and its WAL and shared-memory files are private.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for suffix in ["", "-wal", "-shm"] {
            let path = std::path::PathBuf::from(format!("{}{suffix}", db.display()));
            if let Ok(meta) = std::fs::metadata(&path) {
                assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{}", path.display());
            } else {
                assert!(!suffix.is_empty(), "the database exists");
            }
        }
    }
    app.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}
