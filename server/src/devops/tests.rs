//! Tests of devops.

use super::*;
use reqwest::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};

fn headers(ct: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
    h
}

#[test]
fn a_203_html_page_is_an_authentication_failure() {
    let r =
        classify(StatusCode::NON_AUTHORITATIVE_INFORMATION, &headers("text/html"), b"<html>sign in</html>");
    assert!(matches!(r, Err(DevopsError::Unauthorized)));
    let r = classify(StatusCode::OK, &headers("text/html; charset=utf-8"), b"<html></html>");
    assert!(matches!(r, Err(DevopsError::Unauthorized)));
    assert!(classify(StatusCode::OK, &headers("application/json; charset=utf-8"), b"{}").is_ok());
}

#[test]
fn statuses_are_classified() {
    let j = headers("application/json");
    assert!(matches!(classify(StatusCode::UNAUTHORIZED, &j, b"{}"), Err(DevopsError::Unauthorized)));
    assert!(matches!(classify(StatusCode::FORBIDDEN, &j, b"{}"), Err(DevopsError::Forbidden)));
    assert!(matches!(classify(StatusCode::NOT_FOUND, &j, b"{}"), Err(DevopsError::NotFound)));
    assert!(matches!(classify(StatusCode::BAD_GATEWAY, &j, b""), Err(DevopsError::Unavailable(_))));
    let mut h = j.clone();
    h.insert(RETRY_AFTER, HeaderValue::from_static("12"));
    assert!(matches!(classify(StatusCode::TOO_MANY_REQUESTS, &h, b"{}"), Err(DevopsError::RateLimited(12))));
    assert!(matches!(classify(StatusCode::NO_CONTENT, &HeaderMap::new(), b""), Ok(())));
}

#[test]
fn recorded_pat_list_parses() {
    let json = r#"{"patTokens":[{"displayName":"build","validTo":"2026-12-01T00:00:00Z","scope":"vso.build vso.code",
        "targetAccounts":["a1"],"validFrom":"2026-09-01T00:00:00Z","authorizationId":"4b1f1a5e-0000-0000-0000-000000000001",
        "token":null}],"continuationToken":"abc"}"#;
    let l: PatList = serde_json::from_str(json).unwrap();
    assert_eq!(l.pat_tokens.len(), 1);
    assert_eq!(l.pat_tokens[0].scope, "vso.build vso.code");
    assert_eq!(l.continuation_token.as_deref(), Some("abc"));
    assert!(l.pat_tokens[0].token.is_none());
}

#[test]
fn a_refusal_is_told_apart_by_its_body() {
    let j = headers("application/json");
    let body = |m: &str| serde_json::json!({ "message": m, "typeKey": "X" }).to_string().into_bytes();
    // No user named: the token was not accepted.
    let r = classify(
        StatusCode::UNAUTHORIZED,
        &j,
        &body("TF400813: The user '' is not authorized to access this resource."),
    );
    assert!(matches!(r, Err(DevopsError::Unauthorized)));
    // A user named: the token is fine, the organization does not know them.
    let mut h = j.clone();
    h.insert("x-vss-resourcetenant", HeaderValue::from_static("72f988bf-86f1-41af-91ab-2d7cd011db47"));
    let named = body("TF400813: The user 'aaaaaaaa-0000-0000-0000-000000000001' is not authorized to access this resource.");
    match classify(StatusCode::UNAUTHORIZED, &h, &named) {
        Err(DevopsError::NoAccess(NoAccess::NotMember { resource_tenant })) => {
            assert_eq!(resource_tenant.as_deref(), Some("72f988bf-86f1-41af-91ab-2d7cd011db47"))
        }
        other => panic!("{other:?}"),
    }
    let r = classify(StatusCode::UNAUTHORIZED, &j, &named);
    assert!(matches!(r, Err(DevopsError::NoAccess(NoAccess::NotMember { resource_tenant: None }))));
    // Conditional Access, on 403 or 401.
    let ca = body("VS403463: The conditional access policy defined by your Azure Active Directory administrator has failed.");
    for status in [StatusCode::FORBIDDEN, StatusCode::UNAUTHORIZED] {
        assert!(matches!(classify(status, &j, &ca), Err(DevopsError::NoAccess(NoAccess::ConditionalAccess))));
    }
    // A permission: forbidden.
    let r = classify(StatusCode::FORBIDDEN, &j, &body("Access Denied: needs permissions"));
    assert!(matches!(r, Err(DevopsError::Forbidden)));
}

#[test]
fn redirects_are_classified_not_internal() {
    let mut to_sign_in = HeaderMap::new();
    to_sign_in.insert(
        reqwest::header::LOCATION,
        HeaderValue::from_static("https://spsprodweu5.vssps.visualstudio.com/_signin?realm=dev.azure.com"),
    );
    assert!(matches!(classify(StatusCode::FOUND, &to_sign_in, b""), Err(DevopsError::Unauthorized)));
    let mut elsewhere = HeaderMap::new();
    elsewhere.insert(reqwest::header::LOCATION, HeaderValue::from_static("https://example.com/moved"));
    assert!(matches!(
        classify(StatusCode::MOVED_PERMANENTLY, &elsewhere, b""),
        Err(DevopsError::Unavailable(_))
    ));
}

#[test]
fn answers_with_fields_the_client_does_not_know_parse() {
    let json = r#"{"patToken":{"displayName":"x","validTo":"2026-12-01T23:46:23.32Z","scope":"vso.code",
        "targetAccounts":null,"validFrom":"2026-11-02T22:56:52.1033333Z","authorizationId":"4b1f1a5e-0000-0000-0000-000000000001",
        "token":null,"isValid":true,"clientId":"00000000-0000-0000-0000-000000000000"},
        "patTokenError":"none","patTokenErrorMessage":null,"somethingNew":1}"#;
    let r: PatResult = serde_json::from_str(json).unwrap();
    assert_eq!(r.pat_token.unwrap().valid_from, "2026-11-02T22:56:52.1033333Z");
    let r: PatResult = serde_json::from_str(
        r#"{"patTokenError":"globalPATCreationBlocked","patTokenErrorMessage":"Blocked."}"#,
    )
    .unwrap();
    assert_eq!(r.pat_token_error_message.as_deref(), Some("Blocked."));
}
