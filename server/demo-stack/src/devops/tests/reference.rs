//! The stand-in against Microsoft's reference (`specification/tokens/7.2/tokens.json` and its
//! examples, the 2026 release notes): lifetime policy under 7.1 and 7.2, global tokens on both
//! sides of their retirement, expired tokens read-only, the shapes of dates, secrets and pages.

use super::*;

const PATS_72: &str = "_apis/tokens/pats?api-version=7.2-preview.1";

fn pats72(org: &str) -> String {
    format!("/vssps/{org}/{PATS_72}")
}

fn valid_to(a: &Answer) -> OffsetDateTime {
    OffsetDateTime::parse(a.json()["patToken"]["validTo"].as_str().unwrap(), &Rfc3339).unwrap()
}

#[tokio::test]
async fn past_the_lifetime_policy_7_1_refuses_and_7_2_shortens() {
    let (_, r) = stand_in();
    let b = litware_bearer();
    let body = create_body("long", "vso.code", &in_days(120), false);
    let old = create(&r, &b, LITWARE_OPEN_ORG, body.clone()).await;
    assert_eq!(old.json(), json!({ "patToken": null, "patTokenError": "patLifespanPolicyViolation" }));
    let new = call(&r, Method::POST, &pats72(LITWARE_OPEN_ORG), Some(&b), Some(body)).await;
    assert_eq!(new.json()["patTokenError"], "none");
    let limit =
        (test_now().date() + time::Duration::days(91)).midnight().assume_utc() - time::Duration::seconds(1);
    assert_eq!(valid_to(&new), limit, "the end of the 90th day");
    // An update counts from the token's creation.
    let id = new.json()["patToken"]["authorizationId"].as_str().unwrap().to_string();
    let upd = json!({ "authorizationId": id, "validTo": in_days(200) });
    let a = call(&r, Method::PUT, &pats72(LITWARE_OPEN_ORG), Some(&b), Some(upd)).await;
    assert_eq!(valid_to(&a), limit);
}

#[tokio::test]
async fn global_tokens_are_created_only_before_their_retirement_and_where_allowed() {
    let (_, r) = stand_in();
    let (_, b) = new_user();
    let global = create_body("everywhere", "vso.code", &in_days(30), true);
    let a = call(&r, Method::POST, &pats72("fabrikam-demo"), Some(&b), Some(global.clone())).await;
    assert_eq!(a.json()["patTokenError"], "none");
    assert!(a.json()["patToken"]["targetAccounts"].is_null());
    // Litware's tenant policy restricts global tokens.
    let a = call(&r, Method::POST, &pats72(LITWARE_OPEN_ORG), Some(&litware_bearer()), Some(global.clone()))
        .await;
    assert_eq!(a.json()["patTokenError"], "globalPatPolicyViolation");
    assert!(a.json()["patTokenErrorMessage"].is_string(), "7.2 explains");

    let (_, r) = stand_in_at(time::macros::datetime!(2026-12-01 00:00:01 UTC));
    let a = call(&r, Method::POST, &pats72("fabrikam-demo"), Some(&b), Some(global)).await;
    assert_eq!(a.json()["patTokenError"], "globalPATCreationBlocked");
    // Existing global tokens are still listed (they no longer work, which the portal shows).
    assert!(list_all(&r, &b, "fabrikam-demo", "all").await.iter().any(|t| t["targetAccounts"].is_null()));
}

#[tokio::test]
async fn expired_tokens_cannot_change() {
    let (_, r) = stand_in();
    let (_, b) = new_user();
    let expired = list_all(&r, &b, "fabrikam-demo", "expired").await;
    let id = expired[0]["authorizationId"].as_str().unwrap().to_string();
    for change in [json!({ "validTo": in_days(30) }), json!({ "displayName": "renamed" })] {
        let mut body = change.clone();
        body["authorizationId"] = json!(id);
        let a = call(&r, Method::PUT, &pats72("fabrikam-demo"), Some(&b), Some(body)).await;
        assert_eq!(a.json()["patTokenError"], "expiredPatCannotBeExtended", "{change}");
    }
    // Revoking one is still possible.
    let del = format!("{}&authorizationId={id}", pats72("fabrikam-demo"));
    assert_eq!(call(&r, Method::DELETE, &del, Some(&b), None).await.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn answers_have_the_reference_shapes() {
    let (_, r) = stand_in();
    let (_, b) = new_user();
    let a = call(&r, Method::GET, &format!("{}&$top=100", pats72("fabrikam-demo")), Some(&b), None).await;
    let body = a.json();
    assert_eq!(body["continuationToken"], "", "the last page's token is an empty string");
    for t in body["patTokens"].as_array().unwrap() {
        for field in ["validFrom", "validTo"] {
            let v = t[field].as_str().unwrap();
            assert_eq!(v.len(), "2020-11-02T22:56:52.1033333Z".len(), "seven fractional digits: {v}");
            assert!(v.ends_with('Z'));
        }
    }
    // A partial update changes only what it names.
    let made = create(
        &r,
        &b,
        "fabrikam-demo",
        create_body("Agent", "vso.agentpools_manage vso.loadtest", &in_days(30), false),
    )
    .await;
    let before = made.json()["patToken"].clone();
    let id = before["authorizationId"].as_str().unwrap();
    let a = call(
        &r,
        Method::PUT,
        &pats72("fabrikam-demo"),
        Some(&b),
        Some(json!({ "authorizationId": id, "displayName": "Agent pool" })),
    )
    .await;
    let after = a.json()["patToken"].clone();
    assert_eq!(after["displayName"], "Agent pool");
    assert_eq!((&after["scope"], &after["validTo"]), (&before["scope"], &before["validTo"]));
}

#[tokio::test]
async fn the_seed_carries_the_catalogue_global_and_expired_tokens() {
    let (_, r) = stand_in();
    let (_, b) = new_user();
    let all = list_all(&r, &b, "fabrikam-demo", "all").await;
    let scopes: Vec<&str> = all.iter().flat_map(|t| t["scope"].as_str().unwrap().split(' ')).collect();
    for s in ["vso.agentpools_manage", "vso.analytics", "vso.serviceendpoint_manage", "vso.loadtest"] {
        assert!(scopes.contains(&s), "{s} in {scopes:?}");
    }
    assert!(all.iter().any(|t| t["targetAccounts"].is_null()), "a global token");
    assert!(!list_all(&r, &b, "fabrikam-demo", "expired").await.is_empty());
}
