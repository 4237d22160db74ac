//! The Entra ID v2.0 stand-in: discovery, authorize with a sign-in page, token (PKCE, client secret, refresh rotation), JWKS, logout.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::keys::SigningKey;
use super::misbehave::Misbehaviour;
use super::{escape_html, random_token, DemoUser};
use crate::config::DEVOPS_RESOURCE;
use crate::oidc::now_secs;
use crate::secret::Secret;

pub const DEMO_TENANT: &str = "7b0c2f4e-5d1a-4c3b-9e8f-0a1b2c3d4e5f";
const CODE_TTL_SECS: u64 = 600;

/// The one application registered with the stand-in: the portal itself.
pub struct RegisteredClient {
    pub client_id: String,
    pub client_secret: Secret,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// An uploaded certificate: client assertions signed with its key are accepted.
    pub certificate: Option<RegisteredCertificate>,
}

pub struct RegisteredCertificate {
    /// base64url(SHA-256 of the DER): what `x5t#S256` must name.
    pub thumbprint: String,
    pub key: jsonwebtoken::DecodingKey,
}

impl RegisteredCertificate {
    /// Registers a certificate (DER) as Entra does when one is uploaded to an app registration.
    pub fn from_der(der: &[u8]) -> Result<Self, String> {
        use rsa::pkcs8::DecodePublicKey;
        use rsa::traits::PublicKeyParts;
        use x509_cert::der::{Decode, Encode};
        let cert =
            x509_cert::Certificate::from_der(der).map_err(|e| format!("not an X.509 certificate: {e}"))?;
        let spki = cert.tbs_certificate.subject_public_key_info.to_der().map_err(|e| e.to_string())?;
        let public =
            rsa::RsaPublicKey::from_public_key_der(&spki).map_err(|e| format!("not an RSA key: {e}"))?;
        let key = jsonwebtoken::DecodingKey::from_rsa_components(
            &URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            &URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        )
        .map_err(|e| e.to_string())?;
        Ok(RegisteredCertificate { thumbprint: URL_SAFE_NO_PAD.encode(Sha256::digest(der)), key })
    }
}

struct CodeGrant {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    nonce: Option<String>,
    scope: String,
    user: usize,
    issued_at: u64,
    redeemed: bool,
}

struct RefreshGrant {
    client_id: String,
    scope: String,
    user: usize,
    sid: String,
    /// Rotated out: a newer refresh token replaced this one.
    spent: bool,
}

pub struct EntraStandIn {
    /// `{public url}/demo/entra`.
    pub base: String,
    pub client: RegisteredClient,
    pub users: Vec<DemoUser>,
    keys: RwLock<Vec<Arc<SigningKey>>>,
    codes: Mutex<HashMap<String, CodeGrant>>,
    refresh: Mutex<HashMap<String, RefreshGrant>>,
    pub access_token_ttl: u64,
    /// Refresh-token redemptions that succeeded (tests count them).
    pub refreshes: AtomicUsize,
    misbehaviour: Mutex<Option<Misbehaviour>>,
    /// Sign-in sessions (`sid`) issued, with the user's key: tests play front-channel logout with them.
    pub issued_sids: Mutex<Vec<(String, String)>>,
    /// How clients authenticated at the token endpoint, in order (`client_secret_post`/`_basic`).
    pub client_auth_methods: Mutex<Vec<&'static str>>,
    /// Client-assertion ids already seen: an assertion is single use.
    used_jtis: Mutex<std::collections::HashSet<String>>,
    /// A key that signs but is never published (for the unknown-kid case).
    stray_key: Mutex<Option<Arc<SigningKey>>>,
}

impl EntraStandIn {
    pub fn new(base: String, client: RegisteredClient, users: Vec<DemoUser>, key: SigningKey) -> Self {
        EntraStandIn {
            base,
            client,
            users,
            keys: RwLock::new(vec![Arc::new(key)]),
            codes: Mutex::new(HashMap::new()),
            refresh: Mutex::new(HashMap::new()),
            access_token_ttl: 3600,
            refreshes: AtomicUsize::new(0),
            misbehaviour: Mutex::new(None),
            issued_sids: Mutex::new(Vec::new()),
            client_auth_methods: Mutex::new(Vec::new()),
            used_jtis: Mutex::new(std::collections::HashSet::new()),
            stray_key: Mutex::new(None),
        }
    }

    /// Test-only: makes the stand-in misbehave in one way (or behave again with `None`).
    pub fn misbehave(&self, m: Option<Misbehaviour>) -> Result<(), String> {
        match m {
            Some(Misbehaviour::UnknownKid) => {
                *self.stray_key.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(Arc::new(SigningKey::generate()?));
            }
            Some(Misbehaviour::NoKidSeveralKeys) => {
                let extra = Arc::new(SigningKey::generate()?);
                self.keys.write().unwrap_or_else(|e| e.into_inner()).push(extra);
            }
            _ => {}
        }
        *self.misbehaviour.lock().unwrap_or_else(|e| e.into_inner()) = m;
        Ok(())
    }

    fn misbehaviour(&self) -> Option<Misbehaviour> {
        *self.misbehaviour.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Test-only: rotates the signing key. The new key signs from now on; the old one stays
    /// published, as Entra does during a rollover.
    pub fn rotate_key(&self) -> Result<String, String> {
        let key = Arc::new(SigningKey::generate()?);
        let kid = key.kid.clone();
        self.keys.write().unwrap_or_else(|e| e.into_inner()).insert(0, key);
        Ok(kid)
    }

    /// Revokes every refresh token, as an admin or a password change would.
    pub fn revoke_all_grants(&self) {
        self.refresh.lock().unwrap_or_else(|e| e.into_inner()).values_mut().for_each(|g| g.spent = true);
    }

    /// The authority the app is configured with in demo mode.
    pub fn authority(&self) -> String {
        format!("{}/{}", self.base, DEMO_TENANT)
    }

    pub fn issuer_for(&self, tid: &str) -> String {
        format!("{}/{}/v2.0", self.base, tid)
    }

    pub fn current_key(&self) -> Arc<SigningKey> {
        self.keys.read().unwrap_or_else(|p| p.into_inner())[0].clone()
    }

    /// The key with this `kid`, for the DevOps stand-in's bearer check.
    pub fn key(&self, kid: &str) -> Option<Arc<SigningKey>> {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).iter().find(|k| k.kid == kid).cloned()
    }

    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/{tenant}/v2.0/.well-known/openid-configuration", get(discovery))
            .route("/{tenant}/oauth2/v2.0/authorize", get(authorize_page).post(authorize_submit))
            .route("/{tenant}/oauth2/v2.0/token", axum::routing::post(token))
            .route("/{tenant}/discovery/v2.0/keys", get(keys))
            .route("/{tenant}/oauth2/v2.0/logout", get(logout))
            .with_state(self)
    }

    fn known_tenant(tenant: &str) -> bool {
        matches!(tenant, DEMO_TENANT | "common" | "organizations" | "contoso.demo")
    }
}

type S = State<Arc<EntraStandIn>>;

/// An OAuth error body shaped like Entra's: `error`, `error_description` with the AADSTS code, ids.
fn oauth_error(status: StatusCode, error: &str, aadsts: u32, message: &str) -> Response {
    let trace = uuid::Uuid::new_v4();
    let correlation = uuid::Uuid::new_v4();
    let ts = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS{aadsts}: {message} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {ts}"),
        "error_codes": [aadsts],
        "timestamp": ts,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": format!("https://login.microsoftonline.com/error?code={aadsts}"),
    });
    (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

fn tenant_not_found(tenant: &str) -> Response {
    oauth_error(
        StatusCode::BAD_REQUEST,
        "invalid_tenant",
        90002,
        &format!(
            "Tenant '{}' not found.",
            tenant.chars().filter(|c| c.is_ascii_graphic()).take(64).collect::<String>()
        ),
    )
}

async fn discovery(State(s): S, Path(tenant): Path<String>) -> Response {
    if !EntraStandIn::known_tenant(&tenant) {
        return tenant_not_found(&tenant);
    }
    let issuer = match tenant.as_str() {
        // As Entra does: the multi-tenant authorities publish a template.
        "common" | "organizations" => s.issuer_for("{tenantid}"),
        _ => s.issuer_for(DEMO_TENANT),
    };
    let issuer = if s.misbehaviour() == Some(Misbehaviour::DiscoveryIssuerMismatch) {
        "https://login.evil.example/7b0c2f4e-5d1a-4c3b-9e8f-0a1b2c3d4e5f/v2.0".to_string()
    } else {
        issuer
    };
    let t = format!("{}/{}", s.base, tenant);
    let doc = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{t}/oauth2/v2.0/authorize"),
        "token_endpoint": format!("{t}/oauth2/v2.0/token"),
        "end_session_endpoint": format!("{t}/oauth2/v2.0/logout"),
        "jwks_uri": format!("{t}/discovery/v2.0/keys"),
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "name", "preferred_username", "oid", "tid", "sid", "ver"],
        "tenant_region_scope": "EU",
    });
    ([(header::CACHE_CONTROL, "max-age=86400, private")], Json(doc)).into_response()
}

async fn keys(State(s): S, Path(tenant): Path<String>) -> Response {
    if !EntraStandIn::known_tenant(&tenant) {
        return tenant_not_found(&tenant);
    }
    if s.misbehaviour() == Some(Misbehaviour::JwksDown) {
        return (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response();
    }
    let keys: Vec<_> = s.keys.read().unwrap_or_else(|p| p.into_inner()).iter().map(|k| k.jwk()).collect();
    ([(header::CACHE_CONTROL, "max-age=86400, private")], Json(json!({ "keys": keys }))).into_response()
}

#[derive(Debug, Deserialize, Default)]
struct AuthorizeParams {
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
}

/// A problem that cannot be sent back to the app, because the redirect URI itself is not trusted.
fn error_page(status: StatusCode, aadsts: u32, message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in - demo identity provider</title>\
         <link rel=\"icon\" href=\"data:,\"></head><body style=\"font-family:system-ui;max-width:40rem;margin:3rem auto\">\
         <h1>Sorry, but we’re having trouble signing you in.</h1><p>AADSTS{aadsts}: {}</p>\
         <p><small>Demo identity provider (a local stand-in for Entra ID)</small></p></body></html>",
        escape_html(message)
    );
    (status, Html(body)).into_response()
}

/// Checks what must be right before anything is sent back to `redirect_uri`.
fn check_client(s: &EntraStandIn, tenant: &str, p: &AuthorizeParams) -> Result<(), Response> {
    if !EntraStandIn::known_tenant(tenant) {
        return Err(error_page(StatusCode::BAD_REQUEST, 90002, &format!("Tenant '{tenant}' not found.")));
    }
    if p.client_id != s.client.client_id {
        return Err(error_page(
            StatusCode::BAD_REQUEST,
            700016,
            &format!("Application with identifier '{}' was not found in the directory.", p.client_id),
        ));
    }
    if !s.client.redirect_uris.iter().any(|r| r == &p.redirect_uri) {
        return Err(error_page(
            StatusCode::BAD_REQUEST,
            50011,
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
        Err(_) => return error_page(StatusCode::BAD_REQUEST, 50011, "The redirect URI is not valid."),
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

async fn authorize_page(
    State(s): S,
    Path(tenant): Path<String>,
    Query(p): Query<AuthorizeParams>,
) -> Response {
    if let Err(r) = check_client(&s, &tenant, &p).and_then(|_| check_request(&p)) {
        return r;
    }
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
    let hint = p.login_hint.clone().unwrap_or_default().to_lowercase();
    let buttons: String = s
        .users
        .iter()
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
    let page = format!(
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
    );
    ([(header::CACHE_CONTROL, "no-store"), (header::X_FRAME_OPTIONS, "DENY")], Html(page)).into_response()
}

async fn authorize_submit(
    State(s): S,
    Path(tenant): Path<String>,
    Form(p): Form<AuthorizeParams>,
) -> Response {
    if let Err(r) = check_client(&s, &tenant, &p).and_then(|_| check_request(&p)) {
        return r;
    }
    if p.cancel.is_some() {
        return redirect_error(&p, "access_denied", 65004, "User declined to consent to access the app.");
    }
    let Some(user) = p.user.as_deref().and_then(|k| s.users.iter().position(|u| u.key == k)) else {
        return redirect_error(
            &p,
            "invalid_request",
            50034,
            "The user account does not exist in this directory.",
        );
    };
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
        Err(_) => return error_page(StatusCode::BAD_REQUEST, 50011, "The redirect URI is not valid."),
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

/// Client authentication: `client_secret_post` or `client_secret_basic`.
/// `private_key_jwt`: the assertion must name the registered certificate (`x5t#S256`), verify with
/// its key, be for this token endpoint, come from the client itself, be unexpired and unused.
fn authenticate_assertion(
    s: &EntraStandIn,
    tenant: &str,
    form: &HashMap<String, String>,
    assertion: &str,
) -> Result<String, Response> {
    let refuse = |code: u32, msg: &str| oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", code, msg);
    s.client_auth_methods.lock().unwrap_or_else(|e| e.into_inner()).push("private_key_jwt");
    let id = form.get("client_id").cloned().unwrap_or_default();
    if id != s.client.client_id {
        return Err(refuse(700016, "Application not found in the directory."));
    }
    let Some(cert) = &s.client.certificate else {
        return Err(refuse(
            700027,
            "Client assertion failed signature validation: no certificate is registered.",
        ));
    };
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| refuse(700027, "The client assertion is malformed."))?;
    if header.x5t_s256.as_deref() != Some(cert.thumbprint.as_str()) {
        return Err(refuse(
            700027,
            "Client assertion failed signature validation: the key (x5t#S256) was not found.",
        ));
    }
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&[format!("{}/{tenant}/oauth2/v2.0/token", s.base)]);
    v.set_issuer(&[&s.client.client_id]);
    v.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
    let data = jsonwebtoken::decode::<serde_json::Value>(assertion, &cert.key, &v)
        .map_err(|_| refuse(700027, "Client assertion failed signature validation."))?;
    if data.claims.get("sub").and_then(|v| v.as_str()) != Some(s.client.client_id.as_str()) {
        return Err(refuse(700023, "The client assertion's subject is not the client."));
    }
    let jti = data.claims.get("jti").and_then(|v| v.as_str()).unwrap_or_default().to_string();
    if jti.is_empty() || !s.used_jtis.lock().unwrap_or_else(|e| e.into_inner()).insert(jti) {
        return Err(refuse(700021, "The client assertion was already used."));
    }
    Ok(id)
}

fn authenticate_client(
    s: &EntraStandIn,
    tenant: &str,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<String, Response> {
    if let Some(assertion) = form.get("client_assertion") {
        if form.get("client_assertion_type").map(String::as_str)
            != Some(crate::oidc::credential::ASSERTION_TYPE)
        {
            return Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                50027,
                "Unsupported client_assertion_type.",
            ));
        }
        return authenticate_assertion(s, tenant, form, assertion);
    }
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(a, b)| (form_decode(a), form_decode(b))));
    let method = if basic.is_some() { "client_secret_basic" } else { "client_secret_post" };
    s.client_auth_methods.lock().unwrap_or_else(|e| e.into_inner()).push(method);
    let (id, secret) = match basic {
        Some((id, secret)) => (id, Some(secret)),
        None => (form.get("client_id").cloned().unwrap_or_default(), form.get("client_secret").cloned()),
    };
    if id != s.client.client_id {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{}' was not found in the directory.",
                id.chars().take(64).collect::<String>()
            ),
        ));
    }
    match secret {
        None => Err(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        )),
        Some(sec) if sec.as_bytes() != s.client.client_secret.expose().as_bytes() => Err(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
        )),
        Some(_) => Ok(id),
    }
}

fn form_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

async fn token(State(s): S, Path(tenant): Path<String>, headers: HeaderMap, body: String) -> Response {
    if !EntraStandIn::known_tenant(&tenant) {
        return tenant_not_found(&tenant);
    }
    // Entra refuses client credentials from browsers (CORS requests carry Origin).
    if headers.contains_key(header::ORIGIN) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            9002326,
            "Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type.",
        );
    }
    match s.misbehaviour() {
        Some(Misbehaviour::TokenInvalidGrant) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                50173,
                "The provided grant has expired due to it being revoked, a fresh auth token is needed.",
            )
        }
        Some(Misbehaviour::Token500) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<html><body>Internal Server Error</body></html>"),
            )
                .into_response()
        }
        Some(Misbehaviour::TokenHtml) => {
            return Html("<!DOCTYPE html><html><body>Sign in to your account</body></html>").into_response()
        }
        Some(Misbehaviour::TokenTimeout) => tokio::time::sleep(std::time::Duration::from_secs(5)).await,
        _ => {}
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let client_id = match authenticate_client(&s, &tenant, &headers, &form) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => redeem_code(&s, &client_id, &form),
        Some("refresh_token") => redeem_refresh(&s, &client_id, &form),
        Some(other) => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            &format!(
                "The app requested an unsupported grant type '{}'.",
                other.chars().take(40).collect::<String>()
            ),
        ),
        None => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.",
        ),
    }
}

fn redeem_code(s: &EntraStandIn, client_id: &str, form: &HashMap<String, String>) -> Response {
    let Some(code) = form.get("code") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'code'.",
        );
    };
    let grant = {
        let mut codes = s.codes.lock().unwrap_or_else(|e| e.into_inner());
        let Some(g) = codes.get_mut(code) else {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                9002313,
                "Invalid request. The authorization code is malformed or invalid.",
            );
        };
        if g.redeemed {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.");
        }
        // Spent by any attempt, so a stolen code cannot be tried against many verifiers.
        g.redeemed = true;
        (
            g.client_id.clone(),
            g.redirect_uri.clone(),
            g.code_challenge.clone(),
            g.nonce.clone(),
            g.scope.clone(),
            g.user,
            g.issued_at,
        )
    };
    let (g_client, g_redirect, g_challenge, nonce, scope, user, issued_at) = grant;
    if now_secs().saturating_sub(issued_at) > CODE_TTL_SECS {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            70008,
            "The provided authorization code or refresh token has expired due to inactivity.",
        );
    }
    if g_client != client_id {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            70000,
            "The provided authorization code was issued to another application.",
        );
    }
    if form.get("redirect_uri") != Some(&g_redirect) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", 500112, "The reply address does not match the reply address provided when requesting the authorization code.");
    }
    let Some(verifier) = form.get("code_verifier") else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", 50148, "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.");
    };
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if computed != g_challenge {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
        );
    }
    let sid = uuid::Uuid::new_v4().to_string();
    s.issued_sids.lock().unwrap_or_else(|e| e.into_inner()).push((s.users[user].key.clone(), sid.clone()));
    issue_tokens(s, client_id, &scope, user, &sid, nonce.as_deref())
}

fn redeem_refresh(s: &EntraStandIn, client_id: &str, form: &HashMap<String, String>) -> Response {
    let Some(rt) = form.get("refresh_token") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'refresh_token'.",
        );
    };
    let (scope, user, sid) = {
        let mut grants = s.refresh.lock().unwrap_or_else(|e| e.into_inner());
        let Some(g) = grants.get_mut(rt) else {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                9002313,
                "Invalid request. The refresh token is malformed or invalid.",
            );
        };
        if g.spent {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                50173,
                "The provided grant has expired due to it being revoked, a fresh auth token is needed.",
            );
        }
        if g.client_id != client_id {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                70000,
                "The refresh token was issued to another application.",
            );
        }
        g.spent = true;
        (g.scope.clone(), g.user, g.sid.clone())
    };
    s.refreshes.fetch_add(1, Ordering::SeqCst);
    issue_tokens(s, client_id, &scope, user, &sid, None)
}

fn issue_tokens(
    s: &EntraStandIn,
    client_id: &str,
    scope: &str,
    user: usize,
    sid: &str,
    nonce: Option<&str>,
) -> Response {
    let u = &s.users[user];
    let now = now_secs();
    let issuer = s.issuer_for(DEMO_TENANT);
    let key = s.current_key();
    let access = key.sign(&json!({
        "aud": DEVOPS_RESOURCE, "iss": issuer, "iat": now, "nbf": now, "exp": now + s.access_token_ttl,
        "oid": u.oid, "tid": DEMO_TENANT, "sub": u.oid, "name": u.name, "upn": u.username,
        "scp": "user_impersonation", "appid": client_id, "ver": "1.0",
    }));
    let scopes: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
    let mut body = json!({
        "token_type": "Bearer",
        "scope": format!("{DEVOPS_RESOURCE}/user_impersonation"),
        "expires_in": s.access_token_ttl,
        "ext_expires_in": s.access_token_ttl,
        "access_token": access,
    });
    if scopes.contains(&"openid") {
        let sub = URL_SAFE_NO_PAD.encode(&Sha256::digest(format!("{}:{client_id}", u.oid).as_bytes())[..24]);
        let mut claims = json!({
            "aud": client_id, "iss": issuer, "iat": now, "nbf": now, "exp": now + 3600,
            "sub": sub, "oid": u.oid, "tid": DEMO_TENANT, "sid": sid, "ver": "2.0",
            "name": u.name, "preferred_username": u.username,
        });
        if let Some(n) = nonce {
            claims["nonce"] = json!(n);
        }
        let misbehaviour = s.misbehaviour();
        if let Some(m) = misbehaviour {
            m.claims(&mut claims, now);
        }
        let stray = s.stray_key.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let id_token = misbehaviour
            .and_then(|m| m.sign(&claims, &key, stray.as_deref()))
            .unwrap_or_else(|| key.sign(&claims));
        body["id_token"] = json!(id_token);
    }
    if scopes.contains(&"offline_access") {
        let rt = random_token(64);
        s.refresh.lock().unwrap_or_else(|e| e.into_inner()).insert(
            rt.clone(),
            RefreshGrant {
                client_id: client_id.to_string(),
                scope: scope.to_string(),
                user,
                sid: sid.to_string(),
                spent: false,
            },
        );
        body["refresh_token"] = json!(rt);
    }
    ([(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")], Json(body)).into_response()
}

#[derive(Deserialize)]
struct LogoutParams {
    post_logout_redirect_uri: Option<String>,
}

async fn logout(State(s): S, Path(tenant): Path<String>, Query(p): Query<LogoutParams>) -> Response {
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
