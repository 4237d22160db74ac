//! Issue 14, item 2: least privilege. The sign-in asks for reading only; the first change asks
//! Entra (here the demo stand-in, which keeps consent as Entra does) for `vso.pats_manage` in an
//! incremental-consent round trip that returns to the same page; a refusal changes nothing and
//! keeps the person signed in; `DEVOPS_SCOPES=classic` asks for `user_impersonation` once.

mod common;

use app::error::ApiError;
use app::model::{Expiry, PatForm};
use common::*;
use reqwest::StatusCode;
use url::Url;

fn form(name: &str) -> PatForm {
    PatForm { name: name.into(), scopes: vec!["vso.code".into()], expiry: Expiry::Days(30), all_orgs: false }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_change_asks_for_consent_then_works() {
    let app = spawn_demo().await;
    let c = browser();
    app.sign_in(&c, "megan", "/").await;
    let api = Api::new(&c, &app);
    let before = api.pats("filter=all").await.expect("reading needs no consent").tokens.len();

    let refused = api.create_pat(None, &form("needs consent")).await.unwrap_err();
    assert_eq!(refused, (StatusCode::FORBIDDEN, ApiError::ConsentNeeded));
    let id = api.pats("filter=active").await.unwrap().tokens[0].authorization_id.clone();
    assert_eq!(api.revoke_pat(None, &id).await.unwrap_err().1, ApiError::ConsentNeeded);
    assert_eq!(api.pats("filter=all").await.unwrap().tokens.len(), before, "nothing changed");

    // The round trip asks for vso.pats_manage (with the reading scopes), hints the signed-in
    // user, and comes back to the form.
    let res = app.start_consent(&c, "/tokens/new%3Forg%3Dcontoso-demo").await;
    let authorize = Url::parse(&location(&res)).unwrap();
    let q: std::collections::HashMap<String, String> = authorize.query_pairs().into_owned().collect();
    assert!(q["scope"].contains("499b84ac-1321-427f-aa17-267ca6975798/vso.pats_manage"));
    assert!(q["scope"].contains("499b84ac-1321-427f-aa17-267ca6975798/vso.pats "));
    assert_eq!(q["login_hint"], "MeganB@contoso.demo");
    assert_eq!(
        app.consent(&c, "megan", "/tokens/new%3Forg%3Dcontoso-demo", true).await,
        "/tokens/new?org=contoso-demo"
    );

    let created = api.create_pat(None, &form("after consent")).await.expect("allowed now");
    assert_eq!(created.secret.len(), 84);
    api.revoke_pat(None, &created.token.authorization_id).await.unwrap();
    // Asked once: another consent goes straight back.
    let res = app.start_consent(&c, "/tokens").await;
    assert_eq!(location(&res), "/tokens");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_consent_returns_to_the_form_changes_nothing_and_keeps_reading() {
    let app = spawn_demo().await;
    let c = browser();
    app.sign_in(&c, "lee", "/").await;
    let api = Api::new(&c, &app);
    assert_eq!(app.consent(&c, "lee", "/tokens/new", false).await, "/tokens/new?consent=refused");
    assert_eq!(api.me().await.unwrap().user.unwrap().name, "Lee Gu", "still signed in");
    assert!(api.pats("filter=active").await.is_ok(), "reading still works");
    assert_eq!(api.create_pat(None, &form("still not")).await.unwrap_err().1, ApiError::ConsentNeeded);
    // A consent started by someone signed out begins with signing in.
    let res = app.start_consent(&browser(), "/tokens").await;
    assert_eq!(location(&res), "/auth/sign-in?return_to=/tokens");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_devops_stand_in_refuses_changes_to_a_token_that_may_only_read() {
    let app = spawn_demo().await;
    let c = browser();
    app.sign_in(&c, "adele", "/").await;
    // The stand-in enforces the PAT API's scopes (vso.pats to read, vso.pats_manage to change):
    // the app's own gate is not what stops a read-only token.
    let entra = app.running.demo.as_ref().unwrap().entra.clone();
    let token = entra.access_token_with("adele", "vso.pats vso.profile vso.project");
    let url = app.url("/demo/devops/vssps/fabrikam-demo/_apis/tokens/pats?api-version=7.2-preview.1");
    let http = reqwest::Client::new();
    let get = http.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(get.status(), StatusCode::OK);
    let body = serde_json::json!({ "displayName": "x", "scope": "vso.code", "validTo": "2027-01-01T00:00:00Z", "allOrgs": false });
    let post = http.post(&url).bearer_auth(&token).json(&body).send().await.unwrap();
    assert_eq!(post.status(), StatusCode::UNAUTHORIZED);
    assert!(post.text().await.unwrap().contains("TF400813"));
    let manage = entra.access_token_with("adele", "vso.pats_manage");
    assert_eq!(
        http.post(&url).bearer_auth(&manage).json(&body).send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn classic_asks_for_user_impersonation_at_sign_in_and_never_for_consent() {
    let app = spawn_demo_env(TestHooks::default(), &[("DEVOPS_SCOPES", "classic")]).await;
    let c = browser();
    let authorize = app.start_sign_in(&c, "/").await;
    let q: std::collections::HashMap<String, String> = authorize.query_pairs().into_owned().collect();
    assert!(q["scope"].ends_with("offline_access 499b84ac-1321-427f-aa17-267ca6975798/user_impersonation"));
    let callback = app.pick_user(&c, &authorize, "adele").await;
    assert_eq!(location(&get_html(&c, &callback).await), "/");
    let api = Api::new(&c, &app);
    let created = api.create_pat(None, &form("classic")).await.expect("no consent step");
    api.revoke_pat(None, &created.token.authorization_id).await.unwrap();
    assert_eq!(location(&app.start_consent(&c, "/tokens").await), "/tokens");
}
