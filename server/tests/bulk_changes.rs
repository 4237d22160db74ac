//! Bulk changes under bounds (issue 29, medium 2): one at a time per session, each token taken
//! from the user's change budget, none started past the deadline (reported as not attempted),
//! and an extension fixed to its previewed expiry so that a retry changes nothing twice. Before,
//! an apply ran inside its request with no budget and no deadline, any number at once, and an
//! extension was "N days from now" again at every retry.

mod common;

use std::time::Duration;

use app::inventory::{BulkPlan, BulkTarget, Inventory};
use app::routes::api;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use server::demo::devops::Failure;

const MEGAN_OID: &str = "5a7c9e1f-3b2d-4c6e-8f0a-2b3c4d5e6f72";

/// `n` active tokens of Megan's in one organization, made for the test ("Bulk token …").
async fn active_targets(app: &TestApp, api: &Api<'_>, n: usize) -> Vec<BulkTarget> {
    app.running.demo.as_ref().unwrap().devops.add_tokens(MEGAN_OID, "fabrikam-demo", n);
    let (status, _, body) =
        api.get(&format!("{}?filter=active&sort=name&search=bulk%20token", api::INVENTORY)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let inv: Inventory = serde_json::from_value(body).unwrap();
    let picked: Vec<_> =
        inv.tokens.iter().filter(|r| r.organization.is_some()).take(n).map(|r| r.target()).collect();
    assert_eq!(picked.len(), n);
    picked
}

fn not_attempted(p: &app::inventory::BulkProgress) -> Vec<String> {
    p.outcomes
        .iter()
        .filter_map(|o| o.error.as_ref().map(|e| e.to_string()))
        .filter(|e| e.contains("Not attempted"))
        .collect()
}

/// A second change while one runs is refused; the first reports as it goes and then in full.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_change_runs_one_at_a_time_per_session_and_reports_as_it_goes() {
    let app = spawn_demo().await;
    let c = browser();
    app.sign_in_to_manage(&c, "megan", "/").await;
    let api = Api::new(&c, &app);
    let targets = active_targets(&app, &api, 4).await;
    let devops = app.running.demo.as_ref().unwrap().devops.clone();
    devops.fail_next(Failure::Slow(Duration::from_millis(400)), Some(Method::DELETE), 4);
    let revoke = json!({"change": {"kind": "revoke"}, "tokens": targets});
    let (status, _, started) = api.post(api::BULK_APPLY, revoke.clone()).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    assert_eq!((started["total"].as_u64(), started["finished"].as_bool()), (Some(4), Some(false)));
    let (status, _, refused) = api.post(api::BULK_APPLY, revoke.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(refused.to_string().contains("still running"), "{refused}");
    let done = loop {
        let (_, _, p) = api.get(api::BULK_PROGRESS).await;
        let p: app::inventory::BulkProgress = serde_json::from_value(p).unwrap();
        if p.finished {
            break p;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(done.outcomes.len(), 4);
    assert!(done.outcomes.iter().all(|o| o.done.as_deref() == Some("Revoked")), "{:?}", done.outcomes);
    // Once finished, a retry of the same change changes nothing twice: all already revoked.
    let deletes = devops.request_count(&Method::DELETE);
    let again = api.bulk_change(revoke).await.unwrap();
    assert!(again
        .outcomes
        .iter()
        .all(|o| o.error.as_ref().is_some_and(|e| e.to_string().contains("Already revoked"))));
    assert_eq!(devops.request_count(&Method::DELETE), deletes, "nothing sent twice");
    app.shutdown().await;
}

/// Every token of a bulk change takes one from the user's change budget: past it, the rest are
/// not attempted (and say when to try again), and a single change is refused with 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_change_budget_tokens_are_not_attempted_and_a_single_change_waits() {
    let app = spawn_demo_env(TestHooks::default(), &[("RATE_LIMIT_TOKEN_CHANGES", "3")]).await;
    let c = browser();
    app.sign_in_to_manage(&c, "megan", "/").await;
    let api = Api::new(&c, &app);
    let targets = active_targets(&app, &api, 5).await;
    let devops = app.running.demo.as_ref().unwrap().devops.clone();
    let deletes = devops.request_count(&Method::DELETE);
    let p = api.bulk_change(json!({"change": {"kind": "revoke"}, "tokens": targets})).await.unwrap();
    assert_eq!(p.outcomes.iter().filter(|o| o.done.is_some()).count(), 3, "{:?}", p.outcomes);
    let skipped = not_attempted(&p);
    assert_eq!(skipped.len(), 2, "{:?}", p.outcomes);
    assert!(skipped[0].contains("limit of 3 token changes a minute"), "{skipped:?}");
    assert_eq!(devops.request_count(&Method::DELETE) - deletes, 3, "only the budget's worth was sent");
    let (status, e) = api.revoke_pat(Some(&targets[4].org), &targets[4].id).await.unwrap_err();
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(matches!(e, app::error::ApiError::TooManyRequests { .. }), "{e:?}");
    app.shutdown().await;
}

/// A slow Azure DevOps: no token starts after the change's deadline (four times the request
/// deadline), each one sent is waited for, and the rest are reported as not attempted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_its_deadline_a_slow_bulk_change_reports_what_it_did_not_attempt() {
    let app = spawn_demo_env(TestHooks::default(), &[("REQUEST_DEADLINE_SECS", "1")]).await;
    let c = browser();
    app.sign_in_to_manage(&c, "megan", "/").await;
    let api = Api::new(&c, &app);
    let targets = active_targets(&app, &api, 12).await;
    let devops = app.running.demo.as_ref().unwrap().devops.clone();
    devops.fail_next(Failure::Slow(Duration::from_millis(2500)), Some(Method::DELETE), 12);
    let p = api.bulk_change(json!({"change": {"kind": "revoke"}, "tokens": targets})).await.unwrap();
    assert_eq!(p.outcomes.len(), 12);
    let skipped = not_attempted(&p);
    assert!(!skipped.is_empty() && skipped.len() < 12, "{:?}", p.outcomes);
    assert!(skipped[0].contains("stopped after 4 seconds"), "{skipped:?}");
    for o in &p.outcomes {
        let now = api.pat(Some(&o.target.org), &o.target.id).await.unwrap();
        let revoked = now.status == app::model::PatStatus::Revoked;
        assert_eq!(revoked, o.done.is_some(), "reported as it is: {o:?}");
    }
    app.shutdown().await;
}

/// An extension is applied to the instant its preview showed: applying it again (a retry, or a
/// second click) leaves every token as it is and sends nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_extension_changes_nothing_twice() {
    let app = spawn_demo().await;
    let c = browser();
    app.sign_in_to_manage(&c, "megan", "/").await;
    let api = Api::new(&c, &app);
    // The two tokens that expire first (the seeded ones expiring within a week).
    let (_, _, body) = api.get(&format!("{}?filter=active&sort=valid_to", api::INVENTORY)).await;
    let inv: Inventory = serde_json::from_value(body).unwrap();
    let targets: Vec<_> =
        inv.tokens.iter().filter(|r| r.organization.is_some()).take(2).map(|r| r.target()).collect();
    let (_, _, body) = api
        .post(api::BULK_PREVIEW, json!({"action": {"kind": "extend", "days": 90}, "tokens": targets}))
        .await;
    let plan: BulkPlan = serde_json::from_value(body).unwrap();
    let until = plan.until.clone().unwrap();
    assert!(plan
        .items
        .iter()
        .filter(|i| i.skip.is_none())
        .all(|i| i.new_valid_to.as_deref() == Some(until.as_str())));
    let change = json!({"change": {"kind": "extend_to", "until": until}, "tokens": targets});
    let first = api.bulk_change(change.clone()).await.unwrap();
    assert!(first.outcomes.iter().all(|o| o.done.is_some()), "{:?}", first.outcomes);
    // A token already valid to a later date is left alone too: an extension never shortens.
    let later = app::inventory::BulkTarget { org: "fabrikam-demo".into(), id: targets[0].id.clone() };
    let (_, _, body) = api
        .post(api::BULK_PREVIEW, json!({"action": {"kind": "extend", "days": 7}, "tokens": [later]}))
        .await;
    let shorter: BulkPlan = serde_json::from_value(body).unwrap();
    assert!(shorter.items[0]
        .skip
        .as_deref()
        .is_some_and(|s| s.starts_with("Already valid to that date or later")));
    let devops = app.running.demo.as_ref().unwrap().devops.clone();
    let puts = devops.request_count(&Method::PUT);
    let again = api.bulk_change(change).await.unwrap();
    assert!(
        again
            .outcomes
            .iter()
            .all(|o| o.error.as_ref().is_some_and(|e| e.to_string().contains("Already valid to"))),
        "{:?}",
        again.outcomes
    );
    assert_eq!(devops.request_count(&Method::PUT), puts, "nothing sent twice");
    // An expiry the page never offered is refused before anything is read.
    let made_up =
        json!({"change": {"kind": "extend_to", "until": "2031-01-01T00:00:00Z"}, "tokens": targets});
    assert_eq!(api.post(api::BULK_APPLY, made_up).await.0, StatusCode::BAD_REQUEST);
    app.shutdown().await;
}

/// A long change outlives an access token: each token is changed with an access token fetched
/// just before, refreshed once it is about to expire (before, the one read at the start was
/// used to the end).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_bulk_change_refreshes_the_access_token_it_changes_with() {
    // Tokens live 302 s: fresh at sign-in, inside the 5-minute refresh margin two seconds later.
    let app = spawn_demo_with(TestHooks { demo_access_token_ttl: Some(302), ..Default::default() }).await;
    let c = browser();
    app.sign_in_to_manage(&c, "megan", "/").await;
    let api = Api::new(&c, &app);
    let targets = active_targets(&app, &api, 12).await;
    let entra = app.running.demo.as_ref().unwrap().entra.clone();
    let refreshed = entra.refreshes.load(std::sync::atomic::Ordering::SeqCst);
    let devops = app.running.demo.as_ref().unwrap().devops.clone();
    devops.fail_next(Failure::Slow(Duration::from_millis(1200)), Some(Method::DELETE), 12);
    let p = api.bulk_change(json!({"change": {"kind": "revoke"}, "tokens": targets})).await.unwrap();
    assert!(p.outcomes.iter().all(|o| o.done.as_deref() == Some("Revoked")), "{:?}", p.outcomes);
    assert!(
        entra.refreshes.load(std::sync::atomic::Ordering::SeqCst) > refreshed,
        "the access token was refreshed during the change"
    );
    app.shutdown().await;
}
