//! Bulk changes (revoke or extend many tokens, across organizations): a preview read fresh from Azure DevOps, then one outcome per token, each token checked again just before it changes.

use std::collections::HashSet;

use app::error::ApiError;
use app::inventory::{BulkAction, BulkChange, BulkItem, BulkOutcome, BulkTarget, EXTEND_CHOICES, MAX_BULK};
use app::model::{Expiry, PatChanges, PatStatus, PatSummary, Saved};
use futures::stream::{self, StreamExt};
use time::OffsetDateTime;
use tower_sessions::session::Id;

use super::orgs::org_name;
use super::pat_rules::{check_pat_id, validate_changes, wire_time, ValidChanges};
use super::pats::Pats;
use crate::secret::Secret;

/// Tokens read or changed at the same time during a bulk change.
const PARALLEL_TOKENS: usize = 4;

/// The targets of a bulk change, checked before any call: some, at most [`MAX_BULK`], each an
/// organization name and a token id, none twice.
pub fn check_targets(targets: &[BulkTarget]) -> Result<(), ApiError> {
    if targets.is_empty() {
        return Err(ApiError::invalid("tokens", "Select at least one token."));
    }
    if targets.len() > MAX_BULK {
        return Err(ApiError::invalid("tokens", format!("Select at most {MAX_BULK} tokens at a time.")));
    }
    let mut seen = HashSet::new();
    for t in targets {
        org_name(&t.org)?;
        check_pat_id(&t.id)
            .map_err(|_| ApiError::invalid("tokens", "A selected token is not a token id."))?;
        if !seen.insert(t.id.to_lowercase()) {
            return Err(ApiError::invalid("tokens", "A token is selected twice."));
        }
    }
    Ok(())
}

/// The expiry an extension asks for, checked as a token's own edit would be.
pub fn new_expiry(action: BulkAction, now: OffsetDateTime) -> Result<Option<OffsetDateTime>, ApiError> {
    match action {
        BulkAction::Revoke => Ok(None),
        BulkAction::Extend { days } => {
            let changes = PatChanges { expiry: Some(Expiry::Days(days)), ..Default::default() };
            Ok(validate_changes(&changes, now)?.valid_to)
        }
    }
}

/// One line of the preview: the token as read, what will happen to it, or why it stays as it is.
pub fn plan(
    target: BulkTarget,
    read: Result<PatSummary, ApiError>,
    action: BulkAction,
    new_valid_to: Option<OffsetDateTime>,
) -> BulkItem {
    let token = match read {
        Ok(t) => t,
        Err(e) => {
            return BulkItem {
                name: String::new(),
                organization: Some(target.org.clone()),
                target,
                status: None,
                valid_to: String::new(),
                new_valid_to: None,
                skip: Some(format!("Could not be read: {e}")),
            }
        }
    };
    let already = |until: OffsetDateTime| {
        OffsetDateTime::parse(&token.valid_to, &time::format_description::well_known::Rfc3339)
            .is_ok_and(|now_to| now_to >= until - time::Duration::seconds(1))
    };
    let skip = match (action, token.status) {
        (_, PatStatus::Revoked) => Some("Already revoked: nothing to change."),
        (BulkAction::Extend { .. }, _) if new_valid_to.is_some_and(already) => {
            Some("Already valid to that date or later: nothing to change.")
        }
        (BulkAction::Extend { .. }, PatStatus::Expired) => {
            Some("Expired tokens are read-only: re-issue it from its page instead.")
        }
        (BulkAction::Extend { .. }, _) if token.global.is_some() => Some(
            "A global token cannot be extended: replace it with one for each organization, from its page.",
        ),
        _ => None,
    };
    BulkItem {
        organization: token.target_accounts.is_some().then(|| target.org.clone()),
        target,
        name: token.display_name,
        status: Some(token.status),
        valid_to: token.valid_to,
        new_valid_to: new_valid_to.filter(|_| skip.is_none()).map(wire_time),
        skip: skip.map(str::to_string),
    }
}

impl Pats {
    /// Reads every target (a few at a time) and says what the action would do to each.
    pub async fn preview(
        &self,
        token: &Secret,
        session: Id,
        action: BulkAction,
        targets: Vec<BulkTarget>,
        new_valid_to: Option<OffsetDateTime>,
    ) -> Vec<BulkItem> {
        stream::iter(targets)
            .map(|t| async move {
                let read = self.get(token, &t.org, session, &t.id).await.map_err(|e| e.in_org(&t.org));
                plan(t, read, action, new_valid_to)
            })
            .buffered(PARALLEL_TOKENS)
            .collect()
            .await
    }

    /// Sets one token's expiry to `until` (a bulk extension, fixed when it was previewed).
    async fn extend_to(
        &self,
        token: &Secret,
        org: &str,
        id: String,
        until: OffsetDateTime,
    ) -> Result<Saved, ApiError> {
        let valid = ValidChanges { name: None, scope: None, valid_to: Some(until) };
        self.save(token, org, id, &valid).await
    }

    /// Applies `change` to one target: read again first, left alone when it no longer qualifies
    /// (already revoked, or already valid to the new expiry: a retry changes nothing twice).
    pub async fn apply_one(
        &self,
        token: &Secret,
        session: Id,
        change: Applied,
        target: BulkTarget,
    ) -> BulkOutcome {
        let (action, until) = match change {
            Applied::Revoke => (BulkAction::Revoke, None),
            Applied::ExtendTo(t) => (BulkAction::Extend { days: 0 }, Some(t)),
        };
        let read = self.get(token, &target.org, session, &target.id).await.map_err(|e| e.in_org(&target.org));
        let BulkItem { target, name, skip, .. } = plan(target, read, action, until);
        let result = match (skip, change) {
            (Some(why), _) => Err(ApiError::invalid("token", why)),
            (None, Applied::Revoke) => {
                self.revoke(token, &target.org, session, &target.id).await.map(|()| "Revoked".to_string())
            }
            (None, Applied::ExtendTo(until)) => {
                self.extend_to(token, &target.org, target.id.clone(), until).await.map(|saved| {
                    let to = saved.token.valid_to.get(..10).unwrap_or_default().to_string();
                    match saved.cut {
                        Some(_) => format!("Valid to {to} (shortened by the organization's policy)"),
                        None => format!("Valid to {to}"),
                    }
                })
            }
        };
        let (done, error) = match result {
            Ok(done) => (Some(done), None),
            Err(e) => (None, Some(e.in_org(&target.org))),
        };
        BulkOutcome { target, name, done, error }
    }
}

/// A bulk change as it is applied: revoke, or an extension to one absolute expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Revoke,
    ExtendTo(OffsetDateTime),
}

/// The change a page asks to apply, checked: an extension's expiry is an instant in the future,
/// no further than the longest extension offered (plus a day for a preview left open).
pub fn check_change(change: &BulkChange, now: OffsetDateTime) -> Result<Applied, ApiError> {
    let until = match change {
        BulkChange::Revoke => return Ok(Applied::Revoke),
        BulkChange::ExtendTo { until } => until,
    };
    let bad = || {
        ApiError::invalid(
            "valid_to",
            "The new expiry is not one this page offered: preview the change again.",
        )
    };
    let until =
        OffsetDateTime::parse(until, &time::format_description::well_known::Rfc3339).map_err(|_| bad())?;
    let longest = i64::from(EXTEND_CHOICES.into_iter().max().unwrap_or(90)) + 1;
    if until <= now || until > now + time::Duration::days(longest) {
        return Err(bad());
    }
    Ok(Applied::ExtendTo(until))
}

/// A bulk change for the metrics: its action, and how many targets changed (the others were
/// skipped, refused or not attempted).
pub fn count_bulk(change: Applied, outcomes: &[BulkOutcome]) {
    let action = match change {
        Applied::Revoke => "revoke",
        Applied::ExtendTo(_) => "extend",
    };
    let done = outcomes.iter().filter(|o| o.done.is_some()).count() as u64;
    crate::metrics::bulk_change(action, done, outcomes.len() as u64 - done);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(id: &str) -> BulkTarget {
        BulkTarget { org: "fabrikam-demo".into(), id: id.into() }
    }

    const ID: &str = "5a0e5bb3-5cc8-4fd4-9f4f-8d6bb3bfcd7e";

    fn summary(status: PatStatus, global: bool) -> PatSummary {
        PatSummary {
            authorization_id: ID.into(),
            display_name: "CI".into(),
            scopes: vec![],
            valid_from: String::new(),
            valid_to: "2026-12-10T00:00:00Z".into(),
            expires: String::new(),
            target_accounts: (!global).then(Vec::new),
            status,
            global: global.then_some(app::model::GlobalPat::Retiring),
        }
    }

    #[test]
    fn targets_are_checked_before_any_call() {
        assert!(check_targets(&[target(ID)]).is_ok());
        assert!(check_targets(&[]).is_err());
        assert!(check_targets(&[target(ID), target(&ID.to_uppercase())]).is_err(), "twice");
        assert!(check_targets(&[target("../x")]).is_err());
        let bad_org = BulkTarget { org: "a/b".into(), id: ID.into() };
        assert!(check_targets(&[bad_org]).is_err());
        let many: Vec<_> =
            (0..=MAX_BULK).map(|i| target(&uuid::Uuid::from_u128(i as u128).to_string())).collect();
        assert!(check_targets(&many).is_err());
        assert!(check_targets(&many[..MAX_BULK]).is_ok());
    }

    #[test]
    fn the_preview_says_what_changes_and_what_stays() {
        let now =
            OffsetDateTime::parse("2026-11-20T12:00:00Z", &time::format_description::well_known::Rfc3339)
                .unwrap();
        let extend = BulkAction::Extend { days: 30 };
        let to = new_expiry(extend, now).unwrap();
        let item = plan(target(ID), Ok(summary(PatStatus::Active, false)), extend, to);
        assert_eq!(
            (item.skip.as_deref(), item.new_valid_to.as_deref()),
            (None, Some("2026-12-20T12:00:00Z"))
        );
        assert_eq!(item.organization.as_deref(), Some("fabrikam-demo"));
        let expired = plan(target(ID), Ok(summary(PatStatus::Expired, false)), extend, to);
        assert!(expired.skip.unwrap().contains("re-issue"));
        assert_eq!(expired.new_valid_to, None);
        let global = plan(target(ID), Ok(summary(PatStatus::Active, true)), extend, to);
        assert_eq!(global.organization, None);
        assert!(global.skip.is_some());
        let revoke = plan(target(ID), Ok(summary(PatStatus::Expired, false)), BulkAction::Revoke, None);
        assert_eq!(revoke.skip, None, "an expired token can still be revoked");
        let gone = plan(target(ID), Ok(summary(PatStatus::Revoked, false)), BulkAction::Revoke, None);
        assert!(gone.skip.is_some());
        let unread = plan(target(ID), Err(ApiError::NotFound), BulkAction::Revoke, None);
        assert!(unread.skip.unwrap().starts_with("Could not be read"));
        assert!(new_expiry(BulkAction::Extend { days: 0 }, now).is_err());
        assert!(new_expiry(BulkAction::Extend { days: 400 }, now).is_err());
    }

    #[test]
    fn an_extension_is_applied_to_its_previewed_instant_once() {
        let now =
            OffsetDateTime::parse("2026-11-20T12:00:00Z", &time::format_description::well_known::Rfc3339)
                .unwrap();
        let until = |s: &str| BulkChange::ExtendTo { until: s.into() };
        assert_eq!(check_change(&BulkChange::Revoke, now).unwrap(), Applied::Revoke);
        assert!(matches!(check_change(&until("2026-12-20T12:00:00Z"), now), Ok(Applied::ExtendTo(_))));
        for bad in ["2026-11-20T11:00:00Z", "2027-06-01T00:00:00Z", "next week", ""] {
            assert!(check_change(&until(bad), now).is_err(), "{bad}");
        }
        // A token already valid to the new expiry (a retry after it was extended) is left alone.
        let extend = BulkAction::Extend { days: 30 };
        let to =
            OffsetDateTime::parse("2026-12-10T00:00:00Z", &time::format_description::well_known::Rfc3339)
                .ok();
        let again = plan(target(ID), Ok(summary(PatStatus::Active, false)), extend, to);
        assert!(again.skip.unwrap().starts_with("Already valid to that date"));
        let later = to.map(|t| t + time::Duration::days(5));
        assert_eq!(plan(target(ID), Ok(summary(PatStatus::Active, false)), extend, later).skip, None);
    }
}
