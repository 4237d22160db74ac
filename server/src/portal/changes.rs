//! The changes to one token (create, update, revoke, rotate, re-issue): checked, allowed (consent and the change budget), then sent to Azure DevOps on a task of their own, so that nothing (a browser that goes away, a deadline, a shutdown's drain) cuts a change halfway after it was sent (issue 29).
//!
//! A change whose answer never came (Azure DevOps did not answer in time, or the connection
//! broke) may have been made: the person is told so, and to read the list before trying again,
//! instead of "try again", which could make a second token.

use std::future::Future;

use app::error::ApiError;
use app::model::{CreatedPat, Expiry, PatChanges, PatForm, Rotated, Saved};
use app::ports::PatRef;
use http::request::Parts;
use tracing::Instrument;

use super::pat_rules::{self, check_pat_id};
use super::PortalService;

/// What a person is told when a change's answer never came.
pub const OUTCOME_UNKNOWN: &str =
    "Azure DevOps did not answer in time, so this change may or may not have been \
     made. Reload the list to see, before you try again.";

/// Runs `change` to its end on a task of its own and gives its outcome: dropping the caller
/// (the browser went away) does not stop it. A change whose answer never came is "unknown".
async fn uncut<T: Send + 'static>(
    change: impl Future<Output = Result<T, ApiError>> + Send + 'static,
) -> Result<T, ApiError> {
    let outcome = tokio::spawn(change.instrument(tracing::Span::current()))
        .await
        .unwrap_or_else(|e| Err(super::errors::internal("change task", &e)));
    match outcome {
        Err(ApiError::UpstreamUnavailable) => {
            tracing::warn!("a change got no answer from Azure DevOps: its outcome is unknown");
            Err(ApiError::UpstreamFailed { message: OUTCOME_UNKNOWN.into() })
        }
        other => other,
    }
}

impl PortalService {
    pub(super) async fn create(
        &self,
        req: &Parts,
        org: Option<String>,
        form: PatForm,
    ) -> Result<CreatedPat, ApiError> {
        // The form is checked before any upstream call.
        let valid = pat_rules::validate_form(&form, self.clock.now())?;
        self.may_change(req).await?;
        let c = self.begin_call(req, org).await?;
        let (pats, token, org) = (self.pats.clone(), c.token.clone(), c.org.clone());
        let created = uncut(async move { pats.create(&token, &org, &valid).await }).await;
        // The inventory read before a change is not reused after it (a new token shows at once).
        self.pats.forget_inventory(c.id);
        let created = self.settle(&c.session, &c.org, created).await?;
        self.learn_limit(&c.session, &created).await;
        tracing::info!(authorization_id = %created.token.authorization_id, org = %c.org, "token created");
        Ok(created)
    }

    pub(super) async fn update(
        &self,
        req: &Parts,
        pat: PatRef,
        changes: PatChanges,
    ) -> Result<Saved, ApiError> {
        check_pat_id(&pat.id)?;
        pat_rules::validate_changes(&changes, self.clock.now())?;
        self.may_change(req).await?;
        let c = self.begin_call(req, pat.org).await?;
        let (pats, token, org) = (self.pats.clone(), c.token.clone(), c.org.clone());
        let saved = uncut(async move { pats.update(&token, &org, pat.id, &changes).await }).await;
        self.pats.forget_inventory(c.id);
        self.settle(&c.session, &c.org, saved).await
    }

    pub(super) async fn revoke(&self, req: &Parts, pat: PatRef) -> Result<(), ApiError> {
        check_pat_id(&pat.id)?;
        self.may_change(req).await?;
        let c = self.begin_call(req, pat.org).await?;
        let (pats, token, org, id) = (self.pats.clone(), c.token.clone(), c.org.clone(), c.id);
        let revoked = uncut(async move { pats.revoke(&token, &org, id, &pat.id).await }).await;
        self.settle(&c.session, &c.org, revoked).await
    }

    pub(super) async fn rotate(&self, req: &Parts, pat: PatRef, expiry: Expiry) -> Result<Rotated, ApiError> {
        check_pat_id(&pat.id)?;
        self.may_change(req).await?;
        let c = self.begin_call(req, pat.org).await?;
        let (pats, token, org, id) = (self.pats.clone(), c.token.clone(), c.org.clone(), c.id);
        let rotated = uncut(async move { pats.rotate(&token, &org, id, &pat.id, expiry).await }).await;
        self.pats.forget_inventory(c.id);
        let rotated = self.settle(&c.session, &c.org, rotated).await?;
        self.learn_limit(&c.session, &rotated.created).await;
        Ok(rotated)
    }

    pub(super) async fn reissue(
        &self,
        req: &Parts,
        pat: PatRef,
        expiry: Expiry,
    ) -> Result<CreatedPat, ApiError> {
        check_pat_id(&pat.id)?;
        self.may_change(req).await?;
        let c = self.begin_call(req, pat.org).await?;
        let (pats, token, org, id) = (self.pats.clone(), c.token.clone(), c.org.clone(), c.id);
        let created = uncut(async move { pats.reissue(&token, &org, id, &pat.id, expiry).await }).await;
        self.pats.forget_inventory(c.id);
        let created = self.settle(&c.session, &c.org, created).await?;
        self.learn_limit(&c.session, &created).await;
        Ok(created)
    }

    /// A new token whose expiry Azure DevOps cut tells the tenant's maximum lifetime.
    async fn learn_limit(&self, session: &tower_sessions::Session, created: &CreatedPat) {
        let Some(cut) = &created.cut else { return };
        if let Ok(Some(account)) = self.accounts.load(session).await {
            self.limits.learn(&account.tid, &created.token.valid_from, &cut.granted);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_change_runs_to_its_end_when_its_caller_is_dropped() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let change = async move {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            let _ = tx.send("made");
            Ok::<_, ApiError>(())
        };
        // The caller gives up at once (a browser that went away).
        let _ = tokio::time::timeout(std::time::Duration::from_millis(1), uncut(change)).await;
        assert_eq!(rx.await, Ok("made"), "the change was not cut halfway");
    }

    #[tokio::test]
    async fn a_change_without_an_answer_is_unknown_not_try_again() {
        let e = uncut(async { Err::<(), _>(ApiError::UpstreamUnavailable) }).await.unwrap_err();
        assert_eq!(e, ApiError::UpstreamFailed { message: OUTCOME_UNKNOWN.into() });
        assert_eq!(uncut(async { Err::<(), _>(ApiError::NotFound) }).await, Err(ApiError::NotFound));
    }
}
