//! Graph users and Token Administration against their specs (`specification/graph/7.2`,
//! `specification/tokenAdmin/7.2`): pages and continuation tokens, refusals, revocations.

use super::*;

const V: &str = "api-version=7.2-preview.1";

fn bearer_as(oid: &str, scp: &str) -> String {
    let now = crate::now_secs();
    entra().current_key().sign(&json!({
        "aud": DEVOPS_RESOURCE, "iss": "demo", "oid": oid, "exp": now + 600, "name": "Test user", "scp": scp,
    }))
}

fn admin() -> String {
    bearer_as(ADMIN_OID, "vso.graph vso.tokenadministration")
}

fn tokens_uri(org: &str, descriptor: &str, extra: &str) -> String {
    format!("/vssps/{org}/_apis/tokenadmin/personalaccesstokens/{descriptor}?{V}{extra}")
}

#[tokio::test]
async fn graph_lists_an_organizations_users_in_pages_named_by_a_header() {
    let (_, r) = stand_in();
    let b = admin();
    let (mut all, mut next) = (Vec::new(), String::new());
    for _ in 0..20 {
        let uri = format!("/vssps/{DIRECTORY_ORG}/_apis/graph/users?{V}&continuationToken={next}");
        let a = call(&r, Method::GET, &uri, Some(&b), None).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        let page = a.json()["value"].as_array().unwrap().clone();
        assert!(page.len() <= GRAPH_PAGE);
        assert_eq!(a.json()["count"], page.len());
        all.extend(page);
        match a.headers.get("X-MS-ContinuationToken") {
            Some(t) => next = t.to_str().unwrap().to_string(),
            None => break,
        }
    }
    let demo_users = entra().users.iter().filter(|u| u.tenant == crate::entra::DEMO_TENANT).count();
    assert_eq!(all.len(), DIRECTORY_SIZE + demo_users);
    let deleted = all.iter().filter(|u| u["isDeletedInOrigin"] == true).count();
    assert_eq!(deleted, DIRECTORY_SIZE / DELETED_EVERY);
    let user = &all[demo_users];
    assert_eq!(user["subjectKind"], "user");
    assert!(user["descriptor"].as_str().unwrap().starts_with("aad."));
    assert_eq!(user["originId"], directory_member(0).oid);
    // A made-up continuation token is a 400; a token without vso.graph is refused.
    let bad = format!("/vssps/{DIRECTORY_ORG}/_apis/graph/users?{V}&continuationToken=nope");
    assert_eq!(call(&r, Method::GET, &bad, Some(&b), None).await.status, StatusCode::BAD_REQUEST);
    let plain = bearer_as(ADMIN_OID, "vso.profile");
    let uri = format!("/vssps/{DIRECTORY_ORG}/_apis/graph/users?{V}");
    assert_eq!(call(&r, Method::GET, &uri, Some(&plain), None).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn token_administration_lists_a_users_tokens_to_an_administrator_only() {
    let (_, r) = stand_in();
    // The fifth user starts from the seed's sixth name: full access and a global token among theirs.
    let member = directory_member(5);
    let d = member.descriptor();
    // Pages of three, chained by the body's continuation token; no secret in any.
    let (mut all, mut next) = (Vec::new(), String::new());
    for _ in 0..10 {
        let a = call(
            &r,
            Method::GET,
            &tokens_uri(DIRECTORY_ORG, &d, &format!("&pageSize=3&continuationToken={next}")),
            Some(&admin()),
            None,
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        let body = a.json();
        all.extend(body["value"].as_array().unwrap().iter().cloned());
        match body["continuationToken"].as_str() {
            Some(t) => next = t.to_string(),
            None => break,
        }
    }
    assert!(all.len() > 3, "more than a page: {}", all.len());
    assert!(all.iter().all(|t| t["token"].is_null() && t["userId"] == member.oid.as_str()));
    assert!(all.iter().any(|t| t["scope"] == "app_token"), "a full-access token among them");
    assert!(all.iter().any(|t| t["targetAccounts"].is_null()), "a global one too");

    // Not an administrator: 401 (the spec's answer); an administrator's token without the scope: 401.
    let (_, someone) = new_user();
    let a = call(&r, Method::GET, &tokens_uri(DIRECTORY_ORG, &d, ""), Some(&someone), None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let unscoped = bearer_as(ADMIN_OID, "vso.graph");
    let a = call(&r, Method::GET, &tokens_uri(DIRECTORY_ORG, &d, ""), Some(&unscoped), None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    // Unknown descriptor: 404; a bad page size: 400.
    let a = call(&r, Method::GET, &tokens_uri(DIRECTORY_ORG, "aad.bm9ib2R5", ""), Some(&admin()), None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = call(&r, Method::GET, &tokens_uri(DIRECTORY_ORG, &d, "&pageSize=0"), Some(&admin()), None).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn revocations_end_a_users_tokens_as_their_own_list_shows() {
    let (_, r) = stand_in();
    let adele = entra().users.iter().find(|u| u.key == "adele").unwrap().clone();
    let own = bearer(&adele.oid);
    let mine = list_all(&r, &own, DIRECTORY_ORG, "active").await;
    let two: Vec<String> =
        mine.iter().take(2).map(|t| t["authorizationId"].as_str().unwrap().to_string()).collect();
    let body = json!([{ "authorizationId": two[0] }, { "authorizationId": two[1] }]);
    let uri = format!("/vssps/{DIRECTORY_ORG}/_apis/tokenadmin/revocations?{V}");
    // Only an administrator may.
    assert_eq!(
        call(&r, Method::POST, &uri, Some(&own), Some(body.clone())).await.status,
        StatusCode::UNAUTHORIZED
    );
    let a = call(&r, Method::POST, &uri, Some(&admin()), Some(body)).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.text);
    assert!(a.text.is_empty());
    let revoked = list_all(&r, &own, DIRECTORY_ORG, "revoked").await;
    assert!(two.iter().all(|id| ids(&revoked).contains(&id.as_str())));
    let member = Member {
        oid: adele.oid.clone(),
        display_name: adele.name.clone(),
        principal_name: adele.username.clone(),
        deleted: false,
    };
    let listed = call(
        &r,
        Method::GET,
        &tokens_uri(DIRECTORY_ORG, &member.descriptor(), "&pageSize=100"),
        Some(&admin()),
        None,
    )
    .await;
    let listed = listed.json()["value"].as_array().unwrap().clone();
    assert!(!listed.iter().any(|t| two.contains(&t["authorizationId"].as_str().unwrap().to_string())));
    // An empty or malformed list is a 400.
    for bad in [json!([]), json!([{ "authorizationId": "x" }]), json!({ "authorizationId": two[0] })] {
        assert_eq!(
            call(&r, Method::POST, &uri, Some(&admin()), Some(bad)).await.status,
            StatusCode::BAD_REQUEST
        );
    }
}
