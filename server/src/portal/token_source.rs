//! A fresh access token for a session: refreshed when it expires within five minutes, one refresh at a time per session (in this process and, with Redis, across instances).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use app::error::ApiError;
use tower_sessions::Session;

use super::account::{Account, Accounts};
use super::errors::{internal, store_error};
use crate::oidc::{now_secs, OidcClient, OidcError, TokenSet};
use crate::secret::Secret;
use crate::sessions::SharedLock;

/// Refresh the access token when it expires within this many seconds.
const REFRESH_MARGIN_SECS: u64 = 300;
/// How often a waiting instance looks whether the lock holder has finished.
const SHARED_LOCK_POLL: Duration = Duration::from_millis(100);

pub struct TokenSource {
    oidc: Arc<OidcClient>,
    accounts: Arc<Accounts>,
    locks: KeyedLocks,
    /// Serializes refreshes across instances (Redis); `None` with a single-instance store.
    shared_lock: Option<Arc<dyn SharedLock>>,
    /// How long the cross-instance lock lives: longer than a token request may take, so it
    /// cannot expire while its holder is still redeeming the refresh token.
    lock_ttl: Duration,
    /// Names each session's lock with a keyed digest of its id (`RecordIds::refresh_lock`).
    lock_names: crate::sessions::RecordIds,
}

/// What a re-read of the session found.
enum Reread {
    Fresh(Secret),
    Stale(Box<Account>),
}

impl TokenSource {
    /// `request_timeout` bounds a call to the identity provider; the shared lock outlives it.
    pub fn new(
        oidc: Arc<OidcClient>,
        accounts: Arc<Accounts>,
        shared_lock: Option<Arc<dyn SharedLock>>,
        request_timeout: Duration,
        lock_names: crate::sessions::RecordIds,
    ) -> Self {
        let lock_ttl = request_timeout + Duration::from_secs(5);
        TokenSource { oidc, accounts, locks: KeyedLocks::default(), shared_lock, lock_ttl, lock_names }
    }

    /// A valid access token for this session, refreshed first when it is about to expire.
    pub async fn access_token(&self, session: &Session) -> Result<Secret, ApiError> {
        let account = self.accounts.load(session).await?.ok_or(ApiError::NotSignedIn)?;
        if is_fresh(&account.tokens) {
            return Ok(account.tokens.access_token);
        }
        // One refresh at a time per session: the provider rotates refresh tokens, and
        // spending the same one twice can revoke the whole grant.
        // A keyed digest of the id, not the id: the shared lock's key is visible in Redis.
        let key = session.id().map(|id| self.lock_names.refresh_lock(&id)).unwrap_or_default();
        let lock = self.locks.get(&key);
        let _guard = lock.lock().await;
        // Another request may have refreshed while this one waited.
        let account = match self.reread(session).await? {
            Reread::Fresh(token) => return Ok(token),
            Reread::Stale(account) => *account,
        };
        let Some(shared) = &self.shared_lock else { return self.refresh_now(session, account).await };
        // Across instances too: with the shared lock held, another instance may just have
        // refreshed, so the session is read once more.
        let held = self.hold_shared(shared.as_ref(), session, &key).await?;
        let result = match self.reread(session).await {
            Ok(Reread::Fresh(token)) => Ok(token),
            Ok(Reread::Stale(account)) => self.refresh_now(session, *account).await,
            Err(e) => Err(e),
        };
        if let Some((k, t)) = &held {
            shared.release(k, t).await;
        }
        result
    }

    /// Holds the cross-instance refresh lock of this session, waiting for another instance to
    /// finish (then re-reading the session, which it may have refreshed: `Ok(None)`). `Err`
    /// when the store does not answer or the lock stays taken.
    async fn hold_shared(
        &self,
        lock: &dyn SharedLock,
        session: &Session,
        key: &str,
    ) -> Result<Option<(String, String)>, ApiError> {
        let lock_key = format!("pat-portal:refresh-lock:{key}");
        for _ in 0..(self.lock_ttl.as_millis() / SHARED_LOCK_POLL.as_millis()) {
            match lock.try_acquire(&lock_key, self.lock_ttl).await {
                Ok(Some(token)) => return Ok(Some((lock_key, token))),
                Ok(None) => {
                    tokio::time::sleep(SHARED_LOCK_POLL).await;
                    if let Reread::Fresh(_) = self.reread(session).await? {
                        return Ok(None);
                    }
                }
                Err(e) => return Err(store_error("refresh lock", &e)),
            }
        }
        Err(store_error("refresh lock", &"another instance held it for the whole lock lifetime"))
    }

    /// Reads the stored session again: the access token if it is still fresh, else the account.
    async fn reread(&self, session: &Session) -> Result<Reread, ApiError> {
        session.load().await.map_err(|e| store_error("session load", &e))?;
        let account = self.accounts.load(session).await?.ok_or(ApiError::NotSignedIn)?;
        Ok(if is_fresh(&account.tokens) {
            Reread::Fresh(account.tokens.access_token)
        } else {
            Reread::Stale(Box::new(account))
        })
    }

    /// Redeems the refresh token and stores the new tokens (caller holds the refresh locks).
    async fn refresh_now(&self, session: &Session, mut account: Account) -> Result<Secret, ApiError> {
        let Some(refresh_token) = account.tokens.refresh_token.clone() else {
            return Err(ApiError::SessionExpired);
        };
        match self.oidc.refresh(&refresh_token, account.can_manage).await {
            Ok(tokens) => {
                tracing::info!(expires_at = tokens.expires_at, "access token refreshed");
                let least = !self.oidc.manage_scopes().is_empty();
                crate::devops_scopes::warn_if_lapsed(least, tokens.scope.as_deref());
                // A permission withdrawn since (by an administrator) is asked for again on the next change.
                account.can_manage &= crate::devops_scopes::grants_manage(tokens.scope.as_deref(), true);
                account.tokens = tokens;
                self.accounts.store(session, &account).await?;
                session.save().await.map_err(|e| store_error("session save", &e))?;
                Ok(account.tokens.access_token)
            }
            Err(e) if e.needs_interaction() => {
                tracing::info!(error = %e, "refresh needs a new sign-in");
                self.accounts.forget(session).await;
                Err(ApiError::SessionExpired)
            }
            Err(OidcError::Unavailable(cause)) => {
                tracing::warn!(%cause, "identity provider unavailable during refresh");
                Err(ApiError::UpstreamUnavailable)
            }
            Err(e) => Err(internal("token refresh", &e)),
        }
    }
}

/// Good for at least `REFRESH_MARGIN_SECS` more.
fn is_fresh(tokens: &TokenSet) -> bool {
    tokens.expires_at > now_secs() + REFRESH_MARGIN_SECS
}

/// One async mutex per key (the session id), dropped when nobody holds it.
#[derive(Default)]
struct KeyedLocks {
    map: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

impl KeyedLocks {
    fn get(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(existing) = map.get(key).and_then(Weak::upgrade) {
            return existing;
        }
        map.retain(|_, w| w.strong_count() > 0);
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        map.insert(key.to_string(), Arc::downgrade(&lock));
        lock
    }
}
