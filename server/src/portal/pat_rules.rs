//! Pure rules about personal access tokens: status from dates and the revoked list, the retirement of global tokens, sorting, the dashboard's tally, form and edit validation, and expiries cut short by a lifetime policy.

use app::error::ApiError;
use app::model::{
    CreatedPat, Expiry, ExpiryCut, GlobalPat, Overview, PatChanges, PatForm, PatSort, PatStatus, PatSummary,
    DEFAULT_LEAD_DAYS, GLOBAL_PATS_RETIRE_ON, MAX_LEAD_DAYS, UPCOMING_WEEKS,
};
use app::scopes::{is_known, looks_like_scope, FULL_ACCESS};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::errors::internal;
use super::pat_errors::pat_token_error;
use crate::devops::{PatRequest, PatResult, PatToken};

/// A token that expires within this many seconds is "expiring soon".
const EXPIRING_SOON_SECS: i64 = 7 * 24 * 3600;
/// Azure DevOps allows no token to live longer than a year; an organization may allow less.
const MAX_LIFETIME_DAYS: i64 = 365;
/// The most scopes one token may be sent with (the catalogue has under a hundred).
const MAX_SCOPES: usize = 200;
/// Longest search text accepted.
pub const MAX_SEARCH_CHARS: usize = 256;

/// The instant global PATs stop working (`GLOBAL_PATS_RETIRE_ON`).
pub fn global_pats_retire_at() -> OffsetDateTime {
    OffsetDateTime::parse(GLOBAL_PATS_RETIRE_ON, &Rfc3339).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub fn summarize(t: PatToken, revoked: bool, now: OffsetDateTime) -> PatSummary {
    let valid_to = OffsetDateTime::parse(&t.valid_to, &Rfc3339);
    let status = if revoked {
        PatStatus::Revoked
    } else {
        match valid_to {
            Ok(to) if to <= now => PatStatus::Expired,
            Ok(to) if (to - now).whole_seconds() <= EXPIRING_SOON_SECS => PatStatus::ExpiringSoon,
            _ => PatStatus::Active,
        }
    };
    let expires = valid_to.map(|to| app::when::relative((to - now).whole_seconds())).unwrap_or_default();
    // Only a token that would still work carries the badge (an expired or revoked one is done).
    let works = matches!(status, PatStatus::Active | PatStatus::ExpiringSoon);
    let global = (t.target_accounts.is_none() && works).then(|| {
        if now >= global_pats_retire_at() {
            GlobalPat::Retired
        } else {
            GlobalPat::Retiring
        }
    });
    PatSummary {
        authorization_id: t.authorization_id,
        display_name: t.display_name,
        scopes: t.scope.split_whitespace().map(str::to_string).collect(),
        valid_from: t.valid_from,
        valid_to: t.valid_to,
        expires,
        target_accounts: t.target_accounts,
        status,
        global,
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
/// The counts of the dashboard; "expiring soon" there means within `lead_days` (the reminder lead
/// time the person chose), while each token's own status keeps the seven-day rule.
pub fn tally(
    organization: String,
    all: Vec<PatToken>,
    revoked: &[String],
    now: OffsetDateTime,
    lead_days: u32,
) -> Overview {
    let mut overview = Overview {
        organization,
        active: 0,
        expiring_soon: 0,
        expired: 0,
        revoked: 0,
        soon: Vec::new(),
        upcoming: vec![0; UPCOMING_WEEKS],
        global: 0,
        global_state: None,
        lead_days,
        notice: None,
        replaceable: 0,
    };
    let window = i64::from(lead_days) * 24 * 3600;
    for t in all {
        let is_revoked = revoked.contains(&t.authorization_id);
        let valid_to = OffsetDateTime::parse(&t.valid_to, &Rfc3339).ok();
        let summary = summarize(t, is_revoked, now);
        let works = matches!(summary.status, PatStatus::Active | PatStatus::ExpiringSoon);
        if works && app::way_off::way_off(&summary.scopes, &summary.display_name).is_some() {
            overview.replaceable += 1;
        }
        let soon = works && valid_to.is_some_and(|to| (to - now).whole_seconds() <= window);
        match summary.status {
            _ if soon => overview.expiring_soon += 1,
            PatStatus::Active | PatStatus::ExpiringSoon => overview.active += 1,
            PatStatus::Expired => overview.expired += 1,
            PatStatus::Revoked => overview.revoked += 1,
        }
        if let (PatStatus::Active | PatStatus::ExpiringSoon, Some(g)) = (summary.status, summary.global) {
            overview.global += 1;
            overview.global_state = Some(g);
        }
        if let (PatStatus::Active | PatStatus::ExpiringSoon, Some(to)) = (summary.status, valid_to) {
            let week = ((to - now).whole_days() / 7) as usize;
            if let Some(n) = overview.upcoming.get_mut(week) {
                *n += 1;
            }
        }
        if soon {
            overview.soon.push(summary);
        }
    }
    overview.soon.sort_by(|a, b| a.valid_to.cmp(&b.valid_to));
    overview
}

/// The reminder lead time in days: 7 unless chosen, from 1 to [`MAX_LEAD_DAYS`].
pub fn lead_days(asked: Option<u32>) -> Result<u32, ApiError> {
    match asked.unwrap_or(DEFAULT_LEAD_DAYS) {
        n @ 1..=MAX_LEAD_DAYS => Ok(n),
        _ => Err(ApiError::invalid(
            "lead",
            format!("Choose between 1 and {MAX_LEAD_DAYS} days before expiry."),
        )),
    }
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
    /// The body of a create: every field.
    pub fn request(&self) -> PatRequest {
        PatRequest {
            authorization_id: None,
            display_name: Some(self.name.clone()),
            scope: Some(self.scope.clone()),
            valid_to: Some(wire_time(self.valid_to)),
            all_orgs: Some(self.all_orgs),
        }
    }
}

/// An instant as Azure DevOps is sent it: RFC 3339 UTC in whole seconds.
pub fn wire_time(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0).unwrap_or(t).format(&Rfc3339).unwrap_or_default()
}

/// Checks a token form on the server, with the error on the field it concerns.
pub fn validate_form(form: &PatForm, now: OffsetDateTime) -> Result<ValidForm, ApiError> {
    let name = validate_name(&form.name)?;
    let scope = validate_scopes(&form.scopes)?;
    let valid_to = validate_expiry(&form.expiry, now)?;
    if form.all_orgs && now >= global_pats_retire_at() {
        return Err(ApiError::invalid(
            "all_orgs",
            "Tokens valid in all organizations stopped working on 1 December 2026, and Azure DevOps creates \
             none any more: choose this organization only.",
        ));
    }
    Ok(ValidForm { name, scope, valid_to, all_orgs: form.all_orgs })
}

/// The fields of an edit that passed validation: only these are sent.
#[derive(Debug, PartialEq)]
pub struct ValidChanges {
    pub name: Option<String>,
    pub scope: Option<String>,
    pub valid_to: Option<OffsetDateTime>,
}

impl ValidChanges {
    /// The body of an update: the token's id and what changes, nothing else.
    pub fn request(&self, authorization_id: String) -> PatRequest {
        PatRequest {
            authorization_id: Some(authorization_id),
            display_name: self.name.clone(),
            scope: self.scope.clone(),
            valid_to: self.valid_to.map(wire_time),
            all_orgs: None,
        }
    }
}

/// Checks an edit on the server: each field that changes, with the error on that field.
pub fn validate_changes(changes: &PatChanges, now: OffsetDateTime) -> Result<ValidChanges, ApiError> {
    if changes.is_empty() {
        return Err(ApiError::invalid(
            "changes",
            "Nothing changed: edit the name, the scopes or the expiry first.",
        ));
    }
    Ok(ValidChanges {
        name: changes.name.as_deref().map(validate_name).transpose()?,
        scope: changes.scopes.as_deref().map(validate_scopes).transpose()?,
        valid_to: changes.expiry.as_ref().map(|e| validate_expiry(e, now)).transpose()?,
    })
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
    // A scope the catalogue has no name for is sent as it is: Azure DevOps decides.
    if let Some(odd) = scopes.iter().find(|s| !is_known(s) && !looks_like_scope(s)) {
        return Err(ApiError::invalid(
            "scopes",
            format!(
                "“{}” is not a scope name: scope names look like vso.code_write.",
                odd.chars().take(40).collect::<String>()
            ),
        ));
    }
    if scopes.len() > MAX_SCOPES {
        return Err(ApiError::invalid("scopes", format!("Choose at most {MAX_SCOPES} scopes.")));
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

/// The token of a PAT API answer, or the error its `patTokenError` names, on the field it concerns.
pub fn pat_result(r: PatResult) -> Result<PatToken, ApiError> {
    match (r.pat_token_error.as_str(), r.pat_token) {
        ("none", Some(t)) => Ok(t),
        ("none", None) => Err(ApiError::UpstreamFailed {
            message:
                "Azure DevOps answered without the token. Reload the list to see whether the change was made."
                    .into(),
        }),
        (code, _) => Err(pat_token_error(code, r.pat_token_error_message.as_deref())),
    }
}

/// Set when Azure DevOps granted an expiry earlier than asked (a maximum-lifetime policy: the
/// 7.2 API shortens instead of refusing). A minute of slack covers its rounding.
pub fn cut_of(asked: OffsetDateTime, granted: &str) -> Option<ExpiryCut> {
    let granted_at = OffsetDateTime::parse(granted, &Rfc3339).ok()?;
    (granted_at < asked - time::Duration::minutes(1))
        .then(|| ExpiryCut { asked: wire_time(asked), granted: granted.to_string() })
}

/// The answer to a create: the summary and the secret, which goes nowhere else.
pub fn created_pat(
    t: PatToken,
    asked_valid_to: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<CreatedPat, ApiError> {
    let secret = match &t.token {
        Some(s) if !s.expose().is_empty() => s.expose().to_string(),
        _ => return Err(internal("PAT API", &"create answered without the secret")),
    };
    let cut = cut_of(asked_valid_to, &t.valid_to);
    Ok(CreatedPat { token: summarize(t, false, now), secret, cut })
}

#[cfg(test)]
mod tests;
