//! How the stand-in is read (issue 27): released and preview versions, bare profiles, scopes per call, classic tokens on the PAT API, throttling on any answer, the anonymous `HEAD` naming the tenant.

use super::*;

/// A valid bearer for `oid` granted exactly `scp`.
fn bearer_with(oid: &str, scp: &str) -> String {
    let now = crate::now_secs();
    entra().current_key().sign(&json!({
        "aud": DEVOPS_RESOURCE, "iss": "demo", "oid": oid, "exp": now + 600, "name": "Test user", "scp": scp,
    }))
}

fn profile_uri(version: &str) -> String {
    format!("/app/_apis/profile/profiles/me?api-version={version}")
}

fn accounts_uri(oid: &str, version: &str) -> String {
    format!("/app/_apis/accounts?memberId={oid}&api-version={version}")
}

/// specification/profile/7.1/profile.json and account/7.1/accounts.json list the released `7.1`
/// (since 2024-09); the preview versions still answer until Microsoft retires them.
#[tokio::test]
async fn profile_and_accounts_answer_the_released_version_and_previews_until_retired() {
    let (s, r) = stand_in();
    let (oid, b) = new_user();
    for (profile, accounts) in [("7.1", "7.1"), ("7.1-preview.3", "7.1-preview.1")] {
        assert_eq!(call(&r, Method::GET, &profile_uri(profile), Some(&b), None).await.status, StatusCode::OK);
        let a = call(&r, Method::GET, &accounts_uri(&oid, accounts), Some(&b), None).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    }
    let a = call(&r, Method::GET, &format!("/app/_apis/accounts?memberId={oid}"), Some(&b), None).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "no api-version");
    s.retire_previews(true);
    let a = call(&r, Method::GET, &profile_uri("7.1-preview.3"), Some(&b), None).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.json()["message"].as_str().unwrap().contains("7.1-preview.3"));
    let a = call(&r, Method::GET, &accounts_uri(&oid, "7.1-preview.1"), Some(&b), None).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(call(&r, Method::GET, &profile_uri("7.1"), Some(&b), None).await.status, StatusCode::OK);
    assert_eq!(
        call(&r, Method::GET, &accounts_uri(&oid, "7.1"), Some(&b), None).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_bare_profile_has_only_the_fields_of_the_spec_schema() {
    let (s, r) = stand_in();
    let (oid, b) = new_user();
    let full = call(&r, Method::GET, &profile_uri("7.1"), Some(&b), None).await.json();
    assert_eq!(full["publicAlias"], oid.as_str());
    assert!(full["displayName"].is_string());
    s.bare_profile(true);
    let bare = call(&r, Method::GET, &profile_uri("7.1"), Some(&b), None).await.json();
    assert_eq!(bare["id"], oid.as_str());
    for k in ["displayName", "publicAlias", "emailAddress"] {
        assert!(bare.get(k).is_none(), "{k}");
    }
}

/// Each call's scopes from the specs' security sections; a missing one is refused like a
/// non-member is: 401, TF400813 naming the user, the same typeKey.
#[tokio::test]
async fn a_missing_scope_is_refused_like_a_missing_membership() {
    let (s, r) = stand_in();
    let oid = uuid::Uuid::new_v4().to_string();
    let profile_only = bearer_with(&oid, "vso.profile");
    let a =
        call(&r, Method::GET, &format!("{}&$top=5", pats("fabrikam-demo")), Some(&profile_only), None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let refused = a.json();
    let b = bearer_with(&oid, "vso.pats vso.profile");
    let stranger = call(&r, Method::GET, &pats(NOT_MEMBER_ORG), Some(&b), None).await;
    assert_eq!(stranger.status, StatusCode::UNAUTHORIZED);
    assert_eq!((refused["message"].clone(), refused["typeKey"].clone()), {
        let j = stranger.json();
        (j["message"].clone(), j["typeKey"].clone())
    });
    let projects = "/dev/fabrikam-demo/_apis/projects?api-version=7.1";
    assert_eq!(
        call(&r, Method::GET, projects, Some(&b), None).await.status,
        StatusCode::OK,
        "vso.profile reads them"
    );
    let pats_only = bearer_with(&oid, "vso.pats");
    let a = call(&r, Method::GET, projects, Some(&pats_only), None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "vso.project or vso.profile is needed");
    // A classic token opens everything, unless the PAT API refuses it.
    let classic = bearer_with(&oid, "user_impersonation");
    assert_eq!(
        call(&r, Method::GET, &pats("fabrikam-demo"), Some(&classic), None).await.status,
        StatusCode::OK
    );
    s.refuse_classic_for_pats(true);
    let a = call(&r, Method::GET, &pats("fabrikam-demo"), Some(&classic), None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(call(&r, Method::GET, &profile_uri("7.1"), Some(&classic), None).await.status, StatusCode::OK);
    assert_eq!(call(&r, Method::GET, &pats("fabrikam-demo"), Some(&b), None).await.status, StatusCode::OK);
}

/// integrate/concepts/rate-limits.md: `Retry-After` on a delayed 200 as on a 429, and the
/// `X-RateLimit-*` headers before a caller is blocked; switched per organization.
#[tokio::test]
async fn throttled_organizations_answer_with_the_documented_headers() {
    let (s, r) = stand_in();
    let (_, b) = new_user();
    let projects = |org: &str| format!("/dev/{org}/_apis/projects?api-version=7.1");
    s.throttle("fabrikam-demo", Some(Throttle::Near { remaining: 15, limit: 200 }));
    let a = call(&r, Method::GET, &projects("fabrikam-demo"), Some(&b), None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        (&a.headers["x-ratelimit-remaining"], &a.headers["x-ratelimit-limit"]),
        (&"15".parse().unwrap(), &"200".parse().unwrap())
    );
    assert_eq!(a.headers["x-ratelimit-resource"], "ATCPU");
    assert!(a.headers.get("retry-after").is_none());
    s.throttle("fabrikam-demo", Some(Throttle::Delayed { retry_after_secs: 3 }));
    let a = call(&r, Method::GET, &pats("fabrikam-demo"), Some(&b), None).await;
    assert_eq!((a.status, a.headers["retry-after"].to_str().unwrap()), (StatusCode::OK, "3"));
    assert!(a.json()["patTokens"].is_array(), "a delayed answer is a whole answer");
    s.throttle("fabrikam-demo", Some(Throttle::Blocked { retry_after_secs: 9 }));
    let a = call(&r, Method::GET, &projects("fabrikam-demo"), Some(&b), None).await;
    assert_eq!((a.status, a.headers["retry-after"].to_str().unwrap()), (StatusCode::TOO_MANY_REQUESTS, "9"));
    assert!(a.json()["message"].as_str().unwrap().starts_with("TF400733"));
    let other = call(&r, Method::GET, &projects("contoso-demo"), Some(&b), None).await;
    assert!(other.status == StatusCode::OK && other.headers.get("x-ratelimit-remaining").is_none());
    s.throttle("fabrikam-demo", None);
    assert_eq!(
        call(&r, Method::GET, &projects("fabrikam-demo"), Some(&b), None).await.status,
        StatusCode::OK
    );
}

/// Git Credential Manager's `AzureDevOpsRestApi.GetAuthorityAsync`: an anonymous HEAD of the
/// organization's URL names its tenant in the `Bearer authorization_uri` challenge.
#[tokio::test]
async fn an_anonymous_head_names_the_organizations_tenant() {
    let (_, r) = stand_in();
    let a = call(&r, Method::HEAD, "/dev/woodgrove-demo", None, None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.headers["x-vss-resourcetenant"], OTHER_TENANT_ID);
    let challenge = a.headers["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with(&format!(
        "Bearer authorization_uri=https://login.microsoftonline.com/{OTHER_TENANT_ID}"
    )));
    assert!(a.text.is_empty());
    let a = call(&r, Method::HEAD, "/dev/fabrikam-demo", None, None).await;
    assert_eq!(a.headers["x-vss-resourcetenant"], crate::entra::DEMO_TENANT);
    let a = call(&r, Method::HEAD, "/dev/nowhere-demo", None, None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.headers.get("x-vss-resourcetenant").is_none());
}
