//! The server side of the portal (`app::ports::Portal`): one service composed of the use cases in `portal/`, each reached with the request's session.

mod account;
mod across_orgs;
mod bulk;
mod bulk_task;
mod calendar;
mod change_gate;
mod changes;
mod errors;
mod export;
mod inventory;
mod orgs;
mod pat_errors;
mod pat_rules;
mod pats;
mod public_url;
mod read_gate;
mod reminders;
mod sid_index;
mod sign_in;
mod tenant_limits;
mod token_source;

use std::sync::Arc;

use app::clock::Clock;
use app::error::ApiError;
use app::inventory::{BulkAction, BulkChange, BulkPlan, BulkProgress, BulkTarget, Inventory};
use app::model::{
    CreatedPat, Expiry, Me, Orgs, Overview, PatChanges, PatForm, PatPage, PatSummary, Profile, ProjectPage,
    Rotated, Saved, Viewer,
};
use app::ports::{PatListQuery, PatRef, Portal, SignInCallback};
use http::request::Parts;
use tower_sessions::session::Id;
use tower_sessions::{Session, SessionStore};
use url::Url;

use self::account::Accounts;
pub use self::across_orgs::ExportFormat;
pub use self::errors::{internal, STORE_NOT_READY};
use self::orgs::{check_continuation, org_name, Organizations};
pub use self::pat_errors::SESSION_TOKEN_ERRORS;
use self::pat_rules::{check_pat_id, MAX_SEARCH_CHARS};
use self::pats::Pats;
use self::public_url::PublicUrl;
use self::read_gate::ReadGate;
pub use self::sign_in::safe_return_to;
use self::sign_in::{session_of, SignIn};
use self::token_source::TokenSource;
use crate::devops::DevopsClient;
use crate::oidc::OidcClient;
use crate::secret::Secret;
use crate::sessions::{DynStore, SharedLock};

/// What the portal is built from. Every field is required: there is no default sealing key.
pub struct PortalParts {
    pub oidc: Arc<OidcClient>,
    pub devops: DevopsClient,
    pub store: DynStore,
    /// Serializes refreshes across instances (Redis); `None` with a single-instance store.
    pub shared_lock: Option<Arc<dyn SharedLock>>,
    /// The key that seals each session's account and tokens.
    pub sealing_key: [u8; 32],
    /// The absolute lifetime of a sign-in.
    pub max_age_secs: u64,
    /// `DEVOPS_ORGANIZATION`, or empty for the user's first organization.
    pub organization: String,
    pub public_url: Url,
    pub demo: bool,
    /// The timeout of each call to the identity provider (the refresh lock outlives it).
    pub request_timeout: std::time::Duration,
    /// `RATE_LIMIT_TOKEN_CHANGES`: token changes per user per minute (`change_gate::ChangeBudget`).
    pub changes_per_minute: u32,
    /// `REQUEST_DEADLINE_SECS`: a read's deadline; a bulk change's is four times it.
    pub request_deadline: std::time::Duration,
    /// How long a signed-in session lives unwritten (a pending sign-in lives much less).
    pub session_idle: time::Duration,
    /// What "now" is for the PAT rules (the real time, or a set one on the demo stack).
    pub clock: Clock,
}

/// What "no access" names when the call is about no organization (profile, accounts).
const AZURE_DEVOPS: &str = "Azure DevOps";

/// The session value that remembers which organization's call last sent the user to sign in
/// again, and when (an organization name and Unix seconds: nothing secret).
const SIGN_IN_ASKED_KEY: &str = "devops.sign_in_asked";

/// What the user is told when Azure DevOps refuses the token of the sign-in they made because
/// it refused the one before.
const FRESH_TOKEN_REFUSED: &str =
    "Azure DevOps did not accept your new sign-in either. The organization may \
    be connected to another Microsoft Entra tenant than the one you signed in to, or your account may not be \
    allowed to use it. Signing in again will not change this: ask an organization administrator.";

pub struct PortalService {
    accounts: Arc<Accounts>,
    tokens: Arc<TokenSource>,
    orgs: Organizations,
    pats: Arc<Pats>,
    sign_in: SignIn,
    /// Token changes per user (`RATE_LIMIT_TOKEN_CHANGES`), bulk targets included.
    changes: Arc<change_gate::ChangeBudget>,
    /// The bulk changes running or just finished, one per session.
    bulk: Arc<bulk_task::BulkTasks>,
    /// No token of a bulk change starts after it has run this long.
    bulk_deadline: std::time::Duration,
    oidc: Arc<OidcClient>,
    store: DynStore,
    demo: bool,
    clock: Clock,
    reads: ReadGate,
    public: Arc<PublicUrl>,
    /// Each tenant's maximum token lifetime, once a cut told it.
    limits: tenant_limits::TenantLimits,
}

impl PortalService {
    pub fn new(p: PortalParts) -> Self {
        let accounts = Arc::new(Accounts::new(&p.sealing_key, p.max_age_secs));
        let lock_names = crate::sessions::RecordIds::new(&p.sealing_key);
        let devops = Arc::new(p.devops);
        let public = Arc::new(PublicUrl::new(p.public_url));
        PortalService {
            tokens: Arc::new(TokenSource::new(
                p.oidc.clone(),
                accounts.clone(),
                p.shared_lock.clone(),
                p.request_timeout,
                lock_names,
            )),
            orgs: Organizations::new(devops.clone(), p.organization),
            pats: Arc::new(Pats::new(devops, p.clock)),
            changes: Arc::new(change_gate::ChangeBudget::new(p.changes_per_minute)),
            bulk: Arc::default(),
            sign_in: SignIn::new(
                p.oidc.clone(),
                accounts.clone(),
                public.clone(),
                sid_index::SidIndex::new(
                    p.store.clone(),
                    time::Duration::seconds(i64::try_from(p.max_age_secs).unwrap_or(i64::MAX)),
                    p.shared_lock,
                ),
                p.session_idle,
            ),
            accounts,
            oidc: p.oidc,
            store: p.store,
            demo: p.demo,
            clock: p.clock,
            reads: ReadGate::new(p.request_deadline),
            bulk_deadline: p.request_deadline * 4,
            public,
            limits: tenant_limits::TenantLimits::default(),
        }
    }

    /// For `/readyz`: the session store answers, and so does the identity provider's discovery.
    pub async fn check_ready(&self) -> Result<(), &'static str> {
        self.store.load(&Id::default()).await.map_err(|_| STORE_NOT_READY)?;
        self.oidc.discovery().await.map_err(|_| "identity provider discovery")?;
        Ok(())
    }

    /// Waits until no bulk change runs, at most `within`; answers how many still run.
    pub async fn bulk_changes_drained(&self, within: std::time::Duration) -> usize {
        self.bulk.drained(within).await
    }

    /// Whether this is the demo stack (the stand-ins' password-less sign-in).
    pub fn is_demo(&self) -> bool {
        self.demo
    }

    /// Front-channel sign-out by the identity provider's session id.
    pub async fn end_session_by_sid(&self, sid: &str) -> bool {
        self.sign_in.end_session_by_sid(sid).await
    }

    /// The session, its id and a fresh access token: the start of every DevOps call.
    async fn signed_in(&self, req: &Parts) -> Result<(Session, Id, Secret), ApiError> {
        let session = session_of(req)?;
        let token = self.tokens.access_token(&session).await?;
        let id = session.id().ok_or(ApiError::NotSignedIn)?;
        Ok((session, id, token))
    }

    /// A fresh access token and the organization a call is about.
    async fn begin_call(&self, req: &Parts, org: Option<String>) -> Result<Call, ApiError> {
        let (session, id, token) = self.signed_in(req).await?;
        let resolved = self.orgs.resolve(id, &token, org).await;
        let org = self.settle(&session, AZURE_DEVOPS, resolved).await?;
        Ok(Call { session, id, token, org })
    }

    /// How a call's failure reaches the user: "no access" names its organization, and a token
    /// refused again after the sign-in that the first refusal asked for is "no access" too: the
    /// user is never sent to sign in twice in a row for the same organization.
    async fn settle<T>(
        &self,
        session: &Session,
        org: &str,
        result: Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        match result {
            Err(ApiError::SessionExpired) => Err(self.refused_token(session, org).await),
            Err(e) => Err(e.in_org(org)),
            ok => ok,
        }
    }

    async fn refused_token(&self, session: &Session, org: &str) -> ApiError {
        let now = crate::oidc::now_secs();
        let asked: Option<(String, u64)> = session.get(SIGN_IN_ASKED_KEY).await.ok().flatten();
        let signed_in_at = self.accounts.load(session).await.ok().flatten().map(|a| a.signed_in_at);
        match (asked, signed_in_at) {
            (Some((o, at)), Some(signed_in)) if o == org && signed_in > at => {
                tracing::info!(%org, "Azure DevOps refused the token of a new sign-in: no access, not sign in again");
                ApiError::NoAccess { organization: org.to_string(), reason: FRESH_TOKEN_REFUSED.into() }
            }
            _ => {
                if let Err(e) = session.insert(SIGN_IN_ASKED_KEY, (org, now)).await {
                    tracing::warn!(error = %e, "could not remember the sign-in asked for");
                }
                ApiError::SessionExpired
            }
        }
    }
}

/// What every organization-scoped call starts from.
struct Call {
    session: Session,
    id: Id,
    token: Secret,
    org: String,
}

#[async_trait::async_trait]
impl Portal for PortalService {
    async fn viewer(&self, req: &Parts) -> Result<Viewer, ApiError> {
        let session = session_of(req)?;
        let user = self.accounts.load(&session).await?.map(|a| Me {
            permissions: crate::devops_scopes::devops_permissions(a.tokens.scope.as_deref()),
            max_lifetime_days: self.limits.max_lifetime_days(&a.tid),
            name: a.name,
            username: a.username,
            tenant_id: a.tid,
        });
        Ok(Viewer { user, demo: self.demo })
    }

    async fn list_pats(&self, req: &Parts, query: PatListQuery) -> Result<PatPage, ApiError> {
        check_continuation(query.after.as_deref())?;
        if query.search.as_ref().is_some_and(|s| s.chars().count() > MAX_SEARCH_CHARS) {
            return Err(ApiError::invalid("search", "Search for at most 256 characters."));
        }
        let c = self.begin_call(req, query.org.clone()).await?;
        let read =
            self.reads.run(c.id, &c.token, self.pats.list(&c.token, c.org.clone(), c.id, &query)).await;
        self.settle(&c.session, &c.org, read).await
    }

    async fn get_pat(&self, req: &Parts, pat: PatRef) -> Result<PatSummary, ApiError> {
        check_pat_id(&pat.id)?;
        let c = self.begin_call(req, pat.org).await?;
        let read = self.reads.run(c.id, &c.token, self.pats.get(&c.token, &c.org, c.id, &pat.id)).await;
        self.settle(&c.session, &c.org, read).await
    }

    async fn pat_overview(
        &self,
        req: &Parts,
        org: Option<String>,
        lead: Option<u32>,
    ) -> Result<Overview, ApiError> {
        let lead = pat_rules::lead_days(lead)?;
        let c = self.begin_call(req, org).await?;
        let read =
            self.reads.run(c.id, &c.token, self.pats.overview(&c.token, c.org.clone(), c.id, lead)).await;
        self.settle(&c.session, &c.org, read).await
    }

    async fn create_pat(
        &self,
        req: &Parts,
        org: Option<String>,
        form: PatForm,
    ) -> Result<CreatedPat, ApiError> {
        self.create(req, org, form).await
    }

    async fn update_pat(&self, req: &Parts, pat: PatRef, changes: PatChanges) -> Result<Saved, ApiError> {
        self.update(req, pat, changes).await
    }

    async fn revoke_pat(&self, req: &Parts, pat: PatRef) -> Result<(), ApiError> {
        self.revoke(req, pat).await
    }

    async fn rotate_pat(&self, req: &Parts, pat: PatRef, expiry: Expiry) -> Result<Rotated, ApiError> {
        self.rotate(req, pat, expiry).await
    }

    async fn reissue_pat(&self, req: &Parts, pat: PatRef, expiry: Expiry) -> Result<CreatedPat, ApiError> {
        self.reissue(req, pat, expiry).await
    }

    async fn inventory(&self, req: &Parts, query: PatListQuery) -> Result<Inventory, ApiError> {
        self.inventory_page(req, query).await
    }

    async fn bulk_preview(
        &self,
        req: &Parts,
        action: BulkAction,
        tokens: Vec<BulkTarget>,
    ) -> Result<BulkPlan, ApiError> {
        self.preview_bulk(req, action, tokens).await
    }

    async fn bulk_apply(
        &self,
        req: &Parts,
        change: BulkChange,
        tokens: Vec<BulkTarget>,
    ) -> Result<BulkProgress, ApiError> {
        self.apply_bulk(req, change, tokens).await
    }

    async fn bulk_progress(&self, req: &Parts) -> Result<Option<BulkProgress>, ApiError> {
        self.bulk_progress_of(req).await
    }

    async fn profile(&self, req: &Parts) -> Result<Profile, ApiError> {
        let (session, id, token) = self.signed_in(req).await?;
        let read = self.reads.run(id, &token, self.orgs.profile(&token)).await;
        self.settle(&session, AZURE_DEVOPS, read).await
    }

    async fn organizations(&self, req: &Parts) -> Result<Orgs, ApiError> {
        let (session, id, token) = self.signed_in(req).await?;
        let read = self.reads.run(id, &token, self.orgs.list(id, &token)).await;
        self.settle(&session, AZURE_DEVOPS, read).await
    }

    async fn projects(
        &self,
        req: &Parts,
        org: String,
        after: Option<String>,
    ) -> Result<ProjectPage, ApiError> {
        let org = org_name(&org)?;
        check_continuation(after.as_deref())?;
        let (session, id, token) = self.signed_in(req).await?;
        let name = org.as_str().to_string();
        let read = self.reads.run(id, &token, self.orgs.projects(&token, org, after)).await;
        self.settle(&session, &name, read).await
    }

    async fn begin_sign_in(&self, req: &Parts, return_to: Option<String>) -> String {
        self.sign_in.begin(req, return_to).await
    }

    async fn begin_consent(&self, req: &Parts, return_to: Option<String>) -> Result<String, ApiError> {
        self.sign_in.begin_consent(req, return_to).await
    }

    async fn complete_sign_in(&self, req: &Parts, cb: SignInCallback) -> String {
        self.sign_in.complete(req, cb).await
    }

    fn redirect_uri(&self) -> String {
        self.sign_in.redirect_uri()
    }

    async fn sign_out(&self, req: &Parts) -> Result<String, ApiError> {
        let session = session_of(req)?;
        if let Some(id) = session.id() {
            self.orgs.forget(id);
        }
        self.sign_in.sign_out(req, &session).await
    }
}
