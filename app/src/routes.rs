//! Paths and sign-in problem reasons that cross crates: the app links to them, the server routes, limits and guards them, the tests call them.

use serde::{Deserialize, Serialize};

/// The redirect URI's path, as in the original sample: register `{PUBLIC_URL}/getAToken`.
pub const CALLBACK: &str = "/getAToken";
/// Starts a sign-in (a GET link, so it works without JavaScript).
pub const SIGN_IN: &str = "/auth/sign-in";
/// Asks Entra for the permission to change tokens (`?return_to=`), then comes back there.
pub const CONSENT: &str = "/auth/consent";
/// The query parameter a consent round trip adds to the page it returns to when the person
/// (or their tenant) did not grant the permission.
pub const CONSENT_REFUSED_PARAM: &str = "consent";
/// Ends the session (a POST form).
pub const SIGN_OUT: &str = "/auth/sign-out";
/// The front-channel logout URL to register with Entra ID.
pub const FRONT_CHANNEL_LOGOUT: &str = "/auth/front-channel-logout";
/// Where a sign-in that did not complete lands (`?reason=`, see [`SignInProblem`]).
pub const SIGN_IN_PROBLEM: &str = "/signin-problem";
pub const HEALTHZ: &str = "/healthz";
pub const READYZ: &str = "/readyz";

/// The header that carries each request's id (set by the server, or kept from a proxy).
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The reminder calendar (`?org=&lead=`): an iCalendar file with one event per working token.
pub const REMINDERS_ICS: &str = "/api/pats/reminders.ics";

/// The inventory across organizations as a file (`?filter=&sort=&desc=&q=`), without secrets.
pub const INVENTORY_CSV: &str = "/api/pats/inventory.csv";
pub const INVENTORY_JSON: &str = "/api/pats/inventory.json";

/// The prefixes under which state-changing requests are guarded against other sites.
pub const API_PREFIX: &str = "/api/";
pub const AUTH_PREFIX: &str = "/auth/";
/// Built assets (wasm, JS, CSS): the only cacheable answers besides the favicon.
pub const ASSETS_PREFIX: &str = "/pkg/";
pub const FAVICON: &str = "/favicon.svg";
/// The demo stack's stand-ins, served by the same binary in demo mode.
pub const DEMO_PREFIX: &str = "/demo/";

/// Server-function endpoints (the `#[server]` attributes in `api.rs` must spell the same paths:
/// a test checks that every one of these is registered).
pub mod api {
    pub const ME: &str = "/api/me";
    pub const PATS: &str = "/api/pats";
    pub const PAT: &str = "/api/pat";
    pub const OVERVIEW: &str = "/api/overview";
    pub const CREATE_PAT: &str = "/api/pats/create";
    pub const UPDATE_PAT: &str = "/api/pats/update";
    pub const REVOKE_PAT: &str = "/api/pats/revoke";
    pub const ROTATE_PAT: &str = "/api/pats/rotate";
    pub const REISSUE_PAT: &str = "/api/pats/reissue";
    pub const INVENTORY: &str = "/api/pats/all";
    pub const BULK_PREVIEW: &str = "/api/pats/bulk/preview";
    pub const BULK_APPLY: &str = "/api/pats/bulk/apply";
    pub const BULK_PROGRESS: &str = "/api/pats/bulk/progress";
    pub const PROFILE: &str = "/api/profile";
    pub const ORGS: &str = "/api/orgs";
    pub const PROJECTS: &str = "/api/projects";
    pub const SIGN_IN_HELP: &str = "/api/sign-in-help";
    /// Every endpoint above, with [`super::SIGN_IN`], [`super::SIGN_OUT`] and [`super::CALLBACK`].
    pub const ALL: [&str; 21] = [
        ME,
        PATS,
        PAT,
        OVERVIEW,
        CREATE_PAT,
        UPDATE_PAT,
        REVOKE_PAT,
        ROTATE_PAT,
        REISSUE_PAT,
        INVENTORY,
        BULK_PREVIEW,
        BULK_APPLY,
        BULK_PROGRESS,
        PROFILE,
        ORGS,
        PROJECTS,
        SIGN_IN_HELP,
        super::SIGN_IN,
        super::CONSENT,
        super::SIGN_OUT,
        super::CALLBACK,
    ];
}

/// Why a sign-in did not complete: set by the server's callback, explained by the problem page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInProblem {
    /// The user pressed Cancel at the identity provider.
    Cancelled,
    /// No matching sign-in in this session (expired, another tab, a replayed callback).
    Expired,
    /// The identity provider answered the authorization request with an error.
    Idp,
    /// The code exchange was refused.
    Token,
    /// The ID token did not verify.
    InvalidToken,
    /// The identity provider did not answer.
    Unavailable,
    /// Discovery does not match the configured authority.
    Misconfigured,
    /// The tenant is not in `ALLOWED_TENANTS`.
    Tenant,
    /// The session store did not answer.
    Sessions,
}

impl SignInProblem {
    pub const ALL: [SignInProblem; 9] = [
        SignInProblem::Cancelled,
        SignInProblem::Expired,
        SignInProblem::Idp,
        SignInProblem::Token,
        SignInProblem::InvalidToken,
        SignInProblem::Unavailable,
        SignInProblem::Misconfigured,
        SignInProblem::Tenant,
        SignInProblem::Sessions,
    ];

    /// The value of `?reason=`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignInProblem::Cancelled => "cancelled",
            SignInProblem::Expired => "expired",
            SignInProblem::Idp => "idp",
            SignInProblem::Token => "token",
            SignInProblem::InvalidToken => "invalid_token",
            SignInProblem::Unavailable => "unavailable",
            SignInProblem::Misconfigured => "misconfigured",
            SignInProblem::Tenant => "tenant",
            SignInProblem::Sessions => "sessions",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The sentence the problem page shows.
    pub fn sentence(self) -> &'static str {
        match self {
            SignInProblem::Cancelled => "You cancelled the sign-in. Nothing was changed.",
            SignInProblem::Expired => "This sign-in expired or was started in another tab. Start again.",
            SignInProblem::Idp => "The identity provider refused the sign-in.",
            SignInProblem::Token => {
                "The identity provider did not accept this app's request for tokens. Check the app registration."
            }
            SignInProblem::InvalidToken => {
                "The identity provider's answer could not be verified, so it was not trusted."
            }
            SignInProblem::Unavailable => {
                "The identity provider is not answering right now. Try again in a moment."
            }
            SignInProblem::Misconfigured => {
                "The identity provider's configuration does not match this app's AUTHORITY setting, so it was \
                 not trusted."
            }
            SignInProblem::Tenant => "Your organization (tenant) is not allowed to use this app.",
            SignInProblem::Sessions => {
                "Sign-in sessions are unavailable right now (the session store is not answering). Try again \
                 in a moment."
            }
        }
    }

    /// The problem page's path, with the identity provider's code (letters, digits and `_`) when
    /// there is one.
    pub fn path(self, code: Option<&str>) -> String {
        let code: Option<String> = code
            .map(|c| c.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(40).collect())
            .filter(|c: &String| !c.is_empty());
        match code {
            Some(c) => format!("{SIGN_IN_PROBLEM}?reason={}&code={c}", self.as_str()),
            None => format!("{SIGN_IN_PROBLEM}?reason={}", self.as_str()),
        }
    }
}

/// The identity provider's code as the problem page may show it: an `AADSTS` number or a standard
/// OAuth/OpenID error code, nothing else (the page is reachable by any link, so free text in
/// `?code=` would let anyone put words in its mouth).
pub fn idp_code(code: &str) -> Option<&str> {
    const OAUTH: [&str; 14] = [
        "invalid_request",
        "unauthorized_client",
        "access_denied",
        "unsupported_response_type",
        "invalid_scope",
        "server_error",
        "temporarily_unavailable",
        "invalid_grant",
        "invalid_client",
        "unsupported_grant_type",
        "interaction_required",
        "login_required",
        "consent_required",
        "account_selection_required",
    ];
    let aadsts = code
        .strip_prefix("AADSTS")
        .is_some_and(|n| (4..=9).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()));
    (aadsts || OAUTH.contains(&code)).then_some(code)
}

/// An Azure DevOps organization name, checked for shape (it goes into URL paths): letters,
/// digits, `-`, `_` and `.`, at most [`OrgName::MAX_CHARS`]. Azure DevOps decides whether the
/// user may see it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OrgName(String);

impl OrgName {
    /// Azure DevOps organization names have at most 50 characters.
    pub const MAX_CHARS: usize = 50;

    pub fn parse(s: &str) -> Option<Self> {
        let ok = !s.is_empty()
            && s.len() <= Self::MAX_CHARS
            && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            // `.` and `..` would be path segments, not names.
            && s.chars().any(|c| c != '.');
        ok.then(|| OrgName(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for OrgName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_reasons_round_trip_and_codes_are_sanitized() {
        for p in SignInProblem::ALL {
            assert_eq!(SignInProblem::parse(p.as_str()), Some(p));
            assert!(p.path(None).starts_with(SIGN_IN_PROBLEM));
        }
        assert_eq!(
            SignInProblem::Idp.path(Some("AADSTS50011<script>")),
            "/signin-problem?reason=idp&code=AADSTS50011script"
        );
        assert_eq!(SignInProblem::Expired.path(Some("<>")), "/signin-problem?reason=expired");
        assert_eq!(SignInProblem::parse("nope"), None);
        assert_eq!(idp_code("AADSTS50011"), Some("AADSTS50011"));
        assert_eq!(idp_code("invalid_grant"), Some("invalid_grant"));
        for odd in ["CallUsAt5550100", "AADSTS", "AADSTS12x", "AADSTS1234567890", "Invalid_Grant", ""] {
            assert_eq!(idp_code(odd), None, "{odd}");
        }
    }

    #[test]
    fn organization_names_have_one_rule() {
        assert!(OrgName::parse("fabrikam-demo").is_some());
        assert!(OrgName::parse(&"a".repeat(50)).is_some());
        assert!(OrgName::parse(&"a".repeat(51)).is_none());
        for bad in ["", "a/b", "a b", "x?y", "é", ".", "..", "..."] {
            assert!(OrgName::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn every_endpoint_constant_is_a_registered_server_function() {
        let registered: Vec<String> =
            server_fn::axum::server_fn_paths().map(|(path, _)| path.to_string()).collect();
        for path in api::ALL {
            assert!(registered.iter().any(|r| r == path), "{path} is not a server function");
        }
    }
}
