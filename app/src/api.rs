//! Server functions: the only way the hydrated page talks to the server. Stable endpoints under `/api/` (sign-in under `/auth/` and the sample's `/getAToken`).

use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

use crate::error::ApiError;
use crate::inventory::{BulkAction, BulkChange, BulkPlan, BulkProgress, BulkTarget, Inventory};
use crate::model::{
    CreatedPat, Expiry, Orgs, Overview, PatChanges, PatFilter, PatForm, PatPage, PatSort, PatSummary,
    Profile, ProjectPage, Rotated, Saved, Viewer,
};

/// The signed-in user (`user` is null when signed out) and whether this is the demo stack.
#[server(endpoint = "me", input = GetUrl)]
pub async fn get_me() -> Result<Viewer, ApiError> {
    use crate::ports::{portal_and_request, with_status};
    with_status(
        async {
            let (portal, req) = portal_and_request()?;
            portal.viewer(&req).await
        }
        .await,
    )
}

/// Runs `f` with the portal and the request, giving an error its HTTP status on the way out.
#[cfg(feature = "ssr")]
use crate::ports::PatRef;

#[cfg(feature = "ssr")]
async fn call<T, F, Fut>(f: F) -> Result<T, ApiError>
where
    F: FnOnce(crate::ports::SharedPortal, http::request::Parts) -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    use crate::ports::{portal_and_request, with_status};
    let result = match portal_and_request() {
        Ok((portal, req)) => f(portal, req).await,
        Err(e) => Err(e),
    };
    with_status(result)
}

/// One page of the signed-in user's personal access tokens. `org` None means the default
/// organization; `search` finds tokens by name across pages.
#[server(endpoint = "pats", input = GetUrl)]
pub async fn list_pats(
    org: Option<String>,
    filter: PatFilter,
    sort: Option<PatSort>,
    desc: Option<bool>,
    search: Option<String>,
    after: Option<String>,
) -> Result<PatPage, ApiError> {
    let query = crate::ports::PatListQuery::new(org, filter, sort, desc, search, after);
    call(|p, req| async move { p.list_pats(&req, query).await }).await
}

/// One token (never its secret).
#[server(endpoint = "pat", input = GetUrl)]
pub async fn get_pat(org: Option<String>, id: String) -> Result<PatSummary, ApiError> {
    call(|p, req| async move { p.get_pat(&req, PatRef { org, id }).await }).await
}

/// The dashboard's figures.
#[server(endpoint = "overview", input = GetUrl)]
pub async fn pat_overview(org: Option<String>, lead: Option<u32>) -> Result<Overview, ApiError> {
    call(|p, req| async move { p.pat_overview(&req, org, lead).await }).await
}

/// Creates a token. The answer carries the secret, once; the server keeps no copy.
#[server(endpoint = "pats/create", input = Json)]
pub async fn create_pat(org: Option<String>, form: PatForm) -> Result<CreatedPat, ApiError> {
    call(|p, req| async move { p.create_pat(&req, org, form).await }).await
}

/// Renames, extends or rescopes a token: only the fields in `changes` are sent.
#[server(endpoint = "pats/update", input = Json)]
pub async fn update_pat(org: Option<String>, id: String, changes: PatChanges) -> Result<Saved, ApiError> {
    call(|p, req| async move { p.update_pat(&req, PatRef { org, id }, changes).await }).await
}

#[server(endpoint = "pats/revoke", input = Json)]
pub async fn revoke_pat(org: Option<String>, id: String) -> Result<(), ApiError> {
    call(|p, req| async move { p.revoke_pat(&req, PatRef { org, id }).await }).await
}

/// Creates a twin with the same name and scopes and a new expiry, valid in this organization
/// only, then revokes the old token.
#[server(endpoint = "pats/rotate", input = Json)]
pub async fn rotate_pat(org: Option<String>, id: String, expiry: Expiry) -> Result<Rotated, ApiError> {
    call(|p, req| async move { p.rotate_pat(&req, PatRef { org, id }, expiry).await }).await
}

/// A new token with the name and scopes of an expired or revoked one (those cannot change).
#[server(endpoint = "pats/reissue", input = Json)]
pub async fn reissue_pat(org: Option<String>, id: String, expiry: Expiry) -> Result<CreatedPat, ApiError> {
    call(|p, req| async move { p.reissue_pat(&req, PatRef { org, id }, expiry).await }).await
}

/// The user's tokens in every organization they belong to, read in parallel: one page of them
/// (`after` is the position of the page), and each organization that failed with its reason.
#[server(endpoint = "pats/all", input = GetUrl)]
pub async fn list_inventory(
    filter: PatFilter,
    sort: Option<PatSort>,
    desc: Option<bool>,
    search: Option<String>,
    after: Option<String>,
) -> Result<Inventory, ApiError> {
    let query = crate::ports::PatListQuery::new(None, filter, sort, desc, search, after);
    call(|p, req| async move { p.inventory(&req, query).await }).await
}

/// What a bulk change would do to each token, read fresh: nothing changes yet.
#[server(endpoint = "pats/bulk/preview", input = Json)]
pub async fn bulk_preview(action: BulkAction, tokens: Vec<BulkTarget>) -> Result<BulkPlan, ApiError> {
    call(|p, req| async move { p.bulk_preview(&req, action, tokens).await }).await
}

/// Starts a bulk change as previewed (an extension to the absolute expiry the preview showed): it
/// runs on the server, token by token, and [`get_bulk_progress`] says how it goes.
#[server(endpoint = "pats/bulk/apply", input = Json)]
pub async fn bulk_apply(change: BulkChange, tokens: Vec<BulkTarget>) -> Result<BulkProgress, ApiError> {
    call(|p, req| async move { p.bulk_apply(&req, change, tokens).await }).await
}

/// How this session's bulk change goes (or went, for 15 minutes after it finished).
#[server(endpoint = "pats/bulk/progress", input = GetUrl)]
pub async fn get_bulk_progress() -> Result<Option<BulkProgress>, ApiError> {
    call(|p, req| async move { p.bulk_progress(&req).await }).await
}

#[server(endpoint = "profile", input = GetUrl)]
pub async fn get_profile() -> Result<Profile, ApiError> {
    call(|p, req| async move { p.profile(&req).await }).await
}

/// The organizations the user belongs to.
#[server(endpoint = "orgs", input = GetUrl)]
pub async fn list_orgs() -> Result<Orgs, ApiError> {
    call(|p, req| async move { p.organizations(&req).await }).await
}

#[server(endpoint = "projects", input = GetUrl)]
pub async fn list_projects(org: String, after: Option<String>) -> Result<ProjectPage, ApiError> {
    call(|p, req| async move { p.projects(&req, org, after).await }).await
}

/// The redirect URI this app sends (shown when Entra ID says it is not registered). Not a secret.
#[server(endpoint = "sign-in-help", input = GetUrl)]
pub async fn sign_in_help() -> Result<String, ApiError> {
    use crate::ports::portal_and_request;
    let (portal, _) = portal_and_request()?;
    Ok(portal.redirect_uri())
}

/// Starts a sign-in: redirects the browser to the identity provider. A plain link works,
/// so sign-in needs no JavaScript.
#[server(prefix = "/auth", endpoint = "sign-in", input = GetUrl)]
pub async fn sign_in(return_to: Option<String>) -> Result<(), ApiError> {
    use crate::ports::{portal_and_request, with_status};
    with_status(
        async {
            let (portal, req) = portal_and_request()?;
            let url = portal.begin_sign_in(&req, return_to).await;
            leptos_axum::redirect(&url);
            Ok(())
        }
        .await,
    )
}

/// The incremental consent for changing tokens: redirects the browser to the identity provider,
/// which asks the signed-in person for `vso.pats_manage` and comes back to `return_to`. A form
/// POST of the portal's own page (the same-site rule guards it), never a link another site could
/// make (issue 29, item 3).
#[server(prefix = "/auth", endpoint = "consent")]
pub async fn ask_consent(return_to: Option<String>) -> Result<(), ApiError> {
    use crate::ports::{portal_and_request, with_status};
    with_status(
        async {
            let (portal, req) = portal_and_request()?;
            let url = portal.begin_consent(&req, return_to).await?;
            leptos_axum::redirect(&url);
            Ok(())
        }
        .await,
    )
}

/// The redirect URI registered with Entra ID (`/getAToken`, as in the original sample): the
/// confidential-client code exchange happens here, on the server, with the client secret.
/// It always answers with a redirect: to the page the user was going to, or to a page that
/// explains what went wrong.
#[server(prefix = "", endpoint = "getAToken", input = GetUrl)]
pub async fn complete_sign_in(
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
) -> Result<(), ApiError> {
    use crate::ports::{portal_and_request, with_status, SignInCallback};
    with_status(
        async {
            let (portal, req) = portal_and_request()?;
            let callback = SignInCallback { code, state, error, error_description };
            let to = portal.complete_sign_in(&req, callback).await;
            leptos_axum::redirect(&to);
            Ok(())
        }
        .await,
    )
}

/// Ends the session here, then at the identity provider.
#[server(prefix = "/auth", endpoint = "sign-out")]
pub async fn sign_out() -> Result<(), ApiError> {
    use crate::ports::{portal_and_request, with_status};
    with_status(
        async {
            let (portal, req) = portal_and_request()?;
            let url = portal.sign_out(&req).await?;
            leptos_axum::redirect(&url);
            Ok(())
        }
        .await,
    )
}
