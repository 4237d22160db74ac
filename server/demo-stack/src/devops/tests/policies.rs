//! PAT policies where Azure DevOps keeps them: the tenant's, and an organization's creation policy.

use super::*;
use crate::devops::pat_checks::accepts_scope;

/// Tenant policies hold in every organization of the tenant; "Restrict personal access token
/// creation" is one organization's (`manage-pats-with-policies-for-administrators`).
#[tokio::test]
async fn policies_are_the_tenants_and_creation_the_organizations() {
    assert!(
        accepts_scope("vso.agentpools_manage") && accepts_scope("vso.loadtest") && !accepts_scope("vso.nope")
    );
    assert!(
        accepts_scope("vso.governance") && !accepts_scope("vso.pats") && !accepts_scope("user_impersonation")
    );

    let (_, r) = stand_in();
    let (_, contoso) = new_user();
    let litware = litware_bearer();
    let error = |a: Answer| a.json()["patTokenError"].as_str().unwrap().to_string();
    let cases = [
        (&litware, LITWARE_OPEN_ORG, "vso.code", 90, "none"),
        (&litware, LITWARE_OPEN_ORG, "vso.code", 91, "patLifespanPolicyViolation"),
        (&litware, LITWARE_OPEN_ORG, "vso.code app_token", 30, "fullScopePatPolicyViolation"),
        (&litware, RESTRICTED_ORG, "vso.code", 30, "disablePatCreationPolicyViolation"),
        (&litware, RESTRICTED_ORG, "vso.code vso.packaging_write", 30, "disablePatCreationPolicyViolation"),
        (&litware, RESTRICTED_ORG, "vso.packaging_write vso.packaging", 30, "none"),
        (&contoso, "fabrikam-demo", "app_token", 120, "none"),
        (&contoso, "contoso-demo", "app_token", 120, "none"),
        (&contoso, "contoso-demo", "vso.code", 365, "none"),
        (&contoso, "fabrikam-demo", "vso.code", 366, "patLifespanPolicyViolation"),
    ];
    for (b, org, scope, days, expected) in cases {
        let a = create(&r, b, org, create_body("policy", scope, &in_days(days), false)).await;
        assert_eq!(error(a), expected, "{org} {scope} {days}");
    }
    // An organization of the other tenant does not know the caller.
    let a = create(&r, &contoso, RESTRICTED_ORG, create_body("x", "vso.code", &in_days(5), false)).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let a = create(&r, &litware, "fabrikam-demo", create_body("x", "vso.code", &in_days(5), false)).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}
