//! What each Azure DevOps call needs from the bearer token's scopes, as Microsoft documents it:
//! the PAT lifecycle API's 7.2 spec (`specification/tokens/7.2/tokens.json` in
//! MicrosoftDocs/vsts-rest-api-specs) asks `vso.pats` of GET and `vso.pats_manage` of POST, PUT
//! and DELETE; profiles and accounts ask `vso.profile`; projects `vso.profile` or `vso.project`
//! (`specification/core/7.1/core.json`, `Projects_List`).
//! `user_impersonation` covers everything. A token without the scope is refused with 401 and
//! TF400813, as Azure DevOps refuses a token that lacks a scope (MicrosoftDocs/vsts-rest-api-specs#441:
//! "otherwise give 401 Unauthorized").

use axum::http::{Method, StatusCode};
use axum::response::Response;

use super::{vss_error, Caller};

/// The kind of call, for its scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    ReadPats,
    ManagePats,
    Profile,
    Projects,
    /// Graph: an organization's users (`vso.graph`, `specification/graph/7.2/graph.json`).
    Graph,
    /// Token Administration (`vso.tokenadministration`, `specification/tokenAdmin/7.2`).
    TokenAdmin,
}

impl Need {
    /// A PAT lifecycle call by its method.
    pub(crate) fn pats(method: &Method) -> Self {
        if method == Method::GET {
            Need::ReadPats
        } else {
            Need::ManagePats
        }
    }

    /// The scopes that allow this call.
    fn allowed_by(self) -> &'static [&'static str] {
        match self {
            Need::ReadPats => &["user_impersonation", "vso.pats", "vso.pats_manage"],
            Need::ManagePats => &["user_impersonation", "vso.pats_manage"],
            Need::Profile => &["user_impersonation", "vso.profile", "vso.profile_write"],
            Need::Graph => &["user_impersonation", "vso.graph", "vso.graph_manage"],
            Need::TokenAdmin => &["user_impersonation", "vso.tokenadministration"],
            Need::Projects => &[
                "user_impersonation",
                "vso.project",
                "vso.project_write",
                "vso.project_manage",
                "vso.profile",
            ],
        }
    }
}

/// The scope names of a token's `scp` (Entra: space-separated names) or `scope` claim (other
/// providers: names that may be qualified by the resource).
pub(crate) fn scope_names(claim: &str) -> Vec<String> {
    claim
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(|s| s.rsplit('/').next().unwrap_or(s).to_string())
        .collect()
}

/// Refuses the call when the caller's token lacks every scope that allows it. With
/// `classic_refused`, `user_impersonation` no longer opens the PAT lifecycle API.
pub(crate) fn require(caller: &Caller, need: Need, classic_refused: bool) -> Result<(), Response> {
    let pats = matches!(need, Need::ReadPats | Need::ManagePats);
    let allows = |a: &&&str| !(classic_refused && pats && **a == "user_impersonation");
    if need.allowed_by().iter().filter(allows).any(|a| caller.scopes.iter().any(|s| s == a)) {
        return Ok(());
    }
    Err(vss_error(
        StatusCode::UNAUTHORIZED,
        "UnauthorizedRequestException",
        &format!("TF400813: The user '{}' is not authorized to access this resource.", caller.oid),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(scp: &str) -> Caller {
        Caller {
            oid: "u".into(),
            name: "U".into(),
            username: "u@x".into(),
            tenant: "t".into(),
            scopes: scope_names(scp),
        }
    }

    fn require(caller: &Caller, need: Need) -> Result<(), Response> {
        super::require(caller, need, false)
    }

    #[test]
    fn a_classic_token_can_be_refused_by_the_pat_api_only() {
        let classic = caller("user_impersonation");
        assert!(super::require(&classic, Need::ReadPats, true).is_err());
        assert!(super::require(&classic, Need::ManagePats, true).is_err());
        assert!(super::require(&classic, Need::Profile, true).is_ok());
        assert!(super::require(&classic, Need::Projects, true).is_ok());
        assert!(super::require(&caller("vso.pats_manage"), Need::ManagePats, true).is_ok());
    }

    #[test]
    fn reading_is_not_changing() {
        let read = caller("vso.pats vso.profile vso.project");
        assert!(require(&read, Need::ReadPats).is_ok());
        assert!(require(&read, Need::Profile).is_ok() && require(&read, Need::Projects).is_ok());
        assert_eq!(require(&read, Need::ManagePats).unwrap_err().status(), StatusCode::UNAUTHORIZED);
        assert!(require(&caller("vso.pats_manage"), Need::ManagePats).is_ok());
        assert!(require(
            &caller("499b84ac-1321-427f-aa17-267ca6975798/user_impersonation"),
            Need::ManagePats
        )
        .is_ok());
        assert!(require(&caller(""), Need::ReadPats).is_err());
        assert_eq!(Need::pats(&Method::DELETE), Need::ManagePats);
        assert_eq!(Need::pats(&Method::GET), Need::ReadPats);
    }
}
