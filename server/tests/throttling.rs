//! Throttling as documented, the inventory's one rule and lists never cut silently (issue 27,
//! items 4 to 6), through the portal against the stand-in's throttled organizations
//! (`integrate/concepts/rate-limits.md`: `Retry-After` on any answer, the `X-RateLimit-*` headers).

mod common;

use std::time::{Duration, Instant};

use app::error::ApiError;
use app::inventory::Inventory;
use app::routes::{api, INVENTORY_CSV};
use common::*;
use reqwest::{Client, Method, StatusCode};
use server::demo::devops::Throttle;

const MEGAN_OID: &str = "5a7c9e1f-3b2d-4c6e-8f0a-2b3c4d5e6f72";

async fn signed_in() -> (TestApp, Client) {
    let app = spawn_demo().await;
    let c = browser();
    app.sign_in_to_manage(&c, "megan", "/").await;
    (app, c)
}

fn stand_in(app: &TestApp) -> std::sync::Arc<server::demo::devops::DevopsStandIn> {
    app.running.demo.as_ref().unwrap().devops.clone()
}

async fn inventory(api: &Api<'_>, query: &str) -> Inventory {
    let (status, _, body) = api.get(&format!("{}?{query}", api::INVENTORY)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// Retry-After on a 200: the next call of that user in that organization waits for it, and the
/// list says Azure DevOps asked the portal to wait, naming `X-RateLimit-Resource`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delayed_answer_is_honoured_and_said() {
    let (app, c) = signed_in().await;
    let api = Api::new(&c, &app);
    let page = api.pats("filter=active&org=fabrikam-demo").await.unwrap();
    assert_eq!(page.notice, None, "no notice when Azure DevOps asked for nothing");
    stand_in(&app).throttle("fabrikam-demo", Some(Throttle::Delayed { retry_after_secs: 1 }));
    let page = api.pats("filter=active&org=fabrikam-demo").await.unwrap();
    assert!(!page.tokens.is_empty(), "a delayed answer is a whole answer");
    let notice = page.notice.unwrap_or_default();
    assert!(notice.contains("Azure DevOps asked the portal to wait (resource ATCPU)"), "{notice}");
    let started = Instant::now();
    api.pats("filter=active&org=fabrikam-demo").await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(900), "the next call waited for Retry-After");
    // Another organization is paced apart.
    let started = Instant::now();
    let other = api.pats("filter=active&org=contoso-demo").await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(900) && other.notice.is_none());
    app.shutdown().await;
}

/// Below a tenth of X-RateLimit-Limit remaining, calls go one at a time and the list says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn near_the_limit_a_list_says_it_is_slowed() {
    let (app, c) = signed_in().await;
    let api = Api::new(&c, &app);
    stand_in(&app).throttle("fabrikam-demo", Some(Throttle::Near { remaining: 5, limit: 200 }));
    api.pats("filter=active&org=fabrikam-demo").await.unwrap();
    let notice = api.pats("filter=all&org=fabrikam-demo").await.unwrap().notice.unwrap_or_default();
    assert!(notice.contains("one thing at a time"), "{notice}");
    stand_in(&app).throttle("fabrikam-demo", Some(Throttle::Near { remaining: 150, limit: 200 }));
    api.pats("filter=active&org=fabrikam-demo").await.unwrap();
    let notice = api.pats("filter=active&org=fabrikam-demo").await.unwrap().notice.unwrap_or_default();
    assert!(!notice.contains("one thing at a time"), "{notice}");
    app.shutdown().await;
}

/// A blocked organization is named with its wait; the others are listed; a call that would have
/// to wait longer than the budget is not sent at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_organization_is_named_and_the_others_are_listed() {
    let (app, c) = signed_in().await;
    let api = Api::new(&c, &app);
    let devops = stand_in(&app);
    devops.throttle("contoso-demo", Some(Throttle::Blocked { retry_after_secs: 60 }));
    let inv = inventory(&api, "filter=active").await;
    let blocked: Vec<_> = inv.failures.iter().filter(|f| f.organization == "contoso-demo").collect();
    assert_eq!(blocked.len(), 1, "{:?}", inv.failures);
    assert_eq!(blocked[0].error, ApiError::RateLimited { retry_after_secs: 60 });
    assert!(!inv.tokens.is_empty() && inv.tokens.iter().all(|r| r.via != "contoso-demo"));
    let sent = devops.request_count(&Method::GET);
    let (status, e) = api.pats("filter=active&org=contoso-demo").await.unwrap_err();
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        matches!(e, ApiError::RateLimited { retry_after_secs } if (55..=60).contains(&retry_after_secs)),
        "{e:?}"
    );
    assert_eq!(devops.request_count(&Method::GET), sent, "not sent while Azure DevOps asked to wait");
    assert!(api.pats("filter=active&org=fabrikam-demo").await.is_ok(), "fabrikam-demo is paced apart");
    app.shutdown().await;
}

/// One read per sign-in and list for 30 seconds: sorting, searching and exporting reuse it; a
/// revoke forgets it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inventory_is_read_once_per_thirty_seconds_per_sign_in() {
    let (app, c) = signed_in().await;
    let api = Api::new(&c, &app);
    let devops = stand_in(&app);
    assert_eq!(api.get(api::ORGS).await.0, StatusCode::OK);
    let before = devops.request_count(&Method::GET);
    let inv = inventory(&api, "filter=active").await;
    let read = devops.request_count(&Method::GET);
    assert!(read > before);
    inventory(&api, "filter=active&sort=valid_to&desc=true&search=ci").await;
    let (status, _, _) = api.get(&format!("{INVENTORY_CSV}?filter=active")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(devops.request_count(&Method::GET), read, "reused, not read again");
    inventory(&api, "filter=revoked").await;
    assert!(devops.request_count(&Method::GET) > read, "another list is another read");
    let row = inv.tokens.iter().find(|r| r.organization.is_some()).unwrap();
    api.revoke_pat(Some(&row.via), &row.token.authorization_id).await.unwrap();
    let after = inventory(&api, "filter=active").await;
    assert!(after.tokens.iter().all(|r| r.token.authorization_id != row.token.authorization_id));
    // A token made here shows in the next read at once: a change forgets the reads reused.
    let form = app::model::PatForm {
        name: "made after the read".into(),
        scopes: vec!["vso.code".into()],
        expiry: app::model::Expiry::Days(30),
        all_orgs: false,
    };
    let made = api.create_pat(Some("fabrikam-demo"), &form).await.unwrap();
    let now = inventory(&api, "filter=active").await;
    assert!(
        now.tokens.iter().any(|r| r.token.authorization_id == made.token.authorization_id),
        "the new token is listed"
    );
    app.shutdown().await;
}

/// Past 10 pages of 100, a search and the inventory say that the list is partial.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_past_the_page_limit_say_they_are_partial() {
    let (app, c) = signed_in().await;
    let api = Api::new(&c, &app);
    stand_in(&app).add_tokens(MEGAN_OID, "fabrikam-demo", 1000);
    let page = api.pats("filter=active&org=fabrikam-demo&search=ci").await.unwrap();
    let notice = page.notice.unwrap_or_default();
    assert!(notice.contains("Only the first 1000 tokens of fabrikam-demo were searched"), "{notice}");
    let page = api.pats("filter=active&org=fabrikam-demo").await.unwrap();
    assert_eq!((page.tokens.len(), page.notice), (20, None), "one page of a long list is not partial");
    let inv = inventory(&api, "filter=active").await;
    let note = inv.failures.iter().find(|f| f.organization == "fabrikam-demo").map(|f| f.error.to_string());
    assert!(note.as_deref().unwrap_or_default().contains("past its first 1000"), "{:?}", inv.failures);
    assert!(inv.tokens.iter().any(|r| r.via == "fabrikam-demo"), "what was read is listed");
    let (status, _, overview) = api.get(&format!("{}?org=fabrikam-demo", api::OVERVIEW)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(overview["notice"].as_str().unwrap_or_default().contains("first 1000 tokens"), "{overview}");
    app.shutdown().await;
}

/// The inventory says once, above the table, that Azure DevOps asked the portal to slow down,
/// and lists every token all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inventory_says_when_it_was_slowed() {
    let (app, c) = signed_in().await;
    let api = Api::new(&c, &app);
    let calm = inventory(&api, "filter=all").await;
    assert_eq!(calm.notice, None, "no notice when Azure DevOps asked for nothing");
    stand_in(&app).throttle("contoso-demo", Some(Throttle::Near { remaining: 5, limit: 200 }));
    let slowed = inventory(&api, "filter=active").await;
    let notice = slowed.notice.unwrap_or_default();
    assert!(notice.contains("Azure DevOps asked the portal to slow down (resource ATCPU)"), "{notice}");
    assert!(notice.contains("one thing at a time"), "{notice}");
    assert!(slowed.failures.is_empty() || slowed.failures.iter().all(|f| f.organization != "contoso-demo"));
    assert!(slowed.tokens.iter().any(|r| r.via == "contoso-demo"), "a slowed organization is read whole");
    app.shutdown().await;
}

/// A person in 22 organizations (and northwind-demo): the first 20 the accounts API lists are
/// read, the 3 after them are listed as not read with the reason, and reading them does not
/// call Azure DevOps for them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inventory_reads_at_most_twenty_organizations_and_names_the_others() {
    let (app, c) = signed_in().await;
    let api = Api::new(&c, &app);
    let devops = stand_in(&app);
    devops.extra_orgs(21);
    let inv = inventory(&api, "filter=active").await;
    assert_eq!(inv.organizations.len(), 24, "{:?}", inv.organizations);
    let past: Vec<_> = inv
        .failures
        .iter()
        .filter(|f| f.error.to_string().contains("reads at most 20 organizations at a time"))
        .map(|f| f.organization.as_str())
        .collect();
    let extra = server::demo::devops::extra_org;
    assert_eq!(past, [extra(19).as_str(), extra(20).as_str(), extra(21).as_str(), "northwind-demo"]);
    assert!(
        inv.tokens.iter().any(|r| r.via == "fabrikam-demo")
            && inv.tokens.iter().any(|r| r.via == "contoso-demo")
    );
    // An organization past the cap still opens alone.
    let alone = api.pats(&format!("filter=active&org={}", extra(21))).await.unwrap();
    assert!(alone.tokens.iter().all(|t| t.target_accounts.is_none()), "only global tokens are listed there");
    app.shutdown().await;
}

/// Past 10,000 revoked tokens, the lists whose statuses rest on them say a token shown as
/// active may be revoked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_ten_thousand_revoked_tokens_the_lists_say_statuses_may_be_wrong() {
    let (app, c) = signed_in().await;
    let api = Api::new(&c, &app);
    let page = api.pats("filter=all&org=fabrikam-demo").await.unwrap();
    assert_eq!(page.notice, None, "fewer revoked tokens: no notice");
    stand_in(&app).add_revoked_tokens(MEGAN_OID, "contoso-demo", 10_050);
    let page = api.pats("filter=all&org=contoso-demo").await.unwrap();
    let notice = page.notice.unwrap_or_default();
    assert!(notice.contains("contoso-demo has more than 10000 revoked tokens"), "{notice}");
    let inv = inventory(&api, "filter=all").await;
    let note = inv.failures.iter().find(|f| f.organization == "contoso-demo").map(|f| f.error.to_string());
    assert!(note.unwrap_or_default().contains("more than 10000 revoked tokens"), "{:?}", inv.failures);
    app.shutdown().await;
}
