//! Every documented `patTokenError` value (the `SessionTokenError` enum of the PAT lifecycle API,
//! `specification/tokens/7.2/tokens.json`: 37 values) as a sentence that says what happened and
//! what to do, on the form field it concerns; `patTokenErrorMessage` is added when sent.

use app::error::ApiError;

/// Where an error is shown, and what kind of error it is.
enum Shown {
    /// On a field of the form.
    Field(&'static str),
    /// A policy or permission: the user cannot fix it by editing the form.
    Refused,
    /// Azure DevOps could not do it this time: trying again may work.
    Failed,
    /// The token does not exist (any more), or not for this user.
    NotFound,
    /// The organization restricts PAT creation; packaging-only tokens may still be allowed.
    Restricted,
}

/// `(value, where it is shown, what the user is told)`, for every documented value but `none`.
const ERRORS: &[(&str, Shown, &str)] = &[
    ("displayNameRequired", Shown::Field("name"), "Give the token a name: Azure DevOps requires one."),
    ("invalidDisplayName", Shown::Field("name"), "Azure DevOps did not accept this name: use at most 256 characters and no control characters."),
    ("invalidValidTo", Shown::Field("valid_to"), "Azure DevOps did not accept this expiry: choose a date in the future, at most a year away."),
    ("invalidScope", Shown::Field("scopes"), "Azure DevOps did not accept one of these scopes: remove the ones it does not know, or choose from the list."),
    ("userIdRequired", Shown::Refused, "Azure DevOps could not tell which user the token is for. Sign out, sign in again and retry."),
    ("invalidUserId", Shown::Refused, "Azure DevOps does not know your user in this organization. Check that you signed in with the account that belongs to it."),
    ("invalidUserType", Shown::Refused, "Your kind of account cannot own personal access tokens here (for example a service principal). Sign in with a user account."),
    ("accessDenied", Shown::Refused, "you may not manage this token: it is not yours, or a policy of the organization denies it."),
    ("failedToIssueAccessToken", Shown::Failed, "Azure DevOps could not issue the token just now, and nothing was created. Try again in a moment."),
    ("invalidClient", Shown::Refused, "Azure DevOps does not accept this app for managing tokens. The app's administrator should check its registration and API permissions."),
    ("invalidClientType", Shown::Refused, "Azure DevOps does not accept this kind of app for managing tokens. The app's administrator should check its registration."),
    ("invalidClientId", Shown::Refused, "Azure DevOps does not know this app's client id. The app's administrator should check its registration."),
    ("invalidTargetAccounts", Shown::Field("all_orgs"), "Azure DevOps did not accept the organizations this token is for: you may no longer be a member. Choose this organization only."),
    ("hostAuthorizationNotFound", Shown::Refused, "This app is not authorized in this organization any more. Sign out, sign in again and consent when asked."),
    ("authorizationNotFound", Shown::NotFound, ""),
    ("failedToUpdateAccessToken", Shown::Failed, "Azure DevOps could not save the change just now, and the token is unchanged. Try again in a moment."),
    ("sourceNotSupported", Shown::Refused, "Azure DevOps does not accept token management from this kind of client."),
    ("invalidSourceIP", Shown::Refused, "an IP address policy of the organization refused the request. This app calls Azure DevOps from its server's address: ask your administrator."),
    ("invalidSource", Shown::Refused, "Azure DevOps does not accept token management from this client."),
    ("duplicateHash", Shown::Failed, "Azure DevOps generated a token that collided with another one, and nothing was created. Try again."),
    ("sshPolicyDisabled", Shown::Refused, "an organization policy turns off SSH authentication."),
    ("invalidToken", Shown::Failed, "Azure DevOps could not read this token. Reload the page and try again."),
    ("tokenNotFound", Shown::NotFound, ""),
    ("invalidAuthorizationId", Shown::NotFound, ""),
    ("failedToReadTenantPolicy", Shown::Failed, "Azure DevOps could not read your tenant's token policies just now, so it changed nothing. Try again in a moment."),
    ("globalPatPolicyViolation", Shown::Field("all_orgs"), "A policy of your Microsoft Entra tenant forbids tokens valid in all organizations: choose this organization only."),
    ("fullScopePatPolicyViolation", Shown::Field("scopes"), "A policy of your Microsoft Entra tenant forbids full-access tokens: choose specific scopes."),
    ("patLifespanPolicyViolation", Shown::Field("valid_to"), "This is beyond the longest lifetime your Microsoft Entra tenant allows: choose an earlier date."),
    ("invalidTokenType", Shown::Refused, "Azure DevOps did not accept the kind of sign-in this app used. Sign out and sign in again."),
    ("invalidAudience", Shown::Refused, "Azure DevOps did not accept this app's sign-in: it was not issued for Azure DevOps. The app's administrator should check its scopes."),
    ("invalidSubject", Shown::Refused, "Azure DevOps did not accept the user of this sign-in. Sign out and sign in again."),
    ("deploymentHostNotSupported", Shown::Refused, "this organization's host does not support managing tokens through this API."),
    ("disablePatCreationPolicyViolation", Shown::Restricted, "This organization restricts who may create personal access tokens, and you are not on its allowlist. If it allows packaging-only tokens, a token with only Packaging scopes can still be made; otherwise ask an organization administrator, or use Microsoft Entra tokens instead."),
    ("failedToReadOrgPolicy", Shown::Failed, "Azure DevOps could not read your organization's token policies just now, so it changed nothing. Try again in a moment."),
    ("globalPATCreationBlocked", Shown::Field("all_orgs"), "Azure DevOps no longer creates tokens valid in all organizations: choose this organization only."),
    ("expiredPatCannotBeExtended", Shown::Field("valid_to"), "This token has expired, and Azure DevOps does not let an expired token be extended or edited: re-issue it as a new token instead."),
];

/// The 7.2 spec's `SessionTokenError` values (`none` aside), as published: what `ERRORS` must
/// cover, and what the tests send.
pub const SESSION_TOKEN_ERRORS: [&str; 36] = [
    "displayNameRequired",
    "invalidDisplayName",
    "invalidValidTo",
    "invalidScope",
    "userIdRequired",
    "invalidUserId",
    "invalidUserType",
    "accessDenied",
    "failedToIssueAccessToken",
    "invalidClient",
    "invalidClientType",
    "invalidClientId",
    "invalidTargetAccounts",
    "hostAuthorizationNotFound",
    "authorizationNotFound",
    "failedToUpdateAccessToken",
    "sourceNotSupported",
    "invalidSourceIP",
    "invalidSource",
    "duplicateHash",
    "sshPolicyDisabled",
    "invalidToken",
    "tokenNotFound",
    "invalidAuthorizationId",
    "failedToReadTenantPolicy",
    "globalPatPolicyViolation",
    "fullScopePatPolicyViolation",
    "patLifespanPolicyViolation",
    "invalidTokenType",
    "invalidAudience",
    "invalidSubject",
    "deploymentHostNotSupported",
    "disablePatCreationPolicyViolation",
    "failedToReadOrgPolicy",
    "globalPATCreationBlocked",
    "expiredPatCannotBeExtended",
];

/// The longest `patTokenErrorMessage` shown; longer ones are cut.
const MAX_SERVICE_MESSAGE_CHARS: usize = 300;

/// What the user is told for `code`, with Azure DevOps' own words when it sent them.
pub fn pat_token_error(code: &str, service_message: Option<&str>) -> ApiError {
    let said = service_message.map(clean).filter(|m| !m.is_empty());
    let with_said = |text: &str| match &said {
        Some(m) => format!("{text} Azure DevOps says: “{m}”"),
        None => text.to_string(),
    };
    match ERRORS.iter().find(|(c, _, _)| c.eq_ignore_ascii_case(code)) {
        Some((_, Shown::Field(field), text)) => ApiError::invalid(field, with_said(text)),
        Some((_, Shown::Refused, text)) => ApiError::Forbidden { reason: with_said(text) },
        Some((_, Shown::Failed, text)) => ApiError::UpstreamFailed { message: with_said(text) },
        Some((_, Shown::NotFound, _)) => ApiError::NotFound,
        Some((_, Shown::Restricted, text)) => ApiError::CreationRestricted { reason: with_said(text) },
        // `none` without a token, or a value newer than this list: Azure DevOps refused, and
        // says so in its own words when it can.
        None => {
            tracing::warn!(code, "a patTokenError value this portal has no sentence for");
            ApiError::UpstreamFailed {
                message: with_said(&format!("Azure DevOps did not make the change ({}).", clean(code))),
            }
        }
    }
}

/// Service text made safe to show: one line, no control characters, bounded.
fn clean(s: &str) -> String {
    let one_line: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let trimmed = one_line.split_whitespace().collect::<Vec<_>>().join(" ");
    match trimmed.char_indices().nth(MAX_SERVICE_MESSAGE_CHARS) {
        Some((i, _)) => format!("{}…", &trimmed[..i]),
        None => trimmed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_value_has_a_sentence_and_none_is_internal() {
        assert_eq!(ERRORS.len(), SESSION_TOKEN_ERRORS.len());
        for code in SESSION_TOKEN_ERRORS {
            let e = pat_token_error(code, None);
            assert!(!matches!(e, ApiError::Internal { .. }), "{code}");
            assert!(!e.to_string().contains(code), "{code}: a sentence, not the code: {e}");
            assert!(e.to_string().len() > 20 || e == ApiError::NotFound, "{code}: {e}");
        }
    }

    #[test]
    fn field_errors_land_on_their_field() {
        let field = |code: &str| match pat_token_error(code, None) {
            ApiError::InvalidInput { field, .. } => field,
            other => panic!("{code}: {other:?}"),
        };
        assert_eq!(field("globalPatPolicyViolation"), "all_orgs");
        assert_eq!(field("globalPATCreationBlocked"), "all_orgs");
        assert_eq!(field("invalidTargetAccounts"), "all_orgs");
        assert_eq!(field("fullScopePatPolicyViolation"), "scopes");
        assert_eq!(field("invalidScope"), "scopes");
        assert_eq!(field("invalidValidTo"), "valid_to");
        assert_eq!(field("patLifespanPolicyViolation"), "valid_to");
        assert_eq!(field("expiredPatCannotBeExtended"), "valid_to");
        assert_eq!(field("displayNameRequired"), "name");
        assert!(matches!(
            pat_token_error("disablePatCreationPolicyViolation", None),
            ApiError::CreationRestricted { .. }
        ));
        assert!(matches!(pat_token_error("failedToReadOrgPolicy", None), ApiError::UpstreamFailed { .. }));
        assert_eq!(pat_token_error("tokenNotFound", None), ApiError::NotFound);
    }

    #[test]
    fn the_service_message_is_shown_cleaned_and_bounded() {
        let e = pat_token_error("disablePatCreationPolicyViolation", Some("PAT creation is\nrestricted."));
        assert!(e.to_string().ends_with("Azure DevOps says: “PAT creation is restricted.”"), "{e}");
        let long = "x".repeat(1000);
        let e = pat_token_error("invalidScope", Some(&long));
        assert!(e.to_string().chars().count() < 500);
        let e = pat_token_error("someFutureValue", Some("Explained."));
        assert!(
            matches!(&e, ApiError::UpstreamFailed { message } if message.contains("someFutureValue") && message.contains("Explained."))
        );
    }
}
