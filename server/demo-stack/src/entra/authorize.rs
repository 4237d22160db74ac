//! The authorize endpoint: checks the client and the request, shows the demo sign-in page, and redirects back with a code (or an error, as Entra sends it).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, Method};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::errors::error_page;
use super::{CodeGrant, EntraStandIn, CODE_TTL_SECS};
use crate::{escape_html, now_secs, random_token};

type S = State<Arc<EntraStandIn>>;

#[derive(Debug, Deserialize, Default)]
pub(super) struct AuthorizeParams {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    code_challenge: Option<String>,
    #[serde(default)]
    code_challenge_method: Option<String>,
    #[serde(default)]
    response_mode: Option<String>,
    #[serde(default)]
    prompt: Option<String>,
    #[serde(default)]
    login_hint: Option<String>,
    // Set by the sign-in page's buttons.
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    cancel: Option<String>,
    // Set by the consent page's Accept button.
    #[serde(default)]
    consent: Option<String>,
}

/// Checks what must be right before anything is sent back to `redirect_uri`.
fn check_client(s: &EntraStandIn, tenant: &str, p: &AuthorizeParams) -> Result<(), Response> {
    if !EntraStandIn::known_tenant(tenant) {
        return Err(error_page(90002, &format!("Tenant '{tenant}' not found.")));
    }
    if p.client_id != s.client.client_id {
        return Err(error_page(
            700016,
            &format!("Application with identifier '{}' was not found in the directory.", p.client_id),
        ));
    }
    if !s.client.redirect_uris.iter().any(|r| r == &p.redirect_uri) {
        return Err(error_page(50011,
            &format!(
                "The redirect URI '{}' specified in the request does not match the redirect URIs configured for the application '{}'.",
                p.redirect_uri, p.client_id
            ),
        ));
    }
    Ok(())
}

/// Errors that go back to the app on the redirect, as Entra sends them.
fn redirect_error(p: &AuthorizeParams, error: &str, aadsts: u32, message: &str) -> Response {
    let mut url = match url::Url::parse(&p.redirect_uri) {
        Ok(u) => u,
        Err(_) => return error_page(50011, "The redirect URI is not valid."),
    };
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("error", error).append_pair("error_description", &format!("AADSTS{aadsts}: {message}"));
        if let Some(st) = &p.state {
            q.append_pair("state", st);
        }
    }
    Redirect::to(url.as_str()).into_response()
}

fn check_request(p: &AuthorizeParams) -> Result<(), Response> {
    if p.response_type != "code" {
        return Err(redirect_error(p, "unsupported_response_type", 700054, "response_type must be 'code'."));
    }
    match (p.code_challenge.as_deref(), p.code_challenge_method.as_deref()) {
        (Some(c), Some("S256")) if c.len() >= 43 => {}
        (None, _) => {
            return Err(redirect_error(
                p,
                "invalid_request",
                9002325,
                "Proof Key for Code Exchange is required.",
            ))
        }
        _ => {
            return Err(redirect_error(p, "invalid_request", 5000810, "code_challenge_method must be S256."))
        }
    }
    if !p.scope.split(' ').any(|s| s == "openid") {
        return Err(redirect_error(p, "invalid_scope", 70011, "The scope must include 'openid'."));
    }
    if let Some(unknown) = super::consent::unregistered(&p.scope) {
        return Err(redirect_error(
            p,
            "invalid_scope",
            650053,
            &format!("The application asked for scope '{unknown}' that doesn't exist on the resource."),
        ));
    }
    if matches!(p.response_mode.as_deref(), Some(m) if m != "query") {
        return Err(redirect_error(
            p,
            "invalid_request",
            900144,
            "Only response_mode=query is offered by the demo.",
        ));
    }
    if p.prompt.as_deref() == Some("none") {
        return Err(redirect_error(
            p,
            "login_required",
            50058,
            "A silent sign-in request was sent but no user is signed in.",
        ));
    }
    Ok(())
}

/// The authorize endpoint: `GET` shows the account picker, `POST` is the picker's answer. Both
/// are checked the same way first (`Form` reads a GET's query string).
pub(super) async fn authorize(
    State(s): S,
    Path(tenant): Path<String>,
    method: Method,
    Form(p): Form<AuthorizeParams>,
) -> Response {
    if let Err(r) = check_client(&s, &tenant, &p).and_then(|_| check_request(&p)) {
        return r;
    }
    if method == Method::POST {
        submit(&s, &tenant, &p)
    } else {
        picker(&s, &tenant, &p)
    }
}

/// The request as hidden form fields, so the picker's and the consent page's answers carry it.
fn hidden_fields(p: &AuthorizeParams) -> String {
    let hidden =
        |name: &str, v: &str| format!("<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape_html(v));
    let mut fields = String::new();
    for (k, v) in [
        ("client_id", Some(p.client_id.as_str())),
        ("response_type", Some(p.response_type.as_str())),
        ("redirect_uri", Some(p.redirect_uri.as_str())),
        ("scope", Some(p.scope.as_str())),
        ("state", p.state.as_deref()),
        ("nonce", p.nonce.as_deref()),
        ("code_challenge", p.code_challenge.as_deref()),
        ("code_challenge_method", p.code_challenge_method.as_deref()),
    ] {
        if let Some(v) = v {
            fields.push_str(&hidden(k, v));
        }
    }
    fields
}

/// The demo sign-in page for a checked request.
fn picker(s: &EntraStandIn, tenant: &str, p: &AuthorizeParams) -> Response {
    let fields = hidden_fields(p);
    let hint = p.login_hint.clone().unwrap_or_default().to_lowercase();
    let buttons: String = s
        .users
        .iter()
        .filter(|u| EntraStandIn::signs_in_at(u, tenant))
        .map(|u| {
            let hinted =
                if !hint.is_empty() && u.username.to_lowercase() == hint { " autofocus" } else { "" };
            format!(
                "<li><button type=\"submit\" name=\"user\" value=\"{}\"{hinted}><span class=\"n\">{}</span> \
                 <span class=\"u\">{}</span></button></li>",
                escape_html(&u.key),
                escape_html(&u.name),
                escape_html(&u.username)
            )
        })
        .collect();
    let page = picker_page(&fields, &buttons);
    ([(header::CACHE_CONTROL, "no-store"), (header::X_FRAME_OPTIONS, "DENY")], Html(page)).into_response()
}

/// The picker's answer: a code for the chosen user, or the cancellation, back to the app.
fn submit(s: &EntraStandIn, tenant: &str, p: &AuthorizeParams) -> Response {
    if p.cancel.is_some() {
        return redirect_error(p, "access_denied", 65004, "User declined to consent to access the app.");
    }
    let user = p.user.as_deref().and_then(|k| s.users.iter().position(|u| u.key == k));
    if user.is_some_and(|i| !EntraStandIn::signs_in_at(&s.users[i], tenant)) {
        return other_tenants_user(p);
    }
    let Some(user) = user else {
        return redirect_error(
            p,
            "invalid_request",
            50034,
            "The user account does not exist in this directory.",
        );
    };
    // Permissions the user has not agreed to yet: the consent page first (Accept records them).
    let key = s.users[user].key.clone();
    let missing = s.missing_consent(&key, &p.scope);
    if !missing.is_empty() {
        if p.consent.as_deref() != Some("accept") {
            let page = super::consent::consent_page(&hidden_fields(p), &key, &missing);
            return ([(header::CACHE_CONTROL, "no-store"), (header::X_FRAME_OPTIONS, "DENY")], Html(page))
                .into_response();
        }
        s.grant_consent(&key, &missing);
    }
    let code = random_token(48);
    {
        let mut codes = s.codes.lock().unwrap_or_else(|e| e.into_inner());
        let now = now_secs();
        codes.retain(|_, g| now.saturating_sub(g.issued_at) < CODE_TTL_SECS * 2);
        codes.insert(
            code.clone(),
            CodeGrant {
                client_id: p.client_id.clone(),
                redirect_uri: p.redirect_uri.clone(),
                code_challenge: p.code_challenge.clone().unwrap_or_default(),
                nonce: p.nonce.clone(),
                scope: p.scope.clone(),
                user,
                issued_at: now,
                redeemed: false,
            },
        );
    }
    let mut url = match url::Url::parse(&p.redirect_uri) {
        Ok(u) => u,
        Err(_) => return error_page(50011, "The redirect URI is not valid."),
    };
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("code", &code);
        if let Some(st) = &p.state {
            q.append_pair("state", st);
        }
        q.append_pair("session_state", &uuid::Uuid::new_v4().to_string());
    }
    Redirect::to(url.as_str()).into_response()
}

/// AADSTS50020: a user of another tenant, through a single tenant's authority.
fn other_tenants_user(p: &AuthorizeParams) -> Response {
    redirect_error(
        p,
        "access_denied",
        50020,
        "User account from identity provider does not exist in tenant and cannot access the application in that tenant.",
    )
}

/// The account picker: one button per demo user, the request carried in hidden fields.
fn picker_page(fields: &str, buttons: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in to your account (demo)</title><link rel="icon" href="data:,">
<style>
body{{font-family:system-ui,sans-serif;background:#f2f2f2;margin:0;color:#1b1b1b}}
main{{max-width:26rem;margin:4rem auto;background:#fff;padding:2rem 2.5rem;box-shadow:0 2px 6px rgba(0,0,0,.2)}}
.tag{{display:inline-block;background:#fde7b0;color:#5c3c00;border-radius:3px;padding:0 .4rem;font-size:.8rem;font-weight:600}}
ul{{list-style:none;padding:0}} li{{margin:.5rem 0}}
button{{width:100%;text-align:left;padding:.75rem 1rem;border:1px solid #8a8886;background:#fff;font:inherit;cursor:pointer}}
button:hover,button:focus-visible{{background:#e8f0fe;outline:2px solid #0067b8}}
.n{{display:block;font-weight:600}} .u{{display:block;color:#444;font-size:.9rem}}
.cancel{{width:auto;border:none;color:#0067b8;background:none;padding:.25rem 0}}
</style></head><body><main>
<p><span class="tag">DEMO</span> Demo identity provider: a local stand-in for Microsoft Entra ID</p>
<h1>Pick an account</h1>
<p>Signing in to <strong>DevOps token portal</strong>. No password: these are made-up demo users.</p>
<form method="post">{fields}<ul>{buttons}</ul>
<button type="submit" name="cancel" value="1" class="cancel">Cancel</button></form>
</main></body></html>"#
    )
}
