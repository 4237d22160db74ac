//! What the server functions need from the server, declared here and provided by the `server` crate through context.

use std::sync::Arc;

use http::request::Parts;

use crate::error::ApiError;
use crate::inventory::{BulkAction, BulkChange, BulkPlan, BulkProgress, BulkTarget, Inventory};
use crate::model::{
    CreatedPat, Expiry, Orgs, Overview, PatChanges, PatFilter, PatForm, PatPage, PatSort, PatSummary,
    Profile, ProjectPage, Rotated, Saved, Viewer,
};

/// The server side of the portal: sessions, the token cache and the Azure DevOps client.
/// `app` cannot depend on `server`, so server functions reach it as `Arc<dyn Portal>`.
#[async_trait::async_trait]
pub trait Portal: Send + Sync + 'static {
    /// The signed-in user of this request's session, if any, and whether this is the demo stack.
    async fn viewer(&self, req: &Parts) -> Result<Viewer, ApiError>;

    /// One page of the user's personal access tokens (or, with `search`, every match by name).
    async fn list_pats(&self, req: &Parts, query: PatListQuery) -> Result<PatPage, ApiError>;

    async fn get_pat(&self, req: &Parts, pat: PatRef) -> Result<PatSummary, ApiError>;

    /// Counts by status, what expires within `lead` days (7 unless chosen), and expiries per week ahead.
    async fn pat_overview(
        &self,
        req: &Parts,
        org: Option<String>,
        lead: Option<u32>,
    ) -> Result<Overview, ApiError>;

    /// Creates a token; the answer is the only place its secret ever appears.
    async fn create_pat(
        &self,
        req: &Parts,
        org: Option<String>,
        form: PatForm,
    ) -> Result<CreatedPat, ApiError>;

    /// Renames, extends or rescopes a token: only what changed is sent.
    async fn update_pat(&self, req: &Parts, pat: PatRef, changes: PatChanges) -> Result<Saved, ApiError>;

    async fn revoke_pat(&self, req: &Parts, pat: PatRef) -> Result<(), ApiError>;

    /// Creates a twin valid in this organization with a new expiry, then revokes the old token.
    async fn rotate_pat(&self, req: &Parts, pat: PatRef, expiry: Expiry) -> Result<Rotated, ApiError>;

    /// A new token with the name and scopes of an expired (read-only) or revoked one.
    async fn reissue_pat(&self, req: &Parts, pat: PatRef, expiry: Expiry) -> Result<CreatedPat, ApiError>;

    /// The user's tokens across every organization they belong to (`query.org` is ignored).
    async fn inventory(&self, req: &Parts, query: PatListQuery) -> Result<Inventory, ApiError>;

    /// What a bulk change would do to each token; nothing changes.
    async fn bulk_preview(
        &self,
        req: &Parts,
        action: BulkAction,
        tokens: Vec<BulkTarget>,
    ) -> Result<BulkPlan, ApiError>;

    /// Starts a bulk change (one at a time per session): it runs on the server, token by token,
    /// within its budget and deadline; the answer is its progress so far.
    async fn bulk_apply(
        &self,
        req: &Parts,
        change: BulkChange,
        tokens: Vec<BulkTarget>,
    ) -> Result<BulkProgress, ApiError>;

    /// This session's bulk change: running, or finished within the last 15 minutes.
    async fn bulk_progress(&self, req: &Parts) -> Result<Option<BulkProgress>, ApiError>;

    async fn profile(&self, req: &Parts) -> Result<Profile, ApiError>;

    /// The organizations the user belongs to.
    async fn organizations(&self, req: &Parts) -> Result<Orgs, ApiError>;

    async fn projects(
        &self,
        req: &Parts,
        org: String,
        after: Option<String>,
    ) -> Result<ProjectPage, ApiError>;

    /// Starts a sign-in: returns where to send the browser (the authorization endpoint, or a
    /// page explaining why sign-in cannot start).
    async fn begin_sign_in(&self, req: &Parts, return_to: Option<String>) -> String;

    /// Starts the incremental consent that lets this session change tokens: returns where to
    /// send the browser (the authorization endpoint).
    async fn begin_consent(&self, req: &Parts, return_to: Option<String>) -> Result<String, ApiError>;

    /// Finishes a sign-in from the authorization response: returns where to send the browser.
    async fn complete_sign_in(&self, req: &Parts, callback: SignInCallback) -> String;

    /// The redirect URI this app sends, which is the one to register with Entra ID.
    fn redirect_uri(&self) -> String;

    /// Ends the session: returns where to send the browser (the end-session endpoint).
    async fn sign_out(&self, req: &Parts) -> Result<String, ApiError>;
}

/// Which tokens a list shows, in which order, from where.
#[derive(Debug, Clone, Default)]
pub struct PatListQuery {
    pub org: Option<String>,
    pub filter: PatFilter,
    pub sort: PatSort,
    pub descending: bool,
    pub search: Option<String>,
    pub after: Option<String>,
}

impl PatListQuery {
    /// A query as a server function receives it: sort by name and ascending unless said, and a
    /// blank search is no search.
    pub fn new(
        org: Option<String>,
        filter: PatFilter,
        sort: Option<PatSort>,
        desc: Option<bool>,
        search: Option<String>,
        after: Option<String>,
    ) -> Self {
        PatListQuery {
            org,
            filter,
            sort: sort.unwrap_or_default(),
            descending: desc.unwrap_or(false),
            search: search.filter(|s| !s.trim().is_empty()),
            after,
        }
    }
}

/// One token: its authorization id, in an organization (`None`: the default one).
#[derive(Debug, Clone)]
pub struct PatRef {
    pub org: Option<String>,
    pub id: String,
}

/// The query of the authorization response (`/getAToken?...`).
#[derive(Debug, Clone, Default)]
pub struct SignInCallback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

pub type SharedPortal = Arc<dyn Portal>;

/// The portal and the request of the current server function or page render.
pub fn portal_and_request() -> Result<(SharedPortal, Parts), ApiError> {
    use leptos::prelude::use_context;
    let portal = use_context::<SharedPortal>();
    let parts = use_context::<Parts>();
    match (portal, parts) {
        (Some(p), Some(r)) => Ok((p, r)),
        // Only a wiring mistake gets here; the reference names it in the server log.
        _ => Err(ApiError::Internal { reference: "no-portal-context".into() }),
    }
}

/// Gives an error its HTTP status (and `Retry-After`) on the server-function response. During
/// a page render the same functions run in-process: there the page keeps its own status.
pub fn with_status<T>(result: Result<T, ApiError>) -> Result<T, ApiError> {
    // The reference of an internal error is the request id, which is in every log line of it.
    let result = result.map_err(|e| {
        let parts = leptos::prelude::use_context::<Parts>();
        let id = parts.as_ref().and_then(|p| p.headers.get(crate::routes::REQUEST_ID_HEADER)?.to_str().ok());
        e.referenced(id)
    });
    let is_server_fn_request = leptos::prelude::use_context::<Parts>()
        .is_some_and(|parts| server_fn::axum::server_fn_paths().any(|(path, _)| path == parts.uri.path()));
    if !is_server_fn_request {
        return result;
    }
    if let Err(e) = &result {
        if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(
                http::StatusCode::from_u16(e.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
            );
            if let ApiError::RateLimited { retry_after_secs }
            | ApiError::TooManyRequests { retry_after_secs } = e
            {
                res.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(*retry_after_secs));
            }
        }
    }
    result
}
