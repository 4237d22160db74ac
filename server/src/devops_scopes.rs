//! Which Azure DevOps permissions the app asks Entra ID for.
//!
//! By default, least privilege: the sign-in asks only for reading (`vso.pats` for the PAT
//! lifecycle API's list and get, `vso.profile` for the profile and the organizations,
//! `vso.project` for projects); the first change asks for `vso.pats_manage` (create, update,
//! revoke) in an incremental-consent round trip. The PAT lifecycle API declares these scopes in
//! its 7.2 spec (MicrosoftDocs/vsts-rest-api-specs, `specification/tokens/7.2/tokens.json`,
//! `security: EntraOAuth`: `vso.pats` on GET, `vso.pats_manage` on POST, PUT and DELETE).
//! `DEVOPS_SCOPES=classic` asks for `user_impersonation` at sign-in, as before, for
//! registrations that only have that permission.

use app::model::DEVOPS_RESOURCE;

/// What the sign-in asks for (`DEVOPS_SCOPES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DevopsScopes {
    /// Reading at sign-in; `vso.pats_manage` on the first change.
    #[default]
    Least,
    /// `user_impersonation` at sign-in, which reads and changes everything.
    Classic,
}

/// The scopes that read (sign-in, least privilege).
pub const READ_SCOPES: [&str; 3] = ["vso.pats", "vso.profile", "vso.project"];
/// The scope that changes tokens.
pub const MANAGE_SCOPE: &str = "vso.pats_manage";
/// The one scope of the classic registration.
pub const CLASSIC_SCOPE: &str = "user_impersonation";

/// `name` as Entra's v2 endpoint wants it: qualified by the Azure DevOps resource id.
pub fn qualified(name: &str) -> String {
    format!("{DEVOPS_RESOURCE}/{name}")
}

impl DevopsScopes {
    /// The Azure DevOps scopes of the sign-in, qualified.
    pub fn sign_in(self) -> Vec<String> {
        match self {
            DevopsScopes::Least => READ_SCOPES.iter().map(|s| qualified(s)).collect(),
            DevopsScopes::Classic => vec![qualified(CLASSIC_SCOPE)],
        }
    }

    /// What the first change asks for in addition, qualified; nothing for the classic set.
    pub fn manage(self) -> Vec<String> {
        match self {
            DevopsScopes::Least => vec![qualified(MANAGE_SCOPE)],
            DevopsScopes::Classic => Vec::new(),
        }
    }
}

/// Whether a token response's `scope` (space-separated, qualified or not) lets the app change
/// tokens; `None` (the provider did not say) counts as what was asked for.
pub fn grants_manage(scope: Option<&str>, asked: bool) -> bool {
    match scope {
        None => asked,
        Some(s) => s.split(' ').any(|one| {
            let name = one.rsplit('/').next().unwrap_or(one);
            name == MANAGE_SCOPE || name == CLASSIC_SCOPE
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_privilege_reads_at_sign_in_and_manages_later() {
        let r = "499b84ac-1321-427f-aa17-267ca6975798";
        assert_eq!(
            DevopsScopes::Least.sign_in(),
            [format!("{r}/vso.pats"), format!("{r}/vso.profile"), format!("{r}/vso.project")]
        );
        assert_eq!(DevopsScopes::Least.manage(), [format!("{r}/vso.pats_manage")]);
        assert_eq!(DevopsScopes::Classic.sign_in(), [format!("{r}/user_impersonation")]);
        assert!(DevopsScopes::Classic.manage().is_empty());
    }

    #[test]
    fn a_token_response_says_whether_changes_are_granted() {
        let r = "499b84ac-1321-427f-aa17-267ca6975798";
        assert!(grants_manage(Some(&format!("{r}/vso.pats {r}/vso.pats_manage")), true));
        assert!(grants_manage(Some("vso.pats_manage"), true));
        assert!(grants_manage(Some(&format!("{r}/user_impersonation")), false));
        assert!(!grants_manage(Some(&format!("{r}/vso.pats {r}/vso.profile")), true));
        assert!(grants_manage(None, true) && !grants_manage(None, false));
    }
}
