//! Tests of devops.

use super::*;
use reqwest::header::HeaderValue;

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
