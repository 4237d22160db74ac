//! What the stand-in's PAT API checks in a create or update, as Azure DevOps does: the name, the scopes, the expiry against the organization's lifetime policy, global tokens; and how it makes a secret.

use rand::Rng;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

use super::policy_of_org as policy;
use crate::reference::{
    FULL_ACCESS_SCOPE, GLOBAL_PATS_RETIRE_ON, NOT_IN_THE_UI, PAT_SCOPE_TABLE, RETIRED_SCOPES,
};

/// The longest display name Azure DevOps accepts, in characters.
const MAX_NAME_CHARS: usize = 256;

/// A display name Azure DevOps accepts: not blank, at most 256 characters.
pub(super) fn check_name(name: &str) -> Result<String, &'static str> {
    if name.trim().is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err("invalidDisplayName");
    }
    Ok(name.to_string())
}

/// Whether Azure DevOps accepts `scope` in a PAT: a scope of the published table, one the UI
/// does not show, full access, and retired scopes old tokens carry.
pub(super) fn accepts_scope(scope: &str) -> bool {
    PAT_SCOPE_TABLE.contains(&scope)
        || NOT_IN_THE_UI.contains(&scope)
        || scope == FULL_ACCESS_SCOPE
        || RETIRED_SCOPES.contains(&scope)
}

/// Scope names Azure DevOps accepts, separated by spaces; stored once each, in the order given.
pub(super) fn check_scope(scope: &str, org: &str) -> Result<String, &'static str> {
    let mut names: Vec<&str> = Vec::new();
    for name in scope.split_whitespace() {
        if !accepts_scope(name) {
            return Err("invalidScope");
        }
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.is_empty() {
        return Err("invalidScope");
    }
    if names.contains(&FULL_ACCESS_SCOPE) && !policy(org).is_some_and(|p| p.full_access_allowed) {
        return Err("fullScopePatPolicyViolation");
    }
    Ok(names.join(" "))
}

/// Whether the organization's "Restrict personal access token creation" policy lets this token
/// be created (`disablePatCreationPolicyViolation`): checked on create only, as the policy
/// governs creating and regenerating tokens, not editing one.
pub(super) fn check_creation(scope: &str, org: &str) -> Result<(), &'static str> {
    let names: Vec<&str> = scope.split_whitespace().collect();
    match super::policies::creation_allowed(org, &names) {
        true => Ok(()),
        false => Err("disablePatCreationPolicyViolation"),
    }
}

/// Whether a token may be valid in all organizations: never from their retirement on
/// (`globalPATCreationBlocked`), and before it only where the organization allows them.
pub(super) fn check_global(org: &str, now: OffsetDateTime) -> Result<(), &'static str> {
    let retire =
        OffsetDateTime::parse(GLOBAL_PATS_RETIRE_ON, &Rfc3339).map_err(|_| "invalidTargetAccounts")?;
    if now >= retire {
        return Err("globalPATCreationBlocked");
    }
    if !policy(org).is_some_and(|p| p.global_allowed) {
        return Err("globalPatPolicyViolation");
    }
    Ok(())
}

/// An RFC 3339 instant in the future. Past the organization's maximum lifetime (the end of the
/// day, UTC, that many days after `base`: now for a create, the creation date for an update),
/// api-version 7.2 shortens it to that limit and older versions refuse
/// (`specification/tokens/7.2/tokens.json`, `PatTokenCreateRequest.validTo`).
pub(super) fn check_valid_to(
    valid_to: &str,
    org: &str,
    base: OffsetDateTime,
    now: OffsetDateTime,
    shortens: bool,
) -> Result<OffsetDateTime, &'static str> {
    let t = OffsetDateTime::parse(valid_to.trim(), &Rfc3339).map_err(|_| "invalidValidTo")?;
    let t = t.to_offset(UtcOffset::UTC);
    if t <= now {
        return Err("invalidValidTo");
    }
    let max_days = policy(org).map_or(0, |p| p.max_lifetime_days);
    let limit = (base.date() + Duration::days(max_days + 1)).midnight().assume_utc() - Duration::seconds(1);
    match t > limit {
        true if shortens => Ok(limit),
        true => Err("patLifespanPolicyViolation"),
        false => Ok(t),
    }
}

/// 84 characters, as new PATs are since 2025: letters and digits from the thread's
/// cryptographic generator, with the fixed signature `AZDO` at offset 76 (Microsoft Purview's
/// "Azure DevOps personal access token" definition).
pub(super) fn new_secret() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    let mut pick = |n: usize| -> String {
        (0..n).map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())])).collect()
    };
    format!("{}AZDO{}", pick(76), pick(4))
}
