//! Before a token changes: the session needs the permission to manage tokens (a session signed in
//! with reading only, the default, is told to ask for it, once, before anything is sent), and the
//! user's change budget must have room: every change sent to Azure DevOps (an update, an
//! extension, a revoke, a rotation, a re-issue, each target of a bulk change) takes one from a
//! budget per user across their sessions (`RATE_LIMIT_TOKEN_CHANGES` a minute).

use std::num::NonZeroU32;

use app::error::ApiError;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use http::request::Parts;

use super::account::Account;
use super::sign_in::session_of;
use super::PortalService;

/// Token changes per user per minute, refilled evenly (a burst of a whole minute's worth).
pub struct ChangeBudget {
    per_minute: u32,
    by_user: DefaultKeyedRateLimiter<String>,
}

/// Whose budget a change takes from: the tenant and the user's object id.
pub fn user_key(account: &Account) -> String {
    format!("{}/{}", account.tid, account.oid)
}

impl ChangeBudget {
    pub fn new(per_minute: u32) -> Self {
        let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        ChangeBudget { per_minute: n.get(), by_user: RateLimiter::keyed(Quota::per_minute(n)) }
    }

    /// Takes one change from `user`'s budget; `Err(seconds to wait)` when it is spent.
    pub fn take(&self, user: &str) -> Result<(), u64> {
        if self.by_user.len() > 100_000 {
            self.by_user.retain_recent();
        }
        let clock = DefaultClock::default();
        self.by_user
            .check_key(&user.to_string())
            .map_err(|not_until| not_until.wait_time_from(clock.now()).as_secs() + 1)
    }

    /// What a person is told when the budget is spent.
    pub fn spent(&self, wait: u64) -> String {
        format!(
            "You reached this portal's limit of {} token changes a minute: try again in {wait} seconds.",
            self.per_minute
        )
    }
}

impl PortalService {
    /// `Ok` when this session may change one token now: it has the permission (else
    /// `ConsentNeeded`), and its user's change budget has room (else `TooManyRequests`).
    pub(super) async fn may_change(&self, req: &Parts) -> Result<(), ApiError> {
        let account = self.may_manage(req).await?;
        self.changes.take(&user_key(&account)).map_err(|wait| {
            crate::metrics::refused("token_change_rate");
            ApiError::TooManyRequests { retry_after_secs: wait }
        })
    }

    /// The signed-in account, when its session may change tokens (`ConsentNeeded` when it must
    /// be asked first). Takes nothing from the budget: a bulk change takes one per target.
    pub(super) async fn may_manage(&self, req: &Parts) -> Result<Account, ApiError> {
        let account = self.accounts.load(&session_of(req)?).await?.ok_or(ApiError::NotSignedIn)?;
        if self.oidc.manage_scopes().is_empty() || account.can_manage {
            Ok(account)
        } else {
            Err(ApiError::ConsentNeeded)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_per_user_and_says_when_to_try_again() {
        let budget = ChangeBudget::new(3);
        for _ in 0..3 {
            assert!(budget.take("t/adele").is_ok());
        }
        let wait = budget.take("t/adele").unwrap_err();
        assert!((1..=21).contains(&wait), "{wait}");
        assert!(budget.take("t/megan").is_ok(), "another user has a budget of their own");
        assert!(budget.spent(wait).contains("3 token changes a minute"));
    }
}
