//! Security, third round (issue 29): the items with a test of their own here, each failing
//! before its fix. The read gate's items are unit tests (`portal/read_gate.rs`), the settings'
//! bounds in `config/tests.rs`, the CSV columns in `portal/export.rs`, the escaped log text in
//! `portal/errors.rs`, CSRF on the re-issue and bulk changes in `pats.rs`.

mod common;

use app::error::ApiError;
use app::model::{Expiry, PatForm};
use app::routes::{INVENTORY_CSV, INVENTORY_JSON, REMINDERS_ICS};
use common::*;
use reqwest::header::{ACCEPT, CACHE_CONTROL, REFERER};
use reqwest::StatusCode;

/// Item 6: leptos_axum answers a server-function GET that accepts HTML with a redirect to its
/// `Referer` when the function set no `Location`: from another site's link, an open bounce
/// through the portal's origin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_function_never_redirects_to_another_sites_referer() {
    let app = spawn_demo().await;
    let c = browser();
    app.sign_in(&c, "adele", "/").await;
    let anonymous = browser();
    for (client, path) in [
        (&c, "/api/pats?filter=active"),
        (&c, "/api/me"),
        (&c, "/api/orgs"),
        (&anonymous, "/api/me"),
        (&anonymous, "/api/pats?filter=active"),
    ] {
        let res = client
            .get(app.url(path))
            .header(ACCEPT, "text/html,application/xhtml+xml")
            .header(REFERER, "https://evil.example/phish")
            .send()
            .await
            .unwrap();
        // leptos_axum still sends a form's browser back to the portal's own page ("/" when the
        // request named none of the portal's): never elsewhere.
        let to = location(&res);
        assert!(!to.contains("evil.example"), "{path} bounced to {to}");
        assert!(to.is_empty() || (to.starts_with('/') && !to.starts_with("//")), "{path}: {to}");
    }
    app.shutdown().await;
}

/// Untested claim: a consent round trip that comes back signed in as another account changes
/// nothing for the session's own account, and says so on the page it came from.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consent_that_comes_back_as_another_account_changes_nothing() {
    let app = spawn_demo().await;
    let c = browser();
    app.sign_in(&c, "adele", "/").await;
    let back = app.consent(&c, "megan", "/tokens/new", true).await;
    assert_eq!(back, "/tokens/new?consent=other_account");
    let api = Api::new(&c, &app);
    assert_eq!(api.me().await.unwrap().user.unwrap().name, "Adele Vance", "still Adele");
    let form = PatForm {
        name: "x".into(),
        scopes: vec!["vso.code".into()],
        expiry: Expiry::Days(7),
        all_orgs: false,
    };
    assert_eq!(
        api.create_pat(None, &form).await.unwrap_err().1,
        ApiError::ConsentNeeded,
        "no permission gained"
    );
    app.shutdown().await;
}

/// Untested claim: the exports and the calendar hold the person's token list: never cached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_and_the_calendar_are_never_cached() {
    let app = spawn_demo().await;
    let c = browser();
    app.sign_in(&c, "adele", "/").await;
    for path in [
        format!("{INVENTORY_CSV}?filter=all"),
        format!("{INVENTORY_JSON}?filter=all"),
        format!("{REMINDERS_ICS}?org=fabrikam-demo"),
    ] {
        let res = c.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()[CACHE_CONTROL], "no-store", "{path}");
    }
    app.shutdown().await;
}

/// Informational: the exports' and the calendar's errors name the request id as their
/// reference, as every other error does (they showed an empty one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_errors_carry_the_request_id() {
    let app = spawn_demo().await;
    let c = browser();
    app.sign_in(&c, "adele", "/").await;
    let devops = app.running.demo.as_ref().unwrap().devops.clone();
    for path in [format!("{REMINDERS_ICS}?org=fabrikam-demo"), format!("{INVENTORY_CSV}?filter=all")] {
        devops.fail_next(server::demo::devops::Failure::Undocumented418, None, 20);
        let res = c.get(app.url(&path)).send().await.unwrap();
        let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
        let body = res.text().await.unwrap();
        devops.clear_failures();
        if let Ok(ApiError::Internal { reference }) = serde_json::from_str::<ApiError>(&body) {
            assert_eq!(reference, id, "{path}");
        } else {
            // The inventory names the organizations it could not read instead of failing.
            assert!(path.starts_with(INVENTORY_CSV), "{path}: {body}");
        }
    }
    app.shutdown().await;
}

/// Item 3: a link another site makes to the callback, with an `error=` and no state of this
/// session's, neither ends the sign-in in progress nor shows the error it brings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_made_up_error_callback_does_not_end_the_sign_in_in_progress() {
    let app = spawn_demo().await;
    let c = browser();
    let authorize = app.start_sign_in(&c, "/tokens").await;
    for forged in [
        "/getAToken?error=access_denied&error_description=AADSTS65004%3A+declined",
        "/getAToken?error=invalid_request&error_description=AADSTS50011%3A+x&state=not-this-one",
    ] {
        let res = get_html(&c, &app.url(forged)).await;
        assert_eq!(res.status(), StatusCode::FOUND);
        let to = location(&res);
        assert!(to.contains("reason=expired") && !to.contains("AADSTS"), "{forged}: {to}");
    }
    // The real answer still completes the sign-in that was in progress.
    let callback = app.pick_user(&c, &authorize, "adele").await;
    let res = get_html(&c, &callback).await;
    assert_eq!(location(&res), "/tokens");
    assert_eq!(Api::new(&c, &app).me().await.unwrap().user.unwrap().name, "Adele Vance");
    app.shutdown().await;
}

/// Item 3, first half: a consent starts only from a POST of the portal's own page. Another
/// site can neither link to it (a GET is not a way in) nor post to it (the same-site rule), so
/// it can neither start an Entra round trip nor overwrite a sign-in in progress.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consent_starts_only_from_a_same_site_post() {
    let app = spawn_demo().await;
    let c = browser();
    app.sign_in(&c, "lee", "/").await;
    let link = get_html(&c, &app.url("/auth/consent?return_to=/tokens")).await;
    assert!(!location(&link).contains("/oauth2/v2.0/authorize"), "{}", location(&link));
    assert!(link.status().is_client_error(), "{}", link.status());
    assert!(link.headers().get("set-cookie").is_none(), "a link starts nothing");
    let cross_site = c
        .post(app.url(app::routes::CONSENT))
        .header(ACCEPT, "text/html")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .body("return_to=/tokens")
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    assert!(cross_site.headers().get("set-cookie").is_none(), "another site's post starts nothing");
    let own = app.start_consent(&c, "/tokens").await;
    assert!(location(&own).contains("/oauth2/v2.0/authorize"), "{}", location(&own));
    app.shutdown().await;
}

/// Item 5, first half: Entra starts a session of its own for a consent (the demo provider issues
/// a new `sid` at every code exchange, as Entra may); a front-channel sign-out of that session
/// ends the portal's session too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_front_channel_sign_out_of_the_consents_own_sid_ends_the_session() {
    let app = spawn_demo().await;
    let c = browser();
    app.sign_in_to_manage(&c, "megan", "/").await;
    let sids: Vec<String> = {
        let issued = app.running.demo.as_ref().unwrap().entra.issued_sids.lock().unwrap().clone();
        issued.into_iter().filter(|(u, _)| u == "megan").map(|(_, s)| s).collect()
    };
    assert_eq!(sids.len(), 2, "one sid for the sign-in, another for the consent: {sids:?}");
    let me = |c: &reqwest::Client| c.get(app.url(app::routes::api::ME)).send();
    let signed_in: serde_json::Value = me(&c).await.unwrap().json().await.unwrap();
    assert_eq!(signed_in["user"]["name"], "Megan Bowen");
    let res = reqwest::get(app.url(&format!("/auth/front-channel-logout?sid={}", sids[1]))).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let after: serde_json::Value = me(&c).await.unwrap().json().await.unwrap();
    assert_eq!(after["user"], serde_json::Value::Null, "the consent's sid ended the session");
    app.shutdown().await;
}
