//! Reading Azure DevOps right (issue 27), through the portal's server functions against the
//! stand-in: released API versions, profiles without names, a missing permission told apart from
//! a missing membership, a classic token refused by the PAT API, the organization's tenant from
//! an anonymous HEAD. `docs/azure-devops-fidelity.md` names the reference of each.

mod common;

use app::error::ApiError;
use common::*;
use reqwest::{Client, StatusCode};
use std::sync::Arc;

async fn signed_in(env: &[(&str, &str)]) -> (TestApp, Client) {
    let app = spawn_demo_env(TestHooks::default(), env).await;
    let c = browser();
    assert_eq!(app.sign_in(&c, "megan", "/").await, "/");
    (app, c)
}

fn devops(app: &TestApp) -> Arc<server::demo::devops::DevopsStandIn> {
    app.running.demo.as_ref().unwrap().devops.clone()
}

/// specification/profile/7.1/profile.json and account/7.1/accounts.json: released `7.1` since
/// 2024-09. With the previews switched off, the profile and the organizations still load.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_and_organizations_are_read_with_the_released_version() {
    let (app, c) = signed_in(&[]).await;
    devops(&app).retire_previews(true);
    let api = Api::new(&c, &app);
    let (status, _, profile) = api.get(app::routes::api::PROFILE).await;
    assert_eq!(status, StatusCode::OK, "{profile}");
    assert_eq!(profile["display_name"], "Megan Bowen");
    let (status, _, orgs) = api.get(app::routes::api::ORGS).await;
    assert_eq!(status, StatusCode::OK, "{orgs}");
    assert_eq!(orgs["orgs"][0]["name"], "fabrikam-demo");
    assert_eq!(server::devops::PROFILE_API_VERSION, "7.1");
    assert_eq!(server::devops::ACCOUNTS_API_VERSION, "7.1");
    app.shutdown().await;
}

/// The spec's `Profile` schema has no displayName, publicAlias or emailAddress.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_without_names_is_shown_not_an_internal_error() {
    let (app, c) = signed_in(&[]).await;
    devops(&app).bare_profile(true);
    let api = Api::new(&c, &app);
    let (status, _, profile) = api.get(app::routes::api::PROFILE).await;
    assert_eq!(status, StatusCode::OK, "{profile}");
    assert_eq!(profile["display_name"], "Your Azure DevOps profile");
    assert!(profile["email"].is_null());
    let (status, _, orgs) = api.get(app::routes::api::ORGS).await;
    assert_eq!((status, orgs["orgs"].as_array().map(Vec::len)), (StatusCode::OK, Some(3)), "{orgs}");
    app.shutdown().await;
}

/// The token's `scp` against the spec's security section decides; the refusal bodies are the
/// same (401 TF400813 naming the user, same typeKey) for a missing scope and a non-member.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_without_vso_pats_is_a_permission_to_grant_not_a_membership() {
    // As a registration without vso.pats would: sign-in works, the token lacks it.
    let (app, c) = signed_in(&[("DEMO_WITHHOLD_SCOPES", "vso.pats")]).await;
    let api = Api::new(&c, &app);
    let (status, e) = api.pats("filter=active").await.unwrap_err();
    assert_eq!(status, StatusCode::FORBIDDEN, "{e:?}");
    match &e {
        ApiError::PermissionMissing { permission } => {
            assert!(permission.contains("vso.pats"), "{permission}")
        }
        other => panic!("{other:?}"),
    }
    let text = e.to_string();
    assert!(!text.contains("not a member") && !text.contains("ask an organization administrator"), "{text}");
    assert!(!e.needs_sign_in(), "not a sign-in loop: the page offers to grant the permission");
    // An organization that does not know the user: the token lacks vso.pats there too, and
    // Azure DevOps checks the scope first.
    let (_, e) = api.pats("filter=active&org=tailspin-demo").await.unwrap_err();
    assert!(matches!(&e, ApiError::PermissionMissing { .. }), "the token lacks vso.pats there too: {e:?}");
    // Reading the profile needs vso.profile, which the token has.
    let (status, _, body) = api.get(app::routes::api::PROFILE).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.shutdown().await;
}

/// With the permission granted, a refusal naming the user is a membership, and the tenant is
/// read from an anonymous HEAD of the organization (Git Credential Manager's way).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_member_is_told_the_organizations_tenant_from_an_anonymous_head() {
    let (app, c) = signed_in(&[]).await;
    let api = Api::new(&c, &app);
    let heads = devops(&app).request_count(&reqwest::Method::HEAD);
    let (status, e) = api.pats("filter=active&org=woodgrove-demo").await.unwrap_err();
    assert_eq!(status, StatusCode::FORBIDDEN);
    match &e {
        ApiError::NoAccess { organization, reason } => {
            assert_eq!(organization, "woodgrove-demo");
            assert!(reason.contains(server::demo::devops::OTHER_TENANT_ID), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(devops(&app).request_count(&reqwest::Method::HEAD), heads + 1, "one anonymous HEAD");
    app.shutdown().await;
}

/// Sprint 257: the PAT scopes "now required … replacing" user_impersonation. A classic token
/// refused by the PAT API is said so, with the setting that fixes it; never "sign in again".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_classic_token_refused_by_the_pat_api_names_the_setting() {
    // A registration with only user_impersonation (what DEVOPS_SCOPES=classic is for): its
    // tokens carry nothing else, whatever Contoso's administrator granted.
    let classic_only = ("DEMO_WITHHOLD_SCOPES", "vso.pats,vso.pats_manage,vso.profile,vso.project");
    let (app, c) = signed_in(&[("DEVOPS_SCOPES", "classic"), classic_only]).await;
    let api = Api::new(&c, &app);
    assert!(api.pats("filter=active").await.is_ok(), "accepted while the service accepts it");
    devops(&app).refuse_classic_for_pats(true);
    let (status, e) = api.pats("filter=active").await.unwrap_err();
    assert_eq!(status, StatusCode::FORBIDDEN, "{e:?}");
    let text = e.to_string();
    assert!(matches!(e, ApiError::Forbidden { .. }), "{e:?}");
    assert!(text.contains("DEVOPS_SCOPES") && text.contains("user_impersonation"), "{text}");
    assert!(!text.contains("member"), "{text}");
    assert_eq!(api.get(app::routes::api::PROFILE).await.0, StatusCode::OK, "the profile still reads");
    app.shutdown().await;
}
