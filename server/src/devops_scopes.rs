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

/// The Azure DevOps permission names in a token response's `scope` (qualified by the resource
/// id or URI, or bare), without the OpenID Connect scopes.
pub fn devops_permissions(scope: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = scope
        .unwrap_or_default()
        .split(' ')
        .filter(|one| !one.is_empty())
        .map(|one| one.rsplit('/').next().unwrap_or(one).to_string())
        .filter(|name| !matches!(name.as_str(), "openid" | "profile" | "email" | "offline_access"))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Whether least privilege lapsed: the sign-in asked to read (`DEVOPS_SCOPES=least`), and its
/// token carries `user_impersonation` all the same, because Entra puts every permission granted
/// for the user in every token of the resource (an admin consent left over from a classic set-up,
/// or the user's own).
pub fn least_privilege_lapsed(least: bool, scope: Option<&str>) -> bool {
    least && devops_permissions(scope).iter().any(|p| p == CLASSIC_SCOPE)
}

/// Says in the log, once per process, that least privilege lapsed (the first time it is seen).
pub fn warn_if_lapsed(least: bool, scope: Option<&str>) {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if least_privilege_lapsed(least, scope) && !WARNED.swap(true, std::sync::atomic::Ordering::SeqCst) {
        tracing::warn!(
            "DEVOPS_SCOPES=least, but a sign-in's access token carries user_impersonation: Entra adds every \
             Azure DevOps permission granted for a user to every token, so this user's sign-ins can change \
             everything. Remove the user_impersonation grant (Enterprise applications → Permissions) to \
             restore least privilege; said once per process"
        );
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
    fn the_permissions_of_a_token_response_are_read_and_a_lapse_is_seen() {
        let r = "499b84ac-1321-427f-aa17-267ca6975798";
        let scope = format!("openid offline_access {r}/vso.pats https://app.vssps.visualstudio.com/user_impersonation {r}/vso.pats");
        assert_eq!(devops_permissions(Some(&scope)), ["user_impersonation", "vso.pats"]);
        assert!(devops_permissions(None).is_empty());
        assert!(least_privilege_lapsed(true, Some(&scope)));
        assert!(!least_privilege_lapsed(false, Some(&scope)), "classic asked for it");
        assert!(!least_privilege_lapsed(true, Some(&format!("{r}/vso.pats {r}/vso.pats_manage"))));
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
