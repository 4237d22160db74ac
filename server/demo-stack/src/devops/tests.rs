//! Unit tests of the Azure DevOps stand-in, driven through its router.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tower::ServiceExt;

use super::*;
use crate::DemoStack;

mod access;
mod admin;
mod policies;
mod reading;
mod reference;

const PATS: &str = "_apis/tokens/pats?api-version=7.1-preview.1";

/// One identity provider for every test (its RSA key takes a moment to make).
fn entra() -> Arc<EntraStandIn> {
    static ENTRA: OnceLock<Arc<EntraStandIn>> = OnceLock::new();
    ENTRA
        .get_or_init(|| {
            DemoStack::new("http://localhost:3000", 3600, None, None, app::clock::Clock::system())
                .expect("demo stack")
                .entra
        })
        .clone()
}

/// Where the stand-ins' clock starts in these tests: before global PATs retire.
const TEST_START: OffsetDateTime = time::macros::datetime!(2026-11-20 12:00 UTC);

/// A fresh stand-in (its own tokens and switches) and its router, on a clock set to `TEST_START`.
fn stand_in() -> (Arc<DevopsStandIn>, Router) {
    stand_in_at(TEST_START)
}

fn stand_in_at(start: OffsetDateTime) -> (Arc<DevopsStandIn>, Router) {
    let s = Arc::new(DevopsStandIn::new(entra()).with_clock(app::clock::Clock::starting_at(start)));
    (s.clone(), s.router())
}

/// Now, on the tests' clock.
fn test_now() -> OffsetDateTime {
    app::clock::Clock::starting_at(TEST_START).now()
}

/// A valid Azure DevOps bearer for `oid`, with the classic scope (everything).
fn bearer(oid: &str) -> String {
    let now = crate::now_secs();
    entra().current_key().sign(&json!({
        "aud": DEVOPS_RESOURCE, "iss": "demo", "oid": oid, "exp": now + 600, "name": "Test user",
        "scp": "user_impersonation",
    }))
}

/// A valid bearer of a new user of Litware, the second demo tenant (classic scope).
fn litware_bearer() -> String {
    let now = crate::now_secs();
    entra().current_key().sign(&json!({
        "aud": DEVOPS_RESOURCE, "iss": "demo", "oid": uuid::Uuid::new_v4().to_string(), "exp": now + 600,
        "name": "Litware user", "scp": "user_impersonation", "tid": crate::entra::LITWARE_TENANT,
    }))
}

/// A user of its own: eight seeded tokens, nobody else's.
fn new_user() -> (String, String) {
    let oid = uuid::Uuid::new_v4().to_string();
    let b = bearer(&oid);
    (oid, b)
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }
}

async fn call(r: &Router, method: Method, uri: &str, bearer: Option<&str>, body: Option<Value>) -> Answer {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(b) = bearer {
        req = req.header("authorization", format!("Bearer {b}"));
    }
    let req = match body {
        Some(b) => req.header("content-type", "application/json").body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .unwrap();
    let res = r.clone().oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
    Answer { status, headers, text: String::from_utf8(bytes.to_vec()).unwrap() }
}

fn pats(org: &str) -> String {
    format!("/vssps/{org}/{PATS}")
}

fn in_days(days: i64) -> String {
    iso(test_now() + time::Duration::days(days))
}

fn create_body(name: &str, scope: &str, valid_to: &str, all_orgs: bool) -> Value {
    json!({ "displayName": name, "scope": scope, "validTo": valid_to, "allOrgs": all_orgs })
}

async fn create(r: &Router, b: &str, org: &str, body: Value) -> Answer {
    call(r, Method::POST, &pats(org), Some(b), Some(body)).await
}

/// Lists every token visible in `org` with `filter`, following continuation tokens.
async fn list_all(r: &Router, b: &str, org: &str, filter: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut next = String::new();
    loop {
        let uri = format!("{}&displayFilterOption={filter}&$top=7&continuationToken={next}", pats(org));
        let a = call(r, Method::GET, &uri, Some(b), None).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        let body = a.json();
        out.extend(body["patTokens"].as_array().unwrap().iter().cloned());
        next = body["continuationToken"].as_str().unwrap().to_string();
        if next.is_empty() {
            return out;
        }
    }
}

fn ids(list: &[Value]) -> Vec<&str> {
    list.iter().map(|t| t["authorizationId"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn create_returns_the_secret_once_and_never_again() {
    let (s, r) = stand_in();
    let (oid, b) = new_user();
    let a = create(
        &r,
        &b,
        "fabrikam-demo",
        create_body("Deploy bot", "vso.build_execute vso.code", &in_days(30), false),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let body = a.json();
    assert_eq!(body["patTokenError"], "none");
    let pat = &body["patToken"];
    let secret = pat["token"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 84, "the format of new PATs since 2025");
    assert!(secret.bytes().all(|c| c.is_ascii_alphanumeric()), "{secret}");
    assert_eq!(&secret[76..80], "AZDO", "the fixed signature");
    assert_eq!(pat["displayName"], "Deploy bot");
    assert_eq!(pat["scope"], "vso.build_execute vso.code");
    assert_eq!(pat["targetAccounts"], json!([org_id("fabrikam-demo")]));
    let id = pat["authorizationId"].as_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok());

    // A second token gets another secret.
    let other = create(&r, &b, "fabrikam-demo", create_body("Twin", "vso.code", &in_days(3), false)).await;
    assert_ne!(other.json()["patToken"]["token"].as_str().unwrap(), secret);

    // Later answers: the lists, the token itself.
    let listed = list_all(&r, &b, "fabrikam-demo", "all").await;
    assert!(ids(&listed).contains(&id.as_str()));
    assert!(listed.iter().all(|t| t["token"].is_null()));
    let got =
        call(&r, Method::GET, &format!("{}&authorizationId={id}", pats("fabrikam-demo")), Some(&b), None)
            .await;
    assert_eq!(got.json()["patToken"]["displayName"], "Deploy bot");
    assert!(got.json()["patToken"]["token"].is_null());
    for text in [got.text, serde_json::to_string(&listed).unwrap()] {
        assert!(!text.contains(&secret));
    }
    // And the stand-in keeps it nowhere.
    let kept = format!("{:?}", s.pats.lock().unwrap().get(&oid).unwrap());
    assert!(kept.contains("Deploy bot") && !kept.contains(&secret));
}

#[tokio::test]
async fn each_validation_failure_answers_200_with_its_error() {
    let (_, r) = stand_in();
    let (_, b) = new_user();
    let long = "x".repeat(257);
    let cases = [
        (create_body("", "vso.code", &in_days(5), false), "invalidDisplayName"),
        (create_body("   ", "vso.code", &in_days(5), false), "invalidDisplayName"),
        (create_body(&long, "vso.code", &in_days(5), false), "invalidDisplayName"),
        (json!({ "scope": "vso.code", "validTo": in_days(5) }), "invalidDisplayName"),
        (create_body("ok", "", &in_days(5), false), "invalidScope"),
        (create_body("ok", "   ", &in_days(5), false), "invalidScope"),
        (create_body("ok", "vso.code vso.nonsense", &in_days(5), false), "invalidScope"),
        (create_body("ok", "vso.code", "31/12/2030", false), "invalidValidTo"),
        (create_body("ok", "vso.code", "2030-12-31", false), "invalidValidTo"),
        (create_body("ok", "vso.code", &in_days(-1), false), "invalidValidTo"),
        (create_body("ok", "vso.code", &in_days(400), false), "patLifespanPolicyViolation"),
    ];
    for (body, error) in cases {
        let a = create(&r, &b, "fabrikam-demo", body.clone()).await;
        assert_eq!(a.status, StatusCode::OK, "{body}");
        assert_eq!(a.json(), json!({ "patToken": null, "patTokenError": error }), "{body}");
    }
    // 256 characters is still fine; nothing refused was kept.
    let a =
        create(&r, &b, "fabrikam-demo", create_body(&"y".repeat(256), "vso.code", &in_days(5), false)).await;
    assert_eq!(a.json()["patTokenError"], "none");
    let names: Vec<String> = list_all(&r, &b, "fabrikam-demo", "all")
        .await
        .iter()
        .map(|t| t["displayName"].as_str().unwrap().to_string())
        .collect();
    assert!(!names.contains(&"ok".to_string()));
    // A body that is not JSON is a 400, in the vss shape.
    let a = call(&r, Method::POST, &pats("fabrikam-demo"), Some(&b), Some(json!("not an object"))).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.json()["typeKey"].is_string());
}

#[tokio::test]
async fn update_changes_name_scope_expiry_and_reach() {
    let (_, r) = stand_in();
    let (_, b) = new_user();
    let made = create(&r, &b, "fabrikam-demo", create_body("Nightly", "vso.code", &in_days(7), false)).await;
    let id = made.json()["patToken"]["authorizationId"].as_str().unwrap().to_string();
    let to = in_days(90);
    let body = json!({
        "authorizationId": id, "displayName": "Nightly build", "scope": "vso.code vso.build",
        "validTo": to, "allOrgs": true,
    });
    let a = call(&r, Method::PUT, &pats("fabrikam-demo"), Some(&b), Some(body)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let pat = a.json()["patToken"].clone();
    assert_eq!(a.json()["patTokenError"], "none");
    assert_eq!(pat["displayName"], "Nightly build");
    assert_eq!(pat["scope"], "vso.code vso.build");
    assert!(pat["targetAccounts"].is_null());
    assert!(pat["token"].is_null(), "an update never carries a secret");
    let parsed = |v: &Value| OffsetDateTime::parse(v.as_str().unwrap(), &Rfc3339).unwrap();
    assert_eq!(parsed(&pat["validTo"]), OffsetDateTime::parse(&to, &Rfc3339).unwrap());
    // All organizations now: contoso-demo sees it (and its tenant's lifetime policy applies).
    let got =
        call(&r, Method::GET, &format!("{}&authorizationId={id}", pats("contoso-demo")), Some(&b), None)
            .await;
    assert_eq!(got.json()["patToken"]["displayName"], "Nightly build");
    let too_long = json!({ "authorizationId": id, "displayName": "x", "scope": "vso.code", "validTo": in_days(400), "allOrgs": true });
    let a = call(&r, Method::PUT, &pats("contoso-demo"), Some(&b), Some(too_long)).await;
    assert_eq!(a.json(), json!({ "patToken": null, "patTokenError": "patLifespanPolicyViolation" }));

    // The same validation as create.
    for (body, error) in [
        (json!({ "authorizationId": id, "displayName": " " }), "invalidDisplayName"),
        (json!({ "authorizationId": id, "scope": "vso.bogus" }), "invalidScope"),
        (json!({ "authorizationId": id, "validTo": "yesterday" }), "invalidValidTo"),
        (
            json!({ "authorizationId": uuid::Uuid::new_v4().to_string(), "displayName": "x" }),
            "authorizationNotFound",
        ),
        (json!({ "authorizationId": "not-a-guid", "displayName": "x" }), "invalidAuthorizationId"),
    ] {
        let a = call(&r, Method::PUT, &pats("fabrikam-demo"), Some(&b), Some(body.clone())).await;
        assert_eq!(
            (a.status, a.json()["patTokenError"].as_str().unwrap()),
            (StatusCode::OK, error),
            "{body}"
        );
    }
    // A revoked token cannot be updated.
    let del = format!("{}&authorizationId={id}", pats("fabrikam-demo"));
    assert_eq!(call(&r, Method::DELETE, &del, Some(&b), None).await.status, StatusCode::NO_CONTENT);
    let again = json!({ "authorizationId": id, "displayName": "Back", "scope": "vso.code", "validTo": in_days(5), "allOrgs": false });
    let a = call(&r, Method::PUT, &pats("fabrikam-demo"), Some(&b), Some(again)).await;
    assert_eq!(a.json(), json!({ "patToken": null, "patTokenError": "authorizationNotFound" }));
}

#[tokio::test]
async fn revoke_answers_204_and_the_token_is_listed_as_revoked() {
    let (_, r) = stand_in();
    let (_, b) = new_user();
    let made =
        create(&r, &b, "fabrikam-demo", create_body("Short lived", "vso.work", &in_days(10), false)).await;
    let id = made.json()["patToken"]["authorizationId"].as_str().unwrap().to_string();
    let uri = format!("{}&authorizationId={id}", pats("fabrikam-demo"));
    let a = call(&r, Method::DELETE, &uri, Some(&b), None).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert!(a.text.is_empty());
    assert!(ids(&list_all(&r, &b, "fabrikam-demo", "revoked").await).contains(&id.as_str()));
    assert!(!ids(&list_all(&r, &b, "fabrikam-demo", "active").await).contains(&id.as_str()));
    // Still found by id.
    let got = call(&r, Method::GET, &uri, Some(&b), None).await;
    assert_eq!(got.json()["patToken"]["authorizationId"], id.as_str());
    // An unknown one: 404 in the vss shape; no id at all: 400.
    let unknown = format!("{}&authorizationId={}", pats("fabrikam-demo"), uuid::Uuid::new_v4());
    let a = call(&r, Method::DELETE, &unknown, Some(&b), None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.json()["message"].is_string() && a.json()["typeKey"].is_string());
    assert_eq!(
        call(&r, Method::DELETE, &pats("fabrikam-demo"), Some(&b), None).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn tokens_are_seen_only_in_their_organization() {
    let (_, r) = stand_in();
    let (_, b) = new_user();
    let contoso =
        create(&r, &b, "contoso-demo", create_body("Contoso only", "vso.work", &in_days(30), false)).await;
    let contoso = contoso.json()["patToken"].clone();
    assert_eq!(contoso["targetAccounts"], json!([org_id("contoso-demo")]));
    let id = contoso["authorizationId"].as_str().unwrap().to_string();
    // A global token, made in fabrikam-demo.
    let everywhere =
        create(&r, &b, "fabrikam-demo", create_body("Everywhere", "vso.work", &in_days(30), true)).await;
    let everywhere = everywhere.json()["patToken"].clone();
    assert!(everywhere["targetAccounts"].is_null());
    let all_id = everywhere["authorizationId"].as_str().unwrap().to_string();

    let in_contoso = list_all(&r, &b, "contoso-demo", "all").await;
    let in_fabrikam = list_all(&r, &b, "fabrikam-demo", "all").await;
    assert!(ids(&in_contoso).contains(&id.as_str()) && ids(&in_contoso).contains(&all_id.as_str()));
    assert!(!ids(&in_fabrikam).contains(&id.as_str()) && ids(&in_fabrikam).contains(&all_id.as_str()));
    for t in in_fabrikam.iter().filter(|t| !t["targetAccounts"].is_null()) {
        assert_eq!(t["targetAccounts"], json!([org_id("fabrikam-demo")]));
    }
    // Get, update and revoke from the other organization do not find it.
    let by_id = format!("{}&authorizationId={id}", pats("fabrikam-demo"));
    let got = call(&r, Method::GET, &by_id, Some(&b), None).await;
    assert_eq!(got.json()["patTokenError"], "authorizationNotFound");
    let upd = json!({ "authorizationId": id, "displayName": "Moved" });
    let a = call(&r, Method::PUT, &pats("fabrikam-demo"), Some(&b), Some(upd)).await;
    assert_eq!(a.json()["patTokenError"], "authorizationNotFound");
    assert_eq!(call(&r, Method::DELETE, &by_id, Some(&b), None).await.status, StatusCode::NOT_FOUND);
    // Another user sees none of them.
    let (_, other) = new_user();
    let theirs = list_all(&r, &other, "contoso-demo", "all").await;
    assert!(!ids(&theirs).contains(&id.as_str()) && !ids(&theirs).contains(&all_id.as_str()));

    // The big first user: 36 in fabrikam-demo, fewer in contoso-demo, every status in both.
    let big = bearer(&entra().users[0].oid);
    let fab = list_all(&r, &big, "fabrikam-demo", "all").await;
    assert_eq!(fab.len(), 36);
    let con = list_all(&r, &big, "contoso-demo", "all").await;
    assert!(!con.is_empty() && con.len() < fab.len());
    for org in ["fabrikam-demo", "contoso-demo"] {
        for filter in ["active", "expired", "revoked"] {
            assert!(!list_all(&r, &big, org, filter).await.is_empty(), "{org} {filter}");
        }
    }
    let soon = test_now() + time::Duration::days(7);
    let expiring = list_all(&r, &big, "fabrikam-demo", "active")
        .await
        .iter()
        .filter(|t| OffsetDateTime::parse(t["validTo"].as_str().unwrap(), &Rfc3339).unwrap() < soon)
        .count();
    assert!(expiring >= 1);
}
