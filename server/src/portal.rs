//! The server side of the portal (`app::ports::Portal`): sessions, the token cache with refresh, and the Azure DevOps calls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use app::error::ApiError;
use app::model::{
    CreatedPat, Expiry, Me, Org, Orgs, Overview, PatFilter, PatForm, PatPage, PatStatus, PatSummary, Profile,
    Project, ProjectPage, Rotated, Viewer, UPCOMING_WEEKS,
};
use app::ports::{PatListQuery, Portal, SignInCallback};
use http::request::Parts;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tower_sessions::session::Id;
use tower_sessions::{Session, SessionStore};
use url::Url;

use crate::devops::{
    DevopsClient, DevopsError, PatListQuery as DevopsListQuery, PatRequest, PatResult, PatToken,
};
use crate::oidc::{now_secs, OidcClient, OidcError, PendingSignIn, TokenSet};
use crate::secret::Secret;

/// Session keys, namespaced so nothing else in the session can collide with them.
const PENDING_KEY: &str = "auth.pending";
const ACCOUNT_KEY: &str = "auth.account";
/// How long a user's organizations are remembered: every page shows the organization switcher,
/// and finding them costs two Azure DevOps calls.
const ORGS_TTL_SECS: u64 = 300;
/// At most this many sign-ins' organizations are remembered at once.
const ORGS_CACHE_MAX: usize = 10_000;
/// Refresh the access token when it expires within this many seconds.
const REFRESH_MARGIN_SECS: u64 = 300;
/// A sign-in left at the identity provider longer than this is started again.
const SIGN_IN_MAX_SECS: u64 = 15 * 60;
const PAGE_SIZE: u32 = 20;
/// Searching and the dashboard read at most this many pages of 100 tokens.
const MAX_SCAN_PAGES: usize = 10;
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
    /// Each sign-in's organizations, by session id (which changes at every sign-in), in this
    /// process only: reading them never writes the session, whose record a concurrent sign-out
    /// or refresh owns.
    orgs: Mutex<HashMap<Id, CachedOrgs>>,
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
            orgs: Mutex::new(HashMap::new()),
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

    /// A valid access token for the session of this request.
    async fn token_of(&self, req: &Parts) -> Result<Secret, ApiError> {
        self.access_token(&session_of(req)?).await
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

    /// Every token of a list, page by page (at most `MAX_SCAN_PAGES` pages of 100).
    async fn scan(&self, token: &Secret, org: &str, filter: &str) -> Result<Vec<PatToken>, ApiError> {
        let mut all = Vec::new();
        let mut next: Option<String> = None;
        for _ in 0..MAX_SCAN_PAGES {
            let q = DevopsListQuery {
                filter,
                sort: "displayDate",
                ascending: true,
                continuation_token: next.as_deref(),
                top: 100,
            };
            let page = self.devops.list_pats(token, org, q).await.map_err(devops_error)?;
            all.extend(page.pat_tokens);
            next = page.continuation_token.filter(|c| !c.is_empty());
            if next.is_none() {
                break;
            }
        }
        Ok(all)
    }

    /// The ids of revoked tokens: the API has no status field, so they are looked up separately.
    async fn revoked_ids(&self, token: &Secret, org: &str) -> Result<Vec<String>, ApiError> {
        Ok(self.scan(token, org, "revoked").await?.into_iter().map(|t| t.authorization_id).collect())
    }

    /// The organization a call is about: the one asked for (checked for shape only: Azure
    /// DevOps decides whether the user may see it), else the configured one, else the first
    /// the user belongs to.
    async fn resolve_org(
        &self,
        session: &Session,
        token: &Secret,
        org: Option<String>,
    ) -> Result<String, ApiError> {
        if let Some(org) = org.filter(|o| !o.is_empty()) {
            return check_org_name(&org).map(|()| org);
        }
        if !self.organization.is_empty() {
            return Ok(self.organization.clone());
        }
        let orgs = self.member_orgs(session, token).await?;
        orgs.into_iter().next().map(|o| o.name).ok_or(ApiError::NotFound)
    }

    /// The organizations the user belongs to, remembered for a few minutes per sign-in.
    async fn member_orgs(&self, session: &Session, token: &Secret) -> Result<Vec<Org>, ApiError> {
        let key = session.id().ok_or(ApiError::NotSignedIn)?;
        let now = now_secs();
        let fresh = |c: &CachedOrgs| now.saturating_sub(c.at) < ORGS_TTL_SECS;
        if let Some(c) = self.orgs.lock().unwrap_or_else(|p| p.into_inner()).get(&key).filter(|c| fresh(c)) {
            return Ok(c.orgs.clone());
        }
        let profile = self.devops.profile(token).await.map_err(devops_error)?;
        let accounts = self.devops.accounts(token, &profile.public_alias).await.map_err(devops_error)?;
        let orgs: Vec<Org> =
            accounts.value.into_iter().map(|a| Org { id: a.account_id, name: a.account_name }).collect();
        let mut cache = self.orgs.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= ORGS_CACHE_MAX {
            cache.retain(|_, c| fresh(c));
            if cache.len() >= ORGS_CACHE_MAX {
                cache.clear();
            }
        }
        cache.insert(key, CachedOrgs { at: now, orgs: orgs.clone() });
        Ok(orgs)
    }

    /// The token and organization for a call of this request's session.
    async fn begin_call(&self, req: &Parts, org: Option<String>) -> Result<(Secret, String), ApiError> {
        let session = session_of(req)?;
        let token = self.access_token(&session).await?;
        let org = self.resolve_org(&session, &token, org).await?;
        Ok((token, org))
    }

    /// One token with its status (the revoked list decides whether it is revoked).
    async fn fetch_pat(&self, token: &Secret, org: &str, id: &str) -> Result<PatSummary, ApiError> {
        let found = pat_result(self.devops.get_pat(token, org, id).await.map_err(devops_error)?)?;
        let revoked = self.revoked_ids(token, org).await?.contains(&found.authorization_id);
        Ok(summarize(found, revoked, OffsetDateTime::now_utc()))
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

    async fn list_pats(&self, req: &Parts, query: PatListQuery) -> Result<PatPage, ApiError> {
        if query.after.as_ref().is_some_and(|c| c.len() > 512) {
            return Err(ApiError::invalid("after", "The page link is not valid: go back to the first page."));
        }
        if query.search.as_ref().is_some_and(|s| s.chars().count() > 256) {
            return Err(ApiError::invalid("search", "Search for at most 256 characters."));
        }
        let (token, org) = self.begin_call(req, query.org).await?;
        let filter = query.filter;
        let (tokens, continuation_token) = match &query.search {
            // Azure DevOps cannot search by name: every page is read and filtered here.
            Some(search) => {
                let needle = search.trim().to_lowercase();
                let mut found: Vec<PatToken> = self
                    .scan(&token, &org, filter.as_api())
                    .await?
                    .into_iter()
                    .filter(|t| t.display_name.to_lowercase().contains(&needle))
                    .collect();
                sort_tokens(&mut found, query.sort, query.descending);
                (found, None)
            }
            None => {
                let q = DevopsListQuery {
                    filter: filter.as_api(),
                    sort: query.sort.as_api(),
                    ascending: !query.descending,
                    continuation_token: query.after.as_deref(),
                    top: PAGE_SIZE,
                };
                let list = self.devops.list_pats(&token, &org, q).await.map_err(devops_error)?;
                (list.pat_tokens, list.continuation_token.filter(|c| !c.is_empty()))
            }
        };
        let revoked =
            if filter == PatFilter::All { self.revoked_ids(&token, &org).await? } else { Vec::new() };
        let now = OffsetDateTime::now_utc();
        let tokens = tokens
            .into_iter()
            .map(|t| {
                let is_revoked = filter == PatFilter::Revoked || revoked.contains(&t.authorization_id);
                summarize(t, is_revoked, now)
            })
            .collect();
        Ok(PatPage { organization: org, tokens, continuation_token })
    }

    async fn get_pat(&self, req: &Parts, org: Option<String>, id: String) -> Result<PatSummary, ApiError> {
        check_pat_id(&id)?;
        let (token, org) = self.begin_call(req, org).await?;
        self.fetch_pat(&token, &org, &id).await
    }

    async fn pat_overview(&self, req: &Parts, org: Option<String>) -> Result<Overview, ApiError> {
        let (token, org) = self.begin_call(req, org).await?;
        let all = self.scan(&token, &org, "all").await?;
        let revoked = self.revoked_ids(&token, &org).await?;
        let now = OffsetDateTime::now_utc();
        let mut overview = Overview {
            organization: org,
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
            if matches!(summary.status, PatStatus::Active | PatStatus::ExpiringSoon) {
                if let Some(to) = valid_to {
                    let week = ((to - now).whole_days() / 7) as usize;
                    if let Some(n) = overview.upcoming.get_mut(week) {
                        *n += 1;
                    }
                }
            }
            if summary.status == PatStatus::ExpiringSoon {
                overview.soon.push(summary);
            }
        }
        overview.soon.sort_by(|a, b| a.valid_to.cmp(&b.valid_to));
        Ok(overview)
    }

    async fn create_pat(
        &self,
        req: &Parts,
        org: Option<String>,
        form: PatForm,
    ) -> Result<CreatedPat, ApiError> {
        let now = OffsetDateTime::now_utc();
        let valid = validate_form(&form, now)?;
        let (token, org) = self.begin_call(req, org).await?;
        let body = valid.request(None);
        let created = pat_result(self.devops.create_pat(&token, &org, &body).await.map_err(devops_error)?)?;
        tracing::info!(authorization_id = %created.authorization_id, %org, "token created");
        created_pat(created, now)
    }

    async fn update_pat(
        &self,
        req: &Parts,
        org: Option<String>,
        id: String,
        form: PatForm,
    ) -> Result<PatSummary, ApiError> {
        check_pat_id(&id)?;
        let now = OffsetDateTime::now_utc();
        let valid = validate_form(&form, now)?;
        let (token, org) = self.begin_call(req, org).await?;
        let body = valid.request(Some(id));
        let updated = pat_result(self.devops.update_pat(&token, &org, &body).await.map_err(devops_error)?)?;
        tracing::info!(authorization_id = %updated.authorization_id, %org, "token updated");
        Ok(summarize(updated, false, now))
    }

    async fn revoke_pat(&self, req: &Parts, org: Option<String>, id: String) -> Result<(), ApiError> {
        check_pat_id(&id)?;
        let (token, org) = self.begin_call(req, org).await?;
        self.devops.revoke_pat(&token, &org, &id).await.map_err(devops_error)?;
        tracing::info!(authorization_id = %id, %org, "token revoked");
        Ok(())
    }

    async fn rotate_pat(
        &self,
        req: &Parts,
        org: Option<String>,
        id: String,
        expiry: Expiry,
    ) -> Result<Rotated, ApiError> {
        check_pat_id(&id)?;
        let (token, org) = self.begin_call(req, org).await?;
        let old = self.fetch_pat(&token, &org, &id).await?;
        if old.status == PatStatus::Revoked {
            return Err(ApiError::invalid("token", "This token is revoked: create a new one instead."));
        }
        let now = OffsetDateTime::now_utc();
        let form = PatForm {
            name: old.display_name.clone(),
            scopes: old.scopes.clone(),
            expiry,
            all_orgs: old.target_accounts.is_none(),
        };
        let valid = validate_form(&form, now)?;
        let created = pat_result(
            self.devops.create_pat(&token, &org, &valid.request(None)).await.map_err(devops_error)?,
        )?;
        tracing::info!(old = %id, new = %created.authorization_id, %org, "token rotated: twin created");
        let created = created_pat(created, now)?;
        // The twin exists: whatever happens to the revoke, it is returned (its secret is shown
        // only now), and the user is told if the old token is still valid.
        let (old_revoked, revoke_problem) = match self.devops.revoke_pat(&token, &org, &id).await {
            Ok(()) => (true, None),
            Err(e) => {
                let e = devops_error(e);
                tracing::warn!(old = %id, error = %e, "rotation: the old token could not be revoked");
                (false, Some(e.to_string()))
            }
        };
        Ok(Rotated { created, old_revoked, revoke_problem })
    }

    async fn profile(&self, req: &Parts) -> Result<Profile, ApiError> {
        let token = self.token_of(req).await?;
        let p = self.devops.profile(&token).await.map_err(devops_error)?;
        Ok(Profile { display_name: p.display_name, email: p.email_address, member_id: p.public_alias })
    }

    async fn organizations(&self, req: &Parts) -> Result<Orgs, ApiError> {
        let session = session_of(req)?;
        let token = self.access_token(&session).await?;
        let orgs = self.member_orgs(&session, &token).await?;
        let default = if self.organization.is_empty() {
            orgs.first().map(|o| o.name.clone())
        } else {
            Some(self.organization.clone())
        };
        Ok(Orgs { orgs, default })
    }

    async fn projects(
        &self,
        req: &Parts,
        org: String,
        after: Option<String>,
    ) -> Result<ProjectPage, ApiError> {
        check_org_name(&org)?;
        if after.as_ref().is_some_and(|c| c.len() > 512) {
            return Err(ApiError::invalid("after", "The page link is not valid: go back to the first page."));
        }
        let token = self.token_of(req).await?;
        let (list, next) =
            self.devops.projects(&token, &org, after.as_deref(), 50).await.map_err(devops_error)?;
        let projects = list
            .value
            .into_iter()
            .map(|p| Project {
                id: p.id,
                name: p.name,
                description: p.description.filter(|d| !d.is_empty()),
                visibility: p.visibility,
                last_update: p.last_update_time,
            })
            .collect();
        Ok(ProjectPage { organization: org, projects, continuation_token: next })
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
        if let Some(id) = session.id() {
            self.orgs.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
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

struct CachedOrgs {
    at: u64,
    orgs: Vec<Org>,
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

/// Logs the cause (the log line carries the request id) and returns an error that shows only a
/// reference: the server functions replace it with the request id (`app::ports::with_status`).
pub fn internal(context: &str, cause: &dyn std::fmt::Display) -> ApiError {
    tracing::error!(context, %cause, "internal error");
    ApiError::Internal { reference: String::new() }
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

/// Sorts tokens the way Azure DevOps would (used where the app collects pages itself).
fn sort_tokens(tokens: &mut [PatToken], sort: app::model::PatSort, descending: bool) {
    use app::model::PatSort;
    match sort {
        PatSort::Name => tokens.sort_by_key(|t| t.display_name.to_lowercase()),
        PatSort::ValidTo | PatSort::Status => tokens.sort_by(|a, b| a.valid_to.cmp(&b.valid_to)),
    }
    if descending {
        tokens.reverse();
    }
}

/// Organization names are letters, digits, `-`, `_` and `.` (and they go into URL paths).
fn check_org_name(org: &str) -> Result<(), ApiError> {
    let ok = !org.is_empty()
        && org.len() <= 64
        && org.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid("org", "That is not an organization name."))
    }
}

fn check_pat_id(id: &str) -> Result<(), ApiError> {
    uuid::Uuid::parse_str(id).map(|_| ()).map_err(|_| ApiError::NotFound)
}

/// A form that passed validation, ready to send.
struct ValidForm {
    name: String,
    scope: String,
    valid_to: OffsetDateTime,
    all_orgs: bool,
}

impl ValidForm {
    fn request(&self, authorization_id: Option<String>) -> PatRequest {
        PatRequest {
            authorization_id,
            display_name: self.name.clone(),
            scope: self.scope.clone(),
            valid_to: self.valid_to.format(&Rfc3339).unwrap_or_default(),
            all_orgs: self.all_orgs,
        }
    }
}

/// Azure DevOps allows no token to live longer than a year; an organization may allow less.
const MAX_LIFETIME_DAYS: i64 = 365;

/// Checks a token form on the server, with the error on the field it concerns.
fn validate_form(form: &PatForm, now: OffsetDateTime) -> Result<ValidForm, ApiError> {
    let name = form.name.trim();
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
    let mut scopes: Vec<&str> = form.scopes.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
    scopes.sort_unstable();
    scopes.dedup();
    if scopes.is_empty() {
        return Err(ApiError::invalid("scopes", "Choose at least one scope."));
    }
    if let Some(unknown) = scopes.iter().find(|s| **s != app::model::FULL_ACCESS && is_unknown_scope(s)) {
        return Err(ApiError::invalid("scopes", format!("{unknown} is not a scope Azure DevOps knows.")));
    }
    // Full access includes every other scope.
    let scope = if scopes.contains(&app::model::FULL_ACCESS) {
        app::model::FULL_ACCESS.to_string()
    } else {
        scopes.join(" ")
    };
    let valid_to = match &form.expiry {
        Expiry::Days(d) if (1..=MAX_LIFETIME_DAYS as u32).contains(d) => {
            now + time::Duration::days(i64::from(*d))
        }
        Expiry::Days(_) => {
            return Err(ApiError::invalid("valid_to", "Choose between 1 and 365 days."));
        }
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
    Ok(ValidForm { name: name.to_string(), scope, valid_to, all_orgs: form.all_orgs })
}

fn is_unknown_scope(s: &str) -> bool {
    !app::model::SCOPE_AREAS.iter().any(|(_, scopes)| scopes.iter().any(|x| x.name == s))
}

/// The token of a PAT API answer, or the error its `patTokenError` names, on the field it concerns.
fn pat_result(r: PatResult) -> Result<PatToken, ApiError> {
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
fn created_pat(t: PatToken, now: OffsetDateTime) -> Result<CreatedPat, ApiError> {
    let secret = match &t.token {
        Some(s) if !s.expose().is_empty() => s.expose().to_string(),
        _ => return Err(internal("PAT API", &"create answered without the secret")),
    };
    Ok(CreatedPat { token: summarize(t, false, now), secret })
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
