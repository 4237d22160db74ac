//! Server functions: the only way the hydrated page talks to the server. Stable endpoints under `/api/` (sign-in under `/auth/` and the sample's `/getAToken`).

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::error::ApiError;
use crate::model::{PatFilter, PatPage, Viewer};

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

/// One page of the signed-in user's personal access tokens.
#[server(endpoint = "pats", input = GetUrl)]
pub async fn list_pats(filter: PatFilter, continuation_token: Option<String>) -> Result<PatPage, ApiError> {
    use crate::ports::{portal_and_request, with_status};
    with_status(
        async {
            let (portal, req) = portal_and_request()?;
            portal.list_pats(&req, filter, continuation_token).await
        }
        .await,
    )
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
