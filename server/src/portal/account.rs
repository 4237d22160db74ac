//! The signed-in account in the server-side session: sealed (with the key it is given) before it is stored, opened and held to its absolute lifetime when loaded.

use app::error::ApiError;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::errors::{internal, store_error};
use crate::http::sign_in_cookie::SignInCookie;
use crate::oidc::{now_secs, PendingSignIn, TokenSet};
use crate::sessions::Sealer;

/// Session keys, namespaced so nothing else in the session can collide with them.
const ACCOUNT_KEY: &str = "auth.account";
/// What a sealed sign-in in progress is bound to: a sealed account cannot pass for one.
const PENDING_PURPOSE: &[u8] = b"pat-portal sign-in in progress";

/// The signed-in user and their tokens, kept in the server-side session only.
#[derive(Clone, Serialize, Deserialize)]
pub struct Account {
    pub name: String,
    pub username: String,
    pub oid: String,
    pub tid: String,
    pub sid: Option<String>,
    /// The ID token's `login_hint`, for `logout_hint` at sign-out.
    #[serde(default)]
    pub login_hint: Option<String>,
    /// Unix seconds: the start of the absolute session lifetime.
    pub signed_in_at: u64,
    pub tokens: TokenSet,
    /// The tokens may change Azure DevOps tokens (`vso.pats_manage`, or `user_impersonation`).
    #[serde(default)]
    pub can_manage: bool,
}

/// Loads and stores the [`Account`] of a session.
pub struct Accounts {
    /// Seals the account (and its tokens) before it goes into the session store.
    sealer: Sealer,
    /// A sign-in older than this ends, however active the session.
    max_age_secs: u64,
}

impl Accounts {
    /// `key` seals every account: there is no default key.
    pub fn new(key: &[u8; 32], max_age_secs: u64) -> Self {
        Accounts { sealer: Sealer::new(key), max_age_secs }
    }

    /// The signed-in account of this session, if any. A value sealed with another key (the key
    /// changed across a restart) or a sign-in past its absolute lifetime counts as signed out.
    pub async fn load(&self, session: &Session) -> Result<Option<Account>, ApiError> {
        let sealed: Option<String> =
            session.get(ACCOUNT_KEY).await.map_err(|e| store_error("session get", &e))?;
        let Some(sealed) = sealed else { return Ok(None) };
        let account =
            self.sealer.open(&sealed).and_then(|plain| serde_json::from_slice::<Account>(&plain).ok());
        match account {
            Some(a) if now_secs().saturating_sub(a.signed_in_at) <= self.max_age_secs => Ok(Some(a)),
            Some(_) => {
                tracing::info!("sign-in reached its absolute lifetime");
                self.forget(session).await;
                Ok(None)
            }
            None => {
                tracing::warn!(
                    "a session's token cache cannot be opened (key changed?): signing the user out"
                );
                self.forget(session).await;
                Ok(None)
            }
        }
    }

    pub async fn store(&self, session: &Session, account: &Account) -> Result<(), ApiError> {
        let plain = serde_json::to_vec(account).map_err(|e| internal("account serialize", &e))?;
        let sealed = self.sealer.seal(&plain).map_err(|e| internal("seal", &e))?;
        session.insert(ACCOUNT_KEY, sealed).await.map_err(|e| store_error("session insert", &e))
    }

    /// Keeps a sign-in in progress (state, nonce, PKCE verifier) in the browser's sign-in cookie,
    /// sealed with the session key and bound to its purpose: the browser can neither read nor
    /// alter it, and nothing is written on the server before the callback (issue 29, medium 1).
    pub fn store_pending(&self, cookie: &SignInCookie, pending: &PendingSignIn) -> Result<(), String> {
        let plain = serde_json::to_vec(pending).map_err(|e| e.to_string())?;
        cookie.set(self.sealer.seal_bound(&plain, PENDING_PURPOSE)?);
        Ok(())
    }

    /// The sign-in in progress, taken (single use: the response clears the cookie) only when the
    /// callback carries its `state`: a callback another site made up (no state, or another)
    /// leaves it in place, so it can neither end the sign-in nor act on an `error=` it brings
    /// (issue 29, item 3).
    pub fn take_pending_for(&self, cookie: &SignInCookie, state: Option<&str>) -> Option<PendingSignIn> {
        let plain = self.sealer.open_bound(cookie.sealed()?, PENDING_PURPOSE)?;
        let pending: PendingSignIn = serde_json::from_slice(&plain).ok()?;
        let matches = state.is_some_and(|s| {
            crate::secret::constant_time_eq(s.as_bytes(), pending.state.expose().as_bytes())
        });
        if !matches {
            tracing::info!(
                "callback state does not match this browser's sign-in: the sign-in stays in progress"
            );
            return None;
        }
        cookie.clear();
        Some(pending)
    }

    /// Signs the session out (its other values, such as a pending sign-in, stay).
    pub async fn forget(&self, session: &Session) {
        let _ = session.remove_value(ACCOUNT_KEY).await;
    }
}
