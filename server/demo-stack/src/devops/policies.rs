//! PAT policies where Azure DevOps keeps them (`manage-pats-with-policies-for-administrators`,
//! <https://learn.microsoft.com/azure/devops/organizations/accounts/manage-pats-with-policies-for-administrators>):
//! "Restrict creation of global PATs", "Restrict creation of full-scoped PATs" and "Set maximum
//! lifespan for new PATs" are tenant policies (Organization settings → Microsoft Entra), the same
//! in every organization connected to the tenant; "Restrict personal access token creation", with
//! its "Allow creation of PAT with packaging scope only" option, is an organization policy.
//!
//! The demo has two tenants so that both kinds show: Contoso (the demo tenant) sets no
//! restriction and a year's lifespan; Litware restricts global and full-scoped tokens and
//! allows 90 days, and its `litware-demo` organization restricts creation, packaging excepted.

use crate::entra::{DEMO_TENANT, LITWARE_TENANT};

/// A tenant's PAT policies, as its Azure DevOps Administrator set them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantPolicy {
    /// "Enforce maximum personal access token lifespan": a token may be valid until the end of
    /// the day (UTC) this many days after its creation, no later.
    pub max_lifetime_days: i64,
    /// "Restrict full-scoped personal access token creation" (`app_token`) is off.
    pub full_access_allowed: bool,
    /// "Restrict global personal access token creation" is off.
    pub global_allowed: bool,
}

/// An organization's "Restrict personal access token (PAT) creation" policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreationPolicy {
    /// The policy is off (its default).
    Open,
    /// On, for a person outside its allowlist: no token, or with `packaging_only`, a token whose
    /// scopes are all Packaging ones.
    Restricted { packaging_only: bool },
}

/// Litware's organization that restricts PAT creation to packaging scopes.
pub const RESTRICTED_ORG: &str = "litware-demo";
/// Litware's organization without an organization policy: its tenant's policies alone apply.
pub const LITWARE_OPEN_ORG: &str = "litware-labs-demo";
/// The organizations connected to Litware, in the order the accounts API lists them.
pub const LITWARE_ORGS: [&str; 2] = [RESTRICTED_ORG, LITWARE_OPEN_ORG];

/// The policies of a demo tenant; `None` for any other tenant.
pub fn tenant_policy(tenant: &str) -> Option<TenantPolicy> {
    match tenant {
        DEMO_TENANT => {
            Some(TenantPolicy { max_lifetime_days: 365, full_access_allowed: true, global_allowed: true })
        }
        LITWARE_TENANT => {
            Some(TenantPolicy { max_lifetime_days: 90, full_access_allowed: false, global_allowed: false })
        }
        _ => None,
    }
}

/// The tenant policies that apply in `org`: those of the tenant it is connected to.
pub fn policy_of_org(org: &str) -> Option<TenantPolicy> {
    super::tenant::tenant_of(org).and_then(tenant_policy)
}

/// An organization's own policy on creating tokens.
pub fn creation_policy(org: &str) -> CreationPolicy {
    match org {
        RESTRICTED_ORG => CreationPolicy::Restricted { packaging_only: true },
        _ => CreationPolicy::Open,
    }
}

/// Whether `org`'s creation policy lets a person outside its allowlist create a token with
/// these scopes (`disablePatCreationPolicyViolation` otherwise).
pub fn creation_allowed(org: &str, scopes: &[&str]) -> bool {
    match creation_policy(org) {
        CreationPolicy::Open => true,
        CreationPolicy::Restricted { packaging_only } => {
            packaging_only && scopes.iter().all(|s| crate::reference::PACKAGING_SCOPES.contains(s))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_policies_apply_in_every_organization_of_the_tenant() {
        assert_eq!(policy_of_org("fabrikam-demo"), policy_of_org("contoso-demo"));
        assert_eq!(policy_of_org(RESTRICTED_ORG), policy_of_org(LITWARE_OPEN_ORG));
        assert_eq!(policy_of_org(LITWARE_OPEN_ORG).map(|p| p.max_lifetime_days), Some(90));
        assert_eq!(policy_of_org("fabrikam-demo").map(|p| p.max_lifetime_days), Some(365));
        assert_eq!(policy_of_org("nope"), None);
    }

    #[test]
    fn a_restricted_organization_allows_packaging_only() {
        assert!(creation_allowed(RESTRICTED_ORG, &["vso.packaging_write", "vso.packaging"]));
        assert!(!creation_allowed(RESTRICTED_ORG, &["vso.packaging_write", "vso.code"]));
        assert!(!creation_allowed(RESTRICTED_ORG, &["app_token"]));
        assert!(creation_allowed(LITWARE_OPEN_ORG, &["vso.code"]));
    }
}
