//! The end-session endpoint: redirects only to a registered post-logout URI.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::errors::tenant_not_found;
use super::EntraStandIn;

type S = State<Arc<EntraStandIn>>;

#[derive(Deserialize)]
pub(super) struct LogoutParams {
    post_logout_redirect_uri: Option<String>,
    /// The ID token's `login_hint`: which account to sign out, without asking (no picker here).
    #[allow(dead_code)]
    logout_hint: Option<String>,
}

pub(super) async fn logout(
    State(s): S,
    Path(tenant): Path<String>,
    Query(p): Query<LogoutParams>,
) -> Response {
    if !EntraStandIn::known_tenant(&tenant) {
        return tenant_not_found(&tenant);
    }
    match p.post_logout_redirect_uri {
        // Only registered URIs: anything else would make this an open redirect.
        Some(uri) if s.client.post_logout_redirect_uris.iter().any(|r| r == &uri) => Redirect::to(&uri).into_response(),
        _ => Html(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Signed out (demo)</title>\
             <link rel=\"icon\" href=\"data:,\"></head><body style=\"font-family:system-ui;max-width:40rem;margin:3rem auto\">\
             <h1>You signed out of your account</h1><p>It's a good idea to close all browser windows.</p>\
             <p><small>Demo identity provider (a local stand-in for Entra ID)</small></p></body></html>",
        )
        .into_response(),
    }
}
