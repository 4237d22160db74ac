//! The PAT manager's server functions against the DevOps stand-in: lifecycle, validation, the
//! secret shown once, and every Azure DevOps failure mode.

mod common;

use std::time::Duration;

use common::*;
use reqwest::header::{CACHE_CONTROL, RETRY_AFTER};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use server::demo::devops::Failure;

async fn signed_in(hooks: TestHooks, env: &[(&str, &str)]) -> (TestApp, Client) {
    let app = spawn_demo_env(hooks, env).await;
    let c = browser();
    assert_eq!(app.sign_in_to_manage(&c, "adele", "/").await, "/");
    (app, c)
}

fn form(name: &str, scopes: &[&str], expiry: Value) -> Value {
    json!({ "name": name, "scopes": scopes, "expiry": expiry, "all_orgs": false })
}

fn days(n: u32) -> Value {
    json!({ "kind": "days", "value": n })
}

async fn create(c: &Client, app: &TestApp, org: Option<&str>, f: Value) -> (StatusCode, Value) {
    let (s, _, b) =
        Api::new(c, app).post(app::routes::api::CREATE_PAT, json!({ "org": org, "form": f })).await;
    (s, b)
}

fn field_error(body: &Value) -> (&str, &str) {
    assert_eq!(body["kind"], "invalid_input", "{body}");
    (body["field"].as_str().unwrap(), body["message"].as_str().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_secret_is_shown_once_and_found_nowhere_after() {
    let dir = std::env::temp_dir().join(format!("pat-portal-secret-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = format!("sqlite:{}", dir.join("s.sqlite").display());
    let (app, c) = signed_in(TestHooks::default(), &[("SESSION_STORE", &store)]).await;

    let (status, headers, body) = Api::new(&c, &app)
        .post(
            app::routes::api::CREATE_PAT,
            json!({ "org": null, "form": form("Deploy bot", &["vso.build_execute", "vso.code"], days(30)) }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers[CACHE_CONTROL], "no-store", "the one answer with a secret is never cached");
    let secret = body["secret"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 84, "new PATs are 84 characters");
    let id = body["token"]["authorization_id"].as_str().unwrap().to_string();
    assert_eq!(body["token"]["display_name"], "Deploy bot");
    assert_eq!(body["token"]["status"], "active");

    // Every later answer: the list, the search, the token itself, and the pages.
    let mut later = Vec::new();
    for path in [
        "/api/pats?filter=active".to_string(),
        "/api/pats?filter=all&search=Deploy".to_string(),
        format!("/api/pat?id={id}"),
        app::routes::api::OVERVIEW.to_string(),
    ] {
        let (s, h, b) = Api::new(&c, &app).get(&path).await;
        assert_eq!(s, StatusCode::OK, "{path}: {b}");
        later.push(format!("{h:?} {b}"));
    }
    let (_, _, found) = Api::new(&c, &app).get("/api/pats?filter=all&search=Deploy").await;
    assert!(found["tokens"].as_array().unwrap().iter().any(|t| t["authorization_id"] == id.as_str()));
    for path in ["/".to_string(), "/tokens".to_string(), format!("/tokens/{id}")] {
        let res = get_html(&c, &app.url(&path)).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        later.push(format!("{:?} {}", res.headers().clone(), res.text().await.unwrap()));
    }
    for text in &later {
        assert!(!text.contains(&secret), "the secret came back later: {text}");
    }
    assert!(later[6].contains("Deploy bot"), "the token page shows the new token's name");
    // The page carries its resources for hydration (the token as the server read it): the leak
    // scan above read them like the rest of the page.
    assert!(
        later[6].contains("__RESOLVED_RESOURCES") && later[6].contains(&id),
        "the resources hydration reads are in the page"
    );
    // Never logged.
    assert!(!logs().contains(&secret), "the secret is in the log");
    // Never in the session: every sealed value in the store, opened, and the raw file.
    let mut bytes = Vec::new();
    for f in std::fs::read_dir(&dir).unwrap() {
        bytes.extend(std::fs::read(f.unwrap().path()).unwrap());
    }
    let raw = String::from_utf8_lossy(&bytes).into_owned();
    assert!(!raw.contains(&secret));
    let key: [u8; 32] = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, TEST_SESSION_KEY)
        .unwrap()
        .try_into()
        .unwrap();
    let sealer = server::sessions::Sealer::new(&key);
    // Records are sealed whole, bound to the id they are stored under; the account inside is
    // sealed again.
    let records = server::sessions::DynStore::new(
        std::sync::Arc::new(tower_sessions::MemoryStore::default()),
        server::sessions::RecordIds::new(&key),
    );
    let mut opened = 0;
    let db = format!("sqlite:{}", dir.join("s.sqlite").display());
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&db).await.unwrap();
    let rows: Vec<(String, Vec<u8>)> =
        sqlx::query_as("select id, data from tower_sessions").fetch_all(&mut conn).await.unwrap();
    for (id, data) in rows {
        let id: tower_sessions::session::Id = id.parse().unwrap();
        let data = String::from_utf8_lossy(&data).into_owned();
        assert!(!data.contains(&secret));
        for run in data.split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '+' || ch == '/' || ch == '='))
        {
            // MessagePack bytes around the value can look like base64 characters: try a few
            // starts and ends.
            for (start, cut) in (0..3).flat_map(|a| (0..3).map(move |b| (a, b))) {
                let end = run.len().saturating_sub(cut);
                let Some(candidate) = run.get(start..end).filter(|r| r.len() > 100) else { continue };
                let outer = std::collections::HashMap::from([("sealed".to_string(), json!(candidate))]);
                let Some(values) = records.open_stored(&id, &outer) else { continue };
                for value in values.values().filter_map(|v| v.as_str()) {
                    let Some(plain) = sealer.open(value) else { continue };
                    opened += 1;
                    assert!(
                        !String::from_utf8_lossy(&plain).contains(&secret),
                        "the secret is in the session"
                    );
                }
            }
        }
    }
    assert!(opened >= 1, "the session's sealed token cache was found and opened");
    app.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_on_its_field() {
    let (app, c) = signed_in(TestHooks::default(), &[]).await;
    let cases = [
        (form("   ", &["vso.code"], days(30)), "name"),
        (form(&"x".repeat(257), &["vso.code"], days(30)), "name"),
        (form("ok", &[], days(30)), "scopes"),
        // Well-formed but unknown: Azure DevOps decides (invalidScope), on the same field.
        (form("ok", &["vso.nonsense"], days(30)), "scopes"),
        (form("ok", &["vso code"], days(30)), "scopes"),
        (form("ok", &["vso.code"], json!({ "kind": "date", "value": "2020-01-01" })), "valid_to"),
        (form("ok", &["vso.code"], json!({ "kind": "date", "value": "31/12/2030" })), "valid_to"),
        (form("ok", &["vso.code"], days(400)), "valid_to"),
        (form("ok", &["vso.code"], json!({ "kind": "date", "value": "2099-01-01" })), "valid_to"),
    ];
    for (f, field) in cases {
        let (status, body) = create(&c, &app, None, f.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{f}: {body}");
        assert_eq!(field_error(&body).0, field, "{f}");
    }
    // The tenant's policies come back from Azure DevOps. Contoso (this user's tenant) allows a
    // year and full access; Litware's (`after_global.rs`) 90 days and no full access.
    let (status, body) = create(&c, &app, Some("contoso-demo"), form("long", &["vso.code"], days(365))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["cut"].is_null(), "{body}");
    let (status, body) =
        create(&c, &app, Some("fabrikam-demo"), form("all", &["app_token"], days(120))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token"]["scopes"], json!(["app_token"]));
    // A malformed organization name never reaches a URL.
    let (status, body) = create(&c, &app, Some("../evil"), form("x", &["vso.code"], days(7))).await;
    assert_eq!((status, field_error(&body).0), (StatusCode::BAD_REQUEST, "org"));
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_extend_rescope_rotate_and_revoke() {
    let (app, c) = signed_in(TestHooks::default(), &[]).await;
    let (_, created) = create(&c, &app, None, form("Nightly", &["vso.code"], days(7))).await;
    let id = created["token"]["authorization_id"].as_str().unwrap().to_string();
    let old_to = created["token"]["valid_to"].as_str().unwrap().to_string();
    assert_eq!(created["token"]["status"], "expiring_soon");

    // Rename, rescope and extend in one update.
    let changes = json!({ "name": "Nightly build", "scopes": ["vso.code", "vso.build"], "expiry": days(90) });
    let (status, _, saved) = Api::new(&c, &app)
        .post(app::routes::api::UPDATE_PAT, json!({ "org": null, "id": id, "changes": changes }))
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert!(saved["cut"].is_null(), "fabrikam-demo allows a year");
    let updated = saved["token"].clone();
    assert_eq!(updated["display_name"], "Nightly build");
    assert_eq!(updated["scopes"], json!(["vso.build", "vso.code"]));
    assert!(updated["valid_to"].as_str().unwrap() > old_to.as_str());
    assert_eq!(updated["status"], "active");
    assert!(updated.get("secret").is_none());
    let (_, _, fetched) = Api::new(&c, &app).get(&format!("/api/pat?id={id}")).await;
    assert_eq!(fetched["display_name"], "Nightly build");

    // Rotate: a twin with the same name and scopes, a new expiry; the old one revoked.
    let (status, _, rotated) = Api::new(&c, &app)
        .post(app::routes::api::ROTATE_PAT, json!({ "org": null, "id": id, "expiry": days(30) }))
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    assert_eq!(rotated["old_revoked"], true);
    let twin = &rotated["created"];
    assert_eq!(twin["token"]["display_name"], "Nightly build");
    assert_eq!(twin["token"]["scopes"], json!(["vso.build", "vso.code"]));
    assert_ne!(twin["token"]["authorization_id"], id.as_str());
    assert_eq!(twin["secret"].as_str().unwrap().len(), 84);
    let (_, _, old) = Api::new(&c, &app).get(&format!("/api/pat?id={id}")).await;
    assert_eq!(old["status"], "revoked");
    let twin_id = twin["token"]["authorization_id"].as_str().unwrap().to_string();

    // Rotating when the revoke fails keeps the new token and says so.
    let devops = app.running.demo.as_ref().unwrap().devops.clone();
    devops.fail_next(Failure::ServerError500, Some(Method::DELETE), 1);
    let (status, _, r2) = Api::new(&c, &app)
        .post(app::routes::api::ROTATE_PAT, json!({ "org": null, "id": twin_id, "expiry": days(30) }))
        .await;
    assert_eq!(status, StatusCode::OK, "{r2}");
    assert_eq!(r2["old_revoked"], false);
    assert!(r2["revoke_problem"].as_str().unwrap().contains("not answering"), "{r2}");
    let third_id = r2["created"]["token"]["authorization_id"].as_str().unwrap().to_string();
    let (_, _, still) = Api::new(&c, &app).get(&format!("/api/pat?id={twin_id}")).await;
    assert_eq!(still["status"], "active", "the old token is still valid, as the user was told");
    let (_, _, third) = Api::new(&c, &app).get(&format!("/api/pat?id={third_id}")).await;
    assert_eq!(third["status"], "active", "the new token was kept");

    // Revoke.
    let (status, _, _) =
        Api::new(&c, &app).post(app::routes::api::REVOKE_PAT, json!({ "org": null, "id": twin_id })).await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, revoked) = Api::new(&c, &app).get("/api/pats?filter=revoked&search=Nightly").await;
    let ids: Vec<&str> = revoked["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["authorization_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&twin_id.as_str()) && ids.contains(&id.as_str()));
    // A revoked token cannot be rotated; an unknown one is not found.
    let (status, _, body) = Api::new(&c, &app)
        .post(app::routes::api::ROTATE_PAT, json!({ "org": null, "id": id, "expiry": days(30) }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let unknown = uuid::Uuid::new_v4().to_string();
    let (status, _, body) = Api::new(&c, &app).get(&format!("/api/pat?id={unknown}")).await;
    assert_eq!((status, body["kind"].as_str().unwrap()), (StatusCode::NOT_FOUND, "not_found"));
    let (status, _, _) =
        Api::new(&c, &app).post(app::routes::api::REVOKE_PAT, json!({ "org": null, "id": unknown })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_sort_page_and_search() {
    let (app, c) = signed_in(TestHooks::default(), &[]).await;
    // Paging through continuation tokens, 20 at a time.
    let (_, _, first) = Api::new(&c, &app).get("/api/pats?filter=all&sort=name").await;
    let tokens = first["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 20);
    let names: Vec<String> =
        tokens.iter().map(|t| t["display_name"].as_str().unwrap().to_lowercase()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "sorted by name");
    let after = first["continuation_token"].as_str().unwrap();
    let (_, _, second) =
        Api::new(&c, &app).get(&format!("/api/pats?filter=all&sort=name&after={after}")).await;
    assert!(!second["tokens"].as_array().unwrap().is_empty());
    assert_ne!(second["tokens"][0]["authorization_id"], first["tokens"][0]["authorization_id"]);
    // Descending by expiry.
    let (_, _, desc) = Api::new(&c, &app).get("/api/pats?filter=active&sort=valid_to&desc=true").await;
    let dates: Vec<&str> =
        desc["tokens"].as_array().unwrap().iter().map(|t| t["valid_to"].as_str().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
    // Search reads every page.
    let (_, _, found) = Api::new(&c, &app).get("/api/pats?filter=all&search=ci%20pipeline").await;
    let found = found["tokens"].as_array().unwrap();
    assert!(!found.is_empty());
    assert!(found.iter().all(|t| t["display_name"].as_str().unwrap().to_lowercase().contains("ci pipeline")));
    // The dashboard's counts add up to the whole list.
    let (_, _, o) = Api::new(&c, &app).get(app::routes::api::OVERVIEW).await;
    let total =
        ["active", "expiring_soon", "expired", "revoked"].iter().map(|k| o[k].as_u64().unwrap()).sum::<u64>();
    assert!(total >= 36, "{o}");
    assert!(o["expiring_soon"].as_u64().unwrap() >= 1);
    assert_eq!(o["soon"].as_array().unwrap().len() as u64, o["expiring_soon"].as_u64().unwrap());
    assert_eq!(o["upcoming"].as_array().unwrap().len(), 12);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_organizations_and_projects() {
    let (app, c) = signed_in(TestHooks::default(), &[]).await;
    let (status, _, p) = Api::new(&c, &app).get(app::routes::api::PROFILE).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["display_name"], "Adele Vance");
    let (_, _, orgs) = Api::new(&c, &app).get(app::routes::api::ORGS).await;
    let names: Vec<&str> =
        orgs["orgs"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"fabrikam-demo") && names.contains(&"contoso-demo"), "{names:?}");
    assert_eq!(orgs["default"], "fabrikam-demo");
    let (status, _, projects) = Api::new(&c, &app).get("/api/projects?org=fabrikam-demo").await;
    assert_eq!(status, StatusCode::OK, "{projects}");
    assert!(!projects["projects"].as_array().unwrap().is_empty());
    // Tokens are per organization: one made in contoso-demo is not listed in fabrikam-demo.
    let (_, made) =
        create(&c, &app, Some("contoso-demo"), form("Contoso only", &["vso.work"], days(30))).await;
    let id = made["token"]["authorization_id"].as_str().unwrap();
    let (_, _, there) =
        Api::new(&c, &app).get("/api/pats?org=contoso-demo&filter=active&search=Contoso%20only").await;
    assert_eq!(there["tokens"][0]["authorization_id"], id);
    let (_, _, here) =
        Api::new(&c, &app).get("/api/pats?org=fabrikam-demo&filter=active&search=Contoso%20only").await;
    assert!(here["tokens"].as_array().unwrap().is_empty());
    // An organization whose Conditional Access refuses the call: no access, with the reason.
    let (status, _, body) = Api::new(&c, &app).get("/api/pats?org=northwind-demo&filter=active").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        (body["kind"].as_str(), body["organization"].as_str()),
        (Some("no_access"), Some("northwind-demo"))
    );
    assert!(body["reason"].as_str().unwrap().contains("Conditional Access"), "{body}");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azure_devops_failures_are_handled_in_one_place() {
    let hooks = TestHooks { http_timeout: Some(Duration::from_secs(2)), ..TestHooks::default() };
    let (app, c) = signed_in(hooks, &[]).await;
    let devops = app.running.demo.as_ref().unwrap().devops.clone();
    let list = "/api/pats?filter=active";

    // 203 with the HTML sign-in page, and 401: the session-expired flow.
    for failure in [Failure::SignInPage203, Failure::Unauthorized401] {
        devops.fail_next(failure, None, 1);
        let (status, _, body) = Api::new(&c, &app).get(list).await;
        assert_eq!((status, body["kind"].as_str().unwrap()), (StatusCode::UNAUTHORIZED, "session_expired"));
    }
    // 403 and 404.
    devops.fail_next(Failure::Forbidden403, None, 1);
    let (status, _, body) = Api::new(&c, &app).get(list).await;
    assert_eq!((status, body["kind"].as_str().unwrap()), (StatusCode::FORBIDDEN, "forbidden"));
    devops.fail_next(Failure::NotFound404, None, 1);
    let (status, _, _) = Api::new(&c, &app).get(list).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // 429 on a read with a short Retry-After: waited for and retried once, invisibly.
    let before = devops.request_count(&Method::GET);
    devops.fail_next(Failure::Throttled { retry_after_secs: 1 }, Some(Method::GET), 1);
    let (status, _, body) = Api::new(&c, &app).get(list).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(devops.request_count(&Method::GET) - before, 2, "one call, one retry");
    // Twice throttled: one retry only, then the user is told.
    devops.fail_next(Failure::Throttled { retry_after_secs: 1 }, Some(Method::GET), 2);
    let (status, _, _) = Api::new(&c, &app).get(list).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // A long Retry-After is passed on to the user instead, and holds this user's calls in that
    // organization (another organization here, so that the steps below are not held).
    let contoso = "/api/pats?filter=active&org=contoso-demo";
    devops.fail_next(Failure::Throttled { retry_after_secs: 60 }, Some(Method::GET), 1);
    let (status, headers, body) = Api::new(&c, &app).get(contoso).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body, json!({ "kind": "rate_limited", "retry_after_secs": 60 }));
    assert_eq!(headers[RETRY_AFTER], "60");
    // Writes are never retried: a retry could create a second token.
    let before = devops.request_count(&Method::POST);
    devops.fail_next(Failure::Throttled { retry_after_secs: 1 }, Some(Method::POST), 1);
    let (status, body) = create(&c, &app, None, form("throttled", &["vso.code"], days(7))).await;
    assert_eq!((status, body["kind"].as_str().unwrap()), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"));
    assert_eq!(devops.request_count(&Method::POST) - before, 1);

    // 5xx and timeouts: Azure DevOps is not answering.
    devops.fail_next(Failure::ServerError500, None, 1);
    let (status, _, body) = Api::new(&c, &app).get(list).await;
    assert_eq!((status, body["kind"].as_str().unwrap()), (StatusCode::BAD_GATEWAY, "upstream_unavailable"));
    devops.fail_next(Failure::Slow(Duration::from_secs(4)), None, 1);
    let (status, _, body) = Api::new(&c, &app).get(list).await;
    assert_eq!((status, body["kind"].as_str().unwrap()), (StatusCode::BAD_GATEWAY, "upstream_unavailable"));

    // And the same call works again afterwards: nothing was lost.
    devops.clear_failures();
    let (status, _, _) = Api::new(&c, &app).get(list).await;
    assert_eq!(status, StatusCode::OK);
    // The pages say so too, with the status.
    devops.fail_next(Failure::ServerError500, None, 5);
    let res = get_html(&c, &app.url("/tokens")).await;
    let html = res.text().await.unwrap();
    assert!(html.contains("Azure DevOps is not answering"), "the page explains the failure");
    devops.clear_failures();
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_from_another_site_are_refused() {
    let (app, c) = signed_in(TestHooks::default(), &[]).await;
    let body = json!({ "org": null, "form": form("csrf", &["vso.code"], days(7)) }).to_string();
    let attempt =
        |origin: Option<&'static str>, site: Option<&'static str>, path: &'static str, body: String| {
            let mut r = c.post(app.url(path)).header("content-type", "application/json").body(body);
            if let Some(o) = origin {
                r = r.header("origin", o);
            }
            if let Some(s) = site {
                r = r.header("sec-fetch-site", s);
            }
            r.send()
        };
    let res = attempt(Some("https://evil.example"), None, app::routes::api::CREATE_PAT, body.clone())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(res.json::<Value>().await.unwrap()["kind"], "forbidden");
    let res = attempt(None, Some("cross-site"), app::routes::api::CREATE_PAT, body.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = attempt(None, Some("same-site"), app::routes::SIGN_OUT, String::new()).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "a sibling subdomain is another origin");
    // Every write: create, update, revoke, rotate and sign-out, with a foreign Origin.
    let (_, _, active) = Api::new(&c, &app).get("/api/pats?filter=active").await;
    let victim = active["tokens"][0].clone();
    let id = victim["authorization_id"].as_str().unwrap().to_string();
    let writes = [
        (app::routes::api::CREATE_PAT, body.clone()),
        (
            app::routes::api::UPDATE_PAT,
            json!({ "org": null, "id": id, "changes": { "name": "renamed" } }).to_string(),
        ),
        (app::routes::api::REVOKE_PAT, json!({ "org": null, "id": id }).to_string()),
        (app::routes::api::ROTATE_PAT, json!({ "org": null, "id": id, "expiry": days(30) }).to_string()),
        // Issue 29: the re-issue and both halves of a bulk change, which had no test of their own.
        (app::routes::api::REISSUE_PAT, json!({ "org": null, "id": id, "expiry": days(30) }).to_string()),
        (
            app::routes::api::BULK_PREVIEW,
            json!({ "action": { "kind": "revoke" }, "tokens": [{ "org": "fabrikam-demo", "id": id }] })
                .to_string(),
        ),
        (
            app::routes::api::BULK_APPLY,
            json!({ "change": { "kind": "revoke" }, "tokens": [{ "org": "fabrikam-demo", "id": id }] })
                .to_string(),
        ),
        (app::routes::SIGN_OUT, String::new()),
    ];
    for (path, write) in writes {
        let res = attempt(Some("https://evil.example"), None, path, write).await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let (_, _, none) = Api::new(&c, &app).get("/api/pats?filter=all&search=csrf").await;
    assert!(none["tokens"].as_array().unwrap().is_empty(), "nothing was created");
    let (_, _, same) = Api::new(&c, &app).get(&format!("/api/pat?id={id}")).await;
    assert_eq!(same, victim, "the token was neither renamed, revoked nor rotated");
    let (_, _, me) = Api::new(&c, &app).get(app::routes::api::ME).await;
    assert_eq!(me["user"]["name"], "Adele Vance", "still signed in: the sign-out was refused");

    // The app's own origin, as a browser sends it, passes.
    let own = app.base.clone();
    let res = c
        .post(app.url(app::routes::api::CREATE_PAT))
        .header("content-type", "application/json")
        .header("origin", own)
        .header("sec-fetch-site", "same-origin")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organizations_are_looked_up_once_per_sign_in_for_a_while() {
    let (app, c) = signed_in(TestHooks::default(), &[]).await;
    let devops = app.running.demo.as_ref().unwrap().devops.clone();
    let before = devops.request_count(&Method::GET);
    let (status, _, first) = Api::new(&c, &app).get(app::routes::api::ORGS).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(devops.request_count(&Method::GET) - before, 2, "profile, then accounts");
    // Every page shows the organization switcher: later pages use what the session keeps.
    let before = devops.request_count(&Method::GET);
    let (_, _, again) = Api::new(&c, &app).get(app::routes::api::ORGS).await;
    assert_eq!(again, first);
    assert_eq!(devops.request_count(&Method::GET), before, "no call to Azure DevOps");
    // Another user has a list of their own.
    let other = browser();
    app.sign_in_to_manage(&other, "megan", "/").await;
    let before = devops.request_count(&Method::GET);
    let (status, _, _) = Api::new(&other, &app).get(app::routes::api::ORGS).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(devops.request_count(&Method::GET) - before, 2, "looked up for this user");
    // A new sign-in starts afresh (the user may have joined an organization).
    app.sign_in_to_manage(&c, "adele", "/").await;
    let before = devops.request_count(&Method::GET);
    let (status, _, _) = Api::new(&c, &app).get(app::routes::api::ORGS).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(devops.request_count(&Method::GET) - before, 2);
    app.shutdown().await;
}

/// A token's page, rendered while Azure DevOps answers slowly (so the render's task moves between
/// the runtime's threads), always comes back whole: nothing the page keeps may be tied to the
/// thread that began it. Found by `examples/page_time.rs`: the edit form's scope slot was a
/// thread-local value, and dropping it on the other thread panicked mid-response.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_page_renders_whole_when_its_task_moves_between_threads() {
    let (app, c) = signed_in(TestHooks::default(), &[]).await;
    let id = Api::new(&c, &app).pats("filter=active").await.unwrap().tokens[0].authorization_id.clone();
    let devops = app.running.demo.as_ref().unwrap().devops.clone();
    for round in 0..12 {
        devops.clear_failures();
        devops.fail_next(Failure::Slow(Duration::from_millis(15)), None, 1000);
        let res = get_html(&c, &app.url(&format!("/tokens/{id}"))).await;
        assert_eq!(res.status(), StatusCode::OK, "round {round}");
        let body = res.text().await.expect("the whole page, not a connection cut short");
        let tail = body.get(body.len().saturating_sub(300)..).unwrap_or(&body);
        assert!(body.contains("data-testid=\"scopes-closed\""), "round {round}: no edit form: {tail}");
        assert!(body.contains("</body></html>"), "round {round}: cut short: {tail}");
    }
    devops.clear_failures();
}
