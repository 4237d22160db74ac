//! The server side of the portal (`app::ports::Portal`): sessions, the token cache with refresh, and the Azure DevOps calls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use app::error::ApiError;
use app::model::{Me, PatFilter, PatPage, PatStatus, PatSummary, Viewer};
use app::ports::{Portal, SignInCallback};
use http::request::Parts;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tower_sessions::session::Id;
use tower_sessions::{Session, SessionStore};
use url::Url;

use crate::devops::{DevopsClient, DevopsError, PatToken};
use crate::oidc::{now_secs, OidcClient, OidcError, PendingSignIn, TokenSet};
use crate::secret::Secret;

/// Session keys, namespaced so nothing else in the session can collide with them.
const PENDING_KEY: &str = "auth.pending";
const ACCOUNT_KEY: &str = "auth.account";
/// Refresh the access token when it expires within this many seconds.
const REFRESH_MARGIN_SECS: u64 = 300;
/// A sign-in left at the identity provider longer than this is started again.
const SIGN_IN_MAX_SECS: u64 = 15 * 60;
const PAGE_SIZE: u32 = 20;
const EXPIRING_SOON_SECS: i64 = 7 * 24 * 3600;

/// The signed-in user and their tokens, kept in the server-side session only.
#[derive(Clone, Serialize, Deserialize)]
pub struct Account {
    pub name: String,
    pub username: String,
    pub oid: String,
    pub tid: String,
    pub sid: Option<String>,
    /// Unix seconds: the start of the absolute session lifetime.
    pub signed_in_at: u64,
    pub tokens: TokenSet,
}

pub struct PortalService {
    pub oidc: Arc<OidcClient>,
    pub devops: DevopsClient,
    pub organization: String,
    pub public_url: Url,
    pub demo: bool,
    refresh_locks: KeyedLocks,
    /// Seals the account (and its tokens) before it goes into the session store.
    sealer: crate::sessions::Sealer,
    /// A sign-in older than this ends, however active the session.
    max_age_secs: u64,
    store: Arc<dyn SessionStore>,
    /// The identity provider's session id (`sid`) → our session, for front-channel sign-out.
    by_sid: Mutex<HashMap<String, Id>>,
    trust_forwarded_headers: bool,
    /// Serializes refreshes across instances (Redis); `None` with a single-instance store.
    shared_lock: Option<Arc<dyn crate::sessions::SharedLock>>,
}

impl PortalService {
    pub fn new(
        oidc: Arc<OidcClient>,
        devops: DevopsClient,
        organization: String,
        public_url: Url,
        demo: bool,
        store: Arc<dyn SessionStore>,
    ) -> Self {
        PortalService {
            oidc,
            devops,
            organization,
            public_url,
            demo,
            refresh_locks: KeyedLocks::default(),
            sealer: crate::sessions::Sealer::new(&[0; 32]),
            max_age_secs: 7 * 24 * 3600,
            store,
            by_sid: Mutex::new(HashMap::new()),
            trust_forwarded_headers: false,
            shared_lock: None,
        }
    }

    pub fn with_shared_lock(mut self, lock: Option<Arc<dyn crate::sessions::SharedLock>>) -> Self {
        self.shared_lock = lock;
        self
    }

    /// Holds the cross-instance refresh lock of this session, waiting for another instance to
    /// finish (then re-reading the session, which it may have refreshed). `Ok(None)` without a
    /// shared lock; `Err` when the store does not answer.
    async fn shared_refresh_lock(
        &self,
        session: &Session,
        key: &str,
    ) -> Result<Option<(String, String)>, ApiError> {
        let Some(lock) = &self.shared_lock else { return Ok(None) };
        let lock_key = format!("pat-portal:refresh-lock:{key}");
        for _ in 0..100 {
            match lock.try_acquire(&lock_key, std::time::Duration::from_secs(10)).await {
                Ok(Some(token)) => return Ok(Some((lock_key, token))),
                Ok(None) => {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    if self.reload_fresh(session).await?.is_ok() {
                        return Ok(None);
                    }
                }
                Err(e) => return Err(store_error("refresh lock", &e)),
            }
        }
        Err(store_error("refresh lock", &"another instance held it for 10 s"))
    }

    /// The key that seals the token cache, and the absolute lifetime of a sign-in.
    pub fn with_sealing(mut self, key: &[u8; 32], max_age_secs: u64) -> Self {
        self.sealer = crate::sessions::Sealer::new(key);
        self.max_age_secs = max_age_secs;
        self
    }

    /// The signed-in account of this session, if any. A value sealed with another key (the key
    /// changed across a restart) or a sign-in past its absolute lifetime counts as signed out.
    async fn load_account(&self, session: &Session) -> Result<Option<Account>, ApiError> {
        let sealed: Option<String> =
            session.get(ACCOUNT_KEY).await.map_err(|e| store_error("session get", &e))?;
        let Some(sealed) = sealed else { return Ok(None) };
        let account =
            self.sealer.open(&sealed).and_then(|plain| serde_json::from_slice::<Account>(&plain).ok());
        match account {
            Some(a) if now_secs().saturating_sub(a.signed_in_at) <= self.max_age_secs => Ok(Some(a)),
            Some(_) => {
                tracing::info!("sign-in reached its absolute lifetime");
                let _ = session.remove_value(ACCOUNT_KEY).await;
                Ok(None)
            }
            None => {
                tracing::warn!(
                    "a session's token cache cannot be opened (key changed?): signing the user out"
                );
                let _ = session.remove_value(ACCOUNT_KEY).await;
                Ok(None)
            }
        }
    }

    async fn store_account(&self, session: &Session, account: &Account) -> Result<(), ApiError> {
        let plain = serde_json::to_vec(account).map_err(|e| internal("account serialize", &e))?;
        let sealed = self.sealer.seal(&plain).map_err(|e| internal("seal", &e))?;
        session.insert(ACCOUNT_KEY, sealed).await.map_err(|e| store_error("session insert", &e))
    }

    /// Behind a TLS-terminating proxy: take the public URL from `X-Forwarded-Proto`/`-Host`.
    pub fn with_forwarded_headers(mut self, trust: bool) -> Self {
        self.trust_forwarded_headers = trust;
        self
    }

    /// The public URL as this request's proxy reports it, when forwarded headers are trusted.
    fn forwarded_base(&self, req: &Parts) -> Option<Url> {
        if !self.trust_forwarded_headers {
            return None;
        }
        let first = |name: &str| {
            req.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.split(',').next().unwrap_or("").trim().to_string())
        };
        let proto = first("x-forwarded-proto")?;
        let host = first("x-forwarded-host").or_else(|| first("host"))?;
        let host_ok = !host.is_empty()
            && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
        if !matches!(proto.as_str(), "http" | "https") || !host_ok {
            return None;
        }
        Url::parse(&format!("{proto}://{host}")).ok()
    }

    /// The public URL for this request: forwarded (when trusted) or configured.
    fn base_for(&self, req: &Parts) -> Url {
        self.forwarded_base(req).unwrap_or_else(|| self.public_url.clone())
    }

    /// For `/readyz`: the session store answers, and so does the identity provider's discovery.
    pub async fn check_ready(&self) -> Result<(), &'static str> {
        self.store.load(&Id::default()).await.map_err(|_| "session store")?;
        self.oidc.discovery().await.map_err(|_| "identity provider discovery")?;
        Ok(())
    }

    /// Front-channel sign-out: the identity provider ended its session `sid`, so ours ends too.
    /// Answers whether a session was found.
    pub async fn end_session_by_sid(&self, sid: &str) -> bool {
        let id = self.by_sid.lock().unwrap_or_else(|p| p.into_inner()).remove(sid);
        match id {
            Some(id) => match self.store.delete(&id).await {
                Ok(()) => {
                    tracing::info!("front-channel sign-out ended a session");
                    true
                }
                Err(e) => {
                    store_error("session delete", &e);
                    false
                }
            },
            None => false,
        }
    }

    fn public(base: &Url, path: &str) -> String {
        format!("{}{}", base.as_str().trim_end_matches('/'), path)
    }

    /// A valid access token for this session, refreshed first when it is about to expire.
    async fn access_token(&self, session: &Session) -> Result<Secret, ApiError> {
        let account = self.load_account(session).await?.ok_or(ApiError::NotSignedIn)?;
        if is_fresh(&account.tokens) {
            return Ok(account.tokens.access_token);
        }
        // One refresh at a time per session: the provider rotates refresh tokens, and
        // spending the same one twice can revoke the whole grant.
        let key = session.id().map(|id| id.to_string()).unwrap_or_default();
        let lock = self.refresh_locks.get(&key);
        let _guard = lock.lock().await;
        // Another request may have refreshed while this one waited.
        let account = match self.reload_fresh(session).await? {
            Ok(token) => return Ok(token),
            Err(account) => account,
        };
        // Across instances too: with the shared lock held, another instance may just have
        // refreshed, so the session is read once more.
        let shared = self.shared_refresh_lock(session, &key).await?;
        let result = match &self.shared_lock {
            Some(_) => match self.reload_fresh(session).await {
                Ok(Ok(token)) => Ok(token),
                Ok(Err(account)) => self.refresh_now(session, account).await,
                Err(e) => Err(e),
            },
            None => self.refresh_now(session, account).await,
        };
        if let (Some(lock), Some((k, t))) = (&self.shared_lock, &shared) {
            lock.release(k, t).await;
        }
        result
    }

    /// Reads the stored session again: the access token if it is still fresh, else the account.
    async fn reload_fresh(&self, session: &Session) -> Result<Result<Secret, Account>, ApiError> {
        session.load().await.map_err(|e| store_error("session load", &e))?;
        let account = self.load_account(session).await?.ok_or(ApiError::NotSignedIn)?;
        Ok(if is_fresh(&account.tokens) { Ok(account.tokens.access_token) } else { Err(account) })
    }

    /// Redeems the refresh token and stores the new tokens (caller holds the refresh locks).
    async fn refresh_now(&self, session: &Session, mut account: Account) -> Result<Secret, ApiError> {
        let Some(refresh_token) = account.tokens.refresh_token.clone() else {
            return Err(ApiError::SessionExpired);
        };
        match self.oidc.refresh(&refresh_token).await {
            Ok(tokens) => {
                tracing::info!(expires_at = tokens.expires_at, "access token refreshed");
                account.tokens = tokens;
                self.store_account(session, &account).await?;
                session.save().await.map_err(|e| store_error("session save", &e))?;
                Ok(account.tokens.access_token)
            }
            Err(e) if e.needs_interaction() => {
                tracing::info!(error = %e, "refresh needs a new sign-in");
                let _ = session.remove_value(ACCOUNT_KEY).await;
                Err(ApiError::SessionExpired)
            }
            Err(OidcError::Unavailable(cause)) => {
                tracing::warn!(%cause, "identity provider unavailable during refresh");
                Err(ApiError::UpstreamUnavailable)
            }
            Err(e) => Err(internal("token refresh", &e)),
        }
    }

    async fn revoked_ids(&self, token: &Secret) -> Result<Vec<String>, DevopsError> {
        let list = self.devops.list_pats(token, &self.organization, "revoked", None, 100).await?;
        Ok(list.pat_tokens.into_iter().map(|t| t.authorization_id).collect())
    }

    fn problem(&self, reason: &str, code: Option<&str>) -> String {
        match code.map(sanitize_code).filter(|c| !c.is_empty()) {
            Some(c) => format!("/signin-problem?reason={reason}&code={c}"),
            None => format!("/signin-problem?reason={reason}"),
        }
    }
}

#[async_trait::async_trait]
impl Portal for PortalService {
    async fn viewer(&self, req: &Parts) -> Result<Viewer, ApiError> {
        let session = session_of(req)?;
        let user = self.load_account(&session).await?.map(|a| Me {
            name: a.name,
            username: a.username,
            tenant_id: a.tid,
        });
        Ok(Viewer { user, demo: self.demo })
    }

    async fn list_pats(
        &self,
        req: &Parts,
        filter: PatFilter,
        continuation_token: Option<String>,
    ) -> Result<PatPage, ApiError> {
        if continuation_token.as_ref().is_some_and(|c| c.len() > 512) {
            return Err(ApiError::invalid("continuation_token", "is too long"));
        }
        let session = session_of(req)?;
        let token = self.access_token(&session).await?;
        let list = self
            .devops
            .list_pats(&token, &self.organization, filter.as_api(), continuation_token.as_deref(), PAGE_SIZE)
            .await
            .map_err(devops_error)?;
        // The API has no status field: for "all", the revoked ones are looked up separately.
        let revoked = if filter == PatFilter::All {
            self.revoked_ids(&token).await.map_err(devops_error)?
        } else {
            Vec::new()
        };
        let now = OffsetDateTime::now_utc();
        let tokens = list
            .pat_tokens
            .into_iter()
            .map(|t| {
                let is_revoked = filter == PatFilter::Revoked || revoked.contains(&t.authorization_id);
                summarize(t, is_revoked, now)
            })
            .collect();
        Ok(PatPage {
            organization: self.organization.clone(),
            tokens,
            continuation_token: list.continuation_token.filter(|c| !c.is_empty()),
        })
    }

    async fn begin_sign_in(&self, req: &Parts, return_to: Option<String>) -> String {
        let return_to = safe_return_to(return_to.as_deref());
        let forwarded = self.forwarded_base(req);
        // localhost and 127.0.0.1 do not share cookies: start on the public host, or the
        // callback would arrive without the session that holds the state. (Behind a trusted
        // proxy the Host header is the proxy's upstream, so the check does not apply.)
        if let (None, Some(host)) =
            (&forwarded, req.headers.get(http::header::HOST).and_then(|h| h.to_str().ok()))
        {
            if is_loopback_host(host) && !host_matches(&self.public_url, host) {
                let path = format!("/auth/sign-in?return_to={}", app::encode_query_value(&return_to));
                return Self::public(&self.public_url, &path);
            }
        }
        let session = match session_of(req) {
            Ok(s) => s,
            Err(_) => return self.problem("unavailable", None),
        };
        let redirect_uri =
            forwarded.and_then(|b| Url::parse(&Self::public(&b, crate::config::CALLBACK_PATH)).ok());
        match self.oidc.begin(return_to, redirect_uri).await {
            Ok((url, pending)) => match session.insert(PENDING_KEY, &pending).await {
                Ok(()) => url.to_string(),
                Err(e) => {
                    store_error("session insert", &e);
                    self.problem("sessions", None)
                }
            },
            Err(e @ OidcError::Misconfigured(_)) => {
                tracing::error!(error = %e, "cannot start sign-in");
                self.problem("misconfigured", None)
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot start sign-in");
                self.problem("unavailable", None)
            }
        }
    }

    async fn complete_sign_in(&self, req: &Parts, cb: SignInCallback) -> String {
        let Ok(session) = session_of(req) else { return self.problem("unavailable", None) };
        // Single use: whatever happens next, this sign-in attempt is spent.
        let pending: Option<PendingSignIn> = session.remove(PENDING_KEY).await.ok().flatten();

        if let Some(error) = cb.error.as_deref() {
            let aadsts = cb.error_description.as_deref().and_then(crate::oidc::aadsts_code);
            tracing::info!(
                error,
                aadsts = aadsts.as_deref().unwrap_or(""),
                "identity provider returned an error"
            );
            return if error == "access_denied" {
                self.problem("cancelled", None)
            } else {
                self.problem("idp", Some(aadsts.as_deref().unwrap_or(error)))
            };
        }
        let (Some(code), Some(state), Some(pending)) = (cb.code, cb.state, pending) else {
            tracing::info!("callback without a matching sign-in in this session");
            return self.problem("expired", None);
        };
        if !crate::secret::constant_time_eq(state.as_bytes(), pending.state.expose().as_bytes()) {
            tracing::info!("callback state does not match this session's sign-in");
            return self.problem("expired", None);
        }
        if now_secs().saturating_sub(pending.started_at) > SIGN_IN_MAX_SECS {
            return self.problem("expired", None);
        }
        match self.oidc.exchange(code, &pending).await {
            Ok(signed_in) => {
                let c = signed_in.claims;
                let account = Account {
                    name: c.name.clone().unwrap_or_else(|| c.preferred_username.clone().unwrap_or_default()),
                    username: c.preferred_username.clone().or(c.email.clone()).unwrap_or_default(),
                    oid: c.oid.clone().unwrap_or_else(|| c.sub.clone()),
                    tid: c.tid.clone().unwrap_or_default(),
                    sid: c.sid.clone(),
                    signed_in_at: now_secs(),
                    tokens: signed_in.tokens,
                };
                // A new session id at sign-in, so an id planted before sign-in is worthless after it.
                if let Err(e) = session.cycle_id().await {
                    store_error("session cycle", &e);
                    return self.problem("sessions", None);
                }
                // Saved now (not after the response) so the new id is known for the sid index.
                if self.store_account(&session, &account).await.is_err() {
                    return self.problem("sessions", None);
                }
                if let Err(e) = session.save().await {
                    store_error("session save", &e);
                    return self.problem("sessions", None);
                }
                if let (Some(sid), Some(id)) = (account.sid.clone(), session.id()) {
                    let mut index = self.by_sid.lock().unwrap_or_else(|p| p.into_inner());
                    // Entries of sessions that ended otherwise are dropped when the index grows.
                    if index.len() > 10_000 {
                        index.clear();
                    }
                    index.insert(sid, id);
                }
                tracing::info!(oid = %account.oid, tid = %account.tid, "signed in");
                pending.return_to
            }
            Err(OidcError::Provider { error, aadsts }) => {
                tracing::warn!(%error, aadsts = aadsts.as_deref().unwrap_or(""), "code exchange refused");
                self.problem("token", Some(aadsts.as_deref().unwrap_or(&error)))
            }
            Err(OidcError::IdToken(crate::oidc::id_token::IdTokenError::TenantNotAllowed)) => {
                tracing::warn!("sign-in from a tenant outside ALLOWED_TENANTS refused");
                self.problem("tenant", None)
            }
            Err(e @ OidcError::IdToken(_)) => {
                tracing::warn!(error = %e, "ID token refused");
                self.problem("invalid_token", None)
            }
            Err(e) => {
                tracing::warn!(error = %e, "code exchange failed");
                self.problem("unavailable", None)
            }
        }
    }

    fn redirect_uri(&self) -> String {
        self.oidc.redirect_uri().to_string()
    }

    async fn sign_out(&self, req: &Parts) -> Result<String, ApiError> {
        let session = session_of(req)?;
        if let Some(sid) = self.load_account(&session).await.ok().flatten().and_then(|a| a.sid) {
            self.by_sid.lock().unwrap_or_else(|p| p.into_inner()).remove(&sid);
        }
        // The server-side record goes first: the old cookie is worthless from here on.
        session.flush().await.map_err(|e| store_error("session flush", &e))?;
        let home = Self::public(&self.base_for(req), "/");
        match self.oidc.end_session_url(&home).await {
            Ok(Some(url)) => Ok(url.to_string()),
            Ok(None) => Ok(home),
            Err(e) => {
                tracing::warn!(error = %e, "no end-session endpoint; signed out locally");
                Ok(home)
            }
        }
    }
}

/// Good for at least `REFRESH_MARGIN_SECS` more.
fn is_fresh(tokens: &TokenSet) -> bool {
    tokens.expires_at > now_secs() + REFRESH_MARGIN_SECS
}

fn session_of(req: &Parts) -> Result<Session, ApiError> {
    req.extensions.get::<Session>().cloned().ok_or_else(|| internal("session", &"no session layer"))
}

/// A session store that fails (Redis down, SQLite unreadable): logged, and the user is told
/// sessions are unavailable (503), not that something broke.
fn store_error(context: &str, cause: &dyn std::fmt::Display) -> ApiError {
    tracing::error!(context, %cause, "session store unavailable");
    ApiError::SessionsUnavailable
}

/// Logs the cause with a reference id and returns an error that shows only the reference.
pub fn internal(context: &str, cause: &dyn std::fmt::Display) -> ApiError {
    let reference = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    tracing::error!(%reference, context, %cause, "internal error");
    ApiError::Internal { reference }
}

/// The one mapping from Azure DevOps failures to what the user is told.
pub fn devops_error(e: DevopsError) -> ApiError {
    match e {
        DevopsError::Unauthorized => ApiError::SessionExpired,
        DevopsError::Forbidden => ApiError::Forbidden {
            reason: "you lack permission, or the organization does not allow third-party OAuth apps".into(),
        },
        DevopsError::NotFound => ApiError::NotFound,
        DevopsError::RateLimited(s) => ApiError::RateLimited { retry_after_secs: s },
        DevopsError::Unavailable(cause) => {
            tracing::warn!(%cause, "Azure DevOps unavailable");
            ApiError::UpstreamUnavailable
        }
        DevopsError::BadRequest(message) => ApiError::invalid("request", message),
        e @ DevopsError::Unexpected(_) => internal("Azure DevOps", &e),
    }
}

fn summarize(t: PatToken, revoked: bool, now: OffsetDateTime) -> PatSummary {
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

/// Only same-origin paths: `/x` yes; `//host`, `/\host`, `https://...` and anything odd no.
pub fn safe_return_to(v: Option<&str>) -> String {
    match v {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && p.len() <= 1024
                && !p.chars().any(|c| c.is_control() || c == '\\') =>
        {
            p.to_string()
        }
        _ => "/".to_string(),
    }
}

fn sanitize_code(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(40).collect()
}

fn is_loopback_host(host: &str) -> bool {
    let name = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host);
    matches!(name, "localhost" | "127.0.0.1" | "[::1]")
}

fn host_matches(url: &Url, host: &str) -> bool {
    let expected = match (url.host_str(), url.port_or_known_default()) {
        (Some(h), Some(p)) if Some(p) != default_port(url.scheme()) => format!("{h}:{p}"),
        (Some(h), _) => h.to_string(),
        _ => return true,
    };
    expected.eq_ignore_ascii_case(host)
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_accepts_only_same_origin_paths() {
        assert_eq!(safe_return_to(Some("/tokens?filter=all")), "/tokens?filter=all");
        for bad in ["https://evil.example/", "//evil.example", "/\\evil.example", "evil", "", "/a\r\nb"] {
            assert_eq!(safe_return_to(Some(bad)), "/", "{bad:?} must be refused");
        }
        assert_eq!(safe_return_to(None), "/");
    }

    #[test]
    fn status_comes_from_dates_and_the_revoked_list() {
        let now = OffsetDateTime::parse("2026-11-25T12:00:00Z", &Rfc3339).unwrap();
        let pat = |to: &str| PatToken {
            authorization_id: "a".into(),
            display_name: "n".into(),
            scope: "vso.code vso.build".into(),
            target_accounts: None,
            token: None,
            valid_from: "2026-01-01T00:00:00Z".into(),
            valid_to: to.into(),
        };
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
    fn problem_codes_are_sanitized() {
        assert_eq!(sanitize_code("AADSTS50011<script>"), "AADSTS50011script");
    }

    #[test]
    fn loopback_hosts_are_compared_with_the_public_url() {
        let u = Url::parse("http://127.0.0.1:3000").unwrap();
        assert!(host_matches(&u, "127.0.0.1:3000"));
        assert!(!host_matches(&u, "localhost:3000"));
        assert!(is_loopback_host("localhost:3000"));
        assert!(!is_loopback_host("pats.example.com"));
    }
}
