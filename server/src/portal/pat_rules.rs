//! Pure rules about personal access tokens: status from dates and the revoked list, sorting, the dashboard's tally, form validation, and what each `patTokenError` means.

use app::error::ApiError;
use app::model::{
    CreatedPat, Expiry, Overview, PatForm, PatSort, PatStatus, PatSummary, FULL_ACCESS, UPCOMING_WEEKS,
};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::errors::internal;
use crate::devops::{PatRequest, PatResult, PatToken};

/// A token that expires within this many seconds is "expiring soon".
const EXPIRING_SOON_SECS: i64 = 7 * 24 * 3600;
/// Azure DevOps allows no token to live longer than a year; an organization may allow less.
const MAX_LIFETIME_DAYS: i64 = 365;
/// Longest search text accepted.
pub const MAX_SEARCH_CHARS: usize = 256;

pub fn summarize(t: PatToken, revoked: bool, now: OffsetDateTime) -> PatSummary {
    let status = if revoked {
        PatStatus::Revoked
    } else {
        match OffsetDateTime::parse(&t.valid_to, &Rfc3339) {
            Ok(to) if to <= now => PatStatus::Expired,
            Ok(to) if (to - now).whole_seconds() <= EXPIRING_SOON_SECS => PatStatus::ExpiringSoon,
            _ => PatStatus::Active,
        }
    };
    PatSummary {
        authorization_id: t.authorization_id,
        display_name: t.display_name,
        scopes: t.scope.split_whitespace().map(str::to_string).collect(),
        valid_from: t.valid_from,
        valid_to: t.valid_to,
        target_accounts: t.target_accounts,
        status,
    }
}

/// Sorts tokens the way Azure DevOps would (used where the app collects pages itself).
pub fn sort_tokens(tokens: &mut [PatToken], sort: PatSort, descending: bool) {
    match sort {
        PatSort::Name => tokens.sort_by_key(|t| t.display_name.to_lowercase()),
        PatSort::ValidTo | PatSort::Status => tokens.sort_by(|a, b| a.valid_to.cmp(&b.valid_to)),
    }
    if descending {
        tokens.reverse();
    }
}

/// Counts by status, what expires soon (soonest first) and active expiries per week ahead.
pub fn tally(organization: String, all: Vec<PatToken>, revoked: &[String], now: OffsetDateTime) -> Overview {
    let mut overview = Overview {
        organization,
        active: 0,
        expiring_soon: 0,
        expired: 0,
        revoked: 0,
        soon: Vec::new(),
        upcoming: vec![0; UPCOMING_WEEKS],
    };
    for t in all {
        let is_revoked = revoked.contains(&t.authorization_id);
        let valid_to = OffsetDateTime::parse(&t.valid_to, &Rfc3339).ok();
        let summary = summarize(t, is_revoked, now);
        match summary.status {
            PatStatus::Active => overview.active += 1,
            PatStatus::ExpiringSoon => overview.expiring_soon += 1,
            PatStatus::Expired => overview.expired += 1,
            PatStatus::Revoked => overview.revoked += 1,
        }
        if let (PatStatus::Active | PatStatus::ExpiringSoon, Some(to)) = (summary.status, valid_to) {
            let week = ((to - now).whole_days() / 7) as usize;
            if let Some(n) = overview.upcoming.get_mut(week) {
                *n += 1;
            }
        }
        if summary.status == PatStatus::ExpiringSoon {
            overview.soon.push(summary);
        }
    }
    overview.soon.sort_by(|a, b| a.valid_to.cmp(&b.valid_to));
    overview
}

/// Token ids are GUIDs; anything else cannot name a token.
pub fn check_pat_id(id: &str) -> Result<(), ApiError> {
    uuid::Uuid::parse_str(id).map(|_| ()).map_err(|_| ApiError::NotFound)
}

/// A form that passed validation, ready to send.
#[derive(Debug, PartialEq)]
pub struct ValidForm {
    pub name: String,
    pub scope: String,
    pub valid_to: OffsetDateTime,
    pub all_orgs: bool,
}

impl ValidForm {
    pub fn request(&self, authorization_id: Option<String>) -> PatRequest {
        PatRequest {
            authorization_id,
            display_name: self.name.clone(),
            scope: self.scope.clone(),
            valid_to: self.valid_to.format(&Rfc3339).unwrap_or_default(),
            all_orgs: self.all_orgs,
        }
    }
}

/// Checks a token form on the server, with the error on the field it concerns.
pub fn validate_form(form: &PatForm, now: OffsetDateTime) -> Result<ValidForm, ApiError> {
    let name = validate_name(&form.name)?;
    let scope = validate_scopes(&form.scopes)?;
    let valid_to = validate_expiry(&form.expiry, now)?;
    Ok(ValidForm { name, scope, valid_to, all_orgs: form.all_orgs })
}

fn validate_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ApiError::invalid("name", "Give the token a name."));
    }
    if name.chars().count() > app::model::MAX_NAME_CHARS {
        return Err(ApiError::invalid(
            "name",
            format!("Use at most {} characters.", app::model::MAX_NAME_CHARS),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::invalid("name", "Use letters, digits, spaces and punctuation only."));
    }
    Ok(name.to_string())
}

fn validate_scopes(scopes: &[String]) -> Result<String, ApiError> {
    let mut scopes: Vec<&str> = scopes.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
    scopes.sort_unstable();
    scopes.dedup();
    if scopes.is_empty() {
        return Err(ApiError::invalid("scopes", "Choose at least one scope."));
    }
    if let Some(unknown) = scopes.iter().find(|s| **s != FULL_ACCESS && is_unknown_scope(s)) {
        return Err(ApiError::invalid("scopes", format!("{unknown} is not a scope Azure DevOps knows.")));
    }
    // Full access includes every other scope.
    Ok(if scopes.contains(&FULL_ACCESS) { FULL_ACCESS.to_string() } else { scopes.join(" ") })
}

fn validate_expiry(expiry: &Expiry, now: OffsetDateTime) -> Result<OffsetDateTime, ApiError> {
    let valid_to = match expiry {
        Expiry::Days(d) if (1..=MAX_LIFETIME_DAYS as u32).contains(d) => {
            now + time::Duration::days(i64::from(*d))
        }
        Expiry::Days(_) => return Err(ApiError::invalid("valid_to", "Choose between 1 and 365 days.")),
        Expiry::Date(d) => {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            let date = time::Date::parse(d.trim(), &format)
                .map_err(|_| ApiError::invalid("valid_to", "Enter a date as YYYY-MM-DD."))?;
            // Valid through the whole chosen day (UTC).
            date.with_hms(23, 59, 59)
                .map_err(|_| ApiError::invalid("valid_to", "Enter a valid date."))?
                .assume_utc()
        }
    };
    if valid_to <= now {
        return Err(ApiError::invalid("valid_to", "Choose a date in the future."));
    }
    if valid_to > now + time::Duration::days(MAX_LIFETIME_DAYS) {
        return Err(ApiError::invalid("valid_to", "Azure DevOps allows at most one year from today."));
    }
    Ok(valid_to)
}

fn is_unknown_scope(s: &str) -> bool {
    !app::model::SCOPE_AREAS.iter().any(|(_, scopes)| scopes.iter().any(|x| x.name == s))
}

/// The token of a PAT API answer, or the error its `patTokenError` names, on the field it concerns.
pub fn pat_result(r: PatResult) -> Result<PatToken, ApiError> {
    match (r.pat_token_error.as_str(), r.pat_token) {
        ("none", Some(t)) => Ok(t),
        (code, _) => Err(pat_token_error(code)),
    }
}

/// The one mapping of `patTokenError` values to what the user is told.
fn pat_token_error(code: &str) -> ApiError {
    match code {
        "invalidDisplayName" => ApiError::invalid("name", "Azure DevOps did not accept this name."),
        "invalidScope" => ApiError::invalid("scopes", "Azure DevOps did not accept these scopes."),
        "fullScopePatPolicyViolation" => ApiError::invalid(
            "scopes",
            "This organization's policy forbids full-access tokens: choose specific scopes.",
        ),
        "invalidValidTo" => ApiError::invalid("valid_to", "Azure DevOps did not accept this expiry date."),
        "patLifespanPolicyViolation" => ApiError::invalid(
            "valid_to",
            "This is beyond the longest lifetime your organization allows: choose an earlier date.",
        ),
        "invalidTargetAccounts" => {
            ApiError::invalid("all_orgs", "Azure DevOps did not accept these organizations.")
        }
        "authorizationNotFound" | "invalidAuthorizationId" => ApiError::NotFound,
        "accessDenied" => ApiError::Forbidden { reason: "you may not manage this token".into() },
        "globalPatPolicyViolation" => ApiError::Forbidden {
            reason: "an organization policy restricts tokens valid in all organizations".into(),
        },
        "none" => internal("PAT API", &"patTokenError none without a token"),
        other => internal("PAT API", &format!("patTokenError {other}")),
    }
}

/// The answer to a create: the summary and the secret, which goes nowhere else.
pub fn created_pat(t: PatToken, now: OffsetDateTime) -> Result<CreatedPat, ApiError> {
    let secret = match &t.token {
        Some(s) if !s.expose().is_empty() => s.expose().to_string(),
        _ => return Err(internal("PAT API", &"create answered without the secret")),
    };
    Ok(CreatedPat { token: summarize(t, false, now), secret })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> OffsetDateTime {
        OffsetDateTime::parse(s, &Rfc3339).unwrap()
    }

    fn pat(to: &str) -> PatToken {
        PatToken {
            authorization_id: "a".into(),
            display_name: "n".into(),
            scope: "vso.code vso.build".into(),
            target_accounts: None,
            token: None,
            valid_from: "2026-01-01T00:00:00Z".into(),
            valid_to: to.into(),
        }
    }

    fn form(name: &str, scopes: &[&str], expiry: Expiry) -> PatForm {
        PatForm {
            name: name.into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            expiry,
            all_orgs: false,
        }
    }

    #[test]
    fn status_comes_from_dates_and_the_revoked_list() {
        let now = at("2026-11-25T12:00:00Z");
        assert_eq!(summarize(pat("2026-11-20T00:00:00Z"), false, now).status, PatStatus::Expired);
        assert_eq!(summarize(pat("2026-11-28T00:00:00Z"), false, now).status, PatStatus::ExpiringSoon);
        assert_eq!(summarize(pat("2027-03-01T00:00:00Z"), false, now).status, PatStatus::Active);
        assert_eq!(summarize(pat("2027-03-01T00:00:00Z"), true, now).status, PatStatus::Revoked);
        assert_eq!(
            summarize(pat("2027-03-01T00:00:00.1234567Z"), false, now).scopes,
            vec!["vso.code", "vso.build"]
        );
    }

    #[test]
    fn forms_are_checked_field_by_field() {
        let now = at("2026-11-25T12:00:00Z");
        let field = |r: Result<ValidForm, ApiError>| match r {
            Err(ApiError::InvalidInput { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        };
        assert_eq!(field(validate_form(&form("  ", &["vso.code"], Expiry::Days(30)), now)), "name");
        assert_eq!(
            field(validate_form(&form(&"x".repeat(257), &["vso.code"], Expiry::Days(30)), now)),
            "name"
        );
        assert_eq!(field(validate_form(&form("a\u{7}", &["vso.code"], Expiry::Days(30)), now)), "name");
        assert_eq!(field(validate_form(&form("ci", &[], Expiry::Days(30)), now)), "scopes");
        assert_eq!(field(validate_form(&form("ci", &["vso.nope"], Expiry::Days(30)), now)), "scopes");
        assert_eq!(field(validate_form(&form("ci", &["vso.code"], Expiry::Days(0)), now)), "valid_to");
        assert_eq!(
            field(validate_form(&form("ci", &["vso.code"], Expiry::Date("2026-11-24".into())), now)),
            "valid_to"
        );
        assert_eq!(
            field(validate_form(&form("ci", &["vso.code"], Expiry::Date("2028-01-01".into())), now)),
            "valid_to"
        );
        assert_eq!(
            field(validate_form(&form("ci", &["vso.code"], Expiry::Date("tomorrow".into())), now)),
            "valid_to"
        );
    }

    #[test]
    fn a_valid_form_is_trimmed_sorted_and_full_access_stands_alone() {
        let now = at("2026-11-25T12:00:00Z");
        let v = validate_form(&form(" ci ", &["vso.work", "vso.code", "vso.code"], Expiry::Days(30)), now)
            .unwrap();
        assert_eq!((v.name.as_str(), v.scope.as_str()), ("ci", "vso.code vso.work"));
        assert_eq!(v.valid_to, at("2026-12-25T12:00:00Z"));
        let v =
            validate_form(&form("ci", &["vso.code", FULL_ACCESS], Expiry::Date("2026-12-31".into())), now)
                .unwrap();
        assert_eq!(v.scope, FULL_ACCESS);
        assert_eq!(v.valid_to, at("2026-12-31T23:59:59Z"), "valid through the chosen day");
    }

    #[test]
    fn sorting_and_the_tally() {
        let now = at("2026-11-25T12:00:00Z");
        let mut list =
            vec![pat("2027-03-01T00:00:00Z"), pat("2026-11-28T00:00:00Z"), pat("2026-11-20T00:00:00Z")];
        list[0].display_name = "b".into();
        list[1].display_name = "A".into();
        list[2].display_name = "c".into();
        sort_tokens(&mut list, PatSort::Name, false);
        assert_eq!(list.iter().map(|t| t.display_name.as_str()).collect::<Vec<_>>(), ["A", "b", "c"]);
        sort_tokens(&mut list, PatSort::ValidTo, true);
        assert_eq!(list[0].valid_to, "2027-03-01T00:00:00Z");
        list[2].authorization_id = "gone".into();
        let o = tally("org".into(), list, &["gone".to_string()], now);
        assert_eq!((o.active, o.expiring_soon, o.expired, o.revoked), (1, 1, 0, 1));
        assert_eq!(o.upcoming[0], 1, "the token expiring in three days is in week 0");
    }

    #[test]
    fn pat_token_errors_land_on_their_field() {
        let r = |e: &str| PatResult { pat_token: None, pat_token_error: e.into() };
        assert!(
            matches!(pat_result(r("patLifespanPolicyViolation")), Err(ApiError::InvalidInput { field, .. }) if field == "valid_to")
        );
        assert!(
            matches!(pat_result(r("fullScopePatPolicyViolation")), Err(ApiError::InvalidInput { field, .. }) if field == "scopes")
        );
        assert_eq!(pat_result(r("authorizationNotFound")).unwrap_err(), ApiError::NotFound);
        assert!(matches!(pat_result(r("none")), Err(ApiError::Internal { .. })));
        assert!(check_pat_id("4b1f1a5e-0000-0000-0000-000000000001").is_ok());
        assert_eq!(check_pat_id("../x").unwrap_err(), ApiError::NotFound);
    }
}
