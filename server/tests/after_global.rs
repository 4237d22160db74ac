//! Issue 28, after global PATs: tenant policies and an organization's creation policy (Litware,
//! the second demo tenant), the tenant's maximum lifetime learned from a cut, least privilege
//! that lapsed (Entra's additive consent), the count of tokens with a documented replacement,
//! and the stand-in's reference facts against the portal's.

mod common;

use app::error::ApiError;
use app::model::{Expiry, PatForm};
use common::*;
use reqwest::StatusCode;

fn form(name: &str, scopes: &[&str], expiry: Expiry) -> PatForm {
    PatForm {
        name: name.into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        expiry,
        all_orgs: false,
    }
}

async fn signed_in(user: &str) -> (TestApp, reqwest::Client) {
    let app = spawn_demo().await;
    let c = browser();
    assert_eq!(app.sign_in_to_manage(&c, user, "/").await, "/");
    (app, c)
}

/// `manage-pats-with-policies-for-administrators`: "Restrict personal access token creation" is an
/// organization policy; with "Allow creation of PAT with packaging scope only", a token whose
/// scopes are all Packaging ones is still created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restricted_organization_refuses_and_packaging_only_is_created() {
    let (app, c) = signed_in("alex").await;
    let api = Api::new(&c, &app);
    let (status, e) = api
        .create_pat(
            Some("litware-demo"),
            &form("Feed and code", &["vso.code", "vso.packaging_write"], Expiry::Days(30)),
        )
        .await
        .unwrap_err();
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        matches!(&e, ApiError::CreationRestricted { reason } if reason.contains("packaging-only")),
        "{e:?}"
    );
    let made = api
        .create_pat(Some("litware-demo"), &form("Feed and code", &["vso.packaging_write"], Expiry::Days(30)))
        .await
        .expect("a packaging-only token is allowed");
    assert_eq!(made.token.scopes, ["vso.packaging_write"]);
    // The other Litware organization has no such policy.
    api.create_pat(Some("litware-labs-demo"), &form("Code", &["vso.code"], Expiry::Days(30))).await.unwrap();
    app.shutdown().await;
}

/// The tenant policies (90 days, no full access) hold in every organization of Litware; the first
/// cut tells the portal the tenant's maximum, which the next form says (`Me.max_lifetime_days`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tenants_maximum_is_learned_from_a_cut_and_full_access_refused() {
    let (app, c) = signed_in("alex").await;
    let api = Api::new(&c, &app);
    let me = |v: app::model::Viewer| v.user.expect("signed in");
    assert_eq!(me(api.me().await.unwrap()).max_lifetime_days, None, "nothing cut yet");
    let made = api
        .create_pat(Some("litware-labs-demo"), &form("Long", &["vso.work"], Expiry::Days(200)))
        .await
        .unwrap();
    assert!(made.cut.is_some(), "Litware allows 90 days");
    assert_eq!(me(api.me().await.unwrap()).max_lifetime_days, Some(90));
    // Another user of the tenant is told too; a user of another tenant is not.
    let other = browser();
    app.sign_in(&other, "adele", "/").await;
    assert_eq!(me(Api::new(&other, &app).me().await.unwrap()).max_lifetime_days, None);

    let (_, e) = api
        .create_pat(Some("litware-labs-demo"), &form("All", &["app_token"], Expiry::Days(30)))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ApiError::InvalidInput { field, message } if field == "scopes" && message.contains("tenant")),
        "{e:?}"
    );
    app.shutdown().await;
}

/// Entra's additive consent: Litware's administrator granted `user_impersonation` (a classic
/// set-up left over), so a least-privilege sign-in carries it. The account page lists it, and
/// the log says so once per process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn least_privilege_that_lapsed_is_shown_and_warned_once() {
    capture_logs();
    let (app, c) = signed_in("alex").await;
    let viewer = Api::new(&c, &app).me().await.unwrap().user.unwrap();
    assert!(viewer.permissions.contains(&"user_impersonation".to_string()), "{:?}", viewer.permissions);
    let again = browser();
    app.sign_in(&again, "alex", "/").await;
    let warned = logs().matches("a sign-in's access token carries user_impersonation").count();
    assert_eq!(warned, 1, "once per process");
    app.shutdown().await;
}

/// Contoso grants reading only: the first sign-in reads; after one consent to change tokens,
/// every later sign-in carries `vso.pats_manage`, asked for or not (per user, not per session).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_consent_carries_manage_rights_into_every_later_sign_in() {
    let app = spawn_demo().await;
    let c = browser();
    app.sign_in(&c, "lee", "/").await;
    let first = Api::new(&c, &app).me().await.unwrap().user.unwrap().permissions;
    assert_eq!(first, ["vso.pats", "vso.profile", "vso.project"]);
    assert_eq!(app.consent(&c, "lee", "%2F", true).await, "/");
    let later = browser();
    app.sign_in(&later, "lee", "/").await;
    let second = Api::new(&later, &app).me().await.unwrap().user.unwrap().permissions;
    assert_eq!(second, ["vso.pats", "vso.pats_manage", "vso.profile", "vso.project"]);
    app.shutdown().await;
}

/// The dashboard counts the working tokens a documented replacement fits (`app::way_off`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_counts_tokens_with_a_documented_replacement() {
    let (app, c) = signed_in("megan").await;
    let api = Api::new(&c, &app);
    let (status, _, overview) = api.get(&format!("{}?org=fabrikam-demo", app::routes::api::OVERVIEW)).await;
    assert_eq!(status, StatusCode::OK, "{overview}");
    let page = api.pats("org=fabrikam-demo&filter=active").await.unwrap();
    let expected =
        page.tokens.iter().filter(|t| app::way_off::way_off(&t.scopes, &t.display_name).is_some()).count();
    assert!(expected > 0);
    assert_eq!(overview["replaceable"], expected as u64, "{overview}");
    app.shutdown().await;
}

/// The stand-in states the reference itself (`demo_stack::reference`); where the portal states
/// the same facts, they agree, and the picker offers exactly the table's PAT scopes.
#[test]
fn the_portal_and_the_stand_in_read_the_same_reference() {
    use demo_stack::reference as r;
    assert_eq!(app::model::DEVOPS_RESOURCE, r::DEVOPS_RESOURCE);
    assert_eq!(app::model::GLOBAL_PATS_RETIRE_ON, r::GLOBAL_PATS_RETIRE_ON);
    assert_eq!(app::scopes::FULL_ACCESS, r::FULL_ACCESS_SCOPE);
    let mut offered: Vec<&str> =
        app::scopes::SCOPE_AREAS.iter().flat_map(|(_, s)| s.iter().map(|s| s.name)).collect();
    let mut table = r::PAT_SCOPE_TABLE.to_vec();
    offered.sort_unstable();
    table.sort_unstable();
    assert_eq!(offered, table);
}
