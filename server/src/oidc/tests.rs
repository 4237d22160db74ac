//! Tests of oidc.

use super::*;

#[test]
fn aadsts_codes_are_found_in_descriptions() {
    assert_eq!(aadsts_code("AADSTS50011: The redirect URI ...").as_deref(), Some("AADSTS50011"));
    assert_eq!(aadsts_code("x AADSTS7000215: Invalid client secret").as_deref(), Some("AADSTS7000215"));
    assert_eq!(aadsts_code("no code here"), None);
}

#[test]
fn discovered_issuers_must_belong_to_the_authority() {
    let a = |s: &str| Url::parse(s).unwrap();
    let tid = "7b0c2f4e-5d1a-4c3b-9e8f-0a1b2c3d4e5f";
    let ms = "https://login.microsoftonline.com";
    assert!(check_discovered_issuer(&a(&format!("{ms}/{tid}")), &format!("{ms}/{tid}/v2.0")).is_ok());
    assert!(check_discovered_issuer(&a(&format!("{ms}/organizations")), &format!("{ms}/{{tenantid}}/v2.0"))
        .is_ok());
    assert!(check_discovered_issuer(&a(&format!("{ms}/common")), &format!("{ms}/{{tenantid}}/v2.0")).is_ok());
    assert!(check_discovered_issuer(
        &a(&format!("{ms}/contoso.onmicrosoft.com")),
        &format!("{ms}/{tid}/v2.0")
    )
    .is_ok());
    assert!(check_discovered_issuer(&a(&format!("{ms}/{tid}")), "https://evil.example/x/v2.0").is_err());
    assert!(check_discovered_issuer(&a(&format!("{ms}/{tid}")), &format!("{ms}/{{tenantid}}/v2.0")).is_err());
    assert!(check_discovered_issuer(&a(&format!("{ms}/common")), &format!("{ms}/{tid}/v2.0")).is_err());
}

#[test]
fn token_sets_do_not_debug_their_tokens() {
    let t = TokenSet {
        access_token: Secret::new("eyJabc"),
        refresh_token: Some(Secret::new("r-1")),
        expires_at: 5,
    };
    let s = format!("{t:?}");
    assert!(!s.contains("eyJabc") && !s.contains("r-1"));
}

#[test]
fn interaction_errors_are_recognised() {
    let e = OidcError::Provider { error: "invalid_grant".into(), aadsts: None };
    assert!(e.needs_interaction());
    let e = OidcError::Provider { error: "invalid_client".into(), aadsts: None };
    assert!(!e.needs_interaction());
}
