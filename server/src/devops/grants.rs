//! What each Azure DevOps call needs from the access token (the specs' `security` sections) against what the token was granted (its `scp`), to tell a missing permission from a missing membership.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::secret::Secret;

/// The kind of call, for the scopes its spec's `security` section asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// PAT list and get: `vso.pats` (`specification/tokens/7.2/tokens.json`).
    ReadPats,
    /// PAT create, update, revoke: `vso.pats_manage` (same spec).
    ManagePats,
    /// Profile and accounts: `vso.profile` (`profile/7.1/profile.json`, `account/7.1/accounts.json`).
    Profile,
    /// Projects: `vso.profile` or `vso.project` (`core/7.1/core.json`, `Projects_List`; the
    /// scope table says `vso.profile` reads "projects, teams, and other top-level" artifacts).
    Projects,
}

/// The Entra scope that opens everything, this app's `DEVOPS_SCOPES=classic`.
pub const CLASSIC: &str = "user_impersonation";

impl Need {
    /// The scopes that allow this call: the spec's, those that include it, and the classic one.
    pub fn allowed_by(self) -> &'static [&'static str] {
        match self {
            Need::ReadPats => &[CLASSIC, "vso.pats", "vso.pats_manage"],
            Need::ManagePats => &[CLASSIC, "vso.pats_manage"],
            Need::Profile => &[CLASSIC, "vso.profile", "vso.profile_write"],
            Need::Projects => {
                &[CLASSIC, "vso.project", "vso.project_write", "vso.project_manage", "vso.profile"]
            }
        }
    }

    /// The service a call of this kind goes to, as the metrics name it.
    pub fn service(self) -> crate::metrics::Upstream {
        match self {
            Need::ReadPats | Need::ManagePats => crate::metrics::Upstream::DevopsPats,
            Need::Profile => crate::metrics::Upstream::DevopsProfile,
            Need::Projects => crate::metrics::Upstream::DevopsProjects,
        }
    }

    /// The scope this app asks for to make the call (`devops_scopes`).
    pub fn scope(self) -> &'static str {
        self.allowed_by()[1]
    }

    /// What the permission lets the app do, in a person's words.
    pub fn permission(self) -> &'static str {
        match self {
            Need::ReadPats => "read your personal access tokens (vso.pats)",
            Need::ManagePats => "create, change and revoke your personal access tokens (vso.pats_manage)",
            Need::Profile => "read your profile and organizations (vso.profile)",
            Need::Projects => "read your projects (vso.project)",
        }
    }

    fn is_pat_api(self) -> bool {
        matches!(self, Need::ReadPats | Need::ManagePats)
    }
}

/// Why a call refused with "not authorized" naming the user was refused, judged from the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The token lacks every scope that allows the call: a permission to grant, not a membership.
    MissingScope(Need),
    /// A PAT lifecycle call refused to a token whose only key to it is `user_impersonation`.
    ClassicRefused,
    /// The token carries what the call needs (or says nothing): the organization refused the user.
    NotMember,
}

/// The scope names an access token was granted: its `scp` claim (Entra v1 and v2 access tokens),
/// names qualified by the resource taken by their last segment. `None` when the token is not a
/// readable JWT or names no scopes.
///
/// The signature is not checked, on purpose: Azure DevOps checks the token; the portal reads the
/// claim only to explain a refusal Azure DevOps already gave, never to allow anything.
pub fn granted_scopes(token: &Secret) -> Option<Vec<String>> {
    let claims = claims_of(token)?;
    let scp = claims.get("scp")?.as_str()?;
    let names: Vec<String> = scp
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(|s| s.rsplit('/').next().unwrap_or(s).to_string())
        .collect();
    (!names.is_empty()).then_some(names)
}

/// Whose calls these are, for pacing them (Azure DevOps limits each user): the token's `oid`
/// (else `sub`), or a digest of the token itself when it says neither. Never the token.
pub fn caller_key(token: &Secret) -> String {
    let named = claims_of(token).and_then(|c| {
        c.get("oid").or_else(|| c.get("sub")).and_then(|v| v.as_str()).map(|v| format!("user:{v}"))
    });
    named.unwrap_or_else(|| {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(token.expose().as_bytes());
        format!("token:{}", URL_SAFE_NO_PAD.encode(&digest[..16]))
    })
}

/// The payload of a JWT, unverified (see [`granted_scopes`]).
fn claims_of(token: &Secret) -> Option<serde_json::Value> {
    let payload = token.expose().split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The verdict on a refusal of `need` to a token granted `granted`. `typeKey` plays no part: the
/// bodies of the two refusals may differ in it only (microsoft/azure-devops-extension-sample#45).
pub fn judge(need: Need, granted: Option<&[String]>) -> Verdict {
    let Some(granted) = granted else {
        return Verdict::NotMember;
    };
    let has = |s: &str| granted.iter().any(|g| g == s);
    let specific = need.allowed_by().iter().filter(|s| **s != CLASSIC).any(|s| has(s));
    if specific {
        Verdict::NotMember
    } else if has(CLASSIC) && need.is_pat_api() {
        Verdict::ClassicRefused
    } else if has(CLASSIC) {
        Verdict::NotMember
    } else {
        Verdict::MissingScope(need)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: serde_json::Value) -> Secret {
        let part = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
        Secret::new(format!("{}.{}.sig", part(&serde_json::json!({"alg": "RS256"})), part(&claims)))
    }

    #[test]
    fn granted_scopes_come_from_scp_with_or_without_the_resource() {
        let t = jwt(serde_json::json!({"scp": "vso.pats 499b84ac-1321-427f-aa17-267ca6975798/vso.profile"}));
        assert_eq!(granted_scopes(&t).unwrap(), ["vso.pats", "vso.profile"]);
        assert_eq!(granted_scopes(&jwt(serde_json::json!({"roles": ["x"]}))), None);
        assert_eq!(granted_scopes(&Secret::new("not-a-jwt".to_string())), None);
        assert_eq!(granted_scopes(&Secret::new("a.!!!.c".to_string())), None);
        assert_eq!(caller_key(&jwt(serde_json::json!({"oid": "o1", "sub": "s1"}))), "user:o1");
        let opaque = caller_key(&Secret::new("opaque-token".to_string()));
        assert!(opaque.starts_with("token:") && !opaque.contains("opaque"), "{opaque}");
    }

    #[test]
    fn a_refusal_is_a_missing_permission_only_when_the_token_lacks_it() {
        let g = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
        let reader = g("vso.pats vso.profile vso.project");
        assert_eq!(judge(Need::ReadPats, Some(&reader)), Verdict::NotMember);
        assert_eq!(judge(Need::ManagePats, Some(&reader)), Verdict::MissingScope(Need::ManagePats));
        assert_eq!(judge(Need::Projects, Some(&g("vso.pats"))), Verdict::MissingScope(Need::Projects));
        assert_eq!(judge(Need::Projects, Some(&g("vso.profile"))), Verdict::NotMember);
        assert_eq!(judge(Need::ReadPats, Some(&g("vso.pats_manage"))), Verdict::NotMember);
        let classic = g(CLASSIC);
        assert_eq!(judge(Need::ReadPats, Some(&classic)), Verdict::ClassicRefused);
        assert_eq!(judge(Need::ManagePats, Some(&classic)), Verdict::ClassicRefused);
        assert_eq!(judge(Need::Projects, Some(&classic)), Verdict::NotMember);
        assert_eq!(judge(Need::ReadPats, None), Verdict::NotMember, "a token that says nothing");
    }
}
